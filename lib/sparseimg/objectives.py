"""Smooth data terms ``f`` for the proximal-gradient core.

A smooth term is an object with

- ``value(x) -> float`` and ``grad(x) -> ndarray`` (a new array the caller may modify);
- ``value_and_grad(x) -> (float, ndarray)``, sharing work between the two;
- ``lipschitz_constant() -> float``, a bound on the Lipschitz constant of ``∇f``;
- ``affine_gradient: bool``: True when ``∇f`` is affine (``f`` quadratic), which
  lets FISTA extrapolate gradients instead of recomputing them.

Operators follow the pylops/pyproximal protocol: ``forward``, ``adjoint`` and
``lipschitz_constant()`` (``‖A‖²``).
"""

from __future__ import annotations

import numpy as np

from ._linalg import inner, sq_norm
from ._validate import check_real
from .fourier import FourierConvolution, half_spectrum_sq_norm

__all__ = ["LeastSquares"]


class LeastSquares:
    """``f(x) = ½ ‖A x − b‖² + ½ ridge ‖x‖²``.

    Parameters
    ----------
    operator
        Linear operator with ``forward``/``adjoint``/``lipschitz_constant``. A
        :class:`~sparseimg.fourier.FourierConvolution` gets a fast path: ``Aᵀb`` and
        ``|H|²`` are precomputed and ``value_and_grad`` costs one FFT pair
        (the value comes from Parseval on the residual spectrum).
    data : ndarray
        Observation ``b``.
    ridge : float, default 0
        Optional Tikhonov weight.
    """

    affine_gradient = True

    def __init__(self, operator, data: np.ndarray, *, ridge: float = 0.0):
        self.operator = operator
        self.ridge = check_real("ridge", ridge, low=0.0)
        self._fourier = isinstance(operator, FourierConvolution)
        if self._fourier:
            b = np.asarray(data, dtype=operator.dtype)
            if b.shape != operator.shape:
                raise ValueError(f"data has shape {b.shape}: expected {operator.shape}")
            self.data = b
            self._data_spec = operator.rfft(b)
            h = operator.transfer
            self._conj_h = np.conj(h) if np.iscomplexobj(h) else h
            self._adjoint_data_spec = self._conj_h * self._data_spec
        else:
            self.data = np.asarray(data)
        self._adjoint_data = None

    @property
    def adjoint_data(self) -> np.ndarray:
        """``Aᵀ b`` (computed once)."""
        if self._adjoint_data is None:
            if self._fourier:
                self._adjoint_data = self.operator.irfft(self._adjoint_data_spec)
            else:
                self._adjoint_data = self.operator.adjoint(self.data)
        return self._adjoint_data

    def lipschitz_constant(self) -> float:
        return self.operator.lipschitz_constant() + self.ridge

    def _ridge_value(self, x):
        return 0.5 * self.ridge * sq_norm(x) if self.ridge else 0.0

    def value(self, x: np.ndarray) -> float:
        if self._fourier:
            op = self.operator
            resid = op.rfft(x) * op.transfer - self._data_spec
            return 0.5 * half_spectrum_sq_norm(resid, op.shape[1]) + self._ridge_value(x)
        r = self.operator.forward(x) - self.data
        return 0.5 * sq_norm(r) + self._ridge_value(x)

    def grad(self, x: np.ndarray) -> np.ndarray:
        if self._fourier:
            op = self.operator
            g = op.irfft(op.rfft(x) * op.power - self._adjoint_data_spec)
        else:
            g = self.operator.adjoint(self.operator.forward(x) - self.data)
        return g + self.ridge * x if self.ridge else g

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        if self._fourier:
            op = self.operator
            fft = op._fft  # scratch buffers: the residual spectrum lives in the inverse plan's input
            resid = np.multiply(fft.rfft_scratch(np.asarray(x, dtype=op.dtype)), op.transfer, out=fft.irfft_input)
            resid -= self._data_spec
            value = 0.5 * half_spectrum_sq_norm(resid, op.shape[1])
            resid *= self._conj_h
            g = fft.irfft_from_input()
        else:
            r = self.operator.forward(x) - self.data
            value = 0.5 * sq_norm(r)
            g = self.operator.adjoint(r)
        if self.ridge:
            return value + self._ridge_value(x), g + self.ridge * x
        return value, g

    def normal(self, x: np.ndarray) -> np.ndarray:
        """``(AᵀA + ridge I) x`` — the system matrix of the normal equations."""
        if self._fourier:
            out = self.operator.normal(x)
        else:
            out = self.operator.adjoint(self.operator.forward(x))
        return out + self.ridge * x if self.ridge else out

    def residual_norm_sq(self) -> float:
        """``‖b‖²``."""
        return sq_norm(self.data)

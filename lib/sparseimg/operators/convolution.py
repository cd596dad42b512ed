"""Linear (non-circular) convolution cropped to the image size: the blur of a bounded image.

:class:`LinearConvolution` applies ``(k * u)`` cropped back to ``u``'s shape with real
FFTs on a zero-padded grid large enough that nothing wraps around (pixels outside
the image count as 0); :meth:`LinearConvolution.circular` gives the circular
approximation that FFT-only methods assume.
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft

from sparseimg._validate import check_array, check_dtype, check_int
from sparseimg.operators.base import LinearOperator
from sparseimg.operators.fourier import FourierConvolution, transfer_from_kernel

__all__ = ["LinearConvolution"]


class LinearConvolution(LinearOperator):
    """Linear (non-circular) convolution cropped to the image size, by real FFTs.

    ``A u = (k * u)[o0 : o0 + n0, o1 : o1 + n1]`` with ``k * u`` the full linear
    convolution, shape ``(n0 + k0 − 1, n1 + k1 − 1)``, and ``o = (k − 1) // 2``:
    scipy's ``mode='same'`` and, for odd kernels, the source document's
    ``full[h0:-h0, h1:-h1]``. Pixels outside the image are 0.

    Parameters
    ----------
    psf : ndarray, shape (k0, k1)
        Convolution kernel (point-spread function).
    shape : (n0, n1)
        Image shape.
    dtype : {float64, float32}
        Working precision.
    workers : int
        Threads of ``scipy.fft``.

    Attributes
    ----------
    fft_shape : (p0, p1)
        Zero-padded FFT grid, ``p = next_fast_len(n + k − 1)``: no wrap-around.
    transfer : ndarray, shape (p0, p1 // 2 + 1), complex
        ``rfft2`` of the kernel on that grid.

    Notes
    -----
    ``adjoint`` places ``y`` at offset ``o`` on the padded grid, multiplies the
    spectrum by ``conj(transfer)`` (a correlation) and keeps the first
    ``(n0, n1)`` pixels; ``⟨A x, y⟩ = ⟨x, Aᵀ y⟩`` holds to round-off.

    Examples
    --------
    >>> import numpy as np, scipy.signal
    >>> k = np.arange(9.0).reshape(3, 3)
    >>> u = np.random.default_rng(0).random((6, 7))
    >>> op = LinearConvolution(k, u.shape)
    >>> bool(np.allclose(op.forward(u), scipy.signal.convolve(u, k, mode="same")))
    True
    """

    def __init__(self, psf: np.ndarray, shape: tuple[int, int], *, dtype=np.float64, workers: int = 1):
        k = check_array("psf", psf, ndim=2)
        if k.dtype.kind not in "iuf":
            raise TypeError(f"psf has dtype {k.dtype}: expected real values")
        self.shape = (check_int("shape[0]", shape[0], low=1), check_int("shape[1]", shape[1], low=1))
        self.dtype = check_dtype("dtype", dtype)
        self.workers = check_int("workers", workers, low=1)
        self.psf = np.array(k, dtype=np.float64)
        self.psf.flags.writeable = False
        self.offset = ((k.shape[0] - 1) // 2, (k.shape[1] - 1) // 2)
        self.fft_shape = tuple(sfft.next_fast_len(n + m - 1, real=True)
                               for n, m in zip(self.shape, k.shape))
        transfer = sfft.rfft2(self.psf, s=self.fft_shape)
        self.transfer = transfer.astype(np.complex64 if self.dtype == np.float32 else np.complex128)
        self._conj_transfer = np.conj(self.transfer)
        for arr in (self.transfer, self._conj_transfer):
            arr.flags.writeable = False

    def _check(self, x: np.ndarray, name: str) -> np.ndarray:
        x = np.asarray(x)
        if x.shape != self.shape:
            raise ValueError(f"{name} has shape {x.shape}: expected {self.shape}")
        return x.astype(self.dtype, copy=False)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``A x``, shape ``(n0, n1)``."""
        x = self._check(x, "x")
        full = sfft.irfft2(sfft.rfft2(x, s=self.fft_shape, workers=self.workers) * self.transfer,
                           s=self.fft_shape, workers=self.workers)
        (o0, o1), (n0, n1) = self.offset, self.shape
        return np.ascontiguousarray(full[o0:o0 + n0, o1:o1 + n1])

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        """``Aᵀ y``: zero-padded correlation with the kernel, shape ``(n0, n1)``."""
        y = self._check(y, "y")
        (o0, o1), (n0, n1) = self.offset, self.shape
        padded = np.zeros(self.fft_shape, dtype=self.dtype)
        padded[o0:o0 + n0, o1:o1 + n1] = y
        out = sfft.irfft2(sfft.rfft2(padded, workers=self.workers) * self._conj_transfer,
                          s=self.fft_shape, workers=self.workers)
        return np.ascontiguousarray(out[:n0, :n1])

    def normal(self, x: np.ndarray) -> np.ndarray:
        """``AᵀA x`` (two FFT pairs: the crop sits between them)."""
        return self.adjoint(self.forward(x))

    def lipschitz_constant(self) -> float:
        """Upper bound ``max |transfer|² >= ‖A‖²`` (cropping can only shrink the norm).

        For a non-negative kernel it equals ``(Σ k)²``, 1 for a normalized PSF.
        """
        return float(np.max(np.abs(self.transfer)) ** 2)

    def circular(self) -> FourierConvolution:
        """The circular convolution on the ``(n0, n1)`` grid with the same kernel centre."""
        return FourierConvolution(transfer_from_kernel(self.psf, self.shape, center=self.offset),
                                  self.shape, dtype=self.dtype, workers=self.workers)

    def __repr__(self) -> str:
        return (f"LinearConvolution(psf={self.psf.shape}, shape={self.shape}, "
                f"fft_shape={self.fft_shape}, dtype={self.dtype.name})")

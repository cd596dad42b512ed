"""The operator protocol every linear operator of the library follows.

An operator maps arrays of ``shape`` (its domain) to arrays of its range:

- ``forward(x)`` — ``A x``; ``adjoint(y)`` — ``Aᵀ y``;
- ``normal(x)`` — ``AᵀA x`` (subclasses override it when they can do better than
  ``adjoint(forward(x))``, e.g. one FFT pair for a convolution);
- ``lipschitz_constant()`` — an upper bound of ``‖A‖²`` (the Lipschitz constant of
  the gradient of ``½‖A x − b‖²``);
- ``prepare_data(b)`` / ``residual_value_and_grad(x, prepared)`` — the data term
  ``(½‖A x − b‖², Aᵀ(A x − b))`` with whatever precomputation of ``b`` saves work
  (the Fourier convolution keeps the spectrum of ``b`` and gets both from one FFT
  pair); :class:`~sparseimg.objectives.LeastSquares` calls only these, so solvers
  never look at an operator's class.

Operators are safe to share between threads: none keeps per-call state on the
object (scratch buffers, where used, are per thread).
"""

from __future__ import annotations

import numpy as np

from .._linalg import sq_norm

__all__ = ["LinearOperator", "PreparedData"]


class PreparedData:
    """``b`` and what an operator precomputed from it (see :meth:`LinearOperator.prepare_data`)."""

    __slots__ = ("data", "extra", "_adjoint")

    def __init__(self, data: np.ndarray, extra=None):
        self.data = data
        self.extra = extra
        self._adjoint = None


class LinearOperator:
    """Base class: defaults of the protocol from ``forward`` and ``adjoint``."""

    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def adjoint(self, y: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def lipschitz_constant(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def normal(self, x: np.ndarray) -> np.ndarray:
        """``AᵀA x``."""
        return self.adjoint(self.forward(x))

    def prepare_data(self, data: np.ndarray) -> PreparedData:
        """Precompute what the data term needs from the observation ``b``."""
        return PreparedData(np.asarray(data))

    def adjoint_data(self, prepared: PreparedData) -> np.ndarray:
        """``Aᵀ b`` (computed once per prepared observation)."""
        if prepared._adjoint is None:
            prepared._adjoint = self.adjoint(prepared.data)
        return prepared._adjoint

    def residual_value(self, x: np.ndarray, prepared: PreparedData) -> float:
        """``½‖A x − b‖²``."""
        return 0.5 * sq_norm(self.forward(x) - prepared.data)

    def residual_grad(self, x: np.ndarray, prepared: PreparedData) -> np.ndarray:
        """``Aᵀ(A x − b)``."""
        return self.adjoint(self.forward(x) - prepared.data)

    def residual_value_and_grad(self, x: np.ndarray, prepared: PreparedData) -> tuple[float, np.ndarray]:
        """``(½‖A x − b‖², Aᵀ(A x − b))`` sharing the residual."""
        r = self.forward(x) - prepared.data
        return 0.5 * sq_norm(r), self.adjoint(r)

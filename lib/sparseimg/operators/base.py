"""The operator protocol every linear operator of the library follows.

An operator maps arrays of ``shape`` (its domain) to arrays of its range:

- ``forward(x)`` — ``A x``; ``adjoint(y)`` — ``Aᵀ y``;
- ``normal(x)`` — ``AᵀA x`` (subclasses override it when they can do better than
  ``adjoint(forward(x))``, e.g. one FFT pair for a convolution);
- ``lipschitz_constant()`` — an upper bound of ``‖A‖²`` (the Lipschitz constant of
  the gradient of ``½‖A x − b‖²``);
- ``solve_normal(rhs, shift)`` — ``(AᵀA + shift·I)⁻¹ rhs``, the x-step of half-quadratic
  splitting and plug-and-play (default: conjugate gradients; the Fourier convolution
  solves it exactly, elementwise in frequency);
- ``prepare_data(b)`` / ``residual_value_and_grad(x, prepared)`` — the data term
  ``(½‖A x − b‖², Aᵀ(A x − b))`` with whatever precomputation of ``b`` saves work
  (the Fourier convolution keeps the spectrum of ``b`` and gets both from one FFT
  pair); :class:`~sparseimg.optim.objectives.LeastSquares` calls only these, so solvers
  never look at an operator's class;
- ``fourier_data_term(prepared)`` — the operator's declaration of the fused fast path: the
  named arrays of :class:`~sparseimg.contracts.FourierDataTerm` when it is diagonal in the
  real-FFT basis and can serve the fused loops, else None (the default).

The protocol is written as a type in :class:`sparseimg.contracts.Operator`.

Operators are safe to share between threads: none keeps per-call state on the
object (scratch buffers, where used, are per thread).
"""

from __future__ import annotations

import numpy as np

from sparseimg._linalg import sq_norm
from sparseimg.contracts import FourierDataTerm

__all__ = ["LinearOperator", "PreparedData", "Composition", "Synthesis", "power_norm_sq"]


class PreparedData:
    """``b`` and what an operator precomputed from it (see :meth:`LinearOperator.prepare_data`).

    ``extra`` is the operator's own object (None by default), read only by the operator that made it.
    """

    __slots__ = ("data", "extra", "_adjoint")

    def __init__(self, data: np.ndarray, extra=None):
        self.data = data
        self.extra = extra
        self._adjoint = None


class _ShiftedNormal:
    """The system ``(AᵀA + shift·I) x = rhs`` in the form :func:`~sparseimg.optim.solvers.conjugate_gradient` solves."""

    def __init__(self, operator, rhs: np.ndarray, shift: float):
        self.operator, self.adjoint_data, self.shift = operator, rhs, shift

    def normal(self, x: np.ndarray) -> np.ndarray:
        return self.operator.normal(x) + self.shift * x


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

    def solve_normal(self, rhs: np.ndarray, shift: float, *, x0: np.ndarray | None = None, tol: float = 1e-12,
                     n_iter: int = 1000) -> np.ndarray:
        """``(AᵀA + shift·I)⁻¹ rhs`` by the library's conjugate gradients (``shift > 0``), from ``x0`` (default 0).

        Stops when the residual is below ``tol · ‖rhs‖`` or after ``n_iter`` iterations.
        """
        if not shift > 0:
            raise ValueError(f"shift={shift!r} is not allowed: expected > 0")
        from sparseimg.optim.solvers import conjugate_gradient  # lazily: the solvers sit above the operators

        rhs = np.asarray(rhs)
        start = np.zeros_like(rhs) if x0 is None else np.array(x0, dtype=rhs.dtype)
        x, _ = conjugate_gradient(_ShiftedNormal(self, rhs, shift), start, n_iter=n_iter, tol=tol, track=False)
        return x

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

    def fourier_data_term(self, prepared: PreparedData) -> FourierDataTerm | None:
        """The data term as named Fourier arrays for the fused loops, or None (this default: no fused path)."""
        return None

    def normal_trace(self) -> float | None:
        """``trace(AᵀA)`` when the operator knows it exactly, else None (this default: callers estimate it)."""
        return None


class Composition(LinearOperator):
    """``A ∘ B``: ``forward = A.forward(B.forward(x))``, ``adjoint = B.adjoint(A.adjoint(y))``.

    ``lipschitz_constant()`` is the product of the two bounds (``‖AB‖² <= ‖A‖²‖B‖²``), e.g. a
    blur after a wavelet synthesis in synthesis-form deblurring.
    """

    def __init__(self, outer: LinearOperator, inner: LinearOperator):
        self.outer, self.inner = outer, inner

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.outer.forward(self.inner.forward(x))

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        return self.inner.adjoint(self.outer.adjoint(y))

    def lipschitz_constant(self) -> float:
        return float(self.outer.lipschitz_constant()) * float(self.inner.lipschitz_constant())

    def __repr__(self) -> str:
        return f"Composition({self.outer!r}, {self.inner!r})"


def power_norm_sq(operator: LinearOperator, shape, *, n_iter: int = 100, seed: int = 0, rtol: float = 1e-6) -> float:
    """``‖A‖²`` estimated by the power method on ``AᵀA`` (from below; seeded, so reproducible)."""
    v = np.random.default_rng(seed).standard_normal(shape)
    estimate = 0.0
    for _ in range(n_iter):
        v /= np.sqrt(sq_norm(v))
        w = operator.adjoint(operator.forward(v))
        new = float(np.sum(v * w))
        if abs(new - estimate) <= rtol * new:
            return new
        estimate, v = new, w
    return estimate


class Synthesis(LinearOperator):
    """``W⁻¹`` of an invertible transform as an operator (coefficients → image).

    ``forward = transform.inverse``, ``adjoint = transform.inverse_adjoint`` (``W⁻ᵀ``), so a
    synthesis-form data term ``½‖H W⁻¹ α − y‖²`` is ``LeastSquares(Composition(H, Synthesis(W)), y)``.
    ``lipschitz_constant()`` is ``‖W⁻¹‖²`` by the power method plus a 1 % margin (computed once):
    an upper bound in practice, not a proof.
    """

    def __init__(self, transform, *, shape=None):
        self.transform = transform
        self.shape = tuple(shape if shape is not None else transform.shape)
        self._norm_sq = None

    def forward(self, coefs: np.ndarray) -> np.ndarray:
        return self.transform.inverse(coefs)

    def adjoint(self, x: np.ndarray) -> np.ndarray:
        return self.transform.inverse_adjoint(x)

    def lipschitz_constant(self) -> float:
        if self._norm_sq is None:
            self._norm_sq = 1.01 * power_norm_sq(self, self.shape)
        return self._norm_sq

    def __repr__(self) -> str:
        return f"Synthesis({self.transform!r})"

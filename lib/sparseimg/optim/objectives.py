"""Data terms ``f`` for the solvers.

A smooth term is an object with

- ``value(x) -> float`` and ``grad(x) -> ndarray`` (a new array the caller may modify);
- ``value_and_grad(x) -> (float, ndarray)``, sharing work between the two;
- ``lipschitz_constant() -> float``, a bound on the Lipschitz constant of ``∇f``;
- ``affine_gradient: bool``: True when ``∇f`` is affine (``f`` quadratic), which
  lets FISTA extrapolate gradients instead of recomputing them;
- ``fourier_form()``: the named Fourier arrays of a fused loop, or None
  (:class:`sparseimg.contracts.SmoothTerm` is the contract, written as a type).

Quadratic terms also offer what :func:`~sparseimg.optim.solvers.conjugate_gradient` needs:
``normal(x)``, ``adjoint_data`` and ``residual_norm_sq()``.

Terms here: :class:`LeastSquares` ``½‖A x − b‖² (+ ½ ridge ‖x‖²)`` for any operator of
:mod:`sparseimg.operators` (the operator supplies its own fast path);
:class:`GradientTikhonov` ``½‖A u − b‖² + ½ λ‖∇u‖²``; and the section-2 document's
:class:`SquareRootLoss` ``sqrt(½‖A u − b‖²) + μ sqrt(½‖∇u‖²)`` (convex, not
quadratic, with an exact Hessian-vector product).
"""

from __future__ import annotations

import math

import numpy as np

from sparseimg.contracts import FourierDataTerm, SmoothTermBase
from sparseimg._linalg import inner, sq_norm
from sparseimg._validate import check_array, check_real
from sparseimg.operators.gradient import GRADIENT_NORM_SQ_BOUND, gradient, gradient_adjoint

__all__ = ["LeastSquares", "GradientTikhonov", "SquareRootLoss", "implicit_tikhonov_weight"]


class LeastSquares(SmoothTermBase):
    """``f(x) = ½ ‖A x − b‖² + ½ ridge ‖x‖²``.

    Parameters
    ----------
    operator : sparseimg.operators.LinearOperator
        ``A``. The data term is computed by the operator's own
        ``prepare_data``/``residual_value_and_grad`` (for a
        :class:`~sparseimg.operators.FourierConvolution`: ``Aᵀb`` and ``|H|²`` precomputed,
        value and gradient from one FFT pair, the value by Parseval).
    data : ndarray
        Observation ``b``.
    ridge : float, default 0
        Optional Tikhonov weight.
    """

    affine_gradient = True

    def __init__(self, operator, data: np.ndarray, *, ridge: float = 0.0):
        self.operator = operator
        self.ridge = check_real("ridge", ridge, low=0.0)
        self._prepared = operator.prepare_data(data)
        self.data = self._prepared.data

    def fourier_form(self) -> FourierDataTerm | None:
        """The operator's fused Fourier form of this data term (None with a ridge or a plain operator)."""
        return None if self.ridge else self.operator.fourier_data_term(self._prepared)

    @property
    def adjoint_data(self) -> np.ndarray:
        """``Aᵀ b`` (computed once)."""
        return self.operator.adjoint_data(self._prepared)

    def lipschitz_constant(self) -> float:
        return self.operator.lipschitz_constant() + self.ridge

    def _ridge_value(self, x):
        return 0.5 * self.ridge * sq_norm(x) if self.ridge else 0.0

    def value(self, x: np.ndarray) -> float:
        return self.operator.residual_value(x, self._prepared) + self._ridge_value(x)

    def grad(self, x: np.ndarray) -> np.ndarray:
        g = self.operator.residual_grad(x, self._prepared)
        return g + self.ridge * x if self.ridge else g

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        value, g = self.operator.residual_value_and_grad(x, self._prepared)
        if self.ridge:
            return value + self._ridge_value(x), g + self.ridge * x
        return value, g

    def normal(self, x: np.ndarray) -> np.ndarray:
        """``(AᵀA + ridge I) x`` — the system matrix of the normal equations."""
        out = self.operator.normal(x)
        return out + self.ridge * x if self.ridge else out

    def residual_norm_sq(self) -> float:
        """``‖b‖²``."""
        return sq_norm(self.data)


def _sqrt_term(q: float, g: np.ndarray, mv: np.ndarray | None, v: np.ndarray | None):
    """Value, gradient and Hessian-vector product of ``sqrt(q)`` given ``∇q = g``, ``∇²q v = mv``."""
    s = math.sqrt(q)
    if s == 0.0:  # the norm is not differentiable at 0: take the zero subgradient
        return 0.0, np.zeros_like(g), (None if v is None else np.zeros_like(g))
    grad = g / (2.0 * s)
    if v is None:
        return s, grad, None
    hv = mv / (2.0 * s) - g * (inner(g, v) / (4.0 * q * s))
    return s, grad, hv


class SquareRootLoss(SmoothTermBase):
    """The document's loss ``F(u) = sqrt(½‖A u − b‖²) + μ sqrt(½‖∇u‖²)``.

    Parameters
    ----------
    operator
        Blur operator with ``forward``/``adjoint`` on ``(n0, n1)`` images
        (normally :class:`LinearConvolution`).
    data : ndarray, shape (n0, n1)
        Blurred image ``b``.
    mu : float
        Weight of the smoothness term (the document: 0.2).

    Notes
    -----
    With ``q(u)`` a quadratic, ``∇ sqrt(q) = ∇q / (2 sqrt q)`` and
    ``∇² sqrt(q) = ∇²q / (2 sqrt q) − ∇q ∇qᵀ / (4 q^{3/2})``; here
    ``q_data = ½‖Au − b‖²`` (``∇q = Aᵀr``, ``∇²q = AᵀA``) and
    ``q_smooth = ½‖∇u‖²`` (``∇q = ∇ᵀ∇u``, ``∇²q = ∇ᵀ∇``). Where a norm is 0 the zero
    subgradient is used. Every method accepts ``u`` flat (``(n0 n1,)``, as
    ``scipy.optimize`` passes it) or 2-D and answers in the same shape.
    """

    def __init__(self, operator, data: np.ndarray, mu: float):
        self.operator = operator
        self.shape = tuple(operator.shape)
        self.data = check_array("data", data, shape=self.shape).astype(np.float64)
        self.mu = check_real("mu", mu, low=0.0)

    def _image(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=np.float64)
        if u.shape != self.shape and u.shape != (self.shape[0] * self.shape[1],):
            raise ValueError(f"u has shape {u.shape}: expected {self.shape} or ({self.shape[0] * self.shape[1]},)")
        return u.reshape(self.shape)

    def _terms(self, u2: np.ndarray, v2: np.ndarray | None):
        r = self.operator.forward(u2) - self.data
        q_data = 0.5 * sq_norm(r)
        g_data = self.operator.adjoint(r)
        mv_data = None if v2 is None else self.operator.normal(v2)
        s_data, grad_data, hv_data = _sqrt_term(q_data, g_data, mv_data, v2)
        du = gradient(u2)
        q_smooth = 0.5 * sq_norm(du)
        g_smooth = gradient_adjoint(du)
        mv_smooth = None if v2 is None else gradient_adjoint(gradient(v2))
        s_smooth, grad_smooth, hv_smooth = _sqrt_term(q_smooth, g_smooth, mv_smooth, v2)
        value = s_data + self.mu * s_smooth
        grad = grad_data + self.mu * grad_smooth
        hv = None if v2 is None else hv_data + self.mu * hv_smooth
        return value, grad, hv

    def value(self, u: np.ndarray) -> float:
        """``F(u)``."""
        u2 = self._image(u)
        r = self.operator.forward(u2) - self.data
        du = gradient(u2)
        return math.sqrt(0.5 * sq_norm(r)) + self.mu * math.sqrt(0.5 * sq_norm(du))

    def grad(self, u: np.ndarray) -> np.ndarray:
        """``∇F(u)`` (FFT-based, two FFT pairs)."""
        return self._terms(self._image(u), None)[1].reshape(np.shape(u))

    def value_and_grad(self, u: np.ndarray) -> tuple[float, np.ndarray]:
        """``(F(u), ∇F(u))`` sharing the residual."""
        value, grad, _ = self._terms(self._image(u), None)
        return value, grad.reshape(np.shape(u))

    def hessp(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Hessian-vector product ``∇²F(u) v`` (exact; see Notes)."""
        _, _, hv = self._terms(self._image(u), self._image(v))
        return hv.reshape(np.shape(v))

    def residual_and_gradient_norms(self, u: np.ndarray) -> tuple[float, float]:
        """``(‖A u − b‖, ‖∇u‖)``."""
        u2 = self._image(u)
        return float(np.linalg.norm(self.operator.forward(u2) - self.data)), float(np.linalg.norm(gradient(u2)))


class GradientTikhonov(SmoothTermBase):
    """Squared loss ``f(u) = ½‖A u − b‖² + ½ lam ‖∇u‖²`` (a quadratic smooth term).

    Implements the smooth-term protocol of :mod:`sparseimg.optim.objectives` and what
    :func:`sparseimg.optim.solvers.conjugate_gradient` needs (``normal``,
    ``adjoint_data``, ``residual_norm_sq``).

    Parameters
    ----------
    operator
        Blur operator (``forward``, ``adjoint``, ``lipschitz_constant``).
    data : ndarray, shape (n0, n1)
    lam : float
        Weight of the smoothness term, ``>= 0``.
    """

    affine_gradient = True

    def __init__(self, operator, data: np.ndarray, lam: float):
        self.operator = operator
        self.data = check_array("data", data, shape=tuple(operator.shape)).astype(np.float64)
        self.lam = check_real("lam", lam, low=0.0)
        self.adjoint_data = operator.adjoint(self.data)

    def lipschitz_constant(self) -> float:
        return self.operator.lipschitz_constant() + self.lam * GRADIENT_NORM_SQ_BOUND

    def value_and_grad(self, u: np.ndarray) -> tuple[float, np.ndarray]:
        r = self.operator.forward(u) - self.data
        du = gradient(u)
        value = 0.5 * sq_norm(r) + 0.5 * self.lam * sq_norm(du)
        return value, self.operator.adjoint(r) + self.lam * gradient_adjoint(du)

    def value(self, u: np.ndarray) -> float:
        return self.value_and_grad(u)[0]

    def grad(self, u: np.ndarray) -> np.ndarray:
        return self.value_and_grad(u)[1]

    def normal(self, u: np.ndarray) -> np.ndarray:
        """``(AᵀA + lam ∇ᵀ∇) u``."""
        return self.operator.normal(u) + self.lam * gradient_adjoint(gradient(u))

    def residual_norm_sq(self) -> float:
        """``‖b‖²``."""
        return sq_norm(self.data)


def implicit_tikhonov_weight(loss: SquareRootLoss, u: np.ndarray) -> float:
    """``λ* = μ ‖A u − b‖ / ‖∇u‖``: the Tikhonov weight whose minimizer is ``u``.

    At the minimizer ``u`` of the document's :class:`SquareRootLoss`, ``u`` also
    minimizes :class:`GradientTikhonov` with ``lam = λ*`` (see the module
    docstring).
    """
    r_norm, g_norm = loss.residual_and_gradient_norms(u)
    if g_norm == 0:
        raise ValueError("u is constant (‖∇u‖ = 0): the implicit weight is undefined")
    return loss.mu * r_norm / g_norm

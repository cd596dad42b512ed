"""Isotropic total variation and its prox.

With ``∇`` the forward-difference gradient of :mod:`sparseimg.operators.gradient`
(Neumann boundary, ``‖∇‖² <= 8``), the isotropic total variation is
``TV(u) = Σ_ij sqrt((∇u)[0,i,j]² + (∇u)[1,i,j]²)``.

The prox of ``w · TV`` has no closed form. Following Beck & Teboulle (2009, "Fast
gradient-based algorithms for constrained total variation image denoising and
deblurring problems"), it is computed from the dual problem::

    prox_{w TV}(x) = x − ∇ᵀq*,   q* = argmin_{|q_ij|₂ <= w} ½ ‖∇ᵀq − x‖²,

a smooth quadratic (gradient ``∇(∇ᵀq − x)``, Lipschitz constant 8) plus the
indicator of a product of discs, solved by FISTA through the library's one
proximal-gradient core, :func:`sparseimg.optim.solvers.proximal_gradient`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sparseimg.contracts import PenaltyBase, SmoothTermBase
from sparseimg._linalg import sq_norm
from sparseimg._validate import check_array, check_int, check_real
from sparseimg.operators.gradient import GRADIENT_NORM_SQ_BOUND, gradient, gradient_adjoint
from sparseimg.optim.solvers import proximal_gradient

__all__ = [
    "total_variation",
    "DiscBallIndicator",
    "DualTVObjective",
    "tv_prox",
    "TotalVariation",
]


def total_variation(u: np.ndarray) -> float:
    """Isotropic total variation ``Σ |∇u|₂`` of a 2-D image (same units as ``u``)."""
    g = gradient(u)
    return float(np.sqrt(g[0] ** 2 + g[1] ** 2).sum())


@dataclass(frozen=True)
class DiscBallIndicator(PenaltyBase):
    """Indicator of ``{q : |q[:, i, j]|₂ <= radius for all i, j}``; its prox is the projection.

    A penalty in the sense of :mod:`sparseimg.optim.prox` acting on fields of shape
    ``(2, n0, n1)``.
    """

    radius: float

    def __post_init__(self):
        check_real("radius", self.radius, low=0.0)

    def value(self, q: np.ndarray) -> float:
        norms = np.sqrt(q[0] ** 2 + q[1] ** 2)
        return 0.0 if np.all(norms <= self.radius * (1 + 1e-12)) else np.inf

    def prox(self, q: np.ndarray, step: float) -> np.ndarray:
        norms = np.sqrt(q[0] ** 2 + q[1] ** 2)
        if self.radius == 0:
            return np.zeros_like(q)
        scale = np.maximum(norms / self.radius, 1.0)
        return q / scale


class DualTVObjective(SmoothTermBase):
    """Smooth dual term ``h(q) = ½ ‖∇ᵀq − x‖²`` of the TV prox at ``x``.

    Follows the smooth-term protocol of :mod:`sparseimg.optim.objectives`: ``value``,
    ``grad``, ``value_and_grad``, ``lipschitz_constant()`` (``‖∇‖² <= 8``) and
    ``affine_gradient = True``.

    Parameters
    ----------
    x : ndarray, shape (n0, n1)
        Point at which the prox is evaluated.
    """

    affine_gradient = True

    def __init__(self, x: np.ndarray):
        self.x = check_array("x", x, ndim=2)

    def lipschitz_constant(self) -> float:
        return GRADIENT_NORM_SQ_BOUND

    def value(self, q: np.ndarray) -> float:
        r = gradient_adjoint(q) - self.x
        return 0.5 * sq_norm(r)

    def grad(self, q: np.ndarray) -> np.ndarray:
        return gradient(gradient_adjoint(q) - self.x)

    def value_and_grad(self, q: np.ndarray) -> tuple[float, np.ndarray]:
        r = gradient_adjoint(q) - self.x
        return 0.5 * sq_norm(r), gradient(r)


def tv_prox(x: np.ndarray, weight: float, *, n_iter: int = 50, tol: float = 1e-5) -> np.ndarray:
    """``prox_{weight · TV}(x) = argmin_z ½‖z − x‖² + weight · TV(z)``.

    Computed by FISTA on the dual (see the module docstring) through
    :func:`sparseimg.optim.solvers.proximal_gradient`, started from ``q = 0``
    (so the result depends only on the arguments).

    Parameters
    ----------
    x : ndarray, shape (n0, n1)
    weight : float
        ``>= 0``; 0 returns a copy of ``x``.
    n_iter : int
        Maximum number of dual FISTA iterations.
    tol : float
        Stop when the relative change of the dual variable falls below ``tol``.

    Returns
    -------
    ndarray, shape (n0, n1)
    """
    x = check_array("x", x, ndim=2)
    weight = check_real("weight", weight, low=0.0)
    n_iter = check_int("n_iter", n_iter, low=1)
    if weight == 0:
        return np.array(x, dtype=x.dtype if x.dtype.kind == "f" else np.float64)
    q0 = np.zeros((2,) + x.shape, dtype=x.dtype if x.dtype.kind == "f" else np.float64)
    q, _ = proximal_gradient(DualTVObjective(x), DiscBallIndicator(weight), q0,
                             step=1.0 / GRADIENT_NORM_SQ_BOUND, n_iter=n_iter, tol=tol,
                             accelerate=True, track=False)
    return x - gradient_adjoint(q)


@dataclass(frozen=True)
class TotalVariation(PenaltyBase):
    """Penalty ``g(u) = lam · TV(u)`` with an inexact prox (dual FISTA).

    A penalty in the sense of :mod:`sparseimg.optim.prox`, for 2-D images.

    Parameters
    ----------
    lam : float
        Weight, ``>= 0`` (units of the data term per unit of TV).
    n_iter : int
        Dual iterations per prox evaluation.
    tol : float
        Relative-change tolerance of the dual iterations.
    """

    lam: float
    n_iter: int = 50
    tol: float = 1e-5

    def __post_init__(self):
        check_real("lam", self.lam, low=0.0)
        check_int("n_iter", self.n_iter, low=1)
        check_real("tol", self.tol, low=0.0)

    def value(self, u: np.ndarray) -> float:
        return float(self.lam) * total_variation(u)

    def prox(self, u: np.ndarray, step: float) -> np.ndarray:
        return tv_prox(u, self.lam * step, n_iter=self.n_iter, tol=self.tol)

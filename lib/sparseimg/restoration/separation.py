"""Separation of a mixed image with side information and an exclusion term.

The model (after Pu, Huang et al., "Mixed X-Ray Image Separation for Artworks with Concealed
Designs", arXiv 2201.09167, 2022): a measured image is the sum of two images, ``x = x₁ + x₂``;
both are sparse in one convolutional dictionary, ``x₁ = D z₁``, ``x₂ = D z₂``; a second modality
``s`` (an RGB view of ``x₁``) shares ``x₁``'s code through its own dictionary,
``s_c = D (g_c ⊙ z₁)`` (every atom has a colour: the gains ``g_{c,k}``); and the edges of the two
parts should not coincide (exclusion term). The separation minimizes

.. math::

    ½‖x − D z₁ − D z₂‖² + \\frac{α}{2} \\sum_c ‖s_c − D(g_c ⊙ z₁)‖² + β E(D z₁, D z₂)
    + λ (‖z₁‖₁ + ‖z₂‖₁),

with :math:`E(x₁, x₂) = \\sum_p |∇x₁(p)|² |∇x₂(p)|²` (the squared product of the gradient
magnitudes: smooth, zero when the edges do not overlap), by accelerated proximal gradient
(:func:`sparseimg.optim.solvers.proximal_gradient`) with autograd gradients of the smooth part.

Pieces:

- :func:`dct_filter_bank` — the ``f²`` two-dimensional DCT-II atoms of size ``f × f`` scaled by
  ``1/f``: as a convolutional synthesis they form a Parseval frame (``D Dᵀ = I``);
- :class:`FilterBankSynthesis` — ``z (K, H, W) ↦ Σ_k d_k ⊛ z_k`` (circular, by real FFTs of the
  library's :func:`~sparseimg.operators.fourier.transfer_from_kernel`), a linear operator of
  the library's protocol, and :func:`synthesize`, the same map as an autograd primitive whose
  vector-Jacobian product is the adjoint;
- :func:`exclusion` — the exclusion term;
- :func:`learn_side_gains` — the gains ``g`` from a *training* pair (its code by FISTA, then
  least squares per colour channel);
- :func:`separate` — the separation (``alpha = 0``: no side information; ``beta = 0``: no
  exclusion term).
"""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
from autograd.extend import defvjp, primitive

from sparseimg.contracts import SmoothTermBase
from sparseimg._validate import check_int, check_real
from sparseimg.operators.filterbank import FilterBankSynthesis

__all__ = ["dct_filter_bank", "FilterBankSynthesis", "synthesize", "exclusion", "learn_side_gains",
           "separate", "separation_lipschitz", "SeparationResult", "colour_atoms"]


def dct_filter_bank(size: int) -> np.ndarray:
    """The ``size²`` separable DCT-II atoms of ``size × size`` pixels, scaled by ``1/size``.

    Atom 0 is the constant (DC) atom. Used as convolution filters, the bank is a Parseval
    frame: ``Σ_k |d̂_k(ω)|² = 1`` at every frequency.

    Returns
    -------
    (size², size, size) ndarray
    """
    size = check_int("size", size, low=1)
    n = np.arange(size)
    basis = np.cos(np.pi * (n[None, :] + 0.5) * n[:, None] / size)  # (frequency, position)
    basis[0] *= np.sqrt(1.0 / size)
    basis[1:] *= np.sqrt(2.0 / size)
    atoms = np.einsum("ai,bj->abij", basis, basis).reshape(size * size, size, size)
    return atoms / size


def colour_atoms(filters: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """``(C, K, f0, f1)`` colour atoms ``g_{c,k} d_k`` from grey filters ``(K, f0, f1)`` and gains ``(C, K)``."""
    return np.asarray(gains)[:, :, None, None] * np.asarray(filters)[None]


@primitive
def synthesize(z, operator: FilterBankSynthesis):
    """``operator.forward(z)`` as an autograd primitive (its VJP is ``operator.adjoint``)."""
    return operator.forward(z)


defvjp(synthesize, lambda ans, z, operator: lambda g: operator.adjoint(g))


def _grad_sq(x):
    """``|∇x|²`` with forward differences (zero across the last row/column)."""
    dy = anp.concatenate([x[1:] - x[:-1], anp.zeros((1, x.shape[1]))], axis=0)
    dx = anp.concatenate([x[:, 1:] - x[:, :-1], anp.zeros((x.shape[0], 1))], axis=1)
    return dy * dy + dx * dx


def exclusion(x1, x2):
    """``Σ_p |∇x₁(p)|² |∇x₂(p)|²`` (autograd-traceable)."""
    return anp.sum(_grad_sq(x1) * _grad_sq(x2))


#: Step-size rule of the exclusion term: its curvature counted as
#: ``EXCLUSION_CURVATURE · max|∇x|² · ‖D‖²`` (the bound with 16 in place of this factor is safe but
#: makes the steps needlessly small; measured: the iterations stay monotone at this value).
EXCLUSION_CURVATURE = 16.0


def _dc_weights(n_filters: int, shape) -> np.ndarray:
    w = np.ones((n_filters,) + tuple(shape))
    w[0] = 0.0  # the constant atom carries the local mean: not penalized
    return w


def learn_side_gains(image: np.ndarray, side: np.ndarray, operator: FilterBankSynthesis, *, lam: float,
                     n_iter: int = 100) -> np.ndarray:
    """Per-atom colour gains ``g_{c,k}`` with ``side_c ≈ D(g_c ⊙ z)`` on a training pair.

    ``z`` is the sparse code of ``image`` (FISTA on ``½‖image − D z‖² + λ‖z‖₁``, the constant
    atom unpenalized); each channel's gains are the least-squares fit of ``side_c`` by the
    ``K`` partial syntheses ``d_k ⊛ z_k``.

    Parameters
    ----------
    image : (H, W) ndarray
    side : (H, W, C) ndarray
    operator : FilterBankSynthesis
    lam : float

    Returns
    -------
    (C, K) ndarray
    """
    lam = check_real("lam", lam, low=0.0)
    side = np.asarray(side, dtype=np.float64)
    if side.ndim != 3 or side.shape[:2] != operator.shape:
        raise ValueError(f"side has shape {side.shape}: expected {operator.shape + ('C',)}")
    k = len(operator.filters)
    weights = lam * _dc_weights(k, operator.shape)
    z = _prox_fista(operator, image, weights, operator.adjoint(image), n_iter)
    parts = np.stack([operator.forward(np.where(np.arange(k)[:, None, None] == j, z, 0.0)) for j in range(k)])
    design = parts.reshape(k, -1).T
    gains, *_ = np.linalg.lstsq(design, side.reshape(-1, side.shape[2]), rcond=None)
    return gains.T


def _prox_fista(operator, image, weights, z0, n_iter):
    from sparseimg.optim.objectives import LeastSquares
    from sparseimg.optim.prox import L1Norm
    from sparseimg.optim.solvers import proximal_gradient

    z, _ = proximal_gradient(LeastSquares(operator, np.asarray(image, dtype=np.float64)), L1Norm(weights), z0,
                             n_iter=n_iter, tol=0.0, accelerate=True, track=False)
    return z


def separation_lipschitz(mixture: np.ndarray, operator: FilterBankSynthesis, gains: np.ndarray | None, alpha: float,
                         beta: float) -> float:
    """Curvature bound of the smooth part of :func:`separate`'s objective (its default step is the inverse).

    ``2‖D‖²`` (data term) ``+ α ‖D_side‖²`` (colour atoms; needs ``gains`` when ``alpha > 0``)
    ``+ β · EXCLUSION_CURVATURE · max|∇x|² · ‖D‖²`` (exclusion, with the mixture's gradients).
    """
    frame = operator.lipschitz_constant()
    bound = 2.0 * frame
    if alpha > 0:
        bound += alpha * FilterBankSynthesis(colour_atoms(operator.filters, gains), operator.shape).lipschitz_constant()
    if beta > 0:
        bound += beta * EXCLUSION_CURVATURE * float(np.max(_grad_sq(np.asarray(mixture, dtype=np.float64)))) * frame
    return bound


class _SmoothPart(SmoothTermBase):
    """The smooth part of the separation objective, with autograd gradients (solver protocol)."""

    affine_gradient = False

    def __init__(self, fun, lipschitz):
        from autograd import value_and_grad

        self._fun = fun
        self._vg = value_and_grad(fun)
        self._lipschitz = lipschitz

    def value(self, v):
        return float(self._fun(v))

    def grad(self, v):
        return self._vg(v)[1]

    def value_and_grad(self, v):
        value, g = self._vg(v)
        return float(value), g

    def lipschitz_constant(self):
        return self._lipschitz


class SeparationResult:
    """``x1``, ``x2`` (the two images), the codes and the solver history."""

    def __init__(self, x1, x2, codes, history):
        self.x1, self.x2, self.codes, self.history = x1, x2, codes, history


def separate(mixture: np.ndarray, operator: FilterBankSynthesis, *, side: np.ndarray | None = None,
             gains: np.ndarray | None = None, lam: float, alpha: float, beta: float, n_iter: int = 300,
             lipschitz: float | None = None, progress: bool = False) -> SeparationResult:
    """Split ``mixture = x₁ + x₂`` (see the module docstring for the objective).

    Parameters
    ----------
    mixture : (H, W) ndarray
    operator : FilterBankSynthesis
        The dictionary ``D`` of both parts.
    side : (H, W, C) ndarray, optional
        Side information about ``x₁`` (needed when ``alpha > 0``).
    gains : (C, K) ndarray, optional
        Colour gains of the side dictionary (:func:`learn_side_gains`).
    lam, alpha, beta : float
        ℓ1 weight, side-information weight (0: none), exclusion weight (0: none).
    n_iter : int
        FISTA iterations from the naive split ``x₁ = x₂ = x/2``.
    lipschitz : float, optional
        Curvature bound of the smooth part (step ``1/lipschitz``); default
        :func:`separation_lipschitz` of these weights. Ablations pass one common value, so that
        they differ by their terms only, not by their step sizes.

    Returns
    -------
    SeparationResult
    """
    from sparseimg.optim.prox import L1Norm
    from sparseimg.optim.solvers import proximal_gradient

    lam = check_real("lam", lam, low=0.0)
    alpha = check_real("alpha", alpha, low=0.0)
    beta = check_real("beta", beta, low=0.0)
    mixture = np.asarray(mixture, dtype=np.float64)
    k = len(operator.filters)
    if alpha > 0:
        if side is None or gains is None:
            raise ValueError(f"alpha={alpha!r} > 0 needs side and gains: got side={side is not None}, "
                             f"gains={gains is not None}")
        side = np.asarray(side, dtype=np.float64)
        gains = np.asarray(gains, dtype=np.float64)
        if gains.shape != (side.shape[2], k):
            raise ValueError(f"gains has shape {gains.shape}: expected (channels, filters) = {(side.shape[2], k)}")
        side_cf = np.moveaxis(side, 2, 0)
        # x₁ and the side prediction from one transform of z₁: channel 0 is the grey atom
        joint = FilterBankSynthesis(colour_atoms(operator.filters, np.vstack([np.ones((1, k)), gains])),
                                    operator.shape)

    def smooth(v):
        z1, z2 = v[:k], v[k:]
        x2 = synthesize(z2, operator)
        if alpha > 0:
            both = synthesize(z1, joint)
            x1 = both[0]
            rs = side_cf - both[1:]
        else:
            x1 = synthesize(z1, operator)
        r = mixture - x1 - x2
        value = 0.5 * anp.sum(r * r)
        if alpha > 0:
            value = value + 0.5 * alpha * anp.sum(rs * rs)
        if beta > 0:
            value = value + beta * exclusion(x1, x2)
        return value

    if lipschitz is None:
        lipschitz = separation_lipschitz(mixture, operator, gains if alpha > 0 else None, alpha, beta)
    lipschitz = check_real("lipschitz", lipschitz, low=0.0, low_open=True)
    weights = lam * np.concatenate([_dc_weights(k, operator.shape)] * 2)
    half = operator.adjoint(0.5 * mixture)
    v0 = np.concatenate([half, half])
    v, history = proximal_gradient(_SmoothPart(smooth, lipschitz), L1Norm(weights), v0, n_iter=n_iter, tol=0.0,
                                   accelerate=True, track=False, progress=progress, desc="separation")
    x1 = operator.forward(v[:k])
    return SeparationResult(x1, operator.forward(v[k:]), v, history)

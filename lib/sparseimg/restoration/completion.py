"""Low-rank matrix completion of images: masked factorizations and nuclear-norm completion.

An image ``A`` of shape ``(n0, n1, C)`` (or ``(n0, n1)``) has its pixels missing on a
boolean mask (see :mod:`sparseimg.operators.mask`); every method sees the observed
pixels only.

- :func:`adam_factorize` — the section-4 document's method: per channel ``A_c ≈ W_c H_c``
  of rank ``r`` fitted on the observed entries by Adam (gradients from autograd), loss
  ``‖(W_c H_c − A_c)[observed]‖_F``; the channels are fitted in one vectorized problem
  (a sum of per-channel terms with disjoint parameters: exactly ``C`` independent fits).
- :func:`als_factorize` — alternating ridge regressions, every row's ``r × r`` system
  solved at once by a batched ``numpy.linalg.solve``.
- :func:`soft_impute` / :func:`soft_impute_path` — ``min ½‖P_Ω(X − A)‖² + λ‖X‖_*`` by
  the library's proximal-gradient core with :class:`~sparseimg.optim.prox.NuclearNorm`
  (Mazumder, Hastie & Tibshirani 2010; FISTA momentum by default).
- :func:`als_inpaint`, :func:`soft_impute_inpaint` — the same with rank, ridge or λ chosen
  on held-out observed pixels (:mod:`sparseimg.restoration.selection`).

Shapes: public functions take images channel-last and return the same layout; factors
work channel-first ``(C, n0, n1)``.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from sparseimg._validate import check_int, check_real
from sparseimg.optim.objectives import LeastSquares
from sparseimg.operators.mask import (MaskOperator, apply_mask, channels_to_image, keep_observed, observed_channels,
                             observed_means)
from sparseimg.optim.prox import NuclearNorm
from sparseimg.restoration.selection import select_along_path, select_by_holdout
from sparseimg.optim.solvers import History, adam_minimize, proximal_gradient

__all__ = ["Factorization", "reconstruct", "adam_factorize", "als_factorize", "soft_impute_path", "soft_impute",
           "als_inpaint", "soft_impute_inpaint"]


class Factorization(NamedTuple):
    """Per-channel factors ``A_c ≈ W_c H_c + offset_c``.

    Attributes
    ----------
    w : ndarray, shape (C, n0, r)
    h : ndarray, shape (C, r, n1)
    offset : ndarray, shape (C,)
        Per-channel constant added back (the observed mean when fitted centred).
    losses : ndarray, shape (n_iter,)
        The training loss after each iteration (sum over channels).
    """

    w: np.ndarray
    h: np.ndarray
    offset: np.ndarray
    losses: np.ndarray


def reconstruct(factorization: Factorization, *, channel_last: bool = True) -> np.ndarray:
    """``clip(W_c H_c + offset_c, 0, 1)`` stacked over channels.

    Returns
    -------
    ndarray, shape (n0, n1, C) (or (C, n0, n1) with ``channel_last=False``), float64
    """
    w, h, offset = factorization.w, factorization.h, factorization.offset
    out = np.matmul(w.astype(np.float64), h.astype(np.float64)) + np.asarray(offset, dtype=np.float64)[:, None, None]
    out = np.clip(out, 0.0, 1.0)
    return np.moveaxis(out, 0, -1) if channel_last else out


def adam_factorize(image, missing, rank: int, *, n_iter: int = 1000, learning_rate: float = 0.01,
                   init_scale: float = 1.0, seed: int | np.random.Generator = 0,
                   dtype=np.float32) -> Factorization:
    """The document's method: per channel ``A_c ≈ W_c H_c`` fitted on observed entries by Adam.

    Minimizes ``Σ_c ‖(W_c H_c − A_c)[observed]‖_F`` (the Frobenius norm, not its square,
    as in the document) from ``W, H ~ init_scale · N(0, 1)``; gradients come from
    autograd. The channels share nothing but the mask, so the vectorized fit is
    exactly ``C`` independent fits.

    Parameters
    ----------
    image : ndarray, shape (n0, n1, C) or (n0, n1)
        Values at missing pixels are ignored (may be NaN).
    missing : ndarray of bool, shape (n0, n1)
    rank : int
        Inner dimension ``r`` (the document uses 50, 100, 300, 500).
    n_iter : int
        Adam steps (document: 1000).
    learning_rate : float
        Document: 0.01.
    init_scale : float
        Standard deviation of the random start (document: 1).
    seed : int or Generator
    dtype : float32 or float64
        Working precision (the document's PyTorch code runs in float32).

    Returns
    -------
    Factorization
        ``offset`` is zero (the document does not centre); ``losses`` sums the channels.
    """
    import autograd.numpy as anp
    from autograd import value_and_grad

    rank = check_int("rank", rank, low=1)
    init_scale = check_real("init_scale", init_scale, low=0.0, low_open=True)
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype={dtype!r} is not allowed: expected float32 or float64")
    data, missing, _ = observed_channels(image, missing, dt)
    n_ch, n0, n1 = data.shape
    observed = (~missing).astype(dt)
    rng = np.random.default_rng(seed)
    w0 = (init_scale * rng.standard_normal((n_ch, n0, rank))).astype(dt)
    h0 = (init_scale * rng.standard_normal((n_ch, rank, n1))).astype(dt)

    def loss(params):
        w, h = params
        resid = anp.matmul(w, h) * observed - data
        return anp.sum(anp.sqrt(anp.sum(resid * resid, axis=(1, 2))))

    (w, h), losses = adam_minimize(value_and_grad(loss), [w0, h0], learning_rate=learning_rate, n_iter=n_iter)
    return Factorization(w, h, np.zeros(n_ch), losses)


def _masked_gram(weights: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """``G[i] = Σ_j weights[i, j] f_j f_jᵀ`` for all rows i, shape ``(n_rows, r, r)``.

    ``weights`` (n_rows, n) is the 0/1 observed mask, ``factor`` (n, r). One matrix
    product of the mask with the stacked upper triangles of the outer products
    ``f_j f_jᵀ`` (``r(r+1)/2`` columns, chunked over ``n`` so that memory stays
    ``O(chunk · r²)``), in the precision of ``weights``: ``O(n_rows · n · r² / 2)``
    flops in BLAS. The result is float64.
    """
    n, r = factor.shape
    upper0, upper1 = np.triu_indices(r)
    packed = np.zeros((weights.shape[0], upper0.size), dtype=weights.dtype)
    f_all = factor.astype(weights.dtype, copy=False)
    chunk = max(1, 4_000_000 // upper0.size)
    for start in range(0, n, chunk):
        f = f_all[start:start + chunk]
        packed += weights[:, start:start + chunk] @ (f[:, upper0] * f[:, upper1])
    # gather the symmetric matrices back from their packed upper triangles
    unpack = np.empty((r, r), dtype=np.intp)
    unpack[upper0, upper1] = np.arange(upper0.size)
    unpack[upper1, upper0] = np.arange(upper0.size)
    return np.take(packed.astype(np.float64), unpack.ravel(), axis=1).reshape(-1, r, r)


def _ridge_rows(data: np.ndarray, weights: np.ndarray, factor: np.ndarray, ridge: float) -> np.ndarray:
    """Solve, for every row i, ``(Σ_j obs_ij f_j f_jᵀ + ridge I) w_i = Σ_j obs_ij a_ij f_j``.

    ``data`` (n_rows, n) is zero at missing entries; ``factor`` (n, r); ``weights`` the
    0/1 observed mask (its dtype sets the precision of the Gram products). Returns
    (n_rows, r), float64.
    """
    r = factor.shape[1]
    gram = _masked_gram(weights, factor)
    gram.reshape(gram.shape[0], r * r)[:, ::r + 1] += ridge
    rhs = data @ factor
    return np.linalg.solve(gram, rhs[..., None])[..., 0]


def als_factorize(image, missing, rank: int, *, ridge: float = 1.0, n_iter: int = 5,
                  init_scale: float = 0.1, center: bool = True, gram_dtype=np.float32,
                  seed: int | np.random.Generator = 0) -> Factorization:
    """Masked low-rank factorization by alternating ridge regressions (ALS).

    Minimizes, per channel, ``½ Σ_observed (a_ij − w_iᵀ h_j)² + ½ ridge (‖W‖² + ‖H‖²)``.
    With ``H`` fixed each row ``w_i`` solves the ``r × r`` normal equations
    ``(Σ_{j observed} h_j h_jᵀ + ridge I) w_i = Σ_{j observed} a_ij h_j``; all rows are
    solved in one batched ``numpy.linalg.solve``, then all columns of ``H`` likewise.
    The Gram matrices of all rows come from one matrix product of the 0/1 mask with
    the stacked outer products ``h_j h_jᵀ`` (their upper triangles), so a sweep costs
    ``O(n0 n1 r² + (n0 + n1) r³)`` flops, almost all in BLAS. That product runs in
    ``gram_dtype`` (float32 by default: twice as fast, and the ridge keeps the
    float64 solves well conditioned); everything else is float64.

    Parameters
    ----------
    image : ndarray, shape (n0, n1, C) or (n0, n1)
        Values at missing pixels are ignored.
    missing : ndarray of bool, shape (n0, n1)
    rank : int
    ridge : float
        Ridge weight (> 0 keeps every normal system positive definite).
    n_iter : int
        Number of sweeps (one sweep updates W, then H).
    init_scale : float
        ``H`` starts at ``init_scale · N(0, 1)``.
    center : bool
        Fit ``A_c − mean_c`` (observed mean) and add the mean back, so that the ridge
        shrinks towards the mean colour rather than black.
    gram_dtype : float32 or float64
        Precision of the Gram products.
    seed : int or Generator

    Returns
    -------
    Factorization
        ``losses`` holds the objective after each sweep (summed over channels).
    """
    rank = check_int("rank", rank, low=1)
    ridge = check_real("ridge", ridge, low=0.0, low_open=True)
    n_iter = check_int("n_iter", n_iter, low=1)
    init_scale = check_real("init_scale", init_scale, low=0.0, low_open=True)
    data, missing, _ = observed_channels(image, missing)
    n_ch, n0, n1 = data.shape
    offset = observed_means(data, missing) if center else np.zeros(n_ch)
    gram_dt = np.dtype(gram_dtype)
    if gram_dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"gram_dtype={gram_dtype!r} is not allowed: expected float32 or float64")
    obs = (~missing).astype(np.float64)
    weights = obs.astype(gram_dt)
    weights_t = np.ascontiguousarray(weights.T)
    data = (data - offset[:, None, None]) * obs
    rng = np.random.default_rng(seed)
    h = init_scale * rng.standard_normal((n_ch, rank, n1))
    w = np.empty((n_ch, n0, rank))
    losses = np.empty(n_iter)
    for k in range(n_iter):
        total = 0.0
        for c in range(n_ch):
            w[c] = _ridge_rows(data[c], weights, h[c].T, ridge)
            h[c] = _ridge_rows(data[c].T, weights_t, w[c], ridge).T
            resid = (w[c] @ h[c]) * obs - data[c]
            total += 0.5 * float(np.sum(resid * resid)) + 0.5 * ridge * float(np.sum(w[c] ** 2) + np.sum(h[c] ** 2))
        losses[k] = total
    return Factorization(w, h, offset, losses)


def soft_impute_path(image, missing, lams: Sequence[float], *, n_iter: int = 30, tol: float = 1e-4,
                     accelerate: bool = True, center: bool = True, start=None,
                     progress: bool = False) -> tuple[list[np.ndarray], list[History]]:
    """Nuclear-norm completion along a decreasing path of λ, warm-started.

    For each ``λ`` runs :func:`~sparseimg.optim.solvers.proximal_gradient` on
    ``½‖P_Ω(X − A)‖² + λ Σ_c ‖X_c‖_*`` with step 1 — soft-impute's update
    ``X ← SVT_λ(P_Ω A + P_Ωᶜ X)`` — from the previous solution; with
    ``accelerate`` (default) the same update with FISTA's momentum, which needs far
    fewer iterations when most entries are missing (each plain step only moves the
    missing entries by what the threshold lets through).

    Parameters
    ----------
    image : ndarray, shape (n0, n1, C) or (n0, n1)
    missing : ndarray of bool, shape (n0, n1)
    lams : sequence of float
        Thresholds in pixel units (singular values of a [0, 1] image channel),
        decreasing.
    n_iter, tol
        Per-λ iteration cap and relative-change tolerance.
    accelerate : bool
        FISTA momentum (the objective is then tracked: one more Gram
        eigen-decomposition per iteration).
    center : bool
        Complete ``A_c − mean_c`` and add the observed mean back.
    start : ndarray, optional
        Completion to start from, shaped like ``image`` (e.g. an earlier solution);
        default the zero-filled (mean-filled when centred) data. The problem is
        convex: the start only changes how many iterations are needed.

    Returns
    -------
    estimates : list of ndarray, shape like ``image``
        The completions ``P_Ω A + P_Ωᶜ clip(X, 0, 1)``, one per λ.
    histories : list of History
    """
    lams = [check_real(f"lams[{i}]", v, low=0.0) for i, v in enumerate(lams)]
    if not lams:
        raise ValueError("lams=[] is not allowed: expected at least one threshold")
    if any(b > a for a, b in zip(lams, lams[1:])):
        raise ValueError(f"lams={lams!r} is not allowed: expected a non-increasing sequence")
    data, missing, was_2d = observed_channels(image, missing)
    offset = observed_means(data, missing) if center else np.zeros(data.shape[0])
    op = MaskOperator(missing)
    target = op.forward(data - offset[:, None, None])
    smooth = LeastSquares(op, target)
    if start is None:
        x = target.copy()
    else:
        first, _, _ = observed_channels(start, np.zeros_like(missing))
        if first.shape != data.shape:
            raise ValueError(f"start has shape {np.shape(start)}: expected the image's shape {np.shape(image)}")
        x = first - offset[:, None, None]
    estimates, histories = [], []
    for lam in lams:
        x, hist = proximal_gradient(smooth, NuclearNorm(lam), x, step=1.0, n_iter=n_iter, tol=tol,
                                    accelerate=accelerate, track=False, progress=progress, desc=f"SVT λ={lam:g}")
        est = np.where(missing, np.clip(x + offset[:, None, None], 0.0, 1.0), data)
        estimates.append(channels_to_image(est, was_2d))
        histories.append(hist)
    return estimates, histories


def soft_impute(image, missing, lam: float, *, n_path: int = 5, n_iter: int = 30, tol: float = 1e-4,
                center: bool = True, progress: bool = False) -> np.ndarray:
    """Nuclear-norm completion at ``lam``, reached by a geometric path of ``n_path`` values.

    The path starts at ``λ_max / 2`` (``λ_max`` the largest singular value of the
    zero-filled, centred data) — see :func:`soft_impute_path`.

    Returns
    -------
    ndarray, shape like ``image``; observed pixels kept as measured
    """
    lam = check_real("lam", lam, low=0.0, low_open=True)
    n_path = check_int("n_path", n_path, low=1)
    data, miss, _ = observed_channels(image, missing)
    offset = observed_means(data, miss) if center else np.zeros(data.shape[0])
    top = float(np.linalg.svd(np.where(miss, 0.0, data - offset[:, None, None]), compute_uv=False).max())
    start = max(lam, 0.5 * top)
    lams = np.geomspace(start, lam, n_path) if n_path > 1 else [lam]
    estimates, _ = soft_impute_path(image, missing, list(lams), n_iter=n_iter, tol=tol, center=center,
                                    progress=progress)
    return estimates[-1]


def als_inpaint(image, missing, *, ranks: Sequence[int], ridges: Sequence[float], n_iter: int = 5,
                fraction: float = 0.1, seed: int = 0) -> tuple[np.ndarray, dict]:
    """ALS completion with rank and ridge chosen on held-out observed pixels.

    Every ``(rank, ridge)`` pair is fitted by :func:`als_factorize` on the observed
    pixels minus a held-out ``fraction`` (:func:`select_by_holdout`); the pair with the
    lowest held-out RMSE is refitted on all observed pixels.

    Returns
    -------
    estimate : ndarray, shape like ``image``; observed pixels kept as measured
    info : dict
        ``rank``, ``ridge`` (the choice) and ``rows`` (every candidate's held-out RMSE).
    """
    def fit(img, miss, rank, ridge):
        est = reconstruct(als_factorize(img, miss, rank, ridge=ridge, n_iter=n_iter, seed=seed))
        return est if np.ndim(img) == 3 else est[..., 0]

    candidates = [{"rank": int(r), "ridge": float(lam)} for r in ranks for lam in ridges]
    best, rows = select_by_holdout(fit, candidates, image, missing, fraction=fraction, seed=seed)
    masked = apply_mask(image, missing)
    est = keep_observed(np.nan_to_num(masked), missing, fit(masked, missing, **best))
    return est, {**best, "rows": rows}


def soft_impute_inpaint(image, missing, *, lams: Sequence[float], n_iter: int = 10, tol: float = 1e-4,
                        fraction: float = 0.1, seed: int = 0) -> tuple[np.ndarray, dict]:
    """Nuclear-norm completion with λ chosen along the path on held-out observed pixels.

    The path :func:`soft_impute_path` runs on the training pixels
    (:func:`select_along_path`); the final fit at the chosen λ on all observed pixels
    starts from the training solution at that λ.

    Returns
    -------
    estimate : ndarray, shape like ``image``; observed pixels kept as measured
    info : dict
        ``lam`` (the choice) and ``rows`` (held-out RMSE along the path).
    """
    lams = sorted((float(v) for v in lams), reverse=True)

    def fit_path(img, miss, values):
        return soft_impute_path(img, miss, values, n_iter=n_iter, tol=tol)[0]

    best, rows, train_fit = select_along_path(fit_path, lams, image, missing, name="lam", fraction=fraction,
                                              seed=seed)
    masked = apply_mask(image, missing)
    est = soft_impute_path(masked, missing, [best], n_iter=n_iter, tol=tol, start=train_fit)[0][-1]
    return est, {"lam": best, "rows": rows}

"""Section 4's experiments: image inpainting by matrix factorization, and what beats it.

:data:`METHODS` holds the section's inpainting methods, each
``method(image, missing, params) -> (estimate, info)`` with ``params`` the section's
validated ``params.yaml`` block: estimates keep the observed pixels as measured, ``info``
holds the choices made (rank, λ …). The Adam row is the document's model at
``doc_rank`` with ``adam_iter`` steps and the document's N(0, 1) start.

Source: "Image Reconstruction using Matrix Factorization", D. Lodha, blog post, 28 December 2024.
"""

from __future__ import annotations

import time

import numpy as np

from sparseimg._parallel import process_map

from sparseimg.restoration.completion import adam_factorize, als_factorize, reconstruct, soft_impute_path
from sparseimg.restoration.inpainting import biharmonic_inpaint, dct_l1_inpaint, dct_threshold_inpaint, normalized_convolution, rff_inpaint
from sparseimg.restoration.selection import holdout_split
from sparseimg.metrics import rmse
from sparseimg.operators.mask import apply_mask, keep_observed
from sparseimg.experiments import Registry
from sparseimg.experiments.tuning import sweep_to_interior

__all__ = ["METHODS", "adam_fits", "als_tuned", "run_methods", "soft_impute_tuned"]


def _heldout(image, missing, fraction, seed):
    """``(masked image, training mask, score)``: ``score(estimate)`` is minus the RMSE on the held-out observed
    pixels (higher is better, as :func:`sweep_to_interior` wants); the ground truth never enters."""
    masked = apply_mask(image, missing)
    train_missing, validation = holdout_split(missing, fraction, seed=seed)
    ref = np.asarray(masked, dtype=np.float64)
    # compared to 1e-9 (pixel units): closer RMSEs tie, and ties go to the smaller value (a plateau toward 0)
    return masked, train_missing, lambda est: -round(rmse(ref[validation], np.asarray(est, dtype=np.float64)[validation]), 9)


def als_tuned(image, missing, *, ranks, ridges, n_iter: int = 5, fraction: float = 0.1, seed: int = 0,
              max_rank: int | None = None, max_extend: int = 6, max_rounds: int = 4) -> tuple[np.ndarray, dict]:
    """ALS completion with rank and ridge chosen on held-out observed pixels, each grid grown past an edge choice.

    Coordinate-wise: the rank is tuned (:func:`sweep_to_interior`, integer steps, at most ``max_rank`` — by
    default the image's smaller side, the model's hard bound; a smaller ``max_rank`` is a compute cap) at the
    ridge in the middle of ``ridges``, then the ridge at that rank (log steps), and
    again until neither moves (at most ``max_rounds`` rounds; fits are cached). The score is minus the held-out
    RMSE (:func:`sparseimg.restoration.selection.holdout_split`), never the ground truth. The chosen pair is
    refitted on all observed pixels.

    Returns
    -------
    estimate : ndarray, shape like ``image``; observed pixels kept as measured
    info : dict
        ``rank``, ``ridge`` (the choice) and ``tuning``: ``{"rank": record, "ridge": record}``
        (:meth:`~sparseimg.experiments.tuning.Tuned.as_dict`, scores = −held-out RMSE), each swept at the
        other's final value.
    """
    masked, train_missing, score = _heldout(image, missing, fraction, seed)
    cache = {}

    def fit(img, miss, rank, ridge):
        est = reconstruct(als_factorize(img, miss, rank, ridge=ridge, n_iter=n_iter, seed=seed))
        return est if np.ndim(img) == 3 else est[..., 0]

    def scored(rank, ridge):
        key = (int(rank), float(ridge))
        if key not in cache:
            cache[key] = score(fit(masked, train_missing, *key))
        return cache[key]

    ridges = sorted(float(v) for v in ridges)
    ridge = float(ridges[len(ridges) // 2])
    top = min(np.shape(missing)) if max_rank is None else min(int(max_rank), min(np.shape(missing)))
    rank = None
    for _ in range(max_rounds):
        by_rank = sweep_to_interior(lambda r: scored(r, ridge), sorted({*map(float, ranks), *([rank] if rank else [])}),
                                    integer=True, low=0.0, high=top + 1.0, max_extend=max_extend,
                                    cap="high" if top < min(np.shape(missing)) else None)  # max_rank: a cap
        by_ridge = sweep_to_interior(lambda lam: scored(by_rank.value, lam), sorted({*ridges, ridge}),
                                     max_extend=max_extend)
        if by_rank.value == rank and by_ridge.value == ridge:
            break
        rank, ridge = by_rank.value, by_ridge.value
    rank = int(rank)
    est = keep_observed(np.nan_to_num(masked), missing, fit(masked, missing, rank, ridge))
    return est, {"rank": rank, "ridge": ridge, "tuning": {"rank": by_rank.as_dict(), "ridge": by_ridge.as_dict()}}


def soft_impute_tuned(image, missing, *, lams, n_iter: int = 10, tol: float = 1e-4, fraction: float = 0.1,
                      seed: int = 0, max_extend: int = 6) -> tuple[np.ndarray, dict]:
    """Nuclear-norm completion with λ chosen on held-out observed pixels, the path grown past an edge choice.

    The starting ``lams`` run as one warm-started decreasing path (:func:`soft_impute_path`) on the training
    pixels; :func:`sweep_to_interior` then adds values beyond an end choice: a smaller λ continues the path
    from the smallest one's solution, a larger λ starts a path of its own from the zero-filled data (as the
    top of the path does). λ = 0 (no shrinkage: the path's continuation is then plain iterations of
    ``P_Ω A + P_Ωᶜ X``) is the hard bound, scored once the path cannot grow further down. Along a warm-started
    path a smaller λ has also had more iterations. The final fit at the chosen λ on all observed pixels starts
    from its training solution.

    Returns
    -------
    estimate : ndarray; observed pixels kept as measured
    info : dict
        ``lam`` (the choice) and ``tuning`` (its record; scores = −held-out RMSE).
    """
    masked, train_missing, score = _heldout(image, missing, fraction, seed)
    lams = sorted((float(v) for v in lams), reverse=True)
    fits = dict(zip(lams, soft_impute_path(masked, train_missing, lams, n_iter=n_iter, tol=tol)[0]))

    def scored(lam):
        if lam not in fits:
            below = [v for v in fits if v > lam]
            start = fits[min(below)] if below else None
            fits[lam] = soft_impute_path(masked, train_missing, [lam], n_iter=n_iter, tol=tol, start=start)[0][-1]
        return score(fits[lam])

    t = sweep_to_interior(scored, lams, max_extend=max_extend, zero=True)
    est = soft_impute_path(masked, missing, [t.value], n_iter=n_iter, tol=tol, start=fits[t.value])[0][-1]
    return est, {"lam": t.value, "tuning": t.as_dict()}


def _adam(image, missing, p):
    fac = adam_factorize(image, missing, p["doc_rank"], n_iter=p["adam_iter"], learning_rate=p["adam_lr"],
                         init_scale=1.0, seed=int(p["seed"]), dtype=p["adam_dtype"])
    return keep_observed(np.nan_to_num(image), missing, reconstruct(fac)), {"rank": p["doc_rank"]}


def _rff(image, missing, p):
    return rff_inpaint(image, missing, n_features=p["rff_features"], sigma=p["rff_sigma"], ridge=p["rff_ridge"],
                       seed=int(p["seed"])), {}


def _als(image, missing, p):
    return als_tuned(image, missing, ranks=p["als_ranks"], ridges=p["als_ridges"], n_iter=p["als_iter"],
                     fraction=p["holdout_fraction"], seed=int(p["seed"]), max_rank=p["als_max_rank"],
                     max_extend=p["tune_extend"])


def _soft_impute(image, missing, p):
    return soft_impute_tuned(image, missing, lams=p["svt_lams"], n_iter=p["svt_iter"],
                             fraction=p["holdout_fraction"], seed=int(p["seed"]), max_extend=p["tune_extend"])


def _normalized_convolution(image, missing, p):
    return normalized_convolution(image, missing, sigma=p["smooth_sigma"]), {}


def _dct_l1(image, missing, p):
    est, hist = dct_l1_inpaint(image, missing, lam=p["dct_lam"], block=p["dct_block"], stride=p["dct_stride"],
                               n_iter=p["dct_iter"], start_sigma=p["smooth_sigma"])
    return est, {"iterations": hist.n_iter}


def _dct_threshold(image, missing, p):
    est = dct_threshold_inpaint(image, missing, threshold_start=p["threshold_start"],
                                threshold_end=p["threshold_end"], n_stages=p["threshold_stages"],
                                iter_per_stage=p["threshold_iter"], block=p["threshold_block"],
                                stride=p["threshold_stride"], start_sigma=p["smooth_sigma"])
    return est, {}


def _biharmonic(image, missing, p):
    return biharmonic_inpaint(image, missing), {}


#: The section's methods, in display order: ``key -> method(image, missing, params)``.
METHODS = Registry("inpainting", {
    "adam_document": _adam,
    "rff": _rff,
    "als": _als,
    "soft_impute": _soft_impute,
    "normalized_convolution": _normalized_convolution,
    "dct_l1": _dct_l1,
    "dct_threshold": _dct_threshold,
    "biharmonic": _biharmonic,
}, {
    "adam_document": "Adam W·H (document)",
    "rff": "RFF regression (document)",
    "als": "ALS, held-out rank and ridge",
    "soft_impute": "soft-impute, held-out λ",
    "normalized_convolution": "normalized convolution",
    "dct_l1": "DCT-ℓ1 FISTA",
    "dct_threshold": "shifted-DCT thresholding",
    "biharmonic": "biharmonic (scikit-image)",
})


def _timed_adam(image, missing, rank, n_iter, learning_rate, init_scale, seed, dtype):
    start = time.perf_counter()
    fac = adam_factorize(apply_mask(image, missing), missing, rank, n_iter=n_iter, learning_rate=learning_rate,
                         init_scale=init_scale, seed=seed, dtype=dtype)
    return fac, time.perf_counter() - start


def adam_fits(image, fits, *, learning_rate: float, seed: int, dtype, workers: int = 1,
              progress: bool = False) -> list:
    """The document's Adam fit for each ``(missing, rank, n_iter, init_scale)`` of ``fits``.

    The fits are independent (each seeds its own start with ``seed``) and run in ``workers`` forked processes
    (:func:`sparseimg._parallel.process_map`): the same numbers for any count.

    Returns
    -------
    list of (Factorization, float)
        Each fit and its wall seconds (measured in the process that ran it), in the order of ``fits``.
    """
    calls = [(image, missing, int(rank), int(n_iter), learning_rate, init_scale, int(seed), dtype)
             for missing, rank, n_iter, init_scale in fits]
    return process_map(_timed_adam, calls, workers, desc="Adam fits", progress=progress)


def _timed_method(key, image, missing, params):
    start = time.perf_counter()
    est, info = METHODS[key](apply_mask(image, missing), missing, params)
    return est, info, time.perf_counter() - start


def run_methods(image, cases, params, *, workers: int = 1, progress: bool = False) -> list:
    """``METHODS[key](apply_mask(image, missing), missing, params)`` for each ``(key, missing)`` of ``cases``.

    The cases are independent (every method seeds itself from ``params``) and run in ``workers`` forked
    processes (:func:`sparseimg._parallel.process_map`): the same numbers for any count.

    Returns
    -------
    list of (ndarray, dict, float)
        Estimate, the method's ``info`` and its wall seconds (measured in the process that ran it), in the order
        of ``cases``.
    """
    for key, _ in cases:
        METHODS[key]  # unknown keys fail here, before any work
    return process_map(_timed_method, [(key, image, missing, params) for key, missing in cases], workers,
                       desc="inpainting methods", progress=progress)

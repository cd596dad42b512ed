"""Section 4's experiments: image inpainting by matrix factorization, and what beats it.

:data:`METHODS` holds the section's inpainting methods, each
``method(problem, settings) -> Result`` with ``problem`` an :class:`InpaintingProblem` (the observed pixels
and the mask) and ``settings`` the section's :class:`Settings` (``Settings.from_params(block)`` of its
validated ``params.yaml`` block): estimates keep the observed pixels as measured, ``Result.details``
holds the choices made (rank, λ …). The Adam row is the document's model at
``doc_rank`` with ``adam_iter`` steps and the document's N(0, 1) start.

Source: "Image Reconstruction using Matrix Factorization", D. Lodha, blog post, 28 December 2024.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields

import numpy as np

from sparseimg._parallel import process_map

from sparseimg.restoration.completion import adam_factorize, als_factorize, reconstruct, soft_impute_path
from sparseimg.restoration.inpainting import biharmonic_inpaint, dct_l1_inpaint, dct_threshold_inpaint, normalized_convolution, rff_inpaint
from sparseimg.restoration.selection import holdout_split
from sparseimg.metrics import rmse
from sparseimg.operators.mask import apply_mask, keep_observed
from sparseimg.experiments import Registry, Result
from sparseimg.experiments.tuning import sweep_to_interior

__all__ = ["InpaintingProblem", "METHODS", "Settings", "adam_fits", "als_tuned", "example", "run_methods",
           "soft_impute_tuned"]


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

    Parameters
    ----------
    image : ndarray, shape (n0, n1, c) or (n0, n1)
        The image; its missing pixels are masked here (NaN) and never read (an observed image is accepted).
    missing : ndarray of bool, shape (n0, n1)
        True where a pixel is missing.
    ranks : iterable of int
        Starting rank grid (integers ``>= 1``); grown in integer steps past an edge choice, up to the bound.
    ridges : iterable of float
        Starting ridge grid (``> 0``, log-spaced); the middle value (after sorting) is the first ridge at
        which the rank is tuned. Grown in log steps past an edge choice.
    n_iter : int, optional
        ALS sweeps per fit (:func:`~sparseimg.restoration.completion.als_factorize`; default 5).
    fraction : float, optional
        Fraction of the observed pixels held out for validation, in ``(0, 1)`` (default 0.1).
    seed : int, optional
        Seed of the held-out split and of every ALS start (default 0).
    max_rank : int, optional
        Upper bound of the rank sweep; default (None) the image's smaller side. A smaller value is reported as a
        compute cap (``reason = "cap"``) rather than the model's bound.
    max_extend : int, optional
        Values each sweep may add beyond its grid (default 6).
    max_rounds : int, optional
        Rank-then-ridge rounds at most (default 4).

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

    Parameters
    ----------
    image : ndarray, shape (n0, n1, c) or (n0, n1)
        The image; its missing pixels are masked here (NaN) and never read (an observed image is accepted).
    missing : ndarray of bool, shape (n0, n1)
        True where a pixel is missing.
    lams : iterable of float
        Starting λ grid (pixel units: singular values of a [0, 1] channel), run as one decreasing path;
        grown past an edge choice, down to λ = 0.
    n_iter : int, optional
        Iterations per λ at most (:func:`~sparseimg.restoration.completion.soft_impute_path`; default 10).
    tol : float, optional
        Relative-change tolerance of each λ's iterations (default 1e-4).
    fraction : float, optional
        Fraction of the observed pixels held out for validation, in ``(0, 1)`` (default 0.1).
    seed : int, optional
        Seed of the held-out split (default 0).
    max_extend : int, optional
        Values the sweep may add beyond ``lams`` (default 6).

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


@dataclass(frozen=True)
class InpaintingProblem:
    """What an inpainting method sees: the observed image and which pixels are missing (never the ground truth).

    Attributes
    ----------
    observed : ndarray, shape (n0, n1) or (n0, n1, c)
        The image with its missing pixels masked (:func:`~sparseimg.operators.mask.apply_mask`: NaN there; a
        method never reads them).
    missing : ndarray of bool, shape (n0, n1)
        True where a pixel is missing.
    """

    observed: np.ndarray
    missing: np.ndarray

    @classmethod
    def from_image(cls, image: np.ndarray, missing: np.ndarray) -> "InpaintingProblem":
        """The problem of ``image`` with ``missing`` pixels removed (the experiment's side: it holds the image).

        Parameters
        ----------
        image : ndarray, shape (n0, n1) or (n0, n1, c)
        missing : ndarray of bool, shape (n0, n1)

        Returns
        -------
        InpaintingProblem
        """
        return cls(apply_mask(image, missing), missing)


@dataclass(frozen=True)
class Settings:
    """The section's method settings: the fields of its validated parameter block that the methods read.

    Attributes
    ----------
    seed : int
        Seed of every random start, feature draw and held-out split.
    doc_rank, adam_iter, adam_lr, adam_dtype
        The document's Adam fit: rank, steps, learning rate, dtype (``'float32'`` or ``'float64'``).
    rff_features, rff_sigma, rff_ridge
        Random Fourier feature regression: features, kernel width (pixels), ridge.
    als_ranks, als_ridges, als_iter, als_max_rank
        ALS: starting rank and ridge grids, sweeps per fit, the rank's compute cap.
    svt_lams, svt_iter
        Soft-impute: starting λ path and iterations per λ.
    holdout_fraction, tune_extend
        Held-out share of the observed pixels; values a grid may grow by beyond an edge choice.
    smooth_sigma
        Gaussian width (pixels) of the normalized convolution (also the DCT methods' start).
    dct_lam, dct_block, dct_stride, dct_iter
        DCT-ℓ1 synthesis model: weight, block side, shift step, FISTA iterations.
    threshold_start, threshold_end, threshold_stages, threshold_iter, threshold_block, threshold_stride
        Shifted-DCT thresholding: first and last threshold, stages, iterations per stage, block side, shift step.
    """

    seed: int
    doc_rank: int
    adam_iter: int
    adam_lr: float
    adam_dtype: str
    rff_features: int
    rff_sigma: float
    rff_ridge: float
    als_ranks: tuple
    als_ridges: tuple
    als_iter: int
    als_max_rank: int
    svt_lams: tuple
    svt_iter: int
    holdout_fraction: float
    tune_extend: int
    smooth_sigma: float
    dct_lam: float
    dct_block: int
    dct_stride: int
    dct_iter: int
    threshold_start: float
    threshold_end: float
    threshold_stages: int
    threshold_iter: int
    threshold_block: int
    threshold_stride: int

    @classmethod
    def from_params(cls, block: dict) -> "Settings":
        """The settings in the section's validated ``inpainting`` block (other keys are ignored; lists become tuples).

        Parameters
        ----------
        block : dict
            The validated parameter block (e.g. ``get_section("inpainting").quick_params()``).

        Returns
        -------
        Settings
        """
        values = {f.name: block[f.name] for f in fields(cls)}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def _adam(problem: InpaintingProblem, s: Settings) -> Result:
    fac = adam_factorize(problem.observed, problem.missing, s.doc_rank, n_iter=s.adam_iter, learning_rate=s.adam_lr,
                         init_scale=1.0, seed=int(s.seed), dtype=s.adam_dtype)
    return Result(keep_observed(np.nan_to_num(problem.observed), problem.missing, reconstruct(fac)),
                  details={"rank": s.doc_rank})


def _rff(problem: InpaintingProblem, s: Settings) -> Result:
    return Result(rff_inpaint(problem.observed, problem.missing, n_features=s.rff_features, sigma=s.rff_sigma,
                              ridge=s.rff_ridge, seed=int(s.seed)))


def _als(problem: InpaintingProblem, s: Settings) -> Result:
    est, info = als_tuned(problem.observed, problem.missing, ranks=s.als_ranks, ridges=s.als_ridges,
                          n_iter=s.als_iter, fraction=s.holdout_fraction, seed=int(s.seed), max_rank=s.als_max_rank,
                          max_extend=s.tune_extend)
    return Result(est, details=info)


def _soft_impute(problem: InpaintingProblem, s: Settings) -> Result:
    est, info = soft_impute_tuned(problem.observed, problem.missing, lams=s.svt_lams, n_iter=s.svt_iter,
                                  fraction=s.holdout_fraction, seed=int(s.seed), max_extend=s.tune_extend)
    return Result(est, details=info)


def _normalized_convolution(problem: InpaintingProblem, s: Settings) -> Result:
    return Result(normalized_convolution(problem.observed, problem.missing, sigma=s.smooth_sigma))


def _dct_l1(problem: InpaintingProblem, s: Settings) -> Result:
    est, hist = dct_l1_inpaint(problem.observed, problem.missing, lam=s.dct_lam, block=s.dct_block,
                               stride=s.dct_stride, n_iter=s.dct_iter, start_sigma=s.smooth_sigma)
    return Result(est, hist, {"iterations": hist.n_iter})


def _dct_threshold(problem: InpaintingProblem, s: Settings) -> Result:
    return Result(dct_threshold_inpaint(problem.observed, problem.missing, threshold_start=s.threshold_start,
                                        threshold_end=s.threshold_end, n_stages=s.threshold_stages,
                                        iter_per_stage=s.threshold_iter, block=s.threshold_block,
                                        stride=s.threshold_stride, start_sigma=s.smooth_sigma))


def _biharmonic(problem: InpaintingProblem, s: Settings) -> Result:
    return Result(biharmonic_inpaint(problem.observed, problem.missing))


def example() -> InpaintingProblem:
    """A tiny seeded problem: a smooth 24 x 24 RGB image with 30 % of its pixels missing.

    Returns
    -------
    InpaintingProblem
    """
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:24, 0:24] / 24.0
    image = np.stack([0.5 + 0.4 * np.sin(3 * x + c) * np.cos(2 * y - c) for c in (0.0, 1.0, 2.0)], axis=-1)
    return InpaintingProblem.from_image(image, rng.random((24, 24)) < 0.3)


#: The section's methods, in display order: ``key -> method(problem, settings) -> Result``.
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
}, settings=Settings, example=example)


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

    Parameters
    ----------
    image : ndarray, shape (n0, n1, c) or (n0, n1)
        The complete image; each fit masks it with its own ``missing``.
    fits : iterable of (ndarray, int, int, float)
        ``(missing, rank, n_iter, init_scale)`` per fit: the boolean mask (shape (n0, n1), True = missing), the
        inner dimension, the Adam steps and the standard deviation of the N(0, 1)-scaled start.
    learning_rate : float
        Adam's learning rate (the document: 0.01), shared by all fits.
    seed : int
        Seed of every fit's random start (each fit uses the same seed).
    dtype : str or dtype
        Working precision, float32 or float64 (:func:`~sparseimg.restoration.completion.adam_factorize`).
    workers : int, optional
        Processes (default 1).
    progress : bool, optional
        A tqdm bar over the fits (default False).

    Returns
    -------
    list of (Factorization, float)
        Each fit and its wall seconds (measured in the process that ran it), in the order of ``fits``.
    """
    calls = [(image, missing, int(rank), int(n_iter), learning_rate, init_scale, int(seed), dtype)
             for missing, rank, n_iter, init_scale in fits]
    return process_map(_timed_adam, calls, workers, desc="Adam fits", progress=progress)


def _timed_method(key, image, missing, settings):
    start = time.perf_counter()
    problem = InpaintingProblem.from_image(image, missing)
    result = METHODS[key](problem, settings)
    return result, time.perf_counter() - start


def run_methods(image, cases, settings: Settings, *, workers: int = 1, progress: bool = False) -> list:
    """``METHODS[key](InpaintingProblem.from_image(image, missing), settings)`` for each ``(key, missing)`` of
    ``cases``.

    The cases are independent (every method seeds itself from ``settings``) and run in ``workers`` forked
    processes (:func:`sparseimg._parallel.process_map`): the same numbers for any count.

    Parameters
    ----------
    image : ndarray, shape (n0, n1, c)
        The complete image (masked here; the methods see only the observed pixels).
    cases : list of (str, ndarray)
        ``(method key, missing mask)`` pairs.
    settings : Settings
        The section's settings (:meth:`Settings.from_params`).
    workers : int
        Processes.
    progress : bool
        A tqdm bar over the cases.

    Returns
    -------
    list of (Result, float)
        Each method's :class:`~sparseimg.experiments.Result` and its wall seconds (measured in the process that
        ran it, the masking included), in the order of ``cases``.
    """
    for key, _ in cases:
        METHODS[key]  # unknown keys fail here, before any work
    return process_map(_timed_method, [(key, image, missing, settings) for key, missing in cases], workers,
                       desc="inpainting methods", progress=progress)

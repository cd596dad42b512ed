"""Choosing a method's parameters on *observed* pixels only.

:func:`holdout_split` hides a fraction of the observed pixels; :func:`select_by_holdout`
scores each candidate parameter set by the RMSE on the hidden ones, and
:func:`select_along_path` does the same along a warm-started path (a decreasing λ).
The ground truth never enters.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from sparseimg._validate import check_real
from sparseimg.metrics import rmse
from sparseimg.operators.mask import apply_mask, check_missing

__all__ = ["holdout_split", "select_by_holdout", "select_along_path"]


def holdout_split(missing, fraction: float, *, seed: int | np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Hide a random ``fraction`` of the *observed* pixels for validation.

    Returns
    -------
    train_missing : ndarray of bool, shape (n0, n1)
        ``missing`` plus the hidden pixels — what a method is fitted on.
    validation : ndarray of bool, shape (n0, n1)
        The hidden observed pixels — where the fit is scored.
    """
    missing = check_missing(missing)
    fraction = check_real("fraction", fraction, low=0.0, high=1.0, low_open=True, high_open=True)
    rng = np.random.default_rng(seed)
    observed = np.flatnonzero(~missing)
    n_held = max(1, int(round(fraction * observed.size)))
    if n_held >= observed.size:
        raise ValueError(f"fraction={fraction!r} is not allowed: it would hide all {observed.size} observed pixels")
    validation = np.zeros(missing.size, dtype=bool)
    validation[rng.choice(observed, size=n_held, replace=False)] = True
    validation = validation.reshape(missing.shape)
    return missing | validation, validation


def _validation_rmse(image, estimate, validation) -> float:
    ref = np.asarray(image, dtype=np.float64)
    est = np.asarray(estimate, dtype=np.float64)
    return rmse(ref[validation], est[validation])


def select_by_holdout(fit: Callable, candidates: Sequence[dict], image, missing, *, fraction: float = 0.1,
                      seed: int | np.random.Generator = 0) -> tuple[dict, list[dict]]:
    """Choose parameters by the RMSE on held-out *observed* pixels.

    Parameters
    ----------
    fit : callable
        ``fit(image, missing, **params) -> estimate`` (shape like ``image``).
    candidates : sequence of dict
        Parameter sets to try.
    image : ndarray, shape (n0, n1, C) or (n0, n1)
        Only observed pixels are read: values at ``missing`` pixels are set to NaN
        before ``fit`` and scoring see them.
    missing : ndarray of bool, shape (n0, n1)
    fraction : float
        Share of the observed pixels hidden for validation (see :func:`holdout_split`).
    seed : int or Generator

    Returns
    -------
    best : dict
        The candidate with the lowest validation RMSE (first one on ties).
    rows : list of dict
        Each candidate's parameters plus ``validation_rmse``.
    """
    if not candidates:
        raise ValueError("candidates=[] is not allowed: expected at least one parameter set")
    masked = apply_mask(image, missing)
    train_missing, validation = holdout_split(missing, fraction, seed=seed)
    rows = []
    for params in candidates:
        est = fit(masked, train_missing, **params)
        rows.append({**params, "validation_rmse": _validation_rmse(masked, est, validation)})
    best = min(range(len(rows)), key=lambda i: rows[i]["validation_rmse"])
    return dict(candidates[best]), rows


def select_along_path(fit_path: Callable, values: Sequence, image, missing, *, name: str = "lam",
                      fraction: float = 0.1, seed: int | np.random.Generator = 0) -> tuple[float, list[dict], np.ndarray]:
    """Held-out selection along a warm-started path (e.g. :func:`soft_impute_path`).

    Parameters
    ----------
    fit_path : callable
        ``fit_path(image, missing, values) -> list of estimates``, one per value.
    values : sequence
        The path (e.g. decreasing λ).
    name : str
        Column name of the value in the returned rows.

    Returns
    -------
    best : value with the lowest validation RMSE
    rows : list of dict ``{name: value, "validation_rmse": ...}``
    estimate : ndarray
        The training fit at ``best`` (a warm start for the final fit).
    """
    values = list(values)
    if not values:
        raise ValueError("values=[] is not allowed: expected at least one value")
    masked = apply_mask(image, missing)
    train_missing, validation = holdout_split(missing, fraction, seed=seed)
    estimates = fit_path(masked, train_missing, values)
    rows = [{name: v, "validation_rmse": _validation_rmse(masked, e, validation)} for v, e in zip(values, estimates)]
    best = min(range(len(rows)), key=lambda i: rows[i]["validation_rmse"])
    return values[best], rows, estimates[best]

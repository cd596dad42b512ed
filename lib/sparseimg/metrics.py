"""Image-quality and support metrics."""

from __future__ import annotations

import numpy as np

__all__ = ["rmse", "psnr", "relative_error", "support_precision_recall", "event_statistics"]


def _pair(reference, estimate):
    ref = np.asarray(reference, dtype=np.float64)
    est = np.asarray(estimate, dtype=np.float64)
    if ref.shape != est.shape:
        raise ValueError(f"estimate has shape {est.shape}: expected the reference's shape {ref.shape}")
    return ref, est


def rmse(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Root-mean-square error."""
    ref, est = _pair(reference, estimate)
    return float(np.sqrt(np.mean((ref - est) ** 2)))


def psnr(reference: np.ndarray, estimate: np.ndarray, *, data_range: float | None = None) -> float:
    """Peak signal-to-noise ratio in dB, ``10 log10(data_range² / MSE)``.

    Parameters
    ----------
    data_range : float, optional
        Peak-to-peak range of the signal; default ``max(reference) − min(reference)``
        (for images in [0, 1], pass ``1.0`` to match scikit-image's convention).

    Returns
    -------
    float
        ``inf`` when the estimate equals the reference.
    """
    ref, est = _pair(reference, estimate)
    if data_range is None:
        data_range = float(ref.max() - ref.min())
    if not data_range > 0:
        raise ValueError(f"data_range={data_range!r} is not allowed: expected > 0")
    mse = float(np.mean((ref - est) ** 2))
    return float("inf") if mse == 0 else float(10.0 * np.log10(data_range ** 2 / mse))


def relative_error(reference: np.ndarray, estimate: np.ndarray) -> float:
    """``‖estimate − reference‖² / ‖reference‖²`` (squared, relative)."""
    ref, est = _pair(reference, estimate)
    return float(np.sum((est - ref) ** 2) / np.sum(ref ** 2))


def support_precision_recall(reference: np.ndarray, estimate: np.ndarray, *, tol: float = 0.0) -> tuple[float, float]:
    """Precision and recall of the support ``{|estimate| > tol}`` against ``{reference != 0}``.

    Precision is 1 when the estimate has an empty support (nothing claimed wrongly);
    recall is 1 when the reference has an empty support.
    """
    ref, est = _pair(reference, estimate)
    true = ref != 0
    found = np.abs(est) > tol
    hits = int(np.count_nonzero(true & found))
    n_found = int(np.count_nonzero(found))
    n_true = int(np.count_nonzero(true))
    return (hits / n_found if n_found else 1.0, hits / n_true if n_true else 1.0)


def event_statistics(values: np.ndarray) -> tuple[float, float]:
    """``(mean, std)`` of an array as numpy computes them (float64, pairwise sums)."""
    arr = np.asarray(values)
    return float(arr.mean()), float(arr.std())

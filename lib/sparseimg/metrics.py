"""Image-quality and support metrics."""

from __future__ import annotations

import numpy as np

from sparseimg._validate import check_int, check_missing

__all__ = ["rmse", "psnr", "relative_error", "support_precision_recall", "event_statistics", "quality",
           "interior_psnr", "inpainting_scores"]


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


def psnr(reference: np.ndarray, estimate: np.ndarray, *, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB, ``10 log10(data_range² / MSE)``.

    Parameters
    ----------
    reference, estimate : ndarray
        Same shape.
    data_range : float
        Peak-to-peak range of the signal: 1 for the library's images (float in [0, 1], the one
        convention; scikit-image's for float images); pass another peak for other signals
        (e.g. ``np.ptp(reference)`` for a spike train).

    Returns
    -------
    float
        ``inf`` when the estimate equals the reference.
    """
    ref, est = _pair(reference, estimate)
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


def quality(reference: np.ndarray, estimate: np.ndarray) -> dict[str, float]:
    """``{'psnr': dB, 'ssim': …}`` of an estimate, both with ``data_range = 1``.

    SSIM is ``skimage.metrics.structural_similarity`` (7×7 uniform window).
    """
    from skimage.metrics import structural_similarity

    ref = np.asarray(reference, dtype=np.float64)
    est = np.asarray(estimate, dtype=np.float64)
    return {"psnr": psnr(ref, est, data_range=1.0),
            "ssim": float(structural_similarity(ref, est, data_range=1.0))}


def interior_psnr(reference: np.ndarray, estimate: np.ndarray, margin: int) -> float:
    """PSNR (dB, ``data_range = 1``) on the image without a border of ``margin`` pixels."""
    ref = np.asarray(reference)
    margin = check_int("margin", margin, low=0, high=(min(ref.shape) - 1) // 2)
    window = (slice(margin, ref.shape[0] - margin), slice(margin, ref.shape[1] - margin))
    return psnr(ref[window], np.asarray(estimate)[window], data_range=1.0)


def inpainting_scores(reference, estimate, missing) -> dict[str, float]:
    """PSNR (dB, peak 1) and RMSE on the whole image; RMSE on the missing and on the observed pixels.

    The document reports RMSE and PSNR on the full image; the missing-pixel RMSE
    isolates what a method had to invent, the observed-pixel RMSE how closely it
    kept the data (0 for methods that keep observed pixels as measured).
    """
    ref = np.asarray(reference, dtype=np.float64)
    est = np.asarray(estimate, dtype=np.float64)
    missing = check_missing(missing, ref.shape[:2])
    return {
        "psnr": psnr(ref, est, data_range=1.0),
        "rmse": rmse(ref, est),
        "rmse_missing": rmse(ref[missing], est[missing]) if missing.any() else 0.0,
        "rmse_observed": rmse(ref[~missing], est[~missing]),
    }

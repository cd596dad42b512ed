"""Missing pixels: masks, the sampling operator ``P_Ω`` and the channel layout of masked images.

A mask is a boolean ``(n0, n1)`` array, True where a pixel is missing; one mask serves
every channel. Images are channel-last ``(n0, n1, C)`` (scikit-image's convention) or
2-D; :func:`observed_channels` turns one into the channel-first ``(C, n0, n1)`` layout
that factorizations and operators use, with the missing values discarded (they may be
NaN), so no method can read the truth it is scored against.
"""

from __future__ import annotations

import numpy as np

from sparseimg._validate import check_int, check_missing, check_real
from sparseimg.operators.base import LinearOperator

__all__ = ["check_missing", "observed_channels", "channels_to_image", "observed_means", "random_mask",
           "fixed_count_mask", "apply_mask", "keep_observed", "MaskOperator"]


def observed_channels(image, missing, dtype=np.float64) -> tuple[np.ndarray, np.ndarray, bool]:
    """``(A, missing, was_2d)`` with ``A`` channel-first ``(C, n0, n1)``, zero at missing pixels.

    Values at missing pixels are discarded here (they may be NaN); observed values must be
    finite.
    """
    arr = np.asarray(image)
    if arr.ndim not in (2, 3):
        raise ValueError(f"image has shape {arr.shape}: expected (rows, columns) or (rows, columns, channels)")
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"image has dtype {arr.dtype}: expected real pixel values")
    missing = check_missing(missing, arr.shape[:2])
    was_2d = arr.ndim == 2
    chan = arr[None] if was_2d else np.moveaxis(arr, -1, 0)
    data = np.where(missing, 0.0, chan).astype(dtype)
    if not np.all(np.isfinite(data)):
        raise ValueError("image has NaN or infinite values at observed pixels: expected finite values")
    return data, missing, was_2d


def channels_to_image(channels: np.ndarray, was_2d: bool) -> np.ndarray:
    """Inverse of :func:`observed_channels`' layout: ``(C, n0, n1)`` back to channel-last (or 2-D)."""
    return channels[0] if was_2d else np.moveaxis(channels, 0, -1)


def observed_means(data: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Mean of the observed pixels of each channel, shape ``(C,)``."""
    return data.sum(axis=(1, 2)) / np.count_nonzero(~missing)


def random_mask(shape, proportion: float, *, seed: int | np.random.Generator) -> np.ndarray:
    """Pixels missing independently with probability ``proportion`` (the document's draw).

    Parameters
    ----------
    shape : (int, int)
        Image shape ``(n0, n1)``.
    proportion : float
        Probability in ``[0, 1)`` that a pixel is missing; the realised fraction
        fluctuates around it.
    seed : int or numpy.random.Generator

    Returns
    -------
    ndarray of bool, shape (n0, n1)
        True where the pixel is missing. One mask serves all channels.
    """
    n0, n1 = (check_int("shape[0]", shape[0], low=1), check_int("shape[1]", shape[1], low=1))
    proportion = check_real("proportion", proportion, low=0.0, high=1.0, high_open=True)
    rng = np.random.default_rng(seed)
    return rng.random((n0, n1)) < proportion


def fixed_count_mask(shape, count: int, *, seed: int | np.random.Generator) -> np.ndarray:
    """Exactly ``count`` missing pixels drawn uniformly without replacement.

    The document's second mask removes 900 pixels this way.

    Returns
    -------
    ndarray of bool, shape (n0, n1)
        True where the pixel is missing.
    """
    n0, n1 = (check_int("shape[0]", shape[0], low=1), check_int("shape[1]", shape[1], low=1))
    count = check_int("count", count, low=0, high=n0 * n1 - 1)
    rng = np.random.default_rng(seed)
    mask = np.zeros(n0 * n1, dtype=bool)
    mask[rng.choice(n0 * n1, size=count, replace=False)] = True
    return mask.reshape(n0, n1)


def apply_mask(image, missing, *, fill: float = np.nan) -> np.ndarray:
    """Copy of ``image`` with ``fill`` (NaN by default) at missing pixels, every channel.

    Parameters
    ----------
    image : ndarray, shape (n0, n1) or (n0, n1, C)
    missing : ndarray of bool, shape (n0, n1)
    """
    arr = np.array(image, dtype=np.float64)
    missing = check_missing(missing, arr.shape[:2])
    arr[missing] = fill
    return arr


def keep_observed(image, missing, estimate) -> np.ndarray:
    """``estimate`` at missing pixels, ``image`` (as measured) elsewhere.

    Parameters
    ----------
    image, estimate : ndarray, shape (n0, n1, C) or (n0, n1)
    missing : ndarray of bool, shape (n0, n1)
    """
    img = np.asarray(image, dtype=np.float64)
    est = np.asarray(estimate, dtype=np.float64)
    if est.shape != img.shape:
        raise ValueError(f"estimate has shape {est.shape}: expected the image's shape {img.shape}")
    missing = check_missing(missing, img.shape[:2])
    m = missing[..., None] if img.ndim == 3 else missing
    return np.where(m, est, img)


class MaskOperator(LinearOperator):
    """``P_Ω``: keep the observed pixels of a ``(C, n0, n1)`` array, zero the others.

    Self-adjoint and idempotent; ``‖P_Ω‖² = 1`` (0 if nothing is observed).
    """

    def __init__(self, missing):
        self.missing = check_missing(missing)
        self.observed = ~self.missing

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.where(self.observed, x, 0.0).astype(x.dtype, copy=False)

    adjoint = forward

    def lipschitz_constant(self) -> float:
        return 1.0

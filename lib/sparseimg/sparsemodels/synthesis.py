"""Sparse events and the convolutional generative model ``x = A y (+ noise)``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sparseimg._validate import check_int, check_real, check_shape2d
from sparseimg.operators.fourier import FourierConvolution

__all__ = ["SparseEvents", "laplace_events", "threshold_to_sparsity", "sparse_events", "synthesize"]


@dataclass(frozen=True)
class SparseEvents:
    """Events drawn by :func:`sparse_events`.

    Attributes
    ----------
    dense : ndarray
        Laplace draws before thresholding.
    events : ndarray
        The sparse events (``dense`` zeroed where ``|dense| <= threshold``).
    threshold : float
        The ``1 - rho`` quantile of ``|dense|``.
    """

    dense: np.ndarray
    events: np.ndarray
    threshold: float


def laplace_events(shape: tuple[int, int], *, scale: float, seed: int) -> np.ndarray:
    """``scale`` × standard Laplace draws from ``numpy.random.RandomState(seed)``.

    The legacy ``RandomState`` stream is used on purpose: it is what the source
    document used with seed 2020, and its draws are frozen across numpy versions.
    """
    shape = check_shape2d("shape", shape)
    scale = check_real("scale", scale, low=0.0, low_open=True)
    seed = check_int("seed", seed, low=0, high=2 ** 32 - 1)
    return scale * np.random.RandomState(seed).laplace(size=shape)


def threshold_to_sparsity(values: np.ndarray, rho: float) -> tuple[np.ndarray, float]:
    """Keep the fraction ``rho`` of entries with the largest magnitude.

    Returns the thresholded copy and the threshold (the ``1 - rho`` quantile of
    ``|values|``, linear interpolation); entries with ``|v| <= threshold`` are zeroed.
    """
    rho = check_real("rho", rho, low=0.0, high=1.0, low_open=True, high_open=True)
    magnitude = np.absolute(values)
    threshold = float(np.quantile(magnitude.ravel(), 1.0 - rho))
    return np.where(magnitude > threshold, values, 0.0), threshold


def sparse_events(shape: tuple[int, int], *, rho: float = 1e-3, scale: float = 1.61803,
                  seed: int = 2020) -> SparseEvents:
    """Laplace coefficients thresholded to a sparsity ``rho`` (fraction of non-zeros).

    Parameters
    ----------
    shape : (n0, n1)
    rho : float in (0, 1)
        Target fraction of non-zero events.
    scale : float > 0
        Scale of the Laplace distribution (the document's ``y_lambda``).
    seed : int
        Seed of the legacy ``RandomState`` generator.
    """
    rho = check_real("rho", rho, low=0.0, high=1.0, low_open=True, high_open=True)
    dense = laplace_events(shape, scale=scale, seed=seed)
    events, threshold = threshold_to_sparsity(dense, rho)
    return SparseEvents(dense=dense, events=events, threshold=threshold)


def synthesize(operator: FourierConvolution, events: np.ndarray, *, noise_std: float = 0.0,
               seed: int | None = None) -> np.ndarray:
    """Image ``A y + σ n`` with ``n`` standard normal (seeded) when ``noise_std > 0``."""
    noise_std = check_real("noise_std", noise_std, low=0.0)
    image = operator.forward(events)
    if noise_std > 0:
        if seed is None:
            raise ValueError("seed=None is not allowed when noise_std > 0: pass an integer seed")
        rng = np.random.default_rng(check_int("seed", seed, low=0))
        image = image + noise_std * rng.standard_normal(image.shape).astype(image.dtype)
    return image

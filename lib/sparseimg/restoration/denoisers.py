"""Denoisers: plain ``denoise(x, sigma)`` functions, and the adapter that makes any of them a prox.

A denoiser maps a noisy image and a noise level (or threshold) to an estimate; it
keeps no state. :class:`DenoiserProx` wraps one as the "penalty" of a
proximal-gradient iteration (plug-and-play): it has a ``prox`` but no ``value``
(``has_value = False``), so :func:`~sparseimg.optim.solvers.proximal_gradient` refuses to
track an objective that would not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy import fft as sfft

from sparseimg.contracts import PenaltyBase
from sparseimg._validate import check_choice, check_real
from sparseimg.images import from_opponent, to_opponent
from sparseimg.operators.dct import block_transform, check_frame, frame_layout

__all__ = ["shifted_dct_threshold", "bm3d_denoise", "DenoiserProx"]


def bm3d_denoise(x: np.ndarray, sigma: float, *, stages: str = "all") -> np.ndarray:
    """BM3D (the ``bm3d`` package, a peer: non-commercial licence) of a 2-D image with white noise ``sigma``.

    Run on one thread: the package's threads aggregate in a racy order, so two calls with several threads
    could differ by about 1e-7; with one, every call gives the same bits.

    Parameters
    ----------
    x : ndarray, shape (n0, n1)
        The noisy image (computed in float64).
    sigma : float
        Noise standard deviation in ``x``'s units.
    stages : {"all", "hard"}, optional
        Both stages (hard thresholding, then Wiener filtering; default) or the first only (half the time).

    Returns
    -------
    ndarray, shape (n0, n1), float64
    """
    import bm3d

    check_choice("bm3d_stages", stages, ("all", "hard"))
    stage = bm3d.BM3DStages.ALL_STAGES if stages == "all" else bm3d.BM3DStages.HARD_THRESHOLDING
    profile = bm3d.BM3DProfile()
    profile.num_threads = 1
    return np.asarray(bm3d.bm3d(np.asarray(x, dtype=np.float64), float(sigma), profile=profile, stage_arg=stage),
                      dtype=np.float64)


def shifted_dct_threshold(x: np.ndarray, threshold: float, *, block: int = 8, stride: int = 2,
                          color: bool = True, mode: str = "hard") -> np.ndarray:
    """Translation-invariant block-DCT thresholding (cycle spinning) of a ``(C, n0, n1)`` image.

    For each of the ``(block / stride)²`` shifts the (symmetrically padded) image is
    cut in ``block × block`` blocks, each block's orthonormal DCT is thresholded
    (its DC coefficient is kept), and the inverse transforms are averaged over the
    shifts.

    Parameters
    ----------
    x : ndarray, shape (C, n0, n1)
    threshold : float
        Threshold on DCT coefficients (pixel units).
    block, stride, color
        As in :func:`shifted_block_dct`.
    mode : {"hard", "soft"}

    Returns
    -------
    ndarray, shape (C, n0, n1)
    """
    block, stride = check_frame(block, stride)
    if block is None:
        raise ValueError("block=None is not allowed here: expected a block side >= 2")
    threshold = check_real("threshold", threshold, low=0.0)
    check_choice("mode", mode, ("hard", "soft"))
    x = np.asarray(x)
    n_ch, n0, n1 = x.shape
    shifts, len0, len1, p0, p1 = frame_layout(n0, n1, block, stride)
    u = to_opponent(x) if color else x
    padded = np.pad(u, ((0, 0), (block, p0 - n0 - block), (block, p1 - n1 - block)), mode="symmetric")
    canvas = np.zeros_like(padded)
    for i, j in shifts:
        coefs = block_transform(padded[:, i:i + len0, j:j + len1], block, sfft.dctn)
        dc = coefs[:, ::block, ::block].copy()
        if mode == "hard":
            coefs[np.abs(coefs) <= threshold] = 0.0
        else:
            coefs -= np.clip(coefs, -threshold, threshold)
        coefs[:, ::block, ::block] = dc
        canvas[:, i:i + len0, j:j + len1] += block_transform(coefs, block, sfft.idctn)
    out = canvas[:, block:block + n0, block:block + n1] / len(shifts)
    return from_opponent(out) if color else out


@dataclass(frozen=True)
class DenoiserProx(PenaltyBase):
    """Any denoiser as a prox-only "penalty": ``prox(x, step) = denoise(x, sigma, **options)``.

    Parameters
    ----------
    denoise : callable
        ``denoise(x, sigma, **options) -> ndarray`` shaped like ``x``.
    sigma : float
        Noise level (or threshold) handed to the denoiser.
    options : dict
        Further keyword arguments of ``denoise``.
    scale_with_step : bool
        If True the denoiser gets ``sigma * sqrt(step)`` (the noise level of a gradient
        step of size ``step`` on a unit-variance data term); the default hands it
        ``sigma`` unchanged (the intended step is then 1).

    Notes
    -----
    A denoiser is in general not the prox of any penalty, so there is no objective:
    ``has_value`` is False and ``value`` raises.
    """

    denoise: Callable
    sigma: float
    options: dict = field(default_factory=dict)
    scale_with_step: bool = False

    has_value = False

    def __post_init__(self):
        check_real("sigma", self.sigma, low=0.0)
        if not callable(self.denoise):
            raise TypeError(f"denoise={self.denoise!r} is not allowed: expected a callable denoise(x, sigma)")

    def value(self, x: np.ndarray) -> float:
        raise ValueError(f"{self!r} has no value: a denoiser is not the prox of a known penalty")

    def prox(self, x: np.ndarray, step: float) -> np.ndarray:
        sigma = self.sigma * float(np.sqrt(step)) if self.scale_with_step else self.sigma
        return self.denoise(x, sigma, **self.options)

"""Image inpainting by sparsity and by interpolation.

Every function takes an image (channel-last ``(n0, n1, C)`` or 2-D) and a boolean mask
of missing pixels, reads only the observed pixels, and returns an image of the same
shape that keeps the observed pixels as measured.

- :func:`dct_l1_inpaint` — synthesis sparsity ``min ½‖P_Ω(D c − A)‖² + λ‖c‖₁`` with ``D``
  a (shifted) block-DCT frame, by FISTA through the one proximal-gradient core;
- :func:`dct_threshold_inpaint` — iterated translation-invariant DCT thresholding with a
  decreasing threshold (Guleryuz 2006; Elad, Starck et al. 2005): proximal-gradient
  steps whose "prox" is the denoiser :func:`~sparseimg.restoration.denoisers.shifted_dct_threshold`
  (plug-and-play, through :class:`~sparseimg.restoration.denoisers.DenoiserProx`);
- :func:`rff_inpaint` — the section-4 document's random-Fourier-features regression of
  colour on pixel coordinates (closed-form ridge instead of Adam);
- :func:`normalized_convolution` — a Gaussian-weighted mean of the observed neighbours
  (Knutsson & Westin 1993); :func:`biharmonic_inpaint` — scikit-image's peer.

Low-rank completion lives in :mod:`sparseimg.restoration.completion`.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from sparseimg._validate import check_choice, check_int, check_real
from sparseimg.restoration.denoisers import DenoiserProx, shifted_dct_threshold
from sparseimg.optim.objectives import LeastSquares
from sparseimg.operators.dct import MaskedDCTSynthesis, check_frame
from sparseimg.operators.mask import MaskOperator, channels_to_image, keep_observed, observed_channels, observed_means
from sparseimg.optim.prox import L1Norm
from sparseimg.optim.solvers import History, proximal_gradient

__all__ = ["normalized_convolution", "dct_l1_inpaint", "dct_threshold_inpaint", "rff_features", "rff_inpaint",
           "biharmonic_inpaint"]


def _normalized_convolution(data: np.ndarray, missing: np.ndarray, sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    weight = (~missing).astype(np.float64)
    density = gaussian_filter(weight, sigma, mode="reflect")
    est = np.stack([gaussian_filter(d, sigma, mode="reflect") for d in data])
    # where no observed pixel lies within reach, fall back to the mean colour
    means = observed_means(data, missing)[:, None, None]
    tiny = density < 1e-8
    est = np.where(tiny, means, est / np.where(tiny, 1.0, density))
    return np.where(missing, est, data)


def _start_image(data: np.ndarray, missing: np.ndarray, start_sigma: float | None) -> np.ndarray:
    if start_sigma is None:
        return np.where(missing, observed_means(data, missing)[:, None, None], data)
    return _normalized_convolution(data, missing, check_real("start_sigma", start_sigma, low=0.0, low_open=True))


def normalized_convolution(image, missing, *, sigma: float = 1.0) -> np.ndarray:
    """Gaussian-weighted mean of the observed pixels around each missing one (Knutsson & Westin 1993).

    ``(G_σ * (M ⊙ A)) / (G_σ * M)`` with ``M`` the observed mask — a fast, smooth
    interpolant (used to start :func:`dct_threshold_inpaint`).

    Parameters
    ----------
    image : ndarray, shape (n0, n1, C) or (n0, n1)
    missing : ndarray of bool, shape (n0, n1)
    sigma : float
        Gaussian width in pixels.

    Returns
    -------
    ndarray, shape like ``image``; observed pixels kept as measured.
    """
    sigma = check_real("sigma", sigma, low=0.0, low_open=True)
    data, missing, was_2d = observed_channels(image, missing)
    return channels_to_image(_normalized_convolution(data, missing, sigma), was_2d)


def dct_l1_inpaint(image, missing, *, lam: float = 0.003, block: int | None = 16, stride: int = 16,
                   color: bool = True, n_iter: int = 100, tol: float = 1e-5, start_sigma: float | None = 1.0,
                   progress: bool = False) -> tuple[np.ndarray, History]:
    """Sparse synthesis inpainting: ``min_c ½‖P_Ω(D c − A)‖² + λ‖c‖₁`` by FISTA.

    ``D`` is the shifted block-DCT frame of :func:`shifted_block_dct` (block DC
    coefficients unpenalized); the solver is the library's
    :func:`~sparseimg.optim.solvers.proximal_gradient` with :class:`~sparseimg.optim.prox.L1Norm`
    and ``accelerate=True``, started from the analysis of the
    :func:`normalized_convolution` of the data (the problem is convex, so the start
    only changes how fast FISTA gets there). Observed pixels are kept as measured in
    the returned image.

    Parameters
    ----------
    image : ndarray, shape (n0, n1, C) or (n0, n1)
    missing : ndarray of bool, shape (n0, n1)
    lam : float
        ℓ1 weight (pixel units of a [0, 1] image).
    block, stride, color
        Frame (``color`` needs 3 channels; it is ignored for greyscale images).
        The default, 16 × 16 blocks without shifts, is an orthonormal basis.
    n_iter, tol
        FISTA iteration cap and relative-change tolerance.
    start_sigma : float or None
        Gaussian width of the starting :func:`normalized_convolution`; None starts
        from the observed mean colour.

    Returns
    -------
    estimate : ndarray, shape like ``image``, values in [0, 1]
    history : History
    """
    lam = check_real("lam", lam, low=0.0)
    data, missing, was_2d = observed_channels(image, missing)
    op = MaskedDCTSynthesis(missing, data.shape[0], block=block, stride=stride, color=color and data.shape[0] == 3)
    start = _start_image(data, missing, start_sigma)
    coefs, hist = proximal_gradient(LeastSquares(op, data), L1Norm(lam * op.dc_weights()), op.analysis(start),
                                    n_iter=n_iter, tol=tol, accelerate=True, track=True, progress=progress,
                                    desc="DCT-ℓ1 FISTA")
    est = np.where(missing, np.clip(op.synthesis(coefs), 0.0, 1.0), data)
    return channels_to_image(est, was_2d), hist


def dct_threshold_inpaint(image, missing, *, threshold_start: float = 0.5, threshold_end: float = 0.005,
                          n_stages: int = 20, iter_per_stage: int = 2, block: int = 8, stride: int = 2,
                          color: bool = True, mode: str = "hard", start_sigma: float | None = 1.0,
                          progress: bool = False, callback: Callable | None = None) -> np.ndarray:
    """Inpainting by iterated shift-invariant DCT thresholding with a decreasing threshold.

    Each iteration is a proximal-gradient step with step 1 on ``½‖P_Ω(x − A)‖²``
    followed by the denoiser :func:`~sparseimg.restoration.denoisers.shifted_dct_threshold` — i.e. ``x ← T_τ(P_Ω A + P_Ωᶜ x)`` — run
    by :func:`~sparseimg.optim.solvers.proximal_gradient` for ``iter_per_stage`` iterations
    at each of ``n_stages`` thresholds geometrically spaced from ``threshold_start``
    to ``threshold_end`` (warm-started). The iteration is not convex: it starts
    from :func:`normalized_convolution` (a local weighted mean of the observed
    pixels), which matters when most pixels are missing. The result keeps the
    observed pixels as measured.

    Parameters
    ----------
    image : ndarray, shape (n0, n1, C) or (n0, n1)
    missing : ndarray of bool, shape (n0, n1)
    threshold_start, threshold_end : float
        Threshold schedule (pixel units), ``threshold_start >= threshold_end > 0``.
    n_stages, iter_per_stage : int
    block, stride, color, mode
        See :func:`shifted_dct_threshold` (``color`` is ignored unless C = 3).
    start_sigma : float or None
        Width (pixels) of the Gaussian of the starting :func:`normalized_convolution`;
        None starts from the observed mean colour instead.
    callback : callable, optional
        ``callback(stage, estimate)`` after each stage, ``estimate`` shaped like ``image``.

    Returns
    -------
    ndarray, shape like ``image``, values in [0, 1]
    """
    t0 = check_real("threshold_start", threshold_start, low=0.0, low_open=True)
    t1 = check_real("threshold_end", threshold_end, low=0.0, low_open=True)
    if t1 > t0:
        raise ValueError(f"threshold_end={threshold_end!r} is not allowed: expected <= threshold_start={t0!r}")
    n_stages = check_int("n_stages", n_stages, low=1)
    iter_per_stage = check_int("iter_per_stage", iter_per_stage, low=1)
    check_frame(block, stride)
    check_choice("mode", mode, ("hard", "soft"))
    data, missing, was_2d = observed_channels(image, missing)
    color = color and data.shape[0] == 3
    op = MaskOperator(missing)
    smooth = LeastSquares(op, data)
    x = _start_image(data, missing, start_sigma)
    taus = np.geomspace(t0, t1, n_stages) if n_stages > 1 else [t1]
    for stage, tau in enumerate(taus):
        denoiser = DenoiserProx(shifted_dct_threshold, float(tau),
                                options={"block": block, "stride": stride, "color": color, "mode": mode})
        x, _ = proximal_gradient(smooth, denoiser, x,
                                 step=1.0, n_iter=iter_per_stage, tol=0.0, accelerate=False, track=False,
                                 progress=progress, desc=f"DCT threshold τ={tau:.3g}")
        if callback is not None:
            callback(stage, channels_to_image(np.where(missing, np.clip(x, 0.0, 1.0), data), was_2d))
    est = np.where(missing, np.clip(x, 0.0, 1.0), data)
    return channels_to_image(est, was_2d)


def _rff_draw(n_dims: int, n_features: int, sigma: float, seed) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    omega = rng.standard_normal((n_dims, n_features)) / sigma
    phase = rng.uniform(0.0, 2.0 * np.pi, n_features)
    return omega, phase


def _rff_map(coords: np.ndarray, omega: np.ndarray, phase: np.ndarray) -> np.ndarray:
    z = coords @ omega
    z += phase
    np.cos(z, out=z)
    z *= math.sqrt(2.0 / omega.shape[1])
    return z


def rff_features(coords: np.ndarray, *, n_features: int, sigma: float,
                 seed: int | np.random.Generator = 0) -> np.ndarray:
    """Random Fourier features of the Gaussian kernel ``exp(−‖x − y‖² / (2σ²))``.

    ``z(x) = sqrt(2 / D) cos(x Ω + b)`` with ``Ω ~ N(0, σ⁻² I)`` and
    ``b ~ U[0, 2π)`` (Rahimi & Recht 2007; scikit-learn's ``RBFSampler`` with
    ``gamma = 1 / (2σ²)`` draws the same distribution), so ``z(x)ᵀz(y)`` approximates
    the kernel.

    Parameters
    ----------
    coords : ndarray, shape (N, d)
        Points (here pixel coordinates, in pixels).
    n_features : int
        ``D``.
    sigma : float
        Kernel width, in the units of ``coords``.
    seed : int or Generator

    Returns
    -------
    ndarray, shape (N, D)
    """
    coords = np.asarray(coords, dtype=np.float64)
    if coords.ndim != 2:
        raise ValueError(f"coords has shape {coords.shape}: expected (N, d)")
    n_features = check_int("n_features", n_features, low=1)
    sigma = check_real("sigma", sigma, low=0.0, low_open=True)
    return _rff_map(coords, *_rff_draw(coords.shape[1], n_features, sigma, seed))


def rff_inpaint(image, missing, *, n_features: int = 300, sigma: float = 20.0, ridge: float = 1e-6,
                seed: int | np.random.Generator = 0, chunk: int = 16384) -> np.ndarray:
    """Colour from coordinates: a linear model on random Fourier features, fitted on observed pixels.

    The document trains ``nn.Linear`` on RFF features of the coordinates with Adam on
    the mean squared error; here the same linear model (with intercept) is fitted in
    closed form, ``(Z_cᵀZ_c + ridge·N I) β = Z_cᵀ(y − ȳ)`` with ``Z_c`` the centred
    features of the ``N`` observed pixels — the point the Adam training converges to
    when ``ridge → 0``. Features are built ``chunk`` pixels at a time (memory
    ``O(chunk · D + D²)``).

    Parameters
    ----------
    image : ndarray, shape (n0, n1, C) or (n0, n1)
    missing : ndarray of bool, shape (n0, n1)
    n_features : int
        Number of features ``D``; time ``O(n0 n1 D²)``.
    sigma : float
        Kernel width in pixels.
    ridge : float
        Ridge weight relative to the number ``N`` of observed pixels.
    seed : int or Generator
    chunk : int
        Pixels per block of features.

    Returns
    -------
    ndarray, shape like ``image``, values in [0, 1]; observed pixels kept as measured.
    """
    ridge = check_real("ridge", ridge, low=0.0, low_open=True)
    n_features = check_int("n_features", n_features, low=1)
    sigma = check_real("sigma", sigma, low=0.0, low_open=True)
    chunk = check_int("chunk", chunk, low=1)
    data, missing, was_2d = observed_channels(image, missing)
    n_ch, n0, n1 = data.shape
    omega, phase = _rff_draw(2, n_features, sigma, seed)
    rows, cols = np.divmod(np.arange(n0 * n1), n1)
    coords = np.stack([rows, cols], axis=1).astype(np.float64)
    observed = ~missing.ravel()
    values = data.reshape(n_ch, -1).T
    # sufficient statistics of the observed pixels, chunk by chunk
    gram = np.zeros((n_features, n_features))
    z_sum = np.zeros(n_features)
    zy = np.zeros((n_features, n_ch))
    for start in range(0, n0 * n1, chunk):
        keep = observed[start:start + chunk]
        z = _rff_map(coords[start:start + chunk][keep], omega, phase)
        gram += z.T @ z
        z_sum += z.sum(axis=0)
        zy += z.T @ values[start:start + chunk][keep]
    n_obs = int(observed.sum())
    z_mean = z_sum / n_obs
    y_mean = values[observed].mean(axis=0)
    gram -= n_obs * np.outer(z_mean, z_mean)
    gram[np.diag_indices_from(gram)] += ridge * n_obs
    beta = np.linalg.solve(gram, zy - n_obs * np.outer(z_mean, y_mean))
    pred = np.empty_like(values)
    for start in range(0, n0 * n1, chunk):
        pred[start:start + chunk] = (_rff_map(coords[start:start + chunk], omega, phase) - z_mean) @ beta + y_mean
    est = np.where(missing, np.clip(pred.T.reshape(n_ch, n0, n1), 0.0, 1.0), data)
    return channels_to_image(est, was_2d)


def biharmonic_inpaint(image, missing) -> np.ndarray:
    """The peer: scikit-image's ``inpaint_biharmonic`` (``channel_axis=-1`` for colour), clipped to [0, 1]."""
    from skimage.restoration import inpaint_biharmonic

    data, missing, was_2d = observed_channels(image, missing)
    img = channels_to_image(data, was_2d)
    est = inpaint_biharmonic(img, missing, channel_axis=None if was_2d else -1)
    return keep_observed(img, missing, np.clip(est, 0.0, 1.0))

"""A learned lifting denoiser (LINN/WINNet-like): an invertible multi-level lifting transform whose
predictors and updaters are small convolutional networks, and a learned, noise-level-aware shrinkage
of the detail bands.

Structure (all periodic; one level, for rows and then for columns):

- split ``x`` into even and odd rows ``x_e, x_o``;
- ``n_steps`` lifting steps alternating predict ``d ← d − P_k(s)`` and update ``s ← s + U_k(d)``
  (starting from ``s = x_e``, ``d = x_o``), each ``P_k``/``U_k`` a linear 4 × 3 convolution (4 taps
  along the split axis, 3 across) plus, with ``pu_hidden > 0``, a small residual network (conv
  3 × 3 → ReLU → conv 3 × 3, the last layer initialized at zero); then ``s·ζ``, ``d/ζ``.  Initialized at the CDF 9/7 lifting
  (``n_steps = 4``) or the 5/3 (``n_steps = 2``), so that the untrained transform is the
  library's :func:`sparseimg.operators.lifting.dwt2` (periodic) exactly;
- the coarse band is transformed again, ``levels`` times.

Whatever the weights, the inverse runs the steps backwards with flipped signs, so
``inverse(forward(x)) == x`` to rounding (tested to 1e-10): invertible by construction.

Denoising: at each level the three detail bands ``(LH, HL, HH)`` go, divided by ``σ`` (saturated
at :data:`SATURATION` σ), with their magnitudes, the same bands of a *pilot* estimate and a channel
``log(σ/σ_ref)``, through a small CNN (one per level) whose output corrects, on the logit scale, the
empirical Wiener gain of the pilot: ``d̂ = d · sigmoid(log(p²/σ²) + CNN(…))`` (``p``: the pilot's
coefficient in the same learned transform). The CNN's last layer starts at zero, so the untrained
model is exactly empirical Wiener filtering in the 9/7 domain (Ghael, Sayeed & Baraniuk 1997; the
second stage of BM3D does the same with another transform). A soft threshold ``θ = σ·g(σ)`` is the
special case of a gain depending on ``|d|/σ`` alone; the CNN also sees the neighbours and the other
orientations. The pilot is part 1's translation-invariant BayesShrink (:func:`pilot_estimate`).
Without a pilot (``pilot=False``) the gain is ``sigmoid(CNN(d/σ, |d|/σ, log σ))``. The coarse band
is kept. At test time the estimate is averaged over ``shifts × shifts`` circular translations of a
reflect-padded image (cycle spinning, Coifman & Donoho 1995).

Blind use: one model over ``σ ∈ [sigma_min, sigma_max]``; ``σ`` unknown is estimated by
:func:`sparseimg.restoration.noise.estimate_sigma_patches` (not learned: weak-texture patches and the tail of
the patch-covariance eigenvalues), with stride 2 (its fast setting).

References
----------
J.-J. Huang and P. L. Dragotti, "LINN: Lifting inspired invertible neural network for image
denoising", EUSIPCO 2021. J.-J. Huang and P. L. Dragotti, "WINNet: Wavelet-inspired invertible
network for image denoising", arXiv 2109.06381, 2021. W. Sweldens, "The lifting scheme: a
construction of second generation wavelets", SIAM J. Math. Anal. 29(2), 1998. I. Daubechies and
W. Sweldens, "Factoring wavelet transforms into lifting steps", J. Fourier Anal. Appl. 4(3), 1998.
S. P. Ghael, A. M. Sayeed and R. G. Baraniuk, "Improved wavelet denoising via empirical Wiener
filtering", Proc. SPIE 3169, 1997.
"""

from __future__ import annotations

import math
import time

import autograd.numpy as anp
import numpy as np

from sparseimg._validate import check_int, check_real
from sparseimg.learn.nn import conv2d, conv_net, init_conv_net, test_time
from sparseimg.operators.lifting import ALPHA, BETA, DELTA, GAMMA, ZETA

__all__ = ["TRAINING_IMAGES", "DEFAULT_CONFIG", "init_params", "forward", "inverse", "denoise_bands",
           "denoise_patches", "pilot_estimate", "denoise", "make_denoiser", "architecture", "training_images", "make_pool", "sample_batch", "loss",
           "n_parameters"]

#: scikit-image images the model is trained on (greyscale); none of them is ever reported
#: (the reported ones are camera, astronaut, moon, coins; ``cat`` is ``chelsea``'s duplicate; ``coffee``
#: is left out: it is the tuning image of the plug-and-play weights, as in part 1).
TRAINING_IMAGES = ("chelsea", "rocket", "brick", "grass", "gravel", "clock", "hubble_deep_field",
                   "immunohistochemistry", "page", "text", "retina")

#: Architecture: lifting levels, lifting steps per axis and level (4: 9/7 init; 2: 5/3), hidden
#: channels of the predict/update residual networks (0: linear P/U), hidden channels and layers
#: of the detail-band CNN, the reference noise level of the ``log σ`` channel.
DEFAULT_CONFIG = {"levels": 4, "n_steps": 4, "pu_hidden": 0, "band_hidden": 16, "band_layers": 3,
                  "pilot": True, "sigma_ref": 25.0 / 255.0}

_TAPS_53 = (0.5, 0.25)
_TAPS_97 = (-ALPHA, BETA, -GAMMA, DELTA)


def _axis_kernel(taps_along, axis):
    """A linear lifting kernel (1, 1, 4, 3) for row splits (axis 0) or (1, 1, 3, 4) for column splits."""
    k = np.zeros((4, 3))
    k[:, 1] = taps_along
    return (k if axis == 0 else k.T)[None, None]


def init_params(config: dict | None = None, seed: int = 0) -> dict:
    """Weights at the CDF 9/7 (``n_steps=4``) or 5/3 (``n_steps=2``) lifting, detail CNNs He-initialized.

    Parameters
    ----------
    config : dict, optional
        Overrides of :data:`DEFAULT_CONFIG` (levels, n_steps, pu_hidden, band_hidden, band_layers, pilot).
    seed : int, optional
        Seed of the He initialization.

    Returns
    -------
    dict
        ``name -> array``: the lifting kernels ``L{level}a{axis}s{step}lin``, their residual CNNs and the
        band CNNs ``L{level}band…`` (with a pilot, the band CNN's last layer is zero: exactly the Wiener gain).
    """
    cfg = {**DEFAULT_CONFIG, **(config or {})}
    if cfg["n_steps"] not in (2, 4):
        raise ValueError(f"n_steps={cfg['n_steps']!r} is not allowed: expected 2 (5/3 start) or 4 (9/7 start)")
    rng = np.random.default_rng(seed)
    taps = _TAPS_97 if cfg["n_steps"] == 4 else _TAPS_53
    p = {}
    for lev in range(cfg["levels"]):
        for axis in (0, 1):
            for k in range(cfg["n_steps"]):
                pre = f"L{lev}a{axis}s{k}"
                # predict P(s)[i] = t s[i] + t s[i+1]  (origin 1: taps i-1, i, i+1, i+2)
                # update  U(d)[i] = t d[i-1] + t d[i]  (origin 2: taps i-2, i-1, i, i+1)
                along = [0.0, taps[k], taps[k], 0.0]
                p[pre + "lin"] = _axis_kernel(along, axis)
                if cfg["pu_hidden"]:
                    p.update(init_conv_net(rng, (1, cfg["pu_hidden"], 1), 3, prefix=pre + "n", zero_last=True))
        chans = (13 if cfg["pilot"] else 7,) + (cfg["band_hidden"],) * (cfg["band_layers"] - 1) + (3,)
        # with a pilot the CNN corrects the empirical Wiener gain (last layer zero: exactly Wiener at the start)
        net = init_conv_net(rng, chans, 3, prefix=f"L{lev}band", zero_last=cfg["pilot"])
        if not cfg["pilot"]:
            net[f"L{lev}bandb{cfg['band_layers'] - 1}"] = np.full(3, 1.0)  # start near "keep"
        p.update(net)
    return p


def n_parameters(params: dict) -> int:
    """The number of trainable scalars.

    Parameters
    ----------
    params : dict
        A weights dict (:func:`init_params`, or trained).

    Returns
    -------
    int
    """
    return int(sum(np.size(v) for v in params.values()))


def architecture(params: dict) -> dict:
    """The architecture a weights dict encodes (read from its keys and shapes).

    Parameters
    ----------
    params : dict
        A weights dict.

    Returns
    -------
    dict
        ``levels``, ``n_steps`` (lifting steps per axis), ``pu_hidden`` (P/U residual CNN channels, 0: none),
        ``band_layers`` and ``pilot`` (whether the band CNN reads a pilot estimate).
    """
    levels = 1 + max(int(k[1:k.index("a")]) for k in params if k.endswith("lin"))
    n_steps = 1 + max(int(k.split("s")[1].split("lin")[0]) for k in params if k.startswith("L0a0") and k.endswith("lin"))
    pu_hidden = params["L0a0s0nw0"].shape[0] if "L0a0s0nw0" in params else 0
    band_layers = 1 + max(int(k[len("L0bandw"):]) for k in params if k.startswith("L0bandw"))
    pilot = params["L0bandw0"].shape[1] == 13
    return {"levels": levels, "n_steps": n_steps, "pu_hidden": pu_hidden, "band_layers": band_layers, "pilot": pilot}


def _lift_op(params, pre, src, axis, kind, pu_hidden):
    origin = ((1, 1) if axis == 0 else (1, 1)) if kind == "predict" else ((2, 1) if axis == 0 else (1, 2))
    out = conv2d(src, params[pre + "lin"], origin)
    if pu_hidden:
        out = out + conv_net(params, src, 2, prefix=pre + "n")
    return out


def _split(x, axis):
    return (x[:, :, 0::2, :], x[:, :, 1::2, :]) if axis == 0 else (x[:, :, :, 0::2], x[:, :, :, 1::2])


def _merge(e, o, axis):
    n, c, h, w = e.shape
    if axis == 0:
        return anp.reshape(anp.stack([e, o], axis=3), (n, c, 2 * h, w))
    return anp.reshape(anp.stack([e, o], axis=4), (n, c, h, 2 * w))


def _scale(cfg):
    return ZETA if cfg["n_steps"] == 4 else math.sqrt(2.0)


def _analysis_1d(params, x, lev, axis, cfg):
    s, d = _split(x, axis)
    for k in range(cfg["n_steps"]):
        pre = f"L{lev}a{axis}s{k}"
        if k % 2 == 0:
            d = d - _lift_op(params, pre, s, axis, "predict", cfg["pu_hidden"])
        else:
            s = s + _lift_op(params, pre, d, axis, "update", cfg["pu_hidden"])
    z = _scale(cfg)
    return s * z, d / z


def _synthesis_1d(params, s, d, lev, axis, cfg):
    z = _scale(cfg)
    s, d = s / z, d * z
    for k in reversed(range(cfg["n_steps"])):
        pre = f"L{lev}a{axis}s{k}"
        if k % 2 == 0:
            d = d + _lift_op(params, pre, s, axis, "predict", cfg["pu_hidden"])
        else:
            s = s - _lift_op(params, pre, d, axis, "update", cfg["pu_hidden"])
    return _merge(s, d, axis)


def forward(params: dict, x, levels: int | None = None):
    """Analysis by the learned lifting steps (periodic; autograd-traceable).

    Parameters
    ----------
    params : dict
        A weights dict.
    x : ndarray or ArrayBox
        Batch (N, 1, H, W), sides divisible by ``2**levels``.
    levels : int, optional
        Levels to compute (default: the model's).

    Returns
    -------
    coarse : ndarray
        (N, 1, H/2^levels, W/2^levels).
    details : list of tuple
        ``details[j] = (LH, HL, HH)`` of level ``j`` (finest first), each (N, 1, H/2^(j+1), W/2^(j+1));
        ``LH`` is low-pass along rows and high-pass along columns.
    """
    cfg = architecture(params)
    levels = cfg["levels"] if levels is None else levels
    details = []
    s = x
    for lev in range(levels):
        lo, hi = _analysis_1d(params, s, lev, 0, cfg)
        ll, lh = _analysis_1d(params, lo, lev, 1, cfg)
        hl, hh = _analysis_1d(params, hi, lev, 1, cfg)
        details.append((lh, hl, hh))
        s = ll
    return s, details


def inverse(params: dict, coarse, details):
    """Synthesis: the exact inverse of :func:`forward` for any weights.

    Parameters
    ----------
    params : dict
        The weights given to :func:`forward`.
    coarse, details
        As returned by :func:`forward` (details possibly denoised).

    Returns
    -------
    ndarray
        The batch (N, 1, H, W).
    """
    cfg = architecture(params)
    s = coarse
    for lev in reversed(range(len(details))):
        lh, hl, hh = details[lev]
        lo = _synthesis_1d(params, s, lh, lev, 1, cfg)
        hi = _synthesis_1d(params, hl, hh, lev, 1, cfg)
        s = _synthesis_1d(params, lo, hi, lev, 0, cfg)
    return s


#: The CNN's inputs saturate at this many σ: ``b / sqrt(1 + (b / SATURATION)²)``, so that below the
#: trained noise range (large ``d/σ``) the correction stays bounded and the Wiener gain takes over.
SATURATION = 8.0


def _saturate(b):
    return b / anp.sqrt(1.0 + (b / SATURATION) ** 2)


def denoise_bands(params: dict, details, sigma, pilot=None, sigma_ref: float = DEFAULT_CONFIG["sigma_ref"]):
    """``d̂ = d · sigmoid([log(p²/σ²) +] CNN_level(d/σ, |d|/σ, [p/σ, |p|/σ,] log(σ/σ_ref)))`` per level
    (the band inputs saturated at :data:`SATURATION` σ).

    Parameters
    ----------
    params : dict
        A weights dict.
    details : list of tuple
        The detail bands of :func:`forward`.
    sigma : ndarray
        Noise level per patch, shape (N,), image units.
    pilot : list of tuple, optional
        The detail bands of a pilot estimate (same transform); required by a model with a pilot.
    sigma_ref : float, optional
        The σ the level feature ``log(σ/σ_ref)`` is relative to.

    Returns
    -------
    list of tuple
        The denoised ``(LH, HL, HH)`` per level, shaped like ``details``.
    """
    cfg = architecture(params)
    if cfg["pilot"] and pilot is None:
        raise ValueError("this model needs the detail bands of a pilot estimate (pilot=None given)")
    sig = anp.reshape(sigma, (-1, 1, 1, 1))
    out = []
    for lev, (lh, hl, hh) in enumerate(details):
        bands = anp.concatenate([lh, hl, hh], axis=1) / sig
        level = anp.ones_like(lh) * anp.log(sig / sigma_ref)
        feats = [_saturate(bands), anp.abs(_saturate(bands))]
        if cfg["pilot"]:
            pb = anp.concatenate(list(pilot[lev]), axis=1) / sig
            feats += [_saturate(pb), anp.abs(_saturate(pb))]
        feats = anp.concatenate(feats + [level], axis=1)
        logit = conv_net(params, feats, cfg["band_layers"], prefix=f"L{lev}band")
        if cfg["pilot"]:  # around the empirical Wiener gain p²/(p² + σ²): logit = log(p²/σ²) + CNN
            logit = logit + anp.log(pb ** 2 + 1e-6)
        gain = 1.0 / (1.0 + anp.exp(-logit))
        den = bands * gain * sig
        out.append((den[:, 0:1], den[:, 1:2], den[:, 2:3]))
    return out


def denoise_patches(params: dict, noisy, sigma, pilot=None):
    """Forward transform, detail denoising, inverse transform on a batch.

    Parameters
    ----------
    params : dict
        A weights dict.
    noisy : ndarray
        Batch (N, 1, H, W), sides divisible by ``2**levels``.
    sigma : ndarray
        Noise level per patch, shape (N,).
    pilot : ndarray, optional
        Pilot estimates (N, 1, H, W), required by a model with a pilot.

    Returns
    -------
    ndarray
        The denoised batch (N, 1, H, W).
    """
    coarse, details = forward(params, noisy)
    pilot_details = None if pilot is None else forward(params, pilot)[1]
    return inverse(params, coarse, denoise_bands(params, details, sigma, pilot_details))


def pilot_estimate(noisy, sigma, shifts: int = 4):
    """The pilot: part 1's translation-invariant BayesShrink (9/7, 4 levels, ``shifts × shifts`` cycle spins).

    Parameters
    ----------
    noisy : ndarray
        An image (n0, n1) or a stack (C, n0, n1).
    sigma : float or ndarray
        Noise level (image units), one number or one per image of the stack.
    shifts : int, optional
        Cycle spins per axis.

    Returns
    -------
    ndarray
        The pilot estimate, shaped like ``noisy``.
    """
    from sparseimg.restoration.shrinkage import denoise_ti

    return denoise_ti(noisy, sigma, shifts=shifts, wavelet="cdf97", levels=4, method="BayesShrink")


def denoise(noisy, sigma, params: dict, *, shifts: int = 2, pad: int = 16, pilot_shifts: int = 4) -> np.ndarray:
    """Denoise an image (n0, n1) with noise ``sigma`` (image units; None: estimated by
    :func:`sparseimg.restoration.noise.estimate_sigma_patches` with stride 2).

    The image (and its pilot, :func:`pilot_estimate`, for a model with a pilot) is reflect-padded by
    ``pad`` and to a multiple of ``2**levels``; the network (periodic) runs on ``shifts × shifts``
    circular translations by one pixel, whose results are shifted back and averaged.

    Parameters
    ----------
    noisy : ndarray
        The image (n0, n1), float in [0, 1].
    sigma : float or None
        Noise standard deviation in image units (> 0), or None to estimate it.
    params : dict
        Trained weights (``sparseimg.learn.training.load_weights(path)[0]`` of the committed ``models/`` file).
    shifts : int, optional
        Translations per axis averaged (≥ 1).
    pad : int, optional
        Reflect padding (≥ 0).
    pilot_shifts : int, optional
        Cycle spins of the pilot estimate.

    Returns
    -------
    ndarray
        The estimate, shape (n0, n1), unclipped.
    """
    from sparseimg.restoration.noise import estimate_sigma_patches

    x = np.asarray(noisy, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"noisy has shape {x.shape}: expected an image (n0, n1)")
    shifts = check_int("shifts", shifts, low=1)
    pad = check_int("pad", pad, low=0)
    if sigma is None:
        sigma = estimate_sigma_patches(x, stride=2)
    sigma = check_real("sigma", sigma, low=0.0, low_open=True)
    cfg = architecture(params)
    m = 2 ** cfg["levels"]
    n0, n1 = x.shape
    p0, p1 = (-(n0 + 2 * pad)) % m, (-(n1 + 2 * pad)) % m
    widths = ((pad, pad + p0), (pad, pad + p1))
    xp = np.pad(x, widths, mode="symmetric")
    pp = np.pad(pilot_estimate(x, sigma, pilot_shifts), widths, mode="symmetric") if cfg["pilot"] else None
    acc = np.zeros_like(xp)
    for i in range(shifts):
        for j in range(shifts):
            roll = lambda a: np.roll(a, (i, j), axis=(0, 1))[None, None]  # noqa: E731
            with test_time():
                out = denoise_patches(params, roll(xp), np.array([sigma]), None if pp is None else roll(pp))
            acc += np.roll(np.asarray(out)[0, 0], (-i, -j), axis=(0, 1))
    return acc[pad:pad + n0, pad:pad + n1] / shifts ** 2


def make_denoiser(params: dict, *, shifts: int = 2, sigma_range=(2.0 / 255, 75.0 / 255)):
    """The model as a plug-and-play denoiser.

    Parameters
    ----------
    params : dict
        Trained weights.
    shifts : int, optional
        As in :func:`denoise`.
    sigma_range : pair of float, optional
        The σ range the model is meant for; a requested σ is clipped into it.

    Returns
    -------
    callable
        ``run(x, sigma) -> ndarray``.
    """
    lo, hi = sigma_range

    def run(x, sigma):
        return denoise(x, float(np.clip(sigma, lo, hi)), params, shifts=shifts)
    return run


# ---------------------------------------------------------------------------------------------
# Training data and loss
# ---------------------------------------------------------------------------------------------
def training_images(names=TRAINING_IMAGES, max_side: int = 512) -> list:
    """The training images (never a reported image: refused).

    Parameters
    ----------
    names : sequence of str, optional
        Packaged image names.
    max_side : int, optional
        Larger images are centre-cropped to ``max_side``.

    Returns
    -------
    list of ndarray
        Greyscale float64 in [0, 1].
    """
    from sparseimg.images import center_crop, load_image

    reported = {"camera", "astronaut", "moon", "coins"}
    bad = reported.intersection(names)
    if bad:
        raise ValueError(f"training images {sorted(bad)} are reported images: never train on them")
    out = []
    for n in names:
        im = load_image(n, gray=True)
        out.append(center_crop(im, min(max_side, *im.shape)) if max(im.shape) > max_side else im)
    return out


def make_pool(images, n_draws: int, sigma_range, rng: np.random.Generator, *, pilot: bool = True,
              pilot_shifts: int = 4) -> list:
    """``[(clean, noisy, pilot or None, sigma)]``: ``n_draws`` noisy copies of every image, σ ~ U(sigma_range) each.

    The pilots are computed on the whole images (as at test time), once, before training.

    Parameters
    ----------
    images : list of ndarray
        Clean training images.
    n_draws : int
        Noisy copies per image.
    sigma_range : pair of float
        σ is drawn uniformly in it for every copy.
    rng : numpy.random.Generator
    pilot : bool, optional
        Whether to compute the pilot estimates.
    pilot_shifts : int, optional
        Cycle spins of the pilots.

    Returns
    -------
    list of tuple
        ``(clean, noisy float32, pilot float32 or None, sigma)`` per draw.
    """
    pool = []
    for im in images:
        for _ in range(n_draws):
            s = float(rng.uniform(*sigma_range))
            noisy = im + s * rng.standard_normal(im.shape)
            pool.append((im, noisy.astype(np.float32),
                         pilot_estimate(noisy, s, pilot_shifts).astype(np.float32) if pilot else None, s))
    return pool


def sample_batch(rng: np.random.Generator, pool, patch: int, batch: int):
    """``(clean, noisy, sigma, pilot)`` patches of the pool (random flips and transposes).

    Parameters
    ----------
    rng : numpy.random.Generator
    pool : list of tuple
        From :func:`make_pool`; images drawn in proportion to their area.
    patch : int
        Patch side.
    batch : int
        Patches per batch.

    Returns
    -------
    tuple
        ``(clean, noisy, sigma, pilot)``: batches (batch, 1, patch, patch), σ (batch,), ``pilot`` None for a
        pool without pilots.
    """
    has_pilot = pool[0][2] is not None
    arrays = np.empty((3 if has_pilot else 2, batch, 1, patch, patch))
    sigma = np.empty(batch)
    areas = np.array([e[0].size for e in pool], dtype=float)
    which = rng.choice(len(pool), size=batch, p=areas / areas.sum())
    for b, k in enumerate(which):
        clean, noisy, pilot, sigma[b] = pool[k]
        i = rng.integers(0, clean.shape[0] - patch + 1)
        j = rng.integers(0, clean.shape[1] - patch + 1)
        t = rng.integers(0, 8)
        for a, src in enumerate((clean, noisy, pilot)[:arrays.shape[0]]):
            p = src[i:i + patch, j:j + patch]
            if t & 1:
                p = p[::-1]
            if t & 2:
                p = p[:, ::-1]
            if t & 4:
                p = p.T
            arrays[a, b, 0] = p
    return arrays[0], arrays[1], sigma, (arrays[2] if has_pilot else None)


def loss(params: dict, clean, noisy, sigma, pilot=None, margin: int = 8):
    """Mean over the batch of ``MSE / σ²`` on the patch interior (periodic wrap-around excluded).

    Parameters
    ----------
    params : dict
        The weights (traced by autograd).
    clean, noisy, sigma, pilot
        A batch of :func:`sample_batch`.
    margin : int, optional
        Border pixels left out of the loss.

    Returns
    -------
    float or ArrayBox
    """
    out = denoise_patches(params, noisy, sigma, pilot)
    err = (out - clean)[:, :, margin:-margin, margin:-margin]
    per = anp.mean(err ** 2, axis=(1, 2, 3)) / sigma ** 2
    return anp.mean(per)


def train_model(config: dict, *, patch: int = 64, batch: int = 16, n_steps: int = 2000, lr: float = 2e-3,
                sigma_range=(5.0 / 255, 55.0 / 255), n_draws: int = 6, seed: int = 0, images=TRAINING_IMAGES,
                progress: bool = True, max_side: int = 512, pilot_shifts: int = 4):
    """Train the denoiser from the 9/7 start (Adam, gradient clipping, fixed seeds).

    Parameters
    ----------
    config : dict
        Architecture overrides of :data:`DEFAULT_CONFIG`.
    patch, batch, n_steps, lr : optional
        Patch side, patches per step, steps, Adam's learning rate.
    sigma_range : pair of float, optional
        Training noise levels (image units).
    n_draws : int, optional
        Noisy copies per training image.
    seed : int, optional
        Seeds the weights, the pool and the batches.
    images : sequence of str, optional
        Training images (reported images refused).
    progress : bool, optional
        A progress bar.
    max_side, pilot_shifts : int, optional
        As in :func:`training_images` and :func:`make_pool`.

    Returns
    -------
    params : dict
        The trained weights.
    log : dict
        Losses (≤ 200 samples), wall and CPU seconds, pool seconds, steps, parameter count, images.
    """
    from sparseimg.learn.training import fit

    cfg = {**DEFAULT_CONFIG, **config}
    t0, c0 = time.perf_counter(), time.process_time()
    params = init_params(cfg, seed=seed)
    rng = np.random.default_rng([seed, 1])
    pool = make_pool(training_images(images, max_side), n_draws, sigma_range, rng, pilot=cfg["pilot"],
                     pilot_shifts=pilot_shifts)
    pool_seconds = time.perf_counter() - t0
    res = fit(loss, params, lambda r: sample_batch(r, pool, patch, batch), n_steps, lr=lr,
              seed=seed, clip=1.0, progress=progress, desc="lifting denoiser")
    log = {"losses": [float(v) for v in res.losses[:: max(1, n_steps // 200)]], "seconds": time.perf_counter() - t0,
           "cpu_seconds": time.process_time() - c0, "pool_seconds": pool_seconds, "steps": n_steps,
           "n_parameters": n_parameters(res.params), "images": list(images)}
    return res.params, log

"""A wavelet-inspired invertible denoiser (after Huang & Dragotti's WINNet), written afresh with autograd.

Transform (one level; ``levels`` of them on the coarse channel, all periodic):

- **split**: the four polyphase components of ``x`` (N, 1, H, W), mixed by the orthonormal 2 × 2 Haar
  matrix into one coarse channel ``s`` and three detail channels;
- **redundancy**: ``extra`` zero channels are appended to the details, so ``D`` has ``3 + extra``
  channels (a representation with more coefficients than pixels);
- **lifting**: ``steps`` pairs of a predict ``D ← D − P_k(s)`` and an update ``s ← s + U_k(D)``, where
  ``P_k`` (1 → 3 + extra channels) and ``U_k`` (3 + extra → 1) are non-linear networks (conv 3 × 3 → ReLU
  → conv 3 × 3; the last layer starts at zero, so the untrained transform is the Haar wavelet).
  The predict step fills the extra channels with learned features of the coarse channel.

The inverse runs the steps backwards with flipped signs and drops the extra channels, so
``inverse(forward(x)) == x`` to rounding whatever the weights (tested to 1e-10); after denoising,
the extra channels still shape the result through the updates ``U_k``.

Denoising (the sparsity-driven network, one per level): the detail channels in units of σ,
``u = D/σ``, go through ``dn_layers`` layers of a convolution followed by a soft threshold whose
level is learned per channel and conditioned on σ,
``θ_k(σ) = softplus(a_k + b_k · log(σ/σ_ref))``, and a last convolution back to the detail channels:
``D̂ = σ · W_out * η_θ(… η_θ(W_in * u))``: a few unfolded sparse-coding steps in a learned domain.
The convolutions start at the identity (the extra channels of the first one He-initialized, their
output weights zero) and the thresholds at 2.4 σ in all, so the untrained model is exactly Haar soft
thresholding. The coarse channel of the last level is
kept. At test time the estimate is averaged over ``shifts × shifts`` circular translations of a
reflect-padded image (cycle spinning).

One model for σ in [5, 55] (0–255); σ unknown (blind) is estimated (:mod:`sparseimg.learn.nenet`'s
network when given, else :func:`sparseimg.restoration.noise.estimate_sigma_patches`).

Training: float32, patches of the :mod:`sparseimg.learn.corpus` images with flips and transposes,
fresh noise at every step (σ uniform over the range, per patch), the loss ``MSE/σ²`` on the patch
interior, Adam with a linear warm-up over the first tenth and a cosine decay (:func:`sparseimg.learn.training.fit`).

References
----------
J.-J. Huang and P. L. Dragotti, "WINNet: Wavelet-inspired invertible network for image denoising",
IEEE Trans. Image Process. 31, 2022 (arXiv 2109.06381). J.-J. Huang and P. L. Dragotti, "LINN: Lifting
inspired invertible neural network for image denoising", EUSIPCO 2021. W. Sweldens, "The lifting scheme:
a construction of second generation wavelets", SIAM J. Math. Anal. 29(2), 1998.
"""

from __future__ import annotations

import math
import time
import warnings
from pathlib import Path

import autograd.numpy as anp
import numpy as np

from sparseimg._validate import check_int
from sparseimg.learn.nn import conv2d, conv_net, init_conv_net, test_time
from sparseimg.optim.prox import soft_threshold_signed

__all__ = ["DEFAULT_CONFIG", "SIGMA_RANGE", "init_params", "architecture", "forward", "inverse",
           "denoise_details", "denoise_patches", "denoise", "check_sigma", "sample_batch", "loss",
           "train_model", "n_parameters", "WINNetDenoiser", "load", "MODEL_NAME"]

MODEL_NAME = "winnet"

#: levels, extra (redundant) detail channels, lifting step pairs, hidden channels of P/U, channels
#: and layers of the sparsity-driven denoising network, reference σ of the threshold law.
DEFAULT_CONFIG = {"levels": 3, "extra": 5, "steps": 2, "pu_hidden": 16, "dn_channels": 32, "dn_layers": 3,
                  "sigma_ref": 25.0 / 255.0}

#: The noise levels (0–255) one model is trained for; outside it the denoiser warns.
SIGMA_RANGE = (5.0, 55.0)

_KEYS = ("levels", "extra", "steps", "pu_hidden", "dn_channels", "dn_layers")


def _softplus_inv(y: float) -> float:
    return math.log(math.expm1(y))


def init_params(config: dict | None = None, seed: int = 0) -> dict:
    """Weights (float32) at the Haar start: P/U last layers zero, denoising nets at Haar soft thresholding."""
    cfg = {**DEFAULT_CONFIG, **(config or {})}
    for key in _KEYS:
        check_int(key, cfg[key], low=0 if key == "extra" else 1)
    rng = np.random.default_rng(seed)
    cd, k, h = 3 + cfg["extra"], cfg["dn_channels"], cfg["pu_hidden"]
    if k < cd:
        raise ValueError(f"dn_channels={k} is not allowed: expected at least 3 + extra = {cd}")
    p = {}
    for lev in range(cfg["levels"]):
        for st in range(cfg["steps"]):
            p.update(init_conv_net(rng, (1, h, cd), 3, prefix=f"L{lev}P{st}", zero_last=True))
            p.update(init_conv_net(rng, (cd, h, 1), 3, prefix=f"L{lev}U{st}", zero_last=True))
        n = cfg["dn_layers"]
        for layer in range(n + 1):
            cin = cd if layer == 0 else k
            cout = cd if layer == n else k
            w = np.zeros((cout, cin, 3, 3))
            m = min(cin, cout)
            w[np.arange(m), np.arange(m), 1, 1] = 1.0
            if layer == 0:  # the channels beyond the details: He-initialized features (output weights zero)
                w[cd:] = np.sqrt(2.0 / (cin * 9)) * rng.standard_normal((cout - cd, cin, 3, 3))
            p[f"L{lev}D{layer}w"] = w
            if layer < n:
                p[f"L{lev}D{layer}a"] = np.full(cout, _softplus_inv(2.4 / n))
                p[f"L{lev}D{layer}b"] = np.zeros(cout)
    p["meta_sigma_ref"] = np.array([cfg["sigma_ref"]])
    return {key: np.asarray(v, dtype=np.float32) for key, v in p.items()}


def n_parameters(params: dict) -> int:
    return int(sum(np.size(v) for k, v in params.items() if not k.startswith("meta_")))


def architecture(params: dict) -> dict:
    """The architecture of a weights dict (raises ValueError when it is not this model's)."""
    try:
        levels = 1 + max(int(k[1:k.index("P")]) for k in params if k.startswith("L") and "P" in k)
        steps = 1 + max(int(k[len("L0P"):].split("w")[0].split("b")[0]) for k in params if k.startswith("L0P"))
        pu_hidden, _, _, _ = params["L0P0w0"].shape
        cd = params["L0P0w1"].shape[0]
        dn_layers = max(int(k[len("L0D"):-1]) for k in params if k.startswith("L0D") and k.endswith("w"))
        dn_channels = params["L0D0w"].shape[0]
        sigma_ref = float(np.asarray(params["meta_sigma_ref"])[0])
    except (KeyError, ValueError, IndexError, AttributeError) as exc:
        raise ValueError(f"the weights are not a WINNet denoiser's ({type(exc).__name__}: {exc})") from None
    return {"levels": levels, "extra": cd - 3, "steps": steps, "pu_hidden": pu_hidden, "dn_channels": dn_channels,
            "dn_layers": dn_layers, "sigma_ref": sigma_ref}


# ------------------------------------------------------------------------------------------------
# The invertible transform
# ------------------------------------------------------------------------------------------------
def _haar_split(x):
    a, b = x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2]
    c, d = x[:, :, 1::2, 0::2], x[:, :, 1::2, 1::2]
    s = 0.5 * (a + b + c + d)
    return s, anp.concatenate([0.5 * (a - b + c - d), 0.5 * (a + b - c - d), 0.5 * (a - b - c + d)], axis=1)


def _haar_merge(s, det):
    d1, d2, d3 = det[:, 0:1], det[:, 1:2], det[:, 2:3]
    a = 0.5 * (s + d1 + d2 + d3)
    b = 0.5 * (s - d1 + d2 - d3)
    c = 0.5 * (s + d1 - d2 - d3)
    d = 0.5 * (s - d1 - d2 + d3)
    n, ch, h, w = s.shape
    top = anp.reshape(anp.stack([a, b], axis=4), (n, ch, h, 2 * w))
    bottom = anp.reshape(anp.stack([c, d], axis=4), (n, ch, h, 2 * w))
    return anp.reshape(anp.stack([top, bottom], axis=3), (n, ch, 2 * h, 2 * w))


def forward(params: dict, x, cfg: dict | None = None):
    """Analysis of ``x`` (N, 1, H, W), sides divisible by ``2**levels``: ``(coarse, [D_0, D_1, …])``,
    ``D_j`` (N, 3 + extra, H/2^(j+1), W/2^(j+1)), finest first."""
    cfg = architecture(params) if cfg is None else cfg
    s, details = x, []
    for lev in range(cfg["levels"]):
        s, det = _haar_split(s)
        if cfg["extra"]:
            n, _, h, w = det.shape
            det = anp.concatenate([det, anp.zeros((n, cfg["extra"], h, w), dtype=det.dtype)], axis=1)
        for st in range(cfg["steps"]):
            det = det - conv_net(params, s, 2, prefix=f"L{lev}P{st}")
            s = s + conv_net(params, det, 2, prefix=f"L{lev}U{st}")
        details.append(det)
    return s, details


def inverse(params: dict, coarse, details, cfg: dict | None = None):
    """Synthesis: the exact inverse of :func:`forward` for any weights (extra channels dropped at the end)."""
    cfg = architecture(params) if cfg is None else cfg
    s = coarse
    for lev in reversed(range(len(details))):
        det = details[lev]
        for st in reversed(range(cfg["steps"])):
            s = s - conv_net(params, det, 2, prefix=f"L{lev}U{st}")
            det = det + conv_net(params, s, 2, prefix=f"L{lev}P{st}")
        s = _haar_merge(s, det[:, :3])
    return s


# ------------------------------------------------------------------------------------------------
# The sparsity-driven denoising network
# ------------------------------------------------------------------------------------------------
def _softplus(v):
    return anp.logaddexp(0.0, v)


def denoise_details(params: dict, details, sigma, cfg: dict | None = None):
    """``D̂_j = σ · W_out * η(… η(W_in * D_j/σ, θ_0(σ)) …)`` per level; ``sigma`` (N,) per image."""
    cfg = architecture(params) if cfg is None else cfg
    sig = anp.reshape(sigma, (-1, 1, 1, 1))
    logs = anp.log(sig / cfg["sigma_ref"])
    out = []
    for lev, det in enumerate(details):
        v = det / sig
        for layer in range(cfg["dn_layers"]):
            v = conv2d(v, params[f"L{lev}D{layer}w"])
            a = anp.reshape(params[f"L{lev}D{layer}a"], (1, -1, 1, 1))
            b = anp.reshape(params[f"L{lev}D{layer}b"], (1, -1, 1, 1))
            v = soft_threshold_signed(v, _softplus(a + b * logs))
        out.append(conv2d(v, params[f"L{lev}D{cfg['dn_layers']}w"]) * sig)
    return out


def denoise_patches(params: dict, noisy, sigma, cfg: dict | None = None):
    """Forward, detail denoising, inverse on a batch (N, 1, H, W) with per-image ``sigma`` (N,)."""
    cfg = architecture(params) if cfg is None else cfg
    coarse, details = forward(params, noisy, cfg)
    return inverse(params, coarse, denoise_details(params, details, sigma, cfg), cfg)


# ------------------------------------------------------------------------------------------------
# Test time
# ------------------------------------------------------------------------------------------------
def check_sigma(sigma, sigma_range=SIGMA_RANGE) -> float:
    """``sigma`` (image units, [0, 1] scale) checked: > 0, not in 0–255 units; a warning outside the range."""
    try:
        s = float(sigma)
    except (TypeError, ValueError):
        raise ValueError(f"sigma={sigma!r} is not allowed: expected a positive number (image units, [0, 1] "
                         f"scale) or None (blind)") from None
    if not math.isfinite(s) or s <= 0:
        raise ValueError(f"sigma={sigma!r} is not allowed: expected a positive noise level (image units, [0, 1] scale)")
    if s >= 1.0:
        raise ValueError(f"sigma={sigma!r} is not allowed: the image is on the [0, 1] scale, so sigma must be below 1 "
                         f"(in 0-255 units? pass sigma/255 = {s / 255:.4g})")
    lo, hi = sigma_range
    if not lo / 255 - 1e-9 <= s <= hi / 255 + 1e-9:
        warnings.warn(f"sigma={255 * s:.3g}/255 is outside the trained range [{lo:g}, {hi:g}]/255: the denoiser "
                      f"extrapolates", stacklevel=3)
    return s


def _check_image(noisy) -> np.ndarray:
    x = np.asarray(noisy)
    if x.ndim != 2:
        raise ValueError(f"noisy has shape {x.shape}: expected a greyscale image (n0, n1)")
    if x.dtype.kind not in "fiub" or not np.all(np.isfinite(x)):
        raise ValueError("noisy is not allowed: expected a finite real image")
    return x.astype(np.float64)


def denoise(noisy, sigma, params: dict, *, shifts: int = 2, pad: int = 16, estimator=None,
            sigma_range=SIGMA_RANGE) -> np.ndarray:
    """Denoise an image (n0, n1) in [0, 1] with noise ``sigma`` (same units; None: estimated by
    ``estimator(x)``, default :func:`sparseimg.restoration.noise.estimate_sigma_patches` with stride 2).

    Reflect-padded by ``pad`` and to a multiple of ``2**levels``; averaged over ``shifts × shifts``
    circular translations by one pixel (float32 inside).
    """
    x = _check_image(noisy)
    shifts = check_int("shifts", shifts, low=1)
    pad = check_int("pad", pad, low=0)
    cfg = architecture(params)
    if sigma is None:
        if estimator is None:
            from sparseimg.restoration.noise import estimate_sigma_patches

            sigma = estimate_sigma_patches(x, stride=2)
        else:
            sigma = estimator(x)
    sigma = check_sigma(sigma, sigma_range)
    m = 2 ** cfg["levels"]
    n0, n1 = x.shape
    widths = ((pad, pad + (-(n0 + 2 * pad)) % m), (pad, pad + (-(n1 + 2 * pad)) % m))
    xp = np.pad(x, widths, mode="symmetric").astype(np.float32)
    batch = np.stack([np.roll(xp, (i, j), axis=(0, 1)) for i in range(shifts) for j in range(shifts)])[:, None]
    with test_time():
        out = np.asarray(denoise_patches(params, batch, np.full(len(batch), sigma, dtype=np.float32), cfg))
    acc = np.zeros(xp.shape)
    for k, (i, j) in enumerate((i, j) for i in range(shifts) for j in range(shifts)):
        acc += np.roll(out[k, 0].astype(np.float64), (-i, -j), axis=(0, 1))
    return acc[pad:pad + n0, pad:pad + n1] / shifts ** 2


class WINNetDenoiser:
    """A loaded model: ``den(x, sigma=None)`` denoises (σ None: blind, through ``estimator``)."""

    def __init__(self, params: dict, *, shifts: int = 2, estimator=None, info: dict | None = None):
        self.params = params
        self.config = architecture(params)
        self.shifts = check_int("shifts", shifts, low=1)
        self.estimator = estimator
        self.info = info or {}

    def __call__(self, x, sigma=None):
        return denoise(x, sigma, self.params, shifts=self.shifts, estimator=self.estimator)

    @property
    def n_parameters(self) -> int:
        return n_parameters(self.params)


def load(path=None, *, shifts: int = 2, estimator=None) -> WINNetDenoiser:
    """The trained denoiser in one call: weights from ``path`` (default: the workspace's
    ``models/winnet.npz``, :func:`sparseimg.learn.training.model_path`)."""
    from sparseimg.learn.training import WeightsError, load_weights, model_path

    path = model_path(MODEL_NAME) if path is None else Path(path)
    params, info = load_weights(path)
    try:
        architecture(params)
    except ValueError as exc:
        raise WeightsError(f"{str(path)!r}: {exc}") from None
    return WINNetDenoiser(params, shifts=shifts, estimator=estimator, info=info)


# ------------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------------
def sample_batch(rng: np.random.Generator, images, patch: int, batch: int, sigma_range):
    """``(clean, noisy, sigma)`` float32: random patches (area-weighted image choice, flips and transposes),
    σ uniform over ``sigma_range`` (image units) per patch, fresh Gaussian noise."""
    areas = np.array([im.size for im in images], dtype=float)
    which = rng.choice(len(images), size=batch, p=areas / areas.sum())
    clean = np.empty((batch, 1, patch, patch), dtype=np.float32)
    for b, k in enumerate(which):
        im = images[k]
        i = rng.integers(0, im.shape[0] - patch + 1)
        j = rng.integers(0, im.shape[1] - patch + 1)
        p = im[i:i + patch, j:j + patch]
        t = rng.integers(0, 8)
        if t & 1:
            p = p[::-1]
        if t & 2:
            p = p[:, ::-1]
        if t & 4:
            p = p.T
        clean[b, 0] = p
    sigma = rng.uniform(*sigma_range, size=batch).astype(np.float32)
    noisy = clean + sigma[:, None, None, None] * rng.standard_normal(clean.shape).astype(np.float32)
    return clean, noisy, sigma


def loss(params: dict, clean, noisy, sigma, cfg: dict, margin: int = 4):
    """Mean over the batch of ``MSE / σ²`` on the patch interior."""
    out = denoise_patches(params, noisy, sigma, cfg)
    err = (out - clean)[:, :, margin:-margin, margin:-margin]
    return anp.mean(anp.mean(err ** 2, axis=(1, 2, 3)) / sigma ** 2)


def train_model(config: dict | None = None, *, images=None, patch: int = 64, batch: int = 16, n_steps: int = 3000,
                lr: float = 1e-3, sigma_range=(5.0 / 255, 55.0 / 255), seed: int = 0, max_side: int = 512,
                progress: bool = True, processes: int = 1):
    """Train from the Haar start; returns ``(params, log)``. The log holds no timings (the weights file stays
    bit-identical from run to run; the stage's run record has the time). ``processes``: each batch split
    over that many processes (:func:`sparseimg.learn.training.fit`)."""
    from sparseimg.learn.corpus import TRAINING_CORPUS, training_corpus
    from sparseimg.learn.training import fit

    cfg = {**DEFAULT_CONFIG, **(config or {})}
    images = training_corpus(TRAINING_CORPUS if images is None else images, max_side)
    small = [im.shape for im in images if min(im.shape) < patch]
    if small:
        raise ValueError(f"patch={patch} is not allowed: training images of shape {small} are smaller")
    params = init_params(cfg, seed=seed)
    arch = architecture(params)
    frozen = {k: v for k, v in params.items() if k.startswith("meta_")}
    train_params = {k: v for k, v in params.items() if not k.startswith("meta_")}

    def objective(p, clean, noisy, sigma):
        return loss({**p, **frozen}, clean, noisy, sigma, arch)

    warm = max(1, n_steps // 10)

    def schedule(step):  # linear warm-up over the first tenth (Adam's first steps move every weight by lr), cosine
        if step < warm:
            return (step + 1) / warm
        return 0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * (step - warm) / max(n_steps - warm - 1, 1)))

    res = fit(objective, train_params, lambda r: sample_batch(r, images, patch, batch, sigma_range), n_steps,
              lr=lr, seed=seed, schedule=schedule, clip=1.0, progress=progress, desc="WINNet denoiser",
              dtype=np.float32, processes=processes)
    log = {"losses": [float(v) for v in res.losses[:: max(1, n_steps // 200)]], "steps": n_steps,
           "n_parameters": n_parameters(res.params), "n_images": len(images)}
    return {**res.params, **frozen}, log


def timed_train(*args, **kwargs):
    """:func:`train_model` with its wall and CPU seconds (for benchmarks; never stored in the weights)."""
    t0, c0 = time.perf_counter(), time.process_time()
    params, log = train_model(*args, **kwargs)
    return params, log, {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0}

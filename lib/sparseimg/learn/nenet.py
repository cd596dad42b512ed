"""NENet: a small learned noise-level estimator (after the noise-estimation network of Huang & Dragotti's WINNet).

``σ̂ = exp(m + MLP(f − m))`` where ``f`` are log-statistics of the image's high-pass responses and ``m``
the log of the weak-texture patch estimate (one of them), so that scaling the image by ``a`` shifts every
feature, and the estimate's log, by ``log a`` while the MLP's input is unchanged: scale-equivariant by
construction; the untrained network (last layer zero) is the patch estimator. The features,
for each of :data:`FILTERS` (unit noise gain: white noise of level σ gives responses of level σ):

- the robust level ``median(|r|)/0.6745`` of the responses ``r``;
- quantiles (:data:`QUANTILES`) of the local root-mean-square of ``r`` over 7 × 7 windows: the low
  quantiles see the flat regions, where a response is noise alone (the weak-texture idea of Liu, Tanaka
  & Okutomi 2013), the spread between them tells texture from noise;

and the two classical estimates (:func:`sparseimg.restoration.noise.estimate_sigma_patches`, stride 2, and
part 1's masked MAD :func:`sparseimg.restoration.shrinkage.estimate_sigma`), which the network corrects.

The MLP (two hidden layers, tanh) is trained (autograd, Adam) on ``log σ`` of (i) training-corpus crops
with white Gaussian noise, σ log-uniform over [1, 80]/255, and (ii) **x-step outputs of plug-and-play
deblurring** on the same crops (Gaussian and line blurs, a few x-step weights), whose target is the level
of the true residual ``std(x − truth)`` (known in training) — so that Algorithm 1's stopping rule
``β_k > β₀`` measures the error left in the image rather than reading a smooth x-step as clean.
"""

from __future__ import annotations

import math
from pathlib import Path

import autograd.numpy as anp
import numpy as np

__all__ = ["FILTERS", "QUANTILES", "features", "init_params", "predict_log", "estimate", "make_training_set",
           "train_model", "load", "NENet", "MODEL_NAME", "line_psf", "xstep_samples"]

MODEL_NAME = "nenet"


def _unit(k):
    k = np.asarray(k, dtype=np.float64)
    k = k - k.mean()
    return k / np.sqrt(np.sum(k * k))


#: High-pass filters (zero mean, unit norm): Haar diagonal, horizontal/vertical differences, a Laplacian,
#: a 4 × 4 diagonal (coarser scale).
FILTERS = {
    "diag": _unit([[1, -1], [-1, 1]]),
    "dx": _unit([[1, -1]]),
    "dy": _unit([[1], [-1]]),
    "lap": _unit([[0, -1, 0], [-1, 4, -1], [0, -1, 0]]),
    "diag4": _unit(np.kron([[1, -1], [-1, 1]], np.ones((2, 2)))),
}
QUANTILES = (0.005, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5)
WINDOW = 7


def n_features() -> int:
    return len(FILTERS) * (1 + len(QUANTILES)) + 2


def features(x) -> np.ndarray:
    """The log-statistics ``f`` of an image (n0, n1), both sides ≥ 16: (n_features,)."""
    from scipy.ndimage import uniform_filter  # here, not at the top: scipy.signal costs 0.4 s of every CLI start-up
    from scipy.signal import fftconvolve

    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"x has shape {x.shape}: expected a greyscale image (n0, n1)")
    if min(x.shape) < 16:
        raise ValueError(f"x has shape {x.shape}: expected both sides at least 16")
    out = []
    for k in FILTERS.values():
        r = fftconvolve(x, k, mode="valid")
        mad = np.median(np.abs(r)) / 0.6745
        local = np.sqrt(np.maximum(uniform_filter(r * r, WINDOW, mode="reflect"), 0.0))
        h = WINDOW // 2
        local = local[h:-h, h:-h] if min(local.shape) > 2 * h + 1 else local
        q = np.quantile(local, QUANTILES)
        out.extend([mad, *q])
    from sparseimg.restoration.noise import estimate_sigma_patches
    from sparseimg.restoration.shrinkage import estimate_sigma

    out.extend([estimate_sigma_patches(x, stride=2), estimate_sigma(x)])
    return np.log(np.maximum(np.array(out), 1e-8))


def init_params(hidden: int = 32, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    n = n_features()
    return {"w0": rng.standard_normal((n, hidden)) * np.sqrt(1.0 / n), "b0": np.zeros(hidden),
            "w1": rng.standard_normal((hidden, hidden)) * np.sqrt(1.0 / hidden), "b1": np.zeros(hidden),
            "w2": np.zeros((hidden, 1)), "b2": np.zeros(1)}


def predict_log(params: dict, feats):
    """``log σ̂`` for a batch of feature rows (B, n_features) -> (B,)."""
    m = feats[:, -2:-1]  # log of the patch estimate: the untrained network returns it
    h = anp.tanh(anp.dot(feats - m, params["w0"]) + params["b0"])
    h = anp.tanh(anp.dot(h, params["w1"]) + params["b1"])
    return (anp.dot(h, params["w2"]) + params["b2"])[:, 0] + m[:, 0]


def estimate(params: dict, x) -> float:
    """σ̂ of an image (its units)."""
    return float(np.exp(predict_log(params, features(x)[None])[0]))


class NENet:
    """A loaded estimator: ``net(x) -> σ̂`` (image units)."""

    def __init__(self, params: dict, info: dict | None = None):
        if set(params) != {"w0", "b0", "w1", "b1", "w2", "b2"} or params["w0"].shape[0] != n_features():
            raise ValueError("the weights are not a NENet's (expected w0..b2 with "
                             f"{n_features()} input features)")
        self.params, self.info = params, info or {}

    def __call__(self, x) -> float:
        return estimate(self.params, x)


def load(path=None) -> NENet:
    """The trained estimator in one call (default: the workspace's ``models/nenet.npz``)."""
    from sparseimg.learn.training import WeightsError, load_weights, model_path

    path = model_path(MODEL_NAME) if path is None else Path(path)
    params, info = load_weights(path)
    try:
        return NENet(params, info)
    except ValueError as exc:
        raise WeightsError(f"{str(path)!r}: {exc}") from None


# ------------------------------------------------------------------------------------------------
# Training data: white noise and x-step outputs
# ------------------------------------------------------------------------------------------------
def line_psf(length: int, angle_deg: float, size: int | None = None) -> np.ndarray:
    """A motion (line) blur: ``length`` pixels at ``angle_deg``, bilinear, ``size × size`` (odd), sum 1."""
    size = size or (length + 1 + (length % 2))
    psf = np.zeros((size, size))
    c = size // 2
    t = np.deg2rad(angle_deg)
    for u in np.linspace(-(length - 1) / 2, (length - 1) / 2, 4 * length):
        yy, xx = c - u * np.sin(t), c + u * np.cos(t)
        i, j = int(np.floor(yy)), int(np.floor(xx))
        fy, fx = yy - i, xx - j
        for di, dj, wgt in ((0, 0, (1 - fy) * (1 - fx)), (1, 0, fy * (1 - fx)), (0, 1, (1 - fy) * fx), (1, 1, fy * fx)):
            if 0 <= i + di < size and 0 <= j + dj < size:
                psf[i + di, j + dj] += wgt
    return psf / psf.sum()


def xstep_samples(clean: np.ndarray, rng: np.random.Generator, denoise, n: int = 3) -> list:
    """``[(x_k, std(x_k − clean))]``: x-steps of a plug-and-play run on ``clean`` (blur and noise drawn by ``rng``).

    Blur: a Gaussian (σ 1–3 px) or a line (7–15 px, any angle), circular; noise 1–10/255; the x-step
    ``(HᵀH + μI)⁻¹(Hᵀy + μz)`` from ``z = y`` and then from ``z = denoise(x, 2·std)`` (the true level:
    the generator knows it), with ``μ`` falling geometrically over ``n`` steps.
    """
    from sparseimg.kernels import gaussian_psf
    from sparseimg.operators.fourier import FourierConvolution, transfer_from_kernel

    if rng.random() < 0.5:
        s = float(rng.uniform(1.0, 3.0))
        psf = gaussian_psf(13, (s, s))
    else:
        psf = line_psf(int(rng.integers(7, 16)), float(rng.uniform(0, 180)))
    op = FourierConvolution(transfer_from_kernel(psf, clean.shape), clean.shape)
    noise = float(np.exp(rng.uniform(np.log(1.0), np.log(10.0)))) / 255
    y = op.forward(clean) + noise * rng.standard_normal(clean.shape)
    z = y
    out = []
    for mu in np.geomspace(float(rng.uniform(0.02, 0.2)), float(rng.uniform(2.0, 20.0)), n)[::-1] * noise ** 2 * 100:
        x = op.solve_normal(op.adjoint(y) + mu * z, mu)
        level = float(np.std(x - clean))
        out.append((x, level))
        z = denoise(x, min(max(2 * level, 1.0 / 255), 0.3))
    return out


def make_training_set(images, *, seed: int = 0, crop: int = 128, n_awgn: int = 6, n_xstep: int = 1,
                      sigma_range=(1.0 / 255, 80.0 / 255), denoise=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(features (M, n_features), log σ (M,), is_xstep (M,) bool)`` from random crops of ``images``."""
    rng = np.random.default_rng(seed)
    feats, targets, kinds = [], [], []
    for im in images:
        c = min(crop, *im.shape)
        for _ in range(n_awgn):
            i, j = rng.integers(0, im.shape[0] - c + 1), rng.integers(0, im.shape[1] - c + 1)
            patch = im[i:i + c, j:j + c]
            s = float(np.exp(rng.uniform(np.log(sigma_range[0]), np.log(sigma_range[1]))))
            feats.append(features(patch + s * rng.standard_normal(patch.shape)))
            targets.append(math.log(s))
            kinds.append(False)
        if denoise is not None:
            for _ in range(n_xstep):
                i, j = rng.integers(0, im.shape[0] - c + 1), rng.integers(0, im.shape[1] - c + 1)
                for x, level in xstep_samples(im[i:i + c, j:j + c], rng, denoise):
                    feats.append(features(x))
                    targets.append(math.log(max(level, 1e-4)))
                    kinds.append(True)
    return np.array(feats), np.array(targets), np.array(kinds, dtype=bool)


def train_model(feats, targets, kinds=None, *, hidden: int = 32, n_steps: int = 3000, lr: float = 3e-3,
                seed: int = 0, batch: int = 256, xstep_weight: float = 0.25, progress: bool = False):
    """Fit the MLP to ``log σ`` (squared error weighted 1 for white noise, ``xstep_weight`` for x-step
    samples, whose level is only partly visible: the blur's error is smooth; Adam); returns
    ``(params, log)`` (no timings)."""
    from sparseimg.learn.training import fit

    feats = np.asarray(feats, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    kinds = np.zeros(len(targets), dtype=bool) if kinds is None else np.asarray(kinds, dtype=bool)
    weights = np.where(kinds, xstep_weight, 1.0)

    def objective(p, f, t, w):
        return anp.sum(w * (predict_log(p, f) - t) ** 2) / anp.sum(w)

    def draw(rng):
        k = rng.choice(len(targets), size=min(batch, len(targets)), replace=False)
        return feats[k], targets[k], weights[k]

    res = fit(objective, init_params(hidden, seed), draw, n_steps, lr=lr, seed=seed, progress=progress,
              desc="NENet")
    resid = predict_log(res.params, feats) - targets

    def rms(sel):
        return float(np.sqrt(np.mean(resid[sel] ** 2))) if np.any(sel) else None
    return res.params, {"losses": [float(v) for v in res.losses[:: max(1, n_steps // 100)]],
                        "train_rms_log_error_awgn": rms(~kinds), "train_rms_log_error_xstep": rms(kinds),
                        "n_samples": int(len(targets)), "n_xstep_samples": int(kinds.sum())}

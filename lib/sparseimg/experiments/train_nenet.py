"""Section 3b's training stage ``train_nenet``: the learned noise-level estimator of :mod:`sparseimg.learn.nenet`.

Keys (prefix ``ne_``) of the ``unfolding`` block: :data:`SCHEMA`, :data:`TRAIN_KEYS` (all of them),
:func:`train`. The x-step samples come from plug-and-play runs whose denoiser is part 1's cycle-spun
BayesShrink (fixed, fast), so this stage does not depend on the learned denoiser's weights.
"""

from __future__ import annotations

from sparseimg.learn import nenet
from sparseimg.learn.corpus import TRAINING_CORPUS, training_corpus
from sparseimg.schema import Float, Int

__all__ = ["SCHEMA", "TRAIN_KEYS", "train", "xstep_denoiser"]

SCHEMA = {
    "ne_hidden": Int(2, 256, quick=8, help="hidden units of each of the MLP's two layers"),  # 32
    "ne_crop": Int(32, 512, quick=64, help="side of the random training crops"),  # 256
    "ne_awgn": Int(1, 1000, quick=2, help="white-noise crops per training image"),  # 40
    "ne_xstep": Int(0, 100, quick=1, help="plug-and-play runs per training image (3 x-steps each)"),  # 3
    "ne_xstep_weight": Float(0, 10, quick=0.25, help="weight of the x-step samples in the loss (white noise: 1)"),
    "ne_sigma_max": Float(1, 255, quick=80.0, help="largest white-noise level, 0-255 (log-uniform from 1)"),  # 80
    "ne_max_side": Int(64, 4096, quick=128, help="central crop of each training image (side at most)"),  # 512
    "ne_train_steps": Int(1, 10**6, quick=50, help="Adam steps"),  # 4000
    "ne_lr": Float(0, 1, low_open=True, quick=3e-3, help="peak learning rate (cosine decay)"),  # 3e-3
    "ne_seed": Int(0, 2**32 - 1, quick=0, help="seed of the crops, the noise and the batches"),  # 0
}

TRAIN_KEYS = tuple(SCHEMA)


def xstep_denoiser(x, sigma):
    """The denoiser inside the x-step runs: part 1's BayesShrink, 2 × 2 cycle spins (9/7, 4 levels).

    Parameters
    ----------
    x : ndarray
        The image to denoise.
    sigma : float
        Noise level in image units.

    Returns
    -------
    ndarray
    """
    from sparseimg.restoration.shrinkage import denoise_ti

    return denoise_ti(x, sigma, shifts=2, wavelet="cdf97", levels=4, method="BayesShrink")


def train(block: dict, *, progress: bool = True) -> tuple[dict, dict]:
    """The pipeline's ``train_nenet``.

    Parameters
    ----------
    block : dict
        The validated ``unfolding`` block (its ``ne_`` keys).
    progress : bool, optional
        A progress bar on stderr.

    Returns
    -------
    params : dict
        The weights.
    log : dict
        JSON-able training log (no timings).
    """
    images = training_corpus(TRAINING_CORPUS, block["ne_max_side"])
    feats, targets, kinds = nenet.make_training_set(images, seed=block["ne_seed"], crop=block["ne_crop"],
                                             n_awgn=block["ne_awgn"], n_xstep=block["ne_xstep"],
                                             sigma_range=(1.0 / 255, block["ne_sigma_max"] / 255),
                                             denoise=xstep_denoiser if block["ne_xstep"] else None)
    return nenet.train_model(feats, targets, kinds, hidden=block["ne_hidden"], n_steps=block["ne_train_steps"],
                             lr=block["ne_lr"], seed=block["ne_seed"], xstep_weight=block["ne_xstep_weight"],
                             progress=progress)

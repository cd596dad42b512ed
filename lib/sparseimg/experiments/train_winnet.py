"""Section 3b's training stage ``train_winnet``: the WINNet-structured denoiser of :mod:`sparseimg.learn.winnet`.

Keys (prefix ``win_``) of the ``unfolding`` block: :data:`SCHEMA` (quick values; full values in the
comments), :data:`TRAIN_KEYS` (every key here: the weights depend on all of them), :func:`train`.
Training images: :data:`sparseimg.learn.corpus.TRAINING_CORPUS` (never a reported, tuning or held-out
image). Kept apart from the evaluation code (:mod:`sparseimg.experiments.unfolding_winnet`) so that the
stage's dependencies are the training code alone.
"""

from __future__ import annotations

from sparseimg.learn import winnet
from sparseimg.schema import Float, Int, ParamError

__all__ = ["SCHEMA", "TRAIN_KEYS", "check_train", "model_config", "train"]


def _sigma(**kw):
    return Float(0, 255, low_open=True, **kw)


SCHEMA = {
    "win_levels": Int(1, 5, quick=2, help="lifting levels (each: Haar split, extra channels, lifting steps)"),  # 3
    "win_extra": Int(0, 16, quick=2, help="extra (redundant) detail channels filled by the predict steps"),  # 5
    "win_steps": Int(1, 4, quick=1, help="predict/update pairs per level"),  # 2
    "win_pu_hidden": Int(1, 64, quick=4, help="hidden channels of the predict/update networks"),  # 16
    "win_dn_channels": Int(3, 64, quick=8, help="channels of the sparsity-driven denoising network"),  # 24
    "win_dn_layers": Int(1, 6, quick=2, help="soft-threshold layers of the denoising network"),  # 2
    "win_sigma_min": _sigma(quick=5.0, help="smallest training noise level, 0-255"),  # 5
    "win_sigma_max": _sigma(quick=55.0, help="largest training noise level, 0-255"),  # 55
    "win_max_side": Int(64, 4096, quick=128, help="central crop of each training image (side at most)"),  # 512
    "win_patch": Int(16, 256, quick=32, help="training patch side (multiple of 2^levels)"),  # 64
    "win_batch": Int(1, 256, quick=4, help="patches per Adam step"),  # 16
    "win_train_steps": Int(1, 10**6, quick=10, help="Adam steps"),  # see params.yaml
    "win_lr": Float(0, 1, low_open=True, quick=2e-3, help="peak learning rate (cosine decay)"),  # 2e-3
    "win_seed": Int(0, 2**32 - 1, quick=0, help="seed of the initialization and the batches"),  # 0
    "win_processes": Int(1, 16, quick=1, help="processes each batch is split over (the weights depend on it, "
                                              "not on the machine's cores)"),  # 2
}

TRAIN_KEYS = tuple(SCHEMA)


def check_train(block: dict) -> None:
    """The cross-field rules of the keys: patch side vs levels, σ range ordered, batch vs processes, channels.

    Parameters
    ----------
    block : dict
        The validated ``unfolding`` block.

    Raises
    ------
    ParamError
        One line naming the first key that breaks a rule, its value and what is allowed.
    """
    if block["win_patch"] % 2 ** block["win_levels"] or block["win_patch"] < 2 ** block["win_levels"] + 8:
        raise ParamError(f"unfolding.win_patch={block['win_patch']!r} is not allowed: expected a multiple of "
                         f"2^win_levels = {2 ** block['win_levels']} larger than it by at least 8")
    if block["win_sigma_min"] >= block["win_sigma_max"]:
        raise ParamError(f"unfolding.win_sigma_min={block['win_sigma_min']!r} is not allowed: expected < "
                         f"win_sigma_max={block['win_sigma_max']!r}")
    if block["win_batch"] % block["win_processes"]:
        raise ParamError(f"unfolding.win_processes={block['win_processes']!r} is not allowed: expected a divisor of "
                         f"win_batch={block['win_batch']!r}")
    if block["win_dn_channels"] < 3 + block["win_extra"]:
        raise ParamError(f"unfolding.win_dn_channels={block['win_dn_channels']!r} is not allowed: expected at least "
                         f"3 + win_extra = {3 + block['win_extra']}")


def model_config(block: dict) -> dict:
    """The architecture the keys describe.

    Parameters
    ----------
    block : dict
        The validated ``unfolding`` block.

    Returns
    -------
    dict
        The ``config`` of :func:`sparseimg.learn.winnet.train_model`.
    """
    return {"levels": block["win_levels"], "extra": block["win_extra"], "steps": block["win_steps"],
            "pu_hidden": block["win_pu_hidden"], "dn_channels": block["win_dn_channels"],
            "dn_layers": block["win_dn_layers"]}


def train(block: dict, *, progress: bool = True) -> tuple[dict, dict]:
    """The pipeline's ``train_winnet``.

    Parameters
    ----------
    block : dict
        The validated ``unfolding`` block (its ``win_`` keys).
    progress : bool, optional
        A progress bar on stderr.

    Returns
    -------
    params : dict
        The weights.
    log : dict
        JSON-able training log (no timings).
    """
    check_train(block)
    return winnet.train_model(model_config(block), patch=block["win_patch"], batch=block["win_batch"],
                              n_steps=block["win_train_steps"], lr=block["win_lr"],
                              sigma_range=(block["win_sigma_min"] / 255, block["win_sigma_max"] / 255),
                              seed=block["win_seed"], max_side=block["win_max_side"], progress=progress,
                              processes=block["win_processes"])

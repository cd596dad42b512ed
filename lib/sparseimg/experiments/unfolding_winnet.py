"""Section 3c (notebook 03c), the WINNet part: the denoising table of the WINNet-structured denoiser
(:mod:`sparseimg.learn.winnet`) beside the learned lifting model, part 1's TI wavelet shrinkage and BM3D;
the talk's setting (camera 256², σ = 50); σ outside training; NENet's errors
(:mod:`sparseimg.learn.nenet`). Algorithm 1 and PnP-HQS with the learned denoiser and NENet are in
:mod:`sparseimg.experiments.unfolding_winnet_pnp`.

Keys: :data:`SCHEMA` (prefix ``win_``/``ne_``: evaluation, the plug-and-play keys included; the training keys are
:mod:`sparseimg.experiments.train_winnet`'s and :mod:`sparseimg.experiments.train_nenet`'s). The noisy
images are part 1's (:mod:`sparseimg.experiments.wavelets`), as in :mod:`sparseimg.experiments.unfolding_lifting`.
"""

from __future__ import annotations

import time
import warnings
from functools import partial

import numpy as np

from sparseimg._parallel import process_map
from sparseimg.experiments import train_nenet, train_winnet
from sparseimg.experiments import unfolding_lifting as ulf
from sparseimg.experiments import wavelets as wv
from sparseimg.images import center_crop, load_image
from sparseimg.learn import nenet, winnet
from sparseimg.learn.corpus import HELD_OUT, corpus_image
from sparseimg.metrics import psnr
from sparseimg.restoration.noise import estimate_sigma_patches
from sparseimg.schema import Choice, Float, Int, ListOf

__all__ = ["SCHEMA", "EVAL_SCHEMA", "LABELS", "test_images", "denoising_table", "summary", "talk_setting",
           "seconds_512", "nenet_table", "xstep_table"]


def _sigma(**kw):
    return Float(0, 255, low_open=True, **kw)


EVAL_SCHEMA = {
    "win_shifts": Int(1, 4, quick=1, help="test-time cycle spins per axis of the WINNet denoiser"),  # 2
    "win_photos": ListOf(Choice(*HELD_OUT), min_len=1, quick=["china"],
                         help="held-out photographs added to the table (never trained or tuned on)"),  # both
    "win_sigmas": ListOf(_sigma(), min_len=1, quick=[25.0, 50.0], help="noise levels of the table (inside training)"),
    "win_far_sigmas": ListOf(_sigma(), min_len=1, quick=[75.0],
                             help="noise levels outside training (generalisation)"),  # [65, 75]
    "win_talk_side": Int(64, 512, quick=128, help="side of the anti-aliased camera of the talk's setting"),  # 256
    "ne_sigmas": ListOf(_sigma(), min_len=1, quick=[5.0, 40.0, 75.0],
                        help="noise levels of NENet's table (0-255)"),  # 5, 10, ..., 75
    "ne_xstep_runs": Int(0, 50, quick=1, help="plug-and-play runs per test image for the x-step table"),  # 2
    "win_motion_length": Int(3, 41, quick=9, help="length (pixels) of the motion-blur line"),  # 11
    "win_motion_angle": Float(0, 180, quick=30.0, help="angle (degrees) of the motion-blur line"),  # 30
    "win_pnp_lam_grid": ListOf(Float(0, low_open=True), min_len=2, unique=True, quick=[1.0, 3.0],
                               help="λ of Algorithm 1 with WINNet + NENet, swept on the tuning image"),
    "win_hqs_lam_grid": ListOf(Float(0, low_open=True), min_len=2, unique=True, quick=[0.25, 0.5],
                               help="λ of PnP-HQS with WINNet, swept on the tuning image"),
    "win_tv_lam_grid": ListOf(Float(0, low_open=True), min_len=2, unique=True, quick=[5e-4, 1e-3],
                              help="λ of TV-FISTA, swept on the tuning image"),
    "win_lam_extend": Int(0, 20, quick=0, help="λ values a grid may grow by beyond an edge choice"),  # 6
    "win_pnp_factor": Float(0, 10, low_open=True, quick=1.0,
                            help="Algorithm 1's denoiser level = factor · β (NENet measures the error itself)"),
    "win_pnp_max_iter": Int(1, 100, quick=5, help="Algorithm 1's guard on the iterations"),  # 30
    **ulf.guard_schema("win"),
    "win_hqs_iter": Int(1, 100, quick=2, help="PnP-HQS iterations"),  # 8
    "win_tv_iter": Int(1, 1000, quick=20, help="TV-FISTA iterations"),  # 100
    "win_workers": Int(1, 8, quick=1, help="processes for the plug-and-play tuning and runs; same numbers (full: 2)"),
}

SCHEMA = {**train_winnet.SCHEMA, **train_nenet.SCHEMA, **EVAL_SCHEMA}

LABELS = {"winnet": "WINNet-structured (σ known)", "winnet_blind": "WINNet-structured (σ by NENet)",
          "learned": "learned lifting (σ known)", "bayesshrink_ti": "BayesShrink, cycle-spun (part 1)",
          "bm3d": "BM3D"}


def _name(src: str) -> str:
    return ulf._name(src)


def test_images(block: dict) -> dict:
    """``{name: image}``: part 1's four images (central ``lift_crop`` crops) and the held-out photos (same crop).

    Parameters
    ----------
    block : dict
        The validated ``unfolding`` block (:data:`SCHEMA`); reads ``lift_images``, ``lift_crop`` and ``win_photos``.

    Returns
    -------
    dict
        ``{name: image}``: each of ``lift_images`` (named as in part 1's tables: a packaged name, or a file's
        name) then each of ``win_photos``, as greyscale float64 arrays in [0, 1], shape
        (lift_crop, lift_crop), in that order (the order sets the noise seeds).
    """
    out = {_name(s): center_crop(load_image(s, gray=True), block["lift_crop"]) for s in block["lift_images"]}
    out.update({p: center_crop(corpus_image(p), block["lift_crop"]) for p in block["win_photos"]})
    return out


def _methods(models: dict, block: dict, far: bool):
    den, est = models["winnet"], models.get("nenet")
    out = {"winnet": lambda x, s: den(x, s), "bayesshrink_ti": ulf._peer("bayesshrink_ti", block)}
    if est is not None:
        out["winnet_blind"] = lambda x, s: winnet.denoise(x, est(x), den.params, shifts=den.shifts)
    if models.get("lifting") is not None and not far:
        out["learned"] = ulf.make_denoiser(models["lifting"], block)
    if block["lift_bm3d"]:
        out["bm3d"] = ulf._peer("bm3d", block)
    return out


def _denoise_cell(models: dict, block: dict, far: bool, s: float, i: int, clean: np.ndarray, prior: dict):
    """One (σ, image) cell of :func:`denoising_table`: ``({method: psnr} with "noisy", {method: seconds})``;
    the methods in ``prior`` (part 1's cells) are taken as they are, WINNet's always computed."""
    methods = _methods(models, block, far)
    taken = {m: prior[m] for m in methods if m in prior and m not in ("winnet", "winnet_blind")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # σ outside the trained range: on purpose here
        cell, seconds = wv.score_denoisers(clean, wv.add_noise(clean, s / 255, ulf.seed_of(block, i, s)), s / 255,
                                           {m: f for m, f in methods.items() if m not in taken})
    return {"noisy": cell["noisy"], **{m: taken[m] if m in taken else cell[m] for m in methods}}, seconds


def denoising_table(models: dict, block: dict, known: dict | None = None) -> tuple[dict, list, dict]:
    """PSNR per σ (``win_sigmas`` and ``win_far_sigmas``), image and method; part 1's noise seeds.

    ``models``: ``{"winnet": WINNetDenoiser, "nenet": NENet or None, "lifting": weights or None}``.
    ``known``: part 1's table (the first value of
    :func:`sparseimg.experiments.unfolding_lifting.denoising_table`), whose cells (same images, crops,
    noise seeds and denoisers) are taken as they are instead of being computed twice. The cells run in
    ``win_workers`` processes (the same numbers for any count).
    Returns ``({sigma_key: {image: {method: psnr}}}, rows, {method: seconds per computed image})``.

    Parameters
    ----------
    models : dict
        ``{"winnet": WINNetDenoiser, "nenet": NENet or None, "lifting": weights or None}``: the trained
        WINNet-structured denoiser, the noise estimator (adds the blind row ``winnet_blind``) and the learned
        lifting weights (add the ``learned`` row).
    block : dict
        The validated ``unfolding`` block (:data:`SCHEMA`); reads ``win_sigmas``, ``win_far_sigmas`` (levels on the
        0–255 scale), ``win_workers``, the images' keys (:func:`test_images`) and part 1's ``lift_noise_seed``,
        ``lift_bm3d``, ``lift_peer_shifts``.
    known : dict, optional
        Part 1's table ``{sigma_key: {image: {method: psnr}}}`` (default None: every cell computed). WINNet's
        rows are computed in any case.

    Returns
    -------
    table : dict
        ``{sigma_key: {image: {method: psnr}}}`` (PSNR in dB, ``data_range = 1``; ``"noisy"`` included), the
        levels of ``win_sigmas`` then of ``win_far_sigmas`` (no ``learned`` row at the latter).
    rows : list of dict
        ``{"sigma", "image", "method", "psnr_db"}`` per (σ, image, method), ``"noisy"`` excluded (the CSV table).
    seconds : dict
        ``{method: mean wall seconds per image}`` over the cells where the method was computed (not taken
        from ``known``).
    """
    images = test_images(block)
    jobs = [(far, s, i, name, clean) for far, sigmas in ((False, block["win_sigmas"]), (True, block["win_far_sigmas"]))
            for s in sigmas for i, (name, clean) in enumerate(images.items())]
    cells = process_map(partial(_denoise_cell, models, block),
                        [(far, s, i, clean, (known or {}).get(wv.sigma_key(s), {}).get(name, {}))
                         for far, s, i, name, clean in jobs], block["win_workers"])
    table, rows, seconds, counts = {}, [], {}, {}
    for (far, s, i, name, clean), (cell, secs) in zip(jobs, cells):
        table.setdefault(wv.sigma_key(s), {})[name] = cell
        rows.extend({"sigma": s, "image": name, "method": m, "psnr_db": v} for m, v in cell.items() if m != "noisy")
        for m, t in secs.items():
            seconds[m] = seconds.get(m, 0.0) + t
            counts[m] = counts.get(m, 0) + 1
    return table, rows, {m: seconds[m] / counts[m] for m in seconds}


def summary(table: dict, block: dict) -> dict:
    """Mean gains (dB) over the table's images: WINNet − TI wavelet and − BM3D at ``win_sigmas`` (averaged
    over them too), WINNet − TI wavelet at ``win_far_sigmas``, and the learned-lifting row's gain.

    Parameters
    ----------
    table : dict
        ``{sigma_key: {image: {method: psnr}}}``, the first value of :func:`denoising_table`.
    block : dict
        The validated ``unfolding`` block (:data:`SCHEMA`); reads ``win_sigmas`` and ``win_far_sigmas``.

    Returns
    -------
    dict
        ``winnet_minus_ti_db``, ``winnet_blind_minus_ti_db``, ``lifting_minus_ti_db`` (at ``win_sigmas``),
        ``winnet_far_minus_ti_db`` (at ``win_far_sigmas``), ``winnet_minus_bm3d_db`` (at ``win_sigmas``): each the
        mean over the (σ, image) cells holding both methods of the PSNR difference (dB), None when no cell
        holds both; ``per_sigma_minus_ti_db``: ``{sigma_key: WINNet − TI wavelet (dB) or None}`` for every
        level of ``win_sigmas`` and ``win_far_sigmas``.
    """
    def mean_gain(sigmas, a, b):
        vals = [c[a] - c[b] for s in sigmas for c in table[wv.sigma_key(s)].values() if a in c and b in c]
        return float(np.mean(vals)) if vals else None

    out = {"winnet_minus_ti_db": mean_gain(block["win_sigmas"], "winnet", "bayesshrink_ti"),
           "winnet_blind_minus_ti_db": mean_gain(block["win_sigmas"], "winnet_blind", "bayesshrink_ti"),
           "lifting_minus_ti_db": mean_gain(block["win_sigmas"], "learned", "bayesshrink_ti"),
           "winnet_far_minus_ti_db": mean_gain(block["win_far_sigmas"], "winnet", "bayesshrink_ti"),
           "winnet_minus_bm3d_db": mean_gain(block["win_sigmas"], "winnet", "bm3d")}
    out["per_sigma_minus_ti_db"] = {wv.sigma_key(s): mean_gain([s], "winnet", "bayesshrink_ti")
                                    for s in block["win_sigmas"] + block["win_far_sigmas"]}
    return out


def talk_setting(models: dict, block: dict) -> dict:
    """The talk's setting: camera resized (anti-aliased) to ``win_talk_side``², σ = 50: ``{method: psnr}``.

    Parameters
    ----------
    models : dict
        ``{"winnet": WINNetDenoiser, "nenet": NENet or None, "lifting": weights or None}``: the trained
        WINNet-structured denoiser, the noise estimator (adds the blind row ``winnet_blind``) and the learned
        lifting weights (add the ``learned`` row).
    block : dict
        The validated ``unfolding`` block (:data:`SCHEMA`); reads ``win_talk_side``, ``lift_noise_seed`` (the noise
        seed: index 4000, σ = 50) and ``lift_bm3d``, ``lift_peer_shifts`` (the peers).

    Returns
    -------
    dict
        ``{"noisy": psnr, method: psnr}`` in dB (``data_range = 1``) for ``winnet``, ``bayesshrink_ti`` and, as
        available, ``winnet_blind``, ``learned`` and ``bm3d``.
    """
    from skimage.transform import resize

    clean = resize(load_image("camera", gray=True), (block["win_talk_side"],) * 2, anti_aliasing=True)
    noisy = wv.add_noise(clean, 50 / 255, ulf.seed_of(block, 4000, 50.0))
    out = {"noisy": psnr(clean, noisy, data_range=1.0)}
    for m, den in _methods(models, block, False).items():
        out[m] = psnr(clean, den(noisy, 50 / 255), data_range=1.0)
    return out


def seconds_512(models: dict, block: dict, repeats: int = 2) -> dict:
    """Wall and CPU seconds of one WINNet call (σ known) on camera 512² (best of ``repeats``).

    Parameters
    ----------
    models : dict
        ``{"winnet": WINNetDenoiser, ...}``: only the denoiser is run.
    block : dict
        The validated ``unfolding`` block (:data:`SCHEMA`); reads ``lift_noise_seed`` (the noise at σ = 25: seed
        ``[lift_noise_seed, 5000, 2500]``).
    repeats : int, optional
        Timed calls (default 2); the one with the smallest wall time is kept.

    Returns
    -------
    dict
        ``{"wall_s": float, "cpu_s": float, "shifts": int}``: the best call's wall and process CPU seconds
        (the same call's), and the denoiser's test-time cycle spins per axis.
    """
    clean = load_image("camera", gray=True)
    noisy = wv.add_noise(clean, 25 / 255, [block["lift_noise_seed"], 5000, 2500])
    best = None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        models["winnet"](noisy, 25 / 255)
        now = (time.perf_counter() - t0, time.process_time() - c0)
        best = now if best is None or now[0] < best[0] else best
    return {"wall_s": best[0], "cpu_s": best[1], "shifts": models["winnet"].shifts}


# ------------------------------------------------------------------------------------------------
# NENet
# ------------------------------------------------------------------------------------------------
def _nenet_errors(estimator, block: dict, i: int, clean: np.ndarray) -> dict:
    ests = {"nenet": estimator, "patches": lambda x: estimate_sigma_patches(x, stride=2)}
    out = {k: [] for k in ests}
    for s in block["ne_sigmas"]:
        noisy = wv.add_noise(clean, s / 255, ulf.seed_of(block, 6000 + i, s))
        for k, f in ests.items():
            out[k].append(255 * float(f(noisy)) - s)
    return out


def nenet_table(estimator, block: dict) -> dict:
    """``{estimator: {image: [estimate − σ (0-255) per ne_sigmas]}}`` on the whole test images (never trained
    on), NENet beside :func:`~sparseimg.restoration.noise.estimate_sigma_patches` (stride 2); the images in
    ``win_workers`` processes.

    Parameters
    ----------
    estimator : callable
        ``estimator(noisy) -> σ̂`` in image units (a loaded :class:`~sparseimg.learn.nenet.NENet`).
    block : dict
        The validated ``unfolding`` block (:data:`SCHEMA`); reads ``ne_sigmas`` (0–255), ``lift_images``,
        ``win_photos``, ``win_workers`` and ``lift_noise_seed`` (noise seed of image ``i``: index ``6000 + i``).

    Returns
    -------
    dict
        ``{"nenet": {image: errors}, "patches": {image: errors}}``, ``errors`` a list of float: ``255 σ̂ − σ``
        (0–255 scale) per level of ``ne_sigmas``, in that order; the images (whole, not cropped) are the
        ``lift_images`` then the ``win_photos``.
    """
    images = {_name(s): load_image(s, gray=True) for s in block["lift_images"]}
    images.update({p: corpus_image(p) for p in block["win_photos"]})
    per_image = process_map(partial(_nenet_errors, estimator, block),
                            [(i, clean) for i, clean in enumerate(images.values())], block["win_workers"])
    out = {"nenet": {}, "patches": {}}
    for name, errs in zip(images, per_image):
        for k in out:
            out[k][name] = errs[k]
    return out


def xstep_table(estimator, block: dict) -> list:
    """Rows ``{image, true, nenet, patches}`` (0-255): x-step outputs of plug-and-play runs on the test images
    (blur and noise drawn as in training, another seed), their true residual level and the two estimates.

    Parameters
    ----------
    estimator : callable
        ``estimator(x) -> σ̂`` in image units (a loaded :class:`~sparseimg.learn.nenet.NENet`).
    block : dict
        The validated ``unfolding`` block (:data:`SCHEMA`); reads ``ne_seed`` (the draws: ``[ne_seed, 7000]``),
        ``ne_xstep_runs`` (runs per image) and the keys of :func:`test_images`.

    Returns
    -------
    list of dict
        One row per x-step of :func:`sparseimg.learn.nenet.xstep_samples` (every run of every test image, in
        order): ``"image"`` (its name), ``"true"`` (``255 · std(x − clean)``), ``"nenet"`` and ``"patches"``
        (the two estimates × 255), all levels on the 0–255 scale. Empty when ``ne_xstep_runs`` is 0.
    """
    rng = np.random.default_rng([block["ne_seed"], 7000])
    rows = []
    for name, clean in test_images(block).items():
        for _ in range(block["ne_xstep_runs"]):
            for x, level in nenet.xstep_samples(clean, rng, train_nenet.xstep_denoiser):
                rows.append({"image": name, "true": 255 * level, "nenet": 255 * float(estimator(x)),
                             "patches": 255 * estimate_sigma_patches(x, stride=2)})
    return rows

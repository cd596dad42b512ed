"""Section 3, part 2 (learned lifting): training the lifting denoiser of
:mod:`sparseimg.learn.learned_lifting`, the denoising table against part 1's translation-invariant wavelet
shrinkage, BM3D and scikit-image, and the noise estimate. Plug-and-play deblurring with it is
:mod:`sparseimg.experiments.unfolding_pnp`.

The section's block (``unfolding``) holds this part's keys under the prefix ``lift_``:
:data:`SCHEMA` (with quick values; full values in the comments), :data:`TRAIN_KEYS` (what the
weights depend on), :func:`train` (the pipeline's ``train_lifting`` stage). The noisy images,
the deblurring problems and the tuning image are part 1's (same seeds, same constructors in
:mod:`sparseimg.experiments.wavelets`), so that the numbers sit beside part 1's.

Source: "Sparsity and Deep Neural Networks: a Match Made in Heaven", P. L. Dragotti, Imperial College
London, talk slides, 7 February 2022; J.-J. Huang and P. L. Dragotti, "WINNet: Wavelet-inspired
invertible network for image denoising", arXiv 2109.06381, 2021.
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path

from sparseimg.learn import learned_lifting as ll
from sparseimg.restoration import shrinkage
from sparseimg.images import center_crop, load_image
from sparseimg.metrics import psnr
from sparseimg.restoration.noise import estimate_sigma_patches
from sparseimg.schema import Bool, Choice, Float, Int, ListOf, ParamError, image_spec
from sparseimg.experiments import wavelets as wv

__all__ = ["SCHEMA", "TRAIN_KEYS", "TABLE_KEYS", "table_settings", "stored_table", "check_block", "model_config",
           "train", "make_denoiser", "seed_of", "peer_settings", "learned_denoiser", "noise_estimator",
           "PEERS", "ESTIMATORS", "denoising_table", "headline", "noise_estimate_table", "guard_schema", "guarded"]

REPORTED = ("camera", "astronaut", "moon", "coins")


def _sigma(**kw):
    return Float(0, 255, low_open=True, **kw)


def guard_schema(prefix: str) -> dict:
    """The keys ``<prefix>_guard_*`` of Algorithm 1 with a guarded schedule (:func:`guarded`).

    Parameters
    ----------
    prefix : str
        ``"lift"`` (section 3b) or ``"win"`` (section 3c).

    Returns
    -------
    dict
        ``key -> Spec``: the λ grid (swept on the tuning image) and the three factors; quick values equal
        the full ones except the grid.
    """
    return {
        f"{prefix}_guard_lam_grid": ListOf(Float(0, low_open=True), min_len=2, unique=True, quick=[0.1, 0.2],
                                           help="λ of Algorithm 1 with the guarded schedule, swept on the tuning image"),
        f"{prefix}_guard_start": Float(1, 1000, low_open=True, quick=20.0,
                                       help="guarded Algorithm 1: β₁ = start · β₀ (the talk: 10)"),  # 20
        f"{prefix}_guard_factor": Float(0, 10, low_open=True, quick=1.5,
                                        help="guarded Algorithm 1: the denoiser's level = factor · β (the talk: 2)"),
        f"{prefix}_guard_fall": Float(1, 100, low_open=True, quick=1.5,
                                      help="guarded Algorithm 1: β falls by at most this factor per iteration, never rises"),
    }


def guarded(block: dict, prefix: str) -> dict:
    """:func:`~sparseimg.optim.plug_and_play.pnp_deblur`'s keyword arguments of the guarded schedule.

    Parameters
    ----------
    block : dict
        The validated ``unfolding`` block.
    prefix : str
        As given to :func:`guard_schema`.

    Returns
    -------
    dict
        ``start_factor``, ``denoise_factor``, ``max_fall``.
    """
    return {"start_factor": block[f"{prefix}_guard_start"], "denoise_factor": block[f"{prefix}_guard_factor"],
            "max_fall": block[f"{prefix}_guard_fall"]}


SCHEMA = {
    # --- model (TRAIN_KEYS) ---
    "lift_levels": Int(1, 6, quick=4, help="lifting levels"),  # full: 4
    "lift_steps": Choice(2, 4, quick=4, help="lifting steps per axis and level: 4 starts at CDF 9/7, 2 at 5/3"),  # 4
    "lift_pu_hidden": Int(0, 32, quick=0,
                          help="hidden channels of the residual networks inside P and U (0: learned linear P/U)"),  # 0
    "lift_band_hidden": Int(1, 64, quick=8, help="hidden channels of the detail-band CNN"),  # full: 16
    "lift_band_layers": Int(1, 8, quick=3, help="convolution layers of the detail-band CNN"),  # 3
    "lift_pilot": Bool(quick=True, help="feed the CNN the bands of a pilot (part 1's TI BayesShrink)"),  # true
    "lift_pilot_shifts": Int(1, 16, quick=2, help="cycle spins per axis of the pilot"),  # full: 4
    # --- training (TRAIN_KEYS) ---
    "lift_train_images": ListOf(image_spec(), min_len=1, quick=["chelsea", "rocket"],
                                help="training images (never a reported one)"),
    # full: [chelsea, rocket, brick, grass, gravel, clock, hubble_deep_field, immunohistochemistry, page, text, retina]
    "lift_max_side": Int(64, 4096, quick=128, help="central crop of each training image (side at most)"),  # 512
    "lift_draws": Int(1, 100, quick=1, help="noisy copies (σ ~ U[σ_min, σ_max]) of each training image"),  # 6
    "lift_sigma_min": _sigma(quick=5.0, help="smallest training noise level, 0-255"),  # 5
    "lift_sigma_max": _sigma(quick=55.0, help="largest training noise level, 0-255"),  # 55
    "lift_patch": Int(16, 512, quick=32, help="training patch side (multiple of 2^levels)"),  # 64
    "lift_batch": Int(1, 1024, quick=8, help="patches per Adam step"),  # 16
    "lift_train_steps": Int(1, 10**6, quick=30, help="Adam steps"),  # full: see params.yaml
    "lift_lr": Float(0, 1, low_open=True, quick=2e-3, help="peak learning rate (cosine decay)"),  # 2e-3
    "lift_seed": Int(0, 2**32 - 1, quick=0, help="seed of the initialization, the pool and the batches"),  # 0
    # --- evaluation ---
    "lift_shifts": Int(1, 8, quick=1, help="test-time cycle spins per axis of the learned denoiser"),  # 2
    "lift_images": ListOf(image_spec(), min_len=1, quick=["camera", "astronaut", "moon", "coins"],
                          help="denoising table images (part 1's)"),
    "lift_crop": Int(16, 4096, quick=64, help="central crop of the table images (part 1: 256)"),  # 256
    "lift_sigmas": ListOf(_sigma(), min_len=1, quick=[15.0, 25.0, 50.0], help="noise levels of the table"),
    "lift_headline_image": image_spec(quick="camera", help="image of the headline comparison (whole)"),
    "lift_headline_crop": Int(16, 4096, nullable=True, quick=128, help="crop of the headline image; null: whole"),  # null
    "lift_headline_sigma": _sigma(quick=50.0, help="noise level of the headline comparison"),  # 50
    "lift_noise_seed": Int(0, 2**32 - 1, quick=0, help="part 1's noise seed (same noisy images)"),  # 0
    "lift_peer_shifts": Int(1, 64, quick=2, help="cycle spins per axis of the cycle-spun BayesShrink and scikit-image "
                            "peers (both parts)"),  # 8: part 1's
    "lift_bm3d": Bool(quick=False, help="run BM3D beside (slow: about 4 s per 256² image)"),  # true
    "lift_estimate_sigmas": ListOf(_sigma(), min_len=1, quick=[5.0, 25.0, 55.0],
                                   help="noise levels of the estimator table"),  # 5, 10, ..., 55
    # --- plug-and-play (part 1's problems) ---
    "lift_tuning_image": image_spec(quick="coffee", help="image λ is tuned on (part 1's)"),
    "lift_blur_crop": Int(16, 4096, nullable=True, quick=64, help="crop of the Gaussian-blur problem (part 1: 256)"),
    "lift_section2_crop": Int(16, 4096, nullable=True, quick=64,
                              help="crop of section 2's astronaut problem (part 1: null, whole)"),
    "lift_pnp_lam_grid": ListOf(Float(0, low_open=True), min_len=2, unique=True, quick=[1.0, 3.0],
                                help="λ of Algorithm 1 swept on the tuning problem"),  # [0.3, 1.0, 3.0]
    "lift_hqs_lam_grid": ListOf(Float(0, low_open=True), min_len=2, unique=True, quick=[0.25, 0.5],
                                help="λ of PnP-HQS swept on the tuning problem"),  # [0.125, 0.25, 0.5]
    "lift_lam_extend": Int(0, 20, quick=0, help="values a λ grid may grow by beyond an edge choice"),  # 6
    "lift_workers": Int(1, 8, quick=1, help="processes for the plug-and-play tuning; same numbers (full: 2)"),
    "lift_hqs_iter": Int(1, 100, quick=2, help="PnP-HQS iterations"),  # 8
    "lift_pnp_estimator": Choice("mad", "patches", quick="mad",
                                 help="Algorithm 1's noise estimator β(·): part 1's MAD of HH1 or the patch estimator"),  # mad
    **guard_schema("lift"),
}

TRAIN_KEYS = ("lift_levels", "lift_steps", "lift_pu_hidden", "lift_band_hidden", "lift_band_layers", "lift_pilot",
              "lift_pilot_shifts", "lift_train_images", "lift_max_side", "lift_draws", "lift_sigma_min",
              "lift_sigma_max", "lift_patch", "lift_batch", "lift_train_steps", "lift_lr", "lift_seed")


def _name(src: str) -> str:
    return src.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def _same_picture(a: str, b: str) -> bool:
    """Two image sources hold the same picture: the same packaged name, or (a file on either side) the same pixels."""
    from sparseimg.images import PACKAGED_IMAGES, same_picture

    if a in PACKAGED_IMAGES and b in PACKAGED_IMAGES:
        return a == b
    return a == b or same_picture(a, b)


def check_block(block: dict) -> None:
    """The cross-field rules of the ``lift_`` keys (the pixels are compared, not the names).

    Training images are never a reported image nor the tuning image; the tuning image is never a reported
    image; the patch side fits the levels; the σ range is ordered.

    Parameters
    ----------
    block : dict
        The validated ``unfolding`` block.

    Raises
    ------
    ParamError
        One line naming the first key that breaks a rule, its value and what is allowed.
    """
    label = lambda src: Path(src).name  # noqa: E731  (a file by its name, never its machine's path)
    shown = ([(f"unfolding.lift_images[{i}]={label(v)!r}", v) for i, v in enumerate(block["lift_images"])]
             + [(f"unfolding.lift_headline_image={label(block['lift_headline_image'])!r}", block["lift_headline_image"])]
             + [(f"the reported image {name!r}", name) for name in REPORTED])
    tuning = block["lift_tuning_image"]
    for i, src in enumerate(block["lift_train_images"]):
        for what, value in shown + [(f"unfolding.lift_tuning_image={label(tuning)!r}", tuning)]:
            if _same_picture(src, value):
                raise ParamError(f"unfolding.lift_train_images[{i}]={label(src)!r} is not allowed: expected an image "
                                 f"other than {what} (training images are never reported nor the tuning image)")
    for what, value in shown:
        if _same_picture(tuning, value):
            raise ParamError(f"unfolding.lift_tuning_image={label(tuning)!r} is not allowed: expected an image other "
                             f"than {what} (never tune on a reported image)")
    if block["lift_patch"] % 2 ** block["lift_levels"] or block["lift_patch"] <= 16:
        raise ParamError(f"unfolding.lift_patch={block['lift_patch']!r} is not allowed: expected a multiple of "
                         f"2^lift_levels = {2 ** block['lift_levels']} above 16")
    if block["lift_sigma_min"] >= block["lift_sigma_max"]:
        raise ParamError(f"unfolding.lift_sigma_min={block['lift_sigma_min']!r} is not allowed: expected < "
                         f"lift_sigma_max={block['lift_sigma_max']!r}")


def model_config(block: dict) -> dict:
    """The architecture the ``lift_`` keys describe.

    Parameters
    ----------
    block : dict
        The validated ``unfolding`` block.

    Returns
    -------
    dict
        The ``config`` of :func:`sparseimg.learn.learned_lifting.train_model`.
    """
    return {"levels": block["lift_levels"], "n_steps": block["lift_steps"], "pu_hidden": block["lift_pu_hidden"],
            "band_hidden": block["lift_band_hidden"], "band_layers": block["lift_band_layers"],
            "pilot": block["lift_pilot"]}


def train(block: dict, *, progress: bool = True) -> tuple[dict, dict]:
    """The pipeline's ``train_lifting`` (rules checked first).

    Parameters
    ----------
    block : dict
        The validated ``unfolding`` block.
    progress : bool, optional
        A progress bar on stderr.

    Returns
    -------
    params : dict
        The weights.
    log : dict
        JSON-able training log.
    """
    check_block(block)
    return ll.train_model(model_config(block), patch=block["lift_patch"], batch=block["lift_batch"],
                          n_steps=block["lift_train_steps"], lr=block["lift_lr"],
                          sigma_range=(block["lift_sigma_min"] / 255, block["lift_sigma_max"] / 255),
                          n_draws=block["lift_draws"], seed=block["lift_seed"],
                          images=tuple(block["lift_train_images"]), progress=progress,
                          max_side=block["lift_max_side"], pilot_shifts=block["lift_pilot_shifts"])


def make_denoiser(weights: dict, block: dict):
    """The learned denoiser at the block's test-time settings.

    Parameters
    ----------
    weights : dict
        Trained weights.
    block : dict
        The validated ``unfolding`` block (``lift_shifts``, ``lift_pilot_shifts``).

    Returns
    -------
    callable
        ``denoise(x, sigma)``, σ in image units (None: estimated by ``estimate_sigma_patches``, stride 2).
    """
    return learned_denoiser(weights, block["lift_shifts"], block["lift_pilot_shifts"])


def seed_of(block: dict, index: int, s: float) -> list:
    """Part 1's noise seeds (:func:`sparseimg.experiments.wavelets.seed_for`'s convention).

    Parameters
    ----------
    block : dict
        The validated ``unfolding`` block.
    index : int
        The image's row in the table; 2000 the headline image, 3000 + i the noise-estimate images.
    s : float
        Noise level on the 0–255 scale.

    Returns
    -------
    list of int
    """
    return [block["lift_noise_seed"], index, int(round(100 * s))]


def peer_settings(shifts: int) -> wv.DenoiseSettings:
    """Part 1's denoiser settings at ``lift_peer_shifts`` cycle spins (the table's peers and plug-and-play's).

    Parameters
    ----------
    shifts : int
        Cycle spins per axis.

    Returns
    -------
    sparseimg.experiments.wavelets.DenoiseSettings
    """
    return wv.DenoiseSettings(shifts=shifts)


def learned_denoiser(model: dict, shifts: int, pilot_shifts: int):
    """The learned lifting denoiser ``(x, sigma) -> estimate`` with its test-time cycle spins (picklable, for
    the worker processes of the tables and of plug-and-play).

    Parameters
    ----------
    model : dict
        Weights of :func:`train`.
    shifts, pilot_shifts : int
        Cycle spins of the denoiser and of its pilot (``lift_shifts``, ``lift_pilot_shifts``).

    Returns
    -------
    callable
    """
    return partial(_learned_denoise, model, shifts, pilot_shifts)


def _learned_denoise(model, shifts, pilot_shifts, x, sigma):
    return ll.denoise(x, sigma, model, shifts=shifts, pilot_shifts=pilot_shifts)


def _peer(key, block):
    return wv.denoiser(key, peer_settings(block["lift_peer_shifts"]))


#: Peers beside the learned denoiser: part 1's TI BayesShrink (``lift_peer_shifts``² spins: 8 × 8), scikit-image's
#: BayesShrink and BM3D (``lift_bm3d``).
PEERS = {"bayesshrink_ti": "BayesShrink, cycle-spun (part 1)", "skimage_wavelet": "denoise_wavelet (skimage)",
         "bm3d": "BM3D"}
LABELS = {"learned": "learned lifting (σ known)", "learned_blind": "learned lifting (σ estimated)",
          "pilot": "its pilot (TI BayesShrink, few spins)", **PEERS}


def _methods(weights, block):
    den = make_denoiser(weights, block)
    out = {"learned": den, "learned_blind": lambda x, sigma: den(x, None)}
    out.update({k: _peer(k, block) for k in PEERS if k != "bm3d" or block["lift_bm3d"]})
    return out


def _table_cell(weights: dict, block: dict, reuse: dict, s: float, i: int, src) -> tuple[dict, dict]:
    """One (σ, image) cell of :func:`denoising_table`: ``({"noisy" and each method: psnr}, {method: seconds})``,
    a peer whose run is in ``reuse`` (:func:`sparseimg.experiments.wavelets.run_key`) taken from it, not timed."""
    clean = center_crop(load_image(src, gray=True), block["lift_crop"])
    noisy = wv.add_noise(clean, s / 255, seed_of(block, i, s))
    methods = _methods(weights, block)
    settings = peer_settings(block["lift_peer_shifts"])
    known = {k: reuse[key] for k in PEERS if k in methods
             for key in [wv.run_key(k, settings, clean, noisy, s / 255)] if key in reuse}
    cell, seconds = wv.score_denoisers(clean, noisy, s / 255, {k: m for k, m in methods.items() if k not in known})
    return {"noisy": cell["noisy"], **{k: known[k] if k in known else cell[k] for k in methods}}, seconds


def denoising_table(weights: dict, block: dict, *, reuse: dict | None = None,
                    progress: bool = False) -> tuple[dict, list, dict]:
    """PSNR of every method on the central crops of ``lift_images`` at each ``lift_sigmas`` (part 1's noise).

    The (σ, image) cells run in ``lift_workers`` processes (the same numbers for any count). A peer's run
    that ``reuse`` holds (section 3 scores the same peers on the same noisy crops:
    :func:`sparseimg.experiments.wavelets.stored_runs`) is taken from it instead of being computed twice.

    Parameters
    ----------
    weights : dict
        Trained weights of the learned denoiser.
    block : dict
        The validated ``unfolding`` block.
    reuse : dict, optional
        ``{run_key: psnr}`` of runs scored elsewhere (default: none).
    progress : bool, optional
        A progress bar on stderr.

    Returns
    -------
    table : dict
        ``{sigma_key: {image: {method: psnr}}}``.
    rows : list of dict
        One row per (σ, image, method) for the CSV table.
    seconds : dict
        ``{method: seconds per image}`` of the methods this table ran (a method reused in every cell is absent).
    """
    from sparseimg._parallel import process_map

    jobs = [(s, i, src) for s in block["lift_sigmas"] for i, src in enumerate(block["lift_images"])]
    cells = process_map(partial(_table_cell, weights, block, dict(reuse or {})), jobs, block["lift_workers"],
                        desc="denoising table", progress=progress)
    table, rows, seconds, counts = {}, [], {}, {}
    for (s, _, src), (cell, secs) in zip(jobs, cells):
        table.setdefault(f"sigma_{s:g}".replace(".", "p"), {})[_name(src)] = cell
        rows += [{"sigma": s, "image": _name(src), "method": name, "psnr_db": cell[name]}
                 for name in cell if name != "noisy"]
        for name, v in secs.items():
            seconds[name] = seconds.get(name, 0.0) + v
            counts[name] = counts.get(name, 0) + 1
    return table, rows, {k: seconds[k] / counts[k] for k in seconds}


#: What the denoising table's cells depend on besides the code: the training keys (the weights), the images,
#: crops, levels, noise seed and the denoisers' test-time settings.
TABLE_KEYS = TRAIN_KEYS + ("lift_images", "lift_crop", "lift_sigmas", "lift_noise_seed", "lift_peer_shifts",
                           "lift_bm3d", "lift_shifts", "lift_pilot_shifts")


def table_settings(block: dict) -> dict:
    """The values of :data:`TABLE_KEYS`: stored beside the table, so that notebook 03c reuses the table's cells
    only when they were computed with its own settings (:func:`stored_table`).

    Parameters
    ----------
    block : dict
        The validated ``unfolding`` block.

    Returns
    -------
    dict
    """
    return {k: block[k] for k in TABLE_KEYS}


def stored_table(block: dict, metrics_path=None) -> dict | None:
    """The denoising table of a stored metrics file when its recorded :func:`table_settings` equal ``block``'s.

    Parameters
    ----------
    block : dict
        The validated ``unfolding`` block.
    metrics_path : path, optional
        Default: the workspace's ``reports/metrics/unfolding.json`` (:func:`sparseimg.learn.paths.workspace_dir`).

    Returns
    -------
    dict or None
        ``lifting.denoising`` of the file; None when the file, the table or a match is missing.
    """
    import json

    from sparseimg.learn.paths import workspace_dir

    path = Path(metrics_path) if metrics_path is not None else (
        workspace_dir() / "reports" / "metrics" / "unfolding.json")
    if not path.is_file():
        return None
    lifting = json.loads(path.read_text()).get("lifting", {})
    if lifting.get("table_settings") != json.loads(json.dumps(table_settings(block))):
        return None
    return lifting.get("denoising")


def headline(weights: dict, block: dict) -> dict:
    """The headline image (whole, or ``lift_headline_crop``) at ``lift_headline_sigma``, every method.

    Parameters
    ----------
    weights : dict
        Trained weights of the learned denoiser.
    block : dict
        The validated ``unfolding`` block.

    Returns
    -------
    dict
        ``clean``, ``noisy`` and ``results``: per method its ``estimate``, ``psnr`` (dB) and ``seconds``
        (wall and CPU).
    """
    clean = load_image(block["lift_headline_image"], gray=True)
    if block["lift_headline_crop"] is not None:
        clean = center_crop(clean, block["lift_headline_crop"])
    s = block["lift_headline_sigma"]
    noisy = wv.add_noise(clean, s / 255, seed_of(block, 2000, s))
    out = {"clean": clean, "noisy": noisy, "results": {}}
    for name, den in _methods(weights, block).items():
        t0, c0 = time.perf_counter(), time.process_time()
        est = den(noisy, s / 255)
        out["results"][name] = {"estimate": est, "psnr": psnr(clean, est, data_range=1.0),
                                "seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0}
    return out


#: Noise estimators: the one blind mode uses (weak-texture patches, stride 2), part 1's MAD of HH1
#: (Algorithm 1's β(·) by default) and scikit-image's.
ESTIMATORS = {"patches": "estimate_sigma_patches, stride 2 (blind mode)", "mad": "shrinkage.estimate_sigma (part 1)",
              "skimage": "skimage estimate_sigma"}


def noise_estimator(key):
    """The noise estimator ``x -> σ`` of :data:`ESTIMATORS` key ``key`` (the table's, and Algorithm 1's β(·)).

    Parameters
    ----------
    key : str
        A key of :data:`ESTIMATORS`.

    Returns
    -------
    callable
    """
    if key == "patches":
        return lambda x: estimate_sigma_patches(x, stride=2)
    if key == "mad":
        return shrinkage.estimate_sigma
    from skimage.restoration import estimate_sigma as skimage_estimate_sigma

    return lambda x: float(skimage_estimate_sigma(x))


def noise_estimate_table(block: dict) -> dict:
    """The error of every estimator of :data:`ESTIMATORS` on the whole ``lift_images`` (part 1's seeds 3000 + i).

    Parameters
    ----------
    block : dict
        The validated ``unfolding`` block.

    Returns
    -------
    dict
        ``{estimator: {image: [estimate − σ on the 0–255 scale, per lift_estimate_sigmas]}}``.
    """
    errors = {k: {} for k in ESTIMATORS}
    for i, src in enumerate(block["lift_images"]):
        clean = load_image(src, gray=True)
        for s in block["lift_estimate_sigmas"]:
            noisy = wv.add_noise(clean, s / 255, seed_of(block, 3000 + i, s))
            for k in ESTIMATORS:
                errors[k].setdefault(_name(src), []).append(255 * float(noise_estimator(k)(noisy)) - s)
    return errors

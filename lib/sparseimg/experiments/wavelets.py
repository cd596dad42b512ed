"""Section 3's experiments (part 1): wavelets by lifting and shrinkage denoising (the deblurring half, problems
and :data:`DEBLURRERS`, is :mod:`sparseimg.experiments.wavelet_deblurring`).

:data:`DENOISERS` — ``key -> method(NoisyImage(noisy, sigma), DenoiseSettings) -> Result(image)`` with ``sigma``
the noise standard deviation in the image's units (:func:`denoiser` makes one a plain ``denoise(x, sigma)``, as
plug-and-play calls it): our lifting wavelets (VisuShrink,
BayesShrink, cycle-spun BayesShrink), TV (:func:`sparseimg.optim.tv.tv_prox`) and the peers (scikit-image's
``denoise_wavelet``, ``cycle_spin``, ``denoise_tv_chambolle``; ``bm3d``). The two TV weights are
``factor · sigma`` with the factor chosen per ``sigma`` on a *tuning* image (:func:`tune_denoisers`), never on a
reported one. :func:`add_noise` draws seeded white noise.

Figures: :func:`lifting_trace` (one lifting level step by step) and :func:`keep_largest` (an image from a
fraction of its coefficients).

Source: "Sparsity and Deep Neural Networks: a Match Made in Heaven", P. L. Dragotti, Imperial College
London, talk slides, 7 February 2022.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from sparseimg._validate import check_array, check_choice, check_int, check_real
from sparseimg.operators.lifting import dwt2, get_wavelet, idwt2, subbands
from sparseimg.restoration import shrinkage
from sparseimg.restoration.denoisers import bm3d_denoise
from sparseimg.optim.tv import tv_prox
from sparseimg.experiments import Registry, Result

__all__ = ["NoisyImage", "DenoiseSettings", "DENOISERS", "denoiser", "example_noisy_image", "TUNED_DENOISERS", "tuning_key", "tune_denoisers", "seed_for", "sigma_key", "add_noise",
           "score_denoisers", "denoising_table", "READS", "run_key", "stored_runs", "lifting_trace", "COMPRESSION_TRANSFORMS", "keep_largest"]


# ---------------------------------------------------------------------------------------------
# Denoising
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NoisyImage:
    """What a denoiser of :data:`DENOISERS` sees: the noisy image and its noise level (no clean image).

    Attributes
    ----------
    noisy : ndarray, shape (n0, n1)
        The noisy image (floats, nominally in [0, 1]; not clipped).
    sigma : float
        Noise standard deviation in the image's units.
    """

    noisy: np.ndarray
    sigma: float


@dataclass(frozen=True)
class DenoiseSettings:
    """What the denoisers of :data:`DENOISERS` read.

    Attributes
    ----------
    wavelet : str
        Our lifting wavelet (``"cdf97"`` is PyWavelets' ``bior4.4``, the peers' wavelet).
    levels : int
        Decomposition levels, ours and scikit-image's.
    shifts : int
        Cycle spinning over ``shifts × shifts`` translations, ours (``denoise_ti``) and
        scikit-image's (``cycle_spin`` with ``max_shifts = shifts − 1``).
    tv_iter : int
        Dual FISTA iterations of our TV denoiser.
    tv_factor, skimage_tv_factor : float
        TV weights in units of ``sigma`` (ours: ``tv_prox`` weight; scikit-image's
        ``denoise_tv_chambolle`` weight), chosen on a tuning image by :func:`tune_denoisers`.
    bm3d_stages : {"all", "hard"}
        BM3D with both stages (hard thresholding then Wiener) or the first only (half the time).
    """

    wavelet: str = "cdf97"
    levels: int = 4
    shifts: int = 8
    tv_iter: int = 50
    tv_factor: float = 0.9
    skimage_tv_factor: float = 0.9
    bm3d_stages: str = "all"

    @classmethod
    def from_params(cls, block: dict) -> "DenoiseSettings":
        """Settings from the section's validated block (``wavelet``, ``levels``, ``shifts``, ``tv_iter``, and
        ``bm3d_stages`` where the block has it: a key of the deblurring half, whose plug-and-play may run BM3D's
        first stage only; the denoising half runs it whole); the TV factors keep their defaults until
        :func:`tune_denoisers` chooses them.

        Parameters
        ----------
        block : dict
            The validated ``wavelets`` block.

        Returns
        -------
        DenoiseSettings
        """
        return cls(wavelet=block["wavelet"], levels=block["levels"], shifts=block["shifts"],
                   tv_iter=block["tv_iter"], bm3d_stages=block.get("bm3d_stages", cls.bm3d_stages))


def example_noisy_image() -> NoisyImage:
    """A tiny seeded problem for the registry test: a 32 × 32 crop of ``camera`` at σ = 25/255.

    Returns
    -------
    NoisyImage
    """
    from sparseimg.images import center_crop, load_image

    sigma = 25 / 255
    return NoisyImage(add_noise(center_crop(load_image("camera", gray=True), 32), sigma, [0, 0, 2500]), sigma)


def _visushrink(noisy, sigma, p):
    return shrinkage.denoise(noisy, sigma, wavelet=p.wavelet, levels=p.levels, method="VisuShrink")


def _bayesshrink(noisy, sigma, p):
    return shrinkage.denoise(noisy, sigma, wavelet=p.wavelet, levels=p.levels, method="BayesShrink")


def _bayesshrink_ti(noisy, sigma, p):
    return shrinkage.denoise_ti(noisy, sigma, wavelet=p.wavelet, levels=p.levels, method="BayesShrink",
                                shifts=p.shifts)


def _tv(noisy, sigma, p):
    return tv_prox(noisy, p.tv_factor * sigma, n_iter=p.tv_iter)


def _skimage_wavelet_options(sigma, p):
    return dict(sigma=sigma, wavelet="bior4.4", mode="soft", method="BayesShrink", wavelet_levels=p.levels,
                rescale_sigma=True)


def _skimage_wavelet(noisy, sigma, p):
    from skimage.restoration import denoise_wavelet

    with warnings.catch_warnings():  # "designed for orthogonal wavelets": bior4.4 is the point of the comparison
        warnings.simplefilter("ignore", UserWarning)
        return denoise_wavelet(np.asarray(noisy, dtype=np.float64), **_skimage_wavelet_options(sigma, p))


def _skimage_cycle_spin(noisy, sigma, p):
    from skimage.restoration import cycle_spin, denoise_wavelet

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return cycle_spin(np.asarray(noisy, dtype=np.float64), denoise_wavelet, max_shifts=p.shifts - 1,
                          func_kw=_skimage_wavelet_options(sigma, p), workers=1)


def _skimage_tv(noisy, sigma, p):
    from skimage.restoration import denoise_tv_chambolle

    return denoise_tv_chambolle(np.asarray(noisy, dtype=np.float64), weight=p.skimage_tv_factor * sigma)


def _bm3d(noisy, sigma, p):
    return bm3d_denoise(noisy, sigma, stages=p.bm3d_stages)


def _method(denoise):
    """``denoise(noisy, sigma, settings) -> image`` as a registry method ``(NoisyImage, DenoiseSettings) -> Result``."""
    def run(problem: NoisyImage, settings: DenoiseSettings) -> Result:
        return Result(denoise(problem.noisy, problem.sigma, settings))
    run.__name__ = run.__qualname__ = denoise.__name__.lstrip("_")
    return run


#: The denoisers, in display order: ``key -> method(NoisyImage, DenoiseSettings) -> Result(image)``.
DENOISERS = Registry("wavelets", {
    "visushrink": _method(_visushrink),
    "bayesshrink": _method(_bayesshrink),
    "bayesshrink_ti": _method(_bayesshrink_ti),
    "tv": _method(_tv),
    "skimage_wavelet": _method(_skimage_wavelet),
    "skimage_cycle_spin": _method(_skimage_cycle_spin),
    "skimage_tv": _method(_skimage_tv),
    "bm3d": _method(_bm3d),
}, {
    "visushrink": "VisuShrink (ours)",
    "bayesshrink": "BayesShrink (ours)",
    "bayesshrink_ti": "BayesShrink, cycle-spun (ours)",
    "tv": "TV (ours)",
    "skimage_wavelet": "denoise_wavelet (skimage)",
    "skimage_cycle_spin": "cycle_spin (skimage)",
    "skimage_tv": "TV Chambolle (skimage)",
    "bm3d": "BM3D",
}, settings=DenoiseSettings, example=example_noisy_image)

def denoiser(key: str, settings: DenoiseSettings):
    """``DENOISERS[key]`` as a plain function ``denoise(x, sigma) -> image`` (what plug-and-play and the
    denoising tables call).

    Parameters
    ----------
    key : str
        A key of :data:`DENOISERS` (an unknown key lists the valid ones).
    settings : DenoiseSettings

    Returns
    -------
    callable
        ``denoise(x, sigma)``: ``x`` an image, ``sigma`` its noise level in image units.
    """
    method = DENOISERS[key]
    return partial(_call_denoiser, method, settings)


def _call_denoiser(method, settings, x, sigma):
    return method(NoisyImage(x, sigma), settings).estimate


#: The :class:`DenoiseSettings` fields each denoiser reads (no other field changes its output: tested). A run's
#: :func:`run_key` covers these fields only, so a run made under other settings of the unread fields is the same run.
READS = {"visushrink": ("wavelet", "levels"), "bayesshrink": ("wavelet", "levels"),
         "bayesshrink_ti": ("wavelet", "levels", "shifts"), "tv": ("tv_factor", "tv_iter"),
         "skimage_wavelet": ("levels",), "skimage_cycle_spin": ("levels", "shifts"),
         "skimage_tv": ("skimage_tv_factor",), "bm3d": ("bm3d_stages",)}


def run_key(key: str, settings: DenoiseSettings, clean: np.ndarray, noisy: np.ndarray, sigma: float) -> str:
    """A content key of one scored denoising run: the method, the settings it reads (:data:`READS`), ``sigma``
    and the bytes of the clean and noisy images (SHA-256, 32 hex digits).

    Two runs with the same key give the same PSNR, so a stage that meets a key another stage has scored
    (:func:`stored_runs`) takes that PSNR instead of computing it twice.

    Parameters
    ----------
    key : str
        A key of :data:`DENOISERS`.
    settings : DenoiseSettings
        The settings the run uses (only the fields of ``READS[key]`` enter).
    clean, noisy : ndarray, shape (n0, n1)
        The reference the PSNR is taken against and the denoiser's input.
    sigma : float
        The noise level given to the denoiser, in image units.

    Returns
    -------
    str
        32 hexadecimal digits.
    """
    DENOISERS.check(key)
    return content_key({"method": key, "sigma": float(sigma).hex(), **{f: getattr(settings, f) for f in READS[key]}},
                       clean, noisy)


def content_key(fields: dict, *arrays) -> str:
    """SHA-256 (32 hex digits) of ``fields`` as sorted JSON, then of each array's shape and float64 bytes: the key
    under which :func:`run_key`, :func:`tuning_key` and the plug-and-play ``pnp_key`` store a computation.

    Parameters
    ----------
    fields : dict
        JSON-able description of the computation (method, settings, levels, ...).
    *arrays : ndarray
        Its inputs, hashed by content.

    Returns
    -------
    str
        32 hexadecimal digits.
    """
    import hashlib
    import json

    h = hashlib.sha256(json.dumps(fields, sort_keys=True).encode())
    for a in arrays:
        a = np.ascontiguousarray(a, dtype=np.float64)
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:32]


def stored_runs(metrics_path=None, record: str = "denoising_runs", section: str = "wavelets") -> dict:
    """A content-keyed record another section stored in its metrics: by default ``{run_key: psnr}``, the denoising
    runs section 3 scored (``denoising_runs``); ``record="tv_tunings"`` its TV-factor tunings
    (:func:`tune_denoisers`), or, with ``section="wavelet_deblurring"``, ``record="pnp_runs"`` the plug-and-play
    tunings and runs of section 3's deblurring notebook (:func:`sparseimg.experiments.wavelet_deblurring.pnp_records`).

    The pipeline runs the writing section before the stages that read this (``dvc.yaml`` declares the file as their
    dependency), so the records are those of the current code; in an interactive session they are those of the
    section's last run. Each entry is found by its content key, so a record made under other parameters is never
    taken for the current ones.

    Parameters
    ----------
    metrics_path : path, optional
        Default: the workspace's ``reports/metrics/<section>.json`` (:func:`sparseimg.learn.paths.workspace_dir`).
    record : str, optional
        The metrics' key (default ``"denoising_runs"``).
    section : str, optional
        The section whose metrics are read when ``metrics_path`` is not given (default ``"wavelets"``).

    Returns
    -------
    dict
        Empty when the file or its record is missing.
    """
    import json
    from pathlib import Path

    from sparseimg.learn.paths import workspace_dir

    path = (Path(metrics_path) if metrics_path is not None
            else workspace_dir() / "reports" / "metrics" / f"{section}.json")
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text()).get(record, {}))


#: Denoisers with a tuned weight: ``key -> DenoiseSettings field`` (weight = field · sigma).
TUNED_DENOISERS = {"tv": "tv_factor", "skimage_tv": "skimage_tv_factor"}


def seed_for(base: int, index: int, s: float) -> list[int]:
    """The noise seed of image ``index`` at level ``s`` (0–255 scale): ``[base, index, round(100 s)]``.

    The sections' convention: ``index`` is the image's row in a table, 1000 the tuning image, 2000 the
    headline image, 3000 + i the whole images of the noise-estimate table; every (image, level) pair
    gets its own draw, and the same pair the same draw in every section.

    Parameters
    ----------
    base : int
        The section's ``noise_seed`` parameter.
    index : int
        The image's index in the convention above.
    s : float
        Noise standard deviation on the 0–255 scale.

    Returns
    -------
    list of int
        A seed for :func:`numpy.random.default_rng` (see :func:`add_noise`).
    """
    return [int(base), int(index), int(round(100 * s))]


def sigma_key(s: float) -> str:
    """Metrics key of a noise level on the 0–255 scale: ``sigma_25``, ``sigma_2p5``.

    Parameters
    ----------
    s : float
        Noise standard deviation on the 0–255 scale.

    Returns
    -------
    str
        ``"sigma_"`` and ``s`` in ``%g`` form, its decimal point written ``p`` (a valid identifier).
    """
    return f"sigma_{s:g}".replace(".", "p")


def add_noise(image: np.ndarray, sigma: float, seed) -> np.ndarray:
    """``image + sigma · N(0, 1)`` drawn by ``numpy.random.default_rng(seed)``.

    Parameters
    ----------
    image : ndarray, shape (n0, n1)
        Clean image (floats in [0, 1]).
    sigma : float
        Noise standard deviation in the image's units (>= 0).
    seed : int or list of int
        E.g. :func:`seed_for`'s ``[noise_seed, image_index, round(100 σ)]``.

    Returns
    -------
    ndarray, shape (n0, n1), float64
        The noisy image (not clipped).

    Raises
    ------
    ValueError
        ``image`` not 2-D or ``sigma`` negative.
    """
    image = check_array("image", image, ndim=2).astype(np.float64)
    sigma = check_real("sigma", sigma, low=0.0)
    return image + sigma * np.random.default_rng(seed).standard_normal(image.shape)


def tuning_key(clean: np.ndarray, noisy: np.ndarray, sigma: float, grid, params: DenoiseSettings, *,
               max_extend: int = 6) -> str:
    """A content key of one :func:`tune_denoisers` call: the tuned denoisers, the settings they read
    (:data:`READS`), ``sigma``, the starting grid, ``max_extend`` and the bytes of both images (32 hex digits).

    Two calls with the same key choose the same factors with the same scores, so a stage that meets a key section 3
    stored (``tv_tunings`` in its metrics, :func:`stored_runs`) takes the choice instead of tuning again.

    Parameters
    ----------
    clean, noisy : ndarray, shape (n0, n1)
        The tuning image and its noisy version.
    sigma : float
        The noise level, in image units.
    grid : sequence of float
        The starting factors.
    params : DenoiseSettings
        The settings (only the fields the tuned denoisers read, other than their factors, enter).
    max_extend : int
        As for :func:`tune_denoisers`.

    Returns
    -------
    str
        32 hexadecimal digits.
    """
    fields = sorted({f for key in TUNED_DENOISERS for f in READS[key]} - set(TUNED_DENOISERS.values()))
    return content_key({"tuned": sorted(TUNED_DENOISERS), "sigma": float(sigma).hex(),
                        "grid": [float(g).hex() for g in grid], "max_extend": int(max_extend),
                        **{f: getattr(params, f) for f in fields}}, clean, noisy)


def tune_denoisers(clean: np.ndarray, noisy: np.ndarray, sigma: float, grid, params: DenoiseSettings, *,
                   max_extend: int = 6, known: dict | None = None) -> tuple[DenoiseSettings, dict]:
    """Choose each weight of :data:`TUNED_DENOISERS` on a tuning image (highest PSNR), the grid grown past an
    edge choice until the choice is inside it (:func:`sparseimg.experiments.tuning.tune_on_reference`).

    Parameters
    ----------
    clean, noisy : ndarray, shape (n0, n1)
        The tuning image and its noisy version (never a reported image).
    sigma : float
        Noise standard deviation in image units (the weights are ``factor · sigma``).
    grid : sequence of float
        Starting factors for every tuned denoiser (positive).
    params : DenoiseSettings
        The other settings, kept.
    max_extend : int
        At most this many factors added beyond the grid's ends.
    known : dict, optional
        ``{tuning_key: records}`` of earlier calls (section 3's ``tv_tunings``, :func:`stored_runs`): a call whose
        :func:`tuning_key` is there takes those records instead of tuning.

    Returns
    -------
    settings : DenoiseSettings
        ``params`` with the chosen factors.
    records : dict
        ``{key: Tuned.as_dict()}``: the grid as grown, the PSNR (dB) of every value, the choice, edge and reason.
    """
    from sparseimg.experiments.tuning import tune_on_reference

    stored = (known or {}).get(tuning_key(clean, noisy, sigma, grid, params, max_extend=max_extend))
    if stored is not None:
        return replace(params, **{name: float(stored[key]["value"]) for key, name in TUNED_DENOISERS.items()}), \
            {key: dict(stored[key]) for key in TUNED_DENOISERS}
    chosen, records = {}, {}
    for key, name in TUNED_DENOISERS.items():
        tuned = tune_on_reference(lambda f, key=key, name=name: denoiser(key, replace(params, **{name: float(f)}))(
            noisy, sigma), grid, clean, max_extend=max_extend)
        chosen[name] = float(tuned.value)
        records[key] = tuned.as_dict()
    return replace(params, **chosen), records


def score_denoisers(clean: np.ndarray, noisy: np.ndarray, sigma: float, methods: dict) -> tuple[dict, dict]:
    """Each ``methods[name](noisy, sigma)`` timed and scored against ``clean``:
    ``({"noisy": psnr, name: psnr}, {name: seconds})`` (PSNR with ``data_range = 1``). One table cell of
    this section's denoising table and of section 3b's and 3c's.

    Parameters
    ----------
    clean : ndarray, shape (n0, n1)
        The noise-free image, values in [0, 1] (the PSNR's reference).
    noisy : ndarray, shape (n0, n1)
        ``clean`` plus noise: what every denoiser sees.
    sigma : float
        The noise standard deviation in image units (a 0-255 level divided by 255), handed to every method.
    methods : dict
        ``{name: denoise}`` with ``denoise(noisy, sigma) -> ndarray`` shaped like ``noisy``; run in this order.

    Returns
    -------
    psnrs : dict
        ``{"noisy": PSNR of noisy, name: PSNR of each estimate}`` in dB against ``clean`` (``data_range = 1``).
    seconds : dict
        ``{name: wall seconds}`` of each ``denoise`` call (the scoring excluded).
    """
    import time

    from sparseimg.metrics import psnr

    cell, seconds = {"noisy": psnr(clean, noisy, data_range=1.0)}, {}
    for name, denoise in methods.items():
        start = time.perf_counter()
        estimate = denoise(noisy, sigma)
        seconds[name] = time.perf_counter() - start
        cell[name] = psnr(clean, estimate, data_range=1.0)
    return cell, seconds


def _denoising_cell(clean: np.ndarray, s: float, seed, settings: DenoiseSettings) -> tuple[dict, dict, dict]:
    """One (σ, image) cell of :func:`denoising_table`: ``(psnr per method, seconds, {run_key: psnr})``."""
    noisy = add_noise(clean, s / 255, seed)
    cell, seconds = score_denoisers(clean, noisy, s / 255, {key: denoiser(key, settings) for key in DENOISERS})
    return cell, seconds, {run_key(key, settings, clean, noisy, s / 255): cell[key] for key in DENOISERS}


def denoising_table(clean: dict, sigmas, tuned: dict, noise_seed: int, *,
                    workers: int = 1) -> tuple[dict, list, dict, dict]:
    """PSNR of every :data:`DENOISERS` method on each image at each σ, the noise of image ``i`` at ``s``
    drawn with :func:`seed_for` ``(noise_seed, i, s)``.

    Parameters
    ----------
    clean : dict
        ``{label: image}`` in table order (the order sets each image's noise seed).
    sigmas : sequence of float
        Noise levels, 0-255.
    tuned : dict
        ``{σ: DenoiseSettings}`` (:func:`tune_denoisers`).
    noise_seed : int
        Base of the noise seeds.
    workers : int
        Processes over the (σ, image) cells; the same numbers for any count.

    Returns
    -------
    table : dict
        ``{sigma_key: {label: {"noisy": psnr, method: psnr}}}``.
    rows : list of dict
        ``sigma, image, method, psnr_db`` per method and cell.
    seconds : dict
        ``{method: seconds}`` summed over the cells (each timed in the process that ran it).
    runs : dict
        ``{run_key: psnr}`` of every run (:func:`run_key`): what section 3 stores for the stages that
        score the same runs (:func:`stored_runs`).
    """
    from sparseimg._parallel import process_map

    jobs = [(s, i, label) for s in sigmas for i, label in enumerate(clean)]
    cells = process_map(_denoising_cell, [(clean[label], s, seed_for(noise_seed, i, s), tuned[s])
                                          for s, i, label in jobs], workers)
    table, rows, seconds, runs = {}, [], {key: 0.0 for key in DENOISERS}, {}
    for (s, _, label), (cell, secs, keys) in zip(jobs, cells):
        table.setdefault(sigma_key(s), {})[label] = cell
        rows += [{"sigma": s, "image": label, "method": key, "psnr_db": cell[key]} for key in DENOISERS]
        for key, v in secs.items():
            seconds[key] += v
        runs.update(keys)
    return table, rows, seconds, runs


# ---------------------------------------------------------------------------------------------
# Figures: one lifting level step by step; keeping the largest coefficients
# ---------------------------------------------------------------------------------------------
def lifting_trace(x: np.ndarray, wavelet="cdf53") -> list[tuple[str, np.ndarray, np.ndarray]]:
    """One level of the lifting analysis of an even-length 1-D ``x``, step by step (periodic boundary).

    Returns ``[(step, s, d), …]``: the split (``s = x_e``, ``d = x_o``), then after each predict
    (``d ← d − P(s)``, ``P(s)[k] = a s[k] + b s[k+1]``) and update (``s ← s + U(d)``,
    ``U(d)[k] = a d[k−1] + b d[k]``) step, then the scaling (``s·ζ``, ``d/ζ``), which equals
    ``dwt(x, wavelet, levels=1, boundary="periodic")`` (split as ``[s | d]``). The steps must have taps.

    Parameters
    ----------
    x : ndarray, shape (n,)
        Even-length signal.
    wavelet : str
        A lifting wavelet whose steps have two taps (``"haar"``, ``"cdf53"``, ``"cdf97"``).

    Returns
    -------
    list of (str, ndarray, ndarray)
        ``(step name, s, d)`` after each step; ``s`` and ``d`` have shape ``(n // 2,)``.

    Raises
    ------
    ValueError
        ``x`` of odd length, or a step without taps.
    """
    x = check_array("x", x, ndim=1).astype(np.float64)
    if x.size < 2 or x.size % 2:
        raise ValueError(f"x has length {x.size}: expected an even length >= 2")
    w = get_wavelet(wavelet)
    s, d = x[0::2].copy(), x[1::2].copy()
    trace = [("split", s.copy(), d.copy())]
    for step in w.steps:
        if step.taps is None:
            raise ValueError(f"wavelet {w.name!r} has a step without taps: expected taps to trace")
        a, b = step.taps
        if step.kind == "predict":
            d = d - (a * s + b * np.roll(s, -1))
        else:
            s = s + (a * np.roll(d, 1) + b * d)
        trace.append((step.kind, s.copy(), d.copy()))
    trace.append(("scale", s * w.scale, d / w.scale))
    return trace


#: Transforms of :func:`keep_largest`: the lifting wavelets (periodic) and the global orthonormal DCT.
COMPRESSION_TRANSFORMS = ("haar", "cdf53", "cdf97", "dct")


def _atom_norms(shape, wavelet, levels) -> np.ndarray:
    """``‖W⁻¹ e_i‖`` for every coefficient (periodic: one atom per sub-band, taken mid-band)."""
    norms = np.empty(shape)
    for band in subbands(shape, levels):
        unit = np.zeros(shape)
        view = unit[band.slices]
        view[view.shape[0] // 2, view.shape[1] // 2] = 1.0
        norms[band.slices] = np.sqrt(np.sum(idwt2(unit, wavelet, levels=levels, boundary="periodic") ** 2))
    return norms


def keep_largest(image: np.ndarray, transform: str, fractions, *, levels: int = 5,
                 rank: str = "contribution") -> list[np.ndarray]:
    """``image`` rebuilt from the ``round(f · N)`` largest of its ``N`` coefficients, for each ``f`` of ``fractions``.

    ``transform``: ``"dct"`` (``scipy.fft.dctn``, orthonormal, global) or a lifting wavelet
    (:data:`COMPRESSION_TRANSFORMS`, ``levels`` levels, periodic). ``rank="contribution"`` ranks a
    coefficient by ``|c| · ‖W⁻¹ e‖``, the norm of what it adds to the image, because the
    biorthogonal 5/3 and 9/7 are not normalized (their synthesis atoms' norms differ by sub-band;
    for the orthonormal Haar and DCT this is ``|c|``); ``rank="magnitude"`` by ``|c|``. Ties are
    broken by position. The rest is zeroed.

    Parameters
    ----------
    image : ndarray, shape (n0, n1)
        The image.
    transform : {"haar", "cdf53", "cdf97", "dct"}
        See :data:`COMPRESSION_TRANSFORMS`.
    fractions : sequence of float
        Fractions of coefficients kept, each in (0, 1].
    levels : int
        Wavelet levels (ignored for the DCT).
    rank : {"contribution", "magnitude"}
        How coefficients are ranked (above).

    Returns
    -------
    list of ndarray, shape (n0, n1)
        One rebuilt image per fraction (at least one coefficient kept).
    """
    image = check_array("image", image, ndim=2).astype(np.float64)
    check_choice("transform", transform, COMPRESSION_TRANSFORMS)
    fractions = [check_real(f"fractions[{i}]", f, low=0.0, high=1.0, low_open=True) for i, f in enumerate(fractions)]
    check_choice("rank", rank, ("contribution", "magnitude"))
    if transform == "dct":
        from scipy.fft import dctn, idctn

        coefs = dctn(image, norm="ortho")
        score = np.abs(coefs)
        synthesize = lambda c: idctn(c, norm="ortho")  # noqa: E731
    else:
        levels = check_int("levels", levels, low=1)
        coefs = dwt2(image, transform, levels=levels, boundary="periodic")
        score = np.abs(coefs) * (_atom_norms(image.shape, transform, levels) if rank == "contribution" else 1.0)
        synthesize = lambda c: idwt2(c, transform, levels=levels, boundary="periodic")  # noqa: E731
    order = np.argsort(-score, axis=None, kind="stable")
    flat, out = coefs.reshape(-1), []
    for f in fractions:
        keep = order[:max(1, int(round(f * image.size)))]
        kept = np.zeros(image.size)
        kept[keep] = flat[keep]
        out.append(synthesize(kept.reshape(image.shape)))
    return out

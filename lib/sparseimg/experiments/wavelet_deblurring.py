"""Section 3's experiments (part 1), deblurring (notebook 03a, section ``wavelet_deblurring``): the problems and the
:data:`DEBLURRERS` registry.

:data:`DEBLURRERS` — ``key -> method(Observation, DeblurSettings) -> Result`` (section 2's
:class:`~sparseimg.experiments.deblurring.Observation`: no ground truth), run by :func:`run_deblurrer` on a
:class:`~sparseimg.experiments.deblurring.DeblurProblem`: the talk's iterative shrinkage (ISTA on the synthesis
form), FISTA on the synthesis and on the translation-invariant analysis form
(:func:`sparseimg.restoration.deconvolution.wavelet_deblur`), section 2's TV-FISTA, the talk's Algorithm 1
(:func:`sparseimg.optim.plug_and_play.pnp_deblur`) and half-quadratic splitting with a fixed schedule
(:func:`sparseimg.optim.plug_and_play.pnp_hqs`), each with three denoisers of
:data:`sparseimg.experiments.wavelets.DENOISERS`. :func:`tune_deblurrers` chooses their λ on tuning problems,
over the grids :data:`LAMBDA_GRIDS` names (:data:`SHARED_LAMBDA`: the exception).

Problems: :func:`gaussian_blur_problem` (circular Gaussian blur, the plug-and-play benchmark setting: PSF
σ = 1.6, noise 2.55/255) and :func:`section2_problem` (section 2's astronaut problem, :data:`SECTION2`).

Source: "Sparsity and Deep Neural Networks: a Match Made in Heaven", P. L. Dragotti, Imperial College
London, talk slides, 7 February 2022.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from sparseimg._validate import check_array, check_int
from sparseimg.restoration.deconvolution import tv_deblur, wavelet_deblur
from sparseimg.images import prepare_image
from sparseimg.kernels import gaussian_psf
from sparseimg.operators.fourier import FourierConvolution, transfer_from_kernel
from sparseimg.optim.plug_and_play import pnp_deblur, pnp_hqs
from sparseimg.restoration import shrinkage
from sparseimg.experiments import Registry, Result
from sparseimg.experiments.deblurring import DeblurProblem, Observation, PSNRMonitor, make_problem
from sparseimg.experiments.tuning import grid_middle, tune_each
from sparseimg.experiments.wavelets import DenoiseSettings, add_noise, denoiser

__all__ = ["DeblurSettings", "DEBLURRERS", "example_observation", "method_lam", "plug_and_play", "PNP_PARTS",
           "pnp_schedule", "pnp_key", "pnp_records", "LAMBDA_GRIDS", "SHARED_LAMBDA", "DeblurResult", "run_deblurrer", "run_all",
           "tune_deblurrers", "gaussian_blur_problem", "SECTION2", "section2_problem"]


# ---------------------------------------------------------------------------------------------
# Deblurring problems
# ---------------------------------------------------------------------------------------------
def gaussian_blur_problem(image: np.ndarray, *, psf_size: int = 13, psf_sigma: float = 1.6,
                          noise_std: float = 2.55 / 255, seed) -> DeblurProblem:
    """A circular Gaussian blur (:func:`~sparseimg.kernels.gaussian_psf`, centred on the origin) plus noise.

    The operator is a :class:`~sparseimg.operators.FourierConvolution` (``boundary="circular"``):
    the data are blurred by the same periodic convolution that the methods invert, as in the
    plug-and-play literature's benchmarks, so the x-step of plug-and-play is exact in frequency.

    Parameters
    ----------
    image : ndarray, shape (n0, n1)
        The sharp image (the problem's ground truth).
    psf_size : int
        Odd side of the PSF.
    psf_sigma : float
        Standard deviation of the isotropic Gaussian PSF, in pixels.
    noise_std : float
        Noise standard deviation in image units (default 2.55/255).
    seed : int or list of int
        Seed of the noise draw (:func:`add_noise`).

    Returns
    -------
    DeblurProblem
        ``truth``, ``psf``, ``operator``, ``observed``, ``noise_std`` and ``boundary="circular"``.
    """
    image = check_array("image", image, ndim=2).astype(np.float64)
    psf = gaussian_psf(psf_size, (psf_sigma, psf_sigma))
    operator = FourierConvolution(transfer_from_kernel(psf, image.shape), image.shape)
    observed = add_noise(operator.forward(image), noise_std, seed)
    return DeblurProblem(truth=image, psf=psf, operator=operator, observed=observed,
                         noise_std=float(noise_std), boundary="circular")


#: Section 2's noisy problem (its ``params.yaml`` block): the image grey, rescaled by 1/3, blurred by
#: the crop of the full convolution with a 13×13 Gaussian PSF σ = (1, 3), noise 0.01, noise seed 1
#: (its tuning image: seed 2).
SECTION2 = {"image": "astronaut", "scale": 1.0 / 3.0, "psf_size": 13, "psf_sigma": (1.0, 3.0), "noise_std": 0.01,
            "noise_seed": 1}


def section2_problem(source: str = "astronaut", *, crop: int | None = None, seed: int = 1) -> DeblurProblem:
    """Section 2's problem (:data:`SECTION2`) on ``source`` (default: its reported image).

    Parameters
    ----------
    source : str
        Packaged image name or PNG/JPEG path (prepared grey and rescaled by 1/3 as section 2 does).
    crop : int, optional
        Side of a central window after rescaling (None: the whole image, section 2's setting).
    seed : int
        Noise seed (section 2's reported image: 1; its tuning image: 2).

    Returns
    -------
    DeblurProblem
        The bounded (linear, cropped) blur of section 2 with noise 0.01.
    """
    image = prepare_image(source, scale=SECTION2["scale"], crop=crop)
    return make_problem(image, gaussian_psf(SECTION2["psf_size"], SECTION2["psf_sigma"]),
                        noise_std=SECTION2["noise_std"], seed=seed)


# ---------------------------------------------------------------------------------------------
# Deblurring methods
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeblurSettings:
    """What the deblurrers of :data:`DEBLURRERS` read.

    Attributes
    ----------
    wavelet, levels : str, int
        The wavelet transform of the wavelet-domain methods (periodic boundary).
    n_iter : int
        Iterations of ISTA, the FISTAs and TV-FISTA.
    tv_inner_iter : int
        Dual FISTA iterations per TV prox of TV-FISTA (section 2: 5).
    analysis_shifts : int
        Cycle spins per axis of the translation-invariant analysis form.
    pnp_max_iter, pnp_start_factor, pnp_denoise_factor
        Algorithm 1's guard on the iterations, ``β₁ = start_factor · β₀`` (the talk: 10) and the
        denoiser's level ``denoise_factor · β_{k+1}`` (the talk: 2).
    hqs_iter, hqs_sigma_start : int, float
        Half-quadratic splitting: the denoiser levels fall geometrically from ``hqs_sigma_start``
        (image units) to the noise level of the data in ``hqs_iter`` steps.
    denoise : DenoiseSettings
        The plug-and-play denoisers' settings (TV weight factor, cycle spins, BM3D stages).
    weights : dict
        ``{key: λ}``, the λ of every method (a method of :data:`SHARED_LAMBDA` reads its source's);
        :func:`tune_deblurrers` chooses them, :func:`run_deblurrer` installs them.
    monitor : PSNRMonitor or None
        Scores every iterate against a reference the experiment holds (:func:`run_deblurrer` with ``track``);
        the estimate does not depend on it.
    """

    wavelet: str = "cdf97"
    levels: int = 4
    n_iter: int = 100
    tv_inner_iter: int = 5
    analysis_shifts: int = 2
    pnp_max_iter: int = 30
    pnp_start_factor: float = 10.0
    pnp_denoise_factor: float = 2.0
    hqs_iter: int = 8
    hqs_sigma_start: float = 49.0 / 255
    denoise: DenoiseSettings = field(default_factory=DenoiseSettings)
    weights: dict = field(default_factory=dict)
    monitor: PSNRMonitor | None = None

    @classmethod
    def from_params(cls, block: dict) -> "DeblurSettings":
        """Settings from the section's validated block; every λ at its starting grid's geometric middle
        (:func:`tune_deblurrers` chooses them on the tuning problems).

        Parameters
        ----------
        block : dict
            The validated ``wavelets`` block.

        Returns
        -------
        DeblurSettings
        """
        weights = {key: grid_middle(block[grid]) for key, grid in LAMBDA_GRIDS.items()}
        return cls(wavelet=block["wavelet"], levels=block["levels"], n_iter=block["deblur_iter"],
                   tv_inner_iter=block["tv_inner_iter"], analysis_shifts=block["analysis_shifts"],
                   pnp_max_iter=block["pnp_max_iter"], pnp_start_factor=block["pnp_start_factor"],
                   pnp_denoise_factor=block["pnp_denoise_factor"], hqs_iter=block["hqs_iter"],
                   hqs_sigma_start=block["hqs_sigma_start"] / 255, denoise=DenoiseSettings.from_params(block),
                   weights=weights)


def example_observation() -> Observation:
    """A tiny seeded problem for the registry test: a 32 × 32 crop of ``camera`` under the Gaussian blur.

    Returns
    -------
    Observation
    """
    from sparseimg.images import center_crop, load_image

    return gaussian_blur_problem(center_crop(load_image("camera", gray=True), 32), seed=0).observation


def method_lam(weights: dict, key: str, source: str | None = None) -> float:
    """The λ a method reads from its settings' ``weights`` (one line naming both when it is missing).

    Parameters
    ----------
    weights : dict
        ``{key: λ}``.
    key : str
        The method.
    source : str, optional
        The method whose λ it takes (default: its own).

    Returns
    -------
    float
    """
    source = key if source is None else source
    if source not in weights:
        raise ValueError(f"settings.weights has no {source!r} entry: method {key!r} needs its tuned λ")
    return float(weights[source])


def plug_and_play(kind: str, problem: Observation, denoise, lam: float, *, estimator=None, start_factor: float = 10.0,
                  denoise_factor: float = 2.0, max_iter: int = 30, max_fall: float | None = None, hqs_iter: int = 8,
                  hqs_sigma_start: float = 49.0 / 255, monitor: PSNRMonitor | None = None) -> Result:
    """One plug-and-play run as a registry method returns it (sections 3, 3b and 3c share it).

    Parameters
    ----------
    kind : {"algorithm1", "hqs"}
        The talk's Algorithm 1 (:func:`~sparseimg.optim.plug_and_play.pnp_deblur`; guarded with ``max_fall``) or
        half-quadratic splitting on a fixed geometric schedule (:func:`~sparseimg.optim.plug_and_play.pnp_hqs`).
    problem : Observation
        ``observed``, ``operator`` and, for HQS, the known ``noise_std``.
    denoise : callable
        ``denoise(x, sigma)``.
    lam : float
        The data weight λ.
    estimator : callable, optional
        Algorithm 1's β(·) (required there).
    start_factor, denoise_factor, max_iter, max_fall
        Algorithm 1's schedule (the talk: 10, 2, at most 30 iterations, unguarded).
    hqs_iter, hqs_sigma_start : int, float
        HQS: the denoiser levels fall geometrically from ``hqs_sigma_start`` to the data's noise in ``hqs_iter`` steps.
    monitor : PSNRMonitor, optional
        Scores every iterate (the estimate does not depend on it).

    Returns
    -------
    Result
        The estimate, the run's history and ``details``: ``lam``, ``iterations`` and, for Algorithm 1,
        ``stopped`` and ``denoiser_sigmas_255``.
    """
    track = monitor.solver_keywords() if monitor is not None else {}
    if kind == "hqs":
        if problem.noise_std is None:
            raise ValueError("half-quadratic splitting needs the observation's noise_std: got None")
        sigmas = list(np.geomspace(hqs_sigma_start, problem.noise_std, hqs_iter))
        z, r = pnp_hqs(problem.observed, problem.operator, denoise, sigmas, lam=lam, noise_std=problem.noise_std,
                       **track)
        return Result(z, r.history, {"lam": lam, "iterations": r.n_iter})
    if kind != "algorithm1":
        raise ValueError(f"kind={kind!r} is not allowed: expected 'algorithm1' or 'hqs'")
    guard = {} if max_fall is None else {"max_fall": max_fall}
    z, r = pnp_deblur(problem.observed, problem.operator, denoise, estimator, lam=lam, start_factor=start_factor,
                      denoise_factor=denoise_factor, max_iter=max_iter, **guard, **track)
    return Result(z, r.history, {"lam": lam, "iterations": r.n_iter, "stopped": r.stopped,
                                 "denoiser_sigmas_255": [255.0 * b for b in r.betas]})


def _lam(key: str, p: DeblurSettings) -> float:
    return method_lam(p.weights, key, SHARED_LAMBDA.get(key, key))


def _tracking(p: DeblurSettings) -> dict:
    return p.monitor.solver_keywords() if p.monitor is not None else {}


def _wavelet(key, form, accelerate, shifts_of=None):
    def run(problem: Observation, p: DeblurSettings) -> Result:
        lam, shifts = _lam(key, p), (p.analysis_shifts if shifts_of else 1)
        x, h = wavelet_deblur(problem.observed, problem.operator, lam, wavelet=p.wavelet, levels=p.levels, form=form,
                              shifts=shifts, accelerate=accelerate, n_iter=p.n_iter, **_tracking(p))
        return Result(x, h, {"lam": lam, "iterations": h.n_iter if h.objective else p.n_iter})
    return run


def _tv_fista(problem: Observation, p: DeblurSettings) -> Result:
    lam = _lam("tv_fista", p)
    x, h = tv_deblur(problem.observed, problem.operator, lam, n_iter=p.n_iter, inner_iter=p.tv_inner_iter, tol=0.0,
                     **_tracking(p))
    return Result(x, h, {"lam": lam, "iterations": h.n_iter})


def pnp_schedule(kind: str, p: DeblurSettings) -> dict:
    """The keywords of :func:`plug_and_play` (besides the denoiser and λ) this section's ``kind`` runs take.

    Parameters
    ----------
    kind : {"algorithm1", "hqs"}
    p : DeblurSettings

    Returns
    -------
    dict
        Algorithm 1: the estimator β(·) (the MAD of HH₁), start and denoiser factors, iteration cap; HQS: its
        iterations and first denoiser level.
    """
    if kind == "hqs":
        return {"hqs_iter": p.hqs_iter, "hqs_sigma_start": p.hqs_sigma_start}
    return {"estimator": shrinkage.estimate_sigma, "start_factor": p.pnp_start_factor,
            "denoise_factor": p.pnp_denoise_factor, "max_iter": p.pnp_max_iter}


def _plug(key):
    kind, denoiser_key = PNP_PARTS[key]

    def run(problem: Observation, p: DeblurSettings) -> Result:
        return plug_and_play(kind, problem, denoiser(denoiser_key, p.denoise), _lam(key, p),
                             **pnp_schedule(kind, p), monitor=p.monitor)
    return run


#: The plug-and-play deblurrers: ``key -> (kind of plug_and_play, key of wavelets.DENOISERS)``.
PNP_PARTS = {"pnp_wavelet": ("algorithm1", "bayesshrink_ti"), "pnp_tv": ("algorithm1", "tv"),
             "pnp_bm3d": ("algorithm1", "bm3d"), "hqs_wavelet": ("hqs", "bayesshrink_ti"), "hqs_tv": ("hqs", "tv"),
             "hqs_bm3d": ("hqs", "bm3d")}


#: The keywords of :func:`plug_and_play` that shape each kind of run (the content of :func:`pnp_key`'s schedule).
_SCHEDULE_KEYS = {"algorithm1": ("estimator", "start_factor", "denoise_factor", "max_iter", "max_fall"),
                  "hqs": ("hqs_iter", "hqs_sigma_start")}


def pnp_key(kind: str, denoiser_key: str, denoise: DenoiseSettings, schedule: dict, problem: DeblurProblem,
            **what) -> str:
    """A content key of one plug-and-play computation on a problem: a run at a λ, or a λ tuning on a grid.

    Two computations with the same key give the same numbers, so a stage that meets a key section 3 recorded
    (``pnp_runs`` in the metrics of section ``wavelet_deblurring``: :func:`pnp_records`, read by
    :func:`sparseimg.experiments.wavelets.stored_runs`)
    takes the record instead of computing it again (section 3b's wavelet plug-and-play peers).

    Parameters
    ----------
    kind : {"algorithm1", "hqs"}
    denoiser_key : str
        A key of :data:`sparseimg.experiments.wavelets.DENOISERS`.
    denoise : DenoiseSettings
        Its settings (only the fields it reads, :data:`sparseimg.experiments.wavelets.READS`, enter).
    schedule : dict
        The other keywords of :func:`plug_and_play` (a function enters by its qualified name).
    problem : DeblurProblem
        Its truth, PSF, observation, noise level, boundary and operator type enter.
    **what
        JSON-able: ``lam=λ`` for a run, ``grid=[…], max_extend=n`` for a tuning.

    Returns
    -------
    str
        32 hexadecimal digits.
    """
    import inspect
    import numbers

    from sparseimg.experiments.wavelets import READS, content_key

    if kind not in _SCHEDULE_KEYS:
        raise ValueError(f"kind={kind!r} is not allowed: expected one of {sorted(_SCHEDULE_KEYS)}")
    allowed = _SCHEDULE_KEYS[kind]
    if set(schedule) - set(allowed):
        raise ValueError(f"schedule={sorted(schedule)} is not allowed for kind={kind!r}: expected keys among {allowed}")
    defaults = inspect.signature(plug_and_play).parameters  # a keyword left out is the default the run gets

    def name(v):  # a function by its qualified name, every real number as a float
        if callable(v):
            return f"{v.__module__}.{v.__qualname__}"
        return float(v) if isinstance(v, numbers.Real) and not isinstance(v, bool) else v

    fields = {"kind": kind, "denoiser": denoiser_key, **{f: getattr(denoise, f) for f in READS[denoiser_key]},
              "schedule": {k: name(schedule.get(k, defaults[k].default)) for k in allowed},
              "operator": type(problem.operator).__name__,
              "boundary": problem.boundary, "noise_std": float(problem.noise_std), **what}
    return content_key(fields, problem.truth, problem.psf, problem.observed)


def pnp_records(problems: dict, results: dict, tuning_problems: dict, tuning: dict, params: DeblurSettings,
                grids: dict, max_extend: int) -> dict:
    """The plug-and-play computations of the section under their :func:`pnp_key`: every tuning and every run.

    Parameters
    ----------
    problems, results : dict
        The reported problems and :func:`run_all`'s results on them.
    tuning_problems, tuning : dict
        The tuning problems and :func:`tune_deblurrers`' records on them.
    params : DeblurSettings
    grids : dict
        The starting grids given to :func:`tune_deblurrers`; ``max_extend`` the same.

    Returns
    -------
    dict
        ``{key: Tuned.as_dict()}`` for the tunings, ``{key: {"psnr", "curve", "iterations"}}`` for the runs
        (``curve``: PSNR per iterate, index 0 the start; no time: metrics hold no timings).
    """
    from sparseimg.metrics import psnr

    out = {}
    for key, (kind, denoiser_key) in PNP_PARTS.items():
        spec = (kind, denoiser_key, params.denoise, pnp_schedule(kind, params))
        for name, problem in tuning_problems.items():
            if key in tuning.get(name, {}) and key in LAMBDA_GRIDS:
                out[pnp_key(*spec, problem, grid=list(grids[LAMBDA_GRIDS[key]]), max_extend=max_extend)] = \
                    tuning[name][key]
        for name, problem in problems.items():
            if key in results.get(name, {}):
                r = results[name][key]
                out[pnp_key(*spec, problem, lam=float(r.details["lam"]))] = {
                    "psnr": psnr(problem.truth, r.estimate, data_range=1.0), "curve": list(r.psnr),
                    "iterations": r.details["iterations"]}
    return out


#: The deblurrers, in display order: ``key -> method(Observation, DeblurSettings) -> Result`` (estimate, the
#: solver's history (its PSNR per iterate, index 0 the start, when ``settings.monitor`` is set), details with λ).
DEBLURRERS = Registry("wavelet_deblurring", {
    "ista_synthesis": _wavelet("ista_synthesis", "synthesis", False),
    "fista_synthesis": _wavelet("fista_synthesis", "synthesis", True),
    "fista_analysis_ti": _wavelet("fista_analysis_ti", "analysis", True, shifts_of=True),
    "tv_fista": _tv_fista,
    **{key: _plug(key) for key in PNP_PARTS},
}, {
    "ista_synthesis": "ISTA, synthesis (the talk's iteration)",
    "fista_synthesis": "FISTA, synthesis",
    "fista_analysis_ti": "FISTA, analysis, cycle-spun",
    "tv_fista": "TV-FISTA (section 2)",
    "pnp_wavelet": "Algorithm 1, wavelet denoiser",
    "pnp_tv": "Algorithm 1, TV denoiser",
    "pnp_bm3d": "Algorithm 1, BM3D",
    "hqs_wavelet": "PnP-HQS, wavelet denoiser",
    "hqs_tv": "PnP-HQS, TV denoiser",
    "hqs_bm3d": "PnP-HQS, BM3D",
}, settings=DeblurSettings, example=example_observation)

#: The grid of the section's parameters each deblurrer's λ is tuned on (on the tuning problem).
LAMBDA_GRIDS = {
    "ista_synthesis": "wavelet_lam_grid",
    "fista_synthesis": "wavelet_lam_grid",
    "fista_analysis_ti": "wavelet_lam_grid",
    "tv_fista": "tv_lam_grid",
    "pnp_wavelet": "pnp_lam_grid",
    "pnp_tv": "pnp_lam_grid",
    "hqs_wavelet": "hqs_lam_grid",
    "hqs_tv": "hqs_lam_grid",
    "hqs_bm3d": "hqs_lam_grid",
}
#: Deblurrers that take another one's tuned λ: Algorithm 1 with BM3D takes the wavelet denoiser's (tuning it
#: too costs six BM3D calls per problem; on both problems of the section it picks the same λ).
SHARED_LAMBDA = {"pnp_bm3d": "pnp_wavelet"}


@dataclass
class DeblurResult:
    """One deblurrer's output.

    Attributes
    ----------
    estimate : ndarray
    psnr : list of float
        PSNR (dB, peak 1) of every iterate, index 0 the start (empty when not tracked).
    seconds : float
        Solver time (PSNR bookkeeping excluded where the solver separates it).
    details : dict
        Deterministic facts: iterations, the λ used, why Algorithm 1 stopped, its denoiser levels.
    """

    estimate: np.ndarray
    psnr: list
    seconds: float
    details: dict


def run_deblurrer(key: str, problem: DeblurProblem, weights: dict, params: DeblurSettings, *,
                  track: bool = True) -> DeblurResult:
    """Run ``DEBLURRERS[key]`` on ``problem`` with its tuned λ.

    Parameters
    ----------
    key : str
        A key of :data:`DEBLURRERS` (an unknown key lists the valid ones).
    problem : DeblurProblem
        The problem (its ``truth`` is read only when ``track``).
    weights : dict
        ``{key: λ}`` from :func:`tune_deblurrers`; a method of :data:`SHARED_LAMBDA` reads
        ``weights[SHARED_LAMBDA[key]]``.
    params : DeblurSettings
        Iterations, wavelet, plug-and-play schedules, denoiser settings.
    track : bool
        Record the PSNR of every iterate against ``problem.truth``.

    Returns
    -------
    DeblurResult
        ``estimate`` (float64, unclipped), ``psnr`` (per iterate, empty unless tracked), ``seconds``
        (the solver's time, or the wall time of the call) and ``details`` (``lam`` and the method's own).

    Raises
    ------
    ValueError
        ``weights`` lacks the method's λ.
    """
    method = DEBLURRERS[key]
    source = SHARED_LAMBDA.get(key, key)
    if source not in weights:
        raise ValueError(f"weights has no {source!r} entry: method {key!r} needs its tuned λ")
    settings = replace(params, weights=dict(weights), monitor=PSNRMonitor(problem.truth) if track else None)
    start = time.perf_counter()
    result = method(problem.observation, settings)
    wall = time.perf_counter() - start
    history = result.history
    seconds = history.time[-1] if history is not None and history.time else wall
    return DeblurResult(estimate=np.asarray(result.estimate, dtype=np.float64),
                        psnr=list(history.psnr) if history is not None else [], seconds=float(seconds),
                        details=result.details)


def run_all(problems: dict, weights: dict, params: DeblurSettings, *, workers: int = 1) -> dict:
    """:func:`run_deblurrer` for every problem and every :data:`DEBLURRERS` method, tracked:
    ``{problem: {key: DeblurResult}}``, the (problem, method) runs in ``workers`` processes (the same
    numbers for any count; each run's ``seconds`` measured in the process that ran it).

    Parameters
    ----------
    problems : dict
        ``{name: DeblurProblem}``: the problems to deblur (their ``truth`` scores the tracked iterates).
    weights : dict
        ``{name: {key: λ}}`` as :func:`tune_deblurrers` returns: every problem name of ``problems`` needs its
        entry, holding the λ of every method (or of its :data:`SHARED_LAMBDA` source).
    params : DeblurSettings
        Iterations, wavelet, plug-and-play schedules, denoiser settings (shared by all runs).
    workers : int, optional
        Processes over the (problem, method) pairs (default 1).

    Returns
    -------
    dict
        ``{name: {key: DeblurResult}}``: per problem (in the order of ``problems``), every method of
        :data:`DEBLURRERS` in display order, each run tracked (:func:`run_deblurrer` with ``track=True``).

    Raises
    ------
    ValueError
        A problem's ``weights`` lack a method's λ.
    """
    from sparseimg._parallel import process_map

    jobs = [(name, key) for name in problems for key in DEBLURRERS]
    done = process_map(run_deblurrer, [(key, problems[name], weights[name], params) for name, key in jobs], workers)
    out = {name: {} for name in problems}
    for (name, key), result in zip(jobs, done):
        out[name][key] = result
    return out


def _tuning_run(params: DeblurSettings, key: str, problem: DeblurProblem, lam: float) -> np.ndarray:
    return DEBLURRERS[key](problem.observation, replace(params, weights={key: float(lam)}, monitor=None)).estimate


def tune_deblurrers(problems: dict, grids: dict, params: DeblurSettings, *, keys=None, max_extend: int = 6,
                    workers: int = 1) -> tuple[dict, dict]:
    """λ of every deblurrer of :data:`LAMBDA_GRIDS` chosen on each *tuning* problem: the highest PSNR, its grid
    grown past an edge choice (:func:`sparseimg.experiments.tuning.tune_each`).

    Parameters
    ----------
    problems : dict
        ``{name: DeblurProblem}``: *tuning* problems (never the reported image's).
    grids : dict
        ``{grid name: values}``: the section's parameters named by :data:`LAMBDA_GRIDS` (starting grids).
    params : DeblurSettings
        The solvers' settings.
    keys : iterable of str, optional
        Restrict to these methods (default: all of :data:`LAMBDA_GRIDS`). Methods of
        :data:`SHARED_LAMBDA` are not tuned.
    max_extend : int, optional
        Values a grid may grow by beyond an edge choice (default 6).
    workers : int, optional
        Processes over the (problem, method) pairs (default 1); the same numbers for any count.

    Returns
    -------
    weights : dict
        ``{name: {key: λ}}``.
    records : dict
        ``{name: {key: Tuned.as_dict()}}``: every λ scored, its PSNR (dB), the choice, and ``edge``/``reason``
        when the choice still sits at an end.
    """
    keys = list(LAMBDA_GRIDS) if keys is None else [DEBLURRERS.check(k) for k in keys if k in LAMBDA_GRIDS]
    return tune_each(partial(_tuning_run, params), problems, {key: grids[LAMBDA_GRIDS[key]] for key in keys},
                     max_extend=max_extend, workers=check_int("workers", workers, low=1))

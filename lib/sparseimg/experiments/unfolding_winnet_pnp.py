"""Section 3c, plug-and-play: Algorithm 1 and PnP-HQS with the WINNet-structured denoiser
(:mod:`sparseimg.learn.winnet`) and NENet (:mod:`sparseimg.learn.nenet`) on part 1's two blur problems and a
motion blur, against TV-FISTA: the problems, the :data:`PNP` registry, λ tuning and the reported runs.

Its keys (``win_pnp_*``, ``win_guard_*``, ``win_hqs_*``, ``win_tv_*``, ``win_motion_*``, ``win_lam_extend``,
``win_workers``) are in :data:`sparseimg.experiments.unfolding_winnet.SCHEMA`, with the denoising tables'. Part 1's
problems come from :mod:`sparseimg.experiments.unfolding_pnp`, as the learned lifting denoiser's plug-and-play does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np

from sparseimg._parallel import process_map
from sparseimg.experiments import Registry, Result
from sparseimg.experiments import unfolding_lifting as ulf
from sparseimg.experiments import unfolding_pnp as ulp
from sparseimg.experiments import wavelets as wv
from sparseimg.experiments import wavelet_deblurring as wvd
from sparseimg.experiments.deblurring import DeblurProblem, PSNRMonitor
from sparseimg.experiments.tuning import grid_middle, tune_each
from sparseimg.learn import nenet, winnet
from sparseimg.metrics import psnr
from sparseimg.operators.fourier import FourierConvolution, transfer_from_kernel

__all__ = ["motion_problem", "deblur_problems", "PNP_METHODS", "PNP", "PnPSettings", "run_pnp", "tune_pnp",
           "pnp_table"]

def motion_problem(image: np.ndarray, block: dict, seed) -> DeblurProblem:
    """A circular motion (line) blur of ``win_motion_length`` pixels at ``win_motion_angle``, noise 2.55/255.

    Parameters
    ----------
    image : ndarray, shape (n0, n1)
        The sharp image (floats in [0, 1]).
    block : dict
        The validated ``unfolding`` block (:data:`SCHEMA`); reads ``win_motion_length`` (pixels) and
        ``win_motion_angle`` (degrees).
    seed : int or list of int
        Seed of the noise (:func:`sparseimg.experiments.wavelets.add_noise`).

    Returns
    -------
    DeblurProblem
        ``truth`` = ``image``, ``psf`` the line (:func:`sparseimg.learn.nenet.line_psf`: odd side, sum 1), a
        circular :class:`~sparseimg.operators.fourier.FourierConvolution`, ``observed`` = blurred image plus
        white Gaussian noise of standard deviation 2.55/255, ``noise_std = 2.55/255``, ``boundary = "circular"``.
    """
    psf = nenet.line_psf(block["win_motion_length"], block["win_motion_angle"])
    op = FourierConvolution(transfer_from_kernel(psf, image.shape), image.shape)
    return DeblurProblem(truth=image, psf=psf, operator=op, observed=wv.add_noise(op.forward(image), 2.55 / 255, seed),
                         noise_std=2.55 / 255, boundary="circular")


def deblur_problems(block: dict, tuning: bool = False) -> dict:
    """Part 1's two problems (:func:`sparseimg.experiments.unfolding_pnp.deblur_problems`) and the motion
    blur on the same crop of the headline image (or of the tuning image).

    Parameters
    ----------
    block : dict
        The validated ``unfolding`` block (:data:`SCHEMA`); reads part 1's keys (``lift_headline_image``,
        ``lift_tuning_image``, ``lift_blur_crop``, ``lift_section2_crop``) and ``win_motion_length``,
        ``win_motion_angle``.
    tuning : bool, optional
        Their tuning versions, on ``lift_tuning_image`` (other noise seeds; default False).

    Returns
    -------
    dict
        ``{"gaussian_blur": problem, "section2": problem, "motion_blur": problem}`` (:class:`DeblurProblem`);
        the motion blur's noise seed is ``[7, int(tuning)]``.
    """
    out = ulp.deblur_problems(block, tuning)
    image = out["gaussian_blur"].truth
    out["motion_blur"] = motion_problem(image, block, [7, int(tuning)])
    return out


PNP_METHODS = {"alg1_winnet": "Algorithm 1, WINNet + NENet", "alg1_guarded": "Algorithm 1, guarded schedule",
               "hqs_winnet": "PnP-HQS, WINNet", "tv_fista": "TV-FISTA (section 2)"}


@dataclass(frozen=True)
class PnPSettings:
    """What the plug-and-play methods of :data:`PNP` read besides the observation.

    Attributes
    ----------
    winnet : WINNetDenoiser
        The trained denoiser (its σ clipped to [1, 75]/255 inside the loops).
    nenet : NENet
        The trained noise estimator (Algorithm 1's β(·)).
    pnp_factor : float
        Algorithm 1's denoiser level factor (``win_pnp_factor``); its start factor is the talk's 10.
    pnp_max_iter : int
        Algorithm 1's guard on the iterations (``win_pnp_max_iter``), also the guarded variant's.
    guard : dict
        The guarded schedule's keywords (:func:`sparseimg.experiments.unfolding_lifting.guarded`).
    hqs_iter : int
        PnP-HQS's levels, geometric from 49/255 to the data's noise (``win_hqs_iter``).
    tv_iter : int
        TV-FISTA's iterations (``win_tv_iter``).
    weights : dict
        ``{key: λ}`` (:func:`tune_pnp` chooses them; :func:`run_pnp` installs one).
    monitor : PSNRMonitor or None
        Scores every iterate against a reference the experiment holds; the estimate does not depend on it.
    """

    winnet: Any
    nenet: Any
    pnp_factor: float = 1.0
    pnp_max_iter: int = 30
    guard: dict = field(default_factory=dict)
    hqs_iter: int = 8
    tv_iter: int = 100
    weights: dict = field(default_factory=dict)
    monitor: PSNRMonitor | None = None

    @classmethod
    def from_params(cls, block: dict, models: dict | None = None) -> "PnPSettings":
        """Settings from the validated ``unfolding`` block; every λ at its starting grid's geometric middle.

        Parameters
        ----------
        block : dict
            The validated ``unfolding`` block.
        models : dict, optional
            ``{"winnet": WINNetDenoiser, "nenet": NENet}`` (default: the pipeline's stored weights).

        Returns
        -------
        PnPSettings

        Raises
        ------
        sparseimg.learn.training.WeightsError
            No ``models`` given and no trained weights stored.
        """
        if models is None:
            models = {"winnet": winnet.load(shifts=block["win_shifts"]), "nenet": nenet.load()}
        weights = {m: grid_middle(_grid(m, block)) for m in PNP_METHODS}
        return cls(winnet=models["winnet"], nenet=models["nenet"], pnp_factor=block["win_pnp_factor"],
                   pnp_max_iter=block["win_pnp_max_iter"], guard=ulf.guarded(block, "win"),
                   hqs_iter=block["win_hqs_iter"], tv_iter=block["win_tv_iter"], weights=weights)


def _clipped_winnet(den, x, s):
    return winnet.denoise(x, float(np.clip(s, 1.0 / 255, 75.0 / 255)), den.params, shifts=den.shifts,
                          sigma_range=(0.0, 255.0))


def _pnp_method(key: str):
    def run(problem, p: PnPSettings) -> Result:
        lam = wvd.method_lam(p.weights, key)
        if key == "tv_fista":
            settings = wvd.DeblurSettings(n_iter=p.tv_iter, weights={"tv_fista": lam}, monitor=p.monitor)
            return wvd.DEBLURRERS["tv_fista"](problem, settings)
        denoise = partial(_clipped_winnet, p.winnet)
        if key == "hqs_winnet":
            return wvd.plug_and_play("hqs", problem, denoise, lam, hqs_iter=p.hqs_iter, monitor=p.monitor)
        schedule = p.guard if key == "alg1_guarded" else {"start_factor": 10.0, "denoise_factor": p.pnp_factor}
        return wvd.plug_and_play("algorithm1", problem, denoise, lam, estimator=p.nenet, max_iter=p.pnp_max_iter,
                                 monitor=p.monitor, **schedule)
    return run


#: The plug-and-play deblurrers with the WINNet-structured denoiser, and TV-FISTA beside them:
#: ``key -> method(Observation, PnPSettings) -> Result``.
PNP = Registry("winnet", {key: _pnp_method(key) for key in PNP_METHODS}, PNP_METHODS, settings=PnPSettings,
               example=wvd.example_observation)


def run_pnp(method: str, problem: DeblurProblem, lam: float, models: dict, block: dict, reference=None) -> Result:
    """One run of :data:`PNP` at λ = ``lam``, as :func:`sparseimg.experiments.unfolding_pnp.run_pnp` (with
    ``models = {"winnet": WINNetDenoiser, "nenet": NENet, …}`` in place of the lifting weights): the
    :class:`~sparseimg.experiments.Result` of the method on ``problem.observation``, its PSNR per iterate recorded
    against ``reference`` when one is given.

    Parameters
    ----------
    method : str
        A key of :data:`PNP_METHODS`.
    problem : DeblurProblem
        The problem (the method sees only ``problem.observation``).
    lam : float
        The data weight λ.
    models : dict
        ``{"winnet": WINNetDenoiser, "nenet": NENet, ...}`` (:meth:`PnPSettings.from_params`).
    block : dict
        The validated ``unfolding`` block (:data:`SCHEMA`); its settings for :meth:`PnPSettings.from_params`.
    reference : ndarray, optional
        A ground truth for the run's PSNR record (default None: not tracked; the estimate is the same).

    Returns
    -------
    Result
        ``estimate``; ``history`` (PSNR per iterate with a reference); ``details`` (``lam``, ``iterations``
        and the method's own).

    Raises
    ------
    UnknownMethodError
        ``method`` is not a key of :data:`PNP`.
    """
    settings = replace(PnPSettings.from_params(block, models=models), weights={method: float(lam)},
                       monitor=None if reference is None else PSNRMonitor(reference))
    return PNP[method](problem.observation, settings)


def _grid(method, block):
    return {"alg1_winnet": block["win_pnp_lam_grid"], "alg1_guarded": block["win_guard_lam_grid"],
            "hqs_winnet": block["win_hqs_lam_grid"],
            "tv_fista": block["win_tv_lam_grid"]}[method]


def _estimate(models: dict, block: dict, method: str, problem: DeblurProblem, lam: float) -> np.ndarray:
    return run_pnp(method, problem, lam, models, block).estimate


def tune_pnp(models: dict, block: dict) -> tuple[dict, dict]:
    """λ of every method of :data:`PNP_METHODS` on each tuning problem (the tuning image only), each grid grown
    past an edge choice (:func:`sparseimg.experiments.tuning.tune_each`, log steps of the grid's own ratio, at
    most ``win_lam_extend`` added; the pairs in ``win_workers`` processes): ``({problem: {method: λ}},
    {problem: {method: record}})``, the records holding every λ scored, its PSNR and whether the choice still
    sits on an edge (and why).

    Parameters
    ----------
    models : dict
        ``{"winnet": WINNetDenoiser, "nenet": NENet, ...}``.
    block : dict
        The validated ``unfolding`` block (:data:`SCHEMA`); reads the starting grids ``win_pnp_lam_grid``,
        ``win_guard_lam_grid``, ``win_hqs_lam_grid``, ``win_tv_lam_grid``, and ``win_lam_extend``, ``win_workers``,
        the tuning problems' keys.

    Returns
    -------
    values : dict
        ``{problem: {method: λ}}`` for the three tuning problems of :func:`deblur_problems`.
    records : dict
        ``{problem: {method: record}}`` (:meth:`~sparseimg.experiments.tuning.Tuned.as_dict`; scores = PSNR, dB).
    """
    return tune_each(partial(_estimate, models, block), deblur_problems(block, tuning=True),
                     {m: _grid(m, block) for m in PNP_METHODS}, max_extend=block["win_lam_extend"],
                     workers=block["win_workers"])


def _timed_run(models: dict, block: dict, method: str, problem: DeblurProblem, lam: float) -> dict:
    t0 = time.perf_counter()
    run = run_pnp(method, problem, lam, models, block)
    return {"psnr": psnr(problem.truth, run.estimate, data_range=1.0), "iterations": run.details["iterations"], "lam": lam,
            "seconds": time.perf_counter() - t0}


def pnp_table(models: dict, block: dict, lams: dict) -> dict:
    """Every method of :data:`PNP_METHODS` on every reported problem at its tuned λ (``lams`` from
    :func:`tune_pnp`), in ``win_workers`` processes: ``{problem: {method: {psnr, iterations, lam, seconds}}}``.

    Parameters
    ----------
    models : dict
        ``{"winnet": WINNetDenoiser, "nenet": NENet, ...}``.
    block : dict
        The validated ``unfolding`` block (:data:`SCHEMA`); reads ``win_workers`` and the keys of
        :func:`deblur_problems`.
    lams : dict
        ``{problem: {method: λ}}``, the first value of :func:`tune_pnp` (the tuning problems share the reported
        problems' names).

    Returns
    -------
    dict
        ``{problem: {method: {"psnr": dB against the truth (data_range = 1), "iterations": int, "lam": λ,
        "seconds": wall seconds of :func:`run_pnp`}}}`` for every problem of :func:`deblur_problems` and every method.
    """
    problems = deblur_problems(block)
    pairs = [(p, m) for p in problems for m in PNP_METHODS]
    runs = process_map(partial(_timed_run, models, block),
                       [(m, problems[p], lams[p][m]) for p, m in pairs], block["win_workers"])
    out = {}
    for (p, m), r in zip(pairs, runs):
        out.setdefault(p, {})[m] = r
    return out

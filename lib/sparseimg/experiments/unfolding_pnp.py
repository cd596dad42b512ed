"""Section 3, part 2 (learned lifting): plug-and-play deblurring with the learned lifting denoiser.

Part 1's two deblurring problems (:func:`deblur_problems`), Algorithm 1 (plain and guarded) and PnP-HQS
with the learned denoiser and with part 1's wavelet denoiser (:data:`PNP`, :class:`PnPSettings`), their
λ tuned on the tuning image (:func:`tune_pnp`) and their runs (:func:`pnp_runs`), reusing the runs part 1
already made with the same inputs. The denoiser, its training and the denoising tables are
:mod:`sparseimg.experiments.unfolding_lifting`'s; the ``lift_*`` keys of the ``unfolding`` block are its
:data:`~sparseimg.experiments.unfolding_lifting.SCHEMA`.

Source: "Sparsity and Deep Neural Networks: a Match Made in Heaven", P. L. Dragotti, Imperial College
London, talk slides, 7 February 2022.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from sparseimg.experiments import Registry, Result
from sparseimg.experiments import wavelet_deblurring as wvd
from sparseimg.experiments import wavelets as wv
from sparseimg.experiments.deblurring import PSNRMonitor
from sparseimg.experiments.tuning import grid_middle, tune_each
from sparseimg.experiments.unfolding_lifting import guarded, learned_denoiser, noise_estimator, peer_settings
from sparseimg.images import center_crop, load_image
from sparseimg.metrics import psnr

__all__ = ["deblur_problems", "PNP_METHODS", "PNP", "PnPSettings", "run_pnp", "tune_pnp", "pnp_runs"]


def deblur_problems(block: dict, tuning: bool = False) -> dict:
    """Part 1's two problems: Gaussian blur σ = 1.6 with noise 2.55/255 on the headline image, and section 2's
    astronaut problem.

    Parameters
    ----------
    block : dict
        The validated ``unfolding`` block.
    tuning : bool, optional
        Their tuning versions, on ``lift_tuning_image`` (other noise seeds).

    Returns
    -------
    dict
        ``{"gaussian_blur": problem, "section2": problem}``.
    """
    src = block["lift_tuning_image"] if tuning else block["lift_headline_image"]
    image = center_crop(load_image(src, gray=True), block["lift_blur_crop"])
    return {
        "gaussian_blur": wvd.gaussian_blur_problem(image, psf_size=13, psf_sigma=1.6, noise_std=2.55 / 255,
                                                  seed=int(tuning)),
        "section2": wvd.section2_problem(*( [block["lift_tuning_image"]] if tuning else []),
                                        crop=block["lift_section2_crop"],
                                        seed=wvd.SECTION2["noise_seed"] + int(tuning)),
    }


#: Plug-and-play runs: Algorithm 1 and PnP-HQS, each with the learned denoiser and part 1's wavelet denoiser.
PNP_METHODS = {"pnp_learned": "Algorithm 1, learned lifting", "pnp_wavelet": "Algorithm 1, wavelet (part 1)",
               "guard_learned": "Algorithm 1 guarded, learned lifting", "guard_wavelet": "Algorithm 1 guarded, wavelet (part 1)",
               "hqs_learned": "PnP-HQS, learned lifting", "hqs_wavelet": "PnP-HQS, wavelet (part 1)"}


@dataclass(frozen=True)
class PnPSettings:
    """What the plug-and-play methods of :data:`PNP` read besides the observation.

    Attributes
    ----------
    model : dict or None
        The learned lifting denoiser's weights (the ``*_learned`` methods refuse None).
    shifts, pilot_shifts : int
        The learned denoiser's test-time cycle spins and its pilot's (``lift_shifts``, ``lift_pilot_shifts``).
    peer_shifts : int
        Part 1's wavelet denoiser's cycle spins (``lift_peer_shifts``).
    estimator : str
        Algorithm 1's β(·), a key of :data:`ESTIMATORS` (``lift_pnp_estimator``).
    guard : dict
        The guarded schedule's keywords (:func:`guarded`).
    hqs_iter : int
        PnP-HQS's denoiser levels, geometric from 49/255 to the data's noise (``lift_hqs_iter``).
    weights : dict
        ``{key: λ}`` (:func:`tune_pnp` chooses them; :func:`run_pnp` installs one).
    monitor : PSNRMonitor or None
        Scores every iterate against a reference the experiment holds; the estimate does not depend on it.
    """

    model: dict | None = None
    shifts: int = 2
    pilot_shifts: int = 2
    peer_shifts: int = 8
    estimator: str = "mad"
    guard: dict = field(default_factory=dict)
    hqs_iter: int = 8
    weights: dict = field(default_factory=dict)
    monitor: PSNRMonitor | None = None

    @classmethod
    def from_params(cls, block: dict, model: dict | None = None) -> "PnPSettings":
        """Settings from the validated ``unfolding`` block; every λ at its starting grid's geometric middle.

        Parameters
        ----------
        block : dict
            The validated ``unfolding`` block.
        model : dict, optional
            Trained weights (default: the pipeline's, ``models/lifting.npz``).

        Returns
        -------
        PnPSettings

        Raises
        ------
        sparseimg.learn.training.WeightsError
            No ``model`` given and no trained weights stored.
        """
        if model is None:
            from sparseimg.learn.training import load_weights, model_path

            model = load_weights(model_path("lifting"))[0]
        return cls._of(block, model)

    @classmethod
    def _of(cls, block: dict, model: dict | None) -> "PnPSettings":
        weights = {m: grid_middle(block[g]) for m, g in _PNP_GRIDS.items()}
        return cls(model=model, shifts=block["lift_shifts"], pilot_shifts=block["lift_pilot_shifts"],
                   peer_shifts=block["lift_peer_shifts"], estimator=block["lift_pnp_estimator"],
                   guard=guarded(block, "lift"), hqs_iter=block["lift_hqs_iter"], weights=weights)


#: The λ grid of each plug-and-play method (starting grid on the tuning image).
_PNP_GRIDS = {m: {"pnp": "lift_pnp_lam_grid", "guard": "lift_guard_lam_grid", "hqs": "lift_hqs_lam_grid"}[m.split("_")[0]]
              for m in PNP_METHODS}


def _pnp_denoiser(key: str, p: PnPSettings):
    if key.endswith("learned"):
        if p.model is None:
            raise ValueError(f"method {key!r} needs the learned model: settings.model is None")
        den = learned_denoiser(p.model, p.shifts, p.pilot_shifts)
        return lambda x, sigma: den(x, float(np.clip(sigma, 1.0 / 255, 100.0 / 255)))
    return wv.denoiser("bayesshrink_ti", peer_settings(p.peer_shifts))


def _pnp_plan(key: str, p: PnPSettings) -> tuple[str, dict]:
    """The kind of :func:`~sparseimg.experiments.wavelet_deblurring.plug_and_play` a method runs and its other
    keywords (Algorithm 1: part 1's schedule or the guarded one, at most 30 iterations)."""
    if key.startswith("hqs"):
        return "hqs", {"hqs_iter": p.hqs_iter}
    schedule = p.guard if key.startswith("guard") else {"start_factor": 10.0, "denoise_factor": 2.0}
    return "algorithm1", {"estimator": noise_estimator(p.estimator), "max_iter": 30, **schedule}


def _pnp_method(key: str):
    def run(problem, p: PnPSettings) -> Result:
        kind, schedule = _pnp_plan(key, p)
        return wvd.plug_and_play(kind, problem, _pnp_denoiser(key, p), wvd.method_lam(p.weights, key),
                                 monitor=p.monitor, **schedule)
    return run


def _content_key(key: str, p: PnPSettings, problem, **what) -> str | None:
    """Section 3's content key of a wavelet method's computation (:func:`~sparseimg.experiments.wavelet_deblurring.
    pnp_key`); None for the learned denoiser's, which section 3 does not run."""
    if key.endswith("learned"):
        return None
    kind, schedule = _pnp_plan(key, p)
    return wvd.pnp_key(kind, "bayesshrink_ti", peer_settings(p.peer_shifts), schedule, problem, **what)


#: The plug-and-play deblurrers: ``key -> method(Observation, PnPSettings) -> Result`` (Algorithm 1 with
#: ``lift_pnp_estimator`` as β(·) and part 1's factors (start 10, denoiser 2, at most 30 iterations); its
#: guarded variant the ``lift_guard_*`` factors; HQS geometric from 49/255 to the data's noise).
PNP = Registry("unfolding", {key: _pnp_method(key) for key in PNP_METHODS}, PNP_METHODS,
               settings=PnPSettings, example=wvd.example_observation)


def run_pnp(method: str, problem, lam: float, weights: dict, block: dict, reference=None) -> Result:
    """One plug-and-play run of :data:`PNP` on a problem of the experiment.

    Parameters
    ----------
    method : str
        A key of :data:`PNP_METHODS`.
    problem : DeblurProblem
        The problem (its ``truth`` is read only through ``reference``).
    lam : float
        The data weight λ.
    weights : dict
        Trained weights of the learned denoiser.
    block : dict
        The validated ``unfolding`` block.
    reference : ndarray, optional
        A ground truth for the run's PSNR record (experiments only).

    Returns
    -------
    Result
        ``estimate``; ``history`` (solver seconds per iterate, PSNR with a reference); ``details``
        (``lam``, ``iterations``, ``stopped``).
    """
    settings = replace(PnPSettings._of(block, weights), weights={method: float(lam)},
                       monitor=None if reference is None else PSNRMonitor(reference))
    return PNP[method](problem.observation, settings)


def _estimate(weights: dict, block: dict, method: str, problem, lam: float) -> np.ndarray:
    return run_pnp(method, problem, lam, weights, block).estimate


def tune_pnp(weights: dict, block: dict, known: dict | None = None) -> tuple[dict, dict]:
    """λ of each method of :data:`PNP_METHODS` on each tuning problem, each grid grown past an edge choice.

    :func:`sparseimg.experiments.tuning.tune_each`, the pairs in ``lift_workers`` processes; a wavelet method's
    tuning that section 3 recorded (``known``, by content key) is taken, not run again.

    Parameters
    ----------
    weights : dict
        Trained weights of the learned denoiser.
    block : dict
        The validated ``unfolding`` block.
    known : dict, optional
        Section 3's ``pnp_runs`` (:func:`sparseimg.experiments.wavelets.stored_runs` with ``record="pnp_runs"``,
        ``section="wavelet_deblurring"``).

    Returns
    -------
    values : dict
        ``{problem: {method: λ}}``.
    records : dict
        ``{problem: {method: tuning record}}``.
    """
    grids = {m: block[g] for m, g in _PNP_GRIDS.items()}
    problems = deblur_problems(block, tuning=True)
    p, found, known = PnPSettings._of(block, weights), {}, known or {}
    for name, problem in problems.items():
        for m, grid in grids.items():
            key = _content_key(m, p, problem, grid=list(grid), max_extend=block["lift_lam_extend"])
            if key in known:
                found[(name, m)] = known[key]
    return tune_each(partial(_estimate, weights, block), problems, grids, max_extend=block["lift_lam_extend"],
                     workers=block["lift_workers"], known=found)


def pnp_runs(weights: dict, block: dict, lams: dict, known: dict | None = None) -> dict:
    """Every method of :data:`PNP_METHODS` on part 1's two problems at its tuned λ, each iterate scored.

    A wavelet method's run that section 3 recorded (``known``, by content key: the same denoiser, schedule,
    problem and λ) is taken from there (its time is in section 3's ``deblurring`` table: metrics hold no timings).

    Parameters
    ----------
    weights : dict
        Trained weights of the learned denoiser.
    block : dict
        The validated ``unfolding`` block.
    lams : dict
        ``{problem: {method: λ}}`` (:func:`tune_pnp`).
    known : dict, optional
        Section 3's ``pnp_runs`` (:func:`sparseimg.experiments.wavelets.stored_runs` with ``record="pnp_runs"``,
        ``section="wavelet_deblurring"``).

    Returns
    -------
    dict
        ``{problem: {method: {"psnr", "curve", "iterations", "lam", "seconds", "reused"}}}``: ``curve`` the PSNR
        (dB) per iterate, index 0 the start; ``reused`` True for a run taken from section 3 (``seconds`` None).
    """
    p, out, known = PnPSettings._of(block, weights), {}, known or {}
    for pname, problem in deblur_problems(block).items():
        for m in PNP_METHODS:
            lam = float(lams[pname][m])
            key = _content_key(m, p, problem, lam=lam)
            if key in known:  # None (a learned method's) is never a key
                r = known[key]
                rec = {"psnr": r["psnr"], "curve": list(r["curve"]), "iterations": r["iterations"],
                       "seconds": None, "reused": True}
            else:
                run = run_pnp(m, problem, lam, weights, block, reference=problem.truth)
                rec = {"psnr": psnr(problem.truth, run.estimate, data_range=1.0), "curve": list(run.history.psnr),
                       "iterations": run.details["iterations"], "seconds": run.history.time[-1], "reused": False}
            out.setdefault(pname, {})[m] = {**rec, "lam": lam}
    return out

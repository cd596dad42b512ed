"""Section 2's experiments: deblurring with automatic differentiation, against the classical deblurrers.

A :class:`DeblurProblem` holds the ground truth, the PSF, the exact blur operator
(:class:`~sparseimg.operators.LinearConvolution`, a crop of the full convolution as in the
document) and the observation. :data:`METHODS` runs every deblurrer of
:mod:`sparseimg.restoration.deconvolution` on it the same way, ``METHODS[key](problem.observation, settings)
-> Result`` (the :class:`Observation` holds no ground truth; :class:`SolverSettings` holds the budgets and the
tuned weights, and a :class:`PSNRMonitor` when the experiment wants PSNR-per-iteration histories), with the weights
chosen by :func:`tune_weights` on a *tuning* image, never on the reported one: each grid grows past an edge
choice until the choice is inside it or at a hard bound, and the record (grid, scores, choice) goes into the
section's metrics.

Source: "Image deblurring (Part 2)", a blog article on autograd and SciPy's Newton-CG (the extracted
text names no author or date).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from sparseimg._validate import check_array, check_choice, check_real
from sparseimg.restoration.deconvolution import (minimize_loss, random_start, richardson_lucy_deblur,
                             richardson_lucy_normalized, solve_document, tikhonov_deblur, tv_deblur, unsupervised_wiener_deblur,
                             wiener_deblur)
from sparseimg.metrics import psnr
from sparseimg.optim.objectives import SquareRootLoss
from sparseimg.operators.convolution import LinearConvolution
from sparseimg.optim.solvers import OptimizeRun
from sparseimg.experiments import Registry, Result
from sparseimg.experiments.tuning import tune_on_reference

__all__ = ["DeblurProblem", "Observation", "make_problem", "METHODS", "BOUNDARY_MODELS", "TUNED_WEIGHTS",
           "TUNING_BOUNDS", "PSNRMonitor", "SolverSettings", "tracked", "example", "run_timed", "sweep",
           "choose_by_sweep", "tune_weights"]


@dataclass(frozen=True)
class DeblurProblem:
    """One deblurring problem: ``b = A u + n``.

    Attributes
    ----------
    truth : ndarray, shape (n0, n1)
        Ground truth ``u`` (only experiments read it, to score).
    psf : ndarray, shape (k0, k1)
    operator : LinearConvolution
    observed : ndarray, shape (n0, n1)
        Observation ``b`` (the blurred, noisy image).
    noise_std : float
        Standard deviation of the added Gaussian noise (0: noiseless).
    boundary : {'linear', 'circular'}
        How the data were blurred: the document's cropped full convolution, or
        (for control experiments) a circular convolution. ``operator`` is the
        linear one either way.
    """

    truth: np.ndarray
    psf: np.ndarray
    operator: LinearConvolution
    observed: np.ndarray
    noise_std: float
    boundary: str = "linear"

    @property
    def observation(self) -> "Observation":
        """What a deblurrer of :data:`METHODS` sees: the observation, the PSF and the operator (no ground truth)."""
        return Observation(observed=self.observed, psf=self.psf, operator=self.operator, noise_std=self.noise_std)


@dataclass(frozen=True)
class Observation:
    """The problem a method of :data:`METHODS` receives: ``b = A u + n`` without ``u``.

    Attributes
    ----------
    observed : ndarray, shape (n0, n1)
        Observation ``b`` (the blurred, noisy image).
    psf : ndarray, shape (k0, k1)
    operator : LinearConvolution or FourierConvolution
        The exact blur operator (section 2: a crop of the full convolution; section 3's Gaussian blur: circular).
    noise_std : float or None
        The noise standard deviation when it is known (image units); None otherwise. Part of the
        observation, not of the ground truth: the methods that need it (section 3's half-quadratic
        splitting) say so.
    """

    observed: np.ndarray
    psf: np.ndarray
    operator: LinearConvolution
    noise_std: float | None = None


def make_problem(image: np.ndarray, psf: np.ndarray, *, noise_std: float = 0.0,
                 seed: int | None = None, boundary: str = "linear") -> DeblurProblem:
    """Blur ``image`` with the document's cropped full convolution and add noise.

    Parameters
    ----------
    image : ndarray, shape (n0, n1)
    psf : ndarray, shape (k0, k1)
    noise_std : float
        Standard deviation of white Gaussian noise, ``>= 0`` (image units).
    seed : int, optional
        Seed of ``numpy.random.default_rng`` for the noise; required when
        ``noise_std > 0``.
    boundary : {'linear', 'circular'}
        ``'linear'`` (the document): crop of the full convolution;
        ``'circular'``: periodic convolution, for control experiments.

    Returns
    -------
    DeblurProblem
        ``truth`` = ``image`` (float64), the operator's ``psf`` and :class:`LinearConvolution` operator,
        ``observed`` = the blurred image (same shape as ``image``) plus the noise, ``noise_std`` and
        ``boundary``.
    """
    image = check_array("image", image, ndim=2).astype(np.float64)
    noise_std = check_real("noise_std", noise_std, low=0.0)
    check_choice("boundary", boundary, ("linear", "circular"))
    operator = LinearConvolution(psf, image.shape)
    blurred = operator.forward(image) if boundary == "linear" else operator.circular().forward(image)
    if noise_std > 0:
        if seed is None:
            raise ValueError("seed=None is not allowed when noise_std > 0: expected an integer seed")
        blurred = blurred + noise_std * np.random.default_rng(seed).standard_normal(image.shape)
    return DeblurProblem(truth=image, psf=operator.psf, operator=operator, observed=blurred,
                         noise_std=noise_std, boundary=boundary)


def sweep(solve, values, reference: np.ndarray) -> list[float]:
    """PSNR (dB) of ``solve(value)`` against ``reference`` for each value.

    Parameters
    ----------
    solve : callable
        ``solve(value)`` returns an image or a tuple whose first item is the image.
    values : iterable
        The grid.
    reference : ndarray
        The ground truth (``data_range = 1``).

    Returns
    -------
    list of float
        One PSNR per value, in order.
    """
    out = []
    for value in values:
        result = solve(value)
        image = result[0] if isinstance(result, tuple) else result
        out.append(psnr(reference, image, data_range=1.0))
    return out


def choose_by_sweep(solve, values, reference: np.ndarray) -> tuple[object, list[float]]:
    """The value of ``values`` whose ``solve(value)`` has the highest PSNR, and all PSNRs.

    Used on a *tuning* image (its reference is known), never on the image the
    results are reported for. Ties go to the first value.

    Parameters
    ----------
    solve, values, reference
        As for :func:`sweep`.

    Returns
    -------
    best : object
        The chosen value.
    scores : list of float
        The PSNR of every value.

    Raises
    ------
    ValueError
        ``values`` is empty.
    """
    values = list(values)
    if not values:
        raise ValueError("values=[] is not allowed: expected at least one value to sweep")
    scores = sweep(solve, values, reference)
    return values[int(np.argmax(scores))], scores


def tune_weights(problems: dict, tuning_problems: dict, grids: dict, settings, *, sharp: np.ndarray,
                 tuning: np.ndarray, mu_min: float = 0.002, rl_max_iter: int = 3200, max_extend: int = 6,
                 workers: int = 1, progress: bool = False, keep_chosen: bool = False) -> tuple:
    """Each tuned method's weight chosen on the tuning problems, per case: the highest PSNR, the grid grown past an
    edge choice (:func:`sparseimg.experiments.tuning.tune_on_reference`, with the bounds of :data:`TUNING_BOUNDS`).

    Parameters
    ----------
    problems, tuning_problems : dict
        ``{case: DeblurProblem}`` of the reported image and of the tuning image (same cases).
    grids : dict
        ``{method: starting values}`` for methods of :data:`TUNED_WEIGHTS`.
    settings : SolverSettings
        The methods' settings (each weight on a grid replaces the method's own, :func:`dataclasses.replace`).
    sharp, tuning : ndarray
        The reported and tuning images (the references of the two sweeps).
    mu_min : float
        The square-root loss's smallest μ: a compute cap on its grid (``> 0``; a choice there is recorded as
        ``reason="cap"``, a known miss, not a bound of μ). Below it L-BFGS-B no
        longer reaches ``lbfgs_gtol`` on the noiseless data (it stops on the relative reduction of F after
        more than 10⁴ iterations), so the estimate is no longer the loss's minimizer.
    rl_max_iter : int
        Richardson–Lucy's iteration cap, the upper end of its grids (``>= 1``): a compute cap (``reason="cap"``).
    max_extend : int
        Values each grid may grow by beyond an edge choice.
    workers : int
        The (case, method) pairs run in this many forked processes (the same numbers for any count).
    progress : bool
        A tqdm bar over the pairs.
    keep_chosen : bool
        Also return each chosen weight's run on the reported problem (tracked: :func:`tracked` settings), made in
        the sweep along the grid there instead of an untracked run: the notebook's results table reuses it rather
        than solving that problem again.

    Returns
    -------
    weights : dict
        ``{case: {weight key: chosen value}}`` — chosen on the tuning image only (iteration counts as ``int``).
    records : dict
        ``{case: {method: Tuned.as_dict()}}``: the grown grid, the PSNRs on the tuning image, the choice and
        ``edge``/``reason`` if it sits at an end (only at a hard bound).
    reported : dict
        ``{case: {method: PSNRs on the reported image along the record's grid}}``: for figures and the oracle
        column, never for the choice.
    chosen : dict
        Only with ``keep_chosen``: ``{case: {method: (Result, seconds)}}`` (as :func:`run_timed`) at the chosen
        weight on the reported problem.
    """
    from sparseimg._parallel import process_map

    unknown = [name for name in grids if name not in TUNED_WEIGHTS]
    if unknown:
        raise ValueError(f"grids has {unknown[0]!r}: expected methods of {sorted(TUNED_WEIGHTS)}")
    if not mu_min > 0:
        raise ValueError(f"mu_min={mu_min!r} is not allowed: expected a value > 0")
    if int(rl_max_iter) < 1:
        raise ValueError(f"rl_max_iter={rl_max_iter!r} is not allowed: expected an integer >= 1")
    pairs = [(case, name) for case in problems for name in grids]
    calls = [(name, tuning_problems[case], problems[case], grids[name], settings, sharp, float(mu_min),
              int(rl_max_iter), max_extend, bool(keep_chosen)) for case, name in pairs]
    results = process_map(_tune_pair, calls, workers, desc="tuning", progress=progress)
    weights = {case: {} for case in problems}
    records = {case: {} for case in problems}
    reported = {case: {} for case in problems}
    chosen = {case: {} for case in problems}
    for (case, name), (record, on_reported, run) in zip(pairs, results):
        key = TUNED_WEIGHTS[name][0]
        value = record["value"]
        weights[case][key] = int(value) if TUNING_BOUNDS[name].get("integer") else float(value)
        records[case][name] = record
        reported[case][name] = on_reported
        chosen[case][name] = run
    return (weights, records, reported, chosen) if keep_chosen else (weights, records, reported)


def _tune_pair(name, tuning_problem, problem, grid, settings, sharp, mu_min, rl_max_iter, max_extend,
               keep_chosen=False):
    key = TUNED_WEIGHTS[name][0]
    bounds = dict(TUNING_BOUNDS[name])
    if bounds.get("integer"):  # at most rl_max_iter iterations (a compute cap); 0 iterations is a hard bound
        bounds.update(high=rl_max_iter + 1, cap="high")
    if name == "sqrt_loss_tuned":  # mu_min itself may be tried; below it the solver, not μ, is the limit: a cap
        bounds.update(low=mu_min * (1 - 1e-12), cap="low")

    def run_on(p, value, track=False):
        value = int(round(value)) if bounds.get("integer") else float(value)
        weighted = replace(settings, **{key: value})
        return run_timed(name, p.observation, tracked(weighted, p) if track else weighted)

    tuned = tune_on_reference(lambda v: run_on(tuning_problem, v)[0].estimate, grid, tuning_problem.truth,
                              max_extend=max_extend, **bounds)
    kept = []

    def on_reported(value):  # the chosen value's run tracked and kept (the same estimate as untracked)
        if keep_chosen and value == tuned.value and not kept:
            kept.append(run_on(problem, value, track=True))
            return kept[0][0].estimate
        return run_on(problem, value)[0].estimate

    return tuned.as_dict(), sweep(on_reported, tuned.grid, sharp), (kept[0] if kept else None)


@dataclass(frozen=True, eq=False)
class PSNRMonitor:
    """Scores the iterates of a tracked run: PSNR (``data_range = 1``) against a reference the experiment holds.

    Built by the experiment (:func:`tracked`), carried in :attr:`SolverSettings.monitor`: a method hands it to
    its solver, whose one monitor records (in its :class:`~sparseimg.optim.solvers.History`) the score of every iterate
    outside the solver's timing; the method itself never reads the reference, and its estimate does not depend
    on the monitor (tracked and untracked runs give the same array). This rather than scoring the returned history
    afterwards: that would need every iterate kept (L-BFGS runs thousands of iterations: gigabytes on the full
    image) or the run made twice.

    Attributes
    ----------
    reference : ndarray, shape (n0, n1)
        The image the iterates are scored against.
    """

    reference: np.ndarray

    def __call__(self, x: np.ndarray) -> float:
        """The PSNR (dB) of the iterate ``x`` (any shape with the reference's size)."""
        return psnr(self.reference, np.reshape(x, self.reference.shape), data_range=1.0)

    def solver_keywords(self) -> dict:
        """The keywords of :mod:`sparseimg.restoration.deconvolution`'s solvers that install this score.

        Returns
        -------
        dict
            ``{"reference": reference}`` (the array itself, not a copy).
        """
        return {"reference": self.reference}


@dataclass(frozen=True)
class SolverSettings:
    """Iteration budgets, tolerances and weights shared by the notebook, the benchmark and the tests.

    Attributes
    ----------
    mu : float
        The document's smoothness weight.
    seed : int
        Seed of the document's random start (also used by the fast solvers and
        the unsupervised Wiener sampler).
    lbfgs_gtol : float
        L-BFGS-B projected-gradient tolerance (``ftol`` is ``lbfgs_gtol²``).
    newton_xtol : float
        Newton-CG ``xtol`` of the analytic-Hessian solver.
    cg_iter, cg_tol : int, float
        Conjugate-gradient budget of the Tikhonov solver.
    tv_iter, tv_inner_iter : int
        Outer FISTA iterations and dual iterations per TV prox.
    sqrt_mu, tikhonov, tv, wiener, richardson_lucy, richardson_lucy_normalized : float or int, optional
        The tuned weight of each method of :data:`TUNED_WEIGHTS` (named as its key there: the weights
        :func:`tune_weights` returns go in by ``dataclasses.replace(settings, **weights[case])``); a method
        whose weight is None refuses to run.
    monitor : PSNRMonitor, optional
        Set (by :func:`tracked`): iterative methods record objective, time and the monitor's score per
        iteration in ``Result.history``.
    """

    mu: float = 0.2
    seed: int = 0
    lbfgs_gtol: float = 1e-6
    newton_xtol: float = 1e-5
    cg_iter: int = 500
    cg_tol: float = 1e-6
    tv_iter: int = 150
    tv_inner_iter: int = 5
    sqrt_mu: float | None = None
    tikhonov: float | None = None
    tv: float | None = None
    wiener: float | None = None
    richardson_lucy: int | None = None
    richardson_lucy_normalized: int | None = None
    monitor: PSNRMonitor | None = None

    @classmethod
    def from_params(cls, block: dict) -> "SolverSettings":
        """The settings of the section's validated ``deblurring`` block.

        Before tuning, each weight is the middle value of its starting grid (``mu_grid``, ``tikhonov_grid``,
        ``tv_grid``, ``wiener_grid``, ``rl_grid`` for both Richardson–Lucy variants); the reported runs use the
        weights :func:`tune_weights` chooses (``dataclasses.replace``).

        Parameters
        ----------
        block : dict
            The validated parameter block (other keys are ignored).

        Returns
        -------
        SolverSettings
        """
        def middle(grid):
            return sorted(grid)[len(grid) // 2]

        rl = int(middle(block["rl_grid"]))
        return cls(mu=block["mu"], seed=block["seed"], lbfgs_gtol=block["lbfgs_gtol"],
                   newton_xtol=block["newton_xtol"], cg_iter=block["cg_iter"], cg_tol=block["cg_tol"],
                   tv_iter=block["tv_iter"], tv_inner_iter=block["tv_inner_iter"],
                   sqrt_mu=float(middle(block["mu_grid"])), tikhonov=float(middle(block["tikhonov_grid"])),
                   tv=float(middle(block["tv_grid"])), wiener=float(middle(block["wiener_grid"])),
                   richardson_lucy=rl, richardson_lucy_normalized=rl)


def tracked(settings: SolverSettings, problem: DeblurProblem) -> SolverSettings:
    """``settings`` with a :class:`PSNRMonitor` of ``problem``'s ground truth (the experiment's side).

    Parameters
    ----------
    settings : SolverSettings
    problem : DeblurProblem

    Returns
    -------
    SolverSettings
    """
    return replace(settings, monitor=PSNRMonitor(problem.truth))


def _run_details(run: OptimizeRun) -> dict:
    return {"iterations": run.n_iter, "function_evaluations": run.n_fev,
            "gradient_evaluations": run.n_jev, "hessian_vector_products": run.n_hev,
            "objective": run.objective}


# ---------------------------------------------------------------------------------
# The methods: key -> method(observation, settings) -> Result
# ---------------------------------------------------------------------------------
def _weight(settings: SolverSettings, key: str):
    name = TUNED_WEIGHTS[key][0]
    value = getattr(settings, name)
    if value is None:
        raise ValueError(f"settings.{name}=None is not allowed: method {key!r} needs its tuned weight")
    return value


def _scored(settings: SolverSettings) -> dict:
    """The monitor's solver keywords (none without a monitor)."""
    return settings.monitor.solver_keywords() if settings.monitor is not None else {}


def _monitoring(settings: SolverSettings) -> dict:
    """As :func:`_scored`, for the scipy solvers, which record a history only when asked to track."""
    return {"track": True, **_scored(settings)} if settings.monitor is not None else {}


def _optimize(estimate_run: tuple[np.ndarray, OptimizeRun], details: dict | None = None) -> Result:
    estimate, run = estimate_run
    return Result(np.asarray(estimate, dtype=np.float64), run.history, {**_run_details(run), **(details or {})})


def _iterated(estimate_history, weight) -> Result:
    estimate, history = estimate_history
    return Result(np.asarray(estimate, dtype=np.float64), history, {"iterations": history.n_iter, "weight": weight})


def _document(problem: Observation, settings: SolverSettings) -> Result:
    return _optimize(solve_document(problem.observed, problem.psf, mu=settings.mu, seed=settings.seed,
                                    **_monitoring(settings)))


def _lbfgs(mu_from_weight: bool):
    def method(problem: Observation, settings: SolverSettings) -> Result:
        mu = _weight(settings, "sqrt_loss_tuned") if mu_from_weight else settings.mu
        loss = SquareRootLoss(problem.operator, problem.observed, mu)
        return _optimize(minimize_loss(loss, random_start(problem.observed.shape, settings.seed), method="L-BFGS-B",
                                       gtol=settings.lbfgs_gtol, ftol=settings.lbfgs_gtol ** 2, maxiter=20000,
                                       **_monitoring(settings)), {"weight": mu} if mu_from_weight else None)
    return method


def _newton_fft(problem: Observation, settings: SolverSettings) -> Result:
    loss = SquareRootLoss(problem.operator, problem.observed, settings.mu)
    return _optimize(minimize_loss(loss, random_start(problem.observed.shape, settings.seed), method="Newton-CG",
                                   xtol=settings.newton_xtol, **_monitoring(settings)))


def _tikhonov(problem: Observation, settings: SolverSettings) -> Result:
    lam = _weight(settings, "tikhonov_cg")
    return _iterated(tikhonov_deblur(problem.observed, problem.operator, lam, n_iter=settings.cg_iter,
                                     tol=settings.cg_tol, **_scored(settings)), lam)


def _tv(problem: Observation, settings: SolverSettings) -> Result:
    lam = _weight(settings, "tv_fista")
    return _iterated(tv_deblur(problem.observed, problem.operator, lam, n_iter=settings.tv_iter,
                               inner_iter=settings.tv_inner_iter, tol=0.0, **_scored(settings)), lam)


def _wiener(problem: Observation, settings: SolverSettings) -> Result:
    balance = _weight(settings, "wiener")
    return Result(np.asarray(wiener_deblur(problem.observed, problem.psf, balance), dtype=np.float64),
                  details={"weight": balance})


def _unsupervised_wiener(problem: Observation, settings: SolverSettings) -> Result:
    estimate, chains = unsupervised_wiener_deblur(problem.observed, problem.psf, seed=settings.seed)
    return Result(np.asarray(estimate, dtype=np.float64), details={"iterations": len(chains["noise"])})


def _richardson_lucy(problem: Observation, settings: SolverSettings) -> Result:
    n = _weight(settings, "richardson_lucy")
    return Result(np.asarray(richardson_lucy_deblur(problem.observed, problem.psf, int(n)), dtype=np.float64),
                  details={"iterations": int(n), "weight": n})


def _richardson_lucy_normalized(problem: Observation, settings: SolverSettings) -> Result:
    n = _weight(settings, "richardson_lucy_normalized")
    estimate = richardson_lucy_normalized(problem.observed, problem.operator, int(n))
    return Result(np.asarray(estimate, dtype=np.float64), details={"iterations": int(n), "weight": n})


def example() -> Observation:
    """A tiny seeded problem: a smooth 20 x 20 image, a 5 x 5 Gaussian PSF, noise σ = 0.01.

    Returns
    -------
    Observation
    """
    from sparseimg.kernels import gaussian_psf

    y, x = np.mgrid[0:20, 0:20] / 20.0
    image = 0.5 + 0.3 * np.sin(4 * x) * np.cos(3 * y)
    return make_problem(image, gaussian_psf(5, (1.0, 1.5)), noise_std=0.01, seed=0).observation


#: The deblurrers compared in the notebook, in display order.
METHODS = Registry("deblurring", {
    "document_newton_cg": _document,
    "lbfgs_fft": _lbfgs(mu_from_weight=False),
    "newton_cg_fft": _newton_fft,
    "sqrt_loss_tuned": _lbfgs(mu_from_weight=True),
    "tikhonov_cg": _tikhonov,
    "tv_fista": _tv,
    "wiener": _wiener,
    "unsupervised_wiener": _unsupervised_wiener,
    "richardson_lucy": _richardson_lucy,
    "richardson_lucy_normalized": _richardson_lucy_normalized,
}, {
    "document_newton_cg": "document: autograd + Newton-CG",
    "lbfgs_fft": "L-BFGS, FFT gradient",
    "newton_cg_fft": "Newton-CG, FFT Hessian",
    "sqrt_loss_tuned": "square-root loss, μ tuned",
    "tikhonov_cg": "Tikhonov (squared loss), CG",
    "tv_fista": "TV, FISTA",
    "wiener": "Wiener (skimage)",
    "unsupervised_wiener": "unsupervised Wiener (skimage)",
    "richardson_lucy": "Richardson–Lucy (skimage)",
    "richardson_lucy_normalized": "Richardson–Lucy, border-normalized",
}, settings=SolverSettings, example=example)

_EXACT = "exact: crop of the full convolution, zero outside the image"
#: How each method models the image border.
BOUNDARY_MODELS = {
    "document_newton_cg": _EXACT,
    "lbfgs_fft": _EXACT,
    "newton_cg_fft": _EXACT,
    "sqrt_loss_tuned": _EXACT,
    "tikhonov_cg": _EXACT,
    "tv_fista": _EXACT,
    "wiener": "circular: the image is treated as periodic",
    "unsupervised_wiener": "circular: the image is treated as periodic",
    "richardson_lucy": ("zero outside the image (scipy.signal.convolve mode='same'), but the update "
                        "assumes Aᵀ1 = 1, which fails near the border"),
    "richardson_lucy_normalized": _EXACT + "; the update is divided by Aᵀ1",
}

#: Tuned weight of each method: ``method key -> (key in the weights dict, parameter name)``.
TUNED_WEIGHTS = {
    "sqrt_loss_tuned": ("sqrt_mu", "μ"),
    "tikhonov_cg": ("tikhonov", "λ"),
    "tv_fista": ("tv", "λ"),
    "wiener": ("wiener", "balance"),
    "richardson_lucy": ("richardson_lucy", "iterations"),
    "richardson_lucy_normalized": ("richardson_lucy_normalized", "iterations"),
}


#: How each tuned weight's grid may grow beyond its ends (keywords of
#: :func:`~sparseimg.experiments.tuning.sweep_to_interior`). ``zero``: 0 is the weight's hard bound and is scored
#: once the grid cannot grow further down (Tikhonov's and TV's λ = 0 is the unregularized least-squares solution,
#: stopped by the solver's iteration budget: in the noiseless case the score can rise all the way to it).
#: ``integer``: an iteration count, between 1 (0 iterations returns the start, a hard bound) and the cap
#: ``rl_max_iter`` of :func:`tune_weights` (a compute cap, recorded as ``reason="cap"``: noiseless Richardson–Lucy
#: improves with every iteration, the inverse crime; the record shows the scores up to the cap).
#: The square-root loss's μ stops at ``mu_min`` of :func:`tune_weights` (a compute cap, ``reason="cap"``: below it
#: the solver stops short of the minimizer).
TUNING_BOUNDS = {
    "sqrt_loss_tuned": {},
    "tikhonov_cg": {"zero": True},
    "tv_fista": {"zero": True},
    "wiener": {},
    "richardson_lucy": {"integer": True},
    "richardson_lucy_normalized": {"integer": True},
}


def run_timed(key: str, problem: Observation, settings: SolverSettings) -> tuple[Result, float]:
    """``METHODS[key](problem, settings)`` and its solver seconds.

    Parameters
    ----------
    key : str
        A key of :data:`METHODS` (an unknown key lists the valid ones).
    problem : Observation
        What the method sees (``DeblurProblem.observation``).
    settings : SolverSettings
        With the method's tuned weight; with a monitor (:func:`tracked`) for per-iteration histories.

    Returns
    -------
    result : Result
    seconds : float
        The solver's own time when it records one (``history.time[-1]``: monitoring excluded), else the wall
        time of the call.
    """
    method = METHODS[key]
    start = time.perf_counter()
    result = method(problem, settings)
    seconds = time.perf_counter() - start
    if result.history is not None and result.history.time:
        seconds = result.history.time[-1]
    return result, seconds

"""Convolutional sparse coding experiments (section 1): recover events ``y`` from ``x = A y + n``.

The notebook narrates and plots; the experiments live here so that they are
tested and shared with the benchmark scripts.

Recovery methods (:data:`METHODS`, all on the same operator and data):

``inverse_filter``
    The source document's band-masked inverse filter (closed form).
``gradient_descent``
    Least squares ``½‖Ay − x‖²``, step ``1/L``, stopped after ``n_iter`` (early
    stopping is its only regularization).
``conjugate_gradient``
    The same least squares through the normal equations, early-stopped.
``ista`` / ``fista``
    ``½‖Ay − x‖² + λ‖y‖₁`` with ``λ = lam · λ_max``, ``λ_max = ‖Aᵀx‖∞`` (above
    ``λ_max`` the solution is 0, so ``lam`` is scale-free).

Source: "Sparse coding of large images", a blog notebook built on MotionClouds (author not named in
the extracted text; 2020 or later).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sparseimg._parallel import process_map
from sparseimg._validate import check_real
from sparseimg.optim.admm import admm
from sparseimg.restoration.deconvolution import masked_inverse_filter
from sparseimg.metrics import psnr, relative_error, support_precision_recall
from sparseimg.optim.objectives import LeastSquares
from sparseimg.operators.fourier import FourierConvolution
from sparseimg.optim.prox import L1Norm
from sparseimg.optim.solvers import History, conjugate_gradient, gradient_descent, proximal_gradient
from sparseimg.sparsemodels.synthesis import synthesize
from sparseimg.timing import measure_interleaved, summarize
from sparseimg.experiments import Registry, Result
from sparseimg.experiments.tuning import Tuned, sweep_to_interior

__all__ = ["METHODS", "Settings", "example_problem", "Problem", "make_problem", "recover", "recover_each", "evaluate", "event_peak", "reference_minimum",
           "noise_scan", "lambda_scan", "tune_lam", "document_formulation", "timing_table", "SUPPORT_FRACTION"]

#: An event counts as found when ``|ŷ| > SUPPORT_FRACTION × (smallest true |y|)``.
SUPPORT_FRACTION = 0.1


@dataclass(frozen=True)
class Problem:
    """One recovery problem.

    :func:`make_problem` builds one; the class itself checks nothing.

    Parameters
    ----------
    operator : FourierConvolution
        The convolution ``A`` (shape ``(n0, n1)``, its ``dtype``).
    events : ndarray, shape (n0, n1)
        True sparse events ``y``.
    clean : ndarray, shape (n0, n1)
        ``A y``.
    observed : ndarray, shape (n0, n1)
        Observation ``A y + n``.
    noise_std : float
        Absolute noise standard deviation.

    Attributes
    ----------
    data_term : LeastSquares
        ``½‖A y − x‖²`` on ``observed``.
    lam_max : float
        ``‖Aᵀx‖∞``: smallest λ for which the ℓ1 solution is 0.
    support_tol : float
        ``SUPPORT_FRACTION`` × the smallest non-zero true ``|y|`` (0.0 when ``events`` is all zero).
    """

    operator: FourierConvolution
    events: np.ndarray
    clean: np.ndarray
    observed: np.ndarray
    noise_std: float

    @property
    def data_term(self) -> LeastSquares:
        return LeastSquares(self.operator, self.observed)

    @property
    def lam_max(self) -> float:
        """``‖Aᵀx‖∞``: smallest λ for which the ℓ1 solution is 0."""
        return float(np.max(np.abs(self.operator.adjoint(self.observed))))

    @property
    def support_tol(self) -> float:
        nonzero = np.abs(self.events[self.events != 0])
        return SUPPORT_FRACTION * float(nonzero.min()) if nonzero.size else 0.0


def make_problem(operator: FourierConvolution, events: np.ndarray, *, noise: float = 0.0,
                 noise_seed: int = 0) -> Problem:
    """Problem with noise std ``noise × std(A y)`` (``noise`` is relative).

    The noise is drawn by :func:`sparseimg.sparsemodels.synthesis.synthesize`.

    Parameters
    ----------
    operator : FourierConvolution
        The convolution ``A`` on images of shape ``(n0, n1)``.
    events : array_like, shape (n0, n1)
        True events ``y``; cast to ``operator.dtype``.
    noise : float, optional
        Noise standard deviation relative to ``std(A y)``, ``>= 0`` (default 0.0: ``observed`` is
        ``clean``).
    noise_seed : int, optional
        Seed of the noise, a non-negative integer (default 0); used when the noise is non-zero.

    Returns
    -------
    Problem
        Arrays of shape ``(n0, n1)`` in ``operator.dtype``; ``noise_std`` the absolute standard
        deviation.

    Raises
    ------
    TypeError
        ``noise`` is not a real number, ``noise_seed`` not an integer (when noise is added).
    ValueError
        ``noise`` negative or not finite, ``noise_seed`` negative (when noise is added), ``events``
        not of shape ``operator.shape``.
    """
    noise = check_real("noise", noise, low=0.0)
    events = np.asarray(events, dtype=operator.dtype)
    clean = operator.forward(events)
    sigma = noise * float(clean.std())
    image = synthesize(operator, events, noise_std=sigma, seed=noise_seed) if sigma > 0 else clean
    return Problem(operator=operator, events=events, clean=clean, observed=image, noise_std=sigma)


@dataclass(frozen=True)
class Settings:
    """What a recovery method of :data:`METHODS` is told besides the problem.

    Parameters
    ----------
    lam : float, optional
        ℓ1 weight relative to ``problem.lam_max`` (λ = ``lam · λ_max``), ``> 0`` (default 0.05);
        used by ISTA, FISTA and ADMM, ignored by the others.
    n_iter : int, optional
        Maximum number of iterations, ``>= 0`` (default 200); not used by the inverse filter.
    tol : float, optional
        Stopping tolerance of the iterative methods, ``>= 0`` (default 1e-6; ADMM's is on the
        relative primal and dual residuals).
    inverse_options : dict, optional
        Keyword arguments of :func:`sparseimg.restoration.deconvolution.masked_inverse_filter`
        (inverse filter only; default None: its defaults).
    track_reference : bool, optional
        Record the PSNR and support precision/recall of every iterate against the true events in the
        history (iterative methods; default False).
    restart : bool, optional
        Adaptive restart for FISTA (ignored by the other methods; default False).
    progress : bool, optional
        Show a progress bar (iterative methods; default False).
    """

    lam: float = 0.05
    n_iter: int = 200
    tol: float = 1e-6
    inverse_options: dict | None = None
    track_reference: bool = False
    restart: bool = False
    progress: bool = False

    @classmethod
    def from_params(cls, block: dict) -> "Settings":
        """Settings from the section's validated parameter block (``lam``, ``n_iter``, ``tol``, the
        inverse filter's ``deconv_*`` values and the common ``progress``).

        Parameters
        ----------
        block : dict
            The validated parameters of section 1 (with the common block).

        Returns
        -------
        Settings
        """
        return cls(lam=block["lam"], n_iter=block["n_iter"], tol=block["tol"],
                   inverse_options=dict(eps=block["deconv_eps"], low_cut=block["deconv_low_cut"],
                                        high_cut=block["deconv_high_cut"]),
                   progress=bool(block.get("progress", False)))


def example_problem() -> Problem:
    """A tiny seeded problem (32 × 32, Gaussian blur, 10 Laplace events, 5 % noise) for the registry test.

    Returns
    -------
    Problem
    """
    n = 32
    f0, f1 = np.fft.fftfreq(n)[:, None], np.fft.rfftfreq(n)[None, :]
    operator = FourierConvolution(np.exp(-(f0 ** 2 + f1 ** 2) / (2 * 0.15 ** 2)), (n, n))
    rng = np.random.default_rng(0)
    events = np.zeros((n, n))
    events.flat[rng.choice(n * n, 10, replace=False)] = rng.laplace(size=10)
    return make_problem(operator, events, noise=0.05, noise_seed=1)


def _inverse_filter(problem: Problem, settings: Settings) -> Result:
    op = problem.operator
    return Result(op.apply_filter(problem.observed, masked_inverse_filter(op, **(settings.inverse_options or {}))))


def _iterative(solve, desc: str):
    def run(problem: Problem, settings: Settings) -> Result:
        x0 = np.zeros(problem.operator.shape, dtype=problem.operator.dtype)
        ref = dict(reference=problem.events, support_tol=problem.support_tol,
                   data_range=event_peak(problem)) if settings.track_reference else {}
        estimate, history = solve(problem, x0, settings, n_iter=settings.n_iter, tol=settings.tol,
                                  progress=settings.progress, desc=desc, **ref)
        return Result(estimate, history)
    return run


def _l1(accelerate: bool):
    def solve(problem, x0, settings, **common):
        lam = check_real("lam", settings.lam, low=0.0, low_open=True)
        return proximal_gradient(problem.data_term, L1Norm(lam * problem.lam_max), x0, accelerate=accelerate,
                                 restart=settings.restart and accelerate, **common)
    return solve


def _admm(problem, x0, settings, **common):
    lam = check_real("lam", settings.lam, low=0.0, low_open=True)
    # tracked: the notebook draws its objective gap (one extra FFT pair per iteration; the benchmark
    # times the untracked solver); its tol is on the relative primal and dual residuals
    return admm(problem.data_term, L1Norm(lam * problem.lam_max), x0, track=True, **common)


def _least_squares(solver):
    def solve(problem, x0, settings, **common):
        return solver(problem.data_term, x0, **common)
    return solve


_LABELS = {"inverse_filter": "inverse filter", "gradient_descent": "gradient descent",
           "conjugate_gradient": "conjugate gradient", "ista": "ISTA", "fista": "FISTA", "admm": "ADMM"}

#: The recovery methods: ``key -> run(problem, settings) -> Result(ŷ, history or None)``.
METHODS = Registry("sparse_coding", {
    "inverse_filter": _inverse_filter,
    "gradient_descent": _iterative(_least_squares(gradient_descent), _LABELS["gradient_descent"]),
    "conjugate_gradient": _iterative(_least_squares(conjugate_gradient), _LABELS["conjugate_gradient"]),
    "ista": _iterative(_l1(accelerate=False), _LABELS["ista"]),
    "fista": _iterative(_l1(accelerate=True), _LABELS["fista"]),
    "admm": _iterative(_admm, _LABELS["admm"]),
}, _LABELS, settings=Settings, example=example_problem)


def recover(problem: Problem, method: str, *, lam: float = 0.05, n_iter: int = 200, tol: float = 1e-6,
            inverse_options: dict | None = None, track_reference: bool = False, restart: bool = False,
            progress: bool = False) -> tuple[np.ndarray, History | None]:
    """``METHODS[method](problem, Settings(...))`` as a tuple ``(ŷ, history or None)``.

    Kept for the callers not yet moved to the registry call (notebook 01, the benchmark).

    Parameters
    ----------
    problem : Problem
    method : str
        A key of :data:`METHODS`: ``"inverse_filter"``, ``"gradient_descent"``,
        ``"conjugate_gradient"``, ``"ista"``, ``"fista"`` or ``"admm"``.
    lam, n_iter, tol, inverse_options, track_reference, restart, progress
        As the fields of :class:`Settings`.

    Returns
    -------
    estimate : ndarray, shape (n0, n1)
        The recovered events ``ŷ``, in the operator's dtype.
    history : History or None
        The solver's record; None for the inverse filter.

    Raises
    ------
    UnknownMethodError
        ``method`` is not a key of :data:`METHODS` (a ``ValueError`` and a ``KeyError``).
    TypeError, ValueError
        ``lam`` not ``> 0`` (ISTA, FISTA, ADMM); from the solvers: ``n_iter`` not an integer
        ``>= 0``, ``tol`` not a real ``>= 0``.
    """
    run = METHODS[method]
    result = run(problem, Settings(lam=lam, n_iter=n_iter, tol=tol, inverse_options=inverse_options,
                                   track_reference=track_reference, restart=restart, progress=progress))
    return result.estimate, result.history


def recover_each(runs, *, workers: int = 1, **options) -> list[tuple[np.ndarray, History | None]]:
    """:func:`recover` for each ``(problem, method)`` of ``runs`` with the same keyword ``options``.

    The runs are independent and deterministic, so they go to ``workers`` forked processes
    (:func:`sparseimg._parallel.process_map`): the same numbers for any count (only the wall times a
    history records depend on it). Returns ``[(ŷ, history or None)]`` in the order of ``runs``.

    Parameters
    ----------
    runs : iterable of (Problem, str)
        ``(problem, method)`` pairs; ``method`` a key of :data:`METHODS` (all are checked before any run).
    workers : int, optional
        Processes (default 1).
    **options
        Keywords of :func:`recover` (``lam``, ``n_iter``, ``tol``, ``inverse_options``, ``track_reference``,
        ``restart``, ``progress``), the same for every run.

    Returns
    -------
    list of (ndarray, History or None)
        Per run, in the order of ``runs``: the recovered events ``ŷ`` (shape (n0, n1), the operator's dtype)
        and the solver's record (None for the inverse filter).

    Raises
    ------
    UnknownMethodError
        A ``method`` is not a key of :data:`METHODS`.
    """
    runs = [(problem, method) for problem, method in runs]
    for _, method in runs:
        METHODS[method]  # an unknown key fails here, before any work
    return process_map(_recover_call, [(problem, method, options) for problem, method in runs], workers)


def _recover_call(problem, method, options):
    return recover(problem, method, **options)


def _recover_evaluate(problem, method, options):
    est, hist = recover(problem, method, **options)
    return (hist.n_iter if hist else 0), evaluate(problem, est)


def event_peak(problem: Problem) -> float:
    """The PSNR peak of the events: their range (a spike train, not an image in [0, 1]).

    Parameters
    ----------
    problem : Problem
        Holds the true events ``problem.events`` (shape (n0, n1)).

    Returns
    -------
    float
        ``max(events) − min(events)``, computed in float64 (the ``data_range`` of the event PSNR).
    """
    events = np.asarray(problem.events, dtype=np.float64)
    return float(events.max() - events.min())


def evaluate(problem: Problem, estimate: np.ndarray) -> dict[str, float]:
    """Errors of an estimate: relative squared error on events and on the clean image,
    PSNR of the events (dB, range of the true events), support precision and recall.

    Parameters
    ----------
    problem : Problem
        Holds the true events, the clean image and the support tolerance ``support_tol``.
    estimate : ndarray, shape (n0, n1)
        Estimated events ``ŷ`` (the shape of ``problem.events``).

    Returns
    -------
    dict of str -> float
        ``event_error`` (:func:`sparseimg.metrics.relative_error` of ``ŷ``), ``image_error`` (of
        ``A ŷ`` against ``A y``), ``event_psnr`` (dB), ``precision`` and ``recall`` of the support
        ``|ŷ| > problem.support_tol``.

    Raises
    ------
    ValueError
        From :mod:`sparseimg.metrics`: ``estimate``'s shape differs from the events', or the true
        events are constant (the PSNR's range is 0).
    """
    precision, recall = support_precision_recall(problem.events, estimate, tol=problem.support_tol)
    return {
        "event_error": relative_error(problem.events, estimate),
        "image_error": relative_error(problem.clean, problem.operator.forward(estimate)),
        "event_psnr": psnr(problem.events, estimate, data_range=event_peak(problem)),
        "precision": precision,
        "recall": recall,
    }


def reference_minimum(problem: Problem, *, lam: float, n_iter: int, progress: bool = False) -> tuple[np.ndarray, float]:
    """A long FISTA run with restart (no early stop): its last iterate and lowest objective, ``F*``.

    Calls :func:`recover` with ``method="fista"``, ``tol=0`` and ``restart=True``.

    Parameters
    ----------
    problem : Problem
    lam : float
        ℓ1 weight relative to ``problem.lam_max``, ``> 0``.
    n_iter : int
        Number of iterations, ``>= 0``.
    progress : bool, optional
        Show a progress bar (default False).

    Returns
    -------
    x : ndarray, shape (n0, n1)
        The last iterate.
    f_star : float
        The lowest objective ``½‖A y − x‖² + λ‖y‖₁`` (``λ = lam · λ_max``) over the run.

    Raises
    ------
    TypeError, ValueError
        As for :func:`recover`.
    """
    x, hist = recover(problem, "fista", lam=lam, n_iter=n_iter, tol=0.0, restart=True, progress=progress)
    return x, min(hist.objective)


def noise_scan(operator: FourierConvolution, events: np.ndarray, levels, *, noise_seed: int, lam: float,
               n_iter: int, tol: float, inverse_options: dict | None = None,
               progress: bool = False, workers: int = 1) -> list[dict]:
    """Every method at every relative noise level: rows of :func:`evaluate` results.

    For each level, :func:`make_problem` then :func:`recover` with every key of :data:`METHODS`.

    Parameters
    ----------
    operator : FourierConvolution
        The convolution ``A`` on images of shape ``(n0, n1)``.
    events : array_like, shape (n0, n1)
        True events ``y``.
    levels : iterable of float
        Relative noise levels (``noise`` of :func:`make_problem`, each ``>= 0``).
    noise_seed : int
        Seed of the noise (the same at every level).
    lam, n_iter, tol, inverse_options, progress
        As for :func:`recover`.
    workers : int, optional
        The (level, method) runs go to this many forked processes (default 1; the same rows for any count).

    Returns
    -------
    list of dict
        One row per level and method, in that order: ``noise`` (float), ``method`` (key),
        ``iterations`` (int; 0 for the inverse filter) and the keys of :func:`evaluate`.

    Raises
    ------
    TypeError, ValueError
        As for :func:`make_problem` and :func:`recover`.
    """
    options = dict(lam=lam, n_iter=n_iter, tol=tol, inverse_options=inverse_options, progress=progress)
    cases = [(float(level), make_problem(operator, events, noise=level, noise_seed=noise_seed)) for level in levels]
    calls = [(problem, method, options) for _, problem in cases for method in METHODS]
    done = iter(process_map(_recover_evaluate, calls, workers))
    rows = []
    for level, _ in cases:
        for method in METHODS:
            iterations, scores = next(done)
            rows.append({"noise": level, "method": method, "iterations": iterations, **scores})
    return rows


def lambda_scan(problem: Problem, lam: float, factors, *, n_iter: int, tol: float,
                progress: bool = False, workers: int = 1) -> list[dict]:
    """FISTA at ``lam × factor`` for each factor: rows of :func:`evaluate` results.

    Parameters
    ----------
    problem : Problem
    lam : float
        The central ℓ1 weight, relative to ``problem.lam_max``.
    factors : iterable of float
        Multipliers of ``lam``; each ``lam × factor`` must be ``> 0``.
    n_iter, tol, progress
        As for :func:`recover`.
    workers : int, optional
        The runs go to this many forked processes (default 1; the same rows for any count).

    Returns
    -------
    list of dict
        One row per factor: ``factor``, ``lam`` (``lam × factor``, relative), ``iterations`` and the
        keys of :func:`evaluate`.

    Raises
    ------
    TypeError, ValueError
        As for :func:`recover`.
    """
    factors = list(factors)
    calls = [(problem, "fista", dict(lam=lam * factor, n_iter=n_iter, tol=tol, progress=progress)) for factor in factors]
    return [{"factor": float(factor), "lam": lam * factor, "iterations": iterations, **scores}
            for factor, (iterations, scores) in zip(factors, process_map(_recover_evaluate, calls, workers))]


def tune_lam(problem: Problem, lam: float, factors, *, n_iter: int, tol: float, max_extend: int = 6) -> Tuned:
    """λ (relative to ``λ_max``) chosen on a *tuning* problem: FISTA's lowest event error over ``lam × factors``,
    the grid grown past an edge choice (:func:`sparseimg.experiments.tuning.sweep_to_interior`, log steps).

    Parameters
    ----------
    problem : Problem
        A tuning problem: events and noise drawn independently of the reported ones (its ``events`` are the
        truth the score reads).
    lam : float
        The centre of the starting grid, ``> 0``.
    factors : iterable of float
        Multipliers of ``lam`` (at least two, positive, distinct).
    n_iter, tol
        As for :func:`recover`.
    max_extend : int
        Values the grid may grow by beyond an edge choice.

    Returns
    -------
    Tuned
        The record; its scores are minus the relative squared event error ``‖ŷ − y‖² / ‖y‖²``.
    """
    lam = check_real("lam", lam, low=0.0, low_open=True)

    def score(value):
        estimate, _ = recover(problem, "fista", lam=value, n_iter=n_iter, tol=tol)
        return -evaluate(problem, estimate)["event_error"]

    return sweep_to_interior(score, [lam * float(f) for f in factors], max_extend=max_extend)


def document_formulation(envelope: np.ndarray, events: np.ndarray) -> np.ndarray:
    """The source document's formulation of the same convolution, kept as a timing reference:
    complex ``fftn`` of the events, ``fftshift``, product with the centred envelope,
    ``ifftshift``, complex ``ifftn``, real part.

    Parameters
    ----------
    envelope : ndarray, shape (n0, n1)
        The kernel's transfer function on the full, centred (``fftshift``-ed) frequency grid.
    events : ndarray, shape (n0, n1)
        The events ``y``.

    Returns
    -------
    ndarray, shape (n0, n1)
        ``A y``, the real part of the complex inverse transform.
    """
    spectrum = np.fft.fftshift(np.fft.fftn(events)) * envelope
    return np.fft.ifftn(np.fft.ifftshift(spectrum)).real


def timing_table(envelope: np.ndarray, events: np.ndarray, problem: Problem, *, lam: float, tol: float,
                 n_iter: int, repeats: int = 7, iterations: int = 20,
                 envelope_options: dict | None = None) -> list[dict]:
    """Timings at the problem's size, float64 and float32, each with its ratio to the floor.

    Rows: the floor (one ``rfft2`` + ``irfft2`` pair), the envelope's construction, one forward
    operator, the document's ``fftn``/``fftshift`` formulation, one iteration of each iterative
    method (from the solvers' own clocks over ``iterations`` iterations, set-up excluded) and a
    full FISTA solve to ``tol`` without and with restart (capped at ``n_iter``; set-up
    included), and, for reference, the ``scipy.fft`` pair when the operator uses FFTW. Medians of ``repeats``
    interleaved repeats.

    Parameters
    ----------
    envelope : ndarray, shape (n0, n1)
        The centred full-grid envelope (:func:`document_formulation`; the envelope construction is
        timed at its shape).
    events : ndarray, shape (n0, n1)
        The events ``y`` the operator is applied to.
    problem : Problem
        Its operator (cast to each dtype) and observation.
    lam : float
        ℓ1 weight relative to ``problem.lam_max``.
    tol : float
        Stopping tolerance of the full FISTA solves.
    n_iter : int
        Iteration cap of the full FISTA solves.
    repeats : int, optional
        Interleaved repeats per measurement, ``>= 1`` (default 7).
    iterations : int, optional
        Iterations per run when timing one iteration of each method (default 20).
    envelope_options : dict, optional
        Keyword arguments of :func:`sparseimg.kernels.motion_cloud_envelope` for the timed
        construction (default None: its defaults).

    Returns
    -------
    list of dict
        One row per operation and dtype: ``operation``, ``dtype`` (``"float64"`` or
        ``"float32"``), ``median_ms``, ``q1_ms``, ``q3_ms`` (milliseconds per call; per iteration
        for the iteration rows),
        ``ratio_to_floor`` (median over the floor's median of the same dtype), ``repeats`` and
        ``note`` (backend, iteration counts).

    Raises
    ------
    TypeError, ValueError
        From :func:`sparseimg.timing.measure_interleaved`: ``repeats`` not an integer
        ``>= 1``.
    """
    from sparseimg.kernels import motion_cloud_envelope

    rows = []
    for dtype in (np.float64, np.float32):
        op = problem.operator.astype(dtype)
        y = np.asarray(events, dtype=dtype)
        image = np.asarray(problem.observed, dtype=dtype)
        fns = {
            "floor: rfft2 + irfft2": lambda: op.irfft(op.rfft(y)),
            "forward operator A y": lambda: op.forward(y),
        }
        if op.backend != "scipy":
            scipy_op = FourierConvolution(op.transfer, op.shape, dtype=dtype, backend="scipy")
            fns["scipy.fft rfft2 + irfft2 (other backend)"] = lambda: scipy_op.irfft(scipy_op.rfft(y))
        if dtype is np.float64:
            fns["document's fftn/fftshift formulation"] = lambda: document_formulation(envelope, y)
            fns["envelope construction (MotionClouds)"] = lambda: motion_cloud_envelope(
                envelope.shape, **(envelope_options or {}))
        data = LeastSquares(op, image)
        lam_abs = lam * problem.lam_max
        x0 = np.zeros(op.shape, dtype=dtype)
        solve = {}

        def fista_to_tol(restart):
            _, h = proximal_gradient(LeastSquares(op, image), L1Norm(lam_abs), x0, n_iter=n_iter, tol=tol,
                                     accelerate=True, restart=restart)
            solve[restart] = h.n_iter

        fns["FISTA solve to tol"] = lambda: fista_to_tol(False)
        fns["FISTA + restart solve to tol"] = lambda: fista_to_tol(True)
        timings = measure_interleaved(fns, repeat=repeats, number=1)
        runs = {
            "gradient descent iteration": lambda: gradient_descent(data, x0, n_iter=iterations, tol=0.0),
            "conjugate gradient iteration": lambda: conjugate_gradient(data, x0, n_iter=iterations, tol=0.0),
            "ISTA iteration": lambda: proximal_gradient(data, L1Norm(lam_abs), x0, n_iter=iterations, tol=0.0),
            "FISTA iteration": lambda: proximal_gradient(data, L1Norm(lam_abs), x0, n_iter=iterations, tol=0.0,
                                                         accelerate=True),
        }
        samples: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(repeats):
            for name, run in runs.items():
                _, h = run()
                samples[name].append((h.time[-1] - h.time[0]) / h.n_iter)
        timings.update({name: summarize(s) for name, s in samples.items()})
        floor = timings["floor: rfft2 + irfft2"].median
        notes = {"floor: rfft2 + irfft2": f"backend {op.backend}",
                 "FISTA solve to tol": f"{solve[False]} iterations, tol {tol:g}",
                 "FISTA + restart solve to tol": f"{solve[True]} iterations, tol {tol:g}",
                 "document's fftn/fftshift formulation": "complex fftn + fftshift + ifftshift + ifftn"}
        for name, t in timings.items():
            rows.append({"operation": name, "dtype": np.dtype(dtype).name, "median_ms": t.median * 1e3,
                         "q1_ms": t.q1 * 1e3, "q3_ms": t.q3 * 1e3, "ratio_to_floor": t.median / floor,
                         "repeats": t.repeat, "note": notes.get(name, "")})
    return rows

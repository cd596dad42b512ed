"""Convolutional sparse coding experiments (section 1): recover events ``y`` from ``x = A y + n``.

The notebook narrates and plots; the experiments live here so that they are
tested and shared with the benchmark scripts.

Recovery methods (all on the same operator and data):

``inverse filter``
    The source document's band-masked inverse filter (closed form).
``gradient descent``
    Least squares ``½‖Ay − x‖²``, step ``1/L``, stopped after ``n_iter`` (early
    stopping is its only regularization).
``conjugate gradient``
    The same least squares through the normal equations, early-stopped.
``ISTA`` / ``FISTA``
    ``½‖Ay − x‖² + λ‖y‖₁`` with ``λ = lam · λ_max``, ``λ_max = ‖Aᵀx‖∞`` (above
    ``λ_max`` the solution is 0, so ``lam`` is scale-free).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import check_choice, check_real
from .deconvolution import masked_inverse_filter
from .fourier import FourierConvolution
from .metrics import psnr, relative_error, support_precision_recall
from .objectives import LeastSquares
from .prox import L1Norm
from .solvers import History, conjugate_gradient, gradient_descent, proximal_gradient
from .synthesis import synthesize
from .timing import measure_interleaved, summarize

__all__ = ["METHODS", "Problem", "make_problem", "recover", "evaluate", "reference_minimum",
           "noise_scan", "lambda_scan", "document_formulation", "timing_table", "SUPPORT_FRACTION"]

METHODS = ("inverse filter", "gradient descent", "conjugate gradient", "ISTA", "FISTA")

#: An event counts as found when ``|ŷ| > SUPPORT_FRACTION × (smallest true |y|)``.
SUPPORT_FRACTION = 0.1


@dataclass(frozen=True)
class Problem:
    """One recovery problem.

    Attributes
    ----------
    operator : FourierConvolution
    events : ndarray
        True sparse events ``y``.
    clean : ndarray
        ``A y``.
    image : ndarray
        Observation ``A y + n``.
    noise_std : float
        Absolute noise standard deviation.
    """

    operator: FourierConvolution
    events: np.ndarray
    clean: np.ndarray
    image: np.ndarray
    noise_std: float

    @property
    def data_term(self) -> LeastSquares:
        return LeastSquares(self.operator, self.image)

    @property
    def lam_max(self) -> float:
        """``‖Aᵀx‖∞``: smallest λ for which the ℓ1 solution is 0."""
        return float(np.max(np.abs(self.operator.adjoint(self.image))))

    @property
    def support_tol(self) -> float:
        nonzero = np.abs(self.events[self.events != 0])
        return SUPPORT_FRACTION * float(nonzero.min()) if nonzero.size else 0.0


def make_problem(operator: FourierConvolution, events: np.ndarray, *, noise: float = 0.0,
                 noise_seed: int = 0) -> Problem:
    """Problem with noise std ``noise × std(A y)`` (``noise`` is relative)."""
    noise = check_real("noise", noise, low=0.0)
    events = np.asarray(events, dtype=operator.dtype)
    clean = operator.forward(events)
    sigma = noise * float(clean.std())
    image = synthesize(operator, events, noise_std=sigma, seed=noise_seed) if sigma > 0 else clean
    return Problem(operator=operator, events=events, clean=clean, image=image, noise_std=sigma)


def recover(problem: Problem, method: str, *, lam: float = 0.05, n_iter: int = 200, tol: float = 1e-6,
            inverse_options: dict | None = None, track_reference: bool = False, restart: bool = False,
            progress: bool = False) -> tuple[np.ndarray, History | None]:
    """Recover the events with one of :data:`METHODS`; returns ``(ŷ, history or None)``.

    ``restart`` adds adaptive restart to FISTA (ignored by the other methods).
    """
    check_choice("method", method, METHODS)
    op = problem.operator
    if method == "inverse filter":
        filt = masked_inverse_filter(op, **(inverse_options or {}))
        return op.apply_filter(problem.image, filt), None
    x0 = np.zeros(op.shape, dtype=op.dtype)
    ref = dict(reference=problem.events, support_tol=problem.support_tol) if track_reference else {}
    common = dict(n_iter=n_iter, tol=tol, progress=progress, desc=method, **ref)
    if method == "gradient descent":
        return gradient_descent(problem.data_term, x0, **common)
    if method == "conjugate gradient":
        return conjugate_gradient(problem.data_term, x0, **common)
    lam = check_real("lam", lam, low=0.0, low_open=True)
    penalty = L1Norm(lam * problem.lam_max)
    accelerate = method == "FISTA"
    return proximal_gradient(problem.data_term, penalty, x0, accelerate=accelerate,
                             restart=restart and accelerate, **common)


def evaluate(problem: Problem, estimate: np.ndarray) -> dict[str, float]:
    """Errors of an estimate: relative squared error on events and on the clean image,
    PSNR of the events (dB, range of the true events), support precision and recall."""
    precision, recall = support_precision_recall(problem.events, estimate, tol=problem.support_tol)
    return {
        "event_error": relative_error(problem.events, estimate),
        "image_error": relative_error(problem.clean, problem.operator.forward(estimate)),
        "event_psnr": psnr(problem.events, estimate),
        "precision": precision,
        "recall": recall,
    }


def reference_minimum(problem: Problem, *, lam: float, n_iter: int, progress: bool = False) -> tuple[np.ndarray, float]:
    """A long FISTA run with restart (no early stop): its last iterate and lowest objective, ``F*``."""
    x, hist = recover(problem, "FISTA", lam=lam, n_iter=n_iter, tol=0.0, restart=True, progress=progress)
    return x, min(hist.objective)


def noise_scan(operator: FourierConvolution, events: np.ndarray, levels, *, noise_seed: int, lam: float,
               n_iter: int, tol: float, inverse_options: dict | None = None,
               progress: bool = False) -> list[dict]:
    """Every method at every relative noise level: rows of :func:`evaluate` results."""
    rows = []
    for level in levels:
        problem = make_problem(operator, events, noise=level, noise_seed=noise_seed)
        for method in METHODS:
            est, hist = recover(problem, method, lam=lam, n_iter=n_iter, tol=tol,
                                inverse_options=inverse_options, progress=progress)
            rows.append({"noise": float(level), "method": method,
                         "iterations": hist.n_iter if hist else 0, **evaluate(problem, est)})
    return rows


def lambda_scan(problem: Problem, lam: float, factors, *, n_iter: int, tol: float,
                progress: bool = False) -> list[dict]:
    """FISTA at ``lam × factor`` for each factor: rows of :func:`evaluate` results."""
    rows = []
    for factor in factors:
        est, hist = recover(problem, "FISTA", lam=lam * factor, n_iter=n_iter, tol=tol, progress=progress)
        rows.append({"factor": float(factor), "lam": lam * factor, "iterations": hist.n_iter,
                     **evaluate(problem, est)})
    return rows


def document_formulation(envelope: np.ndarray, events: np.ndarray) -> np.ndarray:
    """The source document's formulation of the same convolution, kept as a timing reference:
    complex ``fftn`` of the events, ``fftshift``, product with the centred envelope,
    ``ifftshift``, complex ``ifftn``, real part."""
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
    """
    from .kernels import motion_cloud_envelope

    rows = []
    for dtype in (np.float64, np.float32):
        op = problem.operator.astype(dtype)
        y = np.asarray(events, dtype=dtype)
        image = np.asarray(problem.image, dtype=dtype)
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

#!/usr/bin/env python
"""SPORCO ``ConvBPDN`` (ADMM and PGM) against the library's FISTA and ADMM, on two problems.

Benchmark, not a test: it writes ``tables/sparse_coding_sporco.csv|md`` (time to a
relative objective gap, every solver, both problems) and
``tables/sparse_coding_iteration.csv|md`` (the cost of one iteration against the floor of
one ``rfft2`` + ``irfft2`` pair) under ``--output-dir`` (default ``reports``) and asserts
nothing about wall-clock time. SPORCO is a benchmark-only extra (``pip install -e .[bench]``),
never imported by the library.

The problems
------------
``section1`` is section 1's convolutional sparse coding problem: ``N × N`` sparse Laplace events
(legacy ``RandomState(seed)``, fraction ``rho``, scale ``y_lambda``) convolved
(circularly) with the unit-energy isotropic MotionClouds envelope
(``sf_0``, ``B_sf``), plus Gaussian noise of std ``noise × std(A y)``
(seed ``noise_seed``). Objective::

    F(y) = ½‖A y − x‖² + λ‖y‖₁,    λ = lam · ‖Aᵀx‖∞.

SPORCO gets the same problem: one filter ``d = irfft2(H)`` (the full ``N × N``
spatial kernel of ``A``, origin at ``[0, 0]``; SPORCO's convolution is circular
with the filter zero-padded at the origin, so ``d * y = A y`` exactly), signal
``S = x`` and ``lmbda = λ``. SPORCO's objective ``½‖d * y − s‖² + λ‖y‖₁`` is
then ``F`` itself. Both facts are checked numerically before anything is timed
(reconstruction to 1e-12 relative, objective to 1e-12 relative).

``oriented`` is a second problem unlike it, chosen so that nothing was tuned on it:
a non-square ``384 × 640`` image, an *oriented* MotionClouds kernel (``sf_0 = 0.1``,
``B_sf = 0.1``, ``theta = 45°``, ``B_theta = 30°``: far worse conditioned than section 1's
isotropic one), sparser events (``rho = 0.005``, seed 7), less noise (0.05, seed 1) and
``λ = 0.03 λ_max``. Its parameters are the ``oriented_*`` keys of the ``benchmark_sporco``
block.

Method
------
1. ``F*`` = smallest objective of two long runs, FISTA + restart and the library's
   ADMM (``--reference-iter`` iterations each, no early stop); the relative difference
   of the two minima is printed (both solvers agree on the minimizer to that level).
2. For every solver, one *instrumented* run gives the first iteration count at which
   ``(F(y_k) − F*) / F* <= --tol`` (default 1e-6). ``F`` is always evaluated by
   the library's ``LeastSquares`` plus ``λ‖·‖₁``, on the variable each solver
   returns: FISTA's iterate, PGM's ``X`` (the prox output) and ADMM's ``Y`` (the
   soft-thresholded split variable, which is sparse and is what SPORCO's
   ``solve()`` returns; ADMM's ``X`` is the non-sparse least-squares variable).
   A solver that does not get there within its cap (``--max-iter``) is reported as
   not reached, with the gap it had at the cap.
3. Every solver that reached the tolerance is run again for exactly that many
   iterations, un-instrumented (SPORCO: ``FastSolve=True``, ``Verbose=False``,
   ``RelStopTol=0`` so that no residual test stops it early; FISTA:
   ``sparseimg.optim.solvers.fista`` with ``tol=0, track=False``), set-up included
   (SPORCO's constructor; FISTA's data term), alternating the solvers in one
   process (A, B, C, A, B, C …) ``--repeats`` times after one warm-up round
   (FFTW plans, caches); the table reports medians.

``ratio_to_sporco_best`` is a solver's median time over that of the fastest SPORCO
configuration that reached the tolerance; ``objective_ratio`` is its final
objective over that configuration's final objective.

The library's ADMM (:func:`sparseimg.optim.admm.admm`) runs with its defaults: nothing tuned
(ρ₀ = trace(AᵀA)/n, residual balancing, α = 1.8), fused iterations.

One iteration
-------------
At the block's ``iteration_size`` (default 512) in float64 and float32, interleaved: the floor (one
``rfft2`` + ``irfft2`` pair on planned FFTW buffers, nothing else), one FISTA iteration
(extrapolation, prox, ℓ1 value and stopping test included) fused and plain numpy, one ADMM
iteration fused and plain: the median over ``repeats`` interleaved rounds of the difference
between a 120- and a 20-iteration run, over 100 (the marginal cost of an iteration, set-up excluded).

SPORCO configurations
---------------------
- PGM, ``Backtrack=None`` (SPORCO's default) with ``L = ‖A‖² = max|H|²`` (its
  default ``L = 500`` is 1e6-1e7 times the Lipschitz constant of this problem: a
  100-iteration probe with all defaults is reported, as not reached);
- PGM with ``BacktrackRobust()`` (its defaults) from ``L0 = ‖A‖²``; with
  ``--all-configs`` also from SPORCO's default ``L0 = 500`` (slow);
- ADMM with SPORCO's defaults: ``AutoRho`` on (period 1, ``rho0 = 50 λ + 1``),
  ``RelaxParam = 1.8``;
- ADMM with a fixed ``rho = c · ‖A‖²`` (``AutoRho`` off, ``RelaxParam = 1.8``), ``c``
  tuned on this very problem over :data:`RHO_GRID` plus two midpoints around the
  best (tuning time is not counted; this favours SPORCO).

Threads: by default everything is single-threaded (``--threads 1``): BLAS through
threadpoolctl, ``scipy.fft`` workers for the library and ``pyfftw`` threads for
SPORCO, so that both sides use the same resources on a shared machine. (With
OpenBLAS's default threads on a busy 2-core machine, the library's ``np.vdot`` in
``half_spectrum_sq_norm`` was measured ~400 times slower than single-threaded.)

Run (from the repository root)::

    .venv/bin/python benchmarks/sporco_cbpdn.py            # 512 × 512, 5 repeats
    .venv/bin/python benchmarks/sporco_cbpdn.py --quick    # 256 × 256, 2 repeats

Parameters come from ``params.yaml``'s ``sparse_coding`` and ``benchmark_sporco`` blocks
(``--params``; both required, validated: a bad or missing one exits 2 with one line);
``--size --lam --noise --noise-seed`` override them.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from sparseimg.optim.admm import admm
from sparseimg.experiments import sparse_coding as csc
from sparseimg.kernels import motion_cloud_operator
from sparseimg.operators.fourier import FourierConvolution
from sparseimg.optim.prox import L1Norm
from sparseimg.optim.solvers import fista
from sparseimg.sparsemodels.synthesis import sparse_events

__all__ = [
    "DEFAULTS", "COLUMNS", "Candidate", "load_parameters", "build_problem", "build_oriented_problem",
    "sporco_dictionary", "run_admm", "library_trace", "iteration_rows",
    "objective_function", "run_fista", "sporco_solver", "check_sporco_mapping", "reference_minimum",
    "sporco_trace", "first_below", "tune_admm_rho", "default_candidates", "time_candidates",
    "table_rows", "run_benchmark", "main",
]

#: The benchmark's own settings: ``params.yaml``'s ``benchmark_sporco`` block (validated
#: against this schema), overridden by the command line.
def _schema():
    from sparseimg.workspace.benchmarks import BENCHMARK_SCHEMAS
    return BENCHMARK_SCHEMAS["benchmark_sporco"]


#: Section 1's parameters used here (their values always come from ``params.yaml``; these are the
#: keys kept, and the values of the library-side tests' small problems).
DEFAULTS = {"size": 512, "seed": 2020, "rho": 1e-3, "y_lambda": 1.61803, "sf_0": 0.15, "B_sf": 0.15,
            "noise": 0.1, "noise_seed": 0, "lam": 0.05}

COLUMNS = ["problem", "solver", "iterations_to_tol", "time_to_tol_s", "final_objective", "relative_gap",
           "ratio_to_sporco_best", "objective_ratio"]

FORMATS = {"time_to_tol_s": ".4g", "final_objective": ".12g", "relative_gap": ".2e",
           "ratio_to_sporco_best": ".3g", "objective_ratio": ".12g"}

#: Multipliers of ‖A‖² tried for ADMM's fixed penalty ρ (first is the first guess).
RHO_GRID = (0.1, 0.03, 0.3, 0.01, 1.0)

#: SPORCO's default PGM ``L`` for ``ConvBPDN`` (``pgm.cbpdn.ConvBPDN.Options.defaults['L']``).
SPORCO_DEFAULT_L = 500.0


# -- the problem -------------------------------------------------------------------------------

def load_parameters(params_path="params.yaml") -> tuple[dict, str]:
    """Section 1's problem (``params.yaml``'s ``sparse_coding`` block, validated by
    :func:`sparseimg.workspace.runner.load_section_params`: only the keys of :data:`DEFAULTS` are
    kept) and the benchmark's own settings (the ``benchmark_sporco`` block, as ``bench_<key>``).

    Returns ``(params, source)``. A missing file or block, or a bad value, raises
    :class:`~sparseimg.workspace.params.ParamError` (one line): the benchmark never falls back on
    built-in values silently.
    """
    from sparseimg.workspace.benchmarks import load_benchmark_params
    from sparseimg.workspace.runner import load_section_params

    path = Path(params_path).resolve()
    loaded = load_section_params("sparse_coding", path, root=path.parent)
    params = {k: loaded[k] for k in DEFAULTS}
    bench, _ = load_benchmark_params("benchmark_sporco", path)
    params.update({f"bench_{k}": v for k, v in bench.items()})
    return params, str(params_path)


def build_problem(params: dict, *, threads: int = 1) -> tuple[csc.Problem, float]:
    """Section 1's problem with the library; returns ``(problem, λ)`` with ``λ = lam · λ_max``."""
    shape = (int(params["size"]),) * 2
    op = motion_cloud_operator(shape, sf_0=params["sf_0"], B_sf=params["B_sf"])
    if threads != op.workers:
        op = FourierConvolution(op.transfer, op.shape, dtype=op.dtype, workers=threads)
    events = sparse_events(shape, rho=params["rho"], scale=params["y_lambda"], seed=params["seed"]).events
    problem = csc.make_problem(op, events, noise=params["noise"], noise_seed=params["noise_seed"])
    return problem, float(params["lam"]) * problem.lam_max


#: The second problem (``oriented_*`` keys of the benchmark block override these).
ORIENTED = {"rows": 384, "cols": 640, "sf_0": 0.1, "B_sf": 0.1, "theta_deg": 45.0, "B_theta_deg": 30.0,
            "rho": 5e-3, "seed": 7, "noise": 0.05, "noise_seed": 1, "lam": 0.03}


def build_oriented_problem(bench: dict, *, threads: int = 1) -> tuple[csc.Problem, float]:
    """The ``oriented`` problem (see the module docstring); ``bench`` may hold ``oriented_*`` keys."""
    p = {k: bench.get(f"oriented_{k}", v) for k, v in ORIENTED.items()}
    shape = (int(p["rows"]), int(p["cols"]))
    op = motion_cloud_operator(shape, sf_0=p["sf_0"], B_sf=p["B_sf"], theta=math.radians(p["theta_deg"]),
                               B_theta=math.radians(p["B_theta_deg"]))
    if threads != op.workers:
        op = FourierConvolution(op.transfer, op.shape, dtype=op.dtype, workers=threads)
    events = sparse_events(shape, rho=p["rho"], scale=DEFAULTS["y_lambda"], seed=p["seed"]).events
    problem = csc.make_problem(op, events, noise=p["noise"], noise_seed=p["noise_seed"])
    return problem, float(p["lam"]) * problem.lam_max


def sporco_dictionary(operator: FourierConvolution) -> np.ndarray:
    """The one SPORCO filter: the full spatial kernel of ``A`` (origin at ``[0, 0]``),
    shape ``(n0, n1, 1)`` (spatial axes, then the filter axis)."""
    kernel = operator.irfft(operator.transfer)
    return np.ascontiguousarray(kernel[:, :, np.newaxis])


def objective_function(problem: csc.Problem, lam_abs: float) -> Callable[[np.ndarray], float]:
    """``F(y) = ½‖A y − x‖² + λ‖y‖₁`` evaluated by the library (any array of ``N²`` entries)."""
    data_term = problem.data_term
    shape = problem.operator.shape

    def F(y):
        y = np.asarray(y).reshape(shape)
        return data_term.value(y) + lam_abs * float(np.abs(y).sum())

    return F


# -- SPORCO ------------------------------------------------------------------------------------

def sporco_solver(kind: str, D: np.ndarray, image: np.ndarray, lam_abs: float, options: dict, *,
                  n_iter: int, callback=None, fast: bool = True):
    """A SPORCO ``ConvBPDN`` (``kind`` ``"admm"`` or ``"pgm"``) set to run exactly ``n_iter``
    iterations: ``MaxMainIter=n_iter``, ``RelStopTol=0`` (no residual-based stop),
    ``FastSolve=fast``, ``Verbose=False``; ``options`` are added on top."""
    from sporco.admm import cbpdn as admm_cbpdn
    from sporco.pgm import cbpdn as pgm_cbpdn

    cls = {"admm": admm_cbpdn.ConvBPDN, "pgm": pgm_cbpdn.ConvBPDN}[kind]
    opt = {"FastSolve": fast, "Verbose": False, "MaxMainIter": int(n_iter), "RelStopTol": 0.0,
           "Callback": callback}
    opt.update(options)
    return cls(D, image, lam_abs, cls.Options(opt), dimK=0, dimN=2)


def sparse_variable(kind: str, solver) -> np.ndarray:
    """The sparse coefficient map of a SPORCO solver: PGM's ``X``, ADMM's ``Y``."""
    return solver.X if kind == "pgm" else solver.Y


def check_sporco_mapping(problem: csc.Problem, lam_abs: float, D: np.ndarray, *, seed: int = 0,
                         n_iter: int = 3) -> dict[str, float]:
    """Check that SPORCO solves *our* problem.

    - reconstruction: SPORCO's ``reconstruct(X)`` (``Σ d * x``) of a random sparse map
      against ``op.forward``, max abs difference relative to ``max |A y|``;
    - objective: SPORCO's own ``ObjFun`` after ``n_iter`` iterations against our ``F`` at
      the same iterate (PGM at ``X``; ADMM with ``fEvalX=False, gEvalY=True``, i.e. at
      ``Y``), relative difference.
    """
    op = problem.operator
    rng = np.random.default_rng(seed)
    y = rng.standard_normal(op.shape) * (rng.random(op.shape) < 0.01)
    ref = op.forward(y)
    F = objective_function(problem, lam_abs)
    out = {}
    for kind in ("pgm", "admm"):
        opts = {"L": op.lipschitz_constant()} if kind == "pgm" else {"fEvalX": False, "gEvalY": True}
        solver = sporco_solver(kind, D, problem.observed, lam_abs, opts, n_iter=n_iter, fast=False)
        rec = np.asarray(solver.reconstruct(y.reshape(solver.cri.shpX))).reshape(op.shape)
        out[f"{kind}_reconstruction"] = float(np.max(np.abs(rec - ref)) / np.max(np.abs(ref)))
        solver.solve()
        theirs = float(solver.getitstat().ObjFun[-1])
        ours = F(sparse_variable(kind, solver))
        out[f"{kind}_objective"] = abs(theirs - ours) / abs(ours)
    return out


# -- traces: iterations to tolerance ------------------------------------------------------------

def run_fista(problem: csc.Problem, lam_abs: float, n_iter: int, *, track: bool = False,
              restart: bool = False, callback=None):
    """The library's FISTA (step ``1/‖A‖²``, ``x0 = 0``, optionally with adaptive gradient
    restart) for exactly ``n_iter`` iterations (``tol=0``); returns ``(x, history)``. With
    ``track=False`` nothing beyond what the solver computes anyway is recorded (its
    objective comes free with the gradient)."""
    x0 = np.zeros(problem.operator.shape, dtype=problem.operator.dtype)
    return fista(problem.data_term, lam_abs, x0, n_iter=n_iter, tol=0.0, track=track, restart=restart,
                 callback=callback)


def run_admm(problem: csc.Problem, lam_abs: float, n_iter: int, *, track: bool = False, callback=None,
             fused: bool | None = None):
    """The library's ADMM with its defaults (nothing tuned) for exactly ``n_iter`` iterations (``tol=0``)
    from ``z = 0``; returns ``(z, history)``."""
    z0 = np.zeros(problem.operator.shape, dtype=problem.operator.dtype)
    return admm(problem.data_term, L1Norm(lam_abs), z0, n_iter=n_iter, tol=0.0, track=track, callback=callback,
                fused=fused)


def reference_minimum(problem: csc.Problem, lam_abs: float, n_iter: int) -> tuple[float, np.ndarray, float]:
    """``F*`` = the smaller minimum of two long runs (``tol=0``), FISTA + restart and ADMM. Returns
    ``(F*, FISTA's objective per iterate, agreement)``, agreement being the relative difference of the
    two runs' minima (how well two different solvers pin ``F*`` down)."""
    _, hist = run_fista(problem, lam_abs, n_iter, track=True, restart=True)
    obj = np.asarray(hist.objective)
    _, hist_admm = run_admm(problem, lam_abs, n_iter, track=True)
    minima = float(obj.min()), float(np.min(hist_admm.objective))
    f_star = min(minima)
    return f_star, obj, abs(minima[0] - minima[1]) / abs(f_star)


def first_below(gaps, tol: float) -> int | None:
    """First index ``k`` with ``gaps[k] <= tol`` (None if none)."""
    hits = np.flatnonzero(np.asarray(gaps) <= tol)
    return int(hits[0]) if hits.size else None


def sporco_trace(kind: str, D, image, lam_abs: float, options: dict, F, f_star: float, *, tol: float,
                 cap: int) -> np.ndarray:
    """Relative gaps ``(F(y_k) − F*) / F*`` for k = 1, 2 … of one instrumented SPORCO run,
    stopped (by its callback) at the first ``gap <= tol`` or after ``cap`` iterations.
    Element ``i`` is the gap after ``i + 1`` iterations."""
    gaps: list[float] = []

    def callback(solver):
        gaps.append((F(sparse_variable(kind, solver)) - f_star) / abs(f_star))
        return gaps[-1] <= tol

    sporco_solver(kind, D, image, lam_abs, options, n_iter=cap, callback=callback).solve()
    return np.asarray(gaps)


class _Reached(Exception):
    """Raised by an instrumented run's callback to stop it at the tolerance."""


def library_trace(cand, problem: csc.Problem, lam_abs: float, F, f_star: float, *, tol: float,
                  cap: int) -> np.ndarray:
    """Relative gaps of a library solver (FISTA's iterate, ADMM's ``z``) after 1, 2 … iterations,
    stopped at the first ``gap <= tol``."""
    gaps: list[float] = []

    def callback(k, x):
        if k:
            gaps.append((F(x) - f_star) / abs(f_star))
            if gaps[-1] <= tol:
                raise _Reached

    run = run_fista if cand.kind == "fista" else run_admm
    try:
        run(problem, lam_abs, cap, callback=callback, **cand.options())
    except _Reached:
        pass
    return np.asarray(gaps)


def tune_admm_rho(D, image, lam_abs: float, lipschitz: float, F, f_star: float, *, tol: float, cap: int,
                  grid=RHO_GRID, refine: bool = True) -> tuple[float, list[dict]]:
    """Fixed ADMM penalty ``ρ = c · ‖A‖²`` (``AutoRho`` off) for ``c`` in ``grid``: the ``c``
    reaching ``tol`` in the fewest iterations; with ``refine``, the two geometric midpoints
    between the best ``c`` and its grid neighbours are tried too. A candidate is abandoned
    as soon as it needs as many iterations as the best so far. Returns ``(best c, trials)``."""
    best_c, best_n = None, cap
    trials = []
    for c in _with_refinement(list(grid), lambda: best_c if refine else None):
        gaps: list[float] = []
        limit = best_n

        def callback(solver, gaps=gaps, limit=limit):
            gaps.append((F(solver.Y) - f_star) / abs(f_star))
            return gaps[-1] <= tol or len(gaps) >= limit

        options = {"rho": c * lipschitz, "AutoRho": {"Enabled": False}}
        sporco_solver("admm", D, image, lam_abs, options, n_iter=limit, callback=callback).solve()
        reached = bool(gaps) and gaps[-1] <= tol
        trials.append({"factor": c, "iterations": len(gaps), "reached": reached, "gap": gaps[-1],
                       "gaps": np.asarray(gaps)})
        if reached and (best_c is None or len(gaps) < best_n):
            best_c, best_n = c, len(gaps)
    if best_c is None:  # none reached: keep the one with the smallest final gap
        best_c = min(trials, key=lambda t: t["gap"])["factor"]
    return best_c, trials


def _with_refinement(grid, best):
    """Yield ``grid``, then the geometric midpoints between ``best()`` and its neighbours in
    the sorted grid (``best()`` is read after the grid is exhausted; None skips this)."""
    yield from grid
    c = best()
    if c is None:
        return
    ordered = sorted(grid)
    i = ordered.index(c)
    for j in (i - 1, i + 1):
        if 0 <= j < len(ordered):
            yield float(f"{math.sqrt(c * ordered[j]):.2g}")


# -- candidates ---------------------------------------------------------------------------------

@dataclass
class Candidate:
    """One solver configuration.

    ``options`` is a factory (SPORCO's backtracking objects are stateful, so every
    solver gets fresh ones). ``cap`` overrides ``--max-iter`` for a configuration that
    is only probed.
    """

    name: str
    kind: str  # "fista", "pgm" or "admm"
    options: Callable[[], dict] = field(default=lambda: {})
    cap: int | None = None
    note: str = ""
    gaps: np.ndarray | None = None  # filled by the instrumented run
    iterations: int | None = None


def default_candidates(lipschitz: float, *, probe_cap: int = 100, all_configs: bool = False) -> list[Candidate]:
    """FISTA and the SPORCO configurations compared (ADMM's tuned-ρ one is added later).
    ``all_configs`` adds PGM with robust backtracking from SPORCO's default ``L`` (slow:
    it spends its first ~100 iterations shrinking ``L`` by 0.9 per iteration)."""
    from sporco.pgm.backtrack import BacktrackRobust

    cands = [
        Candidate("FISTA (sparseimg)", "fista", note="sparseimg.optim.solvers.fista, step 1/‖A‖², tol=0, track=False"),
        Candidate("FISTA + restart (sparseimg)", "fista", lambda: {"restart": True},
                  note="the same with adaptive restart (function scheme, O'Donoghue & Candès)"),
        Candidate("ADMM (sparseimg)", "admm_lib",
                  note="sparseimg.optim.admm.admm defaults: rho0 = trace(AᵀA)/n, residual balancing (mu=10, tau=2), "
                       "relax=1.8, fused iterations; nothing tuned"),
        Candidate("SPORCO PGM, L=‖A‖², no backtracking", "pgm", lambda: {"L": lipschitz},
                  note="Backtrack=None (SPORCO default), L set to the Lipschitz constant"),
        Candidate("SPORCO PGM, robust backtracking, L0=‖A‖²", "pgm",
                  lambda: {"L": lipschitz, "Backtrack": BacktrackRobust()},
                  note="BacktrackRobust() defaults (gamma_d=0.9, gamma_u=2)"),
        Candidate(f"SPORCO PGM, defaults (L={SPORCO_DEFAULT_L:g}, no backtracking)", "pgm", lambda: {},
                  cap=probe_cap, note="probe only: step 1/500 vs 1/‖A‖²"),
        Candidate("SPORCO ADMM, AutoRho (defaults)", "admm",
                  note="rho0=50*lambda+1, AutoRho Period=1, RelaxParam=1.8 (SPORCO defaults)"),
    ]
    if all_configs:
        cands.insert(3, Candidate(f"SPORCO PGM, robust backtracking, L0={SPORCO_DEFAULT_L:g} (default)", "pgm",
                                  lambda: {"Backtrack": BacktrackRobust()},
                                  note="SPORCO's default L with BacktrackRobust()"))
    return cands


def run_candidate(cand: Candidate, problem: csc.Problem, lam_abs: float, D, n_iter: int) -> np.ndarray:
    """Run ``cand`` for exactly ``n_iter`` iterations, un-instrumented, set-up included
    (FISTA builds its data term, SPORCO its solver object); returns the sparse map."""
    if cand.kind in ("fista", "admm_lib"):
        run = run_fista if cand.kind == "fista" else run_admm
        x, hist = run(problem, lam_abs, n_iter, **cand.options())
        if hist.n_iter != n_iter:
            raise RuntimeError(f"{cand.name}: ran {hist.n_iter} iterations, expected {n_iter}")
        return x
    solver = sporco_solver(cand.kind, D, problem.observed, lam_abs, cand.options(), n_iter=n_iter)
    out = solver.solve()
    if solver.k != n_iter:
        raise RuntimeError(f"{cand.name}: ran {solver.k} iterations, expected {n_iter}")
    return np.asarray(out).reshape(problem.operator.shape)


def time_candidates(cands: list[Candidate], problem, lam_abs: float, D, *,
                    repeats: int) -> tuple[dict, dict]:
    """Interleaved medians (one warm-up round first) of every candidate that reached the
    tolerance, each running exactly its ``iterations``. Returns ``(timings, outputs)``."""
    from sparseimg.timing import measure_interleaved

    fns = {c.name: (lambda c=c: run_candidate(c, problem, lam_abs, D, c.iterations))
           for c in cands if c.iterations is not None}
    outputs = {name: fn() for name, fn in fns.items()}  # warm-up (FFTW plans, caches)
    timings = measure_interleaved(fns, repeat=repeats, number=1) if fns else {}
    return timings, outputs


def table_rows(cands: list[Candidate], timings: dict, objectives: dict, f_star: float, *,
               max_iter: int, problem: str = "section1") -> list[dict]:
    """Rows of :data:`COLUMNS`. Ratios are to the fastest SPORCO configuration that reached
    the tolerance: ``ratio_to_sporco_best`` of times, ``objective_ratio`` of final objectives."""
    sporco = [c.name for c in cands if c.kind in ("pgm", "admm") and c.name in timings]
    best = min(sporco, key=lambda n: timings[n].median) if sporco else None
    rows = []
    for c in cands:
        cap = c.cap or max_iter
        reached = c.name in timings
        final = objectives[c.name]
        t = timings[c.name].median if reached else math.nan
        rows.append({
            "problem": problem,
            "solver": c.name,
            "iterations_to_tol": c.iterations if reached else f"not reached in {cap}",
            "time_to_tol_s": t,
            "final_objective": final,
            "relative_gap": (final - f_star) / abs(f_star),
            "ratio_to_sporco_best": t / timings[best].median if best and reached else math.nan,
            "objective_ratio": final / objectives[best] if best else math.nan,
        })
    return rows


# -- the whole benchmark -----------------------------------------------------------------------

def run_problem(name: str, problem: csc.Problem, lam_abs: float, *, repeats: int, tol: float, max_iter: int,
                reference_iter: int, all_configs: bool = False, log=print) -> list[dict]:
    """Every solver on one problem: mapping checks, ``F*``, iterations to ``tol``, interleaved timings."""
    op = problem.operator
    lip = op.lipschitz_constant()
    D = sporco_dictionary(op)
    F = objective_function(problem, lam_abs)
    log(f"[{name}] {op.shape[0]}x{op.shape[1]}, lambda={lam_abs:.6g} ({lam_abs / problem.lam_max:g} of "
        f"lambda_max), ‖A‖²={lip:.6g}, {int(np.count_nonzero(problem.events))} events")

    checks = check_sporco_mapping(problem, lam_abs, D)
    log("  mapping check (relative): " + ", ".join(f"{k}={v:.2e}" for k, v in checks.items()))
    bad = {k: v for k, v in checks.items() if not v <= 1e-12}
    if bad:
        raise RuntimeError(f"SPORCO does not solve the same problem: {bad} (expected <= 1e-12)")

    f_star, _, agreement = reference_minimum(problem, lam_abs, reference_iter)
    log(f"  F* = {f_star:.15g} from {reference_iter} iterations of FISTA + restart and of ADMM "
        f"(their minima agree to {agreement:.1e})")

    cands = default_candidates(lip, all_configs=all_configs)
    for c in cands:
        cap = c.cap or max_iter
        if c.kind in ("fista", "admm_lib"):  # gaps after 1, 2, … iterations
            c.gaps = library_trace(c, problem, lam_abs, F, f_star, tol=tol, cap=cap)
        else:
            c.gaps = sporco_trace(c.kind, D, problem.observed, lam_abs, c.options(), F, f_star, tol=tol, cap=cap)
        k = first_below(c.gaps, tol)
        c.iterations = None if k is None else k + 1
        log(f"  {c.name}: " + (f"{c.iterations} iterations" if c.iterations else
                               f"not reached in {cap} (gap {c.gaps[-1]:.3g})"))

    factor, trials = tune_admm_rho(D, problem.observed, lam_abs, lip, F, f_star, tol=tol, cap=max_iter)
    log("  ADMM fixed rho = c*‖A‖²: " + ", ".join(
        f"c={t['factor']:g}: {t['iterations']}{'' if t['reached'] else '+ (stopped)'}" for t in trials))
    tuned = Candidate(f"SPORCO ADMM, fixed rho={factor:g}*‖A‖² (tuned)", "admm",
                      lambda: {"rho": factor * lip, "AutoRho": {"Enabled": False}},
                      note=f"best of c in {[t['factor'] for t in trials]}; RelaxParam=1.8 (default)")
    best_trial = next(t for t in trials if t["factor"] == factor)
    tuned.gaps = (best_trial["gaps"] if best_trial["reached"] else
                  sporco_trace("admm", D, problem.observed, lam_abs, tuned.options(), F, f_star, tol=tol, cap=max_iter))
    k = first_below(tuned.gaps, tol)
    tuned.iterations = None if k is None else k + 1
    cands.append(tuned)

    timings, outputs = time_candidates(cands, problem, lam_abs, D, repeats=repeats)
    objectives = {}
    for c in cands:
        if c.name in outputs:
            objectives[c.name] = F(outputs[c.name])
        else:  # never reached: objective at the cap, from the instrumented run
            objectives[c.name] = f_star + float(c.gaps[-1]) * abs(f_star)
    lowest = min(objectives.values())
    if lowest < f_star * (1 - 1e-12):
        log(f"  note: a solver went below F* by {(f_star - lowest) / f_star:.1e} (relative)")
    for c in cands:
        if c.note:
            log(f"  {c.name}: {c.note}")
        if c.name in timings:
            t = timings[c.name]
            log(f"    {t.median / c.iterations * 1e3:.3g} ms/iteration (quartiles {t.q1:.3g}-{t.q3:.3g} s "
                f"over {t.repeat})")
    return table_rows(cands, timings, objectives, f_star, max_iter=max_iter, problem=name)


ITERATION_COLUMNS = ["dtype", "step", "ms_per_iteration", "ratio_to_fft_floor"]


def iteration_rows(size: int, *, repeats: int, short: int = 20, long: int = 120, log=print) -> list[dict]:
    """One iteration against the FFT-pair floor at ``size × size``, float64 and float32, interleaved.

    The marginal cost of an iteration: every solver runs ``short`` then ``long`` iterations,
    back to back, and one iteration is the difference of the two times over ``long − short``
    (the median over ``repeats`` interleaved rounds), so that set-up (plans, allocations, the
    start's gradient) is not spread over the iterations. The problem is section 1's kind (isotropic
    MotionClouds kernel); FISTA runs with restart and a stopping test that never fires
    (``tol=1e-300``), so that everything an iteration normally computes is computed; ADMM
    with its defaults (``tol=1e-300``).
    """
    from sparseimg.optim import _fused

    rows = []
    for dtype in (np.float64, np.float32):
        params = dict(DEFAULTS, size=size)
        problem64, lam_abs = build_problem(params)
        op = problem64.operator.astype(dtype)
        problem = csc.make_problem(op, problem64.events, noise=params["noise"], noise_seed=params["noise_seed"])
        plans = _fused.FourierPlans(op.shape, op.dtype)  # the floor: nothing but the two planned transforms
        x0 = np.zeros(op.shape, dtype=dtype)
        smooth = problem.data_term

        def floor(n):
            def run():
                for _ in range(n):
                    plans.forward()
                    plans.inverse()
            return run

        def fista_run(fused):
            return lambda n: lambda: fista(smooth, lam_abs, x0, n_iter=n, tol=1e-300, restart=True, fused=fused)

        def admm_run(fused):
            return lambda n: lambda: admm(smooth, L1Norm(lam_abs), x0, n_iter=n, tol=1e-300, fused=fused)

        makers = {"rfft2 + irfft2 (floor)": floor,
                  "FISTA + restart, fused": fista_run(True), "FISTA + restart, plain numpy": fista_run(False),
                  "ADMM, fused": admm_run(True), "ADMM, plain numpy": admm_run(False)}
        fns = {name: (make(short), make(long)) for name, make in makers.items()}
        for pair in fns.values():  # warm-up: numba compilation, FFTW plans
            pair[0]()
            pair[1]()
        diffs: dict[str, list[float]] = {name: [] for name in fns}
        for _ in range(repeats):  # interleaved; each difference from two runs back to back
            for name, (run_short, run_long) in fns.items():
                t0 = time.perf_counter()
                run_short()
                t1 = time.perf_counter()
                run_long()
                t2 = time.perf_counter()
                diffs[name].append(((t2 - t1) - (t1 - t0)) / (long - short) * 1e3)
        per_iter = {name: float(np.median(d)) for name, d in diffs.items()}
        floor_ms = per_iter["rfft2 + irfft2 (floor)"]
        for name, ms in per_iter.items():
            rows.append({"dtype": np.dtype(dtype).name, "step": name, "ms_per_iteration": ms,
                         "ratio_to_fft_floor": ms / floor_ms})
            log(f"  {size}², {np.dtype(dtype).name}, {name}: {ms:.3f} ms/iteration ({ms / floor_ms:.2f}x the floor)")
    return rows


def run_benchmark(params: dict, *, repeats: int, tol: float, max_iter: int, reference_iter: int,
                  threads: int, output_dir, all_configs: bool = False, bench: dict | None = None,
                  log=print) -> list[dict]:
    """Everything :func:`main` does after parsing; returns the rows of the solver table."""
    import sporco
    import sporco.fft

    bench = bench or {}
    sporco.fft.pyfftw_threads = threads
    t_start = time.perf_counter()
    log(f"sporco {sporco.__version__}, numpy {np.__version__}, threads={threads}, tol={tol:g}")
    problems = {"section1": build_problem(params, threads=threads),
                "oriented": build_oriented_problem(bench, threads=threads)}
    rows = []
    for name, (problem, lam_abs) in problems.items():
        reps = repeats if name == "section1" else int(bench.get("oriented_repeats", repeats))
        rows += run_problem(name, problem, lam_abs, repeats=reps, tol=tol, max_iter=max_iter,
                            reference_iter=reference_iter, all_configs=all_configs, log=log)
    from sparseimg.workspace.reporting import Reporter

    reporter = Reporter("sparse_coding", output_dir)
    md = reporter.write_table("sporco", rows, columns=COLUMNS, formats=FORMATS)
    log("")
    log(md)
    size = int(bench.get("iteration_size", 512))
    log(f"one iteration at {size}² (interleaved, {repeats} repeats of 20 and 120 iterations):")
    it_rows = iteration_rows(size, repeats=repeats, log=log)
    log(reporter.write_table("iteration", it_rows, columns=ITERATION_COLUMNS,
                             formats={"ms_per_iteration": ".3f", "ratio_to_fft_floor": ".2f"}))
    log(f"tables written to {Path(output_dir) / 'tables'}/sparse_coding_{{sporco,iteration}}.{{csv,md}} "
        f"in {time.perf_counter() - t_start:.0f} s")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, help="image side N (default: params.yaml, else 512; 256 with --quick)")
    parser.add_argument("--lam", type=float, help="λ as a fraction of ‖Aᵀx‖∞ (default: params.yaml, else 0.05)")
    parser.add_argument("--noise", type=float, help="relative noise std (default: params.yaml, else 0.1)")
    parser.add_argument("--noise-seed", type=int, help="noise seed (default: params.yaml, else 0)")
    parser.add_argument("--repeats", type=int, help="timed repeats per solver (default 5; 2 with --quick)")
    parser.add_argument("--quick", action="store_true", help="256 x 256 problem and 2 repeats")
    parser.add_argument("--tol", type=float, help="relative objective gap to reach (default 1e-6)")
    parser.add_argument("--max-iter", type=int, help="iteration cap per solver (default 5000)")
    parser.add_argument("--reference-iter", type=int, help="FISTA iterations for F* (default 1000)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS, scipy.fft and pyfftw threads (default 1)")
    parser.add_argument("--all-configs", action="store_true",
                        help="also time PGM with robust backtracking from SPORCO's default L=500 (slow)")
    parser.add_argument("--params", default="params.yaml", help="parameter file (its sparse_coding and benchmark_sporco blocks)")
    parser.add_argument("--output-dir", default="reports", help="report root (default reports)")
    args = parser.parse_args(argv)

    from sparseimg.schema import Int, ParamError

    try:
        params, source = load_parameters(args.params)
    except ParamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bench = {k[len("bench_"):]: params.pop(k) for k in list(params) if k.startswith("bench_")}
    if "size" in bench:
        params["size"] = bench["size"]
    if args.quick:
        params["size"] = 256
        bench.update(oriented_rows=192, oriented_cols=320, iteration_size=256)
    for key in ("size", "lam", "noise", "noise_seed"):
        value = getattr(args, key)
        if value is not None:
            params[key] = value
    repeats = args.repeats if args.repeats is not None else (2 if args.quick else bench["repeats"])
    tol = args.tol if args.tol is not None else bench["tol"]
    max_iter = args.max_iter if args.max_iter is not None else bench["max_iter"]
    reference_iter = args.reference_iter if args.reference_iter is not None else bench["reference_iter"]
    from sparseimg.workspace.sections import get_section

    try:  # command-line overrides obey the same schemas (one line, exit 2)
        for key, value, spec in (("size", params["size"], _schema()["size"]),
                                 ("lam", params["lam"], get_section("sparse_coding").schema["lam"]),
                                 ("noise", params["noise"], get_section("sparse_coding").schema["noise"]),
                                 ("noise-seed", params["noise_seed"], get_section("sparse_coding").schema["noise_seed"]),
                                 ("repeats", repeats, _schema()["repeats"]), ("tol", tol, _schema()["tol"]),
                                 ("max-iter", max_iter, _schema()["max_iter"]),
                                 ("reference-iter", reference_iter, _schema()["reference_iter"]),
                                 ("threads", args.threads, Int(1, os.cpu_count() or 1))):
            spec.check(f"--{key}", value, Path("."))
    except ParamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"parameters from {source}: " + ", ".join(f"{k}={v}" for k, v in params.items()))

    try:
        from threadpoolctl import threadpool_limits
        blas_limit = threadpool_limits(limits=args.threads)
    except ImportError:  # BLAS threads left alone; FFT threads still follow --threads
        from contextlib import nullcontext
        blas_limit = nullcontext()
    from sparseimg.workspace.provenance import recorded_run

    with recorded_run("benchmark_sporco", args.output_dir), blas_limit:
        run_benchmark(params, repeats=repeats, tol=tol, max_iter=max_iter,
                      reference_iter=reference_iter, threads=args.threads, output_dir=args.output_dir,
                      all_configs=args.all_configs, bench=bench)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""benchmarks/sporco_cbpdn.py hands SPORCO exactly our problem (no timing here).

SPORCO is a benchmark-only extra: the test is skipped when it is not installed.
"""

from pathlib import Path

import numpy as np
import pytest

from conftest import loaded_script

pytest.importorskip("sporco")

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "sporco_cbpdn.py"


@pytest.fixture(scope="module")
def bench():
    with loaded_script(SCRIPT, "bench_sporco_cbpdn") as module:
        yield module


@pytest.fixture(scope="module")
def setup(bench):
    params = dict(bench.DEFAULTS, size=64)
    problem, lam_abs = bench.build_problem(params)
    return problem, lam_abs, bench.sporco_dictionary(problem.operator)


@pytest.mark.parametrize("kind", ["pgm", "admm"])
def test_reconstruction_is_our_operator(bench, setup, kind):
    problem, lam_abs, D = setup
    op = problem.operator
    rng = np.random.default_rng(1)
    y = rng.standard_normal(op.shape) * (rng.random(op.shape) < 0.05)
    solver = bench.sporco_solver(kind, D, problem.observed, lam_abs, {}, n_iter=1)
    rec = np.asarray(solver.reconstruct(y.reshape(solver.cri.shpX))).reshape(op.shape)
    expected = op.forward(y)
    assert np.max(np.abs(rec - expected)) <= 1e-12 * np.max(np.abs(expected))


@pytest.mark.parametrize("kind", ["pgm", "admm"])
def test_objective_is_ours_at_the_same_point(bench, setup, kind):
    problem, lam_abs, D = setup
    F = bench.objective_function(problem, lam_abs)
    opts = ({"L": problem.operator.lipschitz_constant()} if kind == "pgm"
            else {"fEvalX": False, "gEvalY": True})  # ADMM: objective on the sparse Y
    solver = bench.sporco_solver(kind, D, problem.observed, lam_abs, opts, n_iter=5, fast=False)
    solver.solve()
    point = bench.sparse_variable(kind, solver)
    assert np.count_nonzero(point) > 0
    theirs = float(solver.getitstat().ObjFun[-1])
    assert theirs == pytest.approx(F(point), rel=1e-12)


def test_mapping_check_and_fista_reference(bench, setup):
    problem, lam_abs, D = setup
    checks = bench.check_sporco_mapping(problem, lam_abs, D)
    assert set(checks) == {"pgm_reconstruction", "pgm_objective", "admm_reconstruction", "admm_objective"}
    assert all(v <= 1e-12 for v in checks.values())
    f_star, objective, agreement = bench.reference_minimum(problem, lam_abs, 200)
    assert f_star <= objective.min() and 0 <= agreement < 1e-6  # FISTA and ADMM agree on F*
    assert bench.first_below([3.0, 1e-3, 1e-7, 0.0], 1e-6) == 2
    assert bench.first_below([3.0, 1e-3], 1e-6) is None


def test_oriented_problem_is_unlike_section_one(bench):
    from sparseimg.workspace.benchmarks import benchmark_quick_params

    quick = benchmark_quick_params("benchmark_sporco")
    problem, lam_abs = bench.build_oriented_problem(quick)
    op = problem.operator
    assert op.shape == (quick["oriented_rows"], quick["oriented_cols"])
    assert lam_abs == pytest.approx(quick["oriented_lam"] * problem.lam_max)
    # oriented: the transfer function is not invariant under a quarter turn of the frequency plane
    full = np.abs(np.fft.fft2(op.forward(np.eye(1, op.shape[0] * op.shape[1]).reshape(op.shape))))
    assert not np.allclose(full, full[::-1, :])


def test_library_candidates_run_exactly_and_trace_to_the_tolerance(bench, setup):
    problem, lam_abs, D = setup
    F = bench.objective_function(problem, lam_abs)
    f_star, _, _ = bench.reference_minimum(problem, lam_abs, 500)
    admm_cand = next(c for c in bench.default_candidates(1.0) if c.kind == "admm_lib")
    gaps = bench.library_trace(admm_cand, problem, lam_abs, F, f_star, tol=1e-6, cap=500)
    assert gaps[-1] <= 1e-6 and (gaps[:-1] > 1e-6).all()
    z = bench.run_candidate(admm_cand, problem, lam_abs, D, len(gaps))
    assert F(z) == pytest.approx(f_star * (1 + gaps[-1]), rel=1e-12)  # the timed run is the traced run

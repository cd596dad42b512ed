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
    f_star, objective, stability = bench.reference_minimum(problem, lam_abs, 200)
    assert f_star == objective.min() and stability >= 0
    assert bench.first_below([3.0, 1e-3, 1e-7, 0.0], 1e-6) == 2
    assert bench.first_below([3.0, 1e-3], 1e-6) is None

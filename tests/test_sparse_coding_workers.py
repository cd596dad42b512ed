"""Section 1: the independent solver runs in forked processes give the numbers of one process
(experiments.sparse_coding.recover_each, noise_scan, lambda_scan with ``workers``)."""

import numpy as np
import pytest

from sparseimg.experiments import sparse_coding as csc
from sparseimg.experiments.sparse_coding import METHODS
from sparseimg.sparsemodels.synthesis import sparse_events


@pytest.fixture(scope="module")
def draw():
    return sparse_events((64, 64), rho=0.01, scale=1.0, seed=5).events


def test_recover_each_is_recover_in_any_number_of_processes(mc_operator_64, draw):
    problems = [csc.make_problem(mc_operator_64, draw), csc.make_problem(mc_operator_64, draw, noise=0.1, noise_seed=6)]
    runs = [(p, m) for p in problems for m in METHODS]
    options = dict(lam=0.01, n_iter=15, tol=1e-6, track_reference=True)
    one = csc.recover_each(runs, workers=1, **options)
    two = csc.recover_each(runs, workers=2, **options)
    for (problem, method), (e1, h1), (e2, h2) in zip(runs, one, two):
        direct, hd = csc.recover(problem, method, **options)
        np.testing.assert_array_equal(e1, direct)
        np.testing.assert_array_equal(e2, direct)
        assert (h1 is None) == (h2 is None) == (hd is None)
        if hd is not None:
            assert h1.n_iter == h2.n_iter == hd.n_iter and h2.objective == hd.objective and h2.psnr == hd.psnr
    with pytest.raises(ValueError, match="fista"):
        csc.recover_each([(problems[0], "nope")], workers=2)


def test_noise_and_lambda_scans_are_the_same_rows_in_two_processes(mc_operator_64, draw):
    kw = dict(noise_seed=6, lam=0.01, n_iter=15, tol=1e-6)
    scan = csc.noise_scan(mc_operator_64, draw, [0.03, 0.3], workers=1, **kw)
    assert csc.noise_scan(mc_operator_64, draw, [0.03, 0.3], workers=2, **kw) == scan
    assert [(r["noise"], r["method"]) for r in scan] == [(v, m) for v in (0.03, 0.3) for m in METHODS]
    problem = csc.make_problem(mc_operator_64, draw, noise=0.3, noise_seed=6)
    for row in scan[len(METHODS):]:  # each row is evaluate() of recover() on that level's problem
        est, hist = csc.recover(problem, row["method"], lam=0.01, n_iter=15, tol=1e-6)
        assert row == {"noise": 0.3, "method": row["method"], "iterations": hist.n_iter if hist else 0,
                       **csc.evaluate(problem, est)}
    rows = csc.lambda_scan(problem, 0.01, [0.5, 1.0, 2.0], n_iter=15, tol=1e-6, workers=1)
    assert csc.lambda_scan(problem, 0.01, [0.5, 1.0, 2.0], n_iter=15, tol=1e-6, workers=2) == rows
    est, hist = csc.recover(problem, "fista", lam=0.02, n_iter=15, tol=1e-6)
    assert rows[2] == {"factor": 2.0, "lam": 0.02, "iterations": hist.n_iter, **csc.evaluate(problem, est)}

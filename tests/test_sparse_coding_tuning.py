"""Section 1: the ℓ1 weight tuned on an independent draw (experiments.sparse_coding.tune_lam)."""

import pytest

from sparseimg.experiments import sparse_coding as csc
from sparseimg.sparsemodels.synthesis import sparse_events


@pytest.fixture(scope="module")
def tuning_problem(mc_operator_64):
    draw = sparse_events((64, 64), rho=0.01, scale=1.0, seed=5)
    return csc.make_problem(mc_operator_64, draw.events, noise=0.1, noise_seed=6)


def test_tune_lam_grows_past_an_edge_and_scores_fista_event_error(tuning_problem):
    # a starting grid far above the best weight: it must grow downwards until the choice is inside it
    t = csc.tune_lam(tuning_problem, 0.05, [1.0, 3.0], n_iter=60, tol=1e-6)
    assert t.edge == "" and t.value < 0.05 and len(t.grid) > 2
    assert t.scores[t.grid.index(t.value)] == max(t.scores)
    est, _ = csc.recover(tuning_problem, "fista", lam=t.value, n_iter=60, tol=1e-6)
    assert t.scores[t.grid.index(t.value)] == pytest.approx(-csc.evaluate(tuning_problem, est)["event_error"])


def test_tune_lam_bad_centre_one_line(tuning_problem):
    with pytest.raises(ValueError, match="lam=0.0 is not allowed"):
        csc.tune_lam(tuning_problem, 0.0, [1.0, 2.0], n_iter=5, tol=1e-6)

"""ADMM's residual balancing moves ρ the right way, so a badly started ADMM still converges quickly.

On section 1's kind of problem ADMM's own initial penalty needs no balancing (ρ never changes), so the
other ADMM tests cannot see the direction of the update. Here ρ starts 100× too small and 100× too
large: balancing must bring it back (an inverted update drives it further away and ADMM stalls).
Iteration counts on a fixed problem are deterministic; the bounds leave about 30 % over the counts
measured (``rho0/100``: 50 iterations to a 1e-6 gap, ``100 rho0``: 61; without balancing: 1,393
and more than 3,000).
"""

import numpy as np
import pytest

from sparseimg.optim.admm import _balanced, admm, initial_penalty
from sparseimg.optim.objectives import LeastSquares
from sparseimg.optim.prox import L1Norm
from sparseimg.optim.solvers import fista


@pytest.fixture(scope="module")
def problem(mc_operator_64):
    """The 64² MotionClouds problem of the fused-loop tests, with its minimum from restarted FISTA."""
    op = mc_operator_64
    rng = np.random.default_rng(12345)
    events = rng.laplace(size=op.shape) * (rng.random(op.shape) < 0.05)
    clean = op.forward(events)
    observed = clean + 0.01 * clean.std() * rng.standard_normal(op.shape)
    smooth = LeastSquares(op, observed)
    lam = 0.05 * float(np.abs(smooth.adjoint_data).max())
    _, hist = fista(smooth, lam, np.zeros(op.shape), n_iter=3000, tol=1e-13, restart=True)
    return smooth, lam, min(hist.objective)


def test_balancing_rule_raises_rho_when_the_primal_residual_dominates():
    assert _balanced(1.0, 0.01, 10.0, 2.0) == 2.0  # primal > μ·dual: ρ ← τρ
    assert _balanced(0.01, 1.0, 10.0, 2.0) == 0.5  # dual > μ·primal: ρ ← ρ/τ
    assert _balanced(1.0, 0.5, 10.0, 2.0) == 1.0


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("scale, max_iter", [(1e-2, 65), (1e2, 80)])
def test_badly_started_penalty_is_balanced_back(problem, fused, scale, max_iter):
    smooth, lam, f_star = problem
    rho0 = initial_penalty(smooth.operator)
    z, hist = admm(smooth, L1Norm(lam), np.zeros(smooth.operator.shape), rho=scale * rho0, n_iter=400,
                   tol=1e-9, track=True, fused=fused)
    gap = (np.asarray(hist.objective) - f_star) / abs(f_star)
    reached = np.nonzero(gap <= 1e-6)[0]
    assert reached.size and reached[0] <= max_iter, f"1e-6 gap first reached at {reached[:1]} (bound {max_iter})"
    assert hist.converged
    rho = np.asarray(hist.rho)
    # ρ moved toward the mean eigenvalue of AᵀA, monotonically at first, and ended within a factor 4 of it
    first_move = np.sign(np.diff(rho[:20])[np.diff(rho[:20]) != 0])
    assert first_move.size and (first_move == np.sign(1.0 - scale)).all(), rho[:20] / rho0
    assert 0.25 <= rho[-1] / rho0 <= 4.0, rho[-1] / rho0

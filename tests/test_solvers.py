import numpy as np
import pytest

from sparseimg.contracts import SmoothTermBase

from sparseimg.optim.objectives import LeastSquares
from sparseimg.operators import FourierConvolution, LinearOperator, transfer_from_kernel
from sparseimg.optim.prox import L1Norm
from sparseimg.optim.solvers import conjugate_gradient, fista, gradient_descent, ista, proximal_gradient
from sparseimg.sparsemodels.synthesis import sparse_events


class MatrixOperator(LinearOperator):
    """Dense operator: the protocol's default (generic) data-term path."""

    def __init__(self, matrix):
        self.matrix = matrix

    def forward(self, x):
        return self.matrix @ x

    def adjoint(self, y):
        return self.matrix.T @ y

    def lipschitz_constant(self):
        return float(np.linalg.norm(self.matrix, 2) ** 2)


@pytest.fixture
def sparse_problem(mc_operator_64):
    events = sparse_events((64, 64), rho=0.01, seed=5).events
    image = mc_operator_64.forward(events) + 1e-3 * np.random.default_rng(0).standard_normal((64, 64))
    data = LeastSquares(mc_operator_64, image)
    lam = 0.02 * float(np.abs(data.adjoint_data).max())
    return data, lam, events


def test_fourier_fast_path_matches_generic_path(rng):
    kernel = rng.uniform(size=(3, 4))
    op = FourierConvolution(transfer_from_kernel(kernel, (10, 9)), (10, 9))
    b = rng.standard_normal((10, 9))
    x = rng.standard_normal((10, 9))

    class Generic(LinearOperator):  # the same operator through the protocol's default data term
        forward, adjoint, lipschitz_constant = op.forward, op.adjoint, op.lipschitz_constant

    fast, slow = LeastSquares(op, b, ridge=0.3), LeastSquares(Generic(), b, ridge=0.3)
    assert np.isclose(fast.value(x), slow.value(x), rtol=1e-12)
    np.testing.assert_allclose(fast.grad(x), slow.grad(x), atol=1e-12)
    v, g = fast.value_and_grad(x)
    assert np.isclose(v, slow.value(x), rtol=1e-12)
    np.testing.assert_allclose(g, slow.grad(x), atol=1e-12)
    np.testing.assert_allclose(fast.adjoint_data, slow.adjoint_data, atol=1e-12)


def test_gradient_matches_finite_differences(rng):
    op = MatrixOperator(rng.standard_normal((7, 5)))
    data = LeastSquares(op, rng.standard_normal(7), ridge=0.1)
    x = rng.standard_normal(5)
    eps = 1e-6
    fd = np.array([(data.value(x + eps * e) - data.value(x - eps * e)) / (2 * eps) for e in np.eye(5)])
    np.testing.assert_allclose(data.grad(x), fd, rtol=1e-6, atol=1e-8)


def test_ista_objective_is_non_increasing(sparse_problem):
    data, lam, _ = sparse_problem
    _, hist = ista(data, lam, np.zeros((64, 64)), n_iter=150, tol=0)
    obj = np.asarray(hist.objective)
    assert np.all(np.diff(obj) <= 1e-12 * obj[0])
    assert obj[-1] < obj[0]


def test_fista_reaches_the_ista_minimizer(sparse_problem):
    data, lam, _ = sparse_problem
    x_ista, h_ista = ista(data, lam, np.zeros((64, 64)), n_iter=4000, tol=1e-12)
    x_fista, h_fista = fista(data, lam, np.zeros((64, 64)), n_iter=600, tol=0)
    assert abs(h_fista.objective[-1] - h_ista.objective[-1]) <= 1e-8 * h_ista.objective[-1]
    assert np.linalg.norm(x_fista - x_ista) <= 1e-3 * np.linalg.norm(x_ista)


def test_fista_is_faster_than_ista_in_iterations(sparse_problem):
    data, lam, _ = sparse_problem
    _, h_star = fista(data, lam, np.zeros((64, 64)), n_iter=1500, tol=0)
    f_star = min(h_star.objective)
    _, h_i = ista(data, lam, np.zeros((64, 64)), n_iter=100, tol=0)
    _, h_f = fista(data, lam, np.zeros((64, 64)), n_iter=100, tol=0)
    assert h_f.objective[-1] - f_star < 0.1 * (h_i.objective[-1] - f_star)


def test_tracked_objective_is_the_true_objective(sparse_problem):
    data, lam, _ = sparse_problem
    seen = []
    x, hist = fista(data, lam, np.zeros((64, 64)), n_iter=10, tol=0, callback=lambda k, x: seen.append(x.copy()))
    for k in (1, 5, 10):
        true = data.value(seen[k]) + L1Norm(lam).value(seen[k])
        assert np.isclose(hist.objective[k], true, rtol=1e-10)


def test_untracked_fista_gives_the_same_iterates(sparse_problem):
    data, lam, _ = sparse_problem

    class NonAffine(SmoothTermBase):  # forces the generic path: gradient at the extrapolated point
        affine_gradient = False
        value, grad, value_and_grad, lipschitz_constant = data.value, data.grad, data.value_and_grad, data.lipschitz_constant

    x1, _ = fista(data, lam, np.zeros((64, 64)), n_iter=30, tol=0)
    x2, h2 = fista(NonAffine(), lam, np.zeros((64, 64)), n_iter=30, tol=0, track=False)
    np.testing.assert_allclose(x1, x2, atol=1e-9 * np.abs(x1).max())
    assert h2.objective == []


def test_gradient_descent_solves_least_squares(rng):
    op = MatrixOperator(rng.standard_normal((30, 8)))
    b = rng.standard_normal(30)
    x, hist = gradient_descent(LeastSquares(op, b), np.zeros(8), n_iter=5000, tol=1e-13)
    np.testing.assert_allclose(x, np.linalg.lstsq(op.matrix, b, rcond=None)[0], atol=1e-8)
    assert hist.converged


def test_conjugate_gradient_exact_in_n_steps_and_objective(rng):
    op = MatrixOperator(rng.standard_normal((30, 8)))
    b = rng.standard_normal(30)
    data = LeastSquares(op, b, ridge=0.5)
    x, hist = conjugate_gradient(data, np.zeros(8), n_iter=8, tol=0)
    expected = np.linalg.solve(op.matrix.T @ op.matrix + 0.5 * np.eye(8), op.matrix.T @ b)
    np.testing.assert_allclose(x, expected, atol=1e-9)
    assert np.isclose(hist.objective[-1], data.value(x), rtol=1e-9)


def test_reference_metrics_and_stopping(sparse_problem):
    data, lam, events = sparse_problem
    _, hist = fista(data, lam, np.zeros((64, 64)), n_iter=2000, tol=1e-4, reference=events, support_tol=0.5)
    assert hist.converged and hist.n_iter < 2000
    assert len(hist.psnr) == len(hist.objective) == len(hist.time) == len(hist.precision)
    assert hist.psnr[-1] > hist.psnr[1]
    assert list(hist.as_columns()) == ["iteration", "objective", "time", "psnr", "precision", "recall"]


def test_float32_agrees_with_float64(sparse_problem, mc_operator_64):
    data, lam, _ = sparse_problem
    x64, h64 = fista(data, lam, np.zeros((64, 64)), n_iter=200, tol=0)
    data32 = LeastSquares(mc_operator_64.astype(np.float32), data.data)
    x32, h32 = fista(data32, lam, np.zeros((64, 64), np.float32), n_iter=200, tol=0)
    assert x32.dtype == np.float32
    assert np.linalg.norm(x32 - x64) <= 1e-4 * np.linalg.norm(x64)
    assert np.isclose(h32.objective[-1], h64.objective[-1], rtol=1e-5)


@pytest.mark.parametrize("kw, match", [(dict(step=-1.0), "step"), (dict(step=1e9), "step"), (dict(n_iter=-1), "n_iter"),
                                       (dict(tol=-1e-3), "tol"), (dict(n_iter=2.5), "n_iter")])
def test_bad_solver_arguments_fail_fast(sparse_problem, kw, match):
    data, lam, _ = sparse_problem
    with pytest.raises((ValueError, TypeError), match=match):
        proximal_gradient(data, L1Norm(lam), np.zeros((64, 64)), **kw)


def test_integer_start_is_rejected(sparse_problem):
    data, lam, _ = sparse_problem
    with pytest.raises(TypeError, match="x0"):
        fista(data, lam, np.zeros((64, 64), dtype=int))


def test_fista_momentum_is_textbook(sparse_problem):
    """β_k = (t_{k-1} − 1) / t_k with t_1 = 1: the first two steps are plain ISTA steps."""
    data, lam, _ = sparse_problem
    x0 = np.zeros((64, 64))
    _, h_f = fista(data, lam, x0, n_iter=2, tol=0)
    _, h_i = ista(data, lam, x0, n_iter=2, tol=0)
    assert h_f.objective == h_i.objective
    _, h_f3 = fista(data, lam, x0, n_iter=3, tol=0)
    _, h_i3 = ista(data, lam, x0, n_iter=3, tol=0)
    assert h_f3.objective[3] != h_i3.objective[3]


def test_restart_reaches_the_same_minimum_in_fewer_iterations(sparse_problem):
    data, lam, _ = sparse_problem
    x0 = np.zeros((64, 64))
    _, ref = fista(data, lam, x0, n_iter=2000, tol=0, restart=True)
    f_star = min(ref.objective)

    def iterations_to(gap, **kw):
        _, h = fista(data, lam, x0, n_iter=2000, tol=0, **kw)
        rel = (np.asarray(h.objective) - f_star) / f_star
        return int(np.argmax(rel <= gap))

    plain, restarted = iterations_to(1e-6), iterations_to(1e-6, restart=True)
    assert 0 < restarted < plain


def test_adjoint_data_does_not_change_the_gradient(mc_operator_64, rng):
    """Regression: computing Aᵀb once must not corrupt the spectra the gradient uses."""
    b, y = rng.standard_normal((2, 64, 64))
    data = LeastSquares(mc_operator_64, b)
    before = data.grad(y)
    data.adjoint_data
    np.testing.assert_allclose(data.grad(y), before, atol=1e-15)
    np.testing.assert_allclose(data.value_and_grad(y)[1], before, atol=1e-15)


def test_a_term_that_breaks_the_contract_is_named_in_one_line(sparse_problem):
    """The solver checks the roles' members at its entry (no class check, no getattr fallback)."""
    data, lam, _ = sparse_problem

    class Bare:  # value/grad only: no lipschitz_constant, affine_gradient, fourier_form
        value, grad, value_and_grad = data.value, data.grad, data.value_and_grad

    with pytest.raises(TypeError) as info:
        fista(Bare(), lam, np.zeros((64, 64)), n_iter=3)
    message = str(info.value)
    assert message.startswith("smooth=Bare is not a smooth term") and "lipschitz_constant" in message
    assert "fourier_form" in message and "\n" not in message
    with pytest.raises(TypeError, match=r"penalty=an array of shape \(2,\) is not a penalty"):
        proximal_gradient(data, np.zeros(2), np.zeros((64, 64)), n_iter=3)

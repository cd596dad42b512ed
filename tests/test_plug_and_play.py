"""Plug-and-play deblurring: the x-step solves its normal equation; with trivial denoisers the
iterations reduce to closed forms; with a real denoiser the PSNR improves on the blurred image."""

import numpy as np
import pytest

from sparseimg.kernels import gaussian_operator, gaussian_psf
from sparseimg.metrics import psnr
from sparseimg.operators import LinearConvolution
from sparseimg.optim.plug_and_play import pnp_deblur, pnp_hqs, pnp_ista, x_step
from sparseimg.optim.tv import tv_prox


@pytest.fixture(scope="module")
def problem():
    from skimage import data, transform

    truth = transform.resize(data.camera().astype(float) / 255.0, (64, 64), anti_aliasing=True)
    op = gaussian_operator(truth.shape, 9, (1.6, 1.6))
    rng = np.random.default_rng(7)
    blurred = op.forward(truth) + 0.01 * rng.standard_normal(truth.shape)
    return truth, op, blurred


@pytest.mark.parametrize("kind", ["fourier", "linear"])
def test_x_step_solves_its_normal_equation(kind, problem):
    truth, op, y = problem
    if kind == "linear":
        op = LinearConvolution(gaussian_psf(9, (1.6, 1.6)), y.shape)
    z = np.random.default_rng(1).random(y.shape)
    for mu in (1e-3, 0.05, 2.0):
        x = x_step(op, y, z, mu)
        residual = op.normal(x) + mu * x - (op.adjoint(y) + mu * z)
        assert np.linalg.norm(residual) <= 1e-10 * np.linalg.norm(op.adjoint(y) + mu * z)


def test_identity_denoiser_gives_iterated_tikhonov(problem):
    """With denoise = identity, HQS is the proximal-point method: step k is the Tikhonov solution
    centred on step k−1; in Fourier, X_k = (|H|² + μ)⁻¹ (conj(H) Y + μ X_{k−1})."""
    truth, op, y = problem
    mu = 0.05
    z, run = pnp_hqs(y, op, lambda x, s: x, [1.0, 1.0, 1.0], lam=mu, noise_std=1.0)
    expected = y.copy()
    for _ in range(3):
        expected = op.irfft((np.conj(op.transfer) * op.rfft(y) + mu * op.rfft(expected)) / (op.power + mu))
    np.testing.assert_allclose(z, expected, atol=1e-12)
    assert run.mus == [mu] * 3


def test_zero_denoiser_gives_the_tikhonov_solution(problem):
    truth, op, y = problem
    mu = 0.02
    z, _ = pnp_hqs(y, op, lambda x, s: np.zeros_like(x), [1.0], lam=mu, noise_std=1.0, start=np.zeros_like(y))
    tikhonov = op.irfft(np.conj(op.transfer) * op.rfft(y) / (op.power + mu))
    # one x-step from z = 0 is Tikhonov; the zero denoiser then returns 0: compare the x-step
    np.testing.assert_allclose(x_step(op, y, np.zeros_like(y), mu), tikhonov, atol=1e-12)
    assert np.all(z == 0)


def test_algorithm_1_stops_at_the_input_noise_level_and_improves_psnr(problem):
    truth, op, y = problem
    from skimage.restoration import estimate_sigma

    z, run = pnp_deblur(y, op, lambda x, s: tv_prox(x, s, n_iter=30), lambda x: estimate_sigma(x), lam=1.0,
                        reference=truth, max_iter=50)
    assert run.stopped == "noise level reached" and 1 <= run.n_iter < 50
    assert run.mus == sorted(run.mus)  # the x-step weight grows as the estimated noise falls
    assert len(run.history.psnr) == run.n_iter + 1
    assert psnr(truth, z, data_range=1.0) > psnr(truth, y, data_range=1.0) + 1.0


def test_algorithm_1_guards_a_stuck_estimator(problem):
    truth, op, y = problem
    calls = iter([0.01] + [1.0] * 100)
    z, run = pnp_deblur(y, op, lambda x, s: x, lambda x: next(calls), max_iter=4)
    assert run.stopped == "max_iter" and run.n_iter == 4


def test_algorithm_1_guard_keeps_the_schedule_falling_at_most_geometrically(problem):
    truth, op, y = problem
    # β₀ = 0.01, β₁ = 0.1; the estimator then reads a rise, a collapse, a slow fall and the input level
    calls = iter([0.01, 0.5, 1e-6, 0.045, 0.009, 0.009, 0.009])
    seen = []
    z, run = pnp_deblur(y, op, lambda x, s: (seen.append(s), x)[1], lambda x: next(calls), lam=1.0,
                        start_factor=10.0, denoise_factor=2.0, max_fall=2.0, max_iter=10)
    # never above the previous level, never below half of it; stops once at or below β₀
    np.testing.assert_allclose(seen, [2 * 0.1, 2 * 0.05, 2 * 0.045, 2 * 0.0225, 2 * 0.01125, 2 * 0.009])
    assert run.stopped == "noise level reached" and run.n_iter == 6
    # without the guard the same readings stop the loop at the collapse
    calls = iter([0.01, 0.5, 1e-6])
    _, run = pnp_deblur(y, op, lambda x, s: x, lambda x: next(calls), max_iter=10)
    assert run.n_iter == 2 and run.betas == [2 * 0.5, 2 * 1e-6]


def test_pnp_ista_records_psnr_without_an_objective(problem):
    truth, op, y = problem
    z, history = pnp_ista(y, op, lambda x, s: tv_prox(x, s, n_iter=20), 0.02, n_iter=10, reference=truth)
    assert len(history.psnr) == 11 and np.all(np.isnan(history.objective))
    assert history.psnr[-1] > history.psnr[0]


@pytest.mark.parametrize("call, match", [
    (lambda y, op: pnp_deblur(y, op, lambda x, s: x, lambda x: 0.0), "noise_estimator"),
    (lambda y, op: pnp_deblur(y, op, lambda x, s: x, lambda x: 0.1, lam=-1.0), "lam"),
    (lambda y, op: pnp_deblur(y, op, lambda x, s: x, lambda x: 0.1, max_fall=1.0), "max_fall"),
    (lambda y, op: pnp_hqs(y, op, lambda x, s: x, [], lam=1.0, noise_std=0.1), "sigmas"),
    (lambda y, op: x_step(op, y, y, 0.0), "mu"),
])
def test_bad_arguments_fail_fast(call, match, problem):
    truth, op, y = problem
    with pytest.raises(ValueError, match=match):
        call(y, op)

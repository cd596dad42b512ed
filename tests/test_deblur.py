"""Section 2: the blur operator, the document's objective and its derivatives, TV, the deblurrers."""

import ast
import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.signal

from sparseimg.restoration import deconvolution
from sparseimg.experiments import Result, UnknownMethodError
from sparseimg.experiments import deblurring as db
from sparseimg.images import prepare_image
from sparseimg.kernels import gaussian_psf
from sparseimg.metrics import interior_psnr, psnr, quality
from sparseimg.optim.objectives import GradientTikhonov, SquareRootLoss, implicit_tikhonov_weight
from sparseimg.operators import LinearConvolution
from sparseimg.operators.gradient import divergence, gradient, gradient_adjoint
from sparseimg.optim.tv import DiscBallIndicator, DualTVObjective, TotalVariation, total_variation, tv_prox
from sparseimg.schema import ParamError, validate_block

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def small_image():
    """A 24×28 greyscale crop with structure (camera, rescaled)."""
    return prepare_image("camera", scale=0.125, crop=None)[20:44, 18:46].copy()


@pytest.fixture(scope="module")
def psf():
    return gaussian_psf(5, (1.0, 1.5))


@pytest.fixture(scope="module")
def noisy_problem(small_image, psf):
    return db.make_problem(small_image, psf, noise_std=0.01, seed=7)


# ---------------------------------------------------------------------------------------------
# The blur operator
# ---------------------------------------------------------------------------------------------
KERNELS = [np.arange(1.0, 10.0).reshape(3, 3), np.arange(1.0, 36.0).reshape(5, 7) ** 0.5,
           np.arange(1.0, 9.0).reshape(2, 4), gaussian_psf(13, (1.0, 3.0))]


@pytest.mark.parametrize("kernel", KERNELS, ids=["3x3", "5x7", "2x4-even", "document-13x13"])
@pytest.mark.parametrize("shape", [(16, 16), (21, 30)])
def test_forward_is_scipy_same_convolution(kernel, shape, rng):
    u = rng.standard_normal(shape)
    op = LinearConvolution(kernel, shape)
    np.testing.assert_allclose(op.forward(u), scipy.signal.convolve(u, kernel, mode="same"), atol=1e-12)
    assert op.forward(u).flags["C_CONTIGUOUS"] and op.adjoint(u).flags["C_CONTIGUOUS"]


def test_forward_is_the_documents_cropped_full_convolution(rng):
    kernel = gaussian_psf(13, (1.0, 3.0))
    u = rng.random((40, 33))
    full = scipy.signal.convolve(u, kernel, mode="full")
    np.testing.assert_allclose(LinearConvolution(kernel, u.shape).forward(u), full[6:-6, 6:-6], atol=1e-14)


@pytest.mark.parametrize("kernel", KERNELS, ids=["3x3", "5x7", "2x4-even", "document-13x13"])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_adjoint_identity(kernel, dtype, tol, rng):
    shape = (19, 26)
    op = LinearConvolution(kernel, shape, dtype=dtype)
    x, y = rng.standard_normal(shape), rng.standard_normal(shape)
    lhs = float(np.sum(op.forward(x).astype(np.float64) * y))
    rhs = float(np.sum(x * op.adjoint(y).astype(np.float64)))
    assert abs(lhs - rhs) <= tol * np.linalg.norm(x) * np.linalg.norm(y) * np.abs(kernel).sum()
    np.testing.assert_allclose(op.normal(x), op.adjoint(op.forward(x)), rtol=tol, atol=tol)


def test_fft_grid_is_padded_and_fast():
    op = LinearConvolution(np.ones((13, 13)), (171, 171))
    assert op.fft_shape[0] >= 171 + 12 and op.fft_shape == (192, 192)


def test_lipschitz_bound_is_an_upper_bound(psf, rng):
    op = LinearConvolution(psf, (20, 24))
    x = rng.standard_normal(op.shape)
    for _ in range(200):  # power iteration on AᵀA
        x = op.normal(x)
        x /= np.linalg.norm(x)
    estimate = float(np.sum(x * op.normal(x)))
    assert estimate <= op.lipschitz_constant() * (1 + 1e-12)
    assert op.lipschitz_constant() == pytest.approx(psf.sum() ** 2)


def test_circular_operator_wraps_and_agrees_inside(psf, rng):
    u = rng.random((24, 20))
    op = LinearConvolution(psf, u.shape)
    circ = op.circular()
    np.testing.assert_allclose(circ.forward(u), ndi.convolve(u, psf, mode="wrap"), atol=1e-12)
    inner = (slice(2, -2), slice(2, -2))  # farther than the kernel radius from the border
    np.testing.assert_allclose(circ.forward(u)[inner], op.forward(u)[inner], atol=1e-12)
    assert np.abs(circ.forward(u) - op.forward(u)).max() > 1e-3


def test_operator_validation():
    with pytest.raises(ValueError, match="psf has shape"):
        LinearConvolution(np.ones(3), (8, 8))
    op = LinearConvolution(np.ones((3, 3)), (8, 8))
    with pytest.raises(ValueError, match=r"x has shape \(8, 9\): expected \(8, 8\)"):
        op.forward(np.zeros((8, 9)))


# ---------------------------------------------------------------------------------------------
# The document's objective
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def loss_and_autograd(noisy_problem):
    loss = SquareRootLoss(noisy_problem.operator, noisy_problem.observed, 0.2)
    auto = deconvolution.document_objective_autograd(noisy_problem.observed, noisy_problem.psf, 0.2)
    return loss, auto


def test_objective_matches_autograd_version(loss_and_autograd, noisy_problem):
    loss, auto = loss_and_autograd
    x = deconvolution.random_start(noisy_problem.truth.shape, 3)
    assert loss.value(x) == pytest.approx(float(auto(x)), rel=1e-13)
    assert loss.value(x.reshape(noisy_problem.truth.shape)) == pytest.approx(loss.value(x), rel=1e-15)


def test_fft_gradient_matches_autograd(loss_and_autograd, noisy_problem):
    from autograd import grad
    loss, auto = loss_and_autograd
    for seed in (0, 1):
        x = deconvolution.random_start(noisy_problem.truth.shape, seed)
        g_auto = grad(auto)(x)
        g_fft = loss.grad(x)
        assert g_fft.shape == x.shape
        assert np.linalg.norm(g_fft - g_auto) <= 1e-10 * np.linalg.norm(g_auto)
    value, g = loss.value_and_grad(x)
    assert value == pytest.approx(loss.value(x), rel=1e-15)
    np.testing.assert_allclose(g, g_fft, rtol=1e-14, atol=0)


def test_gradient_matches_finite_differences(loss_and_autograd, noisy_problem, rng):
    loss, _ = loss_and_autograd
    x = noisy_problem.observed + 0.05 * rng.standard_normal(noisy_problem.observed.shape)
    g = loss.grad(x)
    h = 1e-6
    for _ in range(3):
        v = rng.standard_normal(x.shape)
        fd = (loss.value(x + h * v) - loss.value(x - h * v)) / (2 * h)
        assert fd == pytest.approx(float(np.sum(g * v)), rel=1e-6)


def test_hessian_vector_product_matches_autograd_and_differences(loss_and_autograd, noisy_problem, rng):
    from autograd.differential_operators import hessian_vector_product
    loss, auto = loss_and_autograd
    x = deconvolution.random_start(noisy_problem.truth.shape, 2)
    v = rng.standard_normal(x.shape)
    hv = loss.hessp(x, v)
    hv_auto = hessian_vector_product(auto)(x, v)
    assert np.linalg.norm(hv - hv_auto) <= 1e-10 * np.linalg.norm(hv_auto)
    h = 1e-5
    fd = (loss.grad(x + h * v) - loss.grad(x - h * v)) / (2 * h)
    assert np.linalg.norm(hv - fd) <= 1e-6 * np.linalg.norm(hv)


def test_loss_is_finite_at_an_exact_fit(small_image, psf):
    problem = db.make_problem(small_image, psf)
    loss = SquareRootLoss(problem.operator, problem.observed, 0.2)
    g = loss.grad(small_image)  # data residual exactly 0 there
    assert np.all(np.isfinite(g))
    assert np.all(np.isfinite(loss.hessp(small_image, np.ones_like(small_image))))
    flat = np.full(small_image.shape, 0.5)  # constant image: ‖∇u‖ = 0
    assert np.all(np.isfinite(loss.grad(flat)))


def test_fast_solvers_reach_the_documents_minimizer(noisy_problem):
    u_doc, run_doc = deconvolution.solve_document(noisy_problem.observed, noisy_problem.psf, mu=0.2, seed=0,
                                                  track=True, reference=noisy_problem.truth)
    assert run_doc.success and run_doc.n_jev > run_doc.n_iter > 0
    assert len(run_doc.history.objective) == run_doc.n_iter + 1
    assert run_doc.history.objective[-1] < run_doc.history.objective[0]
    loss = SquareRootLoss(noisy_problem.operator, noisy_problem.observed, 0.2)
    x0 = deconvolution.random_start(noisy_problem.truth.shape, 0)
    for method, opts in (("L-BFGS-B", {"gtol": 1e-8, "ftol": 1e-16}), ("Newton-CG", {"xtol": 1e-6})):
        u, run = deconvolution.minimize_loss(loss, x0, method=method, **opts)
        assert run.objective <= run_doc.objective + 1e-8
        assert abs(psnr(noisy_problem.truth, u, data_range=1.0)
                   - psnr(noisy_problem.truth, u_doc, data_range=1.0)) < 0.01
        assert np.abs(u - u_doc).max() < 1e-3
    assert run.n_hev > 0


def test_minimize_loss_validation(loss_and_autograd):
    loss, _ = loss_and_autograd
    x0 = np.zeros(loss.shape)
    with pytest.raises(ValueError, match="method='BFGS' is not allowed"):
        deconvolution.minimize_loss(loss, x0, method="BFGS")
    with pytest.raises(ValueError, match="xtol=0.1 is not an option of method='L-BFGS-B'"):
        deconvolution.minimize_loss(loss, x0, xtol=0.1)


def test_square_root_minimizer_is_a_tikhonov_solution(noisy_problem):
    """The document's minimizer solves the squared-loss normal equations at λ* = μ‖r‖/‖∇u‖."""
    loss = SquareRootLoss(noisy_problem.operator, noisy_problem.observed, 0.2)
    u, _ = deconvolution.minimize_loss(loss, noisy_problem.observed, gtol=1e-10, ftol=1e-16, maxiter=20000)
    lam = implicit_tikhonov_weight(loss, u)
    r_norm, g_norm = loss.residual_and_gradient_norms(u)
    assert lam == pytest.approx(0.2 * r_norm / g_norm)
    u_tik, history = deconvolution.tikhonov_deblur(noisy_problem.observed, noisy_problem.operator, lam,
                                                   n_iter=5000, tol=1e-12)
    assert np.abs(u_tik - u).max() < 1e-5
    assert history.converged
    with pytest.raises(ValueError, match="undefined"):
        implicit_tikhonov_weight(loss, np.ones(loss.shape))


def test_gradient_tikhonov_is_consistent(noisy_problem, rng):
    smooth = GradientTikhonov(noisy_problem.operator, noisy_problem.observed, 0.03)
    x = rng.standard_normal(noisy_problem.truth.shape)
    v = rng.standard_normal(x.shape)
    value, g = smooth.value_and_grad(x)
    h = 1e-6
    fd = (smooth.value(x + h * v) - smooth.value(x - h * v)) / (2 * h)
    assert fd == pytest.approx(float(np.sum(g * v)), rel=1e-7)
    np.testing.assert_allclose(smooth.normal(x) - smooth.adjoint_data, g, atol=1e-12)
    assert smooth.lipschitz_constant() >= 1.0


def test_circular_tikhonov_inverts_circular_data(small_image, psf):
    problem = db.make_problem(small_image, psf, boundary="circular")
    u = deconvolution.circular_tikhonov_deblur(problem.observed, problem.operator, 1e-8)
    assert psnr(small_image, u, data_range=1.0) > 60
    linear = db.make_problem(small_image, psf)
    u = deconvolution.circular_tikhonov_deblur(linear.observed, linear.operator, 1e-8)
    assert psnr(small_image, u, data_range=1.0) < 40


# ---------------------------------------------------------------------------------------------
# Total variation
# ---------------------------------------------------------------------------------------------
def test_gradient_adjoint_and_divergence(rng):
    u, p = rng.standard_normal((9, 12)), rng.standard_normal((2, 9, 12))
    assert np.sum(gradient(u) * p) == pytest.approx(np.sum(u * gradient_adjoint(p)), rel=1e-12)
    np.testing.assert_array_equal(divergence(p), -gradient_adjoint(p))
    g = gradient(u)
    assert np.all(g[0, -1] == 0) and np.all(g[1, :, -1] == 0)
    assert np.sum(g ** 2) == pytest.approx(np.sum(np.diff(u, axis=0) ** 2) + np.sum(np.diff(u, axis=1) ** 2))


def test_total_variation_values():
    assert total_variation(np.full((5, 6), 3.0)) == 0.0
    step = np.zeros((4, 6))
    step[:, 3:] = 2.0
    assert total_variation(step) == pytest.approx(4 * 2.0)  # 4 rows, one jump of 2 each
    ramp = np.add.outer(np.arange(3.0), np.arange(3.0))  # ∇ = (1, 1) inside
    assert total_variation(ramp) == pytest.approx(4 * np.sqrt(2) + 2 * 1 + 2 * 1)


def test_disc_ball_projection(rng):
    q = rng.standard_normal((2, 6, 7))
    proj = DiscBallIndicator(0.5).prox(q, 1.0)
    norms = np.sqrt(proj[0] ** 2 + proj[1] ** 2)
    assert norms.max() <= 0.5 + 1e-12
    inside = np.sqrt(q[0] ** 2 + q[1] ** 2) <= 0.5
    np.testing.assert_array_equal(proj[:, inside], q[:, inside])
    assert DiscBallIndicator(0.5).value(proj) == 0.0 and DiscBallIndicator(0.5).value(2 * q) == np.inf
    with pytest.raises(ValueError, match="radius=-1"):
        DiscBallIndicator(-1)


def test_dual_objective_gradient(rng):
    x = rng.standard_normal((6, 5))
    dual = DualTVObjective(x)
    q, v = rng.standard_normal((2, 6, 5)), rng.standard_normal((2, 6, 5))
    value, g = dual.value_and_grad(q)
    fd = (dual.value(q + 1e-6 * v) - dual.value(q - 1e-6 * v)) / 2e-6
    assert fd == pytest.approx(float(np.sum(g * v)), rel=1e-6)
    assert dual.affine_gradient and dual.lipschitz_constant() == 8.0


def test_tv_prox_is_a_minimizer(small_image, rng):
    x = small_image + 0.1 * rng.standard_normal(small_image.shape)
    w = 0.05
    z = tv_prox(x, w, n_iter=500, tol=1e-10)

    def objective(u):
        return 0.5 * np.sum((u - x) ** 2) + w * total_variation(u)

    assert objective(z) < objective(x)
    for _ in range(5):
        assert objective(z) <= objective(z + 1e-3 * rng.standard_normal(z.shape)) + 1e-9
    np.testing.assert_array_equal(tv_prox(x, 0.0), x)
    flat = tv_prox(x, 1e3, n_iter=2000, tol=0)  # a huge weight flattens to the mean
    np.testing.assert_allclose(flat, x.mean(), atol=1e-3)


def test_total_variation_penalty():
    pen = TotalVariation(0.1, n_iter=10)
    step = np.zeros((4, 6))
    step[:, 3:] = 1.0
    assert pen.value(step) == pytest.approx(0.1 * 4)
    np.testing.assert_allclose(pen.prox(step, 0.5), tv_prox(step, 0.05, n_iter=10, tol=pen.tol))
    with pytest.raises(ValueError, match="lam=-0.1"):
        TotalVariation(-0.1)
    with pytest.raises(AttributeError):
        pen.lam = 1.0  # frozen: no hidden state


def test_tv_deblur_decreases_objective_and_improves_psnr(noisy_problem):
    u, history = deconvolution.tv_deblur(noisy_problem.observed, noisy_problem.operator, 3e-3, n_iter=60,
                                         inner_iter=5, tol=0, reference=noisy_problem.truth)
    assert history.n_iter == 60
    assert history.objective[-1] < history.objective[0]
    assert psnr(noisy_problem.truth, u, data_range=1.0) > psnr(noisy_problem.truth, noisy_problem.observed,
                                                                data_range=1.0) + 1.0
    assert len(history.psnr) == 61


# ---------------------------------------------------------------------------------------------
# Problems, classical deblurrers, the method runner
# ---------------------------------------------------------------------------------------------
def test_make_problem(small_image, psf):
    a = db.make_problem(small_image, psf, noise_std=0.01, seed=3)
    b = db.make_problem(small_image, psf, noise_std=0.01, seed=3)
    np.testing.assert_array_equal(a.observed, b.observed)
    noise = a.observed - a.operator.forward(small_image)
    assert 0.007 < noise.std() < 0.013
    clean = db.make_problem(small_image, psf)
    np.testing.assert_array_equal(clean.observed, clean.operator.forward(small_image))
    with pytest.raises(ValueError, match="seed=None"):
        db.make_problem(small_image, psf, noise_std=0.01)
    with pytest.raises(ValueError, match="boundary='reflect'"):
        db.make_problem(small_image, psf, boundary="reflect")


def test_prepare_image_as_the_document():
    from skimage import color, data
    from skimage.transform import rescale
    expected = rescale(color.rgb2gray(data.astronaut()), 1.0 / 3.0, mode="constant")
    image = prepare_image("astronaut")
    assert image.shape == (171, 171)
    np.testing.assert_array_equal(image, expected)
    np.testing.assert_array_equal(prepare_image("astronaut", crop=64), expected[53:117, 53:117])
    with pytest.raises(ValueError, match="crop=200"):
        prepare_image("astronaut", crop=200)
    with pytest.raises(ValueError, match="scale=0"):
        prepare_image("astronaut", scale=0)


def test_random_start_is_seeded():
    a = deconvolution.random_start((4, 5), 0)
    np.testing.assert_array_equal(a, np.random.default_rng(0).standard_normal(20) / 10)


def test_classical_deblurrers_wired_correctly(small_image, psf):
    circular = db.make_problem(small_image, psf, boundary="circular")
    assert psnr(small_image, deconvolution.wiener_deblur(circular.observed, circular.psf, 1e-6), data_range=1.0) > 35
    linear = db.make_problem(small_image, psf)
    with pytest.raises(ValueError, match="balance=0"):
        deconvolution.wiener_deblur(linear.observed, linear.psf, 0)


def test_richardson_lucy_is_the_unnormalized_em_update(small_image):
    """scikit-image's RL is ``u ← u · Aᵀ(b / Au)`` with the exact operator.

    A non-symmetric PSF checks the orientation of the kernel.
    """
    kernel = np.arange(1.0, 16.0).reshape(3, 5) ** 1.5
    problem = db.make_problem(small_image, kernel / kernel.sum())
    op = problem.operator
    u = np.full(small_image.shape, 0.5)
    for _ in range(4):
        u = u * op.adjoint(problem.observed / (op.forward(u) + 1e-12))
    np.testing.assert_allclose(deconvolution.richardson_lucy_deblur(problem.observed, problem.psf, 4), u,
                               rtol=1e-10, atol=1e-13)
    v = np.full(small_image.shape, 0.5)
    for _ in range(4):
        v = v * op.adjoint(problem.observed / (op.forward(v) + 1e-12)) / op.adjoint(np.ones(small_image.shape))
    np.testing.assert_allclose(deconvolution.richardson_lucy_normalized(problem.observed, problem.operator, 4), v,
                               rtol=1e-10, atol=1e-13)


def test_border_normalization_keeps_richardson_lucy_converging(small_image, psf):
    problem = db.make_problem(small_image, psf)
    blurred = psnr(small_image, problem.observed, data_range=1.0)
    normalized = [psnr(small_image, deconvolution.richardson_lucy_normalized(problem.observed, problem.operator, n),
                       data_range=1.0) for n in (20, 200)]
    assert normalized[1] > normalized[0] > blurred + 2
    plain = psnr(small_image, deconvolution.richardson_lucy_deblur(problem.observed, problem.psf, 200), data_range=1.0)
    assert plain < blurred  # without Aᵀ1 the border pixels blow up


def test_unsupervised_wiener_is_seeded(small_image, psf):
    circular = db.make_problem(small_image, psf, boundary="circular")
    a, chains = deconvolution.unsupervised_wiener_deblur(circular.observed, circular.psf, seed=1)
    b, _ = deconvolution.unsupervised_wiener_deblur(circular.observed, circular.psf, seed=1)
    np.testing.assert_array_equal(a, b)
    assert set(chains) >= {"noise", "prior"}


def test_quality_and_interior_psnr(small_image):
    q = quality(small_image, small_image)
    assert q["psnr"] == np.inf and q["ssim"] == pytest.approx(1.0)
    noisy = small_image.copy()
    noisy[0, :] += 0.5  # an error on the border only
    assert interior_psnr(small_image, noisy, 1) == np.inf
    assert interior_psnr(small_image, noisy, 0) == pytest.approx(psnr(small_image, noisy, data_range=1.0))
    with pytest.raises(ValueError, match="margin=12"):
        interior_psnr(small_image, noisy, 12)


def test_sweep_and_choice():
    reference = np.zeros((4, 4))
    chosen, scores = db.choose_by_sweep(lambda v: np.full((4, 4), abs(v - 0.3)), [0.1, 0.3, 0.7], reference)
    assert chosen == 0.3 and scores[1] == np.inf
    assert db.sweep(lambda v: (np.full((4, 4), v), "info"), [0.1], reference) == [pytest.approx(20.0)]
    with pytest.raises(ValueError, match="values=\\[\\]"):
        db.choose_by_sweep(lambda v: v, [], reference)


def test_tune_weights_records_every_choice_inside_its_grid_or_at_a_bound_or_cap(small_image, psf):
    tuning = prepare_image("camera", scale=0.125, crop=None)[10:34, 30:58].copy()  # another crop: the tuning image
    cases = {"noiseless": 0.0, "noisy": 0.01}
    problems = {c: db.make_problem(small_image, psf, noise_std=s, seed=3) for c, s in cases.items()}
    tuning_problems = {c: db.make_problem(tuning, psf, noise_std=s, seed=4) for c, s in cases.items()}
    grids = {"tikhonov_cg": [1e-3, 1e-2, 1e-1], "richardson_lucy_normalized": [1, 3, 10]}
    settings = db.SolverSettings(cg_iter=30)
    kw = dict(sharp=small_image, tuning=tuning, rl_max_iter=40)
    one = db.tune_weights(problems, tuning_problems, grids, settings, workers=1, **kw)
    assert db.tune_weights(problems, tuning_problems, grids, settings, workers=2, **kw) == one
    weights, records, reported = one
    for case in cases:
        for name in grids:
            r = records[case][name]
            key = db.TUNED_WEIGHTS[name][0]
            assert weights[case][key] == r["value"] and r["scores"][r["grid"].index(r["value"])] == max(r["scores"])
            assert set(r["grid"]) >= set(grids[name]) and len(reported[case][name]) == len(r["grid"])
            # never the budget: a bound, or Richardson–Lucy's iteration cap (rl_max_iter), recorded as a cap
            assert not r["edge"] or r["reason"] == "bound" or (name.startswith("rich") and r["edge"] == "high"
                                                                and r["reason"] == "cap" and r["grid"][-1] * 3 > 40)
            # the score along the grid is the PSNR of that weight's estimate on the tuning image
            v = r["grid"][-1]
            est = db.METHODS[name](tuning_problems[case].observation,
                                   replace(settings, **{key: int(v) if name.startswith("rich") else v})).estimate
            assert r["scores"][-1] == pytest.approx(psnr(tuning, est, data_range=1.0))
        rl = records[case]["richardson_lucy_normalized"]
        assert isinstance(weights[case]["richardson_lucy_normalized"], int) and max(rl["grid"]) <= 40
        assert all(v == int(v) for v in rl["grid"])
    with pytest.raises(ValueError, match="grids has 'document_newton_cg'"):
        db.tune_weights(problems, tuning_problems, {"document_newton_cg": [1, 2]}, settings, **kw)
    with pytest.raises(ValueError, match="mu_min=0.0 is not allowed"):
        db.tune_weights(problems, tuning_problems, grids, settings, mu_min=0.0, **kw)


def test_tune_weights_keeps_the_chosen_run_on_the_reported_problem(small_image, psf):
    """The notebook reuses the tracked run made in the sweep on the reported image: it must be the run
    run_timed makes with tracked settings, and tracking must not change an estimate (the sweep's PSNRs are the same)."""
    tuning = prepare_image("camera", scale=0.125, crop=None)[10:34, 30:58].copy()
    problems = {"noisy": db.make_problem(small_image, psf, noise_std=0.01, seed=3)}
    tuning_problems = {"noisy": db.make_problem(tuning, psf, noise_std=0.01, seed=4)}
    grids = {"sqrt_loss_tuned": [0.02, 0.05, 0.1], "tikhonov_cg": [1e-3, 1e-2, 1e-1], "tv_fista": [1e-4, 1e-3, 1e-2],
             "wiener": [0.1, 1.0, 10.0], "richardson_lucy": [1, 3, 10], "richardson_lucy_normalized": [1, 3, 10]}
    settings = db.SolverSettings(cg_iter=30, tv_iter=20)
    kw = dict(sharp=small_image, tuning=tuning, rl_max_iter=40, max_extend=1)
    plain = db.tune_weights(problems, tuning_problems, grids, settings, workers=1, **kw)
    *kept, chosen = db.tune_weights(problems, tuning_problems, grids, settings, workers=2, keep_chosen=True, **kw)
    assert tuple(kept) == plain
    weights = plain[0]["noisy"]
    for name in grids:
        direct, _ = db.run_timed(name, problems["noisy"].observation,
                                 db.tracked(replace(settings, **weights), problems["noisy"]))
        run, seconds = chosen["noisy"][name]
        assert seconds > 0
        np.testing.assert_array_equal(run.estimate, direct.estimate)
        assert run.details == direct.details and (run.history is None) == (direct.history is None)
        if direct.history is not None:
            assert run.history.objective == direct.history.objective and run.history.psnr == direct.history.psnr


WEIGHTS = {"sqrt_mu": 0.05, "tikhonov": 1e-3, "tv": 1e-3, "wiener": 0.1, "richardson_lucy": 3,
           "richardson_lucy_normalized": 10}


@pytest.mark.parametrize("name", db.METHODS)
def test_every_method_runs(name, noisy_problem):
    settings = db.SolverSettings(cg_iter=50, tv_iter=20, tv_inner_iter=3, **WEIGHTS)
    res, seconds = db.run_timed(name, noisy_problem.observation, db.tracked(settings, noisy_problem))
    assert isinstance(res, Result)
    assert res.estimate.shape == noisy_problem.truth.shape and np.all(np.isfinite(res.estimate))
    assert seconds > 0
    if name in db.TUNED_WEIGHTS:
        assert res.details["weight"] == WEIGHTS[db.TUNED_WEIGHTS[name][0]]
    if res.history is not None:
        assert len(res.history.psnr) == len(res.history.objective) > 1
        # the monitor scores each iterate as the solver's history records it
        assert res.history.psnr[-1] == pytest.approx(db.PSNRMonitor(noisy_problem.truth)(res.estimate), abs=1e-9)
    untracked = db.METHODS[name](noisy_problem.observation, settings)
    np.testing.assert_array_equal(untracked.estimate, res.estimate)  # the monitor never changes an estimate
    assert untracked.history is None or not untracked.history.psnr


def test_the_method_sees_no_ground_truth_and_the_settings_come_from_the_block(noisy_problem):
    from dataclasses import fields

    from sparseimg.workspace.sections import get_section

    assert {f.name for f in fields(db.Observation)} == {"observed", "psf", "operator", "noise_std"}  # no truth
    block = get_section("deblurring").quick_params()
    settings = db.SolverSettings.from_params(block)
    assert settings.monitor is None and settings.mu == block["mu"] and settings.tv_iter == block["tv_iter"]
    assert settings.tikhonov == sorted(block["tikhonov_grid"])[1] and isinstance(settings.richardson_lucy, int)
    assert {f.name for f in fields(settings)} >= {key for key, _ in db.TUNED_WEIGHTS.values()}


def test_method_validation(noisy_problem):
    with pytest.raises(UnknownMethodError, match="method='magic' is not allowed in section deblurring: "
                                                 "expected one of document_newton_cg, lbfgs_fft"):
        db.run_timed("magic", noisy_problem.observation, db.SolverSettings())
    with pytest.raises(UnknownMethodError, match="method='TV, FISTA' is not allowed"):  # a label is not a key
        db.METHODS["TV, FISTA"]
    with pytest.raises(ValueError, match="settings.tv=None is not allowed: method 'tv_fista' needs its tuned weight"):
        db.METHODS["tv_fista"](noisy_problem.observation, db.SolverSettings())


def test_tables_cover_every_method():
    assert set(db.BOUNDARY_MODELS) == set(db.METHODS)
    assert set(db.TUNED_WEIGHTS) <= set(db.METHODS)
    assert set(db.METHODS.labels) == set(db.METHODS)
    assert len(set(db.METHODS.labels.values())) == len(db.METHODS)  # figures tell the methods apart


# ---------------------------------------------------------------------------------------------
# The README's example: a user's blurred photo and PSF
# ---------------------------------------------------------------------------------------------
def _readme_example() -> str:
    """The deblurring ```python block under the README's "Your own image" heading (read, not copied)."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Your own image"):]
    section = section[:section.index("\n## ", 5)]
    return next(b for b in re.findall(r"```python\n(.*?)```", section, re.S) if b.startswith("# deblurring"))


README_EXAMPLE = _readme_example()


def test_readme_example_deblurs_a_user_png(tmp_path, monkeypatch):
    """The README's lines, verbatim, on a PNG written as a user's photo would be (8-bit grey)."""
    from skimage import io
    sharp = prepare_image("camera", scale=0.25, crop=96)  # a packaged image, 96×96
    psf = gaussian_psf(13, (1.0, 3.0))
    blurred_8bit = np.round(np.clip(scipy.signal.convolve(sharp, psf, mode="same"), 0, 1) * 255).astype(np.uint8)
    io.imsave(tmp_path / "blurred.png", blurred_8bit, check_contrast=False)
    np.save(tmp_path / "psf.npy", psf)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(README_EXAMPLE, namespace)
    blurred, restored, history = namespace["blurred"], namespace["restored"], namespace["history"]
    np.testing.assert_allclose(blurred, blurred_8bit / 255.0, rtol=0, atol=1e-12)  # floats in [0, 1]
    np.testing.assert_array_equal(np.load("psf.npy"), namespace["psf"])
    assert restored.shape == sharp.shape and np.all(np.isfinite(restored))
    assert history.n_iter == 100 and history.objective[-1] < history.objective[0]
    from sparseimg import deblur
    np.testing.assert_allclose(deblur(blurred, namespace["psf"], lam=2e-4, n_iter=100), restored, atol=1e-12)
    gain = psnr(sharp, restored, data_range=1.0) - psnr(sharp, blurred, data_range=1.0)
    assert gain > 1.0, f"TV deblurring gained only {gain:.2f} dB"


# ---------------------------------------------------------------------------------------------
# The section: schema and notebook agree
# ---------------------------------------------------------------------------------------------
def _parameters_cell():
    nb = json.loads((ROOT / "notebooks" / "02_deblurring.ipynb").read_text())
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    tree = ast.parse("".join(cell["source"]))
    return {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body}


def test_notebook_parameters_match_schema():
    from sparseimg.workspace.sections import deblurring
    values = _parameters_cell()
    assert set(values) == set(deblurring.SCHEMA) | {"dpi", "progress", "output_dir", "notebook"}
    assert values["notebook"] == deblurring.NOTEBOOK
    assert values["progress"] is False and values["output_dir"] is None
    block = {k: values[k] for k in deblurring.SCHEMA}
    validated = validate_block("deblurring", block, deblurring.SCHEMA, root=ROOT)
    assert validated["image"] == "astronaut"


def test_schema_rejects_bad_values():
    from sparseimg.workspace.sections import deblurring
    block = {k: v for k, v in _parameters_cell().items() if k in deblurring.SCHEMA}
    for key, bad, message in [("image", "missing.png", "no such file"), ("psf_sigma", [1.0], "a list of 2 items"),
                              ("noise_sigma", 0.0, "expected a number"), ("crop", 8, "16 <= crop")]:
        with pytest.raises(ParamError, match=f"deblurring.{key}="):
            validate_block("deblurring", {**block, key: bad}, deblurring.SCHEMA, root=ROOT)
        try:
            validate_block("deblurring", {**block, key: bad}, deblurring.SCHEMA, root=ROOT)
        except ParamError as exc:
            assert message in str(exc)



def test_schema_rule_rejects_tuning_on_the_reported_image():
    """The notebook no longer checks this itself: the section's RULES do, before anything runs."""
    from sparseimg.workspace.sections import deblurring
    block = {k: v for k, v in _parameters_cell().items() if k in deblurring.SCHEMA}
    for rule in deblurring.RULES:
        rule(block)  # the quick defaults pass
    with pytest.raises(ParamError, match="deblurring.tuning_image='astronaut' is not allowed: expected an image "
                                         "other than deblurring.image='astronaut'"):
        for rule in deblurring.RULES:
            rule({**block, "tuning_image": "astronaut"})


@pytest.mark.parametrize("edits, expected", [
    ({"mu_min": 0.01}, ["deblurring.mu_min=0.01", "at most 0.005", "deblurring.mu_grid"]),
    ({"rl_max_iter": 100}, ["deblurring.rl_max_iter=100", "at least 200", "deblurring.rl_grid"]),
])
def test_tuning_bounds_must_lie_outside_the_starting_grids(tmp_path, edits, expected):
    import yaml

    from sparseimg.schema import ParamError
    from sparseimg.workspace.runner import load_section_params

    root = Path(__file__).resolve().parents[1]
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["deblurring"].update(edits)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    with pytest.raises(ParamError) as info:
        load_section_params("deblurring", tmp_path / "params.yaml", root=root)
    line = str(info.value)
    assert "\n" not in line and all(text in line for text in expected), line

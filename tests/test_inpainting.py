"""Unit and property tests of section 4's library code, on small images: masks
(:mod:`sparseimg.operators.mask`), matrix completion (:mod:`sparseimg.restoration.completion`),
held-out selection (:mod:`sparseimg.restoration.selection`), DCT frames and denoisers, the slimmed
:mod:`sparseimg.restoration.inpainting`, the method registry and the section's parameter schema."""

import numpy as np
import pytest

from sparseimg.restoration.completion import (
    _masked_gram, adam_factorize, als_factorize, als_inpaint, reconstruct, soft_impute, soft_impute_inpaint,
    soft_impute_path,
)
from sparseimg.restoration.denoisers import DenoiserProx, shifted_dct_threshold
from sparseimg.images import check_color_image
from sparseimg.restoration.inpainting import (
    biharmonic_inpaint, dct_l1_inpaint, dct_threshold_inpaint, normalized_convolution, rff_features, rff_inpaint,
)
from sparseimg.metrics import inpainting_scores, psnr
from sparseimg.operators.dct import MaskedDCTSynthesis, shifted_block_dct, shifted_block_idct
from sparseimg.operators.mask import MaskOperator, apply_mask, fixed_count_mask, keep_observed, random_mask
from sparseimg.optim.prox import NuclearNorm
from sparseimg.restoration.selection import holdout_split, select_along_path, select_by_holdout
from sparseimg.optim.solvers import adam_minimize


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def smooth_rgb():
    """A smooth 32 x 32 RGB image in [0, 1] (sums of low-frequency cosines)."""
    y, x = np.mgrid[0:32, 0:32] / 32.0
    chans = [0.5 + 0.3 * np.cos(2 * np.pi * (x + 0.5 * y)) + 0.1 * np.sin(2 * np.pi * 2 * y),
             0.5 + 0.25 * np.sin(2 * np.pi * (x - y)),
             0.4 + 0.2 * np.cos(2 * np.pi * 1.5 * x) * np.cos(2 * np.pi * y)]
    return np.clip(np.stack(chans, axis=-1), 0, 1)


@pytest.fixture(scope="module")
def low_rank_rgb():
    """An exactly rank-2-per-channel 30 x 28 RGB image in [0.1, 0.9]."""
    rng = np.random.default_rng(3)
    chans = []
    for _ in range(3):
        w = rng.uniform(0.2, 0.6, (30, 2))
        h = rng.uniform(0.2, 0.7, (2, 28))
        chans.append(w @ h)
    return np.stack(chans, axis=-1)


def _garbage_at(image, missing, seed=0):
    """Same observed pixels, random values (and a NaN) at the missing ones."""
    out = np.array(image, dtype=float)
    rng = np.random.default_rng(seed)
    out[missing] = rng.uniform(-5, 5, out[missing].shape)
    out[np.argwhere(missing)[0][0], np.argwhere(missing)[0][1]] = np.nan
    return out


# --------------------------------------------------------------------------- masks and checks

def test_random_mask_is_seeded_and_near_its_proportion():
    a = random_mask((200, 150), 0.3, seed=5)
    b = random_mask((200, 150), 0.3, seed=5)
    assert a.dtype == bool and a.shape == (200, 150)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, random_mask((200, 150), 0.3, seed=6))
    assert abs(a.mean() - 0.3) < 0.01


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5])
def test_random_mask_rejects_bad_proportion(bad):
    with pytest.raises(ValueError, match="proportion"):
        random_mask((8, 8), bad, seed=0)


def test_fixed_count_mask_has_exactly_count_pixels():
    m = fixed_count_mask((50, 40), 900, seed=1)
    assert m.sum() == 900
    np.testing.assert_array_equal(m, fixed_count_mask((50, 40), 900, seed=1))
    with pytest.raises(ValueError, match="count"):
        fixed_count_mask((10, 10), 100, seed=0)


def test_apply_mask_fills_every_channel_and_keeps_the_rest(smooth_rgb):
    m = random_mask(smooth_rgb.shape[:2], 0.4, seed=0)
    out = apply_mask(smooth_rgb, m)
    assert np.isnan(out[m]).all()
    np.testing.assert_array_equal(out[~m], smooth_rgb[~m])
    with pytest.raises(ValueError, match="shape"):
        apply_mask(smooth_rgb, m[:-1])
    with pytest.raises(TypeError, match="boolean"):
        apply_mask(smooth_rgb, m.astype(int))


def test_holdout_split_hides_observed_pixels_only():
    m = random_mask((40, 40), 0.5, seed=0)
    train, val = holdout_split(m, 0.2, seed=1)
    assert not (val & m).any()
    np.testing.assert_array_equal(train, m | val)
    assert val.sum() == round(0.2 * (~m).sum())
    with pytest.raises(ValueError, match="fraction"):
        holdout_split(m, 1.0, seed=0)


def test_check_color_image_names_the_mismatch():
    assert check_color_image(np.zeros((4, 5, 3))).shape == (4, 5, 3)
    with pytest.raises(ValueError, match="greyscale"):
        check_color_image(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="RGBA"):
        check_color_image(np.zeros((4, 5, 4)))


def test_all_missing_is_refused(smooth_rgb):
    with pytest.raises(ValueError, match="every pixel"):
        normalized_convolution(smooth_rgb, np.ones(smooth_rgb.shape[:2], bool))


def test_inpainting_scores(smooth_rgb):
    m = random_mask(smooth_rgb.shape[:2], 0.3, seed=0)
    s = inpainting_scores(smooth_rgb, smooth_rgb, m)
    assert s["rmse"] == 0 and s["rmse_missing"] == 0 and s["psnr"] == float("inf")
    est = keep_observed(smooth_rgb, m, np.zeros_like(smooth_rgb))
    s = inpainting_scores(smooth_rgb, est, m)
    assert s["rmse_observed"] == 0
    np.testing.assert_allclose(s["rmse_missing"], np.sqrt(np.mean(smooth_rgb[m] ** 2)))


# --------------------------------------------------------------------------- no method reads the missing pixels

METHODS = {
    "adam": lambda img, m: reconstruct(adam_factorize(img, m, 3, n_iter=5, seed=0)),
    "als": lambda img, m: reconstruct(als_factorize(img, m, 2, ridge=0.1, n_iter=2)),
    "soft_impute": lambda img, m: soft_impute(img, m, 0.1, n_path=2, n_iter=3),
    "dct_l1": lambda img, m: dct_l1_inpaint(img, m, block=8, stride=4, n_iter=5)[0],
    "dct_threshold": lambda img, m: dct_threshold_inpaint(img, m, n_stages=2, iter_per_stage=1, stride=4),
    "rff": lambda img, m: rff_inpaint(img, m, n_features=20, sigma=4.0),
    "normalized_convolution": lambda img, m: normalized_convolution(img, m),
    "biharmonic": lambda img, m: biharmonic_inpaint(img, m),
}


@pytest.mark.parametrize("name", sorted(METHODS))
def test_methods_never_read_missing_pixels(name, smooth_rgb):
    m = random_mask(smooth_rgb.shape[:2], 0.3, seed=2)
    clean = METHODS[name](apply_mask(smooth_rgb, m, fill=0.0), m)
    dirty = METHODS[name](_garbage_at(smooth_rgb, m), m)
    assert clean.shape == smooth_rgb.shape
    np.testing.assert_array_equal(clean, dirty)
    assert np.all(np.isfinite(clean))


@pytest.mark.parametrize("name", sorted(set(METHODS) - {"adam", "als"}))
def test_completions_keep_the_observed_pixels(name, smooth_rgb):
    m = random_mask(smooth_rgb.shape[:2], 0.3, seed=2)
    est = METHODS[name](apply_mask(smooth_rgb, m), m)
    np.testing.assert_array_equal(est[~m], smooth_rgb[~m])


def test_greyscale_images_work(smooth_rgb):
    gray = smooth_rgb.mean(axis=2)
    m = random_mask(gray.shape, 0.3, seed=0)
    for fn in (lambda: dct_threshold_inpaint(gray, m, n_stages=2, iter_per_stage=1, stride=4),
               lambda: soft_impute(gray, m, 0.1, n_path=2, n_iter=2),
               lambda: dct_l1_inpaint(gray, m, n_iter=3)[0],
               lambda: biharmonic_inpaint(gray, m)):
        assert fn().shape == gray.shape


# --------------------------------------------------------------------------- Adam and the document's fit

def test_adam_first_step_and_convergence_on_a_quadratic():
    target = np.array([1.0, -2.0, 3.0])

    def value_and_grad(params):
        (x,) = params
        return 0.5 * float(np.sum((x - target) ** 2)), [x - target]

    (x1,), _ = adam_minimize(value_and_grad, [np.zeros(3)], learning_rate=0.1, n_iter=1)
    # bias-corrected first step: lr · g / (|g| + eps) with g = −target
    np.testing.assert_allclose(x1, 0.1 * np.sign(target), rtol=1e-6)
    (x,), losses = adam_minimize(value_and_grad, [np.zeros(3)], learning_rate=0.1, n_iter=2000)
    np.testing.assert_allclose(x, target, atol=1e-3)
    assert losses[-1] < 1e-5 < losses[0]


def test_adam_factorize_gradient_matches_the_analytic_one(low_rank_rgb):
    """The autograd gradient of Σ_c ‖(W_c H_c − A_c)[obs]‖ against the closed form, via one Adam step."""
    m = random_mask(low_rank_rgb.shape[:2], 0.3, seed=0)
    fac = adam_factorize(low_rank_rgb, m, 4, n_iter=1, learning_rate=1e-3, seed=7, dtype=np.float64)
    rng = np.random.default_rng(7)
    w0 = rng.standard_normal((3, 30, 4))
    h0 = rng.standard_normal((3, 4, 28))
    a = np.moveaxis(np.where(m[..., None], 0, low_rank_rgb), -1, 0)
    resid = (w0 @ h0) * ~m - a
    norms = np.sqrt((resid ** 2).sum(axis=(1, 2)))
    grad_w = (resid / norms[:, None, None]) @ np.swapaxes(h0, 1, 2)
    # the first bias-corrected Adam step is lr · g / (|g| + eps)
    np.testing.assert_allclose(fac.w, w0 - 1e-3 * grad_w / (np.abs(grad_w) + 1e-8), rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(fac.losses[0], norms.sum(), rtol=1e-12)


def test_adam_factorize_channels_are_independent_fits(low_rank_rgb):
    m = random_mask(low_rank_rgb.shape[:2], 0.3, seed=0)
    other = low_rank_rgb.copy()
    other[..., 1:] = 0.5 * other[..., 1:]
    a = adam_factorize(low_rank_rgb, m, 3, n_iter=20, seed=1, dtype=np.float64)
    b = adam_factorize(other, m, 3, n_iter=20, seed=1, dtype=np.float64)
    np.testing.assert_array_equal(a.w[0], b.w[0])
    np.testing.assert_array_equal(a.h[0], b.h[0])
    assert not np.allclose(a.w[1], b.w[1])


def test_adam_factorize_fits_the_observed_entries(low_rank_rgb):
    m = random_mask(low_rank_rgb.shape[:2], 0.2, seed=0)
    fac = adam_factorize(low_rank_rgb, m, 4, n_iter=600, learning_rate=0.01, init_scale=0.3, seed=0)
    scores = inpainting_scores(low_rank_rgb, reconstruct(fac), m)
    assert fac.losses[-1] < 0.1 * fac.losses[0]
    assert scores["rmse_observed"] < 0.02
    assert fac.w.dtype == np.float32  # the document's precision by default


# --------------------------------------------------------------------------- ALS

def test_masked_gram_matches_a_loop():
    rng = np.random.default_rng(0)
    obs = rng.random((6, 9)) > 0.4
    f = rng.standard_normal((9, 4))
    for dtype in (np.float64, np.float32):
        gram = _masked_gram(obs.astype(dtype), f)
        expected = np.stack([sum(np.outer(f[j], f[j]) for j in range(9) if obs[i, j]) for i in range(6)])
        np.testing.assert_allclose(gram, expected, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)
        assert gram.dtype == np.float64


def test_als_recovers_an_exactly_low_rank_image(low_rank_rgb):
    m = random_mask(low_rank_rgb.shape[:2], 0.3, seed=0)
    fac = als_factorize(apply_mask(low_rank_rgb, m), m, 2, ridge=1e-6, n_iter=60, center=False,
                           gram_dtype=np.float64)
    scores = inpainting_scores(low_rank_rgb, reconstruct(fac), m)
    assert scores["rmse_missing"] < 1e-3
    assert np.all(np.diff(fac.losses) <= 1e-9 * fac.losses[0])  # each half-sweep is an exact minimization


def test_als_objective_never_increases(smooth_rgb):
    m = random_mask(smooth_rgb.shape[:2], 0.5, seed=1)
    fac = als_factorize(smooth_rgb, m, 5, ridge=0.5, n_iter=10, gram_dtype=np.float64)
    assert np.all(np.diff(fac.losses) <= 1e-10 * fac.losses[0])


def test_als_validation():
    img = np.zeros((5, 5, 3))
    m = np.zeros((5, 5), bool)
    with pytest.raises(ValueError, match="ridge"):
        als_factorize(img, m, 2, ridge=0.0)
    with pytest.raises(ValueError, match="gram_dtype"):
        als_factorize(img, m, 2, gram_dtype=np.int32)


# --------------------------------------------------------------------------- nuclear norm

@pytest.mark.parametrize("shape", [(3, 12, 20), (2, 20, 12), (1, 9, 9)])
def test_nuclear_norm_prox_is_singular_value_thresholding(shape):
    x = np.random.default_rng(1).standard_normal(shape)
    pen = NuclearNorm(1.5)
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    expected = (u * np.maximum(s - 1.5 * 0.7, 0)[..., None, :]) @ vt
    np.testing.assert_allclose(pen.prox(x, 0.7), expected, atol=1e-10)
    np.testing.assert_allclose(pen.value(x), 1.5 * s.sum())


def test_nuclear_norm_prox_is_optimal():
    """prox minimizes ½‖z − x‖² + τ‖z‖_*: no random perturbation does better."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 8, 6))
    pen = NuclearNorm(0.8)
    z = pen.prox(x, 1.0)

    def objective(v):
        return 0.5 * np.sum((v - x) ** 2) + pen.value(v)

    best = objective(z)
    assert all(objective(z + 1e-3 * rng.standard_normal(z.shape)) >= best for _ in range(50))


def test_mask_operator_is_self_adjoint():
    rng = np.random.default_rng(0)
    m = rng.random((7, 9)) > 0.5
    op = MaskOperator(m)
    x, y = rng.standard_normal((2, 3, 7, 9))
    np.testing.assert_allclose(np.vdot(op.forward(x), y), np.vdot(x, op.adjoint(y)))


def test_soft_impute_completes_a_low_rank_image(low_rank_rgb):
    m = random_mask(low_rank_rgb.shape[:2], 0.3, seed=0)
    est = soft_impute(apply_mask(low_rank_rgb, m), m, 0.01, n_path=4, n_iter=100, tol=1e-7)
    mean_fill = keep_observed(low_rank_rgb, m, np.broadcast_to(low_rank_rgb[~m].mean(0), low_rank_rgb.shape))
    assert inpainting_scores(low_rank_rgb, est, m)["rmse_missing"] < \
        0.2 * inpainting_scores(low_rank_rgb, mean_fill, m)["rmse_missing"]


def test_soft_impute_path_validation(low_rank_rgb):
    m = random_mask(low_rank_rgb.shape[:2], 0.3, seed=0)
    with pytest.raises(ValueError, match="non-increasing"):
        soft_impute_path(low_rank_rgb, m, [0.1, 1.0])
    estimates, histories = soft_impute_path(low_rank_rgb, m, [1.0, 0.1], n_iter=3)
    assert len(estimates) == len(histories) == 2


# --------------------------------------------------------------------------- DCT frames

FRAMES = [(8, 4, False), (8, 8, False), (4, 2, True), (None, 1, False), (None, 1, True)]


@pytest.mark.parametrize("block, stride, color", FRAMES)
def test_shifted_block_dct_adjoint_and_tightness(block, stride, color):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 21, 18))
    c = shifted_block_dct(x, block=block, stride=stride, color=color)
    c2 = rng.standard_normal(c.shape)
    y = shifted_block_idct(c2, (21, 18), block=block, stride=stride, color=color)
    np.testing.assert_allclose(np.vdot(c, c2), np.vdot(x, y), rtol=1e-10)  # ⟨Dᵀx, c⟩ = ⟨x, Dc⟩
    np.testing.assert_allclose(shifted_block_idct(c, (21, 18), block=block, stride=stride, color=color), x,
                               atol=1e-12)  # D Dᵀ = I on the image
    np.testing.assert_allclose(np.linalg.norm(c), np.linalg.norm(x), rtol=1e-12)  # ‖Dᵀx‖ = ‖x‖


def test_shifted_block_dct_validation():
    with pytest.raises(ValueError, match="divisor"):
        shifted_block_dct(np.zeros((1, 8, 8)), block=8, stride=3)
    with pytest.raises(ValueError, match="coefs"):
        shifted_block_idct(np.zeros((1, 1, 8, 8)), (8, 8), block=8, stride=4)


def test_masked_dct_synthesis_operator_protocol():
    rng = np.random.default_rng(1)
    m = rng.random((20, 22)) > 0.6
    op = MaskedDCTSynthesis(m, 3, block=8, stride=4, color=True)
    c = rng.standard_normal(op.coef_shape)
    y = rng.standard_normal(op.image_shape)
    np.testing.assert_allclose(np.vdot(op.forward(c), y), np.vdot(c, op.adjoint(y)), rtol=1e-10)
    v = rng.standard_normal(op.coef_shape)  # power iteration: ‖P D‖² <= lipschitz_constant()
    for _ in range(30):
        v = op.adjoint(op.forward(v))
        v /= np.linalg.norm(v)
    assert np.linalg.norm(op.forward(v)) ** 2 <= op.lipschitz_constant() + 1e-12
    weights = op.dc_weights()
    assert weights.shape == op.coef_shape and (weights == 0).sum() == np.prod(op.coef_shape) // 64
    with pytest.raises(ValueError, match="3 channels"):
        MaskedDCTSynthesis(m, 1, color=True)


def test_dct_l1_inpaint_decreases_its_objective(smooth_rgb):
    m = random_mask(smooth_rgb.shape[:2], 0.4, seed=0)
    est, hist = dct_l1_inpaint(apply_mask(smooth_rgb, m), m, lam=1e-3, block=8, stride=4, n_iter=60)
    assert hist.objective[-1] < hist.objective[0]
    assert psnr(smooth_rgb, est, data_range=1.0) > 30


@pytest.mark.parametrize("color", [False, True])
def test_shifted_dct_threshold_zero_is_identity_and_constants_survive(color):
    rng = np.random.default_rng(0)
    x = rng.random((3, 19, 23))
    np.testing.assert_allclose(shifted_dct_threshold(x, 0.0, block=8, stride=2, color=color), x, atol=1e-12)
    flat = np.full((3, 19, 23), 0.3)
    np.testing.assert_allclose(shifted_dct_threshold(flat, 10.0, block=8, stride=4, color=color), flat, atol=1e-12)


def test_shifted_dct_threshold_as_a_plug_and_play_prox():
    pen = DenoiserProx(shifted_dct_threshold, 0.1, options={"block": 8, "stride": 4, "color": False})
    x = np.random.default_rng(0).random((1, 16, 16))
    expected = shifted_dct_threshold(x, 0.1, block=8, stride=4, color=False)
    np.testing.assert_array_equal(pen.prox(x, 1.0), expected)
    np.testing.assert_array_equal(pen.prox(x, 0.25), expected)  # the step does not scale the threshold
    assert not pen.has_value  # no objective to track
    with pytest.raises(ValueError, match="no value"):
        pen.value(x)
    with pytest.raises(ValueError, match="mode"):
        DenoiserProx(shifted_dct_threshold, 0.1, options={"mode": "firm"}).prox(x, 1.0)


def test_dct_threshold_inpaint_beats_its_start(smooth_rgb):
    m = random_mask(smooth_rgb.shape[:2], 0.5, seed=0)
    masked = apply_mask(smooth_rgb, m)
    start = normalized_convolution(masked, m, sigma=1.0)
    seen = []
    est = dct_threshold_inpaint(masked, m, n_stages=6, iter_per_stage=2, stride=4,
                                   callback=lambda k, e: seen.append(k))
    assert seen == list(range(6))
    assert psnr(smooth_rgb, est, data_range=1.0) > psnr(smooth_rgb, start, data_range=1.0) + 3
    with pytest.raises(ValueError, match="threshold_end"):
        dct_threshold_inpaint(masked, m, threshold_start=0.01, threshold_end=0.1)


# --------------------------------------------------------------------------- RFF and normalized convolution

def test_rff_features_approximate_the_gaussian_kernel():
    rng = np.random.default_rng(0)
    pts = rng.uniform(0, 10, (6, 2))
    z = rff_features(pts, n_features=40000, sigma=3.0, seed=1)
    approx = z @ z.T
    exact = np.exp(-((pts[:, None] - pts[None]) ** 2).sum(-1) / (2 * 3.0 ** 2))
    np.testing.assert_allclose(approx, exact, atol=0.03)
    np.testing.assert_array_equal(z, rff_features(pts, n_features=40000, sigma=3.0, seed=1))
    with pytest.raises(ValueError, match="coords"):
        rff_features(np.zeros(5), n_features=3, sigma=1.0)


def test_rff_inpaint_fits_a_smooth_image(smooth_rgb):
    m = random_mask(smooth_rgb.shape[:2], 0.3, seed=0)
    est = rff_inpaint(apply_mask(smooth_rgb, m), m, n_features=400, sigma=6.0, ridge=1e-8)
    assert psnr(smooth_rgb, est, data_range=1.0) > 35


def test_rff_inpaint_is_the_ridge_regression_on_the_features(smooth_rgb):
    """Chunked sufficient statistics give the direct least-squares solution."""
    m = random_mask(smooth_rgb.shape[:2], 0.3, seed=0)
    est = rff_inpaint(smooth_rgb, m, n_features=50, sigma=5.0, ridge=1e-3, seed=4, chunk=77)
    rows, cols = np.mgrid[0:32, 0:32]
    z = rff_features(np.stack([rows.ravel(), cols.ravel()], 1), n_features=50, sigma=5.0, seed=4)
    obs = ~m.ravel()
    zc = z[obs] - z[obs].mean(0)
    y = smooth_rgb.reshape(-1, 3)[obs]
    beta = np.linalg.solve(zc.T @ zc + 1e-3 * obs.sum() * np.eye(50), zc.T @ (y - y.mean(0)))
    direct = np.clip((z - z[obs].mean(0)) @ beta + y.mean(0), 0, 1).reshape(32, 32, 3)
    np.testing.assert_allclose(est[m], direct[m], atol=1e-10)


def test_normalized_convolution_of_a_constant_is_exact():
    img = np.full((12, 10, 3), 0.25)
    m = random_mask((12, 10), 0.6, seed=0)
    np.testing.assert_allclose(normalized_convolution(apply_mask(img, m), m, sigma=2.0), img, atol=1e-12)


# --------------------------------------------------------------------------- selection and the method suite

def test_select_by_holdout_picks_the_best_candidate_without_seeing_the_truth(smooth_rgb):
    m = random_mask(smooth_rgb.shape[:2], 0.3, seed=0)

    def fit(image, missing, offset):
        assert np.isnan(image[m]).all()  # the truth at missing pixels is never passed on
        assert missing.sum() > m.sum()  # the held-out pixels are hidden too
        return np.nan_to_num(image) + offset

    best, rows = select_by_holdout(fit, [{"offset": 0.3}, {"offset": 0.01}, {"offset": -0.1}], smooth_rgb, m)
    assert best == {"offset": 0.01}
    assert [r["offset"] for r in rows] == [0.3, 0.01, -0.1]
    np.testing.assert_allclose(rows[1]["validation_rmse"], 0.01)


def test_select_along_path(smooth_rgb):
    m = random_mask(smooth_rgb.shape[:2], 0.3, seed=0)
    best, rows, _ = select_along_path(lambda img, miss, vals: [np.nan_to_num(img) + v for v in vals],
                                      [0.5, 0.2, 0.05, -0.3], smooth_rgb, m, name="shift")
    assert best == 0.05 and rows[2]["shift"] == 0.05


def test_als_and_soft_impute_selection_report_their_choice(low_rank_rgb):
    m = random_mask(low_rank_rgb.shape[:2], 0.3, seed=0)
    est, info = als_inpaint(low_rank_rgb, m, ranks=[1, 2], ridges=[1e-4], n_iter=20)
    assert info["rank"] == 2 and len(info["rows"]) == 2
    np.testing.assert_array_equal(est[~m], low_rank_rgb[~m])
    est, info = soft_impute_inpaint(low_rank_rgb, m, lams=[0.01, 3.0], n_iter=30)
    assert info["lam"] == 0.01 and [r["lam"] for r in info["rows"]] == [3.0, 0.01]


def test_method_registry_keys_and_labels():
    from sparseimg.experiments import UnknownMethodError
    from sparseimg.experiments.inpainting import METHODS

    # the keys name the methods in metrics/inpainting.json and in the tables: they must not drift
    assert list(METHODS) == ["adam_document", "rff", "als", "soft_impute", "normalized_convolution", "dct_l1",
                             "dct_threshold", "biharmonic"]
    assert list(METHODS.labels) == list(METHODS) and all(METHODS.labels.values())
    with pytest.raises(UnknownMethodError, match="adam_document"):
        METHODS[METHODS.labels["adam_document"]]  # a label is not a key


@pytest.fixture(scope="module")
def quick_settings():
    from sparseimg.experiments.inpainting import Settings
    from sparseimg.workspace.sections import get_section

    return Settings.from_params(get_section("inpainting").quick_params())


@pytest.mark.parametrize("key", ["adam_document", "rff", "als", "soft_impute", "normalized_convolution", "dct_l1",
                                 "dct_threshold", "biharmonic"])
def test_every_method_runs_on_the_section_block_and_keeps_the_observed_pixels(key, quick_settings, smooth_rgb):
    """Each method reads its settings from the section's block (schema keys only) and sees the masked image."""
    from sparseimg.experiments import Result
    from sparseimg.experiments.inpainting import METHODS, InpaintingProblem

    m = random_mask(smooth_rgb.shape[:2], 0.3, seed=1)
    result = METHODS[key](InpaintingProblem.from_image(smooth_rgb, m), quick_settings)
    est = result.estimate
    assert isinstance(result, Result) and isinstance(result.details, dict)
    assert est.shape == smooth_rgb.shape and np.all(np.isfinite(est))
    np.testing.assert_array_equal(est[~m], smooth_rgb[~m])


def test_the_problem_holds_no_ground_truth_and_the_settings_only_what_the_methods_read(quick_settings, smooth_rgb):
    from dataclasses import fields

    from sparseimg.experiments.inpainting import InpaintingProblem
    from sparseimg.workspace.sections import get_section

    m = random_mask(smooth_rgb.shape[:2], 0.3, seed=1)
    problem = InpaintingProblem.from_image(smooth_rgb, m)
    assert [f.name for f in fields(problem)] == ["observed", "missing"] and np.isnan(problem.observed[m]).all()
    assert {f.name for f in fields(quick_settings)} < set(get_section("inpainting").quick_params())
    assert isinstance(quick_settings.als_ranks, tuple) and hash(quick_settings)  # frozen, lists as tuples


def test_adam_method_is_the_sweep_fit_with_the_observed_pixels_kept(quick_settings, smooth_rgb):
    """The notebook reuses the rank sweep's fit at doc_rank for the Adam row: both must be the same fit."""
    from dataclasses import replace

    from sparseimg.experiments.inpainting import METHODS, InpaintingProblem

    settings = replace(quick_settings, adam_iter=7, doc_rank=3)
    m = random_mask(smooth_rgb.shape[:2], 0.3, seed=1)
    masked = apply_mask(smooth_rgb, m)
    result = METHODS["adam_document"](InpaintingProblem(masked, m), settings)
    fac = adam_factorize(masked, m, 3, n_iter=7, learning_rate=settings.adam_lr, init_scale=1.0,
                         seed=settings.seed, dtype=settings.adam_dtype)
    np.testing.assert_array_equal(result.estimate, keep_observed(smooth_rgb, m, reconstruct(fac)))
    assert result.details == {"rank": 3}


def test_run_methods_gives_the_same_numbers_in_one_or_two_processes(quick_settings, smooth_rgb):
    """The notebook's method runs are independent: forked workers change the wall time, not a number; each
    run is the method called on the masked image."""
    from dataclasses import replace

    from sparseimg.experiments import UnknownMethodError
    from sparseimg.experiments.inpainting import METHODS, InpaintingProblem, run_methods

    settings = replace(quick_settings, svt_iter=3, dct_iter=5, threshold_stages=3)
    masks = [random_mask(smooth_rgb.shape[:2], p, seed=i) for i, p in enumerate((0.2, 0.5))]
    cases = [(key, m) for m in masks for key in ("rff", "soft_impute", "als", "dct_threshold")]
    one = run_methods(smooth_rgb, cases, settings, workers=1)
    two = run_methods(smooth_rgb, cases, settings, workers=2)
    assert len(one) == len(two) == len(cases)
    for (key, m), (res1, t1), (res2, t2) in zip(cases, one, two):
        np.testing.assert_array_equal(res1.estimate, res2.estimate)
        assert res1.details == res2.details and t1 > 0 and t2 > 0
        direct = METHODS[key](InpaintingProblem(apply_mask(smooth_rgb, m), m), settings)
        np.testing.assert_array_equal(res1.estimate, direct.estimate)
    with pytest.raises(UnknownMethodError, match="rff"):
        run_methods(smooth_rgb, [("nope", masks[0])], settings, workers=2)


def test_adam_fits_give_the_same_numbers_in_one_or_two_processes(smooth_rgb):
    from sparseimg.experiments.inpainting import adam_fits

    m = random_mask(smooth_rgb.shape[:2], 0.3, seed=1)
    fits = [(m, 2, 5, 1.0), (m, 4, 3, 0.1), (m, 3, 4, 1.0)]
    one = adam_fits(smooth_rgb, fits, learning_rate=0.01, seed=0, dtype="float32", workers=1)
    two = adam_fits(smooth_rgb, fits, learning_rate=0.01, seed=0, dtype="float32", workers=2)
    for (missing, rank, n_iter, scale), (f1, _), (f2, _) in zip(fits, one, two):
        direct = adam_factorize(apply_mask(smooth_rgb, missing), missing, rank, n_iter=n_iter, learning_rate=0.01,
                                init_scale=scale, seed=0, dtype="float32")
        np.testing.assert_array_equal(reconstruct(f1), reconstruct(f2))
        np.testing.assert_array_equal(reconstruct(f1), reconstruct(direct))
        np.testing.assert_array_equal(f1.losses, direct.losses)


def test_section_schema_accepts_the_full_block_and_refuses_bad_values(tmp_path):
    from sparseimg.schema import ParamError, validate_block
    from sparseimg.workspace.sections import get_section
    from sparseimg.workspace.sections.inpainting import SCHEMA

    from pathlib import Path

    import yaml

    params = Path(__file__).resolve().parents[1] / "params.yaml"
    block = yaml.safe_load(params.read_text())["inpainting"]  # the committed full block
    valid = validate_block("inpainting", block, SCHEMA, root=tmp_path)
    assert valid["crop"] == 500
    get_section("inpainting").check_rules(valid)  # the cross-field rules accept it too
    with pytest.raises(ParamError, match="doc_proportion"):  # the case must be one of the swept proportions
        get_section("inpainting").check_rules({**valid, "doc_proportion": 0.25})
    with pytest.raises(ParamError, match="proportions"):
        validate_block("inpainting", {**block, "proportions": [0.1, 1.0]}, SCHEMA, root=tmp_path)
    with pytest.raises(ParamError, match="image"):
        validate_block("inpainting", {**block, "image": "missing.png"}, SCHEMA, root=tmp_path)


@pytest.mark.parametrize("image, kind", [("camera", "greyscale"), ("logo", "RGBA")])
def test_the_schema_refuses_non_rgb_images(image, kind, tmp_path):
    from sparseimg.schema import ParamError
    from sparseimg.workspace.sections.inpainting import SCHEMA

    with pytest.raises(ParamError, match=kind):
        SCHEMA["image"].check("inpainting.image", image, tmp_path)
    assert SCHEMA["image"].check("inpainting.image", "astronaut", tmp_path) == "astronaut"


def test_the_schema_refuses_a_greyscale_png(tmp_path):
    from skimage import io

    from sparseimg.schema import ParamError
    from sparseimg.workspace.sections.inpainting import SCHEMA

    io.imsave(tmp_path / "grey.png", np.zeros((8, 8), np.uint8), check_contrast=False)
    with pytest.raises(ParamError, match="greyscale"):
        SCHEMA["image"].check("inpainting.image", "grey.png", tmp_path)


def test_a_greyscale_packaged_image_is_a_clear_error():
    from sparseimg.images import load_image

    with pytest.raises(ValueError, match="greyscale"):
        check_color_image(load_image("camera", gray=False), name="image='camera'")


# --------------------------------------------------------------------------- held-out tuning with grown grids

def _records_are_sound(record):
    assert record["value"] in record["grid"] and record["grid"] == sorted(record["grid"])
    assert record["scores"][record["grid"].index(record["value"])] == max(record["scores"])
    assert not record["edge"] or record["reason"] == "bound"


@pytest.fixture(scope="module")
def noisy_low_rank_rgb(low_rank_rgb):
    """The rank-2 image plus white noise: a nuclear-norm weight between the extremes is best."""
    return low_rank_rgb + 0.05 * np.random.default_rng(8).standard_normal(low_rank_rgb.shape)


def test_soft_impute_tuned_equals_the_fixed_path_when_the_choice_is_inside(noisy_low_rank_rgb):
    from sparseimg.experiments.inpainting import soft_impute_tuned
    from sparseimg.restoration.completion import soft_impute_inpaint

    m = random_mask(noisy_low_rank_rgb.shape[:2], 0.4, seed=5)
    masked = apply_mask(noisy_low_rank_rgb, m)
    lams = [3.0, 1.0, 0.3, 0.1, 0.03, 0.01, 0.003]
    est, info = soft_impute_tuned(masked, m, lams=lams, n_iter=20, seed=1)
    _records_are_sound(info["tuning"])
    assert info["tuning"]["grid"] == sorted(lams) and info["tuning"]["edge"] == ""  # nothing grown
    ref, ref_info = soft_impute_inpaint(masked, m, lams=lams, n_iter=20, seed=1)
    assert info["lam"] == ref_info["lam"]  # the same selection and fit as the library's fixed path
    np.testing.assert_array_equal(est, ref)
    assert [-s for s in info["tuning"]["scores"]] == pytest.approx([r["validation_rmse"] for r in ref_info["rows"]][::-1], abs=1e-9)


def test_soft_impute_tuned_grows_a_path_that_stops_too_early(noisy_low_rank_rgb):
    from sparseimg.experiments.inpainting import soft_impute_tuned

    m = random_mask(noisy_low_rank_rgb.shape[:2], 0.4, seed=5)
    masked = apply_mask(noisy_low_rank_rgb, m)
    est, info = soft_impute_tuned(masked, m, lams=[30.0, 10.0], n_iter=20, seed=1)
    r = info["tuning"]
    _records_are_sound(r)
    assert len(r["grid"]) > 2 and min(r["grid"]) < 10.0 and r["edge"] == ""  # grown below the starting path
    np.testing.assert_array_equal(est[~m], masked[~m])


def test_als_tuned_records_rank_and_ridge_inside_their_grids(low_rank_rgb):
    from sparseimg.experiments.inpainting import als_tuned

    m = random_mask(low_rank_rgb.shape[:2], 0.3, seed=4)
    est, info = als_tuned(apply_mask(low_rank_rgb, m), m, ranks=[4, 6], ridges=[0.01, 0.1], n_iter=3, seed=0)
    for name in ("rank", "ridge"):
        _records_are_sound(info["tuning"][name])
    assert info["rank"] == info["tuning"]["rank"]["value"] and info["ridge"] == info["tuning"]["ridge"]["value"]
    assert all(v == int(v) for v in info["tuning"]["rank"]["grid"]) and isinstance(info["rank"], int)
    assert min(info["tuning"]["rank"]["grid"]) < 4  # the rank-2 image pulls the rank below the starting grid
    np.testing.assert_array_equal(est[~m], low_rank_rgb[~m])


def test_als_tuned_stops_the_rank_at_its_cap(smooth_rgb):
    from sparseimg.experiments.inpainting import als_tuned

    m = random_mask(smooth_rgb.shape[:2], 0.2, seed=4)
    _, free = als_tuned(apply_mask(smooth_rgb, m), m, ranks=[1, 2], ridges=[0.01, 0.1], n_iter=3, seed=0)
    assert free["rank"] > 2  # the smooth image wants more than rank 2 ...
    _, capped = als_tuned(apply_mask(smooth_rgb, m), m, ranks=[1, 2], ridges=[0.01, 0.1], n_iter=3, seed=0, max_rank=2)
    r = capped["tuning"]["rank"]  # ... and a cap of 2 stops it there, recorded as a compute cap (not a bound)
    assert capped["rank"] == 2 and (r["edge"], r["reason"]) == ("high", "cap") and max(r["grid"]) == 2

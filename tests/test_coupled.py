"""sparseimg.learn.coupled: masked resampling, guided filter, patches, coupled dictionaries, coupled ISTA."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from autograd.test_util import check_grads

from sparseimg.learn import coupled


def test_downsample_masked_averages_valid_pixels_only():
    image = np.arange(16.0).reshape(4, 4)
    valid = np.ones((4, 4), dtype=bool)
    valid[0, 0] = False           # block (0, 0): mean of 1, 4, 5
    valid[2:, 2:] = False         # block (1, 1): no valid pixel
    image[0, 0] = np.nan          # invalid pixels may hold anything
    low, low_valid = coupled.downsample_masked(image, valid, 2)
    np.testing.assert_allclose(low, [[(1 + 4 + 5) / 3, (2 + 3 + 6 + 7) / 4], [(8 + 9 + 12 + 13) / 4, 0.0]])
    np.testing.assert_array_equal(low_valid, [[True, True], [True, False]])
    with pytest.raises(ValueError, match="multiples of factor=3"):
        coupled.downsample_masked(image, valid, 3)


def test_fill_invalid_takes_the_nearest_valid_value():
    image = np.array([[1.0, 0.0, 0.0, 5.0]])
    valid = np.array([[True, False, False, True]])
    np.testing.assert_array_equal(coupled.fill_invalid(image, valid), [[1.0, 1.0, 5.0, 5.0]])
    with pytest.raises(ValueError, match="no True pixel"):
        coupled.fill_invalid(image, np.zeros_like(valid))


def test_upsample_bicubic_keeps_constants_and_block_means():
    np.testing.assert_allclose(coupled.upsample_bicubic(np.full((3, 5), 2.5), 4), np.full((12, 20), 2.5))
    # a linear ramp, block-averaged, comes back (block centres aligned) up to the spline's
    # edge-mode border effect, which decays geometrically (0.27 per LR pixel) into the interior
    x = np.arange(64.0)
    hr = np.tile(x, (64, 1))
    low, _ = coupled.downsample_masked(hr, np.ones_like(hr, dtype=bool), 4)
    up = coupled.upsample_bicubic(low, 4)
    np.testing.assert_allclose(up[:, 24:-24], hr[:, 24:-24], atol=2e-3)
    # mode="edge": outside the first block centre the value is that block's mean (1.5)
    np.testing.assert_allclose(up[:, :2], 1.5)


def test_box_mean_matches_brute_force(rng):
    image = rng.standard_normal((9, 13))
    r = 2
    expected = np.array([[image[max(i - r, 0):i + r + 1, max(j - r, 0):j + r + 1].mean() for j in range(13)]
                         for i in range(9)])
    np.testing.assert_allclose(coupled.box_mean(image, r), expected, atol=1e-12)


@pytest.mark.parametrize("shape, r", [((9, 13), 2), ((30, 7), 4), ((5, 5), 6), ((16, 40), 0)])
def test_box_mean_divides_the_window_sums_by_the_exact_pixel_counts(rng, shape, r):
    """Bitwise: the sums over the cut windows divided by their pixel counts, which are whole numbers (here
    counted by the same cumulative sums over an image of ones)."""
    image = rng.standard_normal(shape)

    def window_sum(x, axis):
        c = np.concatenate([np.zeros_like(np.take(x, [0], axis=axis)), np.cumsum(x, axis=axis)], axis=axis)
        idx = np.arange(x.shape[axis])
        return np.take(c, np.minimum(idx + r + 1, x.shape[axis]), axis=axis) - np.take(c, np.maximum(idx - r, 0), axis=axis)

    counts = window_sum(window_sum(np.ones(shape), 0), 1)
    assert np.array_equal(counts, np.round(counts))
    assert np.array_equal(coupled.box_mean(image, r), window_sum(window_sum(image, 0), 1) / counts)


def test_guided_filter_limits(rng):
    guide = rng.random((20, 24))
    # guide = source, eps -> 0: a = 1, b = 0 in every window: the output is the guide
    np.testing.assert_allclose(coupled.guided_filter(guide, guide, 3, 1e-12), guide, atol=1e-6)
    # eps -> infinity: a = 0, b = mean(p): the output is the box mean of the box mean
    source = rng.random((20, 24))
    np.testing.assert_allclose(coupled.guided_filter(guide, source, 2, 1e12),
                               coupled.box_mean(coupled.box_mean(source, 2), 2), atol=1e-9)
    # an edge of the guide stays sharp in a noisy step source
    step = np.zeros((20, 24))
    step[:, 12:] = 1.0
    noisy = step + 0.1 * rng.standard_normal(step.shape)
    out = coupled.guided_filter(step, noisy, 3, 1e-4)
    assert np.abs(out - step).mean() < 0.5 * np.abs(noisy - step).mean()


def test_patches_round_trip(rng):
    image = rng.random((17, 23))
    patches, corners = coupled.extract_patches(image, 5, 3)
    assert patches.shape[1] == 25
    assert corners[-1].tolist() == [12, 18]  # the last row and column are always covered
    np.testing.assert_allclose(coupled.assemble_patches(patches, corners, image.shape), image, atol=1e-12)
    i = 7
    np.testing.assert_array_equal(patches[i], image[corners[i, 0]:corners[i, 0] + 5,
                                                    corners[i, 1]:corners[i, 1] + 5].ravel())


def _assemble_by_scatter_adds(patches, corners, shape):
    """The plain definition: every patch added where it belongs, one ``np.add.at`` per offset."""
    size = int(round(np.sqrt(patches.shape[1])))
    out, weight = np.zeros(shape), np.zeros(shape)
    for di in range(size):
        for dj in range(size):
            np.add.at(out, (corners[:, 0] + di, corners[:, 1] + dj), patches.reshape(-1, size, size)[:, di, dj])
            np.add.at(weight, (corners[:, 0] + di, corners[:, 1] + dj), 1.0)
    return np.divide(out, weight, out=np.zeros(shape), where=weight > 0)


@pytest.mark.parametrize("shape, size, stride", [((17, 23), 5, 3), ((40, 33), 8, 4), ((9, 9), 9, 2), ((12, 30), 4, 1)])
def test_patch_fast_paths_are_bitwise_the_plain_definitions(rng, shape, size, stride):
    image = rng.standard_normal(shape)
    patches, corners = coupled.extract_patches(image, size, stride)
    plain = np.array([image[i:i + size, j:j + size].ravel() for i, j in corners])
    assert np.array_equal(patches, plain) and patches.flags.c_contiguous
    values = rng.standard_normal(patches.shape)  # overlapping patches that disagree: the order of the sums shows
    assert np.array_equal(coupled.assemble_patches(values, corners, shape),
                          _assemble_by_scatter_adds(values, corners, shape))
    repeated = np.concatenate([corners, corners[:3]])  # a corner twice: both copies count (the np.add.at path)
    more = np.concatenate([values, values[:3] + 1.0])
    assert np.array_equal(coupled.assemble_patches(more, repeated, shape),
                          _assemble_by_scatter_adds(more, repeated, shape))


def test_masked_rmse():
    ref = np.zeros((2, 2))
    est = np.array([[1.0, 100.0], [1.0, 1.0]])
    valid = np.array([[True, False], [True, True]])
    assert coupled.masked_rmse(ref, est, valid) == pytest.approx(1.0)


def test_coupled_dictionary_is_seeded_and_unit_norm(rng):
    signals = rng.standard_normal((300, 12))
    d1, c1 = coupled.learn_coupled_dictionary(signals, 16, 0.1, n_iter=5, seed=4)
    d2, c2 = coupled.learn_coupled_dictionary(signals, 16, 0.1, n_iter=5, seed=4)
    np.testing.assert_array_equal(d1, d2)
    np.testing.assert_allclose(np.linalg.norm(d1, axis=0), 1.0)
    # the codes explain the signals better than nothing and are sparse
    assert np.linalg.norm(signals - c1 @ d1.T) < 0.8 * np.linalg.norm(signals)
    assert (c1 == 0).mean() > 0.2


def _ista_reference(dictionary, dims, lam, a, b, n_steps):
    """Plain ISTA on ½‖[a; b] − [D_a; D_b] c‖² + λ‖c‖₁ from c = 0, then D_h c."""
    d_a, d_b, _ = dims
    analysis = dictionary[:d_a + d_b]
    x = np.hstack([a, b]) if d_b else a
    eta = 1.0 / np.linalg.norm(analysis, 2) ** 2
    c = np.zeros((len(a), dictionary.shape[1]))
    for _ in range(n_steps):
        z = c - eta * (c @ analysis.T - x) @ analysis
        c = np.sign(z) * np.maximum(np.abs(z) - eta * lam, 0.0)
    return c @ dictionary[d_a + d_b:].T, c


@pytest.mark.parametrize("guided", [True, False])
def test_network_at_initialization_is_ista(rng, guided):
    dims = (6, 5 if guided else 0, 4)
    dictionary = rng.standard_normal((sum(dims), 10))
    a, b = rng.standard_normal((7, 6)), rng.standard_normal((7, 5))
    params = coupled.init_coupled_ista(dictionary, dims, 0.3, n_layers=3)
    out, codes = coupled.coupled_ista(params, a, b if guided else None, return_codes=True)
    ref_out, ref_codes = _ista_reference(dictionary, dims, 0.3, a, b, 4)
    np.testing.assert_allclose(codes, ref_codes, atol=1e-12)
    np.testing.assert_allclose(out, ref_out, atol=1e-12)
    assert (codes == 0).any()


def test_network_needs_guidance_when_it_has_the_branch(rng):
    params = coupled.init_coupled_ista(rng.standard_normal((9, 4)), (3, 3, 3), 0.1, 1)
    with pytest.raises(ValueError, match="guidance"):
        coupled.coupled_ista(params, rng.standard_normal((2, 3)))


def test_network_gradients(rng):
    dims = (4, 3, 2)
    params = coupled.init_coupled_ista(rng.standard_normal((9, 6)), dims, 0.05, 2)
    a, b, h = rng.standard_normal((5, 4)), rng.standard_normal((5, 3)), rng.standard_normal((5, 2))

    def loss_of(name):
        def f(w):
            p = dict(params, **{name: w})
            return anp.sum((coupled.coupled_ista(p, a, b) - h) ** 2)
        return f

    for name in ("Wa", "Wb", "Da", "Db", "Dh"):
        check_grads(loss_of(name), modes=["rev"], order=1)(params[name])
    # central differences on one entry of a weight
    f = loss_of("Wb")
    g = grad(f)(params["Wb"])
    e = np.zeros_like(params["Wb"])
    e[1, 2] = 1e-6
    np.testing.assert_allclose((f(params["Wb"] + e) - f(params["Wb"] - e)) / 2e-6, g[1, 2], rtol=1e-5, atol=1e-8)


def test_sr_training_is_deterministic_and_trains_on_the_left_half_only():
    from sparseimg.experiments import unfolding_coupled as uc

    problem = uc.sr_problem(8)
    assert problem.split == 368 and problem.truth.shape == (496, 736)
    assert not (problem.train_mask & problem.test_mask).any()
    assert np.isfinite(problem.truth).all() and 0.05 < (~problem.valid).mean() < 0.1
    kw = dict(patch=8, guided=True, atoms=16, lam=0.1, dict_iter=1, layers=1, steps=3, batch=16, lr=1e-3,
              stride=8, seed=1, progress=False)
    w1, log1 = uc.train_sr_network(problem, **kw)
    w2, _ = uc.train_sr_network(problem, **kw)
    assert set(w1) == set(w2)
    for key in w1:
        np.testing.assert_array_equal(w1[key], w2[key])
    # changing the reported half's ground truth changes nothing in training
    hidden = problem.truth.copy()
    hidden[:, problem.split:] = 0.0
    w3, _ = uc.train_sr_network(uc.SRProblem(problem.factor, hidden, problem.valid, problem.guide, problem.low,
                                             problem.low_valid, problem.bicubic, problem.split), **kw)
    for key in w1:
        np.testing.assert_array_equal(w1[key], w3[key])
    out = uc.sr_predict(problem, w1, patch=8, stride=4)
    assert out.shape == problem.truth.shape and np.isfinite(out).all()


def test_dihedral_permutations_are_the_eight_symmetries():
    from sparseimg.experiments.unfolding_coupled import _dihedral_permutations

    perms = _dihedral_permutations(3)
    assert perms.shape == (8, 9) and len({tuple(p) for p in perms}) == 8
    patch = np.arange(9.0).reshape(3, 3)
    assert any(np.array_equal(patch.ravel()[p].reshape(3, 3), patch[:, ::-1]) for p in perms)


def test_guide_gain_scales_the_guidance_and_zero_blanks_it():
    from sparseimg.experiments import unfolding_coupled as uc

    problem = uc.sr_problem(8)
    kw = dict(patch=8, guided=True, atoms=16, lam=0.1, dict_iter=1, layers=1, steps=2, batch=16, lr=1e-3,
              stride=8, seed=1, progress=False)
    w1, _ = uc.train_sr_network(problem, **kw)
    w1b, _ = uc.train_sr_network(problem, guide_gain=1.0, **kw)
    for key in w1:
        np.testing.assert_array_equal(w1[key], w1b[key])
    w0, _ = uc.train_sr_network(problem, guide_gain=0.0, **kw)
    assert np.isinf(w0["scale_b"])  # the prediction divides the guidance by it: a blank guidance
    out = uc.sr_predict(problem, w0, patch=8, stride=8)
    assert np.isfinite(out).all()
    w2, _ = uc.train_sr_network(problem, guide_gain=2.0, **kw)
    np.testing.assert_allclose(w2["scale_b"], w1["scale_b"] / 2.0)
    with pytest.raises(ValueError, match="guide_gain"):
        uc.train_sr_network(problem, guide_gain=-1.0, **kw)


def test_guided_filters_equal_one_filter_per_eps_bit_for_bit():
    from sparseimg.learn import coupled

    rng = np.random.default_rng(3)
    guide, source = rng.random((23, 31)), rng.random((23, 31))
    eps = [0.0, 1e-4, 0.1]
    for radius in (1, 3):
        outs = coupled.guided_filters(guide, source, radius, eps)
        assert len(outs) == len(eps)
        for e, out in zip(eps, outs):
            np.testing.assert_array_equal(out, coupled.guided_filter(guide, source, radius, e))
    with pytest.raises(ValueError):
        coupled.guided_filters(guide, source, 1, [0.1, -1.0])

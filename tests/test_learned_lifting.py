"""The learned lifting denoiser: invertible by construction, 9/7 at initialization, gradients, training data."""

import numpy as np
import pytest
from autograd.test_util import check_grads

from sparseimg.learn import learned_lifting as LL
from sparseimg.operators.lifting import dwt2


def _perturbed(params, scale, seed=0):
    rng = np.random.default_rng(seed)
    return {k: v + scale * rng.standard_normal(v.shape) for k, v in params.items()}


@pytest.mark.parametrize("config", [{"pu_hidden": 0}, {"pu_hidden": 2, "n_steps": 2, "levels": 3, "pilot": False}])
def test_inverse_of_forward_is_identity_for_any_weights(config):
    """Denoiser switched off: inverse(forward(x)) == x to 1e-10, whatever the (trained or random) weights."""
    rng = np.random.default_rng(1)
    params = _perturbed(LL.init_params(config, seed=0), 0.02)
    x = rng.random((2, 1, 32, 48))
    coarse, details = LL.forward(params, x)
    assert len(details) == LL.architecture(params)["levels"]
    np.testing.assert_allclose(LL.inverse(params, coarse, details), x, atol=1e-10, rtol=0)


@pytest.mark.parametrize("n_steps, wavelet", [(4, "cdf97"), (2, "cdf53")])
def test_initialization_is_the_library_wavelet(n_steps, wavelet):
    """At initialization one level is the periodic dwt2 of the library (9/7 or 5/3)."""
    x = np.random.default_rng(2).random((16, 24))
    params = LL.init_params({"n_steps": n_steps, "levels": 1}, seed=0)
    coarse, ((lh, hl, hh),) = LL.forward(params, x[None, None])
    ref = dwt2(x, wavelet, levels=1, boundary="periodic")
    np.testing.assert_allclose(coarse[0, 0], ref[:8, :12], atol=1e-12)
    np.testing.assert_allclose(lh[0, 0], ref[:8, 12:], atol=1e-12)
    np.testing.assert_allclose(hl[0, 0], ref[8:, :12], atol=1e-12)
    np.testing.assert_allclose(hh[0, 0], ref[8:, 12:], atol=1e-12)


@pytest.mark.parametrize("pilot", [False, True])
def test_gradients_of_the_loss(pilot):
    config = {"levels": 2, "pu_hidden": 2, "band_hidden": 4, "band_layers": 2, "pilot": pilot}
    params = _perturbed(LL.init_params(config, seed=0), 0.01)
    rng = np.random.default_rng(3)
    clean = rng.random((2, 1, 24, 24))
    sigma = np.array([0.1, 0.2])
    noisy = clean + sigma[:, None, None, None] * rng.standard_normal(clean.shape)
    guide = 0.5 * (clean + noisy) if pilot else None
    check_grads(lambda p: LL.loss(p, clean, noisy, sigma, guide, margin=4), modes=["rev"], order=1)(params)


def test_gain_zero_and_one_limits():
    """A band CNN whose gain is ~1 gives back the noisy image; ~0 gives the coarse-only image."""
    params = LL.init_params({"levels": 2, "band_layers": 2, "band_hidden": 4}, seed=0)
    x = np.random.default_rng(4).random((1, 1, 16, 16))
    for lev in range(2):
        for k in list(params):
            if k.startswith(f"L{lev}bandw"):
                params[k] = np.zeros_like(params[k])
        params[f"L{lev}bandb1"] = np.full(3, 60.0)
    np.testing.assert_allclose(LL.denoise_patches(params, x, np.array([0.1]), 0 * x), x, atol=1e-10)
    with pytest.raises(ValueError, match="pilot"):
        LL.denoise_patches(params, x, np.array([0.1]))


def test_denoise_image_shapes_and_estimated_sigma():
    params = LL.init_params({"levels": 2, "band_hidden": 4, "band_layers": 2}, seed=0)
    y = np.random.default_rng(5).random((37, 30))
    out = LL.denoise(y, 0.1, params, shifts=2, pad=4)
    assert out.shape == y.shape and np.all(np.isfinite(out))
    assert LL.denoise(y, None, params, shifts=1).shape == y.shape
    with pytest.raises(ValueError):
        LL.denoise(y[None], 0.1, params)


def test_training_images_never_reported():
    assert not {"camera", "astronaut", "moon", "coins"}.intersection(LL.TRAINING_IMAGES)
    with pytest.raises(ValueError, match="reported"):
        LL.training_images(("camera",))


def test_pool_and_batches_are_seeded():
    imgs = [np.random.default_rng(6).random((40, 50))]
    pools = [LL.make_pool(imgs, 3, (0.02, 0.2), np.random.default_rng(0)) for _ in range(2)]
    a, b = (LL.sample_batch(np.random.default_rng(0), pool, 16, 4) for pool in pools)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    clean, noisy, sigma, pilot = a
    assert clean.shape == noisy.shape == pilot.shape == (4, 1, 16, 16)
    assert np.all((sigma >= 0.02) & (sigma <= 0.2))
    # the noise of a patch has the patch's sigma (roughly) and the pilot is closer to the clean patch
    assert np.mean((pilot - clean) ** 2) < np.mean((noisy - clean) ** 2)
    no_pilot = LL.make_pool(imgs, 1, (0.1, 0.1), np.random.default_rng(0), pilot=False)
    assert LL.sample_batch(np.random.default_rng(0), no_pilot, 8, 2)[3] is None


def test_pilot_model_starts_at_the_empirical_wiener_gain():
    """Untrained, the pilot model shrinks each coefficient by p²/(p² + σ²) (p: the pilot's coefficient)."""
    params = LL.init_params({"levels": 2, "band_hidden": 4, "band_layers": 2}, seed=0)
    rng = np.random.default_rng(7)
    x, pilot, sigma = rng.standard_normal((1, 1, 16, 16)), rng.standard_normal((1, 1, 16, 16)), np.array([0.7])
    _, details = LL.forward(params, x)
    _, pdet = LL.forward(params, pilot)
    out = LL.denoise_bands(params, details, sigma, pdet)
    for lev in range(2):
        for d, p, o in zip(details[lev], pdet[lev], out[lev]):
            q = (p / 0.7) ** 2 + 1e-6
            np.testing.assert_allclose(o, d * q / (q + 1.0), rtol=1e-12)


def _tiny_block(**over):
    from sparseimg.experiments import unfolding_lifting as ul
    from sparseimg.schema import quick_values

    block = quick_values(ul.SCHEMA)
    block.update({"lift_levels": 2, "lift_band_hidden": 4, "lift_band_layers": 2, "lift_max_side": 64,
                  "lift_patch": 32, "lift_batch": 2, "lift_train_steps": 3, "lift_pilot_shifts": 1}, **over)
    return block


def test_training_is_deterministic():
    from sparseimg.experiments import unfolding_lifting as ul

    (w1, log1), (w2, _) = ul.train(_tiny_block(), progress=False), ul.train(_tiny_block(), progress=False)
    assert set(w1) == set(w2)
    for k in w1:
        np.testing.assert_array_equal(w1[k], w2[k])
    assert log1["steps"] == 3 and log1["n_parameters"] == LL.n_parameters(w1)


@pytest.mark.parametrize("over, match", [({"lift_train_images": ["camera"]}, "never reported"),
                                         ({"lift_train_images": ["coffee"]}, "tuning image"),
                                         ({"lift_patch": 34}, "multiple"),
                                         ({"lift_sigma_min": 60.0}, "lift_sigma_max")])
def test_check_block_rules(over, match):
    from sparseimg.experiments import unfolding_lifting as ul
    from sparseimg.schema import ParamError

    with pytest.raises(ParamError, match=match):
        ul.check_block(_tiny_block(**over))


def test_denoising_table_is_the_same_in_two_processes_and_seeds_by_position():
    from sparseimg.experiments import unfolding_lifting as ul
    from sparseimg.experiments import wavelets as wv
    from sparseimg.images import center_crop, load_image
    from sparseimg.metrics import psnr

    block = {**_tiny_block(), "lift_images": ["camera", "moon"], "lift_crop": 32, "lift_sigmas": [25.0],
             "lift_bm3d": False, "lift_peer_shifts": 1, "lift_shifts": 1, "lift_pilot_shifts": 1, "lift_noise_seed": 4}
    weights = LL.init_params(ul.model_config(block), seed=0)
    one, two = (ul.denoising_table(weights, {**block, "lift_workers": w}) for w in (1, 2))
    assert one[0] == two[0] and one[1] == two[1] and set(one[2]) == set(two[2])
    clean = center_crop(load_image("moon", gray=True), 32)
    noisy = wv.add_noise(clean, 25 / 255, ul.seed_of(block, 1, 25.0))  # moon is the second image
    assert one[0]["sigma_25"]["moon"]["noisy"] == psnr(clean, noisy, data_range=1.0)
    assert [r["image"] for r in one[1]] == ["camera"] * (len(one[1]) // 2) + ["moon"] * (len(one[1]) // 2)


def test_denoising_table_takes_a_peer_run_from_reuse_only_when_its_content_key_matches():
    """The peers' runs section 3 scored on the same noisy crops are read, not run again; a key that does not
    match (other settings, other image) changes nothing."""
    from sparseimg.experiments import unfolding_lifting as ul
    from sparseimg.experiments import wavelets as wv
    from sparseimg.images import center_crop, load_image

    block = {**_tiny_block(), "lift_images": ["camera", "moon"], "lift_crop": 32, "lift_sigmas": [25.0],
             "lift_bm3d": False, "lift_peer_shifts": 1, "lift_shifts": 1, "lift_pilot_shifts": 1, "lift_noise_seed": 4,
             "lift_workers": 1}
    weights = LL.init_params(ul.model_config(block), seed=0)
    table, rows, seconds = ul.denoising_table(weights, block)
    clean = center_crop(load_image("moon", gray=True), 32)
    noisy = wv.add_noise(clean, 25 / 255, ul.seed_of(block, 1, 25.0))
    key = wv.run_key("bayesshrink_ti", wv.DenoiseSettings(shifts=1), clean, noisy, 25 / 255)
    stranger = wv.run_key("bayesshrink_ti", wv.DenoiseSettings(shifts=2), clean, noisy, 25 / 255)
    reused, rows2, seconds2 = ul.denoising_table(weights, block, reuse={key: -1.0, stranger: -2.0})
    assert reused["sigma_25"]["moon"]["bayesshrink_ti"] == -1.0  # read from reuse, not computed
    assert list(reused["sigma_25"]["moon"]) == list(table["sigma_25"]["moon"])  # same methods, same order
    assert {k: v for k, v in reused["sigma_25"]["moon"].items() if k != "bayesshrink_ti"} == \
        {k: v for k, v in table["sigma_25"]["moon"].items() if k != "bayesshrink_ti"}
    assert reused["sigma_25"]["camera"] == table["sigma_25"]["camera"]
    assert [(r["image"], r["method"]) for r in rows2] == [(r["image"], r["method"]) for r in rows]
    assert set(seconds2) == set(seconds)  # camera's run was timed; a method reused everywhere would be absent

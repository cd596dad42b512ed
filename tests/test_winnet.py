"""The WINNet-structured denoiser: perfect reconstruction, its start, validation, loading, determinism."""

import warnings

import numpy as np
import pytest

from sparseimg.learn import learned_lifting, winnet
from sparseimg.learn.training import WeightsError, save_weights

SMALL = {"levels": 2, "extra": 2, "steps": 2, "pu_hidden": 4, "dn_channels": 6, "dn_layers": 2}


def _random_weights(cfg, scale, seed=1):
    p = winnet.init_params(cfg, seed=0)
    rng = np.random.default_rng(seed)
    return {k: (v if k.startswith("meta_") else v + scale * rng.standard_normal(v.shape)).astype(np.float64)
            for k, v in p.items()}


@pytest.mark.parametrize("cfg", [SMALL, {**SMALL, "extra": 0, "steps": 1, "levels": 3}])
def test_perfect_reconstruction_any_weights(cfg):
    q = _random_weights(cfg, 0.1)
    x = np.random.default_rng(2).random((2, 1, 32, 24))
    coarse, details = winnet.forward(q, x)
    assert details[0].shape == (2, 3 + cfg["extra"], 16, 12)
    np.testing.assert_allclose(winnet.inverse(q, coarse, details), x, rtol=0, atol=1e-10)


def test_redundant_channels_carry_information():
    """The extra channels are filled by the learned predict step, and the inverse depends on them."""
    q = _random_weights(SMALL, 0.1)
    x = np.random.default_rng(3).random((1, 1, 16, 16))
    coarse, details = winnet.forward(q, x)
    assert np.abs(details[0][:, 3:]).max() > 1e-3
    changed = [d.copy() for d in details]
    changed[0][:, 3:] += 0.1
    assert np.abs(winnet.inverse(q, coarse, changed) - x).max() > 1e-4


def test_untrained_transform_is_haar_and_denoiser_soft_thresholds():
    p = {k: v.astype(np.float64) for k, v in winnet.init_params({**SMALL, "levels": 1}).items()}
    x = np.random.default_rng(4).random((1, 1, 8, 8))
    coarse, details = winnet.forward(p, x)
    np.testing.assert_allclose(coarse[0, 0], 0.5 * (x[0, 0, ::2, ::2] + x[0, 0, ::2, 1::2] + x[0, 0, 1::2, ::2]
                                                    + x[0, 0, 1::2, 1::2]), atol=1e-12)
    assert np.all(details[0][:, 3:] == 0)
    # near-identity convolutions: large coefficients survive, small ones (in σ units) are zeroed
    sig = np.array([0.1])
    big = np.zeros_like(details[0])
    big[0, 0, 2, 2] = 5.0
    out = winnet.denoise_details(p, [big], sig)[0]
    assert out[0, 0, 2, 2] > 0.1 * 1.5
    small = np.zeros_like(details[0])
    small[0, 0, 2, 2] = 0.05
    assert np.abs(winnet.denoise_details(p, [small], sig)[0]).max() < 1e-3


def test_denoise_validation_one_line_each():
    p = winnet.init_params(SMALL)
    x = np.random.default_rng(5).random((20, 20))
    for sigma, what in ((0.0, "positive"), (-0.1, "positive"), (25.0, "0-255 units")):
        with pytest.raises(ValueError, match=what) as err:
            winnet.denoise(x, sigma, p)
        assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="greyscale image"):
        winnet.denoise(np.zeros((4, 20, 20)), 0.1, p)
    with pytest.warns(UserWarning, match=r"outside the trained range \[5, 55\]/255"):
        winnet.denoise(x, 70 / 255, p)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = winnet.denoise(x, 20 / 255, p, shifts=1)
    assert out.shape == x.shape and np.all(np.isfinite(out))


def test_load_one_call_and_bad_files(tmp_path):
    p = winnet.init_params(SMALL)
    path = save_weights(tmp_path / "w.npz", p, config={}, log={})
    den = winnet.load(path, shifts=1)
    assert den.config["levels"] == 2 and den(np.full((16, 16), 0.5), 0.1).shape == (16, 16)
    other = save_weights(tmp_path / "lifting.npz", learned_lifting.init_params({"levels": 2}), config={}, log={})
    with pytest.raises(WeightsError, match="not a WINNet denoiser") as err:
        winnet.load(other)
    assert "\n" not in str(err.value)
    bad = tmp_path / "corrupt.npz"
    bad.write_bytes(path.read_bytes()[:100])
    with pytest.raises(WeightsError, match="not a weights file") as err:
        winnet.load(bad)
    assert "\n" not in str(err.value)
    with pytest.raises(WeightsError, match="no weights file"):
        winnet.load(tmp_path / "missing.npz")


def test_short_training_is_deterministic_and_float32():
    """Two short runs from the same seed give bit-identical weights (the full run was checked the same way:
    see the README's section 3b)."""
    kw = dict(images=("brick", "text"), patch=24, batch=2, n_steps=3, lr=1e-3, max_side=64, progress=False)
    a, log_a = winnet.train_model(SMALL, **kw)
    b, log_b = winnet.train_model(SMALL, **kw)
    assert set(a) == set(b) and all(np.array_equal(a[k], b[k]) for k in a)
    assert all(v.dtype == np.float32 for v in a.values())
    assert log_a == log_b and "seconds" not in log_a
    assert log_a["losses"][0] > 0


def test_training_refuses_held_out_photos():
    with pytest.raises(ValueError, match="held out"):
        winnet.train_model(SMALL, images=("china",), n_steps=1, progress=False)

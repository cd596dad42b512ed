"""NENet: scale equivariance, its start (the patch estimator), training, loading."""

import numpy as np
import pytest

from sparseimg.learn import nenet
from sparseimg.learn.training import WeightsError, save_weights
from sparseimg.restoration.noise import estimate_sigma_patches


def _image(seed=0, n=64):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:n, :n] / n
    return 0.5 + 0.3 * np.sin(6 * xx) * np.cos(4 * yy) + 0.05 * rng.standard_normal((n, n))


def test_untrained_is_the_patch_estimator():
    x = _image()
    p = nenet.init_params(8)
    assert nenet.estimate(p, x) == pytest.approx(estimate_sigma_patches(x, stride=2), rel=1e-12)


def test_scale_equivariant_whatever_the_weights():
    rng = np.random.default_rng(1)
    p = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in nenet.init_params(8).items()}
    x = _image(2)
    assert nenet.estimate(p, 3.0 * x) == pytest.approx(3.0 * nenet.estimate(p, x), rel=1e-6)


def test_line_psf_sums_to_one_and_lies_on_the_line():
    k = nenet.line_psf(9, 0.0)
    assert k.sum() == pytest.approx(1.0) and k.shape == (11, 11)
    assert np.all(k[np.arange(11) != 5] == 0)


def test_training_fits_white_noise_levels():
    rng = np.random.default_rng(3)
    images = [_image(s, 96) for s in range(3)]
    feats, targets, kinds = nenet.make_training_set(images, seed=0, crop=64, n_awgn=12, n_xstep=0)
    assert not kinds.any()
    params, log = nenet.train_model(feats, targets, hidden=8, n_steps=300, lr=3e-3)
    base = np.sqrt(np.mean((feats[:, -2] - targets) ** 2))
    assert log["train_rms_log_error_awgn"] < base
    p2, log2 = nenet.train_model(feats, targets, hidden=8, n_steps=300, lr=3e-3)
    assert all(np.array_equal(params[k], p2[k]) for k in params)
    assert rng is not None


def test_xstep_samples_know_their_residual():
    rng = np.random.default_rng(4)
    clean = _image(5)
    samples = nenet.xstep_samples(clean, rng, lambda x, s: x)
    assert len(samples) == 3
    for x, level in samples:
        assert level == pytest.approx(float(np.std(x - clean)))


def test_load_and_bad_weights(tmp_path):
    path = save_weights(tmp_path / "n.npz", nenet.init_params(4), config={}, log={})
    net = nenet.load(path)
    assert net(_image()) > 0
    bad = save_weights(tmp_path / "bad.npz", {"w0": np.zeros((3, 4))}, config={}, log={})
    with pytest.raises(WeightsError, match="not a NENet"):
        nenet.load(bad)
    with pytest.raises(ValueError, match="greyscale"):
        net(np.zeros((3, 32, 32)))

"""sparseimg.restoration.noise: the weak-texture patch noise estimator."""

import numpy as np
import pytest

from sparseimg.images import load_image
from sparseimg.restoration.noise import eigenvalue_tail_variance, estimate_sigma_patches
from sparseimg.restoration.shrinkage import estimate_sigma


def test_eigenvalue_tail_variance():
    # three structure directions above a flat noise floor: the floor is returned
    assert eigenvalue_tail_variance([9.0, 5.0, 3.0] + [1.0] * 10) == pytest.approx(1.0)
    # a spread floor (as a sample covariance gives): its mean, not its smallest value
    floor = np.linspace(0.8, 1.2, 21)
    assert eigenvalue_tail_variance(np.r_[50.0, 20.0, floor]) == pytest.approx(1.0, abs=0.02)
    with pytest.raises(ValueError, match="non-empty"):
        eigenvalue_tail_variance([])


def test_pure_noise():
    rng = np.random.default_rng(0)
    for sigma in (0.01, 0.2, 3.0):
        assert estimate_sigma_patches(sigma * rng.standard_normal((256, 256))) == pytest.approx(sigma, rel=0.02)


@pytest.mark.parametrize("name", ["camera", "coins"])
def test_beats_the_mad_estimate_on_textured_images(name):
    image = load_image(name, gray=True)
    rng = np.random.default_rng(1)
    errors_patch, errors_mad = [], []
    for s in (5.0, 20.0, 50.0):
        noisy = image + s / 255 * rng.standard_normal(image.shape)
        errors_patch.append(abs(255 * estimate_sigma_patches(noisy) - s))
        errors_mad.append(abs(255 * estimate_sigma(noisy) - s))
    assert max(errors_patch) < 0.6
    assert sum(errors_patch) < sum(errors_mad)


def test_scale_equivariant_and_stride():
    rng = np.random.default_rng(2)
    x = load_image("camera", gray=True)[:200, :200] + 0.05 * rng.standard_normal((200, 200))
    s = estimate_sigma_patches(x)
    assert estimate_sigma_patches(255 * x) == pytest.approx(255 * s, rel=1e-9)
    assert estimate_sigma_patches(x, stride=2) == pytest.approx(s, rel=0.05)


@pytest.mark.parametrize("kwargs, match", [({"patch": 2}, "patch"), ({"confidence": 1.0}, "confidence"),
                                           ({"stride": 0}, "stride"), ({"max_iter": -1}, "max_iter")])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        estimate_sigma_patches(np.zeros((32, 32)), **kwargs)
    with pytest.raises(ValueError, match="patch"):
        estimate_sigma_patches(np.zeros((5, 40)))

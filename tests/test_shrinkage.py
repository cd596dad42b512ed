"""Wavelet shrinkage: BayesShrink against scikit-image, the MAD noise estimate, cycle spinning,
thresholding rules, stacks and dtypes, and the argument checks."""

import warnings

import numpy as np
import pytest
from skimage import color, data, img_as_float
from skimage.restoration import denoise_wavelet

from sparseimg.restoration.denoisers import DenoiserProx
from sparseimg.operators.lifting import dwt2, subbands
from sparseimg.restoration.shrinkage import (bayesshrink_threshold, default_levels, denoise, denoise_ti, detail_gain,
                                 estimate_sigma, threshold_bands, visushrink_threshold)


@pytest.fixture(scope="module")
def camera():
    return img_as_float(data.camera())


def _noisy(img, sigma_255, seed):
    return img + sigma_255 / 255 * np.random.default_rng(seed).standard_normal(img.shape)


def _psnr(x, ref):
    return 10 * np.log10(1.0 / np.mean((x - ref) ** 2))


@pytest.mark.parametrize("method", ["BayesShrink", "VisuShrink"])
def test_matches_scikit_image_denoise_wavelet_bior44(camera, method):
    """Same wavelet (our lifting 9/7 = bior4.4), levels and sigma: within 0.1 dB (PyWavelets pads
    symmetrically by half-samples, we mirror whole-point, hence the small difference)."""
    pytest.importorskip("pywt")  # denoise_wavelet needs PyWavelets (in the venv, not yet in requirements.lock)
    sigma = 50 / 255
    noisy = _noisy(camera, 50, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # skimage: bior4.4 is not orthogonal
        ref = denoise_wavelet(noisy, sigma=sigma, wavelet="bior4.4", method=method, mode="soft",
                              wavelet_levels=4, rescale_sigma=True)
    ours = denoise(noisy, sigma, wavelet="cdf97", levels=4, method=method, mode="soft")
    assert abs(_psnr(ours, camera) - _psnr(ref, camera)) < 0.1
    assert _psnr(ours, camera) > _psnr(noisy, camera) + 8


def test_mad_estimate_is_within_one_grey_level(camera):
    images = {"camera": camera, "astronaut": color.rgb2gray(data.astronaut()), "moon": img_as_float(data.moon())}
    for name, img in images.items():
        for sigma_255 in range(5, 56, 10):
            estimate = 255 * estimate_sigma(_noisy(img, sigma_255, seed=sigma_255))
            assert abs(estimate - sigma_255) < 1.0, (name, sigma_255, estimate)
    # the plain MAD (no structure mask) overestimates at low noise on camera's textures
    plain = 255 * estimate_sigma(_noisy(camera, 5, seed=5), mask=None)
    masked = 255 * estimate_sigma(_noisy(camera, 5, seed=5))
    assert plain > masked > 4.0


def test_mad_estimate_of_pure_noise_is_unbiased_for_every_wavelet():
    noise = np.random.default_rng(7).standard_normal((2, 256, 256)) * np.array([0.5, 2.0])[:, None, None]
    for wavelet in ("haar", "cdf53", "cdf97"):
        estimate = estimate_sigma(noise, wavelet=wavelet)
        assert estimate.shape == (2,)
        np.testing.assert_allclose(estimate, [0.5, 2.0], rtol=0.02)
    assert abs(detail_gain("haar") - 1.0) < 1e-12 and abs(detail_gain("cdf53") - 0.75) < 1e-12


def test_cycle_spinning_beats_the_decimated_transform(camera):
    crop = camera[128:384, 128:384]
    noisy = _noisy(crop, 25, seed=1)
    decimated = _psnr(denoise(noisy, 25 / 255), crop)
    spun = _psnr(denoise_ti(noisy, 25 / 255, shifts=4), crop)
    assert spun > decimated + 0.5


def test_cycle_spun_bayesshrink_on_camera_at_sigma_50(camera):
    """The issue's target: >= 25.8 dB (measured 26.08 dB in 0.8 s; the full 16 × 16 shifts: 26.10 dB)."""
    noisy = _noisy(camera, 50, seed=0)
    assert _psnr(denoise_ti(noisy, 50 / 255), camera) >= 25.8
    assert _psnr(denoise_ti(noisy), camera) >= 25.8  # sigma estimated


def test_threshold_rules():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((32, 32))
    coefs = dwt2(x, "cdf97", levels=2)
    hard = threshold_bands(coefs.copy(), 1.0, levels=2, mode="hard", threshold=0.8)
    soft = threshold_bands(coefs.copy(), 1.0, levels=2, mode="soft", threshold=0.8)
    for band in subbands(x.shape, 2):
        c, h, s = coefs[band.slices], hard[band.slices], soft[band.slices]
        if band.orientation == "LL":  # kept
            assert np.array_equal(h, c) and np.array_equal(s, c)
        else:
            assert np.array_equal(h, np.where(np.abs(c) > 0.8, c, 0))
            np.testing.assert_allclose(s, np.sign(c) * np.maximum(np.abs(c) - 0.8, 0))
    assert abs(visushrink_threshold(0.1, 512 * 512) - 0.1 * np.sqrt(2 * np.log(512 * 512))) < 1e-15
    band = rng.standard_normal(10000) * 3.0
    assert abs(bayesshrink_threshold(band, 1.0) - 1.0 / np.sqrt(np.mean(band ** 2) - 1.0)) < 1e-12
    assert bayesshrink_threshold(rng.standard_normal(10000) * 0.5, 1.0) > 1e6  # all noise: zeroed


def test_stacks_dtypes_and_the_denoiser_prox(camera):
    crop = camera[:64, :80]
    stack = np.stack([_noisy(crop, 20, seed=3), _noisy(crop[::-1], 30, seed=4)])
    out = denoise(stack, np.array([20, 30]) / 255, levels=3)
    np.testing.assert_allclose(out[1], denoise(stack[1], 30 / 255, levels=3), atol=1e-12)
    out32 = denoise_ti(stack[0].astype(np.float32), 20 / 255, shifts=2)
    assert out32.dtype == np.float32 and out32.shape == crop.shape
    odd = denoise_ti(_noisy(camera[:61, :47], 20, seed=5), shifts=3)
    assert odd.shape == (61, 47) and _psnr(odd, camera[:61, :47]) > _psnr(_noisy(camera[:61, :47], 20, seed=5),
                                                                            camera[:61, :47]) + 3
    prox = DenoiserProx(denoise_ti, 20 / 255, {"shifts": 2})
    np.testing.assert_allclose(prox.prox(stack[0], 1.0), denoise_ti(stack[0], 20 / 255, shifts=2))
    assert default_levels((512, 512)) == 4 and default_levels((16, 16)) == 2


def test_errors_name_the_parameter():
    x = np.zeros((32, 32))
    with pytest.raises(ValueError, match=r"method='Bayes' is not allowed: expected one of 'BayesShrink', 'VisuShrink'"):
        denoise(x, 0.1, method="Bayes")
    with pytest.raises(ValueError, match=r"mode='garrote' is not allowed"):
        denoise(x, 0.1, mode="garrote")
    with pytest.raises(ValueError, match=r"sigma=-0.1 is not allowed: expected sigma >= 0.0"):
        denoise(x, -0.1)
    with pytest.raises(ValueError, match=r"shifts=40 is not allowed: expected shifts <= 31"):
        denoise(x, 0.1, shifts=40)
    with pytest.raises(ValueError, match=r"levels=9 is not allowed"):
        denoise(x, 0.1, levels=9)
    with pytest.raises(ValueError, match=r"x has shape \(32,\): expected an image"):
        denoise(np.zeros(32), 0.1)
    with pytest.raises(ValueError, match=r"sigma has shape \(3,\)"):
        denoise(np.zeros((2, 32, 32)), np.ones(3))

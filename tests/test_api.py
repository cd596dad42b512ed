"""The one-call API for a user's own image (sparseimg.restoration.api) and the README blocks that show it."""

import re
from pathlib import Path

import numpy as np
import pytest

import sparseimg
from sparseimg import deblur, denoise, inpaint, psnr
from sparseimg.images import prepare_image
from sparseimg.kernels import gaussian_psf
from sparseimg.operators import FourierConvolution, LinearConvolution, transfer_from_kernel

ROOT = Path(__file__).resolve().parents[1]


def _readme_block(first_line: str) -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Your own image"):]
    section = section[:section.index("\n## ", 5)]
    return next(b for b in re.findall(r"```python\n(.*?)```", section, re.S) if b.startswith(first_line))


@pytest.fixture(scope="module")
def camera():
    return prepare_image("camera", scale=0.25, crop=96)  # 96 × 96, floats in [0, 1]


def _save_8bit(path, image):
    from skimage import io

    io.imsave(path, np.round(np.clip(image, 0, 1) * 255).astype(np.uint8), check_contrast=False)


def test_readme_denoising_block_runs_on_a_user_png(tmp_path, monkeypatch, camera):
    noisy = camera + 25 / 255 * np.random.default_rng(0).standard_normal(camera.shape)
    _save_8bit(tmp_path / "noisy.png", noisy)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(_readme_block("# denoising"), namespace)
    observed = namespace["noisy"]
    for key in ("clean", "blind"):
        gain = psnr(camera, namespace[key]) - psnr(camera, observed)
        assert namespace[key].shape == camera.shape and gain > 4.0, (key, gain)


def test_readme_inpainting_block_runs_on_a_user_png(tmp_path, monkeypatch, camera):
    missing = np.random.default_rng(1).random(camera.shape) < 0.4
    _save_8bit(tmp_path / "photo.png", camera)
    np.save(tmp_path / "missing.npy", missing)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(_readme_block("# inpainting"), namespace)
    photo, filled = namespace["photo"], namespace["filled"]
    np.testing.assert_array_equal(filled[~missing], photo[~missing])  # observed pixels kept
    assert psnr(camera, filled) > 24.0


@pytest.mark.parametrize("method", ["wavelet", "learned", "bm3d", "tv"])
def test_every_denoiser_returns_an_unclipped_array_of_the_input_shape(method, camera):
    noisy = camera + 0.1 * np.random.default_rng(2).standard_normal(camera.shape)
    out = denoise(noisy, 0.1, method=method)
    assert isinstance(out, np.ndarray) and out.shape == camera.shape and out.dtype == np.float64
    assert psnr(camera, out) > psnr(camera, noisy) + 3.0


@pytest.mark.parametrize("method", ["biharmonic", "dct_l1", "dct_threshold", "soft_impute", "normalized_convolution"])
def test_every_inpainter_returns_an_array(method, camera):
    missing = np.random.default_rng(3).random(camera.shape) < 0.3
    out = inpaint(np.where(missing, np.nan, camera), missing, method=method)  # missing values never read
    assert isinstance(out, np.ndarray) and out.shape == camera.shape and np.all(np.isfinite(out))
    np.testing.assert_array_equal(out[~missing], camera[~missing])


def test_deblur_takes_a_psf_array_or_an_operator(camera):
    psf = gaussian_psf(9, (1.0, 2.0))
    blurred = LinearConvolution(psf, camera.shape).forward(camera)
    from_array = deblur(blurred, psf * 3.0, lam=1e-4, n_iter=30)  # normalized to sum 1 first
    from_operator = deblur(blurred, LinearConvolution(psf, camera.shape), lam=1e-4, n_iter=30)
    np.testing.assert_allclose(from_array, from_operator, atol=1e-12)
    circular = FourierConvolution(transfer_from_kernel(psf, camera.shape), camera.shape)
    assert deblur(circular.forward(camera), circular, method="tikhonov", lam=1e-3).shape == camera.shape
    for method in ("richardson_lucy", "wiener"):
        out = deblur(blurred, psf, method=method)
        assert out.shape == camera.shape and np.all(np.isfinite(out))


@pytest.mark.parametrize("call, match", [
    (lambda x: denoise(x, 25), r"sigma=25 is not allowed for an image in \[0, 1\].*25/255|0\.098"),
    (lambda x: denoise(x, 0.0), r"sigma=0"),
    (lambda x: denoise(x, -0.1), r"sigma=-0.1"),
    (lambda x: denoise(x * 255, 0.1), r"image has values in \[.*\]: expected an image in \[0, 1\] \(divide by 255\)"),
    (lambda x: denoise((x * 255).astype(np.uint8), 0.1), r"image has dtype uint8.*divide by 255"),
    (lambda x: denoise(np.stack([x, x, x], -1), 0.1), r"image has shape \(96, 96, 3\): expected a greyscale"),
    (lambda x: denoise(x[0], 0.1), r"image has shape \(96,\)"),
    (lambda x: denoise(x, 0.1, method="nlm"), r"method='nlm' is not allowed.*wavelet.*learned.*bm3d.*tv"),
    (lambda x: deblur(x, np.ones(5)), r"psf has shape \(5,\): expected a 2-D kernel"),
    (lambda x: deblur(x, np.zeros((3, 3))), r"psf sums to 0"),
    (lambda x: deblur(x, "gauss.npy"), r"psf=str is not an operator: it lacks forward"),
    (lambda x: deblur(x, LinearConvolution(np.ones((3, 3)) / 9, x.shape), method="wiener"),
     r"method='wiener' is not allowed with an operator"),
    (lambda x: deblur(x, np.ones((3, 3)), lam=0), r"lam=0"),
    (lambda x: inpaint(x, np.zeros(x.shape, int)), r"missing has dtype int64: expected a boolean mask"),
    (lambda x: inpaint(x, np.ones(x.shape, bool)), r"missing marks every pixel as missing"),
])
def test_bad_input_is_one_line_before_any_work(call, match, camera):
    with pytest.raises((ValueError, TypeError), match=match) as info:
        call(camera)
    assert "\n" not in str(info.value)


def test_top_level_names():
    assert {"denoise", "deblur", "inpaint", "load_image", "psnr"} <= set(sparseimg.__all__)
    assert sparseimg.load_image("camera").shape == (512, 512)  # `gray` has a default


def test_bm3d_runs_on_one_thread_so_repeated_calls_are_bitwise_equal(monkeypatch):
    bm3d = pytest.importorskip("bm3d")
    real, seen = bm3d.bm3d, []

    def spy(z, sigma, profile=None, **kw):
        seen.append(getattr(profile, "num_threads", None))
        return real(z, sigma, profile=profile, **kw)

    monkeypatch.setattr(bm3d, "bm3d", spy)
    noisy = np.random.default_rng(5).random((40, 40))
    first = denoise(noisy, 0.1, method="bm3d")
    assert np.array_equal(first, denoise(noisy, 0.1, method="bm3d")) and seen == [1, 1]

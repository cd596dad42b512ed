"""Image loading: packaged names, user PNG/JPEG files, clear errors."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import io

from sparseimg.images import (PACKAGED_IMAGES, available_images, center_crop, load_image,
                              resolve_image, to_float, to_gray)
from sparseimg.schema import ParamError, image_spec, validate_block


@pytest.fixture
def rgb_uint8():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(20, 30, 3), dtype=np.uint8)


def test_available_images_sorted_and_packaged():
    names = available_images()
    assert names == sorted(names)
    assert {"astronaut", "camera"} <= set(names)
    assert set(names) == set(PACKAGED_IMAGES)


@pytest.mark.parametrize("name", ["camera", "astronaut", "horse", "logo", "shepp_logan_phantom", "text"])
def test_packaged_images_load_as_float_in_unit_range(name):
    gray = load_image(name, gray=True)
    assert gray.ndim == 2 and gray.dtype == np.float64
    assert 0.0 <= gray.min() and gray.max() <= 1.0
    colour = load_image(name, gray=False)
    assert colour.shape[:2] == gray.shape
    assert colour.ndim == 2 or colour.shape[2] == 3


def test_astronaut_colour_and_grey_match_skimage():
    from skimage import color, data
    colour = load_image("astronaut", gray=False)
    assert colour.shape == (512, 512, 3)
    np.testing.assert_allclose(colour, data.astronaut() / 255.0)
    np.testing.assert_allclose(load_image("astronaut", gray=True), color.rgb2gray(data.astronaut()))


def test_user_png_is_loaded_exactly(tmp_path, rgb_uint8):
    path = tmp_path / "picture.png"
    io.imsave(path, rgb_uint8, check_contrast=False)
    colour = load_image(path, gray=False)
    np.testing.assert_allclose(colour, rgb_uint8 / 255.0)
    gray = load_image(str(path), gray=True)
    assert gray.shape == (20, 30)
    np.testing.assert_allclose(gray, to_gray(rgb_uint8 / 255.0))


def test_user_jpeg_and_relative_path(tmp_path, rgb_uint8):
    smooth = np.repeat(np.linspace(0, 255, 30, dtype=np.uint8)[None, :, None], 20, axis=0).repeat(3, axis=2)
    Image.fromarray(smooth).save(tmp_path / "ramp.JPG", quality=95)
    image = load_image("ramp.JPG", gray=True, root=tmp_path)
    assert image.shape == (20, 30)
    assert np.abs(image - smooth[:, :, 0] / 255.0).max() < 0.05  # lossy, but close


def test_uint16_and_rgba_pngs(tmp_path):
    deep = (np.arange(12 * 10, dtype=np.uint16).reshape(12, 10) * 500)
    io.imsave(tmp_path / "deep.png", deep, check_contrast=False)
    np.testing.assert_allclose(load_image(tmp_path / "deep.png", gray=True), deep / 65535.0)
    rgba = np.zeros((4, 5, 4), dtype=np.uint8)
    rgba[..., 3] = 0  # fully transparent: composited on white
    io.imsave(tmp_path / "alpha.png", rgba, check_contrast=False)
    colour = load_image(tmp_path / "alpha.png", gray=False)
    assert colour.shape == (4, 5, 3)
    np.testing.assert_allclose(colour, 1.0)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_image(tmp_path / "absent.png", gray=True)
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(FileNotFoundError, match="folder.png"):
        load_image(tmp_path / "folder.png", gray=True)


def test_unreadable_file_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.png"
    path.write_bytes(b"this is not a PNG file")
    with pytest.raises(ValueError, match="cannot be read as a PNG/JPEG image"):
        load_image(path, gray=True)
    truncated = tmp_path / "truncated.png"
    Image.fromarray(np.zeros((64, 64), dtype=np.uint8) + 7).save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:60])
    with pytest.raises(ValueError, match="cannot be read as a PNG/JPEG image"):
        load_image(truncated, gray=True)


def test_wrong_suffix_and_unknown_name():
    with pytest.raises(ValueError, match=r"\.png/\.jpg/\.jpeg"):
        resolve_image("picture.gif")
    with pytest.raises(ValueError, match="astronaut, brick"):
        resolve_image("astronot")
    with pytest.raises(TypeError, match="expected a packaged image name"):
        resolve_image(42)
    with pytest.raises(TypeError, match="gray=1"):
        load_image("camera", gray=1)


def test_to_float_conversions_and_errors():
    assert to_float(np.array([[True, False]])).tolist() == [[1.0, 0.0]]
    assert to_float(np.full((2, 2, 1), 255, dtype=np.uint8)).shape == (2, 2)
    with pytest.raises(ValueError, match=r"expected values in \[0, 1\]"):
        to_float(np.array([[0.0, 2.0]]))
    with pytest.raises(ValueError, match="expected \\(rows, columns\\)"):
        to_float(np.zeros((2, 2, 2)))


def test_center_crop():
    image = np.arange(7 * 9).reshape(7, 9)
    out = center_crop(image, 3)
    assert out.shape == (3, 3)
    np.testing.assert_array_equal(out, image[2:5, 3:6])
    full = center_crop(image, None)
    np.testing.assert_array_equal(full, image)
    assert full is not image
    with pytest.raises(ValueError, match="size=8"):
        center_crop(image, 8)


def test_image_spec_validates_before_computing(tmp_path, rgb_uint8):
    schema = {"image": image_spec()}
    assert validate_block("s", {"image": "camera"}, schema, root=tmp_path) == {"image": "camera"}
    io.imsave(tmp_path / "mine.png", rgb_uint8, check_contrast=False)
    out = validate_block("s", {"image": "mine.png"}, schema, root=tmp_path)
    assert Path(out["image"]).is_absolute() and Path(out["image"]).name == "mine.png"
    with pytest.raises(ParamError, match=r"s\.image='absent\.png' is not allowed: no such file"):
        validate_block("s", {"image": "absent.png"}, schema, root=tmp_path)
    (tmp_path / "broken.jpg").write_bytes(b"nope")
    with pytest.raises(ParamError, match=r"s\.image='broken\.jpg' is not allowed: .*cannot be read"):
        validate_block("s", {"image": "broken.jpg"}, schema, root=tmp_path)
    with pytest.raises(ParamError, match=r"s\.image=3 is not allowed: expected one of the packaged images"):
        validate_block("s", {"image": 3}, schema, root=tmp_path)

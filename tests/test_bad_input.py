"""Bad parameters tried as a new user would (issue 19): each is refused by the validator the runner
calls, in one line naming the parameter, its value and what is allowed, before any work; the
command line and the benchmark scripts exit 2 with that line. No notebook runs here."""

import importlib.util
import os
import struct
import sys
import zlib
from pathlib import Path

import pytest
import yaml

from sparseimg.schema import ParamError
from sparseimg.workspace.runner import load_section_params

ROOT = Path(__file__).resolve().parents[1]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A PNG bomb (declares 10⁵ × 10⁵ pixels, 74 bytes), a truncated PNG, the packaged astronaut and
    camera saved as files, a small image and a truncated JPEG."""
    from PIL import Image
    from skimage import data

    d = tmp_path_factory.mktemp("images")
    side = 100_000
    (d / "bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
                                 + _chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + _chunk(b"IEND", b""))
    Image.fromarray(data.astronaut()).save(d / "astronaut.png")
    Image.fromarray(data.camera()).save(d / "camera.png")
    Image.fromarray(data.astronaut()[::12, ::12]).save(d / "small.png")
    full = (d / "astronaut.png").read_bytes()
    (d / "truncated.png").write_bytes(full[: len(full) // 2])
    Image.fromarray(data.astronaut()).save(d / "astronaut.jpg", quality=75)
    jpg = (d / "astronaut.jpg").read_bytes()
    (d / "truncated.jpg").write_bytes(jpg[: len(jpg) // 2])
    return d


def _params(tmp_path, section, edits):
    from sparseimg.workspace.sections import SECTIONS

    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    block = SECTIONS[section].params_block if section in SECTIONS else section  # 03a reads the wavelets block
    for key, value in edits.items():
        if value is _DELETE:
            del params[block][key]
        else:
            params[block][key] = value
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


_DELETE = object()

# (section, edits ({file} is the image folder), what the one line must contain)
CASES = [
    ("deblurring", {"image": "{file}/bomb.png"}, ["deblurring.image=", "declares 100000x100000 pixels", "at most"]),
    ("inpainting", {"image": "{file}/bomb.png"}, ["inpainting.image=", "declares 100000x100000 pixels"]),
    ("wavelets", {"image": "{file}/bomb.png"}, ["wavelets.image=", "declares 100000x100000 pixels"]),
    ("deblurring", {"image": "{file}/truncated.png"}, ["deblurring.image=", "cannot be read as a PNG/JPEG"]),
    ("deblurring", {"image": "{file}/truncated.jpg"}, ["deblurring.image=", "truncated"]),
    ("deblurring", {"crop": 600}, ["deblurring.crop=600", "at most 171", "rescaled by 0.3333"]),
    ("deblurring", {"psf_size": 12}, ["deblurring.psf_size=12", "an odd number"]),
    ("deblurring", {"crop": 16, "psf_size": 101}, ["deblurring.psf_size=101", "at most 16", "deblurring.crop=16"]),
    ("deblurring", {"crop": 32, "border_margin": 20}, ["deblurring.border_margin=20", "at most 15"]),
    ("deblurring", {"psf_sigma": [1e9, 1e9]}, ["deblurring.psf_sigma[0]=1000000000.0", "<= 101"]),
    ("deblurring", {"psf_sigma": [1.0, 20.0]}, ["deblurring.psf_sigma[1]=20.0", "deblurring.psf_size=13"]),
    ("deblurring", {"image": "{file}/small.png"}, ["deblurring.image='small.png'", "14 pixels", "at least 16"]),
    ("deblurring", {"mu": 1e9}, ["deblurring.mu=1000000000.0", "0 < mu <= 10"]),
    ("deblurring", {"mu_grid": [0.02, 0.05, 0.05]}, ["deblurring.mu_grid[2]=0.05", "repeats", "distinct"]),
    ("deblurring", {"tuning_image": "{file}/astronaut.png"},
     ["deblurring.tuning_image='astronaut.png'", "deblurring.image='astronaut'", "pixels are compared"]),
    ("deblurring", {"image": "{file}/camera.png"},  # a packaged name whose pixels equal the reported image's
     ["deblurring.tuning_image='camera'", "deblurring.image='camera.png'"]),
    ("deblurring", {"tuning_image": "{file}/astronaut.jpg"}, ["deblurring.tuning_image='astronaut.jpg'"]),
    ("inpainting", {"crop": 600}, ["inpainting.crop=600", "at most 512", "inpainting.image='astronaut'"]),
    ("inpainting", {"adam_lr": 1e9}, ["inpainting.adam_lr=1000000000.0", "0 < adam_lr <= 1"]),
    ("inpainting", {"crop": 64, "fixed_count": 5000, "ranks": [8], "doc_rank": 8},
     ["inpainting.fixed_count=5000", "4096 pixels"]),
    ("inpainting", {"crop": 64, "dct_block": 128, "dct_stride": 128, "ranks": [8], "doc_rank": 8},
     ["inpainting.dct_block=128", "inpainting.crop=64"]),
    ("inpainting", {"proportions": [0.1, 0.1, 0.4, 0.8]}, ["inpainting.proportions[1]=0.1", "repeats"]),
    ("inpainting", {"crop": 64}, ["inpainting.ranks[1]=100", "inpainting.crop=64"]),
    ("inpainting", {"crop": 64, "ranks": [8], "doc_rank": 100}, ["inpainting.doc_rank=100"]),
    ("wavelets", {"images": ["camera", "camera", "moon"]}, ["wavelets.images[1]='camera'", "repeats"]),
    ("wavelets", {"images": ["camera", "{file}/camera.png", "moon"], "image": "moon"},
     ["wavelets.images[1]='camera.png'", "wavelets.images[0]='camera'"]),
    ("wavelets", {"tuning_image": "{file}/astronaut.png"},
     ["wavelets.tuning_image='astronaut.png'", "wavelets.images[1]='astronaut'"]),
    ("wavelets", {"sigmas": [15.0, 25.0, 25.0]}, ["wavelets.sigmas[2]=25.0", "repeats"]),
    ("wavelet_deblurring", {"tuning_image": "{file}/astronaut.png"},  # section 2's problem is the astronaut's
     ["wavelets.tuning_image='astronaut.png'", "section 2's reported image 'astronaut'"]),
    ("wavelet_deblurring", {"tuning_image": "{file}/camera.png"},
     ["wavelets.tuning_image='camera.png'", "wavelets.image='camera'"]),
    ("large_images", {"workers": 256}, ["large_images.workers=256", "1 <= workers <= 64"]),
    ("large_images", {"workers": 2 * (os.cpu_count() or 1) + 1}, ["large_images.workers=", "CPU cores"]),
    ("large_images", {"scaling_sizes": [512, 512]}, ["large_images.scaling_sizes[1]=512", "repeats"]),
    ("unfolding", {"lift_tuning_image": "camera"},
     ["unfolding.lift_tuning_image='camera'", "unfolding.lift_images[0]='camera'", "never tune on a reported image"]),
    ("unfolding", {"lift_tuning_image": "{file}/astronaut.png"},
     ["unfolding.lift_tuning_image='astronaut.png'", "unfolding.lift_images[1]='astronaut'"]),
    ("unfolding", {"lift_train_images": ["chelsea", "{file}/camera.png"]},
     ["unfolding.lift_train_images[1]='camera.png'", "unfolding.lift_images[0]='camera'", "never reported"]),
    ("sparse_coding", {"reference_iter": 1}, ["sparse_coding.reference_iter=1", "sparse_coding.n_iter=500"]),
    ("sparse_coding", {"lam_factors": [0.1, 1.0, 1.0]}, ["sparse_coding.lam_factors[2]=1.0", "repeats"]),
]


@pytest.mark.parametrize("section, edits, expected", CASES, ids=[f"{c[0]}-{'-'.join(c[1])}-{i}"
                                                                   for i, c in enumerate(CASES)])
def test_refused_in_one_line(tmp_path, files, section, edits, expected):
    edits = {k: (v.replace("{file}", str(files)) if isinstance(v, str) else
                 [x.replace("{file}", str(files)) if isinstance(x, str) else x for x in v] if isinstance(v, list)
                 else v) for k, v in edits.items()}
    with pytest.raises(ParamError) as info:
        load_section_params(section, _params(tmp_path, section, edits), root=ROOT)
    line = str(info.value)
    assert "\n" not in line and "is not allowed" in line and "expected" in line, line
    for text in expected:
        assert text in line, line


def test_cli_refuses_before_papermill(tmp_path, files, monkeypatch, capsys):
    from sparseimg.workspace.cli import main

    path = _params(tmp_path, "deblurring", {"image": str(files / "bomb.png")})
    monkeypatch.setitem(sys.modules, "papermill", None)  # importing papermill now raises ImportError
    code = main(["run", "deblurring", "--params", str(path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: params.yaml: deblurring.image="), err


def _script(name):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("script, edit, expected", [
    ("deblur_speed", ("deblurring", {"psf_size": 12}), "deblurring.psf_size=12"),
    ("deblur_speed", ("deblurring", {"mu": 1e9}), "deblurring.mu=1000000000.0"),
    ("sporco_cbpdn", ("benchmark_sporco", _DELETE), "section 'benchmark_sporco' is missing"),
    ("sporco_cbpdn", ("benchmark_sporco", {"reference_iter": 1}), "benchmark_sporco.reference_iter=1"),
    ("sporco_cbpdn", ("sparse_coding", {"reference_iter": 1}), "sparse_coding.reference_iter=1"),
    ("wavelets_speed", ("benchmark_wavelets", {"levels": 11}), "benchmark_wavelets.levels=11"),
])
def test_benchmarks_exit_2_in_one_line(tmp_path, capsys, script, edit, expected):
    block, edits = edit
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    if edits is _DELETE:
        del params[block]
    else:
        params[block].update(edits)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    code = _script(script).main(["--params", str(path), "--output-dir", str(tmp_path / "reports")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and expected in err[0], err
    assert not (tmp_path / "reports").exists()  # nothing started


@pytest.mark.parametrize("argv, expected", [
    (["--threads", "1000"], "--threads=1000"),
    (["--tol", "0"], "--tol=0.0"),
    (["--size", "3"], "--size=3"),
])
def test_sporco_overrides_checked(tmp_path, capsys, argv, expected):
    code = _script("sporco_cbpdn").main(argv + ["--params", str(ROOT / "params.yaml"),
                                               "--output-dir", str(tmp_path / "reports")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and expected in err[0], err


def test_image_header_checks_size_before_decoding(files):
    from sparseimg.images import MAX_IMAGE_PIXELS, image_header, load_image

    shape, reason = image_header(files / "bomb.png")
    assert shape is None and "100000x100000" in reason and str(MAX_IMAGE_PIXELS) in reason
    with pytest.raises(ValueError, match="declares 100000x100000 pixels"):
        load_image(str(files / "bomb.png"))
    for name in ("truncated.png", "truncated.jpg"):
        assert image_header(files / name)[0] is None, name
    assert image_header(files / "astronaut.png") == ((512, 512), None)


def test_same_picture_by_content(files):
    from sparseimg.images import same_picture

    assert same_picture("astronaut", str(files / "astronaut.png"))
    assert same_picture("astronaut", str(files / "astronaut.jpg"))  # re-encoded: the same picture
    assert same_picture(str(files / "camera.png"), "camera")
    assert not same_picture("camera", "astronaut")
    assert not same_picture("camera", "coins")  # another shape and another picture
    assert not same_picture("coffee", "astronaut")


def test_committed_and_quick_blocks_still_pass():
    from sparseimg.workspace.sections import SECTIONS

    for name in ("sparse_coding", "deblurring", "wavelets", "wavelet_deblurring", "inpainting", "large_images"):
        load_section_params(name, ROOT / "params.yaml", root=ROOT)
        sec = SECTIONS[name]
        sec.check_rules(sec.quick_params())


@pytest.mark.parametrize("section, edits, expected", [
    ("inpainting", {"smooth_sigma": 1e9}, "inpainting.smooth_sigma=1000000000.0"),
    ("inpainting", {"rff_sigma": 1e9}, "inpainting.rff_sigma=1000000000.0"),
    ("wavelet_deblurring", {"blur_psf_sigma": 1e9}, "wavelets.blur_psf_sigma=1000000000.0"),
    ("deblurring", {"tikhonov_grid": [1e-3, 1e9]}, "deblurring.tikhonov_grid[1]=1000000000.0"),
    ("deblurring", {"tv_grid": [1e-3, 1e9]}, "deblurring.tv_grid[1]=1000000000.0"),
    ("deblurring", {"wiener_grid": [1.0, 1e9]}, "deblurring.wiener_grid[1]=1000000000.0"),
    ("wavelet_deblurring", {"blur_psf_size": 12}, "wavelets.blur_psf_size=12"),
    ("wavelet_deblurring", {"blur_crop": 16, "levels": 2, "blur_psf_size": 31}, "wavelets.blur_psf_size=31"),
])
def test_sweep_of_absurd_widths(tmp_path, section, edits, expected):
    """Found sweeping the schemas: widths that allocate 8 σ + 1 filter taps, PSFs larger than the image."""
    with pytest.raises(ParamError, match="is not allowed: expected") as info:
        load_section_params(section, _params(tmp_path, section, edits), root=ROOT)
    assert expected in str(info.value)

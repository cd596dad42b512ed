"""csc-large: the kernel as the user has it (--kernel FILE.npy, the oriented envelope's θ and B_θ), an error
that says what fits when the kernel's radius does not, and a plan line on stderr before any work."""

import numpy as np
import pytest

from sparseimg.large.tiled import largest_tolerance_for_radius, truncated_kernel
from sparseimg.workspace.cli import main

pytest.importorskip("zarr")


@pytest.fixture(scope="module")
def image_zarr(tmp_path_factory):
    import zarr

    from sparseimg.large.tiled import global_operator

    path = tmp_path_factory.mktemp("in") / "image.zarr"
    rng = np.random.default_rng(1)
    y = np.where(rng.random((256, 256)) < 2e-3, rng.laplace(size=(256, 256)) * 10, 0.0)
    x = global_operator(truncated_kernel(tol=1e-3)[0], y.shape, boundary="masked").forward(y)
    zarr.open_array(str(path), mode="w", shape=x.shape, chunks=(128, 128), dtype="float64")[...] = x
    return path


def _run(capsys, *argv):
    code = main(["csc-large", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out.strip(), captured.err.strip()


def test_radius_that_does_not_fit_names_the_smallest_tile_and_the_largest_tolerance(image_zarr, tmp_path, capsys):
    code, _, err = _run(capsys, image_zarr, tmp_path / "o.zarr", "--lam", "0.02", "--tile", "128")
    assert code == 2 and "\n" not in err, err
    assert "kernel radius 58" in err and "the smallest tile that fits is --tile=232" in err, err
    assert "the largest --kernel-tol for --tile=128 is " in err and "(radius 32)" in err, err
    tol = float(err.split("the largest --kernel-tol for --tile=128 is ")[1].split()[0])
    assert truncated_kernel(tol=tol)[0].shape[0] // 2 <= 32 < truncated_kernel(tol=tol / 2)[0].shape[0] // 2 + 1


def test_oriented_envelope_options_reach_the_kernel(image_zarr, tmp_path, capsys):
    theta, btheta = np.pi / 3, np.pi / 8
    code, _, err = _run(capsys, image_zarr, tmp_path / "o.zarr", "--lam", "0.02", "--tile", "128",
                        "--kernel-tol", "1e-6", "--theta", theta, "--btheta", btheta)
    radius = truncated_kernel(tol=1e-6, theta=theta, B_theta=btheta)[0].shape[0] // 2
    assert radius > truncated_kernel(tol=1e-6)[0].shape[0] // 2  # oriented: a longer kernel
    assert code == 2 and f"kernel radius {radius}" in err, err
    fits = largest_tolerance_for_radius(32, theta=theta, B_theta=btheta)
    assert f"is {fits:.2g} (radius 32)" in err


@pytest.mark.parametrize("content, words", [(np.ones((4, 4)), "expected a square (2r+1, 2r+1) array"),
                                            (np.zeros((5, 5)), "not all zero")])
def test_bad_kernel_file_is_one_line(image_zarr, tmp_path, capsys, content, words):
    path = tmp_path / "k.npy"
    np.save(path, content)
    code, _, err = _run(capsys, image_zarr, tmp_path / "o.zarr", "--lam", "0.02", "--tile", "128", "--kernel", path)
    assert code == 2 and "\n" not in err and words in err, err
    code, _, err = _run(capsys, image_zarr, tmp_path / "o.zarr", "--lam", "0.02", "--tile", "128", "--kernel",
                        tmp_path / "missing.npy")
    assert code == 2 and "expected an existing .npy file" in err


def test_quiet_and_progress_together_are_refused(image_zarr, tmp_path, capsys):
    code, _, err = _run(capsys, image_zarr, tmp_path / "o.zarr", "--lam", "0.02", "--tile", "128", "--quiet",
                        "--progress")
    assert code == 2 and "--quiet and --progress" in err


def test_a_run_with_a_kernel_file_states_its_plan_first_and_draws_no_bar_off_a_terminal(image_zarr, tmp_path,
                                                                                           capsys):
    import zarr

    kernel = truncated_kernel(tol=1e-3)[0]
    np.save(tmp_path / "k.npy", kernel)
    out = tmp_path / "events.zarr"
    code, stdout, err = _run(capsys, image_zarr, out, "--lam", "0.05", "--tile", "128", "--kernel",
                             tmp_path / "k.npy", "--tol", "1e-6", "--round0-tol", "1e-6")  # the CLI, not accuracy
    assert code == 0, err
    lines = err.splitlines()
    assert lines[0] == ("csc-large: 256x256 image, 4 tiles (2 x 2 of at most 128), halo 16, kernel radius 8, "
                        "2 round(s) (no progress bar)"), lines
    assert not any("%" in line or "#" in line for line in lines)  # Dask's bar draws [####  ] | 50% ...
    assert "kernel radius 8" in stdout
    arr = zarr.open_array(str(out), mode="r")
    assert arr.nchunks_initialized == arr.nchunks and np.count_nonzero(arr[...]) > 0

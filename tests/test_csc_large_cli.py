"""`python -m sparseimg csc-large`: every bad argument is one line and exit 2 before any work; a real run."""

import numpy as np
import pytest

from sparseimg.workspace.cli import main

pytest.importorskip("zarr")


@pytest.fixture(scope="module")
def image_zarr(tmp_path_factory):
    import zarr

    path = tmp_path_factory.mktemp("in") / "image.zarr"
    rng = np.random.default_rng(0)
    y = np.where(rng.random((256, 256)) < 2e-3, rng.laplace(size=(256, 256)) * 10, 0.0)
    from sparseimg.large.tiled import global_operator, truncated_kernel

    x = global_operator(truncated_kernel(tol=1e-3)[0], y.shape, boundary="masked").forward(y)
    arr = zarr.open_array(str(path), mode="w", shape=x.shape, chunks=(128, 128), dtype="float64")
    arr[...] = x
    return path


def _run(capsys, *argv):
    code = main(["csc-large", *map(str, argv)])
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.mark.parametrize("extra, words", [
    (["--lam", "1.5", "--tile", "128"], "--lam=1.5"),
    (["--lam", "0", "--tile", "128"], "--lam=0.0"),
    (["--lam", "0.02", "--tile", "4"], "--tile=4"),
    (["--lam", "0.02", "--tile", "120", "--kernel-tol", "1e-3", "--halo", "16"], "the last is 16"),
    (["--lam", "0.02", "--tile", "128", "--boundary", "reflect"], "--boundary='reflect'"),
    (["--lam", "0.02", "--tile", "128", "--rounds", "3"], "--rounds=3"),
    (["--lam", "0.02", "--tile", "128", "--scheduler", "not an address"], "--scheduler='not an address'"),
    (["--lam", "0.02", "--tile", "64"], "halo + 2 × radius"),
    (["--lam", "0.02", "--tile", "128", "--round0-tol=2"], "--round0-tol=2.0"),
])
def test_bad_arguments_exit_2_with_one_line(image_zarr, tmp_path, capsys, extra, words):
    code, err = _run(capsys, image_zarr, tmp_path / "out.zarr", *extra)
    assert code == 2 and "\n" not in err and words in err, err
    assert not (tmp_path / "out.zarr").exists()


def test_bad_paths_exit_2(image_zarr, tmp_path, capsys):
    code, err = _run(capsys, tmp_path / "missing.zarr", tmp_path / "o.zarr", "--lam", "0.02", "--tile", "128")
    assert code == 2 and "does not exist" in err
    code, err = _run(capsys, image_zarr, tmp_path / "o.npy", "--lam", "0.02", "--tile", "128")
    assert code == 2 and "ending in .zarr" in err
    (tmp_path / "bad.png").write_bytes(b"not a png")
    code, err = _run(capsys, tmp_path / "bad.png", tmp_path / "o.zarr", "--lam", "0.02", "--tile", "128")
    assert code == 2 and "not a readable PNG" in err
    code, err = _run(capsys, image_zarr, image_zarr, "--lam", "0.02", "--tile", "128", "--overwrite")
    assert code == 2 and "other than INPUT" in err


def test_a_real_run_writes_every_tile_and_refuses_to_overwrite(image_zarr, tmp_path, capsys):
    import zarr

    out = tmp_path / "events.zarr"
    args = [image_zarr, out, "--lam", "0.05", "--tile", "128", "--kernel-tol", "1e-3", "--halo", "16",
            "--tol", "1e-6", "--round0-tol", "1e-6"]  # the CLI's run and files, not its accuracy
    code, err = _run(capsys, *args, "--progress")
    assert code == 0 and "dashboard at http" in err
    arr = zarr.open_array(str(out), mode="r")
    assert arr.shape == (256, 256) and arr.nchunks_initialized == arr.nchunks
    assert np.count_nonzero(arr[...]) > 0
    code, err = _run(capsys, *args)
    assert code == 2 and "exists" in err

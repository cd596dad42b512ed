"""Tiled sparse coding on Dask: the operator of a window, tiled == global, real scheduler and workers."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from sparseimg.operators.convolution import LinearConvolution
from sparseimg.tiled import (TileConvolution, check_tiling, global_operator, objective, solve_global, solve_tiled,
                             truncated_kernel)

pytest.importorskip("dask.distributed")


def _events(n, seed, rho=1e-3, scale=1.61803):
    rng = np.random.default_rng(seed)
    y = scale * rng.laplace(size=(n, n))
    y[np.abs(y) <= -scale * np.log(rho)] = 0.0
    return y


def _problem(n, kernel, boundary, seed=0, noise=0.1):
    y = _events(n, seed)
    x = global_operator(kernel, (n, n), boundary=boundary).forward(y)
    x += noise * x.std() * np.random.default_rng(seed + 1).standard_normal(x.shape)
    return y, x


@pytest.fixture(scope="module")
def kernel():
    return truncated_kernel(tol=1e-3)[0]  # radius 8: small tests; the tiling logic does not depend on it


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0", processes=True) as cl, \
            Client(cl) as c:
        yield c


def test_truncated_kernel_keeps_energy_above_tol():
    k, tail = truncated_kernel(tol=1e-8)
    assert tail < 1e-8
    assert abs(np.sum(k ** 2) - 1.0) < 1e-12
    r = k.shape[0] // 2
    assert 40 <= r <= 64  # the document's kernel decays slowly (issue: r ~ 64 for 1e-8)
    assert truncated_kernel(tol=1e-3)[0].shape[0] < k.shape[0]


def test_tile_convolution_is_the_linear_convolution_and_adjoint(kernel):
    rng = np.random.default_rng(3)
    r = kernel.shape[0] // 2
    w = (40, 33)
    op = TileConvolution(kernel, w)
    y = rng.standard_normal(w)
    big = np.zeros((w[0] + 2 * r, w[1] + 2 * r))
    big[r:-r, r:-r] = y
    assert np.allclose(op.forward(y), LinearConvolution(kernel, big.shape).forward(big), atol=1e-12)
    mask = rng.random(op.grid) > 0.3
    masked = TileConvolution(kernel, w, observed=mask)
    z = rng.standard_normal(op.grid)
    assert np.isclose(np.sum(masked.forward(y) * z), np.sum(y * masked.adjoint(z)), rtol=1e-12)
    assert np.all(masked.forward(y)[~mask] == 0)


def test_check_tiling_names_the_rule():
    with pytest.raises(ValueError, match="halo \\+ 2 × radius = 40"):
        check_tiling((256, 256), 32, 8, 16)
    with pytest.raises(ValueError, match="the last is 10"):
        check_tiling((266, 256), 64, 8, 8)
    with pytest.raises(ValueError, match="wrap onto itself"):
        check_tiling((120, 120), 64, 16, 8, boundary="periodic")
    check_tiling((128, 128), 64, 16, 8, boundary="masked")


# -- a real scheduler and real worker processes ------------------------------------------------------------
def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(address, name):
    return subprocess.Popen([sys.executable, "-m", "dask", "worker", address, "--nthreads", "1", "--no-nanny",
                             "--no-dashboard", "--name", name, "--host", "127.0.0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_workers(client, count, timeout=60):
    client.wait_for_workers(count, timeout=timeout)


@pytest.fixture(scope="module")
def scheduler():
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        from dask.distributed import Client

        deadline = time.time() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        procs += [_worker(address, "w1"), _worker(address, "w2")]
        with Client(address) as c:
            _wait_workers(c, 2)
        yield address, procs
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.fixture(scope="module")
def small(kernel):
    return _problem(256, kernel, "periodic", seed=5)[1]


def _solve_small(x, kernel, client, out=None):
    return solve_tiled(x, kernel, lam=0.02, tile=128, halo=16, boundary="periodic", client=client, out=out)


def test_solve_through_a_real_scheduler_and_two_workers(scheduler, small, kernel, client):
    address, _ = scheduler
    from dask.distributed import Client

    with Client(address) as c:
        assert len(c.scheduler_info()["workers"]) >= 2
        remote = _solve_small(small, kernel, address)  # connects by address, as the CLI's --scheduler
        counts = c.run(lambda dask_worker: len(dask_worker.data) + dask_worker.state.executed_count)
    local = _solve_small(small, kernel, client)
    assert np.array_equal(remote.events, local.events)
    assert sum(v > 0 for v in counts.values()) >= 2  # both workers ran tasks


def test_killed_worker_does_not_change_the_result(scheduler, small, kernel):
    address, procs = scheduler
    from dask.distributed import Client

    with Client(address) as c:
        reference = _solve_small(small, kernel, c).events
        victim = _worker(address, "victim")
        procs.append(victim)
        _wait_workers(c, 3)
        result = {}
        thread = threading.Thread(target=lambda: result.update(y=_solve_small(small, kernel, address).events))
        thread.start()
        deadline = time.time() + 60
        killed = False
        while time.time() < deadline and thread.is_alive():
            info = c.scheduler_info()["workers"]
            victims = [a for a, w in info.items() if w.get("name") == "victim"]
            if victims and c.processing(victims).get(victims[0]):
                os.kill(victim.pid, signal.SIGKILL)
                killed = True
                break
            time.sleep(0.01)
        thread.join(timeout=300)
    assert killed, "the victim never ran a task"
    assert np.array_equal(result["y"], reference)


def test_output_zarr_is_complete_and_identical_after_a_rerun(tmp_path, small, kernel, client):
    import zarr

    out = tmp_path / "events.zarr"
    first = np.asarray(_solve_small(small, kernel, client, out=str(out)).events[...])
    arr = zarr.open_array(str(out), mode="r")
    assert arr.chunks == (128, 128) and arr.shape == small.shape
    assert arr.nchunks_initialized == arr.nchunks  # every tile written
    assert not (tmp_path / "events.zarr.round0").exists()  # the scratch round is removed
    second = np.asarray(_solve_small(small, kernel, client, out=str(out)).events[...])
    assert np.array_equal(first, second) and np.count_nonzero(first) > 0
    assert np.array_equal(first, _solve_small(small, kernel, client).events)

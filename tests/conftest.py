"""Shared fixtures: small, seeded problems so that unit tests run in seconds."""

import importlib.util
import os
import sys
from contextlib import contextmanager

import numpy as np
import pytest

os.environ.setdefault("DVC_NO_ANALYTICS", "1")


@pytest.fixture(autouse=True)
def _seeded_global_rng():
    """Every test starts from the same state of NumPy's global generator, whatever ran before it.

    autograd's ``check_grads`` draws its test directions from ``np.random``; unseeded, a test's
    direction depended on which tests an xdist worker had run first (CI once drew one of the ~0.5 %
    of directions for which a central difference across the pilot model's ``log(p² + 1e-6)`` is off
    by 3e-6 relative: a finite-difference error, not a gradient one).
    """
    np.random.seed(20261205)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def mc_operator_64():
    from sparseimg.kernels import motion_cloud_operator
    return motion_cloud_operator((64, 64))


@pytest.fixture(scope="session")
def psf_operator_48x40():
    """A non-square grid with an odd last axis and a non-symmetric (complex) transfer function."""
    from sparseimg.operators import FourierConvolution, transfer_from_kernel
    kernel = np.arange(1.0, 16.0).reshape(3, 5) ** 1.5
    return FourierConvolution(transfer_from_kernel(kernel / kernel.sum(), (48, 41)), (48, 41))


@contextmanager
def loaded_script(path, name: str):
    """A benchmark script imported as module ``name`` (registered while in use: dataclasses look it up)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(name, None)


# -- the tiled solver's problems and their global minimizers (shared by the tiled tests) ---------------------
def tiled_problem(n: int, kernel, boundary: str, seed: int = 0, noise: float = 0.1):
    """Section 1b's kind of problem on an ``n × n`` image: events of density ~1/1000 (Laplace draws above
    their 1e-3 quantile), blurred by ``kernel`` with ``boundary``, plus 10 % noise. ``(events, image)``."""
    from sparseimg.large.tiled import global_operator

    rng = np.random.default_rng(seed)
    y = 1.61803 * rng.laplace(size=(n, n))
    y[np.abs(y) <= -1.61803 * np.log(1e-3)] = 0.0
    x = global_operator(kernel, (n, n), boundary=boundary).forward(y)
    x += noise * x.std() * np.random.default_rng(seed + 1).standard_normal(x.shape)
    return y, x


@pytest.fixture(scope="session")
def tiled_kernel():
    """The MotionClouds kernel truncated at 1e-3 of its energy: radius 8."""
    from sparseimg.large.tiled import truncated_kernel

    return truncated_kernel(tol=1e-3)[0]


@pytest.fixture(scope="session")
def tiled_reference(tiled_kernel):
    """``reference(n, boundary)`` -> ``(events, image, lam_abs, minimizer)`` at λ = 0.02 ‖Aᵀx‖∞, computed once
    per session by the fastest exact solver: the fused ADMM loop for the periodic (circular) operator,
    restarted FISTA for the masked one (a linear convolution: no closed-form x-step), both to 1e-12."""
    from sparseimg.large.tiled import global_operator, solve_global
    from sparseimg.optim.admm import admm
    from sparseimg.optim.objectives import LeastSquares
    from sparseimg.optim.prox import L1Norm

    cache = {}

    def reference(n: int, boundary: str):
        if (n, boundary) not in cache:
            truth, x = tiled_problem(n, tiled_kernel, boundary)
            op = global_operator(tiled_kernel, (n, n), boundary=boundary)
            lam_abs = 0.02 * float(np.max(np.abs(op.adjoint(x))))
            if boundary == "periodic":
                ref, hist = admm(LeastSquares(op, x), L1Norm(lam_abs), np.zeros((n, n)), n_iter=5000, tol=1e-12,
                                 fused=True)
            else:
                ref, hist = solve_global(x, tiled_kernel, lam_abs, boundary=boundary, n_iter=5000, tol=1e-12)
            assert hist.converged, (n, boundary)
            cache[n, boundary] = (truth, x, lam_abs, ref)
        return cache[n, boundary]

    return reference


@pytest.fixture(scope="module")
def dask_client():
    """A LocalCluster for the test file: two worker processes, one thread each (as the pipeline's).

    Per file, not per session: an idle cluster is not free (its scheduler, nannies and workers poll: about
    0.14 of a core for the four processes), and a session cluster started by an early file idled beside every
    later test of its xdist worker.
    """
    pytest.importorskip("dask.distributed")
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0", processes=True) as cl, \
            Client(cl) as c:
        yield c


def pytest_configure(config):
    config.addinivalue_line("markers", "large: the tiled solver at 1024² and 2048² (about 10 min; runs only when "
                                       "-m names it, e.g. -m large)")


#: The longest files (measured with --durations=0), started first: with ``--dist loadfile`` a file runs on one
#: worker, so the pipeline test (about 4 min alone) must not queue behind the others. xdist keeps this order only
#: with ``--no-loadscope-reorder`` (``make test``): by default it queues files by their number of tests, which put
#: the two-test pipeline file near the end (fresh clone, same commit: 7 min 6 s reordered, 5 min 2 s in this order).
LONGEST_FIRST = ("tests/test_pipeline.py", "notebooks/03_wavelets.ipynb", "tests/test_tiled.py",
                 "tests/test_tiled_accuracy.py", "notebooks/03b_unfolding.ipynb", "notebooks/01b_large_images.ipynb",
                 "notebooks/03c_winnet.ipynb")


def pytest_collection_modifyitems(config, items):
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable: order kept in a file
    if "large" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="large size: run with -m large")
    for item in items:
        if "large" in item.keywords:
            item.add_marker(skip)

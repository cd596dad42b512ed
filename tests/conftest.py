"""Shared fixtures: small, seeded problems so that unit tests run in seconds."""

import importlib.util
import os
import sys
from contextlib import contextmanager

import numpy as np
import pytest

os.environ.setdefault("DVC_NO_ANALYTICS", "1")


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

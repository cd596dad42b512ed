"""The numbers the source document (section 1, "Sparse coding of large images") printed at 512x512 with
RandomState(2020), to the last digit."""

import numpy as np
import pytest

from sparseimg.kernels import motion_cloud_envelope
from sparseimg.metrics import event_statistics
from sparseimg.sparsemodels.synthesis import sparse_events


@pytest.fixture(scope="module")
def draw():
    return sparse_events((512, 512), rho=1e-3, scale=1.61803, seed=2020)


def test_numpy_is_the_pinned_one():
    # numpy >= 2.3 changes float64 summation: two printed values move by 2 ULP.
    assert np.__version__.startswith("2.2."), np.__version__


def test_dense_statistics(draw):
    mean, std = event_statistics(draw.dense)
    assert (str(mean), str(std)) == ("-0.008859802575012121", "2.2900579569626447")


def test_threshold(draw):
    assert str(draw.threshold) == "11.432255842859089"


def test_thresholded_statistics(draw):
    mean, std = event_statistics(draw.events)
    assert (str(mean), str(std)) == ("0.00031693423294735503", "0.4103409801780267")


def test_envelope_energy():
    envelope = motion_cloud_envelope((512, 512), sf_0=0.15, B_sf=0.15)
    assert str((envelope ** 2).sum()) == "1.0000000000000002"


def test_sparsity_is_rho(draw):
    assert np.count_nonzero(draw.events) == 263  # 0.1 % of 262144, ties excluded

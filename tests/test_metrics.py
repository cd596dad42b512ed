import numpy as np
import pytest

from sparseimg.metrics import event_statistics, psnr, relative_error, rmse, support_precision_recall


def test_psnr_known_value():
    ref = np.zeros((10, 10))
    ref[0, 0] = 1.0
    est = ref + 0.1  # MSE 0.01, range 1 -> 20 dB
    assert np.isclose(psnr(ref, est), 20.0)
    assert np.isclose(psnr(ref, est, data_range=2.0), 20 + 20 * np.log10(2))
    assert psnr(ref, ref) == np.inf


def test_rmse_and_relative_error():
    ref = np.array([3.0, 4.0])
    assert np.isclose(rmse(ref, ref + 1), 1.0)
    assert np.isclose(relative_error(ref, 2 * ref), 1.0)


def test_support_precision_recall():
    ref = np.array([0, 1.0, 0, -2.0, 0])
    est = np.array([0.5, 0.9, 0, 0.0, 0.05])
    p, r = support_precision_recall(ref, est, tol=0.1)
    assert (p, r) == (0.5, 0.5)
    assert support_precision_recall(ref, np.zeros(5)) == (1.0, 0.0)


def test_shape_mismatch_and_bad_range():
    with pytest.raises(ValueError, match="shape"):
        psnr(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="data_range"):
        psnr(np.zeros(3), np.ones(3), data_range=0.0)


def test_one_psnr_convention_peak_one():
    ref = np.array([0.2, 0.4, 0.6])  # range 0.4: the default peak stays 1, not the reference's range
    est = ref + 0.1
    assert psnr(ref, est) == pytest.approx(20.0)
    assert psnr(ref, est, data_range=0.4) == pytest.approx(20.0 + 20.0 * np.log10(0.4))


def test_event_statistics_are_numpys():
    x = np.random.default_rng(1).standard_normal(1001)
    assert event_statistics(x) == (float(x.mean()), float(x.std()))

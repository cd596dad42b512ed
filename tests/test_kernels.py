import numpy as np
import pytest
import scipy.ndimage as ndi

from sparseimg.kernels import gaussian_operator, gaussian_psf, motion_cloud_envelope
from sparseimg.operators.fourier import transfer_from_centered


def test_envelope_is_normalized_zero_at_dc_and_isotropic():
    env = motion_cloud_envelope((64, 64))
    assert np.isclose((env ** 2).sum(), 1.0)
    assert env[32, 32] == 0.0
    np.testing.assert_allclose(env[1:, 1:], env[1:, 1:][::-1, ::-1], atol=1e-15)  # point symmetric
    np.testing.assert_allclose(env[1:, 1:], env[1:, 1:].T, atol=1e-15)  # isotropic: transpose symmetric
    assert np.isrealobj(transfer_from_centered(env))


def test_oriented_envelope_peaks_along_theta():
    env = motion_cloud_envelope((64, 64), theta=0.0, B_theta=0.2)
    rows, cols = np.unravel_index(np.argmax(env), env.shape)
    # theta = 0 selects frequencies along the first axis (fx) in MotionClouds' convention
    assert abs(cols - 32) <= 1 and abs(rows - 32) > 2


@pytest.mark.parametrize("kw, match", [
    (dict(sf_0=0.0), "sf_0"), (dict(sf_0=0.7), "sf_0"), (dict(B_sf=-1.0), "B_sf"), (dict(B_theta=0.0), "B_theta"),
])
def test_envelope_rejects_bad_parameters(kw, match):
    with pytest.raises(ValueError, match=match):
        motion_cloud_envelope((16, 16), **kw)


def test_gaussian_psf_matches_filtered_impulse():
    psf = gaussian_psf(13, (1, 3))
    impulse = np.zeros((13, 13))
    impulse[6, 6] = 1
    expected = ndi.gaussian_filter(impulse, (1, 3))
    np.testing.assert_allclose(psf, expected / expected.sum(), rtol=1e-14)
    assert np.isclose(psf.sum(), 1.0) and psf.shape == (13, 13)
    assert psf[6].sum() > psf[:, 6].sum()  # wider along columns (sigma 3)


def test_gaussian_operator_preserves_constants():
    op = gaussian_operator((32, 32), 13, (1, 3))
    np.testing.assert_allclose(op.forward(np.ones((32, 32))), 1.0, atol=1e-12)


@pytest.mark.parametrize("size, sigma, match", [(12, (1, 1), "odd"), (1, (1, 1), "size"), (13, (0, 1), r"sigma\[0\]")])
def test_gaussian_psf_rejects_bad_parameters(size, sigma, match):
    with pytest.raises(ValueError, match=match):
        gaussian_psf(size, sigma)

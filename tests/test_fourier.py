import numpy as np
import pytest
import scipy.ndimage as ndi

from sparseimg.experiments.sparse_coding import document_formulation
from sparseimg.kernels import motion_cloud_envelope
from sparseimg.operators.fourier import (FourierConvolution, frequency_radius, full_spectrum, half_spectrum_sq_norm,
                                         hermitian_part, transfer_from_centered, transfer_from_kernel)


def _ops(mc_operator_64, psf_operator_48x40):
    return [mc_operator_64, psf_operator_48x40, mc_operator_64.astype(np.float32), psf_operator_48x40.astype(np.float32)]


def test_adjoint_identity(mc_operator_64, psf_operator_48x40, rng):
    for op in _ops(mc_operator_64, psf_operator_48x40):
        x = rng.standard_normal(op.shape).astype(op.dtype)
        y = rng.standard_normal(op.shape).astype(op.dtype)
        lhs = float(np.vdot(op.forward(x).astype(np.float64), y))
        rhs = float(np.vdot(x, op.adjoint(y).astype(np.float64)))
        tol = 1e-12 if op.dtype == np.float64 else 1e-5
        assert abs(lhs - rhs) <= tol * max(abs(lhs), 1e-30) + tol * np.linalg.norm(x) * np.linalg.norm(y) * 1e-3


def test_forward_is_circular_convolution(psf_operator_48x40, rng):
    kernel = np.arange(1.0, 16.0).reshape(3, 5) ** 1.5
    kernel /= kernel.sum()
    x = rng.standard_normal((48, 41))
    # ndimage.convolve centres the kernel at (k0 // 2, k1 // 2), like transfer_from_kernel
    expected = ndi.convolve(x, kernel, mode="wrap")
    np.testing.assert_allclose(psf_operator_48x40.forward(x), expected, atol=1e-12)


def test_matches_document_formulation():
    env = motion_cloud_envelope((64, 64))
    op = FourierConvolution(transfer_from_centered(env), env.shape)
    events = np.random.default_rng(0).laplace(size=(64, 64))
    np.testing.assert_allclose(op.forward(events), document_formulation(env, events), atol=1e-15)


def test_complex_centered_envelope_uses_its_hermitian_part(rng):
    env = rng.standard_normal((16, 16)) + 1j * rng.standard_normal((16, 16))
    op = FourierConvolution(transfer_from_centered(env), (16, 16))
    x = rng.standard_normal((16, 16))
    np.testing.assert_allclose(op.forward(x), document_formulation(env, x), atol=1e-12)


def test_lipschitz_constant_bounds_the_operator(mc_operator_64, psf_operator_48x40, rng):
    for op in (mc_operator_64, psf_operator_48x40):
        x = rng.standard_normal(op.shape)
        for _ in range(200):  # power iteration on AᵀA
            x = op.normal(x)
            x /= np.linalg.norm(x)
        estimate = float(np.vdot(x, op.normal(x)))
        L = op.lipschitz_constant()
        assert estimate <= L * (1 + 1e-9)
        assert estimate >= 0.99 * L


def test_normal_is_adjoint_of_forward(psf_operator_48x40, rng):
    op = psf_operator_48x40
    x = rng.standard_normal(op.shape)
    np.testing.assert_allclose(op.normal(x), op.adjoint(op.forward(x)), atol=1e-12)


@pytest.mark.parametrize("shape", [(8, 8), (9, 7), (6, 11)])
def test_parseval_on_the_half_grid(shape, rng):
    x = rng.standard_normal(shape)
    assert np.isclose(half_spectrum_sq_norm(np.fft.rfft2(x), shape[1]), np.sum(x ** 2), rtol=1e-12)


@pytest.mark.parametrize("shape", [(8, 8), (9, 7)])
def test_full_spectrum_roundtrip(shape, rng):
    x = rng.standard_normal(shape)
    full = full_spectrum(np.fft.rfft2(x), shape, centered=False)
    np.testing.assert_allclose(full, np.fft.fft2(x), atol=1e-12)


def test_hermitian_part_is_idempotent_and_hermitian(rng):
    h = hermitian_part(rng.standard_normal((6, 6)) + 1j * rng.standard_normal((6, 6)))
    np.testing.assert_allclose(hermitian_part(h), h)
    assert np.allclose(np.fft.ifft2(h).imag, 0, atol=1e-15)


def test_frequency_radius_layout():
    r = frequency_radius((8, 8))
    assert r[4, 4] == 0 and frequency_radius((8, 8), centered=False)[0, 0] == 0
    assert np.isclose(r[0, 4], 0.5)


def test_float32_agrees_with_float64(mc_operator_64, rng):
    x = rng.standard_normal(mc_operator_64.shape)
    y64 = mc_operator_64.forward(x)
    y32 = mc_operator_64.astype(np.float32).forward(x)
    assert y32.dtype == np.float32
    assert np.linalg.norm(y32 - y64) <= 1e-6 * np.linalg.norm(y64)


def test_transfer_is_read_only(mc_operator_64):
    with pytest.raises(ValueError):
        mc_operator_64.transfer[0, 0] = 1.0


@pytest.mark.parametrize("bad, match", [
    (dict(transfer=np.ones((4, 3)), shape=(4, 6)), "transfer has shape"),
    (dict(transfer=np.ones((4, 3)), shape=(4, 4), dtype=np.int64), "dtype"),
    (dict(transfer=np.full((4, 3), np.nan), shape=(4, 4)), "NaN"),
    (dict(transfer=np.ones((4, 3)), shape=(4, 0)), r"shape\[1\]"),
])
def test_bad_construction_names_the_parameter(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        FourierConvolution(**bad)


def test_wrong_input_shape_is_rejected(mc_operator_64):
    with pytest.raises(ValueError, match=r"x has shape \(3, 3\)"):
        mc_operator_64.forward(np.zeros((3, 3)))


def test_kernel_larger_than_image_is_rejected():
    with pytest.raises(ValueError, match="kernel has shape"):
        transfer_from_kernel(np.ones((9, 9)), (8, 8))


def test_fftw_and_scipy_backends_agree(mc_operator_64, rng):
    pytest.importorskip("pyfftw")
    x = rng.standard_normal(mc_operator_64.shape)
    for dtype, tol in ((np.float64, 1e-13), (np.float32, 1e-5)):
        a = FourierConvolution(mc_operator_64.transfer, (64, 64), dtype=dtype, backend="fftw")
        b = FourierConvolution(mc_operator_64.transfer, (64, 64), dtype=dtype, backend="scipy")
        assert (a.backend, b.backend) == ("fftw", "scipy")
        np.testing.assert_allclose(a.forward(x), b.forward(x), atol=tol * np.abs(b.forward(x)).max())
        np.testing.assert_allclose(a.rfft(x), b.rfft(x), atol=tol * np.abs(b.rfft(x)).max())


def test_fftw_results_do_not_alias(mc_operator_64, rng):
    """pyFFTW builders reuse their output buffer: the operator must return fresh arrays."""
    x, y = rng.standard_normal((2, 64, 64))
    first = mc_operator_64.forward(x)
    kept = first.copy()
    mc_operator_64.forward(y)
    np.testing.assert_array_equal(first, kept)
    s1 = mc_operator_64.rfft(x)
    s1_kept = s1.copy()
    mc_operator_64.rfft(y)
    np.testing.assert_array_equal(s1, s1_kept)


def test_unknown_backend_is_rejected():
    with pytest.raises(ValueError, match="backend='cufft' is not allowed"):
        FourierConvolution(np.ones((4, 3)), (4, 4), backend="cufft")


@pytest.mark.parametrize("backend", ["scipy", "fftw"])
def test_transforms_leave_their_input_alone(mc_operator_64, backend, rng):
    """FFTW's c2r transform destroys its input; the operator must not (LeastSquares keeps spectra)."""
    if backend == "fftw":
        pytest.importorskip("pyfftw")
    op = FourierConvolution(mc_operator_64.transfer, (64, 64), backend=backend)
    x = rng.standard_normal((64, 64))
    spec = op.rfft(x)
    kept_x, kept_spec = x.copy(), spec.copy()
    np.testing.assert_allclose(op.irfft(spec), x, atol=1e-12)
    np.testing.assert_array_equal(spec, kept_spec)
    op.rfft(x)
    np.testing.assert_array_equal(x, kept_x)

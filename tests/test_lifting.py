"""Lifting wavelets: perfect reconstruction (float64, float32, integers), the exact adjoint, the
filters against PyWavelets, learned steps, ‖W‖², the sub-band layout and the argument checks."""

import warnings

import numpy as np
import pytest
from skimage import data

from sparseimg.operators.lifting import (BOUNDARIES, CDF97, HAAR, LiftingStep, LiftingWavelet, WaveletTransform,
                                         dwt, dwt2, dwt53_int, idwt, idwt2, idwt53_int, max_levels, subbands)
from sparseimg.testing import dot_test

WAVELETS = ("haar", "cdf53", "cdf97")
PYWT = {"haar": "haar", "cdf53": "bior2.2", "cdf97": "bior4.4"}
TOL = {np.float64: 1e-12, np.float32: 1e-5}


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("wavelet", WAVELETS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_perfect_reconstruction_1d(wavelet, boundary, dtype):
    rng = np.random.default_rng(0)
    for n in (37, 64, 17, 2, 3):
        x = rng.standard_normal((3, n)).astype(dtype)
        for levels in range(1, min(4, max_levels(n)) + 1):
            c = dwt(x, wavelet, levels=levels, boundary=boundary)
            assert c.dtype == dtype and c.shape == x.shape
            y = idwt(c, wavelet, levels=levels, boundary=boundary)
            assert y.dtype == dtype
            assert np.max(np.abs(y - x)) < TOL[dtype], (n, levels)
        # along the first axis as well
        xt = np.ascontiguousarray(x.T)
        c = dwt(xt, wavelet, levels=1, axis=0, boundary=boundary)
        np.testing.assert_allclose(c, dwt(x, wavelet, levels=1, boundary=boundary).T, atol=TOL[dtype])


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("wavelet", WAVELETS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_perfect_reconstruction_2d(wavelet, boundary, dtype):
    rng = np.random.default_rng(1)
    for shape in ((64, 64), (37, 50), (33, 17), (2, 19, 24)):
        x = rng.standard_normal(shape).astype(dtype)
        keep = x.copy()
        for levels in range(1, 5):
            c = dwt2(x, wavelet, levels=levels, boundary=boundary)
            assert c.dtype == dtype and c.shape == x.shape
            y = idwt2(c, wavelet, levels=levels, boundary=boundary)
            assert np.max(np.abs(y - x)) < TOL[dtype], (shape, levels)
        assert np.array_equal(x, keep)  # the input is never modified


def test_integer_input_is_transformed_in_float64_and_input_untouched():
    img = data.camera()[:37, :45]
    keep = img.copy()
    c = dwt2(img, "cdf97", levels=3)
    assert c.dtype == np.float64 and np.array_equal(img, keep)
    np.testing.assert_allclose(idwt2(c, "cdf97", levels=3), img, atol=1e-10)


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_integer_53_is_lossless_on_uint8(boundary):
    camera = data.camera()
    for img in (camera[:301, :223], camera[100:164, 50:114], camera[:5, :7]):
        for levels in range(1, min(4, max_levels(min(img.shape))) + 1):
            c = dwt53_int(img, levels=levels, boundary=boundary)
            assert c.dtype == np.int32 and c.shape == img.shape
            y = idwt53_int(c, levels=levels, boundary=boundary)
            assert y.dtype == np.int32 and np.array_equal(y, img)
    row = camera[200, :301]
    c = dwt53_int(row, levels=4, axes=(-1,), boundary=boundary)
    assert np.array_equal(idwt53_int(c, levels=4, axes=(-1,), boundary=boundary), row)


def test_integer_53_matches_the_jpeg2000_formulas():
    x = np.array([10, 200, 30, 40, 255, 0, 7, 9, 100], dtype=np.uint8).astype(np.int64)
    c = dwt53_int(x, levels=1, axes=(0,), boundary="symmetric")
    e, o = x[0::2], x[1::2]
    ext = np.append(e, e[-1:])[: len(o) + 1]  # whole-point symmetric: x[n] = x[n − 2] (n odd: no wrap needed)
    d = o - (e[:len(o)] + ext[1:len(o) + 1]) // 2
    dpad = np.concatenate([d[:1], d, d[-1:]])  # d[−1] = d[0], d[n_d] = d[n_d − 1]
    s = e + (dpad[:len(e)] + dpad[1:len(e) + 1] + 2) // 4
    assert np.array_equal(c, np.concatenate([s, d]))


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("wavelet", WAVELETS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dot_test(wavelet, boundary, dtype):
    for shape, levels in (((24, 32), 3), ((19, 26), 2), ((2, 16, 13), 3)):
        op = WaveletTransform(shape, wavelet, levels=levels, boundary=boundary)
        report = dot_test(op, shape, shape, dtype=dtype, seed=levels)
        assert report["norm_sq_estimate"] > 0.5
        assert op.forward(np.zeros(shape, dtype)).dtype == dtype and op.adjoint(np.zeros(shape, dtype)).dtype == dtype


class _Synthesis:
    """``α ↦ W⁻¹ α`` with its adjoint ``W⁻ᵀ``, as a synthesis-form operator would wrap it."""

    def __init__(self, op):
        self.forward, self.adjoint = op.inverse, op.inverse_adjoint


@pytest.mark.parametrize("wavelet", WAVELETS)
def test_inverse_adjoint_is_the_transposed_synthesis(wavelet):
    for shape, boundary in (((24, 32), "periodic"), ((19, 26), "symmetric"), ((2, 16, 13), "periodic")):
        op = WaveletTransform(shape, wavelet, levels=3, boundary=boundary)
        for dtype in (np.float64, np.float32):
            dot_test(_Synthesis(op), shape, shape, dtype=dtype)
        x = np.random.default_rng(6).standard_normal(shape)
        np.testing.assert_allclose(op.inverse_adjoint(op.adjoint(x)), x, atol=1e-12)  # W⁻ᵀ = (Wᵀ)⁻¹


def test_adjoint_is_not_the_inverse_except_for_orthonormal_haar():
    x = np.random.default_rng(2).standard_normal((32, 32))
    for wavelet in ("cdf53", "cdf97"):
        op = WaveletTransform(x.shape, wavelet, levels=3)
        assert np.max(np.abs(op.adjoint(x) - op.inverse(x))) > 1e-2
    op = WaveletTransform(x.shape, "haar", levels=3)
    np.testing.assert_allclose(op.adjoint(x), op.inverse(x), atol=1e-12)
    np.testing.assert_allclose(op.normal(x), x, atol=1e-12)
    assert op.lipschitz_constant() == 1.0


@pytest.mark.parametrize("wavelet", WAVELETS)
def test_periodic_transform_equals_pywavelets_periodization(wavelet):
    """Pinned: ours = PyWavelets' ``mode="periodization"`` coefficients, no shift, with the sign of
    every detail flipped (one sign per high-pass axis: LH, HL flipped, HH not)."""
    pywt = pytest.importorskip("pywt")  # PyWavelets: in the venv, not (yet) in requirements.lock
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pywt: "level too high" for the 9/7 on 48 columns
        x = np.random.default_rng(3).standard_normal((64, 48))
        ours = dwt2(x, wavelet, levels=3)
        ref = pywt.wavedec2(x, PYWT[wavelet], mode="periodization", level=3)
    for band in subbands(x.shape, 3):
        if band.orientation == "LL":
            expected = ref[0]
        else:
            ch, cv, cd = ref[len(ref) - band.level]
            expected = {"LH": -ch, "HL": -cv, "HH": cd}[band.orientation]
        np.testing.assert_allclose(ours[band.slices], expected, atol=1e-12, err_msg=str(band[:2]))


@pytest.mark.parametrize("wavelet", ["cdf53", "cdf97"])
def test_impulse_responses_are_the_biorthogonal_filters(wavelet):
    """Rows of one level: the coarse row at sample 2k is PyWavelets' ``dec_lo`` without its leading
    zero (symmetric, centred on 2k); the detail row at 2k+1 is ``−dec_hi`` (its nonzero taps, centred on 2k+1)."""
    pywt = pytest.importorskip("pywt")
    n, k = 32, 8
    t = dwt(np.eye(n), wavelet, levels=1, axis=0)
    filt = pywt.Wavelet(PYWT[wavelet])
    lo = np.trim_zeros(np.array(filt.dec_lo))
    hi = -np.trim_zeros(np.array(filt.dec_hi))
    coarse, detail = t[k], t[n // 2 + k]
    expected_lo = np.zeros(n)
    expected_lo[2 * k - len(lo) // 2: 2 * k + len(lo) // 2 + 1] = lo[::-1]
    expected_hi = np.zeros(n)
    expected_hi[2 * k + 1 - len(hi) // 2: 2 * k + 1 + len(hi) // 2 + 1] = hi[::-1]
    np.testing.assert_allclose(coarse, expected_lo, atol=1e-12)
    np.testing.assert_allclose(detail, expected_hi, atol=1e-12)
    assert len(lo) == (5 if wavelet == "cdf53" else 9) and len(hi) == (3 if wavelet == "cdf53" else 7)
    if wavelet == "cdf97":  # ζ puts the DC gain of the coarse filter at √2, as bior4.4
        assert abs(lo.sum() - np.sqrt(2)) < 1e-9


def test_a_learned_predictor_and_updater_drop_in():
    """Nonlinear callables: still perfectly invertible, any size and boundary."""
    predict = LiftingStep("predict", func=lambda s: np.tanh(0.5 * (s + np.roll(s, -1, axis=-1))))
    update = LiftingStep("update", func=lambda d: 0.25 * np.sin(d + np.roll(d, 1, axis=-1)))
    learned = LiftingWavelet("learned", (predict, update), scale=1.2)
    rng = np.random.default_rng(4)
    for shape in ((32, 32), (17, 23), (3, 16, 9)):
        x = rng.standard_normal(shape)
        for boundary in BOUNDARIES:
            c = dwt2(x, learned, levels=3, boundary=boundary)
            assert np.max(np.abs(idwt2(c, learned, levels=3, boundary=boundary) - x)) < 1e-12
    op, x = WaveletTransform((16, 16), learned, levels=2), rng.standard_normal((16, 16))
    np.testing.assert_allclose(op.inverse(op.forward(x)), x, atol=1e-12)
    with pytest.raises(ValueError, match="without transpose"):
        op.adjoint(x)


def test_a_linear_callable_with_its_transpose_equals_the_taps():
    def p53(s):
        return 0.5 * (s + np.roll(s, -1, axis=-1))

    def u53(d):
        return 0.25 * (np.roll(d, 1, axis=-1) + d)

    steps = (LiftingStep("predict", func=p53, transpose=lambda d: 0.5 * (d + np.roll(d, 1, axis=-1))),
             LiftingStep("update", func=u53, transpose=lambda s: 0.25 * (np.roll(s, -1, axis=-1) + s)))
    callable53 = LiftingWavelet("callable53", steps, scale=np.sqrt(2))
    x = np.random.default_rng(5).standard_normal((32, 24))
    np.testing.assert_allclose(dwt2(x, callable53, levels=3), dwt2(x, "cdf53", levels=3), atol=1e-12)
    for shape in ((32, 24), (17, 23)):
        dot_test(WaveletTransform(shape, callable53, levels=2), shape, shape)


def test_lipschitz_constant_is_tight_against_the_dense_matrix():
    n = 16
    for wavelet, boundary in (("cdf97", "periodic"), ("cdf53", "symmetric"), ("cdf97", "symmetric")):
        matrix = dwt2(np.eye(n * n).reshape(n * n, n, n), wavelet, levels=3, boundary=boundary).reshape(n * n, -1)
        exact = np.linalg.eigvalsh(matrix @ matrix.T)[-1]
        bound = WaveletTransform((n, n), wavelet, levels=3, boundary=boundary).lipschitz_constant()
        assert exact <= bound <= 1.02 * exact, (wavelet, boundary, exact, bound)
    assert WaveletTransform((64, 64), HAAR, levels=4).lipschitz_constant() == 1.0
    nine_seven = WaveletTransform((64, 64), CDF97, levels=4).lipschitz_constant()
    assert 1.7 < nine_seven < 1.95  # not a tight frame: one 1-D level alone has ‖T‖² = 1.32


def test_subbands_partition_the_layout_and_name_the_orientation():
    for shape, levels in (((37, 50), 4), ((2, 64, 64), 3)):
        cover = np.zeros(shape, int)
        for band in subbands(shape, levels):
            cover[band.slices] += 1
        assert np.all(cover == 1)
        assert [b.orientation for b in subbands(shape, levels)][-1] == "LL"
    rows = np.indices((64, 64))[0]
    stripes = np.where(rows % 2, 1.0, -1.0)  # varies along axis 0: horizontal edges
    op = WaveletTransform((64, 64), "haar", levels=1)
    c = op.forward(stripes)
    energy = {b.orientation: float(np.sum(c[b.slices] ** 2)) for b in op.subbands()}
    assert energy["LH"] > 0.99 * np.sum(stripes ** 2)


def test_errors_name_the_parameter_and_what_is_allowed():
    x = np.zeros((16, 16))
    with pytest.raises(ValueError, match=r"levels=5 is not allowed.*expected levels <= 4"):
        dwt2(x, "cdf97", levels=5)
    with pytest.raises(ValueError, match=r"wavelet='db4' is not allowed: expected one of 'haar', 'cdf53', 'cdf97'"):
        dwt2(x, "db4")
    with pytest.raises(ValueError, match=r"boundary='zero' is not allowed"):
        dwt(x, "haar", boundary="zero")
    with pytest.raises(ValueError, match=r"axes=\(0, 0\) is not allowed"):
        dwt2(x, axes=(0, 0))
    with pytest.raises(TypeError, match=r"x has dtype float64: expected an integer array"):
        dwt53_int(x)
    with pytest.raises(ValueError, match=r"x has shape \(8, 8\): expected shape \(16, 16\)"):
        WaveletTransform((16, 16)).forward(np.zeros((8, 8)))
    with pytest.raises(ValueError, match=r"taps=\(1.0,\) is not allowed"):
        LiftingStep("predict", (1.0,))
    with pytest.raises(ValueError, match=r"kind='guess' is not allowed"):
        LiftingStep("guess", (1.0, 1.0))
    with pytest.raises(ValueError, match="a lifting callable returned shape"):
        dwt(np.zeros(8), LiftingWavelet("bad", (LiftingStep("predict", func=lambda s: s[..., :1]),)))

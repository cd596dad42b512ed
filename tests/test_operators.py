"""Every operator of the library passes the same dot test (float32 and float64), and one operator
is safe to call from several threads at once."""

import inspect
import threading

import numpy as np
import pytest

import sparseimg.operators as ops
from sparseimg.kernels import gaussian_psf, motion_cloud_operator
from sparseimg.optim.objectives import LeastSquares
from sparseimg.operators import (BlockDCTFrame, Composition, FilterBankSynthesis, FourierConvolution, Gradient,
                                 LinearConvolution, LinearOperator, MaskedDCTSynthesis, MaskOperator,
                                 MatrixOperator, Synthesis, WaveletTransform, transfer_from_kernel)
from sparseimg.testing import dot_test

_MISSING = np.random.default_rng(3).random((20, 23)) < 0.4
_KERNEL = np.arange(1.0, 16.0).reshape(3, 5) ** 1.5

#: (name, factory(dtype), domain shape). Every concrete operator class must appear here.
CASES = [
    ("fourier_even_real", lambda dt: motion_cloud_operator((32, 32), dtype=dt), (32, 32)),
    ("fourier_odd_complex", lambda dt: FourierConvolution(transfer_from_kernel(_KERNEL / _KERNEL.sum(), (24, 17)),
                                                          (24, 17), dtype=dt), (24, 17)),
    ("fourier_scipy_backend", lambda dt: FourierConvolution(transfer_from_kernel(_KERNEL, (16, 16)), (16, 16),
                                                            dtype=dt, backend="scipy"), (16, 16)),
    ("linear_convolution", lambda dt: LinearConvolution(gaussian_psf(7, (1.0, 2.0)), (21, 18), dtype=dt), (21, 18)),
    ("linear_convolution_even_kernel", lambda dt: LinearConvolution(_KERNEL[:, :4], (12, 13), dtype=dt), (12, 13)),
    ("mask", lambda dt: MaskOperator(_MISSING), (3, 20, 23)),
    ("gradient", lambda dt: Gradient((15, 11)), (15, 11)),
    ("block_dct_basis", lambda dt: BlockDCTFrame((1, 20, 23), block=8, stride=8), None),
    ("block_dct_shifted_colour", lambda dt: BlockDCTFrame((3, 20, 23), block=4, stride=2, color=True), None),
    ("global_dct", lambda dt: BlockDCTFrame((2, 9, 10), block=None), None),
    ("masked_dct_synthesis", lambda dt: MaskedDCTSynthesis(_MISSING, 3, block=8, stride=4, color=True), None),
    ("wavelet_97_periodic", lambda dt: WaveletTransform((24, 20), "cdf97", levels=3), (24, 20)),
    ("wavelet_53_symmetric_odd", lambda dt: WaveletTransform((21, 18), "cdf53", levels=2, boundary="symmetric"),
     (21, 18)),
    ("wavelet_synthesis", lambda dt: Synthesis(WaveletTransform((16, 24), "cdf97", levels=2)), (16, 24)),
    ("matrix", lambda dt: MatrixOperator(np.random.default_rng(5).standard_normal((7, 11)).astype(dt)), (11, 3)),
    ("filter_bank_grey", lambda dt: FilterBankSynthesis(np.random.default_rng(6).standard_normal((4, 3, 5)), (12, 10)),
     (4, 12, 10)),
    ("filter_bank_colour", lambda dt: FilterBankSynthesis(np.random.default_rng(7).standard_normal((3, 4, 3, 3)),
                                                          (9, 8)), (4, 9, 8)),
    ("composition", lambda dt: Composition(LinearConvolution(gaussian_psf(5, (1.0, 1.5)), (20, 23), dtype=dt),
                                           MaskOperator(_MISSING)), (20, 23)),
]


def _domain(op, shape):
    return shape if shape is not None else op.coef_shape


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, make, shape", CASES, ids=[c[0] for c in CASES])
def test_dot_test(name, make, shape, dtype):
    op = make(dtype)
    report = dot_test(op, _domain(op, shape), dtype=dtype, seed=len(name))
    assert report["norm_sq_estimate"] > 0


def test_every_operator_class_has_a_dot_test_case():
    classes = {cls for _, cls in inspect.getmembers(ops, inspect.isclass)
               if issubclass(cls, LinearOperator) and cls is not LinearOperator}
    covered = {type(make(np.float64)) for _, make, _ in CASES}
    assert classes <= covered, f"operators without a dot-test case: {sorted(c.__name__ for c in classes - covered)}"


def test_dot_test_catches_a_wrong_adjoint():
    class Wrong(LinearOperator):
        def forward(self, x):
            return np.roll(x, 1)

        def adjoint(self, y):
            return np.roll(y, 1)  # should roll by -1

        def lipschitz_constant(self):
            return 1.0

    with pytest.raises(AssertionError, match="dot test failed"):
        dot_test(Wrong(), (17,))


def test_dot_test_catches_a_low_lipschitz_constant():
    op = Gradient((8, 8))
    op.lipschitz_constant = lambda: 1.0  # ‖∇‖² is close to 8
    with pytest.raises(AssertionError, match="lipschitz_constant"):
        dot_test(op, (8, 8))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fourier_data_term_fast_path_matches_the_generic_one(dtype, rng):
    op = FourierConvolution(transfer_from_kernel(_KERNEL / _KERNEL.sum(), (24, 17)), (24, 17), dtype=dtype)
    b = rng.standard_normal(op.shape).astype(dtype)
    x = rng.standard_normal(op.shape).astype(dtype)
    prepared = op.prepare_data(b)
    value, grad = op.residual_value_and_grad(x, prepared)
    generic_value, generic_grad = LinearOperator.residual_value_and_grad(op, x, LinearOperator.prepare_data(op, b))
    rtol = 1e-4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(value, generic_value, rtol=rtol)
    np.testing.assert_allclose(grad, generic_grad, rtol=rtol, atol=rtol * np.abs(generic_grad).max())
    np.testing.assert_allclose(op.adjoint_data(prepared), op.adjoint(b), rtol=rtol, atol=rtol * np.abs(b).max())


def test_one_operator_from_four_threads_is_bit_identical_to_serial(rng):
    op = motion_cloud_operator((128, 96))
    data = LeastSquares(op, rng.standard_normal(op.shape))
    inputs = [rng.standard_normal(op.shape) for _ in range(24)]

    def work(x):
        value, grad = data.value_and_grad(x)
        return op.forward(x), op.adjoint(x), op.normal(x), value, grad

    serial = [work(x) for x in inputs]
    results = [None] * len(inputs)
    barrier = threading.Barrier(4)

    def run(worker):
        barrier.wait()  # start together so that calls overlap
        for _ in range(5):
            for i in range(worker, len(inputs), 4):
                results[i] = work(inputs[i])

    threads = [threading.Thread(target=run, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, serial):
        for a, b in zip(got, want):
            assert np.array_equal(a, b)


def test_fourier_operator_pickles_without_its_plans(rng):
    import pickle

    op = motion_cloud_operator((32, 32))
    x = rng.standard_normal(op.shape)
    y = op.forward(x)
    clone = pickle.loads(pickle.dumps(op))
    assert np.array_equal(clone.forward(x), y)


@pytest.mark.parametrize("name, make", [("fourier", lambda: motion_cloud_operator((24, 20))),
                                        ("linear", lambda: LinearConvolution(gaussian_psf(7, (1.0, 2.0)), (19, 16)))])
def test_solve_normal_solves_the_shifted_normal_equation(name, make, rng):
    op = make()
    rhs = rng.standard_normal(op.shape)
    for shift in (1e-3, 0.1, 10.0):
        x = op.solve_normal(rhs, shift)
        residual = op.normal(x) + shift * x - rhs
        assert np.linalg.norm(residual) <= 1e-10 * np.linalg.norm(rhs), (name, shift)
    with pytest.raises(ValueError, match="shift"):
        op.solve_normal(rhs, 0.0)

"""sparseimg.restoration.separation: DCT filter bank, convolutional synthesis (operator and autograd primitive),
exclusion term, side gains, separation."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from autograd.test_util import check_grads

from sparseimg.restoration import separation as sep


def _dot_test(op, rng):
    z = rng.standard_normal(op.code_shape)
    y = rng.standard_normal(op.image_shape)
    lhs, rhs = np.vdot(op.forward(z), y), np.vdot(z, op.adjoint(y))
    assert lhs == pytest.approx(rhs, rel=1e-10), (lhs, rhs)


def test_dct_bank_is_a_parseval_frame(rng):
    bank = sep.dct_filter_bank(4)
    assert bank.shape == (16, 4, 4)
    np.testing.assert_allclose(bank[0], 1.0 / 16)  # the constant atom
    op = sep.FilterBankSynthesis(bank, (20, 18))
    assert op.lipschitz_constant() == pytest.approx(1.0)
    x = rng.standard_normal((20, 18))
    np.testing.assert_allclose(op.forward(op.adjoint(x)), x, atol=1e-12)  # D Dᵀ = I


@pytest.mark.parametrize("channels", [None, 3])
def test_synthesis_adjoint_and_bound(rng, channels):
    filters = rng.standard_normal((5, 3, 4))
    if channels:
        filters = sep.colour_atoms(filters, rng.standard_normal((channels, 5)))
    op = sep.FilterBankSynthesis(filters, (16, 15))
    _dot_test(op, rng)
    # the Lipschitz bound is an upper bound of ‖A‖² (power method from below)
    v = rng.standard_normal(op.code_shape)
    for _ in range(50):
        v = op.adjoint(op.forward(v))
        v /= np.linalg.norm(v)
    assert np.linalg.norm(op.forward(v)) ** 2 <= op.lipschitz_constant() * (1 + 1e-9)


def test_synthesis_is_a_convolution(rng):
    filters = rng.standard_normal((2, 3, 3))
    op = sep.FilterBankSynthesis(filters, (8, 9))
    z = np.zeros(op.code_shape)
    z[1, 4, 4] = 1.0  # an impulse of the second code map gives the second filter, centred on it
    out = op.forward(z)
    np.testing.assert_allclose(out[3:6, 3:6], filters[1], atol=1e-12)
    assert np.abs(out).sum() == pytest.approx(np.abs(filters[1]).sum())


def test_synthesize_primitive_gradients(rng):
    op = sep.FilterBankSynthesis(sep.colour_atoms(rng.standard_normal((3, 3, 3)), rng.standard_normal((2, 3))),
                                 (10, 12))
    target = rng.standard_normal(op.image_shape)

    def f(z):
        r = sep.synthesize(z, op) - target
        return anp.sum(r * r * r)  # non-quadratic, so the VJP is exercised on a non-trivial cotangent

    z = rng.standard_normal(op.code_shape)
    check_grads(f, modes=["rev"], order=1)(z)
    g = grad(f)(z)
    e = np.zeros_like(z)
    e[2, 3, 4] = 1e-6
    np.testing.assert_allclose((f(z + e) - f(z - e)) / 2e-6, g[2, 3, 4], rtol=1e-6)


def test_exclusion_is_zero_for_disjoint_edges_and_differentiable(rng):
    a = np.zeros((12, 12))
    a[:, 6:] = 1.0          # a vertical edge
    b = np.zeros((12, 12))
    b[2:4, 0:3] = 1.0       # a small square far from it
    assert sep.exclusion(a, b) == 0.0
    assert sep.exclusion(a, a) > 0.0
    x1, x2 = rng.standard_normal((8, 9)), rng.standard_normal((8, 9))
    check_grads(lambda u: sep.exclusion(u, x2), modes=["rev"], order=1)(x1)


def test_side_gains_recover_a_channel_scaling(rng):
    op = sep.FilterBankSynthesis(sep.dct_filter_bank(3), (24, 24))
    image = rng.random((24, 24))
    side = np.stack([0.5 * image, 2.0 * image], axis=-1)  # every atom has the colour (0.5, 2)
    gains = sep.learn_side_gains(image, side, op, lam=1e-4, n_iter=200)
    assert gains.shape == (2, 9)
    # (up to the sparse code's approximation error: image ≈ D z, not equal)
    np.testing.assert_allclose(gains, np.array([[0.5] * 9, [2.0] * 9]), rtol=2e-3)


def test_separation_without_priors_stays_at_the_naive_split(rng):
    op = sep.FilterBankSynthesis(sep.dct_filter_bank(2), (16, 16))
    mixture = rng.random((16, 16))
    result = sep.separate(mixture, op, lam=0.0, alpha=0.0, beta=0.0, n_iter=5)
    np.testing.assert_allclose(result.x1, mixture / 2, atol=1e-12)
    np.testing.assert_allclose(result.x2, mixture / 2, atol=1e-12)


def test_side_information_separates_a_synthetic_mixture(rng):
    from scipy import ndimage

    op = sep.FilterBankSynthesis(sep.dct_filter_bank(3), (32, 32))
    x1 = ndimage.gaussian_filter(rng.random((32, 32)), 2)
    x2 = ndimage.gaussian_filter(rng.random((32, 32)), 2)
    x1, x2 = x1 / x1.max(), x2 / x2.max()
    side = np.stack([0.8 * x1, 1.2 * x1], axis=-1)
    gains = sep.learn_side_gains(x1, side, op, lam=1e-4, n_iter=100)
    result = sep.separate(x1 + x2, op, side=side, gains=gains, lam=1e-4, alpha=1.0, beta=0.0, n_iter=100)
    naive = np.linalg.norm((x1 + x2) / 2 - x1)
    assert np.linalg.norm(result.x1 - x1) < 0.2 * naive
    assert np.linalg.norm(result.x2 - x2) < 0.2 * naive
    with pytest.raises(ValueError, match="needs side and gains"):
        sep.separate(x1 + x2, op, lam=1e-4, alpha=1.0, beta=0.0)

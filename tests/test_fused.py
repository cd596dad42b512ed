"""The fused FISTA and ADMM loops (numba) against the plain numpy loops, and ADMM itself."""

import numpy as np
import pytest

from sparseimg.optim import _fused
from sparseimg.optim.admm import admm, initial_penalty
from sparseimg.optim.objectives import LeastSquares
from sparseimg.operators import FourierConvolution, transfer_from_kernel
from sparseimg.optim.prox import L1Norm, Zero
from sparseimg.optim.solvers import fista, proximal_gradient


def _problem(op, rng, *, density=0.05, noise=0.01):
    events = rng.laplace(size=op.shape) * (rng.random(op.shape) < density)
    clean = op.forward(events)
    observed = clean + noise * clean.std() * rng.standard_normal(op.shape)
    smooth = LeastSquares(op, observed.astype(op.dtype))
    lam = 0.05 * float(np.abs(smooth.adjoint_data).max())
    return smooth, lam


def _even_complex_operator():
    """Even width (a Nyquist column) and a complex transfer function."""
    kernel = np.arange(1.0, 13.0).reshape(3, 4) ** 1.3
    return FourierConvolution(transfer_from_kernel(kernel / kernel.sum(), (40, 32)), (40, 32))


def _operators(mc_operator_64, psf_operator_48x40):
    ops = [mc_operator_64, psf_operator_48x40, _even_complex_operator()]
    return ops + [op.astype(np.float32) for op in ops]


@pytest.mark.parametrize("restart", [False, True])
def test_fused_fista_equals_the_plain_loop(mc_operator_64, psf_operator_48x40, rng, restart):
    """Same iterates and objectives to rounding (float64: 1e-12), same iteration count."""
    for op in _operators(mc_operator_64, psf_operator_48x40):
        smooth, lam = _problem(op, rng)
        x0 = np.zeros(op.shape, op.dtype)
        kwargs = dict(n_iter=60, tol=0.0, restart=restart and op.dtype == np.float64)
        xf, hf = fista(smooth, lam, x0, fused=True, **kwargs)
        xp, hp = fista(smooth, lam, x0, fused=False, **kwargs)
        assert hf.n_iter == hp.n_iter == 60
        if op.dtype == np.float64:
            np.testing.assert_allclose(xf, xp, rtol=0, atol=1e-12 * np.abs(xp).max())
            np.testing.assert_allclose(hf.objective, hp.objective, rtol=1e-12)
        else:  # the objective is summed in float64 by the fused loop, in float32 by numpy
            np.testing.assert_allclose(xf, xp, rtol=0, atol=1e-5 * np.abs(xp).max())
            np.testing.assert_allclose(hf.objective, hp.objective, rtol=1e-5)


def test_fused_fista_stops_at_the_same_iteration(mc_operator_64, rng):
    smooth, lam = _problem(mc_operator_64, rng)
    x0 = np.zeros(mc_operator_64.shape)
    _, hf = fista(smooth, lam, x0, n_iter=2000, tol=1e-6, fused=True)
    _, hp = fista(smooth, lam, x0, n_iter=2000, tol=1e-6, fused=False)
    assert hf.converged and hp.converged
    assert hf.n_iter == hp.n_iter < 2000


def test_fused_loop_leaves_the_operator_plans_alone(mc_operator_64, rng):
    """A tracked reference calls op.rfft during the loop; the loop still matches, and the data is intact."""
    smooth, lam = _problem(mc_operator_64, rng)
    data = smooth.data.copy()
    x0 = np.zeros(mc_operator_64.shape)
    seen = []
    x1, h1 = fista(smooth, lam, x0, n_iter=20, tol=0.0, fused=True,
                   callback=lambda k, x: seen.append(mc_operator_64.forward(x)))
    x2, _ = fista(smooth, lam, x0, n_iter=20, tol=0.0, fused=False)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(smooth.data, data)
    assert not np.shares_memory(seen[-1], x1) and len(seen) == 21


def test_fused_is_refused_with_a_reason(mc_operator_64, rng):
    smooth, lam = _problem(mc_operator_64, rng)
    with pytest.raises(ValueError, match="fused=True is not allowed here: the penalty is not a scalar L1Norm"):
        proximal_gradient(smooth, Zero(), np.zeros(mc_operator_64.shape), n_iter=2, fused=True)
    with pytest.raises(ValueError, match="x0 has dtype float32"):
        fista(smooth, lam, np.zeros(mc_operator_64.shape, np.float32), n_iter=2, fused=True)
    scipy_op = FourierConvolution(mc_operator_64.transfer, mc_operator_64.shape, backend="scipy")
    ok, why = _fused.available(LeastSquares(scipy_op, smooth.data), L1Norm(lam))
    assert not ok and "fftw" in why


def test_fused_can_be_switched_off_by_the_environment(monkeypatch):
    monkeypatch.setenv("SPARSEIMG_FUSED", "0")
    assert _fused.available() == (False, "SPARSEIMG_FUSED=0")


# -- ADMM ---------------------------------------------------------------------------------------

def _reference(smooth, lam, shape):
    x, hist = fista(smooth, lam, np.zeros(shape), n_iter=3000, tol=0.0, restart=True, fused=False)
    return min(hist.objective)


def test_admm_reaches_the_fista_minimum(mc_operator_64, psf_operator_48x40, rng):
    for op in (mc_operator_64, psf_operator_48x40, _even_complex_operator()):
        smooth, lam = _problem(op, rng)
        f_star = _reference(smooth, lam, op.shape)
        z, hist = admm(smooth, L1Norm(lam), np.zeros(op.shape), n_iter=3000, tol=1e-9)
        assert hist.converged
        value = smooth.value(z) + L1Norm(lam).value(z)
        assert abs(value - f_star) <= 1e-9 * f_star
        assert np.count_nonzero(z) < z.size  # z is the exactly sparse variable


@pytest.mark.parametrize("balance", [True, False])
def test_fused_admm_equals_the_plain_loop(mc_operator_64, psf_operator_48x40, rng, balance):
    for op in _operators(mc_operator_64, psf_operator_48x40):
        smooth, lam = _problem(op, rng)
        x0 = np.zeros(op.shape, op.dtype)
        zf, hf = admm(smooth, L1Norm(lam), x0, n_iter=40, tol=0.0, balance=balance, track=True, fused=True)
        zp, hp = admm(smooth, L1Norm(lam), x0, n_iter=40, tol=0.0, balance=balance, track=True, fused=False)
        assert hf.rho == hp.rho
        tol = 1e-10 if op.dtype == np.float64 else 2e-4
        np.testing.assert_allclose(zf, zp, rtol=0, atol=tol * np.abs(zp).max())
        np.testing.assert_allclose(hf.objective, hp.objective, rtol=tol)


def test_admm_objective_is_tracked_only_on_request(mc_operator_64, rng):
    smooth, lam = _problem(mc_operator_64, rng)
    _, hist = admm(smooth, L1Norm(lam), np.zeros(mc_operator_64.shape), n_iter=5, tol=0.0)
    assert np.isnan(hist.objective).all() and len(hist.rho) == 6


def test_initial_penalty_is_the_mean_eigenvalue_of_the_normal_operator(psf_operator_48x40, mc_operator_64):
    for op in (psf_operator_48x40, mc_operator_64, _even_complex_operator()):
        full = np.abs(np.fft.fft2(op.forward(_impulse(op.shape)))) ** 2  # eigenvalues of AᵀA
        assert initial_penalty(op) == pytest.approx(full.mean(), rel=1e-12)


def _impulse(shape):
    e = np.zeros(shape)
    e[0, 0] = 1.0
    return e


@pytest.mark.parametrize("bad, match", [
    (dict(relax=2.0), "relax=2.0 is not allowed"),
    (dict(rho=0.0), "rho=0.0 is not allowed"),
    (dict(mu=1.0), "mu=1.0 is not allowed"),
    (dict(tau=0.5), "tau=0.5 is not allowed"),
    (dict(n_iter=-1), "n_iter=-1 is not allowed"),
])
def test_admm_rejects_bad_parameters(mc_operator_64, rng, bad, match):
    smooth, lam = _problem(mc_operator_64, rng)
    with pytest.raises(ValueError, match=match):
        admm(smooth, L1Norm(lam), np.zeros(mc_operator_64.shape), **bad)


def test_the_fused_form_is_declared_by_the_operator_and_penalty(rng):
    """The fused loops read named arrays the terms hand over (no class check): a user's operator that
    declares a Fourier form is served; a ridge, per-entry weights or the scipy backend are not."""
    from sparseimg.contracts import FourierDataTerm
    from sparseimg.operators.fourier import SpectralData

    op = FourierConvolution(transfer_from_kernel(np.outer(np.hanning(7), np.hanning(7)), (32, 32)), (32, 32))
    b = rng.standard_normal((32, 32))
    form = LeastSquares(op, b).fourier_form()
    assert isinstance(form, FourierDataTerm) and form.operator is op
    prepared = op.prepare_data(b)
    assert isinstance(prepared, SpectralData)
    np.testing.assert_allclose(prepared.data_spectrum, op.rfft(b))
    np.testing.assert_allclose(op.irfft(prepared.adjoint_spectrum), op.adjoint(b), atol=1e-12)
    assert LeastSquares(op, b, ridge=0.1).fourier_form() is None
    assert L1Norm(0.1).scalar_l1_weight() == 0.1 and L1Norm(np.full((32, 32), 0.1)).scalar_l1_weight() is None
    assert FourierConvolution(op.transfer, (32, 32), backend="scipy").fourier_data_term(prepared) is None

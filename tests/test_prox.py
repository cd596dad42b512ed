import numpy as np
import pytest

from sparseimg.restoration.denoisers import DenoiserProx, shifted_dct_threshold
from sparseimg.optim.objectives import LeastSquares
from sparseimg.operators import MaskOperator
from sparseimg.optim.prox import Box, L0Norm, L1Norm, NuclearNorm, Zero, hard_threshold, soft_threshold
from sparseimg.optim.solvers import proximal_gradient
from sparseimg.testing import check_moreau, check_prox
from sparseimg.optim.tv import DiscBallIndicator, TotalVariation


def test_soft_threshold_formula(rng):
    x = rng.standard_normal(1000) * 3
    np.testing.assert_allclose(soft_threshold(x, 1.3), np.sign(x) * np.maximum(np.abs(x) - 1.3, 0), atol=1e-15)


def test_soft_threshold_weighted(rng):
    x = rng.standard_normal(50)
    tau = rng.uniform(0, 1, 50)
    np.testing.assert_allclose(soft_threshold(x, tau), np.sign(x) * np.maximum(np.abs(x) - tau, 0), atol=1e-15)


def test_signed_soft_threshold_matches_the_prox_for_nonnegative_thresholds_and_expands_for_negative_ones(rng):
    from sparseimg.optim.prox import soft_threshold_signed

    x = rng.standard_normal(1000) * 3
    for tau in (0.0, 1.3):
        assert np.array_equal(np.abs(soft_threshold_signed(x, tau)), np.abs(soft_threshold(x, tau)))
    # a learned threshold below zero: every entry moves away from zero by |θ| (the clip form would give 2x)
    np.testing.assert_array_equal(soft_threshold_signed(x, -0.5), np.sign(x) * (np.abs(x) + 0.5))
    assert not np.allclose(soft_threshold(x, -0.5), soft_threshold_signed(x, -0.5))


def test_signed_soft_threshold_gradient_matches_finite_differences(rng):
    """autograd through the threshold in v and θ (both signs of θ), against central differences away from the
    kinks |v| = θ."""
    import autograd.numpy as anp
    from autograd import grad

    from sparseimg.optim.prox import soft_threshold_signed

    v = rng.standard_normal(40) * 2
    w = rng.standard_normal(40)
    for theta in (0.7, -0.4):
        v = np.where(np.abs(np.abs(v) - theta) < 1e-3, v + 0.01, v)
        f = lambda v_, t_: anp.sum(w * soft_threshold_signed(v_, t_))  # noqa: E731
        gv, gt = grad(f, 0)(v, theta), grad(f, 1)(v, theta)
        eps = 1e-6
        fd_v = np.array([(f(v + eps * e, theta) - f(v - eps * e, theta)) / (2 * eps) for e in np.eye(v.size)])
        np.testing.assert_allclose(gv, fd_v, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(gt, (f(v, theta + eps) - f(v, theta - eps)) / (2 * eps), rtol=1e-6, atol=1e-8)


def test_moreau_identity_l1(rng):
    # the conjugate of ‖·‖₁ is the indicator of the ℓ∞ ball: its prox is the projection
    check_moreau(L1Norm(1.0).prox, lambda v, s: np.clip(v, -1, 1), rng.standard_normal(500) * 2, 0.7)


def test_moreau_identity_nuclear_norm(rng):
    # the conjugate of ‖·‖_* is the indicator of the spectral-norm unit ball: clip the singular values at 1
    def project(v, _):
        u, s, vt = np.linalg.svd(v, full_matrices=False)
        return (u * np.minimum(s, 1.0)[..., None, :]) @ vt

    check_moreau(NuclearNorm(1.0).prox, project, rng.standard_normal((2, 9, 14)) * 3, 0.8, atol=1e-10)


def test_moreau_check_catches_a_wrong_prox(rng):
    with pytest.raises(AssertionError, match="Moreau"):
        check_moreau(L1Norm(2.0).prox, lambda v, s: np.clip(v, -1, 1), rng.standard_normal(50) * 3, 0.7)


def _ball_projection(q, radius=0.3):
    norms = np.sqrt(q[0] ** 2 + q[1] ** 2)
    return q / np.maximum(norms / radius, 1.0)


PENALTIES = [
    ("l1", L1Norm(0.5), (200,), None, 1e-12),
    ("l1_weighted", L1Norm(np.linspace(0, 1, 200)), (200,), None, 1e-12),
    ("l0", L0Norm(0.3), (200,), None, 1e-12),
    ("box", Box(-0.2, 0.4), (200,), lambda z: np.clip(z, -0.2, 0.4), 1e-12),
    ("zero", Zero(), (200,), None, 1e-12),
    ("nuclear", NuclearNorm(0.7), (3, 12, 9), None, 1e-10),
    ("disc_ball", DiscBallIndicator(0.3), (2, 7, 6), _ball_projection, 1e-12),
    # an inexact prox (dual FISTA): optimal to its own tolerance
    ("total_variation", TotalVariation(0.2, n_iter=3000, tol=0.0), (10, 9), None, 1e-6),
]


@pytest.mark.parametrize("name, penalty, shape, project, atol", PENALTIES, ids=[p[0] for p in PENALTIES])
def test_prox_is_optimal(name, penalty, shape, project, atol, rng):
    check_prox(penalty, rng.standard_normal(shape), 0.8, project=project, atol=atol)


def test_check_prox_catches_a_wrong_prox(rng):
    class Wrong(L1Norm):
        def prox(self, x, step):
            return soft_threshold(x, 2 * self.lam * step)

    with pytest.raises(AssertionError, match="perturbation"):
        check_prox(Wrong(0.5), rng.standard_normal(100), 1.0)


def test_hard_threshold_keeps_large_entries():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_array_equal(hard_threshold(x, 1.0), [-2.0, 0, 0, 0, 2.0])


def test_l0_prox_threshold_is_sqrt_two_lambda_step():
    x = np.array([0.99, 1.01])
    np.testing.assert_array_equal(L0Norm(0.5).prox(x, 1.0), [0.0, 1.01])


@pytest.mark.parametrize("make, match", [(lambda: L1Norm(-1.0), "lam"), (lambda: L0Norm(float("nan")), "lam"),
                                         (lambda: Box(1.0, 0.0), "low"), (lambda: L1Norm(np.array([1.0, -1.0])), "negative"),
                                         (lambda: NuclearNorm(-0.1), "lam"),
                                         (lambda: DenoiserProx("not callable", 0.1), "denoise")])
def test_bad_penalties_fail_fast(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_denoiser_prox_is_the_denoiser_and_has_no_value(rng):
    x = rng.standard_normal((3, 16, 16))
    prox = DenoiserProx(shifted_dct_threshold, 0.5, options={"block": 8, "stride": 4})
    np.testing.assert_array_equal(prox.prox(x, 1.0), shifted_dct_threshold(x, 0.5, block=8, stride=4))
    with pytest.raises(ValueError, match="no value"):
        prox.value(x)
    scaled = DenoiserProx(lambda v, sigma: v * sigma, 2.0, scale_with_step=True)
    np.testing.assert_allclose(scaled.prox(x, 0.25), x)  # sigma · sqrt(step) = 1


def test_solver_refuses_to_track_an_objective_with_a_denoiser(rng):
    missing = rng.random((12, 12)) < 0.3
    data = LeastSquares(MaskOperator(missing), rng.random((3, 12, 12)))
    prox = DenoiserProx(shifted_dct_threshold, 0.1, options={"block": 4, "stride": 2})
    with pytest.raises(ValueError, match="track=True.*no value"):
        proximal_gradient(data, prox, np.zeros((3, 12, 12)), step=1.0, n_iter=2, track=True)
    x, history = proximal_gradient(data, prox, np.zeros((3, 12, 12)), step=1.0, n_iter=2, tol=0.0, track=False)
    assert history.n_iter == 0 and x.shape == (3, 12, 12)  # no objective recorded: none exists

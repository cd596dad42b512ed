import numpy as np
import pytest

from sparseimg.prox import PENALTIES, Box, L0Norm, L1Norm, Zero, hard_threshold, soft_threshold


def test_soft_threshold_formula(rng):
    x = rng.standard_normal(1000) * 3
    np.testing.assert_allclose(soft_threshold(x, 1.3), np.sign(x) * np.maximum(np.abs(x) - 1.3, 0), atol=1e-15)


def test_soft_threshold_weighted(rng):
    x = rng.standard_normal(50)
    tau = rng.uniform(0, 1, 50)
    np.testing.assert_allclose(soft_threshold(x, tau), np.sign(x) * np.maximum(np.abs(x) - tau, 0), atol=1e-15)


def test_moreau_identity_l1(rng):
    # prox_{τ‖·‖₁}(x) + τ·prox_{‖·‖₁*/τ}(x/τ) = x, the conjugate's prox being the projection on the ℓ∞ ball
    x = rng.standard_normal(500) * 2
    tau = 0.7
    projection = tau * np.clip(x / tau, -1, 1)
    np.testing.assert_allclose(L1Norm(1.0).prox(x, tau) + projection, x, atol=1e-14)


@pytest.mark.parametrize("penalty", [L1Norm(0.5), L0Norm(0.3), Box(-0.2, 0.4), Zero()])
def test_prox_minimizes_its_objective(penalty, rng):
    x = rng.standard_normal(200)
    step = 0.8
    p = penalty.prox(x, step)

    def obj(z):
        return 0.5 * np.sum((z - x) ** 2) + step * penalty.value(z)

    best = obj(p)
    for _ in range(200):
        z = p + rng.standard_normal(200) * rng.choice([1e-3, 1e-1])
        if isinstance(penalty, Box):
            z = np.clip(z, penalty.low, penalty.high)
        assert obj(z) >= best - 1e-12


def test_hard_threshold_keeps_large_entries():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    np.testing.assert_array_equal(hard_threshold(x, 1.0), [-2.0, 0, 0, 0, 2.0])


def test_l0_prox_threshold_is_sqrt_two_lambda_step():
    x = np.array([0.99, 1.01])
    np.testing.assert_array_equal(L0Norm(0.5).prox(x, 1.0), [0.0, 1.01])


@pytest.mark.parametrize("make, match", [(lambda: L1Norm(-1.0), "lam"), (lambda: L0Norm(float("nan")), "lam"),
                                         (lambda: Box(1.0, 0.0), "low"), (lambda: L1Norm(np.array([1.0, -1.0])), "negative")])
def test_bad_penalties_fail_fast(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_registry():
    assert isinstance(PENALTIES["l1"](0.1), L1Norm)
    assert isinstance(PENALTIES["none"](0.1), Zero)

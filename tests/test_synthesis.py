import numpy as np
import pytest

from sparseimg.sparsemodels.synthesis import laplace_events, sparse_events, synthesize, threshold_to_sparsity


def test_sparsity_and_threshold():
    draw = sparse_events((100, 100), rho=0.01, seed=3)
    nz = np.abs(draw.events[draw.events != 0])
    assert np.count_nonzero(draw.events) == 100
    assert nz.min() > draw.threshold
    np.testing.assert_array_equal(draw.events[draw.events != 0], draw.dense[draw.events != 0])


def test_deterministic_for_a_seed():
    a = laplace_events((8, 8), scale=1.0, seed=7)
    b = laplace_events((8, 8), scale=1.0, seed=7)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, laplace_events((8, 8), scale=1.0, seed=8))


def test_synthesize_adds_seeded_noise(mc_operator_64):
    y = sparse_events((64, 64), rho=0.01, seed=1).events
    clean = synthesize(mc_operator_64, y)
    noisy = synthesize(mc_operator_64, y, noise_std=0.5, seed=2)
    assert np.isclose((noisy - clean).std(), 0.5, rtol=0.05)
    np.testing.assert_array_equal(noisy, synthesize(mc_operator_64, y, noise_std=0.5, seed=2))
    with pytest.raises(ValueError, match="seed=None"):
        synthesize(mc_operator_64, y, noise_std=0.5)


@pytest.mark.parametrize("rho", [0.0, 1.0, -0.1, 2.0])
def test_bad_rho(rho):
    with pytest.raises(ValueError, match="rho"):
        threshold_to_sparsity(np.ones(4), rho)


@pytest.mark.parametrize("kw, match", [(dict(scale=0.0), "scale"), (dict(seed=-1), "seed"), (dict(seed=1.5), "seed")])
def test_bad_draw_parameters(kw, match):
    args = dict(scale=1.0, seed=0) | kw
    with pytest.raises((ValueError, TypeError), match=match):
        laplace_events((4, 4), **args)

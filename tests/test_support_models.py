"""Support laws with joint structure (sparseimg.sparsemodels.support_models)."""

import itertools

import numpy as np
import pytest

from sparseimg.sparsemodels import support_models as sm
from sparseimg.sparsemodels.generation import gibbs_fixed_size, random_supports, support_energy


def test_conditional_bernoulli_sampler_is_exact():
    log_w = np.log(np.array([1.0, 2.0, 0.5, 3.0, 1.5]))
    sets = list(itertools.combinations(range(5), 2))
    p = np.array([np.prod(np.exp(log_w[list(s)])) for s in sets])
    p /= p.sum()
    S = sm.conditional_bernoulli_sample(log_w, 2, 40000, rng=0)
    freq = np.array([np.mean(np.all(S == np.array(s), axis=1)) for s in sets])
    assert np.max(np.abs(freq - p)) < 0.01
    assert np.allclose(np.exp(sm.conditional_bernoulli_logpmf(log_w, np.array(sets))), p)


def test_conditional_bernoulli_never_draws_zero_weight():
    log_w = np.array([0.0, -np.inf, 0.0, 0.0])
    S = sm.conditional_bernoulli_sample(log_w, 3, 200, rng=1)
    assert np.all(S == np.array([0, 2, 3]))


def _two_groups(n=300, seed=0):
    """Supports of 3 atoms from either group {0..4} or group {5..9} (doubled: 20 atoms)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        group = np.arange(5) + 5 * (i % 2)
        out.append(np.sort(rng.choice(group, 3, replace=False)))
    return np.array(out)


def test_mixture_learns_the_groups():
    S = _two_groups()
    mix = sm.fit_support_mixture(S, 20, 2, rng=0)
    draws = sm.sample_support_mixture(mix, 500, rng=1)
    same_group = np.all(draws < 5, axis=1) | np.all(draws >= 5, axis=1)
    assert same_group.mean() > 0.95
    assert np.all(draws < 10)  # only atoms used in training
    one = sm.fit_support_mixture(S, 20, 1, rng=0)
    mixed = sm.sample_support_mixture(one, 500, rng=1)
    assert (np.all(mixed < 5, axis=1) | np.all(mixed >= 5, axis=1)).mean() < 0.5


def test_sequential_model_follows_the_order_and_temperature_sharpens():
    rng = np.random.default_rng(0)
    # order: 0 then 1 then 2 (or 10 then 11 then 12), plus noise atoms
    rows = [[0, 1, 2] if i % 2 else [10, 11, 12] for i in range(200)]
    rows += [list(rng.choice(np.arange(3, 9), 3, replace=False)) for _ in range(20)]
    seq = sm.fit_sequential(np.array(rows), 40)
    S = sm.sample_sequential(seq, 300, rng=1, temperature=0.5)
    clean = np.all(S == [0, 1, 2], axis=1) | np.all(S == [10, 11, 12], axis=1)
    assert clean.mean() > 0.8
    hot = sm.sample_sequential(seq, 300, rng=1, temperature=3.0)
    assert (np.all(hot == [0, 1, 2], axis=1) | np.all(hot == [10, 11, 12], axis=1)).mean() < clean.mean()
    for s in S:  # never an atom with its mirror (M = 40: atom j and j + 20)
        assert not set(s) & {a + 20 if a < 20 else a - 20 for a in s}


def test_ordered_supports_map_signs_to_doubled_atoms():
    Gamma = np.array([[1.0, 0.0], [-2.0, 3.0], [0.0, -1.0]])
    order = np.array([[1, 0], [2, 1]])
    assert np.array_equal(sm.ordered_supports(Gamma, order), [[4, 0], [5, 1]])


def test_boltzmann_pseudo_likelihood_learns_attraction_and_gibbs_mixes():
    S = _two_groups(400)
    bm = sm.fit_boltzmann(S, 20, l2=1e-3)
    W = bm.log_ratio
    assert W[0, 1] > 0 > W[0, 6]  # same group attract, across groups repel
    start = random_supports(bm, 300, 3, rng=2)
    out, E = gibbs_fixed_size(bm, start, 30, rng=3)
    same_group = np.all(out < 5, axis=1) | np.all(out >= 5, axis=1)
    assert same_group.mean() > 0.9
    from scipy.stats import ks_2samp

    assert ks_2samp(E[-1], support_energy(bm, S)).pvalue >= 0.05


@pytest.mark.parametrize("T", [0.0, -1.0])
def test_temperature_must_be_positive(T):
    seq = sm.fit_sequential(_two_groups(), 20)
    with pytest.raises(ValueError, match="temperature"):
        sm.sample_sequential(seq, 2, rng=0, temperature=T)
    mix = sm.fit_support_mixture(_two_groups(), 20, 2, rng=0)
    with pytest.raises(ValueError, match="temperature"):
        sm.sample_support_mixture(mix, 2, rng=0, temperature=T)


def test_components_must_be_positive():
    with pytest.raises(ValueError, match="n_components=0"):
        sm.fit_support_mixture(_two_groups(), 20, 0)


def test_neighbour_supports_stay_near_and_never_copy():
    from sparseimg.sparsemodels.generation import fit_support_model

    S = _two_groups(400)
    law = fit_support_model(S, 20, strength=0.1)
    out = sm.neighbour_supports(S, law, 200, rng=0, n_swaps=1, exclude=S, temperature=3.0, slots="random")
    train = {tuple(s) for s in S.tolist()}
    assert not any(tuple(s) in train for s in out.tolist())
    # every same-group triple is a training support here: the one atom redrawn must cross groups
    assert np.mean(np.all(out < 5, axis=1) | np.all(out >= 5, axis=1)) < 1.0
    groups = np.maximum((out < 5).sum(axis=1), (out >= 5).sum(axis=1))
    assert np.all(groups >= 2)
    with pytest.raises(ValueError, match="temperature"):
        sm.neighbour_supports(S, law, 2, rng=0, temperature=0.0)
    with pytest.raises(ValueError, match="n_swaps=4"):
        sm.neighbour_supports(S, law, 2, rng=0, n_swaps=4)


def test_neighbour_supports_redraw_the_last_slots():
    from sparseimg.sparsemodels.generation import fit_support_model

    S = _two_groups(400)
    law = fit_support_model(S, 20, strength=0.1)
    rows = np.array([[0, 1, 2]] * 50)  # ordered rows: the last column is redrawn
    out = sm.neighbour_supports(rows, law, 100, rng=0, n_swaps=1, slots="last")
    assert all({0, 1} <= set(s) and 2 not in s for s in out.tolist())
    with pytest.raises(ValueError, match="slots='first'"):
        sm.neighbour_supports(rows, law, 2, rng=0, slots="first")


def test_neighbour_supports_unsorted_rows_list_kept_atoms_first():
    from sparseimg.sparsemodels.generation import fit_support_model

    S = _two_groups(400)
    law = fit_support_model(S, 20, strength=0.1)
    rows = np.array([[2, 0, 1], [6, 9, 5]] * 25)  # last column redrawn; kept atoms stay in their order
    sorted_out = sm.neighbour_supports(rows, law, 60, rng=3, n_swaps=1, slots="last")
    slot_out = sm.neighbour_supports(rows, law, 60, rng=3, n_swaps=1, slots="last", sort=False)
    np.testing.assert_array_equal(np.sort(slot_out, axis=1), sorted_out)  # the same draws
    assert all(tuple(r[:2]) in ((2, 0), (6, 9)) for r in slot_out.tolist())
    assert all(r[2] not in (1, 5) for r in slot_out.tolist())
    rand = sm.neighbour_supports(rows, law, 60, rng=4, n_swaps=2, slots="random", sort=False)
    # one kept atom first: an atom of the row it came from
    assert all(r[0] in (2, 0, 1) or r[0] in (6, 9, 5) for r in rand.tolist())

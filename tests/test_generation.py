"""The sparsity generative model (sparseimg.sparsemodels.generation)."""

import numpy as np
import pytest

from sparseimg.sparsemodels.generation import (code_supports, double_codes, double_dictionary, em_gaussian_missing,
                                  fit_support_model, gibbs_fixed_size, gibbs_on_off, random_supports,
                                  support_energy, synthesize)


@pytest.fixture(scope="module")
def supports():
    """Training supports over 20 doubled atoms with two 'cliques' of 3 atoms."""
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(400):
        base = [0, 1, 2] if rng.random() < 0.5 else [3, 4, 5]
        extra = rng.choice([a for a in range(6, 10)], 1)
        rows.append(sorted(base + list(extra)))
    return np.array(rows)


def test_doubling_keeps_the_product_and_positivity():
    rng = np.random.default_rng(1)
    D, G = rng.standard_normal((6, 5)), rng.standard_normal((5, 7)) * (rng.random((5, 7)) < 0.4)
    D2, G2 = double_dictionary(D), double_codes(G)
    assert D2.shape == (6, 10) and G2.shape == (10, 7) and np.all(G2 >= 0)
    np.testing.assert_allclose(D2 @ G2, D @ G)
    S = code_supports(G2, 2)
    assert S.shape == (7, 2) and np.all(np.diff(S, axis=1) > 0)


def test_gibbs_keeps_k_distinct_atoms_and_no_mirror(supports):
    law = fit_support_model(supports, 20, strength=0.1)
    start = random_supports(law, 50, 4, rng=1)
    S, E = gibbs_fixed_size(law, start, 6, rng=2)
    assert S.shape == (50, 4) and E.shape == (7, 50)
    for row in S:
        assert len(set(row)) == 4
        assert not ({int(a) + 10 for a in row if a < 10} | {int(a) - 10 for a in row if a >= 10}) & set(row.tolist())
        assert np.isfinite(law.log_p[row]).all()  # only atoms seen in training
    # the sampler finds the cliques: most samples hold one whole clique
    cliques = np.mean([set(r) >= {0, 1, 2} or set(r) >= {3, 4, 5} for r in S.tolist()])
    assert cliques > 0.8
    np.testing.assert_allclose(E[0], support_energy(law, start))


def test_independent_model_has_no_pair_factors(supports):
    law = fit_support_model(supports, 20, pairwise=False)
    assert np.all(law.log_ratio == 0)
    with pytest.raises(ValueError, match="pair_prior='x' is not allowed"):
        fit_support_model(supports, 20, pair_prior="x")


def test_additive_smoothing_inflates_unseen_rare_pairs(supports):
    # atoms 15 and 16 (of 40) are each used once, never together
    rare = np.concatenate([supports, [[0, 1, 2, 15], [3, 4, 5, 16]]])
    shrunk = fit_support_model(rare, 40, strength=0.1)
    additive = fit_support_model(rare, 40, pair_prior="additive", strength=1.0)
    assert shrunk.log_ratio[15, 16] == pytest.approx(np.log(0.1 / 1.1))  # repelled by τ/(1+τ)
    assert additive.log_ratio[15, 16] > 2.0  # a false clique
    assert additive.log_ratio[15, 16] > additive.log_ratio[0, 1]  # stronger than a real one


def test_on_off_sampler_reports_sizes(supports):
    law = fit_support_model(supports, 20, strength=0.1)
    sizes = gibbs_on_off(law, supports[:10], 3, rng=0, factors="binary")
    assert sizes.shape == (4, 10) and np.all(sizes[0] == 4)


def test_em_recovers_a_known_gaussian_with_missing_entries():
    rng = np.random.default_rng(3)
    mean = np.array([1.0, -2.0, 0.5])
    A = np.array([[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [-0.3, 0.4, 0.5]])
    cov = A @ A.T
    X = rng.multivariate_normal(mean, cov, 4000)
    observed = rng.random(X.shape) < 0.7
    observed[~observed.any(axis=1), 0] = True
    X_missing = np.where(observed, X, 99.0)  # garbage where missing
    mu, sigma = em_gaussian_missing(X_missing, observed, n_iter=200, reg=0.0, tol=1e-10)
    np.testing.assert_allclose(mu, mean, atol=0.06)
    np.testing.assert_allclose(sigma, cov, atol=0.08)
    # complete data: EM is the sample mean and covariance
    mu_c, sig_c = em_gaussian_missing(X, np.ones_like(observed), n_iter=5, reg=0.0)
    np.testing.assert_allclose(mu_c, X.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(sig_c, np.cov(X, rowvar=False, bias=True), atol=1e-10)
    with pytest.raises(ValueError, match="no observed entry"):
        em_gaussian_missing(X, np.zeros_like(observed))


def test_synthesize_is_seeded_and_clipped():
    rng = np.random.default_rng(4)
    D2 = double_dictionary(rng.standard_normal((9, 6)))
    codes = double_codes(rng.standard_normal((6, 50)) * (rng.random((6, 50)) < 0.5))
    S = np.array([[0, 1], [2, 9]])
    a = synthesize(D2, codes, S, rng=7, clip=(0.0, 1.0))
    b = synthesize(D2, codes, S, rng=7, clip=(0.0, 1.0))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (9, 2) and a.min() >= 0 and a.max() <= 1


def test_synthesize_cache_reuses_fits_of_repeated_supports_and_changes_no_image(monkeypatch):
    import sparseimg.sparsemodels.generation as generation

    rng = np.random.default_rng(4)
    D2 = double_dictionary(rng.standard_normal((9, 6)))
    codes = double_codes(rng.standard_normal((6, 50)) * (rng.random((6, 50)) < 0.5))
    S = np.array([[0, 1, 3], [2, 9, 4], [0, 1, 3], [3, 1, 0], [0, 1, 3]])  # a repeat, and a permutation
    fitted = []
    original = generation.fit_coefficients
    monkeypatch.setattr(generation, "fit_coefficients", lambda c, s, **kw: fitted.append(tuple(s)) or original(c, s, **kw))
    cache = {}
    for n_kept in (None, 2):
        plain = synthesize(D2, codes, S, rng=7, n_kept=n_kept, n_iter=6, overlap_power=2.0)
        cached = synthesize(D2, codes, S, rng=7, n_kept=n_kept, n_iter=6, overlap_power=2.0, cache=cache)
        np.testing.assert_array_equal(cached, plain)
    # plain calls fit every row (2 x 5); the cache fits each distinct (support, settings) once (3)
    assert len(fitted) == 13 and set(cache) == {((0, 1, 3), 6, 1e-3, 2.0), ((2, 9, 4), 6, 1e-3, 2.0),
                                                ((3, 1, 0), 6, 1e-3, 2.0)}
    synthesize(D2, codes, S[:1], rng=7, n_iter=6, overlap_power=0.0, cache=cache)  # other settings: a new fit
    assert len(fitted) == 14 and len(cache) == 4


def test_neighbour_row_never_copies_a_training_support_and_ordered_supports_follow_omp():
    from sparseimg.experiments import generation as gen
    from sparseimg.sparsemodels.dictionary import batch_omp
    from sparseimg.sparsemodels.generative_scores import support_copy_fraction

    train, _, _, _ = gen.load_digit_split(300, 0)
    model = gen.fit_sparse_model(train, 32, 3, n_iter=5, seed=0)
    _, order = batch_omp(train.T, model.dictionary, 3, return_supports=True)
    assert np.array_equal(model.ordered % 32, order)  # OMP's order, sign folded into the doubled index
    params = gen.Settings(shrinkage=0.1, overlap_power=8.0, temperature=0.7, seq_temperature=0.6,
                          neighbour_temperature=0.7, neighbour_swaps=1, burn_in=5, em_iter=5, gmm_pca=30,
                          gmm_components=10)
    images, supports = gen.generate("neighbour", model, params, 20, np.random.default_rng(0))
    assert images.shape == (20, 64) and supports.shape == (20, 3)
    assert support_copy_fraction(supports, model.all_supports()) == 0.0
    again, _ = gen.generate("neighbour", model, params, 20, np.random.default_rng(0))
    assert np.array_equal(images, again)  # seeded


def test_ranked_coefficients_keep_the_new_entries_smallest():
    from sparseimg.sparsemodels.generation import sample_coefficients, sample_ranked_coefficients

    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4))
    cov = A @ A.T + np.eye(4)
    mean = np.array([8.0, 6.0, 3.0, 2.0])
    draws = np.array([sample_ranked_coefficients(mean, cov, 2, rng) for _ in range(300)])
    assert np.all(draws >= 0)
    assert np.all(draws[:, 2] <= draws[:, :2].min(axis=1)) and np.all(draws[:, 3] <= draws[:, :3].min(axis=1))
    # n_kept = d: the plain draw, the same random numbers
    np.testing.assert_array_equal(sample_ranked_coefficients(mean, cov, 4, np.random.default_rng(5)),
                                  sample_coefficients(mean, cov, np.random.default_rng(5)))
    with pytest.raises(ValueError, match="n_kept=0"):
        sample_ranked_coefficients(mean, cov, 0, rng)


def test_ranked_coefficients_follow_the_truncated_conditional():
    from scipy.stats import truncnorm

    from sparseimg.sparsemodels.generation import sample_ranked_coefficients

    rng = np.random.default_rng(1)
    # a loose bound: x2 | x1 ~ N(5 + 0.5 (x1 − 100), 0.75), far inside [0, x1]
    cov = np.array([[1.0, 0.5], [0.5, 1.0]])
    loose = np.array([sample_ranked_coefficients(np.array([100.0, 5.0]), cov, 1, rng) for _ in range(2000)])
    slope, icpt = np.polyfit(loose[:, 0] - 100.0, loose[:, 1], 1)
    resid = loose[:, 1] - (icpt + slope * (loose[:, 0] - 100.0))
    assert abs(slope - 0.5) < 0.05 and abs(icpt - 5.0) < 0.06 and abs(resid.std() - np.sqrt(0.75)) < 0.04
    # a binding bound: N(50, 10²) truncated to [0, 10]
    rng = np.random.default_rng(2)
    tight = np.array([sample_ranked_coefficients(np.array([10.0, 50.0]), np.diag([1e-10, 100.0]), 1, rng)[1]
                      for _ in range(4000)])
    want = truncnorm.mean(-5.0, -4.0, loc=50.0, scale=10.0)  # 7.83 (sd 1.95: standard error 0.03)
    assert tight.max() <= 10.0 + 1e-4 and abs(tight.mean() - want) < 0.12


def test_synthesize_ranked_keeps_the_plain_draw_when_every_slot_is_kept():
    rng = np.random.default_rng(4)
    D2 = double_dictionary(rng.standard_normal((9, 6)))
    codes = double_codes(rng.standard_normal((6, 50)) * (rng.random((6, 50)) < 0.5))
    S = np.array([[0, 1, 3], [2, 9, 4]])
    np.testing.assert_array_equal(synthesize(D2, codes, S, rng=7, n_kept=3), synthesize(D2, codes, S, rng=7))
    ranked = synthesize(D2, codes, S, rng=7, n_kept=2, clip=None)
    assert ranked.shape == (9, 2) and not np.array_equal(ranked, synthesize(D2, codes, S, rng=7, clip=None))


def test_neighbour_ranked_row_never_copies_and_is_seeded():
    from sparseimg.experiments import generation as gen
    from sparseimg.sparsemodels.generative_scores import support_copy_fraction

    train, _, _, _ = gen.load_digit_split(300, 0)
    model = gen.fit_sparse_model(train, 32, 3, n_iter=5, seed=0)
    params = gen.Settings(shrinkage=0.1, overlap_power=8.0, temperature=0.7, seq_temperature=0.6,
                          neighbour_temperature=0.7, neighbour_swaps=1, burn_in=5, em_iter=5, gmm_pca=30,
                          gmm_components=10)
    images, supports = gen.generate("neighbour_ranked", model, params, 20, np.random.default_rng(0))
    assert images.shape == (20, 64) and supports.shape == (20, 3)
    assert np.all(np.diff(supports, axis=1) > 0)  # sorted rows, as the other generators return
    assert support_copy_fraction(supports, model.all_supports()) == 0.0
    again, same = gen.generate("neighbour_ranked", model, params, 20, np.random.default_rng(0))
    assert np.array_equal(images, again) and np.array_equal(supports, same)
    _, plain = gen.generate("neighbour", model, params, 20, np.random.default_rng(0))
    assert np.array_equal(plain, supports)  # the same supports as the neighbour row, other coefficients

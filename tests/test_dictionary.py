"""Batch OMP and K-SVD (sparseimg.sparsemodels.dictionary)."""

import warnings

import numpy as np
import pytest

from sparseimg.sparsemodels.dictionary import batch_omp, ksvd, normalize_atoms, sparse_rmse


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(3)
    D = normalize_atoms(rng.standard_normal((20, 40)))
    X = rng.standard_normal((20, 50))
    return D, X


@pytest.mark.parametrize("k", [1, 3, 7])
def test_residual_is_orthogonal_to_the_chosen_atoms(problem, k):
    D, X = problem
    Gamma, S = batch_omp(X, D, k, return_supports=True)
    R = X - D @ Gamma
    for i in range(X.shape[1]):
        assert len(set(S[i])) == k
        assert np.abs(D[:, S[i]].T @ R[:, i]).max() < 1e-10 * np.linalg.norm(X[:, i])
    assert np.all(np.count_nonzero(Gamma, axis=0) <= k)


def test_exact_recovery_of_a_sparse_code():
    rng = np.random.default_rng(0)
    D = normalize_atoms(rng.standard_normal((64, 100)))
    truth = np.zeros((100, 30))
    for j in range(30):
        truth[rng.choice(100, 3, replace=False), j] = rng.choice([-1, 1], 3) * (1 + rng.random(3))
    Gamma = batch_omp(D @ truth, D, 3)
    np.testing.assert_allclose(Gamma, truth, atol=1e-10)


def test_same_supports_and_coefficients_as_sklearn(problem):
    from sklearn.linear_model import orthogonal_mp_gram

    D, X = problem
    for k in (2, 5):
        ours = batch_omp(X, D, k, gram=D.T @ D)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            theirs = orthogonal_mp_gram(D.T @ D, D.T @ X, n_nonzero_coefs=k)
        assert all(np.array_equal(np.flatnonzero(a), np.flatnonzero(b)) for a, b in zip(ours.T, theirs.T))
        np.testing.assert_allclose(ours, theirs, atol=1e-9)


def test_omp_rejects_bad_arguments(problem):
    D, X = problem
    with pytest.raises(ValueError, match="k=0 is not allowed"):
        batch_omp(X, D, 0)
    with pytest.raises(ValueError, match="expected"):
        batch_omp(X[:5], D, 2)


@pytest.mark.parametrize("exact", [False, True])
def test_ksvd_error_never_increases_and_fits_better(exact):
    rng = np.random.default_rng(1)
    D0 = normalize_atoms(rng.standard_normal((16, 24)))
    codes = np.zeros((24, 300))
    for j in range(300):
        codes[rng.choice(24, 3, replace=False), j] = rng.standard_normal(3)
    X = D0 @ codes + 0.01 * rng.standard_normal((16, 300))
    res = ksvd(X, 24, 3, n_iter=10, exact=exact, rng=0)
    assert len(res.rmse) == 11
    assert all(b <= a + 1e-12 for a, b in zip(res.rmse, res.rmse[1:])), res.rmse
    assert res.rmse[-1] < 0.7 * res.rmse[0]
    np.testing.assert_allclose(np.linalg.norm(res.dictionary, axis=0), 1.0)
    assert sparse_rmse(X, res.dictionary, res.codes) == pytest.approx(res.rmse[-1])


def test_ksvd_is_deterministic():
    X = np.random.default_rng(2).standard_normal((10, 60))
    a, b = ksvd(X, 12, 2, n_iter=3, rng=5), ksvd(X, 12, 2, n_iter=3, rng=5)
    np.testing.assert_array_equal(a.dictionary, b.dictionary)
    with pytest.raises(ValueError, match="n_atoms=100 is not allowed"):
        ksvd(X, 100, 2)


def test_clean_dictionary_replaces_duplicates_and_unused_atoms():
    from sparseimg.sparsemodels.dictionary import clean_dictionary

    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 200))
    D = normalize_atoms(rng.standard_normal((16, 10)))
    D[:, 3] = D[:, 2]  # a duplicate
    Gamma = batch_omp(X, D, 2)
    Gamma[7] = 0.0  # an unused atom
    use = np.count_nonzero(Gamma, axis=1)
    old7 = D[:, 7].copy()
    n = clean_dictionary(X, D, Gamma, max_coherence=0.99, min_use=1)
    assert n == 2 + int(np.sum(use == 0)) - 1 or n >= 2
    assert not np.allclose(D[:, 7], old7) and np.isclose(np.linalg.norm(D[:, 7]), 1.0)
    assert abs(D[:, 2] @ D[:, 3]) < 0.99  # the pair is no longer duplicated
    assert not Gamma[7].any()
    clean_again = clean_dictionary(X, D, batch_omp(X, D, 2), max_coherence=1.0, min_use=0)
    assert clean_again == 0  # nothing to clean: no atom is replaced


def test_ksvd_cleaning_lowers_held_out_error_on_digits():
    from sparseimg.experiments.generation import CLEANING, load_digit_split

    tr, _, te, _ = load_digit_split(1197, 0)
    plain = ksvd(tr.T, 256, 10, n_iter=20, rng=0)
    clean = ksvd(tr.T, 256, 10, n_iter=20, rng=0, clean=True, **CLEANING)
    err = lambda r: sparse_rmse(te.T, r.dictionary, batch_omp(te.T, r.dictionary, 10))  # noqa: E731
    assert clean.cleaned > 0 and err(clean) < err(plain) and err(clean) <= 16.5

"""Scores of generated images without a deep network.

Samples and reference sets are rows (``n × n_features``), features already extracted
(pixels, or PCA coefficients fitted on training data).

- :func:`classifier_scores`: mean confidence ``E max_y p(y|x)`` and the inception-like
  score ``exp E_x KL(p(y|x) ‖ p(y))`` from class probabilities of a classifier trained
  on real images;
- :func:`frechet_distance` between the Gaussians fitted to two feature sets;
- :func:`precision_recall`: Kynkäänniemi et al. 2019, "Improved precision and recall
  metric for assessing generative models" (k-NN balls around each set);
- :func:`data_copying_ct`: Meehan, Chaudhuri & Dasgupta 2020, "A non-parametric test to
  detect data-copying in generative models" (``C_T``: cell-wise Mann-Whitney z-scores of
  distances to the training set, generated against held-out; ≪ 0 means copying);
- :func:`support_copy_fraction` and :func:`nearest_distances`.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

__all__ = ["classifier_scores", "frechet_distance", "pairwise_sq_distances", "precision_recall",
           "nearest_distances", "data_copying_ct", "support_copy_fraction", "bootstrap_interval"]


def classifier_scores(proba: np.ndarray) -> dict:
    """``{"confidence": E max_y p(y|x), "inception": exp E KL(p(y|x) ‖ p(y))}`` from ``proba (n, n_classes)``."""
    P = np.clip(np.asarray(proba, dtype=np.float64), 1e-12, 1.0)
    marginal = P.mean(axis=0)
    kl = np.sum(P * (np.log(P) - np.log(marginal)), axis=1)
    return {"confidence": float(np.mean(P.max(axis=1))), "inception": float(np.exp(np.mean(kl)))}


def frechet_distance(A: np.ndarray, B: np.ndarray) -> float:
    """``‖μ_A − μ_B‖² + tr(Σ_A + Σ_B − 2 (Σ_A Σ_B)^{1/2})`` of the feature rows of ``A`` and ``B``."""
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    mu_a, mu_b = A.mean(axis=0), B.mean(axis=0)
    ca, cb = np.cov(A, rowvar=False), np.cov(B, rowvar=False)
    root = linalg.sqrtm(ca @ cb)
    root = np.real(root)
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(ca + cb - 2.0 * root))


def pairwise_sq_distances(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of ``A`` and ``B``, shape ``(len(A), len(B))``."""
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    d = np.sum(A * A, axis=1)[:, None] + np.sum(B * B, axis=1)[None, :] - 2.0 * A @ B.T
    return np.maximum(d, 0.0)


def _knn_radius(X: np.ndarray, k: int) -> np.ndarray:
    d = pairwise_sq_distances(X, X)
    return np.sqrt(np.partition(d, k, axis=1)[:, k])  # index 0 is the point itself


def precision_recall(real: np.ndarray, fake: np.ndarray, *, k: int = 3) -> dict:
    """Improved precision and recall (k-NN balls, Kynkäänniemi et al. 2019).

    Precision: fraction of ``fake`` rows inside the ball of some ``real`` row (radius:
    distance to its ``k``-th nearest real neighbour); recall: the same with the roles
    swapped.
    """
    r_real, r_fake = _knn_radius(real, k), _knn_radius(fake, k)
    d = np.sqrt(pairwise_sq_distances(fake, real))  # (n_fake, n_real)
    precision = float(np.mean(np.any(d <= r_real[None, :], axis=1)))
    recall = float(np.mean(np.any(d.T <= r_fake[None, :], axis=1)))
    return {"precision": precision, "recall": recall}


def nearest_distances(queries: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance of each query row to its nearest ``reference`` row, and that row's index."""
    d = pairwise_sq_distances(queries, reference)
    idx = np.argmin(d, axis=1)
    return np.sqrt(d[np.arange(len(idx)), idx]), idx


def _mann_whitney_z(test: np.ndarray, gen: np.ndarray) -> float:
    """z-score of the Mann-Whitney U of ``gen`` above ``test`` (ties count half)."""
    from scipy.stats import rankdata

    n, m = test.size, gen.size
    ranks = rankdata(np.concatenate([test, gen]))
    U = ranks[n:].sum() - m * (m + 1) / 2.0  # pairs with gen > test
    return float((U - n * m / 2.0) / np.sqrt(n * m * (n + m + 1) / 12.0))


def data_copying_ct(train: np.ndarray, test: np.ndarray, gen: np.ndarray, *, n_cells: int = 10,
                    min_gen: int = 5, rng=None) -> float:
    """The data-copying statistic ``C_T`` of Meehan et al. (2020).

    The space is cut into ``n_cells`` cells by k-means on ``train``; in each cell holding
    at least ``min_gen`` generated rows (and a test row), the distances to the nearest
    training row of the test rows and of the generated rows are compared by the
    Mann-Whitney z-score; ``C_T`` averages the z-scores weighted by the cells' test
    fractions. About 0: no copying; ≪ 0 (the paper flags < −3): samples sit closer to
    the training set than fresh data does.
    """
    from sklearn.cluster import KMeans

    seed = np.random.default_rng(rng).integers(2**31 - 1)
    km = KMeans(n_clusters=n_cells, n_init=3, random_state=int(seed)).fit(train)
    c_test, c_gen = km.predict(test), km.predict(gen)
    d_test, _ = nearest_distances(test, train)
    d_gen, _ = nearest_distances(gen, train)
    total, weight = 0.0, 0.0
    for c in range(n_cells):
        t, g = d_test[c_test == c], d_gen[c_gen == c]
        if g.size < min_gen or t.size == 0:
            continue
        pi = t.size / test.shape[0]
        total += pi * _mann_whitney_z(t, g)
        weight += pi
    return float(total / weight) if weight > 0 else float("nan")


def support_copy_fraction(supports: np.ndarray, training_supports: np.ndarray) -> float:
    """Fraction of ``supports`` (rows of atom indices) that equal some training support as a set."""
    train = {tuple(sorted(s)) for s in np.asarray(training_supports).tolist()}
    rows = [tuple(sorted(s)) for s in np.asarray(supports).tolist()]
    return float(np.mean([r in train for r in rows])) if rows else float("nan")


def bootstrap_interval(values, *, n_boot: int = 2000, level: float = 0.95, rng=None) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (e.g. one score over seeds)."""
    rng = np.random.default_rng(rng)
    v = np.asarray(values, dtype=np.float64)
    means = v[rng.integers(0, v.size, (n_boot, v.size))].mean(axis=1)
    half = (1.0 - level) / 2.0
    return float(np.quantile(means, half)), float(np.quantile(means, 1.0 - half))

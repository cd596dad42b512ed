"""Scores of generated images (sparseimg.sparsemodels.generative_scores)."""

import numpy as np
import pytest

from sparseimg.sparsemodels.generative_scores import (bootstrap_interval, classifier_scores, data_copying_ct, frechet_distance,
                                         precision_recall, support_copy_fraction)


@pytest.fixture(scope="module")
def sets():
    rng = np.random.default_rng(0)
    return rng.standard_normal((300, 5)), rng.standard_normal((300, 5)), rng.standard_normal((300, 5))


def test_classifier_scores_limits():
    uniform = np.full((10, 4), 0.25)
    s = classifier_scores(uniform)
    assert s["confidence"] == pytest.approx(0.25) and s["inception"] == pytest.approx(1.0)
    onehot = np.eye(4)[np.arange(40) % 4]
    s = classifier_scores(onehot)
    assert s["confidence"] == pytest.approx(1.0) and s["inception"] == pytest.approx(4.0, rel=1e-6)


def test_precision_recall_real_against_real(sets):
    a, b, _ = sets
    same = precision_recall(a, a)
    assert same == {"precision": 1.0, "recall": 1.0}
    fresh = precision_recall(a, b)
    assert fresh["precision"] > 0.85 and fresh["recall"] > 0.85
    shifted = precision_recall(a, b + 4.0)
    assert shifted["precision"] < 0.1 and shifted["recall"] < 0.1
    collapsed = precision_recall(a, 0.1 * b)  # all samples near the mode: precise, not diverse
    assert collapsed["precision"] > 0.9 and collapsed["recall"] < 0.5


def test_frechet_distance(sets):
    a, b, _ = sets
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    assert frechet_distance(a, b) < 0.5
    assert frechet_distance(a, b + np.array([3.0, 0, 0, 0, 0])) == pytest.approx(9.0 + frechet_distance(a, b), rel=0.05)


def test_data_copying_flags_copies_only(sets):
    train, test, fresh = sets
    copies = train[:200] + 0.01
    assert data_copying_ct(train, test, copies, n_cells=4, rng=0) < -3
    assert abs(data_copying_ct(train, test, fresh, n_cells=4, rng=0)) < 3


def test_support_copies_and_bootstrap():
    train = np.array([[0, 1, 2], [3, 4, 5]])
    assert support_copy_fraction(np.array([[2, 1, 0], [0, 1, 3]]), train) == 0.5
    low, high = bootstrap_interval([1.0, 2.0, 3.0, 4.0, 5.0], rng=0)
    assert low < 3.0 < high
    assert bootstrap_interval([2.0, 2.0], rng=0) == (2.0, 2.0)

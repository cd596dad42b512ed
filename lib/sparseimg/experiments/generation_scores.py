"""Section 5: the scores of generated images, fitted once on real images (:class:`Scorer`).

A classifier's confidence and inception-style score, precision and recall in PCA features, Fréchet
distance, nearest-neighbour distances and the data-copying test, and the share of generated supports copied
from the training set (:mod:`sparseimg.sparsemodels.generative_scores`), for the digits
(:func:`fit_digit_scorer`) and the faces (:func:`fit_face_scorer`) of :mod:`sparseimg.experiments.generation`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sparseimg.experiments.generation import PIXEL_MAX
from sparseimg.sparsemodels.generative_scores import (classifier_scores, data_copying_ct, frechet_distance,
                                                      nearest_distances, precision_recall, support_copy_fraction)

__all__ = ["Scorer", "fit_digit_scorer", "fit_face_scorer"]


@dataclass
class Scorer:
    """Everything fitted once on real images: the classifier, the PCA features, the references."""

    classifier: object
    pca: object
    train: np.ndarray
    test: np.ndarray
    train_supports: np.ndarray | None
    n_cells: int = 10
    nn_k: int = 3
    feature_scale: float = 1.0  # PCA features of images / feature_scale
    mlp: object = None  # the successor of the SVC's Platt probabilities (issue 23): scores "*_mlp"

    def scores(self, images: np.ndarray, supports=None, *, rng=0) -> dict:
        """Every score of the rows ``images`` against the held-out set (``test``).

        Parameters
        ----------
        images : ndarray, shape (n, n_pixels)
            Generated (or real) images as rows, 0–255.
        supports : ndarray of int, shape (n, k), optional
            Their supports in the doubled dictionary; with :attr:`train_supports` they give
            ``support_copies`` (default None: not scored).
        rng : int or numpy.random.Generator, optional
            Seed of the k-means cells of the data-copying statistic (default 0).

        Returns
        -------
        dict
            ``confidence`` and ``inception`` (digits: the SVC's class probabilities) or ``p_face`` (faces:
            mean P(face)); with :attr:`mlp` the same from the MLP with the suffix ``_mlp``; ``frechet`` (Fréchet
            distance of the PCA features to ``test``'s), ``precision`` and ``recall`` (k-NN balls,
            ``k = nn_k``), ``ct`` (data-copying ``C_T`` against ``train``, ``n_cells`` cells), ``nn_ratio``
            (median distance to the nearest training image, generated over held-out) and, when both supports
            are known, ``support_copies`` (fraction of supports equal to a training support). Floats.
        """
        proba = self.classifier.predict_proba(images / PIXEL_MAX)
        out = classifier_scores(proba)
        if proba.shape[1] == 2:  # face / non-face: P(face) is column 1
            out = {"p_face": float(np.mean(proba[:, 1]))}
        if self.mlp is not None:
            p_mlp = self.mlp.predict_proba(images / PIXEL_MAX)
            if p_mlp.shape[1] == 2:
                out["p_face_mlp"] = float(np.mean(p_mlp[:, 1]))
            else:
                out.update({f"{k}_mlp": v for k, v in classifier_scores(p_mlp).items()})
        f_img, f_test, f_train = (self.pca.transform(a / self.feature_scale) for a in (images, self.test, self.train))
        out["frechet"] = frechet_distance(f_img, f_test)
        out.update(precision_recall(f_test, f_img, k=self.nn_k))
        out["ct"] = data_copying_ct(f_train, f_test, f_img, n_cells=self.n_cells, rng=rng)
        d_gen, _ = nearest_distances(images, self.train)
        d_test, _ = nearest_distances(self.test, self.train)
        out["nn_ratio"] = float(np.median(d_gen) / np.median(d_test))
        if supports is not None and self.train_supports is not None:
            out["support_copies"] = support_copy_fraction(supports, self.train_supports)
        return out


def _svc_fit(X, y, seed):
    """An RBF SVC with Platt probabilities (``probability=True``: its internal 5-fold fit, seeded).

    scikit-learn 1.9 deprecates ``probability=True`` in favour of ``CalibratedClassifierCV``; that
    replacement calibrates one-vs-rest scores and gives generated digits nearly real confidence, so
    the score would stop separating the models. The deprecation warning is silenced here.
    """
    import warnings

    from sklearn.svm import SVC

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return SVC(probability=True, random_state=seed).fit(X, y)


def _mlp_fit(X, y, seed):
    """The chosen successor of the SVC's Platt probabilities (issue 23): a small MLP (one hidden layer
    of 64 ReLU units, L2 1e-3, Adam, seeded) whose softmax gives the class probabilities directly."""
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(hidden_layer_sizes=(64,), alpha=1e-3, max_iter=1000, random_state=seed).fit(X, y)


def fit_digit_scorer(train, train_labels, test, *, pca_dim: int = 20, train_supports=None, seed: int = 0,
                     mlp: bool = True) -> Scorer:
    """An RBF SVC (Platt probabilities) and, with ``mlp``, a small MLP on the real training digits;
    PCA features on them.

    Parameters
    ----------
    train : ndarray, shape (N, 64)
        Real training digits as rows, 0–255 (the classifiers see them divided by 255).
    train_labels : ndarray of int, shape (N,)
        Their classes.
    test : ndarray, shape (n_test, 64)
        The held-out digits the scores compare against, 0–255.
    pca_dim : int, optional
        PCA components of the features (default 20), fitted on ``train`` on ``load_digits``' 0–16 scale.
    train_supports : ndarray of int, shape (N', k), optional
        Training supports for the ``support_copies`` score (default None).
    seed : int, optional
        Seed of the SVC, the PCA and the MLP (default 0).
    mlp : bool, optional
        Also fit the MLP, for the ``*_mlp`` scores (default True).

    Returns
    -------
    Scorer
        With ``feature_scale = 255/16``, ``n_cells = 10``, ``nn_k = 3``; ``mlp`` None unless ``mlp``.
    """
    from sklearn.decomposition import PCA

    clf = _svc_fit(train / PIXEL_MAX, train_labels, seed)
    scale = PIXEL_MAX / 16.0  # features on load_digits' own 0-16 scale
    pca = PCA(n_components=pca_dim, random_state=seed).fit(train / scale)
    net = _mlp_fit(train / PIXEL_MAX, train_labels, seed) if mlp else None
    return Scorer(clf, pca, train, test, train_supports, feature_scale=scale, mlp=net)


def fit_face_scorer(train_faces, test_faces, non_faces, *, pca_dim: int = 10, train_supports=None,
                    seed: int = 0) -> Scorer:
    """A face/non-face SVC on the training faces and half of the non-faces; PCA features on the faces.

    Parameters
    ----------
    train_faces : ndarray, shape (N, n_pixels)
        Real training faces as rows, 0–255 (label 1).
    test_faces : ndarray, shape (n_test, n_pixels)
        The held-out faces the scores compare against, 0–255.
    non_faces : ndarray, shape (n_non, n_pixels)
        Non-face images, 0–255; the first ``n_non // 2`` train the classifiers (label 0).
    pca_dim : int, optional
        PCA components of the features (default 10), fitted on ``train_faces / 255``.
    train_supports : ndarray of int, shape (N', k), optional
        Training supports for the ``support_copies`` score (default None).
    seed : int, optional
        Seed of the SVC, the PCA and the MLP (default 0).

    Returns
    -------
    Scorer
        With an SVC and an MLP (both face/non-face), ``feature_scale = 255``, ``n_cells = 3``, ``nn_k = 3``.
    """
    from sklearn.decomposition import PCA

    n_neg = non_faces.shape[0] // 2
    X = np.concatenate([train_faces, non_faces[:n_neg]]) / PIXEL_MAX
    y = np.concatenate([np.ones(train_faces.shape[0], int), np.zeros(n_neg, int)])
    clf = _svc_fit(X, y, seed)
    pca = PCA(n_components=pca_dim, random_state=seed).fit(train_faces / PIXEL_MAX)
    return Scorer(clf, pca, train_faces, test_faces, train_supports, n_cells=3, nn_k=3, feature_scale=PIXEL_MAX,
                  mlp=_mlp_fit(X, y, seed))

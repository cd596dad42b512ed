"""The synthetic sparse-coding problem of the LISTA literature, and its error measure.

:class:`SparseProblem`: ``A`` Gaussian with unit-norm columns, Bernoulli–Gaussian codes, optional
white noise at a given SNR (:func:`noise_sigma`); vectors are the columns of ``(n, count)`` arrays.
:func:`make_problem` draws one from a seed. :func:`nmse_db` is the error measure of the LISTA literature,
``10 log10(Σ‖x̂ − x‖² / Σ‖x‖²)`` over a set. The unfolded networks that learn to solve it are
:mod:`sparseimg.learn.unfolding`; ISTA and FISTA run on it through :class:`sparseimg.operators.matrix.MatrixOperator`.

References
----------
X. Chen, J. Liu, Z. Wang and W. Yin, "Theoretical linear convergence of unfolded ISTA and its practical
weights and thresholds", NeurIPS 2018 (the benchmark's setting: 250 × 500, 10 % non-zeros, 40 dB SNR).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sparseimg._validate import check_int, check_real

__all__ = ["SparseProblem", "make_problem", "nmse_db", "noise_sigma"]


def noise_sigma(sparsity: float, n: int, m: int, snr_db: float | None) -> float:
    """Standard deviation per measurement of white noise at ``snr_db``.

    With unit-norm columns and unit-variance non-zeros, ``E‖A x‖² = sparsity · n``, so the
    noise variance per entry is ``sparsity · n / m · 10^(−snr_db/10)``. The arguments are not
    checked here (:func:`make_problem` checks them).

    Parameters
    ----------
    sparsity : float
        Probability that an entry of the code is non-zero.
    n : int
        Code length (columns of ``A``).
    m : int
        Number of measurements (rows of ``A``).
    snr_db : float or None
        Measurement SNR in dB; None for noiseless measurements.

    Returns
    -------
    float
        The noise standard deviation per measurement (0.0 when ``snr_db`` is None).
    """
    if snr_db is None:
        return 0.0
    return math.sqrt(sparsity * n / m * 10.0 ** (-snr_db / 10.0))


@dataclass(frozen=True)
class SparseProblem:
    """The standard synthetic setting of the LISTA literature.

    :func:`make_problem` builds one and checks the arguments; the class itself checks nothing.

    Parameters
    ----------
    matrix : ndarray, shape (m, n)
        ``A``, Gaussian with unit-norm columns.
    sparsity : float
        Probability that an entry of ``x`` is non-zero (Bernoulli–Gaussian, unit variance).
    snr_db : float or None, optional
        Measurement SNR in dB (default None: noiseless).

    Attributes
    ----------
    m, n : int
        The shape of ``matrix``.
    sigma : float
        Noise standard deviation per measurement (:func:`noise_sigma`).
    """

    matrix: np.ndarray
    sparsity: float
    snr_db: float | None = None

    @property
    def m(self) -> int:
        return self.matrix.shape[0]

    @property
    def n(self) -> int:
        return self.matrix.shape[1]

    @property
    def sigma(self) -> float:
        """Noise standard deviation per measurement (see :func:`noise_sigma`)."""
        return noise_sigma(self.sparsity, self.n, self.m, self.snr_db)

    def sample(self, count: int, rng) -> tuple[np.ndarray, np.ndarray]:
        """``(y, x)``: ``count`` codes and their measurements, as columns of ``(m, count)`` and ``(n, count)``.

        Parameters
        ----------
        count : int
            Number of vectors, ``>= 1``.
        rng : numpy.random.Generator or int
            ``rng`` is a :class:`numpy.random.Generator` or a seed (``numpy.random.default_rng``).

        Returns
        -------
        y : ndarray, shape (m, count)
            Measurements ``A x`` (plus white noise of std :attr:`sigma` when ``snr_db`` is set).
        x : ndarray, shape (n, count)
            Bernoulli–Gaussian codes.

        Raises
        ------
        TypeError
            ``count`` is not an integer.
        ValueError
            ``count`` is below 1.
        """
        count = check_int("count", count, low=1)
        rng = np.random.default_rng(rng)
        support = rng.random((self.n, count)) < self.sparsity
        x = np.where(support, rng.standard_normal((self.n, count)), 0.0)
        y = self.matrix @ x
        if self.snr_db is not None:
            y = y + self.sigma * rng.standard_normal(y.shape)
        return y, x


def make_problem(m: int = 250, n: int = 500, *, sparsity: float = 0.1, snr_db: float | None = None,
                 seed: int = 0) -> SparseProblem:
    """The synthetic problem: ``A`` with i.i.d. ``N(0, 1/m)`` entries, columns scaled to unit norm (seeded).

    Parameters
    ----------
    m : int, optional
        Number of measurements, ``>= 1`` (default 250).
    n : int, optional
        Code length, ``>= 1`` (default 500).
    sparsity : float, optional
        Probability that a code entry is non-zero, in ``(0, 1]`` (default 0.1).
    snr_db : float or None, optional
        Measurement SNR in dB, finite (default None: noiseless).
    seed : int, optional
        Seed of ``numpy.random.default_rng`` drawing ``A`` (default 0).

    Returns
    -------
    SparseProblem
        With ``matrix`` of shape ``(m, n)``, float64.

    Raises
    ------
    TypeError
        ``m`` or ``n`` is not an integer, ``sparsity`` or ``snr_db`` not a real number.
    ValueError
        ``m`` or ``n`` is below 1, ``sparsity`` outside ``(0, 1]``, ``snr_db`` not finite.
    """
    m = check_int("m", m, low=1)
    n = check_int("n", n, low=1)
    sparsity = check_real("sparsity", sparsity, low=0.0, high=1.0, low_open=True)
    if snr_db is not None:
        snr_db = check_real("snr_db", snr_db)
    a = np.random.default_rng(seed).standard_normal((m, n)) / math.sqrt(m)
    a /= np.linalg.norm(a, axis=0)
    return SparseProblem(matrix=a, sparsity=sparsity, snr_db=snr_db)


def nmse_db(estimate: np.ndarray, reference: np.ndarray) -> float:
    """``10 log10(Σ‖x̂ − x‖² / Σ‖x‖²)`` in dB over all vectors (columns) at once.

    Parameters
    ----------
    estimate : array_like, shape (n, count)
        The estimated codes ``x̂`` as columns (any shape equal to ``reference``'s; computed in float64).
    reference : array_like, shape (n, count)
        The true codes ``x``; not all zero.

    Returns
    -------
    float
        The NMSE in dB; ``-inf`` when ``estimate`` equals ``reference``.

    Raises
    ------
    ValueError
        The shapes differ, or ``reference`` is zero.
    """
    estimate = np.asarray(estimate, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if estimate.shape != reference.shape:
        raise ValueError(f"estimate has shape {estimate.shape}: expected the reference's shape {reference.shape}")
    err = float(np.sum((estimate - reference) ** 2))
    ref = float(np.sum(reference ** 2))
    if ref == 0:
        raise ValueError("reference is zero: the NMSE is undefined")
    return -math.inf if err == 0 else 10.0 * math.log10(err / ref)

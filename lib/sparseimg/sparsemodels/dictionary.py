"""Sparse coding over a dictionary and dictionary learning: batch OMP and K-SVD.

Signals are the columns of ``X`` (``n_features × n_signals``), atoms the unit-norm
columns of ``D`` (``n_features × n_atoms``), codes the columns of ``Gamma``
(``n_atoms × n_signals``) with at most ``k`` non-zeros each.

- :func:`batch_omp`: orthogonal matching pursuit for many signals at once, the Gram
  matrix ``DᵀD`` and the correlations ``DᵀX`` computed once, the Cholesky factor of
  ``D_SᵀD_S`` grown by one row per step, every step vectorised over the signals
  (Rubinstein, Zibulevsky & Elad 2008, "Efficient implementation of the K-SVD
  algorithm using batch orthogonal matching pursuit").
- :func:`ksvd`: K-SVD (Aharon, Elad & Bruckstein 2006), exact (rank-1 SVD per atom) or
  approximate (one power iteration per atom, Rubinstein et al. 2008).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["batch_omp", "normalize_atoms", "ksvd", "KSVDResult", "sparse_rmse", "clean_dictionary"]


def normalize_atoms(D: np.ndarray) -> np.ndarray:
    """``D`` with unit-norm columns (a zero column stays zero)."""
    norms = np.linalg.norm(D, axis=0)
    return D / np.where(norms > 0, norms, 1.0)


def _forward(L: np.ndarray, b: np.ndarray, t: int) -> np.ndarray:
    """Solve ``L[:, :t, :t] y = b`` (lower triangular, batched over the first axis)."""
    y = np.empty_like(b)
    for i in range(t):
        y[:, i] = (b[:, i] - np.einsum("nj,nj->n", L[:, i, :i], y[:, :i])) / L[:, i, i]
    return y


def _backward(L: np.ndarray, b: np.ndarray, t: int) -> np.ndarray:
    """Solve ``L[:, :t, :t]ᵀ y = b`` (batched)."""
    y = np.empty_like(b)
    for i in range(t - 1, -1, -1):
        y[:, i] = (b[:, i] - np.einsum("nj,nj->n", L[:, i + 1:t, i], y[:, i + 1:t])) / L[:, i, i]
    return y


def batch_omp(X: np.ndarray, D: np.ndarray, k: int, *, gram: np.ndarray | None = None,
              return_supports: bool = False):
    """Orthogonal matching pursuit with at most ``k`` atoms per signal, all signals at once.

    Parameters
    ----------
    X : ndarray, shape (n_features, n_signals)
        Signals as columns.
    D : ndarray, shape (n_features, n_atoms)
        Dictionary with unit-norm columns.
    k : int
        Atoms per signal (``1 <= k <= min(n_features, n_atoms)``).
    gram : ndarray, shape (n_atoms, n_atoms), optional
        ``DᵀD`` if already known.
    return_supports : bool
        Also return the chosen atoms in the order chosen.

    Returns
    -------
    Gamma : ndarray, shape (n_atoms, n_signals)
        Codes: the least-squares coefficients of each signal on its chosen atoms.
    supports : ndarray of int, shape (n_signals, k)
        Only with ``return_supports``. A signal whose residual vanishes before ``k``
        steps keeps choosing the most correlated remaining atom with a zero coefficient.

    Notes
    -----
    Step ``t`` picks ``argmax_j |αⱼ − (G_{:,S} γ_S)ⱼ|`` with ``α = DᵀX``, ``G = DᵀD``
    (chosen atoms excluded), extends the Cholesky factor ``L`` of ``G_SS`` by
    ``w = L⁻¹ G_{S,j}``, ``√(1 − wᵀw)``, and solves ``L Lᵀ γ_S = α_S``; the residual is
    never formed, so it stays orthogonal to the chosen atoms up to rounding.
    """
    X = np.asarray(X, dtype=np.float64)
    D = np.asarray(D, dtype=np.float64)
    if X.ndim != 2 or D.ndim != 2 or X.shape[0] != D.shape[0]:
        raise ValueError(f"X {X.shape} and D {D.shape}: expected (n_features, n_signals) and (n_features, n_atoms)")
    n_atoms, n = D.shape[1], X.shape[1]
    if not 1 <= int(k) <= min(D.shape):
        raise ValueError(f"k={k!r} is not allowed: expected 1 <= k <= {min(D.shape)}")
    k = int(k)
    G = D.T @ D if gram is None else np.asarray(gram, dtype=np.float64)
    alpha = (D.T @ X).T  # (n, n_atoms)
    rows = np.arange(n)
    S = np.zeros((n, k), dtype=np.intp)
    L = np.zeros((n, k, k))
    chosen = np.zeros((n, n_atoms), dtype=bool)
    corr = alpha.copy()
    gamma = np.zeros((n, 0))
    for t in range(k):
        score = np.abs(corr)
        score[chosen] = -1.0
        j = np.argmax(score, axis=1)
        S[:, t] = j
        chosen[rows, j] = True
        if t == 0:
            L[:, 0, 0] = 1.0
        else:
            g = G[S[:, :t], j[:, None]]  # (n, t): G_{S, j}
            w = _forward(L, g, t)
            L[:, t, :t] = w
            L[:, t, t] = np.sqrt(np.maximum(1.0 - np.einsum("nt,nt->n", w, w), 1e-12))
        a_s = alpha[rows[:, None], S[:, :t + 1]]
        gamma = _backward(L, _forward(L, a_s, t + 1), t + 1)
        if t + 1 < k:
            corr = alpha - np.einsum("nt,ntm->nm", gamma, G[S[:, :t + 1]])
    Gamma = np.zeros((n_atoms, n))
    Gamma[S.T, rows[None, :]] = gamma.T
    return (Gamma, S) if return_supports else Gamma


def sparse_rmse(X: np.ndarray, D: np.ndarray, Gamma: np.ndarray) -> float:
    """Root-mean-square error per entry of ``X − D Γ``."""
    R = X - D @ Gamma
    return float(np.sqrt(np.mean(R * R)))


@dataclass
class KSVDResult:
    """What :func:`ksvd` returns: the dictionary, the training codes and the error history.

    ``rmse[i]`` is the training RMSE per entry after iteration ``i`` (both steps);
    ``rmse[0]`` is the one of the initial dictionary's OMP codes.
    """

    dictionary: np.ndarray
    codes: np.ndarray
    rmse: list = field(default_factory=list)
    replaced: int = 0
    cleaned: int = 0


def _update_atoms(X, D, Gamma, *, exact: bool, rng) -> int:
    """One K-SVD dictionary pass in place; unused atoms replaced by the worst-fitted signals."""
    replaced = 0
    R = X - D @ Gamma  # residual, kept current
    for j in range(D.shape[1]):
        users = np.flatnonzero(Gamma[j])
        if users.size == 0:
            err = np.einsum("ij,ij->j", R, R)
            worst = int(np.argmax(err + 1e-9 * rng.random(err.size)))
            norm = np.linalg.norm(X[:, worst])
            if norm > 0:
                D[:, j] = X[:, worst] / norm
                replaced += 1
            continue
        g = Gamma[j, users]
        E = R[:, users] + np.outer(D[:, j], g)  # error without atom j on its users
        if exact:
            u, s, vt = np.linalg.svd(E, full_matrices=False)
            d, g_new = u[:, 0], s[0] * vt[0]
        else:
            d = E @ g
            nd = np.linalg.norm(d)
            if nd == 0:
                continue
            d /= nd
            g_new = E.T @ d
        D[:, j] = d
        Gamma[j, users] = g_new
        R[:, users] = E - np.outer(d, g_new)
    return replaced


def clean_dictionary(X: np.ndarray, D: np.ndarray, Gamma: np.ndarray, *, max_coherence: float = 0.99,
                     min_use: int = 1) -> int:
    """Replace near-duplicate and rarely used atoms in place (the K-SVD papers' cleaning step).

    An atom is replaced if fewer than ``min_use`` codes use it, or if ``|⟨dᵢ, dⱼ⟩| > max_coherence``
    with an atom ``j`` used at least as often (the less used of the pair goes). Replacements
    are the worst-represented signals (largest ``‖x − DΓ‖``), normalised, one signal per atom;
    the codes of a replaced atom are zeroed (the next OMP step recodes them). Returns the
    number of atoms replaced.
    """
    use = np.count_nonzero(Gamma, axis=1)
    G = np.abs(D.T @ D)
    np.fill_diagonal(G, 0.0)
    bad = use < min_use
    i, j = np.nonzero(np.triu(G > max_coherence, 1))
    for a, b in zip(i, j):
        if not (bad[a] or bad[b]):
            bad[a if use[a] < use[b] else b] = True
    idx = np.flatnonzero(bad)
    if idx.size == 0:
        return 0
    R = X - D @ Gamma
    err = np.einsum("ij,ij->j", R, R)
    norms = np.linalg.norm(X, axis=0)
    worst = [s for s in np.argsort(-err, kind="stable") if norms[s] > 0][:idx.size]
    for atom, sig in zip(idx, worst):
        D[:, atom] = X[:, sig] / norms[sig]
        Gamma[atom] = 0.0
    return len(worst)


def ksvd(X: np.ndarray, n_atoms: int, k: int, *, n_iter: int = 20, exact: bool = False,
         init: np.ndarray | None = None, keep_better: bool = True, clean: bool = False,
         max_coherence: float = 0.99, min_use: int = 1, rng=None) -> KSVDResult:
    """Learn a dictionary by K-SVD: OMP codes with ``k`` atoms, then one update per atom.

    Parameters
    ----------
    X : ndarray, shape (n_features, n_signals)
        Training signals as columns.
    n_atoms : int
        Dictionary size ``K``.
    k : int
        Atoms per code.
    n_iter : int
        Iterations (sparse coding + dictionary update).
    exact : bool
        Rank-1 SVD per atom (exact K-SVD) or one power iteration from the current atom
        (approximate K-SVD).
    init : ndarray, shape (n_features, n_atoms), optional
        Initial dictionary; default ``n_atoms`` distinct training signals drawn with ``rng``.
    keep_better : bool
        Keep a signal's previous code when the new OMP code fits it worse (OMP is greedy),
        so that the training error never increases (a cleaning step may still raise it).
    clean : bool
        After each dictionary pass (but the last), :func:`clean_dictionary` replaces atoms used
        by fewer than ``min_use`` codes or closer than ``max_coherence`` to another atom.
    max_coherence, min_use : see :func:`clean_dictionary`.
    rng : int or numpy.random.Generator, optional
        Seed of the initial draw and of tie-breaking in atom replacement.

    Returns
    -------
    KSVDResult
    """
    rng = np.random.default_rng(rng)
    X = np.asarray(X, dtype=np.float64)
    if init is None:
        if n_atoms > X.shape[1]:
            raise ValueError(f"n_atoms={n_atoms!r} is not allowed without init: expected at most "
                             f"{X.shape[1]} (the number of signals)")
        D = X[:, rng.choice(X.shape[1], n_atoms, replace=False)].copy()
    else:
        D = np.array(init, dtype=np.float64)
    D = normalize_atoms(D)
    Gamma = batch_omp(X, D, k)
    result = KSVDResult(D, Gamma, [sparse_rmse(X, D, Gamma)])
    for it in range(n_iter):
        result.replaced += _update_atoms(X, D, Gamma, exact=exact, rng=rng)
        if clean and it < n_iter - 1:
            result.cleaned += clean_dictionary(X, D, Gamma, max_coherence=max_coherence, min_use=min_use)
        new = batch_omp(X, D, k)
        if keep_better:
            old_err = np.sum((X - D @ Gamma) ** 2, axis=0)
            new_err = np.sum((X - D @ new) ** 2, axis=0)
            take = new_err <= old_err
            Gamma = np.where(take[None, :], new, Gamma)
        else:
            Gamma = new
        result.rmse.append(sparse_rmse(X, D, Gamma))
    result.dictionary, result.codes = D, Gamma
    return result

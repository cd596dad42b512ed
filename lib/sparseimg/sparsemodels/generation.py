"""Images from a sparsity model: a pairwise Markov model of supports, Gibbs sampling, EM.

After Vaksman & Elad, "Image Generation Using a Sparsity Model" (Technion): codes
``γ`` of the training images over a learned dictionary ``D`` with at most ``k`` atoms;
the dictionary is doubled (``[D, −D]``) so that every coefficient is positive; the
support ``a`` (a set of ``k`` atoms of the doubled dictionary) has the law

    P(a) ∝ Π_i P(a_i) Π_{i<j} P(a_i, a_j) / (P(a_i) P(a_j)),

with single and pair probabilities estimated from the training supports; given a
support, the coefficients are Gaussian with mean and covariance fitted by EM on the
training codes whose supports intersect it (the other coordinates missing).

Two departures from the letter of the recipe, each shown with evidence in
``notebooks/05_generation.ipynb``:

- the sampler holds ``|a| = k`` and redraws one slot at a time
  (:func:`gibbs_fixed_size`); an on/off sampler over every atom
  (:func:`gibbs_on_off`) with these factors drives the support size up within a few sweeps;
- pair probabilities are shrunk toward independence,
  ``P̂(i, j) = (n_ij + τ P(i) P(j) N) / (N + τ N)`` (``pair_prior="independence"``),
  instead of additive smoothing ``(n_ij + α) / (N + α)`` (``"additive"``), which makes
  rare atoms look strongly attracted to each other.

Supports are integer arrays of shape ``(n, k)`` (atoms of the doubled dictionary).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["double_dictionary", "double_codes", "code_supports", "SupportModel", "fit_support_model",
           "support_energy", "gibbs_fixed_size", "gibbs_on_off", "random_supports", "em_gaussian_missing",
           "coefficient_records", "fit_coefficients", "sample_coefficients", "sample_ranked_coefficients", "synthesize"]


def double_dictionary(D: np.ndarray) -> np.ndarray:
    """``[D, −D]``: atom ``j + K`` is atom ``j`` with the opposite sign."""
    return np.concatenate([D, -D], axis=1)


def double_codes(Gamma: np.ndarray) -> np.ndarray:
    """Codes over ``[D, −D]`` with non-negative entries: ``[max(Γ, 0); max(−Γ, 0)]``."""
    return np.concatenate([np.maximum(Gamma, 0.0), np.maximum(-Gamma, 0.0)], axis=0)


def code_supports(codes: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` largest entries of each column of ``codes`` (sorted atom indices), shape ``(n, k)``."""
    idx = np.argsort(-np.abs(codes), axis=0, kind="stable")[:k].T
    return np.sort(idx, axis=1)


def _mirror(atoms: np.ndarray, n_atoms: int) -> np.ndarray:
    half = n_atoms // 2
    return np.where(atoms < half, atoms + half, atoms - half)


@dataclass(frozen=True)
class SupportModel:
    """The fitted support law.

    Attributes
    ----------
    log_p : ndarray, shape (M,)
        ``log P(a_i)`` (fraction of training supports holding atom i); ``-inf`` if unused.
    log_ratio : ndarray, shape (M, M)
        ``log P(i, j) − log P(i) − log P(j)``; zero on the diagonal and for unused atoms.
    pair : ndarray, shape (M, M)
        ``P(i, j)`` after the prior (for the on/off sampler and figures).
    k : int
        Support size.
    """

    log_p: np.ndarray
    log_ratio: np.ndarray
    pair: np.ndarray
    k: int

    @property
    def n_atoms(self) -> int:
        return self.log_p.size


def fit_support_model(supports: np.ndarray, n_atoms: int, *, pair_prior: str = "independence",
                      strength: float = 1.0, pairwise: bool = True) -> SupportModel:
    """Single and pair probabilities of the training supports and the pairwise factors.

    Parameters
    ----------
    supports : ndarray of int, shape (N, k)
    n_atoms : int
        Size ``M`` of the doubled dictionary.
    pair_prior : {"independence", "additive"}
        ``"independence"``: ``P̂(i, j) = (n_ij/N + τ P(i) P(j)) / (1 + τ)`` with
        ``τ = strength``; ``"additive"``: ``P̂(i, j) = (n_ij + α) / (N + α M²)`` with
        ``α = strength`` (the usual smoothing; it inflates rare pairs).
    strength : float
        ``τ`` or ``α`` above.
    pairwise : bool
        False: every pair factor is 1 (independent atoms; the baseline).
    """
    supports = np.asarray(supports)
    N, k = supports.shape
    onehot = np.zeros((N, n_atoms))
    np.put_along_axis(onehot, supports, 1.0, axis=1)
    p = onehot.mean(axis=0)
    counts = onehot.T @ onehot
    indep = np.outer(p, p)
    if pair_prior == "independence":
        pair = (counts / N + strength * indep) / (1.0 + strength)
    elif pair_prior == "additive":
        pair = (counts + strength) / (N + strength * n_atoms ** 2)
    else:
        raise ValueError(f"pair_prior={pair_prior!r} is not allowed: expected 'independence' or 'additive'")
    used = p > 0
    with np.errstate(divide="ignore"):
        log_p = np.where(used, np.log(np.where(used, p, 1.0)), -np.inf)
    ratio = np.zeros((n_atoms, n_atoms))
    both = np.outer(used, used)
    ratio[both] = np.log(np.maximum(pair[both], 1e-300)) - np.log(indep[both])
    np.fill_diagonal(ratio, 0.0)
    if not pairwise:
        ratio[:] = 0.0
    return SupportModel(log_p, ratio, pair, k)


def support_energy(model: SupportModel, supports: np.ndarray) -> np.ndarray:
    """``−log`` of the unnormalised law of each support, shape ``(n,)``."""
    S = np.asarray(supports)
    single = model.log_p[S].sum(axis=1)
    pairs = model.log_ratio[S[:, :, None], S[:, None, :]].sum(axis=(1, 2)) / 2.0
    return -(single + pairs)


def random_supports(model_or_atoms, n: int, k: int, rng=None) -> np.ndarray:
    """``n`` supports of ``k`` distinct atoms drawn uniformly among ``atoms`` (an int array, or
    the used atoms of a :class:`SupportModel`), never an atom with its mirror."""
    rng = np.random.default_rng(rng)
    if isinstance(model_or_atoms, SupportModel):
        atoms = np.flatnonzero(np.isfinite(model_or_atoms.log_p))
        M = model_or_atoms.n_atoms
    else:
        atoms = np.asarray(model_or_atoms)
        M = None
    out = np.empty((n, k), dtype=np.intp)
    for i in range(n):
        while True:
            pick = rng.choice(atoms, k, replace=False)
            if M is None or np.intersect1d(pick, _mirror(pick, M)).size == 0:
                break
        out[i] = np.sort(pick)
    return out


def gibbs_fixed_size(model: SupportModel, init: np.ndarray, n_sweeps: int, *, rng=None,
                     temperature: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Gibbs sampling of supports of fixed size ``k``: redraw one slot at a time.

    Slot ``m`` of every chain is redrawn from ``P(a_m = c | a_{-m}) ∝ P(c) Π_{j≠m} φ(c, a_j)``
    over the used atoms ``c`` not in the rest of the support and not the mirror of one.
    All chains advance together (vectorised); a sweep visits the ``k`` slots in order.

    Parameters
    ----------
    model : SupportModel
    init : ndarray of int, shape (n_chains, k)
        Starting supports.
    n_sweeps : int
    rng : int or Generator
    temperature : float
        Divides the log-probabilities (1: the model).

    Returns
    -------
    supports : ndarray, shape (n_chains, k)
        The final supports (sorted).
    energies : ndarray, shape (n_sweeps + 1, n_chains)
        :func:`support_energy` at the start and after each sweep.
    """
    rng = np.random.default_rng(rng)
    S = np.array(init, dtype=np.intp)
    n, k = S.shape
    M = model.n_atoms
    rows = np.arange(n)
    energies = [support_energy(model, S)]
    for _ in range(n_sweeps):
        for m in range(k):
            others = np.delete(S, m, axis=1)
            logits = model.log_p[None, :] + model.log_ratio[others].sum(axis=1)
            banned = np.zeros((n, M), dtype=bool)
            banned[rows[:, None], others] = True
            banned[rows[:, None], _mirror(others, M)] = True
            logits = np.where(banned, -np.inf, logits / temperature)
            gumbel = -np.log(-np.log(rng.random((n, M))))
            S[:, m] = np.argmax(logits + gumbel, axis=1)
        energies.append(support_energy(model, S))
    return np.sort(S, axis=1), np.array(energies)


def gibbs_on_off(model: SupportModel, init: np.ndarray, n_sweeps: int, *, rng=None,
                 factors: str = "present") -> np.ndarray:
    """The literal sampler: every atom on or off, no constraint on the support size.

    ``factors="present"``: the law of the paper read over the atoms present,
    ``P(a) ∝ Π_{i∈a} P(i) Π_{i<j∈a} P(i, j)/(P(i) P(j))``, so switching atom ``c`` on
    multiplies by ``P(c) Π_{j∈a} φ(c, j)``. ``factors="binary"``: variables ``a_i ∈ {0, 1}``
    with ``ψ(a_i) = P(a_i)`` and ``φ`` from the four joint values (``P(1, 0) = P(i) − P(i, j)``
    and so on). Returns the support size of every chain at the start and after each sweep,
    shape ``(n_sweeps + 1, n_chains)``.
    """
    if factors not in ("present", "binary"):
        raise ValueError(f"factors={factors!r} is not allowed: expected 'present' or 'binary'")
    rng = np.random.default_rng(rng)
    used = np.flatnonzero(np.isfinite(model.log_p))
    p = np.exp(model.log_p[used])
    p11 = np.clip(model.pair[np.ix_(used, used)], 1e-12, None)
    p10 = np.clip(p[:, None] - p11, 1e-12, None)
    p01 = np.clip(p[None, :] - p11, 1e-12, None)
    p00 = np.clip(1.0 - p[:, None] - p[None, :] + p11, 1e-12, None)
    q = np.clip(1.0 - p, 1e-12, None)
    # log φ(1, b) − log φ(0, b) for b = 1 (A) and b = 0 (B)
    A = np.log(p11) - np.log(p[:, None] * p[None, :]) - np.log(p01) + np.log(q[:, None] * p[None, :])
    B = np.log(p10) - np.log(p[:, None] * q[None, :]) - np.log(p00) + np.log(q[:, None] * q[None, :])
    np.fill_diagonal(A, 0.0)
    np.fill_diagonal(B, 0.0)
    if factors == "present":
        A = model.log_ratio[np.ix_(used, used)]
        B = np.zeros_like(A)
        q = np.ones_like(p)
    init = np.asarray(init)
    on = np.zeros((init.shape[0], model.n_atoms), dtype=bool)
    on[np.arange(init.shape[0])[:, None], init] = True
    a = on[:, used].astype(float)
    sizes = [a.sum(axis=1)]
    base = np.log(p) - np.log(q)
    for _ in range(n_sweeps):
        for i in range(used.size):
            odds = base[i] + a @ A[i] + (1.0 - a) @ B[i] - B[i, i]
            a[:, i] = rng.random(a.shape[0]) < 1.0 / (1.0 + np.exp(-np.clip(odds, -50, 50)))
        sizes.append(a.sum(axis=1))
    return np.array(sizes)


def em_gaussian_missing(values: np.ndarray, observed: np.ndarray, *, weights: np.ndarray | None = None,
                        n_iter: int = 20, reg: float = 1e-3, tol: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of a Gaussian from records with missing entries, by EM.

    Parameters
    ----------
    values : ndarray, shape (n, d)
        Records (entries where ``observed`` is False are ignored).
    observed : ndarray of bool, shape (n, d)
        Every column needs at least one observed entry.
    weights : ndarray, shape (n,), optional
        Non-negative record weights (default all 1): a weighted likelihood.
    n_iter : int
        EM iterations at most.
    reg : float
        Ridge added to the covariance, relative to its mean diagonal (keeps it
        positive definite when pairs are never observed together).
    tol : float
        Stop when the mean and covariance change by less than ``tol`` (relative).

    Returns
    -------
    mean : ndarray, shape (d,)
    cov : ndarray, shape (d, d)

    Notes
    -----
    Vectorised over records: with ``o`` the observed mask of a record,
    ``A = Σ ∘ (o oᵀ) + diag(1 − o)`` is inverted for every record at once; then
    ``x̂ = μ + Σ A⁻¹((x − μ) ∘ o)`` equals ``x`` on the observed entries and the
    conditional mean on the missing ones, and ``Σ − Σ (A⁻¹ ∘ o oᵀ) Σ`` is the
    conditional covariance (zero on observed entries).
    """
    X = np.asarray(values, dtype=np.float64)
    O = np.asarray(observed, dtype=bool)
    n, d = X.shape
    counts = O.sum(axis=0)
    if np.any(counts == 0):
        raise ValueError(f"observed: columns {np.flatnonzero(counts == 0).tolist()} have no observed entry")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    wsum = w.sum()
    Of = O.astype(float)
    wc = (w[:, None] * Of).sum(axis=0)
    mu = (w[:, None] * X * Of).sum(axis=0) / wc
    var = (w[:, None] * ((X - mu) * Of) ** 2).sum(axis=0) / wc
    pooled = float(np.mean(var)) if np.any(var > 0) else 1.0
    cov = np.diag(np.where(var > 0, var, pooled))
    oo = Of[:, :, None] * Of[:, None, :]
    eye_m = np.eye(d)[None] * (1.0 - Of)[:, :, None]
    for _ in range(n_iter):
        A = cov[None] * oo + eye_m
        Ainv = np.linalg.inv(A) * oo
        z = np.einsum("nij,nj->ni", Ainv, (X - mu) * Of)
        xhat = mu + z @ cov
        cond_sum = wsum * cov - cov @ np.tensordot(w, Ainv, axes=1) @ cov  # Σ_r w_r (conditional covariance)
        new_mu = w @ xhat / wsum
        dev = xhat - new_mu
        new_cov = ((dev * w[:, None]).T @ dev + cond_sum) / wsum
        new_cov = (new_cov + new_cov.T) / 2.0
        new_cov += reg * np.trace(new_cov) / d * np.eye(d)
        change = (np.linalg.norm(new_mu - mu) / (np.linalg.norm(mu) + 1e-12)
                  + np.linalg.norm(new_cov - cov) / (np.linalg.norm(cov) + 1e-12))
        mu, cov = new_mu, new_cov
        if change < tol:
            break
    return mu, cov


def coefficient_records(codes: np.ndarray, support: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The training coefficients on ``support`` of every code whose support meets it.

    ``codes``: doubled codes ``(M, N)`` (non-negative); returns ``values (n, k)`` and
    ``observed (n, k)`` (True where the training code uses that atom).
    """
    sub = codes[np.asarray(support)].T  # (N, k)
    observed = sub > 0
    keep = observed.any(axis=1)
    return sub[keep], observed[keep]


def fit_coefficients(codes: np.ndarray, support: np.ndarray, *, n_iter: int = 20, reg: float = 1e-3,
                     overlap_power: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """EM fit of the Gaussian of the coefficients on ``support`` (:func:`em_gaussian_missing`).

    ``overlap_power`` β weights each training code by ``|overlap|^β`` (0: the paper's
    unweighted fit, where codes sharing one atom with the support dominate).
    """
    values, observed = coefficient_records(codes, support)
    weights = observed.sum(axis=1).astype(float) ** overlap_power
    return em_gaussian_missing(values, observed, weights=weights, n_iter=n_iter, reg=reg)


def sample_coefficients(mean: np.ndarray, cov: np.ndarray, rng) -> np.ndarray:
    """One draw of ``N(mean, cov)`` with negative entries set to zero (coefficients are positive)."""
    L = np.linalg.cholesky(cov)
    return np.maximum(mean + L @ rng.standard_normal(mean.size), 0.0)


def sample_ranked_coefficients(mean: np.ndarray, cov: np.ndarray, n_kept: int, rng) -> np.ndarray:
    """One draw of ``N(mean, cov)`` in which the entries after the first ``n_kept`` are the smallest.

    The first ``n_kept`` entries are drawn from their marginal (negative entries set to zero); then
    each later entry ``j`` in turn from its Gaussian conditional given every entry drawn before it,
    truncated to ``[0, min(entries drawn before)]`` (inverse CDF). For a support whose last slots
    replace a training code's smallest coefficients: the new atoms keep that rank instead of taking
    the magnitude they have in other codes (the neighbour model, issue 23). ``n_kept = len(mean)``
    is :func:`sample_coefficients` with the same draws of the kept entries; a bound of zero gives zero.
    """
    from scipy.special import ndtr, ndtri

    mean = np.asarray(mean, dtype=np.float64)
    d = mean.size
    if not 1 <= int(n_kept) <= d:
        raise ValueError(f"n_kept={n_kept!r} is not allowed: expected 1 <= n_kept <= {d}")
    m = int(n_kept)
    L = np.linalg.cholesky(cov[:m, :m])
    g = np.empty(d)
    g[:m] = np.maximum(mean[:m] + L @ rng.standard_normal(m), 0.0)
    for j in range(m, d):
        A = cov[:j, :j]
        b = cov[j, :j]
        w = np.linalg.solve(A, b)
        mu = mean[j] + w @ (g[:j] - mean[:j])
        sd = np.sqrt(max(cov[j, j] - w @ b, 1e-12 * cov[j, j]))
        hi = g[:j].min()
        lo_p, hi_p = ndtr((0.0 - mu) / sd), ndtr((hi - mu) / sd)
        u = rng.random()
        if hi <= 0.0:
            g[j] = 0.0
        elif hi_p - lo_p < 1e-12:  # the whole interval in one tail: its nearer end
            g[j] = 0.0 if mu < 0.0 else hi
        else:
            g[j] = float(np.clip(mu + sd * ndtri(lo_p + u * (hi_p - lo_p)), 0.0, hi))
    return g


def synthesize(D2: np.ndarray, codes: np.ndarray, supports: np.ndarray, *, rng=None, n_iter: int = 20,
               reg: float = 1e-3, overlap_power: float = 0.0, clip: tuple[float, float] | None = (0.0, 255.0),
               n_kept: int | None = None, cache: dict | None = None) -> np.ndarray:
    """Images ``D₂ γ`` for drawn supports, the coefficients of each fitted by EM and drawn.

    Parameters
    ----------
    D2 : ndarray, shape (n_features, M)
        Doubled dictionary.
    codes : ndarray, shape (M, N)
        Doubled training codes.
    supports : ndarray of int, shape (n, k)
    rng : int or Generator
    n_iter, reg, overlap_power : EM settings (:func:`fit_coefficients`).
    clip : (low, high) or None
        Pixel range.
    n_kept : int, optional
        If given, each row's slots after the first ``n_kept`` get the smallest coefficients
        (:func:`sample_ranked_coefficients`; rows in slot order, not sorted); default: every
        coefficient from the fitted Gaussian (:func:`sample_coefficients`).
    cache : dict, optional
        EM fits already made *for these* ``codes``, filled as it goes: ``(support, n_iter, reg, overlap_power)``
        (support as a tuple, in slot order) ``-> (mean, cov)``. A fit is a deterministic function of the
        codes and that key, so a support drawn again (a copied training support, a repeat) reuses it and the
        images are the same as without the cache. Keep one cache per ``codes`` array.

    Returns
    -------
    ndarray, shape (n_features, n)
    """
    rng = np.random.default_rng(rng)
    supports = np.asarray(supports)
    out = np.empty((D2.shape[0], supports.shape[0]))
    for i, support in enumerate(supports):
        key = (tuple(int(a) for a in support), int(n_iter), float(reg), float(overlap_power))
        fit = None if cache is None else cache.get(key)
        if fit is None:
            fit = fit_coefficients(codes, support, n_iter=n_iter, reg=reg, overlap_power=overlap_power)
            if cache is not None:
                cache[key] = fit
        mean, cov = fit
        coef = (sample_coefficients(mean, cov, rng) if n_kept is None
                else sample_ranked_coefficients(mean, cov, n_kept, rng))
        out[:, i] = D2[:, support] @ coef
    return np.clip(out, *clip) if clip is not None else out

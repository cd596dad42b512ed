"""Support laws with joint structure: a mixture, a sequential model, a fitted Boltzmann machine.

The pairwise law of :mod:`sparseimg.sparsemodels.generation` sets its factors from pair
counts; it cannot say which atoms go *together* in one digit. Three laws over supports of
fixed size ``k`` (sets of atoms of the doubled dictionary) that can:

- :class:`SupportMixture`: ``C`` components, each a product of per-atom odds conditioned on
  ``|S| = k`` (a "conditional Bernoulli" law), fitted by EM on the training supports; a
  component learns "which digit" without labels. Sampled exactly
  (:func:`conditional_bernoulli_sample`, elementary symmetric polynomials).
- :class:`SequentialSupportModel`: the atoms in the order OMP chose them, the next atom given
  the first and the previous one, interpolated (Witten–Bell) with the previous one alone and
  with the position marginal; sampled atom by atom, exactly.
- :func:`fit_boltzmann`: ``P(S) ∝ exp(Σ_{i∈S} b_i + Σ_{i<j∈S} W_ij)`` with ``b`` and ``W``
  learned by maximising the fixed-size pseudo-likelihood (each slot given the others, a
  softmax over atoms) with an L2 penalty on ``W``; returned as a
  :class:`~sparseimg.sparsemodels.generation.SupportModel`, so the Gibbs sampler at fixed
  ``|S| = k`` (:func:`~sparseimg.sparsemodels.generation.gibbs_fixed_size`) draws from it.
- :func:`neighbour_supports`: a mixture with one component per training support, which redraws
  ``n_swaps`` of its atoms from the pairwise law's conditional and never returns a training
  support (novelty by construction; "which digit" comes from the support it starts from).

Every sampler takes a ``temperature`` ``T > 0`` that divides the log-probabilities
(``T < 1``: likelier supports, more copies of training supports; ``T > 1``: more novelty).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from sparseimg.sparsemodels.generation import SupportModel, _mirror

__all__ = ["conditional_bernoulli_sample", "conditional_bernoulli_logpmf", "SupportMixture", "fit_support_mixture",
           "sample_support_mixture", "SequentialSupportModel", "fit_sequential", "sample_sequential",
           "ordered_supports", "fit_boltzmann", "neighbour_supports"]


def _check_temperature(temperature: float) -> float:
    t = float(temperature)
    if not t > 0:
        raise ValueError(f"temperature={temperature!r} is not allowed: expected temperature > 0")
    return t


def _onehot(supports: np.ndarray, n_atoms: int) -> np.ndarray:
    S = np.asarray(supports)
    X = np.zeros((S.shape[0], n_atoms))
    np.put_along_axis(X, S, 1.0, axis=1)
    return X


def _log_esp(log_w: np.ndarray, k: int) -> np.ndarray:
    """``log e_r(w_i, …, w_{M−1})`` for every suffix start ``i`` and ``r ≤ k``, shape ``(M + 1, k + 1)``.

    ``e_r`` is the elementary symmetric polynomial of degree ``r`` (``e_0 = 1``); computed
    from the end by ``e_r(i) = e_r(i + 1) + w_i e_{r−1}(i + 1)`` in logs.
    """
    M = log_w.size
    E = np.full((M + 1, k + 1), -np.inf)
    E[:, 0] = 0.0
    for i in range(M - 1, -1, -1):
        E[i, 1:] = np.logaddexp(E[i + 1, 1:], log_w[i] + E[i + 1, :-1])
    return E


def conditional_bernoulli_sample(log_w: np.ndarray, k: int, n: int, rng) -> np.ndarray:
    """``n`` exact draws of ``P(S) ∝ Π_{i∈S} w_i`` over sets of ``k`` atoms (``w_i = 0``: never drawn).

    Atom ``i`` is taken, given that ``r`` slots remain, with probability
    ``w_i e_{r−1}(i + 1) / e_r(i)`` (suffix elementary symmetric polynomials). Returns sorted
    supports, shape ``(n, k)``.
    """
    rng = np.random.default_rng(rng)
    log_w = np.asarray(log_w, dtype=np.float64)
    if np.count_nonzero(np.isfinite(log_w)) < k:
        raise ValueError(f"k={k!r} is not allowed: only {np.count_nonzero(np.isfinite(log_w))} atoms have weight")
    E = _log_esp(log_w, k)
    M = log_w.size
    out = np.empty((n, k), dtype=np.intp)
    r = np.full(n, k)
    filled = np.zeros(n, dtype=np.intp)
    rows = np.arange(n)
    for i in range(M):
        active = r > 0
        if not active.any():
            break
        ra = r[active]
        with np.errstate(invalid="ignore"):
            logp = log_w[i] + E[i + 1, ra - 1] - E[i, ra]
        take = np.zeros(n, dtype=bool)
        take[active] = rng.random(ra.size) < np.exp(np.nan_to_num(logp, nan=-np.inf))
        out[rows[take], filled[take]] = i
        filled[take] += 1
        r[take] -= 1
    return out


def conditional_bernoulli_logpmf(log_w: np.ndarray, supports: np.ndarray) -> np.ndarray:
    """``log P(S)`` of :func:`conditional_bernoulli_sample`'s law for each row of ``supports``."""
    S = np.asarray(supports)
    E = _log_esp(np.asarray(log_w, dtype=np.float64), S.shape[1])
    return log_w[S].sum(axis=1) - E[0, S.shape[1]]


@dataclass(frozen=True)
class SupportMixture:
    """``C`` conditional-Bernoulli components: ``log_weights (C,)``, ``log_odds (C, M)`` (``-inf``: never), ``k``."""

    log_weights: np.ndarray
    log_odds: np.ndarray
    k: int

    @property
    def n_components(self) -> int:
        return self.log_weights.size

    def component_logpmf(self, supports: np.ndarray, temperature: float = 1.0) -> np.ndarray:
        """``log P(S | c)`` at temperature ``T``, shape ``(n, C)``."""
        return np.stack([conditional_bernoulli_logpmf(lw / temperature, supports) for lw in self.log_odds], axis=1)

    def logpmf(self, supports: np.ndarray) -> np.ndarray:
        """``log P(S)``, shape ``(n,)``."""
        from scipy.special import logsumexp

        return logsumexp(self.log_weights[None, :] + self.component_logpmf(supports), axis=1)


def fit_support_mixture(supports: np.ndarray, n_atoms: int, n_components: int, *, n_iter: int = 50,
                        smoothing: float = 0.1, rng=None) -> SupportMixture:
    """EM for a mixture of ``n_components`` conditional-Bernoulli laws of the training supports.

    E-step: responsibilities from the exact component log-likelihoods
    (:func:`conditional_bernoulli_logpmf`). M-step: each component's odds are its
    responsibility-weighted atom frequencies ``q_ci`` (smoothed by ``smoothing`` × the overall
    frequency, so that only atoms used in training can be drawn), as odds ``q/(1 − q)`` — the
    product-Bernoulli M-step, a close and stable stand-in for the exact conditional one.
    Starts from responsibilities of ``n_components`` random training supports (k-means++-like
    seeding is not needed at these sizes). Seeded by ``rng``.
    """
    if int(n_components) < 1:
        raise ValueError(f"n_components={n_components!r} is not allowed: expected n_components >= 1")
    from scipy.special import logsumexp

    rng = np.random.default_rng(rng)
    S = np.asarray(supports)
    N, k = S.shape
    X = _onehot(S, n_atoms)
    overall = X.mean(axis=0)
    used = overall > 0
    C = int(n_components)
    # initial responsibilities: each support to the centre (random training support) it shares most atoms with
    centres = X[rng.choice(N, C, replace=False)]
    overlap = X @ centres.T + 1e-3 * rng.random((N, C))
    R = np.zeros((N, C))
    R[np.arange(N), np.argmax(overlap, axis=1)] = 1.0
    log_odds = np.full((C, n_atoms), -np.inf)
    log_weights = np.full(C, -np.log(C))
    for _ in range(n_iter):
        nk = R.sum(axis=0) + 1e-9
        q = (R.T @ X / k + smoothing * overall[None, :] / k) / (nk[:, None] + smoothing)
        q = np.clip(q * k, 1e-12, 1 - 1e-9)
        log_odds = np.where(used[None, :], np.log(q) - np.log1p(-q), -np.inf)
        log_weights = np.log(nk / N)
        mix = SupportMixture(log_weights, log_odds, k)
        L = log_weights[None, :] + mix.component_logpmf(S)
        R_new = np.exp(L - logsumexp(L, axis=1, keepdims=True))
        if np.max(np.abs(R_new - R)) < 1e-6:
            R = R_new
            break
        R = R_new
    return SupportMixture(log_weights, log_odds, k)


def _reject_mirrors(S: np.ndarray, n_atoms: int) -> np.ndarray:
    """Rows holding no atom together with its mirror."""
    return np.array([np.intersect1d(s, _mirror(s, n_atoms)).size == 0 for s in S], dtype=bool)


def sample_support_mixture(mix: SupportMixture, n: int, rng=None, *, temperature: float = 1.0) -> np.ndarray:
    """``n`` supports: a component by its weight, then an exact draw of its law at temperature ``T``
    (odds raised to ``1/T``); a draw holding an atom with its mirror is redrawn."""
    T = _check_temperature(temperature)
    rng = np.random.default_rng(rng)
    M = mix.log_odds.shape[1]
    comps = rng.choice(mix.n_components, n, p=np.exp(mix.log_weights - np.logaddexp.reduce(mix.log_weights)))
    out = np.empty((n, mix.k), dtype=np.intp)
    for c in np.unique(comps):
        rows = np.flatnonzero(comps == c)
        todo = rows
        for _ in range(100):
            draw = conditional_bernoulli_sample(mix.log_odds[c] / T, mix.k, todo.size, rng)
            ok = _reject_mirrors(draw, M)
            out[todo[ok]] = draw[ok]
            todo = todo[~ok]
            if todo.size == 0:
                break
        else:  # pragma: no cover - a component that always pairs an atom with its mirror
            raise RuntimeError("sample_support_mixture: 100 redraws still pair an atom with its mirror")
    return out


def ordered_supports(Gamma: np.ndarray, order: np.ndarray) -> np.ndarray:
    """OMP's greedy order over the doubled dictionary: atom ``j`` (``K + j`` if its coefficient is
    negative) for the atoms ``order (N, k)`` of the codes ``Gamma (K, N)``."""
    K = Gamma.shape[0]
    order = np.asarray(order)
    coef = Gamma[order, np.arange(order.shape[0])[:, None]]
    return np.where(coef < 0, order + K, order)


@dataclass
class SequentialSupportModel:
    """Counts of the next atom given (first, previous), given previous, and by position."""

    n_atoms: int
    k: int
    first: np.ndarray  # (M,) counts of the first atom
    position: np.ndarray  # (k, M) counts by position
    by_prev: dict  # prev -> (M,) counts
    by_first_prev: dict  # (first, prev) -> (M,) counts

    def next_probabilities(self, chosen: list[int]) -> np.ndarray:
        """``P(next | chosen)`` before exclusions: Witten–Bell interpolation of the three estimates."""
        t = len(chosen)
        if t == 0:
            return self.first / self.first.sum()
        base = self.position[t] / self.position[t].sum()
        p = base
        for counts in (self.by_prev.get(chosen[-1]), self.by_first_prev.get((chosen[0], chosen[-1]))):
            if counts is None:
                continue
            n, u = counts.sum(), np.count_nonzero(counts)
            lam = n / (n + u)
            p = lam * counts / n + (1.0 - lam) * p
        return p


def fit_sequential(ordered: np.ndarray, n_atoms: int) -> SequentialSupportModel:
    """Counts of :class:`SequentialSupportModel` from supports in OMP's order, shape ``(N, k)``."""
    S = np.asarray(ordered)
    N, k = S.shape
    first = np.bincount(S[:, 0], minlength=n_atoms).astype(float)
    position = np.stack([np.bincount(S[:, t], minlength=n_atoms) for t in range(k)]).astype(float)
    by_prev: dict = defaultdict(lambda: np.zeros(n_atoms))
    by_fp: dict = defaultdict(lambda: np.zeros(n_atoms))
    for row in S:
        for t in range(1, k):
            by_prev[int(row[t - 1])][row[t]] += 1.0
            by_fp[(int(row[0]), int(row[t - 1]))][row[t]] += 1.0
    return SequentialSupportModel(n_atoms, k, first, position, dict(by_prev), dict(by_fp))


def sample_sequential(model: SequentialSupportModel, n: int, rng=None, *, temperature: float = 1.0,
                      allowed: np.ndarray | None = None) -> np.ndarray:
    """``n`` supports drawn atom by atom from :meth:`SequentialSupportModel.next_probabilities`
    raised to ``1/T`` and renormalised, never an atom twice or with its mirror, only atoms where
    the boolean mask ``allowed`` (default all) holds (uniform over the allowed atoms left if the
    model gives them all zero); sorted."""
    T = _check_temperature(temperature)
    rng = np.random.default_rng(rng)
    M = model.n_atoms
    out = np.empty((n, model.k), dtype=np.intp)
    for i in range(n):
        chosen: list[int] = []
        for _ in range(model.k):
            p = model.next_probabilities(chosen).copy()
            free = np.ones(M, dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool).copy()
            if chosen:
                c = np.array(chosen)
                free[c] = False
                free[_mirror(c, M)] = False
            p[~free] = 0.0
            if p.sum() == 0:
                p = free.astype(float)
            with np.errstate(divide="ignore"):
                logp = np.log(p) / T
            logp -= logp.max()
            w = np.exp(logp)
            chosen.append(int(rng.choice(M, p=w / w.sum())))
        out[i] = np.sort(chosen)
    return out


def fit_boltzmann(supports: np.ndarray, n_atoms: int, *, l2: float = 1e-2, max_iter: int = 200) -> SupportModel:
    """A Boltzmann machine on supports of fixed size, fitted by pseudo-likelihood.

    ``P(S) ∝ exp(Σ_{i∈S} b_i + ½ Σ_{i≠j∈S} W_ij)``, ``W`` symmetric with zero diagonal, over the
    atoms used in training (the others get ``b = −∞``). The objective is the mean over
    supports and slots ``m`` of ``−log P(a_m | a_{−m})`` with
    ``P(c | a_{−m}) ∝ exp(b_c + Σ_{j≠m} W_{c a_j})`` over the atoms ``c`` not in ``a_{−m}``, plus
    ``l2 ‖W‖²/2``; minimised by L-BFGS with its exact gradient. Returned as a
    :class:`SupportModel` (``log_p = b``, ``log_ratio = W``), so :func:`support_energy` and
    :func:`gibbs_fixed_size` apply (the Gibbs conditional is exactly this softmax; mirrors are
    also excluded there).
    """
    from scipy.optimize import minimize

    S_full = np.asarray(supports)
    N, k = S_full.shape
    used = np.flatnonzero(np.bincount(S_full.ravel(), minlength=n_atoms) > 0)
    U = used.size
    remap = np.full(n_atoms, -1)
    remap[used] = np.arange(U)
    S = remap[S_full]
    rows = np.arange(N)
    iu = np.triu_indices(U, 1)

    def unpack(theta):
        b = theta[:U]
        W = np.zeros((U, U))
        W[iu] = theta[U:]
        return b, W + W.T

    def f(theta):
        b, W = unpack(theta)
        loss = 0.0
        gb = np.zeros(U)
        gW = np.zeros((U, U))
        for m in range(k):
            others = np.delete(S, m, axis=1)
            logits = b[None, :] + W[others].sum(axis=1)
            logits[rows[:, None], others] = -np.inf
            mx = logits.max(axis=1, keepdims=True)
            P = np.exp(logits - mx)
            Z = P.sum(axis=1, keepdims=True)
            P /= Z
            target = S[:, m]
            loss -= np.sum(logits[rows, target] - mx[:, 0] - np.log(Z[:, 0]))
            G = P.copy()
            G[rows, target] -= 1.0  # d loss / d logits
            gb += G.sum(axis=0)
            # logits[n, c] += Σ_j W[c, others[n, j]]: gW[c, o] += Σ_n G[n, c] [o ∈ others[n]]
            gW += G.T @ _onehot(others, U)
        loss /= N * k
        gb /= N * k
        gW /= N * k
        gsym = gW + gW.T
        loss += 0.5 * l2 * np.sum(theta[U:] ** 2)
        return loss, np.concatenate([gb, gsym[iu] + l2 * theta[U:]])

    freq = np.bincount(S.ravel(), minlength=U) / (N * k)
    theta0 = np.concatenate([np.log(freq), np.zeros(iu[0].size)])
    res = minimize(f, theta0, jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    b, W = unpack(res.x)
    log_p = np.full(n_atoms, -np.inf)
    log_p[used] = b
    ratio = np.zeros((n_atoms, n_atoms))
    ratio[np.ix_(used, used)] = W
    return SupportModel(log_p, ratio, np.zeros((0, 0)), k)


def neighbour_supports(train_supports: np.ndarray, law: SupportModel, n: int, rng=None, *, n_swaps: int = 1,
                       temperature: float = 1.0, exclude: np.ndarray | None = None, slots: str = "last",
                       max_tries: int = 100, sort: bool = True) -> np.ndarray:
    """``n`` supports near the training supports: a mixture of ``N`` support laws, one per training support.

    Component ``s`` (a training support, weight ``1/N``) redraws ``n_swaps`` of its slots in turn
    (``slots="last"``: its last ``n_swaps`` columns, e.g. the smallest coefficients when the rows are
    ordered by magnitude; ``"random"``: slots drawn at random),
    each from the fixed-size Gibbs conditional of ``law`` (``P(c | a_{−m}) ∝ P(c) Π_j φ(c, a_j)``
    at temperature ``T``), never keeping the slot's atom, never an atom with its mirror. A result
    that equals a row of ``exclude`` (e.g. every training support) is drawn again, so with
    ``exclude`` no support is a copy (``max_tries`` draws per sample at most). Returns sorted
    supports, shape ``(n, k)``; with ``sort=False`` each row lists the kept atoms in their order, then
    the redrawn ones in the order drawn (for :func:`~sparseimg.sparsemodels.generation.synthesize`'s
    ``n_kept``).
    """
    T = _check_temperature(temperature)
    rng = np.random.default_rng(rng)
    S_train = np.asarray(train_supports)
    N, k = S_train.shape
    if not 1 <= int(n_swaps) <= k:
        raise ValueError(f"n_swaps={n_swaps!r} is not allowed: expected 1 <= n_swaps <= {k}")
    if slots not in ("last", "random"):
        raise ValueError(f"slots={slots!r} is not allowed: expected 'last' or 'random'")
    M = law.n_atoms
    banned_sets = set() if exclude is None else {tuple(s) for s in np.sort(exclude, axis=1).tolist()}
    out = np.empty((n, k), dtype=np.intp)
    for i in range(n):
        for _ in range(max_tries):
            S = S_train[rng.integers(N)].copy()
            chosen = (np.arange(k - int(n_swaps), k) if slots == "last"
                      else rng.choice(k, int(n_swaps), replace=False))
            for m in chosen:
                others = np.delete(S, m)
                logits = law.log_p + law.log_ratio[others].sum(axis=0)
                ban = np.zeros(M, dtype=bool)
                ban[others] = True
                ban[_mirror(others, M)] = True
                ban[S[m]] = True
                logits = np.where(ban, -np.inf, logits / T)
                p = np.exp(logits - logits.max())
                S[m] = rng.choice(M, p=p / p.sum())
            if tuple(np.sort(S).tolist()) not in banned_sets:
                break
        else:
            raise RuntimeError(f"neighbour_supports: {max_tries} draws all equal an excluded support")
        kept = np.setdiff1d(np.arange(k), chosen, assume_unique=True)
        out[i] = np.sort(S) if sort else np.concatenate([S[kept], S[chosen]])
    return out

"""Checks every operator and every prox of the library passes (used by the test suite).

- :func:`dot_test` — the adjoint really is the adjoint: ``⟨A x, y⟩ = ⟨x, Aᵀ y⟩`` for random
  ``x``, ``y`` (Claerbout's dot-product test, as pylops does it), plus ``normal`` against
  ``adjoint(forward(·))`` and ``‖A‖² <= lipschitz_constant()`` by power iteration;
- :func:`check_prox` — ``p = prox(x, step)`` satisfies the prox's optimality: no random
  feasible perturbation of ``p`` lowers ``½‖z − x‖² + step·g(z)``; for convex penalties with
  a known conjugate projection, the Moreau identity (:func:`check_moreau`).

They raise ``AssertionError`` with the numbers when a check fails.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["dot_test", "check_prox", "check_moreau"]

#: Relative tolerance of the dot test per precision (round-off of one FFT pair or DCT frame).
DOT_RTOL = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-10}


def _random(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    return rng.standard_normal(shape).astype(dtype)


def dot_test(operator, domain_shape, range_shape=None, *, dtype=np.float64, seed: int = 0,
             power_iterations: int = 30) -> dict[str, float]:
    """Check ``forward``/``adjoint``/``normal``/``lipschitz_constant`` of ``operator``.

    Parameters
    ----------
    operator
        Anything with ``forward`` and ``adjoint`` (and ``normal``, ``lipschitz_constant``).
    domain_shape : tuple
        Shape of ``x``.
    range_shape : tuple, optional
        Shape of ``A x``; by default taken from ``forward`` of a random ``x``.
    dtype : float32 or float64
        Precision of the random vectors (and the tolerance, :data:`DOT_RTOL`).
    seed : int
    power_iterations : int
        Iterations of the power method that estimates ``‖A‖²`` (a lower bound, so
        ``lipschitz_constant()`` must be at least it).

    Returns
    -------
    dict
        ``{'dot_error': relative mismatch, 'normal_error': ..., 'norm_sq_estimate': ...}``.
    """
    dtype = np.dtype(dtype)
    rtol = DOT_RTOL[dtype]
    rng = np.random.default_rng(seed)
    x = _random(rng, domain_shape, dtype)
    ax = np.asarray(operator.forward(x))
    if range_shape is not None and ax.shape != tuple(range_shape):
        raise AssertionError(f"forward gives shape {ax.shape}: expected {tuple(range_shape)}")
    y = _random(rng, ax.shape, dtype)
    aty = np.asarray(operator.adjoint(y))
    if aty.shape != tuple(domain_shape):
        raise AssertionError(f"adjoint gives shape {aty.shape}: expected {tuple(domain_shape)}")
    lhs = float(np.sum(ax.astype(np.float64) * y))
    rhs = float(np.sum(x.astype(np.float64) * aty))
    scale = float(np.linalg.norm(ax) * np.linalg.norm(y)) or 1.0
    dot_error = abs(lhs - rhs) / scale
    if dot_error > rtol:
        raise AssertionError(f"dot test failed for {operator!r} ({dtype.name}): <Ax, y> = {lhs!r}, "
                             f"<x, A'y> = {rhs!r}, relative error {dot_error:.3g} > {rtol:g}")
    normal_error = 0.0
    if hasattr(operator, "normal"):
        n1 = np.asarray(operator.normal(x), dtype=np.float64)
        n2 = np.asarray(operator.adjoint(operator.forward(x)), dtype=np.float64)
        normal_error = float(np.linalg.norm(n1 - n2) / (np.linalg.norm(n2) or 1.0))
        if normal_error > 10 * rtol:
            raise AssertionError(f"normal(x) != adjoint(forward(x)) for {operator!r} ({dtype.name}): "
                                 f"relative error {normal_error:.3g}")
    estimate = 0.0
    if hasattr(operator, "lipschitz_constant"):
        v = _random(rng, domain_shape, dtype)
        for _ in range(power_iterations):
            v = v / (np.linalg.norm(v) or 1.0)
            w = np.asarray(operator.adjoint(operator.forward(v)))
            estimate = float(np.sum(v.astype(np.float64) * w))
            v = w
        bound = float(operator.lipschitz_constant())
        if estimate > bound * (1 + 10 * rtol) + 10 * rtol:
            raise AssertionError(f"lipschitz_constant()={bound!r} of {operator!r} is below ‖A‖² >= {estimate!r}")
    return {"dot_error": dot_error, "normal_error": normal_error, "norm_sq_estimate": estimate}


def check_prox(penalty, x: np.ndarray, step: float, *, seed: int = 0, trials: int = 200,
               project: Callable | None = None, atol: float = 1e-10) -> np.ndarray:
    """Check that ``p = penalty.prox(x, step)`` minimizes ``½‖z − x‖² + step·penalty.value(z)``.

    Candidates ``z`` around ``p`` must never do better: dense random perturbations of
    two sizes, sparse ones (a few coordinates), and steps along the segment towards ``x``
    — each projected by ``project`` onto the penalty's domain when it has one. Returns ``p``.
    """
    rng = np.random.default_rng(seed)
    p = penalty.prox(np.array(x, copy=True), step)

    def objective(z):
        return 0.5 * float(np.sum((z - x) ** 2)) + step * float(penalty.value(z))

    best = objective(p)
    if not np.isfinite(best):
        raise AssertionError(f"{penalty!r}: the prox left the penalty's domain (objective {best!r})")
    for k in range(trials):
        kind = k % 4
        if kind < 2:  # dense, two sizes
            z = p + rng.standard_normal(p.shape) * (1e-1 if kind else 1e-3)
        elif kind == 2:  # a few coordinates
            z = p + (rng.random(p.shape) < 0.02) * rng.standard_normal(p.shape) * 1e-2
        else:  # towards x
            z = p + (0.5 ** (k % 20)) * (x - p)
        if project is not None:
            z = project(z)
        if objective(z) < best - atol * max(1.0, abs(best)):
            raise AssertionError(f"{penalty!r}: a perturbation of prox(x, {step}) has objective {objective(z)!r} "
                                 f"< {best!r}")
    return p


def check_moreau(prox: Callable, conjugate_prox: Callable, x: np.ndarray, step: float, *,
                 atol: float = 1e-12) -> None:
    """Moreau's identity ``prox_{τg}(x) + τ prox_{g*/τ}(x/τ) = x`` (``conjugate_prox(v, 1/τ)``)."""
    lhs = prox(x, step) + step * conjugate_prox(x / step, 1.0 / step)
    err = float(np.max(np.abs(lhs - x)))
    if err > atol:
        raise AssertionError(f"Moreau identity fails: max |prox + τ prox* − x| = {err:.3g} > {atol:g}")

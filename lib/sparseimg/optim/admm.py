"""ADMM for ``½‖A x − b‖² + g(x)`` with a self-tuning penalty.

The splitting is ``x = z`` (scaled form, Boyd et al. 2011, §3.1.1), with
over-relaxation (Eckstein & Bertsekas 1992; §3.4.3)::

    x  ← (AᵀA + ρI)⁻¹ (Aᵀb + ρ (z − u))        the prox of the data term
    x̂  ← α x + (1 − α) z
    z  ← prox_{g/ρ}(x̂ + u)                     (soft thresholding for λ‖·‖₁)
    u  ← u + x̂ − z

The x-step is the operator's ``solve_normal``: exact and elementwise in Fourier for a
:class:`~sparseimg.operators.FourierConvolution` (one filter), conjugate gradients for
other operators. With several filters (a dictionary ``D = [d₁ … d_M]`` acting on ``M``
coefficient maps) the system ``(DᴴD + ρI)`` at each frequency is the identity plus a
rank-one matrix, solved in closed form by the Sherman–Morrison formula (Wohlberg,
"Efficient algorithms for convolutional sparse representations", IEEE TIP 2016); the
library has no multi-filter operator yet, so that case is not implemented.

The penalty ρ needs no tuning: it starts at the mean eigenvalue of ``AᵀA``
(``trace(AᵀA)/n``, exact from the spectrum of a FourierConvolution: the scale at which
the x-step weighs data and prior equally on average) and is then adapted by residual
balancing (He, Yang & Wang 2000; Boyd et al. 2011, §3.4.1) on the *relative* residuals
(Wohlberg, "ADMM penalty parameter selection by residual balancing", arXiv:1704.06209,
2017): ``ρ ← τρ`` when the primal residual exceeds μ times the dual one, ``ρ ← ρ/τ`` in
the opposite case, with the literature's ``μ = 10, τ = 2`` (not tuned here). The
relaxation is ``α = 1.8``.

Stopping: both relative residuals ``‖x − z‖ / max(‖x‖, ‖z‖)`` and
``ρ‖z − z_prev‖ / ‖ρu‖`` below ``tol``. The returned iterate is ``z``: it is exactly
sparse, and it is the variable whose objective is reported.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from tqdm import tqdm

from sparseimg._linalg import sq_norm
from sparseimg.contracts import require
from sparseimg._validate import check_int, check_real
from sparseimg.optim.solvers import History, _Monitor

__all__ = ["admm", "initial_penalty"]


def initial_penalty(operator) -> float:
    """``trace(AᵀA) / n``: the mean eigenvalue of the normal operator.

    Exact for operators that know ``trace(AᵀA)`` (``normal_trace()``, e.g. a FourierConvolution
    from its spectrum); otherwise estimated by 16 Hutchinson probes with a fixed seed
    (deterministic).
    """
    trace = operator.normal_trace()
    if trace is not None:
        return trace / (operator.shape[0] * operator.shape[1])
    rng = np.random.default_rng(0)
    probes = [rng.choice([-1.0, 1.0], size=operator.shape).astype(operator.dtype) for _ in range(16)]
    return float(np.mean([sq_norm(operator.forward(p)) / p.size for p in probes]))


def _relative_residuals(r2, x2, z2, dz2, u2):
    primal = math.sqrt(r2) / max(math.sqrt(max(x2, z2)), 1e-300)
    dual = math.sqrt(dz2) / max(math.sqrt(u2), 1e-300)  # ρ‖Δz‖ / ‖ρu‖: ρ cancels
    return primal, dual


def admm(smooth, penalty, x0: np.ndarray, *, rho: float | None = None, relax: float = 1.8,
         balance: bool = True, mu: float = 10.0, tau: float = 2.0, n_iter: int = 100, tol: float = 1e-4,
         track: bool = False, reference: np.ndarray | None = None, support_tol: float | None = 0.0,
         data_range: float = 1.0, callback=None, progress: bool = False, desc: str | None = None,
         fused: bool | None = None) -> tuple[np.ndarray, History]:
    """Minimize ``smooth(x) + penalty(x)`` by over-relaxed ADMM with residual balancing.

    Parameters
    ----------
    smooth : LeastSquares
        ``½‖A x − b‖²`` (its operator must have ``solve_normal``).
    penalty
        Anything with ``prox(v, step)`` and ``value(x)`` (see :mod:`sparseimg.optim.prox`).
    x0 : ndarray
        Start of ``z`` (``u`` starts at 0); its dtype is the working precision.
    rho : float, optional
        Initial penalty; default :func:`initial_penalty`.
    relax : float
        Over-relaxation ``α`` in (0, 2).
    balance, mu, tau
        Residual balancing on or off, its ratio threshold ``μ > 1`` and factor ``τ > 1``.
    n_iter, tol
        Iteration cap; stop when both relative residuals are ``<= tol`` (0 disables).
    track : bool
        Record ``F(z_k)`` every iteration (costs one extra FFT pair per iteration).
    reference, support_tol, data_range, callback, progress, desc
        As for :func:`~sparseimg.optim.solvers.proximal_gradient`.
    fused : bool or None
        The fused loop (one FFT pair and two elementwise passes per iteration) when the problem
        is least squares on a FourierConvolution plus a scalar ℓ1 penalty: None when it applies,
        False never, True requires it.

    Returns
    -------
    z : ndarray
        The last ``z`` (exactly sparse for ℓ1).
    history : History
        ``objective`` per iterate (NaN unless tracked), ``rho``, time, reference metrics.
    """
    x0 = np.asarray(x0)
    if x0.dtype.kind != "f":
        raise TypeError(f"x0 has dtype {x0.dtype}: expected float32 or float64")
    n_iter = check_int("n_iter", n_iter, low=0)
    tol = check_real("tol", tol, low=0.0)
    relax = check_real("relax", relax, low=0.0, high=2.0, low_open=True, high_open=True)
    mu = check_real("mu", mu, low=1.0, low_open=True)
    tau = check_real("tau", tau, low=1.0, low_open=True)
    require("smooth term", smooth, "smooth")
    require("penalty", penalty, "penalty")
    op = smooth.operator
    rho = initial_penalty(op) if rho is None else check_real("rho", rho, low=0.0, low_open=True)
    history = History()
    # every iterate gets a row (objective NaN unless tracked), so history.n_iter counts iterations
    monitor = _Monitor(history, reference, support_tol=support_tol, data_range=data_range, callback=callback,
                       track=True)

    from sparseimg.optim import _fused

    form, lam, why = _fused.fused_form(smooth, penalty)
    if form is not None and x0.dtype != form.dtype:
        form, why = None, f"x0 has dtype {x0.dtype}, the operator {form.dtype}"
    if fused and form is None:
        raise ValueError(f"fused=True is not allowed here: {why}")
    if form is not None and fused is not False:
        loop = functools.partial(_fused_loop, form, lam)
    else:
        loop = _plain_loop
    bar = tqdm(total=n_iter, desc=desc, disable=not progress, leave=False)

    def objective(z):
        return smooth.value(z) + penalty.value(z) if track else None

    z = loop(smooth, penalty, x0, rho=rho, relax=relax, balance=balance, mu=mu, tau=tau, n_iter=n_iter, tol=tol,
             monitor=monitor, objective=objective, bar=bar)
    bar.close()
    monitor.pause()
    return z, history


def _balanced(primal, dual, mu, tau):
    """Residual balancing: the factor to multiply ρ by (1, τ or 1/τ)."""
    if primal > mu * dual:
        return tau
    if dual > mu * primal:
        return 1.0 / tau
    return 1.0


def _end_of_iteration(monitor, bar, k, z, objective, primal, dual, *, tol, balance, mu, tau):
    """Record iterate ``k``; then None to stop (both residuals below ``tol``), else ρ's factor."""
    monitor.record(k, z, objective(z))
    bar.update(1)
    if tol > 0 and primal <= tol and dual <= tol:
        monitor.history.converged = True
        return None
    return _balanced(primal, dual, mu, tau) if balance else 1.0


def _plain_loop(smooth, penalty, x0, *, rho, relax, balance, mu, tau, n_iter, tol, monitor, objective, bar):
    op = smooth.operator
    dtype = x0.dtype.type
    z = x0.astype(dtype, copy=True)
    u = np.zeros_like(z)
    rhs0 = smooth.adjoint_data.astype(dtype, copy=False)
    history = monitor.history
    monitor.record(0, z, objective(z))
    history.rho.append(rho)
    for k in range(1, n_iter + 1):
        x = op.solve_normal(rhs0 + dtype(rho) * (z - u), rho)
        xh = dtype(relax) * x + dtype(1.0 - relax) * z
        z_new = penalty.prox(xh + u, 1.0 / rho)
        u += xh
        u -= z_new
        primal, dual = _relative_residuals(sq_norm(x - z_new), sq_norm(x), sq_norm(z_new), sq_norm(z_new - z),
                                           sq_norm(u))
        z = z_new
        factor = _end_of_iteration(monitor, bar, k, z, objective, primal, dual, tol=tol, balance=balance, mu=mu,
                                   tau=tau)
        if factor is None:
            break
        if factor != 1.0:
            rho *= factor
            u /= dtype(factor)
        history.rho.append(rho)
    return z


def _fused_loop(form, lam, smooth, penalty, x0, *, rho, relax, balance, mu, tau, n_iter, tol, monitor, objective,
                bar):
    from sparseimg.optim import _fused

    plans = _fused.plans_for(form.operator)
    fourier, spatial = _fused.admm_fourier_kernel(), _fused.admm_spatial_kernel()
    dtype = form.dtype.type
    C = form.adjoint_spectrum  # spectrum of Aᵀb
    history = monitor.history
    z = x0.astype(dtype, copy=True)
    u = np.zeros_like(z)
    v = plans.image
    np.subtract(z, u, out=v)
    monitor.record(0, z, objective(z))
    history.rho.append(rho)
    inv_shift = 1.0 / (form.power + dtype(rho))
    snapshot = (lambda a: a.copy()) if monitor.callback is not None else (lambda a: a)
    for k in range(1, n_iter + 1):
        plans.forward()
        fourier(plans.spectrum, C, dtype(rho), inv_shift, plans.spectrum_in)
        plans.inverse()
        sums = spatial(plans.image_out, z, u, v, plans.inv_n, dtype(relax), dtype(lam / rho))
        primal, dual = _relative_residuals(*(float(s) for s in sums))
        factor = _end_of_iteration(monitor, bar, k, snapshot(z), objective, primal, dual, tol=tol, balance=balance,
                                   mu=mu, tau=tau)
        if factor is None:
            break
        if factor != 1.0:
            rho *= factor
            u /= dtype(factor)
            np.subtract(z, u, out=v)
            inv_shift = 1.0 / (form.power + dtype(rho))
        history.rho.append(rho)
    return z

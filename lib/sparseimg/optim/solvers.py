"""One proximal-gradient core and the solvers built on it.

``proximal_gradient`` minimizes ``F(x) = f(x) + g(x)`` with ``f`` smooth (see
:mod:`sparseimg.optim.objectives`) and ``g`` a penalty with a prox (see
:mod:`sparseimg.optim.prox`):

- ``g = Zero()`` and no acceleration: gradient descent;
- ``g = L1Norm(λ)`` and no acceleration: ISTA;
- ``accelerate=True``: FISTA (Beck & Teboulle 2009), momentum
  ``t₊ = (1 + sqrt(1 + 4 t²)) / 2``, ``β = (t − 1) / t₊``, extrapolating from the
  last two *proximal* iterates; ``restart=True`` adds adaptive restart (momentum
  dropped whenever the objective goes up).

Beside it: :func:`conjugate_gradient` for quadratic terms, :func:`scipy_minimize`
(``scipy.optimize.minimize`` with the same iteration record) and :func:`adam_minimize`
(Adam on a list of arrays, for autograd losses).

Every solver returns ``(x, history)`` (or ``(x, run)`` with the history inside);
:class:`History` records the objective, the solver's own elapsed time (monitoring
excluded) and, when a reference is given, PSNR and support precision/recall, per
iteration — all through one recorder.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from tqdm import tqdm

from sparseimg._linalg import inner, norm, sq_norm
from sparseimg.contracts import require
from sparseimg._validate import check_int, check_real
from sparseimg.metrics import psnr, support_precision_recall
from sparseimg.optim.prox import L1Norm, Zero

__all__ = [
    "History",
    "proximal_gradient",
    "gradient_descent",
    "ista",
    "fista",
    "conjugate_gradient",
    "OptimizeRun",
    "scipy_minimize",
    "adam_minimize",
]


@dataclass
class History:
    """Per-iteration record of a solver run.

    Attributes
    ----------
    objective : list of float
        ``F(x_k)`` for k = 0 (the start) … n_iter.
    time : list of float
        Seconds spent in the solver up to iterate k (monitoring time excluded).
    psnr, precision, recall : list of float
        Filled when a ``reference`` is given (PSNR in dB of ``x_k`` against it;
        support precision/recall of ``x_k``).
    rho : list of float
        ADMM's penalty per iterate (:func:`sparseimg.optim.admm.admm` only).
    converged : bool
        True if the relative change fell below ``tol`` before ``n_iter``.
    step : float
        Step size used.
    """

    objective: list = field(default_factory=list)
    time: list = field(default_factory=list)
    psnr: list = field(default_factory=list)
    precision: list = field(default_factory=list)
    recall: list = field(default_factory=list)
    rho: list = field(default_factory=list)
    converged: bool = False
    step: float = float("nan")

    @property
    def n_iter(self) -> int:
        """Number of iterations performed."""
        return max(len(self.objective) - 1, 0)

    def as_columns(self) -> dict[str, list]:
        """Columns for a CSV: iteration, objective, time and any reference metrics."""
        cols = {"iteration": list(range(len(self.objective))), "objective": self.objective, "time": self.time}
        for name in ("psnr", "precision", "recall", "rho"):
            if getattr(self, name):
                cols[name] = getattr(self, name)
        return cols


class _Monitor:
    """The one iteration recorder of every solver: objective and reference metrics per
    iterate, with the solver's own time kept apart from the monitoring time.

    ``reference`` adds the PSNR against it (``data_range`` as in
    :func:`~sparseimg.metrics.psnr`) and, unless ``support_tol`` is None, support
    precision and recall; iterates are reshaped to the reference's shape (scipy
    passes flat vectors).
    """

    def __init__(self, history: History, reference=None, *, support_tol: float | None = 0.0,
                 data_range: float = 1.0, callback=None, track: bool = True):
        self.history = history
        self.reference = reference
        self.support_tol = support_tol
        self.data_range = data_range
        self.callback = callback
        self.track = track
        self.elapsed = 0.0
        self._t0 = time.perf_counter()

    def pause(self):
        self.elapsed += time.perf_counter() - self._t0

    def resume(self):
        self._t0 = time.perf_counter()

    def record(self, k: int, x: np.ndarray, objective: float | None):
        self.pause()
        h = self.history
        if self.track or objective is not None or self.reference is not None:
            h.objective.append(float(objective) if objective is not None else float("nan"))
            h.time.append(self.elapsed)
            if self.reference is not None:
                image = np.reshape(x, self.reference.shape)
                h.psnr.append(psnr(self.reference, image, data_range=self.data_range))
                if self.support_tol is not None:
                    p, r = support_precision_recall(self.reference, image, tol=self.support_tol)
                    h.precision.append(p)
                    h.recall.append(r)
        if self.callback is not None:
            self.callback(k, x)
        self.resume()


def _check_common(x0, n_iter, tol):
    x0 = np.asarray(x0)
    if x0.dtype.kind != "f":
        raise TypeError(f"x0 has dtype {x0.dtype}: expected float32 or float64")
    return x0, check_int("n_iter", n_iter, low=0), check_real("tol", tol, low=0.0)


def proximal_gradient(smooth, penalty, x0: np.ndarray, *, step: float | None = None,
                      n_iter: int = 100, tol: float = 1e-6, accelerate: bool = False,
                      restart: bool = False, reference: np.ndarray | None = None, support_tol: float | None = 0.0,
                      data_range: float = 1.0,
                      track: bool = True, callback=None, progress: bool = False,
                      desc: str | None = None, fused: bool | None = None) -> tuple[np.ndarray, History]:
    """Minimize ``smooth(x) + penalty(x)`` by (accelerated) proximal gradient.

    Parameters
    ----------
    smooth
        Smooth term: ``value``, ``grad``, ``value_and_grad``, ``lipschitz_constant()``,
        ``affine_gradient`` (see :mod:`sparseimg.optim.objectives`).
    penalty
        Penalty with ``value(x)`` and ``prox(x, step)`` (see :mod:`sparseimg.optim.prox`).
    x0 : ndarray
        Starting point; its dtype is the working precision.
    step : float, optional
        Step size; default ``1 / L`` with ``L = smooth.lipschitz_constant()``.
        Must satisfy ``0 < step <= 2 / L`` (``<= 1 / L`` for FISTA's guarantee).
    n_iter : int
        Maximum number of iterations.
    tol : float
        Stop when ``‖x_k − x_{k−1}‖ <= tol · ‖x_k‖`` (0 disables the test).
    accelerate : bool
        FISTA momentum if True (Beck & Teboulle's ``t_k`` sequence, ``t_1 = 1``).
    restart : bool
        Adaptive restart (O'Donoghue & Candès 2015, function scheme): reset the
        momentum whenever the objective goes up. Needs the objective, so ``track``
        or an affine gradient.
    reference : ndarray, optional
        Ground truth; adds PSNR and support precision/recall to the history (recorded even
        without an objective, which is then NaN).
    support_tol : float or None
        ``|x| > support_tol`` defines the support for precision/recall (None: not recorded).
    data_range : float, optional
        Peak of the PSNR (default 1: images in [0, 1]; see :func:`~sparseimg.metrics.psnr`).
    track : bool
        Record the objective at every iterate. With an affine gradient (quadratic
        ``f``) this is free; otherwise it costs one extra evaluation of ``f``.
    callback : callable, optional
        ``callback(k, x_k)`` after each iteration (excluded from the timing).
    progress : bool
        Show a tqdm progress bar (stderr).
    fused : bool or None
        The fused loop of :mod:`sparseimg.optim._fused` (one FFT pair and two elementwise passes
        per iteration) for least squares on a FourierConvolution plus a scalar ℓ1 penalty:
        None takes it when it applies, False never (the plain numpy loop), True requires it
        (ValueError saying why not). Both loops give the same iterates up to rounding.

    Returns
    -------
    x : ndarray
        Last iterate.
    history : History

    Notes
    -----
    With an affine gradient (``smooth.affine_gradient``), every iteration costs one
    ``value_and_grad``: the solver keeps the forward-step points
    ``w_k = x_k − s ∇f(x_k)``; since ``∇f`` is affine, the forward step from FISTA's
    extrapolated point ``y = x_k + β (x_k − x_{k−1})`` is exactly
    ``w_k + β (w_k − w_{k−1})``, so the gradient at ``y`` is never computed and the
    objective of every iterate comes for free.
    """
    x0, n_iter, tol = _check_common(x0, n_iter, tol)
    require("smooth term", smooth, "smooth")
    require("penalty", penalty, "penalty")
    lipschitz = smooth.lipschitz_constant()
    if step is None:
        if not lipschitz > 0:
            raise ValueError(f"lipschitz_constant()={lipschitz!r}: expected > 0 to set the default step 1/L")
        step = 1.0 / lipschitz
    step = check_real("step", step, low=0.0, high=2.0 / lipschitz if lipschitz > 0 else None, low_open=True)
    affine = bool(smooth.affine_gradient)
    if not penalty.has_value and (track or restart):
        raise ValueError(f"track={track!r}, restart={restart!r} are not allowed with {penalty!r}: it has a prox but "
                         "no value (a denoiser), so the objective is undefined: expected track=False, restart=False")
    if restart and not (accelerate and (track or affine)):
        raise ValueError("restart=True is not allowed here: expected accelerate=True and an objective "
                         "(track=True or an affine gradient)")
    history = History(step=step)
    monitor = _Monitor(history, reference, support_tol=support_tol, data_range=data_range, callback=callback,
                       track=track)
    has_value = penalty.has_value
    if fused is not False and affine and has_value:
        from sparseimg.optim import _fused

        form, lam, why = _fused.fused_form(smooth, penalty)
        if form is not None and x0.dtype != form.dtype:
            form, why = None, f"x0 has dtype {x0.dtype}, the operator {form.dtype}"
        if fused and form is None:
            raise ValueError(f"fused=True is not allowed here: {why}")
        if form is not None:
            bar = tqdm(total=n_iter, desc=desc, disable=not progress, leave=False)
            x = _fused.fista_l1(form, lam, x0, step=step, n_iter=n_iter, tol=tol,
                                accelerate=accelerate, restart=restart, monitor=monitor, bar=bar)
            bar.close()
            monitor.pause()
            return x, history
    elif fused:
        raise ValueError("fused=True is not allowed here: it needs an affine gradient and a penalty with a value")
    dtype = x0.dtype.type
    s = dtype(step)
    x = x0.astype(dtype, copy=True)
    scratch = np.empty_like(x)  # extrapolation / differences, reused every iteration

    if affine or track:
        f, g = smooth.value_and_grad(x)
        objective = f + penalty.value(x) if has_value else None
    else:
        g, objective = smooth.grad(x), None
    monitor.record(0, x, objective)
    if affine:
        w = x - s * g  # forward-step point of x_k
        w_prev = w

    t = 1.0
    x_prev = x
    bar = tqdm(total=n_iter, desc=desc, disable=not progress, leave=False)
    for k in range(1, n_iter + 1):
        beta = 0.0
        if accelerate and k > 1:  # y_k = x_{k-1} + (t_{k-1} - 1) / t_k (x_{k-1} - x_{k-2}), t_1 = 1
            t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
            beta = (t - 1.0) / t_next
            t = t_next
        if affine:
            if beta:
                z = np.subtract(w, w_prev, out=scratch)
                z *= dtype(beta)
                z += w
            else:
                z = w
        else:
            if beta:
                y = x + dtype(beta) * (x - x_prev)
                g_y = smooth.grad(y)
            else:
                y, g_y = x, (g if g is not None else smooth.grad(x))
            z = y - s * g_y
        x_new = penalty.prox(z, step)

        if affine or track:
            f, g = smooth.value_and_grad(x_new)
            new_objective = f + penalty.value(x_new) if has_value else None
        else:
            g = smooth.grad(x_new) if not accelerate else None
            new_objective = None
        if restart and beta and new_objective > objective:
            t = 1.0  # the momentum made things worse: drop it
        if affine:
            w_prev = w
            g *= s
            w = np.subtract(x_new, g, out=g)
        x_prev, x, objective = x, x_new, new_objective
        monitor.record(k, x, objective)
        bar.update(1)
        if tol > 0:
            diff = np.subtract(x, x_prev, out=scratch)
            if sq_norm(diff) <= tol * tol * sq_norm(x):
                history.converged = True
                break
    bar.close()
    monitor.pause()
    return x, history


def gradient_descent(smooth, x0, **kwargs) -> tuple[np.ndarray, History]:
    """Gradient descent on ``smooth`` (step ``1/L`` by default); see :func:`proximal_gradient`."""
    return proximal_gradient(smooth, Zero(), x0, accelerate=False, **kwargs)


def ista(smooth, lam: float, x0, **kwargs) -> tuple[np.ndarray, History]:
    """ISTA for ``smooth(x) + lam ‖x‖₁``; see :func:`proximal_gradient`."""
    return proximal_gradient(smooth, L1Norm(lam), x0, accelerate=False, **kwargs)


def fista(smooth, lam: float, x0, **kwargs) -> tuple[np.ndarray, History]:
    """FISTA for ``smooth(x) + lam ‖x‖₁``; see :func:`proximal_gradient`."""
    return proximal_gradient(smooth, L1Norm(lam), x0, accelerate=True, **kwargs)


def conjugate_gradient(smooth, x0: np.ndarray, *, n_iter: int = 100, tol: float = 1e-6,
                       reference: np.ndarray | None = None, support_tol: float = 0.0, data_range: float = 1.0,
                       callback=None, progress: bool = False, track: bool = True,
                       desc: str | None = None) -> tuple[np.ndarray, History]:
    """Conjugate gradient on the normal equations ``(AᵀA + ridge I) x = Aᵀb``.

    ``smooth`` offers ``normal(x)`` and ``adjoint_data`` (the right-hand side), e.g. a
    :class:`~sparseimg.optim.objectives.LeastSquares`. Stops when the normal-equation
    residual satisfies ``‖r_k‖ <= tol ‖Aᵀb‖``. With ``track`` (it then also needs
    ``residual_norm_sq()``, ``½‖b‖²``'s ``‖b‖²``) the objective ``½‖Ax − b‖² + ½ ridge ‖x‖²`` is
    recorded at no extra cost from the residual: ``f(x) = ½‖b‖² − ½ xᵀ(Aᵀb + r)``; without it
    the history has no objective (a linear system that is no least-squares problem).
    """
    x0, n_iter, tol = _check_common(x0, n_iter, tol)
    history = History()
    monitor = _Monitor(history, reference, support_tol=support_tol, data_range=data_range, callback=callback)
    dtype = x0.dtype.type
    rhs = smooth.adjoint_data.astype(dtype, copy=False)
    b_sq = smooth.residual_norm_sq() if track else None
    x = x0.astype(dtype, copy=True)
    r = rhs - smooth.normal(x)
    p = r.copy()
    rr = sq_norm(r)
    stop = (tol * norm(rhs)) ** 2

    def objective():
        return 0.5 * b_sq - 0.5 * inner(x, rhs + r) if track else None

    monitor.record(0, x, objective())
    bar = tqdm(total=n_iter, desc=desc, disable=not progress, leave=False)
    for k in range(1, n_iter + 1):
        if rr <= stop:
            history.converged = True
            break
        q = smooth.normal(p)
        alpha = rr / inner(p, q)
        x += dtype(alpha) * p
        r -= dtype(alpha) * q
        rr_new = sq_norm(r)
        p *= dtype(rr_new / rr)
        p += r
        rr = rr_new
        monitor.record(k, x, objective())
        bar.update(1)
    else:
        history.converged = rr <= stop
    bar.close()
    return x, history


@dataclass
class OptimizeRun:
    """Outcome of a ``scipy.optimize.minimize`` run.

    Attributes
    ----------
    history : History
        Objective, solver time (monitoring excluded) and PSNR per iteration
        (empty when not tracked).
    n_iter, n_fev, n_jev, n_hev : int
        Iterations, objective, gradient and Hessian-vector evaluations as
        counted by scipy (``n_hev`` 0 when not used).
    objective : float
        Final objective.
    message : str
    success : bool
    """

    history: History = field(default_factory=History)
    n_iter: int = 0
    n_fev: int = 0
    n_jev: int = 0
    n_hev: int = 0
    objective: float = float("nan")
    message: str = ""
    success: bool = False


def scipy_minimize(fun, x0, *, shape, method, jac, hessp=None, options, track_objective=None,
                   reference=None, data_range: float = 1.0) -> tuple[np.ndarray, OptimizeRun]:
    """``scipy.optimize.minimize`` with the library's iteration record.

    Parameters
    ----------
    fun, jac, hessp, method, options
        As for ``scipy.optimize.minimize`` (``jac=True`` when ``fun`` returns the gradient too).
    x0 : ndarray
        Flat start.
    shape : tuple
        Shape of the solution (the result is reshaped to it).
    track_objective : callable, optional
        ``objective(x) -> float`` recorded at the start and after every iteration
        (outside the solver's timing), with the PSNR against ``reference`` when given.

    Returns
    -------
    x : ndarray, shape ``shape``
    run : OptimizeRun
    """
    run = OptimizeRun()
    callback = None
    if track_objective is not None:
        monitor = _Monitor(run.history, reference, support_tol=None, data_range=data_range)
        count = 0

        def callback(xk):
            nonlocal count
            monitor.record(count, xk, track_objective(xk))
            count += 1

        callback(x0)
    from scipy.optimize import minimize  # here: scipy.optimize is 0.1 s of every import of this module

    res = minimize(fun, x0, jac=jac, hessp=hessp, method=method, options=options, callback=callback)
    run.n_iter, run.n_fev = int(res.nit), int(res.nfev)
    run.n_jev = int(getattr(res, "njev", 0) or 0)
    run.n_hev = int(getattr(res, "nhev", 0) or 0)
    run.objective = float(res.fun)
    run.message, run.success = str(res.message), bool(res.success)
    run.history.converged = run.success
    return np.reshape(res.x, shape), run


def adam_minimize(value_and_grad: Callable, params: list[np.ndarray], *, learning_rate: float = 0.01,
                  n_iter: int = 1000, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                  callback: Callable | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """Adam (Kingma & Ba 2015) on a list of arrays, with PyTorch's defaults and bias correction.

    Parameters
    ----------
    value_and_grad : callable
        ``value_and_grad(params) -> (loss, grads)`` with ``grads`` a sequence of arrays
        shaped like ``params`` (e.g. ``autograd.value_and_grad``).
    params : list of ndarray
        Starting point (not modified); its dtype is the working precision.
    learning_rate, n_iter, betas, eps
        Step size, number of steps, moment decay rates, denominator guard.
    callback : callable, optional
        ``callback(k, params)`` after step ``k`` (1-based).

    Returns
    -------
    params : list of ndarray
        After ``n_iter`` steps.
    losses : ndarray, shape (n_iter,)
        Loss *before* each step (as a training loop prints it).
    """
    n_iter = check_int("n_iter", n_iter, low=0)
    params = [np.array(p, copy=True) for p in params]
    from sparseimg.optim.adam import AdamState  # the one Adam (the training loop steps through it too)

    adam = AdamState(params, learning_rate=learning_rate, betas=betas, eps=eps)
    losses = np.empty(n_iter)
    for k in range(1, n_iter + 1):
        loss, grads = value_and_grad(params)
        losses[k - 1] = float(loss)
        adam.step(params, grads)
        if callback is not None:
            callback(k, params)
    return params, losses

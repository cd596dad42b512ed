"""Plug-and-play deblurring: any denoiser ``denoise(x, sigma)`` as the prior of a splitting method.

- :func:`pnp_deblur` — Algorithm 1 of Dragotti's talk "Sparsity and Deep Neural Networks: a
  Match Made in Heaven" (2022), after Huang & Dragotti's WINNet (arXiv 2109.06381): with a noise
  estimator ``β(·)``, start from ``z₀ = y``, ``β₀ = β(y)``, ``β₁ = start_factor · β₀``; while
  ``β_k > β₀``:

  - x-step ``x_k = argmin_x ‖y − k ⊗ x‖² + λ β₀²/β_k² ‖x − z_{k−1}‖²`` — the normal equation
    ``(HᵀH + μ_k I) x = Hᵀy + μ_k z_{k−1}`` solved by the operator (``solve_normal``: exactly
    and elementwise in frequency for a circular convolution, by conjugate gradients otherwise);
  - ``β_{k+1} = β(x_k)`` (the noise left in the current image);
  - ``z_k = denoise(x_k, denoise_factor · β_{k+1})``;

  and returns ``z_{k−1}``. The loop ends when the estimated noise falls to the input's own
  level; ``max_iter`` guards an estimator that never gets there. The loop feeds the estimate back
  into the x-step's weight, so an estimator that misreads an x-step (its noise is coloured, its
  error partly smooth) can stop the loop after one step or drive it upward without end; the
  optional ``max_fall`` guard keeps each new level within ``[β_k / max_fall, β_k]`` (a schedule
  that never rises and falls at most geometrically, like HQS's) and leaves the stopping rule to
  the estimator.
- :func:`pnp_hqs` — the same splitting with a fixed, decreasing schedule of denoiser levels
  (half-quadratic splitting, Geman & Yang 1995; Zhang et al., "Plug-and-play image restoration
  with deep denoiser prior", 2021).
- :func:`pnp_ista` — proximal gradient with the denoiser as the prox step (through the one
  proximal-gradient core and :class:`~sparseimg.restoration.denoisers.DenoiserProx`).

Everything takes the observation, the blur operator and the denoiser; a ``reference`` only
records PSNR per iteration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from sparseimg._validate import check_int, check_real
from sparseimg.restoration.denoisers import DenoiserProx
from sparseimg.optim.objectives import LeastSquares
from sparseimg.optim.solvers import History, _Monitor, proximal_gradient

__all__ = ["PnPRun", "x_step", "pnp_deblur", "pnp_hqs", "pnp_ista"]


@dataclass
class PnPRun:
    """What a plug-and-play run did.

    Attributes
    ----------
    history : History
        ``time`` (solver seconds) and, with a reference, ``psnr`` of each ``z_k`` (index 0: the start);
        ``objective`` is NaN (a plug-and-play run minimises none).
    betas : list of float
        Noise levels ``β_k`` handed to the denoiser (after ``denoise_factor``) or scheduled.
    mus : list of float
        Weights ``μ_k`` of the x-steps.
    stopped : str
        Why the loop ended ("noise level reached", "max_iter", "schedule done").
    """

    history: History = field(default_factory=History)
    betas: list = field(default_factory=list)
    mus: list = field(default_factory=list)
    stopped: str = ""

    @property
    def n_iter(self) -> int:
        return len(self.mus)


def x_step(operator, blurred: np.ndarray, z: np.ndarray, mu: float) -> np.ndarray:
    """``argmin_x ‖y − H x‖² + μ ‖x − z‖²`` = ``(HᵀH + μI)⁻¹ (Hᵀy + μ z)``, solved by the operator."""
    mu = check_real("mu", mu, low=0.0, low_open=True)
    return operator.solve_normal(operator.adjoint(blurred) + mu * z, mu)


def _monitor(run: PnPRun, reference) -> _Monitor:
    """The solvers' iteration recorder on the run's history: solver time per ``z_k`` (the PSNR bookkeeping
    kept out of it) and, with a reference, its PSNR (``data_range = 1``); no objective (NaN)."""
    return _Monitor(run.history, reference, support_tol=None, data_range=1.0, track=True)


def pnp_deblur(blurred: np.ndarray, operator, denoise: Callable, noise_estimator: Callable, *,
               lam: float = 1.0, start_factor: float = 10.0, denoise_factor: float = 2.0, max_iter: int = 100,
               max_fall: float | None = None, reference: np.ndarray | None = None,
               callback: Callable | None = None) -> tuple[np.ndarray, PnPRun]:
    """Algorithm 1: plug-and-play deblurring with a noise estimator (see the module docstring).

    Parameters
    ----------
    blurred : ndarray, shape (n0, n1)
        Observation ``y``.
    operator
        Blur ``H`` with ``forward``/``adjoint``/``solve_normal`` (a
        :class:`~sparseimg.operators.FourierConvolution` solves the x-step exactly).
    denoise : callable
        ``denoise(x, sigma) -> ndarray``.
    noise_estimator : callable
        ``noise_estimator(x) -> float``, the standard deviation of the noise in ``x``.
    lam : float
        ``λ`` of the x-step weight ``μ_k = λ β₀² / β_k²``.
    start_factor : float
        ``β₁ = start_factor · β₀`` (the talk: 10).
    denoise_factor : float
        The denoiser gets ``denoise_factor · β_{k+1}`` (the talk: 2).
    max_iter : int
        Iterations at most.
    max_fall : float > 1, optional
        Guard on the schedule: ``β_{k+1} = min(β_k, max(β(x_k), β_k / max_fall))``. ``None`` (default):
        the talk's loop, ``β_{k+1} = β(x_k)``.
    reference : ndarray, optional
        Ground truth: records the PSNR of every ``z_k``.
    callback : callable, optional
        ``callback(k, x_k, z_k)``.

    Returns
    -------
    z : ndarray
        The deblurred image ``z_{k−1}`` at exit.
    run : PnPRun
    """
    lam = check_real("lam", lam, low=0.0, low_open=True)
    start_factor = check_real("start_factor", start_factor, low=1.0, low_open=True)
    denoise_factor = check_real("denoise_factor", denoise_factor, low=0.0, low_open=True)
    max_iter = check_int("max_iter", max_iter, low=1)
    if max_fall is not None:
        max_fall = check_real("max_fall", max_fall, low=1.0, low_open=True)
    y = np.asarray(blurred, dtype=np.float64)
    run = PnPRun()
    monitor = _monitor(run, reference)
    z = y.copy()
    beta0 = float(noise_estimator(z))
    if not beta0 > 0:
        raise ValueError(f"noise_estimator(blurred)={beta0!r} is not allowed: expected a positive noise level")
    beta = start_factor * beta0
    monitor.record(0, z, None)
    run.stopped = "max_iter"
    for k in range(1, max_iter + 1):
        mu = lam * beta0 ** 2 / beta ** 2
        x = x_step(operator, y, z, mu)
        estimate = float(noise_estimator(x))
        beta = estimate if max_fall is None else min(beta, max(estimate, beta / max_fall))
        z = denoise(x, denoise_factor * beta)
        run.mus.append(mu)
        run.betas.append(denoise_factor * beta)
        monitor.record(k, z, None)
        if callback is not None:
            callback(k, x, z)
        if not beta > beta0:
            run.stopped = "noise level reached"
            break
    return z, run


def pnp_hqs(blurred: np.ndarray, operator, denoise: Callable, sigmas: Sequence[float], *, lam: float,
            noise_std: float, start: np.ndarray | None = None, reference: np.ndarray | None = None,
            callback: Callable | None = None) -> tuple[np.ndarray, PnPRun]:
    """Half-quadratic splitting with a fixed schedule: ``x_k = argmin ‖y − Hx‖² + μ_k‖x − z_{k−1}‖²``,
    ``z_k = denoise(x_k, σ_k)``, with ``μ_k = λ σ_n² / σ_k²`` (``σ_n`` the noise of ``y``).

    ``sigmas`` is the (decreasing) denoiser schedule; ``start`` defaults to ``y``.
    """
    lam = check_real("lam", lam, low=0.0, low_open=True)
    noise_std = check_real("noise_std", noise_std, low=0.0, low_open=True)
    sigmas = [check_real(f"sigmas[{i}]", s, low=0.0, low_open=True) for i, s in enumerate(sigmas)]
    if not sigmas:
        raise ValueError("sigmas=[] is not allowed: expected at least one denoiser level")
    y = np.asarray(blurred, dtype=np.float64)
    run = PnPRun(stopped="schedule done")
    monitor = _monitor(run, reference)
    z = y.copy() if start is None else np.array(start, dtype=np.float64)
    monitor.record(0, z, None)
    for k, sigma in enumerate(sigmas, start=1):
        mu = lam * noise_std ** 2 / sigma ** 2
        x = x_step(operator, y, z, mu)
        z = denoise(x, sigma)
        run.mus.append(mu)
        run.betas.append(sigma)
        monitor.record(k, z, None)
        if callback is not None:
            callback(k, x, z)
    return z, run


def pnp_ista(blurred: np.ndarray, operator, denoise: Callable, sigma: float, *, n_iter: int = 50,
             accelerate: bool = False, start: np.ndarray | None = None,
             reference: np.ndarray | None = None) -> tuple[np.ndarray, History]:
    """Proximal gradient on ``½‖y − Hx‖²`` with ``denoise(·, sigma)`` as the prox step (step ``1/L``)."""
    y = np.asarray(blurred, dtype=np.float64)
    x0 = y.copy() if start is None else np.array(start, dtype=np.float64)
    return proximal_gradient(LeastSquares(operator, y), DenoiserProx(denoise, sigma), x0, n_iter=n_iter,
                             tol=0.0, accelerate=accelerate, track=False, reference=reference,
                             support_tol=None, data_range=1.0)

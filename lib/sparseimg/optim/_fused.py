"""Fused elementwise kernels of the FISTA and ADMM iterations (numba).

One FISTA or ADMM iteration on a :class:`~sparseimg.operators.FourierConvolution`
data term is one ``rfft2``/``irfft2`` pair plus elementwise work. Written with
numpy, that work is a dozen separate passes over the image (extrapolation, prox,
ℓ1 value, stopping test, residual spectrum and its norm); here it is two: one over
the half spectrum, one over the image, each a numba loop that reads every array
once and writes into the FFTW plans' own buffers (no copies).

Why numba (README, design notes): each pass has several outputs and several
reductions in the same loop (the prox and its ℓ1 value, the difference norm of the
stopping test), which numexpr cannot express (one output per expression, a reduction
only as the outermost operation), and the loops run on one thread with no per-call
thread start-up. The only fast-math flag is ``reassoc``, so that the sums vectorize;
every other operation is evaluated in the order the numpy path uses, so the fused and
plain paths agree to rounding in the sums (tested: iterates and objectives to 1e-12
relative), not bit for bit.

The fused paths are taken only when numba and pyFFTW are both importable and the
problem has the shape they serve (least squares on a FourierConvolution with the fftw
backend, scalar ℓ1); :func:`available` says why not otherwise, and
``proximal_gradient(..., fused=False)`` / ``admm(..., fused=False)`` force the plain
numpy path. ``SPARSEIMG_FUSED=0`` in the environment turns the fused paths off globally.
"""

from __future__ import annotations

import math
import os
import threading

import numpy as np

from sparseimg.contracts import FourierDataTerm

__all__ = ["available", "fused_form", "fista_kernel", "residual_kernel", "admm_fourier_kernel", "admm_spatial_kernel",
           "FourierPlans", "plans_for"]

_FASTMATH = {"reassoc"}


def _numba():
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is pinned in the lock
        return None
    return numba


def available(smooth=None, penalty=None) -> tuple[bool, str]:
    """``(True, "")`` if the fused path can serve ``smooth`` + ``penalty``, else ``(False, reason)``."""
    _, _, why = fused_form(smooth, penalty)
    return not why, why


def fused_form(smooth=None, penalty=None) -> tuple[FourierDataTerm | None, float | None, str]:
    """``(form, λ, "")`` when the fused loops can serve ``smooth + penalty``, else ``(None, None, reason)``.

    Asks the terms themselves (:mod:`sparseimg.contracts`): the smooth term's ``fourier_form()``
    (a least-squares term hands over its operator's ``fourier_data_term``) and the penalty's
    ``scalar_l1_weight()``; no class is checked.
    """
    if os.environ.get("SPARSEIMG_FUSED", "1") in ("0", "false", "no"):
        return None, None, "SPARSEIMG_FUSED=0"
    if _numba() is None:
        return None, None, "numba is not installed"
    if smooth is None:
        return None, None, ""
    form = smooth.fourier_form()
    if form is None:
        return None, None, ("the smooth term has no fused Fourier form (it needs plain least squares on a "
                            "FourierConvolution with the fftw backend)")
    lam = penalty.scalar_l1_weight()
    if lam is None:
        return None, None, "the penalty is not a scalar L1Norm"
    return form, lam, ""


# -- the kernels (compiled on first use, cached on disk by numba) ---------------------------------

_KERNELS: dict = {}


def _compile():
    if _KERNELS:
        return _KERNELS
    numba = _numba()
    jit = numba.njit(cache=True, nogil=True, fastmath=_FASTMATH)

    @jit
    def fista_step(x, g, w, beta, step, tau, inv_n):
        """In place: ``w ← x − step·(g·inv_n)`` (the forward step of the current iterate, ``g``
        being the unnormalized ``irfft2`` of the gradient), ``x ← S_τ(w + β (w − w_old))``.
        Returns ``(Σ|x_new|, Σ(x_new − x_old)², Σ x_new²)``."""
        xf = x.ravel()
        gf = g.ravel()
        wf = w.ravel()
        zero = xf.dtype.type(0)
        l1, dsq, xsq = zero, zero, zero
        for i in range(xf.size):
            wn = xf[i] - (gf[i] * inv_n) * step
            z = wn + beta * (wn - wf[i])
            wf[i] = wn
            xn = z - min(max(z, -tau), tau)
            d = xn - xf[i]
            l1 += abs(xn)
            dsq += d * d
            xsq += xn * xn
            xf[i] = xn
        return l1, dsq, xsq

    @jit
    def residual(X, H, B, R, last):
        """``R ← conj(H)·(H X − B)`` (``R`` may be ``X``); returns ``Σ w |H X − B|²`` with the
        half-spectrum weights (1 on column 0 and, for even widths, the last column ``last``; 2
        elsewhere; ``last = -1`` for odd widths)."""
        n0, m = X.shape
        edge = 0.0
        for i in range(n0):
            r = H[i, 0] * X[i, 0] - B[i, 0]
            edge += r.real * r.real + r.imag * r.imag
            if last >= 0:
                r = H[i, last] * X[i, last] - B[i, last]
                edge += r.real * r.real + r.imag * r.imag
        total = 0.0
        for i in range(n0):
            for j in range(m):
                r = H[i, j] * X[i, j] - B[i, j]
                total += r.real * r.real + r.imag * r.imag
                R[i, j] = np.conj(H[i, j]) * r
        return 2.0 * total - edge

    @jit
    def residual_real(Xf, H, Bf, Rf, last):
        """:func:`residual` for a real ``H``, on float views of the complex arrays (``(n0, 2m)``:
        real and imaginary parts interleaved), which vectorizes where complex arithmetic does not.
        The same operations as numpy's complex-times-real products, so the same numbers."""
        n0, m = H.shape
        edge = Xf.dtype.type(0)  # float32 sums in float32, like numpy's float32 path
        for i in range(n0):
            for j in (0, last):
                if j >= 0:
                    rr = H[i, j] * Xf[i, 2 * j] - Bf[i, 2 * j]
                    ri = H[i, j] * Xf[i, 2 * j + 1] - Bf[i, 2 * j + 1]
                    edge += rr * rr + ri * ri
        total = Xf.dtype.type(0)
        for i in range(n0):
            for j in range(m):
                h = H[i, j]
                rr = h * Xf[i, 2 * j] - Bf[i, 2 * j]
                ri = h * Xf[i, 2 * j + 1] - Bf[i, 2 * j + 1]
                total += rr * rr + ri * ri
                Rf[i, 2 * j] = h * rr
                Rf[i, 2 * j + 1] = h * ri
        return 2.0 * total - edge

    @jit
    def admm_fourier_real(Xf, Cf, rho, inv_shift, Rf):
        """``R ← (C + ρ X)·inv_shift`` (``R`` may be ``X``), the x-step of ADMM in Fourier, on float
        views (``inv_shift = 1/(|H|² + ρ)`` is real)."""
        n0, m = inv_shift.shape
        for i in range(n0):
            for j in range(m):
                s = inv_shift[i, j]
                Rf[i, 2 * j] = (Cf[i, 2 * j] + rho * Xf[i, 2 * j]) * s
                Rf[i, 2 * j + 1] = (Cf[i, 2 * j + 1] + rho * Xf[i, 2 * j + 1]) * s

    @jit
    def admm_step(xr, z, u, v, inv_n, alpha, tau):
        """In place, with ``x = xr·inv_n``: ``x̂ = α x + (1 − α) z``, ``z ← S_τ(x̂ + u)``,
        ``u ← u + x̂ − z`` (= the clipped part), ``v ← z − u`` (the next x-step's input).
        Returns ``(‖x − z‖², ‖x‖², ‖z‖², ‖z − z_old‖², ‖u‖²)``."""
        xf = xr.ravel()
        zf = z.ravel()
        uf = u.ravel()
        vf = v.ravel()
        zero = zf.dtype.type(0)
        one = zf.dtype.type(1)
        r2, x2, z2, dz2, u2 = zero, zero, zero, zero, zero
        for i in range(zf.size):
            x = xf[i] * inv_n
            xh = alpha * x + (one - alpha) * zf[i]
            a = xh + uf[i]
            un = min(max(a, -tau), tau)
            zn = a - un
            r = x - zn
            d = zn - zf[i]
            r2 += r * r
            x2 += x * x
            z2 += zn * zn
            dz2 += d * d
            u2 += un * un
            zf[i] = zn
            uf[i] = un
            vf[i] = zn - un
        return r2, x2, z2, dz2, u2

    _KERNELS.update(fista_step=fista_step, residual=residual, residual_real=residual_real,
                    admm_fourier_real=admm_fourier_real, admm_step=admm_step)
    return _KERNELS


def fista_kernel():
    return _compile()["fista_step"]


def _float_view(a):
    return a.view(a.real.dtype)


def residual_kernel(transfer):
    """``kernel(X, B, R, last)`` for this transfer function (float views when it is real)."""
    k = _compile()
    if np.iscomplexobj(transfer):
        return lambda X, B, R, last: k["residual"](X, transfer, B, R, last)
    real = k["residual_real"]
    return lambda X, B, R, last: real(_float_view(X), transfer, _float_view(B), _float_view(R), last)


def admm_fourier_kernel():
    """``kernel(X, C, rho, inv_shift, R)``: ``R ← (C + ρX)·inv_shift`` on float views."""
    real = _compile()["admm_fourier_real"]
    return lambda X, C, rho, inv_shift, R: real(_float_view(X), _float_view(C), rho, inv_shift, _float_view(R))


def admm_spatial_kernel():
    return _compile()["admm_step"]


class FourierPlans:
    """FFTW plans of one shape and precision that only the fused loops use, through their buffers.

    ``image`` is the forward plan's input (write the image there, then :meth:`forward`);
    ``spectrum`` its output, which is also the inverse plan's input (c2r destroys it);
    :meth:`inverse` leaves ``n0·n1`` times the inverse transform in ``image_out``
    (FFTW does not normalize; the kernels take ``inv_n``).

    They are not the operator's own plans: calling a pyFFTW plan with an array makes that
    array the plan's buffer, so any ``op.rfft(y)`` during a loop (a tracked objective, a
    callback) would move the operator's plans off these buffers. The plans are built with
    the same flags as the operator's (FFTW_ESTIMATE: the same algorithm, the same numbers)
    and kept per thread by :func:`plans_for`.
    """

    def __init__(self, shape, dtype):
        import pyfftw

        a = pyfftw.empty_aligned(shape, dtype=dtype)
        self._fwd = pyfftw.builders.rfft2(a, threads=1, planner_effort="FFTW_ESTIMATE")
        self._inv = pyfftw.builders.irfft2(self._fwd.output_array, s=shape, threads=1,
                                           planner_effort="FFTW_ESTIMATE")
        self.image = self._fwd.input_array
        self.spectrum = self._fwd.output_array
        self.spectrum_in = self._inv.input_array
        self.image_out = self._inv.output_array
        n0, n1 = shape
        self.inv_n = np.dtype(dtype).type(1.0 / (n0 * n1))
        self.n = n0 * n1
        self.last = n1 // 2 if n1 % 2 == 0 else -1

    def forward(self):
        self._fwd.execute()

    def inverse(self):
        if self.spectrum_in is not self.spectrum:
            self.spectrum_in[...] = self.spectrum
        self._inv.execute()


_LOCAL = threading.local()


def plans_for(operator) -> FourierPlans:
    """This thread's :class:`FourierPlans` for the operator's shape and precision."""
    cache = getattr(_LOCAL, "plans", None)
    if cache is None:
        cache = _LOCAL.plans = {}
    key = (tuple(operator.shape), np.dtype(operator.dtype).str)
    if key not in cache:
        cache[key] = FourierPlans(operator.shape, operator.dtype)
    return cache[key]


def fista_l1(form: FourierDataTerm, lam: float, x0: np.ndarray, *, step: float, n_iter: int, tol: float,
             accelerate: bool, restart: bool, monitor, bar) -> np.ndarray:
    """The loop of :func:`~sparseimg.optim.solvers.proximal_gradient` for ``LeastSquares(FourierConvolution)
    + λ‖·‖₁``, fused: per iteration one FFT pair, one pass over the half spectrum (residual, its
    norm, the gradient's spectrum) and one over the image (forward step, extrapolation, soft
    threshold, ℓ1 value, stopping-test norms). Same iterates, objectives, restarts and stopping
    rule as the plain loop, up to rounding in the sums."""
    plans = plans_for(form.operator)
    spatial, resid = fista_kernel(), residual_kernel(form.transfer)
    dtype = form.dtype.type
    B = form.data_spectrum
    half_scale = 0.5 / plans.n
    s, tau, inv_n = dtype(step), dtype(lam * step), plans.inv_n
    history = monitor.history

    def value_and_grad():  # f at plans.image; gradient (times n) left in plans.image_out
        plans.forward()
        total = resid(plans.spectrum, B, plans.spectrum_in, plans.last)
        plans.inverse()
        return half_scale * total

    x = plans.image
    x[...] = x0
    f = value_and_grad()
    objective = f + lam * float(np.abs(x).sum())
    snapshot = (lambda a: a.copy()) if monitor.callback is not None else (lambda a: a)  # x is a plan buffer
    monitor.record(0, snapshot(x), objective)
    w = np.zeros_like(x)
    t = 1.0
    for k in range(1, n_iter + 1):
        beta = 0.0
        if accelerate and k > 1:
            t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
            beta = (t - 1.0) / t_next
            t = t_next
        l1, dsq, xsq = spatial(x, plans.image_out, w, dtype(beta), s, tau, inv_n)
        new_objective = value_and_grad() + lam * float(l1)
        if restart and beta and new_objective > objective:
            t = 1.0
        objective = new_objective
        monitor.record(k, snapshot(x), objective)
        bar.update(1)
        if tol > 0 and float(dsq) <= tol * tol * float(xsq):
            history.converged = True
            break
    return x.copy()

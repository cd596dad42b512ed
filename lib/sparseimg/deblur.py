"""Deblurring (section 2): the document's autograd + Newton-CG, faster solvers of the
same objective, and the classical deblurrers, all on one blur model.

The blur model
--------------
The source document blurs with a *full* linear convolution cropped back to the
image size (``convolve(u, k, mode='full')[h0:-h0, h1:-h1]``, ``h = (k − 1) // 2``):
pixels outside the image count as 0. :class:`LinearConvolution` applies exactly
this operator with real FFTs on a zero-padded grid large enough that nothing
wraps around; its adjoint is the zero-padded correlation. It is *not* a circular
convolution: :meth:`LinearConvolution.circular` gives the circular approximation
that FFT-only methods (scikit-image's Wiener filters, closed-form filters) assume.

The document's objective
------------------------
``F(u) = sqrt(½‖A u − b‖²) + μ · sqrt(½‖∇u‖²)`` (:class:`SquareRootLoss`), with
``∇`` the neighbour differences of :mod:`sparseimg.tv`. Both terms are norms
(``sqrt(½‖v‖²) = ‖v‖/√2``), so ``F`` is convex. At a minimizer with non-zero
residual and gradient the optimality condition
``Aᵀr / ‖r‖ + μ ∇ᵀ∇u / ‖∇u‖ = 0`` is the normal equation of the *squared*
(Tikhonov) loss ``½‖Au − b‖² + ½ λ ‖∇u‖²`` with ``λ* = μ ‖r‖ / ‖∇u‖``
(:func:`implicit_tikhonov_weight`): the square roots make the effective weight
follow the size of the residual, hence the noise level.

Solvers of the document's objective:

- :func:`solve_document` — the document's method: gradient by ``autograd``
  through ``autograd.scipy.signal.convolve``, ``scipy.optimize.minimize``
  with ``method='Newton-CG'`` (Hessian-vector products by finite differences of
  the gradient), from a seeded random start scaled by 1/10;
- :func:`minimize_loss` with ``method='L-BFGS-B'`` (analytic FFT gradient) or
  ``'Newton-CG'`` (analytic gradient and Hessian-vector product).

Other deblurrers (:data:`BOUNDARY_MODELS` says how each treats the border):
:func:`tikhonov_deblur` (squared loss, conjugate gradients), :func:`tv_deblur`
(isotropic TV, FISTA with the dual-FISTA TV prox), :func:`wiener_deblur`,
:func:`unsupervised_wiener_deblur`, :func:`richardson_lucy_deblur`
(scikit-image), :func:`richardson_lucy_normalized` (Richardson–Lucy with the
border normalization scikit-image's lacks), :func:`circular_tikhonov_deblur`
(closed form, circular model). :func:`run_method` runs any of :data:`METHODS` by
name; :func:`choose_by_sweep` picks a weight on a tuning image.

The notebook ``notebooks/02_deblurring.ipynb`` narrates and plots; the benchmark
``benchmarks/deblur_speed.py`` times the solvers of the document's objective.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.fft as sfft
from scipy.optimize import minimize

from ._linalg import inner, sq_norm
from ._validate import check_array, check_choice, check_dtype, check_int, check_real
from .fourier import FourierConvolution, transfer_from_kernel
from .images import center_crop, load_image
from .kernels import gaussian_psf
from .metrics import psnr
from .objectives import LeastSquares
from .solvers import History, conjugate_gradient, proximal_gradient
from .tv import GRADIENT_NORM_SQ_BOUND, TotalVariation, gradient, gradient_adjoint

__all__ = [
    "LinearConvolution",
    "SquareRootLoss",
    "GradientTikhonov",
    "DeblurProblem",
    "OptimizeRun",
    "METHODS",
    "BOUNDARY_MODELS",
    "TUNED_WEIGHTS",
    "SolverSettings",
    "MethodResult",
    "run_method",
    "choose_by_sweep",
    "prepare_image",
    "make_problem",
    "random_start",
    "document_objective_autograd",
    "solve_document",
    "minimize_loss",
    "implicit_tikhonov_weight",
    "tikhonov_deblur",
    "circular_tikhonov_deblur",
    "tv_deblur",
    "wiener_deblur",
    "unsupervised_wiener_deblur",
    "richardson_lucy_deblur",
    "richardson_lucy_normalized",
    "quality",
    "interior_psnr",
    "sweep",
    "document_psf",
]

#: The deblurrers compared in the notebook, in display order.
METHODS = (
    "document: autograd + Newton-CG",
    "L-BFGS, FFT gradient",
    "Newton-CG, FFT Hessian",
    "square-root loss, μ tuned",
    "Tikhonov (squared loss), CG",
    "TV, FISTA",
    "Wiener (skimage)",
    "unsupervised Wiener (skimage)",
    "Richardson–Lucy (skimage)",
    "Richardson–Lucy, border-normalized",
)

_EXACT = "exact: crop of the full convolution, zero outside the image"
#: How each method models the image border.
BOUNDARY_MODELS = {
    "document: autograd + Newton-CG": _EXACT,
    "L-BFGS, FFT gradient": _EXACT,
    "Newton-CG, FFT Hessian": _EXACT,
    "square-root loss, μ tuned": _EXACT,
    "Tikhonov (squared loss), CG": _EXACT,
    "TV, FISTA": _EXACT,
    "Wiener (skimage)": "circular: the image is treated as periodic",
    "unsupervised Wiener (skimage)": "circular: the image is treated as periodic",
    "Richardson–Lucy (skimage)": ("zero outside the image (scipy.signal.convolve mode='same'), but the update "
                                  "assumes Aᵀ1 = 1, which fails near the border"),
    "Richardson–Lucy, border-normalized": _EXACT + "; the update is divided by Aᵀ1",
}

#: Tuned weight of each method: ``(key in the weights dict, parameter name)``.
TUNED_WEIGHTS = {
    "square-root loss, μ tuned": ("sqrt_mu", "μ"),
    "Tikhonov (squared loss), CG": ("tikhonov", "λ"),
    "TV, FISTA": ("tv", "λ"),
    "Wiener (skimage)": ("wiener", "balance"),
    "Richardson–Lucy (skimage)": ("richardson_lucy", "iterations"),
    "Richardson–Lucy, border-normalized": ("richardson_lucy_normalized", "iterations"),
}


# ---------------------------------------------------------------------------------
# The blur operator
# ---------------------------------------------------------------------------------
class LinearConvolution:
    """Linear (non-circular) convolution cropped to the image size, by real FFTs.

    ``A u = (k * u)[o0 : o0 + n0, o1 : o1 + n1]`` with ``k * u`` the full linear
    convolution, shape ``(n0 + k0 − 1, n1 + k1 − 1)``, and ``o = (k − 1) // 2``:
    scipy's ``mode='same'`` and, for odd kernels, the source document's
    ``full[h0:-h0, h1:-h1]``. Pixels outside the image are 0.

    Parameters
    ----------
    psf : ndarray, shape (k0, k1)
        Convolution kernel (point-spread function).
    shape : (n0, n1)
        Image shape.
    dtype : {float64, float32}
        Working precision.
    workers : int
        Threads of ``scipy.fft``.

    Attributes
    ----------
    fft_shape : (p0, p1)
        Zero-padded FFT grid, ``p = next_fast_len(n + k − 1)``: no wrap-around.
    transfer : ndarray, shape (p0, p1 // 2 + 1), complex
        ``rfft2`` of the kernel on that grid.

    Notes
    -----
    ``adjoint`` places ``y`` at offset ``o`` on the padded grid, multiplies the
    spectrum by ``conj(transfer)`` (a correlation) and keeps the first
    ``(n0, n1)`` pixels; ``⟨A x, y⟩ = ⟨x, Aᵀ y⟩`` holds to round-off.

    Examples
    --------
    >>> import numpy as np, scipy.signal
    >>> k = np.arange(9.0).reshape(3, 3)
    >>> u = np.random.default_rng(0).random((6, 7))
    >>> op = LinearConvolution(k, u.shape)
    >>> bool(np.allclose(op.forward(u), scipy.signal.convolve(u, k, mode="same")))
    True
    """

    def __init__(self, psf: np.ndarray, shape: tuple[int, int], *, dtype=np.float64, workers: int = 1):
        k = check_array("psf", psf, ndim=2)
        if k.dtype.kind not in "iuf":
            raise TypeError(f"psf has dtype {k.dtype}: expected real values")
        self.shape = (check_int("shape[0]", shape[0], low=1), check_int("shape[1]", shape[1], low=1))
        self.dtype = check_dtype("dtype", dtype)
        self.workers = check_int("workers", workers, low=1)
        self.psf = np.array(k, dtype=np.float64)
        self.psf.flags.writeable = False
        self.offset = ((k.shape[0] - 1) // 2, (k.shape[1] - 1) // 2)
        self.fft_shape = tuple(sfft.next_fast_len(n + m - 1, real=True)
                               for n, m in zip(self.shape, k.shape))
        transfer = sfft.rfft2(self.psf, s=self.fft_shape)
        self.transfer = transfer.astype(np.complex64 if self.dtype == np.float32 else np.complex128)
        self._conj_transfer = np.conj(self.transfer)
        for arr in (self.transfer, self._conj_transfer):
            arr.flags.writeable = False

    def _check(self, x: np.ndarray, name: str) -> np.ndarray:
        x = np.asarray(x)
        if x.shape != self.shape:
            raise ValueError(f"{name} has shape {x.shape}: expected {self.shape}")
        return x.astype(self.dtype, copy=False)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``A x``, shape ``(n0, n1)``."""
        x = self._check(x, "x")
        full = sfft.irfft2(sfft.rfft2(x, s=self.fft_shape, workers=self.workers) * self.transfer,
                           s=self.fft_shape, workers=self.workers)
        (o0, o1), (n0, n1) = self.offset, self.shape
        return np.ascontiguousarray(full[o0:o0 + n0, o1:o1 + n1])

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        """``Aᵀ y``: zero-padded correlation with the kernel, shape ``(n0, n1)``."""
        y = self._check(y, "y")
        (o0, o1), (n0, n1) = self.offset, self.shape
        padded = np.zeros(self.fft_shape, dtype=self.dtype)
        padded[o0:o0 + n0, o1:o1 + n1] = y
        out = sfft.irfft2(sfft.rfft2(padded, workers=self.workers) * self._conj_transfer,
                          s=self.fft_shape, workers=self.workers)
        return np.ascontiguousarray(out[:n0, :n1])

    def normal(self, x: np.ndarray) -> np.ndarray:
        """``AᵀA x`` (two FFT pairs: the crop sits between them)."""
        return self.adjoint(self.forward(x))

    def lipschitz_constant(self) -> float:
        """Upper bound ``max |transfer|² >= ‖A‖²`` (cropping can only shrink the norm).

        For a non-negative kernel it equals ``(Σ k)²``, 1 for a normalized PSF.
        """
        return float(np.max(np.abs(self.transfer)) ** 2)

    def circular(self) -> FourierConvolution:
        """The circular convolution on the ``(n0, n1)`` grid with the same kernel centre."""
        return FourierConvolution(transfer_from_kernel(self.psf, self.shape, center=self.offset),
                                  self.shape, dtype=self.dtype, workers=self.workers)

    def __repr__(self) -> str:
        return (f"LinearConvolution(psf={self.psf.shape}, shape={self.shape}, "
                f"fft_shape={self.fft_shape}, dtype={self.dtype.name})")


# ---------------------------------------------------------------------------------
# Objectives
# ---------------------------------------------------------------------------------
def _sqrt_term(q: float, g: np.ndarray, mv: np.ndarray | None, v: np.ndarray | None):
    """Value, gradient and Hessian-vector product of ``sqrt(q)`` given ``∇q = g``, ``∇²q v = mv``."""
    s = math.sqrt(q)
    if s == 0.0:  # the norm is not differentiable at 0: take the zero subgradient
        return 0.0, np.zeros_like(g), (None if v is None else np.zeros_like(g))
    grad = g / (2.0 * s)
    if v is None:
        return s, grad, None
    hv = mv / (2.0 * s) - g * (inner(g, v) / (4.0 * q * s))
    return s, grad, hv


class SquareRootLoss:
    """The document's loss ``F(u) = sqrt(½‖A u − b‖²) + μ sqrt(½‖∇u‖²)``.

    Parameters
    ----------
    operator
        Blur operator with ``forward``/``adjoint`` on ``(n0, n1)`` images
        (normally :class:`LinearConvolution`).
    data : ndarray, shape (n0, n1)
        Blurred image ``b``.
    mu : float
        Weight of the smoothness term (the document: 0.2).

    Notes
    -----
    With ``q(u)`` a quadratic, ``∇ sqrt(q) = ∇q / (2 sqrt q)`` and
    ``∇² sqrt(q) = ∇²q / (2 sqrt q) − ∇q ∇qᵀ / (4 q^{3/2})``; here
    ``q_data = ½‖Au − b‖²`` (``∇q = Aᵀr``, ``∇²q = AᵀA``) and
    ``q_smooth = ½‖∇u‖²`` (``∇q = ∇ᵀ∇u``, ``∇²q = ∇ᵀ∇``). Where a norm is 0 the zero
    subgradient is used. Every method accepts ``u`` flat (``(n0 n1,)``, as
    ``scipy.optimize`` passes it) or 2-D and answers in the same shape.
    """

    def __init__(self, operator, data: np.ndarray, mu: float):
        self.operator = operator
        self.shape = tuple(operator.shape)
        self.data = check_array("data", data, shape=self.shape).astype(np.float64)
        self.mu = check_real("mu", mu, low=0.0)

    def _image(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=np.float64)
        if u.shape != self.shape and u.shape != (self.shape[0] * self.shape[1],):
            raise ValueError(f"u has shape {u.shape}: expected {self.shape} or ({self.shape[0] * self.shape[1]},)")
        return u.reshape(self.shape)

    def _terms(self, u2: np.ndarray, v2: np.ndarray | None):
        r = self.operator.forward(u2) - self.data
        q_data = 0.5 * sq_norm(r)
        g_data = self.operator.adjoint(r)
        mv_data = None if v2 is None else self.operator.normal(v2)
        s_data, grad_data, hv_data = _sqrt_term(q_data, g_data, mv_data, v2)
        du = gradient(u2)
        q_smooth = 0.5 * sq_norm(du)
        g_smooth = gradient_adjoint(du)
        mv_smooth = None if v2 is None else gradient_adjoint(gradient(v2))
        s_smooth, grad_smooth, hv_smooth = _sqrt_term(q_smooth, g_smooth, mv_smooth, v2)
        value = s_data + self.mu * s_smooth
        grad = grad_data + self.mu * grad_smooth
        hv = None if v2 is None else hv_data + self.mu * hv_smooth
        return value, grad, hv

    def value(self, u: np.ndarray) -> float:
        """``F(u)``."""
        u2 = self._image(u)
        r = self.operator.forward(u2) - self.data
        du = gradient(u2)
        return math.sqrt(0.5 * sq_norm(r)) + self.mu * math.sqrt(0.5 * sq_norm(du))

    def grad(self, u: np.ndarray) -> np.ndarray:
        """``∇F(u)`` (FFT-based, two FFT pairs)."""
        return self._terms(self._image(u), None)[1].reshape(np.shape(u))

    def value_and_grad(self, u: np.ndarray) -> tuple[float, np.ndarray]:
        """``(F(u), ∇F(u))`` sharing the residual."""
        value, grad, _ = self._terms(self._image(u), None)
        return value, grad.reshape(np.shape(u))

    def hessp(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Hessian-vector product ``∇²F(u) v`` (exact; see Notes)."""
        _, _, hv = self._terms(self._image(u), self._image(v))
        return hv.reshape(np.shape(v))

    def residual_and_gradient_norms(self, u: np.ndarray) -> tuple[float, float]:
        """``(‖A u − b‖, ‖∇u‖)``."""
        u2 = self._image(u)
        return float(np.linalg.norm(self.operator.forward(u2) - self.data)), float(np.linalg.norm(gradient(u2)))


class GradientTikhonov:
    """Squared loss ``f(u) = ½‖A u − b‖² + ½ lam ‖∇u‖²`` (a quadratic smooth term).

    Implements the smooth-term protocol of :mod:`sparseimg.objectives` and what
    :func:`sparseimg.solvers.conjugate_gradient` needs (``normal``,
    ``adjoint_data``, ``residual_norm_sq``).

    Parameters
    ----------
    operator
        Blur operator (``forward``, ``adjoint``, ``lipschitz_constant``).
    data : ndarray, shape (n0, n1)
    lam : float
        Weight of the smoothness term, ``>= 0``.
    """

    affine_gradient = True

    def __init__(self, operator, data: np.ndarray, lam: float):
        self.operator = operator
        self.data = check_array("data", data, shape=tuple(operator.shape)).astype(np.float64)
        self.lam = check_real("lam", lam, low=0.0)
        self.adjoint_data = operator.adjoint(self.data)

    def lipschitz_constant(self) -> float:
        return self.operator.lipschitz_constant() + self.lam * GRADIENT_NORM_SQ_BOUND

    def value_and_grad(self, u: np.ndarray) -> tuple[float, np.ndarray]:
        r = self.operator.forward(u) - self.data
        du = gradient(u)
        value = 0.5 * sq_norm(r) + 0.5 * self.lam * sq_norm(du)
        return value, self.operator.adjoint(r) + self.lam * gradient_adjoint(du)

    def value(self, u: np.ndarray) -> float:
        return self.value_and_grad(u)[0]

    def grad(self, u: np.ndarray) -> np.ndarray:
        return self.value_and_grad(u)[1]

    def normal(self, u: np.ndarray) -> np.ndarray:
        """``(AᵀA + lam ∇ᵀ∇) u``."""
        return self.operator.normal(u) + self.lam * gradient_adjoint(gradient(u))

    def residual_norm_sq(self) -> float:
        """``‖b‖²``."""
        return sq_norm(self.data)


def implicit_tikhonov_weight(loss: SquareRootLoss, u: np.ndarray) -> float:
    """``λ* = μ ‖A u − b‖ / ‖∇u‖``: the Tikhonov weight whose minimizer is ``u``.

    At the minimizer ``u`` of the document's :class:`SquareRootLoss`, ``u`` also
    minimizes :class:`GradientTikhonov` with ``lam = λ*`` (see the module
    docstring).
    """
    r_norm, g_norm = loss.residual_and_gradient_norms(u)
    if g_norm == 0:
        raise ValueError("u is constant (‖∇u‖ = 0): the implicit weight is undefined")
    return loss.mu * r_norm / g_norm


# ---------------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------------
def prepare_image(source: str, *, scale: float = 1.0 / 3.0, crop: int | None = None,
                  root=None) -> np.ndarray:
    """Greyscale test image as the document prepares it, optionally cropped.

    ``load_image(source, gray=True)``, then ``skimage.transform.rescale(image,
    scale, mode='constant')`` (scikit-image's default anti-aliasing when
    shrinking), then the central ``crop × crop`` window if ``crop`` is given.

    Parameters
    ----------
    source : str
        Packaged image name or PNG/JPEG path (see :func:`sparseimg.images.load_image`).
    scale : float
        Rescaling factor in (0, 1]; the document uses 1/3.
    crop : int, optional
        Side of the central window, after rescaling.

    Returns
    -------
    ndarray, float64, values in [0, 1]
    """
    from skimage.transform import rescale

    scale = check_real("scale", scale, low=0.0, high=1.0, low_open=True)
    image = load_image(source, gray=True, root=root)
    if scale != 1.0:
        image = rescale(image, scale, mode="constant")
    if crop is not None and crop > min(image.shape):
        raise ValueError(f"crop={crop!r} is not allowed: expected at most {min(image.shape)} "
                         f"(the rescaled image is {image.shape[0]}x{image.shape[1]})")
    return center_crop(image, crop)


@dataclass(frozen=True)
class DeblurProblem:
    """One deblurring problem: ``b = A u + n``.

    Attributes
    ----------
    image : ndarray, shape (n0, n1)
        Ground truth ``u``.
    psf : ndarray, shape (k0, k1)
    operator : LinearConvolution
    blurred : ndarray, shape (n0, n1)
        Observation ``b``.
    noise_sigma : float
        Standard deviation of the added Gaussian noise (0: noiseless).
    boundary : {'linear', 'circular'}
        How the data were blurred: the document's cropped full convolution, or
        (for control experiments) a circular convolution. ``operator`` is the
        linear one either way.
    """

    image: np.ndarray
    psf: np.ndarray
    operator: LinearConvolution
    blurred: np.ndarray
    noise_sigma: float
    boundary: str = "linear"


def make_problem(image: np.ndarray, psf: np.ndarray, *, noise_sigma: float = 0.0,
                 seed: int | None = None, boundary: str = "linear") -> DeblurProblem:
    """Blur ``image`` with the document's cropped full convolution and add noise.

    Parameters
    ----------
    image : ndarray, shape (n0, n1)
    psf : ndarray, shape (k0, k1)
    noise_sigma : float
        Standard deviation of white Gaussian noise, ``>= 0`` (image units).
    seed : int, optional
        Seed of ``numpy.random.default_rng`` for the noise; required when
        ``noise_sigma > 0``.
    boundary : {'linear', 'circular'}
        ``'linear'`` (the document): crop of the full convolution;
        ``'circular'``: periodic convolution, for control experiments.
    """
    image = check_array("image", image, ndim=2).astype(np.float64)
    noise_sigma = check_real("noise_sigma", noise_sigma, low=0.0)
    check_choice("boundary", boundary, ("linear", "circular"))
    operator = LinearConvolution(psf, image.shape)
    blurred = operator.forward(image) if boundary == "linear" else operator.circular().forward(image)
    if noise_sigma > 0:
        if seed is None:
            raise ValueError("seed=None is not allowed when noise_sigma > 0: expected an integer seed")
        blurred = blurred + noise_sigma * np.random.default_rng(seed).standard_normal(image.shape)
    return DeblurProblem(image=image, psf=operator.psf, operator=operator, blurred=blurred,
                         noise_sigma=noise_sigma, boundary=boundary)


def random_start(shape: tuple[int, int], seed: int) -> np.ndarray:
    """The document's start: standard normal pixels scaled by 1/10, flat ``(n0 n1,)``."""
    return np.random.default_rng(seed).standard_normal(shape[0] * shape[1]) / 10.0


# ---------------------------------------------------------------------------------
# Solvers of the document's objective
# ---------------------------------------------------------------------------------
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


class _Recorder:
    """scipy callback that records objective/PSNR and keeps monitoring out of the timing."""

    def __init__(self, history: History, objective, reference, shape):
        self.history, self.objective, self.reference, self.shape = history, objective, reference, shape
        self.elapsed = 0.0
        self._t0 = time.perf_counter()

    def __call__(self, xk):
        self.elapsed += time.perf_counter() - self._t0
        self.history.objective.append(float(self.objective(xk)))
        self.history.time.append(self.elapsed)
        if self.reference is not None:
            self.history.psnr.append(psnr(self.reference, np.reshape(xk, self.shape), data_range=1.0))
        self._t0 = time.perf_counter()


def _run_minimize(fun, x0, *, shape, method, jac, hessp=None, options, track_objective=None,
                  reference=None) -> tuple[np.ndarray, OptimizeRun]:
    run = OptimizeRun()
    callback = None
    if track_objective is not None:
        recorder = _Recorder(run.history, track_objective, reference, shape)
        recorder(x0)
        callback = recorder
    res = minimize(fun, x0, jac=jac, hessp=hessp, method=method, options=options, callback=callback)
    run.n_iter, run.n_fev = int(res.nit), int(res.nfev)
    run.n_jev = int(getattr(res, "njev", 0) or 0)
    run.n_hev = int(getattr(res, "nhev", 0) or 0)
    run.objective = float(res.fun)
    run.message, run.success = str(res.message), bool(res.success)
    run.history.converged = run.success
    return np.reshape(res.x, shape), run


def document_objective_autograd(blurred: np.ndarray, psf: np.ndarray, mu: float):
    """The document's loss written for ``autograd``, as a function of flat pixels.

    Convolution by ``autograd.scipy.signal.convolve(u, psf, mode='full')``
    cropped by ``(k − 1) // 2`` on each side, differences of neighbouring pixels,
    ``sqrt(½ Σ r²) + mu · sqrt(½ Σ (Δu)²)``.

    Returns
    -------
    callable
        ``objective(params) -> float`` with ``params`` of shape ``(n0 n1,)``,
        differentiable by ``autograd.grad``.
    """
    import autograd.numpy as anp
    from autograd.scipy.signal import convolve

    b = check_array("blurred", blurred, ndim=2).astype(np.float64)
    k = check_array("psf", psf, ndim=2).astype(np.float64)
    mu = check_real("mu", mu, low=0.0)
    (n0, n1), (o0, o1) = b.shape, ((k.shape[0] - 1) // 2, (k.shape[1] - 1) // 2)

    def objective(params):
        u = anp.reshape(params, (n0, n1))
        r = convolve(u, k, mode="full")[o0:o0 + n0, o1:o1 + n1] - b
        data_term = anp.sqrt(0.5 * anp.sum(r * r))
        smooth = 0.5 * (anp.sum((u[1:, :] - u[:-1, :]) ** 2) + anp.sum((u[:, 1:] - u[:, :-1]) ** 2))
        return data_term + mu * anp.sqrt(smooth)

    return objective


def solve_document(problem: DeblurProblem, *, mu: float = 0.2, seed: int = 0, xtol: float = 1e-5,
                   maxiter: int | None = None, reference: np.ndarray | None = None,
                   track: bool = False) -> tuple[np.ndarray, OptimizeRun]:
    """The document's method: autograd gradient + ``scipy.optimize.minimize(method='Newton-CG')``.

    Parameters
    ----------
    problem : DeblurProblem
    mu : float
        Smoothness weight (document: 0.2).
    seed : int
        Seed of the random start (:func:`random_start`).
    xtol : float
        Newton-CG's ``xtol`` (scipy's default 1e-5, as in the document).
    maxiter : int, optional
        Newton-CG's iteration cap (scipy's default ``200 n`` if None).
    reference : ndarray, optional
        Ground truth for the PSNR history.
    track : bool
        Record objective (computed with the FFT loss, outside the timing) and
        PSNR at every iteration.

    Returns
    -------
    u : ndarray, shape (n0, n1)
    run : OptimizeRun
    """
    from autograd import grad

    fun = document_objective_autograd(problem.blurred, problem.psf, mu)
    x0 = random_start(problem.blurred.shape, seed)
    tracked = SquareRootLoss(problem.operator, problem.blurred, mu).value if track else None
    options = {"xtol": check_real("xtol", xtol, low=0.0, low_open=True)}
    if maxiter is not None:
        options["maxiter"] = check_int("maxiter", maxiter, low=1)
    return _run_minimize(fun, x0, shape=problem.blurred.shape, method="Newton-CG", jac=grad(fun),
                         options=options, track_objective=tracked, reference=reference)


_METHOD_OPTIONS = {
    "L-BFGS-B": ("gtol", "ftol", "maxiter", "maxcor"),
    "Newton-CG": ("xtol", "maxiter"),
}


def minimize_loss(loss: SquareRootLoss, x0: np.ndarray, *, method: str = "L-BFGS-B",
                  exact_hessian: bool = True, reference: np.ndarray | None = None, track: bool = False,
                  **options) -> tuple[np.ndarray, OptimizeRun]:
    """Minimize the document's objective with analytic (FFT) derivatives.

    Parameters
    ----------
    loss : SquareRootLoss
    x0 : ndarray, shape (n0 n1,) or (n0, n1)
        Start (use :func:`random_start` for the document's).
    method : {'L-BFGS-B', 'Newton-CG'}
        ``'L-BFGS-B'`` uses ``value_and_grad``; ``'Newton-CG'`` uses ``value``,
        ``grad`` and, with ``exact_hessian``, the exact ``hessp``.
    exact_hessian : bool
        Newton-CG only: if False, scipy approximates Hessian-vector products by
        finite differences of the gradient (as in the document's run).
    reference : ndarray, optional
        Ground truth for the PSNR history.
    track : bool
        Record objective and PSNR per iteration (outside the timing).
    **options
        Passed to scipy: ``gtol``, ``ftol``, ``maxiter``, ``maxcor`` (L-BFGS-B) or
        ``xtol``, ``maxiter`` (Newton-CG).

    Returns
    -------
    u : ndarray, shape (n0, n1)
    run : OptimizeRun
    """
    check_choice("method", method, tuple(_METHOD_OPTIONS))
    unknown = [k for k in options if k not in _METHOD_OPTIONS[method]]
    if unknown:
        raise ValueError(f"{unknown[0]}={options[unknown[0]]!r} is not an option of method={method!r}: "
                         f"expected one of {', '.join(_METHOD_OPTIONS[method])}")
    x0 = np.asarray(x0, dtype=np.float64).ravel()
    tracked = loss.value if track else None
    if method == "L-BFGS-B":
        return _run_minimize(loss.value_and_grad, x0, shape=loss.shape, method=method, jac=True,
                             options=options, track_objective=tracked, reference=reference)
    return _run_minimize(loss.value, x0, shape=loss.shape, method=method, jac=loss.grad,
                         hessp=loss.hessp if exact_hessian else None, options=options,
                         track_objective=tracked, reference=reference)


# ---------------------------------------------------------------------------------
# Other deblurrers
# ---------------------------------------------------------------------------------
def tikhonov_deblur(problem: DeblurProblem, lam: float, *, n_iter: int = 500, tol: float = 1e-6,
                    reference: np.ndarray | None = None) -> tuple[np.ndarray, History]:
    """Squared loss ``½‖Au − b‖² + ½ lam ‖∇u‖²`` by conjugate gradients from ``b``.

    Exact boundary model. Stops when the normal-equation residual falls below
    ``tol · ‖Aᵀb‖`` or after ``n_iter`` iterations.
    """
    smooth = GradientTikhonov(problem.operator, problem.blurred, lam)
    return conjugate_gradient(smooth, problem.blurred.copy(), n_iter=n_iter, tol=tol, reference=reference)


def circular_tikhonov_deblur(problem: DeblurProblem, lam: float) -> np.ndarray:
    """Closed-form minimizer of ``½‖Hu − b‖² + ½ lam ‖∇u‖²`` with *circular* ``H`` and ``∇``.

    ``u = irfft2(conj(H) B / (|H|² + lam |G|²))`` with ``|G|²`` the transfer of
    the periodic Laplacian. This is what an FFT-only method computes; applied to
    the document's non-circular data it shows the cost of the circular
    approximation (compare with :func:`tikhonov_deblur` at the same ``lam``).
    """
    lam = check_real("lam", lam, low=0.0)
    circ = problem.operator.circular()
    n0, n1 = circ.shape
    f0 = np.fft.fftfreq(n0)[:, None]
    f1 = np.fft.rfftfreq(n1)[None, :]
    laplacian = 4.0 * np.sin(np.pi * f0) ** 2 + 4.0 * np.sin(np.pi * f1) ** 2
    denominator = circ.power + lam * laplacian
    denominator[0, 0] = max(denominator[0, 0], np.finfo(np.float64).tiny)
    return circ.apply_filter(problem.blurred, np.conj(circ.transfer) / denominator)


def tv_deblur(problem: DeblurProblem, lam: float, *, n_iter: int = 200, inner_iter: int = 20,
              inner_tol: float = 1e-5, tol: float = 1e-6, x0: np.ndarray | None = None,
              reference: np.ndarray | None = None, progress: bool = False) -> tuple[np.ndarray, History]:
    """Isotropic TV deblurring ``½‖Au − b‖² + lam · TV(u)`` by FISTA.

    Runs :func:`sparseimg.solvers.proximal_gradient` (accelerated) on
    :class:`~sparseimg.objectives.LeastSquares` with the exact blur operator and
    :class:`~sparseimg.tv.TotalVariation`, whose prox is itself dual FISTA
    (``inner_iter`` iterations at most, cold-started). Starts from ``b``.
    """
    smooth = LeastSquares(problem.operator, problem.blurred)
    start = problem.blurred.copy() if x0 is None else np.array(x0, dtype=np.float64)
    return proximal_gradient(smooth, TotalVariation(lam, n_iter=inner_iter, tol=inner_tol), start,
                             n_iter=n_iter, tol=tol, accelerate=True, reference=reference,
                             progress=progress, desc="TV FISTA")


def wiener_deblur(problem: DeblurProblem, balance: float) -> np.ndarray:
    """scikit-image's Wiener–Hunt filter (``skimage.restoration.wiener``), circular model."""
    from skimage.restoration import wiener

    balance = check_real("balance", balance, low=0.0, low_open=True)
    return wiener(problem.blurred, problem.psf, balance, clip=False)


def unsupervised_wiener_deblur(problem: DeblurProblem, *, seed: int) -> tuple[np.ndarray, dict]:
    """scikit-image's unsupervised Wiener–Hunt (Gibbs sampler), seeded; circular model.

    Returns the posterior-mean image and the sampler's chains (``'noise'``,
    ``'prior'`` precisions).
    """
    from skimage.restoration import unsupervised_wiener

    return unsupervised_wiener(problem.blurred, problem.psf, clip=False,
                               rng=np.random.default_rng(check_int("seed", seed, low=0)))


def richardson_lucy_deblur(problem: DeblurProblem, n_iter: int) -> np.ndarray:
    """scikit-image's Richardson–Lucy with ``n_iter`` iterations (zero-padded 'same' model).

    Richardson–Lucy assumes non-negative data (a Poisson model): the observation
    is clipped at 0 first (noise makes some dark pixels negative).
    """
    from skimage.restoration import richardson_lucy

    n_iter = check_int("n_iter", n_iter, low=1)
    return richardson_lucy(np.clip(problem.blurred, 0.0, None), problem.psf, num_iter=n_iter, clip=False)


def richardson_lucy_normalized(problem: DeblurProblem, n_iter: int, *, start: float = 0.5,
                               eps: float = 1e-12) -> np.ndarray:
    """Richardson–Lucy with the border normalization ``u ← u / (Aᵀ1) · Aᵀ(b / A u)``.

    The expectation-maximization iteration for Poisson data under the exact blur
    ``A`` (crop of the full convolution). On a bounded image ``Aᵀ1 < 1`` near the
    border (part of the light falls outside), and without the division by ``Aᵀ1``
    — as in :func:`skimage.restoration.richardson_lucy` — border pixels grow without
    bound as iterations go on. Same start (constant ``start``), clipping of the
    data at 0 and ``eps`` as scikit-image's, so the normalization is the only
    difference.

    Parameters
    ----------
    problem : DeblurProblem
    n_iter : int
        Number of iterations (early stopping is the regularization).
    start : float
        Constant initial image, > 0.
    eps : float
        Added to ``A u`` before dividing.

    Returns
    -------
    ndarray, shape (n0, n1)
    """
    n_iter = check_int("n_iter", n_iter, low=1)
    start = check_real("start", start, low=0.0, low_open=True)
    op = problem.operator
    data = np.clip(problem.blurred, 0.0, None)
    scale = op.adjoint(np.ones(op.shape))
    u = np.full(op.shape, start)
    for _ in range(n_iter):
        u *= op.adjoint(data / (op.forward(u) + eps))
        u /= scale
    return u


# ---------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------
def quality(reference: np.ndarray, estimate: np.ndarray) -> dict[str, float]:
    """``{'psnr': dB, 'ssim': …}`` of an estimate, both with ``data_range = 1``.

    SSIM is ``skimage.metrics.structural_similarity`` (7×7 uniform window).
    """
    from skimage.metrics import structural_similarity

    ref = np.asarray(reference, dtype=np.float64)
    est = np.asarray(estimate, dtype=np.float64)
    return {"psnr": psnr(ref, est, data_range=1.0),
            "ssim": float(structural_similarity(ref, est, data_range=1.0))}


def interior_psnr(reference: np.ndarray, estimate: np.ndarray, margin: int) -> float:
    """PSNR (dB, ``data_range = 1``) on the image without a border of ``margin`` pixels."""
    ref = np.asarray(reference)
    margin = check_int("margin", margin, low=0, high=(min(ref.shape) - 1) // 2)
    window = (slice(margin, ref.shape[0] - margin), slice(margin, ref.shape[1] - margin))
    return psnr(ref[window], np.asarray(estimate)[window], data_range=1.0)


def sweep(solve, values, reference: np.ndarray) -> list[float]:
    """PSNR (dB) of ``solve(value)`` against ``reference`` for each value.

    ``solve`` returns an image or a tuple whose first item is the image.
    """
    out = []
    for value in values:
        result = solve(value)
        image = result[0] if isinstance(result, tuple) else result
        out.append(psnr(reference, image, data_range=1.0))
    return out


def choose_by_sweep(solve, values, reference: np.ndarray) -> tuple[object, list[float]]:
    """The value of ``values`` whose ``solve(value)`` has the highest PSNR, and all PSNRs.

    Used on a *tuning* image (its reference is known), never on the image the
    results are reported for. Ties go to the first value.
    """
    values = list(values)
    if not values:
        raise ValueError("values=[] is not allowed: expected at least one value to sweep")
    scores = sweep(solve, values, reference)
    return values[int(np.argmax(scores))], scores


@dataclass(frozen=True)
class SolverSettings:
    """Iteration budgets and tolerances shared by the notebook, the benchmark and the tests.

    Attributes
    ----------
    mu : float
        The document's smoothness weight.
    seed : int
        Seed of the document's random start (also used by the fast solvers and
        the unsupervised Wiener sampler).
    lbfgs_gtol : float
        L-BFGS-B projected-gradient tolerance (``ftol`` is ``lbfgs_gtol²``).
    newton_xtol : float
        Newton-CG ``xtol`` of the analytic-Hessian solver.
    cg_iter, cg_tol : int, float
        Conjugate-gradient budget of the Tikhonov solver.
    tv_iter, tv_inner_iter : int
        Outer FISTA iterations and dual iterations per TV prox.
    """

    mu: float = 0.2
    seed: int = 0
    lbfgs_gtol: float = 1e-6
    newton_xtol: float = 1e-5
    cg_iter: int = 500
    cg_tol: float = 1e-6
    tv_iter: int = 150
    tv_inner_iter: int = 5


@dataclass
class MethodResult:
    """One deblurrer's output.

    Attributes
    ----------
    estimate : ndarray, shape (n0, n1)
    seconds : float
        Solver time (monitoring excluded for tracked iterative methods).
    history : History or None
        Per-iteration objective/time/PSNR of iterative methods (when tracked).
    details : dict
        Deterministic counts (iterations, evaluations) and the weight used.
    """

    estimate: np.ndarray
    seconds: float
    history: History | None = None
    details: dict = field(default_factory=dict)


def _run_details(run: OptimizeRun) -> dict:
    return {"iterations": run.n_iter, "function_evaluations": run.n_fev,
            "gradient_evaluations": run.n_jev, "hessian_vector_products": run.n_hev,
            "objective": run.objective}


def run_method(name: str, problem: DeblurProblem, *, weights: dict | None = None,
               settings: SolverSettings = SolverSettings(), track: bool = False) -> MethodResult:
    """Run one of :data:`METHODS` on ``problem``.

    Parameters
    ----------
    name : str
        One of :data:`METHODS`.
    problem : DeblurProblem
    weights : dict
        Tuned weights, keys of :data:`TUNED_WEIGHTS` (``'sqrt_mu'``, ``'tikhonov'``,
        ``'tv'``, ``'wiener'``, ``'richardson_lucy'``); only the one ``name`` needs.
    settings : SolverSettings
    track : bool
        Record per-iteration histories (objective, time, PSNR against
        ``problem.image``) of the iterative methods.

    Returns
    -------
    MethodResult
    """
    check_choice("name", name, METHODS)
    weights = weights or {}
    if name in TUNED_WEIGHTS:
        key = TUNED_WEIGHTS[name][0]
        if key not in weights:
            raise ValueError(f"weights has no {key!r} entry: method {name!r} needs its tuned weight")
        weight = weights[key]
    reference = problem.image if track else None
    start = time.perf_counter()
    history, details = None, {}
    x0 = random_start(problem.blurred.shape, settings.seed)
    if name == "document: autograd + Newton-CG":
        estimate, run = solve_document(problem, mu=settings.mu, seed=settings.seed,
                                       reference=reference, track=track)
        history, details = run.history, _run_details(run)
    elif name in ("L-BFGS, FFT gradient", "square-root loss, μ tuned"):
        mu = settings.mu if name == "L-BFGS, FFT gradient" else weight
        loss = SquareRootLoss(problem.operator, problem.blurred, mu)
        estimate, run = minimize_loss(loss, x0, method="L-BFGS-B", gtol=settings.lbfgs_gtol,
                                      ftol=settings.lbfgs_gtol ** 2, maxiter=20000,
                                      reference=reference, track=track)
        history, details = run.history, _run_details(run)
    elif name == "Newton-CG, FFT Hessian":
        loss = SquareRootLoss(problem.operator, problem.blurred, settings.mu)
        estimate, run = minimize_loss(loss, x0, method="Newton-CG", xtol=settings.newton_xtol,
                                      reference=reference, track=track)
        history, details = run.history, _run_details(run)
    elif name == "Tikhonov (squared loss), CG":
        estimate, history = tikhonov_deblur(problem, weight, n_iter=settings.cg_iter, tol=settings.cg_tol,
                                            reference=reference)
        details = {"iterations": history.n_iter}
    elif name == "TV, FISTA":
        estimate, history = tv_deblur(problem, weight, n_iter=settings.tv_iter,
                                      inner_iter=settings.tv_inner_iter, tol=0.0, reference=reference)
        details = {"iterations": history.n_iter}
    elif name == "Wiener (skimage)":
        estimate = wiener_deblur(problem, weight)
    elif name == "unsupervised Wiener (skimage)":
        estimate, chains = unsupervised_wiener_deblur(problem, seed=settings.seed)
        details = {"iterations": len(chains["noise"])}
    elif name == "Richardson–Lucy (skimage)":
        estimate = richardson_lucy_deblur(problem, int(weight))
        details = {"iterations": int(weight)}
    else:  # Richardson–Lucy, border-normalized
        estimate = richardson_lucy_normalized(problem, int(weight))
        details = {"iterations": int(weight)}
    seconds = time.perf_counter() - start
    if history is not None and history.time:
        seconds = history.time[-1]
        if not track:
            history = None
    if name in TUNED_WEIGHTS:
        details["weight"] = weight
    return MethodResult(estimate=np.asarray(estimate, dtype=np.float64), seconds=seconds,
                        history=history, details=details)


def document_psf(size: int = 13, sigma: tuple[float, float] = (1.0, 3.0)) -> np.ndarray:
    """The document's PSF: :func:`sparseimg.kernels.gaussian_psf` (13×13, σ = (1, 3))."""
    return gaussian_psf(size, sigma)


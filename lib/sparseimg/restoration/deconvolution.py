"""Deconvolution: arrays and operators in, images out.

- closed-form filters on the ``rfft2`` half grid: the section-1 document's band-masked
  inverse filter (:func:`masked_inverse_filter`), circular Tikhonov
  (:func:`circular_tikhonov_deblur`);
- the section-2 document's method, its square-root loss minimized by autograd +
  Newton-CG (:func:`solve_document`), and the same loss with analytic FFT derivatives
  (:func:`minimize_loss`);
- Tikhonov with a gradient prior by conjugate gradients (:func:`tikhonov_deblur`), TV by
  FISTA (:func:`tv_deblur`), wavelet sparsity by ISTA/FISTA in synthesis or (translation-invariant)
  analysis form (:func:`wavelet_deblur`), Richardson–Lucy with the border normalization
  (:func:`richardson_lucy_normalized`), and scikit-image's Wiener, unsupervised Wiener
  and Richardson–Lucy as peers.

A user with a blurred photo and a PSF calls them directly::

    >>> import numpy as np
    >>> from sparseimg.kernels import gaussian_psf
    >>> from sparseimg.operators import LinearConvolution
    >>> psf = gaussian_psf(9, (1.5, 1.5))
    >>> blurred = LinearConvolution(psf, (64, 64)).forward(np.eye(64))
    >>> restored, history = tv_deblur(blurred, LinearConvolution(psf, blurred.shape), lam=1e-3, n_iter=20)
    >>> restored.shape
    (64, 64)
"""

from __future__ import annotations

import numpy as np

from sparseimg.contracts import PenaltyBase
from sparseimg._validate import check_array, check_choice, check_int, check_real
from sparseimg.optim.objectives import GradientTikhonov, LeastSquares, SquareRootLoss
from sparseimg.operators.base import Composition, Synthesis
from sparseimg.operators.convolution import LinearConvolution
from sparseimg.operators.fourier import FourierConvolution
from sparseimg.operators.lifting import WaveletTransform
from sparseimg.optim.prox import L1Norm
from sparseimg.optim.solvers import History, OptimizeRun, conjugate_gradient, proximal_gradient, scipy_minimize
from sparseimg.optim.tv import TotalVariation

__all__ = [
    "band_mask", "masked_inverse_filter", "half_grid_radius",
    "random_start", "document_objective_autograd", "solve_document", "minimize_loss",
    "tikhonov_deblur", "circular_tikhonov_deblur", "tv_deblur", "wiener_deblur", "unsupervised_wiener_deblur",
    "richardson_lucy_deblur", "richardson_lucy_normalized", "WaveletShrinkageProx", "wavelet_deblur",
]


def half_grid_radius(shape: tuple[int, int]) -> np.ndarray:
    """Radial frequency (cycles/pixel) on the ``rfft2`` half grid of ``shape``."""
    f0 = np.fft.fftfreq(shape[0])[:, None]
    f1 = np.fft.rfftfreq(shape[1])[None, :]
    return np.sqrt(f0 ** 2 + f1 ** 2)


def band_mask(radius: np.ndarray, *, low_cut: float = 0.05, high_cut: float = 0.45,
              low_width: float = 0.01, high_width: float = 0.025) -> np.ndarray:
    """Smooth band-pass mask: logistic rise at ``low_cut``, logistic fall at ``high_cut``.

    ``mask = σ((r − low_cut) / low_width) · σ((high_cut − r) / high_width)`` with
    ``σ`` the logistic function; 1 in the band, 0 outside.
    """
    low_cut = check_real("low_cut", low_cut, low=0.0)
    high_cut = check_real("high_cut", high_cut, low=low_cut, low_open=True)
    low_width = check_real("low_width", low_width, low=0.0, low_open=True)
    high_width = check_real("high_width", high_width, low=0.0, low_open=True)
    rise = 0.5 * (1.0 + np.tanh(0.5 * (radius - low_cut) / low_width))  # = logistic, no overflow
    fall = 0.5 * (1.0 + np.tanh(0.5 * (high_cut - radius) / high_width))
    return rise * fall


def masked_inverse_filter(operator: FourierConvolution, *, eps: float = 2e-6, low_cut: float = 0.05,
                          high_cut: float = 0.45, low_width: float = 0.01, high_width: float = 0.025,
                          unit_gain: bool = True) -> np.ndarray:
    """The source document's regularized inverse filter, on the half grid.

    ``F = conj(H) / (|H|² + eps · (1 − mask))`` where ``mask`` is :func:`band_mask`:
    inside the band the filter inverts ``H`` exactly, outside it is damped by
    ``eps``. With ``unit_gain`` the filter is scaled so that the mean of the
    effective transfer ``H · F`` over the full grid is 1, as in the document.

    Returns
    -------
    ndarray, shape (n0, n1 // 2 + 1)
        Apply with ``operator.apply_filter(image, F)``.
    """
    eps = check_real("eps", eps, low=0.0, low_open=True)
    h = operator.transfer.astype(np.complex128 if np.iscomplexobj(operator.transfer) else np.float64)
    mask = band_mask(half_grid_radius(operator.shape), low_cut=low_cut, high_cut=high_cut,
                     low_width=low_width, high_width=high_width)
    filt = np.conj(h) / (np.abs(h) ** 2 + eps * (1.0 - mask))
    if unit_gain:
        gain = _full_grid_mean((h * filt).real, operator.shape[1])
        filt = filt / gain
    return filt.astype(operator.dtype if np.isrealobj(filt) else np.result_type(operator.dtype, np.complex64))


def _full_grid_mean(half: np.ndarray, n1: int) -> float:
    """Mean over the full grid of a Hermitian-symmetric real array given on the half grid."""
    weights = np.full(half.shape[1], 2.0)
    weights[0] = 1.0
    if n1 % 2 == 0:
        weights[-1] = 1.0
    return float((half * weights).sum() / (half.shape[0] * n1))


def random_start(shape: tuple[int, int], seed: int) -> np.ndarray:
    """The document's start: standard normal pixels scaled by 1/10, flat ``(n0 n1,)``."""
    return np.random.default_rng(seed).standard_normal(shape[0] * shape[1]) / 10.0


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


def solve_document(blurred: np.ndarray, psf: np.ndarray, *, mu: float = 0.2, seed: int = 0, xtol: float = 1e-5,
                   maxiter: int | None = None, reference: np.ndarray | None = None,
                   track: bool = False) -> tuple[np.ndarray, OptimizeRun]:
    """The document's method: autograd gradient + ``scipy.optimize.minimize(method='Newton-CG')``.

    Parameters
    ----------
    blurred : ndarray, shape (n0, n1)
    psf : ndarray, shape (k0, k1)
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

    blurred = check_array("blurred", blurred, ndim=2).astype(np.float64)
    fun = document_objective_autograd(blurred, psf, mu)
    x0 = random_start(blurred.shape, seed)
    tracked = SquareRootLoss(LinearConvolution(psf, blurred.shape), blurred, mu).value if track else None
    options = {"xtol": check_real("xtol", xtol, low=0.0, low_open=True)}
    if maxiter is not None:
        options["maxiter"] = check_int("maxiter", maxiter, low=1)
    return scipy_minimize(fun, x0, shape=blurred.shape, method="Newton-CG", jac=grad(fun), options=options,
                          track_objective=tracked, reference=reference, data_range=1.0)


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
        return scipy_minimize(loss.value_and_grad, x0, shape=loss.shape, method=method, jac=True,
                              options=options, track_objective=tracked, reference=reference, data_range=1.0)
    return scipy_minimize(loss.value, x0, shape=loss.shape, method=method, jac=loss.grad,
                          hessp=loss.hessp if exact_hessian else None, options=options,
                          track_objective=tracked, reference=reference, data_range=1.0)


def tikhonov_deblur(blurred: np.ndarray, operator, lam: float, *, n_iter: int = 500, tol: float = 1e-6,
                    reference: np.ndarray | None = None) -> tuple[np.ndarray, History]:
    """Squared loss ``½‖Au − b‖² + ½ lam ‖∇u‖²`` by conjugate gradients from ``b``.

    Exact boundary model. Stops when the normal-equation residual falls below
    ``tol · ‖Aᵀb‖`` or after ``n_iter`` iterations.
    """
    smooth = GradientTikhonov(operator, blurred, lam)
    return conjugate_gradient(smooth, np.array(blurred, dtype=np.float64), n_iter=n_iter, tol=tol,
                              reference=reference)


def circular_tikhonov_deblur(blurred: np.ndarray, operator, lam: float) -> np.ndarray:
    """Closed-form minimizer of ``½‖Hu − b‖² + ½ lam ‖∇u‖²`` with *circular* ``H`` and ``∇``.

    ``u = irfft2(conj(H) B / (|H|² + lam |G|²))`` with ``|G|²`` the transfer of
    the periodic Laplacian. This is what an FFT-only method computes; applied to
    the document's non-circular data it shows the cost of the circular
    approximation (compare with :func:`tikhonov_deblur` at the same ``lam``). ``operator`` is a
    :class:`~sparseimg.operators.LinearConvolution` (its ``circular()`` version is used) or a
    :class:`~sparseimg.operators.FourierConvolution` (which is its own ``circular()``).
    """
    lam = check_real("lam", lam, low=0.0)
    circ = operator.circular()
    n0, n1 = circ.shape
    f0 = np.fft.fftfreq(n0)[:, None]
    f1 = np.fft.rfftfreq(n1)[None, :]
    laplacian = 4.0 * np.sin(np.pi * f0) ** 2 + 4.0 * np.sin(np.pi * f1) ** 2
    denominator = circ.power + lam * laplacian
    denominator[0, 0] = max(denominator[0, 0], np.finfo(np.float64).tiny)
    return circ.apply_filter(blurred, np.conj(circ.transfer) / denominator)


def tv_deblur(blurred: np.ndarray, operator, lam: float, *, n_iter: int = 200, inner_iter: int = 20,
              inner_tol: float = 1e-5, tol: float = 1e-6, x0: np.ndarray | None = None,
              reference: np.ndarray | None = None, progress: bool = False) -> tuple[np.ndarray, History]:
    """Isotropic TV deblurring ``½‖Au − b‖² + lam · TV(u)`` by FISTA.

    Runs :func:`sparseimg.optim.solvers.proximal_gradient` (accelerated) on
    :class:`~sparseimg.optim.objectives.LeastSquares` with the exact blur operator and
    :class:`~sparseimg.optim.tv.TotalVariation`, whose prox is itself dual FISTA
    (``inner_iter`` iterations at most, cold-started). Starts from ``b``.
    """
    smooth = LeastSquares(operator, blurred)
    start = np.array(blurred if x0 is None else x0, dtype=np.float64)
    return proximal_gradient(smooth, TotalVariation(lam, n_iter=inner_iter, tol=inner_tol), start,
                             n_iter=n_iter, tol=tol, accelerate=True, reference=reference,
                             progress=progress, desc="TV FISTA")


def wiener_deblur(blurred: np.ndarray, psf: np.ndarray, balance: float) -> np.ndarray:
    """scikit-image's Wiener–Hunt filter (``skimage.restoration.wiener``), circular model."""
    from skimage.restoration import wiener

    balance = check_real("balance", balance, low=0.0, low_open=True)
    return wiener(blurred, psf, balance, clip=False)


def unsupervised_wiener_deblur(blurred: np.ndarray, psf: np.ndarray, *, seed: int) -> tuple[np.ndarray, dict]:
    """scikit-image's unsupervised Wiener–Hunt (Gibbs sampler), seeded; circular model.

    Returns the posterior-mean image and the sampler's chains (``'noise'``,
    ``'prior'`` precisions).
    """
    from skimage.restoration import unsupervised_wiener

    return unsupervised_wiener(blurred, psf, clip=False,
                               rng=np.random.default_rng(check_int("seed", seed, low=0)))


def richardson_lucy_deblur(blurred: np.ndarray, psf: np.ndarray, n_iter: int) -> np.ndarray:
    """scikit-image's Richardson–Lucy with ``n_iter`` iterations (zero-padded 'same' model).

    Richardson–Lucy assumes non-negative data (a Poisson model): the observation
    is clipped at 0 first (noise makes some dark pixels negative).
    """
    from skimage.restoration import richardson_lucy

    n_iter = check_int("n_iter", n_iter, low=1)
    return richardson_lucy(np.clip(blurred, 0.0, None), psf, num_iter=n_iter, clip=False)


def richardson_lucy_normalized(blurred: np.ndarray, operator, n_iter: int, *, start: float = 0.5,
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
    blurred : ndarray, shape (n0, n1)
    operator : LinearConvolution
        The exact blur (crop of the full convolution).
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
    op = operator
    data = np.clip(blurred, 0.0, None)
    scale = op.adjoint(np.ones(op.shape))
    u = np.full(op.shape, start)
    for _ in range(n_iter):
        u *= op.adjoint(data / (op.forward(u) + eps))
        u /= scale
    return u


class WaveletShrinkageProx(PenaltyBase):
    """``prox(x, step)``: soft-threshold the detail bands of ``W x`` at ``lam · step``, synthesize;
    with ``shifts > 1`` averaged over ``shifts × shifts`` cycle spins (translation-invariant).

    For an orthonormal ``W`` (Haar on sides divisible by ``2^levels``) and one shift this is the
    exact prox of ``lam ‖(W x)_details‖₁``; for the biorthogonal wavelets and for cycle spinning it
    is the usual shrinkage step of the analysis form, not the prox of a known penalty, so
    ``has_value`` is False and solvers record no objective.
    """

    has_value = False

    def __init__(self, lam: float, *, wavelet="cdf97", levels: int = 4, boundary: str = "periodic", shifts: int = 1):
        from sparseimg.restoration import shrinkage

        self.lam = check_real("lam", lam, low=0.0)
        self.options = dict(wavelet=wavelet, levels=check_int("levels", levels, low=1), boundary=boundary,
                            shifts=check_int("shifts", shifts, low=1), mode="soft")
        self._denoise = shrinkage.denoise

    def value(self, x):
        raise ValueError(f"{self!r} has no value: cycle-spun or biorthogonal shrinkage is not a known penalty's prox")

    def prox(self, x: np.ndarray, step: float) -> np.ndarray:
        return self._denoise(x, 0.0, threshold=self.lam * step, **self.options)

    def __repr__(self) -> str:
        return f"WaveletShrinkageProx(lam={self.lam!r}, {self.options})"


def wavelet_deblur(blurred: np.ndarray, operator, lam: float, *, wavelet="cdf97", levels: int = 4,
                   form: str = "synthesis", shifts: int = 1, accelerate: bool = True, n_iter: int = 100,
                   tol: float = 0.0, boundary: str = "periodic", reference: np.ndarray | None = None,
                   progress: bool = False) -> tuple[np.ndarray, History]:
    """Deblurring with wavelet sparsity, by ISTA (``accelerate=False``) or FISTA, through the one core.

    ``form="synthesis"``: ``min_α ½‖H W⁻¹ α − y‖² + lam ‖α_details‖₁`` (the coarse band is not
    penalized), ``x = W⁻¹ α``; with ``accelerate=False`` this is the talk's iterative shrinkage
    ``α_k = S_λ(α_{k−1} + W⁻ᵀ Hᵀ(y − H W⁻¹ α_{k−1}))`` (the talk writes ``W`` for ``W⁻ᵀ``: the
    same for an orthonormal transform), with the exact transposed synthesis here. Decimated only.

    ``form="analysis"``: proximal gradient on ``½‖H x − y‖²`` whose prox step is wavelet
    soft-thresholding at ``lam · step`` (:class:`WaveletShrinkageProx`), averaged over
    ``shifts × shifts`` cycle spins when ``shifts > 1`` (translation-invariant).

    Parameters
    ----------
    blurred : ndarray, shape (n0, n1)
    operator
        The blur ``H`` (``forward``/``adjoint``/``lipschitz_constant``).
    lam : float
        ℓ1 weight (image units).
    wavelet, levels, boundary
        The transform (:class:`~sparseimg.operators.WaveletTransform`).
    form : {"synthesis", "analysis"}
    shifts : int
        Cycle spins per axis of the analysis form (1: decimated).
    accelerate, n_iter, tol
        FISTA momentum, iterations, relative-change tolerance (0: run ``n_iter``).
    reference : ndarray, optional
        Ground truth for the PSNR history (of the image, not the coefficients).

    Returns
    -------
    x : ndarray, shape (n0, n1)
    history : History
        Objective (synthesis form only; NaN for the analysis form), time, PSNR per iteration.
    """
    check_choice("form", form, ("synthesis", "analysis"))
    lam = check_real("lam", lam, low=0.0)
    y = check_array("blurred", blurred, ndim=2).astype(np.float64)
    if form == "analysis":
        penalty = WaveletShrinkageProx(lam, wavelet=wavelet, levels=levels, boundary=boundary, shifts=shifts)
        return proximal_gradient(LeastSquares(operator, y), penalty, y.copy(), n_iter=n_iter, tol=tol,
                                 accelerate=accelerate, track=False, reference=reference, support_tol=None,
                                 data_range=1.0, progress=progress, desc="wavelet FISTA (analysis)")
    if check_int("shifts", shifts, low=1) != 1:
        raise ValueError(f"shifts={shifts!r} is not allowed with form='synthesis': expected 1 (use form='analysis' "
                         "for the translation-invariant version)")
    transform = WaveletTransform(y.shape, wavelet, levels=levels, boundary=boundary)
    weights = np.ones(y.shape)
    weights[transform.subbands()[-1].slices] = 0.0  # the coarse band is not penalized
    smooth = LeastSquares(Composition(operator, Synthesis(transform)), y)
    monitor = None
    if reference is not None:
        ref = np.asarray(reference, dtype=np.float64)
        psnrs = []

        def monitor(k, coefs):
            psnrs.append(float(_psnr(ref, transform.inverse(coefs))))
    alpha, history = proximal_gradient(smooth, L1Norm(lam * weights), transform.forward(y), n_iter=n_iter, tol=tol,
                                       accelerate=accelerate, callback=monitor, progress=progress,
                                       desc="wavelet FISTA (synthesis)")
    if reference is not None:
        history.psnr = psnrs  # the callback saw every iterate, the start included
    return transform.inverse(alpha), history


def _psnr(reference, estimate):
    from sparseimg.metrics import psnr

    return psnr(reference, estimate, data_range=1.0)

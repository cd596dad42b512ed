"""Image inpainting: masked low-rank factorization, nuclear-norm completion, DCT sparsity.

The problem: an image ``A`` of shape ``(n0, n1, C)`` (or ``(n0, n1)``) whose pixels are
missing on a boolean mask ``missing`` of shape ``(n0, n1)``, the same mask for every
channel. Every method here sees the observed pixels only: the values of ``image`` at
missing pixels are replaced by zeros before anything else (they may be NaN), so no
method can read the truth it is scored against.

Methods
-------
- :func:`adam_factorize` — the source document's method: per channel ``A_c ≈ W_c H_c``
  of rank ``r`` fitted on the observed entries by Adam (gradients from autograd),
  loss ``‖(W_c H_c − A_c)[observed]‖_F``; the three channels are fitted in one
  vectorized problem (the loss is a sum of per-channel terms with disjoint
  parameters, so this is exactly three independent fits).
- :func:`als_factorize` — alternating least squares with a ridge penalty: each row of
  ``W`` (then each column of ``H``) is a small ``r × r`` ridge regression on its
  observed entries, all solved at once by a batched ``numpy.linalg.solve``.
- :func:`soft_impute` / :func:`soft_impute_path` — nuclear-norm completion
  ``min ½‖P_Ω(X − A)‖² + λ‖X‖_*`` by proximal gradient with step 1 (Mazumder, Hastie
  & Tibshirani 2010; FISTA momentum by default), on the library's
  :func:`~sparseimg.solvers.proximal_gradient` with the :class:`NuclearNorm` penalty
  (singular value thresholding).
- :func:`dct_l1_inpaint` — synthesis sparsity: ``min ½‖P_Ω(D c − A)‖² + λ‖c‖₁`` with
  ``D`` a (shifted) block DCT frame, by FISTA through the same core;
  :class:`MaskedDCTSynthesis` is the operator ``P_Ω ∘ D``.
- :func:`dct_threshold_inpaint` — hard thresholding in the translation-invariant
  block DCT with a decreasing threshold (Guleryuz 2006; Elad, Starck et al. 2005):
  proximal-gradient steps on ``½‖P_Ω(x − A)‖²`` with step 1 whose "prox" is the
  shift-averaged thresholding :class:`ShiftedDCTThreshold` — a plug-and-play
  iteration, again through :func:`~sparseimg.solvers.proximal_gradient`.
- :func:`rff_inpaint` — the document's random-Fourier-features regression: pixel
  colour from pixel coordinates by a linear model on RFF features, fitted on the
  observed pixels (closed-form ridge instead of the document's Adam training).
- :func:`normalized_convolution` — a Gaussian-weighted mean of the observed
  neighbours; :func:`biharmonic_inpaint` — scikit-image's ``inpaint_biharmonic``, the
  peer.

Rank, ridge and λ are chosen on *observed* pixels only: :func:`holdout_split` hides a
fraction of them, :func:`select_by_holdout` / :func:`select_along_path` score each
candidate by the RMSE on the hidden ones (:func:`als_inpaint`,
:func:`soft_impute_inpaint`). :func:`make_methods` configures the whole set from the
section's ``params.yaml`` block (used by the notebook and the benchmark).

Shapes: public functions take images channel-last ``(n0, n1, C)`` (scikit-image's
convention) and return the same layout; factors and operators work channel-first
``(C, n0, n1)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, NamedTuple, Sequence

import numpy as np
from scipy import fft as sfft

from ._validate import check_choice, check_int, check_real
from .metrics import psnr, rmse
from .objectives import LeastSquares
from .prox import L1Norm
from .solvers import History, proximal_gradient

__all__ = [
    "check_color_image",
    "random_mask",
    "fixed_count_mask",
    "apply_mask",
    "holdout_split",
    "inpainting_scores",
    "Factorization",
    "reconstruct",
    "adam_minimize",
    "adam_factorize",
    "als_factorize",
    "MaskOperator",
    "NuclearNorm",
    "soft_impute",
    "soft_impute_path",
    "normalized_convolution",
    "shifted_block_dct",
    "shifted_block_idct",
    "MaskedDCTSynthesis",
    "dct_l1_inpaint",
    "shifted_dct_threshold",
    "ShiftedDCTThreshold",
    "dct_threshold_inpaint",
    "rff_features",
    "rff_inpaint",
    "select_by_holdout",
    "select_along_path",
    "keep_observed",
    "biharmonic_inpaint",
    "als_inpaint",
    "soft_impute_inpaint",
    "make_methods",
    "METHOD_LABELS",
    "OPPONENT_COLORS",
]

#: Orthonormal opponent-colour basis (rows): luminance ``(R+G+B)/√3`` and two
#: chrominance axes. Sparsity priors are applied in this basis (the chrominance is
#: much smoother than R, G, B themselves); it is orthonormal, so frames stay tight.
OPPONENT_COLORS = np.array([[1.0, 1.0, 1.0], [1.0, 0.0, -1.0], [1.0, -2.0, 1.0]])
OPPONENT_COLORS /= np.linalg.norm(OPPONENT_COLORS, axis=1, keepdims=True)


# --------------------------------------------------------------------------- checks

def check_color_image(image, *, name: str = "image") -> np.ndarray:
    """Return ``image`` as float64 after checking that it is RGB ``(n0, n1, 3)``.

    Raises
    ------
    ValueError
        For a greyscale ``(n0, n1)`` image, an RGBA ``(n0, n1, 4)`` one, or any
        other shape, naming the shape received.
    """
    arr = np.asarray(image, dtype=np.float64)
    if arr.ndim == 2:
        raise ValueError(f"{name} has shape {arr.shape} (greyscale): expected an RGB image (rows, columns, 3)")
    if arr.ndim != 3 or arr.shape[2] != 3:
        what = " (RGBA)" if arr.ndim == 3 and arr.shape[2] == 4 else ""
        raise ValueError(f"{name} has shape {arr.shape}{what}: expected an RGB image (rows, columns, 3)")
    return arr


def _check_missing(missing, shape2d=None) -> np.ndarray:
    arr = np.asarray(missing)
    if arr.dtype != bool:
        raise TypeError(f"missing has dtype {arr.dtype}: expected a boolean mask (True = missing pixel)")
    if arr.ndim != 2:
        raise ValueError(f"missing has shape {arr.shape}: expected a 2-D mask (rows, columns)")
    if shape2d is not None and arr.shape != tuple(shape2d):
        raise ValueError(f"missing has shape {arr.shape}: expected the image's shape {tuple(shape2d)}")
    if arr.all():
        raise ValueError("missing marks every pixel as missing: expected at least one observed pixel")
    return arr


def _observed_channels(image, missing, dtype=np.float64) -> tuple[np.ndarray, np.ndarray, bool]:
    """``(A, missing, was_2d)`` with ``A`` channel-first ``(C, n0, n1)``, zero at missing pixels.

    Values at missing pixels are discarded here (they may be NaN); observed values must be
    finite.
    """
    arr = np.asarray(image)
    if arr.ndim not in (2, 3):
        raise ValueError(f"image has shape {arr.shape}: expected (rows, columns) or (rows, columns, channels)")
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"image has dtype {arr.dtype}: expected real pixel values")
    missing = _check_missing(missing, arr.shape[:2])
    was_2d = arr.ndim == 2
    chan = arr[None] if was_2d else np.moveaxis(arr, -1, 0)
    data = np.where(missing, 0.0, chan).astype(dtype)
    if not np.all(np.isfinite(data)):
        raise ValueError("image has NaN or infinite values at observed pixels: expected finite values")
    return data, missing, was_2d


def _to_image(channels: np.ndarray, was_2d: bool) -> np.ndarray:
    return channels[0] if was_2d else np.moveaxis(channels, 0, -1)


def _channel_means(data: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Mean of the observed pixels of each channel, shape ``(C,)``."""
    return data.sum(axis=(1, 2)) / np.count_nonzero(~missing)


# --------------------------------------------------------------------------- masks

def random_mask(shape, proportion: float, *, seed: int | np.random.Generator) -> np.ndarray:
    """Pixels missing independently with probability ``proportion`` (the document's draw).

    Parameters
    ----------
    shape : (int, int)
        Image shape ``(n0, n1)``.
    proportion : float
        Probability in ``[0, 1)`` that a pixel is missing; the realised fraction
        fluctuates around it.
    seed : int or numpy.random.Generator

    Returns
    -------
    ndarray of bool, shape (n0, n1)
        True where the pixel is missing. One mask serves all channels.
    """
    n0, n1 = (check_int("shape[0]", shape[0], low=1), check_int("shape[1]", shape[1], low=1))
    proportion = check_real("proportion", proportion, low=0.0, high=1.0, high_open=True)
    rng = np.random.default_rng(seed)
    return rng.random((n0, n1)) < proportion


def fixed_count_mask(shape, count: int, *, seed: int | np.random.Generator) -> np.ndarray:
    """Exactly ``count`` missing pixels drawn uniformly without replacement.

    The document's second mask removes 900 pixels this way.

    Returns
    -------
    ndarray of bool, shape (n0, n1)
        True where the pixel is missing.
    """
    n0, n1 = (check_int("shape[0]", shape[0], low=1), check_int("shape[1]", shape[1], low=1))
    count = check_int("count", count, low=0, high=n0 * n1 - 1)
    rng = np.random.default_rng(seed)
    mask = np.zeros(n0 * n1, dtype=bool)
    mask[rng.choice(n0 * n1, size=count, replace=False)] = True
    return mask.reshape(n0, n1)


def apply_mask(image, missing, *, fill: float = np.nan) -> np.ndarray:
    """Copy of ``image`` with ``fill`` (NaN by default) at missing pixels, every channel.

    Parameters
    ----------
    image : ndarray, shape (n0, n1) or (n0, n1, C)
    missing : ndarray of bool, shape (n0, n1)
    """
    arr = np.array(image, dtype=np.float64)
    missing = _check_missing(missing, arr.shape[:2])
    arr[missing] = fill
    return arr


def holdout_split(missing, fraction: float, *, seed: int | np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Hide a random ``fraction`` of the *observed* pixels for validation.

    Returns
    -------
    train_missing : ndarray of bool, shape (n0, n1)
        ``missing`` plus the hidden pixels — what a method is fitted on.
    validation : ndarray of bool, shape (n0, n1)
        The hidden observed pixels — where the fit is scored.
    """
    missing = _check_missing(missing)
    fraction = check_real("fraction", fraction, low=0.0, high=1.0, low_open=True, high_open=True)
    rng = np.random.default_rng(seed)
    observed = np.flatnonzero(~missing)
    n_held = max(1, int(round(fraction * observed.size)))
    if n_held >= observed.size:
        raise ValueError(f"fraction={fraction!r} is not allowed: it would hide all {observed.size} observed pixels")
    validation = np.zeros(missing.size, dtype=bool)
    validation[rng.choice(observed, size=n_held, replace=False)] = True
    validation = validation.reshape(missing.shape)
    return missing | validation, validation


def inpainting_scores(reference, estimate, missing) -> dict[str, float]:
    """PSNR (dB, peak 1) and RMSE on the whole image; RMSE on the missing and on the observed pixels.

    The document reports RMSE and PSNR on the full image; the missing-pixel RMSE
    isolates what a method had to invent, the observed-pixel RMSE how closely it
    kept the data (0 for methods that keep observed pixels as measured).
    """
    ref = np.asarray(reference, dtype=np.float64)
    est = np.asarray(estimate, dtype=np.float64)
    missing = _check_missing(missing, ref.shape[:2])
    return {
        "psnr": psnr(ref, est, data_range=1.0),
        "rmse": rmse(ref, est),
        "rmse_missing": rmse(ref[missing], est[missing]) if missing.any() else 0.0,
        "rmse_observed": rmse(ref[~missing], est[~missing]),
    }


# --------------------------------------------------------------------------- factorizations

class Factorization(NamedTuple):
    """Per-channel factors ``A_c ≈ W_c H_c + offset_c``.

    Attributes
    ----------
    w : ndarray, shape (C, n0, r)
    h : ndarray, shape (C, r, n1)
    offset : ndarray, shape (C,)
        Per-channel constant added back (the observed mean when fitted centred).
    losses : ndarray, shape (n_iter,)
        The training loss after each iteration (sum over channels).
    """

    w: np.ndarray
    h: np.ndarray
    offset: np.ndarray
    losses: np.ndarray


def reconstruct(factorization: Factorization, *, channel_last: bool = True) -> np.ndarray:
    """``clip(W_c H_c + offset_c, 0, 1)`` stacked over channels.

    Returns
    -------
    ndarray, shape (n0, n1, C) (or (C, n0, n1) with ``channel_last=False``), float64
    """
    w, h, offset = factorization.w, factorization.h, factorization.offset
    out = np.matmul(w.astype(np.float64), h.astype(np.float64)) + np.asarray(offset, dtype=np.float64)[:, None, None]
    out = np.clip(out, 0.0, 1.0)
    return np.moveaxis(out, 0, -1) if channel_last else out


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
    learning_rate = check_real("learning_rate", learning_rate, low=0.0, low_open=True)
    n_iter = check_int("n_iter", n_iter, low=0)
    b1, b2 = (check_real("betas[0]", betas[0], low=0.0, high=1.0, high_open=True),
              check_real("betas[1]", betas[1], low=0.0, high=1.0, high_open=True))
    params = [np.array(p, copy=True) for p in params]
    first = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    losses = np.empty(n_iter)
    for k in range(1, n_iter + 1):
        loss, grads = value_and_grad(params)
        losses[k - 1] = float(loss)
        c1 = 1.0 - b1 ** k
        c2 = 1.0 - b2 ** k
        for p, g, m, v in zip(params, grads, first, second):
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * (g * g)
            denom = np.sqrt(v / c2)
            denom += eps
            p -= (learning_rate / c1) * m / denom
        if callback is not None:
            callback(k, params)
    return params, losses


def adam_factorize(image, missing, rank: int, *, n_iter: int = 1000, learning_rate: float = 0.01,
                   init_scale: float = 1.0, seed: int | np.random.Generator = 0,
                   dtype=np.float32) -> Factorization:
    """The document's method: per channel ``A_c ≈ W_c H_c`` fitted on observed entries by Adam.

    Minimizes ``Σ_c ‖(W_c H_c − A_c)[observed]‖_F`` (the Frobenius norm, not its square,
    as in the document) from ``W, H ~ init_scale · N(0, 1)``; gradients come from
    autograd. The channels share nothing but the mask, so the vectorized fit is
    exactly ``C`` independent fits.

    Parameters
    ----------
    image : ndarray, shape (n0, n1, C) or (n0, n1)
        Values at missing pixels are ignored (may be NaN).
    missing : ndarray of bool, shape (n0, n1)
    rank : int
        Inner dimension ``r`` (the document uses 50, 100, 300, 500).
    n_iter : int
        Adam steps (document: 1000).
    learning_rate : float
        Document: 0.01.
    init_scale : float
        Standard deviation of the random start (document: 1).
    seed : int or Generator
    dtype : float32 or float64
        Working precision (the document's PyTorch code runs in float32).

    Returns
    -------
    Factorization
        ``offset`` is zero (the document does not centre); ``losses`` sums the channels.
    """
    import autograd.numpy as anp
    from autograd import value_and_grad

    rank = check_int("rank", rank, low=1)
    init_scale = check_real("init_scale", init_scale, low=0.0, low_open=True)
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype={dtype!r} is not allowed: expected float32 or float64")
    data, missing, _ = _observed_channels(image, missing, dt)
    n_ch, n0, n1 = data.shape
    observed = (~missing).astype(dt)
    rng = np.random.default_rng(seed)
    w0 = (init_scale * rng.standard_normal((n_ch, n0, rank))).astype(dt)
    h0 = (init_scale * rng.standard_normal((n_ch, rank, n1))).astype(dt)

    def loss(params):
        w, h = params
        resid = anp.matmul(w, h) * observed - data
        return anp.sum(anp.sqrt(anp.sum(resid * resid, axis=(1, 2))))

    (w, h), losses = adam_minimize(value_and_grad(loss), [w0, h0], learning_rate=learning_rate, n_iter=n_iter)
    return Factorization(w, h, np.zeros(n_ch), losses)


def _masked_gram(weights: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """``G[i] = Σ_j weights[i, j] f_j f_jᵀ`` for all rows i, shape ``(n_rows, r, r)``.

    ``weights`` (n_rows, n) is the 0/1 observed mask, ``factor`` (n, r). One matrix
    product of the mask with the stacked upper triangles of the outer products
    ``f_j f_jᵀ`` (``r(r+1)/2`` columns, chunked over ``n`` so that memory stays
    ``O(chunk · r²)``), in the precision of ``weights``: ``O(n_rows · n · r² / 2)``
    flops in BLAS. The result is float64.
    """
    n, r = factor.shape
    upper0, upper1 = np.triu_indices(r)
    packed = np.zeros((weights.shape[0], upper0.size), dtype=weights.dtype)
    f_all = factor.astype(weights.dtype, copy=False)
    chunk = max(1, 4_000_000 // upper0.size)
    for start in range(0, n, chunk):
        f = f_all[start:start + chunk]
        packed += weights[:, start:start + chunk] @ (f[:, upper0] * f[:, upper1])
    # gather the symmetric matrices back from their packed upper triangles
    unpack = np.empty((r, r), dtype=np.intp)
    unpack[upper0, upper1] = np.arange(upper0.size)
    unpack[upper1, upper0] = np.arange(upper0.size)
    return np.take(packed.astype(np.float64), unpack.ravel(), axis=1).reshape(-1, r, r)


def _ridge_rows(data: np.ndarray, weights: np.ndarray, factor: np.ndarray, ridge: float) -> np.ndarray:
    """Solve, for every row i, ``(Σ_j obs_ij f_j f_jᵀ + ridge I) w_i = Σ_j obs_ij a_ij f_j``.

    ``data`` (n_rows, n) is zero at missing entries; ``factor`` (n, r); ``weights`` the
    0/1 observed mask (its dtype sets the precision of the Gram products). Returns
    (n_rows, r), float64.
    """
    r = factor.shape[1]
    gram = _masked_gram(weights, factor)
    gram.reshape(gram.shape[0], r * r)[:, ::r + 1] += ridge
    rhs = data @ factor
    return np.linalg.solve(gram, rhs[..., None])[..., 0]


def als_factorize(image, missing, rank: int, *, ridge: float = 1.0, n_iter: int = 5,
                  init_scale: float = 0.1, center: bool = True, gram_dtype=np.float32,
                  seed: int | np.random.Generator = 0) -> Factorization:
    """Masked low-rank factorization by alternating ridge regressions (ALS).

    Minimizes, per channel, ``½ Σ_observed (a_ij − w_iᵀ h_j)² + ½ ridge (‖W‖² + ‖H‖²)``.
    With ``H`` fixed each row ``w_i`` solves the ``r × r`` normal equations
    ``(Σ_{j observed} h_j h_jᵀ + ridge I) w_i = Σ_{j observed} a_ij h_j``; all rows are
    solved in one batched ``numpy.linalg.solve``, then all columns of ``H`` likewise.
    The Gram matrices of all rows come from one matrix product of the 0/1 mask with
    the stacked outer products ``h_j h_jᵀ`` (their upper triangles), so a sweep costs
    ``O(n0 n1 r² + (n0 + n1) r³)`` flops, almost all in BLAS. That product runs in
    ``gram_dtype`` (float32 by default: twice as fast, and the ridge keeps the
    float64 solves well conditioned); everything else is float64.

    Parameters
    ----------
    image : ndarray, shape (n0, n1, C) or (n0, n1)
        Values at missing pixels are ignored.
    missing : ndarray of bool, shape (n0, n1)
    rank : int
    ridge : float
        Ridge weight (> 0 keeps every normal system positive definite).
    n_iter : int
        Number of sweeps (one sweep updates W, then H).
    init_scale : float
        ``H`` starts at ``init_scale · N(0, 1)``.
    center : bool
        Fit ``A_c − mean_c`` (observed mean) and add the mean back, so that the ridge
        shrinks towards the mean colour rather than black.
    gram_dtype : float32 or float64
        Precision of the Gram products.
    seed : int or Generator

    Returns
    -------
    Factorization
        ``losses`` holds the objective after each sweep (summed over channels).
    """
    rank = check_int("rank", rank, low=1)
    ridge = check_real("ridge", ridge, low=0.0, low_open=True)
    n_iter = check_int("n_iter", n_iter, low=1)
    init_scale = check_real("init_scale", init_scale, low=0.0, low_open=True)
    data, missing, _ = _observed_channels(image, missing)
    n_ch, n0, n1 = data.shape
    offset = _channel_means(data, missing) if center else np.zeros(n_ch)
    gram_dt = np.dtype(gram_dtype)
    if gram_dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"gram_dtype={gram_dtype!r} is not allowed: expected float32 or float64")
    obs = (~missing).astype(np.float64)
    weights = obs.astype(gram_dt)
    weights_t = np.ascontiguousarray(weights.T)
    data = (data - offset[:, None, None]) * obs
    rng = np.random.default_rng(seed)
    h = init_scale * rng.standard_normal((n_ch, rank, n1))
    w = np.empty((n_ch, n0, rank))
    losses = np.empty(n_iter)
    for k in range(n_iter):
        total = 0.0
        for c in range(n_ch):
            w[c] = _ridge_rows(data[c], weights, h[c].T, ridge)
            h[c] = _ridge_rows(data[c].T, weights_t, w[c], ridge).T
            resid = (w[c] @ h[c]) * obs - data[c]
            total += 0.5 * float(np.sum(resid * resid)) + 0.5 * ridge * float(np.sum(w[c] ** 2) + np.sum(h[c] ** 2))
        losses[k] = total
    return Factorization(w, h, offset, losses)


# --------------------------------------------------------------------------- nuclear norm

class MaskOperator:
    """``P_Ω``: keep the observed pixels of a ``(C, n0, n1)`` array, zero the others.

    Self-adjoint and idempotent; ``‖P_Ω‖² = 1`` (0 if nothing is observed).
    """

    def __init__(self, missing):
        self.missing = _check_missing(missing)
        self.observed = ~self.missing

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.where(self.observed, x, 0.0).astype(x.dtype, copy=False)

    adjoint = forward

    def lipschitz_constant(self) -> float:
        return 1.0


@dataclass(frozen=True)
class NuclearNorm:
    """``g(X) = λ Σ_c ‖X_c‖_*`` over the leading axis of a ``(C, n0, n1)`` stack.

    Its prox is singular value thresholding ``U max(S − τ, 0) Vᵀ`` with ``τ = λ·step``,
    computed for all channels at once as ``U diag(max(1 − τ/σ, 0)) Uᵀ X`` from the
    eigen-decomposition ``X Xᵀ = U diag(σ²) Uᵀ`` of the smaller Gram matrix (about
    twice as fast as an SVD here; only singular values above ``τ`` — well resolved by
    the Gram — survive the threshold).
    """

    lam: float

    def __post_init__(self):
        check_real("lam", self.lam, low=0.0)

    def value(self, x: np.ndarray) -> float:
        """``λ Σ σ_i``, the singular values from the eigenvalues of the smaller Gram matrix."""
        xt = np.swapaxes(x, -1, -2)
        gram = np.matmul(x, xt) if x.shape[-2] <= x.shape[-1] else np.matmul(xt, x)
        return float(self.lam) * float(np.sqrt(np.maximum(np.linalg.eigvalsh(gram), 0.0)).sum())

    def prox(self, x: np.ndarray, step: float) -> np.ndarray:
        tau = float(self.lam) * float(step)
        wide = x.shape[-2] <= x.shape[-1]
        xt = np.swapaxes(x, -1, -2)
        gram = np.matmul(x, xt) if wide else np.matmul(xt, x)
        eigval, u = np.linalg.eigh(gram)
        sigma = np.sqrt(np.maximum(eigval, 0.0))
        shrink = np.where(sigma > tau, 1.0 - tau / np.where(sigma > 0, sigma, 1.0), 0.0)
        proj = np.matmul(u * shrink[..., None, :], np.swapaxes(u, -1, -2))
        return np.matmul(proj, x) if wide else np.matmul(x, proj)


def soft_impute_path(image, missing, lams: Sequence[float], *, n_iter: int = 30, tol: float = 1e-4,
                     accelerate: bool = True, center: bool = True, start=None,
                     progress: bool = False) -> tuple[list[np.ndarray], list[History]]:
    """Nuclear-norm completion along a decreasing path of λ, warm-started.

    For each ``λ`` runs :func:`~sparseimg.solvers.proximal_gradient` on
    ``½‖P_Ω(X − A)‖² + λ Σ_c ‖X_c‖_*`` with step 1 — soft-impute's update
    ``X ← SVT_λ(P_Ω A + P_Ωᶜ X)`` — from the previous solution; with
    ``accelerate`` (default) the same update with FISTA's momentum, which needs far
    fewer iterations when most entries are missing (each plain step only moves the
    missing entries by what the threshold lets through).

    Parameters
    ----------
    image : ndarray, shape (n0, n1, C) or (n0, n1)
    missing : ndarray of bool, shape (n0, n1)
    lams : sequence of float
        Thresholds in pixel units (singular values of a [0, 1] image channel),
        decreasing.
    n_iter, tol
        Per-λ iteration cap and relative-change tolerance.
    accelerate : bool
        FISTA momentum (the objective is then tracked: one more Gram
        eigen-decomposition per iteration).
    center : bool
        Complete ``A_c − mean_c`` and add the observed mean back.
    start : ndarray, optional
        Completion to start from, shaped like ``image`` (e.g. an earlier solution);
        default the zero-filled (mean-filled when centred) data. The problem is
        convex: the start only changes how many iterations are needed.

    Returns
    -------
    estimates : list of ndarray, shape like ``image``
        The completions ``P_Ω A + P_Ωᶜ clip(X, 0, 1)``, one per λ.
    histories : list of History
    """
    lams = [check_real(f"lams[{i}]", v, low=0.0) for i, v in enumerate(lams)]
    if not lams:
        raise ValueError("lams=[] is not allowed: expected at least one threshold")
    if any(b > a for a, b in zip(lams, lams[1:])):
        raise ValueError(f"lams={lams!r} is not allowed: expected a non-increasing sequence")
    data, missing, was_2d = _observed_channels(image, missing)
    offset = _channel_means(data, missing) if center else np.zeros(data.shape[0])
    op = MaskOperator(missing)
    target = op.forward(data - offset[:, None, None])
    smooth = LeastSquares(op, target)
    if start is None:
        x = target.copy()
    else:
        first, _, _ = _observed_channels(start, np.zeros_like(missing))
        if first.shape != data.shape:
            raise ValueError(f"start has shape {np.shape(start)}: expected the image's shape {np.shape(image)}")
        x = first - offset[:, None, None]
    estimates, histories = [], []
    for lam in lams:
        x, hist = proximal_gradient(smooth, NuclearNorm(lam), x, step=1.0, n_iter=n_iter, tol=tol,
                                    accelerate=accelerate, track=False, progress=progress, desc=f"SVT λ={lam:g}")
        est = np.where(missing, np.clip(x + offset[:, None, None], 0.0, 1.0), data)
        estimates.append(_to_image(est, was_2d))
        histories.append(hist)
    return estimates, histories


def soft_impute(image, missing, lam: float, *, n_path: int = 5, n_iter: int = 30, tol: float = 1e-4,
                center: bool = True, progress: bool = False) -> np.ndarray:
    """Nuclear-norm completion at ``lam``, reached by a geometric path of ``n_path`` values.

    The path starts at ``λ_max / 2`` (``λ_max`` the largest singular value of the
    zero-filled, centred data) — see :func:`soft_impute_path`.

    Returns
    -------
    ndarray, shape like ``image``; observed pixels kept as measured
    """
    lam = check_real("lam", lam, low=0.0, low_open=True)
    n_path = check_int("n_path", n_path, low=1)
    data, miss, _ = _observed_channels(image, missing)
    offset = _channel_means(data, miss) if center else np.zeros(data.shape[0])
    top = float(np.linalg.svd(np.where(miss, 0.0, data - offset[:, None, None]), compute_uv=False).max())
    start = max(lam, 0.5 * top)
    lams = np.geomspace(start, lam, n_path) if n_path > 1 else [lam]
    estimates, _ = soft_impute_path(image, missing, list(lams), n_iter=n_iter, tol=tol, center=center,
                                    progress=progress)
    return estimates[-1]


# --------------------------------------------------------------------------- local interpolation

def _normalized_convolution(data: np.ndarray, missing: np.ndarray, sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    weight = (~missing).astype(np.float64)
    density = gaussian_filter(weight, sigma, mode="reflect")
    est = np.stack([gaussian_filter(d, sigma, mode="reflect") for d in data])
    # where no observed pixel lies within reach, fall back to the mean colour
    means = _channel_means(data, missing)[:, None, None]
    tiny = density < 1e-8
    est = np.where(tiny, means, est / np.where(tiny, 1.0, density))
    return np.where(missing, est, data)


def _start_image(data: np.ndarray, missing: np.ndarray, start_sigma: float | None) -> np.ndarray:
    if start_sigma is None:
        return np.where(missing, _channel_means(data, missing)[:, None, None], data)
    return _normalized_convolution(data, missing, check_real("start_sigma", start_sigma, low=0.0, low_open=True))


def normalized_convolution(image, missing, *, sigma: float = 1.0) -> np.ndarray:
    """Gaussian-weighted mean of the observed pixels around each missing one (Knutsson & Westin 1993).

    ``(G_σ * (M ⊙ A)) / (G_σ * M)`` with ``M`` the observed mask — a fast, smooth
    interpolant (used to start :func:`dct_threshold_inpaint`).

    Parameters
    ----------
    image : ndarray, shape (n0, n1, C) or (n0, n1)
    missing : ndarray of bool, shape (n0, n1)
    sigma : float
        Gaussian width in pixels.

    Returns
    -------
    ndarray, shape like ``image``; observed pixels kept as measured.
    """
    sigma = check_real("sigma", sigma, low=0.0, low_open=True)
    data, missing, was_2d = _observed_channels(image, missing)
    return _to_image(_normalized_convolution(data, missing, sigma), was_2d)


# --------------------------------------------------------------------------- block DCT frames

def _frame_layout(n0: int, n1: int, block: int | None, stride: int) -> tuple[list, int, int, int, int]:
    """Shifts, window side and padded size of a shifted block-DCT frame.

    The image sits at offset ``block`` inside a canvas; shift ``(i, j)`` tiles the
    window ``[i, i + L0) × [j, j + L1)`` with ``L = block · ceil((n + block) / block)``,
    so that every image pixel is covered by every shift.
    """
    if block is None:
        return [(0, 0)], n0, n1, n0, n1
    shifts = [(i, j) for i in range(0, block, stride) for j in range(0, block, stride)]
    len0 = block * math.ceil((n0 + block) / block)
    len1 = block * math.ceil((n1 + block) / block)
    return shifts, len0, len1, len0 + block - 1, len1 + block - 1


def _check_frame(block, stride) -> tuple[int | None, int]:
    if block is not None:
        block = check_int("block", block, low=2)
        stride = check_int("stride", stride, low=1, high=block)
        if block % stride:
            raise ValueError(f"stride={stride!r} is not allowed: expected a divisor of block={block}")
    else:
        stride = 1
    return block, stride


def _block_transform(x: np.ndarray, block: int | None, func) -> np.ndarray:
    """Blockwise orthonormal DCT (``func`` = dctn or idctn) of ``(C, L0, L1)`` arrays."""
    if block is None:
        return func(x, axes=(-2, -1), norm="ortho")
    n_ch, len0, len1 = x.shape
    blocks = x.reshape(n_ch, len0 // block, block, len1 // block, block)
    return func(blocks, axes=(2, 4), norm="ortho").reshape(n_ch, len0, len1)


def _to_color(x: np.ndarray, color: bool) -> np.ndarray:
    return np.tensordot(OPPONENT_COLORS, x, axes=1) if color else x


def _from_color(u: np.ndarray, color: bool) -> np.ndarray:
    return np.tensordot(OPPONENT_COLORS.T, u, axes=1) if color else u


def shifted_block_dct(x: np.ndarray, *, block: int | None = 8, stride: int = 4, color: bool = False) -> np.ndarray:
    """Analysis ``Dᵀ x`` of the shifted block-DCT frame.

    ``D`` averages ``K = (block / stride)²`` shifted orthonormal block DCTs:
    ``D c = K^{-1/2} Σ_s E_sᵀ Bᵀ c_s`` with ``E_s`` the window of shift ``s`` on a
    zero-padded canvas and ``B`` the blockwise DCT-II (``scipy.fft.dctn``,
    ``norm="ortho"``). ``‖D‖ <= 1``, with ``D Dᵀ = I`` on the image. ``block=None`` is
    the global DCT (an orthonormal basis).

    Parameters
    ----------
    x : ndarray, shape (C, n0, n1)
    block : int or None
        Block side; None for one DCT of the whole image.
    stride : int
        Shift step, a divisor of ``block`` (``stride = block``: one tiling, an
        orthonormal basis).
    color : bool
        First rotate the channels to the :data:`OPPONENT_COLORS` basis (needs C = 3).

    Returns
    -------
    ndarray, shape (K, C, L0, L1)
    """
    block, stride = _check_frame(block, stride)
    x = np.asarray(x)
    n_ch, n0, n1 = x.shape
    shifts, len0, len1, p0, p1 = _frame_layout(n0, n1, block, stride)
    u = _to_color(x, color)
    if block is None:
        return _block_transform(u, None, sfft.dctn)[None]
    canvas = np.zeros((n_ch, p0, p1), dtype=x.dtype)
    canvas[:, block:block + n0, block:block + n1] = u
    scale = 1.0 / math.sqrt(len(shifts))
    out = np.empty((len(shifts), n_ch, len0, len1), dtype=x.dtype)
    for k, (i, j) in enumerate(shifts):
        out[k] = _block_transform(canvas[:, i:i + len0, j:j + len1], block, sfft.dctn)
        out[k] *= scale
    return out


def shifted_block_idct(coefs: np.ndarray, shape, *, block: int | None = 8, stride: int = 4,
                       color: bool = False) -> np.ndarray:
    """Synthesis ``D c`` of the shifted block-DCT frame (adjoint of :func:`shifted_block_dct`).

    Parameters
    ----------
    coefs : ndarray, shape (K, C, L0, L1)
    shape : (int, int)
        Image shape ``(n0, n1)``.

    Returns
    -------
    ndarray, shape (C, n0, n1)
    """
    block, stride = _check_frame(block, stride)
    n0, n1 = shape
    shifts, len0, len1, p0, p1 = _frame_layout(n0, n1, block, stride)
    coefs = np.asarray(coefs)
    if coefs.shape[0] != len(shifts) or coefs.shape[2:] != (len0, len1):
        raise ValueError(f"coefs has shape {coefs.shape}: expected ({len(shifts)}, C, {len0}, {len1})")
    if block is None:
        return _from_color(_block_transform(coefs[0], None, sfft.idctn), color)
    n_ch = coefs.shape[1]
    canvas = np.zeros((n_ch, p0, p1), dtype=coefs.dtype)
    for k, (i, j) in enumerate(shifts):
        canvas[:, i:i + len0, j:j + len1] += _block_transform(coefs[k], block, sfft.idctn)
    u = canvas[:, block:block + n0, block:block + n1] * (1.0 / math.sqrt(len(shifts)))
    return _from_color(u, color)


class MaskedDCTSynthesis:
    """The operator ``P_Ω ∘ D``: DCT-frame coefficients → the observed pixels.

    Follows the library's operator protocol (``forward``, ``adjoint``,
    ``lipschitz_constant``) so that :class:`~sparseimg.objectives.LeastSquares` and
    :func:`~sparseimg.solvers.proximal_gradient` use it unchanged.

    Parameters
    ----------
    missing : ndarray of bool, shape (n0, n1)
    n_channels : int
    block, stride, color
        Frame of :func:`shifted_block_dct`.
    """

    def __init__(self, missing, n_channels: int, *, block: int | None = 8, stride: int = 4, color: bool = True):
        self.mask = MaskOperator(missing)
        self.n_channels = check_int("n_channels", n_channels, low=1)
        if color and self.n_channels != 3:
            raise ValueError(f"color=True needs 3 channels: n_channels={n_channels!r}")
        self.block, self.stride = _check_frame(block, stride)
        self.color = bool(color)
        self.image_shape = (self.n_channels,) + self.mask.missing.shape
        shifts, len0, len1, _, _ = _frame_layout(*self.mask.missing.shape, self.block, self.stride)
        self.coef_shape = (len(shifts), self.n_channels, len0, len1)

    def synthesis(self, coefs: np.ndarray) -> np.ndarray:
        """``D c``, shape (C, n0, n1)."""
        return shifted_block_idct(coefs, self.image_shape[1:], block=self.block, stride=self.stride,
                                  color=self.color)

    def analysis(self, x: np.ndarray) -> np.ndarray:
        """``Dᵀ x``, shape ``coef_shape``."""
        return shifted_block_dct(x, block=self.block, stride=self.stride, color=self.color)

    def forward(self, coefs: np.ndarray) -> np.ndarray:
        return self.mask.forward(self.synthesis(coefs))

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        return self.analysis(self.mask.forward(y))

    def lipschitz_constant(self) -> float:
        """``‖P_Ω D‖² <= ‖D‖² = 1``."""
        return 1.0

    def dc_weights(self) -> np.ndarray:
        """ℓ1 weights: 1 everywhere except 0 on each block's DC coefficient (not penalized)."""
        weights = np.ones(self.coef_shape)
        if self.block is None:
            weights[:, :, 0, 0] = 0.0
        else:
            weights[:, :, ::self.block, ::self.block] = 0.0
        return weights


def dct_l1_inpaint(image, missing, *, lam: float = 0.003, block: int | None = 16, stride: int = 16,
                   color: bool = True, n_iter: int = 100, tol: float = 1e-5, start_sigma: float | None = 1.0,
                   progress: bool = False) -> tuple[np.ndarray, History]:
    """Sparse synthesis inpainting: ``min_c ½‖P_Ω(D c − A)‖² + λ‖c‖₁`` by FISTA.

    ``D`` is the shifted block-DCT frame of :func:`shifted_block_dct` (block DC
    coefficients unpenalized); the solver is the library's
    :func:`~sparseimg.solvers.proximal_gradient` with :class:`~sparseimg.prox.L1Norm`
    and ``accelerate=True``, started from the analysis of the
    :func:`normalized_convolution` of the data (the problem is convex, so the start
    only changes how fast FISTA gets there). Observed pixels are kept as measured in
    the returned image.

    Parameters
    ----------
    image : ndarray, shape (n0, n1, C) or (n0, n1)
    missing : ndarray of bool, shape (n0, n1)
    lam : float
        ℓ1 weight (pixel units of a [0, 1] image).
    block, stride, color
        Frame (``color`` needs 3 channels; it is ignored for greyscale images).
        The default, 16 × 16 blocks without shifts, is an orthonormal basis.
    n_iter, tol
        FISTA iteration cap and relative-change tolerance.
    start_sigma : float or None
        Gaussian width of the starting :func:`normalized_convolution`; None starts
        from the observed mean colour.

    Returns
    -------
    estimate : ndarray, shape like ``image``, values in [0, 1]
    history : History
    """
    lam = check_real("lam", lam, low=0.0)
    data, missing, was_2d = _observed_channels(image, missing)
    op = MaskedDCTSynthesis(missing, data.shape[0], block=block, stride=stride, color=color and data.shape[0] == 3)
    start = _start_image(data, missing, start_sigma)
    coefs, hist = proximal_gradient(LeastSquares(op, data), L1Norm(lam * op.dc_weights()), op.analysis(start),
                                    n_iter=n_iter, tol=tol, accelerate=True, track=True, progress=progress,
                                    desc="DCT-ℓ1 FISTA")
    est = np.where(missing, np.clip(op.synthesis(coefs), 0.0, 1.0), data)
    return _to_image(est, was_2d), hist


def shifted_dct_threshold(x: np.ndarray, threshold: float, *, block: int = 8, stride: int = 2,
                          color: bool = True, mode: str = "hard") -> np.ndarray:
    """Translation-invariant block-DCT thresholding (cycle spinning) of a ``(C, n0, n1)`` image.

    For each of the ``(block / stride)²`` shifts the (symmetrically padded) image is
    cut in ``block × block`` blocks, each block's orthonormal DCT is thresholded
    (its DC coefficient is kept), and the inverse transforms are averaged over the
    shifts.

    Parameters
    ----------
    x : ndarray, shape (C, n0, n1)
    threshold : float
        Threshold on DCT coefficients (pixel units).
    block, stride, color
        As in :func:`shifted_block_dct`.
    mode : {"hard", "soft"}

    Returns
    -------
    ndarray, shape (C, n0, n1)
    """
    block, stride = _check_frame(block, stride)
    if block is None:
        raise ValueError("block=None is not allowed here: expected a block side >= 2")
    threshold = check_real("threshold", threshold, low=0.0)
    check_choice("mode", mode, ("hard", "soft"))
    x = np.asarray(x)
    n_ch, n0, n1 = x.shape
    shifts, len0, len1, p0, p1 = _frame_layout(n0, n1, block, stride)
    u = _to_color(x, color)
    padded = np.pad(u, ((0, 0), (block, p0 - n0 - block), (block, p1 - n1 - block)), mode="symmetric")
    canvas = np.zeros_like(padded)
    for i, j in shifts:
        coefs = _block_transform(padded[:, i:i + len0, j:j + len1], block, sfft.dctn)
        dc = coefs[:, ::block, ::block].copy()
        if mode == "hard":
            coefs[np.abs(coefs) <= threshold] = 0.0
        else:
            coefs -= np.clip(coefs, -threshold, threshold)
        coefs[:, ::block, ::block] = dc
        canvas[:, i:i + len0, j:j + len1] += _block_transform(coefs, block, sfft.idctn)
    out = canvas[:, block:block + n0, block:block + n1] / len(shifts)
    return _from_color(out, color)


@dataclass(frozen=True)
class ShiftedDCTThreshold:
    """Plug-and-play "penalty" whose prox is :func:`shifted_dct_threshold`.

    Averaged shifted thresholdings are not the prox of any penalty, so ``value``
    returns NaN: proximal-gradient runs that use it must not track the objective.
    The step does not scale the threshold (the intended step is 1).
    """

    threshold: float
    block: int = 8
    stride: int = 2
    color: bool = True
    mode: str = "hard"

    def __post_init__(self):
        check_real("threshold", self.threshold, low=0.0)
        _check_frame(self.block, self.stride)
        check_choice("mode", self.mode, ("hard", "soft"))

    def value(self, x: np.ndarray) -> float:
        return float("nan")

    def prox(self, x: np.ndarray, step: float) -> np.ndarray:
        return shifted_dct_threshold(x, self.threshold, block=self.block, stride=self.stride,
                                     color=self.color, mode=self.mode)


def dct_threshold_inpaint(image, missing, *, threshold_start: float = 0.5, threshold_end: float = 0.005,
                          n_stages: int = 20, iter_per_stage: int = 2, block: int = 8, stride: int = 2,
                          color: bool = True, mode: str = "hard", start_sigma: float | None = 1.0,
                          progress: bool = False, callback: Callable | None = None) -> np.ndarray:
    """Inpainting by iterated shift-invariant DCT thresholding with a decreasing threshold.

    Each iteration is a proximal-gradient step with step 1 on ``½‖P_Ω(x − A)‖²``
    followed by :class:`ShiftedDCTThreshold` — i.e. ``x ← T_τ(P_Ω A + P_Ωᶜ x)`` — run
    by :func:`~sparseimg.solvers.proximal_gradient` for ``iter_per_stage`` iterations
    at each of ``n_stages`` thresholds geometrically spaced from ``threshold_start``
    to ``threshold_end`` (warm-started). The iteration is not convex: it starts
    from :func:`normalized_convolution` (a local weighted mean of the observed
    pixels), which matters when most pixels are missing. The result keeps the
    observed pixels as measured.

    Parameters
    ----------
    image : ndarray, shape (n0, n1, C) or (n0, n1)
    missing : ndarray of bool, shape (n0, n1)
    threshold_start, threshold_end : float
        Threshold schedule (pixel units), ``threshold_start >= threshold_end > 0``.
    n_stages, iter_per_stage : int
    block, stride, color, mode
        See :func:`shifted_dct_threshold` (``color`` is ignored unless C = 3).
    start_sigma : float or None
        Width (pixels) of the Gaussian of the starting :func:`normalized_convolution`;
        None starts from the observed mean colour instead.
    callback : callable, optional
        ``callback(stage, estimate)`` after each stage, ``estimate`` shaped like ``image``.

    Returns
    -------
    ndarray, shape like ``image``, values in [0, 1]
    """
    t0 = check_real("threshold_start", threshold_start, low=0.0, low_open=True)
    t1 = check_real("threshold_end", threshold_end, low=0.0, low_open=True)
    if t1 > t0:
        raise ValueError(f"threshold_end={threshold_end!r} is not allowed: expected <= threshold_start={t0!r}")
    n_stages = check_int("n_stages", n_stages, low=1)
    iter_per_stage = check_int("iter_per_stage", iter_per_stage, low=1)
    data, missing, was_2d = _observed_channels(image, missing)
    color = color and data.shape[0] == 3
    op = MaskOperator(missing)
    smooth = LeastSquares(op, data)
    x = _start_image(data, missing, start_sigma)
    taus = np.geomspace(t0, t1, n_stages) if n_stages > 1 else [t1]
    for stage, tau in enumerate(taus):
        x, _ = proximal_gradient(smooth, ShiftedDCTThreshold(float(tau), block, stride, color, mode), x,
                                 step=1.0, n_iter=iter_per_stage, tol=0.0, accelerate=False, track=False,
                                 progress=progress, desc=f"DCT threshold τ={tau:.3g}")
        if callback is not None:
            callback(stage, _to_image(np.where(missing, np.clip(x, 0.0, 1.0), data), was_2d))
    est = np.where(missing, np.clip(x, 0.0, 1.0), data)
    return _to_image(est, was_2d)


# --------------------------------------------------------------------------- random Fourier features

def _rff_draw(n_dims: int, n_features: int, sigma: float, seed) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    omega = rng.standard_normal((n_dims, n_features)) / sigma
    phase = rng.uniform(0.0, 2.0 * np.pi, n_features)
    return omega, phase


def _rff_map(coords: np.ndarray, omega: np.ndarray, phase: np.ndarray) -> np.ndarray:
    z = coords @ omega
    z += phase
    np.cos(z, out=z)
    z *= math.sqrt(2.0 / omega.shape[1])
    return z


def rff_features(coords: np.ndarray, *, n_features: int, sigma: float,
                 seed: int | np.random.Generator = 0) -> np.ndarray:
    """Random Fourier features of the Gaussian kernel ``exp(−‖x − y‖² / (2σ²))``.

    ``z(x) = sqrt(2 / D) cos(x Ω + b)`` with ``Ω ~ N(0, σ⁻² I)`` and
    ``b ~ U[0, 2π)`` (Rahimi & Recht 2007; scikit-learn's ``RBFSampler`` with
    ``gamma = 1 / (2σ²)`` draws the same distribution), so ``z(x)ᵀz(y)`` approximates
    the kernel.

    Parameters
    ----------
    coords : ndarray, shape (N, d)
        Points (here pixel coordinates, in pixels).
    n_features : int
        ``D``.
    sigma : float
        Kernel width, in the units of ``coords``.
    seed : int or Generator

    Returns
    -------
    ndarray, shape (N, D)
    """
    coords = np.asarray(coords, dtype=np.float64)
    if coords.ndim != 2:
        raise ValueError(f"coords has shape {coords.shape}: expected (N, d)")
    n_features = check_int("n_features", n_features, low=1)
    sigma = check_real("sigma", sigma, low=0.0, low_open=True)
    return _rff_map(coords, *_rff_draw(coords.shape[1], n_features, sigma, seed))


def rff_inpaint(image, missing, *, n_features: int = 300, sigma: float = 20.0, ridge: float = 1e-6,
                seed: int | np.random.Generator = 0, chunk: int = 16384) -> np.ndarray:
    """Colour from coordinates: a linear model on random Fourier features, fitted on observed pixels.

    The document trains ``nn.Linear`` on RFF features of the coordinates with Adam on
    the mean squared error; here the same linear model (with intercept) is fitted in
    closed form, ``(Z_cᵀZ_c + ridge·N I) β = Z_cᵀ(y − ȳ)`` with ``Z_c`` the centred
    features of the ``N`` observed pixels — the point the Adam training converges to
    when ``ridge → 0``. Features are built ``chunk`` pixels at a time (memory
    ``O(chunk · D + D²)``).

    Parameters
    ----------
    image : ndarray, shape (n0, n1, C) or (n0, n1)
    missing : ndarray of bool, shape (n0, n1)
    n_features : int
        Number of features ``D``; time ``O(n0 n1 D²)``.
    sigma : float
        Kernel width in pixels.
    ridge : float
        Ridge weight relative to the number ``N`` of observed pixels.
    seed : int or Generator
    chunk : int
        Pixels per block of features.

    Returns
    -------
    ndarray, shape like ``image``, values in [0, 1]; observed pixels kept as measured.
    """
    ridge = check_real("ridge", ridge, low=0.0, low_open=True)
    n_features = check_int("n_features", n_features, low=1)
    sigma = check_real("sigma", sigma, low=0.0, low_open=True)
    chunk = check_int("chunk", chunk, low=1)
    data, missing, was_2d = _observed_channels(image, missing)
    n_ch, n0, n1 = data.shape
    omega, phase = _rff_draw(2, n_features, sigma, seed)
    rows, cols = np.divmod(np.arange(n0 * n1), n1)
    coords = np.stack([rows, cols], axis=1).astype(np.float64)
    observed = ~missing.ravel()
    values = data.reshape(n_ch, -1).T
    # sufficient statistics of the observed pixels, chunk by chunk
    gram = np.zeros((n_features, n_features))
    z_sum = np.zeros(n_features)
    zy = np.zeros((n_features, n_ch))
    for start in range(0, n0 * n1, chunk):
        keep = observed[start:start + chunk]
        z = _rff_map(coords[start:start + chunk][keep], omega, phase)
        gram += z.T @ z
        z_sum += z.sum(axis=0)
        zy += z.T @ values[start:start + chunk][keep]
    n_obs = int(observed.sum())
    z_mean = z_sum / n_obs
    y_mean = values[observed].mean(axis=0)
    gram -= n_obs * np.outer(z_mean, z_mean)
    gram[np.diag_indices_from(gram)] += ridge * n_obs
    beta = np.linalg.solve(gram, zy - n_obs * np.outer(z_mean, y_mean))
    pred = np.empty_like(values)
    for start in range(0, n0 * n1, chunk):
        pred[start:start + chunk] = (_rff_map(coords[start:start + chunk], omega, phase) - z_mean) @ beta + y_mean
    est = np.where(missing, np.clip(pred.T.reshape(n_ch, n0, n1), 0.0, 1.0), data)
    return _to_image(est, was_2d)


# --------------------------------------------------------------------------- held-out selection

def _validation_rmse(image, estimate, validation) -> float:
    ref = np.asarray(image, dtype=np.float64)
    est = np.asarray(estimate, dtype=np.float64)
    return rmse(ref[validation], est[validation])


def select_by_holdout(fit: Callable, candidates: Sequence[dict], image, missing, *, fraction: float = 0.1,
                      seed: int | np.random.Generator = 0) -> tuple[dict, list[dict]]:
    """Choose parameters by the RMSE on held-out *observed* pixels.

    Parameters
    ----------
    fit : callable
        ``fit(image, missing, **params) -> estimate`` (shape like ``image``).
    candidates : sequence of dict
        Parameter sets to try.
    image : ndarray, shape (n0, n1, C) or (n0, n1)
        Only observed pixels are read: values at ``missing`` pixels are set to NaN
        before ``fit`` and scoring see them.
    missing : ndarray of bool, shape (n0, n1)
    fraction : float
        Share of the observed pixels hidden for validation (see :func:`holdout_split`).
    seed : int or Generator

    Returns
    -------
    best : dict
        The candidate with the lowest validation RMSE (first one on ties).
    rows : list of dict
        Each candidate's parameters plus ``validation_rmse``.
    """
    if not candidates:
        raise ValueError("candidates=[] is not allowed: expected at least one parameter set")
    masked = apply_mask(image, missing)
    train_missing, validation = holdout_split(missing, fraction, seed=seed)
    rows = []
    for params in candidates:
        est = fit(masked, train_missing, **params)
        rows.append({**params, "validation_rmse": _validation_rmse(masked, est, validation)})
    best = min(range(len(rows)), key=lambda i: rows[i]["validation_rmse"])
    return dict(candidates[best]), rows


def select_along_path(fit_path: Callable, values: Sequence, image, missing, *, name: str = "lam",
                      fraction: float = 0.1, seed: int | np.random.Generator = 0) -> tuple[float, list[dict], np.ndarray]:
    """Held-out selection along a warm-started path (e.g. :func:`soft_impute_path`).

    Parameters
    ----------
    fit_path : callable
        ``fit_path(image, missing, values) -> list of estimates``, one per value.
    values : sequence
        The path (e.g. decreasing λ).
    name : str
        Column name of the value in the returned rows.

    Returns
    -------
    best : value with the lowest validation RMSE
    rows : list of dict ``{name: value, "validation_rmse": ...}``
    estimate : ndarray
        The training fit at ``best`` (a warm start for the final fit).
    """
    values = list(values)
    if not values:
        raise ValueError("values=[] is not allowed: expected at least one value")
    masked = apply_mask(image, missing)
    train_missing, validation = holdout_split(missing, fraction, seed=seed)
    estimates = fit_path(masked, train_missing, values)
    rows = [{name: v, "validation_rmse": _validation_rmse(masked, e, validation)} for v, e in zip(values, estimates)]
    best = min(range(len(rows)), key=lambda i: rows[i]["validation_rmse"])
    return values[best], rows, estimates[best]


# --------------------------------------------------------------------------- methods with selection

def keep_observed(image, missing, estimate) -> np.ndarray:
    """``estimate`` at missing pixels, ``image`` (as measured) elsewhere.

    Parameters
    ----------
    image, estimate : ndarray, shape (n0, n1, C) or (n0, n1)
    missing : ndarray of bool, shape (n0, n1)
    """
    img = np.asarray(image, dtype=np.float64)
    est = np.asarray(estimate, dtype=np.float64)
    if est.shape != img.shape:
        raise ValueError(f"estimate has shape {est.shape}: expected the image's shape {img.shape}")
    missing = _check_missing(missing, img.shape[:2])
    m = missing[..., None] if img.ndim == 3 else missing
    return np.where(m, est, img)


def biharmonic_inpaint(image, missing) -> np.ndarray:
    """The peer: scikit-image's ``inpaint_biharmonic`` (``channel_axis=-1`` for colour), clipped to [0, 1]."""
    from skimage.restoration import inpaint_biharmonic

    data, missing, was_2d = _observed_channels(image, missing)
    img = _to_image(data, was_2d)
    est = inpaint_biharmonic(img, missing, channel_axis=None if was_2d else -1)
    return keep_observed(img, missing, np.clip(est, 0.0, 1.0))


def als_inpaint(image, missing, *, ranks: Sequence[int], ridges: Sequence[float], n_iter: int = 5,
                fraction: float = 0.1, seed: int = 0) -> tuple[np.ndarray, dict]:
    """ALS completion with rank and ridge chosen on held-out observed pixels.

    Every ``(rank, ridge)`` pair is fitted by :func:`als_factorize` on the observed
    pixels minus a held-out ``fraction`` (:func:`select_by_holdout`); the pair with the
    lowest held-out RMSE is refitted on all observed pixels.

    Returns
    -------
    estimate : ndarray, shape like ``image``; observed pixels kept as measured
    info : dict
        ``rank``, ``ridge`` (the choice) and ``rows`` (every candidate's held-out RMSE).
    """
    def fit(img, miss, rank, ridge):
        est = reconstruct(als_factorize(img, miss, rank, ridge=ridge, n_iter=n_iter, seed=seed))
        return est if np.ndim(img) == 3 else est[..., 0]

    candidates = [{"rank": int(r), "ridge": float(lam)} for r in ranks for lam in ridges]
    best, rows = select_by_holdout(fit, candidates, image, missing, fraction=fraction, seed=seed)
    masked = apply_mask(image, missing)
    est = keep_observed(np.nan_to_num(masked), missing, fit(masked, missing, **best))
    return est, {**best, "rows": rows}


def soft_impute_inpaint(image, missing, *, lams: Sequence[float], n_iter: int = 10, tol: float = 1e-4,
                        fraction: float = 0.1, seed: int = 0) -> tuple[np.ndarray, dict]:
    """Nuclear-norm completion with λ chosen along the path on held-out observed pixels.

    The path :func:`soft_impute_path` runs on the training pixels
    (:func:`select_along_path`); the final fit at the chosen λ on all observed pixels
    starts from the training solution at that λ.

    Returns
    -------
    estimate : ndarray, shape like ``image``; observed pixels kept as measured
    info : dict
        ``lam`` (the choice) and ``rows`` (held-out RMSE along the path).
    """
    lams = sorted((float(v) for v in lams), reverse=True)

    def fit_path(img, miss, values):
        return soft_impute_path(img, miss, values, n_iter=n_iter, tol=tol)[0]

    best, rows, train_fit = select_along_path(fit_path, lams, image, missing, name="lam", fraction=fraction,
                                              seed=seed)
    masked = apply_mask(image, missing)
    est = soft_impute_path(masked, missing, [best], n_iter=n_iter, tol=tol, start=train_fit)[0][-1]
    return est, {"lam": best, "rows": rows}


#: The section's methods: key (used in metrics files) -> label (tables and figures).
METHOD_LABELS = {
    "adam_document": "Adam W·H (document)",
    "rff": "RFF regression (document)",
    "als": "ALS, held-out rank and ridge",
    "soft_impute": "soft-impute, held-out λ",
    "normalized_convolution": "normalized convolution",
    "dct_l1": "DCT-ℓ1 FISTA",
    "dct_threshold": "shifted-DCT thresholding",
    "biharmonic": "biharmonic (scikit-image)",
}


def make_methods(params: dict) -> dict[str, Callable]:
    """The section's inpainting methods, configured from its ``params.yaml`` block.

    Returns
    -------
    dict
        ``key -> method(image, missing) -> (estimate, info)``, keys as in
        :data:`METHOD_LABELS` (same order); estimates keep the
        observed pixels as measured, ``info`` holds the choices made (rank, λ …).
        The Adam row is the document's model at ``doc_rank`` with ``adam_iter`` steps
        and the document's N(0, 1) start.
    """
    p = params
    seed = int(p["seed"])

    def adam(image, missing):
        fac = adam_factorize(image, missing, p["doc_rank"], n_iter=p["adam_iter"], learning_rate=p["adam_lr"],
                             init_scale=1.0, seed=seed, dtype=p["adam_dtype"])
        return keep_observed(np.nan_to_num(image), missing, reconstruct(fac)), {"rank": p["doc_rank"]}

    def als(image, missing):
        return als_inpaint(image, missing, ranks=p["als_ranks"], ridges=p["als_ridges"], n_iter=p["als_iter"],
                           fraction=p["holdout_fraction"], seed=seed)

    def svt(image, missing):
        return soft_impute_inpaint(image, missing, lams=p["svt_lams"], n_iter=p["svt_iter"],
                                   fraction=p["holdout_fraction"], seed=seed)

    def dct_l1(image, missing):
        est, hist = dct_l1_inpaint(image, missing, lam=p["dct_lam"], block=p["dct_block"], stride=p["dct_stride"],
                                   n_iter=p["dct_iter"], start_sigma=p["smooth_sigma"])
        return est, {"iterations": hist.n_iter}

    def dct_threshold(image, missing):
        est = dct_threshold_inpaint(image, missing, threshold_start=p["threshold_start"],
                                    threshold_end=p["threshold_end"], n_stages=p["threshold_stages"],
                                    iter_per_stage=p["threshold_iter"], block=p["threshold_block"],
                                    stride=p["threshold_stride"], start_sigma=p["smooth_sigma"])
        return est, {}

    def rff(image, missing):
        return rff_inpaint(image, missing, n_features=p["rff_features"], sigma=p["rff_sigma"],
                           ridge=p["rff_ridge"], seed=seed), {}

    def smooth(image, missing):
        return normalized_convolution(image, missing, sigma=p["smooth_sigma"]), {}

    def peer(image, missing):
        return biharmonic_inpaint(image, missing), {}

    funcs = {"adam_document": adam, "rff": rff, "als": als, "soft_impute": svt, "normalized_convolution": smooth,
             "dct_l1": dct_l1, "dct_threshold": dct_threshold, "biharmonic": peer}
    return {key: funcs[key] for key in METHOD_LABELS}

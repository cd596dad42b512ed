"""Multimodal (guided) super-resolution with coupled sparse codes.

The pieces of a guided super-resolution of a depth/disparity map by a coupled ISTA network:

- masked resampling: :func:`downsample_masked` (area average of the *valid* pixels of each
  ``factor × factor`` block), :func:`fill_invalid` (nearest valid value),
  :func:`upsample_bicubic` (cubic spline resampling with pixel-area alignment);
- peers: :func:`box_mean` (box filter by cumulative sums) and :func:`guided_filter`
  (He, Sun & Tang, "Guided Image Filtering", ECCV 2010);
- patches: :func:`extract_patches` / :func:`assemble_patches` (overlap averaging);
- :func:`learn_coupled_dictionary` — one dictionary over the stacked modalities
  ``[a; b; h]`` (LR target, guidance, HR residual), learned by ISTA sparse coding and MOD
  dictionary updates, so that the modalities share one sparse code per patch;
- :func:`init_coupled_ista` / :func:`coupled_ista` — the unfolded coupled ISTA: with
  ``a`` the (up-sampled) low-resolution target patch and ``b`` the guidance patch,

  .. math::

      c_0 = S_{\\theta_0}(W_a a + W_b b), \\qquad
      c_{k} = S_{\\theta_k}\\big(c_{k-1} + W_a (a - D_a c_{k-1}) + W_b (b - D_b c_{k-1})\\big),

  and the high-resolution residual ``D_h c_K``. Initialized at the learned dictionaries
  (``W = η Dᵀ``, ``θ = η λ``) the network *is* ISTA on
  ``½‖a − D_a c‖² + ½‖b − D_b c‖² + λ‖c‖₁``; training (autograd) then adjusts every matrix
  and threshold. Without the guidance branch (``W_b``, ``D_b`` absent) it is a LISTA on the
  target alone.

Reference: X. Deng and P. L. Dragotti, "Deep Coupled ISTA Network for Multi-Modal Image
Super-Resolution", IEEE Transactions on Image Processing 29, 1683–1698, 2020. The paper splits
the code into common and modality-specific parts; here one code is shared and the learned
matrices decide which atoms each modality uses.
"""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
from scipy import ndimage

from sparseimg._validate import check_int, check_real
from sparseimg.contracts import SmoothTermBase
from sparseimg.optim.prox import L1Norm, soft_threshold_differentiable
from sparseimg.optim.solvers import proximal_gradient

__all__ = ["downsample_masked", "fill_invalid", "upsample_bicubic", "box_mean", "guided_filter", "guided_filters",
           "extract_patches", "assemble_patches", "learn_coupled_dictionary",
           "init_coupled_ista", "coupled_ista", "masked_rmse"]


# ---------------------------------------------------------------------------------------------
# Masked resampling
# ---------------------------------------------------------------------------------------------
def _check_factor(factor):
    return check_int("factor", factor, low=1)


def downsample_masked(image: np.ndarray, valid: np.ndarray, factor: int) -> tuple[np.ndarray, np.ndarray]:
    """Area average of the valid pixels of each ``factor × factor`` block.

    Parameters
    ----------
    image : (H, W) ndarray
        High-resolution map; ``H`` and ``W`` multiples of ``factor``. Invalid pixels may hold
        anything (NaN included).
    valid : (H, W) bool ndarray
    factor : int

    Returns
    -------
    low : (H/factor, W/factor) ndarray
        Mean of the valid pixels of each block; 0 where a block has none.
    low_valid : (H/factor, W/factor) bool ndarray
        Blocks with at least one valid pixel.
    """
    factor = _check_factor(factor)
    image = np.asarray(image, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool)
    if image.ndim != 2 or image.shape != valid.shape:
        raise ValueError(f"image {image.shape} and valid {valid.shape}: expected two 2-D arrays of one shape")
    h, w = image.shape
    if h % factor or w % factor:
        raise ValueError(f"image shape {image.shape} is not allowed: expected multiples of factor={factor}")
    values = np.where(valid, image, 0.0).reshape(h // factor, factor, w // factor, factor).sum(axis=(1, 3))
    counts = valid.reshape(h // factor, factor, w // factor, factor).sum(axis=(1, 3))
    low = np.divide(values, counts, out=np.zeros_like(values), where=counts > 0)
    return low, counts > 0


def fill_invalid(image: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``image`` with each invalid pixel replaced by the nearest valid one (Euclidean)."""
    valid = np.asarray(valid, dtype=bool)
    if valid.all():
        return np.asarray(image, dtype=np.float64).copy()
    if not valid.any():
        raise ValueError("valid has no True pixel: nothing to fill from")
    _, (ii, jj) = ndimage.distance_transform_edt(~valid, return_indices=True)
    return np.asarray(image, dtype=np.float64)[ii, jj]


def upsample_bicubic(low: np.ndarray, factor: int) -> np.ndarray:
    """Cubic-spline up-sampling by ``factor`` with pixel-area alignment (edge-replicated borders).

    A low-resolution pixel is the average over a ``factor × factor`` block, so its centre sits at
    the block's centre; scikit-image's :func:`~skimage.transform.resize` (order 3) uses exactly
    this alignment.
    """
    from skimage.transform import resize

    factor = _check_factor(factor)
    low = np.asarray(low, dtype=np.float64)
    return resize(low, (low.shape[0] * factor, low.shape[1] * factor), order=3, mode="edge",
                  anti_aliasing=False, preserve_range=True)


def masked_rmse(reference: np.ndarray, estimate: np.ndarray, valid: np.ndarray) -> float:
    """Root-mean-square error over the pixels where ``valid`` is True."""
    valid = np.asarray(valid, dtype=bool)
    if not valid.any():
        raise ValueError("valid has no True pixel: the RMSE is undefined")
    diff = np.asarray(estimate, dtype=np.float64)[valid] - np.asarray(reference, dtype=np.float64)[valid]
    return float(np.sqrt(np.mean(diff * diff)))


# ---------------------------------------------------------------------------------------------
# Guided filter (He et al. 2010)
# ---------------------------------------------------------------------------------------------
def box_mean(image: np.ndarray, radius: int) -> np.ndarray:
    """Mean over the ``(2r+1) × (2r+1)`` window around each pixel, by cumulative sums.

    Windows are cut at the borders (the mean is over the pixels inside the image).
    """
    radius = check_int("radius", radius, low=0)
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError(f"image has shape {image.shape}: expected a 2-D array")

    def bounds(n):
        idx = np.arange(n)
        return np.maximum(idx - radius, 0), np.minimum(idx + radius + 1, n)

    def window_sum(x, axis):
        c = np.cumsum(x, axis=axis)
        c = np.concatenate([np.zeros_like(np.take(c, [0], axis=axis)), c], axis=axis)
        lo, hi = bounds(x.shape[axis])
        return np.take(c, hi, axis=axis) - np.take(c, lo, axis=axis)

    sums = window_sum(window_sum(image, 0), 1)
    # pixels in each cut window: (rows in it) × (columns in it), whole numbers, exact in float64
    (lo0, hi0), (lo1, hi1) = bounds(image.shape[0]), bounds(image.shape[1])
    counts = np.outer((hi0 - lo0).astype(np.float64), (hi1 - lo1).astype(np.float64))
    return sums / counts


def guided_filter(guide: np.ndarray, source: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """The guided filter of He, Sun & Tang (ECCV 2010) with a grey guide.

    In each window ``ω_k`` the output is the local linear model ``q = a_k I + b_k`` with
    ``a_k = cov_k(I, p) / (var_k(I) + eps)`` and ``b_k = mean_k(p) − a_k mean_k(I)``; each pixel
    averages the models of the windows that contain it.

    Parameters
    ----------
    guide : (H, W) ndarray
        Guidance image ``I``.
    source : (H, W) ndarray
        Image to filter ``p``.
    radius : int
        Window radius ``r`` (windows of ``(2r+1)²`` pixels).
    eps : float
        Regularization of ``a_k``, in squared units of the guide (larger: smoother).
    """
    return guided_filters(guide, source, radius, [eps])[0]


def guided_filters(guide: np.ndarray, source: np.ndarray, radius: int, eps_values) -> list[np.ndarray]:
    """:func:`guided_filter` at several ``eps``, the window statistics of ``radius`` computed once.

    Each output equals ``guided_filter(guide, source, radius, eps)`` bit for bit (the same operations on the
    same arrays); a sweep over ``eps`` costs two box filters per value instead of six.

    Parameters
    ----------
    guide, source : (H, W) ndarray
        As for :func:`guided_filter`.
    radius : int
        Window radius.
    eps_values : sequence of float
        The regularizations, each ``>= 0``.

    Returns
    -------
    list of (H, W) ndarray
        One filtered image per value of ``eps_values``, in order.
    """
    eps_values = [check_real("eps", e, low=0.0) for e in eps_values]
    guide = np.asarray(guide, dtype=np.float64)
    source = np.asarray(source, dtype=np.float64)
    if guide.shape != source.shape or guide.ndim != 2:
        raise ValueError(f"guide {guide.shape} and source {source.shape}: expected two 2-D arrays of one shape")
    mean_i = box_mean(guide, radius)
    mean_p = box_mean(source, radius)
    cov_ip = box_mean(guide * source, radius) - mean_i * mean_p
    var_i = box_mean(guide * guide, radius) - mean_i * mean_i
    out = []
    for eps in eps_values:
        a = cov_ip / (var_i + eps)
        b = mean_p - a * mean_i
        out.append(box_mean(a, radius) * guide + box_mean(b, radius))
    return out


# ---------------------------------------------------------------------------------------------
# Patches
# ---------------------------------------------------------------------------------------------
def _grid(n: int, size: int, stride: int) -> np.ndarray:
    starts = np.arange(0, n - size + 1, stride)
    if starts[-1] != n - size:
        starts = np.append(starts, n - size)
    return starts


def extract_patches(image: np.ndarray, size: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """All ``size × size`` patches on a grid of step ``stride`` (the last row/column always included).

    Returns
    -------
    patches : (N, size*size) ndarray (rows: the patches, raster order)
    corners : (N, 2) int ndarray (top-left corners)
    """
    size = check_int("size", size, low=1)
    stride = check_int("stride", stride, low=1)
    image = np.asarray(image)
    if image.ndim != 2 or min(image.shape) < size:
        raise ValueError(f"image has shape {image.shape}: expected a 2-D array at least {size}×{size}")
    rows, cols = _grid(image.shape[0], size, stride), _grid(image.shape[1], size, stride)
    view = np.lib.stride_tricks.sliding_window_view(image, (size, size))
    # one fancy index on both axes copies the (rows × cols) patches alone (view[rows][:, cols] first copied
    # every column position of the chosen rows)
    patches = view[rows[:, None], cols[None, :]].reshape(len(rows) * len(cols), size * size)
    corners = np.stack(np.meshgrid(rows, cols, indexing="ij"), axis=-1).reshape(-1, 2)
    return np.ascontiguousarray(patches), corners


def assemble_patches(patches: np.ndarray, corners: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Overlap-average patches back into an image of ``shape`` (pixels no patch covers: 0)."""
    patches = np.asarray(patches, dtype=np.float64)
    size = int(round(np.sqrt(patches.shape[1])))
    out = np.zeros(shape)
    weight = np.zeros(shape)
    blocks = patches.reshape(-1, size, size)
    corners = np.asarray(corners)
    # distinct corners (every grid of extract_patches): for one offset (di, dj) the N pixels are distinct, so a
    # fancy-indexed += is np.add.at (each pixel gets the same additions in the same order), without its cost
    distinct = len(np.unique(corners, axis=0)) == len(corners)
    for di in range(size):  # size² strided scatter-adds instead of N small ones
        for dj in range(size):
            where = (corners[:, 0] + di, corners[:, 1] + dj)
            if distinct:
                out[where] += blocks[:, di, dj]
                weight[where] += 1.0
            else:
                np.add.at(out, where, blocks[:, di, dj])
                np.add.at(weight, where, 1.0)
    return np.divide(out, weight, out=np.zeros(shape), where=weight > 0)


# ---------------------------------------------------------------------------------------------
# Coupled dictionary learning
# ---------------------------------------------------------------------------------------------
class _GramLeastSquares(SmoothTermBase):
    """``½‖C Dᵀ − S‖²`` over the codes ``C`` (rows = signals) in Gram form: gradient ``C G − S D``
    with ``G = DᵀD`` (K × K) instead of the (N × d) residual; the value drops the constant ``½‖S‖²``."""

    affine_gradient = True

    def __init__(self, signals, dictionary):
        self.gram = dictionary.T @ dictionary
        self.corr = signals @ dictionary

    def lipschitz_constant(self) -> float:
        return float(np.linalg.eigvalsh(self.gram)[-1])

    def value_and_grad(self, codes):
        g = codes @ self.gram
        value = 0.5 * float(np.sum(g * codes)) - float(np.sum(codes * self.corr))
        g -= self.corr
        return value, g

    def value(self, codes):
        return self.value_and_grad(codes)[0]


def _ista_codes(signals, dictionary, lam, codes, n_iter):
    """``n_iter`` ISTA steps (the library's proximal-gradient core, step ``1/‖DᵀD‖``) on the lasso codes."""
    smooth = _GramLeastSquares(signals, dictionary)
    codes, _ = proximal_gradient(smooth, L1Norm(lam), codes, step=1.0 / smooth.lipschitz_constant(),
                                 n_iter=n_iter, tol=0.0, track=False)
    return codes


def learn_coupled_dictionary(signals: np.ndarray, n_atoms: int, lam: float, *, n_iter: int = 20,
                             code_iter: int = 30, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """A dictionary ``D`` with unit-norm atoms for ``signals ≈ codes @ D.T``, sparse codes.

    Coupled dictionary learning in the sense of Yang et al. (2010): each row of ``signals`` is
    the concatenation of the modalities of one patch, so one sparse code explains all of them.
    Alternates ``code_iter`` warm-started ISTA iterations on
    ``½‖x − D c‖² + λ‖c‖₁`` with the MOD update ``D = Xᵀ C (CᵀC + 10⁻⁸ I)⁻¹`` (then unit
    columns; an unused atom is replaced by a random training signal).

    Parameters
    ----------
    signals : (N, d) ndarray
    n_atoms : int
    lam : float
    n_iter : int
        Alternations.
    seed : int or Generator
        Initial atoms: ``n_atoms`` signals drawn without replacement.

    Returns
    -------
    dictionary : (d, n_atoms) ndarray
    codes : (N, n_atoms) ndarray
    """
    signals = np.asarray(signals, dtype=np.float64)
    n_atoms = check_int("n_atoms", n_atoms, low=1)
    lam = check_real("lam", lam, low=0.0)
    rng = np.random.default_rng(seed)
    if signals.ndim != 2 or signals.shape[0] < n_atoms:
        raise ValueError(f"signals has shape {signals.shape}: expected (N, d) with N >= n_atoms={n_atoms}")

    def normalize(d):
        norms = np.linalg.norm(d, axis=0)
        dead = norms < 1e-10
        if dead.any():
            d[:, dead] = signals[rng.choice(len(signals), dead.sum(), replace=False)].T
            norms = np.linalg.norm(d, axis=0)
        return d / np.maximum(norms, 1e-12)

    dictionary = normalize(signals[rng.choice(len(signals), n_atoms, replace=False)].T.copy())
    codes = np.zeros((len(signals), n_atoms))
    for _ in range(check_int("n_iter", n_iter, low=0)):
        codes = _ista_codes(signals, dictionary, lam, codes, code_iter)
        gram = codes.T @ codes + 1e-8 * np.eye(n_atoms)
        dictionary = normalize(np.linalg.solve(gram, codes.T @ signals).T)
    codes = _ista_codes(signals, dictionary, lam, codes, code_iter)
    return dictionary, codes


# ---------------------------------------------------------------------------------------------
# Unfolded coupled ISTA
# ---------------------------------------------------------------------------------------------
def init_coupled_ista(dictionary: np.ndarray, dims: tuple[int, ...], lam: float, n_layers: int) -> dict:
    """Network weights that reproduce ISTA on the learned coupled dictionary.

    Parameters
    ----------
    dictionary : (d_a + d_b + d_h, m) ndarray
        Rows: the target (LR) block, the guidance block (``d_b = 0`` without guidance), the
        high-resolution block (what the network outputs).
    dims : (d_a, d_b, d_h)
    lam : float
        ℓ1 weight of ISTA (thresholds ``η λ`` with ``η = 1/‖[D_a; D_b]‖²``).
    n_layers : int
        ISTA steps after the first (``n_layers + 1`` thresholdings).

    Returns
    -------
    dict with ``Wa``, ``Da``, ``Dh``, ``theta`` (``(n_layers + 1, m)``) and, with guidance,
    ``Wb``, ``Db``.
    """
    d_a, d_b, d_h = (int(v) for v in dims)
    dictionary = np.asarray(dictionary, dtype=np.float64)
    if dictionary.shape[0] != d_a + d_b + d_h:
        raise ValueError(f"dictionary has {dictionary.shape[0]} rows: expected d_a + d_b + d_h = {d_a + d_b + d_h}")
    n_layers = check_int("n_layers", n_layers, low=0)
    da, db, dh = dictionary[:d_a], dictionary[d_a:d_a + d_b], dictionary[d_a + d_b:]
    analysis = dictionary[:d_a + d_b]
    eta = 1.0 / np.linalg.norm(analysis, 2) ** 2
    params = {"Wa": eta * da.T, "Da": da.copy(), "Dh": dh.copy(),
              "theta": np.full((n_layers + 1, dictionary.shape[1]), eta * lam)}
    if d_b:
        params["Wb"] = eta * db.T
        params["Db"] = db.copy()
    return params


def coupled_ista(params: dict, a, b=None, *, return_codes: bool = False):
    """Forward pass of the unfolded coupled ISTA (autograd-traceable).

    Parameters
    ----------
    params : dict
        From :func:`init_coupled_ista` (or trained). Without ``Wb`` the guidance is ignored.
    a : (N, d_a) array
        Target-modality patches (rows).
    b : (N, d_b) array, optional
        Guidance patches (needed when ``params`` has ``Wb``).

    Returns
    -------
    (N, d_h) array: ``c_K @ D_hᵀ`` (and the codes ``c_K`` if ``return_codes``).
    """
    guided = "Wb" in params
    if guided and b is None:
        raise ValueError("these weights have a guidance branch: expected the guidance patches b")
    theta = params["theta"]
    drive = anp.dot(a, params["Wa"].T)
    if guided:
        drive = drive + anp.dot(b, params["Wb"].T)
    codes = soft_threshold_differentiable(drive, theta[0])
    for k in range(1, theta.shape[0]):
        update = anp.dot(a - anp.dot(codes, params["Da"].T), params["Wa"].T)
        if guided:
            update = update + anp.dot(b - anp.dot(codes, params["Db"].T), params["Wb"].T)
        codes = soft_threshold_differentiable(codes + update, theta[k])
    out = anp.dot(codes, params["Dh"].T)
    return (out, codes) if return_codes else out

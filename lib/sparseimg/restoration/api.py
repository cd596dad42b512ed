"""One call per task for your own image: :func:`denoise`, :func:`deblur`, :func:`inpaint`.

One convention everywhere:

- images are float arrays in ``[0, 1]`` (a noisy or blurred observation may stray a little outside:
  values in ``[-0.5, 1.5]`` are accepted; anything wider, or an integer image, is refused with one line
  saying how to convert it);
- ``sigma`` is the noise standard deviation **in the image's units** (σ = 25 on the 0–255 scale is
  ``25 / 255 ≈ 0.098``); a σ ≥ 1 for an image in ``[0, 1]`` is refused, naming both;
- outputs are float64 arrays of the input's shape, **not clipped** (clip with ``np.clip(out, 0, 1)``
  to display; PSNRs in this library are computed on unclipped estimates, ``data_range = 1``).

Each function dispatches to the library's methods (the same code the sections run), with the defaults
the sections tune on their tuning images. For the methods' own options, call them directly: the
docstrings below name each one.
"""

from __future__ import annotations

import numpy as np

from sparseimg._validate import check_choice, check_missing, check_real

__all__ = ["DENOISE_METHODS", "DEBLUR_METHODS", "INPAINT_METHODS", "check_image", "check_sigma", "denoise",
           "deblur", "inpaint"]

DENOISE_METHODS = ("wavelet", "learned", "bm3d", "tv")
DEBLUR_METHODS = ("tv", "tikhonov", "richardson_lucy", "wiener")
INPAINT_METHODS = ("biharmonic", "dct_l1", "dct_threshold", "soft_impute", "normalized_convolution")

#: TV denoising weight in units of σ (section 3 tunes it per σ on its tuning image: 0.8–1.0).
TV_FACTOR = 0.9


def check_image(image, name: str = "image", *, channels: bool = False) -> np.ndarray:
    """``image`` as float64, checked: 2-D (or ``(n0, n1, C)`` with ``channels``), finite, in ``[0, 1]``.

    Values in ``[-0.5, 1.5]`` pass (noise strays); wider ranges and integer images fail with one line.
    """
    arr = np.asarray(image)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{name} has dtype {arr.dtype}: expected a float image in [0, 1]")
    if arr.dtype.kind in "iub":
        hint = " (divide by 255)" if arr.size and arr.max() > 1 else " (convert with .astype(float))"
        raise TypeError(f"{name} has dtype {arr.dtype}: expected a float image in [0, 1]{hint}")
    allowed = (2, 3) if channels else (2,)
    if arr.ndim not in allowed or min(arr.shape[:2], default=0) < 2:
        shape = "(rows, columns) or (rows, columns, channels)" if channels else "(rows, columns)"
        raise ValueError(f"{name} has shape {arr.shape}: expected a greyscale image {shape}")
    arr = arr.astype(np.float64, copy=False)
    finite = arr[np.isfinite(arr)]
    if finite.size != arr.size and not channels:
        raise ValueError(f"{name} has {arr.size - finite.size} non-finite values: expected finite values")
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    if lo < -0.5 or hi > 1.5:
        hint = " (divide by 255)" if hi > 2 else ""
        raise ValueError(f"{name} has values in [{lo:.3g}, {hi:.3g}]: expected an image in [0, 1]{hint}")
    return arr


def check_sigma(sigma, name: str = "sigma") -> float:
    """σ in the units of an image in ``[0, 1]``: ``0 < σ < 1`` (one line naming both otherwise)."""
    sigma = check_real(name, sigma, low=0.0, low_open=True)
    if sigma >= 1:
        raise ValueError(f"{name}={sigma:g} is not allowed for an image in [0, 1]: σ is in the image's units "
                         f"(σ = {sigma:g} on the 0-255 scale is {sigma / 255:.4g}); expected 0 < {name} < 1")
    return sigma


def _estimate_sigma(x: np.ndarray) -> float:
    from sparseimg.restoration.noise import estimate_sigma_patches

    return float(estimate_sigma_patches(x))


def denoise(image, sigma: float | None = None, *, method: str = "wavelet") -> np.ndarray:
    """Remove white Gaussian noise of standard deviation ``sigma`` from a greyscale image in ``[0, 1]``.

    Parameters
    ----------
    image : ndarray, shape (n0, n1)
        The noisy image, floats in ``[0, 1]``.
    sigma : float, optional
        Noise standard deviation in image units (``25 / 255`` for σ = 25 on the 0–255 scale).
        Default: estimated from the image (weak-texture patches,
        :func:`sparseimg.restoration.noise.estimate_sigma_patches`).
    method : {"wavelet", "learned", "bm3d", "tv"}
        ``"wavelet"``: cycle-spun BayesShrink on the CDF 9/7 lifting wavelet, 4 levels, 8 × 8 shifts
        (:func:`sparseimg.restoration.shrinkage.denoise_ti`); ``"learned"``: section 3b's WINNet-structured
        denoiser (:func:`sparseimg.learn.winnet.load`, the committed ``models/winnet.npz``; trained for
        σ 5–55 on the 0–255 scale, it warns outside that range);
        ``"bm3d"``: BM3D (the ``bm3d`` package, both stages); ``"tv"``: total-variation denoising
        with weight ``0.9 σ`` (:func:`sparseimg.optim.tv.tv_prox`).

    Returns
    -------
    ndarray, shape (n0, n1), float64, unclipped

    Examples
    --------
    >>> import numpy as np
    >>> from sparseimg import denoise, load_image, psnr
    >>> clean = load_image("camera", gray=True)[::4, ::4]
    >>> noisy = clean + 25 / 255 * np.random.default_rng(0).standard_normal(clean.shape)
    >>> bool(psnr(clean, denoise(noisy, 25 / 255)) > psnr(clean, noisy) + 5)
    True
    """
    check_choice("method", method, DENOISE_METHODS)
    x = check_image(image)
    sigma = _estimate_sigma(x) if sigma is None else check_sigma(sigma)
    if method == "wavelet":
        from sparseimg.restoration.shrinkage import denoise_ti

        return denoise_ti(x, sigma, wavelet="cdf97", levels=4, method="BayesShrink", shifts=8)
    if method == "tv":
        from sparseimg.optim.tv import tv_prox

        return tv_prox(x, TV_FACTOR * sigma, n_iter=50)
    if method == "bm3d":
        from sparseimg.restoration.denoisers import bm3d_denoise

        return bm3d_denoise(x, sigma)
    from sparseimg.learn import winnet

    return np.asarray(winnet.load()(x, sigma), dtype=np.float64)


def _as_operator(psf_or_operator, shape, name: str = "psf"):
    """A PSF array becomes the bounded (cropped linear) convolution of an image of ``shape``."""
    from sparseimg.contracts import require
    from sparseimg.operators import LinearConvolution

    if isinstance(psf_or_operator, np.ndarray) or isinstance(psf_or_operator, (list, tuple)):
        psf = np.asarray(psf_or_operator, dtype=np.float64)
        if psf.ndim != 2 or psf.shape[0] > shape[0] or psf.shape[1] > shape[1]:
            raise ValueError(f"{name} has shape {psf.shape}: expected a 2-D kernel no larger than the image {shape}")
        if not np.all(np.isfinite(psf)) or psf.sum() <= 0:
            raise ValueError(f"{name} sums to {psf.sum():g}: expected a finite kernel with a positive sum")
        return psf / psf.sum(), LinearConvolution(psf / psf.sum(), shape)
    return None, require("operator", psf_or_operator, name)


def deblur(image, psf, *, method: str = "tv", lam: float | None = None, n_iter: int | None = None) -> np.ndarray:
    """Deblur a greyscale image in ``[0, 1]`` blurred by ``psf`` (an array, or any operator of the library).

    Parameters
    ----------
    image : ndarray, shape (n0, n1)
        The blurred (and noisy) image.
    psf : ndarray or operator
        A 2-D kernel (normalized to sum 1 here and applied as the blur of a bounded image:
        :class:`~sparseimg.operators.LinearConvolution`), or an operator such as
        :class:`~sparseimg.operators.FourierConvolution` (circular) used as given.
    method : {"tv", "tikhonov", "richardson_lucy", "wiener"}
        ``"tv"``: ``½‖Au − b‖² + λ TV(u)`` by FISTA (:func:`~sparseimg.restoration.deconvolution.tv_deblur`,
        λ default 4e-4, 200 iterations); ``"tikhonov"``: ``½‖Au − b‖² + ½ λ‖∇u‖²`` by CG (λ default 1e-2);
        ``"richardson_lucy"``: border-normalized Richardson–Lucy (50 iterations); ``"wiener"``:
        scikit-image's Wiener–Hunt filter (circular model, ``balance = λ``, default 1; needs a PSF array).
        The defaults are section 2's choices on its tuning image (camera) at noise σ = 0.01; tune
        ``lam`` / ``n_iter`` for your noise level.
    lam : float, optional
        The method's weight (see above).
    n_iter : int, optional
        Iterations of the iterative methods.

    Returns
    -------
    ndarray, shape (n0, n1), float64, unclipped
    """
    from sparseimg._validate import check_int
    from sparseimg.restoration import deconvolution as dc

    check_choice("method", method, DEBLUR_METHODS)
    x = check_image(image)
    kernel, operator = _as_operator(psf, x.shape)
    if lam is not None:
        lam = check_real("lam", lam, low=0.0, low_open=True)
    if n_iter is not None:
        n_iter = check_int("n_iter", n_iter, low=1)
    if method == "tv":
        return dc.tv_deblur(x, operator, 4e-4 if lam is None else lam, n_iter=n_iter or 200)[0]
    if method == "tikhonov":
        return dc.tikhonov_deblur(x, operator, 1e-2 if lam is None else lam, n_iter=n_iter or 500)[0]
    if method == "richardson_lucy":
        return dc.richardson_lucy_normalized(x, operator, n_iter or 50)
    if kernel is None:
        raise ValueError("method='wiener' is not allowed with an operator: expected a PSF array")
    return dc.wiener_deblur(x, kernel, 1.0 if lam is None else lam)


def inpaint(image, missing, *, method: str = "biharmonic") -> np.ndarray:
    """Fill the pixels marked True in ``missing`` (a boolean ``(n0, n1)`` mask) of an image in ``[0, 1]``.

    Parameters
    ----------
    image : ndarray, shape (n0, n1) or (n0, n1, C)
        The image; its missing pixels' values are never read (they may be NaN).
    missing : ndarray of bool, shape (n0, n1)
        True where a pixel is missing (one mask for every channel).
    method : {"biharmonic", "dct_l1", "dct_threshold", "soft_impute", "normalized_convolution"}
        ``"biharmonic"``: scikit-image's biharmonic interpolation; ``"dct_l1"``: ℓ1 sparsity in 16 × 16
        block DCTs (:func:`~sparseimg.restoration.inpainting.dct_l1_inpaint`); ``"dct_threshold"``:
        iterative shifted-DCT thresholding; ``"soft_impute"``: low-rank completion with λ chosen on
        held-out observed pixels (:func:`~sparseimg.restoration.completion.soft_impute_inpaint`);
        ``"normalized_convolution"``: Gaussian normalized convolution (σ = 1 px).

    Returns
    -------
    ndarray of the image's shape, float64; observed pixels keep their values, unclipped
    """
    from sparseimg.restoration import completion, inpainting

    check_choice("method", method, INPAINT_METHODS)
    x = check_image(image, channels=True)
    mask = check_missing(missing, x.shape[:2])
    if method == "biharmonic":
        return inpainting.biharmonic_inpaint(x, mask)
    if method == "dct_l1":
        return inpainting.dct_l1_inpaint(x, mask)[0]
    if method == "dct_threshold":
        return inpainting.dct_threshold_inpaint(x, mask)
    if method == "normalized_convolution":
        return inpainting.normalized_convolution(x, mask)
    estimate, _ = completion.soft_impute_inpaint(x, mask, lams=np.geomspace(3.0, 0.03, 7).tolist())
    return estimate

"""sparseimg — sparse image reconstruction for the notebook workspace.

For your own image: ``sparseimg.denoise``, ``sparseimg.deblur``, ``sparseimg.inpaint`` (images in
[0, 1], σ in image units; :mod:`sparseimg.restoration.api`), ``sparseimg.load_image`` and
``sparseimg.psnr``.

Where things live (arrays and operators in, arrays out):

- :mod:`sparseimg.operators` — linear operators (Fourier and cropped linear convolution,
  masks, gradient, block-DCT frames), each with ``forward``/``adjoint``/``normal``/
  ``lipschitz_constant`` and its own fast path for the data term;
- :mod:`sparseimg.optim.prox`, :mod:`sparseimg.optim.tv` — penalties and their proxes;
  :mod:`sparseimg.restoration.denoisers` — ``denoise(x, sigma)`` functions and the adapter that makes
  one a prox; :mod:`sparseimg.optim.objectives` — data terms; :mod:`sparseimg.optim.solvers` — the one
  proximal-gradient core, CG, scipy and Adam wrappers, one iteration recorder;
  :mod:`sparseimg.optim.admm` — over-relaxed ADMM with a self-tuning penalty (convolutional sparse
  coding); ``sparseimg.optim._fused`` — the numba-fused iterations both take on Fourier problems;
- methods by concern: :mod:`sparseimg.restoration.deconvolution`, :mod:`sparseimg.restoration.completion`,
  :mod:`sparseimg.restoration.inpainting`, :mod:`sparseimg.restoration.selection`;
- :mod:`sparseimg.kernels`, :mod:`sparseimg.sparsemodels.synthesis`, :mod:`sparseimg.images`,
  :mod:`sparseimg.metrics` — kernels, synthetic data, test images, measurements;
- :mod:`sparseimg.testing` — the dot test and prox checks the test suite shares;
- :mod:`sparseimg.experiments` — one module per section (problems with their ground
  truth, ``METHODS`` registries, scans);
- :mod:`sparseimg.workspace` — parameter schemas, the runner, reports (never imported by
  the science above).
"""

import importlib

#: The small surface re-exported here, loaded on first use (PEP 562) so that importing one
#: module (say ``sparseimg.images``) does not import the whole library.
_EXPORTS = {
    "denoise": "restoration.api", "deblur": "restoration.api", "inpaint": "restoration.api",
    "load_image": "images",
    "FourierConvolution": "operators.fourier", "LinearConvolution": "operators.convolution",
    "MaskOperator": "operators.mask", "transfer_from_centered": "operators.fourier",
    "transfer_from_kernel": "operators.fourier",
    "gaussian_psf": "kernels", "motion_cloud_envelope": "kernels", "motion_cloud_operator": "kernels",
    "psnr": "metrics", "rmse": "metrics", "support_precision_recall": "metrics",
    "LeastSquares": "optim.objectives",
    "L0Norm": "optim.prox", "L1Norm": "optim.prox", "Zero": "optim.prox", "hard_threshold": "optim.prox", "soft_threshold": "optim.prox",
    "History": "optim.solvers", "conjugate_gradient": "optim.solvers", "fista": "optim.solvers", "gradient_descent": "optim.solvers",
    "ista": "optim.solvers", "proximal_gradient": "optim.solvers",
    "sparse_events": "sparsemodels.synthesis", "synthesize": "sparsemodels.synthesis",
    "batch_omp": "sparsemodels.dictionary", "ksvd": "sparsemodels.dictionary",
    "fit_support_model": "sparsemodels.generation", "gibbs_fixed_size": "sparsemodels.generation", "em_gaussian_missing": "sparsemodels.generation",
    "frechet_distance": "sparsemodels.generative_scores", "precision_recall": "sparsemodels.generative_scores",
}
__all__ = list(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)

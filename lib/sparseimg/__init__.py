"""sparseimg — sparse image reconstruction for the notebook workspace.

Where things live (arrays and operators in, arrays out):

- :mod:`sparseimg.operators` — linear operators (Fourier and cropped linear convolution,
  masks, gradient, block-DCT frames), each with ``forward``/``adjoint``/``normal``/
  ``lipschitz_constant`` and its own fast path for the data term;
- :mod:`sparseimg.prox`, :mod:`sparseimg.tv` — penalties and their proxes;
  :mod:`sparseimg.denoisers` — ``denoise(x, sigma)`` functions and the adapter that makes
  one a prox; :mod:`sparseimg.objectives` — data terms; :mod:`sparseimg.solvers` — the one
  proximal-gradient core, CG, scipy and Adam wrappers, one iteration recorder;
  :mod:`sparseimg.admm` — over-relaxed ADMM with a self-tuning penalty (convolutional sparse
  coding); ``sparseimg._fused`` — the numba-fused iterations both take on Fourier problems;
- methods by concern: :mod:`sparseimg.deconvolution`, :mod:`sparseimg.completion`,
  :mod:`sparseimg.inpainting`, :mod:`sparseimg.selection`;
- :mod:`sparseimg.kernels`, :mod:`sparseimg.synthesis`, :mod:`sparseimg.images`,
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
    "FourierConvolution": "operators", "LinearConvolution": "operators", "MaskOperator": "operators",
    "transfer_from_centered": "operators", "transfer_from_kernel": "operators",
    "gaussian_psf": "kernels", "motion_cloud_envelope": "kernels", "motion_cloud_operator": "kernels",
    "psnr": "metrics", "rmse": "metrics", "support_precision_recall": "metrics",
    "LeastSquares": "objectives",
    "L0Norm": "prox", "L1Norm": "prox", "Zero": "prox", "hard_threshold": "prox", "soft_threshold": "prox",
    "History": "solvers", "conjugate_gradient": "solvers", "fista": "solvers", "gradient_descent": "solvers",
    "ista": "solvers", "proximal_gradient": "solvers",
    "sparse_events": "synthesis", "synthesize": "synthesis",
    "batch_omp": "dictionary", "ksvd": "dictionary",
    "fit_support_model": "generation", "gibbs_fixed_size": "generation", "em_gaussian_missing": "generation",
    "frechet_distance": "generative_scores", "precision_recall": "generative_scores",
}
__all__ = list(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)

"""sparseimg — sparse image reconstruction for the notebook workspace.

Small surface re-exported here; the modules hold the rest:

- :mod:`sparseimg.fourier` — FFT convolution operators on real FFTs;
- :mod:`sparseimg.kernels` — MotionClouds envelopes, Gaussian PSFs;
- :mod:`sparseimg.synthesis` — sparse events and the generative model;
- :mod:`sparseimg.prox`, :mod:`sparseimg.objectives`, :mod:`sparseimg.solvers` —
  penalties, data terms and the one proximal-gradient core;
- :mod:`sparseimg.deconvolution` — closed-form inverse filters;
- :mod:`sparseimg.metrics`, :mod:`sparseimg.timing`, :mod:`sparseimg.reporting` —
  measurements and the files written to ``reports/``;
- :mod:`sparseimg.params`, :mod:`sparseimg.sections`, :mod:`sparseimg.runner` —
  parameter schema and the papermill runner.
"""

from .fourier import FourierConvolution, transfer_from_centered, transfer_from_kernel
from .kernels import gaussian_psf, motion_cloud_envelope, motion_cloud_operator
from .metrics import psnr, rmse, support_precision_recall
from .objectives import LeastSquares
from .prox import L0Norm, L1Norm, Zero, hard_threshold, soft_threshold
from .solvers import History, conjugate_gradient, fista, gradient_descent, ista, proximal_gradient
from .synthesis import sparse_events, synthesize

__all__ = [
    "FourierConvolution", "transfer_from_centered", "transfer_from_kernel",
    "gaussian_psf", "motion_cloud_envelope", "motion_cloud_operator",
    "psnr", "rmse", "support_precision_recall",
    "LeastSquares", "L0Norm", "L1Norm", "Zero", "hard_threshold", "soft_threshold",
    "History", "conjugate_gradient", "fista", "gradient_descent", "ista", "proximal_gradient",
    "sparse_events", "synthesize",
]
__version__ = "0.1.0"

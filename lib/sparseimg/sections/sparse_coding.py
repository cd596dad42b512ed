"""Section 1: convolutional sparse coding of large images (seed 000)."""

from ..params import Choice, Float, Int, ListOf

TITLE = "1. Convolutional sparse coding of large images"
NOTEBOOK = "notebooks/01_sparse_coding.ipynb"

SCHEMA = {
    "size": Int(16, 4096, help="image side N (N x N); the document uses 512"),
    "seed": Int(0, 2**32 - 1, help="RandomState seed of the Laplace events (document: 2020)"),
    "rho": Float(0, 1, low_open=True, high_open=True, help="fraction of non-zero events"),
    "y_lambda": Float(0, low_open=True, help="scale of the Laplace coefficients"),
    "sf_0": Float(0, 0.5, low_open=True, help="MotionClouds preferred spatial frequency (cycles/pixel)"),
    "B_sf": Float(0, low_open=True, help="MotionClouds radial bandwidth"),
    "oriented_B_theta": Float(0, low_open=True, help="orientation bandwidth (rad) of the oriented kernels shown"),
    "deconv_eps": Float(0, low_open=True, help="damping of the document's inverse filter"),
    "deconv_low_cut": Float(0, 0.5, help="low-frequency cut of the inverse filter's band mask"),
    "deconv_high_cut": Float(0, 0.75, low_open=True, help="high-frequency cut of the band mask"),
    "noise": Float(0, low_open=True, help="noise std of the noisy case, relative to the image std"),
    "noise_seed": Int(0, 2**32 - 1, help="seed of the Gaussian noise"),
    "noise_levels": ListOf(Float(0, low_open=True), min_len=2, help="relative noise levels of the error scan"),
    "lam": Float(0, 1, low_open=True, high_open=True, help="ℓ1 weight as a fraction of λ_max = ‖Aᵀb‖∞"),
    "lam_factors": ListOf(Float(0, low_open=True), min_len=3, help="multipliers of lam in the λ scan"),
    "n_iter": Int(1, 100000, help="iteration cap of every iterative solver"),
    "tol": Float(0, 1, high_open=True, help="relative-change tolerance of the iterative solvers"),
    "reference_iter": Int(1, 1000000, help="FISTA iterations for the reference minimum F*"),
    "timing_repeats": Int(1, 1000, help="repeats per timing (median reported)"),
    "dtype": Choice("float64", "float32", help="working precision of the solvers"),
}

"""Section 2: deblurring with automatic differentiation, against the classical deblurrers (seed 001)."""

from ..images import image_spec
from ..params import Float, Int, ListOf

TITLE = "2. Deblurring with automatic differentiation"
NOTEBOOK = "notebooks/02_deblurring.ipynb"

SCHEMA = {
    "image": image_spec(help="reported image: a packaged name or a PNG/JPEG path (document: astronaut)"),
    "tuning_image": image_spec(help="image the regularization weights are tuned on (never the reported one)"),
    "scale": Float(0, 1, low_open=True, help="rescaling factor applied to both images (document: 1/3)"),
    "crop": Int(16, 4096, nullable=True, help="side of a central crop after rescaling; null keeps the whole image"),
    "psf_size": Int(3, 101, help="odd side of the Gaussian PSF in pixels (document: 13)"),
    "psf_sigma": ListOf(Float(0, low_open=True), min_len=2, max_len=2,
                        help="PSF standard deviations (rows, columns) in pixels (document: [1, 3])"),
    "mu": Float(0, low_open=True, help="the document's smoothness weight (0.2)"),
    "noise_sigma": Float(0, 1, low_open=True, help="noise standard deviation of the noisy case (0.01)"),
    "seed": Int(0, 2**32 - 1, help="seed of the random start (and of the unsupervised Wiener sampler)"),
    "noise_seed": Int(0, 2**32 - 2, help="noise seed of the reported image (tuning image: noise_seed + 1)"),
    "lbfgs_gtol": Float(0, 1, low_open=True, help="L-BFGS-B gradient tolerance of the fast solver"),
    "newton_xtol": Float(0, 1, low_open=True, help="Newton-CG xtol of the analytic-Hessian solver"),
    "cg_iter": Int(1, 100000, help="conjugate-gradient iterations (Tikhonov) at most"),
    "cg_tol": Float(0, 1, high_open=True, help="conjugate-gradient relative residual tolerance"),
    "tv_iter": Int(1, 100000, help="FISTA iterations of TV deblurring"),
    "tv_inner_iter": Int(1, 10000, help="dual FISTA iterations per TV prox"),
    "mu_grid": ListOf(Float(0, low_open=True), min_len=2, help="μ values swept for the square-root loss"),
    "tikhonov_grid": ListOf(Float(0, low_open=True), min_len=2, help="λ values swept for the squared loss"),
    "tv_grid": ListOf(Float(0, low_open=True), min_len=2, help="λ values swept for TV"),
    "wiener_grid": ListOf(Float(0, low_open=True), min_len=2, help="balance values swept for Wiener"),
    "rl_grid": ListOf(Int(1, 10000), min_len=2, help="iteration counts swept for Richardson–Lucy"),
    "border_margin": Int(0, 1000, help="border width (pixels) left out of the interior PSNR"),
    "timing_repeats": Int(1, 100, help="repeats per timing in benchmarks/deblur_speed.py (median)"),
}

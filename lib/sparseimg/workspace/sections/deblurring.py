"""Section 2: deblurring with automatic differentiation, against the classical deblurrers.

Source: "Image deblurring (Part 2)" (blog article).
"""

from sparseimg.schema import Float, Int, ListOf, ParamError, image_spec

TITLE = "2. Deblurring with automatic differentiation"
NOTEBOOK = "notebooks/02_deblurring.ipynb"

SCHEMA = {
    "image": image_spec(quick="astronaut",
                        help="reported image: a packaged name or a PNG/JPEG path (document: astronaut)"),
    "tuning_image": image_spec(quick="camera",
                               help="image the regularization weights are tuned on (never the reported one)"),
    "scale": Float(0, 1, low_open=True, quick=0.3333333333333333,
                   help="rescaling factor applied to both images (document: 1/3)"),
    "crop": Int(16, 4096, nullable=True, quick=64,
                help="side of a central crop after rescaling; null keeps the whole image"),
    "psf_size": Int(3, 101, quick=13, help="odd side of the Gaussian PSF in pixels (document: 13)"),
    "psf_sigma": ListOf(Float(0, 101, low_open=True), min_len=2, max_len=2,
                        quick=[1.0, 3.0],
                        help="PSF standard deviations (rows, columns) in pixels (document: [1, 3])"),
    # μ > 10: the minimizer goes to the constant image (measured on the section's astronaut, noise 0.01:
    # μ = 10 gives 12.9 dB, below the blurred data's 19.9 dB; μ = 100 a constant image, 5.6 dB)
    "mu": Float(0, 10, low_open=True, quick=0.2, help="the document's smoothness weight (0.2)"),
    "noise_sigma": Float(0, 1, low_open=True, quick=0.01, help="noise standard deviation of the noisy case (0.01)"),
    "seed": Int(0, 2**32 - 1, quick=0, help="seed of the random start (and of the unsupervised Wiener sampler)"),
    "noise_seed": Int(0, 2**32 - 2, quick=1, help="noise seed of the reported image (tuning image: noise_seed + 1)"),
    "lbfgs_gtol": Float(0, 1, low_open=True, quick=1e-06, help="L-BFGS-B gradient tolerance of the fast solver"),
    "newton_xtol": Float(0, 1, low_open=True, quick=1e-05, help="Newton-CG xtol of the analytic-Hessian solver"),
    "cg_iter": Int(1, 100000, quick=500, help="conjugate-gradient iterations (Tikhonov) at most"),
    "cg_tol": Float(0, 1, high_open=True, quick=1e-06, help="conjugate-gradient relative residual tolerance"),
    "tv_iter": Int(1, 100000, quick=100, help="FISTA iterations of TV deblurring"),
    "tv_inner_iter": Int(1, 10000, quick=5, help="dual FISTA iterations per TV prox"),
    "mu_grid": ListOf(Float(0, 10, low_open=True), min_len=2, unique=True, quick=[0.03, 0.1, 0.2],
                      help="μ values swept for the square-root loss"),
    # upper bounds where the result has collapsed (quick 64 crop, noise 0.01; blurred data 19.4 dB):
    # Tikhonov λ = 100: 14.5 dB, the image's std halved; TV λ >= 1: one flat result whatever λ;
    # Wiener balance 1e4: 12.5 dB, std 0.07
    "tikhonov_grid": ListOf(Float(0, 10, low_open=True), min_len=2, unique=True, quick=[1e-05, 0.001, 0.01],
                            help="λ values swept for the squared loss"),
    "tv_grid": ListOf(Float(0, 1, low_open=True), min_len=2, unique=True, quick=[0.0001, 0.0003, 0.001],
                      help="λ values swept for TV"),
    "wiener_grid": ListOf(Float(0, 100, low_open=True), min_len=2, unique=True, quick=[0.1, 0.3, 1.0],
                          help="balance values swept for Wiener"),
    "rl_grid": ListOf(Int(1, 10000), min_len=2, unique=True, quick=[1, 3, 10, 30],
                      help="iteration counts swept for Richardson–Lucy"),
    # Every grid above is a starting grid: experiments.deblurring.tune_weights grows it (log steps of its own
    # ratio, at most 6 values) until the choice is inside it or at a hard bound, recorded in the metrics.
    # Hard bounds: λ = 0 for Tikhonov and TV (scored when the grid reaches its bottom), 1 iteration for
    # Richardson–Lucy. The two below are compute caps, not bounds: a choice there is recorded reason "cap".
    # mu_min: on the noiseless tuning image (camera, full size) L-BFGS-B meets lbfgs_gtol down to μ = 0.0025
    # (6,006 iterations, 24 s); at μ = 0.00125 it stops on the relative reduction of F after 14,184 iterations
    # (50 s) and at μ = 0 after 14,573 (77 s): below the cap the estimate is no longer the loss's minimizer
    "mu_min": Float(0, 10, low_open=True, quick=0.0025,
                    help="smallest μ the square-root loss is tuned over (a compute cap of its grid)"),
    # rl_max_iter: noiseless Richardson–Lucy (normalized) improves with every iteration (camera: 26.5 dB at
    # 100, 29.95 at 1,600, 33.1 at 6,400) — the inverse crime; a compute cap, its record shows the rise
    "rl_max_iter": Int(1, 100000, quick=100,
                       help="Richardson–Lucy's iteration cap (a compute cap of its grid: a choice there is a known miss)"),
    "tune_extend": Int(0, 20, quick=0, help="values a starting grid may grow by beyond an edge choice"),  # 6
    "tune_workers": Int(1, 64, quick=1, help="processes the (case, method) tuning sweeps run in"),  # 2
    "border_margin": Int(0, 1000, quick=12, help="border width (pixels) left out of the interior PSNR"),
    "timing_repeats": Int(1, 100, quick=1, help="repeats per timing in benchmarks/deblur_speed.py (median)"),
}


def _name(source: str) -> str:
    return source.rsplit("/", 1)[-1]


def _tuning_image_differs(block: dict) -> None:
    from sparseimg.images import same_picture

    if block["tuning_image"] == block["image"] or same_picture(block["tuning_image"], block["image"]):
        raise ParamError(f"deblurring.tuning_image={_name(block['tuning_image'])!r} is not allowed: expected an image "
                         f"other than deblurring.image={_name(block['image'])!r} (the pixels are compared, not the "
                         "names)")


def _prepared_sides(block: dict) -> list[tuple[str, int, str]]:
    """``(key, smaller side after rescaling (and cropping), what it is)`` for both images."""
    from sparseimg.images import image_shape

    out = []
    for key in ("image", "tuning_image"):
        shape = image_shape(block[key])
        side = min(max(int(round(n * block["scale"])), 1) for n in shape)  # skimage.transform.rescale's shape
        what = f"deblurring.{key}={_name(block[key])!r} ({shape[0]}x{shape[1]}) rescaled by {block['scale']:.4g}"
        crop = block["crop"]
        if crop is not None and crop > side:
            raise ParamError(f"deblurring.crop={crop!r} is not allowed: expected at most {side}, the smaller side of "
                             f"{what}, or null")
        if side < 16:
            raise ParamError(f"deblurring.{key}={_name(block[key])!r} is not allowed: it is {side} pixels a side once "
                             f"rescaled by deblurring.scale={block['scale']:.4g} ({shape[0]}x{shape[1]}): expected "
                             "at least 16")
        out.append((key, side if crop is None else crop, what if crop is None else f"deblurring.crop={crop!r}"))
    return out


def _sizes_fit(block: dict) -> None:
    size = block["psf_size"]
    if size % 2 == 0:
        raise ParamError(f"deblurring.psf_size={size!r} is not allowed: expected an odd number (a centred PSF)")
    for i, sigma in enumerate(block["psf_sigma"]):
        if sigma > size:
            raise ParamError(f"deblurring.psf_sigma[{i}]={sigma!r} is not allowed: expected at most "
                             f"deblurring.psf_size={size!r} (a wider Gaussian is the {size}x{size} box)")
    for key, side, what in _prepared_sides(block):
        if size > side:
            raise ParamError(f"deblurring.psf_size={size!r} is not allowed: expected at most {side}, the side of "
                             f"{what}")
        if 2 * block["border_margin"] >= side:
            raise ParamError(f"deblurring.border_margin={block['border_margin']!r} is not allowed: expected less "
                             f"than half of {side}, the side of {what} (at most {(side - 1) // 2})")


def _bounds_below_grids(block: dict) -> None:
    if block["mu_min"] > min(block["mu_grid"]):
        raise ParamError(f"deblurring.mu_min={block['mu_min']!r} is not allowed: expected at most "
                         f"{min(block['mu_grid'])!r}, the smallest value of deblurring.mu_grid")
    if block["rl_max_iter"] < max(block["rl_grid"]):
        raise ParamError(f"deblurring.rl_max_iter={block['rl_max_iter']!r} is not allowed: expected at least "
                         f"{max(block['rl_grid'])!r}, the largest value of deblurring.rl_grid")


RULES = (_sizes_fit, _tuning_image_differs, _bounds_below_grids)

#: Headline numbers (``metrics/deblurring_headline.json``): paths into ``metrics/deblurring.json``.
HEADLINE = {
    "document_noisy_psnr": {"path": ("document", "noisy", "psnr"), "label": "The document's method, noisy image: PSNR", "unit": "dB"},
    "best_noisy_psnr": {"path": ("summary", "noisy", "best_psnr"), "label": "Best method, noisy image: PSNR", "unit": "dB"},  # the best method (its key: summary.noisy.best_method)
    "tv_fista_noisy_psnr": {"path": ("methods", "noisy", "tv_fista", "psnr"), "label": "TV by FISTA, noisy image: PSNR", "unit": "dB"},
    "richardson_lucy_noisy_psnr": {"path": ("methods", "noisy", "richardson_lucy", "psnr"), "label": "Richardson–Lucy (scikit-image), noisy image: PSNR", "unit": "dB"},  # peer: scikit-image
    "wiener_noisy_psnr": {"path": ("methods", "noisy", "wiener", "psnr"), "label": "Wiener filter, noisy image: PSNR", "unit": "dB"},
}

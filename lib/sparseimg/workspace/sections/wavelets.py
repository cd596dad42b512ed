"""Section 3 (part 1, first notebook): wavelets by lifting and shrinkage denoising (notebook 03_wavelets).

The deblurring half of the talk's first part (wavelet-domain deblurring and plug-and-play) is the section
``wavelet_deblurring`` (notebook 03a), which reads the same ``wavelets`` block of ``params.yaml``: each section
takes the keys of its own schema, the shared ones (:data:`SHARED`) mean the same in both. Two stages since the
whole made one stage of over four minutes beside another; the deblurring half takes the TV factor this half tunes
from its metrics (``tv_tunings``, by content key) instead of tuning it again.

Source: "Sparsity and Deep Neural Networks: a Match Made in Heaven", P. L. Dragotti (Imperial College
London), talk slides, 7 February 2022.
"""

import functools

from sparseimg.experiments.wavelet_deblurring import SECTION2
from sparseimg.operators.lifting import max_levels
from sparseimg.schema import Choice, Float, Int, ListOf, ParamError, image_spec

TITLE = "3. Wavelets by lifting and shrinkage denoising"
NOTEBOOK = "notebooks/03_wavelets.ipynb"

_LAM = Float(0, low_open=True)


def _sigma(**kw):
    """A noise level on the 0–255 scale."""
    return Float(0, 255, low_open=True, **kw)


#: The keys both halves of section 3 read (this notebook and 03a_wavelet_deblurring), one spec each.
SHARED = {
    "image": image_spec(quick="camera",
                        help="main image: lifting figures, 8 % of coefficients, the σ = headline_sigma denoising "
                             "and the Gaussian-blur problem (talk: camera)"),
    "tuning_image": image_spec(quick="coffee", help="image every weight is tuned on (never a reported one)"),
    "crop": Int(16, 4096, quick=64, help="central crop side of the denoising table images and of the tuning image"),
    "sigmas": ListOf(_sigma(), min_len=1, unique=True, quick=[15.0, 25.0, 50.0],
                     help="noise levels of the denoising table, 0–255 scale (issue: 15, 25, 50)"),
    "noise_seed": Int(0, 2**32 - 1, quick=0, help="seed of every noise draw (with the image's index and σ)"),
    "wavelet": Choice("haar", "cdf53", "cdf97", quick="cdf97",
                      help="lifting wavelet of denoising and deblurring (cdf97 = PyWavelets' bior4.4)"),
    "levels": Int(1, 12, quick=4, help="decomposition levels of denoising and deblurring (ours and scikit-image's)"),
    "shifts": Int(1, 64, quick=4,
                  help="cycle spinning over shifts × shifts translations (ours and skimage's cycle_spin)"),
    "tv_factor_grid": ListOf(Float(0, low_open=True), min_len=2, unique=True, quick=[0.6, 0.8, 1.0, 1.2],
                             help="TV weights in units of σ, swept per σ on the tuning image (ours and skimage's); "
                                  "a starting grid, grown by up to lam_extend values past an edge choice"),
    "tv_iter": Int(1, 10000, quick=50, help="dual FISTA iterations of the TV denoiser"),
    "lam_extend": Int(0, 20, quick=0, help="values a λ grid or the TV factor grid may grow by beyond an edge "
                                           "choice (the grids are starting grids)"),
    "workers": Int(1, 8, quick=1, help="processes for the denoising table, the λ tuning and the deblurring runs (same numbers for any count)"),
}

#: The keys of the deblurring half only (its section, :mod:`.wavelet_deblurring`, adds :data:`SHARED`).
DEBLURRING = {
    "bm3d_stages": Choice("all", "hard", quick="all",
                          help="BM3D stages inside plug-and-play: both, or hard thresholding only (half the time)"),
    "blur_crop": Int(16, 4096, nullable=True, quick=64,
                     help="central crop of the main image for the Gaussian-blur problem (and of the tuning image)"),
    "blur_psf_size": Int(3, 101, quick=13, help="odd side of the Gaussian PSF"),
    "blur_psf_sigma": Float(0, low_open=True, quick=1.6, help="standard deviation of the Gaussian PSF, pixels"),
    "blur_noise": _sigma(quick=2.55, help="noise standard deviation of the Gaussian-blur problem, 0–255 scale"),
    "blur_seed": Int(0, 2**32 - 2, quick=0,
                     help="noise seed of the Gaussian-blur problem (tuning image: blur_seed + 1)"),
    "section2_crop": Int(16, 4096, nullable=True, quick=64,
                         help="central crop of section 2's astronaut problem after rescaling; null: whole (section 2)"),
    "deblur_iter": Int(1, 100000, quick=30, help="iterations of ISTA, the FISTAs and TV-FISTA"),
    "tv_inner_iter": Int(1, 10000, quick=5, help="dual FISTA iterations per TV prox of TV-FISTA (section 2: 5)"),
    "analysis_shifts": Int(1, 64, quick=2, help="cycle spins per axis of the translation-invariant analysis FISTA"),
    "wavelet_lam_grid": ListOf(_LAM, min_len=2, unique=True, quick=[0.0003, 0.001],
                               help="λ swept for the ISTA/FISTA wavelet deblurrers on the tuning problem"),
    "tv_lam_grid": ListOf(_LAM, min_len=2, unique=True, quick=[0.0005, 0.001], help="λ swept for TV-FISTA on the tuning problem"),
    "pnp_lam_grid": ListOf(_LAM, min_len=2, unique=True, quick=[0.3, 1.0],
                           help="λ of Algorithm 1 swept on the tuning problem (BM3D takes the wavelet denoiser's)"),
    "pnp_start_factor": Float(1, low_open=True, quick=10.0,
                              help="Algorithm 1: β₁ = start_factor · β₀ (talk: 10)"),
    "pnp_denoise_factor": Float(0, low_open=True, quick=2.0, help="Algorithm 1: denoiser level factor · β (talk: 2)"),
    "pnp_max_iter": Int(1, 10000, quick=30, help="Algorithm 1: iterations at most"),
    "hqs_lam_grid": ListOf(_LAM, min_len=2, unique=True, quick=[0.25, 0.5],
                           help="λ of PnP-HQS (μ_k = λ σ_n²/σ_k²) swept on the tuning problem"),
    "hqs_iter": Int(1, 1000, quick=2, help="PnP-HQS iterations (denoiser levels, geometric)"),
    "hqs_sigma_start": _sigma(quick=49.0, help="first denoiser level of PnP-HQS, 0–255 scale"),
}

SCHEMA = {
    **SHARED,
    "image_crop": Int(16, 4096, nullable=True, quick=128,
                      help="central crop of the main image for its figures and headline denoising; null: whole image"),
    "images": ListOf(image_spec(), min_len=1, unique=True, quick=["camera", "astronaut", "moon", "coins"],
                     help="denoising table images (greyscale or converted to grey)"),
    "headline_sigma": _sigma(quick=50.0, help="noise level (0–255) of the main-image denoising comparison"),
    "estimate_sigmas": ListOf(_sigma(), min_len=1, unique=True,
                              quick=[5.0, 30.0, 55.0],
                              help="noise levels (0–255) of the noise-estimate table"),
    "estimate_crop": Int(16, 4096, nullable=True, quick=128,
                         help="central crop of the noise-estimate table's images; null: whole (the full run)"),
    "signal_length": Int(4, 1024, quick=32, help="even length of the 1-D signal of the lifting-steps figure"),
    "decomposition_levels": Int(1, 12, quick=3, help="levels of the 2-D decomposition figure"),
    "compression_levels": Int(1, 12, quick=5, help="levels of the wavelets that keep the largest coefficients"),
    "keep_fraction": Float(0, 1, low_open=True, quick=0.08,
                           help="fraction of coefficients kept in the figure (talk: 8 %)"),
    "keep_fractions": ListOf(Float(0, 1, low_open=True), min_len=2, unique=True, quick=[0.01, 0.02, 0.04, 0.08, 0.15, 0.3],
                             help="fractions of the PSNR-against-fraction curve"),
}


@functools.lru_cache(maxsize=32)
def image_shape(source: str) -> tuple[int, int]:
    """The (rows, columns) of an image source, greyscale (cached: the rules of both halves ask often)."""
    from sparseimg.images import load_image

    return load_image(source, gray=True).shape[:2]


def _name(source: str) -> str:
    return source.rsplit("/", 1)[-1]


def tuning_image_not_reported(block: dict, reported_keys=("image", "images"), section2: bool = False) -> None:
    """The tuning image is none of the reported ones (``reported_keys`` of the block; ``section2``: nor section 2's
    reported image, which the deblurring half's second problem uses). The pixels are compared, not the names."""
    from sparseimg.images import same_picture

    tuning = block["tuning_image"]
    reported = []
    for key in reported_keys:
        value = block[key]
        reported += [(f"{key}[{i}]", v) for i, v in enumerate(value)] if isinstance(value, list) else [(key, value)]
    for key, value in reported:
        if tuning == value or same_picture(tuning, value):
            raise ParamError(f"wavelets.tuning_image={_name(tuning)!r} is not allowed: expected an image other than "
                             f"wavelets.{key}={_name(value)!r} (the pixels are compared, not the names)")
    if section2 and (_name(tuning) == SECTION2["image"] or same_picture(tuning, SECTION2["image"])):
        raise ParamError(f"wavelets.tuning_image={_name(tuning)!r} is not allowed: expected an image other than "
                         f"section 2's reported image {SECTION2['image']!r}")


def _tuning_image_not_reported(block: dict) -> None:
    tuning_image_not_reported(block)


def _table_images_differ(block: dict) -> None:
    from sparseimg.images import same_picture

    images = block["images"]
    for i in range(len(images)):
        for j in range(i):
            if same_picture(images[i], images[j]):
                raise ParamError(f"wavelets.images[{i}]={_name(images[i])!r} is not allowed: the same picture as "
                                 f"wavelets.images[{j}]={_name(images[j])!r}: expected distinct images")


def crop_fits(block: dict, crop_key: str, sources, scale: float = 1.0) -> None:
    """``block[crop_key]`` (None: whole) is at most the smaller side of every ``(key, source)`` of ``sources``
    (rescaled by ``scale``)."""
    crop = block[crop_key]
    if crop is None:
        return
    for key, source in sources:
        shape = image_shape(source)
        side = min(int(round(n * scale)) for n in shape)
        if crop > side:
            scaled = f" rescaled by {scale:.4g}" if scale != 1.0 else ""
            raise ParamError(f"wavelets.{crop_key}={crop!r} is not allowed: expected at most {side}, the smaller "
                             f"side of wavelets.{key}={_name(source)!r}{scaled} ({shape[0]}x{shape[1]})")


def _crops_fit(block: dict) -> None:
    crop_fits(block, "crop", [("images", s) for s in block["images"]] + [("tuning_image", block["tuning_image"])])
    crop_fits(block, "image_crop", [("image", block["image"])])
    crop_fits(block, "estimate_crop", [("images", s) for s in block["images"]])


def side(block: dict, crop_key: str, source_key: str) -> int:
    """The side of a central crop: ``block[crop_key]``, or the smaller side of ``block[source_key]`` when None."""
    crop = block[crop_key]
    return crop if crop is not None else min(image_shape(block[source_key]))


def levels_fit(block: dict, smallest: int, what: str) -> None:
    """``levels`` leaves the coarse band a few pixels a side on the smallest image (``what`` names its keys)."""
    top = max_levels(smallest) - 2
    if block["levels"] > top:
        raise ParamError(f"wavelets.levels={block['levels']!r} is not allowed: expected at most {top} for the "
                         f"smallest crop ({smallest} pixels: {what})")


def shifts_fit(block: dict) -> None:
    if block["shifts"] >= block["crop"]:
        raise ParamError(f"wavelets.shifts={block['shifts']!r} is not allowed: expected less than "
                         f"wavelets.crop={block['crop']!r}")


def _levels_fit(block: dict) -> None:
    levels_fit(block, block["crop"], "wavelets.crop")
    main = side(block, "image_crop", "image")
    for key in ("decomposition_levels", "compression_levels"):
        if block[key] > max_levels(main) - 1:
            raise ParamError(f"wavelets.{key}={block[key]!r} is not allowed: expected at most {max_levels(main) - 1} "
                             f"for wavelets.image_crop={block['image_crop']!r} ({main} pixels)")
    shifts_fit(block)


def _signal_length_even(block: dict) -> None:
    if block["signal_length"] % 2:
        raise ParamError(f"wavelets.signal_length={block['signal_length']!r} is not allowed: expected an even number")


RULES = (_tuning_image_not_reported, _table_images_differ, _crops_fit, _levels_fit, _signal_length_even)

#: Headline numbers (``metrics/wavelets_headline.json``): paths into ``metrics/wavelets.json``.
HEADLINE = {
    "wavelet_keep_fraction_cdf97_psnr": {"path": ("compression", "cdf97", "psnr"), "label": "CDF 9/7, 8 % of the coefficients kept: PSNR", "unit": "dB"},  # the talk's "8 % of the coefficients"
    "wavelet_bayesshrink_ti_psnr": {"path": ("denoising_main", "bayesshrink_ti", "psnr"), "label": "Cycle-spun BayesShrink denoising: PSNR", "unit": "dB"},  # main image, σ = headline_sigma
    "wavelet_skimage_wavelet_psnr": {"path": ("denoising_main", "skimage_wavelet", "psnr"), "label": "scikit-image's wavelet denoising: PSNR", "unit": "dB"},  # peer: scikit-image
    "wavelet_bm3d_psnr": {"path": ("denoising_main", "bm3d", "psnr"), "label": "BM3D denoising: PSNR", "unit": "dB"},  # peer: BM3D
}

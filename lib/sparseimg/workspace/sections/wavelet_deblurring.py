"""Section 3 (part 1, second notebook): wavelet-domain deblurring and plug-and-play (notebook 03a_wavelet_deblurring).

Source: "Sparsity and Deep Neural Networks: a Match Made in Heaven", P. L. Dragotti (Imperial College London), talk
slides, 7 February 2022 — the iterative shrinkage and the plug-and-play Algorithm 1 of its first part. The section
reads the ``wavelets`` block of ``params.yaml``: the keys it shares with notebook 03_wavelets
(:data:`~sparseimg.workspace.sections.wavelets.SHARED`: images, noise seed, wavelet, TV factor grid, ...) and the
deblurring ones. The TV denoiser inside plug-and-play uses the factor section 3 tuned at the smallest σ of ``sigmas``,
taken from its metrics by content key (``tv_tunings``), so the stage runs after ``wavelets`` and tunes nothing twice.
Its own stage since the whole of section 3 made one stage of over four minutes beside another.
"""

from sparseimg.experiments.wavelet_deblurring import SECTION2
from sparseimg.schema import ParamError
from sparseimg.workspace.sections.wavelets import (DEBLURRING, SHARED, crop_fits, image_shape, levels_fit, shifts_fit,
                                                   side, tuning_image_not_reported)

TITLE = "3. (continued) Wavelet-domain deblurring and plug-and-play"
NOTEBOOK = "notebooks/03a_wavelet_deblurring.ipynb"
BLOCK = "wavelets"

SCHEMA = {**SHARED, **DEBLURRING}


def _tuning_image_not_reported(block: dict) -> None:
    tuning_image_not_reported(block, ("image",), section2=True)


def _crops_fit(block: dict) -> None:
    crop_fits(block, "crop", [("tuning_image", block["tuning_image"])])
    crop_fits(block, "blur_crop", [("image", block["image"]), ("tuning_image", block["tuning_image"])])
    crop_fits(block, "section2_crop", [("tuning_image", block["tuning_image"])], SECTION2["scale"])
    top = min(int(round(n * SECTION2["scale"])) for n in image_shape(SECTION2["image"]))
    if block["section2_crop"] is not None and block["section2_crop"] > top:
        raise ParamError(f"wavelets.section2_crop={block['section2_crop']!r} is not allowed: expected at most {top} "
                         f"(section 2's {SECTION2['image']} after rescaling) or null")


def _levels_fit(block: dict) -> None:
    section2 = block["section2_crop"]
    if section2 is None:  # the whole rescaled images: section 2's astronaut (171) and the tuning image
        section2 = min(int(round(n * SECTION2["scale"]))
                       for n in (*image_shape(SECTION2["image"]), *image_shape(block["tuning_image"])))
    smallest = min(block["crop"], side(block, "blur_crop", "image"), section2)
    levels_fit(block, smallest, "wavelets.crop, blur_crop, section2_crop")
    shifts_fit(block)


def _psf_size_odd(block: dict) -> None:
    size = block["blur_psf_size"]
    if size % 2 == 0:
        raise ParamError(f"wavelets.blur_psf_size={size!r} is not allowed: expected an odd number")
    if block["blur_psf_sigma"] > size:  # scipy's Gaussian filter allocates 8 σ + 1 taps: σ = 1e9 is 64 GB
        raise ParamError(f"wavelets.blur_psf_sigma={block['blur_psf_sigma']!r} is not allowed: expected at most "
                         f"wavelets.blur_psf_size={size!r} (a wider Gaussian is the {size}x{size} box)")
    problem = min(side(block, "blur_crop", "image"), side(block, "blur_crop", "tuning_image"))
    if size > problem:
        raise ParamError(f"wavelets.blur_psf_size={size!r} is not allowed: expected at most {problem}, the side of "
                         f"the Gaussian-blur problem (wavelets.blur_crop={block['blur_crop']!r})")


def _hqs_schedule_decreases(block: dict) -> None:
    floor = max(block["blur_noise"], 255.0 * SECTION2["noise_std"])
    if block["hqs_sigma_start"] <= floor:
        raise ParamError(f"wavelets.hqs_sigma_start={block['hqs_sigma_start']!r} is not allowed: expected more than "
                         f"the data's noise, wavelets.blur_noise={block['blur_noise']!r} and section 2's "
                         f"{255.0 * SECTION2['noise_std']:g}")


RULES = (_tuning_image_not_reported, _crops_fit, _levels_fit, _psf_size_odd, _hqs_schedule_decreases)

#: Headline numbers (``metrics/wavelet_deblurring_headline.json``): paths into ``metrics/wavelet_deblurring.json``.
HEADLINE = {
    "pnp_best_gaussian_blur_psnr": {"path": ("summary", "gaussian_blur", "best_psnr"), "label": "Gaussian blur, best deblurring method: PSNR", "unit": "dB"},  # its key: ... best_method
    "pnp_tv_fista_gaussian_blur_psnr": {"path": ("deblurring", "gaussian_blur", "tv_fista", "psnr"), "label": "Gaussian blur, TV by FISTA: PSNR", "unit": "dB"},
    "pnp_algorithm1_wavelet_gaussian_blur_psnr": {"path": ("deblurring", "gaussian_blur", "pnp_wavelet", "psnr"), "label": "Gaussian blur, Algorithm 1 with wavelets: PSNR", "unit": "dB"},
    "pnp_best_section2_psnr": {"path": ("summary", "section2", "best_psnr"), "label": "Section 2's blur, best method: PSNR", "unit": "dB"},
}

"""Section 4: image inpainting by matrix factorization, and what beats it (source: D. Lodha, 2024)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sparseimg.images import PACKAGED_IMAGES
from sparseimg.schema import Choice, Float, Int, ListOf, ParamError, Spec, image_spec


@dataclass(frozen=True)
class _RGBImageSpec(Spec):
    """An image source (see :func:`sparseimg.images.image_spec`) that must be RGB.

    The pixels are read at validation time, so that a greyscale or RGBA image is
    refused before anything runs.
    """

    def describe(self, key: str) -> str:
        return image_spec().describe(key) + " (RGB, 3 channels)"

    def check(self, key: str, value: Any, root: Path) -> Any:
        source = image_spec().check(key, value, root)
        if source in PACKAGED_IMAGES:
            from skimage import data

            shape = getattr(data, source)().shape
        else:
            from skimage import io

            shape = io.imread(source).shape
        if len(shape) == 2 or shape[2] == 1:
            raise ParamError(f"{key}={value!r} is not allowed: the image is greyscale {shape}, expected RGB")
        if shape[2] != 3:
            kind = "RGBA" if shape[2] == 4 else f"{shape[2]}-channel"
            raise ParamError(f"{key}={value!r} is not allowed: the image is {kind} {shape}, expected RGB")
        return source


TITLE = "4. Image inpainting by matrix factorization"
NOTEBOOK = "notebooks/04_inpainting.ipynb"

SCHEMA = {
    # the image and the masks
    "image": _RGBImageSpec("str", quick="astronaut",
                           help="RGB image: a packaged scikit-image name or a PNG/JPEG path"),
    "crop": Int(16, 4096, quick=128, help="side of the centre crop (the document crops 500 x 500)"),
    "seed": Int(0, 2**32 - 1, quick=0, help="seed of the masks (proportion i uses seed + i)"),
    "proportions": ListOf(Float(0, 1, low_open=True, high_open=True), min_len=1, unique=True,
                          quick=[0.1, 0.4, 0.8], help="missing proportions (document: 0.1, 0.4, 0.8)"),
    "fixed_count": Int(0, 10**7, quick=900, help="pixels removed by the document's fixed-count mask (900)"),
    # the document's method: per-channel W·H by Adam
    "ranks": ListOf(Int(1, 4096), min_len=1, unique=True, quick=[8, 16, 32, 64],
                    help="ranks of the document's sweep (50, 100, 300, 500)"),
    "adam_iter": Int(1, 100000, quick=100, help="Adam steps per fit in the rank sweep (document: 1000)"),
    # pixels lie in [0, 1]: a step of 1 already jumps across the whole range (lr 1e9 published 8.2 dB)
    "adam_lr": Float(0, 1, low_open=True, quick=0.01, help="Adam learning rate (document: 0.01)"),
    "adam_dtype": Choice("float32", "float64", quick="float32",
                         help="precision of the Adam fits (PyTorch's default: float32)"),
    "doc_proportion": Float(0, 1, low_open=True, high_open=True,
                            quick=0.1, help="missing proportion of the case run with the document's exact settings"),
    "doc_rank": Int(1, 4096, quick=16, help="rank of that case"),
    "doc_iter": Int(1, 100000, quick=200, help="Adam steps of that case (document: 1000)"),
    "scaled_init": Float(0, low_open=True, quick=0.1, help="std of the rescaled random start (document: 1)"),
    # beyond the document
    "holdout_fraction": Float(0, 0.5, low_open=True, quick=0.1,
                              help="share of observed pixels held out for selection"),
    "als_ranks": ListOf(Int(1, 4096), min_len=1, unique=True, quick=[5, 10, 20], help="ALS ranks tried by held-out selection"),
    "als_ridges": ListOf(Float(0, low_open=True), min_len=1, unique=True, quick=[0.1, 1.0], help="ALS ridge weights tried"),
    "als_iter": Int(1, 10000, quick=5, help="ALS sweeps per fit"),
    # als_ranks / als_ridges / svt_lams are starting grids: experiments.inpainting grows each past a choice at
    # its end (held-out RMSE), recorded in the metrics. als_max_rank caps the rank's growth: a compute cap, not
    # the model's bound (the crop's side). Measured on the full run's 10 % mask (held-out RMSE): rank 80 /
    # ridge 0.1 0.0491 (2 s a fit), rank 160 / ridge 0.3 0.0437 (10 s a fit): the cap costs ALS accuracy there.
    # The full run's ridge and λ grids start at 7 log-spaced values (issue 21: the held-out score is not monotone
    # in either at 10 % missing); the ridge grid keeps 1.0 in its middle, where the rank is swept first
    "tune_extend": Int(0, 20, quick=0, help="values the ALS and soft-impute grids may grow by beyond an edge choice"),  # 6
    "als_max_rank": Int(1, 4096, quick=40, help="largest ALS rank the held-out tuning may reach (a compute cap)"),
    "svt_lams": ListOf(Float(0, low_open=True), min_len=1, unique=True,
                       quick=[1.0, 0.3, 0.1],
                       help="soft-impute λ path (decreasing, pixel units), chosen by held-out pixels"),
    "svt_iter": Int(1, 10000, quick=6, help="soft-impute iterations per λ"),
    "dct_lam": Float(0, low_open=True, quick=0.003, help="ℓ1 weight of the DCT synthesis model"),
    "dct_block": Int(2, 512, quick=16, help="block side of the DCT synthesis frame"),
    "dct_stride": Int(1, 512, quick=16, help="shift step of that frame (= block: an orthonormal basis)"),
    "dct_iter": Int(1, 100000, quick=60, help="FISTA iterations of the DCT synthesis model"),
    "threshold_start": Float(0, low_open=True, quick=0.5, help="first threshold of the shifted-DCT iteration"),
    "threshold_end": Float(0, low_open=True, quick=0.005, help="last threshold of the shifted-DCT iteration"),
    "threshold_stages": Int(1, 10000, quick=20, help="thresholds (geometric) of the shifted-DCT iteration"),
    "threshold_iter": Int(1, 10000, quick=2, help="iterations per threshold"),
    "threshold_block": Int(2, 64, quick=8, help="block side of the shifted DCT"),
    "threshold_stride": Int(1, 64, quick=2, help="shift step of the shifted DCT (1: every shift)"),
    "smooth_sigma": Float(0, low_open=True, quick=1.0, help="Gaussian width (pixels) of the normalized convolution"),
    "rff_features": Int(1, 100000, quick=300, help="random Fourier features of the coordinate regression"),
    "rff_sigma": Float(0, low_open=True, quick=8.0, help="RFF kernel width in pixels"),
    "rff_ridge": Float(0, low_open=True, quick=1e-06, help="RFF ridge weight (relative to the number of pixels)"),
    "workers": Int(1, 64, quick=1, help="processes the independent fits run in (the same numbers for any count)"),  # 2
}


def _doc_proportion_is_swept(block: dict) -> None:
    if block["doc_proportion"] not in block["proportions"]:
        raise ParamError(f"inpainting.doc_proportion={block['doc_proportion']!r} is not allowed: expected one of "
                         f"inpainting.proportions={block['proportions']!r}")


def _thresholds_decrease(block: dict) -> None:
    if block["threshold_end"] > block["threshold_start"]:
        raise ParamError(f"inpainting.threshold_end={block['threshold_end']!r} is not allowed: expected at most "
                         f"inpainting.threshold_start={block['threshold_start']!r}")


def _stride_divides_block(prefix: str):
    def rule(block: dict) -> None:
        stride, size = block[f"{prefix}_stride"], block[f"{prefix}_block"]
        if size % stride:
            raise ParamError(f"inpainting.{prefix}_stride={stride!r} is not allowed: expected a divisor of "
                             f"inpainting.{prefix}_block={size!r}")
    rule.__name__ = f"_{prefix}_stride_divides_block"
    return rule


def _crop_fits(block: dict) -> None:
    from sparseimg.images import image_shape

    crop, shape = block["crop"], image_shape(block["image"])
    if crop > min(shape):
        name = block["image"].rsplit("/", 1)[-1]
        raise ParamError(f"inpainting.crop={crop!r} is not allowed: expected at most {min(shape)}, the smaller side of "
                         f"inpainting.image={name!r} ({shape[0]}x{shape[1]})")


def _sizes_fit_crop(block: dict) -> None:
    crop = block["crop"]
    if block["fixed_count"] >= crop * crop:
        raise ParamError(f"inpainting.fixed_count={block['fixed_count']!r} is not allowed: expected less than the "
                         f"{crop * crop} pixels of inpainting.crop={crop!r}")
    for key in ("dct_block", "threshold_block"):
        if block[key] > crop:
            raise ParamError(f"inpainting.{key}={block[key]!r} is not allowed: expected at most inpainting.crop={crop!r}")
    # a rank-r factorization of a crop x crop channel has at most crop independent columns
    if block["als_max_rank"] < max(block["als_ranks"]):
        raise ParamError(f"inpainting.als_max_rank={block['als_max_rank']!r} is not allowed: expected at least "
                         f"{max(block['als_ranks'])!r}, the largest value of inpainting.als_ranks")
    for key in ("ranks", "als_ranks"):
        for i, rank in enumerate(block[key]):
            if rank > crop:
                raise ParamError(f"inpainting.{key}[{i}]={rank!r} is not allowed: expected at most "
                                 f"inpainting.crop={crop!r} (the largest rank of a {crop}x{crop} channel)")
    # Gaussian widths in pixels: beyond the crop the window is flat, and scipy's filter allocates 8 σ + 1 taps
    for key in ("smooth_sigma", "rff_sigma"):
        if block[key] > crop:
            raise ParamError(f"inpainting.{key}={block[key]!r} is not allowed: expected at most "
                             f"inpainting.crop={crop!r} (a width in pixels)")
    if block["doc_rank"] > crop:
        raise ParamError(f"inpainting.doc_rank={block['doc_rank']!r} is not allowed: expected at most "
                         f"inpainting.crop={crop!r} (the largest rank of a {crop}x{crop} channel)")


RULES = (_crop_fits, _sizes_fit_crop, _doc_proportion_is_swept, _thresholds_decrease, _stride_divides_block("dct"),
         _stride_divides_block("threshold"))


def middle_proportion(node: dict) -> str:
    """``missing_40pct`` when present, else the middle one of the ``missing_<p>pct`` keys."""
    if "missing_40pct" in node:
        return "missing_40pct"
    keys = sorted((k for k in node if k.startswith("missing_") and k.endswith("pct")),
                  key=lambda k: float(k[len("missing_"):-len("pct")]))
    return keys[len(keys) // 2] if keys else "missing_40pct"


#: Headline numbers (``metrics/inpainting_headline.json``) at 40 % missing (else the middle
#: proportion): paths into ``metrics/inpainting.json``.
HEADLINE = {
    "best_psnr": {"path": ("best", middle_proportion, "psnr"), "label": "Best method: PSNR", "unit": "dB"},
    "adam_document_psnr": {"path": ("methods", middle_proportion, "adam_document", "psnr"), "label": "The document's Adam W·H: PSNR", "unit": "dB"},
    "biharmonic_psnr": {"path": ("methods", middle_proportion, "biharmonic", "psnr"), "label": "Biharmonic (scikit-image): PSNR", "unit": "dB"},  # peer: scikit-image
}

"""Section 4: image inpainting by matrix factorization, and what beats it (seed 003)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..images import PACKAGED_IMAGES, image_spec
from ..params import Choice, Float, Int, ListOf, ParamError, Spec


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
    "image": _RGBImageSpec("str", help="RGB image: a packaged scikit-image name or a PNG/JPEG path"),
    "crop": Int(16, 4096, help="side of the centre crop (the document crops 500 x 500)"),
    "seed": Int(0, 2**32 - 1, help="seed of the masks (proportion i uses seed + i)"),
    "proportions": ListOf(Float(0, 1, low_open=True, high_open=True), min_len=1,
                          help="missing proportions (document: 0.1, 0.4, 0.8)"),
    "fixed_count": Int(0, 10**7, help="pixels removed by the document's fixed-count mask (900)"),
    # the document's method: per-channel W·H by Adam
    "ranks": ListOf(Int(1, 4096), min_len=1, help="ranks of the document's sweep (50, 100, 300, 500)"),
    "adam_iter": Int(1, 100000, help="Adam steps per fit in the rank sweep (document: 1000)"),
    "adam_lr": Float(0, low_open=True, help="Adam learning rate (document: 0.01)"),
    "adam_dtype": Choice("float32", "float64", help="precision of the Adam fits (PyTorch's default: float32)"),
    "doc_proportion": Float(0, 1, low_open=True, high_open=True,
                            help="missing proportion of the case run with the document's exact settings"),
    "doc_rank": Int(1, 4096, help="rank of that case"),
    "doc_iter": Int(1, 100000, help="Adam steps of that case (document: 1000)"),
    "scaled_init": Float(0, low_open=True, help="std of the rescaled random start (document: 1)"),
    # beyond the document
    "holdout_fraction": Float(0, 0.5, low_open=True, help="share of observed pixels held out for selection"),
    "als_ranks": ListOf(Int(1, 4096), min_len=1, help="ALS ranks tried by held-out selection"),
    "als_ridges": ListOf(Float(0, low_open=True), min_len=1, help="ALS ridge weights tried"),
    "als_iter": Int(1, 10000, help="ALS sweeps per fit"),
    "svt_lams": ListOf(Float(0, low_open=True), min_len=1,
                       help="soft-impute λ path (decreasing, pixel units), chosen by held-out pixels"),
    "svt_iter": Int(1, 10000, help="soft-impute iterations per λ"),
    "dct_lam": Float(0, low_open=True, help="ℓ1 weight of the DCT synthesis model"),
    "dct_block": Int(2, 512, help="block side of the DCT synthesis frame"),
    "dct_stride": Int(1, 512, help="shift step of that frame (= block: an orthonormal basis)"),
    "dct_iter": Int(1, 100000, help="FISTA iterations of the DCT synthesis model"),
    "threshold_start": Float(0, low_open=True, help="first threshold of the shifted-DCT iteration"),
    "threshold_end": Float(0, low_open=True, help="last threshold of the shifted-DCT iteration"),
    "threshold_stages": Int(1, 10000, help="thresholds (geometric) of the shifted-DCT iteration"),
    "threshold_iter": Int(1, 10000, help="iterations per threshold"),
    "threshold_block": Int(2, 64, help="block side of the shifted DCT"),
    "threshold_stride": Int(1, 64, help="shift step of the shifted DCT (1: every shift)"),
    "smooth_sigma": Float(0, low_open=True, help="Gaussian width (pixels) of the normalized convolution"),
    "rff_features": Int(1, 100000, help="random Fourier features of the coordinate regression"),
    "rff_sigma": Float(0, low_open=True, help="RFF kernel width in pixels"),
    "rff_ridge": Float(0, low_open=True, help="RFF ridge weight (relative to the number of pixels)"),
    "timing_repeats": Int(1, 100, help="repeats of the ALS timing in the benchmark (median)"),
}

"""Section 3, part 2: separation of a mixed image with side information and an exclusion loss (keys ``sep_*``).

The model and solver are :mod:`sparseimg.restoration.separation`; this module builds the problem
(:func:`separation_problem`), runs every variant of :data:`SEP_VARIANTS` (:func:`evaluate_separation`, in
``sep_workers`` forked processes) and labels them (:data:`SEP_LABELS`).

Source: W. Pu, J.-J. Huang et al., "Mixed X-Ray Image Separation for Artworks with Concealed Designs",
arXiv 2201.09167, 2022.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from sparseimg._parallel import process_map
from sparseimg.schema import Float, Int

__all__ = ["SCHEMA", "SEP_LABELS", "SEP_VARIANTS", "SeparationProblem", "square_image", "separation_problem",
           "evaluate_separation"]

#: Parameters (full values in the help texts: they go in params.yaml).
SCHEMA = {
    "sep_size": Int(32, 512, quick=96, help="side of the square crops (full: 256)"),
    "sep_filter": Int(2, 12, quick=4, help="size of the DCT filter bank (full: 4 → 16 filters)"),
    "sep_lam": Float(0.0, 1.0, quick=2e-4, help="ℓ1 weight of the codes (full: 2e-4)"),
    "sep_alpha": Float(0.0, 100.0, quick=1.0, help="weight of the side-information term (full: 1.0)"),
    "sep_beta": Float(0.0, 1e4, quick=0.3, help="weight of the exclusion term (full: 0.3)"),
    "sep_iter": Int(1, 10000, quick=40, help="accelerated proximal-gradient iterations (full: 150)"),
    "sep_workers": Int(1, 8, quick=1, help="processes running the variants at once; same numbers (full: 2)"),
}


SEP_LABELS = {
    "naive": "naive split x/2",
    "side_exclusion": "side information + exclusion",
    "side_only": "side information, no exclusion",
    "exclusion_only": "exclusion, no side information",
    "sparsity_only": "neither (sparsity alone)",
}

#: ``method -> (use side information, use the exclusion term)``.
SEP_VARIANTS = {"side_exclusion": (True, True), "side_only": (True, False),
                "exclusion_only": (False, True), "sparsity_only": (False, False)}


@dataclass(frozen=True)
class SeparationProblem:
    """``mixture = x1 + x2``; ``side`` is the RGB original of ``x1`` (grey = ``rgb2gray(side)``).

    :func:`separation_problem` builds one; the class itself checks nothing.

    Parameters
    ----------
    x1, x2 : (N, N) ndarray
        The two grey parts, float64 in [0, 1].
    side : (N, N, 3) ndarray
        The RGB original of ``x1``, in [0, 1].
    train_grey, train_side : (N, N) ndarray, (N, N, 3) ndarray
        ``train_grey``/``train_side``: the pair the side dictionary's colour gains are learned on.

    Attributes
    ----------
    mixture : (N, N) ndarray
        ``x1 + x2``.
    """

    x1: np.ndarray
    x2: np.ndarray
    side: np.ndarray
    train_grey: np.ndarray
    train_side: np.ndarray

    @property
    def mixture(self) -> np.ndarray:
        return self.x1 + self.x2


def square_image(image: np.ndarray, size: int) -> np.ndarray:
    """An 8-bit image (grey or RGB) as floats in [0, 1]: its central square, resized to ``size`` with anti-aliasing.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
        8-bit values.
    size : int
        Side of the square output.

    Returns
    -------
    ndarray, shape (size, size) or (size, size, C)
    """
    from skimage.transform import resize

    image = np.asarray(image, dtype=np.float64) / 255.0
    h, w = image.shape[:2]
    m = min(h, w)
    image = image[(h - m) // 2:(h - m) // 2 + m, (w - m) // 2:(w - m) // 2 + m]
    return resize(image, (size, size) + image.shape[2:], anti_aliasing=True)


def separation_problem(size: int) -> SeparationProblem:
    """x₁ = ``astronaut`` in grey (side information: its RGB original), x₂ = ``camera``; the colour
    gains are learned on ``chelsea`` (grey and RGB). All centre-cropped square and resized to ``size``.

    Parameters
    ----------
    size : int
        Side ``N`` of the square images (pixels).

    Returns
    -------
    SeparationProblem
        Images as floats in [0, 1] (8-bit values divided by 255, then resized with anti-aliasing).
    """
    from skimage import data
    from skimage.color import rgb2gray

    side = square_image(data.astronaut(), size)
    train_side = square_image(data.chelsea(), size)
    return SeparationProblem(x1=rgb2gray(side), x2=square_image(data.camera(), size), side=side,
                             train_grey=rgb2gray(train_side), train_side=train_side)


def evaluate_separation(block: dict, *, progress: bool = False) -> tuple[list[dict], dict]:
    """Every variant of :data:`SEP_VARIANTS` and the naive split: PSNR of both parts, time.

    The naive split is ``x1 = x2 = mixture / 2``; every variant runs
    :func:`sparseimg.restoration.separation.separate` with the full model's step size, with
    ``alpha`` or ``beta`` set to 0 where the variant leaves its term out, in ``sep_workers``
    processes (same numbers).

    Parameters
    ----------
    block : dict
        The section's parameters (:data:`SCHEMA`); reads the ``sep_*`` keys.
    progress : bool, optional
        Show a progress bar over the variants (default False).

    Returns
    -------
    rows : list of dict
        ``{"method", "psnr_x1", "psnr_x2", "seconds", "cpu_seconds"}``, the naive split first
        (PSNR in dB with ``data_range=1``; seconds wall and CPU, 0 for the naive split).
    estimates : dict
        ``estimates[method] = (x1, x2)``, two ``(sep_size, sep_size)`` arrays (plus ``"problem"``,
        the :class:`SeparationProblem`, and ``"gains"``, the learned colour gains).
    """
    from sparseimg.restoration import separation
    from sparseimg.metrics import psnr

    problem = separation_problem(block["sep_size"])
    operator = separation.FilterBankSynthesis(separation.dct_filter_bank(block["sep_filter"]), problem.x1.shape)
    gains = separation.learn_side_gains(problem.train_grey, problem.train_side, operator, lam=block["sep_lam"])
    half = 0.5 * problem.mixture
    rows = [{"method": "naive", "psnr_x1": psnr(problem.x1, half, data_range=1.0),
             "psnr_x2": psnr(problem.x2, half, data_range=1.0), "seconds": 0.0, "cpu_seconds": 0.0}]
    estimates = {"naive": (half, half)}
    # one step size for every variant (the full model's): the ablations differ by their terms only
    lipschitz = separation.separation_lipschitz(problem.mixture, operator, gains, block["sep_alpha"], block["sep_beta"])
    # the variants are independent: sep_workers processes share them (same numbers)
    calls = [(problem, operator, gains, block, use_side, use_exclusion, lipschitz)
             for use_side, use_exclusion in SEP_VARIANTS.values()]
    results = process_map(_separate_variant, calls, block["sep_workers"], desc="separation", progress=progress)
    for method, (x1, x2, seconds, cpu_seconds) in zip(SEP_VARIANTS, results):
        rows.append({"method": method, "psnr_x1": psnr(problem.x1, x1, data_range=1.0),
                     "psnr_x2": psnr(problem.x2, x2, data_range=1.0), "seconds": seconds, "cpu_seconds": cpu_seconds})
        estimates[method] = (x1, x2)
    estimates["problem"] = problem
    estimates["gains"] = gains
    return rows, estimates


def _separate_variant(problem, operator, gains, block, use_side, use_exclusion, lipschitz):
    """One variant of :func:`evaluate_separation`: ``(x1, x2, wall seconds, CPU seconds)``."""
    from sparseimg.restoration import separation

    t0, c0 = time.perf_counter(), time.process_time()
    result = separation.separate(problem.mixture, operator, side=problem.side, gains=gains, lam=block["sep_lam"],
                                 alpha=block["sep_alpha"] if use_side else 0.0,
                                 beta=block["sep_beta"] if use_exclusion else 0.0,
                                 n_iter=block["sep_iter"], lipschitz=lipschitz)
    return result.x1, result.x2, time.perf_counter() - t0, time.process_time() - c0

"""Section 4's experiments: image inpainting by matrix factorization, and what beats it.

:data:`METHODS` holds the section's inpainting methods, each
``method(image, missing, params) -> (estimate, info)`` with ``params`` the section's
validated ``params.yaml`` block: estimates keep the observed pixels as measured, ``info``
holds the choices made (rank, λ …). The Adam row is the document's model at
``doc_rank`` with ``adam_iter`` steps and the document's N(0, 1) start.

Source: "Image Reconstruction using Matrix Factorization", D. Lodha, blog post, 28 December 2024.
"""

from __future__ import annotations

import numpy as np

from sparseimg.restoration.completion import adam_factorize, als_inpaint, reconstruct, soft_impute_inpaint
from sparseimg.restoration.inpainting import biharmonic_inpaint, dct_l1_inpaint, dct_threshold_inpaint, normalized_convolution, rff_inpaint
from sparseimg.operators.mask import keep_observed
from sparseimg.experiments import Registry

__all__ = ["METHODS"]


def _adam(image, missing, p):
    fac = adam_factorize(image, missing, p["doc_rank"], n_iter=p["adam_iter"], learning_rate=p["adam_lr"],
                         init_scale=1.0, seed=int(p["seed"]), dtype=p["adam_dtype"])
    return keep_observed(np.nan_to_num(image), missing, reconstruct(fac)), {"rank": p["doc_rank"]}


def _rff(image, missing, p):
    return rff_inpaint(image, missing, n_features=p["rff_features"], sigma=p["rff_sigma"], ridge=p["rff_ridge"],
                       seed=int(p["seed"])), {}


def _als(image, missing, p):
    return als_inpaint(image, missing, ranks=p["als_ranks"], ridges=p["als_ridges"], n_iter=p["als_iter"],
                       fraction=p["holdout_fraction"], seed=int(p["seed"]))


def _soft_impute(image, missing, p):
    return soft_impute_inpaint(image, missing, lams=p["svt_lams"], n_iter=p["svt_iter"],
                               fraction=p["holdout_fraction"], seed=int(p["seed"]))


def _normalized_convolution(image, missing, p):
    return normalized_convolution(image, missing, sigma=p["smooth_sigma"]), {}


def _dct_l1(image, missing, p):
    est, hist = dct_l1_inpaint(image, missing, lam=p["dct_lam"], block=p["dct_block"], stride=p["dct_stride"],
                               n_iter=p["dct_iter"], start_sigma=p["smooth_sigma"])
    return est, {"iterations": hist.n_iter}


def _dct_threshold(image, missing, p):
    est = dct_threshold_inpaint(image, missing, threshold_start=p["threshold_start"],
                                threshold_end=p["threshold_end"], n_stages=p["threshold_stages"],
                                iter_per_stage=p["threshold_iter"], block=p["threshold_block"],
                                stride=p["threshold_stride"], start_sigma=p["smooth_sigma"])
    return est, {}


def _biharmonic(image, missing, p):
    return biharmonic_inpaint(image, missing), {}


#: The section's methods, in display order: ``key -> method(image, missing, params)``.
METHODS = Registry("inpainting", {
    "adam_document": _adam,
    "rff": _rff,
    "als": _als,
    "soft_impute": _soft_impute,
    "normalized_convolution": _normalized_convolution,
    "dct_l1": _dct_l1,
    "dct_threshold": _dct_threshold,
    "biharmonic": _biharmonic,
}, {
    "adam_document": "Adam W·H (document)",
    "rff": "RFF regression (document)",
    "als": "ALS, held-out rank and ridge",
    "soft_impute": "soft-impute, held-out λ",
    "normalized_convolution": "normalized convolution",
    "dct_l1": "DCT-ℓ1 FISTA",
    "dct_threshold": "shifted-DCT thresholding",
    "biharmonic": "biharmonic (scikit-image)",
})

"""Section 1: convolutional sparse coding of large images (source: "Sparse coding of large images")."""

from sparseimg.schema import Choice, Float, Int, ListOf, ParamError

TITLE = "1. Convolutional sparse coding of large images"
NOTEBOOK = "notebooks/01_sparse_coding.ipynb"

SCHEMA = {
    "size": Int(16, 4096, quick=512, help="image side N (N x N); the document uses 512"),
    "seed": Int(0, 2**32 - 1, quick=2020, help="RandomState seed of the Laplace events (document: 2020)"),
    "rho": Float(0, 1, low_open=True, high_open=True, quick=0.001, help="fraction of non-zero events"),
    "y_lambda": Float(0, low_open=True, quick=1.61803, help="scale of the Laplace coefficients"),
    "sf_0": Float(0, 0.5, low_open=True, quick=0.15, help="MotionClouds preferred spatial frequency (cycles/pixel)"),
    "B_sf": Float(0, low_open=True, quick=0.15, help="MotionClouds radial bandwidth"),
    "oriented_B_theta": Float(0, low_open=True, quick=0.3,
                              help="orientation bandwidth (rad) of the oriented kernels shown"),
    "deconv_eps": Float(0, low_open=True, quick=2e-06, help="damping of the document's inverse filter"),
    "deconv_low_cut": Float(0, 0.5, quick=0.05, help="low-frequency cut of the inverse filter's band mask"),
    "deconv_high_cut": Float(0, 0.75, low_open=True, quick=0.45, help="high-frequency cut of the band mask"),
    "noise": Float(0, low_open=True, quick=0.1, help="noise std of the noisy case, relative to the image std"),
    "noise_seed": Int(0, 2**32 - 1, quick=1, help="seed of the Gaussian noise"),
    "noise_levels": ListOf(Float(0, low_open=True), min_len=2, unique=True, quick=[0.03, 0.3],
                           help="relative noise levels of the error scan"),
    "lam": Float(0, 1, low_open=True, high_open=True, quick=0.005,
                 help="ℓ1 weight as a fraction of λ_max = ‖Aᵀb‖∞"),
    "lam_factors": ListOf(Float(0, low_open=True), min_len=3, unique=True, quick=[0.1, 1.0, 10.0],
                          help="multipliers of lam in the λ scan"),
    "n_iter": Int(1, 100000, quick=80, help="iteration cap of every iterative solver"),
    "tol": Float(0, 1, high_open=True, quick=1e-05, help="relative-change tolerance of the iterative solvers"),
    "reference_iter": Int(1, 1000000, quick=200, help="FISTA iterations for the reference minimum F*"),
    "timing_repeats": Int(1, 1000, quick=2, help="repeats per timing (median reported)"),
    "dtype": Choice("float64", "float32", quick="float64", help="working precision of the solvers"),
    "workers": Int(1, 64, quick=1, help="processes the independent solver runs go to (the same numbers for any count)"),  # 2
}


def _band_is_ordered(block: dict) -> None:
    if not block["deconv_low_cut"] < block["deconv_high_cut"]:
        raise ParamError(f"sparse_coding.deconv_low_cut={block['deconv_low_cut']!r} is not allowed: expected "
                         f"less than sparse_coding.deconv_high_cut={block['deconv_high_cut']!r}")


def _reference_is_longer(block: dict) -> None:
    # F* is the floor the solvers' objective gaps are measured from: a reference that runs fewer
    # iterations than the solvers it is compared with gives negative gaps
    if block["reference_iter"] < block["n_iter"]:
        raise ParamError(f"sparse_coding.reference_iter={block['reference_iter']!r} is not allowed: expected at least "
                         f"sparse_coding.n_iter={block['n_iter']!r} (the reference minimum F* runs longer than the "
                         "solvers it is the floor of)")


RULES = (_band_is_ordered, _reference_is_longer)

#: Headline numbers (``metrics/sparse_coding_headline.json``): paths into ``metrics/sparse_coding.json``.
HEADLINE = {
    "fista_noisy_event_psnr": {"path": ("methods", "noisy/fista", "event_psnr"), "label": "FISTA, noisy image: PSNR of the events", "unit": "dB"},
    "inverse_filter_noisy_event_psnr": {"path": ("methods", "noisy/inverse_filter", "event_psnr"), "label": "Inverse filter (the document's), noisy image: PSNR of the events", "unit": "dB"},  # the document's
    "fista_noisy_event_error": {"path": ("methods", "noisy/fista", "event_error"), "label": "FISTA, noisy image: relative error of the events", "unit": ""},
    "reference_objective": {"path": ("reference_objective",), "label": "Reference objective (FISTA run to convergence)", "unit": ""},
}

"""Section 3 (part 2): learning from sparsity — LISTA, a learned lifting denoiser, coupled ISTA, separation.

The WINNet-structured denoiser, NENet and Algorithm 1 with them are notebook 03c (section ``winnet``), which
reads this section's ``params.yaml`` block (``unfolding``) and reuses its denoising cells.

Source: the second half of "Sparsity and Deep Neural Networks: a Match Made in Heaven", P. L. Dragotti
(Imperial College London), talk slides, 2022. Each part's keys (prefixes ``lista_``, ``lift_``, ``csr_``,
``sep_``; 03c's ``win_``, ``ne_``) are declared beside its experiment; the learned models are trained by the
stages ``train_<model>`` (``python -m sparseimg train <model>``; the models and their training modules:
:data:`sparseimg.workspace.train.MODELS`).
"""

from sparseimg.experiments import unfolding_coupled, unfolding_lifting, unfolding_lista, unfolding_separation

TITLE = "3b. Learning from sparsity: LISTA, a learned lifting denoiser, coupled ISTA"
NOTEBOOK = "notebooks/03b_unfolding.ipynb"

SCHEMA = {**unfolding_lista.SCHEMA, **unfolding_lifting.SCHEMA, **unfolding_coupled.SCHEMA, **unfolding_separation.SCHEMA}

RULES = (unfolding_lifting.check_block,)

def largest_sigma(node: dict) -> str:
    """The key ``sigma_<s>`` of the largest noise level."""
    return max(node, key=lambda k: float(k.split("_", 1)[1].replace("p", ".")))


def first_case(node: dict) -> str:
    """The first LISTA case (the first of ``lista_snrs_db``: noiseless by default)."""
    return next(k for k, v in node.items() if isinstance(v, dict))


#: Headline numbers (``metrics/unfolding_headline.json``): paths into ``metrics/unfolding.json``.
HEADLINE = {
    "lista_nmse_db": {"path": ("lista", first_case, "lista_nmse_db"), "label": "LISTA: NMSE", "unit": "dB"},
    "lista_fista_iterations": {"path": ("lista", first_case, "fista_iterations"), "label": "FISTA iterations to reach LISTA's NMSE", "unit": "iterations"},
    "lista_margin_over_fista_db": {"path": ("lista", first_case, "lista_margin_over_fista_db"), "label": "LISTA over FISTA at equal depth (λ tuned for that budget): margin", "unit": "dB"},
    "lifting_psnr": {"path": ("lifting", "headline", "learned", "psnr"), "label": "Learned lifting denoiser: PSNR", "unit": "dB"},
    "lifting_gain_over_ti_db": {"path": ("lifting", "mean_gain_over_ti_wavelet_db", largest_sigma), "label": "Learned lifting over cycle-spun wavelets, largest σ: gain", "unit": "dB"},
    "csr_x4_ratio_to_bicubic": {"path": ("coupled", "ratio_x4_coupled_to_bicubic"), "label": "Coupled ISTA, ×4 super-resolution: error ratio to bicubic", "unit": ""},
    "sep_psnr_x1": {"path": ("coupled", "sep_psnr_x1_side_exclusion"), "label": "Separation with side information and exclusion: PSNR of x₁", "unit": "dB"},
}

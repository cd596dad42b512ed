"""Section 3 (part 2): learning from sparsity — a learned lifting denoiser, coupled ISTA, separation.

Two other notebooks read this section's ``params.yaml`` block (``unfolding``): LISTA is notebook 03b_lista
(section ``lista``, its ``lista_`` keys), and the WINNet-structured denoiser, NENet and Algorithm 1 with them are
notebook 03c (section ``winnet``), which reuses this notebook's denoising cells.

Source: the second half of "Sparsity and Deep Neural Networks: a Match Made in Heaven", P. L. Dragotti
(Imperial College London), talk slides, 2022. Each part's keys (prefixes ``lift_``, ``csr_``, ``sep_``;
03b_lista's ``lista_``, 03c's ``win_``, ``ne_``) are declared beside its experiment; the learned models are trained by the
stages ``train_<model>`` (``python -m sparseimg train <model>``; the models and their training modules:
:data:`sparseimg.workspace.train.MODELS`).
"""

from sparseimg.experiments import unfolding_coupled, unfolding_lifting, unfolding_separation

TITLE = "3b. Learning from sparsity (2): a learned lifting denoiser, coupled ISTA"
NOTEBOOK = "notebooks/03b_unfolding.ipynb"

SCHEMA = {**unfolding_lifting.SCHEMA, **unfolding_coupled.SCHEMA, **unfolding_separation.SCHEMA}

RULES = (unfolding_lifting.check_block,)


def largest_sigma(node: dict) -> str:
    """The key ``sigma_<s>`` of the largest noise level."""
    return max(node, key=lambda k: float(k.split("_", 1)[1].replace("p", ".")))


#: Headline numbers (``metrics/unfolding_headline.json``): paths into ``metrics/unfolding.json``.
HEADLINE = {
    "lifting_psnr": {"path": ("lifting", "headline", "learned", "psnr"), "label": "Learned lifting denoiser: PSNR", "unit": "dB"},
    "lifting_gain_over_ti_db": {"path": ("lifting", "mean_gain_over_ti_wavelet_db", largest_sigma), "label": "Learned lifting over cycle-spun wavelets, largest σ: gain", "unit": "dB"},
    "csr_x4_ratio_to_bicubic": {"path": ("coupled", "ratio_x4_coupled_to_bicubic"), "label": "Coupled ISTA, ×4 super-resolution: error ratio to bicubic", "unit": ""},
    "sep_psnr_x1": {"path": ("coupled", "sep_psnr_x1_side_exclusion"), "label": "Separation with side information and exclusion: PSNR of x₁", "unit": "dB"},
}

"""Section 3 (part 3): a WINNet-structured denoiser, NENet, and Algorithm 1 with them (notebook 03c).

Source: "Sparsity and Deep Neural Networks: a Match Made in Heaven", P. L. Dragotti (Imperial College
London), talk slides, 2022, and the paper it presents: J.-J. Huang and P. L. Dragotti, "WINNet:
Wavelet-inspired invertible network for image denoising", IEEE Trans. Image Process. 31, 2022
(arXiv 2109.06381). The section reads the ``unfolding`` block of ``params.yaml`` (its ``win_``/``ne_`` keys
and the ``lift_`` keys of the images, noise and problems it shares with notebook 03b, whose denoising
cells it reuses); the models are trained by the stages ``train_winnet`` and ``train_nenet``.
"""

from sparseimg.experiments import train_winnet, unfolding_lifting, unfolding_winnet

TITLE = "3c. A WINNet-structured denoiser, NENet and Algorithm 1"
NOTEBOOK = "notebooks/03c_winnet.ipynb"
BLOCK = "unfolding"

SCHEMA = {**unfolding_lifting.SCHEMA, **unfolding_winnet.SCHEMA}

RULES = (unfolding_lifting.check_block, train_winnet.check_train)

#: Headline numbers (``metrics/winnet_headline.json``): paths into ``metrics/winnet.json``.
HEADLINE = {
    "winnet_minus_ti_db": {"path": ("summary", "winnet_minus_ti_db"), "label": "WINNet-structured denoiser over cycle-spun wavelets (the table's images and σ): mean gain", "unit": "dB"},
    "winnet_minus_bm3d_db": {"path": ("summary", "winnet_minus_bm3d_db"), "label": "WINNet-structured denoiser against BM3D (the table's images and σ): mean difference", "unit": "dB"},
    "winnet_talk_psnr": {"path": ("talk_setting", "winnet"), "label": "WINNet-structured denoiser, camera 256², σ 50 (the talk: 26.75): PSNR", "unit": "dB"},
    "nenet_max_abs_error": {"path": ("nenet_max_abs_error", "nenet"), "label": "NENet on white noise, σ 5–75, unseen images: largest error", "unit": "0–255"},
}

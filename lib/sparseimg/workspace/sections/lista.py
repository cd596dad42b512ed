"""Section 3 (part 2, first notebook): LISTA — ISTA unfolded into a network, against ISTA and FISTA (notebook 03b_lista).

Source: the second half of "Sparsity and Deep Neural Networks: a Match Made in Heaven", P. L. Dragotti (Imperial
College London), talk slides, 2022, and the papers it presents on unfolding: K. Gregor and Y. LeCun, "Learning fast
approximations of sparse coding" (ICML 2010); X. Chen, J. Liu, Z. Wang and W. Yin, "Theoretical linear convergence
of unfolded ISTA and its practical weights and thresholds" (NeurIPS 2018); J. Liu, X. Chen, Z. Wang and W. Yin,
"ALISTA: analytic weights are as good as learned weights in LISTA" (ICLR 2019). The section reads the ``lista_``
keys of the ``unfolding`` block of ``params.yaml`` (notebook 03b_unfolding reads the others); the networks are
trained by the stage ``train_lista``. Its own stage since the lifting half of notebook 03b made one stage of
over four minutes: the two halves share nothing but the block.
"""

from sparseimg.experiments import unfolding_lista

TITLE = "3b. Learning from sparsity (1): LISTA, ISTA unfolded into a network"
NOTEBOOK = "notebooks/03b_lista.ipynb"
BLOCK = "unfolding"

SCHEMA = dict(unfolding_lista.SCHEMA)


def first_case(node: dict) -> str:
    """The first LISTA case (the first of ``lista_snrs_db``: noiseless by default)."""
    return next(k for k, v in node.items() if isinstance(v, dict))


#: Headline numbers (``metrics/lista_headline.json``): paths into ``metrics/lista.json``.
HEADLINE = {
    "lista_nmse_db": {"path": ("lista", first_case, "lista_nmse_db"), "label": "LISTA: NMSE", "unit": "dB"},
    "lista_fista_iterations": {"path": ("lista", first_case, "fista_iterations"), "label": "FISTA iterations to reach LISTA's NMSE", "unit": "iterations"},
    "lista_margin_over_fista_db": {"path": ("lista", first_case, "lista_margin_over_fista_db"), "label": "LISTA over FISTA at equal depth (λ tuned for that budget): margin", "unit": "dB"},
}

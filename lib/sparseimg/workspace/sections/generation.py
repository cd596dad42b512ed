"""Section 5: image generation from a sparsity model (K-SVD, pairwise support model, Gibbs, EM).

Source: "Image Generation Using a Sparsity Model", G. Vaksman and M. Elad (Technion); undated in the
extracted text (its latest references are from 2016).
"""

from sparseimg.schema import Float, Int, ListOf, ParamError

TITLE = "5. Image generation from a sparsity model"
NOTEBOOK = "notebooks/05_generation.ipynb"

SCHEMA = {
    # digits and the dictionary
    "n_train": Int(100, 1700, quick=1197, help="training digits (the rest of the 1,797 are held out)"),
    "split_seed": Int(0, 2**32 - 1, quick=0, help="seed of the train/test permutation of the digits"),
    "n_atoms": Int(8, 1024, quick=128, help="dictionary size K (the doubled dictionary has 2K atoms)"),
    "sparsity": Int(1, 32, quick=5, help="atoms per code k (OMP) and support size of the generator"),
    "ksvd_iter": Int(1, 1000, quick=10, help="K-SVD iterations"),
    "ksvd_seed": Int(0, 2**32 - 1, quick=0, help="seed of K-SVD's initial dictionary (training digits)"),
    "big_atoms": Int(8, 1024, quick=256, help="K of the second K-SVD case (issue: 256)"),
    "big_sparsity": Int(1, 32, quick=10, help="k of the second K-SVD case (issue: 10)"),
    "clean_coherence": Float(0, 1, low_open=True, quick=0.95,
                             help="K-SVD cleaning: of two atoms with |<d_i, d_j>| above this, the less used is replaced"),
    "clean_min_use": Int(0, 1000, quick=2, help="K-SVD cleaning: atoms used by fewer codes are replaced (0: never)"),
    # the generative model
    "shrinkage_grid": ListOf(Float(0, low_open=True), min_len=2, unique=True, quick=[0.05, 0.1, 0.2],
                               help="starting grid of τ (pair probabilities shrunk toward independence, (n_ij/N + τ P(i)P(j)) / (1 + τ)), tuned on the training split"),
    "additive_alpha": Float(0, low_open=True, quick=1.0, help="α of the additive smoothing shown as the failure case"),
    "overlap_power_grid": ListOf(Float(0, low_open=True), min_len=2, unique=True, quick=[4.0, 8.0, 16.0],
                                   help="starting grid of β, the EM weights |overlap with the support|^β of training codes, tuned"),
    "temperature_grid": ListOf(Float(0, low_open=True), min_len=2, unique=True, quick=[0.25, 0.5, 1.0],
                                 help="starting grid of the Gibbs temperature of the pairwise and independent supports, tuned"),
    "seq_temperature_grid": ListOf(Float(0, low_open=True), min_len=2, unique=True, quick=[0.25, 0.5, 1.0],
                                     help="starting grid of the sequential support model's temperature, tuned"),
    "neighbour_swaps": Int(1, 32, quick=1, help="atoms of a training support redrawn by the neighbour model (at most sparsity)"),
    "neighbour_temperature_grid": ListOf(Float(0, low_open=True), min_len=2, unique=True, quick=[0.25, 0.5, 1.0],
                                           help="starting grid of the neighbour model's redraw temperature, tuned"),
    "burn_in": Int(1, 1000, quick=5, help="Gibbs sweeps from random supports before a support is kept"),
    "em_iter": Int(1, 1000, quick=10, help="EM iterations per drawn support"),
    "gmm_pca": Int(2, 64, quick=30, help="PCA components of the GaussianMixture baselines"),
    "gmm_components_grid": ListOf(Int(1, 512), min_len=2, unique=True, quick=[2, 4, 8],
                                    help="starting grid of the GaussianMixture baseline's component count, tuned like the support models"),
    # tuning (issue 21): a validation part of the training digits; experiments.generation.tune_generation
    "tune_holdout": Float(0, 1, low_open=True, high_open=True, quick=0.2,
                          help="fraction of the training digits held out to score the tuned settings"),
    "tune_samples": Int(20, 5000, quick=60, help="draws per value scored by the tuning sweeps"),
    "tune_extend": Int(0, 20, quick=0, help="values each tuning grid may grow by beyond an edge choice"),  # 6
    "trace_chains": Int(2, 2000, quick=60, help="Gibbs chains of the energy traces (from training and random starts)"),
    "trace_sweeps": Int(2, 1000, quick=10, help="sweeps of the energy traces"),
    # scores
    "n_samples": Int(20, 5000, quick=40, help="samples per model and seed (the reference: half of the held-out digits)"),
    "seeds": ListOf(Int(0, 2**31 - 1), min_len=1, quick=[0, 1],
                    help="generation seeds (bootstrap intervals over them; issue: 5)"),
    "pca_dim": Int(2, 64, quick=20, help="PCA features of the Fréchet distance, precision/recall and C_T"),
    # faces
    "face_train": Int(10, 95, quick=80, help="faces of lfw_subset for training (plus mirror images); the rest held out"),
    "face_atoms": Int(8, 512, quick=64, help="K of the faces' dictionary"),
    "face_sparsity": Int(1, 32, quick=5, help="k of the faces' dictionary"),
    "face_samples": Int(10, 2000, quick=20, help="generated faces per seed"),
}


def _sparsity_fits(block: dict) -> None:
    for k_key, n_key, dim in (("sparsity", "n_atoms", 64), ("big_sparsity", "big_atoms", 64),
                              ("face_sparsity", "face_atoms", 625)):
        top = min(block[n_key], dim)
        if block[k_key] > top:
            raise ParamError(f"generation.{k_key}={block[k_key]!r} is not allowed: expected at most {top} "
                             f"(generation.{n_key}={block[n_key]!r}, {dim} pixels)")


def _swaps_fit(block: dict) -> None:
    if block["neighbour_swaps"] > block["sparsity"]:
        raise ParamError(f"generation.neighbour_swaps={block['neighbour_swaps']!r} is not allowed: expected at most "
                         f"generation.sparsity={block['sparsity']!r}")


def _atoms_fit(block: dict) -> None:
    for n_key, n_signals, what in (("n_atoms", block["n_train"], "generation.n_train"),
                                   ("big_atoms", block["n_train"], "generation.n_train"),
                                   ("face_atoms", 2 * block["face_train"], "2 × generation.face_train")):
        if block[n_key] > n_signals:
            raise ParamError(f"generation.{n_key}={block[n_key]!r} is not allowed: expected at most {n_signals} "
                             f"({what}: K-SVD starts from distinct training images)")
    half = (1797 - block["n_train"]) // 2
    if block["pca_dim"] >= min(block["n_samples"], half):
        raise ParamError(f"generation.pca_dim={block['pca_dim']!r} is not allowed: expected less than "
                         f"generation.n_samples={block['n_samples']!r} and half the held-out digits ({half})")


RULES = (_sparsity_fits, _atoms_fit, _swaps_fit)

#: Headline numbers (``metrics/generation_headline.json``): paths into ``metrics/generation.json``.
HEADLINE = {
    "gen_pairwise_confidence": {"path": ("scores", "pairwise", "confidence", "mean"), "label": "Pairwise support model: classifier confidence", "unit": ""},
    "gen_pairwise_precision": {"path": ("scores", "pairwise", "precision", "mean"), "label": "Pairwise support model: precision", "unit": ""},
    "gen_pairwise_frechet": {"path": ("scores", "pairwise", "frechet", "mean"), "label": "Pairwise support model: Fréchet distance (PCA)", "unit": ""},
    "gen_gmm_frechet": {"path": ("scores", "gmm", "frechet", "mean"), "label": "GMM baseline (components tuned): Fréchet distance (PCA)", "unit": ""},
    "gen_ksvd_test_rmse": {"path": ("ksvd", "main", "test_rmse"), "label": "K-SVD: test RMSE", "unit": ""},
}

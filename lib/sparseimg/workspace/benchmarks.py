"""Parameter schemas of the benchmark blocks of ``params.yaml`` (not notebook sections).

A benchmark script reads its block with :func:`load_benchmark_params` (validated against the
schema here); the
``quick`` values are what the pipeline test runs (the one source of quick values,
as the section schemas are for the notebooks).
"""

from pathlib import Path

from sparseimg.workspace.params import read_params_file

from sparseimg.schema import Bool, Float, Int, ListOf, Spec, quick_values, validate_block

__all__ = ["BENCHMARK_SCHEMAS", "benchmark_quick_params", "load_benchmark_params"]

BENCHMARK_SCHEMAS: dict[str, dict[str, Spec]] = {
    # benchmarks/sporco_cbpdn.py (section 1's problem; the sparse_coding block gives the rest)
    "benchmark_sporco": {
        "size": Int(16, 4096, quick=64, help="image side N"),
        "repeats": Int(1, 100, quick=1, help="timed, interleaved repeats per solver"),
        "tol": Float(0, 1, low_open=True, high_open=True, quick=1e-6, help="relative objective gap to reach"),
        "max_iter": Int(1, 1000000, quick=3000, help="iteration cap per solver"),
        # F* is the floor every gap is measured from: below 100 iterations neither run is near a minimum
        "reference_iter": Int(100, 1000000, quick=1500, help="FISTA + restart and ADMM iterations for F*"),
        # the second problem, unlike section 1's (benchmarks/sporco_cbpdn.py's docstring)
        "oriented_rows": Int(16, 4096, quick=48, help="rows of the oriented problem's image"),
        "oriented_cols": Int(16, 4096, quick=80, help="columns of the oriented problem's image"),
        "oriented_sf_0": Float(0, 0.5, low_open=True, quick=0.1, help="its kernel's preferred frequency"),
        "oriented_B_sf": Float(0, low_open=True, quick=0.1, help="its kernel's radial bandwidth"),
        "oriented_theta_deg": Float(-180, 180, quick=45.0, help="its kernel's orientation, degrees"),
        "oriented_B_theta_deg": Float(0, 180, low_open=True, quick=30.0, help="its orientation bandwidth, degrees"),
        "oriented_rho": Float(0, 1, low_open=True, quick=0.02, help="its event density"),
        "oriented_seed": Int(0, 2**32 - 1, quick=7, help="its events' seed"),
        "oriented_noise": Float(0, quick=0.05, help="its relative noise"),
        "oriented_noise_seed": Int(0, 2**32 - 1, quick=1, help="its noise seed"),
        "oriented_lam": Float(0, 1, low_open=True, quick=0.03, help="its λ as a fraction of ‖Aᵀx‖∞"),
        "oriented_repeats": Int(1, 100, quick=1, help="timed, interleaved repeats per solver on it (slow solvers)"),
        "iteration_size": Int(16, 4096, quick=64, help="image side of the one-iteration timing table"),
    },
    # benchmarks/wavelets_speed.py (lifting transforms against PyWavelets' C code)
    "benchmark_wavelets": {
        "size": Int(16, 8192, quick=64, help="image side N of the N x N transforms"),
        "levels": Int(1, 10, quick=2, help="decomposition levels"),
        "repeats": Int(1, 1000, quick=3, help="timed, interleaved repeats (medians reported)"),
    },
    # benchmarks/omp_speed.py (section 5: batch OMP against sklearn, K-SVD against MiniBatchDictionaryLearning)
    "benchmark_generation": {
        "n_train": Int(100, 1700, quick=1197, help="training digits (the rest are the test set)"),
        "split_seed": Int(0, 2**32 - 1, quick=0, help="seed of the digits' train/test permutation"),
        "ksvd_iter": Int(1, 1000, quick=2, help="K-SVD iterations"),
        "ksvd_seed": Int(0, 2**32 - 1, quick=0, help="seed of K-SVD's initial dictionary (and sklearn's)"),
        "repeats": Int(1, 100, quick=1, help="timed repeats (medians reported)"),
        "minibatch": Bool(quick=False, help="also fit scikit-learn's MiniBatchDictionaryLearning (about 8 s a case)"),
    },
    # benchmarks/coupled_ablation.py (issue 21: why the coupled ISTA's guidance helps so little; the unfolding
    # block gives the networks' settings)
    "ablate_coupled": {
        "steps": Int(1, 100000, quick=10, help="training steps of every ablation network but the 'steps' rows"),
    },
    # benchmarks/separation_ablation.py (issue 21: the exclusion term with partly informative side information)
    "ablate_separation": {
        "size": Int(32, 512, quick=32, help="side of the square crops of both pairs"),
        "beta_grid": ListOf(Float(0, low_open=True), min_len=2, unique=True, quick=[0.3, 3.0, 30.0],
                            help="starting grid of the exclusion weight beta (0, the hard bound, is scored "
                                 "when the choice is the grid's low end)"),
        "max_extend": Int(0, 20, quick=1, help="values the beta grid may grow by beyond an edge choice"),
        "workers": Int(1, 8, quick=1, help="processes over the settings and runs (the same numbers for any count)"),
    },
}


def benchmark_quick_params(name: str) -> dict:
    """The quick block of benchmark ``name``."""
    return quick_values(BENCHMARK_SCHEMAS[name], name)


def load_benchmark_params(name: str, params_path="params.yaml", *, quick: bool = False,
                          check=None) -> tuple[dict, str]:
    """A benchmark script's parameters: ``(block, source)``.

    The block ``name`` of ``params_path`` is always validated against its schema (then
    ``check(block, source=...)`` for cross-field rules), so that a bad file fails even a quick
    run; with ``quick`` the schema's quick values are returned instead. A missing file or block,
    an unknown key, a wrong type or range raises :class:`~sparseimg.workspace.params.ParamError`
    (one line; the scripts exit 2 on it).
    """
    path = Path(params_path)
    params = validate_block(name, read_params_file(path).get(name), BENCHMARK_SCHEMAS[name],
                            root=path.resolve().parent, source=path.name)
    if check is not None:
        check(params, source=path.name)
    if quick:
        return benchmark_quick_params(name), f"{params_path} (--quick: the {name} schema's quick values)"
    return params, str(params_path)

"""Parameter schemas of the benchmark blocks of ``params.yaml`` (not notebook sections).

A benchmark script validates its block with
:func:`sparseimg.workspace.params.validate_block` against the schema here; the
``quick`` values are what the pipeline test runs (the one source of quick values,
as the section schemas are for the notebooks).
"""

from .params import Bool, Float, Int, Spec, quick_values

__all__ = ["BENCHMARK_SCHEMAS", "benchmark_quick_params"]

BENCHMARK_SCHEMAS: dict[str, dict[str, Spec]] = {
    # benchmarks/sporco_cbpdn.py (section 1's problem; the sparse_coding block gives the rest)
    "benchmark_sporco": {
        "size": Int(16, 4096, quick=64, help="image side N"),
        "repeats": Int(1, 100, quick=1, help="timed, interleaved repeats per solver"),
        "tol": Float(0, 1, low_open=True, high_open=True, quick=1e-6, help="relative objective gap to reach"),
        "max_iter": Int(1, 1000000, quick=3000, help="iteration cap per solver"),
        "reference_iter": Int(1, 1000000, quick=1500, help="FISTA (+ restart) iterations for F*"),
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
}


def benchmark_quick_params(name: str) -> dict:
    """The quick block of benchmark ``name``."""
    return quick_values(BENCHMARK_SCHEMAS[name], name)

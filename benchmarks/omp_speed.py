#!/usr/bin/env python
"""Section 5's batch OMP against scikit-learn's ``orthogonal_mp_gram``, and K-SVD against
``MiniBatchDictionaryLearning``.

Benchmark, not a test: it writes ``tables/generation_omp_speed.csv|md`` and
``tables/generation_ksvd.csv|md`` under ``--output-dir`` (default ``reports``) and asserts
nothing about wall-clock time.

The questions (issue 10)
------------------------
- OMP: the same supports as ``sklearn.linear_model.orthogonal_mp_gram`` on the digits, at
  least 5× faster. Both get the Gram matrix ``DᵀD`` and the correlations ``DᵀX`` (sklearn's
  ``Xy``) precomputed; ours is :func:`sparseimg.sparsemodels.dictionary.batch_omp` given the same Gram
  matrix. The dictionary is the K-SVD dictionary of the digits (a dictionary of raw training
  digits has near-duplicate atoms, where sklearn stops early with a warning). Same supports:
  the fraction of signals whose set of chosen atoms is identical; the coefficients' largest
  difference is in the note.
- K-SVD on the digits (0–255, ``n_train`` train / the rest test, seeded split): ``K = 128,
  k = 5`` and ``K = 256, k = 10``, ``ksvd_iter`` iterations, approximate and exact; time of
  the whole fit (one run per repeat, median; the exact variant one run only), training RMSE and the test RMSE of OMP codes
  with ``k`` atoms; the approximate variant also with the cleaning step (issue 23: near-duplicate
  and rarely used atoms replaced, the section's settings ``CLEANING``). scikit-learn's ``MiniBatchDictionaryLearning`` (``max_iter=20``) + OMP
  with the same ``K``, ``k`` is the peer (timed once per repeat as well).

Run (from the repository root)::

    .venv/bin/python benchmarks/omp_speed.py --output-dir reports
    .venv/bin/python benchmarks/omp_speed.py --output-dir reports --quick

Parameters: ``params.yaml``'s ``benchmark_generation`` block (schema in
:mod:`sparseimg.workspace.benchmarks`); a bad block exits 2 with one line.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from sparseimg.experiments.generation import CLEANING
from sparseimg.sparsemodels.dictionary import batch_omp, ksvd, sparse_rmse

__all__ = ["BLOCK", "OMP_COLUMNS", "KSVD_COLUMNS", "load_parameters", "omp_rows", "ksvd_rows", "main"]

BLOCK = "benchmark_generation"
OMP_COLUMNS = ["k", "n_signals", "ours_ms", "sklearn_ms", "speedup", "same_supports", "note"]
KSVD_COLUMNS = ["method", "n_atoms", "k", "iterations", "time_s", "train_rmse", "test_rmse"]
CASES = ((128, 5), (256, 10))


def log(message: str = "") -> None:
    print(message, flush=True)


def load_parameters(params_path="params.yaml", *, quick: bool = False) -> tuple[dict, str]:
    """The validated ``benchmark_generation`` block (or its quick values); ``(params, source)``."""
    from sparseimg.workspace.benchmarks import load_benchmark_params

    return load_benchmark_params(BLOCK, params_path, quick=quick)


def _digits(params):
    from sparseimg.experiments.generation import load_digit_split

    tr, _, te, _ = load_digit_split(params["n_train"], params["split_seed"])
    return tr.T, te.T


def omp_rows(params, D, X) -> list[dict]:
    """OMP of every digit (columns of ``X``) over ``D``: ours against sklearn, interleaved."""
    from sklearn.linear_model import orthogonal_mp_gram

    from sparseimg.timing import measure_interleaved

    rows = []
    G, Xy = D.T @ D, D.T @ X
    for k in sorted({k for _, k in CASES}):
        ours = batch_omp(X, D, k, gram=G)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            theirs = orthogonal_mp_gram(G, Xy, n_nonzero_coefs=k)
            t = measure_interleaved({"ours": lambda: batch_omp(X, D, k, gram=G),
                                     "sklearn": lambda: orthogonal_mp_gram(G, Xy, n_nonzero_coefs=k)},
                                    repeat=params["repeats"], min_time=0.02)
        same = np.mean([np.array_equal(np.flatnonzero(a), np.flatnonzero(b)) for a, b in zip(ours.T, theirs.T)])
        rows.append({"k": k, "n_signals": X.shape[1], "ours_ms": t["ours"].median * 1e3,
                     "sklearn_ms": t["sklearn"].median * 1e3, "speedup": t["sklearn"].median / t["ours"].median,
                     "same_supports": float(same),
                     "note": f"K={D.shape[1]}; max abs coefficient difference {np.max(np.abs(ours - theirs)):.1e}"})
    return rows


def ksvd_rows(params, X, T) -> tuple[list[dict], np.ndarray]:
    """K-SVD (approximate, exact) and MiniBatchDictionaryLearning + OMP for each case; also
    returns the first case's approximate dictionary (for the OMP table)."""
    from sklearn.decomposition import MiniBatchDictionaryLearning

    rows, first = [], None
    n_iter = params["ksvd_iter"]
    for K, k in CASES:
        for exact, clean in ((False, False), (True, False), (False, True)):
            times = []
            for _ in range(1 if exact else params["repeats"]):  # exact: one run (~30x the approximate's time)
                t0 = time.perf_counter()
                res = ksvd(X, K, k, n_iter=n_iter, exact=exact, rng=params["ksvd_seed"], clean=clean, **CLEANING)
                times.append(time.perf_counter() - t0)
            if first is None:
                first = res.dictionary
            name = "sparseimg K-SVD " + ("exact" if exact else "approximate") + (" + cleaning" if clean else "")
            rows.append({"method": name, "n_atoms": K,
                         "k": k, "iterations": n_iter, "time_s": float(np.median(times)),
                         "train_rmse": res.rmse[-1],
                         "test_rmse": sparse_rmse(T, res.dictionary, batch_omp(T, res.dictionary, k))})
        if params["minibatch"]:
            times = []
            for _ in range(params["repeats"]):
                t0 = time.perf_counter()
                dl = MiniBatchDictionaryLearning(n_components=K, transform_algorithm="omp",
                                                 transform_n_nonzero_coefs=k, random_state=params["ksvd_seed"],
                                                 max_iter=20).fit(X.T)
                times.append(time.perf_counter() - t0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                rec_tr = dl.transform(X.T) @ dl.components_
                rec_te = dl.transform(T.T) @ dl.components_
            rows.append({"method": "sklearn MiniBatchDictionaryLearning + OMP", "n_atoms": K, "k": k,
                         "iterations": 20, "time_s": float(np.median(times)),
                         "train_rmse": float(np.sqrt(np.mean((X.T - rec_tr) ** 2))),
                         "test_rmse": float(np.sqrt(np.mean((T.T - rec_te) ** 2)))})
    return rows, first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml", help=f"parameter file (its `{BLOCK}` block)")
    parser.add_argument("--output-dir", default="reports", help="report root (default reports)")
    parser.add_argument("--quick", action="store_true", help="smoke run at the schema's quick values")
    args = parser.parse_args(argv)

    from sparseimg.schema import ParamError
    from sparseimg.workspace.reporting import Reporter

    try:
        params, source = load_parameters(args.params, quick=args.quick)
    except ParamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    log(f"parameters from {source}: "
        + ", ".join(f"{k}={v}" for k, v in params.items()))
    from sparseimg.workspace.provenance import recorded_run

    threadpool_limits(limits=1)  # one BLAS thread: the numbers do not depend on the caller's environment
    with recorded_run(BLOCK, args.output_dir):
        X, T = _digits(params)
        reporter = Reporter("generation", args.output_dir)
        krows, D = ksvd_rows(params, X, T)
        log(reporter.write_table("ksvd", krows, columns=KSVD_COLUMNS,
                                 formats={"time_s": ".3g", "train_rmse": ".2f", "test_rmse": ".2f"}))
        orows = omp_rows(params, D, np.concatenate([X, T], axis=1))
        log(reporter.write_table("omp_speed", orows, columns=OMP_COLUMNS,
                                 formats={"ours_ms": ".3g", "sklearn_ms": ".3g", "speedup": ".3g",
                                          "same_supports": ".4f"}))
    for r in orows:
        log(f"OMP k={r['k']}: {r['speedup']:.3g}x sklearn's speed ({'meets' if r['speedup'] >= 5 else 'does NOT meet'}"
            f" >= 5x), same supports for {r['same_supports']:.2%} of the signals")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Section 1b at the sizes the default stage skips: cost and memory of the tiled solve against image size.

Benchmark, not a test: for each ``--sizes`` side it writes a synthetic image to zarr tile by tile, solves it
zarr to zarr on a fresh ``LocalCluster`` (``--workers`` processes, one thread each) with the ``large_images``
block of ``params.yaml`` (kernel, tile, halo, λ, tolerances), and appends one row to
``tables/large_images_scaling_big.csv|md`` under ``--output-dir``: wall seconds, seconds per megapixel, the
task stream's busy time and the scheduler's share, seconds per tile in each round, peak RSS of the busiest
worker and the largest growth of the driver's resident memory (see
:func:`sparseimg.experiments.large_images.measure_scaling`). Zarr scratch goes to ``--scratch`` (default: a
temporary folder), removed size by size.

    python benchmarks/large_images_scaling.py --sizes 2048 4096 8192
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import yaml
from threadpoolctl import threadpool_limits

from sparseimg.experiments.large_images import measure_scaling
from sparseimg.large.tiled import truncated_kernel
from sparseimg.workspace.reporting import markdown_table

COLUMNS = ["size", "tile", "halo", "tiles", "workers", "wall_s", "s_per_mpixel", "busy_s", "scheduler_share",
           "round0_s_per_tile", "round1_s_per_tile", "worker_peak_mb", "driver_peak_mb"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", required=True)
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--output-dir", default="reports")
    parser.add_argument("--scratch", default=None)
    args = parser.parse_args(argv)
    threadpool_limits(1)
    p = yaml.safe_load(Path(args.params).read_text())["large_images"]
    kernel, _ = truncated_kernel(tol=p["kernel_tol"], sf_0=p["sf_0"], B_sf=p["B_sf"])
    halo = 2 * (kernel.shape[0] // 2) if p["halo"] is None else p["halo"]
    scratch = Path(args.scratch or tempfile.mkdtemp(prefix="large_bench_"))
    out = Path(args.output_dir) / "tables"
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for side in args.sizes:
        folder = scratch / f"size_{side}"
        row = measure_scaling(side, kernel, tile=p["tile"], halo=halo, lam=p["lam"], rho=p["rho"],
                              y_lambda=p["y_lambda"], noise=p["noise"], seed=p["seed"], boundary=p["boundary"],
                              n_iter=p["n_iter"], tol=p["tol"], round0_tol=p["round0_tol"], workers=p["workers"],
                              directory=folder)
        shutil.rmtree(folder, ignore_errors=True)
        rows.append(row)
        print(", ".join(f"{k}={row[k]:.4g}" if isinstance(row[k], float) else f"{k}={row[k]}" for k in COLUMNS),
              flush=True)
        with open(out / "large_images_scaling_big.csv", "w") as fh:
            fh.write(",".join(COLUMNS) + "\n")
            for r in rows:
                fh.write(",".join(f"{r[c]:.6g}" if isinstance(r[c], float) else str(r[c]) for c in COLUMNS) + "\n")
        (out / "large_images_scaling_big.md").write_text(markdown_table(rows, COLUMNS, {
            "wall_s": ".1f", "s_per_mpixel": ".2f", "busy_s": ".1f", "scheduler_share": ".4f",
            "round0_s_per_tile": ".2f", "round1_s_per_tile": ".2f", "worker_peak_mb": ".0f", "driver_peak_mb": ".1f"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python
"""What to expect in time from the one-call API (``sparseimg.denoise`` / ``deblur`` / ``inpaint``).

Benchmark, not a test: writes ``tables/api_speed.csv|md`` under ``--output-dir`` (default
``reports``) and asserts nothing about wall-clock time. Every method of the three calls runs
at its defaults on the packaged camera image (``--size`` × ``--size``, default 512): denoising
at σ = 25/255 (known σ, plus the blind call that estimates it), deblurring section 2's PSF
(13 × 13 Gaussian, σ = (1, 3)) with noise 0.01, inpainting 50 % of the pixels missing. One
warm-up call, then ``--repeats`` timed calls (median); the PSNR (``data_range = 1``) says
what the time buys. BLAS on one thread (threadpoolctl).

Run (from the repository root)::

    .venv/bin/python benchmarks/api_speed.py              # 512², 3 repeats
    .venv/bin/python benchmarks/api_speed.py --size 128 --repeats 1
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from sparseimg import deblur, denoise, inpaint, psnr
from sparseimg.images import prepare_image
from sparseimg.kernels import gaussian_psf
from sparseimg.operators import LinearConvolution
from sparseimg.restoration.api import DEBLUR_METHODS, DENOISE_METHODS, INPAINT_METHODS
from sparseimg.workspace.reporting import markdown_table


def cases(size: int):
    clean = prepare_image("camera", scale=size / 512, crop=None)
    rng = np.random.default_rng(0)
    noisy = clean + 25 / 255 * rng.standard_normal(clean.shape)
    psf = gaussian_psf(13, (1.0, 3.0))
    blurred = LinearConvolution(psf, clean.shape).forward(clean) + 0.01 * rng.standard_normal(clean.shape)
    missing = rng.random(clean.shape) < 0.5
    holes = np.where(missing, np.nan, clean)
    for m in DENOISE_METHODS:
        if m == "learned":
            from sparseimg.learn import winnet

            try:
                winnet.load()
            except Exception as error:  # weights missing: say so in the table, do not fake a row
                yield "denoise", m, "σ = 25/255", None, str(error).split("\n")[0]
                continue
        yield "denoise", m, "σ = 25/255", (lambda m=m: denoise(noisy, 25 / 255, method=m)), None
    yield "denoise", "wavelet", "σ estimated", (lambda: denoise(noisy)), None
    for m in DEBLUR_METHODS:
        yield "deblur", m, "section 2 PSF, noise 0.01", (lambda m=m: deblur(blurred, psf, method=m)), None
    for m in INPAINT_METHODS:
        yield "inpaint", m, "50 % missing", (lambda m=m: inpaint(holes, missing, method=m)), None
    yield "_truth", "", "", clean, None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=512, help="image side in pixels (default 512)")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per method after a warm-up (default 3)")
    parser.add_argument("--output-dir", default="reports", help="where tables/api_speed.csv|md go (default reports)")
    args = parser.parse_args(argv)
    if args.size < 32 or args.repeats < 1:
        parser.error(f"--size={args.size} --repeats={args.repeats}: expected size >= 32 and repeats >= 1")
    items = list(cases(args.size))
    clean = items.pop()[3]
    rows = []
    with threadpool_limits(1):
        for task, method, setting, run, note in items:
            if run is None:
                rows.append({"call": task, "method": method, "setting": setting, "median_s": None, "psnr_db": None,
                             "note": note})
                continue
            out = run()  # warm-up (compilations, plans, imports)
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                run()
                times.append(time.perf_counter() - start)
            rows.append({"call": task, "method": method, "setting": setting,
                         "median_s": round(statistics.median(times), 3), "psnr_db": round(psnr(clean, out), 2),
                         "note": ""})
            print(f"{task:8s} {method:24s} {rows[-1]['median_s']:8.3f} s  {rows[-1]['psnr_db']:6.2f} dB", flush=True)
    out_dir = Path(args.output_dir) / "tables"
    out_dir.mkdir(parents=True, exist_ok=True)
    import csv

    with open(out_dir / "api_speed.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (out_dir / "api_speed.md").write_text(markdown_table(rows) + "\n")
    print(markdown_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

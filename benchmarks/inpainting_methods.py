#!/usr/bin/env python
"""Section 4's inpainting methods side by side, with scikit-image's ``inpaint_biharmonic``.

Benchmark, not a test: it writes ``tables/inpainting_benchmark.csv|md`` (every method at
every missing proportion: PSNR, RMSE, RMSE on the missing pixels, wall time, the choices
made on held-out pixels) and ``tables/inpainting_benchmark_adam_vs_als.csv|md`` (the
document's Adam fit, from its N(0, 1) start and from a rescaled one, against ALS at the
same rank and at the held-out rank, on the same mask; ``psnr`` is the document's, on
``clip(W·H)`` everywhere, ``psnr_observed_kept`` with the observed pixels put back;
``time_vs_*`` are time ratios) under ``--output-dir``
(default ``reports``). It asserts nothing about time.

Everything runs in one process on the same image and masks as the notebook
``notebooks/04_inpainting.ipynb`` (mask of proportion ``i`` drawn with ``seed + i``),
with one BLAS thread by default (``--threads``): on the shared 2-core machines of this
project two threads were slower and made timings erratic. Each method is timed once
(they take seconds to minutes); the ALS fits of the Adam-versus-ALS comparison are
repeated ``timing_repeats`` times (median), the Adam fits once (one fit is 1000 steps).

Parameters come from ``params.yaml``'s ``inpainting`` block through
:func:`sparseimg.workspace.runner.load_section_params`; ``--quick`` runs the section's quick values
instead (owned by its schema, the notebook's defaults: a 128 x 128 crop, small ranks, few steps).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

COLUMNS = ["proportion", "method", "psnr", "rmse", "rmse_missing", "time_s", "choice"]
FORMATS = {"psnr": ".2f", "rmse": ".4f", "rmse_missing": ".4f", "time_s": ".3g"}
SPEED_COLUMNS = ["fit", "rank", "steps", "psnr", "psnr_observed_kept", "time_s", "repeats",
                 "time_vs_als_same_rank", "time_vs_als_heldout"]
SPEED_FORMATS = {"psnr": ".2f", "psnr_observed_kept": ".2f", "time_s": ".3g", "time_vs_als_same_rank": ".3g",
                 "time_vs_als_heldout": ".3g"}


def log(message: str) -> None:
    print(message, flush=True)


def load_parameters(params_path="params.yaml") -> tuple[dict, str]:
    """The ``inpainting`` block of ``params_path``, validated (a bad or missing block is a
    :class:`~sparseimg.workspace.params.ParamError`). Returns ``(params, source)``."""
    from sparseimg.workspace.runner import load_section_params
    from sparseimg.workspace.sections import get_section

    path = Path(params_path).resolve()
    loaded = load_section_params("inpainting", path, root=path.parent)
    return {k: loaded[k] for k in get_section("inpainting").schema}, str(params_path)


def _choice(info: dict) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in info.items() if k != "rows")


def run_benchmark(params: dict, *, output_dir="reports") -> tuple[list[dict], list[dict]]:
    """Run every method at every proportion, then Adam against ALS; write both tables."""
    from sparseimg.completion import adam_factorize, als_factorize, reconstruct
    from sparseimg.experiments.inpainting import METHODS
    from sparseimg.images import center_crop, check_color_image, load_image
    from sparseimg.metrics import inpainting_scores
    from sparseimg.operators.mask import apply_mask, keep_observed, random_mask
    from sparseimg.workspace.reporting import Reporter
    from sparseimg.workspace.timing import format_duration, measure

    t_start = time.perf_counter()
    image = check_color_image(load_image(params["image"], gray=False), name=f"image={params['image']!r}")
    img = center_crop(image, params["crop"])
    seed = params["seed"]
    masks = {p: random_mask(img.shape[:2], p, seed=seed + i) for i, p in enumerate(params["proportions"])}
    log(f"{params['image']} crop {img.shape[0]} x {img.shape[1]}; methods: {', '.join(METHODS)}")

    rows, choices = [], {}
    for p, missing in masks.items():
        masked = apply_mask(img, missing)
        for key in METHODS:
            t0 = time.perf_counter()
            est, info = METHODS[key](masked, missing, params)
            elapsed = time.perf_counter() - t0
            scores = inpainting_scores(img, est, missing)
            choices[p, key] = info
            rows.append({"proportion": p, "method": key, **scores, "time_s": elapsed, "choice": _choice(info)})
            log(f"{p:.0%} missing | {key:22s} PSNR {scores['psnr']:6.2f} dB "
                f"RMSE {scores['rmse']:.4f}  {format_duration(elapsed):>8s}  {_choice(info)}")
    for p in masks:
        here = [r for r in rows if r["proportion"] == p]
        peer = next(r for r in here if r["method"] == "biharmonic")
        best = max((r for r in here if r["method"] != "biharmonic"), key=lambda r: r["psnr"])
        log(f"{p:.0%} missing: best {best['method']} {best['psnr']:.2f} dB in {format_duration(best['time_s'])}, "
            f"biharmonic {peer['psnr']:.2f} dB in {format_duration(peer['time_s'])}: "
            f"{best['psnr'] - peer['psnr']:+.2f} dB")

    # Adam (the document's exact settings and a rescaled start) against ALS, same rank and mask
    p, rank = params["doc_proportion"], params["doc_rank"]  # the schema's rules: p is one of the proportions
    missing = masks[p]
    masked = apply_mask(img, missing)
    speed = []

    def scores_of(fac):
        est = reconstruct(fac)
        return (inpainting_scores(img, est, missing)["psnr"],
                inpainting_scores(img, keep_observed(img, missing, est), missing)["psnr"])

    for label, scale in (("Adam, document start N(0, 1)", 1.0), (f"Adam, start {params['scaled_init']:g} N(0, 1)",
                                                                params["scaled_init"])):
        t0 = time.perf_counter()
        fac = adam_factorize(masked, missing, rank, n_iter=params["doc_iter"], learning_rate=params["adam_lr"],
                             init_scale=scale, seed=seed, dtype=params["adam_dtype"])
        elapsed = time.perf_counter() - t0
        raw, kept = scores_of(fac)
        speed.append({"fit": label, "rank": rank, "steps": params["doc_iter"], "psnr": raw,
                      "psnr_observed_kept": kept, "time_s": elapsed, "repeats": 1})
        log(f"{label}: rank {rank}, {params['doc_iter']} steps, PSNR {raw:.2f} dB in {format_duration(elapsed)}")

    als_choice = choices[p, "als"]
    for label, als_rank, ridge in ((f"ALS, same rank, ridge {als_choice['ridge']:g}", rank, als_choice["ridge"]),
                                   (f"ALS, held-out rank {als_choice['rank']}, ridge {als_choice['ridge']:g}",
                                    als_choice["rank"], als_choice["ridge"])):
        def fit(r=als_rank, lam=ridge):
            return als_factorize(masked, missing, r, ridge=lam, n_iter=params["als_iter"], seed=seed)

        raw, kept = scores_of(fit())
        timing = measure(fit, repeat=params["timing_repeats"], number=1)
        speed.append({"fit": label, "rank": als_rank, "steps": params["als_iter"], "psnr": raw,
                      "psnr_observed_kept": kept, "time_s": timing.median, "repeats": timing.repeat})
        log(f"{label}: {params['als_iter']} sweeps, PSNR {raw:.2f} dB in {format_duration(timing.median)} "
            f"(median of {timing.repeat})")
    for row in speed:
        row["time_vs_als_same_rank"] = row["time_s"] / speed[2]["time_s"]
        row["time_vs_als_heldout"] = row["time_s"] / speed[3]["time_s"]

    reporter = Reporter("inpainting", output_dir)
    rows.sort(key=lambda r: (r["proportion"], -r["psnr"]))
    md = reporter.write_table("benchmark", rows, columns=COLUMNS, formats=FORMATS)
    print(md)
    print(reporter.write_table("benchmark_adam_vs_als", speed, columns=SPEED_COLUMNS, formats=SPEED_FORMATS))
    log(f"tables written to {Path(output_dir) / 'tables'}/inpainting_benchmark{{,_adam_vs_als}}.{{csv,md}} "
        f"in {time.perf_counter() - t_start:.0f} s")
    return rows, speed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml", help="parameter file (its `inpainting` block)")
    parser.add_argument("--output-dir", default="reports", help="report root (default reports)")
    parser.add_argument("--quick", action="store_true", help="smoke run at the section's quick values (the schema's)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    args = parser.parse_args(argv)

    from sparseimg.workspace.params import ParamError

    try:
        params, source = load_parameters(args.params)
    except ParamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.quick:  # the section's quick values, owned by its schema (the notebook's defaults)
        from sparseimg.workspace.sections import get_section

        params = get_section("inpainting").quick_params()
    log(f"parameters from {source}{' (--quick)' if args.quick else ''}: "
        + ", ".join(f"{k}={v}" for k, v in params.items()))
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=args.threads):
        run_benchmark(params, output_dir=args.output_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())

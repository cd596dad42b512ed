"""Does the exclusion term of the separation matter where the side information is only partly
informative?  (issue 21, part b)

Section 3b's separation (astronaut in grey + camera, side information = astronaut's RGB) gives
30.18 dB with the exclusion term and 30.15 without: the RGB side information already pins x₁ down.
Here the side information is degraded by white noise of standard deviation ``sigma`` (0: the
section's setting; 0.1, 0.3: partly informative) or absent (``alpha = 0``), and the exclusion weight
``beta`` is *tuned* per setting on a tuning pair that shares no image with the reported one
(x₁ = ``coffee`` with its RGB as side information, x₂ = ``rocket`` in grey; the colour gains are learned
on ``chelsea`` for both pairs, as in the section): highest mean PSNR of the two parts, over 0 and a
half-decade grid from 0.1 to 100 (the ``ablate_separation`` block's ``beta_grid``) grown until the choice is
interior
(:func:`sparseimg.experiments.tuning.sweep_to_interior`; β = 0, "no exclusion", is the hard bound). Each β
runs with its own step size (the default, :func:`sparseimg.restoration.separation.separation_lipschitz` of
its weights), so a larger grid does not slow the small-β rows. The reported pair (astronaut + camera) is
then run at β = 0, at every grid point (the sweep shown) and at the tuned β.
Everything else is the ``sep_*`` params (crops of the block's ``size``, 128, for time; fixed noise seeds: 0 on
the reported pair, 1 on the tuning pair).

Writes reports/tables/unfolding_separation_ablation.{csv,md} and
reports/tables/unfolding_separation_ablation.json (PSNRs, the tuning records and the tuned rows); times in
reports/runs/separation_ablation.json. Run: ``python benchmarks/separation_ablation.py``.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from sparseimg._parallel import process_map
from sparseimg.experiments.tuning import sweep_to_interior
from sparseimg.experiments.unfolding_separation import SeparationProblem, separation_problem, square_image
from sparseimg.metrics import psnr
from sparseimg.restoration import separation

ROOT = Path(__file__).resolve().parents[1]
SIGMAS = (0.0, 0.1, 0.3)


def tuning_problem(size: int) -> SeparationProblem:
    """The tuning pair: x₁ = ``coffee`` in grey (side information: its RGB), x₂ = ``rocket`` in grey; gains on
    ``chelsea``. Central squares resized to ``size`` by :func:`square_image`, as :func:`separation_problem` prepares its images."""
    from skimage import data
    from skimage.color import rgb2gray

    side, train_side = square_image(data.coffee(), size), square_image(data.chelsea(), size)
    return SeparationProblem(x1=rgb2gray(side), x2=rgb2gray(square_image(data.rocket(), size)), side=side,
                             train_grey=rgb2gray(train_side), train_side=train_side)


def _psnrs(problem, operator, gains, block, side, alpha, beta) -> tuple[float, float]:
    res = separation.separate(problem.mixture, operator, side=side, gains=gains, lam=block["sep_lam"], alpha=alpha,
                              beta=beta, n_iter=block["sep_iter"])
    return psnr(problem.x1, res.x1, data_range=1.0), psnr(problem.x2, res.x2, data_range=1.0)


def _tune(problem, operator, gains, block, side, alpha, grid, max_extend) -> dict:
    tuned = sweep_to_interior(lambda beta: float(np.mean(_psnrs(problem, operator, gains, block, side, alpha, beta))),
                              grid, max_extend=max_extend, zero=True)
    return tuned.as_dict()


def _settings(block: dict) -> list[tuple[str, float, float]]:
    return [(f"side sigma={s:g}", block["sep_alpha"], s) for s in SIGMAS] + [("no side", 0.0, 0.0)]


def main() -> int:
    import yaml

    from sparseimg.schema import ParamError
    from sparseimg.workspace.benchmarks import load_benchmark_params

    try:
        params, _ = load_benchmark_params("ablate_separation", ROOT / "params.yaml")
    except ParamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    threadpool_limits(limits=1)  # one BLAS thread: the numbers do not depend on the caller's environment
    size, grid, workers = params["size"], params["beta_grid"], params["workers"]
    block = yaml.safe_load((ROOT / "params.yaml").read_text())["unfolding"]
    t0 = time.perf_counter()
    operator = separation.FilterBankSynthesis(separation.dct_filter_bank(block["sep_filter"]), (size, size))
    reported, tuning = separation_problem(size), tuning_problem(size)
    gains = separation.learn_side_gains(reported.train_grey, reported.train_side, operator, lam=block["sep_lam"])
    noise = {"reported": np.random.default_rng(0).standard_normal(reported.side.shape),
             "tuning": np.random.default_rng(1).standard_normal(tuning.side.shape)}
    settings = _settings(block)

    t1 = time.perf_counter()
    records = process_map(_tune, [(tuning, operator, gains, block, tuning.side + s * noise["tuning"], a, grid,
                                   params["max_extend"]) for _, a, s in settings], workers)
    tuning_seconds = time.perf_counter() - t1
    records = {name: rec for (name, _, _), rec in zip(settings, records)}
    for name, rec in records.items():
        print(f"{name}: beta {rec['value']:g} (grid {rec['grid']}, edge {rec['edge'] or 'none'} {rec['reason']})",
              flush=True)

    t1 = time.perf_counter()
    jobs = [(name, alpha, sigma, beta) for name, alpha, sigma in settings
            for beta in sorted({0.0, *grid, records[name]["value"]})]
    runs = process_map(_psnrs, [(reported, operator, gains, block, reported.side + sigma * noise["reported"], alpha,
                                 beta) for _, alpha, sigma, beta in jobs], workers)
    reported_seconds = time.perf_counter() - t1
    rows = [{"setting": name, "beta": beta, "tuned": beta == records[name]["value"], "psnr_x1": x1, "psnr_x2": x2}
            for (name, _, _, beta), (x1, x2) in zip(jobs, runs)]

    out = ROOT / "reports" / "tables"
    with open(out / "unfolding_separation_ablation.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows({**r, "psnr_x1": f"{r['psnr_x1']:.3f}", "psnr_x2": f"{r['psnr_x2']:.3f}"} for r in rows)
    base = {r["setting"]: r for r in rows if r["beta"] == 0.0}
    tuned_rows = {}
    lines = ["Exclusion weight β tuned on coffee + rocket (mean PSNR of the two parts), then applied to the reported "
             f"pair (astronaut + camera, {size}²):", "",
             "| setting | β tuned (grid edge?) | PSNR x1 / x2 at β = 0 (dB) | at tuned β (dB) | Δ x1 / Δ x2 (dB) |",
             "|---|---|---|---|---|"]
    for name, _, _ in settings:
        rec, b = records[name], base[name]
        t = next(r for r in rows if r["setting"] == name and r["tuned"])
        tuned_rows[name] = {"beta": rec["value"], "edge": rec["edge"], "reason": rec["reason"],
                            "gain_x1_db": round(t["psnr_x1"] - b["psnr_x1"], 4),
                            "gain_x2_db": round(t["psnr_x2"] - b["psnr_x2"], 4)}
        edge = f"{rec['edge']} ({rec['reason']})" if rec["edge"] else "interior"
        lines.append(f"| {name} | {rec['value']:g} ({edge}) | {b['psnr_x1']:.2f} / {b['psnr_x2']:.2f} | "
                     f"{t['psnr_x1']:.2f} / {t['psnr_x2']:.2f} | {t['psnr_x1'] - b['psnr_x1']:+.2f} / "
                     f"{t['psnr_x2'] - b['psnr_x2']:+.2f} |")
    lines += ["", "The sweep on the reported pair (each β with its own step size; ← the tuned β):", "",
              "| setting | beta | PSNR x1 (dB) | PSNR x2 (dB) | Δ x1 / Δ x2 vs beta = 0 |", "|---|---|---|---|---|"]
    for r in rows:
        b = base[r["setting"]]
        mark = " ←" if r["tuned"] else ""
        lines.append(f"| {r['setting']} | {r['beta']:g}{mark} | {r['psnr_x1']:.2f} | {r['psnr_x2']:.2f} | "
                     f"{r['psnr_x1'] - b['psnr_x1']:+.2f} / {r['psnr_x2'] - b['psnr_x2']:+.2f} |")
    (out / "unfolding_separation_ablation.md").write_text("\n".join(lines) + "\n")
    metrics = {"psnr": {f"{r['setting']}/beta={r['beta']:g}/{k}": round(r[k], 4) for r in rows
                        for k in ("psnr_x1", "psnr_x2")},
               "tuning": records, "tuned": tuned_rows,
               "tuning_pair": {"x1": "coffee (grey; side information its RGB)", "x2": "rocket (grey)",
                               "gains": "chelsea", "noise_seed": 1}}
    (out / "unfolding_separation_ablation.json").write_text(json.dumps(metrics, indent=1, sort_keys=True) + "\n")
    (ROOT / "reports" / "runs" / "separation_ablation.json").write_text(json.dumps(
        {"seconds_total": round(time.perf_counter() - t0, 1), "seconds_tuning": round(tuning_seconds, 1),
         "seconds_reported": round(reported_seconds, 1), "workers": workers}, indent=1, sort_keys=True) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

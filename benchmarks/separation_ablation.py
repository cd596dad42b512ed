"""Does the exclusion term of the separation matter where the side information is only partly
informative?  (issue 21, part b)

Section 3b's separation (astronaut in grey + camera, side information = astronaut's RGB) gives
30.18 dB with the exclusion term and 30.15 without: the RGB side information already pins x₁ down.
Here the side information is degraded by white noise of standard deviation ``sigma`` (0: the
section's setting; 0.1, 0.3: partly informative) or absent (``alpha = 0``), and the exclusion weight
``beta`` runs over 0, 0.1, 0.3, 1, 3, 10. Everything else is the ``sep_*`` params (crop 128 for time; fixed
noise seed; the common step size of each setting is the largest beta's, so rows differ by their terms
only).

Writes reports/tables/unfolding_separation_ablation.{csv,md} and
reports/tables/unfolding_separation_ablation.json; times in reports/runs/separation_ablation.json.
Run: ``python benchmarks/separation_ablation.py``.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import numpy as np

from sparseimg.experiments.unfolding_separation import separation_problem
from sparseimg.metrics import psnr
from sparseimg.restoration import separation

ROOT = Path(__file__).resolve().parents[1]
SIZE = 128
SIGMAS = (0.0, 0.1, 0.3)
BETAS = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0)


def main():
    import yaml

    block = yaml.safe_load((ROOT / "params.yaml").read_text())["unfolding"]
    t0 = time.perf_counter()
    problem = separation_problem(SIZE)
    operator = separation.FilterBankSynthesis(separation.dct_filter_bank(block["sep_filter"]), problem.x1.shape)
    gains = separation.learn_side_gains(problem.train_grey, problem.train_side, operator, lam=block["sep_lam"])
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(problem.side.shape)
    rows, times = [], {}
    settings = [(f"side sigma={s:g}", block["sep_alpha"], s) for s in SIGMAS] + [("no side", 0.0, 0.0)]
    for name, alpha, sigma in settings:
        side = problem.side + sigma * noise
        lip = separation.separation_lipschitz(problem.mixture, operator, gains, alpha, max(BETAS))
        for beta in BETAS:
            t1 = time.perf_counter()
            res = separation.separate(problem.mixture, operator, side=side, gains=gains, lam=block["sep_lam"],
                                      alpha=alpha, beta=beta, n_iter=block["sep_iter"], lipschitz=lip)
            rows.append({"setting": name, "beta": beta, "psnr_x1": psnr(problem.x1, res.x1, data_range=1.0),
                         "psnr_x2": psnr(problem.x2, res.x2, data_range=1.0)})
            times[f"{name}/beta={beta:g}"] = round(time.perf_counter() - t1, 1)
            print(rows[-1], flush=True)
    out = ROOT / "reports" / "tables"
    with open(out / "unfolding_separation_ablation.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows({**r, "psnr_x1": f"{r['psnr_x1']:.3f}", "psnr_x2": f"{r['psnr_x2']:.3f}"} for r in rows)
    base = {r["setting"]: r for r in rows if r["beta"] == 0.0}
    lines = ["| setting | beta | PSNR x1 (dB) | PSNR x2 (dB) | Δ x1 / Δ x2 vs beta = 0 |", "|---|---|---|---|---|"]
    for r in rows:
        b = base[r["setting"]]
        lines.append(f"| {r['setting']} | {r['beta']:g} | {r['psnr_x1']:.2f} | {r['psnr_x2']:.2f} | "
                     f"{r['psnr_x1'] - b['psnr_x1']:+.2f} / {r['psnr_x2'] - b['psnr_x2']:+.2f} |")
    (out / "unfolding_separation_ablation.md").write_text("\n".join(lines) + "\n")
    metrics = {f"{r['setting']}/beta={r['beta']:g}/{k}": round(r[k], 4) for r in rows for k in ("psnr_x1", "psnr_x2")}
    (out / "unfolding_separation_ablation.json").write_text(json.dumps(metrics, indent=1, sort_keys=True) + "\n")
    (ROOT / "reports" / "runs" / "separation_ablation.json").write_text(
        json.dumps({"seconds_total": round(time.perf_counter() - t0, 1), "seconds": times}, indent=1, sort_keys=True) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

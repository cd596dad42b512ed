"""Why does the guidance of the coupled ISTA help so little?  Ablations (issue 21).

Every network here is trained on the left three quarters of the *training* half of the motorcycle
problem and scored on the last quarter of the training half (validation); the reported half of
section 3b is never read. Rows: guided network (guidance patches scaled by ``gain`` after the
per-patch normalization: 0 feeds a blank guidance) and the unguided network, per scale, for

- ``gain``: 0, 0.5, 1, 2, 4 (all else at the section's params, training shortened to the ``ablate_coupled``
  block's ``steps``: 400);
- ``atoms``: coupled dictionary sizes 64, 128, 256;
- ``steps``: training length ``steps`` (400) vs the section's ``csr_steps`` (2000; ×4 only);
- ``synthetic``: an edge-aligned pair whose answer is known: the grey view smoothed and quantized
  into 6 levels gives a piecewise-constant guidance and a disparity taking one random value per
  level, so every disparity edge is an intensity edge and vice versa (guidance MUST help there).

Writes reports/tables/unfolding_coupled_ablation.{csv,md}, reports/tables/unfolding_coupled_ablation.json
(validation RMSE) and reports/runs/coupled_ablation.json (times).
Run: ``python benchmarks/coupled_ablation.py`` (deterministic seeds; 1002 s under the load of four helpers on 2 cores).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from sparseimg.experiments import unfolding_coupled as uc
from sparseimg.learn import coupled

ROOT = Path(__file__).resolve().parents[1]


def load_block():
    import yaml

    return yaml.safe_load((ROOT / "params.yaml").read_text())["unfolding"]


def validation_split(problem):
    """The problem with the training columns cut to 3/4 of the training half, and the validation mask."""
    new_split = (problem.split * 3 // 4 // 8) * 8
    cols = np.arange(problem.truth.shape[1])
    val = problem.valid & (cols >= new_split)[None, :] & (cols < problem.split)[None, :]
    return dataclasses.replace(problem, split=new_split), val


def synthetic_problem(factor, seed=0, levels=6):
    """Edge-aligned pair on the motorcycle geometry: the answer (guidance helps) is known."""
    from scipy import ndimage

    _, _, grey = uc.load_motorcycle()
    smooth = ndimage.gaussian_filter(grey, 3.0)
    label = np.digitize(smooth, np.quantile(smooth, np.linspace(0, 1, levels + 1)[1:-1]))
    rng = np.random.default_rng(seed)
    depth_of_level = rng.permutation(np.linspace(15.0, 60.0, levels))
    truth = depth_of_level[label]
    guide = label / (levels - 1) + 0.01 * rng.standard_normal(label.shape)
    valid = np.ones(truth.shape, dtype=bool)
    low, low_valid = coupled.downsample_masked(truth, valid, factor)
    bicubic = coupled.upsample_bicubic(low, factor)
    split = (truth.shape[1] // 2 // 8) * 8
    return uc.SRProblem(factor, truth, valid, guide, low, low_valid, bicubic, split)


def run_one(problem, block, patch, *, guided, steps, gain=1.0, atoms=None):
    sub, val = validation_split(problem)
    w, log = uc.train_sr_network(sub, patch=patch, guided=guided, atoms=atoms or block["csr_atoms"],
                                 lam=block["csr_lam"], dict_iter=block["csr_dict_iter"], layers=block["csr_layers"],
                                 steps=steps, batch=block["csr_batch"], lr=block["csr_lr"],
                                 stride=block["csr_train_stride"], seed=block["csr_seed"],
                                 min_contrast=block["csr_min_contrast"], progress=False, guide_gain=gain)
    est = uc.sr_predict(sub, w, patch=patch, stride=block["csr_eval_stride"], min_contrast=block["csr_min_contrast"])
    return coupled.masked_rmse(problem.truth, est, val), log["wall_seconds"]


def main():
    from sparseimg.schema import ParamError
    from sparseimg.workspace.benchmarks import load_benchmark_params

    block = load_block()
    try:
        params, _ = load_benchmark_params("ablate_coupled", ROOT / "params.yaml")
    except ParamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    threadpool_limits(limits=1)  # one BLAS thread: the numbers do not depend on the caller's environment
    t0 = time.perf_counter()
    rows = []

    def add(study, scale, setting, problem, patch, **kw):
        kw.setdefault("steps", params["steps"])
        for guided in (True, False):
            if not guided and kw.get("gain", 1.0) != 1.0:
                continue
            rmse, secs = run_one(problem, block, patch, guided=guided, **kw)
            rows.append({"study": study, "scale": scale, "setting": setting,
                         "network": "guided" if guided else "plain", "rmse_val": rmse, "seconds": secs})
            print(rows[-1], flush=True)

    for factor, patch in zip(block["csr_scales"], block["csr_patch"]):
        problem = uc.sr_problem(factor)
        sub, val = validation_split(problem)
        rows.append({"study": "reference", "scale": factor, "setting": "bicubic", "network": "-",
                     "rmse_val": coupled.masked_rmse(problem.truth, problem.bicubic, val), "seconds": 0.0})
        add("gain", factor, "1", problem, patch)
        for gain in (0.0, 0.5, 2.0, 4.0):
            add("gain", factor, f"{gain:g}", problem, patch, gain=gain)
        for atoms in (64, 128):
            add("atoms", factor, str(atoms), problem, patch, atoms=atoms)
        if factor == block["csr_scales"][0]:
            add("steps", factor, str(block["csr_steps"]), problem, patch, steps=block["csr_steps"])
        syn = synthetic_problem(factor)
        sub, val = validation_split(syn)
        rows.append({"study": "synthetic", "scale": factor, "setting": "bicubic", "network": "-",
                     "rmse_val": coupled.masked_rmse(syn.truth, syn.bicubic, val), "seconds": 0.0})
        add("synthetic", factor, "edge-aligned", syn, patch)

    out = ROOT / "reports" / "tables"
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "unfolding_coupled_ablation.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["study", "scale", "setting", "network", "rmse_val"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows({**r, "rmse_val": f"{r['rmse_val']:.4f}"} for r in rows)
    lines = ["| study | scale | setting | network | RMSE val (px) | guided vs plain |", "|---|---|---|---|---|---|"]
    plain = {(r["study"], r["scale"], r["setting"]): r["rmse_val"] for r in rows if r["network"] == "plain"}
    plain_ref = {(r["scale"]): r["rmse_val"] for r in rows if r["network"] == "plain" and r["study"] == "gain"}
    for r in rows:
        rel = ""
        if r["network"] == "guided":
            p = plain.get((r["study"], r["scale"], r["setting"]), plain_ref.get(r["scale"]))
            rel = f"{100 * (r['rmse_val'] / p - 1):+.1f} %"
        lines.append(f"| {r['study']} | ×{r['scale']} | {r['setting']} | {r['network']} | {r['rmse_val']:.3f} | {rel} |")
    (out / "unfolding_coupled_ablation.md").write_text("\n".join(lines) + "\n")
    metrics = {f"{r['study']}/x{r['scale']}/{r['setting']}/{r['network']}": round(r["rmse_val"], 6) for r in rows}
    runs = {"seconds_total": round(time.perf_counter() - t0, 1),
            "seconds": {f"{r['study']}/x{r['scale']}/{r['setting']}/{r['network']}": round(r["seconds"], 1) for r in rows}}
    (ROOT / "reports" / "runs" / "coupled_ablation.json").write_text(json.dumps(runs, indent=1, sort_keys=True) + "\n")
    (out / "unfolding_coupled_ablation.json").write_text(json.dumps(metrics, indent=1, sort_keys=True) + "\n")
    print("\n".join(lines))
    print(f"total {runs['seconds_total']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

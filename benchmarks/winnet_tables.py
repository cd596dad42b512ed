"""Section 3b's WINNet tables outside the notebook: evaluate the trained models (``models/winnet.npz``,
``models/nenet.npz``, ``models/lifting.npz`` if present) at ``params.yaml``'s ``unfolding`` block, print the
tables and write them as JSON (``--output``). The pipeline's notebook (03b) computes the same tables with
the same library calls and writes them into reports/.

Run: ``python benchmarks/winnet_tables.py [--parts denoise,talk,speed,nenet,pnp] [--output FILE]``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from sparseimg.experiments import unfolding_winnet as uw
from sparseimg.experiments import unfolding_winnet_pnp as uwp
from sparseimg.experiments.tuning import edge_choices
from sparseimg.learn import nenet, winnet
from sparseimg.learn.training import WeightsError, load_weights, model_path
from sparseimg.workspace.runner import load_section_params


def main(argv=None) -> int:
    """Evaluate the trained models (``models/winnet.npz``, ``models/nenet.npz``, ``models/lifting.npz`` if present)
    at ``params.yaml``'s ``unfolding`` block; print the tables and write them as JSON (``--output``).
    The notebook's cells compute the same tables (and write them into reports/) when the pipeline runs it."""
    ap = argparse.ArgumentParser(prog="python benchmarks/winnet_tables.py")
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--output", default=None, help="JSON file for the results")
    ap.add_argument("--parts", default="denoise,talk,speed,nenet,pnp")
    args = ap.parse_args(argv)
    threadpool_limits(limits=1)
    block = load_section_params("unfolding", args.params)
    den = winnet.load(shifts=block["win_shifts"])
    ne_net = nenet.load()
    try:
        lifting = load_weights(model_path("lifting"))[0]
    except WeightsError:
        lifting = None
    models = {"winnet": den, "nenet": ne_net, "lifting": lifting}
    parts = set(args.parts.split(","))
    out = {"n_parameters": den.n_parameters}
    if "denoise" in parts:
        table, _, seconds = uw.denoising_table(models, block)
        out.update(denoising=table, summary=uw.summary(table, block), seconds_per_image=seconds)
        print(json.dumps(out["summary"], indent=1), flush=True)
    if "talk" in parts:
        out["talk_setting"] = uw.talk_setting(models, block)
        print("talk setting", out["talk_setting"], flush=True)
    if "speed" in parts:
        out["speed_512"] = uw.seconds_512(models, block)
        print("speed", out["speed_512"], flush=True)
    if "nenet" in parts:
        err = uw.nenet_table(ne_net, block)
        out["nenet_errors"] = err
        out["nenet_max_abs_error"] = {k: float(max(abs(e) for v in d.values() for e in v)) for k, d in err.items()}
        rows = uw.xstep_table(ne_net, block)
        out["xstep"] = rows
        if rows:
            out["xstep_rms"] = {k: float(np.sqrt(np.mean([(r[k] - r["true"]) ** 2 for r in rows])))
                                for k in ("nenet", "patches")}
        print("nenet", out["nenet_max_abs_error"], out.get("xstep_rms"), flush=True)
    if "pnp" in parts:
        lams, records = uwp.tune_pnp(models, block)
        out["pnp_lams"], out["pnp_tuning"], out["pnp_grid_edges"] = lams, records, edge_choices(records)
        out["pnp"] = res = uwp.pnp_table(models, block, lams)
        print("pnp", json.dumps(res, indent=1), "edges", out["pnp_grid_edges"], flush=True)
    if args.output:
        Path(args.output).write_text(json.dumps(out, indent=1, default=float) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

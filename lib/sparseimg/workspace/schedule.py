"""``python -m sparseimg repro``: the DVC pipeline with two stages running at a time (``make repro``).

``dvc repro`` runs one stage after the other, and most stages keep one of the machine's two cores busy
for most of their time. This runs each stage as its own ``dvc --wait-for-lock repro --single-item
<stage>`` in dependency order, ``jobs`` at a time: DVC releases its repository lock while a stage's
command runs and takes it again to record the result, and its read/write locks keep two stages from
touching the same path, so two stages of disjoint outputs run side by side safely. A stage starts when every stage
whose outputs it reads has finished; among the ready ones, the one heading the longest chain of work still to
come starts first (its own last run record, ``reports/runs/<stage>.json``, plus its longest chain of dependants;
a stage without a record counts :data:`UNKNOWN_SECONDS`), so the fingerprint stage that every section waits for and
the training stage that section 3b waits for go before the benchmarks. The numbers are the same as ``dvc repro``'s (every stage is
deterministic and reads only its declared dependencies); each stage's wall time is longer, since it shares
the machine. Each stage's output goes to ``reports/.logs/<stage>.log``; the terminal gets one line
when a stage starts and one when it ends. The first failure stops new starts; the stages already running
finish, and the command exits with that stage's status after printing the end of its log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

__all__ = ["stage_graph", "order_key", "chain_seconds", "run_pipeline", "UNKNOWN_SECONDS"]

#: The duration assumed for a stage without a run record.
UNKNOWN_SECONDS = 10.0


def _paths(entries) -> list[str]:
    return [next(iter(e)) if isinstance(e, dict) else e for e in entries or []]


def _overlaps(a: str, b: str) -> bool:
    a, b = a.rstrip("/"), b.rstrip("/")
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def stage_graph(dvc_yaml="dvc.yaml") -> dict[str, set[str]]:
    """``{stage: {stages whose outputs (outs or metrics) it depends on}}``, in ``dvc.yaml``'s order."""
    stages = yaml.safe_load(Path(dvc_yaml).read_text())["stages"]
    produced = {name: _paths(s.get("outs")) + _paths(s.get("metrics")) for name, s in stages.items()}
    graph = {}
    for name, s in stages.items():
        deps = _paths(s.get("deps"))
        graph[name] = {other for other, outs in produced.items() if other != name
                       and any(_overlaps(d, o) for d in deps for o in outs)}
    return graph


def order_key(stage: str, runs_dir="reports/runs") -> float:
    """Minus the stage's last recorded duration (0.0 without a readable record)."""
    try:
        return -float(json.loads((Path(runs_dir) / f"{stage}.json").read_text())["duration_s"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


def chain_seconds(graph: dict, runs_dir="reports/runs") -> dict:
    """``{stage: its duration + the longest chain of its dependants' durations}`` (the critical path from it)."""
    own = {s: -order_key(s, runs_dir) or UNKNOWN_SECONDS for s in graph}
    below = {s: [t for t, up in graph.items() if s in up] for s in graph}
    memo: dict = {}

    def chain(s):
        if s not in memo:
            memo[s] = own[s] + max((chain(t) for t in below[s]), default=0.0)
        return memo[s]
    return {s: chain(s) for s in graph}


def _say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def run_pipeline(jobs: int = 2, *, root=".", dvc: str = "dvc", poll: float = 0.5) -> int:
    """Run every stage of ``root/dvc.yaml`` that DVC finds changed, ``jobs`` at a time; returns an exit status."""
    if jobs < 1:
        raise ValueError(f"jobs={jobs!r} is not allowed: expected at least 1")
    root = Path(root)
    graph = stage_graph(root / "dvc.yaml")
    logs = root / "reports" / ".logs"
    logs.mkdir(parents=True, exist_ok=True)
    priority = chain_seconds(graph, root / "reports" / "runs")
    pending, done, running, failed = dict(graph), set(), {}, None
    t_all = time.perf_counter()
    while pending or running:
        if failed is None:
            ready = sorted((s for s, up in pending.items() if up <= done), key=lambda s: -priority[s])
            for stage in ready[: jobs - len(running)]:
                del pending[stage]
                log = open(logs / f"{stage}.log", "w")
                proc = subprocess.Popen([dvc, "--wait-for-lock", "repro", "--single-item", stage], cwd=root,
                                        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "TQDM_DISABLE": "1"})
                running[stage] = (proc, log, time.perf_counter())
                _say(f"start {stage}" + (f" (beside {', '.join(s for s in running if s != stage)})"
                                         if len(running) > 1 else ""))
        elif not running:
            break
        time.sleep(poll)
        for stage, (proc, log, t0) in list(running.items()):
            if proc.poll() is None:
                continue
            log.close()
            del running[stage]
            text = (logs / f"{stage}.log").read_text(errors="replace")
            if proc.returncode:
                failed = failed or (stage, proc.returncode)
                _say(f"FAILED {stage} (exit {proc.returncode}); the end of reports/.logs/{stage}.log:")
                print("\n".join(text.splitlines()[-15:]), file=sys.stderr, flush=True)
            else:
                done.add(stage)
                ran = "didn't change" not in text
                _say(f"done {stage} ({time.perf_counter() - t0:.0f} s)" if ran else f"{stage}: up to date")
    if failed:
        _say(f"stopped: {failed[0]} failed; {len(pending)} stage(s) not started")
        return failed[1]
    _say(f"pipeline done in {time.perf_counter() - t_all:.0f} s ({jobs} at a time)")
    return 0

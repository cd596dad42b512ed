"""Where and from what a report was built: git commit, lock file hash, machine.

Every function degrades to ``"unknown"`` (or ``None``) instead of failing: the
workspace may be a tarball without git, or run on a machine without ``/proc``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

__all__ = ["git_state", "file_sha256", "cpu_model", "cpu_count", "utc_now", "run_record", "recorded_run"]


def _git(root: Path, *args: str) -> str | None:
    try:
        res = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return res.stdout.strip() if res.returncode == 0 else None


#: What the pipeline itself writes while it runs: never counts as a dirty tree.
PIPELINE_OUTPUTS = ("dvc.lock", "reports")


def git_state(root=".") -> tuple[str, bool | None]:
    """``(commit, dirty)``: ``("unknown", None)`` without git or without a commit.

    ``dirty`` is True when tracked files other than the pipeline's own outputs
    (:data:`PIPELINE_OUTPUTS`: ``dvc.lock`` and ``reports/``, which ``dvc repro`` rewrites
    before the report stage runs) differ from the commit; untracked files are ignored.
    """
    root = Path(root)
    commit = _git(root, "rev-parse", "HEAD")
    if not commit:
        return "unknown", None
    status = _git(root, "status", "--porcelain", "--untracked-files=no", "--", ".",
                  *(f":(exclude){path}" for path in PIPELINE_OUTPUTS))
    return commit, (None if status is None else bool(status))


def file_sha256(path) -> str:
    """Hex SHA-256 of a file, or ``"unknown"`` when it cannot be read."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "unknown"


def cpu_model() -> str:
    """CPU model name from ``/proc/cpuinfo``, else :func:`platform.processor`, else ``"unknown"``."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")) and ":" in line:
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def cpu_count() -> int | None:
    """Cores this process may use (affinity-aware where the OS tells)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count()


def utc_now() -> str:
    """Current UTC time, ISO 8601 to the second (``2024-05-01T12:00:00+00:00``)."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def run_record(section: str, started: str, duration_s: float) -> dict:
    """What ``reports/runs/<section>.json`` holds: when, how long, on what."""
    return {"section": section, "date": started, "duration_s": round(float(duration_s), 1),
            "machine": platform.node() or "unknown", "cpu": cpu_model(), "cores": cpu_count(),
            "python": platform.python_version(), "platform": sys.platform}


@contextmanager
def recorded_run(stage: str, output_dir="reports"):
    """Write ``<output_dir>/runs/<stage>.json`` (:func:`run_record`) when the block completes.

    For stages that are not notebooks (the benchmarks), so that the report's stage-timing
    table covers every stage. Nothing is written when the block raises, and the file is
    replaced atomically, so a failed run never leaves a half-written or misleading record.
    """
    started, t0 = utc_now(), time.perf_counter()
    yield
    path = Path(output_dir) / "runs" / f"{stage}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(run_record(stage, started, time.perf_counter() - t0), indent=2) + "\n")
    os.replace(tmp, path)

"""Every process that computes a stage's numbers runs on one BLAS thread, whatever the caller's environment.

OpenBLAS's threaded reductions add in another order than its one-thread ones: a quick training of the coupled,
LISTA or lifting model gave other weights (other md5) with OpenBLAS's default threads than with one, and the
guidance ablation other last digits. `make` exports one thread, a plain `dvc repro` did not; the pipeline now
pins it itself: section kernels by their environment, training and the benchmark scripts by threadpoolctl.
"""

import importlib
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from threadpoolctl import threadpool_info, threadpool_limits

from sparseimg.workspace import train as tr
from sparseimg.workspace.runner import ONE_BLAS_THREAD, kernel_environment
from sparseimg.workspace.sections import SECTIONS

ROOT = Path(__file__).resolve().parents[1]


def test_training_runs_on_one_blas_thread_when_the_caller_allows_more(monkeypatch, tmp_path):
    seen = []

    def fake_train(block, progress=True):
        seen.append({lib["internal_api"]: lib["num_threads"] for lib in threadpool_info()})
        return {"w": np.zeros(3)}, {"seconds": 0.0}

    monkeypatch.setattr(importlib.import_module(tr.MODELS["lifting"][1]), "train", fake_train)
    with threadpool_limits(limits=2):
        if {lib["internal_api"]: lib["num_threads"] for lib in threadpool_info()}.get("openblas") != 2:
            pytest.skip("OpenBLAS does not run two threads here: nothing to pin")
        tr.train_model("lifting", quick=True, models_dir=tmp_path, reports_dir=tmp_path / "reports", progress=False)
    assert seen and set(seen[0].values()) == {1}, seen


def test_every_section_kernel_starts_with_one_blas_thread():
    assert ONE_BLAS_THREAD == {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    for name, sec in SECTIONS.items():
        env = kernel_environment(sec)
        assert {k: env.get(k) for k in ONE_BLAS_THREAD} == ONE_BLAS_THREAD, name


def test_every_benchmark_stage_pins_one_blas_thread():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    scripts = {m.group(1) for st in stages.values() for m in [re.match(r"python (benchmarks/\S+\.py)", st["cmd"])] if m}
    assert len(scripts) >= 6, scripts
    unpinned = [s for s in sorted(scripts) if "threadpool_limits(" not in (ROOT / s).read_text()]
    assert not unpinned, f"benchmark stages whose numbers would follow the caller's BLAS threads: {unpinned}"

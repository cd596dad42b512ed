"""End to end: `dvc repro` on a temporary copy of the workspace with small parameters, then a no-op.

The parameters are the schemas' `quick` values (the one source of quick values; a test checks that each
notebook's `parameters` cell holds the same), with :data:`SMOKE`'s smaller sizes on top: nbval already runs
every notebook at the quick values and compares its outputs, so this test, which is about the pipeline and not
the numbers, runs the same stages and code paths at sizes that cost less. Slow (about three minutes): `slow`.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def quick_params(root: Path) -> dict:
    """params.yaml with every section's block replaced by its schema's quick values, and the
    benchmarks' blocks by theirs (:mod:`sparseimg.workspace.benchmarks`)."""
    from sparseimg.workspace.benchmarks import BENCHMARK_SCHEMAS, benchmark_quick_params
    from sparseimg.workspace.params import COMMON_SCHEMA
    from sparseimg.schema import quick_values
    from sparseimg.workspace.sections import SECTIONS

    params = yaml.safe_load((root / "params.yaml").read_text())
    params["common"] = quick_values(COMMON_SCHEMA, "common")
    for sec in SECTIONS.values():
        params[sec.params_block] = {}
    for sec in SECTIONS.values():  # two sections may share a block (03b and 03c: unfolding)
        params[sec.params_block].update(sec.quick_params())
    for name in BENCHMARK_SCHEMAS:
        params[name] = benchmark_quick_params(name)
    return params


#: The end-to-end test's sizes on top of the quick values (see the module docstring): smaller images, fewer
#: iterations, shorter trainings; validated like any params.yaml (test_params_are_valid_for_every_section_and_benchmark).
SMOKE = {
    "sparse_coding": {"size": 128, "n_iter": 30, "reference_iter": 60, "timing_repeats": 1},
    "large_images": {"size": 128, "tile": 64, "scaling_sizes": [128], "n_iter": 300, "global_iter": 1000},
    "deblurring": {"crop": 32, "cg_iter": 100, "tv_iter": 30, "rl_max_iter": 30},
    "wavelets": {"image_crop": 64, "estimate_crop": 64, "images": ["camera", "moon"], "deblur_iter": 10,
                 "bm3d_stages": "hard", "sigmas": [25.0, 50.0], "hqs_iter": 1},
    "unfolding": {"csr_steps": 30, "csr_dict_iter": 1, "sep_size": 64, "sep_iter": 10,
                  "lift_train_steps": 10, "lift_images": ["camera", "moon"], "lift_headline_crop": 64,
                  "lista_alista_steps": 30, "lista_cp_steps": 20, "lista_steps": 20, "lista_test_size": 100,
                  "lista_solver_iters": 100, "win_train_steps": 3, "ne_train_steps": 10},
    "inpainting": {"crop": 64, "adam_iter": 30, "doc_iter": 50},
    "generation": {"ksvd_iter": 3, "em_iter": 3, "n_samples": 30, "trace_chains": 20, "trace_sweeps": 3,
                   "tune_samples": 20, "n_train": 500},
    "ablate_coupled": {"steps": 2},
    "benchmark_wavelets": {"repeats": 1},
    "benchmark_sporco": {"size": 32, "iteration_size": 32, "reference_iter": 500},
    "benchmark_generation": {"n_train": 500, "ksvd_iter": 1},
}


def smoke_params(root: Path) -> dict:
    """:func:`quick_params` with :data:`SMOKE` on top."""
    params = quick_params(root)
    for block, values in SMOKE.items():
        assert set(values) <= set(params[block]), f"{block}: {set(values) - set(params[block])} are not its keys"
        params[block].update(values)
    return params


def _workspace_files(root: Path) -> list[str]:
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=root,
                         check=True, capture_output=True, text=True).stdout
    return [p for p in out.split("\0") if p and (root / p).is_file()]


def _run(cmd, cwd, env):
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    assert res.returncode == 0, f"{' '.join(cmd)} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res.stdout + res.stderr


@pytest.mark.slow
@pytest.mark.parametrize("params", [quick_params, smoke_params], ids=["quick", "smoke"])
def test_params_are_valid_for_every_section_and_benchmark(params, tmp_path):
    from sparseimg.workspace.benchmarks import BENCHMARK_SCHEMAS, load_benchmark_params
    from sparseimg.workspace.runner import load_section_params
    from sparseimg.workspace.sections import SECTIONS

    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params(ROOT)))
    for name in SECTIONS:
        load_section_params(name, tmp_path / "params.yaml", root=ROOT)
    for name in BENCHMARK_SCHEMAS:
        load_benchmark_params(name, tmp_path / "params.yaml")


@pytest.mark.slow
def test_dvc_repro_then_noop(tmp_path):
    work = tmp_path / "ws"
    for rel in _workspace_files(ROOT):
        dst = work / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dst)
    (work / "params.yaml").write_text(yaml.safe_dump(smoke_params(ROOT), sort_keys=False))
    (work / "dvc.lock").unlink(missing_ok=True)  # the committed lock records the full parameters
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1"}
    _run(["git", "init", "-q"], work, env)
    dvc = str(BIN / "dvc")
    first = _run([dvc, "repro"], work, env)
    assert "Running stage 'report'" in first
    page = (work / "reports" / "index.html").read_text()
    assert page.count("data:image/png;base64,") >= 5 and "Not run yet" not in page
    for name in ("sparse_coding", "deblurring", "inpainting"):
        assert (work / "reports" / "metrics" / f"{name}.json").exists()
        assert (work / "reports" / "metrics" / f"{name}_headline.json").exists()
        assert (work / "reports" / "runs" / f"{name}.json").exists()
    second = _run([dvc, "repro"], work, env)
    assert "Running stage" not in second, second
    # re-executing a notebook (new outputs and metadata, same code) invalidates no section stage
    nb = work / "notebooks" / "01_sparse_coding.ipynb"
    nb.write_text(nb.read_text().replace('"execution_count": 1,', '"execution_count": 99,', 1))
    third = _run([dvc, "repro"], work, env)
    assert "Running stage 'sparse_coding'" not in third, third

"""dvc.yaml declares what each section really depends on, and the stored notebooks are sound."""

import json
from pathlib import Path

import pytest
import yaml

from sparseimg.workspace.deps import check_deps, expected_deps
from sparseimg.workspace.runner import strip_notebook
from sparseimg.workspace.sections import SECTIONS

ROOT = Path(__file__).resolve().parents[1]
DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text())


def test_dvc_yaml_deps_are_exactly_the_import_closure(capsys):
    """`python -m sparseimg deps --check`: every section, benchmark and report stage lists exactly
    its non-library deps and the library modules its code imports (no more, no fewer)."""
    from sparseimg.workspace.cli import main

    code = main(["deps", "--check", "--root", str(ROOT)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert check_deps(ROOT) is None


def test_every_section_and_benchmark_stage_is_managed():
    managed = expected_deps(ROOT)
    assert set(SECTIONS) <= set(managed) and "report" in managed
    benchmarks = {n for n, st in DVC["stages"].items() if str(st.get("cmd", "")).startswith("python benchmarks/")}
    assert benchmarks and benchmarks <= set(managed)


@pytest.mark.parametrize("name", list(SECTIONS))
def test_section_stage_declares_its_code_params_and_outputs(name):
    stage = DVC["stages"][name]
    stem = Path(SECTIONS[name].notebook).stem
    assert stage["deps"][0] == f"build/code/{stem}.json"
    assert "lib/sparseimg/workspace/runner.py" in stage["deps"]
    assert f"lib/sparseimg/workspace/sections/{name}.py" in stage["deps"]
    code = DVC["stages"]["code"]
    assert f"notebooks/{stem}.ipynb" in code["deps"] and f"notebooks/{stem}.ipynb" in code["cmd"].split()
    assert {f"build/code/{stem}.json": {"cache": False}} in code["outs"]
    assert set(stage["params"]) == {"common", SECTIONS[name].params_block}
    metrics = [next(iter(m)) if isinstance(m, dict) else m for m in stage["metrics"]]
    assert metrics == [f"reports/headline/{name}"]  # DVC's metrics: the headline numbers, one file each
    outs = {next(iter(o)): o[next(iter(o))] for o in stage["outs"] if isinstance(o, dict)}
    for record in (f"reports/metrics/{name}.json", f"reports/metrics/{name}_headline.json", f"reports/runs/{name}.json"):
        assert outs.get(record) == {"cache": False}, record  # in git, as the metrics
    report_deps = DVC["stages"]["report"]["deps"]
    assert f"reports/runs/{name}.json" in report_deps and f"reports/metrics/{name}_headline.json" in report_deps


@pytest.mark.parametrize("name", list(SECTIONS))
def test_stored_notebook_is_executed_clean_and_parameterized(name):
    nb = json.loads((ROOT / SECTIONS[name].notebook).read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "parameters" in code[0]["metadata"].get("tags", [])
    assert all(c.get("outputs") is not None for c in code)
    assert any(c["outputs"] for c in code), "stored without outputs: nbval has no baseline"
    for c in code:
        for out in c["outputs"]:
            assert out["output_type"] != "error", "".join(c["source"])[:80]
            assert not (out["output_type"] == "stream" and out["name"] == "stderr"), "".join(out["text"])[:200]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "executed out of order or partially"


def test_parameters_cell_keys_match_the_schema():
    import papermill as pm
    for name, sec in SECTIONS.items():
        keys = set(pm.inspect_notebook(str(ROOT / sec.notebook)))
        assert keys == set(sec.full_schema) | {"output_dir", "notebook"}, name


def test_strip_keeps_code_and_tags_only():
    name = next(iter(SECTIONS))
    nb = strip_notebook(ROOT / SECTIONS[name].notebook)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert "parameters" in nb.cells[1].metadata["tags"] or "parameters" in nb.cells[0].metadata.get("tags", [])

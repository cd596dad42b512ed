"""dvc.yaml declares what each section really depends on, and the stored notebooks are sound."""

import ast
import json
from pathlib import Path

import pytest
import yaml

from sparseimg.runner import notebook_code, strip_notebook
from sparseimg.sections import SECTIONS

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib"
DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text())


def _module_file(module: str) -> Path:
    base = LIB / Path(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _imports(source: str, package: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("sparseimg")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base.startswith("sparseimg"):
                found.add(base)
                for alias in node.names:  # `from sparseimg import csc` imports a module
                    if _module_file(f"{base}.{alias.name}").exists():
                        found.add(f"{base}.{alias.name}")
    return found


def _closure(modules: set[str]) -> set[Path]:
    seen, todo = set(), list(modules)
    while todo:
        mod = todo.pop()
        path = _module_file(mod)
        if path in seen or not path.exists():
            continue
        seen.add(path)
        parents = mod.split(".")
        for i in range(1, len(parents)):  # importing a.b.c runs a/__init__ and a/b/__init__
            todo.append(".".join(parents[:i]))
        pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        todo.extend(_imports(path.read_text(), pkg))
    return seen


@pytest.mark.parametrize("name", list(SECTIONS))
def test_section_stage_declares_every_module_it_runs(name):
    stage = DVC["stages"][name]
    deps = [ROOT / d for d in stage["deps"]]
    code = "\n".join(c["source"] for c in notebook_code(ROOT / SECTIONS[name].notebook) if c["cell_type"] == "code")
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
    needed = _closure(_imports(code, "sparseimg") | {"sparseimg.runner", f"sparseimg.sections.{name}"})
    missing = [str(p.relative_to(ROOT)) for p in needed
               if not any(p == d or d in p.parents for d in deps)]
    assert not missing, f"stage {name} does not declare: {missing}"
    stem = Path(SECTIONS[name].notebook).stem
    assert f"build/code/{stem}.json" in stage["deps"]
    assert stem in DVC["stages"]["code"]["foreach"]
    assert set(stage["params"]) == {"common", name}


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

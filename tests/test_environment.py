"""The pinned environment: the lock, environment.yml and the project metadata agree."""

import re
import sys
from importlib import metadata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[_norm(name)] = version
    return pins


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_lock_pins_exact_versions_only():
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[A-Za-z0-9_.+\-]+", line), line


def test_environment_yml_agrees_with_the_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    lock = _lock()
    named = []
    for dep in env["dependencies"]:
        entries = dep["pip"] if isinstance(dep, dict) else [dep]
        for entry in entries:
            if entry.startswith(("python=", "pip")) and "==" not in entry and not entry.startswith("pip="):
                continue
            m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*=?=\s*([A-Za-z0-9_.+\-]+)", entry)
            if m is None or m.group(1) in ("python", "pip"):
                continue
            named.append((_norm(m.group(1)), m.group(2)))
    assert len(named) >= 10
    for name, version in named:
        assert name in lock, f"environment.yml names {name}, which the lock does not pin"
        assert lock[name] == version, f"{name}: environment.yml {version} != lock {lock[name]}"


def test_running_environment_matches_the_lock():
    lock = _lock()
    assert sys.version_info[:2] == (3, 11)
    for name in ("numpy", "scipy", "matplotlib", "motionclouds", "autograd", "dvc", "nbval", "papermill",
                 "jupyterlab", "scikit-image"):
        assert metadata.version(name) == lock[name], name


def test_design_card_layout_exists():
    for path in ("notebooks", "lib", "data", "dvc.yaml", "params.yaml", "environment.yml", "reports", "tests",
                 "README.md", "pyproject.toml", "requirements.lock", "Makefile", ".ci/run"):
        assert (ROOT / path).exists(), path


def test_dvc_is_quiet_and_offline():
    config = (ROOT / ".dvc" / "config").read_text()
    assert re.search(r"analytics\s*=\s*false", config) and re.search(r"check_update\s*=\s*false", config)
    assert "dvc_plots" in (ROOT / ".gitignore").read_text()


def _declared() -> set[str]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    return {_norm(re.split(r"[<>=!~ ;\[]", d, maxsplit=1)[0]) for d in names}


#: import name -> distribution name, where they differ
_DISTRIBUTIONS = {"skimage": "scikit-image", "sklearn": "scikit-learn", "yaml": "pyyaml", "PIL": "pillow", "pyfftw": "pyfftw", "pywt": "pywavelets",
                  "MotionClouds": "motionclouds", "sporco": "sporco"}


def _imported_third_party() -> set[str]:
    import ast
    import json

    sources = [p.read_text() for d in ("lib", "benchmarks") for p in (ROOT / d).rglob("*.py")]
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(nb.read_text())["cells"]
        sources += ["\n".join(line for line in "".join(c["source"]).splitlines() if not line.lstrip().startswith(("%", "!")))
                    for c in cells if c["cell_type"] == "code"]
    names = set()
    for src in sources:
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names.add(node.module.split(".")[0])
    third = {n for n in names if n not in sys.stdlib_module_names and n != "sparseimg"}
    return {_norm(_DISTRIBUTIONS.get(n, n)) for n in third}


def test_project_declares_exactly_what_it_imports():
    declared = _declared()
    imported = _imported_third_party()
    tools = {_norm(n) for n in ("pytest", "pytest-xdist", "nbval", "dvc", "jupyterlab", "ipykernel", "nbformat",
                                "papermill", "sporco")}
    assert imported <= declared, f"imported but not declared: {sorted(imported - declared)}"
    assert declared - imported <= tools, f"declared but never imported: {sorted(declared - imported - tools)}"
    lock = _lock()
    assert declared <= set(lock), f"declared but not pinned: {sorted(declared - set(lock))}"


def test_the_lock_leaves_out_the_grammar_compiled_at_import():
    """rfc3987-syntax, an optional extra of jsonschema, builds an Earley parser when imported: 0.83 s in every process
    that imports nbformat (`python -m sparseimg` blocks it itself; pytest with nbval and the lab server did not). The
    lock leaves it and lark out (pip check does not check extras), `make lock` filters them, and nbformat and
    papermill import without them."""
    import subprocess

    lock = _lock()
    assert "rfc3987-syntax" not in lock and "lark" not in lock
    assert "lark|rfc3987-syntax" in (ROOT / "Makefile").read_text()
    code = "import sys, nbformat, papermill; sys.exit('rfc3987_syntax' in sys.modules or 'lark' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0

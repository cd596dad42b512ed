"""Section 5's bad inputs (issue 23): `python -m sparseimg run generation` exits 2 with one line naming
the parameter, its value and what is allowed, before any staging directory exists or papermill is imported."""

import shutil
import sys
from pathlib import Path

import pytest
import yaml

from sparseimg.workspace.cli import main

ROOT = Path(__file__).resolve().parents[1]

CASES = [
    # (edits, named in the line, what is allowed)
    ({"n_atoms": 16, "sparsity": 20}, ["generation.sparsity=20", "generation.n_atoms=16"], "at most 16"),
    ({"big_atoms": 8, "big_sparsity": 10}, ["generation.big_sparsity=10", "generation.big_atoms=8"], "at most 8"),
    ({"temperature_grid": [0.0, 1.0]}, ["generation.temperature_grid"], "0 <"),
    ({"neighbour_temperature_grid": [-1.0, 1.0]}, ["generation.neighbour_temperature_grid"], "0 <"),
    ({"seq_temperature_grid": [0.5]}, ["generation.seq_temperature_grid"], "2"),
    ({"gmm_components_grid": [0, 4]}, ["generation.gmm_components_grid"], "1 <="),
    ({"neighbour_swaps": 0}, ["generation.neighbour_swaps=0"], "1 <= neighbour_swaps"),
    ({"neighbour_swaps": 6}, ["generation.neighbour_swaps=6", "generation.sparsity=5"], "at most"),
    ({"clean_coherence": 1.5}, ["generation.clean_coherence=1.5"], "<= 1"),
]


@pytest.fixture
def workspace(tmp_path):
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    (tmp_path / "reports").mkdir()
    return tmp_path


@pytest.mark.parametrize("edits, keys, allowed", CASES, ids=lambda v: str(v) if isinstance(v, dict) else None)
def test_bad_input_fails_fast_with_one_line(workspace, monkeypatch, capsys, edits, keys, allowed):
    params = yaml.safe_load((workspace / "params.yaml").read_text())
    params["generation"].update(edits)
    (workspace / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.chdir(workspace)
    monkeypatch.setitem(sys.modules, "papermill", None)  # importing papermill now raises ImportError
    code = main(["run", "generation"])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "is not allowed: expected" in lines[0]
    for key in keys:
        assert key in lines[0], lines[0]
    assert allowed in lines[0], lines[0]
    assert not (workspace / "reports" / ".staging").exists()  # nothing started

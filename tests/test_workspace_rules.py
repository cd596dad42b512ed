"""Cross-field rules of the section schemas: `python -m sparseimg run <section>` exits 2 with one
line naming both parameters, before any staging directory exists or papermill is even imported."""

import shutil
import sys
from pathlib import Path

import pytest
import yaml

from sparseimg.workspace.cli import main

ROOT = Path(__file__).resolve().parents[1]

CASES = [
    # (section, edits, both keys named, what is allowed)
    ("deblurring", {"tuning_image": "astronaut", "image": "astronaut"},
     ["deblurring.tuning_image='astronaut'", "deblurring.image='astronaut'"], "an image other than"),
    ("inpainting", {"doc_proportion": 0.2},
     ["inpainting.doc_proportion=0.2", "inpainting.proportions=[0.1, 0.4, 0.8]"], "one of"),
    ("inpainting", {"threshold_start": 0.01, "threshold_end": 0.05},
     ["inpainting.threshold_end=0.05", "inpainting.threshold_start=0.01"], "at most"),
    ("inpainting", {"dct_block": 16, "dct_stride": 6},
     ["inpainting.dct_stride=6", "inpainting.dct_block=16"], "a divisor of"),
    ("inpainting", {"threshold_block": 8, "threshold_stride": 3},
     ["inpainting.threshold_stride=3", "inpainting.threshold_block=8"], "a divisor of"),
    ("wavelets", {"tuning_image": "camera"},
     ["wavelets.tuning_image='camera'", "wavelets.image='camera'"], "an image other than"),
    ("generation", {"n_atoms": 16, "sparsity": 20},
     ["generation.sparsity=20", "generation.n_atoms=16"], "at most 16"),
    ("generation", {"face_train": 20, "face_atoms": 64},
     ["generation.face_atoms=64", "2 × generation.face_train"], "at most 40"),
    ("sparse_coding", {"deconv_low_cut": 0.45, "deconv_high_cut": 0.45},
     ["sparse_coding.deconv_low_cut=0.45", "sparse_coding.deconv_high_cut=0.45"], "less than"),
]


@pytest.fixture
def workspace(tmp_path):
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    (tmp_path / "reports").mkdir()
    return tmp_path


@pytest.mark.parametrize("section, edits, keys, allowed", CASES, ids=lambda v: v if isinstance(v, str) else None)
def test_rule_fails_fast_with_one_line(workspace, monkeypatch, capsys, section, edits, keys, allowed):
    params = yaml.safe_load((workspace / "params.yaml").read_text())
    params[section].update(edits)
    (workspace / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.chdir(workspace)
    monkeypatch.setitem(sys.modules, "papermill", None)  # importing papermill now raises ImportError
    code = main(["run", section])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: params.yaml: ") and "is not allowed: expected" in lines[0]
    for key in keys:
        assert key in lines[0], lines[0]
    assert allowed in lines[0]
    assert not (workspace / "reports" / ".staging").exists()  # nothing started


@pytest.mark.parametrize("section", ["sparse_coding", "deblurring", "wavelets", "inpainting", "generation"])
def test_committed_and_quick_blocks_pass_the_rules(section):
    from sparseimg.workspace.params import read_params_file
    from sparseimg.workspace.sections import SECTIONS

    sec = SECTIONS[section]
    assert sec.rules, f"{section} declares no RULES"
    sec.check_rules(read_params_file(ROOT / "params.yaml")[section])
    sec.check_rules(sec.quick_params())

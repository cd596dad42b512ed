"""`dvc metrics show` fits a terminal: the headline numbers only, one per row.

What DVC calls metrics is ``reports/headline/<section>/<key>.json`` (``{"value": number}``, written by the
runner from the section's ``HEADLINE``); the full per-section records ``reports/metrics/<section>.json``
are plain outputs in git (``dvc metrics show reports/metrics/<section>.json`` still reads one).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sparseimg.workspace.sections import SECTIONS

ROOT = Path(__file__).resolve().parents[1]


def test_committed_headline_files_match_the_declarations():
    for name, sec in SECTIONS.items():
        files = sorted(p.stem for p in (ROOT / "reports" / "headline" / name).glob("*.json"))
        assert files == sorted(sec.headline), name
        record = json.loads((ROOT / "reports" / "metrics" / f"{name}_headline.json").read_text())["headline"]
        for key, value in record.items():
            assert json.loads((ROOT / "reports" / "headline" / name / f"{key}.json").read_text()) == {"value": value}


def test_dvc_metrics_show_is_one_headline_number_per_row_within_200_columns():
    dvc = Path(sys.executable).parent / "dvc"
    if not dvc.exists() or not (ROOT / ".dvc").is_dir():
        pytest.skip("dvc or the .dvc folder missing")
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    out = subprocess.run([str(dvc), "metrics", "show"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300, check=True).stdout
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines[0].split() == ["Path", "value"]
    rows = lines[1:]
    assert len(rows) == sum(len(sec.headline) for sec in SECTIONS.values())
    assert all(row.startswith("reports/headline/") for row in rows)
    assert max(len(line) for line in lines) <= 200


def test_runner_writes_one_file_per_headline_number_and_drops_stale_ones(tmp_path):
    from sparseimg.workspace.runner import write_headline

    (tmp_path / "metrics").mkdir()
    shutil.copy(ROOT / "reports" / "metrics" / "deblurring.json", tmp_path / "metrics")
    stale = tmp_path / "headline" / "deblurring" / "renamed_key.json"
    stale.parent.mkdir(parents=True)
    stale.write_text('{"value": 1}\n')
    write_headline(tmp_path, "deblurring")
    written = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "headline" / "deblurring").glob("*.json")}
    record = json.loads((tmp_path / "metrics" / "deblurring_headline.json").read_text())["headline"]
    assert written == {k: {"value": v} for k, v in record.items()} and set(record) == set(SECTIONS["deblurring"].headline)

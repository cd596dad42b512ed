"""Tuning as data: no tuned value recorded in the committed metrics sits on an edge of its grid.

Every tuned value that a section chooses with :func:`sparseimg.experiments.tuning.sweep_to_interior` (directly
or through ``tune_on_reference`` / ``tune_each``) stores its record (grid, scores, choice, edge, reason) in the
section's ``reports/metrics/<section>.json``. An edge is allowed only when it is a hard bound of the parameter
(``reason == "bound"``); a choice stopped by the extension budget means the grid is wrong.
"""

import json
from pathlib import Path

import pytest

from sparseimg.experiments.tuning import tuning_records

ROOT = Path(__file__).resolve().parents[1]
METRICS = sorted(p for p in (ROOT / "reports" / "metrics").glob("*.json") if not p.stem.endswith("_headline"))


def test_the_finder_sees_nested_records_and_nothing_else():
    rec = {"grid": [1.0, 2.0, 4.0], "scores": [1.0, 3.0, 2.0], "value": 2.0, "edge": "", "reason": ""}
    tree = {"a": {"b": [rec, {"grid": [1, 2]}], "c": rec}, "d": {"value": 1.0}}
    assert [path for path, _ in tuning_records(tree)] == ["a/b/0", "a/c"]


@pytest.mark.parametrize("path", METRICS, ids=[p.stem for p in METRICS])
def test_no_committed_tuned_value_on_a_grid_edge(path):
    records = tuning_records(json.loads(path.read_text()))
    bad = [(where, r["value"], r["edge"], r["reason"]) for where, r in records if r["edge"] and r["reason"] != "bound"]
    assert not bad, f"{path.name}: tuned values on a grid edge (grow or move the grid): {bad}"
    for where, r in records:  # a record is what it says: the choice is the best score of its grid
        assert r["value"] in r["grid"] and len(r["scores"]) == len(r["grid"]), where
        assert r["scores"][r["grid"].index(r["value"])] == max(r["scores"]), where

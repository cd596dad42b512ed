"""Tuning as data: no tuned value recorded in the committed metrics sits on an edge of its grid.

Every tuned value that a section chooses with :func:`sparseimg.experiments.tuning.sweep_to_interior` (directly
or through ``tune_on_reference`` / ``tune_each``) stores its record (grid, scores, choice, edge, reason) in the
section's ``reports/metrics/<section>.json``. An edge is allowed only when it is a hard bound of the parameter
(``reason == "bound"``); a choice stopped by the extension budget means the grid is wrong. A limit the caller
declared a compute cap (``reason == "cap"``: an iteration or rank budget, a solver's reach) is no bound: each such
choice is a known miss of issue 21, listed in ``KNOWN_CAPS`` with what lies beyond it (README, "Tuning as data"),
and the list must equal what the metrics hold, so a new cap or a lifted one fails until the list is updated.
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


#: ``{metrics file: {record path: why the grid stops there}}``: the compute caps choices still sit on (known misses).
KNOWN_CAPS = {
    "deblurring.json": {
        "tuning/noiseless/richardson_lucy_normalized": "rl_max_iter = 3,200: noiseless RL gains with every iteration",
        "tuning/noiseless/sqrt_loss_tuned": "mu_min = 0.0025: below it L-BFGS-B stops short of the minimizer",
    },
    "inpainting.json": {
        "tuning/missing_10pct/als_rank": "als_max_rank = 80: rank 160 lowers the held-out RMSE further",
        "tuning/missing_40pct/als_rank": "als_max_rank = 80",
    },
}


@pytest.mark.parametrize("path", METRICS, ids=[p.stem for p in METRICS])
def test_no_committed_tuned_value_on_a_grid_edge(path):
    records = tuning_records(json.loads(path.read_text()))
    bad = [(where, r["value"], r["edge"], r["reason"]) for where, r in records
           if r["edge"] and r["reason"] not in ("bound", "cap")]
    assert not bad, f"{path.name}: tuned values on a grid edge (grow or move the grid): {bad}"
    for where, r in records:  # a record is what it says: the choice is the best score of its grid
        assert r["value"] in r["grid"] and len(r["scores"]) == len(r["grid"]), where
        assert r["scores"][r["grid"].index(r["value"])] == max(r["scores"]), where


@pytest.mark.parametrize("path", METRICS, ids=[p.stem for p in METRICS])
def test_compute_caps_are_the_listed_known_misses(path):
    caps = {where for where, r in tuning_records(json.loads(path.read_text())) if r["edge"] and r["reason"] == "cap"}
    assert caps == set(KNOWN_CAPS.get(path.name, {})), f"{path.name}: choices on a compute cap changed (update KNOWN_CAPS " \
        f"and the README's list of misses): {sorted(caps)}"


def test_every_section_metrics_file_is_read():
    from sparseimg.workspace.sections import SECTIONS

    assert {p.stem for p in METRICS} == set(SECTIONS)  # a missing file would silently escape the two tests above


TABLES = sorted(p for p in (ROOT / "reports" / "tables").glob("*.json")
                if tuning_records(json.loads(p.read_text())))


def test_the_ablation_tables_record_their_tuning():
    assert "unfolding_separation_ablation" in {p.stem for p in TABLES}  # β of the exclusion term, tuned per setting


@pytest.mark.parametrize("path", TABLES, ids=[p.stem for p in TABLES])
def test_no_tuned_value_of_a_committed_table_on_a_grid_edge(path):
    records = tuning_records(json.loads(path.read_text()))
    bad = [(where, r["value"], r["edge"], r["reason"]) for where, r in records if r["edge"] and r["reason"] != "bound"]
    assert not bad, f"{path.name}: tuned values on a grid edge (grow or move the grid): {bad}"
    for where, r in records:
        assert r["scores"][r["grid"].index(r["value"])] == max(r["scores"]), where
        if r["edge"]:  # a bound is the grid's hard end: 0, scored, and the best
            assert r["value"] == 0.0 and r["grid"][0] == 0.0, where

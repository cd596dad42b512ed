"""benchmarks/omp_speed.py runs at its quick values and writes both tables (no timing asserts)."""

import csv
import math
from pathlib import Path

import pytest
import yaml

from conftest import loaded_script

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "omp_speed.py"


@pytest.fixture(scope="module")
def bench():
    with loaded_script(SCRIPT, "bench_omp_speed") as module:
        yield module


def _rows(path):
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        return reader.fieldnames, list(reader)


def test_quick_run_writes_both_tables(bench, tmp_path):
    code = bench.main(["--quick", "--params", str(ROOT / "params.yaml"), "--output-dir", str(tmp_path)])
    assert code == 0
    fields, rows = _rows(tmp_path / "tables" / "generation_omp_speed.csv")
    assert fields == bench.OMP_COLUMNS and [int(r["k"]) for r in rows] == [5, 10]
    for r in rows:
        assert float(r["same_supports"]) == 1.0  # the same supports as sklearn's orthogonal_mp_gram
        assert math.isfinite(float(r["speedup"])) and float(r["speedup"]) > 0
    assert (tmp_path / "tables" / "generation_omp_speed.md").is_file()
    fields, rows = _rows(tmp_path / "tables" / "generation_ksvd.csv")
    assert fields == bench.KSVD_COLUMNS and len(rows) == 6  # quick: no MiniBatchDictionaryLearning
    assert sum(r["method"].endswith("+ cleaning") for r in rows) == 2
    for r in rows:
        assert 0 < float(r["train_rmse"]) < 40 and 0 < float(r["test_rmse"]) < 40


def test_bad_block_exits_2(bench, tmp_path, capsys):
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params[bench.BLOCK]["repeats"] = 0
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    assert bench.main(["--params", str(path), "--output-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "benchmark_generation.repeats=0" in err[0]

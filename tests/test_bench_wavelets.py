"""benchmarks/wavelets_speed.py runs at its quick values and writes a complete table (no timing asserts)."""

import csv
import math
from pathlib import Path

import pytest
import yaml

from conftest import loaded_script

pytest.importorskip("pywt")

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "wavelets_speed.py"


@pytest.fixture(scope="module")
def bench():
    with loaded_script(SCRIPT, "bench_wavelets_speed") as module:
        yield module


@pytest.fixture(scope="module")
def quick_run(bench, tmp_path_factory):
    """One --quick run against the committed params.yaml (its block is validated first)."""
    out = tmp_path_factory.mktemp("wavelets")
    code = bench.main(["--quick", "--params", str(ROOT / "params.yaml"), "--output-dir", str(out)])
    return code, out


def _expected_rows(bench):
    """(side, wavelet, direction, dtype) of every row: ours and PyWavelets' for each configuration."""
    rows = set()
    for dtype in bench.FLOAT_DTYPES:
        for ours, theirs in bench.PAIRS.items():
            for direction in ("forward", "inverse"):
                rows |= {("sparseimg", ours, direction, dtype), ("pywt", theirs, direction, dtype)}
    for direction in ("forward", "inverse"):
        rows |= {("sparseimg", bench.INT53, direction, "uint8"), ("pywt", "bior2.2", direction, "uint8")}
    return rows


def test_quick_run_writes_every_row(bench, quick_run):
    code, out = quick_run
    assert code == 0  # every reconstruction check passed
    csv_path, md_path = out / "tables" / "wavelets_speed.csv", out / "tables" / "wavelets_speed.md"
    assert csv_path.is_file() and md_path.is_file()
    with open(csv_path, newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == bench.COLUMNS
        rows = list(reader)
    keys = [(r["transform"].split(".")[0], r["wavelet"], r["direction"], r["dtype"]) for r in rows]
    assert len(keys) == len(set(keys)) and set(keys) == _expected_rows(bench)
    for r in rows:
        q1, med, q3 = float(r["q1_ms"]), float(r["median_ms"]), float(r["q3_ms"])
        assert all(math.isfinite(v) and v > 0 for v in (q1, med, q3)) and q1 <= med <= q3
        ratio = float(r["ratio_to_pywt"])
        assert math.isfinite(ratio) and ratio > 0
        if r["transform"].startswith("pywt."):
            assert ratio == 1.0
            # PyWavelets keeps float32 (and computes uint8 in float64): the note says which
            expected = {"float64": "float64", "float32": "float32", "uint8": "float64"}[r["dtype"]]
            assert f"returns {expected}" in r["note"]
        else:
            assert "ok" in r["note"] or "exact" in r["note"]
    md = md_path.read_text()
    assert md.startswith("| transform | direction | dtype | wavelet |") and "ratio_to_pywt" in md


def test_verdict_per_dtype(bench):
    made_up = (("sparseimg.dwt2", "cdf97", "forward", 1.2), ("sparseimg.idwt2", "cdf97", "inverse", 1.6),
               ("sparseimg.dwt2", "haar", "forward", 2.0), ("pywt.wavedec2", "bior4.4", "forward", 1.0))
    rows = [{"transform": t, "direction": d, "dtype": dt, "wavelet": w, "ratio_to_pywt": r}
            for dt in bench.FLOAT_DTYPES for t, w, d, r in made_up]
    lines = bench.verdicts(rows, "512x512, 4 levels")
    assert len(lines) == 2 and all("1.6x (inverse)" in line and "does NOT meet" in line for line in lines)
    assert lines[0].startswith("512x512, 4 levels, float64") and "2x (haar forward)" in lines[0]


def test_coarse_band_is_pywavelets_cA(bench):
    import numpy as np
    import pywt
    from sparseimg.operators.lifting import dwt2

    x = np.random.default_rng(3).random((64, 64))  # 2 levels: within pywt.dwt_max_level for bior4.4
    for ours, theirs in bench.PAIRS.items():
        coarse, energy = bench.coarse_and_energy_difference(
            dwt2(x, ours, levels=2), pywt.wavedec2(x, theirs, mode="periodization", level=2), 2)
        assert coarse <= 1e-10 and energy <= 1e-10


@pytest.mark.parametrize("block, needle", [
    ({"size": 8, "levels": 2, "repeats": 3}, "benchmark_wavelets.size=8"),
    ({"size": 64, "levels": 2, "repeats": 3, "dtype": "float16"}, "benchmark_wavelets.dtype"),
    ({"size": 64, "repeats": 3}, "benchmark_wavelets.levels is missing"),
    ({"size": 64, "levels": 7, "repeats": 3}, "expected levels <= 6"),
    (None, "benchmark_wavelets"),
])
def test_bad_params_block_exits_2_with_one_line(bench, tmp_path, capsys, block, needle):
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"common": {"dpi": 100}} | ({"benchmark_wavelets": block} if block else {})))
    out = tmp_path / "out"
    assert bench.main(["--quick", "--params", str(params), "--output-dir", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err
    assert not out.exists()  # nothing ran

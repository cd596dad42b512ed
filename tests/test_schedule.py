"""`python -m sparseimg repro`: stages two at a time in dependency order, the same result as `dvc repro`."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sparseimg.workspace.schedule import UNKNOWN_SECONDS, chain_seconds, order_key, run_pipeline, stage_graph

ROOT = Path(__file__).resolve().parents[1]
DVC = str(Path(sys.executable).with_name("dvc")) if Path(sys.executable).with_name("dvc").is_file() else shutil.which("dvc")


def test_the_graph_of_the_workspace_pipeline():
    graph = stage_graph(ROOT / "dvc.yaml")
    assert set(graph) == set(yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"])
    assert graph["code"] == set() and graph["train_winnet"] == set()
    assert graph["unfolding"] == {"code", "train_lifting", "train_coupled", "wavelets", "wavelet_deblurring"}  # reused
    assert graph["wavelet_deblurring"] == {"code", "wavelets"}  # 03a takes the TV factor 03 tuned
    assert graph["lista"] == {"code", "train_lista"}  # LISTA, its own stage: nothing shared with 3b's other half
    assert graph["winnet"] >= {"unfolding", "train_winnet", "train_nenet", "train_lifting", "code"}
    assert graph["report"] >= {"sparse_coding", "wavelets", "unfolding", "winnet", "generation", "benchmark_sporco"}
    assert "report" not in set().union(*graph.values())  # nothing reads the report


def test_order_key_is_the_last_duration_longest_first(tmp_path):
    (tmp_path / "a.json").write_text('{"duration_s": 12.5}')
    (tmp_path / "b.json").write_text("not json")
    assert order_key("a", tmp_path) == -12.5 and order_key("b", tmp_path) == 0.0 and order_key("c", tmp_path) == 0.0


def test_priority_is_the_longest_chain_still_to_come(tmp_path):
    graph = {"code": set(), "bench": set(), "train": set(), "a": {"code"}, "b": {"code", "train"}, "c": {"b"}}
    for stage, seconds in {"bench": 100, "train": 90, "a": 50, "b": 60, "c": 40}.items():
        (tmp_path / f"{stage}.json").write_text(f'{{"duration_s": {seconds}}}')
    chain = chain_seconds(graph, tmp_path)
    assert chain["c"] == 40 and chain["b"] == 100 and chain["train"] == 190
    assert chain["code"] == UNKNOWN_SECONDS + 100  # no record: counted as UNKNOWN_SECONDS, then its longest chain
    assert chain["train"] > chain["code"] > chain["bench"] - 1  # the training stage before the benchmark


PIPELINE = {"stages": {
    "first": {"cmd": "python -c \"import time; time.sleep(1); open('a.txt', 'w').write('a')\"", "outs": ["a.txt"]},
    "side": {"cmd": "python -c \"open('s.txt', 'w').write('s')\"", "outs": ["s.txt"]},
    "second": {"cmd": "python -c \"open('b.txt', 'w').write(open('a.txt').read() + 'b')\"", "deps": ["a.txt"],
               "outs": ["b.txt"]},
    "broken": {"cmd": "python -c \"import sys; sys.exit(3)\"", "deps": ["b.txt"], "outs": ["c.txt"]},
}}


@pytest.fixture
def repo(tmp_path):
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    subprocess.run([DVC, "init", "--no-scm", "-q"], cwd=tmp_path, check=True, env=env)
    return tmp_path


def test_runs_in_dependency_order_and_a_second_run_does_nothing(repo, capsys):
    stages = {k: v for k, v in PIPELINE["stages"].items() if k != "broken"}
    (repo / "dvc.yaml").write_text(yaml.safe_dump({"stages": stages}))
    assert run_pipeline(2, root=repo, dvc=DVC, poll=0.05) == 0
    assert (repo / "b.txt").read_text() == "ab" and (repo / "s.txt").read_text() == "s"
    out = capsys.readouterr().out
    assert out.index("start first") < out.index("done first") < out.index("start second")
    status = subprocess.run([DVC, "status"], cwd=repo, capture_output=True, text=True, check=True).stdout
    assert "up to date" in status
    assert run_pipeline(2, root=repo, dvc=DVC, poll=0.05) == 0
    assert "second: up to date" in capsys.readouterr().out


def test_a_failing_stage_stops_the_run_with_its_status_and_log(repo, capsys):
    (repo / "dvc.yaml").write_text(yaml.safe_dump(PIPELINE))
    assert run_pipeline(2, root=repo, dvc=DVC, poll=0.05) != 0  # DVC's own status for a failed command
    captured = capsys.readouterr()
    assert "FAILED broken" in captured.out and "stopped: broken failed" in captured.out
    assert (repo / "b.txt").read_text() == "ab"  # the stages before it kept their outputs
    assert (repo / "reports" / ".logs" / "broken.log").is_file()


def test_jobs_below_one_is_refused():
    with pytest.raises(ValueError, match="jobs=0 is not allowed"):
        run_pipeline(0)

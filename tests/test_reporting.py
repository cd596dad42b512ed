import csv
import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from sparseimg.workspace.report import build_report  # noqa: E402
from sparseimg.workspace.reporting import Reporter, markdown_table, method_colors  # noqa: E402
from sparseimg.timing import format_duration, measure, measure_interleaved, summarize  # noqa: E402

SANITIZE = Path(__file__).with_name("sanitize.cfg").read_text()


def _regexes():
    return [re.compile(m) for m in re.findall(r"^regex: (.*)$", SANITIZE, flags=re.M)]


def test_reporter_writes_every_kind_of_file(tmp_path):
    rep = Reporter("demo", tmp_path, notebook="notebooks/99_demo.ipynb", params={"a": 1, "b": np.float64(0.5)})
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    rep.save_figure(fig, "line", "A line.")
    plt.close(fig)
    rep.write_metrics({"psnr": np.float64(31.5), "bad": float("nan"), "n": np.int64(3)})
    md = rep.write_table("scores", [{"method": "x", "psnr": 31.456}], formats={"psnr": ".2f"})
    rep.write_plot("curve", {"it": [0, 1], "obj": [2.0, 1.0]})
    assert "| x | 31.46 |" in md
    assert json.loads((tmp_path / "metrics/demo.json").read_text()) == {"bad": None, "n": 3, "psnr": 31.5}
    manifest = json.loads((tmp_path / "figures/demo/manifest.json").read_text())
    assert manifest["line"]["params"] == {"a": 1, "b": 0.5} and manifest["line"]["notebook"].endswith("99_demo.ipynb")
    with open(tmp_path / "tables/demo_scores.csv") as fh:
        assert list(csv.DictReader(fh)) == [{"method": "x", "psnr": "31.456"}]
    assert (tmp_path / "plots/demo_curve.csv").read_text() == "it,obj\n0,2.0\n1,1.0\n"


def test_saved_figures_are_byte_identical(tmp_path):
    paths = []
    for i in range(2):
        rep = Reporter("demo", tmp_path / str(i))
        fig, ax = plt.subplots()
        ax.imshow(np.arange(16.0).reshape(4, 4))
        paths.append(rep.save_figure(fig, "im", "x"))
        plt.close(fig)
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_in_a_kernel_the_saved_png_is_the_figure_output_and_the_figure_is_closed(tmp_path, monkeypatch):
    """One drawing per figure: the inline backend would draw it again at plt.show(). The output keeps the
    inline backend's two parts: the PNG (here the saved file's bytes) and the figure's text."""
    import base64

    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: type("Shell", (), {"kernel": object()})())
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append((obj, raw)))
    fig, axes = plt.subplots(1, 2, figsize=(4, 2))
    path = Reporter("demo", tmp_path).save_figure(fig, "two", "Two panels.")
    assert len(shown) == 1 and shown[0][1] is True
    data = shown[0][0]
    assert data["text/plain"] == "<Figure size 400x200 with 2 Axes>"
    assert base64.b64decode(data["image/png"]) == path.read_bytes()
    assert not plt.fignum_exists(fig.number)  # nothing left for plt.show() to draw
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)  # a script: no output, the figure stays open
    fig = plt.figure()
    Reporter("demo", tmp_path).save_figure(fig, "one", "x")
    assert len(shown) == 1 and plt.fignum_exists(fig.number)
    plt.close(fig)


def test_plot_columns_must_have_equal_lengths(tmp_path):
    with pytest.raises(ValueError, match="unequal"):
        Reporter("demo", tmp_path).write_plot("c", {"a": [1], "b": [1, 2]})


def test_markdown_table_formats():
    assert markdown_table([{"a": 1.23456, "b": "x"}]).splitlines() == ["| a | b |", "|---|---|", "| 1.235 | x |"]


def test_interactive_reporter_uses_a_temporary_directory():
    rep = Reporter("demo", None)
    assert rep.root.exists() and "demo-" in rep.root.name


def test_formatted_durations_are_masked_by_the_sanitizer():
    """nbval's sanitize file must catch every timing the notebooks print, and nothing else we print."""
    regexes = _regexes()
    for seconds in (3.2e-6, 4.5e-4, 0.0123, 1.5, 42.0):
        text = format_duration(seconds)
        assert any(r.fullmatch(text) for r in regexes), text
    assert any(r.fullmatch("1.23x") for r in regexes)
    for untouched in ("mean, std= -0.008859802575012121 2.2900579569626447", "threshold= 11.432255842859089",
                      "| noisy | FISTA | 80 | 6.250e-03 | 60.90 |", "x.shape= (512, 512)"):
        assert all(r.sub("X", untouched) == untouched for r in regexes), untouched


def test_measure_and_summarize():
    t = measure(lambda: sum(range(100)), repeat=3)
    assert t.repeat == 3 and 0 < t.q1 <= t.median <= t.q3
    both = measure_interleaved({"a": lambda: None, "b": lambda: None}, repeat=2, number=5)
    assert set(both) == {"a", "b"} and both["a"].number == 5
    s = summarize([4.0, 1.0, 3.0, 2.0, 5.0], number=2)
    assert s.median == 1.5 and s.repeat == 5


def test_build_report_embeds_figures(tmp_path):
    rep = Reporter("sparse_coding", tmp_path, notebook="nb.ipynb", params={"size": 8})
    fig, ax = plt.subplots()
    rep.save_figure(fig, "f", "Cap.")
    plt.close(fig)
    rep.write_metrics({"x": 1})
    rep.write_table("t", [{"a": 1.0}])
    md, page = build_report(tmp_path)
    text = page.read_text()
    assert "data:image/png;base64," in text and "Cap." in text and "size: 8" in text and "<script" not in text
    assert "![f](figures/sparse_coding/f.png)" in md.read_text()


def _two_figure_section(root, params):
    rep = Reporter("sparse_coding", root, notebook="notebooks/01_sparse_coding.ipynb", params=params)
    for name in ("zeta", "alpha", "mid"):  # notebook order, not alphabetical
        fig, ax = plt.subplots()
        ax.plot([0, 1])
        rep.save_figure(fig, name, f"Caption of {name}.")
        plt.close(fig)
    rep.write_metrics({"x": 1})
    return rep


def test_manifest_keeps_the_notebook_order(tmp_path):
    rep = _two_figure_section(tmp_path, {"size": 8})
    fig, ax = plt.subplots()
    rep.save_figure(fig, "zeta", "Saved again.")  # keeps its place
    plt.close(fig)
    manifest = json.loads((tmp_path / "figures/sparse_coding/manifest.json").read_text())
    assert {k: v["order"] for k, v in manifest.items()} == {"zeta": 0, "alpha": 1, "mid": 2}


def test_report_page_layout(tmp_path):
    """Contents first; per section: headline table, figures in notebook order, params once;
    then stage timings and provenance (commit unknown outside git, lock hash, CPU, stage date)."""
    reports = tmp_path / "reports"
    _two_figure_section(reports, {"size": 8, "lam_factors": [0.1, 1.0]})
    (reports / "metrics/sparse_coding_headline.json").write_text('{"headline": {"fista_noisy_event_psnr": 78.125}}\n')
    (reports / "runs").mkdir()
    (reports / "runs/sparse_coding.json").write_text(json.dumps(
        {"date": "2030-01-02T03:04:05+00:00", "duration_s": 12.5, "machine": "box", "cores": 2, "python": "3.11.9"}))
    (tmp_path / "requirements.lock").write_text("numpy==2.2.6\n")
    md_path, page = build_report(reports)
    md, text = md_path.read_text(), page.read_text()
    toc = md.index("- [1. Convolutional sparse coding")
    assert toc < md.index("## 1. Convolutional") and "- [Provenance](#provenance)" in md
    section = md[md.index("## 1. Convolutional"):md.index("## 2.")]
    assert section.index("fista_noisy_event_psnr") < section.index("![zeta]")
    assert section.index("![zeta]") < section.index("![alpha]") < section.index("![mid]")
    assert md.count("size: 8") == 1 and text.count("size: 8") == 1  # once per section, not per caption
    assert "lam_factors: [0.1, 1.0]" in section and "size=8" not in md
    assert '<table class="headline">' in text and "78.12" in text
    timings = md[md.index("## Stage timings"):md.index("## Provenance")]
    assert "| sparse_coding | 2030-01-02T03:04:05+00:00 | 12.5 | box | — | 2 | 3.11.9 |" in timings  # no CPU given
    assert "| all stages above |  | 12.5 |" in timings
    prov = md[md.index("## Provenance"):]
    lock_hash = __import__("hashlib").sha256(b"numpy==2.2.6\n").hexdigest()
    assert "| commit | unknown |" in prov and "| working tree | unknown |" in prov and lock_hash in prov
    assert "| sparse_coding ran at (UTC) | 2030-01-02T03:04:05+00:00 |" in prov
    assert "| deblurring ran at (UTC) | not run |" in prov and "| CPU |" in prov
    assert 'id="provenance"' in text and '<a href="#sparse_coding">' in text


def test_report_provenance_names_the_commit_and_a_dirty_tree(tmp_path):
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git not installed")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "requirements.lock").write_text("a==1\n")
    (tmp_path / "dvc.lock").write_text("schema: '2.0'\n")
    (tmp_path / "reports" / "metrics").mkdir(parents=True)
    (tmp_path / "reports" / "metrics" / "s.json").write_text("{}\n")
    subprocess.run(git + ["add", "requirements.lock", "dvc.lock", "reports"], cwd=tmp_path, check=True)
    subprocess.run(git + ["commit", "-q", "-m", "x"], cwd=tmp_path, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True).stdout.strip()
    md = build_report(tmp_path / "reports")[0].read_text()
    assert f"| commit | {head} |" in md and "| working tree | clean |" in md
    # what `dvc repro` itself rewrote before the report stage does not make the tree dirty
    (tmp_path / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n")
    (tmp_path / "reports" / "metrics" / "s.json").write_text('{"psnr": 1}\n')
    md = build_report(tmp_path / "reports")[0].read_text()
    assert "| working tree | clean |" in md
    (tmp_path / "requirements.lock").write_text("a==2\n")
    md = build_report(tmp_path / "reports")[0].read_text()
    assert "| working tree | dirty (uncommitted changes) |" in md


def test_method_colors_follow_tab10_and_are_stable():
    keys = ["inverse_filter", "gradient_descent", "conjugate_gradient", "ista", "fista"]
    colors = method_colors(keys)
    tab10 = [matplotlib.colors.to_hex(c) for c in matplotlib.colormaps["tab10"].colors]
    assert list(colors) == keys and list(colors.values()) == tab10[:5]
    assert method_colors(keys) == colors and method_colors(keys + ["ista"]) == colors
    assert len(set(method_colors([f"m{i}" for i in range(10)]).values())) == 10
    with pytest.raises(ValueError, match="at most 10"):
        method_colors([f"m{i}" for i in range(11)])


def test_recorded_run_writes_a_record_only_on_success(tmp_path):
    from sparseimg.workspace.provenance import recorded_run

    with recorded_run("benchmark_x", tmp_path):
        pass
    record = json.loads((tmp_path / "runs/benchmark_x.json").read_text())
    assert record["section"] == "benchmark_x" and record["duration_s"] >= 0 and "cpu" in record
    with pytest.raises(RuntimeError), recorded_run("benchmark_y", tmp_path):
        raise RuntimeError("the stage failed")
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["benchmark_x.json"]  # no record, no tmp file


@pytest.mark.parametrize("metrics, key", [
    ({"lifting": {"headline": {"bm3d": {"psnr": 27.8, "seconds": 9.3}}}}, "lifting.headline.bm3d.seconds"),
    ({"train_cpu_s": 1.0}, "train_cpu_s"),
    ({"lista": {"wall_time": 2.0}}, "lista.wall_time"),
    ({"times": [1, 2]}, "times"),
])
def test_metrics_refuse_timings(tmp_path, metrics, key):
    rep = Reporter("demo", tmp_path, notebook="notebooks/99_demo.ipynb", params={})
    with pytest.raises(ValueError, match=rf"metrics key '{re.escape(key)}' is a timing"):
        rep.write_metrics(metrics)
    assert not (tmp_path / "metrics" / "demo.json").exists()
    # words that merely contain the letters are fine
    rep.write_metrics({"sometimes_sparse": 1, "timestep_count": 2, "n_iterations": 3})

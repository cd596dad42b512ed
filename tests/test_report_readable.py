"""The report reads cleanly: headline rows by readable name and unit (one place: the section's HEADLINE),
wide tables scroll in their own box, captions show code as code (no literal backticks)."""

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sparseimg.workspace.report import build_report  # noqa: E402
from sparseimg.workspace.reporting import Reporter  # noqa: E402
from sparseimg.workspace.sections import SECTIONS  # noqa: E402


def test_every_headline_number_has_a_readable_name():
    for name, sec in SECTIONS.items():
        assert set(sec.headline_labels) == set(sec.headline), name
        for key, (label, unit) in sec.headline_labels.items():
            assert label != key and len(label) >= 8 and "_" not in label, (name, key, label)
            assert isinstance(unit, str)


def test_headline_rows_captions_and_wide_tables(tmp_path):
    reports = tmp_path / "reports"
    rep = Reporter("sparse_coding", reports, notebook="notebooks/01_sparse_coding.ipynb", params={"size": 8})
    fig, ax = plt.subplots()
    rep.save_figure(fig, "f", "Events found by `fista` against `admm`.")
    plt.close(fig)
    rep.write_metrics({"x": 1})
    rep.write_table("speed", [{f"column_{i}": float(i) for i in range(16)}])  # the 16-column speed table
    (reports / "metrics/sparse_coding_headline.json").write_text('{"headline": {"fista_noisy_event_psnr": 78.125}}\n')
    md, page = build_report(reports)
    text = page.read_text()
    label, unit = SECTIONS["sparse_coding"].headline_labels["fista_noisy_event_psnr"]
    assert f"<td>{label}</td><td>78.12</td><td>{unit}</td>" in text.replace("&#x27;", "'")
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", text)
    assert captions and all("`" not in c for c in captions)
    assert "<code>fista</code>" in captions[0] and "<code>notebooks/01_sparse_coding.ipynb</code>" in captions[0]
    tables = re.findall(r"<table[^>]*>", text)
    assert len(tables) == text.count('<div class="scroll"><table')  # every table in its scrolling box
    assert "overflow-x:auto" in text and "max-width:1100px" in text  # the page stays within 1,400 px


def test_tables_sit_beside_the_figures_of_their_notebook(tmp_path):
    reports = tmp_path / "reports"
    rep = Reporter("sparse_coding", reports, notebook="notebooks/01_sparse_coding.ipynb", params={})
    rep.write_table("zz_first", [{"a": 1.0}])
    for name in ("fig_b", "fig_a"):
        fig, ax = plt.subplots()
        rep.save_figure(fig, name, f"{name}.")
        plt.close(fig)
        rep.write_table(f"after_{name}", [{"a": 2.0}])
    rep.write_metrics({"x": 1})
    (reports / "tables" / "sparse_coding_benchmark.csv").write_text("a\n3.0\n")  # a table no notebook wrote
    md = build_report(reports)[0].read_text()
    order = [md.index(s) for s in ("Table: zz first", "![fig_b]", "Table: after fig b", "![fig_a]",
                                   "Table: after fig a", "Table: benchmark")]
    assert order == sorted(order) and md.count("Table: after fig a") == 1


def test_a_benchmark_table_leaves_the_sections_manifest_alone(tmp_path):
    Reporter("deblurring", tmp_path).write_table("speed", [{"a": 1.0}])  # as benchmarks/deblur_speed.py does
    assert (tmp_path / "tables" / "deblurring_speed.csv").is_file()
    assert not (tmp_path / "figures").exists()


def test_markdown_tables_render_in_a_notebook_and_keep_their_text_for_nbval():
    from IPython.core.formatters import DisplayFormatter

    from sparseimg.workspace.reporting import markdown_table

    table = markdown_table([{"method": "fista", "psnr": 30.5}])
    data, _ = DisplayFormatter().format(table)
    assert data["text/markdown"] == table  # JupyterLab draws a table, not its source
    assert data["text/plain"] == table.rstrip("\n")  # what nbval compares: the numbers, as before
    assert print is not None and str(table).startswith("| method | psnr |")

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

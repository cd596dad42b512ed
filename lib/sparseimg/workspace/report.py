"""The one page that shows every section: ``reports/index.md`` and ``reports/index.html``.

The HTML page is self-contained (figures embedded as base64 PNG, no scripts), so it
reads offline and can be mailed around. Top to bottom: a table of contents; per
section its headline numbers, its figures in the notebook's order, its tables, its
parameters (once) and its metrics; the stage timings (``reports/runs/*.json``); and
the provenance (commit and dirty tree, ``requirements.lock`` hash, CPU, stage dates).
"""

from __future__ import annotations

import base64
import csv
import html
import json
from pathlib import Path

from sparseimg.experiments.tuning import tuning_records
from sparseimg.workspace.provenance import cpu_count, cpu_model, file_sha256, git_state
from sparseimg.workspace.reporting import format_value
from sparseimg.workspace.sections import SECTIONS

__all__ = ["build_report"]

_CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{border-bottom:2px solid #444}h2{margin-top:2.5em;border-bottom:1px solid #aaa}
figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.9em;color:#444}code{background:#f3f3f3;padding:0 .2em}
table{border-collapse:collapse;margin:1em 0;font-size:.85em}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:right}
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}details{margin:.5em 0}
nav ul{margin:.3em 0}table.headline td:nth-child(2){font-weight:600}
div.scroll{max-width:100%;overflow-x:auto}
"""


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _cell(text) -> str:
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return format_value(float(text)) if isinstance(text, float) else str(text)
    try:
        return format_value(float(text))
    except (TypeError, ValueError):
        return "—" if text is None else str(text)


def _inline_code(text: str) -> str:
    """HTML of a Markdown-ish caption: ``code`` spans become <code>, no literal backticks are left."""
    parts = html.escape(text).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: drop it rather than show it
        parts[-2:] = [parts[-2] + parts[-1]]
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


class _Page:
    """The Markdown and the HTML of the page, written side by side."""

    def __init__(self):
        self.md: list[str] = []
        self.html: list[str] = []

    def heading(self, level: int, text: str, anchor: str | None = None):
        self.md += ["#" * level + " " + text, ""]
        ident = f' id="{html.escape(anchor)}"' if anchor else ""
        self.html.append(f"<h{level}{ident}>{html.escape(text)}</h{level}>")

    def para(self, md: str, body: str):
        self.md += [md, ""]
        self.html.append(f"<p>{body}</p>")

    def table(self, header: list[str], rows: list[list], *, css: str = ""):
        self.md += ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        self.md += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows] + [""]
        cls = f' class="{css}"' if css else ""
        # inside a box that scrolls sideways: a wide table never widens the page
        self.html.append(f'<div class="scroll"><table{cls}><tr>' + "".join(f"<th>{html.escape(h)}</th>" for h in header)
                         + "</tr>" + "".join("<tr>" + "".join(f"<td>{html.escape(_cell(c))}</td>" for c in r)
                                             + "</tr>" for r in rows) + "</table></div>")

    def details(self, summary: str, text: str, lang: str = ""):
        self.md += [f"<details><summary>{summary}</summary>", "", f"```{lang}", text, "```", "</details>", ""]
        self.html.append(f"<details><summary>{summary}</summary><pre>{html.escape(text)}</pre></details>")


def _manifest(reports: Path, name: str) -> list[tuple[str, dict]]:
    """The manifest's figures and tables in the notebook's order (name order for manifests without ``order``)."""
    manifest = _read_json(reports / "figures" / name / "manifest.json") or {}
    return sorted(manifest.items(), key=lambda kv: (kv[1].get("order", len(manifest)), kv[0]))


def _figures(reports: Path, name: str) -> list[tuple[str, dict]]:
    return [(k, v) for k, v in _manifest(reports, name) if v.get("kind", "figure") == "figure"]


def _table(page: "_Page", name: str, table: Path) -> None:
    title = table.stem[len(name) + 1:].replace("_", " ")
    page.para(f"**Table: {title}** (`tables/{table.name}`)",
              f"<strong>Table: {html.escape(title)}</strong> (<code>tables/{table.name}</code>)")
    header, rows = _csv_rows(table)
    page.table(header, rows)


def _section(page: _Page, reports: Path, name: str, sec) -> None:
    page.heading(2, sec.title, anchor=name)
    metrics_path = reports / "metrics" / f"{name}.json"
    if not metrics_path.exists():
        page.para("_Not run yet._", "<em>Not run yet.</em>")
        return
    headline = (_read_json(reports / "metrics" / f"{name}_headline.json") or {}).get("headline")
    if headline:
        labels = sec.headline_labels
        page.table(["headline number", "value", "unit", "key"],
                   [[labels.get(k, (k, ""))[0], v, labels.get(k, (k, ""))[1], k] for k, v in headline.items()],
                   css="headline")
    executed = f"notebooks/{Path(sec.notebook).name}"
    page.para(f"Executed notebook: [`{executed}`]({executed})",
              f"Executed notebook: <code>reports/{html.escape(executed)}</code>")
    figures = _figures(reports, name)
    shown = set()
    for fig_name, info in _manifest(reports, name):  # figures and the notebook's tables, in its order
        if info.get("kind") == "table":
            table = reports / "tables" / info["file"]
            if table.is_file():
                _table(page, name, table)
                shown.add(table.name)
            continue
        rel = f"figures/{name}/{info['file']}"
        caption = f"{info['caption']} — made by `{info.get('notebook') or sec.notebook}`"
        page.md += [f"![{fig_name}]({rel})", "", f"*{caption}*", ""]
        data = base64.b64encode((reports / rel).read_bytes()).decode("ascii")
        page.html.append(f'<figure><img alt="{html.escape(fig_name)}" src="data:image/png;base64,{data}">'
                         f"<figcaption>{_inline_code(caption)}</figcaption></figure>")
    for table in sorted((reports / "tables").glob(f"{name}_*.csv")):  # then the rest (benchmarks' tables)
        if table.name not in shown:
            _table(page, name, table)
    params = next((info["params"] for _, info in figures if info.get("params")), None)
    if params:
        page.details(f"Parameters of the run ({len(params)})", "\n".join(
            f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in sorted(params.items())), "yaml")
    metrics = _read_json(metrics_path)
    page.details(f"Metrics (<code>metrics/{name}.json</code>)", json.dumps(metrics, indent=2, sort_keys=True), "json")


def _tuned_values(page: _Page, reports: Path) -> None:
    """One table of every tuned value the sections recorded in their metrics."""
    rows = []
    for name in SECTIONS:
        for where, r in tuning_records(_read_json(reports / "metrics" / f"{name}.json") or {}):
            grid = r["grid"]
            rows.append([name, where, f"{min(grid):g} … {max(grid):g} ({len(grid)} values)", f"{r['value']:g}",
                         f"{max(r['scores']):.4g}", f"{r['edge']} ({r.get('reason', '')})" if r["edge"] else "no"])
    page.heading(2, "Tuned values", anchor="tuned-values")
    text = ("Every value a section chose on its tuning image or tuning set and recorded, with the grid it was "
            "chosen from (grown until the choice is inside it) and the best score; `tests/test_tuning_edges.py` "
            "fails on a choice at an edge that is not a hard bound.")
    page.para(text, _inline_code(text))
    if rows:
        page.table(["section", "what", "grid", "choice", "best score", "on an edge"], rows)
    else:
        page.para("_No section has recorded a tuned value yet._", "<em>No section has recorded a tuned value yet.</em>")


def _runs(reports: Path) -> dict[str, dict]:
    runs = {}
    order = {name: i for i, name in enumerate(SECTIONS)}  # sections in their order, anything else after
    for path in sorted((reports / "runs").glob("*.json"), key=lambda p: (order.get(p.stem, len(order)), p.stem)):
        data = _read_json(path)
        if isinstance(data, dict):
            runs[path.stem] = data
    return runs


def build_report(reports="reports", root=None) -> tuple[Path, Path]:
    """Write ``index.md`` and ``index.html`` from whatever the sections produced.

    ``root`` is the repository (git, ``requirements.lock``); default: the parent of ``reports``.
    """
    reports = Path(reports)
    root = Path(root) if root is not None else reports.resolve().parent
    page = _Page()
    page.heading(1, "Sparse image reconstruction — report")
    page.para("Regenerated by `dvc repro`; each figure says which notebook made it, each section lists "
              "its parameters once.",
              "Regenerated by <code>dvc repro</code>; each figure says which notebook made it, each section "
              "lists its parameters once.")
    toc = [(name, sec.title) for name, sec in SECTIONS.items()] + [
        ("tuned-values", "Tuned values"), ("stage-timings", "Stage timings"), ("provenance", "Provenance")]
    page.md += [f"- [{title}](#{anchor})" for anchor, title in toc] + [""]
    page.html.append("<nav><ul>" + "".join(f'<li><a href="#{a}">{html.escape(t)}</a></li>' for a, t in toc)
                     + "</ul></nav>")
    for name, sec in SECTIONS.items():
        _section(page, reports, name, sec)

    _tuned_values(page, reports)

    runs = _runs(reports)
    page.heading(2, "Stage timings", anchor="stage-timings")
    if runs:
        page.para("How long each stage took on the machine that ran it (its last run; `reports/runs/`). "
                  "Not metrics: `reports/metrics/` stays deterministic.",
                  "How long each stage took on the machine that ran it (its last run; <code>reports/runs/</code>). "
                  "Not metrics: <code>reports/metrics/</code> stays deterministic.")
        durations = [r.get("duration_s") for r in runs.values()]
        total = sum(d for d in durations if isinstance(d, (int, float)))
        page.table(["stage", "ran at (UTC)", "duration (s)", "machine", "CPU", "cores", "python"],
                   [[n, r.get("date"), r.get("duration_s"), r.get("machine"), r.get("cpu"), r.get("cores"),
                     r.get("python")] for n, r in runs.items()]
                   + [["all stages above", "", round(total, 1), "", "", "", ""]])
    else:
        page.para("_No stage has run yet._", "<em>No stage has run yet.</em>")

    commit, dirty = git_state(root)
    tree = "unknown" if dirty is None else ("dirty (uncommitted changes)" if dirty else "clean")
    page.heading(2, "Provenance", anchor="provenance")
    rows = [["commit", commit], ["working tree", tree],
            ["requirements.lock sha256", file_sha256(root / "requirements.lock")],
            ["CPU", cpu_model()], ["cores", cpu_count() or "unknown"]]
    rows += [[f"{n} ran at (UTC)", runs[n].get("date", "unknown") if n in runs else "not run"] for n in SECTIONS]
    page.table(["", "value"], rows)

    index_md = reports / "index.md"
    index_md.write_text("\n".join(page.md))
    index_html = reports / "index.html"
    index_html.write_text("<!doctype html><html><head><meta charset='utf-8'><title>Sparse image reconstruction"
                          f"</title><style>{_CSS}</style></head><body>" + "\n".join(page.html) + "</body></html>\n")
    return index_md, index_html

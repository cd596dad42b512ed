"""Figure style and the files a notebook writes into ``reports/``.

A notebook creates one :class:`Reporter` and sends it every figure, table, curve
and metric. The layout under ``output_dir`` is::

    figures/<section>/<name>.png        + figures/<section>/manifest.json (captions, order)
    metrics/<section>.json
    tables/<section>_<name>.csv|md
    plots/<section>_<name>.csv

With ``output_dir=None`` (interactive use) files go to a throw-away temporary
directory, so playing with a notebook never touches the pipeline's outputs.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import re
import tempfile
from pathlib import Path

import matplotlib as mpl
import numpy as np

__all__ = ["GOLDEN", "use_style", "Reporter", "markdown_table", "MarkdownText", "format_value", "method_colors"]

GOLDEN = (1 + 5 ** 0.5) / 2


def use_style(*, dpi: int = 100) -> None:
    """Project-wide matplotlib style: readable fonts, tight layouts, no top/right spines."""
    mpl.rcParams.update({
        "figure.dpi": dpi,
        "savefig.dpi": dpi,
        "savefig.bbox": "tight",
        "figure.constrained_layout.use": True,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "image.interpolation": "nearest",
        "font.size": 10,
        "axes.titlesize": 11,
        "legend.frameon": False,
    })


def _show_in_kernel(fig, png: bytes) -> None:
    """In a Jupyter kernel: display ``png`` as ``fig``'s output and close ``fig``; elsewhere nothing."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return
    import matplotlib.pyplot as plt
    from IPython.display import display

    display({"image/png": base64.b64encode(png).decode("ascii"), "text/plain": repr(fig)}, raw=True)
    plt.close(fig)


def method_colors(keys) -> dict:
    """One colour per method, in ``tab10`` order: ``{key: "#rrggbb"}``.

    The same key list always gives the same colours, so a notebook that builds the
    mapping once from its method keys draws each method in one colour across every
    panel. Duplicate keys keep their first colour; more than ten keys raise
    :class:`ValueError` (``tab10`` would repeat a colour).
    """
    from matplotlib.colors import to_hex

    unique = list(dict.fromkeys(keys))
    palette = mpl.colormaps["tab10"].colors
    if len(unique) > len(palette):
        raise ValueError(f"keys has {len(unique)} distinct methods: expected at most {len(palette)} (tab10)")
    return {key: to_hex(palette[i]) for i, key in enumerate(unique)}


def format_value(value, fmt: str | None = None) -> str:
    """Format a table cell: floats with ``fmt`` (default 4 significant digits)."""
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "—"
        return format(value, fmt or ".4g")
    return str(value)


class MarkdownText(str):
    """A string that a notebook shows rendered (``text/markdown``) and whose plain text, the Markdown
    source, is what nbval compares: ``display(markdown_table(rows))`` draws a table, ``print`` the source."""

    def _repr_markdown_(self) -> str:
        return str(self)

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(str(self).rstrip("\n"))


def markdown_table(rows: list[dict], columns: list[str] | None = None,
                   formats: dict[str, str] | None = None) -> str:
    """GitHub-flavoured Markdown table from a list of dict rows (a :class:`MarkdownText`: displayed as the last
    value of a notebook cell, or by ``display``, it renders as a table)."""
    columns = columns or list(rows[0])
    formats = formats or {}
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(format_value(row.get(c, ""), formats.get(c)) for c in columns) + " |")
    return MarkdownText("\n".join(lines) + "\n")


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    return value


_TIMING_KEY = re.compile(r"second|wall|cpu|(^|_)times?($|_)", re.IGNORECASE)


def _timing_key(node, prefix: str = "") -> str | None:
    """The dotted path of the first key in ``node`` that names a timing, or None."""
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}{key}"
            if _TIMING_KEY.search(str(key)):
                return path
            found = _timing_key(value, path + ".")
            if found is not None:
                return found
    return None


class Reporter:
    """Writes one section's figures, tables, curves and metrics.

    Parameters
    ----------
    section : str
        Section name (file prefix).
    output_dir : str or Path, optional
        Root of the report tree; a temporary directory if None.
    notebook : str
        Notebook that produced the files (used in captions).
    params : dict
        Parameters of the run (used in captions).
    """

    def __init__(self, section: str, output_dir=None, *, notebook: str = "", params: dict | None = None):
        self.section = section
        self.root = Path(output_dir) if output_dir else Path(tempfile.mkdtemp(prefix=f"{section}-"))
        self.notebook = notebook
        self.params = _jsonable(params or {})
        self._figures: dict[str, dict] = {}

    def _path(self, kind: str, name: str) -> Path:
        path = self.root / kind / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def save_figure(self, fig, name: str, caption: str) -> Path:
        """Save ``fig`` as ``figures/<section>/<name>.png`` and record its caption.

        The manifest keeps each figure's ``order`` (when it was first saved), so that the
        report shows the figures in the notebook's order; saving a name again keeps it.

        In a Jupyter kernel the saved PNG is also the figure's output, and the figure is closed: the
        inline backend would otherwise draw it a second time at ``plt.show()`` (twice more with its
        tight bounding box) for the same picture. The output keeps the inline backend's form, the PNG
        and the figure's text (``<Figure size 1100x340 with 2 Axes>``, which nbval compares).
        """
        path = self._path(f"figures/{self.section}", f"{name}.png")
        png = io.BytesIO()
        fig.savefig(png, format="png", metadata={"Software": None})  # no version string: stable bytes
        path.write_bytes(png.getvalue())
        _show_in_kernel(fig, png.getvalue())
        order = self._figures[name]["order"] if name in self._figures else len(self._figures)
        self._figures[name] = {"file": path.name, "caption": caption, "notebook": self.notebook,
                               "params": self.params, "order": order}
        self._write_manifest()
        return path

    def _write_manifest(self) -> None:
        """``figures/<section>/manifest.json``: every figure (caption, parameters) and table (``kind: table``)
        with its ``order`` of creation, so that the report shows them as the notebook made them."""
        manifest = self._path(f"figures/{self.section}", "manifest.json")
        manifest.write_text(json.dumps(self._figures, indent=2, sort_keys=True) + "\n")

    def write_metrics(self, metrics: dict) -> Path:
        """Write ``metrics/<section>.json`` (sorted keys; NaN/inf become null).

        Metrics are compared between runs and must be identical: a key that names a timing
        (``seconds``, ``time``, ``wall``, ``cpu``) is refused; timings go to tables.
        """
        timing = _timing_key(metrics)
        if timing is not None:
            raise ValueError(f"metrics key {timing!r} is a timing, which is not allowed in metrics "
                             "(two runs must give identical metrics): write it to a table")
        path = self._path("metrics", f"{self.section}.json")
        path.write_text(json.dumps(_jsonable(metrics), indent=2, sort_keys=True) + "\n")
        return path

    def write_table(self, name: str, rows: list[dict], *, columns: list[str] | None = None,
                    formats: dict[str, str] | None = None) -> str:
        """Write ``tables/<section>_<name>.csv`` and ``.md``; returns the Markdown."""
        if not rows:
            raise ValueError(f"table {name!r} has no rows")
        columns = columns or list(rows[0])
        with open(self._path("tables", f"{self.section}_{name}.csv"), "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({c: _csv_cell(row.get(c, "")) for c in columns})
        md = markdown_table(rows, columns, formats)
        self._path("tables", f"{self.section}_{name}.md").write_text(md)
        if self.notebook:  # a notebook's table takes its place among the figures; a benchmark script's (no
            # notebook) stays out of the manifest, which belongs to the section's stage
            key = f"table:{name}"
            order = self._figures[key]["order"] if key in self._figures else len(self._figures)
            self._figures[key] = {"kind": "table", "file": f"{self.section}_{name}.csv", "order": order}
            self._write_manifest()
        return md

    def write_plot(self, name: str, columns: dict[str, list]) -> Path:
        """Write a curve as ``plots/<section>_<name>.csv`` (equal-length columns)."""
        lengths = {len(v) for v in columns.values()}
        if len(lengths) != 1:
            raise ValueError(f"plot {name!r} has columns of unequal lengths {sorted(lengths)}")
        path = self._path("plots", f"{self.section}_{name}.csv")
        with open(path, "w", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(list(columns))
            for values in zip(*columns.values()):
                writer.writerow([_csv_cell(v) for v in values])
        return path


def _csv_cell(value):
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return value

"""Execute a section's notebook with papermill, atomically.

``run_section`` validates the section's ``params.yaml`` block (plus ``common``)
and its cross-field rules *before* anything runs, executes the notebook into a
staging directory, and only when the notebook succeeded moves its files into
``reports/``. A bad parameter or a failing notebook therefore leaves the previous
reports exactly as they were.

Besides the notebook's own files, a successful run publishes

- ``metrics/<section>_headline.json``: the section's headline numbers (flat), read
  from ``metrics/<section>.json`` along the section's ``HEADLINE`` paths, and the same numbers one
  per file, ``headline/<section>/<key>.json`` (``{"value": number}``): what dvc.yaml declares as
  metrics, so that ``dvc metrics show`` lists one number per row;
- ``runs/<section>.json``: when the run started (UTC), how long it took, on which
  machine and Python. Not under ``metrics/``: metrics stay deterministic.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat

from sparseimg.learn.paths import REQUIRE_MODELS_ENV
from sparseimg.workspace.heap import heap_environment
from sparseimg.workspace.params import COMMON_SCHEMA, read_params_file
from sparseimg.schema import ParamError, validate_block
from sparseimg.workspace.provenance import run_record, utc_now
from sparseimg.workspace.sections import SECTIONS, HeadlineError, get_section

__all__ = ["load_section_params", "notebook_code", "strip_notebook", "run_section", "publish",
           "write_headline", "HeadlineError", "KERNELSPEC", "ONE_BLAS_THREAD", "kernel_config", "kernel_environment"]

#: The project kernel as JupyterLab names it once started (a stored notebook with another display name is
#: marked modified on opening): the venv's ``python3`` kernelspec.
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def kernel_config():
    """Configuration of the kernels papermill starts: IPC transport where the platform has it, so the kernel
    listens on no TCP port and does not warn that it runs over TCP without encryption. The sockets are named
    ``sparseimg-<pid>-<n>`` under Jupyter's runtime folder (jupyter_client's default would put ``kernel-ipc-<n>``
    in the working directory, the workspace root, where a killed stage left them behind)."""
    from jupyter_core.paths import jupyter_runtime_dir
    from traitlets.config import Config

    if os.name != "posix":
        return Config()
    runtime = Path(jupyter_runtime_dir())
    runtime.mkdir(parents=True, exist_ok=True)
    return Config({"KernelManager": {"transport": "ipc", "ip": str(runtime / f"sparseimg-{os.getpid()}")}})


#: One BLAS thread in every process that computes a stage's numbers, set before NumPy loads: OpenBLAS's threaded
#: reductions add in another order than its one-thread ones, so the last bits of a result (and of trained weights)
#: would depend on the caller's environment (`make` sets these, a plain `dvc repro` did not).
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def kernel_environment(sec) -> dict[str, str]:
    """What a section's kernel gets in its environment: one BLAS thread (:data:`ONE_BLAS_THREAD`), the training
    stages own ``models/`` (a notebook run by the pipeline never trains a model again: a mismatch fails the stage
    with one line), and the heap policy of :mod:`sparseimg.workspace.heap` unless the section opts out
    (``keep_freed_memory``)."""
    return {**ONE_BLAS_THREAD, REQUIRE_MODELS_ENV: "1", **(heap_environment() if sec.keep_freed_memory else {})}


@contextmanager
def _environment(values: dict[str, str]):
    """``os.environ`` updated with ``values`` inside the block, restored after it."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def load_section_params(section: str, params_path="params.yaml", *, root=".") -> dict:
    """Validated parameters of ``section``: its block merged with ``common``. A section reading another
    section's block (``BLOCK``) takes the keys of its own schema from it; the owner validates the rest."""
    sec = get_section(section)
    root = Path(root)
    params_path = Path(params_path)
    data = read_params_file(params_path if params_path.is_absolute() else root / params_path)
    source = params_path.name
    common = validate_block("common", data.get("common"), COMMON_SCHEMA, root=root, source=source)
    raw = data.get(sec.params_block)
    sharing = [s for s in SECTIONS.values() if s.params_block == sec.params_block]
    if len(sharing) > 1 and isinstance(raw, dict):  # one block, several notebooks: each takes its keys
        allowed = {k for s in sharing for k in s.schema}
        unknown = [k for k in raw if k not in allowed]
        if unknown:
            raise ParamError(f"{source}: {sec.params_block}.{unknown[0]} is not a known parameter: allowed keys are "
                             + ", ".join(sorted(allowed)))
        raw = {k: v for k, v in raw.items() if k in sec.schema}
    block = validate_block(sec.params_block, raw, sec.schema, root=root, source=source)
    try:
        sec.check_rules(block)
    except ParamError as exc:
        raise ParamError(f"{source}: {exc}") from None
    return {**block, **common}


def notebook_code(path) -> list[dict]:
    """What a notebook *does*: each cell's type, source and tags — no outputs or metadata.

    This is the fingerprint DVC tracks, so re-running a notebook in JupyterLab
    (which rewrites outputs, counters and metadata) does not invalidate the pipeline.
    """
    try:
        nb = nbformat.read(str(path), as_version=4)
    except (OSError, ValueError) as exc:
        raise ParamError(f"notebook={str(path)!r} cannot be read: {exc}") from None
    return [{"cell_type": c.cell_type, "source": c.source, "tags": list(c.metadata.get("tags", []))}
            for c in nb.cells]


def strip_notebook(path) -> nbformat.NotebookNode:
    """The notebook rebuilt from :func:`notebook_code` alone (what the runner executes)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    make = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell,
            "raw": nbformat.v4.new_raw_cell}
    for i, cell in enumerate(notebook_code(path)):
        new = make[cell["cell_type"]](cell["source"])
        new.id = f"cell-{i}"
        if cell["tags"]:
            new.metadata["tags"] = cell["tags"]
        nb.cells.append(new)
    return nb


def publish(staging: Path, reports: Path, section: str) -> list[Path]:
    """Move a successful run's files from ``staging`` into ``reports``.

    The section's figure and headline directories are replaced whole (so no stale file survives);
    other files are replaced one by one, leaving files of other stages (for example
    benchmark tables) alone.
    """
    moved = []
    for kind in ("figures", "headline"):  # replaced whole: no stale figure or headline number survives
        target = reports / kind / section
        if (staging / kind / section).exists() and target.exists():
            shutil.rmtree(target)
    for src in sorted(p for p in staging.rglob("*") if p.is_file()):
        dst = reports / src.relative_to(staging)
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
        moved.append(dst)
    shutil.rmtree(staging, ignore_errors=True)
    return moved


def run_section(section: str, params_path="params.yaml", *, root=".", reports="reports",
                log_output: bool = False, progress_bar: bool = True) -> Path:
    """Validate, execute and publish one section; returns the executed notebook's path."""
    root = Path(root).resolve()
    params = load_section_params(section, params_path, root=root)
    sec = get_section(section)
    nb_path = root / sec.notebook
    nb = strip_notebook(nb_path)

    import papermill as pm  # heavy import, after validation

    reports = root / reports
    staging = reports / ".staging" / section
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    out_nb = staging / "notebooks" / nb_path.name
    out_nb.parent.mkdir(parents=True)
    parameters = {**params, "output_dir": str(staging), "notebook": sec.notebook}
    started, t0 = utc_now(), time.perf_counter()
    with _environment(kernel_environment(sec)):  # the kernel inherits it
        pm.execute_notebook(nb, str(out_nb), parameters=parameters, kernel_name=KERNELSPEC["name"],
                            cwd=str(root), log_output=log_output, progress_bar=progress_bar,
                            config=kernel_config())
    write_headline(staging, section)
    _write_json(staging / "runs" / f"{section}.json", run_record(section, started, time.perf_counter() - t0))
    publish(staging, reports, section)
    return reports / "notebooks" / nb_path.name


def _write_json(path: Path, data: dict, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, **kw) + "\n")
    return path


def write_headline(output_dir, section: str) -> Path:
    """Write ``metrics/<section>_headline.json`` (``{"headline": {key: number}}``) from
    ``metrics/<section>.json`` under ``output_dir``.

    Raises :class:`HeadlineError` (one line naming the section and the path) when the
    metrics file is missing or a headline path does not lead to a number.
    """
    output_dir = Path(output_dir)
    metrics_path = output_dir / "metrics" / f"{section}.json"
    if not metrics_path.is_file():
        raise HeadlineError(f"{section}: metrics/{section}.json was not written by the notebook: "
                            "expected Reporter.write_metrics(...)")
    values = get_section(section).headline_values(json.loads(metrics_path.read_text()))
    # what DVC calls metrics: one file per headline number, ``headline/<section>/<key>.json`` holding
    # ``{"value": number}``. `dvc metrics show` has a row per file and a column per key name, so one shared
    # key gives one row per number in two columns (a file per section gave a column per number: 38 of them)
    headline_dir = output_dir / "headline" / section
    shutil.rmtree(headline_dir, ignore_errors=True)
    for key, value in values.items():
        _write_json(headline_dir / f"{key}.json", {"value": value})
    # the section's headline record, for the report: under one top-level "headline" key
    return _write_json(output_dir / "metrics" / f"{section}_headline.json", {"headline": values})


def write_code_fingerprint(notebook, destination) -> None:
    """Write :func:`notebook_code` of ``notebook`` as canonical JSON (a DVC dependency)."""
    dst = Path(destination)
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(json.dumps(notebook_code(notebook), indent=1, sort_keys=True, ensure_ascii=False) + "\n")

"""Reading ``params.yaml``: the file, and the ``common`` block every section receives.

The vocabulary the schemas are written in (:class:`~sparseimg.schema.Spec`, ``Int``, ``Float``, …,
:class:`~sparseimg.schema.ParamError`, :func:`~sparseimg.schema.validate_block`) is :mod:`sparseimg.schema`.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from sparseimg.schema import Bool, Int, ParamError

__all__ = ["COMMON_SCHEMA", "read_params_file"]

#: Keys every section receives from the ``common`` block.
COMMON_SCHEMA = {
    "dpi": Int(50, 300, quick=100, help="resolution of saved figures"),
    "progress": Bool(quick=False, help="tqdm progress bars inside the notebook (stderr)"),
}


def read_params_file(path: Path) -> dict:
    """Read ``params.yaml``; unreadable or malformed files raise :class:`ParamError`."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ParamError(f"{path}: cannot be read ({exc.strerror}): expected a YAML parameter file") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where else ""
        raise ParamError(f"{path}: is not valid YAML{line}: expected a mapping of sections") from None
    if not isinstance(data, dict):
        raise ParamError(f"{path}: top level is {type(data).__name__}: expected a mapping of sections")
    return data

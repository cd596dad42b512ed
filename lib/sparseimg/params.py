"""Parameter schema: validates each ``params.yaml`` block before any computation.

A schema is a mapping ``key -> Spec``. :func:`validate_block` checks that every
key is known, present and of the right type and range; the first problem raises
:class:`ParamError` with one line naming the key, the value and what is allowed::

    params.yaml: sparse_coding.rho=1.5 is not allowed: expected 0 < rho < 1
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["ParamError", "Spec", "Int", "Float", "Bool", "Choice", "ListOf", "FilePath", "Text",
           "validate_block", "read_params_file", "COMMON_SCHEMA"]


class ParamError(ValueError):
    """A parameter file or block is invalid; the message is one line."""


@dataclass(frozen=True)
class Spec:
    """One parameter: a ``kind`` and its constraints.

    ``kind`` is one of ``int``, ``float``, ``bool``, ``str``, ``choice``, ``list``,
    ``path``. ``low``/``high`` bound numbers (``*_open`` makes the bound strict);
    ``choices`` lists allowed values; ``item`` is the spec of list items;
    ``min_len``/``max_len`` bound list lengths; ``suffixes`` lists allowed file
    suffixes; ``nullable`` allows ``null``.
    """

    kind: str
    help: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple = ()
    item: "Spec | None" = None
    min_len: int = 0
    max_len: int | None = None
    suffixes: tuple = ()
    nullable: bool = False

    def describe(self, key: str) -> str:
        """Human description of what is allowed."""
        if self.kind == "choice":
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        elif self.kind == "list":
            size = f"at least {self.min_len}" if self.max_len is None else (
                f"{self.min_len}" if self.min_len == self.max_len else f"{self.min_len} to {self.max_len}")
            text = f"a list of {size} items, each {self.item.describe('item')}"
        elif self.kind == "path":
            text = "a path to a readable file" + (f" ending in {'/'.join(self.suffixes)}" if self.suffixes else "")
        elif self.kind in ("int", "float"):
            noun = "an integer" if self.kind == "int" else "a number"
            lo = "" if self.low is None else f"{self.low} {'<' if self.low_open else '<='} "
            hi = "" if self.high is None else f" {'<' if self.high_open else '<='} {self.high}"
            text = f"{noun} {lo}{key}{hi}" if (lo or hi) else noun
        elif self.kind == "bool":
            text = "true or false"
        else:
            text = "a string"
        return text + (" or null" if self.nullable else "")

    def check(self, key: str, value: Any, root: Path) -> Any:
        """Return the (normalized) value or raise :class:`ParamError`."""
        def bad(reason: str | None = None):
            why = reason or f"expected {self.describe(key.rsplit('.', 1)[-1])}"
            return ParamError(f"{key}={value!r} is not allowed: {why}")

        if value is None:
            if self.nullable:
                return None
            raise bad()
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise bad()
            return value
        if self.kind in ("int", "float"):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise bad()
            if self.kind == "int" and not isinstance(value, numbers.Integral):
                raise bad()
            if value != value or value in (float("inf"), float("-inf")):
                raise bad()
            if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
                raise bad()
            if self.high is not None and (value > self.high or (self.high_open and value == self.high)):
                raise bad()
            return int(value) if self.kind == "int" else float(value)
        if self.kind == "choice":
            if value not in self.choices:
                raise bad()
            return value
        if self.kind == "str":
            if not isinstance(value, str):
                raise bad()
            return value
        if self.kind == "list":
            if not isinstance(value, list) or len(value) < self.min_len or (
                    self.max_len is not None and len(value) > self.max_len):
                raise bad()
            return [self.item.check(f"{key}[{i}]", v, root) for i, v in enumerate(value)]
        if self.kind == "path":
            if not isinstance(value, str) or not value:
                raise bad()
            path = Path(value) if Path(value).is_absolute() else root / value
            if self.suffixes and path.suffix.lower() not in self.suffixes:
                raise bad()
            if not path.is_file():
                raise bad(f"no such file ({path})")
            try:
                with open(path, "rb") as fh:
                    fh.read(1)
            except OSError as exc:
                raise bad(f"cannot be read ({exc.strerror})") from exc
            return str(path)
        raise AssertionError(f"unknown spec kind {self.kind!r}")


def Int(low=None, high=None, **kw) -> Spec:
    return Spec("int", low=low, high=high, **kw)


def Float(low=None, high=None, **kw) -> Spec:
    return Spec("float", low=low, high=high, **kw)


def Bool(**kw) -> Spec:
    return Spec("bool", **kw)


def Text(**kw) -> Spec:
    return Spec("str", **kw)


def Choice(*choices, **kw) -> Spec:
    return Spec("choice", choices=tuple(choices), **kw)


def ListOf(item: Spec, min_len: int = 1, max_len: int | None = None, **kw) -> Spec:
    return Spec("list", item=item, min_len=min_len, max_len=max_len, **kw)


def FilePath(*suffixes, **kw) -> Spec:
    return Spec("path", suffixes=tuple(s.lower() for s in suffixes), **kw)


#: Keys every section receives from the ``common`` block.
COMMON_SCHEMA = {
    "dpi": Int(50, 300, help="resolution of saved figures"),
    "progress": Bool(help="tqdm progress bars inside the notebook (stderr)"),
}


def validate_block(name: str, block: Any, schema: dict[str, Spec], *, root: Path,
                   source: str = "params.yaml") -> dict:
    """Validate one block against its schema; returns the normalized dict."""
    if block is None:
        raise ParamError(f"{source}: section {name!r} is missing: expected a mapping with keys "
                         + ", ".join(schema))
    if not isinstance(block, dict):
        raise ParamError(f"{source}: {name}={block!r} is not allowed: expected a mapping with keys "
                         + ", ".join(schema))
    unknown = [k for k in block if k not in schema]
    if unknown:
        raise ParamError(f"{source}: {name}.{unknown[0]} is not a known parameter: allowed keys are "
                         + ", ".join(schema))
    missing = [k for k in schema if k not in block]
    if missing:
        spec = schema[missing[0]]
        raise ParamError(f"{source}: {name}.{missing[0]} is missing: expected {spec.describe(missing[0])}")
    out = {}
    for key, spec in schema.items():
        try:
            out[key] = spec.check(f"{name}.{key}", block[key], root)
        except ParamError as exc:
            raise ParamError(f"{source}: {exc}") from None
    return out


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

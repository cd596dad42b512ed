"""The parameter vocabulary: a schema is a mapping ``key -> Spec``, checked before any computation.

:func:`validate_block` checks that every key of a block is known, present and of the right type and range;
the first problem raises :class:`ParamError` with one line naming the key, the value and what is allowed::

    params.yaml: sparse_coding.rho=1.5 is not allowed: expected 0 < rho < 1

Each spec also carries its ``quick`` value: the setting under which a notebook runs in seconds (the
notebooks' ``parameters`` cells and the pipeline test use these). The sections' schemas (in
:mod:`sparseimg.workspace.sections` and the experiments that own a part of one) are written in this
vocabulary; reading ``params.yaml`` and the ``common`` block live in :mod:`sparseimg.workspace.params`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sparseimg import images as _images

__all__ = ["ParamError", "Spec", "Int", "Float", "Bool", "Choice", "ListOf", "image_spec", "validate_block",
           "quick_values", "NO_QUICK"]

#: Marks a spec without a quick value.
NO_QUICK = object()


class ParamError(ValueError):
    """A parameter file or block is invalid; the message is one line."""


@dataclass(frozen=True)
class Spec:
    """One parameter: a ``kind`` and its constraints.

    ``kind`` is one of ``int``, ``float``, ``bool``, ``str``, ``choice``, ``list``.
    ``low``/``high`` bound numbers (``*_open`` makes the bound strict);
    ``choices`` lists allowed values; ``item`` is the spec of list items;
    ``min_len``/``max_len`` bound list lengths; ``unique`` refuses a repeated list item (a
    table row twice, a grid value swept twice); ``nullable`` allows ``null``;
    ``quick`` is the value of a quick run (see :func:`quick_values`).
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
    unique: bool = False
    nullable: bool = False
    quick: Any = NO_QUICK

    def describe(self, key: str) -> str:
        """Human description of what is allowed."""
        if self.kind == "choice":
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        elif self.kind == "list":
            size = f"at least {self.min_len}" if self.max_len is None else (
                f"{self.min_len}" if self.min_len == self.max_len else f"{self.min_len} to {self.max_len}")
            text = f"a list of {size} {'distinct ' if self.unique else ''}items, each {self.item.describe('item')}"
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
            items = [self.item.check(f"{key}[{i}]", v, root) for i, v in enumerate(value)]
            if self.unique:
                for i, v in enumerate(items):
                    if v in items[:i]:
                        raise bad(f"{key}[{i}]={value[i]!r} repeats {key}[{items.index(v)}]: expected "
                                  "distinct items")
            return items
        raise AssertionError(f"unknown spec kind {self.kind!r}")


def Int(low=None, high=None, **kw) -> Spec:
    return Spec("int", low=low, high=high, **kw)


def Float(low=None, high=None, **kw) -> Spec:
    return Spec("float", low=low, high=high, **kw)


def Bool(**kw) -> Spec:
    return Spec("bool", **kw)


def Choice(*choices, **kw) -> Spec:
    return Spec("choice", choices=tuple(choices), **kw)


def ListOf(item: Spec, min_len: int = 1, max_len: int | None = None, **kw) -> Spec:
    """A list spec; ``unique=True`` refuses repeated items."""
    return Spec("list", item=item, min_len=min_len, max_len=max_len, **kw)


def quick_values(schema: dict[str, Spec], name: str = "schema") -> dict:
    """``{key: spec.quick}`` for every key of ``schema`` (a fresh copy of list values).

    Raises :class:`ValueError` naming the first key without a quick value.
    """
    out = {}
    for key, spec in schema.items():
        if spec.quick is NO_QUICK:
            raise ValueError(f"{name}.{key} has no quick value: expected Spec(..., quick=...)")
        out[key] = list(spec.quick) if isinstance(spec.quick, (list, tuple)) else spec.quick
    return out


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


@dataclass(frozen=True)
class _ImageSpec(Spec):
    """Parameter spec of an image source: a packaged name or a PNG/JPEG path."""

    def describe(self, key: str) -> str:
        return ("one of the packaged images " + ", ".join(_images.available_images())
                + f", or a path to a {'/'.join(_images.IMAGE_SUFFIXES)} file")

    def check(self, key: str, value: Any, root: Path) -> Any:
        if not isinstance(value, str) or not value:
            raise ParamError(f"{key}={value!r} is not allowed: expected {self.describe(key)}")
        source, reason = _images._source_problem(value, root)
        if reason is None and source not in _images.PACKAGED_IMAGES:
            reason = _images._decode_problem(source)  # a corrupt file fails here, before any computation
        if reason is not None:
            raise ParamError(f"{key}={value!r} is not allowed: {reason}")
        return source


def image_spec(**kw) -> Spec:
    """Schema entry for an image parameter.

    Accepts a packaged name or a path (relative to the repository root) to an
    existing PNG/JPEG file that decodes; paths are returned absolute.
    """
    return _ImageSpec("str", **kw)

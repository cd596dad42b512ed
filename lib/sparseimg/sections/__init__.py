"""Registry of the workspace's sections: name → notebook and parameter schema.

Each section module defines ``NOTEBOOK`` (path relative to the repository root)
and ``SCHEMA`` (a mapping key -> :class:`sparseimg.params.Spec`). Adding a section
is adding a module and one line to ``_MODULES``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from ..params import COMMON_SCHEMA, ParamError, Spec

__all__ = ["Section", "SECTIONS", "get_section"]

_MODULES = ("sparse_coding", "deblurring", "inpainting")


@dataclass(frozen=True)
class Section:
    name: str
    notebook: str
    schema: dict[str, Spec]
    title: str

    @property
    def full_schema(self) -> dict[str, Spec]:
        """Section keys plus the ``common`` keys the runner injects."""
        return {**self.schema, **COMMON_SCHEMA}


def _load(name: str) -> Section:
    mod = importlib.import_module(f"{__name__}.{name}")
    return Section(name=name, notebook=mod.NOTEBOOK, schema=mod.SCHEMA, title=mod.TITLE)


SECTIONS: dict[str, Section] = {name: _load(name) for name in _MODULES}


def get_section(name: str) -> Section:
    """The registered section ``name`` or a :class:`ParamError` listing the known ones."""
    if name not in SECTIONS:
        raise ParamError(f"section={name!r} is not allowed: expected one of " + ", ".join(SECTIONS))
    return SECTIONS[name]

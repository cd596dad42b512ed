"""Registry of the workspace's sections: name → notebook, parameter schema, rules, headline.

Each section module defines

- ``TITLE`` and ``NOTEBOOK`` (path relative to the repository root);
- ``SCHEMA``: a mapping key -> :class:`sparseimg.workspace.params.Spec` (each with
  its ``quick`` value);
- ``BLOCK`` (optional): the ``params.yaml`` block it reads, when not its own name. The notebooks of one
  part share a block (03_wavelets and 03a_wavelet_deblurring read ``wavelets``; 03b_lista, 03b_unfolding and
  03c read ``unfolding``): each takes the keys of its own schema from it, and a key no sharing section knows
  fails for all of them;
- ``RULES`` (optional): functions ``rule(block) -> None`` checking several keys at
  once on the validated block, raising :class:`ParamError` with one line naming the
  keys, their values and what is allowed;
- ``HEADLINE`` (optional): ``{headline_key: {"path": path, "label": name, "unit": unit}}`` (or the bare
  path), a path being a tuple of keys into the section's metrics JSON. A path element may also be a
  function ``node -> key`` (for example "the middle proportion"), named by its ``__name__`` in
  messages. The label and unit (``""``: none) name the number in the report: one place per section;
- ``KEEP_FREED_MEMORY`` (optional, default True): False keeps glibc's own heap policy in the section's
  kernel instead of :mod:`sparseimg.workspace.heap`'s (a section that reports resident memory).

Adding a section is adding a module and one line to ``_MODULES``.
"""

from __future__ import annotations

import importlib
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable

from sparseimg.workspace.params import COMMON_SCHEMA

from sparseimg.schema import ParamError, Spec, quick_values

__all__ = ["Section", "SECTIONS", "get_section", "HeadlineError", "extract_headline"]

_MODULES = ("sparse_coding", "large_images", "deblurring", "wavelets", "wavelet_deblurring", "lista", "unfolding",
            "winnet", "inpainting", "generation")


class HeadlineError(ValueError):
    """A headline path does not lead to a number in a section's metrics (one line)."""


def _path_text(path) -> str:
    return " -> ".join(getattr(p, "__name__", None) or repr(p) for p in path)


def extract_headline(section: str, headline: dict[str, tuple], metrics: dict) -> dict:
    """``{headline_key: number}`` read from ``metrics`` along each path of ``headline``.

    A missing key or a value that is not a number (``null`` is allowed: a NaN the
    reporter stored) raises :class:`HeadlineError` naming the section and the path,
    so that a renamed metrics key cannot silently drop a headline number.
    """
    out = {}
    for key, path in headline.items():
        if isinstance(path, dict):  # a HEADLINE entry as declared: {"path": ..., "label": ..., "unit": ...}
            path = tuple(path["path"])
        node: Any = metrics
        for step in path:
            name = step(node) if callable(step) and isinstance(node, dict) else step
            if not isinstance(node, dict) or name not in node:
                raise HeadlineError(f"{section}: headline {key} path {_path_text(path)} not found in "
                                    f"metrics/{section}.json (no key {name!r}; keys there: "
                                    + (", ".join(map(repr, node)) if isinstance(node, dict) else "none") + ")")
            node = node[name]
        if node is not None and (isinstance(node, bool) or not isinstance(node, numbers.Real)):
            raise HeadlineError(f"{section}: headline {key} path {_path_text(path)} is {node!r} in "
                                f"metrics/{section}.json: expected a number")
        out[key] = node
    return out


@dataclass(frozen=True)
class Section:
    name: str
    notebook: str
    schema: dict[str, Spec]
    title: str
    rules: tuple[Callable[[dict], None], ...] = ()
    headline: dict[str, tuple] = field(default_factory=dict)
    module: str = ""
    #: ``{headline_key: (readable name, unit)}`` (the report's headline rows)
    headline_labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: the ``params.yaml`` block read (``""``: the section's name)
    block: str = ""
    #: the kernel keeps freed memory for reuse (:mod:`sparseimg.workspace.heap`)
    keep_freed_memory: bool = True

    @property
    def params_block(self) -> str:
        """Name of the ``params.yaml`` block this section reads."""
        return self.block or self.name

    @property
    def full_schema(self) -> dict[str, Spec]:
        """Section keys plus the ``common`` keys the runner injects."""
        return {**self.schema, **COMMON_SCHEMA}

    def quick_params(self) -> dict:
        """The section's block at its quick values (what the notebook's ``parameters`` cell holds)."""
        return quick_values(self.schema, self.name)

    def check_rules(self, block: dict) -> None:
        """Apply the cross-field :attr:`rules` to a validated block (first failure raises)."""
        for rule in self.rules:
            rule(block)

    def headline_values(self, metrics: dict) -> dict:
        """The headline numbers of ``metrics`` (see :func:`extract_headline`)."""
        return extract_headline(self.name, self.headline, metrics)


def _load(name: str) -> Section:
    mod = importlib.import_module(f"{__name__}.{name}")
    declared = dict(getattr(mod, "HEADLINE", {}))
    paths = {k: tuple(v["path"]) if isinstance(v, dict) else tuple(v) for k, v in declared.items()}
    labels = {k: (v.get("label", k), v.get("unit", "")) if isinstance(v, dict) else (k, "")
              for k, v in declared.items()}
    return Section(name=name, notebook=mod.NOTEBOOK, schema=mod.SCHEMA, title=mod.TITLE,
                   rules=tuple(getattr(mod, "RULES", ())), headline=paths, headline_labels=labels,
                   module=mod.__name__, block=getattr(mod, "BLOCK", ""),
                   keep_freed_memory=bool(getattr(mod, "KEEP_FREED_MEMORY", True)))


SECTIONS: dict[str, Section] = {name: _load(name) for name in _MODULES}


def get_section(name: str) -> Section:
    """The registered section ``name`` or a :class:`ParamError` listing the known ones."""
    if name not in SECTIONS:
        raise ParamError(f"section={name!r} is not allowed: expected one of " + ", ".join(SECTIONS))
    return SECTIONS[name]

"""Every public function and method of the documented modules carries numpydoc sections.

Rule, checked statically with :mod:`ast` (nothing is imported, so it runs in well under a second):
module-level functions and the methods of module-level classes whose names do not start with ``_``
(``@property`` — setters and deleters included — and ``@overload`` functions skipped) need a docstring, with

* a ``Parameters`` section (``Parameters`` over a line of dashes) when they take any parameter other
  than ``self`` / ``cls``;
* a ``Returns`` section when a ``return <value>`` with a value other than ``None`` appears in their own
  body (nested functions, lambdas and classes not counted);
* a ``Yields`` (or ``Returns``) section when they are generators (``yield`` in their own body).

Nested functions and dataclass-generated methods (absent from the source) are exempt.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import re
from pathlib import Path

import pytest

#: The package that ``import sparseimg`` would load (located without importing it: fast).
PACKAGE = Path(importlib.util.find_spec("sparseimg").origin).resolve().parent

MODULES = sorted(str(p.relative_to(PACKAGE)) for p in (PACKAGE / "experiments").glob("*.py")) + [
    "operators/lifting.py",
    "learn/unfolding.py",
    "optim/prox.py",
]

#: Properties (their getters, setters and deleters) need only a description; overloads are stubs.
SKIPPED_DECORATORS = {"property", "cached_property", "setter", "deleter", "overload"}


def _section(doc: str, name: str) -> bool:
    """Whether the cleaned docstring ``doc`` has a numpydoc section ``name`` (title over dashes)."""
    return re.search(rf"^[ \t]*{name}[ \t]*\n[ \t]*-{{{len(name)},}}[ \t]*$", doc, re.MULTILINE) is not None


def _decorator_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = set()
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, ast.Attribute):
            names.add(target.attr)  # typing.overload, functools.cached_property, @x.setter
    return names


def _own_nodes(node: ast.AST):
    """The nodes of a function's own body: nested functions, lambdas and classes not entered."""
    stack = list(ast.iter_child_nodes(node))
    while stack:
        child = stack.pop()
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        yield child
        stack.extend(ast.iter_child_nodes(child))


def _returns_value(node) -> bool:
    return any(isinstance(n, ast.Return) and n.value is not None
               and not (isinstance(n.value, ast.Constant) and n.value.value is None)
               for n in _own_nodes(node))


def _is_generator(node) -> bool:
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _own_nodes(node))


def _takes_parameters(node) -> bool:
    a = node.args
    names = [arg.arg for arg in a.posonlyargs + a.args + a.kwonlyargs]
    names += [arg.arg for arg in (a.vararg, a.kwarg) if arg is not None]
    return any(name not in ("self", "cls") for name in names)


def _public_functions(tree: ast.Module):
    """``(qualified name, node)`` for the module's public functions and public classes' public methods."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield f"{node.name}.{item.name}", item


def missing_sections(source: str) -> list[str]:
    """``"name: what is missing"`` for every public function of ``source`` that breaks the rule."""
    problems = []
    for name, node in _public_functions(ast.parse(source)):
        if node.name.startswith("_") or _decorator_names(node) & SKIPPED_DECORATORS:
            continue
        raw = ast.get_docstring(node, clean=False)
        if raw is None:
            problems.append(f"{name}: no docstring")
            continue
        doc = inspect.cleandoc(raw)
        missing = []
        if _takes_parameters(node) and not _section(doc, "Parameters"):
            missing.append("Parameters")
        if _is_generator(node):
            if not (_section(doc, "Yields") or _section(doc, "Returns")):
                missing.append("Yields")
        elif _returns_value(node) and not _section(doc, "Returns"):
            missing.append("Returns")
        if missing:
            problems.append(f"{name}: no {' / '.join(missing)}")
    return problems


@pytest.mark.parametrize("module", MODULES)
def test_numpydoc_sections(module):
    problems = missing_sections((PACKAGE / module).read_text(encoding="utf-8"))
    assert not problems, f"{module}: {len(problems)} public function(s) without their numpydoc sections:\n  " \
                         + "\n  ".join(problems)


def test_rule_itself():
    """The checker catches what it should and lets the exempt cases through."""
    source = '''
def ok(a):
    """Summary.

    Parameters
    ----------
    a : int
        A.

    Returns
    -------
    int
        A.
    """
    return a

def no_params(a):
    """Summary."""

def no_returns():
    """Summary."""
    def inner():
        return 1
    return 2

def nested_only():
    """Summary (the value is the nested function's)."""
    def inner():
        return 1
    inner()
    return None

def gen():
    """Summary."""
    yield 1

def _private(a):
    return a

def undocumented():
    pass

class Thing:
    def method(self):
        """Summary."""
        return None

    @property
    def value(self):
        """A description is enough."""
        return 1

    @value.setter
    def value(self, new):
        """A description is enough."""

    @classmethod
    def make(cls, x):
        """Summary.

        Parameters
        ----------
        x : int
            X.
        """

    def _hidden(self, y):
        return y

class _Private:
    def method(self, z):
        return z
'''
    assert missing_sections(source) == ["no_params: no Parameters", "no_returns: no Returns", "gen: no Yields",
                                        "undocumented: no docstring"]

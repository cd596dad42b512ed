"""The ``deps:`` lists of ``dvc.yaml``, computed from what the code imports.

A stage depends on the library modules its code can run: the closure of the
``sparseimg`` modules imported (at any depth, lazily inside functions included) by

- a section stage (``python -m sparseimg run <section>``): the code cells of the
  section's notebook, plus the runner and the section's schema module;
- a benchmark stage (``python benchmarks/<name>.py ...``): the script;
- a training stage (``python -m sparseimg train <model>``): :mod:`sparseimg.workspace.train` and
  the model's training module (:data:`sparseimg.workspace.train.MODELS`), nothing else;
- the report stage (``python -m sparseimg report``): the report module, plus every
  section's schema module (the report walks the registry).

Importing ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` too, so those are in
the closure. ``python -m sparseimg deps`` rewrites each such stage's list as its
non-library deps (the code fingerprint ``build/code/NN_<section>.json``, the
benchmark script, anything else not under ``lib/``, in their order) followed by the
closure, sorted; ``--check`` only compares. The rewrite is text surgery on the
``deps:`` blocks, so comments and layout elsewhere in ``dvc.yaml`` survive.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import yaml

__all__ = ["module_file", "imported_modules", "closure", "notebook_code_source", "stage_deps",
           "expected_deps", "rewrite_deps", "check_deps", "update_deps", "DepsError"]

PACKAGE = __package__.split(".")[0]  # "sparseimg"
WORKSPACE = __package__  # "sparseimg.workspace"

_SECTION_CMD = re.compile(rf"^python -m {PACKAGE} run (\w+)\b")
_REPORT_CMD = re.compile(rf"^python -m {PACKAGE} report\b")
_TRAIN_CMD = re.compile(r"^python -m sparseimg train (\w+)\b")
_SCRIPT_CMD = re.compile(r"^python (\S+\.py)\b")


class DepsError(ValueError):
    """``dvc.yaml`` cannot be read or disagrees with the imports (one line)."""


def module_file(module: str, lib: Path) -> Path:
    """File of ``module`` under ``lib`` (a package's ``__init__.py``); it may not exist."""
    base = Path(lib, *module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _lazy_exports(package: str, lib: Path) -> dict[str, str]:
    """``name -> submodule`` of a package whose ``__init__`` re-exports lazily through a
    module-level ``_EXPORTS = {...}`` dict (as ``sparseimg/__init__.py`` does)."""
    init = Path(lib, *package.split(".")) / "__init__.py"
    if not init.is_file():
        return {}
    for node in ast.parse(init.read_text()).body:
        if (isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Dict)
                and any(isinstance(t, ast.Name) and t.id == "_EXPORTS"
                        for t in (node.targets if isinstance(node, ast.Assign) else [node.target]))):
            return {k.value: v.value for k, v in zip(node.value.keys, node.value.values)
                    if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)}
    return {}


def _lazy_target(module: str, name: str, lib: Path) -> str:
    """The module that defines ``name`` when ``module`` is itself a package re-exporting it lazily (followed
    down: ``sparseimg.FourierConvolution`` -> ``sparseimg.operators`` -> ``sparseimg.operators.fourier``)."""
    for _ in range(8):
        lazy = _lazy_exports(module, lib)
        if name not in lazy:
            return module
        module = f"{module}.{lazy[name]}"
    return module


def imported_modules(source: str, package: str, lib: Path, *, unresolved: set | None = None) -> set[str]:
    """``sparseimg`` modules that ``source`` (code of a module in ``package``) imports.

    ``from sparseimg import csc`` imports the module ``sparseimg.csc``; relative imports
    are resolved against ``package``. Names of modules that do not exist under ``lib``
    are added to ``unresolved`` when given.
    """
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base.split(".")[0] != PACKAGE:
                continue
            found.add(base)
            lazy = _lazy_exports(base, lib)
            for alias in node.names:
                if module_file(f"{base}.{alias.name}", lib).exists():
                    found.add(f"{base}.{alias.name}")
                elif alias.name in lazy:  # a name the package loads on first use (PEP 562)
                    found.add(_lazy_target(f"{base}.{lazy[alias.name]}", alias.name, lib))
    if unresolved is not None:
        unresolved |= {m for m in found if not module_file(m, lib).exists()}
    return found


def closure(modules, lib: Path, *, unresolved: set | None = None,
            parsed: dict[Path, set[str]] | None = None) -> set[Path]:
    """Files of ``modules`` and of everything they import, transitively (parents' ``__init__`` too).

    ``parsed`` (optional) maps a file to the modules it imports; it is filled as files are read, so
    one dict shared by several calls (one per stage, :func:`expected_deps`) parses each file once.
    """
    parsed = {} if parsed is None else parsed
    seen: set[Path] = set()
    todo = list(modules)
    while todo:
        mod = todo.pop()
        path = module_file(mod, lib)
        if path in seen:
            continue
        if not path.exists():
            if unresolved is not None:
                unresolved.add(mod)
            continue
        seen.add(path)
        parts = mod.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        if path not in parsed:
            pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
            parsed[path] = imported_modules(path.read_text(), pkg, lib)
        todo.extend(parsed[path])
    return seen


def notebook_code_source(path) -> str:
    """The code cells of a notebook, IPython magics and shell lines dropped."""
    try:
        nb = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise DepsError(f"notebook={str(path)!r} cannot be read: {exc}") from None
    code = "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                     for c in nb.get("cells", []) if c.get("cell_type") == "code")
    return "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))


def _rel(paths, root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in paths)


def stage_deps(root, stage: dict, *, unresolved: set | None = None,
               parsed: dict[Path, set[str]] | None = None) -> tuple[list[str], list[str]] | None:
    """``(required non-library deps, library deps)`` of a stage, or None if it is not managed here
    (``parsed``: see :func:`closure`)."""
    from sparseimg.workspace.sections import SECTIONS

    root = Path(root).resolve()
    lib = root / "lib"
    cmd = " ".join(str(stage.get("cmd", "")).split())
    if m := _SECTION_CMD.match(cmd):
        if m.group(1) not in SECTIONS:
            raise DepsError(f"dvc.yaml: cmd {cmd!r} runs section {m.group(1)!r}: expected one of "
                            + ", ".join(SECTIONS))
        sec = SECTIONS[m.group(1)]
        source = notebook_code_source(root / sec.notebook)
        modules = imported_modules(source, PACKAGE, lib, unresolved=unresolved)
        modules |= {f"{WORKSPACE}.runner", sec.module}
        required = [f"build/code/{Path(sec.notebook).stem}.json"]
    elif m := _TRAIN_CMD.match(cmd):
        from sparseimg.workspace.train import trainable_models

        models = trainable_models()
        if m.group(1) not in models:
            raise DepsError(f"dvc.yaml: cmd {cmd!r} trains {m.group(1)!r}: expected one of " + ", ".join(models))
        _section, module = models[m.group(1)]
        modules = {f"{WORKSPACE}.train", module}  # the training code alone (no section registry)
        required = []
    elif _REPORT_CMD.match(cmd):
        modules = {f"{WORKSPACE}.report"} | {sec.module for sec in SECTIONS.values()}
        required = []
    elif m := _SCRIPT_CMD.match(cmd):
        script = root / m.group(1)
        try:
            source = script.read_text()
        except OSError:
            raise DepsError(f"dvc.yaml: cmd {cmd!r} runs {m.group(1)}, which cannot be read") from None
        modules = imported_modules(source, PACKAGE, lib, unresolved=unresolved)
        required = [m.group(1)]
    else:
        return None
    return required, _rel(closure(modules, lib, unresolved=unresolved, parsed=parsed), root)


def expected_deps(root=".", *, unresolved: set | None = None) -> dict[str, list[str]]:
    """``{stage: deps}`` for every managed stage of ``root/dvc.yaml``."""
    root = Path(root)
    try:
        stages = yaml.safe_load((root / "dvc.yaml").read_text())["stages"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise DepsError(f"dvc.yaml: cannot be read as a DVC pipeline ({exc})") from None
    out, parsed = {}, {}  # each library file parsed once for all stages
    for name, stage in stages.items():
        if not isinstance(stage, dict) or "cmd" not in stage:
            continue  # foreach/matrix templates
        found = stage_deps(root, stage, unresolved=unresolved, parsed=parsed)
        if found is None:
            continue
        required, library = found
        current = [str(d) for d in stage.get("deps") or []]
        others = [d for d in current if not d.startswith("lib/") and d not in required]
        out[name] = required + others + library
    return out


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str) -> bool:
    return bool(line.strip()) and not line.lstrip().startswith("#")


def rewrite_deps(text: str, deps: dict[str, list[str]]) -> str:
    """``dvc.yaml`` text with the ``deps:`` list of each stage in ``deps`` replaced."""
    lines = text.split("\n")
    top = next((i for i, ln in enumerate(lines) if re.match(r"^stages:\s*(#.*)?$", ln)), None)
    if top is None:
        raise DepsError("dvc.yaml: no top-level 'stages:' key")
    for name, items in deps.items():
        head = next((i for i in range(top + 1, len(lines))
                     if re.match(rf"^\s+{re.escape(name)}:\s*(#.*)?$", lines[i]) and _indent(lines[i]) > 0), None)
        if head is None:
            raise DepsError(f"dvc.yaml: stage {name!r} not found")
        stage_indent = _indent(lines[head])
        end = next((i for i in range(head + 1, len(lines))
                    if _is_content(lines[i]) and _indent(lines[i]) <= stage_indent), len(lines))
        body = range(head + 1, end)
        key_indent = min((_indent(lines[i]) for i in body if _is_content(lines[i])), default=stage_indent + 2)
        deps_at = next((i for i in body if _indent(lines[i]) == key_indent
                        and re.match(r"^\s*deps:\s*(#.*)?$", lines[i])), None)
        if deps_at is None:  # no deps yet: a new key right after cmd
            cmd_at = next((i for i in body if re.match(r"^\s*cmd:", lines[i])), head)
            lines.insert(cmd_at + 1, " " * key_indent + "deps:")
            deps_at, stop = cmd_at + 1, cmd_at + 2
        else:
            stop = deps_at + 1
            for i in range(deps_at + 1, end):
                if not _is_content(lines[i]):
                    continue
                ind = _indent(lines[i])
                if ind > key_indent or (ind == key_indent and lines[i].lstrip().startswith("- ")):
                    stop = i + 1
                else:
                    break
        old_items = [lines[i] for i in range(deps_at + 1, stop) if lines[i].lstrip().startswith("- ")]
        item_indent = _indent(old_items[0]) if old_items else key_indent + 2
        lines[deps_at + 1:stop] = [" " * item_indent + f"- {d}" for d in items]
    return "\n".join(lines)


def check_deps(root=".", *, unresolved: set | None = None) -> str | None:
    """None when every managed stage declares exactly its deps, else a one-line difference."""
    root = Path(root)
    expected = expected_deps(root, unresolved=unresolved)
    current = yaml.safe_load((root / "dvc.yaml").read_text())["stages"]
    problems = []
    for name, want in expected.items():
        have = [str(d) for d in current[name].get("deps") or []]
        if have == want:
            continue
        missing = [d for d in want if d not in have]
        extra = [d for d in have if d not in want]
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"extra {', '.join(extra)}"] if extra else []) or ["order differs"]
        problems.append(f"stage {name}: " + "; ".join(parts))
    if not problems:
        return None
    return ("dvc.yaml deps differ from the imports: " + " | ".join(problems)
            + " (run `python -m sparseimg deps` to rewrite them)")


def update_deps(root=".", *, unresolved: set | None = None) -> list[str]:
    """Rewrite the managed ``deps:`` lists of ``root/dvc.yaml``; returns the stages changed."""
    root = Path(root)
    path = root / "dvc.yaml"
    expected = expected_deps(root, unresolved=unresolved)
    current = yaml.safe_load(path.read_text())["stages"]
    changed = [n for n, want in expected.items() if [str(d) for d in current[n].get("deps") or []] != want]
    if changed:
        text = rewrite_deps(path.read_text(), {n: expected[n] for n in changed})
        if yaml.safe_load(text)["stages"] != {**current, **{n: {**current[n], "deps": expected[n]}
                                                             for n in changed}}:
            raise DepsError("dvc.yaml: rewriting the deps lists would change more than the deps (left as is)")
        path.write_text(text)
    return changed

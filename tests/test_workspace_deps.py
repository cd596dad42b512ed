"""`python -m sparseimg deps`: the closure of imports, written into dvc.yaml by text surgery."""

import textwrap
from pathlib import Path

import yaml

from sparseimg.workspace.cli import main
from sparseimg.workspace.deps import closure, imported_modules, rewrite_deps

ROOT = Path(__file__).resolve().parents[1]


def _lib(tmp_path):
    pkg = tmp_path / "lib" / "sparseimg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .sub.c import g  # lazy import counts\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "c.py").write_text("import numpy\nfrom ..d import x\n")
    (pkg / "d.py").write_text("")
    (pkg / "unused.py").write_text("")
    return tmp_path / "lib"


def test_closure_follows_relative_lazy_and_package_imports(tmp_path):
    lib = _lib(tmp_path)
    missing = set()
    mods = imported_modules("from sparseimg import a\nimport sparseimg.gone\n", "sparseimg", lib, unresolved=missing)
    files = {p.relative_to(lib).as_posix() for p in closure(mods, lib)}
    assert files == {"sparseimg/__init__.py", "sparseimg/a.py", "sparseimg/b.py", "sparseimg/sub/__init__.py",
                     "sparseimg/sub/c.py", "sparseimg/d.py"}
    assert missing == {"sparseimg.gone"}


def test_closure_with_a_shared_parse_cache_gives_the_same_files_and_reads_each_file_once(tmp_path, monkeypatch):
    lib = _lib(tmp_path)
    mods = imported_modules("from sparseimg import a\n", "sparseimg", lib)
    parsed = {}
    first = closure(mods, lib, parsed=parsed)
    assert first == closure(mods, lib) and set(parsed) == first  # every file of the closure, parsed
    reads = []
    real = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: reads.append(self) or real(self, *a, **k))
    assert closure({"sparseimg.b"}, lib, parsed=parsed) == {p for p in first if p.name != "a.py"}
    assert reads == []  # the second stage's closure re-parses nothing


def test_rewrite_keeps_comments_and_other_keys():
    text = textwrap.dedent("""\
        # top comment
        stages:
          one:
            cmd: python benchmarks/x.py  # run it
            deps:
              - benchmarks/x.py
              # stale comment inside the list
              - lib/sparseimg/old.py
            params:
              - common
            outs:
              - out.csv

          two:
            cmd: echo
        """)
    new = rewrite_deps(text, {"one": ["benchmarks/x.py", "lib/sparseimg/a.py"], "two": ["lib/sparseimg/b.py"]})
    assert new.startswith("# top comment\n") and "cmd: python benchmarks/x.py  # run it" in new
    data = yaml.safe_load(new)["stages"]
    assert data["one"] == {"cmd": "python benchmarks/x.py", "deps": ["benchmarks/x.py", "lib/sparseimg/a.py"],
                           "params": ["common"], "outs": ["out.csv"]}
    assert data["two"] == {"cmd": "echo", "deps": ["lib/sparseimg/b.py"]}


def test_check_reports_a_stale_list_in_one_line_and_rewrite_fixes_it(tmp_path, capsys):
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "x.py").write_text("from sparseimg import a\n")
    _lib(tmp_path)
    (tmp_path / "dvc.yaml").write_text(textwrap.dedent("""\
        stages:
          bench:  # keep me
            cmd: python benchmarks/x.py --output-dir reports
            deps:
              - benchmarks/x.py
              - lib/sparseimg/a.py
              - lib/sparseimg/unused.py
        """))
    assert main(["deps", "--check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "stage bench: missing lib/sparseimg/__init__.py" in err[0]
    assert "extra lib/sparseimg/unused.py" in err[0]
    assert main(["deps", "--root", str(tmp_path)]) == 0
    text = (tmp_path / "dvc.yaml").read_text()
    assert "bench:  # keep me" in text
    assert yaml.safe_load(text)["stages"]["bench"]["deps"] == [
        "benchmarks/x.py", "lib/sparseimg/__init__.py", "lib/sparseimg/a.py", "lib/sparseimg/b.py",
        "lib/sparseimg/d.py", "lib/sparseimg/sub/__init__.py", "lib/sparseimg/sub/c.py"]
    assert main(["deps", "--check", "--root", str(tmp_path)]) == 0


def test_names_the_package_exports_lazily_count_as_their_modules():
    from sparseimg.workspace.deps import closure, imported_modules

    lib = ROOT / "lib"
    found = imported_modules("from sparseimg import psnr, FourierConvolution\n", "sparseimg", lib)
    assert {"sparseimg.metrics", "sparseimg.operators.fourier"} <= found
    files = {p.relative_to(lib).as_posix() for p in closure(found, lib)}
    assert {"sparseimg/metrics.py", "sparseimg/operators/__init__.py", "sparseimg/operators/fourier.py"} <= files
    # operators/ loads its classes lazily too: a name is followed down to the module that defines it, and the
    # operators a stage does not use stay out of its deps
    found = imported_modules("from sparseimg.operators import WaveletTransform\n", "sparseimg", lib)
    files = {p.relative_to(lib).as_posix() for p in closure(found, lib)}
    assert "sparseimg/operators/lifting.py" in files and "sparseimg/operators/dct.py" not in files

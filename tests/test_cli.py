"""Bad parameters fail fast: exit status 2, one line naming the key, the value and what is allowed,
before any computation, and the previous reports are left untouched."""

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def workspace(tmp_path):
    """A minimal copy: params.yaml, the notebooks, and pre-existing reports to protect."""
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    reports = tmp_path / "reports"
    (reports / "metrics").mkdir(parents=True)
    (reports / "metrics" / "sparse_coding.json").write_text('{"previous": true}\n')
    (reports / "figures" / "sparse_coding").mkdir(parents=True)
    (reports / "figures" / "sparse_coding" / "image.png").write_bytes(b"previous figure")
    return tmp_path


def _snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "reports").rglob("*")) if p.is_file() and ".staging" not in p.parts}


def _run(workspace, *args):
    """The real command line, in a subprocess (slow to start: used where the process matters)."""
    return subprocess.run([sys.executable, "-m", "sparseimg", *args], cwd=workspace, capture_output=True,
                          text=True, timeout=300)


class _Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def _main(workspace, monkeypatch, capsys, *args):
    """The same entry point in-process (fast): exit status and captured streams."""
    from sparseimg.workspace.cli import main
    monkeypatch.chdir(workspace)
    code = main(list(args))
    out, err = capsys.readouterr()
    return _Result(code, out, err)


def _edit(workspace, section, key, value):
    params = yaml.safe_load((workspace / "params.yaml").read_text())
    if key is None:
        del params[section]
    else:
        params[section][key] = value
    (workspace / "params.yaml").write_text(yaml.safe_dump(params))


CASES = [
    # (section, key, value, expected fragments)
    ("sparse_coding", "rho", "a lot", ["sparse_coding.rho='a lot'", "0 < rho < 1"]),            # wrong type
    ("sparse_coding", "rho", 1.5, ["sparse_coding.rho=1.5", "0 < rho < 1"]),                   # out of range
    ("sparse_coding", "n_iter", 2.5, ["sparse_coding.n_iter=2.5", "an integer"]),               # float for int
    ("sparse_coding", "size", True, ["sparse_coding.size=True", "an integer"]),                 # bool for int
    ("sparse_coding", "dtype", "float16", ["sparse_coding.dtype='float16'", "'float64', 'float32'"]),
    ("sparse_coding", "noise_levels", [0.1], ["sparse_coding.noise_levels=[0.1]", "at least 2"]),
    ("sparse_coding", "noise_levels", [0.1, -1.0], ["sparse_coding.noise_levels[1]=-1.0", "0 < noise_levels[1]"]),
    ("sparse_coding", "lamda", 0.1, ["sparse_coding.lamda is not a known parameter", "allowed keys are"]),
    ("sparse_coding", None, None, ["section 'sparse_coding' is missing", "expected a mapping"]),
    ("common", "dpi", 10, ["common.dpi=10", "50 <= dpi <= 300"]),
]


@pytest.mark.parametrize("section, key, value, fragments", CASES)
def test_bad_parameter_fails_fast_and_leaves_reports(workspace, monkeypatch, capsys, section, key, value, fragments):
    _edit(workspace, section, key, value)
    before = _snapshot(workspace)
    res = _main(workspace, monkeypatch, capsys, "run", "sparse_coding")
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert _snapshot(workspace) == before
    assert not (workspace / "reports" / ".staging").exists()  # nothing started


def test_unreadable_params_file(workspace):
    """Through the real command line: exit status 2 and exactly one line on stderr."""
    (workspace / "params.yaml").write_text("sparse_coding: [unclosed\n")
    res = _run(workspace, "run", "sparse_coding")
    assert res.returncode == 2 and "is not valid YAML" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_missing_params_file(workspace, monkeypatch, capsys):
    res = _main(workspace, monkeypatch, capsys, "run", "sparse_coding", "--params", "nowhere.yaml")
    assert res.returncode == 2 and "nowhere.yaml: cannot be read" in res.stderr


def test_unknown_section(workspace, monkeypatch, capsys):
    res = _main(workspace, monkeypatch, capsys, "run", "deconvolution")
    assert res.returncode == 2 and "section='deconvolution' is not allowed: expected one of" in res.stderr


def test_unreadable_notebook(workspace, monkeypatch, capsys):
    (workspace / "notebooks" / "01_sparse_coding.ipynb").write_text("{not json")
    before = _snapshot(workspace)
    res = _main(workspace, monkeypatch, capsys, "run", "sparse_coding")
    assert res.returncode == 2 and "cannot be read" in res.stderr
    assert _snapshot(workspace) == before


def test_validate_accepts_the_committed_params(monkeypatch, capsys):
    res = _main(ROOT, monkeypatch, capsys, "validate")
    assert res.returncode == 0, res.stderr
    assert "sparse_coding: parameters OK" in res.stdout


def test_failing_notebook_leaves_reports_untouched(workspace):
    """A notebook that fails mid-way (here: an impossible kernel) does not touch reports/."""
    nb = workspace / "notebooks" / "01_sparse_coding.ipynb"
    text = nb.read_text()
    marker = "envelope = motion_cloud_envelope(shape, sf_0=sf_0, B_sf=B_sf)"
    assert marker in text
    nb.write_text(text.replace(marker, "raise RuntimeError('boom')  # injected failure", 1))
    _edit(workspace, "sparse_coding", "size", 64)  # keep it short: fail happens after the events cell
    before = _snapshot(workspace)
    res = _run(workspace, "run", "sparse_coding")
    assert res.returncode == 1, res.stderr
    assert "RuntimeError: boom" in res.stderr and "reports left untouched" in res.stderr
    assert _snapshot(workspace) == before

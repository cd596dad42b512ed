"""`make lab` opens JupyterLab without any network pop-up: no news feed, no update check."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = "@jupyterlab/apputils-extension:notification"


def test_overrides_are_where_jupyterlab_reads_them():
    """JupyterLab's own loader finds fetchNews=false and checkForUpdates=false in this environment
    (`make setup` writes <sys.prefix>/share/jupyter/lab/settings/overrides.json)."""
    pytest.importorskip("jupyterlab")
    from jupyterlab.commands import get_app_dir
    from jupyterlab_server.settings_utils import _get_overrides

    overrides, error = _get_overrides(str(Path(get_app_dir()) / "settings"))
    assert not error, error
    assert overrides.get(PLUGIN, {}).get("fetchNews") == "false", "run `make setup` (writes the overrides)"
    assert overrides[PLUGIN].get("checkForUpdates") is False


def test_make_lab_flags_turn_the_server_side_off():
    """The flags `make lab` passes parse, in this JupyterLab, to no news URL and a never-checker."""
    pytest.importorskip("jupyterlab")
    if shutil.which("make") is None:
        pytest.skip("make not installed")
    dry = subprocess.run(["make", "-n", "--no-print-directory", "lab"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60).stdout
    flags = [w for w in dry.split() if w.startswith("--LabApp.")]
    assert any(f.startswith("--LabApp.news_url=") for f in flags), dry
    code = ("import sys; from jupyterlab.labapp import LabApp; from jupyterlab.handlers.announcements import "
            "NeverCheckForUpdate as N; app = LabApp(); app.parse_command_line(sys.argv[1:]); "
            "assert app.news_url is None, app.news_url; assert app.check_for_updates_class is N; print('ok')")
    res = subprocess.run([sys.executable, "-c", code, *flags], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr[-2000:]

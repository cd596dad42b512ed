"""`make lab` prints one line with the URL, token included, that opens JupyterLab (every time: Jupyter
itself masks a token it did not generate, and the port is the first free one, which the server keeps)."""

import os
import re
import select
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINE = re.compile(r"^JupyterLab: (http://127\.0\.0\.1:(\d+)/lab\?token=([0-9a-f]{32}))$")


def _start(port: int, env):
    return subprocess.Popen(["make", "--no-print-directory", "-o", "setup", "lab", f"LAB_PORT={port}"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)


def _first_line(proc, timeout=60):
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "make lab printed nothing"
    return proc.stdout.readline().rstrip("\n")


def _open(url: str) -> tuple[int, str]:
    """Status and final URL (after redirects: a page that needs a token redirects to /login)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.geturl()
    except urllib.error.HTTPError as exc:
        return exc.code, url


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_make_lab_prints_a_working_url_with_its_token(tmp_path):
    pytest.importorskip("jupyterlab")
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path)}
    env.pop("JUPYTER_TOKEN", None)
    with socket.socket() as busy:  # the requested port is taken: the line names the next free one
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        proc = _start(taken, env)
        try:
            line = _first_line(proc)
            match = LINE.match(line)
            assert match, line
            url, port = match.group(1), int(match.group(2))
            assert port > taken
            deadline = time.time() + 120
            while True:  # the URL as printed opens the lab, not the login page
                try:
                    status, final = _open(url)
                    break
                except (urllib.error.URLError, ConnectionError):
                    assert proc.poll() is None and time.time() < deadline, "JupyterLab did not start"
                    time.sleep(0.5)
            assert status == 200 and "/login" not in final, final
            token = match.group(3)
            api = f"http://127.0.0.1:{port}/api/status"
            assert _open(f"{api}?token={token}")[0] == 200  # the token is the server's
            assert _open(api)[0] == 403 and "/login" in _open(url.split("?")[0])[1]  # and it is needed
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

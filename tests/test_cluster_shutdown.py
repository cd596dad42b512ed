"""Closing the LocalCluster that ``cluster_client`` starts lets a slow worker exit by itself: no
"Worker process still alive after 4.0 seconds, killing" at the end of a tiled solve."""

import subprocess
import sys

import pytest

pytest.importorskip("distributed")

SCRIPT = r"""
import time
from distributed import WorkerPlugin
from sparseimg.large.dask_tiles import cluster_client


class SlowTeardown(WorkerPlugin):
    def teardown(self, worker):
        time.sleep(5.0)  # a worker whose close takes longer than the nanny's default 4 s


if __name__ == "__main__":
    with cluster_client(n_workers=1) as client:
        client.register_plugin(SlowTeardown())
        assert client.submit(sum, [1, 2]).result() == 3
    print("closed")
"""


def test_slow_worker_is_not_killed_at_exit(tmp_path):
    script = tmp_path / "slow_close.py"
    script.write_text(SCRIPT)
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.strip() == "closed"
    assert "still alive" not in res.stderr and "killing" not in res.stderr, res.stderr[-3000:]

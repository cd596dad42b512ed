"""The heap policy of the section kernels and training processes (sparseimg.workspace.heap)."""

import os
import subprocess
import sys

import pytest

from sparseimg.learn.paths import REQUIRE_MODELS_ENV
from sparseimg.workspace import heap
from sparseimg.workspace.runner import _environment, kernel_environment
from sparseimg.workspace.sections import SECTIONS

glibc = pytest.mark.skipif(not heap._glibc(), reason="the policy is glibc's")

# allocate and free a 40 MB array twenty times; print the minor page faults of the loop
_LOOP = """
import resource, sys
import numpy as np
{setup}
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    a = np.ones(5 << 20)
    del a
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(setup: str = "", env: dict | None = None) -> int:
    out = subprocess.run([sys.executable, "-c", _LOOP.format(setup=setup)], capture_output=True, text=True,
                         check=True, env={**os.environ, **(env or {})})
    return int(out.stdout)


@glibc
def test_freed_memory_is_reused_not_faulted_again():
    default = _faults(env={k: "" for k in heap.HEAP_ENV})  # an empty value: glibc's default
    by_env = _faults(env=heap.heap_environment())
    by_call = _faults(setup="from sparseimg.workspace.heap import keep_freed_memory\nassert keep_freed_memory()")
    # glibc's default maps and unmaps the array on every pass (a fault per page, or per huge page with
    # transparent huge pages: about 10,000 here); with the policy it is faulted once (about 500)
    assert by_env * 5 < default and by_call * 5 < default, (default, by_env, by_call)


@glibc
def test_kernel_environment_carries_the_policy_unless_the_section_opts_out():
    for name, sec in SECTIONS.items():
        env = kernel_environment(sec)
        assert env[REQUIRE_MODELS_ENV] == "1"
        assert (env.items() >= heap.HEAP_ENV.items()) == (name != "large_images"), name
    assert not SECTIONS["large_images"].keep_freed_memory  # it reports peak resident memory


def test_environment_is_restored(monkeypatch):
    monkeypatch.setenv("SPARSEIMG_TEST_A", "old")
    monkeypatch.delenv("SPARSEIMG_TEST_B", raising=False)
    with _environment({"SPARSEIMG_TEST_A": "new", "SPARSEIMG_TEST_B": "x"}):
        assert os.environ["SPARSEIMG_TEST_A"] == "new" and os.environ["SPARSEIMG_TEST_B"] == "x"
    assert os.environ["SPARSEIMG_TEST_A"] == "old" and "SPARSEIMG_TEST_B" not in os.environ

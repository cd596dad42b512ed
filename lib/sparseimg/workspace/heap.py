"""The heap policy of the pipeline's compute processes: freed memory stays in the process for reuse.

glibc maps every allocation above its mmap threshold (32 MB at most) afresh and unmaps it when it is freed,
so a loop that allocates such arrays (NumPy temporaries of a batch of images, the tap stack of a
convolution) pays, on every pass, a page fault per 4 KB page and the kernel's zero-filling of it. On
section 3c's stage this was 39 of its 288 CPU-seconds (system time) and about 60,000 page faults per five
WINNet calls. With the policy (never map, never give the top of the heap back, grow it 256 MB at a time)
the pages are faulted once per process: the stage took 263 CPU-seconds, 9 % less, with byte-identical
metrics (the arithmetic does not see where its memory came from).

Applied to the section kernels (:func:`sparseimg.workspace.runner.run_section`, through the environment,
which glibc reads when a process starts, so the kernel's forked workers have it too) and to the training
processes (:func:`keep_freed_memory`, on the running process). A section that reports resident memory
opts out (``KEEP_FREED_MEMORY = False`` in its registry module: section 1b's peak-memory table would
count memory kept for reuse). Elsewhere than glibc (macOS, musl) nothing changes.
"""

from __future__ import annotations

import ctypes
import platform

__all__ = ["HEAP_ENV", "heap_environment", "keep_freed_memory"]

_TRIM, _TOP_PAD = 2**31 - 1, 256 << 20  # bytes: "never" (mallopt takes an int), the heap's growth step

#: glibc's switches, read at process start: no mmap, no trimming, the heap grown 256 MB at a time.
HEAP_ENV = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(_TRIM), "MALLOC_TOP_PAD_": str(_TOP_PAD)}

# mallopt's parameter numbers (glibc's malloc.h), the same switches for the running process
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_MAX = -1, -2, -4


def _glibc() -> bool:
    return platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def heap_environment() -> dict[str, str]:
    """The environment variables that give a process started with them the policy (empty off glibc).

    Returns
    -------
    dict of str -> str
        :data:`HEAP_ENV` on glibc, else ``{}``.
    """
    return dict(HEAP_ENV) if _glibc() else {}


def keep_freed_memory() -> bool:
    """Give the running process the policy (``mallopt``); its later forks inherit it.

    Returns
    -------
    bool
        True when applied (glibc), False elsewhere or when glibc refused a setting.
    """
    if not _glibc():
        return False
    mallopt = ctypes.CDLL(None).mallopt
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    settings = ((_M_MMAP_MAX, 0), (_M_TRIM_THRESHOLD, _TRIM), (_M_TOP_PAD, _TOP_PAD))
    return all(mallopt(param, value) == 1 for param, value in settings)

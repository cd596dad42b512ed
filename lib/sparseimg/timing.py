"""Timing helpers: medians of repeats, measured side by side.

Shared machines are noisy, so every figure here is a median over ``repeat``
measurements, and several candidates are timed *interleaved* (A, B, C, A, B, C …)
so that a burst of load hits all of them alike. Timings go to tables, never to
tests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from sparseimg._validate import check_int

__all__ = ["Timing", "summarize", "measure", "measure_interleaved", "format_duration"]


@dataclass(frozen=True)
class Timing:
    """Median and quartiles (seconds per call) over ``repeat`` measurements of ``number`` calls."""

    median: float
    q1: float
    q3: float
    repeat: int
    number: int


def _calls_for(fn, min_time: float) -> int:
    """Smallest power of two of calls that lasts at least ``min_time`` seconds."""
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        if time.perf_counter() - t0 >= min_time or number >= 1 << 16:
            return number
        number *= 2


def summarize(samples, number: int = 1) -> Timing:
    """Median and quartiles of per-measurement times (each over ``number`` calls)."""
    arr = np.asarray(samples, dtype=float) / number
    q1, med, q3 = np.percentile(arr, [25, 50, 75])
    return Timing(median=float(med), q1=float(q1), q3=float(q3), repeat=len(samples), number=number)


def measure(fn, *, repeat: int = 7, number: int | None = None, min_time: float = 0.05) -> Timing:
    """Time ``fn()``: median over ``repeat`` runs of ``number`` calls (auto-ranged if None)."""
    return measure_interleaved({"fn": fn}, repeat=repeat, number=number, min_time=min_time)["fn"]


def measure_interleaved(fns: dict, *, repeat: int = 7, number: int | None = None,
                        min_time: float = 0.05) -> dict[str, Timing]:
    """Time several callables in alternation; returns ``{name: Timing}``."""
    repeat = check_int("repeat", repeat, low=1)
    numbers = {k: (check_int("number", number, low=1) if number else _calls_for(f, min_time))
               for k, f in fns.items()}
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, f in fns.items():
            n = numbers[k]
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            samples[k].append(time.perf_counter() - t0)
    return {k: summarize(samples[k], numbers[k]) for k in fns}


def format_duration(seconds: float) -> str:
    """``'12.3 ms'``-style string (s, ms or µs, three significant digits)."""
    if seconds >= 1:
        return f"{seconds:.3g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"

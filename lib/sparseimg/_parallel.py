"""Independent runs in worker processes, results in submission order.

The experiments use it where a notebook repeats one computation over independent cases
(noise cases, solvers, ablation variants): each call owns its seeds, so the numbers do not
depend on the number of workers. Workers are forked (Linux): the arrays and modules of the
parent are shared copy-on-write, nothing is re-imported.
"""

from __future__ import annotations

from typing import Callable, Sequence

__all__ = ["process_map"]


def process_map(fn: Callable, calls: Sequence[tuple], workers: int = 1, *, desc: str | None = None,
                progress: bool = False) -> list:
    """``[fn(*args) for args in calls]``, in up to ``workers`` forked processes.

    ``fn`` must be a module-level function (it is pickled by reference); with ``workers <= 1``
    or a single call everything runs here, in order. ``progress`` shows a bar over finished calls.
    """
    from tqdm import tqdm

    calls = [tuple(args) for args in calls]
    workers = min(int(workers), len(calls))
    bar = tqdm(total=len(calls), desc=desc, disable=not progress, leave=False)
    try:
        if workers <= 1:
            results = []
            for args in calls:
                results.append(fn(*args))
                bar.update()
            return results
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(fn, *args) for args in calls]
            for future in futures:
                future.add_done_callback(lambda _: bar.update())
            return [f.result() for f in futures]
    finally:
        bar.close()

"""Dask plumbing of the tiled solver: one task per tile with its neighbours' frames, zarr sources, the cluster.

``dask.array.overlap`` (under ``map_overlap``) gives every block its margin through about nine slicing
tasks and a join per block and array; at a millisecond or so of scheduling per task, that was 4–8 % of
the wall time of the tiled solver (:mod:`sparseimg.large.tiled`). :func:`neighbourhood_map` builds one task
per tile instead, as a high-level-graph layer: a dask source's 3 × 3 neighbouring blocks are the task's
inputs and the frame is cut inside it; a stored source (zarr) is read by the task itself, only the
chunks the frame touches, so nothing is held or moved between tasks.
"""

from __future__ import annotations

import contextlib
import os

import numpy as np

__all__ = ["neighbourhood_map", "tile_grid", "starts", "as_dask", "open_source", "is_stored", "zarr_like",
           "cluster_client", "close_workers", "WORKER_CLOSE_TIMEOUT"]

#: Seconds a worker process of our own LocalCluster gets to exit before its nanny kills it (Dask: 4).
WORKER_CLOSE_TIMEOUT = 60.0


def tile_grid(shape, tile: int):
    """Dask chunks of ``tile × tile`` tiles over ``shape`` (the last tile of an axis takes the remainder)."""
    return tuple((tile,) * (n // tile) + ((n % tile,) if n % tile else ()) for n in shape)


def starts(chunks):
    """Start of every block along each axis, and the end: ``[[0, c0, c0 + c1, …], …]``."""
    return [np.concatenate([[0], np.cumsum(c)]).astype(int) for c in chunks]


def _runs(start: int, stop: int, n: int, periodic: bool):
    """Contiguous pieces of ``range(start, stop)`` inside ``[0, n)``: ``(source slice, destination slice)``,
    wrapped modulo ``n`` when periodic, clipped (the rest stays 0) otherwise."""
    runs, k = [], start
    while k < stop:
        if periodic:
            src = k % n
            length = min(stop - k, n - src)
            runs.append((slice(src, src + length), slice(k - start, k - start + length)))
            k += length
        else:
            lo, hi = max(k, 0), min(stop, n)
            if hi > lo:
                runs.append((slice(lo, hi), slice(lo - start, hi - start)))
            break
    return runs


def _read_frame(array, location, depth, offsets, boundary):
    """Block ``location`` of the tile grid ``offsets`` plus ``depth`` pixels on each side, read from a stored
    array (only the chunks it touches): zeros beyond a masked border, wrapped when periodic."""
    spans = [(offsets[ax][k] - depth, offsets[ax][k + 1] + depth) for ax, k in enumerate(location)]
    frame = np.zeros((spans[0][1] - spans[0][0], spans[1][1] - spans[1][0]))
    rows = _runs(*spans[0], array.shape[0], boundary == "periodic")
    cols = _runs(*spans[1], array.shape[1], boundary == "periodic")
    for src0, dst0 in rows:
        for src1, dst1 in cols:
            frame[dst0, dst1] = array[src0, src1]
    return frame


def _cut_frame(blocks, location, depth, sizes):
    """Block ``location`` plus ``depth`` pixels, cut from its 3 × 3 neighbouring blocks (row-major; a ``None``
    neighbour lies beyond a masked border: zeros). ``sizes[ax][k + 1]`` is the size of block ``k`` along
    ``ax``, ``sizes[ax][0]`` and ``sizes[ax][-1]`` those of the neighbours beyond the ends."""
    spans = []
    for ax, k in enumerate(location):  # per neighbour: (rows it gives, where they land in the frame)
        before, core = sizes[ax][k], sizes[ax][k + 1]
        spans.append([(slice(before - depth, before), slice(0, depth)),
                      (slice(0, core), slice(depth, depth + core)),
                      (slice(0, depth), slice(depth + core, 2 * depth + core))])
    frame = np.zeros((sizes[0][location[0] + 1] + 2 * depth, sizes[1][location[1] + 1] + 2 * depth))
    for di in range(3):
        for dj in range(3):
            b = blocks[3 * di + dj]
            if b is not None:
                (src0, dst0), (src1, dst1) = spans[0][di], spans[1][dj]
                frame[dst0, dst1] = b[src0, src1]
    return frame


class _Stored:
    """A stored source of :func:`neighbourhood_map`: the task reads its frame itself."""

    def __init__(self, array, offsets, boundary):
        self.array, self.offsets, self.boundary = array, offsets, boundary


def _run_frames(location, inputs, depth, sizes, func, write, after=None):
    """The body of one task: build every frame, run ``func(location, *frames)``; with ``write`` = (stored array,
    offsets), store the result in the block's place and return a 1 × 1 token instead (``after``: the blocks
    this task only waits for)."""
    frames = [_read_frame(src.array, location, depth, src.offsets, src.boundary) if isinstance(src, _Stored)
              else _cut_frame(src, location, depth, sizes) for src in inputs]
    result = func(location, *frames)
    if write is None:
        return result
    target, offsets = write
    (i, j) = location
    target[offsets[0][i]:offsets[0][i + 1], offsets[1][j]:offsets[1][j + 1]] = result
    return np.zeros((1, 1))


def neighbourhood_map(func, sources, *, depth: int, boundary: str, name: str, grid=None, chunks=None,
                      write=None, after=None):
    """One Dask task per tile: ``func((i, j), *frames)``, every frame the tile of one source plus ``depth``
    pixels on each side (zeros beyond a masked border, wrapped when periodic).

    A source is a dask array (its 3 × 3 neighbouring blocks are the task's inputs, and the frame is cut inside
    the task) or a stored array such as zarr (the task reads its frame, only the chunks it touches, so nothing
    is held between tasks). ``dask.array.overlap`` (under ``map_overlap``) builds the same frames from about
    nine slicing tasks and a join per block and array, each a scheduler round trip of a millisecond or so;
    here a tile and round is exactly one task. ``depth`` must not exceed any tile (:func:`check_tiling`).

    Parameters
    ----------
    grid : tuple of tuples, optional
        The tiles (dask chunks); default: those of the first dask source.
    chunks : tuple of tuples, optional
        The output's chunks (default: ``grid``).
    write : zarr-like array, optional
        Each task stores its result in its tile's place (chunk-aligned when the array's chunks are the tiles)
        and returns a 1 × 1 token: the output is then the tokens, chunks ``(1, …)``.
    after : dask array, optional
        On the same grid: each task waits for its 3 × 3 neighbouring blocks of it (e.g. the tokens of the
        round that wrote a stored source).
    """
    import dask.array as da
    from dask.highlevelgraph import HighLevelGraph

    lazy = [s for s in sources if isinstance(s, da.Array)]
    grid = grid or lazy[0].chunks
    if any(a.chunks != grid for a in lazy):
        raise ValueError("neighbourhood_map needs dask sources chunked as the grid")
    smallest = min(min(c) for c in grid)
    if depth > smallest:
        raise ValueError(f"depth={depth} is not allowed: expected <= the smallest tile ({smallest})")
    nb = tuple(len(c) for c in grid)
    offsets_ = starts(grid)
    if boundary == "periodic":  # sizes[ax][k + 1]: block k, with the neighbours beyond the ends
        sizes = tuple(c[-1:] + c + c[:1] for c in grid)
    else:  # beyond a masked border: ``depth`` pixels of zeros
        sizes = tuple((depth,) + c + (depth,) for c in grid)

    def neighbours(a, i, j):
        out = []
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                p, q = i + di, j + dj
                if boundary == "periodic":
                    out.append((a.name, p % nb[0], q % nb[1]))
                else:
                    out.append((a.name, p, q) if 0 <= p < nb[0] and 0 <= q < nb[1] else None)
        return out

    stored = {k: _Stored(s, offsets_, boundary) for k, s in enumerate(sources) if not isinstance(s, da.Array)}
    target = None if write is None else (write, offsets_)
    dsk = {}
    for i in range(nb[0]):
        for j in range(nb[1]):
            inputs = [stored[k] if k in stored else neighbours(s, i, j) for k, s in enumerate(sources)]
            wait = None if after is None else neighbours(after, i, j)
            dsk[(name, i, j)] = (_run_frames, (i, j), inputs, depth, sizes, func, target, wait)
    deps = lazy + ([after] if after is not None else [])
    graph = HighLevelGraph.from_collections(name, dsk, dependencies=deps)
    if write is not None:
        chunks = tuple((1,) * n for n in nb)
    return da.Array(graph, name, chunks=chunks or grid, dtype=np.float64)


def as_dask(image, tile: int):
    """A dask array of ``image`` (numpy, zarr array, dask array or path of a zarr array) in ``tile`` chunks."""
    import dask.array as da

    image = open_source(image)
    if isinstance(image, da.Array):
        return image.rechunk((tile, tile)).astype(np.float64)
    if isinstance(image, np.ndarray):
        return da.from_array(image.astype(np.float64, copy=False), chunks=(tile, tile))
    return da.from_array(image, chunks=(tile, tile), asarray=True).astype(np.float64)  # a zarr array


def open_source(image):
    """A path opens as a zarr array (read-only); anything else is returned as is."""
    if isinstance(image, (str, os.PathLike)):
        import zarr

        return zarr.open_array(str(image), mode="r")
    return image


def is_stored(image) -> bool:
    """A zarr-like array (read by slicing, possibly far larger than memory), not numpy or dask."""
    import dask.array as da

    return not isinstance(image, (np.ndarray, da.Array)) and hasattr(image, "shape") and hasattr(image, "__getitem__")


def zarr_like(path, shape, tile):
    """A new float64 zarr array chunked as the tiles (every tile written, even an all-zero one)."""
    import zarr

    return zarr.create_array(str(path), shape=shape, chunks=(tile, tile), dtype="float64", fill_value=0.0,
                             config={"write_empty_chunks": True}, overwrite=True)


@contextlib.contextmanager
def cluster_client(client=None, *, n_workers: int | None = None):
    """A ``dask.distributed.Client``: the one given, one connected to an address, or a new ``LocalCluster``.

    ``client=None`` starts ``LocalCluster(n_workers=cores, threads_per_worker=1)`` (dashboard on a free
    port) and closes it on exit; a string connects to that scheduler; a ``Client`` is used as is.
    """
    from distributed import Client, LocalCluster

    if client is not None and not isinstance(client, str):
        yield client
        return
    if isinstance(client, str):
        with Client(client) as c:
            yield c
        return
    workers = n_workers or os.cpu_count() or 1
    with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=":0",
                      processes=True) as cluster, Client(cluster) as c:
        try:
            yield c
        finally:
            close_workers(cluster)


def close_workers(cluster, timeout: float = WORKER_CLOSE_TIMEOUT) -> None:
    """Stop a LocalCluster's worker processes, giving each ``timeout`` seconds to exit by itself.

    ``LocalCluster.close`` gives a worker process 4 s (its nanny's default) and then kills it, with the warning
    "Worker process still alive after 4.0 seconds, killing": a worker that has imported numba, pyFFTW and
    SciPy routinely needs longer to tear down on a loaded 2-core machine (4.3 s measured). Closing the nannies
    first, with a longer timeout, lets them exit normally; the cluster's own close then finds them closed.
    """
    import asyncio

    async def close_all():
        await asyncio.gather(*(w.close(timeout=timeout) for w in list(cluster.workers.values())))

    cluster.sync(close_all)

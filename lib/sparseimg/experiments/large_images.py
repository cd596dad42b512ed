"""Section 1 at scale: synthetic large images, tiled against global solves, cost and memory per size.

The science is in :mod:`sparseimg.large.tiled`; here live the ground truth (events drawn tile by tile,
straight into zarr), the accuracy comparison with the global minimizer, the scaling measurement
(wall time, task stream, peak memory of every worker and of the driver) and the back-of-the-envelope
estimate for a cluster-sized image.

Source: "Sparse coding of large images", a blog notebook built on MotionClouds (author not named in
the extracted text; 2020 or later): its events (Laplace draws, scale ``y_lambda``, thresholded to a
fraction ``rho`` of non-zeros) and its kernel (``sf_0 = B_sf = 0.15``).
"""

from __future__ import annotations

import math
import resource
import time
import threading
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import fftconvolve

from sparseimg._validate import check_int, check_real
from sparseimg.large.dask_tiles import tile_grid
from sparseimg.large.tiled import cluster_client, default_halo, lambda_max, objective, solve_global, solve_tiled
from sparseimg.experiments import Registry, Result

__all__ = ["METHODS", "Settings", "TiledProblem", "example_problem", "event_threshold", "image_std", "synthesize", "compare", "measure_scaling", "cluster_estimate"]


def event_threshold(rho: float, y_lambda: float) -> float:
    """``t`` with ``P(|y| > t) = rho`` for Laplace draws of scale ``y_lambda``: ``−y_lambda · ln rho``.

    The document takes the empirical quantile of one image; the exact quantile lets every tile
    threshold on its own and still hit the density.

    Parameters
    ----------
    rho : float
        Fraction of non-zero events, in ``(0, 1)``.
    y_lambda : float
        Scale of the Laplace draws, ``> 0``.

    Returns
    -------
    float
        The threshold ``t > 0`` (in the events' units).

    Raises
    ------
    TypeError
        ``rho`` or ``y_lambda`` is not a real number.
    ValueError
        ``rho`` outside ``(0, 1)``, ``y_lambda`` not ``> 0`` or not finite.
    """
    return -check_real("y_lambda", y_lambda, low=0.0, low_open=True) * math.log(
        check_real("rho", rho, low=0.0, high=1.0, low_open=True, high_open=True))


def image_std(rho: float, y_lambda: float) -> float:
    """Expected std of ``A y`` for a unit-norm kernel: ``sqrt(rho · E[y² | |y| > t])``,
    ``E = t² + 2 t b + 2 b²`` (the tail of a Laplace law is ``t`` plus an exponential).

    Here ``t`` is :func:`event_threshold` and ``b = y_lambda``.

    Parameters
    ----------
    rho : float
        Fraction of non-zero events, in ``(0, 1)``.
    y_lambda : float
        Scale of the Laplace draws, ``> 0``.

    Returns
    -------
    float
        The expected standard deviation of the clean image (in the events' units).

    Raises
    ------
    TypeError, ValueError
        As for :func:`event_threshold`.
    """
    t, b = event_threshold(rho, y_lambda), y_lambda
    return math.sqrt(rho * (t * t + 2 * t * b + 2 * b * b))


def _events_block(*, seed, rho, y_lambda, block_info=None):
    info = block_info[None]
    rng = np.random.default_rng([seed, 0, *info["chunk-location"]])
    y = y_lambda * rng.laplace(size=info["chunk-shape"])
    y[np.abs(y) <= event_threshold(rho, y_lambda)] = 0.0
    return y


def _image_block(block, *, kernel, seed, sigma, block_info=None):
    x = fftconvolve(block, kernel, mode="valid")
    if sigma > 0:
        x += sigma * np.random.default_rng([seed, 1, *block_info[0]["chunk-location"]]).standard_normal(x.shape)
    return x


def synthesize(size: int, tile: int, kernel: np.ndarray, *, rho: float, y_lambda: float, noise: float, seed: int,
               boundary: str = "masked", directory=None, client=None):
    """Events and image ``A y + n``, tile by tile: lazy dask arrays, or zarr arrays written under ``directory``.

    Events of tile ``(i, j)`` come from ``default_rng([seed, 0, i, j])``; the image of a tile is the
    convolution of the events around it (overlap ``r``, periodic or zero beyond the image) plus noise
    of std ``noise × image_std`` from ``default_rng([seed, 1, i, j])``. Nothing ever holds the whole image.

    Parameters
    ----------
    size : int
        Side of the square image (``size × size`` pixels), ``>= 1``.
    tile : int
        Side of a tile (the Dask and zarr chunk; the last tile of an axis takes the remainder), ``>= 1``.
    kernel : ndarray, shape (2r+1, 2r+1)
        Spatial kernel (the overlap ``r`` is ``kernel.shape[0] // 2``; the shape is not checked here).
    rho : float
        Fraction of non-zero events, in ``(0, 1)`` (:func:`event_threshold`).
    y_lambda : float
        Scale of the Laplace draws, ``> 0``.
    noise : float
        Noise std relative to :func:`image_std` (0 for a clean image; not checked).
    seed : int
        Seed of the events and the noise, a non-negative integer.
    boundary : str, optional
        ``"periodic"`` wraps the events around the image; ``"masked"`` (default) takes zeros
        beyond it (any value other than ``"periodic"`` does the same; not checked).
    directory : str or Path, optional
        Folder of the zarr arrays ``events.zarr`` and ``image.zarr`` (overwritten); default None:
        nothing is written or computed.
    client : None, str or distributed.Client, optional
        Where the zarr arrays are computed (:func:`sparseimg.large.dask_tiles.cluster_client`;
        default None: a new ``LocalCluster``); used only with ``directory``.

    Returns
    -------
    (events, image)
        dask arrays if ``directory`` is None, else the zarr arrays ``events.zarr`` and ``image.zarr``;
        float64, shape ``(size, size)``, chunks of ``tile × tile``.

    Raises
    ------
    TypeError
        ``size`` or ``tile`` is not an integer, ``rho`` or ``y_lambda`` not a real number.
    ValueError
        ``size`` or ``tile`` below 1, ``rho`` outside ``(0, 1)``, ``y_lambda`` not ``> 0``.
    """
    import dask.array as da

    size, tile = check_int("size", size, low=1), check_int("tile", tile, low=1)
    r = kernel.shape[0] // 2
    chunks = tile_grid((size, size), tile)
    from dask.base import tokenize

    token = tokenize(size, tile, rho, y_lambda, seed)
    events = da.map_blocks(_events_block, chunks=chunks, dtype=np.float64, seed=seed, rho=rho, y_lambda=y_lambda,
                           name=f"events-{token}")
    bnd = "periodic" if boundary == "periodic" else 0.0
    padded = da.overlap.overlap(events, depth={0: r, 1: r}, boundary={0: bnd, 1: bnd}, allow_rechunk=False)
    image = da.map_blocks(_image_block, padded, chunks=chunks, dtype=np.float64, kernel=kernel, seed=seed,
                          sigma=noise * image_std(rho, y_lambda))
    if directory is None:
        return events, image
    import zarr

    targets = []
    for name in ("events", "image"):
        targets.append(zarr.open_array(str(Path(directory) / f"{name}.zarr"), mode="w", shape=(size, size),
                                       chunks=(tile, tile), dtype="float64", fill_value=0.0,
                                       config={"write_empty_chunks": True}))
    with cluster_client(client) as c:
        c.gather(c.compute(da.store([events, image], targets, lock=False, compute=False)))
    return tuple(targets)


def compare(source, events: np.ndarray, kernel: np.ndarray, lam: float, *, tile: int, halo: int,
            boundary: str, n_iter: int, tol: float, global_iter: int, round0_tol: float | None = None,
            client=None) -> dict:
    """Tiled (round 0 and round 1) against the global FISTA minimizer on an image that fits in memory.

    The tiled solve is :func:`sparseimg.large.tiled.solve_tiled` (two rounds, round 0 kept), the global
    one :func:`sparseimg.large.tiled.solve_global` (FISTA with restart, ``tol=1e-12``) at the same
    absolute λ.

    Parameters
    ----------
    source : zarr array, str, Path or ndarray, shape (n0, n1)
        The image (zarr array or its path, or numpy); the tiled solve reads it tile by tile, the
        global one loads it whole.
    events : ndarray, shape (n0, n1)
        The true events (for the support tolerance and their count).
    kernel : ndarray, shape (2r+1, 2r+1)
        Spatial kernel.
    lam : float
        ``λ / ‖Aᵀx‖∞`` (scale-free), ``> 0``.
    tile, halo, boundary, n_iter, tol, round0_tol, client
        As for :func:`sparseimg.large.tiled.solve_tiled`: tile side ``>= 8``, halo ``>= 0``,
        ``"periodic"`` or ``"masked"``, the local solves' cap and tolerance in ``[0, 1)``.
    global_iter : int
        Iteration cap of the global solve.

    Returns
    -------
    dict
        The solutions ``global``, ``round0``, ``round1`` (ndarrays of shape ``(n0, n1)``); ``lam_abs``,
        the absolute λ; ``events``, the number of true events; ``global_seconds``,
        ``global_iterations`` and ``tiled_seconds``; and ``rounds``: per round (``round0``,
        ``round1``) the ``relative_error`` (L2, against the global solution), the relative
        ``objective_gap`` and the ``support_flips`` (``|y| > 0.1 × smallest true |y|`` on one side
        only).

    Raises
    ------
    TypeError, ValueError
        From :func:`sparseimg.large.tiled.solve_tiled`: a parameter out of its range, a kernel that is
        not ``(2r+1, 2r+1)``, an image that is not 2-D or a tiling that does not fit it.
    """
    if isinstance(source, (str, Path)):
        import zarr

        source = zarr.open_array(str(source), mode="r")
    image = np.asarray(source[...], dtype=np.float64)
    start = time.perf_counter()
    tiled = solve_tiled(source, kernel, lam=lam, tile=tile, halo=halo, boundary=boundary, n_iter=n_iter, tol=tol,
                        round0_tol=round0_tol, client=client, keep_round0=True)
    tiled_seconds = time.perf_counter() - start
    start = time.perf_counter()
    ref, hist = solve_global(image, kernel, tiled.lam, boundary=boundary, n_iter=global_iter, tol=1e-12)
    global_seconds = time.perf_counter() - start
    f_ref = objective(image, ref, kernel, tiled.lam, boundary=boundary)
    support_tol = 0.1 * float(np.min(np.abs(events[events != 0]))) if np.any(events) else 0.0
    out = {"global": ref, "round0": tiled.round0, "round1": tiled.events, "lam_abs": tiled.lam,
           "events": int(np.count_nonzero(events)), "global_seconds": global_seconds,
           "global_iterations": hist.n_iter, "tiled_seconds": tiled_seconds, "rounds": {}}
    for key in ("round0", "round1"):
        y = out[key]
        out["rounds"][key] = {
            "relative_error": float(np.linalg.norm(y - ref) / np.linalg.norm(ref)),
            "objective_gap": (objective(image, y, kernel, tiled.lam, boundary=boundary) - f_ref) / abs(f_ref),
            "support_flips": int(np.count_nonzero((np.abs(y) > support_tol) != (np.abs(ref) > support_tol))),
        }
    return out


@dataclass(frozen=True)
class TiledProblem:
    """What a solver of :data:`METHODS` sees: the observed image and the kernel (never the events).

    Parameters
    ----------
    image : ndarray or zarr array, shape (n0, n1)
        The observation.
    kernel : ndarray, shape (2r+1, 2r+1)
        The spatial kernel (:func:`sparseimg.large.tiled.truncated_kernel`).
    """

    image: Any
    kernel: np.ndarray


@dataclass(frozen=True)
class Settings:
    """What a solver of :data:`METHODS` is told besides the problem (the section's keys of the same names).

    Parameters
    ----------
    lam : float
        ``λ / ‖Aᵀx‖∞``, in ``(0, 1)``.
    tile : int
        Tile side (the Dask and zarr chunk).
    halo : int or None
        Pixels solved around each tile; None: twice the kernel's radius.
    boundary : {"masked", "periodic"}
        The image's boundary model.
    n_iter, tol : int, float
        Iteration cap and relative-change tolerance of every local FISTA solve.
    global_iter : int
        Iteration cap of the global FISTA (tolerance 1e-12).
    client : None, str or distributed.Client
        Where the tiled solvers run: a client, a scheduler's address, or None (a ``LocalCluster`` for
        the call; see :func:`sparseimg.large.tiled.cluster_client`). Not a parameter of the file.
    """

    lam: float = 0.02
    tile: int = 128
    halo: int | None = None
    boundary: str = "masked"
    n_iter: int = 2000
    tol: float = 1e-10
    global_iter: int = 5000
    client: Any = None

    @classmethod
    def from_params(cls, block: dict) -> "Settings":
        """Settings from the section's validated parameter block.

        Parameters
        ----------
        block : dict
            The validated ``large_images`` block.

        Returns
        -------
        Settings
        """
        return cls(**{f.name: block[f.name] for f in fields(cls) if f.name != "client"})


def example_problem() -> TiledProblem:
    """A tiny seeded problem (256 × 256, the document's kernel at tolerance 1e-3, sparse Laplace events,
    5 % noise) for the registry test: two 128² tiles a side at the quick settings.

    Returns
    -------
    TiledProblem
    """
    from sparseimg.large.tiled import truncated_kernel

    kernel = truncated_kernel(tol=1e-3)[0]
    rng = np.random.default_rng(0)
    events = np.zeros((256, 256))
    events.flat[rng.choice(events.size, 60, replace=False)] = rng.laplace(size=60)
    clean = fftconvolve(events, kernel, mode="same")
    return TiledProblem(clean + 0.05 * clean.std() * rng.standard_normal(clean.shape), kernel)


def _halo(problem: TiledProblem, settings: Settings) -> int:
    return default_halo(problem.kernel.shape[0] // 2, settings.halo)


def _global(problem: TiledProblem, settings: Settings) -> Result:
    import dask.array as da

    image = np.asarray(problem.image[...], dtype=np.float64)
    lam_abs = settings.lam * float(lambda_max(da.from_array(image, chunks=image.shape), problem.kernel,
                                              boundary=settings.boundary).compute())
    events, history = solve_global(image, problem.kernel, lam_abs, boundary=settings.boundary,
                                   n_iter=settings.global_iter, tol=1e-12)
    return Result(events, history, {"lam_abs": lam_abs, "iterations": history.n_iter})


def _tiled(rounds: int):
    def run(problem: TiledProblem, settings: Settings) -> Result:
        solve = solve_tiled(problem.image, problem.kernel, lam=settings.lam, tile=settings.tile,
                            halo=_halo(problem, settings), boundary=settings.boundary, rounds=rounds,
                            n_iter=settings.n_iter, tol=settings.tol, client=settings.client)
        return Result(solve.events, None, {"lam_abs": solve.lam})
    return run


#: The solvers compared: ``key -> run(problem: TiledProblem, settings: Settings) -> Result(events)``; the
#: tiled ones run where ``settings.client`` says.
METHODS = Registry("large_images", {
    "global_fista": _global,
    "tiled_independent": _tiled(1),
    "tiled_schwarz": _tiled(2),
}, {"global_fista": "global FISTA (in memory)", "tiled_independent": "tiles with halo, independent",
    "tiled_schwarz": "tiles + one Schwarz correction round"}, settings=Settings, example=example_problem)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes


class _RssGrowth:
    """Largest growth of this process's resident memory over its value on entry, sampled every ``interval``
    seconds by a thread (``tracemalloc`` would slow the driver's Python several-fold and show up as idle
    workers)."""

    def __init__(self, interval: float = 0.02):
        import psutil

        self._process, self._interval = psutil.Process(), interval
        self._stop = threading.Event()
        self.peak_mb = 0.0

    def _sample(self):
        while not self._stop.wait(self._interval):
            self.peak_mb = max(self.peak_mb, (self._process.memory_info().rss - self._start) / 2**20)

    def __enter__(self):
        self._start = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, (self._process.memory_info().rss - self._start) / 2**20)


def _round_of(name: str) -> int | None:
    """Round of a task from its key (``csc_round0-…``, ``csc_round1-…``; the first word of a key survives
    Dask's fusion); None for the rest (λ, zarr reads of an in-memory solve)."""
    return int(name[len("csc_round")]) if name.startswith("csc_round") else None


def measure_scaling(size: int, kernel: np.ndarray, *, tile: int, halo: int, lam: float, rho: float, y_lambda: float,
                    noise: float, seed: int, boundary: str, n_iter: int, tol: float, workers: int, directory,
                    round0_tol: float | None = None, synth_client=None) -> dict:
    """One tiled solve of a synthetic ``size²`` image from zarr to zarr on a fresh ``LocalCluster``.

    Returns wall seconds, seconds per megapixel, the task stream's busy time and the scheduler's
    share (``1 − busy / (wall × workers)``: idle workers, transfers and scheduling, the driver building
    the graph, the final drain), seconds per tile and round (from the task keys), peak resident memory of
    each worker (MB; fresh processes, so the peak of this solve) and the largest growth of the driver's
    resident memory during the solve (MB; the LocalCluster's scheduler lives in the driver, so this
    includes the graph). The image is written by :func:`synthesize`, the solve is
    :func:`sparseimg.large.tiled.solve_tiled` from ``image.zarr`` to ``events_hat.zarr``.

    Parameters
    ----------
    size : int
        Side of the square image (``size × size`` pixels).
    kernel : ndarray, shape (2r+1, 2r+1)
        Spatial kernel.
    tile, halo, lam, boundary, n_iter, tol, round0_tol
        As for :func:`sparseimg.large.tiled.solve_tiled` (``lam`` scale-free, ``λ / ‖Aᵀx‖∞``).
    rho, y_lambda, noise, seed
        As for :func:`synthesize`.
    workers : int
        Worker processes of the fresh ``LocalCluster`` (one thread each).
    directory : str or Path
        Folder where ``events.zarr`` and ``image.zarr`` (overwritten) and the solution
        ``events_hat.zarr`` are written.
    synth_client : None, str or distributed.Client, optional
        ``synth_client`` writes the synthetic image (default: a LocalCluster of its own).

    Returns
    -------
    dict
        ``size``, ``tile``, ``halo``, ``tiles`` (their number), ``workers``; ``wall_s``,
        ``s_per_mpixel``, ``busy_s`` (task stream's compute time), ``scheduler_share``;
        ``round0_s_per_tile`` and ``round1_s_per_tile``; ``worker_peak_mb`` (the largest of the
        workers' peaks) and ``driver_peak_mb``.

    Raises
    ------
    TypeError, ValueError
        From :func:`synthesize` and :func:`sparseimg.large.tiled.solve_tiled`.
    """
    from distributed import Client, LocalCluster, get_task_stream

    directory = Path(directory)
    _, image = synthesize(size, tile, kernel, rho=rho, y_lambda=y_lambda, noise=noise, seed=seed, boundary=boundary,
                          directory=directory, client=synth_client)
    with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=":0", processes=True) as cl, \
            Client(cl) as c:
        with _RssGrowth() as driver, get_task_stream(client=c) as stream:
            start = time.perf_counter()
            solve_tiled(str(directory / "image.zarr"), kernel, lam=lam, tile=tile, halo=halo, boundary=boundary,
                        n_iter=n_iter, tol=tol, round0_tol=round0_tol, client=c, out=str(directory / "events_hat.zarr"))
            wall = time.perf_counter() - start
        worker_peaks = sorted(c.run(_peak_rss_mb).values())
    busy, per_round = 0.0, [0.0, 0.0]
    for task in stream.data:
        name = task["key"][0] if isinstance(task["key"], tuple) else task["key"]
        k = _round_of(str(name))
        for s in task["startstops"]:
            if s["action"] == "compute":
                busy += s["stop"] - s["start"]
                if k is not None:
                    per_round[k] += s["stop"] - s["start"]
    tiles = math.ceil(size / tile) ** 2
    return {"size": size, "tile": tile, "halo": halo, "tiles": tiles, "workers": workers, "wall_s": wall,
            "s_per_mpixel": wall / (size * size / 1e6), "busy_s": busy,
            "scheduler_share": max(0.0, 1.0 - busy / (wall * workers)),
            "round0_s_per_tile": per_round[0] / math.ceil(size / tile) ** 2,
            "round1_s_per_tile": per_round[1] / math.ceil(size / tile) ** 2,
            "worker_peak_mb": max(worker_peaks), "driver_peak_mb": driver.peak_mb}


def cluster_estimate(side: int, *, tile: int, halo: int, radius: int, round0_s_per_tile: float,
                     round1_s_per_tile: float, bytes_per_pixel: int = 8) -> dict:
    """On paper: tiles, bytes read per round and core-hours of a ``side²`` image from measured per-tile costs.

    Round 0 reads the image on ``tile + 2 (halo + 2r)`` per tile; round 1 reads that and the round-0
    events on the same frame. Per-tile seconds are the measured ones at this ``tile`` (the cost of a
    tile does not depend on the image size).

    Parameters
    ----------
    side : int
        Side of the square image (pixels).
    tile : int
        Tile side (pixels).
    halo : int
        Extra pixels solved around a tile.
    radius : int
        Kernel radius ``r``.
    round0_s_per_tile, round1_s_per_tile : float
        Measured seconds per tile of each round (:func:`measure_scaling`).
    bytes_per_pixel : int, optional
        Bytes per stored value (default 8, float64).

    Returns
    -------
    dict
        ``side``, ``tiles`` (their number), ``image_gb``, ``round0_read_gb``, ``round1_read_gb``
        (GB = 10⁹ bytes) and ``core_hours`` (both rounds). Nothing is checked.
    """
    tiles = math.ceil(side / tile) ** 2
    frame = (tile + 2 * (halo + 2 * radius)) ** 2 * bytes_per_pixel
    return {"side": side, "tiles": tiles, "image_gb": side * side * bytes_per_pixel / 1e9,
            "round0_read_gb": tiles * frame / 1e9, "round1_read_gb": 2 * tiles * frame / 1e9,
            "core_hours": tiles * (round0_s_per_tile + round1_s_per_tile) / 3600.0}

"""Convolutional sparse coding of images larger than memory: domain decomposition on Dask.

The problem is the one of section 1, ``min_y ½‖A y − x‖² + λ‖y‖₁``, with ``A`` the
convolution by a *spatial* kernel of radius ``r`` (a ``(2r+1)²`` array, see
:func:`truncated_kernel`). Two boundary models:

``periodic``
    circular convolution on the whole image (the global reference is
    :class:`~sparseimg.operators.FourierConvolution` of the same kernel);
``masked``
    the image is bounded: events live on the image, pixels outside it are not
    observed, so nothing wraps around (the global reference is
    :class:`~sparseimg.operators.LinearConvolution`).

The image is cut into ``tile × tile`` cores (the Dask chunks). Round 0 solves every core on
its *window* (core plus ``halo`` pixels on each side, clipped to the image when masked) with
everything outside the window set to 0; the core of the window's solution is kept. Round 1 (a
restricted additive Schwarz step) solves every window again, warm-started from round 0, with
the round-0 events around the window held fixed: their contribution is subtracted from the data.
Each local problem is exact for its variables — the data term covers every pixel a window's
events touch (the window plus ``r``), masked outside the image — and is solved by the library's
one proximal-gradient core (FISTA with restart). Each tile and round is one Dask task
(``overlap`` + ``map_blocks`` with ``block_info``); the whole solve is a handful of graph
submissions.

Halo rule and error: the round-0 error of a core comes from the events the window cut off;
the coupling ``AᵀA`` has range ``2r``, and the influence of a wrong boundary decays with the
distance from it, so a halo of ``2r`` already puts the cores' relative error near 1e-4 and the
correction round, whose boundary values carry only that error, brings it to ~1e-6 or below
(measured: see the section's notebook and tests). Tasks need the data on ``tile + 2(halo + r)``
and the previous events on ``tile + 2(halo + 2r)`` pixels: that, not the image, sets a worker's
memory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import scipy.fft as sfft
from scipy.signal import fftconvolve

from ._validate import check_choice, check_int, check_real
from .objectives import LeastSquares
from .operators.base import LinearOperator
from .operators.convolution import LinearConvolution
from .operators.fourier import FourierConvolution, transfer_from_centered, transfer_from_kernel
from .prox import L1Norm
from .solvers import proximal_gradient

__all__ = ["BOUNDARIES", "truncated_kernel", "kernel_tail", "TileConvolution", "solve_window", "TiledSolve",
           "solve_tiled", "lambda_max", "global_operator", "solve_global", "objective", "cluster_client",
           "check_tiling", "as_dask"]

#: Boundary models of the tiled solver.
BOUNDARIES = ("periodic", "masked")


# -- the kernel in space ----------------------------------------------------------------------------------
def kernel_tail(kernel_full: np.ndarray) -> np.ndarray:
    """``tail[r]``: fraction of the energy of a centred kernel outside its ``(2r+1)²`` central square."""
    k2 = np.asarray(kernel_full, dtype=np.float64) ** 2
    n0, n1 = k2.shape
    c0, c1 = n0 // 2, n1 // 2
    total = k2.sum()
    rmax = min(c0, c1, n0 - 1 - c0, n1 - 1 - c1)
    inside = np.array([k2[c0 - r:c0 + r + 1, c1 - r:c1 + r + 1].sum() for r in range(rmax + 1)])
    return np.maximum(1.0 - inside / total, 0.0)


def truncated_kernel(*, tol: float = 1e-8, grid: int = 1024, **envelope_options) -> tuple[np.ndarray, float]:
    """The MotionClouds kernel in space, truncated where its energy outside falls below ``tol``.

    Parameters
    ----------
    tol : float
        Largest allowed fraction of the kernel's energy outside the kept ``(2r+1)²`` square.
    grid : int
        Side of the frequency grid the envelope is sampled on (large enough that the kernel
        has decayed well before the grid's edge: 1024 for the document's kernel).
    **envelope_options
        ``sf_0``, ``B_sf``, ``theta``, ``B_theta`` of :func:`~sparseimg.kernels.motion_cloud_envelope`.

    Returns
    -------
    kernel : ndarray, shape (2r+1, 2r+1), float64
        Centred on ``[r, r]``, scaled to unit ℓ2 norm — one normalization for every tile and
        every image size (not unit energy of a size-dependent envelope).
    tail : float
        Fraction of the energy left outside (``< tol``).
    """
    from .kernels import motion_cloud_envelope

    tol = check_real("tol", tol, low=0.0, high=1.0, low_open=True)
    grid = check_int("grid", grid, low=16)
    env = motion_cloud_envelope((grid, grid), **envelope_options)
    full = np.fft.fftshift(np.fft.irfft2(transfer_from_centered(env), s=(grid, grid)))
    tail = kernel_tail(full)
    ok = np.nonzero(tail < tol)[0]
    if ok.size == 0:
        raise ValueError(f"tol={tol!r} is not reachable on grid={grid}: the smallest tail is {tail.min():.3g}; "
                         "expected a larger tol or grid")
    r = int(ok[0])
    c = grid // 2
    k = full[c - r:c + r + 1, c - r:c + r + 1]
    return np.ascontiguousarray(k / np.sqrt((k ** 2).sum())), float(tail[r])


def _radius(kernel: np.ndarray) -> int:
    k = np.asarray(kernel)
    if k.ndim != 2 or k.shape[0] != k.shape[1] or k.shape[0] % 2 == 0:
        raise ValueError(f"kernel has shape {k.shape}: expected a square (2r+1, 2r+1) array")
    return k.shape[0] // 2


# -- the operator of one window ---------------------------------------------------------------------------
class TileConvolution(LinearOperator):
    """``y_W ↦ m ⊙ (k ∗ y_W)``: the events of a window to every pixel they touch, masked.

    The output grid is the window plus ``r`` on each side, so the full linear convolution fits
    without wrap-around and one circular FFT convolution on that grid computes it exactly.

    Parameters
    ----------
    kernel : ndarray, shape (2r+1, 2r+1)
    window : (w0, w1)
        Shape of the window (the variables).
    observed : ndarray of bool, shape (w0 + 2r, w1 + 2r), optional
        True where a pixel lies in the image (default: all).
    """

    def __init__(self, kernel: np.ndarray, window: tuple[int, int], *, observed: np.ndarray | None = None):
        self.radius = r = _radius(kernel)
        self.shape = (int(window[0]), int(window[1]))
        self.grid = (self.shape[0] + 2 * r, self.shape[1] + 2 * r)
        self.dtype = np.dtype(np.float64)
        fft_grid = tuple(sfft.next_fast_len(n, real=True) for n in self.grid)  # zeros beyond the grid
        self._conv = FourierConvolution(transfer_from_kernel(kernel, fft_grid, center=(r, r)), fft_grid)
        if observed is not None and observed.shape != self.grid:
            raise ValueError(f"observed has shape {observed.shape}: expected {self.grid}")
        self.observed = None if observed is None or observed.all() else observed

    def forward(self, x: np.ndarray) -> np.ndarray:
        r, (g0, g1) = self.radius, self.grid
        padded = np.zeros(self._conv.shape)
        padded[r:r + self.shape[0], r:r + self.shape[1]] = x
        out = self._conv.forward(padded)[:g0, :g1]
        return out * self.observed if self.observed is not None else np.ascontiguousarray(out)

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        r, (g0, g1) = self.radius, self.grid
        padded = np.zeros(self._conv.shape)
        padded[:g0, :g1] = y * self.observed if self.observed is not None else y
        return np.ascontiguousarray(self._conv.adjoint(padded)[r:r + self.shape[0], r:r + self.shape[1]])

    def lipschitz_constant(self) -> float:
        return self._conv.lipschitz_constant()


def solve_window(data: np.ndarray, previous: np.ndarray | None, kernel: np.ndarray, lam: float, *,
                 window: tuple[slice, slice], observed: np.ndarray | None, n_iter: int, tol: float) -> np.ndarray:
    """Solve one window with the events outside it held fixed (the work of one task).

    Parameters
    ----------
    data : ndarray
        Observation on the window plus ``r`` (``window`` indexes the window inside the
        window-plus-``2r`` frame of ``previous``; ``data`` is that frame cropped by ``r``).
    previous : ndarray or None
        Events on the window plus ``2r`` (None: all zero, round 0); inside the window they
        are the warm start, outside they are held fixed.
    lam : float
        Absolute ℓ1 weight.
    observed : ndarray of bool or None
        Mask of ``data`` (pixels inside the image).

    Returns
    -------
    ndarray
        The minimizer over the window's events.
    """
    r = _radius(kernel)
    s0, s1 = window
    shape = (s0.stop - s0.start, s1.stop - s1.start)
    b = np.array(data, dtype=np.float64)
    if previous is not None:
        fixed = np.array(previous, dtype=np.float64)
        start = fixed[s0, s1].copy()
        fixed[s0, s1] = 0.0
        b -= fftconvolve(fixed, kernel, mode="valid")  # A of the frozen events, on window + r
    else:
        start = np.zeros(shape)
    if observed is not None:
        b[~observed] = 0.0
    op = TileConvolution(kernel, shape, observed=observed)
    y, _ = proximal_gradient(LeastSquares(op, b), L1Norm(lam), start, n_iter=n_iter, tol=tol,
                             accelerate=True, restart=True)
    return y


# -- one round as one map_blocks over overlapped arrays ---------------------------------------------------
def _offsets(chunks):
    return [np.concatenate([[0], np.cumsum(c)]).astype(int) for c in chunks]


def _tile_task(xb, yb=None, *, kernel, lam, halo, depth, shape, offsets, boundary, n_iter, tol, block_info=None):
    r = _radius(kernel)
    i, j = block_info[0]["chunk-location"]
    origin = (offsets[0][i], offsets[1][j])
    core = (offsets[0][i + 1] - origin[0], offsets[1][j + 1] - origin[1])
    lo, hi = [], []
    for ax in range(2):  # window in the block's local frame (core at [depth, depth + core))
        a, b = depth - halo, depth + core[ax] + halo
        if boundary == "masked":
            a = max(a, depth - origin[ax])
            b = min(b, depth + shape[ax] - origin[ax])
        lo.append(a)
        hi.append(b)
    frame = tuple(slice(lo[ax] - 2 * r, hi[ax] + 2 * r) for ax in range(2))
    dframe = tuple(slice(lo[ax] - r, hi[ax] + r) for ax in range(2))
    observed = None
    if boundary == "masked":
        rows = np.arange(dframe[0].start, dframe[0].stop) - depth + origin[0]
        cols = np.arange(dframe[1].start, dframe[1].stop) - depth + origin[1]
        observed = ((rows >= 0) & (rows < shape[0]))[:, None] & ((cols >= 0) & (cols < shape[1]))[None, :]
    window = tuple(slice(2 * r, 2 * r + hi[ax] - lo[ax]) for ax in range(2))
    y = solve_window(xb[dframe], None if yb is None else yb[frame], kernel, lam, window=window,
                     observed=observed, n_iter=n_iter, tol=tol)
    c0, c1 = depth - lo[0], depth - lo[1]
    return np.ascontiguousarray(y[c0:c0 + core[0], c1:c1 + core[1]])


def check_tiling(shape, tile: int, halo: int, radius: int, *, boundary: str = "masked") -> None:
    """Raise ValueError unless every tile holds the overlap depth ``halo + 2r`` (``depth``) and, when
    periodic, a window with its frame (``tile + 2 depth``) does not wrap onto itself."""
    depth = halo + 2 * radius
    for n in shape:
        last = n % tile or tile
        if tile < depth or last < depth:
            raise ValueError(f"tile={tile} is not allowed for an image of shape {tuple(shape)} with halo={halo} "
                             f"and kernel radius {radius}: every tile (the last is {min(last, n)}) must be at least "
                             f"halo + 2 × radius = {depth} pixels")
        if boundary == "periodic" and n < tile + 2 * depth:
            raise ValueError(f"tile={tile} is not allowed for a periodic image of shape {tuple(shape)} with "
                             f"halo={halo} and kernel radius {radius}: expected tile + 2 × (halo + 2 × radius) "
                             f"= {tile + 2 * depth} <= {n} (a window must not wrap onto itself)")


def as_dask(image, tile: int):
    """A dask array of ``image`` (numpy, zarr array, dask array or path of a zarr array) in ``tile`` chunks."""
    import dask.array as da

    if isinstance(image, (str, os.PathLike)):
        import zarr

        image = zarr.open_array(str(image), mode="r")
    if isinstance(image, da.Array):
        return image.rechunk((tile, tile)).astype(np.float64)
    if isinstance(image, np.ndarray):
        return da.from_array(image.astype(np.float64, copy=False), chunks=(tile, tile))
    return da.from_array(image, chunks=(tile, tile), asarray=True).astype(np.float64)  # a zarr array


def _round(x, y_prev, kernel, lam, *, halo, boundary, n_iter, tol):
    import dask.array as da

    r = _radius(kernel)
    depth = halo + 2 * r
    bnd = "periodic" if boundary == "periodic" else 0.0
    xo = da.overlap.overlap(x, depth={0: depth, 1: depth}, boundary={0: bnd, 1: bnd}, allow_rechunk=False)
    args = [xo] if y_prev is None else [xo, da.overlap.overlap(y_prev, depth={0: depth, 1: depth},
                                                                boundary={0: bnd, 1: bnd}, allow_rechunk=False)]
    task = partial(_tile_task, kernel=kernel, lam=float(lam), halo=halo, depth=depth, shape=x.shape,
                   offsets=_offsets(x.chunks), boundary=boundary, n_iter=n_iter, tol=tol)
    from dask.base import tokenize

    token = tokenize(*args, kernel, float(lam), halo, boundary, n_iter, tol)
    return da.map_blocks(task, *args, chunks=x.chunks, dtype=np.float64,
                         name=f"csc-round{0 if y_prev is None else 1}-{token}")  # prefix names the round


# -- the driver -------------------------------------------------------------------------------------------
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
        yield c


def lambda_max(x, kernel: np.ndarray, *, boundary: str):
    """``‖Aᵀx‖∞`` as a lazy Dask reduction (tile by tile, overlap ``r``): above it the solution is 0."""
    import dask.array as da

    r = _radius(kernel)
    flipped = np.ascontiguousarray(kernel[::-1, ::-1])
    bnd = "periodic" if boundary == "periodic" else 0.0
    xo = da.overlap.overlap(x, depth={0: r, 1: r}, boundary={0: bnd, 1: bnd}, allow_rechunk=False)
    corr = da.map_blocks(lambda b: fftconvolve(b, flipped, mode="valid"), xo, chunks=x.chunks, dtype=np.float64)
    return abs(corr).max()


@dataclass
class TiledSolve:
    """Result of :func:`solve_tiled`: the events (numpy, or the zarr array written), per-round
    events of round 0 (numpy only when small), the absolute λ and the kernel radius."""

    events: object
    lam: float
    radius: int
    rounds: int
    round0: np.ndarray | None = None
    windows: list = field(default_factory=list)  # (start, stop) epoch seconds of each round's submission


def solve_tiled(image, kernel: np.ndarray, *, lam: float, tile: int, halo: int, boundary: str = "periodic",
                rounds: int = 2, lam_absolute: bool = False, n_iter: int = 2000, tol: float = 1e-10,
                client=None, out=None, progress: bool = False, keep_round0: bool = False) -> TiledSolve:
    """Convolutional sparse coding of a large image, tiled, on a Dask cluster.

    Parameters
    ----------
    image : ndarray, zarr array, dask array or path of a zarr array, shape (n0, n1)
    kernel : ndarray, shape (2r+1, 2r+1)
        Spatial kernel (see :func:`truncated_kernel`).
    lam : float
        ``λ / ‖Aᵀx‖∞`` (scale-free, as in section 1), or the absolute λ with ``lam_absolute=True``.
    tile, halo : int
        Core side (the Dask and zarr chunk) and extra pixels solved around it.
    boundary : {"periodic", "masked"}
    rounds : {1, 2}
        1: independent windows; 2: plus the correction round.
    n_iter, tol : int, float
        Cap and relative-change tolerance of every local FISTA solve.
    client : None, str or distributed.Client
        See :func:`cluster_client`.
    out : str or None
        Path of the output zarr array (chunks ``tile × tile``, written chunk-aligned, so no lock);
        None returns a numpy array. The round-0 events go to ``<out>.round0`` beside it.
    progress : bool
        Dask's progress bar for every submission.

    Returns
    -------
    TiledSolve
    """
    import dask.array as da
    from distributed import progress as dask_progress, wait

    check_choice("boundary", boundary, BOUNDARIES)
    rounds = check_int("rounds", rounds, low=1, high=2)
    tile = check_int("tile", tile, low=8)
    halo = check_int("halo", halo, low=0)
    lam = check_real("lam", lam, low=0.0, low_open=True)
    r = _radius(kernel)
    kernel = np.ascontiguousarray(kernel, dtype=np.float64)
    with cluster_client(client) as c:
        x = as_dask(image, tile)
        check_tiling(x.shape, tile, halo, r, boundary=boundary)
        if not lam_absolute:
            lam = lam * float(c.compute(lambda_max(x, kernel, boundary=boundary)).result())
        opts = dict(halo=halo, boundary=boundary, n_iter=n_iter, tol=tol)
        y = _round(x, None, kernel, lam, **opts)
        round0, windows = None, []
        for k in range(1, rounds + 1):
            last = k == rounds
            begin = time.time()
            if last and out is not None:
                target = _zarr_like(out, x.shape, tile)
                stored = da.store(y, target, lock=False, compute=False)
                future = c.compute(stored)
                if progress:
                    dask_progress(future)
                future.result()
                result = target
            elif last:
                future = c.compute(y)
                if progress:
                    dask_progress(future)
                result = future.result()
            else:  # keep round 0 where the next round reads it: zarr beside the output, else cluster memory
                if out is not None:
                    scratch = _zarr_like(str(out) + ".round0", x.shape, tile)
                    stored = c.compute(da.store(y, scratch, lock=False, compute=False))
                    if progress:
                        dask_progress(stored)
                    stored.result()
                    y_prev = da.from_array(scratch, chunks=(tile, tile), asarray=True)
                    scratch_path = str(out) + ".round0"
                else:
                    y_prev = c.persist(y)
                    if progress:
                        dask_progress(y_prev)
                    wait(y_prev)
                if keep_round0:
                    round0 = np.asarray(c.compute(y_prev).result())
                y = _round(x, y_prev, kernel, lam, **opts)
            windows.append((begin, time.time()))
    if out is not None and rounds > 1 and os.path.isdir(scratch_path):
        shutil.rmtree(scratch_path)  # round 0 was only the next round's input
    return TiledSolve(events=result, lam=float(lam), radius=r, rounds=rounds, round0=round0, windows=windows)


def _zarr_like(path, shape, tile):
    import zarr

    return zarr.open_array(str(path), mode="w", shape=shape, chunks=(tile, tile), dtype="float64", fill_value=0.0,
                           config={"write_empty_chunks": True})  # every tile is written, even an all-zero one


# -- the global reference (in memory) ---------------------------------------------------------------------
def global_operator(kernel: np.ndarray, shape, *, boundary: str):
    """The in-memory operator of the same problem: circular (periodic) or linear (masked) convolution."""
    check_choice("boundary", boundary, BOUNDARIES)
    r = _radius(kernel)
    if boundary == "periodic":
        return FourierConvolution(transfer_from_kernel(kernel, shape, center=(r, r)), shape)
    return LinearConvolution(kernel, shape)


def solve_global(image: np.ndarray, kernel: np.ndarray, lam_abs: float, *, boundary: str, n_iter: int = 5000,
                 tol: float = 1e-12):
    """Global FISTA (with restart) on the whole image: ``(y, history)``."""
    op = global_operator(kernel, image.shape, boundary=boundary)
    return proximal_gradient(LeastSquares(op, image), L1Norm(lam_abs), np.zeros(image.shape), n_iter=n_iter,
                             tol=tol, accelerate=True, restart=True)


def objective(image: np.ndarray, events: np.ndarray, kernel: np.ndarray, lam_abs: float, *, boundary: str) -> float:
    """``½‖A y − x‖² + λ‖y‖₁`` in memory."""
    op = global_operator(kernel, image.shape, boundary=boundary)
    return float(0.5 * np.sum((op.forward(events) - image) ** 2) + lam_abs * np.abs(events).sum())

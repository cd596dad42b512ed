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
one proximal-gradient core (FISTA with restart; one FFT pair per iteration inside the image, two on
its border). Each tile and round is one Dask task whose inputs are the 3 × 3 neighbouring tiles
(:func:`neighbourhood_map`); both rounds are one graph, so the whole solve is two submissions (λ,
then the rounds) and a tile's round 1 waits only for its neighbours' round 0.

Halo rule and error: the round-0 error of a core comes from the events the window cut off;
the coupling ``AᵀA`` has range ``2r``, and the influence of a wrong boundary decays with the
distance from it, so a halo of ``2r`` already puts the cores' relative error near 1e-4 and the
correction round, whose boundary values carry only that error, brings it to ~1e-6 or below
(measured: see the section's notebook and tests). Tasks need the data on ``tile + 2(halo + r)``
and the previous events on ``tile + 2(halo + 2r)`` pixels: that, not the image, sets a worker's
memory.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from functools import partial

import numpy as np
import scipy.fft as sfft
from scipy.signal import fftconvolve

from sparseimg._validate import check_choice, check_int, check_real
from sparseimg.optim.objectives import LeastSquares
from sparseimg.operators.base import LinearOperator, PreparedData
from sparseimg.operators.convolution import LinearConvolution
from sparseimg.operators.fourier import FourierConvolution, transfer_from_centered, transfer_from_kernel
from sparseimg.large.dask_tiles import (as_dask, cluster_client, is_stored, neighbourhood_map, open_source, starts as _offsets,
                         tile_grid, zarr_like)
from sparseimg.optim.prox import L1Norm
from sparseimg.optim.solvers import proximal_gradient

__all__ = ["BOUNDARIES", "default_halo", "truncated_kernel", "kernel_tail", "largest_tolerance_for_radius", "TileConvolution", "solve_window", "neighbourhood_map",
           "TiledSolve", "solve_tiled", "lambda_max", "global_operator", "solve_global", "objective", "cluster_client",
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
    tol = check_real("tol", tol, low=0.0, high=1.0, low_open=True)
    grid = check_int("grid", grid, low=16)
    full = _kernel_full(grid, envelope_options)
    tail = kernel_tail(full)
    ok = np.nonzero(tail < tol)[0]
    if ok.size == 0:
        raise ValueError(f"tol={tol!r} is not reachable on grid={grid}: the smallest tail is {tail.min():.3g}; "
                         "expected a larger tol or grid")
    r = int(ok[0])
    c = grid // 2
    k = full[c - r:c + r + 1, c - r:c + r + 1]
    return np.ascontiguousarray(k / np.sqrt((k ** 2).sum())), float(tail[r])


def _kernel_full(grid: int, envelope_options: dict) -> np.ndarray:
    from sparseimg.kernels import motion_cloud_envelope

    env = motion_cloud_envelope((grid, grid), **envelope_options)
    return np.fft.fftshift(np.fft.irfft2(transfer_from_centered(env), s=(grid, grid)))


def largest_tolerance_for_radius(radius: int, *, grid: int = 1024, **envelope_options) -> float:
    """The largest ``tol`` of :func:`truncated_kernel` whose kernel has radius ``<= radius`` — a tolerance
    just above the energy left outside the ``(2·radius+1)²`` square (the tail itself, rounded up to two
    significant digits)."""
    radius = check_int("radius", radius, low=0)
    tail = kernel_tail(_kernel_full(check_int("grid", grid, low=16), envelope_options))
    t = float(tail[min(radius, tail.size - 1)])
    if t <= 0.0:
        return float(np.finfo(float).tiny)
    exponent = np.floor(np.log10(t)) - 1
    return float(np.ceil(t / 10 ** exponent + 1e-9) * 10 ** exponent)  # 2 digits, strictly above the tail


def default_halo(radius: int, halo: int | None = None) -> int:
    """The halo a tiled solve uses: ``halo`` when given, else twice the kernel's radius (the workspace's default:
    an event a radius outside the window still reaches it through the kernel's other half).

    Parameters
    ----------
    radius : int
        The kernel's radius ``r`` (a ``(2r+1, 2r+1)`` kernel).
    halo : int or None
        The requested halo (None: the default).

    Returns
    -------
    int
    """
    return 2 * int(radius) if halo is None else int(halo)


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
        g0, g1 = self.grid
        out = self._conv.forward(self._pad(x, self.radius))[:g0, :g1]
        return out * self.observed if self.observed is not None else np.ascontiguousarray(out)

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        return self._crop(self._conv.adjoint(self._pad(y * self.observed if self.observed is not None else y, 0)))

    def lipschitz_constant(self) -> float:
        return self._conv.lipschitz_constant()

    def _pad(self, x: np.ndarray, at: int) -> np.ndarray:
        padded = np.zeros(self._conv.shape)
        padded[at:at + x.shape[0], at:at + x.shape[1]] = x
        return padded

    def _crop(self, z: np.ndarray) -> np.ndarray:
        r = self.radius
        return np.ascontiguousarray(z[r:r + self.shape[0], r:r + self.shape[1]])

    # -- the data term: one FFT pair when nothing is masked ------------------------------------------------
    # Unmasked, A = C P (P places the window on the FFT grid, C is the circular convolution there, whose
    # output beyond the window-plus-r grid is exactly 0), so ½‖A x − b‖² is the circular data term of
    # ``P x`` against ``b`` padded with zeros, and AᵀA = Pᵀ CᵀC P: value (Parseval) and gradient come from
    # one FFT pair instead of two. A mask sits between C and Cᵀ and keeps the two-pair default.
    def normal(self, x: np.ndarray) -> np.ndarray:
        if self.observed is not None:
            return self.adjoint(self.forward(x))
        return self._crop(self._conv.normal(self._pad(x, self.radius)))

    def prepare_data(self, data: np.ndarray) -> PreparedData:
        b = np.asarray(data, dtype=np.float64)
        if b.shape != self.grid:
            raise ValueError(f"data has shape {b.shape}: expected {self.grid}")
        if self.observed is not None:
            return PreparedData(b * self.observed)
        return PreparedData(b, self._conv.prepare_data(self._pad(b, 0)))

    def adjoint_data(self, prepared: PreparedData) -> np.ndarray:
        if prepared.extra is None:
            return super().adjoint_data(prepared)
        if prepared._adjoint is None:
            prepared._adjoint = self._crop(self._conv.adjoint_data(prepared.extra))
        return prepared._adjoint

    def residual_value(self, x: np.ndarray, prepared: PreparedData) -> float:
        if prepared.extra is None:
            return super().residual_value(x, prepared)
        return self._conv.residual_value(self._pad(x, self.radius), prepared.extra)

    def residual_grad(self, x: np.ndarray, prepared: PreparedData) -> np.ndarray:
        if prepared.extra is None:
            return super().residual_grad(x, prepared)
        return self._crop(self._conv.residual_grad(self._pad(x, self.radius), prepared.extra))

    def residual_value_and_grad(self, x: np.ndarray, prepared: PreparedData) -> tuple[float, np.ndarray]:
        if prepared.extra is None:
            return super().residual_value_and_grad(x, prepared)
        value, g = self._conv.residual_value_and_grad(self._pad(x, self.radius), prepared.extra)
        return value, self._crop(g)


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
    _radius(kernel)  # a square, odd kernel (raises otherwise)
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
    op = TileConvolution(kernel, shape, observed=observed)  # its data term masks b
    y, _ = proximal_gradient(LeastSquares(op, b), L1Norm(lam), start, n_iter=n_iter, tol=tol,
                             accelerate=True, restart=True)
    return y


# -- one round: one task per tile (see dask_tiles.neighbourhood_map) ----------------------------------------
def _tile_task(location, xb, yb=None, *, kernel, lam, halo, depth, shape, offsets, boundary, n_iter, tol):
    r = _radius(kernel)
    i, j = location
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


def _round(x, y_prev, kernel, lam, *, grid, halo, boundary, n_iter, tol, solve_id, write=None, after=None):
    r = _radius(kernel)
    depth = halo + 2 * r
    shape = tuple(sum(c) for c in grid)
    task = partial(_tile_task, kernel=kernel, lam=float(lam), halo=halo, depth=depth, shape=shape,
                   offsets=_offsets(grid), boundary=boundary, n_iter=n_iter, tol=tol)
    sources = [x] if y_prev is None else [x, y_prev]
    # one name per solve (two solves in one cluster never share results); the first word of a key survives
    # Dask's fusion, so the task stream tells the rounds apart
    return neighbourhood_map(task, sources, depth=depth, boundary=boundary, grid=grid, write=write, after=after,
                             name=f"csc_round{0 if y_prev is None else 1}-{solve_id}")


# -- the driver -------------------------------------------------------------------------------------------
def _abs_correlation_max(location, frame, *, flipped):
    return np.array([[np.abs(fftconvolve(frame, flipped, mode="valid")).max()]])


def lambda_max(x, kernel: np.ndarray, *, boundary: str, grid=None, name: str | None = None):
    """``‖Aᵀx‖∞`` as a lazy Dask reduction (one task per tile on its frame of ``r`` more pixels, then a tree
    of maxima): above it the solution is 0. ``x`` is a dask array, or a stored (zarr) array with its tile
    ``grid``."""
    from dask.base import tokenize

    r = _radius(kernel)
    flipped = np.ascontiguousarray(kernel[::-1, ::-1])
    grid = grid or x.chunks
    name = name or f"csc_lambda-{tokenize(x, grid, kernel, boundary)}"
    maxima = neighbourhood_map(partial(_abs_correlation_max, flipped=flipped), [x], depth=r, boundary=boundary,
                               name=name, grid=grid, chunks=tuple((1,) * len(c) for c in grid))
    return maxima.max()


@dataclass
class TiledSolve:
    """Result of :func:`solve_tiled`: the events (numpy, or the zarr array written), the round-0 events
    (numpy, only with ``keep_round0``), the absolute λ, the kernel radius and the number of rounds."""

    events: object
    lam: float
    radius: int
    rounds: int
    round0: np.ndarray | None = None


def solve_tiled(image, kernel: np.ndarray, *, lam: float, tile: int, halo: int, boundary: str = "periodic",
                rounds: int = 2, lam_absolute: bool = False, n_iter: int = 2000, tol: float = 1e-10,
                round0_tol: float | None = None, client=None, out=None, progress: bool = False,
                keep_round0: bool = False) -> TiledSolve:
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
    round0_tol : float, optional
        Tolerance of the round-0 solves when a correction round follows (default ``tol``): round 0 only
        provides the warm start and the frozen neighbours of round 1, whose own error (the halo's, ~1e-5
        and below) is far above ``tol``.
    client : None, str or distributed.Client
        See :func:`cluster_client`.
    out : str or None
        Path of the output zarr array (chunks ``tile × tile``, each written by its own task, so no lock);
        round 0 goes to ``<out>.round0`` beside it (removed at the end). None returns a numpy array.
    progress : bool
        Dask's progress bar, on stderr.

    Returns
    -------
    TiledSolve

    Notes
    -----
    Two submissions: the λ reduction (unless ``lam_absolute``), then both rounds as one graph, one task
    per tile and round. A round-1 task waits only for the round-0 tasks of its neighbours, so round 1
    starts while round 0 is still running elsewhere (no barrier, no idle tail between rounds). With a
    zarr input and ``out``, every task reads its frames from storage and writes its tile: nothing is
    held or moved between tasks, and a worker's memory is set by the tile, not by the image. Otherwise
    a round-0 tile lives in the workers' memory until its neighbours' round 1 has read it.
    """
    from distributed import progress as dask_progress

    check_choice("boundary", boundary, BOUNDARIES)
    rounds = check_int("rounds", rounds, low=1, high=2)
    tile = check_int("tile", tile, low=8)
    halo = check_int("halo", halo, low=0)
    lam = check_real("lam", lam, low=0.0, low_open=True)
    tol = check_real("tol", tol, low=0.0, high=1.0, high_open=True)
    round0_tol = tol if round0_tol is None else check_real("round0_tol", round0_tol, low=0.0, high=1.0,
                                                           high_open=True)
    if rounds == 1:  # round 0 is the answer
        round0_tol = tol
    r = _radius(kernel)
    kernel = np.ascontiguousarray(kernel, dtype=np.float64)
    solve_id = uuid.uuid4().hex  # task names: two solves in one cluster never share results
    source = open_source(image)
    stored = is_stored(source)
    x = source if stored else as_dask(source, tile)
    if len(x.shape) != 2:
        raise ValueError(f"image has shape {tuple(x.shape)}: expected a 2-D array")
    shape = tuple(int(n) for n in x.shape)
    check_tiling(shape, tile, halo, r, boundary=boundary)
    grid = tile_grid(shape, tile)
    opts = dict(grid=grid, halo=halo, boundary=boundary, n_iter=n_iter, solve_id=solve_id)
    scratch = None
    with cluster_client(client) as c:
        if not lam_absolute:
            lam = lam * float(c.compute(lambda_max(x, kernel, boundary=boundary, grid=grid,
                                                   name=f"csc_lambda-{solve_id}")).result())
        if out is None:  # in memory: a round-0 tile lives on the workers until its neighbours' round 1
            y0 = _round(x, None, kernel, lam, tol=round0_tol, **opts)
            y = y0 if rounds == 1 else _round(x, y0, kernel, lam, tol=tol, **opts)
            futures = c.compute([y] + ([y0] if keep_round0 and rounds > 1 else []))
        else:  # stored: every task writes its tile and reads its frames, so nothing is held between tasks
            events = zarr_like(out, shape, tile)
            if rounds == 1:
                tokens = _round(x, None, kernel, lam, tol=tol, write=events, **opts)
            else:
                scratch = zarr_like(f"{out}.round0", shape, tile)
                first = _round(x, None, kernel, lam, tol=round0_tol, write=scratch, **opts)
                tokens = _round(x, scratch, kernel, lam, tol=tol, write=events, after=first, **opts)
            futures = c.compute([tokens])
        if progress:  # Dask's text bar writes to stdout: send it to stderr, redrawn in place
            import contextlib
            import sys

            with contextlib.redirect_stdout(sys.stderr):
                dask_progress(futures)
        values = c.gather(futures)
    round0 = None
    if out is None:
        events = np.asarray(values[0])
        if keep_round0:
            round0 = np.asarray(values[-1])
    elif keep_round0:
        round0 = np.asarray((scratch if scratch is not None else events)[...])
    if scratch is not None:
        shutil.rmtree(f"{out}.round0", ignore_errors=True)  # only round 1's input
    return TiledSolve(events=events, lam=float(lam), radius=r, rounds=rounds, round0=round0)


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

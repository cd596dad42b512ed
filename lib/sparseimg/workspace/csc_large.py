"""``python -m sparseimg csc-large INPUT OUTPUT.zarr``: tiled sparse coding of a user's own image.

Every argument is checked before any work (no cluster started, no pixel read beyond the
array's metadata); a problem is one line naming the option, its value and what is allowed
(:class:`~sparseimg.workspace.params.ParamError`, exit status 2).
"""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

from sparseimg.schema import ParamError

__all__ = ["add_parser", "run"]

_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://[^\s/:]+(:\d{1,5})?$|^[A-Za-z0-9_.\-]+:\d{1,5}$")


def add_parser(sub) -> None:
    p = sub.add_parser("csc-large", help="convolutional sparse coding of a large image, tiled on Dask")
    p.add_argument("input", help="image: a 2-D zarr array (.zarr) or a PNG (.png, converted to grey)")
    p.add_argument("output", help="output zarr array of the events (.zarr; chunks = tile × tile)")
    p.add_argument("--lam", type=float, required=True, help="λ / ‖Aᵀx‖∞, in (0, 1)")
    p.add_argument("--tile", type=int, required=True, help="tile side (Dask and zarr chunk), pixels")
    p.add_argument("--halo", type=int, default=None, help="pixels solved around each tile (default: 2 × radius)")
    p.add_argument("--boundary", default="masked", help="masked (bounded image, default) or periodic")
    p.add_argument("--rounds", type=int, default=2, help="1: independent tiles; 2: plus the correction round")
    p.add_argument("--kernel", default=None, metavar="FILE.npy",
                   help="your own spatial kernel: a square (2r+1)² array saved by numpy.save, used as is "
                        "(default: the MotionClouds kernel of the options below)")
    p.add_argument("--kernel-tol", type=float, default=1e-8, help="energy fraction of the kernel left outside")
    p.add_argument("--sf0", type=float, default=0.15, help="MotionClouds preferred spatial frequency, (0, 0.5]")
    p.add_argument("--bsf", type=float, default=0.15, help="MotionClouds radial bandwidth, > 0")
    p.add_argument("--theta", type=float, default=0.0, help="MotionClouds orientation θ, radians (with --btheta)")
    p.add_argument("--btheta", type=float, default=math.inf,
                   help="MotionClouds orientation bandwidth B_θ, radians, > 0 (default: inf, isotropic)")
    p.add_argument("--n-iter", type=int, default=2000, help="iteration cap of each local FISTA solve")
    p.add_argument("--tol", type=float, default=1e-10, help="relative-change tolerance of the last round's local solves")
    p.add_argument("--round0-tol", type=float, default=1e-7,
                   help="relative-change tolerance of round 0 when a correction round follows")
    p.add_argument("--scheduler", default=None, help="address of a running dask scheduler (default: a LocalCluster)")
    p.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    p.add_argument("--progress", action="store_true",
                   help="progress bar even when stderr is not a terminal (default: on a terminal only)")
    p.add_argument("--quiet", action="store_true", help="no plan line, no progress bar (stderr)")


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise ParamError(message)


def _image_shape(path: Path):
    """Shape of the input from its metadata only (zarr) or its header (PNG)."""
    suffix = path.suffix.lower()
    _check(suffix in (".zarr", ".png"), f"INPUT={str(path)!r} is not allowed: expected a .zarr array or a .png image")
    _check(path.exists(), f"INPUT={str(path)!r} does not exist: expected an existing .zarr array or .png image")
    if suffix == ".png":
        from PIL import Image

        try:
            with Image.open(path) as im:
                return (im.height, im.width)
        except Exception as exc:  # noqa: BLE001 - any unreadable file is one clear line
            raise ParamError(f"INPUT={str(path)!r} is not a readable PNG image ({type(exc).__name__})") from None
    import zarr

    try:
        arr = zarr.open_array(str(path), mode="r")
    except Exception as exc:  # noqa: BLE001
        raise ParamError(f"INPUT={str(path)!r} is not a readable zarr array ({type(exc).__name__})") from None
    _check(arr.ndim == 2, f"INPUT={str(path)!r} has shape {arr.shape}: expected a 2-D array (rows, columns)")
    _check(arr.dtype.kind in "fiu", f"INPUT={str(path)!r} has dtype {arr.dtype}: expected real pixel values")
    return tuple(arr.shape)


def validate(args):
    """Check every argument; returns ``(shape, kernel, halo)``."""
    from sparseimg.large.tiled import BOUNDARIES, check_tiling, default_halo, truncated_kernel

    _check(math.isfinite(args.lam) and 0 < args.lam < 1, f"--lam={args.lam!r} is not allowed: expected 0 < lam < 1 "
           "(λ / ‖Aᵀx‖∞; at 1 or above the solution is 0)")
    _check(args.tile >= 8, f"--tile={args.tile!r} is not allowed: expected an integer >= 8")
    _check(args.halo is None or args.halo >= 0, f"--halo={args.halo!r} is not allowed: expected an integer >= 0")
    _check(args.boundary in BOUNDARIES, f"--boundary={args.boundary!r} is not allowed: expected one of "
           + ", ".join(BOUNDARIES))
    _check(args.rounds in (1, 2), f"--rounds={args.rounds!r} is not allowed: expected 1 or 2")
    _check(0 < args.kernel_tol < 1, f"--kernel-tol={args.kernel_tol!r} is not allowed: expected 0 < tol < 1")
    _check(0 < args.sf0 <= 0.5, f"--sf0={args.sf0!r} is not allowed: expected 0 < sf0 <= 0.5")
    _check(args.bsf > 0, f"--bsf={args.bsf!r} is not allowed: expected > 0")
    _check(math.isfinite(args.theta), f"--theta={args.theta!r} is not allowed: expected a finite angle in radians")
    _check(args.btheta > 0, f"--btheta={args.btheta!r} is not allowed: expected > 0 (inf: isotropic)")
    _check(not (args.quiet and args.progress), "--quiet and --progress are not allowed together")
    _check(args.n_iter >= 1, f"--n-iter={args.n_iter!r} is not allowed: expected an integer >= 1")
    _check(0 <= args.tol < 1, f"--tol={args.tol!r} is not allowed: expected 0 <= tol < 1")
    _check(0 <= args.round0_tol < 1, f"--round0-tol={args.round0_tol!r} is not allowed: expected 0 <= tol < 1")
    _check(args.scheduler is None or bool(_ADDRESS.match(args.scheduler)),
           f"--scheduler={args.scheduler!r} is not allowed: expected an address such as tcp://127.0.0.1:8786")
    out = Path(args.output)
    _check(out.suffix.lower() == ".zarr", f"OUTPUT={args.output!r} is not allowed: expected a path ending in .zarr")
    _check(out.resolve() != Path(args.input).resolve(), f"OUTPUT={args.output!r} is not allowed: expected a path "
           "other than INPUT")
    _check(args.overwrite or not out.exists(), f"OUTPUT={args.output!r} exists: expected a new path (or --overwrite)")
    _check(out.parent.resolve().is_dir(), f"OUTPUT={args.output!r} is not allowed: its folder does not exist")
    shape = _image_shape(Path(args.input))
    envelope = dict(sf_0=args.sf0, B_sf=args.bsf, theta=args.theta, B_theta=args.btheta)
    if args.kernel is not None:
        kernel = _load_kernel(args.kernel)
    else:
        try:
            kernel, _ = truncated_kernel(tol=args.kernel_tol, **envelope)
        except ValueError as exc:
            raise ParamError(f"--kernel-tol={args.kernel_tol!r}: {exc}") from None
    radius = kernel.shape[0] // 2
    halo = default_halo(radius, args.halo)
    try:
        check_tiling(shape, args.tile, halo, radius, boundary=args.boundary)
    except ValueError as exc:
        raise ParamError(f"--tile={args.tile!r} / --halo={halo!r}: {exc}{_what_fits(args, shape, radius, envelope)}") \
            from None
    return shape, kernel, halo


def _load_kernel(path: str):
    import numpy as np

    _check(path.lower().endswith(".npy") and Path(path).is_file(),
           f"--kernel={path!r} is not allowed: expected an existing .npy file (numpy.save of a 2-D array)")
    try:
        k = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ParamError(f"--kernel={path!r} is not a readable .npy array ({type(exc).__name__})") from None
    _check(k.ndim == 2 and k.shape[0] == k.shape[1] and k.shape[0] % 2 == 1,
           f"--kernel={path!r} has shape {k.shape}: expected a square (2r+1, 2r+1) array, centred on [r, r]")
    _check(k.dtype.kind in "fiu" and bool(np.isfinite(k).all()) and bool(np.any(k)),
           f"--kernel={path!r} is not allowed: expected finite real values, not all zero")
    return np.ascontiguousarray(k, dtype=np.float64)


def _what_fits(args, shape, radius: int, envelope: dict) -> str:
    """The way out of a kernel radius that does not fit: the smallest tile, and (default halo, our kernel) the
    largest --kernel-tol whose radius fits the requested tile."""
    from sparseimg.large.tiled import default_halo, largest_tolerance_for_radius

    halo = default_halo(radius, args.halo)
    smallest = halo + 2 * radius
    hints = [f"the smallest tile that fits is --tile={smallest}"]
    last = min(min(n % args.tile or args.tile, n) for n in shape)
    if args.kernel is None and args.halo is None and last >= 4:  # halo = 2r: a tile holds 4r
        fits = last // 4
        tol = largest_tolerance_for_radius(fits, **envelope)
        if tol < 1:
            hints.append(f"the largest --kernel-tol for --tile={args.tile} is {tol:.2g} (radius {fits})")
    return "; " + "; ".join(hints)


def run(args) -> int:
    """Validate, then solve; prints one summary line."""
    shape, kernel, halo = validate(args)
    import sys

    from sparseimg.large.tiled import cluster_client, solve_tiled

    image = args.input
    if Path(image).suffix.lower() == ".png":
        from sparseimg.images import load_image

        image = load_image(image, gray=True)
    from sparseimg.large.dask_tiles import tile_grid

    grid = tile_grid(shape, args.tile)
    show_bar = args.progress or (not args.quiet and sys.stderr.isatty())
    if not args.quiet:
        print(f"csc-large: {shape[0]}x{shape[1]} image, {len(grid[0]) * len(grid[1])} tiles "
              f"({len(grid[0])} x {len(grid[1])} of at most {args.tile}), halo {halo}, kernel radius "
              f"{kernel.shape[0] // 2}, {args.rounds} round(s) ({'bar below' if show_bar else 'no progress bar'})",
              file=sys.stderr, flush=True)
    start = time.perf_counter()
    with cluster_client(args.scheduler) as client:
        if not args.quiet:
            print(f"csc-large: Dask dashboard at {client.dashboard_link}", file=sys.stderr, flush=True)
        result = solve_tiled(image, kernel, lam=args.lam, tile=args.tile, halo=halo, boundary=args.boundary,
                             rounds=args.rounds, n_iter=args.n_iter, tol=args.tol, round0_tol=args.round0_tol,
                             client=client, out=args.output, progress=show_bar)
    print(f"csc-large: {shape[0]}x{shape[1]} image, kernel radius {result.radius}, halo {halo}, "
          f"λ = {result.lam:.6g}, {args.rounds} round(s): events written to {args.output} "
          f"in {time.perf_counter() - start:.1f} s")
    return 0

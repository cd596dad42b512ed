"""Section 1b: convolutional sparse coding of images larger than memory, tiled on Dask
(source: "Sparse coding of large images")."""

import functools

from sparseimg.schema import Choice, Float, Int, ListOf, ParamError

TITLE = "1b. Sparse coding of large images, tiled on Dask"
NOTEBOOK = "notebooks/01b_large_images.ipynb"
#: glibc's default heap in this kernel and its Dask workers: the section reports peak resident memory, which
#: memory kept for reuse (:mod:`sparseimg.workspace.heap`) would inflate
KEEP_FREED_MEMORY = False

SCHEMA = {
    "size": Int(64, 8192, quick=256, help="side of the image solved both tiled and globally (both must fit)"),
    "scaling_sizes": ListOf(Int(64, 131072), min_len=1, unique=True, quick=[256, 384],
                            help="sides of the synthetic zarr images of the cost and memory table"),
    "tile": Int(16, 16384, quick=128, help="tile side: the Dask and zarr chunk"),
    "halo": Int(0, 4096, nullable=True, quick=16, help="pixels solved around each tile; null: 2 × kernel radius"),
    "boundary": Choice("masked", "periodic", quick="masked",
                       help="masked: a bounded image (no wrap-around); periodic: circular convolution"),
    "kernel_tol": Float(0, 1, low_open=True, high_open=True, quick=0.001,
                        help="energy fraction of the kernel left outside its truncation radius (1e-8: r = 58)"),
    "sf_0": Float(0, 0.5, low_open=True, quick=0.15, help="MotionClouds preferred spatial frequency (document)"),
    "B_sf": Float(0, low_open=True, quick=0.15, help="MotionClouds radial bandwidth (document)"),
    "rho": Float(0, 1, low_open=True, high_open=True, quick=0.001, help="fraction of non-zero events (document)"),
    "y_lambda": Float(0, low_open=True, quick=1.61803, help="scale of the Laplace coefficients (document)"),
    "noise": Float(0, quick=0.1, help="noise std relative to the expected std of A y"),
    "seed": Int(0, 2**32 - 1, quick=2020, help="seed of the events and noise (drawn per tile)"),
    "lam": Float(0, 1, low_open=True, high_open=True, quick=0.02, help="λ / ‖Aᵀx‖∞"),
    "n_iter": Int(1, 100000, quick=2000, help="iteration cap of every local FISTA solve"),
    "tol": Float(0, 1, high_open=True, quick=1e-10, help="relative-change tolerance of the last round's local solves"),
    "round0_tol": Float(0, 1, high_open=True, quick=1e-7,
                        help="relative-change tolerance of round 0 (the warm start and frozen neighbours of round 1)"),
    "global_iter": Int(1, 1000000, quick=5000, help="iteration cap of the global reference FISTA (tol 1e-12)"),
    "workers": Int(1, 64, quick=2, help="LocalCluster workers (one thread each); at most twice the CPU cores"),
    "estimate_side": Int(1024, 10**7, quick=100000, help="side of the image of the on-paper cluster estimate"),
}


@functools.lru_cache(maxsize=8)
def _radius(kernel_tol: float, sf_0: float, B_sf: float) -> int:
    from sparseimg.large.tiled import truncated_kernel

    return truncated_kernel(tol=kernel_tol, sf_0=sf_0, B_sf=B_sf)[0].shape[0] // 2


def _tiles_fit(block: dict) -> None:
    from sparseimg.large.tiled import check_tiling, default_halo

    r = _radius(block["kernel_tol"], block["sf_0"], block["B_sf"])
    halo = default_halo(r, block["halo"])
    for key, sides in (("size", [block["size"]]), ("scaling_sizes", block["scaling_sizes"])):
        for side in sides:
            try:
                check_tiling((side, side), block["tile"], halo, r, boundary=block["boundary"])
            except ValueError as exc:
                raise ParamError(f"large_images.tile={block['tile']!r} with large_images.{key} side {side}: "
                                 f"{exc}") from None


def _workers_fit_machine(block: dict) -> None:
    import os

    cores = os.cpu_count() or 1
    # one single-threaded process per worker: beyond twice the cores they only contend (and each holds its tiles)
    if block["workers"] > 2 * cores:
        raise ParamError(f"large_images.workers={block['workers']!r} is not allowed: expected 1 to {2 * cores} "
                         f"(twice this machine's {cores} CPU cores)")


RULES = (_workers_fit_machine, _tiles_fit)

#: Headline numbers (``metrics/large_images_headline.json``): paths into ``metrics/large_images.json``.
HEADLINE = {
    "large_schwarz_relative_error": {"path": ("accuracy", "round1", "relative_error"), "label": "Tiled, after the Schwarz round: relative L2 error to global FISTA", "unit": ""},
    "large_independent_relative_error": {"path": ("accuracy", "round0", "relative_error"), "label": "Tiled, round 0 (independent windows): relative L2 error", "unit": ""},
    "large_schwarz_objective_gap": {"path": ("accuracy", "round1", "objective_gap"), "label": "Tiled, after the Schwarz round: relative objective gap", "unit": ""},
    "large_schwarz_support_flips": {"path": ("accuracy", "round1", "support_flips"), "label": "Tiled, after the Schwarz round: support flips", "unit": "events"},
    "large_estimate_tiles": {"path": ("estimate", "tiles"), "label": "A 10⁵ × 10⁵ image on paper: tiles", "unit": "tiles"},
}

"""Tiled == global, periodic and masked, at the issue's tolerances: relative L2 error to the global
minimizer <= 1e-5 after round 0 and <= 1e-6 after the Schwarz round, relative objective gap <= 1e-9, at
most one support flip per 1,000 events. Round 0 is solved to the pipeline's ``round0_tol``.

By default at 256² and 384² with tiles of 128: a 2 × 2 grid (the shape of 1024² with tiles of 512) and a
3 × 3 grid, the smallest with an interior tile, which 2048²'s 4 × 4 grid has; so the same code paths (a grid
of border tiles only, neighbourhoods that wrap onto the same tiles, interior windows with their one-FFT-pair
data term) at a sixteenth of the pixels and less. The global minimizers come from ``tiled_reference``
(conftest: fused ADMM for periodic, FISTA for masked). The
original sizes stay one option away (``pytest tests/test_tiled_accuracy.py -m large``: about 10 min,
most of it the masked 2048² reference).
"""

import numpy as np
import pytest

from sparseimg.large.tiled import objective, solve_tiled

pytest.importorskip("dask.distributed")

SIZES = [(256, 128), (384, 128), pytest.param(1024, 512, marks=pytest.mark.large),
         pytest.param(2048, 512, marks=pytest.mark.large)]


@pytest.mark.parametrize("n, tile", SIZES)
@pytest.mark.parametrize("boundary", ["periodic", "masked"])
def test_tiled_equals_global(n, tile, boundary, tiled_kernel, tiled_reference, dask_client):
    kernel = tiled_kernel
    truth, x, lam_abs, ref = tiled_reference(n, boundary)
    res = solve_tiled(x, kernel, lam=0.02, tile=tile, halo=32, boundary=boundary, round0_tol=1e-7,
                      client=dask_client, keep_round0=True)
    assert res.lam == pytest.approx(lam_abs, rel=1e-12)  # λ from the Dask reduction
    f_ref = objective(x, ref, kernel, lam_abs, boundary=boundary)
    err = {k: np.linalg.norm(y - ref) / np.linalg.norm(ref) for k, y in (("r0", res.round0), ("r1", res.events))}
    assert err["r0"] <= 1e-5, err
    assert err["r1"] <= 1e-6, err
    gap = (objective(x, res.events, kernel, lam_abs, boundary=boundary) - f_ref) / abs(f_ref)
    assert gap <= 1e-9
    tol = 0.1 * np.min(np.abs(truth[truth != 0]))
    flips = np.count_nonzero((np.abs(res.events) > tol) != (np.abs(ref) > tol))
    assert flips <= max(1, np.count_nonzero(truth) // 1000)

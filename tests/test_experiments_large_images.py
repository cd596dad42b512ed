"""Section 1 at scale, the experiment layer: the registry's tiled solvers agree with its global one on
the example problem, and the Laplace threshold is the exact quantile."""

import dataclasses
import math

import numpy as np
import pytest

from sparseimg.experiments import large_images as li
from sparseimg.large.dask_tiles import cluster_client
from sparseimg.schema import quick_values
from sparseimg.workspace.sections import SECTIONS


@pytest.fixture(scope="module")
def runs():
    problem = li.example_problem()
    settings = li.Settings.from_params(quick_values(SECTIONS["large_images"].schema))
    with cluster_client(n_workers=1) as client:
        settings = dataclasses.replace(settings, client=client)
        return {key: li.METHODS[key](problem, settings) for key in li.METHODS}


def test_the_schwarz_round_lands_on_the_global_minimizer(runs):
    ref = runs["global_fista"].estimate
    err = {k: np.linalg.norm(runs[k].estimate - ref) / np.linalg.norm(ref) for k in ("tiled_independent", "tiled_schwarz")}
    assert err["tiled_schwarz"] < 1e-3, err
    assert err["tiled_schwarz"] < err["tiled_independent"], err  # the correction round corrects
    assert runs["tiled_schwarz"].details["lam_abs"] == pytest.approx(runs["global_fista"].details["lam_abs"], rel=1e-12)


def test_halo_none_is_twice_the_kernel_radius():
    problem = li.example_problem()
    r = problem.kernel.shape[0] // 2
    assert li._halo(problem, li.Settings(halo=None)) == 2 * r and li._halo(problem, li.Settings(halo=5)) == 5


def test_event_threshold_is_the_exact_laplace_quantile():
    rho, scale = 0.01, 1.61803
    t = li.event_threshold(rho, scale)
    assert math.exp(-t / scale) == pytest.approx(rho, rel=1e-14)
    draws = np.random.default_rng(0).laplace(scale=scale, size=400_000)
    assert np.mean(np.abs(draws) > t) == pytest.approx(rho, rel=0.05)
    with pytest.raises(ValueError, match="rho"):
        li.event_threshold(1.0, scale)

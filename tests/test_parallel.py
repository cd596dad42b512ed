"""process_map: forked workers give the serial results, in order; the experiments that use it give
the same numbers with one worker or two."""

import os

import numpy as np
import pytest

from sparseimg._parallel import process_map


def _draw(seed, n):
    return os.getpid(), np.random.default_rng(seed).standard_normal(n)


def _fail(x):
    raise ValueError(f"bad {x}")


def test_process_map_order_and_values():
    calls = [(seed, 5) for seed in range(5)]
    serial = process_map(_draw, calls, 1)
    forked = process_map(_draw, calls, 2)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(serial, forked))
    assert {pid for pid, _ in serial} == {os.getpid()}
    assert os.getpid() not in {pid for pid, _ in forked}  # really ran elsewhere
    assert process_map(_draw, [], 2) == []


def test_process_map_raises_the_workers_error():
    with pytest.raises(ValueError, match="bad 3"):
        process_map(_fail, [(3,), (4,)], 2)


def test_separation_variants_same_with_two_workers():
    from sparseimg.experiments import unfolding_separation as us
    from sparseimg.schema import quick_values

    block = {**quick_values(us.SCHEMA), "sep_size": 48, "sep_iter": 10}
    one, _ = us.evaluate_separation(block)
    two, _ = us.evaluate_separation({**block, "sep_workers": 2})
    strip = lambda rows: [(r["method"], r["psnr_x1"], r["psnr_x2"]) for r in rows]  # noqa: E731
    assert strip(one) == strip(two)


def test_lista_solver_runs_same_with_two_workers():
    from sparseimg.experiments import unfolding_lista as ul
    from sparseimg.schema import quick_values

    block = {**quick_values(ul.SCHEMA), "lista_steps": 20, "lista_alista_steps": 20, "lista_cp_steps": 10,
             "lista_solver_iters": 60}
    weights, _ = ul.train(block, progress=False)
    one = ul.solver_comparison(block, weights)
    two = ul.solver_comparison({**block, "lista_workers": 2}, weights)
    for case in one:
        for name in ("ista", "fista"):
            a, b = one[case]["solvers"][name], two[case]["solvers"][name]
            np.testing.assert_array_equal(a["curve"], b["curve"])
            assert (a["lam"], a["iterations"], a["tuning"]) == (b["lam"], b["iterations"], b["tuning"])

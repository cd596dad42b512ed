"""sweep_to_interior: the grid grows past an edge choice until the best value has neighbours on both sides."""

import math

import pytest

from sparseimg.experiments.tuning import sweep_to_interior


def test_grows_beyond_the_top_until_interior():
    calls = []

    def score(v):
        calls.append(v)
        return -(math.log(v) - math.log(8.0)) ** 2  # best at 8

    t = sweep_to_interior(score, [0.5, 1.0, 2.0])
    assert t.value == pytest.approx(8.0) and t.edge == ""
    assert t.grid == pytest.approx([0.5, 1.0, 2.0, 4.0, 8.0, 16.0])
    assert len(calls) == len(set(calls)) == 6  # every value scored once
    assert t.scores[t.grid.index(t.value)] == max(t.scores)


def test_grows_below_and_stops_at_bound_and_budget():
    t = sweep_to_interior(lambda v: -v, [1.0, 2.0], max_extend=3)  # best is always the smallest
    assert t.edge == "low" and t.reason == "budget" and t.grid[0] == pytest.approx(0.125)
    t = sweep_to_interior(lambda v: v, [1.0, 10.0], high=50.0)
    assert t.edge == "high" and t.reason == "bound" and t.value == 10.0


def test_already_interior_scores_the_grid_only():
    t = sweep_to_interior(lambda v: -abs(v - 2.0), [1.0, 2.0, 3.0])
    assert (t.value, t.grid, t.edge) == (2.0, [1.0, 2.0, 3.0], "")
    assert t.as_dict()["scores"] == [-1.0, 0.0, -1.0]


@pytest.mark.parametrize("grid", [[1.0], [1.0, 1.0], [0.0, 1.0], [-1.0, 2.0], [1.0, math.inf]])
def test_bad_grid_one_line(grid):
    with pytest.raises(ValueError, match="grid=.* is not allowed"):
        sweep_to_interior(lambda v: v, grid)


def test_tune_on_reference_scores_by_psnr_of_the_first_item():
    import numpy as np

    from sparseimg.experiments.tuning import tune_on_reference

    truth = np.linspace(0.0, 1.0, 64).reshape(8, 8)
    # the estimate is the truth scaled by v/4: exact at v = 4, which lies beyond the starting grid
    t = tune_on_reference(lambda v: (truth * v / 4.0, {"info": v}), [1.0, 2.0], truth)
    assert t.value == 4.0 and t.edge == "" and t.grid == [1.0, 2.0, 4.0, 8.0]
    assert t.scores[2] == max(t.scores) and t.scores[2] > 100  # PSNR of an exact estimate (capped)


def test_edge_choices_lists_only_the_choices_left_on_an_edge():
    from sparseimg.experiments.tuning import edge_choices

    inner = sweep_to_interior(lambda v: -abs(v - 2.0), [1.0, 2.0, 3.0]).as_dict()
    stuck = sweep_to_interior(lambda v: v, [1.0, 10.0], high=50.0).as_dict()
    assert edge_choices({"a": {"m": inner, "n": stuck}}) == [("a", "n", 10.0, "bound")]


class _Problem:
    def __init__(self, truth):
        self.truth = truth


def _shrink(method, problem, value):
    """A scripted 'solver': the truth scaled by a method-dependent gain; best value 1/gain (log-spaced grids)."""
    gain = {"a": 1.0, "b": 4.0}[method]
    return problem.truth * min(value * gain, 1.0 / (value * gain))


def test_tune_each_covers_every_pair_and_gives_the_same_numbers_in_two_processes():
    import numpy as np

    from sparseimg.experiments.tuning import tune_each

    problems = {"p1": _Problem(np.linspace(0.1, 0.9, 64).reshape(8, 8)), "p2": _Problem(np.full((8, 8), 0.5))}
    grids = {"a": [0.25, 0.5, 1.0], "b": [0.25, 0.5, 1.0]}  # each best on an edge: both grow
    one = tune_each(_shrink, problems, grids, max_extend=4, workers=1)
    two = tune_each(_shrink, problems, grids, max_extend=4, workers=2)
    assert one == two
    values, records = one
    assert values == {"p1": {"a": 1.0, "b": 0.25}, "p2": {"a": 1.0, "b": 0.25}}
    assert records["p1"]["a"]["grid"] == [0.25, 0.5, 1.0, 2.0] and records["p1"]["b"]["grid"] == [0.125, 0.25, 0.5, 1.0]
    assert all(records[p][m]["edge"] == "" for p in problems for m in grids)


def test_integer_parameters_grow_by_whole_steps_and_stop_at_their_bounds():
    # an iteration count best at 12: the grid [1, 2, 3] grows 3 -> 4.5 rounded (4) -> ... all integers
    t = sweep_to_interior(lambda v: -abs(v - 12.0), [1.0, 2.0, 3.0], integer=True, max_extend=10)
    assert t.value == 12.0 and t.edge == "" and all(v == int(v) for v in t.grid)
    # best at the smallest count: the next one down (0) crosses low = 0, a hard bound
    t = sweep_to_interior(lambda v: -v, [1.0, 2.0], integer=True)
    assert (t.value, t.edge, t.reason, t.grid) == (1.0, "low", "bound", [1.0, 2.0])
    # always rising: stops at the cap (values >= high are never tried)
    t = sweep_to_interior(lambda v: v, [10.0, 20.0], integer=True, high=161.0)
    assert (t.value, t.edge, t.reason, t.grid) == (160.0, "high", "bound", [10.0, 20.0, 40.0, 80.0, 160.0])


def test_a_small_ratio_still_moves_an_integer_grid():
    t = sweep_to_interior(lambda v: v, [10.0, 11.0], integer=True, max_extend=2)
    assert t.grid == [10.0, 11.0, 12.0, 13.0] and t.reason == "budget"


def test_zero_is_scored_once_the_grid_cannot_grow_down_and_wins_only_if_best():
    calls = []

    def rising_to_zero(v):
        calls.append(v)
        return -v
    t = sweep_to_interior(rising_to_zero, [1.0, 10.0], max_extend=2, zero=True)
    assert (t.value, t.edge, t.reason) == (0.0, "low", "bound")
    assert t.grid == pytest.approx([0.0, 0.01, 0.1, 1.0, 10.0]) and calls[-1] == 0.0
    assert t.scores[0] == max(t.scores)

    # a peak between 0 and the grid's bottom: 0 is scored and is worse, so the bottom value is interior
    t = sweep_to_interior(lambda v: -abs(v - 1e-3) if v > 0 else -1.0, [1.0, 10.0], max_extend=2, zero=True)
    assert t.value == pytest.approx(0.01) and t.edge == "" and t.grid[0] == 0.0

    # an interior choice never scores 0
    t = sweep_to_interior(lambda v: -abs(v - 2.0), [1.0, 2.0, 3.0], zero=True)
    assert 0.0 not in t.grid


def test_zero_leaves_the_top_and_the_default_unchanged():
    assert sweep_to_interior(lambda v: v, [1.0, 10.0], high=50.0, zero=True).as_dict() == \
        sweep_to_interior(lambda v: v, [1.0, 10.0], high=50.0).as_dict()
    t = sweep_to_interior(lambda v: -v, [1.0, 2.0], max_extend=3)  # without zero: the budget edge, as before
    assert t.reason == "budget" and 0.0 not in t.grid


def test_a_declared_compute_cap_is_recorded_as_a_cap_not_a_bound():
    rising = lambda v: v  # noqa: E731 - the score keeps rising: the grid would grow past any limit
    capped = sweep_to_interior(rising, [10.0, 20.0], high=100.0, cap="high", integer=True)
    assert (capped.value, capped.edge, capped.reason) == (80.0, "high", "cap")
    bound = sweep_to_interior(rising, [10.0, 20.0], high=100.0, integer=True)
    assert (bound.value, bound.edge, bound.reason) == (80.0, "high", "bound")
    falling = lambda v: -v  # noqa: E731
    other_side = sweep_to_interior(falling, [2.0, 4.0], low=1.0, cap="high")  # the cap is on the other side
    assert (other_side.edge, other_side.reason) == ("low", "bound")
    with pytest.raises(ValueError, match=r"^cap='top' is not allowed"):
        sweep_to_interior(rising, [1.0, 2.0], cap="top")


def test_an_untuned_weight_starts_at_the_geometric_middle_of_its_grid():
    from sparseimg.experiments.tuning import grid_middle

    assert grid_middle([0.25, 0.5, 1.0]) == 0.5 and grid_middle([3.0, 0.03]) == pytest.approx(0.3, rel=1e-15)

"""Tuning a scalar weight on a tuning image until the choice is inside its grid.

A weight chosen at an end of its grid says only that the best value lies beyond it. :func:`sweep_to_interior`
scores a starting grid and, while the best value sits at an end, adds the next value of the grid's own
geometric (log-spaced) progression beyond that end, so that the returned choice has a scored neighbour on
each side unless a hard bound or the extension budget stops it (which the result says). The record it
returns (grid, scores, choice, why it stopped) is what a section stores in its metrics: tuning as data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from sparseimg._parallel import process_map
from sparseimg.metrics import psnr

__all__ = ["Tuned", "sweep_to_interior", "tune_on_reference", "tune_each", "grid_middle", "edge_choices", "tuning_records"]


@dataclass
class Tuned:
    """The record of one tuned value.

    Attributes
    ----------
    value : float
        The choice (highest score; ties go to the smaller value).
    grid : list of float
        Every value scored, ascending.
    scores : list of float
        Their scores (higher is better), in the order of ``grid``.
    edge : str
        ``""`` when the choice has a scored neighbour on both sides; else ``"low"`` or ``"high"`` and
        ``reason`` says why the grid did not grow further.
    reason : str
        ``"bound"`` (a hard bound: the next value would cross ``low``/``high``), ``"cap"`` (the same, but
        that side's limit is a compute cap the caller declared with ``cap``, not a limit of the parameter:
        the grid is known to be too short there) or ``"budget"`` (``max_extend`` values added), when
        ``edge`` is set.
    """

    value: float
    grid: list = field(default_factory=list)
    scores: list = field(default_factory=list)
    edge: str = ""
    reason: str = ""

    def as_dict(self) -> dict:
        """JSON-able: ``{"value", "grid", "scores", "edge", "reason"}``.

        Returns
        -------
        dict
            ``{"value": value, "grid": list(grid), "scores": list(scores), "edge": edge, "reason": reason}``
            (``grid`` and ``scores`` as new lists).
        """
        return {"value": self.value, "grid": list(self.grid), "scores": list(self.scores), "edge": self.edge,
                "reason": self.reason}


def sweep_to_interior(score: Callable[[float], float], grid, *, max_extend: int = 6, low: float = 0.0,
                      high: float = math.inf, integer: bool = False, zero: bool = False,
                      cap: str | None = None) -> Tuned:
    """Score ``grid`` (positive values, log-spaced or not) and grow it until the best value is interior.

    Parameters
    ----------
    score : callable
        ``score(value) -> float``, higher is better (a PSNR on the tuning image).
    grid : sequence of float
        The starting values (at least two, positive, distinct).
    max_extend : int
        At most this many values are added beyond the ends.
    low, high : float
        Hard bounds: a value beyond them is never tried (the choice may then rest on the bound's side,
        reported as ``reason="bound"``).
    integer : bool
        An integer parameter (iterations): the values added beyond the ends are rounded (and at least one
        away from the end), so the grid holds integers when it starts with integers.
    zero : bool
        0 is an admissible value and the parameter's hard bound (a weight whose limit 0 means "no
        regularization"): when the choice is at the low end and the grid may not grow further down (the
        extension budget is spent, or the next value would cross ``low``), 0 itself is scored. If 0 is then
        the best (the score rises all the way toward 0, as the record shows), the choice is 0 with
        ``edge="low", reason="bound"``; otherwise the former choice has a scored neighbour below it.
    cap : {None, "low", "high"}
        The side whose limit (``low`` or ``high``) is a compute cap (an iteration or rank budget, a solver's
        reach), not a limit of the parameter itself: a choice stopped there is recorded as ``reason="cap"``,
        which the tuning-edge test does not accept as a bound.

    Returns
    -------
    Tuned
        The choice and its record.

    Raises
    ------
    ValueError
        Fewer than two values, a value that is not positive and finite, or repeated values.
    """
    values = sorted(float(v) for v in grid)
    if len(values) < 2 or len(set(values)) != len(values):
        raise ValueError(f"grid={list(grid)!r} is not allowed: expected at least two distinct values")
    if not all(math.isfinite(v) and v > 0 for v in values):
        raise ValueError(f"grid={list(grid)!r} is not allowed: expected positive finite values")
    if max_extend < 0:
        raise ValueError(f"max_extend={max_extend!r} is not allowed: expected an integer >= 0")
    if cap not in (None, "low", "high"):
        raise ValueError(f"cap={cap!r} is not allowed: expected None, 'low' or 'high'")
    scored = {v: float(score(v)) for v in values}
    added = 0
    while True:
        grid_now = sorted(scored)
        best = max(grid_now, key=lambda v: (scored[v], -v))
        i = grid_now.index(best)
        if 0 < i < len(grid_now) - 1:
            return Tuned(best, grid_now, [scored[v] for v in grid_now])
        side = "low" if i == 0 else "high"
        if side == "low" and best == 0.0:  # only reached with zero=True: 0 scored and still the best
            return Tuned(best, grid_now, [scored[v] for v in grid_now], side, "bound")
        ratio = grid_now[1] / grid_now[0] if side == "low" else grid_now[-1] / grid_now[-2]
        nxt = best / ratio if side == "low" else best * ratio
        if integer:
            nxt = float(min(round(nxt), best - 1) if side == "low" else max(round(nxt), best + 1))
        reason = ""
        if not low < nxt < high:
            reason = "cap" if cap == side else "bound"
        elif added >= max_extend:
            reason = "budget"
        if reason and zero and side == "low" and low <= 0.0:
            scored[0.0] = float(score(0.0))
            continue
        if reason:
            return Tuned(best, grid_now, [scored[v] for v in grid_now], side, reason)
        scored[nxt] = float(score(nxt))
        added += 1


def tune_on_reference(solve: Callable, grid, reference: np.ndarray, *, max_extend: int = 6, low: float = 0.0,
                      high: float = math.inf, integer: bool = False, zero: bool = False,
                      cap: str | None = None) -> Tuned:
    """:func:`sweep_to_interior` scored by the PSNR (``data_range = 1``) of ``solve(value)`` against ``reference``.

    Parameters
    ----------
    solve : callable
        ``solve(value)`` returns an image, or a tuple whose first item is one.
    grid : sequence of float
        The starting grid.
    reference : ndarray
        The ground truth of a *tuning* image (never a reported one).
    max_extend, low, high, integer, zero, cap
        As for :func:`sweep_to_interior`.

    Returns
    -------
    Tuned
        The choice, the grown grid, its scores and why the sweep stopped.
    """
    def score(value):
        out = solve(value)
        return psnr(reference, out[0] if isinstance(out, tuple) else out, data_range=1.0)
    return sweep_to_interior(score, grid, max_extend=max_extend, low=low, high=high, integer=integer, zero=zero,
                             cap=cap)


def tune_each(run: Callable, problems: dict, grids: dict, *, max_extend: int = 6, workers: int = 1,
              desc: str | None = None, progress: bool = False, known: dict | None = None) -> tuple[dict, dict]:
    """:func:`tune_on_reference` for every (problem, method) pair.

    The pairs are independent and run in ``workers`` forked processes (:func:`sparseimg._parallel.process_map`;
    the same numbers for any count), so ``run`` must pickle: a module-level function or a
    :func:`functools.partial` of one.

    Parameters
    ----------
    run : callable
        ``run(method, problem, value)`` returns an estimate (or a tuple whose first item is one).
    problems : dict
        ``name -> problem`` with a ``truth`` attribute (the tuning image's).
    grids : dict
        ``method -> starting grid``.
    max_extend : int, optional
        As for :func:`sweep_to_interior`.
    workers : int, optional
        Processes.
    desc : str, optional
        Progress-bar label.
    progress : bool, optional
        A progress bar on stderr.
    known : dict, optional
        ``{(problem, method): Tuned.as_dict() record}``: pairs another stage tuned by the same computation (the
        caller matched them by content), taken as they are instead of run.

    Returns
    -------
    values : dict
        ``{problem: {method: value}}``.
    records : dict
        ``{problem: {method: Tuned.as_dict()}}``, for the section's metrics.
    """
    known = known or {}
    pairs = [(name, method) for name in problems for method in grids]
    todo = [pair for pair in pairs if pair not in known]
    results = process_map(_tune_pair, [(run, method, problems[name], grids[method], max_extend) for name, method in todo],
                          workers, desc=desc, progress=progress)
    done = {**{pair: Tuned(**known[pair]) for pair in pairs if pair in known}, **dict(zip(todo, results))}
    values, records = {}, {}
    for name, method in pairs:
        tuned = done[(name, method)]
        values.setdefault(name, {})[method] = float(tuned.value)
        records.setdefault(name, {})[method] = tuned.as_dict()
    return values, records


def _tune_pair(run, method, problem, grid, max_extend) -> Tuned:
    return tune_on_reference(lambda value: run(method, problem, float(value)), grid, problem.truth,
                             max_extend=max_extend)


def grid_middle(grid) -> float:
    """Where an untuned weight starts: the geometric middle of its (positive, log-spaced) grid's range.

    Parameters
    ----------
    grid : sequence of float
        Positive values.

    Returns
    -------
    float
        ``sqrt(min(grid) · max(grid))``.
    """
    return float(np.sqrt(min(grid) * max(grid)))


def edge_choices(records: dict) -> list:
    """The choices that still sit at an end of their (grown) grid.

    Parameters
    ----------
    records : dict
        ``{case: {method: Tuned.as_dict()}}``.

    Returns
    -------
    list of tuple
        ``(case, method, value, reason)`` per edge choice.
    """
    return [(c, m, r["value"], r["reason"]) for c, d in records.items() for m, r in d.items() if r["edge"]]


_RECORD_KEYS = frozenset({"value", "grid", "scores", "edge"})


def tuning_records(tree, path: str = "") -> list[tuple[str, dict]]:
    """Every tuned-value record (:meth:`Tuned.as_dict`: value, grid, scores, edge, reason) in a JSON tree.

    Parameters
    ----------
    tree : dict or list
        A section's metrics, say.
    path : str, optional
        The path of ``tree`` itself.

    Returns
    -------
    list of tuple
        ``(path, record)``, depth first in the tree's order; ``path`` joins keys and list indices with ``/``.
    """
    if isinstance(tree, dict):
        if _RECORD_KEYS <= set(tree) and isinstance(tree["grid"], list):
            return [(path, tree)]
        items = tree.items()
    elif isinstance(tree, list):
        items = enumerate(tree)
    else:
        return []
    return [found for key, sub in items for found in tuning_records(sub, f"{path}/{key}" if path else str(key))]

"""Training learned models with autograd: a seeded minibatch loop and weights on disk.

- :func:`fit` — minimizes ``loss(params, *batch)`` over a dict of arrays by Adam
  (:class:`AdamState`, the one implementation), with gradients from
  ``autograd.value_and_grad``, minibatches drawn by ``batch(rng)`` from one seeded
  generator, a learning-rate schedule, optional global-norm clipping and a tqdm bar
  showing the running loss. Same seed, same numbers.
- :func:`save_weights` / :func:`load_weights` — a ``.npz`` holding the arrays and, as
  JSON, the training configuration and log; written atomically (a failed write never
  leaves a truncated file where a good one was).
- :func:`load_or_train` — what a notebook calls: the weights from disk when they were
  trained with the same configuration (the pipeline's training stage writes them first),
  otherwise trained here and now (the small models of the quick parameters, under nbval).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

from sparseimg._validate import check_int, check_real
from sparseimg.learn.paths import REQUIRE_MODELS_ENV, model_path
from sparseimg.optim.adam import AdamState

__all__ = ["Adam", "AdamState", "TrainResult", "fit", "save_weights", "load_weights", "load_or_train", "model_path",
           "WeightsError", "split_timings", "timings_path"]

_SCHEDULES = ("cosine", "constant")


class WeightsError(ValueError):
    """A weights file is missing, unreadable, or not what the caller expects (one line)."""


class Adam:
    """Adam on a dict of arrays: ``params = adam.step(params, grads)`` returns new arrays.

    The keys are fixed at construction; the inputs are never modified.
    """

    def __init__(self, params: dict, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8):
        self.keys = tuple(sorted(params))
        self._state = AdamState([np.asarray(params[k]) for k in self.keys], learning_rate=lr,
                                 betas=betas, eps=eps)

    def step(self, params: dict, grads: dict, lr: float | None = None) -> dict:
        if set(params) != set(self.keys) or set(grads) != set(self.keys):
            raise KeyError(f"Adam.step: expected the keys {list(self.keys)}, got params {sorted(params)} "
                           f"and grads {sorted(grads)}")
        new = [np.array(params[k], dtype=float, copy=True) for k in self.keys]
        self._state.step(new, [np.asarray(grads[k]) for k in self.keys], learning_rate=lr)
        return dict(zip(self.keys, new))


@dataclass
class TrainResult:
    """What :func:`fit` returns: the final parameters and the loss before each step."""

    params: dict
    losses: np.ndarray
    seconds: float
    steps: int


def _schedule_factor(schedule, step: int, n_steps: int) -> float:
    if callable(schedule):
        return float(schedule(step))
    if schedule == "constant":
        return 1.0
    # cosine from 1 to 1/100 over the run
    return 0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * step / max(n_steps - 1, 1)))


def _serve(objective: Callable, conn) -> None:
    """A worker of :class:`_SplitBatches`: ``(params, arrays)`` in, ``(value, grads)`` (or the exception) out."""
    while True:
        msg = conn.recv()
        if msg is None:
            conn.close()
            return
        params, arrays = msg
        try:
            value, grads = objective(params, *arrays)
            conn.send((float(value), {k: np.asarray(v) for k, v in grads.items()}))
        except Exception as exc:  # sent back and raised by the caller, with its type
            conn.send(exc)


class _SplitBatches:
    """``value_and_grad`` of a batch-mean loss on ``n`` equal slices of each batch: the calling process
    computes the first slice, ``n − 1`` forked processes the others; values and gradients are averaged
    in slice order, so a run is deterministic whatever the machine (the same numbers on one core or two,
    only the time differs)."""

    def __init__(self, objective: Callable, n: int):
        import multiprocessing

        self.objective, self.n = objective, n
        ctx = multiprocessing.get_context("fork")
        self.conns, self.procs = [], []
        for _ in range(n - 1):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(objective, child), daemon=True)
            proc.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(proc)

    def __call__(self, params: dict, *arrays):
        size = len(arrays[0])
        if size % self.n or any(len(a) != size for a in arrays):
            raise ValueError(f"processes={self.n} is not allowed: the batch of {size} does not split into "
                             f"{self.n} equal slices")
        step = size // self.n
        slices = [tuple(a[i * step:(i + 1) * step] for a in arrays) for i in range(self.n)]
        for conn, part in zip(self.conns, slices[1:]):
            conn.send((params, part))
        value, grads = self.objective(params, *slices[0])
        results = [(float(value), grads)]
        for conn in self.conns:
            got = conn.recv()
            if isinstance(got, Exception):
                raise got
            results.append(got)
        return sum(v for v, _ in results) / self.n, {k: _mean([np.asarray(g[k]) for _, g in results]) for k in grads}

    def close(self) -> None:
        for conn in self.conns:
            try:
                conn.send(None)
                conn.close()
            except OSError:
                pass
        for proc in self.procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()


def _mean(arrays: list) -> np.ndarray:
    """The mean of equal-shape arrays, summed in list order (deterministic), in their dtype."""
    acc = arrays[0].copy()
    for a in arrays[1:]:
        acc += a
    acc *= acc.dtype.type(1.0 / len(arrays))
    return acc


def fit(loss: Callable, params: dict, batch: Callable, n_steps: int, *, lr: float, seed: int = 0,
        schedule="cosine", clip: float | None = None, progress: bool = True, desc: str = "training",
        callback: Callable | None = None, dtype=np.float64, processes: int = 1) -> TrainResult:
    """Minimize ``loss(params, *batch(rng))`` over ``params`` by Adam.

    Parameters
    ----------
    loss : callable
        ``loss(params, *arrays) -> scalar``, written with ``autograd.numpy``.
    params : dict of str -> ndarray
        Starting point (float64; not modified).
    batch : callable
        ``batch(rng) -> tuple of arrays``: one minibatch drawn with ``rng``
        (``numpy.random.default_rng(seed)``, the loop's only source of randomness).
    n_steps : int
        Adam steps.
    lr : float
        Peak learning rate.
    schedule : "cosine", "constant" or callable
        Learning-rate factor per step: cosine decay to ``lr/100``, constant, or
        ``schedule(step) -> factor``.
    clip : float, optional
        Rescale the gradient to this global norm when it is larger.
    progress : bool
        tqdm bar with the running (exponentially averaged) loss.
    callback : callable, optional
        ``callback(step, params, loss)`` after each step.
    dtype : numpy float type
        Working precision of the parameters, their gradients and Adam's moments (float64 by
        default; float32 for the conv nets of :mod:`sparseimg.learn.winnet`).
    processes : int
        Split every batch into this many equal slices, computed side by side (``processes − 1``
        forked workers): for a ``loss`` that is a mean over the batch (its first axis), the same
        gradient up to summation order, which is fixed (the weights depend on ``processes``, never
        on the machine's cores).
    """
    from autograd import value_and_grad

    n_steps = check_int("n_steps", n_steps, low=0)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    if clip is not None:
        clip = check_real("clip", clip, low=0.0, low_open=True)
    if not callable(schedule) and schedule not in _SCHEDULES:
        raise ValueError(f"schedule={schedule!r} is not allowed: expected one of {_SCHEDULES} or a callable")
    if not isinstance(params, dict) or not params:
        raise ValueError("params must be a non-empty dict of arrays")
    if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype={dtype!r} is not allowed: expected float32 or float64")
    dtype = np.dtype(dtype).type
    processes = check_int("processes", processes, low=1)
    params = {k: np.array(v, dtype=dtype, copy=True) for k, v in params.items()}
    keys = sorted(params)
    state = AdamState([params[k] for k in keys], learning_rate=lr)
    objective = value_and_grad(loss)
    split = _SplitBatches(objective, processes) if processes > 1 else None
    try:
        return _adam_loop(split or objective, params, state, batch, n_steps, seed=seed, lr=lr, schedule=schedule,
                          clip=clip, progress=progress, desc=desc, callback=callback)
    finally:
        if split is not None:
            split.close()


def _adam_loop(objective, params: dict, state: AdamState, batch: Callable, n_steps: int, *, seed, lr, schedule,
               clip, progress, desc, callback) -> TrainResult:
    """:func:`fit`'s loop (arguments checked there; ``params`` updated in place)."""
    keys = sorted(params)
    dtype = next(iter(params.values())).dtype.type
    rng = np.random.default_rng(seed)
    losses = np.empty(n_steps)
    running = None
    t0 = time.perf_counter()
    bar = tqdm(range(n_steps), desc=desc, disable=not progress, leave=False, mininterval=0.5)
    for step in bar:
        value, grads = objective(params, *batch(rng))
        value = float(value)
        if not math.isfinite(value):
            bar.close()
            raise FloatingPointError(f"{desc}: the loss is {value} at step {step} (lower lr or set clip)")
        losses[step] = value
        glist = [np.asarray(grads[k], dtype=dtype) for k in keys]
        if clip is not None:
            total = math.sqrt(sum(float(np.vdot(g, g)) for g in glist))
            if total > clip:
                glist = [g * dtype(clip / total) for g in glist]
        state.step([params[k] for k in keys], glist, learning_rate=lr * _schedule_factor(schedule, step, n_steps))
        running = value if running is None else 0.95 * running + 0.05 * value
        if progress and step % 10 == 0:
            bar.set_postfix(loss=f"{running:.4g}", refresh=False)
        if callback is not None:
            callback(step, params, value)
    bar.close()
    return TrainResult(params=params, losses=losses, seconds=time.perf_counter() - t0, steps=n_steps)


def _normalized(config: dict) -> dict:
    """``config`` as JSON would give it back (tuples become lists, keys strings)."""
    try:
        return json.loads(json.dumps(config, sort_keys=True))
    except TypeError as exc:
        raise WeightsError(f"the training configuration is not JSON-serializable: {exc}") from None


def _is_timing(key) -> bool:
    return "seconds" in str(key)


def split_timings(log):
    """``(log without timings, timings)``: every key containing ``seconds`` (at any depth) moves to the second."""
    if not isinstance(log, dict):
        return log, None
    rest, times = {}, {}
    for k, v in log.items():
        if _is_timing(k):
            times[k] = v
            continue
        r, t = split_timings(v)
        rest[k] = r
        if t:
            times[k] = t
    return rest, times


def _merge(log, times):
    if not isinstance(log, dict) or not isinstance(times, dict):
        return log
    out = dict(log)
    for k, v in times.items():
        out[k] = _merge(out[k], v) if k in out and isinstance(out[k], dict) else v
    return out


def timings_path(path) -> Path:
    """The timings beside a weights file: ``<name>.timings.json``."""
    path = Path(path)
    return path.with_name(path.stem + ".timings.json")


def save_weights(path, params: dict, *, config: dict, log: dict | None = None) -> Path:
    """Write ``params`` (arrays) with ``config`` and ``log`` (JSON) to ``path`` (.npz), atomically.

    Timings (every ``log`` key containing ``seconds``, at any depth) go to :func:`timings_path` instead, so
    that the weights file is bit-identical from one run of a seeded training to the next;
    :func:`load_weights` merges them back into the log.
    """
    path = Path(path)
    if path.suffix != ".npz":
        raise WeightsError(f"weights path {str(path)!r} must end in .npz")
    log, times = split_timings(_normalized(log or {}))
    info = {"config": _normalized(config), "log": log}
    tpath = timings_path(path)
    if times:
        tpath.parent.mkdir(parents=True, exist_ok=True)
        tpath.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    else:
        tpath.unlink(missing_ok=True)
    arrays = {f"param:{k}": np.asarray(v) for k, v in params.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, __info__=np.array(json.dumps(info, sort_keys=True)), **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_weights(path) -> tuple[dict, dict]:
    """``(params, info)`` from a file written by :func:`save_weights`; info = {"config", "log"}."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"no weights file at {str(path)!r}")
    try:
        with np.load(path, allow_pickle=False) as data:
            info = json.loads(str(data["__info__"]))
            params = {k.split(":", 1)[1]: data[k] for k in data.files if k.startswith("param:")}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise WeightsError(f"{str(path)!r} is not a weights file written by save_weights "
                           f"({type(exc).__name__}: {exc})") from None
    tpath = timings_path(path)
    if tpath.is_file():
        try:
            info["log"] = _merge(info.get("log", {}), json.loads(tpath.read_text()))
        except ValueError:
            pass  # timings are informative only; a damaged file never blocks the weights
    return params, info


def load_or_train(path, config: dict, train: Callable[[], tuple[dict, dict]]) -> tuple[dict, dict, bool]:
    """The weights at ``path`` if they were trained with ``config``; otherwise ``train()``'s.

    Returns ``(params, info, trained)``: ``trained`` tells whether :func:`train` ran (the
    file was missing or holds another configuration; it is not overwritten: the pipeline's
    training stage owns it). Nothing is printed either way, so that a notebook's output
    does not depend on whether the pipeline ran before it.

    With ``SPARSEIMG_REQUIRE_MODELS=1`` in the environment (set by the pipeline's section
    runner, whose training stages come first) a missing or mismatched file raises
    :class:`WeightsError` instead of training again inside the notebook.
    """
    config = _normalized(config)
    path = Path(path)
    found = path.is_file()
    if found:
        params, info = load_weights(path)
        if info.get("config") == config:
            return params, info, False
    if os.environ.get(REQUIRE_MODELS_ENV) == "1":
        why = "was trained with another configuration" if found else "does not exist"
        raise WeightsError(f"{path} {why}; run its training stage first (python -m sparseimg train "
                           f"{path.stem}, or dvc repro)")
    params, log = train()
    return params, {"config": config, "log": _normalized(log or {})}, True

"""Section 3b (part: LISTA): unfolded ISTA on the standard synthetic problem, against ISTA and FISTA.

The setting of the LISTA literature (Chen, Liu, Wang & Yin, NeurIPS 2018; Liu, Chen, Wang & Yin,
ICLR 2019): ``A ∈ ℝ^{m×n}`` Gaussian with unit-norm columns (m = 250, n = 500), Bernoulli–Gaussian
codes with 10 % non-zeros, noiseless and at 40 dB SNR, 16 layers, NMSE on 1,000 held-out vectors.

Training (:func:`train`, the pipeline stage ``train_lista``), per noise case:

1. **ALISTA** (per-layer step ``γ_k`` and threshold ``θ_k`` on the analytic weight): from ISTA's
   values, ``lista_alista_layer_steps`` greedy steps per layer (earlier layers frozen; 0: none), then
   ``lista_alista_steps`` steps on all 32 scalars at once;
2. **LISTA-CP** (``W_k`` per layer, ``S_k = I − W_kᵀA``) starting from ALISTA's layers
   (``W_k = γ_k W``), fine-tuned on all layers for ``lista_cp_steps``;
3. **LISTA** (untied ``W_k``, ``S_k``, ``θ_k``) starting from LISTA-CP's result
   (``S_k = I − W_kᵀA``), fine-tuned on all layers for ``lista_steps``.

Each starting point computes exactly what the previous network computes, so every stage starts
where the last ended. Measured while choosing the full parameters (2-core machine, noiseless): the
greedy layer-by-layer recipe on LISTA's full matrices reached −11 dB in 1,900 Adam steps; on
ALISTA's scalars greedy (50 steps per layer, then 200 joint) reached −27.6 dB against −28.7 dB for
500 joint steps at the same CPU time, so the full parameters train ALISTA jointly
(``lista_alista_layer_steps = 0``). Minibatches are fresh draws from seeded generators; the
held-out vectors come from their own seed.

ISTA and FISTA (:func:`solver_comparison`) run through the library's proximal-gradient core, each with
two λ chosen on *training* vectors, their grids (``lista_lams``) grown until the choice is interior
(:func:`sparseimg.experiments.tuning.sweep_to_interior`): the λ that reaches LISTA's own NMSE on those
vectors in the fewest iterations, whose held-out curve gives the iterations each needs to reach LISTA's
16-layer NMSE, and the λ with the lowest NMSE after as many iterations as LISTA has layers
(:func:`tune_for_budget`), whose held-out NMSE gives LISTA's margin at equal depth.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from sparseimg.learn import sparse_problem as sp
from sparseimg.learn import unfolding as uf
from sparseimg.operators.matrix import MatrixOperator
from sparseimg._parallel import process_map
from sparseimg.experiments import Registry, Result
from sparseimg.optim.objectives import LeastSquares
from sparseimg.optim.prox import L1Norm
from sparseimg.experiments.tuning import Tuned, sweep_to_interior
from sparseimg.optim.solvers import proximal_gradient
from sparseimg.schema import Float, Int, ListOf

__all__ = ["SCHEMA", "TRAIN_KEYS", "MODEL_ORDER", "SparseObservation", "SolverSettings", "SOLVERS",
           "example_observation", "train", "cases", "case_name", "held_out", "tuning_set",
           "model_params", "solver_curves", "iterations_to_reach", "layer_nmse", "solver_comparison",
           "tune_for_budget", "comparison_rows", "plot_curves"]

#: Parameters (block ``unfolding``, prefix ``lista_``); full values in the comments.
SCHEMA = {
    "lista_m": Int(2, 10000, quick=60, help="measurements m (full: 250)"),
    "lista_n": Int(2, 20000, quick=120, help="code length n (full: 500)"),
    "lista_sparsity": Float(0, 1, low_open=True, quick=0.1, help="probability of a non-zero code entry (full: 0.1)"),
    "lista_snrs_db": ListOf(Float(nullable=True), min_len=1, max_len=4, quick=[None, 40.0],
                            help="noise cases: measurement SNR in dB, null = noiseless (full: [null, 40.0])"),
    "lista_layers": Int(1, 64, quick=6, help="layers of every network (full: 16)"),
    "lista_matrix_seed": Int(0, 2**32 - 1, quick=0, help="seed of A (full: 0)"),
    "lista_train_seed": Int(0, 2**20, quick=1, help="seed of the training minibatches and tuning vectors (full: 1)"),
    "lista_lam": Float(0, low_open=True, quick=0.1, help="λ of the ISTA start of every network (full: 0.1)"),
    "lista_alista_layer_steps": Int(0, 100000, quick=0,
                                    help="greedy ALISTA steps per layer, earlier layers frozen (full: 0)"),
    "lista_alista_steps": Int(0, 100000, quick=150, help="ALISTA steps on all layers (full: 500)"),
    "lista_alista_batch": Int(1, 100000, quick=128, help="ALISTA minibatch size (full: 128)"),
    "lista_alista_lr": Float(0, low_open=True, quick=1e-2, help="ALISTA Adam learning rate, cosine decay (full: 0.01)"),
    "lista_cp_steps": Int(0, 100000, quick=100, help="LISTA-CP fine-tuning steps (full: 100)"),
    "lista_cp_lr": Float(0, low_open=True, quick=3e-5, help="LISTA-CP Adam learning rate, cosine decay (full: 3e-5)"),
    "lista_steps": Int(0, 100000, quick=100, help="LISTA fine-tuning steps (full: 500)"),
    "lista_lr": Float(0, low_open=True, quick=3e-5, help="LISTA Adam learning rate, cosine decay (full: 3e-5)"),
    "lista_batch": Int(1, 100000, quick=64, help="LISTA-CP and LISTA minibatch size (full: 64)"),
    "lista_workers": Int(1, 8, quick=1, help="processes for the noise cases (training) and the ISTA/FISTA runs; same numbers (full: 2)"),
    # evaluation (not read by training)
    "lista_test_size": Int(1, 1000000, quick=300, help="held-out vectors (full: 1000)"),
    "lista_test_seed": Int(0, 2**32 - 1, quick=2, help="seed of the held-out vectors (full: 2)"),
    "lista_tune_size": Int(1, 100000, quick=100, help="training vectors on which ISTA's λ is chosen (full: 100)"),
    "lista_lams": ListOf(Float(0, low_open=True), min_len=2, unique=True, quick=[0.01, 0.03, 0.1],
                         help="starting λ grid of ISTA and FISTA, grown past an edge choice (full: 7 values, "
                              "factor 2)"),
    "lista_solver_iters": Int(1, 1000000, quick=300, help="ISTA and FISTA iterations at most (full: 1500)"),
}

#: The keys :func:`train` reads: their values are the weights' configuration.
TRAIN_KEYS = ("lista_m", "lista_n", "lista_sparsity", "lista_snrs_db", "lista_layers", "lista_matrix_seed",
              "lista_train_seed", "lista_lam", "lista_alista_layer_steps", "lista_alista_steps",
              "lista_alista_batch", "lista_alista_lr", "lista_cp_steps", "lista_cp_lr", "lista_steps", "lista_lr",
              "lista_batch")

#: Networks in training (and display) order.
MODEL_ORDER = ("alista", "lista_cp", "lista")


def case_name(snr_db: float | None) -> str:
    """``"noiseless"`` or ``"snr40db"`` (metrics keys).

    Parameters
    ----------
    snr_db : float or None
        Measurement SNR in dB; None for noiseless.

    Returns
    -------
    str
        ``"noiseless"``, or ``"snr{snr_db:g}db"`` with ``.`` written ``p`` and ``-`` written ``m``
        (``2.5`` → ``"snr2p5db"``).
    """
    return "noiseless" if snr_db is None else f"snr{snr_db:g}db".replace(".", "p").replace("-", "m")


def cases(block: dict) -> dict[str, sp.SparseProblem]:
    """``{case: problem}`` for every SNR of ``lista_snrs_db`` (one matrix ``A`` shared by all).

    Parameters
    ----------
    block : dict
        The section's parameters (:data:`SCHEMA`); reads ``lista_snrs_db``, ``lista_m``, ``lista_n``,
        ``lista_sparsity`` and ``lista_matrix_seed``.

    Returns
    -------
    dict of str -> SparseProblem
        Keyed by :func:`case_name`, in the order of ``lista_snrs_db``
        (:func:`sparseimg.learn.unfolding.make_problem`).

    Raises
    ------
    TypeError, ValueError
        As for :func:`sparseimg.learn.unfolding.make_problem` (not for a block that passed the schema).
    """
    out = {}
    for snr in block["lista_snrs_db"]:
        out[case_name(snr)] = sp.make_problem(block["lista_m"], block["lista_n"], sparsity=block["lista_sparsity"],
                                              snr_db=snr, seed=block["lista_matrix_seed"])
    return out


def held_out(block: dict, case: str, problem: sp.SparseProblem) -> tuple[np.ndarray, np.ndarray]:
    """The held-out ``(y, x)`` of a case: ``lista_test_size`` vectors from ``lista_test_seed``'s own stream.

    The stream is ``default_rng([lista_test_seed, 7, index])``, ``index`` the case's position in
    :func:`cases` (0 for a name that is not one of them).

    Parameters
    ----------
    block : dict
        The section's parameters (:data:`SCHEMA`).
    case : str
        A case name (:func:`case_name`).
    problem : SparseProblem
        The case's problem (from :func:`cases`).

    Returns
    -------
    y : ndarray, shape (m, lista_test_size)
        Measurements (columns).
    x : ndarray, shape (n, lista_test_size)
        Their codes.
    """
    index = list(cases(block)).index(case) if case in cases(block) else 0
    return problem.sample(block["lista_test_size"], np.random.default_rng([block["lista_test_seed"], 7, index]))


def tuning_set(block: dict, case: str, problem: sp.SparseProblem) -> tuple[np.ndarray, np.ndarray]:
    """Training vectors (``lista_train_seed``'s stream) on which ISTA's and FISTA's λ are chosen.

    The stream is ``default_rng([lista_train_seed, 11, index])``, ``index`` as in :func:`held_out`.

    Parameters
    ----------
    block, case, problem
        As for :func:`held_out`.

    Returns
    -------
    y : ndarray, shape (m, lista_tune_size)
        Measurements (columns).
    x : ndarray, shape (n, lista_tune_size)
        Their codes.
    """
    index = list(cases(block)).index(case) if case in cases(block) else 0
    return problem.sample(block["lista_tune_size"], np.random.default_rng([block["lista_train_seed"], 11, index]))


def model_params(weights: dict, case: str, model: str) -> dict:
    """The parameters of one network from the weights file (keys ``case.model.name``).

    Parameters
    ----------
    weights : mapping of str -> array
        All weights, as returned by :func:`train` or loaded from its file.
    case : str
        A case name (:func:`case_name`).
    model : str
        ``"alista"``, ``"lista_cp"`` or ``"lista"``.

    Returns
    -------
    dict of str -> ndarray
        ``name -> array`` (the prefix ``case.model.`` removed), as taken by
        :func:`sparseimg.learn.unfolding.layer_outputs`.

    Raises
    ------
    KeyError
        No key starts with ``case.model.``.
    """
    prefix = f"{case}.{model}."
    params = {k[len(prefix):]: np.asarray(v) for k, v in weights.items() if k.startswith(prefix)}
    if not params:
        raise KeyError(f"no weights for case={case!r}, model={model!r}: keys look like {next(iter(weights), '')!r}")
    return params


def _train_case(block: dict, index: int, progress: bool) -> tuple[dict, dict]:
    """ALISTA → LISTA-CP → LISTA for the ``index``-th noise case: ``(weights, {model: log})``."""
    case, problem = list(cases(block).items())[index]
    n_layers = block["lista_layers"]
    nets = {m: uf.network(m, problem.matrix) for m in MODEL_ORDER}
    seed = block["lista_train_seed"] * 10_000 + 1_000 * index
    settings = {
        "alista": dict(batch_size=block["lista_alista_batch"], layer_steps=block["lista_alista_layer_steps"],
                       lr=block["lista_alista_lr"], final_steps=block["lista_alista_steps"],
                       final_lr=block["lista_alista_lr"]),
        "lista_cp": dict(batch_size=block["lista_batch"], layer_steps=0, lr=block["lista_cp_lr"],
                         final_steps=block["lista_cp_steps"], final_lr=block["lista_cp_lr"]),
        "lista": dict(batch_size=block["lista_batch"], layer_steps=0, lr=block["lista_lr"],
                      final_steps=block["lista_steps"], final_lr=block["lista_lr"]),
    }
    weights, logs, previous = {}, {}, None
    for j, model in enumerate(MODEL_ORDER):
        init = None if previous is None else uf.convert_params(previous[1], nets[previous[0]], nets[model])
        wall, cpu = time.perf_counter(), time.process_time()
        params, model_log = uf.train_layerwise(
            nets[model], problem, n_layers, lam=block["lista_lam"], tune_steps=0, tune_lr=1.0, init=init,
            seed=seed + 100 * j, progress=progress, desc=f"{case} {nets[model].label}: ", **settings[model])
        model_log["seconds"] = time.perf_counter() - wall
        model_log["cpu_seconds"] = time.process_time() - cpu
        logs[model] = model_log
        weights.update({f"{case}.{model}.{k}": v for k, v in params.items()})
        previous = (model, params)
    return weights, logs


def train(block: dict, *, progress: bool = True) -> tuple[dict, dict]:
    """Train ALISTA, LISTA-CP and LISTA for every noise case (see the module docstring).

    With ``lista_workers > 1`` the cases train in that many processes at once (same numbers: each
    case has its own seeds; only the first case shows its progress bars). Every network is trained by
    :func:`sparseimg.learn.unfolding.train_layerwise`.

    Parameters
    ----------
    block : dict
        The section's parameters (:data:`SCHEMA`); reads :data:`TRAIN_KEYS` and ``lista_workers``.
    progress : bool, optional
        Show progress bars (default True).

    Returns
    -------
    weights : dict
        ``"{case}.{model}.{parameter}" -> array``.
    log : dict
        ``cases[case][model]``: ``seconds`` (wall), ``cpu_seconds``, ``steps``, ``stage_nmse_db``
        (greedy stages), ``final_losses`` (training NMSE, linear, every 10 steps); ``seconds`` (wall)
        and ``cpu_seconds`` (summed over the processes) of the whole training; ``workers``, the
        processes used.

    Raises
    ------
    TypeError, ValueError, FloatingPointError
        As for :func:`sparseimg.learn.unfolding.make_problem` and
        :func:`sparseimg.learn.unfolding.train_layerwise` (a diverging loss).
    """
    wall0, cpu0 = time.perf_counter(), time.process_time()
    names = list(cases(block))
    workers = min(block["lista_workers"], len(names))
    results = process_map(_train_case, [(block, i, progress and (workers == 1 or i == 0)) for i in range(len(names))],
                          workers)
    weights, log = {}, {"cases": {}}
    for case, (case_weights, logs) in zip(names, results):
        weights.update(case_weights)
        log["cases"][case] = logs
    log["seconds"] = time.perf_counter() - wall0
    log["cpu_seconds"] = (time.process_time() - cpu0 if workers == 1 else
                          sum(m["cpu_seconds"] for logs in log["cases"].values() for m in logs.values()))
    log["workers"] = workers
    return weights, log


def solver_curves(matrix: np.ndarray, y: np.ndarray, x: np.ndarray, lam: float, n_iter: int, *,
                  accelerate: bool = False) -> np.ndarray:
    """NMSE (dB) of ISTA (or FISTA) from 0 at iterations ``0 … n_iter``, all columns at once.

    Runs :func:`sparseimg.optim.solvers.proximal_gradient` on ``½‖A X − Y‖² + λ‖X‖₁`` (a sum over
    columns, so each column follows its own ISTA path) with step ``1/L``, no early stop.

    Parameters
    ----------
    matrix : array_like, shape (m, n)
        ``A`` (computed in float64).
    y : ndarray, shape (m, B)
        Measurements ``Y`` (columns).
    x : ndarray, shape (n, B)
        The true codes (the NMSE's reference; not all zero).
    lam : float
        The absolute λ, ``>= 0``.
    n_iter : int
        Number of iterations, ``>= 0``.
    accelerate : bool, optional
        FISTA instead of ISTA (default False).

    Returns
    -------
    ndarray, shape (n_iter + 1,)
        NMSE in dB at iterations ``0 … n_iter`` (``-inf`` for an exact iterate).

    Raises
    ------
    TypeError, ValueError
        ``lam`` not a real ``>= 0`` (:class:`sparseimg.optim.prox.L1Norm`).
    """
    operator = MatrixOperator(np.asarray(matrix, dtype=np.float64))
    ref_sq = float(np.sum(x ** 2))
    curve = np.empty(n_iter + 1)

    def record(k, xk):
        curve[k] = float(np.sum((xk - x) ** 2))

    record(0, np.zeros_like(x))
    proximal_gradient(LeastSquares(operator, y), L1Norm(lam), np.zeros_like(x), n_iter=n_iter, tol=0.0,
                      accelerate=accelerate, track=False, callback=lambda k, xk: record(k, xk))
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(curve / ref_sq)


def iterations_to_reach(curve: np.ndarray, level_db: float) -> int | None:
    """First iteration whose NMSE is at or below ``level_db`` (None if never).

    Parameters
    ----------
    curve : array_like, shape (n_iter + 1,)
        NMSE (dB) per iteration (:func:`solver_curves`).
    level_db : float
        The level to reach (dB).

    Returns
    -------
    int or None
        The index into ``curve``, or None when no entry is at or below ``level_db``.
    """
    hits = np.flatnonzero(np.asarray(curve) <= level_db)
    return int(hits[0]) if hits.size else None


def layer_nmse(block: dict, weights: dict) -> dict:
    """``{case: {model: [NMSE dB after layer 1 … K]}}`` on the held-out vectors.

    Parameters
    ----------
    block : dict
        The section's parameters (:data:`SCHEMA`); the cases and held-out vectors are rebuilt from it
        (:func:`cases`, :func:`held_out`).
    weights : mapping of str -> array
        The trained weights (:func:`train`), keys ``case.model.name``.

    Returns
    -------
    dict
        ``{case: {model: list of float}}`` for every model of :data:`MODEL_ORDER`, ``K`` NMSE values
        (dB, :func:`sparseimg.learn.unfolding.nmse_db`) each.

    Raises
    ------
    KeyError
        ``weights`` lacks a case's or model's weights (:func:`model_params`).
    """
    out = {}
    for case, problem in cases(block).items():
        y, x = held_out(block, case, problem)
        out[case] = {}
        for model in MODEL_ORDER:
            net = uf.network(model, problem.matrix)
            outputs = uf.layer_outputs(net, model_params(weights, case, model), y)
            out[case][model] = [sp.nmse_db(o, x) for o in outputs]
    return out


def solver_comparison(block: dict, weights: dict, *, progress: bool = False) -> dict:
    """ISTA and FISTA against the trained LISTA, per case.

    λ is chosen on :func:`tuning_set` (training vectors), twice, each grid (``lista_lams``) grown to
    interior: the λ that reaches LISTA's NMSE *on those vectors* in the fewest iterations gives, on the
    held-out vectors, the NMSE curve over ``lista_solver_iters`` iterations and the first iteration at or
    below LISTA's held-out NMSE at the last layer; the λ best after ``lista_layers`` iterations
    (:func:`tune_for_budget`) gives the held-out NMSE at equal depth and LISTA's margin.

    Every (case, solver) pair is independent; they run in ``lista_workers`` processes (same numbers).

    Parameters
    ----------
    block : dict
        The section's parameters (:data:`SCHEMA`); reads the cases, ``lista_lams``,
        ``lista_solver_iters`` and ``lista_workers``.
    weights : mapping of str -> array
        The trained weights (:func:`train`); LISTA's are used.
    progress : bool, optional
        Show a progress bar over the solver runs (default False).

    Returns
    -------
    dict
        ``{case: {"level_db": LISTA's held-out NMSE, "solvers": {"ista" | "fista": {"lam", "curve",
        "iterations" (None: not reached), "tuning", "tuning_level_db", "at_layers": {"lam", "nmse_db",
        "margin_db", "tuning"}}}}}``: ``curve`` an ndarray of shape ``(lista_solver_iters + 1,)``, each
        ``tuning`` a :meth:`~sparseimg.experiments.tuning.Tuned.as_dict` record (the score of the first:
        minus the iterations to reach, below ``-lista_solver_iters`` when never reached),
        ``tuning_level_db`` LISTA's NMSE on the tuning vectors, ``margin_db`` the solver's held-out NMSE
        after ``lista_layers`` iterations minus LISTA's.

    Raises
    ------
    KeyError
        ``weights`` lacks LISTA's weights for a case (:func:`model_params`).
    """
    out, jobs = {}, []
    for case, problem in cases(block).items():
        net = uf.network("lista", problem.matrix)
        params = model_params(weights, case, "lista")
        y_tune, x_tune = tuning_set(block, case, problem)
        tune_level = sp.nmse_db(uf.layer_outputs(net, params, y_tune)[-1], x_tune)
        y, x = held_out(block, case, problem)
        level = sp.nmse_db(uf.layer_outputs(net, params, y)[-1], x)
        out[case] = {"level_db": level, "solvers": {}}
        jobs += [(case, name, (block, problem.matrix, (y_tune, x_tune), (y, x), accelerate, tune_level, level))
                 for name, accelerate in (("ista", False), ("fista", True))]
    # every (case, solver) is independent: lista_workers processes share them (same numbers)
    results = process_map(_solver_run, [job[2] for job in jobs], block["lista_workers"], desc="ISTA/FISTA",
                          progress=progress)
    for (case, name, _), result in zip(jobs, results):
        out[case]["solvers"][name] = result
    return out


def _solver_run(block, matrix, tuning, held, accelerate, tune_level, level) -> dict:
    """One solver of :func:`solver_comparison`: two λ tuned on the training vectors (fewest iterations to
    LISTA's level; lowest NMSE after ``lista_layers`` iterations), each grid grown to interior; their curves
    on the held-out vectors."""
    cap, grid, k = block["lista_solver_iters"], block["lista_lams"], block["lista_layers"]

    def reach_score(lam):  # fewer iterations is better; never reaching ranks below, by the distance left
        curve = solver_curves(matrix, *tuning, lam, cap, accelerate=accelerate)
        reach = iterations_to_reach(curve, tune_level)
        return -float(reach) if reach is not None else -(cap + float(curve[-1]) - tune_level)
    t = sweep_to_interior(reach_score, grid, max_extend=8)
    curve = solver_curves(matrix, *held, t.value, cap, accelerate=accelerate)
    tk = tune_for_budget(matrix, *tuning, k, grid, accelerate=accelerate)
    at_k = float(solver_curves(matrix, *held, tk.value, k, accelerate=accelerate)[-1])
    return {"lam": t.value, "curve": curve, "iterations": iterations_to_reach(curve, level), "tuning": t.as_dict(),
            "tuning_level_db": tune_level,
            "at_layers": {"lam": tk.value, "nmse_db": at_k, "margin_db": at_k - level, "tuning": tk.as_dict()}}


def tune_for_budget(matrix: np.ndarray, y: np.ndarray, x: np.ndarray, budget: int, grid, *,
                    accelerate: bool = False, max_extend: int = 8) -> Tuned:
    """λ of ISTA (or FISTA) giving the lowest NMSE after exactly ``budget`` iterations on training vectors.

    Parameters
    ----------
    matrix : ndarray
        The dictionary ``A`` (m, n).
    y, x : ndarray
        Training measurements and their codes (never the reported test vectors).
    budget : int
        Iterations.
    grid : sequence of float
        Starting λ grid, grown past an edge choice (:func:`sparseimg.experiments.tuning.sweep_to_interior`).
    accelerate : bool, optional
        FISTA instead of ISTA.
    max_extend : int, optional
        Values the grid may grow by.

    Returns
    -------
    Tuned
        The choice and its record (score: −NMSE in dB).
    """
    return sweep_to_interior(lambda lam: -float(solver_curves(matrix, y, x, lam, budget, accelerate=accelerate)[-1]),
                             grid, max_extend=max_extend)


def comparison_rows(layers: dict, comparison: dict, n_layers: int) -> list[dict]:
    """Table rows: per case, the networks' NMSE at the last layer and the solvers' iterations to reach LISTA's.

    Parameters
    ----------
    layers : dict
        :func:`layer_nmse`'s result.
    comparison : dict
        :func:`solver_comparison`'s result.
    n_layers : int
        The networks' number of layers ``K`` (for the ratio of iterations to layers).

    Returns
    -------
    list of dict of str -> str
        One row per case of ``comparison``: ``case``, ``"<network> NMSE (dB)"`` per network, and per
        solver (``ISTA``, ``FISTA``) its ``λ``, its iterations to LISTA's NMSE (or ``"not in N (best
        …)"``), their ratio to ``K`` (``"—"`` when not reached) and its NMSE after ``K`` iterations with the
        λ tuned for that budget; values formatted as text.
    """
    rows = []
    for case, result in comparison.items():
        row = {"case": case, **{f"{uf.MODELS[m][0]} NMSE (dB)": f"{layers[case][m][-1]:.1f}" for m in MODEL_ORDER}}
        for name in ("ista", "fista"):
            s = result["solvers"][name]
            reached = s["iterations"]
            row[f"{name.upper()} λ"] = f"{s['lam']:g}"
            row[f"{name.upper()} iterations to LISTA's NMSE"] = (
                f"{reached}" if reached is not None else f"not in {len(s['curve']) - 1} (best {np.min(s['curve']):.1f})")
            row[f"{name.upper()} / {n_layers} layers"] = f"{reached / n_layers:.0f}×" if reached is not None else "—"
            if "at_layers" in s:
                row[f"{name.upper()} after {n_layers} (dB)"] = f"{s['at_layers']['nmse_db']:.1f}"
        rows.append(row)
    return rows


def plot_curves(layers: dict, comparison: dict, *, width: float = 9.0):
    """NMSE (dB) against layers (networks) and iterations (ISTA, FISTA), one panel per case, log-x.

    Parameters
    ----------
    layers : dict
        :func:`layer_nmse`'s result (its cases give the panels).
    comparison : dict
        :func:`solver_comparison`'s result, for the same cases.
    width : float, optional
        Figure width in inches (default 9.0); the height follows.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    styles = {"lista": ("C3", "o", "-"), "lista_cp": ("C2", "s", "-"), "alista": ("C1", "^", "--")}
    fig, axes = plt.subplots(1, len(layers), figsize=(width, width / 2.4 + 0.4), sharey=True, squeeze=False,
                             layout="constrained")
    for ax, (case, curves) in zip(axes[0], layers.items()):
        for model in MODEL_ORDER:
            color, marker, line = styles[model]
            k = np.arange(1, len(curves[model]) + 1)
            ax.plot(k, curves[model], marker=marker, ms=4, mfc="none", ls=line, color=color, zorder=3,
                    label=f"{uf.MODELS[model][0]} (layers)")
        result = comparison[case]
        for name, color in (("ista", "0.35"), ("fista", "C0")):
            s = result["solvers"][name]
            it = np.arange(1, len(s["curve"]))
            ax.plot(it, s["curve"][1:], color=color, lw=1.2, label=f"{name.upper()} (iterations), λ = {s['lam']:g}")
            if s["iterations"] is not None:
                ax.plot([s["iterations"]], [result["level_db"]], "|", color=color, ms=12, mew=2)
        ax.axhline(result["level_db"], color="C3", ls=":", lw=1)
        ax.set(xscale="log", xlabel="layers / iterations", title=case.replace("snr", "SNR ").replace("db", " dB"))
        ax.grid(True, which="major", alpha=0.3)
    axes[0][0].set_ylabel("NMSE (dB)")
    axes[0][-1].legend(fontsize=7, loc="upper right")
    return fig


# ------------------------------------------------------------------------------------------------
# The section's registry: the solvers it compares, one signature
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SparseObservation:
    """A problem of :data:`SOLVERS`: measurements ``Y = A X + N``, one vector per column, without ``X``.

    Attributes
    ----------
    observed : ndarray, shape (m, B)
        The measurements ``Y``.
    matrix : ndarray, shape (m, n)
        The dictionary ``A``.
    """

    observed: np.ndarray
    matrix: np.ndarray


@dataclass(frozen=True)
class SolverSettings:
    """What the solvers of :data:`SOLVERS` read besides the observation.

    Attributes
    ----------
    lam : float
        ISTA's and FISTA's ℓ1 weight λ (and the networks' starting thresholds).
    n_iter : int
        ISTA's and FISTA's iterations, and the layers of an untrained network.
    weights : dict or None
        ``{model: parameters}`` of trained networks (:func:`model_params` of one case); a network missing here
        runs at the weights its training starts from (:func:`sparseimg.learn.unfolding.init_params`: LISTA's
        and LISTA-CP's layers are ISTA steps), and its result says ``trained: False``.
    """

    lam: float = 0.1
    n_iter: int = 16
    weights: dict | None = None

    @classmethod
    def from_params(cls, block: dict) -> "SolverSettings":
        """λ and the depth of the section's parameters (``lista_lam``, ``lista_layers``), no trained weights.

        Parameters
        ----------
        block : dict
            The validated parameters (:data:`SCHEMA`).

        Returns
        -------
        SolverSettings
        """
        return cls(lam=float(block["lista_lam"]), n_iter=int(block["lista_layers"]))


def _iterative(accelerate: bool):
    def run(problem: SparseObservation, s: SolverSettings) -> Result:
        smooth = LeastSquares(MatrixOperator(np.asarray(problem.matrix, dtype=np.float64)), problem.observed)
        x0 = np.zeros((problem.matrix.shape[1],) + np.shape(problem.observed)[1:])
        x, history = proximal_gradient(smooth, L1Norm(s.lam), x0, n_iter=s.n_iter, tol=0.0, accelerate=accelerate)
        return Result(x, history, {"lam": s.lam, "iterations": s.n_iter})
    return run


def _unfolded(model: str):
    def run(problem: SparseObservation, s: SolverSettings) -> Result:
        net = uf.network(model, np.asarray(problem.matrix, dtype=np.float64))
        trained = s.weights is not None and model in s.weights
        params = s.weights[model] if trained else uf.init_params(net, s.n_iter, s.lam)
        x = uf.layer_outputs(net, params, problem.observed)[-1]
        return Result(x, None, {"layers": uf.n_layers_of(params), "trained": trained})
    return run


def example_observation() -> SparseObservation:
    """A tiny seeded problem for the registry test: ``A`` 20 × 40, four noiseless measurement vectors.

    Returns
    -------
    SparseObservation
    """
    problem = sp.make_problem(20, 40, sparsity=0.1, snr_db=None, seed=0)
    y, _ = problem.sample(4, np.random.default_rng(1))
    return SparseObservation(observed=y, matrix=problem.matrix)


#: The sparse coders of the section: ``key -> method(SparseObservation, SolverSettings) -> Result`` (the estimate:
#: the codes, shape ``(n, B)``).
SOLVERS = Registry("lista", {"ista": _iterative(False), "fista": _iterative(True),
                             **{model: _unfolded(model) for model in MODEL_ORDER}},
                   {"ista": "ISTA", "fista": "FISTA", **{model: uf.MODELS[model][0] for model in MODEL_ORDER}},
                   settings=SolverSettings, example=example_observation)

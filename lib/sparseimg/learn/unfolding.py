"""Unfolded ISTA: LISTA, LISTA-CP and ALISTA, trained with autograd.

ISTA for ``min_x ½‖A x − y‖² + λ‖x‖₁`` iterates
``x_{k+1} = η(x_k − Aᵀ(A x_k − y)/L, λ/L) = η(S x_k + W y, θ)`` with ``W = Aᵀ/L``,
``S = I − AᵀA/L``, ``θ = λ/L`` and ``η`` soft thresholding. Unfolding ``K`` iterations
into a network and learning the weights of each layer gives:

- **LISTA** (Gregor & LeCun, "Learning fast approximations of sparse coding", ICML 2010),
  here with untied layers as in Chen et al. (2018): ``x_{k+1} = η(S_k x_k + W_k y, θ_k)``
  with ``W_k ∈ ℝ^{n×m}``, ``S_k ∈ ℝ^{n×n}``, ``θ_k`` a scalar;
- **LISTA-CP** (Chen, Liu, Wang & Yin, "Theoretical linear convergence of unfolded ISTA and
  its practical weights and thresholds", NeurIPS 2018): the coupling ``S_k = I − W_kᵀ A``
  that their analysis shows is necessary for convergence, so
  ``x_{k+1} = η(x_k + W_kᵀ(y − A x_k), θ_k)`` with ``W_k ∈ ℝ^{m×n}`` (half LISTA's weights);
- **ALISTA** (Liu, Chen, Wang & Yin, ICLR 2019): ``W_k = γ_k W`` with ``W`` analytic
  (:func:`analytic_weight`), only ``γ_k`` and ``θ_k`` learned.

The network is one autograd primitive (:func:`unrolled`) with a hand-written
vector-Jacobian product: reading a layer's arrays out of a parameter dict inside an autograd
trace costs a full zero copy of the dict per read (autograd's container VJP), which made the
backward pass eight times the forward at 16 layers (profiled: 0.3 s CPU against 0.04 s). The
primitive's VJP computes only the gradients of the keys it is asked for and stops at the
earliest trainable layer, which is what layer-wise training needs. It is tested against
``autograd.test_util.check_grads`` and central differences.

The synthetic problem the networks learn on and its NMSE are :mod:`sparseimg.learn.sparse_problem`.

Training (:func:`train_layerwise`): greedy layer by layer (each new layer trained alone, the
earlier ones frozen, then the truncated network fine-tuned), then all layers together; or, with
``init``, from another network's weights (:func:`convert_params`: ALISTA → LISTA-CP → LISTA compute
the same outputs). Fresh minibatches from a seeded generator, Adam by :func:`sparseimg.learn.training.fit`.

ISTA and FISTA for the comparison run through the library's one proximal-gradient core
(:func:`sparseimg.optim.solvers.proximal_gradient`) on a :class:`MatrixOperator`
(:mod:`sparseimg.experiments.unfolding_lista`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from autograd.extend import defvjp, primitive

from sparseimg._validate import check_choice, check_int, check_real
from sparseimg.learn.sparse_problem import SparseProblem
from sparseimg.optim.prox import soft_threshold_signed
from sparseimg.operators.matrix import lipschitz_constant

__all__ = ["MODELS", "Network", "network", "analytic_weight", "n_layers_of", "init_params",
           "convert_params", "unrolled", "layer_outputs", "lista_loss", "train_layerwise"]


# ---------------------------------------------------------------------------------------------
# The networks
# ---------------------------------------------------------------------------------------------
#: The unfolded networks: ``key -> (label, per-layer parameter names)``.
MODELS = {
    "lista": ("LISTA", ("W", "S", "theta")),
    "lista_cp": ("LISTA-CP", ("W", "theta")),
    "alista": ("ALISTA", ("gamma", "theta")),
}


@dataclass(frozen=True, eq=False)
class Network:
    """What is fixed in an unfolded network: its kind, ``A`` and (ALISTA) the analytic weight.

    Build it with :func:`network` (which checks the arguments; the class does not).

    Parameters
    ----------
    model : str
        A key of :data:`MODELS`: ``"lista"``, ``"lista_cp"`` or ``"alista"``.
    matrix : ndarray, shape (m, n)
        The measurement matrix ``A`` (float64).
    weight : ndarray, shape (m, n), optional
        ALISTA's analytic weight ``W`` (:func:`analytic_weight`); None (default) for the others.

    Attributes
    ----------
    label : str
        The model's label in figures (``"LISTA"``, ``"LISTA-CP"``, ``"ALISTA"``).
    """

    model: str
    matrix: np.ndarray
    weight: np.ndarray | None = None

    @property
    def label(self) -> str:
        return MODELS[self.model][0]

    def keys(self, k: int) -> tuple[str, ...]:
        """Parameter names of layer ``k`` (0-based): ``W03``, ``S03``, ``theta03`` …

        Parameters
        ----------
        k : int
            Layer index, from 0.

        Returns
        -------
        tuple of str
            The model's parameter names (:data:`MODELS`) with ``k`` on two digits.
        """
        return tuple(f"{name}{k:02d}" for name in MODELS[self.model][1])


def analytic_weight(matrix: np.ndarray) -> np.ndarray:
    """ALISTA's analytic weight, Frobenius version: ``W = argmin ‖WᵀA‖_F`` subject to ``diag(WᵀA) = 1``.

    Column by column the problem is ``min ‖Aᵀw‖²`` with ``a_iᵀw = 1``, whose solution is
    ``w_i = (AAᵀ)⁻¹a_i / (a_iᵀ(AAᵀ)⁻¹a_i)`` (Liu, Chen, Wang & Yin, "ALISTA: analytic weights
    are as good as learned weights in LISTA", ICLR 2019, solve the same quadratic program
    iteratively).

    Parameters
    ----------
    matrix : array_like, shape (m, n)
        The measurement matrix ``A`` (computed in float64), with ``AAᵀ`` invertible (full row rank,
        ``m <= n``); not checked, :func:`numpy.linalg.solve` fails on a singular ``AAᵀ``.

    Returns
    -------
    ndarray, shape (m, n)
        ``W``, float64, its column ``i`` the ``w_i`` above (so ``diag(WᵀA) = 1``).
    """
    a = np.asarray(matrix, dtype=np.float64)
    v = np.linalg.solve(a @ a.T, a)
    return v / np.sum(a * v, axis=0)


def network(model: str, matrix: np.ndarray) -> Network:
    """The :class:`Network` of ``model`` (one of :data:`MODELS`) for the measurement matrix ``A``.

    Parameters
    ----------
    model : str
        ``"lista"``, ``"lista_cp"`` or ``"alista"``.
    matrix : array_like, shape (m, n)
        The measurement matrix ``A`` (stored as float64); for ALISTA, ``AAᵀ`` must be invertible
        (:func:`analytic_weight` is computed here).

    Returns
    -------
    Network
        ``weight`` is :func:`analytic_weight` of ``A`` for ALISTA, None otherwise.

    Raises
    ------
    ValueError
        ``model`` is not a key of :data:`MODELS`, or ``matrix`` is not 2-D.
    """
    check_choice("model", model, tuple(MODELS))
    a = np.asarray(matrix, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"matrix has shape {a.shape}: expected a 2-D array")
    return Network(model, a, analytic_weight(a) if model == "alista" else None)



def n_layers_of(params: dict) -> int:
    """Number of layers held in ``params`` (counted by their thresholds).

    Parameters
    ----------
    params : dict of str -> ndarray
        A network's weights, keyed as by :meth:`Network.keys` (``theta00``, ``theta01`` …).

    Returns
    -------
    int
        The number of keys starting with ``"theta"``.
    """
    return sum(1 for key in params if key.startswith("theta"))


def init_params(net: Network, n_layers: int, lam: float) -> dict:
    """Every layer at ISTA's weights, so that ``K`` layers compute ``K`` ISTA iterations from 0.

    LISTA: ``W = Aᵀ/L``, ``S = I − AᵀA/L``; LISTA-CP: ``W = A/L``; all: ``θ = λ/L``, with
    ``L = ‖A‖₂²`` (:func:`lipschitz_constant`). ALISTA: ``γ = 1/‖WᵀA‖₂`` (its own step) and ``θ = λγ``.

    Parameters
    ----------
    net : Network
        The network (from :func:`network`).
    n_layers : int
        Number of layers ``K``, ``>= 1``.
    lam : float
        ISTA's ℓ1 weight λ, ``>= 0``.

    Returns
    -------
    dict of str -> ndarray
        ``net.keys(k)`` for ``k < n_layers``, float64: LISTA's ``W`` of shape ``(n, m)`` and ``S``
        of shape ``(n, n)``, LISTA-CP's ``W`` of shape ``(m, n)``, ALISTA's ``gamma`` and every
        ``theta`` 0-d arrays.

    Raises
    ------
    TypeError
        ``n_layers`` is not an integer or ``lam`` not a real number.
    ValueError
        ``n_layers`` is below 1, ``lam`` negative or not finite.
    """
    n_layers = check_int("n_layers", n_layers, low=1)
    lam = check_real("lam", lam, low=0.0)
    a = net.matrix
    big_l = lipschitz_constant(net.weight.T @ a) ** 0.5 if net.model == "alista" else lipschitz_constant(a)
    params = {}
    for k in range(n_layers):
        keys = net.keys(k)
        if net.model == "lista":
            params[keys[0]] = a.T / big_l
            params[keys[1]] = np.eye(a.shape[1]) - (a.T @ a) / big_l
        elif net.model == "lista_cp":
            params[keys[0]] = a / big_l
        else:
            params[keys[0]] = np.array(1.0 / big_l)
        params[keys[-1]] = np.array(lam / big_l)
    return params


def convert_params(params: dict, source: Network, target: Network) -> dict:
    """Weights of ``target`` computing what ``source``'s compute (ALISTA → LISTA-CP → LISTA).

    ALISTA's layer ``γ_k, θ_k`` is LISTA-CP's ``W_k = γ_k W``; LISTA-CP's ``W_k`` is LISTA's
    ``W_k = W_kᵀ``, ``S_k = I − W_kᵀA``. The networks compute the same outputs (to rounding).

    Parameters
    ----------
    params : dict of str -> ndarray
        ``source``'s weights (every layer's ``net.keys(k)``); not modified.
    source : Network
        The network ``params`` belong to (its ``weight`` is used from ALISTA).
    target : Network
        The network to convert to, the same model or one further along
        ALISTA → LISTA-CP → LISTA (its ``matrix`` gives LISTA's ``S_k``).

    Returns
    -------
    dict of str -> ndarray
        ``target``'s weights for as many layers, as new float64 arrays (a copy when the models are
        the same).

    Raises
    ------
    ValueError
        ``target`` comes before ``source`` in ALISTA → LISTA-CP → LISTA.
    """
    order = ("alista", "lista_cp", "lista")
    if order.index(source.model) > order.index(target.model):
        raise ValueError(f"cannot convert {source.model} weights to {target.model}: expected a move along "
                         + " -> ".join(order))
    out = dict(params)
    for k in range(n_layers_of(params)):
        if source.model == "alista" and target.model != "alista":
            out[f"W{k:02d}"] = out.pop(f"gamma{k:02d}") * source.weight
        if target.model == "lista" and source.model != "lista":
            w = out[f"W{k:02d}"]
            out[f"W{k:02d}"] = np.ascontiguousarray(w.T)
            out[f"S{k:02d}"] = np.eye(w.shape[1]) - w.T @ target.matrix
    return {key: np.array(value, dtype=np.float64) for key, value in out.items()}


def _layer_forward(net, params, k, x, y):
    """``(z, extra)``: the pre-threshold ``z`` of layer ``k`` and what its VJP needs besides the input."""
    keys = net.keys(k)
    if net.model == "lista":
        z = params[keys[0]] @ y
        if x is not None:
            z += params[keys[1]] @ x
        return z, None
    r = y if x is None else y - net.matrix @ x
    if net.model == "lista_cp":
        z = params[keys[0]].T @ r
        extra = r
    else:  # ALISTA: z = x + γ_k Wᵀ r; keep Wᵀ r for the gradient of γ_k
        extra = net.weight.T @ r
        z = params[keys[0]] * extra
    if x is not None:
        z += x
    return z, extra


def _run(net, params, y, n_layers, x0):
    """Forward pass keeping, per layer, its input, its ``z`` and the extra array of its VJP."""
    x = None if x0 is None else np.asarray(x0, dtype=np.float64)
    inputs, zs, extras = [], [], []
    for k in range(n_layers):
        z, extra = _layer_forward(net, params, k, x, y)
        inputs.append(x)
        zs.append(z)
        extras.append(extra)
        x = soft_threshold_signed(z, params[f"theta{k:02d}"])
    return x, inputs, zs, extras


@primitive
def unrolled(trainable: dict, frozen: dict, y: np.ndarray, net: Network, n_layers: int,
             x0: np.ndarray | None = None) -> np.ndarray:
    """Output ``x_K`` of the first ``n_layers`` layers of an unfolded network (an autograd primitive).

    Parameters
    ----------
    trainable, frozen : dict
        The parameters (``net.keys(k)`` for ``k < n_layers``), split into the ones differentiated
        (autograd traces ``trainable``; its VJP returns gradients for these keys only) and the
        ones held fixed.
    y : ndarray, shape (m, B)
        Measurements (columns).
    net : Network
    n_layers : int
    x0 : ndarray, shape (n, B), optional
        Starting point (default 0, the network's usual input).

    Returns
    -------
    ndarray, shape (n, B)
    """
    out, *saved = _run(net, {**frozen, **trainable}, y, n_layers, x0)
    _LAST_FORWARD[:] = [out, saved]
    return out


#: ``[output, intermediates]`` of the latest forward pass of :func:`unrolled`: autograd builds the
#: VJP right after the forward pass with the same output object, which then reuses them instead of
#: running the network again (a one-slot memo, checked by identity; a miss recomputes).
_LAST_FORWARD: list = [None, None]


def _unrolled_vjp(ans, trainable, frozen, y, net, n_layers, x0=None):
    params = {**frozen, **trainable}
    last, saved = _LAST_FORWARD
    _LAST_FORWARD[:] = [None, None]
    inputs, zs, extras = saved if (saved is not None and last is ans) else _run(net, params, y, n_layers, x0)[1:]
    names = MODELS[net.model][1]
    first = min((k for k in range(n_layers) if any(key in trainable for key in net.keys(k))), default=n_layers)

    def vjp(g):
        grads = {}
        gx = g
        for k in range(n_layers - 1, first - 1, -1):
            keys = dict(zip(names, net.keys(k)))
            z, x, extra = zs[k], inputs[k], extras[k]
            gz = np.where(np.abs(z) > params[keys["theta"]], gx, 0.0)
            if keys["theta"] in trainable:
                grads[keys["theta"]] = np.array(-np.sum(gz * np.sign(z)))
            if net.model == "lista":
                if keys["W"] in trainable:
                    grads[keys["W"]] = gz @ y.T
                if x is not None and keys["S"] in trainable:
                    grads[keys["S"]] = gz @ x.T
                if k > first:
                    gx = params[keys["S"]].T @ gz
            elif net.model == "lista_cp":
                if keys["W"] in trainable:
                    grads[keys["W"]] = extra @ gz.T
                if k > first:
                    gx = gz - net.matrix.T @ (params[keys["W"]] @ gz)
            else:
                gamma = params[keys["gamma"]]
                if keys["gamma"] in trainable:
                    grads[keys["gamma"]] = np.array(np.sum(gz * extra))
                if k > first:
                    gx = gz - gamma * (net.matrix.T @ (net.weight @ gz))
        for key, value in trainable.items():  # keys that did not enter (S of a first layer from 0)
            if key not in grads:
                grads[key] = np.zeros_like(value)
        return {key: grads[key] for key in trainable}

    return vjp


defvjp(unrolled, _unrolled_vjp)


def layer_outputs(net: Network, params: dict, y: np.ndarray, *, n_layers: int | None = None,
                  x0: np.ndarray | None = None) -> list[np.ndarray]:
    """``[x_1, …, x_K]``: the output of every layer (plain numpy, no tracing).

    Parameters
    ----------
    net : Network
    params : dict of str -> ndarray
        The weights (``net.keys(k)`` for every layer run).
    y : ndarray, shape (m, B)
        Measurements (columns).
    n_layers : int, optional
        Number of layers ``K`` to run (default: every layer in ``params``, :func:`n_layers_of`).
    x0 : ndarray, shape (n, B), optional
        Starting point (default 0, the network's usual input).

    Returns
    -------
    list of ndarray
        ``K`` arrays of shape ``(n, B)``, the output of layers 1 … K.
    """
    n_layers = n_layers_of(params) if n_layers is None else n_layers
    x = x0
    out = []
    for k in range(n_layers):
        z, _ = _layer_forward(net, params, k, x, y)
        x = soft_threshold_signed(z, params[f"theta{k:02d}"])
        out.append(x)
    return out


def lista_loss(trainable: dict, y: np.ndarray, x: np.ndarray, *, frozen: dict, net: Network, n_layers: int):
    """``Σ‖x_K − x‖² / Σ‖x‖²`` over the minibatch (the NMSE, linear scale).

    ``x_K`` is :func:`unrolled` of the first ``n_layers`` layers from 0; the loss that
    :func:`train_layerwise` hands to :func:`sparseimg.learn.training.fit`.

    Parameters
    ----------
    trainable : dict of str -> ndarray
        The parameters differentiated (traced by autograd).
    y : ndarray, shape (m, B)
        Measurements of the minibatch (columns).
    x : ndarray, shape (n, B)
        Their true codes; not all zero.
    frozen : dict of str -> ndarray
        The parameters held fixed.
    net : Network
    n_layers : int
        Number of layers run.

    Returns
    -------
    float
        The loss, a scalar (an autograd box while differentiated).
    """
    import autograd.numpy as anp

    out = unrolled(trainable, frozen, y, net, n_layers)
    return anp.sum((out - x) ** 2) / np.sum(x ** 2)

# ---------------------------------------------------------------------------------------------
# Layer-wise training
# ---------------------------------------------------------------------------------------------
def train_layerwise(net: Network, problem: SparseProblem, n_layers: int, *, lam: float, batch_size: int,
                    layer_steps: int, tune_steps: int, final_steps: int, lr: float, tune_lr: float,
                    final_lr: float, init: dict | None = None, seed: int = 0, progress: bool = True,
                    desc: str = "") -> tuple[dict, dict]:
    """Train an unfolded network layer by layer, then all layers together.

    For ``t = 1 … K``: layer ``t`` starts from ``init``'s layer ``t`` when given, otherwise as a
    copy of layer ``t − 1`` (layer 1 at ISTA's weights with ``λ = lam``, :func:`init_params`); it
    is trained alone for ``layer_steps`` Adam steps at ``lr`` on the NMSE of the ``t``-layer
    network (earlier layers frozen), then the ``t`` layers are fine-tuned together for
    ``tune_steps`` at ``tune_lr``. Finally all ``K`` layers are fine-tuned for ``final_steps``
    at ``final_lr``. Every phase uses a cosine schedule and fresh minibatches of ``batch_size``
    vectors drawn by :func:`sparseimg.learn.training.fit` from ``default_rng(seed + phase number)``.

    Parameters
    ----------
    net : Network
        The network to train.
    problem : SparseProblem
        Draws the training pairs ``(y, x)`` (:meth:`SparseProblem.sample`); its ``matrix`` is
        expected to be ``net.matrix`` (not checked).
    n_layers : int
        Number of layers ``K``, ``>= 1``.
    lam : float
        λ of the ISTA initialization (:func:`init_params`), ``>= 0``; unused when ``init`` is given.
    batch_size : int
        Vectors per minibatch, ``>= 1``.
    layer_steps, tune_steps, final_steps : int
        Adam steps of each phase, ``>= 0``; 0 skips the phase.
    lr, tune_lr, final_lr : float
        Peak learning rates of the three phases, ``> 0`` (checked by ``fit`` when the phase runs).
    init : dict of str -> ndarray, optional
        Starting weights with ``net.keys(k)`` for every ``k < n_layers`` (e.g. from
        :func:`convert_params`); default None: ISTA's weights.
    seed : int, optional
        Base seed of the minibatch generators (default 0).
    progress : bool, optional
        Show a progress bar per phase (default True).
    desc : str, optional
        Prefix of the progress bars' descriptions (default ``""``).

    Returns
    -------
    params : dict
        ``net.keys(k)`` for every layer.
    log : dict
        ``{"stage_nmse_db": [...], "final_losses": [...], "seconds": float, "steps": int}``: the
        training NMSE (dB, mean over the last 20 steps) after each stage, the final phase's
        losses every 10 steps, the training time (s) and the number of Adam steps.

    Raises
    ------
    TypeError
        ``n_layers`` or ``batch_size`` is not an integer, ``lam`` (when ``init`` is None) not a
        real number; from ``fit``: a step count that is not an integer, a rate not a real number.
    ValueError
        ``n_layers`` or ``batch_size`` is below 1, ``lam`` (when ``init`` is None) negative or not
        finite, ``init`` lacks a layer's key; from ``fit``: a negative step count or a learning
        rate that is not ``> 0``.
    FloatingPointError
        From ``fit``: the loss becomes NaN or infinite.
    """
    from sparseimg.learn.training import fit

    n_layers = check_int("n_layers", n_layers, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    start = init_params(net, n_layers, lam) if init is None else init
    missing = [key for k in range(n_layers) for key in net.keys(k) if key not in start]
    if missing:
        raise ValueError(f"init lacks {missing[0]!r}: expected the weights of {n_layers} {net.label} layers")

    def batch(rng):
        return problem.sample(batch_size, rng)

    def make_loss(frozen, t):
        return lambda trainable, y, x: lista_loss(trainable, y, x, frozen=frozen, net=net, n_layers=t)

    params: dict = {}
    stage_db, steps, seconds, phase = [], 0, 0.0, 0
    for t in range(1, n_layers + 1):
        new_keys = net.keys(t - 1)
        source = new_keys if (init is not None or t == 1) else net.keys(t - 2)
        for src, dst in zip(source, new_keys):
            params[dst] = np.array(start[src] if source is new_keys else params[src], dtype=np.float64)
        last = None
        for keys, n_steps, rate in ((new_keys, layer_steps, lr), (tuple(params), tune_steps, tune_lr)):
            if n_steps == 0:
                continue
            trainable = {k: params[k] for k in keys}
            frozen = {k: v for k, v in params.items() if k not in trainable}
            phase += 1
            result = fit(make_loss(frozen, t), trainable, batch, n_steps, lr=rate, seed=seed + phase,
                         progress=progress, desc=f"{desc}layer {t}/{n_layers}")
            params.update(result.params)
            steps += result.steps
            seconds += result.seconds
            last = result.losses
        if last is not None:
            stage_db.append(10.0 * math.log10(float(np.mean(last[-20:]))))
    final_losses = np.array([])
    if final_steps:
        phase += 1
        result = fit(make_loss({}, n_layers), params, batch, final_steps, lr=final_lr, seed=seed + phase,
                     progress=progress, desc=f"{desc}all {n_layers} layers")
        params = result.params
        steps += result.steps
        seconds += result.seconds
        final_losses = result.losses
    log = {"stage_nmse_db": stage_db, "final_losses": [float(v) for v in final_losses[::10]],
           "seconds": seconds, "steps": steps}
    return params, log

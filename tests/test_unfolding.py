"""Unfolded ISTA (sparseimg.learn.unfolding) and its experiments module (LISTA part of section 3b)."""

import math

import numpy as np
import pytest
from autograd import grad
from autograd.test_util import check_grads

from sparseimg.learn import sparse_problem as sp
from sparseimg.learn import unfolding as uf
from sparseimg.operators.matrix import MatrixOperator
from sparseimg.optim.objectives import LeastSquares
from sparseimg.optim.prox import L1Norm
from sparseimg.optim.solvers import proximal_gradient

MODELS = tuple(uf.MODELS)


@pytest.fixture(scope="module")
def small():
    return sp.make_problem(20, 40, sparsity=0.2, seed=3)


def perturbed(params, scale=0.01, seed=0):
    rng = np.random.default_rng(seed)
    return {k: v + scale * rng.standard_normal(np.shape(v)) for k, v in params.items()}


def ista_steps(matrix, y, lam, x0, n_iter):
    operator = MatrixOperator(matrix)
    x, _ = proximal_gradient(LeastSquares(operator, y), L1Norm(lam), x0, n_iter=n_iter, tol=0.0)
    return x


# ---------------------------------------------------------------------------------------------
# The problem and the operator
# ---------------------------------------------------------------------------------------------
def test_problem_matrix_has_unit_columns_and_is_seeded():
    p = sp.make_problem(25, 50, seed=5)
    np.testing.assert_allclose(np.linalg.norm(p.matrix, axis=0), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(p.matrix, sp.make_problem(25, 50, seed=5).matrix)
    assert not np.array_equal(p.matrix, sp.make_problem(25, 50, seed=6).matrix)


def test_samples_have_the_sparsity_and_the_snr():
    p = sp.make_problem(100, 200, sparsity=0.1, snr_db=40.0, seed=0)
    y, x = p.sample(2000, 1)
    assert abs(np.mean(x != 0) - 0.1) < 0.005
    clean = p.matrix @ x
    snr = 10 * math.log10(np.sum(clean ** 2) / np.sum((y - clean) ** 2))
    assert abs(snr - 40.0) < 0.2
    y2, x2 = p.sample(2000, 1)
    np.testing.assert_array_equal(y, y2)


def test_matrix_operator_adjoint_and_lipschitz(small):
    op = MatrixOperator(small.matrix)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 3)), rng.standard_normal((20, 3))
    assert np.sum(op.forward(x) * y) == pytest.approx(np.sum(x * op.adjoint(y)), rel=1e-12)
    assert op.lipschitz_constant() == pytest.approx(np.linalg.norm(small.matrix, 2) ** 2, rel=1e-12)
    with pytest.raises(ValueError, match="2-D float"):
        MatrixOperator(np.ones(3))


def test_nmse_db():
    x = np.array([[1.0, 0.0], [0.0, 2.0]])
    assert sp.nmse_db(x, x) == -math.inf
    assert sp.nmse_db(0.9 * x, x) == pytest.approx(-20.0)
    with pytest.raises(ValueError, match="shape"):
        sp.nmse_db(x[:1], x)


def test_analytic_weight_has_unit_diagonal_and_is_optimal(small):
    a = small.matrix
    w = uf.analytic_weight(a)
    np.testing.assert_allclose(np.sum(w * a, axis=0), 1.0, rtol=1e-10)
    cost = np.sum((w.T @ a) ** 2)
    rng = np.random.default_rng(1)
    for _ in range(5):  # any feasible perturbation (a_iᵀ d_i = 0) costs more
        d = rng.standard_normal(w.shape)
        d -= a * np.sum(a * d, axis=0)  # unit columns: project out a_i
        assert np.sum(((w + 1e-3 * d).T @ a) ** 2) > cost


# ---------------------------------------------------------------------------------------------
# The networks at ISTA's weights
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("start", ["zero", "random"])
def test_one_lista_layer_at_ista_weights_is_one_ista_step(small, start):
    """W_e = Aᵀ/L, S = I − AᵀA/L, θ = λ/L: one layer equals one step of the library's core."""
    lam = 0.05
    y, _ = small.sample(6, 0)
    x0 = np.zeros((40, 6)) if start == "zero" else np.random.default_rng(2).standard_normal((40, 6))
    net = uf.network("lista", small.matrix)
    params = uf.init_params(net, 1, lam)
    big_l = MatrixOperator(small.matrix).lipschitz_constant()
    np.testing.assert_array_equal(params["W00"], small.matrix.T / big_l)
    assert float(params["theta00"]) == lam / big_l
    layer = uf.layer_outputs(net, params, y, x0=x0)[0]
    step = ista_steps(small.matrix, y, lam, x0, 1)
    np.testing.assert_allclose(layer, step, rtol=1e-12, atol=1e-15)
    assert np.count_nonzero(step) > 0 and np.count_nonzero(step == 0) > 0  # the threshold acts


@pytest.mark.parametrize("model", ["lista", "lista_cp"])
def test_k_layers_at_ista_weights_are_k_ista_iterations(small, model):
    y, _ = small.sample(5, 1)
    net = uf.network(model, small.matrix)
    outputs = uf.layer_outputs(net, uf.init_params(net, 6, 0.05), y)
    for k in (1, 3, 6):
        np.testing.assert_allclose(outputs[k - 1], ista_steps(small.matrix, y, 0.05, np.zeros((40, 5)), k),
                                   rtol=1e-10, atol=1e-13)


def test_conversions_compute_the_same_network(small):
    y, _ = small.sample(5, 2)
    nets = {m: uf.network(m, small.matrix) for m in MODELS}
    params = perturbed(uf.init_params(nets["alista"], 4, 0.05), 0.05)
    ref = uf.layer_outputs(nets["alista"], params, y)[-1]
    cp = uf.convert_params(params, nets["alista"], nets["lista_cp"])
    lista = uf.convert_params(cp, nets["lista_cp"], nets["lista"])
    np.testing.assert_allclose(uf.layer_outputs(nets["lista_cp"], cp, y)[-1], ref, atol=1e-13)
    np.testing.assert_allclose(uf.layer_outputs(nets["lista"], lista, y)[-1], ref, atol=1e-13)
    with pytest.raises(ValueError, match="cannot convert lista"):
        uf.convert_params(lista, nets["lista"], nets["alista"])


# ---------------------------------------------------------------------------------------------
# The primitive's gradient
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("model", MODELS)
def test_unrolled_gradient_check_grads(small, model):
    net = uf.network(model, small.matrix)
    params = perturbed(uf.init_params(net, 3, 0.05))
    y, _ = small.sample(4, 3)
    x0 = np.random.default_rng(4).standard_normal((40, 4))
    check_grads(lambda p: np.sum(np.sin(uf.unrolled(p, {}, y, net, 3, x0))), modes=["rev"], order=1)(params)
    sub = {k: params[k] for k in net.keys(1)}
    frozen = {k: v for k, v in params.items() if k not in sub}
    check_grads(lambda p: np.sum(np.sin(uf.unrolled(p, frozen, y, net, 3))), modes=["rev"], order=1)(sub)


@pytest.mark.parametrize("model", MODELS)
def test_unrolled_gradient_central_differences(small, model):
    """Each key's gradient along a random direction against a central difference of the NMSE loss."""
    net = uf.network(model, small.matrix)
    params = perturbed(uf.init_params(net, 3, 0.05), seed=5)
    y, x = small.sample(8, 4)

    def loss(p):
        return uf.lista_loss(p, y, x, frozen={}, net=net, n_layers=3)

    g = grad(loss)(params)
    rng = np.random.default_rng(6)
    for key in params:
        d = rng.standard_normal(np.shape(params[key]))
        h = 1e-6
        plus, minus = dict(params), dict(params)
        plus[key] = params[key] + h * d
        minus[key] = params[key] - h * d
        numeric = (loss(plus) - loss(minus)) / (2 * h)
        assert float(np.sum(g[key] * d)) == pytest.approx(numeric, rel=1e-5, abs=1e-9), key


def test_vjp_without_the_forward_memo_is_the_same(small):
    net = uf.network("lista_cp", small.matrix)
    params = perturbed(uf.init_params(net, 3, 0.05))
    y, _ = small.sample(4, 5)
    g = np.random.default_rng(7).standard_normal((40, 4))
    ans = uf.unrolled(params, {}, y, net, 3)
    with_memo = uf._unrolled_vjp(ans, params, {}, y, net, 3)(g)
    without = uf._unrolled_vjp(None, params, {}, y, net, 3)(g)
    for key in params:
        np.testing.assert_array_equal(with_memo[key], without[key])


# ---------------------------------------------------------------------------------------------
# Training and the ISTA / FISTA helpers
# ---------------------------------------------------------------------------------------------
def test_layerwise_training_is_deterministic_and_beats_ista(small):
    net = uf.network("alista", small.matrix)
    kw = dict(lam=0.05, batch_size=32, layer_steps=20, tune_steps=5, final_steps=30, lr=1e-2, tune_lr=1e-3,
              final_lr=3e-3, seed=3, progress=False)
    a, log = uf.train_layerwise(net, small, 4, **kw)
    b, _ = uf.train_layerwise(net, small, 4, **kw)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert len(log["stage_nmse_db"]) == 4 and log["steps"] == 4 * 25 + 30
    y, x = small.sample(500, 99)
    trained = sp.nmse_db(uf.layer_outputs(net, a, y)[-1], x)
    ista = sp.nmse_db(uf.layer_outputs(net, uf.init_params(net, 4, 0.05), y)[-1], x)
    assert trained < ista - 1.0


def test_solver_curves_and_iterations_to_reach(small):
    from sparseimg.experiments import unfolding_lista as ul

    y, x = small.sample(30, 6)
    ista = ul.solver_curves(small.matrix, y, x, 0.01, 200)
    fista = ul.solver_curves(small.matrix, y, x, 0.01, 200, accelerate=True)
    assert ista[0] == pytest.approx(0.0) and len(ista) == 201
    assert fista[-1] < ista[50]
    assert ul.iterations_to_reach(ista, ista[37]) <= 37
    assert ul.iterations_to_reach(ista, -500.0) is None
    short = ul.tune_for_budget(small.matrix, y, x, 5, [0.01, 0.02, 0.04], accelerate=True)
    long = ul.tune_for_budget(small.matrix, y, x, 200, [0.01, 0.02, 0.04], accelerate=True)
    assert short.edge == "" == long.edge and short.value > long.value  # a short budget wants a larger λ
    assert -max(long.scores) == pytest.approx(ul.solver_curves(small.matrix, y, x, long.value, 200, accelerate=True)[-1])


# ---------------------------------------------------------------------------------------------
# The experiments module at quick parameters
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def quick_run():
    from sparseimg.experiments import unfolding_lista as ul
    from sparseimg.schema import quick_values

    block = quick_values(ul.SCHEMA)
    block.update(lista_m=30, lista_n=60, lista_layers=3, lista_alista_steps=30, lista_cp_steps=10, lista_steps=10,
                 lista_test_size=50, lista_tune_size=20, lista_solver_iters=60)
    weights, log = ul.train(block, progress=False)
    return ul, block, weights, log


def test_schema_prefix_and_train_keys(quick_run):
    ul, block, weights, log = quick_run
    assert all(k.startswith("lista_") for k in ul.SCHEMA)
    assert set(ul.TRAIN_KEYS) <= set(ul.SCHEMA)
    assert {"lista_test_size", "lista_test_seed", "lista_lams"}.isdisjoint(ul.TRAIN_KEYS)


def test_quick_training_writes_every_network(quick_run):
    ul, block, weights, log = quick_run
    for case in ("noiseless", "snr40db"):
        for model in ul.MODEL_ORDER:
            params = ul.model_params(weights, case, model)
            assert uf.n_layers_of(params) == 3
            assert log["cases"][case][model]["steps"] > 0
    assert log["cpu_seconds"] > 0


def test_quick_evaluation(quick_run):
    ul, block, weights, log = quick_run
    layers = ul.layer_nmse(block, weights)
    comparison = ul.solver_comparison(block, weights)
    for case, curves in layers.items():
        assert curves["lista"][-1] < curves["lista"][0]
        level = comparison[case]["level_db"]
        assert level == pytest.approx(curves["lista"][-1])
        for s in comparison[case]["solvers"].values():
            assert s["lam"] in s["tuning"]["grid"] and len(s["curve"]) == block["lista_solver_iters"] + 1
            at = s["at_layers"]
            assert at["lam"] in at["tuning"]["grid"] and at["margin_db"] == pytest.approx(at["nmse_db"] - level)
            assert at["tuning"]["value"] == at["lam"] and s["tuning"]["value"] == s["lam"]
    rows = ul.comparison_rows(layers, comparison, block["lista_layers"])
    assert [r["case"] for r in rows] == ["noiseless", "snr40db"]


def test_held_out_vectors_are_not_training_vectors(quick_run):
    ul, block, weights, log = quick_run
    for case, problem in ul.cases(block).items():
        y, x = ul.held_out(block, case, problem)
        yt, xt = ul.tuning_set(block, case, problem)
        assert not np.array_equal(x[:, :5], xt[:, :5])


def test_training_in_two_processes_gives_the_same_weights(quick_run):
    ul, block, weights, log = quick_run
    parallel, plog = ul.train({**block, "lista_workers": 2}, progress=False)
    assert plog["workers"] == 2 and log["workers"] == 1
    assert set(parallel) == set(weights)
    for key in weights:
        np.testing.assert_array_equal(parallel[key], weights[key])


def test_lista_registry_untrained_networks_are_ista_and_trained_weights_are_used():
    from sparseimg.experiments import unfolding_lista as ul
    from sparseimg.learn import unfolding as uf

    obs = ul.example_observation()
    s = ul.SolverSettings(lam=0.05, n_iter=4)
    ista = ul.SOLVERS["ista"](obs, s)
    assert ista.estimate.shape == (obs.matrix.shape[1], obs.observed.shape[1]) and ista.details["iterations"] == 4
    for model in ("lista", "lista_cp"):  # at the weights their training starts from: four ISTA steps
        r = ul.SOLVERS[model](obs, s)
        assert r.details == {"layers": 4, "trained": False}
        np.testing.assert_allclose(r.estimate, ista.estimate, atol=1e-12)
    net = uf.network("lista", obs.matrix)
    params = {k: v * 0.9 for k, v in uf.init_params(net, 2, 0.05).items()}  # "trained": any other weights
    r = ul.SOLVERS["lista"](obs, ul.SolverSettings(lam=0.05, n_iter=4, weights={"lista": params}))
    assert r.details == {"layers": 2, "trained": True}
    np.testing.assert_array_equal(r.estimate, uf.layer_outputs(net, params, obs.observed)[-1])
    fista = ul.SOLVERS["fista"](obs, s).estimate
    assert not np.allclose(fista, ista.estimate)  # accelerated: another iterate after four steps

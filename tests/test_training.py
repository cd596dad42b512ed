"""sparseimg.learn.training: the seeded Adam loop, weights on disk, load-or-train."""

import autograd.numpy as anp
import numpy as np
import pytest

from sparseimg.optim.solvers import adam_minimize
from sparseimg.learn.training import Adam, WeightsError, fit, load_or_train, load_weights, save_weights


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((200, 5))
    w_true = rng.standard_normal(5)
    b = a @ w_true

    def loss(p, rows_a, rows_b):
        return anp.mean((anp.dot(rows_a, p["w"]) + p["c"] - rows_b) ** 2)

    def batch(rng):
        idx = rng.choice(200, size=32, replace=False)
        return a[idx], b[idx]

    return loss, batch, w_true


def test_fit_learns_and_is_deterministic():
    loss, batch, w_true = _problem()
    start = {"w": np.zeros(5), "c": np.zeros(())}
    r1 = fit(loss, start, batch, 600, lr=0.05, seed=3, progress=False)
    r2 = fit(loss, start, batch, 600, lr=0.05, seed=3, progress=False)
    np.testing.assert_array_equal(r1.params["w"], r2.params["w"])
    np.testing.assert_array_equal(r1.losses, r2.losses)
    np.testing.assert_allclose(r1.params["w"], w_true, atol=1e-2)
    assert r1.losses[-1] < 1e-3 * r1.losses[0]
    assert start["w"].sum() == 0  # the start is not modified
    r3 = fit(loss, start, batch, 600, lr=0.05, seed=4, progress=False)
    assert not np.array_equal(r1.losses, r3.losses)  # the seed drives the minibatches


def test_fit_split_over_processes_matches_one_process_and_repeats_bit_for_bit():
    loss, batch, w_true = _problem()
    start = {"w": np.zeros(5), "c": np.zeros(())}
    one = fit(loss, start, batch, 200, lr=0.05, seed=3, progress=False)
    two = fit(loss, start, batch, 200, lr=0.05, seed=3, progress=False, processes=2)
    again = fit(loss, start, batch, 200, lr=0.05, seed=3, progress=False, processes=2)
    np.testing.assert_array_equal(two.params["w"], again.params["w"])  # deterministic
    np.testing.assert_allclose(two.params["w"], one.params["w"], rtol=1e-9)  # the same gradient up to rounding
    np.testing.assert_allclose(two.losses, one.losses, rtol=1e-9)
    assert not np.array_equal(two.params["w"], w_true)


def test_fit_split_errors_are_one_line():
    loss, batch, _ = _problem()  # batches of 32 rows
    start = {"w": np.zeros(5), "c": np.zeros(())}
    with pytest.raises(ValueError, match="processes=3 is not allowed: the batch of 32"):
        fit(loss, start, batch, 2, lr=0.05, progress=False, processes=3)
    with pytest.raises(ValueError, match="processes=0 is not allowed"):
        fit(loss, start, batch, 2, lr=0.05, progress=False, processes=0)

    def bad(p, rows_a, rows_b):  # fails in the worker's slice only: raised here with its type
        if rows_a.shape[0] and rows_b[0] == batch_b_second[0]:
            raise FloatingPointError("worker slice")
        return loss(p, rows_a, rows_b)
    rows_a, rows_b = batch(np.random.default_rng(0))
    batch_b_second = rows_b[16:]
    with pytest.raises(FloatingPointError, match="worker slice"):
        fit(bad, start, lambda r: (rows_a, rows_b), 2, lr=0.05, progress=False, processes=2)


def test_fit_full_batch_constant_equals_adam_minimize():
    loss, _, _ = _problem()
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((50, 5)), rng.standard_normal(50)
    res = fit(loss, {"w": np.zeros(5), "c": np.zeros(())}, lambda r: (a, b), 50, lr=0.01, schedule="constant",
              progress=False)
    from autograd import value_and_grad

    (w, c), losses = adam_minimize(value_and_grad(lambda p: loss({"w": p[0], "c": p[1]}, a, b)),
                                   [np.zeros(5), np.zeros(())], learning_rate=0.01, n_iter=50)
    np.testing.assert_array_equal(res.params["w"], w)
    np.testing.assert_array_equal(res.losses, losses)


def test_dict_adam_step_matches_one_fit_step():
    p = {"a": np.ones(3), "b": np.arange(2.0)}
    g = {"a": np.array([1.0, -2.0, 0.5]), "b": np.array([0.1, 0.0])}
    new = Adam(p, lr=0.1).step(p, g)
    # first Adam step: each coordinate moves by lr * sign(g) (bias-corrected, eps aside)
    np.testing.assert_allclose(new["a"], p["a"] - 0.1 * np.sign(g["a"]), rtol=1e-6)
    assert new["b"][1] == p["b"][1]
    with pytest.raises(KeyError):
        Adam(p).step(p, {"a": g["a"]})


def test_clip_and_bad_arguments():
    loss, batch, _ = _problem()
    seen = []
    fit(loss, {"w": np.full(5, 100.0), "c": np.zeros(())}, batch, 2, lr=1.0, clip=1e-3, schedule="constant",
        progress=False, callback=lambda k, p, v: seen.append(p["w"].copy()))
    # Adam's first step is lr * sign(g) whatever the scale; the clipped gradient keeps its direction
    np.testing.assert_allclose(np.abs(seen[0] - 100.0), 1.0, rtol=1e-4)
    with pytest.raises(ValueError, match="schedule"):
        fit(loss, {"w": np.zeros(5), "c": np.zeros(())}, batch, 2, lr=0.1, schedule="linear", progress=False)
    with pytest.raises(ValueError, match="lr"):
        fit(loss, {"w": np.zeros(5), "c": np.zeros(())}, batch, 2, lr=0.0, progress=False)
    with pytest.raises(FloatingPointError, match="step 0"):
        fit(lambda p: p["w"][0] * np.inf, {"w": np.ones(1)}, lambda r: (), 2, lr=0.1, progress=False)


def test_weights_round_trip_and_atomic_write(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    params = {"w": np.arange(6.0).reshape(2, 3), "theta": np.array(0.5)}
    save_weights(path, params, config={"layers": 3, "sizes": (1, 2)}, log={"losses": [1.0, 0.5]})
    got, info = load_weights(path)
    assert set(got) == {"w", "theta"}
    np.testing.assert_array_equal(got["w"], params["w"])
    assert info == {"config": {"layers": 3, "sizes": [1, 2]}, "log": {"losses": [1.0, 0.5]}}

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(RuntimeError):
        save_weights(path, {"w": np.zeros(1)}, config={"layers": 4})
    monkeypatch.undo()
    np.testing.assert_array_equal(load_weights(path)[0]["w"], params["w"])  # the good file survived
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]  # no temporary left behind
    with pytest.raises(WeightsError, match="must end in .npz"):
        save_weights(tmp_path / "m.bin", params, config={})
    with pytest.raises(WeightsError, match="no weights file"):
        load_weights(tmp_path / "missing.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(WeightsError, match="not a weights file"):
        load_weights(tmp_path / "bad.npz")


def test_load_or_train(tmp_path):
    path = tmp_path / "m.npz"
    calls = []

    def train():
        calls.append(1)
        return {"w": np.full(2, float(len(calls)))}, {"steps": 7}

    params, info, trained = load_or_train(path, {"n": 1}, train)  # no file: trains, does not write
    assert trained and calls == [1] and not path.exists()
    assert info == {"config": {"n": 1}, "log": {"steps": 7}}
    save_weights(path, {"w": np.zeros(2)}, config={"n": 1})
    params, info, trained = load_or_train(path, {"n": 1}, train)  # same configuration: loads
    assert not trained and calls == [1] and params["w"].sum() == 0
    params, info, trained = load_or_train(path, {"n": 2}, train)  # other configuration: trains
    assert trained and calls == [1, 1] and params["w"][0] == 2.0


def test_load_or_train_required_by_the_pipeline(tmp_path, monkeypatch):
    """Under the section runner (SPARSEIMG_REQUIRE_MODELS=1) a missing or mismatched model is an
    error naming the file, never a silent retraining inside the notebook."""
    from sparseimg.learn.training import REQUIRE_MODELS_ENV

    def train():
        raise AssertionError("trained")

    monkeypatch.setenv(REQUIRE_MODELS_ENV, "1")
    path = tmp_path / "lista.npz"
    with pytest.raises(WeightsError, match=r"lista\.npz does not exist; run its training stage"):
        load_or_train(path, {"n": 1}, train)
    save_weights(path, {"w": np.zeros(2)}, config={"n": 1})
    assert load_or_train(path, {"n": 1}, train)[2] is False
    with pytest.raises(WeightsError, match="was trained with another configuration"):
        load_or_train(path, {"n": 2}, train)


def test_model_path(monkeypatch, tmp_path):
    from pathlib import Path

    import sparseimg
    from sparseimg.learn.training import model_path

    monkeypatch.delenv("SPARSEIMG_MODELS_DIR", raising=False)
    (tmp_path / "ws" / "notebooks").mkdir(parents=True)
    (tmp_path / "ws" / "dvc.yaml").write_text("stages: {}\n")
    for where in ("ws", "ws/notebooks"):  # the workspace root and below it: the same file
        monkeypatch.chdir(tmp_path / where)
        assert model_path("lista") == (tmp_path / "ws" / "models" / "lista.npz").resolve()
    monkeypatch.chdir(tmp_path)  # no workspace above: the package's repository
    assert model_path("lista") == Path(sparseimg.__file__).resolve().parents[2] / "models" / "lista.npz"
    monkeypatch.setenv("SPARSEIMG_MODELS_DIR", str(tmp_path))
    assert model_path("lista") == tmp_path / "lista.npz"

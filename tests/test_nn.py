"""The periodic conv2d primitive: values against explicit shifts, VJPs against finite differences."""

import numpy as np
import pytest
from autograd import grad
from autograd.test_util import check_grads

from sparseimg.learn.nn import conv2d, conv2d_reference, conv_net, count_params, init_conv_net


@pytest.mark.parametrize("kernel, origin", [((3, 3), None), ((4, 3), (1, 1)), ((4, 3), (2, 1)), ((3, 4), (1, 2)),
                                            ((1, 1), None), ((5, 2), (4, 0))])
def test_conv2d_matches_shifts(kernel, origin):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((4, 3) + kernel)
    np.testing.assert_allclose(conv2d(x, w, origin), conv2d_reference(x, w, origin), atol=1e-12)


def test_conv2d_small_image_wraps():
    """A kernel larger than the image still wraps periodically."""
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((1, 2, 2, 3)), rng.standard_normal((1, 2, 5, 5))
    np.testing.assert_allclose(conv2d(x, w), conv2d_reference(x, w), atol=1e-12)


def test_conv2d_identity_kernel():
    x = np.random.default_rng(2).standard_normal((1, 1, 5, 5))
    w = np.zeros((1, 1, 3, 3))
    w[0, 0, 1, 1] = 1.0
    np.testing.assert_array_equal(conv2d(x, w), x)


@pytest.mark.parametrize("origin", [None, (2, 1), (0, 2)])
def test_conv2d_check_grads(origin):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((3, 2, 3, 3))
    check_grads(lambda x, w: conv2d(x, w, origin), modes=["rev"], order=1)(x, w)


def test_conv2d_central_differences():
    """Gradients of a scalar loss against central differences, coordinate by coordinate."""
    rng = np.random.default_rng(4)
    x, w, t = rng.standard_normal((1, 2, 4, 5)), rng.standard_normal((2, 2, 4, 3)), rng.standard_normal((1, 2, 4, 5))

    def f(x, w):
        return np.sum(np.sin(conv2d(x, w, (1, 1))) * t)

    gx, gw = grad(f, 0)(x, w), grad(f, 1)(x, w)
    h = 1e-6
    for arr, g, which in ((x, gx, 0), (w, gw, 1)):
        for idx in [tuple(rng.integers(0, s) for s in arr.shape) for _ in range(8)]:
            e = np.zeros_like(arr)
            e[idx] = h
            args_p = (x + e, w) if which == 0 else (x, w + e)
            args_m = (x - e, w) if which == 0 else (x, w - e)
            fd = (f(*args_p) - f(*args_m)) / (2 * h)
            assert abs(fd - g[idx]) <= 1e-7 * max(1.0, abs(fd))


def test_conv2d_adjoint():
    """<conv(x), y> = <x, conv_adjoint(y)> with the VJP as the adjoint."""
    rng = np.random.default_rng(5)
    x, y, w = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((2, 4, 6, 5)), rng.standard_normal((4, 3, 3, 2))
    gx = grad(lambda x: np.sum(conv2d(x, w, (0, 1)) * y))(x)
    assert abs(np.sum(conv2d(x, w, (0, 1)) * y) - np.sum(x * gx)) < 1e-10


def test_conv2d_shape_error():
    with pytest.raises(ValueError, match="expected"):
        conv2d(np.zeros((1, 2, 4, 4)), np.zeros((1, 3, 3, 3)))


def test_conv_net_gradients_and_count():
    rng = np.random.default_rng(6)
    params = init_conv_net(rng, (2, 4, 1), 3, prefix="n")
    assert count_params(params) == 2 * 4 * 9 + 4 + 4 * 9 + 1
    x = rng.standard_normal((1, 2, 5, 5))
    check_grads(lambda p: conv_net(p, x, 2, prefix="n"), modes=["rev"], order=1)(params)


def test_zero_last_layer():
    params = init_conv_net(np.random.default_rng(0), (1, 3, 1), 3, zero_last=True)
    out = conv_net(params, np.ones((1, 1, 4, 4)), 2)
    np.testing.assert_array_equal(out, 0.0)


def test_conv2d_float32_matches_float64_and_its_gradients():
    """The float32 path (the WINNet training's) keeps float32 and agrees with float64, values and VJPs;
    float64 gradients are checked against finite differences above."""
    rng = np.random.default_rng(5)
    x, w, t = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal((2, 4, 6, 5))

    def f(x, w):
        return np.sum(conv2d(x, w) * t)

    t = t.astype(np.float32)
    out32 = conv2d(x.astype(np.float32), w.astype(np.float32))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, conv2d(x, w), rtol=1e-5, atol=1e-5)
    for i in (0, 1):
        g32 = grad(f, i)(x.astype(np.float32), w.astype(np.float32))
        g64 = grad(f, i)(x, w)
        assert g32.dtype == np.float32
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-4)


def test_conv2d_float32_central_differences():
    """float32 VJPs against central differences of the float64 function (step 1e-3, float32 tolerance)."""
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((1, 2, 5, 6)), rng.standard_normal((3, 2, 3, 3))
    t = rng.standard_normal((1, 3, 5, 6))

    def f(x, w):
        return np.sum(np.tanh(conv2d(x, w)) * t)

    gw = grad(f, 1)(x.astype(np.float32), w.astype(np.float32))
    h = 1e-3
    for idx in [tuple(rng.integers(0, s) for s in w.shape) for _ in range(6)]:
        e = np.zeros_like(w)
        e[idx] = h
        fd = (f(x, w + e) - f(x, w - e)) / (2 * h)
        assert abs(fd - gw[idx]) <= 1e-3 * max(1.0, abs(fd))


@pytest.mark.parametrize("shape, out_channels, kernel, dtype", [
    ((2, 3, 70, 90), 5, 3, np.float64),   # several blocks per image and a remainder (length 6,369)
    ((4, 24, 40, 40), 24, 3, np.float32),  # WINNet's hidden layers, one block per image
    ((1, 1, 130, 64), 16, 5, np.float64),  # one input channel, a 5 x 5 kernel with two blocks
    ((3, 16, 9, 7), 1, 3, np.float32),     # one output channel, tiny images
])
def test_conv2d_test_time_blocks_agree_with_the_training_layout(monkeypatch, shape, out_channels, kernel, dtype):
    import sparseimg.learn.nn as nn

    monkeypatch.setattr(nn, "COLUMNS", 2048)  # several blocks on small test images
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((out_channels, shape[1], kernel, kernel)).astype(dtype)
    plain = conv2d(x, w, (1, kernel - 1))
    with nn.test_time():
        blocked = conv2d(x, w, (1, kernel - 1))
        assert nn._blocked[0]
    assert not nn._blocked[0]
    assert blocked.dtype == plain.dtype and blocked.shape == plain.shape
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(blocked, plain, rtol=tol, atol=tol * np.abs(plain).max())
    np.testing.assert_allclose(blocked, conv2d_reference(x, w, (1, kernel - 1)), rtol=10 * tol,
                               atol=10 * tol * np.abs(plain).max())


def test_test_time_is_left_on_error():
    import sparseimg.learn.nn as nn

    with pytest.raises(RuntimeError), nn.test_time():
        raise RuntimeError
    assert not nn._blocked[0]


def test_denoisers_evaluate_at_test_time(monkeypatch):
    """WINNet's and the learned lifting's ``denoise`` run their convolutions in the blocked layout."""
    import sparseimg.learn.nn as nn
    from sparseimg.learn import learned_lifting, winnet

    seen = []
    real = nn._blocked_product
    monkeypatch.setattr(nn, "_blocked_product", lambda *a: (seen.append(a[0].shape), real(*a))[1])
    rng = np.random.default_rng(0)
    cfg = {"levels": 1, "extra": 0, "steps": 1, "pu_hidden": 2, "dn_channels": 3, "dn_layers": 1}
    winnet.denoise(rng.random((12, 12)), 0.1, winnet.init_params(cfg), pad=0)
    assert seen
    seen.clear()
    learned_lifting.denoise(rng.random((16, 16)), 0.1, learned_lifting.init_params({"levels": 1}), pad=0, shifts=1)
    assert seen

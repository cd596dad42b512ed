"""Small convolutional layers for autograd: a periodic 2-D convolution as a primitive with its own VJP.

- :func:`conv2d` — ``out[n, o, i, j] = Σ_{c, a, b} w[o, c, a, b] · x[n, c, (i + a − r0) mod H, (j + b − r1) mod W]``
  (a cross-correlation, as in the deep-learning libraries) with periodic boundaries and an
  explicit origin ``(r0, r1)`` (default: the kernel's centre). Computed tap by tap as matrix
  products on contiguous slices of the periodically padded, row-flattened input (no im2col
  copy); its vector-Jacobian products are the same kind of products (the input's: a correlation
  with the flipped, transposed kernel; the kernel's: the columns against the output gradient).
  Periodic boundaries suit the lifting transform of :mod:`sparseimg.learn.learned_lifting`, which is
  periodic, and make the adjoint exact (no border terms).
- :func:`conv_net` / :func:`init_conv_net` — a stack of such convolutions with ReLUs between them.
- :func:`test_time` — a context inside which :func:`conv2d` stacks the taps of ``COLUMNS`` output pixels
  at a time (the stack stays in cache; one matrix product per block) instead of the whole batch's: about
  twice as fast on the denoisers' images (WINNet's 24-channel layers on 4 × 160²: 60 → 33 ms), equal up
  to rounding. The denoisers' test-time entry points use it; training keeps the one-product layout, whose
  rounding the committed weights were trained with.

Float64 by default; when both the input and the kernel are float32 the whole computation (and its
VJPs) stays in float32 (about twice as fast: the training of :mod:`sparseimg.learn.winnet` uses it).
Deterministic; the primitive is checked against finite differences in ``tests/test_nn.py``
(``autograd.test_util.check_grads`` and a central-difference test, float32 against float64).
"""

from __future__ import annotations

from contextlib import contextmanager

import autograd.numpy as anp
import numpy as np
from autograd.extend import defvjp, primitive

__all__ = ["conv2d", "conv2d_reference", "conv_net", "init_conv_net", "count_params", "test_time", "COLUMNS"]

#: Output pixels per block under :func:`test_time` (2,048–8,192 measured alike; 16,384 slower: out of cache).
COLUMNS = 4096
_blocked = [False]  # inside test_time()


def _origin(w_shape, origin):
    kh, kw = w_shape[-2:]
    return (kh // 2, kw // 2) if origin is None else (int(origin[0]), int(origin[1]))


def _dtype(*arrays):
    """float32 when every array is float32, else float64."""
    return np.float32 if all(np.asarray(a).dtype == np.float32 for a in arrays) else np.float64


def _padded_flat(x, kh, kw, r0, r1):
    """Periodic padding, rows flattened: ``(N, C, (H+kh−1)·Wp)`` with ``Wp = W + kw − 1``.

    In this layout a tap ``(a, b)`` of every output pixel ``(i, j)`` is the flat index
    ``(i + a)·Wp + j + b``: one contiguous slice per tap, no copies (the outputs are computed on
    the padded width and the extra columns dropped).
    """
    n, c, h, w = x.shape
    if kh - 1 <= h and kw - 1 <= w:  # periodic padding by concatenation (np.pad's wrap mode is slower)
        xp = np.concatenate([x[:, :, h - r0:], x, x[:, :, :kh - 1 - r0]], axis=2)
        xp = np.concatenate([xp[:, :, :, w - r1:], xp, xp[:, :, :, :kw - 1 - r1]], axis=3)
    else:
        xp = np.pad(x, ((0, 0), (0, 0), (r0, kh - 1 - r0), (r1, kw - 1 - r1)), mode="wrap")
    return xp.reshape(n, c, -1), w + kw - 1, (h - 1) * (w + kw - 1) + w


def _stack_taps(flat, kh, kw, wp, length):
    """``(kh·kw·C, N·length)``: the slice of every tap ``(a, b)``, taps major, channels minor, images
    side by side, so that a convolution and its kernel gradient are each one matrix product (GEMM)."""
    n, c, _ = flat.shape
    taps = np.empty((kh * kw, c, n, length), dtype=flat.dtype)
    src = flat.transpose(1, 0, 2)
    for a in range(kh):
        for b in range(kw):
            start = a * wp + b
            taps[a * kw + b] = src[:, :, start:start + length]
    return taps.reshape(kh * kw * c, n * length)


@primitive
def conv2d(x, w, origin=None):
    """Periodic 2-D cross-correlation of ``x`` (N, C, H, W) with ``w`` (O, C, kh, kw) -> (N, O, H, W).

    ``origin=(r0, r1)``: the tap of ``w`` that lands on the output pixel (default ``(kh//2, kw//2)``).
    """
    dt = _dtype(x, w)
    x = np.asarray(x, dtype=dt)
    w = np.asarray(w, dtype=dt)
    if x.ndim != 4 or w.ndim != 4 or x.shape[1] != w.shape[1]:
        raise ValueError(f"conv2d: x has shape {x.shape} and w {w.shape}: expected (N, C, H, W) and (O, C, kh, kw)")
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    r0, r1 = _origin(w.shape, origin)
    flat, wp, length = _padded_flat(x, kh, kw, r0, r1)
    out = np.zeros((n, o, h * wp), dtype=dt)
    if c == 1 and o == 1:  # the lifting steps: scaled adds
        for a in range(kh):
            for b in range(kw):
                start = a * wp + b
                out[:, :, :length] += w[0, 0, a, b] * flat[:, :, start:start + length]
    elif _blocked[0]:
        _blocked_product(flat, w.transpose(0, 2, 3, 1).reshape(o, -1), kh, kw, wp, length, out)
    else:  # taps stacked channel-first (contiguous), one matrix product for the batch
        taps = _stack_taps(flat, kh, kw, wp, length)
        prod = w.transpose(0, 2, 3, 1).reshape(o, -1) @ taps
        out[:, :, :length] = prod.reshape(o, n, length).transpose(1, 0, 2)
    return np.ascontiguousarray(out.reshape(n, o, h, wp)[:, :, :, :wd])


def _blocked_product(flat, wmat, kh, kw, wp, length, out):
    """``out[:, :, :length]`` of :func:`conv2d` by blocks of :data:`COLUMNS` output pixels of one image: the
    block's tap stack (``kh·kw·C × COLUMNS``, in one reused buffer) times the kernel matrix ``wmat``."""
    n, c, _ = flat.shape
    rows = kh * kw * c
    buf = np.empty(rows * COLUMNS, dtype=flat.dtype)
    for i in range(n):
        src = flat[i]
        for s0 in range(0, length, COLUMNS):
            m = min(COLUMNS, length - s0)
            taps = buf[:rows * m].reshape(kh * kw, c, m)
            for a in range(kh):
                for b in range(kw):
                    start = a * wp + b + s0
                    taps[a * kw + b] = src[:, start:start + m]
            out[i, :, s0:s0 + m] = wmat @ taps.reshape(rows, m)


@contextmanager
def test_time():
    """Inside the block, :func:`conv2d` computes by blocks of :data:`COLUMNS` output pixels (faster, equal up to
    rounding: see the module's notes). For evaluation only: training keeps the one-product layout."""
    saved = _blocked[0]
    _blocked[0] = True
    try:
        yield
    finally:
        _blocked[0] = saved


def _flipped(w, origin):
    """The kernel and origin of the adjoint: ``w'[c, o, a, b] = w[o, c, kh−1−a, kw−1−b]``, origin mirrored."""
    kh, kw = w.shape[-2:]
    r0, r1 = _origin(w.shape, origin)
    return np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)), (kh - 1 - r0, kw - 1 - r1)


def _vjp_x(ans, x, w, origin=None):
    wt, ot = _flipped(np.asarray(w), origin)
    if np.asarray(x).dtype == np.float32 and wt.dtype == np.float32:
        return lambda g: conv2d(np.asarray(g, dtype=np.float32), wt, ot)
    return lambda g: conv2d(g, wt, ot)


def _vjp_w(ans, x, w, origin=None):
    o, c, kh, kw = np.shape(w)
    r0, r1 = _origin(np.shape(w), origin)

    def vjp(g):
        dt = _dtype(x, w)  # the VJPs follow the inputs' precision
        flat, wp, length = _padded_flat(np.asarray(x, dtype=dt), kh, kw, r0, r1)
        g = np.asarray(g, dtype=dt)
        n, _, h, wd = g.shape
        gp = np.zeros((n, o, h, wp), dtype=dt)
        gp[:, :, :, :wd] = g
        gflat = gp.reshape(n, o, -1)[:, :, :length]
        if o == 1 and c == 1:
            out = np.empty((o, c, kh, kw), dtype=dt)
            for a in range(kh):
                for b in range(kw):
                    start = a * wp + b
                    out[0, 0, a, b] = np.vdot(gflat, flat[:, :, start:start + length])
            return out
        taps = _stack_taps(flat, kh, kw, wp, length)
        gmat = np.ascontiguousarray(gflat.transpose(1, 0, 2)).reshape(o, -1)
        out = (taps @ gmat.T).T  # (taps · gᵀ)ᵀ: the fast orientation of the product (measured)
        out = out.reshape(o, kh, kw, c).transpose(0, 3, 1, 2)
        return out
    return vjp


defvjp(conv2d, _vjp_x, _vjp_w)


def conv2d_reference(x, w, origin=None):
    """The same convolution by explicit shifts (slow; the tests' reference)."""
    x = np.asarray(x, dtype=np.float64)
    o, c, kh, kw = w.shape
    r0, r1 = _origin(w.shape, origin)
    out = np.zeros((x.shape[0], o) + x.shape[2:])
    for a in range(kh):
        for b in range(kw):
            shifted = np.roll(x, (r0 - a, r1 - b), axis=(2, 3))
            out += np.einsum("oc,nchw->nohw", w[:, :, a, b], shifted)
    return out


def init_conv_net(rng: np.random.Generator, channels, kernel: int = 3, *, prefix: str = "",
                  zero_last: bool = False) -> dict:
    """He-initialized weights of :func:`conv_net`: ``{prefix}w{i}`` (O, C, k, k) and ``{prefix}b{i}`` (O,)."""
    params = {}
    for i, (cin, cout) in enumerate(zip(channels[:-1], channels[1:])):
        std = np.sqrt(2.0 / (cin * kernel * kernel))
        last = i == len(channels) - 2
        params[f"{prefix}w{i}"] = (np.zeros if (last and zero_last) else
                                   (lambda s: std * rng.standard_normal(s)))((cout, cin, kernel, kernel))
        params[f"{prefix}b{i}"] = np.zeros(cout)
    return params


def conv_net(params: dict, x, n_layers: int, *, prefix: str = ""):
    """``n_layers`` periodic convolutions with biases and ReLUs between them (none after the last)."""
    for i in range(n_layers):
        x = conv2d(x, params[f"{prefix}w{i}"]) + params[f"{prefix}b{i}"][None, :, None, None]
        if i < n_layers - 1:
            x = anp.maximum(x, 0.0)
    return x


def count_params(params: dict) -> int:
    """Number of scalars in a dict of arrays."""
    return int(sum(np.size(v) for v in params.values()))

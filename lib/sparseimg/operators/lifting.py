"""Wavelets by the lifting scheme: Haar, CDF 5/3 (LeGall) and CDF 9/7, 1-D and separable 2-D.

Split a signal into even ``s`` and odd ``d`` samples; predict ``d ← d − P(s)``; update ``s ← s + U(d)``;
repeat; scale ``s ← ζ s``, ``d ← d / ζ``. The steps run backwards with flipped signs invert it exactly
whatever ``P`` and ``U`` compute: a :class:`LiftingStep` is data (two taps) or any callable (learned).

A length ``n >= 2`` (odd included) splits into ``ceil(n/2)`` coarse then ``floor(n/2)`` detail
samples; levels iterate on the coarse band; the output keeps the input's shape (Mallat layout:
coarsest band first along each axis, top-left in 2-D). ``boundary="periodic"`` wraps the bands
around (translations by multiples of ``2^levels`` commute with the transform: cycle spinning and
Fourier analysis need it); ``"symmetric"`` mirrors them about the end samples (whole-point, as
JPEG 2000), which avoids the wrap-around artefacts of a periodic transform at image borders.
Float32 is transformed in float32, anything else in float64.

References: W. Sweldens, "The lifting scheme: a custom-design construction of biorthogonal wavelets",
ACHA 3:186–200, 1996. I. Daubechies, W. Sweldens, "Factoring wavelet transforms into lifting steps",
J. Fourier Anal. Appl. 4:247–269, 1998 (§7: the 9/7 constants). A. R. Calderbank, I. Daubechies,
W. Sweldens, B.-L. Yeo, "Wavelet transforms that map integers to integers", ACHA 5:332–369, 1998
(the reversible 5/3 of JPEG 2000, ISO/IEC 15444-1 Annex F).
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

from sparseimg._validate import check_array, check_choice, check_int
from sparseimg.operators.base import LinearOperator

__all__ = ["LiftingStep", "LiftingWavelet", "HAAR", "CDF53", "CDF97", "ALPHA", "BETA", "GAMMA", "DELTA",
           "ZETA", "WAVELETS", "BOUNDARIES", "get_wavelet",
           "max_levels", "dwt", "idwt", "dwt2", "idwt2", "dwt53_int", "idwt53_int", "SubBand", "subbands",
           "WaveletTransform"]

BOUNDARIES = ("periodic", "symmetric")


@dataclass(frozen=True)
class LiftingStep:
    """One lifting step: ``kind="predict"`` (``d ← d − P(s)``) or ``"update"`` (``s ← s + U(d)``).

    ``taps=(a, b)``: ``P(s)[k] = a s[k] + b s[k+1]``, ``U(d)[k] = a d[k−1] + b d[k]`` (the
    boundary rule supplies the missing ends; the CDF wavelets have ``a = b``, Haar ``(1, 0)`` then
    ``(0, ½)``). Or ``func``: any callable, e.g. a trained network, given the source band with
    the lifting axis last, shape ``(..., ceil(n/2))`` (for odd ``n`` the details are extended by
    one sample by the boundary rule), returning the correction in the same shape (a predictor's
    last value is dropped when ``n`` is odd); ``transpose``, the transpose of a linear ``func``,
    is needed only by :meth:`WaveletTransform.adjoint`.
    """

    kind: str
    taps: tuple | None = None
    func: Callable | None = None
    transpose: Callable | None = None

    def __post_init__(self):
        check_choice("kind", self.kind, ("predict", "update"))
        if (self.taps is None) == (self.func is None):
            raise ValueError(f"taps={self.taps!r}, func={self.func!r} is not allowed: expected exactly one of them")
        if self.taps is not None:
            if len(self.taps) != 2 or not all(np.isfinite(t) for t in self.taps):
                raise ValueError(f"taps={self.taps!r} is not allowed: expected two finite numbers (a, b)")
            object.__setattr__(self, "taps", (float(self.taps[0]), float(self.taps[1])))
        elif not callable(self.func):
            raise TypeError(f"func={self.func!r} is not allowed: expected a callable func(band) -> array")


@dataclass(frozen=True)
class LiftingWavelet:
    """A wavelet: lifting steps (applied in order by the analysis) and the scaling ``ζ`` (``s·ζ``, ``d/ζ``)."""

    name: str
    steps: tuple
    scale: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "steps", tuple(self.steps))
        if not self.steps or not all(isinstance(s, LiftingStep) for s in self.steps):
            raise TypeError(f"steps={self.steps!r} is not allowed: expected a non-empty sequence of LiftingStep")
        if not (np.isfinite(self.scale) and self.scale > 0):
            raise ValueError(f"scale={self.scale!r} is not allowed: expected a finite number > 0")

    @property
    def linear(self) -> bool:
        """Whether the adjoint exists.

        Returns
        -------
        bool
            True when every step has taps or a transpose.
        """
        return all(s.taps is not None or s.transpose is not None for s in self.steps)


_SQRT2 = math.sqrt(2.0)
#: Orthonormal Haar: ``d = (x_o − x_e)/√2``, ``s = (x_e + x_o)/√2`` (for even lengths).
HAAR = LiftingWavelet("haar", (LiftingStep("predict", (1.0, 0.0)), LiftingStep("update", (0.0, 0.5))), _SQRT2)
#: CDF 5/3 (LeGall): ``d = x_o − ½(s[k] + s[k+1])``, ``s = x_e + ¼(d[k−1] + d[k])``, ``s·√2``,
#: ``d/√2``: PyWavelets' ``bior2.2`` analysis filters (its details have the opposite sign).
CDF53 = LiftingWavelet("cdf53", (LiftingStep("predict", (0.5, 0.5)), LiftingStep("update", (0.25, 0.25))), _SQRT2)
#: The 9/7 lifting constants (α, β, γ, δ, ζ) of Daubechies & Sweldens (1998), §7.
ALPHA, BETA, GAMMA, DELTA, ZETA = -1.586134342059924, -0.052980118572961, 0.882911075530934, 0.443506852043971, \
    1.149604398860241
#: CDF 9/7: ``d += α(s[k] + s[k+1])``, ``s += β(d[k−1] + d[k])``, ``d += γ(…)``, ``s += δ(…)``, ``s·ζ``,
#: ``d/ζ``: PyWavelets' ``bior4.4`` analysis filters (its details have the opposite sign).
CDF97 = LiftingWavelet("cdf97", (LiftingStep("predict", (-ALPHA, -ALPHA)), LiftingStep("update", (BETA, BETA)),
                                 LiftingStep("predict", (-GAMMA, -GAMMA)), LiftingStep("update", (DELTA, DELTA))), ZETA)
WAVELETS = {"haar": HAAR, "cdf53": CDF53, "cdf97": CDF97}


def get_wavelet(wavelet) -> LiftingWavelet:
    """A :class:`LiftingWavelet` from itself or its name.

    Parameters
    ----------
    wavelet : str or LiftingWavelet
        ``"haar"``, ``"cdf53"``, ``"cdf97"`` or a :class:`LiftingWavelet` (returned as is).

    Returns
    -------
    LiftingWavelet
    """
    return wavelet if isinstance(wavelet, LiftingWavelet) else WAVELETS[check_choice("wavelet", wavelet, (*WAVELETS,))]


def max_levels(n: int) -> int:
    """Largest number of levels for a length ``n``: halve (``ceil``) while the length is >= 2.

    Parameters
    ----------
    n : int
        Signal length along one axis.

    Returns
    -------
    int
        ``ceil(log2 n)`` (0 for ``n <= 1``).
    """
    return max(int(n) - 1, 0).bit_length()


def _prepare(x, wavelet, levels, boundary, axes, name="x"):
    """Check the arguments; return ``(array, wavelet, levels, axes)``."""
    x, axes = np.asarray(x), tuple(axes)
    if not axes or len({a % max(x.ndim, 1) for a in axes}) != len(axes) or not all(-x.ndim <= a < x.ndim for a in axes):
        raise ValueError(f"axes={axes!r} is not allowed for {name} of shape {x.shape}: expected distinct valid axes")
    axes = tuple(a % x.ndim for a in axes)
    if wavelet is None and x.dtype.kind not in "iu":  # the integer 5/3
        raise TypeError(f"{name} has dtype {x.dtype}: expected an integer array")
    wavelet = get_wavelet(wavelet) if wavelet is not None else None
    check_choice("boundary", boundary, BOUNDARIES)
    levels = check_int("levels", levels, low=1)
    for axis in axes:
        if levels > max_levels(x.shape[axis]):
            raise ValueError(f"levels={levels!r} is not allowed for length {x.shape[axis]} of {name} (axis {axis}): "
                             f"expected levels <= {max_levels(x.shape[axis])}")
    return x, wavelet, levels, axes


# The engine: each band in its own C-contiguous array, seen along the lifting axis as (outer, m, inner)
# planes and shifted by `inner` elements of its flat view, so a step is a few 1-D ufunc calls (numpy's
# per-row overhead on strided 2-D slices costs more than the arithmetic). Details are padded to
# m = ceil(n/2) planes (scratch for odd n); the end planes the flat shift gets wrong are rewritten.


def _comb(out, a, u1, b, u2):
    """``out = a u1 + b u2`` with as few passes as the taps allow."""
    if a == b:
        np.add(u1, u2, out=out)
        if a != 1:
            out *= a
    elif a == 0 or b == 0:
        np.multiply(u2 if a == 0 else u1, a or b, out=out)
    else:
        np.multiply(u1, a, out=out)
        out += b * u2


def _ends(nu, periodic):
    """Indices standing for ``u[−1]`` and ``u[nu]``."""
    return (nu - 1, 0) if periodic else (0, nu - 1)


def _op(u, taps, forward, periodic, nu, out):
    """``out[k] = a u[k] + b u[k+1]`` (forward) or ``a u[k−1] + b u[k]``; ``u`` has ``nu`` real planes."""
    (a, b), m, i = taps, out.shape[1], out.shape[2]
    lo, hi = _ends(nu, periodic)
    uf, of, n = u.reshape(-1), out.reshape(-1), u.size - out.shape[2]
    if forward:
        _comb(of[:n], a, uf[:n], b, uf[i:])
        out[:, m - 1] = a * u[:, m - 1] + b * u[:, hi]
    else:
        _comb(of[i:], a, uf[:n], b, uf[i:])
        out[:, 0] = a * u[:, lo] + b * u[:, 0]
        if m > nu:
            out[:, nu] = a * u[:, nu - 1] + b * u[:, hi]
    return out


def _op_t(v, taps, forward, periodic, nd, out):
    """Transpose of :func:`_op` (forward: details with ``nd`` real planes to the coarse band)."""
    (a, b), m, i = taps, out.shape[1], out.shape[2]
    vf, of, n = v.reshape(-1), out.reshape(-1), v.size - out.shape[2]
    if forward:
        _comb(of[i:], a, vf[i:], b, vf[:n])
        out[:, 0] = a * v[:, 0]
        if nd == m:
            out[:, _ends(m, periodic)[1]] += b * v[:, m - 1]
    else:
        lo, hi = _ends(nd, periodic)
        _comb(of[:n], a, vf[i:], b, vf[:n])
        out[:, m - 1] = b * v[:, m - 1]
        out[:, lo] += a * v[:, 0]
        if m > nd:
            out[:, hi] += b * v[:, nd]
            out[:, nd:] = 0
    return out


def _lift(step, s, d, nd, buf, *, sign, transpose, periodic):
    """One step (or its transpose) on ``(outer, m, inner)`` bands in place, added (``sign`` +1) or undone (−1)."""
    predict, m = step.kind == "predict", s.shape[1]
    to_coarse = predict == transpose  # which band the step changes
    if step.taps is None:  # a callable: ceil(n/2) samples in, as many out
        func = step.transpose if transpose else step.func
        odd, hi = nd < m, _ends(nd, periodic)[1]
        if odd and not transpose and not predict:
            d[:, nd] = d[:, hi]  # extend the details by the boundary rule
        src = d if to_coarse else s
        r = np.moveaxis(np.asarray(func(np.moveaxis(src, 1, -1))), -1, 1)
        if r.shape != buf.shape:
            raise ValueError(f"a lifting callable returned shape {np.moveaxis(r, 1, -1).shape}: "
                             f"expected {np.moveaxis(buf, 1, -1).shape}")
        buf[...] = r
        if odd and transpose and not predict:  # transpose of the extension: fold the extra sample back
            buf[:, hi] += buf[:, nd]
            buf[:, nd] = 0
    elif transpose:
        _op_t(d if predict else s, step.taps, predict, periodic, nd, buf)
    else:
        _op(s if predict else d, step.taps, predict, periodic, m if predict else nd, buf)
    target = s if to_coarse else d
    (np.add if (-1 if predict else 1) * sign > 0 else np.subtract)(target, buf, out=target)


def _scaled_copy(src, factor, dst):
    """``dst[...] = factor · src`` (a plain copy when ``factor`` is 1, e.g. for integers)."""
    np.multiply(src, factor, out=dst) if factor != 1 else np.copyto(dst, src, casting="unsafe")
    return dst


def _planes(a, axis):
    return a.reshape(math.prod(a.shape[:axis]), a.shape[axis], math.prod(a.shape[axis + 1:]))


def _split(p, axis, dtype, lift, fold):
    """Deinterleave ``p`` (any strides) along ``axis`` into new contiguous ``s``, ``d`` (padded), then lift."""
    n, m = p.shape[axis], (p.shape[axis] + 1) // 2
    shape = p.shape[:axis] + (m,) + p.shape[axis + 1:]
    s, d, buf = np.empty(shape, dtype), np.empty(shape, dtype), np.empty(shape, dtype)
    p0, s0, d0 = np.moveaxis(p, axis, 0), np.moveaxis(s, axis, 0), np.moveaxis(d, axis, 0)
    for band, part in ((s0, p0[0::2]), (d0[:n - m], p0[1::2])):
        _scaled_copy(part, fold, band)
    d0[n - m:] = 0
    lift(_planes(s, axis), _planes(d, axis), n - m, _planes(buf, axis))
    return s, d


def _merge(s, d, axis, n, lift, fold):
    """Undo :func:`_split`: lift back in place, interleave (times ``fold``) into a new array."""
    lift(_planes(s, axis), _planes(d, axis), n - s.shape[axis], _planes(np.empty_like(s), axis))
    out = np.empty(s.shape[:axis] + (n,) + s.shape[axis + 1:], s.dtype)
    o0, s0, d0 = np.moveaxis(out, axis, 0), np.moveaxis(s, axis, 0), np.moveaxis(d, axis, 0)
    for part, band in ((o0[0::2], s0), (o0[1::2], d0[:n // 2])):
        _scaled_copy(band, fold, part)
    return out


def _lengths(shape, axes, levels):
    """Lengths along ``axes`` of the region transformed at each level (level 1 first)."""
    return [tuple(-(-shape[a] // 2 ** j) for a in axes) for j in range(levels)]


def _band(ndim, axes, lengths, pattern, padded=False):
    """Slices of a band (``pattern``: 0 coarse / 1 detail per axis) in the layout, or within its padded piece."""
    idx = [slice(None)] * ndim
    for axis, n, bit in zip(axes, lengths, pattern):
        m = (n + 1) // 2
        idx[axis] = slice(0, n - m) if (bit and padded) else (slice(m, n) if bit else slice(0, m))
    return tuple(idx)


def _lifter(steps, sign, transpose, periodic):
    def lift(s, d, nd, buf):
        for step in steps:
            _lift(step, s, d, nd, buf, sign=sign, transpose=transpose, periodic=periodic)
    return lift


def _forward(x, wavelet, levels, boundary, axes, lift=None, dtype=None, power=1):
    """Analysis (bands scaled by ``ζ^(power·(#coarse − #detail axes))``); ``power=-1``: transposed synthesis."""
    x = np.asarray(x)
    dtype = dtype if dtype is not None else (x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float64))
    lift = lift or _lifter(wavelet.steps, power, power < 0, boundary == "periodic")
    out, k, zeta = np.empty(x.shape, dtype), len(axes), getattr(wavelet, "scale", 1.0)
    src, fold = x, 1.0
    for lengths in _lengths(x.shape, axes, levels):
        pieces = {(): src}
        for i, axis in enumerate(axes):
            pieces = {pat + (bit,): half for pat, p in pieces.items()
                      for bit, half in enumerate(_split(p, axis, dtype, lift, fold if i == 0 else 1.0))}
        for pat, piece in pieces.items():
            if any(pat):
                f = zeta ** (power * (k - 2 * sum(pat)))
                band, crop = out[_band(x.ndim, axes, lengths, pat)], piece[_band(x.ndim, axes, lengths, pat, True)]
                _scaled_copy(crop, f, band)
        src, fold = pieces[(0,) * k], zeta ** (power * k)
    _scaled_copy(src, fold, out[tuple(slice(0, m) for m in src.shape)])
    return out


def _backward(c, wavelet, levels, boundary, axes, transpose, lift=None, dtype=None):
    """Synthesis (``transpose=False``) or the transposed analysis, level ``levels`` first."""
    c = np.asarray(c)
    dtype = dtype if dtype is not None else (c.dtype if c.dtype in (np.float32, np.float64) else np.dtype(np.float64))
    steps = getattr(wavelet, "steps", ())[::-1]
    lift = lift or _lifter(steps, 1 if transpose else -1, transpose, boundary == "periodic")
    k, zeta, power = len(axes), getattr(wavelet, "scale", 1.0), 1 if transpose else -1
    spans = _lengths(c.shape, axes, levels)
    coarse = tuple(slice(0, (spans[-1][axes.index(a)] + 1) // 2) if a in axes else slice(None) for a in range(c.ndim))
    pending = _scaled_copy(c[coarse], zeta ** (power * k), np.empty(c[coarse].shape, dtype))
    for j in reversed(range(levels)):
        lengths, pieces = spans[j], {}
        for pat in itertools.product((0, 1), repeat=k):
            piece = pending if not any(pat) else np.zeros(pending.shape, dtype)  # zeros: the padding
            if any(pat):
                _scaled_copy(c[_band(c.ndim, axes, lengths, pat)], zeta ** (power * (k - 2 * sum(pat))),
                             piece[_band(c.ndim, axes, lengths, pat, True)])
            pieces[pat] = piece
        for i in reversed(range(k)):
            fold = zeta ** (power * k) if (j and i == 0) else 1.0
            pieces = {pat: _merge(pieces[pat + (0,)], pieces[pat + (1,)], axes[i], lengths[i], lift, fold)
                      for pat in itertools.product((0, 1), repeat=i)}
        pending = pieces[()]
    return pending


def dwt(x, wavelet="cdf97", *, levels: int = 1, axis: int = -1, boundary: str = "periodic") -> np.ndarray:
    """Multi-level 1-D analysis of ``x`` along ``axis``.

    Parameters
    ----------
    x : ndarray
        Signal(s), shape ``(..., n, ...)`` with ``n >= 2`` along ``axis``.
    wavelet : str or LiftingWavelet, optional
        ``"haar"``, ``"cdf53"``, ``"cdf97"`` (default) or a :class:`LiftingWavelet`.
    levels : int, optional
        Iterations on the coarse band, ``1 <= levels <= max_levels(n)`` (default 1).
    axis : int, optional
        The axis transformed (default the last).
    boundary : {"periodic", "symmetric"}, optional
        How the bands extend past their ends (default ``"periodic"``).

    Returns
    -------
    ndarray
        Shaped like ``x``: ``[s_L | d_L | … | d_1]`` along ``axis`` (float32 stays float32,
        anything else becomes float64).

    Examples
    --------
    >>> x = np.arange(7.0)
    >>> bool(np.allclose(idwt(dwt(x, "cdf53", levels=2), "cdf53", levels=2), x))
    True
    """
    x, wavelet, levels, axes = _prepare(x, wavelet, levels, boundary, (axis,))
    return _forward(x, wavelet, levels, boundary, axes)


def idwt(c, wavelet="cdf97", *, levels: int = 1, axis: int = -1, boundary: str = "periodic") -> np.ndarray:
    """Synthesis: the exact inverse of :func:`dwt`.

    Parameters
    ----------
    c : ndarray
        Coefficients in :func:`dwt`'s layout.
    wavelet, levels, axis, boundary
        As given to :func:`dwt`.

    Returns
    -------
    ndarray
        The signal, shaped like ``c``.
    """
    c, wavelet, levels, axes = _prepare(c, wavelet, levels, boundary, (axis,), "c")
    return _backward(c, wavelet, levels, boundary, axes, False)


def dwt2(x, wavelet="cdf97", *, levels: int = 1, axes=(-2, -1), boundary: str = "periodic") -> np.ndarray:
    """Separable multi-level 2-D analysis of ``x``; each level lifts along ``axes[0]`` then ``axes[1]``.

    Parameters
    ----------
    x : ndarray
        Image(s), shape ``(..., n0, n1)`` along ``axes`` (other axes: a batch).
    wavelet : str or LiftingWavelet, optional
        As in :func:`dwt` (default ``"cdf97"``).
    levels : int, optional
        ``1 <= levels <= max_levels(min(n0, n1))`` (default 1).
    axes : pair of int, optional
        The two axes transformed (default the last two).
    boundary : {"periodic", "symmetric"}, optional
        As in :func:`dwt`.

    Returns
    -------
    ndarray
        Shaped like ``x``, in the Mallat layout (the coarsest band top-left; :func:`subbands` lists them).
    """
    x, wavelet, levels, axes = _prepare(x, wavelet, levels, boundary, axes)
    return _forward(x, wavelet, levels, boundary, axes)


def idwt2(c, wavelet="cdf97", *, levels: int = 1, axes=(-2, -1), boundary: str = "periodic") -> np.ndarray:
    """Synthesis: the exact inverse of :func:`dwt2`.

    Parameters
    ----------
    c : ndarray
        Coefficients in :func:`dwt2`'s Mallat layout.
    wavelet, levels, axes, boundary
        As given to :func:`dwt2`.

    Returns
    -------
    ndarray
        The image(s), shaped like ``c``.
    """
    c, wavelet, levels, axes = _prepare(c, wavelet, levels, boundary, axes, "c")
    return _backward(c, wavelet, levels, boundary, axes, False)


def _int_lifter(inverse, periodic):
    """The rounded 5/3 steps ``d −= ⌊(s[k] + s[k+1])/2⌋``, ``s += ⌊(d[k−1] + d[k] + 2)/4⌋`` (or undo)."""
    def lift(s, d, nd, buf):
        if inverse:
            s -= (_op(d, (1, 1), False, periodic, nd, buf) + 2) >> 2
            d += _op(s, (1, 1), True, periodic, s.shape[1], buf) >> 1
        else:
            d -= _op(s, (1, 1), True, periodic, s.shape[1], buf) >> 1
            s += (_op(d, (1, 1), False, periodic, nd, buf) + 2) >> 2
    return lift


def dwt53_int(x, *, levels: int = 1, axes=(-2, -1), boundary: str = "periodic") -> np.ndarray:
    """Integer-to-integer 5/3, the JPEG 2000 reversible transform, of an integer array.

    ``d = x_o − ⌊(x_e[k] + x_e[k+1]) / 2⌋``, ``s = x_e + ⌊(d[k−1] + d[k] + 2) / 4⌋``, no scaling.

    Parameters
    ----------
    x : ndarray of integers
        The signal or image.
    levels : int, optional
        As in :func:`dwt2` (default 1).
    axes : tuple of int, optional
        One or two axes (default the last two).
    boundary : {"periodic", "symmetric"}, optional
        JPEG 2000 uses ``"symmetric"`` (default ``"periodic"``).

    Returns
    -------
    ndarray
        int32 (int64 for 32/64-bit input), in the Mallat layout; :func:`idwt53_int` undoes it exactly.
    """
    x, _, levels, axes = _prepare(x, None, levels, boundary, axes)
    work = np.int32 if x.dtype.itemsize <= 2 else np.int64
    return _forward(x, None, levels, boundary, axes, _int_lifter(False, boundary == "periodic"), np.dtype(work))


def idwt53_int(c, *, levels: int = 1, axes=(-2, -1), boundary: str = "periodic") -> np.ndarray:
    """Exact inverse of :func:`dwt53_int`.

    Parameters
    ----------
    c : ndarray of integers
        Coefficients from :func:`dwt53_int`.
    levels, axes, boundary
        As given to :func:`dwt53_int`.

    Returns
    -------
    ndarray
        The integers (int32 for int32 coefficients: cast back to uint8 yourself).
    """
    c, _, levels, axes = _prepare(c, None, levels, boundary, axes, "c")
    work = np.promote_types(c.dtype, np.int32) if c.dtype != np.uint64 else np.dtype(np.int64)
    return _backward(c, None, levels, boundary, axes, False, _int_lifter(True, boundary == "periodic"), work)


class SubBand(NamedTuple):
    """A sub-band of the 2-D Mallat layout: ``coefs[slices]`` (``slices`` covers the last two axes)."""

    level: int
    orientation: str
    slices: tuple


def subbands(shape, levels: int) -> list[SubBand]:
    """The sub-bands of a :func:`dwt2` output: finest first, then the coarse band.

    Letters: the filter along axis 1 (horizontal), then along axis 0. ``"LH"``: bottom-left block,
    horizontal edges (PyWavelets' ``cH``); ``"HL"``: top-right (``cV``); ``"HH"``: bottom-right (``cD``).

    Parameters
    ----------
    shape : tuple of int
        The coefficients' shape ``(..., n0, n1)``.
    levels : int
        The levels of the transform, ``<= max_levels(min(n0, n1))``.

    Returns
    -------
    list of SubBand
        ``(level, orientation, slices)``, level 1's ``LH``, ``HL``, ``HH`` first, ``(levels, "LL", …)`` last.
    """
    n0, n1 = shape[-2:]
    levels = check_int("levels", levels, low=1, high=max_levels(min(n0, n1)))
    out = []
    for j, (r, c) in enumerate(_lengths((n0, n1), (0, 1), levels), start=1):
        rc, cc = (r + 1) // 2, (c + 1) // 2
        out += [SubBand(j, "LH", (Ellipsis, slice(rc, r), slice(0, cc))),
                SubBand(j, "HL", (Ellipsis, slice(0, rc), slice(cc, c))),
                SubBand(j, "HH", (Ellipsis, slice(rc, r), slice(cc, c)))]
    out.append(SubBand(levels, "LL", (Ellipsis, slice(0, rc), slice(0, cc))))
    return out


@functools.lru_cache(maxsize=32)
def _norm_sq(shape, wavelet, levels, boundary):
    """Largest eigenvalue of ``WᵀW`` by Lanczos (scipy's ``eigsh``, fixed start, tolerance 1e-3)."""
    from scipy.sparse.linalg import LinearOperator as ScipyOperator, eigsh

    def gram(v):
        coefs = _forward(v.reshape(shape), wavelet, levels, boundary, (0, 1))
        return _backward(coefs, wavelet, levels, boundary, (0, 1), True).ravel()

    size = shape[0] * shape[1]
    if size <= 16:
        return float(np.linalg.eigvalsh(np.stack([gram(e) for e in np.eye(size)]))[-1])
    op, v0 = ScipyOperator((size, size), matvec=gram, dtype=np.float64), np.random.default_rng(0).standard_normal(size)
    return float(eigsh(op, k=1, which="LA", v0=v0, tol=1e-3, return_eigenvectors=False)[0])


class WaveletTransform(LinearOperator):
    """The 2-D lifting wavelet analysis ``W`` as an operator, images ``shape`` → coefficients ``shape``.

    ``shape``: ``(n0, n1)`` or ``(C, n0, n1)``; ``wavelet``, ``levels``, ``boundary`` as in
    :func:`dwt2`. ``adjoint`` is the exact transpose (each lifting step transposed, in reverse
    order): for the biorthogonal 5/3 and 9/7 it is not ``inverse`` (the synthesis); for Haar on
    lengths divisible by ``2^levels`` both agree (orthonormal). Float32 input stays float32.
    """

    def __init__(self, shape, wavelet="cdf97", *, levels: int = 4, boundary: str = "periodic"):
        shape = tuple(shape)
        if len(shape) not in (2, 3):
            raise ValueError(f"shape={shape!r} is not allowed: expected (n0, n1) or (C, n0, n1)")
        self.shape = tuple(check_int(f"shape[{i}]", v, low=1) for i, v in enumerate(shape))
        self._axes = (len(shape) - 2, len(shape) - 1)
        _, self.wavelet, self.levels, _ = _prepare(np.empty(self.shape, np.uint8), wavelet, levels, boundary,
                                                   self._axes, "an image")
        self.boundary = boundary

    def _linear(self):
        if not self.wavelet.linear:
            raise ValueError(f"wavelet={self.wavelet.name!r} has a step without transpose: no adjoint, no ‖W‖")

    def _run(self, a, name, transpose=None, power=1):
        args = (check_array(name, a, shape=self.shape, finite=False), self.wavelet, self.levels, self.boundary,
                self._axes)
        return _forward(*args, power=power) if transpose is None else _backward(*args, transpose)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``W x``.

        Parameters
        ----------
        x : ndarray, shape ``shape``

        Returns
        -------
        ndarray, shape ``shape``
        """
        return self._run(x, "x")

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        """``Wᵀ y`` (the exact transpose; a :class:`LiftingStep` callable needs its ``transpose``).

        Parameters
        ----------
        y : ndarray, shape ``shape``

        Returns
        -------
        ndarray, shape ``shape``
        """
        self._linear()
        return self._run(y, "y", True)

    def inverse(self, y: np.ndarray) -> np.ndarray:
        """``W⁻¹ y``: the synthesis (perfect reconstruction).

        Parameters
        ----------
        y : ndarray, shape ``shape``

        Returns
        -------
        ndarray, shape ``shape``
        """
        return self._run(y, "y", False)

    def inverse_adjoint(self, x: np.ndarray) -> np.ndarray:
        """``W⁻ᵀ x``, the transposed synthesis (the adjoint of a synthesis-form operator ``α ↦ W⁻¹ α``).

        Parameters
        ----------
        x : ndarray, shape ``shape``

        Returns
        -------
        ndarray, shape ``shape``
        """
        self._linear()
        return self._run(x, "x", power=-1)

    def subbands(self) -> list[SubBand]:
        """The bands of this transform's output (see :func:`subbands`).

        Returns
        -------
        list of SubBand
            ``(level, orientation, slices)`` of every detail band, finest first, then the coarse band.
        """
        return subbands(self.shape, self.levels)

    def lipschitz_constant(self) -> float:
        """``‖W‖²`` + 1 %: the top eigenvalue of ``WᵀW`` by Lanczos, once per (shape, wavelet, levels, boundary).

        About 1.5 s for the 9/7 at 512² (cached). Ritz values approach it from below (1e-4 relative
        here): with the 1 % margin an upper bound in practice, not a proof. Haar on lengths
        divisible by ``2^levels``: exactly 1. The biorthogonal wavelets are far from tight in this
        (PyWavelets') normalization: one 1-D 9/7 level has ``‖T‖² = 1.32``; at 512², periodic,
        4 levels, ``‖W‖²`` is 1.85 for the 9/7 and 13.2 for the 5/3.

        Returns
        -------
        float
        """
        self._linear()
        if self.wavelet is HAAR and all(n % 2 ** self.levels == 0 for n in self.shape[-2:]):
            return 1.0
        return _norm_sq(self.shape[-2:], self.wavelet, self.levels, self.boundary) * 1.01

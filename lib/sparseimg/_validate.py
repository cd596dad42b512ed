"""Argument checks shared by the public functions.

Every check raises ``ValueError`` (or ``TypeError``) with one line that names the
parameter, the value received and what is allowed, so that bad input fails before
any heavy computation.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = [
    "check_real",
    "check_int",
    "check_choice",
    "check_array",
    "check_shape2d",
    "check_dtype",
    "check_missing",
]

_FLOAT_DTYPES = {np.dtype(np.float32), np.dtype(np.float64)}


def check_real(name: str, value: Any, *, low: float | None = None, high: float | None = None,
               low_open: bool = False, high_open: bool = False) -> float:
    """Return ``value`` as a float after checking type, finiteness and range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}={value!r} is not allowed: expected a real number")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name}={value!r} is not allowed: expected a finite number")
    if low is not None and (v < low or (low_open and v == low)):
        raise ValueError(f"{name}={value!r} is not allowed: expected {name} {'>' if low_open else '>='} {low}")
    if high is not None and (v > high or (high_open and v == high)):
        raise ValueError(f"{name}={value!r} is not allowed: expected {name} {'<' if high_open else '<='} {high}")
    return v


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int after checking type and range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}={value!r} is not allowed: expected an integer")
    v = int(value)
    if low is not None and v < low:
        raise ValueError(f"{name}={value!r} is not allowed: expected {name} >= {low}")
    if high is not None and v > high:
        raise ValueError(f"{name}={value!r} is not allowed: expected {name} <= {high}")
    return v


def check_choice(name: str, value: Any, choices) -> Any:
    """Return ``value`` if it is one of ``choices``."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name}={value!r} is not allowed: expected one of {allowed}")
    return value


def check_dtype(name: str, dtype: Any) -> np.dtype:
    """Return a float32/float64 dtype or raise."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:  # not a dtype at all
        raise TypeError(f"{name}={dtype!r} is not allowed: expected float32 or float64") from exc
    if dt not in _FLOAT_DTYPES:
        raise ValueError(f"{name}={dtype!r} is not allowed: expected float32 or float64")
    return dt


def check_shape2d(name: str, shape: Any, *, minimum: int = 1) -> tuple[int, int]:
    """Return a 2-tuple of positive ints."""
    try:
        n0, n1 = shape
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}={shape!r} is not allowed: expected two integers (rows, columns)") from exc
    return (check_int(f"{name}[0]", n0, low=minimum), check_int(f"{name}[1]", n1, low=minimum))


def check_array(name: str, value: Any, *, ndim: int | None = None, shape: tuple | None = None,
                finite: bool = True, dtype=None) -> np.ndarray:
    """Return ``value`` as an ndarray after checking its dimensions, shape and values."""
    arr = np.asarray(value) if dtype is None else np.asarray(value, dtype=dtype)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} has shape {arr.shape}: expected a {ndim}-D array")
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} has shape {arr.shape}: expected shape {tuple(shape)}")
    if finite and arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values: expected finite values")
    return arr


def check_missing(missing, shape2d=None) -> np.ndarray:
    """``missing`` checked: a 2-D boolean mask (True = missing), of ``shape2d`` if given, not all True."""
    arr = np.asarray(missing)
    if arr.dtype != bool:
        raise TypeError(f"missing has dtype {arr.dtype}: expected a boolean mask (True = missing pixel)")
    if arr.ndim != 2:
        raise ValueError(f"missing has shape {arr.shape}: expected a 2-D mask (rows, columns)")
    if shape2d is not None and arr.shape != tuple(shape2d):
        raise ValueError(f"missing has shape {arr.shape}: expected the image's shape {tuple(shape2d)}")
    if arr.all():
        raise ValueError("missing marks every pixel as missing: expected at least one observed pixel")
    return arr

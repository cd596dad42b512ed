"""Single-threaded reductions.

``np.vdot``/``np.dot``/``np.linalg.norm`` call BLAS, whose threads spin and collide
with the rest of the work on small shared machines (measured here: a 33k-element
complex ``vdot`` took 12 ms multi-threaded on a loaded 2-core machine against
0.05 ms single-threaded). ``einsum``'s own sum-of-products loops are SIMD,
single-threaded and exact enough for objectives and stopping tests.
"""

from __future__ import annotations

import numpy as np

__all__ = ["inner", "sq_norm", "norm"]


def _flat_real(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    return a.view(a.real.dtype).ravel() if np.iscomplexobj(a) else a.ravel()


def inner(a: np.ndarray, b: np.ndarray) -> float:
    """Real inner product ``Σ a·b`` of two real arrays of the same shape."""
    return float(np.einsum("i,i->", np.ascontiguousarray(a).ravel(), np.ascontiguousarray(b).ravel()))


def sq_norm(a: np.ndarray) -> float:
    """``‖a‖²`` (``Σ |a|²`` for complex arrays)."""
    flat = _flat_real(a)
    return float(np.einsum("i,i->", flat, flat))


def norm(a: np.ndarray) -> float:
    """``‖a‖₂`` of the flattened array."""
    return float(np.sqrt(sq_norm(a)))

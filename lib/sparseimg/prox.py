"""Proximal operators and the penalty terms that use them.

A penalty ``g`` is an object with ``value(x)`` and ``prox(x, step)`` where
``prox(x, step) = argmin_z ½‖z − x‖² + step · g(z)``. Penalties are immutable
(frozen dataclasses); none keeps state between calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import check_real

__all__ = [
    "soft_threshold",
    "hard_threshold",
    "Zero",
    "L1Norm",
    "L0Norm",
    "Box",
    "PENALTIES",
]


def soft_threshold(x: np.ndarray, tau: float | np.ndarray) -> np.ndarray:
    """Soft thresholding ``sign(x) · max(|x| − τ, 0)``, the prox of ``τ‖·‖₁``.

    Computed as ``x − clip(x, −τ, τ)``: two passes over memory, no sign array.
    ``tau`` may be a scalar or an array broadcastable to ``x`` (weighted ℓ1).
    """
    out = np.clip(x, -tau, tau)
    return np.subtract(x, out, out=out)


def hard_threshold(x: np.ndarray, tau: float | np.ndarray) -> np.ndarray:
    """Hard thresholding: keep entries with ``|x| > τ``, zero the rest."""
    return np.where(np.abs(x) > tau, x, 0)


@dataclass(frozen=True)
class Zero:
    """``g = 0``: the prox is the identity (gives plain gradient descent)."""

    def value(self, x: np.ndarray) -> float:
        return 0.0

    def prox(self, x: np.ndarray, step: float) -> np.ndarray:
        return x


@dataclass(frozen=True)
class L1Norm:
    """``g(x) = λ ‖x‖₁`` (``lam`` may be an array of per-entry weights)."""

    lam: float

    def __post_init__(self):
        if np.ndim(self.lam) == 0:
            check_real("lam", self.lam, low=0.0)
        elif np.any(np.asarray(self.lam) < 0):
            raise ValueError("lam has negative entries: expected non-negative weights")

    def value(self, x: np.ndarray) -> float:
        if np.ndim(self.lam) == 0:
            return float(self.lam) * float(np.abs(x).sum())
        return float((np.asarray(self.lam) * np.abs(x)).sum())

    def prox(self, x: np.ndarray, step: float) -> np.ndarray:
        return soft_threshold(x, self.lam * step)


@dataclass(frozen=True)
class L0Norm:
    """``g(x) = λ ‖x‖₀``; its prox is hard thresholding at ``sqrt(2 λ step)``."""

    lam: float

    def __post_init__(self):
        check_real("lam", self.lam, low=0.0)

    def value(self, x: np.ndarray) -> float:
        return float(self.lam) * float(np.count_nonzero(x))

    def prox(self, x: np.ndarray, step: float) -> np.ndarray:
        return hard_threshold(x, np.sqrt(2.0 * self.lam * step))


@dataclass(frozen=True)
class Box:
    """Indicator of ``low <= x <= high``; its prox is the projection (clipping)."""

    low: float = -np.inf
    high: float = np.inf

    def __post_init__(self):
        if not self.low <= self.high:
            raise ValueError(f"low={self.low!r}, high={self.high!r} are not allowed: expected low <= high")

    def value(self, x: np.ndarray) -> float:
        return 0.0 if np.all((x >= self.low) & (x <= self.high)) else np.inf

    def prox(self, x: np.ndarray, step: float) -> np.ndarray:
        return np.clip(x, self.low, self.high)


#: Penalties by name, for parameter files (``penalty: l1``).
PENALTIES = {"none": lambda lam: Zero(), "l1": L1Norm, "l0": L0Norm}

"""Proximal operators and the penalty terms that use them.

A penalty ``g`` is an object with ``value(x)`` and ``prox(x, step)`` where
``prox(x, step) = argmin_z ½‖z − x‖² + step · g(z)``. Penalties are immutable
(frozen dataclasses); none keeps state between calls. The total-variation penalty,
whose prox is itself an iterative solve, lives in :mod:`sparseimg.optim.tv`; any denoiser
becomes a prox-only "penalty" through :class:`sparseimg.restoration.denoisers.DenoiserProx`.
"""

from __future__ import annotations

from dataclasses import dataclass

import autograd.numpy as anp
import numpy as np

from sparseimg.contracts import PenaltyBase
from sparseimg._validate import check_real

__all__ = [
    "soft_threshold",
    "soft_threshold_differentiable",
    "soft_threshold_signed",
    "hard_threshold",
    "Zero",
    "L1Norm",
    "L0Norm",
    "Box",
    "NuclearNorm",
]


def soft_threshold(x: np.ndarray, tau: float | np.ndarray) -> np.ndarray:
    """Soft thresholding ``sign(x) · max(|x| − τ, 0)``, the prox of ``τ‖·‖₁``.

    Computed as ``x − clip(x, −τ, τ)``: two passes over memory, no sign array.

    Parameters
    ----------
    x : ndarray
        Real array of any shape.
    tau : float or ndarray
        The threshold, non-negative (not checked): a scalar, or an array broadcastable
        to ``x`` (weighted ℓ1).

    Returns
    -------
    ndarray
        A new array of ``x``'s shape (broadcast with ``tau``); ``x`` is not modified.
    """
    out = np.clip(x, -tau, tau)
    return np.subtract(x, out, out=out)


def soft_threshold_differentiable(x, tau):
    """:func:`soft_threshold` for autograd: ``max(x − τ, 0) − max(−x − τ, 0)`` (no in-place write, no clip).

    Equal to :func:`soft_threshold` in every bit but the sign of zeros; use it where a learned
    network differentiates through the threshold.

    Parameters
    ----------
    x : ndarray or autograd ArrayBox
        Real array of any shape.
    tau : float or ndarray or autograd ArrayBox
        The threshold; may be a traced parameter and broadcasts against ``x``.

    Returns
    -------
    ndarray or autograd ArrayBox
        ``x``'s shape (broadcast with ``tau``).
    """
    return anp.maximum(x - tau, 0.0) - anp.maximum(-x - tau, 0.0)


def soft_threshold_signed(v, theta):
    """``sign(v) · max(|v| − θ, 0)`` for a threshold θ of *any sign*: the shrinkage of the learned networks.

    A learned threshold may cross zero during training; then this is no longer the prox of ``θ‖·‖₁`` and
    differs from :func:`soft_threshold` (a negative θ *expands* every entry by ``|θ|``, where the clip form
    would return ``2v`` inside ``|v| < |θ|``). For θ ≥ 0 the two agree but for the sign of zeros. Written with
    autograd's numpy, so a network can differentiate through it (LISTA's hand-written VJP differentiates it
    as the mask ``|v| > θ``); on plain arrays it computes the same operations as numpy.

    Parameters
    ----------
    v : ndarray or autograd ArrayBox
        Real array of any shape.
    theta : float or ndarray or autograd ArrayBox
        The threshold, any sign, broadcastable against ``v``.

    Returns
    -------
    ndarray or autograd ArrayBox
        ``v``'s shape (broadcast with ``theta``).
    """
    return anp.sign(v) * anp.maximum(anp.abs(v) - theta, 0.0)


def hard_threshold(x: np.ndarray, tau: float | np.ndarray) -> np.ndarray:
    """Hard thresholding: keep entries with ``|x| > τ``, zero the rest.

    Parameters
    ----------
    x : ndarray
        Real array of any shape.
    tau : float or ndarray
        The threshold: a scalar or an array broadcastable to ``x``. Entries with
        ``|x| == τ`` are zeroed.

    Returns
    -------
    ndarray
        A new array of ``x``'s shape (broadcast with ``tau``), ``x``'s entries or 0.
    """
    return np.where(np.abs(x) > tau, x, 0)


@dataclass(frozen=True)
class Zero(PenaltyBase):
    """``g = 0``: the prox is the identity (gives plain gradient descent)."""

    def value(self, x: np.ndarray) -> float:
        """The penalty's value: 0.

        Parameters
        ----------
        x : ndarray

        Returns
        -------
        float
        """
        return 0.0

    def prox(self, x: np.ndarray, step: float) -> np.ndarray:
        """``argmin_z ½‖z − x‖² + step · g(z)``: ``x`` itself (the same array, not a copy).

        Parameters
        ----------
        x : ndarray
        step : float
            The step size (> 0) that scales the penalty.

        Returns
        -------
        ndarray
            ``x``.
        """
        return x


@dataclass(frozen=True)
class L1Norm(PenaltyBase):
    """``g(x) = λ ‖x‖₁`` (``lam`` may be an array of per-entry weights).

    Parameters
    ----------
    lam : float or ndarray
        The weight λ ≥ 0: a scalar, or an array of non-negative per-entry weights
        broadcastable to ``x``.

    Raises
    ------
    TypeError
        A scalar ``lam`` that is not a real number.
    ValueError
        A scalar ``lam`` that is negative or not finite, or an array ``lam`` with a
        negative entry.
    """

    lam: float

    def __post_init__(self):
        if np.ndim(self.lam) == 0:
            check_real("lam", self.lam, low=0.0)
        elif np.any(np.asarray(self.lam) < 0):
            raise ValueError("lam has negative entries: expected non-negative weights")

    def value(self, x: np.ndarray) -> float:
        """The penalty's value: ``λ ‖x‖₁`` (weighted when ``lam`` is an array).

        Parameters
        ----------
        x : ndarray

        Returns
        -------
        float
        """
        if np.ndim(self.lam) == 0:
            return float(self.lam) * float(np.abs(x).sum())
        return float((np.asarray(self.lam) * np.abs(x)).sum())

    def prox(self, x: np.ndarray, step: float) -> np.ndarray:
        """``argmin_z ½‖z − x‖² + step · g(z)``: soft thresholding at ``λ · step``.

        Parameters
        ----------
        x : ndarray
        step : float
            The step size (> 0) that scales the penalty.

        Returns
        -------
        ndarray
            A new array shaped like ``x``.
        """
        return soft_threshold(x, self.lam * step)

    def scalar_l1_weight(self) -> float | None:
        """The weight a fused loop's soft threshold uses.

        Returns
        -------
        float or None
            ``lam`` when it is one scalar, None for per-entry weights.
        """
        return float(self.lam) if np.ndim(self.lam) == 0 else None


@dataclass(frozen=True)
class L0Norm(PenaltyBase):
    """``g(x) = λ ‖x‖₀``; its prox is hard thresholding at ``sqrt(2 λ step)``.

    Parameters
    ----------
    lam : float
        The weight λ ≥ 0.

    Raises
    ------
    TypeError
        ``lam`` is not a real number.
    ValueError
        ``lam`` is negative or not finite.
    """

    lam: float

    def __post_init__(self):
        check_real("lam", self.lam, low=0.0)

    def value(self, x: np.ndarray) -> float:
        """The penalty's value: ``λ`` times the number of non-zero entries.

        Parameters
        ----------
        x : ndarray

        Returns
        -------
        float
        """
        return float(self.lam) * float(np.count_nonzero(x))

    def prox(self, x: np.ndarray, step: float) -> np.ndarray:
        """``argmin_z ½‖z − x‖² + step · g(z)``: hard thresholding at ``sqrt(2 λ step)``.

        Parameters
        ----------
        x : ndarray
        step : float
            The step size (> 0) that scales the penalty.

        Returns
        -------
        ndarray
            A new array shaped like ``x``.
        """
        return hard_threshold(x, np.sqrt(2.0 * self.lam * step))


@dataclass(frozen=True)
class Box(PenaltyBase):
    """Indicator of ``low <= x <= high``; its prox is the projection (clipping).

    Parameters
    ----------
    low : float, optional
        Lower bound (default ``-inf``: none).
    high : float, optional
        Upper bound (default ``inf``: none); ``low <= high``.

    Raises
    ------
    ValueError
        ``low <= high`` does not hold (including a NaN bound).
    """

    low: float = -np.inf
    high: float = np.inf

    def __post_init__(self):
        if not self.low <= self.high:
            raise ValueError(f"low={self.low!r}, high={self.high!r} are not allowed: expected low <= high")

    def value(self, x: np.ndarray) -> float:
        """The penalty's value: 0 inside the box, ``inf`` outside.

        Parameters
        ----------
        x : ndarray

        Returns
        -------
        float
        """
        return 0.0 if np.all((x >= self.low) & (x <= self.high)) else np.inf

    def prox(self, x: np.ndarray, step: float) -> np.ndarray:
        """``argmin_z ½‖z − x‖² + step · g(z)``: clipping to ``[low, high]``.

        Parameters
        ----------
        x : ndarray
        step : float
            The step size (> 0) that scales the penalty.

        Returns
        -------
        ndarray
            A new array shaped like ``x``.
        """
        return np.clip(x, self.low, self.high)


@dataclass(frozen=True)
class NuclearNorm(PenaltyBase):
    """``g(X) = λ Σ_c ‖X_c‖_*`` over the leading axis of a ``(C, n0, n1)`` stack.

    Its prox is singular value thresholding ``U max(S − τ, 0) Vᵀ`` with ``τ = λ·step``,
    computed for all channels at once as ``U diag(max(1 − τ/σ, 0)) Uᵀ X`` from the
    eigen-decomposition ``X Xᵀ = U diag(σ²) Uᵀ`` of the smaller Gram matrix (about
    twice as fast as an SVD here; only singular values above ``τ`` — well resolved by
    the Gram — survive the threshold).

    Parameters
    ----------
    lam : float
        The weight λ ≥ 0.

    Raises
    ------
    TypeError
        ``lam`` is not a real number.
    ValueError
        ``lam`` is negative or not finite.
    """

    lam: float

    def __post_init__(self):
        check_real("lam", self.lam, low=0.0)

    def value(self, x: np.ndarray) -> float:
        """The penalty's value: ``λ Σ σ_i``, the singular values from the eigenvalues of the smaller Gram matrix.

        Parameters
        ----------
        x : ndarray

        Returns
        -------
        float
        """
        xt = np.swapaxes(x, -1, -2)
        gram = np.matmul(x, xt) if x.shape[-2] <= x.shape[-1] else np.matmul(xt, x)
        return float(self.lam) * float(np.sqrt(np.maximum(np.linalg.eigvalsh(gram), 0.0)).sum())

    def prox(self, x: np.ndarray, step: float) -> np.ndarray:
        """``argmin_z ½‖z − x‖² + step · g(z)``: singular value thresholding at ``λ · step``, per channel.

        Parameters
        ----------
        x : ndarray
        step : float
            The step size (> 0) that scales the penalty.

        Returns
        -------
        ndarray
            A new array shaped like ``x``.
        """
        tau = float(self.lam) * float(step)
        wide = x.shape[-2] <= x.shape[-1]
        xt = np.swapaxes(x, -1, -2)
        gram = np.matmul(x, xt) if wide else np.matmul(xt, x)
        eigval, u = np.linalg.eigh(gram)
        sigma = np.sqrt(np.maximum(eigval, 0.0))
        shrink = np.where(sigma > tau, 1.0 - tau / np.where(sigma > 0, sigma, 1.0), 0.0)
        proj = np.matmul(u * shrink[..., None, :], np.swapaxes(u, -1, -2))
        return np.matmul(proj, x) if wide else np.matmul(x, proj)

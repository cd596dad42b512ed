"""The discrete image gradient (forward differences, Neumann boundary) and its adjoint.

::

    (∇u)[0, i, j] = u[i+1, j] − u[i, j]   (0 for i = n0 − 1)
    (∇u)[1, i, j] = u[i, j+1] − u[i, j]   (0 for j = n1 − 1)

so that ``‖∇u‖²`` is the sum of squared differences of neighbouring pixels and
``‖∇‖² <= 8``.
"""

from __future__ import annotations

import numpy as np

from sparseimg._validate import check_shape2d
from sparseimg.operators.base import LinearOperator

__all__ = ["GRADIENT_NORM_SQ_BOUND", "gradient", "gradient_adjoint", "divergence", "Gradient"]


#: Upper bound of ``‖∇‖²`` (the largest eigenvalue of the Neumann Laplacian is < 8).
GRADIENT_NORM_SQ_BOUND = 8.0


def gradient(u: np.ndarray) -> np.ndarray:
    """Forward-difference gradient with a Neumann boundary.

    Parameters
    ----------
    u : ndarray, shape (n0, n1)

    Returns
    -------
    ndarray, shape (2, n0, n1), same float dtype as ``u``
        Row differences in ``[0]`` (last row 0), column differences in ``[1]``
        (last column 0).
    """
    u = np.asarray(u)
    if u.ndim != 2:
        raise ValueError(f"u has shape {u.shape}: expected a 2-D image")
    dtype = u.dtype if u.dtype.kind == "f" else np.float64
    g = np.zeros((2,) + u.shape, dtype=dtype)
    np.subtract(u[1:, :], u[:-1, :], out=g[0, :-1, :])
    np.subtract(u[:, 1:], u[:, :-1], out=g[1, :, :-1])
    return g


def gradient_adjoint(p: np.ndarray) -> np.ndarray:
    """Adjoint ``∇ᵀp`` of :func:`gradient` (``= −div p``).

    Parameters
    ----------
    p : ndarray, shape (2, n0, n1)
        Entries ``p[0, -1, :]`` and ``p[1, :, -1]`` do not contribute (the
        gradient is 0 there).

    Returns
    -------
    ndarray, shape (n0, n1)
    """
    p = np.asarray(p)
    if p.ndim != 3 or p.shape[0] != 2:
        raise ValueError(f"p has shape {p.shape}: expected (2, rows, columns)")
    px = p[0, :-1, :]
    py = p[1, :, :-1]
    out = np.zeros(p.shape[1:], dtype=p.dtype if p.dtype.kind == "f" else np.float64)
    out[:-1, :] -= px
    out[1:, :] += px
    out[:, :-1] -= py
    out[:, 1:] += py
    return out


def divergence(p: np.ndarray) -> np.ndarray:
    """Discrete divergence ``div p = −∇ᵀp`` (shape ``(n0, n1)``)."""
    return -gradient_adjoint(p)


class Gradient(LinearOperator):
    """``∇`` as an operator: ``(n0, n1)`` images to ``(2, n0, n1)`` fields.

    Parameters
    ----------
    shape : (n0, n1)
        Image shape.
    """

    def __init__(self, shape: tuple[int, int]):
        self.shape = check_shape2d("shape", shape)

    def forward(self, x: np.ndarray) -> np.ndarray:
        return gradient(x)

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        return gradient_adjoint(y)

    def lipschitz_constant(self) -> float:
        """``‖∇‖² <= 8``."""
        return GRADIENT_NORM_SQ_BOUND

    def __repr__(self) -> str:
        return f"Gradient(shape={self.shape})"

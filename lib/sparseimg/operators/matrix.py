"""A dense matrix as an operator (the synthetic problems of section 3b's unfolded networks)."""

from __future__ import annotations

import numpy as np

from sparseimg.operators.base import LinearOperator

__all__ = ["MatrixOperator", "lipschitz_constant"]


class MatrixOperator(LinearOperator):
    """A dense matrix ``A ∈ ℝ^{m×n}`` as an operator on ``(n,)`` vectors or ``(n, B)`` column stacks.

    ``lipschitz_constant()`` is ``‖A‖₂²`` (largest singular value squared, by an SVD computed once).
    """

    def __init__(self, matrix: np.ndarray):
        matrix = np.asarray(matrix)
        if matrix.ndim != 2 or matrix.dtype.kind != "f":
            raise ValueError(f"matrix has shape {matrix.shape} and dtype {matrix.dtype}: expected a 2-D float array")
        self.matrix = matrix
        self.dtype = matrix.dtype
        self._norm_sq = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self.matrix @ x

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        return self.matrix.T @ y

    def lipschitz_constant(self) -> float:
        if self._norm_sq is None:
            self._norm_sq = lipschitz_constant(self.matrix)
        return self._norm_sq

    def __repr__(self) -> str:
        return f"MatrixOperator(shape={self.matrix.shape})"


def lipschitz_constant(matrix: np.ndarray) -> float:
    """``‖A‖₂²``, the Lipschitz constant of the gradient of ``½‖A x − y‖²``."""
    return float(np.linalg.svd(np.asarray(matrix), compute_uv=False)[0] ** 2)

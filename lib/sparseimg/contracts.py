"""The contracts the solvers rely on, written as types.

Three roles meet in every problem ``min_x f(x) + g(x)``:

- an **operator** ``A`` (:class:`Operator`): ``forward``, ``adjoint``, ``normal``,
  ``lipschitz_constant``, ``solve_normal``, the data-term hooks ``prepare_data`` /
  ``residual_value_and_grad``, and :meth:`Operator.fourier_data_term`, by which an operator
  that is diagonal in the real-FFT basis hands over the named arrays a fused loop needs
  (``None`` for every other operator);
- a **smooth term** ``f`` (:class:`SmoothTerm`): ``value``, ``grad``, ``value_and_grad``,
  ``lipschitz_constant``, ``affine_gradient`` and :meth:`SmoothTerm.fourier_form`;
- a **penalty** ``g`` (:class:`Penalty`): ``value``, ``prox``, ``has_value`` (False for a
  denoiser used as a prox: no objective) and :meth:`Penalty.scalar_l1_weight`.

Solvers read only these members: never an object's class, never a private attribute. The
classes :class:`SmoothTermBase` and :class:`PenaltyBase` give the optional members their
defaults (no fused form, a value, not an ℓ1 norm); a user's own term may subclass them or
define the members itself. :func:`require` checks a role at a solver's entry and names what
is missing in one line.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

__all__ = ["FourierDataTerm", "Operator", "SmoothTerm", "Penalty", "SmoothTermBase", "PenaltyBase", "require"]


class FourierDataTerm(NamedTuple):
    """``½‖A x − b‖²`` for an ``A`` diagonal in the real-FFT basis, as named arrays.

    ``transfer`` is ``H`` (half spectrum), ``power`` is ``|H|²``, ``data_spectrum`` is
    ``rfft2(b)``, ``adjoint_spectrum`` is ``conj(H)·rfft2(b)`` (the spectrum of ``Aᵀb``);
    ``operator`` is the operator itself (its shape, dtype and FFT plans).
    """

    operator: Any
    transfer: np.ndarray
    power: np.ndarray
    data_spectrum: np.ndarray
    adjoint_spectrum: np.ndarray

    @property
    def dtype(self) -> np.dtype:
        return self.operator.dtype


@runtime_checkable
class Operator(Protocol):
    """A linear operator (see :mod:`sparseimg.operators.base` for the defaults)."""

    def forward(self, x: np.ndarray) -> np.ndarray: ...
    def adjoint(self, y: np.ndarray) -> np.ndarray: ...
    def normal(self, x: np.ndarray) -> np.ndarray: ...
    def lipschitz_constant(self) -> float: ...
    def solve_normal(self, rhs: np.ndarray, shift: float, *, x0: np.ndarray | None = None,
                     tol: float = 1e-12, n_iter: int = 1000) -> np.ndarray: ...
    def prepare_data(self, data: np.ndarray) -> Any: ...
    def residual_value_and_grad(self, x: np.ndarray, prepared: Any) -> tuple[float, np.ndarray]: ...
    def fourier_data_term(self, prepared: Any) -> FourierDataTerm | None: ...
    def normal_trace(self) -> float | None: ...


@runtime_checkable
class SmoothTerm(Protocol):
    """A differentiable ``f`` with a Lipschitz gradient."""

    affine_gradient: bool

    def value(self, x: np.ndarray) -> float: ...
    def grad(self, x: np.ndarray) -> np.ndarray: ...
    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]: ...
    def lipschitz_constant(self) -> float: ...
    def fourier_form(self) -> FourierDataTerm | None: ...


@runtime_checkable
class Penalty(Protocol):
    """A ``g`` with a proximal operator."""

    has_value: bool

    def value(self, x: np.ndarray) -> float: ...
    def prox(self, x: np.ndarray, step: float) -> np.ndarray: ...
    def scalar_l1_weight(self) -> float | None: ...


class SmoothTermBase:
    """Defaults of a smooth term's optional members: not quadratic, no fused Fourier form.

    ``grad`` defaults to ``value_and_grad(x)[1]``.
    """

    affine_gradient = False

    def grad(self, x: np.ndarray) -> np.ndarray:
        return self.value_and_grad(x)[1]

    def fourier_form(self) -> FourierDataTerm | None:
        """The named arrays of a fused Fourier loop, or None (the plain loop)."""
        return None


class PenaltyBase:
    """Defaults of a penalty's optional members: it has a value and is not a scalar ℓ1 norm."""

    has_value = True

    def scalar_l1_weight(self) -> float | None:
        """``λ`` when the penalty is ``λ‖x‖₁`` with one scalar ``λ`` (a fused loop's soft threshold), else None."""
        return None


_MEMBERS = {
    "operator": ("forward", "adjoint", "normal", "lipschitz_constant", "solve_normal", "prepare_data",
                 "residual_value_and_grad", "fourier_data_term", "normal_trace"),
    "smooth term": ("value", "grad", "value_and_grad", "lipschitz_constant", "affine_gradient", "fourier_form"),
    "penalty": ("value", "prox", "has_value", "scalar_l1_weight"),
}
_HINT = {"operator": "sparseimg.operators.LinearOperator", "smooth term": "sparseimg.contracts.SmoothTermBase",
         "penalty": "sparseimg.contracts.PenaltyBase"}


def require(role: str, obj, name: str | None = None):
    """Return ``obj`` if it has every member of ``role`` ("operator", "smooth term", "penalty"), else
    raise one-line TypeError naming the argument, what it is and what it lacks."""
    missing = [m for m in _MEMBERS[role] if not hasattr(obj, m)]
    if missing:
        what = type(obj).__name__ if not isinstance(obj, np.ndarray) else f"an array of shape {obj.shape}"
        article = "an" if role[0] in "aeiou" else "a"
        raise TypeError(f"{name or role}={what} is not {article} {role}: it lacks {', '.join(missing)} "
                        f"(subclass {_HINT[role]} or define them)")
    return obj

"""Linear (closed-form) deconvolution filters on the ``rfft2`` half grid."""

from __future__ import annotations

import numpy as np

from ._validate import check_real
from .fourier import FourierConvolution

__all__ = ["band_mask", "masked_inverse_filter", "wiener_filter", "half_grid_radius"]


def half_grid_radius(shape: tuple[int, int]) -> np.ndarray:
    """Radial frequency (cycles/pixel) on the ``rfft2`` half grid of ``shape``."""
    f0 = np.fft.fftfreq(shape[0])[:, None]
    f1 = np.fft.rfftfreq(shape[1])[None, :]
    return np.sqrt(f0 ** 2 + f1 ** 2)


def band_mask(radius: np.ndarray, *, low_cut: float = 0.05, high_cut: float = 0.45,
              low_width: float = 0.01, high_width: float = 0.025) -> np.ndarray:
    """Smooth band-pass mask: logistic rise at ``low_cut``, logistic fall at ``high_cut``.

    ``mask = σ((r − low_cut) / low_width) · σ((high_cut − r) / high_width)`` with
    ``σ`` the logistic function; 1 in the band, 0 outside.
    """
    low_cut = check_real("low_cut", low_cut, low=0.0)
    high_cut = check_real("high_cut", high_cut, low=low_cut, low_open=True)
    low_width = check_real("low_width", low_width, low=0.0, low_open=True)
    high_width = check_real("high_width", high_width, low=0.0, low_open=True)
    rise = 0.5 * (1.0 + np.tanh(0.5 * (radius - low_cut) / low_width))  # = logistic, no overflow
    fall = 0.5 * (1.0 + np.tanh(0.5 * (high_cut - radius) / high_width))
    return rise * fall


def masked_inverse_filter(operator: FourierConvolution, *, eps: float = 2e-6, low_cut: float = 0.05,
                          high_cut: float = 0.45, low_width: float = 0.01, high_width: float = 0.025,
                          unit_gain: bool = True) -> np.ndarray:
    """The source document's regularized inverse filter, on the half grid.

    ``F = conj(H) / (|H|² + eps · (1 − mask))`` where ``mask`` is :func:`band_mask`:
    inside the band the filter inverts ``H`` exactly, outside it is damped by
    ``eps``. With ``unit_gain`` the filter is scaled so that the mean of the
    effective transfer ``H · F`` over the full grid is 1, as in the document.

    Returns
    -------
    ndarray, shape (n0, n1 // 2 + 1)
        Apply with ``operator.apply_filter(image, F)``.
    """
    eps = check_real("eps", eps, low=0.0, low_open=True)
    h = operator.transfer.astype(np.complex128 if np.iscomplexobj(operator.transfer) else np.float64)
    mask = band_mask(half_grid_radius(operator.shape), low_cut=low_cut, high_cut=high_cut,
                     low_width=low_width, high_width=high_width)
    filt = np.conj(h) / (np.abs(h) ** 2 + eps * (1.0 - mask))
    if unit_gain:
        gain = _full_grid_mean((h * filt).real, operator.shape[1])
        filt = filt / gain
    return filt.astype(operator.dtype if np.isrealobj(filt) else np.result_type(operator.dtype, np.complex64))


def wiener_filter(operator: FourierConvolution, *, balance: float) -> np.ndarray:
    """Tikhonov/Wiener filter ``conj(H) / (|H|² + balance)`` on the half grid."""
    balance = check_real("balance", balance, low=0.0, low_open=True)
    h = operator.transfer
    return (np.conj(h) / (operator.power + operator.dtype.type(balance)))


def _full_grid_mean(half: np.ndarray, n1: int) -> float:
    """Mean over the full grid of a Hermitian-symmetric real array given on the half grid."""
    weights = np.full(half.shape[1], 2.0)
    weights[0] = 1.0
    if n1 % 2 == 0:
        weights[-1] = 1.0
    return float((half * weights).sum() / (half.shape[0] * n1))

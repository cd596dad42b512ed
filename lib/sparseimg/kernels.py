"""Convolution kernels: MotionClouds envelopes and Gaussian point-spread functions.

MotionClouds (Sanz-Leon et al. 2012) defines kernels directly in the Fourier
domain, on a centred frequency grid in cycles per pixel. The functions here call
the package for the envelope itself and return it in that centred layout; turn it
into an operator with :func:`sparseimg.operators.fourier.transfer_from_centered`.
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi

from sparseimg._validate import check_int, check_real, check_shape2d
from sparseimg.operators.fourier import FourierConvolution, transfer_from_centered, transfer_from_kernel

__all__ = [
    "motion_cloud_envelope",
    "motion_cloud_operator",
    "gaussian_psf",
    "gaussian_operator",
]


def motion_cloud_envelope(shape: tuple[int, int], *, sf_0: float = 0.15, B_sf: float = 0.15,
                          theta: float = 0.0, B_theta: float = np.inf,
                          normalize: bool = True) -> np.ndarray:
    """Static MotionClouds envelope (log-Gabor radial × orientation), centred layout.

    Parameters
    ----------
    shape : (n0, n1)
        Grid shape.
    sf_0 : float
        Preferred spatial frequency, cycles per pixel, in (0, 0.5].
    B_sf : float
        Radial bandwidth, cycles per pixel, > 0.
    theta : float
        Preferred orientation in radians (only used when ``B_theta`` is finite).
    B_theta : float
        Orientation bandwidth in radians, > 0; ``np.inf`` gives an isotropic kernel.
    normalize : bool
        If True, scale the envelope to peak 1 and then to unit energy
        ``Σ envelope² = 1``, as the source document does.

    Returns
    -------
    ndarray, shape (n0, n1), float64
        Envelope with the zero frequency at ``[n0 // 2, n1 // 2]`` (it is 0 there).
    """
    import MotionClouds as mc  # imported lazily: its import is slowish

    n0, n1 = check_shape2d("shape", shape, minimum=2)
    sf_0 = check_real("sf_0", sf_0, low=0.0, high=0.5, low_open=True)
    B_sf = check_real("B_sf", B_sf, low=0.0, low_open=True)
    theta = check_real("theta", theta)
    if not (isinstance(B_theta, (int, float)) and B_theta == np.inf):
        B_theta = check_real("B_theta", B_theta, low=0.0, low_open=True)
    fx, fy, ft = mc.get_grids(n0, n1, 1)
    envelope = mc.envelope_gabor(fx, fy, ft, V_X=0.0, V_Y=0.0, B_V=0, sf_0=sf_0, B_sf=B_sf,
                                 theta=theta, B_theta=B_theta, alpha=0).squeeze()
    if normalize:
        envelope /= envelope.max()
        envelope /= np.sqrt((envelope ** 2).sum())
    return envelope


def motion_cloud_operator(shape: tuple[int, int], *, dtype=np.float64, **envelope_options) -> FourierConvolution:
    """:class:`FourierConvolution` with a (normalized) MotionClouds envelope."""
    env = motion_cloud_envelope(shape, **envelope_options)
    return FourierConvolution(transfer_from_centered(env), env.shape, dtype=dtype)


def gaussian_psf(size: int, sigma: tuple[float, float]) -> np.ndarray:
    """Gaussian point-spread function of ``size × size`` pixels, summing to 1.

    Built as the source document of section 2 does: a centred unit impulse filtered
    by :func:`scipy.ndimage.gaussian_filter` (truncated at 4 σ, reflecting borders),
    then divided by its sum.

    Parameters
    ----------
    size : int
        Odd side length, >= 3.
    sigma : (float, float)
        Standard deviations along rows and columns, pixels, > 0.
    """
    size = check_int("size", size, low=3)
    if size % 2 == 0:
        raise ValueError(f"size={size!r} is not allowed: expected an odd integer")
    s0, s1 = sigma
    s0 = check_real("sigma[0]", s0, low=0.0, low_open=True)
    s1 = check_real("sigma[1]", s1, low=0.0, low_open=True)
    impulse = np.zeros((size, size))
    impulse[size // 2, size // 2] = 1.0
    psf = ndi.gaussian_filter(impulse, (s0, s1))
    return psf / psf.sum()


def gaussian_operator(shape: tuple[int, int], size: int, sigma: tuple[float, float], *,
                      dtype=np.float64) -> FourierConvolution:
    """Circular convolution by :func:`gaussian_psf`, centred on the origin."""
    return FourierConvolution(transfer_from_kernel(gaussian_psf(size, sigma), shape), shape, dtype=dtype)

"""Shifted block-DCT frames: analysis ``Dᵀ``, synthesis ``D`` and the masked synthesis ``P_Ω D``.

``D`` averages ``K = (block / stride)²`` shifted orthonormal block DCTs (cycle
spinning); ``stride = block`` is one tiling, an orthonormal basis; ``block=None`` is
the global DCT.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import fft as sfft

from sparseimg._validate import check_int
from sparseimg.images import from_opponent, to_opponent
from sparseimg.operators.base import LinearOperator
from sparseimg.operators.mask import MaskOperator

__all__ = ["shifted_block_dct", "shifted_block_idct", "check_frame", "frame_layout", "block_transform",
           "BlockDCTFrame", "MaskedDCTSynthesis"]


def frame_layout(n0: int, n1: int, block: int | None, stride: int) -> tuple[list, int, int, int, int]:
    """Shifts, window side and padded size of a shifted block-DCT frame.

    The image sits at offset ``block`` inside a canvas; shift ``(i, j)`` tiles the
    window ``[i, i + L0) × [j, j + L1)`` with ``L = block · ceil((n + block) / block)``,
    so that every image pixel is covered by every shift.
    """
    if block is None:
        return [(0, 0)], n0, n1, n0, n1
    shifts = [(i, j) for i in range(0, block, stride) for j in range(0, block, stride)]
    len0 = block * math.ceil((n0 + block) / block)
    len1 = block * math.ceil((n1 + block) / block)
    return shifts, len0, len1, len0 + block - 1, len1 + block - 1


def check_frame(block, stride) -> tuple[int | None, int]:
    if block is not None:
        block = check_int("block", block, low=2)
        stride = check_int("stride", stride, low=1, high=block)
        if block % stride:
            raise ValueError(f"stride={stride!r} is not allowed: expected a divisor of block={block}")
    else:
        stride = 1
    return block, stride


def block_transform(x: np.ndarray, block: int | None, func) -> np.ndarray:
    """Blockwise orthonormal DCT (``func`` = dctn or idctn) of ``(C, L0, L1)`` arrays."""
    if block is None:
        return func(x, axes=(-2, -1), norm="ortho")
    n_ch, len0, len1 = x.shape
    blocks = x.reshape(n_ch, len0 // block, block, len1 // block, block)
    return func(blocks, axes=(2, 4), norm="ortho").reshape(n_ch, len0, len1)


def _to_color(x: np.ndarray, color: bool) -> np.ndarray:
    return to_opponent(x) if color else x


def _from_color(u: np.ndarray, color: bool) -> np.ndarray:
    return from_opponent(u) if color else u


def shifted_block_dct(x: np.ndarray, *, block: int | None = 8, stride: int = 4, color: bool = False) -> np.ndarray:
    """Analysis ``Dᵀ x`` of the shifted block-DCT frame.

    ``D`` averages ``K = (block / stride)²`` shifted orthonormal block DCTs:
    ``D c = K^{-1/2} Σ_s E_sᵀ Bᵀ c_s`` with ``E_s`` the window of shift ``s`` on a
    zero-padded canvas and ``B`` the blockwise DCT-II (``scipy.fft.dctn``,
    ``norm="ortho"``). ``‖D‖ <= 1``, with ``D Dᵀ = I`` on the image. ``block=None`` is
    the global DCT (an orthonormal basis).

    Parameters
    ----------
    x : ndarray, shape (C, n0, n1)
    block : int or None
        Block side; None for one DCT of the whole image.
    stride : int
        Shift step, a divisor of ``block`` (``stride = block``: one tiling, an
        orthonormal basis).
    color : bool
        First rotate the channels to the :data:`sparseimg.images.OPPONENT_COLORS` basis (needs C = 3).

    Returns
    -------
    ndarray, shape (K, C, L0, L1)
    """
    block, stride = check_frame(block, stride)
    x = np.asarray(x)
    n_ch, n0, n1 = x.shape
    shifts, len0, len1, p0, p1 = frame_layout(n0, n1, block, stride)
    u = _to_color(x, color)
    if block is None:
        return block_transform(u, None, sfft.dctn)[None]
    canvas = np.zeros((n_ch, p0, p1), dtype=x.dtype)
    canvas[:, block:block + n0, block:block + n1] = u
    scale = 1.0 / math.sqrt(len(shifts))
    out = np.empty((len(shifts), n_ch, len0, len1), dtype=x.dtype)
    for k, (i, j) in enumerate(shifts):
        out[k] = block_transform(canvas[:, i:i + len0, j:j + len1], block, sfft.dctn)
        out[k] *= scale
    return out


def shifted_block_idct(coefs: np.ndarray, shape, *, block: int | None = 8, stride: int = 4,
                       color: bool = False) -> np.ndarray:
    """Synthesis ``D c`` of the shifted block-DCT frame (adjoint of :func:`shifted_block_dct`).

    Parameters
    ----------
    coefs : ndarray, shape (K, C, L0, L1)
    shape : (int, int)
        Image shape ``(n0, n1)``.

    Returns
    -------
    ndarray, shape (C, n0, n1)
    """
    block, stride = check_frame(block, stride)
    n0, n1 = shape
    shifts, len0, len1, p0, p1 = frame_layout(n0, n1, block, stride)
    coefs = np.asarray(coefs)
    if coefs.shape[0] != len(shifts) or coefs.shape[2:] != (len0, len1):
        raise ValueError(f"coefs has shape {coefs.shape}: expected ({len(shifts)}, C, {len0}, {len1})")
    if block is None:
        return _from_color(block_transform(coefs[0], None, sfft.idctn), color)
    n_ch = coefs.shape[1]
    canvas = np.zeros((n_ch, p0, p1), dtype=coefs.dtype)
    for k, (i, j) in enumerate(shifts):
        canvas[:, i:i + len0, j:j + len1] += block_transform(coefs[k], block, sfft.idctn)
    u = canvas[:, block:block + n0, block:block + n1] * (1.0 / math.sqrt(len(shifts)))
    return _from_color(u, color)


class BlockDCTFrame(LinearOperator):
    """The synthesis operator ``D`` of the shifted block-DCT frame (adjoint: the analysis ``Dᵀ``).

    Coefficients of shape ``coef_shape = (K, C, L0, L1)`` to images ``(C, n0, n1)``;
    ``‖D‖ <= 1`` with ``D Dᵀ = I`` on the image (a tight frame).

    Parameters
    ----------
    image_shape : (C, n0, n1)
    block, stride, color
        See :func:`shifted_block_dct` (``color`` needs C = 3).
    """

    def __init__(self, image_shape, *, block: int | None = 8, stride: int = 4, color: bool = False):
        if len(image_shape) != 3:
            raise ValueError(f"image_shape={tuple(image_shape)!r} is not allowed: expected (channels, rows, columns)")
        n_ch, n0, n1 = (check_int(f"image_shape[{i}]", v, low=1) for i, v in enumerate(image_shape))
        if color and n_ch != 3:
            raise ValueError(f"color=True needs 3 channels: image_shape={tuple(image_shape)!r}")
        self.block, self.stride = check_frame(block, stride)
        self.color = bool(color)
        self.image_shape = (n_ch, n0, n1)
        shifts, len0, len1, _, _ = frame_layout(n0, n1, self.block, self.stride)
        self.coef_shape = (len(shifts), n_ch, len0, len1)

    def forward(self, coefs: np.ndarray) -> np.ndarray:
        """``D c``, shape ``image_shape``."""
        return shifted_block_idct(coefs, self.image_shape[1:], block=self.block, stride=self.stride,
                                  color=self.color)

    def adjoint(self, x: np.ndarray) -> np.ndarray:
        """``Dᵀ x``, shape ``coef_shape``."""
        return shifted_block_dct(x, block=self.block, stride=self.stride, color=self.color)

    def lipschitz_constant(self) -> float:
        """``‖D‖² <= 1``."""
        return 1.0

    def dc_weights(self) -> np.ndarray:
        """ℓ1 weights: 1 everywhere except 0 on each block's DC coefficient (not penalized)."""
        weights = np.ones(self.coef_shape)
        if self.block is None:
            weights[:, :, 0, 0] = 0.0
        else:
            weights[:, :, ::self.block, ::self.block] = 0.0
        return weights


class MaskedDCTSynthesis(LinearOperator):
    """The operator ``P_Ω ∘ D``: DCT-frame coefficients → the observed pixels.

    Parameters
    ----------
    missing : ndarray of bool, shape (n0, n1)
    n_channels : int
    block, stride, color
        Frame of :class:`BlockDCTFrame`.
    """

    def __init__(self, missing, n_channels: int, *, block: int | None = 8, stride: int = 4, color: bool = True):
        self.mask = MaskOperator(missing)
        n_channels = check_int("n_channels", n_channels, low=1)
        self.frame = BlockDCTFrame((n_channels,) + self.mask.missing.shape, block=block, stride=stride, color=color)
        self.image_shape, self.coef_shape = self.frame.image_shape, self.frame.coef_shape

    def synthesis(self, coefs: np.ndarray) -> np.ndarray:
        """``D c``, shape (C, n0, n1)."""
        return self.frame.forward(coefs)

    def analysis(self, x: np.ndarray) -> np.ndarray:
        """``Dᵀ x``, shape ``coef_shape``."""
        return self.frame.adjoint(x)

    def forward(self, coefs: np.ndarray) -> np.ndarray:
        return self.mask.forward(self.frame.forward(coefs))

    def adjoint(self, y: np.ndarray) -> np.ndarray:
        return self.frame.adjoint(self.mask.forward(y))

    def lipschitz_constant(self) -> float:
        """``‖P_Ω D‖² <= ‖D‖² = 1``."""
        return 1.0

    def dc_weights(self) -> np.ndarray:
        return self.frame.dc_weights()

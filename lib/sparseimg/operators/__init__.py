"""Linear operators: ``forward``, ``adjoint``, ``normal``, ``lipschitz_constant`` (see :mod:`.base`).

- :mod:`.fourier` — circular convolution by real FFTs (and spectrum helpers);
- :mod:`.convolution` — linear convolution cropped to the image (the blur of a bounded image);
- :mod:`.mask` — missing-pixel masks and the sampling operator ``P_Ω``;
- :mod:`.gradient` — the discrete image gradient;
- :mod:`.dct` — shifted block-DCT frames and the masked DCT synthesis.
"""

from .base import LinearOperator, PreparedData
from .convolution import LinearConvolution
from .dct import BlockDCTFrame, MaskedDCTSynthesis
from .fourier import FourierConvolution, transfer_from_centered, transfer_from_kernel
from .gradient import Gradient
from .mask import MaskOperator

__all__ = ["LinearOperator", "PreparedData", "FourierConvolution", "transfer_from_centered", "transfer_from_kernel",
           "LinearConvolution", "MaskOperator", "Gradient", "BlockDCTFrame", "MaskedDCTSynthesis"]

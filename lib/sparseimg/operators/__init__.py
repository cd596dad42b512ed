"""Linear operators: ``forward``, ``adjoint``, ``normal``, ``lipschitz_constant`` (see :mod:`.base`).

- :mod:`.fourier` — circular convolution by real FFTs (and spectrum helpers);
- :mod:`.convolution` — linear convolution cropped to the image (the blur of a bounded image);
- :mod:`.mask` — missing-pixel masks and the sampling operator ``P_Ω``;
- :mod:`.gradient` — the discrete image gradient;
- :mod:`.dct` — shifted block-DCT frames and the masked DCT synthesis;
- :mod:`.lifting` — wavelets by the lifting scheme (Haar, CDF 5/3, CDF 9/7, learned steps).
"""

from .base import Composition, LinearOperator, PreparedData, Synthesis
from .convolution import LinearConvolution
from .dct import BlockDCTFrame, MaskedDCTSynthesis
from .fourier import FourierConvolution, transfer_from_centered, transfer_from_kernel
from .gradient import Gradient
from .lifting import WaveletTransform
from .mask import MaskOperator

__all__ = ["LinearOperator", "PreparedData", "Composition", "FourierConvolution", "transfer_from_centered", "transfer_from_kernel",
           "LinearConvolution", "MaskOperator", "Gradient", "BlockDCTFrame", "MaskedDCTSynthesis", "WaveletTransform",
           "Synthesis"]

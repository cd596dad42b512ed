"""Linear operators: ``forward``, ``adjoint``, ``normal``, ``lipschitz_constant`` (see :mod:`.base`).

- :mod:`.fourier` — circular convolution by real FFTs (and spectrum helpers);
- :mod:`.convolution` — linear convolution cropped to the image (the blur of a bounded image);
- :mod:`.mask` — missing-pixel masks and the sampling operator ``P_Ω``;
- :mod:`.gradient` — the discrete image gradient;
- :mod:`.dct` — shifted block-DCT frames and the masked DCT synthesis;
- :mod:`.lifting` — wavelets by the lifting scheme (Haar, CDF 5/3, CDF 9/7, learned steps);
- :mod:`.matrix` — a dense matrix; :mod:`.filterbank` — a filter bank as a convolutional synthesis.
"""

from sparseimg.operators.base import Composition, LinearOperator, PreparedData, Synthesis
from sparseimg.operators.convolution import LinearConvolution
from sparseimg.operators.dct import BlockDCTFrame, MaskedDCTSynthesis
from sparseimg.operators.filterbank import FilterBankSynthesis
from sparseimg.operators.fourier import FourierConvolution, transfer_from_centered, transfer_from_kernel
from sparseimg.operators.gradient import Gradient
from sparseimg.operators.lifting import WaveletTransform
from sparseimg.operators.mask import MaskOperator
from sparseimg.operators.matrix import MatrixOperator

__all__ = ["LinearOperator", "PreparedData", "Composition", "FourierConvolution", "transfer_from_centered", "transfer_from_kernel",
           "LinearConvolution", "MaskOperator", "Gradient", "BlockDCTFrame", "MaskedDCTSynthesis", "WaveletTransform",
           "Synthesis", "MatrixOperator", "FilterBankSynthesis"]

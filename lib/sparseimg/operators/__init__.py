"""Linear operators: ``forward``, ``adjoint``, ``normal``, ``lipschitz_constant`` (see :mod:`.base`).

- :mod:`.fourier` — circular convolution by real FFTs (and spectrum helpers);
- :mod:`.convolution` — linear convolution cropped to the image (the blur of a bounded image);
- :mod:`.mask` — missing-pixel masks and the sampling operator ``P_Ω``;
- :mod:`.gradient` — the discrete image gradient;
- :mod:`.dct` — shifted block-DCT frames and the masked DCT synthesis;
- :mod:`.lifting` — wavelets by the lifting scheme (Haar, CDF 5/3, CDF 9/7, learned steps);
- :mod:`.matrix` — a dense matrix; :mod:`.filterbank` — a filter bank as a convolutional synthesis.
"""

import importlib

#: ``name -> submodule``, loaded on first use (PEP 562): importing one operator does not import them all, and
#: a stage's ``deps`` (``python -m sparseimg deps``) lists only the operator modules its code reaches.
_EXPORTS = {
    "LinearOperator": "base", "PreparedData": "base", "Composition": "base", "Synthesis": "base",
    "FourierConvolution": "fourier", "transfer_from_centered": "fourier", "transfer_from_kernel": "fourier",
    "LinearConvolution": "convolution", "MaskOperator": "mask", "Gradient": "gradient",
    "BlockDCTFrame": "dct", "MaskedDCTSynthesis": "dct", "WaveletTransform": "lifting",
    "MatrixOperator": "matrix", "FilterBankSynthesis": "filterbank",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)

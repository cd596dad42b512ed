"""Restoration methods by concern: deconvolution, inpainting, low-rank completion,
denoisers, wavelet shrinkage, noise estimation, source separation, parameter selection."""

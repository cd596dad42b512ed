"""Optimization: data terms, penalties and their proxes, total variation, the one
proximal-gradient core, ADMM, the numba-fused iterations, plug-and-play schemes."""

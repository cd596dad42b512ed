"""Sparse models: synthesis of sparse events, dictionaries (OMP, K-SVD), the generative
support model and its scores."""

import numpy as np

from sparseimg._linalg import inner, norm, sq_norm


def test_reductions_match_numpy(rng):
    a, b = rng.standard_normal((2, 37, 21))
    z = rng.standard_normal((5, 7)) + 1j * rng.standard_normal((5, 7))
    assert np.isclose(inner(a, b), np.sum(a * b), rtol=1e-13)
    assert np.isclose(sq_norm(a), np.sum(a ** 2), rtol=1e-13)
    assert np.isclose(sq_norm(z), np.sum(np.abs(z) ** 2), rtol=1e-13)
    assert np.isclose(norm(a[:, ::2]), np.linalg.norm(a[:, ::2]), rtol=1e-13)  # non-contiguous input

"""Adam's update, the one implementation: the solvers' :func:`~sparseimg.optim.solvers.adam_minimize` and the
training loop :func:`sparseimg.learn.training.fit` both step through :class:`AdamState` (kept apart from the
training code, so that the solvers, which every pipeline stage imports, do not depend on it).
"""

from __future__ import annotations

import numpy as np

from sparseimg._validate import check_real

__all__ = ["AdamState"]


class AdamState:
    """Adam's state (Kingma & Ba 2015) for a list of arrays, updated in place.

    PyTorch's defaults and bias correction; the moments have each array's dtype, so the
    working precision is the parameters'. :func:`sparseimg.optim.solvers.adam_minimize` and
    :func:`sparseimg.learn.training.fit` both step through it.
    """

    def __init__(self, params, *, learning_rate: float = 0.01, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8):
        self.learning_rate = check_real("learning_rate", learning_rate, low=0.0, low_open=True)
        self.betas = (check_real("betas[0]", betas[0], low=0.0, high=1.0, high_open=True),
                      check_real("betas[1]", betas[1], low=0.0, high=1.0, high_open=True))
        self.eps = check_real("eps", eps, low=0.0)
        self.first = [np.zeros_like(p) for p in params]
        self.second = [np.zeros_like(p) for p in params]
        self.steps = 0

    def step(self, params, grads, learning_rate: float | None = None) -> None:
        """One Adam step on ``params`` (modified in place) with gradients ``grads``."""
        lr = self.learning_rate if learning_rate is None else learning_rate
        b1, b2 = self.betas
        self.steps += 1
        c1 = 1.0 - b1 ** self.steps
        c2 = 1.0 - b2 ** self.steps
        for p, g, m, v in zip(params, grads, self.first, self.second):
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * (g * g)
            denom = np.sqrt(v / c2)
            denom += self.eps
            p -= (lr / c1) * m / denom

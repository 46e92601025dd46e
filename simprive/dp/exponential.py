"""The exponential mechanism for selection, and report-noisy-max as its fast form."""

from __future__ import annotations

import numpy as np
from scipy.special import softmax

from simprive.validation import ConfigError, check_epsilon, check_real

__all__ = ["Exponential"]


class Exponential:
    r"""Selects a candidate y with probability :math:`\propto \exp(\varepsilon u(x,y)/(2\Delta u))`.

    ``scores`` are ``(T, k)`` utilities, one row per trial; ``sensitivity`` is Δu, the most
    any score can change between neighbours.  Two samplers with the same law:
    :meth:`select` (inverse CDF of the exact probabilities) and :meth:`select_gumbel`
    (report-noisy-max: argmax of scores plus Gumbel noise of scale 2Δu/ε).
    Accuracy: :math:`P[u(M(x)) \le OPT - 2\Delta u(\ln|Y| + t)/\varepsilon] \le e^{-t}`.

    Reference: McSherry & Talwar (2007), "Mechanism design via differential privacy".
    """

    def __init__(self, *, epsilon: float, sensitivity: float = 1.0):
        self.epsilon = check_epsilon(epsilon)
        self.sensitivity = check_real("sensitivity", sensitivity)
        if self.sensitivity <= 0:
            raise ConfigError("sensitivity", sensitivity, "must be > 0")

    def probabilities(self, scores) -> np.ndarray:
        """Exact selection probabilities ``(T, k)``."""
        return softmax(self.epsilon * np.asarray(scores, float) / (2 * self.sensitivity), axis=-1)

    def select(self, scores, rng: np.random.Generator) -> np.ndarray:
        """Sample one index per row by inverting the CDF of :meth:`probabilities`."""
        cdf = np.cumsum(self.probabilities(scores), axis=-1)
        u = rng.random(cdf.shape[:-1] + (1,)) * cdf[..., -1:]
        return np.minimum((cdf <= u).sum(axis=-1), cdf.shape[-1] - 1)

    def select_gumbel(self, scores, rng: np.random.Generator) -> np.ndarray:
        """Report-noisy-max with Gumbel noise: equal in law to :meth:`select`."""
        scores = np.asarray(scores, float)
        noise = rng.gumbel(0.0, 2 * self.sensitivity / self.epsilon, size=scores.shape)
        return np.argmax(scores + noise, axis=-1)

    def utility_threshold(self, k: int, t: float) -> float:
        """Shortfall from OPT exceeded with probability at most e^-t."""
        return 2 * self.sensitivity * (np.log(k) + t) / self.epsilon

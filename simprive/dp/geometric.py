"""The geometric (discrete Laplace) mechanism for integer-valued queries."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from simprive.dp.base import AdditiveNoise, whole_numbers
from simprive.validation import ConfigError, check_epsilon, check_real

__all__ = ["Geometric"]


class Geometric(AdditiveNoise):
    r"""Adds two-sided geometric noise: :math:`P(k) = \frac{1-\alpha}{1+\alpha}\alpha^{|k|}`,
    :math:`\alpha = e^{-\varepsilon/\Delta}`, on the integers.

    The noise is sampled as the difference of two i.i.d. geometric variables, which has
    exactly this law (``scipy.stats.dlaplace(a=ε/Δ)``).  Outputs stay integers, so the
    release has none of the floating-point artefacts of continuous Laplace noise.
    :math:`Var = 2\alpha/(1-\alpha)^2`, :math:`E|Y-f| = 2\alpha/(1-\alpha^2)`.

    Reference: Ghosh, Roughgarden, Sundararajan (2009), "Universally utility-maximizing
    privacy mechanisms".
    """

    def __init__(self, *, epsilon: float, sensitivity: float = 1):
        self.epsilon = check_epsilon(epsilon)
        self.sensitivity = check_real("sensitivity", sensitivity)
        if self.sensitivity <= 0:
            raise ConfigError("sensitivity", sensitivity, "must be > 0")
        self.alpha = math.exp(-self.epsilon / self.sensitivity)

    def sample(self, size, rng):
        p = -math.expm1(-self.epsilon / self.sensitivity)  # 1 - alpha, accurate for small ε
        return rng.geometric(p, size=size) - rng.geometric(p, size=size)

    def randomise(self, value, rng):
        value = np.asarray(value)
        if not whole_numbers(value):
            raise ValueError("the geometric mechanism releases integer-valued queries only")
        if np.any(np.abs(value) >= 2.0**62):
            raise ValueError("the geometric mechanism needs |value| < 2^62 to stay within int64")
        return value.astype(np.int64) + self.sample(value.shape, rng)

    @property
    def law(self):
        return stats.dlaplace(self.epsilon / self.sensitivity)

    def audit_epsilon(self, shift: float) -> float:
        """ε between a value and the value + ``shift``: ε per sensitivity moved."""
        return self.epsilon if shift == self.sensitivity else shift * self.epsilon / self.sensitivity

    def variance(self):
        a = self.alpha
        return 2 * a / (1 - a) ** 2

    def mean_abs_error(self):
        a = self.alpha
        return 2 * a / (1 - a * a)

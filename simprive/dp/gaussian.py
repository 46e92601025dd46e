"""The Gaussian mechanism, classic and analytic calibration, for (ε, δ)-DP."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats
from scipy.special import log_ndtr, ndtr

from simprive.dp.base import AdditiveNoise
from simprive.dp.calibration import smallest_scale
from simprive.validation import ConfigError, check_all, check_delta, check_epsilon, check_real

__all__ = ["Gaussian", "analytic_delta"]


def analytic_delta(sigma: float, epsilon: float, sensitivity: float) -> float:
    r"""Exact δ of Gaussian noise σ at ε (Balle & Wang 2018, Theorem 8).

    .. math:: \delta = \Phi\left(\frac{\Delta}{2\sigma} - \frac{\varepsilon\sigma}{\Delta}\right)
              - e^{\varepsilon}\,\Phi\left(-\frac{\Delta}{2\sigma} - \frac{\varepsilon\sigma}{\Delta}\right)
    """
    a = sensitivity / (2 * sigma)
    b = epsilon * sigma / sensitivity
    return max(0.0, float(ndtr(a - b) - np.exp(epsilon + log_ndtr(-a - b))))  # no negative rounding


class Gaussian(AdditiveNoise):
    r"""Adds :math:`N(0, \sigma^2)` noise to every coordinate.

    ``analytic=False``: the classic bound :math:`\sigma = \Delta_2\sqrt{2\ln(1.25/\delta)}/\varepsilon`,
    valid only for ε < 1 (Dwork & Roth 2014, Theorem A.1).
    ``analytic=True``: the smallest σ whose exact privacy profile meets (ε, δ), for any ε
    (Balle & Wang 2018, "Improving the Gaussian mechanism for differential privacy").
    ``sensitivity`` is the ℓ2 sensitivity.  :math:`E|Y-f| = \sigma\sqrt{2/\pi}`.
    """

    def __init__(self, *, epsilon: float, delta: float, sensitivity: float, analytic: bool = False):
        self.analytic = bool(analytic)
        # independent checks, reported together (δ = 0 and ε ≥ 1 for the classic bound: both)
        self.epsilon, self.delta = check_all(lambda: self._check_epsilon(epsilon),
                                             lambda: check_delta(delta, positive=True))
        self.sensitivity = check_real("sensitivity", sensitivity)
        if self.sensitivity <= 0:
            raise ConfigError("sensitivity", sensitivity, "must be > 0")
        if self.analytic:
            self.scale = smallest_scale(
                lambda s: analytic_delta(s, self.epsilon, self.sensitivity), self.delta
            )
        else:
            self.scale = self.sensitivity * math.sqrt(2 * math.log(1.25 / self.delta)) / self.epsilon

    def _check_epsilon(self, epsilon) -> float:
        epsilon = check_epsilon(epsilon)
        if not self.analytic and epsilon >= 1:
            raise ConfigError("epsilon", epsilon, "must be < 1 for the classic Gaussian; use mechanism=analytic_gaussian")
        return epsilon

    def sample(self, size, rng):
        return rng.normal(0.0, self.scale, size=size)

    @property
    def law(self):
        return stats.norm(scale=self.scale)

    def variance(self):
        return self.scale**2

    def mean_abs_error(self):
        return self.scale * math.sqrt(2 / math.pi)

    def privacy_delta(self, epsilon: float) -> float:
        """The exact δ this noise level gives at ``epsilon`` (its privacy profile)."""
        return analytic_delta(self.scale, epsilon, self.sensitivity)

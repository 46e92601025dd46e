"""The Laplace mechanism for real-valued (and vector-valued) queries."""

from __future__ import annotations

from scipy import stats

from simprive.dp.base import AdditiveNoise
from simprive.validation import ConfigError, check_epsilon, check_real

__all__ = ["Laplace"]


class Laplace(AdditiveNoise):
    r"""Adds Laplace noise of scale :math:`b = \Delta_1/\varepsilon` to every coordinate.

    .. math:: p(y) = \frac{1}{2b} \exp\left(-\frac{|y - f(x)|}{b}\right)

    For a k-tuple output, ``sensitivity`` is the :math:`\ell_1` norm of the largest change
    of the tuple between neighbours; each coordinate gets independent noise of scale b.
    :math:`E|Y - f| = b` and :math:`Var = 2b^2` per coordinate.

    References: Dwork, McSherry, Nissim, Smith (2006), "Calibrating noise to sensitivity
    in private data analysis".
    """

    def __init__(self, *, epsilon: float, sensitivity: float):
        self.epsilon = check_epsilon(epsilon)
        self.sensitivity = check_real("sensitivity", sensitivity)
        if self.sensitivity <= 0:
            raise ConfigError("sensitivity", sensitivity, "must be > 0")
        self.scale = self.sensitivity / self.epsilon

    def sample(self, size, rng):
        return rng.laplace(0.0, self.scale, size=size)

    @property
    def law(self):
        return stats.laplace(scale=self.scale)

    def variance(self):
        return 2.0 * self.scale**2

    def mean_abs_error(self):
        return self.scale

    def audit_epsilon(self, shift: float) -> float:
        return self.epsilon if shift == self.sensitivity else self.privacy_loss(shift)

    def privacy_loss(self, d_in: float) -> float:
        """ε actually spent when neighbours differ by ``d_in`` in ℓ1 (OpenDP's ``map``)."""
        return float(d_in) / self.scale

"""The exponential mechanism for selection, and report-noisy-max as its fast form."""

from __future__ import annotations

import numpy as np
from scipy import integrate
from scipy.special import softmax

from simprive.validation import ConfigError, check_epsilon, check_real

__all__ = ["Exponential", "gumbel_max_law"]

# the standardised Gumbel-max integrand lives on z in [-6, 40]: e^(-e^6) and e^-40 are below 1e-17
_Z = np.linspace(-6.0, 40.0, 241)  # Simpson on 241 points: within 1e-10 of the closed form


def gumbel_max_law(scores, scale: float) -> np.ndarray:
    r"""P(candidate i has the largest noisy score) when each score gets independent Gumbel
    noise of ``scale`` β — by numerical quadrature of the law itself, a route to the
    selection probabilities that never uses their closed form (softmax):

    .. math:: P(i) = \int f(x - s_i) \prod_{j \ne i} F(x - s_j)\,dx,
              \quad F(t) = e^{-e^{-t/\beta}}

    ``scores``: ``(T, k)``; returns ``(T, k)``, each row summing to 1 to about 1e-9."""
    scores = np.asarray(scores, float)
    d = (scores.max(axis=-1, keepdims=True) - scores) / scale  # (T, k): gaps in units of β, ≥ 0
    # with x = s_max + βz the integrand is g(z + d_i)·Π_{j≠i} G(z + d_j), g = G' the standard density
    log_cdf_sum = -np.exp(-_Z)[None, :] * np.exp(-d).sum(axis=-1, keepdims=True)  # Σ_j log G(z + d_j)
    log_f = -(_Z[None, None, :] + d[..., None]) + log_cdf_sum[:, None, :]  # log g(z+d_i) + Σ_{j≠i} log G
    return integrate.simpson(np.exp(log_f), x=_Z, axis=-1)


class Exponential:
    r"""Selects a candidate y with probability :math:`\propto \exp(\varepsilon u(x,y)/(2\Delta u))`.

    ``scores`` are ``(T, k)`` utilities, one row per trial; ``sensitivity`` is Δu, the most
    any score can change between neighbours.  Two samplers with the same law:
    :meth:`select` (inverse CDF of the exact probabilities) and :meth:`select_gumbel`
    (report-noisy-max: argmax of scores plus Gumbel noise of scale 2Δu/ε).
    Accuracy: :math:`P[u(M(x)) \le OPT - 2\Delta u(\ln|Y| + t)/\varepsilon] \le e^{-t}`.

    Reference: McSherry & Talwar (2007), "Mechanism design via differential privacy".
    """

    discrete = True  # candidate indices

    def __init__(self, *, epsilon: float, sensitivity: float = 1.0, gumbel: bool = False):
        self.epsilon = check_epsilon(epsilon)
        self.gumbel = bool(gumbel)  # sample by report-noisy-max (Gumbel) rather than the inverse CDF
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

    def choose(self, scores, rng: np.random.Generator) -> np.ndarray:
        """One selection per row, by the sampler this mechanism was built with."""
        return self.select_gumbel(scores, rng) if self.gumbel else self.select(scores, rng)

    def play(self, world: int, size: int, rng: np.random.Generator) -> np.ndarray:
        """An audit's worlds: scores (1, 0) on D and (0, 1) on D′, each moving by Δu = 1."""
        scores = np.tile([1.0, 0.0] if world == 0 else [0.0, 1.0], (size, 1))
        return self.choose(scores, rng)

    def game_epsilon(self) -> float:
        """These worlds move each selection probability by a factor e^(ε/2) at most, so they
        can show ε/2 (the full ε needs many candidates)."""
        return self.epsilon / 2

    def select_gumbel(self, scores, rng: np.random.Generator) -> np.ndarray:
        """Report-noisy-max with Gumbel noise: equal in law to :meth:`select`."""
        scores = np.asarray(scores, float)
        noise = rng.gumbel(0.0, 2 * self.sensitivity / self.epsilon, size=scores.shape)
        return np.argmax(scores + noise, axis=-1)

    def utility_threshold(self, k: int, t: float) -> float:
        """Shortfall from OPT exceeded with probability at most e^-t."""
        return 2 * self.sensitivity * (np.log(k) + t) / self.epsilon

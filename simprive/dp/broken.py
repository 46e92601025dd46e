"""Deliberately broken mechanisms, for the auditor to catch (``mechanism=broken_*``).

Each is an ordinary mechanism object that says what the auditor needs of any mechanism:
either it adds noise to a value (``randomise``; the worlds are one ``audit_shift`` apart and
``audit_epsilon`` is the exact ε between them), or it plays its own pair of worlds
(``play(world, size, rng)``, ``game_epsilon()``).  ``IgnoreInput`` is the auditor's
self-check: a release that does not depend on its input, ε = 0.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import stats

from simprive.dp.laplace import Laplace
from simprive.validation import check_epsilon

__all__ = ["BROKEN", "IgnoreInput", "NoClamp", "NoNoiseSVT", "NoisyMaxValue", "ScaleBug"]


class ScaleBug(Laplace):
    """Laplace noise of scale ε instead of Δ/ε: too little noise when ε < 1."""

    def __init__(self, *, epsilon: float, sensitivity: float):
        super().__init__(epsilon=epsilon, sensitivity=sensitivity)
        self.scale = self.epsilon  # the bug

    def audit_epsilon(self, shift: float) -> float:
        return shift / self.epsilon


class NoClamp(Laplace):
    """Laplace noise calibrated to [lower, upper] on an input that is not clamped: a value
    ten times the range moves the output ten times as far."""

    def audit_shift(self, sensitivity: float) -> float:
        return sensitivity * 10.0

    def audit_epsilon(self, shift: float) -> float:
        return 10 * self.epsilon


class IgnoreInput(Laplace):
    """Laplace noise around 0 whatever the input: ε = 0, the auditor's self-check."""

    def randomise(self, value, rng: np.random.Generator) -> np.ndarray:
        return self.sample(np.shape(value), rng)

    def audit_epsilon(self, shift: float) -> float:
        return 0.0


class NoNoiseSVT:
    """The sparse vector technique without noise on the queries: the threshold gets
    Laplace(2/ε) noise, the queries none; it reports the first query above the threshold."""

    discrete = True

    def __init__(self, *, epsilon: float, sensitivity: float = math.nan):
        self.epsilon = check_epsilon(epsilon)

    def play(self, world: int, size: int, rng: np.random.Generator) -> np.ndarray:
        """Queries (1, 0) on D and (0, 1) on D′ (each moves by 1): the first index above
        T = 0.5 + Lap(2/ε), or 2 for none."""
        q = np.array([1.0, 0.0]) if world == 0 else np.array([0.0, 1.0])
        noisy_threshold = 0.5 + rng.laplace(0.0, 2 / self.epsilon, size)
        above = q[None, :] >= noisy_threshold[:, None]
        return np.where(above.any(axis=1), above.argmax(axis=1), 2)

    def game_epsilon(self) -> float:
        return math.inf  # some outputs are impossible in one world


class NoisyMaxValue:
    """Report-noisy-max (Laplace 2/ε on each score) that releases the noisy maximum itself,
    not only its index: between scores (1, 1, 1, 1, 1) and (2, 0, 0, 0, 0), each moving by
    at most 1, it loses 1.5ε (Ding et al. 2018)."""

    discrete = False
    WORLDS = (np.ones(5), np.array([2.0, 0.0, 0.0, 0.0, 0.0]))

    def __init__(self, *, epsilon: float, sensitivity: float = math.nan):
        self.epsilon = check_epsilon(epsilon)

    def play(self, world: int, size: int, rng: np.random.Generator) -> np.ndarray:
        scores = self.WORLDS[world]
        noisy = scores[None, :] + rng.laplace(0.0, 2 / self.epsilon, (size, len(scores)))
        return noisy.max(axis=1)

    def game_epsilon(self) -> float:
        """sup over v of |log f_D(v) − log f_D′(v)| for the released maximum (1.5ε here)."""
        return _noisy_max_epsilon(self.epsilon)


@functools.lru_cache(maxsize=32)
def _noisy_max_epsilon(epsilon: float) -> float:
    """:meth:`NoisyMaxValue.game_epsilon`, computed once per ε (a sweep of the auditor's
    knowledge asks again for every value): the density of the maximum,
    Σ_i f(v − s_i)·Π_{j≠i} F(v − s_j), on a fine grid."""
    law = stats.laplace(scale=2 / epsilon)
    v = np.linspace(-60, 60, 400001) * law.std()

    def density(s):
        cdf = law.cdf(v[:, None] - s[None, :])
        pdf = law.pdf(v[:, None] - s[None, :])
        return sum(pdf[:, i] * np.prod(np.delete(cdf, i, axis=1), axis=1) for i in range(len(s)))

    f0, f1 = (density(s) for s in NoisyMaxValue.WORLDS)
    ok = (f0 > 1e-300) & (f1 > 1e-300)
    return float(np.abs(np.log(f1[ok] / f0[ok])).max())


# kind → (class, what is broken)
BROKEN: dict[str, tuple[type, str]] = {
    "broken_laplace_scale": (ScaleBug, "Laplace noise of scale ε instead of Δ/ε"),
    "broken_no_clamp": (NoClamp, "Laplace calibrated to [lower, upper] but the input is not clamped"),
    "broken_svt": (NoNoiseSVT, "sparse vector without noise on the queries"),
    "broken_noisy_max": (NoisyMaxValue, "report-noisy-max (Laplace 2/ε) that releases the noisy maximum itself"),
    "ignore_input": (IgnoreInput, "a constant-in-the-data release: Laplace noise around 0 (ε = 0: the self-check)"),
}

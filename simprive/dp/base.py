"""What every additive-noise mechanism shares: release = value + noise."""

from __future__ import annotations

import numpy as np


def whole_numbers(a: np.ndarray) -> bool:
    """Whether every entry is a whole number: at once for an integer array (np.mod on one
    costs a quarter of a randomized response), else by its remainder (NaN and ±inf are not)."""
    if np.issubdtype(a.dtype, np.integer) or a.dtype == bool:
        return True
    return bool(np.all(np.mod(a, 1) == 0))


class AdditiveNoise:
    """Base of mechanisms that add zero-mean noise to a numeric query.

    Subclasses define :meth:`sample` (the noise) and the closed forms
    :meth:`variance` and :meth:`mean_abs_error`; ``bias`` and ``mse`` follow.
    """

    epsilon: float
    delta: float = 0.0

    def sample(self, size, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def randomise(self, value, rng: np.random.Generator) -> np.ndarray:
        """Release ``value`` (any shape; each entry one coordinate) with noise added."""
        value = np.asarray(value)
        return value + self.sample(value.shape, rng)

    def bias(self) -> float:
        return 0.0

    def variance(self) -> float:
        raise NotImplementedError

    def mean_abs_error(self) -> float:
        raise NotImplementedError

    def mse(self) -> float:
        return self.variance() + self.bias() ** 2

    # the noise's distribution as a frozen ``scipy.stats`` law, where it has one (None: not offered)
    law = None

    # -- what a distinguishing game needs (simprive.attacks.audit) ---------------------------
    @property
    def discrete(self) -> bool:
        """Whether outputs come from a discrete set (integer noise)."""
        return self.law is not None and hasattr(self.law, "logpmf")

    def audit_shift(self, sensitivity: float) -> float:
        """How far apart the two worlds of an audit put the value: the sensitivity."""
        return sensitivity

    def audit_epsilon(self, shift: float) -> float | None:
        """The exact ε between a value and the value + ``shift``, if the noise knows it
        (``privacy_loss``, OpenDP's map); None for no pure ε."""
        loss = getattr(self, "privacy_loss", None)
        return None if loss is None else float(loss(shift))

    def log_density(self, x) -> np.ndarray:
        """log density (or mass, for integer noise) of the noise at ``x``."""
        law = self.law
        if law is None:
            raise NotImplementedError(f"{type(self).__name__} offers no law")
        return law.logpmf(x) if hasattr(law, "logpmf") else law.logpdf(x)

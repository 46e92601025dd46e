"""One generic calibration: the smallest noise scale that meets a privacy target."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import brentq

__all__ = ["smallest_scale"]


def smallest_scale(loss: Callable[[float], float], target: float, *, lo=1e-12, hi=1e12) -> float:
    """Smallest ``scale`` with ``loss(scale) <= target``, for a loss decreasing in scale.

    A root search in log-scale (``scipy.optimize.brentq``), nudged upwards so the
    returned scale satisfies the target rather than sitting on either side of it.
    """
    f = lambda log_s: loss(np.exp(log_s)) - target  # noqa: E731
    if f(np.log(hi)) > 0:
        raise ValueError(f"no scale up to {hi:g} reaches the privacy target {target:g}")
    if f(np.log(lo)) <= 0:
        return lo
    log_s = brentq(f, np.log(lo), np.log(hi), xtol=1e-14, rtol=1e-15)
    scale = float(np.exp(log_s))
    while loss(scale) > target:
        scale = np.nextafter(scale, np.inf) * (1 + 1e-12)
    return scale

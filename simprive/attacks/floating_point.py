"""Floating-point leakage of the textbook Laplace mechanism (Mironov 2012).

numpy draws Laplace noise as ``loc ± scale·log(2U)`` from a uniform U on the grid
k·2^-53, so the noisy outputs t + X are a sparse, t-dependent subset of the doubles.  An
adversary who sees one release y can check, exactly, whether y is reachable from a
candidate true value t: invert y to the few grid points U it could have come from and
recompute the sampler's arithmetic.  An output reachable from t = 0 but not from t = 1
proves the input, whatever ε the mechanism claims.

:class:`FloatAudit` plays the auditor's game with that test as its score.  The secure
alternatives it does not break: the geometric mechanism (an exact discrete sampler whose
outputs, integers, are reachable from every input).

Reference: Mironov (2012), "On significance of the least significant bits for
differential privacy".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simprive import dp
from simprive.attacks.audit import Audit, build_audit
from simprive.attacks.registry import attack, known_others
from simprive.validation import ConfigError

__all__ = ["FloatAudit", "reachable"]

GRID = 2.0**-53  # numpy's next_double: (raw >> 11) · 2^-53
WINDOW = 16  # grid points tried on each side of the inverted one


def _candidates(u: np.ndarray) -> np.ndarray:
    k = np.rint(u / GRID)
    return (k[:, None] + np.arange(-WINDOW, WINDOW + 1)[None, :]) * GRID


def _libm_log(a: np.ndarray) -> np.ndarray:
    """C's ``log``, which numpy's sampler calls; ``np.log`` may use a vectorised variant
    that differs in the last bit for some inputs (0.4% here), and exactness is the point."""
    return np.fromiter((math.log(v) for v in a.ravel()), float, a.size).reshape(a.shape)


def reachable(y, t: float, scale: float) -> np.ndarray:
    """Whether each double in ``y`` is an output numpy's Laplace sampler can produce from
    the true value ``t`` (``t + rng.laplace(0, scale)``), tested exactly."""
    y = np.asarray(y, float)
    x = (y - t) / scale
    hit = np.zeros(y.shape, bool)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for u, lo, hi, arg, sign in (
            (_candidates(np.exp(x) / 2), 0.0, 0.5, lambda u: u + u, 1.0),  # U < 0.5: +scale·log(U + U)
            (_candidates((2 - np.exp(-x)) / 2), 0.5, 1.0, lambda u: 2.0 - u - u, -1.0),  # U ≥ 0.5: −scale·log(2−2U)
        ):
            valid = (u > lo) & (u < hi) if lo == 0.0 else (u >= lo) & (u < hi)
            a = np.where(valid, arg(u), 1.0)
            approx = t + sign * (scale * np.log(a))
            # only candidates within a few ulps can match: recompute those with C's log
            near = valid & (np.abs(approx - y[:, None]) <= 4 * np.spacing(np.abs(y))[:, None])
            rows, cols = np.nonzero(near)
            exact = t + sign * (scale * _libm_log(a[rows, cols]))
            hit[rows[exact == y[rows]]] = True
    return hit


@dataclass(frozen=True)
class FloatAudit(Audit):
    """The auditor's game scored by exact reachability: +1 reachable only from D′,
    −1 only from D, 0 from both or neither."""

    @property
    def discrete(self) -> bool:
        return True

    def outputs(self, world: int, size: int, rng) -> np.ndarray:
        y = super().outputs(world, size, rng).astype(float)
        # the sampler's own scale, bit for bit (Δ/ε and 1/ε·Δ can differ in the last bit)
        scale = getattr(self.release.randomiser, "scale", self.sensitivity / self.release.epsilon)
        # the totals each world can have: its own input plus any count of the unknown others
        from_world = [np.any([reachable(y, w * self.sensitivity + u, scale) for u in range(self.unknown + 1)], axis=0)
                      for w in (0, 1)]
        return from_world[1].astype(int) - from_world[0].astype(int)

    def exact_epsilon(self) -> float | None:
        # textbook floating-point Laplace: some outputs have probability 0 in one world
        if isinstance(self.release.randomiser, dp.Laplace) and not self.unknown:
            return math.inf
        return super().exact_epsilon()


@attack("float_auditor", aux=known_others)
def build_float_auditor(cfg: dict, release, n: int, trials: int) -> FloatAudit:
    """The auditor's game against a textbook floating-point Laplace (or geometric) sampler."""
    if not isinstance(getattr(release, "randomiser", None), (dp.Laplace, dp.Geometric)):
        raise ConfigError("mechanism", release.kind, "the floating-point attack reads releases whose noise is "
                                                     "sampled as Laplace or geometric (mechanism=laplace, geometric)")
    audit = build_audit(cfg, release, trials, n - 1 - known_others(cfg, n))
    return FloatAudit(release, audit.alpha, audit.unknown, audit.p)

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
ULPS = 4  # numpy's vectorised log is within 1 ulp of C's (measured); a margin on top


def _candidates(u: np.ndarray) -> np.ndarray:
    k = np.rint(u / GRID)
    return (k[:, None] + np.arange(-WINDOW, WINDOW + 1)[None, :]) * GRID


def _libm_log(a: np.ndarray) -> np.ndarray:
    """C's ``log``, which numpy's sampler calls; ``np.log`` may use a vectorised variant
    that differs in the last bit for some inputs (0.4% here), and exactness is the point."""
    return np.fromiter((math.log(v) for v in a.ravel()), float, a.size).reshape(a.shape)


def _nudge(v: np.ndarray, ulps: int, towards: float) -> np.ndarray:
    for _ in range(ulps):
        v = np.nextafter(v, towards)
    return v


def _reaches(y: np.ndarray, a: np.ndarray, t: float, scale: float, sign: float) -> np.ndarray:
    """Whether ``t + sign·(scale·log(a)) == y`` with C's log, computed with numpy's.

    The output is monotone in the log's value, so bracketing C's log within ULPS of
    numpy's decides every case where both ends of the bracket agree; only the rest (about a
    fifth of the near candidates, where t is small next to the noise) are recomputed with
    C's log."""
    log = np.log(a)
    ends = [t + sign * (scale * _nudge(log, ULPS, towards)) for towards in (-np.inf, np.inf)]
    low, high = np.minimum(*ends), np.maximum(*ends)
    hit = (low == y) & (high == y)
    unsure = (low <= y) & (high >= y) & ~hit
    hit[unsure] = t + sign * (scale * _libm_log(a[unsure])) == y[unsure]
    return hit


def reachable(y, t: float, scale: float) -> np.ndarray:
    """Whether each double in ``y`` is an output numpy's Laplace sampler can produce from
    the true value ``t`` (``t + rng.laplace(0, scale)``), tested exactly."""
    y = np.asarray(y, float)
    x = (y - t) / scale
    hit = np.zeros(y.shape, bool)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for u0, lo, hi, arg, sign in (
            (np.exp(x) / 2, 0.0, 0.5, lambda u: u + u, 1.0),  # U < 0.5: +scale·log(U + U)
            ((2 - np.exp(-x)) / 2, 0.5, 1.0, lambda u: 2.0 - u - u, -1.0),  # U ≥ 0.5: −scale·log(2−2U)
        ):
            # each output comes from one branch but near U = 0.5: try only rows whose window
            # of grid points reaches into this branch's range
            some = np.flatnonzero((u0 > lo - WINDOW * GRID) & (u0 < hi + WINDOW * GRID))
            u = _candidates(u0[some])
            valid = (u > lo) & (u < hi) if lo == 0.0 else (u >= lo) & (u < hi)
            a = np.where(valid, arg(u), 1.0)
            approx = t + sign * (scale * np.log(a))
            # only candidates within a few ulps can match: decide those exactly
            ys = y[some]
            near = valid & (np.abs(approx - ys[:, None]) <= 4 * np.spacing(np.abs(ys))[:, None])
            rows, cols = np.nonzero(near)
            hit[some[rows[_reaches(ys[rows], a[rows, cols], t, scale, sign)]]] = True
    return hit


@dataclass(frozen=True)
class FloatAudit(Audit):
    """The auditor's game scored by exact reachability: +1 reachable only from D′,
    −1 only from D, 0 from both or neither."""

    @property
    def discrete(self) -> bool:
        return True

    def outputs(self, world: int, size: int, rng) -> np.ndarray:
        # each distinct output is tested once (a geometric release has few)
        y, back = np.unique(super().outputs(world, size, rng).astype(float), return_inverse=True)
        # the sampler's own scale, bit for bit (Δ/ε and 1/ε·Δ can differ in the last bit)
        scale = getattr(self.release.randomiser, "scale", self.sensitivity / self.release.epsilon)
        score = np.zeros(y.size, int)
        for w, sign in ((0, -1), (1, 1)):
            # the totals world w can have: its own input plus any count of the unknown others
            found = np.zeros(y.size, bool)
            for other in range(self.unknown + 1):
                rest = np.flatnonzero(~found)
                found[rest[reachable(y[rest], w * self.sensitivity + other, scale)]] = True
            score += sign * found
        return score[back]

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

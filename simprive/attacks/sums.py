"""Attacks on a released sum: differencing, a news figure about one party, repetition.

The release is y = Σ clamp(x_i) + Z (Z = 0 for an exact release; exact MPC sums do not
clamp).  Write μ, σ² for
the mean and variance of one clamped input and V = Var(Z).

* **Differencing** (``adversary=knows_others``): the adversary knows the inputs of k of the
  other n − 1 parties and estimates the target's as x̂₀ = y − S_known − m·μ (m = n − 1 − k
  unknown).  Its squared error has mean m·σ² + V: zero for an exact release once it knows
  everyone else (k = n − 1), never below V for a DP one.  With ``second_release``, it also
  sees the same query over the data without the target, y′, and takes x̂₀ = y − y′: error
  variance 2V (zero when exact).
* **Side information** (``adversary=news``, the breach story): a news figure about party 0,
  x₀ + N(0, s²), lets the adversary infer the others' total as y − news, with squared error
  of mean s² + V; then each other party's input lies within the public range [lo, hi] and
  between R − (n−2)·hi and R − (n−2)·lo, widened by 1.96·sqrt(s² + V) (``bound_fraction``: the
  share of the range left open, 1 = nothing learned; ``bound_covers``: the truth inside).
* **Repetition** (``adversary=repeated``): r independent releases of the same query
  averaged: squared error V/r, while the privacy spent grows.  The ε of the r releases at
  ``delta`` under basic, advanced, Rényi and PLD accounting (four upper bounds, reported), and
  the ε an auditor who sees all r releases certifies (a measured lower bound, checked against
  the PLD value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from simprive.attacks.audit import ComposedAudit, check_game
from simprive.attacks.registry import attack, check_independent, known_others
from simprive.dp import Accountant
from simprive.metrics import INDICATOR, LOWER_BOUND, MEASUREMENT, REPORTED
from simprive.validation import ConfigError, check_delta, check_int, check_real

__all__ = ["Differencing", "News", "Repeated"]

def _check(release) -> None:
    """What these attacks need of a release: the sum of the parties' numbers, released as a
    number, from a scenario whose inputs have a known distribution."""
    if not release.sum_of_inputs:
        raise ConfigError("mechanism", release.kind, "this attack reads a released sum of the inputs: a central "
                                                     "mechanism, mpc_sum, mpc_client_server or mpc_noisy_sum")
    if release.query != "sum":
        raise ConfigError("query", release.query, "this attack reads a released sum: set query=sum")
    if release.scenario.inputs != "numbers" or not hasattr(release.scenario, "dist"):
        raise ConfigError("scenario", release.scenario.kind, "this attack needs numbers drawn from a known "
                                                             "distribution (scenario=bounded, heavy or table)")
    check_independent(release.scenario)


def _noise_variance(release) -> float:
    noise = getattr(release, "randomiser", None)
    return 0.0 if noise is None else float(noise.variance())


def _clamped(release, values):
    """The inputs as the release adds them: exact MPC sums as they are, the others clamped."""
    return np.clip(values, release.lower, release.upper) if release.clamps else values


def _moments(release) -> tuple[float, float]:
    """Mean and variance of one input as the release sees it (clamped for DP)."""
    d, lo, hi = release.scenario.dist, release.lower, release.upper
    if not release.clamps:
        return float(d.mean()), float(d.var())
    m1 = d.expect(lambda x: np.clip(x, lo, hi))
    m2 = d.expect(lambda x: np.clip(x, lo, hi) ** 2)
    return float(m1), float(m2 - m1 * m1)


@dataclass(frozen=True)
class Differencing:
    METRICS: ClassVar = {"recon_error": MEASUREMENT, "recon_sq_error": MEASUREMENT, "recon_exact": INDICATOR}

    release: Any  # a Release (simprive.contracts)
    known: int
    second_release: bool = False

    def run(self, data, observed: dict, rng) -> tuple[dict, dict]:
        rel = self.release
        x = _clamped(rel, data.numbers.astype(float))
        y = observed["estimate"]
        var = _noise_variance(rel)
        if self.second_release:
            rest = x[:, 1:].sum(axis=1)
            y2 = rest if getattr(rel, "randomiser", None) is None else rel.randomiser.randomise(rest, rng)
            guess = y - y2
            expected_sq = 2 * var
        else:
            mu, sigma2 = _moments(rel)
            m = rel.n - 1 - self.known
            guess = y - x[:, 1 : 1 + self.known].sum(axis=1) - m * mu
            expected_sq = m * sigma2 + var
        err = guess - data.numbers[:, 0]
        exact = float(expected_sq == 0)
        return ({"recon_error": err, "recon_sq_error": err**2, "recon_exact": (np.abs(err) < 1e-6).astype(float)},
                {"recon_error": 0.0 if not _clips(rel) else None, "recon_sq_error": None if _clips(rel) else expected_sq,
                 "recon_exact": None if _clips(rel) else
                 (exact if expected_sq == 0 or data.numbers.dtype.kind == "f" else None)})


@dataclass(frozen=True)
class News:
    METRICS: ClassVar = {"others_error": MEASUREMENT, "others_sq_error": MEASUREMENT, "bound_fraction": MEASUREMENT,
                        "bound_covers": INDICATOR}

    release: Any  # a Release (simprive.contracts)
    sigma: float

    def run(self, data, observed: dict, rng) -> tuple[dict, dict]:
        rel = self.release
        y = observed["estimate"]
        news = data.numbers[:, 0] + rng.normal(0.0, self.sigma, len(y)) if self.sigma > 0 else data.numbers[:, 0]
        others = _clamped(rel, data.numbers[:, 1:].astype(float)).sum(axis=1)
        rest = y - news
        err = rest - others
        clips = _clips(rel)
        # and each other party's input: the rest of the total, less what the n − 2 others can
        # hold of the public range [lo, hi], widened by 1.96 sd of the adversary's error
        lo, hi = _support(rel.scenario)
        slack = 1.96 * np.sqrt(self.sigma**2 + _noise_variance(rel))
        low = np.maximum(lo, rest - slack - (rel.n - 2) * hi)
        high = np.minimum(hi, rest + slack - (rel.n - 2) * lo)
        x1 = data.numbers[:, 1]
        certain = self.sigma == 0 and _noise_variance(rel) == 0 and not clips
        return ({"others_error": err, "others_sq_error": err**2,
                 "bound_fraction": np.clip(high - low, 0, None) / (hi - lo),
                 "bound_covers": ((low <= x1) & (x1 <= high)).astype(float)},
                {"others_error": None if clips else 0.0,
                 "others_sq_error": None if clips else self.sigma**2 + _noise_variance(rel),
                 "bound_covers": 1.0 if certain else None})


@dataclass(frozen=True)
class Repeated:
    METRICS: ClassVar = {"average_sq_error": MEASUREMENT, "epsilon_lb": LOWER_BOUND,
                        **dict.fromkeys(("epsilon_basic", "epsilon_advanced", "epsilon_rdp", "epsilon_pld"), REPORTED)}

    release: Any  # a Release (simprive.contracts)
    releases: int
    delta: float  # the δ at which the composed release's ε is reported
    alpha: float

    def run(self, data, observed: dict, rng) -> tuple[dict, dict]:
        rel, r, noise = self.release, self.releases, self.release.randomiser
        y = observed["estimate"]
        truth = _clamped(rel, data.numbers.astype(float)).sum(axis=1)
        total = np.asarray(y, float).copy()
        for _ in range(r - 1):  # a loop over releases, each vectorised over the trials
            total += noise.randomise(truth, rng)
        err = total / r - truth
        return {"average_sq_error": err**2}, {"average_sq_error": noise.variance() / r}

    def once(self, trials: int, rng) -> tuple[dict, dict]:
        """What the r releases cost: the ε at δ under each accounting (reported, not checked:
        upper bounds, tested against independent computations in the accountant's tests), and
        the ε an auditor certifies from all r releases with ``trials`` runs per world.  Basic
        and advanced composition exist at δ only if it covers the releases' own r·δ0."""
        noise, r = self.release.randomiser, self.releases
        delta0 = getattr(noise, "delta", 0.0)
        acc = Accountant()
        acc.spend(mechanism=noise, times=r)
        out = {"epsilon_rdp": acc.rdp(self.delta), "epsilon_pld": acc.pld(self.delta)}
        if r * delta0 <= self.delta:
            out["epsilon_basic"] = acc.basic()[0]
        if r * delta0 < self.delta:
            out["epsilon_advanced"] = acc.advanced(self.delta - r * delta0)[0]
        if noise.law is None:  # the likelihood-ratio game needs the noise's density
            return out, {}
        game = ComposedAudit(self.release, self.alpha, releases=r, target_delta=self.delta)
        out["epsilon_lb"], expected = game.certify(trials, rng)
        return out, {"epsilon_lb": expected}


def _support(scenario) -> tuple[float, float]:
    """The range the inputs lie in (an outlier included)."""
    a, b = scenario.dist.support()
    return getattr(scenario, "low", a), getattr(scenario, "high", b)


def _clips(release) -> bool:
    """Whether clamping can change an input (then the error has no simple closed form)."""
    lo, hi = _support(release.scenario)
    return release.clamps and not (release.lower <= lo and hi <= release.upper)


@attack("knows_others", aux=known_others)
def build_differencing(cfg: dict, release, n: int, trials: int) -> Differencing:
    _check(release)
    return Differencing(release, known_others(cfg, n), bool(cfg["second_release"]))


@attack("news", aux="sigma")
def build_news(cfg: dict, release, n: int, trials: int) -> News:
    _check(release)
    sigma = check_real("adversary.sigma", cfg["sigma"])
    if sigma < 0:
        raise ConfigError("adversary.sigma", sigma, "a noise level must be >= 0")
    return News(release, sigma)


@attack("repeated", aux="releases")
def build_repeated(cfg: dict, release, n: int, trials: int) -> Repeated:
    _check(release)
    if release.randomiser is None:
        raise ConfigError("mechanism", release.kind, "repeated releases need a mechanism that adds noise")
    delta = check_delta(cfg["delta"], "adversary.delta", positive=True)
    return Repeated(release, check_int("adversary.releases", cfg["releases"], minimum=1), delta,
                    check_game(cfg, trials))

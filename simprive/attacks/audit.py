"""Privacy auditing: an empirical lower bound on ε from a distinguishing game.

The auditor runs the mechanism N times on a dataset D and N times on a neighbour D′ that
differs in one input by the full sensitivity (the worst case), splits each world's
outputs in half, picks on the first half the test "output in S ⇒ say D′" with the best
bound, and counts its false positives and false negatives on the second half.  With
one-sided Clopper–Pearson upper bounds (level α) on both error rates,

    ε_LB = max(0, ln((1 − δ − FPR_ub)/FNR_ub), ln((1 − δ − FNR_ub)/FPR_ub)),

which is below the true ε with probability at least 1 − 2α.  A perfect test certifies at
most about ln(N/ln(1/α)) (no error in N runs bounds each rate by 1 − α^(1/N) ≈ ln(1/α)/N);
:func:`max_certifiable` gives it exactly.

Tests are thresholds on a score: the output itself for real outputs (both directions),
and for discrete outputs the log-ratio of each value's frequencies in the two worlds,
estimated on the first half.  Reference: Jagielski, Ullman, Oprea (2020), "Auditing
differentially private machine learning"; Ding et al. (2018), "Detecting violations of
differential privacy".

The zoo of deliberately broken mechanisms (``mechanism=broken_*``) exists to be caught.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy import stats

from simprive.attacks.registry import attack, known_others
from simprive.dp import Accountant
from simprive.metrics import ALPHA, LOWER_BOUND, REPORTED, Bound
from simprive.validation import ConfigError, check_probability

__all__ = ["Audit", "ComposedAudit", "check_game", "epsilon_lower_bound", "max_certifiable"]

# what the auditor can play: a mechanism that adds noise to a value, or one that plays its own
# pair of worlds (``play``); it asks the release, not its name
def _cp_upper(k, n, alpha):
    """One-sided Clopper–Pearson upper bound on a rate, vectorised (``beta.ppf``)."""
    k = np.asarray(k, float)
    return np.where(k >= n, 1.0, stats.beta.ppf(1 - alpha, k + 1, np.maximum(n - k, 1e-300)))


def epsilon_lower_bound(fp, fn, n0: int, n1: int, *, delta: float = 0.0, alpha: float = 0.05):
    """ε_LB from FP counts among n0 runs on D and FN counts among n1 runs on D′."""
    fpr, fnr = _cp_upper(fp, n0, alpha), _cp_upper(fn, n1, alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.log(np.maximum(1 - delta - fpr, 0) / fnr)
        b = np.log(np.maximum(1 - delta - fnr, 0) / fpr)
    return np.maximum(0.0, np.nan_to_num(np.maximum(a, b), nan=0.0, neginf=0.0))


def max_certifiable(n: int, *, alpha: float = 0.05) -> float:
    """The largest ε_LB any test can certify with n runs per world (no error at all)."""
    return float(epsilon_lower_bound(0, 0, n, n, alpha=alpha))


@dataclass(frozen=True)
class Audit:
    """Audits ``release`` (claimed ε, δ) with ``alpha``.

    ``unknown``: how many of the other parties' inputs the auditor does *not* know.  By
    default none (the worst case the definition speaks of); otherwise each run's total
    includes that many fresh yes/no inputs with prior ``p``, which the auditor cannot take
    out — an average-case game, weaker and with no exact ε to compare with."""

    METRICS: ClassVar = {"epsilon_lb": LOWER_BOUND, "epsilon_claimed": REPORTED}

    release: Any  # a Release (simprive.contracts)
    alpha: float = 0.05
    unknown: int = 0
    p: float = 0.5

    # -- the two worlds -------------------------------------------------------------------
    def outputs(self, world: int, size: int, rng) -> np.ndarray:
        """``size`` outputs of the mechanism on D (world 0) or D′ (world 1): its own pair of
        worlds if it plays one, else its noise on values one ``audit_shift`` apart (plus the
        others' inputs the auditor does not know)."""
        if hasattr(self.release, "play_world"):  # a protocol plays its own worlds on real runs
            return self.release.play_world(world, size, rng)
        noise = self.release.randomiser
        if self.plays:
            return noise.play(world, size, rng)
        value = np.full(size, world * noise.audit_shift(self.sensitivity))
        if self.unknown:  # the others' inputs the auditor cannot subtract
            value = value + rng.binomial(self.unknown, self.p, size)
        return noise.randomise(value, rng)

    @property
    def plays(self) -> bool:
        """Whether the mechanism plays its own worlds (randomized response, selection, …),
        which do not involve the other parties' inputs."""
        return hasattr(self.release.randomiser, "play")

    @property
    def sensitivity(self) -> float:
        return float(self.release.sensitivity)

    @property
    def game_delta(self) -> float:
        """The δ the certified ε is paired with: the release's own (NaN, no claim: 0)."""
        return self.release.delta if self.release.delta == self.release.delta else 0.0

    @property
    def discrete(self) -> bool:
        if hasattr(self.release, "play_world"):
            return bool(self.release.discrete_output)
        return bool(getattr(self.release.randomiser, "discrete", False))

    def exact_epsilon(self) -> float | None:
        """The true ε of the mechanism between these worlds, where it has a closed form (a
        protocol that plays its own worlds gives the bound its noise is proven to meet)."""
        if hasattr(self.release, "play_world"):
            return self.release.epsilon_bound()
        noise = self.release.randomiser
        if self.plays:
            return noise.game_epsilon()
        exact = noise.audit_epsilon(noise.audit_shift(self.sensitivity))
        if self.unknown and exact != 0:
            return None  # an average-case game: the worst-case ε is only an upper bound
        return exact

    # -- the game -------------------------------------------------------------------------
    def certify(self, runs: int, rng) -> tuple[float, Bound | None]:
        """ε_LB from ``runs`` outputs in each world (the test picked on one half, its errors
        counted on the other), and the expectation to check it against: the exact ε with
        the same counts' bound at the summary's strict level, which exceeds the exact ε
        only by a chance the agreement column calls negligible."""
        y0, y1 = self.outputs(0, runs, rng), self.outputs(1, runs, rng)
        h = runs // 2
        fp, fn, n0, n1 = self.errors(y0[:h], y1[:h], y0[h:], y1[h:])
        lb, strict = (float(epsilon_lower_bound(fp, fn, n0, n1, delta=self.game_delta, alpha=a))
                      for a in (self.alpha, ALPHA / 2))
        exact = self.exact_epsilon()
        return lb, None if exact is None else Bound(exact, strict)

    def once(self, trials: int, rng) -> tuple[dict, dict]:
        """The game with ``trials`` runs per world: the certified ε, and the claim beside it
        (reported, not checked)."""
        lb, expected = self.certify(trials, rng)
        return {"epsilon_lb": lb, "epsilon_claimed": self.release.epsilon}, {"epsilon_lb": expected}

    def _tests(self, pick0, pick1, count0, count1):
        """Candidate scores (larger means "D′") on the choosing and the counting data: the
        output itself, either way round; for discrete outputs also each value's log
        frequency ratio.  The ratios are estimated on one half of the picking runs and every
        test's threshold is chosen on the other half, so that no test looks better than it
        is; choosing among more candidates costs the certified bound nothing, for the
        counting half sees only the one chosen."""
        if not self.discrete:
            return [(pick0, pick1, count0, count1), (-pick0, -pick1, -count0, -count1)]
        h0, h1 = len(pick0) // 2, len(pick1) // 2
        fit0, fit1, pick0, pick1 = pick0[:h0], pick1[:h1], pick0[h0:], pick1[h1:]
        tests = [(pick0, pick1, count0, count1), (-pick0, -pick1, -count0, -count1)]
        values = np.union1d(fit0, fit1)
        f0 = np.bincount(np.searchsorted(values, fit0), minlength=len(values)) + 0.5
        f1 = np.bincount(np.searchsorted(values, fit1), minlength=len(values)) + 0.5
        ratio = np.log(f1 / f0)
        score = lambda y: np.where(np.isin(y, values), ratio[np.searchsorted(values, y).clip(0, len(values) - 1)], 0.0)  # noqa: E731
        return [*tests, (score(pick0), score(pick1), score(count0), score(count1))]

    def errors(self, pick0, pick1, count0, count1) -> tuple[int, int, int, int]:
        """Choose the threshold test on the picking half; its false positives and negatives
        on the counting half, and the runs they are out of."""
        best_eps, chosen = -1.0, None
        for a0, a1, b0, b1 in self._tests(pick0, pick1, count0, count1):
            thresholds = np.unique(np.quantile(np.concatenate([a0, a1]), np.linspace(0, 1, 201)))
            # say "D′" when score > τ: false positives on D, false negatives on D′
            fp = len(a0) - np.searchsorted(np.sort(a0), thresholds, side="right")
            fn = np.searchsorted(np.sort(a1), thresholds, side="right")
            eps = epsilon_lower_bound(fp, fn, len(a0), len(a1), delta=self.game_delta, alpha=self.alpha)
            i = int(np.argmax(eps))
            if eps[i] > best_eps:
                best_eps, chosen = float(eps[i]), (thresholds[i], b0, b1)
        assert chosen is not None, "a game has at least one test"
        tau, b0, b1 = chosen
        return int((b0 > tau).sum()), int((b1 <= tau).sum()), len(b0), len(b1)


@dataclass(frozen=True)
class ComposedAudit(Audit):
    """The game against ``releases`` independent releases of the same additive-noise query:
    the auditor sees all of them and scores each run by the log-likelihood ratio of D′ to D
    (the optimal test statistic), certifying ε at ``target_delta``.  Its exact ε is the
    composed release's ε at that δ by privacy loss distributions (dp-accounting)."""

    releases: int = 1
    target_delta: float = 1e-5

    @property
    def game_delta(self) -> float:
        return self.target_delta

    @property
    def discrete(self) -> bool:
        return hasattr(self.release.randomiser.law, "logpmf")

    def outputs(self, world: int, size: int, rng) -> np.ndarray:
        noise, shift = self.release.randomiser, self.sensitivity
        llr = np.zeros(size)
        for _ in range(self.releases):  # a loop over releases, each vectorised over the runs
            y = world * shift + noise.sample(size, rng)
            llr += noise.log_density(y - shift) - noise.log_density(y)
        return np.round(llr, 9)  # integer noise: equal sums of equal terms compare equal

    def exact_epsilon(self) -> float:
        acc = Accountant()
        acc.spend(mechanism=self.release.randomiser, times=self.releases)
        return acc.pld(self.target_delta)


def check_game(cfg: dict, trials: int) -> float:
    """The level α of a distinguishing game with ``trials`` runs per world."""
    if trials < 4:
        raise ConfigError("trials", trials, "a distinguishing game needs at least 4 trials per world")
    alpha = check_probability("adversary.alpha", cfg["alpha"])
    if not 0 < alpha < 0.5:
        raise ConfigError("adversary.alpha", alpha, "must be in (0, 0.5)")
    return alpha


@attack("auditor", aux=known_others, plays_broken=True)
def build_auditor(cfg: dict, release, n: int, trials: int) -> Audit:
    """The distinguishing game on neighbouring datasets, knowing all but the unknown others."""
    return build_audit(cfg, release, trials, n - 1 - known_others(cfg, n))


def build_audit(cfg: dict, release, trials: int, unknown: int = 0) -> Audit:
    noise = getattr(release, "randomiser", None)
    if not (hasattr(noise, "play") or hasattr(noise, "audit_shift") or hasattr(release, "play_world")):
        raise ConfigError("mechanism", release.kind, "the auditor plays mechanisms that add noise or play their own "
                                                     "worlds (randomized response, selection, the broken zoo, "
                                                     "secure aggregation with distributed noise)")
    alpha = check_game(cfg, trials)
    top = max_certifiable(trials // 2, alpha=alpha)
    if top < release.epsilon:
        print(f"simprive: warning: {trials} trials per world can certify at most epsilon={top:.3g} "
              f"(< the claimed {release.epsilon:g}); raise trials to audit the claim", file=sys.stderr)
    if unknown and (release.scenario.inputs != "answers" or not getattr(release.scenario, "iid", True)):
        raise ConfigError("adversary.known_fraction", cfg.get("known_fraction"),
                          "an auditor who does not know every other input needs independent yes/no inputs "
                          "(scenario=categorical, or scenario=table with yes_values, sampled with_replacement)")
    return Audit(release, alpha, unknown, getattr(release.scenario, "p", 0.5))

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

import functools
import math
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
from scipy import stats

from simprive.attacks.distinguish import candidates
from simprive.attacks.registry import attack, known_others
from simprive.dp import Accountant
from simprive.metrics import ALPHA, LOWER_BOUND, MEASUREMENT, REPORTED, Bound, Spread
from simprive.validation import ConfigError, check_int, check_probability

__all__ = ["Audit", "ComposedAudit", "best_threshold", "check_game", "epsilon_lower_bound", "max_certifiable"]

CHUNK = 1 << 20  # outputs drawn and scored at a time: a vector mechanism's millions of runs fit
FIT_MAX = 1_000_000  # runs per world that fit the tests; the rest of the first half choose one
MAX_THRESHOLDS = 4096  # a score with no more distinct values is tried at every one of them

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
    out — an average-case game, weaker and with no exact ε to compare with.

    ``pair``: the two neighbouring datasets, for a mechanism that runs on datasets
    (``mechanism=zoo``, a user's mechanism); None for one that plays its own worlds."""

    METRICS: ClassVar = {"epsilon_lb": LOWER_BOUND, "epsilon_claimed": REPORTED, "epsilon_dpsniper": REPORTED,
                         "type2": MEASUREMENT, "type2_claimed": REPORTED}

    release: Any  # a Release (simprive.contracts)
    alpha: float = 0.05
    unknown: int = 0
    p: float = 0.5
    pair: tuple[np.ndarray, np.ndarray] | None = None
    tradeoff: bool = False

    # -- the two worlds -------------------------------------------------------------------
    def outputs(self, world: int, size: int, rng) -> np.ndarray:
        """``size`` outputs of the mechanism on D (world 0) or D′ (world 1): its own pair of
        worlds if it plays one, else its noise on values one ``audit_shift`` apart (plus the
        others' inputs the auditor does not know)."""
        if self.pair is not None:  # a mechanism on datasets: a batch of copies of one of them
            return self.release.play_pair(self.pair[world], size, rng)
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
    def claimed(self) -> float:
        """The ε the mechanism claims in this game, which a bound above it violates."""
        return self.release.epsilon

    @property
    def game_delta(self) -> float:
        """The δ the certified ε is paired with: the release's own (NaN, no claim: 0)."""
        return self.release.delta if self.release.delta == self.release.delta else 0.0

    @property
    def discrete(self) -> bool:
        if self.pair is not None:
            return self._output_kind[0]
        if hasattr(self.release, "play_world"):
            return bool(self.release.discrete_output)
        return bool(getattr(self.release.randomiser, "discrete", False))

    def exact_epsilon(self) -> float | None:
        """The true ε of the mechanism between these worlds, where it has a closed form (a
        protocol that plays its own worlds gives the bound its noise is proven to meet)."""
        if self.pair is not None:
            return self.release.exact_epsilon(*self.pair)
        if hasattr(self.release, "play_world"):
            return self.release.epsilon_bound()
        noise = self.release.randomiser
        if self.plays:
            return noise.game_epsilon()
        exact = noise.audit_epsilon(noise.audit_shift(self.sensitivity))
        if self.unknown and exact != 0:
            return None  # an average-case game: the worst-case ε is only an upper bound
        return exact

    @property
    def log_ratio(self):
        """The exact log-likelihood ratio of an output, where the mechanism knows its law."""
        return self.release.log_ratio(*self.pair) if self.pair is not None else None

    def fit_runs(self, pick: int) -> int:
        """How many of the picking runs fit the tests (frequencies, a learned model) rather
        than choose among them: none for a number the output itself tests best."""
        if not self.discrete and self.log_ratio is None and not self.vector:
            return 0
        return min(pick // 2, FIT_MAX)

    @property
    def vector(self) -> bool:
        return self.pair is not None and self._output_kind[1]

    @functools.cached_property
    def _output_kind(self) -> tuple[bool, bool]:
        """(discrete, vector) for the outputs on D, read once per game: the mechanism is tried
        on a small batch to find out."""
        assert self.pair is not None  # asked only of a game on datasets
        return self.release.output_kind(self.pair[0])

    # -- the game -------------------------------------------------------------------------
    def certify(self, runs: int, rng) -> tuple[float, Bound]:
        """ε_LB from ``runs`` outputs in each world, and the expectation to check it against
        (:meth:`game`)."""
        return self.game(runs, rng)[:2]

    def game(self, runs: int, rng) -> tuple[float, Bound, np.ndarray, np.ndarray]:
        """ε_LB from ``runs`` outputs in each world: the tests fitted on some of the first
        half, one test and threshold chosen on the rest of it, its errors counted on the second
        half; the expectation to check it against: the exact ε (NaN where none is known)
        with the same counts' bound at the summary's strict level, which exceeds the exact ε
        only by a chance the agreement column calls negligible, and the claimed ε; and the
        chosen test's scores on the counting runs of each world."""
        h = runs // 2
        fit = self.fit_runs(h)
        fit0, fit1 = (self.outputs(w, fit, rng) if fit else np.empty(0) for w in (0, 1))
        tests = candidates(fit0, fit1, discrete=self.discrete, log_ratio=self.log_ratio, rng=rng)
        pick0, pick1 = (self.scores(w, h - fit, tests, rng) for w in (0, 1))
        chosen, tau = max(((i, *best_threshold(pick0[i], pick1[i], self.game_delta, self.alpha))
                           for i in range(len(tests))), key=lambda c: c[1])[::2]
        del pick0, pick1
        (s0,), (s1,) = (self.scores(w, runs - h, [tests[chosen]], rng) for w in (0, 1))
        fp, fn, n0, n1 = int((s0 > tau).sum()), int((s1 <= tau).sum()), len(s0), len(s1)
        lb, strict = (float(epsilon_lower_bound(fp, fn, n0, n1, delta=self.game_delta, alpha=a))
                      for a in (self.alpha, ALPHA / 2))
        exact = self.exact_epsilon()
        return lb, Bound(math.nan if exact is None else exact, strict, self.claimed), s0, s1

    def scores(self, world: int, size: int, tests: list, rng) -> list[np.ndarray]:
        """Each test's score on ``size`` fresh outputs of ``world``, drawn CHUNK at a time."""
        out: list[list[np.ndarray]] = [[] for _ in tests]
        for start in range(0, size, CHUNK):
            y = self.outputs(world, min(CHUNK, size - start), rng)
            for i, t in enumerate(tests):  # ±inf (impossible in one world) kept in order, finite
                out[i].append(np.nan_to_num(np.asarray(t.of(y), float), nan=0.0, posinf=1e300, neginf=-1e300))
        return [np.concatenate(o) if o else np.empty(0) for o in out]

    def once(self, trials: int, rng) -> tuple[dict, dict]:
        """The game with ``trials`` runs per world: the certified ε, and the claim beside it
        (reported, not checked); with ``tradeoff``, the chosen test's trade-off curve."""
        lb, bound, s0, s1 = self.game(trials, rng)
        metrics = {"epsilon_lb": lb, "epsilon_claimed": self.release.epsilon}
        expected: dict[str, Bound | Spread] = {"epsilon_lb": bound}
        published = getattr(self.release, "published_epsilon", None)
        if published is not None:  # a suite mechanism: DP-Sniper's bound beside simprive's
            metrics["epsilon_dpsniper"] = published
        if self.tradeoff:
            curve, exact = tradeoff(s0, s1), self.exact_tradeoff()
            claim = claimed_tradeoff(TYPE1, self.release.epsilon, self.game_delta)
            for i, a in enumerate(TYPE1):
                metrics[f"type2[type1={a:g}]"], metrics[f"type2_claimed[type1={a:g}]"] = curve[i], claim[i]
                if exact is not None:  # the sd of the curve's point: its β's and its threshold's
                    f, slope = exact[0][i], exact[1][i]
                    sd = math.sqrt(f * (1 - f) / len(s1) + slope**2 * a * (1 - a) / len(s0))
                    expected[f"type2[type1={a:g}]"] = Spread(f, sd * math.sqrt(trials))
        return metrics, expected

    def exact_tradeoff(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The true trade-off between the worlds at TYPE1, and its slope there, for a noise
        with a continuous law whose likelihood ratio grows with the output (Gaussian,
        Laplace): thresholds on the output are the optimal tests, so β(α) = F(F⁻¹(1 − α) − s)
        for the noise's cdf F and the worlds' shift s (Dong, Roth & Su 2019).  None otherwise."""
        if self.pair is not None or self.plays or self.unknown or hasattr(self.release, "play_world"):
            return None
        noise = self.release.randomiser
        if getattr(self.release, "family", "") == "broken" or noise.law is None or noise.discrete:
            return None
        shift = noise.audit_shift(self.sensitivity)
        at = noise.law.ppf(1 - np.asarray(TYPE1))
        return noise.law.cdf(at - shift), -noise.law.pdf(at - shift) / noise.law.pdf(at)


TYPE1 = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def tradeoff(s0: np.ndarray, s1: np.ndarray, type1=TYPE1) -> np.ndarray:
    """The test's trade-off curve on these runs (f-DP, Dong, Roth & Su 2019): at each type I
    error α, the type II error β of the threshold "say D′ when the score > τ" with the least
    τ whose false positives are at most α of ``s0``."""
    s0 = np.sort(s0)
    allowed = np.floor(np.asarray(type1) * len(s0)).astype(int)  # false positives at most these
    tau = s0[np.clip(len(s0) - allowed - 1, 0, len(s0) - 1)]
    return np.searchsorted(np.sort(s1), tau, side="right") / len(s1)


def claimed_tradeoff(type1, epsilon: float, delta: float = 0.0) -> np.ndarray:
    """The least type II error an (ε, δ)-DP mechanism allows at type I error α (Wasserman &
    Zhou; Kairouz et al.): max(0, 1 − δ − e^ε α, e^−ε (1 − δ − α))."""
    a = np.asarray(type1, float)
    return np.maximum.reduce([np.zeros_like(a), 1 - delta - math.exp(epsilon) * a,
                              math.exp(-epsilon) * (1 - delta - a)])


def best_threshold(a0: np.ndarray, a1: np.ndarray, delta: float, alpha: float) -> tuple[float, float]:
    """The threshold τ of "say D′ when the score > τ" with the best bound on these runs, and
    that bound: among the pooled scores' percentiles and far-tail quantiles, or every distinct
    score when there are few.  Each is judged at level α over the number of thresholds tried
    (Bonferroni): the best of hundreds of far-tail thresholds at level α is mostly luck, a
    few runs that happened to fall one way, and would certify nothing on fresh runs."""
    s0, s1 = np.sort(a0), np.sort(a1)
    u0, u1 = (s[np.r_[True, s[1:] != s[:-1]]] if len(s) else s for s in (s0, s1))
    if len(u0) + len(u1) <= MAX_THRESHOLDS:
        thresholds = np.union1d(u0, u1)
    else:
        tail = np.logspace(-7, -2, 26)
        thresholds = np.unique(np.quantile(np.concatenate([a0, a1]), np.r_[np.linspace(0, 1, 201), tail, 1 - tail]))
    fp = len(a0) - np.searchsorted(s0, thresholds, side="right")
    fn = np.searchsorted(s1, thresholds, side="right")
    eps = epsilon_lower_bound(fp, fn, len(a0), len(a1), delta=delta, alpha=alpha / len(thresholds))
    i = int(np.argmax(eps))
    return float(eps[i]), float(thresholds[i])


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
    def claimed(self) -> float:
        return math.nan  # the release claims ε once; the composition's exact ε is the accountant's

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
    on_datasets = hasattr(release, "play_pair")
    if not (on_datasets or hasattr(noise, "play") or hasattr(noise, "audit_shift") or hasattr(release, "play_world")):
        raise ConfigError("mechanism", release.kind, "the auditor plays mechanisms that add noise or play their own "
                                                     "worlds (randomized response, selection, the broken zoo, "
                                                     "secure aggregation with distributed noise), or runs "
                                                     "mechanism=zoo on a pair of datasets")
    alpha = check_game(cfg, trials)
    needed = trials_needed(release.epsilon, alpha)
    if trials < needed:
        raise ConfigError("trials", trials, f"{trials} trials per world can certify at most "
                                            f"epsilon={max_certifiable(trials // 2, alpha=alpha):.3g}, below the "
                                            f"claimed {release.epsilon:g}: at least {needed} are needed to audit it")
    if unknown and (release.scenario.inputs != "answers" or not getattr(release.scenario, "iid", True)):
        raise ConfigError("adversary.known_fraction", cfg.get("known_fraction"),
                          "an auditor who does not know every other input needs independent yes/no inputs "
                          "(scenario=categorical, or scenario=table with yes_values, sampled with_replacement)")
    given = cfg.get("pair")
    curve = cfg.get("tradeoff", False)
    if not isinstance(curve, bool):
        raise ConfigError("adversary.tradeoff", curve, "must be true or false")
    if not on_datasets:
        if given is not None:
            raise ConfigError("adversary.pair", given, f"mechanism={release.kind} plays its own worlds; a pair of "
                                                       "datasets is for mechanism=zoo")
        return Audit(release, alpha, unknown, getattr(release.scenario, "p", 0.5), tradeoff=curve)
    if given == "search":
        searched = check_int("adversary.search_trials", cfg.get("search_trials", 20_000), minimum=4)
        pairs = tuple(release.check_pair(p, "adversary.pair") for p in patterns(release.pair))
        return SearchedAudit(release, alpha, pair=pairs[0], tradeoff=curve, pairs=pairs,
                             search_trials=min(searched, trials))
    pair = release.pair if given is None else release.check_pair(given, "adversary.pair")
    return Audit(release, alpha, pair=pair, tradeoff=curve)


def trials_needed(claimed: float, alpha: float) -> int:
    """The fewest trials per world whose counting half could certify ``claimed`` with a
    perfect test (4, the game's minimum, when there is no finite claim)."""
    if not math.isfinite(claimed) or max_certifiable(2, alpha=alpha) >= claimed:
        return 4
    low, high = 2, 4
    while max_certifiable(high, alpha=alpha) < claimed:
        low, high = high, 2 * high
    while high - low > 1:  # max_certifiable grows with the runs: bisect
        mid = (low + high) // 2
        low, high = (mid, high) if max_certifiable(mid, alpha=alpha) < claimed else (low, mid)
    return max(4, 2 * high)


def patterns(pair) -> list[tuple[np.ndarray, np.ndarray]]:
    """The candidate pairs of neighbouring datasets that StatDP and DP-Sniper search, at the
    size of ``pair`` (which comes first): from all ones, one input moved up or down, one up
    and the rest down and the reverse, half up, all up, all down, and the "X" shape; each both
    ways round."""
    shape = np.shape(pair[0])
    k = math.prod(shape)  # records of several features: the patterns run over all their entries
    ones, half = np.ones(k), k // 2
    raw = [(ones, np.r_[0.0, ones[1:]]), (ones, np.r_[2.0, ones[1:]])]
    if k > 1:
        raw += [(ones, np.r_[2.0, np.zeros(k - 1)]), (ones, np.r_[0.0, 2 * ones[1:]]),
                (ones, np.r_[2 * ones[:half], np.zeros(k - half)]), (ones, 2 * ones), (ones, np.zeros(k)),
                (np.r_[ones[:half], np.zeros(k - half)], np.r_[np.zeros(half), ones[half:]])]
    out = [(np.asarray(pair[0], float), np.asarray(pair[1], float))]
    for a, b in raw:
        for p in ((a.reshape(shape), b.reshape(shape)), (b.reshape(shape), a.reshape(shape))):
            if not any(np.array_equal(p[0], q[0]) and np.array_equal(p[1], q[1]) for q in out):
                out.append(p)
    return out


@dataclass(frozen=True)
class SearchedAudit(Audit):
    """The game on the best of ``pairs``: each played with ``search_trials`` runs per world,
    the one certifying most played again with all the trials (fresh runs: choosing it costs
    the bound nothing).  ``pair_index`` says which, in the order of :func:`patterns`."""

    METRICS: ClassVar = {**Audit.METRICS, "pair_index": REPORTED}

    pairs: tuple = ()
    search_trials: int = 20_000

    def once(self, trials: int, rng) -> tuple[dict, dict]:
        found = [replace(self, pair=p).certify(self.search_trials, rng)[0] for p in self.pairs]
        best = int(np.argmax(found))
        metrics, expected = Audit.once(replace(self, pair=self.pairs[best]), trials, rng)
        return {**metrics, "pair_index": float(best)}, expected

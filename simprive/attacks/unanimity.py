"""What a vote release tells an adversary who already knows some of the other votes.

n voters vote 1 with prior probability p, independently.  The adversary targets voter 0,
knows the votes of voters 1…k, and sees the release.  Only ``w`` matters to it: the
release with the known votes taken out.  With m = n − 1 − k unknown votes U ~ Bin(m, p):

=================  ======================================  ==============================
release            what the adversary observes             likelihood P(obs | x₀)
=================  ======================================  ==============================
exact tally        w = t − S_known = x₀ + U                Bin(w − x₀; m, p)
DP tally           w = t + Z − S_known, Z ~ DLap(α)        Σ_u Bin(u; m, p)·DLap(w − x₀ − u)
"YES iff ≥ half"   (S_known, y), y = [2t ≥ n]              Bin(S; k, p)·P(U ≥ ⌈n/2⌉ − x₀ − S)
randomized resp.   voter 0's own report r                  π if r = x₀ else 1 − π
=================  ======================================  ==============================

Metrics: the posterior of the true vote, the best attack's accuracy (the MAP guess), the
chance the vote is fully exposed, and the min-entropy leakage log2(V_post / V_prior), with
V the probability of guessing the vote in one try; for the ε-DP releases, also the bounds
ε-DP puts on the posterior and on the best attack's accuracy (:meth:`VoteAttack.dp_bounds`).
The posterior is exact (Bayes on these tables), and so are the expected metrics: the table
of P(x₀, obs) is enumerated over every observation, with the discrete-Laplace tail cut where
its mass is below 1e-15.  For the exact tally the vote is exposed iff w ∈ {0, m + 1}, with
probability p^(m+1) + (1 − p)^(m+1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy import stats

from simprive.attacks.registry import attack, check_independent, known_others
from simprive.dp.randomized_response import RandomizedResponse
from simprive.metrics import INDICATOR, MEASUREMENT, REPORTED, Spread
from simprive.validation import ConfigError

__all__ = ["VoteAttack", "vote_channel"]

CERTAIN = 1e-12


@dataclass(frozen=True)
class VoteAttack:
    """The Bayes-optimal attack on voter 0 through one channel (:func:`vote_channel`)."""

    METRICS: ClassVar = {"attack_correct": INDICATOR, "exposed": INDICATOR,
                         **dict.fromkeys(("posterior_true", "max_posterior", "min_entropy_leakage"), MEASUREMENT),
                         **dict.fromkeys(("posterior_bound", "accuracy_bound"), REPORTED)}

    release: str  # the channel: tally, dp_tally, threshold or rr
    n: int
    known: int
    p: float
    epsilon: float = math.nan
    sensitivity: float = 1.0  # of the DP tally's count: its noise is DLap(ε/Δ) unless `noise` says
    noise: Any = None  # the DP tally's integer noise, with its `law`

    @property
    def unknown(self) -> int:
        return self.n - 1 - self.known

    def table(self) -> tuple[np.ndarray, dict]:
        """``P[x0, j]``: joint probability of the target's vote and observation j, and a
        description of the observation grid."""
        p, m, k = self.p, self.unknown, self.known
        prior = np.array([1 - p, p])
        if self.release == "tally":
            w = np.arange(m + 2)
            like = np.stack([stats.binom.pmf(w - x, m, p) for x in (0, 1)])
            return prior[:, None] * like, {"offset": 0}
        if self.release == "dp_tally":
            a = self.epsilon / self.sensitivity
            noise = stats.dlaplace(a) if self.noise is None else self.noise.law
            alpha = getattr(self.noise, "alpha", math.exp(-a))  # the geometric law's ratio
            if self.noise is None or hasattr(self.noise, "alpha"):
                tail = int(math.ceil(math.log(1e-15) / math.log(alpha))) if alpha > 0 else 0
            else:  # any other integer noise: as far as its mass reaches
                tail = int(noise.isf(1e-15)) + 1
            w = np.arange(-tail, m + 2 + tail)
            u = np.arange(m + 1)
            like = np.stack([(stats.binom.pmf(u, m, p)[None, :] * noise.pmf(w[:, None] - x - u[None, :])).sum(axis=1)
                             for x in (0, 1)])
            return prior[:, None] * like, {"offset": -tail}
        if self.release == "threshold":
            s = np.arange(k + 1)
            need = math.ceil(self.n / 2)
            yes = np.stack([stats.binom.sf(need - x - s - 1, m, p) for x in (0, 1)])  # P(U ≥ need − x − s)
            ps = stats.binom.pmf(s, k, p)
            like = np.concatenate([ps * (1 - yes), ps * yes], axis=1)  # observation j = y·(k+1) + s
            return prior[:, None] * like, {"k": k}
        pi = RandomizedResponse(epsilon=self.epsilon, k=2).p
        like = np.array([[pi, 1 - pi], [1 - pi, pi]])  # [x0, report]
        return prior[:, None] * like, {}

    def observation_index(self, votes: np.ndarray, observed: dict, P: np.ndarray, grid: dict) -> np.ndarray:
        """Which column of the table ``P`` each trial's release falls in."""
        known = votes[:, 1 : 1 + self.known].sum(axis=1)
        if self.release in ("tally", "dp_tally"):
            w = np.rint(observed["estimate"]).astype(np.int64) - known
            return np.clip(w - grid["offset"], 0, P.shape[1] - 1)
        if self.release == "threshold":
            return np.rint(observed["estimate"]).astype(np.int64) * (self.known + 1) + known
        return observed["reports"][:, 0].astype(np.int64)

    def run(self, data, observed: dict, rng=None) -> tuple[dict, dict]:
        votes = data.values
        P, grid = self.table()  # built once per batch
        post1 = P[1] / np.maximum(P.sum(axis=0), 1e-300)  # P(x0 = 1 | obs) per column
        j = self.observation_index(votes, observed, P, grid)
        truth = votes[:, 0].astype(np.int64)
        q1 = post1[j]
        post_true = np.where(truth == 1, q1, 1 - q1)
        guess = np.where(q1 > 0.5, 1, np.where(q1 < 0.5, 0, int(self.p >= 0.5)))
        best = np.maximum(q1, 1 - q1)
        vulnerability = max(self.p, 1 - self.p)  # the prior's best guess
        # min-entropy leakage log2(E[max posterior] / V_prior) is a function of a mean: each
        # trial carries its influence-function value, so the row's mean is the estimate and
        # its spread the delta-method standard error
        mean_best = best.mean()
        leakage = np.log2(mean_best / vulnerability) + (best - mean_best) / (mean_best * np.log(2))
        metrics = {
            "posterior_true": post_true,
            "max_posterior": best,
            "attack_correct": (guess == truth).astype(float),
            "exposed": (post_true >= 1 - CERTAIN).astype(float),
            "min_entropy_leakage": leakage,
        }
        # exact expectations over votes and noise, from the same table, with the exact spread
        # of each per-trial value (a threshold's rare "NO" barely shows in a few thousand trials)
        col = P.sum(axis=0)
        safe = np.maximum(col, 1e-300)
        expected_best = float(np.maximum(P[0], P[1]).sum())
        best_sd = _sd(col, np.maximum(P[0], P[1]) / safe)
        post = np.stack([P[0] / safe, P[1] / safe])  # P(x0 = x | column)
        expected = {
            "max_posterior": Spread(expected_best, best_sd),
            "attack_correct": expected_best,
            "posterior_true": Spread(float(((P[0] ** 2 + P[1] ** 2) / safe).sum()), _sd(P, post)),
            "exposed": float((P[0] * (P[1] <= CERTAIN * safe) + P[1] * (P[0] <= CERTAIN * safe)).sum()),
            "min_entropy_leakage": Spread(float(np.log2(expected_best / vulnerability)),
                                          best_sd / (expected_best * np.log(2))),
        }
        if self.release in ("dp_tally", "rr"):
            metrics.update({k: np.full(len(votes), v) for k, v in self.dp_bounds().items()})
        return metrics, expected

    def dp_bounds(self) -> dict[str, float]:
        """What ε-DP guarantees whatever the adversary knows (reported beside the attack, not
        checked: bounds, not expectations).  Any output moves the odds of x₀ = 1 by at most
        e^ε, so the posterior stays below p'e^ε/(p'e^ε + 1 − p'), p' = max(p, 1 − p); and the
        best guess is right with probability at most max(p, 1 − p, e^ε/(1 + e^ε)): the
        larger of the prior's best guess and randomized response's keep rate, which every
        ε-DP release is a post-processing of (Kairouz, Oh, Viswanath 2015)."""
        top, odds = max(self.p, 1 - self.p), math.exp(self.epsilon)
        return {"posterior_bound": top * odds / (top * odds + 1 - top),
                "accuracy_bound": max(top, odds / (1 + odds))}


def _sd(weights: np.ndarray, values: np.ndarray) -> float:
    """The standard deviation of ``values`` drawn with probabilities ``weights``."""
    mean = float((weights * values).sum())
    return float(np.sqrt(max((weights * values**2).sum() - mean**2, 0.0)))


def vote_channel(release) -> str:
    """What a release of a yes/no vote lets an adversary see, from what the release offers:
    ``threshold`` ("YES iff ≥ half"), ``rr`` (each voter's randomized report), ``tally`` (the
    exact count) or ``dp_tally`` (the count plus integer noise with a known law)."""
    noise, query = getattr(release, "randomiser", None), release.query
    exposes = getattr(release, "exposes_estimate", True)
    if query == "threshold" and exposes:
        return "threshold"
    if getattr(release, "family", None) == "local":
        return "rr"
    if query in ("histogram", "sum", "count") and noise is None and exposes:
        return "tally"
    if query in ("sum", "count") and getattr(noise, "discrete", False) and getattr(noise, "law", None) is not None:
        return "dp_tally"
    raise ConfigError("mechanism", release.kind, "the vote attack reads an exact count, a count with integer noise, "
                                                 "a YES-iff-half threshold or randomized-response reports")


@attack("knows_votes", aux=known_others)
def build_vote_attack(cfg: dict, release, n: int, trials: int) -> VoteAttack:
    known = known_others(cfg, n)
    channel = vote_channel(release)
    scenario = release.scenario
    if scenario.inputs != "answers" or scenario.k != 2:
        raise ConfigError("scenario", scenario.kind, "the vote attack needs yes/no votes (scenario=categorical, k=2)")
    check_independent(scenario)
    if channel == "rr" and not release.per_party:
        raise ConfigError("mechanism.path", "counts",
                          "the vote attack reads the target's own report: set mechanism.path=individual")
    if not 0 <= known <= n - 1:
        raise ConfigError("adversary.known", known, f"must be in [0, n-1] = [0, {n - 1}]: the other voters")
    if channel != "dp_tally":
        return VoteAttack(channel, n, known, scenario.p, release.epsilon)
    return VoteAttack(channel, n, known, scenario.p, release.epsilon, release.sensitivity, release.randomiser)

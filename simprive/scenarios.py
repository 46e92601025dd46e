"""Scenarios: who holds which private inputs, drawn for all T trials at once.

A scenario turns its config into a frozen dataclass (validating every field) and draws
a :class:`Data` batch from the *data* stream only, so every mechanism at one setting sees
the same inputs (common random numbers).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar

import numpy as np
from scipy import stats

from simprive.validation import ConfigError, check_choice, check_int, check_probability, check_range, check_real

__all__ = ["Approval", "Bounded", "Categorical", "Data", "build_scenario"]


@dataclass
class Data:
    """One batch of trials.  ``values``: ``(T, n)`` individual inputs, when drawn;
    ``counts``: ``(T, k)`` sufficient statistics (how many inputs took each value)."""

    n: int
    values: np.ndarray | None = None
    counts: np.ndarray | None = None

    @property
    def trials(self) -> int:
        return len(self.values if self.values is not None else self.counts)


@dataclass(frozen=True)
class Categorical:
    """Each of n parties holds an answer in ``{0, …, k−1}``: answer 1 with probability
    ``p``, every other answer with ``(1−p)/(k−1)``.  With k = 2, bits with prevalence p
    (the article's poll: p is the fraction who predict 1)."""

    p: float = 0.5
    k: int = 2
    kind: str = "categorical"
    # a central release counts answer 1: each party adds 0 or 1, whatever lower/upper say
    fixed_range: ClassVar[tuple[float, float]] = (0.0, 1.0)
    integer: ClassVar[bool] = True

    def __post_init__(self):
        check_probability("scenario.p", self.p)
        check_int("scenario.k", self.k, minimum=2)

    @property
    def probabilities(self) -> np.ndarray:
        pr = np.full(self.k, (1 - self.p) / (self.k - 1))
        pr[1] = self.p
        return pr

    def draw(self, rng, trials: int, n: int, individual: bool = False) -> Data:
        if individual:
            values = rng.choice(self.k, size=(trials, n), p=self.probabilities).astype(np.int8)
            return Data(n, values=values, counts=count_values(values, self.k))
        return Data(n, counts=rng.multinomial(n, self.probabilities, size=trials))

    def mean(self) -> float:
        """Population share of answer 1."""
        return self.p

    def clip_moments(self, lower, upper):
        return 0.0, 0.0


@dataclass(frozen=True)
class Bounded:
    """Real (or integer) inputs drawn uniformly from ``[low, high]``.  The declared range
    ``[lower, upper]`` the mechanism clamps to may be narrower, which clips inputs (bias)
    — or wider, which costs noise."""

    low: float = 0.0
    high: float = 1.0
    integer: bool = False
    kind: str = "bounded"
    fixed_range: ClassVar[None] = None  # clamped to the config's declared [lower, upper]

    def __post_init__(self):
        check_range(self.low, self.high, ("scenario.low", "scenario.high"))
        if self.integer and not (float(self.low).is_integer() and float(self.high).is_integer()):
            raise ConfigError("scenario.low", self.low, "must be an integer when scenario.integer=true")

    @property
    def dist(self):
        if self.integer:
            return stats.randint(int(self.low), int(self.high) + 1)
        return stats.uniform(loc=self.low, scale=self.high - self.low)

    def draw(self, rng, trials: int, n: int, individual: bool = True) -> Data:
        if self.integer:
            values = rng.integers(int(self.low), int(self.high), size=(trials, n), endpoint=True)
        else:
            values = rng.uniform(self.low, self.high, size=(trials, n))
        return Data(n, values=values)

    def mean(self) -> float:
        return float(self.dist.mean())

    def clip_moments(self, lower: float, upper: float) -> tuple[float, float]:
        """Mean and variance of ``clamp(X) − X`` for one input: the clipping error."""
        d = self.dist
        m1 = d.expect(lambda x: np.clip(x, lower, upper) - x)
        m2 = d.expect(lambda x: (np.clip(x, lower, upper) - x) ** 2)
        return float(m1), float(max(m2 - m1 * m1, 0.0))


@dataclass(frozen=True)
class Approval:
    """Approval ballots: each of n voters approves candidate j independently with
    probability ``approval − j·margin``; candidate 0 leads in expectation by
    ``margin·n`` approvals."""

    candidates: int = 4
    approval: float = 0.5
    margin: float = 0.05
    kind: str = "approval"
    fixed_range: ClassVar[tuple[float, float]] = (0.0, 1.0)  # one ballot moves a tally by ≤ 1
    integer: ClassVar[bool] = True

    def __post_init__(self):
        check_int("scenario.candidates", self.candidates, minimum=2)
        check_probability("scenario.approval", self.approval)
        margin = check_real("scenario.margin", self.margin)
        lowest = self.approval - margin * (self.candidates - 1)
        if margin < 0 or lowest < 0:
            raise ConfigError(
                "scenario.margin", self.margin,
                f"must be in [0, {self.approval / (self.candidates - 1):g}] so every approval rate is in [0, 1]",
            )

    @property
    def probabilities(self) -> np.ndarray:
        return self.approval - self.margin * np.arange(self.candidates)

    def draw(self, rng, trials: int, n: int, individual: bool = False) -> Data:
        pr = self.probabilities
        if individual:
            ballots = rng.random((trials, n, self.candidates)) < pr
            return Data(n, values=ballots, counts=ballots.sum(axis=1))
        # each candidate's tally is a sum of n independent approvals: exactly Bin(n, p_j)
        return Data(n, counts=rng.binomial(n, pr, size=(trials, self.candidates)))

    def mean(self) -> float:
        return float(self.probabilities[0])

    def clip_moments(self, lower, upper):
        return 0.0, 0.0


def count_values(values: np.ndarray, k: int) -> np.ndarray:
    """``(T, n)`` answers in ``[0, k)`` → ``(T, k)`` counts, without a loop over trials."""
    T = values.shape[0]
    flat = values.astype(np.int64) + k * np.arange(T)[:, None]
    return np.bincount(flat.ravel(), minlength=T * k).reshape(T, k)


SCENARIOS = {"categorical": Categorical, "bounded": Bounded, "approval": Approval}


def build_scenario(cfg: dict):
    """Scenario from its config group; ``low``/``high`` default to the declared range."""
    cfg = dict(cfg)
    kind = check_choice("scenario", cfg.pop("kind", None), SCENARIOS)
    cls = SCENARIOS[kind]
    known = set(cls.__dataclass_fields__) - {"kind"}
    unknown = sorted(set(cfg) - known)
    if unknown:
        raise ConfigError(f"scenario.{unknown[0]}", cfg[unknown[0]], f"not a {kind} scenario key; known: {', '.join(sorted(known))}")
    return cls(**cfg)


def scenario_params(scenario) -> dict:
    return asdict(scenario)

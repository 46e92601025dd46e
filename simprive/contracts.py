"""What each stage of the pipeline is, as typed protocols: scenario → release → attack.

The built-in components satisfy these, and so must a user's own, named by import path in a
config (``scenario.kind: mypkg.data:Salaries``, see :mod:`simprive.plugins`).  What the
runner and the attacks need of a component is all here; they ask a release what it offers
(its noise law, its clamp range, its sensitivity), never its name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

__all__ = ["Attack", "Data", "Noise", "Outcome", "Release", "Scenario"]

Metrics = dict[str, np.ndarray]  # name → one value per trial
Expected = dict[str, Any]  # name → scalar, (T,) array, Rare, Bound or None


@dataclass
class Data:
    """One batch of trials.  ``values``: ``(T, n)`` individual inputs, when drawn;
    ``counts``: ``(T, k)`` sufficient statistics (how many inputs took each value)."""

    n: int
    values: np.ndarray | None = None
    counts: np.ndarray | None = None
    other: dict = field(default_factory=dict)  # a second party's input: a set, a model
    # or, for a trial too large to hold, its parties' sums taken a block at a time
    # (simprive.runner.draw_sums): total, clamped (to the release's range), max, clipped
    sums: dict | None = None
    # values are answer codes 0…k−1 with k > 2: what a party adds to a sum is whether it
    # gave answer 1, as a central release counts them (Categorical.fixed_range)
    codes: bool = False

    @property
    def numbers(self) -> np.ndarray:
        """What each party adds to a sum or a mean: its input, or 0/1 for an answer."""
        assert self.values is not None, "a batch of individual inputs"
        return (self.values == 1).astype(np.int8) if self.codes else self.values

    @property
    def trials(self) -> int:
        batch = self.values if self.values is not None else self.counts if self.counts is not None else \
            None if self.sums is None else self.sums["total"]
        assert batch is not None, "a batch holds values, counts or sums"
        return len(batch)


@dataclass
class Outcome:
    """What a release of one batch of trials yields: per-trial ``metrics``, their
    ``expected`` values, and what it ``observed``-ly exposes to an adversary: ``estimate``
    (the released number), ``reports`` (each party's randomized answer), ``transcript`` (an
    MPC run: its output and every party's view), ``in_set`` (party 0's answer per item of an
    intersection)."""

    metrics: Metrics
    expected: Expected
    observed: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Scenario(Protocol):
    """Who holds which private inputs: draws all T trials at once from the data stream."""

    kind: str
    integer: ClassVar[bool]  # inputs are integers (MPC and the geometric mechanism need them)
    # a range every input lies in whatever the config declares (0/1 answers), or None
    fixed_range: ClassVar[tuple[float, float] | None]

    def draw(self, rng: np.random.Generator, trials: int, n: int, individual: bool = True) -> Data: ...

    def mean(self) -> float:
        """E of one input (the population mean a release estimates)."""
        ...

    def clip_moments(self, lower: float, upper: float) -> tuple[float, float]:
        """Mean and variance of clamp(X) − X for one input: the clipping error."""
        ...


@runtime_checkable
class Noise(Protocol):
    """An additive noise law calibrated to (ε, sensitivity): subclass
    :class:`simprive.dp.AdditiveNoise`.  ``variance`` is required (the expected squared
    error); ``mean_abs_error``, ``law`` (a frozen ``scipy.stats`` distribution, for the
    likelihood-ratio audit) and ``privacy_loss(d_in)`` (the exact ε between neighbours, for
    the audit's expected column) are used when offered."""

    epsilon: float
    sensitivity: float

    def sample(self, size, rng: np.random.Generator) -> np.ndarray: ...

    def randomise(self, value, rng: np.random.Generator) -> np.ndarray: ...

    def variance(self) -> float: ...


@runtime_checkable
class Release(Protocol):
    """A mechanism at one configuration — a DP mechanism or an MPC protocol — ready to turn
    a batch of data into per-trial metrics and their expectations.

    Attacks ask it what it offers: ``randomiser`` (and that object's ``law``, ``discrete``,
    ``play``), ``clamps`` and ``sum_of_inputs`` (it releases the clamped sum of the inputs),
    ``exposes_estimate`` and ``exposes_membership`` (what its :class:`Outcome` observes), and
    for protocols ``sharing`` (servers holding input shares) or ``noise_shares`` (parties
    holding noise shares); an attack refuses, in one line, a release without what it reads."""

    kind: str
    query: str
    scenario: Scenario
    epsilon: float  # the ε it satisfies (NaN: no claim)
    delta: float
    lower: float
    upper: float
    n: int
    sensitivity: float  # of its query under the configured neighbour relation (NaN: no noise)
    ignores: dict[str, str]  # config keys it does not depend on, with why
    randomiser: Any  # what it randomises with (a Noise, randomized response, a selection rule), or None
    individual: bool  # needs every party's input, not only the counts

    @property
    def elements_per_trial(self) -> int: ...

    def run(self, data: Data, rng: np.random.Generator) -> Outcome: ...


class Attack(Protocol):
    """What an adversary does with a release.  ``run(data, observed, rng)`` sees each batch
    of trials (``observed``: what the release exposed, :attr:`Outcome.observed`); ``once(trials,
    rng)`` runs once per configuration (a distinguishing game, a budget).  Either may be
    absent.  A user's attack declares the kind of each metric it reports
    (``METRICS = {"name": "measurement"}``, kinds as in :data:`simprive.metrics.KINDS`) and, in
    ``aux``, which of its parameters is the adversary's knowledge (the ``aux`` column)."""

    METRICS: ClassVar[dict[str, str]]

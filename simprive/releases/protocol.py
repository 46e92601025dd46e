"""What every MPC protocol release shares: its fields, its checks, and how one run of the
protocol on a batch of trials becomes metrics, expectations and what it exposes.

Each protocol has its own adapter module (``p2p_sum``, ``client_server``, ``tally``, …)
with a subclass of :class:`ProtocolRelease` that declares itself with :func:`protocol`:
the kind, the queries and inputs it serves, how it runs (``execute``) and its cost table
(``expected_cost``), written independently of the ledger the run fills in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from simprive.contracts import Data, Outcome
from simprive.metrics import utility_metrics
from simprive.releases.registry import EXACT, Spec, register
from simprive.scenarios import with_inputs
from simprive.validation import ConfigError, check_delta, check_epsilon, check_int

__all__ = ["COST_METRICS", "ProtocolRelease", "log2_ceil", "protocol"]

COST_METRICS = ("messages", "bytes", "rounds", "offline_bytes", "seconds_lan", "seconds_wan")


def log2_ceil(x: int) -> int:
    return max(0, math.ceil(math.log2(x))) if x > 1 else 0


def protocol(kind: str, queries: tuple[str, ...], inputs: tuple[str, ...], *, calibrated: bool = False,
             ignores: Any = EXACT):
    """Register a :class:`ProtocolRelease` subclass as mechanism ``kind`` (exact MPC by
    default: it ignores ε, δ and the neighbour relation)."""

    def declare(cls: type[ProtocolRelease]) -> type[ProtocolRelease]:
        register(kind, Spec("mpc", queries, inputs, calibrated, ignores, protocol=cls))
        return cls

    return declare


@dataclass(frozen=True)
class ProtocolRelease:
    """An MPC protocol at one configuration: ``params`` are its ``mechanism.*`` keys."""

    kind: str
    query: str
    scenario: Any  # a Scenario (simprive.contracts)
    n: int
    params: dict = field(default_factory=dict)
    epsilon: float = math.nan  # exact MPC makes no DP claim
    delta: float = math.nan
    lower: float = math.nan
    upper: float = math.nan
    neighbours: str = "replace"
    sensitivity: float = math.nan  # of the query, for noise calibrated to it (simprive.releases.build_release)
    ignores: dict = field(default_factory=dict)  # config keys this release does not depend on → why

    # what the release offers an attack (simprive.contracts.Release)
    individual: ClassVar[bool] = True  # each party's input goes in
    exposes_estimate: ClassVar[bool] = True  # its output is observed as ``estimate`` where it is a number
    exposes_membership: ClassVar[bool] = False
    sum_of_inputs: ClassVar[bool] = False  # it releases the sum of the parties' inputs as a number
    clamps: ClassVar[bool] = False  # exact MPC adds the inputs as they are
    # the protocol's needs, checked before any work
    integer_inputs: ClassVar[bool] = True
    parties_are_n: ClassVar[bool] = True  # n counts its parties (at least two)

    @property
    def randomiser(self) -> Any:
        """What a hybrid protocol randomises with (its noise's law): None for exact MPC."""
        return None

    @property
    def elements_per_trial(self) -> int:
        """Memory per trial, to size chunks."""
        return 64 * self.n * self.params.get("servers", 2) + 1024  # two parties unless it has servers

    @property
    def fixed_elements(self) -> int:
        """Memory held once per configuration (a table), beside each trial's."""
        return 0

    @classmethod
    def configure(cls, params: dict, *, n: int, scenario, epsilon, delta, lower, upper) -> tuple[dict, float, float]:
        """The protocol's own checks of its parameters against the run, before any work;
        returns the parameters and the (ε, δ) the release satisfies (none for exact MPC)."""
        for key, minimum in (("timeout", 1), ("spread", 1), ("servers", 2)):
            if key in params:
                params[key] = check_int(f"mechanism.{key}", params[key], minimum=minimum)
        check_epsilon(epsilon), check_delta(delta)  # ignored, but a typo is still an error
        return params, math.nan, math.nan

    @classmethod
    def check_inputs(cls, kind: str, inputs: tuple[str, ...], scenario) -> None:
        """The protocol reads this scenario's inputs, as integers where it computes on them."""
        if scenario.inputs not in inputs:
            raise ConfigError("scenario", scenario.kind, f"mechanism={kind} needs {' or '.join(inputs)} as inputs "
                                                         f"(scenario={' or '.join(with_inputs(inputs))})")
        if cls.integer_inputs and not scenario.integer:
            if "integer" in {f.name for f in fields(scenario)}:  # a setting of the scenario, not a fact
                raise ConfigError("scenario.integer", False,
                                  f"mechanism={kind} computes on integers: set scenario.integer=true")
            raise ConfigError("scenario", scenario.kind, f"mechanism={kind} computes on integers; "
                                                         f"scenario={scenario.kind} draws reals")

    def run(self, data: Data, rng: np.random.Generator) -> Outcome:
        """Per-trial metrics with the cost ledger of one execution next to the cost table;
        exposed: the released number where there is one (``estimate``) and the transcript
        (the output and every party's view)."""
        run, metrics, expected = self.execute(data, rng)
        cost = run.ledger.summary()
        metrics.update({k: np.full(data.trials, cost[k]) for k in COST_METRICS})
        closed = self.expected_cost()
        if "client_bytes" in closed:  # what one input party sends and receives, on average
            ins = list(run.roles.inputs)
            per_client = run.ledger.bytes_sent[ins] + run.ledger.bytes_received[ins]
            metrics["client_bytes"] = np.full(data.trials, float(per_client.mean()))
        expected.update(closed)
        observed = {"transcript": run, **({"estimate": metrics["estimate"]} if "estimate" in metrics else {})}
        return Outcome(metrics, expected, {**observed, **self.observed(run)})

    def execute(self, data: Data, rng: np.random.Generator) -> tuple[Any, dict, dict]:
        """One run of the protocol on every trial: (the run, per-trial metrics, expected)."""
        raise NotImplementedError

    def observed(self, run) -> dict:
        """What the protocol's output exposes beyond its transcript and estimate."""
        return {}

    def expected_cost(self) -> dict:
        """The closed forms of the costs the protocol's docstring tabulates."""
        return {}

    def numeric(self, got, truth) -> tuple[dict, dict]:
        """Metrics of a protocol whose output is a sum (or mean): exact, so error 0."""
        scale = 1.0 if self.query == "sum" else 1.0 / self.n
        metrics = {"exact_match": (got == truth).astype(float), **utility_metrics(got * scale, truth * scale)}
        mean_total = self.scenario.mean() * self.n  # an answer adds whether it is answer 1
        return metrics, {"exact_match": 1.0, "error": 0.0, "abs_error": 0.0, "sq_error": 0.0,
                         "estimate": None if mean_total is None else mean_total * scale}

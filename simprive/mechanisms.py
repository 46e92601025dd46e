"""How a query is released: the mechanism config group, and what each release yields.

Families, each a small function from one batch of data to per-trial metrics and their
closed-form expectations:

* ``central`` — a trusted curator computes the clamped query and adds noise
  (``exact`` adds none, the unprotected baseline);
* ``local`` — every party randomises its own answer (randomized response);
* ``selection`` — the exponential mechanism picks a candidate;
* ``broken`` — deliberately broken mechanisms, run only inside the auditor's game.

Every kind, DP or MPC, is declared once in :data:`MECHANISMS` (a :class:`Spec`: family,
queries, inputs, calibration, ignored keys, how to build it); MPC protocols (``mpc_*``,
``mpyc_*``) then run in :mod:`simprive.mpc.release`.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from simprive import dp
from simprive.contracts import Outcome
from simprive.dp.broken import BROKEN
from simprive.metrics import Rare, selection_metrics, utility_metrics
from simprive.mpc.release import MPC_KINDS, build_mpc_release
from simprive.plugins import construct, is_import_path, load
from simprive.scenarios import Data, count_values, with_inputs
from simprive.validation import ConfigError, check_choice, check_delta, check_epsilon, check_range

__all__ = ["MECHANISMS", "Context", "Release", "Spec", "build_release"]

@dataclass(frozen=True)
class Release:
    """A validated mechanism at one configuration, ready to run on batches of data."""

    kind: str
    query: str
    scenario: Any  # a Scenario (simprive.contracts)
    epsilon: float  # the ε the release actually satisfies (ln 3 for the article's RR)
    delta: float
    lower: float
    upper: float
    n: int
    path: str
    neighbours: str
    noise: Any = None  # dp mechanism object
    sensitivity: float = math.nan  # of the query under `neighbours`, for kinds that calibrate noise to it
    ignores: dict = field(default_factory=dict)  # config keys this release does not depend on → why

    clamps = True  # every central release clamps each input to [lower, upper]

    @property
    def sum_of_inputs(self) -> bool:
        """Whether it releases the (noisy) sum, mean or count of the parties' inputs."""
        return self.family == "central"

    @property
    def family(self) -> str:
        return MECHANISMS[self.kind].family if self.kind in MECHANISMS else "central"  # a user's noise: central

    @property
    def elements_per_trial(self) -> int:
        return self.n

    @property
    def individual(self) -> bool:
        """Whether the release needs every party's input, not just the counts."""
        return self.scenario.inputs == "numbers" or self.path == "individual"

    def run(self, data: Data, rng: np.random.Generator) -> Outcome:
        """Per-trial metrics ``{name: (T,)}``, their expectations ``{name: scalar or (T,)}``
        and what the release exposes (:class:`~simprive.contracts.Outcome`)."""
        if self.family == "broken":
            return Outcome({}, {})  # run only inside the auditor's game
        return {"central": self._central, "local": self._local, "selection": self._selection}[self.family](data, rng)

    # -- central: clamp, compute, add noise ------------------------------------------
    def _central(self, data, rng):
        truth = query_value(self.query, data)
        value = query_value(self.query, data, self.lower, self.upper)
        estimate = value if self.noise is None else self.noise.randomise(value, rng)
        # the clipping error of the whole sum: its mean and variance, and the sum's mean
        clip_mean, clip_var, total_mean = sum_moments(self.scenario, self.n, self.lower, self.upper)
        per = 1.0 if self.query in ("sum", "count") else 1.0 / self.n  # sum → mean
        bias = per * clip_mean
        noise_var = 0.0 if self.noise is None else closed_form(self.noise, "variance")
        noise_abs = 0.0 if self.noise is None else closed_form(self.noise, "mean_abs_error")
        mean_truth = per * total_mean
        expected = {
            "estimate": mean_truth + bias,
            "truth": mean_truth,
            "error": bias,
            "sq_error": None if noise_var is None else noise_var + per**2 * clip_var + bias**2,
            # E|noise + clipping| has a closed form only when nothing can be clipped
            "abs_error": noise_abs if clip_var == 0 and clip_mean == 0 else None,
        }
        # heavy tails can make a moment infinite: then there is nothing finite to agree with
        expected = {k: v if v is None or math.isfinite(v) else None for k, v in expected.items()}
        # the random parties' clipping, when it can happen, is an event the trials must hit
        q = clip_probability(self.scenario, self.lower, self.upper)
        if 0 < q < 1:
            iid = self.n - 1 if getattr(self.scenario, "outlier", None) is not None else self.n
            q_trial = -math.expm1(iid * math.log1p(-q))
            expected.update({k: Rare(expected[k], q_trial) for k in ("estimate", "error", "sq_error")
                             if expected[k] is not None})
        metrics = utility_metrics(estimate, truth)
        if self.scenario.kind == "heavy":
            # how one party dominates: the range an unclamped sum's noise would have to cover
            # (the largest input: the sensitivity the data demand) and that party's share
            top = data.values.max(axis=1)
            metrics["needed_sensitivity"] = top
            metrics["max_share"] = top / data.values.sum(axis=1)
        return Outcome(metrics, expected, {"estimate": estimate})

    # -- local: each party randomises its own answer ------------------------------------
    def _local(self, data, rng):
        rr = self.noise
        reports = None
        if self.path == "individual":
            reports = rr.randomise(data.values, rng)
            reported = count_values(reports, rr.k)
        else:
            reported = rr.randomise_counts(data.counts, rng)
        scale = 1.0 if self.query == "mean" else self.n  # frequency → count
        estimate = rr.estimate(reported[:, 1], self.n) * scale
        truth = data.counts[:, 1] / self.n * scale
        p = self.scenario.p
        expected = {
            "estimate": p * scale,
            "truth": p * scale,
            "error": 0.0,
            # Var(p̂ | f) is linear in f, so its mean over trials is Var at f = p
            "sq_error": rr.variance(p, self.n) * scale**2,
            "abs_error": None,
        }
        observed = {"estimate": estimate} if reports is None else {"estimate": estimate, "reports": reports}
        return Outcome(utility_metrics(estimate, truth), expected, observed)

    # -- selection: pick a candidate by its noisy score ---------------------------------
    def _selection(self, data, rng):
        em = self.noise
        scores = data.counts
        chosen = em.choose(scores, rng)
        best = scores.max(axis=1, keepdims=True)
        # the law by quadrature of Gumbel-max (scale 2Δu/ε), not the softmax `select` samples from
        prob = dp.gumbel_max_law(scores, 2 * self.sensitivity / self.epsilon)
        expected = {
            "correct_winner": (prob * (scores == best)).sum(axis=1),
            "regret": (prob * (best - scores)).sum(axis=1),
        }
        return Outcome(selection_metrics(chosen, scores), expected, {"chosen": chosen})


def sum_moments(scenario, n: int, lower, upper) -> tuple[float, float, float]:
    """E and Var of Σ(clamp(x_i) − x_i), and E[Σ x_i]: n i.i.d. inputs unless the scenario
    knows better (an injected outlier)."""
    if hasattr(scenario, "sum_moments"):
        return scenario.sum_moments(n, lower, upper)
    clip_mean, clip_var = scenario.clip_moments(lower, upper)
    return n * clip_mean, n * clip_var, n * scenario.mean()


def closed_form(noise, name: str) -> float | None:
    """A noise's closed form (``variance``, ``mean_abs_error``), or None if it offers none."""
    try:
        return getattr(noise, name)()
    except (AttributeError, NotImplementedError):
        return None


def clip_probability(scenario, lower, upper) -> float:
    """P(one random input lies outside ``[lower, upper]``): how often clamping acts."""
    d = getattr(scenario, "dist", None)
    return 0.0 if d is None else float(d.cdf(np.nextafter(lower, -np.inf)) + d.sf(upper))


def query_value(query: str, data: Data, lower: float | None = None, upper: float | None = None) -> np.ndarray:
    """The query on each trial's inputs, clamped to ``[lower, upper]`` when given."""
    if data.counts is not None:  # categorical answers: the query counts answer 1
        count = data.counts[:, 1].astype(float)
        return count / data.n if query == "mean" else count
    # the truth goes through the same summation, so an unclipped, noiseless release is exact
    lo, hi = (-np.inf, np.inf) if lower is None or upper is None else (lower, upper)
    total = dp.clamped_sum(data.values, lo, hi)
    return total / data.n if query == "mean" else total


PURE = "it is pure ε-DP, δ = 0"
LOCAL = "each party randomises its own answer"
EXACT = dict.fromkeys(("epsilon", "delta", "neighbours"), "it computes f exactly: no ε, δ or neighbours")
CENTRAL = ("sum", "mean", "count")


@dataclass(frozen=True)
class Context:
    """What a mechanism is built from: the resolved query and range, the privacy parameters
    and the sensitivity derived from them."""

    kind: str
    query: str
    scenario: Any
    lower: float
    upper: float
    epsilon: float
    delta: float
    sensitivity: float


@dataclass(frozen=True)
class Spec:
    """A mechanism kind, declared once: its family, the queries it computes (the first is
    what ``query=auto`` picks), the inputs it reads (simprive.scenarios ``inputs``), whether
    its noise is calibrated to the query's sensitivity, the config keys it ignores (with why,
    or a function of its parameters), and how to build what it randomises with."""

    family: str
    queries: tuple[str, ...]
    inputs: tuple[str, ...]
    calibrated: bool = False
    ignores: Any = field(default_factory=dict)
    build: Callable[[Context], Any] | None = None


def _geometric(c: Context):
    if c.query == "mean" or not c.scenario.integer or not (float(c.lower).is_integer() and float(c.upper).is_integer()):
        raise ConfigError("mechanism", "geometric",
                          "needs an integer query: query sum or count, integer inputs and integer lower/upper")
    return dp.Geometric(epsilon=c.epsilon, sensitivity=c.sensitivity)


def _response(c: Context):
    if c.kind != "grr" and c.scenario.k != 2:
        raise ConfigError("mechanism", c.kind, f"is for yes/no answers; use mechanism=grr for scenario.k={c.scenario.k}")
    return dp.CoinFlipResponse() if c.kind == "rr_article" else dp.RandomizedResponse(epsilon=c.epsilon, k=c.scenario.k)


# every built-in mechanism kind: the one table the pipeline asks
MECHANISMS: dict[str, Spec] = {
    "exact": Spec("central", CENTRAL, ("answers", "numbers"), ignores=EXACT),
    "laplace": Spec("central", CENTRAL, ("answers", "numbers"), True, {"delta": PURE},
                    lambda c: dp.Laplace(epsilon=c.epsilon, sensitivity=c.sensitivity)),
    "gaussian": Spec("central", CENTRAL, ("answers", "numbers"), True, {},
                     lambda c: dp.Gaussian(epsilon=c.epsilon, delta=c.delta, sensitivity=c.sensitivity)),
    "analytic_gaussian": Spec("central", CENTRAL, ("answers", "numbers"), True, {},
                              lambda c: dp.Gaussian(epsilon=c.epsilon, delta=c.delta, sensitivity=c.sensitivity,
                                                    analytic=True)),
    "geometric": Spec("central", CENTRAL, ("answers", "numbers"), True, {"delta": PURE}, _geometric),
    "rr_article": Spec("local", CENTRAL, ("answers",), False,
                       {"epsilon": "it fixes ε = ln 3", "delta": PURE, "neighbours": LOCAL}, _response),
    "rr": Spec("local", CENTRAL, ("answers",), False, {"delta": PURE, "neighbours": LOCAL}, _response),
    "grr": Spec("local", CENTRAL, ("answers",), False, {"delta": PURE, "neighbours": LOCAL}, _response),
    # the exponential mechanism and its report-noisy-max form: replacing, adding or removing
    # one ballot moves each candidate's tally by at most 1
    **{kind: Spec("selection", ("argmax",), ("ballots",), False,
                  {"delta": PURE, "neighbours": "a ballot moves each tally by at most 1 either way"},
                  lambda c: dp.Exponential(epsilon=c.epsilon, sensitivity=1.0, gumbel=c.kind == "noisy_max"))
       for kind in ("exponential", "noisy_max")},
    # deliberately broken, for the auditor to catch (simprive.dp.broken): run only in its game
    **{kind: Spec("broken", ("sum", "count"), ("answers", "numbers"), kind not in ("broken_svt", "broken_noisy_max"),
                  {}, lambda c: BROKEN[c.kind][0](epsilon=c.epsilon, sensitivity=c.sensitivity))
       for kind in BROKEN},
    # MPC protocols (simprive.mpc.release): exact, except the noisy sum and the DP intersection
    **{kind: Spec("mpc", queries, inputs, kind == "mpc_noisy_sum", EXACT)
       for kind, (queries, inputs) in MPC_KINDS.items() if kind not in ("mpc_noisy_sum", "dp_rr_intersection")},
    "mpc_noisy_sum": Spec("mpc", *MPC_KINDS["mpc_noisy_sum"], True,
                          lambda params: {} if params.get("noise") == "gaussian" else {"delta": PURE}),
    "dp_rr_intersection": Spec("mpc", *MPC_KINDS["dp_rr_intersection"], False, {"delta": PURE, "neighbours": LOCAL}),
}
# a user's own additive noise (module:Class) is a central mechanism calibrated to the sensitivity
PLUGIN = Spec("central", CENTRAL, ("answers", "numbers"), True)


def ignored_keys(spec: Spec, scenario, params: dict | None = None) -> dict[str, str]:
    """The configuration keys a release does not depend on, each with why: configurations
    that differ only in these are the same configuration."""
    out = dict(spec.ignores(params or {}) if callable(spec.ignores) else spec.ignores)
    if scenario.fixed_range is not None:
        out.update(dict.fromkeys(("lower", "upper"), f"scenario={scenario.kind} inputs lie in {scenario.fixed_range}"))
    return out


def _check_inputs(kind: str, spec: Spec, query: str, scenario) -> None:
    """The mechanism can read the scenario's inputs for this query."""
    if query == "count" and scenario.inputs != "answers":
        raise ConfigError("query", query, f"counts answers of a categorical scenario; use sum for scenario={scenario.kind}")
    if scenario.inputs not in spec.inputs:
        raise ConfigError("scenario", scenario.kind, f"mechanism={kind} needs {' or '.join(spec.inputs)} as inputs "
                                                     f"(scenario={' or '.join(with_inputs(spec.inputs))})")


def build_release(mech: dict[str, Any], *, query: str, scenario, epsilon, delta, n: int, lower, upper,
                  neighbours: str = "replace"):
    """Validate a mechanism config against the query and scenario it must serve.

    The declared range and the neighbour relation become the query's sensitivity here,
    once (:func:`simprive.dp.sensitivity`): every mechanism and protocol that adds noise
    takes it from the release, none derives its own."""
    kind: Any = mech.get("kind")
    # a user's own additive noise, by import path (simprive.plugins): a central mechanism
    plugin = load("mechanism", kind, base=dp.AdditiveNoise) if is_import_path(kind) else None
    spec = PLUGIN if plugin else MECHANISMS[check_choice("mechanism", kind, MECHANISMS)]
    query = spec.queries[0] if query == "auto" else check_choice("query", query, spec.queries)
    neighbours = check_choice("neighbours", neighbours, dp.NEIGHBOURS)
    if scenario.fixed_range is not None:  # e.g. 0/1 answers: each party adds 0 or 1
        lower, upper = scenario.fixed_range
    lower, upper = check_range(lower, upper)
    sens = math.nan
    if spec.calibrated:
        sens = dp.sensitivity(query, lower=lower, upper=upper, n=n, neighbours=neighbours)
    if spec.family == "mpc":
        rel = build_mpc_release(mech, query=query, scenario=scenario, n=n, epsilon=epsilon, delta=delta,
                                lower=lower, upper=upper, neighbours=neighbours, sensitivity=sens)
        return replace(rel, ignores=ignored_keys(spec, scenario, rel.params))
    mech = dict(mech)
    del mech["kind"]
    path = check_choice("mechanism.path", mech.pop("path", "counts"), ("counts", "individual"))
    if mech and not plugin:  # a user's noise takes its own keys (checked when it is built)
        key = sorted(mech)[0]
        raise ConfigError(f"mechanism.{key}", mech[key], "not a mechanism key; known: kind, path")
    _check_inputs(kind, spec, query, scenario)
    epsilon = math.log(3) if kind == "rr_article" else check_epsilon(epsilon)
    delta = check_delta(delta, positive=kind in ("gaussian", "analytic_gaussian"))
    ignores = ignored_keys(spec, scenario)
    if plugin and "delta" not in inspect.signature(plugin).parameters:
        ignores["delta"] = PURE
    epsilon = math.nan if "epsilon" in ignores and kind != "rr_article" else epsilon  # exact: no claim
    delta = 0.0 if "delta" in ignores else delta  # a pure ε-DP release satisfies δ = 0
    if plugin:
        noise = construct("mechanism", plugin, mech, epsilon=epsilon, sensitivity=sens, delta=delta)
    else:
        if spec.family == "selection":
            sens = 1.0  # Δu of the tallies
        noise = None if spec.build is None else spec.build(Context(kind, query, scenario, lower, upper, epsilon,
                                                                   delta, sens))
    return Release(kind, query, scenario, epsilon, delta, lower, upper, n, path, neighbours, noise, sens, ignores)

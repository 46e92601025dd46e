"""DP mechanisms: a trusted curator's noisy query, each party's randomized response, the
exponential mechanism — and the deliberately broken ones the auditor must catch.

Families, each a small function from one batch of data to per-trial metrics and their
closed-form expectations:

* ``central`` — a trusted curator computes the clamped query and adds noise
  (``exact`` adds none, the unprotected baseline);
* ``local`` — every party randomises its own answer (randomized response);
* ``selection`` — the exponential mechanism picks a candidate;
* ``broken`` — deliberately broken mechanisms (simprive.dp.broken), run only inside the
  auditor's game.

Each kind is declared here, once, in the registry (simprive.releases.registry).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simprive import dp
from simprive.contracts import Data, Outcome
from simprive.dp.broken import BROKEN
from simprive.metrics import Rare, selection_metrics, utility_metrics
from simprive.releases.registry import EXACT, LOCAL, MECHANISMS, PURE, Context, Spec, register
from simprive.scenarios import count_values
from simprive.validation import ConfigError

__all__ = ["CENTRAL", "PLUGIN", "DPRelease", "query_value", "sum_moments"]


@dataclass(frozen=True)
class DPRelease:
    """A validated mechanism at one configuration, ready to run on batches of data."""

    kind: str
    query: str
    scenario: Any  # a Scenario (simprive.contracts)
    epsilon: float  # the ε the release actually satisfies (ln 3 for the article's RR)
    delta: float
    lower: float
    upper: float
    n: int
    per_party: bool  # simulate each party's report (mechanism.path=individual), or draw the counts' law
    neighbours: str
    randomiser: Any = None  # what it randomises with: a noise law, randomized response, a selection rule
    sensitivity: float = math.nan  # of the query under `neighbours`, for kinds that calibrate noise to it
    ignores: dict = field(default_factory=dict)  # config keys this release does not depend on → why

    clamps = True  # every central release clamps each input to [lower, upper]

    @property
    def sum_of_inputs(self) -> bool:
        """Whether it releases the (noisy) sum, mean or count of the parties' inputs."""
        return self.family == "central"

    @property
    def game_only(self) -> bool:
        """Whether it runs only inside the auditor's game (a deliberately broken mechanism)."""
        return self.family == "broken"

    @property
    def family(self) -> str:
        return MECHANISMS[self.kind].family if self.kind in MECHANISMS else "central"  # a user's noise: central

    @property
    def elements_per_trial(self) -> int:
        return self.n

    @property
    def individual(self) -> bool:
        """Whether the release needs every party's input, not just the counts."""
        return self.scenario.inputs == "numbers" or self.per_party

    @property
    def sums_suffice(self) -> bool:
        """Whether a trial's sums are all the release reads (a central sum or mean of
        numbers), so a trial too large to hold can be drawn a block of parties at a time."""
        return self.family == "central" and self.scenario.inputs == "numbers" and self.query in ("sum", "mean")

    def run(self, data: Data, rng: np.random.Generator) -> Outcome:
        """Per-trial metrics ``{name: (T,)}``, their expectations ``{name: scalar or (T,)}``
        and what the release exposes (:class:`~simprive.contracts.Outcome`)."""
        if self.family == "broken":
            return Outcome({}, {})  # run only inside the auditor's game
        return {"central": self._central, "local": self._local, "selection": self._selection}[self.family](data, rng)

    def error_law(self):
        """The exact law of one trial's error (estimate − truth) as a frozen ``scipy.stats``
        distribution, symmetric about 0, when the error is the noise's alone: a central
        release whose declared range can clip no input, with a noise that offers its law.
        None otherwise (clipping adds a data-dependent bias; other families have no such law)."""
        if self.family != "central" or getattr(self.randomiser, "law", None) is None:
            return None
        clip_mean, clip_var, _ = sum_moments(self.scenario, self.n, self.lower, self.upper)
        if clip_mean != 0 or clip_var != 0 or clip_probability(self.scenario, self.lower, self.upper) > 0:
            return None
        return self.randomiser.law

    # -- central: clamp, compute, add noise ------------------------------------------
    def _central(self, data, rng):
        truth = query_value(self.query, data)
        value = query_value(self.query, data, self.lower, self.upper)
        estimate = value if self.randomiser is None else self.randomiser.randomise(value, rng)
        noise_var = 0.0 if self.randomiser is None else closed_form(self.randomiser, "variance")
        noise_abs = 0.0 if self.randomiser is None else closed_form(self.randomiser, "mean_abs_error")
        expected = clamped_expectations(self.scenario, self.n, self.lower, self.upper, self.query, noise_var, noise_abs)
        metrics = utility_metrics(estimate, truth)
        sums = data.sums or {}
        if getattr(self.scenario, "dominance", False):
            # how one party dominates: the range an unclamped sum's noise would have to cover
            # (the largest input: the sensitivity the data demand) and that party's share
            top = sums["max"] if sums else data.values.max(axis=1)
            metrics["needed_sensitivity"] = top
            metrics["max_share"] = top / (sums["total"] if sums else data.values.sum(axis=1))
        if hasattr(self.scenario, "clipped_share"):
            # the share of the parties' inputs the declared range clips: each party's row is
            # uniform over the table under every sampling design, so its mean is the table's
            metrics["clipped_share"] = sums["clipped"] / self.n if sums else \
                ((data.values < self.lower) | (data.values > self.upper)).mean(axis=1)
            expected["clipped_share"] = self.scenario.clipped_share(self.lower, self.upper)
        return Outcome(metrics, expected, {"estimate": estimate})

    # -- local: each party randomises its own answer ------------------------------------
    def _local(self, data, rng):
        rr = self.randomiser
        reports = None
        if self.per_party:
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
        em = self.randomiser
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


def clamped_expectations(scenario, n: int, lower, upper, query: str, noise_var, noise_abs) -> dict[str, Any]:
    """The closed forms of a noisy sum (or mean) of n inputs clamped to ``[lower, upper]``:
    its estimate's and truth's means, the bias clipping adds, and the squared and absolute
    error, given the noise's variance and E|noise| (None: no closed form).  Where clipping
    can happen, it is an event the trials must hit (:class:`Rare`)."""
    # the clipping error of the whole sum: its mean and variance, and the sum's mean
    clip_mean, clip_var, total_mean = sum_moments(scenario, n, lower, upper)
    per = 1.0 if query in ("sum", "count") else 1.0 / n  # sum → mean
    bias = per * clip_mean
    mean_truth = per * total_mean
    expected: dict[str, Any] = {
        "estimate": mean_truth + bias,
        "truth": mean_truth,
        "error": bias,
        "sq_error": None if noise_var is None else noise_var + per**2 * clip_var + bias**2,
        # E|noise + clipping| has a closed form only when nothing can be clipped
        "abs_error": noise_abs if clip_var == 0 and clip_mean == 0 else None,
    }
    # heavy tails can make a moment infinite: then there is nothing finite to agree with
    expected = {k: v if v is None or math.isfinite(v) else None for k, v in expected.items()}
    q = clip_probability(scenario, lower, upper)
    if 0 < q < 1:
        iid = n - 1 if getattr(scenario, "outlier", None) is not None else n
        q_trial = -math.expm1(iid * math.log1p(-q))
        expected.update({k: Rare(expected[k], q_trial) for k in ("estimate", "error", "sq_error")
                         if expected[k] is not None})
    return expected


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
    if data.sums is not None:  # a trial summed a block of parties at a time
        total = data.sums["total" if lower is None or upper is None else "clamped"]
        return total / data.n if query == "mean" else total
    # the truth goes through the same summation, so an unclipped, noiseless release is exact
    lo, hi = (-np.inf, np.inf) if lower is None or upper is None else (lower, upper)
    total = dp.clamped_sum(data.values, lo, hi)
    return total / data.n if query == "mean" else total


CENTRAL = ("sum", "mean", "count")


def _geometric(c: Context):
    if c.query == "mean" or not c.scenario.integer or not (float(c.lower).is_integer() and float(c.upper).is_integer()):
        raise ConfigError("mechanism", "geometric",
                          "needs an integer query: query sum or count, integer inputs and integer lower/upper")
    return dp.Geometric(epsilon=c.epsilon, sensitivity=c.sensitivity)


def _selection(c: Context, gumbel: bool):
    return dp.Exponential(epsilon=c.epsilon, sensitivity=1.0, gumbel=gumbel)


def _broken(cls: type, c: Context):
    return cls(epsilon=c.epsilon, sensitivity=c.sensitivity)


def _yes_no(c: Context) -> None:
    if c.scenario.k != 2:
        raise ConfigError("mechanism", c.kind, f"is for yes/no answers; use mechanism=grr for scenario.k={c.scenario.k}")


def _coin_flips(c: Context):
    _yes_no(c)
    return dp.CoinFlipResponse()


def _response(c: Context):
    return dp.RandomizedResponse(epsilon=c.epsilon, k=c.scenario.k)


def _yes_no_response(c: Context):
    _yes_no(c)
    return _response(c)


_KINDS = {
    "exact": Spec("central", CENTRAL, ("answers", "numbers"), ignores=EXACT),
    "laplace": Spec("central", CENTRAL, ("answers", "numbers"), True, {"delta": PURE},
                    lambda c: dp.Laplace(epsilon=c.epsilon, sensitivity=c.sensitivity)),
    "gaussian": Spec("central", CENTRAL, ("answers", "numbers"), True, {},
                     lambda c: dp.Gaussian(epsilon=c.epsilon, delta=c.delta, sensitivity=c.sensitivity),
                     positive_delta=True),
    "analytic_gaussian": Spec("central", CENTRAL, ("answers", "numbers"), True, {},
                              lambda c: dp.Gaussian(epsilon=c.epsilon, delta=c.delta, sensitivity=c.sensitivity,
                                                    analytic=True), positive_delta=True),
    "geometric": Spec("central", CENTRAL, ("answers", "numbers"), True, {"delta": PURE}, _geometric),
    "rr_article": Spec("local", CENTRAL, ("answers",), False,
                       {"epsilon": "it fixes ε = ln 3", "delta": PURE, "neighbours": LOCAL}, _coin_flips,
                       fixed_epsilon=math.log(3)),
    "rr": Spec("local", CENTRAL, ("answers",), False, {"delta": PURE, "neighbours": LOCAL}, _yes_no_response),
    "grr": Spec("local", CENTRAL, ("answers",), False, {"delta": PURE, "neighbours": LOCAL}, _response),
    # the exponential mechanism and its report-noisy-max form: replacing, adding or removing
    # one ballot moves each candidate's tally by at most 1
    **{kind: Spec("selection", ("argmax",), ("ballots",), False,
                  {"delta": PURE, "neighbours": "a ballot moves each tally by at most 1 either way"},
                  functools.partial(_selection, gumbel=gumbel))
       for kind, gumbel in (("exponential", False), ("noisy_max", True))},
    # deliberately broken, for the auditor to catch (simprive.dp.broken): run only in its game;
    # the broken Laplace samplers take the query's sensitivity, the others their own
    **{kind: Spec("broken", ("sum", "count"), ("answers", "numbers"), issubclass(cls, dp.Laplace), {},
                  functools.partial(_broken, cls))
       for kind, (cls, _) in BROKEN.items()},
}
# a user's own additive noise (module:Class) is a central mechanism calibrated to the sensitivity
PLUGIN = Spec("central", CENTRAL, ("answers", "numbers"), True)
for _kind, _spec in _KINDS.items():
    register(_kind, _spec)

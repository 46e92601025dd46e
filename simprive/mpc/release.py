"""MPC protocols as mechanisms of the experiment pipeline (``mechanism=mpc_*``).

Each kind runs a share-level protocol on a batch of trials and reports, per trial:
whether its output equals the plaintext function (``exact_match``), the utility metrics
where the output is a number, and the cost ledger of one execution (``messages``,
``bytes``, ``rounds``, ``offline_bytes``, ``seconds_lan``, ``seconds_wan``), each next to
the closed form of the protocol's cost table in ``expected``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from simprive import dp
from simprive.contracts import Outcome
from simprive.dp.randomized_response import RandomizedResponse
from simprive.metrics import utility_metrics
from simprive.mpc.auction import first_price, second_price
from simprive.mpc.field import Integers, make_ring
from simprive.mpc.inference import linear_score, plaintext_score
from simprive.mpc.noisy import FRAC_BITS, noisy_sum
from simprive.mpc.psi import dh_psi
from simprive.mpc.sum import check_client_server, client_server_sum, p2p_sum
from simprive.mpc.voting import tally, threshold_vote
from simprive.scenarios import Data, with_inputs
from simprive.validation import ConfigError, check_choice, check_delta, check_epsilon, check_int

__all__ = ["MPC_KINDS", "MPCRelease", "build_mpc_release"]

# kind → (queries it computes, the inputs it reads: simprive.scenarios `inputs`)
MPC_KINDS = {
    "mpc_sum": (("sum", "mean"), ("numbers", "answers")),
    "mpc_client_server": (("sum", "mean"), ("numbers", "answers")),
    "mpc_tally": (("histogram",), ("answers",)),
    "mpc_threshold": (("threshold",), ("answers",)),
    "mpc_first_price": (("max",), ("numbers", "answers")),
    "mpc_second_price": (("second_price",), ("numbers", "answers")),
    "mpc_psi": (("intersection",), ("sets",)),
    "mpc_inference": (("linear_score",), ("features",)),
    "mpc_noisy_sum": (("sum",), ("numbers", "answers")),
    # the DP alternative to PSI: party 1 answers "is x in Y?" by randomized response
    "dp_rr_intersection": (("intersection",), ("sets",)),
    # the same functionality on the real MPyC runtime, one process per party
    "mpyc_sum": (("sum",), ("numbers", "answers")),
    "mpyc_tally": (("histogram",), ("answers",)),
    "mpyc_threshold": (("threshold",), ("answers",)),
    "mpyc_max": (("max",), ("numbers", "answers")),
    "mpyc_second_price": (("second_price",), ("numbers", "answers")),
}
MPYC_MAX_PARTIES = 16  # one operating-system process each
# mechanism keys each kind accepts, with defaults
PARAMS: dict[str, dict[str, Any]] = {
    "mpc_sum": {"field": "mersenne61", "shares": "random", "spread": 1000},
    "mpc_client_server": {"field": "mersenne61", "servers": 3, "t": None, "dropouts": 0, "computing": "external",
                          "recipients": "analyst", "spread": 1000},
    "mpc_tally": {"servers": 3},
    "mpc_threshold": {"servers": 3},
    "mpc_first_price": {"servers": 2},
    "mpc_second_price": {"servers": 2},
    "mpc_psi": {"cardinality_only": False, "element_bytes": 4},
    "mpc_inference": {"logistic": False, "frac_bits": 16},
    "mpc_noisy_sum": {"noise": "discrete_laplace"},
    "dp_rr_intersection": {},
    **{k: {"timeout": 600} for k in ("mpyc_sum", "mpyc_tally", "mpyc_threshold", "mpyc_max", "mpyc_second_price")},
}
# the article's chosen shares: row i is how party i split its raise, column j who holds it
ARTICLE_SHARES = [[-1000, 2500, 900, 1400], [700, 400, 650, 764], [750, -100, 832, 1500], [1500, 900, -3000, 3990]]
COST_METRICS = ("messages", "bytes", "rounds", "offline_bytes", "seconds_lan", "seconds_wan")


def _log2(x: int) -> int:
    return max(0, math.ceil(math.log2(x))) if x > 1 else 0


@dataclass(frozen=True)
class MPCRelease:
    kind: str
    query: str
    scenario: Any  # a Scenario (simprive.contracts)
    n: int
    params: dict = field(default_factory=dict)
    epsilon: float = math.nan  # exact MPC makes no DP claim
    delta: float = math.nan
    lower: float = math.nan
    upper: float = math.nan
    path: str = "individual"
    neighbours: str = "replace"
    sensitivity: float = math.nan  # of the sum, for the noisy sum's noise (simprive.mechanisms.build_release)
    ignores: dict = field(default_factory=dict)  # config keys this release does not depend on → why

    individual = True

    @property
    def exposes_membership(self) -> bool:
        """Whether party 0 learns, item by item, if party 1 holds it (``observed["in_set"]``)."""
        return self.kind == "dp_rr_intersection" or self.kind == "mpc_psi" and not self.params["cardinality_only"]

    @property
    def exposes_estimate(self) -> bool:
        """Whether the simulated protocol exposes its output as ``estimate`` (MPyC runs report
        only their agreement and cost)."""
        return not self.kind.startswith("mpyc_")

    @property
    def sum_of_inputs(self) -> bool:
        """Whether it releases the sum of the parties' inputs as a number."""
        return self.kind in ("mpc_sum", "mpc_client_server", "mpc_noisy_sum")

    @property
    def clamps(self) -> bool:
        """Exact MPC sums add the inputs as they are; the noisy sum clamps them first."""
        return self.kind == "mpc_noisy_sum"

    @property
    def noise(self):
        """The law of the total noise a hybrid release adds (None for exact MPC): the Pólya
        shares of ``mpc_noisy_sum`` add up to discrete Laplace noise, as one Geometric draw."""
        if self.kind == "dp_rr_intersection":
            return RandomizedResponse(epsilon=self.epsilon, k=2)  # each membership bit
        if self.kind != "mpc_noisy_sum":
            return None
        if self.params["noise"] == "gaussian":
            return dp.Gaussian(epsilon=self.epsilon, delta=self.delta, sensitivity=self.sensitivity, analytic=True)
        return dp.Geometric(epsilon=self.epsilon, sensitivity=self.sensitivity)

    @property
    def elements_per_trial(self) -> int:
        """Memory per trial, to size chunks: p2p sums hold an n × n share table."""
        if self.kind.startswith("mpyc_"):
            return 1  # one MPyC session for all trials: its start-up dominates
        m = self.params.get("servers", 2)
        return {"mpc_sum": self.n * self.n, "mpc_noisy_sum": self.n * self.n}.get(self.kind, 64 * self.n * m + 1024)

    def run(self, data: Data, rng: np.random.Generator) -> Outcome:
        """Per-trial metrics and expectations; exposed: the released number where there is
        one (``estimate``) and the transcript (the output and every party's view)."""
        if self.kind.startswith("mpyc_"):
            return Outcome(*self._mpyc(data, rng))
        if self.kind == "dp_rr_intersection":
            return self._rr_intersection(data, rng)
        run, metrics, expected = getattr(self, "_" + self.kind.removeprefix("mpc_"))(data, rng)
        cost = run.ledger.summary()
        T = data.trials
        metrics.update({k: np.full(T, cost[k]) for k in COST_METRICS})
        expected.update(self.expected_cost(cost))
        observed = {"transcript": run, **({"estimate": metrics["estimate"]} if "estimate" in metrics else {})}
        if self.kind == "mpc_psi" and not self.params["cardinality_only"]:
            observed["in_set"] = run.output  # party 0 learns, for each of its items, whether Y holds it
        return Outcome(metrics, expected, observed)

    # -- one method per kind: (run, per-trial metrics, expected) ---------------------------
    @property
    def ring(self):
        """The ring the protocol's shares live in (for sums)."""
        if self.params["field"] == "integers":
            return Integers(spread=self.params.get("spread", 1000))
        return make_ring(self.params["field"])

    def _sum(self, data, rng):
        ring = self.ring
        x = data.values.astype(np.int64)
        shares = None
        if self.params["shares"] == "article":
            shares = np.broadcast_to(np.asarray(ARTICLE_SHARES), (len(x), 4, 4))
        run = p2p_sum(ring.encode(x), ring, rng, shares=shares)
        metrics, expected = self._numeric(ring.decode(run.output), x.sum(axis=1))
        for j in range(min(self.n, 8)):  # what each party broadcasts in round 2 (the article's table)
            metrics[f"partial_P{j}"] = ring.decode(run.view(j)["partial"]).astype(float)
            if shares is not None:
                expected[f"partial_P{j}"] = float(np.asarray(ARTICLE_SHARES)[:, j].sum())
        if self.scenario.kind != "fixed":  # fixed inputs do not vary across trials: no correlation
            metrics["view_corr"], expected["view_corr"] = self._view_corr(run, ring, x)
        return run, metrics, expected

    def _view_corr(self, run, ring, x):
        """Per-trial standardized product of party 1's share received from party 0 and
        party 0's input; its mean is their correlation across trials, whose exact value
        is 0 for field shares and positive for plain-integer shares."""
        s = ring.decode(run.view(1)["received_shares"][:, 0]).astype(float)
        mu_x, var_x = self.scenario.mean(), _variance(self.scenario)
        if isinstance(ring, Integers):
            # the received share is the residual x − ΣU with probability 1/n, else a uniform U
            n, var_u = self.n, ((2 * ring.spread + 1) ** 2 - 1) / 12
            mu_s = mu_x / n
            second = (var_x + mu_x**2 + (n - 1) * var_u) / n + (n - 1) / n * var_u
            var_s = second - mu_s**2
            rho = (var_x / n) / math.sqrt(var_x * var_s) if var_x > 0 else 0.0
        else:
            mu_s, var_s, rho = 0.0, ring.modulus**2 / 12, 0.0  # uniform over the field, centred
        if var_x == 0:
            return np.zeros(len(x)), 0.0
        return (x[:, 0] - mu_x) * (s - mu_s) / math.sqrt(var_x * var_s), rho

    def _client_server(self, data, rng):
        ring = self.ring
        x = data.values.astype(np.int64)
        p = self.params
        run = client_server_sum(ring.encode(x), ring, rng, servers=p["servers"], t=p["t"], dropouts=p["dropouts"],
                                computing=p["computing"], recipients=p["recipients"])
        metrics, expected = self._numeric(ring.decode(run.output), x.sum(axis=1))
        return run, metrics, expected

    def _tally(self, data, rng):
        run = tally(data.values, self.scenario.k, rng, servers=self.params["servers"])
        match = np.all(run.output == data.counts, axis=1).astype(float)
        metrics = {"exact_match": match, "estimate": run.output[:, 1].astype(float),
                   "truth": data.counts[:, 1].astype(float)}
        return run, metrics, {"exact_match": 1.0}

    def _threshold(self, data, rng):
        if self.scenario.k != 2:
            raise ConfigError("scenario.k", self.scenario.k, "the referendum threshold needs yes/no votes (k=2)")
        run = threshold_vote(data.values, rng, servers=self.params["servers"])
        truth = (2 * data.values.sum(axis=1) >= self.n).astype(float)
        return run, {"exact_match": (run.output == truth).astype(float), "estimate": run.output.astype(float),
                     "truth": truth}, {"exact_match": 1.0}

    def _auction(self, data, rng, second: bool):
        bids = data.values.astype(np.int64)
        run = (second_price if second else first_price)(bids, rng, servers=self.params["servers"])
        winner = bids.argmax(axis=1)
        price = np.sort(bids, axis=1)[:, -2] if second else bids.max(axis=1)
        match = (run.output[:, 0] == winner) & (run.output[:, 1] == price)
        metrics = {"exact_match": match.astype(float), **utility_metrics(run.output[:, 1], price)}
        expected = {"exact_match": 1.0, "error": 0.0}
        if not second and self.scenario.kind == "bounded":
            metrics["leaked_bits"], expected["leaked_bits"] = self._first_price_leak(run.output)
        return run, metrics, expected

    def _first_price_leak(self, output):
        """Bits the public (winner, price) reveals about the losing bids, for bids uniform on
        ``[low, high]``: given the output, bidders before the winner bid uniformly below the
        price (ties go to the lowest index) and those after it at most the price, so the
        losers' entropy falls from (n−1)·log2(B) to w·log2(M) + (n−1−w)·log2(M+1), with B the
        number of possible bids and M = price − low.  Its mean over all bids is exact too."""
        n, low, B = self.n, int(self.scenario.low), int(self.scenario.high - self.scenario.low) + 1
        w, M = output[:, 0], output[:, 1] - low
        with np.errstate(divide="ignore"):
            after = np.log2(M + 1.0)
            before = np.where(M > 0, np.log2(np.maximum(M, 1.0)), 0.0)
        leak = (n - 1) * np.log2(B) - (w * before + (n - 1 - w) * after)
        # P(winner w, price M) = M^w (M+1)^(n−1−w) / B^n
        m = np.arange(B, dtype=float)[:, None]
        ww = np.arange(n, dtype=float)[None, :]
        logp = (ww * np.log(np.maximum(m, 1e-300)) + (n - 1 - ww) * np.log(m + 1) - n * np.log(B))
        p = np.where((m == 0) & (ww > 0), 0.0, np.exp(logp))
        bits = (n - 1) * np.log2(B) - (ww * np.log2(np.maximum(m, 1.0)) + (n - 1 - ww) * np.log2(m + 1))
        return leak, float((p * bits).sum())

    def _first_price(self, data, rng):
        return self._auction(data, rng, second=False)

    def _second_price(self, data, rng):
        return self._auction(data, rng, second=True)

    def _psi(self, data, rng):
        x, y = data.values, data.other["set_y"]
        card = bool(self.params["cardinality_only"])
        run = dh_psi(x, y, rng, cardinality_only=card, element_bytes=self.params["element_bytes"])
        member = (x[:, :, None] == y[:, None, :]).any(axis=2)
        size = member.sum(axis=1)
        got = run.output if card else run.output.sum(axis=1)
        match = (got == size) if card else np.all(run.output == member, axis=1)
        metrics = {"exact_match": match.astype(float), **utility_metrics(got, size)}
        expected = {"exact_match": 1.0, "truth": float(self.scenario.overlap)}
        if not card:
            metrics["element_accuracy"], expected["element_accuracy"] = (run.output == member).mean(axis=1), 1.0
        return run, metrics, expected

    def _inference(self, data, rng):
        x, w, b = data.values, data.other["weights"], data.other["bias"]
        f = self.params["frac_bits"]
        run = linear_score(x, w, b, rng, f=f, logistic=bool(self.params["logistic"]))
        fixed = plaintext_score(x, w, b, f)
        score = np.log(run.output / (1 - run.output)) if self.params["logistic"] else run.output
        # exact up to the one unit in the last place that local truncation may cost
        match = np.abs(score - fixed) <= 2.0**-f * (1 + 1e-9)
        truth = np.einsum("ij,ij->i", x, w) + b
        metrics = {"exact_match": match.astype(float), **utility_metrics(score, truth)}
        return run, metrics, {"exact_match": 1.0}

    def _noisy_sum(self, data, rng):
        lo, hi = int(self.lower), int(self.upper)
        x = np.clip(data.values.astype(np.int64), lo, hi)
        sens = int(self.sensitivity)  # an integer: integer bounds under either neighbour relation
        run, shares = noisy_sum(x, self.epsilon, rng, noise=self.params["noise"], sensitivity=sens,
                                delta=self.delta)
        metrics = utility_metrics(run.output, data.values.sum(axis=1))
        clipped = not np.array_equal(x, data.values)
        expected = {"error": None if clipped else 0.0}
        if not clipped:
            # the Pólya shares add up to one geometric draw; Gaussian shares to one normal
            # draw, plus each party's fixed-point rounding (uniform, variance 2^-2f / 12)
            rounding = self.n * 4.0**-FRAC_BITS / 12 if self.params["noise"] == "gaussian" else 0.0
            expected["sq_error"] = self.noise.variance() + rounding
        return run, metrics, expected

    def _rr_intersection(self, data, rng):
        """Party 1 releases, for each item of party 0's set, its membership bit through
        ε-randomized response (a DP release of Y, read at X); party 0 takes the items whose
        bit says "in".  Each bit is right with probability π = e^ε/(1 + e^ε), so the whole
        intersection comes out right with probability π^|X| — near chance at useful ε —
        and (N − |X|(1−π))/(2π − 1) estimates its size without bias."""
        x, y = data.values, data.other["set_y"]
        member = (x[:, :, None] == y[:, None, :]).any(axis=2)
        rr = self.noise
        said = rr.randomise(member.astype(np.int64), rng).astype(bool)
        k, size, pi = x.shape[1], member.sum(axis=1), rr.p
        estimate = (said.sum(axis=1) - k * (1 - pi)) / (2 * pi - 1)
        metrics = {"exact_match": np.all(said == member, axis=1).astype(float),
                   "element_accuracy": (said == member).mean(axis=1), **utility_metrics(estimate, size)}
        overlap = self.scenario.overlap
        expected = {"exact_match": pi**k, "element_accuracy": pi, "error": 0.0, "truth": float(overlap),
                    "sq_error": k * pi * (1 - pi) / (2 * pi - 1) ** 2}
        return Outcome(metrics, expected, {"in_set": said, "estimate": metrics["estimate"]})

    def _mpyc(self, data, rng):
        """Run MPyC on these inputs (party i holds column i) and the simulator's protocol
        for the same function on the same inputs; report both outputs' agreement with the
        plaintext and MPyC's measured bytes (it reports no message or round counts)."""
        from simprive.mpyc_bridge import plaintext, run_mpyc

        function = self.kind.removeprefix("mpyc_")
        x = data.values.astype(np.int64)
        options = {"k": self.scenario.k} if function == "tally" else None
        res = run_mpyc(function, x, options=options, timeout=self.params["timeout"])
        truth = plaintext(function, x, options)
        sim = self._simulated(function, x, rng)
        T = len(x)
        agree = lambda a, b: np.all(np.reshape(a, (T, -1)) == np.reshape(b, (T, -1)), axis=1).astype(float)  # noqa: E731
        metrics = {
            "exact_match": agree(res.outputs, truth),
            "sim_match": agree(res.outputs, sim.output),
            "bytes": np.full(T, res.total_bytes / T),
            "sim_bytes": np.full(T, sim.ledger.total_bytes),
            "seconds": np.full(T, res.seconds / T),
            "mpyc_seconds": np.full(T, max(res.mpyc_seconds, default=np.nan) / T),
        }
        return metrics, {"exact_match": 1.0, "sim_match": 1.0}

    def _simulated(self, function: str, x, rng):
        """The simulator's protocol for an MPyC function, in MPyC's output layout."""
        if function == "sum":
            ring = make_ring("mersenne61")
            run = p2p_sum(ring.encode(x), ring, rng)
            run.output = ring.decode(run.output)
        elif function == "tally":
            run = tally(x, self.scenario.k, rng, servers=3)
        elif function == "threshold":
            run = threshold_vote(x, rng, servers=3)
        elif function == "max":
            run = first_price(x, rng, servers=3)
            run.output = run.output[:, ::-1]  # MPyC reports (max, argmax)
        else:
            run = second_price(x, rng, servers=3)
        return run

    def _numeric(self, got, truth):
        scale = 1.0 if self.query == "sum" else 1.0 / self.n
        metrics = {"exact_match": (got == truth).astype(float), **utility_metrics(got * scale, truth * scale)}
        if self.scenario.kind == "fixed":
            mean_total = float(np.sum(self.scenario.values))
        elif self.scenario.kind == "categorical" and self.scenario.k != 2:
            mean_total = None  # answers 0…k−1: their sum has no simple mean here
        else:
            mean_total = self.scenario.mean() * self.n
        return metrics, {"exact_match": 1.0, "error": 0.0, "abs_error": 0.0, "sq_error": 0.0,
                         "estimate": None if mean_total is None else mean_total * scale}

    # -- the cost table, written independently of the ledger ------------------------------
    def expected_cost(self, measured: dict) -> dict:
        """Closed forms of the costs the protocol's docstring tabulates (``measured`` unused
        on purpose: the ledger must agree with these, not the other way round)."""
        n, p = self.n, self.params
        m = p.get("servers", 2)
        cmp_rounds = 7 * _log2(m) + 1  # A2B adders + B2A
        if self.kind in ("mpc_sum", "mpc_noisy_sum"):
            e = make_ring(p.get("field", "mersenne61")).element_bytes if self.kind == "mpc_sum" else 8
            msgs = 2 * n * (n - 1)
            return {"messages": msgs, "bytes": msgs * e, "rounds": 2, "offline_bytes": 0}
        if self.kind == "mpc_client_server":
            e = make_ring(p["field"]).element_bytes
            inside = p["computing"] == "inputs"
            r = {"analyst": 1, "computing": m, "inputs": n}[p["recipients"]]
            answering = m - p["dropouts"]
            # a party sends nothing to itself: computing input parties keep a share, and
            # answering servers that are also recipients skip themselves
            self_sends = answering if p["recipients"] == "computing" or (inside and p["recipients"] == "inputs") else 0
            msgs = n * m - (m if inside else 0) + answering * r - self_sends
            return {"messages": msgs, "bytes": msgs * e, "rounds": 2, "offline_bytes": 0}
        if self.kind == "mpc_tally":
            k = self.scenario.k
            return {"messages": n * m + m, "bytes": (n * m + m) * k * 8, "rounds": 2, "offline_bytes": 0}
        if self.kind == "mpc_threshold":
            return {"rounds": 1 + cmp_rounds + 1}
        if self.kind in ("mpc_first_price", "mpc_second_price"):
            level = cmp_rounds + 1  # compare, then one multiplication to select
            tournaments, reveals = (2, 2) if self.kind == "mpc_second_price" else (1, 1)
            return {"rounds": 1 + tournaments * _log2(n) * level + 2 * reveals}
        if self.kind == "mpc_psi":
            k, l, b = self.scenario.size_x, self.scenario.size_y, p["element_bytes"]
            return {"messages": 2, "rounds": 2, "bytes": (2 * k + l) * b, "offline_bytes": 0}
        if self.kind == "mpc_inference":
            k = self.scenario.dimension
            return {"messages": 5, "rounds": 3, "bytes": 48 * k + 8}
        return {}


def _variance(scenario) -> float:
    if scenario.kind == "bounded":
        return float(scenario.dist.var())
    if scenario.kind == "categorical":
        return scenario.p * (1 - scenario.p) if scenario.k == 2 else float("nan")
    return float(np.var(scenario.values)) if scenario.kind == "fixed" else float("nan")


def _input_range(scenario) -> tuple[float, float]:
    """The range the scenario's inputs lie in."""
    if hasattr(scenario, "values"):
        return min(scenario.values), max(scenario.values)
    if scenario.inputs == "answers":
        return 0.0, float(getattr(scenario, "k", 2) - 1)
    if hasattr(scenario, "low"):
        return scenario.low, scenario.high
    low, high = scenario.dist.support()
    return float(low), float(high)


def _check_inputs(kind: str, scenario) -> None:
    """The protocol reads this scenario's inputs, as integers (all but private inference)."""
    inputs = MPC_KINDS[kind][1]
    if scenario.inputs not in inputs:
        raise ConfigError("scenario", scenario.kind, f"mechanism={kind} needs {' or '.join(inputs)} as inputs "
                                                     f"(scenario={' or '.join(with_inputs(inputs))})")
    if not scenario.integer and kind not in ("mpc_inference",):
        if "integer" in {f.name for f in fields(scenario)}:  # a setting of the scenario, not a fact
            raise ConfigError("scenario.integer", False, f"mechanism={kind} computes on integers: set scenario.integer=true")
        raise ConfigError("scenario", scenario.kind, f"mechanism={kind} computes on integers; scenario={scenario.kind} "
                                                     "draws reals")


def _params(kind: str, mech: dict) -> dict:
    """The kind's parameters: its defaults, overridden by the config's keys (no others)."""
    params: dict[str, Any] = dict(PARAMS[kind])
    unknown = sorted(set(mech) - set(params))
    if unknown:
        raise ConfigError(f"mechanism.{unknown[0]}", mech[unknown[0]],
                          f"not a {kind} key; known: {', '.join(sorted(params)) or 'none'}")
    params.update(mech)
    for key, minimum in (("timeout", 1), ("spread", 1), ("servers", 2)):
        if key in params:
            params[key] = check_int(f"mechanism.{key}", params[key], minimum=minimum)
    return params


def _check_ring(params: dict, n: int, scenario, upper) -> None:
    """Every input, and their sum, representable in the ring; the article's shares only where
    they apply: decided before any work."""
    ring = make_ring(params["field"])
    top = n * max(abs(float(v)) for v in _input_range(scenario))
    if ring.modulus is not None and top > ring.max_int:
        raise ConfigError("upper", upper, f"n × max|input| = {top:g} exceeds what {ring.name} represents "
                                          f"(±{ring.max_int:g})")
    check_choice("mechanism.shares", params.get("shares", "random"), ("random", "article"))
    if params.get("shares") == "article" and (n != 4 or params["field"] != "integers"):
        raise ConfigError("mechanism.shares", "article", "the article's shares are for n=4 with field=integers")


def _privacy(kind: str, params: dict, epsilon, delta, lower, upper) -> tuple[float, float]:
    """The (ε, δ) a release of this kind satisfies: none for exact MPC."""
    if kind == "dp_rr_intersection":
        return check_epsilon(epsilon), 0.0
    if kind != "mpc_noisy_sum":
        return math.nan, math.nan
    epsilon = check_epsilon(epsilon)
    check_choice("mechanism.noise", params["noise"], ("discrete_laplace", "gaussian"))
    if not (float(lower).is_integer() and float(upper).is_integer()):
        raise ConfigError("lower", lower, "mpc_noisy_sum needs integer lower and upper")
    # Gaussian shares are (ε, δ)-DP; Pólya shares pure ε-DP
    return epsilon, check_delta(delta, positive=True) if params["noise"] == "gaussian" else 0.0


def build_mpc_release(mech: dict, *, query: str, scenario, n: int, epsilon, delta, lower, upper,
                      neighbours: str = "replace", sensitivity: float = math.nan) -> MPCRelease:
    """Validate an MPC mechanism config against the query (resolved) and scenario it must
    serve; ``sensitivity`` comes from :func:`simprive.mechanisms.build_release`."""
    mech = dict(mech)
    kind = check_choice("mechanism", mech.pop("kind"), MPC_KINDS)
    mech.pop("path", None)
    _check_inputs(kind, scenario)
    params = _params(kind, mech)
    if kind not in ("mpc_psi", "mpc_inference", "dp_rr_intersection"):
        check_int("n", n, minimum=2)
    if kind.startswith("mpyc_") and n > MPYC_MAX_PARTIES:
        raise ConfigError("n", n, f"MPyC runs one process per party: at most {MPYC_MAX_PARTIES} here")
    if "field" in params:
        _check_ring(params, n, scenario, upper)
    if kind == "mpc_client_server":  # the protocol's own checks, before any work
        if params["t"] is not None:
            params["t"] = check_int("mechanism.t", params["t"], minimum=0)
        params["dropouts"] = check_int("mechanism.dropouts", params["dropouts"], minimum=0)
        check_client_server(n, make_ring(params["field"]), servers=params["servers"], t=params["t"],
                            dropouts=params["dropouts"], computing=params["computing"], recipients=params["recipients"])
    epsilon, delta = _privacy(kind, params, epsilon, delta, lower, upper)
    return MPCRelease(kind, query, scenario, n, params, epsilon, delta, lower, upper, neighbours=neighbours,
                      sensitivity=sensitivity)

"""``mpc_sum``: the article's peer-to-peer sum (simprive.mpc.sum.p2p_sum) — every party
splits its input into n additive shares, one per party, and every party broadcasts the sum
of the shares it received.  Exact: its output is the sum of the inputs."""

from __future__ import annotations

import math

import numpy as np

from simprive.mpc.rings import Integers, make_ring
from simprive.mpc.sum import p2p_sum
from simprive.releases.protocol import ProtocolRelease, protocol
from simprive.validation import ConfigError, check_choice

__all__ = ["ARTICLE_SHARES", "P2PSum", "SumOfShares", "check_ring", "ring_of"]

# the article's chosen shares: row i is how party i split its raise, column j who holds it
ARTICLE_SHARES = [[-1000, 2500, 900, 1400], [700, 400, 650, 764], [750, -100, 832, 1500], [1500, 900, -3000, 3990]]


def ring_of(params: dict):
    """The ring a sum's shares live in (``mechanism.field``; plain integers spread uniformly
    over ±``mechanism.spread``)."""
    if params["field"] == "integers":
        return Integers(spread=params["spread"])
    return make_ring(params["field"])


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


def check_ring(params: dict, n: int, scenario, upper) -> dict:
    """Every input, and their sum, representable in the ring, decided before any work."""
    ring = make_ring(params["field"])
    top = n * max(abs(float(v)) for v in _input_range(scenario))
    if ring.modulus is not None and top > ring.max_int:
        raise ConfigError("upper", upper, f"n × max|input| = {top:g} exceeds what {ring.name} represents "
                                          f"(±{ring.max_int:g})")
    return params


def _variance(scenario) -> float:
    """Var of what one party adds to the sum: an answer adds whether it is answer 1."""
    if scenario.inputs == "answers":
        return scenario.p * (1 - scenario.p)
    if hasattr(scenario, "dist"):
        return float(scenario.dist.var())
    return float(np.var(scenario.values)) if hasattr(scenario, "values") else float("nan")


class SumOfShares(ProtocolRelease):
    """A protocol that releases the sum of the parties' inputs, computed on shares in a ring."""

    sum_of_inputs = True

    @property
    def ring(self):
        """The ring the protocol's shares live in."""
        return ring_of(self.params)


@protocol("mpc_sum", ("sum", "mean"), ("numbers", "answers"))
class P2PSum(SumOfShares):
    @property
    def elements_per_trial(self) -> int:
        return self.n * self.n  # an n × n share table

    @classmethod
    def configure(cls, params, *, n, scenario, epsilon, delta, lower, upper):
        params, _, _ = super().configure(params, n=n, scenario=scenario, epsilon=epsilon, delta=delta, lower=lower,
                                         upper=upper)
        check_ring(params, n, scenario, upper)
        check_choice("mechanism.shares", params["shares"], ("random", "article"))
        if params["shares"] == "article" and (n != 4 or params["field"] != "integers"):
            raise ConfigError("mechanism.shares", "article", "the article's shares are for n=4 with field=integers")
        raises = [sum(row) for row in ARTICLE_SHARES]
        if params["shares"] == "article" and list(getattr(scenario, "values", ())) != raises:
            raise ConfigError("mechanism.shares", "article", "the article's shares split its raises "
                              f"{', '.join(map(str, raises))}; for other inputs use mechanism.shares=random")
        return params, math.nan, math.nan

    def execute(self, data, rng):
        ring = self.ring
        x = data.numbers.astype(np.int64)
        shares = None
        if self.params["shares"] == "article":
            shares = np.broadcast_to(np.asarray(ARTICLE_SHARES), (len(x), 4, 4))
        run = p2p_sum(ring.encode(x), ring, rng, shares=shares)
        metrics, expected = self.numeric(ring.decode(run.output), x.sum(axis=1))
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

    def expected_cost(self):
        """Every party sends a share to each other party, then broadcasts its partial sum: it
        sends and receives 2(n − 1) elements each way."""
        msgs = 2 * self.n * (self.n - 1)
        size = make_ring(self.params["field"]).element_bytes
        return {"messages": msgs, "bytes": msgs * size, "rounds": 2, "offline_bytes": 0,
                "client_bytes": 4 * (self.n - 1) * size}

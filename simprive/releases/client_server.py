"""``mpc_client_server``: client–server aggregation (simprive.mpc.sum.client_server_sum) —
n input parties share their inputs among m computing servers (additively, or by Shamir's
scheme of degree t), which add what they hold and send their sums to the recipients."""

from __future__ import annotations

import math

import numpy as np

from simprive.mpc.rings import make_ring
from simprive.mpc.sum import check_client_server, client_server_sum
from simprive.releases.p2p_sum import SumOfShares, check_ring, ring_of
from simprive.releases.protocol import protocol
from simprive.validation import check_int

__all__ = ["ClientServerSum"]


@protocol("mpc_client_server", ("sum", "mean"), ("numbers", "answers"))
class ClientServerSum(SumOfShares):
    @property
    def sharing(self) -> tuple[int, int | None]:
        """How the inputs are shared, for a coalition of servers: (servers m, Shamir degree t,
        or None for additive m-of-m shares)."""
        return self.params["servers"], self.params["t"]

    @classmethod
    def configure(cls, params, *, n, scenario, epsilon, delta, lower, upper):
        params, _, _ = super().configure(params, n=n, scenario=scenario, epsilon=epsilon, delta=delta, lower=lower,
                                         upper=upper)
        check_ring(params, n, scenario, upper)
        if params["t"] is not None:
            params["t"] = check_int("mechanism.t", params["t"], minimum=0)
        params["dropouts"] = check_int("mechanism.dropouts", params["dropouts"], minimum=0)
        check_client_server(n, ring_of(params), servers=params["servers"], t=params["t"], dropouts=params["dropouts"],
                            computing=params["computing"], recipients=params["recipients"])
        return params, math.nan, math.nan

    def execute(self, data, rng):
        ring, p = self.ring, self.params
        x = data.numbers.astype(np.int64)
        run = client_server_sum(ring.encode(x), ring, rng, servers=p["servers"], t=p["t"], dropouts=p["dropouts"],
                                computing=p["computing"], recipients=p["recipients"])
        metrics, expected = self.numeric(ring.decode(run.output), x.sum(axis=1))
        return run, metrics, expected

    def expected_cost(self):
        """n·m input shares (less the m that computing input parties keep) and one sum from
        each answering server to each recipient (less the ones a party would send itself)."""
        n, p = self.n, self.params
        m = p["servers"]
        inside = p["computing"] == "inputs"
        r = {"analyst": 1, "computing": m, "inputs": n}[p["recipients"]]
        answering = m - p["dropouts"]
        self_sends = answering if p["recipients"] == "computing" or (inside and p["recipients"] == "inputs") else 0
        msgs = n * m - (m if inside else 0) + answering * r - self_sends
        size = make_ring(p["field"]).element_bytes
        cost = {"messages": msgs, "bytes": msgs * size, "rounds": 2, "offline_bytes": 0}
        if not inside:  # an input party sends one share to each server, and hears the answers if it is told
            cost["client_bytes"] = (m + (answering if p["recipients"] == "inputs" else 0)) * size
        return cost

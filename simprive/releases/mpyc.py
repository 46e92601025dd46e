"""``mpyc_*``: the same functions on the real MPyC runtime, one operating-system process per
party (simprive.mpc.mpyc_bridge), next to the simulator's protocol on the same inputs."""

from __future__ import annotations

import numpy as np

from simprive.contracts import Outcome
from simprive.mpc.auction import first_price, second_price
from simprive.mpc.rings import make_ring
from simprive.mpc.sum import p2p_sum
from simprive.mpc.voting import tally, threshold_vote
from simprive.releases.protocol import ProtocolRelease, protocol
from simprive.validation import ConfigError

__all__ = ["MPYC_MAX_PARTIES", "MPyCRun"]

MPYC_MAX_PARTIES = 16  # one operating-system process each


class MPyCRun(ProtocolRelease):
    """Run MPyC on these inputs (party i holds column i) and the simulator's protocol for
    the same function on the same inputs; report both outputs' agreement with the plaintext
    and MPyC's measured bytes (it reports no message or round counts)."""

    exposes_estimate = False  # only agreement and cost

    @property
    def function(self) -> str:
        return self.kind.removeprefix("mpyc_")

    @property
    def elements_per_trial(self) -> int:
        return 1  # one MPyC session for all trials: its start-up dominates

    @classmethod
    def configure(cls, params, *, n, scenario, epsilon, delta, lower, upper):
        if n > MPYC_MAX_PARTIES:
            raise ConfigError("n", n, f"MPyC runs one process per party: at most {MPYC_MAX_PARTIES} here")
        return super().configure(params, n=n, scenario=scenario, epsilon=epsilon, delta=delta, lower=lower,
                                 upper=upper)

    def run(self, data, rng):
        from simprive.mpc.mpyc_bridge import plaintext, run_mpyc

        x = (data.values if self.function == "tally" else data.numbers).astype(np.int64)
        options = {"k": self.scenario.k} if self.function == "tally" else None
        res = run_mpyc(self.function, x, options=options, timeout=self.params["timeout"])
        truth = plaintext(self.function, x, options)
        sim = self._simulated(x, rng)
        T = len(x)

        def agree(a, b):
            return np.all(np.reshape(a, (T, -1)) == np.reshape(b, (T, -1)), axis=1).astype(float)

        metrics = {
            "exact_match": agree(res.outputs, truth),
            "sim_match": agree(res.outputs, sim.output),
            "bytes": np.full(T, res.total_bytes / T),
            "sim_bytes": np.full(T, sim.ledger.total_bytes),
            "seconds": np.full(T, res.seconds / T),
            "mpyc_seconds": np.full(T, max(res.mpyc_seconds, default=np.nan) / T),
        }
        return Outcome(metrics, {"exact_match": 1.0, "sim_match": 1.0})

    def _simulated(self, x, rng):
        """The simulator's protocol for the same function, in MPyC's output layout."""
        if self.function == "sum":
            ring = make_ring("mersenne61")
            run = p2p_sum(ring.encode(x), ring, rng)
            run.output = ring.decode(run.output)
        elif self.function == "tally":
            run = tally(x, self.scenario.k, rng, servers=3)
        elif self.function == "threshold":
            run = threshold_vote(x, rng, servers=3)
        elif self.function == "max":
            run = first_price(x, rng, servers=3)
            run.output = run.output[:, ::-1]  # MPyC reports (max, argmax)
        else:
            run = second_price(x, rng, servers=3)
        return run


for _kind, _queries, _inputs in (("mpyc_sum", ("sum",), ("numbers", "answers")),
                                 ("mpyc_tally", ("histogram",), ("answers",)),
                                 ("mpyc_threshold", ("threshold",), ("answers",)),
                                 ("mpyc_max", ("max",), ("numbers", "answers")),
                                 ("mpyc_second_price", ("second_price",), ("numbers", "answers"))):
    protocol(_kind, _queries, _inputs)(MPyCRun)

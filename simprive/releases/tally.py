"""``mpc_tally``: servers add the parties' one-hot shared votes (simprive.mpc.voting.tally)
and open the histogram — exact."""

from __future__ import annotations

import numpy as np

from simprive.mpc.voting import tally
from simprive.releases.protocol import ProtocolRelease, protocol

__all__ = ["Tally"]


@protocol("mpc_tally", ("histogram",), ("answers",))
class Tally(ProtocolRelease):
    def execute(self, data, rng):
        run = tally(data.values, self.scenario.k, rng, servers=self.params["servers"])
        match = np.all(run.output == data.counts, axis=1).astype(float)
        metrics = {"exact_match": match, "estimate": run.output[:, 1].astype(float),
                   "truth": data.counts[:, 1].astype(float)}
        return run, metrics, {"exact_match": 1.0}

    def expected_cost(self):
        """n·m vote shares of k counters, then m sums to the analyst."""
        n, m, k = self.n, self.params["servers"], self.scenario.k
        return {"messages": n * m + m, "bytes": (n * m + m) * k * 8, "rounds": 2, "offline_bytes": 0}

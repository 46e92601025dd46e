"""``mpc_threshold``: the referendum's YES-iff-at-least-half, computed on shares
(simprive.mpc.voting.threshold_vote) — only the one-bit outcome is opened."""

from __future__ import annotations

from simprive.mpc.voting import threshold_vote
from simprive.releases.protocol import ProtocolRelease, log2_ceil, protocol
from simprive.validation import ConfigError

__all__ = ["Threshold", "comparison_rounds"]


def comparison_rounds(servers: int) -> int:
    """Rounds of one secure comparison among m servers: the A2B adders, then B2A."""
    return 7 * log2_ceil(servers) + 1


@protocol("mpc_threshold", ("threshold",), ("answers",))
class Threshold(ProtocolRelease):
    def execute(self, data, rng):
        if self.scenario.k != 2:
            raise ConfigError("scenario.k", self.scenario.k, "the referendum threshold needs yes/no votes (k=2)")
        run = threshold_vote(data.values, rng, servers=self.params["servers"])
        truth = (2 * data.values.sum(axis=1) >= self.n).astype(float)
        return run, {"exact_match": (run.output == truth).astype(float), "estimate": run.output.astype(float),
                     "truth": truth}, {"exact_match": 1.0}

    def expected_cost(self):
        """Share the votes, one comparison, open the bit."""
        return {"rounds": 1 + comparison_rounds(self.params["servers"]) + 1}

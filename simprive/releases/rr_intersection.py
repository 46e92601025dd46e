"""``dp_rr_intersection``: the DP alternative to PSI — party 1 answers, for each item of
party 0's set, whether it holds it, by ε-randomized response (a DP release of Y read at X).

Replacing one item of Y flips up to two of the answers (one leaves, one joins X ∩ Y), adding
or removing one flips one: so each answer is randomised at ε/Δ, with Δ = 2 or 1 (the
sensitivity of Y's membership vector, :func:`simprive.dp.sensitivity` of a histogram), and
the release is ε-DP under either neighbour relation.  Each answer is right with probability
π = e^(ε/Δ)/(1 + e^(ε/Δ)), so the whole intersection comes out right with probability π^|X|
— near chance at useful ε — and (N − |X|(1−π))/(2π − 1) estimates its size without bias.
No cryptography: it has no messages to count.
"""

from __future__ import annotations

import numpy as np

from simprive.contracts import Outcome
from simprive.dp import sensitivity
from simprive.dp.randomized_response import RandomizedResponse
from simprive.metrics import utility_metrics
from simprive.releases.protocol import ProtocolRelease, protocol
from simprive.releases.registry import PURE
from simprive.validation import check_epsilon

__all__ = ["RRIntersection"]

@protocol("dp_rr_intersection", ("intersection",), ("sets",),
          ignores={"delta": PURE})
class RRIntersection(ProtocolRelease):
    exposes_membership = True  # party 0 learns a noisy answer for each of its items
    parties_are_n = False

    @property
    def randomiser(self):
        """Each membership answer's randomized response, at ε over the answers one
        neighbouring Y changes."""
        changed = sensitivity("histogram", neighbours=self.neighbours)
        return RandomizedResponse(epsilon=self.epsilon / changed, k=2)

    @classmethod
    def configure(cls, params, *, n, scenario, epsilon, delta, lower, upper):
        return params, check_epsilon(epsilon), 0.0

    def run(self, data, rng):
        x, y = data.values, data.other["set_y"]
        member = (x[:, :, None] == y[:, None, :]).any(axis=2)
        rr = self.randomiser
        said = rr.randomise(member.astype(np.int64), rng).astype(bool)
        k, size, pi = x.shape[1], member.sum(axis=1), rr.p
        estimate = (said.sum(axis=1) - k * (1 - pi)) / (2 * pi - 1)
        metrics = {"exact_match": np.all(said == member, axis=1).astype(float),
                   "element_accuracy": (said == member).mean(axis=1), **utility_metrics(estimate, size)}
        expected = {"exact_match": pi**k, "element_accuracy": pi, "error": 0.0, "truth": float(self.scenario.overlap),
                    "sq_error": k * pi * (1 - pi) / (2 * pi - 1) ** 2}
        return Outcome(metrics, expected, {"in_set": said, "estimate": metrics["estimate"]})

"""What party 0 learns of party 1's set from an intersection protocol or release.

Party 0 holds X and, for each of its items, a prior belief q that party 1 holds it too.
After PSI it knows every membership.  After the DP release (a randomized-response bit per
item, right with probability π = e^ε/(1+e^ε)) it guesses each by the posterior (MAP):
"in" after a 1 iff qπ > (1−q)(1−π), after a 0 iff q(1−π) > (1−q)π.  With r the true share of
X in Y, its accuracy is exactly Σ_b r·P(b|in)·[guess in] + (1−r)·P(b|out)·[guess out].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from simprive.attacks.registry import attack
from simprive.metrics import MEASUREMENT
from simprive.validation import ConfigError, check_probability

__all__ = ["Membership", "build_membership"]


@dataclass(frozen=True)
class Membership:
    METRICS: ClassVar = {"member_guess_accuracy": MEASUREMENT}

    release: Any  # a Release (simprive.contracts)
    prior: float  # party 0's belief that an item of X is in Y

    def run(self, data, observed: dict, rng=None) -> tuple[dict, dict]:
        said = observed["in_set"]
        x, y = data.values, data.other["set_y"]
        member = (x[:, :, None] == y[:, None, :]).any(axis=2)  # the truth, from the data
        rel = self.release
        pi = getattr(rel.randomiser, "p", 1.0)  # how often each answer is right (1: exact, as PSI)
        if pi == 1.0:
            guess = said.astype(bool)
            expected = 1.0
        else:
            q = self.prior
            in_after = {1: q * pi > (1 - q) * (1 - pi), 0: q * (1 - pi) > (1 - q) * pi}
            guess = np.where(said, in_after[1], in_after[0])
            r = rel.scenario.overlap / rel.scenario.size_x
            expected = sum(r * (pi if b else 1 - pi) * in_after[b] + (1 - r) * ((1 - pi) if b else pi) * (not in_after[b])
                           for b in (0, 1))
        return {"member_guess_accuracy": (guess == member).mean(axis=1)}, {"member_guess_accuracy": float(expected)}


@attack("membership", aux="prior")
def build_membership(cfg: dict, release, n: int, trials: int):
    if not getattr(release, "exposes_membership", False):
        raise ConfigError("mechanism", release.kind, "the membership attack reads a release that answers, item by "
                                                     "item, whether party 1 holds it (mpc_psi without "
                                                     "cardinality_only, dp_rr_intersection)")
    prior = cfg["prior"]
    if prior is None:  # a well-informed party 0: its belief is the true share
        prior = release.scenario.overlap / release.scenario.size_x
    return Membership(release, check_probability("adversary.prior", prior))

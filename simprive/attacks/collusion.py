"""A coalition of computing parties pools its views of client–server aggregation.

The coalition is the last c of the m servers; it attacks input party 0's value x₀ from
the shares its members received, with μ and σ² the mean and variance of one input:

* Shamir shares of degree t: c ≥ t + 1 servers reconstruct x₀ exactly (Lagrange at 0 on
  their own shares); c ≤ t shares are uniform whatever x₀, so the best guess is μ
  (squared error σ²).  Additive n-of-n field shares are the case t = m − 1.
* Plain-integer additive shares (the article's kind): the last server holds the residual
  x₀ − ΣU, so even below the threshold the coalition's shares add up to x₀ minus the
  m − c shares it misses, each uniform on [−w, w]: squared error (m − c)·Var(U), which
  beats the prior's σ² as soon as the random parts are small.  It uses whichever of the
  two guesses has the smaller closed-form error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simprive.mpc.field import Integers
from simprive.mpc.sharing import shamir_reconstruct
from simprive.validation import ConfigError

__all__ = ["Coalition"]


@dataclass(frozen=True)
class Coalition:
    release: object
    colluders: int

    def run(self, data, observed: dict, rng=None) -> tuple[dict, dict]:
        rel = self.release
        run = observed["_run"]
        ring = rel._ring()
        m, c, t = rel.params["servers"], self.colluders, rel.params["t"]
        members = list(range(m - c, m))  # server indices (the last c)
        held = np.stack([run.view(p)["received_shares"][:, 0] for p in run.roles.computing[m - c:]], axis=-1) \
            if c else np.zeros((data.trials, 0), ring.dtype)
        x0 = data.values[:, 0].astype(float)
        mu, sigma2 = float(rel.scenario.dist.mean()), float(rel.scenario.dist.var())
        threshold = (m - 1) if t is None else t
        if c >= threshold + 1:
            guess = (shamir_reconstruct(held, np.array(members) + 1, ring) if t is not None
                     else ring.sum(held)).astype(np.uint64)
            guess, expected = ring.decode(guess).astype(float), 0.0
        elif isinstance(ring, Integers) and t is None and c > 0:
            var_u = ((2 * ring.spread + 1) ** 2 - 1) / 12
            below = (m - c) * var_u
            guess = held.sum(axis=1).astype(float) if below < sigma2 else np.full(len(x0), mu)
            expected = min(below, sigma2)
        else:
            guess, expected = np.full(len(x0), mu), sigma2
        err = guess - x0
        return ({"recon_sq_error": err**2, "recon_exact": (err == 0).astype(float)},
                {"recon_sq_error": expected, "recon_exact": 1.0 if expected == 0 else None})


def build_coalition(release, colluders: int):
    if release.kind != "mpc_client_server":
        return None  # other protocols take the coalition into account themselves (mpc_noisy_sum)
    if release.scenario.kind != "bounded":
        raise ConfigError("scenario", release.scenario.kind, "the coalition attack needs scenario=bounded inputs")
    m = release.params["servers"]
    if colluders > m:
        raise ConfigError("adversary.colluders", colluders, f"at most the mechanism.servers={m} servers collude")
    return Coalition(release, colluders)

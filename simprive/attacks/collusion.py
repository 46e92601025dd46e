"""A coalition pools its members' views: of client–server aggregation, or of MPC computing a
DP sum.

**Client–server aggregation.**
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

**MPC computing a DP sum** (``mpc_noisy_sum``): the last c of the n parties collude against
party 0.  They know their own inputs and noise shares and, in the worst case, every other
input; subtracting them from the output leaves x₀ plus the honest parties' noise only.  The
ε that noise gives is exact (:func:`~simprive.mpc.noisy.effective_epsilon`, by convolution,
checked against its closed form), and the coalition certifies a lower bound on it by playing
the auditor's distinguishing game on real runs of the protocol (x₀ one sensitivity apart).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from simprive.attacks.aggregation import SecAggCoalition, is_secure_aggregation
from simprive.attacks.audit import Audit, check_game
from simprive.attacks.registry import attack, check_independent
from simprive.metrics import INDICATOR, LOWER_BOUND, MEASUREMENT
from simprive.mpc.noisy import effective_epsilon, noisy_sum
from simprive.mpc.rings import Integers
from simprive.mpc.sharing import shamir_reconstruct
from simprive.validation import ConfigError, check_int

__all__ = ["Coalition", "NoisyCoalition"]


@dataclass(frozen=True)
class Coalition:
    METRICS: ClassVar = {"recon_sq_error": MEASUREMENT, "recon_exact": INDICATOR}

    release: Any  # a Release (simprive.contracts)
    colluders: int

    def run(self, data, observed: dict, rng=None) -> tuple[dict, dict]:
        rel = self.release
        run = observed["transcript"]
        ring = rel.ring
        (m, t), c = rel.sharing, self.colluders
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


@dataclass(frozen=True)
class NoisyCoalition(Audit):
    """The last ``colluders`` parties of a noisy sum against party 0 (see the module)."""

    METRICS: ClassVar = {"effective_epsilon": MEASUREMENT, "epsilon_lb": LOWER_BOUND}

    colluders: int = 0

    def _effective(self, independent: bool = False) -> float:
        rel = self.release
        return effective_epsilon(rel.n, self.colluders, rel.epsilon, noise=rel.noise_shares,
                                 sensitivity=int(rel.sensitivity), delta=rel.delta, independent=independent)

    @property
    def discrete(self) -> bool:
        return self.release.noise_shares == "discrete_laplace"

    def outputs(self, world: int, size: int, rng) -> np.ndarray:
        """What the coalition is left with after one run of the protocol: the output less
        every input it knows and its members' noise shares."""
        rel, n = self.release, self.release.n
        x = np.zeros((size, n), np.int64)
        x[:, 0] = world * int(rel.sensitivity)
        run, _ = noisy_sum(x, rel.epsilon, rng, noise=rel.noise_shares, sensitivity=int(rel.sensitivity),
                           delta=rel.delta)
        own = sum((run.view(j)["noise_share"] for j in range(n - self.colluders, n)), np.zeros(size))
        return run.output - x[:, 1:].sum(axis=1) - own

    def exact_epsilon(self) -> float:
        return self._effective()

    @property
    def claimed(self) -> float:
        return math.nan  # the release's ε is claimed against outsiders, not against a coalition

    def once(self, trials: int, rng) -> tuple[dict, dict]:
        lb, expected = self.certify(trials, rng)
        assert expected is not None  # the effective ε is always exact here
        return ({"effective_epsilon": expected.value, "epsilon_lb": lb},
                {"effective_epsilon": self._effective(independent=True), "epsilon_lb": expected})


@attack("coalition", aux="colluders")
def build_coalition(cfg: dict, release, n: int, trials: int):
    """Colluders pool what their views hold: noise shares (a noisy sum) or input shares
    (servers of a client–server sum)."""
    colluders = check_int("adversary.colluders", cfg["colluders"], minimum=0)
    if is_secure_aggregation(release):
        if colluders > release.n - 1:
            raise ConfigError("adversary.colluders", colluders,
                              f"at most the n-1 = {release.n - 1} clients other than the target (client 0) collude")
        if not release.params["simulate"]:
            raise ConfigError("mechanism.simulate", False, "the coalition needs the protocol run, not its ledger alone")
        return SecAggCoalition(release, colluders)
    if getattr(release, "noise_shares", None) is not None:
        if colluders > release.n - 1:
            raise ConfigError("adversary.colluders", colluders,
                              f"at most the n-1 = {release.n - 1} parties other than the target (party 0) collude")
        return NoisyCoalition(release, check_game(cfg, trials), colluders=colluders)
    if getattr(release, "sharing", None) is None:
        raise ConfigError("mechanism", release.kind, "a coalition pools shares: it attacks a protocol whose servers "
                                                     "hold input shares (mpc_client_server), whose parties hold "
                                                     "noise shares (mpc_noisy_sum), or secure aggregation (secagg, "
                                                     "secagg_plus)")
    if release.scenario.inputs != "numbers" or not hasattr(release.scenario, "dist"):
        raise ConfigError("scenario", release.scenario.kind, "the coalition attack needs numbers drawn from a known "
                                                             "distribution (scenario=bounded, heavy or table)")
    check_independent(release.scenario)
    m = release.sharing[0]
    if colluders > m:
        raise ConfigError("adversary.colluders", colluders, f"at most the mechanism.servers={m} servers collude")
    return Coalition(release, colluders)

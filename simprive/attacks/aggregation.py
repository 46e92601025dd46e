"""Attacks on secure aggregation (simprive.mpc.secagg): what a coalition, or a server that
lies about who dropped, learns of one client's masked input.

The target is client 0.  Its masked input y_0 hides x_0 (its rounded input plus its noise
share) under PRG(b_0) and its pairwise masks; rebuilding both of its secrets, b_0 and s_0,
from t Shamir shares unmasks it exactly (:func:`~simprive.mpc.secagg.unmask`).

* ``adversary=coalition``: the server and the last ``colluders`` clients pool their views.
  With at least t of client 0's shares among them they recover x_0 exactly whenever client 0
  sent its masked input; with fewer their shares are uniform, whatever x_0 (tested), and the
  Lagrange rebuild from them gives garbage.  They also subtract their own noise shares: the
  ε left is that of the honest survivors' shares, exactly.
* ``adversary=lying_server``: a malicious server receives y_0, then tells some clients that
  client 0 dropped (they send shares of s_0) and others that it survived (shares of b_0).
  Without the consistency round of Bonawitz et al.'s malicious variant — the protocol
  simulated here — it unmasks x_0 as soon as 2t clients other than client 0 answer: which is
  why the paper asks for t > n/2 against a malicious server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy import stats

from simprive.attacks.registry import attack
from simprive.dp.distributed import survivor_average
from simprive.metrics import INDICATOR, MEASUREMENT
from simprive.mpc.secagg import unmask

__all__ = ["LyingServer", "SecAggCoalition"]


@dataclass(frozen=True)
class SecAggCoalition:
    """The server and the last ``colluders`` clients against client 0 (see the module)."""

    METRICS: ClassVar = {"recon_exact": INDICATOR, "epsilon_coalition": MEASUREMENT}

    release: Any
    colluders: int

    def run(self, data, observed: dict, rng=None) -> tuple[dict, dict]:
        rel, run = self.release, observed["secagg"]
        n, c, pl = rel.n, self.colluders, rel.plan
        members = np.zeros(n, bool)
        members[n - c:] = True
        held = np.broadcast_to(members[run.holders[0]], (len(run.output), run.holders.shape[1]))
        got, _ = unmask(run, 0, held, held, t=pl.t, bits=pl.bits)
        truth = observed["secagg_inputs"][:, 0].astype(np.int64).astype(np.uint64) & np.uint64((1 << pl.bits) - 1)
        recovered = run.alive[2][:, 0] & np.all(got == truth, axis=1)
        sent = float(np.prod([1 - r for r in pl.rates[:3]]))
        metrics = {"recon_exact": recovered.astype(float)}
        expected = {"recon_exact": sent if int(held[0].sum()) >= pl.t else 0.0}
        if pl.noise.kind != "none":  # the coalition subtracts its own shares from the sum
            honest = (run.alive[2] & ~members).sum(axis=1)
            metrics["epsilon_coalition"] = np.asarray(pl.noise.epsilon_for(honest), float)
            expected["epsilon_coalition"] = survivor_average(pl.noise, n - c, sent)  # (honest ~ Bin(n − c, q))
        return metrics, expected


@dataclass(frozen=True)
class LyingServer:
    """A server that tells clients client 0 dropped and survived at once (see the module)."""

    METRICS: ClassVar = {"recon_exact": INDICATOR}

    release: Any

    def run(self, data, observed: dict, rng=None) -> tuple[dict, dict]:
        rel, run = self.release, observed["secagg"]
        pl = rel.plan
        holders = run.holders[0]
        answered = run.alive[3][:, holders] & (holders != 0)  # the honest clients that answer the unmasking round
        order = np.cumsum(answered, axis=1)
        b_from = answered & (order <= pl.t)  # the first t are told client 0 survived
        s_from = answered & (order > pl.t) & (order <= 2 * pl.t)  # the next t that it dropped
        got, enough = unmask(run, 0, b_from, s_from, t=pl.t, bits=pl.bits)
        truth = observed["secagg_inputs"][:, 0].astype(np.int64).astype(np.uint64) & np.uint64((1 << pl.bits) - 1)
        recovered = run.alive[2][:, 0] & enough & np.all(got == truth, axis=1)
        # closed form: client 0 sent, and at least 2t of the other holders answered; each
        # other holder answers with probability q0…q3, independently
        m = len(holders) - 1
        q_all = float(np.prod([1 - r for r in pl.rates]))
        sent = float(np.prod([1 - r for r in pl.rates[:3]]))
        return ({"recon_exact": recovered.astype(float)},
                {"recon_exact": sent * float(stats.binom.sf(2 * pl.t - 1, m, q_all))})


def is_secure_aggregation(release) -> bool:
    return hasattr(release, "plan") and getattr(release, "kind", "") in ("secagg", "secagg_plus")


@attack("lying_server")
def build_lying_server(cfg: dict, release, n: int, trials: int):
    """A malicious server against secure aggregation's unmasking round."""
    from simprive.validation import ConfigError

    if not is_secure_aggregation(release):
        raise ConfigError("mechanism", release.kind, "a lying server attacks secure aggregation "
                                                     "(mechanism=secagg or secagg_plus)")
    if not release.params["simulate"]:
        raise ConfigError("mechanism.simulate", False, "the attack needs the protocol run, not its ledger alone")
    return LyingServer(release)

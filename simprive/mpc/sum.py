"""Secure sums: the article's peer-to-peer protocol and client–server aggregation.

Threat model: semi-honest parties; the peer-to-peer sum hides each input from any
coalition of up to n − 1 peers beyond what the total reveals.  Client–server
aggregation hides inputs from any t servers (Shamir) or from all but one (additive).

Costs (one execution, ``e`` bytes per element, see :mod:`simprive.mpc.ledger`):

=====================  =======================  ==========================  ======
protocol               messages                 bytes                       rounds
=====================  =======================  ==========================  ======
peer-to-peer (n)       2n(n−1)                  2n(n−1)·e                   2
client–server (n→m)    n·m + (m − d)·r          (n·m + (m − d)·r)·e         2
=====================  =======================  ==========================  ======

(d dropouts, r output recipients; when the m servers are input parties themselves, each
keeps its own share — n·m − m input messages — and sends none to itself as a recipient.)
"""

from __future__ import annotations

import numpy as np

from simprive.mpc.ledger import Ledger
from simprive.mpc.protocol import ProtocolRun, Roles
from simprive.mpc.rings import Integers
from simprive.mpc.sharing import additive_share, shamir_reconstruct, shamir_share
from simprive.validation import ConfigError

__all__ = ["check_client_server", "client_server_sum", "p2p_sum"]


def _check_parties(n: int, key: str = "n") -> None:
    if n < 2:
        raise ConfigError(key, n, "an MPC protocol needs at least 2 parties")


def p2p_sum(inputs, ring, rng: np.random.Generator, *, shares=None) -> ProtocolRun:
    """The article's four engineers, for any n: every party splits its input into n
    additive shares, keeps one and sends one to each peer (round 1); every party adds the
    n numbers it holds and sends that partial sum to every peer (round 2); everyone adds
    the n partial sums.

    ``inputs``: ``(T, n)`` ring elements.  ``shares``: optional ``(T, n, n)`` chosen shares,
    ``shares[:, i, j]`` being the part of party i's input that party j holds (the article's
    table); by default fresh random shares in ``ring``.
    """
    inputs = ring.check(inputs, "inputs") if hasattr(ring, "check") else np.asarray(inputs, ring.dtype)
    T, n = inputs.shape
    _check_parties(n)
    if shares is None:
        shares = additive_share(inputs, n, ring, rng)  # (T, i, j)
        if isinstance(ring, Integers):
            # plain numbers of similar size: any one of them may be the residual
            shares = rng.permuted(shares, axis=-1)
    else:
        shares = np.asarray(shares, ring.dtype)
        if shares.shape != (T, n, n) or np.any(ring.sum(shares) != inputs):
            raise ConfigError("shares", shares.shape, "must be (T, n, n) and sum, row by row, to each input")
    partial = ring.sum(shares, axis=1)  # party j adds the n numbers it holds
    total = ring.sum(partial)
    ledger = Ledger(n)
    ledger.all_to_all(range(n), ring.element_bytes)
    ledger.round()
    ledger.all_to_all(range(n), ring.element_bytes)
    ledger.round()
    everyone = tuple(range(n))

    def view(j: int) -> dict[str, np.ndarray]:
        others = [i for i in range(n) if i != j]
        return {
            "input": inputs[:, j],
            "own_shares": shares[:, j, :],  # its randomness: how it split its input
            "received_shares": shares[:, others, j],
            "received_partials": partial[:, others],
            "partial": partial[:, j],
            "output": total,
        }

    return ProtocolRun(total, ledger, Roles(everyone, everyone, everyone), view)


COMPUTING = ("external", "inputs")
RECIPIENTS = ("analyst", "computing", "inputs")


def check_client_server(n: int, ring, *, servers: int, t: int | None, dropouts: int, computing: str,
                        recipients: str) -> None:
    """Refuse a client–server configuration that cannot run, naming the key."""
    _check_parties(servers, "mechanism.servers")
    if t is not None:
        if not 0 <= t < servers:
            raise ConfigError("mechanism.t", t, f"must be in [0, servers) = [0, {servers}): t + 1 shares reconstruct")
        if not hasattr(ring, "inverse"):
            raise ConfigError("mechanism.field", ring.name, "Shamir sharing (mechanism.t) needs a prime field")
    if computing not in COMPUTING:
        raise ConfigError("mechanism.computing", computing, "choose one of " + ", ".join(COMPUTING))
    if recipients not in RECIPIENTS:
        raise ConfigError("mechanism.recipients", recipients, "choose one of " + ", ".join(RECIPIENTS))
    if computing == "inputs" and servers > n:
        raise ConfigError("mechanism.servers", servers, f"at most n={n} input parties can compute")
    if not 0 <= dropouts < servers:
        raise ConfigError("mechanism.dropouts", dropouts, f"must be in [0, {servers})")
    if t is None and dropouts:
        raise ConfigError("mechanism.dropouts", dropouts, "additive sharing needs every server; set mechanism.t")
    if t is not None and servers - dropouts < t + 1:
        raise ConfigError("mechanism.dropouts", dropouts,
                          f"at most servers - t - 1 = {servers - t - 1} servers may drop out")


def client_server_sum(inputs, ring, rng: np.random.Generator, *, servers: int = 3, t: int | None = None,
                      dropouts: int = 0, computing: str = "external", recipients: str = "analyst") -> ProtocolRun:
    """n input parties share their inputs among ``servers`` computing parties, which add
    the shares they hold and send their sums to the output recipients.

    ``computing``: ``external`` servers (parties n…n+m−1) or the first m ``inputs``
    themselves (a subset of the input parties computes; each keeps its own share).
    ``recipients``: an outside ``analyst`` (the last party), the ``computing`` parties, or
    every input party (``inputs``).  ``t=None``: additive n-of-n shares (all servers must
    answer); ``t``: Shamir shares of degree t, reconstructed from any t + 1 servers, so up to
    ``servers − t − 1`` may drop out (here the first ``dropouts`` servers never answer).
    """
    inputs = ring.check(inputs, "inputs") if hasattr(ring, "check") else np.asarray(inputs, ring.dtype)
    T, n = inputs.shape
    check_client_server(n, ring, servers=servers, t=t, dropouts=dropouts, computing=computing, recipients=recipients)
    if t is None:
        shares = additive_share(inputs, servers, ring, rng, axis=1)  # (T, m, n): server-major
    else:
        shares = np.ascontiguousarray(np.swapaxes(shamir_share(inputs, servers, t, ring, rng), 1, 2))
    held = ring.sum(shares, axis=-1)  # (T, m): each server adds what it received
    alive = np.arange(dropouts, servers)  # which servers answer (the first `dropouts` fail)
    total = ring.sum(held) if t is None else shamir_reconstruct(held[:, alive], alive + 1, ring)

    server_ids = np.arange(servers) + (0 if computing == "inputs" else n)
    parties = n + (0 if computing == "inputs" else servers) + (recipients == "analyst")
    learners = {"analyst": np.array([parties - 1]), "computing": server_ids, "inputs": np.arange(n)}[recipients]
    ledger = Ledger(parties)
    src, dst = np.meshgrid(np.arange(n), server_ids, indexing="ij")
    keep = src != dst  # a computing input party keeps its own share
    ledger.send(src[keep], dst[keep], ring.element_bytes)
    ledger.round()
    src, dst = np.meshgrid(server_ids[alive], learners, indexing="ij")
    keep = src != dst
    ledger.send(src[keep], dst[keep], ring.element_bytes)
    ledger.round()
    server_of = {int(p): i for i, p in enumerate(server_ids)}
    learner_set = set(int(p) for p in learners)

    def view(p: int) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        if p < n:
            out.update(input=inputs[:, p], own_shares=shares[:, :, p])
        if p in server_of:
            out.update(received_shares=shares[:, server_of[p], :], held_sum=held[:, server_of[p]])
        if p in learner_set:
            out.update(received_sums=held[:, alive], output=total)
        return out

    roles = Roles(tuple(range(n)), tuple(int(p) for p in server_ids), tuple(int(p) for p in learners))
    return ProtocolRun(total, ledger, roles, view)

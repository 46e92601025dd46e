"""Voting by MPC: the full tally, and the referendum function "YES iff at least half".

Voters 0…n−1 share their ballots with m computing parties (n…n+m−1), which add them
and reveal to the recipient (party n+m) either every option's count or one bit.  What
the tally reveals is exactly the counts: in a unanimous vote, every ballot.

Costs (one execution, 8-byte elements, k options):

==========  =================================  =======================================
protocol    messages                           rounds
==========  =================================  =======================================
tally       n·m + m                            2
threshold   n·m + (comparison) + m             1 (input) + 7⌈log2 m⌉ + 1 (compare) + 1 (reveal)
==========  =================================  =======================================
"""

from __future__ import annotations

import numpy as np

from simprive.mpc.engine import Engine
from simprive.mpc.ledger import Ledger
from simprive.mpc.protocol import ProtocolRun, Roles
from simprive.validation import ConfigError

__all__ = ["tally", "threshold_vote"]


def _setup(n: int, m: int, rng, record: bool):
    if m < 2:
        raise ConfigError("mechanism.servers", m, "an MPC protocol needs at least 2 computing parties")
    ledger = Ledger(n + m + 1)
    return Engine(m, rng, ledger, parties=n + np.arange(m), record=record), ledger, n + m


def _views(engine: Engine, n: int, inputs, shares, result):
    def view(p: int) -> dict[str, np.ndarray]:
        if p < n:
            return {"input": inputs[:, p]}
        if p < n + engine.m:
            i = p - n
            out = {"received_shares": shares[..., i]}
            out.update({f"opened_{j}_{label}": v for j, (label, v) in enumerate(engine.opened)})
            return out
        return {"output": result}

    return view


def tally(votes, k: int, rng: np.random.Generator, *, servers: int = 3, record: bool = True) -> ProtocolRun:
    """Per-option counts of ``votes`` ``(T, n)`` (option indices in ``[0, k)``)."""
    votes = np.asarray(votes)
    T, n = votes.shape
    if not np.issubdtype(votes.dtype, np.integer):
        raise ConfigError("votes", votes.dtype.name, f"must be integer options in [0, {k})")
    if np.any((votes < 0) | (votes >= k)):
        raise ConfigError("votes", int(votes[(votes < 0) | (votes >= k)][0]), f"must be an option in [0, {k})")
    engine, ledger, analyst = _setup(n, servers, rng, record)
    ballots = (votes[..., None] == np.arange(k)).astype(np.uint64)  # one-hot, (T, n, k)
    shares = engine.input(ballots, np.arange(n))  # (T, n, k, m)
    counts = engine.reveal_to(shares.sum(axis=1, dtype=np.uint64), analyst).astype(np.int64)
    roles = Roles(tuple(range(n)), tuple(range(n, analyst)), (analyst,))
    return ProtocolRun(counts, ledger, roles, _views(engine, n, votes, shares, counts))


def threshold_vote(votes, rng: np.random.Generator, *, servers: int = 3, record: bool = True) -> ProtocolRun:
    """1 ("YES") iff at least half of the 0/1 ``votes`` ``(T, n)`` are 1, else 0; nothing
    else is revealed: the computing parties compare 2·sum − n with 0 under MPC."""
    votes = np.asarray(votes)
    T, n = votes.shape
    if np.any((votes != 0) & (votes != 1)):
        raise ConfigError("votes", int(votes[(votes != 0) & (votes != 1)][0]), "must be 0 or 1")
    engine, ledger, analyst = _setup(n, servers, rng, record)
    shares = engine.input(votes.astype(np.uint64), np.arange(n))  # (T, n, m)
    total = shares.sum(axis=1, dtype=np.uint64)
    margin = np.uint64(2) * total - engine.constant(np.full(T, n, dtype=np.uint64))
    no = engine.less_than(margin, engine.constant(np.zeros(T, np.uint64)))  # 2·sum − n < 0
    yes = engine.constant(np.ones(T, np.uint64)) - no
    result = engine.reveal_to(yes, analyst).astype(np.int64)
    roles = Roles(tuple(range(n)), tuple(range(n, analyst)), (analyst,))
    return ProtocolRun(result, ledger, roles, _views(engine, n, votes, shares, result))

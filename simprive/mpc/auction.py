"""Sealed-bid auctions by MPC: the result is public, losing bids stay hidden.

Bidders 0…n−1 share their bids with m computing parties (n…n+m−1); a comparison
tournament (:meth:`Engine.argmax`) finds the highest bid and its bidder.

* first price: the winner and the winning bid are revealed;
* second price: the winner is revealed, then the winner's bid is removed (the winner is
  public, so each party zeroes its share locally) and a second tournament finds the
  price, the highest losing bid, which alone is revealed.

What the result still tells: every losing bid is at most the winning (or second) bid.
Rounds: 1 (input) + ⌈log2 n⌉·(7⌈log2 m⌉ + 2) per tournament + 2 per reveal (open among
the computing parties, then announce to the bidders).
"""

from __future__ import annotations

import numpy as np

from simprive.mpc.engine import Engine
from simprive.mpc.ledger import Ledger
from simprive.mpc.protocol import ProtocolRun, Roles
from simprive.validation import ConfigError

__all__ = ["first_price", "second_price"]

MAX_BID = 1 << 62  # comparisons are exact for |a − b| < 2^63


def _setup(bids, servers: int, rng, record: bool):
    bids = np.asarray(bids)
    if bids.ndim != 2 or bids.shape[1] < 2:
        raise ConfigError("n", bids.shape[-1], "an auction needs at least 2 bidders")
    if servers < 2:
        raise ConfigError("mechanism.servers", servers, "an MPC protocol needs at least 2 computing parties")
    if not np.issubdtype(bids.dtype, np.integer):
        raise ConfigError("bids", bids.dtype.name, "must be integers")
    bad = (bids < 0) | (bids >= MAX_BID)
    if np.any(bad):
        raise ConfigError("bids", int(bids[bad][0]), "must be integers in [0, 2^62)")
    T, n = bids.shape
    ledger = Ledger(n + servers)
    engine = Engine(servers, rng, ledger, parties=n + np.arange(servers), record=record)
    shares = engine.input(bids.astype(np.uint64), np.arange(n))
    return bids, engine, ledger, shares


def _open_to_all(engine: Engine, *sharings) -> list[np.ndarray]:
    """Reveal results to every computing party and every bidder."""
    n = int(engine.parties[0])
    values = engine.open(*sharings, label="result")
    src, dst = np.meshgrid(engine.parties[:1], np.arange(n), indexing="ij")
    engine.ledger.send(src.ravel(), dst.ravel(), 8 * len(sharings))  # one announcer tells the bidders
    engine.ledger.round()
    return [v.astype(np.int64) for v in values]


def _views(engine: Engine, bids, shares, output):
    n = bids.shape[1]

    def view(p: int) -> dict[str, np.ndarray]:
        if p < n:
            return {"input": bids[:, p], "output": output}
        i = p - n
        out = {"received_shares": shares[..., i], "output": output}
        out.update({f"opened_{j}_{label}": v for j, (label, v) in enumerate(engine.opened)})
        return out

    return view


def first_price(bids, rng: np.random.Generator, *, servers: int = 2, record: bool = True) -> ProtocolRun:
    """Output ``(T, 2)``: winner index (lowest on ties) and winning bid."""
    bids, engine, ledger, shares = _setup(bids, servers, rng, record)
    top, who = engine.argmax(shares)
    winner, price = _open_to_all(engine, who, top)
    output = np.stack([winner, price], axis=1)
    n = bids.shape[1]
    roles = Roles(tuple(range(n)), tuple(range(n, n + servers)), tuple(range(n + servers)))
    return ProtocolRun(output, ledger, roles, _views(engine, bids, shares, output))


def second_price(bids, rng: np.random.Generator, *, servers: int = 2, record: bool = True) -> ProtocolRun:
    """Output ``(T, 2)``: winner index and the price, the highest losing bid."""
    bids, engine, ledger, shares = _setup(bids, servers, rng, record)
    _, who = engine.argmax(shares)
    (winner,) = _open_to_all(engine, who)
    losing = shares.copy()
    losing[np.arange(len(bids)), winner, :] = 0  # the winner is public: drop its bid locally
    second, _ = engine.argmax(losing)
    (price,) = _open_to_all(engine, second)
    output = np.stack([winner, price], axis=1)
    n = bids.shape[1]
    roles = Roles(tuple(range(n)), tuple(range(n, n + servers)), tuple(range(n + servers)))
    return ProtocolRun(output, ledger, roles, _views(engine, bids, shares, output))

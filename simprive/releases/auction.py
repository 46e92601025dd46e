"""``mpc_first_price`` and ``mpc_second_price``: sealed-bid auctions on shares
(simprive.mpc.auction) — a tournament of secure comparisons opens only the winner and the
price."""

from __future__ import annotations

import functools

import numpy as np

from simprive.metrics import utility_metrics
from simprive.mpc.auction import first_price, second_price
from simprive.releases.protocol import ProtocolRelease, log2_ceil, protocol
from simprive.releases.threshold import comparison_rounds

__all__ = ["FirstPrice", "SecondPrice", "consistent_bids"]


@functools.lru_cache(maxsize=32)
def consistent_bids(n: int, B: int) -> np.ndarray:
    """``log2`` of how many of the B^n bid vectors (bids 0…B−1) give each first-price output:
    entry ``[M, w]`` counts those whose highest bid is M, first placed by bidder w (ties go
    to the lowest index); −inf where none does.  Counted by running the auction's rule over
    the bidders one at a time, in logs (the counts reach B^n)."""
    bids = np.arange(B)
    with np.errstate(divide="ignore"):
        log_c = np.full((B, n), -np.inf)
        log_c[:, 0] = 0.0  # one bidder: each bid is its own output
        at_most = np.log2(bids + 1.0)  # a later bid b ≤ M keeps the output (M, w): M + 1 choices
        for i in range(1, n):
            below = np.logaddexp2.accumulate(np.logaddexp2.reduce(log_c[:, :i], axis=1))  # prefixes with max ≤ m
            log_c[:, :i] += at_most[:, None]
            log_c[1:, i] = below[:-1]  # bidder i bids b above every earlier bid: the output becomes (b, i)
    log_c.setflags(write=False)
    return log_c


class _Auction(ProtocolRelease):
    second = False

    def execute(self, data, rng):
        bids = data.values.astype(np.int64)
        run = (second_price if self.second else first_price)(bids, rng, servers=self.params["servers"])
        winner = bids.argmax(axis=1)
        price = np.sort(bids, axis=1)[:, -2] if self.second else bids.max(axis=1)
        match = (run.output[:, 0] == winner) & (run.output[:, 1] == price)
        metrics = {"exact_match": match.astype(float), **utility_metrics(run.output[:, 1], price)}
        expected = {"exact_match": 1.0, "error": 0.0}
        if not self.second and self.scenario.kind == "bounded":
            metrics["leaked_bits"], expected["leaked_bits"] = self._first_price_leak(run.output)
        return run, metrics, expected

    def _first_price_leak(self, output):
        """Bits the public (winner, price) reveals about the losing bids, for bids uniform on
        ``[low, high]``: log2 of the losers' B^(n−1) possible bids less log2 of those consistent
        with the output, counted by :func:`consistent_bids` (the argmax rule run bidder by
        bidder).  Its mean has a closed form, computed here separately: given the output,
        bidders before the winner bid below the price (ties go to the lowest index) and those
        after it at most the price, so P(winner w, price M) = M^w (M+1)^(n−1−w) / B^n and the
        losers keep w·log2(M) + (n−1−w)·log2(M+1) bits, with M = price − low."""
        n, low, B = self.n, int(self.scenario.low), int(self.scenario.high - self.scenario.low) + 1
        w, M = output[:, 0], output[:, 1] - low
        leak = (n - 1) * np.log2(B) - consistent_bids(n, B)[M, w]
        m = np.arange(B, dtype=float)[:, None]
        ww = np.arange(n, dtype=float)[None, :]
        logp = (ww * np.log(np.maximum(m, 1e-300)) + (n - 1 - ww) * np.log(m + 1) - n * np.log(B))
        p = np.where((m == 0) & (ww > 0), 0.0, np.exp(logp))
        bits = (n - 1) * np.log2(B) - (ww * np.log2(np.maximum(m, 1.0)) + (n - 1 - ww) * np.log2(m + 1))
        return leak, float((p * bits).sum())

    def expected_cost(self):
        """Share the bids; per tournament level one comparison and one multiplication to
        select; open winner and price (twice each for the second price's two tournaments)."""
        level = comparison_rounds(self.params["servers"]) + 1
        tournaments, reveals = (2, 2) if self.second else (1, 1)
        return {"rounds": 1 + tournaments * log2_ceil(self.n) * level + 2 * reveals}


@protocol("mpc_first_price", ("max",), ("numbers", "answers"))
class FirstPrice(_Auction):
    second = False


@protocol("mpc_second_price", ("second_price",), ("numbers", "answers"))
class SecondPrice(_Auction):
    second = True

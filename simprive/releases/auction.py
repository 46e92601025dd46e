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

__all__ = ["FirstPrice", "SecondPrice", "consistent_bids", "mean_leaked_bits"]


def mean_leaked_bits(n: int, B: int) -> float:
    """E[bits a first-price output reveals about the n − 1 losing bids], bids uniform on
    0…B−1, in O(B).  Given the output, bidders before the winner w bid below the price M (ties
    go to the lowest index) and those after it at most M, so P(w, M) = (M+1)^(n−1) r^w / B^n
    with r = M/(M+1), and the losers keep w·log2(M) + (n−1−w)·log2(M+1) of their (n−1)·log2(B)
    bits: a geometric sum over w for each M (and for M = 0 all bids are 0)."""
    M = np.arange(1, B, dtype=float)
    r = M / (M + 1)
    weight = np.exp((n - 1) * np.log(M + 1) - n * np.log(B))
    s0 = -np.expm1(n * np.log(r)) / (1 - r)  # Σ_{w<n} r^w
    s1 = r * (1 - n * r ** (n - 1) + (n - 1) * r**n) / (1 - r) ** 2  # Σ_{w<n} w r^w
    kept = (n - 1) * (np.log2(B) - np.log2(M + 1)) * s0 - np.log2(r) * s1
    return float((weight * kept).sum() + (n - 1) * np.log2(B) * np.exp(-n * np.log(B)))


@functools.lru_cache(maxsize=32)
def consistent_bids(n: int, B: int) -> np.ndarray:
    """``log2`` of how many of the B^n bid vectors (bids 0…B−1) give each first-price output:
    entry ``[M, w]`` counts those whose highest bid is M, first placed by bidder w (ties go
    to the lowest index); −inf where none does.  Counted by running the auction's rule over
    the bidders one at a time, in logs (the counts reach B^n): bidder w takes the lead at
    M when it bids above every earlier bid, and each later bidder keeps it with one of the
    M + 1 bids at most M."""
    at_most = np.log2(np.arange(B) + 1.0)  # a later bid b ≤ M keeps the output (M, w)
    lead = np.full((B, n), -np.inf)  # log2 #prefixes of bidders 0…w in which w leads at M
    lead[:, 0] = 0.0
    prefixes = lead[:, 0].copy()  # log2 #prefixes of bidders 0…i−1 whose highest bid is M
    for w in range(1, n):
        lead[1:, w] = np.logaddexp2.accumulate(prefixes)[:-1]  # every earlier bid below M
        prefixes = np.logaddexp2(prefixes + at_most, lead[:, w])
    table = lead + (n - 1 - np.arange(n)) * at_most[:, None]  # the bidders after w keep it
    table.setflags(write=False)
    return table


class _Auction(ProtocolRelease):
    second = False

    @property
    def fixed_elements(self) -> int:
        """The first price's leak table (:func:`consistent_bids`): B values per bidder, held
        once per configuration."""
        leaks = not self.second and self.scenario.kind == "bounded"
        return self.n * (int(self.scenario.high - self.scenario.low) + 1) if leaks else 0

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
        bidder); its mean in closed form (:func:`mean_leaked_bits`)."""
        n, low, B = self.n, int(self.scenario.low), int(self.scenario.high - self.scenario.low) + 1
        w, M = output[:, 0], output[:, 1] - low
        return (n - 1) * np.log2(B) - consistent_bids(n, B)[M, w], mean_leaked_bits(n, B)

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

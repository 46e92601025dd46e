"""``mpc_first_price`` and ``mpc_second_price``: sealed-bid auctions on shares
(simprive.mpc.auction) — a tournament of secure comparisons opens only the winner and the
price."""

from __future__ import annotations

import numpy as np

from simprive.metrics import utility_metrics
from simprive.mpc.auction import first_price, second_price
from simprive.releases.protocol import ProtocolRelease, log2_ceil, protocol
from simprive.releases.threshold import comparison_rounds

__all__ = ["FirstPrice", "SecondPrice"]


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
        ``[low, high]``: given the output, bidders before the winner bid uniformly below the
        price (ties go to the lowest index) and those after it at most the price, so the
        losers' entropy falls from (n−1)·log2(B) to w·log2(M) + (n−1−w)·log2(M+1), with B the
        number of possible bids and M = price − low.  Its mean over all bids is exact too."""
        n, low, B = self.n, int(self.scenario.low), int(self.scenario.high - self.scenario.low) + 1
        w, M = output[:, 0], output[:, 1] - low
        with np.errstate(divide="ignore"):
            after = np.log2(M + 1.0)
            before = np.where(M > 0, np.log2(np.maximum(M, 1.0)), 0.0)
        leak = (n - 1) * np.log2(B) - (w * before + (n - 1 - w) * after)
        # P(winner w, price M) = M^w (M+1)^(n−1−w) / B^n
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

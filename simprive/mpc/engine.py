"""Computing parties holding additive shares in Z_2^64: Beaver multiplication, AND gates
on XOR-shared words, and what they build — bit decomposition, comparison, selection.

Threat model: semi-honest computing parties; a trusted dealer supplies correlated
randomness (Beaver triples, shared random bits) before the protocol starts, and its
traffic is counted as ``offline_bytes``.  Every value opened during the protocol is
masked by dealer randomness, so it is uniform and independent of the inputs.

Shares have shape ``(T, …, m)``: trials first, the party last.  A binary (XOR) sharing
packs a value's 64 bits in one word, so one AND below is 64 bitwise ANDs at once.

References: Beaver (1991), "Efficient multiparty protocols using circuit randomization";
Demmler, Schneider, Zohner (2015), "ABY" (A2B with a Kogge–Stone adder, B2A with
shared random bits).
"""

from __future__ import annotations

import numpy as np

from simprive.mpc.ledger import Ledger
from simprive.mpc.rings import Ring64
from simprive.mpc.sharing import additive_share

__all__ = ["Engine"]

_U = np.uint64
WORD = 8  # bytes per element
SIGN = _U(63)


class Engine:
    """The m computing parties; ``parties[i]`` is computing party i's index in ``ledger``."""

    def __init__(self, m: int, rng: np.random.Generator, ledger: Ledger, parties=None, record: bool = True):
        self.m, self.rng, self.ledger = m, rng, ledger
        self.parties = np.arange(m) if parties is None else np.asarray(parties)
        self.ring = Ring64()
        self.record = record
        self.opened: list[tuple[str, np.ndarray]] = []  # every value the computing parties saw opened

    # -- sharing ---------------------------------------------------------------------
    def share(self, values) -> np.ndarray:
        return additive_share(np.asarray(values, _U), self.m, self.ring, self.rng)

    def xor_share(self, words) -> np.ndarray:
        words = np.asarray(words, _U)
        shares = self._words(words.shape + (self.m,))
        shares[..., -1] = words ^ np.bitwise_xor.reduce(shares[..., :-1], axis=-1)
        return shares

    def constant(self, values) -> np.ndarray:
        """A public value as shares: party 0 holds it, the others hold 0."""
        values = np.asarray(values, _U)
        out = np.zeros(values.shape + (self.m,), _U)
        out[..., 0] = values
        return out

    def _words(self, shape) -> np.ndarray:
        return self.rng.integers(0, 1 << 64, size=shape, dtype=_U, endpoint=False)

    @staticmethod
    def _per_trial(x) -> int:
        return int(np.prod(x.shape[1:-1], dtype=np.int64))

    def _deal(self, *sharings) -> None:
        """The dealer sends every party its share of each sharing (per trial)."""
        self.ledger.offline_bytes += sum(self._per_trial(s) for s in sharings) * self.m * WORD

    def input(self, values, owners, *, new_round: bool = True) -> np.ndarray:
        """Input parties secret-share their private values with the computing parties
        (one round).  ``values``: ``(T, n, …)``, row i owned by party ``owners[i]``, which
        sends one share to every computing party other than itself.  ``new_round=False``
        sends in the same round as the previous input."""
        values = np.asarray(values, _U)
        shares = self.share(values)
        per_owner = int(np.prod(values.shape[2:], dtype=np.int64)) * WORD
        src, dst = np.meshgrid(np.asarray(owners), self.parties, indexing="ij")
        keep = src != dst
        self.ledger.send(src[keep], dst[keep], per_owner)
        if new_round:
            self.ledger.round()
        return shares

    # -- communication ---------------------------------------------------------------------
    def open(self, *sharings, label: str, xor: bool = False) -> list[np.ndarray]:
        """Reveal sharings to every computing party, all in one round."""
        self.ledger.all_to_all(self.parties, sum(self._per_trial(s) for s in sharings) * WORD)
        self.ledger.round()
        values = [np.bitwise_xor.reduce(s, axis=-1) if xor else self.ring.sum(s) for s in sharings]
        if self.record:
            self.opened += [(label, v) for v in values]
        return values

    def reveal_to(self, shares, recipient: int) -> np.ndarray:
        """The computing parties send their shares of a result to one recipient."""
        senders = self.parties[self.parties != recipient]
        self.ledger.send(senders, recipient, self._per_trial(shares) * WORD)
        self.ledger.round()
        return self.ring.sum(shares)

    # -- gates -----------------------------------------------------------------------------
    def mul(self, x, y) -> np.ndarray:
        """Beaver multiplication: open d = x − a, e = y − b; z = c + d·b + e·a + d·e."""
        shape = x.shape[:-1]
        a, b = self._words(shape), self._words(shape)
        A, B, C = self.share(a), self.share(b), self.share(a * b)
        self._deal(A, B, C)
        d, e = self.open(x - A, y - B, label="beaver")
        z = C + d[..., None] * B + e[..., None] * A
        z[..., 0] += d * e
        return z

    def and_(self, x, y) -> np.ndarray:
        """AND of XOR-shared words, with a Beaver triple over GF(2)^64."""
        shape = x.shape[:-1]
        a, b = self._words(shape), self._words(shape)
        A, B, C = self.xor_share(a), self.xor_share(b), self.xor_share(a & b)
        self._deal(A, B, C)
        d, e = self.open(x ^ A, y ^ B, label="and", xor=True)
        z = C ^ (d[..., None] & B) ^ (e[..., None] & A)
        z[..., 0] ^= d & e
        return z

    # -- circuits --------------------------------------------------------------------------
    def add_binary(self, u, v) -> np.ndarray:
        """u + v mod 2^64 on XOR-shared words: a Kogge–Stone adder, 7 rounds.

        Generate/propagate prefixes use XOR in place of OR: a block cannot both generate
        a carry and propagate one, so the two terms never overlap."""
        p0 = u ^ v
        g = self.and_(u, v)
        p = p0
        for shift in (1, 2, 4, 8, 16, 32):
            k = _U(shift)
            if k < 32:
                both = self.and_(np.stack([p, p], axis=1), np.stack([g << k, p << k], axis=1))
                g, p = g ^ both[:, 0], both[:, 1]
            else:
                g = g ^ self.and_(p, g << k)
        return p0 ^ (g << _U(1))

    def a2b(self, x) -> np.ndarray:
        """Additive shares → XOR shares of the same 64-bit value (bit decomposition).

        Party i's share is an input it alone holds; the m inputs are added by a tree of
        binary adders, ⌈log2 m⌉ levels of 7 rounds."""
        terms = []
        for i in range(self.m):
            t = np.zeros_like(x)
            t[..., i] = x[..., i]
            terms.append(t)
        while len(terms) > 1:
            pairs = len(terms) // 2
            u = np.stack(terms[0 : 2 * pairs : 2], axis=1)
            v = np.stack(terms[1 : 2 * pairs : 2], axis=1)
            s = self.add_binary(u, v)
            terms = [s[:, i] for i in range(pairs)] + terms[2 * pairs :]
        return terms[0]

    def b2a(self, bit) -> np.ndarray:
        """XOR-shared bit (in bit 0) → additive shares, with a dealer's shared random bit r:
        open c = bit ⊕ r, then bit = c + r − 2cr, linear in r's shares."""
        r = self.rng.integers(0, 2, size=bit.shape[:-1], dtype=_U)
        R_xor, R_add = self.xor_share(r), self.share(r)
        self._deal(R_xor, R_add)
        (c,) = self.open(bit ^ R_xor, label="b2a", xor=True)
        c = c & _U(1)
        out = (_U(1) - _U(2) * c)[..., None] * R_add  # 1 − 2c is 1 or −1 mod 2^64
        out[..., 0] += c
        return out

    def less_than(self, x, y) -> np.ndarray:
        """Additive shares of [x < y] for signed values with |x − y| < 2^63."""
        words = self.a2b(x - y)
        return self.b2a((words >> SIGN) & _U(1))

    def argmax(self, values) -> tuple[np.ndarray, np.ndarray]:
        """Shares of the largest of ``values`` ``(T, n, m)`` and of its index (the first on
        ties, like ``numpy.argmax``): a tournament of ⌈log2 n⌉ comparison levels."""
        T, n, _ = values.shape
        index = self.constant(np.broadcast_to(np.arange(n, dtype=_U), (T, n)))
        while values.shape[1] > 1:
            h = values.shape[1] // 2
            left, right = values[:, 0 : 2 * h : 2], values[:, 1 : 2 * h : 2]
            li, ri = index[:, 0 : 2 * h : 2], index[:, 1 : 2 * h : 2]
            take_right = self.less_than(left, right)  # ties keep the left, lower index
            delta = self.mul(np.stack([take_right, take_right], axis=1), np.stack([right - left, ri - li], axis=1))
            values = np.concatenate([left + delta[:, 0], values[:, 2 * h :]], axis=1)
            index = np.concatenate([li + delta[:, 1], index[:, 2 * h :]], axis=1)
        return values[:, 0], index[:, 0]

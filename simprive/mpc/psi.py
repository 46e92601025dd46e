"""Private set intersection by Diffie–Hellman (commutative) encryption.

Parties: 0 (the receiver, who learns the result) holds X, 1 (the sender) holds Y.
In a group G of prime order q, with H hashing elements into G:

1. party 0 draws a secret α and sends {H(x)^α} in random order;
2. party 1 draws β, returns {(H(x)^α)^β} (in the same order: the *intersection* variant;
   shuffled: the *cardinality* variant) together with {H(y)^β};
3. party 0 raises the latter to α and matches H(·)^{αβ}: it learns X ∩ Y (or only |X ∩ Y|),
   party 1 learns |X| and nothing else (decisional Diffie–Hellman assumption, semi-honest).

2 messages, 2 rounds, (2|X| + |Y|) group elements.

The group is the quadratic residues modulo the safe prime p = 4294967087 (q = (p−1)/2
prime), so the arithmetic runs vectorised in 64-bit words: a real prime-order group with
the protocol's exact message pattern, but far too small for security (use ≥ 2048-bit
groups or elliptic curves to deploy; the cost model can be told the element size).  H is
splitmix64 followed by squaring — a simulation stand-in for a cryptographic hash; its
collisions make a false match with probability about |X|·|Y|/q.
"""

from __future__ import annotations

import numpy as np

from simprive.mpc.ledger import Ledger
from simprive.mpc.protocol import ProtocolRun, Roles
from simprive.validation import ConfigError

__all__ = ["ORDER", "SAFE_PRIME", "dh_psi", "hash_to_group", "mulmod", "powmod"]

SAFE_PRIME = 4294967087
ORDER = (SAFE_PRIME - 1) // 2
_P = np.uint64(SAFE_PRIME)


def mulmod(a, b):
    return (a * b) % _P  # a, b < 2^32: the product fits in 64 bits


def powmod(base, exponent):
    """base^exponent mod p elementwise; ``exponent`` broadcasts (one per trial)."""
    base = np.asarray(base, np.uint64)
    exponent = np.asarray(exponent, np.uint64)
    result = np.ones(np.broadcast_shapes(base.shape, exponent.shape), np.uint64)
    for bit in range(int(ORDER).bit_length()):  # 31 squarings, vectorised over everything
        result = np.where((exponent >> np.uint64(bit)) & np.uint64(1), mulmod(result, base), result)
        base = mulmod(base, base)
    return result


def hash_to_group(x) -> np.ndarray:
    """splitmix64(x) mod p, squared: an element of the order-q subgroup (never 0 or 1)."""
    z = np.asarray(x).astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    h = z % np.uint64(SAFE_PRIME - 3) + np.uint64(2)  # in [2, p − 2]
    return mulmod(h, h)


def _isin_rows(a, b) -> np.ndarray:
    """Row-wise ``numpy.isin``: ``a`` ``(T, k)``, ``b`` ``(T, l)``, values below p."""
    offset = (np.arange(len(a), dtype=np.uint64) * _P)[:, None]
    flat = np.sort((b + offset).ravel())
    pos = np.searchsorted(flat, (a + offset).ravel())
    pos = np.minimum(pos, len(flat) - 1)
    return (flat[pos] == (a + offset).ravel()).reshape(a.shape)


def dh_psi(x, y, rng: np.random.Generator, *, cardinality_only: bool = False, element_bytes: int = 4) -> ProtocolRun:
    """Sets ``x`` ``(T, k)`` (party 0) and ``y`` ``(T, l)`` (party 1), distinct integers per row.

    Output: ``(T, k)`` booleans, which of party 0's elements are in the intersection; or
    ``(T,)`` intersection sizes when ``cardinality_only``."""
    x, y = np.asarray(x), np.asarray(y)
    for key, s in (("set_x", x), ("set_y", y)):
        if s.ndim != 2 or s.shape[1] == 0:
            raise ConfigError(key, s.shape, "must be a non-empty set per trial")
        srt = np.sort(s, axis=1)
        if np.any(srt[:, 1:] == srt[:, :-1]):
            raise ConfigError(key, "duplicates", "a set holds each element once")
    T, k = x.shape
    alpha = rng.integers(1, ORDER, size=(T, 1), dtype=np.uint64)
    beta = rng.integers(1, ORDER, size=(T, 1), dtype=np.uint64)
    order = rng.permuted(np.broadcast_to(np.arange(k), (T, k)), axis=1)  # party 0's random order
    hx = hash_to_group(np.take_along_axis(x, order, axis=1))
    m1 = powmod(hx, alpha)  # round 1: party 0 → party 1
    m2 = powmod(m1, beta)  # round 2: party 1 → party 0, with
    m3 = powmod(hash_to_group(y), beta)
    if cardinality_only:
        m2 = rng.permuted(m2, axis=1)
    double_y = powmod(m3, alpha)
    hits = _isin_rows(m2, double_y)
    if cardinality_only:
        output = hits.sum(axis=1)
    else:
        output = np.empty_like(hits)
        np.put_along_axis(output, order, hits, axis=1)  # back to party 0's own order
    ledger = Ledger(2)
    ledger.send(0, 1, k * element_bytes)
    ledger.round()
    ledger.send(1, 0, (k + y.shape[1]) * element_bytes)
    ledger.round()

    def view(p: int) -> dict[str, np.ndarray]:
        if p == 0:
            return {"input": x, "alpha": alpha, "received_double": m2, "received_y": m3, "output": output}
        return {"input": y, "beta": beta, "received_x": m1}

    return ProtocolRun(output, ledger, Roles((0, 1), (0, 1), (0,)), view)

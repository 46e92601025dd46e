"""Secure aggregation that survives dropouts: SecAgg (Bonawitz et al., CCS 2017, §4) and
SecAgg+ (Bell et al., CCS 2020), at the level of keys, seeds, masks and shares, vectorised
over trials and clients.

n clients and one server; client u holds an integer vector x_u of dimension d in
Z_{2^bits}.  N(u) is every other client (SecAgg, k = n − 1) or the k nearest on a ring, k/2
on each side (SecAgg+ as Flower's ``SecAggPlusWorkflow`` builds it; the paper draws a random
k-regular graph).  The four rounds of the semi-honest protocol:

0. *AdvertiseKeys*: u draws two Diffie–Hellman key pairs (c for encrypting shares, s for
   masks) and sends g^c_u, g^s_u.  U1: who did.  The server forwards each its neighbours' keys.
1. *ShareKeys*: u draws a self-mask seed b_u and Shamir-shares s_u and b_u t-of-(k+1), one
   share for each neighbour in U1 and one it keeps; the neighbours' shares go encrypted
   through the server.  U2: who did.
2. *MaskedInputCollection*: u sends y_u = x_u + PRG(b_u) + Σ_{v ∈ N(u) ∩ U2} ±PRG(s_uv)
   mod 2^bits, with s_uv = H(g^{s_u s_v}) and + when u < v.  U3: who did.
3. *Unmasking*: u sends, for each v ∈ (N(u) ∪ {u}) ∩ U2, its share of b_v if v ∈ U3, of
   s_v if v dropped.  U4: who did.  From t shares each, the server rebuilds b_v for v ∈ U3
   and s_v for v ∈ U2 ∖ U3, recomputes the dropped clients' masks with the survivors' public
   keys, and outputs Σ_{u ∈ U3} x_u mod 2^bits — or fails, when a secret it needs has fewer
   than t shares among U4.

What is real and what stands in:

* The group is the quadratic residues modulo the safe prime of :mod:`simprive.mpc.psi`: a
  real Diffie–Hellman group, far too small for security; the ledger prices keys at
  ``key_bytes`` (the paper's 256 bits).  A pair's agreed key g^{s_u s_v} is computed from the
  exponents' product with a fixed-base table — the value each client's (g^{s_v})^{s_u}
  gives, as a test checks — and the server's recomputation for a dropped client is a true
  exponentiation of the survivor's public key by the rebuilt secret.
* H and the PRG are splitmix64 in counter mode, a statistical stand-in for a hash and
  AES-CTR.  The c keys are drawn and advertised; the shares' encryption is not simulated
  (the ledger prices each ciphertext at ``share_bytes`` per share, payload only).
* Shamir shares live in Z_p, p = 1,048,573 < 2^20, each secret in 19-bit limbs: every
  product and every sum of up to 8,192 of them is exact in float64, so all clients' shares
  come from one matrix product, coefficients × Vandermonde.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from simprive.mpc.psi import ORDER, SAFE_PRIME, mulmod, powmod
from simprive.validation import ConfigError

__all__ = ["ROUNDS", "SHARE_PRIME", "SecAggRun", "agreed_key", "check_protocol", "lagrange_at_zero_batch",
           "neighbours", "prg", "secure_aggregation", "shamir_points", "traffic", "unmask"]

ROUNDS = ("advertise_keys", "share_keys", "masked_input", "unmasking")
SHARE_PRIME = 1048573  # the largest prime below 2^20
LIMB_BITS = 19  # a limb is below 2^19 < p
LIMBS = 4  # s_u (31 bits) and b_u (38 bits), two limbs each
PAIR_BLOCK = 1 << 20  # mask words expanded at once: big enough to amortise the loop, small enough for cache
MAX_THRESHOLD = 8192  # t − 1 products below 2^40 add up exactly in float64 (< 2^53)
GENERATOR = 4  # 2²: a quadratic residue other than 1, so it generates the order-q subgroup
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_C1, _C2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_SELF = np.uint64(0xD1B54A32D192ED03)  # separates self-mask seeds from pair seeds


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, in place on a fresh uint64 array."""
    z ^= z >> np.uint64(30)
    z *= _C1
    z ^= z >> np.uint64(27)
    z *= _C2
    z ^= z >> np.uint64(31)
    return z


def prg(seeds, dim: int) -> np.ndarray:
    """``seeds.shape + (dim,)`` pseudorandom 64-bit words: the mask a seed expands to."""
    counters = np.arange(1, dim + 1, dtype=np.uint64) * _GOLDEN
    return _mix(np.asarray(seeds, np.uint64)[..., None] + counters)


@functools.cache
def _fixed_base_table() -> np.ndarray:
    """table[i, d] = g^(d · 256^i) mod p, for exponents of 32 bits."""
    table = np.empty((4, 256), np.uint64)
    base = GENERATOR
    for i in range(4):
        power = 1
        for d in range(256):
            table[i, d] = power
            power = power * base % SAFE_PRIME
        base = pow(base, 256, SAFE_PRIME)
    return table


def _g_pow(exponent: np.ndarray) -> np.ndarray:
    """g^exponent mod p for exponents below 2^32, by four table lookups."""
    table, e = _fixed_base_table(), np.asarray(exponent, np.uint64)
    out = table[0][e & np.uint64(255)]
    for i in range(1, 4):
        out = mulmod(out, table[i][(e >> np.uint64(8 * i)) & np.uint64(255)])
    return out


def agreed_key(secret_u, secret_v) -> np.ndarray:
    """g^{s_u s_v} mod p: the key u and v agree on from each other's public keys."""
    return _g_pow(np.asarray(secret_u, np.uint64) * np.asarray(secret_v, np.uint64) % np.uint64(ORDER))


@functools.cache
def neighbours(n: int, k: int) -> np.ndarray:
    """``(n, k)``: client u's neighbours — everyone else when k = n − 1, else the ring's
    k/2 nearest on each side.  The graph is symmetric: v ∈ N(u) ⇔ u ∈ N(v)."""
    if k >= n - 1:
        offsets = np.arange(1, n)
    else:
        half = np.arange(1, k // 2 + 1)
        offsets = np.concatenate([half, n - half])
    table = (np.arange(n)[:, None] + offsets) % n
    table.flags.writeable = False  # one table per (n, k), shared by every run
    return table


def shamir_points(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Who holds client u's shares and at which points: ``holders`` ``(n, m)`` and the
    points ``(m,)``, the same for every u.  SecAgg: every client, at its own index + 1 (so a
    trial's responders are one point set for all secrets); SecAgg+: u itself, then its
    neighbours, at 1…k+1."""
    if k >= n - 1:
        return np.broadcast_to(np.arange(n), (n, n)), np.arange(1, n + 1)
    return np.concatenate([np.arange(n)[:, None], neighbours(n, k)], axis=1), np.arange(1, k + 2)


def _vandermonde(points: np.ndarray, t: int) -> np.ndarray:
    """``(t − 1, m)``: x^j mod p for j = 1…t − 1, as float64 (exact: entries below 2^20)."""
    out = np.empty((t - 1, len(points)), np.int64)
    power = np.asarray(points, np.int64) % SHARE_PRIME
    for j in range(t - 1):
        out[j] = power
        power = power * points % SHARE_PRIME
    return out.astype(np.float64)


def _powmod_small(base: np.ndarray, exponent: int) -> np.ndarray:
    result = np.ones_like(base)
    base = base % SHARE_PRIME
    while exponent:
        if exponent & 1:
            result = result * base % SHARE_PRIME
        base = base * base % SHARE_PRIME
        exponent >>= 1
    return result


def lagrange_at_zero_batch(points: np.ndarray) -> np.ndarray:
    """λ ``(B, t)`` with f(0) = Σ_j λ_j f(x_j) mod p, for a batch of point sets ``(B, t)``:
    λ_j = Π_{m≠j} x_m / (x_m − x_j)."""
    x = np.asarray(points, np.int64)
    num, den = np.ones_like(x), np.ones_like(x)
    cols = np.arange(x.shape[-1])
    for m in range(x.shape[-1]):
        other = cols != m
        num = np.where(other, num * x[..., m : m + 1] % SHARE_PRIME, num)
        den = np.where(other, den * ((x[..., m : m + 1] - x) % SHARE_PRIME) % SHARE_PRIME, den)
    return num * _powmod_small(den, SHARE_PRIME - 2) % SHARE_PRIME


def check_protocol(n: int, k: int, t: int, bits: int, dropout) -> tuple[float, ...]:
    """The protocol's own limits, before any work; returns the per-round dropout
    probabilities.  A single probability is the masked-input round's: clients that vanish
    after sharing their keys, the case the unmasking round exists for; a mapping names the
    rounds (:data:`ROUNDS`), the others 0."""
    if k < n - 1 and (k < 2 or k % 2):
        raise ConfigError("mechanism.neighbours", k, f"must be an even number from 2 to n − 2 = {n - 2} "
                                                     "(a ring, k/2 on each side), or null for everyone")
    m = n if k >= n - 1 else k + 1
    if not 1 <= t <= m:
        raise ConfigError("mechanism.threshold", t, f"must be from 1 to the {m} shares of each secret")
    if t > MAX_THRESHOLD:
        raise ConfigError("mechanism.threshold", t, f"must be at most {MAX_THRESHOLD} (exact shares in float64)")
    if not 1 <= bits <= 62:
        raise ConfigError("mechanism.bits", bits, "must be from 1 to 62")
    if isinstance(dropout, Mapping):
        unknown = sorted(set(dropout) - set(ROUNDS))
        rates = {r: dropout.get(r, 0.0) for r in ROUNDS}
    else:
        unknown, rates = [], {r: dropout if r == "masked_input" else 0.0 for r in ROUNDS}
    valid = not unknown and all(isinstance(p, (int, float)) and not isinstance(p, bool) and 0 <= p < 1
                                for p in rates.values())
    if not valid:
        raise ConfigError("mechanism.dropout", dropout, "must be a probability in [0, 1), or a mapping of rounds to "
                                                        f"probabilities ({', '.join(ROUNDS)}), e.g. "
                                                        "{share_keys: 0.05, masked_input: 0.1}")
    return tuple(float(p) for p in rates.values())


def traffic(alive, keys_from, shares_from, *, dim: int, bits: int, key_bytes: int, share_bytes: int):
    """Bytes a client sends and receives, from the protocol's messages, given whether it was
    alive in each round (``alive``: four booleans or arrays, U1…U4) and how many of its
    neighbours advertised keys (``keys_from``: |N(u) ∩ U1|) and shared (``shares_from``:
    |N(u) ∩ U2|).  The simulation passes arrays; pricing a size too large to simulate
    passes plain numbers.  Payload only: ids and the survivor lists are not priced."""
    a1, a2, a3, a4 = alive
    masked = math.ceil(dim * bits / 8)
    sent = (a1 * 2 * key_bytes  # its two public keys
            + a2 * 2 * share_bytes * keys_from  # a pair of encrypted shares for each neighbour in U1
            + a3 * masked  # its masked vector
            + a4 * share_bytes * (1 + shares_from))  # one share for itself and each neighbour in U2
    received = a1 * 2 * key_bytes * keys_from + a2 * 2 * share_bytes * shares_from
    return sent, received


@dataclass
class SecAggRun:
    """One protocol run on T trials.  ``output``: the server's sum mod 2^bits ``(T, d)``
    (meaningless where ``failed``); ``alive``: ``(4, T, n)``, who took part in each round;
    ``sent``/``received``: each client's bytes ``(T, n)``; ``masked``: the server's view of
    the masked inputs ``(T, n, d)`` (zero for clients that never sent one); ``shares``: every
    client's Shamir shares ``(T, n, 4 limbs, m)``; ``holders``: who holds each, at ``points``;
    ``neighbours``: the graph; ``public_keys``: the mask keys g^{s_u} ``(T, n)``."""

    output: np.ndarray
    failed: np.ndarray
    alive: np.ndarray
    sent: np.ndarray
    received: np.ndarray
    masked: np.ndarray
    shares: np.ndarray
    holders: np.ndarray
    points: np.ndarray
    neighbours: np.ndarray
    public_keys: np.ndarray


def _draw_alive(rng, T: int, n: int, rates) -> np.ndarray:
    """``(4, T, n)``: a client in round r took part in every round before it and did not
    drop at r (independently, with the round's probability)."""
    stay = rng.random((len(ROUNDS), T, n)) >= np.asarray(rates)[:, None, None]
    return np.logical_and.accumulate(stay, axis=0)


def _split(secret: np.ndarray) -> list[np.ndarray]:
    low = np.uint64((1 << LIMB_BITS) - 1)
    return [secret & low, secret >> np.uint64(LIMB_BITS)]


def _join(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return low.astype(np.uint64) | (high.astype(np.uint64) << np.uint64(LIMB_BITS))


def _share(secrets: np.ndarray, t: int, points: np.ndarray, rng) -> np.ndarray:
    """Shamir shares ``secrets.shape + (m,)`` of degree t − 1: secret + Σ_j c_j x^j mod p."""
    if t == 1:
        return np.repeat(secrets[..., None], len(points), axis=-1).astype(np.int64)
    coeffs = np.floor(rng.random((secrets.size, t - 1)) * SHARE_PRIME)  # uniform on 0…p−1, as floats
    shares = coeffs @ _vandermonde(points, t)  # one BLAS product (a stacked matmul would loop per secret)
    shares += secrets.reshape(-1, 1)
    out = shares.astype(np.int64)  # exact: below 2^53
    out %= SHARE_PRIME  # (integer mod: np.fmod on floats is ten times slower)
    return out.reshape(secrets.shape + (len(points),))


def _reconstruct(shares: np.ndarray, holders: np.ndarray, points: np.ndarray, responded: np.ndarray, t: int):
    """Each client's secret limbs ``(T, n, 4)`` from the first t responders among its
    holders, and whether t responded.  SecAgg's holders are the same for every secret, so
    its Lagrange coefficients are one set per trial."""
    same = holders.shape[1] == holders.shape[0] and bool(np.all(holders == holders[:1]))
    rows = holders[:1] if same else holders
    answered = responded[:, rows]  # (T, n or 1, m)
    enough = answered.sum(axis=-1) >= t
    first = np.argsort(~answered, axis=-1, kind="stable")[..., :t]  # the first t responders' positions
    lam = lagrange_at_zero_batch(points[first])  # (T, n or 1, t)
    T, n = shares.shape[:2]
    picked = np.take_along_axis(shares, np.broadcast_to(first[:, :, None, :], (T, n, LIMBS, t)), axis=-1)
    secrets = (picked * lam[:, :, None, :]).sum(axis=-1) % SHARE_PRIME
    return secrets, np.broadcast_to(enough, (T, n))


def secure_aggregation(x, rng: np.random.Generator, *, bits: int, k: int | None = None, t: int, dropout=0.0,
                       key_bytes: int = 32, share_bytes: int = 32, alive=None) -> SecAggRun:
    """Run the protocol on integer vectors ``x`` ``(T, n, d)`` (any integers: they are taken
    mod 2^bits) among n clients with k neighbours each (None: everyone, SecAgg).  Dropouts
    are drawn from ``dropout``, or given: ``alive`` ``(4, T, n)``, who takes part in each
    round (a client absent from a round is absent from the later ones)."""
    x = np.asarray(x)
    T, n, d = x.shape
    k = n - 1 if k is None or k >= n - 1 else int(k)
    rates = check_protocol(n, k, t, bits, dropout)
    modulus_mask = np.uint64((1 << bits) - 1)
    alive = _draw_alive(rng, T, n, rates) if alive is None else np.logical_and.accumulate(
        np.broadcast_to(np.asarray(alive, bool), (len(ROUNDS), T, n)), axis=0)
    u1, u2, u3, u4 = alive
    nbr = neighbours(n, k)

    # round 0: key pairs (c keys only advertised: their encryption is priced, not run)
    s_secret = rng.integers(1, ORDER, size=(T, n), dtype=np.uint64)
    public_keys = _g_pow(s_secret)
    # round 1: self-mask seeds, and Shamir shares of (s_u, b_u)
    b_seed = rng.integers(0, 1 << (2 * LIMB_BITS), size=(T, n), dtype=np.uint64)
    holders, points = shamir_points(n, k)
    limbs = np.stack(_split(s_secret) + _split(b_seed), axis=-1).astype(np.int64)
    shares = _share(limbs, t, points, rng)
    # round 2: masked inputs from U3, with masks for the neighbours that shared (U2)
    y = x.astype(np.int64).astype(np.uint64) + prg(b_seed ^ _SELF, d) + _pair_masks(s_secret, u2, k, d)
    y = np.where(u3[..., None], y & modulus_mask, np.uint64(0))
    # round 3: the server rebuilds b_v (v ∈ U3) and s_v (v ∈ U2 ∖ U3) from U4's shares
    rebuilt, enough = _reconstruct(shares, holders, points, u4, t)
    needed = u2  # every client that shared: its b if it sent an input, its s if it dropped
    failed = np.any(needed & ~enough, axis=1) | ~np.any(u3, axis=1)
    total = y.sum(axis=1, dtype=np.uint64)
    b_rebuilt = _join(rebuilt[..., 2], rebuilt[..., 3])
    total -= (prg(b_rebuilt ^ _SELF, d) * u3[..., None].astype(np.uint64)).sum(axis=1, dtype=np.uint64)
    total -= _dropped_masks(public_keys, _join(rebuilt[..., 0], rebuilt[..., 1]), u2 & ~u3, u3, nbr, d)
    output = total & modulus_mask

    keys_from = u1[:, nbr].sum(axis=2)
    shares_from = u2[:, nbr].sum(axis=2)
    sent, received = traffic(alive, keys_from, shares_from, dim=d, bits=bits, key_bytes=key_bytes,
                             share_bytes=share_bytes)
    return SecAggRun(output, failed, alive, sent, received, y, shares, holders, points, nbr, public_keys)


def _pair_masks(s_secret, shared, k: int, d: int) -> np.ndarray:
    """``(T, n, d)``: Σ_{v ∈ N(u) ∩ U2} ±PRG(s_uv) for every client u, each pair's mask
    expanded once and added by one side, subtracted by the other.  Pairs are taken a block of
    offsets at a time (v = u + o mod n): a loop over the graph's k/2 offsets in blocks, each
    step vectorised over trials, clients and the block's offsets."""
    T, n = s_secret.shape
    out = np.zeros((T, n, d), np.uint64)
    u = np.arange(n)
    minus = np.uint64(2**64 - 1)  # −1 mod 2^64
    offsets = np.arange(1, (n if k >= n - 1 else k + 1) // 2 + 1)
    block = max(1, PAIR_BLOCK // max(1, T * n * d))
    for start in range(0, len(offsets), block):
        o = offsets[start:start + block, None]  # (B, 1)
        v = (u + o) % n  # (B, n): the pair (u, u + o)
        weight = np.where(u < v, np.uint64(1), minus) * (shared[:, None, :] & shared[:, v])  # (T, B, n)
        weight[:, (2 * o[:, 0] == n)[:, None] & (u >= n // 2)] = 0  # antipodal pairs come round twice: once
        masks = prg(_mix(agreed_key(s_secret[:, None, :], s_secret[:, v])), d)  # (T, B, n, d)
        masks *= weight[..., None]
        out += masks.sum(axis=1, dtype=np.uint64)
        # client w holds the mask of the pair (w − o, w) with the other sign
        back = (u - o) % n
        out -= masks[:, np.arange(len(o))[:, None], back].sum(axis=1, dtype=np.uint64)
    return out


def _dropped_masks(public_keys, s_rebuilt, dropped, survived, nbr, d: int) -> np.ndarray:
    """``(T, d)``: what the survivors' pairwise masks with dropped clients add up to, as the
    server recomputes them: s_uv = H((g^{s_u})^{s_v}) from u's public key and v's rebuilt
    secret — a true exponentiation."""
    T = len(public_keys)
    trial, v = np.nonzero(dropped)
    out = np.zeros((T, d), np.uint64)
    if len(v) == 0:
        return out
    u = nbr[v]  # (D, k)
    live = survived[trial[:, None], u]
    rows, cols = np.nonzero(live)
    tt, uu, vv = trial[rows], u[rows, cols], v[rows]
    key = powmod(public_keys[tt, uu], s_rebuilt[tt, vv])
    masks = prg(_mix(key.copy()), d)
    masks = np.where((uu < vv)[:, None], masks, np.uint64(0) - masks)  # the survivor u added + when u < v
    np.add.at(out, tt, masks)  # wraps mod 2^64, as the sums do
    return out


def unmask(run: SecAggRun, target: int, b_from, s_from, *, t: int, bits: int):
    """What the holders of ``target``'s shares give away if they pool them: its masked input
    with the self mask (b rebuilt from the first t shares ``b_from`` marks) and the pairwise
    masks (s rebuilt from the first t shares ``s_from`` marks) removed, mod 2^bits.
    ``b_from``/``s_from``: ``(T, m)`` booleans over the target's holders (its row of
    ``run.holders``).  Returns the ``(T, d)`` result and whether t shares of each were there;
    with fewer than t, the missing shares count as 0 and the rebuild is garbage."""
    d = run.masked.shape[2]
    row = run.shares[:, target]  # (T, 4 limbs, m)
    secrets = []
    for chosen, limbs in ((np.asarray(b_from), (2, 3)), (np.asarray(s_from), (0, 1))):
        count = chosen.sum(axis=1)
        first = np.argsort(~chosen, axis=1, kind="stable")[:, :t]
        lam = lagrange_at_zero_batch(run.points[first])
        picked = np.take_along_axis(row, first[:, None, :], axis=-1)  # (T, 4, t)
        # a share the coalition does not hold is not there: a zero in its place
        picked = np.where(np.take_along_axis(chosen, first, axis=1)[:, None, :], picked, 0)
        value = (picked * lam[:, None, :]).sum(axis=-1) % SHARE_PRIME
        secrets.append((_join(value[:, limbs[0]], value[:, limbs[1]]), count >= t))
    (b, b_ok), (s, s_ok) = secrets
    out = run.masked[:, target] - prg(b ^ _SELF, d)
    nbr = run.neighbours[target]
    shared = run.alive[1][:, nbr]  # the neighbours it masked with
    keys = powmod(run.public_keys[:, nbr], s[:, None])  # (T, k): (g^{s_v})^{s_target}
    masks = prg(_mix(keys.copy()), d)
    masks = np.where((target < nbr)[None, :, None], masks, np.uint64(0) - masks)
    out -= (masks * shared[..., None].astype(np.uint64)).sum(axis=1, dtype=np.uint64)
    return out & np.uint64((1 << bits) - 1), b_ok & s_ok

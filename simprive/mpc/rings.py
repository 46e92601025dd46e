"""Arithmetic in a prime field and in Z_2^64, vectorised over numpy ``uint64`` arrays.

No Python big integers on the hot path: the default field is the Mersenne prime
p = 2^61 − 1, whose products are reduced with shifts (2^61 ≡ 1 mod p), and any prime
below 2^32 works with plain ``(a * b) % p``.  ``Ring64`` is Z_2^64, where numpy's
wrap-around arithmetic is exactly reduction mod 2^64.

Fixed-point reals are encoded as ``round(x · 2^f)`` with negatives as ``q − |·|``; the
encoding is exact for ``|x| < q / 2^(f+1)`` and its resolution is ``2^−f``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from simprive.validation import ConfigError

__all__ = ["Integers", "MERSENNE61", "PrimeField", "Ring64", "make_ring"]

MERSENNE61 = (1 << 61) - 1
_U = np.uint64
_LOW32 = _U(0xFFFFFFFF)
_M61 = _U(MERSENNE61)


def _is_prime(p: int) -> bool:
    if p < 2:
        return False
    # deterministic Miller–Rabin for p < 3.3e24 with these bases
    d, s = p - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41):
        if a % p == 0:
            continue
        x = pow(a, d, p)
        if x in (1, p - 1):
            continue
        for _ in range(s - 1):
            x = x * x % p
            if x == p - 1:
                break
        else:
            return False
    return True


def _reduce61(x: np.ndarray) -> np.ndarray:
    """x < 2^64 → x mod (2^61 − 1)."""
    x = (x & _M61) + (x >> _U(61))
    return x - np.where(x >= _M61, _M61, _U(0))  # no wrapped intermediate, even for scalars


def _mul61(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a·b mod 2^61 − 1 for a, b < 2^61, with 32-bit limbs so no partial product overflows."""
    a0, a1 = a & _LOW32, a >> _U(32)  # a1 < 2^29
    b0, b1 = b & _LOW32, b >> _U(32)
    low = _reduce61(a0 * b0)  # < 2^64 before reduction
    mid = a1 * b0 + a0 * b1  # < 2^62
    # mid·2^32 = (mid >> 29)·2^61 + (mid mod 2^29)·2^32 ≡ (mid >> 29) + (mid mod 2^29)·2^32
    mid = (mid >> _U(29)) + ((mid & _U((1 << 29) - 1)) << _U(32))
    high = (a1 * b1) << _U(3)  # 2^64 ≡ 2^3; a1·b1 < 2^58 so this is < 2^61
    return _reduce61(_reduce61(low + _reduce61(mid)) + high)


@dataclass(frozen=True)
class PrimeField:
    """Z_p for a prime p that is either 2^61 − 1 or below 2^32."""

    modulus: int = MERSENNE61
    dtype = np.uint64

    def __post_init__(self):
        if not (self.modulus == MERSENNE61 or 2 < self.modulus < 1 << 32) or not _is_prime(self.modulus):
            raise ConfigError("mechanism.field", self.modulus, "must be the prime 2^61-1 or a prime below 2^32")

    @property
    def name(self) -> str:
        return "mersenne61" if self.modulus == MERSENNE61 else f"prime{self.modulus}"

    @property
    def element_bytes(self) -> int:
        return (self.modulus.bit_length() + 7) // 8

    def _q(self):
        return _U(self.modulus)

    def random(self, rng: np.random.Generator, size) -> np.ndarray:
        """Uniform field elements, exactly (no modulo bias).

        For 2^61 − 1: the top 61 bits of raw 64-bit draws, redrawing the one value that is
        ≡ 0 (probability 2^-61 each); otherwise ``Generator.integers``."""
        if self.modulus != MERSENNE61:
            return rng.integers(0, self.modulus, size=size, dtype=np.uint64)
        out = rng.bit_generator.random_raw(size) >> _U(3)
        bad = out == _M61
        while np.any(bad):
            out[bad] = rng.bit_generator.random_raw(int(bad.sum())) >> _U(3)
            bad = out == _M61
        return out

    def add(self, a, b):
        s = np.asarray(a, _U) + np.asarray(b, _U)  # < 2^62: no overflow
        return s - np.where(s >= self._q(), self._q(), _U(0))

    def sub(self, a, b):
        a, b = np.asarray(a, _U), np.asarray(b, _U)
        return a + np.where(a >= b, _U(0), self._q()) - b  # a + q − b < 2^62 when a < b

    def neg(self, a):
        a = np.asarray(a, _U)
        return np.where(a == 0, a, self._q() - a)

    def mul(self, a, b):
        a, b = np.asarray(a, _U), np.asarray(b, _U)
        if self.modulus == MERSENNE61:
            return _mul61(*np.broadcast_arrays(a, b))
        return (a * b) % self._q()  # both < 2^32: the product fits

    def sum(self, a, axis=-1):
        """Sum along ``axis`` without overflow, in native reductions.

        Below 2^32 a uint64 sum of up to 2^32 elements cannot overflow.  For 2^61 − 1 each
        element is split into 32-bit halves, each half summed natively, and the two sums
        recombined as hi·2^32 + lo mod p."""
        a = np.asarray(a, _U)
        if a.shape[axis] == 0:
            return np.zeros(np.delete(a.shape, axis % a.ndim), _U)
        if self.modulus != MERSENNE61:
            return a.sum(axis=axis, dtype=_U) % self._q()
        if a.shape[axis] <= 7:  # 7·2^61 < 2^64: add the slices elementwise, reduce once
            return _reduce61(functools.reduce(np.add, np.moveaxis(a, axis, 0)))
        lo = (a & _LOW32).sum(axis=axis, dtype=_U)  # < n·2^32
        hi = (a >> _U(32)).sum(axis=axis, dtype=_U)  # < n·2^29
        return self.add(_reduce61(lo), _mul61(_reduce61(hi), np.full_like(hi, 1 << 32)))

    def inverse(self, a: int) -> int:
        """Multiplicative inverse of one element (Fermat), for public constants only."""
        a = int(a) % self.modulus
        if a == 0:
            raise ZeroDivisionError("0 has no inverse")
        return pow(a, self.modulus - 2, self.modulus)

    # -- integers and fixed point ------------------------------------------------------
    @property
    def max_int(self) -> int:
        """Largest |x| a signed integer can have and still be encoded unambiguously."""
        return (self.modulus - 1) // 2

    def encode(self, x, frac_bits: int = 0, key: str = "value") -> np.ndarray:
        """Signed integers (or reals with ``frac_bits`` fractional bits) → field elements."""
        scaled = np.rint(np.asarray(x, dtype=float) * (1 << frac_bits)) if frac_bits else np.asarray(x)
        # compare with max_int + 1, exact in floating point (max_int itself may round up)
        out = np.abs(scaled) >= self.max_int + 1
        if np.any(out):
            bad = np.asarray(x).ravel()[np.argmax(np.ravel(out))]
            raise ConfigError(key, bad, f"outside the encodable range ±{self.max_int / (1 << frac_bits):.6g} "
                                        f"of {self.name} with {frac_bits} fractional bits")
        scaled = np.asarray(scaled, dtype=np.int64)
        return np.where(scaled >= 0, scaled, self.modulus + scaled).astype(_U)

    def check(self, a, key: str = "value") -> np.ndarray:
        """``a`` as field elements, or a ConfigError if any is not in ``[0, q)``."""
        a = np.asarray(a)
        if np.any(a < 0) or np.any(a >= self.modulus):
            raise ConfigError(key, int(np.ravel(a)[np.argmax(np.ravel((a < 0) | (a >= self.modulus)))]),
                              f"must be a field element in [0, {self.modulus})")
        return a.astype(_U)

    def decode(self, a, frac_bits: int = 0) -> np.ndarray:
        """Field elements → signed integers (or reals): the inverse of :meth:`encode`."""
        a = np.asarray(a, _U)
        signed = np.where(a > _U(self.max_int), -(self._q() - a).astype(np.int64), a.astype(np.int64))
        return signed / (1 << frac_bits) if frac_bits else signed


@dataclass(frozen=True)
class Ring64:
    """Z_2^64: numpy's unsigned 64-bit arithmetic wraps, which is reduction mod 2^64."""

    modulus: int = 1 << 64
    name: str = "ring64"
    element_bytes: int = 8
    dtype = np.uint64

    def random(self, rng, size):
        return rng.bit_generator.random_raw(size)  # 64 uniform bits: exactly uniform in Z_2^64

    def add(self, a, b):
        return np.asarray(a, _U) + np.asarray(b, _U)

    def sub(self, a, b):
        return np.asarray(a, _U) - np.asarray(b, _U)

    def neg(self, a):
        return _U(0) - np.asarray(a, _U)

    def mul(self, a, b):
        return np.asarray(a, _U) * np.asarray(b, _U)

    def sum(self, a, axis=-1):
        return np.asarray(a, _U).sum(axis=axis, dtype=_U)

    @property
    def max_int(self) -> int:
        return 1 << 62  # headroom: sums and differences of two values stay below 2^63

    def encode(self, x, frac_bits: int = 0, key: str = "value"):
        scaled = np.rint(np.asarray(x, dtype=float) * (1 << frac_bits)) if frac_bits else np.asarray(x)
        if np.any(np.abs(scaled) > self.max_int):
            raise ConfigError(key, float(np.max(np.abs(x))), "outside the encodable range of ring64")
        return np.asarray(scaled, dtype=np.int64).astype(_U)

    def decode(self, a, frac_bits: int = 0):
        signed = np.asarray(a, _U).astype(np.int64)
        return signed / (1 << frac_bits) if frac_bits else signed


@dataclass(frozen=True)
class Integers:
    """Plain integers, the article's table: shares are ordinary numbers of about the
    secret's size, drawn uniformly from ``[−spread, spread]``.  No modulus hides them, so
    their magnitudes leak — the reason real protocols share in a field."""

    spread: int = 5000
    name: str = "integers"
    element_bytes: int = 8
    dtype = np.int64
    modulus = None

    def random(self, rng, size):
        return rng.integers(-self.spread, self.spread, size=size, endpoint=True)

    def add(self, a, b):
        return np.asarray(a, np.int64) + np.asarray(b, np.int64)

    def sub(self, a, b):
        return np.asarray(a, np.int64) - np.asarray(b, np.int64)

    def neg(self, a):
        return -np.asarray(a, np.int64)

    def mul(self, a, b):
        return np.asarray(a, np.int64) * np.asarray(b, np.int64)

    def sum(self, a, axis=-1):
        return np.asarray(a, np.int64).sum(axis=axis)

    def encode(self, x, frac_bits: int = 0, key: str = "value"):
        return np.asarray(x, np.int64)

    def decode(self, a, frac_bits: int = 0):
        return np.asarray(a, np.int64)


def make_ring(name: str | int = "mersenne61"):
    """``mersenne61`` (default), ``ring64``, ``integers``, or a prime below 2^32."""
    if name == "integers":
        return Integers()
    if name in ("mersenne61", MERSENNE61):
        return PrimeField(MERSENNE61)
    if name == "ring64":
        return Ring64()
    if isinstance(name, int) or (isinstance(name, str) and name.isdigit()):
        return PrimeField(int(name))
    raise ConfigError("mechanism.field", name, "choose mersenne61, ring64 or a prime below 2^32")

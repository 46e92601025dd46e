"""Secret sharing: additive n-of-n and Shamir t-of-n, vectorised over trials.

Threat model: semi-honest parties.  Additive shares of a secret s are n uniformly random
field elements conditioned on summing to s, so any n − 1 of them are uniform and
independent of s.  Shamir shares are evaluations at x = 1..n of a random polynomial of
degree t with constant term s: any t + 1 reconstruct s, any t are independent of it.

Names follow Shamir (1979) and MPyC's ``thresha``: ``t`` the degree (corruption
threshold), ``n`` the number of shares.
"""

from __future__ import annotations

import numpy as np

from simprive.validation import ConfigError

__all__ = ["additive_reconstruct", "additive_share", "lagrange_at_zero", "shamir_reconstruct", "shamir_share"]


def additive_share(secret, n: int, field, rng: np.random.Generator, axis: int = -1) -> np.ndarray:
    """``secret`` of shape ``S`` (field elements) → n shares along a new ``axis`` (default
    last: shape ``S + (n,)``).

    The first n − 1 shares are uniform; the last is the secret minus their sum.  ``axis``
    only chooses the memory layout, e.g. to make later sums along the inputs contiguous.
    """
    secret = np.asarray(secret, field.dtype)
    if n < 1:
        raise ConfigError("n", n, "must be an integer >= 1")
    ax = axis % (secret.ndim + 1)
    shape = list(secret.shape)
    shape.insert(ax, n)
    shares = np.asarray(field.random(rng, tuple(shape)), field.dtype)
    head: list = [slice(None)] * len(shape)
    last: list = [slice(None)] * len(shape)
    head[ax], last[ax] = slice(0, n - 1), n - 1
    # overwrite the last share (drawn only to fill the array: cheaper than concatenating)
    shares[tuple(last)] = field.sub(secret, field.sum(shares[tuple(head)], axis=ax)) if n > 1 else secret
    return shares


def additive_reconstruct(shares, field) -> np.ndarray:
    return field.sum(shares)


def _check_threshold(t: int, n: int) -> None:
    if not 0 <= t < n:
        raise ConfigError("mechanism.t", t, f"must be in [0, n) = [0, {n}): t + 1 shares reconstruct")


def shamir_share(secret, n: int, t: int, field, rng: np.random.Generator) -> np.ndarray:
    """Shares ``S + (n,)``: share j is f(j + 1) for f(x) = secret + c1 x + … + ct x^t."""
    _check_threshold(t, n)
    if n >= field.modulus:
        raise ConfigError("n", n, f"must be below the field size {field.modulus}")
    secret = np.asarray(secret, np.uint64)
    coeffs = field.random(rng, secret.shape + (t,))
    xs = np.arange(1, n + 1, dtype=np.uint64)
    # Horner's rule over the t coefficients, all trials and parties at once
    acc = np.zeros(secret.shape + (n,), np.uint64)
    for i in range(t - 1, -1, -1):
        acc = field.add(field.mul(acc, xs), coeffs[..., i : i + 1])
    return field.add(field.mul(acc, xs), secret[..., None])


def lagrange_at_zero(points, field) -> np.ndarray:
    """Coefficients λ_j with f(0) = Σ λ_j f(x_j), for distinct public points x_j."""
    points = [int(x) for x in points]
    if len(set(points)) != len(points):
        raise ConfigError("points", points, "must be distinct")
    q = field.modulus
    lams = []
    for j, xj in enumerate(points):
        num, den = 1, 1
        for m, xm in enumerate(points):
            if m != j:
                num = num * (-xm) % q
                den = den * (xj - xm) % q
        lams.append(num * field.inverse(den) % q)
    return np.array(lams, dtype=np.uint64)


def shamir_reconstruct(shares, points, field) -> np.ndarray:
    """The secret from shares ``S + (m,)`` held at points ``x`` (m ≥ t + 1 of them)."""
    lam = lagrange_at_zero(points, field)
    return field.sum(field.mul(np.asarray(shares, np.uint64), lam))

"""Two-party private inference: a client's feature vector against a server's linear or
logistic model.  The client learns the score; the server learns nothing.

Both parties secret-share their inputs in Z_2^64 as fixed-point numbers with ``f``
fractional bits; the inner product takes one round of Beaver multiplications (triples
from a dealer), the sum is local, and the product's extra 2^f scale is removed by
local truncation (SecureML, Mohassel & Zhang 2017): party 0 shifts its share, party 1
shifts the negation of its own.  The result is the fixed-point plaintext up to one unit
in the last place, except with probability about |z|/2^63 for a result z at scale 2^(2f);
inputs are refused unless |z| < 2^43, so at most 2^−20 per inference.  The server then sends its share
of the score to the client; a logistic model's probability is the client's sigmoid of it.

Parties: 0 the client, 1 the server.  Rounds: 1 (inputs) + 1 (Beaver) + 1 (reveal).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from simprive.mpc.engine import Engine
from simprive.mpc.ledger import Ledger
from simprive.mpc.protocol import ProtocolRun, Roles
from simprive.mpc.rings import Ring64
from simprive.validation import ConfigError

__all__ = ["FRAC_BITS", "linear_score", "plaintext_score"]

FRAC_BITS = 16
CLIENT, SERVER = 0, 1


def _truncate(z: np.ndarray, f: int) -> np.ndarray:
    """SecureML local truncation of 2-party shares ``(…, 2)`` by f bits."""
    out = np.empty_like(z)
    out[..., 0] = (z[..., 0].astype(np.int64) >> f).astype(np.uint64)
    out[..., 1] = (-((-z[..., 1].astype(np.int64)) >> f)).astype(np.uint64)
    return out


def plaintext_score(x, w, b, f: int = FRAC_BITS) -> np.ndarray:
    """The same fixed-point computation in the clear: what the protocol must match."""
    ring = Ring64()
    prod = ring.sum(ring.mul(ring.encode(x, f), ring.encode(w, f)), axis=-1)
    return ring.decode((prod.astype(np.int64) >> f).astype(np.uint64) + ring.encode(b, f), f)


def linear_score(x, w, b: float, rng: np.random.Generator, *, f: int = FRAC_BITS, logistic: bool = False,
                 record: bool = True) -> ProtocolRun:
    """Client features ``x`` ``(T, k)``, server weights ``w`` ``(k,)`` or ``(T, k)`` and bias
    ``b`` → the client learns ``x·w + b`` (or its sigmoid), ``(T,)``."""
    x, w = np.asarray(x, float), np.asarray(w, float)
    if x.ndim != 2 or w.ndim not in (1, 2) or w.shape[-1] != x.shape[-1] or (w.ndim == 2 and len(w) != len(x)):
        raise ConfigError("model.weights", w.shape, f"must have the query's length {x.shape[-1]}")
    w = np.broadcast_to(w, x.shape)
    ring = Ring64()
    # local truncation fails with probability about |z| / 2^63 for z = x·w at scale 2^(2f):
    # keep |z| below 2^43 so that is at most 2^-20 per inference
    bound = 2.0 ** (43 - 2 * f)
    reach = np.abs(x * w).sum(axis=1) + np.abs(np.broadcast_to(b, len(x)))
    if np.any(reach >= bound):
        key = "model.weights" if np.abs(w).max() > np.abs(x).max() else "query"
        raise ConfigError(key, float(reach.max()),
                          f"Σ|x_i·w_i| + |b| must stay below 2^(43-2f) = {bound:g} for exact truncation at f={f}")
    ledger = Ledger(2)
    engine = Engine(2, rng, ledger, record=record)
    X = engine.input(ring.encode(x, f)[:, None, :], [CLIENT])[:, 0]  # (T, k, 2)
    W = engine.input(ring.encode(w, f)[:, None, :], [SERVER], new_round=False)[:, 0]  # in parallel
    z = _truncate(engine.mul(X, W).sum(axis=1, dtype=np.uint64), f)  # (T, 2)
    z[..., SERVER] += ring.encode(np.broadcast_to(b, len(x)), f)  # the server adds its bias locally
    score = ring.decode(engine.reveal_to(z, CLIENT), f)
    output = expit(score) if logistic else score

    def view(p: int) -> dict[str, np.ndarray]:
        own = {"input": x if p == CLIENT else w, "query_share": X[..., p], "weights_share": W[..., p]}
        own.update({f"opened_{j}_{label}": v for j, (label, v) in enumerate(engine.opened)})
        if p == CLIENT:
            own["output"] = output
        return own

    return ProtocolRun(output, ledger, Roles((CLIENT, SERVER), (CLIENT, SERVER), (CLIENT,)), view)

"""Clamping to a declared range, and the sensitivity it buys for common queries."""

from __future__ import annotations

import math

import numpy as np

from simprive.validation import ConfigError, check_choice, check_int, check_range

__all__ = ["NEIGHBOURS", "QUERIES", "clamp", "clamped_sum", "sensitivity"]

NEIGHBOURS = ("replace", "add_remove")
QUERIES = ("sum", "mean", "count", "histogram")


def clamp(values, lower: float, upper: float) -> np.ndarray:
    """Clip every input into ``[lower, upper]``: what bounds one party's influence."""
    return np.clip(values, lower, upper)


def clamped_sum(values, lower: float, upper: float, *, rows: int = 8192) -> np.ndarray:
    """``clamp(values).sum(axis=-1)`` for a ``(T, n)`` array, without a full clamped copy.

    Rows are clamped into a cache-sized buffer and summed by a matrix–vector product,
    several times faster than clamping everything and then summing along short rows.
    Integer inputs with finite bounds are summed exactly in int64.
    """
    values = np.asarray(values)
    if values.dtype.kind in "iub":  # integers: clamp to the integer hull of the range, exactly
        lo, hi = (b if np.isinf(b) else int(f(b)) for b, f in ((lower, math.ceil), (upper, math.floor)))
        return np.clip(values, lo, hi).sum(axis=-1)
    shape = values.shape[:-1]
    values = values.reshape(-1, values.shape[-1])
    out = np.empty(len(values))
    buf = np.empty((min(rows, len(values)), values.shape[1]))
    ones = np.ones(values.shape[1])
    for start in range(0, len(values), rows):  # over blocks of trials, not single trials
        block = values[start : start + rows]
        b = buf[: len(block)]
        np.clip(block, lower, upper, out=b)
        np.matmul(b, ones, out=out[start : start + rows])
    return out.reshape(shape)


def sensitivity(query: str, *, lower: float = 0.0, upper: float = 1.0, n: int | None = None,
                neighbours: str = "replace", norm: int = 1) -> float:
    """Global sensitivity of ``query`` on inputs clamped to ``[lower, upper]``.

    ============  =====================  ==============================
    query         replace one input      add or remove one input
    ============  =====================  ==============================
    sum           upper − lower          max(|lower|, |upper|)
    mean (n pub)  (upper − lower)/n      undefined (n is public)
    count         1                      1
    histogram     2 (ℓ1), √2 (ℓ2)        1
    ============  =====================  ==============================
    """
    check_choice("query", query, QUERIES)
    check_choice("neighbours", neighbours, NEIGHBOURS)
    check_choice("norm", norm, (1, 2))
    if query in ("sum", "mean"):
        lower, upper = check_range(lower, upper)
    if query == "sum":
        return upper - lower if neighbours == "replace" else max(abs(lower), abs(upper))
    if query == "mean":
        n = check_int("n", n)
        if neighbours != "replace":
            raise ConfigError("neighbours", neighbours, "a mean with public n needs neighbours=replace")
        return (upper - lower) / n
    if query == "count":
        return 1.0
    return (2.0 if norm == 1 else math.sqrt(2)) if neighbours == "replace" else 1.0

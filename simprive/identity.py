"""A configuration's identity: a stable hash of its parameters, and the random streams
seeded from it (DESIGN.md §6: the same seed gives the same numbers, whatever the order of jobs)."""

from __future__ import annotations

import hashlib
import json

import numpy as np

__all__ = ["config_hash", "streams"]


def _canonical(value):
    # 1 and 1.0 are the same setting: hash numbers as floats
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    return value


def config_hash(params: dict) -> str:
    """sha256 of the sorted, canonical parameters (never Python's salted ``hash``)."""
    text = json.dumps(_canonical(params), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def streams(seed: int, data_params: dict, point: dict) -> dict[str, np.random.Generator]:
    """Independent generators for data, mechanism and adversary.

    The data stream is keyed by the data parameters alone, so every mechanism at one
    setting sees the same inputs (common random numbers); the mechanism stream by the point
    less the adversary's settings (what it knows, its prior), so an adversary attacks the same
    releases whatever it knows and a release's metrics do not change with it.  The adversary's
    kind stays in: a point with no adversary settings keeps the streams it always had."""
    h_data = int(config_hash(data_params)[:16], 16)
    point = {k: v for k, v in point.items() if k != "seed"}
    h_point = int(config_hash(point)[:16], 16)
    release = {k: v for k, v in point.items() if not k.startswith("adversary.") or k == "adversary.kind"}
    h_release = int(config_hash(release)[:16], 16)
    make = lambda h, i: np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(h, i))))  # noqa: E731
    return {"data": make(h_data, 0), "mechanism": make(h_release, 1), "adversary": make(h_point, 2)}

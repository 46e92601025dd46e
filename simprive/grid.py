"""The configurations of one run: list-valued keys expand into a grid, each point gets
a stable hash and its own random streams."""

from __future__ import annotations

import hashlib
import itertools
import json

import numpy as np

__all__ = ["AXES", "GROUPS", "config_hash", "expand", "streams"]

# top-level keys any run may sweep; list values of these (and of group leaves) are axes
AXES = ("epsilon", "delta", "n", "lower", "upper", "trials", "seed", "neighbours")
GROUPS = ("scenario", "query", "mechanism", "adversary")
# list-valued keys that are one parameter, not a sweep axis
VECTORS = ("scenario.values",)


def flatten(cfg: dict) -> dict:
    """The scientific config as ``{dotted.key: value}``."""
    flat = {k: cfg[k] for k in AXES if k in cfg}
    for group in GROUPS:
        for key, value in (cfg.get(group) or {}).items():
            flat[f"{group}.{key}"] = value
    return flat


def expand(cfg: dict) -> tuple[list[dict], list[str]]:
    """Every point of the grid spanned by list-valued keys, and the names of those axes."""
    flat = flatten(cfg)
    axes = [k for k, v in flat.items() if isinstance(v, (list, tuple)) and k not in VECTORS]
    points = []
    for combo in itertools.product(*(flat[k] for k in axes)):
        point = dict(flat)
        point.update(zip(axes, combo))
        points.append(point)
    return points, axes


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
    setting sees the same inputs (common random numbers)."""
    h_data = int(config_hash(data_params)[:16], 16)
    h_point = int(config_hash({k: v for k, v in point.items() if k != "seed"})[:16], 16)
    make = lambda h, i: np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(h, i))))  # noqa: E731
    return {"data": make(h_data, 0), "mechanism": make(h_point, 1), "adversary": make(h_point, 2)}

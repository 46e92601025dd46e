"""The configurations of one run: list-valued keys expand into a grid of points."""

from __future__ import annotations

import itertools

from simprive.config import takes
from simprive.validation import ConfigError

__all__ = ["AXES", "PIPELINE_GROUPS", "expand", "fixed_settings", "flatten"]

# top-level keys any run may sweep; list values of these (and of group leaves) are axes
AXES = ("epsilon", "delta", "n", "lower", "upper", "trials", "seed", "neighbours")
PIPELINE_GROUPS = ("scenario", "query", "mechanism", "adversary")
# list-valued keys that are one parameter, not a sweep axis
VECTORS = ("scenario.values",)
# a list of two lists is one parameter of these, and a list of such lists a sweep
PAIRS = ("adversary.pair",)


def _is_axis(key: str, value) -> bool:
    if not isinstance(value, (list, tuple)) or key in VECTORS:
        return False
    return key not in PAIRS or any(isinstance(p, (list, tuple)) and p and isinstance(p[0], (list, tuple))
                                   for p in value)


def flatten(cfg: dict) -> dict:
    """The scientific config as ``{dotted.key: value}``."""
    flat = {k: cfg[k] for k in AXES if k in cfg}
    for group in PIPELINE_GROUPS:
        for key, value in (cfg.get(group) or {}).items():
            flat[f"{group}.{key}"] = value
    return flat


def expand(cfg: dict) -> tuple[list[dict], list[str]]:
    """Every point of the grid spanned by list-valued keys, and the names of those axes."""
    flat = flatten(cfg)
    axes = [k for k, v in flat.items() if _is_axis(k, v)]
    empty = next((k for k in axes if not flat[k]), None)
    if empty:
        raise ConfigError(empty, [], "an empty list sweeps nothing: give at least one value")
    points = []
    kinds = flat.get("mechanism.kind") if "mechanism.kind" in axes else ()
    for combo in itertools.product(*(flat[k] for k in axes)):
        point = dict(flat)
        point.update(zip(axes, combo))
        points.append(_without_foreign(point, kinds))
    return points, axes


def _without_foreign(point: dict, kinds) -> dict:
    """A point of a sweep over several mechanism kinds, less the ``mechanism.*`` keys its
    kind does not take but another swept kind does (``mechanism.bits`` beside
    ``mechanism.kind=[analytic_gaussian, secagg]``): its rows are blank there, and the
    points that differ only in them are one configuration.  A key no swept kind takes stays,
    for the kind's own check to refuse."""
    if len(kinds) < 2:
        return point
    own = takes("mechanism", point["mechanism.kind"])
    others = [t for t in (takes("mechanism", k) for k in kinds) if t is not None]
    if own is None:
        return point
    return {key: v for key, v in point.items() if not (
        key.startswith("mechanism.") and (name := key.split(".", 1)[1]) not in own | {"path"}
        and any(name in t for t in others))}


def fixed_settings(cfgs: list[dict]) -> dict:
    """The settings (``{dotted.key: value}``) that are one scalar in every one of ``cfgs``."""
    flats = [flatten(c) for c in cfgs]
    if not flats:
        return {}
    return {k: v for k, v in flats[0].items()
            if not isinstance(v, (list, tuple, dict)) and all(f.get(k, v) == v and k in f for f in flats)}

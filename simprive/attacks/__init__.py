"""Adversaries: what an observer knows before a release, and the attack it runs on it.

The ``adversary`` config group picks one; :func:`build_attack` validates it against the
release it will attack.  An attack reads the trial's data (for the ground truth and for
what the adversary already knows) and what the release exposed, and returns per-trial
privacy metrics with their exact expectations.
"""

from __future__ import annotations

from typing import Any

from simprive.attacks.audit import Audit, build_audit
from simprive.attacks.collusion import build_coalition
from simprive.attacks.floating_point import FloatAudit
from simprive.attacks.membership import build_membership
from simprive.attacks.sums import build_sum_attack
from simprive.attacks.unanimity import VoteAttack, build_vote_attack
from simprive.plugins import construct, is_import_path, load
from simprive.validation import ConfigError, check_int, check_probability

__all__ = ["ADVERSARIES", "Audit", "FloatAudit", "VoteAttack", "build_attack", "knowledge_level"]

# kind → the keys it takes (with defaults)
ADVERSARIES: dict[str, dict[str, Any]] = {
    "none": {},
    "coalition": {"colluders": 1, "alpha": 0.05},
    "knows_votes": {"known": None, "known_fraction": 0.0},
    "auditor": {"alpha": 0.05, "known": None, "known_fraction": 1.0},
    "float_auditor": {"alpha": 0.05, "known": None, "known_fraction": 1.0},
    "knows_others": {"known": None, "known_fraction": 0.0, "second_release": False},
    "news": {"sigma": 0.0},
    "repeated": {"releases": 1, "delta": 1e-5, "alpha": 0.05},
    "membership": {"prior": None},
}


def _known(cfg: dict, n: int) -> int:
    """How many of the other n − 1 parties' inputs the adversary knows."""
    if cfg.get("known") is not None:
        known = check_int("adversary.known", cfg["known"], minimum=0)
        if known > n - 1:
            raise ConfigError("adversary.known", known, f"must be at most the n-1 = {n - 1} other parties")
        return known
    fraction = check_probability("adversary.known_fraction", cfg.get("known_fraction", 0.0))
    return int(round(fraction * (n - 1)))


def knowledge_level(cfg: dict[str, Any], n: int):
    """The ``aux`` column: the swept amount of auxiliary knowledge (a user's attack names the
    parameter that holds it in its ``aux`` attribute)."""
    kind: Any = cfg.get("kind")
    if is_import_path(kind):
        name = getattr(load("adversary", kind), "aux", None)
        return cfg.get(name) if name else None
    if kind == "coalition":
        return cfg.get("colluders")
    if kind in ("knows_votes", "knows_others", "auditor", "float_auditor"):
        return _known(cfg, n)
    return {"news": cfg.get("sigma"), "repeated": cfg.get("releases"), "membership": cfg.get("prior")}.get(kind)


def build_attack(cfg: dict[str, Any], release, n: int, trials: int):
    """The attack object for an adversary config, or None when nothing is attacked."""
    kind: Any = cfg.get("kind")
    if is_import_path(kind):
        return build_plugin(cfg, release, n, trials)
    unknown = sorted(set(cfg) - {"kind"} - set(ADVERSARIES.get(kind, {})))
    if unknown:
        raise ConfigError(f"adversary.{unknown[0]}", cfg[unknown[0]], f"not a {kind} adversary key")
    if getattr(release, "family", None) == "broken" and kind != "auditor":
        raise ConfigError("mechanism", release.kind, "a deliberately broken mechanism is for adversary=auditor only")
    if kind == "auditor":
        return build_audit(cfg, release, trials, n - 1 - _known(cfg, n))
    if kind == "float_auditor":
        if release.kind not in ("laplace", "geometric"):
            raise ConfigError("mechanism", release.kind, "the floating-point attack reads laplace or geometric releases")
        audit = build_audit(cfg, release, trials, n - 1 - _known(cfg, n))
        return FloatAudit(release, audit.alpha, audit.unknown, audit.p)
    if kind == "membership":
        return build_membership(cfg, release)
    if kind == "knows_votes":
        return build_vote_attack(release, n, _known(cfg, n))
    if kind == "coalition":
        return build_coalition(release, check_int("adversary.colluders", cfg.get("colluders", 1), minimum=0), cfg, trials)
    if kind in ("knows_others", "news", "repeated"):
        return build_sum_attack(kind, cfg, release, _known(cfg, n) if kind == "knows_others" else 0, trials)
    return None


def build_plugin(cfg: dict, release, n: int, trials: int):
    """A user's own attack (``adversary.kind: module:Class``): built from its config keys plus
    the ``release``, ``n`` and ``trials`` it asks for; it must offer ``run`` or ``once`` and
    declare its metrics' kinds in ``METRICS`` (see :class:`simprive.contracts.Attack`)."""
    kind = cfg["kind"]
    cls = load("adversary", kind)
    if not (hasattr(cls, "run") or hasattr(cls, "once")) or not isinstance(getattr(cls, "METRICS", None), dict):
        raise ConfigError("adversary", kind, "an attack class needs run(data, observed, rng) or once(trials, rng), "
                                             "and METRICS = {metric: kind}")
    params = {k: v for k, v in cfg.items() if k != "kind"}
    return construct("adversary", cls, params, release=release, n=n, trials=trials)

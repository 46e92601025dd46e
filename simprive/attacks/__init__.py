"""Adversaries: what an observer knows before a release, and the attack it runs on it.

The ``adversary`` config group picks one; :func:`build_attack` validates it against the
release it will attack.  An attack reads the trial's data (for the ground truth and for
what the adversary already knows) and what the release exposed, and returns per-trial
privacy metrics with their exact expectations.  Each kind is declared next to its code in
the registry (:data:`~simprive.attacks.registry.ATTACKS`); a user's own attack is named by
import path (``adversary.kind: mypkg.attacks:Guess``).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from simprive.attacks.audit import Audit
from simprive.attacks.floating_point import FloatAudit
from simprive.attacks.registry import ATTACKS, AttackSpec, attack
from simprive.attacks.unanimity import VoteAttack
from simprive.config import parameters
from simprive.plugins import construct, is_import_path, load
from simprive.validation import ConfigError, check_choice

__all__ = ["ATTACKS", "Audit", "FloatAudit", "VoteAttack", "build_attack", "knowledge_level"]

# every module here declares its kinds as it is imported: a new attack is a new module
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")


@attack("none")
def _nobody(cfg: dict, release, n: int, trials: int) -> None:
    """No adversary: utility only."""
    return None


def _spec(kind: Any) -> AttackSpec:
    if is_import_path(kind):
        cls = load("adversary", kind)
        return AttackSpec(_build_plugin, getattr(cls, "aux", None))
    return ATTACKS[check_choice("adversary", kind, ATTACKS)]


def _keys(cfg: dict) -> dict:
    """The adversary's keys: a built-in kind's defaults (its YAML) overridden by the config."""
    kind: Any = cfg.get("kind")
    given = {k: v for k, v in cfg.items() if k != "kind"}
    return given if is_import_path(kind) else parameters("adversary", kind, given)


def knowledge_level(cfg: dict[str, Any], n: int):
    """The ``aux`` column: the swept amount of auxiliary knowledge (a user's attack names the
    parameter that holds it in its ``aux`` attribute)."""
    return _spec(cfg.get("kind")).knowledge(_keys(cfg), n)


def build_attack(cfg: dict[str, Any], release, n: int, trials: int):
    """The attack object for an adversary config, or None when nothing is attacked."""
    kind = cfg.get("kind")
    spec = _spec(kind)
    keys = _keys(cfg)
    if getattr(release, "game_only", False) and not spec.plays_broken:
        raise ConfigError("mechanism", release.kind, "runs only inside the auditor's game (a deliberately broken "
                                                     "mechanism, or mechanism=zoo): use adversary=auditor")
    return spec.build({"kind": kind, **keys} if is_import_path(kind) else keys, release, n, trials)


def _build_plugin(cfg: dict, release, n: int, trials: int):
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

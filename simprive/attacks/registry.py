"""The one table of adversary kinds.

Each attack module declares its kinds next to its code with :func:`attack`: how to build
the attack from its config keys and the release it faces, and which key is the amount of
auxiliary knowledge the ``aux`` column reports.  Its keys and their defaults have one
source, its YAML file in the ``adversary`` config group (``conf/adversary/<kind>.yaml``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simprive.validation import ConfigError, check_int, check_probability

__all__ = ["ATTACKS", "AttackSpec", "attack", "known_others"]

Build = Callable[[dict, Any, int, int], Any]  # (keys, release, n, trials) → the attack, or None


@dataclass(frozen=True)
class AttackSpec:
    """An adversary kind: how to build it, the ``aux`` column (a key of its config, or a
    function of the config and n), and whether it runs a release only inside its own
    distinguishing game (so that it may play the deliberately broken mechanisms)."""

    build: Build
    aux: str | Callable[[dict, int], Any] | None = None
    plays_broken: bool = False

    def knowledge(self, cfg: dict, n: int):
        """The value of the ``aux`` column for this config."""
        if callable(self.aux):
            return self.aux(cfg, n)
        return cfg.get(self.aux) if self.aux else None


ATTACKS: dict[str, AttackSpec] = {}


def attack(kind: str, *, aux: str | Callable[[dict, int], Any] | None = None, plays_broken: bool = False):
    """Register a build function as adversary ``kind``."""

    def declare(build: Build) -> Build:
        assert kind not in ATTACKS, f"adversary kind {kind!r} declared twice"
        ATTACKS[kind] = AttackSpec(build, aux, plays_broken)
        return build

    return declare


def known_others(cfg: dict, n: int) -> int:
    """How many of the other n − 1 parties' inputs the adversary knows (``known``, or
    ``known_fraction`` of them)."""
    if cfg["known"] is not None:
        known = check_int("adversary.known", cfg["known"], minimum=0)
        if known > n - 1:
            raise ConfigError("adversary.known", known, f"must be at most the n-1 = {n - 1} other parties")
        return known
    fraction = check_probability("adversary.known_fraction", cfg["known_fraction"])
    return int(round(fraction * (n - 1)))


def check_independent(scenario) -> None:
    """The attack's closed forms take each other party's input as an independent draw: a
    table sampled as a whole, or without replacement, is not that."""
    if not getattr(scenario, "iid", True):
        raise ConfigError("scenario.sampling", scenario.sampling, "this attack's closed forms take the parties' inputs "
                                                                  "as independent draws: use with_replacement")

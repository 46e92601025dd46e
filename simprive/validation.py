"""Checks at the boundary: every user-supplied value is validated here, once.

A failed check raises :class:`ConfigError`, whose message is one line naming the
key, the value given and what is allowed.  The CLI turns it into exit code 2.
"""

from __future__ import annotations

import math
from numbers import Real

__all__ = [
    "ConfigError",
    "check_choice",
    "check_delta",
    "check_epsilon",
    "check_int",
    "check_probability",
    "check_range",
    "check_real",
]


class ConfigError(ValueError):
    """An invalid configuration value: the run stops before any work."""

    def __init__(self, key: str, value, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"invalid {key}={value!r}: {allowed}")


def check_real(key: str, value, *, finite: bool = True) -> float:
    """Return ``value`` as a float, or raise if it is not a (finite) real number."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ConfigError(key, value, "must be a number")
    value = float(value)
    if finite and not math.isfinite(value):
        raise ConfigError(key, value, "must be a finite number")
    return value


def check_epsilon(value, key: str = "epsilon") -> float:
    value = check_real(key, value)
    if value <= 0:
        raise ConfigError(key, value, "must be a finite number > 0")
    return value


def check_delta(value, key: str = "delta", *, positive: bool = False) -> float:
    value = check_real(key, value)
    if positive and not 0 < value < 1:
        raise ConfigError(key, value, "must be in (0, 1) for this mechanism")
    if not 0 <= value < 1:
        raise ConfigError(key, value, "must be in [0, 1)")
    return value


def check_probability(key: str, value) -> float:
    value = check_real(key, value)
    if not 0 <= value <= 1:
        raise ConfigError(key, value, "must be a probability in [0, 1]")
    return value


def check_int(key: str, value, *, minimum: int = 1) -> int:
    if isinstance(value, bool):
        raise ConfigError(key, value, f"must be an integer >= {minimum}")
    if isinstance(value, Real) and float(value).is_integer():
        value = int(float(value))
    if not isinstance(value, int) or value < minimum:
        raise ConfigError(key, value, f"must be an integer >= {minimum}")
    return value


def check_range(lower, upper, keys: tuple[str, str] = ("lower", "upper")) -> tuple[float, float]:
    lower, upper = check_real(keys[0], lower), check_real(keys[1], upper)
    if lower >= upper:
        raise ConfigError(keys[0], lower, f"must be < {keys[1]}={upper!r}")
    return lower, upper


def check_choice(key: str, value, choices) -> str:
    choices = sorted(choices, key=str)
    if isinstance(value, bool) or value not in choices:
        raise ConfigError(key, value, "choose one of " + ", ".join(map(str, choices)))
    return value

"""Checks at the boundary: every user-supplied value is validated here, once.

A failed check raises :class:`ConfigError`, whose message is one line naming the
key, the value given and what is allowed.  The CLI turns it into exit code 2.
"""

from __future__ import annotations

import difflib
import math
from numbers import Real

__all__ = [
    "ConfigError",
    "ConfigErrors",
    "check_all",
    "check_each",
    "raise_together",
    "check_bool",
    "check_choice",
    "check_delta",
    "check_epsilon",
    "check_int",
    "check_name",
    "check_probability",
    "check_range",
    "check_real",
    "did_you_mean",
]


class ConfigError(ValueError):
    """An invalid configuration value: the run stops before any work.  ``context`` holds the
    other settings it is invalid with (a swept point's values), if any."""

    def __init__(self, key: str, value, allowed: str, context: dict | None = None):
        self.key, self.value, self.allowed, self.context = key, value, allowed, dict(context or {})
        named = ", ".join(f"{k}={v}" for k, v in self.context.items())
        super().__init__(f"invalid {key}={value!r}{f' with {named}' if named else ''}: {allowed}")

    @property
    def errors(self) -> list[ConfigError]:
        return [self]

    def at(self, settings: dict) -> ConfigError:
        """This error, naming also the settings (other than its own key) it occurred with."""
        context = {**{k: v for k, v in settings.items() if k != self.key}, **self.context}
        return ConfigError(self.key, self.value, self.allowed, context) if context != self.context else self


class ConfigErrors(ConfigError):
    """Several independent invalid values, reported together: one line each, after a line
    counting them.  ``key``, ``value`` and ``allowed`` are the first's."""

    def __init__(self, errors: list[ConfigError]):
        self._errors = errors
        first = errors[0]
        self.key, self.value, self.allowed, self.context = first.key, first.value, first.allowed, first.context
        ValueError.__init__(self, f"{len(errors)} problems:\n" + "\n".join(str(e) for e in errors))

    @property
    def errors(self) -> list[ConfigError]:
        return self._errors


def raise_together(errors: list[ConfigError]) -> None:
    """Raise these errors (each split into its parts, duplicates once) as one, if any."""
    unique = list({str(e): e for error in errors for e in error.errors}.values())
    if len(unique) == 1:
        raise unique[0]
    if unique:
        raise ConfigErrors(unique)


def check_all(*checks):
    """Run independent checks (callables without arguments), returning their values, or
    raise every ConfigError they raise together, so one run reports all of them."""
    values, errors = [], []
    for check in checks:
        try:
            values.append(check())
        except ConfigError as exc:
            errors.append(exc)
    raise_together(errors)
    return values


def check_each(check, items, settings):
    """``check(item)`` for every item (a sweep's points or jobs), returning their values, or
    raise the errors of all of them together, one for each invalid key and value.  An error
    that only some items have names the settings it occurs with: ``settings(item)`` is an
    item's ``{key: value}``; the keys named tell the items with the error from those that
    passed (an item stopped by another error might have had it too, so it tells nothing)."""
    values, passed, failures = [], [], {}  # failures: an error's key and value, its first error, its items' settings
    for item in items:
        try:
            values.append(check(item))
            passed.append(settings(item))
        except ConfigError as exc:
            for error in exc.errors:  # one line a key and value: the first item's reason stands for the others'
                failures.setdefault((error.key, repr(error.value)), (error, []))[1].append(settings(item))
    raise_together([error.at(_distinguishing(failing, passed + failing)) for error, failing in failures.values()])
    return values


def _distinguishing(failing: list[dict], every: list[dict]) -> dict:
    """The settings that tell the failing items from the others: each key whose values
    among the failing items are fewer than among all, with those values."""
    named = {}
    for key in every[0] if every else ():
        values = list(dict.fromkeys(str(s.get(key)) for s in failing))
        if len(values) < len(set(str(s.get(key)) for s in every)):
            named[key] = ",".join(values)
    return named


def check_real(key: str, value, *, finite: bool = True) -> float:
    """Return ``value`` as a float, or raise if it is not a (finite) real number."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ConfigError(key, value, "must be a number")
    value = float(value)
    if finite and not math.isfinite(value):
        raise ConfigError(key, value, "must be a finite number")
    return value


# ε beyond these overflows float arithmetic somewhere (e^ε in randomized response, (Δ/ε)² in
# a noise's variance) and means nothing in practice: no privacy above, no signal below
EPSILON_RANGE = (1e-9, 100.0)
# the largest |bound| of an input range: sums and squares of n inputs stay finite floats
BOUND = 1e15


def check_epsilon(value, key: str = "epsilon") -> float:
    value = check_real(key, value)
    if value <= 0:
        raise ConfigError(key, value, "must be a finite number > 0")
    low, high = EPSILON_RANGE
    if not low <= value <= high:
        raise ConfigError(key, value, f"must be in [{low:g}, {high:g}]: beyond, e^ε or (Δ/ε)² leave the range of "
                                      "floating point")
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
    for key, value in zip(keys, (lower, upper)):
        if abs(value) > BOUND:
            raise ConfigError(key, value, f"must be within ±{BOUND:g}: sums and squared errors of the inputs must "
                                          "stay finite")
    if lower >= upper:
        raise ConfigError(keys[0], lower, f"must be < {keys[1]}={upper!r}")
    return lower, upper


def check_choice(key: str, value, choices) -> str:
    choices = sorted(choices, key=str)
    if isinstance(value, bool) or value not in choices:
        raise ConfigError(key, value, "choose one of " + ", ".join(map(str, choices)))
    return value


def check_bool(key: str, value) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(key, value, "must be true or false")
    return value


def is_name(value) -> bool:
    """Whether ``value`` can name a file or folder: letters, digits, ``_ . -``; never a path
    (no ``/``, no ``..``, nothing hidden) nor a URL (no ``:``), so what it names stays inside
    the run's folder and a link to it is relative."""
    import re

    return isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}", value) is not None


def check_name(value, key: str = "name", names: str = "the run's folder") -> str:
    """A name (:func:`is_name`), or a ConfigError naming ``key``."""
    if not is_name(value):
        raise ConfigError(key, value, f"must be 1-100 letters, digits, _ . or - (it names {names}), "
                                      "not starting with . or -")
    return value


def did_you_mean(key: str, known) -> str:
    """``"did you mean KEY? "`` naming the known key closest to a mistyped one, or ``""``:
    its group's name first if that is mistyped too (``scenaro.p``), then its own name among
    its group's (``scenario.pp``: ``scenario.p``, not ``scenario.low``)."""
    known = set(known)
    parent, _, leaf = key.rpartition(".")
    if parent and parent not in known:
        groups = difflib.get_close_matches(parent, sorted({k.rpartition(".")[0] for k in known} - {""}), n=1)
        if not groups:
            return ""
        parent = groups[0]
    leaves = {k.rpartition(".")[2]: k for k in known if k.rpartition(".")[0] == parent}
    close = difflib.get_close_matches(leaf, sorted(leaves), n=1)
    return f"did you mean {leaves[close[0]]}? " if close else ""

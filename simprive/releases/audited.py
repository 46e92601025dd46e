"""Any mechanism on datasets, for the auditor (``mechanism=zoo``): the published suite
(simprive.dp.zoo, ``mechanism.name=NoisyHist2``) or a user's own, by import path
(``mechanism.name=mylab:MyMechanism``), a class or a plain function.

What the auditor needs of it (README, "Extending"): called as ``mechanism(data, rng)`` on a batch
of datasets, ``data`` of shape (T, n) or (T, n, d), it returns T outputs (shape (T,) or (T, k): a number, an
index, a vector, a bit vector per row).  A class is built with the run's ``epsilon`` (if its
constructor takes one) and ``mechanism.options``; it may declare ``claimed()`` (else its
``epsilon``, else the run's), ``delta``, ``discrete``, ``PAIR`` (the two datasets to audit it
on), ``DOMAIN`` (the range of an input), ``exact(d0, d1)`` (the exact ε between two datasets)
and ``log_ratio(y, d0, d1)`` (the exact log-likelihood ratio of outputs).  It is called once
on a small batch before any work, and refused with one line if it raises or returns the wrong
shape, a non-number or NaN.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from simprive.contracts import Outcome
from simprive.dp.zoo import SNIPER, SUITE
from simprive.releases.protocol import ProtocolRelease
from simprive.releases.registry import Spec, register
from simprive.validation import ConfigError, check_delta, check_epsilon

__all__ = ["Audited", "load_mechanism"]

PROBE = 8  # rows of the batch a mechanism is tried on before any work


def load_mechanism(name: Any):
    """A suite mechanism's class, or the class or function ``module:attr`` names."""
    if isinstance(name, str) and name in SUITE:
        return SUITE[name]
    if not (isinstance(name, str) and ":" in name):
        raise ConfigError("mechanism.name", name, f"one of {', '.join(SUITE)}, or a mechanism of yours by import "
                                                  "path (module:Class or module:function)")
    module_name, _, attr = name.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError("mechanism.name", name, f"cannot import {module_name!r} ({exc}); is its folder on "
                                                  "sys.path (PYTHONPATH=.)?") from None
    found = getattr(module, attr, None)
    if not callable(found):
        raise ConfigError("mechanism.name", name, f"{module_name!r} has no class or function {attr!r}")
    return found


def _build(found, name, epsilon: float, options: dict):
    if not inspect.isclass(found):
        if options:
            raise ConfigError("mechanism.options", options, f"{name} is a function: it takes no options")
        return found
    accepted = inspect.signature(found).parameters
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        known = ", ".join(k for k in accepted if k != "epsilon") or "none"
        raise ConfigError(f"mechanism.options.{unknown[0]}", options[unknown[0]], f"not a {found.__name__} "
                                                                                  f"option; known: {known}")
    try:
        return found(**({"epsilon": epsilon} if "epsilon" in accepted else {}), **options)
    except (TypeError, ValueError) as exc:
        raise ConfigError("mechanism.options", options, f"{found.__name__} refused them: {exc}") from None


def _ignores(params: dict) -> dict:
    out = dict.fromkeys(("n", "lower", "upper", "neighbours"), "it runs on the auditor's pair of datasets")
    out["delta"] = "the mechanism declares its own δ"
    if getattr(SUITE.get(str(params.get("name"))), "fixed_claim", False):
        out["epsilon"] = "its claim is fixed by its own parameters"
    return out


@dataclass(frozen=True)
class Audited(ProtocolRelease):
    """A mechanism on datasets at one configuration, run only inside the auditor's game."""

    individual: ClassVar[bool] = False
    integer_inputs: ClassVar[bool] = False
    parties_are_n: ClassVar[bool] = False
    game_only: ClassVar[bool] = True

    @property
    def elements_per_trial(self) -> int:
        return 0

    @classmethod
    def check_inputs(cls, kind, inputs, scenario) -> None:
        """Any scenario: the auditor's pair of datasets is the input, not the scenario's draws."""

    @classmethod
    def configure(cls, params: dict, *, n, scenario, epsilon, delta, lower, upper):
        name = params["name"]
        found = load_mechanism(name)
        options = dict(params.get("options") or {})
        mech = _build(found, name, check_epsilon(epsilon), options)
        claim = mech.claimed() if hasattr(mech, "claimed") else getattr(mech, "epsilon", epsilon)
        claimed = check_epsilon(claim, key="mechanism.name") if claim is not None else math.nan
        delta = check_delta(getattr(mech, "delta", 0.0), key="mechanism.name")
        return {**params, "options": options, "run_epsilon": float(epsilon)}, claimed, delta

    @functools.cached_property
    def mechanism(self):
        found = load_mechanism(self.params["name"])
        return _build(found, self.params["name"], self.run_epsilon, self.params["options"])

    @property
    def run_epsilon(self) -> float:
        return float(self.params["run_epsilon"])

    @property
    def label(self) -> str:
        name = self.params["name"]
        return name.rpartition(":")[2]

    @property
    def published_epsilon(self) -> float | None:
        """DP-Sniper's published bound for a suite mechanism on its own pair at ε = 0.1."""
        name = self.params["name"]
        if name not in SNIPER or (self.run_epsilon != 0.1 and not getattr(SUITE[name], "fixed_claim", False)):
            return None
        return SNIPER[name] if self.params["options"] == {} else None

    # -- what the auditor plays ---------------------------------------------------------
    @property
    def pair(self) -> tuple[np.ndarray, np.ndarray]:
        declared = getattr(self.mechanism, "PAIR", None)
        if declared is None:
            raise ConfigError("adversary.pair", None, f"{self.label} declares no PAIR: give the two datasets, "
                                                      "adversary.pair=[[...],[...]], or adversary.pair=search "
                                                      "with a PAIR to size the search")
        return self.check_pair(declared, "adversary.pair")

    def check_pair(self, pair, key: str) -> tuple[np.ndarray, np.ndarray]:
        """Two datasets of the same shape (n inputs, or n records of d features), numbers within
        the mechanism's ``DOMAIN``; the mechanism is tried on both before any work."""
        try:
            d0, d1 = (np.asarray(d, dtype=float) for d in pair)
        except (TypeError, ValueError):
            raise ConfigError(key, pair, "two lists of numbers, the neighbouring datasets D and D′") from None
        if d0.shape != d1.shape or d0.size == 0 or d0.ndim not in (1, 2):
            raise ConfigError(key, pair, f"D and D′ must have the same size, n inputs or n records of d features "
                                         f"(here shapes {d0.shape} and {d1.shape})")
        if not (np.isfinite(d0).all() and np.isfinite(d1).all()):
            raise ConfigError(key, pair, "the datasets' entries must be finite numbers")
        low, high = getattr(self.mechanism, "DOMAIN", (-math.inf, math.inf))
        if min(d0.min(), d1.min()) < low or max(d0.max(), d1.max()) > high:
            raise ConfigError(key, pair, f"{self.label} takes inputs in [{low:g}, {high:g}]")
        shapes = {self._probe(d).shape[1:] for d in (d0, d1)}
        if len(shapes) > 1:
            raise ConfigError("mechanism.name", self.params["name"], f"returns outputs of different shapes on D "
                                                                     f"and D′: {sorted(shapes)}")
        return d0, d1

    def _probe(self, d: np.ndarray) -> np.ndarray:
        """The mechanism's outputs on a small batch of copies of ``d``, refused in one line if
        they are not one number or vector of numbers per dataset."""
        name = self.params["name"]
        try:
            y = self.play_pair(d, PROBE, np.random.default_rng(0))
        except ConfigError:
            raise
        except Exception as exc:  # a user's code: whatever it raises is reported, in one line
            raise ConfigError("mechanism.name", name, f"raised {type(exc).__name__} on a batch of {PROBE} "
                                                      f"datasets: {exc}") from None
        if y.ndim not in (1, 2) or len(y) != PROBE:
            raise ConfigError("mechanism.name", name, f"must return one output per dataset, shape ({PROBE},) or "
                                                      f"({PROBE}, k), for a batch of {PROBE}; it returned "
                                                      f"shape {y.shape}")
        if not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
            raise ConfigError("mechanism.name", name, f"must return numbers; it returned {y.dtype}")
        if not np.isfinite(y.astype(float)).all():
            raise ConfigError("mechanism.name", name, "returned NaN or infinite outputs")
        return y

    def play_pair(self, d: np.ndarray, size: int, rng) -> np.ndarray:
        """``size`` outputs of the mechanism on a batch of copies of dataset ``d``."""
        y = np.asarray(self.mechanism(np.repeat(d[None], size, axis=0), rng))
        return y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y

    def output_kind(self, d: np.ndarray) -> tuple[bool, bool]:
        """Whether the outputs on dataset ``d`` are discrete (as the mechanism declares, else
        integers or booleans) and whether they are vectors."""
        y = self._probe(d)
        declared = getattr(self.mechanism, "discrete", None)
        discrete = bool(declared) if declared is not None else np.issubdtype(y.dtype, np.integer) or y.dtype == bool
        return discrete, y.ndim == 2

    def exact_epsilon(self, d0, d1) -> float | None:
        exact = getattr(self.mechanism, "exact", None)
        return None if exact is None else _exact(self.mechanism, _key(d0), _key(d1))

    def log_ratio(self, d0, d1):
        own = getattr(self.mechanism, "log_ratio", None)
        return None if own is None else (lambda y: own(y, d0, d1))

    def run(self, data, rng):
        return Outcome({}, {})  # run only inside the auditor's game


def _key(d: np.ndarray) -> tuple:
    return d.shape, tuple(d.ravel())


@functools.lru_cache(maxsize=64)
def _exact(mechanism, d0: tuple, d1: tuple) -> float | None:
    """The mechanism's exact ε between two datasets, computed once per pair."""
    value = mechanism.exact(*(np.reshape(d, shape) for shape, d in (d0, d1)))
    return None if value is None else float(value)


# its query and inputs are the pair's: it takes any scenario (Audited.check_inputs)
register("zoo", Spec("audited", ("sum", "count", "mean", "argmax", "histogram"), (), ignores=_ignores,
                     protocol=Audited))

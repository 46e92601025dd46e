"""How a query is released: the ``mechanism`` config group, a DP mechanism or an MPC
protocol, validated at one configuration into a release that turns batches of data into
per-trial metrics, their expectations and what it exposes to an adversary.

Every kind is declared once, next to its code, in the registry
(:data:`~simprive.releases.registry.MECHANISMS`): the DP mechanisms in
:mod:`~simprive.releases.dp_mechanisms`, each MPC protocol in a module of its own
(``p2p_sum``, ``client_server``, ``tally``, ``threshold``, ``auction``, ``psi``,
``inference``, ``noisy_sum``, ``rr_intersection``, ``mpyc``).
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
from typing import Any

from simprive import dp
from simprive.config import parameters
from simprive.plugins import construct, is_import_path, load
from simprive.releases.dp_mechanisms import PLUGIN, DPRelease
from simprive.releases.protocol import ProtocolRelease
from simprive.releases.registry import MECHANISMS, PURE, Context, Spec
from simprive.scenarios import with_inputs
from simprive.validation import ConfigError, check_all, check_choice, check_delta, check_epsilon, check_int, check_range

__all__ = ["MECHANISMS", "Context", "DPRelease", "ProtocolRelease", "Spec", "build_release", "ignored_keys"]

# every module here declares its kinds as it is imported: a new protocol is a new module
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")


def ignored_keys(spec: Spec, scenario, params: dict | None = None) -> dict[str, str]:
    """The configuration keys a release does not depend on, each with why: configurations
    that differ only in these are the same configuration."""
    out = dict(spec.ignores(params or {}) if callable(spec.ignores) else spec.ignores)
    if scenario.fixed_range is not None:
        out.update(dict.fromkeys(("lower", "upper"), f"scenario={scenario.kind} inputs lie in {scenario.fixed_range}"))
    return out


def build_release(mech: dict[str, Any], *, query: str, scenario, epsilon, delta, n: int, lower, upper,
                  neighbours: str = "replace"):
    """Validate a mechanism config against the query and scenario it must serve.

    The declared range and the neighbour relation become the query's sensitivity here,
    once (:func:`simprive.dp.sensitivity`): every mechanism and protocol that adds noise
    takes it from the release, none derives its own."""
    kind: Any = mech.get("kind")
    # a user's own additive noise, by import path (simprive.plugins): a central mechanism
    plugin = load("mechanism", kind, base=dp.AdditiveNoise) if is_import_path(kind) else None
    spec = PLUGIN if plugin else MECHANISMS[check_choice("mechanism", kind, MECHANISMS)]
    query = spec.queries[0] if query == "auto" else check_choice("query", query, spec.queries)
    neighbours = check_choice("neighbours", neighbours, dp.NEIGHBOURS)
    if scenario.fixed_range is not None:  # e.g. 0/1 answers: each party adds 0 or 1
        lower, upper = scenario.fixed_range
    lower, upper = check_range(lower, upper)
    sens = math.nan
    if spec.calibrated:
        sens = dp.sensitivity(query, lower=lower, upper=upper, n=n, neighbours=neighbours)
    given = {k: v for k, v in mech.items() if k not in ("kind", "path")}
    if spec.protocol is not None:
        return _protocol(kind, spec, given, query=query, scenario=scenario, epsilon=epsilon, delta=delta, n=n,
                         lower=lower, upper=upper, neighbours=neighbours, sensitivity=sens)
    if given and not plugin:  # a user's noise takes its own keys (checked when it is built)
        key = sorted(given)[0]
        raise ConfigError(f"mechanism.{key}", given[key], "not a mechanism key; known: kind, path")
    _check_inputs(kind, spec, query, scenario)
    per_party = check_choice("mechanism.path", mech.get("path", "counts"), ("counts", "individual")) == "individual"
    ignores = ignored_keys(spec, scenario)
    if plugin and "delta" not in inspect.signature(plugin).parameters:
        ignores["delta"] = PURE
    # a value the release ignores must still be valid: a typo is an error whatever the mechanism;
    # ε and δ are checked together (both wrong: both reported), and δ > 0 is the randomiser's
    # to check if it has one, with its own checks of ε (the classic Gaussian's ε < 1)
    epsilon, delta = check_all(
        lambda: spec.fixed_epsilon if spec.fixed_epsilon is not None else check_epsilon(epsilon),
        lambda: check_delta(delta, positive=spec.positive_delta and spec.randomiser is None))
    if spec.fixed_epsilon is None and "epsilon" in ignores:
        epsilon = math.nan  # exact: no claim
    delta = 0.0 if "delta" in ignores else delta  # a pure ε-DP release satisfies δ = 0
    if plugin:
        randomiser = construct("mechanism", plugin, given, epsilon=epsilon, sensitivity=sens, delta=delta)
    else:
        if spec.family == "selection":
            sens = 1.0  # Δu of the tallies
        randomiser = None if spec.randomiser is None else spec.randomiser(
            Context(kind, query, scenario, lower, upper, epsilon, delta, sens))
    return DPRelease(kind, query, scenario, epsilon, delta, lower, upper, n, per_party, neighbours, randomiser, sens,
                     ignores)


def _protocol(kind: str, spec: Spec, given: dict, *, query, scenario, epsilon, delta, n, lower, upper, neighbours,
              sensitivity) -> ProtocolRelease:
    """An MPC protocol's release: its parameters (defaults from its YAML) and its own
    checks, before any work."""
    cls = spec.protocol
    assert cls is not None and issubclass(cls, ProtocolRelease)
    cls.check_inputs(kind, spec.inputs, scenario)
    params = parameters("mechanism", kind, given)
    if cls.parties_are_n:
        check_int("n", n, minimum=2)
    params, epsilon, delta = cls.configure(params, n=n, scenario=scenario, epsilon=epsilon, delta=delta, lower=lower,
                                           upper=upper)
    return cls(kind, query, scenario, n, params, epsilon, delta, lower, upper, neighbours=neighbours,
               sensitivity=sensitivity, ignores=ignored_keys(spec, scenario, params))


def _check_inputs(kind: str, spec: Spec, query: str, scenario) -> None:
    """The mechanism can read the scenario's inputs for this query."""
    if query == "count" and scenario.inputs != "answers":
        raise ConfigError("query", query, f"counts answers of a categorical scenario; use sum for scenario={scenario.kind}")
    if scenario.inputs not in spec.inputs:
        raise ConfigError("scenario", scenario.kind, f"mechanism={kind} needs {' or '.join(spec.inputs)} as inputs "
                                                     f"(scenario={' or '.join(with_inputs(spec.inputs))})")

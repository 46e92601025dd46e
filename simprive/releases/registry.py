"""The one table of mechanism kinds, and the parameters each takes.

Every kind, a DP mechanism or an MPC protocol, is declared next to its code with
:func:`register` (a :class:`Spec`: family, queries, inputs, calibration, ignored keys, and
how to build it).  Its parameters and their defaults have one source, its YAML file in the
``mechanism`` config group (``conf/mechanism/<kind>.yaml``): the composed config carries
them, and :func:`simprive.config.parameters` fills them in for a config built in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EXACT", "LOCAL", "MECHANISMS", "PURE", "Context", "Spec", "register"]

# why a kind ignores a config key (configurations that differ only in it are one configuration)
PURE = "it is pure ε-DP, δ = 0"
LOCAL = "each party randomises its own answer"
EXACT = dict.fromkeys(("epsilon", "delta", "neighbours"), "it computes f exactly: no ε, δ or neighbours")


@dataclass(frozen=True)
class Context:
    """What a DP mechanism's randomiser is built from: the resolved query and range, the
    privacy parameters and the sensitivity derived from them."""

    kind: str
    query: str
    scenario: Any
    lower: float
    upper: float
    epsilon: float
    delta: float
    sensitivity: float


@dataclass(frozen=True)
class Spec:
    """A mechanism kind, declared once: its family (``central``, ``local``, ``selection``,
    ``broken`` or ``mpc``), the queries it computes (the first is what ``query=auto``
    picks), the inputs it reads (simprive.scenarios ``inputs``), whether its noise is
    calibrated to the query's sensitivity, the config keys it ignores (with why, or a
    function of its parameters), and how to build it: ``randomiser`` for a DP mechanism
    (what it randomises with), ``protocol`` for an MPC protocol (its release class).  A DP
    mechanism may fix its own ε (``fixed_epsilon``) or need a positive δ."""

    family: str
    queries: tuple[str, ...]
    inputs: tuple[str, ...]
    calibrated: bool = False
    ignores: Any = field(default_factory=dict)
    randomiser: Callable[[Context], Any] | None = None
    protocol: type | None = None
    fixed_epsilon: float | None = None
    positive_delta: bool = False


MECHANISMS: dict[str, Spec] = {}


def register(kind: str, spec: Spec) -> None:
    """Declare a mechanism kind (once: a second declaration is a programming error)."""
    assert kind not in MECHANISMS, f"mechanism kind {kind!r} declared twice"
    MECHANISMS[kind] = spec

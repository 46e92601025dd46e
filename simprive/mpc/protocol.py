"""What every protocol run returns: the revealed output, the cost ledger, party views."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from simprive.mpc.ledger import Ledger

__all__ = ["ProtocolRun", "Roles", "pool_views"]


@dataclass(frozen=True)
class Roles:
    """Who provides inputs, who computes, who learns the output (party indices).

    The three sets may coincide (the article's engineers), nest, overlap or be
    disjoint (input parties sharing to servers that report to an outside analyst)."""

    inputs: tuple[int, ...]
    computing: tuple[int, ...]
    recipients: tuple[int, ...]
    names: tuple[str, ...] = ()

    @property
    def parties(self) -> int:
        return max((*self.inputs, *self.computing, *self.recipients)) + 1


@dataclass
class ProtocolRun:
    """One protocol executed on T trials at once.

    ``output``: what the recipients learn, ``(T, …)``; ``ledger``: the cost of one
    execution; ``view(i)``: everything party i saw — its input, its own randomness and
    every message it received — as ``{label: (T, …) array}``.
    """

    output: np.ndarray
    ledger: Ledger
    roles: Roles
    view: Callable[[int], dict[str, np.ndarray]] = field(repr=False)

    def views(self, parties) -> dict[str, np.ndarray]:
        return pool_views(self, parties)


def pool_views(run: ProtocolRun, parties) -> dict[str, np.ndarray]:
    """A coalition's pooled knowledge: every member's view, keyed ``P{i}.{label}``."""
    pooled = {}
    for i in parties:
        pooled.update({f"P{i}.{k}": v for k, v in run.view(int(i)).items()})
    return pooled

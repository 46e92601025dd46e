"""Privacy accounting: basic and advanced composition, group privacy, a budget."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from simprive.validation import check_delta, check_epsilon, check_int

__all__ = ["Accountant", "BudgetExceededError", "advanced_composition", "basic_composition", "group_privacy"]


class BudgetExceededError(RuntimeError):
    """A release was refused: it would take the total past the budget."""


def basic_composition(epsilons, deltas=None) -> tuple[float, float]:
    """k releases at (εi, δi) are (Σεi, Σδi)-DP together."""
    epsilons = [check_epsilon(e) for e in epsilons]
    deltas = [0.0] * len(epsilons) if deltas is None else [check_delta(d) for d in deltas]
    if len(deltas) != len(epsilons):
        raise ValueError(f"{len(epsilons)} epsilons but {len(deltas)} deltas")
    return math.fsum(epsilons), math.fsum(deltas)


def group_privacy(epsilon: float, c: int, delta: float = 0.0) -> tuple[float, float]:
    """An (ε, δ)-DP mechanism is (cε, c·e^((c−1)ε)·δ)-DP for datasets differing in c inputs."""
    epsilon, c, delta = check_epsilon(epsilon), check_int("c", c), check_delta(delta)
    return c * epsilon, c * math.exp((c - 1) * epsilon) * delta


def advanced_composition(epsilon: float, delta: float, k: int, delta_prime: float) -> tuple[float, float]:
    r"""k-fold adaptive composition of (ε, δ)-DP mechanisms (Dwork, Rothblum, Vadhan 2010):

    .. math:: \varepsilon' = \varepsilon\sqrt{2k\ln(1/\delta')} + k\varepsilon(e^\varepsilon - 1),
              \qquad \delta' + k\delta
    """
    epsilon, delta, k = check_epsilon(epsilon), check_delta(delta), check_int("k", k)
    delta_prime = check_delta(delta_prime, "delta_prime", positive=True)
    eps = epsilon * math.sqrt(2 * k * math.log(1 / delta_prime)) + k * epsilon * math.expm1(epsilon)
    return eps, delta_prime + k * delta


@dataclass
class Accountant:
    """Tracks spending against an (ε, δ) budget under basic composition.

    >>> acc = Accountant(epsilon=1.0)
    >>> acc.spend(0.4, label="mean"); acc.spend(0.6, label="count")
    >>> acc.spend(0.1)
    Traceback (most recent call last):
    ...
    simprive.dp.accountant.BudgetExceededError: release of epsilon=0.1, delta=0 refused: ...
    """

    epsilon: float
    delta: float = 0.0
    spent: list[tuple[str, float, float]] = field(default_factory=list)

    def __post_init__(self):
        self.epsilon = check_epsilon(self.epsilon, "budget.epsilon")
        self.delta = check_delta(self.delta, "budget.delta")

    @property
    def total(self) -> tuple[float, float]:
        if not self.spent:
            return 0.0, 0.0
        return basic_composition([e for _, e, _ in self.spent], [d for _, _, d in self.spent])

    @property
    def remaining(self) -> tuple[float, float]:
        eps, delta = self.total
        return self.epsilon - eps, self.delta - delta

    def spend(self, epsilon: float, delta: float = 0.0, label: str = "") -> None:
        """Record a release, or raise :class:`BudgetExceededError` and record nothing."""
        epsilon, delta = check_epsilon(epsilon), check_delta(delta)
        eps_total, delta_total = self.total
        # a relative tolerance so that 0.1 + 0.2 + 0.7 fits a budget of 1.0
        if eps_total + epsilon > self.epsilon * (1 + 1e-12) or delta_total + delta > self.delta * (1 + 1e-12):
            raise BudgetExceededError(
                f"release of epsilon={epsilon:g}, delta={delta:g} refused: spent "
                f"({eps_total:g}, {delta_total:g}) of the budget ({self.epsilon:g}, {self.delta:g})"
            )
        self.spent.append((label, epsilon, delta))

"""Privacy accounting: basic and advanced composition, group privacy, a budget; Rényi and
privacy-loss-distribution accounting through Google's ``dp-accounting``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from simprive.dp.gaussian import Gaussian
from simprive.dp.geometric import Geometric
from simprive.dp.laplace import Laplace
from simprive.dp.randomized_response import RandomizedResponse
from simprive.validation import ConfigError, check_delta, check_epsilon, check_int

__all__ = ["Accountant", "BudgetExceededError", "Release", "advanced_composition", "basic_composition",
           "group_privacy"]


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


@dataclass(frozen=True)
class Release:
    """One recorded release: its (ε, δ) and, when known, the mechanism whose exact privacy
    loss the tight accountants can use."""

    label: str
    epsilon: float
    delta: float
    mechanism: object = None


def _pld(release: Release):
    """The release's privacy loss distribution (dp-accounting, pessimistic: an upper bound).
    Without a known mechanism: the worst case of every (ε, δ)-DP mechanism, whose
    composition is the optimal composition theorem (Kairouz, Oh, Viswanath 2015)."""
    from dp_accounting.pld import common
    from dp_accounting.pld import privacy_loss_distribution as pld

    m = release.mechanism
    if isinstance(m, Laplace):
        return pld.from_laplace_mechanism(m.scale, sensitivity=m.sensitivity)
    if isinstance(m, Gaussian):
        return pld.from_gaussian_mechanism(m.scale, sensitivity=m.sensitivity)
    if isinstance(m, Geometric) and float(m.sensitivity).is_integer():
        return pld.from_discrete_laplace_mechanism(m.epsilon / m.sensitivity, sensitivity=int(m.sensitivity))
    if isinstance(m, RandomizedResponse):
        # with probability k·q the answer is uniform over the k values, otherwise it is kept
        return pld.from_randomized_response(m.k * m.q, m.k)
    return pld.from_privacy_parameters(common.DifferentialPrivacyParameters(release.epsilon, release.delta))


def _rdp_event(release: Release):
    """The release as a dp-accounting event for Rényi accounting, or None when Rényi DP
    cannot account it (an (ε, δ) release with δ > 0 and no known mechanism).  A pure ε-DP
    release without a Rényi event of its own is bounded by binary randomized response at ε,
    which every ε-DP mechanism is a post-processing of (so its Rényi divergences are larger)."""
    import dp_accounting as dpa

    m = release.mechanism
    if isinstance(m, Laplace):
        return dpa.LaplaceDpEvent(m.scale / m.sensitivity)
    if isinstance(m, Gaussian):
        return dpa.GaussianDpEvent(m.scale / m.sensitivity)
    if isinstance(m, RandomizedResponse):
        return dpa.RandomizedResponseDpEvent(m.k * m.q, m.k)
    if release.delta > 0:
        return None
    return dpa.RandomizedResponseDpEvent(2 / (math.exp(release.epsilon) + 1), 2)


@dataclass
class Accountant:
    """Tracks releases against an (ε, δ) budget, which it enforces under basic composition;
    ``epsilon=None`` tracks without a budget.

    The total can be read under four accountings, loosest first: :meth:`basic`,
    :meth:`advanced`, :meth:`rdp` (Rényi DP) and :meth:`pld` (privacy loss distributions);
    the last two delegate to Google's ``dp-accounting``.  Pass ``mechanism=`` to
    :meth:`spend` (a :class:`Laplace`, :class:`Gaussian`, :class:`Geometric` or randomized
    response) and they account its exact privacy loss instead of the worst case of its (ε, δ).

    >>> acc = Accountant(epsilon=1.0)
    >>> acc.spend(0.4, label="mean"); acc.spend(0.6, label="count")
    >>> acc.spend(0.1)
    Traceback (most recent call last):
    ...
    simprive.dp.accountant.BudgetExceededError: release of epsilon=0.1, delta=0 refused: ...
    """

    epsilon: float | None = None
    delta: float = 0.0
    spent: list[Release] = field(default_factory=list)
    # (releases counted, exact Σε, exact Σδ): the budget check costs O(1) per spend, not O(k)
    _sums: tuple[int, Fraction, Fraction] = field(default=(0, Fraction(0), Fraction(0)), init=False, repr=False,
                                                  compare=False)

    def __post_init__(self):
        if self.epsilon is not None:
            self.epsilon = check_epsilon(self.epsilon, "budget.epsilon")
        self.delta = check_delta(self.delta, "budget.delta")

    @property
    def total(self) -> tuple[float, float]:
        """(Σεi, Σδi), as :meth:`basic`: exact sums rounded once, as ``math.fsum`` rounds them."""
        _, eps, delta = self._exact_sums()
        return float(eps), float(delta)

    def _exact_sums(self) -> tuple[int, Fraction, Fraction]:
        if self._sums[0] != len(self.spent):  # ``spent`` edited by hand: count it again
            self._sums = (len(self.spent), sum((Fraction(r.epsilon) for r in self.spent), Fraction(0)),
                          sum((Fraction(r.delta) for r in self.spent), Fraction(0)))
        return self._sums

    @property
    def remaining(self) -> tuple[float, float]:
        eps, delta = self.total
        return (math.inf if self.epsilon is None else self.epsilon - eps), self.delta - delta

    def spend(self, epsilon: float | None = None, delta: float | None = None, label: str = "", *,
              mechanism=None, times: int = 1) -> None:
        """Record ``times`` releases (ε and δ default to the mechanism's), or raise
        :class:`BudgetExceededError` and record nothing."""
        if epsilon is None:
            if mechanism is None:
                raise ConfigError("epsilon", None, "give epsilon or a mechanism")
            epsilon = mechanism.epsilon
        if delta is None:
            delta = getattr(mechanism, "delta", 0.0)
        epsilon, delta, times = check_epsilon(epsilon), check_delta(delta), check_int("times", times)
        eps_total, delta_total = self.total
        # a relative tolerance so that 0.1 + 0.2 + 0.7 fits a budget of 1.0
        if self.epsilon is not None and (eps_total + times * epsilon > self.epsilon * (1 + 1e-12)
                                         or delta_total + times * delta > self.delta * (1 + 1e-12)):
            raise BudgetExceededError(
                f"release of epsilon={epsilon:g}, delta={delta:g} refused: spent "
                f"({eps_total:g}, {delta_total:g}) of the budget ({self.epsilon:g}, {self.delta:g})"
            )
        k, eps_sum, delta_sum = self._exact_sums()
        self.spent.extend([Release(label, epsilon, delta, mechanism)] * times)
        self._sums = (k + times, eps_sum + times * Fraction(epsilon), delta_sum + times * Fraction(delta))

    def basic(self) -> tuple[float, float]:
        """(Σεi, Σδi)."""
        if not self.spent:
            return 0.0, 0.0
        return basic_composition([r.epsilon for r in self.spent], [r.delta for r in self.spent])

    def advanced(self, delta_prime: float) -> tuple[float, float]:
        """Advanced composition of every release, each taken at the largest (εi, δi)."""
        if not self.spent:
            return 0.0, 0.0
        eps = max(r.epsilon for r in self.spent)
        return advanced_composition(eps, max(r.delta for r in self.spent), len(self.spent), delta_prime)

    def rdp(self, delta: float) -> float:
        """ε at ``delta`` under Rényi accounting (inf if a release has no Rényi bound)."""
        import dp_accounting as dpa
        from dp_accounting.rdp import RdpAccountant

        delta = check_delta(delta, positive=True)
        acc = RdpAccountant(neighboring_relation=dpa.NeighboringRelation.REPLACE_ONE)
        for event, count in self._grouped(_rdp_event):
            if event is None:
                return math.inf
            acc.compose(event, count)
        return float(acc.get_epsilon(delta))

    def pld(self, delta: float) -> float:
        """ε at ``delta`` under privacy-loss-distribution accounting, the tightest of the four."""
        delta = check_delta(delta, positive=True)
        total = None
        for dist, count in self._grouped(_pld):
            dist = dist.self_compose(count) if count > 1 else dist
            total = dist if total is None else total.compose(dist)
        return 0.0 if total is None else float(total.get_epsilon_for_delta(delta))

    def _grouped(self, convert):
        """Runs of the same release, converted once each (composing r copies is one call)."""
        runs: list[list] = []
        for r in self.spent:
            if runs and runs[-1][0] == r:
                runs[-1][1] += 1
            else:
                runs.append([r, 1])
        return [(convert(r), count) for r, count in runs]

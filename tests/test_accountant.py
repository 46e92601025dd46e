"""Privacy accounting: basic and advanced composition, group privacy, the budget (DESIGN §4)."""

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from simprive.dp import (
    Accountant,
    BudgetExceededError,
    Gaussian,
    Laplace,
    advanced_composition,
    basic_composition,
    group_privacy,
)
from simprive.dp.gaussian import analytic_delta
from simprive.validation import ConfigError

# ----------------------------------------------------------------------------- basic composition


@pytest.mark.parametrize("epsilons,deltas,expected", [
    ([0.5], None, (0.5, 0.0)),
    ([0.1, 0.2, 0.3], None, (0.6, 0.0)),
    ([0.1, 0.2, 0.7], [0.0, 0.0, 0.0], (1.0, 0.0)),
    ([1.0, 2.0], [1e-6, 2e-6], (3.0, 3e-6)),
    ([0.1] * 10, [1e-7] * 10, (1.0, 1e-6)),
])
def test_basic_composition_sums_epsilons_and_deltas(epsilons, deltas, expected):
    eps, delta = basic_composition(epsilons, deltas)
    assert eps == pytest.approx(expected[0], rel=1e-15)
    assert delta == pytest.approx(expected[1], rel=1e-12, abs=0)


def test_basic_composition_is_exactly_rounded():
    """math.fsum: ten releases of 0.1 are exactly 1.0, not 0.9999999999999999."""
    assert basic_composition([0.1] * 10) == (1.0, 0.0)
    assert basic_composition([0.1, 0.2, 0.7])[0] == 1.0


def test_basic_composition_is_order_free():
    eps = list(np.random.default_rng(1).uniform(0.01, 2, size=50))
    assert basic_composition(eps)[0] == basic_composition(eps[::-1])[0]


@pytest.mark.parametrize("epsilons,deltas,key", [
    ([0.1, 0.0], None, "epsilon"),
    ([0.1, -1.0], None, "epsilon"),
    ([math.nan], None, "epsilon"),
    ([0.1], [1.0], "delta"),
    ([0.1], [-1e-9], "delta"),
])
def test_basic_composition_rejects_invalid_terms(epsilons, deltas, key):
    with pytest.raises(ConfigError) as err:
        basic_composition(epsilons, deltas)
    assert err.value.key == key


# ----------------------------------------------------------------------------- group privacy


@pytest.mark.parametrize("epsilon,c,delta", [(0.5, 1, 0.0), (0.5, 3, 1e-6), (1.0, 2, 1e-5), (0.1, 10, 1e-8)])
def test_group_privacy_is_c_epsilon_and_c_exp_delta(epsilon, c, delta):
    eps, d = group_privacy(epsilon, c, delta)
    assert eps == pytest.approx(c * epsilon, rel=1e-15)
    assert d == pytest.approx(c * math.exp((c - 1) * epsilon) * delta, rel=1e-14, abs=0)


def test_group_privacy_of_one_is_the_mechanism_itself():
    assert group_privacy(0.7, 1, 1e-6) == pytest.approx((0.7, 1e-6), rel=1e-15)


def test_group_privacy_defaults_to_pure_dp():
    assert group_privacy(0.3, 4) == pytest.approx((1.2, 0.0))


def test_group_privacy_matches_laplace_privacy_loss():
    """A Laplace release's actual loss for c changed inputs (ℓ1 distance cΔ) is cε."""
    mech = Laplace(epsilon=0.4, sensitivity=2.0)
    for c in (1, 2, 5):
        assert mech.privacy_loss(c * 2.0) == pytest.approx(group_privacy(0.4, c)[0], rel=1e-12)


@pytest.mark.parametrize("c", [0, -1, 1.5, True, "2", None])
def test_group_privacy_rejects_invalid_group_size(c):
    with pytest.raises(ConfigError) as err:
        group_privacy(0.5, c)
    assert err.value.key == "c"


# ----------------------------------------------------------------------------- advanced composition


@pytest.mark.parametrize("epsilon,delta,k,delta_prime", [
    (0.1, 0.0, 10, 1e-5),
    (0.01, 1e-8, 1000, 1e-6),
    (0.5, 1e-6, 50, 1e-3),
    (1.0, 0.0, 1, 0.5),
])
def test_advanced_composition_formula(epsilon, delta, k, delta_prime):
    eps, d = advanced_composition(epsilon, delta, k, delta_prime)
    expected = epsilon * math.sqrt(2 * k * math.log(1 / delta_prime)) + k * epsilon * (math.exp(epsilon) - 1)
    assert eps == pytest.approx(expected, rel=1e-12)
    assert d == pytest.approx(delta_prime + k * delta, rel=1e-12)


def test_advanced_composition_beats_basic_for_many_small_releases():
    k, epsilon = 10_000, 0.01
    eps, _ = advanced_composition(epsilon, 0.0, k, 1e-6)
    assert eps < basic_composition([epsilon] * k)[0] / 10  # 5.3 + 1.0 against 100


def test_advanced_composition_grows_like_sqrt_k_for_small_epsilon():
    eps = [advanced_composition(1e-4, 0.0, k, 1e-6)[0] for k in (100, 400, 1600)]
    assert eps[1] / eps[0] == pytest.approx(2.0, rel=1e-3)
    assert eps[2] / eps[1] == pytest.approx(2.0, rel=1e-3)


@pytest.mark.parametrize("args,key", [
    ((0.1, 0.0, 10, 0.0), "delta_prime"),
    ((0.1, 0.0, 10, 1.0), "delta_prime"),
    ((0.1, 0.0, 0, 1e-5), "k"),
    ((0.1, 0.0, 2.5, 1e-5), "k"),
    ((0.0, 0.0, 10, 1e-5), "epsilon"),
    ((0.1, 1.0, 10, 1e-5), "delta"),
])
def test_advanced_composition_rejects_invalid_arguments(args, key):
    with pytest.raises(ConfigError) as err:
        advanced_composition(*args)
    assert err.value.key == key


# ----------------------------------------------------------------------------- the accountant


def test_accountant_records_releases_within_budget():
    acc = Accountant(epsilon=1.0, delta=1e-5)
    acc.spend(0.4, label="mean")
    acc.spend(0.5, 5e-6, label="count")
    assert [(r.label, r.epsilon, r.delta) for r in acc.spent] == [("mean", 0.4, 0.0), ("count", 0.5, 5e-6)]
    assert acc.total == pytest.approx((0.9, 5e-6))
    assert acc.remaining == pytest.approx((0.1, 5e-6))


def test_accountant_starts_empty():
    acc = Accountant(epsilon=2.0)
    assert acc.spent == [] and acc.total == (0.0, 0.0) and acc.remaining == (2.0, 0.0)


def test_accountant_refuses_release_past_epsilon_budget_and_records_nothing():
    acc = Accountant(epsilon=1.0)
    acc.spend(0.4, label="mean")
    acc.spend(0.6, label="count")
    before = list(acc.spent)
    with pytest.raises(BudgetExceededError, match=r"epsilon=0\.1"):
        acc.spend(0.1, label="one too many")
    assert acc.spent == before
    assert acc.total == pytest.approx((1.0, 0.0))


def test_accountant_refuses_release_past_delta_budget_and_records_nothing():
    acc = Accountant(epsilon=10.0, delta=1e-5)
    acc.spend(1.0, 8e-6)
    with pytest.raises(BudgetExceededError):
        acc.spend(1.0, 3e-6)
    assert [(r.label, r.epsilon, r.delta) for r in acc.spent] == [("", 1.0, 8e-6)]
    acc.spend(1.0, 2e-6)  # what fits is still accepted after a refusal
    assert acc.total == pytest.approx((2.0, 1e-5))


def test_accountant_with_pure_budget_refuses_any_delta():
    acc = Accountant(epsilon=1.0)
    with pytest.raises(BudgetExceededError):
        acc.spend(0.1, 1e-12)
    assert acc.spent == []


def test_accountant_refuses_a_single_release_larger_than_the_budget():
    acc = Accountant(epsilon=0.5)
    with pytest.raises(BudgetExceededError):
        acc.spend(0.6)
    assert acc.spent == []


def test_accountant_fits_point_one_plus_point_two_plus_point_seven_in_one():
    acc = Accountant(epsilon=1.0)
    for eps in (0.1, 0.2, 0.7):
        acc.spend(eps)
    assert len(acc.spent) == 3
    assert acc.total[0] == pytest.approx(1.0, rel=1e-15)
    with pytest.raises(BudgetExceededError):  # but it is full
        acc.spend(1e-6)
    assert len(acc.spent) == 3


@pytest.mark.parametrize("budget,releases", [
    (1.0, [0.7, 0.2, 0.1]),
    (1.0, [0.1] * 10),
    (1.0, [1 / 3] * 3),
    (0.3, [0.1, 0.2]),  # 0.1 + 0.2 = 0.30000000000000004 > 0.3 in floats
    (0.6, [0.2, 0.2, 0.2]),
    (2.2, [1.1, 1.1]),
])
def test_accountant_fits_releases_that_add_up_to_the_budget_in_decimal(budget, releases):
    acc = Accountant(epsilon=budget)
    for eps in releases:
        acc.spend(eps)
    assert len(acc.spent) == len(releases)
    assert acc.total[0] == pytest.approx(budget, rel=1e-15)


def test_accountant_tolerance_is_relative_and_tiny():
    acc = Accountant(epsilon=1.0)
    acc.spend(1.0)
    with pytest.raises(BudgetExceededError):
        acc.spend(1e-9)


def test_accountant_budget_exceeded_error_is_a_runtime_error():
    assert issubclass(BudgetExceededError, RuntimeError)


@pytest.mark.parametrize("kwargs,key", [
    (dict(epsilon=0.0), "budget.epsilon"),
    (dict(epsilon=math.inf), "budget.epsilon"),
    (dict(epsilon=True), "budget.epsilon"),
    (dict(epsilon=1.0, delta=1.0), "budget.delta"),
    (dict(epsilon=1.0, delta=-0.1), "budget.delta"),
])
def test_accountant_rejects_invalid_budget(kwargs, key):
    with pytest.raises(ConfigError) as err:
        Accountant(**kwargs)
    assert err.value.key == key


@pytest.mark.parametrize("epsilon,delta,key", [(-0.1, 0.0, "epsilon"), (math.nan, 0.0, "epsilon"),
                                               (0.1, 2.0, "delta")])
def test_accountant_rejects_invalid_release_and_records_nothing(epsilon, delta, key):
    acc = Accountant(epsilon=1.0, delta=0.5)
    with pytest.raises(ConfigError) as err:
        acc.spend(epsilon, delta)
    assert err.value.key == key
    assert acc.spent == []


# ----------------------------------------------------------------------------- tight accounting (dp-accounting)
def kairouz_delta(k: int, epsilon: float, eps_total: float) -> float:
    """δ(ε') of the k-fold composition of any ε-DP mechanisms, exactly (Kairouz, Oh,
    Viswanath 2015, Theorem 3.3, written as E[(1 − e^(ε'−L))+] over the privacy loss L of
    binary randomized response: L = (k − 2l)ε with probability C(k, l)e^((k−l)ε)/(1+e^ε)^k)."""
    import mpmath

    mpmath.mp.dps = 50
    e, t = mpmath.mpf(epsilon), mpmath.mpf(eps_total)
    total = mpmath.mpf(0)
    for l in range(k + 1):
        loss = (k - 2 * l) * e
        if loss > t:
            total += mpmath.binomial(k, l) * mpmath.e ** ((k - l) * e) * (1 - mpmath.e ** (t - loss))
    return float(total / (1 + mpmath.e**e) ** k)


@pytest.mark.parametrize("k, epsilon", [(10, 0.5), (30, 0.1), (5, 1.0)])
def test_pld_of_pure_releases_is_the_optimal_composition_theorem(k, epsilon):
    acc = Accountant()
    acc.spend(epsilon, times=k)
    for i in (1, 2):  # at δ_i the optimal ε is exactly (k − 2i)ε ...
        delta_i = kairouz_delta(k, epsilon, (k - 2 * i) * epsilon)
        assert acc.pld(delta_i) == pytest.approx((k - 2 * i) * epsilon, abs=2e-3)
    for target in (1e-3, 1e-5):  # ... and between those points, the root of the exact curve
        exact = brentq(lambda t: kairouz_delta(k, epsilon, t) - target, 0.0, k * epsilon)
        assert acc.pld(target) == pytest.approx(exact, abs=2e-3)
        assert acc.pld(target) <= acc.rdp(target) + 2e-3  # PLD is the tightest
        assert acc.pld(target) <= acc.basic()[0] + 2e-3


@pytest.mark.parametrize("r", [1, 7, 50])
def test_pld_of_repeated_gaussians_is_one_gaussian_with_sigma_over_root_r(r):
    mech = Gaussian(epsilon=0.5, delta=1e-6, sensitivity=3.0, analytic=True)
    acc = Accountant()
    acc.spend(mechanism=mech, times=r)
    sigma = mech.scale / math.sqrt(r)
    exact = brentq(lambda e: analytic_delta(sigma, e, 3.0) - 1e-5, 1e-9, 1e3)  # Balle & Wang, closed form
    assert acc.pld(1e-5) == pytest.approx(exact, rel=2e-3)
    assert acc.rdp(1e-5) >= exact


@pytest.mark.parametrize("epsilon, delta", [(1.0, 1e-5), (0.3, 0.01)])
def test_pld_of_one_laplace_is_its_privacy_profile(epsilon, delta):
    # one Laplace release: δ(ε') = 1 − e^((ε' − ε)/2), so ε(δ) = ε + 2 ln(1 − δ)
    acc = Accountant()
    acc.spend(mechanism=Laplace(epsilon=epsilon, sensitivity=2.0))
    assert acc.pld(delta) == pytest.approx(epsilon + 2 * math.log1p(-delta), abs=2e-3)


def test_accounting_orders_for_many_laplace_releases():
    acc = Accountant()
    acc.spend(mechanism=Laplace(epsilon=0.1, sensitivity=1.0), times=100)
    pld, rdp = acc.pld(1e-5), acc.rdp(1e-5)
    adv, basic = acc.advanced(1e-5)[0], acc.basic()[0]
    assert pld < rdp < adv < basic  # 4.22 < 4.53 < 5.85 < 10
    assert pld == pytest.approx(4.22, abs=0.01)  # dp-accounting's own figure for 100 × Laplace(ε = 0.1)


def test_accountant_refuses_rdp_for_an_approximate_release_it_cannot_bound():
    acc = Accountant()
    acc.spend(1.0, 1e-6)
    assert acc.rdp(1e-5) == math.inf and math.isfinite(acc.pld(1e-5))


def test_accountant_without_budget_tracks_and_mechanism_sets_epsilon():
    acc = Accountant()
    acc.spend(mechanism=Laplace(epsilon=0.7, sensitivity=1.0), times=3, label="q")
    assert acc.basic() == pytest.approx((2.1, 0.0)) and acc.remaining[0] == math.inf
    with pytest.raises(ConfigError):
        acc.spend()


def test_the_running_total_is_the_correctly_rounded_sum_of_every_release():
    """Kept exactly as spends arrive (one spend costs the same after 3,000 as after one), it is
    what math.fsum gives over the list, and a list edited by hand is counted again."""
    rng = np.random.default_rng(5)
    eps, deltas = rng.uniform(1e-3, 0.05, 500), rng.choice([0.0, 1e-7, 3e-9], 500)
    acc = Accountant(epsilon=100.0, delta=0.5)
    for e, d in zip(eps, deltas):
        acc.spend(float(e), float(d))
    assert acc.total == acc.basic() == (math.fsum(eps), math.fsum(deltas))
    acc.spend(0.5, 0.0, times=7)
    assert acc.total == (math.fsum([*eps, *[0.5] * 7]), math.fsum(deltas))
    del acc.spent[:10]
    assert acc.total == acc.basic()

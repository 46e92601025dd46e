"""Geometric (discrete Laplace) mechanism: its law against scipy.stats.dlaplace, closed forms,
integer outputs.

Random checks are seeded (deterministic).  The law is checked with a chi-square goodness
of fit whose tail bins are pooled so every expected count is at least 5; moments are
compared with their closed forms within ``Z`` standard errors from the exact variance of
the statistic (computed from the pmf) and the sample count.
"""

import math

import numpy as np
import pytest
from scipy import stats

from simprive.dp import Geometric
from simprive.validation import ConfigError

N = 200_000
Z = 5.0
P_MIN = 1e-3

SETTINGS = [(1.0, 1.0), (0.5, 1.0), (1.0, 2.0), (2.0, 1.0), (0.1, 1.0), (3.0, 4.0)]  # (ε, Δ)


def seeded(settings, start):
    return [(start + i, *s) for i, s in enumerate(settings)]


def assert_close_in_se(observed, expected, se, z=Z):
    assert abs(observed - expected) <= z * se, (
        f"observed {observed!r} vs expected {expected!r}: {abs(observed - expected) / se:.2f} SE"
    )


def pooled_chisquare(samples, law, min_expected=5.0):
    """Chi-square goodness of fit of integer ``samples`` to a symmetric integer ``law``:
    one bin per k in [−K, K], the two tails pooled into (−∞, −K−1] and [K+1, ∞), with the
    largest K that keeps every expected count >= ``min_expected``."""
    n = samples.size
    K = 0
    while n * law.pmf(K + 1) >= min_expected and n * law.sf(K + 1) >= min_expected:
        K += 1
    ks = np.arange(-K, K + 1)
    expected = np.concatenate([[law.cdf(-K - 1)], law.pmf(ks), [law.sf(K)]]) * n
    observed = np.bincount(np.clip(samples, -K - 1, K + 1) + K + 1, minlength=2 * K + 3)
    assert observed.sum() == n and expected.min() >= min_expected
    expected *= n / expected.sum()  # remove float rounding of the total
    return stats.chisquare(observed, expected)


# ----------------------------------------------------------------------------- closed forms


@pytest.mark.parametrize("epsilon,sensitivity", SETTINGS)
def test_geometric_alpha_is_exp_minus_epsilon_over_sensitivity(epsilon, sensitivity):
    assert Geometric(epsilon=epsilon, sensitivity=sensitivity).alpha == pytest.approx(
        math.exp(-epsilon / sensitivity), rel=1e-15
    )


@pytest.mark.parametrize("epsilon,sensitivity", SETTINGS)
def test_geometric_docstring_pmf_is_scipy_dlaplace(epsilon, sensitivity):
    """P(k) = (1−α)/(1+α) α^|k| is dlaplace(a=ε/Δ), and sums to 1."""
    a = Geometric(epsilon=epsilon, sensitivity=sensitivity).alpha
    k = np.arange(-200, 201)
    pmf = (1 - a) / (1 + a) * a ** np.abs(k)
    np.testing.assert_allclose(pmf, stats.dlaplace(a=epsilon / sensitivity).pmf(k), rtol=1e-12)
    assert stats.dlaplace(a=epsilon / sensitivity).cdf(-1) + pmf[k >= 0].sum() == pytest.approx(1.0)


@pytest.mark.parametrize("epsilon,sensitivity", SETTINGS)
def test_geometric_variance_closed_form(epsilon, sensitivity):
    mech = Geometric(epsilon=epsilon, sensitivity=sensitivity)
    a = mech.alpha
    assert mech.variance() == pytest.approx(2 * a / (1 - a) ** 2, rel=1e-14)
    assert mech.variance() == pytest.approx(stats.dlaplace(a=epsilon / sensitivity).var(), rel=1e-9)
    assert mech.mse() == mech.variance() and mech.bias() == 0.0


@pytest.mark.parametrize("epsilon,sensitivity", SETTINGS)
def test_geometric_mean_abs_error_closed_form(epsilon, sensitivity):
    mech = Geometric(epsilon=epsilon, sensitivity=sensitivity)
    a = mech.alpha
    assert mech.mean_abs_error() == pytest.approx(2 * a / (1 - a * a), rel=1e-14)
    assert mech.mean_abs_error() == pytest.approx(
        stats.dlaplace(a=epsilon / sensitivity).expect(abs), rel=1e-9
    )


@pytest.mark.parametrize("epsilon,sensitivity", SETTINGS)
def test_geometric_pmf_ratio_between_neighbours_is_bounded_by_epsilon(epsilon, sensitivity):
    """P(y − f)/P(y − f') ≤ e^ε for integer f, f' with |f − f'| ≤ Δ (integer Δ)."""
    if sensitivity != int(sensitivity):
        pytest.skip("integer sensitivity only")
    law = stats.dlaplace(a=epsilon / sensitivity)
    y = np.arange(-100, 101)
    for shift in range(1, int(sensitivity) + 1):
        assert np.abs(law.logpmf(y) - law.logpmf(y - shift)).max() <= epsilon * (1 + 1e-9)


# ----------------------------------------------------------------------------- the law


@pytest.mark.parametrize("seed,epsilon,sensitivity", seeded(SETTINGS, 101))
def test_geometric_noise_matches_scipy_dlaplace(seed, epsilon, sensitivity):
    mech = Geometric(epsilon=epsilon, sensitivity=sensitivity)
    noise = mech.sample(N, np.random.default_rng(seed))
    result = pooled_chisquare(noise, stats.dlaplace(a=epsilon / sensitivity))
    assert result.pvalue > P_MIN, result


def test_geometric_noise_does_not_match_a_wrong_alpha():
    """The pooled chi-square has the power to see ε off by 5%."""
    noise = Geometric(epsilon=1.0).sample(N, np.random.default_rng(8))
    assert pooled_chisquare(noise, stats.dlaplace(a=1.05)).pvalue < P_MIN


def test_geometric_noise_is_symmetric():
    """P(Y = k) = P(Y = −k): the counts of k and −k agree (chi-square on the folded table)."""
    noise = Geometric(epsilon=0.5).sample(N, np.random.default_rng(9))
    pos = np.bincount(noise[noise > 0], minlength=8)[1:8]
    neg = np.bincount(-noise[noise < 0], minlength=8)[1:8]
    result = stats.chi2_contingency(np.vstack([pos, neg]))
    assert result.pvalue > P_MIN, result


def test_geometric_randomise_adds_dlaplace_noise_to_each_value():
    mech = Geometric(epsilon=0.7, sensitivity=1)
    values = np.random.default_rng(51).integers(-1000, 1000, size=N)
    released = mech.randomise(values, np.random.default_rng(52))
    assert released.shape == values.shape
    result = pooled_chisquare(released - values, stats.dlaplace(a=0.7))
    assert result.pvalue > P_MIN, result


# ----------------------------------------------------------------------------- moments


@pytest.mark.parametrize("seed,epsilon,sensitivity", seeded(SETTINGS, 201))
def test_geometric_variance_matches_closed_form(seed, epsilon, sensitivity):
    """Sample mean of Y² vs 2α/(1−α)²; SE from Var(Y²) = E Y⁴ − (E Y²)² of the pmf."""
    mech = Geometric(epsilon=epsilon, sensitivity=sensitivity)
    law = stats.dlaplace(a=epsilon / sensitivity)
    sq = mech.sample(N, np.random.default_rng(seed)).astype(float) ** 2
    var_sq = law.moment(4) - law.moment(2) ** 2
    assert_close_in_se(sq.mean(), mech.variance(), math.sqrt(var_sq / N))


@pytest.mark.parametrize("seed,epsilon,sensitivity", seeded(SETTINGS, 301))
def test_geometric_abs_error_matches_closed_form(seed, epsilon, sensitivity):
    """Sample mean of |Y| vs 2α/(1−α²); SE from Var|Y| = E Y² − (E|Y|)²."""
    mech = Geometric(epsilon=epsilon, sensitivity=sensitivity)
    abs_err = np.abs(mech.sample(N, np.random.default_rng(seed)))
    var_abs = mech.variance() - mech.mean_abs_error() ** 2
    assert_close_in_se(abs_err.mean(), mech.mean_abs_error(), math.sqrt(var_abs / N))


@pytest.mark.parametrize("seed,epsilon,sensitivity", seeded(SETTINGS, 401))
def test_geometric_noise_is_unbiased(seed, epsilon, sensitivity):
    mech = Geometric(epsilon=epsilon, sensitivity=sensitivity)
    noise = mech.sample(N, np.random.default_rng(seed))
    assert_close_in_se(noise.mean(), 0.0, math.sqrt(mech.variance() / N))


def test_geometric_small_epsilon_variance_is_accurate():
    """ε = 1e-3: α is within 1e-3 of 1; Var ≈ 2/ε² − 1/6 must still be right."""
    mech = Geometric(epsilon=1e-3)
    assert mech.variance() == pytest.approx(2 / 1e-6 - 1 / 6, rel=1e-6)
    noise = mech.sample(N, np.random.default_rng(61)).astype(float)
    law = stats.dlaplace(a=1e-3)
    var_sq = law.moment(4) - law.moment(2) ** 2
    assert_close_in_se((noise**2).mean(), mech.variance(), math.sqrt(var_sq / N))


# ----------------------------------------------------------------------------- integer outputs


def test_geometric_sample_is_integer():
    noise = Geometric(epsilon=1.0).sample((100, 3), np.random.default_rng(71))
    assert noise.shape == (100, 3)
    assert np.issubdtype(noise.dtype, np.integer)


@pytest.mark.parametrize("values", [np.arange(10), np.arange(10.0), [3, -4, 0], 7, np.array([[1.0, 2.0], [3.0, -5.0]])])
def test_geometric_randomise_returns_integers_for_integer_valued_input(values):
    released = Geometric(epsilon=1.0).randomise(values, np.random.default_rng(72))
    assert np.issubdtype(released.dtype, np.integer)
    assert released.shape == np.shape(values)


def test_geometric_randomise_is_exact_value_plus_integer_noise():
    mech = Geometric(epsilon=1.0, sensitivity=2)
    values = np.array([0.0, 12686.0, -618.0, 3.0])
    released = mech.randomise(values, np.random.default_rng(73))
    noise = mech.sample(values.shape, np.random.default_rng(73))
    np.testing.assert_array_equal(released, values.astype(np.int64) + noise)


@pytest.mark.parametrize("values", [1.5, [1, 2.5], np.array([0.1, 0.2]), [np.nan], [np.inf], [1e-9]])
def test_geometric_rejects_non_integer_input(values):
    with pytest.raises(ValueError, match="integer"), np.errstate(invalid="ignore"):  # inf % 1 is nan
        Geometric(epsilon=1.0).randomise(values, np.random.default_rng(74))


# ----------------------------------------------------------------------------- parameters


@pytest.mark.parametrize("sensitivity", [0, -1, math.nan, math.inf, True])
def test_geometric_rejects_invalid_sensitivity(sensitivity):
    with pytest.raises(ConfigError) as err:
        Geometric(epsilon=1.0, sensitivity=sensitivity)
    assert err.value.key == "sensitivity"


@pytest.mark.parametrize("epsilon", [0, -1.0, math.nan, math.inf, True, "1"])
def test_geometric_rejects_invalid_epsilon(epsilon):
    with pytest.raises(ConfigError) as err:
        Geometric(epsilon=epsilon)
    assert err.value.key == "epsilon"

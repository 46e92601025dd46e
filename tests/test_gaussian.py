"""Gaussian mechanism: classic and analytic calibration (DESIGN §4), its law, its moments.

Random checks are seeded, so they are deterministic; sample means are compared with
their closed forms within ``Z`` standard errors computed from the known variance of the
statistic and the sample count.
"""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from simprive.dp import Gaussian
from simprive.dp.gaussian import analytic_delta
from simprive.validation import ConfigError

N = 200_000
Z = 5.0
P_MIN = 1e-3

CLASSIC = [(0.1, 1e-5, 1.0), (0.5, 1e-3, 1.0), (0.9, 1e-6, 2.5), (0.3, 1e-8, 0.2)]  # (ε, δ, Δ2)
ANALYTIC = CLASSIC + [(1.0, 1e-5, 1.0), (2.0, 1e-5, 1.0), (5.0, 1e-10, 3.0), (20.0, 1e-3, 1.0)]


def seeded(settings, start):
    return [(start + i, *s) for i, s in enumerate(settings)]


def assert_close_in_se(observed, expected, se, z=Z):
    assert abs(observed - expected) <= z * se, (
        f"observed {observed!r} vs expected {expected!r}: {abs(observed - expected) / se:.2f} SE"
    )


def classic_sigma(epsilon, delta, sensitivity):
    return sensitivity * math.sqrt(2 * math.log(1.25 / delta)) / epsilon


def hockey_stick_delta(sigma, epsilon, sensitivity):
    """δ(ε) = ∫ max(0, p(y) − e^ε p'(y)) dy for N(0, σ²) vs N(Δ, σ²), by quadrature:
    an independent check of the closed form in ``analytic_delta``."""
    p, p2 = stats.norm(0, sigma), stats.norm(sensitivity, sigma)
    # p(y) ≥ e^ε p'(y) iff y ≤ y*, with y* = Δ/2 − εσ²/Δ
    y_star = sensitivity / 2 - epsilon * sigma**2 / sensitivity
    value, _ = integrate.quad(
        lambda y: p.pdf(y) - math.exp(epsilon) * p2.pdf(y),
        y_star - 40 * sigma, y_star, epsabs=1e-15, epsrel=1e-11, limit=200,
    )
    # the integrand is ≤ 0 above y*; check numerically that the max(0, ·) is right there
    grid = np.linspace(y_star, y_star + 20 * sigma, 1001)
    assert np.all(p.pdf(grid) - math.exp(epsilon) * p2.pdf(grid) <= 1e-12 * p.pdf(grid))
    return value


# ----------------------------------------------------------------------------- classic


@pytest.mark.parametrize("epsilon,delta,sensitivity", CLASSIC)
def test_gaussian_classic_sigma_formula(epsilon, delta, sensitivity):
    mech = Gaussian(epsilon=epsilon, delta=delta, sensitivity=sensitivity)
    assert mech.scale == pytest.approx(classic_sigma(epsilon, delta, sensitivity), rel=1e-14)


@pytest.mark.parametrize("epsilon", [1.0, 1, 1.5, 10.0])
def test_gaussian_classic_refuses_epsilon_at_least_one(epsilon):
    with pytest.raises(ConfigError) as err:
        Gaussian(epsilon=epsilon, delta=1e-5, sensitivity=1.0)
    assert err.value.key == "epsilon"
    assert f"epsilon={epsilon!r}" in str(err.value)


@pytest.mark.parametrize("epsilon,delta,sensitivity", CLASSIC)
def test_gaussian_classic_sigma_meets_the_exact_privacy_profile(epsilon, delta, sensitivity):
    """Dwork & Roth's Theorem A.1 is a valid (if loose) bound for ε < 1."""
    mech = Gaussian(epsilon=epsilon, delta=delta, sensitivity=sensitivity)
    assert mech.privacy_delta(epsilon) <= delta


# ----------------------------------------------------------------------------- analytic


def test_gaussian_analytic_sigma_balle_wang_example():
    """ε = 1, δ = 1e-5, Δ = 1: σ ≈ 3.73 (Balle & Wang 2018), against 4.84 for the classic bound."""
    mech = Gaussian(epsilon=1.0, delta=1e-5, sensitivity=1.0, analytic=True)
    assert mech.scale == pytest.approx(3.73, abs=0.005)
    assert classic_sigma(1.0, 1e-5, 1.0) == pytest.approx(4.84, abs=0.01)


@pytest.mark.parametrize("epsilon,delta,sensitivity", ANALYTIC)
def test_gaussian_analytic_sigma_is_the_smallest_meeting_delta(epsilon, delta, sensitivity):
    sigma = Gaussian(epsilon=epsilon, delta=delta, sensitivity=sensitivity, analytic=True).scale
    assert analytic_delta(sigma, epsilon, sensitivity) <= delta
    assert analytic_delta(sigma * (1 - 1e-6), epsilon, sensitivity) > delta


@pytest.mark.parametrize("epsilon,delta,sensitivity", CLASSIC)
def test_gaussian_analytic_sigma_is_below_classic(epsilon, delta, sensitivity):
    analytic = Gaussian(epsilon=epsilon, delta=delta, sensitivity=sensitivity, analytic=True).scale
    assert analytic < classic_sigma(epsilon, delta, sensitivity)


@pytest.mark.parametrize("epsilon", [1.0, 2.0, 8.0])
def test_gaussian_analytic_accepts_epsilon_at_least_one(epsilon):
    mech = Gaussian(epsilon=epsilon, delta=1e-5, sensitivity=1.0, analytic=True)
    assert 0 < mech.scale < math.inf
    assert mech.privacy_delta(epsilon) <= 1e-5


@pytest.mark.parametrize("sensitivity", [0.01, 0.5, 7.0, 1e3])
def test_gaussian_analytic_sigma_scales_linearly_with_sensitivity(sensitivity):
    unit = Gaussian(epsilon=0.7, delta=1e-6, sensitivity=1.0, analytic=True).scale
    scaled = Gaussian(epsilon=0.7, delta=1e-6, sensitivity=sensitivity, analytic=True).scale
    assert scaled == pytest.approx(sensitivity * unit, rel=1e-9)


@pytest.mark.parametrize("epsilon,delta,sensitivity", ANALYTIC)
def test_gaussian_analytic_delta_matches_hockey_stick_integral(epsilon, delta, sensitivity):
    for sigma in (0.5 * sensitivity, Gaussian(epsilon=epsilon, delta=delta, sensitivity=sensitivity,
                                              analytic=True).scale, 3 * sensitivity):
        closed = analytic_delta(sigma, epsilon, sensitivity)
        numeric = hockey_stick_delta(sigma, epsilon, sensitivity)
        assert closed == pytest.approx(numeric, rel=1e-6, abs=1e-14), sigma


def test_gaussian_analytic_delta_decreases_with_sigma_and_epsilon():
    sigmas = np.geomspace(0.05, 20, 200)  # δ runs from 1 down to ~1e-91
    d = np.array([analytic_delta(s, 1.0, 1.0) for s in sigmas])
    assert d[0] == pytest.approx(1.0, abs=1e-12) and 0 < d[-1] < 1e-80
    assert np.all(np.diff(d) <= 0)
    inside = d < 1 - 1e-9  # strictly decreasing where not saturated at 1
    assert inside.sum() > 150
    assert np.all(np.diff(d[inside]) < 0)
    eps = np.linspace(0.01, 5, 100)
    d = np.array([analytic_delta(2.0, e, 1.0) for e in eps])
    assert np.all(np.diff(d) < 0)


def test_gaussian_privacy_delta_is_the_profile_of_its_sigma():
    mech = Gaussian(epsilon=0.5, delta=1e-5, sensitivity=2.0, analytic=True)
    assert mech.privacy_delta(0.5) == pytest.approx(1e-5, rel=1e-6)
    assert mech.privacy_delta(0.5) <= 1e-5
    assert mech.privacy_delta(1.0) < mech.privacy_delta(0.5)


# ----------------------------------------------------------------------------- the law


@pytest.mark.parametrize("seed,epsilon,delta,sensitivity", seeded(CLASSIC, 101))
@pytest.mark.parametrize("analytic", [False, True])
def test_gaussian_noise_matches_scipy_norm(seed, epsilon, delta, sensitivity, analytic):
    mech = Gaussian(epsilon=epsilon, delta=delta, sensitivity=sensitivity, analytic=analytic)
    noise = mech.sample(N, np.random.default_rng(seed + 50 * analytic))
    result = stats.kstest(noise, stats.norm(scale=mech.scale).cdf)
    assert result.pvalue > P_MIN, result


def test_gaussian_noise_does_not_match_a_wrong_sigma():
    """The KS test has the power to see a 2% error in σ at this sample size."""
    mech = Gaussian(epsilon=0.5, delta=1e-5, sensitivity=1.0)
    noise = mech.sample(N, np.random.default_rng(9))
    assert stats.kstest(noise, stats.norm(scale=1.02 * mech.scale).cdf).pvalue < P_MIN


def test_gaussian_randomise_adds_normal_noise_to_each_value():
    mech = Gaussian(epsilon=0.5, delta=1e-6, sensitivity=3.0)
    values = np.random.default_rng(31).normal(100, 1e3, size=N)
    released = mech.randomise(values, np.random.default_rng(32))
    assert released.shape == values.shape
    result = stats.kstest(released - values, stats.norm(scale=mech.scale).cdf)
    assert result.pvalue > P_MIN, result


def test_gaussian_vector_each_coordinate_has_sigma():
    T, K = 100_000, 3
    mech = Gaussian(epsilon=1.0, delta=1e-5, sensitivity=math.sqrt(2), analytic=True)
    noise = mech.randomise(np.zeros((T, K)), np.random.default_rng(33))
    assert noise.shape == (T, K)
    for j in range(K):
        assert stats.kstest(noise[:, j], stats.norm(scale=mech.scale).cdf).pvalue > P_MIN, j
    corr = np.corrcoef(noise, rowvar=False)[~np.eye(K, dtype=bool)]
    assert np.abs(corr).max() <= Z / math.sqrt(T)


# ----------------------------------------------------------------------------- moments


@pytest.mark.parametrize("seed,epsilon,delta,sensitivity", seeded(ANALYTIC[:4], 201))
def test_gaussian_abs_error_matches_sigma_sqrt_two_over_pi(seed, epsilon, delta, sensitivity):
    """E|Y| = σ√(2/π), Var|Y| = σ²(1 − 2/π)."""
    mech = Gaussian(epsilon=epsilon, delta=delta, sensitivity=sensitivity, analytic=True)
    s = mech.scale
    assert mech.mean_abs_error() == pytest.approx(s * math.sqrt(2 / math.pi), rel=1e-15)
    abs_err = np.abs(mech.sample(N, np.random.default_rng(seed)))
    assert_close_in_se(abs_err.mean(), mech.mean_abs_error(), s * math.sqrt((1 - 2 / math.pi) / N))


@pytest.mark.parametrize("seed,epsilon,delta,sensitivity", seeded(CLASSIC, 301))
def test_gaussian_variance_matches_sigma_squared(seed, epsilon, delta, sensitivity):
    """E Y² = σ², Var(Y²) = 2σ⁴."""
    mech = Gaussian(epsilon=epsilon, delta=delta, sensitivity=sensitivity)
    s = mech.scale
    assert mech.variance() == pytest.approx(s**2, rel=1e-15)
    assert mech.mse() == mech.variance() and mech.bias() == 0.0
    sq = mech.sample(N, np.random.default_rng(seed)) ** 2
    assert_close_in_se(sq.mean(), s**2, math.sqrt(2) * s**2 / math.sqrt(N))


def test_gaussian_noise_is_unbiased():
    mech = Gaussian(epsilon=0.5, delta=1e-5, sensitivity=1.0)
    noise = mech.sample(N, np.random.default_rng(41))
    assert_close_in_se(noise.mean(), 0.0, mech.scale / math.sqrt(N))


# ----------------------------------------------------------------------------- parameters


@pytest.mark.parametrize("delta", [0, 0.0, 1.0, -1e-5, 1.5, math.nan, True])
@pytest.mark.parametrize("analytic", [False, True])
def test_gaussian_rejects_delta_outside_open_unit_interval(delta, analytic):
    with pytest.raises(ConfigError) as err:
        Gaussian(epsilon=0.5, delta=delta, sensitivity=1.0, analytic=analytic)
    assert err.value.key == "delta"


@pytest.mark.parametrize("sensitivity", [0, -1.0, math.inf, math.nan, None])
def test_gaussian_rejects_non_positive_sensitivity(sensitivity):
    with pytest.raises(ConfigError) as err:
        Gaussian(epsilon=0.5, delta=1e-5, sensitivity=sensitivity)
    assert err.value.key == "sensitivity"


@pytest.mark.parametrize("epsilon", [0, -0.5, math.nan, math.inf, False])
def test_gaussian_rejects_invalid_epsilon(epsilon):
    with pytest.raises(ConfigError) as err:
        Gaussian(epsilon=epsilon, delta=1e-5, sensitivity=1.0, analytic=True)
    assert err.value.key == "epsilon"

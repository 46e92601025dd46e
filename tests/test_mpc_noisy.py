"""Distributed noise for a differentially private MPC sum (simprive.mpc.noisy)."""

import math

import numpy as np
import pytest
from scipy import stats

from simprive.dp.gaussian import Gaussian
from simprive.mpc.noisy import (
    effective_epsilon,
    nb_difference_logpmf,
    nb_difference_logpmf_closed,
    noise_shares,
    noisy_sum,
)
from simprive.mpc.rings import PrimeField
from simprive.validation import ConfigError


def dlaplace_chisquare_p(sample, a):
    """Chi-square goodness of fit to scipy's dlaplace(a), central bins with expected
    count >= 20 and both tails pooled."""
    dist = stats.dlaplace(a)
    N = len(sample)
    K = 0
    while N * dist.pmf(K + 1) >= 20:
        K += 1
    ks = np.arange(-K, K + 1)
    observed = [np.sum(sample < -K), *(np.sum(sample == k) for k in ks), np.sum(sample > K)]
    expected = N * np.array([dist.cdf(-K - 1), *dist.pmf(ks), dist.sf(K)])
    return stats.chisquare(observed, expected).pvalue


# -- the noise shares -------------------------------------------------------------------------------------
@pytest.mark.parametrize("n, epsilon, sensitivity", [(1, 1.0, 1), (5, 0.5, 1), (10, 1.0, 2), (3, 2.0, 1),
                                                     (50, 0.3, 1)])
def test_discrete_laplace_shares_sum_to_discrete_laplace(n, epsilon, sensitivity):
    rng = np.random.default_rng(100 + n)
    shares = noise_shares(rng, 100000, n, epsilon, sensitivity=sensitivity)
    assert shares.shape == (100000, n) and np.issubdtype(shares.dtype, np.integer)
    assert dlaplace_chisquare_p(shares.sum(axis=1), epsilon / sensitivity) > 1e-3
    # each share carries 1/n of the variance 2α/(1−α)²
    alpha = math.exp(-epsilon / sensitivity)
    var = 2 * alpha / (1 - alpha) ** 2
    assert shares.var() == pytest.approx(var / n, rel=0.05)


def test_single_share_is_not_the_full_noise():
    """With n > 1 one share alone is far less spread than the full noise."""
    rng = np.random.default_rng(1)
    shares = noise_shares(rng, 100000, 5, 0.5)
    assert dlaplace_chisquare_p(shares[:, 0], 0.5) < 1e-10


@pytest.mark.parametrize("n, epsilon, delta, sensitivity", [(1, 1.0, 1e-6, 1.0), (4, 0.5, 1e-5, 1.0),
                                                            (10, 2.0, 1e-6, 3.0)])
def test_gaussian_shares_sum_to_gaussian(n, epsilon, delta, sensitivity):
    rng = np.random.default_rng(200 + n)
    sigma = Gaussian(epsilon=epsilon, delta=delta, sensitivity=sensitivity, analytic=True).scale
    shares = noise_shares(rng, 50000, n, epsilon, noise="gaussian", delta=delta, sensitivity=sensitivity)
    assert shares.shape == (50000, n)
    assert stats.kstest(shares.sum(axis=1), stats.norm(0, sigma).cdf).pvalue > 1e-3
    assert stats.kstest(shares[:, 0], stats.norm(0, sigma / math.sqrt(n)).cdf).pvalue > 1e-3


def test_noise_shares_size_tuple():
    assert noise_shares(np.random.default_rng(0), (3, 4), 5, 1.0).shape == (3, 4, 5)


# -- effective epsilon ------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 5, 10])
@pytest.mark.parametrize("epsilon", [0.1, 1.0, 3.0])
def test_effective_epsilon_without_colluders_is_epsilon(n, epsilon):
    assert effective_epsilon(n, 0, epsilon) == pytest.approx(epsilon, abs=1e-6)
    assert effective_epsilon(n, 0, epsilon, sensitivity=2) == pytest.approx(epsilon, abs=1e-6)


@pytest.mark.parametrize("noise", ["discrete_laplace", "gaussian"])
@pytest.mark.parametrize("n", [2, 5, 8])
def test_effective_epsilon_grows_with_colluders(noise, n):
    eps = [effective_epsilon(n, c, 1.0, noise=noise) for c in range(n + 1)]
    assert eps[0] == pytest.approx(1.0, rel=1e-6, abs=1e-6)
    assert all(a < b for a, b in zip(eps[:-1], eps[1:]))
    assert math.isfinite(eps[-2]) and eps[-1] == math.inf


@pytest.mark.parametrize("r", [0.05, 0.3, 1.0])
@pytest.mark.parametrize("alpha", [0.2, 0.6, 0.95])
def test_remaining_noise_pmf_by_convolution_equals_its_closed_form(r, alpha):
    ks = np.arange(0, 120)
    np.testing.assert_allclose(nb_difference_logpmf(r, alpha, ks), nb_difference_logpmf_closed(r, alpha, ks),
                               rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("noise", ["discrete_laplace", "gaussian"])
@pytest.mark.parametrize("colluders", [0, 3, 9])
def test_effective_epsilon_by_an_independent_route(noise, colluders):
    # discrete Laplace: the hypergeometric closed form; Gaussian: dp-accounting's PLD
    a = effective_epsilon(10, colluders, 1.0, noise=noise, sensitivity=2)
    b = effective_epsilon(10, colluders, 1.0, noise=noise, sensitivity=2, independent=True)
    assert a == pytest.approx(b, rel=1e-6 if noise == "discrete_laplace" else 2e-3)


def test_effective_epsilon_depends_on_the_honest_fraction():
    assert effective_epsilon(10, 2, 1.0) == pytest.approx(effective_epsilon(5, 1, 1.0), rel=1e-9)
    assert effective_epsilon(10, 5, 0.5, noise="gaussian") == pytest.approx(
        effective_epsilon(2, 1, 0.5, noise="gaussian"), rel=1e-9)


@pytest.mark.parametrize("epsilon, delta", [(0.5, 1e-6), (1.0, 1e-5), (2.0, 1e-6)])
def test_gaussian_effective_epsilon_without_colluders(epsilon, delta):
    assert effective_epsilon(6, 0, epsilon, noise="gaussian", delta=delta) == pytest.approx(epsilon, rel=1e-4)


@pytest.mark.parametrize("n, colluders, epsilon", [(4, 2, 1.0), (3, 1, 2.0)])
def test_effective_epsilon_matches_simulated_remaining_noise(n, colluders, epsilon):
    """Monte Carlo: the honest parties' noise, log P(0) − log P(1) (where the ratio peaks)."""
    rng = np.random.default_rng(300 + n)
    rest = noise_shares(rng, 400000, n, epsilon)[:, colluders:].sum(axis=1)
    p0, p1 = np.mean(rest == 0), np.mean(rest == 1)
    assert math.log(p0 / p1) == pytest.approx(effective_epsilon(n, colluders, epsilon), abs=0.03)


@pytest.mark.parametrize("n, colluders", [(3, 4), (1, 2), (5, -1)])
def test_effective_epsilon_bad_colluders(n, colluders):
    with pytest.raises(ConfigError) as err:
        effective_epsilon(n, colluders, 1.0)
    assert err.value.key == "adversary.colluders"


def test_effective_epsilon_bad_n_and_epsilon():
    with pytest.raises(ConfigError) as err:
        effective_epsilon(0, 0, 1.0)
    assert err.value.key == "n"
    for eps in (0.0, -1.0, float("nan")):
        with pytest.raises(ConfigError) as err:
            effective_epsilon(3, 1, eps)
        assert err.value.key == "epsilon"


# -- the noisy sum protocol ---------------------------------------------------------------------------------
@pytest.mark.parametrize("field", [PrimeField(), PrimeField(4294967291)], ids=lambda f: f.name)
@pytest.mark.parametrize("n", [2, 4, 7])
def test_noisy_sum_is_exact_sum_plus_the_shares(field, n):
    rng = np.random.default_rng(400 + n)
    x = rng.integers(-1000, 1000, (500, n))
    run, shares = noisy_sum(x, 1.0, rng, field=field)
    assert shares.shape == (500, n)
    np.testing.assert_array_equal(run.output, x.sum(axis=1) + shares.sum(axis=1))
    for j in (0, n - 1):
        v = run.view(j)
        np.testing.assert_array_equal(v["noise_share"], shares[:, j])
        np.testing.assert_array_equal(field.decode(v["input"]), x[:, j] + shares[:, j])  # its noised input
    L = run.ledger
    assert L.messages == 2 * n * (n - 1) and L.rounds == 2
    assert L.total_bytes == 2 * n * (n - 1) * field.element_bytes


def test_noisy_sum_gaussian_within_fixed_point_rounding():
    rng = np.random.default_rng(5)
    n = 5
    x = rng.integers(0, 100, (1000, n))
    run, shares = noisy_sum(x, 1.0, rng, noise="gaussian", delta=1e-6)
    assert np.all(np.abs(run.output - (x.sum(axis=1) + shares.sum(axis=1))) <= n * 2.0**-17 + 1e-9)
    assert not np.allclose(shares, np.round(shares))  # real-valued noise


def test_noisy_sum_distribution_of_the_error():
    rng = np.random.default_rng(6)
    x = rng.integers(0, 10, (100000, 4))
    run, _ = noisy_sum(x, 0.7, rng)
    assert dlaplace_chisquare_p(run.output - x.sum(axis=1), 0.7) > 1e-3


def test_noisy_sum_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(ConfigError) as err:
        noisy_sum(np.zeros((3, 4), int), 1.0, rng, noise="laplace")
    assert err.value.key == "mechanism.noise"
    with pytest.raises(ConfigError) as err:
        noisy_sum(np.zeros((3, 1), int), 1.0, rng)
    assert err.value.key == "n"
    with pytest.raises(ConfigError) as err:  # outside the small field's signed range
        noisy_sum(np.full((3, 2), 10**6), 1.0, rng, field=PrimeField(65537))
    assert err.value.key == "value"
    with pytest.raises(ConfigError) as err:
        noisy_sum(np.zeros((3, 4), int), 0.0, rng, noise="gaussian")
    assert err.value.key == "epsilon"


@pytest.mark.parametrize("epsilon", [0.0, -1.0])
def test_noisy_sum_discrete_laplace_bad_epsilon(epsilon):
    with pytest.raises(ConfigError) as err:
        noisy_sum(np.zeros((3, 4), int), epsilon, np.random.default_rng(0))
    assert err.value.key == "epsilon"

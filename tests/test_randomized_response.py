"""Randomized response: the article's coin-flip version and k-ary GRR (DESIGN §4).

(a) the coin flip is ε-RR with ε = ln 3 (p = 3/4, q = 1/4), in law as well as in numbers;
(b) the estimators are unbiased with the stated variances given the inputs;
(c) the per-individual path ``randomise`` and the sufficient-statistic path
    ``randomise_counts`` are equal in distribution, and single reports follow the
    transition matrix;
(d) the article's E[N/n] = p/2 + 1/4.

Everything random is seeded (deterministic).  Means and variances of the estimates over
many trials are compared with the closed forms within ``Z`` standard errors; the standard
error of a sample variance uses the exact fourth central moment of the estimate (the
report count is a sum of independent binomials, whose cumulants add).
"""

import math

import numpy as np
import pytest
from scipy import stats

from simprive.dp import CoinFlipResponse, RandomizedResponse
from simprive.validation import ConfigError

Z = 5.0
P_MIN = 1e-3
LN3 = math.log(3)


# ----------------------------------------------------------------------------- helpers


def assert_close_in_se(observed, expected, se, z=Z):
    assert abs(observed - expected) <= z * se, (
        f"observed {observed!r} vs expected {expected!r}: {abs(observed - expected) / se:.2f} SE"
    )


def counts_of(reports, k):
    """(T, n) reports in [0, k) → (T, k) table of counts per trial, without a Python loop."""
    T = reports.shape[0]
    flat = (reports + k * np.arange(T)[:, None]).ravel()
    return np.bincount(flat, minlength=T * k).reshape(T, k)


def binomial_sum_cumulants(terms):
    """κ2, κ4 of a sum of independent Bin(m, π) for (m, π) in ``terms``."""
    k2 = sum(m * p * (1 - p) for m, p in terms)
    k4 = sum(m * p * (1 - p) * (1 - 6 * p * (1 - p)) for m, p in terms)
    return k2, k4


def estimate_moments(mech, true_counts, j):
    """Exact variance and 4th central moment of the estimate of category j given the inputs:
    N_j = Bin(n_j, p) + Bin(n − n_j, q), estimate = (N_j/n − q)/(p − q)."""
    n = int(np.sum(true_counts))
    nj = int(true_counts[j])
    k2, k4 = binomial_sum_cumulants([(nj, mech.p), (n - nj, mech.q)])
    c = 1 / (n * (mech.p - mech.q))
    return c**2 * k2, c**4 * (k4 + 3 * k2**2)


def assert_mean_and_variance_agree(x, mean, var, mu4):
    """Sample mean within Z·√(var/T); sample variance within Z standard errors of s²,
    Var(s²) = (μ4 − σ⁴(T−3)/(T−1))/T."""
    T = x.size
    assert_close_in_se(x.mean(), mean, math.sqrt(var / T))
    se_s2 = math.sqrt((mu4 - var**2 * (T - 3) / (T - 1)) / T)
    assert_close_in_se(x.var(ddof=1), var, se_s2)


def two_sample_chi2(a, b, bins=20):
    """Chi-square test of homogeneity of two integer samples, bins cut at quantiles of the
    pooled sample (so no bin is nearly empty); returns the chi2_contingency result."""
    both = np.concatenate([a, b])
    inner = np.unique(np.quantile(both, np.linspace(0, 1, bins + 1)[1:-1], method="lower"))
    edges = np.concatenate([[-np.inf], inner + 0.5, [np.inf]])
    table = np.vstack([np.histogram(a, edges)[0], np.histogram(b, edges)[0]])
    table = table[:, table.sum(axis=0) > 0]
    result = stats.chi2_contingency(table)
    assert result.expected_freq.min() >= 5, table
    return result


# ----------------------------------------------------------------------------- (a) parameters


def test_rr_ln3_binary_has_p_three_quarters_q_one_quarter():
    rr = RandomizedResponse(epsilon=LN3, k=2)
    assert rr.p == pytest.approx(0.75, rel=1e-15)
    assert rr.q == pytest.approx(0.25, rel=1e-15)
    np.testing.assert_allclose(rr.transition(), [[0.75, 0.25], [0.25, 0.75]], rtol=1e-15)


def test_coin_flip_is_rr_with_epsilon_ln3():
    coin, rr = CoinFlipResponse(), RandomizedResponse(epsilon=LN3, k=2)
    assert coin.epsilon == pytest.approx(LN3, rel=1e-15)
    assert coin.k == 2
    np.testing.assert_allclose(coin.transition(), rr.transition(), rtol=1e-15)


@pytest.mark.parametrize("epsilon,k", [(0.5, 2), (1.0, 3), (2.0, 4), (LN3, 2), (4.0, 10)])
def test_grr_probabilities(epsilon, k):
    rr = RandomizedResponse(epsilon=epsilon, k=k)
    e = math.exp(epsilon)
    assert rr.p == pytest.approx(e / (e + k - 1), rel=1e-14)
    assert rr.q == pytest.approx(1 / (e + k - 1), rel=1e-14)
    P = rr.transition()
    assert P.shape == (k, k)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(np.diag(P), rr.p, rtol=1e-15)


@pytest.mark.parametrize("epsilon,k", [(0.5, 2), (1.0, 3), (2.0, 4), (LN3, 2), (4.0, 10)])
def test_grr_is_epsilon_ldp(epsilon, k):
    """max over reports r and answers v, v' of P(r|v)/P(r|v') is exactly e^ε."""
    P = RandomizedResponse(epsilon=epsilon, k=k).transition()
    ratios = P[:, None, :] / P[None, :, :]
    assert ratios.max() == pytest.approx(math.exp(epsilon), rel=1e-12)


@pytest.mark.parametrize("seed,value", [(11, 0), (12, 1)])
def test_coin_flip_reports_have_the_law_of_ln3_rr(seed, value):
    """The coin algorithm and ε-RR at ln 3 give the same report law for each answer
    (chi-square test of homogeneity on the 2 × 2 table)."""
    M = 200_000
    values = np.full(M, value)
    coin = CoinFlipResponse().randomise(values, np.random.default_rng(seed))
    rr = RandomizedResponse(epsilon=LN3, k=2).randomise(values, np.random.default_rng(seed + 100))
    table = np.vstack([np.bincount(coin, minlength=2), np.bincount(rr, minlength=2)])
    result = stats.chi2_contingency(table)
    assert result.pvalue > P_MIN, (table, result)


# ----------------------------------------------------------------------------- (b) estimators


def test_coin_flip_estimate_is_two_n_over_n_minus_half():
    coin = CoinFlipResponse()
    reported = np.array([[40, 60], [25, 75], [75, 25], [50, 50]])
    np.testing.assert_allclose(coin.estimate(reported, 100), 2 * reported / 100 - 0.5, rtol=1e-15)
    np.testing.assert_allclose(coin.estimate(reported, 100)[:, 1], [0.7, 1.0, 0.0, 0.5], atol=1e-15)


def test_coin_flip_estimate_equals_the_general_rr_estimate():
    reported = np.random.default_rng(13).integers(0, 101, size=(50, 1)) * np.array([1, -1]) + [0, 100]
    np.testing.assert_allclose(
        CoinFlipResponse().estimate(reported, 100),
        RandomizedResponse(epsilon=LN3, k=2).estimate(reported, 100),
        rtol=1e-12, atol=1e-14,
    )


@pytest.mark.parametrize("f", [0.0, 0.3, 0.5, 1.0])
def test_coin_flip_variance_is_three_over_four_n(f):
    for n in (1, 10, 1000):
        assert CoinFlipResponse().variance(f, n) == pytest.approx(3 / (4 * n), rel=1e-12)


@pytest.mark.parametrize("seed,n,ones", [(21, 100, 30), (22, 40, 40), (23, 1000, 0)])
def test_coin_flip_estimate_is_unbiased_with_variance_three_over_four_n(seed, n, ones):
    """Over 200 000 trials (fast path) the estimate's mean is the true fraction and its
    variance 3/(4n), given the inputs."""
    T = 200_000
    coin = CoinFlipResponse()
    true = np.tile([n - ones, ones], (T, 1))
    p_hat = coin.estimate(coin.randomise_counts(true, np.random.default_rng(seed)), n)[:, 1]
    var, mu4 = estimate_moments(coin, true[0], 1)
    assert var == pytest.approx(3 / (4 * n), rel=1e-12)
    assert_mean_and_variance_agree(p_hat, ones / n, var, mu4)


def test_coin_flip_estimate_is_unbiased_on_the_per_individual_path():
    """Same check with the article's coins flipped for each of n individuals."""
    T, n, ones = 20_000, 100, 37
    coin = CoinFlipResponse()
    values = np.zeros((T, n), dtype=np.int64)
    values[:, :ones] = 1
    reports = coin.randomise(values, np.random.default_rng(24))
    p_hat = coin.estimate(reports.sum(axis=1), n)
    var, mu4 = estimate_moments(coin, [n - ones, ones], 1)
    assert_mean_and_variance_agree(p_hat, ones / n, var, mu4)


@pytest.mark.parametrize("epsilon", [0.1, 0.5, 1.0, 3.0])
@pytest.mark.parametrize("f", [0.0, 0.25, 0.9])
def test_binary_rr_variance_formula(epsilon, f):
    """k = 2: Var = π(1−π)/(n(2π−1)²), π = e^ε/(1+e^ε), whatever f."""
    pi = math.exp(epsilon) / (1 + math.exp(epsilon))
    n = 250
    assert RandomizedResponse(epsilon=epsilon, k=2).variance(f, n) == pytest.approx(
        pi * (1 - pi) / (n * (2 * pi - 1) ** 2), rel=1e-12
    )


def test_binary_rr_estimate_is_unbiased_with_its_variance():
    T, n, ones, epsilon = 200_000, 200, 70, 1.0
    rr = RandomizedResponse(epsilon=epsilon, k=2)
    pi = math.exp(epsilon) / (1 + math.exp(epsilon))
    true = np.tile([n - ones, ones], (T, 1))
    est = rr.estimate(rr.randomise_counts(true, np.random.default_rng(25)), n)
    # the binary estimator in the form of DESIGN §4: (N/n − (1−π))/(2π−1)
    reported_ones = (est[:, 1] * (rr.p - rr.q) + rr.q) * n
    np.testing.assert_allclose(est[:, 1], (reported_ones / n - (1 - pi)) / (2 * pi - 1), atol=1e-12)
    var, mu4 = estimate_moments(rr, true[0], 1)
    assert var == pytest.approx(pi * (1 - pi) / (n * (2 * pi - 1) ** 2), rel=1e-12)
    assert_mean_and_variance_agree(est[:, 1], ones / n, var, mu4)
    assert_mean_and_variance_agree(est[:, 0], 1 - ones / n, *estimate_moments(rr, true[0], 0))


@pytest.mark.parametrize("epsilon,k", [(1.5, 4), (0.5, 3), (3.0, 8)])
def test_grr_variance_formula_matches_binomial_derivation(epsilon, k):
    """q(1−q)/(n(p−q)²) + f(1−p−q)/(n(p−q)) equals the variance derived from
    N_j = Bin(nf, p) + Bin(n(1−f), q)."""
    rr = RandomizedResponse(epsilon=epsilon, k=k)
    p, q, n = rr.p, rr.q, 120
    for nj in (0, 12, 60, 120):
        f = nj / n
        derived = (nj * p * (1 - p) + (n - nj) * q * (1 - q)) / (n * (p - q)) ** 2
        formula = q * (1 - q) / (n * (p - q) ** 2) + f * (1 - p - q) / (n * (p - q))
        assert rr.variance(f, n) == pytest.approx(formula, rel=1e-12)
        assert rr.variance(f, n) == pytest.approx(derived, rel=1e-12)


@pytest.mark.parametrize("seed,epsilon,true", [(26, 1.5, [60, 30, 20, 10]), (27, 0.5, [5, 0, 95])])
def test_grr_estimates_are_unbiased_with_their_variance(seed, epsilon, true):
    T = 200_000
    k, n = len(true), sum(true)
    rr = RandomizedResponse(epsilon=epsilon, k=k)
    est = rr.estimate(rr.randomise_counts(np.tile(true, (T, 1)), np.random.default_rng(seed)), n)
    for j in range(k):
        var, mu4 = estimate_moments(rr, true, j)
        assert var == pytest.approx(rr.variance(true[j] / n, n), rel=1e-12)
        assert_mean_and_variance_agree(est[:, j], true[j] / n, var, mu4)


# ----------------------------------------------------------------------------- (c) two paths

PATHS = [  # (seed, epsilon, true counts)
    (31, LN3, [35, 25]),
    (32, 1.0, [60, 0]),
    (33, 1.5, [30, 15, 10, 5]),
    (34, 0.5, [0, 20, 20, 20]),
]


@pytest.mark.parametrize("seed,epsilon,true", PATHS)
def test_rr_randomise_and_randomise_counts_are_equal_in_distribution(seed, epsilon, true):
    """Count the per-individual reports in each of T trials and compare with the fast path:
    chi-square homogeneity of every category's count and of N_0 − N_1 (a joint feature)."""
    T = 20_000
    k = len(true)
    rr = RandomizedResponse(epsilon=epsilon, k=k)
    values = np.tile(np.repeat(np.arange(k), true), (T, 1))
    slow = counts_of(rr.randomise(values, np.random.default_rng(seed)), k)
    fast = rr.randomise_counts(np.tile(true, (T, 1)), np.random.default_rng(seed + 1000))
    assert slow.shape == fast.shape == (T, k)
    features = [slow[:, j] for j in range(k)] + [slow[:, 0] - slow[:, 1]]
    fast_features = [fast[:, j] for j in range(k)] + [fast[:, 0] - fast[:, 1]]
    for i, (a, b) in enumerate(zip(features, fast_features)):
        result = two_sample_chi2(a, b)
        assert result.pvalue > P_MIN, (i, result)
        assert stats.ks_2samp(a, b).pvalue > P_MIN, i


def test_rr_two_path_comparison_detects_a_ten_percent_error_in_epsilon():
    """The comparison above has power: ε off by 10% on one path is rejected."""
    T, true = 20_000, [30, 15, 10, 5]
    values = np.tile(np.repeat(np.arange(4), true), (T, 1))
    slow = counts_of(RandomizedResponse(epsilon=1.5, k=4).randomise(values, np.random.default_rng(38)), 4)
    fast = RandomizedResponse(epsilon=1.65, k=4).randomise_counts(np.tile(true, (T, 1)), np.random.default_rng(39))
    assert min(two_sample_chi2(slow[:, j], fast[:, j]).pvalue for j in range(4)) < P_MIN


def test_coin_flip_randomise_and_randomise_counts_are_equal_in_distribution():
    T, n, ones = 20_000, 80, 50
    coin = CoinFlipResponse()
    values = np.tile(np.repeat([0, 1], [n - ones, ones]), (T, 1))
    slow = coin.randomise(values, np.random.default_rng(35)).sum(axis=1)
    fast = coin.randomise_counts(np.tile([n - ones, ones], (T, 1)), np.random.default_rng(36))[:, 1]
    result = two_sample_chi2(slow, fast)
    assert result.pvalue > P_MIN, result
    # and both are Bin(ones, 3/4) + Bin(n − ones, 1/4): mean and variance
    var = ones * 3 / 16 + (n - ones) * 3 / 16
    assert_close_in_se(slow.mean(), 0.75 * ones + 0.25 * (n - ones), math.sqrt(var / T))
    assert_close_in_se(fast.mean(), 0.75 * ones + 0.25 * (n - ones), math.sqrt(var / T))


def test_rr_fast_path_uses_the_sufficient_statistic_law():
    """The fast path's count of reported 1s is Bin(n1, p) + Bin(n0, q): its pmf, computed by
    convolution, fits the simulated counts (chi-square, tails pooled)."""
    T, n0, n1 = 200_000, 40, 25
    rr = RandomizedResponse(epsilon=1.0, k=2)
    ones = rr.randomise_counts(np.tile([n0, n1], (T, 1)), np.random.default_rng(37))[:, 1]
    pmf = np.convolve(stats.binom(n1, rr.p).pmf(np.arange(n1 + 1)), stats.binom(n0, rr.q).pmf(np.arange(n0 + 1)))
    expected = pmf * T
    keep = np.flatnonzero(expected >= 5)
    lo, hi = keep[0], keep[-1]
    observed = np.bincount(ones, minlength=pmf.size)
    obs = np.concatenate([[observed[: lo + 1].sum()], observed[lo + 1 : hi], [observed[hi:].sum()]])
    exp = np.concatenate([[expected[: lo + 1].sum()], expected[lo + 1 : hi], [expected[hi:].sum()]])
    result = stats.chisquare(obs, exp * T / exp.sum())
    assert result.pvalue > P_MIN, result


@pytest.mark.parametrize("seed,epsilon,k", [(41, LN3, 2), (42, 1.0, 2), (43, 1.5, 4), (44, 0.3, 4)])
def test_rr_single_reports_follow_the_transition_matrix(seed, epsilon, k):
    """P(report r | true v) = P[v, r]: one chi-square goodness of fit per true answer v."""
    M = 100_000
    rr = RandomizedResponse(epsilon=epsilon, k=k)
    values = np.repeat(np.arange(k), M)
    reports = rr.randomise(values, np.random.default_rng(seed))
    assert reports.shape == values.shape
    assert reports.min() >= 0 and reports.max() < k
    P = rr.transition()
    for v in range(k):
        observed = np.bincount(reports[values == v], minlength=k)
        result = stats.chisquare(observed, M * P[v])
        assert result.pvalue > P_MIN, (v, observed, result)


@pytest.mark.parametrize("seed,value", [(45, 0), (46, 1)])
def test_coin_flip_single_reports_follow_three_quarters_one_quarter(seed, value):
    M = 200_000
    reports = CoinFlipResponse().randomise(np.full(M, value), np.random.default_rng(seed))
    observed = np.bincount(reports, minlength=2)
    expected = M * np.array([[0.75, 0.25], [0.25, 0.75]])[value]
    assert stats.chisquare(observed, expected).pvalue > P_MIN


def test_rr_fast_path_keeps_every_respondent():
    rng = np.random.default_rng(47)
    true = rng.integers(0, 50, size=(1000, 5))
    out = RandomizedResponse(epsilon=1.0, k=5).randomise_counts(true, rng)
    assert out.shape == true.shape and out.dtype.kind == "i"
    assert out.min() >= 0
    np.testing.assert_array_equal(out.sum(axis=1), true.sum(axis=1))


def test_rr_per_individual_path_keeps_shape():
    values = np.random.default_rng(48).integers(0, 3, size=(7, 11, 2))
    out = RandomizedResponse(epsilon=1.0, k=3).randomise(values, np.random.default_rng(49))
    assert out.shape == values.shape
    assert set(np.unique(out)) <= {0, 1, 2}


# ----------------------------------------------------------------------------- (d) the article


@pytest.mark.parametrize("p", [0.0, 0.25, 0.5, 0.8, 1.0])
def test_coin_flip_expected_fraction_of_ones_is_p_over_two_plus_quarter(p):
    """E[N/n] = p/2 + 1/4 with the article's coins; each report has variance 3/16 whatever
    the answer, so SE = √(3/(16 n T))."""
    T, n = 10_000, 100
    ones = round(p * n)
    values = np.zeros((T, n), dtype=np.int64)
    values[:, :ones] = 1
    frac = CoinFlipResponse().randomise(values, np.random.default_rng(51 + int(100 * p))).mean(axis=1)
    assert_close_in_se(frac.mean(), p / 2 + 0.25, math.sqrt(3 / (16 * n * T)))


def test_coin_flip_against_a_population_p_has_variance_4q_one_minus_q_over_n():
    """With iid Bernoulli(p) inputs, p̂ estimates the population p with Var = 4q(1−q)/n,
    q = p/2 + 1/4 (each report is then Bernoulli(q))."""
    T, n, p = 20_000, 100, 0.3
    q = p / 2 + 0.25
    rng = np.random.default_rng(52)
    values = (rng.random((T, n)) < p).astype(np.int64)
    p_hat = CoinFlipResponse().estimate(CoinFlipResponse().randomise(values, rng).sum(axis=1), n)
    k2, k4 = binomial_sum_cumulants([(n, q)])
    c = 2 / n
    var, mu4 = c**2 * k2, c**4 * (k4 + 3 * k2**2)
    assert var == pytest.approx(4 * q * (1 - q) / n, rel=1e-12)
    assert_mean_and_variance_agree(p_hat, p, var, mu4)


# ----------------------------------------------------------------------------- parameters


@pytest.mark.parametrize("k", [1, 0, 2.5, True, "3"])
def test_rr_rejects_invalid_k(k):
    with pytest.raises(ConfigError) as err:
        RandomizedResponse(epsilon=1.0, k=k)
    assert err.value.key == "mechanism.k"


@pytest.mark.parametrize("epsilon", [0, -1.0, math.nan, math.inf, True])
def test_rr_rejects_invalid_epsilon(epsilon):
    with pytest.raises(ConfigError) as err:
        RandomizedResponse(epsilon=epsilon, k=2)
    assert err.value.key == "epsilon"


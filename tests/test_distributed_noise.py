"""Distributed DP noise shares and their accounting (simprive.dp.distributed).

Random checks are seeded (deterministic).  Laws are checked with a chi-square goodness of
fit against the exact pmf, the outermost bins with expected count >= 5 holding the pooled
tails, at p > 1e-6; moments within ``Z`` standard errors of the statistic, its variance
from the exact pmf (or the sample) and the sample count.  The RDP bounds are written out
here again, from the papers' formulas as the authors' code has them, so the module is
checked against an independent transcription, not against itself.
"""

import dataclasses
import itertools
import math

import numpy as np
import pytest
from dp_accounting.rdp import compute_epsilon
from scipy import stats

from simprive.dp.distributed import (
    ORDERS,
    DistributedNoise,
    discrete_gaussian,
    discrete_gaussian_logpmf,
    discrete_gaussian_variance,
)
from simprive.mpc.noisy import effective_epsilon
from simprive.validation import ConfigError

N = 200_000
Z = 5.0
P_MIN = 1e-6


def pooled_chisquare(samples, ks, pmf, min_expected=5.0):
    """Chi-square of integer ``samples`` against ``pmf`` on the contiguous integers ``ks``
    (which hold all but a negligible mass): one bin per k between the outermost ks with an
    expected count >= ``min_expected``, those two bins also holding the tails beyond."""
    n = samples.size
    inside = np.flatnonzero(n * pmf >= min_expected)
    lo, hi = inside[0], inside[-1]
    expected = np.concatenate([[pmf[: lo + 1].sum()], pmf[lo + 1: hi], [pmf[hi:].sum()]]) * n
    observed = np.bincount(np.clip(samples, ks[lo], ks[hi]) - ks[lo], minlength=hi - lo + 1)
    assert observed.sum() == n and expected.min() >= min_expected and len(expected) >= 2
    expected *= n / expected.sum()  # the mass beyond ks (below 1e-30) and float rounding
    return stats.chisquare(observed, expected)


def dgauss_pmf(sigma):
    """The discrete Gaussian's exact pmf, P(k) ∝ exp(−k²/2σ²), on a support holding all but e^−112."""
    K = math.ceil(15 * sigma + 15)
    ks = np.arange(-K, K + 1)
    w = np.exp(-(ks.astype(float) ** 2) / (2 * sigma**2))
    return ks, w / w.sum()


def table(law, sd):
    """``law``'s pmf on ±(12 sd + 20)."""
    K = math.ceil(12 * sd + 20)
    ks = np.arange(-K, K + 1)
    return ks, law.pmf(ks)


# ----------------------------------------------------------------------------- the discrete Gaussian


@pytest.mark.parametrize("seed, sigma", [(1, 0.3), (2, 1.0), (3, 4.5), (4, 50.0)])
def test_discrete_gaussian_sampler_matches_its_pmf_and_variance(seed, sigma):
    x = discrete_gaussian(np.random.default_rng(seed), sigma, N)
    assert x.shape == (N,) and x.dtype == np.int64
    ks, pmf = dgauss_pmf(sigma)
    assert pooled_chisquare(x, ks, pmf).pvalue > P_MIN
    # E[x²] (the mean is 0 by symmetry) within Z standard errors of the exact variance
    var, m4 = np.sum(ks**2 * pmf), np.sum(ks.astype(float) ** 4 * pmf)
    assert var == pytest.approx(discrete_gaussian_variance(sigma), rel=1e-12)
    se = math.sqrt((m4 - var**2) / N)
    assert abs(np.mean(x.astype(float) ** 2) - var) <= Z * se


def test_discrete_gaussian_keeps_the_requested_shape():
    x = discrete_gaussian(np.random.default_rng(5), 2.0, (3, 4, 5))
    assert x.shape == (3, 4, 5) and x.dtype == np.int64
    assert discrete_gaussian(np.random.default_rng(5), 2.0, 0).shape == (0,)


@pytest.mark.parametrize("sigma", [3.0, 4.5, 50.0, 1e3, 1e5])
def test_discrete_gaussian_variance_is_sigma_squared_from_sigma_3(sigma):
    assert discrete_gaussian_variance(sigma) == pytest.approx(sigma**2, rel=1e-6)


@pytest.mark.parametrize("sigma", [0.2, 0.3, 0.5, 1.0, 2.0])
def test_discrete_gaussian_variance_matches_poisson_summation(sigma):
    """An independent route: Var = σ² (1 + 2Σ(1 − 4π²σ²m²)e^{−2π²σ²m²}) / (1 + 2Σ e^{−2π²σ²m²})."""
    m = np.arange(1, 60)
    e = np.exp(-2 * math.pi**2 * sigma**2 * m**2)
    dual = sigma**2 * (1 + 2 * np.sum((1 - 4 * math.pi**2 * sigma**2 * m**2) * e)) / (1 + 2 * np.sum(e))
    assert discrete_gaussian_variance(sigma) == pytest.approx(dual, rel=1e-12)
    if sigma <= 1:  # beyond, the gap 8π²σ²e^{−2π²σ²} is below float64's resolution
        assert discrete_gaussian_variance(sigma) < sigma**2


@pytest.mark.parametrize("sigma", [0.3, 1.0, 4.5, 50.0])
def test_discrete_gaussian_logpmf_is_the_normalised_pmf(sigma):
    ks, pmf = dgauss_pmf(sigma)
    np.testing.assert_allclose(np.exp(discrete_gaussian_logpmf(sigma, ks)), pmf, rtol=1e-12, atol=1e-300)


# ----------------------------------------------------------------------------- shares and their sums


@pytest.mark.parametrize("seed, s, lam", [(11, 7, 0.3), (12, 7, 20.0), (13, 2, 1.5)])
def test_skellam_shares_sum_to_skellam(seed, s, lam):
    noise = DistributedNoise(kind="skellam", n=10, scale=lam, delta=1e-5)
    shares = noise.shares(np.random.default_rng(seed), (N, s))
    assert shares.shape == (N, s) and shares.dtype == np.int64
    law = stats.skellam(s * lam, s * lam)
    ks, pmf = table(law, math.sqrt(2 * s * lam))
    assert pooled_chisquare(shares.sum(axis=1), ks, pmf).pvalue > P_MIN


@pytest.mark.parametrize("seed, n, epsilon, l1", [(21, 5, 1.0, 1), (22, 10, 0.5, 2), (23, 3, 2.0, 1)])
def test_polya_shares_of_all_clients_sum_to_discrete_laplace(seed, n, epsilon, l1):
    noise = DistributedNoise.calibrate("polya", n=n, epsilon=epsilon, delta=1e-5, l1=l1)
    shares = noise.shares(np.random.default_rng(seed), (N, n))
    assert shares.dtype == np.int64
    law = stats.dlaplace(epsilon / l1)
    ks, pmf = table(law, law.std())
    assert pooled_chisquare(shares.sum(axis=1), ks, pmf).pvalue > P_MIN


@pytest.mark.parametrize("seed, noise", [
    (31, DistributedNoise(kind="dgauss", n=4, scale=0.7, delta=1e-5)),
    (32, DistributedNoise(kind="skellam", n=4, scale=1.3, delta=1e-5)),
    (33, DistributedNoise(kind="polya", n=5, scale=0.5, l1=2)),
])
def test_share_variance_is_the_variance_of_one_share(seed, noise):
    x = noise.shares(np.random.default_rng(seed), N).astype(float)
    sq = x**2
    assert abs(sq.mean() - noise.share_variance()) <= Z * sq.std() / math.sqrt(N)


def test_share_variance_closed_forms():
    assert DistributedNoise(kind="skellam", n=3, scale=2.5, delta=1e-5).share_variance() == 5.0
    polya = DistributedNoise(kind="polya", n=8, scale=0.7, l1=2)
    assert 8 * polya.share_variance() == pytest.approx(stats.dlaplace(0.35).var(), rel=1e-10)
    assert DistributedNoise(kind="dgauss", n=3, scale=0.4, delta=1e-5).share_variance() == \
        discrete_gaussian_variance(0.4)


def test_no_noise_gives_zero_shares_and_infinite_epsilon():
    noise = DistributedNoise.calibrate("none", n=5, epsilon=1.0, delta=1e-5)
    assert noise.scale == 0.0 and noise.share_variance() == 0.0
    shares = noise.shares(np.random.default_rng(0), (4, 3))
    assert shares.shape == (4, 3) and shares.dtype == np.int64 and not shares.any()
    assert noise.epsilon_for(5) == math.inf and np.all(np.isinf(noise.rdp(5)))


# ----------------------------------------------------------------------------- the RDP bounds, transcribed


def tau(s, sigma):
    """Kairouz, Liu & Steinke (2021): τ = 10 Σ_{k=1}^{s−1} exp(−2π²σ² k/(k+1))."""
    return 10 * math.fsum(math.exp(-2 * math.pi**2 * sigma**2 * k / (k + 1)) for k in range(1, s))


def ddg_rdp(a, s, sigma, l1, l2, d, t=None):
    """Prop. 14, the minimum of its three terms, with the central scale √s σ (``t``: τ(s), if known)."""
    t = tau(s, sigma) if t is None else t
    b1, b2 = l1 / (math.sqrt(s) * sigma), l2 / (math.sqrt(s) * sigma)
    return min(a / 2 * b2**2 + t * d, a / 2 * (b2**2 + 2 * b1 * t + t**2 * d), a / 2 * (b2 + math.sqrt(d) * t) ** 2)


def ddg_rdp_fewer(orders, s, sigma, l1, l2, d):
    """At each order, the least Prop. 14 bound over s' = 1 … s shares: the sum of s shares is
    that of s' plus independent noise (post-processing)."""
    best = [math.inf] * len(orders)
    for fewer in range(1, s + 1):
        t = tau(fewer, sigma)
        best = [min(b, ddg_rdp(a, fewer, sigma, l1, l2, d, t)) for a, b in zip(orders, best)]
    return best


def skellam_rdp(a, l1, l2, mu):
    """Agarwal, Kairouz & Liu (2021), μ the total variance, integer α."""
    return a * l2**2 / (2 * mu) + min(((2 * a - 1) * l2**2 + 6 * l1) / (4 * mu**2), 3 * l1 / (2 * mu))


def rdp_to_epsilon(orders, rdp, delta):
    """ε = min_α r(α) + log((α − 1)/α) − (log δ + log α)/(α − 1) (Canonne, Kamath & Steinke 2020, Prop. 12)."""
    return min(r + math.log((a - 1) / a) - (math.log(delta) + math.log(a)) / (a - 1) for a, r in zip(orders, rdp))


DGAUSS_CASES = [  # (n, survivors, σ, Δ1, Δ2, d, δ)
    (100, 100, 10.0, 1, 1, 1, 1e-5),
    (100, 100, 0.5, 1, 1, 1, 1e-5),  # τ ≈ 9.7 dominates
    (100, 50, 0.5, 1, 1, 1, 1e-5),
    (50, 30, 3.0, 8, 2, 16, 1e-6),
    (20, 20, 0.6, 8, 2, 16, 1e-5),  # τ matters, with d = 16
    (1000, 700, 40.0, 4, 2, 4, 1e-7),
]
SKELLAM_CASES = [  # (n, survivors, λ, Δ1, Δ2, d, δ)
    (100, 100, 50.0, 1, 1, 1, 1e-5),
    (100, 40, 0.2, 1, 1, 1, 1e-5),
    (30, 30, 2.0, 8, 2, 16, 1e-6),
    (1000, 999, 0.5, 4, 2, 4, 1e-7),
]


@pytest.mark.parametrize("n, s, sigma, l1, l2, d, delta", DGAUSS_CASES)
def test_dgauss_epsilon_follows_the_papers_formulas(n, s, sigma, l1, l2, d, delta):
    noise = DistributedNoise("dgauss", n, sigma, delta, l1, l2, d)
    rdp = ddg_rdp_fewer(ORDERS, s, sigma, l1, l2, d)
    np.testing.assert_allclose(noise.rdp(s, ORDERS), rdp, rtol=1e-12)
    expected = rdp_to_epsilon(ORDERS, rdp, delta)
    assert expected > 0 and noise.epsilon_for(s) == pytest.approx(expected, rel=1e-9)
    at_s = rdp_to_epsilon(ORDERS, [ddg_rdp(a, s, sigma, l1, l2, d) for a in ORDERS], delta)
    if tau(s, sigma) == 0:  # no inflation: the bound falls with s', and s is the least
        assert expected == pytest.approx(at_s, rel=1e-12)
    if sigma <= 0.6:  # the inflation term matters, and fewer shares give a tighter bound
        assert tau(s, sigma) > 0.1 and expected < at_s


def test_dgauss_bound_over_many_clients_uses_the_best_count_of_shares():
    """s = 1500 > 512: the module tries s' on a grid there, every s' below; its bound lies
    between the least over every s' and the bound at s, and here the best s' is below 512."""
    s, sigma, delta = 1500, 0.6, 1e-5
    noise = DistributedNoise("dgauss", s, sigma, delta)
    orders = ORDERS[::8]
    best = rdp_to_epsilon(orders, ddg_rdp_fewer(orders, s, sigma, 1, 1, 1), delta)
    at_s = rdp_to_epsilon(orders, [ddg_rdp(a, s, sigma, 1, 1, 1) for a in orders], delta)
    got = rdp_to_epsilon(orders, noise.rdp(s, orders), delta)
    assert got == pytest.approx(best, rel=1e-9) and got < at_s / 2


def test_dgauss_epsilon_never_falls_as_clients_drop():
    """With σ ≈ 0.66 and 1000 clients, Prop. 14 at s alone gives a smaller ε for 500 shares than for
    1000 (τ grows with s); the least bound over fewer shares keeps ε(s) non-increasing in s."""
    noise = DistributedNoise.calibrate("dgauss", n=1000, epsilon=1.0, delta=1e-5)
    eps = noise.epsilon_for(np.arange(1, 1001))
    assert np.all(np.diff(eps) <= 1e-12) and eps[499] >= eps[-1]
    raw = {s: rdp_to_epsilon(ORDERS, [ddg_rdp(a, s, noise.scale, 1, 1, 1) for a in ORDERS], 1e-5) for s in (500, 1000)}
    assert raw[500] < raw[1000] / 1.5  # the bound at s alone would have ε fall as clients drop


@pytest.mark.parametrize("n, s, lam, l1, l2, d, delta", SKELLAM_CASES)
def test_skellam_epsilon_follows_the_papers_formulas(n, s, lam, l1, l2, d, delta):
    noise = DistributedNoise("skellam", n, lam, delta, l1, l2, d)
    rdp = [skellam_rdp(a, l1, l2, s * 2 * lam) for a in ORDERS]
    np.testing.assert_allclose(noise.rdp(s, ORDERS), rdp, rtol=1e-12)
    expected = rdp_to_epsilon(ORDERS, rdp, delta)
    assert expected > 0 and noise.epsilon_for(s) == pytest.approx(expected, rel=1e-9)


def test_orders_are_integers_above_one_reaching_large_orders():
    assert all(isinstance(a, int) for a in ORDERS) and ORDERS[0] == 2 and list(ORDERS) == sorted(set(ORDERS))
    assert set(range(2, 257)) <= set(ORDERS) and ORDERS[-1] >= 4096


@pytest.mark.parametrize("kind", ["dgauss", "skellam"])
@pytest.mark.parametrize("sigma", [0.5, 10.0, 1000.0])
@pytest.mark.parametrize("s", [2, 100, 10_000])
def test_optimal_order_is_inside_the_grid(kind, sigma, s):
    """Neither the smallest nor the largest order is optimal (δ = 1e-5, Δ = 1): the grid is wide enough."""
    scale = sigma if kind == "dgauss" else sigma**2 / 2  # the same per-client variance
    noise = DistributedNoise(kind=kind, n=s, scale=scale, delta=1e-5)
    _, order = compute_epsilon(ORDERS, noise.rdp(s), 1e-5)
    assert ORDERS[0] < order < ORDERS[-1]


def test_polya_rdp_is_the_pure_dp_bound():
    noise = DistributedNoise(kind="polya", n=6, scale=1.0)
    eps = noise.epsilon_for(4)
    orders = np.array([2.0, 3.0, 10.0])
    np.testing.assert_allclose(noise.rdp(4, orders), np.minimum(eps, orders * eps**2 / 2))


# ----------------------------------------------------------------------------- ε of the survivors' sum


def nb_difference_pmf(r, alpha, ks):
    """P(G1 − G2 = k), G1, G2 iid NegBin(r, 1 − α), by the convolution Σ_j f(j + |k|) f(j)."""
    f = stats.nbinom(r, 1 - alpha).pmf(np.arange(4000))
    return np.array([np.dot(f[: len(f) - abs(k)], f[abs(k):]) for k in ks])


@pytest.mark.parametrize("n, s, epsilon", [(6, 3, 1.0), (10, 9, 0.5), (4, 1, 2.0)])
def test_polya_epsilon_of_survivors_is_the_worst_split_of_the_shift(n, s, epsilon):
    """Δ1 = 2: one coordinate shifted by 2 (any d), or two by 1 each (d >= 2): ε = max over these
    of the summed largest log-ratios of the remaining noise's pmf."""
    alpha = math.exp(-epsilon / 2)
    ks = np.arange(-80, 81)
    logp = np.log(nb_difference_pmf(s / n, alpha, ks))
    shift = {j: np.max(np.abs(logp[:-j] - logp[j:])) for j in (1, 2)}
    one = DistributedNoise(kind="polya", n=n, scale=epsilon, l1=2, dim=1)
    many = DistributedNoise(kind="polya", n=n, scale=epsilon, l1=2, dim=3)
    assert one.epsilon_for(s) == pytest.approx(shift[2], rel=1e-8)
    assert one.epsilon_for(s) == pytest.approx(effective_epsilon(n, n - s, epsilon, sensitivity=2), rel=1e-12)
    assert many.epsilon_for(s) == pytest.approx(max(shift[2], 2 * shift[1]), rel=1e-8)
    assert many.epsilon_for(s) > one.epsilon_for(s)  # spreading the shift costs more with partial noise
    assert many.epsilon_for(n) == pytest.approx(epsilon, rel=1e-9)  # but not with all n shares


@pytest.mark.parametrize("n, s, dim", [(6, 3, 2), (5, 1, 3)])
def test_polya_epsilon_with_fewer_coordinates_than_the_shift(n, s, dim):
    """Δ1 = 4 over d < 4 coordinates: the worst split of a shift of at most 4 into at most d parts."""
    epsilon, l1 = 1.0, 4
    logp = np.log(nb_difference_pmf(s / n, math.exp(-epsilon / l1), np.arange(-80, 81)))
    L = [0.0] + [np.max(np.abs(logp[:-j] - logp[j:])) for j in range(1, l1 + 1)]
    splits = [p for p in itertools.product(range(l1 + 1), repeat=dim) if sum(p) <= l1]
    expected = max(sum(L[j] for j in p) for p in splits)
    noise = DistributedNoise("polya", n, epsilon, 0.0, l1, 2, dim)
    assert noise.epsilon_for(s) == pytest.approx(expected, rel=1e-8)
    unit = DistributedNoise("polya", n, epsilon, 0.0, l1, 2, l1)
    assert noise.epsilon_for(s) < unit.epsilon_for(s) == pytest.approx(l1 * L[1], rel=1e-8)


@pytest.mark.parametrize("kind, n", [("dgauss", 100), ("skellam", 100), ("polya", 12)])
def test_epsilon_grows_as_survivors_fall(kind, n):
    noise = DistributedNoise.calibrate(kind, n=n, epsilon=1.0, delta=1e-5, l1=2, l2=2, dim=1)
    eps = noise.epsilon_for(np.arange(n + 1))
    assert eps.shape == (n + 1,) and eps[0] == math.inf
    assert np.all(np.diff(eps[1:]) < 0)  # strictly: each lost share leaks more
    assert eps[n] == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize("kind", ["dgauss", "skellam", "polya", "none"])
def test_no_survivors_means_infinite_epsilon(kind):
    noise = DistributedNoise.calibrate(kind, n=5, epsilon=1.0, delta=1e-5)
    assert noise.epsilon_for(0) == math.inf and isinstance(noise.epsilon_for(0), float)


def test_epsilon_for_an_array_is_each_count_computed_alone():
    noise = DistributedNoise.calibrate("dgauss", n=30, epsilon=2.0, delta=1e-6)
    survivors = np.array([[30, 12, 30], [0, 12, 1]])
    eps = noise.epsilon_for(survivors)
    assert eps.shape == survivors.shape
    np.testing.assert_array_equal(eps, [[noise.epsilon_for(int(s)) for s in row] for row in survivors])


# ----------------------------------------------------------------------------- calibration


CALIBRATIONS = [  # (kind, n, ε, δ, Δ1, Δ2, d)
    ("dgauss", 100, 1.0, 1e-5, 1, 1, 1),
    ("dgauss", 10, 3.0, 1e-6, 8, 2, 16),
    ("dgauss", 1000, 0.1, 1e-7, 1, 1, 1),
    ("skellam", 100, 1.0, 1e-5, 1, 1, 1),
    ("skellam", 10, 3.0, 1e-6, 8, 2, 16),
    ("skellam", 1000, 0.1, 1e-7, 1, 1, 1),
]


@pytest.mark.parametrize("kind, n, epsilon, delta, l1, l2, d", CALIBRATIONS)
def test_calibrated_scale_meets_epsilon_and_is_the_smallest(kind, n, epsilon, delta, l1, l2, d):
    noise = DistributedNoise.calibrate(kind, n=n, epsilon=epsilon, delta=delta, l1=l1, l2=l2, dim=d)
    assert (noise.kind, noise.n, noise.delta, noise.l1, noise.l2, noise.dim) == (kind, n, delta, l1, l2, d)
    achieved = noise.epsilon_for(n)
    assert achieved <= epsilon and achieved == pytest.approx(epsilon, rel=1e-6)
    smaller = dataclasses.replace(noise, scale=noise.scale * (1 - 1e-6))
    assert smaller.epsilon_for(n) > epsilon


def test_calibrated_polya_scale_is_epsilon():
    noise = DistributedNoise.calibrate("polya", n=7, epsilon=0.8, delta=1e-5, l1=3, dim=2)
    assert noise.scale == 0.8 and noise.delta == 0.0
    assert noise.epsilon_for(7) == pytest.approx(0.8, rel=1e-9)


def test_calibration_is_frozen():
    noise = DistributedNoise.calibrate("dgauss", n=10, epsilon=1.0, delta=1e-5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        noise.scale = 1.0


# ----------------------------------------------------------------------------- bad input


def raises_naming(key, call):
    with pytest.raises(ConfigError) as error:
        call()
    assert error.value.key == key or key in {e.key for e in error.value.errors}, error.value
    return error.value


def test_unknown_kind_is_a_config_error_naming_mechanism_noise():
    raises_naming("mechanism.noise", lambda: DistributedNoise.calibrate("laplace", n=5, epsilon=1.0, delta=1e-5))
    raises_naming("mechanism.noise", lambda: DistributedNoise(kind="gauss", n=5, scale=1.0, delta=1e-5))


@pytest.mark.parametrize("epsilon", [0.0, -1.0, math.inf])
def test_nonpositive_epsilon_is_a_config_error(epsilon):
    for kind in ("dgauss", "skellam", "polya"):
        raises_naming("epsilon", lambda: DistributedNoise.calibrate(kind, n=5, epsilon=epsilon, delta=1e-5))


@pytest.mark.parametrize("kind", ["dgauss", "skellam"])
def test_zero_delta_is_a_config_error_for_approximate_dp(kind):
    raises_naming("delta", lambda: DistributedNoise.calibrate(kind, n=5, epsilon=1.0, delta=0.0))
    raises_naming("delta", lambda: DistributedNoise(kind=kind, n=5, scale=1.0, delta=0.0))
    DistributedNoise.calibrate("polya", n=5, epsilon=1.0, delta=0.0)  # pure DP: δ plays no part


def test_other_bad_settings_are_config_errors_naming_their_key():
    raises_naming("n", lambda: DistributedNoise.calibrate("dgauss", n=0, epsilon=1.0, delta=1e-5))
    raises_naming("l1", lambda: DistributedNoise.calibrate("dgauss", n=5, epsilon=1.0, delta=1e-5, l1=0))
    raises_naming("l2", lambda: DistributedNoise.calibrate("skellam", n=5, epsilon=1.0, delta=1e-5, l2=-1))
    raises_naming("l1", lambda: DistributedNoise.calibrate("polya", n=5, epsilon=1.0, delta=1e-5, l1=1.5))
    raises_naming("dim", lambda: DistributedNoise.calibrate("dgauss", n=5, epsilon=1.0, delta=1e-5, dim=0))
    raises_naming("scale", lambda: DistributedNoise(kind="dgauss", n=5, scale=0.0, delta=1e-5))
    raises_naming("sigma", lambda: discrete_gaussian(np.random.default_rng(0), -1.0, 3))
    noise = DistributedNoise(kind="dgauss", n=5, scale=1.0, delta=1e-5)
    for survivors in (6, -1, 2.5, np.array([1, 7])):
        raises_naming("survivors", lambda: noise.epsilon_for(survivors))


def test_independent_bad_settings_are_reported_together():
    error = raises_naming("n", lambda: DistributedNoise.calibrate("dgauss", n=0, epsilon=1.0, delta=0.0, l1=0))
    assert {"n", "delta", "l1"} <= {e.key for e in error.errors}


@pytest.mark.parametrize("kind", ["dgauss", "skellam"])
def test_calibration_meets_even_the_smallest_epsilon(kind):
    """ε = 1e-9 at δ = 1e-10 is below what orders up to 2^24 resolve: the scale found still meets it."""
    noise = DistributedNoise.calibrate(kind, n=5, epsilon=1e-9, delta=1e-10)
    assert noise.epsilon_for(5) <= 1e-9

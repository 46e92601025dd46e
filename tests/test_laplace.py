"""Laplace mechanism: its law, its closed forms (DESIGN §4), vector outputs, parameters.

Every random check is seeded (``np.random.default_rng(<fixed int>)``), so a p-value or a
z-score is a fixed number and the tests are deterministic.  Sample means are compared
with their closed form within ``Z`` standard errors, the standard error coming from the
known variance of the statistic and the sample count.
"""

import math

import numpy as np
import pytest
from scipy import stats

from simprive.dp import Laplace
from simprive.validation import ConfigError

N = 200_000  # draws per check
Z = 5.0  # standard errors allowed
P_MIN = 1e-3  # smallest acceptable goodness-of-fit p-value

SETTINGS = [(0.1, 1.0), (1.0, 1.0), (0.5, 3.0), (2.0, 0.25)]  # (epsilon, sensitivity)


def seeded(settings, start):
    """(seed, *setting) rows: one fixed seed per parameter setting."""
    return [(start + i, *setting) for i, setting in enumerate(settings)]


def assert_close_in_se(observed, expected, se, z=Z):
    assert abs(observed - expected) <= z * se, (
        f"observed {observed!r} vs expected {expected!r}: {abs(observed - expected) / se:.2f} SE"
    )


# ----------------------------------------------------------------------------- calibration


@pytest.mark.parametrize("epsilon,sensitivity", SETTINGS)
def test_laplace_scale_is_sensitivity_over_epsilon(epsilon, sensitivity):
    assert Laplace(epsilon=epsilon, sensitivity=sensitivity).scale == pytest.approx(
        sensitivity / epsilon, rel=1e-15
    )


@pytest.mark.parametrize("epsilon,sensitivity", SETTINGS)
def test_laplace_closed_forms(epsilon, sensitivity):
    mech = Laplace(epsilon=epsilon, sensitivity=sensitivity)
    b = sensitivity / epsilon
    assert mech.mean_abs_error() == pytest.approx(b, rel=1e-15)
    assert mech.variance() == pytest.approx(2 * b**2, rel=1e-15)
    assert mech.bias() == 0.0
    assert mech.mse() == pytest.approx(2 * b**2, rel=1e-15)
    # and they are those of scipy's Laplace law
    law = stats.laplace(scale=b)
    assert mech.variance() == pytest.approx(law.var(), rel=1e-12)
    assert mech.mean_abs_error() == pytest.approx(law.expect(abs), rel=1e-9)


@pytest.mark.parametrize("epsilon,sensitivity", SETTINGS)
def test_laplace_density_ratio_between_neighbours_is_bounded_by_epsilon(epsilon, sensitivity):
    """The calibration gives ε-DP: |ln p(y − f) − ln p(y − f')| ≤ ε when |f − f'| ≤ Δ1."""
    mech = Laplace(epsilon=epsilon, sensitivity=sensitivity)
    law = stats.laplace(scale=mech.scale)
    y = np.linspace(-20 * mech.scale, 20 * mech.scale, 20_001)
    for shift in (sensitivity, sensitivity / 3, -sensitivity):
        ratio = np.abs(law.logpdf(y) - law.logpdf(y - shift))
        assert ratio.max() <= epsilon * (1 + 1e-9)
    # and the bound is attained by a full-sensitivity shift (the scale is not too large)
    assert np.abs(law.logpdf(y) - law.logpdf(y - sensitivity)).max() == pytest.approx(epsilon, rel=1e-6)


@pytest.mark.parametrize("epsilon,sensitivity", SETTINGS)
def test_laplace_privacy_loss_is_linear_in_the_input_distance(epsilon, sensitivity):
    mech = Laplace(epsilon=epsilon, sensitivity=sensitivity)
    assert mech.privacy_loss(sensitivity) == pytest.approx(epsilon, rel=1e-12)
    assert mech.privacy_loss(3 * sensitivity) == pytest.approx(3 * epsilon, rel=1e-12)  # group of 3
    assert mech.privacy_loss(0) == 0.0


# ----------------------------------------------------------------------------- the law


@pytest.mark.parametrize("seed,epsilon,sensitivity", seeded(SETTINGS, 101))
def test_laplace_noise_matches_scipy_laplace(seed, epsilon, sensitivity):
    mech = Laplace(epsilon=epsilon, sensitivity=sensitivity)
    noise = mech.sample(N, np.random.default_rng(seed))
    assert noise.shape == (N,)
    result = stats.kstest(noise, stats.laplace(scale=sensitivity / epsilon).cdf)
    assert result.pvalue > P_MIN, result


def test_laplace_noise_does_not_match_a_wrong_scale():
    """The KS test used above has the power to see a 5% error in the scale."""
    mech = Laplace(epsilon=1.0, sensitivity=1.0)
    noise = mech.sample(N, np.random.default_rng(7))
    assert stats.kstest(noise, stats.laplace(scale=1.05).cdf).pvalue < P_MIN


def test_laplace_randomise_adds_laplace_noise_to_each_value():
    mech = Laplace(epsilon=0.5, sensitivity=2.0)
    rng = np.random.default_rng(11)
    values = rng.uniform(-1e3, 1e3, size=N)
    released = mech.randomise(values, np.random.default_rng(12))
    assert released.shape == values.shape
    result = stats.kstest(released - values, stats.laplace(scale=4.0).cdf)
    assert result.pvalue > P_MIN, result


def test_laplace_randomise_is_value_plus_sample_from_the_same_stream():
    mech = Laplace(epsilon=1.0, sensitivity=1.0)
    values = np.arange(12.0).reshape(3, 4)
    released = mech.randomise(values, np.random.default_rng(5))
    noise = mech.sample(values.shape, np.random.default_rng(5))
    np.testing.assert_array_equal(released, values + noise)


def test_laplace_same_seed_gives_same_release():
    mech = Laplace(epsilon=1.0, sensitivity=1.0)
    a = mech.randomise(np.zeros(1000), np.random.default_rng(3))
    b = mech.randomise(np.zeros(1000), np.random.default_rng(3))
    c = mech.randomise(np.zeros(1000), np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


# ----------------------------------------------------------------------------- moments


@pytest.mark.parametrize("seed,epsilon,sensitivity", seeded(SETTINGS, 201))
def test_laplace_abs_error_matches_scale(seed, epsilon, sensitivity):
    """|Y| ~ Exp(b): E|Y| = b, Var|Y| = b²."""
    mech = Laplace(epsilon=epsilon, sensitivity=sensitivity)
    b = mech.scale
    abs_err = np.abs(mech.sample(N, np.random.default_rng(seed)))
    assert_close_in_se(abs_err.mean(), mech.mean_abs_error(), b / math.sqrt(N))


@pytest.mark.parametrize("seed,epsilon,sensitivity", seeded(SETTINGS, 301))
def test_laplace_variance_matches_two_b_squared(seed, epsilon, sensitivity):
    """E Y² = 2b², and Var(Y²) = E Y⁴ − (E Y²)² = 24b⁴ − 4b⁴ = 20b⁴."""
    mech = Laplace(epsilon=epsilon, sensitivity=sensitivity)
    b = mech.scale
    sq = mech.sample(N, np.random.default_rng(seed)) ** 2
    assert_close_in_se(sq.mean(), mech.variance(), math.sqrt(20) * b**2 / math.sqrt(N))


@pytest.mark.parametrize("seed,epsilon,sensitivity", seeded(SETTINGS, 401))
def test_laplace_noise_is_unbiased(seed, epsilon, sensitivity):
    mech = Laplace(epsilon=epsilon, sensitivity=sensitivity)
    noise = mech.sample(N, np.random.default_rng(seed))
    assert_close_in_se(noise.mean(), mech.bias(), math.sqrt(mech.variance() / N))


# ----------------------------------------------------------------------------- vector outputs

T, K = 100_000, 4


def test_laplace_vector_release_keeps_the_trial_by_coordinate_shape():
    mech = Laplace(epsilon=1.0, sensitivity=2.0)
    values = np.zeros((T, K))
    released = mech.randomise(values, np.random.default_rng(21))
    assert released.shape == (T, K)
    assert mech.sample((5, 3, 2), np.random.default_rng(21)).shape == (5, 3, 2)


def test_laplace_vector_each_coordinate_has_scale_l1_sensitivity_over_epsilon():
    """A histogram (replace-one ℓ1 sensitivity 2) at ε = 0.5: every coordinate Lap(4)."""
    mech = Laplace(epsilon=0.5, sensitivity=2.0)
    b = 2.0 / 0.5
    counts = np.tile(np.array([10, 0, 3, 7]), (T, 1))
    noise = mech.randomise(counts, np.random.default_rng(22)) - counts
    for j in range(K):
        col = noise[:, j]
        result = stats.kstest(col, stats.laplace(scale=b).cdf)
        assert result.pvalue > P_MIN, (j, result)
        assert_close_in_se(np.abs(col).mean(), b, b / math.sqrt(T))
        assert_close_in_se((col**2).mean(), 2 * b**2, math.sqrt(20) * b**2 / math.sqrt(T))


def test_laplace_vector_coordinates_are_independent():
    """Sample correlations between coordinates are 0 within 5 SE (SE ≈ 1/√T under independence),
    and so are those of their magnitudes (which would catch a shared scale factor)."""
    mech = Laplace(epsilon=1.0, sensitivity=1.0)
    noise = mech.sample((T, K), np.random.default_rng(23))
    for x in (noise, np.abs(noise)):
        corr = np.corrcoef(x, rowvar=False)
        off = corr[~np.eye(K, dtype=bool)]
        assert np.abs(off).max() <= Z / math.sqrt(T), corr


def test_laplace_vector_trials_are_independent():
    """Consecutive trials (rows) do not share noise."""
    mech = Laplace(epsilon=1.0, sensitivity=1.0)
    noise = mech.sample((T, 2), np.random.default_rng(24))
    r = np.corrcoef(noise[:-1, 0], noise[1:, 0])[0, 1]
    assert abs(r) <= Z / math.sqrt(T)


# ----------------------------------------------------------------------------- parameters


@pytest.mark.parametrize("epsilon", [0, -1.0, math.nan, math.inf, True, "1", None])
def test_laplace_rejects_invalid_epsilon(epsilon):
    with pytest.raises(ConfigError) as err:
        Laplace(epsilon=epsilon, sensitivity=1.0)
    assert err.value.key == "epsilon"
    assert "epsilon=" in str(err.value)


@pytest.mark.parametrize("sensitivity", [-1.0, math.nan, math.inf, False, "2"])
def test_laplace_rejects_invalid_sensitivity(sensitivity):
    with pytest.raises(ConfigError) as err:
        Laplace(epsilon=1.0, sensitivity=sensitivity)
    assert err.value.key == "sensitivity"
    assert "sensitivity=" in str(err.value)


def test_laplace_constructor_is_keyword_only():
    with pytest.raises(TypeError):
        Laplace(1.0, 1.0)

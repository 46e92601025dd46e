"""Clamping and the sensitivities it buys (the table in ``clamping.sensitivity``; DESIGN §4).

Besides the table itself, the sensitivities are checked by brute force: for small random
datasets, the largest change of the clamped query over neighbouring datasets (replace one
input, or add/remove one) never exceeds ``sensitivity()`` and reaches it when the data
allow.  Hypothesis runs derandomized, so the property tests are deterministic too.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simprive.dp import clamp, sensitivity
from simprive.validation import ConfigError

REL = 1e-9  # float rounding of a sum of a few numbers of magnitude <= 1e3


# ----------------------------------------------------------------------------- clamp


def test_clamp_keeps_values_inside_and_clips_outside():
    values = np.array([-5.0, 0.0, 0.3, 1.0, 7.0])
    np.testing.assert_array_equal(clamp(values, 0.0, 1.0), [0.0, 0.0, 0.3, 1.0, 1.0])


def test_clamp_is_vectorised_and_idempotent():
    values = np.random.default_rng(1).normal(0, 10, size=(100, 30))
    once = clamp(values, -3.0, 4.0)
    assert once.shape == values.shape
    assert once.min() >= -3.0 and once.max() <= 4.0
    np.testing.assert_array_equal(clamp(once, -3.0, 4.0), once)
    inside = (values >= -3.0) & (values <= 4.0)
    np.testing.assert_array_equal(once[inside], values[inside])


# ----------------------------------------------------------------------------- the table

TABLE = [
    # query, lower, upper, n, neighbours, norm, expected
    ("sum", 0.0, 1.0, None, "replace", 1, 1.0),
    ("sum", -3.0, 5.0, None, "replace", 1, 8.0),
    ("sum", 2.0, 10.0, None, "replace", 2, 8.0),
    ("sum", 0.0, 1.0, None, "add_remove", 1, 1.0),
    ("sum", -3.0, 5.0, None, "add_remove", 1, 5.0),
    ("sum", -7.0, 5.0, None, "add_remove", 1, 7.0),
    ("sum", 2.0, 10.0, None, "add_remove", 1, 10.0),
    ("sum", -10.0, -2.0, None, "add_remove", 2, 10.0),
    ("mean", 0.0, 100.0, 10, "replace", 1, 10.0),
    ("mean", -1.0, 1.0, 4, "replace", 2, 0.5),
    ("count", 0.0, 1.0, None, "replace", 1, 1.0),
    ("count", 0.0, 1.0, None, "add_remove", 1, 1.0),
    ("count", 0.0, 1.0, None, "replace", 2, 1.0),
    ("histogram", 0.0, 1.0, None, "replace", 1, 2.0),
    ("histogram", 0.0, 1.0, None, "replace", 2, math.sqrt(2)),
    ("histogram", 0.0, 1.0, None, "add_remove", 1, 1.0),
    ("histogram", 0.0, 1.0, None, "add_remove", 2, 1.0),
]


@pytest.mark.parametrize("query,lower,upper,n,neighbours,norm,expected", TABLE)
def test_sensitivity_table(query, lower, upper, n, neighbours, norm, expected):
    got = sensitivity(query, lower=lower, upper=upper, n=n, neighbours=neighbours, norm=norm)
    assert got == pytest.approx(expected, rel=1e-15)


def test_sensitivity_defaults_are_replace_l1_on_unit_range():
    assert sensitivity("sum") == 1.0
    assert sensitivity("histogram") == 2.0


def test_sensitivity_of_mean_with_add_remove_raises():
    with pytest.raises(ConfigError) as err:
        sensitivity("mean", lower=0.0, upper=1.0, n=10, neighbours="add_remove")
    assert err.value.key == "neighbours"
    assert "add_remove" in str(err.value)


def test_sensitivity_of_mean_needs_n():
    with pytest.raises(ConfigError) as err:
        sensitivity("mean", lower=0.0, upper=1.0)
    assert err.value.key == "n"


@pytest.mark.parametrize("kwargs,key", [
    (dict(query="median"), "query"),
    (dict(query="sum", neighbours="swap"), "neighbours"),
    (dict(query="sum", norm=3), "norm"),
    (dict(query="sum", lower=1.0, upper=1.0), "lower"),
    (dict(query="mean", lower=2.0, upper=1.0, n=5), "lower"),
    (dict(query="sum", lower=math.nan, upper=1.0), "lower"),
    (dict(query="sum", lower=0.0, upper=math.inf), "upper"),
    (dict(query="mean", n=0), "n"),
    (dict(query="mean", n=2.5), "n"),
])
def test_sensitivity_rejects_invalid_arguments(kwargs, key):
    query = kwargs.pop("query")
    with pytest.raises(ConfigError) as err:
        sensitivity(query, **kwargs)
    assert err.value.key == key


# ----------------------------------------------------------------------------- brute force

bounds = st.tuples(
    st.floats(-100, 100, allow_nan=False), st.floats(0.01, 200, allow_nan=False)
).map(lambda t: (t[0], t[0] + t[1]))
datasets = st.lists(st.floats(-300, 300, allow_nan=False), min_size=1, max_size=8)
replacements = st.lists(st.floats(-300, 300, allow_nan=False), min_size=1, max_size=6)


def replace_one_neighbours(x, candidates, lower, upper):
    """Every dataset with one input of ``x`` replaced by a candidate value (or by a bound),
    as an (m, n) array."""
    x = np.asarray(x, float)
    values = np.concatenate([candidates, [lower, upper, lower - 1, upper + 1]])
    n = x.size
    out = np.repeat(x[None, :], n * values.size, axis=0)
    out[np.arange(n * values.size), np.repeat(np.arange(n), values.size)] = np.tile(values, n)
    return out


@given(bounds, datasets, replacements)
def test_clamped_sum_change_over_replace_one_neighbours_is_within_sensitivity(b, x, cand):
    lower, upper = b
    neighbours = replace_one_neighbours(x, cand, lower, upper)
    base = clamp(np.asarray(x, float), lower, upper).sum()
    change = np.abs(clamp(neighbours, lower, upper).sum(axis=1) - base).max()
    bound = sensitivity("sum", lower=lower, upper=upper)
    assert change <= bound * (1 + REL) + REL * np.abs(neighbours).sum(axis=1).max()


@given(bounds, datasets, st.floats(-300, 300, allow_nan=False))
def test_clamped_sum_change_over_add_remove_neighbours_is_within_sensitivity(b, x, extra):
    lower, upper = b
    x = np.asarray(x, float)
    base = clamp(x, lower, upper).sum()
    removed = base - clamp(x, lower, upper)  # each input removed in turn
    added = base + clamp(np.array([extra, lower, upper]), lower, upper)
    change = np.abs(np.concatenate([removed, added]) - base).max()
    assert change <= sensitivity("sum", lower=lower, upper=upper, neighbours="add_remove") * (1 + REL)


@given(bounds, datasets, replacements)
def test_clamped_mean_change_over_replace_one_neighbours_is_within_sensitivity(b, x, cand):
    lower, upper = b
    n = len(x)
    neighbours = replace_one_neighbours(x, cand, lower, upper)
    base = clamp(np.asarray(x, float), lower, upper).mean()
    change = np.abs(clamp(neighbours, lower, upper).mean(axis=1) - base).max()
    bound = sensitivity("mean", lower=lower, upper=upper, n=n)
    assert change <= bound * (1 + REL) + REL * np.abs(neighbours).max()


@given(st.lists(st.integers(0, 4), min_size=1, max_size=10), st.integers(0, 4))
def test_histogram_change_over_neighbours_is_within_sensitivity(x, new):
    k = 5
    x = np.asarray(x)
    hist = np.bincount(x, minlength=k)
    for i in range(x.size):
        y = x.copy()
        y[i] = new
        diff = np.bincount(y, minlength=k) - hist
        assert np.abs(diff).sum() <= sensitivity("histogram", norm=1)
        assert np.sqrt((diff**2).sum()) <= sensitivity("histogram", norm=2) * (1 + 1e-15)
        removed = np.bincount(np.delete(x, i), minlength=k) - hist
        assert np.abs(removed).sum() <= sensitivity("histogram", neighbours="add_remove", norm=1)
        assert np.sqrt((removed**2).sum()) <= sensitivity("histogram", neighbours="add_remove", norm=2)
    added = np.bincount(np.append(x, new), minlength=k) - hist
    assert np.abs(added).sum() <= sensitivity("histogram", neighbours="add_remove")


def test_clamped_sum_sensitivity_is_attained_by_many_random_datasets():
    """Vectorised brute force over 20 000 random datasets: the max change is within the
    bound for all of them, and equals it when one input moves from lower to upper."""
    rng = np.random.default_rng(2)
    lower, upper = -3.0, 5.0
    x = rng.uniform(-10, 10, size=(20_000, 6))
    new = rng.uniform(-10, 10, size=(20_000, 1))
    i = rng.integers(0, 6, size=20_000)
    y = x.copy()
    y[np.arange(20_000), i] = new[:, 0]
    change = np.abs(clamp(y, lower, upper).sum(axis=1) - clamp(x, lower, upper).sum(axis=1))
    bound = sensitivity("sum", lower=lower, upper=upper)
    assert change.max() <= bound * (1 + REL)
    y = x.copy()
    x[:, 0], y[:, 0] = lower, upper  # neighbours again: only input 0 differs
    worst = clamp(y, lower, upper).sum(axis=1) - clamp(x, lower, upper).sum(axis=1)
    worst_add_remove = np.abs(clamp(np.array([lower, upper]), lower, upper)).max()
    assert worst.max() == pytest.approx(bound, rel=1e-12)
    assert worst_add_remove == sensitivity("sum", lower=lower, upper=upper, neighbours="add_remove")


def test_histogram_sensitivity_is_attained_by_moving_one_input():
    x = np.array([0, 1, 1, 2])
    y = np.array([0, 1, 2, 2])  # one input moved from bin 1 to bin 2
    diff = np.bincount(y, minlength=3) - np.bincount(x, minlength=3)
    assert np.abs(diff).sum() == sensitivity("histogram", norm=1)
    assert np.sqrt((diff**2).sum()) == pytest.approx(sensitivity("histogram", norm=2), rel=1e-15)


# ----------------------------------------------------------------------------- clamped_sum


@pytest.mark.parametrize("T,n,rows", [(1, 5, 8192), (1000, 7, 64), (20_000, 3, 8192), (100, 50, 100)])
def test_clamped_sum_equals_clamp_then_sum_on_trial_by_party_arrays(T, n, rows):
    from simprive.dp.clamping import clamped_sum

    values = np.random.default_rng(3).normal(0, 5, size=(T, n))
    got = clamped_sum(values, -2.0, 3.0, rows=rows)
    assert got.shape == (T,)
    np.testing.assert_allclose(got, clamp(values, -2.0, 3.0).sum(axis=-1), rtol=1e-12, atol=1e-12)


def test_clamped_sum_of_integers_with_integer_bounds_is_exact():
    from simprive.dp.clamping import clamped_sum

    values = np.array([[2**53 + 1, 0, -5], [7, 8, 9]], dtype=np.int64)
    got = clamped_sum(values, 0, 2**60)
    assert got.dtype.kind == "i"
    np.testing.assert_array_equal(got, [2**53 + 1, 24])


def test_fast_clamped_sum_change_over_replace_one_neighbours_is_within_sensitivity():
    """The same brute force as above, through the fast clamped sum used by the runner."""
    from simprive.dp.clamping import clamped_sum

    rng = np.random.default_rng(4)
    lower, upper = -1.0, 4.0
    x = rng.uniform(-6, 9, size=(20_000, 5))
    y = x.copy()
    y[np.arange(20_000), rng.integers(0, 5, size=20_000)] = rng.uniform(-6, 9, size=20_000)
    change = np.abs(clamped_sum(y, lower, upper) - clamped_sum(x, lower, upper))
    assert change.max() <= sensitivity("sum", lower=lower, upper=upper) * (1 + REL)


def test_clipping_moments_of_an_unbounded_tail_are_the_black_scholes_closed_forms():
    # X log-normal (median 50,000, σ = 0.5) clamped at u = 200,000: E[(X − u)+] and
    # E[((X − u)+)²] in closed form (the call price and its second moment); scipy's expect()
    # alone returns half the second moment here
    from scipy.stats import lognorm, norm

    from simprive.scenarios import clip_moments

    mu, s, u = math.log(50_000.0), 0.5, 200_000.0
    d1 = (mu + s * s - math.log(u)) / s
    d2 = d1 - s
    first = math.exp(mu + s * s / 2) * norm.cdf(d1) - u * norm.cdf(d2)
    second = (math.exp(2 * mu + 2 * s * s) * norm.cdf(d1 + s) - 2 * u * math.exp(mu + s * s / 2) * norm.cdf(d1)
              + u * u * norm.cdf(d2))
    mean, var = clip_moments(lognorm(s=s, scale=50_000.0), 0.0, u)
    assert mean == pytest.approx(-first, rel=1e-8)
    assert var == pytest.approx(second - first**2, rel=1e-6)

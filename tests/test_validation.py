"""Checks at the boundary: every check_* accepts what it should, returns it normalised, and
otherwise raises ConfigError whose one-line message names the key and the value given."""

import math
from fractions import Fraction

import numpy as np
import pytest

from simprive.validation import (
    ConfigError,
    ConfigErrors,
    check_all,
    check_choice,
    check_delta,
    check_each,
    check_epsilon,
    check_int,
    check_probability,
    check_range,
    check_real,
)


def assert_names_key_and_value(err, key, value):
    message = str(err.value)
    assert err.value.key == key
    assert f"{key}=" in message, message
    assert repr(value) in message or str(value) in message, message
    assert "\n" not in message


# ----------------------------------------------------------------------------- ConfigError


def test_config_error_is_a_value_error_with_key_value_allowed():
    err = ConfigError("epsilon", -1.0, "must be > 0")
    assert isinstance(err, ValueError)
    assert (err.key, err.value, err.allowed) == ("epsilon", -1.0, "must be > 0")
    assert str(err) == "invalid epsilon=-1.0: must be > 0"


def test_config_error_message_uses_repr_of_the_value():
    assert str(ConfigError("name", "abc", "x")) == "invalid name='abc': x"


# ----------------------------------------------------------------------------- check_real


@pytest.mark.parametrize("value,expected", [
    (1, 1.0), (-2.5, -2.5), (0, 0.0), (np.float64(0.25), 0.25), (np.int64(7), 7.0),
    (np.float32(0.5), 0.5), (Fraction(1, 4), 0.25), (1e308, 1e308),
])
def test_check_real_accepts_real_numbers_and_returns_float(value, expected):
    got = check_real("x", value)
    assert got == expected and type(got) is float


@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_check_real_rejects_bool_as_number(value):
    with pytest.raises(ConfigError) as err:
        check_real("sensitivity", value)
    assert_names_key_and_value(err, "sensitivity", value)
    assert "number" in err.value.allowed


@pytest.mark.parametrize("value", ["1.0", None, 1 + 2j, [1.0], np.array([1.0])])
def test_check_real_rejects_non_numbers(value):
    with pytest.raises(ConfigError) as err:
        check_real("lower", value)
    assert err.value.key == "lower"
    assert str(err.value).startswith("invalid lower=")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.nan, np.float64(np.inf)])
def test_check_real_rejects_nan_and_inf(value):
    with pytest.raises(ConfigError) as err:
        check_real("upper", value)
    assert_names_key_and_value(err, "upper", float(value))
    assert "finite" in err.value.allowed


def test_check_real_allows_inf_when_not_required_finite():
    assert check_real("upper", math.inf, finite=False) == math.inf
    assert math.isnan(check_real("upper", math.nan, finite=False))


# ----------------------------------------------------------------------------- check_epsilon


@pytest.mark.parametrize("value", [1e-9, 0.1, 1, 10.0, 100.0, np.float64(2.0)])
def test_check_epsilon_accepts_positive_finite(value):
    assert check_epsilon(value) == float(value)


@pytest.mark.parametrize("value", [0, 0.0, -0.1, -5, math.nan, math.inf, True, "1"])
def test_check_epsilon_rejects_non_positive_non_finite_and_non_numbers(value):
    with pytest.raises(ConfigError) as err:
        check_epsilon(value)
    assert_names_key_and_value(err, "epsilon", value)


def test_check_epsilon_names_a_custom_key():
    with pytest.raises(ConfigError) as err:
        check_epsilon(-1.0, "budget.epsilon")
    assert_names_key_and_value(err, "budget.epsilon", -1.0)


# ----------------------------------------------------------------------------- check_delta


@pytest.mark.parametrize("value", [0, 0.0, 1e-10, 0.5, 0.999999])
def test_check_delta_accepts_zero_up_to_one_exclusive(value):
    assert check_delta(value) == float(value)


@pytest.mark.parametrize("value", [1, 1.0, 1.5, -1e-12, math.nan, math.inf, True, None])
def test_check_delta_rejects_outside_zero_one(value):
    with pytest.raises(ConfigError) as err:
        check_delta(value)
    assert_names_key_and_value(err, "delta", value)


@pytest.mark.parametrize("value", [0, 0.0, 1.0])
def test_check_delta_positive_rejects_zero_and_one(value):
    with pytest.raises(ConfigError) as err:
        check_delta(value, positive=True)
    assert_names_key_and_value(err, "delta", value)
    assert "(0, 1)" in err.value.allowed


def test_check_delta_names_a_custom_key():
    with pytest.raises(ConfigError) as err:
        check_delta(2.0, "delta_prime")
    assert_names_key_and_value(err, "delta_prime", 2.0)


# ----------------------------------------------------------------------------- check_probability


@pytest.mark.parametrize("value", [0, 0.0, 0.3, 1, 1.0])
def test_check_probability_accepts_closed_unit_interval(value):
    assert check_probability("scenario.p", value) == float(value)


@pytest.mark.parametrize("value", [-0.01, 1.01, math.nan, math.inf, True, "0.5"])
def test_check_probability_rejects_outside_unit_interval(value):
    with pytest.raises(ConfigError) as err:
        check_probability("scenario.p", value)
    assert_names_key_and_value(err, "scenario.p", value)


# ----------------------------------------------------------------------------- check_int


@pytest.mark.parametrize("value,expected", [(1, 1), (100, 100), (3.0, 3), (np.int64(5), 5), (np.float64(8.0), 8)])
def test_check_int_accepts_integers_and_integral_floats(value, expected):
    got = check_int("n", value)
    assert got == expected and type(got) is int


@pytest.mark.parametrize("value", [0, -3, 2.5, True, False, "3", None, math.nan, math.inf, [3]])
def test_check_int_rejects_non_integers_and_too_small(value):
    with pytest.raises(ConfigError) as err:
        check_int("trials", value)
    assert_names_key_and_value(err, "trials", value)
    assert ">= 1" in err.value.allowed


def test_check_int_honours_minimum():
    assert check_int("k", 0, minimum=0) == 0
    assert check_int("k", 2, minimum=2) == 2
    with pytest.raises(ConfigError) as err:
        check_int("k", 1, minimum=2)
    assert_names_key_and_value(err, "k", 1)
    assert ">= 2" in err.value.allowed


# ----------------------------------------------------------------------------- check_range


@pytest.mark.parametrize("lower,upper", [(0, 1), (-5.0, 5.0), (np.float64(1.0), 2), (-1e9, -1e8)])
def test_check_range_accepts_lower_below_upper(lower, upper):
    assert check_range(lower, upper) == (float(lower), float(upper))


@pytest.mark.parametrize("lower,upper", [(1.0, 1.0), (2.0, 1.0), (0, -1)])
def test_check_range_rejects_empty_range_naming_both_bounds(lower, upper):
    with pytest.raises(ConfigError) as err:
        check_range(lower, upper)
    assert_names_key_and_value(err, "lower", float(lower))
    assert f"upper={float(upper)!r}" in str(err.value)


@pytest.mark.parametrize("lower,upper,key,bad", [
    (math.nan, 1.0, "lower", math.nan), (0.0, math.inf, "upper", math.inf),
    (True, 2.0, "lower", True), (0.0, "1", "upper", "1"),
])
def test_check_range_rejects_non_finite_or_non_number_bounds(lower, upper, key, bad):
    with pytest.raises(ConfigError) as err:
        check_range(lower, upper)
    assert_names_key_and_value(err, key, bad)


def test_check_range_names_custom_keys():
    with pytest.raises(ConfigError) as err:
        check_range(3.0, 1.0, keys=("scenario.lower", "scenario.upper"))
    assert_names_key_and_value(err, "scenario.lower", 3.0)
    assert "scenario.upper=1.0" in str(err.value)


# ----------------------------------------------------------------------------- check_choice


def test_check_choice_returns_a_valid_choice():
    assert check_choice("neighbours", "replace", ("replace", "add_remove")) == "replace"
    assert check_choice("norm", 2, (1, 2)) == 2


@pytest.mark.parametrize("value", ["swap", "", None, "REPLACE"])
def test_check_choice_rejects_others_listing_the_choices(value):
    with pytest.raises(ConfigError) as err:
        check_choice("neighbours", value, ("replace", "add_remove"))
    assert_names_key_and_value(err, "neighbours", value)
    assert err.value.allowed == "choose one of add_remove, replace"


# ----------------------------------------------------------------------------- several errors at once


def test_check_all_reports_every_failing_check_together():
    with pytest.raises(ConfigErrors) as err:
        check_all(lambda: check_epsilon(-1.0), lambda: check_int("n", 5), lambda: check_delta(2.0))
    assert [e.key for e in err.value.errors] == ["epsilon", "delta"]
    lines = str(err.value).splitlines()
    assert lines == ["2 problems:", "invalid epsilon=-1.0: must be a finite number > 0",
                     "invalid delta=2.0: must be in [0, 1)"]
    assert err.value.key == "epsilon"  # the first's, for callers that read one


def test_check_all_with_one_error_raises_it_alone_in_one_line():
    with pytest.raises(ConfigError) as err:
        check_all(lambda: check_epsilon(-1.0), lambda: check_delta(0.5))
    assert type(err.value) is ConfigError and "\n" not in str(err.value)
    assert check_all(lambda: check_epsilon(1), lambda: check_delta(0)) == [1.0, 0.0]


def check_point(point):
    check_probability("p", point["p"])
    return check_epsilon(point["epsilon"])


def test_check_each_checks_every_point_and_reports_each_invalid_value_once():
    points = [{"epsilon": e, "p": p} for e in (1.0, -1.0) for p in (0.5, 2.0)]
    with pytest.raises(ConfigErrors) as err:
        check_each(check_point, points, dict)
    # p=2 stops its points before ε is checked: ε=-1 is still found at p=0.5 and, since
    # the points with p=2 tell nothing about it, it does not name p
    assert str(err.value).splitlines() == ["2 problems:", "invalid p=2.0: must be a probability in [0, 1]",
                                           "invalid epsilon=-1.0: must be a finite number > 0"]
    assert check_each(check_point, points[:1], dict) == [1.0]


def test_check_each_names_the_swept_values_an_error_occurs_with():
    def margin(point):
        if point["margin"] * point["candidates"] > 1:
            raise ConfigError("margin", point["margin"], "too large")

    points = [{"margin": 0.05, "candidates": c, "seed": s} for c in (2, 30, 40) for s in (0, 1)]
    with pytest.raises(ConfigError) as err:
        check_each(margin, points, dict)
    assert str(err.value) == "invalid margin=0.05 with candidates=30,40: too large"


def test_classic_gaussian_reports_delta_and_epsilon_together():
    from simprive.dp import Gaussian

    with pytest.raises(ConfigErrors) as err:
        Gaussian(epsilon=2.0, delta=0.0, sensitivity=1.0)
    assert sorted(e.key for e in err.value.errors) == ["delta", "epsilon"]
    assert "classic Gaussian" in str(err.value)


@pytest.mark.parametrize("key, suggested", [
    ("epsilonn", "epsilon"), ("scenario.pp", "scenario.p"), ("scenaro.p", "scenario.p"), ("scenario.zzz", None),
    ("zzz", None), ("mechanism.knd", "mechanism.kind"),
])
def test_did_you_mean_looks_in_the_keys_group(key, suggested):
    from simprive.validation import did_you_mean

    known = ["epsilon", "delta", "scenario", "scenario.p", "scenario.low", "mechanism", "mechanism.kind"]
    assert did_you_mean(key, known) == (f"did you mean {suggested}? " if suggested else "")


def test_an_errors_context_keeps_the_innermost_values():
    # a multirun job sweeps candidates=[2,20] inside: the job's error already names 20
    inner = ConfigError("margin", 0.05, "too large", {"candidates": 20})
    assert inner.at({"candidates": "[2,20]", "n": 100}).context == {"candidates": 20, "n": 100}
    assert inner.at({"margin": 0.05}) is inner
    assert str(inner.at({"n": 100})) == "invalid margin=0.05 with n=100, candidates=20: too large"

"""Exponential mechanism: exact probabilities, both samplers against them, the utility bound.

Samplers are checked vectorised: a (T, k) score array with one row repeated T times, one
selection per row, then a chi-square goodness of fit against ``probabilities``.  Seeds
are fixed, so the tests are deterministic.
"""

import math

import numpy as np
import pytest
from scipy import stats

from simprive.dp import Exponential, gumbel_max_law
from simprive.validation import ConfigError

T = 200_000
P_MIN = 1e-3

SCORES = np.array([0.0, 1.0, 2.0, 4.0, 3.0, 0.5])
SETTINGS = [(1.0, 1.0), (2.0, 3.0), (0.5, 0.25)]  # (ε, Δu)
SAMPLERS = ["select", "select_gumbel"]


def softmax_by_hand(scores, epsilon, sensitivity):
    w = np.exp(epsilon * (scores - scores.max(axis=-1, keepdims=True)) / (2 * sensitivity))
    return w / w.sum(axis=-1, keepdims=True)


# ----------------------------------------------------------------------------- probabilities


@pytest.mark.parametrize("epsilon,sensitivity", SETTINGS)
def test_exponential_probabilities_are_softmax_of_eps_u_over_two_delta(epsilon, sensitivity):
    scores = np.random.default_rng(1).uniform(-5, 5, size=(50, 7))
    probs = Exponential(epsilon=epsilon, sensitivity=sensitivity).probabilities(scores)
    assert probs.shape == scores.shape
    np.testing.assert_allclose(probs, softmax_by_hand(scores, epsilon, sensitivity), rtol=1e-12)
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-14)


@pytest.mark.parametrize("epsilon,sensitivity", SETTINGS)
def test_gumbel_max_law_by_quadrature_is_the_softmax(epsilon, sensitivity):
    """The expected column of a selection comes from quadrature of the Gumbel-max law, a
    route independent of the softmax the inverse-CDF sampler uses: the two must agree."""
    rng = np.random.default_rng(2)
    scores = np.concatenate([rng.uniform(-5, 5, size=(50, 7)), rng.integers(0, 3, size=(20, 7)),  # ties
                             rng.uniform(0, 1e4, size=(20, 7))])  # gaps of thousands of scales
    law = gumbel_max_law(scores, 2 * sensitivity / epsilon)
    np.testing.assert_allclose(law, softmax_by_hand(scores, epsilon, sensitivity), atol=1e-9)


def test_exponential_probability_ratio_is_exp_of_score_gap():
    """P(y)/P(y') = exp(ε(u(y) − u(y'))/(2Δu))."""
    mech = Exponential(epsilon=1.3, sensitivity=2.0)
    probs = mech.probabilities(SCORES)
    expected = np.exp(1.3 * (SCORES[:, None] - SCORES[None, :]) / 4.0)
    np.testing.assert_allclose(probs[:, None] / probs[None, :], expected, rtol=1e-12)


def test_exponential_probabilities_ignore_a_constant_shift_and_do_not_overflow():
    mech = Exponential(epsilon=1.0)
    shifted = mech.probabilities(SCORES + 1e6)
    np.testing.assert_allclose(shifted, mech.probabilities(SCORES), rtol=1e-9)
    huge = mech.probabilities(np.array([0.0, 1e4, 2e4]))
    assert np.all(np.isfinite(huge)) and huge[2] == pytest.approx(1.0)


@pytest.mark.parametrize("epsilon,sensitivity", SETTINGS)
def test_exponential_is_epsilon_dp_for_scores_within_sensitivity(epsilon, sensitivity):
    """Neighbouring datasets move each score by at most Δu: every selection probability
    changes by a factor of at most e^ε (checked on 2 000 random neighbouring pairs)."""
    rng = np.random.default_rng(2)
    scores = rng.uniform(-10, 10, size=(2000, 8))
    neighbour = scores + rng.uniform(-sensitivity, sensitivity, size=scores.shape)
    neighbour[:5] = scores[:5] + sensitivity * np.sign(rng.standard_normal((5, 8)))  # extremes
    mech = Exponential(epsilon=epsilon, sensitivity=sensitivity)
    log_ratio = np.log(mech.probabilities(scores)) - np.log(mech.probabilities(neighbour))
    assert np.abs(log_ratio).max() <= epsilon * (1 + 1e-9)


# ----------------------------------------------------------------------------- samplers


@pytest.mark.parametrize("sampler", SAMPLERS)
@pytest.mark.parametrize("seed,epsilon,sensitivity", [(10 + i, *s) for i, s in enumerate(SETTINGS)])
def test_exponential_sampler_matches_probabilities(sampler, seed, epsilon, sensitivity):
    mech = Exponential(epsilon=epsilon, sensitivity=sensitivity)
    scores = np.tile(SCORES, (T, 1))
    picks = getattr(mech, sampler)(scores, np.random.default_rng(seed + 100 * (sampler == "select_gumbel")))
    assert picks.shape == (T,)
    assert np.issubdtype(picks.dtype, np.integer)
    observed = np.bincount(picks, minlength=SCORES.size)
    expected = T * mech.probabilities(SCORES)
    assert expected.min() >= 5
    result = stats.chisquare(observed, expected * T / expected.sum())
    assert result.pvalue > P_MIN, (observed, expected, result)


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_exponential_sampler_uses_each_rows_own_scores(sampler):
    """Two different score rows interleaved in one (T, k) array: each row's selections
    follow that row's probabilities."""
    mech = Exponential(epsilon=1.0)
    rows = np.array([[0.0, 2.0, 4.0, 1.0], [4.0, 0.0, 1.0, 3.0]])
    scores = np.tile(rows, (T // 2, 1))
    picks = getattr(mech, sampler)(scores, np.random.default_rng(20))
    for r in range(2):
        observed = np.bincount(picks[r::2], minlength=4)
        expected = (T // 2) * mech.probabilities(rows[r])
        assert stats.chisquare(observed, expected * (T // 2) / expected.sum()).pvalue > P_MIN, r


def test_exponential_select_and_select_gumbel_have_the_same_law():
    mech = Exponential(epsilon=0.8, sensitivity=1.0)
    scores = np.tile(SCORES, (T, 1))
    a = np.bincount(mech.select(scores, np.random.default_rng(21)), minlength=SCORES.size)
    b = np.bincount(mech.select_gumbel(scores, np.random.default_rng(22)), minlength=SCORES.size)
    result = stats.chi2_contingency(np.vstack([a, b]))
    assert result.pvalue > P_MIN, result


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_exponential_sampler_detects_a_wrong_epsilon(sampler):
    """The goodness-of-fit test has power: probabilities at 1.1 ε are rejected."""
    scores = np.tile(SCORES, (T, 1))
    picks = getattr(Exponential(epsilon=1.0), sampler)(scores, np.random.default_rng(23))
    wrong = T * Exponential(epsilon=1.1).probabilities(SCORES)
    assert stats.chisquare(np.bincount(picks, minlength=SCORES.size), wrong * T / wrong.sum()).pvalue < P_MIN


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_exponential_sampler_accepts_a_single_score_vector(sampler):
    pick = getattr(Exponential(epsilon=1.0), sampler)(SCORES, np.random.default_rng(24))
    assert np.ndim(pick) == 0 and 0 <= int(pick) < SCORES.size


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_exponential_sampler_never_picks_a_zero_probability_candidate(sampler):
    """Scores so far below the best that their weight underflows to 0 are never selected."""
    mech = Exponential(epsilon=1.0)
    scores = np.tile([-1e5, 0.0, -1e5, 0.0, -1e5], (T // 4, 1))
    picks = getattr(mech, sampler)(scores, np.random.default_rng(25))
    assert set(np.unique(picks)) == {1, 3}


# ----------------------------------------------------------------------------- utility bound


@pytest.mark.parametrize("k,t", [(10, 1.0), (6, 0.5), (1000, 3.0)])
def test_exponential_utility_threshold_formula(k, t):
    mech = Exponential(epsilon=0.7, sensitivity=2.0)
    assert mech.utility_threshold(k, t) == pytest.approx(2 * 2.0 * (math.log(k) + t) / 0.7, rel=1e-14)


@pytest.mark.parametrize("t", [0.1, 0.5, 1.0, 2.0, 4.0])
def test_exponential_utility_bound_holds_exactly_on_random_scores(t):
    """Σ P(y) over y with u(y) ≤ OPT − 2Δu(ln|Y| + t)/ε is at most e^−t (exact probabilities)."""
    rng = np.random.default_rng(30)
    mech = Exponential(epsilon=0.5, sensitivity=1.0)
    for k in (2, 10, 100):
        scores = rng.uniform(0, 100, size=(2000, k)) * rng.uniform(0, 1, size=(2000, 1))
        probs = mech.probabilities(scores)
        bad = scores <= scores.max(axis=1, keepdims=True) - mech.utility_threshold(k, t)
        assert (probs * bad).sum(axis=1).max() <= math.exp(-t) * (1 + 1e-12)


def tight_scores(mech, k, t):
    """OPT = 0 for one candidate, all k − 1 others exactly at the threshold: the bad event
    has probability ((k−1)/k)e^−t / (1 + ((k−1)/k)e^−t), close to the bound."""
    scores = np.full(k, -mech.utility_threshold(k, t))
    scores[0] = 0.0
    return scores


@pytest.mark.parametrize("sampler", SAMPLERS)
@pytest.mark.parametrize("t", [0.25, 1.0, 2.0])
def test_exponential_utility_bound_holds_empirically(sampler, t):
    """One-sided: the 99.9% Clopper–Pearson lower bound of the observed shortfall rate is
    below e^−t, on the tight construction and on a fixed random score vector."""
    k, trials = 20, 100_000
    mech = Exponential(epsilon=1.0, sensitivity=1.0)
    rng = np.random.default_rng(31 + int(10 * t) + 1000 * (sampler == "select_gumbel"))
    for scores in (tight_scores(mech, k, t), np.sort(rng.uniform(0, 20, size=k))):
        picks = getattr(mech, sampler)(np.tile(scores, (trials, 1)), rng)
        shortfall = scores[picks] <= scores.max() - mech.utility_threshold(k, t)
        hits = int(shortfall.sum())
        test = stats.binomtest(hits, trials, math.exp(-t), alternative="greater")
        assert test.pvalue > P_MIN, (hits / trials, math.exp(-t))
        lower = test.proportion_ci(confidence_level=1 - P_MIN, method="exact").low
        assert lower <= math.exp(-t)
        # and the observed rate is the exact probability of the event (two-sided)
        exact = (mech.probabilities(scores) * (scores <= scores.max() - mech.utility_threshold(k, t))).sum()
        assert stats.binomtest(hits, trials, exact).pvalue > P_MIN


def test_exponential_tight_construction_is_close_to_the_bound():
    """The bound is nearly attained, so the empirical test above has something to test."""
    mech = Exponential(epsilon=1.0)
    k, t = 100, 1.0
    scores = tight_scores(mech, k, t)
    probs = mech.probabilities(scores)
    a = (k - 1) / k * math.exp(-t)
    assert probs[1:].sum() == pytest.approx(a / (1 + a), rel=1e-12)
    assert probs[1:].sum() > 0.7 * math.exp(-t)


# ----------------------------------------------------------------------------- parameters


@pytest.mark.parametrize("sensitivity", [0, -1.0, math.nan, math.inf, True])
def test_exponential_rejects_invalid_sensitivity(sensitivity):
    with pytest.raises(ConfigError) as err:
        Exponential(epsilon=1.0, sensitivity=sensitivity)
    assert err.value.key == "sensitivity"


@pytest.mark.parametrize("epsilon", [0, -1.0, math.nan, math.inf, False, None])
def test_exponential_rejects_invalid_epsilon(epsilon):
    with pytest.raises(ConfigError) as err:
        Exponential(epsilon=epsilon)
    assert err.value.key == "epsilon"

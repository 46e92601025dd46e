"""Attacks: exact posteriors and leakage against what the simulation measures."""

import numpy as np
import pytest

from helpers import assert_agrees
from simprive import ConfigError, run_experiment
from simprive.attacks.unanimity import VoteAttack


@pytest.mark.parametrize("p", [0.5, 0.9])
def test_referendum_agrees_with_exact_leakage(p):
    s = run_experiment("referendum", [f"scenario.p={p}", "trials=20000",
                                      "adversary.known_fraction=[0.0,0.5,1.0]"]).summary
    assert_agrees(s)


@pytest.mark.parametrize("n, known, p", [(5, 0, 0.5), (11, 4, 0.9), (11, 10, 0.7), (30, 3, 0.2)])
def test_exact_tally_exposure_is_the_closed_form(n, known, p):
    m = n - 1 - known
    P, _ = VoteAttack("tally", n, known, p).table()
    exposed = P[1, -1] + P[0, 0]  # w = m + 1 (all unknown votes 1, target 1) or w = 0
    assert exposed == pytest.approx(p ** (m + 1) + (1 - p) ** (m + 1))


def test_posterior_is_bayes_on_the_tally():
    # n = 3, nothing known, tally t = 2, p = 0.5: P(x0 = 1 | t = 2) = 2/3
    P, _ = VoteAttack("tally", 3, 0, 0.5).table()
    assert P[1, 2] / P[:, 2].sum() == pytest.approx(2 / 3)


def test_dp_tally_bounds_the_posterior_odds_by_e_to_epsilon():
    eps, p = 1.0, 0.5
    P, _ = VoteAttack("dp_tally", 11, 10, p, eps).table()
    odds = (P[1] / P[0]) / (p / (1 - p))
    assert np.all(odds <= np.exp(eps) * (1 + 1e-9)) and np.all(odds >= np.exp(-eps) * (1 - 1e-9))


def test_threshold_leaks_less_than_the_tally():
    s = run_experiment("referendum", ["scenario.p=0.9", "adversary.known_fraction=0.5", "trials=2000"]).summary
    exposed = s[s.metric == "exposed"].set_index("mechanism").expected
    assert exposed["mpc_threshold"] < exposed["mpc_tally"] / 100
    assert exposed["geometric"] == 0 and exposed["rr"] == 0


@pytest.mark.parametrize("overrides, key", [
    (["adversary.known_fraction=1.5"], "adversary.known_fraction"),
    (["adversary.known=11"], "adversary.known"),
    (["mechanism.path=counts", "mechanism.kind=rr"], "mechanism.path"),
    (["mechanism.kind=laplace"], "mechanism"),
    (["adversary.colluders=2"], "adversary.colluders"),
])
def test_bad_adversary_configuration_names_the_key(overrides, key):
    with pytest.raises(ConfigError) as err:
        run_experiment("referendum", overrides)
    assert err.value.key == key

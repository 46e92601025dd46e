"""Attacks: exact posteriors and leakage against what the simulation measures."""

import math

import numpy as np
import pandas as pd
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


def test_dp_releases_stay_within_their_bounds_whatever_the_prior():
    res = run_experiment("referendum", ["mechanism.kind=[geometric,rr]", "scenario.p=[0.5,0.9]", "epsilon=[0.5,2.0]",
                                        "adversary.known_fraction=[0.0,1.0]", "trials=20000", "save_trials=true"])
    s = res.summary
    rows = s.pivot_table(index="config_hash", columns="metric", values=["value", "ci_low"])
    p = s.groupby("config_hash")["scenario.p"].first()
    eps = s.groupby("config_hash")["epsilon"].first()
    # the bounds, written out: the prior's best guess or randomized response's keep rate; the
    # posterior odds moved by at most e^ε
    keep = np.exp(eps) / (1 + np.exp(eps))
    np.testing.assert_allclose(rows["value", "accuracy_bound"], np.maximum(np.maximum(p, 1 - p), keep))
    np.testing.assert_allclose(rows["value", "posterior_bound"], p * np.exp(eps) / (p * np.exp(eps) + 1 - p))
    assert (rows["ci_low", "attack_correct"] <= rows["value", "accuracy_bound"]).all()
    t = res.trials
    worst = t[t.metric == "max_posterior"].groupby("config_hash").value.max()  # every trial's posterior
    assert (worst <= rows["value", "posterior_bound"] * (1 + 1e-12)).all()
    # with prior 0.9, 90% is guessed before any release: more than e^ε/(1+e^ε) = 0.62 at ε = 0.5
    hi = s[(s.metric == "attack_correct") & (s["scenario.p"] == 0.9) & (s.epsilon == 0.5)]
    assert (hi.value > 0.89).all() and (hi.value > np.exp(0.5) / (1 + np.exp(0.5)) + 0.2).all()


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


# == privacy auditing =====================================================================
from simprive.attacks.audit import epsilon_lower_bound, max_certifiable  # noqa: E402


@pytest.fixture(scope="module")
def audit():
    s = run_experiment("audit", ["trials=100000", "epsilon=[0.5,2.0]", "adversary.known_fraction=1.0"]).summary
    return s[s.metric == "epsilon_lb"].set_index(["mechanism", "epsilon"])


@pytest.mark.parametrize("mechanism", ["laplace", "geometric", "rr", "analytic_gaussian"])
def test_sound_mechanisms_certify_at_most_their_claim(audit, mechanism):
    for eps in (0.5, 2.0):
        row = audit.loc[(mechanism, eps)]
        truth = row.expected if row.expected == row.expected else eps  # Gaussian: its claimed ε
        # a 1 − 2α lower bound: allow the small overshoot that α permits, never a large one
        assert row.value <= truth * 1.05
        if mechanism != "analytic_gaussian":
            assert row.value >= 0.7 * truth  # and the game is tight: it finds most of ε


@pytest.mark.parametrize("mechanism, eps", [("broken_svt", 0.5), ("broken_svt", 2.0), ("broken_no_clamp", 0.5),
                                            ("broken_no_clamp", 2.0), ("broken_laplace_scale", 0.5)])
def test_broken_mechanisms_are_caught(audit, mechanism, eps):
    assert audit.loc[(mechanism, eps)].value > 1.5 * eps


def test_scale_epsilon_bug_only_shows_below_epsilon_one(audit):
    # noise of scale ε instead of 1/ε over-noises when ε > 1: the audit rightly finds no violation
    assert audit.loc[("broken_laplace_scale", 2.0)].value <= 2.0


def test_the_claimed_epsilon_is_reported_not_checked():
    s = run_experiment("audit", ["mechanism.kind=laplace", "epsilon=1.0", "trials=1000"]).summary
    claimed = s[s.metric == "epsilon_claimed"].iloc[0]
    assert claimed.value == 1.0 and np.isnan(claimed.expected) and pd.isna(claimed.agreement)


def test_auditor_self_check_certifies_nothing_for_a_data_blind_release(audit):
    assert audit.loc[("ignore_input", 0.5)].value == 0 and audit.loc[("ignore_input", 2.0)].value == 0


def test_noisy_max_releasing_its_value_is_caught():
    s = run_experiment("audit", ["mechanism.kind=broken_noisy_max", "epsilon=[0.5,2.0]", "trials=200000",
                                 "adversary.known_fraction=1.0"]).summary
    lb = s[s.metric == "epsilon_lb"].set_index("epsilon")
    assert np.allclose(lb.expected / lb.index.to_numpy(), 1.5, rtol=1e-3)  # exact loss: 1.5ε
    assert (lb.value > lb.index.to_numpy() * 1.1).all() and (lb.value <= lb.expected * 1.05).all()


@pytest.mark.slow
def test_audit_of_the_exponential_mechanism():
    s = run_experiment("audit", ["scenario=approval", "query=auto", "mechanism.kind=[exponential,noisy_max]",
                                 "epsilon=1.0", "trials=100000", "adversary.known_fraction=1.0"]).summary
    lb = s[s.metric == "epsilon_lb"]
    assert (lb.value <= lb.expected * 1.05).all() and (lb.value >= 0.7 * lb.expected).all()


def test_perfect_test_certifies_about_log_n_over_log_1_over_alpha():
    # no error in n runs: each rate's one-sided bound is 1 − α^(1/n) ≈ ln(1/α)/n
    for n in (1000, 100000):
        assert max_certifiable(n) == pytest.approx(np.log(n / np.log(1 / 0.05)), rel=1e-3)
    assert max_certifiable(100000) == pytest.approx(10.4157, abs=1e-4)  # not ln(N/ln(2/α)) = 10.2076
    assert float(epsilon_lower_bound(500, 500, 1000, 1000)) == 0.0  # a coin flip certifies nothing


def test_too_few_trials_are_refused_saying_how_many_are_needed():
    with pytest.raises(ConfigError) as err:
        run_experiment("audit", ["mechanism.kind=laplace", "epsilon=4", "trials=40"])
    assert err.value.key == "trials" and "can certify at most epsilon=1.82" in str(err.value)
    assert "at least 332 are needed" in str(err.value)
    run_experiment("audit", ["mechanism.kind=laplace", "epsilon=4", "trials=332", "adversary.known_fraction=1"])


def test_broken_mechanism_outside_an_audit_is_refused():
    with pytest.raises(ConfigError) as err:
        run_experiment("audit", ["mechanism.kind=broken_svt", "adversary=none", "~adversary.known_fraction"])
    assert err.value.key == "mechanism"


# == differencing, side information, repetition ===========================================
@pytest.mark.parametrize("name, extra", [
    ("differencing", ["adversary.known_fraction=[0.0,0.5,1.0]"]),
    ("breach", ["adversary.sigma=[0.0,30.0]"]),
    ("composition", ["adversary.releases=[1,4,16]"]),
])
def test_sum_attacks_agree_with_closed_forms(name, extra):
    assert_agrees(run_experiment(name, ["trials=20000", *extra]).summary)


def test_exact_total_gives_the_target_away_when_everyone_else_is_known():
    s = run_experiment("differencing", ["adversary.known_fraction=1.0", "adversary.second_release=false",
                                        "trials=500"]).summary
    exact = s[s.metric == "recon_exact"].set_index("mechanism").value
    assert exact["mpc_sum"] == 1.0 and exact["laplace"] == 0.0


def test_dp_error_never_falls_below_the_noise():
    s = run_experiment("differencing", ["adversary.known_fraction=1.0", "adversary.second_release=false",
                                        "trials=20000", "mechanism.kind=laplace", "epsilon=1.0"]).summary
    row = s[s.metric == "recon_sq_error"].iloc[0]
    assert row.expected == pytest.approx(2 * (100 / 1.0) ** 2)  # 2b², b = Δ/ε


def test_averaging_trades_error_for_budget():
    s = run_experiment("composition", ["epsilon=0.1", "adversary.releases=[1,64]", "trials=20000"]).summary
    err = s[s.metric == "average_sq_error"].set_index("aux").expected
    spent = s[s.metric == "epsilon_basic"].set_index("aux").value
    assert err[64] == pytest.approx(err[1] / 64) and spent[64] == pytest.approx(64 * 0.1)
    assert s[s.metric.str.startswith("epsilon_") & (s.metric != "epsilon_lb")].expected.isna().all()  # reported


@pytest.fixture(scope="module")
def composition():
    s = run_experiment("composition", ["trials=40000"]).summary
    return s.pivot_table(index=["epsilon", "aux"], columns="metric", values="value")


@pytest.mark.slow
def test_composition_bounds_are_ordered(composition):
    c, tol = composition, 1e-3
    # a measured lower bound below the tightest upper bound, which is below every other one
    assert (c.epsilon_lb <= c.epsilon_pld * (1 + tol)).all()
    assert (c.epsilon_pld <= np.minimum.reduce([c.epsilon_rdp, c.epsilon_advanced, c.epsilon_basic]) + tol).all()
    # one release: basic composition is exact and PLD finds it; Rényi and advanced exceed it
    one = c.xs(1, level="aux")
    assert np.allclose(one.epsilon_pld, one.epsilon_basic, rtol=tol)
    assert (one.epsilon_rdp > one.epsilon_basic).all() and (one.epsilon_advanced > one.epsilon_basic).all()
    # many small releases: Rényi and advanced composition beat basic; at ε = 1 advanced never does
    many = c.loc[(0.1, 100)]
    assert many.epsilon_rdp < many.epsilon_basic and many.epsilon_advanced < many.epsilon_basic
    assert (c.xs(1.0, level="epsilon").epsilon_advanced > c.xs(1.0, level="epsilon").epsilon_basic).all()
    # the audit finds most of the budget where its runs can certify it
    few = c.xs(0.1, level="epsilon").loc[[1, 2, 4]]
    assert (few.epsilon_lb > 0.6 * few.epsilon_pld).all()


def test_composition_of_gaussian_releases():
    # per-release δ0 = 1e-8, reported at δ = 1e-5: basic composition holds while r·δ0 ≤ δ
    s = run_experiment("composition", ["mechanism=analytic_gaussian", "delta=1e-8", "adversary.releases=[1,10,100]",
                                       "trials=20000", "epsilon=1.0"]).summary
    assert_agrees(s)
    c = s.pivot_table(index="aux", columns="metric", values="value")
    assert (c.epsilon_lb <= c.epsilon_pld * 1.001).all() and (c.epsilon_pld <= c.epsilon_rdp + 1e-3).all()
    assert (c.epsilon_pld < c.epsilon_basic).all()  # Gaussian noise composes far better than r·ε


@pytest.mark.parametrize("name, overrides, key", [
    ("breach", ["adversary.sigma=-1"], "adversary.sigma"),
    ("differencing", ["adversary.known=20"], "adversary.known"),
    ("differencing", ["adversary.known_fraction=-0.1"], "adversary.known_fraction"),
    ("composition", ["adversary.releases=0"], "adversary.releases"),
    ("composition", ["mechanism=exact"], "mechanism"),
    ("differencing", ["scenario=categorical", "~scenario.integer"], "scenario"),
])
def test_bad_attack_configuration_names_the_key(name, overrides, key):
    with pytest.raises(ConfigError) as err:
        run_experiment(name, overrides)
    assert err.value.key == key


# == collusion ============================================================================
@pytest.mark.parametrize("name", ["collusion", "collusion_shamir"])
def test_collusion_agrees_with_closed_forms(name):
    assert_agrees(run_experiment(name, ["trials=5000"]).summary)


def test_shamir_threshold_is_sharp():
    s = run_experiment("collusion_shamir", ["mechanism.t=2", "trials=500"]).summary
    exact = s[s.metric == "recon_exact"].set_index("aux").value
    assert exact[2] == 0.0 and exact[3] == 1.0


def test_integer_shares_leak_below_the_threshold():
    s = run_experiment("collusion", ["adversary.colluders=3", "trials=5000"]).summary
    err = s[s.metric == "recon_sq_error"].set_index("mechanism.field").value
    assert err["integers"] < 0.5 * err["mersenne61"]


def test_coalition_larger_than_the_servers_is_refused():
    with pytest.raises(ConfigError) as err:
        run_experiment("collusion", ["adversary.colluders=6"])
    assert err.value.key == "adversary.colluders"


# == set intersection: PSI against DP =====================================================
def test_dp_intersection_agrees_and_psi_is_exact():
    s = run_experiment("set_intersection_dp", ["trials=5000", "scenario.size_x=[5,30]", "scenario.overlap=5",
                                               "adversary.prior=[0.1,0.5]"]).summary
    assert_agrees(s)
    exact = s[(s.metric == "exact_match") & (s.aux == 0.5)].set_index(["mechanism", "scenario.size_x"]).value
    assert exact["mpc_psi"].eq(1.0).all() and exact[("dp_rr_intersection", 30)] < 0.01
    guess = s[s.metric == "member_guess_accuracy"]
    assert (guess[guess.mechanism == "mpc_psi"].value == 1.0).all()


@pytest.mark.parametrize("neighbours", ["replace", "add_remove"])
def test_dp_intersection_is_epsilon_dp_under_either_neighbour_relation(neighbours):
    """X = {a, b}; Y = {a, c} against its neighbour: {b, c} (one item replaced: two of party
    0's answers change) or {c} (one removed: one changes).  The release's own answers, run
    on both, give the most likely answer pair a likelihood ratio of e^ε, measured."""
    from simprive.contracts import Data
    from simprive.releases import build_release
    from simprive.scenarios import build_scenario

    scenario = build_scenario({"kind": "sets", "universe": 10, "size_x": 2, "size_y": 2, "overlap": 1})
    rel = build_release({"kind": "dp_rr_intersection"}, query="intersection", scenario=scenario, epsilon=1.0,
                        delta=0.0, n=2, lower=0.0, upper=1.0, neighbours=neighbours)
    assert rel.epsilon == 1.0 and "neighbours" not in rel.ignores
    T, a, b, c = 400_000, 1, 2, 3
    x = np.tile([a, b], (T, 1))
    other = [b, c] if neighbours == "replace" else [c, c]  # a repeated item is one item
    said = {}
    for name, y in (("Y", [a, c]), ("Y'", other)):
        out = rel.run(Data(2, values=x, other={"set_y": np.tile(y, (T, 1))}), np.random.default_rng(7))
        said[name] = (out.observed["in_set"] == [True, False]).all(axis=1).mean()
    ratio = math.log(said["Y"] / said["Y'"])
    se = math.sqrt((1 - said["Y"]) / (T * said["Y"]) + (1 - said["Y'"]) / (T * said["Y'"]))
    assert abs(ratio - 1.0) < 5 * se, (ratio, se)


def test_membership_prior_must_be_a_probability():
    with pytest.raises(ConfigError) as err:
        run_experiment("set_intersection_dp", ["adversary.prior=1.5"])
    assert err.value.key == "adversary.prior"


# == floating point ========================================================================
from simprive.attacks.floating_point import reachable  # noqa: E402


def test_reachability_is_exact_on_numpys_own_outputs():
    rng = np.random.default_rng(5)
    y = 1.0 + rng.laplace(0.0, 0.7, 20000)
    assert reachable(y, 1.0, 0.7).mean() > 0.999  # every true output is reachable from its input
    assert reachable(y, 0.0, 0.7).mean() < 0.5  # most are not reachable from the neighbour


def _reachable_by_enumeration(y: float, t: float, scale: float) -> bool:
    """numpy's Laplace sampler replayed with C's log on every grid point U near the inverse
    of y, in a window four times wider than the attack's."""
    for u0, draw in ((math.exp((y - t) / scale) / 2, lambda u: t + scale * math.log(u + u) if 0 < u < 0.5 else None),
                     ((2 - math.exp(-(y - t) / scale)) / 2,
                      lambda u: t - scale * math.log(2.0 - u - u) if 0.5 <= u < 1 else None)):
        if math.isfinite(u0):
            k = round(u0 * 2.0**53)
            if any(draw((k + j) * 2.0**-53) == y for j in range(-64, 65)):
                return True
    return False


@pytest.mark.parametrize("t, scale", [(0.0, 0.7), (3.0, 2.0), (9.0, 0.5)])
def test_vectorised_reachability_agrees_with_enumerating_the_sampler(t, scale):
    rng = np.random.default_rng(11)
    y = np.concatenate([t + rng.laplace(0.0, scale, 300), t + 1 + rng.laplace(0.0, scale, 300),
                        np.rint(t + rng.laplace(0.0, scale, 100))])  # integer outputs, as a geometric release's
    expected = np.array([_reachable_by_enumeration(v, t, scale) for v in y])
    assert expected.sum() >= 100 and (~expected).sum() >= 20  # both answers are exercised
    np.testing.assert_array_equal(reachable(y, t, scale), expected)


def test_floating_point_laplace_is_broken_and_geometric_is_not():
    s = run_experiment("floating_point", ["trials=40000", "epsilon=[0.5,2.0]", "adversary.known_fraction=1.0"]).summary
    lb = s[s.metric == "epsilon_lb"].set_index(["mechanism", "epsilon"]).value
    assert lb[("laplace", 0.5)] > 10 * 0.5 and lb[("laplace", 2.0)] > 3 * 2.0
    assert lb[("geometric", 0.5)] <= 0.5 * 1.05 and lb[("geometric", 2.0)] <= 2.0 * 1.05


# == outlier dominance =====================================================================
def test_outlier_is_read_off_an_exact_total_but_hidden_by_a_dp_one():
    s = run_experiment("outlier_sum", ["upper=[1000000.0]", "trials=2000", "adversary.known_fraction=1.0"]).summary
    rec = s[s.metric == "recon_exact"].set_index("mechanism").value
    err = s[s.metric == "recon_sq_error"].set_index("mechanism")
    assert rec["exact"] == 1.0 and rec["laplace"] == 0.0
    # the DP total's noise alone: 2b², b = upper/ε
    assert err.loc["laplace", "expected"] == pytest.approx(2 * 1e6**2)
    assert abs(err.loc["laplace", "value"] / err.loc["laplace", "expected"] - 1) < 0.15


def test_clamping_the_outlier_is_a_bias_with_a_closed_form():
    s = run_experiment("outlier_sum", ["upper=[30000.0]", "mechanism.kind=exact", "trials=5000",
                                       "adversary.known_fraction=1.0", "scenario.shape=4.0"]).summary
    row = s[s.metric == "error"].iloc[0]
    # the outlier's own clipping, 30000 − 200000, dominates; the rest is the others' tail
    assert row.expected == pytest.approx(30000 - 200000, rel=0.01)
    # the others clip with probability (1/30)^4 per party: their share of the bias is rare
    assert row.value == pytest.approx(row.expected, rel=1e-5)


def test_heavy_tail_clip_moments_match_a_numerical_integral():
    from scipy import integrate

    from simprive.scenarios import Heavy

    h = Heavy(shape=2.5, scale=1000.0, outlier=None)
    m1, _ = h.clip_moments(0.0, 10000.0)
    direct = integrate.quad(lambda x: (10000.0 - x) * h.dist.pdf(x), 10000.0, np.inf)[0]
    assert m1 == pytest.approx(direct, rel=1e-6)
    # closed form for a Pareto tail: E[(U − X); X > U] = −U (scale/U)^a / (a − 1)
    assert m1 == pytest.approx(-10000.0 * 0.1**2.5 / 1.5, rel=1e-6)


def test_an_auditor_who_does_not_know_the_others_certifies_less():
    s = run_experiment("audit", ["mechanism.kind=laplace", "epsilon=1.0", "trials=100000",
                                 "adversary.known_fraction=[0.0,1.0]"]).summary
    lb = s[s.metric == "epsilon_lb"].set_index("aux")
    assert lb.value[0] < lb.value[9] <= 1.05 and np.isnan(lb.expected[0]) and lb.expected[9] == 1.0


@pytest.mark.slow
def test_floating_point_attack_weakens_without_the_others_inputs():
    s = run_experiment("floating_point", ["mechanism.kind=laplace", "epsilon=1.0", "trials=40000",
                                          "adversary.known_fraction=[0.0,1.0]"]).summary
    lb = s[s.metric == "epsilon_lb"].set_index("aux").value
    assert lb[9] > 3 * lb[0] and lb[0] > 1.0  # still beyond the claim, far less so


# == review regressions ===================================================================
def test_count_of_real_valued_inputs_is_refused():
    with pytest.raises(ConfigError) as err:
        run_experiment("bounded_sum", ["query=count"])
    assert err.value.key == "query"


def test_sum_attacks_refuse_a_released_mean():
    with pytest.raises(ConfigError) as err:
        run_experiment("differencing", ["query=mean"])
    assert err.value.key == "query"


def test_reachability_uses_the_samplers_own_scale():
    from simprive.dp import Laplace

    eps, delta_in = 0.06993, 100.0  # Δ/ε and (1/ε)·Δ differ in the last bit here
    mech = Laplace(epsilon=eps, sensitivity=delta_in)
    y = mech.randomise(np.full(5000, delta_in), np.random.default_rng(2))
    assert reachable(y, delta_in, mech.scale).mean() > 0.999


def test_config_hash_survives_a_csv_round_trip(tmp_path):
    from simprive.results import read_summary

    (tmp_path / "summary.csv").write_text("config_hash,value\n012345678901,1\n123e45678901,2\n")
    assert list(read_summary(tmp_path).config_hash) == ["012345678901", "123e45678901"]


def test_a_game_is_played_once_over_all_trials_even_when_data_come_in_chunks():
    # 500 inputs a trial: 100,000 trials are simulated in chunks of 8,388; the auditor's game
    # and the budgets are per configuration, one number for all trials
    s = run_experiment("composition", ["n=500", "trials=100000", "epsilon=1.0", "adversary.releases=4"]).summary
    lb = s[s.metric == "epsilon_lb"].iloc[0]
    assert lb["std"] == 0 and lb.value > 0.8 * 4 and lb.trials == 100000


def test_a_threshold_rarely_saying_no_is_checked_with_its_exact_spread():
    # with p = 0.9 the vote is "NO" once in ~3,000 referendums: 4,000 trials barely show it,
    # so their own spread is ~0 and a plain z-test would call 1e-4 off a contradiction; the
    # table's exact spread says it is one standard error
    s = run_experiment("referendum", ["scenario.p=0.9", "mechanism.kind=mpc_threshold"]).summary
    assert (s.agreement.dropna() == "agrees").all()
    post = s[s.metric == "max_posterior"]
    assert (post["std"] < 1e-3).any() and (post.z.abs() < 3).all()


def test_the_vote_attack_reads_any_release_by_what_it_exposes():
    # an exact MPC sum of the votes is an exact tally; MPC adding Pólya noise shares a DP
    # tally: neither named in the attack, both read through what they offer
    s = run_experiment("referendum", ["mechanism.kind=[mpc_sum,mpc_noisy_sum]", "scenario.p=0.5", "trials=4000",
                                      "adversary.known_fraction=[0.0,1.0]"]).summary
    assert_agrees(s)
    exposed = s[s.metric == "exposed"].set_index(["mechanism", "aux"]).value
    assert exposed[("mpc_sum", 10)] == 1.0 and exposed[("mpc_noisy_sum", 10)] == 0.0

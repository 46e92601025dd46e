"""The presets' simulations agree with their closed forms (DESIGN.md §4)."""

import math

import numpy as np
import pytest
from helpers import assert_agrees, z_scores
from scipy import stats

from simprive import ConfigError, run_experiment


@pytest.mark.parametrize("name", ["poll", "bounded_sum", "approval_vote"])
def test_preset_agrees_with_closed_forms(presets, name):
    assert_agrees(presets[name])


def test_preset_z_scores_look_standard_normal(presets):
    # beyond "no outlier": across hundreds of rows the z-scores should be N(0, 1)-ish
    z = np.concatenate([z_scores(s)["z"].dropna().to_numpy() for s in presets.values()])
    assert len(z) > 300
    assert stats.kstest(z, "norm").pvalue > 1e-4


def test_poll_sq_error_expected_is_rr_variance(presets):
    s = presets["poll"]
    row = s[(s.metric == "sq_error") & (s.n == 1000) & np.isclose(s.epsilon, 1.0) & (s["scenario.p"] == 0.5)].iloc[0]
    pi = math.e / (1 + math.e)
    assert row.expected == pytest.approx(pi * (1 - pi) / (1000 * (2 * pi - 1) ** 2))


def test_article_rr_variance_is_three_over_four_n():
    s = run_experiment("poll", ["mechanism=rr_article", "epsilon=1", "n=[100,2500]", "scenario.p=0.3"]).summary
    sq = s[s.metric == "sq_error"].set_index("n")
    assert sq.loc[100, "expected"] == pytest.approx(3 / 400)
    assert sq.loc[2500, "expected"] == pytest.approx(3 / 10000)
    assert np.allclose(s.epsilon, math.log(3))  # the article's RR is ln 3 whatever epsilon says
    assert_agrees(s)


def test_article_rr_equals_binary_rr_at_ln3():
    a = run_experiment("poll", ["mechanism=rr_article", "n=500", "scenario.p=0.2", "save_trials=true"])
    b = run_experiment("poll", ["mechanism=rr", f"epsilon={math.log(3)}", "n=500", "scenario.p=0.2",
                                "save_trials=true"])
    est = lambda r: r.trials[r.trials.metric == "estimate"].value.to_numpy()  # noqa: E731
    assert stats.ks_2samp(est(a), est(b)).pvalue > 1e-3


@pytest.mark.parametrize("k", [2, 4])
def test_rr_individual_path_equals_counts_path_in_law(k):
    mech = "rr" if k == 2 else "grr"
    common = ["n=300", "epsilon=1", "scenario.p=0.3", f"scenario.k={k}", f"mechanism={mech}", "trials=4000",
              "save_trials=true"]
    fast = run_experiment("poll", common)
    slow = run_experiment("poll", common + ["mechanism.path=individual"])
    est = lambda r: r.trials[r.trials.metric == "estimate"].value.to_numpy()  # noqa: E731
    # estimates live on a lattice: compare their histograms with a chi-square test
    values, counts = np.unique(np.concatenate([est(fast), est(slow)]), return_counts=True)
    table = np.array([[np.sum(np.isclose(est(r), v)) for v in values] for r in (fast, slow)])
    table = table[:, table.sum(axis=0) >= 10]
    assert stats.chi2_contingency(table).pvalue > 1e-3
    assert_agrees(slow.summary)


@pytest.mark.parametrize("mechanism, extra", [
    ("exact", []),
    ("laplace", ["neighbours=add_remove"]),
    ("gaussian", ["delta=1e-5", "epsilon=[0.3,0.9]"]),
    ("analytic_gaussian", ["delta=1e-6", "epsilon=[0.3,3.0]"]),
    ("geometric", ["scenario.integer=true", "epsilon=[0.3,3.0]"]),
])
def test_central_mechanisms_agree_on_bounded_sum(mechanism, extra):
    s = run_experiment("bounded_sum", [f"mechanism={mechanism}", "n=[50]", "upper=[60.0,100.0,150.0]",
                                       "trials=3000", *extra]).summary
    assert_agrees(s)


def test_clipping_bias_matches_uniform_closed_form():
    # inputs U[0, 100] clamped to [0, 50]: E[clamp(X) - X] = -(50^2 / 2) / 100 = -12.5 per input
    s = run_experiment("bounded_sum", ["n=40", "upper=50.0", "epsilon=1"]).summary
    row = s[s.metric == "error"].iloc[0]
    assert row.expected == pytest.approx(-12.5 * 40)
    se = row["std"] / math.sqrt(row.trials)
    assert row.ci_low <= row.expected <= row.ci_high or abs(row.value - row.expected) < 5 * se


def test_laplace_abs_error_expected_only_without_clipping():
    s = run_experiment("bounded_sum", ["n=20", "epsilon=2", "upper=[50.0,100.0]"]).summary
    abs_rows = s[s.metric == "abs_error"].set_index("upper")
    assert math.isnan(abs_rows.loc[50.0, "expected"])
    assert abs_rows.loc[100.0, "expected"] == pytest.approx(100 / 2)  # b = Δ/ε, Δ = upper - lower


def test_mechanisms_see_the_same_inputs():
    runs = [run_experiment("bounded_sum", [f"mechanism={m}", "n=30", "epsilon=1", "upper=80.0", "trials=50",
                                           "save_trials=true"]) for m in ("exact", "laplace")]
    truths = [r.trials[r.trials.metric == "truth"].value.to_numpy() for r in runs]
    np.testing.assert_array_equal(*truths)


def test_grid_order_does_not_change_results():
    a = run_experiment("bounded_sum", ["epsilon=[1.0,2.0]", "n=10", "upper=100.0", "trials=100"]).summary
    b = run_experiment("bounded_sum", ["epsilon=[2.0,1.0]", "n=10", "upper=100.0", "trials=100"]).summary
    assert a.equals(b)


def test_seed_changes_results_and_is_recorded():
    a = run_experiment("poll", ["n=100", "epsilon=1", "scenario.p=0.5", "trials=100"]).summary
    b = run_experiment("poll", ["n=100", "epsilon=1", "scenario.p=0.5", "trials=100", "seed=1"]).summary
    assert (a.seed == 0).all() and (b.seed == 1).all()
    assert not np.allclose(a.value, b.value)


def test_exponential_and_noisy_max_agree():
    common = ["epsilon=[0.05,0.3]", "scenario.margin=0.01", "trials=4000"]
    a = run_experiment("approval_vote", ["mechanism=exponential", *common]).summary
    b = run_experiment("approval_vote", ["mechanism=noisy_max", *common]).summary
    for s in (a, b):
        assert_agrees(s)
    wa = a[a.metric == "correct_winner"].value.to_numpy()
    wb = b[b.metric == "correct_winner"].value.to_numpy()
    assert np.all(np.abs(wa - wb) < 5 * np.sqrt(0.25 * 2 / 4000))


def test_correct_winner_rises_with_epsilon(presets):
    s = presets["approval_vote"]
    w = s[(s.metric == "correct_winner") & (s["scenario.margin"] == 0.05)].sort_values("epsilon")
    assert w.value.is_monotonic_increasing and w.value.iloc[-1] > 0.99


@pytest.mark.parametrize("overrides, key", [
    (["epsilon=0"], "epsilon"),
    (["epsilon=[1.0,-2.0]"], "epsilon"),
    (["mechanism=geometric", "query=mean"], "mechanism"),
    (["mechanism=rr", "scenario.k=3"], "mechanism"),
    (["mechanism=gaussian", "epsilon=2", "delta=1e-5"], "epsilon"),
    (["mechanism=laplace", "query=mean", "neighbours=add_remove"], "neighbours"),
    (["neighbours=sideways"], "neighbours"),
    (["mechanism=exponential"], "query"),
    (["scenario.k=1"], "scenario.k"),
    (["seed=-1"], "seed"),
])
def test_invalid_configuration_names_the_key(overrides, key):
    with pytest.raises(ConfigError) as err:
        run_experiment("poll" if "mechanism=laplace" not in overrides else "bounded_sum", overrides)
    assert err.value.key == key


# == a swept key that a mechanism ignores =================================================
def test_a_sweep_the_mechanism_ignores_collapses_with_a_note(capsys):
    s = run_experiment("poll", ["mechanism=rr_article", "n=[100,1000]", "scenario.p=[0.1,0.5]"]).summary
    assert s.config_hash.nunique() == 4  # not 5 ε × 4: the article's coins fix ε = ln 3
    assert np.allclose(s.epsilon, math.log(3))
    err = capsys.readouterr().err
    assert "mechanism=rr_article ignores epsilon (it fixes ε = ln 3): 20 configurations collapse to 4" in err


def test_a_mixed_sweep_collapses_only_what_is_ignored():
    s = run_experiment("differencing", ["epsilon=[0.5,1.0]", "trials=100", "adversary.known_fraction=[0.0,1.0]",
                                        "adversary.second_release=false"]).summary
    per = s.groupby("mechanism").config_hash.nunique()
    assert per["mpc_sum"] == 2 and per["laplace"] == 4 and per["mpc_noisy_sum"] == 4
    assert s[s.mechanism == "mpc_sum"].epsilon.isna().all()


def test_rows_state_the_privacy_a_release_actually_has():
    lap = run_experiment("bounded_sum", ["delta=1e-5", "n=10", "epsilon=1", "upper=100.0", "trials=50"]).summary
    assert (lap.delta == 0).all()  # Laplace is pure ε-DP, whatever delta says
    exact = run_experiment("bounded_sum", ["mechanism=exact", "n=10", "upper=100.0", "trials=50"]).summary
    assert exact.epsilon.isna().all()  # no noise, no ε
    with pytest.raises(ConfigError) as err:  # Gaussian noise shares need a δ
        run_experiment("mpc_plus_dp", ["mechanism=mpc_noisy_sum", "mechanism.noise=gaussian", "delta=0"])
    assert err.value.key == "delta"


def test_a_group_override_replaces_a_presets_list_of_kinds():
    s = run_experiment("referendum", ["mechanism=rr", "trials=200"]).summary
    assert set(s.mechanism) == {"rr"}
    with pytest.raises(ConfigError) as err:
        run_experiment("referendum", ["mechanism=mpc_psi"])
    assert "mechanism=mpc_psi" in str(err.value)

"""The MPC presets: exact outputs, costs equal to the documented closed forms."""

import numpy as np
import pytest
from helpers import assert_agrees

from simprive import ConfigError, run_experiment

MPC_PRESETS = {
    "raise_average": ["trials=3000", "mechanism.spread=[250,4000]"],
    "auction": ["trials=2000", "n=[2,5,16]", "mechanism.servers=2"],
    "private_inference": ["trials=300", "scenario.dimension=[3,64]"],
    "set_intersection": ["trials=100", "scenario.size_x=[10,200]"],
    "mpc_plus_dp": ["trials=1500", "epsilon=[0.3,2.0]"],
    "mpc_plus_dp_collusion": ["trials=50", "adversary.colluders=[0,4,9]"],
}


@pytest.mark.parametrize("name", MPC_PRESETS)
def test_mpc_preset_agrees_with_closed_forms(name):
    s = run_experiment(name, MPC_PRESETS[name]).summary
    assert_agrees(s)
    if "exact_match" in set(s.metric):
        assert (s[s.metric == "exact_match"].value == 1.0).all()


def test_article_table_to_the_digit():
    s = run_experiment("raise_average_article").summary.set_index("metric")
    assert [s.loc[f"partial_P{j}", "value"] for j in range(4)] == [1950, 3700, -618, 7654]
    assert s.loc["estimate", "value"] == 3171.5 and s.loc["truth", "value"] == 3171.5
    assert s.loc["messages", "value"] == 2 * 4 * 3 and s.loc["rounds", "value"] == 2


def test_field_shares_give_the_same_average_as_the_article():
    s = run_experiment("raise_average_article", ["mechanism.shares=random", "mechanism.field=mersenne61"]).summary
    assert s.set_index("metric").loc["estimate", "value"] == 3171.5


def test_fixed_values_from_the_command_line_are_one_setting_stored_as_text():
    s = run_experiment("raise_average_article", ["scenario.values=[1,2,3,4]", "mechanism.shares=random",
                                                 "mechanism.field=mersenne61"]).summary
    assert (s["scenario.values"] == "[1, 2, 3, 4]").all()  # a list-valued key: one setting, as its JSON text
    assert s.set_index("metric").loc["estimate", "value"] == 2.5
    # the article's own shares split only the article's raises
    with pytest.raises(ConfigError) as err:
        run_experiment("raise_average_article", ["scenario.values=[1,2,3,4]"])
    assert err.value.key == "mechanism.shares"


def test_integer_shares_leak_and_field_shares_do_not():
    s = run_experiment("raise_average", ["trials=20000", "mechanism.spread=250"]).summary
    corr = s[s.metric == "view_corr"].set_index("mechanism.field")
    se = 1 / np.sqrt(20000)  # a correlation's standard error over T independent trials
    assert corr.loc["integers", "value"] > 8 * se  # clearly correlated
    assert abs(corr.loc["mersenne61", "value"]) < 5 * se and abs(corr.loc["ring64", "value"]) < 5 * se


def test_p2p_cost_is_quadratic_and_client_server_linear():
    s = run_experiment("raise_average", ["n=[4,16,64]", "mechanism.field=mersenne61", "mechanism.spread=1000",
                                         "trials=5"]).summary
    msgs = s[s.metric == "messages"].set_index("n").value
    assert list(msgs) == [2 * n * (n - 1) for n in (4, 16, 64)]
    cs = run_experiment("raise_average", ["n=[4,16,64]", "mechanism=mpc_client_server", "trials=5",
                                          "~mechanism.spread", "mechanism.field=mersenne61"]).summary
    assert list(cs[cs.metric == "messages"].value) == [n * 3 + 3 for n in (4, 16, 64)]


def test_shamir_client_server_survives_dropouts():
    s = run_experiment("raise_average", ["mechanism=mpc_client_server", "mechanism.servers=5", "mechanism.t=2",
                                         "mechanism.dropouts=2", "n=10", "trials=200", "~mechanism.spread",
                                         "mechanism.field=mersenne61"]).summary
    assert (s[s.metric == "exact_match"].value == 1).all()
    assert_agrees(s)


@pytest.mark.parametrize("overrides, key", [
    (["n=1"], "n"),
    (["mechanism=mpc_client_server", "mechanism.t=3", "mechanism.servers=3", "~mechanism.spread"], "mechanism.t"),
    (["mechanism=mpc_client_server", "mechanism.t=1", "mechanism.dropouts=2", "~mechanism.spread",
      "mechanism.field=mersenne61"], "mechanism.dropouts"),
    (["mechanism=mpc_client_server", "mechanism.t=1", "~mechanism.spread", "mechanism.field=ring64"],
     "mechanism.field"),
    (["mechanism.field=nope"], "mechanism.field"),
    (["scenario.integer=false"], "scenario.integer"),
])
def test_bad_mpc_configuration_names_the_key(overrides, key):
    with pytest.raises(ConfigError) as err:
        run_experiment("raise_average", overrides)
    assert err.value.key == key


def test_coalition_larger_than_n_is_refused():
    with pytest.raises(ConfigError) as err:
        run_experiment("mpc_plus_dp_collusion", ["adversary.colluders=11"])
    assert err.value.key == "adversary.colluders"


@pytest.fixture(scope="module")
def collusion():
    s = run_experiment("mpc_plus_dp_collusion", ["epsilon=[0.5,2.0]", "adversary.colluders=[0,4,9]"]).summary
    return s


def test_effective_epsilon_agrees_with_its_closed_form_and_the_coalitions_audit(collusion):
    eff = collusion[collusion.metric == "effective_epsilon"]
    np.testing.assert_allclose(eff.value, eff.expected, rtol=1e-6)  # convolution vs closed form
    lb = collusion[collusion.metric == "epsilon_lb"].set_index(["epsilon", "aux"])
    # the coalition's certified lower bound on real runs stays below the exact ε it faces,
    # and comes close to it: the coalition knows every input but the target's
    assert (lb.value <= lb.expected * 1.02).all() and (lb.value >= 0.85 * lb.expected).all(), lb[["value", "expected"]]
    assert lb.loc[(2.0, 9), "value"] > 1.8 * 2.0  # 9 colluders of 10: the honest noise is a tenth
    assert (collusion.agreement.dropna() == "agrees").all()


def test_coalition_needs_an_mpc_release_it_can_attack():
    with pytest.raises(ConfigError) as err:
        run_experiment("poll", ["adversary=coalition"])
    assert err.value.key == "mechanism"


def test_empty_set_is_refused():
    with pytest.raises(ConfigError) as err:
        run_experiment("set_intersection", ["scenario.size_x=0"])
    assert err.value.key == "scenario.size_x"


@pytest.mark.parametrize("computing", ["external", "inputs"])
@pytest.mark.parametrize("recipients", ["analyst", "computing", "inputs"])
def test_who_computes_and_who_learns_is_configurable(computing, recipients):
    s = run_experiment("raise_average", ["mechanism=mpc_client_server", "~mechanism.spread", "n=6", "trials=20",
                                         "mechanism.field=mersenne61", f"mechanism.computing={computing}",
                                         f"mechanism.recipients={recipients}"]).summary
    assert_agrees(s)  # messages and bytes equal the documented count for these roles


def test_roles_and_views_follow_the_configuration():
    import numpy as np

    from simprive.mpc.rings import PrimeField
    from simprive.mpc.sum import client_server_sum

    F, rng = PrimeField(), np.random.default_rng(3)
    run = client_server_sum(F.encode(np.arange(12).reshape(2, 6)), F, rng, servers=2, computing="inputs",
                            recipients="inputs")
    assert run.roles.computing == (0, 1) and run.roles.recipients == tuple(range(6))
    assert {"input", "received_shares", "output"} <= set(run.view(0)) and "received_shares" not in run.view(5)
    assert set(run.views([0, 5])) >= {"P0.received_shares", "P5.output"}


@pytest.mark.parametrize("kind", ["mpyc_sum", "mpyc_tally", "mpyc_threshold", "mpyc_max", "mpyc_second_price"])
def test_mpyc_and_the_simulator_give_identical_outputs(kind):
    s = run_experiment("mpc_cost", ["n=3", f"mechanism.kind={kind}", "trials=10", "scenario.k=2"]).summary
    rows = s.set_index("metric")
    assert rows.loc["exact_match", "value"] == 1.0 and rows.loc["sim_match", "value"] == 1.0
    assert rows.loc["bytes", "value"] > 0  # MPyC's own report of what its processes sent


def test_mpyc_refuses_too_many_processes():
    with pytest.raises(ConfigError) as err:
        run_experiment("mpc_cost", ["n=40", "mechanism.kind=mpyc_sum"])
    assert err.value.key == "n"


@pytest.mark.parametrize("mechanism", ["mpc_sum", "mpc_client_server", "mpc_noisy_sum", "laplace"])
def test_a_sum_of_answers_counts_answer_one_whatever_computes_it(mechanism):
    """With k > 2 answers a party adds whether it gave answer 1 (the scenario's fixed range
    [0, 1]), for MPC protocols as for central DP: the truth is the count of 1s and every
    metric has its closed form, which the simulation meets."""
    s = run_experiment("poll", ["scenario=categorical", "scenario.k=3", "scenario.p=0.3", f"mechanism={mechanism}",
                                "query=sum", "n=[20]", "epsilon=[1.0]", "trials=2000"]).summary
    assert_agrees(s)
    rows = s.set_index("metric")
    assert abs(rows.loc["truth", "value"] - 0.3 * 20) < 0.2  # the count of answer 1, not the sum of codes (20)
    for metric in ("estimate", "error", "sq_error"):
        assert np.isfinite(rows.loc[metric, "expected"]), metric

"""simprive-plan: each answer against a closed form computed here, independently of the
planner; the simulated route, its monotonicity check and its verification; bad input."""

import math

import numpy as np
import pandas as pd
import pytest
from helpers import exits_in_process, simprive
from scipy import optimize, stats

from simprive.config import compose
from simprive.plan_run import run_plan

OPENDP = ["experiment=bounded_sum", "mechanism=laplace", "query=mean", "epsilon=[1]", "lower=0", "upper=[500000]"]
QUANTILE_1000 = "plan.targets=[{metric: abs_error, stat: quantile, q: 0.95, at_most: 1000}]"


def plan(overrides, out_dir=None):
    return run_plan(compose(overrides), out_dir, overrides=overrides)


def answer(results, **where) -> float:
    rows = results.plan
    for k, v in where.items():
        rows = rows[rows[k] == v]
    assert rows["value"].nunique() == 1
    return rows["value"].iloc[0]


def test_opendps_example_comes_out_n_1498(tmp_path):
    """OpenDP's binary_search docstring: the smallest n for an ε = 1 mean of values clipped to
    [0, 500,000] whose error is at most 1,000 at 95% confidence is 1,498."""
    res = plan([*OPENDP, "plan.solve=n", "plan.direction=smallest", "plan.range=[10,100000]", QUANTILE_1000],
               tmp_path)
    # independently: the smallest n whose Laplace noise (scale (U − L)/(n ε)) has P(|Y| ≤ 1000) ≥ 0.95
    smallest = next(n for n in range(1, 10**5) if stats.laplace(scale=500000 / n).cdf(1000) -
                    stats.laplace(scale=500000 / n).cdf(-1000) >= 0.95)
    assert smallest == 1498 and answer(res) == smallest
    row = res.plan.iloc[0]
    assert row["route"] == "closed form" and row["feasible"] and row["binds"] and row["verdict"] != "misses"
    # verified by simulation at the answer and one step either side, each beside its closed form
    checks = res.verification
    assert list(checks["n"]) == [1497, 1498, 1499] and (checks["verdict"] != "misses").all()
    assert checks["expected"].iloc[0] > 1000 >= checks["expected"].iloc[1]
    saved = pd.read_csv(tmp_path / "plan.csv")
    assert {"mechanism", "solve", "value", "feasible", "binding"} <= set(saved.columns)
    for name in ("plan.csv", "verification.csv", "plan_curves.csv", "summary.csv", "plan.png", "plan.svg",
                 "report.html", "meta.json"):
        assert (tmp_path / name).is_file(), name
    html = (tmp_path / "report.html").read_text()
    assert 'class="plan"' in html and 'class="binds"' in html and "smallest n = 1498" in html


def test_the_polls_epsilon_for_a_target_variance_is_its_closed_form():
    """ε-RR's Var(p̂) = π(1−π)/(n(2π−1)²) = e^ε/(n(e^ε−1)²), inverted by hand."""
    n, target = 1000, 2e-3
    res = plan(["experiment=poll", "epsilon=1", f"n={n}", "scenario.p=0.3", "plan.solve=epsilon",
                "plan.range=[0.01,10]", f"plan.targets=[{{metric: sq_error, at_most: {target}}}]"])
    c = n * target  # x/(x−1)² = c with x = e^ε: c x² − (2c+1) x + c = 0
    x = ((2 * c + 1) + math.sqrt(4 * c + 1)) / (2 * c)
    assert answer(res) == pytest.approx(math.log(x), rel=1e-6)
    assert res.plan["route"].iloc[0] == "closed form"


def test_the_laplace_means_epsilon_for_a_target_variance_is_its_closed_form():
    """Var = 2b², b = (U − L)/(n ε): ε = (U − L)/n · √(2/V)."""
    n, target = 50, 4.0
    res = plan(["experiment=bounded_sum", "mechanism=laplace", "query=mean", f"n={n}", "upper=100", "lower=0",
                "plan.solve=epsilon", "plan.range=[0.01,20]", f"plan.targets=[{{metric: sq_error, at_most: {target}}}]"])
    assert answer(res) == pytest.approx(100 / n * math.sqrt(2 / target), rel=1e-6)


def test_a_referendum_plan_returns_the_epsilon_where_the_best_attack_meets_its_bound():
    """An adversary who knows every other vote guesses the target's from an ε-DP tally (or its
    ε-RR report) at best with probability e^ε/(1 + e^ε): at most 0.6 means ε ≤ ln 1.5."""
    res = plan(["experiment=referendum", "mechanism.kind=[mpc_tally,geometric,rr]", "scenario.p=0.5",
                "adversary.known_fraction=1.0", "plan.solve=epsilon", "plan.direction=largest", "plan.range=[0.01,5]",
                "plan.targets=[{metric: attack_correct, at_most: 0.6}]"])
    best = optimize.brentq(lambda e: math.exp(e) / (1 + math.exp(e)) - 0.6, 0.01, 5)
    for kind in ("geometric", "rr"):
        assert answer(res, mechanism=kind) == pytest.approx(best, rel=1e-6)
    exact = res.plan[res.plan["mechanism"] == "mpc_tally"].iloc[0]
    assert not exact["feasible"] and "ignores epsilon" in exact["note"]  # the exact tally reads the vote


def test_without_a_closed_form_it_bisects_on_simulations_and_verifies():
    """ε-RR's E|p̂ − f| has no closed form here: n is found by bisection on simulations; the
    normal approximation √(2/π)·√(c/n), c = e^ε/(e^ε − 1)², says where it should land."""
    res = plan(["experiment=poll", "epsilon=1", "scenario.p=0.3", "trials=2000", "plan.solve=n",
                "plan.range=[10,100000]", "plan.targets=[{metric: abs_error, at_most: 0.05}]"])
    row = res.plan.iloc[0]
    assert row["route"] == "simulation" and row["feasible"] and row["verdict"] != "misses"
    c = math.e / (math.e - 1) ** 2
    assert answer(res) == pytest.approx(2 / math.pi * c / 0.05**2, rel=0.08)
    assert set(res.verification["at"]) == {"answer − step", "answer", "answer + step"}


def test_a_wrong_monotonicity_assumption_is_caught():
    """A clamped sum's error is U-shaped in the declared bound: clipping bias below the data's
    range, noise above it.  Bisection would assume one order; the scan finds the turn."""
    res = plan(["experiment=bounded_sum", "epsilon=1", "n=100", "plan.solve=upper", "plan.range=[10,1000]",
                "plan.targets=[{metric: abs_error, at_most: 500}]"])
    row = res.plan.iloc[0]
    assert row["status"] == "not monotone" and not row["feasible"] and "not monotone in upper" in row["note"]


def test_an_infeasible_target_is_an_answer_not_an_error(tmp_path):
    out = simprive("plan=poll", "mechanism.kind=laplace", "plan.range=[10,100]", f"hydra.run.dir={tmp_path / 'p'}",
                   cwd=tmp_path, command="simprive-plan")
    assert "infeasible in [10, 100]: at n=100 the abs_error 0.95 quantile is 0.02996" in out.stdout
    row = pd.read_csv(tmp_path / "p" / "plan.csv").iloc[0]
    assert not row["feasible"] and pd.isna(row["value"]) and row["status"] == "infeasible"


def test_targets_that_pull_apart_name_the_one_that_binds():
    """Smallest ε: the error wants more ε, the attack bound less; the attack binds."""
    res = plan(["experiment=referendum", "mechanism.kind=rr", "scenario.p=0.5", "adversary.known_fraction=1.0",
                "plan.solve=epsilon", "plan.range=[0.01,5]",
                "plan.targets=[{metric: sq_error, at_most: 4}, {metric: attack_correct, at_most: 0.6}]"])
    rows = res.plan
    assert (rows["status"] == "conflict").all() and not rows["feasible"].any()
    assert rows.loc[rows["binds"], "target"].tolist() == ["attack_correct mean ≤ 0.6"]
    assert "needs epsilon ≤ 0.405465" in rows.loc[rows["binds"], "note"].iloc[0]


def test_a_rerun_into_its_folder_reuses_its_simulations_byte_identically(tmp_path, capsys):
    args = [*OPENDP, "plan.solve=n", "plan.range=[10,100000]", QUANTILE_1000]
    first = plan(args, tmp_path)
    before = {name: (tmp_path / name).read_bytes() for name in ("plan.csv", "verification.csv", "summary.csv")}
    again = plan(args, tmp_path)
    assert first.meta["simulated"] == 3 and again.meta["simulated"] == 0 and again.meta["reused"] == 3
    assert {name: (tmp_path / name).read_bytes() for name in before} == before


@pytest.mark.parametrize("args, key", [
    ([*OPENDP, "plan.solve=n", "plan.range=[10,100000]", "plan.targets=[{metric: nope, at_most: 1}]"],
     "plan.targets.0.metric"),
    ([*OPENDP, "plan.solve=n", "plan.range=[100,10]", QUANTILE_1000], "plan.range"),
    ([*OPENDP, "plan.solve=n", "plan.range=[10,10]", QUANTILE_1000], "plan.range"),
    ([*OPENDP, "plan.solve=nope", "plan.range=[10,100]", QUANTILE_1000], "plan.solve"),
    ([*OPENDP, "plan.solve=mechanism.kind", "plan.range=[10,100]", QUANTILE_1000], "plan.solve"),
    ([*OPENDP, "plan.solve=n", "plan.range=[10,100]", "plan.direction=biggest", QUANTILE_1000], "plan.direction"),
    ([*OPENDP, "plan.solve=n", "plan.range=[10.5,100]", QUANTILE_1000], "plan.range"),
    ([*OPENDP, "plan.solve=n", "plan.range=[10,100]", "plan.targets=[{metric: abs_error, stat: quantile, q: 1.5, "
      "at_most: 1}]"], "plan.targets.0.q"),
    ([*OPENDP, "plan.solve=n", "plan.range=[10,100]", "plan.targets=[{metric: abs_error, at_most: 1, at_least: 0}]"],
     "plan.targets.0"),
    ([*OPENDP, "plan.solve=n", "plan.range=[10,100]", "plan.targets=[]"], "plan.targets"),
    ([*OPENDP, "plan.solve=n", "plan.range=[10,100]", "plan.targets=[{metric: abs_error, stat: median, at_most: 1}]"],
     "plan.targets.0.stat"),
    ([*OPENDP, "plan.solve=epsilon", "plan.range=[-1,2]", QUANTILE_1000], "epsilon"),
    ([*OPENDP, "plan.solve=n", "plan.range=[10,100]", "plan.step=0", QUANTILE_1000], "plan.step"),
    ([*OPENDP, "plan.solve=n", "plan.range=[10,100]", "plan.nope=1", QUANTILE_1000], "plan.nope"),
    (["-m", *OPENDP, "plan.solve=n", "plan.range=[10,100]", QUANTILE_1000], "-m"),
])
def test_bad_plans_stop_in_one_line_naming_the_key(args, key, tmp_path, monkeypatch, capsys):
    code, err = exits_in_process([*args, f"hydra.run.dir={tmp_path / 'run'}"], tmp_path, monkeypatch, capsys,
                                 command="simprive-plan")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert f"invalid {key}" in err, err
    assert list(tmp_path.iterdir()) == []


def test_simprive_refuses_a_plan_and_says_which_command_solves_it(tmp_path, monkeypatch, capsys):
    code, err = exits_in_process(["plan=poll"], tmp_path, monkeypatch, capsys)
    assert code == 2 and "plan.solve" in err and "simprive-plan" in err


def test_the_plan_presets_answer(tmp_path):
    """The poll: central Laplace needs n ≥ ln(20)/(ε · 0.01) for ±0.01 at 95%; randomized
    response about 1.96² c / 0.01² (normal approximation), two orders of magnitude more."""
    res = plan(["plan=poll"])
    assert answer(res, mechanism="laplace") == math.ceil(math.log(20) / 0.01)
    c = math.e / (math.e - 1) ** 2
    assert answer(res, mechanism="rr") == pytest.approx(stats.norm.ppf(0.975) ** 2 * c / 0.01**2, rel=0.08)


def test_the_breach_and_referendum_presets_answer():
    """Breach: Laplace's squared error 2(Δ/ε)² ≤ 300² gives ε ≥ √2·1000/300, and the exact total
    leaves the adversary only the news figure's own error (σ² = 100 < 100²).  Referendum: the best
    guess of a vote from an ε-RR report is right with probability e^ε/(1 + e^ε)."""
    breach = plan(["plan=breach"])
    assert answer(breach, mechanism="laplace") == pytest.approx(math.sqrt(2) * 1000 / 300, rel=1e-6)
    exact = breach.plan[breach.plan["mechanism"] == "mpc_sum"]
    assert not exact["feasible"].any() and exact.loc[exact["binds"], "metric"].tolist() == ["others_sq_error"]
    # MPC computing the DP total costs its ledger at the answer: 2n(n − 1) messages of 8 bytes, n = 10
    assert (breach.plan.loc[breach.plan["mechanism"] == "mpc_noisy_sum", "bytes"] == 2 * 10 * 9 * 8).all()
    referendum = plan(["plan=referendum"])
    rows = referendum.plan
    rr = rows[rows["mechanism"] == "rr"]
    assert np.allclose(rr["value"], math.log(1.5), rtol=1e-6)
    assert not rows[rows["mechanism"].isin(["mpc_tally", "mpc_threshold"])]["feasible"].any()


def test_the_secure_aggregation_plan_solves_a_key_one_approach_does_not_take():
    """The fewest modulus bits for SecAgg+ with distributed noise (a mechanism key the central
    Gaussian beside it does not take: said so, and always feasible), on fewer clients."""
    res = plan(["plan=secure_aggregation", "n=200", "trials=60"])
    rows = res.plan.set_index("mechanism")
    central = rows.loc["analytic_gaussian"]
    assert central["status"] == "solved" and "does not take it" in central["note"]
    distributed = res.plan[res.plan["mechanism"] == "secagg_plus"]
    assert len(distributed) == 2 and distributed["feasible"].all()
    assert (distributed["value"] > 8).all() and (distributed["value"] <= 24).all()


def test_the_figure_is_drawn_from_the_saved_tables_byte_identically(tmp_path):
    from simprive.plan_figure import save_plan_figure

    plan([*OPENDP, "plan.solve=n", "plan.range=[10,100000]", QUANTILE_1000], tmp_path)
    before = (tmp_path / "plan.png").read_bytes()
    save_plan_figure(pd.read_csv(tmp_path / "plan_curves.csv"), pd.read_csv(tmp_path / "plan.csv"),
                     ["mechanism", "epsilon", "upper"], tmp_path)
    assert (tmp_path / "plan.png").read_bytes() == before
    assert np.isclose(pd.read_csv(tmp_path / "plan_curves.csv")["stat"].min(), 500000 * math.log(20) / 100000)


def test_the_optuna_route_runs_a_two_key_plan_and_verifies_every_pareto_point(tmp_path):
    """ε and n at once: NSGA-II (hydra-optuna-sweeper) minimises both subject to the target; each
    point of the feasible front is simulated and checked.  The target holds where
    n·ε ≥ U ln 20 / 1000 (the Laplace quantile), computed here."""
    res = plan([*OPENDP, "plan.solve=[epsilon,n]", "plan.range={epsilon: [0.5, 5], n: [100, 10000]}", QUANTILE_1000,
                "plan.budget=16", "plan.population=8", "trials=300"], tmp_path)
    need = 500000 * math.log(20) / 1000
    tried = pd.read_csv(tmp_path / "pareto_trials.csv")
    assert len(tried) == 16  # Optuna ran the budget, and each trial's violation is the closed form's
    assert (tried["meets_targets"] == (tried["epsilon"] * tried["n"] >= need)).all()
    points = pd.read_csv(tmp_path / "pareto.csv")
    assert points["point"].nunique() >= 2 and (points["verdict"] != "misses").all() and points["feasible"].all()
    assert (points["epsilon"] * points["n"] >= need).all() and (points["expected"] <= 1000).all()
    # no feasible trial beats a front point on both keys
    ok = tried[tried["meets_targets"]]
    for _, p in points.iterrows():
        assert not ((ok["epsilon"] < p["epsilon"]) & (ok["n"] < p["n"])).any()
    chosen = res.plan.iloc[0]
    assert chosen["feasible"] and chosen["epsilon"] == points["epsilon"].min()
    assert (tmp_path / "pareto.png").is_file()
    lines = pd.read_csv(tmp_path / "pareto_lines.csv").dropna(subset=["n"])
    assert np.allclose(lines["n"], np.ceil(need / lines["epsilon"]), atol=1)


def test_a_two_key_plan_can_trade_a_metric_against_a_key(tmp_path):
    """plan.objectives names what NSGA-II trades: here the error's mean against ε, at fixed n."""
    res = plan([*OPENDP, "n=1000", "plan.solve=[epsilon,upper]", "plan.range={epsilon: [0.5, 5], upper: [100, 1000]}",
                "plan.targets=[{metric: abs_error, at_most: 5000}]", "plan.objectives=[epsilon, abs_error]",
                "plan.budget=10", "plan.population=5", "trials=100"], tmp_path)
    tried = pd.read_csv(tmp_path / "pareto_trials.csv")
    assert {"objective: epsilon", "objective: abs_error mean"} <= set(tried.columns)
    # the error objective is the closed form E|Lap(b)| = b = (upper − lower)/(n ε) where nothing is clipped
    clean = tried[tried["upper"] >= 100]
    assert np.allclose(clean["objective: abs_error mean"], clean["upper"] / (1000 * clean["epsilon"]))
    assert res.plan["feasible"].all()


def test_plan_mechanisms_replaces_the_candidates_and_each_gets_its_closed_form():
    """plan.mechanisms on a preset that lists others: the classic Gaussian's 95% error
    z₀.₉₇₅·σ, σ = Δ√(2 ln(1.25/δ))/ε with Δ = 1/n for a mean of answers."""
    res = plan(["plan=poll", "plan.mechanisms=[laplace,gaussian]", "epsilon=0.5", "delta=1e-6"])
    assert set(res.plan["mechanism"]) == {"laplace", "gaussian"}
    need = stats.norm.ppf(0.975) * math.sqrt(2 * math.log(1.25e6)) / (0.5 * 0.01)
    assert answer(res, mechanism="gaussian") == math.ceil(need)
    assert answer(res, mechanism="laplace") == math.ceil(math.log(20) / (0.5 * 0.01))


def test_a_users_plan_from_their_own_config_folder(tmp_path):
    mine = tmp_path / "myconf" / "plan"
    mine.mkdir(parents=True)
    (mine / "mine.yaml").write_text("""# @package _global_
defaults:
  - none@plan
  - override /experiment: bounded_sum
  - _self_
plan:
  solve: n
  range: [10, 100000]
  targets: [{metric: abs_error, stat: quantile, q: 0.95, at_most: 1000}]
mechanism: {kind: laplace}
query: {kind: mean}
epsilon: 1.0
lower: 0.0
upper: 500000.0
""")
    # a real command: Hydra run in the test's process would leave logging on pytest's captured stderr
    out = simprive("--config-dir", str(tmp_path / "myconf"), "plan=mine", f"hydra.run.dir={tmp_path / 'run'}",
                   cwd=tmp_path, command="simprive-plan")
    assert "smallest n = 1498" in out.stdout.splitlines()[0]
    assert pd.read_csv(tmp_path / "run" / "plan.csv")["value"].tolist() == [1498]

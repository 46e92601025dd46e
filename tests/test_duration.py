"""A long run says how long before it goes on, and one beyond ``max_minutes`` stops after a
first batch of each configuration, naming the key that makes it long."""

import pytest
from helpers import simprive

from simprive import ConfigError, run_experiment
from simprive.config import compose
from simprive.grid import expand
from simprive.runner import batches, plan, simulation


@pytest.mark.parametrize("overrides", [
    ["experiment=bounded_sum", "n=[100]", "trials=37"],  # trials in one chunk
    ["experiment=mpc_plus_dp", "n=[300]", "epsilon=[1.0]", "trials=100"],  # n x n shares: several chunks
    ["experiment=audit", "trials=200", "n=[20]"],  # a game once per configuration
])
def test_batches_counts_the_simulations_pauses(overrides):
    for point in expand(compose(overrides))[0][:4]:
        p = plan(point)
        assert sum(1 for _ in simulation(p)) == batches(p)


def test_a_trial_too_long_is_refused_naming_n(tmp_path):
    """n = 10^12 is drawn 4·10^6 parties at a time: its first block says it would take days."""
    out = simprive("experiment=bounded_sum", "n=1e12", "trials=2", "epsilon=[1.0]", "upper=[100.0]",
                   f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path, check=False)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().count("\n") == 0, out.stderr
    assert "invalid n=" in out.stderr and "max_minutes=60" in out.stderr
    assert not (tmp_path / "run").exists()


def test_many_cheap_trials_beyond_the_limit_name_trials():
    with pytest.raises(ConfigError) as err:
        run_experiment("mpc_plus_dp", ["n=[300]", "epsilon=[1.0]", "mechanism=mpc_noisy_sum", "trials=100000",
                                       "max_minutes=0.01"])
    assert err.value.key == "trials" and "max_minutes=0.01" in str(err.value)


def test_no_limit_runs_and_a_long_run_prints_its_estimate(tmp_path, capsys):
    run_experiment("mpc_plus_dp", ["n=[300]", "epsilon=[1.0]", "mechanism=mpc_noisy_sum", "trials=400",
                                   "max_minutes=null"])
    from simprive.runner import LONG_RUN, check_duration

    p = plan(expand(compose(["experiment=poll", "n=[100]", "epsilon=[1.0]", "scenario.p=[0.5]"]))[0][0])
    check_duration([p], [2 * LONG_RUN], ["n"], 60)
    assert "about 20 s for 1 configuration" in capsys.readouterr().err


@pytest.mark.parametrize("value", [0, -1, "abc", "nan"])
def test_max_minutes_must_be_positive(value):
    with pytest.raises(ConfigError) as err:
        run_experiment("poll", [f"max_minutes={value}"])
    assert err.value.key == "max_minutes"

"""A trial too large to hold: drawn a block of parties at a time when the release reads only
their sums, refused up front (naming n and the largest n that fits) when it cannot be."""

import pytest
from helpers import assert_agrees

from simprive import ConfigError, run_experiment, runner


@pytest.fixture
def small_machine(monkeypatch):
    """A machine whose memory holds a trial of at most 1,000 parties, drawn 300 at a time."""
    monkeypatch.setattr(runner, "memory_budget", lambda: 1000 * runner.BYTES_PER_ELEMENT)
    monkeypatch.setattr(runner, "CHUNK_ELEMENTS", 300)


def test_a_sum_too_large_for_memory_is_drawn_in_blocks_and_agrees(small_machine):
    s = run_experiment("bounded_sum", ["n=[2500]", "epsilon=[0.5]", "upper=[60.0,150.0]", "trials=300"]).summary
    assert_agrees(s)  # the clipping bias and the noise, exactly as for a trial held whole
    truth = s[(s.metric == "truth")].value
    assert truth.tolist() == pytest.approx([2500 * 50.0] * 2, rel=0.01)


def test_a_table_sampled_with_replacement_is_drawn_in_blocks_too(small_machine, tmp_path):
    import numpy as np
    import pandas as pd

    pd.DataFrame({"x": np.random.default_rng(1).lognormal(2, 1, 500)}).to_csv(tmp_path / "t.csv", index=False)
    s = run_experiment("bounded_sum", ["scenario=table", f"scenario.path={tmp_path / 't.csv'}", "scenario.column=x",
                                       "n=[2000]", "epsilon=[1.0]", "upper=[10.0]", "trials=800"]).summary
    assert_agrees(s)
    assert "clipped_share" in set(s.metric)


@pytest.mark.parametrize("overrides", [
    ["experiment=bounded_sum", "n=[2500]", "adversary=knows_others"],  # an adversary reads the inputs
    ["experiment=outlier_sum", "n=2500", "mechanism=laplace"],  # party 0's outlier is not a draw
    ["experiment=raise_average", "n=[2500]"],  # a protocol's shares are all held at once
])
def test_what_cannot_be_drawn_in_blocks_is_refused_naming_n(small_machine, overrides):
    with pytest.raises(ConfigError) as err:
        run_experiment(overrides[0].split("=")[1], overrides[1:])
    assert err.value.key == "n" and "at most n = " in str(err.value)


@pytest.mark.parametrize("overrides", [
    ["experiment=poll", "mechanism=mpc_sum", "query=sum", "scenario.p=[0.5]", "n=[2000]"],
    ["experiment=mpc_plus_dp", "mechanism=mpc_noisy_sum", "n=[2000]"],
    ["experiment=poll", "mechanism=mpc_client_server", "query=sum", "scenario.p=[0.5]", "n=[3000]"],
    ["experiment=referendum", "mechanism=mpc_tally", "adversary=none", "n=[3000]"],
    ["experiment=referendum", "mechanism=mpc_threshold", "adversary=none", "n=[3000]"],
    ["experiment=auction", "mechanism.servers=[2]", "n=[2000]"],
    ["experiment=auction", "mechanism=mpc_second_price", "query=second_price", "mechanism.servers=[3]", "n=[2000]"],
])
def test_the_memory_a_protocol_declares_bounds_what_it_allocates(overrides):
    """What check_memory allows is what one chunk of trials really allocates at its peak
    (numpy's allocations, measured by tracemalloc), tables held once included."""
    import tracemalloc

    from simprive.config import compose
    from simprive.grid import expand

    p = runner.plan(expand(compose([*overrides, "trials=3", "epsilon=[1.0]"]))[0][0])
    rel = p.release
    if hasattr(rel, "fixed_elements"):
        from simprive.releases import auction

        auction.consistent_bids.cache_clear()  # the table is allocated in the measured run
    tracemalloc.start()
    runner.simulate(p)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    declared = (rel.elements_per_trial * runner._chunk(p) + getattr(rel, "fixed_elements", 0)) * runner.BYTES_PER_ELEMENT
    assert peak <= declared, (peak / 2**20, declared / 2**20)

"""Figures: drawn from long-form summary rows, nothing dropped, byte-stable."""

import numpy as np
import pandas as pd

from simprive.figures import draw


def rows(**columns):
    n = len(next(iter(columns.values())))
    base = {"metric": ["m"] * n, "value": np.arange(n, dtype=float), "ci_low": 0.0, "ci_high": 1.0,
            "expected": np.nan}
    return pd.DataFrame({**base, **columns})


def test_rows_without_a_facet_value_get_their_own_panel():
    frame = rows(x=[1, 2, 1, 2, 1, 2], mechanism=["dp"] * 4 + ["mpc"] * 2, epsilon=[0.5, 0.5, 1, 1, np.nan, np.nan])
    grid = draw(frame, metric="m", x="x", hue="mechanism", col="epsilon")
    assert [ax.get_title() for ax in grid.axes.flat] == ["epsilon = 0.5", "epsilon = 1", "epsilon = none"]


def test_hue_levels_follow_numeric_order():
    frame = rows(x=[1, 1, 1], n=[1000, 100, 10])
    grid = draw(frame, metric="m", x="x", hue="n")
    labels = [t.get_text() for t in grid.legend.texts]
    assert labels == ["10", "100", "1000"]


def test_a_reference_metric_is_drawn_only_where_the_table_has_it(tmp_path):
    from simprive import run_experiment
    from simprive.figures import draw_all

    s = run_experiment("referendum", ["trials=200", "adversary.known_fraction=[0.0,1.0]"]).summary
    spec = {"name": "acc", "metric": "attack_correct", "x": "aux", "hue": "mechanism", "col": "scenario.p",
            "reference": "accuracy_bound", "title": "t"}
    assert len(draw_all(s, [spec], tmp_path)) == 2
    # a table without the reference metric (no DP release in it) draws without it
    exact = s[s.mechanism == "mpc_tally"]
    assert len(draw_all(exact, [spec], tmp_path)) == 2
    spec_no_hue = {**spec, "hue": None}
    assert len(draw_all(exact, [spec_no_hue], tmp_path)) == 2

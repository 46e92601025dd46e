"""The results contract: column order, sorting, atomic writes, progress."""

import io

import numpy as np
import pandas as pd
import pytest

from simprive.metrics import summarise
from simprive.progress import Progress
from simprive.results import COLUMNS, aggregate, tidy, write_atomic


def row(**kw):
    base = {c: None for c in COLUMNS}
    base.update(experiment="x", metric="error", value=1.0, epsilon=1.0, n=10)
    base.update(kw)
    return base


def test_tidy_puts_contract_columns_first_then_extras_sorted():
    frame = tidy([row(**{"scenario.p": 0.5, "b.x": 1}), row(epsilon=0.5)])
    assert list(frame.columns) == COLUMNS + ["b.x", "scenario.p"]


def test_tidy_order_does_not_depend_on_input_order():
    rows = [row(epsilon=e, metric=m) for e in (2.0, 0.5, 1.0) for m in ("sq_error", "abs_error")]
    a, b = tidy(rows), tidy(rows[::-1])
    pd.testing.assert_frame_equal(a, b)
    assert list(a.epsilon) == [0.5, 0.5, 1.0, 1.0, 2.0, 2.0]
    assert list(a.metric[:2]) == ["abs_error", "sq_error"]


def test_write_atomic_leaves_no_temporary_file(tmp_path):
    write_atomic(tmp_path / "a.csv", "x\n1\n")
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]
    assert (tmp_path / "a.csv").stat().st_mode & 0o044  # readable by others, like any result


def test_aggregate_of_an_empty_folder_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="no job folder"):
        aggregate(tmp_path)


def test_summarise_interval_covers_the_mean_at_the_stated_rate():
    rng = np.random.default_rng(11)
    hits = [(lambda s: s["ci_low"] <= 0 <= s["ci_high"])(summarise(rng.normal(size=200))) for _ in range(2000)]
    # 2000 intervals at 95%: the count of hits is Bin(2000, 0.95); 5 sd is about ±49
    assert abs(sum(hits) - 1900) < 50


def test_summarise_uses_exact_interval_for_rates():
    s = summarise(np.ones(100))
    assert s["value"] == 1.0 and s["ci_high"] == 1.0 and 0.96 < s["ci_low"] < 0.97  # (α/2)^(1/100)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_shows_on_a_terminal():
    out = Terminal()
    bar = Progress(2, "poll", stream=out)
    bar.step("epsilon=1")
    bar.step("epsilon=2")
    assert "poll: 2/2" in out.getvalue() and out.getvalue().endswith("\n")


def test_progress_is_quiet_when_not_a_terminal():
    out = io.StringIO()
    bar = Progress(1, "poll", stream=out)
    bar.step()
    assert out.getvalue() == ""

"""The results contract: column order, sorting, atomic writes, progress."""

import io
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simprive import run_experiment
from simprive.attacks import VoteAttack
from simprive.files import write_atomic
from simprive.metrics import INDICATOR, LOWER_BOUND, MEASUREMENT, agreement, kind_of, skew_corrected_z, summarise
from simprive.progress import Progress
from simprive.results import COLUMNS, aggregate, check_summary, read_summary, tidy
from simprive.validation import ConfigError


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


@pytest.fixture(scope="module")
def two_jobs(tmp_path_factory):
    """A sweep's two job folders, 15 configurations × 5 metrics each (75 rows), no manifest."""
    sweep = tmp_path_factory.mktemp("sweep")
    for job, mechanism in enumerate(("rr", "laplace")):
        run_experiment("poll", [f"mechanism={mechanism}", "trials=20", "n=[100]",
                                "epsilon=[0.25,0.5,1.0,2.0,4.0]"], out_dir=sweep / str(job))
    return sweep


@pytest.mark.parametrize("column", COLUMNS)
def test_a_summary_without_a_contract_column_is_refused_naming_it(two_jobs, column):
    frame = read_summary(two_jobs / "0").drop(columns=column)
    with pytest.raises(ConfigError, match=f"no column '{column}'"):
        check_summary(frame, two_jobs / "0" / "summary.csv")


def test_aggregate_marks_a_job_whose_summary_lost_a_contract_column_failed(two_jobs, tmp_path):
    sweep = tmp_path / "sweep"
    for job in ("0", "1"):
        (sweep / job).mkdir(parents=True)
        (sweep / job / "summary.csv").write_bytes((two_jobs / job / "summary.csv").read_bytes())
    kept = pd.read_csv(sweep / "0" / "summary.csv")
    pd.read_csv(sweep / "1" / "summary.csv").drop(columns="config_hash").to_csv(sweep / "1" / "summary.csv", index=False)
    combined = aggregate(sweep)  # was: job 1's 75 rows collapsed to 5 (one per metric, hash NaN), all "ok"
    ok, failed = combined[combined.status == "ok"], combined[combined.status != "ok"]
    assert len(kept) == 75 and len(ok) == 75 and set(ok.mechanism) == {"rr"}
    assert failed.job.tolist() == [1] and "1/summary.csv: not a summary table: no column 'config_hash'" in \
        failed.status.iloc[0]


def test_summarise_interval_covers_the_mean_at_the_stated_rate():
    rng = np.random.default_rng(11)
    hits = [(lambda s: s["ci_low"] <= 0 <= s["ci_high"])(summarise(rng.normal(size=200))) for _ in range(2000)]
    # 2000 intervals at 95%: the count of hits is Bin(2000, 0.95); 5 sd is about ±49
    assert abs(sum(hits) - 1900) < 50


def test_summarise_uses_exact_interval_for_indicators():
    s = summarise(np.ones(100), INDICATOR)
    assert s["value"] == 1.0 and s["ci_high"] == 1.0 and 0.96 < s["ci_low"] < 0.97  # (α/2)^(1/100)
    one = summarise(np.zeros(1), INDICATOR)  # one trial of an indicator: [0, 0.975]
    assert one["ci_low"] == 0.0 and one["ci_high"] == pytest.approx(0.975)


@pytest.mark.parametrize("values", [np.zeros(5000), np.ones(5000), np.full(30, 7.5)])
def test_a_constant_measurement_has_a_zero_width_interval(values):
    # a measurement that happens to be all 0 or all 1 is not a rate: no binomial interval
    s = summarise(values, MEASUREMENT)
    assert s["ci_low"] == s["ci_high"] == values[0] and s["std"] == 0.0


def test_measurement_interval_is_students_t():
    x = np.array([1.0, 2.0, 4.0])
    s = summarise(x, MEASUREMENT)
    half = stats.t.ppf(0.975, 2) * x.std(ddof=1) / np.sqrt(3)  # 4.30 sd/sqrt(3), not 1.96
    assert s["ci_high"] - s["value"] == pytest.approx(half)
    assert np.isnan(summarise(np.array([3.0]), MEASUREMENT)["ci_low"])  # one trial: no interval


def test_every_metric_declares_its_kind():
    with pytest.raises(KeyError, match="no declared kind"):
        kind_of("made_up_metric")
    assert kind_of("partial_P3") == MEASUREMENT and kind_of("exact_match") == INDICATOR
    # an attack's metrics are declared by the attack
    assert kind_of("exposed", VoteAttack.METRICS) == INDICATOR
    with pytest.raises(KeyError, match="no declared kind"):
        kind_of("exposed")


def sample(mean, std, trials):
    """``trials`` values with exactly this mean and (ddof=1) standard deviation, symmetric."""
    if trials == 1 or std == 0:
        return np.full(trials, float(mean))
    half = np.full(trials // 2, 1.0)
    x = np.concatenate([half, -half, [0.0] * (trials % 2)])
    return mean + std * x / x.std(ddof=1)


@pytest.mark.parametrize("kind, value, std, trials, expected, q, verdict", [
    (MEASUREMENT, 10.02, 1.0, 10000, 10.0, 1.0, "agrees"),       # z = 2
    (MEASUREMENT, 10.045, 1.0, 10000, 10.0, 1.0, "agrees"),      # z = 4.5: rare, but not 1e-6 rare
    (MEASUREMENT, 10.05, 1.0, 10000, 10.0, 1.0, "differs"),      # z = 5
    (MEASUREMENT, 10.0, 0.0, 100, 10.0, 1.0, "agrees"),          # constant and exact
    (MEASUREMENT, 10.0, 0.0, 100, 10.5, 1.0, "differs"),         # constant, not exact
    (MEASUREMENT, 0.0, 0.0, 3000, 63333.0, 1e-6, "unresolved"),  # a heavy tail no trial reached
    (MEASUREMENT, 0.0, 0.0, 3000, 63333.0, 0.5, "differs"),      # ... one that 1500 trials should have
    (MEASUREMENT, 3.0, 0.0, 1, 2.5, 1.0, "unresolved"),          # one draw of a random metric
    (INDICATOR, 0.0, 0.0, 4000, 1e-5, 1.0, "agrees"),            # a rare event no trial hit
    (INDICATOR, 0.52, 0.5, 10000, 0.5, 1.0, "agrees"),           # binomial test, p = 0.045
    (INDICATOR, 0.54, 0.5, 10000, 0.5, 1.0, "differs"),          # p = 1e-15
    (INDICATOR, 0.999, 0.03, 1000, 1.0, 1.0, "differs"),         # a certain event that failed once
    (LOWER_BOUND, 0.98, 0.0, 1000, 1.0, 1.0, "agrees"),
    (LOWER_BOUND, 1.2, 0.0, 1000, 1.0, 1.0, "differs"),
    (MEASUREMENT, 1.0, 0.1, 100, None, 1.0, None),
])
def test_agreement_verdicts(kind, value, std, trials, expected, q, verdict):
    if kind == INDICATOR:
        values = (np.arange(trials) < round(value * trials)).astype(float)
    else:
        values = sample(value, std, trials)
    assert agreement(kind, values, expected, q)[1] == verdict


def test_a_skewed_metric_that_missed_its_tail_is_not_a_false_alarm():
    # 50 squared discrete-Laplace noises (ε = 1): the plain z calls 1.5% of such samples 5σ
    # off; the skewness-corrected one 1e-4.  This one has mean 0.88 against 1.84 (plain z = −5)
    rng = np.random.default_rng(17)
    p = -math.expm1(-1.0)
    var = 2 * math.exp(-1.0) / p**2
    hits = 0
    for _ in range(2000):
        x = ((rng.geometric(p, 50) - rng.geometric(p, 50)) ** 2).astype(float)
        hits += agreement(MEASUREMENT, x, var)[1] == "differs"
    assert hits <= 2


def test_an_exact_spread_replaces_the_trials_own():
    # 4,000 identical trials 1e-4 above the expectation: by their own spread a contradiction,
    # by the exact spread of the metric (sd 0.006) one standard error
    values = np.full(4000, 0.900134)
    assert agreement(MEASUREMENT, values, 0.900031)[1] == "differs"
    z, verdict = agreement(MEASUREMENT, values, 0.900031, sd=0.006)
    assert verdict == "agrees" and z == pytest.approx(1.0857, abs=1e-3)


def test_skew_corrected_z_is_the_plain_z_for_symmetric_trials():
    x = sample(10.03, 1.0, 10000)
    assert skew_corrected_z(x, 10.0) == pytest.approx(3.0, rel=1e-9)


def test_summary_reports_z_and_agreement():
    s = run_experiment("bounded_sum", ["n=20", "epsilon=1", "upper=100.0", "trials=400"]).summary
    row = s[s.metric == "sq_error"].iloc[0]
    assert row.z == pytest.approx((row.value - row.expected) / (row["std"] / np.sqrt(row.trials)), abs=0.5)
    assert row.agreement == "agrees"
    assert s[s.expected.isna()].agreement.isna().all()


def test_unreached_heavy_tail_is_unresolved_not_a_contradiction():
    # clamping at 300,000 on Pareto(3, 1000) inputs: P(clip) is 4e-8 per input, so 2,000 trials
    # show no clipping although the expected squared error includes its 63,333
    s = run_experiment("outlier_sum", ["upper=[300000.0]", "mechanism.kind=exact",
                                       "adversary.known_fraction=1.0"]).summary
    row = s[s.metric == "sq_error"].iloc[0]
    assert row.value == 0 and row.expected > 6e4 and row.agreement == "unresolved"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_shows_on_a_terminal():
    out = Terminal()
    bar = Progress(2, "poll", stream=out)
    bar.step("epsilon=1")
    bar.step("epsilon=2")
    assert "poll: 2/2" in out.getvalue() and out.getvalue().endswith("\n")


def test_progress_is_quiet_for_a_quick_run_when_not_a_terminal():
    out = io.StringIO()
    bar = Progress(1, "poll", stream=out)
    bar.step()
    assert out.getvalue() == ""


def test_a_long_run_off_a_terminal_prints_a_line_every_few_seconds_with_an_eta():
    out, now = io.StringIO(), [0.0]
    bar = Progress(10, "floating_point", stream=out, clock=lambda: now[0])
    for _ in range(10):
        now[0] += 2.0  # two seconds a configuration
        bar.step()
    lines = out.getvalue().splitlines()
    assert len(lines) == 4  # at 6 s, 12 s, 18 s and the end (20 s)
    assert lines[0] == "floating_point: 3/10 configurations, 6.0s, ~14s left"
    assert lines[-1] == "floating_point: 10/10 configurations, 20.0s"


def test_progress_false_is_silent():
    out, now = io.StringIO(), [0.0]
    bar = Progress(3, "x", enabled=False, stream=out, clock=lambda: now[0])
    for _ in range(3):
        now[0] += 10
        bar.step()
    assert out.getvalue() == ""


def test_every_key_that_varies_between_configurations_is_a_column(tmp_path):
    """``neighbours`` swept in one run: two configurations, each named in its own column, and
    the figure shows them apart instead of joining them in one line."""
    from simprive.figures import layout

    res = run_experiment("bounded_sum", ["neighbours=[replace,add_remove]", "n=[100]", "lower=-50", "trials=50",
                                         "epsilon=[1.0]", "upper=[100.0]"], out_dir=tmp_path)
    s = res.summary
    assert set(s["neighbours"]) == {"replace", "add_remove"}
    assert s.groupby("neighbours")["config_hash"].nunique().eq(1).all()  # one configuration per value
    spec = next(p for p in res.meta["config"]["figure"]["plots"] if p["metric"] == "abs_error")
    assert "neighbours" in layout(s, spec).mapped


def test_drawn_figures_show_inline_in_a_notebook(tmp_path):
    """``res.draw()`` as a cell's last line shows every figure (the PNG the run wrote), not
    ``[<Figure …>]``, and is still the list of Figures it was."""
    import base64
    import re

    from matplotlib.figure import Figure

    res = run_experiment("referendum", ["trials=20"], out_dir=tmp_path)
    figs = res.draw()
    assert isinstance(figs, list) and len(figs) == 2 and all(isinstance(f, Figure) for f in figs)
    assert list(iter(figs)) == [figs[0], figs[1]]
    html = figs._repr_html_()
    shown = [base64.b64decode(b) for b in re.findall(r'<img src="data:image/png;base64,([^"]+)"', html)]
    assert shown == [p.read_bytes() for p in res.figures if p.suffix == ".png"]  # every figure, as written
    IPython = pytest.importorskip("IPython")
    data, _ = IPython.core.formatters.DisplayFormatter().format(figs)  # what Jupyter asks an object
    assert data["text/html"] == html

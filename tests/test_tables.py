"""Real tables as inputs: the closed forms on a table's own rows against enumerating every
sample, simulations that agree with them under each sampling design, one read of the file
per process, and a one-line error naming the key for every broken table."""

import itertools
import statistics
import time

import numpy as np
import pandas as pd
import pytest
from helpers import assert_agrees, simprive
from scipy import stats

from simprive import ConfigError, run_experiment
from simprive.scenarios import Table
from simprive.tables import READERS, Empirical, _from_file

SAMPLINGS = ("population", "with_replacement", "without_replacement")


def csv(tmp_path, values, name="t.csv", column="x"):
    path = tmp_path / name
    pd.DataFrame({column: values}).to_csv(path, index=False)
    return str(path)


def table(path, sampling="with_replacement", column="x", yes_values=None):
    return Table(path=path, dataset=None, column=column, yes_values=yes_values, sampling=sampling)


@pytest.mark.parametrize("sampling", SAMPLINGS)
def test_clipping_moments_equal_enumerating_every_sample(tmp_path, sampling):
    rows = [3.0, 10.0, 7.0, 0.5, 12.0, 7.0]
    t = table(csv(tmp_path, rows), sampling)
    n, lower, upper = (len(rows) if sampling == "population" else 3), 1.0, 8.0
    samples = {"population": [tuple(range(len(rows)))],  # every ordered sample, equally likely
               "with_replacement": itertools.product(range(len(rows)), repeat=n),
               "without_replacement": itertools.permutations(range(len(rows)), n)}[sampling]
    errors, totals = [], []
    for s in samples:
        errors.append(sum(min(max(rows[i], lower), upper) - rows[i] for i in s))
        totals.append(sum(rows[i] for i in s))
    bias, variance, total = t.sum_moments(n, lower, upper)
    assert bias == pytest.approx(statistics.fmean(errors), abs=1e-12)
    assert variance == pytest.approx(statistics.pvariance(errors), abs=1e-12)
    assert total == pytest.approx(statistics.fmean(totals))
    assert t.clipped_share(lower, upper) == pytest.approx(3 / 6)  # 10, 0.5 and 12 lie outside [1, 8]


def test_the_empirical_law_agrees_with_scipys_on_integers():
    rows = np.random.default_rng(3).integers(-5, 40, 500)
    values, counts = np.unique(rows, return_counts=True)
    reference = stats.rv_discrete(values=(values, counts / counts.sum()))
    law = Empirical(rows)
    assert law.mean() == pytest.approx(reference.mean()) and law.var() == pytest.approx(reference.var())
    assert law.support() == (rows.min(), rows.max())
    for x in (-6, 0, 7.5, 39, 40):
        assert law.cdf(x) == pytest.approx(reference.cdf(x)) and law.sf(x) == pytest.approx(reference.sf(x))
    f = lambda v: (v - 3.0) ** 2  # noqa: E731
    assert law.expect(f, lb=0, ub=20) == pytest.approx(reference.expect(f, lb=0, ub=20))
    assert law.expect(f) == pytest.approx(reference.expect(f))


@pytest.mark.parametrize("sampling, n", [("population", 300), ("with_replacement", 50), ("without_replacement", 200)])
def test_a_clamped_sum_on_a_table_agrees_with_its_closed_forms(tmp_path, sampling, n):
    rows = np.round(np.random.default_rng(9).lognormal(3, 1, 300), 2)  # heavy-ish: the bounds clip some
    path = csv(tmp_path, rows)
    s = run_experiment("bounded_sum", ["scenario=table", f"scenario.path={path}", "scenario.column=x",
                                       f"scenario.sampling={sampling}", f"n={n}", "lower=0", "upper=[20.0,60.0,400.0]",
                                       "epsilon=[1.0]", "trials=3000"]).summary
    assert_agrees(s)
    share = s[s.metric == "clipped_share"].set_index("upper").expected
    assert share[20.0] == pytest.approx(np.mean(rows > 20)) and share[400.0] == np.mean(rows > 400)


def test_a_yes_no_column_counts_its_yes_values(tmp_path):
    path = csv(tmp_path, ["a", "b", "b", "c", "b"] * 40, column="answer")
    t = table(path, column="answer", yes_values=("b",))
    assert t.inputs == "answers" and t.p == pytest.approx(0.6)
    s = run_experiment("poll", ["scenario=table", f"scenario.path={path}", "scenario.column=answer",
                                "scenario.yes_values=[b]", "n=[100]", "epsilon=[1.0]", "trials=4000"]).summary
    assert_agrees(s)
    assert s[s.metric == "truth"].value.iloc[0] == pytest.approx(0.6, abs=0.01)


def test_a_population_is_read_once_and_never_copied_per_trial(tmp_path, monkeypatch):
    reads = []
    monkeypatch.setitem(READERS, ".csv", lambda f: reads.append(f) or pd.read_csv(f))
    _from_file.cache_clear()
    path = csv(tmp_path, np.arange(1000.0))
    s = run_experiment("bounded_sum", ["scenario=table", f"scenario.path={path}", "scenario.column=x",
                                       "scenario.sampling=population", "n=1000", "upper=[100.0,500.0,2000.0]",
                                       "epsilon=[0.5,1.0]", "trials=50"]).summary
    assert s.config_hash.nunique() == 6 and len(reads) == 1
    t = table(path, "population")
    data = t.draw(np.random.default_rng(0), 20, 1000)
    assert np.shares_memory(data.values, t.rows) and not data.values.flags.writeable


def test_other_data_in_the_same_file_is_another_configuration(tmp_path):
    path = csv(tmp_path, [1.0, 2.0, 3.0])
    args = ["scenario=table", f"scenario.path={path}", "scenario.column=x", "n=3", "upper=[5.0]", "epsilon=[1.0]",
            "trials=20"]
    before = run_experiment("bounded_sum", args).summary.config_hash.iloc[0]
    csv(tmp_path, [1.0, 2.0, 4.0, 5.0])  # rewritten: a new size, a new modification time
    assert run_experiment("bounded_sum", args).summary.config_hash.iloc[0] != before


@pytest.mark.parametrize("write, overrides, key, says", [
    (lambda p: pd.DataFrame({"x": [1.0, None, 3.0]}).to_csv(p / "t.csv", index=False), [], "scenario.column",
     "row 2 of"),
    (lambda p: pd.DataFrame({"x": ["1", "2", "three"]}).to_csv(p / "t.csv", index=False), [], "scenario.column",
     "row 3 holds 'three'"),
    (lambda p: (p / "t.csv").write_text("x\n"), [], "scenario.path", "no rows"),
    (lambda p: pd.DataFrame({"y": [1.0]}).to_csv(p / "t.csv", index=False), [], "scenario.column", "its columns: y"),
    (lambda p: pd.DataFrame({"x": [1.0, 2.0]}).to_csv(p / "t.csv", index=False),
     ["scenario.sampling=without_replacement", "n=3"], "n", "at most 2"),
    (lambda p: pd.DataFrame({"x": [1.0, 2.0]}).to_csv(p / "t.csv", index=False),
     ["scenario.sampling=population", "n=3"], "n", "set n=2"),
    (lambda p: pd.DataFrame({"x": [1.0, 2.0]}).to_csv(p / "t.csv", index=False), ["scenario.sampling=bootstrap"],
     "scenario.sampling", "population"),
    (lambda p: None, [], "scenario.path", "no such file"),
    (lambda p: (p / "t.csv").write_bytes(b"\x00\x01\x02"), [], "scenario.column", "its columns"),
])
def test_a_broken_table_is_one_line_naming_the_key(tmp_path, write, overrides, key, says):
    write(tmp_path)
    with pytest.raises(ConfigError) as err:
        run_experiment("bounded_sum", ["scenario=table", f"scenario.path={tmp_path / 't.csv'}", "scenario.column=x",
                                       "n=2", "upper=[5.0]", "epsilon=[1.0]", *overrides])
    assert err.value.key == key and says in str(err.value) and "\n" not in str(err.value), str(err.value)


def test_a_path_and_a_dataset_or_neither(tmp_path):
    for given in (["scenario.dataset=engel", f"scenario.path={csv(tmp_path, [1.0])}"], []):
        with pytest.raises(ConfigError) as err:
            run_experiment("bounded_sum", ["scenario=table", "scenario.column=x", *given])
        assert err.value.key == "scenario.path"
    with pytest.raises(ConfigError) as err:
        run_experiment("bounded_sum", ["scenario=table", "scenario.column=x", "scenario.dataset=nope"])
    assert err.value.key == "scenario.dataset" and "anes96, engel, fair" in str(err.value)


def test_an_attack_that_takes_independent_inputs_refuses_a_population(tmp_path):
    path = csv(tmp_path, np.arange(20.0))
    with pytest.raises(ConfigError) as err:
        run_experiment("outlier_sum", ["scenario=table", f"scenario.path={path}", "scenario.column=x",
                                       "scenario.sampling=population", "n=20"])
    assert err.value.key == "scenario.sampling"


def test_the_command_line_refuses_a_broken_table_writing_nothing(tmp_path):
    pd.DataFrame({"x": [1.0, "n/a"]}).to_csv(tmp_path / "t.csv", index=False)
    out = simprive("experiment=bounded_sum", "scenario=table", f"scenario.path={tmp_path / 't.csv'}",
                   "scenario.column=x", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path, check=False)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and "scenario.column" in out.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("name", ["referendum_anes96", "bounded_sum_engel", "outlier_sum_fair"])
def test_presets_on_real_data_agree_with_their_closed_forms(name):
    pytest.importorskip("statsmodels")
    assert_agrees(run_experiment(name, ["trials=1000"]).summary)


def test_distinct_rows_are_a_uniform_subset_even_when_most_draws_repeat():
    from simprive.scenarios import _distinct_integers

    k, universe, trials = 40, 60, 30000  # k²/2 ≫ universe: only repeated entries are redrawn
    picked = _distinct_integers(np.random.default_rng(4), trials, k, universe)
    assert all(len(set(row)) == k for row in picked[:200])
    # every row of the table is in a sample with probability k / N
    counts = np.bincount(picked.ravel(), minlength=universe)
    expected = trials * k / universe
    assert stats.chisquare(counts, np.full(universe, expected)).pvalue > 1e-6


def test_two_parties_sets_from_two_files(tmp_path):
    rng = np.random.default_rng(5)
    mine = [f"u{i}@x.org" for i in rng.choice(500, 60, replace=False)]
    theirs = [f"u{i}@x.org" for i in rng.choice(500, 80, replace=False)] + ["u1@x.org"] * 3  # repeats count once
    a, b = csv(tmp_path, mine, "a.csv", "email"), csv(tmp_path, theirs, "b.csv", "customer")
    sets = ["scenario=table_sets", f"scenario.path={a}", "scenario.column=email", f"scenario.other_path={b}",
            "scenario.other_column=customer"]
    s = run_experiment("set_intersection", sets).summary
    truth = s[s.metric == "truth"]
    assert (truth.value == len(set(mine) & set(theirs))).all() and (truth.agreement == "agrees").all()
    assert_agrees(run_experiment("set_intersection_dp", [*sets, "trials=1000"]).summary)


def test_a_semicolon_table_is_read_with_its_own_delimiter(tmp_path):
    (tmp_path / "t.csv").write_text("id;x\n1;5.5\n2;7\n3;-1\n")
    (tmp_path / "t.tsv").write_text("id\tx\n1\t5.5\n2\t7\n3\t-1\n")
    for name in ("t.csv", "t.tsv"):
        assert table(str(tmp_path / name)).rows.tolist() == [5.5, 7.0, -1.0]


@pytest.mark.parametrize("text, says", [
    ("x\n1,5\n2,5\n", "row 1 has 2 ','-separated fields, its header 1"),  # decimal commas: was x = [5, 5]
    ("x;y\n1,5;2\n3,5;4\n", "row 1 holds '1,5'"),  # read with ';': a decimal comma is not a number
])
def test_rows_that_do_not_split_as_the_header_are_refused(tmp_path, text, says):
    (tmp_path / "t.csv").write_text(text)
    with pytest.raises(ConfigError) as err:
        table(str(tmp_path / "t.csv"))
    assert err.value.key in ("scenario.path", "scenario.column") and says in str(err.value), str(err.value)


@pytest.mark.parametrize("values, says", [
    (pd.to_datetime(["2023-01-01", "2023-02-01"]), "holds datetime64"),  # was 1.67e15, microseconds since 1970
    (pd.to_timedelta(["55 days", "1 day"]), "holds timedelta64"),
    ([True, False], "holds bool values"),
])
def test_a_column_of_dates_durations_or_booleans_is_refused_by_its_type(tmp_path, values, says):
    pd.DataFrame({"x": values}).to_parquet(tmp_path / "t.parquet")
    with pytest.raises(ConfigError) as err:
        table(str(tmp_path / "t.parquet"))
    assert err.value.key == "scenario.column" and says in str(err.value), str(err.value)


def test_a_boolean_column_is_a_yes_no_question_when_its_yes_is_given(tmp_path):
    pd.DataFrame({"x": [True, False, True, True]}).to_parquet(tmp_path / "t.parquet")
    assert table(str(tmp_path / "t.parquet"), yes_values=(True,)).p == pytest.approx(0.75)


def test_a_header_line_too_long_for_a_table_is_refused_at_once(tmp_path):
    path = tmp_path / "t.csv"
    with open(path, "w") as f:  # 3 million columns (26 MB): pandas hung on the header
        f.write(",".join(f"c{i}" for i in range(3_000_000)) + ",x\n" + "1," * 3_000_000 + "2\n")
    start = time.perf_counter()
    with pytest.raises(ConfigError) as err:
        table(str(path))
    assert err.value.key == "scenario.path" and "first line is longer than 1 MB" in str(err.value), str(err.value)
    assert time.perf_counter() - start < 5  # a megabyte read, not 26


def test_a_true_among_the_numbers_of_a_json_column_is_not_read_as_1(tmp_path):
    path = tmp_path / "t.json"
    path.write_text('[{"x": 1}, {"x": true}, {"x": 3}]')  # pandas' default reading gave [1, 1, 3]
    with pytest.raises(ConfigError) as err:
        table(str(path))
    assert err.value.key == "scenario.column" and "row 2 holds True" in str(err.value), str(err.value)
    path.write_text('[{"x": true}, {"x": false}, {"x": true}, {"x": true}]')  # a yes/no column is still one
    assert table(str(path), yes_values=(True,)).p == pytest.approx(0.75)
    path.write_text('[{"x": 1}, {"x": 2.5}, {"x": "3"}]')
    assert sorted(table(str(path)).rows) == [1.0, 2.5, 3.0]

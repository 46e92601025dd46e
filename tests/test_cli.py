"""End to end through the installed commands, as a user runs them."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import BIN, exits_in_process, simprive

from simprive.results import COLUMNS

SMALL = ["experiment=bounded_sum", "epsilon=[0.5,2.0]", "n=20", "upper=[80.0,100.0]", "trials=200"]


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.suffix in (".csv", ".png", ".svg")}


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("single")
    out = simprive(*SMALL, "save_trials=true", f"hydra.run.dir={tmp / 'run'}", cwd=tmp)
    return tmp / "run", out


def test_single_run_prints_its_directory_last(single):
    run_dir, out = single
    assert out.stdout.strip().splitlines()[-1] == str(run_dir)


def test_single_run_lists_its_files_and_the_report_to_open(single):
    run_dir, out = single
    lines = out.stdout.strip().splitlines()
    figures = [str(run_dir / f"{name}.{ext}") for ext in ("png", "svg")
               for name in ("bounded_sum_abs_error", "bounded_sum_bias")]
    assert lines[-2:] == [f"open: {run_dir / 'report.html'}", str(run_dir)]
    assert lines[:3] == [str(run_dir / name) for name in ("summary.csv", "trials.parquet", "meta.json")]
    assert sorted(lines[3:-2]) == sorted(figures)
    assert all(Path(line.removeprefix("open: ")).exists() for line in lines)


@pytest.mark.parametrize("command", ["simprive", "simprive-plot", "simprive-report", "simprive-aggregate"])
def test_version_is_simprives(command, tmp_path):
    from simprive import __version__

    out = simprive("--version", cwd=tmp_path, command=command)
    assert out.stdout == f"simprive {__version__}\n"


@pytest.mark.parametrize("args", [
    ["experiment=breach", "--help"], ["experiment=breach", "--cfg", "job"], ["--info"], ["--version"],
    pytest.param(["experiment=poll", "n=100", "trials=20", "epsilon=1", "scenario.p=0.5", "hydra.run.dir=run"],
                 marks=pytest.mark.slow),
])
def test_a_closed_stdout_ends_the_command_quietly(args, tmp_path):
    # stdout a pipe whose reader has gone, as `simprive … | head` leaves it once head has read enough
    read, write = os.pipe()
    os.close(read)
    out = subprocess.run([str(BIN / "simprive"), *args], cwd=tmp_path, stdout=write, stderr=subprocess.PIPE, text=True,
                         timeout=300)
    os.close(write)
    assert out.returncode == 1 and out.stderr == "", out.stderr


def test_single_run_writes_the_contract(single):
    run_dir, _ = single
    summary = pd.read_csv(run_dir / "summary.csv")
    assert list(summary.columns[: len(COLUMNS)]) == COLUMNS
    assert set(summary.metric) == {"estimate", "truth", "error", "abs_error", "sq_error"}
    assert len(summary) == 2 * 2 * 5
    meta = json.loads((run_dir / "meta.json").read_text())
    for key in ("seed", "config_hash", "bit_generator", "overrides", "python", "packages", "wall_time_s"):
        assert key in meta
    assert meta["packages"]["numpy"] and "epsilon=[0.5,2.0]" in meta["overrides"]
    for name in ("bounded_sum_abs_error", "bounded_sum_bias"):
        assert (run_dir / f"{name}.png").stat().st_size > 10_000
        assert (run_dir / f"{name}.svg").read_text().startswith("<?xml")
    trials = pd.read_parquet(run_dir / "trials.parquet")
    assert len(trials) == 4 * 5 * 200


@pytest.mark.slow
def test_same_seed_gives_byte_identical_results_and_figures(single, tmp_path):
    run_dir, _ = single
    simprive(*SMALL, "save_trials=true", f"hydra.run.dir={tmp_path / 'again'}", cwd=tmp_path)
    assert digest(run_dir) == digest(tmp_path / "again")


@pytest.mark.slow
def test_plot_redraws_figures_byte_identically(single, tmp_path):
    run_dir, _ = single
    before = digest(run_dir)
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("summary.csv", "meta.json"):
        (copy / name).write_bytes((run_dir / name).read_bytes())
    simprive(str(copy), cwd=tmp_path, command="simprive-plot")
    assert digest(copy) == before


@pytest.mark.slow
def test_python_dash_m_runs(tmp_path):
    out = subprocess.run([sys.executable, "-m", "simprive", "experiment=poll", "n=100", "epsilon=1",
                          "scenario.p=0.5", "trials=50", f"hydra.run.dir={tmp_path / 'r'}"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "r" / "summary.csv").exists()


BAD = [
    (["epsilon=0"], "epsilon"),
    (["epsilon=-1"], "epsilon"),
    (["epsilon=inf"], "epsilon"),
    (["epsilon=abc"], "epsilon"),
    (["delta=1.5"], "delta"),
    (["delta=-0.1"], "delta"),
    (["lower=1", "upper=1"], "lower"),
    (["n=0"], "n"),
    (["n=2.5"], "n"),
    (["trials=0"], "trials"),
    (["scenario.p=1.5"], "scenario.p"),
    (["experiment=nope"], "experiment"),
    (["mechanism=nope"], "mechanism"),
    (["scenario=nope"], "scenario"),
    (["nokey=1"], "nokey"),
    (["-m", "epsilon=1,-1"], "epsilon"),
    (["experiment=raise_average", "n=1"], "n"),
    (["experiment=raise_average", "upper=1e30"], "upper"),
    (["experiment=raise_average", "mechanism=mpc_client_server", "~mechanism.spread", "mechanism.t=3"], "mechanism.t"),
    (["experiment=set_intersection", "scenario.size_x=0"], "scenario.size_x"),
    (["experiment=mpc_plus_dp_collusion", "adversary.colluders=11"], "adversary.colluders"),
]


@pytest.mark.parametrize("args, key", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys, args, key):
    # the command line's own code, in-process: validation stops it before Hydra starts
    default = [] if any(a.startswith("experiment=") for a in args) else ["experiment=poll"]  # a key given once
    code, err = exits_in_process([*default, *args, f"hydra.run.dir={tmp_path / 'run'}",
                                  f"hydra.sweep.dir={tmp_path / 'sweep'}"], tmp_path, monkeypatch, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"simprive: invalid {key}="), lines
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [["epsilon=-1"], ["-m", "epsilon=1,-1"]])
def test_bad_input_through_the_installed_command(tmp_path, args):
    out = simprive("experiment=poll", *args, f"hydra.run.dir={tmp_path / 'run'}",
                   f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path, check=False)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == ["simprive: invalid epsilon=-1.0: must be a finite number > 0"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_multirun_combines_jobs_at_the_sweep_root(tmp_path):
    sweep = tmp_path / "sweep"
    out = simprive("-m", "experiment=bounded_sum", "epsilon=0.5,2.0", "n=20", "upper=80.0,100.0", "trials=200",
                   f"hydra.sweep.dir={sweep}", cwd=tmp_path)
    assert out.stdout.strip().splitlines()[-1] == str(sweep)
    summary = pd.read_csv(sweep / "summary.csv")
    assert len(summary) == 2 * 2 * 5 and (summary.status == "ok").all()
    assert sorted(p.name for p in sweep.glob("*.png")) == ["bounded_sum_abs_error.png", "bounded_sum_bias.png"]
    assert not list(sweep.glob("*/*.png"))  # figures once, at the root
    # the same configurations swept inside one run give the same numbers
    single = simprive(*SMALL, f"hydra.run.dir={tmp_path / 'one'}", cwd=tmp_path)
    assert single.returncode == 0
    one = pd.read_csv(tmp_path / "one" / "summary.csv")
    cols = ["epsilon", "upper", "metric", "value", "expected", "config_hash"]
    pd.testing.assert_frame_equal(one[cols], summary[cols])

    # joblib launcher: the same combined table, byte for byte
    joblib = tmp_path / "joblib"
    simprive("-m", "experiment=bounded_sum", "epsilon=0.5,2.0", "n=20", "upper=80.0,100.0", "trials=200",
             "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={joblib}", cwd=tmp_path)
    assert (joblib / "summary.csv").read_bytes() == (sweep / "summary.csv").read_bytes()
    assert digest(joblib) == digest(sweep)

    # Hydra's own sweeper, composing every job twice in full: the same table
    basic = tmp_path / "basic"
    simprive("-m", "experiment=bounded_sum", "epsilon=0.5,2.0", "n=20", "upper=80.0,100.0", "trials=200",
             "hydra/sweeper=basic", f"hydra.sweep.dir={basic}", cwd=tmp_path)
    assert digest(basic) == digest(sweep)

    # simprive-aggregate rebuilds the same table
    before = (sweep / "summary.csv").read_bytes()
    (sweep / "summary.csv").unlink()
    simprive(str(sweep), cwd=tmp_path, command="simprive-aggregate")
    assert (sweep / "summary.csv").read_bytes() == before


def test_failed_job_becomes_a_status_row(tmp_path):
    from simprive.cli import _multirun_job, build_sweep
    from simprive.config import compose

    ok = compose(["experiment=poll", "n=50", "epsilon=1", "scenario.p=0.5", "trials=20"])
    bad = dict(ok, epsilon=-1.0)  # a job that fails inside, after Hydra launched it
    _multirun_job(ok, tmp_path / "0", ["epsilon=1"])
    _multirun_job(bad, tmp_path / "1", ["epsilon=-1"])
    assert (tmp_path / "1" / "error.json").exists() and not (tmp_path / "1" / "summary.csv").exists()
    summary = pd.read_csv(build_sweep(tmp_path))
    assert (summary.status == "ok").sum() == 5
    failed = summary[summary.status != "ok"]
    assert len(failed) == 1 and "epsilon" in failed.status.iloc[0] and failed.epsilon.iloc[0] == -1.0


def test_core_does_not_import_hydra():
    code = ("import sys, simprive, simprive.runner; "
            "r = simprive.run({'epsilon': 1.0, 'delta': 0.0, 'n': 10, 'lower': 0.0, 'upper': 1.0, 'trials': 5, "
            "'seed': 0, 'scenario': {'kind': 'categorical', 'p': 0.5, 'k': 2}, 'query': {'kind': 'mean'}, "
            "'mechanism': {'kind': 'rr'}, 'adversary': {'kind': 'none'}}); "
            "assert 'hydra' not in sys.modules and 'omegaconf' not in sys.modules, 'hydra imported'; "
            "print(len(r.summary))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "5"


# == keys a mechanism ignores, group overrides on presets that list several kinds ==========
@pytest.mark.slow
def test_a_multirun_whose_jobs_are_one_configuration_is_refused(tmp_path):
    out = simprive("-m", "experiment=poll", "mechanism=rr_article", "epsilon=0.5,1", "n=100",
                   f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path, check=False)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    line = out.stderr.strip().splitlines()[-1]
    assert line.startswith("simprive: invalid epsilon='0.5,1'") and "ε = ln 3" in line and "remove epsilon" in line
    assert not (tmp_path / "sweep").exists()


@pytest.mark.slow
def test_jobs_that_share_a_configuration_share_its_rows(tmp_path):
    # mpc_sum ignores ε, laplace does not: two jobs, the exact rows once in the combined table
    simprive("-m", "experiment=differencing", "epsilon=0.5,1", "trials=100", "adversary.known_fraction=1.0",
             "adversary.second_release=false", f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path)
    s = pd.read_csv(tmp_path / "sweep" / "summary.csv")
    assert not s.duplicated(["config_hash", "metric"]).any()
    assert s[s.mechanism == "mpc_sum"].config_hash.nunique() == 1
    assert s[s.mechanism == "laplace"].config_hash.nunique() == 2


@pytest.mark.slow
def test_a_group_override_replaces_the_presets_list_on_the_command_line(tmp_path):
    simprive("experiment=referendum", "mechanism=rr", "trials=200", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert set(pd.read_csv(tmp_path / "run" / "summary.csv").mechanism) == {"rr"}
    out = simprive("experiment=referendum", "mechanism=mpc_psi", cwd=tmp_path, check=False)
    assert out.returncode == 2 and "mechanism=mpc_psi needs sets as inputs (scenario=sets or table_sets)" in out.stderr


def test_the_quick_starts_install_has_what_every_preset_reads():
    # `pip install -e .` (no extra) installs the package of every data set a preset reads by name
    import re
    import tomllib
    from importlib.metadata import packages_distributions

    from simprive.config import EXPERIMENTS_DIR
    from simprive.tables import DATASETS

    root = Path(__file__).parents[1]
    core = {re.match(r"[A-Za-z0-9_.-]+", d).group().lower()
            for d in tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]}
    read = {name for name in DATASETS for p in EXPERIMENTS_DIR.glob("*.yaml") if f"dataset: {name}" in p.read_text()}
    assert read == {"anes96", "engel", "fair"}
    for name in read:
        package = DATASETS[name][0].split(".")[0]
        assert {d.lower() for d in packages_distributions()[package]} <= core, (name, package)
    assert '".[data]"' not in (root / "README.md").read_text()


# == a user's config folder: a file named as a preset shadows it (issue 16) =================
@pytest.fixture
def users_poll(tmp_path):
    """A user's copy of the poll preset, under the preset's name, edited: 7 trials."""
    from simprive.config import EXPERIMENTS_DIR

    folder = tmp_path / "myconf"
    (folder / "experiment").mkdir(parents=True)
    (folder / "experiment" / "poll.yaml").write_text((EXPERIMENTS_DIR / "poll.yaml").read_text() + "trials: 7\n")
    return folder


def test_a_users_file_named_as_a_preset_shadows_it(users_poll):
    from simprive.config import Sources, compose

    assert compose(["experiment=poll"], Sources(config_dirs=(users_poll,)))["trials"] == 7
    assert compose(["experiment=poll", f"hydra.searchpath=[file://{users_poll}]"])["trials"] == 7
    assert compose(["experiment=poll"])["trials"] == 1000  # without the user's folder: the preset again


@pytest.mark.parametrize("where", ["--config-dir", pytest.param("hydra.searchpath", marks=pytest.mark.slow)])
def test_a_users_copy_of_a_preset_is_what_runs(users_poll, where, tmp_path):
    source = ["--config-dir", str(users_poll)] if where == "--config-dir" else [f"hydra.searchpath=[file://{users_poll}]"]
    simprive(*source, "experiment=poll", "n=100", "hydra.run.dir=run", cwd=tmp_path)
    summary = pd.read_csv(tmp_path / "run" / "summary.csv")
    assert set(summary.trials) == {7} and set(summary.n) == {100}


def test_an_unknown_keys_hint_names_the_users_config_folder(users_poll):
    from simprive.config import Sources, compose
    from simprive.validation import ConfigError

    with pytest.raises(ConfigError) as err:
        compose(["experiment=poll", "trals=5"], Sources(config_dirs=(users_poll,)))
    assert f"did you mean trials? see `simprive --config-dir={users_poll} experiment=poll --cfg job`" in str(err.value)


def test_many_items_are_announced_then_counted_and_few_are_not(capsys, monkeypatch):
    from simprive import progress

    monkeypatch.setattr(progress, "EVERY", 0.0)  # a line per item, as a pipe gets one every few seconds
    assert list(progress.counted(iter(range(3)), 3, "checking", "3 things", many=3)) == [0, 1, 2]
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "simprive: 3 things: checking each before any starts" and lines[-1].startswith(
        "checking: 3/3 configurations"), lines
    assert list(progress.counted(iter(range(2)), 2, "checking", "2 things", many=3)) == [0, 1]
    assert capsys.readouterr().err == ""

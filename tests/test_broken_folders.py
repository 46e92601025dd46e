"""A run or sweep folder with one broken file (issue 17): ``simprive-report``, ``simprive-plot``
and ``simprive-aggregate`` each refuse it in one line naming the file (and the key), exit 2,
no traceback and nothing written — or, where the folder is still readable, recover and say
what is wrong (a sweep job whose ``error.json`` is broken failed: ``error.json unreadable``)."""

import json
import shlex
import shutil

import pandas as pd
import pytest
from helpers import in_process, simprive

COMMANDS = ("simprive-report", "simprive-plot", "simprive-aggregate")
SWEEP = ["-m", "experiment=poll", "trials=20", "n=[100]", "epsilon=0.5,1.0", "hydra/launcher=joblib",
         "hydra.launcher.n_jobs=2"]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A real run folder and a real 2-job sweep folder, made once, copied by each case."""
    root = tmp_path_factory.mktemp("made")
    simprive("experiment=poll", "trials=20", "n=[100]", f"hydra.run.dir={root / 'run'}", cwd=root)
    simprive(*SWEEP, f"hydra.sweep.dir={root / 'sweep'}", cwd=root)
    return root


def edit_meta(change):
    def edit(path):
        meta = json.loads(path.read_text())
        change(meta["config"]["figure"])
        path.write_text(json.dumps(meta))
    return edit


def text(content):
    return lambda path: path.write_text(content)


def directory(path):
    path.unlink()
    path.mkdir()


def error_json_instead_of_summary(path):  # a job that failed and left a broken error.json
    (path.parent / "summary.csv").unlink()
    path.write_text("{broken")


def record_without_manifest(content):  # a sweep whose jobs are known only from their folders
    def edit(path):
        (path.parents[2] / "jobs.json").unlink()
        path.write_text(content)
    return edit


REFUSED = "refused"  # exit 2, one line naming the file (and key), no traceback, nothing written
FAILED_JOB = "failed job"  # simprive-aggregate: exit 1, job 1 failed, the reason in its row
OK = "ok"
# folder, file broken, how, what each command does (report, plot, aggregate), what the line says
CASES = [
    ("run", "meta.json", text("{not json"), (REFUSED, REFUSED, None), "meta.json': not a JSON file"),
    ("run", "meta.json", text("[]"), (REFUSED, REFUSED, None), "meta.json': holds [], not a JSON object"),
    ("run", "meta.json", text("null"), (REFUSED, REFUSED, None), "meta.json': holds null"),
    ("run", "meta.json", edit_meta(lambda f: f.update(plots="poll")), (REFUSED, REFUSED, None),
     "its config.figure.plots is 'poll', not a list of plots"),
    ("run", "meta.json", edit_meta(lambda f: f["plots"][0].pop("name")), (REFUSED, REFUSED, None),
     "its config.figure.plots[0].name is None"),
    ("run", "summary.csv", directory, (REFUSED, REFUSED, None), "its summary.csv is not a file"),
    ("run", "summary.csv", text(""), (REFUSED, REFUSED, None), "summary.csv': not a summary table: No columns"),
    ("sweep", "meta.json", text("null"), (REFUSED, REFUSED, OK), "meta.json': holds null"),
    ("sweep", "0/meta.json", text("{not json"), (REFUSED, OK, REFUSED), "0/meta.json': not a JSON file"),
    ("sweep", "0/meta.json", edit_meta(lambda f: f["plots"].append({"metric": "sq_error"})), (REFUSED, OK, REFUSED),
     "0/meta.json': its config.figure.plots[1].name is None"),
    ("sweep", "jobs.json", text("{not json"), (REFUSED, OK, REFUSED), "jobs.json': not a JSON file"),
    ("sweep", "jobs.json", text("{}"), (REFUSED, OK, REFUSED), "jobs.json': its key jobs is not a list of jobs"),
    ("sweep", "1/error.json", error_json_instead_of_summary, (OK, OK, FAILED_JOB), "1/error.json unreadable"),
    ("sweep", "1/summary.csv", text(""), (OK, OK, FAILED_JOB), "1/summary.csv: not a summary table: No columns"),
    ("sweep", "0/.hydra/overrides.yaml", record_without_manifest("[unclosed"), (REFUSED, OK, REFUSED),
     "0/.hydra/overrides.yaml': not Hydra's record of the job's overrides"),
    ("sweep", "0/.hydra/overrides.yaml", record_without_manifest("a: 1"), (REFUSED, OK, REFUSED),
     "0/.hydra/overrides.yaml': holds {{'a': 1}}, not a list of overrides"),
    ("sweep", "summary.csv", directory, (REFUSED, REFUSED, REFUSED),
     ("its summary.csv is not a file",) * 2 + ("cannot write {folder}/summary.csv: Is a directory",)),
]
# every third case runs in the default suite, the whole table with -m slow
TABLE = [pytest.param(*case, id=f"{case[0]}-{case[1]}-{i}", marks=() if i % 3 == 0 else pytest.mark.slow)
         for i, case in enumerate(CASES)]


def snapshot(folder):
    return {p.relative_to(folder): (p.is_dir(), p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("kind, broken, how, outcomes, says", TABLE)
def test_a_folder_with_a_broken_file(made, tmp_path, monkeypatch, capsys, kind, broken, how, outcomes, says):
    folder = tmp_path / kind
    shutil.copytree(made / kind, folder)
    how(folder / broken)
    for command, outcome, said in zip(COMMANDS, outcomes, says if isinstance(says, tuple) else [says] * 3):
        if outcome is None:  # simprive-aggregate is for sweeps
            continue
        said = said.format(folder=folder)
        before = snapshot(folder)
        # in this process (an exception would fail the test, as a traceback would)
        code, _, err = in_process([str(folder)], tmp_path, monkeypatch, capsys, command=command)
        lines = err.strip().splitlines()
        if outcome == REFUSED:
            assert code == 2 and len(lines) == 1 and said in lines[0], (command, err)
            assert snapshot(folder) == before, f"{command} wrote in {folder}"
        elif outcome == FAILED_JOB:
            assert code == 1 and len(lines) == 1 and "0 of 2 jobs missing [], 1 failed [1]" in lines[0], (command, err)
            summary = pd.read_csv(folder / "summary.csv")
            failed = summary[summary.status != "ok"]
            assert failed.job.tolist() == [1] and said in failed.status.iloc[0], failed.status.tolist()
            assert (summary.status == "ok").sum() == len(pd.read_csv(folder / "0" / "summary.csv"))
            assert said in (folder / "report.html").read_text()  # its Jobs table says why
        else:
            assert code == 0 and not lines, (command, err)


def test_the_command_that_completes_a_sweep_repeats_its_command_line(made, tmp_path):
    sweep = tmp_path / "sweep"
    shutil.copytree(made / "sweep", sweep)
    shutil.rmtree(sweep / "1")  # as if the sweep was killed before job 1
    out = simprive(str(sweep), cwd=tmp_path, command="simprive-aggregate", check=False)
    assert out.returncode == 1 and "1 of 2 jobs missing [1], 0 failed []" in out.stderr, out.stderr
    command = shlex.split(out.stderr.strip().split(" with: ", 1)[1])  # pasted into a shell
    # Hydra's own overrides too (hydra/launcher=joblib was dropped), the folder where it is now
    assert command == ["simprive", *SWEEP, f"hydra.sweep.dir={sweep}"]
    simprive(*command[1:], cwd=tmp_path)
    assert (sweep / "summary.csv").read_bytes() == (made / "sweep" / "summary.csv").read_bytes()
    assert simprive(str(sweep), cwd=tmp_path, command="simprive-aggregate").returncode == 0

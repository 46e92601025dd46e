"""Runs that survive: a rerun into the same folder reuses every finished configuration and
gives byte-identical results; one run per folder; a sweep knows every job it launched."""

import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from helpers import BIN, simprive

import simprive as sp
from simprive import run_experiment
from simprive.store import Busy, hold

POLL = ["trials=200", "n=[100,1000]", "epsilon=[0.5,1.0,2.0]"]


def configs(folder):
    return sorted((folder / ".simprive" / "configs").glob("*.json"))


def test_a_rerun_reuses_finished_configurations_byte_identically(tmp_path, capsys):
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    run_experiment("poll", POLL, out_dir=whole)
    assert len(configs(whole)) == 18
    # an interrupted run: some configurations finished, no summary written yet
    (resumed / ".simprive" / "configs").mkdir(parents=True)
    for path in configs(whole)[:7]:
        shutil.copy(path, resumed / ".simprive" / "configs")
    run_experiment("poll", POLL, out_dir=resumed)
    assert "reused 7 of 18 configurations" in capsys.readouterr().err
    assert (resumed / "summary.csv").read_bytes() == (whole / "summary.csv").read_bytes()
    assert (resumed / "poll_sq_error.png").read_bytes() == (whole / "poll_sq_error.png").read_bytes()


def test_a_changed_config_or_version_never_reuses_rows(tmp_path, capsys, monkeypatch):
    one = ["trials=200", "n=[100]", "epsilon=[1.0]"]
    run_experiment("poll", one, out_dir=tmp_path)
    capsys.readouterr()
    run_experiment("poll", [*one[1:], "trials=201"], out_dir=tmp_path)
    run_experiment("poll", [*one, "seed=1"], out_dir=tmp_path)
    assert "reused" not in capsys.readouterr().err
    monkeypatch.setattr(sp.version, "__version__", "0.0.0-other")
    run_experiment("poll", one, out_dir=tmp_path)
    assert "reused" not in capsys.readouterr().err
    monkeypatch.undo()
    run_experiment("poll", one, out_dir=tmp_path)  # the same again: reused
    assert "reused 3 of 3" in capsys.readouterr().err


def _holder(folder):
    """Another process that takes ``folder`` and keeps it until it is killed."""
    code = f"import time; from simprive.store import acquire; acquire({str(folder)!r}); print('held', flush=True); " \
           "time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_one_run_per_folder_and_a_dead_runs_lock_is_taken_over(tmp_path):
    holder = _holder(tmp_path)
    try:
        with pytest.raises(Busy) as err:
            run_experiment("poll", POLL, out_dir=tmp_path)
        assert err.value.key == "hydra.run.dir" and f"pid {holder.pid}" in str(err.value)
        with pytest.raises(Busy), hold(tmp_path):
            pass
    finally:
        holder.kill()  # SIGKILL: no clean-up of its own
        holder.wait()
    run_experiment("poll", POLL, out_dir=tmp_path)  # the kernel dropped the dead run's lock
    assert (tmp_path / "summary.csv").exists() and not (tmp_path / ".simprive" / "lock").exists()


@pytest.mark.parametrize("tries", [3, pytest.param(8, marks=pytest.mark.slow)])
def test_of_two_processes_taking_one_folder_at_once_exactly_one_wins(tmp_path, tries):
    """Two processes, each ready (imports done), released at the same moment, take one folder."""
    code = ("import os, sys, time\n"
            "from simprive.store import Busy, acquire\n"
            "print('ready', flush=True)\n"
            "while not os.path.exists(sys.argv[2]): pass\n"
            "try: acquire(sys.argv[1]); print('won', flush=True); time.sleep(0.3)\n"
            "except Busy: print('lost', flush=True)\n")
    for i in range(tries):
        folder, go = tmp_path / f"f{i}", tmp_path / f"go{i}"
        procs = [subprocess.Popen([sys.executable, "-c", code, str(folder), str(go)], stdout=subprocess.PIPE,
                                  text=True) for _ in range(2)]
        assert [p.stdout.readline().strip() for p in procs] == ["ready", "ready"]
        go.touch()
        outcomes = sorted(p.communicate()[0].strip() for p in procs)
        assert outcomes == ["lost", "won"], (i, outcomes)


@pytest.mark.slow
def test_a_sigkilled_command_resumes_byte_identically(tmp_path):
    args = ["experiment=poll", "trials=100000"]
    simprive(*args, f"hydra.run.dir={tmp_path / 'whole'}", cwd=tmp_path)
    killed = tmp_path / "killed"
    proc = subprocess.Popen([str(BIN / "simprive"), *args, f"hydra.run.dir={killed}"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while len(configs(killed)) < 10 and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (killed / "summary.csv").exists() and 10 <= len(configs(killed)) < 75
    out = simprive(*args, f"hydra.run.dir={killed}", cwd=tmp_path)
    assert "configurations already finished" in out.stderr
    assert (killed / "summary.csv").read_bytes() == (tmp_path / "whole" / "summary.csv").read_bytes()


@pytest.mark.slow
def test_a_second_command_into_a_live_runs_folder_is_refused(tmp_path):
    folder = tmp_path / "run"
    proc = subprocess.Popen([str(BIN / "simprive"), "experiment=poll", "trials=100000", f"hydra.run.dir={folder}"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while not (folder / ".simprive" / "lock").exists() and time.time() < deadline:
        time.sleep(0.05)
    out = simprive("experiment=poll", f"hydra.run.dir={folder}", cwd=tmp_path, check=False)
    proc.wait()
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and "another simprive run" in out.stderr
    assert proc.returncode == 0 and (folder / "summary.csv").exists()


@pytest.mark.slow
def test_a_sweep_knows_its_missing_jobs_and_how_to_complete_them(tmp_path):
    sweep = tmp_path / "sweep"
    args = ["-m", "experiment=poll", "epsilon=0.5,1.0,2.0", "n=100", "trials=50", f"hydra.sweep.dir={sweep}"]
    simprive(*args, cwd=tmp_path)
    whole = (sweep / "summary.csv").read_bytes()
    shutil.rmtree(sweep / "1")  # as if the sweep was killed before job 1
    out = simprive(str(sweep), cwd=tmp_path, command="simprive-aggregate", check=False)
    assert out.returncode == 1 and len(out.stderr.strip().splitlines()) == 1
    assert "1 of 3 jobs missing [1]" in out.stderr and "simprive -m experiment=poll" in out.stderr
    assert "missing" in (sweep / "summary.csv").read_text()
    simprive(*args, cwd=tmp_path)  # the command it names completes it, reusing jobs 0 and 2
    assert (sweep / "summary.csv").read_bytes() == whole
    assert simprive(str(sweep), cwd=tmp_path, command="simprive-aggregate").returncode == 0


@pytest.mark.slow
def test_ctrl_c_prints_one_line_and_exits_130(tmp_path):
    proc = subprocess.Popen([str(BIN / "simprive"), "experiment=poll", "trials=100000",
                             f"hydra.run.dir={tmp_path / 'run'}"], cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not configs(tmp_path / "run") and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err
    assert err.strip().splitlines() == ["simprive: interrupted; finished configurations are kept: the same command "
                                        "resumes"]


def _flip_a_digit(path):
    text = path.read_text()
    i = text.index('"value": ') + len('"value": ')
    path.write_text(text[:i] + ("1" if text[i] != "1" else "2") + text[i + 1:])


def _entry_of_another(path, others):
    shutil.copy(others[0], path)


def _rows_of_another(path, others):
    """Another configuration's rows under this one's key, identity and a valid checksum."""
    import json

    from simprive.store import Store

    mine, theirs = json.loads(path.read_text()), json.loads(others[0].read_text())
    mine["rows"] = theirs["rows"]
    mine["sha256"] = Store._checksum(mine["key"], mine["identity"], mine["rows"])
    path.write_text(json.dumps(mine))


def _a_folder(path):
    path.unlink()
    path.mkdir()


TAMPERING = {
    "a flipped digit": _flip_a_digit,
    "another configuration's file": _entry_of_another,
    "another configuration's rows, re-checksummed": _rows_of_another,
    "an empty object": lambda path: path.write_text("{}"),
    "a list": lambda path: path.write_text("[1, 2, 3]"),
    "invalid UTF-8": lambda path: path.write_bytes(b"\xff\xfe{"),
    "a bogus row": lambda path: path.write_text(path.read_text().replace('"metric": "', '"metric": "x', 1)),
    "a directory": _a_folder,
}


@pytest.mark.parametrize("how", TAMPERING)
def test_a_tampered_cache_entry_is_computed_again(tmp_path, capsys, how):
    """Each entry checks its key, its identity, its checksum and its rows: one that fails is
    computed again, with one line saying so, and the summary is the untampered run's."""
    whole, tampered = tmp_path / "whole", tmp_path / "tampered"
    run_experiment("poll", POLL, out_dir=whole)
    run_experiment("bounded_sum", ["trials=20", "n=[10]", "epsilon=[1.0]"], out_dir=tmp_path / "other")
    shutil.copytree(whole / ".simprive", tampered / ".simprive")
    entries = configs(tampered)
    others = configs(tmp_path / "other") if "another" in how and "rows" not in how else entries[1:]
    fn = TAMPERING[how]
    fn(entries[0], others) if fn.__code__.co_argcount == 2 else fn(entries[0])
    capsys.readouterr()
    run_experiment("poll", POLL, out_dir=tampered)
    err = capsys.readouterr().err
    assert "1 saved configuration in" in err and "failed their check and are computed again" in err, err
    assert "reused 17 of 18" in err
    assert (tampered / "summary.csv").read_bytes() == (whole / "summary.csv").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("multirun", [False, True])
def test_a_second_command_into_a_held_folder_writes_nothing(tmp_path, multirun):
    """Two sweeps (or two runs) into one folder: the second is refused before Hydra writes
    anything in it, so the first one's .hydra/ and table are its own."""
    folder = tmp_path / "out"
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    first = ["-m", "epsilon=0.5,1"] if multirun else []
    proc = subprocess.Popen([str(BIN / "simprive"), *first, "experiment=poll", "trials=100000", f"{key}={folder}"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while not (folder / ".simprive" / "lock").exists() and time.time() < deadline:
        time.sleep(0.02)
    hydra = folder / ("multirun.yaml" if multirun else ".hydra/overrides.yaml")
    while not hydra.exists() and time.time() < deadline:
        time.sleep(0.02)
    before = hydra.read_bytes()
    second = ["-m", "n=100,1000"] if multirun else []
    out = simprive(*second, "experiment=bounded_sum", f"{key}={folder}", cwd=tmp_path, check=False)
    assert out.returncode == 2 and "another simprive run" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert hydra.read_bytes() == before
    proc.wait()
    assert proc.returncode == 0
    assert set(pd.read_csv(folder / "summary.csv")["experiment"]) == {"poll"}


@pytest.mark.parametrize("folder", ["/proc/self/simprive-run", "FILE/run"])
def test_a_folder_that_cannot_be_written_is_refused_in_one_line(tmp_path, folder):
    (tmp_path / "FILE").write_text("a file where a folder should be")
    out = simprive("experiment=poll", "trials=10", "n=[100]", f"hydra.run.dir={folder}", cwd=tmp_path, check=False)
    assert out.returncode == 2 and "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert "invalid hydra.run.dir=" in out.stderr and "cannot be written" in out.stderr, out.stderr


def test_a_full_disk_says_how_much_space_and_keeps_what_was_computed(tmp_path, monkeypatch, capsys):
    import errno

    from simprive import ConfigError, runner

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "summary.csv"))

    monkeypatch.setattr(runner, "write_summary", full)
    with pytest.raises(ConfigError) as err:
        run_experiment("poll", POLL, out_dir=tmp_path)
    assert err.value.key == "hydra.run.dir" and "No space left on device" in str(err.value)
    assert "MiB free" in str(err.value) and "rerun to resume" in str(err.value)
    assert len(configs(tmp_path)) == 18  # every configuration computed is kept
    monkeypatch.undo()
    capsys.readouterr()
    run_experiment("poll", POLL, out_dir=tmp_path)
    assert "reused 18 of 18" in capsys.readouterr().err and (tmp_path / "summary.csv").exists()

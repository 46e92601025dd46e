"""Assertions and helpers shared by the tests."""

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent  # the environment's installed commands


def simprive(*args, cwd, command="simprive", check=True):
    """Run an installed command as a user would; with ``check``, it must succeed."""
    out = subprocess.run([str(BIN / command), *args], cwd=cwd, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "HYDRA_FULL_ERROR": "0"})
    if check:
        assert out.returncode == 0, out.stderr
    return out


def z_scores(summary):
    """Rows whose value has a z-score against its expected value (the summary's ``z``)."""
    return summary[summary["z"].notna()]


def assert_agrees(summary):
    """Every metric with an expected value agrees with it within sampling error, as the
    summary's ``agreement`` column judges it (seeds are fixed, so this is deterministic):
    z-tests and exact binomial tests at the 1e-6 level, exact equality for constant rows,
    and certified lower bounds that hold.  A row the trials cannot resolve is not a
    disagreement, but most rows must be resolved."""
    rows = summary[summary["agreement"].notna()]
    assert len(rows), "no row has an expected value"
    differs = rows[rows["agreement"] == "differs"]
    cols = ["mechanism", "metric", "value", "expected", "std", "trials", "z", "config_hash"]
    assert differs.empty, differs[[c for c in cols if c in differs]].to_dict("records")
    assert (rows["agreement"] == "agrees").mean() > 0.5


COMMANDS = {"simprive": "main", "simprive-plan": "plan_main", "simprive-plot": "plot_main",
            "simprive-aggregate": "aggregate_main", "simprive-report": "report_main"}


def in_process(args, cwd, monkeypatch, capsys, command="simprive") -> tuple[int, str, str]:
    """An installed command's entry point run in this process, from ``cwd`` (no interpreter to
    start: a second or two less a command): its exit code, stdout and stderr."""
    from simprive import cli

    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "argv", [command, *args])
    capsys.readouterr()
    try:
        getattr(cli, COMMANDS[command])()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def exits_in_process(args, cwd, monkeypatch, capsys, command="simprive") -> tuple[int, str]:
    """A command line run in this process (:func:`in_process`) where it must exit (bad input
    stops it before Hydra starts): its exit code and what it wrote on stderr."""
    import pytest

    from simprive import cli

    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "argv", [command, *args])
    with pytest.raises(SystemExit) as stop:
        getattr(cli, COMMANDS[command])()
    return stop.value.code, capsys.readouterr().err

"""Extending simprive from outside the package: a user's own experiment in a user's own
config folder, through every way Hydra lets a command line add one."""

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from simprive import ConfigError
from simprive.config import Sources, compose

BIN = Path(sys.executable).parent

MY_POLL = """\
# @package _global_
defaults:
  - override /scenario: categorical
  - override /query: mean
  - override /mechanism: rr
  - override /figure: poll

name: my_poll
epsilon: [0.5, 2.0]
n: [100, 1000]
trials: 200
"""
MY_CONFIG = """\
defaults:
  - config
  - _self_

seed: 7
"""
STANDALONE = """\
defaults:
  - config
  - _self_

hydra:
  searchpath:
    - pkg://simprive.conf
seed: 3
"""


@pytest.fixture(scope="module")
def userconf(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("userconf")
    (root / "experiment").mkdir()
    (root / "experiment" / "my_poll.yaml").write_text(MY_POLL)
    (root / "my_config.yaml").write_text(MY_CONFIG)
    (root / "standalone.yaml").write_text(STANDALONE)
    return root


def simprive(*args, cwd):
    return subprocess.run([str(BIN / "simprive"), *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HYDRA_FULL_ERROR": "0"})


@pytest.mark.parametrize("how", ["config-dir", "searchpath", "config-name"])
def test_a_users_experiment_runs_from_their_own_folder(userconf, tmp_path, how):
    flags = {"config-dir": ["--config-dir", str(userconf)],
             "searchpath": [f"hydra.searchpath=[file://{userconf}]"],
             "config-name": ["--config-dir", str(userconf), "-cn", "my_config"]}[how]
    out = simprive(*flags, "experiment=my_poll", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    s = pd.read_csv(tmp_path / "run" / "summary.csv")
    assert set(s.experiment) == {"my_poll"} and s.config_hash.nunique() == 4
    assert (tmp_path / "run" / "poll_sq_error.png").exists()
    assert set(s.seed) == ({7} if how == "config-name" else {0})


def test_a_users_experiment_sweeps_with_multirun(userconf, tmp_path):
    out = simprive("-m", "--config-dir", str(userconf), "experiment=my_poll", "n=100,1000",
                   f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    s = pd.read_csv(tmp_path / "sweep" / "summary.csv")
    assert set(s.status) == {"ok"} and set(s.n) == {100, 1000}


def test_a_user_config_folder_gets_the_same_one_line_errors(userconf, tmp_path):
    out = simprive("--config-dir", str(userconf), "experiment=my_pol", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "invalid experiment='my_pol': choose one of" in out.stderr and "my_poll" in out.stderr
    out = simprive("-m", "--config-dir", str(userconf), "experiment=my_poll", "epsilon=1,-1",
                   f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path)
    assert out.returncode == 2 and "invalid epsilon=-1" in out.stderr and not (tmp_path / "sweep").exists()


# the same sources, composed in-process (what the command line validates before Hydra runs)
def test_compose_reads_every_source(userconf):
    added = Sources(config_dirs=(userconf,))
    assert compose(["experiment=my_poll"], added)["name"] == "my_poll"
    assert compose(["experiment=my_poll", f"hydra.searchpath=[file://{userconf}]"])["name"] == "my_poll"
    assert compose(["experiment=my_poll"], Sources(config_name="my_config", config_dirs=(userconf,)))["seed"] == 7
    own = Sources(config_path=userconf, config_name="standalone")  # --config-path: the user's primary config
    assert compose(["experiment=poll"], own)["seed"] == 3
    with pytest.raises(ConfigError) as err:
        compose(["experiment=my_poll"])  # not without the folder
    assert err.value.key == "experiment"

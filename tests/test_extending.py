"""Extending simprive from outside the package: a user's own experiment in a user's own
config folder, through every way Hydra lets a command line add one."""

import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from helpers import BIN, simprive

from simprive import ConfigError
from simprive.config import Sources, compose

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


@pytest.mark.parametrize("how", ["config-dir", pytest.param("searchpath", marks=pytest.mark.slow),
                                 pytest.param("config-name", marks=pytest.mark.slow)])
def test_a_users_experiment_runs_from_their_own_folder(userconf, tmp_path, how):
    flags = {"config-dir": ["--config-dir", str(userconf)],
             "searchpath": [f"hydra.searchpath=[file://{userconf}]"],
             "config-name": ["--config-dir", str(userconf), "-cn", "my_config"]}[how]
    simprive(*flags, "experiment=my_poll", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    s = pd.read_csv(tmp_path / "run" / "summary.csv")
    assert set(s.experiment) == {"my_poll"} and s.config_hash.nunique() == 4
    assert (tmp_path / "run" / "poll_sq_error.png").exists()
    assert set(s.seed) == ({7} if how == "config-name" else {0})


@pytest.mark.slow
def test_a_users_experiment_sweeps_with_multirun(userconf, tmp_path):
    simprive("-m", "--config-dir", str(userconf), "experiment=my_poll", "n=100,1000",
             f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path)
    s = pd.read_csv(tmp_path / "sweep" / "summary.csv")
    assert set(s.status) == {"ok"} and set(s.n) == {100, 1000}


@pytest.mark.slow
def test_a_user_config_folder_gets_the_same_one_line_errors(userconf, tmp_path):
    out = simprive("--config-dir", str(userconf), "experiment=my_pol", cwd=tmp_path, check=False)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "invalid experiment='my_pol': choose one of" in out.stderr and "my_poll" in out.stderr
    out = simprive("-m", "--config-dir", str(userconf), "experiment=my_poll", "epsilon=1,-1",
                   f"hydra.sweep.dir={tmp_path / 'sweep'}", cwd=tmp_path, check=False)
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


# == the README's "Extending simprive" section, run verbatim ==============================
README = Path(__file__).resolve().parent.parent / "README.md"


def readme_section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def fenced_blocks(section: str) -> list[tuple[str, str]]:
    """(info string, body) of every fenced code block."""
    blocks, lines = [], iter(section.splitlines(keepends=True))
    for line in lines:
        if line.startswith("```") and line.strip() != "```":
            info, body = line[3:].strip(), []
            for inner in lines:
                if inner.startswith("```"):
                    break
                body.append(inner)
            blocks.append((info, "".join(body)))
    return blocks


@pytest.fixture(scope="module")
def extended(tmp_path_factory):
    """The section's files written out and its commands run, as a reader would."""
    root = tmp_path_factory.mktemp("extending")
    commands = []
    for info, body in fenced_blocks(readme_section("Extending simprive")):
        lang, _, path = info.partition(" ")
        if path:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(body)
        elif lang == "bash":
            commands.append(body)
    assert len(commands) == 2 and (root / "mylab.py").exists() and (root / "mymech.py").exists()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "HYDRA_FULL_ERROR": "0"}
    for command in commands:
        out = subprocess.run(["bash", "-e", "-c", command], cwd=root, capture_output=True, text=True, env=env,
                             timeout=600)
        assert out.returncode == 0, out.stderr
    return root


@pytest.mark.slow
def test_a_users_scenario_mechanism_and_attack_run_with_expected_values(extended):
    s = pd.read_csv(extended / "salaries" / "summary.csv")
    assert set(s.mechanism) == {"laplace", "mylab:Staircase"} and set(s.scenario) == {"salaries"}
    assert set(s.aux) == {40000.0, 60000.0}
    checked = s[s.agreement.notna()]
    assert (checked.agreement != "differs").all()
    stair = s[(s.mechanism == "mylab:Staircase") & (s.metric == "sq_error")]
    assert stair.expected.notna().all() and (stair.agreement == "agrees").all()  # its closed-form variance
    guess = s[s.metric == "guess_correct"].set_index("mechanism")
    assert guess.loc["laplace"].expected.notna().all() and (guess.loc["laplace"].agreement == "agrees").all()
    assert guess.loc["mylab:Staircase"].expected.isna().all()  # no scipy law: reported, not checked
    assert (extended / "salaries" / "salaries_abs_error.png").stat().st_size > 10_000
    # at large ε the staircase's error is far below Laplace's (0.70 b against b at ε = 3)
    err = s[(s.metric == "abs_error") & (s.aux == 40000.0)].pivot_table(index="epsilon", columns="mechanism",
                                                                        values="value")
    assert err.loc[3.0, "mylab:Staircase"] < 0.8 * err.loc[3.0, "laplace"]


@pytest.mark.slow
def test_a_users_mechanism_is_caught_by_the_readmes_audit(extended):
    s = pd.read_csv(extended / "audit_mine" / "summary.csv").set_index("metric")
    row = s.loc["epsilon_lb"]
    assert row["mechanism.name"] == "mymech:NoisyAverage" and s.loc["epsilon_claimed", "value"] == 0.5
    assert row.expected == 2.0 and 0.9 * 2.0 < row.value <= 2.0 and row.agreement == "violates"
    assert (extended / "audit_mine" / "audit_suite.png").stat().st_size > 10_000


@pytest.mark.slow
def test_a_users_group_option_is_chosen_like_a_builtin(extended):
    s = pd.read_csv(extended / "staircase" / "summary.csv")
    assert set(s.mechanism) == {"mylab:Staircase"} and set(s.epsilon) == {1.0}


def test_a_component_that_cannot_be_imported_is_a_one_line_error(tmp_path):
    with pytest.raises(ConfigError) as err:
        compose_and_plan(["experiment=bounded_sum", "mechanism.kind=nolab:Missing"])
    assert err.value.key == "mechanism" and "cannot import 'nolab'" in str(err.value)
    with pytest.raises(ConfigError) as err:
        compose_and_plan(["experiment=bounded_sum", "mechanism.kind=simprive.dp:Nope"])
    assert "has no class 'Nope'" in str(err.value)
    with pytest.raises(ConfigError) as err:  # a class, but not additive noise
        compose_and_plan(["experiment=bounded_sum", "mechanism.kind=simprive.dp:Accountant"])
    assert "must subclass simprive.dp.base.AdditiveNoise" in str(err.value)


def compose_and_plan(overrides):
    from simprive.grid import expand
    from simprive.runner import plan

    return [plan(p) for p in expand(compose(overrides))[0]]


@pytest.mark.slow
def test_the_built_in_attacks_play_a_users_mechanism(extended, monkeypatch):
    """The README's staircase, unknown to simprive, attacked by what simprive ships: they ask
    the release what it offers (a noise with a variance, a privacy loss), not its name."""
    from simprive import run_experiment

    monkeypatch.syspath_prepend(str(extended))
    common = ["mechanism.kind=mylab:Staircase", "epsilon=1.0"]
    diff = run_experiment("differencing", [*common, "adversary.known_fraction=1.0", "trials=4000"]).summary
    rows = diff[diff.metric == "recon_sq_error"]
    assert len(rows) and rows.expected.notna().all() and (rows.agreement == "agrees").all()
    audit = run_experiment("audit", [*common, "adversary.known_fraction=1.0", "trials=20000"]).summary
    lb = audit[audit.metric == "epsilon_lb"]
    assert len(lb) and (lb.expected == 1.0).all() and (lb.agreement == "agrees").all()
    reps = run_experiment("composition", [*common, "adversary.releases=4", "trials=2000"]).summary
    avg = reps[reps.metric == "average_sq_error"]
    assert avg.expected.notna().all() and (avg.agreement == "agrees").all()

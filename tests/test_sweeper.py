"""The fast sweep path composes less, never differently: the configs simprive's sweeper and
its pre-flight check derive from one composition equal Hydra's own composition of each job."""

import pytest
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.types import RunMode
from omegaconf import OmegaConf

from hydra_plugins.simprive_sweeper import Compositions
from simprive.config import CONF_DIR, compose, compose_each, register_presets
from simprive.validation import ConfigError

JOBS = [
    ["experiment=poll", "epsilon=0.5", "n=100"],
    ["experiment=poll", "epsilon=2.0", "n=1000", "scenario.p=0.1"],
    ["experiment=poll", "epsilon=[0.5,1.0]", "name=mine"],  # a list value; a key the run folder interpolates
    ["experiment=bounded_sum", "upper=80.0"],  # another preset: another composition
    ["experiment=poll", "mechanism=laplace", "epsilon=1.0"],  # a group choice among the values
    ["experiment=poll", "mechanism.kind=[rr,rr_article]", "trials=50"],
    ["experiment=poll", "+scenario.extra=1", "epsilon=1.0"],  # an addition: composed in full
    ["experiment=poll", "~neighbours", "seed=3"],  # a deletion
    ["experiment=poll", "hydra.job.name=other", "seed=4"],  # Hydra's own setting
]


@pytest.fixture
def loader_and_master():
    register_presets()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        loader = GlobalHydra.instance().config_loader()
        master = loader.load_configuration("config", overrides=["hydra.sweep.dir=/tmp/simprive-sweep-test"],
                                           run_mode=RunMode.MULTIRUN)
        assert master.hydra.run.dir  # resolves ${now:…} once: every job copies the master's time
        yield loader, master


def test_sweeper_configs_equal_hydras_own_for_every_job(loader_and_master):
    loader, master = loader_and_master
    ours = Compositions(loader)
    for job in JOBS:
        mine, hydras = ours.load_sweep_config(master, job), loader.load_sweep_config(master, job)
        again = ours.load_sweep_config(master, job)  # from the cache, untouched by the first job's values
        assert OmegaConf.to_yaml(again) == OmegaConf.to_yaml(mine)
        assert OmegaConf.to_yaml(mine) == OmegaConf.to_yaml(hydras), job
        for cfg in (mine, hydras):
            cfg.hydra.job.num = 7  # as the launcher sets it, so that the job's folder resolves
        assert OmegaConf.to_container(mine, resolve=True) == OmegaConf.to_container(hydras, resolve=True), job
    # jobs that differ only in values shared one composition
    assert len(ours.composed) < len(JOBS)


def test_sweeper_refuses_what_hydra_refuses(loader_and_master):
    loader, master = loader_and_master
    for job in (["experiment=poll", "nope=1"], ["experiment=poll", "scenario.nope=1"]):
        with pytest.raises(Exception) as theirs:
            loader.load_sweep_config(master, job)
        with pytest.raises(type(theirs.value)):
            Compositions(loader).load_sweep_config(master, job)


def test_compose_each_equals_composing_each_job_alone():
    jobs = [job for job in JOBS if not any(o.startswith("hydra.") for o in job)]
    assert list(compose_each(jobs)) == [compose(job) for job in jobs]


@pytest.mark.parametrize("job", [["experiment=poll", "nope=1"], ["experiment=poll", "epsilon=[0.5,1.0", "n=1"],
                                 ["experiment=nope", "epsilon=1"]])
def test_compose_each_refuses_with_the_same_error(job):
    errors = []
    for fn in (lambda: compose(job), lambda: list(compose_each([["experiment=poll", "epsilon=1"], job]))):
        with pytest.raises(ConfigError) as err:
            fn()
        errors.append(str(err.value))
    assert errors[0] == errors[1]

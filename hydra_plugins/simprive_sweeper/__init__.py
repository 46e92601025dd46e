"""Hydra's basic sweeper, composing each job's config once and cheaply.

Hydra's basic sweeper composes every job of a sweep to check it can, and the launcher
composes it again to run it: two full compositions a job, ~0.1 s each, two thirds of a
75-job sweep's wall time.  But jobs that differ only in values (``epsilon=0.5`` and
``epsilon=1``) differ in nothing the composition decides: which config files are merged.
So this sweeper

* skips the check when ``simprive``'s command line has already composed and checked the
  same jobs before Hydra started (``simprive.jobs.checked_jobs``), and does it otherwise;
* hands its launcher (whichever it is) a config loader that composes each distinct choice of
  configs once and gets each job from a copy of it, applying the job's value overrides the
  way Hydra's loader applies them after composing, and filling in the same bookkeeping
  (``hydra.overrides.task``, ``hydra.job.override_dirname``).  A test checks the configs it
  gives are equal to Hydra's own, key for key.

It is simprive's default (``hydra/sweeper: simprive``); ``hydra/sweeper=basic`` restores
Hydra's own.
"""

import copy
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, cast

from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_loader import ConfigLoader
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, open_dict

from simprive.jobs import checked_jobs, task_overrides


class Compositions:
    """A Hydra config loader that composes each distinct choice of configs once."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.composed: dict = {}
        self.parser = OverridesParser.create()

    def __getattr__(self, name: str) -> Any:
        if name == "loader":  # not set yet (unpickling)
            raise AttributeError(name)
        return getattr(self.loader, name)

    def __reduce__(self) -> Any:
        # launchers that send the loader to other processes (joblib, Ray, submitit) send it
        # without the compositions made so far
        return Compositions, (self.loader,)

    def _sets_a_value(self, override: Any, master: DictConfig) -> bool:
        """A plain ``key=value`` of the app's config: not Hydra's, not a config group's choice,
        not an addition or deletion (those are composed in full)."""
        key = override.key_or_group
        return not (override.is_hydra_override() or override.is_add() or override.is_force_add()
                    or override.is_delete() or override.package is not None
                    or isinstance(override.value(), dict) or key in master.hydra.runtime.choices
                    or self.loader.repository.group_exists(key))

    def load_sweep_config(self, master_config: DictConfig, sweep_overrides: list[str]) -> DictConfig:
        parsed = self.parser.parse_overrides(list(sweep_overrides))
        values = [o for o in parsed if self._sets_a_value(o, master_config)]
        rest = tuple(o.input_line for o in parsed if all(o is not v for v in values))
        if rest not in self.composed:
            self.composed[rest] = self.loader.load_sweep_config(master_config, list(rest))
        cfg = copy.deepcopy(self.composed[rest])
        ConfigLoaderImpl._apply_overrides_to_config(values, cfg)
        task = [o for o in parsed if not o.is_hydra_override()]
        job = cfg.hydra.job.config.override_dirname
        with open_dict(cfg.hydra):
            cfg.hydra.overrides.task = [o.input_line for o in task]
            cfg.hydra.job.override_dirname = get_overrides_dirname(
                overrides=task, kv_sep=job.kv_sep, item_sep=job.item_sep, exclude_keys=job.exclude_keys)
        return cfg


class SimpriveSweeper(BasicSweeper):
    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        loader = cast(ConfigLoader, Compositions(hydra_context.config_loader))  # a ConfigLoader by delegation
        super().setup(hydra_context=replace(hydra_context, config_loader=loader), task_function=task_function,
                      config=config)

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        if not all(task_overrides(job) in checked_jobs for job in batch):
            super().validate_batch_is_legal(batch)

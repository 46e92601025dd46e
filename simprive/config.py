"""Composing the Hydra configs into the plain dict the core runs on.

This module and :mod:`simprive.cli` are the only ones that import Hydra; the core
(:func:`simprive.runner.run`) takes a plain dict; :func:`simprive.runner.run_experiment`
composes a preset and runs it.
"""

from __future__ import annotations

import copy
import functools
import itertools
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from simprive.validation import ConfigError, did_you_mean

__all__ = ["CONF_DIR", "EXPERIMENTS_DIR", "Sources", "check_hydra", "compose", "compose_each", "defaults", "group_options",
           "honour_group_choices", "parameters", "register_presets"]

# Absolute paths, so entry points resolve the configs wherever they are started from
# (facebookresearch/hydra#559): the packages simprive.conf and simprive.experiments, which are
# the top-level conf/ and experiments/ of the source tree, installed or editable alike.
CONF_DIR = Path(str(resources.files("simprive.conf")))
EXPERIMENTS_DIR = Path(str(resources.files("simprive.experiments")))
CONFIG_GROUPS = ("experiment", "scenario", "query", "mechanism", "adversary", "figure", "plan")


@functools.cache
def _yaml(group: str, kind: str) -> dict:
    import yaml  # not omegaconf: the core runs without Hydra (tests check both read these files alike)

    path = CONF_DIR / group / f"{kind}.yaml"
    loaded = yaml.safe_load(path.read_text()) if path.exists() else {}
    return {k: v for k, v in (loaded or {}).items() if k != "kind"}


def defaults(group: str, kind: str) -> dict:
    """The keys a built-in ``kind`` of a config group takes, with their defaults: its own
    YAML file in simprive's ``conf/<group>/``, the one place they are written."""
    return copy.deepcopy(_yaml(group, kind))


def takes(group: str, kind: object) -> set[str] | None:
    """The keys a built-in ``kind`` takes (``kind`` among them); None for a kind simprive does
    not ship (a user's component, by import path), which takes what it takes."""
    if not isinstance(kind, str) or not (CONF_DIR / group / f"{kind}.yaml").exists():
        return None
    return {"kind", *_yaml(group, kind)}


def parameters(group: str, kind: str, given: dict) -> dict:
    """A kind's parameters: its defaults, overridden by the config's keys (no others)."""
    params = defaults(group, kind)
    unknown = sorted(set(given) - set(params))
    if unknown:
        raise ConfigError(f"{group}.{unknown[0]}", given[unknown[0]],
                          f"not a {kind} key; {did_you_mean(f'{group}.{unknown[0]}', [f'{group}.{k}' for k in params])}"
                          f"known: {', '.join(sorted(params)) or 'none'}")
    params.update(given)
    return params


def register_presets(sources: Sources | None = None, overrides=()) -> None:
    """The presets as the ``experiment`` config group, through Hydra's ConfigStore: they live
    in their own folder (their own package in the wheel), not under ``conf/experiment``, so
    no folder of Hydra's search path holds them as that group.

    A preset that a searched folder holds too (``experiment/poll.yaml`` in a user's
    ``--config-dir`` or ``hydra.searchpath``) is left out of the store: Hydra finds the
    user's file first (the store is searched last) but refuses a file whose name the store
    holds too ("validated against ConfigStore schema with the same name"), so without the
    stored one the user's file shadows the preset, as files on the search path shadow each
    other.  Called again with other sources, the store follows them."""
    from hydra.core.config_store import ConfigStore
    from omegaconf import OmegaConf

    store = ConfigStore.instance()
    # the node of simprive's sweeper (hydra/sweeper=simprive, the default): its class, a
    # plugin, is registered by the command line that runs it (simprive.cli)
    store.store(group="hydra/sweeper", name="simprive", provider="simprive",
                node={"_target_": "hydra_plugins.simprive_sweeper.SimpriveSweeper", "max_batch_size": None,
                      "params": None})
    stored = store.repo.setdefault("experiment", {})
    folders = (sources or Sources()).folders(overrides)
    shadowed = {p.stem for folder in folders for p in (folder / "experiment").glob("*.yaml")}
    for path in sorted(EXPERIMENTS_DIR.glob("*.yaml")):
        if path.stem in shadowed:
            stored.pop(f"{path.stem}.yaml", None)
        elif f"{path.stem}.yaml" not in stored:
            store.store(name=path.stem, node=OmegaConf.load(path), group="experiment", package="_global_",
                        provider="simprive")


@dataclass(frozen=True)
class Sources:
    """Where a run's configs come from: simprive's by default; a command line may name another
    primary config (``--config-path``, ``--config-name``) and add folders (``--config-dir``)."""

    config_path: Path = CONF_DIR
    config_name: str = "config"
    config_dirs: tuple[Path, ...] = ()

    def flags(self) -> list[str]:
        """The command-line flags that name these sources (none for simprive's own)."""
        return ([f"--config-path={self.config_path}"] * (self.config_path != CONF_DIR)
                + [f"--config-name={self.config_name}"] * (self.config_name != "config")
                + [f"--config-dir={d}" for d in self.config_dirs])

    def folders(self, overrides=()) -> list[Path]:
        """Every folder searched for configs: the primary's, the added ones, and local
        ``file://`` entries of a ``hydra.searchpath`` override."""
        searched = [entry.removeprefix("file://") for entry in _searchpath(overrides)]
        return [self.config_path, *self.config_dirs, *(Path(p) for p in searched if "://" not in p)]


def _searchpath(overrides) -> list[str]:
    """The list a ``hydra.searchpath=[…]`` override sets, or []."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    given = [o for o in overrides if o.lstrip("+").split("=", 1)[0] == "hydra.searchpath"]
    if not given:
        return []
    value = OverridesParser.create().parse_override(given[-1].lstrip("+")).value()
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _with_dirs(overrides: list[str], sources: Sources) -> list[str]:
    """``overrides`` with the added config folders appended to ``hydra.searchpath``, as
    ``--config-dir`` adds them to Hydra's search path."""
    if not sources.config_dirs:
        return overrides
    entries = _searchpath(overrides) + [f"file://{d}" for d in sources.config_dirs]
    rest = [o for o in overrides if o.lstrip("+").split("=", 1)[0] != "hydra.searchpath"]
    return [*rest, "hydra.searchpath=[" + ",".join(f"'{e}'" for e in entries) + "]"]


def group_options(group: str, sources: Sources | None = None) -> list[str]:
    """The options of a config group in these sources (the presets, for ``experiment``)."""
    folders = (sources or Sources()).folders()
    found = {p.stem for folder in folders for p in (folder / group).glob("*.yaml")}
    if group == "experiment":
        found |= {p.stem for p in EXPERIMENTS_DIR.glob("*.yaml")}
    return sorted(found)


def _translate(exc: Exception, overrides, known=(), chosen=()) -> ConfigError:
    """Hydra's composition errors as one-line config errors naming the key; for a mistyped
    key, ``known`` are the keys of the config composed from the ``chosen`` overrides."""
    from hydra.errors import MissingConfigException

    msg = str(exc)
    if isinstance(exc, MissingConfigException):
        for group in CONFIG_GROUPS:
            if f"'{group}/" in msg or f"'{group}'" in msg:
                given = next((o.split("=", 1)[1] for o in overrides if o.lstrip("+").split("=", 1)[0] == group), None)
                # Hydra lists the options of every source it searched, the user's folders included
                listed = msg.split("Available options", 1)[-1].splitlines()[1:] if "Available options" in msg else []
                options = list(itertools.takewhile(lambda line: line.startswith("\t"), listed))
                options = [line.strip() for line in options] or group_options(group)
                return ConfigError(group, given, "choose one of " + ", ".join(options))
    found = re.search(r"Could not find '([^']+)/([^'/]+)'", msg)
    if isinstance(exc, MissingConfigException) and found:  # a group outside simprive's own (hydra/launcher)
        listed = msg.split("Available options", 1)[-1].splitlines()[1:] if "Available options" in msg else []
        options = [line.strip() for line in itertools.takewhile(lambda line: line.startswith("\t"), listed)]
        return ConfigError(found.group(1), found.group(2), "choose one of " + (", ".join(options) or "(none found)"))
    if isinstance(exc, MissingConfigException) and "Cannot find primary config" in msg:
        return ConfigError("config-name", msg.split("'")[1] if "'" in msg else None,
                           "no such primary config in the config path")
    first = next((line.strip() for line in msg.splitlines() if line.strip()), msg)
    if first.startswith("Error merging override") and exc.__cause__ is not None:  # which; its cause says why
        first = str(exc.__cause__).splitlines()[0]
    if msg.startswith("Could not override '"):
        key = msg.split("'", 2)[1]
        given = next((o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0] == key), None)
        # the keys there are depend on the configs chosen: the hint's command chooses the same
        command = " ".join(["simprive", *chosen, "--cfg", "hydra" if key.startswith("hydra.") else "job"])
        return ConfigError(key, given, f"unknown key; {did_you_mean(key, known)}see `{command}` for the keys there are")
    # the override Hydra's message names ("Error merging override n={a:1}", "'nope' does not exist")
    # or whose value holds what it quotes (${missing}: "Interpolation key 'missing' not found")
    quoted = re.findall(r"'([^']+)'", msg)
    named = next((o for o in overrides if o in msg or f"'{o.lstrip('+~').split('=', 1)[0]}'" in msg), None) or next(
        (o for o in overrides if "${" in o.partition("=")[2] and any(q in o.partition("=")[2] for q in quoted)), None)
    if named is not None:
        key, _, given = named.lstrip("+~").partition("=")
        return ConfigError(key, given or None, f"{first} (the override {named!r})")
    return ConfigError("overrides", " ".join(overrides), first)


def _dotted_keys(node, prefix: str = "") -> list[str]:
    """Every key of a nested config, dotted (``scenario``, ``scenario.p``), Hydra's own left out."""
    keys = []
    for key, value in node.items():
        if not prefix and key == "hydra":
            continue
        keys.append(prefix + str(key))
        if isinstance(value, dict):
            keys += _dotted_keys(value, f"{prefix}{key}.")
    return keys


def honour_group_choices(cfg: dict, overrides, sources: Sources | None = None) -> dict:
    """A group chosen on the command line (``mechanism=rr``) replaces a preset's list of kinds
    in that group (``mechanism: {kind: [mpc_tally, geometric, …]}``), which would otherwise
    win over it; the preset's other keys for the group stay if the chosen option takes them
    (its YAML names them) and go if not (``bounded_sum scenario=table`` drops ``low``).
    ``mechanism.kind=…`` given too, or ``mechanism=any`` (kinds swept elsewhere), leave the
    config as composed."""
    import yaml

    for group in ("scenario", "query", "mechanism", "adversary"):
        chosen = [o.split("=", 1)[1] for o in overrides if o.lstrip("+").split("=", 1)[0] == group]
        if not chosen or chosen[-1] == "any" or any(o.lstrip("+~").startswith(f"{group}.kind") for o in overrides):
            continue
        paths = [folder / group / f"{chosen[-1]}.yaml" for folder in (sources or Sources()).folders(overrides)]
        path = next((p for p in paths if p.exists()), None)
        option = (yaml.safe_load(path.read_text()) or {}) if path else {}
        kind = option.get("kind")
        if kind is None or not isinstance(cfg.get(group), dict):
            continue
        if cfg[group].get("kind") != kind:
            cfg[group]["kind"] = kind
        # the preset's keys for its own kind (bounded's low, high) mean nothing to the chosen one
        given = {o.lstrip("+~").split("=", 1)[0].split(".", 1)[1] for o in overrides
                 if o.lstrip("+~").startswith(f"{group}.")}
        for key in [k for k in cfg[group] if k not in option and k not in given]:
            del cfg[group][key]
    return cfg


def compose(overrides=(), sources: Sources | None = None) -> dict:
    """The resolved config for ``overrides`` as a plain dict (raises :class:`ConfigError`),
    composed from ``sources`` as the command line would."""
    return next(compose_each([list(overrides)], sources))


def compose_each(jobs, sources: Sources | None = None):
    """``compose(job, sources)`` for each job in turn, composing once per distinct choice of
    config groups.  Jobs that differ only in values (``epsilon=0.5`` / ``epsilon=1``) share
    that composition and get their values applied to a copy of it, the way Hydra applies
    them after composing: the same configs and the same errors, 40× faster (one Hydra
    composition is ~0.1 s; a sweep of 75 jobs has one)."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    sources = sources or Sources()
    parser = OverridesParser.create()
    composed: dict[tuple, Any] = {}
    for job in jobs:
        job = list(job)
        groups = {*CONFIG_GROUPS, *(p.name for folder in sources.folders(job) if folder.is_dir()
                                    for p in folder.iterdir() if p.is_dir())}
        values = [o for o in job if _is_value(o, groups)]
        base = tuple(o for o in job if o not in values)
        if base not in composed:
            composed[base] = _compose_node(list(base), sources)
        cfg = copy.deepcopy(composed[base])
        try:
            ConfigLoaderImpl._apply_overrides_to_config(parser.parse_overrides(values), cfg)
            plain = OmegaConf.to_container(cfg, resolve=True)
        except (HydraException, OmegaConfBaseException) as exc:
            known = _dotted_keys(OmegaConf.to_container(composed[base]))
            raise _translate(exc, job, known, [*sources.flags(), *base]) from None
        assert isinstance(plain, dict)
        yield honour_group_choices(plain, job, sources)


def _is_value(override: str, groups) -> bool:
    """Whether an override sets a value in the composed config (``epsilon=0.5``,
    ``scenario.p=0.1``) rather than choosing a config (``mechanism=laplace``), adding or
    deleting a key, or setting Hydra's own."""
    key = override.split("=", 1)[0]
    return ("=" in override and not key.startswith(("+", "~", "hydra")) and "@" not in key and "/" not in key
            and ("." in key or key not in groups))


def check_hydra(overrides: list[str], sources: Sources | None = None) -> None:
    """Hydra's own settings among ``overrides`` (``hydra/launcher=joblib``,
    ``hydra.job.chdir=…``) composed with Hydra's config, as Hydra will once it starts: an
    option it lacks or a value of the wrong type is a :class:`ConfigError` naming the key."""
    own = [o for o in overrides if o.lstrip("+~").startswith(("hydra/", "hydra."))]
    if own:
        _compose_node(own, sources or Sources(), hydra=True)


def _compose_node(overrides: list[str], sources: Sources, hydra: bool = False):
    """Hydra's composition of ``overrides``, unresolved (an OmegaConf node); ``hydra``: with
    Hydra's own config, to which its ``hydra.`` overrides apply."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    register_presets(sources, overrides)
    primary, added = sources.config_path, sources
    if not (primary / f"{sources.config_name}.yaml").exists():
        # the primary config in an added folder: Hydra finds it there because --config-dir
        # joins the search path before the primary config is looked up; compose cannot add a
        # folder that early, so the folders swap roles (the same result unless both hold a
        # config of the same name)
        home = next((d for d in sources.config_dirs if (d / f"{sources.config_name}.yaml").exists()), None)
        if home is not None:
            primary = home
            added = Sources(config_dirs=(sources.config_path, *(d for d in sources.config_dirs if d != home)))
    try:
        with initialize_config_dir(config_dir=str(primary), version_base="1.3"):
            return hydra_compose(sources.config_name, overrides=_with_dirs(overrides, added), return_hydra_config=hydra)
    except (HydraException, OmegaConfBaseException) as exc:
        raise _translate(exc, overrides) from None

"""Composing the Hydra configs into the plain dict the core runs on.

This module and :mod:`simprive.cli` are the only ones that import Hydra; the core
(:func:`simprive.runner.run`) takes a plain dict.
"""

from __future__ import annotations

from pathlib import Path

from simprive.validation import ConfigError

__all__ = ["CONF_DIR", "compose", "group_options", "honour_group_choices", "run_experiment"]

# An absolute path, so entry points resolve the configs wherever they are started from
# (facebookresearch/hydra#559).  `conf/experiment` links to the top-level `experiments/`.
CONF_DIR = Path(__file__).resolve().parent.parent / "conf"
GROUPS = ("experiment", "scenario", "query", "mechanism", "adversary", "figure")


def _check_conf_dir() -> None:
    if not (CONF_DIR / "config.yaml").exists():
        raise FileNotFoundError(
            f"simprive's configs are not at {CONF_DIR}: install the project in place (pip install -e .)"
        )


def group_options(group: str) -> list[str]:
    folder = CONF_DIR / group
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def _translate(exc: Exception, overrides) -> ConfigError:
    """Hydra's composition errors as one-line config errors naming the key."""
    from hydra.errors import MissingConfigException

    msg = str(exc)
    if isinstance(exc, MissingConfigException):
        for group in GROUPS:
            if f"'{group}/" in msg or f"'{group}'" in msg:
                given = next((o.split("=", 1)[1] for o in overrides if o.lstrip("+").split("=", 1)[0] == group), None)
                return ConfigError(group, given, "choose one of " + ", ".join(group_options(group)))
    first = next((line.strip() for line in msg.splitlines() if line.strip()), msg)
    if msg.startswith("Could not override '"):
        key = msg.split("'", 2)[1]
        given = next((o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0] == key), None)
        return ConfigError(key, given, "unknown key; see `simprive --cfg job` for the keys there are")
    return ConfigError("overrides", " ".join(overrides), first)


def honour_group_choices(cfg: dict, overrides) -> dict:
    """A group chosen on the command line (``mechanism=rr``) replaces a preset's list of kinds
    in that group (``mechanism: {kind: [mpc_tally, geometric, …]}``), which would otherwise
    win over it; the preset's other keys for the group stay.  ``mechanism.kind=…`` given too,
    or ``mechanism=any`` (kinds swept elsewhere), leave the config as composed."""
    import yaml

    for group in ("scenario", "query", "mechanism", "adversary"):
        chosen = [o.split("=", 1)[1] for o in overrides if o.lstrip("+").split("=", 1)[0] == group]
        if not chosen or chosen[-1] == "any" or any(o.lstrip("+~").startswith(f"{group}.kind") for o in overrides):
            continue
        path = CONF_DIR / group / f"{chosen[-1]}.yaml"
        kind = (yaml.safe_load(path.read_text()) or {}).get("kind") if path.exists() else None
        if kind is not None and isinstance(cfg.get(group), dict) and cfg[group].get("kind") != kind:
            cfg[group]["kind"] = kind
    return cfg


def compose(overrides=()) -> dict:
    """The resolved config for ``overrides`` as a plain dict (raises :class:`ConfigError`)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    _check_conf_dir()
    overrides = list(overrides)
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            cfg = hydra_compose("config", overrides=overrides)
            return honour_group_choices(OmegaConf.to_container(cfg, resolve=True), overrides)
    except (HydraException, OmegaConfBaseException) as exc:
        raise _translate(exc, overrides) from None


def run_experiment(name: str, overrides=(), out_dir=None, *, save_trials: bool = False):
    """Run experiment ``name`` with Hydra-style ``overrides``, from Python.

    Returns :class:`~simprive.results.Results` (``.summary``, and ``.trials`` when
    ``save_trials``).  Writes files only if ``out_dir`` is given.

    >>> res = run_experiment("poll", ["n=1000", "epsilon=1", "scenario.p=0.3", "trials=200"])
    >>> sorted(res.summary.metric.unique())
    ['abs_error', 'error', 'estimate', 'sq_error', 'truth']
    """
    from simprive.runner import run

    overrides = [f"experiment={name}", *overrides] + (["save_trials=true"] if save_trials else [])
    cfg = compose(overrides)
    return run(cfg, out_dir, overrides=overrides[1:])

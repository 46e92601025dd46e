"""Command-line entry points: ``simprive``, ``simprive-plot``, ``simprive-aggregate``.

``simprive`` is Hydra's CLI around :func:`simprive.runner.run`.  Before Hydra creates
any directory, every configuration the command line names (every job of a ``-m``
sweep) is composed and validated, so bad input exits with code 2, one line on stderr
and nothing written.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import itertools
import os
import shlex
import shutil
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.plugins import Plugins
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from simprive import interrupt
from simprive.config import (
    CONF_DIR,
    CONFIG_GROUPS,
    Sources,
    check_hydra,
    compose,
    compose_each,
    group_options,
    honour_group_choices,
    register_presets,
)
from simprive.grid import AXES, PIPELINE_GROUPS, expand, fixed_settings, flatten
from simprive.jobs import checked_jobs, task_overrides
from simprive.progress import counted
from simprive.report import sweep_jobs, write_report
from simprive.results import (
    aggregate,
    check_summary,
    figure_spec,
    read_jobs,
    read_json,
    read_meta,
    read_summary,
    write_json,
    write_summary,
)
from simprive.runner import (
    check_figures,
    check_settings,
    extra_columns,
    identity_row,
    override_keys,
    plan_all,
    run,
    vocabulary,
)
from simprive.store import Busy, Store, acquire
from simprive.validation import ConfigError, check_each
from simprive.version import __version__

__all__ = ["AggregateOnMultirunEnd", "aggregate_main", "main", "plan_main", "plot_main"]

register_presets()  # the experiment group, before Hydra composes anything in this process


def register_sweeper() -> None:
    """simprive's sweeper (hydra/sweeper=simprive, the default): Hydra's scan of hydra_plugins
    finds it in an installed wheel but not in an editable install, so it is registered by name
    too, after the scan (which re-executes the modules it finds, Hydra's basic sweeper among
    them: the class to register is the one the scan left)."""
    plugins = Plugins.instance()
    from hydra_plugins.simprive_sweeper import SimpriveSweeper

    plugins.register(SimpriveSweeper)


register_sweeper()

# Hydra flags after which the next argument is a value, not an override
VALUE_FLAGS = {"--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd", "--experimental-rerun",
               "--package", "-p"}
# Hydra flags that print information instead of running: nothing to validate
INFO_FLAGS = {"--help", "-h", "--hydra-help", "--info", "-i", "--cfg", "-c", "--shell-completion", "-sc",
              "--version"}


def say(*lines) -> None:
    """Lines on stdout, now: a reader that has closed it (``simprive … | head``) ends the
    command quietly (inside Hydra too, which would print the error's traceback)."""
    try:
        print(*lines, sep="\n", flush=True)
    except BrokenPipeError:
        _stdout_closed()


def _stdout_closed():
    """Exit 1 without a traceback when stdout's reader has gone, Python's recipe (the note on
    SIGPIPE in the signal module's docs): stdout on devnull, so that flushing it at exit does
    not fail again.  SIGPIPE keeps Python's handler: MPyC's and Ray's sockets need it."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise SystemExit(1)


def entry_point(command):
    """A console script: its output may be cut short by its reader (``| head``)."""

    @functools.wraps(command)
    def wrapped() -> None:
        try:
            command()
            sys.stdout.flush()
        except BrokenPipeError:
            _stdout_closed()

    return wrapped


def written(folder: Path, figures) -> list[str]:
    """The lines a run or sweep ends with: the files it wrote, the report to open, and
    (last, for scripts) its folder."""
    tables = [folder / name for name in ("summary.csv", "trials.parquet", "meta.json") if (folder / name).exists()]
    return [*(str(p) for p in [*tables, *figures]), f"open: {folder / 'report.html'}", str(folder)]


def fail(message: str, code: int = 2):
    print("\n".join(f"simprive: {line}" for line in message.splitlines()), file=sys.stderr)
    raise SystemExit(code)


def split_argv(argv: list[str]) -> tuple[list[str], bool, Sources]:
    """The overrides on a command line, whether it asks for a multirun, and where its
    configs come from (``--config-path``, ``--config-name``, ``--config-dir``)."""
    overrides, multirun, flags = [], False, {}
    args = iter(argv)
    for arg in args:
        flag, eq, value = arg.partition("=")
        if flag in VALUE_FLAGS:
            flags[flag] = value if eq else next(args, "")
        elif arg in ("-m", "--multirun"):
            multirun = True
        elif not arg.startswith("-"):
            overrides.append(arg)
    path = flags.get("--config-path", flags.get("-cp"))
    folder = flags.get("--config-dir", flags.get("-cd"))
    # as Hydra reads them: a relative --config-path is relative to the file declaring @hydra.main
    sources = Sources(config_path=(Path(__file__).parent / path).resolve() if path else CONF_DIR,
                      config_name=flags.get("--config-name", flags.get("-cn", "config")),
                      config_dirs=(Path(folder).resolve(),) if folder else ())
    return overrides, multirun, sources


RUN_DIRS = ("hydra.run.dir", "hydra.sweep.dir")
JOBLIB_BACKENDS = ("loky", "multiprocessing", "threading")


def _check_n_jobs(key: str, value) -> None:
    """joblib's n_jobs: workers, or with n < 0, cpu_count + 1 + n of them; never 0."""
    cpus = os.cpu_count() or 1
    if isinstance(value, bool) or not isinstance(value, int) or value == 0 or value < -cpus:
        raise ConfigError(key, value, f"must be a whole number of workers, 1 or more, or -1 … -{cpus} "
                                      f"(all {cpus} CPUs … one)")


def _check_backend(key: str, value) -> None:
    if value not in JOBLIB_BACKENDS:
        raise ConfigError(key, value, f"choose one of {', '.join(JOBLIB_BACKENDS)} (joblib's backends)")


def _check_ray_cpus(key: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(key, value, "must be a whole number of CPUs, 1 or more")


RAY_PORT = 10001  # Ray Client's default port, in ray://HOST
REACH_SECONDS = 3.0  # how long to wait for a Ray head before saying it cannot be reached


def _check_ray_address(key: str, value) -> None:
    """A Ray head that answers at all, within a few seconds (Ray itself tries for about
    40 s, then fails with its own traceback and files left behind)."""
    import socket
    from urllib.parse import urlsplit

    if value in (None, "auto", "local"):
        return
    try:
        where = urlsplit(value if "://" in str(value) else f"ray://{value}")
        host, port = where.hostname, where.port or RAY_PORT
    except ValueError:
        host, port = None, None
    if not host:
        raise ConfigError(key, value, "must be ray://HOST[:PORT], HOST:PORT, auto or local")
    try:
        socket.create_connection((host, port), timeout=REACH_SECONDS).close()
    except OSError as exc:
        raise ConfigError(key, value, f"no Ray head answers at {host}:{port} within {REACH_SECONDS:g} s "
                                      f"({exc.strerror or exc})") from None


# launcher settings Hydra passes on unchecked (joblib ignores an unknown backend, fails late on
# the rest; Ray takes 40 s to give up on an address, then leaves the run's files behind)
LAUNCHER_CHECKS = {"hydra.launcher.n_jobs": _check_n_jobs, "hydra.launcher.backend": _check_backend,
                   "hydra.launcher.ray.init.num_cpus": _check_ray_cpus,
                   "hydra.launcher.ray.init.num_gpus": _check_ray_cpus,
                   "hydra.launcher.ray.init.address": _check_ray_address}


def sweep_values(parsed, sources: Sources | None = None) -> list[str]:
    """The values of a parsed sweep override, in Hydra's order: a choice, a range, or
    ``glob(…)`` over a config group's options; an ``interval(…)``, which only an optimising
    sweeper can search, or a glob of a key that is not a group is a :class:`ConfigError`."""
    from hydra.core.override_parser.types import Glob, IntervalSweep

    name, value = parsed.key_or_group, parsed.input_line.partition("=")[2]
    swept = parsed.value()
    if isinstance(swept, IntervalSweep):
        raise ConfigError(name, value, "interval(…) is a range for an optimiser to search, not values to run: list "
                                       "them (0.5,1,2) or step through them (range(1,10,2))")
    if isinstance(swept, Glob):
        if name not in CONFIG_GROUPS:
            raise ConfigError(name, value, f"glob(…) picks options of a config group ({', '.join(CONFIG_GROUPS)}); "
                                           f"list the values of {name} instead")
        options = group_options(name, sources)
        picked = swept.filter(options)
        if not picked:
            raise ConfigError(name, value, f"matches none of {name}'s options: {', '.join(options)}")
        return picked
    try:
        return list(parsed.sweep_string_iterator())
    except Exception as exc:  # noqa: BLE001 - what Hydra's grammar accepts but cannot enumerate (range(1,3),1)
        raise ConfigError(name, value, f"Hydra cannot list the values of {parsed.input_line!r}: "
                                       f"{(str(exc).splitlines() or [type(exc).__name__])[0]}") from None


LONG_OVERRIDE = 20_000  # characters: a list this long takes Hydra's parser seconds to read


def check_overrides(overrides: list[str], sources: Sources | None = None, multirun: bool = True) -> None:
    """Each override on its own, before anything composes: one Hydra cannot parse is named
    with what Hydra said of it; a key given twice (Hydra would keep the last), a sweep without
    ``-m`` (``multirun``) or listing a value twice, and an empty or unresolvable run folder are
    refused."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.utils import setup_globals

    parser, seen = OverridesParser.create(), dict[str, str]()
    for o in overrides:
        if len(o) >= LONG_OVERRIDE:  # Hydra's parser reads about 6,000 characters a second
            print(f"simprive: reading {o.split('=', 1)[0]}, an override of {len(o):,} characters: Hydra's parser needs "
                  f"~{len(o) / 6000:.0f} s each of the 3 times it is read (checked, composed, run)", file=sys.stderr,
                  flush=True)
        key, _, value = o.lstrip("+~").partition("=")
        try:
            parsed = parser.parse_override(o)
        except Exception as exc:  # Hydra's parse error: its first line, for this override
            raise ConfigError(key, value or None, f"Hydra cannot read the override {o!r}: "
                                                  f"{str(exc).splitlines()[0]}") from None
        name = parsed.key_or_group
        if not name:
            raise ConfigError("overrides", o, "an override names a key before its '=' (key=value, +key=value, ~key)")
        if name in seen:
            raise ConfigError(name, value, f"given twice ({seen[name]!r} and {o!r}): Hydra would keep the last one; "
                                           "give it once")
        seen[name] = o
        if parsed.is_sweep_override():
            if not multirun:
                listed = f"[{value}]" if "(" not in value else "[…]"
                raise ConfigError(name, value, f"lists values to sweep: add -m to run a job per value, or give a "
                                               f"list ({name}={listed}) to run them in one job")
            values = sweep_values(parsed, sources)
            twice = next((v for i, v in enumerate(values) if v in values[:i]), None)
            if twice is not None:
                raise ConfigError(name, value, f"sweeps {twice} twice: every job would run twice")
        if name in LAUNCHER_CHECKS:
            LAUNCHER_CHECKS[name](name, parsed.value())
        if name in RUN_DIRS:
            if not value.strip():
                raise ConfigError(name, value, "is empty: the run would write into the current folder; name a folder")
            if "${" in value and "${hydra:" not in value:  # ${hydra:…} resolves only inside Hydra's run
                setup_globals()  # Hydra's resolvers (${now:…})
                try:
                    OmegaConf.to_container(OmegaConf.create({"dir": value}), resolve=True)
                except Exception as exc:
                    raise ConfigError(name, value, f"does not resolve: {str(exc).splitlines()[0]}") from None


def job_overrides(overrides: list[str], multirun: bool, sources: Sources | None = None) -> list[list[str]]:
    """The override list of every job a multirun launches: the cartesian product of the
    swept values, in Hydra's order.  Hydra's own settings are left out, except the search
    path, which decides what composes."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    task = task_overrides(overrides)
    if not multirun:
        return [task]
    try:
        parsed = OverridesParser.create().parse_overrides(task)
    except Exception as exc:  # Hydra's own parse error, one line
        raise ConfigError("overrides", " ".join(task), str(exc).splitlines()[0]) from None
    choices = []
    for o in parsed:
        if o.is_sweep_override():
            key = o.get_key_element()
            choices.append([f"{key}={value}" for value in sweep_values(o, sources)])
        else:
            choices.append([str(o.input_line)])
    return [list(job) for job in itertools.product(*choices)]


@dataclass(frozen=True)
class Job:
    """One job's configurations, validated: their hashes, the keys their releases ignore
    (with why), their summary identity rows, and the figures the job asks for."""

    hashes: frozenset
    ignored: dict[str, str]
    identities: list[dict]
    plots: list
    vocabulary: tuple[set, set]  # what its figures may draw (runner.vocabulary)


def validate(overrides: list[str], cfg: dict) -> Job:
    """Plan one job's configuration, ``cfg`` composed from ``overrides``: raises
    ConfigError, runs nothing."""
    check_settings(cfg)
    points, axes = expand(cfg)
    plans = plan_all(points, axes)
    ignored = {k: f"mechanism={p.release.kind} ignores {k}: {why}" for p in plans for k, why in p.release.ignores.items()}
    extra = extra_columns(points[0], axes, overrides)
    return Job(frozenset(p.config_hash for p in plans), ignored, [identity_row(cfg, p, extra) for p in plans],
               (cfg.get("figure") or {}).get("plots") or [], vocabulary(plans))


def validate_sweep(jobs: list[list[str]], overrides: list[str], sources: Sources | None = None) -> None:
    """Every job valid, no two jobs the same configurations (a swept key that every release
    ignores: refused, naming the key), and figures that can show everything the sweep varies."""
    seen: dict[frozenset, list[str]] = {}
    identities: list[dict] = []
    plots: list = []
    metrics: set = set()
    keys: set = set()
    # every job checked, the errors of all of them reported together, each naming its jobs' swept values
    composed = counted(zip(jobs, compose_each(jobs, sources)), len(jobs), "checking jobs", f"a sweep of {len(jobs):,} jobs")
    checks = check_each(lambda pair: validate(*pair), composed,
                        lambda pair: dict(o.split("=", 1) for o in pair[0] if "=" in o))
    for job, checked in zip(jobs, checks):
        hashes, ignored = checked.hashes, checked.ignored
        identities += checked.identities
        plots = plots or checked.plots
        metrics |= checked.vocabulary[0]
        keys |= checked.vocabulary[1]
        if hashes in seen:
            key = next(o.split("=", 1)[0] for o in job if o not in seen[hashes])
            given = next((o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0] == key), None)
            why = ignored.get(key, "it changes none of the configurations")
            raise ConfigError(key, given, f"jobs that differ only in {key} run the same configurations ({why}); "
                                          f"remove {key} from the sweep")
        seen[hashes] = job
    if plots:
        check_figures(identities, plots, (metrics, keys))


single_runs: list[Path] = []  # this process's run folder, once known: a run stopped early leaves nothing


@entry_point
def main() -> None:
    _launch(_check_runs, lambda: _hydra_main())


def _check_runs(overrides: list[str], multirun: bool, sources: Sources) -> None:
    """``simprive``'s checks: every job of the command line composed and planned."""
    jobs = job_overrides(overrides, multirun, sources)
    validate_sweep(jobs, overrides, sources)
    checked_jobs[:] = jobs  # Hydra's sweeper need not compose them all again


def _launch(check, hydra_main) -> None:
    """A command line checked (``check(overrides, multirun, sources)`` raises ConfigError)
    before Hydra writes anything, then ``hydra_main`` run, stopped cleanly by Ctrl-C or SIGTERM."""
    argv = sys.argv[1:]
    if "--version" in argv:  # simprive's, not Hydra's
        say(f"simprive {__version__}")
        return
    overrides, multirun, sources = split_argv(argv)
    register_presets(sources, overrides)  # a user's experiment/NAME.yaml shadows the preset NAME
    register_sweeper()
    if not INFO_FLAGS.intersection(argv):
        try:
            check_overrides(overrides, sources, multirun)
            check(overrides, multirun, sources)
            check_hydra(overrides, sources)  # hydra/launcher=…, hydra.job.chdir=…: as Hydra will read them
            for o in overrides:  # the folder is this process's, or refused, before Hydra writes in it
                if o.split("=", 1)[0] in RUN_DIRS:
                    acquire(Path(o.split("=", 1)[1]), o.split("=", 1)[0])
                    if o.startswith("hydra.run.dir=") and not multirun:  # Hydra writes .hydra/ in it first
                        single_runs.append(Path(o.split("=", 1)[1]))
        except ConfigError as exc:
            fail(str(exc))
        if not sys.stdout.isatty() and not any(o.startswith("hydra/hydra_logging") for o in overrides):
            sys.argv.append("hydra/hydra_logging=disabled")  # quiet when not on a terminal
    # Ctrl-C and SIGTERM unwind the run: MPyC parties are stopped, temporary folders removed
    interrupt.install()
    interrupt.mark_main()  # a launcher's worker processes die with this one, however it dies
    try:
        if INFO_FLAGS.intersection(argv):  # Hydra prints these inside its error handler: printed here instead
            shown = io.StringIO()
            try:
                with contextlib.redirect_stdout(shown):
                    hydra_main()
            finally:
                if shown.getvalue():
                    say(shown.getvalue().rstrip("\n"))
        else:
            hydra_main()
    except KeyboardInterrupt:
        # a run stopped before any configuration finished has nothing to resume: nothing of it is left
        kept = [d for d in single_runs if Store(d).finished()]
        for d in set(single_runs) - set(kept):
            _discard(d)
        fail("interrupted; finished configurations are kept: the same command resumes" if kept or multirun else
             "interrupted before any configuration finished: nothing was kept", code=130)


@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def _hydra_main(cfg: DictConfig) -> None:
    hc = HydraConfig.get()
    if not interrupt.worker_dies_with_main():  # the run that launched this job was killed
        _discard(Path(hc.runtime.output_dir))
        print(f"simprive: the run that launched this job (pid {os.environ.get(interrupt.MAIN_PID)}) is gone: "
              "not running it", file=sys.stderr, flush=True)
        os._exit(1)  # the worker process too: a pool would otherwise keep it, idle, for its next task
    out_dir, plain, overrides = _job(cfg)
    if hc.mode == RunMode.MULTIRUN:
        _multirun_job(plain, out_dir, overrides)
        return
    single_runs.append(out_dir)
    try:
        results = run(plain, out_dir, overrides=overrides)
    except ConfigError as exc:
        if not isinstance(exc, Busy):  # the folder is another run's: leave it alone
            _discard(out_dir)
        fail(str(exc))
    say(*written(out_dir, results.figures))


def _job(cfg: DictConfig) -> tuple[Path, dict, list[str]]:
    """The job's folder, its config as a plain dict (group choices honoured) and its overrides."""
    hc = HydraConfig.get()
    overrides = list(hc.overrides.task)
    folders = [Path(s.path) for s in hc.runtime.config_sources if s.schema == "file"]
    sources = Sources(config_path=folders[0], config_dirs=tuple(folders[1:])) if folders else None
    composed = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(composed, dict)
    return Path(hc.runtime.output_dir), honour_group_choices(composed, overrides, sources), overrides


@entry_point
def plan_main() -> None:
    """``simprive-plan``: simprive's overrides plus the ``plan`` group; one plan per command."""
    _launch(_check_plan, lambda: _hydra_plan())


def _check_plan(overrides: list[str], multirun: bool, sources: Sources) -> None:
    if multirun:
        raise ConfigError("-m", None, "simprive-plan solves one plan per command (its search runs the "
                                      "configurations itself): drop -m")
    from simprive.plan_run import check

    check(compose(overrides, sources), overrides)


@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def _hydra_plan(cfg: DictConfig) -> None:
    from simprive.plan_run import run_plan

    out_dir, plain, overrides = _job(cfg)
    single_runs.append(out_dir)
    try:
        results = run_plan(plain, out_dir, overrides=overrides)
    except ConfigError as exc:
        if not isinstance(exc, Busy):
            _discard(out_dir)
        fail(str(exc))
    tables = [out_dir / name for name in ("plan.csv", "verification.csv", "pareto.csv") if (out_dir / name).exists()]
    say(*results.lines, *written(out_dir, tables + results.figures))


def optuna_main() -> None:
    """One Optuna study of a plan over several keys (started by simprive.pareto, never by
    hand): a Hydra multirun whose jobs each return their point's objectives."""
    import warnings

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # NSGA-II's constraints_func is marked experimental in Optuna 2.x: said once in the README, not per study
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    _hydra_optuna_job()


@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def _hydra_optuna_job(cfg: DictConfig) -> list[float]:
    from simprive.pareto import job_objectives

    return job_objectives(_job(cfg)[1])


def _discard(out_dir: Path) -> None:
    """A failed run leaves nothing: not even the ``.hydra/`` Hydra wrote before it started."""
    shutil.rmtree(out_dir / ".hydra", ignore_errors=True)
    for folder in (out_dir, out_dir.parent):  # the run's folder, and outputs/NAME if it made it
        if folder.resolve() == Path.cwd().resolve():
            break
        try:
            folder.rmdir()  # only while empty: a folder holding anything else stays
        except OSError:
            break


def _multirun_job(cfg: dict, out_dir: Path, overrides: list[str]) -> None:
    """One sweep job: figures are drawn once at the sweep root.  A failure is recorded in
    ``error.json`` rather than raised, so the sweep goes on and its table is still built
    (Hydra skips ``on_multirun_end`` when a job raised)."""
    try:
        run(cfg, out_dir, overrides=overrides, figures=False)
    except Exception as exc:  # recorded, not lost: the combined table shows it
        flat = flatten(cfg)
        row = {"experiment": cfg.get("name"), "status": f"error: {type(exc).__name__}: {exc}"}
        row.update({group: flat.get(f"{group}.kind") for group in PIPELINE_GROUPS})
        row.update({k: flat[k] for k in (*AXES, *override_keys(overrides))
                    if k in flat and not isinstance(flat[k], (list, dict))})
        write_json(out_dir / "error.json", row)
        (out_dir / "error.log").write_text(traceback.format_exc())
        print(f"simprive: job in {out_dir} failed: {exc}", file=sys.stderr)


def build_sweep(sweep_dir: Path) -> Path:
    """Combined ``summary.csv``, ``meta.json`` and figures at a sweep's root."""
    sweep_jobs(sweep_dir)  # every job's record is readable (its report's Jobs table) before anything is written
    summary = aggregate(sweep_dir)
    manifest = read_jobs(sweep_dir)
    paths = sorted(sweep_dir.glob("*/meta.json"))
    metas = [read_meta(p) for p in paths]
    first = metas[0] if metas else {}
    meta = {
        "jobs": (len(manifest["jobs"]) if manifest is not None
                 else len([p for p in sweep_dir.iterdir() if p.is_dir() and not p.name.startswith(".")])),
        "missing": int((summary.get("status") == "missing").sum()) if "status" in summary else 0,
        "failed": int(summary["status"].astype(str).str.startswith("error").sum()) if "status" in summary else 0,
        "experiment": first.get("experiment"),
        "seed": first.get("seed"),
        "packages": first.get("packages"),
        "python": first.get("python"),
        "git_revision": first.get("git_revision"),
        "config": {"figure": (figure_spec(first, paths[0]) if paths else {}) or None},
        # the settings every job shares, for figure texts that name one (the swept ones vary)
        "fixed": fixed_settings([m.get("config") or {} for m in metas]),
    }
    path = write_summary(summary, sweep_dir)
    write_json(sweep_dir / "meta.json", meta)
    try:
        redraw(sweep_dir)
    except ValueError as exc:  # the table stands even if its figure cannot be drawn
        print(f"simprive: no figure for {sweep_dir}: {exc}", file=sys.stderr)
    write_report(sweep_dir)
    return path


def redraw(run_dir: Path) -> list[Path]:
    """Draw a directory's figures from its summary.csv (and the spec in meta.json)."""
    from simprive.figures import draw_all

    meta = read_json(run_dir / "meta.json")
    spec = figure_spec(meta, run_dir / "meta.json")  # the one check read_meta would make
    if not spec.get("plots"):
        return []
    summary = check_summary(read_summary(run_dir), run_dir / "summary.csv")
    if "status" in summary:
        summary = summary[summary["status"] == "ok"]
    fixed = meta.get("fixed") or fixed_settings([meta.get("config") or {}])
    return draw_all(summary, spec["plots"], run_dir, fixed)


class AggregateOnMultirunEnd(Callback):
    """A sweep's root: before any job, the list of every job (``jobs.json``) and a lock; once
    every job has finished, the combined table, figures and report."""

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        task = list(config.hydra.overrides.task)
        jobs = [{"num": i, "overrides": job} for i, job in enumerate(job_overrides(task, multirun=True))]
        write_json(sweep_dir / "jobs.json", {"command": ["simprive", "-m", *task], "jobs": jobs})
        (sweep_dir / ".simprive").mkdir(exist_ok=True)
        (sweep_dir / ".simprive" / "lock").write_text(str(os.getpid()))

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if sweep_dir.is_dir():
            try:
                build_sweep(sweep_dir)
            finally:
                (sweep_dir / ".simprive" / "lock").unlink(missing_ok=True)
            say(*written(sweep_dir, sorted(sweep_dir.glob("*.png")) + sorted(sweep_dir.glob("*.svg"))))


def _dir_arg(description: str) -> Path:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("dir", type=Path, help="a run or sweep directory")
    parser.add_argument("--version", action="version", version=f"simprive {__version__}")
    args = parser.parse_args()
    if not args.dir.is_dir():
        fail(f"invalid dir={str(args.dir)!r}: not a directory")
    return args.dir


def _from_summary(run_dir: Path) -> Path:
    """A run or sweep folder to draw from: its summary.csv must be a file."""
    if not (run_dir / "summary.csv").is_file():
        what = "its summary.csv is not a file" if (run_dir / "summary.csv").exists() else "no summary.csv"
        fail(f"invalid dir={str(run_dir)!r}: {what} (for a sweep, run simprive-aggregate first)")
    return run_dir


@contextlib.contextmanager
def _refusing_bad_files():
    """A folder's broken file is one line naming it, exit 2: ConfigError (what simprive checks),
    OSError (a file it cannot write)."""
    try:
        yield
    except ConfigError as exc:
        fail(str(exc))
    except OSError as exc:  # write_atomic's rename names the file it replaces second
        fail(f"cannot write {exc.filename2 or exc.filename}: {exc.strerror}")


@entry_point
def plot_main() -> None:
    run_dir = _from_summary(_dir_arg("Redraw a run's figures from its summary.csv alone."))
    with _refusing_bad_files():
        paths = redraw(run_dir)
    say(*paths)


@entry_point
def aggregate_main() -> None:
    sweep_dir = _dir_arg("Rebuild a sweep's combined summary.csv and figures from its job folders.")
    with _refusing_bad_files():
        try:
            path = build_sweep(sweep_dir)
        except FileNotFoundError as exc:  # no job folder
            fail(str(exc))
        say(path)
        problem = unfinished(sweep_dir, read_summary(path))
    if problem:
        fail(problem, code=1)


def unfinished(sweep_dir: Path, summary) -> str | None:
    """One line naming a sweep's missing and failed jobs (as its combined ``summary`` has them)
    and the command that completes it (finished configurations are reused), or None when
    every job finished."""
    manifest = read_jobs(sweep_dir)
    if manifest is None:
        return None
    states: dict[str, str] = {}
    if "job" in summary:  # the rows of the jobs that did not finish name them
        for job, status in summary.loc[summary["status"] != "ok", ["job", "status"]].itertuples(index=False):
            states[str(int(job)) if isinstance(job, float) and job.is_integer() else str(job)] = str(status)
    nums = [job["num"] for job in manifest["jobs"]]
    missing = [n for n in nums if states.get(str(n)) == "missing"]
    failed = [n for n in nums if states.get(str(n), "ok").startswith("error")]
    if not missing and not failed:
        return None
    return (f"{len(missing)} of {len(nums)} jobs missing {missing[:10]}{' …' if len(missing) > 10 else ''}, "
            f"{len(failed)} failed {failed[:10]}; complete the sweep (finished configurations are reused) with: "
            f"{resume_command(sweep_dir, manifest['command'])}")


def resume_command(sweep_dir: Path, recorded: list[str]) -> str:
    """The command line that started a sweep, into this folder, as a shell reads it: as Hydra
    recorded it in ``multirun.yaml`` (the config folders, the task's overrides and Hydra's own,
    such as ``hydra/launcher=joblib``), else as ``jobs.json`` has it (``recorded``)."""
    record = sweep_dir / "multirun.yaml"
    if not record.exists():
        return shlex.join([*(recorded or ["simprive", "-m"]), f"hydra.sweep.dir={sweep_dir}"])
    try:
        hydra_cfg = OmegaConf.load(record).hydra
        flags = []
        for source in hydra_cfg.runtime.config_sources:
            if source.provider == "command-line":
                flags += ["--config-dir", str(source.path)]
            elif source.provider == "main" and Path(source.path) != CONF_DIR:
                flags += ["--config-path", str(source.path)]
        if hydra_cfg.job.config_name != "config":
            flags += ["--config-name", str(hydra_cfg.job.config_name)]
        task = [str(o) for o in hydra_cfg.overrides.task]
        # all but what changes: the folder (where it is now), the mode (-m), the logging a pipe gets anyway
        own = [str(o) for o in hydra_cfg.overrides.hydra
               if o.split("=", 1)[0] not in ("hydra.sweep.dir", "hydra.mode") and o != "hydra/hydra_logging=disabled"]
    except Exception as exc:  # noqa: BLE001 - a broken record: say so, rather than drop the settings it holds
        return (f"the command that started it and hydra.sweep.dir={sweep_dir} ({record} is unreadable: "
                f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__})")
    return shlex.join(["simprive", "-m", *flags, *task, *own, f"hydra.sweep.dir={sweep_dir}"])


@entry_point
def report_main() -> None:
    run_dir = _from_summary(_dir_arg("Rebuild report.html of a run or sweep from its summary.csv and meta.json."))
    with _refusing_bad_files():
        path = write_report(run_dir)
    say(path)

"""The core: ``run(cfg, out_dir) -> Results``.  Plain dicts in, tidy tables out; no Hydra.

Data flows one way: every configuration of the grid is validated and planned before
any work, then simulated in trial chunks (scenario → mechanism → metrics), summarised
into tidy rows, and only at the end written (atomically) with its figures.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simprive import interrupt
from simprive.attacks import build_attack, knowledge_level
from simprive.contracts import Data
from simprive.dp import clamped_sum
from simprive.grid import AXES, PIPELINE_GROUPS, expand, fixed_settings
from simprive.identity import config_hash, streams
from simprive.metrics import KINDS, PREFIXES, Bound, Rare, Spread, agreement, kind_of, summarise
from simprive.progress import Progress, counted
from simprive.releases import build_release
from simprive.results import Results, read_summary, tidy, write_json, write_parquet, write_summary
from simprive.scenarios import build_scenario, scenario_params
from simprive.store import Store, check_free, hold
from simprive.validation import (
    ConfigError,
    check_bool,
    check_each,
    check_int,
    check_name,
    check_range,
    check_real,
    did_you_mean,
)

__all__ = ["run", "run_experiment"]

CHUNK_ELEMENTS = 1 << 22  # individual inputs held in memory at once
BYTES_PER_ELEMENT = 32  # a trial's values pass through a few 8-byte arrays at once
PACKAGES = ("numpy", "scipy", "pandas", "hydra-core", "matplotlib", "seaborn", "pyarrow", "mpyc")


@dataclass(frozen=True)
class Plan:
    """One validated configuration: what to draw, how to release it, and its identity."""

    point: dict
    release: Any  # a Release (simprive.contracts)
    trials: int
    seed: int
    data_params: dict
    attack: Any = None  # what the adversary does with the release, if anything
    aux: Any = None  # the adversary's amount of auxiliary knowledge

    @property
    def identity(self) -> dict:
        """The configuration less the keys its release does not depend on: two points with
        one identity are one configuration (the same rows, the same random streams)."""
        return {k: v for k, v in self.point.items() if k not in self.release.ignores}

    @property
    def config_hash(self) -> str:
        return config_hash(self.identity)[:12]


def _group(point: dict, group: str) -> dict:
    return {k.split(".", 1)[1]: v for k, v in point.items() if k.startswith(group + ".")}


MANY_POINTS = 5000  # a grid this large is counted as it is checked (about 1 s of checking)


def plan_all(points: list[dict], axes) -> list[Plan]:
    """:func:`plan` for every point of a grid, the errors of all of them together (each
    naming the swept values it occurs with); a large grid says its size and is counted."""
    sizes = " × ".join(f"{k} {len({json.dumps(p.get(k), default=str) for p in points}):,}" for k in axes)
    return check_each(plan, counted(points, len(points), "checking", f"{len(points):,} configurations ({sizes})",
                                    many=MANY_POINTS), lambda p: {k: p.get(k) for k in axes})


def plan(point: dict) -> Plan:
    """Validate one configuration completely, or raise :class:`ConfigError`."""
    for key in ("epsilon", "delta", "n", "lower", "upper", "trials", "seed"):
        if key not in point:
            raise ConfigError(key, None, "is required")
    n = check_int("n", point["n"])
    trials = check_int("trials", point["trials"])
    seed = check_int("seed", point["seed"], minimum=0)
    lower, upper = check_range(point["lower"], point["upper"])
    adversary = _group(point, "adversary")
    aux = knowledge_level(adversary, n)  # an unknown adversary stops here, before any other work
    scen = _group(point, "scenario")
    if scen.get("kind") == "bounded":  # data range defaults to the declared range
        scen["low"] = lower if scen.get("low") is None else scen["low"]
        scen["high"] = upper if scen.get("high") is None else scen["high"]
    scenario = build_scenario(scen)
    if hasattr(scenario, "check_parties"):  # a table holds a fixed number of rows
        scenario.check_parties(n)
    if hasattr(scenario, "fingerprint"):  # the data's own identity: other data, other rows
        point = {**point, "scenario.fingerprint": scenario.fingerprint}

    def release_for(parties: int):
        return build_release(
            _group(point, "mechanism"), query=str(_group(point, "query").get("kind")), scenario=scenario,
            epsilon=point["epsilon"], delta=point["delta"], n=parties, lower=lower, upper=upper,
            neighbours=point.get("neighbours", "replace"),
        )

    release = release_for(n)
    attack = build_attack(adversary, release, n, trials)
    check_memory(release, release_for, attack)
    data_params = {"scenario": scenario_params(scenario), "n": n, "trials": trials}
    return Plan(point, release, trials, seed, data_params, attack, aux)


CLIPPING_WARNING = 0.05  # a declared range that clips more of a real table than this is worth a line


def warn_clipping(plans: list[Plan]) -> None:
    """One line when a declared range clips much of a real table: its closed forms still
    hold, but the release then answers about clipped data."""
    clipped = {}
    for p in plans:
        rel = p.release
        if hasattr(rel.scenario, "clipped_share") and rel.clamps:
            share = rel.scenario.clipped_share(rel.lower, rel.upper)
            if share > CLIPPING_WARNING:
                clipped[(rel.lower, rel.upper)] = (share, rel.scenario.column)
    if clipped:
        ranges = ", ".join(f"[{lo:g}, {hi:g}] {share:.1%}" for (lo, hi), (share, _) in sorted(clipped.items()))
        column = next(iter(clipped.values()))[1]
        print(f"simprive: warning: declared ranges clip much of column {column!r}: {ranges}", file=sys.stderr)


def memory_budget() -> int:
    """Bytes one trial may take: a quarter of the machine's memory."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4


def check_memory(release, release_for, attack=None) -> None:
    """One trial of ``release`` fits in memory (trials are chunked), or it can be drawn a
    block of parties at a time (:func:`splits`), or a ConfigError names n and the largest
    n that fits."""
    if splits(release, attack):
        return
    budget = memory_budget()

    def needs(rel) -> int:
        held = rel.elements_per_trial + getattr(rel, "fixed_elements", 0)
        return held * BYTES_PER_ELEMENT if rel.individual else 0

    if needs(release) <= budget:
        return
    low, high = 1, release.n  # needs() grows with n: the largest n that fits, by bisection
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if needs(release_for(mid)) <= budget else (low, mid)
    held = release.elements_per_trial + getattr(release, "fixed_elements", 0)
    raise ConfigError("n", release.n, f"one trial of mechanism={release.kind} holds {held:.3g} "
                                      f"values (~{needs(release) / 2**30:.3g} GiB; this machine allows "
                                      f"{budget / 2**30:.3g} GiB): at most n = {low} fits")


def splits(release, attack) -> bool:
    """Whether one trial is too large to hold and can be drawn a block of parties at a time:
    the release reads only the parties' sums, no adversary reads their inputs, and the
    scenario's parties are independent draws (so blocks of them are too)."""
    too_large = release.individual and release.elements_per_trial * BYTES_PER_ELEMENT > memory_budget()
    return (too_large and attack is None and getattr(release, "sums_suffice", False)
            and getattr(release.scenario, "draws_in_blocks", False))


def draw_sums(scenario, rng, n: int, lower: float, upper: float):
    """One trial's sums over its n parties, drawn CHUNK_ELEMENTS parties at a time: the total,
    the total clamped to ``[lower, upper]``, the largest input and how many were clipped.
    A generator: it yields after each block and returns the trial's :class:`Data`."""
    total, clamped, top, clipped = 0.0, 0.0, -np.inf, 0
    for start in range(0, n, CHUNK_ELEMENTS):
        values = scenario.draw(rng, 1, min(CHUNK_ELEMENTS, n - start), individual=True).values
        total += float(values.sum())
        clamped += float(clamped_sum(values, lower, upper).sum())
        top = max(top, float(values.max()))
        clipped += int(((values < lower) | (values > upper)).sum())
        interrupt.check()  # a long trial still stops at Ctrl-C
        yield
    return Data(n, sums={k: np.array([v]) for k, v in
                         (("total", total), ("clamped", clamped), ("max", top), ("clipped", clipped))})


def distinct(plans: list[Plan], axes) -> list[Plan]:
    """One plan per configuration: points that differ only in keys their release ignores
    (ε for exact MPC, ε for the article's ln 3 coin flips, δ for a pure mechanism, …) run once,
    and a note on stderr says which swept key collapsed and why."""
    seen: dict[str, Plan] = {}
    for p in plans:
        seen.setdefault(p.config_hash, p)
    if len(seen) < len(plans):
        notes = sorted({f"mechanism={p.release.kind} ignores {key} ({p.release.ignores[key]})"
                        for p in plans for key in axes if key in p.release.ignores}
                       | {f"mechanism={p.release.kind} does not take {key}" for p in plans for key in axes
                          if key not in p.point})
        print(f"simprive: note: {'; '.join(notes)}: {len(plans)} configurations collapse to {len(seen)}",
              file=sys.stderr)
    return list(seen.values())


def simulate(p: Plan) -> tuple[dict[str, np.ndarray], dict[str, float | None], dict[str, dict]]:
    """All trials of one configuration (:func:`simulation` run to its end)."""
    return finish(simulation(p))


def finish(steps):
    """Run a :func:`simulation` to its end and return what it returns."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def batches(p: Plan) -> int:
    """How many batches :func:`simulation` draws: chunks of trials, or blocks of parties
    when one trial is drawn a block at a time."""
    rel = p.release
    if getattr(rel, "game_only", False):
        return 1
    if splits(rel, p.attack):
        return p.trials * math.ceil(rel.n / CHUNK_ELEMENTS)
    return math.ceil(p.trials / _chunk(p))


def _chunk(p: Plan) -> int:
    rel = p.release
    return max(1, min(p.trials, CHUNK_ELEMENTS // rel.elements_per_trial)) if rel.individual else p.trials


def simulation(p: Plan):
    """All trials of one configuration, in chunks that bound memory: per-trial metrics, the
    mean of their expectations, and how to check those beyond their value: the rare event
    one rests on (:class:`~simprive.metrics.Rare`), a bound's strict version (``Bound``).
    A generator: it yields after each of its :func:`batches` and returns those three.

    An attack's ``run`` sees each chunk; its ``once`` (a distinguishing game, a budget) runs
    once per configuration with all the trials, and its numbers stand for every trial."""
    rngs = streams(p.seed, p.data_params, p.identity)
    rel, attack = p.release, p.attack
    chunk = _chunk(p)
    game_only = getattr(rel, "game_only", False)  # a mechanism run only inside the auditor's game
    values: dict[str, list] = {}
    expected: dict[str, list] = {}
    checks: dict[str, dict] = {}  # how to check a metric beyond its value: Rare's q, Bound's strict

    def collect(metrics: dict, exp: dict, size: int) -> None:
        for name, v in metrics.items():
            values.setdefault(name, []).append(np.broadcast_to(v, (size,)))
            e = exp.get(name)
            if isinstance(e, Rare):
                checks[name], e = {"q": e.q}, e.value
            elif isinstance(e, Bound):
                checks[name], e = {"strict": e.strict, "claimed": e.claimed}, e.value
            elif isinstance(e, Spread):
                checks[name], e = {"sd": e.sd}, e.value
            expected.setdefault(name, []).append(None if e is None else np.broadcast_to(e, (size,)))

    split = splits(rel, attack)
    for start in range(0, 0 if game_only else p.trials, chunk):  # a game-only mechanism draws no data
        size = min(chunk, p.trials - start)
        if split:  # one trial, a block of parties at a time
            data = yield from draw_sums(rel.scenario, rngs["data"], rel.n, rel.lower, rel.upper)
        else:
            data = rel.scenario.draw(rngs["data"], size, rel.n, individual=rel.individual)
        metrics, exp = release_batch(p, data, rngs)
        collect(metrics, exp, size)
        del data  # a paused simulation keeps only its metrics, not the batch's inputs
        if not split:
            yield
    if game_only:
        yield  # its one step is the game
    if hasattr(attack, "once"):
        once_metrics, once_expected = attack.once(p.trials, rngs["adversary"])
        collect(once_metrics, once_expected, p.trials)
    out = {k: np.concatenate(v) for k, v in values.items()}
    exp_mean = {k: None if any(e is None for e in v) else float(np.concatenate(v).mean()) for k, v in expected.items()}
    return out, exp_mean, checks


def release_batch(p: Plan, data: Data, rngs: dict) -> tuple[dict, dict]:
    """One batch of ``p``'s trials released and, if ``p`` has one, attacked: the per-trial
    metrics and their expectations (:attr:`~simprive.contracts.Outcome.expected`)."""
    out = p.release.run(data, rngs["mechanism"])
    metrics, exp = out.metrics, out.expected
    if hasattr(p.attack, "run"):
        attack_metrics, attack_exp = p.attack.run(data, out.observed, rngs["adversary"])
        metrics, exp = {**metrics, **attack_metrics}, {**exp, **attack_exp}
    return metrics, exp


LONG_RUN = 10.0  # seconds of estimated work worth a line before the run goes on


def start(p: Plan):
    """Begin simulating ``p``: its first batch, timed.  Returns the simulation (to go on
    with :func:`finish`) and the configuration's time extrapolated from that batch over all
    its :func:`batches` (a game that runs once per configuration is not in it)."""
    steps = simulation(p)
    began = time.perf_counter()
    next(steps)
    return steps, (time.perf_counter() - began) * batches(p)


def _duration(seconds: float) -> str:
    for unit, length in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * length:
            return f"{seconds / length:.3g} {unit}"
    return f"{seconds:.2g} s"


def check_duration(plans: list[Plan], estimates: list[float], axes, max_minutes) -> None:
    """Print the run's estimated time when it is long, and refuse it beyond ``max_minutes``
    naming the key that makes it long: n when one trial alone exceeds the limit, else trials."""
    total = sum(estimates)
    limit = math.inf if max_minutes is None else 60 * float(max_minutes)
    if total < min(LONG_RUN, limit):
        return
    longest = max(range(len(plans)), key=estimates.__getitem__)
    p, seconds = plans[longest], estimates[longest]
    where = _where(p, dict.fromkeys([*axes, "n", "trials"]))
    line = (f"about {_duration(total)} for {len(plans)} configuration{'s' * (len(plans) > 1)} (estimated from a first "
            f"batch of each; the longest, {where}, ~{_duration(seconds)})")
    if total <= limit:
        print(f"simprive: {line}", file=sys.stderr)
        return
    key = "n" if seconds / p.trials > limit else "trials"
    raise ConfigError(key, p.point.get(key), f"the run would take {line}, beyond max_minutes={max_minutes}: "
                                         f"lower {key}, or raise max_minutes")


def identity_row(cfg: dict, p: Plan, extra: list[str]) -> dict:
    """A configuration's columns in the summary (every row of it repeats them)."""
    rel = p.release
    row = {
        "experiment": cfg.get("name", "custom"), "scenario": rel.scenario.kind, "query": rel.query,
        "mechanism": rel.kind, "adversary": _group(p.point, "adversary")["kind"], "trials": p.trials,
        "epsilon": rel.epsilon, "delta": rel.delta, "n": rel.n, "lower": rel.lower, "upper": rel.upper,
        "aux": np.nan if p.aux is None else p.aux, "seed": p.seed, "config_hash": p.config_hash,
    }
    row.update({k: _as_cell(p.point.get(k)) for k in extra})
    return row


def _as_cell(value):
    """A setting as one cell of the table: a list or mapping (``scenario.values=[…]``, one
    parameter, not a sweep axis) as its JSON text, so the table can sort and group by it."""
    return json.dumps(value) if isinstance(value, (list, tuple, dict)) else value


# the contract's columns that identity_row fills from a configuration (results.COLUMNS)
STANDARD = {"epsilon", "delta", "n", "lower", "upper", "trials", "seed", "scenario.kind", "query.kind",
            "mechanism.kind", "adversary.kind"}


def extra_columns(point: dict, axes, overrides) -> list[str]:
    """The summary's columns beyond the contract's: every swept or overridden key (a key
    that varies between configurations is always one of these, ``neighbours`` included)."""
    given = {k for k in override_keys(overrides) if k in point}  # (a swept key may be absent from one point)
    return sorted(k for k in set(axes) | given if k not in STANDARD)


def check_figures(identities: list[dict], plots, vocabulary: tuple[set, set]) -> None:
    """Every figure is a valid spec, draws metrics and keys in ``vocabulary`` (what these
    configurations report and have: :func:`vocabulary`), and can show every key that varies
    among them (each stands for all its metrics): raises :class:`ConfigError` otherwise, before
    any work."""
    from simprive.figures import MAPPINGS, check_spec, layout, spec_metrics

    if not isinstance(plots, list):
        raise ConfigError("figure.plots", plots, "must be a list of figures, each a mapping with a name")
    configs = pd.DataFrame(identities)
    declared, keys = vocabulary
    for i, spec in enumerate(plots):
        check_spec(spec, f"figure.plots.{i}", named=True)
        metrics = spec_metrics(spec)
        for m in metrics:
            if m not in declared and not any(m.startswith(prefix) for prefix in PREFIXES):
                raise ConfigError(f"figure.plots.{i}.metric", m, "not a metric these configurations report; known: "
                                  + ", ".join(sorted(declared)))
        for key in ("x", *MAPPINGS):
            if spec.get(key) not in (None, *keys):
                raise ConfigError(f"figure.plots.{i}.{key}", spec[key], "not a key of the config nor a column of "
                                                                        "the summary (see `simprive --cfg job`)")
        frame = pd.concat([configs.assign(metric=m) for m in metrics], ignore_index=True)
        frame = frame.assign(**{k: 0.0 for k in CURVE_KEYS if k in spec.values()})
        # before any work the values are unknown: each configuration's may differ, so no key is
        # taken for one that changes nothing (a panel merged) until the rows show it
        layout(frame.assign(value=np.arange(len(frame), dtype=float), expected=np.nan), spec)


CURVE_KEYS = ("type1",)  # the x of a curve's points, metric name[key=value] (simprive.figures.unfold)


def vocabulary(plans: list[Plan]) -> tuple[set, set]:
    """What a figure of these configurations may draw: the metrics they can report (the
    releases' and their attacks' declared ones) and the keys it may map (:func:`group_keys`,
    the summary's columns and these configurations' keys)."""
    from simprive.display import SHARE
    from simprive.results import COLUMNS

    metrics = set(KINDS).union(*(getattr(p.attack, "METRICS", {}) for p in plans))
    return metrics, {*COLUMNS, SHARE, *group_keys(), *(k for p in plans for k in p.point), *CURVE_KEYS}


@functools.cache
def group_keys() -> frozenset[str]:
    """Every key of every option of the pipeline's groups: a preset's figure may name a
    mechanism's key that the mechanism chosen on the command line lacks (it is left out)."""
    from simprive.config import defaults, group_options

    return frozenset(f"{group}.{k}" for group in PIPELINE_GROUPS for kind in group_options(group)
                     for k in defaults(group, kind))


def override_keys(overrides) -> list[str]:
    """Config keys named by Hydra-style overrides (``+a.b=1``, ``~c``), without groups."""
    keys = []
    for o in overrides:
        key = o.split("=", 1)[0].lstrip("+~")
        if "=" in o and not key.startswith("hydra") and "/" not in key:
            keys.append(key)
    return keys


# the run's own settings, beside the swept axes and the pipeline's groups
SETTINGS = ("name", "save_trials", "progress", "figure", "max_minutes", "plan")


def check_settings(cfg: dict) -> None:
    """The run-level settings, and no key the config does not know (``+foo=1``)."""
    unknown = sorted(set(cfg) - set(AXES) - set(PIPELINE_GROUPS) - set(SETTINGS) - {"hydra"})
    if unknown:
        raise ConfigError(unknown[0], cfg[unknown[0]], f"unknown key; {did_you_mean(unknown[0], [*AXES, *SETTINGS])}known: "
                                                        + ", ".join(sorted({*AXES, *PIPELINE_GROUPS, *SETTINGS})))
    if (cfg.get("plan") or {}).get("solve") is not None:
        raise ConfigError("plan.solve", cfg["plan"]["solve"], "is a plan: solve it with simprive-plan (simprive runs "
                                                              "the forward experiment only; leave plan.solve null)")
    check_name(cfg.get("name", "custom"))
    check_bool("save_trials", cfg.get("save_trials", False))
    if cfg.get("progress") is not None:
        check_bool("progress", cfg["progress"])
    if cfg.get("max_minutes") is not None and check_real("max_minutes", cfg["max_minutes"]) <= 0:
        raise ConfigError("max_minutes", cfg["max_minutes"], "must be > 0 (or null: no limit)")


def run(cfg: dict, out_dir=None, *, overrides=(), figures: bool = True) -> Results:
    """Run every configuration of ``cfg``; write results to ``out_dir`` if given.

    ``cfg`` is a plain (resolved) dict such as ``conf/config.yaml`` composes to.  Raises
    :class:`~simprive.validation.ConfigError` before any work if any value is invalid.
    """
    started = time.perf_counter()
    check_settings(cfg)
    points, axes = expand(cfg)
    # every configuration validated before any work, every point's errors reported together
    plans = distinct(plan_all(points, axes), axes)
    warn_clipping(plans)
    extra = extra_columns(points[0], axes, overrides)
    figure = cfg.get("figure") if figures and out_dir is not None else None
    if figure and figure.get("plots"):  # a figure that cannot show what the run varies stops it here
        check_figures([identity_row(cfg, p, extra) for p in plans], figure["plots"], vocabulary(plans))

    # finished configurations are kept as they finish: a rerun into this folder reuses them
    store = Store(out_dir) if out_dir is not None and not cfg.get("save_trials") else None
    if out_dir is not None:
        check_free(out_dir)
    cached = {p.config_hash: store.load(_key(cfg, p, extra)) for p in plans} if store else {}
    if store and store.rejected:
        print(f"simprive: {len(store.rejected)} saved configuration{'s' * (len(store.rejected) > 1)} in {out_dir} "
              f"failed their check and are computed again ({'; '.join(store.rejected[:3])}"
              f"{', …' if len(store.rejected) > 3 else ''})", file=sys.stderr)
    todo = [p for p in plans if cached.get(p.config_hash) is None]
    # every configuration's first batch, timed, before the rest: a run too long stops here,
    # before it writes anything
    bar = Progress(len(plans), cfg.get("name", "run"), enabled=cfg.get("progress"))
    begun, finished, estimates = {}, {}, []
    for p in todo:
        steps, estimate = start(p)
        estimates.append(estimate)
        if batches(p) == 1:  # its first batch was all of it
            finished[p.config_hash] = finish(steps)
            bar.step(_where(p, axes))
        else:
            begun[p.config_hash] = steps
    check_duration(todo, estimates, axes, cfg.get("max_minutes"))

    with writing(out_dir), hold(out_dir) if out_dir is not None else contextlib.nullcontext():
        rows, trial_frames, reused = [], [], 0
        for p in plans:
            interrupt.check()
            ident = identity_row(cfg, p, extra)
            done = cached.get(p.config_hash)
            if done is None:
                h = p.config_hash
                values, expected, checks = finished.pop(h) if h in finished else finish(begun.pop(h))
                done = summary_rows(ident, p, values, expected, checks)
                if cfg.get("save_trials"):
                    trial_frames += [pd.DataFrame({"config_hash": p.config_hash, "metric": metric,
                                                   "trial": np.arange(len(v)), "value": v})
                                     for metric, v in values.items()]
                if store:
                    store.save(_key(cfg, p, extra), done)
                if batches(p) > 1:  # a one-batch configuration was counted as it finished
                    bar.step(_where(p, axes))
            else:
                reused += 1
                bar.step(_where(p, axes))
            rows += done
        summary = tidy(rows, extra)
        trials = pd.concat(trial_frames, ignore_index=True) if trial_frames else None
        meta = run_meta(cfg, overrides, len(plans), time.perf_counter() - started)
        results = Results(summary=summary, trials=trials, meta=meta)
        if out_dir is not None:
            save(results, Path(out_dir), cfg.get("figure") if figures else None)
    if reused:
        print(f"simprive: reused {reused} of {len(plans)} configurations already finished in {out_dir}",
              file=sys.stderr)
    return results


def summary_rows(ident: dict, p: Plan, values: dict, expected: dict, checks: dict) -> list[dict]:
    """One configuration's rows of the summary: each metric's mean, spread and interval over
    the trials, beside its expectation and whether the two agree."""
    rows = []
    for metric, v in values.items():
        e, kind = expected[metric], kind_of(metric, getattr(p.attack, "METRICS", {}))
        row = {**ident, "metric": metric, **summarise(v, kind), "expected": np.nan if e is None else e}
        row["z"], row["agreement"] = agreement(kind, v, e, **checks.get(metric, {}))
        rows.append(row)
    return rows


MANY_ROWS = 20_000  # a summary this long takes a while to write, draw and report


def save(results: Results, out_dir: Path, figure: dict | None) -> None:
    """Write the run's files; figures are drawn from the CSV text just written."""
    results.out_dir = out_dir
    if len(results.summary) >= MANY_ROWS:  # a minute or more: said, not silent
        plots = len((figure or {}).get("plots") or [])
        print(f"simprive: writing {len(results.summary):,} rows: summary.csv, {plots} figure{'s' * (plots != 1)} and "
              "report.html", file=sys.stderr, flush=True)
    path = write_summary(results.summary, out_dir)
    if results.trials is not None:
        write_parquet(results.trials, out_dir / "trials.parquet")
    if figure and figure.get("plots"):
        from simprive.figures import draw_all  # matplotlib is slow to import: only when drawing

        results.figures = draw_all(read_summary(path), figure["plots"], out_dir,
                                   fixed_settings([results.meta.get("config") or {}]))
    write_json(out_dir / "meta.json", results.meta)
    from simprive.report import write_report

    write_report(out_dir)


@contextlib.contextmanager
def writing(out_dir):
    """A folder that cannot be written (read-only, full, not a folder) stops the run with one
    line naming the file and why; the configurations already computed stay in ``.simprive/``,
    so once it is mended the same command resumes."""
    try:
        yield
    except OSError as exc:
        where = exc.filename or out_dir
        why = exc.strerror or str(exc)
        if exc.errno == errno.ENOSPC:
            free = shutil.disk_usage(Path(out_dir).parent if not Path(out_dir).exists() else out_dir).free
            why += f" ({free / 2**20:.0f} MiB free); finished configurations are kept: free space and rerun to resume"
        raise ConfigError("hydra.run.dir", str(out_dir), f"cannot write {where}: {why}") from None


def _where(p: Plan, axes) -> str:
    """A configuration's swept values, for the progress line."""
    return " ".join(f"{k}={p.point[k]}" for k in axes if k in p.point)


def _key(cfg: dict, p: Plan, extra: list[str]) -> dict:
    """What decides a configuration's rows: the store keeps them under this."""
    return {"point": p.identity, "row": identity_row(cfg, p, extra)}


def _git_revision() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


RUN_ONLY = ("progress", "figure", "save_trials", "plan")  # settings that change no row: not in meta's hash


def run_meta(cfg: dict, overrides, configurations: int, wall: float) -> dict:
    versions: dict[str, str | None] = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "experiment": cfg.get("name"),
        "seed": cfg.get("seed"),
        "config_hash": config_hash({k: v for k, v in cfg.items() if k not in RUN_ONLY})[:12],
        "bit_generator": "PCG64 (numpy.random.SeedSequence(seed, spawn_key=(sha256(config), stream)))",
        "overrides": list(overrides),
        "configurations": configurations,
        "python": platform.python_version(),
        "packages": versions,
        "git_revision": _git_revision(),
        "wall_time_s": round(wall, 3),
        "config": cfg,
    }


def run_experiment(name: str, overrides=(), out_dir=None, *, save_trials: bool = False):
    """Run experiment ``name`` with Hydra-style ``overrides``, from Python.

    Returns :class:`~simprive.results.Results` (``.summary``, and ``.trials`` when
    ``save_trials``).  Writes files only if ``out_dir`` is given.

    >>> res = run_experiment("poll", ["n=1000", "epsilon=1", "scenario.p=0.3", "trials=200"])
    >>> sorted(res.summary.metric.unique())
    ['abs_error', 'error', 'estimate', 'sq_error', 'truth']
    """
    overrides = [f"experiment={name}", *overrides] + (["save_trials=true"] if save_trials else [])
    from simprive.config import compose

    cfg = compose(overrides)
    return run(cfg, out_dir, overrides=overrides[1:])


"""Plans over two or more keys at once (``plan.solve=[epsilon, n]``): Optuna's NSGA-II,
through Hydra's ``hydra-optuna-sweeper``, minimises (or maximises) the keys, or the metrics
``plan.objectives`` names, subject to the targets (constrained domination, NSGA-II's
``constraints_func``); the front is taken among the trials that met every target, and each of
its points is then simulated and checked, as a one-key plan's answer is.

Each approach's study runs as a Hydra multirun of its own (``simprive.cli.optuna_main``, a
subprocess: Hydra runs one application per process), whose jobs evaluate one point each —
the closed form where the target has one, else a simulation kept in the plan's folder, which
the verification then reuses."""

from __future__ import annotations

import functools
import importlib.util
import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simprive.grid import flatten
from simprive.planner import (
    DIRECTIONS,
    Candidate,
    Evaluator,
    Target,
    check_ends,
    check_target,
    check_targets,
    is_integer_key,
    plan_group,
    sample_of,
    verdict,
)
from simprive.validation import ConfigError, check_choice, check_int

__all__ = ["MultiSpec", "boundaries", "check_multi", "feasible_front", "front", "job_objectives", "objectives_at",
           "summary_rows", "violations"]

BUDGET = 40  # Optuna trials per approach
POPULATION = 10  # NSGA-II's population: BUDGET / POPULATION generations
SWEEPER = "hydra-optuna-sweeper"


@dataclass(frozen=True)
class MultiSpec:
    """A validated plan over several keys."""

    keys: tuple[str, ...]
    ranges: tuple[tuple[float, float], ...]
    integers: tuple[bool, ...]
    directions: tuple[str, ...]  # per key: smallest | largest
    targets: tuple[Target, ...]  # constraints: a point is feasible when it meets all of them
    objectives: tuple[tuple[str, str, Target | None], ...]  # (name, minimize | maximize, the metric's statistic)
    budget: int
    population: int
    seed: int
    solve: str = ""  # for the evaluator's messages: the keys, joined

    def cast(self, key: str, value):
        return int(round(value)) if self.integers[self.keys.index(key)] else float(value)

    @property
    def measured(self) -> tuple[Target, ...]:
        """Every statistic a point is evaluated on: the targets, then the metric objectives."""
        return self.targets + tuple(t for _, _, t in self.objectives if t is not None)


GOALS = ("minimize", "maximize")


def _objectives(raw, keys: list[str], directions: list[str]) -> tuple:
    """``plan.objectives``: each a key solved for (in its direction), a metric's name (its mean,
    minimised) or ``{metric, stat, q, goal}``; by default the keys."""
    if raw is None:
        return tuple((k, "minimize" if d == "smallest" else "maximize", None) for k, d in zip(keys, directions))
    if not isinstance(raw, (list, tuple)) or not raw:
        raise ConfigError("plan.objectives", raw, "must be a non-empty list of keys solved for or metrics")
    out: list[tuple[str, str, Target | None]] = []
    for i, item in enumerate(raw):
        if item in keys:
            out.append((item, "minimize" if directions[keys.index(item)] == "smallest" else "maximize", None))
            continue
        item = {"metric": item} if isinstance(item, str) else item
        if not isinstance(item, dict):
            raise ConfigError(f"plan.objectives.{i}", item, "a key solved for, a metric, or {metric, stat, q, goal}")
        goal = check_choice(f"plan.objectives.{i}.goal", item.get("goal", "minimize"), GOALS)
        t = check_target(i, {k: v for k, v in item.items() if k != "goal"} | {"at_most": 0.0}, f"plan.objectives.{i}")
        t = Target(t.metric, t.stat, t.q, "at_most", math.inf)  # measured, never binding
        out.append((f"{t.metric} {'mean' if t.stat == 'mean' else f'q{t.q:g}'}", goal, t))
    return tuple(out)


def check_multi(cfg: dict) -> MultiSpec:
    """The ``plan`` group of a plan over several keys, or :class:`ConfigError` naming the key."""
    raw = plan_group(cfg)
    keys = list(raw["solve"])
    flat = flatten(cfg)
    for k in keys:
        if not isinstance(k, str) or k not in flat:
            raise ConfigError("plan.solve", k, "must name numeric keys of the config; this config's: "
                              + ", ".join(sorted(flat)))
    if len(set(keys)) != len(keys):
        raise ConfigError("plan.solve", keys, "names a key twice")
    given = raw.get("range")
    if isinstance(given, dict):
        if set(given) != set(keys):
            raise ConfigError("plan.range", given, f"needs one [low, high] for each of {', '.join(keys)}")
        given = [given[k] for k in keys]
    if not isinstance(given, (list, tuple)) or len(given) != len(keys):
        raise ConfigError("plan.range", given, f"must give [low, high] for each of {', '.join(keys)}: "
                                               "{" + ", ".join(f"{k}: [low, high]" for k in keys) + "}")
    integers = [is_integer_key(cfg, k, sample_of(flat, k)) for k in keys]
    ranges = [check_ends(f"plan.range.{k}", r, k, integer) for k, r, integer in zip(keys, given, integers)]
    direction = raw.get("direction", "smallest")
    directions = list(direction) if isinstance(direction, (list, tuple)) else [direction] * len(keys)
    if len(directions) != len(keys):
        raise ConfigError("plan.direction", direction, f"one direction, or one for each of {', '.join(keys)}")
    directions = [check_choice("plan.direction", d, DIRECTIONS) for d in directions]
    if importlib.util.find_spec("hydra_plugins.hydra_optuna_sweeper") is None:
        raise ConfigError("plan.solve", keys, f"several keys are searched by Optuna through {SWEEPER}, which is not "
                                              "installed: pip install 'simprive[plan]' (or solve one key)")
    budget = check_int("plan.budget", raw.get("budget", BUDGET), minimum=2)
    population = check_int("plan.population", raw.get("population", POPULATION), minimum=2)
    return MultiSpec(tuple(keys), tuple(ranges), tuple(integers), tuple(directions),
                     check_targets(raw), _objectives(raw.get("objectives"), keys, directions), budget, population,
                     check_int("seed", cfg.get("seed", 0), minimum=0), ",".join(keys))


def search_space(spec: MultiSpec) -> list[str]:
    """The Optuna sweeper's overrides for the keys: log-scaled where a range spans a decade."""
    out = []
    for k, (low, high), integer in zip(spec.keys, spec.ranges, spec.integers):
        ends = f"{int(low)},{int(high)}" if integer else f"{low!r},{high!r}"
        space = f"int(interval({ends}))" if integer else f"interval({ends})"
        out.append(f"{k}=tag(log,{space})" if low > 0 and high / low >= 10 else f"{k}={space}")
    return out


def statistics_at(ev: Evaluator, c: Candidate, point: dict) -> dict[Target, float]:
    """Every measured statistic at ``point``: its closed form where it has one, else its
    simulation (kept in the evaluator's store, where the constraints and the verification
    find it again)."""
    closed = ev.closed(c, point)
    readings = None
    out = {}
    for t in ev.spec.measured:
        exact = closed[t]
        if exact is None:
            readings = readings or ev.simulated_at(c, point)[0]
            r = readings[t]
            out[t] = math.nan if r is None else r.value
        else:
            out[t] = exact
    return out


def objectives_at(ev: Evaluator, c: Candidate, point: dict) -> list[float]:
    """The objectives NSGA-II sees at ``point``: keys' values and metrics' statistics."""
    stats = statistics_at(ev, c, point)
    return [float(point[name]) if t is None else stats[t] for name, _, t in ev.spec.objectives]


def violations_at(ev: Evaluator, c: Candidate, point: dict) -> list[float]:
    """How far ``point`` misses each target, relative to its limit (≤ 0: met): NSGA-II's
    constraints, so that its fronts are made of feasible points (constrained domination)."""
    stats = statistics_at(ev, c, point)
    out = []
    for t in ev.spec.targets:
        v = stats[t]
        gap = (v - t.limit if t.bound == "at_most" else t.limit - v) / max(abs(t.limit), 1e-300)
        out.append(1.0 if math.isnan(v) else gap)
    return out


CONTEXT = "SIMPRIVE_PLAN_CONTEXT"  # the JSON file naming an Optuna study's approach, for its jobs


@functools.cache
def _context(path: str) -> tuple[Evaluator, Candidate]:
    """The study's approach and an evaluator for it (one per process: its jobs and its
    constraints share the batches and simulations they read)."""
    from simprive.store import Store

    ctx = json.loads(Path(path).read_text())
    spec = check_multi(ctx["cfg"])
    base = {k: v for k, v in ctx["cfg"].items() if k != "plan"}
    c = Candidate(ctx["point"], ctx["label"], {}, [])
    return Evaluator(base, spec, [], Store(ctx["store"])), c


def job_objectives(point_cfg: dict) -> list[float]:
    """One job of an Optuna study: the objectives at the point its overrides set, and a line
    of the study's ``trials.jsonl`` with them and the targets' violations (Optuna 2's
    ``best_trials`` ignores constraints: the feasible front is taken from these lines)."""
    ev, c = _context(os.environ[CONTEXT])
    flat = flatten(point_cfg)
    point = {k: ev.spec.cast(k, flat[k]) for k in ev.spec.keys}
    objectives = objectives_at(ev, c, point)
    line = json.dumps({"params": point, "objectives": objectives, "violations": violations_at(ev, c, point)})
    with open(Path(os.environ[CONTEXT]).parent / "trials.jsonl", "a") as f:
        f.write(line + "\n")
    return objectives


def violations(trial) -> list[float]:
    """NSGA-II's ``constraints_func``: the targets' violations at a finished trial's point."""
    ev, c = _context(os.environ[CONTEXT])
    return violations_at(ev, c, {k: ev.spec.cast(k, trial.params[k]) for k in ev.spec.keys})


def _override(key: str, value) -> str:
    return f"{key}={json.dumps(value)}" if isinstance(value, str) else f"{key}={value}"


def study(cfg: dict, c: Candidate, spec: MultiSpec, overrides: list[str], work: Path, store: Path, say) -> list[dict]:
    """One approach's NSGA-II study as a Hydra multirun with the Optuna sweeper: every trial
    it ran, ``{"params", "objectives", "violations"}``, in the order it ran them."""
    import shutil

    shutil.rmtree(work, ignore_errors=True)  # a rerun's study starts afresh (its simulations are reused)
    work.mkdir(parents=True, exist_ok=True)
    context = work / "context.json"
    context.write_text(json.dumps({"cfg": cfg, "point": c.point, "label": c.label, "store": str(store)}, default=str))

    fixed = [o for o in overrides if o.split("=", 1)[0].lstrip("+~") not in (*spec.keys, *c.axes)
             and not o.startswith(("hydra.run.dir", "hydra.sweep.dir"))]
    args = ["-m", *fixed, *(_override(a, c.point[a]) for a in c.axes if a in c.point), *search_space(spec),
            "hydra/sweeper=optuna", "hydra/sweeper/sampler=nsgaii",
            f"hydra.sweeper.direction=[{','.join(d for _, d, _ in spec.objectives)}]",
            "hydra.sweeper.sampler.constraints_func={_target_:simprive.pareto.violations,_partial_:true}",
            f"hydra.sweeper.n_trials={spec.budget}", "hydra.sweeper.n_jobs=1",
            f"hydra.sweeper.sampler.seed={spec.seed}", f"hydra.sweeper.sampler.population_size={spec.population}",
            "hydra.sweeper.study_name=simprive-plan", f"hydra.sweep.dir={work}", "~hydra.callbacks.aggregate",
            "hydra/hydra_logging=disabled", "hydra/job_logging=disabled"]
    say(f"{c.label}: Optuna NSGA-II ({SWEEPER}): {spec.budget} trials, population {spec.population}, "
        f"{' and '.join(f'{d} {name}' for name, d, _ in spec.objectives)} subject to every target")
    done = subprocess.run([sys.executable, "-c", "from simprive.cli import optuna_main; optuna_main()", *args],
                          stdout=subprocess.PIPE, text=True,
                          env={**os.environ, "HYDRA_FULL_ERROR": "0", CONTEXT: str(context)})
    trials = work / "trials.jsonl"
    if done.returncode != 0 or not (work / "optimization_results.yaml").is_file() or not trials.is_file():
        raise ConfigError("plan.solve", list(spec.keys), f"the Optuna study of {c.label} failed "
                                                          f"(exit {done.returncode}); its folder: {work}")
    return [json.loads(line) for line in trials.read_text().splitlines()]


def feasible_front(trials: list[dict], spec: MultiSpec) -> list[dict]:
    """The trials that meet every target and that no other such trial dominates on the
    objectives (each minimised or maximised as the plan says)."""
    ok = [t for t in trials if all(v <= 0 for v in t["violations"])]
    if not ok:
        return []
    sign = np.array([1.0 if d == "minimize" else -1.0 for _, d, _ in spec.objectives])
    v = np.array([t["objectives"] for t in ok], dtype=float) * sign
    no_worse = (v[:, None, :] <= v[None, :, :]).all(axis=2)  # [j, i]: j is nowhere worse than i
    better = (v[:, None, :] < v[None, :, :]).any(axis=2)
    dominated = (no_worse & better).any(axis=0)
    unique = {json.dumps(t["params"], sort_keys=True): t for t, d in zip(ok, dominated) if not d}
    return list(unique.values())


def front(cfg: dict, spec: MultiSpec, ev: Evaluator, found: list[Candidate], overrides, out: Path, say):
    """Every approach's Pareto front, each point simulated and checked against the targets:
    the rows of ``pareto.csv`` (one per approach × point × target), and every trial Optuna ran
    (``pareto_trials.csv``: its point, objectives and how far it missed each target)."""
    rows, tried = [], []
    for i, c in enumerate(found):
        trials = study(cfg, c, spec, list(overrides), out / ".simprive" / "optuna" / str(i), out, say)
        solutions = feasible_front(trials, spec)
        tried += [{**c.columns, "trial": n, **t["params"],
                   **{f"objective: {name}": v for (name, _, _), v in zip(spec.objectives, t["objectives"])},
                   **{f"violation: {g.label}": v for g, v in zip(spec.targets, t["violations"])},
                   "meets_targets": all(v <= 0 for v in t["violations"])} for n, t in enumerate(trials)]
        say(f"{c.label}: {len(trials)} trials, {sum(all(v <= 0 for v in t['violations']) for t in trials)} meeting "
            f"every target, {len(solutions)} on the front: each simulated")
        for j, sol in enumerate(sorted(solutions, key=lambda s: [s["params"][k] for k in spec.keys])):
            point = {k: spec.cast(k, sol["params"][k]) for k in spec.keys}
            readings, p = ev.simulated_at(c, point)
            closed = ev.closed(c, point)
            verdicts = {t: "no metric" if r is None else verdict(t, r) for t, r in readings.items()}
            # exact where the closed form exists: a point it puts outside a target is not feasible
            exact = {t: None if v is None else t.holds(v) for t, v in closed.items()}
            feasible = all(v in ("meets", "within sampling error") for v in verdicts.values()) and \
                all(e is not False for e in exact.values())
            objectives = {f"objective: {name}": v for (name, _, _), v in zip(spec.objectives, sol["objectives"])}
            for t in spec.targets:
                r = readings[t]
                rows.append({**c.columns, "point": j, **point, "target": t.label, **objectives,
                             "stat": np.nan if r is None else r.value,
                             "ci_low": np.nan if r is None else r.ci_low, "ci_high": np.nan if r is None else r.ci_high,
                             "expected": np.nan if closed[t] is None else closed[t], "verdict": verdicts[t],
                             "closed_form_holds": "" if exact[t] is None else exact[t],
                             "feasible": feasible, "config_hash": p.config_hash})
    return rows, tried



def choose(rows: list[dict], spec: MultiSpec, columns: dict) -> dict | None:
    """An approach's answer: among its verified-feasible Pareto points, the best in the first
    key's direction (then the next key's): its point, or None when no point is feasible."""
    mine = [r for r in rows if all(r[k] == v for k, v in columns.items()) and r["feasible"]]
    if not mine:
        return None
    sign = {k: 1 if d == "smallest" else -1 for k, d in zip(spec.keys, spec.directions)}
    best = min(mine, key=lambda r: [sign[k] * r[k] for k in spec.keys])
    return {k: best[k] for k in spec.keys}


def summary_rows(rows: list[dict], spec: MultiSpec, found: list[Candidate]) -> list[dict]:
    """plan.csv for a plan over several keys: per approach × target, the chosen point (its
    keys as ``value``, "epsilon=0.5 n=1200"), and the target with the least slack there binds."""
    out = []
    for c in found:
        point = choose(rows, spec, c.columns)
        approach = [r for r in rows if all(r[k] == v for k, v in c.columns.items())]
        mine = [r for r in approach if point is not None and all(r[k] == point[k] for k in spec.keys)]
        slack = {r["target"]: _slack(next(t for t in spec.targets if t.label == r["target"]), r["stat"]) for r in mine}
        binding = min(slack, key=lambda label: slack[label]) if slack else None
        for t in spec.targets:
            r = next((r for r in mine if r["target"] == t.label), {})
            out.append({**c.columns, "solve": spec.solve, "direction": ",".join(spec.directions), "target": t.label,
                        "metric": t.metric, "stat": t.stat, "q": np.nan if t.q is None else t.q, "bound": t.bound,
                        "limit": t.limit, "route": "optuna nsga-ii",
                        "value": " ".join(f"{k}={v:.6g}" for k, v in point.items()) if point else np.nan,
                        **{k: (point or {}).get(k, np.nan) for k in spec.keys},
                        "feasible": point is not None, "status": "solved" if point else "no feasible point",
                        "binding": binding or "", "binds": t.label == binding,
                        "at_answer": r.get("stat", np.nan), "ci_low": r.get("ci_low", np.nan),
                        "ci_high": r.get("ci_high", np.nan), "expected": r.get("expected", np.nan),
                        "verdict": r.get("verdict", ""),
                        "note": "" if point else f"none of the {len({x['point'] for x in approach})} Pareto "
                                                 "points meets every target when simulated"})
    return out


def _slack(t: Target, value: float) -> float:
    """How far a statistic is inside its target, relative to the limit (smallest: binds)."""
    gap = t.limit - value if t.bound == "at_most" else value - t.limit
    return gap / max(abs(t.limit), 1e-300)


def boundaries(ev_for, spec: MultiSpec, found: list[Candidate], count: int = 9) -> list[dict]:
    """Each closed-form target's boundary in the plane of the first two keys: for values of the
    first, the value of the second where the target starts (or stops) holding, by the one-key
    search (simprive.planner.search); rows of ``pareto_lines.csv``."""
    from simprive.planner import Spec, route_of, scan_values, search

    k1, k2 = spec.keys[:2]
    (lo1, hi1), (lo2, hi2) = spec.ranges[:2]
    outer = Spec(k1, lo1, hi1, "smallest", spec.targets, spec.integers[0], None)
    rows = []
    for c in found:
        for v1 in scan_values(outer, count):
            inner = Candidate({**c.point, k1: v1}, c.label, c.columns, c.axes)
            for t in spec.targets:
                sub = Spec(k2, lo2, hi2, spec.directions[1], (t,), spec.integers[1], None)
                ev = ev_for(sub)
                if route_of(ev, inner, t) != "closed form":
                    continue
                solved = search(ev, inner, t, "closed form")
                above = solved.status == "solved" and solved.lower is not None and solved.lower > sub.cast(lo2)
                edge = (solved.lower if above else solved.upper) if solved.status == "solved" else None
                rows.append({**c.columns, "target": t.label, k1: v1, k2: np.nan if edge is None else edge,
                             "status": solved.status, "holds_above": above})
    return rows

"""Plans over two or more keys at once (``plan.solve=[epsilon, n]``): Optuna's NSGA-II,
through Hydra's ``hydra-optuna-sweeper``, searches each approach's Pareto front of its
targets' statistics and the keys; every point of the front is then simulated and checked
against the targets, as a one-key plan's answer is.

Each approach's study runs as a Hydra multirun of its own (``simprive.cli.optuna_main``, a
subprocess: Hydra runs one application per process), whose jobs evaluate one point each —
the closed form where the target has one, else a simulation kept in the plan's folder, which
the verification then reuses.
"""

from __future__ import annotations

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
    _integer,
    check_ends,
    check_targets,
    plan_group,
    sample_of,
    verdict,
)
from simprive.validation import ConfigError, check_choice, check_int

__all__ = ["MultiSpec", "check_multi", "front", "objectives_at"]

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
    targets: tuple[Target, ...]
    budget: int
    population: int
    seed: int
    solve: str = ""  # for the evaluator's messages: the keys, joined

    def cast(self, key: str, value):
        return int(round(value)) if self.integers[self.keys.index(key)] else float(value)

    @property
    def objectives(self) -> list[tuple[str, str]]:
        """What NSGA-II minimises or maximises: each target's statistic, then each key."""
        return ([(t.label, "minimize" if t.bound == "at_most" else "maximize") for t in self.targets]
                + [(k, "minimize" if d == "smallest" else "maximize") for k, d in zip(self.keys, self.directions)])


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
    integers = [_integer(cfg, k, sample_of(flat, k)) for k in keys]
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
                     check_targets(raw), budget, population,
                     check_int("seed", cfg.get("seed", 0), minimum=0), ",".join(keys))


def search_space(spec: MultiSpec) -> list[str]:
    """The Optuna sweeper's overrides for the keys: log-scaled where a range spans a decade."""
    out = []
    for k, (low, high), integer in zip(spec.keys, spec.ranges, spec.integers):
        ends = f"{int(low)},{int(high)}" if integer else f"{low!r},{high!r}"
        space = f"int(interval({ends}))" if integer else f"interval({ends})"
        out.append(f"{k}=tag(log,{space})" if low > 0 and high / low >= 10 else f"{k}={space}")
    return out


def objectives_at(ev: Evaluator, c: Candidate, point: dict) -> list[float]:
    """The objectives at ``point``: each target's closed form where it has one, else its
    simulated statistic; then the keys' values."""
    spec = ev.spec
    closed = ev.closed(c, point)
    readings = None
    values = []
    for t in spec.targets:
        exact = closed[t]
        if exact is None:
            readings = readings or ev.simulated_at(c, point)[0]
            r = readings[t]
            values.append(math.nan if r is None else r.value)
        else:
            values.append(exact)
    return values + [float(point[k]) for k in spec.keys]


def _override(key: str, value) -> str:
    return f"{key}={json.dumps(value)}" if isinstance(value, str) else f"{key}={value}"


def study(c: Candidate, spec: MultiSpec, overrides: list[str], work: Path, say) -> list[dict]:
    """One approach's NSGA-II study as a Hydra multirun with the Optuna sweeper: its Pareto
    solutions, ``[{"params": {...}, "values": [...]}]``."""
    import yaml

    fixed = [o for o in overrides if o.split("=", 1)[0].lstrip("+~") not in (*spec.keys, *c.axes)
             and not o.startswith(("hydra.run.dir", "hydra.sweep.dir"))]
    args = ["-m", *fixed, *(_override(a, c.point[a]) for a in c.axes), *search_space(spec),
            "hydra/sweeper=optuna", "hydra/sweeper/sampler=nsgaii",
            f"hydra.sweeper.direction=[{','.join(d for _, d in spec.objectives)}]",
            f"hydra.sweeper.n_trials={spec.budget}", "hydra.sweeper.n_jobs=1",
            f"hydra.sweeper.sampler.seed={spec.seed}", f"hydra.sweeper.sampler.population_size={spec.population}",
            "hydra.sweeper.study_name=simprive-plan", f"hydra.sweep.dir={work}", "~hydra.callbacks.aggregate",
            "hydra/hydra_logging=disabled", "hydra/job_logging=disabled"]
    say(f"{c.label}: Optuna NSGA-II ({SWEEPER}): {spec.budget} trials, population {spec.population}, "
        f"objectives {', '.join(f'{d} {name}' for name, d in spec.objectives)}")
    done = subprocess.run([sys.executable, "-c", "from simprive.cli import optuna_main; optuna_main()", *args],
                          stdout=subprocess.PIPE, text=True, env={**os.environ, "HYDRA_FULL_ERROR": "0"})
    results = work / "optimization_results.yaml"
    if done.returncode != 0 or not results.is_file():
        raise ConfigError("plan.solve", list(spec.keys), f"the Optuna study of {c.label} failed "
                                                          f"(exit {done.returncode}); its folder: {work}")
    return yaml.safe_load(results.read_text())["solutions"]


def front(cfg: dict, spec: MultiSpec, ev: Evaluator, found: list[Candidate], overrides, work: Path, say):
    """Every approach's Pareto front, each point simulated and checked against the targets:
    the rows of ``pareto.csv`` (one per approach × point × target)."""
    rows = []
    for i, c in enumerate(found):
        solutions = study(c, spec, list(overrides), work / str(i), say)
        for j, sol in enumerate(sorted(solutions, key=lambda s: [s["params"][k] for k in spec.keys])):
            point = {k: spec.cast(k, sol["params"][k]) for k in spec.keys}
            readings, p = ev.simulated_at(c, point)
            closed = ev.closed(c, point)
            verdicts = {t: "no metric" if r is None else verdict(t, r) for t, r in readings.items()}
            # exact where the closed form exists: a point it puts outside a target is not feasible
            exact = {t: None if v is None else t.holds(v) for t, v in closed.items()}
            feasible = all(v in ("meets", "within sampling error") for v in verdicts.values()) and \
                all(e is not False for e in exact.values())
            for t, objective in zip(spec.targets, sol["values"]):
                r = readings[t]
                rows.append({**c.columns, "point": j, **point, "target": t.label, "objective": objective,
                             "stat": np.nan if r is None else r.value,
                             "ci_low": np.nan if r is None else r.ci_low, "ci_high": np.nan if r is None else r.ci_high,
                             "expected": np.nan if closed[t] is None else closed[t], "verdict": verdicts[t],
                             "closed_form_holds": "" if exact[t] is None else exact[t],
                             "feasible": feasible, "config_hash": p.config_hash})
    return rows



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


def job_objectives(cfg: dict, overrides, store_dir: str | None) -> list[float]:
    """One job of an Optuna study: the objectives at the point its overrides set (every
    other key fixed to its approach's value), its simulation kept in ``store_dir``."""
    from simprive.grid import expand
    from simprive.planner import say
    from simprive.store import Store

    spec = check_multi(cfg)
    base = {k: v for k, v in cfg.items() if k != "plan"}
    (point,), axes = expand(base)
    c = Candidate(point, " ".join(f"{a}={point[a]}" for a in axes if a not in spec.keys), {}, [])
    ev = Evaluator(base, spec, [], Store(store_dir) if store_dir else None, say)
    return objectives_at(ev, c, {k: spec.cast(k, point[k]) for k in spec.keys})

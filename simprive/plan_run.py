"""``run_plan(cfg, out_dir)``: a plan checked before any work, solved, and written to its
folder.

One key (simprive.planner): ``plan.csv`` (one row per approach × target), ``verification.csv``
(the simulations at each answer and one step either side), ``plan_curves.csv`` (every value
the search evaluated) and the figure ``plan.png``.  Several keys (simprive.pareto):
``pareto.csv`` (every approach's Pareto front, each point simulated and checked),
``pareto_lines.csv`` (the closed-form targets' boundaries) and the figure ``pareto.png``, with
``plan.csv`` naming each approach's chosen point.  Both write ``summary.csv`` (every
configuration simulated, in the usual contract), ``meta.json`` and ``report.html``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from simprive.files import write_atomic
from simprive.pareto import MultiSpec, boundaries, check_multi, front, summary_rows
from simprive.planner import Candidate, Evaluator, Spec, candidates, check_plan, say, sentence, solve
from simprive.results import tidy, write_json, write_summary
from simprive.runner import STANDARD, check_settings, extra_columns, run_meta, writing
from simprive.store import Store, check_free, hold
from simprive.validation import ConfigError, check_each

__all__ = ["PlanResults", "check", "is_multi", "run_plan"]


@dataclass
class PlanResults:
    plan: pd.DataFrame
    tables: dict[str, pd.DataFrame]  # the other tables, by file name
    summary: pd.DataFrame
    lines: list[str]  # the answer per approach, as printed
    meta: dict = field(default_factory=dict)
    figures: list[Path] = field(default_factory=list)

    @property
    def verification(self) -> pd.DataFrame:
        return self.tables["verification.csv"]


def is_multi(cfg: dict) -> bool:
    solve = (cfg.get("plan") or {}).get("solve")
    return isinstance(solve, (list, tuple)) and len(solve) > 1


def lows(spec: Spec | MultiSpec, end: int = 0) -> dict:
    """Each key solved for at one end of its range (0: low, 1: high)."""
    if isinstance(spec, MultiSpec):
        return {k: spec.cast(k, r[end]) for k, r in zip(spec.keys, spec.ranges)}
    return {spec.solve: spec.cast((spec.low, spec.high)[end])}


def check(cfg: dict, overrides=()) -> tuple[Spec | MultiSpec, Evaluator, list[Candidate]]:
    """Everything a plan needs, checked before any work: the ``plan`` group, the rest of the
    config, every approach at both ends of the range, and that each target's metric is
    reported by some approach.  Returns the spec, the evaluator that will solve it (the
    batches it read are kept) and the approaches; raises :class:`ConfigError` naming the key."""
    plan = cfg.get("plan") or {}
    if isinstance(plan.get("solve"), (list, tuple)) and len(plan["solve"]) == 1:
        cfg = {**cfg, "plan": {**plan, "solve": plan["solve"][0]}}
    spec = check_multi(cfg) if is_multi(cfg) else check_plan(cfg)
    base = {k: v for k, v in cfg.items() if k != "plan"}
    check_settings(base)
    found, axes = candidates(cfg, lows(spec))
    extra = sorted(set(extra_columns(found[0].point, axes, overrides)) | (set(lows(spec)) - STANDARD))
    ev = Evaluator(base, spec, extra)
    ends = {k: f"{a}…{b}" for (k, a), b in zip(lows(spec, 0).items(), lows(spec, 1).values())}
    check_each(lambda c: [ev.plan_at(c, lows(spec, 0)), ev.plan_at(c, lows(spec, 1))], found,
               lambda c: {**c.columns, **ends})
    for i, t in enumerate(spec.targets):
        reported = set().union(*(ev.reports(c, lows(spec)) for c in found))
        if t.metric not in reported:
            raise ConfigError(f"plan.targets.{i}.metric", t.metric,
                              "not a metric these approaches report; they report: " + ", ".join(sorted(reported)))
    return spec, ev, found


def run_plan(cfg: dict, out_dir=None, *, overrides=()) -> PlanResults:
    """Solve the plan in ``cfg`` (its ``plan`` group) and write it to ``out_dir`` if given."""
    started = time.perf_counter()
    spec, ev, found = check(cfg, overrides)
    if out_dir is not None:
        check_free(out_dir)
        ev.store = Store(out_dir)
    ev.say = say
    keys = list(found[0].columns)
    if isinstance(spec, MultiSpec):
        if out_dir is None:
            raise ConfigError("hydra.run.dir", None, "a plan over several keys runs its Optuna studies in a folder")
        results = _pareto(cfg, spec, ev, found, overrides, Path(out_dir))
    else:
        results = _one_key(cfg, spec, ev, found, keys)
    results.plan.insert(0, "experiment", ev.cfg.get("name", "custom"))
    results.summary = tidy([r for rows in ev.rows.values() for r in rows], ev.extra)
    results.meta = run_meta(ev.cfg, overrides, len(ev.rows), time.perf_counter() - started)
    results.meta.update(plan=cfg.get("plan"), simulated=ev.simulated, reused=ev.reused, answers=results.lines)
    if out_dir is not None:
        out = Path(out_dir)
        with writing(out), hold(out):
            save(results, out, keys, spec)
    if ev.reused:
        say(f"reused {ev.reused} simulated configurations already finished in {out_dir}")
    return results


def _one_key(cfg: dict, spec: Spec, ev: Evaluator, found: list[Candidate], keys: list[str]) -> PlanResults:
    plan_rows, checks, curves = solve(cfg, spec, ev)
    curve_frame = pd.DataFrame(curves).drop_duplicates(subset=[*keys, "target", spec.solve])
    curve_frame = curve_frame.sort_values([*keys, "target", spec.solve], kind="mergesort").reset_index(drop=True)
    lines = [sentence(spec, [r for r in plan_rows if all(r[k] == c.columns[k] for k in keys)], c.label) for c in found]
    return PlanResults(pd.DataFrame(plan_rows), {"verification.csv": pd.DataFrame(checks), "plan_curves.csv": curve_frame},
                       pd.DataFrame(), lines)


def _pareto(cfg: dict, spec: MultiSpec, ev: Evaluator, found: list[Candidate], overrides, out: Path) -> PlanResults:
    points, tried = front(cfg, spec, ev, found, overrides, out, say)
    plan = pd.DataFrame(summary_rows(points, spec, found))
    lines = []
    for c in found:
        mine = plan[(plan[list(c.columns)] == pd.Series(c.columns)).all(axis=1)]
        first = mine.iloc[0]
        n_points = len({r["point"] for r in points if all(r[k] == v for k, v in c.columns.items())})
        lines.append(f"{c.label}: {n_points} Pareto points, each simulated; " +
                     (f"chosen {first['value']} ({first['binding']} binds)" if first["feasible"] else first["note"]))
    lines_table = pd.DataFrame(boundaries(lambda sub: Evaluator(ev.cfg, sub, ev.extra), spec, found))
    tables = {"pareto.csv": pd.DataFrame(points), "pareto_trials.csv": pd.DataFrame(tried), "pareto_lines.csv": lines_table}
    return PlanResults(plan, tables, pd.DataFrame(), lines)


def save(results: PlanResults, out: Path, keys: list[str], spec) -> None:
    """Write the plan's files: tables first, the figure and the report drawn from them."""
    from simprive.plan_figure import save_pareto_figure, save_plan_figure
    from simprive.report import write_report

    out.mkdir(parents=True, exist_ok=True)
    for name, frame in (("plan.csv", results.plan), *results.tables.items()):
        write_atomic(out / name, frame.to_csv(index=False, lineterminator="\n"))
    write_summary(results.summary, out)
    plan = pd.read_csv(out / "plan.csv")
    if isinstance(spec, MultiSpec):
        lines = out / "pareto_lines.csv"
        results.figures = save_pareto_figure(pd.read_csv(out / "pareto.csv"), pd.read_csv(out / "pareto_trials.csv"),
                                             pd.read_csv(lines) if lines.stat().st_size > 1 else pd.DataFrame(),
                                             plan, keys, list(spec.keys), out)
    elif len(results.tables["plan_curves.csv"]):
        results.figures = save_plan_figure(pd.read_csv(out / "plan_curves.csv"), plan, keys, out)
    write_json(out / "meta.json", results.meta)
    write_report(out)

"""``report.html``: one self-contained page per run and per sweep root, to browse what a run
produced — what the experiment is, every figure, the summary table (sortable, filterable, each
row's agreement with its closed form as a badge), the configuration and provenance, and links
between a sweep and its jobs.  Built from the run's files alone (``simprive-report DIR``
rebuilds it); figures are embedded, so the page works from a file:// URL with no network.
"""

from __future__ import annotations

import base64
import functools
import json
import math
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import OmegaConf

from simprive.config import EXPERIMENTS_DIR
from simprive.files import write_atomic
from simprive.results import check_summary, figure_spec, read_job, read_jobs, read_json, read_meta, read_summary
from simprive.validation import ConfigError, is_name

__all__ = ["sweep_jobs", "write_report"]

# a certified ε's own verdicts: above the mechanism's claim (red), or within it (no exact ε to
# compare with); simprive.metrics.bound_verdict
VERDICTS = ("agrees", "differs", "violates", "within", "unresolved", "unchecked")
# what a row says: shown even when every row says the same
ALWAYS_SHOWN = ("metric", "value", "ci_low", "ci_high", "expected", "z", "agreement")


def _description(experiment: str | None) -> str:
    """A preset's own words: the comment that opens its YAML file."""
    path = EXPERIMENTS_DIR / f"{experiment}.yaml" if is_name(experiment) else None  # a name, never a path
    if path is None or not path.exists():
        return ""
    lines = []
    for line in path.read_text().splitlines():
        if line.startswith("# @package"):
            continue
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").rstrip())
    return " ".join(lines)


def _blank(value) -> bool:
    return value is None or isinstance(value, float) and math.isnan(value)


def _cell(column: str, value, numeric: bool) -> dict:
    """A table cell: its text, its sort key (``data-value``; blank for a blank cell, the full
    number for a number, which JavaScript's ``Number`` reads back) and a badge for agreement."""
    if column == "agreement":
        verdict = value if isinstance(value, str) and value in VERDICTS else "unchecked"
        return {"badge": verdict, "text": verdict, "sort": verdict}
    if _blank(value):
        return {"text": "", "sort": ""}
    if numeric and isinstance(value, float):
        sort = repr(value) if math.isfinite(value) else ("Infinity" if value > 0 else "-Infinity")
        return {"text": f"{value:.6g}", "sort": sort}
    return {"text": str(value), "sort": str(value)}


def _is_numeric(column: pd.Series) -> bool:
    """Every non-blank value reads as a number: the column sorts and filters as numbers."""
    values = column.dropna()
    return not pd.api.types.is_bool_dtype(values) and bool(pd.to_numeric(values, errors="coerce").notna().all())


# rows a page lists: a grid of 150,000 configurations made a report of hundreds of MB that no
# browser opens; beyond this the page says how many rows summary.csv holds
REPORT_ROWS = 5000


def _table(summary: pd.DataFrame) -> dict:
    """The summary as the page shows it: a column that holds one value in every row is named
    once above the table instead of filling a column; what a row says (ALWAYS_SHOWN) stays."""
    columns, constants, blanks = [], [], []
    numeric = {c: _is_numeric(summary[c]) for c in summary.columns}
    for c in summary.columns:
        first = summary[c].iloc[0] if len(summary) else None
        if c in ALWAYS_SHOWN or summary.empty or summary[c].nunique(dropna=False) > 1:
            columns.append({"name": c, "numeric": numeric[c]})
        elif _blank(first):
            blanks.append(c)
        else:
            constants.append({"name": c, "numeric": numeric[c], **_cell(c, first, numeric[c])})
    names = [col["name"] for col in columns]
    rows = [[_cell(c, v, numeric[c]) for c, v in zip(names, record)]
            for record in summary[names].head(REPORT_ROWS).itertuples(index=False)]
    return {"columns": columns, "constants": constants, "blanks": blanks, "rows": rows, "total": len(summary)}


def _figures(run_dir: Path, meta: dict) -> list[dict]:
    plots = figure_spec(meta, run_dir / "meta.json").get("plots", [])
    out = []
    for spec in plots:
        name = spec.get("name") if isinstance(spec, dict) else None
        png = run_dir / f"{name}.png"
        if is_name(name) and png.is_file():  # names, never paths: only this folder's files are read
            out.append({"name": name, "data": base64.b64encode(png.read_bytes()).decode(), "svg": f"./{name}.svg"})
    return out


def _overrides(job: Path) -> list[str]:
    """A job's command-line overrides, from Hydra's record of them or the job's meta.json."""
    hydra = job / ".hydra" / "overrides.yaml"
    if hydra.exists():
        try:
            recorded = OmegaConf.to_container(OmegaConf.load(hydra))
        except Exception as exc:  # noqa: BLE001 - YAML's, OmegaConf's or the file system's: one line naming the file
            why = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise ConfigError("overrides.yaml", str(hydra), f"not Hydra's record of the job's overrides: {why}") from None
        if not isinstance(recorded, list):
            raise ConfigError("overrides.yaml", str(hydra), f"holds {recorded!r:.40}, not a list of overrides")
        return [str(o) for o in recorded]
    overrides = read_meta(job / "meta.json").get("overrides") or []
    return [str(o) for o in overrides] if isinstance(overrides, list) else []


def sweep_jobs(run_dir: Path) -> tuple[list[dict], list[str]]:
    """A sweep's jobs in job order — every job it launched (``jobs.json``), else its job folders —
    each with the overrides that set it apart, its status and wall time; and the overrides
    every job shares."""
    manifest = read_jobs(run_dir)
    if manifest is not None:
        listed = [(str(job["num"]), [str(o) for o in job["overrides"]]) for job in manifest["jobs"]]
    else:
        folders = [p for p in run_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
                   and ((p / "meta.json").exists() or (p / ".hydra").exists())]
        listed = [(p.name, _overrides(p)) for p in sorted(folders, key=lambda p: (len(p.name), p.name))]
    shared = [o for o in listed[0][1] if all(o in overrides for _, overrides in listed)] if listed else []
    jobs: list[dict[str, Any]] = []
    for name, overrides in listed:
        if not is_name(name):  # a job named like a path or a URL: nothing of it is read or linked
            jobs.append({"name": name, "href": None, "overrides": [o for o in overrides if o not in shared],
                         "status": "missing", "wall_time_s": None})
            continue
        folder = run_dir / name
        wall = read_meta(folder / "meta.json").get("wall_time_s")
        # a link to a job folder is relative ("./"), never a URL; its status as simprive-aggregate counts it:
        # ok, its error (a file it cannot read), or missing
        jobs.append({"name": name, "href": f"./{name}/report.html" if (folder / "report.html").is_file() else None,
                     "overrides": [o for o in overrides if o not in shared], "status": read_job(folder)[0],
                     "wall_time_s": wall if isinstance(wall, int | float) else None})
    return jobs, shared


def _wall_time(meta: dict, jobs: list[dict]) -> str:
    if isinstance(meta.get("wall_time_s"), int | float):
        return f"{meta['wall_time_s']:g} s"
    walls = [job["wall_time_s"] for job in jobs if job["wall_time_s"] is not None]
    return f"{sum(walls):g} s (sum of {len(walls)} jobs)" if walls else "—"


def _parent_meta(parent: Path) -> dict:
    """The meta.json of a run's parent folder, which may be a sweep's: another folder's broken
    file does not stop this run's report."""
    try:
        return read_json(parent / "meta.json")
    except ConfigError:
        return {}


@functools.cache
def _template():
    """The page's Jinja2 template, compiled once a process (a sweep writes one page a job)."""
    from jinja2 import Environment, select_autoescape

    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    return env.from_string(resources.files("simprive").joinpath("report_template.html").read_text())


PLAN_COLUMNS = ("target", "route", "target_low", "target_high", "value", "feasible", "status", "binding",
                "at_answer", "ci_low", "ci_high", "expected", "verdict", "bytes", "note")


def _plan(run_dir: Path, meta: dict) -> dict | None:
    """A plan's folder (simprive-plan): its answers, its figure and plan.csv as a table whose
    binding rows are highlighted."""
    path = run_dir / "plan.csv"
    if not path.is_file():
        return None
    plan = pd.read_csv(path)
    approach = [c for c in plan.columns[: list(plan.columns).index("solve")] if c != "experiment"]
    columns = [*approach, *(c for c in PLAN_COLUMNS if c in plan.columns)]
    rows = [{"binds": bool(r["binds"]), "cells": ["" if _blank(r[c]) else f"{r[c]:.6g}" if isinstance(r[c], float)
                                                  else str(r[c]) for c in columns]} for _, r in plan.iterrows()]
    png = next((run_dir / f"{name}.png" for name in ("plan", "pareto") if (run_dir / f"{name}.png").is_file()), None)
    return {"solve": plan["solve"].iloc[0], "direction": plan["direction"].iloc[0], "columns": columns, "rows": rows,
            "lines": meta.get("answers", []), "figure_name": png.stem if png else None,
            "figure": base64.b64encode(png.read_bytes()).decode() if png else None}


def write_report(run_dir) -> Path:
    """Write ``report.html`` in a run or sweep folder from its ``summary.csv`` and ``meta.json``."""
    run_dir = Path(run_dir)
    summary = read_summary(run_dir / "summary.csv")
    if not (len(summary) == 0 and (run_dir / "plan.csv").is_file()):  # a plan may have simulated nothing
        summary = check_summary(summary, run_dir / "summary.csv")
    meta = read_meta(run_dir / "meta.json")
    experiment = meta.get("experiment") or (summary["experiment"].iloc[0] if len(summary) else None)
    is_sweep = "jobs" in meta
    parent = run_dir.parent
    in_sweep = (parent / "multirun.yaml").exists() or "jobs" in _parent_meta(parent)
    jobs, shared = sweep_jobs(run_dir) if is_sweep else ([], [])
    # a sweep's failed and missing jobs are rows of its Jobs table, with their overrides and errors:
    # as summary rows they would only be blanks that make every column vary
    results = summary[summary["status"] == "ok"] if "status" in summary else summary
    agreement = (results["agreement"].astype(object).where(results["agreement"].notna(), "unchecked")
                 if "agreement" in results else pd.Series(dtype=object))
    facts = [("experiment", experiment), ("rows", len(results)),
             ("configurations", summary["config_hash"].nunique() if "config_hash" in summary else "—"),
             ("seed", meta.get("seed")), ("git", str(meta.get("git_revision") or "—")[:10]),
             ("wall time", _wall_time(meta, jobs))]
    if is_sweep:
        facts[1:1] = [("jobs", meta.get("jobs"))] + [(k, meta[k]) for k in ("failed", "missing") if meta.get(k)]
    html = _template().render(
        title=f"{experiment} — {'sweep' if is_sweep else 'run'} {run_dir.name}", facts=facts,
        description=_description(experiment), parent="../report.html" if in_sweep else None,
        parent_name=parent.name, agreement=[(v, int((agreement == v).sum())) for v in VERDICTS if (agreement == v).any()],
        figures=_figures(run_dir, meta), plan=_plan(run_dir, meta), jobs=jobs, shared=shared, table=_table(results),
        meta=json.dumps(meta, indent=2, sort_keys=True, default=str),
    )
    path = run_dir / "report.html"
    write_atomic(path, html.encode())
    return path

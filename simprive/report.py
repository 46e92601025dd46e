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

import pandas as pd

from simprive.config import EXPERIMENTS_DIR
from simprive.results import check_summary, read_summary, write_atomic

__all__ = ["write_report"]

VERDICTS = ("agrees", "differs", "unresolved", "unchecked")


def _description(experiment: str | None) -> str:
    """A preset's own words: the comment that opens its YAML file."""
    path = EXPERIMENTS_DIR / f"{experiment}.yaml" if experiment else None
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


def _cell(column: str, value) -> dict:
    if column == "agreement":
        verdict = value if isinstance(value, str) and value in VERDICTS else "unchecked"
        return {"badge": verdict, "text": verdict}
    if isinstance(value, float):
        if math.isnan(value):
            return {"text": "", "sort": "", "is_text": False}
        return {"text": f"{value:.6g}", "sort": repr(value), "is_text": False}
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return {"text": str(value), "sort": str(value), "is_text": False}
    return {"text": "" if value is None else str(value), "sort": "" if value is None else str(value),
            "is_text": True}


def _figures(run_dir: Path, meta: dict) -> list[dict]:
    plots = ((meta.get("config") or {}).get("figure") or {}).get("plots") or []
    out = []
    for spec in plots:
        png = run_dir / f"{spec['name']}.png"
        if png.exists():
            out.append({"name": spec["name"], "data": base64.b64encode(png.read_bytes()).decode(),
                        "svg": f"{spec['name']}.svg"})
    return out


def _jobs(run_dir: Path) -> list[dict]:
    """A sweep's job folders, each with its state, in job order."""
    jobs = []
    folders = [p for p in run_dir.iterdir() if p.is_dir() and not p.name.startswith(".")]
    for job in sorted(folders, key=lambda p: (len(p.name), p.name)):
        if not (job / "meta.json").exists() and not (job / ".hydra").exists():
            continue
        state = "ok" if (job / "summary.csv").exists() else "no summary.csv (failed or not run)"
        jobs.append({"name": job.name, "href": f"{job.name}/report.html", "status": state})
    return jobs


@functools.cache
def _template():
    """The page's Jinja2 template, compiled once a process (a sweep writes one page a job)."""
    from jinja2 import Environment, select_autoescape

    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    return env.from_string(resources.files("simprive").joinpath("report_template.html").read_text())


def write_report(run_dir) -> Path:
    """Write ``report.html`` in a run or sweep folder from its ``summary.csv`` and ``meta.json``."""
    run_dir = Path(run_dir)
    summary = check_summary(read_summary(run_dir / "summary.csv"), run_dir / "summary.csv")
    meta = json.loads((run_dir / "meta.json").read_text()) if (run_dir / "meta.json").exists() else {}
    experiment = meta.get("experiment") or (summary["experiment"].iloc[0] if len(summary) else None)
    is_sweep = "jobs" in meta
    parent = run_dir.parent
    in_sweep = (parent / "multirun.yaml").exists() or (parent / "meta.json").exists() and "jobs" in json.loads(
        (parent / "meta.json").read_text())
    agreement = summary["agreement"].fillna("unchecked") if "agreement" in summary else pd.Series(dtype=str)
    facts = [("experiment", experiment), ("rows", len(summary)),
             ("configurations", summary["config_hash"].nunique() if "config_hash" in summary else "—"),
             ("seed", meta.get("seed")), ("git", (meta.get("git_revision") or "—")[:10]),
             ("wall time", f"{meta['wall_time_s']} s" if "wall_time_s" in meta else "—")]
    if is_sweep:
        facts.insert(1, ("jobs", meta.get("jobs")))
    columns = [{"name": c, "text": not pd.api.types.is_numeric_dtype(summary[c])} for c in summary.columns]
    rows = [[_cell(c, v) for c, v in zip(summary.columns, record)] for record in summary.itertuples(index=False)]
    html = _template().render(
        title=f"{experiment} — {'sweep' if is_sweep else 'run'} {run_dir.name}", facts=facts,
        description=_description(experiment), parent="../report.html" if in_sweep else None,
        parent_name=parent.name, agreement=[(v, int((agreement == v).sum())) for v in VERDICTS if (agreement == v).any()],
        figures=_figures(run_dir, meta), jobs=_jobs(run_dir) if is_sweep else [], columns=columns, rows=rows,
        meta=json.dumps(meta, indent=2, sort_keys=True, default=str),
    )
    path = run_dir / "report.html"
    write_atomic(path, html.encode())
    return path

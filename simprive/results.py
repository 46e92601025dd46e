"""The results contract: tidy rows, a fixed column order, atomic files."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from simprive.files import write_atomic

__all__ = [
    "COLUMNS", "Figures", "Results", "aggregate", "check_summary", "figure_spec", "read_jobs", "read_json",
    "read_meta", "read_summary", "tidy", "write_atomic", "write_summary",
]

COLUMNS = [
    "experiment", "scenario", "query", "mechanism", "adversary", "metric",
    "value", "std", "ci_low", "ci_high", "expected", "trials",
    "epsilon", "delta", "n", "lower", "upper", "aux", "seed", "config_hash", "agreement", "z",
]
# rows sort by configuration (swept extras included), then by metric
SORT_FIRST = ["experiment", "scenario", "query", "mechanism", "adversary", "epsilon", "delta", "n", "lower",
              "upper", "aux"]
SORT_LAST = ["seed", "trials", "config_hash", "status", "metric"]



class Figures(list):
    """A list of matplotlib Figures that a notebook shows as the figures themselves, each
    inline as the PNG a run writes, rather than as ``[<Figure …>]``."""

    def _repr_html_(self) -> str:
        import base64

        import matplotlib.pyplot as plt

        from simprive.figures import METADATA, RC

        images: list[str] = []
        for fig in self:
            buf = io.BytesIO()
            with plt.rc_context(RC):
                fig.savefig(buf, format="png", metadata=METADATA["png"])
            images.append(f'<img src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}" '
                          f'alt="figure {len(images) + 1} of {len(self)}">')
        return "<div>" + "<br>".join(images) + "</div>"


@dataclass
class Results:
    """What a run returns: the summary table, optionally every trial, and where it went."""

    summary: pd.DataFrame
    trials: pd.DataFrame | None = None
    out_dir: Path | None = None
    meta: dict = field(default_factory=dict)
    figures: list[Path] = field(default_factory=list)  # the files written, when out_dir is given

    def draw(self) -> Figures:
        """The run's figures in memory (matplotlib Figures, e.g. to show in a notebook), drawn
        from the summary by the experiment's figure specs, with nothing written."""
        import matplotlib.pyplot as plt

        from simprive.figures import draw, drawable
        from simprive.grid import fixed_settings

        plots = figure_spec(self.meta, "the run's meta").get("plots", [])
        constants = fixed_settings([self.meta.get("config") or {}])
        figures = Figures(draw(self.summary, constants, **spec) for spec in drawable(self.summary, plots))
        for fig in figures:  # released by pyplot (they still draw): no leak, no second copy inline
            plt.close(fig)
        return figures

    def plot(self, x: str, y: str = "value", hue: str | None = None, col: str | None = None, row: str | None = None,
             metric: str | list[str] | None = None, **kws):
        """Any columns of the summary as a seaborn line plot (``relplot(kind="line")``), the
        95% band from ``ci_low``/``ci_high``; a column that varies unmapped is refused by name.
        Returns the ``FacetGrid`` (see :func:`simprive.plotting.relplot`)."""
        from simprive.plotting import relplot

        return relplot(self.summary, x, y, hue=hue, col=col, row=row, metric=metric, **kws)

    def _repr_html_(self) -> str:
        """In Jupyter: the summary table."""
        return self.summary._repr_html_()  # type: ignore[operator]


def tidy(rows: list[dict], extra: Sequence[str] = ()) -> pd.DataFrame:
    """Rows → the summary frame: contract columns first, extra ones after, sorted so
    the file is byte-stable whatever order the configurations ran in."""
    extra = sorted(set(extra).union(*(r.keys() for r in rows)) - set(COLUMNS) - {"status"})
    tail = ["status"] if any("status" in r for r in rows) else []
    frame = pd.DataFrame(rows, columns=COLUMNS + extra + tail)
    keys = [c for c in SORT_FIRST + extra + SORT_LAST if c in frame.columns]
    return frame.sort_values(keys, kind="mergesort", na_position="last").reset_index(drop=True)


def to_csv_text(summary: pd.DataFrame) -> str:
    return summary.to_csv(index=False, lineterminator="\n")


def write_summary(summary: pd.DataFrame, out_dir: Path) -> Path:
    path = Path(out_dir) / "summary.csv"
    write_atomic(path, to_csv_text(summary))
    return path


def write_json(path: Path, obj) -> None:
    write_atomic(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    write_atomic(path, buf.getvalue())


NUMERIC = ("value", "std", "ci_low", "ci_high", "expected")
# what a summary must hold: the columns figures and reports read first (named first when missing), then the rest
REQUIRED = ["metric", *NUMERIC, *(c for c in COLUMNS if c not in ("metric", *NUMERIC))]


def read_json(path) -> dict:
    """A JSON object simprive wrote (``meta.json``, ``jobs.json``, ``error.json``), ``{}`` when
    the file is absent; a one-line ConfigError naming the file when it is not a JSON object."""
    from simprive.validation import ConfigError

    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise ConfigError(path.name, str(path), f"not a JSON file: {reason}") from None
    if not isinstance(data, dict):
        raise ConfigError(path.name, str(path), f"holds {json.dumps(data)[:40]}, not a JSON object")
    return data


def figure_spec(meta: dict, path) -> dict:
    """The ``config.figure`` a ``meta.json`` records, its ``plots`` a list of specs, each named
    as a file is (``{}`` when it records none); a ConfigError naming the file and the key otherwise."""
    from simprive.figures import check_spec
    from simprive.validation import ConfigError

    def refuse(key, value, allowed):
        raise ConfigError("meta.json", str(path), f"its {key} is {value!r}, {allowed}")

    config = meta.get("config") or {}
    if not isinstance(config, dict):
        refuse("config", config, "not a mapping")
    figure = config.get("figure") or {}
    if not isinstance(figure, dict):
        refuse("config.figure", figure, "not a mapping")
    plots = figure.get("plots") or []
    if not isinstance(plots, list):
        refuse("config.figure.plots", plots, "not a list of plots")
    for i, spec in enumerate(plots):
        try:  # a file's name too: NAME.png beside summary.csv
            check_spec(spec, f"config.figure.plots[{i}]", named=True)
        except ConfigError as bad:
            refuse(bad.key, bad.value, bad.allowed)
    return {**figure, "plots": plots} if figure else {}


def read_meta(path) -> dict:
    """A run's ``meta.json`` (``{}`` when absent), checked as far as simprive reads it back:
    a JSON object whose figure specs are plots with names."""
    meta = read_json(path)
    figure_spec(meta, path)
    return meta


def read_jobs(sweep_dir) -> dict | None:
    """A sweep's ``jobs.json`` (every job it launched: ``num`` and ``overrides``), None when it
    has none; a ConfigError naming the file and key when it is not one."""
    from simprive.validation import ConfigError

    path = Path(sweep_dir) / "jobs.json"
    if not path.exists():
        return None
    listed = read_json(path)
    jobs = listed.get("jobs")
    if not isinstance(jobs, list) or not all(isinstance(j, dict) and isinstance(j.get("num"), int | str)
                                             and isinstance(j.get("overrides"), list) for j in jobs):
        raise ConfigError("jobs.json", str(path), "its key jobs is not a list of jobs, each with num and overrides")
    command = listed.get("command", [])
    if not isinstance(command, list) or not all(isinstance(c, str) for c in command):
        raise ConfigError("jobs.json", str(path), f"its key command is {command!r}, not a list of words")
    return {"command": command, "jobs": jobs}


def read_summary(path) -> pd.DataFrame:
    """A ``summary.csv`` as written, or a ConfigError if it is not a CSV file."""
    from simprive.validation import ConfigError

    path = Path(path)
    if path.is_dir() and path.suffix != ".csv":  # a run's folder
        path = path / "summary.csv"
    try:
        frame = pd.read_csv(path, keep_default_na=True, dtype={"config_hash": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ConfigError("summary.csv", str(path), f"not a summary table: {str(exc).splitlines()[0]}") from None
    except OSError as exc:  # a folder, unreadable, gone
        raise ConfigError("summary.csv", str(path), f"not a summary table: {exc.strerror}") from None
    return frame


def check_summary(frame: pd.DataFrame, path) -> pd.DataFrame:
    """A summary to draw from: the contract's columns, rows, numbers where numbers belong."""
    from simprive.validation import ConfigError

    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        more = f" (nor {', '.join(missing[1:4])}{', …' if len(missing) > 4 else ''})" if len(missing) > 1 else ""
        raise ConfigError("summary.csv", str(path), f"not a summary table: no column {missing[0]!r}{more}")
    if frame.empty:
        raise ConfigError("summary.csv", str(path), "has a header and no rows: nothing to draw")
    for column in NUMERIC:
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = numbers.isna() & frame[column].notna()
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise ConfigError(f"summary.csv:{column}", frame[column].iloc[row],
                              f"row {row + 2} of {path} is not a number")
        frame[column] = numbers
    return frame


def _setting(override: str) -> tuple[str, object]:
    """``key=value`` of a job's override, the value a number where it reads as one."""
    key, _, value = override.lstrip("+").partition("=")
    try:
        return key, float(value)
    except ValueError:
        return key, value


def read_job(folder: Path) -> tuple[str, pd.DataFrame | dict | None]:
    """A sweep job's outcome: ``("ok", its summary)``; its error and the row ``error.json``
    holds; or ``("missing", None)``.  A job whose summary or error.json cannot be read failed:
    its error names the file and what is wrong (a contract column its summary lacks)."""
    from simprive.validation import ConfigError

    summary, error = folder / "summary.csv", folder / "error.json"
    if summary.exists():
        try:
            return "ok", check_summary(read_summary(summary), summary)
        except ConfigError as exc:
            return f"error: {summary}: {exc.allowed}", {}
    if error.exists():
        try:
            row = read_json(error)
        except ConfigError as exc:
            return f"error: {error} unreadable: {exc.allowed}", {}
        return str(row.get("status") or "error"), row
    return "missing", None


def _job_number(name: str) -> int | str:
    return int(name) if name.isdigit() else name


def aggregate(sweep_dir) -> pd.DataFrame:
    """One table from a sweep's job folders.  A job that failed left ``error.json``
    instead of ``summary.csv``; it becomes a row whose ``status`` says why, and so does a job
    whose files cannot be read, or that ``jobs.json`` lists and left nothing (``missing``)."""
    from simprive.validation import is_name

    sweep_dir = Path(sweep_dir)
    manifest = read_jobs(sweep_dir)  # every job the sweep launched: one that left nothing is missing
    listed = {str(job["num"]): job["overrides"] for job in (manifest or {"jobs": []})["jobs"]}
    folders = {p.name for p in sweep_dir.iterdir() if p.is_dir() and not p.name.startswith(".")}
    frames, rows = [], []
    for name in sorted(folders | set(listed), key=lambda n: (len(n), n)):
        # a job named like a path (../x) or a URL is missing: nothing outside the sweep is read
        status, found = read_job(sweep_dir / name) if is_name(name) else ("missing", None)
        if status == "ok":
            assert isinstance(found, pd.DataFrame)  # an ok job's is its summary
            frames.append(found.assign(status="ok"))
        elif status != "missing" or name in listed:  # a folder that is no job's is not one
            # what sets the job apart: the row error.json holds, else the overrides it was launched with
            setting = found or dict(_setting(o) for o in listed.get(name, []))
            rows.append({**setting, "status": status, "job": _job_number(name)})
    if not frames and not rows:
        raise FileNotFoundError(f"no job folder with summary.csv or error.json under {sweep_dir}")
    # jobs may share a configuration (one that ignores the key they differ in): its rows are
    # identical (same identity, same streams), so the first job's stand for all
    combined = pd.concat(frames, ignore_index=True).drop_duplicates(["config_hash", "metric"]) if frames else None
    records = ([] if combined is None else combined.to_dict("records")) + rows
    return tidy(records)

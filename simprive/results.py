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
    "COLUMNS", "Figures", "Results", "aggregate", "check_summary", "read_summary", "tidy", "write_atomic",
    "write_summary",
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

        from simprive.figures import draw
        from simprive.grid import fixed_settings

        config = self.meta.get("config") or {}
        plots = (config.get("figure") or {}).get("plots") or []
        figures = Figures(draw(self.summary, fixed_settings([config]), **spec) for spec in plots)
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


def read_summary(path) -> pd.DataFrame:
    """A ``summary.csv`` as written, or a ConfigError if it is not a CSV file."""
    from simprive.validation import ConfigError

    path = Path(path)
    if path.is_dir():
        path = path / "summary.csv"
    try:
        frame = pd.read_csv(path, keep_default_na=True, dtype={"config_hash": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ConfigError("summary.csv", str(path), f"not a summary table: {str(exc).splitlines()[0]}") from None
    return frame


def check_summary(frame: pd.DataFrame, path) -> pd.DataFrame:
    """A summary to draw from: the contract's columns, rows, numbers where numbers belong."""
    from simprive.validation import ConfigError

    missing = [c for c in ("metric", *NUMERIC) if c not in frame.columns]
    if missing:
        raise ConfigError("summary.csv", str(path), f"not a summary table: no column {missing[0]!r}")
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


def aggregate(sweep_dir) -> pd.DataFrame:
    """One table from a sweep's job folders.  A job that failed left ``error.json``
    instead of ``summary.csv``; it becomes a row whose ``status`` says why."""
    sweep_dir = Path(sweep_dir)
    frames, rows = [], []
    for job in sorted(p for p in sweep_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if (job / "summary.csv").exists():
            frames.append(read_summary(job).assign(status="ok"))
        elif (job / "error.json").exists():
            rows.append(json.loads((job / "error.json").read_text()))
    manifest = sweep_dir / "jobs.json"
    if manifest.exists():  # every job the sweep launched: one that left nothing is missing
        for job in json.loads(manifest.read_text())["jobs"]:
            folder = sweep_dir / str(job["num"])
            if not (folder / "summary.csv").exists() and not (folder / "error.json").exists():
                rows.append({"status": "missing", "job": job["num"], **dict(_setting(o) for o in job["overrides"])})
    if not frames and not rows:
        raise FileNotFoundError(f"no job folder with summary.csv or error.json under {sweep_dir}")
    # jobs may share a configuration (one that ignores the key they differ in): its rows are
    # identical (same identity, same streams), so the first job's stand for all
    combined = pd.concat(frames, ignore_index=True).drop_duplicates(["config_hash", "metric"]) if frames else None
    records = ([] if combined is None else combined.to_dict("records")) + rows
    return tidy(records)

"""Figures drawn from a summary table alone, byte-identical for the same table.

A figure spec names columns, seaborn-style: ``metric`` picks the rows, ``x``/``hue``/
``col``/``row`` the axes; the 95% interval comes from ``ci_low``/``ci_high`` and the closed
form, where the table has one, is drawn dashed beside the simulation.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402

from simprive.results import write_atomic  # noqa: E402

__all__ = ["draw", "draw_all"]

STYLE: Any = {"svg.hashsalt": "simprive", "svg.fonttype": "path", "figure.dpi": 100}
METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}}
FORMATS = ("png", "svg")


def _label(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _label_levels(data: pd.DataFrame, ref: pd.DataFrame, keys, metrics: list[str]) -> dict[str, list[str]]:
    """Each grouping column's levels as labels, in numeric order (metrics in the order
    asked); a missing value (e.g. no ε for an exact MPC release) gets its own "none" level
    instead of silently dropping its rows.  Relabels ``data`` and ``ref`` in place."""
    orders = {}
    for key in keys:
        present = set(data[key].dropna().unique())
        levels = [m for m in metrics if m in present] if key == "metric" else [_label(v) for v in sorted(present)]
        if data[key].isna().any():
            levels.append("none")
        for frame in (data, ref):
            frame[key] = frame[key].map(lambda v: "none" if pd.isna(v) else _label(v))
        orders[key] = levels
    return orders


def _overlay(data, ref, *, x, hue, col, row, palette, expected, color=None):
    """On one facet: the reference curves (dark, dotted), then per hue level the 95% band
    and the closed form (dashed)."""
    ax = plt.gca()
    facet = ref
    for key in (col, row):
        if key:
            facet = facet[facet[key] == data[key].iloc[0]]
    # one dark dotted line per distinct reference curve (the bound is often shared)
    curves = {tuple(g.sort_values(x)[[x, "value"]].itertuples(index=False)) for _, g in
              (facet.groupby(hue, sort=False) if hue else [(None, facet)])}
    for curve in sorted(c for c in curves if c):
        xs, ys = zip(*curve)
        ax.plot(xs, ys, linestyle=(0, (1, 1.5)), linewidth=2, color="0.2", zorder=5)
    for level, g in data.groupby(hue, sort=False) if hue else [(None, data)]:
        g = g.sort_values(x)
        c = palette[level] if hue else color
        ax.fill_between(g[x], g["ci_low"], g["ci_high"], color=c, alpha=0.2, linewidth=0)
        if expected and g["expected"].notna().any():
            ax.plot(g[x], g["expected"], linestyle="--", color=c, linewidth=1)


def _scale_axes(grid, *, logx: bool, logy: bool, symlogy: float | None, nonnegative: bool) -> None:
    for ax in grid.axes.flat:
        if logx:
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())  # no crowded 3×10² labels
        if logy:
            ax.set_yscale("log")
        if symlogy:  # log scale that still shows zeros: linear below `symlogy`
            ax.set_yscale("symlog", linthresh=symlogy)
            if nonnegative:  # a band's tail below 0 is not worth half the axis
                ax.set_ylim(bottom=0)


def draw(summary: pd.DataFrame, *, metric: str, x: str, hue: str | None = None, col: str | None = None,
         row: str | None = None, logx: bool = False, logy: bool = False, title: str | None = None,
         ylabel: str | None = None, xlabel: str | None = None, expected: bool = True,
         symlogy: float | None = None, dashed: str = "closed form", reference: str | None = None,
         dotted: str = "bound", **_) -> sns.FacetGrid:
    """One line per ``hue`` level of ``metric`` against ``x``, faceted by ``col``/``row``.

    ``metric`` may be a list: those metrics side by side, one line each (``hue: metric``),
    in the order given.  ``reference`` names a metric drawn dotted in the same colours (a
    bound, say), where the table has it.  ``logx``/``logy`` use log axes; ``symlogy=c`` a
    symmetric log y axis, linear within ±c, for metrics that reach 0."""
    metrics = list(metric) if isinstance(metric, (list, tuple)) else [metric]
    data = summary[summary["metric"].isin(metrics)].copy()
    ref = summary[summary["metric"] == reference].copy()
    if data.empty:
        raise ValueError(f"no rows with metric={metric!r} to draw")
    if x not in data.columns:
        raise ValueError(f"figure column x={x!r} is not in the summary")
    # a grouping column the table lacks (not swept in this run) is simply not drawn
    hue, col, row = (key if key in data.columns and data[key].notna().any() else None for key in (hue, col, row))
    orders = _label_levels(data, ref, [k for k in (hue, col, row) if k], metrics)
    hue_order = orders[hue] if hue else None
    palette = dict(zip(hue_order, sns.color_palette("colorblind", len(hue_order)))) if hue_order else None
    with plt.rc_context(STYLE), sns.axes_style("whitegrid"):
        grid = sns.relplot(
            data=data, x=x, y="value", hue=hue, hue_order=hue_order, palette=palette, col=col, row=row,
            col_order=orders[col] if col else None, row_order=orders[row] if row else None,
            kind="line", marker="o", errorbar=None, height=3.2, aspect=1.25, facet_kws={"sharey": False},
        )
        grid.map_dataframe(lambda data, color=None, label=None, **_: _overlay(
            data, ref, x=x, hue=hue, col=col, row=row, palette=palette, expected=expected, color=color))
        _scale_axes(grid, logx=logx, logy=logy, symlogy=symlogy, nonnegative=bool((data["value"] >= 0).all()))
        grid.set_axis_labels(xlabel or x, ylabel or metric)
        if title:
            notes = [f"dashed: {dashed}"] if expected and data["expected"].notna().any() else []
            notes += [f"dotted: {dotted}"] if not ref.empty else []
            grid.figure.suptitle(title + (f"  ({'; '.join(notes)})" if notes else ""), y=1.02)
    return grid


def draw_all(summary: pd.DataFrame, plots: list[dict], out_dir) -> list[Path]:
    """Draw every spec in ``plots`` and save each as PNG and SVG under ``out_dir``."""
    paths = []
    for spec in plots:
        grid = draw(summary, **spec)
        for fmt in FORMATS:
            buf = io.BytesIO()
            with plt.rc_context(STYLE):
                grid.savefig(buf, format=fmt, metadata=METADATA[fmt], bbox_inches="tight")
            path = Path(out_dir) / f"{spec['name']}.{fmt}"
            write_atomic(path, buf.getvalue())
            paths.append(path)
        plt.close(grid.figure)
    return paths

"""Seaborn figures of any columns of a summary, for a notebook: ``Results.plot``.

The summary already holds each point's 95% interval (``ci_low``/``ci_high``), so seaborn draws
the lines (``errorbar=None``: no bootstrap of one row per point) and the bands are filled from
those columns.  Like every figure, it never averages: a column that varies among the rows and
is not mapped is refused by name (:func:`simprive.figures.layout`, ``strict``)."""

from __future__ import annotations

import pandas as pd

__all__ = ["relplot"]


def relplot(summary: pd.DataFrame, x: str, y: str = "value", hue: str | None = None, col: str | None = None,
            row: str | None = None, metric: str | list[str] | None = None, **kws):
    """A ``seaborn.relplot(kind="line")`` of the summary's rows for ``metric`` (all of them
    by default), ``y`` against ``x``, with the 95% band where ``y`` is the value.  ``style``
    and any other keyword go to ``relplot``.  Returns the ``FacetGrid``."""
    import seaborn as sns

    from simprive.figures import layout

    metrics = list(dict.fromkeys(summary["metric"])) if metric is None else metric
    spec = {"name": "plot", "metric": metrics, "x": x, "hue": hue, "style": kws.pop("style", None), "col": col,
            "row": row}
    lay = layout(summary, spec, strict=True)
    data = lay.data
    hue_levels = list(dict.fromkeys(data[lay.hue])) if lay.hue else []
    palette = dict(zip(hue_levels, sns.color_palette(n_colors=len(hue_levels)))) if lay.hue else None
    grid = sns.relplot(data=data, x=x, y=y, hue=lay.hue, style=lay.style, col=lay.col, row=lay.row, kind="line",
                       errorbar=None, marker="o", palette=palette, **kws)
    if y == "value":
        grid.map_dataframe(_band, x=x, hue=lay.hue, style=lay.style, palette=palette)
    return grid


def _band(data: pd.DataFrame, x: str, hue: str | None, style: str | None, palette: dict | None, color=None,
          **_) -> None:
    """One facet's bands: each line's ``ci_low``–``ci_high``, in the line's colour."""
    import matplotlib.pyplot as plt

    ax = plt.gca()
    keys = [k for k in (hue, style) if k]
    for level, line in data.groupby(keys, dropna=False, sort=False) if keys else [((None,), data)]:
        line = line.sort_values(x)
        shade = palette[level[0]] if hue and palette else color
        ax.fill_between(line[x], line["ci_low"], line["ci_high"], color=shade, alpha=0.2, linewidth=0)

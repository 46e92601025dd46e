"""Figures drawn from a summary table alone, byte-identical for the same table.

A figure spec maps columns to ``x``, ``hue``, ``style``, ``col`` and ``row``; ``metric`` picks
the rows (a list: several metrics, one line each, ``hue: metric``).  A figure never averages:
any other column that varies among the rows a line would join is given a free facet (``col``,
then ``row``, then ``style``), and when none is free the figure is refused with a line that
names the column (:func:`layout`).  Titles and labels are templates: ``{epsilon}`` is filled
only where ε is one value in the figure; a parenthesis holding a key that varies is dropped.

Each line is the simulation with its 95% band; the closed form, where the table has one, is
drawn on top of it (hollow markers on a dark dashed line), so it stays visible where the two
agree.  A ``reference`` metric (a bound) is drawn dotted over a pale halo; ``diagonal`` draws
y = x.

What a reader would otherwise misread is settled here, for every figure: a facet whose levels
all draw the same points is drawn once and said in the title (``same for every <key>``); y is
shared only between panels of comparable size; lines that hide one another get looks apart and
the legend says so; members of one mechanism family contrasted in a figure get colours apart;
lines with zero-width intervals are called exact or computed, not simulated.
"""

from __future__ import annotations

import io
import itertools
import math
import re
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simprive.display import (
    AUX_SHARE,
    FAMILIES,
    FAMILY_COLOURS,
    SHARE,
    SUPERSCRIPT,
    family_of,
    key_name,
    level_name,
    metric_name,
)
from simprive.files import write_atomic
from simprive.validation import ConfigError, check_name

__all__ = ["Layout", "check_spec", "draw", "draw_all", "drawable", "layout", "mechanism_colours", "save", "spec_metrics"]

# columns that describe a row's statistics, not its configuration
STATISTICS = ("metric", "value", "std", "ci_low", "ci_high", "expected", "z", "agreement", "status", "config_hash")
SLOTS = ("col", "row", "style")  # where a varying key the spec does not show goes, in this order
METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}}
RC: Any = {"svg.hashsalt": "simprive", "svg.fonttype": "path", "figure.dpi": 100, "font.size": 9,
      "axes.titlesize": 9, "axes.labelsize": 9, "legend.fontsize": 8, "axes.spines.top": False,
      "axes.spines.right": False, "axes.grid": True, "grid.color": "0.9", "grid.linewidth": 0.6}
FORMATS = ("png", "svg")
STYLES: list[tuple[Any, str]] = [("-", "o"), ((0, (4, 2)), "s"), ((0, (1, 1.5)), "^"), ((0, (5, 2, 1, 2)), "D")]
PANEL = (3.3, 2.5)  # inches per facet
LEGEND_WIDTH = 2.6  # inches beside the panels
SPEC_KEYS = {"name", "metric", "x", "hue", "style", "col", "row", "logx", "logy", "symlogy", "title", "xlabel",
             "ylabel", "expected", "dashed", "reference", "dotted", "diagonal", "sharey"}


@dataclass(frozen=True)
class Layout:
    """How a figure maps the columns of its rows: every varying configuration column is one
    of these (or a function of them), so no line averages rows."""

    data: pd.DataFrame
    metrics: list[str]
    x: str
    hue: str | None
    style: str | None
    col: str | None
    row: str | None
    added: tuple[str, ...]  # keys faceted because they vary and the spec did not show them
    same: tuple[tuple[str, tuple], ...] = ()  # keys (and their levels) whose every level draws the same rows

    @property
    def mapped(self) -> list[str]:
        return [k for k in (self.x, self.hue, self.style, self.col, self.row) if k]


def _present(data: pd.DataFrame, key: str | None) -> str | None:
    """A grouping key the rows have (not swept in this run: nothing to show)."""
    return key if key and key in data.columns and data[key].notna().any() else None


def _averaged(data: pd.DataFrame, keys: list[str]) -> list[str]:
    """Configuration columns that vary among rows sharing every one of ``keys``: a line
    through them would average those rows."""
    config = [c for c in data.columns if c not in STATISTICS and c not in keys]
    cells = data.groupby(keys, dropna=False, sort=False)
    return [c for c in config if (cells[c].nunique(dropna=False) > 1).any()]


# what each key of a spec holds: a figure from a config, a meta.json or Results.draw is
# checked here, once, before anything reads it
TEXTS = ("title", "xlabel", "ylabel", "dashed", "dotted")
FLAGS = ("logx", "logy", "sharey", "expected")
MAPPINGS = ("hue", "style", "col", "row")


def spec_metrics(spec: dict) -> list:
    """The metrics a spec draws: its ``metric``, one name or a list of them."""
    metric = spec.get("metric")
    return list(metric) if isinstance(metric, (list, tuple)) else [metric]


def check_spec(spec, where: str | None = None, named: bool = False) -> dict:
    """A figure spec as :func:`draw` reads it, or a :class:`ConfigError` naming the key under
    ``where``, the spec's own key (``figure.plots.0``, as typed; by default figure.plots.NAME);
    ``named``: it must have a name, as a figure drawn to files does (one in memory need not)."""
    def refuse(key, allowed):
        raise ConfigError(f"{where}.{key}", spec.get(key), allowed)

    if not isinstance(spec, dict):
        raise ConfigError(where or "figure.plots", spec, "not a figure: a mapping with a name, a metric and an x")
    if "name" in spec or named:
        check_name(spec.get("name"), f"{where or 'figure.plots'}.name", "the figure's files")
    where = where or f"figure.plots.{spec.get('name', 'figure')}"
    unknown = sorted(set(spec) - SPEC_KEYS, key=str)
    if unknown:
        refuse(unknown[0], f"not a figure key; known: {', '.join(sorted(SPEC_KEYS))}")
    metrics = spec_metrics(spec)
    if not metrics or not all(isinstance(m, str) and m for m in metrics):
        refuse("metric", "needs the metric it draws: a metric's name, or a list of them")
    if not isinstance(spec.get("x"), str) or not spec["x"]:
        refuse("x", "needs the column on its x axis (a key, e.g. epsilon)")
    for key in MAPPINGS:
        if spec.get(key) is not None and not (isinstance(spec[key], str) and spec[key]):
            refuse(key, "must be a column's name (a key, e.g. mechanism) or null")
    for key in (*TEXTS, "reference"):
        if spec.get(key) is not None and not isinstance(spec[key], str):
            refuse(key, "must be text or null")
    for key in FLAGS:
        if spec.get(key) is not None and not isinstance(spec[key], bool):
            refuse(key, "must be true or false")
    if spec.get("diagonal") is not None and not isinstance(spec["diagonal"], (str, bool)):
        refuse("diagonal", "must be its legend's text, true or false")
    symlogy = spec.get("symlogy")
    if symlogy not in (None, False) and not (isinstance(symlogy, (int, float)) and not isinstance(symlogy, bool)
                                             and math.isfinite(symlogy) and symlogy > 0):
        refuse("symlogy", "must be the linear range around 0, a number > 0, or null")
    return spec


def unfold(summary: pd.DataFrame) -> pd.DataFrame:
    """Rows of a curve's points, metric ``name[key=value]``, as rows of metric ``name`` with
    ``value`` in a column ``key`` (the auditor's ``type2[type1=0.05]``: x = type1)."""
    parts = summary["metric"].astype(str).str.extract(r"^(?P<base>[^\[]+)\[(?P<key>[^=\]]+)=(?P<at>[^\]]+)\]$")
    points = parts["base"].notna()
    if not points.any():
        return summary
    out = summary.copy()
    out.loc[points, "metric"] = parts.loc[points, "base"]
    for key in parts.loc[points, "key"].unique():
        mine = points & (parts["key"] == key)
        out[key] = np.nan
        out.loc[mine, key] = pd.to_numeric(parts.loc[mine, "at"])
    return out


def layout(summary: pd.DataFrame, spec: dict[str, Any], strict: bool = False) -> Layout:
    """The rows a spec plots and how each varying column is shown; raises
    :class:`~simprive.validation.ConfigError` naming a column it cannot show.  ``strict``: the
    caller's mapping as given (no facet dropped or added, x as named): a column that varies
    unmapped, and changes the data, is refused (``Results.plot``)."""
    name = check_spec(spec).get("name", "figure")
    metric, metrics = spec["metric"], spec_metrics(spec)
    summary = unfold(summary)
    data = summary[summary["metric"].isin(metrics)]
    if data.empty:
        raise ConfigError(f"figure.plots.{name}.metric", metric, "no rows of the summary have it")
    x = spec["x"]
    if x not in data.columns:
        raise ConfigError(f"figure.plots.{name}.x", x, "not a column of the summary")
    if not strict:
        data, x = _comparable_x(data, x)
    slots = {k: _present(data, spec.get(k)) for k in ("hue", "style", "col", "row")}
    if len(metrics) > 1 and "metric" not in slots.values():
        slots["hue" if slots["hue"] is None else "style"] = "metric"
    added: list[str] = []
    same: list[tuple[str, tuple]] = []
    for slot in () if strict else SLOTS:  # a facet the spec asks for that changes nothing is drawn once
        key = slots[slot]
        if key is not None and key not in ("metric", x) and _inert(data, key):
            data = _first_level(data, key, same)
            slots[slot] = None
    while True:
        keys = [k for k in (x, *slots.values(), "metric") if k]
        varying = _averaged(data, list(dict.fromkeys(keys)))
        if not varying:
            break
        # the n that a share is taken of comes first: with it shown, the count is the share
        key = "n" if x == SHARE and "n" in varying else varying[0]
        if strict:
            raise ConfigError(name, key, f"{key} varies among the rows and is not mapped: map it (hue, style, col "
                                         f"or row) or pick the rows where it is one value")
        if _inert(data, key):
            data = _first_level(data, key, same)
            continue
        # rows of one point that draw the same (two settings that come to one configuration,
        # 0.4 and 0.6 of 4 others both 2 known): one of them, nothing averaged
        single = data.drop_duplicates([*dict.fromkeys(keys), *(c for c in POINT if c in data.columns)])
        if len(single) < len(data) and key not in _averaged(single, list(dict.fromkeys(keys))):
            data = single
            continue
        free = next((s for s in SLOTS if slots[s] is None), None)
        if free is None:
            raise ConfigError(f"figure.plots.{name}", key, f"{key} varies in the rows this figure draws and every "
                                                          f"facet is taken: map it (col, row, style or hue) or fix "
                                                          f"{key} to one value")
        slots[free] = key
        added.append(key)
    return Layout(data.copy(), metrics, x, slots["hue"], slots["style"], slots["col"], slots["row"], tuple(added),
                  tuple(same))


POINT = ("value", "ci_low", "ci_high", "expected")  # what a row draws


def _comparable_x(data: pd.DataFrame, x: str) -> tuple[pd.DataFrame, str]:
    """An x comparable across the panels it spans: a count of the n − 1 others known means
    a different thing at each n, so where n varies it is drawn as the share known."""
    adversary = _constant(data, "adversary")
    if x != "aux" or adversary not in AUX_SHARE or data["n"].nunique() < 2:
        return data, x
    return _with_share(data), SHARE


def _with_share(data: pd.DataFrame) -> pd.DataFrame:
    return data.assign(**{SHARE: data["aux"] / (data["n"] - 1)})


def _inert(data: pd.DataFrame, key: str) -> bool:
    """Whether every level of ``key`` draws the same rows, so its panels would be copies: the
    same points (keyed by the columns that do not move with ``key``), each with the same value,
    interval and closed form — or, for a simulation, the same closed form, every level's value
    agreeing with it (its own random stream differs, not what it estimates)."""
    groups = [g for _, g in data.groupby(key, dropna=False, sort=False)]
    if len(groups) < 2:
        return False
    config = [c for c in data.columns if c not in STATISTICS and c != key]
    # a column whose values differ between levels moves with the key (a count derived from it)
    index = ["metric"] + [c for c in config if all(_values(g[c]) == _values(groups[0][c]) for g in groups)]
    groups = [g.sort_values(index, kind="mergesort") for g in groups]
    points = [g[index].reset_index(drop=True) for g in groups]
    if not all(p.equals(points[0]) for p in points):
        return False
    stats = [g.reindex(columns=list(POINT)).to_numpy(float) for g in groups]
    if all(np.allclose(s, stats[0], rtol=1e-9, atol=0, equal_nan=True) for s in stats):
        return True
    expected = [s[:, 3] for s in stats]
    if np.isnan(expected[0]).any() or not all(np.allclose(e, expected[0], rtol=1e-9, atol=0) for e in expected):
        return False
    if "agreement" in data.columns:
        return not (data["agreement"] == "differs").any()
    low, high = np.max([s[:, 1] for s in stats], axis=0), np.min([s[:, 2] for s in stats], axis=0)
    return bool((low <= high).all())  # the levels' intervals share a point


def _values(column: pd.Series) -> tuple[frozenset, bool]:
    return frozenset(column.dropna()), bool(column.isna().any())


def _first_level(data: pd.DataFrame, key: str, same: list) -> pd.DataFrame:
    """The rows of ``key``'s first level, recording its levels for the caption."""
    levels = _levels(data, key, [])
    same.append((key, tuple(levels)))
    return data[_match(data, key, levels[0])]


def _levels(data: pd.DataFrame, key: str, metrics: list[str]) -> list:
    """A column's values in reading order: metrics as asked, numbers ascending, missing last."""
    present = list(dict.fromkeys(data[key].dropna()))
    if key == "metric":
        levels = [m for m in metrics if m in present]
    elif key == "mechanism":  # by family, its variants together
        levels = sorted(present, key=lambda m: (*_family_rank(m), str(m)))
    else:
        try:
            levels = sorted(present)
        except TypeError:  # mixed types: as they come
            levels = present
    return levels + ([None] if data[key].isna().any() else [])


def _family_rank(mechanism: str) -> tuple[int, int]:
    family, index, _ = family_of(mechanism)
    return (list(FAMILIES).index(family) if family in FAMILIES else len(FAMILIES)), index


def _match(frame: pd.DataFrame, key: str, level) -> pd.Series:
    return frame[key].isna() if level is None else frame[key] == level


def _facet_levels(data: pd.DataFrame, key: str, metrics: list[str]) -> list:
    """A facet key's levels, less the blank one when there are others: a row blank in the
    key does not depend on it (a central mechanism beside secure aggregation's modulus bits),
    so it joins every facet (:func:`_in_facet`)."""
    levels = _levels(data, key, metrics)
    return [v for v in levels if v is not None] or levels


def _in_facet(frame: pd.DataFrame, key: str, level) -> pd.Series:
    return frame[key].isna() if level is None else (frame[key] == level) | frame[key].isna()


MANY_LEVELS = 16  # hue levels beyond which the legend shows the ends and lines are not told apart
MARKERS = ("o", "s", "^", "D", "v", "P")


def _markers(key: str | None, levels: list) -> dict:
    """A marker per hue level: a family's variants differ in shade and in marker."""
    if key != "mechanism":
        return dict.fromkeys(levels, "o")
    seen: dict[str, int] = {}
    out = {}
    for m in levels:
        family = family_of(m)[0] if m is not None else ""
        out[m] = MARKERS[seen.get(family, 0) % len(MARKERS)]
        seen[family] = seen.get(family, 0) + 1
    return out


def _palette(key: str | None, levels: list) -> dict:
    """A colour per hue level: one hue per mechanism family (shades for its variants), a
    sequential ramp for ordered numbers, distinct colours otherwise."""
    from matplotlib import colormaps

    if key is None:
        return {None: (0.12, 0.35, 0.6)}
    if key == "mechanism":
        return {**mechanism_colours([m for m in levels if m is not None]), None: (0.4, 0.4, 0.4)}
    numeric = [v for v in levels if isinstance(v, (int, float, np.number)) and not isinstance(v, bool)]
    if len(numeric) == len([v for v in levels if v is not None]) and len(numeric) > 2:
        ramp = colormaps["viridis"]
        return {**{v: ramp(0.05 + 0.8 * i / (len(numeric) - 1))[:3] for i, v in enumerate(numeric)},
                None: (0.4, 0.4, 0.4)}
    base = colormaps["tab10"].colors  # type: ignore[attr-defined]
    return {v: base[i % 10] for i, v in enumerate(levels)}


def mechanism_colours(mechanisms: list) -> dict:
    """A colour per mechanism.  Where each family has one member, the family's colour (the same
    in every figure).  Where the figure contrasts members of one family (Laplace against
    geometric, four broken mechanisms), shades of one hue would not tell them apart: each gets a
    colour of its own — a family's first member its family's, the others the unused ones."""
    from matplotlib import colormaps

    base = colormaps["tab10"].colors  # type: ignore[attr-defined]
    taken: dict = {}  # mechanism: tab10 index
    seen: set[str] = set()
    for m in mechanisms:  # each family's first member: its family's colour, unless another has it
        family = family_of(m)[0]
        i = FAMILY_COLOURS.get(family)
        if family not in seen and i is not None and i not in taken.values():
            taken[m] = i
        seen.add(family)
    # a user's mechanism (a family of its own) and every further member: a colour no other has
    spare = iter([i for i in (0, 1, 2, 3, 4, 5, 6, 8, 9, 7) if i not in taken.values()] + list(range(10)))
    return {m: base[taken[m]] if m in taken else base[next(spare)] for m in mechanisms}


def _constant(data: pd.DataFrame, key: str):
    """The one value of ``key`` in the rows that have one (an exact release has no ε), or a
    marker that it varies or is absent."""
    if key not in data.columns or data[key].isna().all():
        return _ABSENT
    values = data[key].dropna().drop_duplicates()
    return values.iloc[0] if len(values) == 1 else _VARIES


_VARIES, _ABSENT = object(), object()


def fill(template: str, data: pd.DataFrame, constants: dict | None = None) -> str:
    """A title or label template filled from the rows: ``{key}`` by the key's one value (a
    key the table lacks, from ``constants``: the run's fixed settings); a parenthesis with a
    key that varies (or is unknown) is dropped, elsewhere the key's name stands in; ``{n-1}``
    is one less than n."""

    def value(field: str):
        key, _, minus = field.partition("-")
        v = _constant(data, key.strip())
        if v is _ABSENT and constants and isinstance(constants.get(key.strip()), (int, float, str)):
            v = constants[key.strip()]
        if v is _VARIES or v is _ABSENT or not minus:
            return v
        return v - int(minus)

    def group(m: re.Match) -> str:
        fields = re.findall(r"\{([^}]+)\}", m.group(0))
        return "" if any(value(f) in (_VARIES, _ABSENT) for f in fields) else m.group(0)

    text = re.sub(r"\s*\([^()]*\{[^}]+\}[^()]*\)", group, template)

    def one(m: re.Match) -> str:
        v = value(m.group(1))
        key = m.group(1).partition("-")[0].strip()
        return key_name(key) if v in (_VARIES, _ABSENT) else level_name(key, v)

    return re.sub(r"\{([^}]+)\}", one, text)


def _decade(v: float, _=None) -> str:
    """10ⁿ in plain text (no mathtext to lay out): 1, 10 and 0.1 as such."""
    exponent = round(math.log10(v)) if v > 0 else 0
    if -1 <= exponent <= 1:
        return f"{v:g}"
    return "10" + str(exponent).translate(SUPERSCRIPT)


def _number(v: float, _=None) -> str:
    """A tick label: 10ⁿ for far decades, 500,000 rather than 5e+05, else as short as %g."""
    if _is_decade(v):
        return _decade(v)
    if abs(v) >= 1000 and float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:g}"


def _is_decade(v: float) -> bool:
    """A power of ten too far from 1 to write out (0.001 and 1,000 read fine as they are)."""
    return v > 0 and abs(math.log10(v) - round(math.log10(v))) < 1e-9 and abs(math.log10(v)) > 3.5


def _log_ticks(axis, values: np.ndarray) -> None:
    """Readable ticks on a log axis: every decade labelled, or 1-2-5 steps within one."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    positive = values[np.isfinite(values) & (values > 0)]
    span = math.log10(positive.max() / positive.min()) if positive.size else 0.0
    if span < 1.3:
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=12))
        axis.set_major_formatter(FuncFormatter(_number))
    else:
        axis.set_major_locator(LogLocator(base=10, numticks=30))
        # one notation per axis: 10ⁿ throughout once any decade is far from 1
        far = positive.min() < 1e-3 or positive.max() > 1e4
        axis.set_major_formatter(FuncFormatter(_decade if far else _number))
    axis.set_minor_locator(NullLocator())


def _reach_a_labelled_tick(axis, set_lim, values: np.ndarray) -> None:
    """A log axis within about a decade carries few ticks (0.5, 1, 2): it reaches up to the
    next one above the largest value, so the top of the data is read against a labelled tick."""
    positive = values[np.isfinite(values) & (values > 0)]
    if not positive.size:
        return
    top = positive.max()
    if math.log10(top / positive.min()) >= 1.3:  # decades: one is labelled near any top
        return
    ticks = axis.get_major_locator().tick_values(positive.min(), top * 10)
    below, above = [t for t in ticks if t <= top], [t for t in ticks if t >= top]
    if below and top <= 1.3 * max(below):  # a label at the top of the data already
        return
    if above and min(above) > axis.get_view_interval()[1]:
        set_lim(top=min(above) * 1.05)


def _symlog_ticks(axis, linthresh: float, top: float) -> None:
    """0, then decades from the linear threshold up, at most seven labelled."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    low, high = math.floor(math.log10(linthresh)), math.floor(math.log10(max(top, linthresh)))
    step = max(1, math.ceil((high - low + 1) / 7))
    axis.set_major_locator(FixedLocator([0.0] + [10.0**e for e in range(high, low - 1, -step)][::-1]))
    axis.set_major_formatter(FuncFormatter(lambda v, _: "0" if v == 0 else _decade(v) if high > 3 else _number(v)))
    axis.set_minor_locator(NullLocator())


def _facet_title(lay: Layout, col_level, row_level, adversary) -> str:
    parts = [f"{key_name(k, adversary)} = {level_name(k, v)}" for k, v in ((lay.row, row_level), (lay.col, col_level))
             if k]
    return textwrap.fill(" · ".join(parts), 44)


def draw(summary: pd.DataFrame, constants: dict | None = None, **spec):
    """One figure for one spec (see the module): a matplotlib Figure.  ``constants``: the
    run's fixed settings (``{dotted.key: value}``), for templates naming a key the table lacks."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lay = layout(summary, spec)
    logx, logy, symlogy = bool(spec.get("logx")), bool(spec.get("logy")), spec.get("symlogy")
    if logy:
        lay = replace(lay, data=_round_off_to_zero(lay.data))
    data, metrics, x = lay.data, lay.metrics, lay.x
    reference = spec.get("reference")
    ref = summary[summary["metric"] == reference] if reference else summary.iloc[:0]
    if x == SHARE:  # the reference on the same x
        ref = _with_share(ref)
    adversary = _constant(data, "adversary")
    adversary = adversary if isinstance(adversary, str) else None
    hue_levels = _levels(data, lay.hue, metrics) if lay.hue else [None]
    style_levels = _levels(data, lay.style, metrics) if lay.style else [None]
    col_levels = _facet_levels(data, lay.col, metrics) if lay.col else [None]
    row_levels = _facet_levels(data, lay.row, metrics) if lay.row else [None]
    palette, markers = _palette(lay.hue, hue_levels), _markers(lay.hue, hue_levels)
    show_expected = spec.get("expected", True) and data["expected"].notna().any()
    categorical_x = not pd.api.types.is_numeric_dtype(data[x])
    floor = _log_floor(data) if logy else None
    x_order = _levels(data, x, metrics) if categorical_x else None

    with plt.rc_context(RC):
        fig, axes = plt.subplots(len(row_levels), len(col_levels), squeeze=False, sharex=True,
                                 sharey=spec.get("sharey", _sharey(data, lay, row_levels, col_levels, logy)),
                                 layout="constrained",
                                 figsize=(_panel_width(x_order) * len(col_levels) + LEGEND_WIDTH,
                                          PANEL[1] * len(row_levels) + 0.7 + _label_height(x_order)))
        drawn: dict = {}
        for (r, row_level), (c, col_level) in ((rr, cc) for rr in enumerate(row_levels) for cc in enumerate(col_levels)):
            ax = axes[r][c]
            facet, facet_ref = data, ref
            for key, level in ((lay.row, row_level), (lay.col, col_level)):
                if key:
                    facet = facet[_in_facet(facet, key, level)]
                    if key in facet_ref.columns:
                        facet_ref = facet_ref[_in_facet(facet_ref, key, level)]
            drawn[(r, c)] = _draw_facet(ax, facet, facet_ref, lay, hue_levels, style_levels, (palette, markers),
                                        x_order, floor, show_expected)
            if lay.col or lay.row:
                ax.set_title(_facet_title(lay, col_level, row_level, adversary))
        for ax in axes.flat:  # once every facet is drawn: shared limits cover them all
            _scale(ax, data, x, logx, logy, symlogy, x_order)
            if spec.get("diagonal"):
                lo, hi = ax.get_xlim()
                ax.plot([lo, hi], [lo, hi], color="0.45", linestyle=(0, (1, 2)), linewidth=1, zorder=1)
                ax.set_xlim(lo, hi)
        names = {(r, c): tuple(f"{key_name(k, adversary)} = {level_name(k, v)}" if k else None
                               for k, v in ((lay.row, rl), (lay.col, cl)))
                 for r, rl in enumerate(row_levels) for c, cl in enumerate(col_levels)}
        # with many levels (a fine sweep of ε) lines are a colour ramp, not pairs to tell apart
        hidden = _set_apart(axes, drawn, markers, names) if len(hue_levels) <= MANY_LEVELS else {"reference": {}}
        _texts(fig, axes, lay, spec, constants, adversary)
        _legend(fig, lay, spec, adversary, (hue_levels, palette, markers), style_levels,
                show_expected=show_expected, reference=None if ref.empty else reference,
                zeros=logy and bool((data["value"] <= 0).any()), hidden=hidden, reading=_reading(lay))
    return fig


def _texts(fig, axes, lay: Layout, spec: dict, constants: dict | None, adversary: str | None) -> None:
    """Axis labels and the title: the spec's templates filled from the rows, or the names of
    what is drawn."""
    data, metrics = lay.data, lay.metrics
    # the spec's label names its x; one drawn in its place (a share for a count) is named by itself
    xlabel = (fill(spec["xlabel"], data, constants) if spec.get("xlabel") and lay.x == spec["x"]
              else key_name(lay.x, adversary))
    ylabel = fill(spec["ylabel"], data, constants) if spec.get("ylabel") else (
        metric_name(metrics[0]) if len(metrics) == 1 else "value")
    # one label for a row or column of panels that share the axis
    if axes.shape[1] > 1:
        fig.supxlabel(xlabel, fontsize=9)
    else:
        axes[-1][0].set_xlabel(xlabel)
    # one line, never wrapped (a wrapped y label reads as two): smaller where it is long
    size = _fitting(ylabel, 0.8 * 72 * fig.get_figheight())
    if axes.shape[0] > 1:
        fig.supylabel(ylabel, fontsize=size)
    else:
        axes[0][0].set_ylabel(ylabel, fontsize=size)
    title = fill(spec["title"], data, constants) if spec.get("title") else ylabel
    lines = [title + _privacy(title, lay)]
    for key, levels in lay.same:  # a key whose panels would all be the same is drawn once, and said
        lines.append(f"same for every {key_name(key, adversary)}: {', '.join(level_name(key, v) for v in levels)}")
    # wrapped to the panels' width, left of the legend; never inside "ε = 1"
    width = int(12 * (fig.get_figwidth() - LEGEND_WIDTH))
    fig.suptitle("\n".join(textwrap.fill(line.replace(" = ", "\u00a0=\u00a0"), width) for line in lines),
                 fontsize=10, x=0.02, ha="left")


def _reading(lay: Layout) -> tuple[bool, bool, bool]:
    """What the legend says of the lines: (any simulated, with an interval; any exact or
    computed — a zero-width interval, no sampling error; every simulated line one point, its
    interval a bar)."""
    data = lay.data
    keys = [k for k in (lay.hue, lay.style, lay.col, lay.row) if k] + ["metric"]
    width = (data["ci_high"] - data["ci_low"]).abs()
    exact = width.isna() | (width <= 1e-12 * data["value"].abs())
    series = data.assign(_exact=exact).groupby(list(dict.fromkeys(keys)), dropna=False)
    is_exact, points = series["_exact"].all(), series.size()
    return bool((~is_exact).any()), bool(is_exact.any()), bool((points[~is_exact] == 1).all())


def _fitting(text: str, points: float) -> float:
    """The font size (9 at most, 6.5 at least) at which ``text`` fits in ``points``."""
    return max(6.5, min(9.0, points / (0.56 * max(len(text), 1))))


def _privacy(title: str, lay: Layout) -> str:
    """The ε (and a δ above 0) every DP release in the figure has, when the title does not say
    it and no axis or facet shows it: a privacy figure without its ε cannot be read."""
    said = []
    for key, symbol in (("epsilon", "ε"), ("delta", "δ")):
        v = _constant(lay.data, key)
        if symbol in title or key in lay.mapped or v is _VARIES or v is _ABSENT or (key == "delta" and v == 0):
            continue
        said.append(f"{symbol} = {level_name(key, v)}")
    return f" ({', '.join(said)})" if said else ""


def _legend(fig, lay: Layout, spec: dict, adversary, hues, style_levels, *, show_expected: bool,
            reference: str | None, zeros: bool, hidden: dict, reading: tuple[bool, bool, bool]) -> None:
    """One legend for the figure: the hue and style levels, then how to read the lines."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    hue_levels, palette, markers = hues
    handles: list = []
    if lay.hue:
        handles.append(Line2D([], [], linestyle="none", label=key_name(lay.hue, adversary)))
        shown = hue_levels if len(hue_levels) <= MANY_LEVELS else [*hue_levels[:3], "…", *hue_levels[-3:]]
        for h in shown:
            if h == "…" and h not in palette:  # the levels between the first and last three
                handles.append(Line2D([], [], linestyle="none", label=f"… ({len(hue_levels)} levels in all)"))
                continue
            label = level_name(lay.hue, h)
            if h in hidden:  # said, since it cannot be seen
                first, where = hidden[h]
                label += f"\n(coincides with {level_name(lay.hue, first)}{where})"
            handles.append(Line2D([], [], color=palette[h], marker=markers[h], markersize=4, label=label))
    if lay.style:
        handles.append(Line2D([], [], linestyle="none", label=key_name(lay.style, adversary)))
        handles += [Line2D([], [], color="0.3", linestyle=STYLES[i % len(STYLES)][0],
                           marker=STYLES[i % len(STYLES)][1], markersize=4, label=level_name(lay.style, s))
                    for i, s in enumerate(style_levels)]
    handles.append(Line2D([], [], linestyle="none", label="how to read"))
    simulated, exact, bars = reading
    if simulated:  # the line over its band (or bar), as drawn
        line = Line2D([], [], color="0.3", marker="o", markersize=4,
                      label=f"simulated ({'bar' if bars else 'band'}: 95% CI)")
        handles.append((Line2D([], [], color="0.3", marker="|", markersize=9, linestyle="none"), line) if bars
                       else (Patch(color="0.3", alpha=0.18, linewidth=0), line))
    if exact:  # no band to draw
        handles.append(Line2D([], [], color="0.3", marker="o", markersize=4, label="exact or computed (no sampling error)"))
    if show_expected:
        handles.append(Line2D([], [], color="0.1", linestyle=(0, (3, 2)), linewidth=0.9, marker="o",
                              markersize=6, markerfacecolor="none", label=spec.get("dashed", "closed form")))
    if reference:
        label = spec.get("dotted", metric_name(reference))
        if hidden["reference"]:
            on = [level_name(lay.hue, h) if lay.hue else "the simulation" for h in hidden["reference"]]
            wheres = set(hidden["reference"].values())
            label += f"\n(coincides with {', '.join(on)}{wheres.pop() if len(wheres) == 1 else ' in some panels'})"
        handles.append((Line2D([], [], color=HALO_COLOUR, linewidth=HALO_WIDTH),
                        Line2D([], [], color="0.2", linestyle=(0, (1, 1.5)), linewidth=2, label=label)))
    if spec.get("diagonal"):
        handles.append(Line2D([], [], color="0.45", linestyle=(0, (1, 2)), label=str(spec["diagonal"])))
    if zeros:
        handles.append(Line2D([], [], color="0.3", linestyle="none", marker="v", markersize=6,
                              label="0 (below the log axis)"))
    # long labels wrapped, never inside "ε = 1" (no-break spaces there)
    labels = ["\n".join(textwrap.fill(part.replace(" = ", "\u00a0=\u00a0"), 44) for part in
                        (h[-1] if isinstance(h, tuple) else h).get_label().split("\n")) for h in handles]
    legend = fig.legend(handles=handles, labels=labels, loc="outside right upper", frameon=False, handlelength=2.4)
    for text, handle in zip(legend.get_texts(), handles):
        if isinstance(handle, Line2D) and handle.get_linestyle() == "None" and handle.get_marker() in ("None", None, ""):
            text.set_fontweight("bold")


HALO_WIDTH, HALO_COLOUR = 6.0, "0.82"  # under a reference line
HIDDEN = 0.035  # lines closer than this share of the panel's height, at every x they share, hide each other
LOOKS_APART = [("-", 10.0), ((0, (4, 2)), 5.5), ((0, (1, 1.5)), 3.5), ((0, (5, 2, 1, 2)), 3.5)]


def _on_axes(ax, line) -> dict:
    """A line's points as heights in its panel (0 at the foot, 1 at the top), by x."""
    xy = np.column_stack([line.get_xdata(orig=False), line.get_ydata(orig=False)]).astype(float)
    xy = xy[np.isfinite(xy).all(axis=1)]
    if not len(xy):
        return {}
    heights = ax.transAxes.inverted().transform(ax.transData.transform(xy))[:, 1]
    return dict(zip(xy[:, 0], heights))


def _hides(ax, under, over) -> bool:
    """Whether ``over`` covers ``under``: every point of the one with fewer points lies on the
    other, at the same x, within :data:`HIDDEN` of the panel's height."""
    a, b = _on_axes(ax, under), _on_axes(ax, over)
    short, other = (a, b) if len(a) <= len(b) else (b, a)
    return bool(short) and all(x in other and abs(h - other[x]) <= HIDDEN for x, h in short.items())


def _where(seen: list[tuple[tuple, bool]]) -> str:
    """Where two lines coincide, for the legend: everywhere (nothing said), at one level of a
    facet ("at prior p = 0.9"), or the panels.  ``seen``: ((row part, column part) of a panel's
    title, whether they coincide there)."""
    at = {panel for panel, hides in seen if hides}
    if len(at) == len(seen):
        return ""
    for i in (0, 1):  # the panels of one row (or column) level, exactly
        levels = {panel[i] for panel in at}
        if len(levels) == 1 and None not in levels and at == {p for p, _ in seen if p[i] in levels}:
            return f" at {levels.pop()}"
    names = [" · ".join(part for part in panel if part) or "this panel" for panel, _ in seen if panel in at]
    return f" at {' and '.join(names)}" if len(names) <= 2 else f" in {len(names)} of {len(seen)} panels"


def _set_apart(axes, drawn: dict, markers: dict, names: dict) -> dict:
    """Lines that coincide get looks apart — the first under big markers, each later one dashed
    or dotted with a smaller marker of its own on top — and the legend is told: ``{level:
    (the level it coincides with, in every panel both are in)}``, with the key ``"reference"``
    for the dotted bound."""
    hidden: dict = {}
    everywhere: dict = {}
    near: dict = {}  # level: whether the bound lies on it, panel by panel
    for (r, c), lines in drawn.items():
        ax = axes[r][c]
        series = [(h, s, line) for (h, s), line in lines["series"].items()]
        for i, (hue, style, line) in enumerate(series):
            for first, first_style, earlier in series[:i]:
                if hue != first and style == first_style:
                    everywhere.setdefault((hue, first), []).append((names[r, c], _hides(ax, earlier, line)))
        for hue, _, other in series:
            if lines["reference"]:
                hides = any(_hides(ax, other, line) for line in lines["reference"])
                near.setdefault(hue, []).append((names[r, c], hides))
    hidden["reference"] = {hue: _where(seen) for hue, seen in near.items() if any(h for _, h in seen)}
    groups: dict = {}  # each hidden level joins the group of the first level it coincides with
    for (hue, first), seen in everywhere.items():
        if any(h for _, h in seen) and hue not in hidden:
            hidden[hue] = (first, _where(seen))
            lead = hidden[first][0] if first in hidden and first != "reference" else first
            groups.setdefault(lead, [lead])
            groups[lead].append(hue)
    for members in groups.values():
        _restyle(drawn, members, markers)
    return hidden


def _restyle(drawn: dict, members: list, markers: dict) -> None:
    """Coinciding levels, in drawing order: each a marker of its own, smaller and on top of
    the one before, and (where the style slot does not set it) its own dashes."""
    # markers never run out: with more coinciding levels than markers, they are reused
    spare = itertools.cycle([m for m in MARKERS if m not in {markers[h] for h in members}] + list(MARKERS))
    for i, hue in enumerate(members):
        if i and markers[hue] in {markers[h] for h in members[:i]}:
            markers[hue] = next(spare)
        linestyle, size = LOOKS_APART[min(i, len(LOOKS_APART) - 1)]
        for line in (line for lines in drawn.values() for (h, _), line in lines["series"].items() if h == hue):
            line.set_marker(markers[hue])
            line.set_markersize(size)
            line.set_zorder(3 + 0.1 * i)
            if line.get_linestyle() == "-":
                line.set_linestyle(linestyle)


def _draw_facet(ax, facet, facet_ref, lay: Layout, hue_levels, style_levels, looks, x_order, floor, expected):
    """``floor``: the foot of a log y axis (None on a linear one)."""
    x, (palette, markers) = lay.x, looks
    logy = floor is not None
    position = (lambda s: s.map({v: i for i, v in enumerate(x_order)})) if x_order else (lambda s: s)
    # the reference (a bound): one dark dotted line per distinct curve
    curves = set()
    for _, g in facet_ref.groupby(lay.hue, dropna=False, sort=False) if lay.hue in facet_ref.columns else [(0, facet_ref)]:
        g = g.sort_values(x)
        if len(g):
            curves.add(tuple(zip(position(g[x]), g["value"])))
    drawn: dict = {"reference": [], "series": {}}
    for curve in sorted(curves):
        xs, ys = zip(*curve)
        # a pale halo under the dotted line: it shows where the bound lies on a line it meets
        ax.plot(xs, ys, linewidth=HALO_WIDTH, color=HALO_COLOUR, zorder=1.5, solid_capstyle="round")
        drawn["reference"] += ax.plot(xs, ys, linestyle=(0, (1, 1.5)), linewidth=2, color="0.2", zorder=5)
    keys = [k for k in (lay.style, lay.hue) if k]
    # each line's rows, found once (a sweep of 10,000 levels would scan the rows 10,000 times)
    lines = ({tuple(None if pd.isna(v) else v for v in (k if isinstance(k, tuple) else (k,))): g
              for k, g in facet.groupby(keys, dropna=False, sort=False)} if keys else {(): facet})
    bands: list = []  # with many levels, one collection: a fill_between each costs 10 ms
    for si, style in enumerate(style_levels):
        linestyle, style_marker = STYLES[si % len(STYLES)]
        for hue in hue_levels:
            marker = style_marker if lay.style else markers[hue]
            g = lines.get(tuple(v for k, v in ((lay.style, style), (lay.hue, hue)) if k))
            if g is None or g.empty:
                continue
            g = g.sort_values(x)
            xs, colour = position(g[x]).to_numpy(float), palette[hue]
            value, low, high = (g[k].to_numpy(float) for k in ("value", "ci_low", "ci_high"))
            if logy:  # a log axis has no 0: such points are marked at its foot, their band left out
                zero = value <= 0
                if zero.any():
                    ax.plot(xs[zero], np.full(zero.sum(), floor), linestyle="none", marker="v", markersize=6,
                            color=colour, clip_on=False, zorder=8)
                value = np.where(zero, np.nan, value)
                low, high = np.where(zero, np.nan, np.maximum(low, floor)), np.where(zero, np.nan, high)
            if len(xs) == 1:  # one setting: a band would be a point, so a bar
                ax.errorbar(xs, value, yerr=np.clip([value - low, high - value], 0, None), fmt="none", ecolor=colour,
                            elinewidth=1.2, capsize=3, zorder=2)
            elif len(hue_levels) > MANY_LEVELS:
                bands.append((xs, low, high, colour))
            else:
                ax.fill_between(xs, low, high, color=colour, alpha=0.18, linewidth=0, zorder=2)
            drawn["series"][(hue, style)], = ax.plot(xs, value, color=colour, linestyle=linestyle, marker=marker,
                                                     markersize=4, linewidth=1.6, zorder=3)
            if expected and g["expected"].notna().any():
                e = g["expected"].to_numpy(float)
                if logy:
                    e = np.where(e > 0, e, np.nan)
                ax.plot(xs, e, color="0.1", linestyle=(0, (3, 2)), linewidth=0.9, zorder=6)
                ax.plot(xs, e, linestyle="none", marker="o", markersize=6.5, markerfacecolor="none",
                        markeredgecolor=colour, markeredgewidth=1.3, zorder=7)
    if bands:
        _add_bands(ax, bands)
    return drawn


def _add_bands(ax, bands) -> None:
    """The 95% bands of many lines as one collection, each as fill_between draws it (a
    polygon up the upper bound and back down the lower one, gaps where a bound is NaN)."""
    from matplotlib.collections import PolyCollection

    polygons, colours = [], []
    for xs, low, high, colour in bands:
        finite = np.isfinite(xs) & np.isfinite(low) & np.isfinite(high)
        # runs of finite points: fill_between leaves a gap at each NaN
        for run in np.split(np.arange(len(xs)), np.flatnonzero(np.diff(finite.astype(int)) != 0) + 1):
            if len(run) > 1 and finite[run[0]]:
                polygons.append(np.column_stack([np.r_[xs[run], xs[run][::-1]], np.r_[high[run], low[run][::-1]]]))
                colours.append(colour)
    ax.add_collection(PolyCollection(polygons, facecolors=colours, alpha=0.18, linewidths=0, zorder=2))
    ax.autoscale_view()


ROUND_OFF = 1e-12  # relative to a metric's largest value: below it, a number is round-off of 0


def _round_off_to_zero(data: pd.DataFrame) -> pd.DataFrame:
    """A log axis would span decades down to a 3e-33 that is 0 computed in floating point:
    numbers within round-off of 0 (relative to the metric's largest) are 0 there."""
    data = data.copy()
    columns = [c for c in POINT if c in data.columns]
    for _, rows in data.groupby("metric", sort=False):
        values = rows[columns].to_numpy(float)
        finite = np.abs(values[np.isfinite(values)])  # an open interval's inf is no scale
        top = finite.max() if finite.size else 0.0
        data.loc[rows.index, columns] = np.where(np.abs(values) <= ROUND_OFF * top, 0.0, values)
    return data


COMPARABLE = 20.0  # panels whose largest values are within this factor share a linear y scale


def _sharey(data: pd.DataFrame, lay: Layout, row_levels: list, col_levels: list, logy: bool):
    """Share y where the panels' scales are comparable: all of them, else each facet row, else
    each column, else none — a panel reaching 4·10⁶ would flatten one reaching 400 to 0.  A log
    axis shows every decade, so it is always shared."""
    if logy:
        return True
    size = np.zeros((len(row_levels), len(col_levels)))
    for r, row_level in enumerate(row_levels):
        for c, col_level in enumerate(col_levels):
            facet = data
            for key, level in ((lay.row, row_level), (lay.col, col_level)):
                if key:
                    facet = facet[_in_facet(facet, key, level)]
            values = np.abs(facet[[k for k in POINT if k in facet.columns]].to_numpy(float))
            values = values[np.isfinite(values)]  # an open interval's inf is no scale
            size[r, c] = values.max() if values.size else 0.0

    def comparable(sizes: np.ndarray) -> bool:
        sizes = sizes[sizes > 0]  # a panel at 0 fits any scale
        return sizes.size == 0 or sizes.max() <= COMPARABLE * sizes.min()

    if comparable(size.ravel()):
        return True
    if all(comparable(row) for row in size):
        return "row"
    if all(comparable(col) for col in size.T):
        return "col"
    return False


def _log_floor(data: pd.DataFrame) -> float:
    """The foot of a log y axis: a little below the smallest positive number drawn."""
    drawn = data[["value", "expected", "ci_low"]].to_numpy(float).ravel()
    positive = drawn[np.isfinite(drawn) & (drawn > 0)]
    return float(positive.min()) / 1.6 if positive.size else 1e-3


def _spaced(values: np.ndarray) -> set:
    """The settings on a log axis whose labels do not collide: from the left, each at least
    a seventh of the axis after the last one labelled (the largest always labelled)."""
    logs = np.log10(values)
    gap = (logs[-1] - logs[0]) / 7
    kept = [len(logs) - 1]
    for i in range(len(logs) - 2, -1, -1):  # from the right, so the largest keeps its label
        if logs[kept[-1]] - logs[i] >= gap:
            kept.append(i)
    return {float(values[i]) for i in kept}


def _panel_width(x_order) -> float:
    """A panel's width: room for each category's tick when there are many."""
    return max(PANEL[0], 0.3 * len(x_order)) if x_order else PANEL[0]


def _label_height(x_order) -> float:
    """Height under the panels for categories' tick labels set upright (many, or long)."""
    if not _upright(x_order):
        return 0.0
    return 0.07 * max(len(str(v)) for v in x_order)


def _upright(x_order) -> bool:
    return bool(x_order) and (len(x_order) > 6 or sum(len(str(v)) for v in x_order) > 60)


def _scale(ax, data: pd.DataFrame, x: str, logx: bool, logy: bool, symlogy, x_order) -> None:
    if x_order:
        ax.set_xticks(range(len(x_order)), [level_name(x, v) for v in x_order],
                      rotation=90 if _upright(x_order) else 0)
    elif logx:
        ax.set_xscale("log")
        _log_ticks(ax.xaxis, data[x].to_numpy(float))
        values = np.unique(data[x].to_numpy(float))
        values = values[np.isfinite(values) & (values > 0)]
        if 0 < len(values) <= 8:  # few settings: a tick at each, labelled as set where labels fit
            from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

            labelled = sorted(_spaced(values))  # the others get a minor tick: every major one has a label
            ax.xaxis.set_major_locator(FixedLocator(labelled))
            ax.xaxis.set_major_formatter(FuncFormatter(_number))
            ax.xaxis.set_minor_locator(FixedLocator([v for v in values if float(v) not in labelled]))
            ax.xaxis.set_minor_formatter(NullFormatter())
    if logy:
        ax.set_yscale("log")
        drawn = data[["value", "expected", "ci_high"]].to_numpy(float).ravel()
        _log_ticks(ax.yaxis, drawn)
        ax.set_ylim(bottom=_log_floor(data))
        _reach_a_labelled_tick(ax.yaxis, ax.set_ylim, drawn)
    elif symlogy:  # log scale that still shows zeros: linear within ±symlogy
        ax.set_yscale("symlog", linthresh=float(symlogy))
        if (data["value"] >= 0).all():
            drawn = data[["value", "expected", "ci_high"]].to_numpy(float)
            top = np.nanmax(drawn[np.isfinite(drawn)], initial=float(symlogy))
            ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1], 1.4 * top))  # room for the marker at the top
            _symlog_ticks(ax.yaxis, float(symlogy), ax.get_ylim()[1])


def drawable(summary: pd.DataFrame, plots: Sequence[dict]) -> list[dict]:
    """The specs that draw something from these rows; each one left out is named in a note on
    stderr, with why (a preset's figure of a metric that the mechanism chosen instead does not
    report; x = ε for an exact protocol, which makes no ε claim)."""
    kept, summary = [], unfold(summary)
    for spec in plots:
        if not summary["metric"].isin(spec_metrics(spec)).any():
            why = f"no row has its metric, {spec['metric']}"
        else:
            lay = layout(summary, spec)
            why = f"no row has a value of its x, {lay.x}" if lay.data[lay.x].isna().all() else ""
        if why:
            print(f"simprive: note: figure {spec.get('name', 'figure')} not drawn: {why}", file=sys.stderr)
        else:
            kept.append(spec)
    return kept


def draw_all(summary: pd.DataFrame, plots: Sequence[dict], out_dir, constants: dict | None = None) -> list[Path]:
    """Draw every spec in ``plots`` and save each as PNG and SVG under ``out_dir``."""
    return [path for spec in drawable(summary, plots) for path in save(draw(summary, constants, **spec), spec["name"],
                                                                      out_dir)]


def save(fig, name: str, out_dir) -> list[Path]:
    """Write ``fig`` as ``name``.png and .svg in ``out_dir``, byte-stable, and close it."""
    import matplotlib.pyplot as plt

    paths = []
    for fmt in FORMATS:
        buf = io.BytesIO()
        with plt.rc_context(RC):
            fig.savefig(buf, format=fmt, metadata=METADATA[fmt])
        path = Path(out_dir) / f"{name}.{fmt}"
        write_atomic(path, buf.getvalue())
        paths.append(path)
    plt.close(fig)
    return paths

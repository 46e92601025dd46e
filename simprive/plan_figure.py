"""The plan's figure, drawn from ``plan_curves.csv`` and ``plan.csv`` alone: for each target a
panel in the plane of the key solved for and the target's statistic — each approach's curve
(the closed form as a line, simulations as points with their 95% intervals), the target as a
black line with its infeasible side shaded, and each approach's answer marked; and, for a plan
over several keys, the Pareto figure in the plane of the first two."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simprive.display import key_name
from simprive.figures import PANEL, RC, STYLES, mechanism_colours, save

__all__ = ["draw_pareto", "draw_plan", "save_pareto_figure", "save_plan_figure"]

NAME = "plan"


def _rest(row: pd.Series, keys: list[str]) -> str:
    """What tells apart approaches of one mechanism: the other keys' values."""
    return " ".join(f"{k}={row[k]}" for k in keys if k != "mechanism" and pd.notna(row[k]))


def draw_plan(curves: pd.DataFrame, plan: pd.DataFrame, keys: list[str]):
    """The figure: one panel per target; ``keys`` are the columns that tell approaches apart
    (colour: the mechanism, in its family's colour; line style: the other keys)."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    solve = plan["solve"].iloc[0]
    targets = list(dict.fromkeys(plan["target"]))
    mechanisms = list(dict.fromkeys(plan["mechanism"].astype(str)))
    colour = mechanism_colours(mechanisms)
    rests = list(dict.fromkeys(_rest(r, keys) for _, r in plan.iterrows()))
    style = {r: STYLES[i % len(STYLES)] for i, r in enumerate(rests)}
    curves = curves.assign(_rest=[_rest(r, keys) for _, r in curves.iterrows()])
    with plt.rc_context(RC):
        fig, axes = plt.subplots(1, len(targets), figsize=(max(PANEL[0] * len(targets), 5.5), PANEL[1] + 1.0),
                                 squeeze=False)
        for ax, target in zip(axes[0], targets):
            rows = plan[plan["target"] == target]
            first = rows.iloc[0]
            for _, r in rows.iterrows():
                c, (ls, marker) = colour[str(r["mechanism"])], style[_rest(r, keys)]
                mine = curves[(curves["target"] == target) & (curves["mechanism"].astype(str) == str(r["mechanism"]))
                              & (curves["_rest"] == _rest(r, keys))].sort_values(solve)
                exact = mine["route"] == "closed form"
                ax.plot(mine.loc[exact, solve], mine.loc[exact, "stat"], color=c, lw=1.4, ls=ls)
                sim = mine[~exact]
                if len(sim):
                    ax.errorbar(sim[solve], sim["stat"], yerr=[sim["stat"] - sim["ci_low"], sim["ci_high"] - sim["stat"]],
                                color=c, fmt=marker, ms=3, lw=0.8, ls=ls, capsize=2)
                if bool(r["feasible"]):
                    ax.axvline(float(r["value"]), color=c, lw=0.9, ls=":")
                    if pd.notna(r["at_answer"]):
                        ax.plot([float(r["value"])], [float(r["at_answer"])], marker="*", ms=9, color=c,
                                mec="black", mew=0.5, ls="none")
            limit = float(first["limit"])
            ax.axhline(limit, color="black", lw=1.1)
            values = curves[solve].astype(float)
            if values.min() > 0 and values.max() / values.min() >= 10:
                ax.set_xscale("log")
            drawn = curves.loc[curves["target"] == target, "stat"].astype(float)
            if drawn.min() > 0 and drawn.max() / drawn.min() >= 100:
                ax.set_yscale("log")
            _shade(ax, curves[curves["target"] == target], limit, first["bound"] == "at_most")
            ax.set_xlabel(key_name(solve))
            stat = "mean" if first["stat"] == "mean" else f"{first['q']:g} quantile"
            ax.set_ylabel(f"{first['metric']}, {stat} over trials")
            ax.set_title(target)
        handles = [Line2D([], [], color=colour[m], lw=1.4) for m in mechanisms]
        labels = [f"mechanism={m}" for m in mechanisms]
        if len(rests) > 1:
            handles += [Line2D([], [], color="0.35", ls=style[r][0], marker=style[r][1], ms=3) for r in rests]
            labels += rests
        handles += [Line2D([], [], color="black", lw=1.1), Line2D([], [], color="0.3", ls=":", marker="*", mec="black")]
        labels += ["target (shaded: missed)", "answer (simulated there)"]
        rows_of_legend = -(-len(labels) // 2)
        fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False)
        direction = plan["direction"].iloc[0]
        fig.suptitle(f"{plan_title(plan)}: the {direction} {key_name(solve)} at which every target holds")
        fig.set_figheight(PANEL[1] + 1.0 + 0.2 * rows_of_legend)
        fig.tight_layout(rect=(0, 0.2 * rows_of_legend / fig.get_figheight() + 0.02, 1, 1))
    return fig


def plan_title(plan: pd.DataFrame) -> str:
    return str(plan["experiment"].iloc[0]) if "experiment" in plan else "plan"


def _shade(ax, curves: pd.DataFrame, limit: float, at_most: bool) -> None:
    """The side of the target line where the target is missed, pale."""
    stat = curves[["stat", "ci_low", "ci_high"]].astype(float).to_numpy()
    finite = stat[np.isfinite(stat)]
    low, high = (min(finite.min(), limit), max(finite.max(), limit)) if finite.size else (limit, limit)
    span = high - low or abs(limit) or 1.0
    top, bottom = high + 0.1 * span, low - 0.1 * span
    if ax.get_yscale() == "log" or (finite.size and finite.min() > 0):
        bottom = max(bottom, finite.min() / 2 if finite.size else bottom)
    ax.axhspan(limit, top, color="0.88", lw=0) if at_most else ax.axhspan(bottom, limit, color="0.88", lw=0)
    ax.set_ylim(bottom, top)


def save_plan_figure(curves: pd.DataFrame, plan: pd.DataFrame, keys: list[str], out_dir) -> list[Path]:
    """Draw the figure and write it as PNG and SVG, byte-stable."""
    return save(draw_plan(curves, plan, keys), NAME, out_dir)


def draw_pareto(points: pd.DataFrame, tried: pd.DataFrame, lines: pd.DataFrame, plan: pd.DataFrame, keys: list[str],
                solved: list[str]):
    """A plan over several keys in the plane of the first two: every trial Optuna ran (small,
    pale; crossed where it missed a target), each approach's Pareto points (filled: every target
    met when simulated; hollow: one missed), the closed-form targets' boundaries as lines, and
    each approach's chosen point as a star."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    k1, k2 = solved[:2]
    mechanisms = list(dict.fromkeys(plan["mechanism"].astype(str)))
    colour = mechanism_colours(mechanisms)
    targets = list(dict.fromkeys(plan["target"]))
    dash = {t: STYLES[(i + 1) % len(STYLES)][0] for i, t in enumerate(targets)}
    rests = list(dict.fromkeys(_rest(r, keys) for _, r in plan.iterrows()))
    marker = {r: STYLES[i % len(STYLES)][1] for i, r in enumerate(rests)}
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(6.0, 4.6))
        shaded: list = []
        for _, r in tried.iterrows():
            ax.plot([r[k1]], [r[k2]], marker="." if bool(r["meets_targets"]) else "x", ms=4, ls="none",
                    color=colour[str(r["mechanism"])], alpha=0.35)
        each = points.drop_duplicates(subset=[*keys, "point"])
        for _, r in each.iterrows():
            c = colour[str(r["mechanism"])]
            ax.plot([r[k1]], [r[k2]], marker=marker[_rest(r, keys)], ms=5, ls="none", mec=c,
                    mfc=c if bool(r["feasible"]) else "none")
        if len(lines):
            tagged = lines.assign(_rest=[_rest(r, keys) for _, r in lines.iterrows()])
            for (mech, _, target), group in tagged.groupby(["mechanism", "_rest", "target"], sort=False):
                group = group.dropna(subset=[k2]).sort_values(k1)
                ax.plot(group[k1], group[k2], color=colour[str(mech)], lw=1.1, ls=dash[target])
                shaded.append(group)
        for _, r in plan.drop_duplicates(subset=keys).iterrows():
            if bool(r["feasible"]):
                ax.plot([float(r[k1])], [float(r[k2])], marker="*", ms=12, color=colour[str(r["mechanism"])],
                        mec="black", mew=0.6, ls="none")
        for k, setter in ((k1, ax.set_xscale), (k2, ax.set_yscale)):
            v = points[k].astype(float)
            if v.min() > 0 and v.max() / v.min() >= 10:
                setter("log")
        bottom, top = ax.get_ylim()
        for group in shaded:  # the side of each boundary where its target is missed, pale
            if len(group) > 1:
                edge = bottom if group["holds_above"].all() else top
                ax.fill_between(group[k1], group[k2], edge, color="0.9", lw=0, zorder=0)
        ax.set_ylim(bottom, top)
        ax.set_xlabel(key_name(k1))
        ax.set_ylabel(key_name(k2))
        handles = [Line2D([], [], color=colour[m], marker="o", ls="none") for m in mechanisms]
        labels = [f"mechanism={m}" for m in mechanisms]
        if len(rests) > 1:
            handles += [Line2D([], [], color="0.35", marker=marker[r], ls="none") for r in rests]
            labels += rests
        if len(lines):
            handles += [Line2D([], [], color="0.3", ls=dash[t]) for t in targets if t in set(lines["target"])]
            labels += [f"{t} (boundary, closed form; shaded: missed)" for t in targets if t in set(lines["target"])]
        handles += [Line2D([], [], color="0.3", marker="o", mfc="none", ls="none"),
                    Line2D([], [], color="0.3", marker="*", mec="black", ms=10, ls="none")]
        handles.insert(-2, Line2D([], [], color="0.3", marker=".", ls="none", alpha=0.5))
        handles.insert(-2, Line2D([], [], color="0.3", marker="x", ls="none", alpha=0.5))
        labels += ["every trial Optuna ran (meets the targets)", "every trial Optuna ran (misses one)",
                   "Pareto point missing a target when simulated (hollow)", "chosen point"]
        columns = 1 if max(map(len, labels)) > 38 else 2
        fig.legend(handles, labels, loc="lower center", ncol=columns, frameon=False)
        rows_of_legend = -(-len(labels) // columns)
        fig.set_figheight(4.0 + 0.2 * rows_of_legend)
        fig.suptitle(f"{plan_title(plan)}: Pareto fronts over {key_name(k1)} and {key_name(k2)} (Optuna NSGA-II)")
        fig.tight_layout(rect=(0, 0.2 * rows_of_legend / fig.get_figheight() + 0.02, 1, 1))
    return fig


def save_pareto_figure(points, tried, lines, plan, keys, solved, out_dir) -> list[Path]:
    """Draw the Pareto figure and write it as PNG and SVG, byte-stable."""
    return save(draw_pareto(points, tried, lines, plan, keys, solved), "pareto", out_dir)

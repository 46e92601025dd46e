"""Figures: drawn from long-form summary rows, nothing dropped, nothing averaged, byte-stable."""

import numpy as np
import pandas as pd
import pytest

from simprive import ConfigError
from simprive.figures import draw, draw_all, fill, layout


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def rows(**columns):
    n = len(next(iter(columns.values())))
    base = {"metric": ["m"] * n, "value": np.arange(1, n + 1, dtype=float), "ci_low": 0.5, "ci_high": 9.0,
            "expected": np.nan}
    return pd.DataFrame({**base, **columns})


def titles(fig):
    return [ax.get_title() for ax in fig.axes]


def test_rows_without_a_facet_value_join_every_panel():
    """A blank facet cell is a release that does not depend on the key (exact MPC has no ε):
    the same line belongs in every panel."""
    frame = rows(x=[1, 2, 1, 2, 1, 2], mechanism=["laplace"] * 4 + ["mpc_sum"] * 2,
                 epsilon=[0.5, 0.5, 1, 1, np.nan, np.nan])
    fig = draw(frame, metric="m", x="x", hue="mechanism", col="epsilon")
    assert titles(fig) == ["ε = 0.5", "ε = 1"]
    assert all(len(ax.get_lines()) >= 2 for ax in fig.axes[:2])  # laplace and mpc_sum in each


def test_a_facet_key_blank_everywhere_is_one_panel():
    frame = rows(x=[1, 2], mechanism=["mpc_sum"] * 2, epsilon=[np.nan, np.nan])
    fig = draw(frame, metric="m", x="x", hue="mechanism", col="epsilon")
    assert len(titles(fig)) == 1


def test_hue_levels_follow_numeric_order():
    frame = rows(x=[1, 1, 1], n=[1000, 100, 10])
    fig = draw(frame, metric="m", x="x", hue="n")
    labels = [t.get_text() for t in fig.legends[0].texts]
    assert labels[:4] == ["n (parties)", "10", "100", "1,000"]


def test_a_key_the_spec_does_not_show_is_faceted_never_averaged():
    frame = rows(x=[1, 2] * 4, mechanism=["laplace"] * 8, epsilon=[0.1] * 4 + [10.0] * 4, seed=[0, 0, 1, 1] * 2)
    lay = layout(frame, {"metric": "m", "x": "x", "hue": "mechanism"})
    assert lay.added == ("epsilon", "seed") and (lay.col, lay.row) == ("epsilon", "seed")
    assert lay.data.groupby(lay.mapped).size().max() == 1  # one row per point of a line
    fig = draw(frame, metric="m", x="x", hue="mechanism")
    assert titles(fig) == ["seed = 0 · ε = 0.1", "seed = 0 · ε = 10", "seed = 1 · ε = 0.1", "seed = 1 · ε = 10"]


def test_a_key_with_no_free_facet_is_refused_by_name():
    grid = pd.MultiIndex.from_product([[1, 2], [0, 1], [0, 1], [0, 1], [0, 1]], names=list("xabcd")).to_frame()
    frame = rows(**{k: grid[k].to_numpy() for k in "xabcd"})
    with pytest.raises(ConfigError) as err:  # a to col, b to row, c to style: no slot for d
        layout(frame, {"name": "f", "metric": "m", "x": "x"})
    assert err.value.key == "figure.plots.f" and err.value.value == "d" and "map it" in str(err.value)


def test_a_key_that_moves_with_a_shown_one_needs_no_facet():
    # the adversary's known fraction is what `aux` counts: one row per aux value
    frame = rows(aux=[0, 5, 10], **{"adversary.known_fraction": [0.0, 0.5, 1.0]})
    assert layout(frame, {"metric": "m", "x": "aux"}).added == ()


def test_titles_fill_only_what_is_one_value():
    one = rows(x=[1, 2], epsilon=[1.0, 1.0], n=[11, 11])
    assert fill("Leakage (ε = {epsilon})", one) == "Leakage (ε = 1)"
    assert fill("known (of n − 1 = {n-1})", one) == "known (of n − 1 = 10)"
    two = rows(x=[1, 2], epsilon=[0.1, 10.0])
    assert fill("Leakage (ε = {epsilon})", two) == "Leakage"
    assert fill("servers (of {mechanism.servers})", two, {"mechanism.servers": 5}) == "servers (of 5)"
    assert fill("servers (of {mechanism.servers})", two) == "servers"


def test_zeros_on_a_log_axis_are_marked_at_its_foot_not_drawn(tmp_path):
    frame = rows(x=[1, 2, 3], value=[10.0, 0.0, 100.0], ci_low=[5.0, 0.0, 0.0])
    fig = draw(frame, metric="m", x="x", logy=True)
    ax = fig.axes[0]
    assert ax.get_ylim()[0] > 0
    assert any(line.get_marker() == "v" for line in ax.lines)
    assert "0 (below the log axis)" in [t.get_text() for t in fig.legends[0].texts]


def test_the_same_table_draws_the_same_bytes(tmp_path):
    frame = rows(x=[1, 2, 3, 4], mechanism=["laplace", "laplace", "mpc_sum", "mpc_sum"], expected=1.5)
    spec = {"name": "f", "metric": "m", "x": "x", "hue": "mechanism", "title": "t"}
    a = [p.read_bytes() for p in draw_all(frame, [spec], tmp_path / "a")] if (tmp_path / "a").mkdir() is None else []
    b = [p.read_bytes() for p in draw_all(frame, [spec], tmp_path / "b")] if (tmp_path / "b").mkdir() is None else []
    assert a == b and len(a) == 2


def test_a_reference_metric_is_drawn_only_where_the_table_has_it(tmp_path):
    from simprive import run_experiment

    s = run_experiment("referendum", ["trials=200", "adversary.known_fraction=[0.0,1.0]"]).summary
    spec = {"name": "acc", "metric": "attack_correct", "x": "aux", "hue": "mechanism", "col": "scenario.p",
            "reference": "accuracy_bound", "title": "t"}
    assert len(draw_all(s, [spec], tmp_path)) == 2
    # a table without the reference metric (no DP release in it) draws without it
    exact = s[s.mechanism == "mpc_tally"]
    assert len(draw_all(exact, [spec], tmp_path)) == 2
    spec_no_hue = {**spec, "hue": None}
    assert len(draw_all(exact, [spec_no_hue], tmp_path)) == 2


PRESETS = sorted(p.stem for p in __import__("simprive.config", fromlist=["EXPERIMENTS_DIR"]).EXPERIMENTS_DIR.glob("*.yaml"))


@pytest.mark.parametrize("preset", PRESETS)
def test_no_preset_figure_averages_a_key_swept_on_top(preset):
    """Every preset's figures with one more key swept (the seed): each figure shows it — a
    facet or a style — or refuses by name; no line joins rows that differ in it."""
    from simprive.config import compose
    from simprive.grid import expand
    from simprive.runner import CURVE_KEYS, extra_columns, identity_row, plan

    overrides = [f"experiment={preset}", "seed=[0,1]"]
    cfg = compose(overrides)
    points, axes = expand(cfg)
    extra = extra_columns(points[0], axes, overrides[1:])
    # one row per configuration, as the runner runs them (points that differ only in keys
    # their kind ignores or does not take are one)
    configs = pd.DataFrame([identity_row(cfg, plan(p), extra) for p in points]).drop_duplicates("config_hash")
    for spec in (cfg.get("figure") or {}).get("plots") or []:
        metrics = spec["metric"] if isinstance(spec["metric"], list) else [spec["metric"]]
        frame = pd.concat([configs.assign(metric=m) for m in metrics], ignore_index=True)
        frame = frame.assign(**{k: 0.0 for k in CURVE_KEYS if k in spec.values()})  # a curve's x
        try:
            # every row its own value: a key that changes the data (here all of them) is never dropped
            lay = layout(frame.assign(value=np.arange(len(frame), dtype=float), expected=np.nan), spec)
        except ConfigError as err:
            assert err.value == "seed"
            continue
        assert "seed" in lay.mapped and lay.data.groupby(lay.mapped, dropna=False).size().max() == 1


def test_results_draw_their_figures_in_memory_and_show_as_a_table():
    from simprive import run_experiment

    res = run_experiment("poll", ["trials=50", "n=[100,1000]"])
    assert res.figures == [] and res.out_dir is None  # nothing written
    figs = res.draw()
    # RR's error does not depend on the true share p (its closed form is one for all three):
    # one panel, said in the title
    assert len(figs) == 1 and len(figs[0].axes) == 1
    assert "same for every share p of 1s: 0.1, 0.5, 0.9" in suptitle(figs[0])
    html = res._repr_html_()
    assert "<table" in html and f"{len(res.summary)} rows × {res.summary.shape[1]} columns" in html


def suptitle(fig):
    """The figure's title as one line (it is wrapped to the panels' width)."""
    return " ".join(fig._suptitle.get_text().replace("\u00a0", " ").split()) if fig._suptitle else ""


def test_a_key_that_changes_no_point_is_drawn_once_and_said():
    # the bytes do not depend on the servers: two identical panels become one, named in the title
    frame = rows(x=[1, 2, 1, 2], value=[3.0, 4.0, 3.0, 4.0], epsilon=np.nan, **{"mechanism.servers": [2, 2, 3, 3]})
    fig = draw(frame, metric="m", x="x", title="t")
    assert len(fig.axes) == 1 and titles(fig) == [""]
    assert suptitle(fig) == "t same for every servers: 2, 3"
    # a facet the spec asks for is dropped too when it changes nothing
    fig = draw(frame, metric="m", x="x", col="mechanism.servers", title="t")
    assert len(fig.axes) == 1 and "same for every servers" in suptitle(fig)
    # one point that differs keeps the facets
    fig = draw(frame.assign(value=[3.0, 4.0, 3.0, 5.0]), metric="m", x="x", title="t")
    assert len(fig.axes) == 2 and "same" not in suptitle(fig)


def test_simulations_of_one_closed_form_are_drawn_once_only_when_they_agree_with_it():
    # each prior has its own random stream; the closed form and the check say they estimate one thing
    frame = rows(x=[1, 1], value=[0.040, 0.047], ci_low=[0.032, 0.038], ci_high=[0.050, 0.057], expected=0.044,
                 agreement="agrees", **{"adversary.prior": [0.1, 0.5]})
    assert layout(frame, {"metric": "m", "x": "x"}).same == (("adversary.prior", (0.1, 0.5)),)
    assert layout(frame.assign(agreement=["agrees", "differs"]), {"metric": "m", "x": "x"}).col == "adversary.prior"
    assert layout(frame.assign(expected=[0.044, 0.05]), {"metric": "m", "x": "x"}).col == "adversary.prior"


def test_what_the_adversary_knows_does_not_redraw_the_release_so_its_panels_are_one():
    from simprive import run_experiment
    from simprive.identity import streams

    point = {"mechanism.kind": "laplace", "epsilon": 1.0, "adversary.kind": "knows_others",
             "adversary.known_fraction": 0.5}
    a, b = streams(0, {}, point), streams(0, {}, {**point, "adversary.known_fraction": 1.0})
    assert a["mechanism"].random() == b["mechanism"].random() and a["adversary"].random() != b["adversary"].random()
    # a point without adversary settings keeps its streams
    from simprive.identity import config_hash

    plain = {"mechanism.kind": "laplace", "epsilon": 1.0, "adversary.kind": "none"}
    old = np.random.Generator(np.random.PCG64(np.random.SeedSequence(0, spawn_key=(int(config_hash(plain)[:16], 16), 1))))
    assert streams(0, {}, plain)["mechanism"].random() == old.random()
    res = run_experiment("outlier_sum", ["trials=200", "upper=[3000,100000]"])
    fig = draw(res.summary, metric="abs_error", x="upper", hue="mechanism", col="adversary.known_fraction", title="t")
    assert len(fig.axes) == 1 and suptitle(fig) == "t (ε = 1) same for every share of others known: 0.5, 1"
    # wrapped to the panel's width, so it does not run under the legend
    assert max(len(line) for line in fig._suptitle.get_text().split("\n")) <= 12 * (fig.get_figwidth() - 2.6)


def test_p_is_the_share_of_1s_in_a_poll_and_the_prior_where_an_adversary_reads_it():
    poll = rows(x=[1, 1], adversary="none", **{"scenario.p": [0.1, 0.9]})
    assert titles(draw(poll, metric="m", x="x")) == ["share p of 1s = 0.1", "share p of 1s = 0.9"]
    attacked = poll.assign(adversary="knows_votes")
    assert titles(draw(attacked, metric="m", x="x")) == ["prior p = 0.1", "prior p = 0.9"]


def major_labels(fig, ax, axis="x"):
    """(position, label) of each major tick inside the axis's view, as drawn."""
    fig.canvas.draw()
    which = ax.xaxis if axis == "x" else ax.yaxis
    low, high = sorted(which.get_view_interval())
    return [(t.get_loc(), t.label1.get_text()) for t in which.get_major_ticks() if low <= t.get_loc() <= high]


def test_panels_share_y_only_where_their_scales_are_comparable():
    # ε = 0.1 reaches 4·10⁶, ε = 10 stays near 400: one linear y would flatten the second to 0
    frame = rows(x=[1, 2] * 4, value=[2e6, 2.1e6, 4e6, 4.2e6, 200.0, 210.0, 400.0, 410.0],
                 ci_low=np.nan, ci_high=np.nan, epsilon=[0.1] * 4 + [10.0] * 4, second=["no", "no", "yes", "yes"] * 2)
    fig = draw(frame, metric="m", x="x", col="second", row="epsilon")
    (a, b), (c, d) = np.array(fig.axes).reshape(2, 2)
    shared = a.get_shared_y_axes()
    assert shared.joined(a, b) and shared.joined(c, d) and not shared.joined(a, c)
    assert c.get_ylim()[1] < 1000 < a.get_ylim()[1]
    # comparable panels still share one scale
    fig = draw(frame[frame.epsilon == 10.0], metric="m", x="x", col="second")
    assert fig.axes[0].get_shared_y_axes().joined(*fig.axes)
    # an exact ε of inf (floating-point Laplace) is no scale
    fig = draw(frame[frame.epsilon == 10.0].assign(expected=[np.inf, 1, 2, 3]), metric="m", x="x", col="second")
    assert fig.axes[0].get_shared_y_axes().joined(*fig.axes)


def test_round_off_of_zero_is_zero_on_a_log_axis():
    # RR's squared error at one trial: 3e-33 is 0 computed in floating point
    frame = rows(x=[1, 10], value=[0.1, 3e-33], ci_low=[0.05, 3e-33], ci_high=[0.2, 3e-33])
    fig = draw(frame, metric="m", x="x", logy=True)
    ax = fig.axes[0]
    assert ax.get_ylim()[0] > 1e-3
    assert any(line.get_marker() == "v" for line in ax.lines)


def test_every_major_tick_has_a_label():
    # Engel's bounds: 750 and 1,500 do not fit a label beside 1,000 and 2,000; they keep a minor tick
    frame = rows(x=[500, 750, 1000, 1500, 2000, 3000, 5000], value=[1e5, 7e4, 4e4, 2e4, 6e3, 2e3, 500.0])
    fig = draw(frame, metric="m", x="x", logx=True, logy=True)
    ax = fig.axes[0]
    ticks = major_labels(fig, ax)
    assert ticks and all(label for _, label in ticks)
    assert {round(v) for v in ax.xaxis.get_minorticklocs()} >= {750, 1500}
    assert not any(t.label1.get_text() for t in ax.xaxis.get_minor_ticks())
    # a log y within a decade (0.47 to 4.3): labelled up past the top, not only at 0.5, 1, 2
    frame = rows(x=[0, 9], value=[0.47, 4.3], ci_low=[0.47, 4.3], ci_high=[0.47, 4.3])
    fig = draw(frame, metric="m", x="x", logy=True)
    ticks = major_labels(fig, fig.axes[0], "y")
    assert all(label for _, label in ticks) and max(v for v, _ in ticks) >= 4.3
    # a top just past a labelled tick (1.016·10⁶ over 10⁶) is read against it: no stretch to 2·10⁶
    frame = rows(x=[0, 9], value=[1e5, 1.016e6], ci_low=[1e5, 1.016e6], ci_high=[1e5, 1.016e6])
    assert draw(frame, metric="m", x="x", logy=True).axes[0].get_ylim()[1] < 1.5e6


def test_a_count_of_the_others_known_is_drawn_as_a_share_where_n_varies():
    fraction = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0] * 2
    n = [5] * 6 + [50] * 6
    aux = [round(f * (k - 1)) for f, k in zip(fraction, n)]  # 0.4 and 0.6 of 4 others: both 2
    value = [0.1, 0.2, 0.3, 0.3, 0.5, 1.0, 0.0, 0.0, 0.0, 0.0, 0.1, 1.0]
    frame = rows(aux=aux, n=n, value=value, adversary="knows_votes", **{"adversary.known_fraction": fraction})
    spec = {"metric": "m", "x": "aux", "xlabel": "other votes known (of n − 1 = {n-1})"}
    lay = layout(frame, spec)
    assert (lay.x, lay.col, lay.style) == ("aux_share", "n", None)
    fig = draw(frame, **spec)
    assert [len(ax.lines[0].get_xdata()) for ax in fig.axes] == [5, 6]  # one line each, not dots
    assert fig.axes[0].get_shared_x_axes().joined(*fig.axes) and max(fig.axes[0].lines[0].get_xdata()) == 1.0
    assert fig._supxlabel.get_text() == "share of the other votes the adversary knows"
    assert "share of others known" not in [t.get_text() for t in fig.legends[0].texts]
    # one n: the count, labelled as the spec says
    assert layout(frame[frame.n == 50], spec).x == "aux"


def legend_texts(fig):
    return [t.get_text().replace("\u00a0", " ") for t in fig.legends[0].texts]


def test_coinciding_lines_are_set_apart_and_the_legend_says_so():
    # geometric noise under the noisy sum: the same error at every ε
    frame = rows(x=[1, 2, 1, 2, 1, 2], value=[5.0, 2.0, 5.0, 2.0, 50.0, 20.0],
                 mechanism=["laplace"] * 2 + ["mpc_noisy_sum"] * 2 + ["rr"] * 2)
    fig = draw(frame, metric="m", x="x", hue="mechanism")
    lines = {tuple(line.get_ydata()): line for line in fig.axes[0].lines if line.get_marker() not in ("None", "")}
    texts = legend_texts(fig)
    assert "noisy sum (MPC + DP)\n(coincides with Laplace)" in texts and "randomized response" in texts
    under, over = [line for line in fig.axes[0].lines if list(line.get_ydata()) == [5.0, 2.0]]
    assert under.get_marker() != over.get_marker() and under.get_markersize() > over.get_markersize()
    assert over.get_linestyle() != "-" and over.get_zorder() > under.get_zorder()
    assert len(lines) >= 2
    # lines apart in one panel, together in another: the legend names the panel
    two = pd.concat([frame.assign(p=0.5), frame.assign(p=0.9, value=[5.0, 2.0, 6.0, 9.0, 50.0, 20.0])])
    texts = legend_texts(draw(two, metric="m", x="x", hue="mechanism", col="p"))
    assert "noisy sum (MPC + DP)\n(coincides with Laplace at p = 0.5)" in texts


def test_a_bound_on_a_line_is_drawn_over_a_halo_and_said():
    frame = rows(x=[1, 2, 1, 2], value=[0.7, 0.7, 0.6, 0.65], mechanism=["rr", "rr", "geometric", "geometric"])
    frame = frame.assign(ci_low=frame.value - 0.01, ci_high=frame.value + 0.01)
    bound = frame[frame.mechanism == "rr"].assign(metric="bound", value=0.7)
    fig = draw(pd.concat([frame, bound]), metric="m", x="x", hue="mechanism", reference="bound", dotted="the bound")
    assert "the bound\n(coincides with randomized response)" in legend_texts(fig)
    assert any(line.get_linewidth() >= 5 for line in fig.axes[0].lines)  # the halo under the dotted line


def hue_colours(fig):
    """Legend label → colour of each hue entry (the entries with a marker)."""
    legend = fig.legends[0]
    return {t.get_text(): tuple(h.get_color()) for t, h in zip(legend.texts, legend.legend_handles)
            if h.get_marker() not in ("None", None, "") and isinstance(h.get_color(), tuple)}


def test_contrasted_members_of_one_family_get_colours_apart():
    from matplotlib import colormaps

    tab10 = [tuple(c) for c in colormaps["tab10"].colors]
    broken = ["broken_laplace_scale", "broken_no_clamp", "broken_svt", "broken_noisy_max"]
    frame = rows(x=[1] * 6, value=np.arange(6.0), mechanism=["laplace", "geometric", *broken])
    colours = hue_colours(draw(frame, metric="m", x="x", hue="mechanism"))
    assert len(colours) == 6 and len(set(colours.values())) == 6 and set(colours.values()) <= set(tab10)
    assert colours["Laplace"] == tab10[0]  # a family's first member keeps the family's colour
    # families contrasted, one member each: the family colours, the same in every figure
    colours = hue_colours(draw(rows(x=[1, 1], mechanism=["laplace", "rr"]), metric="m", x="x", hue="mechanism"))
    assert colours == {"Laplace": tab10[0], "randomized response": tab10[1]}


def test_a_privacy_figure_says_its_epsilon_and_delta():
    frame = rows(x=[1, 2, 1, 2], mechanism=["laplace"] * 2 + ["exact"] * 2, epsilon=[1.0, 1.0, np.nan, np.nan])
    assert suptitle(draw(frame, metric="m", x="x", hue="mechanism", title="Differencing attack")) == \
        "Differencing attack (ε = 1)"
    gaussian = frame.assign(delta=[1e-5, 1e-5, np.nan, np.nan])
    assert suptitle(draw(gaussian, metric="m", x="x", hue="mechanism", title="t")) == "t (ε = 1, δ = 10⁻⁵)"
    # said already, or shown on a facet: not repeated
    assert suptitle(draw(frame, metric="m", x="x", hue="mechanism", title="t (ε = {epsilon})")) == "t (ε = 1)"
    two = frame.assign(epsilon=[0.1, 0.1, 10.0, 10.0])
    assert suptitle(draw(two, metric="m", x="x", hue="mechanism", title="t")) == "t"


def test_exact_values_are_not_called_simulated_and_one_setting_draws_a_bar():
    computed = rows(x=[1, 2], value=[1.0, 2.0], ci_low=[1.0, 2.0], ci_high=[1.0, 2.0])
    texts = legend_texts(draw(computed, metric="m", x="x"))
    assert "exact or computed (no sampling error)" in texts and not any("simulated" in t for t in texts)
    mixed = pd.concat([computed.assign(metric="a"), rows(x=[1, 2], metric="b")])
    texts = legend_texts(draw(mixed, metric=["a", "b"], x="x"))
    assert "exact or computed (no sampling error)" in texts and "simulated (band: 95% CI)" in texts
    one = rows(x=[1, 1], mechanism=["laplace", "rr"])
    fig = draw(one, metric="m", x="x", hue="mechanism")
    assert "simulated (bar: 95% CI)" in legend_texts(fig) and len(fig.axes[0].containers) == 2  # an error bar each


def test_a_users_component_is_named_by_its_class_and_y_labels_stay_one_line():
    frame = rows(x=[1, 1], mechanism=["laplace", "mylab:Staircase"])
    long = "party 0's accuracy on Y-membership (MAP, with its prior) and more words"
    fig = draw(frame, metric="m", x="x", hue="mechanism", ylabel=long)
    assert "Staircase" in legend_texts(fig) and not any("mylab" in t for t in legend_texts(fig))
    label = fig.axes[0].yaxis.label
    assert label.get_text() == long and label.get_fontsize() < 9


def test_results_plot_is_a_seaborn_grid_with_the_summarys_bands():
    from simprive import Results

    frame = rows(x=[1, 2] * 4, value=np.arange(1.0, 9.0), ci_low=np.arange(1.0, 9.0) - 0.5,
                 ci_high=np.arange(1.0, 9.0) + 0.5, mechanism=["laplace"] * 4 + ["rr"] * 4, epsilon=[0.5] * 2 + [1.0] * 2
                 + [0.5] * 2 + [1.0] * 2)
    res = Results(summary=frame)
    grid = res.plot(x="x", hue="mechanism", col="epsilon", metric="m")
    assert grid.axes.shape == (1, 2) and [ax.get_title() for ax in grid.axes.flat] == ["epsilon = 0.5", "epsilon = 1.0"]
    ax = grid.axes.flat[0]
    lines = [line for line in ax.lines if len(line.get_xdata()) == 2]
    assert sorted(tuple(line.get_ydata()) for line in lines) == [(1.0, 2.0), (5.0, 6.0)]  # one per mechanism
    bands = ax.collections
    assert len(bands) == 2  # the summary's intervals, not a bootstrap
    tops = sorted(float(b.get_paths()[0].vertices[:, 1].max()) for b in bands)
    assert tops == [2.5, 6.5]
    # a column that varies and is not mapped: refused by name
    with pytest.raises(ConfigError) as err:
        res.plot(x="x", hue="mechanism", metric="m")
    assert err.value.value == "epsilon" and "not mapped" in str(err.value)


@pytest.mark.parametrize("name", ["../escape", "/tmp/abs", ".hidden", "a/b", "javascript:alert(1)", ""])
def test_a_figure_name_is_a_name_not_a_path(name, tmp_path):
    from simprive import ConfigError, run_experiment

    with pytest.raises(ConfigError) as err:
        run_experiment("poll", ["trials=10", "n=[100]", f"figure.plots.0.name='{name}'"], out_dir=tmp_path / "run")
    assert err.value.key == "figure.plots.0.name"
    assert not list(tmp_path.parent.glob("escape*")) and not (tmp_path / "run").exists()


def test_a_figure_whose_x_no_row_has_is_left_out_with_a_note(tmp_path, capsys):
    """x = ε for an exact protocol (no ε claim: NaN in every row) draws nothing: no empty figure."""
    from simprive import run_experiment

    res = run_experiment("bounded_sum", ["mechanism=mpc_client_server", "scenario.integer=true", "trials=20"],
                         out_dir=tmp_path)
    assert "figure bounded_sum_abs_error not drawn" in capsys.readouterr().err
    assert sorted(p.name for p in res.figures) == ["bounded_sum_bias.png", "bounded_sum_bias.svg"]


def test_a_presets_figure_of_a_metric_the_chosen_mechanism_lacks_is_left_out_with_a_note(tmp_path, capsys):
    """raise_average's view_corr figure with the client-server protocol, which has no view to
    correlate: the run ends with its table and report (it stopped on the figure, after writing
    summary.csv), in memory as on disk."""
    from simprive import run_experiment

    res = run_experiment("raise_average", ["mechanism=mpc_client_server", "trials=20", "n=[5]"], out_dir=tmp_path)
    note = "figure raise_average_view_corr not drawn: no row has its metric, view_corr"
    assert note in capsys.readouterr().err
    assert res.figures == [] and (tmp_path / "report.html").is_file() and len(res.summary)
    assert res.draw() == [] and note in capsys.readouterr().err


def test_more_coinciding_lines_than_markers_are_still_drawn():
    """Fourteen hue levels on one curve: the markers are reused, not run out (it was StopIteration)."""
    from simprive.figures import MARKERS

    levels = 2 * len(MARKERS) + 2
    frame = rows(x=[1, 2] * levels, value=[5.0, 2.0] * levels, epsilon=[e for e in range(levels) for _ in (0, 1)])
    fig = draw(frame, metric="m", x="x", hue="epsilon")
    assert sum(1 for t in legend_texts(fig) if "coincides with" in t) == levels - 1


def test_a_fine_sweep_draws_quickly_with_the_ends_of_its_levels_in_the_legend():
    from simprive.figures import MANY_LEVELS

    levels = 10 * MANY_LEVELS
    frame = rows(x=[1, 2] * levels, value=[5.0, 2.0] * levels, epsilon=[e for e in range(levels) for _ in (0, 1)])
    texts = legend_texts(draw(frame, metric="m", x="x", hue="epsilon"))
    assert f"… ({levels} levels in all)" in texts and not any("coincides" in t for t in texts)
    assert sum(1 for t in texts if t.isdigit()) == 6


@pytest.mark.parametrize("spec, says", [
    ({"name": "f", "metric": "sq_error", "x": "n", "bogus": 1}, "plots[0].bogus is 1, not a figure key"),
    ({"name": "f", "metric": "sq_error"}, "plots[0].x is None, needs the column on its x axis"),
    ({"name": "../f", "metric": "sq_error", "x": "n"}, "plots[0].name is '../f'"),
    ("f", "plots[0] is 'f', not a figure"),
])
def test_results_draw_checks_the_specs_it_is_given(tmp_path, spec, says):
    """Results.draw drew a spec with an unknown key into a TypeError; each is now one line."""
    from simprive import ConfigError, run_experiment

    res = run_experiment("bounded_sum", ["trials=20", "n=[10]", "epsilon=[1.0]", "upper=[100.0]"])
    res.meta["config"]["figure"] = {"plots": [spec]}
    with pytest.raises(ConfigError) as err:
        res.draw()
    assert says in str(err.value) and "\n" not in str(err.value), str(err.value)

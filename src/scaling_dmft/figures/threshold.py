"""F2: bias / variance decomposition of E_g(t) at the interpolation threshold: total E_g and its
signal, label-noise, initialisation and thermal parts; left N = inf with M = P (the paper's
figure, in its units when the sweep has `time_units: paper`: bottom axis t_paper = t / P, top
axis our t), right N = P (our extension). The early-stopping optimum t* (theory) is marked
where the curve has one (early-stopping flag '')."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..tables import COMPONENT_COLUMNS, POINT_COLUMNS
from ..units import to_paper
from . import common, style

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

NAME = "threshold"
# one fixed colour per component, told apart also in colour-vision deficiency (total: black, drawn
# wide underneath the components, so that the signal line on top of it leaves it visible)
COLORS = {"eg": "k", "eg_signal": "#0173b2", "eg_noise": "#de8f05", "eg_init": "#029e73", "eg_thermal": "#cc78bc"}
TOTAL_WIDTH = 4.0
LABELS = {
    "eg": "total $E_g$",
    "eg_signal": "signal",
    "eg_noise": "label noise",
    "eg_init": "initialisation",
    "eg_thermal": "thermal",
}


def _panel(ax: Axes, rows: pd.DataFrame, early: pd.DataFrame, sweep_cfg: dict) -> set[str]:
    columns = rows[POINT_COLUMNS].iloc[0].to_dict()  # the curve's point columns (a table row)
    curve = style.match(rows, columns)
    finite = curve[np.isfinite(curve["t"].to_numpy(dtype=float))]
    paper = sweep_cfg.get("time_units") == "paper"
    p = float(columns["n_samples"])
    if paper:  # the paper's time axis: t_paper = t / P (units.to_paper)
        finite = finite.assign(t=to_paper(n_samples=p, t=finite["t"].to_numpy(dtype=float))["t_paper"])
    style.loglog(ax)
    methods: set[str] = set()
    for col in ["eg"] + COMPONENT_COLUMNS:
        good = common.valid(finite, col)
        if good.empty:
            continue  # identically zero component (e.g. no label noise): nothing on a log axis
        # simulation points for the total only: the components' points would sit on the total's
        good = good if col == "eg" else good[good["method"] == style.THEORY]
        # the total wide and faint underneath; the components above the points, so that the signal
        # line shows where it carries the whole error
        wide = {"linewidth": TOTAL_WIDTH, "alpha": 0.45} if col == "eg" else {"zorder": 4.0}
        methods |= style.theory_sim(
            ax, good, "t", col, yerr="eg_sem" if col == "eg" else None, color=COLORS[col], label=LABELS[col], **wide
        )
    at_inf = common.valid(curve[np.isinf(curve["t"].to_numpy(dtype=float))], "eg")
    at_inf = at_inf[at_inf["method"] == style.THEORY]
    if len(at_inf):
        ax.axhline(float(at_inf["eg"].iloc[0]), color="0.5", linestyle=":", linewidth=1.0, label="$E_g(t=\\infty)$")
    stop = style.match(early[early["method"] == style.THEORY], columns)
    if len(stop) and stop["flag"].iloc[0] == "":
        t_star = float(stop["t_star"].iloc[0]) / (p if paper else 1.0)
        ax.axvline(t_star, color="0.2", linestyle="--", linewidth=0.9, label=f"$t^*$ = {common.fmt_value('t', t_star)}")
    # components that decay exponentially (e.g. the initialisation part, ~e^(-2 gamma t)) would
    # stretch the log axis over hundreds of decades: show four decades below the total error
    top = float(finite["eg"].max())
    ax.set_ylim(1e-4 * top, 2.0 * top)
    setting = common.describe(curve, width=40)
    if paper:
        theirs = to_paper(n_samples=p, temperature=columns["temperature"], weight_decay=columns["weight_decay"])
        title = (
            f"the paper's setting, in its units: inverse temperature {1 / theirs['beta_inv']:.3g}, "
            f"g = {theirs['g']:.3g}\n{setting}"
        )
        ax.secondary_xaxis("top", functions=(lambda x: x * p, lambda x: x / p)).set_xlabel(
            "our t = P $t_{paper}$", fontsize=7
        )
        xlabel = "training time $t_{paper}$ (summed loss)"
    else:
        title, xlabel = f"our extension\n{setting}", "training time t"
    style.finish(ax, title=title, xlabel=xlabel, ylabel="error")
    return methods


def draw(curves: pd.DataFrame, fits: pd.DataFrame, early: pd.DataFrame, spec: dict) -> Figure:
    selections = []
    for i in range(2):
        name, sw = common.sweep(spec, NAME, i)
        rows = common.valid(common.select(curves, sw), "eg")
        common.require(rows, NAME, f"sweep {name!r} (panel {i + 1}), regimes {sw.get('regimes')}")
        selections.append((rows, common.select(early, sw), sw))
    methods: set[str] = set()
    with style.context():
        fig, axes = style.subplots(1, 2)
        for ax, (rows, stop, sw) in zip(axes, selections, strict=True):
            methods |= _panel(ax, rows, stop, sw)
        style.figure_legend(fig, methods)
    return fig

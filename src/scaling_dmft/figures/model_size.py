"""F6: model size: E vs N at t = inf for several P, one panel per regime (ridgeless gradient flow,
gradient flow with weight decay). The theory lines come from the figure's `theory_sweep` where it
has one (the same points on a dense N grid, computed by the DMFT stage; else the theory at the
sweep's own N), the simulation points from its `sweep`. Ridgeless (gamma = 0): E(t = inf) diverges
at N = P, so the theory is drawn in two branches, N < P and N > P, that rise out of the panel on
either side of the asymptote (dashed vertical line), never joined across it; the N = P rows
(theory: flag 'infinite'; simulation: a heavy-tailed seed mean of a divergent quantity) are not
drawn. The panel's upper limit is CLIP times the largest value drawn at |N/P - 1| >= NEAR (the
divergence leaves the panel there). Kernel limit N = inf: horizontal dotted line in the colour of
its P. Fitted laws only where the theory states one (P = inf, gradient flow)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..tables import SPECTRUM_COLUMNS
from . import common, style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

NAME = "model_size"
# the columns that tie a theory-sweep row to a simulated series (all but N and the sweep's name)
SAME = (*SPECTRUM_COLUMNS, "n_samples", "noise", "regime")
NEAR = 0.25  # |N/P - 1| below this is "at the divergence" for the panel's range
CLIP = 4.0  # the panel reaches this factor above the largest value away from the divergence


def _at_inf(frame: pd.DataFrame) -> pd.DataFrame:
    """t = inf rows with a finite value, less the simulation where the theory is infinite."""
    return common.valid(common.without_divergent(frame[np.isinf(frame["t"].to_numpy(dtype=float))]), "eg")


def draw(curves: pd.DataFrame, fits: pd.DataFrame, early: pd.DataFrame, spec: dict) -> Figure:
    name, sw = common.sweep(spec, NAME)
    regimes = list(spec.get("regimes", sw.get("regimes", [])))
    rows = _at_inf(common.select(curves, sw, regimes))
    if "noise" in spec:
        rows = rows[np.isclose(rows["noise"], float(spec["noise"]))]
    common.require(rows, NAME, f"sweep {name!r}, regimes {regimes}, noise {spec.get('noise', 'any')}, t = inf")
    theory = rows[rows["method"] == style.THEORY]
    if "theory_sweep" in spec:
        t_name = spec["theory_sweep"]
        dense = _at_inf(common.select(curves, spec["sweeps"][t_name], regimes))
        dense = dense[dense["method"] == style.THEORY]
        common.require(dense, NAME, f"theory sweep {t_name!r}, regimes {regimes}, t = inf")
        theory = dense
    sim = rows[rows["method"] == style.SIMULATION]
    fit_rows = common.select_fits(fits, sw, "features", regimes)
    panels = [r for r in regimes if (rows["regime"] == r).any()]
    kinds = common.regime_kinds(spec)
    color_of = {
        lab: col for _, _, col, lab in style.iter_series(rows, exclude=("regime", "n_features"), always=("n_samples",))
    }
    methods: set[str] = set()
    with style.context():
        fig, axes = style.subplots(1, len(panels))
        for ax, regime in zip(axes, panels, strict=True):
            part = rows[rows["regime"] == regime]
            methods |= _panel(ax, part, theory[theory["regime"] == regime], sim, fit_rows, color_of)
            style.finish(
                ax,
                title=f"{common.regime_words(part.iloc[0], kinds.get(regime))}\n"
                f"{common.describe(part, skip=('n_features', 'n_samples', 'weight_decay', 'temperature'), width=40)}",
                xlabel="number of features N",
                ylabel="$E_g(t=\\infty)$",
            )
        from matplotlib.lines import Line2D

        keys = [
            (
                Line2D([], [], color=style.KEY_COLOR, linestyle=":", linewidth=1.0),
                "kernel limit $N = \\infty$, dotted in the colour of its P",
            ),
            (
                Line2D([], [], color=style.KEY_COLOR, linestyle="--", linewidth=0.8),
                "$N = P$, dashed in the colour of its P",
            ),
        ]
        style.figure_legend(fig, methods, extra=keys)
    return fig


def _panel(
    ax: Axes, part: pd.DataFrame, theory: pd.DataFrame, sim: pd.DataFrame, fit_rows: pd.DataFrame, color_of: dict
) -> set[str]:
    """One regime: per P the theory line (two branches where it diverges at N = P), the simulation
    points, the kernel limit and the N = P line."""
    style.loglog(ax)
    methods: set[str] = set()
    away = []  # values drawn away from a divergence: they set the panel's range
    ridgeless = False
    for key, series, color, label in style.iter_series(
        part, exclude=("regime", "n_features"), always=("n_samples",), color_of=color_of
    ):
        p = float(series["n_samples"].iloc[0])
        lines = style.match(theory, {c: series[c].iloc[0] for c in SAME})
        if lines.empty:  # no theory sweep row for this series: the sweep's own theory
            lines = series[series["method"] == style.THEORY]
        kernel = lines[~np.isfinite(lines["n_features"].to_numpy(dtype=float))]
        both = pd.concat([lines, series[series["method"] == style.SIMULATION]], ignore_index=True)
        finite = both[np.isfinite(both["n_features"].to_numpy(dtype=float))]
        n = finite["n_features"].to_numpy(dtype=float)
        diverges = float(series["weight_decay"].iloc[0]) == 0.0 and np.isfinite(p)
        ridgeless |= diverges
        branches = [(finite[n < p], True), (finite[n > p], False)] if diverges else [(finite, True)]
        for branch, first in branches:
            methods |= style.theory_sim(
                ax, branch, "n_features", "eg", yerr="eg_sem", color=color, label=label if first else None
            )
        if np.isfinite(p):
            away += list(finite["eg"].to_numpy(dtype=float)[np.abs(n / p - 1.0) >= NEAR])
            ax.axvline(p, color=color, linestyle="--", linewidth=0.8, alpha=0.7)
        if len(kernel):
            ax.axhline(float(kernel["eg"].iloc[0]), color=color, linestyle=":", linewidth=1.0)
            away.append(float(kernel["eg"].iloc[0]))
        fit = style.fit_for(fit_rows[fit_rows["regime"] == series["regime"].iloc[0]], key)
        if fit is not None:
            style.power_law(ax, fit, series=label)
    if ridgeless and away:  # the divergence leaves the panel; the rest of the data sets its range
        ax.set_ylim(min(away) / 1.5, max(away) * CLIP)
    if not np.isfinite(part["n_features"].to_numpy(dtype=float)).any() and theory.empty:
        style.note(ax, "only the kernel limit N = ∞ in this selection")
    return methods

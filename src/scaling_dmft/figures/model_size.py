"""F6: model size: E vs N at t = inf for several P, ridgeless (gf) and ridge (gf_wd) panels;
double descent at N = P (vertical dashed line); the kernel limit N = inf as a horizontal dotted
line. Ridgeless (gamma = 0): E(t = inf) diverges at N = P, so the theory line is drawn in two
branches, N < P and N > P, never joined across the asymptote; the simulated value at N = P (a
heavy-tailed seed mean of a divergent quantity) and rows flagged 'infinite' are omitted.
Fitted laws only where the theory states one (P = inf, gradient flow)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import common, style

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

NAME = "model_size"


def draw(curves: pd.DataFrame, fits: pd.DataFrame, early: pd.DataFrame, spec: dict) -> Figure:
    name, sw = common.sweep(spec, NAME)
    regimes = list(spec.get("regimes", sw.get("regimes", [])))
    rows = common.select(curves, sw, regimes)
    rows = common.valid(rows[np.isinf(rows["t"].to_numpy(dtype=float))], "eg")  # drops 'infinite' rows
    common.require(rows, NAME, f"sweep {name!r}, regimes {regimes}, t = inf")
    fit_rows = common.select_fits(fits, sw, "features", regimes)
    panels = [r for r in regimes if (rows["regime"] == r).any()]
    with style.context():
        fig, axes = style.subplots(1, len(panels))
        for ax, regime in zip(axes, panels, strict=True):
            part = rows[rows["regime"] == regime]
            style.loglog(ax)
            finite_n = np.isfinite(part["n_features"].to_numpy(dtype=float))
            marked = False
            for key, series, color, label in style.iter_series(
                part, exclude=("regime", "n_features"), always=("n_samples",)
            ):
                fin = series[np.isfinite(series["n_features"].to_numpy(dtype=float))]
                kernel = series[
                    ~np.isfinite(series["n_features"].to_numpy(dtype=float)) & (series["method"] == style.THEORY)
                ]
                p = float(series["n_samples"].iloc[0])
                n = fin["n_features"].to_numpy(dtype=float)
                if float(series["weight_decay"].iloc[0]) == 0.0 and np.isfinite(p):
                    # two branches around the N = P divergence; the N = P point itself is dropped
                    for branch, first in ((fin[n < p], True), (fin[n > p], False)):
                        style.theory_sim(
                            ax,
                            branch,
                            "n_features",
                            "eg",
                            yerr="eg_sem",
                            color=color,
                            label=label if first else None,
                            marker="o",
                        )
                else:
                    style.theory_sim(ax, fin, "n_features", "eg", yerr="eg_sem", color=color, label=label, marker="o")
                if len(kernel):
                    ax.axhline(
                        float(kernel["eg"].iloc[0]),
                        color=color,
                        linestyle=":",
                        linewidth=1.0,
                        label="kernel limit $N = \\infty$" if not marked else None,
                    )
                if np.isfinite(p):
                    ax.axvline(
                        p,
                        color=color,
                        linestyle="--",
                        linewidth=0.8,
                        alpha=0.7,
                        label="$N = P$" if not marked else None,
                    )
                marked = True
                fit = style.fit_for(fit_rows[fit_rows["regime"] == regime], key)
                if fit is not None:
                    style.power_law(ax, fit, color=color)
            if not finite_n.any():
                style.note(ax, "only the kernel limit N = inf in this selection")
            style.data_ticks(ax, part["n_features"])
            style.finish(
                ax,
                title=f"{common.regime_words(part.iloc[0], common.regime_kinds(spec).get(regime))}\n"
                f"{common.describe(part, skip=('n_features', 'weight_decay', 'temperature'), width=40)}",
                xlabel="number of features N",
                ylabel="$E_g(t=\\infty)$",
            )
        style.figure_legend(fig, set(rows["method"]) & {style.THEORY, style.SIMULATION})
    return fig

"""The data-set figure (docs/figures.md): for every data set of the run (one row each), the
theory with the data's own spectrum (lines), the exact simulation of Gaussian features with that
spectrum (open circles) and training on the data itself (open squares: tested on the whole set;
crosses: on the points not trained on), each with its standard error over seeds / subsets.
Left: E vs t at every P; right: E vs P at t = inf. Drawn for the first regime, noise level and N of
each data set (the table has them all)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import common, style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# how training on the data is drawn: method -> (marker, size, legend label); the squares open and
# larger than the simulation's circles, so that a circle at the same value shows inside its square
DATA_MARKERS = {
    "data": ("s", 5.0, "training on the data, whole set ± s.e."),
    "data_heldout": ("x", 3.5, "training on the data, held-out points"),
}


def _data_points(ax: Axes, frame: pd.DataFrame, x: str, color: object) -> None:
    for method, (marker, size, _) in DATA_MARKERS.items():
        rows = frame[(frame["method"] == method) & (frame[x] > 0) & np.isfinite(frame[x]) & (frame["eg"] > 0)]
        rows = rows.sort_values(x)
        if method == "data_heldout" and x == "t":
            continue  # the held-out curve sits on the whole-set one in time; drawn against P only
        ax.errorbar(
            rows[x].to_numpy(),
            rows["eg"].to_numpy(),
            yerr=rows["eg_sem"].to_numpy(dtype=np.float64),
            fmt=marker,
            ms=size,
            mfc="none",
            color=color,
            elinewidth=0.8,
            zorder=4,
        )


def _legend_keys() -> list[tuple]:
    from matplotlib.lines import Line2D

    return [
        (Line2D([], [], marker=m, ms=size, mfc="none", linestyle="none", color=style.KEY_COLOR), label)
        for m, size, label in DATA_MARKERS.values()
    ]


def _first(frame: pd.DataFrame, column: str, prefer: float | None = None) -> pd.DataFrame:
    """The rows at one value of `column`: `prefer` where present, else the smallest."""
    values = sorted(frame[column].dropna().unique())
    if not values:
        return frame
    return frame[frame[column] == (prefer if prefer in values else values[0])]


def draw(curves: pd.DataFrame) -> Figure:
    names = sorted(curves["sweep"].unique())
    if not names:
        raise ValueError("figure 'data': the data_curves table is empty")
    with style.context():
        fig, axes = style.subplots(len(names), 2)
        axes = axes.reshape(len(names), 2)
        for row, name in enumerate(names):
            frame = curves[(curves["sweep"] == name) & (curves["flag"] == "")]
            frame = _first(_first(frame[frame["regime"] == frame["regime"].iloc[0]], "noise"), "n_features", np.inf)
            spectrum = frame["spectrum"].iloc[0].rsplit(".", 1)[0]
            width = frame["n_features"].iloc[0]
            what = f"{spectrum}: {common.regime_words(frame.iloc[0])}, $\\sigma$ = {frame['noise'].iloc[0]:g}, " + (
                "N = $\\infty$" if np.isinf(width) else f"N = {width:g}"
            )
            left, right = axes[row]
            samples = sorted(frame["n_samples"].unique())
            colors = dict(zip(samples, style.colors(len(samples)), strict=True))
            for p in samples:
                rows = frame[(frame["n_samples"] == p) & np.isfinite(frame["t"])]
                style.theory_sim(left, rows, "t", "eg", yerr="eg_sem", color=colors[p], label=f"P = {p:g}")
                _data_points(left, rows, "t", colors[p])
            at_inf = frame[np.isinf(frame["t"])]
            # one series per panel: drawn in the neutral colour of the method keys that name it
            style.theory_sim(right, at_inf, "n_samples", "eg", yerr="eg_sem", color=style.KEY_COLOR)
            _data_points(right, at_inf, "n_samples", style.KEY_COLOR)
            for ax in (left, right):
                style.loglog(ax)
            style.data_ticks(right, samples if len(samples) <= 5 else samples[::2])  # every other P: no overlap
            style.finish(left, title=what, xlabel="training time t", ylabel="$E$ (whole set)")
            style.finish(right, title=f"{spectrum}: $t = \\infty$", xlabel="training set size P", ylabel="$E$")
        style.figure_legend(fig, set(curves["method"]) & {style.THEORY, style.SIMULATION}, extra=_legend_keys())
    return fig

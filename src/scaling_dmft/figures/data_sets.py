"""The data-set figure (docs/figures.md): for every data set of the run (one row each), the
theory with the data's own spectrum (lines), the exact simulation of Gaussian features with that
spectrum (open circles) and training on the data itself (open squares: tested on the whole set;
crosses: on the points not trained on), each with its standard error over seeds / subsets.
Left: E vs t at every P; right: E vs P at t = inf. Drawn for the first regime, noise level and N of
each data set (the table has them all). With the data_trust table, a last row: when to trust the
theory (docs/theory/data.md section 9), the theory's deviation from training on the data at t = inf
against the scale dependence of the data set's eigen-features (left), and the part of it the
Gaussian simulation on the same spectrum does not share (right), one point per data set and P with
its standard error."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.ticker
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


# the trust panels: (column of the data_trust table, y label, title)
TRUST_PANELS = (
    ("deviation", "(theory - data) / data", "trust: theory"),
    ("gaussian_deviation", "(Gaussian sim. - data) / data", "trust: Gaussian sim."),
)
SPHERE_SUFFIX = "_sphere"  # a data set on the sphere: drawn open, in its standardised twin's colour


def draw_trust(axes: np.ndarray, trust: pd.DataFrame, diagnostic: str = "scale_dependence") -> None:
    """The theory's deviation from training on the data (and the Gaussian simulation's) at t = inf
    against a Gaussianity diagnostic of each data set's eigen-features, one point per (data set, P)
    joined in P order, error bars one standard error; the first regime, noise and N of each data
    set. One colour per data set, open markers for a name ending in _sphere (its twin's colour)."""
    rows = trust[np.isinf(trust["t"]) & np.isfinite(trust["deviation"])]
    names = sorted(rows["sweep"].unique())
    bases = sorted({n.removesuffix(SPHERE_SUFFIX) for n in names})
    colors = dict(zip(bases, style.colors(len(bases)), strict=True))
    samples = ", ".join(f"{p:g}" for p in sorted(rows["n_samples"].unique()))
    for ax, (column, label, title) in zip(axes, TRUST_PANELS, strict=True):
        for name in names:
            one = _first(_first(rows[rows["sweep"] == name], "noise"), "n_features", np.inf)
            one = one[one["regime"] == one["regime"].iloc[0]].sort_values("n_samples")
            sem = one["data_sem"] / one["data"]
            if column == "gaussian_deviation":
                sem = np.hypot(one["data_sem"], one["sim_sem"]) / one["data"]
            color = colors[name.removesuffix(SPHERE_SUFFIX)]
            sphere = name.endswith(SPHERE_SUFFIX)
            x = one[diagnostic].to_numpy() * (1.0 + 0.03 * np.arange(len(one)))  # P side by side
            ax.plot(x, one[column], "-", color=color, lw=0.5, alpha=0.6)
            ax.errorbar(
                x,
                one[column],
                yerr=sem,
                fmt="o",
                ms=3.5,
                color=color,
                mfc="white" if sphere else color,
                elinewidth=0.8,
                label=name,
            )
        ax.axhline(0.0, color="0.5", lw=0.6)
        ax.set_xscale("symlog", linthresh=0.1)  # from 0 (Gaussian) to ~10 (standardised MNIST)
        ticks = [0.0, 0.1, 1.0, 10.0]
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.set_xlim(-0.02, 20.0)
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        style.finish(
            ax,
            title=f"{title} (t = $\\infty$, P = {samples})",
            xlabel=diagnostic.replace("_", " ") + " (open: sphere)",
            ylabel=label,
        )


def draw(curves: pd.DataFrame, trust: pd.DataFrame | None = None) -> Figure:
    names = sorted(curves["sweep"].unique())
    if not names:
        raise ValueError("figure 'data': the data_curves table is empty")
    extra = int(trust is not None and not trust.empty)
    with style.context():
        fig, axes = style.subplots(len(names) + extra, 2)
        axes = axes.reshape(len(names) + extra, 2)
        if extra:
            draw_trust(axes[-1], trust)
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

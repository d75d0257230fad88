"""Shared look of the paper figures: seaborn 'ticks' (classic axes, no grid), the 'paper'
context, one palette ('colorblind'), log-log helpers, theory as lines / simulation as points
with seed error bars, and fitted power laws labelled "slope a (expected b)".

Nothing here touches pyplot's global state beyond creating the figure: style and rc settings
are applied inside `context()` only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterable, Iterator
from typing import TYPE_CHECKING

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from . import common

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import ColorType

PALETTE = "colorblind"
THEORY = "dmft"
SIMULATION = "sim"
PANEL_SIZE = (3.4, 2.8)
RC = {
    "legend.fontsize": 6,
    "legend.frameon": False,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "lines.linewidth": 1.3,
    "errorbar.capsize": 2,
    "savefig.dpi": 150,
    "pdf.fonttype": 42,
}


@contextlib.contextmanager
def context() -> Iterator[None]:
    """Seaborn 'ticks' + 'paper' context + our rc overrides, restored on exit."""
    with sns.axes_style("ticks"), sns.plotting_context("paper"), matplotlib.rc_context(RC):
        yield


def colors(n: int) -> list:
    """n colours of the one palette (cycled when n exceeds it)."""
    base = sns.color_palette(PALETTE)
    return [base[i % len(base)] for i in range(max(n, 1))]


def subplots(nrows: int, ncols: int, **kw) -> tuple[Figure, np.ndarray]:
    """Figure + flat array of axes, sized per panel, constrained layout."""
    figsize = kw.pop("figsize", (PANEL_SIZE[0] * ncols, PANEL_SIZE[1] * nrows))
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, layout="constrained", **kw)
    return fig, axes.ravel()


def loglog(ax: Axes, x: bool = True, y: bool = True) -> None:
    if x:
        ax.set_xscale("log")
    if y:
        ax.set_yscale("log")


def finish(ax: Axes, title: str = "", xlabel: str = "", ylabel: str = "", legend: bool = True) -> None:
    if title:
        ax.set_title(title)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if legend and ax.get_legend_handles_labels()[0]:
        outside_legend(ax)
    sns.despine(ax=ax)


def outside_legend(ax: Axes, **kw) -> None:
    """The panel's legend to the right of its axes, never on the data (constrained layout
    makes room for it)."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kw)


def note(ax: Axes, text: str) -> None:
    """A message inside an empty panel."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=7, color="0.4", wrap=True)


def _positive(frame: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    xv = frame[x].to_numpy(dtype=np.float64)
    yv = frame[y].to_numpy(dtype=np.float64)
    return frame[np.isfinite(xv) & np.isfinite(yv) & (xv > 0) & (yv > 0)].sort_values(x)


def theory_sim(
    ax: Axes,
    frame: pd.DataFrame,
    x: str,
    y: str,
    *,
    yerr: str | None = None,
    color: ColorType | None = None,
    label: str | None = None,
    marker: str = "o",
    linestyle: str = "-",
) -> bool:
    """Theory rows (method dmft) as a line, simulation rows (sim) as points with error bars
    (`yerr`: the seed s.e. column). Non-positive / non-finite points are skipped (log axes).
    The label goes on the line, or on the points when there is no theory. True if drawn."""
    frame = _positive(frame, x, y)
    theory = frame[frame["method"] == THEORY]
    sim = frame[frame["method"] == SIMULATION]
    drawn = False
    if len(theory):
        sns.lineplot(
            x=theory[x].to_numpy(),
            y=theory[y].to_numpy(),
            ax=ax,
            color=color,
            label=label,
            estimator=None,
            sort=True,
            linestyle=linestyle,
            legend=bool(label),
        )
        drawn = True
    if len(sim):
        err = None if yerr is None else sim[yerr].to_numpy(dtype=np.float64)
        ax.errorbar(
            sim[x].to_numpy(),
            sim[y].to_numpy(),
            yerr=err,
            fmt=marker,
            ms=3.5,
            mfc="white",
            mew=1.0,
            color=color,
            elinewidth=0.8,
            label=None if drawn else label,
            zorder=3,
        )
        drawn = True
    return drawn


def method_legend(ax: Axes) -> None:
    """Add 'theory' (line) and 'simulation' (points) proxies to the panel's legend."""
    ax.plot([], [], color="0.3", label="theory (DMFT)")
    ax.errorbar([], [], yerr=[], fmt="o", ms=3.5, mfc="white", color="0.3", label="simulation ± s.e.")


def slope_label(exponent: float, expected: float | None) -> str:
    """'slope a (expected b)', or 'slope a' where the theory states no exponent."""
    if expected is None or not np.isfinite(expected):
        return f"slope {exponent:.2f}"
    return f"slope {exponent:.2f} (expected {expected:.2f})"


def power_law(ax: Axes, fit: pd.Series, color: ColorType = "0.2", label: bool = True) -> None:
    """Draw a fitted power law (a fit-table row: exponent, prefactor, x_min, x_max,
    expected_exponent) as a dashed line over its window, on the data (no offset)."""
    x = np.geomspace(float(fit["x_min"]), float(fit["x_max"]), 32)
    y = float(fit["prefactor"]) * x ** float(fit["exponent"])
    text = slope_label(float(fit["exponent"]), fit["expected_exponent"]) if label else None
    # the data alone set the axis range (fixing limits here would freeze autoscaling and hide
    # series drawn later)
    ax.plot(
        x, y, linestyle="--", color=color, linewidth=1.0, alpha=0.9, label=text, zorder=4, scalex=False, scaley=False
    )


def data_ticks(ax: Axes, values: Iterable[float], axis: str = "x", max_ticks: int = 5) -> None:
    """Label a log axis at the data's own values (e.g. P = 32, 64, ...) when there are few of
    them; otherwise keep decade ticks. Minor tick labels are switched off either way."""
    vals = np.unique(np.asarray([float(v) for v in values], dtype=float))
    vals = vals[np.isfinite(vals) & (vals > 0)]
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_minor_formatter(matplotlib.ticker.NullFormatter())
    if 2 <= len(vals) <= max_ticks:
        target.set_major_locator(matplotlib.ticker.FixedLocator(vals))
        target.set_major_formatter(matplotlib.ticker.FixedFormatter([common.fmt_value("", v) for v in vals]))
        target.set_minor_locator(matplotlib.ticker.NullLocator())


def iter_series(
    frame: pd.DataFrame, exclude: Collection[str] = (), always: Iterable[str] = (), color_of: dict | None = None
) -> Iterator[tuple[dict, pd.DataFrame, ColorType, str]]:
    """Yield (key dict, rows, colour, label) for each series: the point columns that vary in
    `frame` (except `exclude`, plus the columns in `always`) define the series; colours from the
    palette in sorted order, or from `color_of` (label -> colour) to keep panels consistent."""
    keys = common.series_keys(frame, exclude=exclude)
    keys = [c for c in always if c not in keys and c in frame.columns] + keys
    if not keys:
        yield {}, frame, colors(1)[0], ""
        return
    groups = list(frame.groupby(keys, dropna=False, sort=True))
    palette = colors(len(groups))
    for (vals, rows), col in zip(groups, palette, strict=True):
        vals = vals if isinstance(vals, tuple) else (vals,)
        key = dict(zip(keys, vals, strict=True))
        label = common.label(key)
        yield key, rows, (color_of or {}).get(label, col), label


def match(frame: pd.DataFrame, key: dict) -> pd.DataFrame:
    """Rows of `frame` whose columns equal the key's values (floats compared exactly)."""
    mask = np.ones(len(frame), dtype=bool)
    for col, v in key.items():
        if col not in frame.columns:
            continue
        if isinstance(v, str):
            mask &= (frame[col] == v).to_numpy()
        else:
            mask &= np.isclose(frame[col].to_numpy(dtype=np.float64), float(v), rtol=1e-9, atol=0) | (
                frame[col].to_numpy(dtype=np.float64) == float(v)
            )
    return frame[mask]


def fit_for(fits: pd.DataFrame, key: dict, method: str = THEORY, usable_only: bool = True) -> pd.Series | None:
    """The first fit row of `method` matching the series key, or None. With `usable_only` (what
    the figures draw) only a law the theory states: an unflagged row (a window of at least a
    decade, a power law, not at a log-corrected edge) with an expected exponent."""
    rows = match(fits[fits["method"] == method], key)
    if usable_only:
        expected = rows["expected_exponent"].to_numpy(dtype=np.float64)
        rows = rows[(rows["flag"] == "").to_numpy() & np.isfinite(expected)]
    return None if rows.empty else rows.iloc[0]


def series_with_fits(
    ax: Axes,
    frame: pd.DataFrame,
    x: str,
    y: str,
    yerr: str | None,
    fit_rows: pd.DataFrame,
    exclude: Collection[str],
    color_of: dict | None = None,
    dotted: Collection[str] = (),
    always: Iterable[str] = (),
) -> None:
    """Theory lines and simulation points per series, each with its fitted power law. Series of
    the regimes in `dotted` are drawn dotted and thicker (e.g. `bayes`, which coincides with
    `langevin` at t = inf and would be hidden under it)."""
    for key, series, color, label in iter_series(frame, exclude=exclude, always=always, color_of=color_of):
        style = ":" if key.get("regime") in dotted else "-"
        theory_sim(ax, series, x, y, yerr=yerr, color=color, label=label, linestyle=style)
        fit = fit_for(fit_rows, key)
        if fit is not None:
            power_law(ax, fit, color=color)

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
    """n distinct colours: the one palette, or n evenly spaced hues where it has too few (a colour
    is never used for two series)."""
    base = sns.color_palette(PALETTE)
    return list(base[: max(n, 1)]) if n <= len(base) else list(sns.color_palette("husl", n))


def subplots(nrows: int, ncols: int, **kw) -> tuple[Figure, np.ndarray]:
    """Figure + flat array of axes, sized per panel, constrained layout."""
    figsize = kw.pop("figsize", (PANEL_SIZE[0] * ncols, PANEL_SIZE[1] * nrows))
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, layout="constrained", **kw)
    return fig, axes.ravel()


class PlainLogFormatter(matplotlib.ticker.LogFormatterSciNotation):
    """Log-axis tick labels as plain numbers ('0.03', '3', '1') where the axis spans so few decades
    that the ticks between decades are labelled too; else decades as powers of ten. Never '3×10⁻²'
    or '3×10⁰'."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        text = super().__call__(x, pos)  # decides which ticks carry a label
        return common.fmt_value("", x) if text and ("times" in text or self._few_decades()) else text

    def _few_decades(self) -> bool:
        """At most one decade tick inside the axis: the ticks between decades carry labels."""
        low, high = sorted(self.axis.get_view_interval())
        return low > 0 and np.floor(np.log10(high)) - np.floor(np.log10(low)) <= 1


def loglog(ax: Axes, x: bool = True, y: bool = True) -> None:
    """Log scales with PlainLogFormatter labels."""
    for on, axis, scale in ((x, ax.xaxis, ax.set_xscale), (y, ax.yaxis, ax.set_yscale)):
        if on:
            scale("log")
            axis.set_major_formatter(PlainLogFormatter())
            axis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False))


def finish(ax: Axes, title: str = "", xlabel: str = "", ylabel: str = "", legend: bool = False) -> None:
    """Title, axis labels, despine. The legend is the figure's (figure_legend), one for all panels;
    `legend=True` gives this panel its own, for a panel whose series no other panel shares."""
    if title:
        ax.set_title(title)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    if legend and ax.get_legend_handles_labels()[0]:
        outside_legend(ax)
    sns.despine(ax=ax)


KEY_COLOR = "0.35"  # the neutral colour of style keys (theory line, simulation points, ...)
FIT_COLOR = "k"  # fitted laws: black dashed over the coloured data, so that they show on it
METHOD_KEYS = {
    THEORY: ("theory (DMFT), line", {"color": KEY_COLOR, "linestyle": "-"}),
    SIMULATION: ("simulation ± s.e., points", {"color": KEY_COLOR, "marker": "o", "mfc": "none", "linestyle": "none"}),
}


def figure_legend(fig: Figure, methods: Collection[str] = (), extra: Iterable[tuple] = (), header: str = "") -> None:
    """One legend for the whole figure, right of all panels: every labelled artist of every panel
    once (by label, first seen), then the style keys of the methods actually drawn (`methods`:
    THEORY / SIMULATION), then `extra` (handle, label) pairs. A series drawn alone in one panel and
    merged with an identical one in another ('A = B', same colour and style) is named once, by the
    merged label. The figure grows by the legend's width, so that the panels keep their size and
    their titles stay clear of the legend; `header` (the parameters all panels share) is the
    figure's title, centred over the panels, not over the legend."""
    from matplotlib.lines import Line2D

    handles, labels = [], []
    for ax in fig.axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    merged = [(h, lab) for h, lab in zip(handles, labels, strict=True) if " = " in lab]
    keep = [
        not any(lab in other.split(" = ") and _same_look(h, other_h) for other_h, other in merged)
        for h, lab in zip(handles, labels, strict=True)
    ]
    handles = [h for h, k in zip(handles, keep, strict=True) if k]
    labels = [lab for lab, k in zip(labels, keep, strict=True) if k]
    for method in (THEORY, SIMULATION):
        if method in methods:
            text, kw = METHOD_KEYS[method]
            handles.append(Line2D([], [], **kw))
            labels.append(text)
    for handle, label in extra:
        handles.append(handle)
        labels.append(label)
    panels = fig.get_figwidth()
    if handles:
        legend = fig.legend(handles, labels, loc="outside right upper")
        renderer = fig.canvas.get_renderer()
        box = legend.get_window_extent(renderer)
        if box.height > fig.get_figheight() * fig.dpi:  # taller than the panels: two columns
            legend.remove()
            legend = fig.legend(handles, labels, loc="outside right upper", ncols=2)
            box = legend.get_window_extent(renderer)
        fig.set_figwidth(panels + box.width / fig.dpi + 0.15)
    if header:
        fig.suptitle(header, x=0.5 * panels / fig.get_figwidth(), fontsize=RC["axes.titlesize"])


def _same_look(a: object, b: object) -> bool:
    """Two legend handles that look alike: one colour and line style."""
    from matplotlib.colors import to_rgba

    try:
        return to_rgba(a.get_color()) == to_rgba(b.get_color()) and a.get_linestyle() == b.get_linestyle()
    except AttributeError:
        return False


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
    linewidth: float | None = None,
    alpha: float = 1.0,
    zorder: float = 2.0,
) -> set[str]:
    """Theory rows (method dmft) as a line, simulation rows (sim) as points with error bars
    (`yerr`: the seed s.e. column). Non-positive / non-finite points are skipped (log axes).
    The label goes on the line, or on the points when there is no theory. Returns the methods
    drawn (for figure_legend's style keys)."""
    frame = _positive(frame, x, y)
    theory = frame[frame["method"] == THEORY]
    sim = frame[frame["method"] == SIMULATION]
    drawn: set[str] = set()
    if label and marker != "o" and len(sim):  # the series' own marker: its legend entry shows it
        ax.plot(
            [], [], color=color, linestyle=linestyle if len(theory) else "none", marker=marker, mfc="none", label=label
        )
        label = None
    if len(theory):
        ax.plot(
            theory[x].to_numpy(),
            theory[y].to_numpy(),
            color=color,
            label=label,
            linestyle=linestyle,
            linewidth=linewidth,
            alpha=alpha,
            zorder=zorder,
        )
        drawn.add(THEORY)
    if len(sim):
        err = None if yerr is None else sim[yerr].to_numpy(dtype=np.float64)
        ax.errorbar(
            sim[x].to_numpy(),
            sim[y].to_numpy(),
            yerr=err,
            fmt=marker,
            ms=3.5,
            mfc="none",  # hollow: the lines under the points stay visible
            mew=1.0,
            color=color,
            elinewidth=0.8,
            label=None if drawn else label,
            zorder=3,
        )
        drawn.add(SIMULATION)
    return drawn


def slope_label(exponent: float, expected: float | None) -> str:
    """'slope a (expected b)', or 'slope a' where the theory states no exponent."""
    if expected is None or not np.isfinite(expected):
        return f"slope {exponent:.2f}"
    return f"slope {exponent:.2f} (expected {expected:.2f})"


def power_law(ax: Axes, fit: pd.Series, series: str = "", color: ColorType = FIT_COLOR, label: bool = True) -> None:
    """Draw a fitted power law (a fit-table row: exponent, prefactor, x_min, x_max,
    expected_exponent) as a black dashed line over its window, on the data (no offset), above the
    coloured series so that it shows on it; labelled 'fit <series>: slope a (expected b)'."""
    x = np.geomspace(float(fit["x_min"]), float(fit["x_max"]), 32)
    y = float(fit["prefactor"]) * x ** float(fit["exponent"])
    text = slope_label(float(fit["exponent"]), fit["expected_exponent"]) if label else None
    if text and series:
        text = f"fit {series}: {text}"
    # the data alone set the axis range (fixing limits here would freeze autoscaling and hide
    # series drawn later)
    ax.plot(x, y, linestyle=(0, (4, 2)), color=color, linewidth=1.0, label=text, zorder=5, scalex=False, scaley=False)


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
    frame: pd.DataFrame,
    exclude: Collection[str] = (),
    always: Iterable[str] = (),
    color_of: dict | None = None,
    kinds: dict | None = None,
) -> Iterator[tuple[dict, pd.DataFrame, ColorType, str]]:
    """Yield (key dict, rows, colour, label) for each series: the point columns that vary in
    `frame` (except `exclude`, plus the columns in `always`) define the series; colours from the
    palette in sorted order, or from `color_of` (label -> colour) to keep panels consistent. A
    regime is named in words (common.regime_words; `kinds`: regime name -> its config kind)."""
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
        label = common.label(key, rows.iloc[0], kinds)
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
    always: Iterable[str] = (),
    kinds: dict | None = None,
    styles: dict | None = None,
) -> set[str]:
    """Theory lines and simulation points per series, each with its fitted power law. Series whose
    theory values are identical (e.g. Langevin and the Bayes posterior at t = inf, which are the same
    number) are drawn once, under both names, so that neither hides the other; `styles` (label ->
    line style and marker: alternate_styles) draws a series that lies on another distinguishably.
    Returns the methods drawn."""
    drawn: set[str] = set()
    series = list(iter_series(frame, exclude=exclude, always=always, color_of=color_of, kinds=kinds))
    for group in identical_groups(series, x, y):
        key, rows, color, _ = group[0]
        color = group[-1][2]  # e.g. Langevin's colour for Bayes = Langevin (the same in other panels)
        label = " = ".join(item[3] for item in group)
        drawn |= theory_sim(ax, rows, x, y, yerr=yerr, color=color, label=label, **look(styles, label))
        for key, _, _, name in group:
            fit = fit_for(fit_rows, key)
            if fit is not None:
                power_law(ax, fit, series=name)
    return drawn


def identical_groups(series: list[tuple], x: str, y: str) -> list[list[tuple]]:
    """The series (iter_series tuples) grouped where they draw the same marks: equal (method, x, y)
    within 1e-12 relative (e.g. Langevin and the Bayes posterior at t = inf, which are one number):
    such series are one line on the page, named by both."""

    def marks(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray] | None:
        good = _positive(rows, x, y).sort_values(["method", x], kind="mergesort")
        if good.empty:
            return None
        return good["method"].to_numpy(), good[[x, y]].to_numpy(dtype=float)

    groups: list[list[tuple]] = []
    keys: list = []
    for item in series:
        p = marks(item[1])
        for i, q in enumerate(keys):
            if (
                p is not None
                and q is not None
                and p[1].shape == q[1].shape
                and (p[0] == q[0]).all()
                and np.allclose(p[1], q[1], rtol=1e-12, atol=0)
            ):
                groups[i].append(item)
                break
        else:
            groups.append([item])
            keys.append(p)
    return groups


# line style and marker of a series that would lie on an earlier one (alternate_styles), in turn
ALTERNATES = (
    {"linestyle": (0, (5, 1.5)), "marker": "s"},
    {"linestyle": (0, (1.5, 1)), "marker": "^"},
    {"linestyle": (0, (5, 1, 1.5, 1)), "marker": "D"},
    {"linestyle": (0, (8, 2)), "marker": "v"},
)
CLOSE = 0.05  # series within 5 % of each other at every shared x would be one line on the page


def alternate_styles(
    panels: Iterable[tuple[pd.DataFrame, str, str]],
    exclude: Collection[str],
    always: Iterable[str] = (),
    color_of: dict | None = None,
    kinds: dict | None = None,
) -> dict:
    """label -> {linestyle, marker} (ALTERNATES) for every series that, in some panel ((frame, x, y)
    as series_with_fits draws it), lies within CLOSE of a series drawn before it at every x they
    share: one figure-wide style per series, so that the legend shows it as drawn. Other series
    keep the plain line and circles."""
    styles: dict = {}
    for frame, x, y in panels:
        series = list(iter_series(frame, exclude=exclude, always=always, color_of=color_of, kinds=kinds))
        before: list[pd.DataFrame] = []
        for group in identical_groups(series, x, y):
            label = " = ".join(item[3] for item in group)
            rows = group[0][1]
            if not look(styles, label) and any(_close(rows, other, x, y) for other in before):
                styles[label] = ALTERNATES[len(styles) % len(ALTERNATES)]
            before.append(rows)
    return styles


def look(styles: dict | None, label: str) -> dict:
    """The alternate style (alternate_styles) of a series, by its label: its own, or that of a
    series it is merged with ('A = B' shares the look of A and of B, and A that of 'A = B'), so that
    a series keeps one look in every panel."""
    styles = styles or {}
    if label in styles:
        return styles[label]
    parts = set(label.split(" = "))
    for other, value in styles.items():
        if parts & set(other.split(" = ")):
            return value
    return {}


def _close(a: pd.DataFrame, b: pd.DataFrame, x: str, y: str) -> bool:
    """a and b within CLOSE (in log y) at every x they share, the theory lines or the simulation
    points (e.g. simulated t* on the same time grid point)."""
    a, b = _positive(a, x, y), _positive(b, x, y)
    for method in (THEORY, SIMULATION):
        pa, pb = a[a["method"] == method], b[b["method"] == method]
        xa, xb = pa[x].to_numpy(dtype=float), pb[x].to_numpy(dtype=float)
        shared = np.isclose(xa[:, None], xb[None, :], rtol=1e-9, atol=0.0)
        if shared.any():
            i, j = np.nonzero(shared)
            ratio = np.log(pa[y].to_numpy(dtype=float)[i] / pb[y].to_numpy(dtype=float)[j])
            if (np.abs(ratio) < CLOSE).all():
                return True
    return False

"""F5: fitted vs expected exponents over the (alpha, beta) grid, one column per law (time, data
size, model size). Top row: fitted against expected exponent, the dotted diagonal = agreement.
Bottom row: the same fits as fitted minus expected, with their 95 % intervals (exponent_lo ..
exponent_hi minus expected) as bars drawn over hollow markers, on an axis set by the deviations,
so that intervals far smaller than the top row's range are seen; dotted zero line = agreement.
Colour is alpha, marker is beta (hollow). Fits flagged 'not_power_law' / 'too_few_points' /
'short_window' are grey crosses; fits at a log-corrected edge (beta - 1 = alpha for N, = 2 alpha
for P; flag 'log_corrected') are open diamonds: there the finite-size slope is shallower by a log
correction, not a disagreement. Simulation fits (where a sweep simulates) are open squares.
Points of different alpha are dodged horizontally by DODGE so that none hides another."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import common, style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

NAME = "exponents"
DODGE = 0.06  # horizontal offset between alphas (in exponent units), stated in the caption
MARKERS = ("o", "s", "^", "v", "D", "P", "X")
LAWS = (
    ("time", "E vs t  ($N = P = \\infty$)"),
    ("samples", "E vs P  ($t = \\infty$)"),
    ("features", "E vs N  ($t = \\infty$)"),
)
FLAGGED = "flagged fit (not a power law, too few points or a short window)"
EDGE = "log-corrected edge"
SIM = "simulation fit (open square)"


def draw(curves: pd.DataFrame, fits: pd.DataFrame, early: pd.DataFrame, spec: dict) -> Figure:
    panels, total = [], 0
    for i, (law, title) in enumerate(LAWS):
        name, sw = common.sweep(spec, NAME, i)
        rows = common.select_fits(fits, sw, law)
        total += len(rows)
        rows = rows[np.isfinite(rows["expected_exponent"].to_numpy(dtype=float))]
        panels.append((law, title, name, rows))
    common.require(
        pd.DataFrame({"n": range(total)}),
        NAME,
        "no time / samples / features fit (quantity eg) for sweeps " + ", ".join(sorted(spec.get("sweeps") or {})),
    )
    with style.context():
        fig, axes = style.subplots(2, 3, height_ratios=(3, 2))
        alphas = sorted({a for *_, rows in panels for a in rows["alpha"].dropna().unique()})
        palette = dict(zip(alphas, style.colors(len(alphas)), strict=True))
        betas = sorted({b for *_, rows in panels for b in rows["beta"].dropna().unique()})
        markers = dict(zip(betas, [MARKERS[i % len(MARKERS)] for i in range(len(betas))], strict=True))
        dodge = {a: DODGE * (i - (len(alphas) - 1) / 2) for i, a in enumerate(alphas)}
        for col, (law, title, name, rows) in enumerate(panels):
            top, bottom = axes[col], axes[3 + col]
            if rows.empty:
                for ax in (top, bottom):
                    style.note(ax, f"no '{law}' fit with an\nexpected exponent in\nsweep {name!r}")
                    ax.set_xticks([])
                    ax.set_yticks([])
                    style.finish(ax, title=title if ax is top else "")
                continue
            # dodge: alphas with the same expected exponent would hide each other on the diagonal
            x = rows["expected_exponent"] + rows["alpha"].map(dodge).fillna(0.0)
            expected = rows["expected_exponent"].to_numpy(dtype=float)
            vals = np.concatenate([rows[["exponent_lo", "exponent_hi"]].to_numpy(dtype=float).ravel(), expected])
            lo, hi = float(np.nanmin(vals)), float(np.nanmax(vals))
            pad = 0.1 * max(hi - lo, 0.5)
            lo, hi = lo - pad, hi + pad
            top.plot([lo, hi], [lo, hi], color="0.5", linestyle=":", linewidth=1.0, label="fitted = expected")
            _points(top, rows, x, 0.0, palette, markers)
            top.set_xlim(lo, hi)
            top.set_ylim(lo, hi)
            top.set_aspect("equal", adjustable="box")
            style.finish(top, title=title, xlabel="expected exponent", ylabel="fitted exponent")
            bottom.axhline(0.0, color="0.5", linestyle=":", linewidth=1.0, label="fitted = expected")
            _points(bottom, rows, x, expected, palette, markers)
            # the scale of the deviations of the fits that count (flagged fits beyond it are seen in
            # the top row): the intervals are drawn at a readable size
            dev = rows[["exponent_lo", "exponent_hi", "exponent"]].to_numpy(dtype=float) - expected[:, None]
            counted = rows["flag"].isin(["", "log_corrected"]).to_numpy()
            dev = dev[counted] if counted.any() else dev
            reach = float(np.nanmax(np.abs(dev))) if np.isfinite(dev).any() else 0.0
            reach = max(reach * 1.25, 1e-3)
            bottom.set_ylim(-reach, reach)
            bottom.set_xlim(lo, hi)
            style.finish(bottom, xlabel="expected exponent", ylabel="fitted − expected\n(bars: 95 % interval)")
        from matplotlib.lines import Line2D

        keys = [
            (
                Line2D([], [], marker="o", mfc="none", linestyle="none", color=palette[a]),
                f"α={common.fmt_value('alpha', a)}",
            )
            for a in alphas
        ]
        keys += [
            (
                Line2D([], [], marker=markers[b], mfc="none", linestyle="none", color=style.KEY_COLOR),
                f"β={common.fmt_value('beta', b)}",
            )
            for b in betas
        ]
        style.figure_legend(fig, (), extra=keys)
    return fig


def _points(
    ax: Axes, rows: pd.DataFrame, x: pd.Series, offset: np.ndarray | float, palette: dict, markers: dict
) -> None:
    """The fits of one panel at (x, exponent - offset): hollow markers (colour alpha, marker beta),
    their 95 % intervals as bars in the alpha colour drawn over the markers, caps included, so that
    an interval smaller than its marker shows as a dash inside it."""
    y = rows["exponent"].to_numpy(dtype=float) - offset
    lo = rows["exponent_lo"].to_numpy(dtype=float) - offset
    hi = rows["exponent_hi"].to_numpy(dtype=float) - offset
    flag = rows["flag"].to_numpy()
    method = rows["method"].to_numpy()
    xv = x.to_numpy(dtype=float)
    good, edge = flag == "", flag == "log_corrected"
    bad = ~good & ~edge
    colors = [palette.get(a, style.KEY_COLOR) for a in rows["alpha"]]
    for i in np.flatnonzero(good | edge):  # the intervals, above every marker
        ax.errorbar(
            xv[i],
            y[i],
            yerr=[[max(y[i] - lo[i], 0.0)], [max(hi[i] - y[i], 0.0)]],
            fmt="none",
            ecolor=colors[i],
            elinewidth=1.0,
            capsize=2.5,
            zorder=4,
        )
    theory = good & (method == style.THEORY)
    for (a, b), idx in pd.Series(np.arange(len(rows)))[theory].groupby(
        [rows["alpha"][theory].to_numpy(), rows["beta"][theory].to_numpy()], sort=True
    ):
        ax.scatter(
            xv[idx],
            y[idx],
            marker=markers[b],
            s=30,
            facecolors="none",
            edgecolors=[palette[a]],
            linewidths=1.0,
            zorder=3,
        )
    sim = good & (method == style.SIMULATION)
    # hollow markers in the series' colours: simulation fits (squares), log-corrected edges (diamonds)
    for mask, marker, size, label in ((sim, "s", 60, SIM), (edge, "D", 40, EDGE)):
        if mask.any():
            ax.scatter(
                xv[mask],
                y[mask],
                marker=marker,
                s=size,
                facecolors="none",
                edgecolors=[colors[i] for i in np.flatnonzero(mask)],
                linewidths=1.0,
                label=label,
                zorder=3,
            )
    if bad.any():
        ax.scatter(xv[bad], y[bad], marker="x", color="0.5", s=24, label=FLAGGED, zorder=3)

"""F5: fitted vs expected exponents over the (alpha, beta) grid, one panel per law (time, data
size, model size); points with their 95 % intervals, the diagonal = agreement. Fits flagged
'not_power_law' / 'too_few_points' / 'short_window' are drawn as grey crosses, fits at a
log-corrected edge (beta - 1 = alpha for N, = 2 alpha for P; flag 'log_corrected') as open
diamonds: there the finite-size slope is shallower by a log correction, not a disagreement.
Points of different alpha are dodged horizontally by DODGE = 0.04 so that none hides another."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import common, style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "exponents"
DODGE = 0.04  # horizontal offset between alphas (in exponent units), stated in the caption
MARKERS = ("o", "s", "^", "v", "D", "P", "X")
LAWS = (
    ("time", "E vs t  ($N = P = \\infty$)"),
    ("samples", "E vs P  ($t = \\infty$)"),
    ("features", "E vs N  ($t = \\infty$)"),
)


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
        fig, axes = style.subplots(1, 3)
        alphas = sorted({a for *_, rows in panels for a in rows["alpha"].dropna().unique()})
        palette = dict(zip(alphas, style.colors(len(alphas)), strict=True))
        betas = sorted({b for *_, rows in panels for b in rows["beta"].dropna().unique()})
        markers = dict(zip(betas, [MARKERS[i % len(MARKERS)] for i in range(len(betas))], strict=True))
        dodge = {a: DODGE * (i - (len(alphas) - 1) / 2) for i, a in enumerate(alphas)}
        for ax, (law, title, name, rows) in zip(axes, panels, strict=True):
            if rows.empty:
                style.note(ax, f"no '{law}' fit with an expected exponent in sweep {name!r}")
                lo, hi = -3.0, 0.0
            else:
                vals = rows[["exponent_lo", "exponent_hi", "expected_exponent"]].to_numpy(dtype=float)
                lo, hi = float(np.nanmin(vals)), float(np.nanmax(vals))
                pad = 0.1 * max(hi - lo, 0.5)
                lo, hi = lo - pad, hi + pad
            ax.plot([lo, hi], [lo, hi], color="0.5", linestyle=":", linewidth=1.0, label="fitted = expected")
            # dodge: alphas with the same expected exponent would hide each other on the diagonal
            rows = rows.assign(expected_exponent=rows["expected_exponent"] + rows["alpha"].map(dodge).fillna(0.0))
            good = rows[rows["flag"] == ""]
            edge = rows[rows["flag"] == "log_corrected"]
            bad = rows[~rows["flag"].isin(["", "log_corrected"])]
            for method in (style.THEORY, style.SIMULATION):
                part = good[good["method"] == method]
                if part.empty:
                    continue
                yerr = np.vstack([part["exponent"] - part["exponent_lo"], part["exponent_hi"] - part["exponent"]])
                ax.errorbar(
                    part["expected_exponent"],
                    part["exponent"],
                    yerr=np.clip(yerr, 0, None),
                    fmt="none",
                    ecolor="0.4",
                    elinewidth=0.8,
                    zorder=2,
                )
                if method == style.THEORY:  # colour: alpha, marker: beta (keys in the figure legend)
                    for (a, b), pts in part.groupby(["alpha", "beta"], sort=True):
                        ax.scatter(
                            pts["expected_exponent"],
                            pts["exponent"],
                            marker=markers[b],
                            color=palette[a],
                            s=22,
                            alpha=0.8,
                            zorder=3,
                        )
                else:  # simulation: hollow squares in the alpha colour
                    edge = [palette.get(a, "0.3") for a in part["alpha"]]
                    ax.scatter(
                        part["expected_exponent"],
                        part["exponent"],
                        marker="s",
                        s=48,
                        facecolors="none",
                        edgecolors=edge,
                        linewidths=1.0,
                        label="simulation",
                        zorder=3,
                    )
            if len(edge):  # the exponent carries a log correction here: not a miss
                ax.scatter(
                    edge["expected_exponent"],
                    edge["exponent"],
                    marker="D",
                    s=26,
                    facecolors="none",
                    edgecolors=[palette.get(a, "0.3") for a in edge["alpha"]],
                    linewidths=1.0,
                    label="log-corrected edge",
                    zorder=3,
                )
            if len(bad):
                ax.scatter(
                    bad["expected_exponent"],
                    bad["exponent"],
                    marker="x",
                    color="0.5",
                    s=20,
                    label="flagged fit",
                    zorder=3,
                )
            ax.set_xlim(lo, hi)
            ax.set_ylim(lo, hi)
            ax.set_aspect("equal", adjustable="box")
            style.finish(ax, title=title, xlabel="expected exponent", ylabel="fitted exponent")
        from matplotlib.lines import Line2D

        keys = [
            (Line2D([], [], marker="o", linestyle="none", color=palette[a]), f"α={common.fmt_value('alpha', a)}")
            for a in alphas
        ]
        keys += [
            (
                Line2D([], [], marker=markers[b], linestyle="none", color=style.KEY_COLOR),
                f"β={common.fmt_value('beta', b)}",
            )
            for b in betas
        ]
        style.figure_legend(fig, (), extra=keys)
    return fig

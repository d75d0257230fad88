"""F5: fitted vs expected exponents over the (alpha, beta) grid, one panel per law (time, data
size, model size); points with their 95 % intervals, the diagonal = agreement. Fits flagged
'not_power_law' / 'too_few_points' are drawn as grey crosses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns

from . import common, style

NAME = "exponents"
LAWS = (("time", "E vs t  ($N = P = \\infty$)"), ("samples", "E vs P  ($t = \\infty$)"), ("features", "E vs N  ($t = \\infty$)"))


def draw(curves, fits, early, spec: dict):
    panels, total = [], 0
    for i, (law, title) in enumerate(LAWS):
        name, sw = common.sweep(spec, NAME, i)
        rows = common.select_fits(fits, sw, law)
        total += len(rows)
        rows = rows[np.isfinite(rows["expected_exponent"].to_numpy(dtype=float))]
        panels.append((law, title, name, rows))
    common.require(pd.DataFrame({"n": range(total)}), NAME,
                   "no time / samples / features fit (quantity eg) for sweeps " + ", ".join(sorted(spec.get("sweeps") or {})))
    with style.context():
        fig, axes = style.subplots(1, 3)
        alphas = sorted({a for *_, rows in panels for a in rows["alpha"].dropna().unique()})
        palette = dict(zip(alphas, style.colors(len(alphas))))
        for ax, (law, title, name, rows) in zip(axes, panels):
            if rows.empty:
                style.note(ax, f"no '{law}' fit with an expected exponent in sweep {name!r}")
                lo, hi = -3.0, 0.0
            else:
                vals = rows[["exponent_lo", "exponent_hi", "expected_exponent"]].to_numpy(dtype=float)
                lo, hi = float(np.nanmin(vals)), float(np.nanmax(vals))
                pad = 0.1 * max(hi - lo, 0.5)
                lo, hi = lo - pad, hi + pad
            ax.plot([lo, hi], [lo, hi], color="0.5", linestyle=":", linewidth=1.0, label="fitted = expected")
            good = rows[rows["flag"] == ""]
            bad = rows[rows["flag"] != ""]
            for method in (style.THEORY, style.SIMULATION):
                part = good[good["method"] == method]
                if part.empty:
                    continue
                yerr = np.vstack([part["exponent"] - part["exponent_lo"], part["exponent_hi"] - part["exponent"]])
                ax.errorbar(part["expected_exponent"], part["exponent"], yerr=np.clip(yerr, 0, None), fmt="none",
                            ecolor="0.4", elinewidth=0.8, zorder=2)
                if method == style.THEORY:
                    sns.scatterplot(data=part, x="expected_exponent", y="exponent", hue="alpha", style="beta",
                                    palette=palette, ax=ax, s=28, zorder=3)
                else:  # simulation: hollow squares in the alpha colour
                    edge = [palette.get(a, "0.3") for a in part["alpha"]]
                    ax.scatter(part["expected_exponent"], part["exponent"], marker="s", s=30, facecolors="none",
                               edgecolors=edge, linewidths=1.0, label="simulation", zorder=3)
            if len(bad):
                ax.scatter(bad["expected_exponent"], bad["exponent"], marker="x", color="0.5", s=20,
                           label="flagged fit", zorder=3)
            ax.set_xlim(lo, hi)
            ax.set_ylim(lo, hi)
            ax.set_aspect("equal", adjustable="box")
            style.finish(ax, title=title, xlabel="expected exponent", ylabel="fitted exponent")
    return fig

"""F1: learning curves E_g(t) for several P, one panel per regime (theory lines, simulation
points), with the fitted time law of each curve where the theory states one (-(beta-1)/alpha for gradient
flow, before the finite-size plateau). Panel titles give the parameters fixed in the panel."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import common, style

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

NAME = "learning_curves"


def draw(curves: pd.DataFrame, fits: pd.DataFrame, early: pd.DataFrame, spec: dict) -> Figure:
    name, sw = common.sweep(spec, NAME)
    regimes = list(spec.get("regimes", sw.get("regimes", [])))
    rows = common.select(curves, sw, regimes)
    fit_rows = common.select_fits(fits, sw, "time", regimes)
    if "noise" in spec:
        rows = rows[np.isclose(rows["noise"], float(spec["noise"]))]
        fit_rows = fit_rows[np.isclose(fit_rows["noise"], float(spec["noise"]))]
    rows = common.valid(rows[np.isfinite(rows["t"].to_numpy(dtype=float))], "eg")
    common.require(rows, NAME, f"sweep {name!r}, regimes {regimes}, noise {spec.get('noise', 'any')}, finite t")
    panels = [r for r in regimes if (rows["regime"] == r).any()]
    with style.context():
        fig, axes = style.subplots(1, len(panels))
        for ax, regime in zip(axes, panels, strict=True):
            part = rows[rows["regime"] == regime]
            style.loglog(ax)
            for key, series, color, label in style.iter_series(part, exclude=("regime",), always=("n_samples",)):
                style.theory_sim(ax, series, "t", "eg", yerr="eg_sem", color=color, label=label)
                fit = style.fit_for(fit_rows[fit_rows["regime"] == regime], key)
                if fit is not None:
                    style.power_law(ax, fit, color=color)
            style.method_legend(ax)
            style.finish(
                ax, title=f"{regime}: {common.describe(part)}", xlabel="training time t", ylabel="Gibbs error $E_g(t)$"
            )
    return fig

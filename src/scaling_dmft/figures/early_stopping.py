"""F4: early stopping: optimal time t* (left) and optimal error E* (right) vs P, with and
without weight decay (gf vs gf_wd) at several noise levels; fitted and expected slopes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import common, style

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

NAME = "early_stopping"


def draw(curves: pd.DataFrame, fits: pd.DataFrame, early: pd.DataFrame, spec: dict) -> Figure:
    name, sw = common.sweep(spec, NAME)
    stop = common.select(early, sw)
    stop = stop[np.isfinite(stop["n_samples"].to_numpy(dtype=float))]
    common.require(stop, NAME, f"early-stopping rows of sweep {name!r}, regimes {sw.get('regimes')}")
    # only real optima: 'boundary' (minimum at the grid edge) and 'no_minimum' (gain below the
    # method's resolution) rows have no t*, E* to show
    inner = common.valid(stop, "t_star")
    all_e = common.valid(stop, "e_star")
    f_t = common.select_fits(fits, sw, "t_star", quantity="t_star")
    f_e = common.select_fits(fits, sw, "e_star", quantity="e_star")
    with style.context():
        fig, axes = style.subplots(1, 2)
        for ax, frame, y, yerr, fit_rows, ylabel in (
            (axes[0], inner, "t_star", None, f_t, "optimal time $t^*$"),
            (axes[1], all_e, "e_star", "e_star_sem", f_e, "optimal error $E^*$"),
        ):
            style.loglog(ax)
            if frame.empty:
                style.note(ax, "no early-stopping optimum (monotone curves or minima at the grid edge)")
            style.series_with_fits(ax, frame, "n_samples", y, yerr, fit_rows, ("n_samples",))
            style.data_ticks(ax, frame["n_samples"])
            style.method_legend(ax)
            style.finish(
                ax, title=common.describe(stop, skip=("n_samples",)), xlabel="training set size P", ylabel=ylabel
            )
    return fig

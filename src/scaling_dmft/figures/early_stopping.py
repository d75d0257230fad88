"""F4: early stopping: optimal time t* (left) and optimal error E* (right) vs P, with and
without weight decay (gf vs gf_wd) at several noise levels; fitted and expected slopes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..tables import POINT_COLUMNS
from . import common, style

if TYPE_CHECKING:
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
    kinds = common.regime_kinds(spec)
    # one colour per series drawn (in either panel), the same in both
    drawn = pd.concat([inner, all_e]).drop_duplicates(subset=[*POINT_COLUMNS, "method"])
    color_of = {lab: col for _, _, col, lab in style.iter_series(drawn, exclude=("n_samples",), kinds=kinds)}
    styles = style.alternate_styles(
        [(inner, "n_samples", "t_star"), (all_e, "n_samples", "e_star")], ("n_samples",), color_of=color_of, kinds=kinds
    )
    methods: set[str] = set()
    with style.context():
        fig, axes = style.subplots(1, 2)
        for ax, frame, y, yerr, fit_rows, ylabel, title in (
            (axes[0], inner, "t_star", None, f_t, "$t^*$", "optimal stopping time $t^*$"),
            (axes[1], all_e, "e_star", "e_star_sem", f_e, "$E^*$", "optimal error $E^* = E_g(t^*)$"),
        ):
            style.loglog(ax)
            if frame.empty:
                style.note(ax, "no early-stopping optimum (monotone curves or minima at the grid edge)")
            methods |= style.series_with_fits(
                ax, frame, "n_samples", y, yerr, fit_rows, ("n_samples",), color_of=color_of, kinds=kinds, styles=styles
            )
            style.data_ticks(ax, frame["n_samples"])
            style.finish(ax, title=title, xlabel="training set size P", ylabel=ylabel)
        notes = _missing_laws(stop, f_t, f_e, kinds)
        if notes:
            fig.text(0.01, -0.02, notes, fontsize=6, color="0.3", va="top", wrap=True)
        header = common.describe(stop, skip=("n_samples", "weight_decay", "temperature"), width=90)
        style.figure_legend(fig, methods, header=f"early stopping: {header}")
    return fig


def _missing_laws(stop: pd.DataFrame, f_t: pd.DataFrame, f_e: pd.DataFrame, kinds: dict) -> str:
    """Which series have a stated law that is not drawn, and why (the fit row's flag), so that a
    missing dashed line is explained on the page."""
    parts = []
    for law, rows in (("t*", f_t), ("E*", f_e)):
        stated = rows[np.isfinite(rows["expected_exponent"].to_numpy(dtype=float)) & (rows["flag"] != "")]
        for _, r in stated.drop_duplicates(["regime", "noise", "method", "flag"]).iterrows():
            who = common.regime_words(r, kinds.get(r["regime"]))
            method = "theory" if r["method"] == style.THEORY else "simulation"
            parts.append(f"{law} {who}, σ={common.fmt_value('noise', r['noise'])} ({method}): fit {r['flag']}")
    return ("laws not drawn: " + "; ".join(parts)) if parts else ""

"""F1: learning curves E_g(t) for several P, one panel per regime at the figure's label noise
(theory lines, simulation points), and a last panel with the time laws: gradient flow without
label noise (sigma = 0), where E_g(t) ~ t^-(beta-1)/alpha holds before the finite-P plateau, each
curve with its fitted law (black dashed, over its fit window) where the fit is unflagged. At the
figure's noise (0.5 in the shipped configs) the gradient-flow curves turn within a decade, so their
fits are short and not drawn there. One legend for all panels; colours are P."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import common, style

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

NAME = "learning_curves"


def _law_regime(spec: dict, regimes: list[str]) -> str | None:
    """The sweep's gradient-flow regime (gamma = T = sigma0 = 0), where the time law is stated."""
    defined = spec.get("regimes_defined") or {}
    for name in regimes:
        r = defined.get(name, {})
        if r.get("kind") == "gf" and not r.get("learning_rate") and float(r.get("init_std") or 0) == 0:
            return name
    return None


def draw(curves: pd.DataFrame, fits: pd.DataFrame, early: pd.DataFrame, spec: dict) -> Figure:
    name, sw = common.sweep(spec, NAME)
    kinds = common.regime_kinds(spec)
    regimes = list(spec.get("regimes", sw.get("regimes", [])))
    every = common.select(curves, sw, sw.get("regimes", regimes))
    every = common.valid(every[np.isfinite(every["t"].to_numpy(dtype=float))], "eg")
    fit_rows = common.select_fits(fits, sw, "time", sw.get("regimes", regimes))
    rows = every[every["regime"].isin(regimes)]
    if "noise" in spec:
        rows = rows[np.isclose(rows["noise"], float(spec["noise"]))]
    common.require(rows, NAME, f"sweep {name!r}, regimes {regimes}, noise {spec.get('noise', 'any')}, finite t")
    panels = [(r, rows[rows["regime"] == r], False) for r in regimes if (rows["regime"] == r).any()]
    law = _law_regime(spec, list(sw.get("regimes", regimes)))
    if law is not None:
        quiet = every[(every["regime"] == law) & (every["noise"] == 0.0)]
        if len(quiet) and not ("noise" in spec and float(spec["noise"]) == 0.0):
            panels.append((law, quiet, True))
    color_of = {
        lab: col for _, _, col, lab in style.iter_series(every, exclude=("regime", "noise"), always=("n_samples",))
    }
    methods: set[str] = set()
    with style.context():
        fig, axes = style.subplots(1, len(panels), sharey=True)
        for ax, (regime, part, with_laws) in zip(axes, panels, strict=True):
            style.loglog(ax)
            laws = fit_rows[
                (fit_rows["regime"] == regime) & np.isclose(fit_rows["noise"], float(part["noise"].iloc[0]))
            ]
            drawn_fit = None
            for key, series, color, label in style.iter_series(
                part, exclude=("regime", "noise"), always=("n_samples",), color_of=color_of
            ):
                methods |= style.theory_sim(ax, series, "t", "eg", yerr="eg_sem", color=color, label=label)
                fit = style.fit_for(laws, key) if with_laws else None
                if fit is not None:
                    drawn_fit = (fit, label)  # the curves share the law before their plateaus: the
                    # largest P's fit (the longest window) is drawn, not one black line on another
            if drawn_fit is not None:
                style.power_law(ax, drawn_fit[0], series=drawn_fit[1])
            words = common.regime_words(part.iloc[0], kinds.get(regime))
            head = f"time laws: {words}" if with_laws else words
            style.finish(
                ax,
                title=f"{head}\n{common.describe(part, skip=('weight_decay', 'temperature'))}",
                xlabel="training time t",
                ylabel="Gibbs error $E_g(t)$",
            )
        style.figure_legend(fig, methods)
    return fig

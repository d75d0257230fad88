"""F7: Langevin training approaching the Bayesian posterior: E(t) of the `langevin` regime and
the `bayes` posterior value (horizontal dashed line, same colour), for the Gibbs error E_g (left)
and the mean-predictor error E_mean (right)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..tables import SPECTRUM_COLUMNS
from . import common, style

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

NAME = "langevin_bayes"
# the columns that tie a Langevin curve to its posterior (the regime columns may differ)
DISORDER = [*SPECTRUM_COLUMNS, "n_features", "n_samples", "noise"]


def draw(curves: pd.DataFrame, fits: pd.DataFrame, early: pd.DataFrame, spec: dict) -> Figure:
    name, sw = common.sweep(spec, NAME)
    lang, bayes = spec.get("langevin", "langevin"), spec.get("bayes", "bayes")
    rows = common.select(curves, sw, [lang])
    post = common.select(curves, sw, [bayes])
    if "noise" in spec:
        rows = rows[np.isclose(rows["noise"], float(spec["noise"]))]
        post = post[np.isclose(post["noise"], float(spec["noise"]))]
    rows = rows[np.isfinite(rows["t"].to_numpy(dtype=float))]
    common.require(
        common.valid(rows, "eg"), NAME, f"sweep {name!r}, regime {lang!r}, noise {spec.get('noise', 'any')}, finite t"
    )
    post = post[(post["method"] == style.THEORY) & np.isinf(post["t"].to_numpy(dtype=float))]
    kinds = common.regime_kinds(spec)
    methods: set[str] = set()
    posterior_drawn = False
    with style.context():
        fig, axes = style.subplots(1, 2, sharey=True)
        for ax, col, sem, title in (
            (axes[0], "eg", "eg_sem", "Gibbs error $E_g$"),
            (axes[1], "eg_mean", "eg_mean_sem", "mean predictor $E_{mean}$"),
        ):
            style.loglog(ax)
            good = common.valid(rows, col)
            for _key, series, color, label in style.iter_series(good, exclude=("regime",), always=("n_samples",)):
                methods |= style.theory_sim(ax, series, "t", col, yerr=sem, color=color, label=label)
                ref = common.valid(style.match(post, {c: series[c].iloc[0] for c in DISORDER}), col)
                if len(ref):
                    ax.axhline(float(ref[col].iloc[0]), color=color, linestyle="--", linewidth=1.0)
                    posterior_drawn = True
            if post.empty:
                style.note(ax, "no Bayes-posterior rows: posterior value not shown")
            style.finish(ax, title=title, xlabel="training time t", ylabel="error")
        words = common.regime_words(rows.iloc[0], kinds.get(lang))
        setting = common.describe(rows, skip=("n_samples", "weight_decay", "temperature"), width=70)
        from matplotlib.lines import Line2D

        key = Line2D([], [], color=style.KEY_COLOR, linestyle="--", linewidth=1.0)
        style.figure_legend(
            fig,
            methods,
            extra=[(key, "Bayes posterior (t = ∞), dashed in the colour of its P")] if posterior_drawn else [],
            header=f"{words} against the Bayes posterior\n{setting}",
        )
    return fig

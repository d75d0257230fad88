"""F2: bias / variance decomposition of E_g(t) at the interpolation threshold: total E_g and its
signal, label-noise, initialisation and thermal parts; left N = inf with M = P, right N = P.
The early-stopping optimum t* (theory) is marked."""

from __future__ import annotations

import numpy as np

from ..tables import COMPONENT_COLUMNS, POINT_COLUMNS
from . import common, style

NAME = "threshold"
LABELS = {"eg": "total $E_g$", "eg_signal": "signal", "eg_noise": "label noise", "eg_init": "initialisation", "eg_thermal": "thermal"}


def _panel(ax, rows, early, colors):
    point = rows[POINT_COLUMNS].iloc[0].to_dict()
    curve = style.match(rows, point)
    finite = curve[np.isfinite(curve["t"].to_numpy(dtype=float))]
    style.loglog(ax)
    for col, color in zip(["eg"] + COMPONENT_COLUMNS, colors):
        good = common.valid(finite, col)
        if good.empty:
            continue  # identically zero component (e.g. no label noise): nothing on a log axis
        style.theory_sim(ax, good, "t", col, yerr="eg_sem" if col == "eg" else None, color=color, label=LABELS[col])
    at_inf = common.valid(curve[np.isinf(curve["t"].to_numpy(dtype=float))], "eg")
    at_inf = at_inf[at_inf["method"] == style.THEORY]
    if len(at_inf):
        ax.axhline(float(at_inf["eg"].iloc[0]), color="0.5", linestyle=":", linewidth=1.0, label="$E_g(t=\\infty)$")
    stop = style.match(early[early["method"] == style.THEORY], point)
    if len(stop) and stop["flag"].iloc[0] == "":
        t_star = float(stop["t_star"].iloc[0])
        ax.axvline(t_star, color="0.2", linestyle="--", linewidth=0.9, label=f"$t^*$ = {t_star:.3g}")
    style.method_legend(ax)
    n = common.fmt_value("n_features", point["n_features"])
    title = f"N = {n}, P = {common.fmt_value('n_samples', point['n_samples'])}, M = {point['n_modes']} ({point['regime']})"
    style.finish(ax, title=title, xlabel="training time t", ylabel="error")


def draw(curves, fits, early, spec: dict):
    selections = []
    for i in range(2):
        name, sw = common.sweep(spec, NAME, i)
        rows = common.valid(common.select(curves, sw), "eg")
        common.require(rows, NAME, f"sweep {name!r} (panel {i + 1}), regimes {sw.get('regimes')}")
        selections.append((rows, common.select(early, sw)))
    with style.context():
        fig, axes = style.subplots(1, 2)
        colors = ["0.1"] + style.colors(len(COMPONENT_COLUMNS))
        for ax, (rows, stop) in zip(axes, selections):
            _panel(ax, rows, stop, colors)
    return fig

"""F3: data scaling: E vs P at t = inf (left) and at the early-stopping optimum t* (right) for
every regime, with fitted power laws ('samples' and 'e_star' laws) where the theory states an
exponent. The left panel is at label noise `noise`, the right at `early_noise` (default `noise`). Left: every regime's t = inf value, `bayes` dotted (at t = inf it equals the Langevin
value, the posterior). Right: only curves with a real optimum (flag ''); a regime whose curves
are monotone (e.g. gradient flow without label noise) has none and is absent, as the panel says."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import common, style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

NAME = "data_scaling"


def draw(curves: pd.DataFrame, fits: pd.DataFrame, early: pd.DataFrame, spec: dict) -> Figure:
    names = list(spec.get("sweeps") or {})
    if not names:
        raise ValueError(f"figure {NAME!r}: spec['sweeps'] is empty")
    inf_rows, stop_rows, fit_inf, fit_star = [], [], [], []
    for i in range(len(names)):
        _, sw = common.sweep(spec, NAME, i)
        inf_rows.append(common.select(curves, sw, skip=()))
        stop_rows.append(common.select(early, sw))
        fit_inf.append(common.select_fits(fits, sw, "samples"))
        fit_star.append(common.select_fits(fits, sw, "e_star", quantity="e_star"))
    cat = lambda frames: pd.concat(frames, ignore_index=True).drop_duplicates()  # noqa: E731
    rows, stop, f_inf, f_star = cat(inf_rows), cat(stop_rows), cat(fit_inf), cat(fit_star)
    if "noise" in spec:  # left panel
        noise = float(spec["noise"])
        rows, f_inf = rows[np.isclose(rows["noise"], noise)], f_inf[np.isclose(f_inf["noise"], noise)]
    if "early_noise" in spec or "noise" in spec:  # right panel: early stopping needs label noise to help
        noise = float(spec.get("early_noise", spec.get("noise")))
        stop, f_star = stop[np.isclose(stop["noise"], noise)], f_star[np.isclose(f_star["noise"], noise)]
    rows = common.valid(common.without_divergent(rows[np.isinf(rows["t"].to_numpy(dtype=float))]), "eg")
    rows = rows[np.isfinite(rows["n_samples"].to_numpy(dtype=float))]
    common.require(rows, NAME, f"sweeps {names}, noise {spec.get('noise', 'any')}, t = inf, finite P")
    bayes = {n for n, r in (spec.get("regimes_defined") or {}).items() if r.get("kind") == "bayes"}
    # regimes with curves in time but no real optimum (bayes is t = inf only: no curve to stop)
    absent = sorted(set(rows["regime"]) - set(common.valid(stop, "e_star")["regime"]) - bayes - {"bayes"})
    words = {
        r: common.regime_words(rows[rows["regime"] == r].iloc[0], common.regime_kinds(spec).get(r)) for r in absent
    }
    stop = common.valid(stop, "e_star")
    # one colour per series across both panels
    kinds = common.regime_kinds(spec)
    # one colour per regime across both panels; the sweeps (M) are told apart by line width
    color_of = {
        label: color
        for _, _, color, label in style.iter_series(
            pd.concat([rows, stop]), exclude=("n_samples", "n_modes", "sweep", "noise"), kinds=kinds
        )
    }
    exclude = ("n_samples", "n_modes", "sweep")
    styles = style.alternate_styles(
        [(rows[rows["n_modes"] == m], "n_samples", "eg") for m in _modes(rows)]
        + [(stop[stop["n_modes"] == m], "n_samples", "e_star") for m in _modes(stop)],
        exclude,
        color_of=color_of,
        kinds=kinds,
    )
    methods: set[str] = set()
    with style.context():
        fig, axes = style.subplots(1, 2)
        for ax, frame, y, yerr, fit_rows, title in (
            (axes[0], rows, "eg", "eg_sem", f_inf, "$t = \\infty$"),
            (axes[1], stop, "e_star", "e_star_sem", f_star, "early stopping, $t = t^*$"),
        ):
            style.loglog(ax)
            if frame.empty:
                style.note(ax, "no early-stopping optimum in this selection (monotone curves)")
            elif y == "e_star" and absent:
                ax.text(
                    0.02,
                    0.02,
                    "no optimum (monotone): " + "; ".join(words[r] for r in absent),
                    transform=ax.transAxes,
                    fontsize=6,
                    color="0.4",
                )
            methods |= _by_sweep(ax, frame, y, yerr, fit_rows, color_of, kinds, styles)
            style.data_ticks(ax, frame["n_samples"])
            style.finish(
                ax,
                title=f"{title}\n{common.describe(frame, skip=('n_samples', 'n_modes', 'weight_decay', 'temperature', 'init_std'), width=36)}",
                xlabel="training set size P",
                ylabel="$E_g$" if y == "eg" else "$E^*$",
            )
        style.figure_legend(fig, methods, extra=_width_keys(pd.concat([rows, stop])))
    return fig


def _modes(frame: pd.DataFrame) -> list[int]:
    return sorted(int(m) for m in frame["n_modes"].unique())


def _by_sweep(
    ax: Axes,
    frame: pd.DataFrame,
    y: str,
    yerr: str | None,
    fit_rows: pd.DataFrame,
    color_of: dict,
    kinds: dict,
    styles: dict,
) -> set[str]:
    """Each sweep (its M) as its own set of series, in the regime colours: the largest M wide and
    faint underneath, the others normal on top (where the M do not matter the lines coincide and
    both stay visible)."""
    methods: set[str] = set()
    modes = _modes(frame)
    for m in modes:
        part = frame[frame["n_modes"] == m]
        wide = m == modes[-1] and len(modes) > 1
        series = list(
            style.iter_series(part, exclude=("n_samples", "n_modes", "sweep"), color_of=color_of, kinds=kinds)
        )
        for group in style.identical_groups(series, "n_samples", y):
            _, rows, color, _ = group[0]
            color = group[-1][2]
            label = " = ".join(item[3] for item in group)
            plain = {} if wide else style.look(styles, label)
            methods |= style.theory_sim(
                ax,
                rows,
                "n_samples",
                y,
                yerr=yerr,
                color=color,
                label=None if wide else label,
                linewidth=4.0 if wide else None,
                alpha=0.35 if wide else 1.0,
                **plain,
            )
            if wide:  # the label goes on the normal line; the wide one is explained by its key
                ax.plot([], [], color=color, label=label)
            for k, _, _, name in group:
                fit = style.fit_for(fit_rows[fit_rows["n_modes"] == m], k)
                if fit is not None:
                    style.power_law(ax, fit, series=f"{name}, M={common.fmt_value('n_modes', m)}")
    return methods


def _width_keys(frame: pd.DataFrame) -> list[tuple]:
    from matplotlib.lines import Line2D

    modes = _modes(frame)
    if len(modes) < 2:
        return []
    return [
        (
            Line2D([], [], color=style.KEY_COLOR, linewidth=4.0, alpha=0.35),
            f"M={common.fmt_value('n_modes', modes[-1])} (wide)",
        ),
        (Line2D([], [], color=style.KEY_COLOR), "M=" + ", ".join(common.fmt_value("n_modes", m) for m in modes[:-1])),
    ]

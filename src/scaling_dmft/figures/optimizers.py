"""F8: optimizers (docs/theory/discrete.md). The first sweep holds regimes that differ in how they
train (gradient flow, gradient descent at several learning rates, heavy-ball momentum) at finite P:
E_g against t at its largest P (first panel), the early-stopping optimum E* (second) and t* (third)
against P, and, where the sweep has a gradient-flow regime, every other regime's E_g relative to it,
E / E_gf - 1 against t at the largest P (fourth: the discrete-time correction, too small to see in
the first). The second sweep (optional) holds online-SGD regimes (P = N = inf) that differ in batch
size: E_g against t (last panel). Theory as lines, simulation as points with seed standard errors, fitted
laws over their windows where the theory states an exponent. Rows without a theory (flagged: steps out
of the theory's reach, momentum very close to 1) appear as simulation points only."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import common, style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

NAME = "optimizers"


def _noise(frame: pd.DataFrame, spec: dict) -> pd.DataFrame:
    return frame[np.isclose(frame["noise"], float(spec["noise"]))] if "noise" in spec else frame


def draw(curves: pd.DataFrame, fits: pd.DataFrame, early: pd.DataFrame, spec: dict) -> Figure:
    name, sw = common.sweep(spec, NAME, 0)
    rows = _noise(common.select(curves, sw), spec)
    finite_p = rows["n_samples"].to_numpy(dtype=float)
    rows = rows[np.isfinite(finite_p)]
    common.require(rows, NAME, f"sweep {name!r} at finite P, noise {spec.get('noise', 'any')}")
    p_max = float(rows["n_samples"].max())
    in_time = common.valid(rows[(rows["n_samples"] == p_max) & np.isfinite(rows["t"].to_numpy(dtype=float))])
    stop = _noise(common.select(early, sw), spec)
    stop = stop[np.isfinite(stop["n_samples"].to_numpy(dtype=float))]
    online = None
    if len(spec["sweeps"]) > 1:
        o_name, o_sw = common.sweep(spec, NAME, 1)
        online = common.valid(_noise(common.select(curves, o_sw), spec))
        common.require(online, NAME, f"online-SGD sweep {o_name!r}, noise {spec.get('noise', 'any')}")
    f_time = _noise(common.select_fits(fits, sw, "time"), spec)
    f_e = _noise(common.select_fits(fits, sw, "e_star", quantity="e_star"), spec)
    f_t = _noise(common.select_fits(fits, sw, "t_star", quantity="t_star"), spec)
    kinds = common.regime_kinds(spec)
    # one colour per regime across both sweeps (an online-SGD regime never takes a colour of the first)
    every = pd.concat([rows, online], ignore_index=True) if online is not None else rows
    color_of = {
        lab: col for _, _, col, lab in style.iter_series(every, exclude=("n_samples",), always=("regime",), kinds=kinds)
    }
    flow = sorted(set(in_time.loc[in_time["optimizer"] == "gf", "regime"]))
    e_rows, t_rows = common.valid(stop, "e_star"), common.valid(stop, "t_star")
    styles = style.alternate_styles(
        [(in_time, "t", "eg"), (e_rows, "n_samples", "e_star"), (t_rows, "n_samples", "t_star")]
        + ([(online, "t", "eg")] if online is not None else []),
        ("n_samples",),
        always=("regime",),
        color_of=color_of,
        kinds=kinds,
    )
    with style.context():
        fig, axes = style.subplots(1, 3 + bool(flow) + (online is not None))
        panels = [
            (in_time, "t", "eg", "eg_sem", f_time, f"$E_g(t)$ at P = {p_max:g}", "training time t = η k", "$E_g$"),
            (e_rows, "n_samples", "e_star", "e_star_sem", f_e, "early stopping: $E^*$", "training set size P", "$E^*$"),
            (t_rows, "n_samples", "t_star", None, f_t, "early stopping: $t^*$", "training set size P", "$t^*$"),
        ]  # fmt: skip
        for ax, (frame, x, y, yerr, fit_rows, title, xlabel, ylabel) in zip(axes, panels, strict=False):
            style.loglog(ax)
            if frame.empty:
                style.note(ax, "no real optimum (monotone curves or minima at the grid edge)")
            style.series_with_fits(
                ax, frame, x, y, yerr, fit_rows, ("n_samples",), color_of, ("regime",), kinds, styles
            )
            if x == "n_samples":
                style.data_ticks(ax, frame["n_samples"])
            style.finish(ax, title=title, xlabel=xlabel, ylabel=ylabel)
        if flow:
            _relative_panel(axes[3], in_time, flow[0], color_of, p_max, kinds, styles)
        if online is not None:
            ax = axes[-1]
            style.loglog(ax)
            f_online = _noise(common.select_fits(fits, o_sw, "time"), spec)
            style.series_with_fits(ax, online, "t", "eg", "eg_sem", f_online, (), color_of, ("regime",), kinds, styles)
            style.finish(
                ax,
                title=f"online SGD, fresh batches\n{common.describe(online, width=36)}",
                xlabel="training time t = η k",
                ylabel="$E_g$",
            )
        drawn = set(rows["method"]) | (set(online["method"]) if online is not None else set())
        first = "the first four panels" if flow else "the first three panels"
        header = f"{first}: {common.describe(rows, skip=('n_samples',), width=200)}"
        style.figure_legend(fig, drawn & {style.THEORY, style.SIMULATION}, header=header)
    return fig


def _relative_panel(
    ax: Axes, frame: pd.DataFrame, flow: str, color_of: dict, p_max: float, kinds: dict, styles: dict
) -> None:
    """E / E_gf - 1 against t for every regime but the gradient-flow one `flow`: theory (lines) and
    simulation (points, error bar = the regime's s.e. / E_gf), the gradient-flow curve of the same
    method interpolated in log t - log E to the regime's times (a discrete optimizer's times are
    whole steps, so its grid differs from the flow's)."""
    ax.set_xscale("log")
    ax.axhline(0.0, color="0.6", linewidth=0.8, label="gradient flow (0)")
    for key, series, color, label in style.iter_series(
        frame, exclude=("n_samples",), always=("regime",), color_of=color_of, kinds=kinds
    ):
        if key.get("regime") == flow:
            continue
        look = style.look(styles, label)
        for method, marker in (("dmft", None), ("sim", look.get("marker", "o"))):
            mine = series[series["method"] == method].sort_values("t")
            ref = frame[(frame["regime"] == flow) & (frame["method"] == method)].sort_values("t")
            if mine.empty or len(ref) < 2:
                continue
            t = mine["t"].to_numpy(dtype=float)
            inside = (t >= ref["t"].min()) & (t <= ref["t"].max())
            log_ref = np.interp(np.log(t[inside]), np.log(ref["t"].to_numpy(dtype=float)), np.log(ref["eg"].to_numpy()))
            rel = mine["eg"].to_numpy()[inside] / np.exp(log_ref) - 1.0
            if marker is None:
                ax.plot(t[inside], rel, color=color, linestyle=look.get("linestyle", "-"))
            else:
                err = mine["eg_sem"].to_numpy()[inside] / np.exp(log_ref)
                ax.errorbar(t[inside], rel, yerr=err, fmt=marker, ms=3.5, mfc="none", color=color, elinewidth=0.8)
    style.finish(
        ax,
        title=f"relative to gradient flow at P = {p_max:g}",
        xlabel="training time t = η k",
        ylabel="$E_g\\,/\\,E_g^{\\rm flow} - 1$",
    )

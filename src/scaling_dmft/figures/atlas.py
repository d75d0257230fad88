"""The scaling-law atlas figures (not part of F1-F7; drawn when a config has an `atlas:` section).

frontier       left: iso-compute curves E_g(N, C/N) against N for five budgets of one frontier
               (the atlas's iso_compute table: DMFT with the regime's optimizer), its compute-optimal points (N*, E*) as filled
               markers joined by the envelope; middle: E* against C for every frontier (theory
               lines with markers; budgets flagged edge or failed are hollow and not fitted), the
               fitted law dashed over its window with its slope and the derived one; right: N*
               (and P* for compute model NPT) against C.
phase_diagram  top row: the fitted exponents of E vs t (N = P = inf), E vs P (N = inf, t = inf,
               gamma = 0), E vs N (P = inf, t = inf, gamma = 0), E* vs C (P = inf, gradient flow)
               and the additive ansatz's E* exponent, over (alpha, beta); bottom row: fitted minus
               derived exponent for the four laws, and fitted minus ansatz. Boundaries
               beta = alpha + 1 (solid) and beta = 2 alpha + 1 (dashed); a cell whose fit is flagged
               carries a dot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..atlas import BETA_LOW, REAL_OPTIMUM, beta_high
from . import common, style

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

REAL = REAL_OPTIMUM  # budgets with a real optimum (the others are drawn hollow)


def _iso_compute(ax: Axes, iso: pd.DataFrame, optimum: pd.DataFrame, color: object) -> None:
    """The iso-compute curves E_g(N, C/N) (the atlas's iso_compute table, one per budget, in greys
    from light to dark: the frontiers own the palette) and the frontier's optimum point of each
    budget, in the frontier's colour, joined by its envelope."""
    budgets = sorted(iso["compute"].unique())
    greys = [str(g) for g in np.linspace(0.75, 0.25, len(budgets))]
    for grey, budget in zip(greys, budgets, strict=True):
        curve = iso[(iso["compute"] == budget) & (iso["flag"] == "")].sort_values("n_features")
        ax.plot(
            curve["n_features"],
            curve["eg"],
            color=grey,
            linewidth=1.2,
            label=f"iso-compute C = {common.fmt_value('', budget)}",
        )
        best = optimum[np.isclose(optimum["compute"], budget, rtol=1e-12) & optimum["flag"].isin(REAL)]
        if len(best):
            ax.plot(best["n_features"], best["eg"], "o", color=color, ms=4, zorder=5)
    real = optimum[optimum["flag"].isin(REAL)].sort_values("compute")
    ax.plot(
        real["n_features"], real["eg"], color=color, linewidth=0.8, linestyle=":", label="envelope $(N^*, E^*)$, dotted"
    )


def _frontier_label(rows: pd.DataFrame) -> str:
    """A frontier in words: its exponents, regime, P (or C = NPt), tuned weight decay, label noise."""
    first = rows.iloc[0]
    tuned = bool(first["tuned"])
    regime = common.regime_words({**first.to_dict(), "weight_decay": 0.0} if tuned else first)
    label = f"α={common.fmt_value('alpha', first['alpha'])}, β={common.fmt_value('beta', first['beta'])}: {regime}"
    if first["compute_model"] == "NPT":
        label += ", C = NPt"
    else:
        label += ", P=" + common.fmt_value("n_samples", float(first["n_samples"]))
    if tuned:
        label += ", γ tuned"
    if float(first["noise"]) > 0:
        label += f", σ={common.fmt_value('noise', float(first['noise']))}"
    return label


def draw_frontier(frontier: pd.DataFrame, fits: pd.DataFrame, iso: pd.DataFrame) -> Figure:
    """`iso`: the atlas's iso_compute table (atlas.iso_compute_frame): the curves of one frontier.
    One colour per frontier in every panel; one legend for the figure."""
    from matplotlib.lines import Line2D

    common.require(frontier, "frontier", "the atlas's frontiers")
    names = list(dict.fromkeys(frontier["sweep"]))
    colors = dict(zip(names, style.colors(len(names)), strict=True))
    iso_name = str(iso["sweep"].iloc[0]) if len(iso) else None
    npt, flagged = False, False
    with style.context():
        fig, axes = style.subplots(1, 3, figsize=(style.PANEL_SIZE[0] * 3, style.PANEL_SIZE[1] + 0.4))
        for ax in axes:
            style.loglog(ax)
        if iso_name is None:
            style.note(axes[0], "no frontier with C = N t (NT) to draw iso-compute curves of")
            title = "iso-compute"
        else:
            optimum = frontier[frontier["sweep"] == iso_name]
            _iso_compute(axes[0], iso, optimum, colors.get(iso_name, style.KEY_COLOR))
            skip = ("n_features", "weight_decay") if optimum["tuned"].iloc[0] else ("n_features",)
            title = f"iso-compute curves, optima in the frontier's colour\n{common.describe(optimum, skip=skip)}"
        style.finish(axes[0], title=title, xlabel="number of features N", ylabel="$E_g(N, t = C/N)$")
        for name in names:
            rows = frontier[frontier["sweep"] == name].sort_values("compute")
            real = rows["flag"].isin(REAL).to_numpy()
            label = _frontier_label(rows)
            color = colors[name]
            axes[1].plot(rows["compute"][real], rows["eg"][real], "-o", color=color, ms=3, label=label)
            if (~real).any():
                axes[1].plot(rows["compute"][~real], rows["eg"][~real], "o", mfc="white", color=color, ms=3)
                flagged = True
            axes[2].plot(rows["compute"][real], rows["n_features"][real], "-o", color=color, ms=3)
            if rows["compute_model"].iloc[0] == "NPT":
                axes[2].plot(rows["compute"][real], rows["n_samples"][real], "--s", color=color, ms=3)
                npt = True
            fit = fits[(fits["sweep"] == name) & (fits["law"] == "frontier_error")]
            if len(fit) and fit["flag"].iloc[0] == "":
                style.power_law(axes[1], fit.iloc[0], series=label)
        style.finish(axes[1], title="compute-optimal error $E^*(C)$", xlabel="compute C", ylabel="$E^*$")
        style.finish(axes[2], title="optimal size $N^*(C)$", xlabel="compute C", ylabel="$N^*$, $P^*$")
        keys = []
        if flagged:
            hollow = Line2D([], [], marker="o", mfc="white", linestyle="none", color=style.KEY_COLOR, ms=3)
            keys.append((hollow, "budget flagged edge / failed (hollow; not fitted)"))
        if npt:
            keys.append(
                (Line2D([], [], marker="s", linestyle="--", color=style.KEY_COLOR, ms=3), "$P^*(C)$ of C = NPt, dashed")
            )
        style.figure_legend(fig, extra=keys)
    return fig


FLAG_COLOR, FLAG_SIZE = "0.3", 3  # the dot of a cell whose fit is flagged
LAW_TITLES = {
    "time": "E vs t ($N=P=\\infty$)",
    "samples": "E vs P ($N=\\infty$, $t=\\infty$)",
    "features": "E vs N ($P=\\infty$, $t=\\infty$)",
    "frontier_error": "$E^*$ vs $C = Nt$ ($P=\\infty$)",
}


def _boundaries(ax: Axes, alphas: np.ndarray) -> None:
    a = np.linspace(alphas.min(), alphas.max(), 50)
    ax.plot(a, a + 1, color="k", linewidth=1.0)
    ax.plot(a, 2 * a + 1, color="k", linewidth=1.0, linestyle="--")


def _map(ax: Axes, part: pd.DataFrame, values: np.ndarray, cmap: str, vmin: float, vmax: float, title: str):
    alphas = np.unique(part["alpha"].to_numpy(dtype=float))
    shape = (alphas.size, len(part) // alphas.size)
    # cell corners: midway between neighbouring alphas, and for each corner alpha the beta grid of
    # that alpha (beta_j is linear in alpha: BETA_LOW + j h(alpha)) shifted by half a step
    step = np.diff(alphas)
    a_edges = np.concatenate([[alphas[0] - step[0] / 2], alphas[:-1] + step / 2, [alphas[-1] + step[-1] / 2]])
    h = (beta_high(a_edges) - BETA_LOW) / (shape[1] - 1)
    b_edges = BETA_LOW + h[:, None] * (np.arange(shape[1] + 1)[None, :] - 0.5)
    a_grid = np.broadcast_to(a_edges[:, None], b_edges.shape)
    mesh = ax.pcolormesh(a_grid, b_edges, values.reshape(shape), cmap=cmap, vmin=vmin, vmax=vmax, shading="flat")
    flagged = (part["flag"] != "").to_numpy()
    x, y = part["alpha"].to_numpy(dtype=float), part["beta"].to_numpy(dtype=float)
    if flagged.any():
        ax.plot(x[flagged], y[flagged], ".", color=FLAG_COLOR, ms=FLAG_SIZE)
    _boundaries(ax, alphas)
    ax.set_title(title)
    ax.set_xlabel("$\\alpha$")
    ax.set_ylabel("$\\beta$")
    ax.figure.colorbar(mesh, ax=ax, shrink=0.85)


def draw_phase_diagram(phase: pd.DataFrame) -> Figure:
    common.require(phase, "phase_diagram", "the atlas's phase diagram")
    laws = [law for law in LAW_TITLES if (phase["law"] == law).any()]
    n_modes = int(phase["n_modes"].iloc[0])
    with style.context():
        fig, axes = style.subplots(2, len(laws) + 1, figsize=(3.3 * (len(laws) + 1), 5.6))
        cols = len(laws) + 1
        for i, law in enumerate(laws):
            part = phase[phase["law"] == law].sort_values(["alpha", "beta"])
            fitted = part["exponent"].to_numpy(dtype=float)
            low = float(np.nanmin(fitted))
            _map(axes[i], part, fitted, "viridis", low, 0.0, f"fitted: {LAW_TITLES[law]}")
            diff = fitted - part["expected_exponent"].to_numpy(dtype=float)
            _map(axes[cols + i], part, diff, "RdBu_r", -0.1, 0.1, "fitted − derived")
        part = phase[phase["law"] == "frontier_error"].sort_values(["alpha", "beta"])
        if len(part):
            ansatz = part["ansatz_exponent"].to_numpy(dtype=float)
            _map(
                axes[len(laws)], part, ansatz, "viridis", float(np.nanmin(ansatz)), 0.0, "ansatz $-ab/(a+b)$ for $E^*$"
            )
            diff = part["exponent"].to_numpy(dtype=float) - ansatz
            _map(axes[-1], part, diff, "RdBu_r", -0.5, 0.5, "$E^*$: fitted − ansatz")
        from matplotlib.lines import Line2D

        keys = [
            (Line2D([], [], color="k", linewidth=1.0), "$\\beta = \\alpha + 1$ (phase A below, B above)"),
            (Line2D([], [], color="k", linewidth=1.0, linestyle="--"), "$\\beta = 2\\alpha + 1$ (phase C above)"),
        ]
        if (phase["flag"] != "").any():
            keys.append((Line2D([], [], marker=".", linestyle="none", color=FLAG_COLOR, ms=FLAG_SIZE), "flagged fit"))
        style.figure_legend(
            fig,
            extra=keys,
            header=f"exponents over ($\\alpha$, $\\beta$), gradient flow, M = {common.fmt_value('n_modes', n_modes)}",
        )
    return fig

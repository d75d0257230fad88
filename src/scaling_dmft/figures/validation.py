"""The validation figure (results/validate/validation/worst.png): the relative difference between
theory and seed-averaged simulation of E_g at every compared (point, time) of the validation grid,
against t, with the finite-size budget of the pass rule (validation.within_tolerance) as a line.
Draws the rows `validation.compare` returns; computes nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import style

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


def draw_worst(compared: pd.DataFrame, tolerance: dict) -> Figure:
    rows = compared[compared["compared"] & (compared["quantity"] == "eg")]
    rows = rows[np.isfinite(rows["t"].to_numpy(dtype=float)) & (rows["rel"] > 0)]
    if rows.empty:
        raise ValueError("figure 'validation': empty selection: no compared E_g row at a finite time")
    rel_tol, z_tol = float(tolerance["rel_tol"]), float(tolerance["z_tol"])
    with style.context():
        fig, axes = style.subplots(1, 1, figsize=(6.0, 3.6))
        ax = axes[0]
        style.loglog(ax)
        ax.scatter(rows["t"], rows["rel"], s=4, alpha=0.4, color=style.colors(1)[0], label="$E_g$, every configuration")
        ax.axhline(
            rel_tol,
            color="0.2",
            lw=1,
            ls="--",
            label=f"{rel_tol:.0%}: the finite-size budget (+ {z_tol:g} s.e. per point)",
        )
        style.finish(
            ax,
            title=f"DMFT vs simulation on the validation grid: {rows['sweep'].nunique()} sweeps, {len(rows)} (point, t)",
            xlabel="training time t",
            ylabel="|theory − sim| / sim",
        )
        style.figure_legend(fig)  # the two labelled marks were drawn without a legend
    return fig

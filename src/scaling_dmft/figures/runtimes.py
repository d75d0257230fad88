"""The runtime figure of a run's report: the wall time of every job (one point each, from the
Snakemake benchmark files; report.runtime_table), one row per workflow stage, stages ordered by
their total; the label of a row gives its job count and total. Draws the table; computes nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import style

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


def draw(frame: pd.DataFrame, summary: pd.DataFrame, run: str) -> Figure:
    """`frame`: report.runtime_table rows; `summary`: report.runtime_summary of them."""
    if frame.empty:
        raise ValueError("figure 'runtimes': empty selection: no benchmark rows")
    stages = list(summary["stage"])
    with style.context():
        fig, axes = style.subplots(1, 1, figsize=(6.4, 0.9 + 0.32 * len(stages)))
        ax = axes[0]
        ax.set_xscale("log")
        color = style.colors(1)[0]
        for i, stage in enumerate(stages):
            wall = frame.loc[frame["stage"] == stage, "wall_s"].to_numpy(dtype=float)
            wall = np.maximum(wall, 1e-3)  # a job under a millisecond is drawn at 1 ms (the benchmark's resolution)
            jitter = (np.arange(len(wall)) % 5 - 2) * 0.06
            ax.plot(wall, i + jitter, "o", ms=3, mfc="white", color=color)
        ax.set_yticks(range(len(stages)))
        ax.set_yticklabels(
            [
                f"{r.stage} ({r.jobs} job{'s' if r.jobs != 1 else ''}, {r.wall_total_s:.1f} s)"
                for r in summary.itertuples()
            ]
        )
        ax.invert_yaxis()
        style.finish(
            ax,
            title=f"job wall times of run {run}: {len(frame)} jobs, {frame['wall_s'].sum():.1f} s in all",
            xlabel="wall time of one job [s] (Snakemake benchmark files)",
            legend=False,
        )
    return fig

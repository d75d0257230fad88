"""Trained networks against the NTK theory (docs/trained_networks.md; not a workflow figure: drawn by
docs/examples/trained_network.py from scaling_dmft.networks.summary rows).

Left: the whole-set error against the gradient-descent step for one P: the DMFT (line), the lazy
limit (open circles) and the networks of every width (filled points), each with its s.e. over seeds.
Middle: the learning curve against P at the last step, same marks. Right: the network's excess error
over the lazy limit on the same subsets, (network - lazy) / network, against the width W at the last
step, one line per P, and the relative movement of its tangent kernel over training (dotted), with
W^-1/2 and W^-1 guides."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import style

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def draw(
    table: pd.DataFrame, curves: dict, learning_rate: float, focus: int | None = None, name: str = "MNIST-5k"
) -> Figure:
    """`table`: networks.summary rows; `curves`: P -> (DMFT errors at steps 1..k_max, flags);
    `focus`: the P of the left panel (default: the middle one)."""
    samples = sorted(table["n_samples"].unique())
    widths = sorted(table["width"].unique())
    last = int(table["step"].max())
    focus = samples[len(samples) // 2] if focus is None else focus
    with style.context():
        fig, (left, middle, right) = style.subplots(1, 3, figsize=(11.0, 3.2))
        colors = dict(zip(widths, style.colors(len(widths) + 1)[1:], strict=True))
        theory_color = style.colors(1)[0]
        # left: E vs step at P = focus
        values = curves[focus][0]
        steps = np.arange(1, values.size + 1)
        left.plot(steps, values, color=theory_color, label="DMFT (relu_ntk spectrum)")
        rows = table[(table["n_samples"] == focus) & (table["width"] == widths[0])].sort_values("step")
        left.errorbar(
            rows["step"],
            rows["lazy"],
            yerr=rows["lazy_sem"],
            fmt="o",
            mfc="none",
            color="k",
            ms=4,
            label="lazy limit (kernel GD)",
        )
        for w in widths:
            rows = table[(table["n_samples"] == focus) & (table["width"] == w)].sort_values("step")
            left.errorbar(
                rows["step"],
                rows["network"],
                yerr=rows["network_sem"],
                fmt=".",
                color=colors[w],
                ms=5,
                label=f"network W = {w}",
            )
        style.loglog(left)
        style.finish(
            left, f"MNIST-5k, P = {focus}", f"step k (t = {learning_rate:.3g} k)", "whole-set error", legend=False
        )
        # middle: E vs P at the last step
        theory_p = [float(curves[p][0][last - 1]) for p in samples]
        middle.plot(samples, theory_p, color=theory_color)
        first = table[(table["step"] == last) & (table["width"] == widths[0])].sort_values("n_samples")
        middle.errorbar(first["n_samples"], first["lazy"], yerr=first["lazy_sem"], fmt="o", mfc="none", color="k", ms=4)
        for w in widths:
            rows = table[(table["step"] == last) & (table["width"] == w)].sort_values("n_samples")
            middle.errorbar(
                rows["n_samples"], rows["network"], yerr=rows["network_sem"], fmt=".", color=colors[w], ms=5
            )
        style.loglog(middle)
        style.finish(middle, f"step {last}", "P", "whole-set error", legend=False)
        handles, labels = left.get_legend_handles_labels()
        middle.legend(handles, labels, loc="lower left")
        # right: the network's excess over the lazy limit (paired on the same subsets) vs W
        for p, color in zip(samples, style.colors(len(samples)), strict=True):
            rows = table[(table["step"] == last) & (table["n_samples"] == p)].sort_values("width")
            excess = -rows["lazy_vs_network"].to_numpy()  # (network - lazy) / network
            err = np.abs(excess / rows["lazy_vs_network_z"].to_numpy())
            right.errorbar(rows["width"], excess, yerr=err, fmt="o-", color=color, ms=3, label=f"P = {p}")
            right.plot(rows["width"], rows["ntk_moved"], ":", color=color, lw=1.0)
        w = np.asarray(widths, dtype=float)
        right.plot(w, 0.3 * (w / w[0]) ** -0.5, "--", color="0.5", lw=0.8, label="∝ W$^{-1/2}$")
        right.plot(w, 0.3 * (w / w[0]) ** -1.0, "-.", color="0.5", lw=0.8, label="∝ W$^{-1}$")
        style.loglog(right)
        right.set_xscale("log", base=2)
        style.finish(right, "(network − lazy) / network; dotted: NTK moved", "width W", "relative")
    return fig

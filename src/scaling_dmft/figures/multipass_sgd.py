"""F9: multi-pass mini-batch SGD at finite P (docs/theory/sgd.md). One sweep at finite P (and N) holds
regimes that differ in how they train: gradient flow, gradient descent, and SGD at several batch sizes
(batches drawn with replacement; an epochs regime appears as simulation points only, its theory rows
being flagged no_theory). Panels, at the sweep's largest P unless said otherwise:

1. E_g against t for every regime (SGD against gradient descent against gradient flow);
2. the training error (1/P) sum (f - y)^2 of the SGD regimes, the loss that drives SGD's noise;
3. the critical batch size: at a few budgets C / N = B k (samples processed), the error each SGD regime
   (batches with replacement, at the learning rate with the most batch sizes in the sweep) reaches with
   its best stopping step k <= C / (N B), against B; the minimum over B is the compute-optimal batch size;
4. data reuse: E_g against the epochs K = B k / P of the SGD regime with the smallest batch, one curve per
   P of the sweep
   (at a fixed P, more epochs help until the finite-P floor).

Theory as lines, simulation as points with seed standard errors. Theory rows flagged sgd_dominated or
unstable_draws keep their values and are drawn (the flags qualify them, docs/theory/sgd.md), as are
simulation rows flagged imprecise (a valid seed mean, less precise than asked); rows without a value
(no_theory, diverged) are not."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import seaborn as sns

from ..tables import usable
from . import common, style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "multipass_sgd"
# budgets of panel 3: log-spaced over the upper half (in decades) of the samples processed
BUDGETS = 3


# flags whose rows keep a meaningful value (drawn); any other flag hides the row
DRAWN_FLAGS = ("sgd_dominated", "unstable_draws")


def _valid(frame: pd.DataFrame, column: str = "eg") -> pd.DataFrame:
    """Rows with a finite positive value in `column`: usable (unflagged, or only less precise than asked:
    tables.usable) or flagged with a kept value (DRAWN_FLAGS)."""
    v = frame[column].to_numpy(dtype=np.float64)
    flags = frame["flag"].astype(str)
    keep = usable(frame["flag"]) | flags.str.startswith(DRAWN_FLAGS).to_numpy()
    return frame[keep & np.isfinite(v) & (v > 0)]


def _noise(frame: pd.DataFrame, spec: dict) -> pd.DataFrame:
    return frame[np.isclose(frame["noise"], float(spec["noise"]))] if "noise" in spec else frame


def draw(curves: pd.DataFrame, fits: pd.DataFrame, early: pd.DataFrame, spec: dict) -> Figure:
    name, sw = common.sweep(spec, NAME)
    rows = _noise(common.select(curves, sw), spec)
    rows = rows[np.isfinite(rows["n_samples"].to_numpy(dtype=float)) & np.isfinite(rows["t"].to_numpy(dtype=float))]
    common.require(rows, NAME, f"sweep {name!r} at finite P, noise {spec.get('noise', 'any')}")
    p_max = float(rows["n_samples"].max())
    at_p = rows[rows["n_samples"] == p_max]
    sgd = at_p[at_p["optimizer"] == "sgd"]
    common.require(sgd, NAME, f"an SGD regime (batch_size) in sweep {name!r}")
    kinds = common.regime_kinds(spec)
    color_of = {
        lab: col for _, _, col, lab in style.iter_series(at_p, exclude=("n_samples",), always=("regime",), kinds=kinds)
    }
    with style.context():
        fig, axes = style.subplots(1, 4)
        ax = axes[0]
        style.loglog(ax)
        for _, series, color, label in style.iter_series(
            at_p, exclude=("n_samples",), always=("regime",), color_of=color_of, kinds=kinds
        ):
            style.theory_sim(ax, _valid(series), "t", "eg", yerr="eg_sem", color=color, label=label)
        style.finish(
            ax,
            title=f"SGD, GD and GF at P = {p_max:g}",
            xlabel="training time t = η k",
            ylabel="$E_g$",
        )
        ax = axes[1]
        style.loglog(ax)
        for _, series, color, label in style.iter_series(
            sgd, exclude=("n_samples",), always=("regime",), color_of=color_of, kinds=kinds
        ):
            style.theory_sim(
                ax,
                _valid(series, "train_error"),
                "t",
                "train_error",
                yerr="train_error_sem",
                color=color,
                label=label,
            )
        style.finish(
            ax,
            title="training error (drives the SGD noise)",
            xlabel="training time t = η k",
            ylabel="$(1/P)\\sum(f - y)^2$",
        )
        _critical_batch(axes[2], sgd)
        _data_reuse(axes[3], rows)
        header = common.describe(rows, skip=("n_samples",), width=200)
        from matplotlib.lines import Line2D

        star = Line2D([], [], color=style.KEY_COLOR, marker="*", ms=9, linestyle="none")
        style.figure_legend(
            fig,
            set(rows["method"]) & {style.THEORY, style.SIMULATION},
            extra=[(star, "★ the compute-optimal batch size B* at a budget")],
            header=header,
        )
    return fig


def _best_within(series: pd.DataFrame, budget: float) -> tuple[float, float] | None:
    """(E_g, s.e.) at the best stopping step k <= budget / B of one regime's unflagged rows."""
    b = float(series["batch_size"].iloc[0])
    part = series[series["steps"].to_numpy(dtype=float) * b <= budget * (1 + 1e-9)]
    part = part[np.isfinite(part["eg"].to_numpy(dtype=float))]
    if part.empty:
        return None
    j = int(np.argmin(part["eg"].to_numpy(dtype=float)))
    return float(part["eg"].iloc[j]), float(part["eg_sem"].iloc[j])


def _same_points(a: dict, b: dict) -> bool:
    """Whether two budgets' curves (method -> (B, E*, s.e.)) are the same points."""
    return a.keys() == b.keys() and all(
        a[m][0].shape == b[m][0].shape and np.allclose(np.vstack(a[m]), np.vstack(b[m]), rtol=1e-12) for m in a
    )


def _critical_batch(ax, sgd: pd.DataFrame) -> None:  # noqa: ANN001 (a matplotlib Axes)
    style.loglog(ax)
    sgd = sgd[sgd["batch_sampling"] == "replacement"]
    if sgd.empty:
        style.note(ax, "no SGD regime with batches drawn with replacement")
        style.finish(ax, title="critical batch size", xlabel="batch size B", ylabel="$E^*$")
        return
    counts = sgd.groupby("learning_rate")["batch_size"].nunique()
    eta = float(counts.index[int(np.argmax(counts.to_numpy()))])  # the learning rate with the most batch sizes
    sgd = sgd[sgd["learning_rate"] == eta]
    spent = (sgd["steps"] * sgd["batch_size"]).to_numpy(dtype=float)
    lo, hi = np.log10(np.nanmin(spent[spent > 0])), np.log10(np.nanmax(spent))
    budgets = np.logspace(lo + 0.5 * (hi - lo), hi, BUDGETS)
    curves = []  # per budget: its label, and per method the (B, E*, s.e.) points
    for budget in budgets:
        by_method = {}
        for method in ("dmft", "sim"):
            pts = []
            for _, series in _valid(sgd[sgd["method"] == method]).groupby("batch_size"):
                best = _best_within(series, budget)
                if best is not None:
                    pts.append((float(series["batch_size"].iloc[0]), *best))
            if pts:
                by_method[method] = tuple(np.array(v) for v in zip(*sorted(pts), strict=True))
        label = common.fmt_value("", float(f"{budget:.3g}"))
        same = next((c for c in curves if _same_points(c[1], by_method)), None)
        if same is not None:  # a budget past every stopping step: the same curve, named once
            same[0].append(label)
        elif by_method:
            curves.append(([label], by_method))
    # a sequential palette and dotted lines: budgets, not regimes (whose colours are the figure's palette)
    for (labels, by_method), color in zip(curves, sns.color_palette("flare", len(curves)), strict=True):
        if "dmft" in by_method:
            b, e, _ = by_method["dmft"]
            ax.plot(b, e, color=color, linestyle=":", label="C/N = B k = " + " = ".join(labels))
            ax.plot(b[np.argmin(e)], e.min(), "*", color=color, ms=9)
        if "sim" in by_method:
            b, e, se = by_method["sim"]
            ax.errorbar(b, e, yerr=se, fmt="o", ms=3.5, mfc="white", color=color, elinewidth=0.8)
    style.data_ticks(ax, sgd["batch_size"].unique())
    style.finish(
        ax, title=f"critical batch size (η = {eta:g}; ★ = B*)", xlabel="batch size B", ylabel="$E^*$ at budget C"
    )


def _data_reuse(ax, rows: pd.DataFrame) -> None:  # noqa: ANN001 (a matplotlib Axes)
    style.loglog(ax)
    sgd = rows[rows["optimizer"] == "sgd"]
    # the regime with the smallest batch size (the most steps per epoch)
    regime = sgd.sort_values(["batch_size", "regime"])["regime"].iloc[0]
    mine = sgd[sgd["regime"] == regime].copy()
    mine["epochs"] = mine["steps"] * mine["batch_size"] / mine["n_samples"]
    sizes = sorted(mine["n_samples"].unique())
    # a sequential palette and dashed lines: sample sizes, not regimes (whose colours are the figure's palette)
    for p, color in zip(sizes, sns.color_palette("crest", len(sizes)), strict=True):
        series = mine[mine["n_samples"] == p]
        style.theory_sim(
            ax, _valid(series), "epochs", "eg", yerr="eg_sem", color=color, linestyle="--", label=f"P={p:g}"
        )
    # wrapped to the panel's width: a long regime (weight decay, a schedule) must not run into the legend
    words = textwrap.fill(common.regime_words(mine.iloc[0]), width=34)
    style.finish(ax, title="data reuse:\n" + words, xlabel="epochs K = B k / P", ylabel="$E_g$")

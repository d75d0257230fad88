"""The paper target's other figures (issue 24: the checklist holds for them too): the atlas's
frontier and phase diagram (figures.atlas) and the data-set figure (figures.data_sets), and the
validate target's worst-case figure (figures.validation), drawn from
small synthetic tables written down from closed forms (an additive E(N, t) = N^-1 + t^-1/2 and its
compute-optimal points, linear exponent maps, power-law learning curves), not from the code under
test. Each figure renders, passes every check of tests/figure_checks.py, and an empty table raises
a clear ValueError."""

from __future__ import annotations

import math

import matplotlib

import figure_checks

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from scaling_dmft import tables
from scaling_dmft.figures import atlas, data_sets, style, validation

INF = math.inf
# config code names of the regimes below: a reader cannot decode them (words only)
CODE_NAMES = ("gf", "gf_wd", "langevin_T", "data_wd", "data_langevin")
REGIMES = {  # name -> (weight_decay, temperature)
    "gf": (0.0, 0.0),
    "gf_wd": (1e-2, 0.0),
    "langevin_T": (0.0, 1e-4),
    "data_wd": (1e-3, 0.0),
    "data_langevin": (1e-3, 1e-4),
}


def _point(sweep: str, regime: str, **kw) -> dict:
    wd, temp = REGIMES[regime]
    base = {
        "sweep": sweep,
        "spectrum": "powerlaw",
        "alpha": 2.0,
        "beta": 2.5,
        "teacher": "powerlaw",
        "n_modes": 10**6,
        "n_features": INF,
        "n_samples": INF,
        "noise": 0.0,
        "regime": regime,
        "weight_decay": wd,
        "temperature": temp,
        "init_std": 0.0,
        "optimizer": "gf",
        "learning_rate": 0.0,
        "momentum": 0.0,
        "batch_size": INF,
        "batch_sampling": "",
        "lr_schedule": "constant",
    }
    return {**base, **kw}


def _error(n, t, floor=0.0):
    """The synthetic E_g(N, t) = 1/N + t^-1/2 + floor (an additive ansatz; its optimum at fixed
    C = N t is N* = (2 sqrt C)^(2/3))."""
    return 1.0 / n + t**-0.5 + floor


# (name, regime, compute model, floor, N* relative to the ansatz's, extra point columns): a ridge or
# a temperature adds a floor and shifts the optimum
FRONTIERS = [
    ("gf_A", "gf", "NT", 0.0, 1.0, {}),
    ("gf_wd", "gf_wd", "NT", 3e-3, 0.8, {}),
    ("langevin", "langevin_T", "NT", 1e-2, 0.6, {"n_samples": 1024.0, "noise": 0.5}),
    ("gf_npt", "gf", "NPT", 0.0, 1.3, {}),
]
BUDGETS = np.geomspace(1e4, 1e8, 5)


def frontier_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    front, fits, iso = [], [], []
    for name, regime, model, floor, shift, extra in FRONTIERS:
        for i, c in enumerate(BUDGETS):
            n = (2.0 * math.sqrt(c)) ** (2.0 / 3.0) * shift
            t = c / n
            row = _point(name, regime, n_features=n, **extra)
            if model == "NPT":
                row["n_samples"] = n / 2
            flag = "edge" if (name == "gf_wd" and i == len(BUDGETS) - 1) else ""
            eg = _error(n, t, floor) * (1.5 if model == "NPT" else 1.0)  # C = NPt buys less per unit
            front.append(
                {
                    **row,
                    "compute_model": model,
                    "tuned": "",
                    "compute": c,
                    "t": t,
                    "eg": eg,
                    "eg_mean": eg,
                    "flag": flag,
                }
            )
        real = [r for r in front if r["sweep"] == name and r["flag"] == ""]
        x = np.array([r["compute"] for r in real])
        y = np.array([r["eg"] for r in real])
        slope, icept = np.polyfit(np.log(x), np.log(y), 1)
        fits.append(
            {
                **_point(name, regime, **extra),
                "compute_model": model,
                "tuned": "",
                "method": "dmft",
                "law": "frontier_error",
                "quantity": "eg",
                "varied": "compute",
                "x_min": x.min(),
                "x_max": x.max(),
                "n_points": len(x),
                "exponent": slope,
                "exponent_lo": slope - 0.01,
                "exponent_hi": slope + 0.01,
                "prefactor": math.exp(icept),
                "expected_exponent": -1.0 / 3.0,
                "max_log_residual": 0.02,
                "flag": "",
            }
        )
    for c in BUDGETS[::2]:  # iso-compute curves of the first frontier around its optima
        for n in np.geomspace(3.0, 3e4, 25):
            iso.append(
                {
                    **_point("gf_A", "gf", n_features=n),
                    "compute_model": "NT",
                    "compute": c,
                    "t": c / n,
                    "eg": _error(n, c / n),
                    "eg_mean": _error(n, c / n),
                    "flag": "",
                }
            )
    return (
        tables.to_table(pd.DataFrame(front), "frontier").to_pandas(),
        tables.to_table(pd.DataFrame(fits), "frontier_fit").to_pandas(),
        tables.to_table(pd.DataFrame(iso), "iso_compute").to_pandas(),
    )


def phase_table() -> pd.DataFrame:
    """A 3 x 3 (alpha, beta) grid per law, beta from 1.1 to 2 alpha + 2 (the atlas's grid shape);
    exponents a linear map of (alpha, beta) with a small miss, one flagged fit per law."""
    rows = []
    for law in ("time", "samples", "features", "frontier_error"):
        for i, a in enumerate((1.5, 2.0, 2.5)):
            for j, b in enumerate(np.linspace(1.1, 2 * a + 2, 3)):
                expected = -(b - 1) / a if law == "time" else -min(b - 1, a)
                phase = "A" if b - 1 < a else ("B" if b - 1 < 2 * a else "C")
                rows.append(
                    {
                        "alpha": a,
                        "beta": b,
                        "n_modes": 10**12,
                        "phase": phase,
                        "law": law,
                        "x_min": 10.0,
                        "x_max": 1e5,
                        "n_points": 20,
                        "exponent": expected + 0.01 * (i - j),
                        "exponent_lo": expected + 0.01 * (i - j) - 0.005,
                        "exponent_hi": expected + 0.01 * (i - j) + 0.005,
                        "expected_exponent": expected,
                        "ansatz_exponent": -a * b / (a + b) if law == "frontier_error" else np.nan,
                        "flag": "log_corrected" if (i, j) == (1, 1) else "",
                    }
                )
    return tables.to_table(pd.DataFrame(rows), "phase_diagram").to_pandas()


def data_table() -> pd.DataFrame:
    """Two data sets, theory / Gaussian simulation / training on the data (whole set and
    held-out), power-law curves to a 1/P floor."""
    out = []
    times = np.append(np.geomspace(0.1, 1e4, 9), INF)
    for k, name in enumerate(("digits", "breast_cancer")):
        for p in (16.0, 64.0, 256.0):
            for regime in ("data_wd", "data_langevin"):
                base = 0.3 * (1 + k) * ((1 + times) ** -0.5 + 1 / p)
                for method, factor in (("dmft", 1.0), ("sim", 1.01), ("data", 1.08), ("data_heldout", 1.3)):
                    eg = base * factor
                    out.append(
                        pd.DataFrame(
                            {
                                **{
                                    c: v
                                    for c, v in _point(
                                        name,
                                        regime,
                                        spectrum=f"{name}.parquet",
                                        alpha=np.nan,
                                        beta=np.nan,
                                        teacher="data",
                                        n_modes=500,
                                        n_samples=p,
                                    ).items()
                                },
                                "method": method,
                                "t": times,
                                "steps": np.nan,
                                "eg": eg,
                                "eg_mean": eg,
                                "eg_signal": eg,
                                "eg_noise": 0.0,
                                "eg_init": 0.0,
                                "eg_thermal": 0.0,
                                "eg_sem": 0.0 if method == "dmft" else 0.02 * eg,
                                "eg_mean_sem": 0.0 if method == "dmft" else 0.02 * eg,
                                "n_seeds": 0 if method == "dmft" else 8,
                                "flag": "",
                            }
                        )
                    )
    return pd.concat(out, ignore_index=True)


def _check(fig, name):
    try:
        fig.canvas.draw()
        figure_checks.check_all(fig, name, CODE_NAMES, key_color=style.KEY_COLOR)
        assert all(len(list(figure_checks._data_artists(ax))) or ax.collections for ax in fig.axes), name
    finally:
        plt.close(fig)


def test_frontier_figure_checklist():
    front, fits, iso = frontier_tables()
    _check(atlas.draw_frontier(front, fits, iso), "frontier")


def test_phase_diagram_checklist():
    _check(atlas.draw_phase_diagram(phase_table()), "phase_diagram")


def test_data_figure_checklist():
    _check(data_sets.draw(data_table()), "data")


def test_validation_figure_checklist():
    """The validate target's worst-case figure (not a paper figure; the same checklist)."""
    t = np.geomspace(0.1, 1e4, 12)
    rows = pd.DataFrame(
        {"compared": True, "quantity": "eg", "t": np.tile(t, 2), "rel": np.geomspace(1e-4, 3e-2, 24), "sweep": "s"}
    )
    _check(validation.draw_worst(rows, {"rel_tol": 0.02, "z_tol": 3.0}), "validation")


@pytest.mark.parametrize("which", ["frontier", "phase_diagram", "data"])
def test_empty_tables_raise(which):
    front, fits, iso = frontier_tables()
    with pytest.raises(ValueError, match="empty"):
        if which == "frontier":
            atlas.draw_frontier(front.iloc[:0], fits, iso)
        elif which == "phase_diagram":
            atlas.draw_phase_diagram(phase_table().iloc[:0])
        else:
            data_sets.draw(data_table().iloc[:0])
    plt.close("all")

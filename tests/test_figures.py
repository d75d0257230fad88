"""Paper figures F1-F9 on small synthetic tables built from analytic formulas (power laws,
U-shapes, a double-descent pole), not from the fitting code: every draw() renders, saves PNG and
PDF, has the expected panels with data, passes issue 24's checklist (tests/figure_checks.py), and
empty selections raise a clear ValueError. One slow test applies the checklist to the tiny
workflow run's real tables."""

import importlib
import itertools
import math
from pathlib import Path

import matplotlib

import figure_checks

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from scaling_dmft import tables
from scaling_dmft.figures import FIGURES
from scaling_dmft.fit import LAW_AXIS

INF = math.inf
ROOT = Path(__file__).resolve().parents[1]
REGIMES = {
    "gf": (0.0, 0.0, 0.0),
    "gf_wd": (1e-2, 0.0, 0.0),
    "langevin": (1e-2, 1e-3, math.sqrt(0.1)),
    "bayes": (1e-2, 1e-3, math.sqrt(0.1)),
    "langevin_threshold": (1e-3, 1e-4, 0.316),
    "opt_gf": (1e-3, 0.0, 0.0),
    "opt_gd": (1e-3, 0.0, 0.0),
    "sgd_B8": (0.0, 0.0, 0.0),
    "mp_B4": (1e-3, 0.0, 0.0),
    "mp_B16": (1e-3, 0.0, 0.0),
}
KINDS = {
    "gf": "gf",
    "gf_wd": "gf_wd",
    "langevin": "langevin",
    "bayes": "bayes",
    "langevin_threshold": "langevin",
    "opt_gf": "gf_wd",
    "opt_gd": "gf_wd",
    "sgd_B8": "gf",
    "mp_B4": "gf_wd",
    "mp_B16": "gf_wd",
}
# the optimizer of a regime (gradient flow unless named here)
OPTIMIZER = {"opt_gd": ("gd", 0.5), "sgd_B8": ("sgd", 0.2), "mp_B4": ("sgd", 0.5), "mp_B16": ("sgd", 0.5)}
# batch size and sampling of the SGD regimes (multi-pass at finite P; online at P = inf)
BATCH = {"sgd_B8": (8.0, "online"), "mp_B4": (4.0, "replacement"), "mp_B16": (16.0, "replacement")}
BASE = {"n_modes": 500, "teacher": "powerlaw"}
SWEEPS = {
    "learning_curves": {
        **BASE,
        "alpha": [2.0],
        "beta": [3.0],
        "n_features": [INF],
        "n_samples": [32, 64, 128],
        "noise": [0.0, 0.5],
        "regimes": ["gf", "gf_wd", "langevin", "bayes"],
        "simulate": True,
    },
    "early_stopping": {
        **BASE,
        "alpha": [2.0],
        "beta": [3.0],
        "n_features": [INF],
        "n_samples": [32, 64, 128, 256, 512],
        "noise": [0.25, 0.5],
        "regimes": ["gf", "gf_wd"],
        "simulate": False,
    },
    "threshold_kernel": {
        "n_modes": 100,
        "teacher": "prior",
        "alpha": [1.5],
        "beta": [1.5],
        "n_features": [INF],
        "n_samples": [100],
        "noise": [0.3],
        "regimes": ["langevin_threshold"],
        "simulate": True,
    },
    "threshold_features": {
        **BASE,
        "alpha": [1.5],
        "beta": [1.5],
        "n_features": [128],
        "n_samples": [128],
        "noise": [0.0],
        "regimes": ["langevin_threshold"],
        "simulate": True,
    },
    "model_size": {
        **BASE,
        "alpha": [1.5],
        "beta": [1.5],
        "n_features": [16, 32, 64, 128, 256, INF],
        "n_samples": [64],
        "noise": [0.5],
        "regimes": ["gf", "gf_wd"],
        "simulate": True,
    },
    "model_size_theory": {  # the F6 theory lines: the same points on a dense N grid, theory only
        **BASE,
        "alpha": [1.5],
        "beta": [1.5],
        "n_features": [16, 24, 32, 40, 48, 56, 60, 62, 63, 64, 65, 66, 68, 72, 80, 96, 128, 192, 256, INF],
        "n_samples": [64],
        "noise": [0.5],
        "regimes": ["gf", "gf_wd"],
        "simulate": False,
    },
    "exponent_time": {
        "n_modes": 10**12,
        "teacher": "powerlaw",
        "alpha": [1.5, 2.0],
        "beta": [1.5, 2.5],
        "n_features": [INF],
        "n_samples": [INF],
        "noise": [0.0],
        "regimes": ["gf"],
        "simulate": False,
    },
    "exponent_samples": {
        "n_modes": 10**12,
        "teacher": "powerlaw",
        "alpha": [1.5, 2.0],
        "beta": [1.5, 2.5],
        "n_features": [INF],
        "n_samples": [100, 1000, 10000],
        "noise": [0.0],
        "regimes": ["gf"],
        "simulate": False,
    },
    "exponent_features": {
        "n_modes": 10**12,
        "teacher": "powerlaw",
        "alpha": [1.5, 2.0],
        "beta": [1.5, 2.5],
        "n_features": [100, 1000, 10000],
        "n_samples": [INF],
        "noise": [0.0],
        "regimes": ["gf"],
        "simulate": False,
    },
    "optimizers": {
        **BASE,
        "alpha": [2.0],
        "beta": [3.0],
        "n_features": [INF],
        "n_samples": [32, 64, 128],
        "noise": [0.5],
        "regimes": ["opt_gf", "opt_gd"],
        "simulate": True,
    },
    "online_sgd": {
        **BASE,
        "alpha": [2.0],
        "beta": [3.0],
        "n_features": [INF],
        "n_samples": [INF],
        "noise": [0.5],
        "regimes": ["sgd_B8"],
        "simulate": True,
    },
    "multipass": {
        **BASE,
        "alpha": [2.0],
        "beta": [3.0],
        "n_features": [INF],
        "n_samples": [64, 128],
        "noise": [0.5],
        "regimes": ["opt_gf", "opt_gd", "mp_B4", "mp_B16"],
        "simulate": True,
    },
}
FIGURE_CFG = {
    "learning_curves": {"sweep": "learning_curves", "noise": 0.5, "regimes": ["gf", "gf_wd", "langevin"]},
    "threshold": {"sweeps": ["threshold_kernel", "threshold_features"]},
    "data_scaling": {"sweeps": ["learning_curves", "early_stopping"], "noise": 0.5},
    "early_stopping": {"sweep": "early_stopping"},
    "exponents": {"sweeps": ["exponent_time", "exponent_samples", "exponent_features"]},
    "model_size": {"sweep": "model_size", "theory_sweep": "model_size_theory"},
    "langevin_bayes": {"sweep": "learning_curves", "langevin": "langevin", "bayes": "bayes", "noise": 0.5},
    "optimizers": {"sweeps": ["optimizers", "online_sgd"], "noise": 0.5},
    "multipass_sgd": {"sweep": "multipass", "noise": 0.5},
}
N_AXES = {
    "learning_curves": 4,  # three regimes at sigma = 0.5 and the time laws of gradient flow at sigma = 0
    "threshold": 2,
    "data_scaling": 2,
    "early_stopping": 2,
    "exponents": 6,  # fitted vs expected (top), fitted - expected with the 95 % intervals (bottom)
    "model_size": 2,
    "langevin_bayes": 2,
    "optimizers": 5,
    "multipass_sgd": 4,
}
TIMES = np.logspace(-1, 5, 13)


def spec_for(figure: str) -> dict:
    """What the workflow passes: the figure's config entry + {sweep name -> sweep config}."""
    spec = dict(FIGURE_CFG[figure])
    names = list(spec.get("sweeps", [spec["sweep"]] if "sweep" in spec else []))
    names += [spec["theory_sweep"]] if "theory_sweep" in spec else []
    spec["sweeps"] = {n: {**SWEEPS[n], "name": n} for n in names}
    spec["regimes_defined"] = {
        r: {"name": r, "kind": KINDS[r], "weight_decay": wd, "temperature": temp, "init_std": s0}
        for r, (wd, temp, s0) in REGIMES.items()
    }
    return spec


def _points():
    for name, sw in SWEEPS.items():
        for a, b, n, p, s, r in itertools.product(
            sw["alpha"], sw["beta"], sw["n_features"], sw["n_samples"], sw["noise"], sw["regimes"]
        ):
            wd, temp, s0 = REGIMES[r]
            yield (
                name,
                {
                    "sweep": name,
                    "spectrum": "powerlaw",
                    "alpha": a,
                    "beta": b,
                    "teacher": sw["teacher"],
                    "n_modes": sw["n_modes"],
                    "n_features": float(n),
                    "n_samples": float(p),
                    "noise": s,
                    "regime": r,
                    "weight_decay": wd,
                    "temperature": temp,
                    "init_std": s0,
                    "optimizer": OPTIMIZER.get(r, ("gf", 0.0))[0],
                    "learning_rate": OPTIMIZER.get(r, ("gf", 0.0))[1],
                    "momentum": 0.0,
                    "batch_size": BATCH.get(r, (INF, ""))[0],
                    "batch_sampling": BATCH.get(r, (INF, ""))[1],
                    "lr_schedule": "constant",
                },
            )


def _analytic(pt, t):
    """A plausible analytic learning curve: power-law decay to a finite-size floor, a rising
    noise part (U-shape), an init part, a thermal part and a double-descent pole at N = P (gf)."""
    a = (pt["beta"] - 1) / pt["alpha"]
    P, N, s2 = pt["n_samples"], pt["n_features"], pt["noise"] ** 2
    floor = (P ** -(pt["beta"] - 1) if np.isfinite(P) else 0.0) + (
        N ** -min(pt["beta"] - 1, pt["alpha"]) if np.isfinite(N) else 0.0
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        signal = (1 + t) ** -a * (1 + 0.3 * pt["learning_rate"] / (1 + t)) + floor
        ratio = np.where(np.isinf(t), 1.0, t / (t + (P if np.isfinite(P) else 1e12)))
        noise = (
            s2
            * 0.3
            * (1 + (16 / P if np.isfinite(P) else 0.0))
            * ratio
            * (1 + (N / abs(P - N) if (np.isfinite(N) and pt["weight_decay"] == 0 and N != P) else 0.0))
        )
        init = pt["init_std"] ** 2 * 0.05 * np.where(np.isinf(t), 0.0, (1 + t) ** -0.5)
        thermal = pt["temperature"] * 10 * np.where(np.isinf(t), 1.0, t / (1 + t))
    return signal, noise * np.ones_like(t), init * np.ones_like(t), thermal


def synthetic_tables():
    curves, early, seen = [], [], set()
    for name, pt in _points():
        key = tuple(pt.values())
        if key in seen:
            continue
        seen.add(key)
        t = np.array([INF]) if pt["regime"] == "bayes" else np.append(TIMES, INF)
        signal, noise, init, thermal = _analytic(pt, t)
        eg_mean = signal + noise + init
        eg = eg_mean + thermal
        flag = np.array([""] * len(t), dtype=object)
        pole = pt["regime"] == "gf" and pt["n_features"] == pt["n_samples"] and pt["noise"] > 0
        if pole:  # ridgeless N = P: infinite t -> inf value, flagged
            eg[-1] = eg_mean[-1] = noise[-1] = INF
            flag[-1] = "infinite"
        steps = np.full_like(t, np.nan)
        train = np.full_like(t, np.nan)
        if pt["optimizer"] == "sgd" and np.isfinite(pt["n_samples"]):  # multi-pass SGD: an excess 2 eta/B
            steps = t / pt["learning_rate"]
            eg = eg * (1 + 2 * pt["learning_rate"] / pt["batch_size"])
            eg_mean = eg.copy()
            train = 1.1 * eg
        methods = ["dmft", "sim"] if SWEEPS[name]["simulate"] else ["dmft"]
        for m in methods:
            # simulation scatters about the theory; at t = inf Langevin and its posterior are one
            # number (the simulator's too), as in the real tables
            wiggle = 1.0 if m == "dmft" else np.where(np.isinf(t), 1.005, 1.0 + 0.01 * np.sin(np.arange(len(t))))
            sem = np.zeros(len(t)) if m == "dmft" else 0.02 * eg
            curves.append(
                pd.DataFrame(
                    {
                        **{k: [v] * len(t) for k, v in pt.items()},
                        "method": m,
                        "t": t,
                        "steps": steps,
                        "eg": eg * wiggle,
                        "eg_mean": eg_mean * wiggle,
                        "eg_signal": signal,
                        "eg_noise": noise,
                        "eg_init": init,
                        "eg_thermal": thermal,
                        "eg_sem": sem,
                        "eg_mean_sem": sem,
                        "train_error": train * wiggle,
                        "train_error_sem": sem if m == "sim" else np.full_like(t, np.nan),
                        "divergent_fraction": np.full_like(t, np.nan),
                        "n_seeds": 0 if m == "dmft" else 8,
                        "flag": flag,
                    }
                )
            )
            if pt["regime"] != "bayes":
                P, s2 = pt["n_samples"], pt["noise"] ** 2
                interior = s2 > 0 and np.isfinite(P)
                t_star = (P / s2) ** (pt["alpha"] / pt["beta"]) if interior else TIMES[-1]
                e_star = (P / s2) ** (-(pt["beta"] - 1) / pt["beta"]) if interior else float(eg[-2])
                # the optimum depends on how the regime trains (weight decay, temperature, step size)
                t_star *= 1 + pt["learning_rate"]
                e_star *= 1 + 5 * pt["weight_decay"] + 10 * pt["temperature"] + 0.1 * pt["learning_rate"]
                early.append(
                    {
                        **pt,
                        "method": m,
                        "t_star": t_star,
                        "e_star": e_star,
                        "e_star_sem": 0.0 if m == "dmft" else 0.02 * e_star,
                        "e_final": float(eg[-2]),
                        "flag": "" if interior else "boundary",
                    }
                )
    curves = pd.concat(curves, ignore_index=True)
    early = pd.DataFrame(early, columns=tables.EARLY_STOPPING_SCHEMA.names)
    return curves, early, _fits(curves, early)


def _expected(law, pt):
    a, b = pt["alpha"], pt["beta"]
    gf = pt["weight_decay"] == 0 and pt["temperature"] == 0
    if law == "time" and gf and np.isinf(pt["n_features"]) and np.isinf(pt["n_samples"]):
        return -(b - 1) / a
    if law == "samples" and gf and np.isinf(pt["n_features"]) and pt["noise"] == 0:
        return -min(b - 1, 2 * a)
    if law == "features" and gf and np.isinf(pt["n_samples"]):
        return -min(b - 1, a)
    if law == "t_star" and gf and pt["noise"] > 0:
        return a / b
    if law == "e_star" and gf and pt["noise"] > 0:
        return -(b - 1) / b
    return np.nan


def _fits(curves, early):
    """Fit rows written down from the analytic laws (exponent = the law used to build the curves,
    with a small offset so fitted != expected), each through its series' middle point (a fit lies
    on its data, as the fitting code's do)."""
    rows = []
    pts = curves[tables.POINT_COLUMNS + ["method"]].drop_duplicates()

    def row(pt, method, law, quantity, x, y, exponent):
        good = np.isfinite(x) & np.isfinite(y) & (y > 0)
        x, y = np.asarray(x, dtype=float)[good], np.asarray(y, dtype=float)[good]
        if len(x) < 2:
            return
        mid = np.argsort(x)[len(x) // 2]
        rows.append(
            {
                **pt,
                "method": method,
                "law": law,
                "quantity": quantity,
                "varied": LAW_AXIS[law],
                "x_min": x.min(),
                "x_max": x.max(),
                "n_points": len(x),
                "exponent": exponent,
                "exponent_lo": exponent - 0.02,
                "exponent_hi": exponent + 0.02,
                "prefactor": y[mid] / x[mid] ** exponent,
                "expected_exponent": _expected(law, pt),
                "max_log_residual": 0.01,
                "flag": "",
            }
        )

    for pt in pts.to_dict("records"):
        method = pt.pop("method")
        curve = curves[(curves[tables.POINT_COLUMNS] == pd.Series(pt)).all(axis=1) & (curves["method"] == method)]
        curve = curve[np.isin(curve["t"], TIMES) & (curve["t"] >= 10)]  # the power-law part: t >> 1
        row(pt, method, "time", "eg", curve["t"], curve["eg"], -(pt["beta"] - 1) / pt["alpha"] + 0.01)
    for law, axis in (("samples", "n_samples"), ("features", "n_features")):
        others = [c for c in tables.POINT_COLUMNS if c != axis] + ["method"]
        for key, g in curves[np.isinf(curves["t"])].groupby(others, sort=True):
            pt = dict(zip(others, key, strict=True))
            method = pt.pop("method")
            pt[axis] = INF
            exp = -(pt["beta"] - 1) if law == "samples" else -min(pt["beta"] - 1, pt["alpha"])
            g = g.drop_duplicates(axis)
            row({c: pt[c] for c in tables.POINT_COLUMNS}, method, law, "eg", g[axis], g["eg"], exp - 0.03)
    others = [c for c in tables.POINT_COLUMNS if c != "n_samples"] + ["method"]
    for key, g in early.groupby(others, sort=True):
        pt = dict(zip(others, key, strict=True))
        method = pt.pop("method")
        pt["n_samples"] = INF
        pt = {c: pt[c] for c in tables.POINT_COLUMNS}
        g = g[g["flag"] == ""]
        row(pt, method, "t_star", "t_star", g["n_samples"], g["t_star"], pt["alpha"] / pt["beta"])
        row(pt, method, "e_star", "e_star", g["n_samples"], g["e_star"], -(pt["beta"] - 1) / pt["beta"])
    return pd.DataFrame(rows, columns=tables.FIT_SCHEMA.names)


@pytest.fixture(scope="module")
def synthetic():
    curves, early, fits = synthetic_tables()
    # the exact schemas (and the no-NaN / flagged-inf rules) hold for the synthetic tables
    out = {}
    for kind, frame in (("curve", curves), ("early_stopping", early), ("fit", fits)):
        out[kind] = tables.to_table(frame, kind).to_pandas()
    return out["curve"], out["fit"], out["early_stopping"]


def _has_data(ax) -> bool:
    lines = any(len(np.atleast_1d(line.get_xdata())) > 0 for line in ax.lines)
    colls = any(len(c.get_offsets()) > 0 or len(getattr(c, "get_segments", lambda: [])()) > 0 for c in ax.collections)
    return lines or colls


@pytest.mark.parametrize("figure", FIGURES)
def test_figure_draws_and_saves(figure, synthetic, tmp_path):
    curves, fits, early = synthetic
    module = importlib.import_module(f"scaling_dmft.figures.{figure}")
    fig = module.draw(curves, fits, early, spec_for(figure))
    try:
        assert len(fig.axes) == N_AXES[figure]
        for ax in fig.axes:
            assert _has_data(ax), (figure, ax.get_title())
        for ext in ("png", "pdf"):
            path = tmp_path / f"{figure}.{ext}"
            fig.savefig(path, dpi=80, bbox_inches="tight")
            assert path.exists() and path.stat().st_size > 1000
    finally:
        plt.close(fig)


def test_fitted_power_laws_are_labelled(synthetic):
    curves, fits, early = synthetic
    from scaling_dmft.figures import early_stopping as f4

    fig = f4.draw(curves, fits, early, spec_for("early_stopping"))
    try:
        labels = [t.get_text() for ax in fig.axes for t in (ax.get_legend().get_texts() if ax.get_legend() else [])]
        labels += [t.get_text() for lg in fig.legends for t in lg.get_texts()]
        assert any("slope 0.67 (expected 0.67)" in lab for lab in labels), labels
        # gf_wd: the theory states no law, so no fit line and no "(expected –)" entry
        assert not any("expected –" in lab for lab in labels), labels
        assert all("expected" in lab for lab in labels if "slope" in lab), labels
    finally:
        plt.close(fig)


def _loglog_interp(x, xs, ys):
    order = np.argsort(xs)
    return np.exp(np.interp(np.log(x), np.log(np.asarray(xs)[order]), np.log(np.asarray(ys)[order])))


@pytest.mark.parametrize("figure", ["early_stopping", "data_scaling"])
def test_fit_lines_lie_on_their_data(figure, synthetic):
    """Every dashed fit line lies on the theory line of its colour over its window, to within the
    fit tolerance (0.05 in ln y): no hidden offset (they were drawn x0.5-0.7 before), and no
    line beyond the data."""
    from scaling_dmft.fit import fit_table

    curves, _, early = synthetic
    fits = fit_table(curves, early)  # the real fits of the synthetic curves
    module = importlib.import_module(f"scaling_dmft.figures.{figure}")
    fig = module.draw(curves, fits, early, spec_for(figure))
    try:
        checked = 0
        for ax in fig.axes:
            # the data lines: solid, or dashed where a series is drawn distinguishably from a close one
            solid = [
                ln
                for ln in ax.lines
                if ln.get_linestyle() not in ("None", "none", "")
                and len(ln.get_xdata()) > 1
                and "slope" not in str(ln.get_label())
            ]
            for line in (ln for ln in ax.lines if "slope" in str(ln.get_label())):
                x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
                # the fit is black over its series; its series is the solid line it lies on best
                misses = []
                for data in solid:
                    xs, ys = np.asarray(data.get_xdata(), float), np.asarray(data.get_ydata(), float)
                    if xs.min() <= x.min() * (1 + 1e-9) and x.max() <= xs.max() * (1 + 1e-9):
                        misses.append(np.max(np.abs(np.log(y / _loglog_interp(x, xs, ys)))))
                assert misses, "a fit line beyond every data series"
                assert min(misses) < 0.05
                checked += 1
        assert checked > 0
    finally:
        plt.close(fig)


# The series each caption (docs/figures.md, workflow/report/figure.rst) promises, by legend label.
THEORY, SIM = figure_checks.THEORY_KEY, figure_checks.SIM_KEY
PROMISED = {
    "threshold": ["total $E_g$", "signal", "label noise", "initialisation", "thermal", "$E_g(t=\\infty)$", THEORY, SIM],
    "model_size": [
        "kernel limit $N = \\infty$, dotted in the colour of its P",
        "$N = P$, dashed in the colour of its P",
        THEORY,
        SIM,
    ],
    "langevin_bayes": ["Bayes posterior (t = ∞), dashed in the colour of its P", THEORY, SIM],
    "learning_curves": [THEORY, SIM],
    "early_stopping": [THEORY],
    "data_scaling": [THEORY, SIM],
    "exponents": ["fitted = expected"],
    "optimizers": [
        "gradient descent η=0.5 + weight decay γ=0.001",
        "gradient flow + weight decay γ=0.001",
        "online SGD B=8, η=0.2",
        THEORY,
        SIM,
    ],
    "multipass_sgd": [
        "gradient descent η=0.5 + weight decay γ=0.001",
        "gradient flow + weight decay γ=0.001",
        "multi-pass SGD B=4, η=0.5 + weight decay γ=0.001",
        "multi-pass SGD B=16, η=0.5 + weight decay γ=0.001",
        "P=64",
        THEORY,
        SIM,
    ],
}
# regime names of the synthetic tables: code names a reader cannot decode (issue 24: words only)
CODE_NAMES = ("gf", "gf_wd", "langevin", "bayes", "langevin_threshold", "opt_gf", "opt_gd", "sgd_B8", "mp_B4", "mp_B16")


@pytest.mark.parametrize("figure", FIGURES)
def test_every_promised_series_is_drawn_and_legends_are_off_the_data(figure, synthetic):
    curves, fits, early = synthetic
    module = importlib.import_module(f"scaling_dmft.figures.{figure}")
    fig = module.draw(curves, fits, early, spec_for(figure))
    try:
        labels = figure_checks.legend_labels(fig)
        missing = [p for p in PROMISED[figure] if p not in labels]
        assert not missing, (missing, sorted(labels))
        figure_checks.check_legend_off_data_and_text(fig, figure)
    finally:
        plt.close(fig)


@pytest.mark.parametrize("figure", FIGURES)
def test_figure_checklist(figure, synthetic):
    """Issue 24's checklist, where a test can judge it (tests/figure_checks.py): one legend for the
    whole figure (panels share their series), its entries exactly the series drawn (every entry's
    colour drawn, every drawn colour named, the simulation key only with simulation), no legend on
    data or text, no series hidden under another of the same style, regimes named in words (no
    config code name in any text), no titles running into each other, no '3×10⁰' tick labels."""
    curves, fits, early = synthetic
    module = importlib.import_module(f"scaling_dmft.figures.{figure}")
    fig = module.draw(curves, fits, early, spec_for(figure))
    try:
        figure_checks.check_all(fig, figure, CODE_NAMES, key_color=style_key())
    finally:
        plt.close(fig)


def style_key():
    from scaling_dmft.figures import style

    return style.KEY_COLOR


@pytest.mark.parametrize("figure", FIGURES)
def test_empty_selection_raises(figure, synthetic):
    curves, fits, early = synthetic
    module = importlib.import_module(f"scaling_dmft.figures.{figure}")
    spec = spec_for(figure)
    spec["sweeps"] = {name: {**cfg, "alpha": [9.0]} for name, cfg in spec["sweeps"].items()}  # matches nothing
    with pytest.raises(ValueError, match=f"figure '{figure}': empty selection"):
        module.draw(curves, fits, early, spec)
    plt.close("all")


def _theory_lines(ax):
    """The solid theory lines of a panel with more than one point, as (x, y) arrays."""
    out = []
    for line in ax.lines:
        x = np.asarray(line.get_xdata(), dtype=float)
        if line.get_linestyle() == "-" and x.size > 1 and line.get_gid() != "guide":
            out.append((x, np.asarray(line.get_ydata(), dtype=float)))
    return out


def test_model_size_draws_the_divergence_from_the_dense_theory_sweep(synthetic):
    """F6 (issue 24): the ridgeless theory comes from the theory sweep's dense N grid, in two
    branches that close in on N = P from both sides (to N = P -+ 1) and leave the panel's top
    there: the divergence is drawn as one, not as a gap between finite peaks. No theory line
    crosses N = P; the weight-decay panel is one line through N = P."""
    curves, fits, early = synthetic
    from scaling_dmft.figures import model_size

    fig = model_size.draw(curves, fits, early, spec_for("model_size"))
    try:
        ridgeless, ridge = fig.axes
        p = 64.0
        lines = _theory_lines(ridgeless)
        below = [(x, y) for x, y in lines if x.max() < p]
        above = [(x, y) for x, y in lines if x.min() > p]
        assert len(below) == 1 and len(above) == 1 and len(lines) == 2, [x for x, _ in lines]
        top = ridgeless.get_ylim()[1]
        (xb, yb), (xa, ya) = below[0], above[0]
        assert xb.max() == p - 1 and xa.min() == p + 1  # the dense grid's N = 63 and 65
        assert yb[np.argmax(xb)] > top and ya[np.argmin(xa)] > top  # both branches leave the panel
        dense = set(SWEEPS["model_size_theory"]["n_features"]) - {INF, p}
        assert set(xb) | set(xa) == dense  # every theory-sweep N, none of the simulated sweep's alone
        (x, _), *rest = _theory_lines(ridge)
        assert not rest and x.min() < p < x.max()
    finally:
        plt.close(fig)


def test_model_size_without_a_theory_sweep_draws_the_sweeps_own_theory(synthetic):
    """No theory sweep: the theory at the simulated sweep's N. A theory sweep without rows for a
    series (here: none for weight decay): that series' theory at the sweep's N, the other's dense."""
    curves, fits, early = synthetic
    from scaling_dmft.figures import model_size

    own = set(SWEEPS["model_size"]["n_features"]) - {INF}
    spec = spec_for("model_size")
    del spec["theory_sweep"]
    spec["sweeps"].pop("model_size_theory")
    fig = model_size.draw(curves, fits, early, spec)
    try:
        assert {v for x, _ in _theory_lines(fig.axes[0]) for v in x} == own - {64}
    finally:
        plt.close(fig)
    partial = curves[~((curves["sweep"] == "model_size_theory") & (curves["regime"] == "gf_wd"))]
    fig = model_size.draw(partial, fits, early, spec_for("model_size"))
    try:
        dense = set(SWEEPS["model_size_theory"]["n_features"]) - {INF}
        assert {v for x, _ in _theory_lines(fig.axes[0]) for v in x} == dense - {64}
        assert {v for x, _ in _theory_lines(fig.axes[1]) for v in x} == own
    finally:
        plt.close(fig)


def test_exponent_intervals_are_drawn_readably(synthetic):
    """F5 (issue 24: the 95 % intervals could not be seen): the bottom row draws fitted - expected
    on a scale set by the deviations (the largest |interval end - expected| reaches 50-100 % of the
    half-range), every interval as a bar above its marker, and the markers hollow."""
    curves, fits, early = synthetic
    from scaling_dmft.figures import exponents

    fig = exponents.draw(curves, fits, early, spec_for("exponents"))
    try:
        for i, law in enumerate(("time", "samples", "features")):
            ax = fig.axes[3 + i]
            rows = fits[(fits["law"] == law) & np.isfinite(fits["expected_exponent"]) & (fits["flag"] == "")]
            rows = rows[rows["sweep"] == ("exponent_time", "exponent_samples", "exponent_features")[i]]
            reach = np.abs(
                rows[["exponent_lo", "exponent_hi"]].to_numpy() - rows[["expected_exponent"]].to_numpy()
            ).max()
            low, high = ax.get_ylim()
            assert low == -high and 0.5 * high <= reach <= high, (law, reach, high)
            bars = [c for c in ax.collections if type(c).__name__ == "LineCollection"]
            marks = [c for c in ax.collections if type(c).__name__ == "PathCollection"]
            assert len(bars) == len(rows) and marks
            assert min(b.get_zorder() for b in bars) > max(m.get_zorder() for m in marks)
            assert all((m.get_facecolor()[:, 3] == 0).all() for m in marks)  # hollow
    finally:
        plt.close(fig)


def check_run_figures(results: Path) -> list[str]:
    """Draw every figure of a workflow run from its tables (as rule `figure` does) and apply the
    checklist (tests/figure_checks.py); the figures checked, in order."""
    from scaling_dmft.figures.common import regime_kinds
    from scaling_dmft.rules import figure_spec, table_config

    curves = tables.read_table(results / "tables" / "curves.parquet", "curve")
    fits = tables.read_table(results / "tables" / "fits.parquet", "fit")
    early = tables.read_table(results / "tables" / "early_stopping.parquet", "early_stopping")
    config = table_config(curves)
    codes = tuple(r["name"] for r in config["regimes"])
    done = []
    for figure in (f for f in FIGURES if f in config["figures"]):
        spec = figure_spec(config, figure)
        assert regime_kinds(spec)
        fig = importlib.import_module(f"scaling_dmft.figures.{figure}").draw(curves, fits, early, spec)
        try:
            figure_checks.check_all(fig, figure, codes, key_color=style_key())
        finally:
            plt.close(fig)
        done.append(figure)
    return done


@pytest.mark.slow
def test_figure_checklist_on_the_tiny_run(tiny_reference_run):
    """The checklist on every figure of the tiny sweep (config/test.yaml: F1-F9) drawn from the
    workflow's real tables, where series coincide as the theory says (not as a synthetic table
    happens to be written)."""
    assert check_run_figures(tiny_reference_run["workdir"] / "results" / "test") == list(FIGURES)


def _config_with(tmp_path, edit):
    from scaling_dmft.config import load_yaml, validate_config

    cfg = load_yaml(ROOT / "config" / "test.yaml")
    edit(cfg)
    return validate_config(cfg, base_dir=ROOT / "config")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda c: c["figures"]["model_size"].update(theory_sweep="nope"),
            r"figures\.model_size\.theory_sweep: unknown sweep 'nope'",
        ),
        (
            lambda c: c["sweeps"]["model_size_theory"].update(n_samples=[32]),
            r"figures\.model_size\.theory_sweep: .*n_samples include \[64\]",
        ),
        (
            lambda c: c["sweeps"]["model_size_theory"].update(regimes=["gf"]),
            r"figures\.model_size\.theory_sweep: .*regimes include \[gf_wd\]",
        ),
        (lambda c: c["sweeps"]["model_size_theory"].update(n_modes=400), r"theory_sweep: .*n_modes 300"),
        (
            lambda c: c["sweeps"]["model_size_theory"].update(
                times={"start": 1.0, "stop": 10.0, "count": 2, "include_inf": False}
            ),
            r"sweeps\.model_size_theory\.times: .*t = inf",
        ),
    ],
)
def test_a_theory_sweep_that_does_not_cover_the_figure_is_refused(tmp_path, edit, message):
    """figures.model_size.theory_sweep: checked before any job (config._check_theory_sweep)."""
    from scaling_dmft.errors import InputError

    with pytest.raises(InputError, match=message):
        _config_with(tmp_path, edit)


def test_the_shipped_configs_draw_f6_from_a_dense_theory_sweep():
    """config.yaml, paper.yaml and test.yaml: F6's theory sweep closes in on every N = P from both
    sides (P -+ 1) and is theory only."""
    from scaling_dmft.config import load_yaml

    for name in ("config", "paper", "test"):
        cfg = load_yaml(ROOT / "config" / f"{name}.yaml")
        spec = cfg["figures"]["model_size"]
        theory = cfg["sweeps"][spec["theory_sweep"]]
        assert not theory.get("simulate", False), name
        for p in cfg["sweeps"][spec["sweep"]]["n_samples"]:
            assert {p - 1, p + 1} <= set(theory["n_features"]), (name, p)


def test_simulation_where_the_theory_is_infinite_is_not_drawn():
    """common.without_divergent drops exactly the simulation rows at a (point, t) whose theory row
    is flagged 'infinite' (the ridgeless N = P at t = inf): the theory rows and the other simulation
    rows stay."""
    from scaling_dmft.figures.common import without_divergent

    curves, _, _ = synthetic_tables()
    pole = (
        (curves["regime"] == "gf")
        & (curves["n_features"] == curves["n_samples"])
        & (curves["noise"] > 0)
        & np.isinf(curves["t"])
    )
    assert (curves.loc[pole & (curves["method"] == "dmft"), "flag"] == "infinite").all() and pole.any()
    kept = without_divergent(curves)
    dropped = curves.loc[curves.index.difference(kept.index)]
    assert len(dropped) == (pole & (curves["method"] == "sim")).sum() > 0
    assert (dropped["method"] == "sim").all() and pole[dropped.index].all()


def test_every_figure_has_a_report_title_in_order():
    """The report's category of each figure (figures.TITLES) names every figure of the schema, numbered
    F1, F2, ... in the schema's order: a new figure without a title broke the report (KeyError)."""
    from scaling_dmft.figures import TITLES

    assert list(TITLES) == list(FIGURES)
    assert [title.split()[0] for title in TITLES.values()] == [f"F{i}" for i in range(1, len(FIGURES) + 1)]

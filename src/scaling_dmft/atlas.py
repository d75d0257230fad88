"""The (alpha, beta) phase diagram of the scaling exponents (scaling-law atlas, docs/theory/frontier.md).

At every point of a grid over alpha in ALPHA_RANGE and beta from BETA_LOW to 2 alpha + 2 (the
same number of beta values per alpha), four laws are fitted to deterministic theory values with
the project's fit machinery (scaling_dmft.fit: automatic window, flags):

    time            E vs t at N = P = inf, gradient flow (E(t) = sum_k c_k exp(-2 lambda_k t), the
                    DMFT's N = P = inf limit, summed exactly over the modes: no contour inversion,
                    so no absolute round-off floor at the steep exponents of large beta)
    samples         E vs P at N = inf, t = inf, gamma = 0 (dmft.static)
    features        E vs N at P = inf, t = inf, gamma = 0 (dmft.static)
    frontier_error  E* vs C = N t at P = inf, gradient flow (scaling_dmft.frontier)

each with the derived exponent (fit.expected_exponent) and, for the frontier, the additive
ansatz (fit.ansatz_exponents). Phases: A (beta - 1 < alpha), B (alpha < beta - 1 < 2 alpha),
C (beta - 1 > 2 alpha).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import dmft
from .fit import ansatz_exponents, expected_exponent, fit_power_law, law_flag
from .frontier import compute_optimal
from .points import Model, Point, SpectrumSpec, build_point
from .spectra import powerlaw

ALPHA_RANGE = (1.1, 3.0)
BETA_LOW = 1.1
PHASE_LAWS = ("time", "samples", "features", "frontier_error")
# the x grids of the laws: wide enough for a decade-long window everywhere (the fit chooses it)
TIMES = np.logspace(0, 8, 33)
SIZES = np.logspace(2, 5, 13)
BUDGETS = np.logspace(6, 14, 9)  # one per decade: the fitted exponents equal those of 17 budgets to 1e-4
# the frontier's model sizes: 4 per decade (refined by the parabola), up to N* ~ C^(beta-alpha)/beta
FRONTIER_N_RANGE = (1.0, 1e10)
FRONTIER_PER_DECADE = 4


# Wall time of one (alpha, beta) point (four laws, the frontier's 17 budgets x 41 sizes the most):
# measured 0.3-0.7 s on the shared 2-core machine (issue 25), taken as 1.5 s for the size check.
PHASE_POINT_SECONDS = 1.5


def largest_part(alpha_count: int, beta_count: int, jobs: int) -> int:
    """Points of the largest part `phase_jobs` makes: the alphas split into min(jobs, alpha_count)
    nearly equal parts, beta_count points per alpha."""
    return math.ceil(alpha_count / min(jobs, alpha_count)) * beta_count


def beta_high(alpha: float) -> float:
    return 2 * alpha + 2


def grid_points(n_alpha: int, n_beta: int) -> list[tuple[float, float]]:
    """(alpha, beta): n_alpha values of alpha over ALPHA_RANGE, and for each n_beta values of beta
    over [BETA_LOW, 2 alpha + 2] (both ends included)."""
    out = []
    for alpha in np.linspace(*ALPHA_RANGE, n_alpha):
        for beta in np.linspace(BETA_LOW, beta_high(alpha), n_beta):
            out.append((round(float(alpha), 12), round(float(beta), 12)))
    return out


def phase(alpha: float, beta: float) -> str:
    """A: beta - 1 < alpha; B: alpha <= beta - 1 < 2 alpha; C: beta - 1 >= 2 alpha."""
    if beta - 1 < alpha:
        return "A"
    return "B" if beta - 1 < 2 * alpha else "C"


def _law_values(law: str, alpha: float, beta: float, n_modes: int) -> tuple[np.ndarray, np.ndarray]:
    modes = powerlaw(alpha, beta, n_modes).modes()
    if law == "time":
        decay = np.exp(-2.0 * np.outer(TIMES, modes.eigenvalues))
        return TIMES, decay @ (modes.weights * modes.target_power)
    if law in ("samples", "features"):
        sums = dmft.prepare(modes)
        size = {"samples": "n_samples", "features": "n_features"}[law]
        other = "n_features" if size == "n_samples" else "n_samples"
        values = [dmft.static(sums, **{size: s, other: math.inf}, weight_decay=0.0).signal[0] for s in SIZES]
        return SIZES, np.array(values)
    front = compute_optimal(
        modes,
        BUDGETS,
        n_samples=math.inf,
        n_min=FRONTIER_N_RANGE[0],
        n_max=FRONTIER_N_RANGE[1],
        per_decade=FRONTIER_PER_DECADE,
        t_per_decade=0,  # gradient flow at P = inf: E_g(t) decreases, the budget is spent
    )
    real = front.flag == ""
    return BUDGETS[real], front.eg[real].astype(np.float64)


def phase_point(alpha: float, beta: float, n_modes: int) -> list[dict]:
    """The PHASE_DIAGRAM_SCHEMA rows of one (alpha, beta)."""
    rows = []
    for law in PHASE_LAWS:
        x, y = _law_values(law, alpha, beta, n_modes)
        expected = expected_exponent(law, alpha, beta)  # at N = P = inf, gradient flow, as computed
        row = dict(alpha=alpha, beta=beta, n_modes=n_modes, phase=phase(alpha, beta), law=law)
        if len(np.unique(x)) < 2:
            row.update(x_min=np.nan, x_max=np.nan, n_points=len(x), exponent=np.nan, flag="too_few_points")
            row.update(exponent_lo=np.nan, exponent_hi=np.nan)
        else:
            res = fit_power_law(x, y)
            row.update(**res.columns(), flag=law_flag(res, law, alpha, beta, expected))
        row["expected_exponent"] = np.nan if expected is None else expected
        row["ansatz_exponent"] = ansatz_exponents(alpha, beta)[law] if law == "frontier_error" else np.nan
        rows.append(row)
    return rows


def phase_diagram(points: list[tuple[float, float]], n_modes: int) -> pd.DataFrame:
    """PHASE_DIAGRAM_SCHEMA rows for every (alpha, beta) of `points`."""
    from .tables import PHASE_DIAGRAM_SCHEMA

    rows = [row for alpha, beta in points for row in phase_point(alpha, beta, n_modes)]
    return pd.DataFrame(rows)[PHASE_DIAGRAM_SCHEMA.names]


# ---------------------------------------------------------------- the workflow's atlas


def frontier_point(cfg: dict, name: str) -> Point:
    """The parameter point of the config's frontier `name` (atlas.frontiers), built like a sweep's
    (points.build_point: the regime's gamma, T and sigma0, 'prior' included), with sweep = name; N and
    the times are the frontier's to choose (N = inf and no times here)."""
    front = cfg["atlas"]["frontiers"][name]
    regime = next(r for r in cfg["regimes"] if r["name"] == front["regime"])
    n_samples = front["n_samples"] if front["compute_model"] == "NT" else math.inf
    spectrum = SpectrumSpec(float(front["alpha"]), float(front["beta"]), int(front["n_modes"]), front["teacher"])
    model = Model(spectrum, math.inf, float(n_samples))
    return build_point(model, regime, noise=front["noise"], times=[], sweep=name)


def frontier_frame(cfg: dict, name: str) -> pd.DataFrame:
    """The frontier table rows (tables.FRONTIER_SCHEMA) of the config's frontier `name`."""
    from .frontier import point_frontier
    from .grid import time_grid

    front = cfg["atlas"]["frontiers"][name]
    return point_frontier(
        frontier_point(cfg, name),
        time_grid({**front["compute"], "include_inf": False}),
        compute_model=front["compute_model"],
        tune_weight_decay=front["tune_weight_decay"],
        n_range=tuple(front["n_features_range"]),
        p_range=tuple(front["n_samples_range"]),
    )


def phase_jobs(cfg: dict) -> dict[str, list[tuple[float, float]]]:
    """The phase diagram's (alpha, beta) points split by alpha into `jobs` parts: job id -> points."""
    spec = cfg.get("atlas", {}).get("phase_diagram")
    if spec is None:
        return {}
    points = grid_points(spec["alpha_count"], spec["beta_count"])
    alphas = sorted({a for a, _ in points})
    parts = np.array_split(np.arange(len(alphas)), min(spec["jobs"], len(alphas)))
    return {
        f"part{i}": [pt for pt in points if alphas.index(pt[0]) in set(idx.tolist())]
        for i, idx in enumerate(parts)
        if len(idx)
    }


# ---------------------------------------------------------------- iso-compute curves (frontier figure)

ISO_BUDGETS = 5  # budgets per iso-compute set, spread over the frontier's budgets
ISO_SIZES = 40  # model sizes per curve, log-spaced
ISO_SPAN = 30.0  # the N range: the optimum points' N* / 30 .. N* x 30
REAL_OPTIMUM = ("", "stopped_early")  # frontier budgets with a real optimum


def iso_frontier(frontier: pd.DataFrame) -> str | None:
    """The frontier whose iso-compute curves the atlas draws: the first (by name) with C = N t at
    P = inf and a fixed gamma, else the first NT one; None without an NT frontier (t = C / N is then
    not the budget's time)."""
    nt = frontier[frontier["compute_model"] == "NT"]
    if nt.empty:
        return None
    canonical = nt[np.isinf(nt["n_samples"].to_numpy(dtype=float)) & (nt["tuned"] == "")]
    return str(sorted((canonical if len(canonical) else nt)["sweep"])[0])


def iso_compute_frame(frontier: pd.DataFrame) -> pd.DataFrame:
    """E_g(N, t = C/N) (tables.ISO_COMPUTE_SCHEMA) of the iso_frontier for ISO_BUDGETS of its
    budgets, at ISO_SIZES model sizes around its optimum points, by the DMFT with the regime's own
    optimizer: gradient descent and momentum train for whole steps, t = eta floor(C / (N eta))
    (frontier._on_steps), never as gradient flow. Empty where the atlas has no NT frontier."""
    from . import dmft
    from .frontier import _on_steps
    from .tables import ISO_COMPUTE_SCHEMA, POINT_COLUMNS

    name = iso_frontier(frontier)
    if name is None:
        return pd.DataFrame(columns=ISO_COMPUTE_SCHEMA.names)
    rows = frontier[frontier["sweep"] == name].sort_values("compute")
    first = rows.iloc[0]
    spec = SpectrumSpec(float(first["alpha"]), float(first["beta"]), int(first["n_modes"]), str(first["teacher"]))
    sums = dmft.prepare(spec.build().modes())
    pick = rows.iloc[np.unique(np.linspace(0, len(rows) - 1, ISO_BUDGETS).round().astype(int))]
    real = pick[pick["flag"].isin(REAL_OPTIMUM)]
    n_lo = max(1.0, float(real["n_features"].min()) / ISO_SPAN) if len(real) else 1.0
    n_hi = float(real["n_features"].max()) * ISO_SPAN if len(real) else 1e6
    sizes = np.geomspace(n_lo, n_hi, ISO_SIZES)
    eta, mu = float(first["learning_rate"]), float(first["momentum"])
    out = []
    for _, row in pick.iterrows():
        budget = float(row["compute"])
        for n in sizes:
            t = float(_on_steps(np.array([budget / n]), eta)[0])
            values = {c: row[c] for c in POINT_COLUMNS}
            values.update(n_features=float(n), compute_model="NT", compute=budget, t=t)
            if t <= 0.0:
                out.append({**values, "eg": np.nan, "eg_mean": np.nan, "flag": "no_step"})
                continue
            try:
                e_mean, e_g = dmft.solve(
                    sums,
                    n_features=float(n),
                    n_samples=float(row["n_samples"]),
                    weight_decay=float(row["weight_decay"]),
                    times=[t],
                    learning_rate=eta,
                    momentum=mu,
                ).errors(
                    noise=float(row["noise"]),
                    init_var=float(row["init_std"]) ** 2,
                    temperature=float(row["temperature"]),
                )
                e_g, e_mean = float(e_g[0]), float(e_mean[0])
                if np.isfinite(e_g):
                    out.append({**values, "eg": e_g, "eg_mean": e_mean, "flag": ""})
                else:  # discrete steps past the stability edge (inf) or out of the theory's reach (null)
                    flag = "diverged" if np.isinf(e_g) else "no_theory"
                    out.append({**values, "eg": e_g, "eg_mean": e_mean, "flag": flag})
            except ArithmeticError as err:
                out.append({**values, "eg": np.nan, "eg_mean": np.nan, "flag": f"failed: {err}"[:200]})
    return pd.DataFrame(out)[ISO_COMPUTE_SCHEMA.names]

"""Power-law exponent fits, expected exponents and the early-stopping table.

Fits are least squares of log y against log x inside a window of the data.

Automatic window (``fit_power_law(..., window=None)``): among all contiguous stretches of at least
``min_points`` points, take the *longest* one that is a power law within ``tolerance``:

* every local log-slope (between neighbouring points) lies within ``tolerance`` of the
  stretch's median local slope, and
* the least-squares line misses no point of the stretch by more than ``tolerance`` in log y;

ties between equally long stretches go to the one at the largest x (the asymptotic regime).
Both tolerances are widened by ``z`` standard errors where the data carry seed standard errors
(simulation). The default ``tolerance = 0.05`` (absolute, in exponent units and in natural-log
units of y) is smaller than the gap between any two expected exponents the sweeps compare
(>= 0.25), and larger than the drift of a log-corrected law over a few points; crossovers to a
different exponent make the local slope drift by much more than 0.05, so they end the window.

Flags: ``too_few_points`` when fewer than ``min_points`` points are fitted (the least-squares
values are still reported), ``not_power_law`` when the fitted points fail either criterion
(no stretch of ``min_points`` points passes, or an explicitly given window fails).

95 % intervals: for theory (no ``y_sem``) from the regression standard error (Student t with
n - 2 degrees of freedom); for simulation (``y_sem`` given) a *parametric bootstrap over seeds*:
the curve table holds only seed means and standard errors, so each replica redraws every point
as log y_b = log y + (y_sem / y) * N(0, 1) (a normal with the seed s.e., in log space by the delta
method so draws stay positive), refits in the same window, and the interval is the 2.5/97.5 %
percentiles of the replica slopes. It captures seed noise only, not a misfit of the power law.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from .tables import EARLY_STOPPING_SCHEMA, FIT_SCHEMA, POINT_COLUMNS, ROUNDOFF_REL, usable

if TYPE_CHECKING:
    import pyarrow as pa

TOLERANCE = 0.05
MIN_POINTS = 4
N_BOOT = 2000
Z_NOISE = 3.0
LEVEL = 0.95

# the compute-optimal frontier's laws (scaling_dmft.frontier): E*, N*, P* (NPT only) and t* against C
FRONTIER_LAWS = ("frontier_error", "frontier_features", "frontier_samples", "frontier_time")
LAWS = ("time", "samples", "features", "t_star", "e_star", *FRONTIER_LAWS)
# A law is claimed over at least one decade of its variable; a shorter window is flagged
# 'short_window' (its slope is a local derivative, not a scaling exponent).
MIN_WINDOW_DECADES = 1.0
# Within this distance of a log-corrected edge (beta - 1 = alpha for the features law,
# beta - 1 = 2 alpha for the samples law) the finite-size exponent carries a log correction,
# E ~ x^-a log x, whose effective slope over a few decades is visibly shallower (measured:
# -1.376 for -1.5 at alpha = 1.5, beta = 2.5 over N = 16..2048): the row is flagged 'log_corrected'.
LOG_EDGE_WIDTH = 0.25
# the point column that varies along a law's x axis; in the fit table it holds +inf ("varied"),
# the fitted range is [x_min, x_max]
LAW_AXIS = {
    "time": "t",
    "samples": "n_samples",
    "features": "n_features",
    "t_star": "n_samples",
    "e_star": "n_samples",
    **dict.fromkeys(FRONTIER_LAWS, "compute"),
}


@dataclass(frozen=True)
class PowerLawFit:
    """y ~ prefactor * x**exponent on [x_min, x_max]."""

    exponent: float
    exponent_lo: float
    exponent_hi: float
    prefactor: float
    x_min: float
    x_max: float
    n_points: int
    max_log_residual: float
    slope_spread: float  # max |local slope - median local slope| in the window
    flag: str  # '' | not_power_law | too_few_points

    def columns(self) -> dict:
        """The window and exponent columns a fit row carries (fit and phase-diagram tables)."""
        return dict(
            x_min=self.x_min,
            x_max=self.x_max,
            n_points=self.n_points,
            exponent=self.exponent,
            exponent_lo=self.exponent_lo,
            exponent_hi=self.exponent_hi,
        )


def _ls(lx: np.ndarray, ly: np.ndarray) -> tuple[float, float]:
    xm = lx.mean()
    dx = lx - xm
    slope = float(dx @ (ly - ly.mean()) / (dx @ dx))
    return slope, float(ly.mean() - slope * xm)


def _window_ok(
    lx: np.ndarray, ly: np.ndarray, rs: np.ndarray, i: int, j: int, tol: float, z: float
) -> tuple[bool, float, float]:
    """Does the stretch [i, j) pass both criteria? Returns (ok, max residual, slope spread)."""
    x, y, r = lx[i:j], ly[i:j], rs[i:j]
    slope, icpt = _ls(x, y)
    resid = np.abs(y - (icpt + slope * x))
    dlx = np.diff(x)
    local = np.diff(y) / dlx
    local_sig = np.sqrt(r[:-1] ** 2 + r[1:] ** 2) / dlx
    dev = np.abs(local - np.median(local))
    ok = bool(np.all(resid <= tol + z * r) and np.all(dev <= tol + z * local_sig))
    return ok, float(resid.max()), float(dev.max())


def fit_power_law(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    y_sem: npt.ArrayLike | None = None,
    window: tuple[float, float] | None = None,
    tolerance: float = TOLERANCE,
    min_points: int = MIN_POINTS,
    n_boot: int = N_BOOT,
    rng_seed: int = 0,
    z: float = Z_NOISE,
    level: float = LEVEL,
) -> PowerLawFit:
    """Fit y ~ A x^a by least squares in log-log within a window (module docstring for the rule).

    x, y: positive values (non-finite or non-positive points are dropped); y_sem: seed standard
    errors of y (simulation) -> parametric-bootstrap interval over seeds (normal with the seed
    s.e., see the module docstring); None -> interval from the regression standard error.
    window: (x_lo, x_hi) inclusive, or None for the automatic choice.
    Fewer than 2 usable points: ValueError.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    sem = np.zeros_like(y) if y_sem is None else np.asarray(y_sem, dtype=np.float64)
    if not (x.shape == y.shape == sem.shape):
        raise ValueError("fit_power_law: x, y and y_sem must have the same shape")
    keep = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0) & np.isfinite(sem)
    order = np.argsort(x[keep], kind="stable")
    x, y, sem = x[keep][order], y[keep][order], np.abs(sem[keep][order])
    if window is not None:
        lo, hi = window
        inside = (x >= lo * (1 - 1e-12)) & (x <= hi * (1 + 1e-12))
        x, y, sem = x[inside], y[inside], sem[inside]
    if len(np.unique(x)) < 2:
        raise ValueError(f"fit_power_law: {len(x)} usable point(s), need at least 2 distinct x")
    lx, ly, rs = np.log(x), np.log(y), sem / y
    n = len(x)

    i, j, flag = 0, n, ""
    if n < min_points:
        flag = "too_few_points"
    elif window is None:
        found = None
        for length in range(n, min_points - 1, -1):
            for start in range(n - length, -1, -1):  # largest x first
                if _window_ok(lx, ly, rs, start, start + length, tolerance, z)[0]:
                    found = (start, start + length)
                    break
            if found:
                break
        if found is None:
            flag = "not_power_law"
        else:
            i, j = found
    lx, ly, rs, x = lx[i:j], ly[i:j], rs[i:j], x[i:j]
    m = len(x)
    slope, icpt = _ls(lx, ly)
    if m >= 3:
        ok, max_res, spread = _window_ok(lx, ly, rs, 0, m, tolerance, z)
    else:
        ok, max_res, spread = True, float(np.abs(ly - (icpt + slope * lx)).max()), 0.0
    if not flag and not ok:
        flag = "not_power_law"

    alpha = 1.0 - level
    if y_sem is not None and np.any(rs > 0) and n_boot > 0:
        rng = np.random.default_rng(rng_seed)
        ly_b = ly[None, :] + rs[None, :] * rng.standard_normal((n_boot, m))
        dx = lx - lx.mean()
        slopes = (ly_b - ly_b.mean(axis=1, keepdims=True)) @ dx / (dx @ dx)
        lo_e, hi_e = np.quantile(slopes, [alpha / 2, 1 - alpha / 2])
    elif m > 2:
        resid = ly - (icpt + slope * lx)
        dx = lx - lx.mean()
        se = math.sqrt(float(resid @ resid) / (m - 2) / float(dx @ dx))
        half = float(stats.t.ppf(1 - alpha / 2, m - 2)) * se
        lo_e, hi_e = slope - half, slope + half
    else:
        lo_e = hi_e = slope
    return PowerLawFit(
        exponent=slope,
        exponent_lo=float(min(lo_e, slope)),
        exponent_hi=float(max(hi_e, slope)),
        prefactor=math.exp(icpt),
        x_min=float(x[0]),
        x_max=float(x[-1]),
        n_points=int(m),
        max_log_residual=max_res,
        slope_spread=spread,
        flag=flag,
    )


def expected_exponent(
    law: str,
    alpha: float | None,
    beta: float | None,
    *,
    n_features: float = math.inf,
    n_samples: float = math.inf,
    noise: float = 0.0,
    weight_decay: float = 0.0,
    temperature: float = 0.0,
    init_std: float = 0.0,
    compute_model: str = "NT",
) -> float | None:
    """The exponent docs/theory/model.md (frontier laws: docs/theory/frontier.md) states for `law`
    at this point, or None where none applies.

    time      E vs t:  -(beta-1)/alpha      gradient flow (gamma = 0, T = 0), sigma0 = 0; at finite N, P
                                             the law before the finite-size plateau (the fit
                                             window keeps the decaying part only)
    samples   E vs P:  -min(beta-1, 2 alpha) if N = inf, t = inf, gamma = 0 (the gamma -> 0 limit),
                                             sigma = 0, T = 0, sigma0 = 0
    features  E vs N:  -min(beta-1, alpha)   if P = inf, t = inf, gamma = 0, T = 0
                                             (log correction at beta = alpha + 1)
    t_star    t* vs P: +alpha/beta           if GF (gamma = 0, T = 0), N = inf, sigma > 0 (large P)
    e_star    E* vs P: -(beta-1)/beta        same conditions as t_star
    frontier_*  E*, N*, P*, t* vs C: gradient flow (gamma = 0 not tuned, T = 0), sigma0 = 0, and
               NT at P = inf (label noise then contributes nothing): frontier_phase_exponents;
               NPT with sigma = 0 in phase A (beta - 1 < alpha) only
    The Langevin / seed-paper row of docs/theory/model.md (summed-loss units, P-dependent inverse
    temperature) and the optimal-ridge row (gamma tuned with P) do not describe a sweep at fixed
    (gamma, T), so they give None. A spectrum from a file (alpha/beta null) gives None.
    """
    if law not in LAWS:
        raise ValueError(f"unknown law {law!r}; one of {', '.join(LAWS)}")
    if alpha is None or beta is None or not (np.isfinite(alpha) and np.isfinite(beta)):
        return None
    alpha, beta = float(alpha), float(beta)
    gf = weight_decay == 0 and temperature == 0
    if law == "time":
        if gf and init_std == 0:
            return -(beta - 1) / alpha
    elif law == "samples":
        if gf and math.isinf(n_features) and noise == 0 and init_std == 0:
            return -min(beta - 1, 2 * alpha)
    elif law == "features" and gf and math.isinf(n_samples):
        return -min(beta - 1, alpha)
    elif law in ("t_star", "e_star") and gf and math.isinf(n_features) and noise > 0:
        return alpha / beta if law == "t_star" else -(beta - 1) / beta
    elif law in FRONTIER_LAWS and gf and init_std == 0:
        if compute_model == "NT" and math.isinf(n_samples):
            return frontier_phase_exponents(alpha, beta, "NT").get(law)
        if compute_model == "NPT" and noise == 0 and beta - 1 < alpha:
            return frontier_phase_exponents(alpha, beta, "NPT").get(law)
    return None


def frontier_phase_exponents(alpha: float, beta: float, compute_model: str = "NT") -> dict[str, float]:
    """The asymptotic compute-optimal exponents of gradient flow derived in docs/theory/frontier.md.

    NT, P = inf: phase A (beta - 1 < alpha): E = N^-(beta-1) G(t / N^alpha), so the optimum sits at
    t ~ N^alpha: E* ~ C^-(beta-1)/(1+alpha), N* ~ C^1/(1+alpha), t* ~ C^alpha/(1+alpha).
    Phase B/C (beta - 1 > alpha): E ~ t^-(beta-1)/alpha + (W/N) t^-(1-1/alpha) before the N^-alpha
    plateau: E* ~ C^-(beta-1)/beta, N* ~ C^(beta-alpha)/beta, t* ~ C^alpha/beta.
    NPT (C = N P t), phase A: E = N^-(beta-1) G(t / N^alpha, P / N): E* ~ C^-(beta-1)/(2+alpha),
    N*, P* ~ C^1/(2+alpha), t* ~ C^alpha/(2+alpha). NPT outside phase A: not derived (empty)."""
    if compute_model == "NT":
        if beta - 1 < alpha:
            e, n, t = -(beta - 1) / (1 + alpha), 1 / (1 + alpha), alpha / (1 + alpha)
        else:
            e, n, t = -(beta - 1) / beta, (beta - alpha) / beta, alpha / beta
        return {"frontier_error": e, "frontier_features": n, "frontier_time": t}
    if beta - 1 < alpha:
        e, n, t = -(beta - 1) / (2 + alpha), 1 / (2 + alpha), alpha / (2 + alpha)
        return {"frontier_error": e, "frontier_features": n, "frontier_samples": n, "frontier_time": t}
    return {}


def ansatz_exponents(alpha: float, beta: float) -> dict[str, float]:
    """The additive ansatz E ~ t^-a + N^-b (a = (beta-1)/alpha, b = min(beta-1, alpha)) minimised at
    C = N t: E* ~ C^-ab/(a+b), N* ~ C^a/(a+b), t* ~ C^b/(a+b). It agrees with the derived
    exponents in phase A and not beyond (docs/theory/frontier.md)."""
    a, b = (beta - 1) / alpha, min(beta - 1, alpha)
    return {"frontier_error": -a * b / (a + b), "frontier_features": a / (a + b), "frontier_time": b / (a + b)}


def near_log_edge(law: str, alpha: float | None, beta: float | None) -> bool:
    """True where the law's exponent switches branch with a log correction (see LOG_EDGE_WIDTH)."""
    if alpha is None or beta is None or not (np.isfinite(alpha) and np.isfinite(beta)):
        return False
    edge = {"features": alpha, "samples": 2 * alpha, **dict.fromkeys(FRONTIER_LAWS, alpha)}.get(law)
    return edge is not None and abs((beta - 1) - edge) <= LOG_EDGE_WIDTH


# ---------------------------------------------------------------- tables


def _valid(frame: pd.DataFrame, column: str) -> pd.Series:
    v = frame[column].to_numpy(dtype=np.float64)
    return usable(frame["flag"]) & np.isfinite(v) & (v > 0)


def _refine_minimum(lt: np.ndarray, le: np.ndarray, i: int) -> tuple[float, float]:
    """Vertex of the parabola through (log t, log E) at i-1, i, i+1 (clipped to that bracket)."""
    u, v = lt[i - 1 : i + 2], le[i - 1 : i + 2]
    c2, c1, c0 = np.polyfit(u, v, 2)
    if c2 <= 0:
        return lt[i], le[i]
    us = float(np.clip(-c1 / (2 * c2), u[0], u[2]))
    vs = float(min(c0 + c1 * us + c2 * us * us, le[i]))
    return us, vs


# An early-stopping optimum must gain more than the method can resolve (e_final - e_star):
# theory: GAIN_REL_MIN of e_final and ROUNDOFF_REL of the curve's largest value (a converged
# plateau's argmin is round-off, ~1e-12); simulation: also GAIN_Z combined seed standard errors of
# the two values (conservative: they share seeds, so the s.e. of the difference is smaller).
GAIN_REL_MIN = 1e-6
GAIN_Z = 2.0


def early_stopping(curves: pd.DataFrame) -> pd.DataFrame:
    """Early-stopping optimum per (point, method), in EARLY_STOPPING_SCHEMA.

    t_star, e_star: minimum of E_g over the finite times of the curve (unflagged rows with finite
    positive E_g), refined by the vertex of a parabola in (log t, log E_g) through the grid minimum
    and its two neighbours. e_final: E_g at t = inf when that row is valid, else at the last valid
    finite time. e_star_sem: the seed s.e. of E_g at the grid minimum (null for theory).
    flag: '' for a real optimum; 'boundary' when the minimum is the first or last finite time (no
    interior optimum on this grid); 'no_minimum' when the gain e_final - e_star is not above the
    method's resolution (GAIN_REL_MIN, ROUNDOFF_REL, GAIN_Z standard errors): a monotone curve
    or a plateau, where the argmin means nothing. Flagged rows enter no fit and no figure.
    Curves without finite times (the `bayes` regime) give no row.
    """
    columns = EARLY_STOPPING_SCHEMA.names
    rows = []
    keys = POINT_COLUMNS + ["method"]
    for key, group in curves.groupby(keys, dropna=False, sort=True):
        ok = group[_valid(group, "eg")].sort_values("t")
        fin = ok[np.isfinite(ok["t"].to_numpy())]
        if fin.empty:
            continue
        t = fin["t"].to_numpy(dtype=np.float64)
        e = fin["eg"].to_numpy(dtype=np.float64)
        i = int(np.argmin(e))
        inf_rows = ok[np.isinf(ok["t"].to_numpy())]
        last = inf_rows.iloc[-1] if len(inf_rows) else fin.iloc[-1]
        e_final, sem_final = float(last["eg"]), float(last["eg_sem"])
        sem_star = float(fin["eg_sem"].iloc[i])  # null (NaN) for theory: no sampling
        if 0 < i < len(e) - 1:
            us, vs = _refine_minimum(np.log(t), np.log(e), i)
            t_star, e_star = math.exp(us), math.exp(vs)
            seed_noise = GAIN_Z * math.hypot(*np.nan_to_num([sem_star, sem_final]))  # 0 for theory
            resolution = max(GAIN_REL_MIN * e_final, ROUNDOFF_REL * float(e.max()), seed_noise)
            flag = "" if e_final - e_star > resolution else "no_minimum"
        else:
            t_star, e_star, flag = float(t[i]), float(e[i]), "boundary"
        row = dict(zip(keys, key, strict=True))
        row.update(t_star=t_star, e_star=e_star, e_star_sem=sem_star, e_final=e_final, flag=flag)
        rows.append(row)
    out = pd.DataFrame(rows, columns=columns)
    return _cast(out, EARLY_STOPPING_SCHEMA)


def _cast(frame: pd.DataFrame, schema: pa.Schema) -> pd.DataFrame:
    out = frame[schema.names].copy() if len(frame) else pd.DataFrame({n: [] for n in schema.names})
    for field in schema:
        name = field.name
        if str(field.type) == "string":
            out[name] = out[name].fillna("").astype(str).astype(object)
        elif str(field.type) == "int64":
            out[name] = out[name].astype(np.int64)
        elif str(field.type) == "int32":
            out[name] = out[name].astype(np.int32)
        else:
            out[name] = out[name].astype(np.float64)
    return out.reset_index(drop=True)


def _decaying_part(x: np.ndarray, y: np.ndarray, tolerance: float) -> np.ndarray:
    """Mask of the points up to the last clearly decaying step (local slope < -tolerance):
    drops a trailing plateau or early-stopping rise from the time law."""
    if len(x) < 3:
        return np.ones(len(x), dtype=bool)
    local = np.diff(np.log(y)) / np.diff(np.log(x))
    dec = np.nonzero(local < -tolerance)[0]
    mask = np.ones(len(x), dtype=bool)
    if len(dec):
        mask[dec[-1] + 2 :] = False
    return mask


def law_flag(res: PowerLawFit, law: str, alpha: float | None, beta: float | None, expected: float | None) -> str:
    """The fit's own flag, else short_window (under MIN_WINDOW_DECADES), else log_corrected (an
    expected exponent near its log-corrected edge), else ''."""
    if res.flag:
        return res.flag
    if res.x_max < res.x_min * 10**MIN_WINDOW_DECADES:
        return "short_window"
    if expected is not None and near_log_edge(law, alpha, beta):
        return "log_corrected"
    return ""


def fit_row(
    columns: dict,
    method: str,
    law: str,
    quantity: str,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    sem: npt.ArrayLike | None,
    tolerance: float,
    min_points: int,
    seed: int,
    compute_model: str = "NT",
) -> dict | None:
    """One FIT_SCHEMA row: the fit of y against x (None with < 2 distinct x), its flags and the
    expected exponent of the curve's point `columns` (a table row's point columns; compute_model:
    for the frontier laws)."""
    x = np.asarray(x, dtype=np.float64)
    if len(np.unique(x[np.isfinite(x)])) < 2:
        return None
    use_sem = sem if (sem is not None and method != "dmft") else None
    res = fit_power_law(x, y, y_sem=use_sem, tolerance=tolerance, min_points=min_points, rng_seed=seed)
    exp = expected_exponent(
        law,
        columns["alpha"],
        columns["beta"],
        n_features=columns["n_features"],
        n_samples=columns["n_samples"],
        noise=columns["noise"],
        weight_decay=columns["weight_decay"],
        temperature=columns["temperature"],
        init_std=columns["init_std"],
        compute_model=compute_model,
    )
    flag = law_flag(res, law, columns["alpha"], columns["beta"], exp)
    row = dict(columns)
    row.update(
        method=method,
        law=law,
        quantity=quantity,
        varied=LAW_AXIS[law],
        **res.columns(),
        prefactor=res.prefactor,
        expected_exponent=np.nan if exp is None else exp,
        max_log_residual=res.max_log_residual,
        flag=flag,
    )
    return row


def _quantities(temperature: float) -> list[tuple[str, str]]:
    out = [("eg", "eg_sem")]
    if temperature > 0:
        out.append(("eg_mean", "eg_mean_sem"))
    return out


def fit_table(
    curves: pd.DataFrame,
    early: pd.DataFrame,
    *,
    tolerance: float = TOLERANCE,
    min_points: int = MIN_POINTS,
) -> pd.DataFrame:
    """All power-law fits, in FIT_SCHEMA, for every method present (dmft, sim, ...).

    laws (x axis; rows used):
      time      t, per curve: finite t, trimmed to the decaying part (see `_decaying_part`)
      samples   n_samples at t = inf, finite P, grouped by every other point column
      features  n_features at t = inf, finite N, grouped by every other point column
      t_star    n_samples, from the early-stopping table, unflagged rows (real optima) only
      e_star    n_samples, likewise
    quantity: 'eg', plus 'eg_mean' where T > 0, for time / samples / features.
    Flags: too_few_points, not_power_law (fit_power_law), short_window (window under
    MIN_WINDOW_DECADES), log_corrected (near_log_edge). Only unflagged rows with finite positive values enter. Groups with < 2 distinct x are skipped;
    2 .. min_points-1 points give the least-squares values flagged 'too_few_points'.
    The point column that varies along the law's axis (n_samples for samples / t_star / e_star,
    n_features for features) holds +inf in the fit row, meaning "varied"; the fitted range is
    [x_min, x_max]. (The time law varies t, which is not a point column.)
    expected_exponent: `expected_exponent(...)` of the group's point (null where none applies).
    Simulation fits use the parametric bootstrap over seeds (seed s.e. -> normal), theory the
    regression standard error. Bootstrap seeds are fixed per row (deterministic output).
    """
    rows: list[dict] = []
    seed = 0

    def add(row: dict | None):
        if row is not None:
            rows.append(row)

    keys = POINT_COLUMNS + ["method"]
    # time law
    finite_t = curves[np.isfinite(curves["t"].to_numpy(dtype=np.float64))]
    for key, group in finite_t.groupby(keys, dropna=False, sort=True):
        columns = dict(zip(POINT_COLUMNS, key[:-1], strict=True))
        method = key[-1]
        for q, qsem in _quantities(columns["temperature"]):
            g = group[_valid(group, q)].sort_values("t")
            if len(g) < 2:
                continue
            x, y = g["t"].to_numpy(), g[q].to_numpy()
            mask = _decaying_part(x, y, tolerance)
            seed += 1
            add(
                fit_row(
                    columns, method, "time", q, x[mask], y[mask], g[qsem].to_numpy()[mask], tolerance, min_points, seed
                )
            )

    at_inf = curves[np.isinf(curves["t"].to_numpy(dtype=np.float64))]
    for law in ("samples", "features"):
        axis = LAW_AXIS[law]
        part = at_inf[np.isfinite(at_inf[axis].to_numpy(dtype=np.float64))]
        gkeys = [c for c in POINT_COLUMNS if c != axis] + ["method"]
        for key, group in part.groupby(gkeys, dropna=False, sort=True):
            columns = dict(zip(gkeys[:-1], key[:-1], strict=True))
            columns[axis] = math.inf
            columns = {c: columns[c] for c in POINT_COLUMNS}
            for q, qsem in _quantities(columns["temperature"]):
                g = group[_valid(group, q)].sort_values(axis)
                seed += 1
                add(
                    fit_row(
                        columns,
                        key[-1],
                        law,
                        q,
                        g[axis].to_numpy(),
                        g[q].to_numpy(),
                        g[qsem].to_numpy(),
                        tolerance,
                        min_points,
                        seed,
                    )
                )

    if len(early):
        gkeys = [c for c in POINT_COLUMNS if c != "n_samples"] + ["method"]
        part = early[np.isfinite(early["n_samples"].to_numpy(dtype=np.float64))]
        for key, group in part.groupby(gkeys, dropna=False, sort=True):
            columns = dict(zip(gkeys[:-1], key[:-1], strict=True))
            columns["n_samples"] = math.inf
            columns = {c: columns[c] for c in POINT_COLUMNS}
            g = group.sort_values("n_samples")
            inner = g[(g["flag"] == "") & (g["t_star"] > 0)]
            seed += 1
            add(
                fit_row(
                    columns,
                    key[-1],
                    "t_star",
                    "t_star",
                    inner["n_samples"].to_numpy(),
                    inner["t_star"].to_numpy(),
                    None,
                    tolerance,
                    min_points,
                    seed,
                )
            )
            ge = inner[np.isfinite(inner["e_star"].to_numpy(dtype=np.float64)) & (inner["e_star"] > 0)]
            seed += 1
            add(
                fit_row(
                    columns,
                    key[-1],
                    "e_star",
                    "e_star",
                    ge["n_samples"].to_numpy(),
                    ge["e_star"].to_numpy(),
                    ge["e_star_sem"].to_numpy(),
                    tolerance,
                    min_points,
                    seed,
                )
            )

    out = pd.DataFrame(rows, columns=FIT_SCHEMA.names)
    return _cast(out, FIT_SCHEMA)

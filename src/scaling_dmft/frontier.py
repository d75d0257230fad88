"""Compute-optimal frontier of the DMFT error (issue 14, first part: the envelope at fixed P).

For a budget C = N t (model size times training time, data fixed: P finite or P = inf), the
compute-optimal error is the best error any model size N and stopping time t within the budget
reach:

    E*(C) = min over N, and over t <= C / N, of E_g(N, t),

with the minimisers N*(C) and t*(C). Where E_g(t) decreases (gradient flow without label noise,
or P = inf) the whole budget is spent, t* = C / N*; where it has an early-stopping minimum, t* may
come before C / N* (flag `stopped_early`). Each E_g(N, .) is one deterministic DMFT solve, so the
envelope needs no random numbers.

Method: for each N of a log-spaced grid (POINTS_PER_DECADE per decade), one solve at every
budget's time C/N and on a log grid of stopping times below (T_PER_DECADE per decade), and the
running minimum over t <= C/N; then per budget the grid minimum over N and a parabola in
(ln N, ln E) through it and its two neighbours, where one more solve gives E* (kept only if lower
than the grid point). A minimum at the first or last grid N is flagged `edge` (the optimum may lie
outside the grid); a budget whose optimum borders a failed solve is flagged `failed`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import dmft
from .errors import InputError, NumericalError
from .evaluate import point_columns
from .spectrum import Modes

# grid density of N (points per decade); the parabola refinement makes the optimum grid-free
POINTS_PER_DECADE = 8
# the model sizes searched by default
DEFAULT_N_RANGE = (1.0, 1e6)
# the stopping times tried below each budget's C/N: points per decade, decades below the smallest
T_PER_DECADE = 16
T_DECADES_BELOW = 3


@dataclass(frozen=True)
class Frontier:
    """The envelope, one entry per budget (arrays of equal length)."""

    compute: np.ndarray  # C = N t
    n_features: np.ndarray  # N*
    t: np.ndarray  # t*: C / N*, or the earlier stopping time where E_g(t) has a minimum
    eg: np.ndarray  # E_g at (N*, t*)
    eg_mean: np.ndarray  # E_mean at (N*, t*)
    flag: np.ndarray  # '' | stopped_early | edge | failed


def n_grid(n_min: float, n_max: float, per_decade: int = POINTS_PER_DECADE) -> np.ndarray:
    """Log-spaced model sizes from n_min to n_max, both included."""
    if not (math.isfinite(n_min) and math.isfinite(n_max) and 0 < n_min < n_max):
        raise InputError("n_features range", (n_min, n_max), "0 < N_min < N_max, both finite")
    count = max(3, math.ceil(per_decade * math.log10(n_max / n_min)) + 1)
    return np.logspace(math.log10(n_min), math.log10(n_max), count)


def _best_within(sums: dmft.ModeSums, n: float, budgets: np.ndarray, point: dict) -> tuple[np.ndarray, ...]:
    """(E_g, E_mean, t) of the best stopping time t <= C/N for each budget C, at model size N.

    Training can always stop before the budget is spent, so the error a budget buys is the minimum
    of E_g(N, t) over t <= C/N, not E_g(N, C/N) (they differ where E_g(t) has an early-stopping
    minimum, e.g. with label noise at finite P). E_g is evaluated at the budget times themselves
    and on a log grid of T_PER_DECADE points per decade below them (down to T_DECADES_BELOW decades
    under the smallest), and the running minimum is taken."""
    times = budgets / n
    below = np.logspace(
        math.log10(times.min()) - T_DECADES_BELOW,
        math.log10(times.max()),
        int(T_PER_DECADE * (T_DECADES_BELOW + math.log10(times.max() / times.min()))) + 1,
    )
    grid = np.union1d(below, times)
    e_mean, e_g = dmft.solve(
        sums, n_features=n, n_samples=point["n_samples"], weight_decay=point["weight_decay"], times=grid
    ).errors(noise=point["noise"], init_var=point["init_std"] ** 2, temperature=point["temperature"])
    if not (np.all(np.isfinite(e_g)) and np.all(np.isfinite(e_mean))):
        raise NumericalError(f"frontier: non-finite error at N = {n:g}")
    best = np.zeros(grid.size, dtype=np.int64)  # index of the running minimum of E_g up to each time
    for k in range(1, grid.size):
        best[k] = k if e_g[k] < e_g[best[k - 1]] else best[k - 1]
    at = best[np.searchsorted(grid, times)]
    return e_g[at], e_mean[at], grid[at]


def compute_optimal(
    modes: Modes,
    compute: npt.ArrayLike,
    *,
    n_samples: float,
    weight_decay: float = 0.0,
    temperature: float = 0.0,
    noise: float = 0.0,
    init_std: float = 0.0,
    n_min: float = DEFAULT_N_RANGE[0],
    n_max: float = DEFAULT_N_RANGE[1],
    per_decade: int = POINTS_PER_DECADE,
) -> Frontier:
    """The envelope E*(C) = min_N E_g(N, C/N) for the budgets `compute` (module docstring)."""
    budgets = np.asarray(compute, dtype=np.float64)
    if budgets.ndim != 1 or budgets.size == 0 or not np.all(np.isfinite(budgets)) or np.any(budgets <= 0):
        raise InputError("compute", compute, "a non-empty list of finite budgets C > 0")
    point = dict(
        n_samples=n_samples, weight_decay=weight_decay, temperature=temperature, noise=noise, init_std=init_std
    )
    sums = dmft.prepare(modes)
    grid = n_grid(n_min, n_max, per_decade)
    e_grid = np.full((grid.size, budgets.size), np.inf)
    found = {}  # grid index -> (E_g, E_mean, t) of every budget
    for i, n in enumerate(grid):
        try:
            found[i] = _best_within(sums, n, budgets, point)
        except (NumericalError, ArithmeticError):
            continue  # this N is left out (inf); budgets whose optimum borders it are flagged
        e_grid[i] = found[i][0]
    out = {k: np.full(budgets.size, np.nan) for k in ("n", "t", "eg", "eg_mean")}
    flags = np.full(budgets.size, "", dtype=object)
    for j, c in enumerate(budgets):
        column = e_grid[:, j]
        i = int(np.argmin(column))
        if not np.isfinite(column[i]):
            flags[j] = "failed"
            continue
        n_star, (e_g, e_mean, t_stop) = grid[i], (v[j] for v in found[i])
        if i == 0 or i == grid.size - 1:
            flags[j] = "edge"
        elif not (np.isfinite(column[i - 1]) and np.isfinite(column[i + 1])):
            flags[j] = "failed"
        else:  # refine N between the grid neighbours; keep the grid point unless this is lower
            n_try = _parabola_minimum(np.log(grid[i - 1 : i + 2]), np.log(column[i - 1 : i + 2]))
            try:
                trial = [v[0] for v in _best_within(sums, n_try, np.array([c]), point)]
            except (NumericalError, ArithmeticError):
                trial = [np.inf]
            if trial[0] < e_g:
                n_star, (e_g, e_mean, t_stop) = n_try, trial
        if not flags[j] and t_stop < c / n_star * (1.0 - 1e-12):
            flags[j] = "stopped_early"
        out["n"][j], out["t"][j], out["eg"][j], out["eg_mean"][j] = n_star, t_stop, e_g, e_mean
    return Frontier(budgets, out["n"], out["t"], out["eg"], out["eg_mean"], flags)


def _parabola_minimum(x: np.ndarray, y: np.ndarray) -> float:
    """exp of the abscissa of the vertex of the parabola through three points (x in ln N), kept
    inside [x_0, x_2]; the middle point when the three points are not convex."""
    (x0, x1, x2), (y0, y1, y2) = x, y
    denom = (x0 - x1) * (x0 - x2) * (x1 - x2)
    a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / denom
    b = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / denom
    if not a > 0:
        return float(math.exp(x1))
    return float(math.exp(min(max(-b / (2 * a), x0), x2)))


def frontier_rows(point: dict, front: Frontier) -> pd.DataFrame:
    """The frontier table (tables.FRONTIER_SCHEMA): one row per budget, the point's columns with
    n_features = N*."""
    n = front.compute.size
    frame = pd.DataFrame({k: [v] * n for k, v in point_columns(point).items()})
    frame["n_features"] = front.n_features
    frame["compute"] = front.compute
    frame["t"] = front.t
    frame["eg"] = front.eg
    frame["eg_mean"] = front.eg_mean
    frame["flag"] = front.flag
    return frame

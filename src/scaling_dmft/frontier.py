"""Compute-optimal frontier of the DMFT error (issue 14, first part: the envelope at fixed P).

For a budget C = N t (model size times training time, data fixed: P finite or P = inf), the
compute-optimal error is

    E*(C) = min over N of E_g(N, t = C / N),

with the minimiser N*(C) and t*(C) = C / N*. Each E_g(N, .) is one deterministic DMFT solve, so
the envelope needs no random numbers and no interpolation in t: every budget is evaluated at its
own time t = C / N exactly.

Method: E_g(N, C/N) on a log-spaced grid of N (all budgets from one solve per N), the grid
minimum per budget, then a parabola in (ln N, ln E) through the minimum and its two neighbours
gives ln N*, where one more solve gives E* (kept only if it is not above the grid minimum). A
minimum at the first or last grid N is flagged `edge` (the optimum may lie outside the grid); a
budget whose neighbourhood contains a failed solve is flagged `failed`.
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


@dataclass(frozen=True)
class Frontier:
    """The envelope, one entry per budget (arrays of equal length)."""

    compute: np.ndarray  # C = N t
    n_features: np.ndarray  # N*
    t: np.ndarray  # t* = C / N*
    eg: np.ndarray  # E_g at (N*, t*)
    eg_mean: np.ndarray  # E_mean at (N*, t*)
    flag: np.ndarray  # '' | edge | failed


def n_grid(n_min: float, n_max: float, per_decade: int = POINTS_PER_DECADE) -> np.ndarray:
    """Log-spaced model sizes from n_min to n_max, both included."""
    if not (math.isfinite(n_min) and math.isfinite(n_max) and 0 < n_min < n_max):
        raise InputError("n_features range", (n_min, n_max), "0 < N_min < N_max, both finite")
    count = max(3, math.ceil(per_decade * math.log10(n_max / n_min)) + 1)
    return np.logspace(math.log10(n_min), math.log10(n_max), count)


def _errors(sums: dmft.ModeSums, n: float, times: np.ndarray, point: dict) -> tuple[np.ndarray, np.ndarray]:
    comps = dmft.solve(
        sums, n_features=n, n_samples=point["n_samples"], weight_decay=point["weight_decay"], times=times
    )
    return comps.errors(noise=point["noise"], init_var=point["init_std"] ** 2, temperature=point["temperature"])


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
    for i, n in enumerate(grid):
        try:
            e_grid[i] = _errors(sums, n, budgets / n, point)[1]
        except NumericalError:
            continue  # this N is left out (inf); budgets whose optimum borders it are flagged
    e_grid[~np.isfinite(e_grid)] = np.inf
    out = {k: np.empty(budgets.size) for k in ("n", "t", "eg", "eg_mean")}
    flags = np.full(budgets.size, "", dtype=object)
    for j, c in enumerate(budgets):
        column = e_grid[:, j]
        i = int(np.argmin(column))
        n_star = grid[i]
        if not np.isfinite(column[i]):
            flags[j] = "failed"
        elif i == 0 or i == grid.size - 1:
            flags[j] = "edge"
        elif not (np.isfinite(column[i - 1]) and np.isfinite(column[i + 1])):
            flags[j] = "failed"
        else:
            n_star = _parabola_minimum(np.log(grid[i - 1 : i + 2]), np.log(column[i - 1 : i + 2]))
        try:
            e_mean, e_g = (v[0] for v in _errors(sums, n_star, np.array([c / n_star]), point))
            if e_g > column[i]:  # the parabola missed (a kink): keep the grid minimum
                n_star = grid[i]
                e_mean, e_g = (v[0] for v in _errors(sums, n_star, np.array([c / n_star]), point))
        except NumericalError:
            n_star, e_mean, e_g, flags[j] = grid[i], np.nan, np.nan, "failed"
        out["n"][j], out["t"][j], out["eg"][j], out["eg_mean"][j] = n_star, c / n_star, e_g, e_mean
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

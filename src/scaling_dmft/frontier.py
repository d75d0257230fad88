"""Compute-optimal frontier of the DMFT error (scaling-law atlas, docs/theory/frontier.md).

For a budget C the compute-optimal error is the best error any allocation within the budget
reaches. Two compute models:

    NT  (default): C = N t at a fixed P (finite, or P = inf: unlimited data);
    NPT:           C = N P t (full-batch training: each step costs N P), P chosen too;

    E*(C) = min over N (and P), and over t <= C / (N P), of E_g(N, P, t),

with the minimisers N*(C), P*(C) and t*(C). Where E_g(t) decreases (gradient flow without label
noise, or P = inf) the whole budget is spent; where it has an early-stopping minimum, t* may come
before the budget is spent (flag `stopped_early`). With `tune_weight_decay` the weight decay is
chosen per budget too. Each E_g(N, P, .) is one deterministic DMFT solve: no random numbers.

Method: for each N of a log-spaced grid (POINTS_PER_DECADE per decade), one solve at every
budget's time C/N and on a log grid of stopping times below (T_PER_DECADE per decade), and the
running minimum over t <= C/N; then per budget the grid minimum over N and a parabola in
(ln N, ln E) through it and its two neighbours, where one more solve gives E* (kept only if lower
than the grid point); a stopping time before C/N is refined the same way in ln t. P (NPT) and a
tuned gamma are searched the same way, one level out, on grids of OUTER_PER_DECADE per decade
(gamma also at 0). An optimum at an end of a searched range is flagged `edge` (it may lie outside;
gamma = 0 is a true bound, not an edge); a budget whose optimum borders a failed solve is flagged
`failed`. A budget at which E_g does not change with N (or P, gamma) beyond the DMFT's round-off
(tables.ROUNDOFF_REL of E*: a budget too small to train anything) is flagged `unresolved`: its N*
(P*, gamma*) is picked by round-off and means nothing. Inputs that cannot give a frontier at all (no
budget affords one whole step, or the steps diverge at every N searched) are refused before any
solve (`check_feasible`, InputError); a failed budget carries its cause (`Frontier.reason`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import dmft
from .errors import InputError, NumericalError, one_line, real_number, whole_number
from .points import Optimizer, Point, Regime
from .spectra import Modes
from .tables import ROUNDOFF_REL

# grid density of N (points per decade); the parabola refinement makes the optimum grid-free
POINTS_PER_DECADE = 8
# the model sizes searched by default
DEFAULT_N_RANGE = (1.0, 1e6)
# the stopping times tried below each budget's C/N: points per decade, decades below the smallest
T_PER_DECADE = 16
# the earliest stopping time searched, in units of 1 / lambda_max
T_FLOOR = 1e-2
# compute models: C = N t (P fixed, inf allowed) | C = N P t (full-batch training, P chosen too)
COMPUTE_MODELS = ("NT", "NPT")
# the outer searches (P for NPT, a tuned gamma): points per decade before the parabola refinement
OUTER_PER_DECADE = 4
DEFAULT_P_RANGE = (1.0, 1e6)
# a tuned gamma is searched over {0} and this log range
DEFAULT_GAMMA_RANGE = (1e-8, 1.0)
# Gradient-flow times are solved at t >= T_SOLVE_MIN / lambda_max. Below, E_g(t) = E_g(0) + O(t e_max)
# with e_max the top of the trained kernel's spectrum (e_max / lambda_max: measured up to ~40 over N,
# P >= 1 and alpha >= 1.1, far below the 1e44 that would matter), so the value at T_SOLVE_MIN /
# lambda_max is the one at t to float64 precision; the Talbot inversion itself overflows below
# t ~ 1e-150 (issue 25, C6).
T_SOLVE_MIN = 1e-60
# E_g over the searched N (or P, gamma) varying by less than FLAT_REL of E* is flat within the DMFT's
# round-off bound: the minimiser is picked by round-off (flag `unresolved`).
FLAT_REL = ROUNDOFF_REL


@dataclass(frozen=True)
class Frontier:
    """The envelope, one entry per budget (arrays of equal length)."""

    compute: np.ndarray  # C = N t (compute model NT) or N P t (NPT)
    n_features: np.ndarray  # N*
    n_samples: np.ndarray  # P: the fixed P (NT), or P* (NPT)
    weight_decay: np.ndarray  # gamma: the fixed gamma, or gamma* where it is tuned per budget
    t: np.ndarray  # t*: C / (N* P*), or the earlier stopping time where E_g(t) has a minimum
    eg: np.ndarray  # E_g at the optimum
    eg_mean: np.ndarray  # E_mean at the optimum
    flag: np.ndarray  # '' | stopped_early | edge | unresolved | failed
    reason: np.ndarray  # '' or, for a failed budget, the failure behind it (one line)

    def entry(self, j: int) -> dict:
        return {name: getattr(self, name)[j] for name in FIELDS}

    def failure(self) -> str:
        """The causes of the failed budgets, distinct ones in budget order, at most three ('' when none)."""
        causes = list(dict.fromkeys(str(r) for f, r in zip(self.flag, self.reason, strict=True) if f == "failed" and r))
        return "; ".join(causes[:3]) + (f"; and {len(causes) - 3} more" if len(causes) > 3 else "")


FIELDS = ("compute", "n_features", "n_samples", "weight_decay", "t", "eg", "eg_mean", "flag", "reason")
_TEXT_FIELDS = ("flag", "reason")


def _stack(entries: list[dict]) -> Frontier:
    return Frontier(
        **{
            name: np.array(
                [e.get(name, "") if name in _TEXT_FIELDS else e[name] for e in entries],
                dtype=object if name in _TEXT_FIELDS else np.float64,
            )
            for name in FIELDS
        }
    )


def _flat(values: np.ndarray) -> bool:
    """Whether the finite values (E_g over a searched range, two or more) agree within FLAT_REL of
    their minimum: the minimiser is then round-off."""
    finite = values[np.isfinite(values)]
    return finite.size >= 2 and float(finite.max() - finite.min()) <= FLAT_REL * abs(float(finite.min()))


def n_grid(
    n_min: float, n_max: float, per_decade: int = POINTS_PER_DECADE, key: str = "n_features range"
) -> np.ndarray:
    """Log-spaced sizes from n_min to n_max, both included (at least 3)."""
    if not (math.isfinite(n_min) and math.isfinite(n_max) and 0 < n_min < n_max):
        raise InputError(key, (n_min, n_max), "0 < min < max, both finite")
    count = max(3, math.ceil(per_decade * math.log10(n_max / n_min)) + 1)
    return np.logspace(math.log10(n_min), math.log10(n_max), count)


@dataclass(frozen=True)
class _Search:
    """How the stopping time is searched below each budget's C/N (see `_best_within`): from the
    fixed floor `t_floor` (the same for every call, so a budget's answer never depends on the
    other budgets searched with it) up to C/N."""

    t_floor: float
    t_per_decade: int = T_PER_DECADE


@dataclass(frozen=True)
class _Fixed:
    """What a frontier holds fixed while it chooses N and t: P, the regime (gamma, T, sigma, sigma0)
    and the optimizer (the outer searches vary P or gamma through dataclasses.replace)."""

    n_samples: float
    regime: Regime
    optimizer: Optimizer

    @property
    def eta(self) -> float:
        return self.optimizer.learning_rate


def _errors(sums: dmft.ModeSums, n: float, fixed: _Fixed, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(E_mean, E_g) of the DMFT at model size n and the P, regime and optimizer of `fixed`; with
    discrete steps the times must be whole steps (`_on_steps`). Gradient-flow times below
    T_SOLVE_MIN / lambda_max are solved there (the same value in float64). A time the DMFT flags
    (discrete steps: diverged, no_theory) raises NumericalError with the DMFT's reason; numpy's
    warnings stay quiet (a failure is this error, or non-finite values the callers refuse)."""
    regime, opt = fixed.regime, fixed.optimizer
    if opt.learning_rate == 0.0:
        times = np.maximum(times, T_SOLVE_MIN / sums.lam_max)
    with np.errstate(all="ignore"):
        comps = dmft.solve(
            sums,
            n_features=n,
            n_samples=fixed.n_samples,
            weight_decay=regime.weight_decay,
            times=times,
            learning_rate=opt.learning_rate,
            momentum=opt.momentum,
        )
        if comps.flags is not None and any(comps.flags):
            raise NumericalError(f"N = {n:g}: {next(f for f in comps.flags if f)}")
        return comps.errors(noise=regime.noise, init_var=regime.init_var, temperature=regime.temperature)


def _on_steps(times: np.ndarray, eta: float) -> np.ndarray:
    """Times a budget affords: with discrete steps (eta > 0) each t rounded down to whole steps, t = eta k
    (never more than the budget; 0 where not one step is affordable); gradient flow: unchanged."""
    if eta == 0.0:
        return times
    return eta * np.floor(times / eta * (1.0 + 1e-12))


def _best_within(
    sums: dmft.ModeSums, n: float, budgets: np.ndarray, fixed: _Fixed, search: _Search
) -> tuple[np.ndarray, ...]:
    """(E_g, E_mean, t) of the best stopping time t <= C/N for each budget C, at model size N.

    Training can always stop before the budget is spent, so the error a budget buys is the minimum
    of E_g(N, t) over t <= C/N, not E_g(N, C/N) (they differ where E_g(t) has an early-stopping
    minimum, e.g. with label noise at finite P). E_g is evaluated at the budget times themselves
    and on a log grid of `t_per_decade` points per decade from the search's floor up to them, and
    the running minimum is taken. With t_per_decade = 0 only the budget times are solved: right
    where E_g(t) is known to decrease (gradient flow at P = inf)."""
    eta = fixed.eta
    times = _on_steps(budgets / n, eta)
    affordable = times > 0  # with discrete steps: at least one step at this N
    out = tuple(np.full(budgets.size, np.inf) for _ in range(3))
    if not affordable.any():
        return out
    times_ok = times[affordable]
    if search.t_per_decade > 0:
        low = max(min(search.t_floor, times_ok.min()), eta)
        below = np.logspace(
            math.log10(low),
            math.log10(times_ok.max()),
            int(search.t_per_decade * math.log10(times_ok.max() / low)) + 1,
        )
        grid = np.union1d(_on_steps(below, eta), times_ok)
        grid = grid[grid > 0]
    else:
        grid = np.unique(times_ok)
    e_mean, e_g = _errors(sums, n, fixed, grid)
    if not (np.all(np.isfinite(e_g)) and np.all(np.isfinite(e_mean))):
        raise NumericalError(f"frontier: non-finite error at N = {n:g}")
    best = np.zeros(grid.size, dtype=np.int64)  # index of the running minimum of E_g up to each time
    for k in range(1, grid.size):
        best[k] = k if e_g[k] < e_g[best[k - 1]] else best[k - 1]
    at = best[np.searchsorted(grid, times_ok)]
    for full, part in zip(out, (e_g[at], e_mean[at], grid[at]), strict=True):
        full[affordable] = part
    return out


def _over_n(sums: dmft.ModeSums, budgets: np.ndarray, fixed: _Fixed, grid: np.ndarray, search: _Search) -> Frontier:
    """The C = N t envelope at the fixed P and gamma of `fixed` (module docstring)."""
    eta = fixed.eta
    e_grid = np.full((grid.size, budgets.size), np.inf)
    found = {}  # grid index -> (E_g, E_mean, t) of every budget
    failures = {}  # grid index -> why its solve failed (one line)
    for i, n in enumerate(grid):
        try:
            found[i] = _best_within(sums, n, budgets, fixed, search)
        except (NumericalError, ArithmeticError) as err:
            failures[i] = one_line(str(err)) or type(err).__name__
            continue  # this N is left out (inf); budgets whose optimum borders it are flagged
        e_grid[i] = found[i][0]
        if _past_every_minimum(e_grid[: i + 1]):
            break  # the larger N cannot hold an optimum (left out: inf, like a failed solve, but never chosen)
    entries = []
    for j, c in enumerate(budgets):
        entry = dict(
            compute=c, n_features=np.nan, n_samples=fixed.n_samples, weight_decay=fixed.regime.weight_decay,
            t=np.nan, eg=np.nan, eg_mean=np.nan, flag="", reason="",
        )  # fmt: skip
        entries.append(entry)
        column = e_grid[:, j]
        i = int(np.argmin(column))
        if not np.isfinite(column[i]):
            entry["flag"] = "failed"
            affords = eta == 0.0 or c / (grid[0] * eta) * (1.0 + 1e-12) >= 1.0
            entry["reason"] = (
                next(iter(failures.values()), "no finite error at any N")
                if affords
                else f"no whole step affordable: C / (N eta) < 1 at every N >= {grid[0]:g} (eta = {eta:g})"
            )
            continue
        n_star, (e_g, e_mean, t_stop) = grid[i], (v[j] for v in found[i])
        # the largest N searched: the grid's, or with discrete steps the largest that affords one step
        last = grid.size - 1 if eta == 0.0 else int(np.searchsorted(grid, c / eta * (1.0 + 1e-12), side="right")) - 1
        if _flat(column):  # E_g is the same at every N within round-off: N* means nothing
            entry.update(n_features=n_star, t=t_stop, eg=e_g, eg_mean=e_mean, flag="unresolved")
            continue
        if i == 0 or i >= last:
            entry["flag"] = "edge"
        elif not (np.isfinite(column[i - 1]) and np.isfinite(column[i + 1])):
            entry["flag"] = "failed"
            entry["reason"] = "the optimum borders a failed solve: " + failures.get(
                i - 1, failures.get(i + 1, "no step affordable beside it")
            )
        else:  # refine N between the grid neighbours; keep the grid point unless this is lower
            n_try = _parabola_minimum(np.log(grid[i - 1 : i + 2]), np.log(column[i - 1 : i + 2]))
            try:
                trial = [v[0] for v in _best_within(sums, n_try, np.array([c]), fixed, search)]
            except (NumericalError, ArithmeticError):
                trial = [np.inf]
            if trial[0] < e_g:
                n_star, (e_g, e_mean, t_stop) = n_try, trial
        spend = _on_steps(np.array([c / n_star]), eta)[0]  # the whole budget (in whole steps)
        if t_stop < spend * (1.0 - 1e-12) and search.t_per_decade > 0:
            refined = _refine_stop(sums, n_star, t_stop, c / n_star, fixed, search)
            if refined is not None and refined[0] < e_g:
                e_g, e_mean, t_stop = refined
        if not entry["flag"] and search.t_per_decade > 0 and t_stop <= search.t_floor * (1.0 + 1e-12) < c / n_star:
            entry["flag"] = "edge"  # the best stop is the search's floor: training never helped
        if not entry["flag"] and t_stop < spend * (1.0 - 1e-12):
            entry["flag"] = "stopped_early"
        entry.update(n_features=n_star, t=t_stop, eg=e_g, eg_mean=e_mean)
    return _stack(entries)


# the model-size scan stops once every budget's error has risen this many grid points past its minimum
RISE_AFTER_MINIMUM = 6


def _past_every_minimum(e_grid: np.ndarray) -> bool:
    """Whether, for every budget (column), E_g(N, C/N) over the N scanned so far (rows) has a minimum
    followed by RISE_AFTER_MINIMUM strictly rising values: E_g(N, C/N) falls with N while the model is
    too small and rises once the budget's time C/N is too short, so beyond such a run no larger N can
    beat the minimum. Saves the upper part of a wide N range (the atlas scans N up to 1e10 for every
    (alpha, beta); in phase A the optimum lies below 1e5)."""
    rows = e_grid.shape[0]
    lowest = np.argmin(e_grid, axis=0)  # per budget (column), over the N scanned so far
    if rows <= RISE_AFTER_MINIMUM or np.any(rows - 1 - lowest < RISE_AFTER_MINIMUM):
        return False
    after = np.arange(rows - 1)[:, None] >= lowest[None, :]  # the steps from the minimum on
    steps = np.diff(e_grid, axis=0)
    risen = e_grid[-1] > e_grid.min(axis=0)
    return bool(np.all(risen) and np.all(np.where(after, (steps >= 0) & np.isfinite(e_grid[1:]), True)))


def _refine_stop(
    sums: dmft.ModeSums, n: float, t_stop: float, t_max: float, fixed: _Fixed, search: _Search
) -> tuple[float, float, float] | None:
    """An early-stopping time off the t grid: the vertex of the parabola in (ln t, ln E) through
    the grid minimum and its grid neighbours (the later one capped at the budget's C/N), and one
    solve there. (E, E_mean, t) at the vertex, or None where the three points are not a minimum."""
    step = 10.0 ** (1.0 / search.t_per_decade)
    eta = fixed.eta
    times = _on_steps(np.array([t_stop / step, t_stop, min(t_stop * step, t_max)]), eta)
    if not (times[2] > times[1] > times[0] > 0):
        return None
    try:
        _, e_g = _errors(sums, n, fixed, times)
        if not (e_g[1] <= e_g[0] and e_g[1] <= e_g[2]):
            return None
        t_try = _parabola_minimum(np.log(times), np.log(e_g))
        if eta > 0.0:  # the nearest whole step (inside [times[0], times[2]], so within the budget)
            t_try = eta * round(t_try / eta)
        e_mean_try, e_g_try = _errors(sums, n, fixed, np.array([t_try]))
    except (NumericalError, ArithmeticError):
        return None
    if not (np.isfinite(e_g_try[0]) and np.isfinite(e_mean_try[0])):
        return None
    return float(e_g_try[0]), float(e_mean_try[0]), t_try


def _over(budgets: np.ndarray, values: np.ndarray, envelope: Callable[[np.ndarray, float], Frontier]) -> Frontier:
    """The envelope minimised over one more parameter (P for C = N P t, or a tuned gamma): the
    inner `envelope(budgets, value)` on the log grid `values` (0 allowed as the first value, a true
    bound, never an edge), per budget the grid minimum, then a parabola in (ln value, ln E) through
    it and its neighbours and one more inner envelope there (kept only if lower). A minimum at the
    largest value, or at the smallest one where that is positive (not gamma = 0), is flagged
    `edge`."""
    inner = [envelope(budgets, v) for v in values]
    e_grid = np.array([np.where(np.isfinite(f.eg), f.eg, np.inf) for f in inner])
    entries = []
    for j in range(budgets.size):
        column = e_grid[:, j]
        i = int(np.argmin(column))
        entry = inner[i].entry(j)
        entries.append(entry)
        if not np.isfinite(column[i]):
            entry["flag"] = "failed"
            entry["reason"] = next((str(f.reason[j]) for f in inner if f.reason[j]), "no finite error")
            continue
        if entry["flag"] == "unresolved" or _flat(column):  # flat in the inner or this parameter
            entry["flag"] = "unresolved"
            continue
        at_edge = i == values.size - 1 or (i == 0 and values[0] > 0)
        if at_edge:
            entry["flag"] = "failed" if entry["flag"] == "failed" else "edge"
            continue
        if i == 0 or values[i - 1] <= 0 or not (np.isfinite(column[i - 1]) and np.isfinite(column[i + 1])):
            continue  # at gamma = 0, or beside it or a failure: the grid point stands
        v_try = _parabola_minimum(np.log(values[i - 1 : i + 2]), np.log(column[i - 1 : i + 2]))
        trial = envelope(budgets[j : j + 1], v_try)
        if np.isfinite(trial.eg[0]) and trial.eg[0] < column[i] and trial.flag[0] != "failed":
            entries[-1] = trial.entry(0)
    return _stack(entries)


def compute_optimal(
    modes: Modes,
    compute: npt.ArrayLike,
    *,
    n_samples: float = math.inf,
    compute_model: str = "NT",
    weight_decay: float = 0.0,
    tune_weight_decay: bool = False,
    temperature: float = 0.0,
    noise: float = 0.0,
    init_std: float = 0.0,
    n_min: float = DEFAULT_N_RANGE[0],
    n_max: float = DEFAULT_N_RANGE[1],
    per_decade: int = POINTS_PER_DECADE,
    p_min: float = DEFAULT_P_RANGE[0],
    p_max: float = DEFAULT_P_RANGE[1],
    gamma_min: float = DEFAULT_GAMMA_RANGE[0],
    gamma_max: float = DEFAULT_GAMMA_RANGE[1],
    t_per_decade: int = T_PER_DECADE,
    learning_rate: float = 0.0,
    momentum: float = 0.0,
) -> Frontier:
    """The envelope E*(C) for the budgets `compute` (module docstring).

    learning_rate > 0 (and momentum): full-batch steps (docs/theory/discrete.md); C = N t stays in
    time units, t = eta k, so the budget buys k = C / (N eta) steps, rounded down.

    compute_model 'NT': C = N t at the given P (`n_samples`, inf allowed); 'NPT': C = N P t with P
    chosen too, from [p_min, p_max] (`n_samples` is then ignored). tune_weight_decay: gamma chosen
    per budget from {0} and [gamma_min, gamma_max] (`weight_decay` is then ignored).
    t_per_decade = 0 skips the search below C/N (only where E_g(t) is known to decrease)."""
    budgets = np.asarray(compute, dtype=np.float64)
    if budgets.ndim != 1 or budgets.size == 0 or not np.all(np.isfinite(budgets)) or np.any(budgets <= 0):
        raise InputError("compute", compute, "a non-empty list of finite budgets C > 0")
    if compute_model not in COMPUTE_MODELS:
        raise InputError("compute_model", compute_model, " | ".join(COMPUTE_MODELS))
    sums = dmft.prepare(modes)
    grid = n_grid(n_min, n_max, per_decade)
    # below ~1e-2 / lambda_max nothing is learned yet (E_g(t) = E_g(0) + O(t lambda_max)): the floor
    # of every stopping-time search
    search = _Search(t_floor=T_FLOOR / float(np.max(modes.eigenvalues)), t_per_decade=t_per_decade)
    opt = Optimizer(learning_rate, momentum)
    p_values = np.array([n_samples]) if compute_model == "NT" else n_grid(p_min, p_max, OUTER_PER_DECADE)
    check_feasible(
        sums,
        budgets,
        n_values=grid,
        p_values=p_values,
        compute_model=compute_model,
        weight_decay=0.0 if tune_weight_decay else weight_decay,
        learning_rate=opt.learning_rate,
        momentum=opt.momentum,
    )
    regime = Regime(weight_decay=weight_decay, temperature=temperature, noise=noise, init_std=init_std)
    fixed = _Fixed(n_samples, regime, opt)

    def at_p(c: np.ndarray, gamma: float) -> Frontier:
        with_gamma = replace(fixed, regime=replace(regime, weight_decay=gamma))
        if compute_model == "NT":
            return _over_n(sums, c, with_gamma, grid, search)

        def envelope(c_npt: np.ndarray, p: float) -> Frontier:
            front = _over_n(sums, c_npt / p, replace(with_gamma, n_samples=p), grid, search)
            return Frontier(**{**{k: getattr(front, k) for k in FIELDS}, "compute": c_npt})

        return _over(c, n_grid(p_min, p_max, OUTER_PER_DECADE, "n_samples range"), envelope)

    if not tune_weight_decay:
        return at_p(budgets, weight_decay)
    gammas = np.concatenate([[0.0], n_grid(gamma_min, gamma_max, OUTER_PER_DECADE, "weight_decay range")])
    return _over(budgets, gammas, at_p)


# Wall time of one DMFT solve of the frontier search (a curve of up to ~600 stopping times): measured
# 13-40 ms on the shared 2-core machine (issue 25), taken as 50 ms for the size check before any job.
SOLVE_SECONDS = 0.05


def estimated_solves(
    count: int,
    n_range: tuple[float, float],
    p_range: tuple[float, float],
    compute_model: str = "NT",
    tune_weight_decay: bool = False,
) -> int:
    """DMFT solves of a frontier of `count` budgets, an upper estimate: per inner envelope one solve per
    N of the grid plus up to four per budget (the N parabola, the stopping-time parabola's two); NPT and
    a tuned gamma run that envelope at every P (gamma) of their grid and once more per budget."""

    def over_n(k: int) -> int:
        return n_grid(*n_range).size + 4 * k

    def at_p(k: int) -> int:
        if compute_model == "NT":
            return over_n(k)
        return n_grid(*p_range, OUTER_PER_DECADE).size * over_n(k) + k * over_n(1)

    if not tune_weight_decay:
        return at_p(count)
    gammas = 1 + n_grid(*DEFAULT_GAMMA_RANGE, OUTER_PER_DECADE).size
    return gammas * at_p(count) + count * at_p(1)


def check_feasible(
    sums: dmft.ModeSums,
    budgets: np.ndarray,
    *,
    n_values: np.ndarray,
    p_values: np.ndarray,
    compute_model: str,
    weight_decay: float,
    learning_rate: float,
    momentum: float,
) -> None:
    """Refuse (InputError, before any solve) discrete-step inputs that cannot give a frontier. A budget
    C buys floor(C / (N eta)) whole steps (NT; C / (N P eta) with NPT), and the steps diverge where
    eta (e_max + gamma) >= 2 (1 + momentum), e_max the top of the trained kernel's spectrum at (N, P)
    (docs/theory/discrete.md; `weight_decay`: the smallest gamma searched). Refused, with the cause
    named: steps that diverge at every (N, P) searched (key `learning_rate`); budgets that buy no
    whole step at any N (key `compute`); budgets whose affordable (N, P) all diverge (key `compute`).
    Gradient flow (eta = 0) has neither problem."""
    if learning_rate == 0.0:
        return
    from .dmft.discrete import spectral_edge

    limit = 2.0 * (1.0 + momentum)
    c_max = float(np.max(budgets)) * (1.0 + 1e-12)
    per_p = [(p, 1.0 if compute_model == "NT" else p) for p in np.sort(p_values)[::-1]]  # (P, P's share of the cost)
    cheapest = min(share for _, share in per_p) * float(n_values[0]) * learning_rate
    inv = lambda x: 0.0 if math.isinf(x) else 1.0 / x  # noqa: E731
    edges = {}

    def top(n: float, p: float) -> float:  # eta (e_max + gamma) at (N, P)
        if (n, p) not in edges:
            edges[n, p] = learning_rate * (spectral_edge(sums, inv(n), inv(p)) + weight_decay)
        return edges[n, p]

    # the most stable point searched: e_max decreases with N and with P (measured; the pairs below
    # are checked one by one all the same)
    lowest = min(top(n, per_p[0][0]) for n in n_values)
    if lowest >= limit:
        raise InputError(
            "learning_rate",
            learning_rate,
            f"eta (e_max + gamma) < 2 (1 + momentum) = {limit:g} somewhere in the searched range: here it is "
            f">= {lowest:.4g} at every N (and P) searched, so the steps diverge at every budget "
            f"(docs/theory/discrete.md); eta < {learning_rate * limit / lowest:.4g}",
        )
    if cheapest > c_max:
        unit = "eta N_min" + (" P_min" if compute_model == "NPT" else "")
        raise InputError(
            "compute",
            float(np.max(budgets)),
            f"budgets that buy one whole step: C >= {unit} = {cheapest:g} (C buys floor(C / ({unit[4:]} eta)) "
            "steps at the smallest size searched)",
        )
    for p, share in per_p:
        for n in n_values:
            if n * share * learning_rate > c_max:
                break
            if top(n, p) < limit:
                return
    raise InputError(
        "compute",
        float(np.max(budgets)),
        f"budgets that buy a stable step: every N (and P) whose step the largest budget affords has eta (e_max "
        f"+ gamma) >= 2 (1 + momentum) = {limit:g} and diverges; raise the budgets or lower the learning rate",
    )


def _parabola_minimum(x: np.ndarray, y: np.ndarray) -> float:
    """exp of the abscissa of the vertex of the parabola through three points (x in ln N or ln t), kept
    inside [x_0, x_2]; the middle point when the three points are not convex."""
    (x0, x1, x2), (y0, y1, y2) = x, y
    denom = (x0 - x1) * (x0 - x2) * (x1 - x2)
    a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / denom
    b = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / denom
    if not a > 0:
        return float(math.exp(x1))
    return float(math.exp(min(max(-b / (2 * a), x0), x2)))


def frontier_rows(point: Point, front: Frontier, compute_model: str = "NT", tuned: str = "") -> pd.DataFrame:
    """The frontier table (tables.FRONTIER_SCHEMA): one row per budget, the point's columns with
    n_features = N*, n_samples = P (or P*) and weight_decay = gamma (or gamma*) of each budget."""
    n = front.compute.size
    frame = pd.DataFrame({k: [v] * n for k, v in point.columns().items()})
    for name in ("n_features", "n_samples", "weight_decay"):
        frame[name] = getattr(front, name).astype(np.float64)
    frame["compute_model"] = compute_model
    frame["tuned"] = tuned
    frame["compute"] = front.compute
    frame["t"] = front.t
    frame["eg"] = front.eg
    frame["eg_mean"] = front.eg_mean
    frame["flag"] = front.flag
    return frame


def point_frontier(
    point: Point,
    budgets: np.ndarray,
    *,
    compute_model: str = "NT",
    tune_weight_decay: bool = False,
    n_range: tuple[float, float] = DEFAULT_N_RANGE,
    p_range: tuple[float, float] = DEFAULT_P_RANGE,
) -> pd.DataFrame:
    """The frontier table of a parameter point (its spectrum, P, regime and optimizer; N and t are
    chosen): the one call behind the `frontier` command, the API and the workflow's frontiers. Its
    attrs['failure'] holds the first failed budget's cause ('' when none failed)."""
    regime, opt = point.regime, point.optimizer
    front = compute_optimal(
        point.model.spectrum.build().modes(),
        budgets,
        n_samples=point.model.n_samples,
        compute_model=compute_model,
        weight_decay=regime.weight_decay,
        tune_weight_decay=tune_weight_decay,
        temperature=regime.temperature,
        noise=regime.noise,
        init_std=regime.init_std,
        n_min=n_range[0],
        n_max=n_range[1],
        p_min=p_range[0],
        p_max=p_range[1],
        learning_rate=opt.learning_rate,
        momentum=opt.momentum,
    )
    tuned = "weight_decay" if tune_weight_decay else ""
    frame = frontier_rows(point, front, compute_model=compute_model, tuned=tuned)
    frame.attrs["failure"] = front.failure()  # the first failed budget's cause ('' when none failed)
    return frame


# the frontier's fitted laws: law -> the frontier-table column fitted against C
FRONTIER_QUANTITY = {
    "frontier_error": "eg",
    "frontier_features": "n_features",
    "frontier_samples": "n_samples",
    "frontier_time": "t",
}


def frontier_fits(frame: pd.DataFrame) -> pd.DataFrame:
    """Power-law fits of E*, N*, P* (NPT only) and t* against C (tables.FRONTIER_FIT_SCHEMA), one
    group per frontier (rows sharing every column but the per-budget ones), with the fit machinery
    and flags of the other laws (scaling_dmft.fit.fit_row): automatic window, short_window,
    log_corrected, and the derived exponent where docs/theory/frontier.md gives one. Only budgets
    with a real optimum enter (flag '' or stopped_early; edge and failed rows are left out)."""
    from .fit import MIN_POINTS, TOLERANCE, fit_row
    from .tables import FRONTIER_FIT_SCHEMA, POINT_COLUMNS, empty_frame

    keys = [c for c in frame.columns if c not in FIELDS]  # FIELDS: the per-budget columns
    rows = []
    for key, group in frame.groupby(keys, dropna=False, sort=True):
        first = dict(zip(keys, key, strict=True))
        model, tuned = first.pop("compute_model"), first.pop("tuned")
        columns = {c: first.get(c) for c in POINT_COLUMNS}  # the fit row's point columns
        columns["n_features"] = math.inf  # varied (chosen per budget)
        columns["n_samples"] = math.inf if model == "NPT" else float(group["n_samples"].iloc[0])
        columns["weight_decay"] = math.inf if tuned == "weight_decay" else float(group["weight_decay"].iloc[0])
        real = group[group["flag"].isin(["", "stopped_early"])].sort_values("compute")
        floor = None  # the window of an E* fit on a floor: N*, P*, t* there are optima of a flat E
        for law, column in FRONTIER_QUANTITY.items():
            if law == "frontier_samples" and model != "NPT":
                continue
            row = fit_row(
                columns,
                "dmft",
                law,
                column,
                real["compute"].to_numpy(dtype=np.float64),
                real[column].to_numpy(dtype=np.float64),
                None,
                TOLERANCE,
                MIN_POINTS,
                0,
                compute_model=model,
            )
            if row is None:
                continue
            if not row["flag"] and abs(row["exponent"]) < TOLERANCE and not np.isfinite(row["expected_exponent"]):
                row["flag"] = "saturated"  # a floor (finite P, gamma, T), not a scaling law
                floor = (row["x_min"], row["x_max"]) if law == "frontier_error" else floor
            elif not row["flag"] and floor and row["x_min"] < floor[1] and row["x_max"] > floor[0]:
                row["flag"] = "saturated"
            rows.append({**row, "compute_model": model, "tuned": tuned})
    if not rows:
        return empty_frame("frontier_fit")
    return pd.DataFrame(rows)[FRONTIER_FIT_SCHEMA.names]


# ------------------------------------------------------------------ mini-batch SGD: batch size and data reuse
# (docs/theory/frontier.md section "Batch size and data reuse"; the SGD theory is docs/theory/sgd.md)

# the batch sizes searched per decade, and the stopping steps tried per decade below each budget
BATCHES_PER_DECADE = 8
SGD_STEPS_PER_DECADE = 16
# the sample size standing for fresh data (one pass, no sample seen twice) in the data-reuse comparison
FRESH_SAMPLES = 1e12


def _sgd_errors(sums: dmft.ModeSums, setting: dict, batch: float, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(E_g, training error) of multi-pass SGD with replacement at whole steps (inf where it diverges);
    `setting`: N, P, gamma, sigma, sigma0 and eta (the keys of a point's columns)."""
    eta = setting["learning_rate"]
    comps = dmft.solve(
        sums,
        n_features=setting["n_features"],
        n_samples=setting["n_samples"],
        weight_decay=setting["weight_decay"],
        times=eta * steps,
        learning_rate=eta,
        batch_size=float(batch),
    )
    e_g = comps.errors(noise=setting["noise"], init_var=setting["init_std"] ** 2, temperature=0.0)[1]
    train = comps.train_error(noise=setting["noise"], init_var=setting["init_std"] ** 2)
    ok = np.char.startswith(comps.flags.astype(str), "unstable_draws") | (comps.flags == "")
    return np.where(ok, e_g, np.inf), np.where(ok, train, np.inf)


def _check_sgd_rate(learning_rate: object) -> float:
    """eta of a batch-size or data-reuse study: a finite number > 0 (SGD takes steps)."""
    eta = real_number(learning_rate, "learning_rate", "a finite eta > 0 (SGD takes steps)")
    if not (math.isfinite(eta) and eta > 0):
        raise InputError("learning_rate", learning_rate, "a finite eta > 0 (SGD takes steps)")
    return eta


def _check_stds(noise: object, init_std: object) -> tuple[float, float]:
    """sigma and sigma0 of a batch-size or data-reuse study: finite stds >= 0 (E_g takes their squares, so
    a negative one would silently mean its absolute value, and NaN would make every E_g NaN)."""
    out = []
    for key, value, what in (("noise", noise, "label-noise std sigma"), ("init_std", init_std, "init std sigma0")):
        allowed = f"the {what}: a finite number >= 0"
        std = real_number(value, key, allowed)
        if not (math.isfinite(std) and std >= 0.0):
            raise InputError(key, value, allowed)
        out.append(std)
    return out[0], out[1]


# the flag of a budget where no batch size trains: every B diverges at this learning rate, or the budget
# buys no step of the smallest batch (E* and B* then mean nothing)
NO_OPTIMUM = "no_optimum"


def critical_batch(
    modes: Modes,
    samples: npt.ArrayLike,
    *,
    n_features: float,
    n_samples: float,
    learning_rate: float,
    batch_range: tuple[float, float] = (1.0, 1e4),
    weight_decay: float = 0.0,
    noise: float = 0.0,
    init_std: float = 0.0,
) -> pd.DataFrame:
    """The compute-optimal batch size of mini-batch SGD with replacement at a fixed learning rate:
    for each budget C = N B k (given per feature: `samples` = C / N = B k, the samples processed),
    E*(C) = min over B (a log grid of BATCHES_PER_DECADE per decade in `batch_range`, at most P) and
    over the stopping step k <= C / (N B) of E_g, with the minimiser B*(C) (the critical batch size)
    and k*. Rows: samples (C / N), batch_size (B*), steps (k*), eg (E*), eg_gd (gradient descent's
    E at the same C, B = P: one step costs N P), flag ('' | edge: B* at an end of the grid | no_optimum:
    every batch size diverges at this eta, or the budget buys no step; E* is inf there)."""
    learning_rate = _check_sgd_rate(learning_rate)
    noise, init_std = _check_stds(noise, init_std)
    budgets = np.asarray(samples, dtype=np.float64)
    if budgets.ndim != 1 or budgets.size == 0 or not np.all(np.isfinite(budgets)) or np.any(budgets <= 0):
        raise InputError("samples", samples, "a non-empty list of finite budgets C / N > 0")
    n_samples = real_number(n_samples, "n_samples", "a finite P >= 1 (multi-pass SGD)")
    if not (math.isfinite(n_samples) and n_samples >= 1):
        raise InputError("n_samples", n_samples, "a finite P >= 1 (multi-pass SGD)")
    allowed = f"[min, max] with 1 <= min < max and min < n_samples = {n_samples:g} (B <= P)"
    try:
        lo, hi = (real_number(b, "batch_range", allowed) for b in batch_range)
    except (TypeError, ValueError):  # not a pair (an InputError of an entry is a ValueError too)
        raise InputError("batch_range", batch_range, allowed) from None
    if not (1.0 <= lo < hi < math.inf and lo < n_samples):
        raise InputError("batch_range", batch_range, allowed)
    hi = min(hi, n_samples)
    batches = np.unique(np.round(n_grid(lo, hi, BATCHES_PER_DECADE, "batch range")))
    sums = dmft.prepare(modes)
    setting = dict(
        n_features=n_features, n_samples=n_samples, weight_decay=weight_decay, noise=noise, init_std=init_std,
        learning_rate=learning_rate, momentum=0.0, temperature=0.0,
    )  # fmt: skip
    k_max = max(1.0, float(budgets.max() / batches.min()))
    steps = np.unique(np.round(np.logspace(0.0, math.log10(k_max), int(SGD_STEPS_PER_DECADE * math.log10(k_max)) + 2)))
    table = np.full((batches.size, budgets.size), np.inf)
    at = np.zeros((batches.size, budgets.size))
    for i, b in enumerate(batches):
        need = steps[steps <= budgets.max() / b]
        if need.size == 0:
            continue
        grid = np.union1d(need, np.floor(budgets / b)[budgets >= b])
        e_g, _ = _sgd_errors(sums, setting, b, grid)
        best = np.minimum.accumulate(np.where(np.isfinite(e_g), e_g, np.inf))
        arg = np.array([int(np.argmax(e_g[: j + 1] == best[j])) for j in range(grid.size)])
        for j, c in enumerate(budgets):
            kk = np.searchsorted(grid, math.floor(c / b), side="right") - 1
            if kk >= 0:
                table[i, j], at[i, j] = best[kk], grid[arg[kk]]
    gd_steps = np.floor(budgets / n_samples)
    gd = np.full(budgets.size, np.nan)
    afford = gd_steps >= 1
    if afford.any():
        comps = dmft.solve(
            sums, n_features=n_features, n_samples=n_samples, weight_decay=weight_decay,
            times=learning_rate * np.unique(gd_steps[afford]), learning_rate=learning_rate,
        )  # fmt: skip
        e = comps.errors(noise=noise, init_var=init_std**2, temperature=0.0)[1]
        gd[afford] = np.minimum.accumulate(e)[np.searchsorted(np.unique(gd_steps[afford]), gd_steps[afford])]
    rows = []
    for j, c in enumerate(budgets):
        i = int(np.argmin(table[:, j]))
        flag = "" if 0 < i < batches.size - 1 else "edge"
        if not np.isfinite(table[i, j]):  # no batch size trains within this budget: no B* to speak of
            flag = NO_OPTIMUM
        rows.append(
            dict(
                samples=c,
                batch_size=float(batches[i]),
                steps=float(at[i, j]),
                eg=float(table[i, j]),
                eg_gd=gd[j],
                flag=flag,
            )
        )
    return pd.DataFrame(rows)


def data_reuse(
    modes: Modes,
    n_samples: npt.ArrayLike,
    epochs: npt.ArrayLike,
    *,
    n_features: float,
    learning_rate: float,
    batch_size: int,
    weight_decay: float = 0.0,
    noise: float = 0.0,
    init_std: float = 0.0,
) -> pd.DataFrame:
    """Data-constrained training: multi-pass SGD with replacement on P samples for K epochs
    (k = K P / B steps) against the same SGD on fresh data (one pass, P = FRESH_SAMPLES). The effective
    reuse rate R(K, P) (arXiv 2511.13421's E(K, N)) is the factor by which a one-pass data set must grow
    to reach the K-epoch error: the fresh-data curve reaches E(K, P) after k_eff steps, R = k_eff B / P.
    R ~ K while reuse is as good as fresh data, and it plateaus where repeating stops helping. Rows:
    n_samples, epochs, steps, eg, eg_fresh (fresh data at the same steps), reuse_rate, flag ('' |
    below_fresh: E(K, P) is below every fresh-data error computed, R unknown | no_optimum: the K-epoch
    SGD diverges at this eta, E(K, P) is inf and R means nothing)."""
    learning_rate = _check_sgd_rate(learning_rate)
    noise, init_std = _check_stds(noise, init_std)
    batch_size = whole_number(batch_size, "batch_size", "an integer B >= 1")
    if batch_size < 1:
        raise InputError("batch_size", batch_size, "an integer B >= 1")
    ps = np.asarray(n_samples, dtype=np.float64)
    ks = np.asarray(epochs, dtype=np.float64)
    if ps.ndim != 1 or ps.size == 0 or not np.all(np.isfinite(ps) & (ps >= batch_size)):
        raise InputError("n_samples", n_samples, f"finite sizes P >= batch_size = {batch_size}")
    if ks.ndim != 1 or ks.size == 0 or not np.all(np.isfinite(ks) & (ks > 0)):
        raise InputError("epochs", epochs, "a list of finite epoch counts K > 0")
    sums = dmft.prepare(modes)
    setting = dict(
        n_features=n_features, weight_decay=weight_decay, noise=noise, init_std=init_std,
        learning_rate=learning_rate, momentum=0.0, temperature=0.0,
    )  # fmt: skip
    top = float(np.max(ks) * np.max(ps) / batch_size)
    fresh_steps = np.unique(np.round(np.logspace(0.0, math.log10(top) + 2.0, int(16 * (math.log10(top) + 2.0)) + 1)))
    fresh, _ = _sgd_errors(sums, dict(setting, n_samples=FRESH_SAMPLES), batch_size, fresh_steps)
    rows = []
    for p in ps:
        steps = np.maximum(np.round(ks * p / batch_size), 1.0)
        uniq, back = np.unique(steps, return_inverse=True)
        e_g, _ = _sgd_errors(sums, dict(setting, n_samples=p), batch_size, uniq)
        e_fresh, _ = _sgd_errors(sums, dict(setting, n_samples=FRESH_SAMPLES), batch_size, uniq)
        for kk, s, e, ef in zip(ks, steps, e_g[back], e_fresh[back], strict=True):
            k_eff = _invert_decreasing(fresh_steps, fresh, e)
            rows.append(
                dict(
                    n_samples=p,
                    epochs=kk,
                    steps=s,
                    eg=e,
                    eg_fresh=ef,
                    reuse_rate=k_eff * batch_size / p if np.isfinite(k_eff) else np.nan,
                    flag="" if np.isfinite(k_eff) else ("below_fresh" if np.isfinite(e) else NO_OPTIMUM),
                )
            )
    return pd.DataFrame(rows)


def _invert_decreasing(x: np.ndarray, y: np.ndarray, value: float) -> float:
    """The first x where the curve y(x) comes down to `value` (log-log interpolation); nan if never."""
    below = np.flatnonzero(y <= value)
    if below.size == 0 or not np.isfinite(value):
        return math.nan
    j = int(below[0])
    if j == 0:
        return float(x[0])
    lx, ly = np.log(x[j - 1 : j + 1]), np.log(y[j - 1 : j + 1])
    return float(np.exp(np.interp(math.log(value), ly[::-1], lx[::-1])))

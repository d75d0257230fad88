"""Glue between parameter points and the solvers: one chunk of points -> one curve table.

Used by the workflow scripts and by the CLI, so a single query and a sweep produce the same
rows. The solvers return error *components* that depend only on (spectrum, N, P, gamma) and
the times; noise sigma, init std sigma0 and temperature T enter linearly, so one solve serves
every (sigma, sigma0, T) that shares them.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pandas as pd

from .components import combine, scaled
from .errors import NumericalError
from .grid import SimGroup, seed_sequences
from .points import Point, group_by, solve_key
from .simulate import SimComponents, concat_seeds
from .tables import ROUNDOFF_REL, empty_frame

log = logging.getLogger("scaling_dmft")


def curve_rows(
    point: Point,
    method: str,
    t: npt.ArrayLike,
    signal: npt.ArrayLike,
    noise_coef: npt.ArrayLike,
    init_coef: npt.ArrayLike,
    thermal_coef: npt.ArrayLike,
    eg_sem: npt.ArrayLike | None = None,
    eg_mean_sem: npt.ArrayLike | None = None,
    n_seeds: int = 0,
    flag: str | np.ndarray = "",
) -> pd.DataFrame:
    """Rows of the curve table for one point (components are per unit sigma^2, sigma0^2, T).

    `flag` is one string for every row or one per row. Components slightly below zero are round-off
    of an exact value that is 0 or tiny (e.g. P > M, where E(t) -> 0): within ROUNDOFF_REL of the
    curve's largest error they are set to 0; further below, the row is flagged `negative`.
    """
    t = np.asarray(t, dtype=np.float64)
    regime, eta = point.regime, point.optimizer.learning_rate
    flags = np.broadcast_to(np.asarray(flag, dtype=object), t.shape).copy()
    components = {
        "eg_signal": np.array(signal, dtype=np.float64),
        "eg_noise": scaled(regime.noise**2, noise_coef),
        "eg_init": scaled(regime.init_var, init_coef),
        "eg_thermal": scaled(regime.temperature, thermal_coef),
    }
    _clip_roundoff(components, flags)
    # the components are already scaled: combine them with unit multipliers
    eg_mean, eg = combine(*components.values(), noise=1.0, init_var=1.0, temperature=1.0)
    not_applicable = np.full_like(t, np.nan)  # theory: no sampling, so no standard error
    frame = pd.DataFrame(
        {
            **{k: [v] * len(t) for k, v in point.columns().items()},
            "method": method,
            "t": t,
            "steps": t / eta if eta > 0 else np.full_like(t, np.nan),
            "eg": eg,
            "eg_mean": eg_mean,
            **components,
            "eg_sem": not_applicable if eg_sem is None else np.asarray(eg_sem, dtype=np.float64),
            "eg_mean_sem": not_applicable if eg_mean_sem is None else np.asarray(eg_mean_sem, dtype=np.float64),
            "n_seeds": np.int32(n_seeds),
            "flag": flags.astype(str),
        }
    )
    values = frame[["eg", "eg_mean", "eg_signal", "eg_noise", "eg_init", "eg_thermal"]].to_numpy()
    unflagged = frame["flag"].to_numpy() == ""
    if (np.isnan(values).any(axis=1) & unflagged).any():
        raise NumericalError(f"NaN in the {method} curve of point {json.dumps(point.columns(), default=str)}")
    infinite = np.isinf(values).any(axis=1) & unflagged
    # e.g. the ridgeless interpolation threshold N = P at t = inf, or null-space diffusion
    frame.loc[infinite, "flag"] = "infinite"
    return frame


def _clip_roundoff(components: dict, flags: np.ndarray) -> None:
    """Set components within round-off below zero to 0; flag rows further below (in place)."""
    finite = [np.abs(v[np.isfinite(v)]) for v in components.values()]
    scale = max((float(v.max()) for v in finite if v.size), default=0.0)
    tol = ROUNDOFF_REL * scale
    for values in components.values():
        with np.errstate(invalid="ignore"):
            small = (values < 0) & (values >= -tol)
            below = values < -tol
        values[small] = 0.0
        flags[below & (flags == "")] = "negative"


def run_dmft_points(points: list[Point], progress_every: float = 10.0) -> pd.DataFrame:
    """Theory curves (method 'dmft') for a list of points; one solve per shared (model, gamma, optimizer,
    times) (points.solve_key), one preparation of the mode sums per spectrum and of online SGD's
    nodes per (spectrum, N)."""
    frames, done, started, last = [], 0, time.monotonic(), time.monotonic()
    prepared: dict = {}  # per spectrum (and N, for online SGD's nodes) of the chunk
    for members in group_by(points, solve_key).values():
        parts, flags = _dmft_components(members[0], prepared)
        frames += [curve_rows(point, "dmft", point.times, *parts, flag=flags) for point in members]
        done += len(members)
        if time.monotonic() - last > progress_every or done == len(points):
            log.info("dmft: %d/%d points done, %.1f s elapsed", done, len(points), time.monotonic() - started)
            last = time.monotonic()
    return pd.concat(frames, ignore_index=True) if frames else empty_frame("curve")


def _dmft_components(point: Point, prepared: dict) -> tuple[np.ndarray, np.ndarray]:
    """(components (4, T), flags (T,)) of one theory solve: finite times and the t = inf closed forms
    are solved apart, so a failure of one flags only its rows; a failure of online SGD's nodes flags
    the point's rows. `prepared` caches the mode sums per spectrum and the nodes per (spectrum, N)."""
    from . import dmft

    times = point.time_array
    parts, flags = np.full((4, times.size), np.nan), np.full(times.size, "", dtype=object)
    spec, sgd = point.model.spectrum, point.optimizer.kind == "sgd"
    groups = (np.ones(times.size, dtype=bool),) if sgd else (np.isfinite(times), np.isinf(times))
    for rows in groups:
        if not rows.any():
            continue
        try:
            if sgd:
                key = (spec, point.model.n_features)
                if key not in prepared:
                    prepared[key] = dmft.online.online_nodes(spec.build(), point.model.n_features)
                comps = dmft.solve_point(point, nodes=prepared[key], times=times[rows])
            else:
                if spec not in prepared:
                    prepared[spec] = dmft.prepare(spec.build().modes())
                comps = dmft.solve_point(point, prepared[spec], times=times[rows])
            parts[:, rows] = comps.signal, comps.noise, comps.init, comps.thermal
            if comps.flags is not None:  # discrete time: diverged / no_theory rows
                flags[np.flatnonzero(rows)] = comps.flags
        except (NumericalError, ArithmeticError) as exc:
            log.error("DMFT failed for %s: %s", json.dumps(point.columns(), default=str), exc)
            flags[rows] = f"failed: {str(exc).splitlines()[0][:200] or type(exc).__name__}"
    return parts, flags


def run_sim_group(group: SimGroup, base_seed: int, progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Seed-averaged exact simulation (method 'sim') of one disorder group: one simulation per
    optimizer (and, for online SGD, per weight decay), all on the disorder point's draws; a fixed
    count of seeds, or as many as the group's target precision asks for (precision.py)."""
    seeds = seed_sequences(base_seed, group.model, group.seeds)
    if group.target_rel_sem is None:
        parts = _simulate_group(group, seeds, progress)
    else:
        from .precision import draw_to_precision

        def draw(start: int, stop: int) -> tuple[list, np.ndarray]:
            batch = _simulate_group(group, seeds[start:stop], progress)
            return batch, np.hstack([_per_seed_gibbs(members, comps) for members, comps in batch])

        batches, _ = draw_to_precision(draw, target=group.target_rel_sem, pilot=group.pilot, cap=group.seeds)
        parts = [
            (members, concat_seeds([batch[i][1] for batch in batches])) for i, (members, _) in enumerate(batches[0])
        ]
    frames = [
        seed_rows(
            members, comps, "sim", target=group.target_rel_sem, cap=group.seeds, diverged=_diverged_flag(members[0])
        )
        for members, comps in parts
    ]
    return pd.concat(frames, ignore_index=True)


# the flags of simulated rows whose error is +inf because the training diverged (the signal, finite
# otherwise, is +inf exactly then): the theory flags the same rows `diverged`
SIM_DIVERGED_STEPS = "diverged: a direction of a draw's training Hessian has eta x >= 2 (1 + momentum)"
SIM_DIVERGED_SGD = "diverged: the online-SGD error of a draw overflowed"


def _diverged_flag(point: Point) -> str:
    """The flag of a simulated row whose error is +inf, by the point's optimizer ('' for gradient flow,
    whose infinite rows are exact infinities, flagged `infinite`)."""
    kind = point.optimizer.kind
    return SIM_DIVERGED_SGD if kind == "sgd" else (SIM_DIVERGED_STEPS if kind in ("gd", "momentum") else "")


def _simulate_group(
    group: SimGroup, seeds: list, progress: Callable[[int, int], None] | None
) -> list[tuple[list[Point], SimComponents]]:
    """(points, their per-seed components) per simulation of the group on `seeds`."""
    from .simulate import simulate_points

    out = []
    # threads=None: the caller has set the BLAS threads (workflow job, CLI --threads, API `threads`)
    for members in group_by(group.points, lambda p: p.optimizer).values():
        if members[0].optimizer.kind == "sgd":  # online SGD: fresh samples per step, one run per gamma
            for same_gamma in group_by(members, lambda p: p.regime.weight_decay).values():
                out.append((same_gamma, simulate_points(same_gamma, seeds, threads=None)))
            continue
        out.append((members, simulate_points(members, seeds, progress=progress, threads=None)))
    return out


def _per_seed_gibbs(points: list[Point], comps: SimComponents) -> np.ndarray:
    """Per-seed E_g of every point at its times, side by side: (seeds, rows)."""
    columns = []
    for point in points:
        regime = point.regime
        gi = int(np.searchsorted(comps.weight_decays, regime.weight_decay))
        ti = np.searchsorted(comps.times, point.time_array)
        _, e_g = comps.errors(
            noise=regime.noise, init_var=regime.init_var, temperature=regime.temperature, gamma_index=gi
        )
        columns.append(e_g[:, ti])
    return np.hstack(columns)


def seed_rows(
    points: list[Point],
    comps: SimComponents,
    method: str,
    target: float | None = None,
    cap: int = 0,
    diverged: str = "",
) -> pd.DataFrame:
    """Curve rows (seed mean and standard error) of per-seed components for the points that share
    them: the exact simulation ('sim') and training on a data set ('data', 'data_heldout'). With a
    target relative standard error, a row whose E_g ended above it is flagged `imprecise`; with
    `diverged`, rows whose signal is +inf (a diverged draw) carry that flag instead of `infinite`."""
    from .simulate import seed_mean_sem

    gammas, times = comps.weight_decays, comps.times
    n_seeds = comps.signal.shape[0]
    frames = []
    for point in points:
        regime = point.regime
        gi = int(np.searchsorted(gammas, regime.weight_decay))
        ti = np.searchsorted(times, point.time_array)
        e_mean, e_g = comps.errors(
            noise=regime.noise, init_var=regime.init_var, temperature=regime.temperature, gamma_index=gi
        )
        # inf - inf inside the s.e. of a divergent component: the row is flagged below
        with np.errstate(invalid="ignore"):
            eg, eg_sem = seed_mean_sem(e_g[:, ti])
            eg_mean, eg_mean_sem = seed_mean_sem(e_mean[:, ti])
            parts = [comps.signal, comps.noise, comps.init, comps.thermal]
            means = [seed_mean_sem(p[:, gi, ti])[0] for p in parts]
        # infinite seeds (divergences) give inf means; their s.e. is meaningless -> inf, row flagged
        for sem, mean in ((eg_sem, eg), (eg_mean_sem, eg_mean)):
            if not np.isfinite(sem[np.isfinite(mean)]).all():
                raise NumericalError(
                    "simulate: the seed variance of finite errors overflows float64 (errors of order 1e154 or more)"
                )
        eg_sem = np.where(np.isfinite(eg), eg_sem, np.inf)
        eg_mean_sem = np.where(np.isfinite(eg_mean), eg_mean_sem, np.inf)
        flags = np.full(len(point.times), "", dtype=object)
        if diverged:
            flags[np.isinf(means[0])] = diverged
        if target is not None:
            from .precision import imprecise_flag

            with np.errstate(invalid="ignore", divide="ignore"):
                relative = eg_sem / eg
            for i in np.flatnonzero(np.isfinite(relative) & (relative > target) & (flags == "")):
                flags[i] = imprecise_flag(float(relative[i]), target, n_seeds, cap)
        frame = curve_rows(
            point, method, point.times, *means, eg_sem=eg_sem, eg_mean_sem=eg_mean_sem, n_seeds=n_seeds, flag=flags
        )
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _seed_progress(done_before: int, total: int, started: float) -> Callable[[int, int], None]:
    """A progress callback for one group: logs at most every 10 s, and at the group's last seed."""
    last = time.monotonic()

    def progress(k: int, n: int) -> None:
        nonlocal last
        if time.monotonic() - last > 10.0 or k == n:
            log.info("sim: %d/%d seeds done, %.1f s elapsed", done_before + k, total, time.monotonic() - started)
            last = time.monotonic()

    return progress


def run_sim_groups(groups: list[SimGroup], base_seed: int) -> pd.DataFrame:
    frames, started = [], time.monotonic()
    total = sum(g.seeds for g in groups)
    done = 0
    for group in groups:
        frames.append(run_sim_group(group, base_seed, progress=_seed_progress(done, total, started)))
        done += group.seeds
    return pd.concat(frames, ignore_index=True) if frames else empty_frame("curve")

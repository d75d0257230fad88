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
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from .components import combine, scaled
from .errors import NumericalError
from .grid import SimGroup, seed_sequences
from .points import ONLINE_SAMPLING, Point, group_by, solve_key
from .simulate import SimComponents, concat_seeds
from .tables import ROUNDOFF_REL, empty_frame

if TYPE_CHECKING:
    from .multipass import MultipassRuns

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
    train: npt.ArrayLike | None = None,
    train_sem: npt.ArrayLike | None = None,
    divergent: float | npt.ArrayLike | None = None,
) -> pd.DataFrame:
    """Rows of the curve table for one point (components are per unit sigma^2, sigma0^2, T).

    `flag` is one string for every row or one per row. `train` (and `train_sem`): the training error
    (mini-batch SGD at finite P); `divergent`: the divergent fraction (discrete optimizers); null
    where not given. Components slightly below zero are round-off
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
            "train_error": not_applicable if train is None else np.asarray(train, dtype=np.float64),
            "train_error_sem": not_applicable if train_sem is None else np.asarray(train_sem, dtype=np.float64),
            "divergent_fraction": not_applicable
            if divergent is None
            else np.broadcast_to(np.asarray(divergent, dtype=np.float64), t.shape).copy(),
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
        parts, flags, sgd = _dmft_components(members[0], prepared)
        for point in members:
            train, point_flags = None, flags
            if sgd.train is not None:  # mini-batch SGD at finite P: the training error, sgd_dominated rows
                weights = np.array([1.0, point.regime.noise**2, point.regime.init_var])[:, None]
                train = _weighted(sgd.train, weights)
                point_flags = _sgd_flags(flags, weights, parts, sgd.reference)
            frames.append(
                curve_rows(point, "dmft", point.times, *parts, flag=point_flags, train=train, divergent=sgd.divergent)
            )
        done += len(members)
        if time.monotonic() - last > progress_every or done == len(points):
            log.info("dmft: %d/%d points done, %.1f s elapsed", done, len(points), time.monotonic() - started)
            last = time.monotonic()
    return pd.concat(frames, ignore_index=True) if frames else empty_frame("curve")


@dataclass
class _SGDParts:
    """Multi-pass SGD's extra theory parts of one solve: the training error's components (3, T), the
    probability of a divergent draw, gradient descent's components at the same steps (3, T)."""

    train: np.ndarray | None = None
    divergent: float | None = None
    reference: np.ndarray | None = None


def _weighted(components: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """sum_i w_i c_i over (signal, noise, init) components, a zero weight dropping its component."""
    with np.errstate(invalid="ignore"):
        return (np.where(weights == 0.0, 0.0, components) * weights).sum(axis=0)


def _sgd_flags(flags: np.ndarray, weights: np.ndarray, parts: np.ndarray, reference: np.ndarray | None) -> np.ndarray:
    """Multi-pass SGD theory rows: the solve's flags, and sgd_dominated where SGD's noise adds more than
    dmft.multipass.SGD_DOMINATED to gradient descent's error at this point's sigma, sigma0
    (docs/theory/sgd.md section 9)."""
    from .dmft.multipass import sgd_dominated

    if reference is None:  # no SGD theory (the epochs scheme): the rows carry their no_theory flag
        return flags
    extra = sgd_dominated(_weighted(parts[:3], weights), _weighted(reference, weights))
    return np.where((flags == "") & (extra != ""), extra, flags)


def _dmft_components(point: Point, prepared: dict) -> tuple[np.ndarray, np.ndarray, _SGDParts]:
    """(components (4, T), flags (T,), multi-pass SGD's parts) of one theory solve: finite times and the
    t = inf closed forms are solved apart, so a failure of one flags only its rows; a failure of online
    SGD's nodes flags the point's rows. `prepared` caches the mode sums per spectrum and the nodes per
    (spectrum, N)."""
    from . import dmft

    times = point.time_array
    parts, flags = np.full((4, times.size), np.nan), np.full(times.size, "", dtype=object)
    extra = _SGDParts()
    spec, online = point.model.spectrum, point.optimizer.batch_sampling == ONLINE_SAMPLING
    groups = (np.ones(times.size, dtype=bool),) if online else (np.isfinite(times), np.isinf(times))
    for rows in groups:
        if not rows.any():
            continue
        try:
            if online:
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
            if comps.train is not None:  # mini-batch SGD at finite P
                extra.train = np.full((3, times.size), np.nan) if extra.train is None else extra.train
                extra.train[:, rows] = comps.train
            if comps.divergent is not None:
                extra.divergent = comps.divergent
            if comps.reference is not None:
                extra.reference = np.full((3, times.size), np.nan) if extra.reference is None else extra.reference
                extra.reference[:, rows] = comps.reference
        except (NumericalError, ArithmeticError) as exc:
            log.error("DMFT failed for %s: %s", json.dumps(point.columns(), default=str), exc)
            flags[rows] = f"failed: {str(exc).splitlines()[0][:200] or type(exc).__name__}"
    return parts, flags, extra


def run_sim_group(group: SimGroup, base_seed: int, progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Seed-averaged exact simulation (method 'sim') of one disorder group: one simulation per
    optimizer (and, for SGD, per weight decay), all on the disorder point's draws; a fixed count of
    seeds, or as many as the group's target precision asks for (precision.py)."""
    seeds = seed_sequences(base_seed, group.model, group.seeds)
    if group.target_rel_sem is None:
        parts = _simulate_group(group, seeds, progress)
    else:
        from .multipass import concat_runs
        from .precision import draw_to_precision

        def draw(start: int, stop: int) -> tuple[list, np.ndarray]:
            batch = _simulate_group(group, seeds[start:stop], progress)
            return batch, np.hstack([_per_seed_gibbs(members, comps) for members, comps in batch])

        batches, _ = draw_to_precision(draw, target=group.target_rel_sem, pilot=group.pilot, cap=group.seeds)
        parts = []
        for i, (members, first) in enumerate(batches[0]):
            join = concat_seeds if isinstance(first, SimComponents) else concat_runs
            parts.append((members, join([batch[i][1] for batch in batches])))
    frames = [
        (seed_rows if isinstance(comps, SimComponents) else multipass_rows)(
            members, comps, "sim", target=group.target_rel_sem, cap=group.seeds, diverged=_diverged_flag(members[0])
        )
        for members, comps in parts
    ]
    return pd.concat(frames, ignore_index=True)


# the flags of simulated rows whose error is +inf because the training diverged (the signal, finite
# otherwise, is +inf exactly then): the theory flags the same rows `diverged`
SIM_DIVERGED_STEPS = "diverged: a direction of a draw's training Hessian has eta x >= 2 (1 + momentum)"
SIM_DIVERGED_SGD = "diverged: the online-SGD error of a draw overflowed"
SIM_DIVERGED_MULTIPASS = "diverged: the multi-pass SGD error of a draw passed multipass.DIVERGED times its start"


def _diverged_flag(point: Point) -> str:
    """The flag of a simulated row whose error is +inf, by the point's optimizer ('' for gradient flow,
    whose infinite rows are exact infinities, flagged `infinite`)."""
    opt = point.optimizer
    if opt.kind == "sgd":
        return SIM_DIVERGED_SGD if opt.batch_sampling == ONLINE_SAMPLING else SIM_DIVERGED_MULTIPASS
    return SIM_DIVERGED_STEPS if opt.kind in ("gd", "momentum") else ""


def _simulate_group(
    group: SimGroup, seeds: list, progress: Callable[[int, int], None] | None
) -> list[tuple[list[Point], SimComponents | MultipassRuns]]:
    """(points, their per-seed components) per simulation of the group on `seeds`."""
    from .multipass import multipass_points
    from .simulate import simulate_points

    out: list[tuple[list[Point], SimComponents | MultipassRuns]] = []
    # threads=None: the caller has set the BLAS threads (workflow job, CLI --threads, API `threads`)
    for members in group_by(group.points, lambda p: p.optimizer).values():
        opt = members[0].optimizer
        if opt.kind == "sgd":  # SGD: one run per gamma; online on fresh samples, or multi-pass over the P
            run = simulate_points if opt.batch_sampling == ONLINE_SAMPLING else multipass_points
            for same_gamma in group_by(members, lambda p: p.regime.weight_decay).values():
                out.append((same_gamma, run(same_gamma, seeds, threads=None)))
            continue
        out.append((members, simulate_points(members, seeds, progress=progress, threads=None)))
    return out


def _per_seed_gibbs(points: list[Point], comps: SimComponents | MultipassRuns) -> np.ndarray:
    """Per-seed E_g of every point at its times, side by side: (seeds, rows)."""
    columns = []
    for point in points:
        regime = point.regime
        ti = np.searchsorted(comps.times, point.time_array)
        if isinstance(comps, SimComponents):
            gi = int(np.searchsorted(comps.weight_decays, regime.weight_decay))
            _, e_g = comps.errors(
                noise=regime.noise, init_var=regime.init_var, temperature=regime.temperature, gamma_index=gi
            )
        else:
            e_g, _ = comps.errors(noise=regime.noise, init_var=regime.init_var)
        columns.append(e_g[:, ti])
    return np.hstack(columns)


# a row of a simulated discrete optimizer is flagged when the seeds that diverge within the run carry more
# than this share of its seed mean
DIVERGENT_SHARE = 0.5


def divergence_flags(per_seed: np.ndarray, diverged_by: np.ndarray, diverged: str) -> tuple[np.ndarray, np.ndarray]:
    """(divergent fraction, flag) per time of per-seed errors (S, T): the fraction of seeds diverged by
    each step (infinite error, `diverged_by`); the flag `diverged` where some have (the seed mean is
    infinite), and `divergent` where the seeds that diverge later in the run carry more than
    DIVERGENT_SHARE of the seed sum."""
    n = per_seed.shape[0]
    fraction = diverged_by.mean(axis=0)
    later = diverged_by.any(axis=1)  # the seeds that diverge within the run
    flags = np.full(per_seed.shape[1], "", dtype=object)
    with np.errstate(invalid="ignore"):
        total = np.where(np.isfinite(per_seed), per_seed, 0.0).sum(axis=0)
        share = np.where(np.isfinite(per_seed[later]), per_seed[later], 0.0).sum(axis=0) / np.where(
            total > 0, total, 1.0
        )
    for i in range(per_seed.shape[1]):
        k = int(diverged_by[:, i].sum())
        if k:
            flags[i] = f"{diverged} ({k} of {n} seeds by this step; their error is inf, so is the seed mean)"
        elif later.any() and share[i] > DIVERGENT_SHARE:
            flags[i] = (
                f"divergent: {int(later.sum())} of {n} seeds diverge later in the run and carry "
                f"{share[i]:.0%} of the seed mean here"
            )
    return fraction, flags


def _imprecise(flags: np.ndarray, eg: np.ndarray, eg_sem: np.ndarray, target: float | None, n_seeds: int, cap: int):
    """Flag (in place) the unflagged rows whose relative standard error of E_g ended above the target."""
    if target is None:
        return
    from .precision import imprecise_flag

    with np.errstate(invalid="ignore", divide="ignore"):
        relative = eg_sem / eg
    for i in np.flatnonzero(np.isfinite(relative) & (relative > target) & (flags == "")):
        flags[i] = imprecise_flag(float(relative[i]), target, n_seeds, cap)


def multipass_rows(
    points: list[Point],
    runs: MultipassRuns,
    method: str,
    target: float | None = None,
    cap: int = 0,
    diverged: str = SIM_DIVERGED_MULTIPASS,
) -> pd.DataFrame:
    """Curve rows (seed mean and standard error, training error, divergent fraction) of multi-pass
    SGD runs (multipass.MultipassRuns) for the points that share them; flags as in `seed_rows`."""
    from .simulate import seed_mean_sem

    frames = []
    n_seeds = runs.test.shape[1]
    for point in points:
        ti = np.searchsorted(runs.times, point.time_array)
        test, train = runs.errors(noise=point.regime.noise, init_var=point.regime.init_var)
        test, train = test[:, ti], train[:, ti]
        fraction, flags = divergence_flags(test, runs.diverged[:, ti], diverged)
        with np.errstate(invalid="ignore", over="ignore"):
            eg, eg_sem = seed_mean_sem(test)
            tr, tr_sem = seed_mean_sem(train)
            means = [seed_mean_sem(c[:, ti])[0] for c in runs.test]
        eg_sem = np.where(np.isfinite(eg), eg_sem, np.inf)
        tr_sem = np.where(np.isfinite(tr), tr_sem, np.inf)
        _imprecise(flags, eg, eg_sem, target, n_seeds, cap)
        frames.append(
            curve_rows(
                point,
                method,
                point.times,
                means[0],
                means[1],
                means[2],
                np.zeros(ti.size),
                eg_sem=eg_sem,
                eg_mean_sem=eg_sem,
                n_seeds=n_seeds,
                flag=flags,
                train=tr,
                train_sem=tr_sem,
                divergent=fraction,
            )
        )
    return pd.concat(frames, ignore_index=True)


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
    target relative standard error, a row whose E_g ended above it is flagged `imprecise`. With
    `diverged` (discrete steps), the fraction of diverged seeds is the row's divergent_fraction, rows
    where a seed has diverged (error +inf) carry that flag instead of `infinite`, and rows dominated by
    seeds that diverge later are flagged `divergent` (divergence_flags)."""
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
        flags, divergent = np.full(len(point.times), "", dtype=object), None
        if diverged:
            # a seed has diverged where its signal, finite otherwise, is +inf (an e_g of +inf can also be
            # an exact infinity, e.g. Langevin's null-space diffusion at t = inf)
            divergent, flags = divergence_flags(e_g[:, ti], ~np.isfinite(comps.signal[:, gi, ti]), diverged)
        _imprecise(flags, eg, eg_sem, target, n_seeds, cap)
        frame = curve_rows(
            point,
            method,
            point.times,
            *means,
            eg_sem=eg_sem,
            eg_mean_sem=eg_mean_sem,
            n_seeds=n_seeds,
            flag=flags,
            divergent=divergent,
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

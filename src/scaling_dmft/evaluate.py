"""Glue between parameter points and the solvers: one chunk of points -> one curve table.

Used by the workflow scripts and by the CLI, so a single query and a sweep produce the same
rows. The solvers return error *components* that depend only on (spectrum, N, P, gamma) and
the times; noise sigma, init std sigma0 and temperature T enter linearly, so one solve serves
every (sigma, sigma0, T) that shares them.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from .components import combine, scaled
from .errors import NumericalError
from .grid import SOLVE_KEYS, SPECTRUM_KEYS, build_spectrum, seed_sequences, spectrum_name
from .simulate import SimComponents
from .tables import ROUNDOFF_REL, empty_frame

if TYPE_CHECKING:
    from .multipass import MultipassRuns

log = logging.getLogger("scaling_dmft")


def point_columns(point: dict) -> dict:
    """The point columns of a table row (tables.POINT_COLUMNS) for a parameter point."""
    return {
        "sweep": point.get("sweep", "cli"),
        "spectrum": spectrum_name(point),
        "alpha": point.get("alpha"),
        "beta": point.get("beta"),
        "teacher": point["teacher"],
        "n_modes": int(point["n_modes"]),
        "n_features": float(point["n_features"]),
        "n_samples": float(point["n_samples"]),
        "noise": float(point["noise"]),
        "regime": point["regime"],
        "weight_decay": float(point["weight_decay"]),
        "temperature": float(point["temperature"]),
        "init_std": float(point["init_std"]),
        "optimizer": point.get("optimizer", "gf"),
        "learning_rate": float(point.get("learning_rate", 0.0)),
        "momentum": float(point.get("momentum", 0.0)),
        "batch_size": float(point.get("batch_size", math.inf)),
        "batch_sampling": point.get("batch_sampling", ""),
    }


def curve_rows(
    point: dict,
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
    init_var, temp = point["init_std"] ** 2, point["temperature"]
    flags = np.broadcast_to(np.asarray(flag, dtype=object), t.shape).copy()
    components = {
        "eg_signal": np.array(signal, dtype=np.float64),
        "eg_noise": scaled(point["noise"] ** 2, noise_coef),
        "eg_init": scaled(init_var, init_coef),
        "eg_thermal": scaled(temp, thermal_coef),
    }
    _clip_roundoff(components, flags)
    # the components are already scaled: combine them with unit multipliers
    eg_mean, eg = combine(*components.values(), noise=1.0, init_var=1.0, temperature=1.0)
    not_applicable = np.full_like(t, np.nan)  # theory: no sampling, so no standard error
    frame = pd.DataFrame(
        {
            **{k: [v] * len(t) for k, v in point_columns(point).items()},
            "method": method,
            "t": t,
            "steps": t / point["learning_rate"] if point.get("learning_rate", 0.0) > 0 else np.full_like(t, np.nan),
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
        raise NumericalError(f"NaN in the {method} curve of point {json.dumps(point_columns(point), default=str)}")
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


def _group_key(point: dict) -> str:
    return json.dumps([point.get(k) for k in SOLVE_KEYS] + [list(point["times"])], default=repr)


def run_dmft_points(points: list[dict], progress_every: float = 10.0) -> pd.DataFrame:
    """Theory curves (method 'dmft') for a list of points; one solve per shared (spectrum, N, P, gamma, times)."""
    from . import dmft

    groups: dict[str, list[dict]] = {}
    for point in points:
        groups.setdefault(_group_key(point), []).append(point)
    frames, done, started, last = [], 0, time.monotonic(), time.monotonic()
    modes, prepared = {}, {}  # per spectrum of the chunk: its modes and the solver's compressed mode sums
    for members in groups.values():
        first = members[0]
        key = json.dumps([first.get(k) for k in SPECTRUM_KEYS], default=repr)
        if key not in modes:
            modes[key] = build_spectrum(first, first["n_modes"], first["teacher"]).modes()
        if key not in prepared:
            prepared[key] = dmft.prepare(modes[key])
        times = np.asarray(first["times"], dtype=np.float64)
        parts, flags = np.full((4, times.size), np.nan), np.full(times.size, "", dtype=object)
        train, divergent, reference = None, None, None
        if first.get("optimizer") == "sgd" and math.isinf(first["n_samples"]):  # online SGD: sgd.py
            from .sgd import online_theory

            spectrum = build_spectrum(first, first["n_modes"], first["teacher"])
            parts[:], diverged = online_theory(
                spectrum,
                batch_size=int(first["batch_size"]),
                learning_rate=first["learning_rate"],
                weight_decay=first["weight_decay"],
                times=times,
            )
            flags[diverged] = "diverged: online SGD (learning rate too large for the batch size)"
            frames += [curve_rows(point, "dmft", point["times"], *parts, flag=flags) for point in members]
            done += len(members)
            continue
        # finite times and the t = inf closed forms are solved apart, so a failure of one flags only its rows
        for rows in (np.isfinite(times), np.isinf(times)):
            if not rows.any():
                continue
            try:
                comps = dmft.solve(
                    prepared[key],
                    n_features=first["n_features"],
                    n_samples=first["n_samples"],
                    weight_decay=first["weight_decay"],
                    times=times[rows],
                    learning_rate=first.get("learning_rate", 0.0),
                    momentum=first.get("momentum", 0.0),
                    batch_size=first.get("batch_size", math.inf),
                    batch_sampling=first.get("batch_sampling") or "replacement",
                )
                parts[:, rows] = comps.signal, comps.noise, comps.init, comps.thermal
                if comps.flags is not None:  # discrete time: diverged / no_theory rows
                    flags[np.flatnonzero(rows)] = comps.flags
                if comps.train is not None:  # mini-batch SGD at finite P: the training error's components
                    train = np.full((3, times.size), np.nan) if train is None else train
                    train[:, rows] = comps.train
                if comps.divergent is not None:
                    divergent = comps.divergent
                if comps.reference is not None:
                    reference = np.full((3, times.size), np.nan) if reference is None else reference
                    reference[:, rows] = comps.reference
            except (NumericalError, ArithmeticError) as exc:
                log.error("DMFT failed for %s: %s", _group_key(first), exc)
                flags[rows] = f"failed: {str(exc).splitlines()[0][:200] or type(exc).__name__}"
        for point in members:
            train_error, point_flags = None, flags
            if train is not None:
                weights = np.array([1.0, point["noise"] ** 2, point["init_std"] ** 2])[:, None]
                train_error = (np.where(weights == 0.0, 0.0, train) * weights).sum(axis=0)
                point_flags = _sgd_flags(flags, weights, parts, reference)
            frames.append(
                curve_rows(
                    point, "dmft", point["times"], *parts, flag=point_flags, train=train_error, divergent=divergent
                )
            )
        done += len(members)
        if time.monotonic() - last > progress_every or done == len(points):
            log.info("dmft: %d/%d points done, %.1f s elapsed", done, len(points), time.monotonic() - started)
            last = time.monotonic()
    return pd.concat(frames, ignore_index=True) if frames else empty_frame("curve")


def _sgd_flags(flags: np.ndarray, weights: np.ndarray, parts: np.ndarray, reference: np.ndarray | None) -> np.ndarray:
    """Multi-pass SGD theory rows: gradient descent's and the SGD theory's flags, and sgd_dominated where
    SGD's noise adds more than dmft.multipass.SGD_DOMINATED to gradient descent's error at this point's
    sigma, sigma0 (docs/theory/sgd.md section 9)."""
    from .dmft.multipass import sgd_dominated

    if reference is None:  # no SGD theory (the epochs scheme): the rows carry their no_theory flag
        return flags
    with np.errstate(invalid="ignore"):
        test = (np.where(weights == 0.0, 0.0, parts[:3]) * weights).sum(axis=0)
        ref = (np.where(weights == 0.0, 0.0, reference) * weights).sum(axis=0)
    extra = sgd_dominated(test, ref)
    return np.where((flags == "") & (extra != ""), extra, flags)


def run_sim_group(group: dict, base_seed: int, progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Seed-averaged exact simulation (method 'sim') of one disorder group."""
    from .simulate import simulate

    disorder, points = group["disorder"], group["points"]
    spectrum = build_spectrum(points[0], disorder["n_modes"], disorder["teacher"])
    seeds = seed_sequences(base_seed, disorder, int(group["seeds"]))
    n_features = disorder["n_features"]
    # one simulation per optimizer, all on the same draws (the seeds are the disorder point's)
    by_optimizer: dict[tuple, list[dict]] = {}
    for point in points:
        key = (
            point.get("learning_rate", 0.0),
            point.get("momentum", 0.0),
            point.get("batch_size", math.inf),
            point.get("batch_sampling", ""),
        )
        by_optimizer.setdefault(key, []).append(point)
    frames = []
    for (eta, mu, batch, sampling), members in by_optimizer.items():
        times = np.unique(np.concatenate([np.asarray(p["times"], dtype=np.float64) for p in members]))
        if math.isfinite(batch) and not math.isinf(disorder["n_samples"]):  # multi-pass SGD (multipass.py)
            from .multipass import multipass_runs

            for gamma in sorted({p["weight_decay"] for p in members}):
                runs = multipass_runs(
                    spectrum,
                    n_features=n_features if math.isinf(n_features) else int(n_features),
                    n_samples=int(disorder["n_samples"]),
                    batch_size=int(batch),
                    learning_rate=eta,
                    weight_decay=gamma,
                    times=times,
                    seeds=seeds,
                    sampling=sampling,
                )
                frames.append(multipass_rows([p for p in members if p["weight_decay"] == gamma], runs))
            continue
        if math.isfinite(batch):  # online SGD (sgd.py): one run per weight decay
            from .sgd import online_simulate

            for gamma in sorted({p["weight_decay"] for p in members}):
                comps = online_simulate(
                    spectrum, batch_size=int(batch), learning_rate=eta, weight_decay=gamma, times=times, seeds=seeds
                )
                frames.append(seed_rows([p for p in members if p["weight_decay"] == gamma], comps, "sim"))
            continue
        comps = simulate(
            spectrum,
            n_features=n_features if math.isinf(n_features) else int(n_features),
            n_samples=int(disorder["n_samples"]),
            weight_decays=np.unique([p["weight_decay"] for p in members]),
            times=times,
            seeds=seeds,
            progress=progress,
            learning_rate=eta,
            momentum=mu,
        )
        frames.append(seed_rows(members, comps, "sim"))
    return pd.concat(frames, ignore_index=True)


# a row of a simulated discrete optimizer is flagged when the seeds that diverge within the run carry more
# than this share of its seed mean
DIVERGENT_SHARE = 0.5


def divergence_flags(per_seed: np.ndarray, diverged_by: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(divergent fraction, flag) per time of per-seed errors (S, T): the fraction of seeds diverged by
    each step (infinite error, `diverged_by`), and a flag where the seed mean is dominated by divergent
    seeds: some have diverged (the mean is infinite), or the seeds that diverge later in the run carry
    more than DIVERGENT_SHARE of the seed sum."""
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
            flags[i] = f"divergent: {k} of {n} seeds diverged by this step (their error is inf, so is the seed mean)"
        elif later.any() and share[i] > DIVERGENT_SHARE:
            flags[i] = (
                f"divergent: {int(later.sum())} of {n} seeds diverge later in the run and carry "
                f"{share[i]:.0%} of the seed mean here"
            )
    return fraction, flags


def multipass_rows(points: list[dict], runs: MultipassRuns) -> pd.DataFrame:
    """Curve rows (seed mean and standard error, training error, divergent fraction) of multi-pass
    SGD runs (multipass.MultipassRuns) for the points that share them."""
    from .simulate import seed_mean_sem

    frames = []
    n_seeds = runs.test.shape[1]
    for point in points:
        ti = np.searchsorted(runs.times, np.asarray(point["times"], dtype=np.float64))
        test, train = runs.errors(noise=point["noise"], init_var=point["init_std"] ** 2)
        test, train = test[:, ti], train[:, ti]
        fraction, flags = divergence_flags(test, runs.diverged[:, ti])
        with np.errstate(invalid="ignore", over="ignore"):
            eg, eg_sem = seed_mean_sem(test)
            tr, tr_sem = seed_mean_sem(train)
            means = [seed_mean_sem(c[:, ti])[0] for c in runs.test]
        eg_sem = np.where(np.isfinite(eg), eg_sem, np.inf)
        tr_sem = np.where(np.isfinite(tr), tr_sem, np.inf)
        frames.append(
            curve_rows(
                point,
                "sim",
                point["times"],
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


def seed_rows(points: list[dict], comps: SimComponents, method: str) -> pd.DataFrame:
    """Curve rows (seed mean and standard error) of per-seed components for the points that share
    them: the exact simulation ('sim') and training on a data set ('data', 'data_heldout')."""
    from .simulate import seed_mean_sem

    gammas, times = comps.weight_decays, comps.times
    n_seeds = comps.signal.shape[0]
    frames = []
    for point in points:
        gi = int(np.searchsorted(gammas, point["weight_decay"]))
        ti = np.searchsorted(times, np.asarray(point["times"], dtype=np.float64))
        e_mean, e_g = comps.errors(
            noise=point["noise"], init_var=point["init_std"] ** 2, temperature=point["temperature"], gamma_index=gi
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
        divergent, flags = None, ""
        if point.get("learning_rate", 0.0) > 0 and method == "sim":  # discrete steps: divergent draws are inf
            per_seed = e_g[:, ti]
            divergent, flags = divergence_flags(per_seed, ~np.isfinite(per_seed) & np.isfinite(comps.times[ti]))
        frame = curve_rows(
            point,
            method,
            point["times"],
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


def run_sim_groups(groups: list[dict], base_seed: int) -> pd.DataFrame:
    frames, started = [], time.monotonic()
    total = sum(int(g["seeds"]) for g in groups)
    done = 0
    for group in groups:
        frames.append(run_sim_group(group, base_seed, progress=_seed_progress(done, total, started)))
        done += int(group["seeds"])
    return pd.concat(frames, ignore_index=True) if frames else empty_frame("curve")

"""The Python front door: one call per question, with the names of the config and the tables.

    import scaling_dmft as sd
    sd.learning_curve(alpha=1.5, beta=2, n_samples=100, n_features=200, times=[1, 10, 100])

Every call builds a one-point workflow config from its keywords and validates it with the workflow's
own validation (scaling_dmft.config), so a value refused by a config or by the command line is
refused here with the same message, naming the keyword. Every keyword but the exponents (or a
spectrum) has the config's default (src/scaling_dmft/schemas/config.schema.yaml). Results are the
workflow's tables as pandas DataFrames (columns in docs/tables.md; provenance in `DataFrame.attrs`).
Components are errors, as in the tables (eg_noise = sigma^2 E_n(t), not the coefficient E_n).

BLAS runs on one thread per call unless `threads` says otherwise (an integer 1..1024, or None: the
threads as they are): at these sizes more threads cost more than they gain (docs/performance.md), and
one thread makes results bitwise reproducible.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .errors import InputError, real_number, whole_number
from .points import Point, SpectrumSpec
from .runlog import blas_threads
from .spectra import Spectrum

# The keywords of a query, exactly the config keys they set (and the table columns they fill).
SPECTRUM_KEYWORDS = ("alpha", "beta", "n_modes", "teacher")
SIZE_KEYWORDS = ("n_features", "n_samples")
# the learning-rate schedule of online SGD (schedules.SCHEDULE_KEYS)
SCHEDULE_KEYWORDS = ("lr_schedule", "lr_decay_factor", "lr_decay_steps", "lr_decay_power")
REGIME_KEYWORDS = (
    "weight_decay",
    "temperature",
    "init_std",
    "learning_rate",
    "momentum",
    "batch_size",
    "batch_sampling",
    *SCHEDULE_KEYWORDS,
)
QUERY_KEYWORDS = (*SPECTRUM_KEYWORDS, *SIZE_KEYWORDS, "noise", *REGIME_KEYWORDS, "regime", "times", "spectrum")
# a simulation's seeds: a fixed count, or a target precision with its cap (scaling_dmft.precision)
SEED_KEYWORDS = ("seeds", "target_rel_sem", "max_seeds")
# a placeholder power law for the validation of a query on an in-memory spectrum (replaced after it)
_PLACEHOLDER = {"alpha": [2.0], "beta": [2.0]}


def _leaf(key: str) -> str:
    """The keyword behind a config key path ('sweeps.api.n_samples[0]' -> 'n_samples')."""
    match = re.fullmatch(r"(?:.*\.)?(\w+?)((?:\[[^\]]*\])*)", key)
    leaf, index = match.groups() if match else (key, "")
    leaf = {"kind": "regime", "start": "times", "stop": "times", "count": "times", "spectrum_file": "spectrum"}.get(
        leaf, leaf
    )
    column = "" if re.fullmatch(r"(\[\d+\])*", index) else index  # keep a file column, drop a list index
    return leaf + column


def query_config(sweep: str, values: Mapping[str, Any], *, simulate: bool = False) -> dict:
    """The raw one-point workflow config of a query (`values`: keywords of QUERY_KEYWORDS, plus
    `seeds`, `base_seed` for a simulation; None or absent = the config's default). The command line
    builds its queries here too."""
    given = {k: _plain(v) for k, v in values.items() if v is not None}
    unknown = sorted(set(given) - set(QUERY_KEYWORDS) - {*SEED_KEYWORDS, "base_seed"})
    if unknown:
        raise InputError(unknown[0], given[unknown[0]], "one of " + ", ".join(QUERY_KEYWORDS), "unknown keyword")
    gamma, temperature = given.get("weight_decay", 0.0), given.get("temperature", 0.0)
    kind = given.get("regime")
    if kind is None:  # from gamma and T, as the regime kinds are defined
        positive = [_positive(v) for v in (temperature, gamma)]
        kind = "langevin" if positive[0] else ("gf_wd" if positive[1] else "gf")
    regime = {"name": str(kind), "kind": kind, "weight_decay": gamma, "temperature": temperature}
    regime.update({k: given[k] for k in REGIME_KEYWORDS if k in given and k not in ("weight_decay", "temperature")})
    sweep_entry: dict[str, Any] = {"regimes": [str(kind)], "simulate": simulate}
    for key in SIZE_KEYWORDS + ("noise",):
        if key in given:
            sweep_entry[key] = [given[key]]
    if "times" in given:
        sweep_entry["times"] = _times_entry(given["times"])
    spectrum = given.get("spectrum")
    if spectrum is not None and any(k in given for k in ("alpha", "beta")):
        raise InputError("spectrum", spectrum, "either alpha and beta or a spectrum, not both")
    for key in ("n_modes", "teacher"):  # the command line refuses --n-modes, --teacher with --spectrum-file
        if spectrum is not None and key in given:
            raise InputError(key, given[key], "absent with spectrum (the spectrum gives its modes and teacher)")
    if "batch_size" in given and "times" in given and _asks_infinity(sweep_entry["times"]):
        raise InputError(
            "times", given["times"], "finite times with batch_size (SGD reports finite steps only: no t = inf limit)"
        )
    if isinstance(spectrum, Spectrum):
        if spectrum.is_powerlaw:
            sweep_entry.update(alpha=[spectrum.alpha], beta=[spectrum.beta])
            sweep_entry.update(n_modes=spectrum.n_modes, teacher=spectrum.teacher)
        else:
            sweep_entry.update(_PLACEHOLDER, n_modes=spectrum.n_modes)
    elif spectrum is not None:
        if not isinstance(spectrum, (str, os.PathLike)):
            raise InputError("spectrum", spectrum, "a spectrum file path or a scaling_dmft.Spectrum")
        sweep_entry["spectrum_file"] = str(Path(spectrum).resolve())
    else:
        for key in ("alpha", "beta"):
            if key in given:
                sweep_entry[key] = [given[key]]
        for key in ("n_modes", "teacher"):
            if key in given:
                sweep_entry[key] = given[key]
    cfg: dict[str, Any] = {"run_name": sweep, "regimes": [regime], "sweeps": {sweep: sweep_entry}}
    if simulate:
        sweep_entry.update({k: given[k] for k in SEED_KEYWORDS if k in given})
        cfg["simulation"] = {k: given[k] for k in ("base_seed",) if k in given}
    return cfg


def _plain(value: object) -> object:
    """A numpy scalar as the Python number it holds (np.int64(64) -> 64; the config's integer keys accept
    Python integers only), in a mapping too (a `times` or `compute` mapping); anything else as given."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _asks_infinity(times: object) -> bool:
    """Whether a `times` entry names t = inf: an explicit list holding inf, or a mapping that sets
    include_inf: true (the mapping's default, left out, is not a request)."""
    if isinstance(times, Mapping):
        return times.get("include_inf") is True
    return any(isinstance(t, float) and t == math.inf for t in times)


def check_threads(threads: object, key: str = "threads") -> int | None:
    """BLAS threads of a call: None (leave them as they are) or an integer 1..MAX_THREADS (the command
    line's --threads range); else InputError naming `key`."""
    from .runlog import MAX_THREADS

    if threads is None:
        return None
    allowed = f"an integer 1..{MAX_THREADS}, or None (the BLAS threads as they are)"
    value = whole_number(threads, key, allowed)  # numpy integers included
    if not 1 <= value <= MAX_THREADS:
        raise InputError(key, threads, allowed)
    return value


def _positive(value: object) -> bool:
    """Whether a regime value is a number > 0 (a wrong type is the validation's to report)."""
    try:
        return real_number(value, "", "") > 0
    except InputError:
        return False


def _times_entry(times: object) -> dict | list:
    """A `times` keyword as the config writes it: a mapping {start, stop, count[, include_inf]}, or an
    explicit list of times."""
    if isinstance(times, Mapping):
        return dict(times)
    if isinstance(times, (str, bytes)):
        raise InputError("times", times, "a list of times t > 0 (inf allowed), or {start, stop, count}")
    try:
        values = np.atleast_1d(np.asarray(times, dtype=np.float64))
    except (TypeError, ValueError):
        raise InputError("times", times, "a list of times t > 0 (inf allowed), or {start, stop, count}") from None
    if values.ndim != 1:
        raise InputError("times", times, "a 1-D list of times")
    return [float(t) for t in values]


def query_point(sweep: str, values: Mapping[str, Any], *, simulate: bool = False) -> tuple[dict, Point]:
    """(validated one-point config, its point) of a query; InputError names the keyword."""
    from .config import validate_config
    from .grid import sweep_points

    raw = query_config(sweep, values, simulate=simulate)
    try:
        cfg = validate_config(raw)
    except InputError as err:
        raise InputError(_leaf(err.key), err.value, err.allowed, err.problem) from None
    (point,) = sweep_points(cfg, sweep)
    spectrum = values.get("spectrum")
    if isinstance(spectrum, Spectrum) and not spectrum.is_powerlaw:  # the placeholder's place
        model = replace(point.model, spectrum=SpectrumSpec.of(spectrum))
        point = replace(point, model=model)
    return cfg, point


def _provenance(cfg: dict, **extra: object) -> dict[str, str]:
    from . import tables

    return tables.provenance(cfg, config_yaml=tables.config_yaml(cfg), **extra)


def _finish(frame: pd.DataFrame, kind: str, meta: dict[str, str]) -> pd.DataFrame:
    from . import tables

    frame = tables.sort_rows(frame, kind).reset_index(drop=True)
    tables.to_table(frame, kind, meta)  # the same schema and checks as a written table
    frame.attrs = dict(meta)
    return frame


def learning_curve(
    alpha: float | None = None,
    beta: float | None = None,
    *,
    spectrum: str | os.PathLike | Spectrum | None = None,
    n_samples: float | None = None,
    n_features: float | None = None,
    n_modes: int | None = None,
    teacher: str | None = None,
    times: npt.ArrayLike | Mapping | None = None,
    noise: float | None = None,
    init_std: float | str | None = None,
    weight_decay: float | None = None,
    temperature: float | None = None,
    learning_rate: float | None = None,
    momentum: float | None = None,
    batch_size: int | None = None,
    batch_sampling: str | None = None,
    lr_schedule: str | None = None,
    lr_decay_factor: float | None = None,
    lr_decay_steps: float | None = None,
    lr_decay_power: float | None = None,
    regime: str | None = None,
    threads: int | None = 1,
) -> pd.DataFrame:
    """The DMFT theory of one parameter point: the curve table's rows (method 'dmft').

    Spectrum: `alpha`, `beta` (lambda_k = k^-alpha, c_k = k^-beta, `n_modes` M, `teacher`), or
    `spectrum` (a spectrum file with columns eigenvalue, target_power, or a `Spectrum`, e.g. from
    `scaling_dmft.spectra`). Sizes: `n_samples` P and `n_features` N (math.inf: population loss,
    kernel limit). Regime: `weight_decay` gamma, `temperature` T, `noise` sigma (label-noise std),
    `init_std` sigma0 (or 'prior': sqrt(T/gamma)); `regime` the kind (gf, gf_wd, langevin, bayes;
    default from gamma and T). Optimizer: `learning_rate` eta (0: gradient flow; > 0: gradient
    descent, times rounded to whole steps), `momentum` mu, `batch_size` B: mini-batch SGD, online on
    fresh samples at P = inf (N = inf or N < M), with `lr_schedule` constant | step (`lr_decay_factor`
    every `lr_decay_steps` steps) | power (eta (1 + k / lr_decay_steps)^-lr_decay_power); multi-pass
    over the P samples at finite P (B <= P, constant rate, T = 0), its batches drawn with
    `batch_sampling` replacement (default; the theory's) or epochs (no theory: rows flagged
    no_theory). `times`: a list (inf: the t -> infinity limit) or {start, stop, count, include_inf}.
    Every keyword left out takes the config's default (config/README.md). Units: docs/theory/model.md.

    Example:
        >>> import scaling_dmft as sd
        >>> curve = sd.learning_curve(alpha=1.5, beta=2, n_samples=100, n_features=200, times=[1, 10, 100])
        >>> curve[["t", "eg"]].round(4).to_numpy().tolist()
        [[1.0, 0.6046], [10.0, 0.1521], [100.0, 0.063]]
    """
    values = {k: v for k, v in locals().items() if k in QUERY_KEYWORDS}
    from .evaluate import run_dmft_points

    threads = check_threads(threads)
    cfg, point = query_point("api", values)
    with blas_threads(threads):
        frame = run_dmft_points([point])
    return _finish(frame, "curve", _provenance(cfg))


def simulate_curve(
    alpha: float | None = None,
    beta: float | None = None,
    *,
    spectrum: str | os.PathLike | Spectrum | None = None,
    n_samples: float | None = None,
    n_features: float | None = None,
    n_modes: int | None = None,
    teacher: str | None = None,
    times: npt.ArrayLike | Mapping | None = None,
    noise: float | None = None,
    init_std: float | str | None = None,
    weight_decay: float | None = None,
    temperature: float | None = None,
    learning_rate: float | None = None,
    momentum: float | None = None,
    batch_size: int | None = None,
    batch_sampling: str | None = None,
    lr_schedule: str | None = None,
    lr_decay_factor: float | None = None,
    lr_decay_steps: float | None = None,
    lr_decay_power: float | None = None,
    regime: str | None = None,
    seeds: int | None = None,
    target_rel_sem: float | None = None,
    max_seeds: int | None = None,
    base_seed: int | None = None,
    threads: int | None = 1,
) -> pd.DataFrame:
    """The seed-averaged exact simulation of one parameter point: the curve table's rows (method
    'sim', with standard errors `eg_sem`, `eg_mean_sem` over `seeds` draws of data and features).

    The same keywords as `learning_curve`, plus `seeds` (draws; default simulation.seeds), or
    `target_rel_sem` (draw as many seeds as a pilot says the point needs for this relative standard
    error of E_g, at most `max_seeds`; rows that end above it are flagged `imprecise`;
    scaling_dmft.precision), and `base_seed` (default simulation.base_seed): seed s of the point is
    derived from base_seed, the point's spectrum, N and P and s only (docs/reliability.md), so the
    same call gives the same rows. P must be finite, except for online SGD (a finite `batch_size`).

    Example:
        >>> import scaling_dmft as sd
        >>> sim = sd.simulate_curve(alpha=1.5, beta=2, n_samples=64, n_features=128, n_modes=500,
        ...                         times=[10.0], seeds=8)
        >>> int(sim["n_seeds"].iloc[0]), bool(sim["eg_sem"].iloc[0] > 0)
        (8, True)
    """
    values = {k: v for k, v in locals().items() if k in (*QUERY_KEYWORDS, *SEED_KEYWORDS, "base_seed")}
    from .evaluate import run_sim_group
    from .grid import SEED_RULE, SimGroup, seed_settings

    threads = check_threads(threads)
    cfg, point = query_point("api", values, simulate=True)
    group = SimGroup(point.model, (point,), **seed_settings(cfg, "api"))
    base = int(cfg["simulation"]["base_seed"])
    with blas_threads(threads):
        frame = run_sim_group(group, base)
    return _finish(frame, "curve", _provenance(cfg, seeds=f"{SEED_RULE}; base_seed={base}"))


def compute_optimal(
    alpha: float | None = None,
    beta: float | None = None,
    *,
    compute: npt.ArrayLike | Mapping | None = None,
    spectrum: str | os.PathLike | Spectrum | None = None,
    n_samples: float | None = None,
    n_modes: int | None = None,
    teacher: str | None = None,
    noise: float | None = None,
    init_std: float | str | None = None,
    weight_decay: float | None = None,
    temperature: float | None = None,
    learning_rate: float | None = None,
    momentum: float | None = None,
    regime: str | None = None,
    compute_model: str = "NT",
    tune_weight_decay: bool = False,
    n_features_range: Sequence[float] | None = None,
    n_samples_range: Sequence[float] | None = None,
    threads: int | None = 1,
) -> pd.DataFrame:
    """The compute-optimal frontier from the DMFT: for each budget C, the model size N* (and with
    compute_model 'NPT' the sample size P*; with `tune_weight_decay` the weight decay) that
    minimises E_g within the budget, with its stopping time t* and E* (the frontier table,
    docs/tables.md; docs/theory/frontier.md).

    `compute`: budgets C = N t (C = N P t with NPT), a list, or {start, stop, count} log-spaced
    (default DEFAULT_COMPUTE: 1e3 ... 1e7, 9 budgets). `n_features_range`, `n_samples_range`: the sizes searched (the atlas's
    defaults). The other keywords are those of `learning_curve` (P fixed for NT; absent for NPT).

    Example:
        >>> import math, scaling_dmft as sd
        >>> front = sd.compute_optimal(alpha=2, beta=2.5, n_samples=math.inf, n_modes=4000,
        ...                            compute=[1e4, 1e5, 1e6])
        >>> front["n_features"].round(0).tolist()
        [75.0, 166.0, 361.0]
    """
    values = {k: v for k, v in locals().items() if k in QUERY_KEYWORDS}
    from .frontier import COMPUTE_MODELS, DEFAULT_N_RANGE, DEFAULT_P_RANGE, point_frontier

    threads = check_threads(threads)
    budgets = budget_grid(DEFAULT_COMPUTE if compute is None else compute)
    if compute_model not in COMPUTE_MODELS:
        raise InputError("compute_model", compute_model, " | ".join(COMPUTE_MODELS))
    if not isinstance(_plain(tune_weight_decay), bool):  # a string "no" is truthy: it would tune
        raise InputError("tune_weight_decay", tune_weight_decay, "True or False")
    if compute_model == "NPT" and n_samples is not None:
        raise InputError("n_samples", n_samples, "absent with compute_model NPT (P is chosen)")
    if compute_model != "NPT" and n_samples_range is not None:  # as the command line's --n-samples-range
        raise InputError("n_samples_range", n_samples_range, "absent with compute_model NT (P is fixed by n_samples)")
    n_range = size_range("n_features_range", DEFAULT_N_RANGE if n_features_range is None else n_features_range)
    p_range = size_range("n_samples_range", DEFAULT_P_RANGE if n_samples_range is None else n_samples_range)
    cfg, point = query_point("api", {**values, "times": frontier_query_times(learning_rate)})
    check_frontier_point(point, tune_weight_decay, init_std)
    if compute_model == "NPT":
        point = replace(point, model=replace(point.model, n_samples=math.inf))
    with blas_threads(threads):
        frame = point_frontier(
            point,
            budgets,
            compute_model=compute_model,
            tune_weight_decay=tune_weight_decay,
            n_range=n_range,
            p_range=p_range,
        )
    meta = _provenance(cfg, compute_model=compute_model, tuned="weight_decay" if tune_weight_decay else "")
    return _finish(frame, "frontier", meta)


# the budgets of a frontier call that names none
DEFAULT_COMPUTE = {"start": 1e3, "stop": 1e7, "count": 9}
# The largest budget a frontier accepts: a parse bound far beyond any N t a DMFT solve resolves.
COMPUTE_MAX = 1e30


def budget_grid(compute: object, key: str = "compute") -> np.ndarray:
    """The budgets of a `compute` keyword: a list of budgets, or {start, stop, count} (log-spaced, both
    ends included); each 0 < C <= COMPUTE_MAX."""
    allowed = f"budgets 0 < C <= {COMPUTE_MAX:g}: a list, or {{start, stop, count}} (count an integer >= 1)"
    if isinstance(compute, Mapping):
        if set(compute) != {"start", "stop", "count"}:
            raise InputError(key, dict(compute), allowed)
        start = real_number(compute["start"], key, allowed)
        stop = real_number(compute["stop"], key, allowed)
        count = whole_number(compute["count"], key, allowed)
        if not (count >= 1 and 0 < start <= stop) or (stop > start and count < 2) or (stop == start and count != 1):
            raise InputError(key, dict(compute), allowed + ", start <= stop, count >= 2 when stop > start")
        compute = np.geomspace(start, stop, count)
    if isinstance(compute, (str, bytes)):
        raise InputError(key, compute, allowed)
    try:
        values = np.atleast_1d(np.asarray(compute, dtype=np.float64))
    except (TypeError, ValueError):
        raise InputError(key, compute, allowed) from None
    if values.ndim != 1 or values.size == 0 or not np.all((values > 0) & (values <= COMPUTE_MAX)):
        raise InputError(key, compute, allowed)
    if np.unique(values).size != values.size:  # two rows with one key, and a fit counting a budget twice
        raise InputError(key, compute, allowed + ", each budget once")
    return values


def size_range(key: str, bounds: Sequence[float]) -> tuple[float, float]:
    """[min, max] of the sizes a frontier searches (the config's frontier_size bounds)."""
    from .schema import number_range

    size = number_range("frontier_size", "N, P")
    allowed = f"[min, max] with {size.low:g} <= min < max <= {size.high:g}"
    try:
        low, high = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise InputError(key, bounds, allowed) from None
    if not (size.contains(low) and size.contains(high) and low < high):
        raise InputError(key, bounds, allowed)
    return low, high


def frontier_query_times(learning_rate: object) -> list:
    """The times of the one-point query a frontier stands for: t and N are the frontier's to choose,
    so one whole step t = eta (t = 1 for gradient flow) only lets the query pass its checks."""
    try:
        eta = real_number(learning_rate, "learning_rate", "a number >= 0") if learning_rate is not None else 0.0
    except InputError:
        return [1.0]  # the query's validation names the bad learning rate
    return [eta] if 0.0 < eta < math.inf else [1.0]


def check_frontier_point(point: Point, tune_weight_decay: bool, init_std: object) -> None:
    """What a frontier needs of its point beyond a query's checks (the atlas config checks the same)."""
    if point.regime.kind == "bayes":
        raise InputError("regime", "bayes", "gf | gf_wd | langevin (a frontier is over training time)")
    if point.optimizer.kind == "sgd":
        raise InputError(
            "batch_size", point.optimizer.batch_size, "absent: a frontier chooses N at full batch (SGD has no frontier)"
        )
    if tune_weight_decay and point.regime.weight_decay != 0:
        raise InputError("weight_decay", point.regime.weight_decay, "0 with tune_weight_decay (gamma is chosen)")
    if tune_weight_decay and init_std == "prior":
        raise InputError("init_std", "prior", "a number with tune_weight_decay (the prior needs a fixed gamma)")


def spectrum(
    alpha: float | None = None,
    beta: float | None = None,
    *,
    n_modes: int | None = None,
    teacher: str | None = None,
    file: str | os.PathLike | None = None,
    eigenvalues: npt.ArrayLike | None = None,
    target_power: npt.ArrayLike | None = None,
) -> Spectrum:
    """A spectrum: the power law (alpha, beta, n_modes M, teacher), a spectrum file (`file`: .parquet
    or .csv with columns eigenvalue, target_power), or arrays (`eigenvalues` lambda_k, non-increasing
    and > 0; `target_power` c_k >= 0). Pass it to `learning_curve(spectrum=...)`. The spectrum of a
    data set: `scaling-dmft spectrum --data ...` writes a file (docs/theory/data.md).

    Example:
        >>> import scaling_dmft as sd
        >>> s = sd.spectrum(eigenvalues=[1.0, 0.5, 0.25], target_power=[1.0, 0.1, 0.01])
        >>> s.n_modes, float(s.target_power.sum())
        (3, 1.11)
    """
    from .spectra import powerlaw, read_spectrum_file, spectrum_from_arrays

    sources = [alpha is not None or beta is not None, file is not None, eigenvalues is not None]
    if sum(sources) != 1:
        raise InputError("spectrum", None, "exactly one of: alpha and beta; file; eigenvalues and target_power")
    if file is not None:
        return read_spectrum_file(file, key="file")
    if eigenvalues is not None:
        if target_power is None:
            raise InputError("target_power", None, "an array of c_k >= 0, one per eigenvalue")
        lam, c = np.atleast_1d(eigenvalues), np.atleast_1d(target_power)
        for key, arr in (("eigenvalues", lam), ("target_power", c)):
            # numpy would silently drop an imaginary part, make True a 1 or read the text '1' as 1.0
            if arr.dtype.kind not in "iuf":
                raise InputError(key, arr.dtype.name, "real numbers (not complex, bool or text)")
        if lam.shape != c.shape or lam.ndim != 1:
            raise InputError("target_power", c.shape, f"one value per eigenvalue ({lam.shape[0]})")
        return spectrum_from_arrays(pd.DataFrame({"eigenvalue": lam, "target_power": c}), key="eigenvalues")
    from .points import DEFAULT_N_MODES, DEFAULT_TEACHER

    return powerlaw(alpha, beta, DEFAULT_N_MODES if n_modes is None else n_modes, teacher or DEFAULT_TEACHER)


def read_table(path: str | os.PathLike, kind: str | None = None) -> pd.DataFrame:
    """A table written by the workflow, the command line or `DataFrame.to_parquet` of these results:
    Parquet page checksums verified, the schema checked against `kind` (curve, fit, early_stopping,
    spectrum, frontier, ...; None: read the kind from the file), provenance in `DataFrame.attrs`.

    Example:
        >>> import scaling_dmft as sd, tempfile, os
        >>> from scaling_dmft.tables import write_table
        >>> curve = sd.learning_curve(alpha=2, beta=3, n_samples=64, times=[1.0])
        >>> path = os.path.join(tempfile.mkdtemp(), "curve.parquet")
        >>> write_table(curve, path, "curve", curve.attrs)
        >>> sd.read_table(path)["eg"].round(4).tolist() == curve["eg"].round(4).tolist()
        True
    """
    from . import tables

    return tables.read_table(path, kind)

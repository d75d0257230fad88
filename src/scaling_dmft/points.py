"""Typed parameter points: what one curve is, in one representation for every surface.

A `Point` is one learning curve: a `Model` (the spectrum, N random features, P samples: what the
random draws depend on), a `Regime` (weight decay gamma, temperature T, label noise sigma,
initialisation std sigma0), an `Optimizer` (gradient flow, gradient descent, heavy-ball momentum
or mini-batch SGD, with eta, mu, B and how batches are drawn) and the times. All are frozen and hashable, in our units
(docs/theory/model.md); a regime given in the paper's units is converted when the point is built.

One builder, `build_point`, makes points from a config regime entry; the workflow's sweeps
(grid.sweep_points), the data sets (data.compare), the atlas (atlas.frontier_point), the command
line and the Python API (scaling_dmft.api) all go through it. A point becomes a table row through
`Point.columns()` (the schema's point columns, tables.POINT_COLUMNS) and is written into workflow
params and chunk metadata as a plain mapping (`to_dict` / `from_dict`).

This module sits below the solvers: the theory (dmft/) and the simulator take these objects, and it
imports nothing from them, from the figures or from the config.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import InputError, real_number
from .schedules import CONSTANT, SCHEDULE_KEYS, Schedule
from .schema import config_schema, enum
from .spectra import Spectrum, powerlaw, read_spectrum_file

# the optimizers: gradient flow, full-batch gradient descent, heavy ball, mini-batch SGD (online at
# P = inf, multi-pass at finite P)
OPTIMIZERS = ("gf", "gd", "momentum", "sgd")
# how SGD draws its B samples per step (the point column batch_sampling): online (fresh samples, P = inf),
# or, at finite P, the config's batch_sampling: replacement (the default; the theory's) or epochs
ONLINE_SAMPLING = "online"
MULTIPASS_SAMPLINGS = enum("batch_sampling")  # replacement | epochs
DEFAULT_SAMPLING = MULTIPASS_SAMPLINGS[0]
REGIME_KINDS = enum("regime_kind")
TEACHERS = enum("teacher")

_PROPERTIES = config_schema()["properties"]
_SWEEP = _PROPERTIES["sweeps"]["additionalProperties"]["properties"]
_REGIME = _PROPERTIES["regimes"]["items"]["properties"]
# the defaults of a point's keys, read from the config schema (the one place they are written)
DEFAULT_N_MODES = int(_PROPERTIES["n_modes"]["default"])
DEFAULT_TEACHER = str(_PROPERTIES["teacher"]["default"])
DEFAULT_N_FEATURES = float(_SWEEP["n_features"]["default"][0])
DEFAULT_N_SAMPLES = float(_SWEEP["n_samples"]["default"][0])
DEFAULT_NOISE = float(_SWEEP["noise"]["default"][0])
DEFAULT_INIT_STD = float(_REGIME["init_std"]["default"])
DEFAULT_LEARNING_RATE = float(_REGIME["learning_rate"]["default"])
DEFAULT_MOMENTUM = float(_REGIME["momentum"]["default"])


@lru_cache(maxsize=64)
def _file_spectrum(path: str) -> Spectrum:
    return read_spectrum_file(path, teacher="file")


@dataclass(frozen=True)
class SpectrumSpec:
    """What fixes lambda_k and c_k: a power law (alpha, beta, M modes, teacher) or a spectrum file
    (`path`, absolute; then alpha = beta = None, teacher 'file', n_modes its rows), or a spectrum
    held in memory (`values`, e.g. from `scaling_dmft.spectrum(eigenvalues=...)`; named by `name`).

    Example:
        >>> from scaling_dmft import SpectrumSpec
        >>> spec = SpectrumSpec(alpha=1.5, beta=2.0, n_modes=1000)
        >>> spec.kind, spec.build().eigenvalues[:2].round(4).tolist()
        ('powerlaw', [1.0, 0.3536])
    """

    alpha: float | None = None
    beta: float | None = None
    n_modes: int = DEFAULT_N_MODES
    teacher: str = DEFAULT_TEACHER
    path: str | None = None
    name: str = "powerlaw"
    # an in-memory spectrum: compared and hashed through `name` and `digest`, not its arrays
    values: Spectrum | None = field(default=None, compare=False, hash=False, repr=False)
    digest: str | None = None

    def __post_init__(self) -> None:
        # floats and ints as the seed derivation and the tables write them (2 and 2.0 differ in JSON)
        for name in ("alpha", "beta"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, real_number(value, name, "a finite number"))
        object.__setattr__(self, "n_modes", int(self.n_modes))

    @classmethod
    def file(cls, path: str | Path) -> SpectrumSpec:
        """The spectrum of a file (validated here: InputError naming `spectrum_file`)."""
        resolved = str(Path(path).resolve())
        spectrum = _file_spectrum(resolved)
        return cls(n_modes=spectrum.n_modes, teacher="file", path=resolved, name=Path(resolved).name)

    @classmethod
    def of(cls, spectrum: Spectrum, name: str = "custom") -> SpectrumSpec:
        """A spectrum object: a power law keeps its (alpha, beta, M, teacher); any other is held in
        memory and identified by `name` and a digest of its values."""
        if spectrum.is_powerlaw:
            return cls(spectrum.alpha, spectrum.beta, spectrum.n_modes, spectrum.teacher)
        lam = np.ascontiguousarray(spectrum.eigenvalues, dtype=np.float64)
        c = np.ascontiguousarray(spectrum.target_power, dtype=np.float64)
        digest = hashlib.sha256(lam.tobytes() + c.tobytes()).hexdigest()[:16]
        return cls(n_modes=spectrum.n_modes, teacher=spectrum.teacher, name=name, values=spectrum, digest=digest)

    @property
    def kind(self) -> str:
        return "powerlaw" if self.alpha is not None else ("file" if self.path else "memory")

    def build(self) -> Spectrum:
        """The Spectrum object (a file is read once per process)."""
        if self.values is not None:
            return self.values
        if self.path:
            return _file_spectrum(self.path)
        return powerlaw(self.alpha, self.beta, self.n_modes, self.teacher)

    def seed_fields(self) -> dict:
        """The spectrum's part of a disorder point's seed derivation (grid.seed_sequences): a file
        counts by its name, not its folder, so a moved checkout draws the same seeds."""
        path = Path(self.path).name if self.path else self.digest
        return {
            "spectrum": "powerlaw" if self.kind == "powerlaw" else "file",
            "alpha": self.alpha,
            "beta": self.beta,
            "path": path,
            "n_modes": int(self.n_modes),
            "teacher": self.teacher,
        }


@dataclass(frozen=True)
class Model:
    """The spectrum, N random features (inf: the kernel limit) and P samples (inf: the population
    loss). One model is one disorder point: the simulator's draws depend on nothing else.

    Example:
        >>> import math
        >>> from scaling_dmft import Model, SpectrumSpec
        >>> Model(SpectrumSpec(2.0, 3.0), n_features=math.inf, n_samples=256).n_samples
        256.0
    """

    spectrum: SpectrumSpec
    n_features: float = DEFAULT_N_FEATURES
    n_samples: float = DEFAULT_N_SAMPLES

    def __post_init__(self) -> None:
        for name in ("n_features", "n_samples"):
            object.__setattr__(self, name, real_number(getattr(self, name), name, "a positive number or inf"))

    def seed_fields(self) -> dict:
        return {**self.spectrum.seed_fields(), "n_features": float(self.n_features), "n_samples": float(self.n_samples)}


@dataclass(frozen=True)
class Regime:
    """What the training sees besides the data: weight decay gamma, Langevin temperature T, label
    noise sigma and initialisation std sigma0 (all in our units; 'prior' is resolved to
    sqrt(T/gamma)). `kind` is gf | gf_wd | langevin | bayes; `name` the config's regime name.

    Example:
        >>> from scaling_dmft import Regime
        >>> Regime("langevin", weight_decay=1e-2, temperature=1e-3, noise=0.5).name
        'langevin'
    """

    kind: str = "gf"
    weight_decay: float = 0.0
    temperature: float = 0.0
    noise: float = DEFAULT_NOISE
    init_std: float = DEFAULT_INIT_STD
    name: str = ""

    def __post_init__(self) -> None:
        for name in ("weight_decay", "temperature", "noise", "init_std"):
            object.__setattr__(self, name, real_number(getattr(self, name), name, "a number >= 0"))
        if not self.name:
            object.__setattr__(self, "name", self.kind)

    @property
    def init_var(self) -> float:
        return self.init_std**2


@dataclass(frozen=True)
class Optimizer:
    """How the weights move: gradient flow (learning_rate 0, the continuous-time limit), or discrete
    steps w_{k+1} = w_k - eta grad + mu (w_k - w_{k-1}) (+ sqrt(2 eta T) xi_k for Langevin), with
    w_{-1} = w_0 and t = eta k (docs/theory/discrete.md); a finite `batch_size` B is mini-batch SGD:
    online on B fresh samples per step at P = inf (docs/theory/discrete.md section 5), multi-pass over
    the P training samples at finite P (docs/theory/sgd.md), its batches drawn as `batch_sampling`
    says: 'online', 'replacement' (B indices i.i.d. every step) or 'epochs' (a reshuffle per epoch);
    '' is resolved by the point (online at P = inf, replacement at finite P).

    Example:
        >>> from scaling_dmft import Optimizer
        >>> Optimizer(learning_rate=0.5).kind, Optimizer(0.2, momentum=0.8).kind, Optimizer(0.1, batch_size=8).kind
        ('gd', 'momentum', 'sgd')
        >>> Optimizer(learning_rate=0.5).step_times([0.1, 1.2, 7.0]).tolist()
        [0.5, 1.0, 7.0]
    """

    learning_rate: float = DEFAULT_LEARNING_RATE
    momentum: float = DEFAULT_MOMENTUM
    batch_size: float = math.inf
    # the learning rate of step k relative to eta (online SGD's; schedules.Schedule)
    schedule: Schedule = CONSTANT
    batch_sampling: str = ""

    def __post_init__(self) -> None:
        eta = real_number(self.learning_rate, "learning_rate", "a number >= 0")
        mu = real_number(self.momentum, "momentum", "a number 0 <= momentum < 1")
        batch = real_number(self.batch_size, "batch_size", "an integer B >= 1, or inf (full batch)")
        if not 0.0 <= eta < math.inf:
            raise InputError("learning_rate", self.learning_rate, "0 <= learning_rate < inf")
        if not 0.0 <= mu < 1.0:
            raise InputError("momentum", self.momentum, "0 <= momentum < 1")
        if mu > 0.0 and eta == 0.0:
            raise InputError("momentum", self.momentum, "0 with gradient flow (momentum needs a learning rate > 0)")
        if not (math.isinf(batch) or (batch >= 1 and batch.is_integer())) or batch < 1:
            raise InputError("batch_size", self.batch_size, "an integer B >= 1, or inf (full batch)")
        if math.isfinite(batch) and not (eta > 0.0 and mu == 0.0):
            raise InputError("batch_size", self.batch_size, "SGD needs learning_rate > 0 and momentum 0")
        samplings = ("", ONLINE_SAMPLING, *MULTIPASS_SAMPLINGS)
        if self.batch_sampling not in samplings:
            raise InputError("batch_sampling", self.batch_sampling, " | ".join(samplings[1:]))
        if self.batch_sampling and math.isinf(batch):
            raise InputError("batch_sampling", self.batch_sampling, "absent without batch_size (mini-batch SGD)")
        for name, value in (("learning_rate", eta), ("momentum", mu), ("batch_size", batch)):
            object.__setattr__(self, name, value + 0.0)

    @property
    def kind(self) -> str:
        """gf (learning rate 0: gradient flow), gd, momentum (heavy ball) or sgd (a finite batch)."""
        if math.isfinite(self.batch_size):
            return "sgd"
        return "gf" if self.learning_rate == 0 else ("momentum" if self.momentum > 0 else "gd")

    @property
    def discrete(self) -> bool:
        return self.learning_rate > 0.0

    def steps(self, times: npt.ArrayLike) -> np.ndarray:
        """The step counts k = t / eta of `times` (inf stays inf); they must be whole numbers."""
        k = np.asarray(times, dtype=np.float64) / self.learning_rate
        finite = np.isfinite(k)
        if np.any(np.abs(k[finite] - np.round(k[finite])) > 1e-9 * np.maximum(1.0, k[finite])):
            raise InputError("times", times, "integer multiples of the learning rate (t = eta * steps)")
        return np.where(finite, np.round(k), k)

    def step_times(self, times: npt.ArrayLike) -> np.ndarray:
        """A time grid for discrete steps: each finite t rounded to the nearest whole step k inside the
        grid's range, k_lo <= k <= k_hi (`step_range`: every row's t = eta k lies between the grid's
        first and last time), repeats dropped; t = inf kept (gradient flow: the times as given). A range
        without a whole step is refused (the config checks it first)."""
        given = np.asarray(times, dtype=np.float64)
        if not self.discrete:
            return given
        finite = given[np.isfinite(given)]
        out = np.empty(0)
        if finite.size:
            lo, hi = step_range(float(finite.min()), float(finite.max()), self.learning_rate)
            if lo > hi:
                raise InputError(
                    "times",
                    f"{finite.min():g}..{finite.max():g}",
                    f"a range that holds a whole step t = eta k, k >= 1 (eta = {self.learning_rate:g})",
                )
            out = self.learning_rate * np.unique(np.clip(np.round(finite / self.learning_rate), lo, hi))
        return np.append(out, np.inf) if np.isinf(given).any() else out


def step_range(start: float, stop: float, learning_rate: float) -> tuple[float, float]:
    """(k_lo, k_hi): the whole steps k >= 1 whose times t = eta k lie in [start, stop] (a relative 1e-9
    of slack for the float division); k_lo > k_hi when the range holds no whole step."""
    lo = max(1.0, math.ceil(start / learning_rate * (1.0 - 1e-9)))
    return lo, float(math.floor(stop / learning_rate * (1.0 + 1e-9)))


@dataclass(frozen=True)
class Point:
    """One curve: model, regime, optimizer and times (sorted as given; inf = the t -> inf limit).
    `sweep` names the config sweep it belongs to ('cli' for a command-line query, 'api' for a call of
    the Python API). `columns()` is its row in every table; the theory (`dmft.solve_point`) and the
    simulator (`simulate.simulate_points`) take it.

    Example:
        >>> import math
        >>> from scaling_dmft import Model, Point, Regime, SpectrumSpec
        >>> from scaling_dmft.dmft import solve_point
        >>> point = Point(Model(SpectrumSpec(2.0, 3.0), math.inf, 100), Regime("gf"), times=(1.0, math.inf))
        >>> solve_point(point).signal.round(4).tolist()
        [0.2831, 0.0002]
    """

    model: Model
    regime: Regime
    optimizer: Optimizer = Optimizer()
    times: tuple[float, ...] = (math.inf,)
    sweep: str = "cli"

    def __post_init__(self) -> None:
        """SGD's batch sampling is resolved with P (online at P = inf, replacement by default at finite
        P), and multi-pass SGD's limits are checked: B <= P, a constant learning rate, no Langevin noise."""
        opt, p = self.optimizer, self.model.n_samples
        if opt.kind != "sgd":
            return
        if math.isinf(p):
            if opt.batch_sampling not in ("", ONLINE_SAMPLING):
                raise InputError(
                    "batch_sampling", opt.batch_sampling, "online (or absent) at n_samples = inf (fresh samples)"
                )
            sampling = ONLINE_SAMPLING
        else:
            if opt.batch_sampling == ONLINE_SAMPLING:
                raise InputError(
                    "batch_sampling",
                    opt.batch_sampling,
                    " | ".join(MULTIPASS_SAMPLINGS) + " at a finite n_samples (online SGD needs n_samples = inf)",
                )
            if opt.batch_size > p:
                raise InputError(
                    "batch_size", opt.batch_size, f"B <= n_samples = {p:g} (multi-pass SGD draws B of the P samples)"
                )
            if opt.schedule.kind != CONSTANT.kind:
                raise InputError(
                    "lr_schedule", opt.schedule.kind, "constant for multi-pass SGD (schedules are online SGD's)"
                )
            if self.regime.temperature > 0:
                raise InputError("temperature", self.regime.temperature, "0 for multi-pass SGD (no Langevin noise)")
            sampling = opt.batch_sampling or DEFAULT_SAMPLING
        if sampling != opt.batch_sampling:
            object.__setattr__(self, "optimizer", replace(opt, batch_sampling=sampling))

    def columns(self) -> dict[str, Any]:
        """The point columns of a table row (tables.POINT_COLUMNS), in their order."""
        spec, model, regime, opt = self.model.spectrum, self.model, self.regime, self.optimizer
        return {
            "sweep": self.sweep,
            "spectrum": spec.name,
            "alpha": spec.alpha,
            "beta": spec.beta,
            "teacher": spec.teacher,
            "n_modes": int(spec.n_modes),
            "n_features": float(model.n_features),
            "n_samples": float(model.n_samples),
            "noise": float(regime.noise),
            "regime": regime.name,
            "weight_decay": float(regime.weight_decay),
            "temperature": float(regime.temperature),
            "init_std": float(regime.init_std),
            "optimizer": opt.kind,
            "learning_rate": float(opt.learning_rate),
            "momentum": float(opt.momentum),
            "batch_size": float(opt.batch_size),
            "batch_sampling": opt.batch_sampling,
            "lr_schedule": opt.schedule.describe(),
        }

    @property
    def time_array(self) -> np.ndarray:
        return np.asarray(self.times, dtype=np.float64)

    def with_times(self, times: npt.ArrayLike) -> Point:
        return replace(self, times=tuple(float(t) for t in np.asarray(times, dtype=np.float64)))

    # -- plain mappings: workflow params and chunk metadata (JSON-able, round-trip exact) --------

    def to_dict(self) -> dict[str, Any]:
        spec = self.model.spectrum
        if spec.values is not None:
            raise ValueError("a point on an in-memory spectrum has no plain form (write the spectrum to a file)")
        schedule = self.optimizer.schedule
        return {
            **self.columns(),
            "path": spec.path,
            "kind": self.regime.kind,
            "lr_decay_factor": schedule.decay_factor,
            "lr_decay_steps": schedule.decay_steps,
            "lr_decay_power": schedule.power,
            "lr_schedule": schedule.kind,  # the kind (the table column describes it with its parameters)
            "times": list(self.times),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Point:
        """The inverse of `to_dict` (also accepts a table row's point columns plus `kind`, `times`)."""
        path = data.get("path")
        spec = SpectrumSpec(
            alpha=data["alpha"],
            beta=data["beta"],
            n_modes=int(data["n_modes"]),
            teacher=data["teacher"],
            path=path,
            name=Path(path).name if path else data.get("spectrum", "powerlaw"),
        )
        return cls(
            model=Model(spec, float(data["n_features"]), float(data["n_samples"])),
            regime=Regime(
                kind=data["kind"],
                weight_decay=float(data["weight_decay"]),
                temperature=float(data["temperature"]),
                noise=float(data["noise"]),
                init_std=float(data["init_std"]),
                name=data["regime"],
            ),
            optimizer=Optimizer(
                float(data["learning_rate"]),
                float(data["momentum"]),
                float(data["batch_size"]),
                Schedule.of(data) if "lr_decay_steps" in data else CONSTANT,
                str(data.get("batch_sampling") or ""),
            ),
            times=tuple(float(t) for t in data["times"]),
            sweep=data["sweep"],
        )

    def key(self) -> str:
        """A canonical text of the point (chunk identity)."""
        return json.dumps(self.to_dict(), sort_keys=True, default=repr)


POINT_FIELD_NAMES = tuple(f.name for f in fields(Point))


def regime_init_std(regime: Mapping[str, Any]) -> float:
    """sigma0 of a config regime entry: 'prior' is sqrt(T/gamma) (the same ratio in both unit systems)."""
    if regime.get("init_std", DEFAULT_INIT_STD) == "prior":
        return math.sqrt(regime["temperature"] / regime["weight_decay"])
    return float(regime.get("init_std", DEFAULT_INIT_STD))


def build_point(
    model: Model,
    regime: Mapping[str, Any],
    *,
    noise: float,
    times: npt.ArrayLike,
    sweep: str,
) -> Point:
    """The one builder of a point from a (validated) config regime entry, at the model's P, on the
    time grid `times` (our units): a regime in the paper's units (`units: paper`) is converted with its
    P (units.from_paper); a discrete optimizer's times are whole steps (Optimizer.step_times), online
    SGD's the finite ones; bayes is the t = inf posterior only."""
    from .units import from_paper

    gamma, temperature = float(regime["weight_decay"]), float(regime["temperature"])
    if regime.get("units") == "paper":  # weight_decay is the paper's g, temperature its 1/beta
        ours = from_paper(n_samples=model.n_samples, g=gamma, beta_inv=temperature)
        gamma, temperature = ours["weight_decay"], ours["temperature"]
    optimizer = Optimizer(
        float(regime.get("learning_rate", DEFAULT_LEARNING_RATE)),
        float(regime.get("momentum", DEFAULT_MOMENTUM)),
        float(regime.get("batch_size", math.inf)),
        Schedule.of(regime) if any(key in regime for key in SCHEDULE_KEYS) else CONSTANT,
        # a regime's batch_sampling is multi-pass SGD's: at P = inf the point takes online
        regime.get("batch_sampling", "") if math.isfinite(model.n_samples) else "",
    )
    grid = optimizer.step_times(times)
    if optimizer.kind == "sgd":  # SGD: finite steps only
        grid = grid[np.isfinite(grid)]
    if regime["kind"] == "bayes":
        grid = np.array([math.inf])
    return Point(
        model=model,
        regime=Regime(
            kind=regime["kind"],
            weight_decay=gamma,
            temperature=temperature,
            noise=float(noise),
            init_std=regime_init_std(regime),
            name=regime["name"],
        ),
        optimizer=optimizer,
        times=tuple(float(t) for t in grid),
        sweep=sweep,
    )


def solve_key(point: Point) -> tuple:
    """What one theory solve depends on: the model, gamma, the optimizer and the times; one solve
    serves every (sigma, sigma0, T) of it, since they enter linearly."""
    return (point.model, point.regime.weight_decay, point.optimizer, point.times)


def group_by(points: Sequence[Point], key: Any) -> dict[Any, list[Point]]:
    """Points grouped by `key(point)`, groups and members in first-seen order."""
    groups: dict[Any, list[Point]] = {}
    for point in points:
        groups.setdefault(key(point), []).append(point)
    return groups

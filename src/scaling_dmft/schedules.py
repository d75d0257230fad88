"""Steps and learning-rate schedules of online SGD (docs/theory/discrete.md sections 5.2, 5.3): the
whole step counts k = t / eta of the times, and eta_k = eta f(k) at step k = 0, 1, ... with the base
rate eta (time is t = eta k). Shared by the theory (dmft/online.py), the simulator (sgd.py), the
parameter points (grid.py) and the config checks; a light module (numpy only)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .errors import InputError
from .schema import enum

# a schedule's rate below this fraction of eta no longer moves the weights in float64
RATE_FLOOR = 1e-40
SCHEDULES = enum("lr_schedule")
# a schedule's keys on a regime or parameter point, with the values that mean "constant", and the ones
# each kind takes (the config requires exactly those)
SCHEDULE_KEYS = {"lr_schedule": "constant", "lr_decay_factor": 1.0, "lr_decay_steps": math.inf, "lr_decay_power": 0.0}
SCHEDULE_PARAMETERS = {
    "constant": (),
    "step": ("lr_decay_factor", "lr_decay_steps"),
    "power": ("lr_decay_power", "lr_decay_steps"),
}


@dataclass(frozen=True)
class Schedule:
    """The learning rate of step k (k = 0, 1, ...) relative to its base rate eta:

    constant: 1;  step: decay_factor^floor(k / decay_steps);  power: (1 + k / decay_steps)^-power."""

    kind: str = "constant"
    decay_factor: float = 1.0
    decay_steps: float = math.inf
    power: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in SCHEDULES:
            raise InputError("lr_schedule", self.kind, " | ".join(SCHEDULES))
        if self.kind == "step" and not (0.0 < self.decay_factor <= 1.0):
            raise InputError("lr_decay_factor", self.decay_factor, "0 < factor <= 1")
        if self.kind != "constant" and not (1.0 <= self.decay_steps < math.inf):
            raise InputError("lr_decay_steps", self.decay_steps, "a finite number of steps >= 1")
        if self.kind == "power" and not (0.0 < self.power <= 10.0):
            raise InputError("lr_decay_power", self.power, "0 < power <= 10")

    @classmethod
    def of(cls, regime: dict) -> Schedule:
        """The schedule of a regime or parameter point (keys lr_schedule, lr_decay_factor, lr_decay_steps,
        lr_decay_power; absent: constant)."""
        values = {key: regime.get(key, default) for key, default in SCHEDULE_KEYS.items()}
        return cls(
            str(values["lr_schedule"]),
            float(values["lr_decay_factor"]),
            float(values["lr_decay_steps"]),
            float(values["lr_decay_power"]),
        )

    def describe(self) -> str:
        """The table column lr_schedule: 'constant', 'step F S' (eta times F every S steps) or 'power P K0'
        (eta (1 + k/K0)^-P)."""
        if self.constant:
            return "constant"
        if self.kind == "step":
            return f"step {self.decay_factor!r} {self.decay_steps!r}"
        return f"power {self.power!r} {self.decay_steps!r}"

    @property
    def constant(self) -> bool:
        return self.kind == "constant" or (self.kind == "step" and self.decay_factor == 1.0)

    def factor(self, k: npt.ArrayLike) -> np.ndarray:
        """eta_k / eta at the steps k (floats)."""
        k = np.asarray(k, dtype=np.float64)
        if self.constant:
            return np.ones_like(k)
        if self.kind == "step":
            drops = np.floor(k / self.decay_steps)
            with np.errstate(under="ignore"):
                return np.where(drops > self.last_drop(), 0.0, self.decay_factor**drops)
        return (1.0 + k / self.decay_steps) ** (-self.power)

    def factor_at(self, k: float) -> float:
        """eta_k / eta at one step (scalar, for the simulator's step loop)."""
        if self.constant:
            return 1.0
        if self.kind == "step":
            drops = math.floor(k / self.decay_steps)
            return 0.0 if drops > self.last_drop() else self.decay_factor**drops
        return (1.0 + k / self.decay_steps) ** (-self.power)

    def last_drop(self) -> float:
        """Step decay: the number of drops after which eta_k < RATE_FLOOR eta (taken as 0 after it)."""
        if self.kind != "step" or self.decay_factor == 1.0:
            return math.inf
        return math.ceil(math.log(RATE_FLOOR) / math.log(self.decay_factor))

    def breakpoints(self, k_max: float) -> np.ndarray:
        """The steps where a step schedule drops, up to k_max (blocks must not straddle them)."""
        if self.kind != "step" or self.constant:
            return np.empty(0)
        n = min(math.floor(k_max / self.decay_steps), self.last_drop() + 1)
        return self.decay_steps * np.arange(1, n + 1, dtype=np.float64)

    def block_factor(self, k: float, n: float) -> float:
        """The mean of eta_i / eta over the steps k .. k + n - 1 (one block; exact unless power-law,
        where Euler-Maclaurin with two corrections is used: error ~ p^3 / (k0 + k)^3)."""
        if self.kind != "power":
            return float(self.factor(k))
        k0, p = self.decay_steps, self.power
        x0, x1 = 1.0 + k / k0, 1.0 + (k + n) / k0

        def f(x: float) -> float:
            return x ** (-p)

        def fp(x: float) -> float:
            return -p / k0 * x ** (-p - 1.0)

        integral = k0 * (math.log(x1 / x0) if p == 1.0 else (x1 ** (1.0 - p) - x0 ** (1.0 - p)) / (1.0 - p))
        total = integral - 0.5 * (f(x1) - f(x0)) + (fp(x1) - fp(x0)) / 12.0
        return total / n

    def block_slope(self, k: float, n: float) -> float:
        """d(eta_i / eta)/di at the middle of the block k .. k + n - 1 (0 unless power-law)."""
        if self.kind != "power":
            return 0.0
        k0, p = self.decay_steps, self.power
        return -p / k0 * (1.0 + (k + 0.5 * (n - 1.0)) / k0) ** (-p - 1.0)


CONSTANT = Schedule()


def online_steps(learning_rate: float, times: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(t, k): the times and their whole step counts k = t / eta as float64 (exact integers up to 2^53,
    and no overflow beyond: 1e15 / 1e-4 is 1e19 steps)."""
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise InputError("learning_rate", learning_rate, "eta > 0 (SGD takes steps)")
    t = np.atleast_1d(np.asarray(times, dtype=np.float64))
    with np.errstate(over="ignore", invalid="ignore"):
        k = t / learning_rate
        whole = np.abs(k - np.round(k)) <= 1e-9 * np.maximum(k, 1.0)
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(k)) or np.any(t < 0) or not np.all(whole):
        raise InputError("times", times, "finite times t = eta k at whole steps k >= 0")
    return t, np.round(k)

"""User-facing errors and the combination of error components.

`InputError` is raised for every invalid user input (config key, CLI flag, spectrum file).
Its message is one line naming the key, the value and the allowed range; the CLI and the
workflow print that line and exit with status 2, never a traceback.

`NumericalError` is raised by the solvers when a result cannot be trusted (non-convergence,
ill-conditioning, overflow); they never return NaN.
"""

from __future__ import annotations

import numpy as np


class InputError(ValueError):
    """Invalid user input. `str(err)` is one line: '<key>: <problem> (allowed: <range>)'."""

    def __init__(self, key: str, value, allowed: str, problem: str | None = None):
        self.key = key
        self.value = value
        self.allowed = allowed
        self.problem = problem
        what = problem or f"invalid value {value!r}"
        super().__init__(f"{key}: {what} (allowed: {allowed})")


class NumericalError(ArithmeticError):
    """A solver failed (no convergence, overflow, loss of accuracy); message says where."""


def combine(signal, noise_coef, init_coef, thermal_coef, *, noise, init_var, temperature):
    """Combine error components into (E_mean, E_g) -- shared by theory and simulation.

    E_mean = S + sigma^2 E_n + sigma0^2 C(2t) and E_g = E_mean + T Theta(t)
    (docs/theory/model.md, docs/theory/langevin-bayes.md). Arguments broadcast.
    Zero coefficients multiply exactly to zero, so an infinite component whose
    multiplier is 0 (e.g. the null-space diffusion Theta at gamma = 0 when T = 0)
    contributes nothing.
    """

    e_mean = np.asarray(signal, dtype=np.float64) + scaled(noise**2, noise_coef) + scaled(init_var, init_coef)
    e_gibbs = e_mean + scaled(temperature, thermal_coef)
    return e_mean, e_gibbs


def scaled(scale, coef):
    """scale * coef, exactly 0 where scale == 0 (even for an infinite coefficient)."""
    coef = np.asarray(coef, dtype=np.float64)
    return np.where(scale == 0.0, 0.0, scale * np.where(scale == 0.0, 0.0, coef))

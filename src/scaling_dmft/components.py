"""The generalization error assembled from its components, for theory and simulation alike.

Both solvers return error components that depend only on (spectrum, N, P, gamma) and the times:
the noiseless error S(t), and the coefficients of the label-noise variance sigma^2, the
initialisation variance sigma0^2 and the temperature T (docs/theory/model.md,
docs/theory/langevin-bayes.md). Those three enter linearly, so one solve serves every
(sigma, sigma0, T) that shares the rest; `combine` is the one place where they are put together.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def combine(
    signal: npt.ArrayLike,
    noise_coef: npt.ArrayLike,
    init_coef: npt.ArrayLike,
    thermal_coef: npt.ArrayLike,
    *,
    noise: float,
    init_var: float,
    temperature: float,
) -> tuple[np.ndarray, np.ndarray]:
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


def scaled(scale: float, coef: npt.ArrayLike) -> np.ndarray:
    """scale * coef, exactly 0 where scale == 0 (even for an infinite coefficient)."""
    coef = np.asarray(coef, dtype=np.float64)
    return np.where(scale == 0.0, 0.0, scale * np.where(scale == 0.0, 0.0, coef))

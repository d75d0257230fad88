"""Online mini-batch SGD at P = inf, N = inf (docs/theory/discrete.md, section 5).

Each step draws B fresh Gaussian samples psi ~ N(0, Lambda) with labels psi . w* + sigma eps and
moves w <- w - eta (C_hat (w - w*) - psi^T eps sigma / B + gamma w) + sqrt(2 eta T) xi, with
C_hat = psi^T psi / B; w_0 = sigma0 * N(0, I). For Gaussian features the second moments of the error
e = w - w* close on their diagonal (Wick: E[C_hat S C_hat] = Lambda S Lambda + (Lambda S Lambda +
Lambda tr(Lambda S)) / B), so per mode, with a = 1 - eta (lambda + gamma), m = E e, S = E e^2:

    m' = a m - eta gamma w*
    S' = a^2 S + (eta^2 / B) (lambda^2 S + lambda sum_j lambda_j S_j + sigma^2 lambda)
         - 2 eta gamma w* a m + (eta gamma w*)^2 + 2 eta T,

and E_g = sum_k lambda_k S_k exactly (no large-size limit). `online_theory` iterates this for the
four components of the error (signal: S_0 = w*^2, m_0 = -w*; label noise per sigma^2; initialisation
per sigma0^2: S_0 = 1; thermal per T), each a linear recursion. `online_simulate` runs SGD itself:
per seed, four linear trajectories driven by the same batches (the error of the signal part, of unit
label noise, of a unit-variance initialisation and of unit Langevin noise); their squared Lambda
norms estimate the components without bias (the cross terms have mean zero).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .errors import InputError
from .simulate import SimComponents, seed_generator
from .spectrum import Spectrum

# the theory's iteration stops as diverged once the error exceeds this multiple of its start
DIVERGED = 1e12


def _check(batch_size: object, learning_rate: object, weight_decay: object, times: npt.ArrayLike) -> tuple:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise InputError("batch_size", batch_size, "an integer B >= 1")
    for key, value in (("learning_rate", learning_rate), ("weight_decay", weight_decay)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not value >= 0:
            raise InputError(key, value, "a number >= 0")
    if not learning_rate > 0:
        raise InputError("learning_rate", learning_rate, "eta > 0 (SGD takes steps)")
    t = np.atleast_1d(np.asarray(times, dtype=np.float64))
    steps = t / learning_rate
    if (
        t.ndim != 1
        or np.any(~np.isfinite(t))
        or np.any(t < 0)
        or np.any(np.abs(steps - np.round(steps)) > 1e-9 * np.maximum(steps, 1))
    ):
        raise InputError("times", times, "finite times t = eta k at whole steps k >= 0")
    return int(batch_size), float(learning_rate), float(weight_decay), t, np.round(steps).astype(np.int64)


def online_theory(
    spectrum: Spectrum, *, batch_size: int, learning_rate: float, weight_decay: float, times: npt.ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """(components (4, T): signal, noise per sigma^2, init per sigma0^2, thermal per T; diverged mask (T,)).

    Iterates the closed second-moment recursion of the module docstring over the spectrum's modes
    (its compressed quadrature: modes of one node share lambda, so their sums carry the node's weight)."""
    b, eta, gamma, t, steps = _check(batch_size, learning_rate, weight_decay, times)
    modes = spectrum.modes()
    lam, c, omega = modes.eigenvalues, modes.target_power, modes.weights
    a = 1.0 - eta * (lam + gamma)
    w2 = c / lam  # w*^2 per mode
    # S per mode for the four components, and the signal's mean in units of w*: m / w*
    s = np.stack([w2, np.zeros_like(lam), np.ones_like(lam), np.zeros_like(lam)])
    mean = -np.ones_like(lam)
    source = np.stack([np.zeros_like(lam), (eta * eta / b) * lam, np.zeros_like(lam), np.full_like(lam, 2.0 * eta)])
    out = np.full((4, t.size), np.nan)
    diverged = np.zeros(t.size, dtype=bool)
    order = np.argsort(steps)
    start = float((omega * lam) @ s[0]) + 1.0

    def blown() -> bool:  # the signal error left every bound: the recursion diverges
        return not np.isfinite(s).all() or float((omega * lam) @ s[0]) > DIVERGED * start

    k = 0
    for rank, i in enumerate(order):
        while k < steps[i] and not blown():
            coupling = (s * (omega * lam)).sum(axis=1)  # sum_j lambda_j S_j per component
            new = a * a * s + (eta * eta / b) * (lam * lam * s + lam * coupling[:, None]) + source
            new[0] += -2.0 * eta * gamma * a * w2 * mean + (eta * gamma) ** 2 * w2
            mean = a * mean - eta * gamma
            s = new
            k += 1
        if blown():  # this step and every later one
            diverged[order[rank:]] = True
            out[:, diverged] = np.inf
            break
        out[:, i] = s @ (omega * lam)
    return out, diverged


def online_simulate(
    spectrum: Spectrum,
    *,
    batch_size: int,
    learning_rate: float,
    weight_decay: float,
    times: npt.ArrayLike,
    seeds: Sequence[np.random.SeedSequence],
) -> SimComponents:
    """Per-seed components of online SGD with fresh Gaussian batches (module docstring); exact modes."""
    b, eta, gamma, t, steps = _check(batch_size, learning_rate, weight_decay, times)
    lam = np.asarray(spectrum.eigenvalues, dtype=np.float64)
    root = np.sqrt(lam)
    m = lam.size
    order = np.argsort(steps)
    out = np.zeros((4, len(seeds), 1, t.size))
    for s_i, seq in enumerate(seeds):
        rng = seed_generator(seq)
        w_star = np.sqrt(spectrum.target_power) / root
        if spectrum.random_teacher:
            w_star = w_star * rng.standard_normal(m)
        # columns: signal error (from w = 0), unit label noise, unit-variance init, unit Langevin noise
        err = np.zeros((m, 4))
        err[:, 0] = -w_star
        err[:, 2] = rng.standard_normal(m)
        k = 0
        for i in order:
            while k < steps[i]:
                psi = rng.standard_normal((b, m)) * root
                eps = rng.standard_normal(b)
                grad = psi.T @ (psi @ err) / b
                grad[:, 0] += gamma * (err[:, 0] + w_star)
                grad[:, 1:] += gamma * err[:, 1:]
                grad[:, 1] -= psi.T @ eps / b
                err -= eta * grad
                err[:, 3] += math.sqrt(2.0 * eta) * rng.standard_normal(m)
                k += 1
            with np.errstate(over="ignore", invalid="ignore"):
                out[:, s_i, 0, i] = lam @ (err * err)
    return SimComponents(t, np.array([gamma]), out[0], out[1], out[2], out[3])

"""The theory of online mini-batch SGD at P = inf, N = inf: the closed second-moment recursion
(docs/theory/discrete.md, section 5; the simulator is scaling_dmft.sgd)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..errors import InputError, real_number, whole_number
from ..spectra import Spectrum

# the theory's iteration stops as diverged once the error exceeds this multiple of its start
DIVERGED = 1e12


def check_sgd(batch_size: object, learning_rate: object, weight_decay: object, times: npt.ArrayLike) -> tuple:
    """(B, eta, gamma, times, steps) of an online-SGD query, or InputError naming the argument."""
    batch_size = whole_number(batch_size, "batch_size", "an integer B >= 1")
    if batch_size < 1:
        raise InputError("batch_size", batch_size, "an integer B >= 1")
    for key, value in (("learning_rate", learning_rate), ("weight_decay", weight_decay)):
        if not real_number(value, key, "a number >= 0") >= 0:
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
    b, eta, gamma, t, steps = check_sgd(batch_size, learning_rate, weight_decay, times)
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

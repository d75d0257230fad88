"""Multi-pass mini-batch SGD on a finite training set of P samples (docs/theory/discrete.md, section 6)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .errors import InputError
from .simulate import seed_generator
from .spectrum import Spectrum


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


def multipass_simulate(
    spectrum: Spectrum,
    *,
    n_samples: int,
    batch_size: int,
    learning_rate: float,
    weight_decay: float,
    noise: float,
    times: npt.ArrayLike,
    seeds: Sequence[np.random.SeedSequence],
) -> np.ndarray:
    """Per-seed error E_g (seeds, T) of multi-pass mini-batch SGD on one data set of P points per seed:
    every epoch a fresh random order, then P // B batches of B points (a remainder is left out of
    that epoch); labels psi . w* + sigma eps fixed with the data; w_0 = 0, no Langevin noise. With B = P
    this is full-batch gradient descent (docs/theory/discrete.md, section 6)."""
    b, eta, gamma, t, steps = _check(batch_size, learning_rate, weight_decay, times)
    p = int(n_samples)
    if not 1 <= b <= p:
        raise InputError("batch_size", batch_size, f"1 <= B <= P = {p}")
    lam = np.asarray(spectrum.eigenvalues, dtype=np.float64)
    root = np.sqrt(lam)
    order = np.argsort(steps)
    out = np.zeros((len(seeds), t.size))
    for s_i, seq in enumerate(seeds):
        rng = seed_generator(seq)
        w_star = np.sqrt(spectrum.target_power) / root
        if spectrum.random_teacher:
            w_star = w_star * rng.standard_normal(lam.size)
        psi = rng.standard_normal((p, lam.size)) * root
        y = psi @ w_star + noise * rng.standard_normal(p)
        w = np.zeros(lam.size)
        k, batches = 0, []
        for i in order:
            while k < steps[i]:
                if not batches:
                    perm = rng.permutation(p)
                    batches = [perm[j : j + b] for j in range(0, p - b + 1, b)][::-1]
                idx = batches.pop()
                grad = psi[idx].T @ (psi[idx] @ w - y[idx]) / b + gamma * w
                w -= eta * grad
                k += 1
            dev = w - w_star
            out[s_i, i] = lam @ (dev * dev)
    return out

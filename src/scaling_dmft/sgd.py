"""Online mini-batch SGD at P = inf, N = inf (docs/theory/discrete.md, section 5).

Each step draws B fresh Gaussian samples psi ~ N(0, Lambda) with labels psi . w* + sigma eps and
moves w <- w - eta (C_hat (w - w*) - psi^T eps sigma / B + gamma w) + sqrt(2 eta T) xi, with
C_hat = psi^T psi / B; w_0 = sigma0 * N(0, I). For Gaussian features the second moments of the error
e = w - w* close on their diagonal (Wick: E[C_hat S C_hat] = Lambda S Lambda + (Lambda S Lambda +
Lambda tr(Lambda S)) / B), so per mode, with a = 1 - eta (lambda + gamma), m = E e, S = E e^2:

    m' = a m - eta gamma w*
    S' = a^2 S + (eta^2 / B) (lambda^2 S + lambda sum_j lambda_j S_j + sigma^2 lambda)
         - 2 eta gamma w* a m + (eta gamma w*)^2 + 2 eta T,

and E_g = sum_k lambda_k S_k exactly (no large-size limit). `dmft.online.online_theory` iterates this for the
four components of the error (signal: S_0 = w*^2, m_0 = -w*; label noise per sigma^2; initialisation
per sigma0^2: S_0 = 1; thermal per T), each a linear recursion (the theory, dmft.online). `online_simulate` runs SGD itself:
per seed, four linear trajectories driven by the same batches (the error of the signal part, of unit
label noise, of a unit-variance initialisation and of unit Langevin noise); their squared Lambda
norms estimate the components without bias (the cross terms have mean zero).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .dmft.online import check_sgd
from .errors import InputError
from .simulate import SimComponents, seed_generator
from .spectra import Spectrum


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
    b, eta, gamma, t, steps = check_sgd(batch_size, learning_rate, weight_decay, times)
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
    b, eta, gamma, t, steps = check_sgd(batch_size, learning_rate, weight_decay, times)
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

"""Exact simulation of online mini-batch SGD (P = inf): docs/theory/discrete.md, section 5.

Each step draws B fresh Gaussian samples psi ~ N(0, Lambda) with labels psi . w* + sigma eps and moves
the readout a <- a - eta_k (phi^T (phi a - y) / B + gamma a) + sqrt(2 eta_k T) xi, phi = F psi / sqrt(N)
(phi = psi for N = inf), a_0 = sigma0 N(0, I), eta_k = eta times the schedule's factor at step k.

Exact in distribution through the feature eigenbasis: given F, (phi, y) is Gaussian with covariance
G_F = F Lambda F^T / N, so with the reduced factors of `simulate._factor` ([F Lambda^{1/2}; c~] ->
R, q, rho; G_F = R^T R / N) and the SVD R / sqrt(N) = V_l diag(sqrt g) V_r^T, SGD is SGD on modes g
with target powers c^ = (V_l^T q)^2 and an extra label noise of variance rho^2 (the target part no
readout reaches), E_g = rho^2 + sum_j g_j e_j^2 (N = inf: g = lambda, c^ = c~^2, rho = 0). Per seed
four linear trajectories share the batches: the error of the signal part (from a = 0, with the
residual noise rho xi), of unit label noise, of a unit-variance initialisation and of unit Langevin
noise; their squared g-norms estimate the four components without bias (cross terms have mean 0).

Random draws per seed (rng = simulate.seed_generator(seed)): 1. `prior` teacher: M normals (c~);
2. finite N: F, N x M normals; 3. the initialisation, one normal per eigen-direction; 4. per step one
array of B D + 2 B + D normals (D = N or M): the batch in the eigenbasis, the residual noise xi, the
label noise eps, the Langevin noise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import scipy.linalg as sla

from .errors import InputError
from .schedules import CONSTANT, Schedule, online_steps
from .simulate import SimComponents, _factor, _teacher, seed_generator
from .spectra import Spectrum

# Largest simulation: seeds x steps x B x D Gaussian draws (~ 10 ns each, one core), and seeds x steps
# Python steps (~ 15 us each); beyond these, the one-line refusal of `check_online_budget`
MAX_DRAWS = 2e11
MAX_SEED_STEPS = 5e7


def _check(batch_size: object, learning_rate: object, weight_decay: object, times: npt.ArrayLike) -> tuple:
    """(B, eta, gamma, times, steps): steps = t / eta, whole numbers as float64 (no integer overflow)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise InputError("batch_size", batch_size, "an integer B >= 1")
    for key, value in (("learning_rate", learning_rate), ("weight_decay", weight_decay)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not value >= 0:
            raise InputError(key, value, "a number >= 0")
    t, steps = online_steps(float(learning_rate), times)
    return int(batch_size), float(learning_rate), float(weight_decay), t, steps


def check_online_budget(n_seeds: int, max_steps: float, batch_size: int, dim: float) -> None:
    """Refuse a simulation of more than MAX_DRAWS draws or MAX_SEED_STEPS seed-steps (one line, before any
    draw): dim is the number of eigen-directions stepped (M for N = inf, min(N, M) otherwise)."""
    draws = float(n_seeds) * max_steps * batch_size * dim
    if draws > MAX_DRAWS or float(n_seeds) * max_steps > MAX_SEED_STEPS:
        raise InputError(
            "times",
            f"{max_steps:.3g} steps",
            f"seeds x steps <= {MAX_SEED_STEPS:.0e} and seeds x steps x B x D <= {MAX_DRAWS:.0e} to simulate "
            f"online SGD (here {n_seeds} x {max_steps:.3g} x {batch_size} x {dim:g} = {draws:.3g})",
        )


# the per-step draws are made in chunks of steps for all seeds at once, at most this many floats
DRAW_CHUNK_FLOATS = 1 << 22


def online_memory_bytes(n_modes: int, n_features: float, batch_size: int, n_seeds: int = 1, n_times: int = 1) -> int:
    """Peak memory of an online-SGD simulation: one seed's F (N x M) and reduced factors, all seeds'
    eigen-problems (g, c^, a*) and four trajectories, one chunk of draws (at least one step of
    B D + 2B + D normals per seed) with the batch products, and the output."""
    m = int(n_modes)
    d = m if math.isinf(n_features) else min(int(n_features), m)
    features = 0 if math.isinf(n_features) else 2 * int(n_features) * m + 3 * d * d
    per_step = batch_size * d + 2 * batch_size + d
    chunk = max(DRAW_CHUNK_FLOATS, n_seeds * per_step)
    floats = (
        features + n_seeds * 16 * d + chunk + 3 * n_seeds * (batch_size * d + 4 * batch_size) + 4 * n_seeds * n_times
    )
    return 8 * floats


def _eigen_problem(spectrum: Spectrum, n_features: float, rng: np.random.Generator):
    """(g, c^, rho^2) of one draw: the eigenvalues of G_F, the target power per eigen-direction and the
    residual (module docstring)."""
    lam = np.asarray(spectrum.eigenvalues, dtype=np.float64)
    c_tilde = _teacher(spectrum, rng)
    if math.isinf(n_features):
        return lam, c_tilde * c_tilde, 0.0
    n, m = int(n_features), lam.size
    f = rng.standard_normal((n, m))
    f *= np.sqrt(lam)
    if n < m:
        r, q, rho = _factor(f, c_tilde)
        # R R^T / N has the eigenvalues of G_F = R^T R / N and the left singular vectors of R as eigenvectors
        g, left = sla.eigh(r @ r.T / n, driver="evd", check_finite=False)
        return np.maximum(g, 0.0), (left.T @ q) ** 2, rho * rho
    # N >= M: the nonzero spectrum is that of F~^T F~ / N (M x M); every target direction is reachable
    g, vecs = np.linalg.eigh(f.T @ f / n)
    g = np.maximum(g, 0.0)
    return g, (vecs.T @ c_tilde) ** 2, 0.0


def online_simulate(
    spectrum: Spectrum,
    *,
    batch_size: int,
    learning_rate: float,
    weight_decay: float,
    times: npt.ArrayLike,
    seeds: Sequence[np.random.SeedSequence],
    n_features: float = math.inf,
    schedule: Schedule = CONSTANT,
    progress: Callable[[int, int], None] | None = None,
) -> SimComponents:
    """Per-seed components of online SGD with fresh Gaussian batches (module docstring); exact in
    distribution. The seeds are stepped together (each from its own generator, in the documented order);
    a seed whose error overflows is +inf from there on (its rows are flagged diverged upstream)."""
    b, eta, gamma, t, steps = _check(batch_size, learning_rate, weight_decay, times)
    seeds = list(seeds)
    if not seeds:
        raise InputError("seeds", seeds, "at least one SeedSequence")
    dim = spectrum.n_modes if math.isinf(n_features) else min(int(n_features), spectrum.n_modes)
    check_online_budget(len(seeds), float(steps.max()), b, dim)
    gens = [seed_generator(seq) for seq in seeds]
    problems = [_eigen_problem(spectrum, n_features, rng) for rng in gens]
    g = np.stack([p[0] for p in problems])  # (S, D)
    root_g = np.sqrt(g)
    a_star = np.sqrt(np.stack([p[1] for p in problems]) / np.where(g > 0, g, 1.0))  # the teacher's readout
    resid = np.array([p[2] for p in problems])
    n_seeds, d = g.shape
    # columns: signal error (from a = 0), unit label noise, unit-variance init, unit Langevin noise
    err = np.zeros((n_seeds, d, 4))
    err[:, :, 0] = -a_star
    err[:, :, 2] = np.stack([rng.standard_normal(d) for rng in gens])
    noise = np.zeros((n_seeds, b, 4))
    root_resid = np.sqrt(resid)[:, None]
    bd, per_step = b * d, b * d + 2 * b + d
    out = np.zeros((4, n_seeds, 1, t.size))
    order = np.argsort(steps, kind="stable")
    k, j, k_max = 0, 0, float(steps.max())
    with np.errstate(over="ignore", invalid="ignore"):
        while True:
            while j < order.size and steps[order[j]] == k:
                comps = np.einsum("sd,sdc->cs", g, err * err)
                comps[0] += resid
                out[:, :, 0, order[j]] = np.where(np.isfinite(comps), comps, np.inf)
                j += 1
            if k >= k_max:
                break
            # a chunk of steps up to the next requested step at most
            chunk = int(min(steps[order[j]] - k, max(1, DRAW_CHUNK_FLOATS // (n_seeds * per_step))))
            draws = np.empty((n_seeds, chunk, per_step))
            for s_i, rng in enumerate(gens):
                rng.standard_normal(out=draws[s_i])
            for c_i in range(chunk):
                draw = draws[:, c_i]
                rate = eta * schedule.factor_at(k)
                phi = draw[:, :bd].reshape(n_seeds, b, d)
                phi *= root_g[:, None, :]
                noise[:, :, 0] = root_resid * draw[:, bd : bd + b]
                noise[:, :, 1] = draw[:, bd + b : bd + 2 * b]
                grad = np.matmul(phi.transpose(0, 2, 1), np.matmul(phi, err) - noise)
                grad *= 1.0 / b
                grad += gamma * err
                grad[:, :, 0] += gamma * a_star
                err -= rate * grad
                err[:, :, 3] += math.sqrt(2.0 * rate) * draw[:, bd + 2 * b :]
                k += 1
            if progress is not None:
                progress(min(n_seeds, int(n_seeds * k / k_max)), n_seeds)
    return SimComponents(t, np.array([gamma]), out[0], out[1], out[2], out[3])

"""Test oracles for the exact simulator (scaling_dmft.simulate), kept out of the package.

* `draw_realization` rebuilds the explicit (Psi, F, Lambda^{1/2} w*) that `simulate()` uses for a
  given generator: the same draws in the same order (simulate.py's module docstring), plus, on the
  reduced route (finite N < M), an extra iid block drawn afterwards to complete Psi. So it has exactly
  the law N(0, Lambda) per row, and simulate()'s numbers are realization_components() of it up to
  round-off.
* `realization_components` is the closed form for one explicit draw, without the Gaussian reduction.
* `simulate_euler` is an Euler-Maruyama integration of the Langevin SDE with explicit label noise,
  initialisation and Brownian increments (small sizes only; bias O(dt)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scaling_dmft.errors import InputError
from scaling_dmft.simulate import _check_sizes, _check_times_gammas, _components, _reduced, _spectral, _teacher
from scaling_dmft.spectra import Spectrum


@dataclass
class Realization:
    """One explicit disorder draw.

    psi: (P, M) data, rows ~ N(0, Lambda); features: (N, M) iid N(0,1), None for N = inf;
    teacher: (M,) Lambda^{1/2} w* (so c_k = teacher_k^2); eigenvalues: (M,) lambda.
    """

    psi: np.ndarray
    features: np.ndarray | None
    teacher: np.ndarray
    eigenvalues: np.ndarray

    @property
    def n_samples(self) -> int:
        return self.psi.shape[0]

    @property
    def n_features(self) -> float:
        return math.inf if self.features is None else self.features.shape[0]

    @property
    def w_star(self) -> np.ndarray:
        return self.teacher / np.sqrt(self.eigenvalues)


def draw_realization(spectrum: Spectrum, *, n_features, n_samples: int, rng: np.random.Generator) -> Realization:
    """The explicit (Psi, F, Lambda^{1/2} w*) that simulate() uses for rng = seed_generator(seed_sequence).

    For the reduced route (finite N < M) Psi is rebuilt from the reduced draw plus an extra iid
    block drawn afterwards (module docstring), so it has exactly the law N(0, Lambda) per row and
    simulate()'s numbers are realization_components() of this Psi up to roundoff.
    """
    n = _check_sizes(n_features, n_samples)
    p, m = int(n_samples), spectrum.n_modes
    lam = np.asarray(spectrum.eigenvalues, dtype=np.float64)
    root_lam = np.sqrt(lam)
    c_tilde = _teacher(spectrum, rng)
    if math.isinf(n):
        z = rng.standard_normal((p, m))
        return Realization(z * root_lam, None, c_tilde, lam)
    f = rng.standard_normal((n, m))
    if not _reduced(n, m):
        z = rng.standard_normal((p, m))
        return Realization(z * root_lam, f, c_tilde, lam)
    x0 = rng.standard_normal((p, n))
    xi = rng.standard_normal(p)
    y = rng.standard_normal((p, m))
    qfull, raug = np.linalg.qr(np.column_stack([(f * root_lam).T, c_tilde]))  # M x (N+1)
    s = np.where(np.diag(raug) < 0, -1.0, 1.0)
    qfull = qfull * s
    z = np.column_stack([x0, xi]) @ qfull.T + (y - (y @ qfull) @ qfull.T)
    return Realization(z * root_lam, f, c_tilde, lam)


def realization_components(real: Realization, *, weight_decays, times):
    """Closed-form (signal, noise, init, thermal), each (G, T), for one explicit draw (no reduction)."""
    gammas, ts = _check_times_gammas(weight_decays, times)
    psi, f, c_tilde, lam = real.psi, real.features, real.teacher, real.eigenvalues
    p = psi.shape[0]
    ys = psi @ (c_tilde / np.sqrt(lam))
    if f is None:
        xs = psi / math.sqrt(p)
        metric = ("diag", lam)
        h = np.sqrt(lam) * c_tilde
    else:
        n = f.shape[0]
        xs = (psi @ f.T) / math.sqrt(n * p)
        metric = ("full", (f * lam) @ f.T / n)
        h = f @ (np.sqrt(lam) * c_tilde) / math.sqrt(n)
    spec = _spectral(xs, ys, metric, h)
    out = _components(spec, float(c_tilde @ c_tilde), p, gammas, ts)
    return out[0], out[1], out[2], out[3]


def simulate_euler(
    real: Realization,
    *,
    weight_decay: float,
    temperature: float,
    noise: float,
    init_std: float,
    times,
    dt: float,
    n_paths: int,
    rng: np.random.Generator,
) -> dict:
    """Euler-Maruyama of da = -(grad L + gamma a) dt + sqrt(2T) dB with explicit eps, a(0), dB per path.

    Each path draws its own eps and a(0); E_B v is the same recursion without the Brownian
    increments (exact for the Euler scheme of a linear SDE). Returns times, 'eg', 'eg_se',
    'eg_mean', 'eg_mean_se' (averages over paths; standard errors over paths). Bias is O(dt).
    """
    ts = np.atleast_1d(np.asarray(times, dtype=np.float64))
    steps = np.rint(ts / dt).astype(np.int64)
    if not np.all(np.isfinite(ts)) or np.any(np.abs(steps * dt - ts) > 1e-9 * np.maximum(ts, 1.0)):
        raise InputError("times", times, "finite multiples of dt")
    psi, f, c_tilde, lam = real.psi, real.features, real.teacher, real.eigenvalues
    p = psi.shape[0]
    w_star = c_tilde / np.sqrt(lam)
    x = psi if f is None else psi @ f.T / math.sqrt(f.shape[0])  # design (P x D)
    dim = x.shape[1]
    kmat = x.T @ x / p
    y = (psi @ w_star)[:, None] + noise * rng.standard_normal((p, n_paths))
    b = x.T @ y / p
    a = init_std * rng.standard_normal((dim, n_paths))
    a_mean = a.copy()

    def err(state):
        v = state if f is None else f.T @ state / math.sqrt(f.shape[0])
        diff = v - w_star[:, None]
        return lam @ (diff * diff)

    amp = math.sqrt(2.0 * temperature * dt)
    eg = np.empty((ts.size, n_paths))
    egm = np.empty((ts.size, n_paths))
    order = np.argsort(steps)
    k = 0
    for step in range(int(steps.max()) + 1):
        while k < order.size and steps[order[k]] == step:
            eg[order[k]] = err(a)
            egm[order[k]] = err(a_mean)
            k += 1
        if k == order.size:
            break
        a = a - dt * (kmat @ a - b + weight_decay * a)
        if temperature > 0:
            a += amp * rng.standard_normal((dim, n_paths))
        a_mean = a_mean - dt * (kmat @ a_mean - b + weight_decay * a_mean)
    root = math.sqrt(n_paths)
    return {
        "times": ts,
        "eg": eg.mean(axis=1),
        "eg_se": eg.std(axis=1, ddof=1) / root,
        "eg_mean": egm.mean(axis=1),
        "eg_mean_se": egm.std(axis=1, ddof=1) / root,
    }

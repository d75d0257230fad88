"""Exact finite-size simulation of Langevin / gradient-flow training of linear random features.

Model and names: docs/theory/model.md; exact per-realisation decomposition: docs/theory/dmft.md
("Exact reduction") and docs/theory/langevin-bayes.md ("Exact decomposition for one realisation"). For one realisation of (Psi, F, w*) everything is a quadratic form in the
linear OU process da = -(K_a a - b + gamma a) dt + sqrt(2T) dB, and, exactly,

    E_mean(t) = S(t) + sigma^2 Nz(t) + sigma0^2 C(2t),   E_g(t) = E_mean(t) + T Theta(t),

with S the noiseless (sigma = 0, a0 = 0, T = 0) error, Nz the eps-averaged label-noise part,
C(u) = tr[G_F e^{-(K_a+gamma)u}] and Theta(t) = tr[G_F (1 - e^{-2(K_a+gamma)t})/(K_a+gamma)].
The averages over eps, a(0) and the Brownian motion are done analytically (Rao-Blackwell); only
(Psi, F, and the `prior` teacher) are Monte Carlo.

Method (one realisation)
------------------------
Write the problem generically as a linear model with design X (P x D), population metric G (D x D),
cross vector h and targets y_s = Psi w*: for finite N, X = Psi F^T / sqrt(N), G = G_F = F Lambda F^T / N,
h = F Lambda w* / sqrt(N); for N = inf, X = Psi, G = Lambda, h = Lambda w*. Then K_a = X^T X / P and
the error of a is a^T G a - 2 a^T h + |Lambda^{1/2} w*|^2.

* One `eigh` of the smaller Gram: K_a (D x D) when D <= P, else X X^T / P (P x P), whose eigenvectors
  give an orthonormal basis of range(K_a). Its complement (the exact null space) enters only through the
  scalar g_null = tr G - tr(G restricted to the range), handled analytically (C: g_null e^{-2 gamma t},
  Theta: g_null (1 - e^{-2 gamma t})/gamma -> 2t g_null at gamma = 0). Eigenvalues d < 1e-11 d_max are
  moved to the null space (their b-components are roundoff and would be amplified by phi_t ~ t);
  g_null < 1e-12 tr G is roundoff and set to 0 (e.g. N > M with P >= M: null(K_a) = null(G_F)).
* In the eigenbasis (range part, r directions): G~ = U^T G U, h~ = U^T h, b~ = U^T X^T y_s / P. With
  x = d + gamma and phi(x, t) = (1 - e^{-xt})/x = -expm1(-xt)/x (= t at x = 0, = 1/x at t = inf):
      S(t)     = |c~|^2 - 2 h~ . (phi b~) + (phi b~)^T G~ (phi b~)
      Nz(t)    = (1/P) sum_j d_j phi_j(t)^2 G~_jj
      C(2t)    = sum_j G~_jj e^{-2 x_j t} + g_null e^{-2 gamma t}
      Theta(t) = sum_j G~_jj phi(x_j, 2t) + g_null phi(gamma, 2t)
  vectorised over modes and times; the eigendecomposition serves every gamma and every time.
  In the reduced route below (G = L^T L, h = L^T q, |c~|^2 = |q|^2 + rho^2) the signal is evaluated as
  S(t) = |L U (phi b~) - q|^2 + rho^2, a sum of squares without cancellation; elsewhere the dense
  form above is used (roundoff-negative values, ~1e-16 |c~|^2, are clipped to 0).
* Finite N < M uses an exact Gaussian reduction, so nothing of size P x M is ever drawn or multiplied.
  With Psi = Z Lambda^{1/2} (Z iid N(0,1)), F~ = F Lambda^{1/2} and the QR factorisation
  [F~^T, c~] = [Q, u] [[R, q], [0, rho]] (c~ = Lambda^{1/2} w*; R upper triangular, positive diagonal):
  X0 = Z Q is P x N iid N(0,1), xi = Z u is iid N(0, I_P) and independent of X0, and
      Psi F^T = X0 R,   G_F = R^T R / N,   h = R^T q / sqrt(N),   Psi w* = X0 q + rho xi.
  R is the Cholesky factor of the N x N Gram F~ F~^T (one symmetric rank-k update, dsyrk: N^2 M flops,
  half of the P x M x N product Psi F^T); q and rho come from the least-squares problem
  min |c~ - F~^T a| (rho = the residual norm, computed directly, q = R a). When the Gram is too
  ill-conditioned for Cholesky, a Householder QR of [F~^T, c~] gives the same R, q, rho stably.
  This is exact in distribution; the test oracle `draw_realization` (tests/oracles.py) rebuilds the explicit Psi that the reduced draw
  corresponds to (Z = [X0, xi][Q, u]^T + Y (I - [Q,u][Q,u]^T) with an extra iid Y), so explicit-draw
  checks remain possible (tests compare simulate() against the explicit formulas on that Psi).

Random draws (fixed order; rng = seed_generator(seed_sequence); independent of thread count):
  1. `prior` teacher only: g = rng.standard_normal(M); c~ = sqrt(c) * g   (else c~ = sqrt(c)).
  2. finite N: F = rng.standard_normal((N, M)).
  3a. finite N < M (reduced):  X0 = rng.standard_normal((P, N)); xi = rng.standard_normal(P);
      [tests/oracles.py draw_realization only, afterwards: Y = rng.standard_normal((P, M)) to complete Psi].
  3b. otherwise (N = inf or N >= M): Z = rng.standard_normal((P, M)); Psi = Z * sqrt(lambda).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.linalg as sla
from scipy.linalg.blas import dsyrk

from .components import combine
from .errors import InputError, NumericalError, real_number, whole_number
from .points import Optimizer, Point
from .runlog import blas_threads
from .spectra import Spectrum

# eigenvalues below this fraction of the largest are treated as exact zeros (null space)
NULL_THRESHOLD = 1e-11
# Cholesky of the feature Gram is used when min/max of diag(R) exceeds this; else Householder QR
CHOLESKY_MIN_DIAG_RATIO = 1e-6
# null-space G-weight below this fraction of tr G is treated as roundoff (exactly 0)
GNULL_ROUNDOFF = 1e-12
# LAPACK driver of the symmetric eigendecomposition (divide and conquer: fastest here for 256..1024)
EIGH_DRIVER = "evd"


# --------------------------------------------------------------------------------------------
# public containers
# --------------------------------------------------------------------------------------------


@dataclass
class SimComponents:
    """Per-seed error components; arrays are (seeds, weight decays, times)."""

    times: np.ndarray  # (T,), t = inf allowed
    weight_decays: np.ndarray  # (G,)
    signal: np.ndarray  # (S, G, T) per-seed S(t)
    noise: np.ndarray  # (S, G, T) per-seed Nz(t), per unit sigma^2
    init: np.ndarray  # (S, G, T) per-seed C(2t), per unit sigma0^2
    thermal: np.ndarray  # (S, G, T) per-seed Theta(t), per unit T

    def errors(
        self, *, noise: float, init_var: float, temperature: float, gamma_index: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per-seed (E_mean, E_g), each (S, T), via scaling_dmft.components.combine."""
        g = gamma_index
        return combine(
            self.signal[:, g],
            self.noise[:, g],
            self.init[:, g],
            self.thermal[:, g],
            noise=noise,
            init_var=init_var,
            temperature=temperature,
        )


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------


def _check_sizes(n_features: object, n_samples: object) -> float | int:
    if whole_number(n_samples, "n_samples", "a positive integer") < 1:
        raise InputError("n_samples", n_samples, "a positive integer")
    if real_number(n_features, "n_features", "a positive integer or inf") == math.inf:
        return math.inf
    n = whole_number(n_features, "n_features", "a positive integer or inf")
    if n < 1:
        raise InputError("n_features", n_features, "a positive integer or inf")
    return n


def _check_times_gammas(weight_decays: npt.ArrayLike, times: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    gammas = np.atleast_1d(np.asarray(weight_decays, dtype=np.float64))
    ts = np.atleast_1d(np.asarray(times, dtype=np.float64))
    if gammas.ndim != 1 or gammas.size == 0 or not np.all(np.isfinite(gammas)) or np.any(gammas < 0):
        raise InputError("weight_decays", weight_decays, "a non-empty list of finite numbers >= 0")
    if ts.ndim != 1 or ts.size == 0 or np.any(np.isnan(ts)) or np.any(ts < 0):
        raise InputError("times", times, "a non-empty list of numbers >= 0 (inf allowed)")
    return gammas, ts


# --------------------------------------------------------------------------------------------
# draws
# --------------------------------------------------------------------------------------------


def _teacher(spectrum: Spectrum, rng: np.random.Generator) -> np.ndarray:
    root_c = np.sqrt(spectrum.target_power)
    if spectrum.random_teacher:
        return root_c * rng.standard_normal(spectrum.n_modes)
    return root_c.copy()


def _reduced(n_features: float, n_modes: int) -> bool:
    return not math.isinf(n_features) and n_features < n_modes


def _factor(ft: np.ndarray, c_tilde: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """R (upper, positive diagonal), q, rho with [ft^T, c~] = [Q, u][[R, q], [0, rho]]; ft = F Lambda^{1/2}."""
    gram = dsyrk(1.0, ft.T, trans=1, lower=0)  # upper triangle of ft ft^T (ft.T is Fortran-contiguous)
    try:
        r = sla.cholesky(gram, lower=False, overwrite_a=True, check_finite=False)
        diag = np.abs(np.diag(r))
        ok = np.all(np.isfinite(r)) and diag.min() > CHOLESKY_MIN_DIAG_RATIO * diag.max()
    except np.linalg.LinAlgError:
        ok = False
    if ok:
        # least squares min |c~ - ft^T a| with one step of iterative refinement; rho = residual norm
        a = sla.cho_solve((r, False), ft @ c_tilde, check_finite=False)
        resid = c_tilde - ft.T @ a
        a += sla.cho_solve((r, False), ft @ resid, check_finite=False)
        resid = c_tilde - ft.T @ a
        return r, r @ a, float(np.sqrt(resid @ resid))
    # stable fallback: Householder QR of [ft^T, c~] (M x (N+1)); same R, q, rho after sign fixing
    raug = sla.qr(np.column_stack([ft.T, c_tilde]), mode="r", check_finite=False)[0]
    n = ft.shape[0]
    s = np.where(np.diag(raug)[:n] < 0, -1.0, 1.0)
    r = s[:, None] * raug[:n, :n]
    q = s * raug[:n, n]
    rho = abs(raug[n, n]) if raug.shape[0] > n else 0.0
    return r, q, float(rho)


# --------------------------------------------------------------------------------------------
# core: components from (design, metric, cross vector, targets)
# --------------------------------------------------------------------------------------------


def _sym_full(upper: np.ndarray) -> np.ndarray:
    """Full symmetric matrix from an upper-triangular (dsyrk) result."""
    out = np.triu(upper)
    out += np.triu(upper, 1).T
    return out


def _ata(a: np.ndarray) -> np.ndarray:
    """Lower triangle of a^T a via dsyrk, without copying a C- or Fortran-contiguous a."""
    if a.flags.c_contiguous:
        return dsyrk(1.0, a.T, trans=0, lower=1)  # a.T is Fortran-contiguous: (a.T)(a.T)^T
    return dsyrk(1.0, np.asfortranarray(a), trans=1, lower=1)


def _sandwich(metric: tuple[str, np.ndarray], w: np.ndarray) -> np.ndarray:
    """w^T G w (symmetric, full) for metric ('diag', g) | ('factor', L) [G = L^T L] | ('full', G)."""
    kind, val = metric
    if kind == "diag":
        lw = w * np.sqrt(val)[:, None]
    elif kind == "factor":
        lw = val @ w
    else:
        return w.T @ (val @ w)
    return _sym_full(dsyrk(1.0, np.asfortranarray(lw), trans=1, lower=0))


def _trace(metric: tuple[str, np.ndarray]) -> float:
    kind, val = metric
    if kind == "diag":
        return float(np.sum(val))
    if kind == "factor":
        return float(np.einsum("ij,ij->", val, val))
    return float(np.trace(val))


def _phi(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(1 - e^{-x t})/x, outer in (x, t); exact at x -> 0 (= t) and t = inf (= 1/x, inf at x = 0)."""
    x = x[:, None]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        xt = np.where(x == 0.0, 0.0, x * t[None, :])
        val = -np.expm1(-xt) / np.where(x == 0.0, 1.0, x)
    return np.where(x == 0.0, np.broadcast_to(t[None, :], val.shape), val)


def _decay(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """e^{-x t}, outer; 1 where x = 0 (also at t = inf)."""
    x = x[:, None]
    with np.errstate(invalid="ignore", over="ignore"):
        xt = np.where(x == 0.0, 0.0, x * t[None, :])
    return np.exp(-xt)


def _matrix_powers(mats: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """mats^k for every k in `steps` (finite non-negative integers): (T, r, m, m), by squaring."""
    out = np.broadcast_to(np.eye(mats.shape[-1]), (steps.size, *mats.shape)).copy()
    k = steps.astype(np.int64)
    square = mats.copy()
    while np.any(k > 0):
        odd = (k & 1).astype(bool)
        if odd.any():
            out[odd] = out[odd] @ square
        k >>= 1
        if np.any(k > 0):
            with np.errstate(over="ignore", invalid="ignore"):
                square = square @ square
    return out


def discrete_filters(x: np.ndarray, steps: np.ndarray, opt: Optimizer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(phi, decay, theta), each (len(x), T), for one direction of curvature x = d + gamma after k steps:
    the mean weight per unit force phi_k = (1 - R_k(x))/x, the squared decay R_k(x)^2 of the initial
    weights, and the Langevin variance per unit T, theta_k = 2 eta sum_{m=1..k} h_m(x)^2, where
    R_k, h_k solve e_{k+1} = (1 + mu - eta x) e_k - mu e_{k-1} with (R_0, R_-1) = (1, 1) and
    (h_1, h_0) = (1, 0). Their continuous counterparts are (1 - e^{-xt})/x, e^{-2xt}, (1 - e^{-2xt})/x.
    Unstable directions (eta x >= 2 (1 + mu)) diverge: inf for k >= 1. k = inf: the stationary values."""
    eta, mu = opt.learning_rate, opt.momentum
    x = np.asarray(x, dtype=np.float64)[:, None]
    k = np.asarray(steps, dtype=np.float64)[None, :]
    finite = np.isfinite(k)
    kf = np.where(finite, k, 0.0)
    unstable = eta * x >= 2.0 * (1.0 + mu)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if mu == 0.0:
            r = 1.0 - eta * x
            # r^k and r^2k as exp of logs where r > 0 (accurate 1 - r^k for tiny eta x), directly otherwise
            log_r = np.log1p(-eta * np.minimum(x, 1.0 / eta))
            rk = np.where(r > 0, np.exp(kf * log_r), r**kf)
            one_minus_rk = np.where(r > 0, -np.expm1(kf * log_r), 1.0 - rk)
            one_minus_r2k = np.where(r > 0, -np.expm1(2.0 * kf * log_r), 1.0 - rk * rk)
            phi = np.where(x == 0.0, eta * kf, one_minus_rk / np.where(x == 0.0, 1.0, x))
            decay = rk * rk
            theta = np.where(
                x == 0.0, 2.0 * eta * kf, 2.0 * one_minus_r2k / np.where(x == 0.0, 1.0, x * (2.0 - eta * x))
            )
        else:
            b = (1.0 + mu - eta * x)[:, 0]
            ones, zeros = np.ones_like(b), np.zeros_like(b)
            # (a_k, a_{k-1}, 1) with a_{k+1} = b a_k - mu a_{k-1} + eta: a_k = phi_k from (0, 0, 1); R_k from (1, 1, 0)
            m3 = np.stack(
                [
                    np.stack([b, -mu * ones, eta * ones], -1),
                    np.stack([ones, zeros, zeros], -1),
                    np.stack([zeros, zeros, ones], -1),
                ],
                -2,
            )
            p3 = _matrix_powers(m3, kf[0])  # (T, r, 3, 3)
            phi = p3[..., 0, 2].T
            decay = ((p3[..., 0, 0] + p3[..., 0, 1]) ** 2).T
            # (h_m^2, h_m h_{m-1}, h_{m-1}^2, S_m = sum_{j<=m} h_j^2) from m = 1: (1, 0, 0, 1); theta_k = 2 eta S_k
            m4 = np.stack(
                [
                    np.stack([b * b, -2.0 * b * mu, mu * mu * ones, zeros], -1),
                    np.stack([b, -mu * ones, zeros, zeros], -1),
                    np.stack([ones, zeros, zeros, zeros], -1),
                    np.stack([b * b, -2.0 * b * mu, mu * mu * ones, ones], -1),
                ],
                -2,
            )
            p4 = _matrix_powers(m4, np.maximum(kf[0] - 1.0, 0.0))
            theta = np.where(kf > 0, 2.0 * eta * (p4[..., 3, 0] + p4[..., 3, 3]).T, 0.0)
        stat_phi = 1.0 / x
        stat_theta = 2.0 * (1.0 + mu) / ((1.0 - mu) * x * (2.0 + 2.0 * mu - eta * x))
    phi = np.where(finite, phi, stat_phi)
    decay = np.where(finite, decay, np.where(x == 0.0, 1.0, 0.0))
    theta = np.where(finite, theta, np.where(x == 0.0, np.inf, stat_theta))
    bad = unstable & (k >= 1)
    return np.where(bad, np.inf, phi), np.where(bad, np.inf, decay), np.where(bad, np.inf, theta)


def _spectral(
    xs: np.ndarray,
    ys: np.ndarray,
    metric: tuple[str, np.ndarray],
    h: np.ndarray,
    target: tuple[np.ndarray, float] | None = None,
    rows: bool = False,
) -> dict:
    """Eigen-data of one realisation (range part of K_a, r directions).

    xs = X / sqrt(P) (P x D); K_a = xs^T xs; b_s = xs^T ys / sqrt(P); G from `metric`, cross vector h.
    ys (P,) and h (D,) may be (P, J) and (D, J), J targets: then bt and ht have one column per target.
    If `target` = (q, rho) is given, the metric must be ('factor', L) with h = L^T q and
    |c~|^2 = |q|^2 + rho^2; then S = |L U phi b~ - q|^2 + rho^2 is evaluated without cancellation.
    Returns d (r,), bt = U^T b_s (r,), gdiag = diag(U^T G U) (r,), gnull, and either
    lt = L U (k x r) with q, rho, or gt = U^T G U (r x r) with ht = U^T h. With `rows`, also
    xu = xs U (P x r), the training rows in the eigenbasis (xu^T xu = diag(d)).
    """
    p, dim = xs.shape
    factor = target is not None
    if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys)) and np.all(np.isfinite(h))):
        raise NumericalError("simulate: non-finite entries in the data-feature product (overflow in the draw)")
    if dim <= p:
        kmat = _ata(xs)  # lower triangle of xs^T xs
        d, u = sla.eigh(kmat, lower=True, check_finite=False, overwrite_a=True, driver=EIGH_DRIVER)
        keep = d > NULL_THRESHOLD * (d[-1] if d.size else 0.0)
        bt = (u.T @ (xs.T @ ys))[keep] / math.sqrt(p)
        if factor:
            lt_all = metric[1] @ u
            gd_all = np.einsum("ij,ij->j", lt_all, lt_all)
            out = {"lt": lt_all[:, keep]}
        else:
            gt = _sandwich(metric, u)
            gd_all = np.diag(gt).copy()
            out = {"gt": gt[np.ix_(keep, keep)], "ht": (u.T @ h)[keep]}
        if rows:
            out["xu"] = xs @ u[:, keep]
        gd_all = np.maximum(gd_all, 0.0)  # diag of a PSD matrix; removes -1e-17 roundoff
        gnull = float(np.sum(gd_all[~keep]))
        d, gdiag = d[keep], gd_all[keep]
    else:
        kp = _ata(xs.T)  # lower triangle of xs xs^T
        d, v = sla.eigh(kp, lower=True, check_finite=False, overwrite_a=True, driver=EIGH_DRIVER)
        keep = d > NULL_THRESHOLD * (d[-1] if d.size else 0.0)
        d, v = d[keep], v[:, keep]
        inv_root = 1.0 / np.sqrt(d)
        # ys (and h) may hold several targets as columns (scaling_dmft.data trains all classes at once)
        col = (slice(None),) + (None,) * (np.ndim(ys) - 1)
        bt = np.sqrt(d)[col] * (v.T @ ys) / math.sqrt(p)
        if factor:
            # L U_r with U_r = xs^T v d^{-1/2} (orthonormal basis of range K_a)
            lt = ((metric[1] @ xs.T) @ v) * inv_root
            gdiag = np.einsum("ij,ij->j", lt, lt)
            out = {"lt": lt}
        else:
            a = _sandwich(metric, xs.T)  # xs G xs^T (P x P)
            gt = (v.T @ a @ v) * inv_root[:, None] * inv_root[None, :]
            gdiag = np.maximum(np.diag(gt), 0.0)
            out = {"gt": gt, "ht": inv_root[col] * (v.T @ (xs @ h))}
        gnull = _trace(metric) - float(np.sum(gdiag))
        if rows:
            out["xu"] = v * np.sqrt(d)  # xs U_r = xs xs^T v d^{-1/2} = v d^{1/2}
    # G-weight of the null space below GNULL_ROUNDOFF tr G is roundoff (e.g. N >= M with P >= M: the null
    # space of K_a is also null for G_F); set it to 0 so that Theta(inf) at gamma = 0 is not +inf by accident
    if gnull < GNULL_ROUNDOFF * _trace(metric):
        gnull = 0.0
    if factor:
        out["q"], out["rho"] = target
    out.update(d=d, bt=bt, gdiag=gdiag, gnull=gnull)
    return out


def _filters(x: np.ndarray, ts: np.ndarray, opt: Optimizer | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(phi, decay, theta) of `discrete_filters`, or their gradient-flow forms at times ts."""
    if opt is not None and opt.discrete:
        return discrete_filters(x, opt.steps(ts), opt)
    return _phi(x, ts), _decay(x, 2.0 * ts), _phi(x, 2.0 * ts)


def _components(spec: dict, c2: float, p: int, gammas: np.ndarray, ts: np.ndarray, opt: Optimizer | None = None):
    d, bt, gdiag, gnull = spec["d"], spec["bt"], spec["gdiag"], spec["gnull"]
    ng, nt = gammas.size, ts.size
    out = np.empty((4, ng, nt))
    diverged = np.zeros((ng, nt), dtype=bool)
    for i, gamma in enumerate(gammas):
        x = d + gamma
        phi, decay, theta = _filters(x, ts, opt)  # (r, T) each
        if opt is not None and opt.discrete:
            # a direction past the stability edge diverges: the whole error is +inf at those steps
            # (t = inf included: there is no stationary state to reach)
            diverged[i] = ~np.isfinite(phi).all(axis=0)
            keep = ~diverged[i]
            phi, decay, theta = (np.where(keep, a, 0.0) for a in (phi, decay, theta))
        beta = phi * bt[:, None]
        if "lt" in spec:
            res = spec["lt"] @ beta - spec["q"][:, None]
            out[0, i] = np.einsum("kt,kt->t", res, res) + spec["rho"] ** 2
        else:
            # dense form (explicit route, N = inf, N >= M): cancellation can leave -1e-16 * c2; S >= 0 exactly
            sig = c2 - 2.0 * (spec["ht"] @ beta) + np.einsum("jt,jt->t", beta, spec["gt"] @ beta)
            out[0, i] = np.maximum(sig, 0.0)
        out[1, i] = ((d * gdiag) @ (phi * phi)) / p
        _, null_decay, null_theta = _filters(np.array([gamma]), ts, opt)
        out[2, i] = gdiag @ decay + gnull * null_decay[0]
        nul = gnull * null_theta[0] if gnull > 0 else np.zeros(nt)
        out[3, i] = gdiag @ theta + nul
        out[:, i, diverged[i]] = np.inf
    # the exact answer is finite except Theta at t = inf with gamma = 0 and a null space, and a
    # discrete optimizer past its stability edge
    allowed = diverged.copy()
    allowed[np.ix_(gammas == 0.0, np.isinf(ts))] = True
    if opt is not None and opt.discrete:
        allowed[:, np.isinf(ts)] |= ~np.isfinite(out[:, :, np.isinf(ts)]).all(axis=0).any(axis=0)
    bad = (
        (~np.isfinite(out[:3]).all(axis=0) & ~diverged) | (~np.isfinite(out[3]) & ~allowed) | np.isnan(out).any(axis=0)
    )
    if bad.any():
        gi, ti = np.argwhere(bad)[0]
        raise NumericalError(
            f"simulate: non-finite error component at weight_decay={gammas[gi]}, t={ts[ti]} "
            f"(eigenvalue range [{d.min() if d.size else 0}, {d.max() if d.size else 0}])"
        )
    return out


# --------------------------------------------------------------------------------------------
# simulate
# --------------------------------------------------------------------------------------------


def _seed_spectral(
    spectrum: Spectrum, n: float, p: int, rng: np.random.Generator, lam: np.ndarray, root_lam: np.ndarray
):
    """Draw one realisation (the order of the module docstring; tests/oracles.py draw_realization repeats it) and return its eigen-data and |c~|^2."""
    m = spectrum.n_modes
    c_tilde = _teacher(spectrum, rng)
    c2 = float(c_tilde @ c_tilde)
    if math.isinf(n):
        psi = rng.standard_normal((p, m))
        psi *= root_lam
        ys = psi @ (c_tilde / root_lam)
        xs = psi
        xs *= 1.0 / math.sqrt(p)
        return _spectral(xs, ys, ("diag", lam), root_lam * c_tilde), c2
    f = rng.standard_normal((n, m))
    if not _reduced(n, m):
        psi = rng.standard_normal((p, m))
        psi *= root_lam
        ys = psi @ (c_tilde / root_lam)
        xs = (psi @ f.T) / math.sqrt(n * p)
        metric = ("full", (f * lam) @ f.T / n)
        h = f @ (root_lam * c_tilde) / math.sqrt(n)
        return _spectral(xs, ys, metric, h), c2
    f *= root_lam  # F~ = F Lambda^{1/2}
    x0 = rng.standard_normal((p, n))
    xi = rng.standard_normal(p)
    r, q, rho = _factor(f, c_tilde)
    ys = x0 @ q + rho * xi
    # xs = X0 R / sqrt(NP), computed as (R^T X0^T)^T so that no copy of X0 is needed
    xs = sla.blas.dtrmm(1.0 / math.sqrt(n * p), r, x0.T, side=0, lower=0, trans_a=1).T
    rs = r / math.sqrt(n)  # G_F = rs^T rs
    return _spectral(xs, ys, ("factor", rs), rs.T @ q, target=(q, rho)), c2


def memory_estimate_bytes(
    n_modes: int, n_features: float, n_samples: int, n_seeds: int = 1, n_gammas: int = 1, n_times: int = 1
) -> int:
    """Upper estimate of the simulator's peak memory for one disorder point: the draws (P x M data,
    N x M features, P x N products), the Gram matrix and its eigenvectors (r = min(M, N, P)),
    the projected metric (r x M) and the per-seed output. Checked before any allocation."""
    m, p = int(n_modes), int(n_samples)
    n = 0 if math.isinf(n_features) else int(n_features)
    r = min(m, p, n or m)
    floats = m * (n + p) + p * n + n * n + r * m + 4 * r * r + 4 * n_seeds * n_gammas * n_times
    return 8 * floats


# Largest lambda_1 / lambda_r, r = min(N, P, M), that float64 simulation resolves: the empirical
# Gram's small eigenvalues must stay well above the null threshold (NULL_THRESHOLD = 1e-11 of
# the largest), or late-time / tiny-gamma values become round-off dominated (seen at alpha = 10,
# P = 64: simulation 0.21 +- 0.05 vs theory 0.0097 at t = 1e9).
MAX_SPECTRAL_CONDITION = 1e10


def spectral_condition(eigenvalues: npt.ArrayLike, n_features: float, n_samples: float) -> float:
    """lambda_1 / lambda_r with r = min(M, N, P) (N may be inf)."""
    lam = np.asarray(eigenvalues, dtype=np.float64)
    r = int(min(lam.size, n_samples, n_features))
    return float(lam[0] / lam[r - 1])


def check_conditioning(eigenvalues: npt.ArrayLike, n_features: float, n_samples: float) -> None:
    """Raise NumericalError when the spectrum is too ill-conditioned to simulate in float64."""
    cond = spectral_condition(eigenvalues, n_features, n_samples)
    if not cond <= MAX_SPECTRAL_CONDITION:
        raise NumericalError(
            f"spectrum too ill-conditioned to simulate in float64: lambda_1/lambda_r = {cond:.3g} "
            f"> {MAX_SPECTRAL_CONDITION:g} for r = min(N, P, M); late-time values would be round-off"
        )


def seed_generator(seed: np.random.SeedSequence) -> np.random.Generator:
    """The generator of one seed: SFC64 seeded by the SeedSequence (20 % faster normals than
    PCG64 here; the Gaussian draws dominate a seed's cost at N = P = 256)."""
    return np.random.Generator(np.random.SFC64(seed))


def simulate(
    spectrum: Spectrum,
    *,
    n_features: float,
    n_samples: int,
    weight_decays: npt.ArrayLike,
    times: npt.ArrayLike,
    seeds: Sequence[np.random.SeedSequence],
    progress: Callable[[int, int], None] | None = None,
    learning_rate: float = 0.0,
    momentum: float = 0.0,
    threads: int | None = 1,
) -> SimComponents:
    """Exact per-seed error components; one realisation of (Psi, F, w*) per SeedSequence. With a
    learning rate eta > 0 the training is discrete: full-batch gradient descent (heavy-ball momentum
    mu; Langevin noise sqrt(2 eta T) per step) at times t = eta k, k integer steps.

    `threads`: BLAS threads while it runs (default 1: at these sizes more threads cost more than they
    gain, 15x at N = 512 on 2 cores, docs/performance.md); None leaves the process's setting."""
    n = _check_sizes(n_features, n_samples)
    p = int(n_samples)
    gammas, ts = _check_times_gammas(weight_decays, times)
    opt = Optimizer(learning_rate, momentum)
    if opt.discrete:
        opt.steps(ts)  # integer steps, checked before any draw
    seeds = list(seeds)
    if not seeds:
        raise InputError("seeds", seeds, "at least one SeedSequence")
    lam = np.asarray(spectrum.eigenvalues, dtype=np.float64)
    check_conditioning(lam, n, p)
    root_lam = np.sqrt(lam)
    with blas_threads(threads):
        out = np.empty((4, len(seeds), gammas.size, ts.size))
        for s, seed in enumerate(seeds):
            rng = seed_generator(seed)
            spec, c2 = _seed_spectral(spectrum, n, p, rng, lam, root_lam)
            out[:, s] = _components(spec, c2, p, gammas, ts, opt)
            if progress is not None:
                progress(s + 1, len(seeds))
        return SimComponents(ts, gammas, out[0], out[1], out[2], out[3])


def simulate_points(
    points: Sequence[Point],
    seeds: Sequence[np.random.SeedSequence],
    progress: Callable[[int, int], None] | None = None,
    threads: int | None = 1,
) -> SimComponents:
    """Per-seed components of the points of one model and one optimizer (points.Point), on the draws
    of `seeds`, at the union of their times and every weight decay among them; online SGD (a finite
    batch size) by SGD on fresh samples (sgd.online_simulate; one weight decay)."""
    first = points[0]
    model, opt = first.model, first.optimizer
    if any(p.model != model or p.optimizer != opt for p in points):
        raise ValueError("simulate_points: the points must share their model and optimizer")
    times = np.unique(np.concatenate([p.time_array for p in points]))
    gammas = np.unique([p.regime.weight_decay for p in points])
    spectrum = model.spectrum.build()
    if opt.kind == "sgd":
        from .sgd import online_simulate

        if gammas.size != 1:
            raise ValueError("simulate_points: online SGD runs one weight decay at a time")
        with blas_threads(threads):
            return online_simulate(
                spectrum,
                n_features=model.n_features,
                batch_size=int(opt.batch_size),
                learning_rate=opt.learning_rate,
                weight_decay=float(gammas[0]),
                times=times,
                seeds=seeds,
                schedule=opt.schedule,
                progress=progress,
            )
    return simulate(
        spectrum,
        n_features=model.n_features if math.isinf(model.n_features) else int(model.n_features),
        n_samples=int(model.n_samples),
        weight_decays=gammas,
        times=times,
        seeds=seeds,
        progress=progress,
        learning_rate=opt.learning_rate,
        momentum=opt.momentum,
        threads=threads,
    )


def concat_seeds(parts: Sequence[SimComponents]) -> SimComponents:
    """Per-seed components of consecutive seed ranges of one simulation, joined along the seeds."""
    first = parts[0]
    joined = [np.concatenate([getattr(p, name) for p in parts]) for name in ("signal", "noise", "init", "thermal")]
    return SimComponents(first.times, first.weight_decays, *joined)


def seed_mean_sem(per_seed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error over axis 0 (sem = 0 for a single seed)."""
    arr = np.asarray(per_seed, dtype=np.float64)
    mean = arr.mean(axis=0)
    if arr.shape[0] < 2:
        return mean, np.zeros_like(mean)
    return mean, arr.std(axis=0, ddof=1) / math.sqrt(arr.shape[0])

"""Full-batch gradient descent in discrete time: the DMFT curves at t = eta k (docs/theory/discrete.md).

Every error component of gradient flow is a sum over the spectrum of the (random) training Hessian
H = K_a + gamma of one or two propagators, e^{-xt} or (1 - e^{-xt})/x; the DMFT gives their Laplace
transforms F(z) as analytic functions of z through kappa(z + gamma). Gradient descent replaces e^{-xt}
by (1 - eta x)^k. With u the Talbot variable and

    z(u) = (e^{eta u} - 1) / eta,    J(u) = e^{eta u},

the k-step propagator is (1 - eta x)^k = (1/2 pi i) int e^{t u} J(u) / (z(u) + x) du on the Talbot
contour of t = eta k (coefficient extraction of the generating function sum_k zeta^k (1 - eta x)^k
with zeta = e^{-eta u}). So each time variable of a transform takes z -> z(u) and a factor J(u); the
rest of the machinery (windows, 1-D and 2-D Talbot sums, kappa on the nodes) is gradient flow's.

Valid where (docs/theory/discrete.md, "Range"): eta (e_max + gamma) < 1, e_max the top of the
deterministic-equivalent spectrum of K_a (`spectral_edge`), so every mode decays without sign flips
and the singularities in u lie on the negative real axis; and k >= MIN_STEPS, so that the contour
stays inside the period strip |Im u| < pi / eta of the generating function. Outside: at
eta (e_max + gamma) >= 2 the training diverges (+inf); in between, and before MIN_STEPS, no value.

The Langevin variance of a step with noise sqrt(2 eta T) xi is 2 eta sum_{m<k} (1 - eta x)^{2m} =
2 (1 - R_2k) / (x (2 - eta x)) per direction, R = 1 - eta x: the gradient-flow form (1 - R_2k)/x plus
eta (1 - R_2k) / (2 - eta x), whose transform needs m(z) once more at the real point z = -2/eta
(left of the spectrum; `kappa_real`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from ..errors import NumericalError
from . import contour
from .curves import TALBOT_RELIABILITY, pair_sums, signal_transform, talbot_error_2d
from .kappa import BRANCH_TOL, KappaSolver, ModeSums, stable_r

# the Talbot contour of t = eta k reaches |Im u| = max Im(s_j) / tau <= 21.4 / t; it must stay inside
# |Im u| < pi / eta: k >= 7 is enough, 8 leaves a margin
MIN_STEPS = 8
# the largest eta (e_max + gamma) with a theory: every mode decays monotonically below 1
MONOTONE_LIMIT = 1.0
# substeps of the continuation of kappa from the gradient-flow node u to the gradient-descent node z(u)
MAX_SUBSTEPS = 256


def _w_real(sums: ModeSums, inv_n: float, inv_p: float, kap: float) -> float:
    """w(kappa) = kappa (1 - df/P)(1 - df/N) at a real kappa; -inf where df overflows (kappa at a mode)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d = sums.df_real(kap)
        value = kap * (1.0 - d * inv_p) * (1.0 - d * inv_n)
    return value if math.isfinite(value) else -math.inf


def _edge(sums: ModeSums, inv_n: float, inv_p: float) -> tuple[float, float]:
    """(kappa_e, e_max): the maximum of w(kappa) over real kappa < -lambda_max, at kappa_e, is -e_max.
    w(kappa) is the inverse of kappa(w) on the real axis left of the spectrum; it rises from -inf at
    kappa -> -inf and falls to -inf at kappa -> -lambda_max, and its maximum is the square-root edge.
    Searched in kappa = -lambda_max (1 + e^y): a grid in y, then a bounded refinement."""
    lam_max = sums.lam_max
    kappa_of = lambda log_y: -lam_max * (1.0 + math.exp(log_y))  # noqa: E731
    grid = np.linspace(-30.0, 40.0, 141)
    values = np.array([_w_real(sums, inv_n, inv_p, kappa_of(g)) for g in grid])
    i = int(np.argmax(values))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    best = minimize_scalar(
        lambda g: -_w_real(sums, inv_n, inv_p, kappa_of(g)), bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}
    )
    if -best.fun >= values[i]:
        return kappa_of(best.x), float(best.fun)
    return kappa_of(grid[i]), float(-values[i])


def spectral_edge(sums: ModeSums, inv_n: float, inv_p: float) -> float:
    """e_max, the top of the support of the deterministic-equivalent spectrum of K_a (`_edge`)."""
    if inv_n == 0.0 and inv_p == 0.0:
        return sums.lam_max
    return _edge(sums, inv_n, inv_p)[1]


def kappa_real(sums: ModeSums, inv_n: float, inv_p: float, w: float) -> complex:
    """kappa(w) at a real w < -e_max (left of the spectrum), on the branch with kappa ~ w as w -> -inf:
    the root of w(kappa) = w left of the edge's kappa_e, where w(kappa) is increasing."""
    if inv_n == 0.0 and inv_p == 0.0:
        return complex(w)
    kap_edge, e_max = _edge(sums, inv_n, inv_p)
    if not w < -e_max:
        raise NumericalError(f"kappa_real: w = {w:.6g} is not left of the spectrum (edge {-e_max:.6g})")
    lo = min(w, kap_edge) * 2.0 - sums.lam_max
    while _w_real(sums, inv_n, inv_p, lo) > w:
        lo *= 2.0
    root = brentq(lambda k: _w_real(sums, inv_n, inv_p, k) - w, lo, kap_edge, xtol=1e-300, rtol=1e-15, maxiter=400)
    return complex(root)


def m_real(sums: ModeSums, inv_n: float, inv_p: float, w: float) -> float:
    """The one-point transform m = df / R_1 at a real w left of the spectrum (`kappa_real`)."""
    kap = kappa_real(sums, inv_n, inv_p, w)
    df = complex(sums.df_dfp(np.array([kap]))[0][0])
    return (df / (1.0 - df * inv_p)).real


def _continue(solver: KappaSolver, w0: np.ndarray, k0: np.ndarray, w1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """kappa and df at w1 from the root k0 at w0, along the straight path w0 -> w1: a linear predictor
    (dkappa/dw = 1/g') and Newton per substep, accepted as in the gradient-flow march (converged, within
    BRANCH_TOL of the predictor, physical branch); the path is refined until every point is accepted."""
    _, gp0, _, _, _ = solver.newton(w0, k0)
    for substeps in (1, 4, 16, 64, MAX_SUBSTEPS):
        k, gp, done = k0, gp0, True
        for i in range(1, substeps + 1):
            w = w0 + (w1 - w0) * (i / substeps)
            kp = k + (w1 - w0) / substeps / gp
            k_new, gp_new, df, ok, _ = solver.newton(w, kp)
            if not (ok & (np.abs(k_new - kp) <= BRANCH_TOL * np.abs(kp)) & solver._branch_mask(k_new, w)).all():
                done = False
                break
            k, gp = k_new, gp_new
        if done:
            return k, df
    raise NumericalError("DMFT (gradient descent): kappa continuation to the discrete-time nodes failed")


def gd_curves(
    sums: ModeSums, inv_n: float, inv_p: float, gamma: float, eta: float, t: np.ndarray, n_nodes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
    """signal, noise, init, thermal of gradient descent with learning rate eta at finite times
    t = eta k, k >= MIN_STEPS (the caller checks the range), plus diagnostics."""
    s_all, _ = contour.talbot(n_nodes)
    s = s_all[: contour.active(n_nodes)]
    ke = s.size
    n_t, tau = contour.window(t)
    n_lo, n_hi = int(n_t.min()), int(n_t.max()) + 1
    used, at = np.unique(n_t, return_inverse=True)
    i1, i2 = used - n_lo, used - n_lo + 1
    solver = KappaSolver(sums, inv_n, inv_p)
    kap_flow, _, diag = solver.windows(s, n_lo, n_hi, gamma)
    taus = np.ldexp(1.0, np.arange(n_lo, n_hi + 1))
    u = s[None, :] / taus[:, None]  # (W, K) the Talbot nodes of every window
    z = np.expm1(eta * u) / eta
    jac = np.exp(eta * u)
    if inv_n == 0.0 and inv_p == 0.0:
        kap = z + gamma
    else:
        kap, _ = _continue(solver, (u + gamma).ravel(), kap_flow.ravel(), (z + gamma).ravel())
        kap = kap.reshape(z.shape)
    df = sums.df_dfp(kap.ravel())[0].reshape(kap.shape)
    r1, r2 = stable_r(kap, z + gamma, df, inv_n, inv_p)
    wt = contour.weights(t, n_nodes, tau)[:, :ke]
    wt2 = wt / 2.0

    def cols(a: np.ndarray) -> np.ndarray:  # [a_0..a_{K-1}, conj a_1..] per window
        return np.concatenate([a, np.conj(a[:, 1:])], axis=1)

    jj = jac[i1][:, :, None] * cols(jac[i1])[:, None, :]
    vals = signal_transform(sums, inv_n, inv_p, kap[i1], z[i1]) * jj
    signal = contour.invert_2d(vals[at], t, w=wt)
    sig_err = talbot_error_2d(vals[at], wt)

    if inv_p == 0.0:
        noise = np.zeros(t.size)
    else:
        k1, kc = kap[i1][:, :, None], cols(kap[i1])[:, None, :]
        j1, j2 = pair_sums(sums, np.broadcast_to(k1, jj.shape), np.broadcast_to(kc, jj.shape))
        r1_1 = r1[i1][:, :, None]
        r1_2, r2_2 = cols(r1[i1])[:, None, :], cols(r2[i1])[:, None, :]
        g_12 = r1_2 * r2_2 + k1 * j1 * (r2_2 * inv_p + r1_1 * inv_n)
        a_12 = j2 * r2_2 + k1 * df[i1][:, :, None] * j1 * inv_n
        zz = z[i1][:, :, None] * cols(z[i1])[:, None, :]
        noise = contour.invert_2d((a_12 * inv_p / (zz * g_12) * jj)[at], t, w=wt)

    # one-point terms at 2t (2k steps: R_k^2 = R_2k): the nodes of window n + 1
    m2 = df[i2] / r1[i2]
    z2, j2w = z[i2], jac[i2]
    init = contour.invert_1d((j2w * m2)[at], 2.0 * t, w=wt2)
    c = -2.0 / eta
    m_c = m_real(sums, inv_n, inv_p, c + gamma)
    thermal = (
        contour.invert_1d((j2w * m2 / z2)[at], 2.0 * t, w=wt2)
        - m_c
        + contour.invert_1d((j2w * (m2 - m_c) / (c - z2))[at], 2.0 * t, w=wt2)
    )
    diag.update(windows=int(used.size), talbot_error_estimate=float(np.max(sig_err)) if t.size else 0.0, m_c=m_c)
    scale = max(sums.target, 1e-300)
    bad = np.flatnonzero(sig_err > TALBOT_RELIABILITY * max(scale, np.max(np.abs(signal), initial=0.0)))
    if bad.size:
        raise NumericalError(f"DMFT (gradient descent): 2-D Talbot inversion unreliable at t = {t[bad[0]]:.4g}")
    return signal, noise, init, thermal, diag


def stationary_thermal_shift(sums: ModeSums, inv_n: float, inv_p: float, gamma: float, eta: float) -> float:
    """Theta(inf) of gradient descent minus gradient flow's: -m(-2/eta) (module docstring)."""
    return -m_real(sums, inv_n, inv_p, -2.0 / eta + gamma)

"""Full-batch gradient descent and heavy-ball momentum in discrete time: the DMFT curves at t = eta k
(docs/theory/discrete.md).

Every error component of gradient flow is a sum over the spectrum of the (random) training Hessian
H = K_a + gamma of one or two propagators, e^{-xt} or (1 - e^{-xt})/x; the DMFT gives their Laplace
transforms F(z) as analytic functions of z through kappa(z + gamma). Heavy-ball steps replace e^{-xt} by
R_k(x), the solution of e_{k+1} = (1 + mu - eta x) e_k - mu e_{k-1} from e_0 = e_{-1} = 1, whose
generating function is sum_k zeta^k R_k = (1 - mu zeta) / (eta zeta) * 1 / (z(zeta) + x) with
z(zeta) = (1 - zeta)(1 - mu zeta) / (eta zeta): still a resolvent of H. Two ways to extract the k-th
coefficient:

* Talbot route (`talbot_curves`, k >= `talbot_from`): zeta = e^{-eta u} turns the extraction into a Laplace
  inversion at t = eta k of the gradient-flow transform at z(u), times J(u) = e^{eta u} - mu per time
  variable (`zmap`). The Talbot contour encloses the slow real poles; the others (oscillating and
  complex characteristic roots) contribute ~ rho^k, `fast_radius`, and must be negligible.
* Circle route (`circle_curves`, the first steps): Cauchy's formula on |zeta| = rho < 1, one FFT.

Init and, with momentum, thermal need R_k(x)^2 and h_m(x)^2: the two-point resolvent sums
sum_x w_x / ((z1 + x)(z2 + x)) = (m(z1) - m(z2)) / (z2 - z1) (`_divided`). Gradient descent uses
R_k^2 = R_2k and a partial fraction of its stationary Langevin variance instead (one-point inversions).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from ..errors import NumericalError
from . import contour
from .curves import (
    TALBOT_RELIABILITY,
    bilinear_sums,
    noise_closure,
    signal_closure,
    signal_transform,
    talbot_error_2d,
)
from .kappa import BRANCH_TOL, KappaSolver, ModeSums, kappa_static, stable_r

# the Talbot contour of t = eta k reaches |Im u| = max Im(s_j) / tau <= 21.4 / t; it must stay inside
# |Im u| < pi / eta: k >= 7 is enough, 8 leaves a margin
MIN_STEPS = 8
# substeps of the continuation of kappa from the gradient-flow node u to the gradient-descent node z(u)
MAX_SUBSTEPS = 256
# the poles the Talbot contour leaves out contribute ~ rho^k of the curve scale: at most this
ENCLOSED = 1e-14
# with momentum, every Talbot node lies right of this fraction of c_mu = log(mu) / (2 eta), where the
# complex roots' poles sit: the node values are then those of the physical sheet
NODE_MARGIN = 0.75
# the circle route (first steps): nodes per step, aliasing rho^N, rows per block of the N^2 grid, and the
# last step it takes: with the two-point terms (signal, noise: N^2 M work, ~10 s at 2047 steps and M = 60
# summation nodes), and with the one-point terms only (init, thermal: N^2 work)
CIRCLE_OVERSAMPLE = 4
CIRCLE_ALIAS = 1e-11
CIRCLE_MAX_STEPS = 2047
CIRCLE_MAX_STEPS_ONE_POINT = 8191
CIRCLE_ROWS = 128


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
    raise NumericalError("DMFT (discrete time): kappa continuation to the discrete-time nodes failed")


def zmap(u: np.ndarray, eta: float, mu: float) -> tuple[np.ndarray, np.ndarray]:
    """(z(u), J(u)) of heavy-ball steps: z = (e^{eta u} - 1)(1 - mu e^{-eta u}) / eta, J = e^{eta u} - mu
    (docs/theory/discrete.md section 3; mu = 0: gradient descent)."""
    e = np.exp(eta * u)
    return np.expm1(eta * u) * (1.0 - mu / e) / eta, e - mu


def fast_radius(eta_x: float, mu: float) -> float:
    """The largest modulus of a characteristic root that is not a slow (real positive, larger) root,
    over the curvatures eta x <= eta_x: the roots of r^2 - (1 + mu - eta x) r + mu. Their poles are the
    ones the Talbot contour does not enclose; they contribute ~ rho^k (docs/theory/discrete.md)."""
    a = 1.0 + mu - eta_x
    disc = a * a - 4.0 * mu
    if disc < 0.0:
        return math.sqrt(mu)
    if a >= 0.0:
        return (a - math.sqrt(disc)) / 2.0  # the smaller positive root, at most sqrt(mu)
    return (-a + math.sqrt(disc)) / 2.0  # two negative roots (modes that flip sign): the larger modulus


def decay_free_rate(eta: float, gamma: float) -> float:
    """eta0 = eta / c, c = 1 - eta gamma: the learning rate of the gamma = 0 problem whose init part,
    times c^{2k}, is that of gradient descent at (eta, gamma) (p(x; eta, gamma) = c^2 p(x; eta0, 0));
    inf where c <= 0 (at eta gamma >= 1 the factor is 0 or flips sign every step: no such problem).
    The rewriting is used only where eta0 itself is stable (the callers check eta0 e_max < 2)."""
    c = 1.0 - eta * gamma
    return eta / c if c > 0.0 else math.inf


def talbot_from(eta_x: float, mu: float, n_nodes: int) -> int:
    """The first step k from which the Talbot route holds (docs/theory/discrete.md section 3, "Where it
    holds"): the contour
    inside the period strip (MIN_STEPS); the poles it leaves out below ENCLOSED of the curve scale,
    rho^k <= ENCLOSED; with momentum, every node right of NODE_MARGIN c_mu, c_mu = log(mu) / (2 eta) the
    line of the complex roots, |s_min| / (eta k) <= NODE_MARGIN |log mu| / (2 eta)."""
    k = MIN_STEPS
    rho = fast_radius(eta_x, mu)
    if rho > 0.0:
        k = max(k, math.ceil(math.log(ENCLOSED) / math.log(rho)))
    if mu > 0.0:
        s_all, _ = contour.talbot(n_nodes)
        s_min = float(np.min(s_all[: contour.active(n_nodes)].real))
        k = max(k, math.ceil(2.0 * abs(s_min) / (NODE_MARGIN * abs(math.log(mu)))))
    return k


def _m_and_slope(
    sums: ModeSums, inv_n: float, inv_p: float, kap: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(df, R_1, R_2, m, dm/dw) at roots kap of (K) at w; m = df / R_1, dm/dw = df' / (R_1^2 g'(kappa))."""
    df, dfp = sums.df_dfp(kap.ravel())
    df, dfp = df.reshape(kap.shape), dfp.reshape(kap.shape)
    r1, r2 = stable_r(kap, w, df, inv_n, inv_p)
    gp = r1 * r2 - kap * dfp * (r2 * inv_p + r1 * inv_n)
    return df, r1, r2, df / r1, dfp / (r1 * r1 * gp)


def _divided(m1: np.ndarray, z1: np.ndarray, m2: np.ndarray, z2: np.ndarray, slope1: np.ndarray) -> np.ndarray:
    """D(z1, z2) = (m(z1) - m(z2)) / (z2 - z1) = sum_x w_x / ((z1 + x)(z2 + x)) (resolvent identity);
    -m'(z1) where the two points coincide. Rows: point 1, columns: point 2 (broadcast)."""
    dz = z2 - z1
    same = dz == 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (m1 - m2) / dz
    return np.where(same, -np.broadcast_to(slope1, d.shape), d)


def _pair_sums4(sums: ModeSums, k1: np.ndarray, k2: np.ndarray) -> tuple[np.ndarray, ...]:
    """w1, w2, j1, j2 = sum a h(k1_j) h(k2_l) for rows k1 (n1,) against columns k2 (n2,): four GEMMs."""
    h1 = 1.0 / (sums.lam + k1[:, None])
    h2t = (1.0 / (sums.lam + k2[:, None])).T.copy()
    return tuple((h1 * a) @ h2t for a in sums.bilinear_weights)


class _Circle:
    """The circle route's nodes for steps k <= k_max (docs/theory/discrete.md section 3, "Circle route"):
    N >= CIRCLE_OVERSAMPLE (k_max + 1) nodes zeta_j = rho e^{2 pi i (j + 1/2) / N}, rho^N = CIRCLE_ALIAS
    (the aliased coefficients k + N enter times rho^N; roundoff is amplified by rho^{-2k} <= 10^5.5),
    z_j = z(zeta_j) and kappa, df, R_1, R_2, m, dm/dw there."""

    def __init__(self, sums: ModeSums, inv_n: float, inv_p: float, gamma: float, eta: float, mu: float, k_max: int):
        n = max(64, CIRCLE_OVERSAMPLE * (int(k_max) + 1))
        n += n % 2
        if k_max > CIRCLE_MAX_STEPS_ONE_POINT:
            raise NumericalError(f"DMFT (discrete time): the circle route ends at step {CIRCLE_MAX_STEPS_ONE_POINT}")
        self.n, self.rho = n, CIRCLE_ALIAS ** (1.0 / n)
        zeta = self.rho * np.exp(2j * np.pi * (np.arange(n) + 0.5) / n)
        self.z = (1.0 - zeta) * (1.0 - mu * zeta) / (eta * zeta)
        w = self.z + gamma
        # kappa on the nodes with Im w > 0 (zeta in the lower half plane), marched from the real point
        # zeta = rho (w > 0, kappa real) node by node; the others are their conjugates (j <-> n - 1 - j)
        kap = np.empty(n, dtype=np.complex128)
        solver = KappaSolver(sums, inv_n, inv_p)
        w_prev = np.array([complex((1.0 - self.rho) * (1.0 - mu * self.rho) / (eta * self.rho) + gamma)])
        k_prev = np.array([complex(kappa_static(sums, inv_n, inv_p, w_prev[0].real))])
        for j in range(n - 1, n // 2 - 1, -1):
            k_prev, _ = _continue(solver, w_prev, k_prev, w[j : j + 1])
            w_prev = w[j : j + 1]
            kap[j] = k_prev[0]
        kap[: n // 2] = np.conj(kap[n - 1 : n // 2 - 1 : -1])
        self.kap = kap
        self.df, self.r1, self.r2, self.m, self.slope = _m_and_slope(sums, inv_n, inv_p, kap, w)
        self.jr = (1.0 - mu * zeta) / (eta * zeta)  # generating-function factor of R_k and of the constant 1

    def diagonal(self, half_sums: np.ndarray, k_max: int) -> np.ndarray:
        """f_{k,k}, k = 0..k_max, from the anti-diagonal sums A_s = sum_{j + l = s mod N} F_jl over the rows
        j >= N/2 (`blocks`). The other rows are conjugate: F at (N-1-j, N-1-l) is conj F_jl, on the
        anti-diagonal -2 - s, so the full sums are g_s = A_s + conj A_{-2-s}."""
        n = self.n
        full = half_sums + np.conj(half_sums[(-2 - np.arange(n)) % n])
        k = np.arange(int(k_max) + 1)
        phase = self.rho ** (-2.0 * k) * np.exp(-2j * np.pi * k / n) / (n * n)
        return (np.fft.fft(full)[: k.size] * phase).real

    def blocks(self):
        """Row blocks of the rows j >= N/2 of the N x N grid (the rest follow by conjugation, `diagonal`):
        (rows, their indices)."""
        for a in range(self.n // 2, self.n, CIRCLE_ROWS):
            r = slice(a, min(a + CIRCLE_ROWS, self.n))
            yield r, np.arange(self.n)[r]


def _shifted_sums(block: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """Anti-diagonal sums (j + l mod n) of the rows `rows` of an (n, n) grid, given as block (len(rows), n)."""
    idx = (rows[:, None] + np.arange(n)[None, :]) % n
    out = np.bincount(idx.ravel(), weights=block.real.ravel(), minlength=n).astype(np.complex128)
    out.imag = np.bincount(idx.ravel(), weights=block.imag.ravel(), minlength=n)
    return out


def circle_curves(
    sums: ModeSums, inv_n: float, inv_p: float, gamma: float, eta: float, mu: float, k_max: int, k_pairs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
    """signal, noise, init, thermal of heavy-ball steps at every k = 0..k_max by Cauchy coefficient
    extraction of the generating functions on a circle (`_Circle`; one FFT per component). The
    two-point terms (signal, noise) cost N^2 M and are computed up to k_pairs <= k_max only (NaN
    beyond; none for k_pairs < 0); init and thermal need m on the nodes and cost N^2."""
    one = _Circle(sums, inv_n, inv_p, gamma, eta, mu, k_max)
    # init: R_k^2 <- J J D;  thermal: h_m^2 <- D / eta^2, summed 2 eta sum_{m=1}^{k}
    acc_i = np.zeros(one.n, dtype=np.complex128)
    acc_h = np.zeros(one.n, dtype=np.complex128)
    for r, rows in one.blocks():
        dmat = _divided(one.m[r, None], one.z[r, None], one.m[None, :], one.z[None, :], one.slope[r, None])
        acc_h += _shifted_sums(dmat, rows, one.n)
        acc_i += _shifted_sums(dmat * one.jr[r, None] * one.jr[None, :], rows, one.n)
    init = one.diagonal(acc_i, k_max)
    h2 = one.diagonal(acc_h, k_max) / (eta * eta)
    h2[0] = 0.0  # h_0 = 0 exactly
    thermal = 2.0 * eta * np.cumsum(h2)
    signal = np.full(init.size, np.nan)
    noise = np.full(init.size, np.nan)
    diag = {"circle_nodes": one.n}
    if k_pairs >= 0:
        two = one if k_pairs == k_max else _Circle(sums, inv_n, inv_p, gamma, eta, mu, k_pairs)
        acc_s = np.zeros(two.n, dtype=np.complex128)
        acc_n = np.zeros(two.n, dtype=np.complex128)
        kap, z = two.kap, two.z
        for r, rows in two.blocks():
            w1, w2, j1, j2 = _pair_sums4(sums, kap[r], kap)
            jj = two.jr[r, None] * two.jr[None, :]
            if inv_p != 0.0:
                e_n = noise_closure(
                    inv_n, inv_p, j1, j2, kap[r, None], z[r, None], two.df[r, None], two.r1[r, None],
                    z[None, :], two.r1[None, :], two.r2[None, :],
                )  # fmt: skip
                acc_n += _shifted_sums(e_n * jj, rows, two.n)
            e_s = signal_closure(inv_n, inv_p, w1, w2, j1, j2, kap[r, None], z[r, None], kap[None, :], z[None, :])
            acc_s += _shifted_sums(e_s * jj, rows, two.n)
        signal[: k_pairs + 1] = two.diagonal(acc_s, k_pairs)
        noise[: k_pairs + 1] = two.diagonal(acc_n, k_pairs) if inv_p != 0.0 else 0.0
        diag["circle_nodes_two_point"] = two.n
    return signal, noise, init, thermal, diag


def _window_sums(s: np.ndarray, d: np.ndarray, tau: float, eta: float, first: int, last: int) -> np.ndarray:
    """sum_{m = first}^{last} W_j(eta m; tau) W_l(eta m; tau) for rows j >= 0 against the 2K - 1 columns
    (contour.invert_2d's layout), in closed form: W_j W_l = d_j d_l e^{eta m q} / (25 tau^2),
    q = (s_j + s_l) / tau, summed as a geometric series."""
    sc = np.concatenate([s, np.conj(s[1:])])
    dc = np.concatenate([d, np.conj(d[1:])])
    q = eta * (s[:, None] + sc[None, :]) / tau
    count = last - first + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        geo = np.exp(first * q) * np.expm1(count * q) / np.expm1(q)
    geo = np.where(np.abs(q) < 1e-300, count, geo)
    return d[:, None] * dc[None, :] * geo / (25.0 * tau * tau)


def talbot_curves(
    sums: ModeSums,
    inv_n: float,
    inv_p: float,
    gamma: float,
    eta: float,
    t: np.ndarray,
    n_nodes: int,
    mu: float = 0.0,
    thermal_prefix: float = 0.0,
    first_talbot: int = MIN_STEPS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
    """signal, noise, init, thermal of heavy-ball steps (learning rate eta, momentum mu) at finite times
    t = eta k on the Talbot route (the caller checks k >= talbot_from), plus diagnostics. With mu > 0
    the thermal term needs its first steps m < first_talbot from elsewhere: `thermal_prefix` =
    2 eta sum_{m < first_talbot} h_m^2 (the circle route)."""
    s_all, d_all = contour._parts(n_nodes)
    ke = contour.active(n_nodes)
    s, d = s_all[:ke], d_all[:ke]
    n_t, tau = contour.window(t)
    n_lo, n_hi = int(n_t.min()), int(n_t.max()) + 1
    if mu > 0.0:  # the thermal sums over m run through every window from the step first_talbot on
        n_lo = min(n_lo, int(contour.window(np.array([eta * first_talbot]))[0][0]))
    used, at = np.unique(n_t, return_inverse=True)
    i1, i2 = used - n_lo, used - n_lo + 1
    solver = KappaSolver(sums, inv_n, inv_p)
    kap_flow, _, diag = solver.windows(s, n_lo, n_hi, gamma)
    taus = np.ldexp(1.0, np.arange(n_lo, n_hi + 1))
    u = s[None, :] / taus[:, None]  # (W, K) the Talbot nodes of every window
    z, jac = zmap(u, eta, mu)
    if inv_n == 0.0 and inv_p == 0.0:
        kap = z + gamma
    else:
        kap, _ = _continue(solver, (u + gamma).ravel(), kap_flow.ravel(), (z + gamma).ravel())
        kap = kap.reshape(z.shape)
    df, r1, r2, m, slope = _m_and_slope(sums, inv_n, inv_p, kap, z + gamma)
    wt = contour.weights(t, n_nodes, tau)[:, :ke]
    wt2 = wt / 2.0

    def cols(a: np.ndarray) -> np.ndarray:  # [a_0..a_{K-1}, conj a_1..] per window
        return np.concatenate([a, np.conj(a[:, 1:])], axis=1)

    jj = jac[i1][:, :, None] * cols(jac[i1])[:, None, :]
    sums4 = bilinear_sums(sums, kap[i1])  # one set of pair sums for the signal and the noise
    if inv_p == 0.0:
        noise = np.zeros(t.size)
    else:
        e_n = noise_closure(
            inv_n,
            inv_p,
            sums4[:, 2],
            sums4[:, 3],
            kap[i1][:, :, None],
            z[i1][:, :, None],
            df[i1][:, :, None],
            r1[i1][:, :, None],
            cols(z[i1])[:, None, :],
            cols(r1[i1])[:, None, :],
            cols(r2[i1])[:, None, :],
        )
        noise = contour.invert_2d((e_n * jj)[at], t, w=wt)
    vals = signal_transform(sums, inv_n, inv_p, kap[i1], z[i1], sums4) * jj  # after the noise: j1 is overwritten
    signal = contour.invert_2d(vals[at], t, w=wt)
    sig_err = talbot_error_2d(vals[at], wt)

    if mu == 0.0:
        # one-point terms at 2t (2k steps: R_k^2 = R_2k): the nodes of window n + 1
        m2, z2, j2w = m[i2], z[i2], jac[i2]
        init = contour.invert_1d((j2w * m2)[at], 2.0 * t, w=wt2)
        c = -2.0 / eta
        m_c = m_real(sums, inv_n, inv_p, c + gamma)
        thermal = (
            contour.invert_1d((j2w * m2 / z2)[at], 2.0 * t, w=wt2)
            - m_c
            + contour.invert_1d((j2w * (m2 - m_c) / (c - z2))[at], 2.0 * t, w=wt2)
        )
        diag["m_c"] = m_c
    else:
        # init: R_k^2 <- J J D(z1, z2) in 2-D; thermal: 2 eta sum_m h_m^2, h_m^2 <- D(z1, z2) at (eta m, eta m),
        # summed window by window in closed form (docs/theory/discrete.md section 3, "The components")
        dmat = _divided(m[:, :, None], z[:, :, None], cols(m)[:, None, :], cols(z)[:, None, :], slope[:, :, None])
        init = contour.invert_2d((dmat[i1] * jj)[at], t, w=wt)

        def window_term(row: int, last: int) -> float:
            """2 eta sum of h_m^2 over the steps m <= last of window n_lo + row, from first_talbot on."""
            n_w = n_lo + row
            first = max(first_talbot, _first_step(eta, n_w))
            if last < first:
                return 0.0
            rows = np.einsum("jl,jl->j", _window_sums(s, d, math.ldexp(1.0, n_w), eta, first, last), dmat[row])
            return 2.0 * eta * (rows[0].real + 2.0 * rows[1:].sum().real)

        steps = np.rint(t / eta).astype(np.int64)
        # the window row of each step (the windows partition the steps: _first_step), and the complete
        # windows below it summed once for all the requested steps
        own = [max(r for r in range(n_hi - n_lo + 1) if _first_step(eta, n_lo + r) <= k) for k in steps]
        complete = np.cumsum([0.0] + [window_term(r, _first_step(eta, n_lo + r + 1) - 1) for r in range(max(own))])
        thermal = np.array(
            [thermal_prefix + complete[r] + window_term(r, int(k)) for r, k in zip(own, steps, strict=True)]
        )
    diag.update(windows=int(used.size), talbot_error_estimate=float(np.max(sig_err)) if t.size else 0.0)
    scale = max(sums.target, 1e-300)
    bad = np.flatnonzero(sig_err > TALBOT_RELIABILITY * max(scale, np.max(np.abs(signal), initial=0.0)))
    if bad.size:
        raise NumericalError(f"DMFT (discrete time): 2-D Talbot inversion unreliable at t = {t[bad[0]]:.4g}")
    return signal, noise, init, thermal, diag


def _first_step(eta: float, n_w: int) -> int:
    """The first step m of window n_w: eta m > 2^(n_w - 1) (the windows partition the steps)."""
    return math.floor(math.ldexp(1.0, n_w - 1) / eta) + 1


def stationary_thermal(
    sums: ModeSums, inv_n: float, inv_p: float, gamma: float, eta: float, mu: float, flow_thermal: float
) -> float:
    """Theta(inf) of heavy-ball steps from gradient flow's Theta(inf) = sum_x w_x / x: per direction the
    stationary variance is (1/x + 1/(c - x)) / (1 - mu), c = 2 (1 + mu) / eta, and sum_x w_x / (c - x) = -m(-c)."""
    return (flow_thermal - m_real(sums, inv_n, inv_p, -2.0 * (1.0 + mu) / eta + gamma)) / (1.0 - mu)

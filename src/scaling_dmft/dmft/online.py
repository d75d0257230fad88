"""Online mini-batch SGD (P = inf): the theory of docs/theory/discrete.md, section 5.

SGD on fresh Gaussian batches is exactly SGD on a Gaussian linear regression in the eigenbasis of
its feature covariance: eigenvalues g_j, a teacher with target powers c^_j = g_j a*_j^2 and a label
noise sigma^2 + E_res, where E_res is the part of the target no weight vector reaches. For N = inf
the eigenbasis is the modes (g = lambda, c^ = c, E_res = 0); for N < M random features it is that of
G_F = F Lambda F^T / N, whose spectral measures the deterministic equivalent gives (`feature_nodes`,
section 5.5). With a_j = 1 - eta (g_j + gamma), d_j = a_j^2 + eta^2 g_j^2 / B, u_j = eta^2 g_j / B the
second moments close on their diagonal:

    S_j' = d_j S_j + u_j (L + sigma^2 + E_res) - 2 eta gamma a_j a*_j m_j + (eta gamma a*_j)^2 + 2 eta T,
    m_j' = a_j m_j - eta gamma a*_j,        L = sum_j g_j S_j,        E_g = E_res + L.

`online_curves` evaluates this on a set of quadrature nodes (`OnlineNodes`): tau-nodes carry the
target (each S starts at a*^2 and evolves without the coupling L), nu-nodes carry the count of
eigenvalues (the part driven by L, and the initialisation and Langevin noise). The first steps are
iterated one by one; after that the steps are taken in blocks of length ~ BLOCK_GROWTH k at one
learning rate, each block in closed form per node with L inside the block interpolated as rho^i times a
quadratic (through the previous block's start, this block's start and its end, which is solved for
because the update is linear in it; section 5.2). A learning-rate schedule (`Schedule`) sets the rate
per step or block (section 5.3). The cost is O(nodes (EXACT_STEPS + log(k) / BLOCK_GROWTH)), any
step count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..errors import InputError
from ..schedules import CONSTANT, Schedule, online_steps

if TYPE_CHECKING:
    from ..spectra import Modes, Spectrum

# steps iterated one by one before blocks (more where sign-flipping modes with weight decay decay slowly)
EXACT_STEPS = 128
MAX_EXACT_STEPS = 1 << 16
# block length / step index: the interpolation error of L inside a block is ~ BLOCK_GROWTH^3
BLOCK_GROWTH = 0.04
# the same for a power-law schedule, whose first-order rate correction leaves an error ~ BLOCK_GROWTH^2
BLOCK_GROWTH_VARYING = 0.03
# exact steps go on until the sign-flipping terms (|a| < 1, a < 0) are below this
FLIP_DECAYED = 1e-13
# x = n (1 - d) below which the block sums use their Taylor series (cancellation in the closed forms)
SERIES_BELOW = 1e-3
# the smallest per-step decay factored out of the loss inside a block
RHO_MIN = 0.5
# an error this many times its start has diverged
DIVERGED = 1e12


@dataclass(frozen=True)
class OnlineNodes:
    """Quadrature nodes of the two spectral measures of the feature covariance (module docstring):
    tau-nodes (eigenvalue g_tau, target power c_tau: sum_j c^_j f(g_j) ~ sum c_tau f(g_tau)) and
    nu-nodes (eigenvalue g_nu, count n_nu: sum_j f(g_j) ~ sum n_nu f(g_nu)); `residual` is E_res."""

    g_tau: np.ndarray
    c_tau: np.ndarray
    g_nu: np.ndarray
    n_nu: np.ndarray
    residual: float = 0.0


def online_theory(
    spectrum: Spectrum,
    *,
    batch_size: float,
    learning_rate: float,
    weight_decay: float,
    times: npt.ArrayLike,
    n_features: float = math.inf,
    schedule: Schedule = CONSTANT,
    nodes: OnlineNodes | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The theory's components (4, T) and flags (T,) at times t = eta k (whole steps, eta the base rate)
    on the spectrum's modes (N = inf) or the deterministic-equivalent nodes of G_F (N < M; `feature_nodes`,
    which `nodes` can pass in when several calls share them)."""
    if isinstance(batch_size, bool) or not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
        raise InputError("batch_size", batch_size, "an integer B >= 1")
    if not (math.isfinite(weight_decay) and weight_decay >= 0):
        raise InputError("weight_decay", weight_decay, "a finite number >= 0")
    _, steps = online_steps(float(learning_rate), times)
    if nodes is None:
        nodes = online_nodes(spectrum, n_features)
    return online_curves(
        nodes,
        batch_size=float(batch_size),
        learning_rate=float(learning_rate),
        weight_decay=float(weight_decay),
        steps=steps,
        schedule=schedule,
    )


def online_nodes(spectrum: Spectrum, n_features: float) -> OnlineNodes:
    """The nodes of the two measures: the modes (N = inf) or `feature_nodes` (N < M)."""
    if math.isinf(n_features):
        return mode_nodes(spectrum.modes())
    return feature_nodes(spectrum, n_features)


def mode_nodes(modes: Modes) -> OnlineNodes:
    """N = inf: the feature covariance is Lambda; both measures sit on the modes (a spectrum.Modes)."""
    lam = np.asarray(modes.eigenvalues, dtype=np.float64)
    w = np.asarray(modes.weights, dtype=np.float64)
    return OnlineNodes(lam, w * np.asarray(modes.target_power, dtype=np.float64), lam, w, 0.0)


# exact modes kept for the deterministic equivalent at finite N: the tail's quadrature starts this many
# times N modes down, far below the lower edge of G_F's spectrum (~ lambda_N), where 1/(lambda + kappa) is smooth
EXACT_MODES_PER_FEATURE = 8


def feature_nodes(spectrum: Spectrum, n_features: float) -> OnlineNodes:
    """N < M random features: the deterministic-equivalent nodes of G_F's count and target measures and
    the unreachable target power E_res (gram.gram_measures; docs/theory/discrete.md section 5.6)."""
    from ..spectra import EXACT_MODES
    from .gram import gram_measures
    from .kappa import ModeSums

    n = float(n_features)
    if not (n >= 1 and n.is_integer() and n < spectrum.n_modes):
        raise InputError("n_features", n_features, f"an integer 1 <= N < M = {spectrum.n_modes} (or inf)")
    exact = min(spectrum.n_modes, max(EXACT_MODES, EXACT_MODES_PER_FEATURE * int(n)))
    measures = gram_measures(ModeSums(spectrum.modes(exact_modes=exact), compress=False), n)
    return OnlineNodes(
        measures["g_tau"], measures["c_tau"], measures["g_nu"], measures["n_nu"], float(measures["residual"])
    )


def _geom(d: np.ndarray, r: np.ndarray, n: float) -> np.ndarray:
    """sum_{i<n} d^(n-1-i) r^i = (d^n - r^n) / (d - r) for d > 0, any real r, without cancellation:
    for r > 0 as big^(n-1) (1 - y^n)/(1 - y) with y = small/big <= 1 (expm1), else directly (d - r >= d)."""
    pos = r > 0.0
    out = np.empty_like(d)
    dp, rp = d[pos], r[pos]
    big = np.maximum(dp, rp)
    ly = np.log(np.minimum(dp, rp) / big)
    same = ly == 0.0
    ratio = np.where(same, n, np.expm1(n * ly) / np.where(same, 1.0, np.expm1(ly)))
    out[pos] = np.exp((n - 1.0) * np.log(big)) * ratio
    if not pos.all():
        dn, rn = d[~pos], r[~pos]
        out[~pos] = (np.power(dn, n) - np.power(rn, n)) / (dn - rn)
    return out


def _block_sums(
    one_minus_d: np.ndarray, n: float, moments: int = 3
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(d^n, W_0, W_1, W_2) with W_m = sum_{i<n} d^(n-1-i) (i/n)^m (docs/theory/discrete.md 5.2):
    closed forms W_0 = E/(1-d), W_1 = (1 - E/x)/(1-d), W_2 = (1 - 2/x + 2E/x^2)/(1-d) - E/x^2 with
    x = n (1-d), E = 1 - d^n; for |x| < SERIES_BELOW (cancellation) their expansion to second order in
    1 - d, from the power sums P_m = sum_{i<n} i^m (relative error ~ x^3 < 1e-9). `moments` = 1: W_0 only
    (W_1, W_2 None)."""
    delta = one_minus_d
    x = n * delta
    log_d = np.log1p(-delta)
    dn = np.exp(n * log_d)
    e = -np.expm1(n * log_d)
    w0 = e / delta
    ws = [w0]
    if moments > 1:
        ws.append((1.0 - e / x) / delta)
        ws.append((1.0 - 2.0 / x + 2.0 * e / (x * x)) / delta - e / (x * x))
    small = np.abs(x) < SERIES_BELOW
    if small.any():
        ds = delta[small]
        p = [n, n * (n - 1) / 2, (n - 1) * n * (2 * n - 1) / 6, (n * (n - 1) / 2) ** 2]
        p.append((n - 1) * n * (2 * n - 1) * (3 * (n - 1) ** 2 + 3 * (n - 1) - 1) / 30)
        # d^(n-1-i) = 1 - (n-1-i) delta + (n-1-i)(n-2-i)/2 delta^2 + O(delta^3)
        for m, w in enumerate(ws):
            first = (n - 1) * p[m] - p[m + 1]
            second = 0.5 * ((n - 1) * (n - 2) * p[m] - (2 * n - 3) * p[m + 1] + p[m + 2])
            w[small] = (p[m] - first * ds + second * ds * ds) / n**m
    return (dn, w0, ws[1], ws[2]) if moments > 1 else (dn, w0, None, None)


def _rate_correction(
    g: np.ndarray,
    a: np.ndarray,
    d: np.ndarray,
    u: np.ndarray,
    rate: float,
    slope: float,
    gamma: float,
    batch: float,
    n: float,
    rho: np.ndarray,
    lt: np.ndarray,
    w0: np.ndarray,
    w1: np.ndarray,
    w2: np.ndarray,
) -> np.ndarray:
    """First-order change of a block's nu-node update when the rate is rate + slope (i - (n-1)/2) instead
    of its mean: sum_i d^(n-1-i) [f'(eta) delta_i - (d'/d) D_i f_i], delta_i = slope (i - (n-1)/2),
    D_i = sum_{l<=i} delta_l, f_i = u Lt_i (+ 2 eta thermal) with Lt_i ~ rho^i Lt_start."""
    dd = -2.0 * a * (g + gamma) + 2.0 * rate * g * g / batch  # d'(eta)
    du = 2.0 * rate * g / batch  # u'(eta)
    scale = (rho ** (n - 1.0))[:, None]
    first = scale * slope * n * (w1 - 0.5 * (n - 1.0) / n * w0)
    second = scale * 0.5 * slope * n * n * (w2 - (1.0 - 2.0 / n) * w1 - (1.0 / n) * (1.0 - 1.0 / n) * w0)
    f = u * lt[:, None]
    fp = du * lt[:, None]
    f[3] += 2.0 * rate
    fp[3] += 2.0
    return fp * first - (dd / d) * f * second


def _rates(nodes_g: np.ndarray, eta: float, gamma: float, batch: float):
    """(a, d, 1 - d, u) of one step at learning rate eta (1 - d formed without cancellation)."""
    x = eta * (nodes_g + gamma)
    a = 1.0 - x
    eg2 = eta * eta * nodes_g * nodes_g / batch
    return a, a * a + eg2, x * (2.0 - x) - eg2, eta * eta * nodes_g / batch


def stability(nodes: OnlineNodes, *, batch_size: float, learning_rate: float, weight_decay: float) -> float:
    """The mass of the renewal kernel, K = sum_nu n g u / (1 - d) (+inf if a mode has d >= 1), at a
    constant rate: the recursion converges iff K < 1 (every mode contracts, and the loss fed back by the
    SGD noise, L_k = F_k + sum_i K_(k-1-i) (L_i + sigma^2) with K_m = sum n g u d^m, has total mass
    below 1). At K = 1, the edge itself, the error does not converge (docs/theory/discrete.md 5.1)."""
    for g in (nodes.g_tau, nodes.g_nu):
        if g.size and not np.all(_rates(g, learning_rate, weight_decay, batch_size)[2] > 0):
            return math.inf
    _, _, omd, u = _rates(nodes.g_nu, learning_rate, weight_decay, batch_size)
    return float(np.sum(nodes.n_nu * nodes.g_nu * u / omd))


def _exact_steps(nodes: OnlineNodes, gamma: float, eta: float) -> int:
    """Steps to iterate one by one: EXACT_STEPS, more while sign-flipping modes (a < 0) with weight decay
    have not decayed below FLIP_DECAYED (their contribution to L flips sign each step: not smooth)."""
    k = EXACT_STEPS
    if gamma > 0.0:
        for g in (nodes.g_tau, nodes.g_nu):
            a = 1.0 - eta * (g + gamma)
            flip = a[(a < 0.0) & (a > -1.0)]
            if flip.size:
                k = max(k, math.ceil(math.log(FLIP_DECAYED) / math.log(float(np.abs(flip).max()))))
    return min(k, MAX_EXACT_STEPS)


def online_curves(
    nodes: OnlineNodes,
    *,
    batch_size: float,
    learning_rate: float,
    weight_decay: float,
    steps: npt.ArrayLike,
    schedule: Schedule = CONSTANT,
) -> tuple[np.ndarray, np.ndarray]:
    """(components (4, T): signal, noise per sigma^2, init per sigma0^2, thermal per T; flags (T,): ''
    or why there is no value) at the step counts `steps` (whole numbers >= 0 as floats: no int64 bound).

    A constant rate at or past the stability edge (`stability` >= 1) is flagged `diverged` at every
    step >= 1; with a schedule, steps after the error has grown by DIVERGED are."""
    steps = np.asarray(steps, dtype=np.float64)
    b, eta, gamma = float(batch_size), float(learning_rate), float(weight_decay)
    out = np.full((4, steps.size), np.nan)
    flags = np.full(steps.size, "", dtype=object)
    if steps.size == 0:
        return out, flags
    if schedule.constant:
        edge = stability(nodes, batch_size=b, learning_rate=eta, weight_decay=gamma)
        if edge >= 1.0 - 1e-12:
            grows = steps >= 1
            out[:, grows] = np.inf
            flags[grows] = (
                f"diverged: online SGD at eta = {eta:.4g}, B = {b:g} (noise kernel mass {edge:.4g} >= 1: the "
                "learning rate is too large for the batch size)"
            )
            out[:, ~grows] = initial(nodes)[:, None]
            return out, flags
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        values, blown_from = _curves(nodes, b, eta, gamma, steps, schedule)
    out[:] = values
    bad = steps >= blown_from
    out[:, bad] = np.inf
    flags[bad] = f"diverged: online SGD at eta = {eta:.4g}, B = {b:g} (the error grew by more than {DIVERGED:.0e})"
    return out, flags


def initial(nodes: OnlineNodes) -> np.ndarray:
    """The four components at step 0: the whole target, no noise, one unit of init per direction, 0."""
    return np.array([float(nodes.c_tau.sum()) + nodes.residual, 0.0, float(nodes.n_nu @ nodes.g_nu), 0.0])


def _curves(
    nodes: OnlineNodes, b: float, eta: float, gamma: float, steps: np.ndarray, schedule: Schedule
) -> tuple[np.ndarray, float]:
    """The recursion of `online_curves`: (values (4, T), the first step where it had blown up or inf)."""
    g_t, c_t, g_n, n_n = nodes.g_tau, nodes.c_tau, nodes.g_nu, nodes.n_nu
    w_n = n_n * g_n  # weight of a nu-node's S in L
    drive = np.array([nodes.residual, 1.0, 0.0, 0.0])  # the label-noise drive sigma^2 + E_res, per unit
    offset = np.array([nodes.residual, 0.0, 0.0, 0.0])
    out = np.full((4, steps.size), np.nan)
    # tau-nodes (signal only): s = S / a*^2, m = mean / a*; nu-nodes: V per component
    s, m = np.ones_like(g_t), -np.ones_like(g_t)
    v = np.zeros((4, g_n.size))
    v[2] = 1.0  # the initialisation: unit variance per eigen-direction

    def loss() -> np.ndarray:
        lv = v @ w_n
        lv[0] += c_t @ s
        return lv

    order = np.argsort(steps, kind="stable")
    want = steps[order]
    k_max = float(want[-1])
    lv = loss()
    scale = max(float(lv[0] + lv[2]), 1e-300)
    k, prev = 0.0, (lv, -1.0)  # prev: L and its step at the previous interpolation point
    n_exact = min(float(_exact_steps(nodes, gamma, eta * float(schedule.factor(0.0)))), k_max)
    edges = np.concatenate(
        [
            np.arange(1.0, n_exact + 1.0),
            _block_edges(
                n_exact,
                want,
                schedule.breakpoints(k_max),
                k_max,
                BLOCK_GROWTH_VARYING if schedule.kind == "power" else BLOCK_GROWTH,
            ),
        ]
    )
    j = 0
    for end in edges:
        while j < want.size and want[j] == k:
            out[:, order[j]] = lv + offset
            j += 1
        if not np.all(np.isfinite(lv)) or float(lv.sum()) > DIVERGED * scale:
            return out, k
        n = end - k
        if n == 1.0:  # one exact step
            rate = eta * float(schedule.factor(k))
            lt = lv + drive
            a_t, d_t, _, _ = _rates(g_t, rate, gamma, b)
            _, d_n, _, u_n = _rates(g_n, rate, gamma, b)
            s = d_t * s - 2.0 * rate * gamma * a_t * m + (rate * gamma) ** 2
            m = a_t * m - rate * gamma
            v = d_n * v + u_n * lt[:, None]
            v[3] += 2.0 * rate
        else:
            rate = eta * schedule.block_factor(k, n)
            s, m, v = _block(
                nodes,
                b,
                gamma,
                rate,
                eta * schedule.block_slope(k, n),
                n,
                k - prev[1],
                s,
                m,
                v,
                prev[0] + drive,
                lv + drive,
                drive,
            )
            if v is None:
                return out, end
        prev = (lv, k)
        k = end
        lv = loss()
    while j < want.size and want[j] == k:
        out[:, order[j]] = lv + offset
        j += 1
    blown = not np.all(np.isfinite(lv)) or float(lv.sum()) > DIVERGED * scale
    return out, (k if blown else math.inf)


def _block(
    nodes: OnlineNodes,
    b: float,
    gamma: float,
    rate: float,
    slope: float,
    n: float,
    n_prev: float,
    s: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    lt_prev: np.ndarray,
    lt_start: np.ndarray,
    drive: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """n steps at one rate in closed form per node (docs/theory/discrete.md 5.2); (s, m, v) after them,
    v None where the loss fed back inside the block grows without bound."""
    g_t, c_t, g_n = nodes.g_tau, nodes.c_tau, nodes.g_nu
    w_n = nodes.n_nu * g_n
    a_n, d_n, omd_n, u_n = _rates(g_n, rate, gamma, b)
    # N = inf: both measures sit on the modes (the same array)
    a_t, d_t, omd_t = (a_n, d_n, omd_n) if g_t is g_n else _rates(g_t, rate, gamma, b)[:3]
    # tau-nodes: m_i = m_inf + mu0 a^i, the source (eta gamma)^2 - 2 eta gamma a m_i
    if gamma > 0.0:
        dn_t, w0_t, _, _ = _block_sums(omd_t, n, moments=1)
        m_inf = -gamma / (g_t + gamma)
        mu0 = m - m_inf
        alpha = (rate * gamma) ** 2 - 2.0 * rate * gamma * a_t * m_inf
        beta = -2.0 * rate * gamma * a_t * mu0
        s = dn_t * s + alpha * w0_t + beta * _geom(d_t, a_t, n)
        m = m_inf + mu0 * np.power(a_t, n)
    else:
        s = np.exp(n * np.log1p(-omd_t)) * s
    # nu-nodes: V(n) = d^n V + u sum_i d^(n-1-i) Lt_i (+ 2 eta W_0: thermal), with Lt_i = rho^i Q(i/n), Q
    # quadratic through Lt at the previous block's start (i = -n_prev), this start and this end, and rho
    # the component's decay per step between the first two (exact for a pure exponential: the
    # initialisation with gamma > 0 decays like one)
    r = n_prev / n
    decaying = (lt_prev > 0) & (lt_start > 0) & (lt_start < lt_prev)
    rho = np.maximum(np.where(decaying, (lt_start / np.where(decaying, lt_prev, 1.0)) ** (1.0 / n_prev), 1.0), RHO_MIN)
    dn_n, w0_n, w1_n, w2_n = _block_sums(omd_n, n)
    # the same sums for d / rho (1 - d/rho = (rho - d)/rho) times rho^(n-1), for the decaying components
    # only; Q(-r) = Lt_prev rho^n_prev, Q(0) = Lt_start, Q(1) = Lt_end rho^-n
    w0, w1, w2 = (np.repeat(w[None, :], 4, axis=0) for w in (w0_n, w1_n, w2_n))
    fit = np.flatnonzero(rho < 1.0)
    if fit.size:
        _, w0[fit], w1[fit], w2[fit] = _block_sums((omd_n[None, :] - (1.0 - rho[fit, None])) / rho[fit, None], n)
    f_start = (rho ** (n - 1.0))[:, None]
    c_prev = (f_start * rho[:, None] ** n_prev) * (w2 - w1) / (r * (r + 1.0))
    c_start = f_start * (r * w0 - w2 - (r - 1.0) * w1) / r
    c_end = (w2 + r * w1) / ((1.0 + r) * rho[:, None])
    base = dn_n * v + u_n * (c_prev * lt_prev[:, None] + c_start * lt_start[:, None])
    base[3] += 2.0 * rate * w0_n
    if slope != 0.0:  # a varying rate: its first-order effect (docs/theory/discrete.md 5.2)
        base += _rate_correction(g_n, a_n, d_n, u_n, rate, slope, gamma, b, n, rho, lt_start, w0, w1, w2)
    coupling = u_n * c_end
    feedback = coupling @ w_n
    if not np.all(feedback < 1.0):
        return s, m, None
    lt_end = (base @ w_n + np.array([c_t @ s, 0.0, 0.0, 0.0]) + drive) / (1.0 - feedback)
    return s, m, base + coupling * lt_end[:, None]


def _block_edges(k0: float, want: np.ndarray, breaks: np.ndarray, k_max: float, growth: float) -> list[float]:
    """Block ends after step k0: geometric in the steps since the last schedule break (length
    floor(BLOCK_GROWTH (k - break)), at least 1: after a drop of the learning rate the fast modes relax
    again), cut at every requested step and every break."""
    stops = np.unique(np.concatenate([want[want > k0], breaks[breaks > k0]]))
    edges, k, i, last = [], k0, 0, 0.0
    brk = set(breaks.tolist())
    while k < k_max:
        if k in brk:
            last = k
        nxt = k + max(1.0, math.floor(growth * (k - last)))
        while i < stops.size and stops[i] <= k:
            i += 1
        if i < stops.size and stops[i] < nxt:
            nxt = float(stops[i])
        edges.append(nxt)
        k = nxt
    return edges

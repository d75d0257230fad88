"""The four deterministic curves: signal (two-point), label noise, init and thermal (one-point).

docs/theory/dmft.md ("Signal: the two-point closure", "one-point terms", "Numerical method");
docs/theory/langevin-bayes.md.

All transforms are evaluated per window (contour.py: the times 2^(n-1) < t <= 2^n share the nodes
z_j = s_j/tau, tau = 2^n) and inverted per time with the weights W_j(t; tau).

Signal (S), per window, kappa_j = kappa(z_j), h_j = 1/(lambda + kappa_j):

    E_S(z1,z2) = kappa1 kappa2/(z1 z2) [w1 (1 - j2/N) + j1 w2/N] / [(1 - j2/P)(1 - j2/N) - kappa1 kappa2 j1^2/(NP)]

with w1 = sum c h1 h2, w2 = sum lambda c h1 h2, j1 = sum lambda h1 h2, j2 = sum lambda^2 h1 h2 (weights omega_j of
Modes). The four bilinear sums for rows j >= 0 against all 2K-1 columns are one matrix product
(8K x M)(M x 2K) per window (real arithmetic), batched over a few windows. Inverted with the 2-D Talbot sum.

Label noise (per sigma^2), pair z1 = s/tau, z2 = s/(2 tau) on the same ray (windows n and n+1):
    Nz(t) = L^-1[ [Acal]_12 / (P s [g]_12) ](t),
    [g]_12 = R_1(2) R_2(2) + kappa1 j1 (R_2(2)/P + R_1(1)/N),  [Acal]_12 = j2 R_2(2) + kappa1 df(kappa1) j1/N
(elementwise pair sums j1, j2 -- no divided differences of kappa).

Init (per sigma0^2): C(2t) = L^-1[m](2t), m = df/R_1 = C~(z); where 2 gamma t > 1 the gamma-shifted form
C(2t) = e^{-2 gamma t} L^-1[m|_{gamma=0}](2t) (gamma = 0 rays, joining the march of the gamma rays late), so
that a decaying C(2t) keeps its relative accuracy instead of sinking into the ~1e-12 absolute noise.

Thermal (per T): Theta(t) = L^-1[C~(z)/z](2t), the one-point route (never the two-time kernel
2T/(z1+z2) with a separable double sum: docs/theory/langevin-bayes.md, "Pitfalls").
"""

from __future__ import annotations

import numpy as np

from ..errors import NumericalError
from . import contour
from .kappa import KappaSolver, ModeSums, stable_r

# 2-D Talbot: relative roundoff amplification estimate eps * sum|terms| must stay below this fraction
# of the curve scale (target variance), else the inversion is "visibly unreliable"
TALBOT_RELIABILITY = 1e-7
# windows per batched GEMM of the bilinear sums: small, so that the (8K x M) operands of a chunk stay in
# cache (measured: 4 windows 1.9 ms, 24 windows 3.8 ms for the transforms of one curve)
WINDOW_CHUNK = 4
SHIFT_FROM = 1.0  # 2 gamma t above which the init term uses the gamma-shifted form
ZERO_JOIN = 32.0  # |w| / gamma where the gamma = 0 rays start from the gamma rays (one step -gamma in w)


def _bilinear(sums: ModeSums, kappa: np.ndarray, out: np.ndarray):
    """w1, w2, j1, j2 for rows h_j = 1/(lambda + kappa_j) (B, K) against columns [h, conj h[1:]] into out (B, 4, K, 2K-1).

    Real arithmetic: with h = u + i v and X = [U; V] (2K x M), one GEMM [X a_1; ..; X a_4] X^T per window
    gives UU, UV, VU, VV for the four weight vectors a; then sum a h_j h_l = UU - VV + i(UV + VU) and
    sum a h_j conj(h_l) = UU + VV + i(VU - UV).
    """
    b, k = kappa.shape
    d = sums.lam + kappa.real[..., None]  # (B, K, M)
    ki = kappa.imag[..., None]
    inv = d * d
    inv += ki * ki
    np.reciprocal(inv, out=inv)
    x = np.empty((b, 2 * k, d.shape[-1]))
    np.multiply(d, inv, out=x[:, :k])
    np.multiply(-ki, inv, out=x[:, k:])
    y = (x[:, None] * sums.bilinear_weights[None, :, None, :]).reshape(b, 8 * k, -1)  # (B, 8K, M)
    g = (y @ x.transpose(0, 2, 1)).reshape(b, 4, 2, k, 2, k)  # [window, weight, U/V row, j, U/V column, l]
    uu, uv, vu, vv = g[:, :, 0, :, 0], g[:, :, 0, :, 1], g[:, :, 1, :, 0], g[:, :, 1, :, 1]
    out.real[..., :k] = uu - vv
    out.imag[..., :k] = uv + vu
    out.real[..., k:] = (uu + vv)[..., 1:]
    out.imag[..., k:] = (vu - uv)[..., 1:]


def bilinear_sums(sums: ModeSums, kap: np.ndarray) -> np.ndarray:
    """w1, w2, j1, j2 per window: kap (W, K) -> (W, 4, K, 2K-1) (rows j >= 0, columns [kap, conj kap[1:]])."""
    nw, k = kap.shape
    sums4 = np.empty((nw, 4, k, 2 * k - 1), dtype=np.complex128)
    for a in range(0, nw, WINDOW_CHUNK):  # the GEMMs in small chunks (cache), the formula on all windows at once
        sl = slice(a, a + WINDOW_CHUNK)
        _bilinear(sums, kap[sl], sums4[sl])
    return sums4


def signal_transform(
    sums: ModeSums, inv_n: float, inv_p: float, kap: np.ndarray, z: np.ndarray, sums4: np.ndarray | None = None
) -> np.ndarray:
    """E_S(z_j, z_l) per window: kap, z (W, K) -> (W, K, 2K-1) (rows j >= 0, columns [z, conj z[1:]]).
    `sums4`: the `bilinear_sums` of kap if already computed (its j1 is overwritten)."""
    sums4 = bilinear_sums(sums, kap) if sums4 is None else sums4
    w1, w2, j1, j2 = (sums4[:, m] for m in range(4))
    kc = np.concatenate([kap, np.conj(kap[:, 1:])], axis=1)
    zc = np.concatenate([z, np.conj(z[:, 1:])], axis=1)
    return signal_closure(inv_n, inv_p, w1, w2, j1, j2, kap[:, :, None], z[:, :, None], kc[:, None, :], zc[:, None, :])


def signal_closure(
    inv_n: float,
    inv_p: float,
    w1: np.ndarray,
    w2: np.ndarray,
    j1: np.ndarray,
    j2: np.ndarray,
    k1: np.ndarray,
    z1: np.ndarray,
    k2: np.ndarray,
    z2: np.ndarray,
) -> np.ndarray:
    """E_S(z1, z2) from the four bilinear sums at the pairs (module docstring); kappa and z of the two
    points broadcast against the sums (rows k1, z1; columns k2, z2). j1 is overwritten."""
    den = 1.0 - inv_p * j2
    if inv_n == 0.0:
        num = w1.copy()
    else:
        b = 1.0 - inv_n * j2
        num = w1 * b
        num += inv_n * j1 * w2
        den *= b
        if inv_p != 0.0:
            j1 *= j1
            j1 *= k1 * k2
            den -= (inv_n * inv_p) * j1
    num *= (k1 / z1) * (k2 / z2)  # kappa_1 kappa_2 / (z_1 z_2)
    num /= den
    return num


def noise_closure(
    inv_n: float,
    inv_p: float,
    j1: np.ndarray,
    j2: np.ndarray,
    k1: np.ndarray,
    z1: np.ndarray,
    df1: np.ndarray,
    r1_1: np.ndarray,
    z2: np.ndarray,
    r1_2: np.ndarray,
    r2_2: np.ndarray,
) -> np.ndarray:
    """E_n(z1, z2) = [A]_12 / (P z1 z2 [g]_12), the divided differences written with the pair sums j1, j2
    (module docstring); point 1 broadcasts as rows, point 2 as columns."""
    g_12 = r1_2 * r2_2 + k1 * j1 * (r2_2 * inv_p + r1_1 * inv_n)
    a_12 = j2 * r2_2 + k1 * df1 * j1 * inv_n
    return a_12 * inv_p / (z1 * z2 * g_12)


def talbot_error_2d(vals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Roundoff estimate of invert_2d: eps sum |W_j||F_jl||W_l| (both halves); weights W_j(t; tau) (T, K)."""
    wt = np.abs(weights)[:, : vals.shape[-2]]
    wc = np.concatenate([wt, wt[:, 1:]], axis=1)
    return 2.2e-16 * np.einsum("bj,bjl,bl->b", wt, np.abs(vals), wc) * 2.0


def pair_sums(sums: ModeSums, k1: np.ndarray, k2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Elementwise j1 = sum lambda h1 h2, j2 = sum lambda^2 h1 h2 for kappa arrays of equal shape (W, K)."""
    h = sums.lam + k1[..., None]
    h *= sums.lam + k2[..., None]
    np.reciprocal(h, out=h)
    j = h @ sums.pair_weights  # (W, K, 2)
    return j[..., 0], j[..., 1]


def dynamic_curves(
    sums: ModeSums, inv_n: float, inv_p: float, gamma: float, t: np.ndarray, n_nodes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
    """signal, noise, init, thermal at finite times t (any order), plus diagnostics.

    Every t uses the Talbot contour of its window tau = 2^n (contour.window); the transforms are
    evaluated once per window (index a below) and inverted per time. Quantities at 2t live in window n+1.
    """
    s_all, _ = contour.talbot(n_nodes)
    s = s_all[: contour.active(n_nodes)]
    ke = s.size
    n_t, tau = contour.window(t)
    n_lo, n_hi = int(n_t.min()), int(n_t.max()) + 1
    used, at = np.unique(n_t, return_inverse=True)  # windows of the requested times; t -> row of `used`
    i1 = used - n_lo  # rows of the window arrays: window of t
    i2 = i1 + 1  # window of 2t
    tau_u = np.ldexp(1.0, used)
    solver = KappaSolver(sums, inv_n, inv_p)
    # init: the gamma-shifted form where e^{-2 gamma t} < e^{-SHIFT_FROM} (relative accuracy of a decaying
    # C(2t)); for smaller 2 gamma t the plain inversion of m loses at most a factor e^{SHIFT_FROM} relative
    use_shift = (2.0 * gamma * t > SHIFT_FROM) if gamma > 0.0 else np.zeros(t.size, dtype=bool)
    shifted = bool(use_shift.any()) and inv_n + inv_p > 0.0
    # gamma = 0 rays (init term, gamma-shifted form), needed at 2t > 1/gamma only: they join the march at the
    # last window with |s_j|/tau >= ZERO_JOIN gamma on every ray (before any window they are needed in)
    zero_from = int(np.floor(np.log2(np.min(np.abs(s)) / (ZERO_JOIN * gamma)))) if shifted else None
    kap_all, df_all, diag = solver.windows(s, n_lo, n_hi, gamma, zero_from)
    kap, df = kap_all[:, :ke], df_all[:, :ke]
    k1, k2, df1, df2 = kap[i1], kap[i2], df[i1], df[i2]
    z1 = s[None, :] / tau_u[:, None]
    z2 = z1 / 2.0
    r1_z1, r2_z1 = stable_r(k1, z1 + gamma, df1, inv_n, inv_p)
    r1_z2, r2_z2 = stable_r(k2, z2 + gamma, df2, inv_n, inv_p)
    min_r = float(min(np.min(np.abs(r1_z1)), np.min(np.abs(r2_z1)), np.min(np.abs(r1_z2)), np.min(np.abs(r2_z2))))

    wt = contour.weights(t, n_nodes, tau)[:, :ke]  # W_j(t; tau); at 2t in window n+1: W_j(2t; 2 tau) = W_j(t; tau)/2
    wt2 = wt / 2.0
    vals = signal_transform(sums, inv_n, inv_p, k1, z1)[at]
    signal = contour.invert_2d(vals, t, w=wt)
    sig_err = talbot_error_2d(vals, wt)

    # label noise (per sigma^2)
    if inv_p == 0.0:
        noise = np.zeros(t.size)
    else:
        j1, j2 = pair_sums(sums, k1, k2)
        # the divided differences [g]_12 and [A]_12 at (z_1, z_2) = (s/tau, s/(2 tau)); the noise is the
        # one-dimensional inverse of [A]_12 / (P s [g]_12) = z_2 E_n(z_1, z_2) (docs/theory/dmft.md section 5.1)
        ray = noise_closure(inv_n, inv_p, j1, j2, k1, z1, df1, r1_z1, z2, r1_z2, r2_z2) * z2
        noise = contour.invert_1d(ray[at], t, w=wt)

    # thermal: Theta(t) = L^-1[m(z)/z](2t), m = C~ = df/R_1 at z = s/(2 tau)  (window of 2t)
    m2 = df2 / r1_z2
    thermal = contour.invert_1d((m2 / z2)[at], 2.0 * t, w=wt2)

    # init: C(2t)
    init = contour.invert_1d(m2[at], 2.0 * t, w=wt2)
    if use_shift.any():
        sel = np.flatnonzero(use_shift)
        rows = np.unique(at[sel])  # windows of the shifted times
        z2s = z2[rows]
        if shifted:
            k0, df0 = kap_all[i2[rows], ke:], df_all[i2[rows], ke:]
        else:  # N = P = inf: kappa = z exactly
            k0 = z2s
            df0 = sums.h(z2s) @ sums.wl
        r10, _ = stable_r(k0, z2s, df0, inv_n, inv_p)
        vals0 = (df0 / r10)[np.searchsorted(rows, at[sel])]
        init[sel] = np.exp(-2.0 * gamma * t[sel]) * contour.invert_1d(vals0, 2.0 * t[sel], w=wt2[sel])

    diag.update(
        kappa_evaluations=solver.evaluations,
        windows=int(used.size),
        min_abs_R=min_r,
        talbot_error_estimate=float(np.max(sig_err)) if t.size else 0.0,
    )
    scale = max(sums.target, 1e-300)
    bad = np.flatnonzero(sig_err > TALBOT_RELIABILITY * max(scale, np.max(np.abs(signal), initial=0.0)))
    if bad.size:
        raise NumericalError(
            f"DMFT: 2-D Talbot inversion of the signal unreliable at t = {t[bad[0]]:.4g} "
            f"(roundoff estimate {sig_err[bad[0]]:.3g} vs curve scale {scale:.3g})"
        )
    return signal, noise, init, thermal, diag

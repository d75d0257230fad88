"""The four deterministic curves: signal (two-point), label noise, init and thermal (one-point).

gradient-flow.md sections 3.1, 3.2 and 4 (items 4-6); langevin-bayes.md sections 0 and 3.

Signal (S), per time t, nodes z_j = s_j/t, kappa_j = kappa(z_j), h_j = 1/(lambda + kappa_j):

    E_S(z1,z2) = kappa1 kappa2/(z1 z2) [w1 (1 - j2/N) + j1 w2/N] / [(1 - j2/P)(1 - j2/N) - kappa1 kappa2 j1^2/(NP)]

with w1 = sum c h1 h2, w2 = sum lambda c h1 h2, j1 = sum lambda h1 h2, j2 = sum lambda^2 h1 h2 (weights omega_j of
Modes). The four bilinear sums for rows j >= 0 against all 2K-1 columns are one matrix product
(4K x M)(M x (2K-1)) per time, batched over times. Inverted with the 2-D Talbot sum.

Label noise (per sigma^2), pair z1 = s/t, z2 = s/(2t) on the same ray:
    Nz(t) = L^-1[ [Acal]_12 / (P s [g]_12) ](t),
    [g]_12 = R_1(2) R_2(2) + kappa1 j1 (R_2(2)/P + R_1(1)/N),  [Acal]_12 = j2 R_2(2) + kappa1 df(kappa1) j1/N
(elementwise pair sums j1, j2 -- no divided differences of kappa).

Init (per sigma0^2): C(2t) = L^-1[m](2t), m = df/R_1 = C~(z); where 2 gamma t > 1 the gamma-shifted form
C(2t) = e^{-2 gamma t} L^-1[m|_{gamma=0}](2t) (gamma = 0 rays, marched together with the gamma rays), so
that a decaying C(2t) keeps its relative accuracy instead of sinking into the 1e-13 absolute noise.

Thermal (per T): Theta(t) = L^-1[C~(z)/z](2t), the one-point route (never the two-time kernel
2T/(z1+z2) with a separable double sum: langevin-bayes.md 5.2b).
"""

from __future__ import annotations

import numpy as np

from ..errors import NumericalError
from . import contour
from .kappa import KappaSolver, ModeSums, stable_r

# 2-D Talbot: relative roundoff amplification estimate eps * sum|terms| must stay below this fraction
# of the curve scale (target variance), else the inversion is "visibly unreliable"
TALBOT_RELIABILITY = 1e-7
TIME_CHUNK = 8
SHIFT_FROM = 1.0  # 2 gamma t above which the init term uses the gamma-shifted form


def _bilinear(sums: ModeSums, kappa: np.ndarray):
    """w1, w2, j1, j2 for rows h_j = 1/(lambda + kappa_j) (B, K) against columns [h, conj h[1:]]: each (B, K, 2K-1).

    Real arithmetic: with h = u + i v and X = [U; V] (2K x M), one GEMM [X a_1; ..; X a_4] X^T per time gives
    UU, UV, VU, VV for the four weight vectors a; then sum a h_j h_l = UU - VV + i(UV + VU) and
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
    g = y @ x.transpose(0, 2, 1)  # (B, 8K, 2K)
    out = []
    for m in range(4):
        blk = g[:, 2 * k * m : 2 * k * (m + 1)]
        uu, uv = blk[:, :k, :k], blk[:, :k, k:]
        vu, vv = blk[:, k:, :k], blk[:, k:, k:]
        same = (uu - vv) + 1j * (uv + vu)
        conj = (uu + vv) + 1j * (vu - uv)
        out.append(np.concatenate([same, conj[:, :, 1:]], axis=2))
    return out


def signal_curve(sums, inv_n, inv_p, t, kap, s, n_nodes):
    """E_S(t) for finite t (T,), kappa at z = s/t (T, K). Returns (values, error estimate)."""
    out = np.empty(t.size)
    err = np.empty(t.size)
    for a in range(0, t.size, TIME_CHUNK):
        sl = slice(a, a + TIME_CHUNK)
        tb, kb = t[sl], kap[sl]
        w1, w2, j1, j2 = _bilinear(sums, kb)
        z = s[None, :] / tb[:, None]
        zc = np.concatenate([z, np.conj(z[:, 1:])], axis=1)
        kc = np.concatenate([kb, np.conj(kb[:, 1:])], axis=1)
        kk = kb[:, :, None] * kc[:, None, :]
        zz = z[:, :, None] * zc[:, None, :]
        num = w1 * (1.0 - j2 * inv_n) + j1 * w2 * inv_n
        den = (1.0 - j2 * inv_p) * (1.0 - j2 * inv_n) - kk * j1 * j1 * (inv_n * inv_p)
        vals = kk / zz * num / den
        out[sl] = contour.invert_2d(vals, tb, n_nodes)
        wt = np.abs(contour.weights(tb, n_nodes))[:, : s.size]
        wc = np.concatenate([wt, wt[:, 1:]], axis=1)
        err[sl] = 2.2e-16 * np.einsum("bj,bjl,bl->b", wt, np.abs(vals), wc) * 2.0
    return out, err


def pair_sums(sums, k1, k2):
    """Elementwise j1 = sum lambda h1 h2, j2 = sum lambda^2 h1 h2 for kappa arrays of equal shape."""
    j1 = np.empty(k1.shape, dtype=np.complex128)
    j2 = np.empty(k1.shape, dtype=np.complex128)
    for a in range(0, k1.shape[0], TIME_CHUNK):
        sl = slice(a, a + TIME_CHUNK)
        hh = sums.h(k1[sl]) * sums.h(k2[sl])
        j1[sl] = hh @ sums.wl
        j2[sl] = hh @ sums.wl2
    return j1, j2


def dynamic_curves(sums: ModeSums, inv_n: float, inv_p: float, gamma: float, t: np.ndarray, n_nodes: int):
    """signal, noise, init, thermal at finite times t (sorted or not), plus diagnostics."""
    s_all, _ = contour.talbot(n_nodes)
    s = s_all[: contour.active(n_nodes)]
    ke = s.size
    solver = KappaSolver(sums, inv_n, inv_p)
    taus = np.unique(np.concatenate([t, 2.0 * t]))
    i1 = np.searchsorted(taus, t)
    i2 = np.searchsorted(taus, 2.0 * t)
    # init: the gamma-shifted form where e^{-2 gamma t} < e^{-SHIFT_FROM} (relative accuracy of a decaying
    # C(2t)); for smaller 2 gamma t the plain inversion of m loses at most a factor e^{SHIFT_FROM} relative
    use_shift = (2.0 * gamma * t > SHIFT_FROM) if gamma > 0.0 else np.zeros(t.size, dtype=bool)
    shifted = bool(use_shift.any()) and inv_n + inv_p > 0.0
    if shifted:  # gamma = 0 rays (init term, gamma-shifted form) ride along, needed at 2t only
        rays = np.concatenate([s, s])
        shifts = np.concatenate([np.full(ke, gamma), np.zeros(ke)])
        need = np.zeros((taus.size, 2 * ke), dtype=bool)
        need[:, :ke] = True
        need[i2[use_shift], ke:] = True
    else:
        rays, shifts, need = s, np.full(ke, gamma), None
    kap_all, df_all, diag = solver.continuation(rays, taus, shifts, need)
    kap, df = kap_all[:, :ke], df_all[:, :ke]
    k1, k2, df1, df2 = kap[i1], kap[i2], df[i1], df[i2]
    z1 = s[None, :] / t[:, None]
    z2 = z1 / 2.0
    r11, r21 = stable_r(k1, z1 + gamma, df1, inv_n, inv_p)
    r12, r22 = stable_r(k2, z2 + gamma, df2, inv_n, inv_p)
    min_r = float(min(np.min(np.abs(r11)), np.min(np.abs(r21)), np.min(np.abs(r12)), np.min(np.abs(r22))))

    signal, sig_err = signal_curve(sums, inv_n, inv_p, t, k1, s, n_nodes)

    # label noise (per sigma^2)
    if inv_p == 0.0:
        noise = np.zeros(t.size)
    else:
        j1, j2 = pair_sums(sums, k1, k2)
        gdd = r12 * r22 + k1 * j1 * (r22 * inv_p + r11 * inv_n)
        add = j2 * r22 + k1 * df1 * j1 * inv_n
        noise = contour.invert_1d(add * inv_p / (z1 * gdd), t, n_nodes)

    # thermal: Theta(t) = L^-1[m(z)/z](2t), m = C~ = df/R_1 at z = s/(2t)
    m2 = df2 / r12
    thermal = contour.invert_1d(m2 / z2, 2.0 * t, n_nodes)

    # init: C(2t)
    init = contour.invert_1d(m2, 2.0 * t, n_nodes)
    if use_shift.any():
        sel = np.flatnonzero(use_shift)
        z2s = z2[sel]
        if shifted:
            k0, df0 = kap_all[i2[sel], ke:], df_all[i2[sel], ke:]
        else:  # N = P = inf: kappa = z exactly
            k0 = z2s
            df0 = sums.h(z2s) @ sums.wl
        r10, _ = stable_r(k0, z2s, df0, inv_n, inv_p)
        init[sel] = np.exp(-2.0 * gamma * t[sel]) * contour.invert_1d(df0 / r10, 2.0 * t[sel], n_nodes)

    diag.update(
        kappa_evaluations=solver.evaluations,
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

"""Compression of mode sums for the DMFT solver (kappa-independent, done once per solve).

Every mode sum the solver needs has the form sum_k mu_k f(lambda_k) with one of two measures,
mu^0 = omega (eigenvalue-weighted sums: df, df', j1, j2) or mu^1 = omega c (target sums: tf, w1, w2),
and f(lambda) = lambda^a / ((lambda + kappa_1)(lambda + kappa_2)), analytic in u = log(lambda) except
at u = log(-kappa), a distance pi - |arg kappa| from the real axis (the physical branch has
|arg kappa| <= |arg w|, so for the active Talbot nodes, arg s_j <= 153 deg, this is >= 0.47).

Panels of width PANEL_WIDTH = 3 in u that contain more than MIN_MEMBERS modes are replaced by
NODES = 20 Gauss-Legendre points in u with *interpolatory* weights for both measures: the weights
reproduce the discrete moments sum_k mu_k P_i(x_k), i < NODES (Legendre polynomials in the scaled
panel variable), exactly. The error of a panel sum is then <= (sum|mu| + sum|W|) times the best
polynomial approximation error of f on the panel: with half-width h = 1.5 and the pole a distance d
from the real axis, rho = d/h + sqrt(1 + (d/h)^2) and the error is ~rho^-40. On the physical branch
|arg kappa| <= |arg w| <= arg s_j, so for Talbot node j, d >= pi - arg s_j: the nodes j <= 12
(arg s_j <= 108 deg) have errors <= 6e-14, j = 13..17 (arg 117..153 deg, d = 1.1..0.47) errors
2e-12..4e-6, which the Talbot weights of those nodes (9e-4..2e-10 of the largest at rho = t/tau =
1/2, smaller above) bring below 2e-14 of the curve. For kappa near the positive axis (d = pi, e.g.
the t = inf closed forms) the error is at roundoff. Measured on the four curves vs plain sums
(M = 4000 and Spectrum.modes() at M = 1e6, twelve (alpha, beta, N, P, gamma) incl. the N = P hard
edge): <= 4e-11 relative, the level of the signal's 2-D Talbot roundoff and the same as with 16
nodes per panel of width 0.5 (4.4x more nodes at M = 4000, alpha = 1.5: 302 -> 69); 8 nodes per
unit width (panels of width 1 with 8 nodes) gave 2e-9.
Panels whose interpolatory weights are not well behaved (sum|W| > 1.5 sum mu) are kept exact;
weights may be slightly negative where a panel's modes are unevenly spread (e.g. where the exact
head meets the tail quadrature of Spectrum.modes()), which the error bound above allows.
The sums are otherwise unchanged (no continuum/Euler-Maclaurin step), so a compressed sum equals
the exact discrete sum to <~ 1e-13 relative at the nodes that carry the curve; tests compare the
curves with and without compression.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.polynomial import legendre

PANEL_WIDTH = 3.0
NODES = 20
MIN_MEMBERS = 3 * NODES // 2  # compress a panel only where it saves at least a third of its modes
WEIGHT_GROWTH = 1.5


@lru_cache(maxsize=4)
def _rule(nodes: int):
    """Gauss-Legendre points, weights and the normalised Legendre values (q, q) for the interpolatory weights."""
    xq, wq = legendre.leggauss(nodes)
    return xq, wq, legendre.legvander(xq, nodes - 1) * ((2 * np.arange(nodes) + 1) / 2.0)


def compress(lam: np.ndarray, w0: np.ndarray, w1: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lam', w0', w1'): fewer nodes with sum w0' f(lam') ~= sum w0 f(lam), same for w1."""
    lam = np.asarray(lam, dtype=np.float64)
    if lam.size < MIN_MEMBERS:
        return lam, w0, w1
    u = np.log(lam)
    panel = np.floor((u - float(u.min())) / PANEL_WIDTH).astype(np.int64)
    counts = np.bincount(panel)
    big = counts > MIN_MEMBERS
    member = big[panel]
    if not member.any():
        return lam, w0, w1
    # all big panels at once: members sorted by panel, segment reductions per panel
    pid = panel[member]
    order = np.argsort(pid, kind="stable")
    pid_s = pid[order]
    um = u[member][order]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(pid_s)) + 1])
    ids = pid_s[starts]
    n_p = counts.size
    a = np.zeros(n_p)
    b = np.zeros(n_p)
    a[ids] = np.minimum.reduceat(um, starts)
    b[ids] = np.maximum.reduceat(um, starts)
    width = b - a
    wm = np.stack([w0[member][order], w1[member][order]], axis=1)  # (members, 2)
    # scaled coordinate x in [-1, 1] from each panel's own [min u, max u]
    x = np.where(
        width[pid_s] > 0, (2.0 * um - a[pid_s] - b[pid_s]) / np.where(width[pid_s] > 0, width[pid_s], 1.0), 0.0
    )
    # Legendre values P_i(x) (q, members) by the three-term recurrence, then the per-panel moments
    # sum_k mu_k P_i(x_k) as one product with the (panels x members) indicator matrix
    leg = np.empty((NODES, x.size))
    leg[0] = 1.0
    if NODES > 1:
        leg[1] = x
    for i in range(1, NODES - 1):
        np.multiply(x, leg[i], out=leg[i + 1])
        leg[i + 1] *= (2 * i + 1) / (i + 1)
        leg[i + 1] -= (i / (i + 1)) * leg[i - 1]
    ind = (pid_s[None, :] == ids[:, None]).astype(np.float64)  # (panels present, members)
    mom = np.zeros((n_p, NODES, 2))
    mom[ids, :, 0] = (ind * wm[:, 0]) @ leg.T
    mom[ids, :, 1] = (ind * wm[:, 1]) @ leg.T
    xq, wq, pq = _rule(NODES)
    wts = wq[None, :, None] * np.einsum("qi,pic->pqc", pq, mom)  # (panels, q, 2)
    tot = np.zeros((n_p, 2))
    tot[ids] = ind @ np.abs(wm)
    tot0, tot1 = tot[:, 0], tot[:, 1]
    ok = (
        big
        & (width > 0)
        & (np.abs(wts[:, :, 0]).sum(axis=1) <= WEIGHT_GROWTH * tot0 + 1e-300)
        & (np.abs(wts[:, :, 1]).sum(axis=1) <= WEIGHT_GROWTH * tot1 + 1e-300)
    )
    keep = ~ok[panel]  # modes of small panels and of panels whose weights are not well behaved
    good = np.flatnonzero(ok)
    nodes = np.exp(a[good, None] + width[good, None] * (xq[None, :] + 1.0) / 2.0)
    lam_c = np.concatenate([lam[keep], nodes.ravel()])
    w0_c = np.concatenate([w0[keep], wts[good, :, 0].ravel()])
    w1_c = np.concatenate([w1[keep], wts[good, :, 1].ravel()])
    srt = np.argsort(-lam_c, kind="stable")
    return lam_c[srt], w0_c[srt], w1_c[srt]

"""Deterministic equivalent of the random-feature covariance G_F = F Lambda F^T / N at P = inf, as real
quadrature nodes of its two spectral measures (docs/theory/discrete.md section 5.6).

The nonzero eigenvalues g_j of G_F are those of X = Lambda^{1/2} F^T F Lambda^{1/2} / N (M x M, with
M - N more zeros for N < M). The two measures online SGD needs are

    nu  = sum_j delta(g - g_j)                      (the count of eigenvalues),
    tau = sum_j c^_j delta(g - g_j),  c^_j = (v_j . c~)^2   (the target power per eigen-direction),

and the target power no readout reaches, E_res = |c~|^2 - tau(0, inf). Their Stieltjes transforms have the
deterministic equivalent of the DMFT's feature layer at P = inf (docs/theory/dmft.md section 2,
inv_p = 0): with kappa(w) the physical root of w = kappa (1 - df(kappa)/N),

    tr (X + w)^-1 ~ (kappa / w) sum_k 1/(lambda_k + kappa),    c~^T (X + w)^-1 c~ ~ (kappa / w) sum_k c_k/(lambda_k + kappa),

whose poles at w = 0 carry the M - N zero eigenvalues and E_res = kappa_0 sum_k c_k / (lambda_k + kappa_0),
kappa_0 solving df(kappa_0) = N.

The support of nu lies in [x_lo, x_hi]: x_hi is `discrete.spectral_edge` at inv_p = 0 and x_lo the maximum
of kappa (df(kappa)/N - 1) over kappa in (0, kappa_0) (real kappa there maps onto the gap (0, x_lo)).
That range is cut into log-spaced bins; each bin's moments int_bin x^m d(nu, tau), m <= 3, are exact
contour integrals, (1/pi) Im int f(z) sum_j 1/(z - g_j) dz over the upper half circle from its right to
its left end (the lower half is the mirror image), by Gauss-Legendre in the angle; and each measure
gets the 2-point Gauss rule of its moments in the bin. No random numbers are used.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from ..errors import NumericalError
from .kappa import KappaSolver, ModeSums

BINS_PER_DECADE = 12  # bins of the support: a 2-point Gauss rule per bin integrates smooth f to ~ width^4
ARC_NODES = 24  # Gauss-Legendre nodes on each bin's half circle
HOMOTOPY_STEPS = 24  # geometric steps in height from far above the spectrum down to each bin's top
EDGE_MARGIN = 0.05  # the first and last bin edges lie this fraction outside the support (in its gaps)
EMPTY_BIN = 1e-9  # a bin holding less than this fraction of a measure is left out (a gap: its mass is roundoff)


def _kappa_zero(sums: ModeSums, n: float) -> float:
    """kappa_0 > 0 with df(kappa_0) = N (N < M: df falls from M to 0 on (0, inf))."""
    lo, hi = 1e-300, max(1.0, sums.lam_max) * 1e3
    f = lambda log_k: sums.df_real(math.exp(log_k)) - n  # noqa: E731
    return math.exp(brentq(f, math.log(lo), math.log(hi), xtol=1e-15, rtol=1e-15, maxiter=500))


def _lower_edge(sums: ModeSums, n: float, kappa0: float) -> float:
    """max of z(kappa) = kappa (df(kappa)/N - 1) over (0, kappa_0), searched in log kappa."""
    z = lambda log_k: -math.exp(log_k) * (sums.df_real(math.exp(log_k)) / n - 1.0)  # noqa: E731
    grid = np.log(kappa0) + np.linspace(-40.0, 0.0, 161)[:-1]
    values = np.array([z(x) for x in grid])
    i = int(np.argmin(values))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    best = minimize_scalar(z, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12})
    return float(-min(best.fun, values[i]))


def _kappa_on_arcs(solver: KappaSolver, centre: np.ndarray, radius: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """kappa(w = -z) at z = centre + radius e^{i theta} (bins x angles), on the physical branch: each bin's
    top (theta = pi/2) by a homotopy in height from far above (kappa ~ w there), then along its arc
    outwards to both ends, one Newton-corrected step per node."""
    sums = solver.sums
    far = 1e3 * (sums.lam_max + sums.trace * solver.inv_n)
    top = centre + 1j * radius
    kap = -(centre + 1j * far)
    for s in range(1, HOMOTOPY_STEPS + 1):
        height = far * (radius / far) ** (s / HOMOTOPY_STEPS)
        kap = _newton(solver, -(centre + 1j * height), kap, 3)
    kap = _newton(solver, -top, kap, 3)
    out = np.empty((centre.size, theta.size), dtype=np.complex128)
    mid = theta.size // 2  # theta sorted increasingly, symmetric about pi/2
    for order in (range(mid, theta.size), range(mid - 1, -1, -1)):
        k = kap
        for j in order:
            k = _newton(solver, -(centre + radius * np.exp(1j * theta[j])), k, 4)
            out[:, j] = k
    return out


def _newton(solver: KappaSolver, w: np.ndarray, k: np.ndarray, iterations: int) -> np.ndarray:
    for _ in range(iterations):
        k = k - solver._step(k, w)[3]
    return k


def _gauss2(moments: np.ndarray, centre: float, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """The 2-point Gauss rule of a positive measure on [centre - radius, centre + radius] from its moments
    of t = (x - centre)/radius, m = 0..3 (1 point at the mean where the measure is one point to roundoff)."""
    m0, m1, m2, m3 = moments
    mean = m1 / m0
    if not (m0 > 0 and abs(mean) <= 1.0):
        raise NumericalError(f"gram_measures: a bin's moments are not those of a measure on it ({moments})")
    var = m2 / m0 - mean * mean
    if var <= 1e-12:
        return np.array([centre + radius * mean]), np.array([m0])
    # p(t) = t^2 + a t + b orthogonal to 1 and t
    det = m1 * m1 - m0 * m2
    a = (m0 * m3 - m1 * m2) / det
    b = (m2 * m2 - m1 * m3) / det
    disc = a * a - 4.0 * b
    if disc <= 0:
        return np.array([centre + radius * mean]), np.array([m0])
    t = np.array([(-a - math.sqrt(disc)) / 2.0, (-a + math.sqrt(disc)) / 2.0])
    w2 = (m1 - t[0] * m0) / (t[1] - t[0])
    w = np.array([m0 - w2, w2])
    if np.any(np.abs(t) > 1.0 + 1e-9) or np.any(w < 0):
        return np.array([centre + radius * mean]), np.array([m0])
    return centre + radius * t, w


def gram_measures(sums: ModeSums, n_features: float) -> dict:
    """The deterministic nodes of nu and tau (module docstring) for N < M: {'g_nu', 'n_nu', 'g_tau',
    'c_tau', 'residual', 'edges': (x_lo, x_hi), 'mass_nu', 'mass_tau'}; `sums` uncompressed, exact where
    the support lies (its modes' quadrature may start well below x_lo)."""
    from .discrete import spectral_edge

    n = float(n_features)
    if not n < sums.count:
        raise NumericalError(f"gram_measures: N = {n:g} must be below M = {sums.count:g}")
    lam, w0, wc = sums.lam, sums.w0, sums.wc
    kappa0 = _kappa_zero(sums, n)
    residual = float(kappa0 * np.sum(wc / (lam + kappa0)))
    x_hi = spectral_edge(sums, 1.0 / n, 0.0)
    x_lo = _lower_edge(sums, n, kappa0)
    lo, hi = x_lo * (1.0 - EDGE_MARGIN), x_hi * (1.0 + EDGE_MARGIN)
    n_bins = max(4, math.ceil(BINS_PER_DECADE * math.log10(hi / lo)))
    edges = np.geomspace(hi, lo, n_bins + 1)
    right, left = edges[:-1], edges[1:]
    centre, radius = 0.5 * (right + left), 0.5 * (right - left)
    x, wx = np.polynomial.legendre.leggauss(ARC_NODES)
    theta, wtheta = 0.5 * np.pi * (x + 1.0), 0.5 * np.pi * wx
    solver = KappaSolver(sums, 1.0 / n, 0.0)
    kap = _kappa_on_arcs(solver, centre, radius, theta)
    z = centre[:, None] + radius[:, None] * np.exp(1j * theta)[None, :]
    h = 1.0 / (lam[None, None, :] + kap[..., None])
    # sum over the nonzero eigenvalues of 1/(z - g_j): -tr(X - z)^-1 less the pole of the M - N zero ones,
    # with sum_k kappa/(lambda_k + kappa) = M - df(kappa): (N - df(kappa)) / z, free of M (no cancellation
    # of the zero eigenvalues' ~ M/z for huge M); the target's: -(kappa tf(kappa) - E_res) / (-z)
    s_nu = (n - h @ (w0 * lam)) / z
    s_tau = (kap * (h @ wc) - residual) / z
    dz = 1j * radius[:, None] * np.exp(1j * theta)[None, :] * wtheta[None, :]
    t = np.exp(1j * theta)[None, :]  # (z - centre)/radius on the arc
    out = {"g_nu": [], "n_nu": [], "g_tau": [], "c_tau": []}
    mass = {"nu": 0.0, "tau": 0.0}
    total = {"nu": n, "tau": float(np.sum(wc)) - residual}
    for name, s in (("nu", s_nu), ("tau", s_tau)):
        moments = np.stack([(np.sum(s * t**m * dz, axis=1)).imag / math.pi for m in range(4)], axis=1)
        for i in range(centre.size):
            if moments[i, 0] <= EMPTY_BIN * total[name]:  # a gap of the support: roundoff
                continue
            nodes, weights = _gauss2(moments[i], centre[i], radius[i])
            out[f"g_{name}"].append(nodes)
            out[("n_" if name == "nu" else "c_") + name].append(weights)
            mass[name] += float(np.sum(weights))
    result = {k: np.concatenate(v) for k, v in out.items()}
    result.update(residual=residual, edges=(x_lo, x_hi), mass_nu=mass["nu"], mass_tau=mass["tau"])
    for name in ("nu", "tau"):
        if not abs(mass[name] - total[name]) <= 1e-6 * total[name]:
            raise NumericalError(
                f"gram_measures: the {name} nodes hold {mass[name]:.10g}, not {total[name]:.10g} (N = {n:g})"
            )
    return result

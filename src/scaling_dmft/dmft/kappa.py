"""The renormalised ridge kappa(z): z + gamma = kappa (1 - df(kappa)/P)(1 - df(kappa)/N).

gradient-flow.md section 3 (equation K) and section 4 items 2, 3, 8; langevin-bayes.md 3.1, 5.2.

* `ModeSums` holds the mode-sum weights (sum_k -> sum_j weights_j, Modes of spectrum.py) and
  evaluates df(kappa) = sum lambda/(lambda+kappa) and df'(kappa) for a whole array of kappa as
  matrix-vector products over a (nodes x modes) array.
* `continuation` solves (K) on all Talbot rays w = s_j/tau + gamma at once, marching in log tau
  from a tau where |w| >> lambda_max + gamma + tr(Lambda)(1/N + 1/P) (there kappa ~= w) through every
  requested tau, with step ratio <= 1.4: predictor kappa + dw/g'(kappa), Newton corrector on
  g(kappa) = kappa R_1 R_2 - w. A step is rejected (and the log step halved) when Newton does not
  converge, lands more than 5% from the predictor, or leaves the physical branch
  (Im kappa Im w >= 0, Re kappa > 0 on the real ray).
* `stable_r` returns R_1, R_2 without forming the vanishing factor as 1 - df/P near the ridgeless
  limit: R_1 = w/(kappa R_2) if P <= N, R_2 = w/(kappa R_1) if N < P, R_1 = R_2 = sqrt(w/kappa) if N = P.
* `kappa_static` is the real root on (kappa*, inf), kappa* solving df(kappa*) = min(N, P).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq

from ..errors import NumericalError
from .compress import compress as _compress

NEWTON_TOL = 1e-13  # relative Newton step at which a root is accepted (the error is then ~ tol^2)
NEWTON_FAIL = 1e-9
# a step below NEWTON_FIRST (|g'|/scale)^2 ends the iteration even without a convergence-rate estimate: the
# error after it is ~ C step^2 with C = |g''/(2 g')| |kappa| = O(1) away from a double root, i.e. ~1e-16;
# the (|g'|/scale)^2 factor (scale = |R1 R2| + |kappa df' (R2/P + R1/N)|) tightens it where g' cancels
NEWTON_FIRST = 1e-8  # relative step above which a node counts as not converged
NEWTON_MAXIT = 60
MAX_RATIO = 1.4  # largest step ratio in tau of the continuation
BRANCH_TOL = 0.05  # largest relative distance between predictor and corrector
MAX_REJECTIONS = 2000
CHUNK_ELEMENTS = 300_000  # (points x modes) per vectorised Newton batch (cache-sized)


class ModeSums:
    """Mode sums of a `Modes` object: sum_k -> sum_j weights_j, optionally compressed (compress.py).

    Two measures: w0 = omega (eigenvalue sums) and w1 = omega c (target sums). Precomputed
    weight vectors: wl = w0 lambda (df), wl2 = w0 lambda^2, wc = w1, wlc = w1 lambda.
    """

    def __init__(self, modes, compress: bool = True):
        lam = np.asarray(modes.eigenvalues, dtype=np.float64)
        c = np.asarray(modes.target_power, dtype=np.float64)
        om = np.asarray(modes.weights, dtype=np.float64)
        if lam.ndim != 1 or lam.shape != c.shape or lam.shape != om.shape or lam.size == 0:
            raise NumericalError("modes: eigenvalues, target_power and weights must be equal-length 1-D arrays")
        if not (np.all(np.isfinite(lam)) and np.all(lam > 0) and np.all(np.isfinite(c)) and np.all(c >= 0)):
            raise NumericalError("modes: eigenvalues must be finite and > 0, target powers finite and >= 0")
        if not (np.all(np.isfinite(om)) and np.all(om > 0)):
            raise NumericalError("modes: weights must be finite and > 0")
        self.count = float(om.sum())  # number of modes M
        self.n_input = int(lam.size)
        w0, w1 = om, om * c
        if compress:
            lam, w0, w1 = _compress(lam, w0, w1)
        self.lam = lam
        self.w0 = w0
        self.wl = w0 * lam
        self.wl2 = w0 * lam * lam
        self.wc = w1
        self.wlc = w1 * lam
        self.bilinear_weights = np.stack([self.wc, self.wlc, self.wl, self.wl2])  # (4, M) for curves._bilinear
        self.trace = float(self.wl.sum())
        self.target = float(w1.sum())
        self.lam_max = float(lam.max())

    def h(self, kappa: np.ndarray) -> np.ndarray:
        return 1.0 / (self.lam + np.asarray(kappa)[..., None])

    def df_dfp(self, kappa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """df(kappa) and df'(kappa) for a 1-D complex array of kappa (real arithmetic on (n, M) arrays)."""
        ki = kappa.imag
        d = self.lam + kappa.real[:, None]
        inv = d * d
        inv += (ki * ki)[:, None]
        np.reciprocal(inv, out=inv)
        np.multiply(d, inv, out=d)  # d <- Re h = d/|d|^2; Im h = -ki inv
        wl = self.wl
        s0 = d @ wl
        s1 = inv @ wl
        tmp = d * inv
        s4 = tmp @ wl
        np.multiply(inv, inv, out=inv)
        s3 = inv @ wl
        np.multiply(d, d, out=d)
        s2 = d @ wl
        df = s0 - 1j * ki * s1
        dfp = -(s2 - ki * ki * s3) + 2j * ki * s4
        return df, dfp

    def df_real(self, kappa: float) -> float:
        return float(np.dot(self.wl, 1.0 / (self.lam + kappa)))


def stable_r(kappa, w, df, inv_n: float, inv_p: float):
    """(R_1, R_2) at a root of (K) (gradient-flow.md section 4 item 3)."""
    if inv_n == 0.0 and inv_p == 0.0:
        one = np.ones_like(kappa)
        return one, one
    if inv_p == inv_n:
        naive = 1.0 - df * inv_p
        r = np.sqrt(w / kappa)
        r = np.where((r * np.conj(naive)).real < 0, -r, r)
        return r, r
    if inv_p > inv_n:  # P < N: R_1 may vanish, R_2 = 1 - df/N stays away from 0
        r2 = 1.0 - df * inv_n
        return w / (kappa * r2), r2
    r1 = 1.0 - df * inv_p  # N < P
    return r1, w / (kappa * r1)


class KappaSolver:
    """Newton and continuation for (K) at fixed (N, P, gamma)."""

    def __init__(self, sums: ModeSums, inv_n: float, inv_p: float):
        self.sums = sums
        self.inv_n = float(inv_n)
        self.inv_p = float(inv_p)
        self.evaluations = 0
        self.max_residual = 0.0

    def newton(self, w: np.ndarray, k0: np.ndarray):
        """Vectorised Newton from k0 (1-D arrays). Returns (kappa, g'(kappa), df(kappa), converged mask, last relative step).

        An element stops when its relative step is < NEWTON_FIRST, or when it is < 1e-7 and the
        quadratic-convergence estimate of the remaining error, step^3/previous_step^2, is < 1e-16;
        only the elements still iterating are evaluated. df at the final kappa is corrected to first
        order (df - df' step; the neglected term is O(step^2) < 1e-14 relative).
        """
        inv_n, inv_p = self.inv_n, self.inv_p
        k = np.array(k0, dtype=np.complex128)
        w = np.asarray(w, dtype=np.complex128)
        n = k.size
        rel = np.full(n, np.inf)
        prev = np.full(n, np.inf)
        gp_out = np.zeros(n, dtype=np.complex128)
        df_out = np.zeros(n, dtype=np.complex128)
        done = np.zeros(n, dtype=bool)
        active = np.arange(n)
        for _ in range(NEWTON_MAXIT):
            ka, wa = k[active], w[active]
            df, dfp = self.sums.df_dfp(ka)
            self.evaluations += 1
            r1 = 1.0 - df * inv_p
            r2 = 1.0 - df * inv_n
            g = ka * r1 * r2 - wa
            gp = r1 * r2 - ka * dfp * (r2 * inv_p + r1 * inv_n)
            step = g / gp
            with np.errstate(invalid="ignore", divide="ignore"):
                r = np.abs(step) / np.abs(ka)
            k[active] = ka - step
            df_out[active] = df - dfp * step
            gp_out[active] = gp
            rel[active] = r
            # near a double root (N = P hard edge) g' cancels: tighten the one-step test by (|g'|/scale)^2
            cond = np.abs(gp) / (np.abs(r1 * r2) + np.abs(ka * dfp * (r2 * inv_p + r1 * inv_n)))
            finished = (
                (r < NEWTON_FIRST * cond * cond) | ((r < 1e-7) & (r**3 < 1e-16 * prev[active] ** 2)) | ~np.isfinite(r)
            )
            done[active[finished & np.isfinite(r)]] = True
            prev[active] = r
            active = active[~finished]
            if active.size == 0:
                break
        ok = np.isfinite(k) & (done | (rel < NEWTON_FAIL))
        return k, gp_out, df_out, ok, rel

    def continuation(self, s: np.ndarray, taus: np.ndarray, gamma, need: np.ndarray | None = None):
        """kappa at w = s_j/tau + gamma_j for every tau in `taus` (sorted, finite, > 0); shape (len(taus), R).

        `s` (R,) ray directions, `gamma` scalar or (R,) per-ray shifts (the gamma = 0 rays of the init
        term ride along with the gamma rays in one march); `need` (len(taus), R) optionally restricts
        phase 2 to the points that are used (others are returned as NaN).

        Two phases. (1) Branch tracking: all K rays march together on a geometric grid in tau (ratio
        MAX_RATIO, halved in log tau on rejection) from the start up to max(taus). (2) Every requested
        tau is solved at once (vectorised Newton over tau x rays) from the linear predictor of the
        nearest grid point below it (ratio <= MAX_RATIO, the same step the march takes), with the same
        acceptance tests; a row that fails is marched from that grid point instead.
        Returns (kappa, df, diagnostics dict).
        """
        s = np.asarray(s, dtype=np.complex128)
        taus = np.asarray(taus, dtype=np.float64)
        n_t, n_k = taus.size, s.size
        gamma = np.broadcast_to(np.asarray(gamma, dtype=np.float64), s.shape)
        if need is None:
            need = np.ones((n_t, n_k), dtype=bool)
        # max_newton_step: largest relative size of a final Newton step (the error after it is ~ its square)
        diag = {"steps": 0, "rejected": 0, "max_newton_step": 0.0, "fallback_rows": 0}
        if n_t == 0:
            return np.empty((0, n_k), np.complex128), np.empty((0, n_k), np.complex128), diag
        if self.inv_n == 0.0 and self.inv_p == 0.0:
            w = s[None, :] / taus[:, None] + gamma
            df = np.full(w.shape, np.nan, dtype=np.complex128)
            df[need] = self.sums.df_dfp(w[need])[0]
            return np.where(need, w, np.nan), df, diag
        scale = self.sums.lam_max + float(gamma.max()) + self.sums.trace * (self.inv_n + self.inv_p)
        smin = float(np.min(np.abs(s)))
        tau0 = min(float(taus[0]), smin / (1e3 * scale))
        w0 = s / tau0 + gamma
        k0, gp0, df0, ok, rel = self.newton(w0, w0)
        if not np.all(ok) or not self._on_branch(k0, w0):
            raise NumericalError(f"kappa: Newton failed at the start of the continuation (tau = {tau0:.3g}, |w| >= {smin / tau0:.3g})")
        diag["max_newton_step"] = float(np.max(rel))
        # phase 1: grid
        n_grid = max(0, int(math.ceil(math.log(taus[-1] / tau0) / math.log(MAX_RATIO) - 1e-12)))
        grid = tau0 * MAX_RATIO ** np.arange(1, n_grid + 1)
        if n_grid:
            grid[-1] = taus[-1]
        gk, ggp, gdf = self._march(s, grid, gamma, (tau0, w0, k0, gp0, df0), diag)
        grid = np.concatenate([[tau0], grid])
        gk = np.concatenate([k0[None], gk])
        ggp = np.concatenate([gp0[None], ggp])
        gdf = np.concatenate([df0[None], gdf])
        # phase 2: all requested taus at once. Predictor: cubic Hermite interpolation in u = 1/tau between
        # the bracketing grid points (kappa and dkappa/du = s/g'(kappa) known there; w is linear in u on a ray)
        j = np.clip(np.searchsorted(grid, taus, side="right") - 1, 0, grid.size - 1)
        jb = np.minimum(j + 1, grid.size - 1)
        w = s[None, :] / taus[:, None] + gamma
        ua, ub = 1.0 / grid[j], 1.0 / grid[jb]
        hu = ub - ua
        with np.errstate(invalid="ignore", divide="ignore"):
            x = np.where(hu != 0, (1.0 / taus - ua) / np.where(hu != 0, hu, 1.0), 0.0)[:, None]
        hu = hu[:, None]
        da, db = s[None, :] / ggp[j], s[None, :] / ggp[jb]
        kp = (
            (2 * x**3 - 3 * x**2 + 1) * gk[j]
            + (x**3 - 2 * x**2 + x) * hu * da
            + (-2 * x**3 + 3 * x**2) * gk[jb]
            + (x**3 - x**2) * hu * db
        )
        out_k = np.full((n_t, n_k), np.nan, dtype=np.complex128)
        out_df = np.full((n_t, n_k), np.nan, dtype=np.complex128)
        rows, cols = np.nonzero(need)
        chunk = max(1, int(CHUNK_ELEMENTS // self.sums.lam.size))
        bad_rows = set()
        for a in range(0, rows.size, chunk):
            r, c = rows[a : a + chunk], cols[a : a + chunk]
            k, _, df, ok, rel = self.newton(w[r, c], kp[r, c])
            good = ok & (np.abs(k - kp[r, c]) <= BRANCH_TOL * np.abs(kp[r, c])) & self._branch_mask(k, w[r, c])
            out_k[r, c], out_df[r, c] = k, df
            diag["max_newton_step"] = max(diag["max_newton_step"], float(np.max(np.where(ok, rel, 0.0))))
            bad_rows.update(np.unique(r[~good]).tolist())
        for r in sorted(bad_rows):  # rare: march all rays from the grid point below
            diag["fallback_rows"] += 1
            jj = j[r]
            start = (grid[jj], s / grid[jj] + gamma, gk[jj], ggp[jj], gdf[jj])
            kk, _, dd = self._march(s, taus[r : r + 1], gamma, start, diag)
            out_k[r], out_df[r] = np.where(need[r], kk[0], np.nan), np.where(need[r], dd[0], np.nan)
        return out_k, out_df, diag

    def _march(self, s, targets, gamma, start, diag):
        """Sequential continuation of all rays through the sorted `targets`; returns (kappa, g', df) there."""
        tau, w, k, gp, df = start
        n_t = len(targets)
        out_k = np.empty((n_t, s.size), dtype=np.complex128)
        out_gp = np.empty_like(out_k)
        out_df = np.empty_like(out_k)
        ratio = MAX_RATIO
        idx = 0
        while idx < n_t:
            target = targets[idx]
            if target <= tau:
                new_tau = tau
                out_k[idx], out_gp[idx], out_df[idx] = k, gp, df
                idx += 1
                continue
            new_tau = min(target, tau * ratio)
            w_new = s / new_tau + gamma
            kp = k + (w_new - w) / gp
            k_new, gp_new, df_new, ok, rel = self.newton(w_new, kp)
            good = (
                np.all(ok)
                and np.all(np.abs(k_new - kp) <= BRANCH_TOL * np.abs(kp))
                and self._on_branch(k_new, w_new)
            )
            if not good:
                diag["rejected"] += 1
                ratio = math.sqrt(ratio)
                if diag["rejected"] > MAX_REJECTIONS or ratio - 1.0 < 1e-9:
                    raise NumericalError(
                        f"kappa: continuation stalled at tau = {tau:.6g} (N^-1 = {self.inv_n:.3g}, P^-1 = {self.inv_p:.3g}, "
                        f"gamma = {gamma:.3g}); Newton step {np.max(rel):.2e}"
                    )
                continue
            diag["steps"] += 1
            diag["max_newton_step"] = max(diag["max_newton_step"], float(np.max(rel)))
            tau, w, k, gp, df = new_tau, w_new, k_new, gp_new, df_new
            ratio = min(MAX_RATIO, ratio * ratio)
            if new_tau == target:
                out_k[idx], out_gp[idx], out_df[idx] = k, gp, df
                idx += 1
        return out_k, out_gp, out_df

    @staticmethod
    def _branch_mask(k: np.ndarray, w: np.ndarray) -> np.ndarray:
        tol = 1e-12 * np.abs(k)
        bad = ((w.imag > 0) & (k.imag < -tol)) | ((w.imag == 0) & (k.real <= 0))
        return ~bad

    @staticmethod
    def _on_branch(k: np.ndarray, w: np.ndarray) -> bool:
        """Physical branch: Im kappa has the sign of Im w (0 < arg kappa < arg w for Im w > 0); kappa > 0 on the real axis."""
        tol = 1e-12 * np.abs(k)
        upper = w.imag > 0
        if np.any(upper & (k.imag < -tol)):
            return False
        real = w.imag == 0
        return not np.any(real & (k.real <= 0))


def kappa_star(sums: ModeSums, inv_n: float, inv_p: float) -> float:
    """kappa* with df(kappa*) = min(N, P) (0 when min(N, P) >= M, or N = P = inf)."""
    inv_min = max(inv_n, inv_p)
    if inv_min == 0.0:
        return 0.0
    target = 1.0 / inv_min
    if target >= sums.count * (1 - 1e-12):
        return 0.0
    # df is decreasing in kappa, df(0) = M > target, df(kappa) ~ trace/kappa for large kappa
    lo = sums.lam.min() * 1e-30
    hi = max(sums.trace / target, sums.lam_max) * 4.0
    while sums.df_real(hi) > target:
        hi *= 4.0
    f = lambda u: sums.df_real(math.exp(u)) - target  # noqa: E731
    while f(math.log(lo)) < 0:
        lo *= 1e-10
    u = brentq(f, math.log(lo), math.log(hi), xtol=1e-300, rtol=1e-15, maxiter=400)
    return math.exp(u)


def kappa_static(sums: ModeSums, inv_n: float, inv_p: float, gamma: float) -> float:
    """Real root kappa_0 of gamma = kappa (1 - df/P)(1 - df/N) on (kappa*, inf); kappa* at gamma = 0."""
    kstar = kappa_star(sums, inv_n, inv_p)
    if gamma == 0.0:
        return kstar
    if inv_n == 0.0 and inv_p == 0.0:
        return float(gamma)

    def g(u: float) -> float:
        kap = math.exp(u)
        d = sums.df_real(kap)
        return kap * (1.0 - d * inv_p) * (1.0 - d * inv_n) - gamma

    # on (kappa*, inf) g is increasing; kappa R1 R2 <= kappa gives kappa_0 >= gamma
    lo = max(float(gamma), kstar * (1.0 + 1e-15))
    hi = 2.0 * lo + 2.0 * sums.trace * (inv_n + inv_p)
    while g(math.log(hi)) <= 0:
        hi *= 2.0
    if g(math.log(lo)) > 0:
        raise NumericalError(f"kappa_static: no bracket for gamma = {gamma} (kappa* = {kstar})")
    u = brentq(g, math.log(lo), math.log(hi), xtol=1e-300, rtol=1e-15, maxiter=400)
    return math.exp(u)

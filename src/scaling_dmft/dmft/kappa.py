"""The renormalised ridge kappa(z): z + gamma = kappa (1 - df(kappa)/P)(1 - df(kappa)/N).

docs/theory/dmft.md ("The renormalised ridge", "Numerical method"); docs/theory/langevin-bayes.md.

* `ModeSums` holds the mode-sum weights (sum_k -> sum_j weights_j, Modes of spectrum.py) and
  evaluates df(kappa) = sum lambda/(lambda+kappa) and df'(kappa) for a whole array of kappa as
  matrix-vector products over a (nodes x modes) array.
* `windows` solves (K) on all Talbot rays w = s_j/tau + gamma at once, marching in log tau
  from a tau where |w| >> lambda_max + gamma + tr(Lambda)(1/N + 1/P) (there kappa ~= w) through every
  window tau = 2^n (contour.py), one step per window: cubic Hermite predictor, Newton corrector on
  g(kappa) = kappa R_1 R_2 - w. A step is rejected (and the log step halved) when Newton does not
  converge, lands more than 5% from the predictor, or leaves the physical branch
  (Im kappa Im w >= 0, Re kappa > 0 on the real ray). The march stops each step at ~1e-10; one
  vectorised Newton over all window points then gives kappa and df to full accuracy.
* `stable_r` returns R_1, R_2 without forming the vanishing factor as 1 - df/P near the ridgeless
  limit: R_1 = w/(kappa R_2) if P <= N, R_2 = w/(kappa R_1) if N < P, R_1 = R_2 = sqrt(w/kappa) if N = P.
* `kappa_static` is the real root on (kappa*, inf), kappa* solving df(kappa*) = min(N, P).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import brentq

from ..errors import NumericalError
from .compress import compress as _compress

if TYPE_CHECKING:
    from ..spectra import Modes

NEWTON_TOL = 1e-13  # relative Newton step at which a root is accepted (the error is then ~ tol^2)
NEWTON_FAIL = 1e-9  # last relative step above which a node counts as not converged
# a step below NEWTON_FIRST (|g'|/scale)^2 ends the iteration even without a convergence-rate estimate: the
# error after it is ~ C step^2 with C = |g''/(2 g')| |kappa| = O(1) away from a double root, i.e. ~1e-16;
# the (|g'|/scale)^2 factor (scale = |R1 R2| + |kappa df' (R2/P + R1/N)|) tightens it where g' cancels
NEWTON_FIRST = 1e-8
NEWTON_MAXIT = 60
MAX_RATIO = 2.0  # largest step ratio in tau of the continuation: one step per window (sqrt 2 after a rejection)
# the march only tracks the branch and supplies starting points: it stops at a relative error ~1e-10
# (step 1e-5); `windows` then polishes the window points with one vectorised Newton step to ~1e-16
MARCH_FIRST = 1e-5
MARCH_TARGET = 1e-10
START_FACTOR = 1e2  # |w| / scale at the start of the continuation
BRANCH_TOL = 0.05  # largest relative distance between predictor and corrector
MAX_REJECTIONS = 2000


class ModeSums:
    """Mode sums of a `Modes` object: sum_k -> sum_j weights_j, optionally compressed (compress.py).

    Two measures: w0 = omega (eigenvalue sums) and w1 = omega c (target sums). Precomputed
    weight vectors: wl = w0 lambda (df), wl2 = w0 lambda^2, wc = w1, wlc = w1 lambda.
    """

    def __init__(self, modes: Modes, compress: bool = True):
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
        self.wl_complex = self.wl.astype(np.complex128)  # complex copy of wl: h @ wl_complex is one zgemv
        self.wl2 = w0 * lam * lam
        self.wc = w1
        self.wlc = w1 * lam
        self.pair_weights = np.stack([self.wl, self.wl2], axis=1).astype(np.complex128)  # (M, 2) for curves.pair_sums
        self.bilinear_weights = np.stack([self.wc, self.wlc, self.wl, self.wl2])  # (4, M) for curves._bilinear
        self.trace = float(self.wl.sum())
        self.target = float(w1.sum())
        self.lam_max = float(lam.max())

    def h(self, kappa: np.ndarray) -> np.ndarray:
        return 1.0 / (self.lam + np.asarray(kappa)[..., None])

    def df_dfp(self, kappa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """df(kappa) = sum w lambda h and df'(kappa) = -sum w lambda h^2, h = 1/(lambda + kappa), for a 1-D complex array."""
        h = self.lam + np.asarray(kappa, dtype=np.complex128)[:, None]
        np.reciprocal(h, out=h)
        df = h @ self.wl_complex
        np.multiply(h, h, out=h)
        return df, -(h @ self.wl_complex)

    def df_real(self, kappa: float) -> float:
        return float(np.dot(self.wl, 1.0 / (self.lam + kappa)))


def stable_r(
    kappa: np.ndarray, w: np.ndarray, df: np.ndarray, inv_n: float, inv_p: float
) -> tuple[np.ndarray, np.ndarray]:
    """(R_1, R_2) at a root of (K) (docs/theory/dmft.md, "The renormalised ridge")."""
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

    def _step(self, k: np.ndarray, w: np.ndarray):
        """One Newton step on g(kappa) = kappa R_1 R_2 - w: (df, df', g', step, relative step, conditioning)."""
        inv_n, inv_p = self.inv_n, self.inv_p
        df, dfp = self.sums.df_dfp(k)
        self.evaluations += 1
        r1 = 1.0 - df * inv_p
        r2 = 1.0 - df * inv_n
        r1r2 = r1 * r2
        side = k * dfp * (r2 * inv_p + r1 * inv_n)
        gp = r1r2 - side
        step = (k * r1r2 - w) / gp
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.abs(step / k)
            # near a double root (N = P hard edge) g' cancels: the one-step test is tightened by cond^2
            cond = np.abs(gp) / (np.abs(r1r2) + np.abs(side))
        return df, dfp, gp, step, r, cond

    @staticmethod
    def _finished(r: np.ndarray, cond: np.ndarray, prev: np.ndarray, first: float, target: float):
        """Stop: a relative step r < first cond^2, or r < 1e-7 with the quadratic-rate estimate of the
        remaining error r^3/r_prev^2 < target."""
        return (r < first * cond * cond) | ((r < 1e-7) & (r * r * r < target * prev * prev))

    def newton(
        self, w: np.ndarray, k0: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Vectorised Newton from k0 (1-D arrays). Returns (kappa, g'(kappa), df(kappa), converged mask, last relative step).

        An element stops when its relative step is < NEWTON_FIRST, or when it is < 1e-7 and the
        quadratic-convergence estimate of the remaining error, step^3/previous_step^2, is < 1e-16
        (`_finished`); only the elements still iterating are evaluated. df at the final kappa is
        corrected to first order (df - df' step; the neglected term is O(step^2) < 1e-14 relative).
        """
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
            ka = k[active]
            df, dfp, gp, step, r, cond = self._step(ka, w[active])
            k[active] = ka - step
            df_out[active] = df - dfp * step
            gp_out[active] = gp
            rel[active] = r
            finished = self._finished(r, cond, prev[active], NEWTON_FIRST, 1e-16) | ~np.isfinite(r)
            done[active[finished & np.isfinite(r)]] = True
            prev[active] = r
            active = active[~finished]
            if active.size == 0:
                break
        ok = np.isfinite(k) & (done | (rel < NEWTON_FAIL))
        return k, gp_out, df_out, ok, rel

    def newton_all(
        self, w: np.ndarray, k0: np.ndarray, first: float = NEWTON_FIRST, target: float = 1e-16
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Newton for a few rays together (the march), without per-element bookkeeping (an element that has
        stopped takes further steps of roundoff size, which is harmless); returns the same tuple as `newton`,
        with the accuracy of the stopping rule (`_finished`) as parameters.
        """
        k = k0
        prev = np.full(k.shape, np.inf)
        done = np.zeros(k.shape, dtype=bool)
        for _ in range(NEWTON_MAXIT):
            df, dfp, gp, step, r, cond = self._step(k, w)
            k = k - step
            done |= self._finished(r, cond, prev, first, target)
            prev = r
            if done.all() or not np.isfinite(r).all():
                break
        ok = np.isfinite(k) & (done | (r < NEWTON_FAIL))
        return k, gp, df - dfp * step, ok, r

    def windows(
        self, s: np.ndarray, n_lo: int, n_hi: int, gamma: float, zero_from: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, dict]:
        """kappa and df at w = s_j/tau + gamma for the window taus tau = 2^n, n = n_lo..n_hi; shape (n_hi - n_lo + 1, R).

        All rays `s` (R,) march together in log tau through the windows (ratio 2; the step is halved in
        log tau after a rejection) from a start where |w| >= START_FACTOR (lambda_max + gamma +
        tr(Lambda)(1/N + 1/P)) (kappa ~= w), to a relative accuracy ~1e-10 (MARCH_FIRST); then one
        vectorised Newton over all window points brings kappa to full accuracy (usually a single
        evaluation) and gives df there. Returns (kappa, df, diagnostics dict).

        `zero_from` (a window index, gamma > 0): the gamma = 0 twins w = s_j/tau of the rays (the
        gamma-shifted init term) are added as columns R..2R-1 from that window on (NaN before it). They
        join the march there, started from their gamma twins by one step -gamma in w (predictor
        kappa - gamma/g'(kappa), Newton, the branch tests); the caller puts the join a few windows
        before the first one it needs, where |s_j|/tau >> gamma. Should the join fail, the twins
        march from the start like the other rays.
        """
        s = np.asarray(s, dtype=np.complex128)
        n_lo, n_hi = int(n_lo), int(n_hi)
        taus = np.ldexp(1.0, np.arange(n_lo, n_hi + 1))
        # max_newton_step: largest relative size of a final Newton step (the error after it is ~ its square)
        diag = {"steps": 0, "rejected": 0, "max_newton_step": 0.0}
        if zero_from is not None and gamma > 0.0:
            gammas = np.concatenate([np.full(s.size, float(gamma)), np.zeros(s.size)])
            rays = np.concatenate([s, s])
        else:
            zero_from, gammas, rays = None, np.full(s.size, float(gamma)), s
        if self.inv_n == 0.0 and self.inv_p == 0.0:  # kappa = w exactly
            w = rays[None, :] / taus[:, None] + gammas
            return w, self.sums.df_dfp(w.ravel())[0].reshape(w.shape), diag
        scale = self.sums.lam_max + float(gamma) + self.sums.trace * (self.inv_n + self.inv_p)
        smin = float(np.min(np.abs(s)))
        e0 = min(n_lo, math.floor(math.log2(smin / (START_FACTOR * scale))))
        expo = np.arange(e0, n_hi + 1)
        grid = np.ldexp(1.0, expo)  # the windows themselves (plus the start-up steps below n_lo)
        gk = np.full((grid.size, rays.size), np.nan, dtype=np.complex128)
        join = None if zero_from is None else min(max(int(zero_from), n_lo), n_hi) - e0  # row of the join in grid
        if join is not None and join > 0:
            main = self._march_from_start(s, grid[: join + 1], gammas[: s.size], diag)
            gk[: join + 1, : s.size] = main[0]
            k, gp, df = main[0][-1], main[1][-1], main[2][-1]
            w_z = s / grid[join]
            kp = k - gamma / gp  # dkappa/dw = 1/g'
            kz, gpz, dfz, ok, _ = self.newton(w_z, kp)
            if self._accepted(kz, kp, w_z, ok).all():
                diag["zero_rays_join"] = float(grid[join])
                start = (
                    grid[join],
                    rays / grid[join] + gammas,
                    np.concatenate([k, kz]),
                    np.concatenate([gp, gpz]),
                    np.concatenate([df, dfz]),
                )
                gk[join] = start[2]
                gk[join + 1 :] = self._march(rays, grid[join + 1 :], gammas, start, diag)[0]
            else:
                join = 0
        if join is None or join == 0:
            gk[:] = self._march_from_start(rays, grid, gammas, diag)[0]
        gk = gk[expo >= n_lo]
        # polish: full-accuracy Newton for all computed window points at once from the march's ~1e-10 solution
        w = rays[None, :] / taus[:, None] + gammas
        have = ~np.isnan(gk)
        k, _, df, ok, rel = self.newton(w[have], gk[have])
        good = self._accepted(k, gk[have], w[have], ok)
        if not good.all():
            bad = int(np.flatnonzero(~good)[0])
            raise NumericalError(
                f"kappa: polishing Newton failed at tau = {np.broadcast_to(taus[:, None], w.shape)[have][bad]:.6g} "
                f"(N^-1 = {self.inv_n:.3g}, P^-1 = {self.inv_p:.3g}); step {rel[bad]:.2e}"
            )
        diag["max_newton_step"] = max(diag["max_newton_step"], float(np.max(rel)))
        out_k = np.full(w.shape, np.nan, dtype=np.complex128)
        out_df = np.full(w.shape, np.nan, dtype=np.complex128)
        out_k[have], out_df[have] = k, df
        return out_k, out_df, diag

    def _march_from_start(self, s: np.ndarray, grid: np.ndarray, gamma: np.ndarray, diag: dict):
        """Newton at grid[0] from kappa = w (|w| >> scale there), then the march through grid[1:]; (kappa, g', df) on grid."""
        w0 = s / grid[0] + gamma
        k0, gp0, df0, ok, rel = self.newton(w0, w0)
        if not (ok & self._branch_mask(k0, w0)).all():
            raise NumericalError(
                f"kappa: Newton failed at the start of the continuation (tau = {grid[0]:.3g}, |w| >= {np.min(np.abs(w0)):.3g})"
            )
        diag["max_newton_step"] = max(diag["max_newton_step"], float(np.max(rel)))
        gk, ggp, gdf = self._march(s, grid[1:], gamma, (grid[0], w0, k0, gp0, df0), diag)
        return np.concatenate([k0[None], gk]), np.concatenate([gp0[None], ggp]), np.concatenate([df0[None], gdf])

    def _march(
        self,
        s: np.ndarray,
        targets: np.ndarray,
        gamma: np.ndarray,
        start: tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        diag: dict,
    ):
        """Sequential continuation of all rays through the sorted `targets`; returns (kappa, g', df) there.

        Predictor: cubic Hermite extrapolation in u = 1/tau from the last two accepted points (kappa and
        dkappa/du = s/g'(kappa) known there; w is linear in u on a ray), linear after a rejection.
        Acceptance: Newton converged, |kappa - predictor| <= BRANCH_TOL |predictor|, physical branch.
        """
        tau, w, k, gp, df = start
        prev = None  # (u, kappa, dkappa/du) of the accepted point before the current one
        n_t = len(targets)
        out_k = np.empty((n_t, s.size), dtype=np.complex128)
        out_gp = np.empty_like(out_k)
        out_df = np.empty_like(out_k)
        ratio = MAX_RATIO
        idx = 0
        while idx < n_t:
            target = targets[idx]
            if target <= tau:
                out_k[idx], out_gp[idx], out_df[idx] = k, gp, df
                idx += 1
                continue
            new_tau = target if tau * ratio >= target * (1.0 - 1e-12) else tau * ratio
            w_new = s / new_tau + gamma
            dk = s / gp  # dkappa/du, u = 1/tau (w is linear in u on a ray)
            if prev is None:
                kp = k + (w_new - w) / gp
            else:
                u0, k0, dk0 = prev
                hu = 1.0 / tau - u0
                x = (1.0 / new_tau - u0) / hu
                x2, x3 = x * x, x * x * x
                kp = (
                    (2 * x3 - 3 * x2 + 1) * k0
                    + ((x3 - 2 * x2 + x) * hu) * dk0
                    + (3 * x2 - 2 * x3) * k
                    + ((x3 - x2) * hu) * dk
                )
            k_new, gp_new, df_new, ok, rel = self.newton_all(w_new, kp, MARCH_FIRST, MARCH_TARGET)
            if not self._accepted(k_new, kp, w_new, ok).all():
                diag["rejected"] += 1
                ratio = math.sqrt(ratio)
                prev = None
                if diag["rejected"] > MAX_REJECTIONS or ratio - 1.0 < 1e-9:
                    raise NumericalError(
                        f"kappa: continuation stalled at tau = {tau:.6g} (N^-1 = {self.inv_n:.3g}, P^-1 = {self.inv_p:.3g}, "
                        f"gamma = {float(np.max(gamma)):.3g}); Newton step {np.max(rel):.2e}"
                    )
                continue
            diag["steps"] += 1
            prev = (1.0 / tau, k, dk)
            tau, w, k, gp, df = new_tau, w_new, k_new, gp_new, df_new
            ratio = min(MAX_RATIO, ratio * ratio)
            if new_tau == target:
                out_k[idx], out_gp[idx], out_df[idx] = k, gp, df
                idx += 1
        return out_k, out_gp, out_df

    @staticmethod
    def _branch_mask(k: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Physical branch: Im kappa has the sign of Im w (0 < arg kappa < arg w for Im w > 0); kappa > 0 on the real axis."""
        tol = 1e-12 * np.abs(k)
        bad = ((w.imag > 0) & (k.imag < -tol)) | ((w.imag == 0) & (k.real <= 0))
        return ~bad

    @classmethod
    def _accepted(cls, k: np.ndarray, kp: np.ndarray, w: np.ndarray, ok: np.ndarray):
        """Per element: Newton converged, within BRANCH_TOL of the predictor kp, on the physical branch."""
        return ok & (np.abs(k - kp) <= BRANCH_TOL * np.abs(kp)) & cls._branch_mask(k, w)


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

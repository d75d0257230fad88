"""Multi-pass mini-batch SGD with batches drawn with replacement, in the DMFT (docs/theory/sgd.md).

The SGD noise of a batch of B indices drawn i.i.d. from the P training samples has, at fixed weights,
the covariance (1/B) [(1/P) sum_mu r_mu^2 phi_mu phi_mu^T - g g^T] (r the training residuals, g the
loss gradient). For delocalised (Gaussian-like) eigenvectors of the training Hessian K_a this is, in
its eigenbasis, 2L K_a + g g^T to leading order (docs/theory/sgd.md, section 2). The mean of SGD is
gradient descent; per eigendirection x of K_a the SGD variance c_x obeys

    c_x(k+1) = p(x) c_x(k) + (eta^2 / B) [x 2L(k) + g_x(k)^2],   p(x) = (1 - eta (x + gamma))^2 + eta^2 x^2 / B,

with 2L(k) = 2L_GD(k) + sum_x x c_x(k) the training error (a Volterra equation: the noise is driven by
the loss it raises) and E(k) = E_GD(k) + sum_x G_xx c_x(k) the test error. In generating functions
(zeta^k) the convolutions become products:

    2L^(zeta) = [2L_GD^ + S_L^](zeta) / (1 - (eta^2/B) zeta K_L^(zeta)),
    E^(zeta)  = E_GD^ + (eta^2/B) zeta K_G^(zeta) 2L^(zeta) + S_G^,

with the one-point kernels K_G^ = int mu_G x / (1 - zeta p), K_L^ = int mu_1 x^2 / (1 - zeta p) of the
deterministic-equivalent spectral measures of K_a: mu_G weighted by the test metric (Stieltjes
transform m = df / R_1), mu_1 counting (x mu_1: df), and the label-weighted measure nu of the sample
Gram (tf / R_2 for the signal, 1 / (kappa R_2) per sigma^2 for label noise). Every one-point
generating function is a rational function of x with a few poles, so it is a sum of residues times
Stieltjes transforms at the poles (`_poles`): the gradient-descent map points w = gamma + z(u) and
gamma + z(u/2), the sign-flip partner of q^2, and the two roots of 1 - zeta p. The source g g^T enters the
test error through a two-point function of the data-label vector b = X^T y / P (`phi_two_point`),
2-D inverted like the gradient-descent signal.

Routes (as for gradient descent, dmft/discrete.py): the Talbot route at zeta = e^{-eta u} for steps
k >= talbot_from, Cauchy's formula on a circle |zeta| = rho before.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq

from ..errors import NumericalError
from . import contour
from .curves import bilinear_sums, talbot_error_2d
from .discrete import (
    _Circle,
    _continue,
    _edge,
    _pair_sums4,
    _shifted_sums,
    _w_real,
    decay_free_rate,
    spectral_edge,
    talbot_from,
    zmap,
)
from .kappa import BRANCH_TOL, START_FACTOR, KappaSolver, ModeSums, kappa_static, stable_r

# radial continuation of kappa to arbitrary complex points: steps of this ratio in |w| (halved on rejection)
RADIAL_RATIO = 2.0
RADIAL_MAX_STEPS = 4000


def kappa_points(solver: KappaSolver, w: np.ndarray) -> np.ndarray:
    """kappa(w) on the physical branch at arbitrary points w off the spectrum (1-D complex array).

    Real points: w > 0 by the static root (kappa_static), w < -e_max by discrete.kappa_real. Complex
    points: continuation along the ray through w from |w| >= START_FACTOR x scale (kappa ~ w there)
    inwards in steps of ratio RADIAL_RATIO (linear predictor, Newton, accepted within BRANCH_TOL and with
    Im kappa of the sign of Im w), all points together; the ratio shrinks where a step is rejected."""
    w = np.asarray(w, dtype=np.complex128)
    out = np.empty_like(w)
    sums, inv_n, inv_p = solver.sums, solver.inv_n, solver.inv_p
    real = w.imag == 0.0
    left = real & (w.real < 0.0)
    for i in np.flatnonzero(real & ~left):  # right of the spectrum (w = 0: the ridgeless kappa*)
        out[i] = kappa_static(sums, inv_n, inv_p, w[i].real)
    if left.any():
        out[left] = _kappa_left(sums, inv_n, inv_p, w[left].real)
    cplx = np.flatnonzero(~real)
    if cplx.size == 0:
        return out
    target = w[cplx]
    if inv_n == 0.0 and inv_p == 0.0:
        out[cplx] = target
        return out
    scale = sums.lam_max + sums.trace * (inv_n + inv_p)
    start = np.maximum(START_FACTOR * scale / np.abs(target), 1.0)  # s: w(s) = target s
    s = start.copy()
    k, gp, _, ok, _ = solver.newton(target * s, target * s)
    if not ok.all():
        raise NumericalError("kappa_points: Newton failed at the start of the radial continuation")
    ratio = np.full(s.size, RADIAL_RATIO)
    for _ in range(RADIAL_MAX_STEPS):
        todo = s > 1.0
        if not todo.any():
            return _put(out, cplx, k)
        idx = np.flatnonzero(todo)
        s_new = np.maximum(s[idx] / ratio[idx], 1.0)
        w_old, w_new = target[idx] * s[idx], target[idx] * s_new
        kp = k[idx] + (w_new - w_old) / gp[idx]
        k_new, gp_new, _, conv, _ = solver.newton(w_new, kp)
        good = conv & (np.abs(k_new - kp) <= BRANCH_TOL * np.abs(kp)) & (k_new.imag * w_new.imag >= 0)
        acc = idx[good]
        k[acc], gp[acc], s[acc] = k_new[good], gp_new[good], s_new[good]
        ratio[acc] = np.minimum(RADIAL_RATIO, ratio[acc] ** 2)
        rej = idx[~good]
        ratio[rej] = np.sqrt(ratio[rej])
        if np.any(ratio[rej] - 1.0 < 1e-9):
            raise NumericalError("kappa_points: radial continuation stalled (a point close to the spectrum)")
    raise NumericalError("kappa_points: radial continuation did not finish")


def _kappa_left(sums: ModeSums, inv_n: float, inv_p: float, ws: np.ndarray) -> np.ndarray:
    """kappa at real points w < -e_max, left of the spectrum (discrete.kappa_real, with the edge searched
    once for all the points): the root of w(kappa) = w left of the edge's kappa_e."""
    if inv_n == 0.0 and inv_p == 0.0:
        return ws.astype(np.complex128)
    kap_edge, e_max = _edge(sums, inv_n, inv_p)
    out = np.empty(ws.size, dtype=np.complex128)
    for i, w in enumerate(ws):
        if not w < -e_max:
            raise NumericalError(f"kappa_points: w = {w:.6g} is not left of the spectrum (edge {-e_max:.6g})")
        lo = min(w, kap_edge) * 2.0 - sums.lam_max
        while _w_real(sums, inv_n, inv_p, lo) > w:
            lo *= 2.0
        out[i] = brentq(
            lambda k, w=w: _w_real(sums, inv_n, inv_p, k) - w, lo, kap_edge, xtol=1e-300, rtol=1e-15, maxiter=400
        )
    return out


def _put(out: np.ndarray, where: np.ndarray, values: np.ndarray) -> np.ndarray:
    out[where] = values
    return out


class Stieltjes:
    """The Stieltjes transforms S(w) = int mu(dx) / (x + w) of the four measures at points w (any shape),
    and their derivatives dS/dw, from kappa(w) (docs/theory/sgd.md, section 3):

    * m = df / R_1: mu_G, the eigenvalues of K_a weighted by the test metric G;
    * df: x mu_1, the eigenvalues of the sample Gram K = X X^T / P weighted by themselves;
    * ts = tf / R_2: nu_s, the eigenvalues of K weighted by (q_i . Psi w*)^2 / P (signal labels);
    * tn = 1 / (kappa R_2): nu_n, weighted by (q_i . eps)^2 / P, per sigma^2 (label noise).

    dS/dw = (dS/dkappa) / g'(kappa), g' = R_1 R_2 - kappa df' (R_2 / P + R_1 / N)."""

    NAMES = ("m", "df", "ts", "tn")

    def __init__(self, sums: ModeSums, inv_n: float, inv_p: float, w: np.ndarray, kap: np.ndarray):
        shape = np.shape(w)
        w = np.asarray(w, dtype=np.complex128).ravel()
        kap = np.asarray(kap, dtype=np.complex128).ravel()
        df, dfp = sums.df_dfp(kap)
        with np.errstate(divide="ignore", invalid="ignore"):  # w = 0 with kappa* = 0: R_1 = 0/0, unused
            r1, r2 = stable_r(kap, w, df, inv_n, inv_p)
        h = 1.0 / (sums.lam + kap[:, None])
        wc = sums.wc.astype(np.complex128)
        tf = h @ wc
        tfp = -((h * h) @ wc)
        gp = r1 * r2 - kap * dfp * (r2 * inv_p + r1 * inv_n)
        kr2 = kap * r2
        # w = 0 (gamma = 0) can make R_1 or R_2 vanish: an infinite transform there is exact and unused
        with np.errstate(divide="ignore", invalid="ignore"):
            values = self._values(df, dfp, r1, r2, tf, tfp, kr2, kap, inv_n)
        self.kappa = kap.reshape(shape)
        for name, (val, dval) in values.items():
            setattr(self, name, val.reshape(shape))
            with np.errstate(divide="ignore", invalid="ignore"):
                setattr(self, "d" + name, (dval / gp).reshape(shape))

    @staticmethod
    def _values(
        df: np.ndarray, dfp: np.ndarray, r1: np.ndarray, r2: np.ndarray, tf: np.ndarray, tfp: np.ndarray,
        kr2: np.ndarray, kap: np.ndarray, inv_n: float,
    ) -> dict:  # fmt: skip
        return {
            "m": (df / r1, dfp / (r1 * r1)),
            "df": (df, dfp),
            "ts": (tf / r2, (tfp * r2 + tf * dfp * inv_n) / (r2 * r2)),
            "tn": (1.0 / kr2, -(r2 - kap * dfp * inv_n) / (kr2 * kr2)),
        }


class Rational:
    """A rational function of x vanishing at infinity, as partial fractions over named poles:
    sum_{(pole, order)} coef / (x - x_pole)^order, order 1 or 2; pole positions and coefficients are
    arrays (one value per evaluation point zeta). Products are reduced with
    1/((x-a)(x-b)) = [1/(x-a) - 1/(x-b)] / (a - b) and x/(x-a)^j = 1/(x-a)^{j-1} + a/(x-a)^j, so that
    int mu(dx) f(x) = sum coef_1 S(-x_pole) - coef_2 S'(-x_pole) (`integrate`)."""

    def __init__(self, where: dict, terms: dict | None = None, const: complex | np.ndarray = 0.0):
        self.where = where  # pole name -> position array
        self.terms = dict(terms or {})  # (pole, order) -> coefficient array
        self.const = const  # polynomial part (must vanish before integrating)

    def _new(self, terms: dict, const: complex | np.ndarray = 0.0) -> Rational:
        return Rational(self.where, terms, const)

    def __add__(self, other: Rational) -> Rational:
        terms = dict(self.terms)
        for key, val in other.terms.items():
            terms[key] = terms.get(key, 0.0) + val
        return self._new(terms, self.const + other.const)

    def scale(self, factor: complex | np.ndarray) -> Rational:
        return self._new({k: v * factor for k, v in self.terms.items()}, self.const * factor)

    def times_x(self) -> Rational:
        """x f(x) for an f = o(1/x) at infinity (so that x f vanishes there: the constant that
        x / (x - a) = 1 + a / (x - a) produces sums to zero and is dropped);
        x / (x - a)^2 = 1 / (x - a) + a / (x - a)^2."""
        terms: dict = {}
        if not np.all(np.asarray(self.const) == 0):
            raise NumericalError("Rational.times_x: a polynomial part would grow")
        for (pole, order), val in self.terms.items():
            a = self.where[pole]
            if order == 1:
                terms[(pole, 1)] = terms.get((pole, 1), 0.0) + a * val
            else:
                terms[(pole, 1)] = terms.get((pole, 1), 0.0) + val
                terms[(pole, 2)] = terms.get((pole, 2), 0.0) + a * val
        return self._new(terms)

    def __mul__(self, other: Rational) -> Rational:
        """The product of two functions with simple poles each (orders 1)."""
        out: dict = {}

        def add(key: tuple, val: np.ndarray) -> None:
            out[key] = out.get(key, 0.0) + val

        for (pa, oa), ca in self.terms.items():
            for (pb, ob), cb in other.terms.items():
                if oa != 1 or ob != 1:
                    raise NumericalError("Rational: products of simple poles only")
                if pa == pb:
                    add((pa, 2), ca * cb)
                else:
                    d = self.where[pa] - self.where[pb]
                    add((pa, 1), ca * cb / d)
                    add((pb, 1), -ca * cb / d)
        res = self._new(out)
        for c, f in ((self.const, other), (other.const, self)):
            if not np.all(np.asarray(c) == 0):
                res = res + f.scale(c)
        return res

    def integrate(self, st: dict, measure: str) -> np.ndarray:
        """int mu(dx) f(x) for the measure `measure` of Stieltjes (st[pole] at w = -x_pole)."""
        if not np.all(np.asarray(self.const) == 0):
            raise NumericalError("Rational.integrate: a polynomial part is left")
        total = 0.0
        for (pole, order), val in self.terms.items():
            if order == 1:
                total = total + val * getattr(st[pole], measure)
            else:  # int mu / (x - a)^2 = -S'(-a)
                total = total - val * getattr(st[pole], "d" + measure)
        return total


def _roots_p(zeta: np.ndarray, eta: float, gamma: float, batch: float) -> tuple[np.ndarray, np.ndarray]:
    """The two roots x of 1 - zeta p(x) = 0, p(x) = (c - eta x)^2 + eta^2 x^2 / B, c = 1 - eta gamma:
    eta x = [c +- sqrt(D)] / (1 + 1/B), D = s (1 + 1/B) - c^2 / B, s = 1/zeta; the smaller one as
    (c^2 - s) / (eta (c + sqrt(D))), without cancellation (exactly 0 at s = c^2 = 1). B = inf: (c +- s^{1/2}) / eta."""
    c = 1.0 - eta * gamma
    b = 1.0 / batch
    s = 1.0 / zeta
    root = np.sqrt((1.0 + b) * s - c * c * b + 0j)
    return (c + root) / (eta * (1.0 + b)), (c * c - s) / (eta * (c + root))


def _points(zeta: np.ndarray, eta: float, gamma: float, batch: float) -> dict:
    """The pole positions x of the one-point generating functions at zeta (any shape):
    x1 (1 - zeta q = 0), x2p / x2m (1 - zeta q^2 = 0: q = +- zeta^{-1/2}), rp / rm (1 - zeta p = 0)."""
    c = 1.0 - eta * gamma
    sq = np.sqrt(zeta + 0j)
    rp, rm = _roots_p(zeta, eta, gamma, batch)
    return {
        "x1": (zeta * c - 1.0) / (eta * zeta),
        "x2p": (sq * c - 1.0) / (eta * sq),
        "x2m": (sq * c + 1.0) / (eta * sq),
        "rp": rp,
        "rm": rm,
    }


def one_point(zeta: np.ndarray, pts: dict, st: dict, eta: float, gamma: float, batch: float) -> dict[str, np.ndarray]:
    """The one-point generating functions at zeta (docs/theory/sgd.md, section 4), from the Stieltjes
    transforms `st[name]` at w = -pts[name]:

    kg = int mu_G x / (1 - zeta p), kl = int mu_1 x^2 / (1 - zeta p) (the Volterra kernels);
    lgd_s, lgd_n, lgd_i: sum_k zeta^k 2L_GD(k) of the signal, the label noise (per sigma^2) and the init
    (per sigma0^2); sl_s, sl_n, sl_i: the g g^T source of the training error, (eta^2 / B) zeta
    int mu x^2 [sum_m zeta^m g_m(x)^2 / x] / (1 - zeta q^2) (the source's variance decays as q^2: no self
    term on it, docs/theory/sgd.md section 2); sg_i: the same source of the init's test error."""
    c = 1.0 - eta * gamma
    sq = np.sqrt(zeta + 0j)
    pre = (eta * eta / batch) * zeta
    # 1 / (1 - zeta q) = 1 / (zeta eta (x - x1))
    inv_q = Rational(pts, {("x1", 1): 1.0 / (zeta * eta)})
    # 1 / (1 - zeta q^2) = [1/(x - x2p) - 1/(x - x2m)] / (2 sqrt(zeta) eta)
    inv_q2 = Rational(pts, {("x2p", 1): 1.0 / (2.0 * sq * eta), ("x2m", 1): -1.0 / (2.0 * sq * eta)})
    # 1 / (1 - zeta p) = -1 / (zeta eta^2 (1 + 1/B) (x - rp)(x - rm))
    c2 = eta * eta * (1.0 + 1.0 / batch)
    resp = -1.0 / (zeta * c2 * (pts["rp"] - pts["rm"]))
    inv_p = Rational(pts, {("rp", 1): resp, ("rm", 1): -resp})
    # G(x) = sum_k zeta^k rho_k(x)^2, rho_k = (gamma + x q^k) / (x + gamma) the residual filter of gradient
    # descent: residues at x1 (2 alpha beta / (zeta eta)) and x2p, x2m (beta^2 / (+-2 sqrt(zeta) eta)),
    # alpha = gamma / (x + gamma), beta = x / (x + gamma); no pole at x = -gamma, G -> 0 at infinity
    x1, x2p, x2m = pts["x1"], pts["x2p"], pts["x2m"]
    del c
    g_fun = Rational(
        pts,
        {
            ("x1", 1): 2.0 * gamma * x1 / ((x1 + gamma) ** 2 * zeta * eta),
            ("x2p", 1): (x2p / (x2p + gamma)) ** 2 / (2.0 * sq * eta),
            ("x2m", 1): -((x2m / (x2m + gamma)) ** 2) / (2.0 * sq * eta),
        },
    )
    del inv_q
    out: dict[str, np.ndarray] = {}
    x_inv_p = inv_p.times_x()
    out["kg"] = x_inv_p.integrate(st, "m")
    out["kl"] = x_inv_p.integrate(st, "df")  # x mu_1 has the transform df
    out["lgd_s"] = g_fun.integrate(st, "ts")
    out["lgd_n"] = g_fun.integrate(st, "tn")
    out["lgd_i"] = inv_q2.integrate(st, "df")  # int mu_1 x q^{2k}
    x2g = (g_fun * inv_q2).times_x().times_x()
    out["sl_s"] = pre * x2g.integrate(st, "ts")
    out["sl_n"] = pre * x2g.integrate(st, "tn")
    x2qq = (inv_q2 * inv_q2).times_x().times_x()
    out["sl_i"] = pre * x2qq.integrate(st, "df")  # int mu_1 x^3 ... = int (x mu_1) x^2 ...
    out["sg_i"] = pre * x2qq.integrate(st, "m")
    return out


def volterra(op: dict[str, np.ndarray], zeta: np.ndarray, eta: float, batch: float) -> dict[str, np.ndarray]:
    """The SGD solution's generating functions from `one_point`: the training error 2L^ per component
    (train_s, train_n, train_i) and the SGD part of the test error (excess_s/n/i: E^ - E_GD^ without the
    two-point g g^T source of the signal and the noise, which `source_two_point` adds)."""
    a = (eta * eta / batch) * zeta
    den = 1.0 - a * op["kl"]
    out = {}
    for comp in ("s", "n", "i"):
        train = (op["lgd_" + comp] + op["sl_" + comp]) / den
        out["train_" + comp] = train
        out["excess_" + comp] = a * op["kg"] * train + (op["sg_i"] if comp == "i" else 0.0)
    return out


def phi_two_point(
    sums: ModeSums, inv_n: float, inv_p: float, k1: np.ndarray, k2: np.ndarray, four: tuple
) -> tuple[np.ndarray, np.ndarray]:
    """Phi(w1, w2) = b^T (K_a + w1)^{-1} G (K_a + w2)^{-1} b, b = X^T y / P, of the signal and per sigma^2
    of the label noise (docs/theory/sgd.md, section 5), from the bilinear sums four = (W1, W2, J1, J2) at
    (kappa1, kappa2): the two-point closure of the gradient-flow signal (dmft.md section 4) times z1 z2,
    plus the one-point terms psi(kappa) = sum lambda c / (lambda + kappa), minus sum c."""
    w1s, w2s, j1, j2 = four
    det = (1.0 - j2 * inv_p) * (1.0 - j2 * inv_n) - k1 * k2 * j1 * j1 * inv_n * inv_p
    psi1 = (1.0 / (sums.lam + k1[..., None])) @ sums.wlc
    psi2 = (1.0 / (sums.lam + k2[..., None])) @ sums.wlc
    sig = k1 * k2 * (w1s * (1.0 - j2 * inv_n) + j1 * w2s * inv_n) / det + psi1 + psi2 - sums.target
    noi = (j2 * (1.0 - j2 * inv_n) + k1 * k2 * j1 * j1 * inv_n) * inv_p / det
    return sig, noi


def _four(sums: ModeSums, k1: np.ndarray, k2: np.ndarray) -> tuple:
    """(W1, W2, J1, J2) elementwise for broadcastable kappa arrays (small grids)."""
    h1 = 1.0 / (sums.lam + np.asarray(k1)[..., None])
    h = h1 / (sums.lam + np.asarray(k2)[..., None])
    return tuple(h @ wgt for wgt in sums.bilinear_weights)


def sgd_edge_x(eta: float, gamma: float, batch: float) -> float:
    """The stability edge of SGD's second moments along an eigendirection: the largest x with p(x) <= 1,
    p(x) = (1 - eta (x + gamma))^2 + eta^2 x^2 / B (B = inf: gradient descent's 2 / eta - gamma)."""
    rp, _ = _roots_p(np.array([1.0 + 0j]), eta, gamma, batch)
    return float(rp[0].real)


# where SGD's noise adds more than this fraction to gradient descent's test error, the homogenised closure
# (delocalised eigenvectors, no leverage correlations) is good to about 10-20 % of the excess only: such
# rows are flagged `sgd_dominated` (docs/theory/sgd.md section 9)
SGD_DOMINATED = 0.5


def sgd_dominated(test: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The flag text per time where the SGD excess test / reference - 1 exceeds SGD_DOMINATED ('' elsewhere)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # diverged rows: an inf excess, not flagged
        excess = test / reference - 1.0
        percent = 100.0 * np.nan_to_num(excess)
    return np.where(
        np.isfinite(excess) & (excess > SGD_DOMINATED),
        np.char.add(
            np.char.add("sgd_dominated: SGD's noise adds ", np.char.mod("%.0f", percent)),
            " % to gradient descent's error (the theory is good to ~10-20 % of that excess here)",
        ),
        "",
    )


# the transient of SGD's curves has decayed below e^-FREEZE of their scale at FREEZE relaxation times
FREEZE = 40.0


def _kernel_l_real(
    sums: ModeSums, inv_n: float, inv_p: float, gamma: float, eta: float, batch: float, s: float
) -> float:
    """K_L^(zeta) = int mu_1 x^2 / (1 - zeta p(x)) at the real zeta = 1/s, s above p on the spectrum:
    its two roots are real, one right of the spectrum's image (w = -rm >= 0), one left (w = -rp < -e_max)."""
    rp, rm = _roots_p(np.array([1.0 / s + 0j]), eta, gamma, batch)
    w = np.array([-rp[0].real, -rm[0].real]) + 0j
    st = Stieltjes(sums, inv_n, inv_p, w, kappa_points(KappaSolver(sums, inv_n, inv_p), w))
    resp = -s / (eta * eta * (1.0 + 1.0 / batch) * (rp[0] - rm[0]))
    return float((resp * (rp[0] * st.df[0] - rm[0] * st.df[1])).real)


def stability(
    sums: ModeSums, inv_n: float, inv_p: float, gamma: float, eta: float, batch: float
) -> tuple[bool, str, float, float]:
    """Whether SGD's second moments stay bounded (docs/theory/sgd.md, section 6): every direction's
    propagator p(x) < 1 up to the spectral edge e_max, and the loss feedback
    F = (eta^2 / B) K_L^(1) = (eta^2 / B) int mu_1 x^2 / (1 - p) < 1 (the renewal equation of 2L has no
    growing solution). Returns (ok, flag, F, rate): rate is the relaxation rate (per unit time t) of the
    transients, -log(s*) / eta with s* the slowest decay factor per step: the largest of p(0), p(e_max)
    and the root s of 1 = (eta^2 / (B s)) K_L^(1/s) (the renewal's own mode)."""
    edge = spectral_edge(sums, inv_n, inv_p)
    c = 1.0 - eta * gamma
    p_edge = (c - eta * edge) ** 2 + eta * eta * edge * edge / batch
    if p_edge >= 1.0:
        return (
            False,
            f"diverged: SGD's propagator p(e_max) = {p_edge:.4g} >= 1 (eta = {eta:g}, B = {batch:g})",
            np.inf,
            0.0,
        )
    a = eta * eta / batch
    feedback = a * _kernel_l_real(sums, inv_n, inv_p, gamma, eta, batch, 1.0)
    if not feedback < 1.0:
        return (
            False,
            f"diverged: SGD's loss feedback (eta^2/B) K_L(1) = {feedback:.4g} >= 1 (eta = {eta:g}, B = {batch:g})",
            feedback,
            0.0,
        )
    p_max = max(c * c, p_edge)
    if p_max >= 1.0 or c * c >= 1.0:
        return True, "", feedback, 0.0
    lo, hi = p_max * (1.0 + 1e-9), 1.0
    if 1.0 - (a / lo) * _kernel_l_real(sums, inv_n, inv_p, gamma, eta, batch, lo) > 0.0:
        s_star = p_max  # no renewal root above the kernel's own slowest mode
    else:
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if 1.0 - (a / mid) * _kernel_l_real(sums, inv_n, inv_p, gamma, eta, batch, mid) > 0.0:
                hi = mid
            else:
                lo = mid
        s_star = hi
    return True, "", feedback, -np.log(s_star) / eta


def _kappa_at_points(solver: KappaSolver, pts: dict, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """kappa at w = -pts[name] for the named poles (all points in one radial continuation)."""
    flat = np.concatenate([-np.asarray(pts[n]).ravel() for n in names])
    kap = kappa_points(solver, flat)
    out, at = {}, 0
    for n in names:
        size = np.asarray(pts[n]).size
        out[n] = kap[at : at + size].reshape(np.shape(pts[n]))
        at += size
    return out


def _stieltjes_at(sums: ModeSums, inv_n: float, inv_p: float, pts: dict, kaps: dict) -> dict[str, Stieltjes]:
    return {n: Stieltjes(sums, inv_n, inv_p, -np.asarray(pts[n]), kaps[n]) for n in kaps}


def circle_sgd(
    sums: ModeSums,
    inv_n: float,
    inv_p: float,
    gamma: float,
    eta: float,
    batch: float,
    k_max: int,
    two_point: bool = True,
) -> dict[str, np.ndarray]:
    """Every curve of SGD at the steps k = 0..k_max by Cauchy's formula on a circle |zeta| = rho (the
    circle of discrete._Circle with mu = 0): the one-point generating functions at its nodes, one FFT
    each; the two-point g g^T source by the diagonal coefficients of its N x N grid. Returns
    train_s/n/i, excess_s/n/i (the test error minus gradient descent's), each (k_max + 1,)."""
    one = _Circle(sums, inv_n, inv_p, gamma, eta, 0.0, k_max)
    n = one.n
    zeta = one.rho * np.exp(2j * np.pi * (np.arange(n) + 0.5) / n)
    pts = _points(zeta, eta, gamma, batch)
    solver = KappaSolver(sums, inv_n, inv_p)
    kaps = _kappa_at_points(solver, pts, ("x2p", "x2m", "rp", "rm"))
    kaps["x1"] = one.kap  # x1 = -(gamma + z(zeta)): the circle's own nodes
    st = _stieltjes_at(sums, inv_n, inv_p, pts, kaps)
    op = one_point(zeta, pts, st, eta, gamma, batch)
    sol = volterra(op, zeta, eta, batch)
    k = np.arange(k_max + 1)
    phase = one.rho ** (-k.astype(float)) * np.exp(-1j * np.pi * k / n) / n
    out = {name: (np.fft.fft(val)[: k.size] * phase).real for name, val in sol.items()}
    if not two_point:
        return out
    # the two-point source of the test error: T4 + T23 (docs/theory/sgd.md, section 5) on the grid
    src = _circle_source(sums, inv_n, inv_p, gamma, eta, one, k_max)
    pre = eta * eta / batch
    for comp in ("s", "n"):
        out["excess_" + comp] = out["excess_" + comp] + pre * src[comp]
    return out


def _gamma_point(sums: ModeSums, inv_n: float, inv_p: float, gamma: float) -> complex:
    return complex(kappa_static(sums, inv_n, inv_p, gamma)) if gamma > 0.0 else 0j


def _circle_source(
    sums: ModeSums, inv_n: float, inv_p: float, gamma: float, eta: float, one: _Circle, k_max: int
) -> dict[str, np.ndarray]:
    """k b^T f_k G f_k b + 2 b^T g_k G f_k b per component (k = 0..k_max), f_k = beta q^{k-1},
    g_k = alpha (1 - q^k) / (1 - q), from the N x N circle grid of Phi (diagonal coefficients)."""
    n = one.n
    z = one.z
    w = z + gamma
    kg = _gamma_point(sums, inv_n, inv_p, gamma)
    acc4 = {c: np.zeros(n, dtype=np.complex128) for c in ("s", "n")}
    acc23 = {c: np.zeros(n, dtype=np.complex128) for c in ("s", "n")}
    zeta = one.rho * np.exp(2j * np.pi * (np.arange(n) + 0.5) / n)
    if gamma > 0.0:
        p_wg = phi_two_point(sums, inv_n, inv_p, one.kap, np.full(n, kg), _four(sums, one.kap, np.full(n, kg)))
        p_gg = phi_two_point(
            sums, inv_n, inv_p, np.array([kg]), np.array([kg]), _four(sums, np.array([kg]), np.array([kg]))
        )
    for r, rows in one.blocks():
        four = _pair_sums4(sums, one.kap[r], one.kap)
        k1, k2 = one.kap[r, None], one.kap[None, :]
        p12 = phi_two_point(sums, inv_n, inv_p, k1, k2, four)
        z1, z2, w1, w2 = z[r, None], z[None, :], w[r, None], w[None, :]
        for ci, comp in enumerate(("s", "n")):
            bracket = w1 * w2 * p12[ci]
            if gamma > 0.0:
                pg1, pg2, pgg = p_wg[ci][r, None], p_wg[ci][None, :], p_gg[ci][0]
                bracket = bracket - gamma * w1 * pg1 - gamma * w2 * pg2 + gamma * gamma * pgg
                b23 = w2 * pg2 - gamma * pgg - w2 * p12[ci] + gamma * pg1
                t23 = 2.0 * (gamma / (eta * eta * zeta[r, None] * z1 * z1)) * (1.0 / (eta * z2)) * b23
                acc23[comp] += _shifted_sums(t23, rows, n)
            acc4[comp] += _shifted_sums(bracket / (eta * eta * z1 * z2), rows, n)
    k = np.arange(k_max + 1)
    out = {}
    for comp in ("s", "n"):
        t4 = one.diagonal(acc4[comp], k_max)
        t23 = one.diagonal(acc23[comp], k_max) if gamma > 0.0 else 0.0
        out[comp] = k * t4 + t23
    return out


def talbot_sgd(
    sums: ModeSums,
    inv_n: float,
    inv_p: float,
    gamma: float,
    eta: float,
    batch: float,
    t: np.ndarray,
    n_nodes: int,
    two_point: bool = True,
) -> tuple[dict[str, np.ndarray], dict]:
    """The SGD curves at t = eta k on the Talbot route (k >= talbot_from, checked by the caller): the
    one-point generating functions at zeta = e^{-eta u} on every window's nodes, inverted in 1-D (the
    Talbot transform of a sequence is eta times its generating function); the two-point source in 2-D."""
    s_all, _ = contour._parts(n_nodes)
    ke = contour.active(n_nodes)
    s = s_all[:ke]
    n_t, tau = contour.window(t)
    n_lo, n_hi = int(n_t.min()), int(n_t.max()) + 1
    used, at = np.unique(n_t, return_inverse=True)
    solver = KappaSolver(sums, inv_n, inv_p)
    kap_flow, _, diag = solver.windows(s, n_lo, n_hi, gamma)
    taus = np.ldexp(1.0, np.arange(n_lo, n_hi + 1))
    u = s[None, :] / taus[:, None]
    zeta = np.exp(-eta * u)
    z, _ = zmap(u, eta, 0.0)
    if inv_n == 0.0 and inv_p == 0.0:
        kap_gd = z + gamma
    else:
        kap_gd, _ = _continue(solver, (u + gamma).ravel(), kap_flow.ravel(), (z + gamma).ravel())
        kap_gd = kap_gd.reshape(z.shape)
    i1 = used - n_lo
    zt = zeta[i1]
    pts = _points(zt, eta, gamma, batch)
    kaps = _kappa_at_points(solver, pts, ("x2m", "rp", "rm"))
    kaps["x1"] = kap_gd[i1]
    kaps["x2p"] = kap_gd[i1 + 1]  # gamma + z(u/2): the gradient-descent nodes of the next window
    st = _stieltjes_at(sums, inv_n, inv_p, pts, kaps)
    op = one_point(zt, pts, st, eta, gamma, batch)
    sol = volterra(op, zt, eta, batch)
    wt = contour.weights(t, n_nodes, tau)[:, :ke]
    out = {name: contour.invert_1d(eta * val[at], t, w=wt) for name, val in sol.items()}
    diag.update(windows=int(used.size))
    if not two_point:
        return out, diag
    # two-point source of the signal and the noise
    src, err = _talbot_source(sums, inv_n, inv_p, gamma, eta, kap_gd[i1], z[i1], zt, at, t, wt)
    pre = eta * eta / batch
    for comp in ("s", "n"):
        out["excess_" + comp] = out["excess_" + comp] + pre * src[comp]
    diag.update(sgd_talbot_error_estimate=err)
    return out, diag


def _talbot_source(
    sums: ModeSums, inv_n: float, inv_p: float, gamma: float, eta: float, kap: np.ndarray, z: np.ndarray,
    zeta: np.ndarray, at: np.ndarray, t: np.ndarray, wt: np.ndarray,
) -> tuple[dict, float]:  # fmt: skip
    """k b^T f_k G f_k b + 2 b^T g_k G f_k b on the Talbot route (2-D inversions; sgd.md section 5)."""

    def cols(a: np.ndarray) -> np.ndarray:
        return np.concatenate([a, np.conj(a[:, 1:])], axis=1)

    w = z + gamma
    four = bilinear_sums(sums, kap)  # (W, 4, K, 2K-1)
    k1, k2 = kap[:, :, None], cols(kap)[:, None, :]
    p12 = phi_two_point(sums, inv_n, inv_p, k1, k2, tuple(four[:, i] for i in range(4)))
    z1, z2, w1, w2 = z[:, :, None], cols(z)[:, None, :], w[:, :, None], cols(w)[:, None, :]
    j1 = (1.0 / zeta)[:, :, None]
    steps = np.rint(t / eta)
    out, err = {}, 0.0
    if gamma > 0.0:
        kg = _gamma_point(sums, inv_n, inv_p, gamma)
        kgs = np.full(kap.shape, kg)
        p_wg = phi_two_point(sums, inv_n, inv_p, kap, kgs, _four(sums, kap, kgs))
        p_gg = phi_two_point(
            sums, inv_n, inv_p, np.array([kg]), np.array([kg]), _four(sums, np.array([kg]), np.array([kg]))
        )
    for ci, comp in enumerate(("s", "n")):
        bracket = w1 * w2 * p12[ci]
        t23 = 0.0
        if gamma > 0.0:
            pg1, pg2, pgg = p_wg[ci][:, :, None], cols(p_wg[ci])[:, None, :], p_gg[ci][0]
            bracket = bracket - gamma * w1 * pg1 - gamma * w2 * pg2 + gamma * gamma * pgg
            b23 = w2 * pg2 - gamma * pgg - w2 * p12[ci] + gamma * pg1
            vals23 = 2.0 * (gamma * j1 / (eta * z1 * z1 * z2)) * b23
            t23 = contour.invert_2d(vals23[at], t, w=wt)
            err = max(err, float(np.max(talbot_error_2d(vals23[at], wt))))
        vals4 = bracket / (z1 * z2)
        t4 = contour.invert_2d(vals4[at], t, w=wt)
        err = max(err, float(np.max(talbot_error_2d(vals4[at], wt) * steps)))
        out[comp] = steps * t4 + t23
    return out, err


def _parts(
    sums: ModeSums,
    inv_n: float,
    inv_p: float,
    gamma: float,
    eta: float,
    batch: float,
    steps: np.ndarray,
    n_nodes: int,
    two_point: bool,
) -> tuple[dict[str, np.ndarray], dict]:
    """train_* and excess_* (test error minus gradient descent's) at whole steps >= 1: the circle route
    before gradient descent's talbot_from, the Talbot route from it on."""
    first = talbot_from(eta * (spectral_edge(sums, inv_n, inv_p) + gamma), 0.0, n_nodes)
    out = {f"{q}_{c}": np.full(steps.size, np.nan) for q in ("train", "excess") for c in ("s", "n", "i")}
    diag: dict = {"sgd_talbot_from_step": first}
    early = steps < first
    if early.any():
        circ = circle_sgd(sums, inv_n, inv_p, gamma, eta, batch, int(steps[early].max()), two_point)
        for name in out:
            out[name][early] = circ[name][steps[early]]
    if (~early).any():
        tal, d = talbot_sgd(sums, inv_n, inv_p, gamma, eta, batch, eta * steps[~early], n_nodes, two_point)
        for name in out:
            out[name][~early] = tal[name]
        diag.update({"sgd_" + k: v for k, v in d.items()})
    return out, diag


def multipass_curves(
    sums: ModeSums, inv_n: float, inv_p: float, gamma: float, eta: float, batch: float, t: np.ndarray, n_nodes: int
) -> tuple[dict[str, np.ndarray], np.ndarray, dict]:
    """SGD with replacement at t = eta k (finite whole steps k >= 1): ({test_s, test_n, test_i, train_s,
    train_n, train_i}, flags, diagnostics). test_* are gradient descent's E (dmft.solve) plus the SGD
    excess, per unit source (signal, sigma^2, sigma0^2); train_* the training error (1/P) |X a - y|^2.
    Flags are gradient descent's (diverged / no_theory) and `diverged` where SGD's second moments grow
    (`stability`).

    Two exact rewritings keep the late times accurate (docs/theory/sgd.md, section 7):
    * with gamma > 0 every curve is stationary to e^-FREEZE after FREEZE relaxation times (`stability`);
      later steps take the value there, where the residues of the clustered poles near x = -gamma are
      still moderate;
    * the init part decays like c^{2k}, c = 1 - eta gamma: it is c^{2k} times the init part of SGD with
      learning rate eta / c and gamma = 0 (p(x; eta, gamma) = c^2 p(x; eta / c, 0)), so that it keeps its
      relative accuracy."""
    from . import solve

    gd = solve(sums, n_features=_size(inv_n), n_samples=_size(inv_p), weight_decay=gamma, times=t, learning_rate=eta)
    # gradient descent's diverged / no_theory rows only: its unstable_draws flag is a probability at its own
    # edge 2 / eta - gamma, not SGD's (dmft._solve_multipass flags SGD's own at sgd_edge_x), and its values
    # are kept, so SGD's are computed there too
    flags = np.asarray(gd.flags, dtype=object).copy()
    flags[np.char.startswith(flags.astype(str), "unstable_draws")] = ""
    out = {f"{q}_{c}": np.full(t.size, np.nan) for q in ("test", "train") for c in ("s", "n", "i")}
    diag = dict(gd.diagnostics)
    diag.update(gd_signal=gd.signal.copy(), gd_noise=gd.noise.copy(), gd_init=gd.init.copy())
    ok, why, feedback, rate = stability(sums, inv_n, inv_p, gamma, eta, batch)
    diag.update(loss_feedback=feedback, relaxation_rate=rate)
    if not ok:
        flags[flags == ""] = why
    good = flags == ""
    # flagged rows: inf where SGD or gradient descent diverges, NaN where no route reaches (no_theory)
    fill = np.where(np.isinf(gd.signal) | (not ok), np.inf, np.nan)
    for v in out.values():
        v[~good] = fill[~good]
    if not good.any():
        return out, flags.astype(str), diag
    steps = np.rint(t[good] / eta).astype(np.int64)
    if np.any(steps < 1):
        raise NumericalError("multi-pass SGD theory: steps k >= 1 only")
    # signal and noise: steps past the freeze take the value there
    k_freeze = math.ceil(FREEZE / (rate * eta)) if rate > 0.0 else None
    k_sn = np.minimum(steps, k_freeze) if k_freeze is not None else steps
    uniq, back = np.unique(k_sn, return_inverse=True)
    parts, d = _parts(sums, inv_n, inv_p, gamma, eta, batch, uniq, n_nodes, True)
    diag.update(d)
    for c in ("s", "n"):
        out["train_" + c][good] = parts["train_" + c][back]
        out["test_" + c][good] = parts["excess_" + c][back]
    diag["freeze_step"] = k_freeze
    # init: c^{2k} x (eta0 = eta / c, gamma = 0), when that problem exists and is within gradient
    # descent's stability edge (discrete.decay_free_rate)
    c = 1.0 - eta * gamma
    eta0 = decay_free_rate(eta, gamma)
    edge = diag["spectral_edge"]
    if gamma > 0.0 and eta0 * edge < 2.0 and stability(sums, inv_n, inv_p, 0.0, eta0, batch)[0]:
        gd0 = solve(
            sums,
            n_features=_size(inv_n),
            n_samples=_size(inv_p),
            weight_decay=0.0,
            times=eta0 * steps,
            learning_rate=eta0,
        )
        p0, _ = _parts(sums, inv_n, inv_p, 0.0, eta0, batch, steps, n_nodes, False)
        decay = np.exp(2.0 * steps * math.log(c))
        out["train_i"][good] = decay * p0["train_i"]
        out["test_i"][good] = decay * (p0["excess_i"] + gd0.init)
        init_gd_done = True
    else:
        part_i = parts if k_freeze is None else _parts(sums, inv_n, inv_p, gamma, eta, batch, steps, n_nodes, False)[0]
        idx = back if k_freeze is None else np.arange(steps.size)
        out["train_i"][good] = part_i["train_i"][idx]
        out["test_i"][good] = part_i["excess_i"][idx]
        init_gd_done = False
    out["test_s"][good] += gd.signal[good]
    out["test_n"][good] += gd.noise[good]
    if not init_gd_done:
        out["test_i"][good] += gd.init[good]
    return out, flags.astype(str), diag


def _size(inv: float) -> float:
    return math.inf if inv == 0.0 else 1.0 / inv

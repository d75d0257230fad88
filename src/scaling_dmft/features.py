"""The feature route to large data sets (docs/theory/data.md, section 8), and the Gaussianity
diagnostic of a data set's eigen-features (section 9).

A data set of n points is seen through D features phi(x): N random ReLU features (route
`relu_features`; their N -> inf limit is the relu_nngp kernel), or the Nystrom map of a kernel with m
landmarks (route `nystrom`; its limit m = n is the kernel itself). The model is the linear readout
f = phi(x) . w, whose kernel is K_D = Phi Phi^T; the population is the data set. With

    G = Phi^T Phi / n  (D x D),   h = Phi^T y / n,   G = U diag(lambda) U^T,

the nonzero eigenvalues of K_D / n are the lambda_k, and the target powers of data.py's convention
are c_k = (v_k . y)^2 / n = (u_k . h)^2 / lambda_k (v_k = Phi u_k / sqrt(n lambda_k)). The target
power outside the span of the features, |y|^2 / n - sum_k c_k, is learned by no readout: it is the
spectrum's `unlearnable` part. G and h are sums over the points, formed FEATURE_BLOCK points at a
time: O(n D^2) time and O(D^2 + FEATURE_BLOCK D) memory, whatever n.

Eigen-features (for the diagnostic): z_k(x) = phi(x) . u_k / sqrt(lambda_k), with mean square 1
over the data; on the dense route z_k(x_i) = sqrt(n) V_ik. The Gaussian theory takes them to be
independent Gaussians.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from .errors import InputError

# the routes from data to a spectrum: the dense n x n Gram, or D features streamed (this module)
ROUTES = ("dense", "relu_features", "nystrom")
FEATURE_ROUTES = ROUTES[1:]
# points per streamed block (memory: a few FEATURE_BLOCK x D arrays)
FEATURE_BLOCK = 2048
# the eigen-features the Gaussianity diagnostic looks at: the top DIAGNOSTIC_MODES modes (those
# learned at the small P of the trust study, P <= 32)
DIAGNOSTIC_MODES = 32

FeatureMap = Callable[[np.ndarray], np.ndarray]  # inputs (b x d) -> features (b x D)


def relu_feature_map(d: int, width: int, rng: np.random.Generator) -> FeatureMap:
    """phi_j(x) = relu(w_j . x) / sqrt(N), w_j ~ N(0, I/d), j = 1..N: one draw of the weights (the
    convention of data.relu_features, so that phi . phi' -> the relu_nngp kernel as N -> inf)."""
    if not (isinstance(width, (int, np.integer)) and width >= 1):
        raise InputError("--width", width, "an integer N >= 1")
    w = rng.standard_normal((d, int(width))) / math.sqrt(d)
    scale = 1.0 / math.sqrt(width)

    def phi(x: np.ndarray) -> np.ndarray:
        out = x @ w
        np.maximum(out, 0.0, out=out)
        out *= scale
        return out

    return phi


def nystrom_feature_map(
    x: np.ndarray, kernel: str, landmarks: int, rng: np.random.Generator, depth: int = 1
) -> FeatureMap:
    """The Nystrom map of `kernel` with m = `landmarks` points drawn from the data without
    replacement: phi(x) = k(x, L) Q diag(w)^-1/2 over the eigenpairs (w, Q) of k(L, L) inside its
    numerical range (w > RANGE_CUTOFF w_max), so that phi(x) . phi(x') = k(x, L) k(L, L)^+ k(L, x'):
    the kernel itself for x or x' a landmark, and for all pairs when m = n."""
    from .data import RANGE_CUTOFF, kernel_matrix

    n = x.shape[0]
    if not (isinstance(landmarks, (int, np.integer)) and 1 <= landmarks <= n):
        raise InputError("--width", landmarks, f"an integer 1 <= m <= n = {n} landmarks")
    anchors = x[np.sort(rng.choice(n, size=int(landmarks), replace=False))]
    w, q = sla.eigh(kernel_matrix(anchors, kernel, depth=depth), check_finite=False)
    keep = w > RANGE_CUTOFF * w[-1]
    transform = q[:, keep] / np.sqrt(w[keep])

    def phi(xb: np.ndarray) -> np.ndarray:
        return kernel_matrix(xb, kernel, anchors, depth=depth) @ transform

    return phi


def feature_map(
    route: str, x: np.ndarray, kernel: str, width: int, seed: np.random.SeedSequence, depth: int = 1
) -> FeatureMap:
    """The feature map of a route (`relu_features`: N = width ReLU features, the relu_nngp kernel at
    depth 1; `nystrom`: m = width landmarks of the kernel at its depth), drawn from `seed` (the same
    seed gives the same map)."""
    rng = np.random.default_rng(seed)
    if route == "relu_features":
        if kernel != "relu_nngp" or depth != 1:
            raise InputError(
                "--kernel", kernel, "relu_nngp at depth 1 with route relu_features (the features N -> inf limit)"
            )
        return relu_feature_map(x.shape[1], width, rng)
    if route == "nystrom":
        return nystrom_feature_map(x, kernel, width, rng, depth)
    raise InputError("--route", route, " | ".join(FEATURE_ROUTES))


@dataclass(frozen=True)
class FeatureSums:
    """What training the readout on the whole set depends on, summed over the n points: the metric
    G = Phi^T Phi / n, the cross vectors h = Phi^T ys / n (D x targets), the label powers
    |y_j|^2 / n, and the first two moments of the kernel diagonal |phi(x)|^2 (for norm_cv)."""

    metric: np.ndarray
    cross: np.ndarray
    label_power: np.ndarray
    n_points: int
    diag_mean: float
    diag_var: float


def stream(x: np.ndarray, ys: np.ndarray, phi: FeatureMap, block: int = FEATURE_BLOCK) -> FeatureSums:
    """G, h, |y|^2/n of features phi of the inputs x (n x d) and targets ys (n x targets), FEATURE_BLOCK
    points at a time (G by a symmetric rank-k update: n D^2 multiply-adds)."""
    from scipy.linalg.blas import dsyrk

    n = x.shape[0]
    g = None
    h = None
    diag_sum = diag_sq = 0.0
    for start in range(0, n, block):
        rows = slice(start, min(start + block, n))
        f = np.asarray(phi(x[rows]), dtype=np.float64)
        if g is None:
            g = np.zeros((f.shape[1], f.shape[1]), order="F")
            h = np.zeros((f.shape[1], ys.shape[1]))
        # f^T f added into the upper triangle of g (f in Fortran order: no copy)
        g = dsyrk(1.0, np.asfortranarray(f), beta=1.0, c=g, trans=1, lower=0, overwrite_c=1)
        h += f.T @ ys[rows]
        diag = np.einsum("ij,ij->i", f, f)
        diag_sum += float(diag.sum())
        diag_sq += float(diag @ diag)
    g = np.triu(g) + np.triu(g, 1).T
    mean = diag_sum / n
    return FeatureSums(g / n, h / n, np.sum(ys * ys, axis=0) / n, n, mean, max(diag_sq / n - mean * mean, 0.0))


def eigen(sums: FeatureSums) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(lambda_k, u_k, c_k, unlearnable) of the module docstring: modes inside the numerical range
    (lambda_k > RANGE_CUTOFF lambda_1), c_k averaged over the targets; `unlearnable` = the target
    power not on those modes (outside the features' span, or on modes below the range)."""
    from .data import RANGE_CUTOFF

    lam, u = sla.eigh(sums.metric, check_finite=False)
    lam, u = lam[::-1], u[:, ::-1]
    keep = lam > RANGE_CUTOFF * lam[0]
    lam, u = lam[keep], u[:, keep]
    power = np.mean((u.T @ sums.cross) ** 2, axis=1) / lam
    total = float(np.mean(sums.label_power))
    return lam, u, power, max(total - float(power.sum()), 0.0)


# ---------------------------------------------------------------- the Gaussianity diagnostic


class Moments:
    """Streamed moments of the standardised eigen-features z (points x r) of the top r modes: per mode
    E z^2, E z^4, and of the per-point sum t = sum_k z_k^2, E t and E t^2."""

    def __init__(self, r: int) -> None:
        self.count = 0
        self.m2 = np.zeros(r)
        self.m4 = np.zeros(r)
        self.t1 = 0.0
        self.t2 = 0.0

    def add(self, z: np.ndarray) -> None:
        sq = z * z
        self.count += z.shape[0]
        self.m2 += sq.sum(axis=0)
        self.m4 += (sq * sq).sum(axis=0)
        t = sq.sum(axis=1)
        self.t1 += float(t.sum())
        self.t2 += float(t @ t)

    def diagnostics(self, diag_mean: float, diag_var: float) -> dict[str, float]:
        """excess_kurtosis: the mean over the r modes of E z^4 / (E z^2)^2 - 3 (0 for Gaussians);
        scale_dependence: the mean over pairs k != l of Cov(z_k^2, z_l^2) / (E z_k^2 E z_l^2), from
        Var(t) - sum_k Var(z_k^2) (0 for independent features; a common per-point scale s with
        z_k = s g_k gives Var(s^2) / (E s^2)^2); norm_cv: the coefficient of variation of the kernel
        diagonal k(x, x) over the points."""
        n, r = self.count, self.m2.size
        m2, m4 = self.m2 / n, self.m4 / n
        kurtosis = m4 / (m2 * m2) - 3.0
        # t computed from z normalised per mode; rescale its moments the same way: use the normalised
        # fourth moments for the variances of z_k^2, and the pairwise sum from Var(t)
        var_t = self.t2 / n - (self.t1 / n) ** 2
        var_sq = m4 - m2 * m2
        pairs = (var_t - var_sq.sum()) / (r * (r - 1)) if r > 1 else math.nan
        return {
            "diag_modes": float(r),
            "excess_kurtosis": float(np.mean(kurtosis)),
            "scale_dependence": float(pairs / np.mean(m2) ** 2) if r > 1 else math.nan,
            "norm_cv": math.sqrt(diag_var) / diag_mean if diag_mean > 0 else math.nan,
        }


def dense_diagnostics(vectors: np.ndarray, kernel_diag: np.ndarray, modes: int = DIAGNOSTIC_MODES) -> dict[str, float]:
    """The diagnostic of the dense route: z_k = sqrt(n) v_k for the top `modes` unit eigenvectors v_k
    of K/n (columns of `vectors`, largest first); kernel_diag = k(x_i, x_i)."""
    n = vectors.shape[0]
    r = min(modes, vectors.shape[1])
    moments = Moments(r)
    moments.add(math.sqrt(n) * vectors[:, :r])
    return moments.diagnostics(float(kernel_diag.mean()), float(kernel_diag.var()))


def feature_diagnostics(
    x: np.ndarray,
    phi: FeatureMap,
    sums: FeatureSums,
    lam: np.ndarray,
    u: np.ndarray,
    modes: int = DIAGNOSTIC_MODES,
    block: int = FEATURE_BLOCK,
) -> dict[str, float]:
    """The diagnostic of a feature route: z_k = phi(x) . u_k / sqrt(lambda_k) over the top `modes`
    modes, streamed in a second pass (the eigenvectors are known only after the first)."""
    r = min(modes, lam.size)
    project = u[:, :r] / np.sqrt(lam[:r])
    moments = Moments(r)
    for start in range(0, x.shape[0], block):
        moments.add(phi(x[start : start + block]) @ project)
    return moments.diagnostics(sums.diag_mean, sums.diag_var)

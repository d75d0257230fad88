"""Divergent draws: the probability that a draw's training Hessian has an eigenvalue past the stability
edge (docs/theory/sgd.md, section 8).

The deterministic equivalent gives the spectrum of K_a at leading order; an isolated top mode lambda_i
(a power law's first modes) becomes, in a finite system, an outlier eigenvalue x_i that fluctuates by
O(1/sqrt(P) + 1/sqrt(N)) around its mean, while the theory's spectral edge sits at the top of a narrow
island. A draw whose x_i passes the optimizer's edge (2 (1 + mu) / eta - gamma for full batch, the root
of p(x) = 1 for SGD) diverges; the DMFT curve is that of the stable draws.

Outlier of mode i, from the spectrum without it (reduced sums D1 = sum_{j != i} lambda_j / (lambda_j + kappa),
D2 = sum lambda_j^2 / (lambda_j + kappa)^2, D1' = -sum lambda_j / (lambda_j + kappa)^2 at kappa = -lambda_i):

    feature layer:  g_i = lambda_i R_N,  R_N = 1 - D1 / N,  Var g_i = (2 lambda_i^2 / N) w_N',  w_N' = 1 - D2 / N
    sample layer:   x_i = g_i R_P,  R_P = 1 - D1 / P,  Var(x_i | g_i) = (2 g_i^2 / P) w_P',
                    w_P' = 1 - D1 / P + lambda_i R_N D1' / (P w_N')
    together:       Var x_i = w_P'^2 Var g_i + (2 g_i^2 / P) w_P'

(a spiked sample covariance: the outlier solves kappa_reduced(-x) = -lambda_i, and the quadratic forms
z^T (x - K_r)^{-1} z / P fluctuate with variance 2 tr(...)^2 / P^2). The mode is isolated (an outlier
exists) where w_N' > 0 and w_P' > 0. The quadratic forms are scaled chi-squares, right-skewed (skewness
2 sd / mean); each outlier is therefore taken Gamma-distributed with its mean and variance, which keeps
that skewness (a Gaussian has the same two moments and thinner right tails: 0.0059 instead of 0.0096
for the audit case, where 5000 draws give 0.0084 +- 0.0013). The probability that any isolated mode
passes x_c is 1 - prod_i P(x_i <= x_c).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammainc

from .kappa import ModeSums

# outliers are sought among the top modes of weight 1 (exact modes), at most this many
MAX_OUTLIERS = 8


def outliers(sums: ModeSums, inv_n: float, inv_p: float) -> list[tuple[float, float, float]]:
    """(lambda_i, mean x_i, standard deviation of x_i) of the isolated top modes, largest first."""
    order = np.argsort(-sums.lam)
    out = []
    for rank in range(min(MAX_OUTLIERS, order.size)):
        i = int(order[rank])
        if abs(sums.w0[i] - 1.0) > 1e-12:  # a quadrature node, not a single mode: no outlier from here on
            break
        lam_i = float(sums.lam[i])
        mask = np.ones(sums.lam.size, dtype=bool)
        mask[i] = False
        lam, wgt = sums.lam[mask], sums.w0[mask]
        gap = lam - lam_i
        if np.any(gap == 0.0):
            break
        d1 = float(np.sum(wgt * lam / gap))
        d2 = float(np.sum(wgt * lam * lam / (gap * gap)))
        d1p = -float(np.sum(wgt * lam / (gap * gap)))
        w_n = 1.0 - d2 * inv_n
        r_n = 1.0 - d1 * inv_n
        if not w_n > 0.0:
            break
        w_p = 1.0 - d1 * inv_p + lam_i * r_n * d1p * inv_p / w_n
        if not w_p > 0.0:
            break
        g = lam_i * r_n
        mean = g * (1.0 - d1 * inv_p)
        var = w_p * w_p * 2.0 * lam_i * lam_i * inv_n * w_n + 2.0 * g * g * inv_p * w_p
        out.append((lam_i, mean, math.sqrt(var)))
    return out


def unstable_probability(sums: ModeSums, inv_n: float, inv_p: float, x_edge: float) -> float:
    """P(some isolated outlier of K_a exceeds x_edge) at leading order (module docstring); 0 without outliers."""
    if not math.isfinite(x_edge):
        return 0.0
    stay = 1.0
    for _, mean, sd in outliers(sums, inv_n, inv_p):
        if sd > 0.0 and mean > 0.0:  # Gamma with shape (mean / sd)^2 and scale sd^2 / mean
            stay *= float(gammainc((mean / sd) ** 2, max(x_edge, 0.0) * mean / (sd * sd)))
    return 1.0 - stay

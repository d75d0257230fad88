"""Fixed Talbot contour (Abate-Valko), shared by all times of a window, and the 1-D / 2-D inverse Laplace sums.

Contour scaled to tau: nodes z_j = s_j / tau, j = 0..K-1 (the conjugate nodes j < 0 are implied):
    theta_j = j pi / K,  s_0 = 2K/5,  s_j = (2K/5) theta_j (cot theta_j + i),
    sigma_j = theta_j + (theta_j cot theta_j - 1) cot theta_j  (sigma_0 = 0),  s'(theta) = (2K/5) i (1 + i sigma).
The trapezoid rule in theta for f(t) = (1/2 pi i) int e^{zt} F(z) dz on this contour gives, for any t,
    f(t) = sum_{j=-(K-1)}^{K-1} W_j F(z_j),   W_j(t; tau) = (1 + i sigma_j) e^{s_j t/tau} / (5 tau),
         = Re(W_0 F_0) + 2 Re(sum_{j>0} W_j F_j)          (F(conj z) = conj F(z)).
tau = t is the classical fixed Talbot rule (r = 2K/(5t)).

Windows: every t uses the contour of tau = 2^n with 2^(n-1) < t <= 2^n, i.e. rho = t/tau in (1/2, 1]
(`window`). All times of a window share the nodes, so kappa(z), the mode sums and the transforms are
computed once per window instead of once per time, and the window of 2t is the next one (z_j/2 are
the nodes of window n+1). Accuracy over rho in (1/2, 1] at K = 20 (measured on sums of exponentials,
relative to the curve scale): 1-D <= 3e-12, 2-D <= 1e-11 -- the same as rho = 1 alone for the 2-D
sum (rho < 1 lowers its roundoff amplification e^{0.8 K rho}) and about 1e-13 -> 3e-12 for the 1-D sums.
2-D (equal times): f(t) = sum_{j,l} W_j W_l F(z_j, z_l), summed over rows j >= 0 against all
      2K-1 columns [z_0..z_{K-1}, conj z_1..conj z_{K-1}]: f = Re(row_0) + 2 Re(sum_{j>0} row_j).
Valid for transforms whose singularities lie on (-inf, 0] (docs/theory/dmft.md, "Numerical method").
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

DEFAULT_NODES = 20
# nodes whose weight |W_j| at the worst rho of a window (1/2) is below this fraction of the largest are
# dropped: their terms are below the roundoff of the sum (K = 20: j = 18, 19 with 1e-15.3, 1e-32.4; far out
# on the contour, next to the negative real axis, where they would only cost kappa continuation work)
NEGLIGIBLE = 1e-15
RHO_MIN = 0.5  # t / tau of a window lies in (RHO_MIN, 1]


@lru_cache(maxsize=16)
def _parts(n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """(s, d): the K Talbot points s_j (upper half plane, s_0 real) and d_j = 1 + i sigma_j."""
    k = int(n_nodes)
    if k < 4:
        raise ValueError("Talbot needs at least 4 nodes")
    theta = np.arange(k) * np.pi / k
    s = np.empty(k, dtype=np.complex128)
    sigma = np.zeros(k)
    s[0] = 2.0 * k / 5.0
    th = theta[1:]
    cot = 1.0 / np.tan(th)
    s[1:] = (2.0 * k / 5.0) * th * (cot + 1j)
    sigma[1:] = th + (th * cot - 1.0) * cot
    d = 1.0 + 1j * sigma
    s.flags.writeable = False
    d.flags.writeable = False
    return s, d


def talbot(n_nodes: int = DEFAULT_NODES) -> tuple[np.ndarray, np.ndarray]:
    """(s, c): the K Talbot points s_j and the classical factors c_j = (1 + i sigma_j) e^{s_j}."""
    s, d = _parts(n_nodes)
    return s, d * np.exp(s)


@lru_cache(maxsize=16)
def active(n_nodes: int = DEFAULT_NODES) -> int:
    """Number of leading nodes j = 0..K_eff-1 whose weight at rho = RHO_MIN is >= NEGLIGIBLE of the largest."""
    s, d = _parts(n_nodes)
    mag = np.abs(d * np.exp(RHO_MIN * s))
    return int(np.count_nonzero(mag >= NEGLIGIBLE * mag.max()))


def window(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, tau): window index n and tau = 2^n with 2^(n-1) < t <= 2^n (exact, via frexp)."""
    mant, expo = np.frexp(np.asarray(t, dtype=np.float64))  # t = mant 2^expo, mant in [1/2, 1)
    n = np.where(mant == 0.5, expo - 1, expo).astype(np.int64)
    return n, np.ldexp(1.0, n)


def weights(t: np.ndarray, n_nodes: int = DEFAULT_NODES, tau: np.ndarray | None = None) -> np.ndarray:
    """W_j(t; tau) = (1 + i sigma_j) e^{s_j t/tau} / (5 tau); tau = t by default; shape (T, K)."""
    s, d = _parts(n_nodes)
    t = np.asarray(t, dtype=np.float64)
    tau = t if tau is None else np.asarray(tau, dtype=np.float64)
    return d * np.exp(s * (t / tau)[..., None]) / (5.0 * tau)[..., None]


def invert_1d(
    values: np.ndarray,
    t: np.ndarray,
    n_nodes: int = DEFAULT_NODES,
    tau: np.ndarray | None = None,
    w: np.ndarray | None = None,
) -> np.ndarray:
    """f(t) from F(s_j / tau); values has shape (T, K') with K' <= K leading nodes (rows j >= 0 only).

    `w`: the weights W_j(t; tau) if already computed (then t, n_nodes and tau are not used)."""
    w = (weights(t, n_nodes, tau) if w is None else w)[..., : values.shape[-1]]
    prod = w * values
    return prod[..., 0].real + 2.0 * prod[..., 1:].sum(axis=-1).real


def invert_2d(
    values: np.ndarray,
    t: np.ndarray,
    n_nodes: int = DEFAULT_NODES,
    tau: np.ndarray | None = None,
    w: np.ndarray | None = None,
) -> np.ndarray:
    """f(t, t) from F(z_j, z_l), z = s/tau; values (T, K', 2K'-1): rows j >= 0, columns [z_0..z_{K'-1}, conj z_1..]."""
    w = (weights(t, n_nodes, tau) if w is None else w)[..., : values.shape[-2]]
    wcol = np.concatenate([w, np.conj(w[..., 1:])], axis=-1)
    rows = w * np.einsum("...jl,...l->...j", values, wcol)
    return rows[..., 0].real + 2.0 * rows[..., 1:].sum(axis=-1).real

"""Fixed Talbot contour (Abate-Valko) and the 1-D / 2-D inverse Laplace sums.

Nodes for time t are z_j = s_j / t, j = 0..K-1 (the conjugate nodes j < 0 are implied):
    theta_j = j pi / K,  s_0 = 2K/5,  s_j = (2K/5) theta_j (cot theta_j + i),
    sigma_j = theta_j + (theta_j cot theta_j - 1) cot theta_j  (sigma_0 = 0),
    c_j = (1 + i sigma_j) e^{s_j},  r = 2K/(5t),  W_j = r c_j / (2K).
1-D:  f(t) = sum_{j=-(K-1)}^{K-1} W_j F(z_j) = Re(W_0 F_0) + 2 Re(sum_{j>0} W_j F_j)
      (F(conj z) = conj F(z)), i.e. (r/K)[c_0 F_0/2 + sum_{j>=1} Re(c_j F_j)].
2-D (equal times): f(t) = sum_{j,l} W_j W_l F(z_j, z_l), summed over rows j >= 0 against all
      2K-1 columns [z_0..z_{K-1}, conj z_1..conj z_{K-1}]: f = Re(row_0) + 2 Re(sum_{j>0} row_j).
Valid for transforms whose singularities lie on (-inf, 0] (gradient-flow.md section 4, item 1).
The 2-D sum amplifies roundoff by about e^{0.8 K} (9e6 at K = 20), hence the absolute accuracy
~1e-13 of the curve scale quoted in the package docstring.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

DEFAULT_NODES = 20
# nodes whose |c_j| is below this fraction of max |c_j| are dropped: their terms are below 1e-19 of the
# sum at double precision (K = 20: j = 17, 18, 19 with |c_j|/max = 1e-20.5, 1e-32, 1e-67; far out on the
# contour, next to the negative real axis, where they would only cost kappa continuation work)
NEGLIGIBLE = 1e-19


@lru_cache(maxsize=16)
def talbot(n_nodes: int = DEFAULT_NODES) -> tuple[np.ndarray, np.ndarray]:
    """(s, c): the K complex Talbot points s_j (upper half plane, s_0 real) and factors c_j."""
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
    c = (1.0 + 1j * sigma) * np.exp(s)
    s.flags.writeable = False
    c.flags.writeable = False
    return s, c


def active(n_nodes: int = DEFAULT_NODES) -> int:
    """Number of leading nodes j = 0..K_eff-1 with |c_j| >= NEGLIGIBLE max|c|."""
    _, c = talbot(n_nodes)
    mag = np.abs(c)
    return int(np.count_nonzero(mag >= NEGLIGIBLE * mag.max()))


def weights(t: np.ndarray, n_nodes: int = DEFAULT_NODES) -> np.ndarray:
    """W_j(t) = r c_j / (2K), r = 2K/(5t); shape (T, K)."""
    _, c = talbot(n_nodes)
    t = np.asarray(t, dtype=np.float64)
    r = 2.0 * n_nodes / (5.0 * t)
    return (r / (2.0 * n_nodes))[..., None] * c


def invert_1d(values: np.ndarray, t: np.ndarray, n_nodes: int = DEFAULT_NODES) -> np.ndarray:
    """f(t) from F(s_j / t); values has shape (T, K') with K' <= K leading nodes (rows j >= 0 only)."""
    w = weights(t, n_nodes)[..., : values.shape[-1]]
    prod = w * values
    return prod[..., 0].real + 2.0 * prod[..., 1:].sum(axis=-1).real


def invert_2d(values: np.ndarray, t: np.ndarray, n_nodes: int = DEFAULT_NODES) -> np.ndarray:
    """f(t, t) from F(z_j, z_l); values (T, K', 2K'-1): rows j >= 0, columns [z_0..z_{K'-1}, conj z_1..]."""
    w = weights(t, n_nodes)[..., : values.shape[-2]]
    wcol = np.concatenate([w, np.conj(w[..., 1:])], axis=-1)
    rows = w * np.einsum("...jl,...l->...j", values, wcol)
    return rows[..., 0].real + 2.0 * rows[..., 1:].sum(axis=-1).real

"""Kernels of infinitely wide fully connected networks: NNGP and NTK of depth L, for ReLU and erf
(docs/theory/kernels.md, whose section numbers the comments cite).

The network (NTK parameterisation, all parameters N(0, 1) at initialisation), inputs x in R^d,
L = `depth` hidden layers of widths N_1..N_L, scalar output f = h^{L+1}:

    h^1 = sigma_w W^1 x / sqrt(d) + sigma_b b^1,
    h^{l+1} = sigma_w W^{l+1} phi(h^l) / sqrt(N_l) + sigma_b b^{l+1},   l = 1..L.

As all N_l -> inf (section 2), h^l is a centred Gaussian process with covariance Sigma^l and the
tangent kernel (gradient inner product over every weight and bias) tends to Theta^{L+1}:

    Sigma^1(x, x') = sigma_w^2 x.x'/d + sigma_b^2,                          Theta^1 = Sigma^1,
    Sigma^{l+1} = sigma_w^2 E[phi(u) phi(v)] + sigma_b^2,
    Sigma_dot^{l+1} = sigma_w^2 E[phi'(u) phi'(v)],     (u, v) ~ N(0, Sigma^l on {x, x'}),
    Theta^{l+1} = Sigma^{l+1} + Theta^l Sigma_dot^{l+1}.

The NNGP kernel is Sigma^{L+1}, the NTK Theta^{L+1}. The Gaussian expectations are closed forms
(section 3): for ReLU the arc-cosine kernels of order 1 and 0 (Cho & Saul 2009), for erf the
arcsine formula (Williams 1997). `relu_nngp` at depth 1 with the default sigma_w^2 = 1,
sigma_b^2 = 0 is the project's original ReLU kernel E_w[relu(w.x) relu(w.x')], w ~ N(0, I/d).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import special

from .errors import InputError
from .schema import number_range

# the kernels of a network with `depth` hidden layers, (activation, which kernel)
NETWORK_KERNELS = {
    "relu_nngp": ("relu", "nngp"),
    "relu_ntk": ("relu", "ntk"),
    "erf_nngp": ("erf", "nngp"),
    "erf_ntk": ("erf", "ntk"),
}
# every kernel a data set may be given; linear and rbf are not network kernels and have no depth
KERNELS = (*NETWORK_KERNELS, "linear", "rbf")
# kernels with a finite-width random feature map (the last hidden layer of a random network of width
# N): the NNGP kernels. An NTK's features are the gradients of all weights, not a feature layer.
FEATURE_KERNELS = ("relu_nngp", "erf_nngp")
# the allowed number of hidden layers (config `data.<name>.depth`, CLI `--depth`)
DEPTH = number_range("depth", "depth")


def check_kernel(kernel: str, depth: object, *, kernel_key: str = "--kernel", depth_key: str = "--depth") -> int:
    """The depth as an int, after checking the kernel's name and that the depth is in range and means
    something (linear and rbf have no hidden layers: depth 1 only, the default). One check for the
    config and the CLI."""
    if kernel not in KERNELS:
        raise InputError(kernel_key, kernel, " | ".join(KERNELS))
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or not DEPTH.contains(depth):
        raise InputError(depth_key, depth, f"an integer {DEPTH.text} (hidden layers)")
    if kernel not in NETWORK_KERNELS and depth != 1:
        raise InputError(
            depth_key,
            depth,
            "1 with kernel " + kernel + " (depth counts the hidden layers of " + ", ".join(NETWORK_KERNELS) + ")",
        )
    return int(depth)


# ---------------------------------------------------------------- Gaussian expectations (section 3)


def relu_moments(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(E[relu(u) relu(v)], E[step(u) step(v)]) for (u, v) ~ N(0, [[a, c], [c, b]]), a, b > 0:
    sqrt(ab) (sin th + (pi - th) cos th) / (2 pi) and (pi - th) / (2 pi), th = arccos(c / sqrt(ab)).
    a and b broadcast against c (a column and a row for a matrix of pairs). The first is written as
    data.kernel_matrix wrote the ReLU kernel before depth existed (the same floating-point numbers)."""
    norm = np.sqrt(a) * np.sqrt(b)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where(norm > 0, c / norm, 1.0)
    theta = np.arccos(np.clip(cos, -1.0, 1.0))
    rest = math.pi - theta
    return norm * (np.sin(theta) + rest * np.cos(theta)) / (2.0 * math.pi), rest / (2.0 * math.pi)


def relu_diagonal_moments(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """relu_moments at u = v (c = a, th = 0): (a / 2, 1 / 2), exactly."""
    return a / 2.0, np.full_like(a, 0.5)


def erf_moments(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(E[erf(u) erf(v)], E[erf'(u) erf'(v)]) for (u, v) ~ N(0, [[a, c], [c, b]]):
    (2/pi) arcsin(2c / sqrt((1 + 2a)(1 + 2b))) and (4/pi) / sqrt((1 + 2a)(1 + 2b) - 4c^2).
    The second determinant is >= 1 + 2a + 2b > 0 (c^2 <= ab)."""
    s = (1.0 + 2.0 * a) * (1.0 + 2.0 * b)
    return (2.0 / math.pi) * np.arcsin(np.clip(2.0 * c / np.sqrt(s), -1.0, 1.0)), (4.0 / math.pi) / np.sqrt(
        s - 4.0 * c * c
    )


def erf_diagonal_moments(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """erf_moments at u = v (c = a): ((2/pi) arcsin(2a / (1 + 2a)), (4/pi) / sqrt(1 + 4a))."""
    return (2.0 / math.pi) * np.arcsin(2.0 * a / (1.0 + 2.0 * a)), (4.0 / math.pi) / np.sqrt(1.0 + 4.0 * a)


MOMENTS = {"relu": relu_moments, "erf": erf_moments}
DIAGONAL_MOMENTS = {"relu": relu_diagonal_moments, "erf": erf_diagonal_moments}


# ---------------------------------------------------------------- the recursions (section 2)


def _check_variances(weight_variance: float, bias_variance: float) -> None:
    if not (math.isfinite(weight_variance) and weight_variance > 0):
        raise InputError("weight_variance", weight_variance, "a finite number > 0")
    if not (math.isfinite(bias_variance) and bias_variance >= 0):
        raise InputError("bias_variance", bias_variance, "a finite number >= 0")


# rows of the n x m pair matrices carried through all layers at a time (the temporaries of the
# recursion are ROW_BLOCK x m; the results are the only n x m arrays)
ROW_BLOCK = 256


def layer_kernels(
    x: np.ndarray,
    x2: np.ndarray | None = None,
    *,
    activation: str,
    depth: int,
    weight_variance: float = 1.0,
    bias_variance: float = 0.0,
    ntk: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """(Sigma^{L+1}(x_i, x2_j), Theta^{L+1}(x_i, x2_j)) of a network with L = `depth` hidden layers
    (module docstring), for inputs x (n x d) and x2 (m x d; default x). `ntk=False` skips Theta
    (returned as None). The pair recursion is elementwise given each layer's variances, so it runs
    ROW_BLOCK rows at a time through all layers. Memory: the one (NNGP) or two (NTK) n x m results
    and ROW_BLOCK x m temporaries."""
    if activation not in MOMENTS:
        raise InputError("activation", activation, " | ".join(MOMENTS))
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
        raise InputError("depth", depth, "an integer >= 1")
    _check_variances(weight_variance, bias_variance)
    moments, on_diagonal = MOMENTS[activation], DIAGONAL_MOMENTS[activation]
    same = x2 is None
    x2 = x if same else x2
    d = x.shape[1]
    sw, sb = float(weight_variance), float(bias_variance)
    # the variances Sigma^l(x, x) of every layer l = 1..L, of x and of x2 (the a, b of each pair), and
    # the exact step moment at u = v per layer
    diag = [np.einsum("ij,ij->i", x, x) / d * sw + sb]
    diag2 = diag if same else [np.einsum("ij,ij->i", x2, x2) / d * sw + sb]
    step_diag = []
    for layer in range(int(depth) - 1):
        phi_phi, dphi_dphi = on_diagonal(diag[layer])
        diag.append(sw * phi_phi + sb)
        step_diag.append(dphi_dphi)
        if not same:
            diag2.append(sw * on_diagonal(diag2[layer])[0] + sb)
    step_diag.append(on_diagonal(diag[-1])[1])
    # layer 1 on the pairs, written in place as data.kernel_matrix wrote x x'^T / d before depth
    # existed (the same floating-point numbers)
    cross = x @ x2.T
    cross /= d
    cross *= sw
    cross += sb
    theta = np.empty_like(cross) if ntk else None
    for start in range(0, x.shape[0], ROW_BLOCK):
        rows = slice(start, min(start + ROW_BLOCK, x.shape[0]))
        pairs = cross[rows]
        kernel = pairs.copy() if ntk else None  # Theta^1 = Sigma^1
        for layer in range(int(depth)):
            phi_phi, dphi_dphi = moments(diag[layer][rows, None], diag2[layer][None, :], pairs)
            if ntk:
                if same:
                    # x with itself: th = 0 exactly. From x x^T the cosine may round to 1 - 1e-16, an
                    # angle of 1.5e-8, and the step moment (pi - th)/(2 pi) is first order in th (the
                    # other moments second order)
                    local = np.arange(rows.stop - rows.start)
                    dphi_dphi[local, local + start] = step_diag[layer][rows]
                kernel *= sw * dphi_dphi  # Theta^{l+1} = Sigma^{l+1} + Theta^l Sigma_dot^{l+1}
            pairs = sw * phi_phi + sb
            if ntk:
                kernel += pairs
        cross[rows] = pairs
        if ntk:
            theta[rows] = kernel
    return cross, theta


def network_kernel(
    x: np.ndarray,
    kernel: str,
    depth: int = 1,
    x2: np.ndarray | None = None,
    *,
    weight_variance: float = 1.0,
    bias_variance: float = 0.0,
) -> np.ndarray:
    """The Gram matrix k(x_i, x2_j) of one of NETWORK_KERNELS at `depth` hidden layers."""
    if kernel not in NETWORK_KERNELS:
        raise InputError("--kernel", kernel, " | ".join(NETWORK_KERNELS))
    activation, which = NETWORK_KERNELS[kernel]
    nngp, ntk = layer_kernels(
        x,
        x2,
        activation=activation,
        depth=depth,
        weight_variance=weight_variance,
        bias_variance=bias_variance,
        ntk=which == "ntk",
    )
    return ntk if which == "ntk" else nngp


def network_kernel_diagonal(
    x: np.ndarray, kernel: str, depth: int = 1, *, weight_variance: float = 1.0, bias_variance: float = 0.0
) -> np.ndarray:
    """k(x_i, x_i) of one of NETWORK_KERNELS: the recursion on the diagonal alone (O(n L) after |x|^2)."""
    if kernel not in NETWORK_KERNELS:
        raise InputError("--kernel", kernel, " | ".join(NETWORK_KERNELS))
    _check_variances(weight_variance, bias_variance)
    activation, which = NETWORK_KERNELS[kernel]
    on_diagonal = DIAGONAL_MOMENTS[activation]
    sw, sb = float(weight_variance), float(bias_variance)
    diag = np.einsum("ij,ij->i", x, x) / x.shape[1] * sw + sb
    theta = diag.copy()
    for _ in range(int(depth)):
        phi_phi, dphi_dphi = on_diagonal(diag)
        diag = sw * phi_phi + sb
        theta = diag + theta * sw * dphi_dphi
    return theta if which == "ntk" else diag


# ---------------------------------------------------------------- finite width: random features (section 5)

ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"relu": lambda h: np.maximum(h, 0.0), "erf": special.erf}


def random_features(
    x: np.ndarray,
    kernel: str,
    depth: int,
    width: int,
    rng: np.random.Generator,
    *,
    weight_variance: float = 1.0,
    bias_variance: float = 0.0,
) -> np.ndarray:
    """The last hidden layer of one random network of `depth` hidden layers, all of width N = `width`,
    as features Phi (n x N) with Phi Phi^T = sigma_w^2 phi(h^L) phi(h^L)^T / N (+ sigma_b^2 through
    one more, constant column sigma_b when sigma_b > 0): the network's output covariance given its
    hidden layers, whose mean over networks tends to the NNGP kernel as N -> inf (at depth 1 it is
    the NNGP kernel for every N: exact in the mean). Weights are drawn layer by layer from `rng`,
    each layer's weights before its biases; at depth 1 with the default variances the draws and
    arithmetic are those of data.relu_features (same numbers)."""
    if kernel not in FEATURE_KERNELS:
        raise InputError("--kernel", kernel, " | ".join(FEATURE_KERNELS) + " (kernels with a random feature map)")
    if not (isinstance(width, (int, np.integer)) and width >= 1):
        raise InputError("n_features", width, "an integer N >= 1")
    _check_variances(weight_variance, bias_variance)
    act = ACTIVATIONS[NETWORK_KERNELS[kernel][0]]
    sigma_w, sigma_b = math.sqrt(weight_variance), math.sqrt(bias_variance)
    h = x
    for _ in range(int(depth)):
        w = rng.standard_normal((h.shape[1], int(width))) / math.sqrt(h.shape[1])
        h = h @ w
        if sigma_w != 1.0:
            h *= sigma_w
        if sigma_b > 0:
            h += sigma_b * rng.standard_normal(int(width))
        h = act(h)
    phi = h / math.sqrt(width)
    if sigma_w != 1.0:
        phi *= sigma_w
    if sigma_b > 0:
        phi = np.hstack([phi, np.full((phi.shape[0], 1), sigma_b)])
    return phi

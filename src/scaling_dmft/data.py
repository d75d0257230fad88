"""Spectra from data, and training on the data itself (docs/theory/data.md).

Convention (the population is the empirical distribution of the n data points):

    K_ij = k(x_i, x_j),   K / n = V diag(lambda) V^T   (unit-norm eigenvectors v_k),
    lambda_k = the eigenvalues of K / n,   c_k = (v_k . y)^2 / n,

with no rescaling, so that a weight decay and a time mean the same for a spectrum from data as for
a power-law spectrum. sum_k c_k = |y|^2 / n is the error of the zero predictor. Multi-class labels
are one-vs-rest +-1 targets, one per class; c_k is their average over classes. Modes with
lambda_k <= RANGE_CUTOFF lambda_max are outside the kernel's numerical range: their target power
(`unlearnable`) is learned by no method and is reported apart.

Training on the data (kernel limit, N = inf): P points drawn without replacement, gradient flow on
the mean loss with weight decay gamma from zero,

    a(t) = (K_PP / P + gamma)^-1 (1 - exp(-(K_PP / P + gamma) t)) y_P / P,   f(x) = K(x, X_P) a(t),

whose t = inf limit is kernel ridge regression with ridge P gamma; its error on the whole set,
E(t) = mean_i (f(x_i) - y_i)^2, is the data's counterpart of E_g.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import scipy.linalg as sla

from .errors import InputError
from .kernels import KERNELS, NETWORK_KERNELS, feature_draw, network_kernel, network_kernel_diagonal
from .simulate import SimComponents, _check_times_gammas, _components, _decay, _phi, _spectral, seed_generator

if TYPE_CHECKING:
    import pandas as pd

# example data sets shipped inside scikit-learn (no download): name -> (its loader in
# sklearn.datasets, its number of points n)
DATASETS = {"digits": ("load_digits", 1797), "breast_cancer": ("load_breast_cancer", 569)}
# eigenvalues of K / n below this fraction of the largest are outside the numerical range of K
RANGE_CUTOFF = 1e-12


def load_data(path: str | Path, labels: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) from a .npz (arrays X and y), a .npy (X; labels from `labels`) or a Parquet / CSV table
    (label column `y`, every other column a feature; or labels from `labels`)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("--data", str(path), "an existing .npz, .npy, .parquet or .csv file")
    suffix = path.suffix.lower()
    y = None
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            if "X" not in archive:
                raise InputError("--data", str(path), "a .npz with arrays X (n x d) and y (n)")
            x = archive["X"]
            y = archive["y"] if "y" in archive.files else None
    elif suffix == ".npy":
        x = np.load(path, allow_pickle=False)
    elif suffix in (".parquet", ".csv"):
        import pandas as pd

        frame = pd.read_parquet(path) if suffix == ".parquet" else pd.read_csv(path)
        if "y" in frame.columns:
            y = frame.pop("y").to_numpy()
        x = frame.to_numpy(dtype=np.float64)
    else:
        raise InputError("--data", str(path), "a .npz, .npy, .parquet or .csv file")
    if labels is not None:
        y = np.load(labels, allow_pickle=False)
    if y is None:
        raise InputError("--labels", None, "a .npy of n labels (the data file has none)")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or not np.all(np.isfinite(x)):
        raise InputError("--data", str(path), "a finite n x d array of inputs with n >= 2")
    return x, check_labels(y, x.shape[0])


def load_dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) of an example data set bundled with scikit-learn (the optional extra `data`, which
    `make setup` installs): digits (n = 1797, d = 64, 10 classes) or breast_cancer (n = 569,
    d = 30, 2 classes)."""
    if name not in DATASETS:
        raise InputError("--dataset", name, " | ".join(DATASETS))
    try:
        import sklearn.datasets
    except ImportError:
        raise InputError(
            "--dataset", name, "scikit-learn installed (pip install '.[data]'; make setup installs it)"
        ) from None
    bunch = getattr(sklearn.datasets, DATASETS[name][0])()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target)


def count_points(entry: dict) -> int:
    """n, the number of points of a `data:` entry (its file is read: the label check comes with it)."""
    if "dataset" in entry:
        return DATASETS[entry["dataset"]][1]
    return load_data(entry["file"], entry.get("labels"))[0].shape[0]


def check_labels(y: npt.ArrayLike, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise InputError("--labels", f"shape {y.shape}", f"a 1-D array of {n} labels (one per data point)")
    if y.dtype.kind in "fc" and not np.all(np.isfinite(y)):
        raise InputError("--labels", "non-finite values", "finite labels")
    return y


def targets(y: np.ndarray) -> np.ndarray:
    """The regression targets (n x classes): one-vs-rest +-1 for integer / string labels with more
    than two classes, one +-1 column for two classes, the values themselves for float labels."""
    if y.dtype.kind == "f" and not np.all(y == np.round(y)):
        return y.astype(np.float64)[:, None]
    classes = np.unique(y)
    if classes.size < 2:
        raise InputError("--labels", f"{classes.size} class", "at least two classes (or real-valued labels)")
    if classes.size == 2:
        return np.where(y == classes[1], 1.0, -1.0)[:, None]
    return np.where(y[:, None] == classes[None, :], 1.0, -1.0)


def standardise(x: np.ndarray) -> np.ndarray:
    """Zero mean and unit variance per input feature; constant features are dropped."""
    std = x.std(axis=0)
    keep = std > 0
    return (x[:, keep] - x[:, keep].mean(axis=0)) / std[keep]


def to_sphere(x: np.ndarray) -> np.ndarray:
    """Every input rescaled to |x| = sqrt(d). A homogeneous kernel (relu_nngp, linear) multiplies all
    eigen-features of a point by its norm; a spread of norms is a dependence between the features
    that the Gaussian theory does not have (docs/theory/data.md, "Why standardised digits deviate")."""
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise InputError("sphere", True, "inputs with non-zero norm (a zero input has no direction)")
    return x * (math.sqrt(x.shape[1]) / norms)


def kernel_matrix(x: np.ndarray, kernel: str, x2: np.ndarray | None = None, *, depth: int = 1) -> np.ndarray:
    """K_ij = k(x_i, x2_j) for inputs x (n x d) and x2 (m x d; default x):
    linear     x . x' / d
    relu_nngp  E_w[relu(w . x) relu(w . x')], w ~ N(0, I/d): |x||x'| (sin th + (pi - th) cos th) / (2 pi d)
               (depth 1); relu_ntk, erf_nngp, erf_ntk and depth L > 1: scaling_dmft.kernels
    rbf        exp(-|x - x'|^2 / (2 d))
    """
    if kernel not in KERNELS:
        raise InputError("--kernel", kernel, " | ".join(KERNELS))
    if kernel in NETWORK_KERNELS:
        return network_kernel(x, kernel, depth, x2)
    x2 = x if x2 is None else x2
    d = x.shape[1]
    gram = x @ x2.T / d
    if kernel == "linear":
        return gram
    sq, sq2 = np.einsum("ij,ij->i", x, x) / d, np.einsum("ij,ij->i", x2, x2) / d
    return np.exp(-np.maximum(sq[:, None] + sq2[None, :] - 2.0 * gram, 0.0) / 2.0)


def kernel_diagonal(x: np.ndarray, kernel: str, *, depth: int = 1) -> np.ndarray:
    """k(x_i, x_i): |x|^2 / d (linear), 1 (rbf), the network kernels' diagonal recursion (relu_nngp
    at depth 1: |x|^2 / (2 d))."""
    if kernel in NETWORK_KERNELS:
        return network_kernel_diagonal(x, kernel, depth)
    sq = np.einsum("ij,ij->i", x, x) / x.shape[1]
    return {"linear": sq, "rbf": np.ones_like(sq)}[kernel]


def relu_feature_gram(x: np.ndarray, n_features: int, rng: np.random.Generator) -> np.ndarray:
    """Phi Phi^T / N for N random ReLU features phi_j(x) = relu(w_j . x), w_j ~ N(0, I/d): the Gram
    matrix of a finite ReLU network's last layer on the inputs x (n x d); its N -> inf limit is the
    `relu_nngp` kernel. Gradient flow on the readout depends on the features only through this
    matrix, so `train_kernel` on it trains the N-feature network."""
    if not (isinstance(n_features, (int, np.integer)) and n_features >= 1):
        raise InputError("n_features", n_features, "an integer N >= 1")
    w = rng.standard_normal((x.shape[1], int(n_features))) / math.sqrt(x.shape[1])
    phi = np.maximum(x @ w, 0.0)
    return phi @ phi.T / n_features


@dataclass(frozen=True)
class EmpiricalSpectrum:
    eigenvalues: np.ndarray  # lambda_k of K / n, non-increasing, inside the numerical range
    target_power: np.ndarray  # c_k, averaged over the one-vs-rest targets
    unlearnable: float  # target power outside the numerical range of K
    n_points: int
    n_targets: int


def _operator_eigen(gram: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eigenvalues (non-increasing) and unit eigenvectors of K / n, and the mask of the modes inside
    the numerical range (lambda_k > RANGE_CUTOFF lambda_max)."""
    lam, vec = sla.eigh(np.asarray(gram, dtype=np.float64) / gram.shape[0], check_finite=False)
    lam, vec = lam[::-1], vec[:, ::-1]
    return lam, vec, lam > RANGE_CUTOFF * lam[0]


def empirical_spectrum(gram: np.ndarray, y: np.ndarray) -> EmpiricalSpectrum:
    """lambda_k, c_k of the convention in the module docstring, from a Gram matrix and labels."""
    gram = np.asarray(gram, dtype=np.float64)
    n = gram.shape[0]
    if gram.ndim != 2 or gram.shape != (n, n) or n < 2 or not np.all(np.isfinite(gram)):
        raise InputError("--gram", f"shape {gram.shape}", "a finite square n x n Gram matrix, n >= 2")
    if not np.allclose(gram, gram.T, rtol=1e-10, atol=1e-12 * np.abs(gram).max()):
        raise InputError("--gram", "not symmetric", "a symmetric positive semi-definite Gram matrix")
    ys = targets(check_labels(y, n))
    lam, vec, keep = _operator_eigen(gram)
    if lam[-1] < -1e-8 * lam[0]:
        raise InputError("--gram", f"eigenvalue {lam[-1]:.3g}", "a positive semi-definite Gram matrix")
    power = np.mean((vec.T @ ys) ** 2, axis=1) / n
    return EmpiricalSpectrum(lam[keep], power[keep], float(power[~keep].sum()), n, ys.shape[1])


# blocks of rows of K formed at a time by `top_spectrum` (memory: ROW_BLOCK x n floats)
ROW_BLOCK = 512


def top_spectrum(
    x: np.ndarray,
    y: np.ndarray,
    kernel: str,
    modes: int,
    *,
    oversample: int = 40,
    power_iterations: int = 2,
    seed: int = 0,
    depth: int = 1,
) -> tuple[EmpiricalSpectrum, int]:
    """The spectrum of a data set too large for a dense eigendecomposition: the top `modes` of K/n by
    a randomised eigensolver, then a power-law tail over the remaining n - modes modes.

    Top modes: the randomised range finder with `power_iterations` subspace iterations (Halko,
    Martinsson & Tropp 2011, algorithms 4.4 and 5.3) on K/n, whose rows are formed ROW_BLOCK at a time
    and never stored (memory O(n (modes + oversample))). Tail: two sums are known exactly, tr(K)/n =
    sum_k lambda_k (the kernel's diagonal) and |y|^2/n = sum_k c_k; the tail eigenvalues continue the
    last computed one as lambda_r (k/r)^-a with the one exponent a that gives the exact trace, and the
    tail target power (the exact remainder) is spread over them as k^-b, b the exponent of the
    tail-sum fit of the computed c_k (data.fitted_exponents, beta - 1 + 1). Returns the spectrum and
    the number of computed modes r (the first r rows are exact up to the solver's accuracy)."""
    n = x.shape[0]
    if not (isinstance(modes, (int, np.integer)) and 8 <= modes < n):
        raise InputError("--modes", modes, f"an integer 8 <= modes < n = {n}")
    ys = targets(check_labels(y, n))
    width = min(int(modes) + int(oversample), n)
    rng = np.random.default_rng(seed)

    def apply(block: np.ndarray) -> np.ndarray:  # (K / n) @ block, K formed by row blocks
        out = np.empty_like(block)
        for start in range(0, n, ROW_BLOCK):
            rows = slice(start, min(start + ROW_BLOCK, n))
            out[rows] = kernel_matrix(x[rows], kernel, x, depth=depth) @ block
        return out / n

    q = sla.qr(apply(rng.standard_normal((n, width))), mode="economic", check_finite=False)[0]
    for _ in range(power_iterations):
        q = sla.qr(apply(q), mode="economic", check_finite=False)[0]
    kq = apply(q)
    lam, w = sla.eigh(q.T @ kq, check_finite=False)
    lam, vec = lam[::-1][:modes], (q @ w[:, ::-1])[:, :modes]
    power = np.mean((vec.T @ ys) ** 2, axis=1) / n
    top = EmpiricalSpectrum(lam, power, 0.0, n, ys.shape[1])
    trace = float(kernel_diagonal(x, kernel, depth=depth).sum()) / n
    total = float(np.mean(np.sum(ys**2, axis=0))) / n
    k_tail = np.arange(modes + 1, n + 1, dtype=np.float64) / modes
    tail_eig = trace - lam.sum()
    if not 0 < tail_eig < lam[-1] * k_tail.size:
        raise InputError("--modes", modes, "more modes: the tail left by these is not a decreasing continuation")
    exponent = _decreasing_root(lambda a: lam[-1] * np.sum(k_tail**-a) - tail_eig)
    tail_lam = lam[-1] * k_tail**-exponent
    b = fitted_exponents(top)["beta"]["value"]
    shape = k_tail ** -max(b, 1.0 + 1e-9)
    tail_power = max(total - power.sum(), 0.0) * shape / shape.sum()
    return EmpiricalSpectrum(
        np.concatenate([lam, tail_lam]), np.concatenate([power, tail_power]), 0.0, n, ys.shape[1]
    ), int(modes)


def _decreasing_root(f: Callable[[float], float]) -> float:
    """The root of a decreasing f on (0, 60] (the tail exponent; f(0) > 0 is checked by the caller)."""
    from scipy.optimize import brentq

    high = 60.0
    return float(brentq(f, 0.0, high, xtol=1e-12)) if f(high) < 0 else high


def feature_matrix(gram: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(psi, lambda): the empirical eigen-features psi (n x r), psi_k(x_i) = sqrt(n) V_ik sqrt(lambda_k),
    so that psi psi^T = K (on the numerical range) and the mean of psi psi^T over the n points is
    diag(lambda): the data as the model of docs/theory/model.md with M = r modes."""
    lam, vec, keep = _operator_eigen(gram)
    return math.sqrt(gram.shape[0]) * vec[:, keep] * np.sqrt(lam[keep]), lam[keep]


def train_kernel(
    gram: np.ndarray,
    y: np.ndarray,
    *,
    n_samples: int,
    weight_decay: float,
    times: npt.ArrayLike,
    rng: np.random.Generator,
) -> np.ndarray:
    """Error on the whole set, averaged over the one-vs-rest targets, of kernel gradient flow on one
    subset of `n_samples` points drawn without replacement (module docstring), at `times`
    (t = inf allowed: kernel ridge regression with ridge P gamma; at gamma = 0 the minimum-norm
    interpolant)."""
    gram = np.asarray(gram, dtype=np.float64)
    n = gram.shape[0]
    p = int(n_samples)
    if not 1 <= p <= n:
        raise InputError("n_samples", n_samples, f"an integer 1 <= P <= n = {n}")
    ys = targets(check_labels(y, n))
    ts = np.atleast_1d(np.asarray(times, dtype=np.float64))
    idx = rng.choice(n, size=p, replace=False)
    d, u = sla.eigh(gram[np.ix_(idx, idx)] / p, check_finite=False)
    d = np.maximum(d, 0.0)
    x = d + weight_decay
    proj = u.T @ ys[idx] / p  # (P, targets)
    errors = np.empty(ts.size)
    cross = gram[:, idx] @ u  # K(x_i, X_P) U
    for j, t in enumerate(ts):
        with np.errstate(divide="ignore", invalid="ignore"):
            if math.isinf(t):
                phi = np.where(x > RANGE_CUTOFF * d.max(), 1.0 / x, 0.0)
            else:
                phi = np.where(x > 0, -np.expm1(-x * t) / x, t)
        pred = cross @ (phi[:, None] * proj)
        errors[j] = float(np.mean((pred - ys) ** 2))
    return errors


def fitted_exponents(spec: EmpiricalSpectrum) -> dict[str, dict]:
    """alpha from lambda_k ~ k^-alpha, and beta from the tail sum sum_{j >= k} c_j ~ k^-(beta - 1)
    (the c_k of one data set scatter by orders of magnitude mode to mode; their tail sum is
    smooth), each with the fit machinery of scaling_dmft.fit (automatic window, 95 % interval,
    flags) over the modes k < r/2 (the last modes of a finite data set bend down)."""
    from .fit import fit_power_law

    r = spec.eigenvalues.size
    k = np.arange(1, r + 1, dtype=np.float64)
    inside = k < max(r / 2, 8)
    tail = np.cumsum(spec.target_power[::-1])[::-1]
    out = {}
    for name, y, sign, shift in (("alpha", spec.eigenvalues, -1.0, 0.0), ("beta", tail, -1.0, 1.0)):
        # a log-spaced subset of the modes, so that the window criterion weighs decades, not counts
        pick = np.unique(np.round(np.geomspace(1, inside.sum(), 40)).astype(int)) - 1
        res = fit_power_law(k[pick], y[pick], min_points=6)
        out[name] = {
            "value": sign * res.exponent + shift,
            "lo": sign * res.exponent_hi + shift,
            "hi": sign * res.exponent_lo + shift,
            "k_min": res.x_min,
            "k_max": res.x_max,
            "flag": res.flag,
        }
    return out


def theory_vs_data(
    gram: np.ndarray,
    y: np.ndarray,
    *,
    samples: list[int],
    weight_decay: float,
    times: npt.ArrayLike,
    subsets: int,
    seed: int = 0,
    inputs: np.ndarray | None = None,
    n_features: int | None = None,
) -> list[dict]:
    """The DMFT with the data's own spectrum (the spectrum of `gram`) against training on the data:
    mean and standard error over `subsets` random subsets per P (subset i of P draws from
    SeedSequence([seed, P, i])). With `n_features` N (and the `inputs` x the kernel was built on,
    `relu_nngp`), the data side trains N random ReLU features of the inputs (a new draw of the
    weights per subset) and the theory has N features; else both are the kernel limit. One dict per
    (P, t): n_samples, t, theory, data, data_sem."""
    import pandas as pd

    from . import dmft
    from .spectrum import spectrum_from_arrays

    spec = empirical_spectrum(gram, y)
    frame = pd.DataFrame({"eigenvalue": spec.eigenvalues, "target_power": spec.target_power})
    sums = dmft.prepare(spectrum_from_arrays(frame, name="data").modes())
    ts = np.atleast_1d(np.asarray(times, dtype=np.float64))
    rows = []
    for p in samples:
        runs = np.array(
            [
                _train_one(gram, y, p, weight_decay, ts, np.random.SeedSequence([seed, p, i]), inputs, n_features)
                for i in range(subsets)
            ]
        )
        width = math.inf if n_features is None else n_features
        theory = dmft.solve(sums, n_features=width, n_samples=p, weight_decay=weight_decay, times=ts).signal
        # the unlearnable target power is an error floor of training on the data; add it to the theory
        theory = theory + spec.unlearnable
        mean, sem = runs.mean(axis=0), runs.std(axis=0, ddof=1) / math.sqrt(subsets)
        rows += [
            dict(n_samples=p, t=float(t), theory=float(a), data=float(m), data_sem=float(e))
            for t, a, m, e in zip(ts, theory, mean, sem, strict=True)
        ]
    return rows


def _train_one(
    gram: np.ndarray,
    y: np.ndarray,
    p: int,
    weight_decay: float,
    ts: np.ndarray,
    seq: np.random.SeedSequence,
    inputs: np.ndarray | None,
    n_features: int | None,
) -> np.ndarray:
    rng = np.random.default_rng(seq)
    if n_features is not None:
        if inputs is None:
            raise InputError("inputs", None, "the inputs the ReLU features act on (with n_features)")
        gram = relu_feature_gram(inputs, n_features, rng)
    return train_kernel(gram, y, n_samples=p, weight_decay=weight_decay, times=ts, rng=rng)


# ---------------------------------------------------------------- training on the data, all regimes

FeatureDraw = Callable[[np.random.Generator], tuple[np.ndarray, tuple[str, np.ndarray]]]


def kernel_features(gram: np.ndarray) -> FeatureDraw:
    """The kernel limit as a linear model: the eigen-features psi of `feature_matrix` (n x r), with
    the whole-set metric psi^T psi / n = diag(lambda) exactly."""
    psi, lam = feature_matrix(gram)
    return lambda rng: (psi, ("diag", lam))


def relu_features(inputs: np.ndarray, n_features: int) -> FeatureDraw:
    """N random ReLU features of the inputs, relu(w_j . x) / sqrt(N) with w_j ~ N(0, I/d), drawn anew
    per subset; their Gram matrix is `relu_feature_gram`, the whole-set metric Phi^T Phi / n. (The
    depth-1 case of kernels.feature_draw, which draws deeper networks.)"""
    return feature_draw(inputs, "relu_nngp", 1, n_features)


def training_components(
    draw: FeatureDraw,
    y: np.ndarray,
    *,
    n_samples: int,
    weight_decays: npt.ArrayLike,
    times: npt.ArrayLike,
    seeds: list[np.random.SeedSequence],
    replace: bool = False,
) -> tuple[SimComponents, SimComponents]:
    """Exact error components of training on the data itself, per subset: (whole set, held-out).

    Per seed: features Phi (n x D) and their whole-set metric from `draw`, then P points, without
    replacement (default) or with it (`replace`: i.i.d. draws from the data set, as the theory
    assumes). The model f = Phi w is trained on them exactly as the simulator trains its Gaussian
    draws (scaling_dmft.simulate: gradient flow with weight decay, added label noise, initialisation
    and Langevin noise averaged analytically), with design Phi_P, metric G = Phi^T Phi / n, cross
    vector h = Phi^T y / n and |y|^2 / n: the error on the whole data set. The held-out error is on
    the n - n_d points not drawn (n_d distinct drawn points): (n E_whole - n_d E_drawn) / (n - n_d),
    with E_drawn the mean error over the distinct drawn points, computed per point from their rows
    in the eigenbasis of K_a (they lie in its range). Multi-class labels: the components are
    averaged over the one-vs-rest targets (one eigendecomposition serves them all).
    """
    ys = targets(y)
    n, n_targets = ys.shape
    p = int(n_samples)
    if not 1 <= p < n:
        raise InputError("n_samples", n_samples, f"an integer 1 <= P < n = {n} (the held-out set must not be empty)")
    gammas, ts = _check_times_gammas(weight_decays, times)
    whole = np.zeros((4, len(seeds), gammas.size, ts.size))
    held = np.zeros_like(whole)
    for s, seq in enumerate(seeds):
        rng = seed_generator(seq)
        phi, metric = draw(rng)
        idx = rng.choice(n, size=p, replace=replace)
        spec = _spectral(phi[idx] / math.sqrt(p), ys[idx], metric, phi.T @ ys / n, rows=True)
        drawn, first = np.unique(idx, return_index=True)
        rows = spec["xu"][first] * math.sqrt(p)  # X_D U: the distinct drawn points' rows, (n_d, r)
        drawn_parts = np.empty((4, gammas.size, ts.size))
        for g, gamma in enumerate(gammas):
            x = spec["d"] + gamma
            phi_t = _phi(x, ts)
            weight = rows**2  # per point and direction
            drawn_parts[1, g] = np.mean(weight @ (spec["d"][:, None] * phi_t**2), axis=0) / p
            drawn_parts[2, g] = np.mean(weight @ _decay(x, 2.0 * ts), axis=0)
            drawn_parts[3, g] = np.mean(weight @ _phi(x, 2.0 * ts), axis=0)
        for j in range(n_targets):
            one = {**spec, "bt": spec["bt"][:, j], "ht": spec["ht"][:, j]}
            whole_j = _components(one, float(ys[:, j] @ ys[:, j]) / n, p, gammas, ts)
            for g, gamma in enumerate(gammas):
                resid = rows @ (_phi(spec["d"] + gamma, ts) * one["bt"][:, None]) - ys[drawn, j][:, None]
                drawn_parts[0, g] = np.mean(resid**2, axis=0)
            whole[:, s] += whole_j
            n_d = drawn.size
            with np.errstate(invalid="ignore"):
                held[:, s] += np.where(np.isinf(whole_j), whole_j, (n * whole_j - n_d * drawn_parts) / (n - n_d))
    whole /= n_targets
    held /= n_targets
    return SimComponents(ts, gammas, *whole), SimComponents(ts, gammas, *held)


# ---------------------------------------------------------------- the workflow's data sets (config `data:`)


def entry_inputs(entry: dict) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, labels) of one `data:` entry: a bundled `dataset` or a `file` (+ `labels`),
    standardised unless `standardise: false`, then projected onto the sphere with `sphere: true`."""
    x, y = load_dataset(entry["dataset"]) if "dataset" in entry else load_data(entry["file"], entry.get("labels"))
    x = standardise(x) if entry.get("standardise", True) else x
    return (to_sphere(x) if entry.get("sphere", False) else x), y


def spectrum_rows(spec: EmpiricalSpectrum, name: str) -> pd.DataFrame:
    """The spectrum as rows of the spectrum table (tables.SPECTRUM_SCHEMA); `read_spectrum_file`
    reads it back (columns eigenvalue, target_power)."""
    import pandas as pd

    r = spec.eigenvalues.size
    return pd.DataFrame(
        {
            "spectrum": name,
            "alpha": np.full(r, np.nan),
            "beta": np.full(r, np.nan),
            "teacher": "file",
            "n_modes": r,
            "k": np.arange(1, r + 1, dtype=np.float64),
            "eigenvalue": spec.eigenvalues,
            "target_power": spec.target_power,
            "weight": 1.0,
        }
    )


def spectrum_meta(spec: EmpiricalSpectrum, fits: dict[str, dict], **source: object) -> dict[str, str]:
    """Provenance of a spectrum from data: its source, size, unlearnable power and fitted exponents."""
    meta = {k: str(v) for k, v in source.items()}
    meta.update(n_points=str(spec.n_points), n_targets=str(spec.n_targets), unlearnable=repr(spec.unlearnable))
    for name, v in fits.items():
        meta[f"fitted_{name}"] = repr(v["value"])
        meta[f"fitted_{name}_window"] = f"k = {v['k_min']:g}..{v['k_max']:g}"
        meta[f"fitted_{name}_flag"] = v["flag"]
    return meta


def compare(name: str, entry: dict, regimes: list[dict], base_seed: int, spectrum_path: str) -> pd.DataFrame:
    """The three-way comparison of one `data:` entry on its own spectrum (the table
    `empirical_spectrum_job` wrote to `spectrum_path`, with the unlearnable power in its metadata): the DMFT (method dmft), the exact simulation of Gaussian features with that
    spectrum (sim, `sim_seeds` draws) and training on the data itself (data: error on the whole set;
    data_heldout: on the n - P points not trained on; `subsets` random subsets), for every
    (N, P, noise, regime). Rows of the curve table; the sweep column holds the entry's name. The
    target power outside the kernel's range (`unlearnable`) is an error floor of the data; it is
    added to the dmft and sim errors (eg, eg_mean, eg_signal)."""
    import itertools

    import pandas as pd

    from . import tables
    from .evaluate import run_dmft_points, seed_rows
    from .grid import disorder_key, regime_columns, seed_sequences, time_grid
    from .simulate import simulate
    from .spectrum import read_spectrum_file

    x, y = entry_inputs(entry)
    gram = kernel_matrix(x, entry["kernel"], depth=entry["depth"])
    spectrum = read_spectrum_file(spectrum_path)
    # the unlearnable power was computed with the spectrum (rule empirical_spectrum): read, not a second eigh
    unlearnable = float(tables.read_table(spectrum_path, "spectrum").attrs["unlearnable"])
    by_name = {r["name"]: r for r in regimes}
    grid_times = time_grid(entry["times"])
    points = [
        {
            "sweep": name,
            "spectrum": "file",
            "path": str(spectrum_path),
            "alpha": None,
            "beta": None,
            "n_modes": spectrum.n_modes,
            "teacher": "file",
            "n_features": float(width),
            "n_samples": float(p),
            "noise": float(noise),
            **regime_columns(by_name[regime], p, grid_times),
        }
        for width, p, noise, regime in itertools.product(
            entry["n_features"], entry["n_samples"], entry["noise"], entry["regimes"]
        )
    ]
    times = points[0]["times"]  # gradient-flow regimes only (config check): one time grid
    frames = [run_dmft_points(points)]
    kernel_draw = kernel_features(gram)
    groups: dict[tuple, list[dict]] = {}
    for point in points:
        groups.setdefault((point["n_features"], point["n_samples"]), []).append(point)
    for (width, p), members in groups.items():
        gammas = sorted({m["weight_decay"] for m in members})
        disorder = disorder_key(members[0])
        n_features = width if math.isinf(width) else int(width)
        sim = simulate(
            spectrum,
            n_features=n_features,
            n_samples=int(p),
            weight_decays=gammas,
            times=times,
            seeds=seed_sequences(base_seed, {**disorder, "method": "sim"}, entry["sim_seeds"]),
        )
        frames.append(seed_rows(members, sim, "sim"))
        draw = kernel_draw if math.isinf(width) else feature_draw(x, entry["kernel"], entry["depth"], n_features)
        whole, held = training_components(
            draw,
            y,
            n_samples=int(p),
            weight_decays=gammas,
            times=times,
            seeds=seed_sequences(base_seed, {**disorder, "method": "data"}, entry["subsets"]),
            replace=entry.get("replacement", False),
        )
        frames += [seed_rows(members, whole, "data"), seed_rows(members, held, "data_heldout")]
    frame = pd.concat(frames, ignore_index=True)
    theory = frame["method"].isin(["dmft", "sim"])
    for column in ("eg", "eg_mean", "eg_signal"):
        frame.loc[theory, column] += unlearnable
    return tables.sort_rows(frame, "curve")

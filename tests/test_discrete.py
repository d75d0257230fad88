"""Discrete-time training (docs/theory/discrete.md): the exact simulator's step filters and its
components against brute-force iteration of the weights.

The oracles here iterate what the optimizer does, step by step, in weight space: the mean weights
w_{k+1} = w_k - eta (A w_k - b) + mu (w_k - w_{k-1}) with A = K_a + gamma, and the exact second
moments of the label-noise, initialisation and Langevin parts (covariance recursions, no sampling).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from oracles import draw_realization
from scaling_dmft.errors import InputError
from scaling_dmft.simulate import Optimizer, discrete_filters, seed_generator, simulate
from scaling_dmft.spectrum import powerlaw


def _scalar_iteration(x: float, steps: list[int], eta: float, mu: float):
    """phi_k, R_k^2, theta_k by stepping the scalar recursions."""
    a, a_prev, e, e_prev = 0.0, 0.0, 1.0, 1.0
    cov = np.zeros((2, 2))  # covariance of (v_k, v_{k-1}) of the Langevin noise, per unit T
    trans = np.array([[1.0 + mu - eta * x, -mu], [1.0, 0.0]])
    out, k = {}, 0
    for target in sorted(steps):
        while k < target:
            a, a_prev = (1.0 + mu - eta * x) * a - mu * a_prev + eta, a
            e, e_prev = (1.0 + mu - eta * x) * e - mu * e_prev, e
            cov = trans @ cov @ trans.T
            cov[0, 0] += 2.0 * eta
            k += 1
        out[target] = (a, e * e, cov[0, 0])
    return out


@pytest.mark.parametrize("mu", [0.0, 0.6])
def test_step_filters_are_the_recursions_stepped_one_by_one(mu):
    eta = 0.5
    xs = [0.0, 1e-7, 0.3, 1.5, 2.9, 3.5 if mu else 1.9]  # x = 0, tiny, monotone, oscillating (eta x > 1)
    steps = [0, 1, 2, 7, 40, 333]
    phi, decay, theta = discrete_filters(np.array(xs), np.array(steps, dtype=float), Optimizer(eta, mu))
    for i, x in enumerate(xs):
        ref = _scalar_iteration(x, steps, eta, mu)
        for j, k in enumerate(steps):
            assert phi[i, j] == pytest.approx(ref[k][0], rel=1e-10, abs=1e-14)
            assert decay[i, j] == pytest.approx(ref[k][1], rel=1e-9, abs=1e-14)
            assert theta[i, j] == pytest.approx(ref[k][2], rel=1e-9, abs=1e-14)
    # k = inf: the stationary values (stable directions with x > 0)
    phi_inf, decay_inf, theta_inf = discrete_filters(np.array(xs[2:]), np.array([np.inf]), Optimizer(eta, mu))
    long = [_scalar_iteration(x, [20000], eta, mu)[20000] for x in xs[2:]]
    assert np.allclose(phi_inf[:, 0], [r[0] for r in long], rtol=1e-9)
    assert np.allclose(decay_inf[:, 0], 0.0)
    assert np.allclose(theta_inf[:, 0], [r[2] for r in long], rtol=1e-9)


def test_past_the_stability_edge_the_filters_diverge():
    eta, mu = 0.5, 0.3
    edge = 2.0 * (1.0 + mu) / eta
    phi, decay, theta = discrete_filters(
        np.array([0.99 * edge, 1.01 * edge]), np.array([1.0, 50.0, np.inf]), Optimizer(eta, mu)
    )
    assert np.isfinite(phi[0]).all() and np.isfinite(theta[0]).all()
    assert np.isinf(phi[1]).all() and np.isinf(decay[1]).all() and np.isinf(theta[1]).all()


def _weight_space(real, *, gamma, eta, mu, steps):
    """(signal, noise, init, thermal) per unit sigma^2, sigma0^2, T after each step count, N = inf."""
    psi, lam, w_star = real.psi, real.eigenvalues, real.w_star
    p, m = psi.shape
    y = psi @ w_star
    a_mat = psi.T @ psi / p + gamma * np.eye(m)
    b = psi.T @ y / p
    trans = np.block([[(1.0 + mu) * np.eye(m) - eta * a_mat, -mu * np.eye(m)], [np.eye(m), np.zeros((m, m))]])
    w, w_prev = np.zeros(m), np.zeros(m)
    # matrix filters: mean weights per unit force F_k (w = F_k b), decay R_k (a_0 -> a_k)
    f, f_prev = np.zeros((m, m)), np.zeros((m, m))
    r, r_prev = np.eye(m), np.eye(m)
    cov = np.zeros((2 * m, 2 * m))
    out, k = {}, 0
    for target in sorted(steps):
        while k < target:
            w, w_prev = w - eta * (a_mat @ w - b) + mu * (w - w_prev), w
            f, f_prev = f - eta * (a_mat @ f - np.eye(m)) + mu * (f - f_prev), f
            r, r_prev = r - eta * a_mat @ r + mu * (r - r_prev), r
            cov = trans @ cov @ trans.T
            cov[:m, :m] += 2.0 * eta * np.eye(m)
            k += 1
        dev = w - w_star
        noise = np.trace(lam[:, None] * (f @ psi.T @ psi @ f.T)) / p**2
        out[target] = (
            dev @ (lam * dev),
            noise,
            np.trace(lam[:, None] * (r @ r.T)),
            np.trace(lam[:, None] * cov[:m, :m]),
        )
    return out


@pytest.mark.parametrize("mu", [0.0, 0.5])
def test_simulated_components_of_one_draw_are_gradient_descent_stepped_in_weight_space(mu):
    spectrum = powerlaw(1.5, 2.0, 30)
    gamma, eta, p = 1e-2, 0.7, 20
    steps = [1, 3, 10, 64, 250]
    seq = np.random.SeedSequence(11)
    comps = simulate(
        spectrum,
        n_features=math.inf,
        n_samples=p,
        weight_decays=[gamma],
        times=eta * np.array(steps, dtype=float),
        seeds=[seq],
        learning_rate=eta,
        momentum=mu,
    )
    real = draw_realization(spectrum, n_features=math.inf, n_samples=p, rng=seed_generator(seq))
    ref = _weight_space(real, gamma=gamma, eta=eta, mu=mu, steps=steps)
    for j, k in enumerate(steps):
        got = [comps.signal[0, 0, j], comps.noise[0, 0, j], comps.init[0, 0, j], comps.thermal[0, 0, j]]
        assert np.allclose(got, ref[k], rtol=1e-8, atol=1e-13), (k, got, ref[k])


def test_discrete_times_must_be_whole_steps_and_momentum_needs_a_learning_rate():
    spectrum = powerlaw(1.5, 2.0, 30)
    common = dict(n_features=math.inf, n_samples=10, weight_decays=[0.0], seeds=[np.random.SeedSequence(1)])
    with pytest.raises(InputError, match="integer multiples of the learning rate"):
        simulate(spectrum, times=[0.75], learning_rate=0.5, **common)
    with pytest.raises(InputError, match="momentum"):
        simulate(spectrum, times=[1.0], momentum=0.5, **common)
    with pytest.raises(InputError, match="0 <= momentum < 1"):
        simulate(spectrum, times=[1.0], learning_rate=0.5, momentum=1.0, **common)

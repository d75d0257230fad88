"""Online mini-batch SGD (scaling_dmft.sgd, docs/theory/discrete.md section 5): the closed
second-moment recursion against SGD run with fresh Gaussian batches, and its limits."""

from __future__ import annotations

import numpy as np
import pytest

from scaling_dmft import sgd
from scaling_dmft.dmft import online
from scaling_dmft.errors import InputError
from scaling_dmft.simulate import seed_mean_sem
from scaling_dmft.spectra import powerlaw

SPECTRUM = powerlaw(1.5, 2.0, 100)


@pytest.mark.parametrize("batch, eta, gamma", [(1, 0.3, 0.0), (8, 0.6, 1e-2)])
def test_online_sgd_recursion_agrees_with_sgd_on_fresh_batches(batch, eta, gamma):
    """The recursion is exact for Gaussian features (no finite-size correction): E_g and E_mean with
    every component on (sigma = 0.5, sigma0 = 0.3, T = 1e-3) against 300 SGD trajectories, within the
    project's rule 2 % + 3 s.e."""
    steps = np.array([10.0, 100.0, 300.0])
    t = eta * steps
    theory, diverged = online.online_theory(SPECTRUM, batch_size=batch, learning_rate=eta, weight_decay=gamma, times=t)
    assert not diverged.any()
    seeds = [np.random.SeedSequence([77, batch, i]) for i in range(300)]
    sim = sgd.online_simulate(SPECTRUM, batch_size=batch, learning_rate=eta, weight_decay=gamma, times=t, seeds=seeds)
    mix = dict(noise=0.5, init_var=0.09, temperature=1e-3)
    from scaling_dmft.components import combine

    th = combine(*theory, **mix)
    for index in (0, 1):
        mean, sem = seed_mean_sem(sim.errors(**mix, gamma_index=0)[index])
        assert np.all(np.abs(th[index] - mean) <= 0.02 * mean + 3 * sem), (th[index], mean, sem)


def test_a_large_batch_is_gradient_descent_on_the_population():
    """B -> inf removes the SGD noise: the signal is then sum_k c_k (1 - eta lambda_k)^{2k} at gamma = 0
    (gradient descent on the population loss), to 1e-5 at B = 1e7."""
    eta, steps = 0.5, np.array([0.0, 3.0, 30.0, 300.0])
    theory, _ = online.online_theory(SPECTRUM, batch_size=10**7, learning_rate=eta, weight_decay=0.0, times=eta * steps)
    lam, c = SPECTRUM.eigenvalues, SPECTRUM.target_power
    exact = [(c * (1 - eta * lam) ** (2 * k)).sum() for k in steps]
    assert np.allclose(theory[0], exact, rtol=1e-5)


def test_too_large_a_learning_rate_diverges_and_is_flagged():
    """With B = 1 the SGD noise (eta^2 lambda tr(Lambda S)) destabilises well below eta lambda_1 = 2."""
    theory, diverged = online.online_theory(
        SPECTRUM, batch_size=1, learning_rate=1.5, weight_decay=0.0, times=[15.0, 1500.0]
    )
    assert diverged[-1] and np.isinf(theory[:, -1]).all()
    with pytest.raises(InputError, match="batch_size"):
        online.online_theory(SPECTRUM, batch_size=0, learning_rate=0.1, weight_decay=0.0, times=[1.0])
    with pytest.raises(InputError, match="whole steps"):
        online.online_theory(SPECTRUM, batch_size=1, learning_rate=0.3, weight_decay=0.0, times=[1.0])

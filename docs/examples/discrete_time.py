"""Theory against exact simulation for discrete-time optimizers: the tables of
docs/theory/discrete.md (sections 4 and 5) and docs/validation.md ("Discrete-time optimizers").

Full-batch steps (gradient descent, with oscillating modes where eta (e_max + gamma) >= 1, and heavy-ball
momentum): alpha = 1.5, beta = 2, M = 1000, 200 seeds, k = 1, 2, 4, 8, 32, 256, 4096 steps and k = inf,
sigma = 0.5, sigma0 = 0.3, T = 1e-3 (every component on). Online SGD (P = N = inf): M = 100, 300
trajectories, k = 10, 100, 300 (the same settings as tests/test_discrete.py and tests/test_sgd.py,
plus more cases).

Run: .venv/bin/python docs/examples/discrete_time.py   (about ten minutes on 2 cores; `sgd` as the
argument: the online-SGD table only, about 15 s)
"""

from __future__ import annotations

import math
import sys

import numpy as np

from scaling_dmft import dmft, sgd
from scaling_dmft.components import combine
from scaling_dmft.dmft.discrete import spectral_edge
from scaling_dmft.dmft.online import online_theory
from scaling_dmft.simulate import seed_mean_sem, simulate
from scaling_dmft.spectra import powerlaw

MIX = dict(noise=0.5, init_var=0.09, temperature=1e-3)
# (N, P, gamma, eta, mu); eta given as ("edge", c) sets eta (e_max + gamma) = c (oscillating modes for c >= 1)
GD_CASES = [
    (math.inf, 128, 1e-3, 0.5, 0.0),
    (256, 256, 1e-3, 0.3, 0.0),
    (128, 256, 0.0, 0.5, 0.0),
    (512, 128, 1e-2, 0.45, 0.0),
    (256, 256, 1e-3, ("edge", 1.5), 0.0),
    (512, 256, 1e-2, ("edge", 1.8), 0.0),
    (math.inf, 256, 1e-3, 0.5, 0.5),
    (256, 256, 1e-3, 0.3, 0.8),
    (512, 256, 1e-2, 0.4, 0.3),
    (256, 512, 1e-3, 0.2, 0.9),
]
SGD_CASES = [(1, 0.3, 0.0), (8, 0.6, 1e-2), (32, 1.0, 0.0), (4, 0.5, 1e-3)]


def _worst(theory: np.ndarray, mean: np.ndarray, sem: np.ndarray) -> str:
    ok = np.isfinite(theory) & (mean > 0)
    rel = (theory[ok] - mean[ok]) / mean[ok]
    z = (theory[ok] - mean[ok]) / sem[ok]
    i = int(np.argmax(np.abs(rel)))
    return f"{rel[i] * 100:+.2f} % (z {z[i]:+.1f}); max |z| {np.max(np.abs(z)):.1f}"


# --quick: the first case of each part with 16 seeds (a smoke run: tests/test_examples.py runs it)
QUICK = "--quick" in sys.argv[1:]


def main() -> None:
    if "sgd" not in sys.argv[1:]:
        full_batch()
    online()


def full_batch() -> None:
    spectrum = powerlaw(1.5, 2.0, 1000)
    sums = dmft.prepare(spectrum.modes())
    steps = np.array([1.0, 2.0, 4.0, 8.0, 32.0, 256.0, 4096.0, np.inf])
    print("full-batch steps: E_g, theory - simulation (worst step), and the correction to gradient flow")
    print(
        "| N | P | gamma | eta | mu | eta (e_max + gamma) | first Talbot step | E_g | correction: worst miss / correction |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n, p, gamma, eta, mu in GD_CASES[:1] if QUICK else GD_CASES:
        if isinstance(eta, tuple):
            edge = spectral_edge(sums, 1.0 / n, 1.0 / p)
            eta = round(eta[1] / (edge + gamma), 4)
        t = eta * steps
        seeds = [np.random.SeedSequence([2026, i]) for i in range(16 if QUICK else 200)]
        width = n if math.isinf(n) else int(n)
        kw = dict(n_features=width, n_samples=p, weight_decays=[gamma], times=t, seeds=seeds)
        sim_gd, sim_gf = simulate(spectrum, learning_rate=eta, momentum=mu, **kw), simulate(spectrum, **kw)
        th_gd = dmft.solve(sums, n_features=n, n_samples=p, weight_decay=gamma, times=t, learning_rate=eta, momentum=mu)
        th_gf = dmft.solve(sums, n_features=n, n_samples=p, weight_decay=gamma, times=t)
        eg_gd, eg_gf = th_gd.errors(**MIX)[1], th_gf.errors(**MIX)[1]
        sim_e = sim_gd.errors(**MIX, gamma_index=0)[1]
        mean, sem = seed_mean_sem(sim_e)
        d_mean, _ = seed_mean_sem(sim_e - sim_gf.errors(**MIX, gamma_index=0)[1])
        d_th = eg_gd - eg_gf
        big = np.isfinite(d_th) & (np.abs(d_mean) > 1e-6 * mean)
        corr = np.max(np.abs(d_th[big] - d_mean[big]) / np.abs(d_mean[big]))
        top, first = th_gd.diagnostics["eta_x_max"], th_gd.diagnostics["talbot_from_step"]
        print(
            f"| {n:g} | {p} | {gamma:g} | {eta:g} | {mu:g} | {top:.2f} | {first} | {_worst(eg_gd, mean, sem)} "
            f"| {corr * 100:.1f} % |",
            flush=True,
        )


def online() -> None:
    small = powerlaw(1.5, 2.0, 100)
    sgd_steps = np.array([10.0, 100.0, 300.0])
    print("\nonline SGD (P = N = inf): E_g, theory - simulation (worst step)")
    print("| B | eta | gamma | E_g |")
    print("|---|---|---|---|")
    for batch, eta, gamma in SGD_CASES[:1] if QUICK else SGD_CASES:
        t = eta * sgd_steps
        theory, _ = online_theory(small, batch_size=batch, learning_rate=eta, weight_decay=gamma, times=t)
        seeds = [np.random.SeedSequence([77, batch, i]) for i in range(16 if QUICK else 300)]
        sim = sgd.online_simulate(small, batch_size=batch, learning_rate=eta, weight_decay=gamma, times=t, seeds=seeds)
        mean, sem = seed_mean_sem(sim.errors(**MIX, gamma_index=0)[1])
        print(f"| {batch} | {eta:g} | {gamma:g} | {_worst(combine(*theory, **MIX)[1], mean, sem)} |")


if __name__ == "__main__":
    main()

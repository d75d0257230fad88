"""Online SGD: the validation grid of docs/theory/discrete.md section 5.6 (theory against exact
simulation, the project's pass rule 2 % + 3 s.e., `validation.within_tolerance`).

alpha = 1.5, beta = 2, M = 1000, 200 seeds, steps k = 1, 3, 10, 30, 100, 300, 1000, 3000; per case
(N, B, eta, gamma, sigma, schedule); E_g with sigma0 = 0 and T = 0 (the initialisation and Langevin
components are checked in tests/test_sgd.py). tests/test_sgd.py runs five of these settings, smaller.

Run: OMP_NUM_THREADS=1 .venv/bin/python docs/examples/online_sgd.py   (about 15 minutes on 2 cores)
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from scaling_dmft.components import combine
from scaling_dmft.dmft.online import online_theory
from scaling_dmft.schedules import CONSTANT, Schedule
from scaling_dmft.sgd import online_simulate
from scaling_dmft.simulate import seed_mean_sem
from scaling_dmft.spectra import powerlaw
from scaling_dmft.validation import within_tolerance

STEPS = np.array([1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0])
SEEDS = 200
# (N, B, eta, gamma, sigma, schedule)
CASES = [
    (math.inf, 1, 0.3, 0.0, 0.0, CONSTANT),
    (math.inf, 8, 0.6, 1e-2, 0.5, CONSTANT),
    (512, 4, 0.5, 0.0, 0.0, CONSTANT),
    (256, 1, 0.3, 0.0, 0.3, CONSTANT),
    (256, 16, 1.0, 1e-3, 0.0, CONSTANT),
    (128, 4, 0.5, 1e-2, 0.5, CONSTANT),
    (256, 4, 0.8, 0.0, 0.0, Schedule("step", decay_factor=0.3, decay_steps=300)),
    (256, 2, 0.5, 1e-3, 0.3, Schedule("power", decay_steps=50, power=0.5)),
    (128, 32, 1.5, 0.0, 0.0, Schedule("power", decay_steps=100, power=1.0)),
    (64, 4, 0.5, 0.0, 0.3, CONSTANT),
]


def main() -> None:
    # --quick: two cases with 16 seeds (a smoke run: tests/test_examples.py runs it)
    quick = "--quick" in sys.argv[1:]
    cases, n_seeds = (CASES[2:4], 16) if quick else (CASES, SEEDS)
    spectrum = powerlaw(1.5, 2.0, 1000)
    print(
        "| N | B | eta | gamma | sigma | schedule | pass | worst (theory - sim)/sim (z) | max abs z | theory s | sim s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    total = passed = 0
    for n, batch, eta, gamma, sigma, schedule in cases:
        t = eta * STEPS
        started = time.perf_counter()
        theory, flags = online_theory(
            spectrum, n_features=n, batch_size=batch, learning_rate=eta, weight_decay=gamma, times=t, schedule=schedule
        )
        th_s = time.perf_counter() - started
        seeds = [np.random.SeedSequence([2612, i]) for i in range(n_seeds)]
        started = time.perf_counter()
        sim = online_simulate(
            spectrum, n_features=n, batch_size=batch, learning_rate=eta, weight_decay=gamma, times=t, seeds=seeds,
            schedule=schedule,
        )  # fmt: skip
        sim_s = time.perf_counter() - started
        mix = dict(noise=sigma, init_var=0.0, temperature=0.0)
        eg = combine(*theory, **mix)[1]
        mean, sem = seed_mean_sem(sim.errors(**mix, gamma_index=0)[1])
        ok = within_tolerance(eg, mean, sem) & (flags == "")
        rel, z = (eg - mean) / mean, (eg - mean) / sem
        i = int(np.argmax(np.abs(rel)))
        total, passed = total + ok.size, passed + int(ok.sum())
        print(
            f"| {n:g} | {batch} | {eta:g} | {gamma:g} | {sigma:g} | {schedule.describe()} | {int(ok.sum())}/{ok.size} "
            f"| {rel[i] * 100:+.2f} % ({z[i]:+.1f}) | {np.max(np.abs(z)):.1f} | {th_s:.2f} | {sim_s:.0f} |",
            flush=True,
        )
    print(f"\n{passed}/{total} comparisons pass")


if __name__ == "__main__":
    main()

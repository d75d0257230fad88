"""Multi-pass mini-batch SGD at finite P against the gradient-descent theory (docs/theory/discrete.md,
section 6): where the full-batch theory describes SGD that reuses its data, and where not.

alpha = 1.5, beta = 2, M = 500 modes, N = inf, P = 128 points per data set, eta = 0.5 and 0.1,
gamma = 1e-3, label noise sigma = 0.3; 100 data sets (seeds) per batch size; error at the times
t = eta k = 8, 32, 128, 512.

Run: .venv/bin/python docs/examples/multipass_sgd.py   (about a minute on 2 cores)
     .venv/bin/python docs/examples/multipass_sgd.py --quick   (eta = 0.5, B = 128 and 8, 16 seeds: a smoke run)
"""

from __future__ import annotations

import math
import sys

import numpy as np

from scaling_dmft import dmft, multipass
from scaling_dmft.simulate import seed_mean_sem
from scaling_dmft.spectra import powerlaw

SPECTRUM = powerlaw(1.5, 2.0, 500)
P, GAMMA, SIGMA = 128, 1e-3, 0.3
TIMES = np.array([8.0, 32.0, 128.0, 512.0])
BATCHES = (128, 32, 8, 1)
# --quick: one learning rate, two batch sizes, 16 seeds (a smoke run: tests/test_examples.py runs it)
QUICK = "--quick" in sys.argv[1:]


def main() -> None:
    sums = dmft.prepare(SPECTRUM.modes())
    print(f"multi-pass SGD, P = {P}: (SGD - GD theory) / GD theory, (z = (SGD - GD theory) / s.e.)")
    print("| eta | B | " + " | ".join(f"t = {t:g}" for t in TIMES) + " |")
    print("|---|---|" + "---|" * TIMES.size)
    for eta in (0.5,) if QUICK else (0.5, 0.1):
        theory = dmft.solve(sums, n_features=math.inf, n_samples=P, weight_decay=GAMMA, times=TIMES, learning_rate=eta)
        gd = theory.errors(noise=SIGMA, init_var=0.0, temperature=0.0)[0]
        for batch in (BATCHES[0], BATCHES[2]) if QUICK else BATCHES:
            seeds = [np.random.SeedSequence([31, batch, i]) for i in range(16 if QUICK else 100)]
            runs = multipass.multipass_simulate(
                SPECTRUM,
                n_samples=P,
                batch_size=batch,
                learning_rate=eta,
                weight_decay=GAMMA,
                noise=SIGMA,
                times=TIMES,
                seeds=seeds,
            )
            mean, sem = seed_mean_sem(runs)
            cells = [f"{(m - g) / g * 100:+.1f} % ({(m - g) / s:+.1f})" for m, s, g in zip(mean, sem, gd, strict=True)]
            print(f"| {eta:g} | {batch} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

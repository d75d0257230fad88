"""Benchmark of the online-SGD theory (scaling_dmft.dmft.online.online_theory; docs/theory/discrete.md
section 5): one curve of 100 log-spaced step counts 1..1e8 (t = eta k), every component on.

Cases: N = inf at M = 1000 (exact modes) and M = 1e12 (Spectrum.modes(): 1000 exact + quadrature tail),
constant / step / power-law schedules, and N = 256 random features of M = 4000 modes (the
deterministic-equivalent nodes included in the time, and without them: `nodes` passed in). Median of
repeats, interleaved (the machine is shared); 1 BLAS thread expected.

Usage: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/bench_online.py [--repeats R]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

from scaling_dmft.dmft.online import online_nodes, online_theory
from scaling_dmft.schedules import CONSTANT, Schedule
from scaling_dmft.spectra import powerlaw

STEPS = np.unique(np.round(np.logspace(0, 8, 100)))
ETA, BATCH, GAMMA = 0.5, 4, 1e-3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    big, small, feat = powerlaw(1.5, 2.0, 10**12), powerlaw(1.5, 2.0, 1000), powerlaw(1.5, 2.0, 4000)
    nodes = online_nodes(feat, 256)
    cases = {
        "N = inf, M = 1000, constant": (small, math.inf, CONSTANT, None),
        "N = inf, M = 1e12, constant": (big, math.inf, CONSTANT, None),
        "N = inf, M = 1e12, step 0.1 every 2e7": (big, math.inf, Schedule("step", 0.1, 2e7), None),
        "N = inf, M = 1e12, step 0.5 every 1e7 (10 drops)": (big, math.inf, Schedule("step", 0.5, 1e7), None),
        "N = inf, M = 1e12, power 0.5 from 100": (big, math.inf, Schedule("power", decay_steps=100, power=0.5), None),
        "N = 256, M = 4000, constant (with the nodes)": (feat, 256, CONSTANT, None),
        "N = 256, M = 4000, constant (nodes given)": (feat, 256, CONSTANT, nodes),
        "N = 256, M = 4000, power 0.5 from 100 (with the nodes)": (feat, 256, Schedule("power", decay_steps=100, power=0.5), None),
    }  # fmt: skip
    seconds = {name: [] for name in cases}
    for _ in range(repeats):
        for name, (spectrum, n, schedule, given) in cases.items():
            started = time.perf_counter()
            values, flags = online_theory(
                spectrum, n_features=n, batch_size=BATCH, learning_rate=ETA, weight_decay=GAMMA,
                times=ETA * STEPS, schedule=schedule, nodes=given,
            )  # fmt: skip
            seconds[name].append(time.perf_counter() - started)
            assert (flags == "").all() and np.all(np.isfinite(values))
    print(f"100 step counts 1..1e8, eta = {ETA}, B = {BATCH}, gamma = {GAMMA}; median of {repeats} repeats")
    print("| case | seconds (median) | min | max |")
    print("|---|---|---|---|")
    for name, values in seconds.items():
        print(f"| {name} | {statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f} |")


if __name__ == "__main__":
    main()

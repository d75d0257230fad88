"""Benchmark of the scaling-law atlas's pieces (scaling_dmft.frontier, scaling_dmft.atlas).

Times, in one process and interleaved over the repeats (so machine drift hits all alike):
  * NT frontier, 17 budgets C = 1e7..1e11, (2, 2.5), M = 1e12, P = inf (the issue's CLI query);
  * NPT frontier, 3 budgets C = 1e8..1e12, N, P <= 1e5;
  * tuned weight decay, 4 budgets C = 1e3..1e9, P = 1024, sigma = 0.5;
  * one phase-diagram point (four fitted laws) at (2, 4), M = 1e12.
Median of repeats; 1 BLAS thread expected. The workflow's atlas (625 points, 8 frontiers) is
timed by running `snakemake atlas` (docs/performance.md, section "Scaling-law atlas").

Usage: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/bench_frontier.py [--repeats R]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

from scaling_dmft import atlas
from scaling_dmft.frontier import compute_optimal
from scaling_dmft.spectra import powerlaw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    modes = powerlaw(2.0, 2.5, 10**12).modes()
    cases = {
        "NT, 17 budgets, P = inf": lambda: compute_optimal(modes, np.logspace(7, 11, 17), n_samples=math.inf),
        "NPT, 3 budgets": lambda: compute_optimal(
            modes, np.logspace(8, 12, 3), compute_model="NPT", n_max=1e5, p_max=1e5
        ),
        "tuned gamma, 4 budgets, P = 1024, sigma = 0.5": lambda: compute_optimal(
            modes, np.logspace(3, 9, 4), n_samples=1024, noise=0.5, tune_weight_decay=True
        ),
        "phase-diagram point (4 laws)": lambda: atlas.phase_point(2.0, 4.0, 10**12),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.repeats):
        for name, run in cases.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    print("| case | median wall (s) | repeats |")
    print("|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.2f} | {len(values)} |")


if __name__ == "__main__":
    main()

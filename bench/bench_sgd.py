"""Benchmark of the multi-pass SGD theory (dmft.solve with batch_size; docs/theory/sgd.md) against the
gradient-descent theory it builds on, and of the exact multi-pass simulator.

Theory: one curve of 100 log-spaced whole steps from 1 to 1e8 (t = eta k, eta = 0.5), alpha = 1.5,
beta = 2, M = 1e6 (Spectrum.modes(): 1000 exact modes + the quadrature tail), for
  * N = inf, P = 1000, gamma = 1e-3, B = 8;
  * N = 500, P = 1000, gamma = 1e-4, B = 4 (the init part is rescaled: a second, gamma = 0 run);
  * N = 2000, P = 1000, gamma = 0, B = 8;
each with the gradient-descent curve at the same steps (B = inf) timed in the same repeat. Simulator:
100 seeds of 1000 steps at M = 2000, N = inf, P = 128, B = 8 (both samplings).
Median of repeats; 1 BLAS thread expected; the machine may be shared (report ratios).

Usage: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/bench_sgd.py [--repeats R] [--write]
(--write replaces the table between the markers in docs/performance.md, section "## Multi-pass SGD").
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from scaling_dmft import dmft, multipass
from scaling_dmft.spectra import powerlaw

ROOT = Path(__file__).resolve().parents[1]
MARKER = "<!-- bench_sgd table -->"
ETA = 0.5
STEPS = np.unique(np.round(np.logspace(0, 8, 100)))
CASES = [
    ("N = inf, P = 1000, gamma = 1e-3, B = 8", math.inf, 1000, 1e-3, 8.0),
    ("N = 500, P = 1000, gamma = 1e-4, B = 4", 500, 1000, 1e-4, 4.0),
    ("N = 2000, P = 1000, gamma = 0, B = 8", 2000, 1000, 0.0, 8.0),
]


def run(repeats: int) -> list[tuple[str, float, float, int]]:
    sums = dmft.prepare(powerlaw(1.5, 2.0, 10**6).modes())
    spec = powerlaw(1.5, 2.0, 2000)
    seeds = [np.random.SeedSequence([5, i]) for i in range(100)]
    timings: dict[str, list[float]] = {}
    for _ in range(repeats):
        for name, n, p, gamma, b in CASES:
            kw = dict(n_features=n, n_samples=p, weight_decay=gamma, times=ETA * STEPS, learning_rate=ETA)
            start = time.perf_counter()
            dmft.solve(sums, batch_size=b, **kw)
            middle = time.perf_counter()
            dmft.solve(sums, **kw)
            end = time.perf_counter()
            timings.setdefault(name, []).append(middle - start)
            timings.setdefault(name + " (GD)", []).append(end - middle)
        for sampling in ("replacement", "epochs"):
            start = time.perf_counter()
            multipass.multipass_runs(
                spec, n_features=math.inf, n_samples=128, batch_size=8, learning_rate=ETA, weight_decay=1e-3,
                times=ETA * np.array([1.0, 10.0, 100.0, 1000.0]), seeds=seeds, sampling=sampling,
            )  # fmt: skip
            timings.setdefault(f"simulator {sampling}", []).append(time.perf_counter() - start)
    rows = []
    for name, *_ in CASES:
        rows.append((name, statistics.median(timings[name]), statistics.median(timings[name + " (GD)"]), STEPS.size))
    for sampling in ("replacement", "epochs"):
        rows.append(
            (
                f"simulator, {sampling}: 100 seeds x 1000 steps",
                statistics.median(timings[f"simulator {sampling}"]),
                math.nan,
                4,
            )
        )
    return rows


def table(rows: list[tuple[str, float, float, int]], repeats: int) -> str:
    lines = [
        f"Measured {datetime.date.today()} on {platform.node() or 'this machine'} ({os.cpu_count()} cores, "
        f"shared; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '')}), median of {repeats} repeats, "
        "`python bench/bench_sgd.py`:",
        "",
        "| case | times | SGD theory (s) | gradient-descent theory (s) | ratio |",
        "|---|---|---|---|---|",
    ]
    for name, sgd_s, gd_s, n_times in rows:
        gd = f"{gd_s:.3f}" if math.isfinite(gd_s) else ""
        ratio = f"{sgd_s / gd_s:.1f}" if math.isfinite(gd_s) else ""
        lines.append(f"| {name} | {n_times} | {sgd_s:.3f} | {gd} | {ratio} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    text = table(run(args.repeats), args.repeats)
    print(text)
    if args.write:
        path = ROOT / "docs" / "performance.md"
        doc = path.read_text()
        start, end = doc.index(MARKER), doc.rindex(MARKER)
        path.write_text(doc[: start + len(MARKER)] + "\n" + text + "\n" + doc[end:])


if __name__ == "__main__":
    main()

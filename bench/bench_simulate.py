"""Benchmark of scaling_dmft.simulate.simulate against the bare BLAS floor (same process).

Floor per seed = the data-times-features product Psi F^T (P x M times M x N, one dgemm on
pre-drawn arrays) + the eigendecomposition of the N x N Gram (scipy.linalg.eigh, same driver as
simulate). Random-number generation is not in the floor; it is timed separately (the standard
normals simulate() draws per seed: F (N x M), X0 (P x N), xi (P)), and it is part of simulate()'s time.

Usage: python bench/bench_simulate.py [--quick] [--write]   (run with OMP/OPENBLAS_NUM_THREADS set)
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy.linalg as sla

from scaling_dmft.simulate import EIGH_DRIVER, seed_generator, simulate
from scaling_dmft.spectra import powerlaw

ROOT = Path(__file__).resolve().parents[1]


def _median_time(fn, repeats: int) -> float:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def bench_size(n: int, p: int, m: int, repeats: int, seeds_per_repeat: int) -> dict:
    spec = powerlaw(2.0, 3.0, m)
    times = np.geomspace(1e-2, 1e6, 30)
    gammas = [0.0, 1e-3, 1e-1]
    rng = np.random.default_rng(0)
    psi = rng.standard_normal((p, m)) * np.sqrt(spec.eigenvalues)
    f = rng.standard_normal((n, m))
    gram = psi @ f.T
    gram = gram.T @ gram

    def floor():
        b = psi @ f.T
        sla.eigh(gram, lower=True, check_finite=False, driver=EIGH_DRIVER)
        return b

    def rng_only():
        g = seed_generator(np.random.SeedSequence(1))
        g.standard_normal((n, m))
        g.standard_normal((p, n))
        g.standard_normal(p)

    base = np.random.SeedSequence(123)

    def sim():
        simulate(spec, n_features=n, n_samples=p, weight_decays=gammas, times=times, seeds=base.spawn(seeds_per_repeat))

    sim()  # warm-up
    t_floor = _median_time(floor, repeats * seeds_per_repeat)
    t_gemm = _median_time(lambda: psi @ f.T, repeats * seeds_per_repeat)
    t_rng = _median_time(rng_only, repeats * seeds_per_repeat)
    t_sim = _median_time(sim, repeats) / seeds_per_repeat
    return {
        "N": n,
        "P": p,
        "M": m,
        "sim": t_sim,
        "floor": t_floor,
        "gemm": t_gemm,
        "eigh": t_floor - t_gemm,
        "rng": t_rng,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repeats, 40 instead of 200 seeds")
    ap.add_argument("--write", action="store_true", help="write the table into docs/performance.md")
    args = ap.parse_args(argv)
    repeats = 3 if args.quick else 7
    rows = [bench_size(256, 256, 4000, repeats, 5), bench_size(512, 512, 4000, repeats, 3)]
    n_many = 40 if args.quick else 200
    spec = powerlaw(2.0, 3.0, 4000)
    t0 = time.perf_counter()
    simulate(
        spec,
        n_features=256,
        n_samples=256,
        weight_decays=[0.0, 1e-3, 1e-1],
        times=np.geomspace(1e-2, 1e6, 30),
        seeds=np.random.SeedSequence(7).spawn(n_many),
    )
    t_many = time.perf_counter() - t0
    threads = os.environ.get("OPENBLAS_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "unset"))
    lines = [
        f"Measured {datetime.date.today().isoformat()} on {platform.node() or 'host'} "
        f"({os.cpu_count()} cores, shared with other jobs), OPENBLAS_NUM_THREADS={threads}, "
        f"numpy {np.__version__}; (alpha, beta) = (2, 3), 30 times, 3 weight decays, median of repeats.",
        "",
        "| N = P | M | simulate per seed | floor (Psi F^T + eigh) | of which dgemm | of which eigh | RNG (in simulate) | ratio sim/floor | ratio (sim - RNG)/floor |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['N']} | {r['M']} | {1e3 * r['sim']:.1f} ms | {1e3 * r['floor']:.1f} ms | {1e3 * r['gemm']:.1f} ms | "
            f"{1e3 * r['eigh']:.1f} ms | {1e3 * r['rng']:.1f} ms ({100 * r['rng'] / r['sim']:.0f} %) | "
            f"{r['sim'] / r['floor']:.2f} | {(r['sim'] - r['rng']) / r['floor']:.2f} |"
        )
    lines += ["", f"{n_many} seeds at N = P = 256, M = 4000 (30 times, 3 weight decays): {t_many:.2f} s wall."]
    table = "\n".join(lines)
    print(table)
    if args.write:
        _write(table)
    return 0


def _write(table: str) -> None:
    path = ROOT / "docs" / "performance.md"
    text = path.read_text() if path.exists() else "# Performance\n"
    marker = "<!-- bench_simulate table -->"
    if marker in text:
        head, _, rest = text.partition(marker)
        _, _, tail = rest.partition(marker)
        text = head + marker + "\n" + table + "\n" + marker + tail
    else:
        print("docs/performance.md: no table marker in the Simulator section; not written", file=sys.stderr)
        return
    path.write_text(text)


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark of spectra from data (scaling_dmft.data, docs/theory/data.md).

Times, in one process, with peak memory (tracemalloc: NumPy buffers):
  * digits (n = 1797, ReLU NNGP): the dense spectrum (Gram matrix + one eigh of K/n);
  * the same with the randomised solver (top 300 modes + tail), and the largest relative change of
    the DMFT error (P = 32..449, t = 10, 1e3, inf, gamma = 1e-3) against the dense spectrum;
  * Gaussian inputs, n = 2e4, d = 64 (covariance j^-1.5), ReLU NNGP, labels sign(x_1 + x_2):
    the randomised solver's top 1000 modes + tail (the dense route would hold K, 3.2 GB, and cost
    ~ n^3 = 8e12 flops). `--n` sets n for this case.
1 BLAS thread expected (set OMP_NUM_THREADS=1).

Usage: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/bench_spectrum.py [--n 20000] [--modes 1000]
"""

from __future__ import annotations

import argparse
import math
import time
import tracemalloc

import numpy as np
import pandas as pd

from scaling_dmft import data, dmft
from scaling_dmft.spectra import spectrum_from_arrays


def _measured(label: str, fn):
    tracemalloc.start()
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{label}: {seconds:.1f} s, peak {peak / 2**20:.0f} MiB")
    return out


def _errors(spec: data.EmpiricalSpectrum, p: int) -> np.ndarray:
    frame = pd.DataFrame({"eigenvalue": spec.eigenvalues, "target_power": spec.target_power})
    sums = dmft.prepare(spectrum_from_arrays(frame).modes())
    ts = np.array([10.0, 1e3, math.inf])
    return dmft.solve(sums, n_features=math.inf, n_samples=p, weight_decay=1e-3, times=ts).signal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--modes", type=int, default=1000)
    args = parser.parse_args()
    x, y = data.load_dataset("digits")
    x = data.standardise(x)
    dense = _measured(
        "digits, dense (n = 1797)", lambda: data.empirical_spectrum(data.kernel_matrix(x, "relu_nngp"), y)
    )
    top, _ = _measured("digits, randomised top 300 + tail", lambda: data.top_spectrum(x, y, "relu_nngp", 300))
    change = max(np.max(np.abs(_errors(top, p) / _errors(dense, p) - 1)) for p in (32, 64, 128, 256, 449))
    print(f"  DMFT error, randomised vs dense spectrum: largest relative change {change:.1e}")
    rng = np.random.default_rng(0)
    big = rng.standard_normal((args.n, 64)) * np.arange(1, 65) ** -0.75
    labels = np.sign(big[:, 0] + big[:, 1])
    spec, r = _measured(
        f"Gaussian inputs n = {args.n}, randomised top {args.modes} + tail",
        lambda: data.top_spectrum(big, labels, "relu_nngp", args.modes),
    )
    fits = data.fitted_exponents(data.EmpiricalSpectrum(spec.eigenvalues[:r], spec.target_power[:r], 0.0, args.n, 1))
    print(f"  alpha {fits['alpha']['value']:.2f}, beta {fits['beta']['value']:.2f} (fitted on the {r} computed modes)")


if __name__ == "__main__":
    main()

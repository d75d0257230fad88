"""The kernel limit at large n by Nystrom, measured against the exact spectrum where it can be
computed (docs/theory/data.md section 8, docs/performance.md "Data sets").

For each data set (ReLU NNGP on the sphere): the exact dense spectrum of K/n, then the Nystrom
spectrum with m landmarks (data.feature_spectrum, route nystrom) and the spectrum of N random ReLU
features (route relu_features) at the same width, and their errors:
  * top-k eigenvalues: the largest |lambda_k(approx) / lambda_k(exact) - 1| over k <= 10 and k <= 100;
  * the theory they predict: the largest |E(approx) / E(exact) - 1| of the DMFT error (kernel limit,
    gamma = 1e-3, t = inf, with each spectrum's unlearnable power added) over P = 8 ... 1024;
  * the time of each route.

Usage: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/bench_nystrom.py [--sets mnist5k patches5k digits]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd

from scaling_dmft import data, dmft
from scaling_dmft.spectra import spectrum_from_arrays

SAMPLES = (8, 32, 128, 512, 1024)
WIDTHS = (128, 256, 512, 1024, 2048)


def _theory(spec: data.EmpiricalSpectrum) -> np.ndarray:
    frame = pd.DataFrame({"eigenvalue": spec.eigenvalues, "target_power": spec.target_power})
    sums = dmft.prepare(spectrum_from_arrays(frame).modes())
    out = []
    for p in SAMPLES:
        e = dmft.solve(sums, n_features=math.inf, n_samples=p, weight_decay=1e-3, times=[math.inf]).signal[0]
        out.append(e + spec.unlearnable)
    return np.array(out)


def _inputs(name: str) -> tuple[np.ndarray, np.ndarray]:
    if name == "patches5k":  # 5000 of the 132 720 patches, the largest n whose exact spectrum is quick
        x, y = data.load_dataset("patches")
        pick = np.random.default_rng(0).choice(x.shape[0], size=5000, replace=False)
        x, y = x[pick], y[pick]
    else:
        x, y = data.load_dataset(name)
    return data.prepare_inputs(x, sphere=True), y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", default=["mnist5k", "patches5k", "digits"])
    args = parser.parse_args()
    print("| data set | n | route | width | time (s) | top-10 eigenvalues | top-100 | theory E(P), P = 8..1024 |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.sets:
        x, y = _inputs(name)
        n = x.shape[0]
        start = time.perf_counter()
        exact = data.empirical_spectrum(data.gram_matrix(x, "relu_nngp"), y, overwrite=True)
        seconds = time.perf_counter() - start
        e_exact = _theory(exact)
        print(f"| {name} | {n} | exact (dense) | {n} | {seconds:.1f} | 0 | 0 | 0 |", flush=True)
        for route in ("nystrom", "relu_features"):
            for width in WIDTHS:
                if width >= n:
                    continue
                start = time.perf_counter()
                approx, _ = data.feature_spectrum(
                    x,
                    y,
                    route=route,
                    kernel="relu_nngp",
                    width=width,
                    seed=np.random.SeedSequence([20261207, width]),
                    diagnostics=False,
                )
                seconds = time.perf_counter() - start
                ratio = approx.eigenvalues[:100] / exact.eigenvalues[: min(100, approx.eigenvalues.size)] - 1
                theory = np.max(np.abs(_theory(approx) / e_exact - 1))
                print(
                    f"| {name} | {n} | {route} | {width} | {seconds:.1f} | {np.max(np.abs(ratio[:10])):.1e} | "
                    f"{np.max(np.abs(ratio)):.1e} | {theory:.1e} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()

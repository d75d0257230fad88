"""Benchmark of the network kernels (scaling_dmft.kernels, docs/theory/kernels.md) and of the
trained-network experiment's parts (scaling_dmft.networks, docs/trained_networks.md).

Times, in one process, with peak memory (tracemalloc: NumPy buffers):
  * the n x n Gram of every network kernel at depths 1..5 on MNIST-5k (n = 5000, d = 663 non-zero
    pixels, on the sphere), and one dense eigh of K/n (the spectrum; its cost does not depend on the
    kernel);
  * one full-batch gradient-descent step of the two-layer network (float32) at P x W = 256 x 256 ...
    2048 x 4096, and one evaluation on all n points;
  * the lazy limit (kernel_descent) on one subset and the DMFT curve (6 steps) per P.
1 BLAS thread expected (set OMP_NUM_THREADS=1).

Usage: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/bench_kernels.py [--n 5000] [--depths 5] [--no-network]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from scaling_dmft import data, kernels, networks


def _measured(label: str, fn, repeats: int = 1):
    tracemalloc.start()
    start = time.perf_counter()
    for _ in range(repeats):
        out = fn()
    seconds = (time.perf_counter() - start) / repeats
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{label}: {seconds:.2f} s, peak {peak / 2**20:.0f} MiB", flush=True)
    return out, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--depths", type=int, default=5)
    parser.add_argument("--no-network", action="store_true")
    args = parser.parse_args()
    x_raw, y = networks.load_mnist()
    x = networks.network_inputs(x_raw[: args.n])
    y = y[: args.n]
    print(f"MNIST: n = {x.shape[0]}, d = {x.shape[1]}")
    gram = None
    for kernel in kernels.NETWORK_KERNELS:
        for depth in range(1, args.depths + 1):
            gram, _ = _measured(f"{kernel} depth {depth}", lambda k=kernel, L=depth: data.kernel_matrix(x, k, depth=L))
    _measured("dense eigh of K/n (data.empirical_spectrum)", lambda: data.empirical_spectrum(gram, y))
    if args.no_network:
        return
    s = networks.setup(x, y)
    ys = s.ys.astype(np.float32)
    xs = x.astype(np.float32)
    rng = np.random.default_rng(0)
    for p, w in ((256, 256), (256, 4096), (2048, 256), (2048, 1024), (2048, 4096)):
        net = networks.init_network(x.shape[1], w, ys.shape[1], rng, dtype=np.float32)
        idx = rng.choice(x.shape[0], size=p, replace=False)
        _measured(f"GD step, P = {p}, W = {w}", lambda net=net, idx=idx: networks.gradients(net, xs[idx], ys[idx]), 3)
        _measured(f"  evaluation on all n, W = {w}", lambda net=net: net(xs))
    for p in (256, 2048):
        idx = rng.choice(x.shape[0], size=p, replace=False)
        _measured(
            f"lazy limit (kernel_descent, 6 steps), P = {p}",
            lambda idx=idx: networks.kernel_descent(
                s.gram[np.ix_(idx, idx)],
                s.gram[:, idx],
                s.ys[idx],
                learning_rate=s.learning_rate,
                steps=[1, 3, 10, 30, 100, 300],
            ),
        )
        _measured(f"DMFT curve (6 steps), P = {p}", lambda p=p: networks.theory(s, p, [1, 3, 10, 30, 100, 300]))


if __name__ == "__main__":
    main()

"""Benchmark of the data jobs at scale (docs/performance.md, "Data sets"): for each `data:` entry of a
config, the spectrum job (rule empirical_spectrum) and the three-way comparison (rule data_curves),
each in a fresh process, with its wall time, its CPU time (user + system: on a shared machine the
closer measure of the work) and peak resident memory (ru_maxrss) beside the estimate the config
check makes (data.entry_cost). The machine's load average is printed first.

Usage: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/bench_data_scale.py config/real_data.yaml \\
           [--entries mnist5k_sphere patches] [--out /tmp/bench]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from scaling_dmft.config import load_config
from scaling_dmft.rules import data_curves_job, empirical_spectrum_job
config, name, job, spectrum, out = sys.argv[1:6]
cfg = load_config(config)
entry = cfg["data"][name]
start = time.perf_counter()
if job == "spectrum":
    empirical_spectrum_job(name, entry, spectrum, cfg["simulation"]["base_seed"])
else:
    data_curves_job(name, entry, cfg["regimes"], cfg["simulation"]["base_seed"], spectrum, out)
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak_gb": usage.ru_maxrss * 1024 / 1e9}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--entries", nargs="*", default=None)
    parser.add_argument(
        "--out", default=None, help="folder for the spectrum and curve files (default: a temporary one)"
    )
    args = parser.parse_args()
    from scaling_dmft.config import load_config
    from scaling_dmft.data import entry_cost, entry_shape

    cfg = load_config(args.config)
    print("load average (1, 5, 15 min): " + ", ".join(f"{v:.1f}" for v in os.getloadavg()), flush=True)
    folder = Path(args.out or tempfile.mkdtemp(prefix="bench_data_"))
    folder.mkdir(parents=True, exist_ok=True)
    for name in args.entries or list(cfg["data"]):
        entry = cfg["data"][name]
        n, d = entry_shape(entry)
        estimate = entry_cost(entry, n, d, 10 if entry.get("dataset") in ("digits", "mnist5k") else 1)
        spectrum, curves = folder / f"{name}.parquet", folder / f"{name}.curves.parquet"
        for job in ("spectrum", "curves"):
            start = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-c", CHILD, args.config, name, job, str(spectrum), str(curves)],
                capture_output=True,
                text=True,
            )
            wall = time.perf_counter() - start
            if proc.returncode != 0:
                print(f"{name} {job}: failed\n{proc.stderr[-2000:]}")
                break
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            print(
                f"{name:22s} {job:8s} n = {n:6d}: {result['seconds']:7.1f} s in the job ({wall:6.1f} s with start-up, "
                f"{result['cpu']:6.1f} s CPU), "
                f"peak {result['peak_gb']:.2f} GB (estimate {estimate[job].bytes / 1e9:.2f} GB, "
                f"~{estimate[job].seconds:.0f} s nominal)",
                flush=True,
            )


if __name__ == "__main__":
    main()

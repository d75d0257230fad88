"""The Python front door against the command line for the same simulation query (issue 23).

    python bench/bench_api.py [REPEATS]

The query of docs/examples/api.py: 32 seeds at N = 512, P = 256, M = 4000, weight decay 1e-3,
label noise 0.5, 25 times. Each run is a fresh process whose environment has no thread variables
(OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS removed), as a user's shell has them:

  cli        `scaling-dmft simulate ... --out FILE` (the CLI pins one BLAS thread by default)
  api        `python -c "import scaling_dmft as sd; sd.simulate_curve(...)"` (the library pins one
             BLAS thread per call by default)
  api, all threads   the same call with threads=None (the process's default BLAS pool): what the
             library cost before it pinned threads

Both wall times include the interpreter's start-up and imports. Runs alternate (cli, api, ...) so
that a change in the machine's load hits both; the median of REPEATS runs each is reported, with the
ratio api / cli measured in this one run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUERY = dict(alpha=2.0, beta=3.0, n_modes=4000, n_features=512, n_samples=256, weight_decay=1e-3, noise=0.5, seeds=32)
CLI_FLAGS = [
    "--alpha", "2", "--beta", "3", "--n-modes", "4000", "--n-features", "512", "--n-samples", "256",
    "--weight-decay", "1e-3", "--noise", "0.5", "--seeds", "32", "--times", "0.1:1e5:25",
]  # fmt: skip
API_CALL = (
    "import numpy as np, scaling_dmft as sd; "
    "sd.simulate_curve(alpha=2, beta=3, n_modes=4000, n_features=512, n_samples=256, weight_decay=1e-3, noise=0.5, "
    "seeds=32, times={{'start': 0.1, 'stop': 1e5, 'count': 25, 'include_inf': False}}, threads={threads})"
)


def _clean_env() -> dict:
    env = {
        k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    }
    env["PYTHONWARNINGS"] = "ignore"
    return env


def _timed(argv: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=_clean_env(), capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed: {done.stderr[-2000:]}")
    return wall


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    cli = str(Path(sys.executable).with_name("scaling-dmft"))
    out = Path(tempfile.mkdtemp()) / "sim.parquet"
    runs: dict[str, list[float]] = {"cli": [], "api": [], "api, all threads": []}
    for _ in range(repeats):
        runs["cli"].append(_timed([cli, "simulate", *CLI_FLAGS, "--out", str(out)]))
        runs["api"].append(_timed([sys.executable, "-c", API_CALL.format(threads=1)]))
        runs["api, all threads"].append(_timed([sys.executable, "-c", API_CALL.format(threads=None)]))
    median = {k: statistics.median(v) for k, v in runs.items()}
    print(f"simulate_curve vs scaling-dmft simulate: {QUERY}, 25 times; {os.cpu_count()} cores; median of {repeats}")
    print("| run | wall (s), median | runs (s) | / cli |")
    print("|---|---|---|---|")
    for name, values in runs.items():
        listed = ", ".join(f"{v:.2f}" for v in values)
        print(f"| {name} | {median[name]:.2f} | {listed} | {median[name] / median['cli']:.2f} |")


if __name__ == "__main__":
    main()

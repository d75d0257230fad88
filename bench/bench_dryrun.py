"""Dry run of a 1e4-point grid: how long Snakemake needs to parse, expand and plan it.

Usage: python bench/bench_dryrun.py [--points-per-axis 10]
Prints the number of points, jobs and the wall time of `snakemake -n` (median of 3).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def grid_config(n: int) -> dict:
    """n^4 theory points (alpha x beta x N x P) and n^2 simulated disorder points."""
    alphas = [round(1.2 + 0.2 * i, 3) for i in range(n)]
    betas = [round(1.3 + 0.3 * i, 3) for i in range(n)]
    sizes = [int(16 * 2 ** (i / 2)) for i in range(n)]
    return {
        "run_name": "bench",
        "n_modes": 4000,
        "regimes": [{"name": "gf", "kind": "gf", "weight_decay": 0.0, "temperature": 0.0}],
        "simulation": {"seeds": 200},
        "chunks": {"dmft_points": 100, "sim_groups": 1},
        "sweeps": {
            "theory": {"alpha": alphas, "beta": betas, "n_features": sizes, "n_samples": sizes, "regimes": ["gf"]},
            "sim": {
                "alpha": alphas[:2],
                "beta": betas[:2],
                "n_features": sizes[: n // 2],
                "n_samples": sizes[: n // 2],
                "regimes": ["gf"],
                "simulate": True,
            },
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points-per-axis", type=int, default=10)
    args = parser.parse_args()
    n = args.points_per_axis
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "grid.yaml"
        path.write_text(yaml.safe_dump(grid_config(n)))
        times, out = [], None
        for _ in range(3):
            start = time.perf_counter()
            out = subprocess.run(
                [
                    snakemake,
                    "-n",
                    "--quiet",
                    "rules",
                    "--cores",
                    "2",
                    "--snakefile",
                    str(ROOT / "Snakefile"),
                    "--configfile",
                    str(path),
                    "--directory",
                    tmp,
                ],
                capture_output=True,
                text=True,
            )
            times.append(time.perf_counter() - start)
            if out.returncode != 0:
                sys.exit(out.stderr[-3000:])
        jobs = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", out.stdout, re.M)}
    points = n**4 + (2 * 2 * (n // 2) ** 2)
    print("| points | jobs (total) | dmft jobs | simulate jobs | dry run wall (median of 3) |")
    print("|---|---|---|---|---|")
    print(
        f"| {points} | {jobs.get('total')} | {jobs.get('dmft')} | {jobs.get('simulate')} | {statistics.median(times):.1f} s |"
    )


if __name__ == "__main__":
    main()

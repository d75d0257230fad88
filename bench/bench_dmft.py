"""Benchmark of the deterministic DMFT solver (scaling_dmft.dmft.solve).

One 100-time curve (log-spaced 1e-1..1e6; finite N = P = 512, gamma = 1e-3, i.e. all four components:
signal, label noise, init, thermal), (alpha, beta) = (1.5, 1.5):
  * M = 4000 exact sums (Spectrum.modes(exact_modes=4000)), with the solver's panel compression of
    the mode sums (default) and without it (compress=False, plain sums over the 4000 modes);
  * M = 1e6 with Spectrum.modes() (1000 exact modes + Gauss-Legendre tail, 1240 nodes);
and, when scaling_dmft.simulate exists, one simulation seed at M = 4000, N = P = 512 (same 100
times, one weight decay), timed in the same process, interleaved with the curves in every repeat.
Median of repeats; 1 BLAS thread expected.

Usage: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/bench_dmft.py [--repeats R] [--write]
(--write replaces the table between the markers in docs/performance.md, section "## DMFT solver").
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from scaling_dmft import dmft
from scaling_dmft.spectra import powerlaw

ROOT = Path(__file__).resolve().parents[1]
MARKER = "<!-- bench_dmft table -->"
TIMES = np.logspace(-1, 6, 100)


def run(repeats: int) -> tuple[list[dict], dict | None]:
    """Cases and the simulation seed interleaved in every repeat (the machine is shared: drifts hit all alike)."""
    kw = dict(n_features=512, n_samples=512, weight_decay=1e-3, times=TIMES)
    cases = [
        ("M = 4000, exact sums, compressed (default)", powerlaw(1.5, 1.5, 4000).modes(exact_modes=4000), True),
        ("M = 4000, exact sums, compress=False", powerlaw(1.5, 1.5, 4000).modes(exact_modes=4000), False),
        ("M = 1e6, Spectrum.modes() (1240 nodes)", powerlaw(1.5, 1.5, 10**6).modes(), True),
    ]
    try:
        from scaling_dmft.simulate import simulate
    except ImportError:
        simulate = None
    spec = powerlaw(1.5, 1.5, 4000)
    seed = [np.random.SeedSequence(7)]
    jobs = [(lambda m=modes, c=comp: dmft.solve(m, compress=c, **kw)) for _, modes, comp in cases]
    if simulate is not None:
        jobs.append(
            lambda: simulate(spec, n_features=512, n_samples=512, weight_decays=[1e-3], times=TIMES, seeds=seed)
        )
    for job in jobs:  # warm-up (imports, caches)
        job()
    times = [[] for _ in jobs]
    results = [None] * len(jobs)
    for _ in range(repeats):
        for i, job in enumerate(jobs):
            t0 = time.perf_counter()
            results[i] = job()
            times[i].append(time.perf_counter() - t0)
    rows = []
    for i, (label, _, _) in enumerate(cases):
        d = results[i].diagnostics
        rows.append(
            {
                "case": label,
                "seconds": statistics.median(times[i]),
                "nodes": d["n_sum_nodes"],
                "windows": d["windows"],
                "evals": d["kappa_evaluations"],
                "steps": d["steps"],
            }
        )
    comp_res, ref = results[0], results[1]
    rows[0]["max_rel_diff_vs_plain"] = max(
        float(np.max(np.abs(getattr(comp_res, n) - getattr(ref, n))) / np.max(np.abs(getattr(ref, n))))
        for n in ("signal", "noise", "init", "thermal")
    )
    sim = {"seconds": statistics.median(times[-1])} if simulate is not None else None
    return rows, sim


def table(rows, sim, repeats: int) -> str:
    now = datetime.datetime.now().strftime("%Y-%m-%d")
    lines = [
        f"Measured {now} on {platform.node()} ({os.cpu_count()} cores, shared), "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, numpy {np.__version__}; "
        "100 times 1e-1..1e6, N = P = 512, gamma = 1e-3, (alpha, beta) = (1.5, 1.5); "
        f"median of {repeats} repeats, the cases and the seed interleaved in every repeat.",
        "",
        "| case | sum nodes | Talbot windows | kappa evaluations | march steps | wall per curve | seed / curve |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = f"{sim['seconds'] / r['seconds']:.2f}" if sim else "n/a"
        lines.append(
            f"| {r['case']} | {r['nodes']} | {r['windows']} | {r['evals']} | {r['steps']} | {1e3 * r['seconds']:.1f} ms | {ratio} |"
        )
    if sim:
        lines.append(
            f"| one simulation seed (M = 4000, N = P = 512, 100 times, 1 gamma) | - | - | - | - | {1e3 * sim['seconds']:.1f} ms | 1 |"
        )
    lines.append("")
    lines.append(
        f"Compressed vs plain mode sums at M = 4000: max relative difference {rows[0]['max_rel_diff_vs_plain']:.1e} (over the four curves)."
    )
    return "\n".join(lines)


def _write(text: str) -> None:
    path = ROOT / "docs" / "performance.md"
    doc = path.read_text() if path.exists() else "# Performance\n"
    if MARKER in doc:
        head, _, rest = doc.partition(MARKER)
        _, _, tail = rest.partition(MARKER)
        doc = head + MARKER + "\n" + text + "\n" + MARKER + tail
    else:
        doc = doc.rstrip("\n") + "\n\n## DMFT solver\n\n" + MARKER + "\n" + text + "\n" + MARKER + "\n"
    path.write_text(doc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=21)
    ap.add_argument("--write", action="store_true", help="write the table into docs/performance.md")
    args = ap.parse_args()
    rows, sim = run(args.repeats)
    text = table(rows, sim, args.repeats)
    print(text)
    if args.write:
        _write(text)


if __name__ == "__main__":
    main()

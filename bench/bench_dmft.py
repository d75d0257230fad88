"""Benchmark of the deterministic DMFT solver (scaling_dmft.dmft.solve).

One 100-time curve (log-spaced 1e-1..1e6; finite N = P = 512, gamma = 1e-3, i.e. all four components:
signal, label noise, init, thermal), (alpha, beta) = (1.5, 1.5):
  * M = 4000 exact sums (Spectrum.modes(exact_modes=4000)), with the solver's panel compression of
    the mode sums (default) and without it (compress=False, plain sums over the 4000 modes);
  * M = 1e6 with Spectrum.modes() (1000 exact modes + Gauss-Legendre tail, 1240 nodes);
and, when scaling_dmft.simulate exists, one simulation seed at M = 4000, N = P = 512 (same 100
times, one weight decay), timed in the same process. Median of repeats; 1 BLAS thread expected.

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
from scaling_dmft.spectrum import powerlaw

ROOT = Path(__file__).resolve().parents[1]
MARKER = "<!-- bench_dmft table -->"
TIMES = np.logspace(-1, 6, 100)


def _median_time(fn, repeats: int) -> tuple[float, object]:
    out, res = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out), res


def run(repeats: int) -> tuple[list[dict], dict | None]:
    rows = []
    kw = dict(n_features=512, n_samples=512, weight_decay=1e-3, times=TIMES)
    cases = [
        ("M = 4000, exact sums, compressed (default)", powerlaw(1.5, 1.5, 4000).modes(exact_modes=4000), True),
        ("M = 4000, exact sums, compress=False", powerlaw(1.5, 1.5, 4000).modes(exact_modes=4000), False),
        ("M = 1e6, Spectrum.modes() (1240 nodes)", powerlaw(1.5, 1.5, 10**6).modes(), True),
    ]
    ref = None
    for label, modes, comp in cases:
        sec, res = _median_time(lambda: dmft.solve(modes, compress=comp, **kw), repeats)
        d = res.diagnostics
        row = {"case": label, "seconds": sec, "nodes": d["n_sum_nodes"], "evals": d["kappa_evaluations"], "steps": d["steps"]}
        if comp is False:
            ref = res
        rows.append(row)
    # accuracy of the compression at M = 4000
    comp_res = dmft.solve(cases[0][1], **kw)
    rows[0]["max_rel_diff_vs_plain"] = max(
        float(np.max(np.abs(getattr(comp_res, n) - getattr(ref, n))) / np.max(np.abs(getattr(ref, n))))
        for n in ("signal", "noise", "init", "thermal")
    )
    sim = None
    try:
        from scaling_dmft.simulate import simulate
    except ImportError:
        simulate = None
    if simulate is not None:
        spec = powerlaw(1.5, 1.5, 4000)
        seed = [np.random.SeedSequence(7)]
        sec, _ = _median_time(
            lambda: simulate(spec, n_features=512, n_samples=512, weight_decays=[1e-3], times=TIMES, seeds=seed), repeats
        )
        sim = {"seconds": sec}
    return rows, sim


def table(rows, sim) -> str:
    now = datetime.datetime.now().strftime("%Y-%m-%d")
    lines = [
        f"Measured {now} on {platform.node()} ({os.cpu_count()} cores, shared), "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, numpy {np.__version__}; "
        "100 times 1e-1..1e6, N = P = 512, gamma = 1e-3, (alpha, beta) = (1.5, 1.5), median of repeats.",
        "",
        "| case | sum nodes | kappa evaluations | march steps | wall per curve | seed / curve |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = f"{sim['seconds'] / r['seconds']:.2f}" if sim else "n/a"
        lines.append(f"| {r['case']} | {r['nodes']} | {r['evals']} | {r['steps']} | {1e3 * r['seconds']:.1f} ms | {ratio} |")
    if sim:
        lines.append(f"| one simulation seed (M = 4000, N = P = 512, 100 times, 1 gamma) | - | - | - | {1e3 * sim['seconds']:.1f} ms | 1 |")
    lines.append("")
    lines.append(f"Compressed vs plain mode sums at M = 4000: max relative difference {rows[0]['max_rel_diff_vs_plain']:.1e} (over the four curves).")
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
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--write", action="store_true", help="write the table into docs/performance.md")
    args = ap.parse_args()
    rows, sim = run(args.repeats)
    text = table(rows, sim)
    print(text)
    if args.write:
        _write(text)


if __name__ == "__main__":
    main()

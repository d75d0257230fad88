"""Trained two-layer ReLU networks on MNIST-5k against the NTK theory: the numbers and the figure of
docs/trained_networks.md.

A network of width W in NTK parameterisation (scaling_dmft.networks), trained by full-batch gradient
descent on P digits (one-vs-rest +-1 targets, 10 outputs), against (i) the lazy limit: kernel gradient
descent with the exact relu_ntk kernel on the same P digits, and (ii) the DMFT on the relu_ntk
spectrum of all 5000 digits. Inputs: raw pixels projected onto the sphere |x| = sqrt(d). The rows (one
per P, W, seed, step) are appended to --rows as each subset finishes, and a rerun skips what is
there; the summary tables are printed and the figure is drawn from them.

Run: .venv/bin/python docs/examples/trained_network.py            (the full grid: ~45 min on 1 core)
     .venv/bin/python docs/examples/trained_network.py --quick    (1000 digits, a small grid: ~20 s)
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import pandas as pd

from scaling_dmft import networks

FULL = dict(samples=[64, 128, 256, 512, 1024, 2048], widths=[64, 256, 1024, 4096], steps=[1, 3, 10, 30, 100, 300])
QUICK = dict(samples=[64, 128], widths=[64, 256], steps=[1, 10, 30])
QUICK_STRIDE = 5  # --quick: every 5th digit, 100 per class (a smoke run, not the documented numbers)
# the linearised networks (same subsets and initialisations): P -> widths (they cost what the networks do)
LINEARISED = {
    "full": {64: [64, 256, 1024, 4096], 256: [64, 256, 1024, 4096], 1024: [64, 256, 1024]},
    "quick": {64: [64, 256]},
}
# seeds (subset and initialisation draws) per P; 3 at P = 2048, where one seed costs ~200 core-s
SEEDS = {"full": {64: 4, 128: 4, 256: 4, 512: 4, 1024: 4, 2048: 3}, "quick": {64: 2, 128: 2}}
BASE_SEED = 20261208


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small grid (for a test)")
    parser.add_argument("--rows", default="results/trained_network/rows.csv", help="rows file (appended, resumed)")
    parser.add_argument("--figure", default=None, help="write the figure here (.png / .pdf)")
    parser.add_argument(
        "--linearised", default=None, help="also train the linearised networks (LINEARISED), rows to this file"
    )
    parser.add_argument("--samples", default=None, help="only these P (comma-separated; to split the run)")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per P (default: SEEDS)")
    args = parser.parse_args(argv)
    grid, seeds = (QUICK, SEEDS["quick"]) if args.quick else (FULL, SEEDS["full"])
    seeds = seeds if args.seeds is None else dict.fromkeys(grid["samples"], args.seeds)
    if args.samples:
        grid = {**grid, "samples": [int(p) for p in args.samples.split(",")]}
    rows_path = Path(args.rows)
    rows_path.parent.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    x_raw, y = networks.load_mnist()
    if args.quick:
        x_raw, y = x_raw[::QUICK_STRIDE], y[::QUICK_STRIDE]  # the file is sorted by digit
    x = networks.network_inputs(x_raw)  # raw pixels, zero pixels dropped, on the sphere
    s = networks.setup(x, y, seed=BASE_SEED)
    print(
        f"MNIST{'-5k' if not args.quick else ' (every 5th digit)'}: n = {x.shape[0]}, d = {x.shape[1]} non-zero pixels; relu_ntk spectrum lambda_1 = "
        f"{s.lambda_1:.4f}; learning rate eta = 1/lambda_1 = {s.learning_rate:.4f} "
        f"({time.perf_counter() - start:.0f} s for the kernel and its spectrum)"
    )
    done = pd.read_csv(rows_path) if rows_path.exists() else pd.DataFrame(columns=["n_samples", "seed", "width"])
    finished = {
        (int(p), int(i)) for (p, i), g in done.groupby(["n_samples", "seed"]) if set(g["width"]) >= set(grid["widths"])
    }
    for p in grid["samples"]:
        for i in range(seeds[p]):
            if (p, i) in finished:
                continue
            tick = time.perf_counter()
            rows = networks.subset_runs(s, p, i, grid["widths"], grid["steps"], base_seed=BASE_SEED)
            pd.DataFrame(rows).to_csv(rows_path, mode="a", header=not rows_path.exists(), index=False)
            last = rows[-1]
            print(
                f"P = {p}, seed {i}: {time.perf_counter() - tick:.0f} s; at step {last['step']}, W = {last['width']}: "
                f"network {last['network']:.4f}, lazy {last['lazy']:.4f}"
            )
    linearised = LINEARISED["quick" if args.quick else "full"]
    if args.linearised:
        lin_path = Path(args.linearised)
        have = pd.read_csv(lin_path) if lin_path.exists() else pd.DataFrame(columns=["n_samples", "seed", "width"])
        have_keys = {
            (int(p), int(i))
            for (p, i), g in have.groupby(["n_samples", "seed"])
            if set(g["width"]) >= set(linearised.get(p, []))
        }
        for p, widths in linearised.items():
            for i in range(seeds.get(p, 0) if p in grid["samples"] else 0):
                if (p, i) in have_keys:
                    continue
                tick = time.perf_counter()
                rows = networks.linearised_runs(s, p, i, widths, grid["steps"], base_seed=BASE_SEED)
                pd.DataFrame(rows).to_csv(lin_path, mode="a", header=not lin_path.exists(), index=False)
                print(f"P = {p}, seed {i}: linearised networks, {time.perf_counter() - tick:.0f} s")
    frame = pd.read_csv(rows_path)
    if args.linearised and Path(args.linearised).exists():
        lin = pd.read_csv(args.linearised)
        frame = frame.merge(lin, on=["n_samples", "width", "seed", "step"], how="left")
    frame = frame[frame["n_samples"].isin(grid["samples"]) & frame["width"].isin(grid["widths"])]
    frame = frame[frame["step"].isin(grid["steps"]) & (frame["seed"] < frame["n_samples"].map(seeds))]
    dmft_errors = {}
    for p in grid["samples"]:
        values, flags = networks.theory(s, p, grid["steps"])
        dmft_errors.update({(p, k): (float(v), str(f)) for k, v, f in zip(grid["steps"], values, flags, strict=True)})
    table = pd.DataFrame(networks.summary(frame.to_dict("records"), dmft_errors))
    print_tables(table, grid)
    if "linearised" in table:
        print_decomposition(table, grid)
    edge = float(frame["lazy_eta_edge"].max())
    print(f"largest eta lambda_max(Theta_PP / P) over the subsets: {edge:.3f} (the lazy descent is stable below 2)")
    if args.figure:
        from scaling_dmft.figures import trained_networks

        curves = {p: networks.theory(s, p, list(range(1, max(grid["steps"]) + 1))) for p in grid["samples"]}
        fig = trained_networks.draw(
            table, curves, s.learning_rate, name="MNIST, every 5th digit" if args.quick else "MNIST-5k"
        )
        fig.savefig(args.figure, dpi=200)
        print(f"figure: {args.figure}")
    print(f"total {time.perf_counter() - start:.0f} s")


def _cell(dev: float, z: float) -> str:
    return f"{dev * 100:+.1f} % ({z:+.1f})" if math.isfinite(z) else f"{dev * 100:+.1f} %"


def print_tables(table: pd.DataFrame, grid: dict) -> None:
    last = max(grid["steps"])
    print(f"\nDMFT vs trained network, whole set, at step {last}: (theory - network) / network (z)")
    print("| P | DMFT | lazy limit | " + " | ".join(f"W = {w}" for w in grid["widths"]) + " |")
    print("|---|---|---|" + "---|" * len(grid["widths"]))
    for p in grid["samples"]:
        rows = table[(table["n_samples"] == p) & (table["step"] == last)].set_index("width")
        first = rows.iloc[0]
        cells = [_cell(rows.loc[w, "dmft_vs_network"], rows.loc[w, "dmft_vs_network_z"]) for w in grid["widths"]]
        lazy = _cell(first["dmft_vs_lazy"], first["dmft_vs_lazy_z"])
        print(f"| {p} | {first['dmft']:.4f} | {lazy} | " + " | ".join(cells) + " |")
    print(f"\nlazy limit vs trained network, paired on the same subsets, at step {last}: whole set / held out")
    print("| P | " + " | ".join(f"W = {w}" for w in grid["widths"]) + " |")
    print("|---|" + "---|" * len(grid["widths"]))
    for p in grid["samples"]:
        rows = table[(table["n_samples"] == p) & (table["step"] == last)].set_index("width")
        cells = [
            _cell(rows.loc[w, "lazy_vs_network"], rows.loc[w, "lazy_vs_network_z"])
            + " / "
            + _cell(rows.loc[w, "lazy_vs_network_heldout"], rows.loc[w, "lazy_vs_network_heldout_z"])
            for w in grid["widths"]
        ]
        print(f"| {p} | " + " | ".join(cells) + " |")
    print("\nDMFT vs trained network over training, whole set (rows: P, W; columns: steps)")
    print("| P | W | " + " | ".join(f"k = {k}" for k in grid["steps"]) + " | NTK moved |")
    print("|---|---|" + "---|" * (len(grid["steps"]) + 1))
    for p in grid["samples"]:
        for w in grid["widths"]:
            rows = table[(table["n_samples"] == p) & (table["width"] == w)].set_index("step")
            cells = [_cell(rows.loc[k, "dmft_vs_network"], rows.loc[k, "dmft_vs_network_z"]) for k in grid["steps"]]
            print(f"| {p} | {w} | " + " | ".join(cells) + f" | {rows['ntk_moved'].iloc[0]:.3f} |")
    flagged = table[table["dmft_flag"].astype(str).str.len() > 0]
    if len(flagged):
        print("\nDMFT flags:", sorted(set(flagged["dmft_flag"])))


def print_decomposition(table: pd.DataFrame, grid: dict) -> None:
    last = max(grid["steps"])
    rows = table[(table["step"] == last) & table["linearised"].notna()].sort_values(["n_samples", "width"])
    print(f"\nthe network's excess over the lazy limit at step {last}, split (paired, (a - b) / b with z):")
    print(
        "| P | W | lazy vs network | linearised vs network (training moved the kernel) | lazy vs linearised (initial kernel at width W) | NTK moved | eta lambda_max, linearised |"
    )
    print("|---|---|---|---|---|---|---|")
    for _, r in rows.iterrows():
        print(
            f"| {r['n_samples']} | {r['width']} | {_cell(r['lazy_vs_network'], r['lazy_vs_network_z'])} | "
            + (
                f"{_cell(r['linearised_vs_network'], r['linearised_vs_network_z'])} | "
                f"{_cell(r['lazy_vs_linearised'], r['lazy_vs_linearised_z'])} | "
                if r["linearised_eta_edge"] < 2.0
                else "the linearised descent diverges | (eta lambda_max >= 2) | "
            )
            + f"{r['ntk_moved']:.3f} | "
            f"{r['linearised_eta_edge']:.2f} |"
        )


if __name__ == "__main__":
    main()

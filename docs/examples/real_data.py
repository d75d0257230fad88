"""Theory against training on real data: the numbers of docs/theory/data.md, section 5.

For scikit-learn's bundled digits and breast-cancer sets (ReLU NNGP kernel, standardised inputs),
the DMFT with the data's own spectrum against kernel gradient flow on 40 random subsets of P points
per P, tested on the whole set, weight decay 1e-3, at t = 10, 1e3 and inf; then, on digits at
P = 256, N random ReLU features of the inputs (20 draws of subset and weights) against the DMFT
with N features.

Run: .venv/bin/python docs/examples/real_data.py   (about a minute on 2 cores)
"""

from __future__ import annotations

import math

from scaling_dmft import data

SETTINGS = {"digits": [16, 32, 64, 128, 256, 449], "breast_cancer": [16, 32, 64, 142]}  # P <= n/4


def main() -> None:
    for name, samples in SETTINGS.items():
        x, y = data.load_dataset(name)
        gram = data.kernel_matrix(data.standardise(x), "relu_nngp")
        rows = data.theory_vs_data(
            gram, y, samples=samples, weight_decay=1e-3, times=[10.0, 1e3, math.inf], subsets=40, seed=20261201
        )
        print(f"\n{name} (n = {x.shape[0]}): theory vs data, relative deviation (z)")
        print("| P | t = 10 | t = 1e3 | t = inf |")
        print("|---|---|---|---|")
        for p in samples:
            cells = [
                f"{(r['theory'] - r['data']) / r['data'] * 100:+.1f} % ({(r['theory'] - r['data']) / r['data_sem']:+.1f})"
                for r in rows
                if r["n_samples"] == p
            ]
            print(f"| {p} | " + " | ".join(cells) + " |")
    x, y = data.load_dataset("digits")
    inputs = data.standardise(x)
    gram = data.kernel_matrix(inputs, "relu_nngp")
    print("\ndigits, P = 256, N random ReLU features: theory vs data, relative deviation (z)")
    print("| N | t = 10 | t = 1e3 | t = inf |")
    print("|---|---|---|---|")
    for width in (64, 256, 1024):
        rows = data.theory_vs_data(
            gram,
            y,
            samples=[256],
            weight_decay=1e-3,
            times=[10.0, 1e3, math.inf],
            subsets=20,
            seed=20261201,
            inputs=inputs,
            n_features=width,
        )
        cells = [
            f"{(r['theory'] - r['data']) / r['data'] * 100:+.1f} % ({(r['theory'] - r['data']) / r['data_sem']:+.1f})"
            for r in rows
        ]
        print(f"| {width} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

"""Theory against training on real data: the numbers of docs/theory/data.md, section 4.

For scikit-learn's bundled digits and breast-cancer sets (ReLU NNGP kernel on standardised inputs,
and digits also on the sphere |x| = sqrt(d)), the DMFT with the data's own spectrum against kernel
gradient flow on 40 random subsets of P points per P, tested on the whole set, weight decay 1e-3,
at t = 10, 1e3 and inf. The workflow's `data:` section runs the same comparison with the Gaussian
simulation, Langevin training and N random ReLU features too (`snakemake data`).

Run: .venv/bin/python docs/examples/real_data.py   (about a minute on 2 cores)
     .venv/bin/python docs/examples/real_data.py --quick   (digits, P = 16 and 64, 8 subsets: a smoke run)
"""

from __future__ import annotations

import math
import sys

from scaling_dmft import data

# (data set, projected onto the sphere?, P values <= n/4)
SETTINGS = [
    ("digits", False, [16, 32, 64, 128, 256, 449]),
    ("digits", True, [16, 32, 64, 128, 256, 449]),
    ("breast_cancer", False, [16, 32, 64, 142]),
]
# --quick: digits at two P with 8 subsets (a smoke run: tests/test_examples.py runs it)
QUICK = "--quick" in sys.argv[1:]


def main() -> None:
    for name, sphere, samples in [("digits", False, [16, 64])] if QUICK else SETTINGS:
        x, y = data.load_dataset(name)
        inputs = data.standardise(x)
        inputs = data.to_sphere(inputs) if sphere else inputs
        gram = data.kernel_matrix(inputs, "relu_nngp")
        rows = data.theory_vs_data(
            gram,
            y,
            samples=samples,
            weight_decay=1e-3,
            times=[10.0, 1e3, math.inf],
            subsets=8 if QUICK else 40,
            seed=20261201,
        )
        inputs_text = "on the sphere" if sphere else "standardised"
        print(f"\n{name} (n = {x.shape[0]}, {inputs_text}): theory vs data, relative deviation (z)")
        print("| P | t = 10 | t = 1e3 | t = inf |")
        print("|---|---|---|---|")
        for p in samples:
            cells = [
                f"{(r['theory'] - r['data']) / r['data'] * 100:+.1f} % ({(r['theory'] - r['data']) / r['data_sem']:+.1f})"
                for r in rows
                if r["n_samples"] == p
            ]
            print(f"| {p} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

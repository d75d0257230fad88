"""The Python API in one runnable page (tests/test_api_example.py runs it, so it cannot rot).

    python docs/examples/api.py [OUTPUT_FOLDER]

1. a theory curve (DMFT) for a power-law spectrum: one call, the config's names and defaults;
2. the exact simulation of the same point, seed-averaged, and how close the two are;
3. the theory for your own spectrum (eigenvalues and target powers as arrays);
4. the typed parameter point behind every call, and the theory solver it feeds;
5. writing, reading and plotting the tables (with seaborn).
Units and symbols: docs/theory/model.md. Every call pins one BLAS thread unless `threads=` is given.
"""

import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
import seaborn as sns

import scaling_dmft as sd
from scaling_dmft import tables
from scaling_dmft.dmft import solve_point

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
out.mkdir(parents=True, exist_ok=True)

# 1. Theory: lambda_k = k^-2, c_k = k^-3, M = 4000 modes, P = 256 samples, N = 512 random features,
#    weight decay gamma = 1e-3, label noise sigma = 0.5; times in mean-loss units, t = inf = ridge limit.
point = dict(alpha=2.0, beta=3.0, n_modes=4000, n_features=512, n_samples=256, weight_decay=1e-3, noise=0.5)
times = [*np.geomspace(0.1, 1e5, 25).tolist(), math.inf]
theory = sd.learning_curve(**point, times=times)
print(f"theory: E_g(t=0.1) = {theory['eg'].iloc[0]:.4f}, E_g(t=inf) = {theory['eg'].iloc[-1]:.4f}")

# 2. Exact simulation of the same point: one draw of data and features per seed, exact averages over
#    label noise and initialisation; the seeds derive from the point (the same call, the same rows).
sim = sd.simulate_curve(**point, times=times, seeds=32)
z = (sim["eg"] - theory["eg"]) / sim["eg_sem"]
print(
    f"simulation: E_g(t=inf) = {sim['eg'].iloc[-1]:.4f} +- {sim['eg_sem'].iloc[-1]:.4f}; "
    f"theory - simulation within {np.abs(z).max():.1f} s.e."
)

# 3. Your own spectrum: any positive non-increasing eigenvalues with non-negative target powers.
k = np.arange(1, 2001, dtype=float)
mine = sd.spectrum(eigenvalues=k**-1.7 * np.exp(-k / 1500), target_power=k**-2.2)
kernel = sd.learning_curve(spectrum=mine, n_samples=1000, weight_decay=1e-4, times=[math.inf])
print(f"own spectrum: E_g(t=inf) at P = 1000, gamma = 1e-4: {kernel['eg'].iloc[0]:.5f}")

# 4. The typed point behind every call: a model (spectrum, N, P), a regime (gamma, T, sigma, sigma0),
#    an optimizer (gradient flow here) and times; the theory solver takes it and returns the error
#    components per unit sigma^2, sigma0^2 and T (the tables hold them times those factors).
typed = sd.Point(
    sd.Model(sd.SpectrumSpec(2.0, 3.0, 4000), n_features=512, n_samples=256),
    sd.Regime("gf_wd", weight_decay=1e-3, noise=0.5),
    times=(10.0, 1000.0),
)
components = solve_point(typed)
print(
    f"typed point: E_n(t=1000) = {components.noise[-1]:.4f} per sigma^2 -> eg_noise = {0.25 * components.noise[-1]:.4f}"
)

# 5. Tables: the same rows the CLI and the workflow write (scaling_dmft.tables), with their provenance.
frame = pd.concat([theory, sim], ignore_index=True)
tables.write_table(tables.sort_rows(frame, "curve"), out / "example_curves.parquet", "curve", theory.attrs)
curves = sd.read_table(out / "example_curves.parquet", "curve")
print(f"table: {len(curves)} rows, provenance keys {sorted(curves.attrs)}")
finite = curves[np.isfinite(curves["t"])]
ax = sns.lineplot(data=finite[finite["method"] == "dmft"], x="t", y="eg", label="theory (DMFT)")
ax.errorbar(
    finite.loc[finite["method"] == "sim", "t"],
    finite.loc[finite["method"] == "sim", "eg"],
    yerr=finite.loc[finite["method"] == "sim", "eg_sem"],
    fmt="o",
    mfc="white",
    label="simulation ± s.e.",
)
ax.set(xscale="log", yscale="log", xlabel="training time t", ylabel="Gibbs error $E_g$")
ax.legend()
ax.figure.savefig(out / "example_curve.png", dpi=100, bbox_inches="tight")
print(f"figure: {out / 'example_curve.png'}")

"""The Python API in one runnable page (tests/test_api_example.py runs it, so it cannot rot).

    python docs/examples/api.py [OUTPUT_FOLDER]

1. a theory curve (DMFT) for a power-law spectrum;
2. the exact simulation of the same point, seed-averaged, and how close the two are;
3. the theory for your own spectrum (eigenvalues and target powers as arrays);
4. reading a curve table written by the CLI or the workflow and plotting it with seaborn.
Units and symbols: docs/theory/model.md.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
import seaborn as sns

from scaling_dmft import dmft, tables
from scaling_dmft.evaluate import curve_rows
from scaling_dmft.simulate import seed_mean_sem, simulate
from scaling_dmft.spectra import powerlaw, spectrum_from_arrays

out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".")
out.mkdir(parents=True, exist_ok=True)

# 1. Theory: lambda_k = k^-2, c_k = k^-3, M = 4000 modes, P = 256 samples, N = 512 random features,
#    weight decay gamma = 1e-3, label noise sigma = 0.5; times in mean-loss units, t = inf = ridge limit.
spectrum = powerlaw(alpha=2.0, beta=3.0, n_modes=4000)
times = np.append(np.geomspace(0.1, 1e5, 25), np.inf)
theory = dmft.solve(spectrum.modes(), n_features=512, n_samples=256, weight_decay=1e-3, times=times)
e_mean, e_gibbs = theory.errors(noise=0.5, init_var=0.0, temperature=0.0)
print(f"theory: E_g(t=0.1) = {e_gibbs[0]:.4f}, E_g(t=inf) = {e_gibbs[-1]:.4f}")

# 2. Exact simulation of the same point: one draw of data and features per seed, exact averages
#    over label noise and initialisation; 32 seeds from one SeedSequence.
seeds = np.random.SeedSequence(2026).spawn(32)
sim = simulate(spectrum, n_features=512, n_samples=256, weight_decays=np.array([1e-3]), times=times, seeds=seeds)
_, per_seed = sim.errors(noise=0.5, init_var=0.0, temperature=0.0, gamma_index=0)
mean, sem = seed_mean_sem(per_seed)
z = (mean - e_gibbs) / sem
print(
    f"simulation: E_g(t=inf) = {mean[-1]:.4f} +- {sem[-1]:.4f}; theory - simulation within {np.abs(z).max():.1f} s.e."
)

# 3. Your own spectrum: any positive non-increasing eigenvalues with non-negative target powers.
k = np.arange(1, 2001, dtype=float)
mine = spectrum_from_arrays(pd.DataFrame({"eigenvalue": k**-1.7 * np.exp(-k / 1500), "target_power": k**-2.2}))
kernel = dmft.solve(mine.modes(), n_features=np.inf, n_samples=1000, weight_decay=1e-4, times=[np.inf])
print(f"own spectrum: E_g(t=inf) at P = 1000, gamma = 1e-4: {kernel.signal[0]:.5f}")

# 4. Tables: the same rows the CLI and the workflow write (scaling_dmft.tables), read back with
#    their provenance, plotted with seaborn.
point = {
    "sweep": "example",
    "spectrum": "powerlaw",
    "alpha": 2.0,
    "beta": 3.0,
    "teacher": "powerlaw",
    "n_modes": 4000,
    "n_features": 512.0,
    "n_samples": 256.0,
    "noise": 0.5,
    "regime": "gf_wd",
    "weight_decay": 1e-3,
    "temperature": 0.0,
    "init_std": 0.0,
}
frame = pd.concat(
    [
        curve_rows(point, "dmft", times, theory.signal, theory.noise, theory.init, theory.thermal),
        curve_rows(
            point,
            "sim",
            times,
            *(seed_mean_sem(c[:, 0])[0] for c in (sim.signal, sim.noise, sim.init, sim.thermal)),
            eg_sem=sem,
            eg_mean_sem=sem,
            n_seeds=len(seeds),
        ),
    ],
    ignore_index=True,
)
tables.write_table(tables.sort_rows(frame, "curve"), out / "example_curves.parquet", "curve", tables.provenance(point))
curves = tables.read_table(out / "example_curves.parquet", "curve")
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

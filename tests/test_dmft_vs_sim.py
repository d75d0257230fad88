"""DMFT theory vs seed-averaged exact simulation (CI subset of the validation grid).

Grid slice: four disorder settings, each (N, P) shape once and each (alpha, beta) twice:
(2, 3) at (N, P) = (512, 128) (the largest finite-size bias) and (inf, 256); (1.5, 1.5) at (256, 256)
(the hard edge) and (128, 512). The full grid (both spectra at every shape) is `make validate`
(docs/validation.md).
gamma in {0, 1e-3, 1e-1} (one simulate() call per disorder setting serves all three); temperature in
{0, 1e-4, 1e-2}; sigma in {0, 0.5}; sigma0^2 in {0, 1, T/gamma (prior, gamma > 0 and T > 0 only)};
30 log-spaced times in [1e-1, 1e6]; M = 1000 modes in both theory and simulation (exact mode sums).
The components are linear in sigma^2, sigma0^2 and T, so every combination reuses the same seeds.

Pass criterion per (time, combination) and for both E_mean and E_g: the project's one rule,
`validation.within_tolerance`, |theory - sim| <= 2 % of sim + 3 seed standard errors. The two budgets
add because the errors do: at these sizes the theory has a resolved O(1/P) finite-size bias of the
signal term for (alpha, beta) = (2, 3) of -1.2 to -1.6 % (measured with 1000 seeds at N = 512, P = 128;
docs/theory/verification.md), and the per-seed signal distribution is skewed; with max(2 %, 3 s.e.)
the outcome at 200-400 seeds depended on the seed set (failures at 2.0-2.6 %, z = 3.0-3.4). The summed
budget still fails a 5 % error at every point (the seed s.e. is 0.1-1 % here).

Hard edge: at N = P, gamma = 0 the late-time seed mean is heavy-tailed (the smallest eigenvalues of a
square Wishart-like matrix, docs/theory/dmft.md "Validity range", docs/theory/verification.md) and the theory's
finite-size deviation grows with t; there only t <= 1e4 is compared (documented, not hidden: the
late-time points are reported in the printed summary but not asserted).
"""

import math

import numpy as np
import pytest

from scaling_dmft import dmft
from scaling_dmft.spectra import powerlaw
from scaling_dmft.validation import within_tolerance

simulate_mod = pytest.importorskip("scaling_dmft.simulate")

INF = math.inf
M = 1000
SEEDS = 400
TIMES = np.logspace(-1, 6, 30)
GAMMAS = (0.0, 1e-3, 1e-1)
TEMPS = (0.0, 1e-4, 1e-2)
SIGMAS = (0.0, 0.5)
HARD_EDGE_TMAX = 1e4

# Here the kernel limit and the data-rich shape; the two settings with the largest finite-size
# effects (P = 128 bias, N = P hard edge) are in tests/test_dmft_vs_sim_edges.py, a file of their
# own so that pytest-xdist (--dist loadfile) runs the two halves on two workers.
SETTINGS = [
    ((2.0, 3.0), (INF, 256)),
    ((1.5, 1.5), (128, 512)),
]


def _combos(gamma):
    for temp in TEMPS:
        for sigma in SIGMAS:
            init_vars = [0.0, 1.0] + ([temp / gamma] if gamma > 0 and temp > 0 else [])
            for iv in init_vars:
                yield temp, sigma, iv


def setting_ids(settings: list) -> list[str]:
    return [f"{a}-{b}-N{n}-P{p}" for (a, b), (n, p) in settings]


@pytest.mark.slow
@pytest.mark.parametrize("ab,sizes", SETTINGS, ids=setting_ids(SETTINGS))
def test_theory_vs_simulation(ab, sizes):
    check_theory_vs_simulation(ab, sizes)


def check_theory_vs_simulation(ab: tuple, sizes: tuple) -> None:
    n, p = sizes
    spectrum = powerlaw(*ab, M)
    seeds = np.random.SeedSequence(
        20261129, spawn_key=(int(10 * ab[0]), int(10 * ab[1]), 0 if math.isinf(n) else n, p)
    ).spawn(SEEDS)
    sim = simulate_mod.simulate(spectrum, n_features=n, n_samples=p, weight_decays=GAMMAS, times=TIMES, seeds=seeds)
    modes = spectrum.modes()
    failures, lines = [], []
    for gi, gamma in enumerate(GAMMAS):
        th = dmft.solve(modes, n_features=n, n_samples=p, weight_decay=gamma, times=TIMES)
        mask = np.ones(TIMES.size, bool)
        if n == p and gamma == 0.0:
            mask = TIMES <= HARD_EDGE_TMAX
        worst_rel, worst_z, worst_late = 0.0, 0.0, 0.0
        for temp, sigma, iv in _combos(gamma):
            per_seed = sim.errors(noise=sigma, init_var=iv, temperature=temp, gamma_index=gi)
            theory = th.errors(noise=sigma, init_var=iv, temperature=temp)
            for label, ps, tv in zip(("E_mean", "E_g"), per_seed, theory, strict=True):
                mean, sem = simulate_mod.seed_mean_sem(ps)
                diff = np.abs(tv - mean)
                rel = diff / np.abs(mean)
                z = diff / np.where(sem > 0, sem, np.inf)
                ok = within_tolerance(tv, mean, sem) | ~mask
                worst_rel = max(worst_rel, float(np.max(rel[mask])))
                worst_z = max(worst_z, float(np.max(z[mask])))
                if (~mask).any():
                    worst_late = max(worst_late, float(np.max(rel[~mask])))
                if not ok.all():
                    i = int(np.flatnonzero(~ok)[0])
                    failures.append(
                        f"gamma={gamma} T={temp} sigma={sigma} s0^2={iv:.3g} {label} t={TIMES[i]:.3g}: "
                        f"theory {tv[i]:.6g} sim {mean[i]:.6g} +- {sem[i]:.2g} (rel {rel[i]:.3%}, z {z[i]:.1f})"
                    )
        late = f"; t > 1e4 (not asserted) worst rel {worst_late:.2%}" if worst_late else ""
        lines.append(f"{ab} N={n} P={p} gamma={gamma}: worst rel {worst_rel:.2%}, worst z {worst_z:.1f}{late}")
    print("\n" + "\n".join(lines))
    assert not failures, f"{len(failures)} points outside tolerance:\n" + "\n".join(failures[:20])

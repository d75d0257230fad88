"""Online SGD at finite N against the PLRF anchor (Paquette, Paquette, Xiao & Pennington, "4+3 phases of
compute-optimal neural scaling laws", arXiv 2405.15074): one shared problem, both theories timed in
this one run, and the project's exact simulation as the reference (docs/theory/discrete.md section 5.7).

Their code is not part of this project: it is imported from a separate checkout of
LosVolterrosHermanos/Experimental (PLRF_SRC: the folder holding `power_law_rf/`), in a separate
environment with JAX, e.g.

    python3 -m venv /tmp/plrf-venv && /tmp/plrf-venv/bin/pip install jax jaxlib scipy pyyaml
    PLRF_SRC=/tmp/plrf-src PYTHONPATH=src OMP_NUM_THREADS=1 /tmp/plrf-venv/bin/python bench/plrf_anchor.py

Their model in our names: data x ~ N(0, I_V) seen through diag(j^-alpha_P), target b_j = j^-beta_P,
features W (V x D) with N(0, 1/D) entries, SGD on the batch-mean of (1/2)(prediction - y)^2 with
learning rate gamma_2 and batch B; their "twice the risk" is our E_g (no label noise, a_0 = 0). So
lambda_j = j^(-2 alpha_P), c_j = j^(-2 alpha_P - 2 beta_P), M = V, N = D, eta = gamma_2. Their theory: the
deterministic-equivalent inputs of their DANA example (`theory_rhos`, `theory_limit_loss`) and the ODE
`ode_resolvent_log_implicit` (gamma_1 = gamma_3 = 0: plain SGD), continuous time, implicit Euler in log t.
"""

from __future__ import annotations

import math
import os
import sys
import time

import numpy as np

ALPHA_P, BETA_P, V, D, BATCH, ETA = 0.75, 0.4, 2000, 256, 4, 0.5
STEPS = np.unique(np.round(np.logspace(0, 5, 21)))
SIM_STEPS = STEPS[STEPS <= 1e4]
SIM_SEEDS = 100


def theirs() -> tuple[np.ndarray, float, float]:
    """(E_g at STEPS from their DE + ODE, seconds of the first call (with JIT compilation), of a second)."""
    sys.path.insert(0, os.environ["PLRF_SRC"])
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    from power_law_rf.deterministic_equivalent import theory_limit_loss, theory_rhos
    from power_law_rf.ode import DanaHparams, ODEInputs, ode_resolvent_log_implicit

    def run() -> tuple[np.ndarray, np.ndarray]:
        eigs, rho = theory_rhos(ALPHA_P, BETA_P, D)
        zeros = jnp.zeros(D, dtype=jnp.float64)
        inputs = ODEInputs(eigs.astype(jnp.float64), rho.astype(jnp.float64), zeros, zeros,
                           jnp.float64(theory_limit_loss(ALPHA_P, BETA_P, V, D)))  # fmt: skip
        sgd = DanaHparams(lambda t: 0.0, lambda t: ETA, lambda t: 0.0, lambda t: 0.0)
        times, twice_risk = ode_resolvent_log_implicit(inputs, sgd, BATCH, D, float(STEPS[-1]) * 1.01, 1e-3)
        return np.asarray(times), np.asarray(twice_risk)

    started = time.perf_counter()
    run()
    first = time.perf_counter() - started
    started = time.perf_counter()
    times, risk = run()
    second = time.perf_counter() - started
    # their grid is continuous time exp(s) - 1: interpolate log E in log(1 + t) to our whole steps
    values = np.exp(np.interp(np.log1p(STEPS), np.log1p(times), np.log(risk)))
    return values, first, second


def ours() -> tuple[np.ndarray, float]:
    from scaling_dmft.dmft.online import online_theory

    spectrum = _spectrum()
    started = time.perf_counter()
    theory, flags = online_theory(
        spectrum, n_features=D, batch_size=BATCH, learning_rate=ETA, weight_decay=0.0, times=ETA * STEPS
    )
    assert (flags == "").all()
    return theory[0], time.perf_counter() - started


def simulated() -> tuple[np.ndarray, np.ndarray, float]:
    from scaling_dmft.sgd import online_simulate
    from scaling_dmft.simulate import seed_mean_sem

    spectrum = _spectrum()
    seeds = [np.random.SeedSequence([2405, 15074, i]) for i in range(SIM_SEEDS)]
    started = time.perf_counter()
    sim = online_simulate(spectrum, n_features=D, batch_size=BATCH, learning_rate=ETA, weight_decay=0.0,
                          times=ETA * SIM_STEPS, seeds=seeds)  # fmt: skip
    mean, sem = seed_mean_sem(sim.signal[:, 0])
    return mean, sem, time.perf_counter() - started


def _spectrum():
    """lambda_j = j^(-2 alpha_P), c_j = j^(-2 alpha_P - 2 beta_P), j = 1..V: our power law."""
    from scaling_dmft.spectra import powerlaw

    return powerlaw(2 * ALPHA_P, 2 * (ALPHA_P + BETA_P), V)


def main() -> None:
    print(f"PLRF alpha = {ALPHA_P}, beta = {BETA_P}, V = {V}, D = {D}, B = {BATCH}, gamma_2 = {ETA}: ours alpha = "
          f"{2 * ALPHA_P}, beta = {2 * (ALPHA_P + BETA_P)}, M = {V}, N = {D}, eta = {ETA}")  # fmt: skip
    their, first, second = theirs()
    our, seconds = ours()
    mean, sem, sim_seconds = simulated()
    print(f"time: theirs {first:.2f} s (first call, with JIT) / {second:.2f} s (second), ours {seconds:.2f} s, "
          f"ratio {second / seconds:.1f} (second call) / {first / seconds:.1f} (first); simulation "
          f"{SIM_SEEDS} seeds {sim_seconds:.0f} s")  # fmt: skip
    print(
        "| steps | E_g ours | E_g theirs | theirs/ours - 1 | sim (s.e.) | ours - sim: rel (z) | theirs - sim: rel (z) |"
    )
    print("|---|---|---|---|---|---|---|")
    for i, k in enumerate(STEPS):
        line = f"| {k:g} | {our[i]:.5g} | {their[i]:.5g} | {their[i] / our[i] - 1:+.2%} |"
        j = np.flatnonzero(k == SIM_STEPS)
        if j.size:
            m, s = mean[j[0]], sem[j[0]]
            line += (f" {m:.5g} ({s:.2g}) | {(our[i] - m) / m:+.2%} ({(our[i] - m) / s:+.1f}) |"
                     f" {(their[i] - m) / m:+.2%} ({(their[i] - m) / s:+.1f}) |")  # fmt: skip
        else:
            line += " | | |"
        print(line)
    ok = math.isfinite(float(np.sum(our)))
    print("ours finite:", ok)


if __name__ == "__main__":
    main()

"""Tests of the exact finite-size simulator (scaling_dmft.simulate).

Independent references are computed here with dense linear algebra on the explicit draw
(draw_realization): matrix exponentials (scipy.linalg.expm), linear solves, Cholesky solves,
explicit sampling. Statistical tolerances are z < 4 in units of the Monte Carlo standard error.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg as sla

from oracles import Realization, draw_realization, realization_components, simulate_euler
from scaling_dmft import simulate as simmod
from scaling_dmft.components import combine
from scaling_dmft.errors import NumericalError
from scaling_dmft.simulate import seed_generator, seed_mean_sem, simulate
from scaling_dmft.spectra import powerlaw

M, N, P = 40, 24, 16
SIZES = [(N, P), (math.inf, P)]


def _real(n, p, seed=11, m=M, teacher="powerlaw", alpha=2.0, beta=3.0):
    spec = powerlaw(alpha, beta, m, teacher)
    return spec, draw_realization(spec, n_features=n, n_samples=p, rng=seed_generator(np.random.SeedSequence(seed)))


def _design(real: Realization):
    """X (P x D), metric G (D x D), back-map V (M x D: v = V a), w*."""
    psi, f = real.psi, real.features
    if f is None:
        vmap = np.eye(psi.shape[1])
    else:
        vmap = f.T / math.sqrt(f.shape[0])
    x = psi @ vmap
    return x, vmap, real.w_star


def _err_v(real, v):
    """(v - w*)^T Lambda (v - w*) for columns of v."""
    diff = v - real.w_star[:, None]
    return real.eigenvalues @ (diff * diff)


def _closed(real, gamma, temperature, noise, init_var, times):
    comps = realization_components(real, weight_decays=[gamma], times=times)
    return combine(*(c[0] for c in comps), noise=noise, init_var=init_var, temperature=temperature)


# ------------------------------------------------------------------------------------------
# 0. the reduced draw used by simulate() equals the explicit closed form on the rebuilt Psi
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("teacher", ["powerlaw", "prior"])
@pytest.mark.parametrize(
    "n,p,m",
    [(24, 16, 40), (16, 24, 40), (64, 24, 200), (39, 50, 40), (60, 16, 40), (math.inf, 16, 40), (math.inf, 60, 40)],
)
def test_simulate_equals_explicit_closed_form(teacher, n, p, m):
    spec = powerlaw(2.0, 3.0, m, teacher)
    ts = np.array([0.0, 0.3, 3.0, 30.0, 1e3, 1e8, np.inf])
    gammas = [0.0, 0.01, 0.5]
    seeds = np.random.SeedSequence(99).spawn(2)
    sim = simulate(spec, n_features=n, n_samples=p, weight_decays=gammas, times=ts, seeds=seeds)
    for s, seed in enumerate(seeds):
        real = draw_realization(spec, n_features=n, n_samples=p, rng=seed_generator(seed))
        ref = realization_components(real, weight_decays=gammas, times=ts)
        scale = float(real.teacher @ real.teacher) + float(np.sum(real.eigenvalues))
        for a, b in zip((sim.signal[s], sim.noise[s], sim.init[s], sim.thermal[s]), ref, strict=True):
            assert np.array_equal(np.isinf(a), np.isinf(b))
            fin = np.isfinite(b)
            # roundoff; the reduced route loses ~cond(F Lambda^1/2) digits: 1e-9 of the error scale
            np.testing.assert_allclose(a[fin], b[fin], rtol=1e-8, atol=1e-9 * scale)


def test_cholesky_and_householder_factorisations_agree(monkeypatch):
    spec = powerlaw(2.0, 3.0, 300)
    kw = dict(
        n_features=48,
        n_samples=40,
        weight_decays=[0.0, 0.1],
        times=[0.5, 50.0, np.inf],
        seeds=[np.random.SeedSequence(3)],
    )
    fast = simulate(spec, **kw)
    monkeypatch.setattr(simmod, "CHOLESKY_MIN_DIAG_RATIO", 2.0)  # forces the QR fallback
    slow = simulate(spec, **kw)
    for name in ("signal", "noise", "init"):
        np.testing.assert_allclose(getattr(fast, name), getattr(slow, name), rtol=1e-9, atol=1e-13)


def test_rebuilt_psi_has_the_right_law():
    """Z = Psi Lambda^{-1/2} of the reduced-route draw: E Z_ij^2 = 1, E Z_ij Z_ik = 0, E Z F^T = 0."""
    spec = powerlaw(2.0, 3.0, 12, "prior")
    zs, cross_zf, cross_zc = [], [], []
    for seed in np.random.SeedSequence(5).spawn(3000):
        real = draw_realization(spec, n_features=5, n_samples=4, rng=seed_generator(seed))
        z = real.psi / np.sqrt(real.eigenvalues)
        zs.append(z)
        cross_zf.append((z @ real.features.T).ravel())
        cross_zc.append(z @ real.teacher)  # Z c~ ~ N(0, |c~|^2) given c~
    z = np.array(zs)
    sq = (z**2).mean(axis=(0, 1))  # per mode, 12000 samples each
    assert np.all(np.abs(sq - 1) < 4 * math.sqrt(2 / 12000))
    off = (z[:, :, 0] * z[:, :, 1]).ravel()
    assert abs(off.mean()) < 4 * off.std() / math.sqrt(off.size)
    zf = np.concatenate(cross_zf)
    assert abs(zf.mean()) < 4 * zf.std() / math.sqrt(zf.size)
    zc = np.concatenate(cross_zc)
    assert abs(zc.mean()) < 4 * zc.std() / math.sqrt(zc.size)


# ------------------------------------------------------------------------------------------
# 1. closed form vs Euler-Maruyama
# ------------------------------------------------------------------------------------------

REGIMES = {
    "gf": dict(gamma=0.0, temperature=0.0),
    "gf_wd": dict(gamma=0.1, temperature=0.0),
    "langevin": dict(gamma=0.1, temperature=0.05),
}


@pytest.mark.parametrize("regime", list(REGIMES))
@pytest.mark.parametrize("n", [N, math.inf])
def test_closed_form_vs_euler(regime, n):
    par = REGIMES[regime]
    _, real = _real(n, P, seed=2)
    sigma, init_std, dt = 0.5, math.sqrt(0.3), 0.004
    times = np.array([0.4, 2.0])
    em = simulate_euler(
        real,
        weight_decay=par["gamma"],
        temperature=par["temperature"],
        noise=sigma,
        init_std=init_std,
        times=times,
        dt=dt,
        n_paths=2000,
        rng=np.random.default_rng(7),
    )
    e_mean, e_g = _closed(real, par["gamma"], par["temperature"], sigma, init_std**2, times)
    x, _, _ = _design(real)
    x_max = np.linalg.eigvalsh(x.T @ x / P).max() + par["gamma"]
    # O(dt) bias of Euler: the decay factor (1 - x dt)^n vs e^{-xt} errs by x^2 t dt e^{-xt}/2 <= x dt/(2e)
    # relative, the thermal stationary variance by x dt/2 relative; allow dt * x_max of the value
    for key, ref in (("eg", e_g), ("eg_mean", e_mean)):
        bias = dt * x_max * ref
        z = np.abs(em[key] - ref) / em[key + "_se"]
        assert np.all(np.abs(em[key] - ref) < 4 * em[key + "_se"] + bias), (key, em[key], ref, z, bias)


# ------------------------------------------------------------------------------------------
# 2. analytic eps / a(0) / Brownian averages vs explicit sampling on one draw
# ------------------------------------------------------------------------------------------


def _mean_maps(real, gamma, t):
    """a_mean(t) = E_t a0 + J_t b via the block exponential (independent of the eigenbasis)."""
    x, vmap, _ = _design(real)
    p, d = x.shape
    h = x.T @ x / p + gamma * np.eye(d)
    block = np.zeros((2 * d, 2 * d))
    block[:d, :d] = -h
    block[:d, d:] = np.eye(d)
    ex = sla.expm(block * t)
    return ex[:d, :d], ex[:d, d:], x, vmap, h  # e^{-Ht}, int_0^t e^{-Hs} ds


@pytest.mark.parametrize("n", [N, math.inf])
def test_rao_blackwell_averages(n):
    """Each analytic average separately: eps only, a(0) only, and the exact OU transition (Brownian)."""
    _, real = _real(n, P, seed=4)
    gamma, temperature = 0.1, 0.05
    rng = np.random.default_rng(8)
    k = 20000
    times = np.array([0.4, 3.0])
    sig, noi, ini, the = (c[0] for c in realization_components(real, weight_decays=[gamma], times=times))
    for i, t in enumerate(times):
        et, jt, x, vmap, h = _mean_maps(real, gamma, t)
        p, d = x.shape
        base = jt @ (x.T @ (real.psi @ real.w_star) / p)  # noiseless mean trajectory (signal)
        cov = temperature * np.linalg.solve(h, np.eye(d) - et @ et)  # exact OU transition covariance
        chol = np.linalg.cholesky(0.5 * (cov + cov.T))
        cases = {
            # name: (linear map of the standard Gaussian draw into a-space, analytic value)
            "eps": (jt @ x.T / p, sig[i] + noi[i]),
            "a0": (et, sig[i] + ini[i]),
            "brownian": (chol, sig[i] + temperature * the[i]),
        }
        for name, (lin, ref) in cases.items():
            g = rng.standard_normal((lin.shape[1], k))
            # antithetic pairs: the term linear in the draw cancels exactly within each pair
            samp = 0.5 * (
                _err_v(real, vmap @ (base[:, None] + lin @ g)) + _err_v(real, vmap @ (base[:, None] - lin @ g))
            )
            se = samp.std() / math.sqrt(k)
            z = (samp.mean() - ref) / se
            assert abs(z) < 4, (name, t, z)
            assert se < 0.01 * (ref - sig[i])  # the test resolves the component to 1 %


# ------------------------------------------------------------------------------------------
# 3. population limit
# ------------------------------------------------------------------------------------------


def test_population_limit_large_p():
    m, p = 200, 20000
    spec = powerlaw(2.0, 3.0, m)
    times = np.array([0.1, 1.0, 10.0, 100.0])
    sim = simulate(
        spec,
        n_features=math.inf,
        n_samples=p,
        weight_decays=[0.0],
        times=times,
        seeds=np.random.SeedSequence(1).spawn(3),
    )
    mean, sem = seed_mean_sem(sim.signal[:, 0])
    lam, c = spec.eigenvalues, spec.target_power
    pop = (c[:, None] * np.exp(-2 * lam[:, None] * times[None, :])).sum(axis=0)
    # finite-P correction is relative O(df/P), df = sum lambda/(lambda + 1/(2t)) <= 20 here: allow 2 df / P
    df = (lam[:, None] / (lam[:, None] + 1 / (2 * times[None, :]))).sum(axis=0)
    tol = 4 * sem + 2 * df / p * pop
    assert np.all(np.abs(mean - pop) < tol), (mean, pop, tol)
    assert np.all(np.abs(mean - pop) < 0.02 * pop)


# ------------------------------------------------------------------------------------------
# 4. t = inf of gf_wd equals ridge regression (direct linear solve)
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n,p", [(24, 16), (16, 24), (60, 16), (math.inf, 16), (math.inf, 60)])
def test_t_inf_equals_ridge(n, p):
    _, real = _real(n, p, seed=6)
    gamma, sigma = 0.05, 0.3
    e_mean, e_g = _closed(real, gamma, 0.0, sigma, 0.7, [np.inf])
    x, vmap, w = _design(real)
    d = x.shape[1]
    lhs = x.T @ x / p + gamma * np.eye(d)
    a_ridge = np.linalg.solve(lhs, x.T @ (real.psi @ w) / p)
    signal = _err_v(real, vmap @ a_ridge[:, None])[0]
    amap = np.linalg.solve(lhs, x.T) / p  # a = amap @ y
    vm = vmap @ amap
    noise_part = np.trace(vm.T @ (real.eigenvalues[:, None] * vm))
    ref = signal + sigma**2 * noise_part
    np.testing.assert_allclose(e_mean[0], ref, rtol=1e-9)
    np.testing.assert_allclose(e_g[0], ref, rtol=1e-9)


# ------------------------------------------------------------------------------------------
# 5. Bayes: t = inf, gamma > 0, T > 0 equals the GP posterior in function space
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n,p", [(24, 16), (16, 24), (60, 16), (math.inf, 16), (math.inf, 60)])
def test_bayes_equals_gp_posterior(n, p):
    _, real = _real(n, p, seed=9, teacher="prior")
    gamma, temperature, sigma = 0.2, 0.03, 0.4
    e_mean, e_g = _closed(real, gamma, temperature, sigma, temperature / gamma, [np.inf])
    psi, lam, w = real.psi, real.eigenvalues, real.w_star
    q = np.eye(psi.shape[1]) if real.features is None else real.features.T @ real.features / real.features.shape[0]
    s = temperature / gamma
    kxx = s * psi @ q @ psi.T  # k(x, x') = (T/gamma) psi^T F^T F psi' / N
    cf = sla.cho_factor(kxx + p * temperature * np.eye(p))
    amap = s * q @ psi.T @ sla.cho_solve(cf, np.eye(p))  # posterior mean of v = amap @ y
    resid = amap @ (psi @ w) - w
    mean_err = resid @ (lam * resid) + sigma**2 * np.trace(amap.T @ (lam[:, None] * amap))
    post_cov = s * q - s**2 * q @ psi.T @ sla.cho_solve(cf, psi @ q)
    post_var = float(np.sum(lam * np.diag(post_cov)))
    np.testing.assert_allclose(e_mean[0], mean_err, rtol=1e-8)
    np.testing.assert_allclose(e_g[0] - e_mean[0], post_var, rtol=1e-8)


# ------------------------------------------------------------------------------------------
# 6. progress (reproducibility and thread independence: tests/test_reproducibility.py)
# ------------------------------------------------------------------------------------------


def test_progress_is_reported_after_every_seed():
    """Bitwise reproducibility and thread independence: tests/test_reproducibility.py."""
    calls = []
    simulate(
        powerlaw(1.5, 2.5, 300, "prior"),
        n_features=32,
        n_samples=48,
        weight_decays=[0.0],
        times=[1.0],
        seeds=np.random.SeedSequence(42).spawn(3),
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(1, 3), (2, 3), (3, 3)]


# ------------------------------------------------------------------------------------------
# 7. null space at late times
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n,p,m", [(64, 24, 200), (60, 16, 40), (60, 100, 40), (math.inf, 24, 200)])
def test_null_space_late_times(n, p, m):
    """gamma = 0, t = 1e12 vs t = inf with an exact null space of K_a (N > P, N = inf with P < M, N > M)."""
    spec = powerlaw(2.0, 3.0, m)
    sim = simulate(
        spec, n_features=n, n_samples=p, weight_decays=[0.0], times=[1e12, np.inf], seeds=[np.random.SeedSequence(8)]
    )
    for name in ("signal", "noise", "init"):
        arr = getattr(sim, name)[0, 0]
        assert np.all(np.isfinite(arr)) and np.all(arr >= 0)
        np.testing.assert_allclose(arr[0], arr[1], rtol=1e-9, atol=1e-13)
    late, inf = sim.thermal[0, 0]
    g_null = sim.init[0, 0, 1]  # C(inf) = G-weight of the null space (the init term keeps it)
    assert math.isfinite(late)
    if n > m and p >= m:
        # null space of K_a = null space of G_F (v = F^T a / sqrt(N) does not see it): finite limits
        assert g_null == 0.0 and math.isfinite(inf)
        np.testing.assert_allclose(late, inf, rtol=1e-9)
    else:
        # Theta(t) ~ 2 t g_null + tr[G (K_a)^+]
        assert g_null > 1e-3 and math.isinf(inf)
        assert abs(late - 2e12 * g_null) < 1e-6 * late
    # with T = 0 the (possibly infinite) thermal component contributes exactly nothing
    e_mean, e_g = sim.errors(noise=0.1, init_var=1.0, temperature=0.0, gamma_index=0)
    assert np.all(np.isfinite(e_g)) and np.array_equal(e_mean, e_g)


def test_no_roundoff_amplification_without_null_space():
    """N < P, gamma = 0: every direction is in the range; t = 1e12 equals the t = inf limit."""
    spec = powerlaw(2.0, 3.0, 200)
    sim = simulate(
        spec, n_features=24, n_samples=64, weight_decays=[0.0], times=[1e12, np.inf], seeds=[np.random.SeedSequence(8)]
    )
    for name in ("signal", "noise", "init", "thermal"):
        arr = getattr(sim, name)[0, 0]
        assert np.all(np.isfinite(arr))
        np.testing.assert_allclose(arr[0], arr[1], rtol=1e-9, atol=1e-13)


# ------------------------------------------------------------------------------------------
# misc: seed statistics, errors(), NumericalError
# ------------------------------------------------------------------------------------------


def test_seed_mean_sem_and_errors():
    arr = np.array([[1.0, 2.0], [3.0, 6.0]])
    mean, sem = seed_mean_sem(arr)
    np.testing.assert_allclose(mean, [2.0, 4.0])
    np.testing.assert_allclose(sem, [1.0, 2.0])
    m1, s1 = seed_mean_sem(arr[:1])
    assert np.array_equal(s1, [0.0, 0.0]) and np.array_equal(m1, [1.0, 2.0])
    spec = powerlaw(2.0, 3.0, 100)
    sim = simulate(
        spec,
        n_features=20,
        n_samples=30,
        weight_decays=[0.0, 0.1],
        times=[1.0, 5.0],
        seeds=np.random.SeedSequence(0).spawn(2),
    )
    e_mean, e_g = sim.errors(noise=0.5, init_var=0.2, temperature=0.01, gamma_index=1)
    ref = sim.signal[:, 1] + 0.25 * sim.noise[:, 1] + 0.2 * sim.init[:, 1]
    np.testing.assert_allclose(e_mean, ref)
    np.testing.assert_allclose(e_g, ref + 0.01 * sim.thermal[:, 1])


def test_non_finite_raises_numerical_error():
    _, real = _real(N, P)
    real.psi[0, 0] = np.inf
    with pytest.raises(NumericalError):
        realization_components(real, weight_decays=[0.0], times=[1.0])


@pytest.mark.parametrize(
    "kw",
    [
        dict(n_samples=0),
        dict(n_features=0),
        dict(n_features=2.5),
        dict(weight_decays=[-0.1]),
        dict(times=[-1.0]),
        dict(times=[np.nan]),
        dict(seeds=[]),
    ],
)
def test_invalid_input_raises_input_error(kw):
    from scaling_dmft.errors import InputError

    args = dict(n_features=8, n_samples=8, weight_decays=[0.0], times=[1.0], seeds=[np.random.SeedSequence(0)])
    args.update(kw)
    with pytest.raises(InputError):
        simulate(powerlaw(2.0, 3.0, 20), **args)

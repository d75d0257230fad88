"""Limits and internal consistency of the deterministic DMFT solver (scaling_dmft.dmft).

Every expected value here is computed independently of the solver: closed-form population
curves, the Canatar-Bordelon-Pehlevan static formula, Sollich's self-consistent posterior
variance and the ridgeless df-sum formulas are written out in this file (scipy root finding),
and Talbot is checked on analytic transforms.
"""

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from scaling_dmft import dmft
from scaling_dmft.dmft import contour
from scaling_dmft.errors import InputError, NumericalError
from scaling_dmft.spectra import Modes, powerlaw

INF = math.inf


def exact_modes(alpha, beta, m):
    return powerlaw(alpha, beta, m).modes(exact_modes=m)


def df_sum(lam, kap, power=1):
    return np.sum(lam**power / (lam + kap) ** power)


def kappa_star_indep(lam, target):
    return math.exp(brentq(lambda u: df_sum(lam, math.exp(u)) - target, -80.0, 10.0, xtol=1e-14, rtol=1e-15))


def cbp_static(lam, c, p, gamma, sigma2=0.0):
    """Canatar-Bordelon-Pehlevan: kappa = gamma + kappa df(kappa)/P; E = (kappa^2 sum c/(l+k)^2 + s2 g)/(1 - g)."""
    if gamma == 0.0:
        kap = kappa_star_indep(lam, p)
    else:
        kap = math.exp(
            brentq(
                lambda u: math.exp(u) * (1 - df_sum(lam, math.exp(u)) / p) - gamma,
                math.log(gamma),
                math.log(gamma + lam.sum()) + 1,
                xtol=1e-15,
                rtol=1e-15,
            )
        )
    g = np.sum(lam**2 / (lam + kap) ** 2) / p
    return (kap**2 * np.sum(c / (lam + kap) ** 2) + sigma2 * g) / (1 - g), kap


# ------------------------------------------------------------------------------------------
# Talbot on analytic transforms
# ------------------------------------------------------------------------------------------


def test_talbot_1d_2d_analytic():
    t = np.logspace(-2, 3, 12)
    s, _ = contour.talbot(20)
    z = s[None, :] / t[:, None]
    a = 0.7
    got = contour.invert_1d(1.0 / (z + a), t)
    np.testing.assert_allclose(got, np.exp(-a * t), atol=1e-12)
    got = contour.invert_1d(1.0 / (z * (z + 1.0)), t)  # 1 - e^{-t}
    np.testing.assert_allclose(got, -np.expm1(-t), rtol=1e-11, atol=1e-13)
    got = contour.invert_1d(1.0 / np.sqrt(z + 1.0), t)  # branch cut: e^{-t}/sqrt(pi t)
    np.testing.assert_allclose(got, np.exp(-t) / np.sqrt(np.pi * t), atol=1e-11)
    zc = np.concatenate([z, np.conj(z[:, 1:])], axis=1)
    two = 1.0 / ((z[:, :, None] + 0.3) * (zc[:, None, :] + 2.0))  # e^{-0.3 t} e^{-2 t}
    np.testing.assert_allclose(contour.invert_2d(two, t), np.exp(-2.3 * t), atol=1e-10)
    two = 1.0 / (z[:, :, None] * zc[:, None, :] * (z[:, :, None] + 1.0))  # (1 - e^{-t}) * 1
    np.testing.assert_allclose(contour.invert_2d(two, t), -np.expm1(-t), atol=1e-10)


def test_window_bounds():
    t = np.array([1e-9, 0.1, 0.5, 0.5000000001, 1.0, 3.0, 4.0, 1e6, 1e15])
    n, tau = contour.window(t)
    assert np.all(tau == 2.0 ** n.astype(float))
    assert np.all((tau / 2 < t) & (t <= tau))  # rho = t/tau in (1/2, 1]
    np.testing.assert_array_equal(n[[2, 3, 4, 6]], [-1, 0, 0, 2])  # powers of two are the top of their window


@pytest.mark.parametrize("rho", [0.5 + 1e-12, 0.6, 0.75, 0.9, 1.0])
def test_talbot_window_analytic(rho):
    """The contour of tau used at t = rho tau: sums of exponentials over 7 decades of rates (a power-law
    spectrum, the shape of the DMFT transforms) and a branch cut; accuracy relative to the curve scale."""
    tau = np.logspace(-2, 4, 7)
    t = rho * tau
    k = contour.active(20)
    s, _ = contour.talbot(20)
    z = s[None, :k] / tau[:, None]
    lam = np.arange(1, 4001.0) ** -1.5
    c = lam.copy()
    one = (c / (z[..., None] + lam)).sum(-1)
    exact = (c * np.exp(-np.outer(t, lam))).sum(-1)
    np.testing.assert_allclose(contour.invert_1d(one, t, 20, tau), exact, atol=5e-12 * c.sum())
    zc = np.concatenate([z, np.conj(z[:, 1:])], axis=1)
    two = np.einsum("m,bjm,blm->bjl", c, 1.0 / (z[..., None] + lam), 1.0 / (zc[..., None] + lam))
    exact2 = (c * np.exp(-2.0 * np.outer(t, lam))).sum(-1)
    np.testing.assert_allclose(contour.invert_2d(two, t, 20, tau), exact2, atol=3e-11 * c.sum())
    got = contour.invert_1d(
        1.0 / np.sqrt(z + 1.0), t, 20, tau
    )  # e^{-t}/sqrt(pi t): 1.3e-11 relative measured at rho = 1/2
    assert np.max(np.abs(got - np.exp(-t) / np.sqrt(np.pi * t)) * np.sqrt(np.pi * t)) < 5e-11


@pytest.mark.parametrize("n,p,gamma", [(512, 512, 1e-3), (INF, 256, 0.0), (128, 512, 1e-1)])
def test_window_independence(n, p, gamma):
    """A time's value does not depend on the other requested times (they change the windows marched
    through and the start of the continuation), and the curve is continuous across a window boundary
    (t = 2^k uses rho = 1 of window k, t (1 + 1e-12) rho ~ 1/2 of window k + 1)."""
    modes = powerlaw(1.5, 1.5, 2000).modes(exact_modes=2000)
    kw = dict(n_features=n, n_samples=p, weight_decay=gamma)
    many = np.logspace(-1, 6, 57)
    full = dmft.solve(modes, times=many, **kw)
    names = ("signal", "noise", "init", "thermal")
    for idx in (0, 20, 56):
        alone = dmft.solve(modes, times=[many[idx]], **kw)
        for name in names:
            a, b = getattr(alone, name)[0], getattr(full, name)[idx]
            scale = max(abs(getattr(full, name)).max(), 1e-300)
            assert abs(a - b) <= 1e-12 * scale, (name, idx, a, b)
    edges = 2.0 ** np.arange(-3, 20, 4)
    both = dmft.solve(modes, times=np.sort(np.concatenate([edges, edges * (1 + 1e-12)])), **kw)
    for name in names:
        v = getattr(both, name).reshape(-1, 2)
        scale = max(abs(v).max(), 1e-300)
        # difference = 1e-12 t f'(t) (<~ 1e-12 f for these power-law-like curves) + the inversion errors of the
        # two contours (~3e-12 of the scale for 1-D, ~1e-11 for the 2-D signal sum: contour.py)
        np.testing.assert_allclose(v[:, 0], v[:, 1], rtol=0, atol=1e-10 * scale)


# ------------------------------------------------------------------------------------------
# N, P -> inf: exact population gradient flow
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gamma", [0.0, 1e-3, 0.1])
@pytest.mark.parametrize("ab", [(1.5, 1.5), (2.0, 3.0)])
def test_population_limit(ab, gamma):
    modes = exact_modes(*ab, 2000)
    lam, c = modes.eigenvalues, modes.target_power
    t = np.logspace(-1, 6, 15)
    res = dmft.solve(modes, n_features=INF, n_samples=INF, weight_decay=gamma, times=t)
    u = lam + gamma
    e = np.exp(-np.outer(t, u))
    sig = ((c / lam) * lam * ((gamma + lam * e) / u) ** 2).sum(axis=1)
    init = (lam * e**2).sum(axis=1)
    theta = (lam * -np.expm1(-2 * np.outer(t, u)) / u).sum(axis=1)
    scale = c.sum()
    np.testing.assert_allclose(res.signal, sig, rtol=1e-7, atol=1e-7 * scale)
    np.testing.assert_allclose(res.init, init, rtol=1e-7, atol=1e-7 * lam.sum())
    np.testing.assert_allclose(res.thermal, theta, rtol=1e-7)
    assert np.all(res.noise == 0.0)


# ------------------------------------------------------------------------------------------
# N = inf: kernel gradient flow vs Canatar-Bordelon-Pehlevan
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gamma", [0.0, 1e-3, 0.1])
@pytest.mark.parametrize("p", [64, 256])
def test_kernel_limit_cbp(p, gamma):
    modes = exact_modes(2.0, 3.0, 1000)
    lam, c = modes.eigenvalues, modes.target_power
    e_sig, kap = cbp_static(lam, c, p, gamma)
    e_noise = cbp_static(lam, 0 * c, p, gamma, sigma2=1.0)[0]
    res = dmft.solve(modes, n_features=INF, n_samples=p, weight_decay=gamma, times=[1e11, INF])
    np.testing.assert_allclose(res.signal, e_sig, rtol=1e-8)
    np.testing.assert_allclose(res.noise, e_noise, rtol=1e-8)
    assert dmft.kappa_static(modes, n_features=INF, n_samples=p, weight_decay=gamma) == pytest.approx(kap, rel=1e-12)


# ------------------------------------------------------------------------------------------
# t -> inf: dynamic == static; ridgeless noise; double descent
# ------------------------------------------------------------------------------------------

LATE = np.array([1e10, 1e11, 1e12])


@pytest.mark.parametrize(
    "n,p,gamma",
    [
        (512, 128, 0.0),
        (128, 512, 0.0),
        (256, 256, 1e-3),
        (INF, 256, 0.0),
        (300, 200, 1e-2),
        (200, 300, 1e-4),
        (INF, 128, 1e-3),
        (256, INF, 0.0),
    ],
)
def test_late_time_equals_static(n, p, gamma):
    modes = powerlaw(1.5, 2.5, 4000).modes()
    dyn = dmft.solve(modes, n_features=n, n_samples=p, weight_decay=gamma, times=LATE)
    st = dmft.static(modes, n_features=n, n_samples=p, weight_decay=gamma)
    for name in ("signal", "noise", "init"):
        np.testing.assert_allclose(getattr(dyn, name), getattr(st, name)[0], rtol=1e-8, atol=1e-10, err_msg=name)
    if math.isinf(st.thermal[0]):  # null-space diffusion: Theta ~ 2 t m0
        assert gamma == 0.0 and p <= n
        m0 = dyn.thermal / (2 * LATE)
        np.testing.assert_allclose(m0, m0[-1], rtol=1e-2)
        np.testing.assert_allclose(m0[-1], st.init[0] if p < n else 0, rtol=1e-6)
    else:
        np.testing.assert_allclose(dyn.thermal, st.thermal[0], rtol=1e-8)


def test_ridgeless_noise_closed_forms():
    modes = exact_modes(1.5, 1.5, 3000)
    lam = modes.eigenvalues
    for n, p in [(100, 300), (200, 256)]:  # N < P: N/(P-N)
        st = dmft.static(modes, n_features=n, n_samples=p, weight_decay=0.0)
        assert st.noise[0] == pytest.approx(n / (p - n), rel=1e-9)
    for n, p in [(400, 128), (1000, 256), (INF, 256)]:  # N > P: df2/(P-df2) + P/(N-P)
        kap = kappa_star_indep(lam, p)
        df2 = df_sum(lam, kap, 2)
        expected = df2 / (p - df2) + (0.0 if math.isinf(n) else p / (n - p))
        st = dmft.static(modes, n_features=n, n_samples=p, weight_decay=0.0)
        assert st.noise[0] == pytest.approx(expected, rel=1e-9)
        assert dmft.kappa_static(modes, n_features=n, n_samples=p, weight_decay=0.0) == pytest.approx(kap, rel=1e-12)


def test_double_descent():
    modes = exact_modes(1.5, 1.5, 2000)
    p = 200
    ns = [100, 160, 190, 198, 199.5]
    noise = [dmft.static(modes, n_features=n, n_samples=p, weight_decay=0.0).noise[0] for n in ns]
    assert np.all(np.diff(noise) > 0) and noise[-1] > 100
    ns_above = [400, 240, 210, 202, 200.5]
    above = [dmft.static(modes, n_features=n, n_samples=p, weight_decay=0.0).noise[0] for n in ns_above]
    assert np.all(np.diff(above) > 0) and above[-1] > 100
    peak = dmft.static(modes, n_features=p, n_samples=p, weight_decay=0.0)
    assert math.isinf(peak.noise[0]) and math.isinf(peak.signal[0])
    reg = [dmft.static(modes, n_features=n, n_samples=p, weight_decay=1e-3).noise[0] for n in [190, 200, 210]]
    assert np.all(np.isfinite(reg)) and max(reg) < 2.0


# ------------------------------------------------------------------------------------------
# Temperature: T -> 0, Bayes limits
# ------------------------------------------------------------------------------------------


def test_temperature_to_zero_is_gf_wd():
    modes = powerlaw(2.0, 3.0, 2000).modes()
    t = np.logspace(-1, 5, 10)
    res = dmft.solve(modes, n_features=300, n_samples=200, weight_decay=1e-2, times=t)
    e0_mean, e0_g = res.errors(noise=0.3, init_var=0.5, temperature=0.0)
    np.testing.assert_array_equal(e0_mean, e0_g)
    slopes = []
    for temp in (1e-3, 1e-5, 1e-7):
        _, eg = res.errors(noise=0.3, init_var=0.5, temperature=temp)
        slopes.append((eg - e0_g) / temp)
    np.testing.assert_allclose(slopes[0], slopes[2], rtol=1e-6)
    np.testing.assert_allclose(slopes[1], res.thermal, rtol=1e-6)
    assert np.all(res.thermal > 0) and np.all(np.diff(res.thermal) > -1e-10 * res.thermal[1:])


@pytest.mark.parametrize("p,gamma,temp", [(64, 1e-3, 1e-2), (256, 0.1, 1e-4)])
def test_bayes_kernel_limit(p, gamma, temp):
    modes = exact_modes(1.5, 2.5, 2000)
    lam, c = modes.eigenvalues, modes.target_power
    sigma = 0.5
    st = dmft.static(modes, n_features=INF, n_samples=p, weight_decay=gamma)
    e_mean, e_g = st.errors(noise=sigma, init_var=0.0, temperature=temp)
    expected = cbp_static(lam, c, p, gamma, sigma2=sigma**2)[0]
    assert e_mean[0] == pytest.approx(expected, rel=1e-9)
    # Sollich: eps = sum s lam (sn2 + eps)/(sn2 + eps + P s lam), s = T/gamma, sn2 = P T
    s, sn2 = temp / gamma, p * temp
    f = lambda eps: eps - np.sum(s * lam * (sn2 + eps) / (sn2 + eps + p * s * lam))  # noqa: E731
    eps = brentq(f, 0.0, s * lam.sum() * 2, xtol=1e-300, rtol=1e-15)
    assert e_g[0] - e_mean[0] == pytest.approx(eps, rel=1e-9)
    assert temp * st.thermal[0] == pytest.approx(eps, rel=1e-9)
    # the dynamic solver reaches the same posterior variance
    dyn = dmft.solve(modes, n_features=INF, n_samples=p, weight_decay=gamma, times=[1e4 / gamma])
    assert temp * dyn.thermal[0] == pytest.approx(eps, rel=1e-8)


@pytest.mark.parametrize("p,gamma,temp", [(100, 1e-2, 1e-3), (400, 1e-3, 1e-5)])
def test_bayes_optimal_identity(p, gamma, temp):
    base = exact_modes(2.0, 3.0, 1500)
    lam = base.eigenvalues
    modes = Modes(lam, lam * temp / gamma, np.ones_like(lam))  # w*_k^2 = T/gamma
    st = dmft.static(modes, n_features=INF, n_samples=p, weight_decay=gamma)
    e_mean, e_g = st.errors(noise=math.sqrt(p * temp), init_var=0.0, temperature=temp)
    assert e_mean[0] == pytest.approx(temp * st.thermal[0], rel=1e-10)
    assert e_g[0] == pytest.approx(2 * e_mean[0], rel=1e-10)


# ------------------------------------------------------------------------------------------
# Numerical parameters: Talbot K, compressed modes, Bayes vs GF static forms
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n,p,gamma", [(512, 128, 0.0), (256, 256, 1e-3), (128, 512, 0.0), (INF, 256, 0.1)])
def test_talbot_node_count(n, p, gamma):
    modes = powerlaw(1.5, 1.5, 2000).modes()
    t = np.logspace(-1, 6, 8)
    runs = [dmft.solve(modes, n_features=n, n_samples=p, weight_decay=gamma, times=t, n_nodes=k) for k in (16, 20, 24)]
    for name in ("signal", "noise", "init", "thermal"):
        ref = getattr(runs[1], name)
        scale = np.max(np.abs(ref))
        for other in (runs[0], runs[2]):
            np.testing.assert_allclose(getattr(other, name), ref, rtol=1e-8, atol=1e-8 * scale, err_msg=name)


def test_compressed_modes_vs_exact_large_m():
    """Spectrum.modes() (1000 exact modes + log-k Gauss-Legendre tail) with the solver's default panel
    compression vs plain sums over all 1e5 modes (compress=False)."""
    spec = powerlaw(1.5, 2.5, 100_000)
    t = np.array([1.0, 1e2, 1e4, 1e6])
    kw = dict(n_features=512, n_samples=128, weight_decay=1e-3, times=np.r_[t, INF])
    exact = dmft.solve(spec.modes(exact_modes=100_000), compress=False, **kw)
    comp = dmft.solve(spec.modes(), **kw)
    assert exact.diagnostics["n_sum_nodes"] == 100_000 and comp.diagnostics["n_sum_nodes"] < 1000
    for name in ("signal", "noise", "init", "thermal"):
        ref = getattr(exact, name)
        np.testing.assert_allclose(getattr(comp, name), ref, rtol=1e-7, atol=1e-7 * np.max(np.abs(ref)), err_msg=name)


@pytest.mark.parametrize("ab", [(1.5, 1.5), (2.0, 3.0), (1.5, 3.5)])
def test_panel_compression_vs_plain_sums(ab):
    modes = exact_modes(*ab, 4000)
    t = np.logspace(-1, 6, 12)
    for n, p, gamma in [(512, 512, 1e-3), (512, 128, 0.0), (128, 512, 0.0)]:
        plain = dmft.solve(modes, n_features=n, n_samples=p, weight_decay=gamma, times=t, compress=False)
        comp = dmft.solve(modes, n_features=n, n_samples=p, weight_decay=gamma, times=t)
        assert comp.diagnostics["n_sum_nodes"] < 500
        for name in ("signal", "noise", "init", "thermal"):
            ref = getattr(plain, name)
            np.testing.assert_allclose(
                getattr(comp, name), ref, rtol=1e-9, atol=1e-9 * np.max(np.abs(ref)), err_msg=name
            )


def test_static_matches_bayes_two_by_two_form():
    """docs/theory/langevin-bayes.md (2x2 DMFT closure at z = 0) vs docs/theory/dmft.md "t = inf" (static.py)."""
    modes = exact_modes(2.0, 2.5, 2000)
    lam, c = modes.eigenvalues, modes.target_power
    for n, p, gamma in [(300, 100, 1e-3), (100, 300, 1e-2), (256, 256, 1e-4), (INF, 200, 1e-3), (150, INF, 1e-3)]:
        kap = dmft.kappa_static(modes, n_features=n, n_samples=p, weight_decay=gamma)
        inv_n, inv_p = (0 if math.isinf(n) else 1 / n), (0 if math.isinf(p) else 1 / p)
        df = df_sum(lam, kap)
        assert kap * (1 - df * inv_p) * (1 - df * inv_n) == pytest.approx(gamma, rel=1e-11)
        h2 = 1 / (lam + kap) ** 2
        g1, g2, b1, b2 = np.sum(lam * h2), np.sum(lam**2 * h2), np.sum(c * h2), np.sum(lam * c * h2)
        det = (1 - g2 * inv_p) * (1 - g2 * inv_n) - kap**2 * g1**2 * inv_n * inv_p
        sig = kap**2 * (b1 * (1 - g2 * inv_n) + g1 * b2 * inv_n) / det
        noi = (g2 * (1 - g2 * inv_n) * inv_p + kap**2 * g1**2 * inv_n * inv_p) / det
        st = dmft.static(modes, n_features=n, n_samples=p, weight_decay=gamma)
        assert st.signal[0] == pytest.approx(sig, rel=1e-10)
        assert st.noise[0] == pytest.approx(noi, rel=1e-10, abs=1e-300)
        assert st.thermal[0] == pytest.approx(df / (1 - df * inv_p), rel=1e-9)


def test_bad_input():
    modes = exact_modes(1.5, 1.5, 100)
    with pytest.raises(InputError):
        dmft.solve(modes, n_features=0, n_samples=10, weight_decay=0.0, times=[1.0])
    with pytest.raises(InputError):
        dmft.solve(modes, n_features=10, n_samples=10, weight_decay=-1.0, times=[1.0])
    with pytest.raises(InputError):
        dmft.solve(modes, n_features=10, n_samples=10, weight_decay=0.0, times=[0.0, 1.0])
    res = dmft.solve(modes, n_features=10, n_samples=20, weight_decay=0.0, times=[1.0, 10.0])
    assert res.diagnostics["converged"] and np.all(np.isfinite(res.signal))
    # t = inf at gamma = 0 on the interpolation threshold of the truncated spectrum (P = M): a clear error
    with pytest.raises(NumericalError, match="number of modes"):
        dmft.static(modes, n_features=INF, n_samples=100, weight_decay=0.0)


@pytest.mark.parametrize("n,p", [(300, 200), (INF, 128), (128, 128)])
def test_init_weight_decay_shift_identity(n, p):
    """C(u) = tr[G_F e^{-(K_a + gamma) u}] = e^{-gamma u} C_0(u) exactly (the spectrum of K_a does not depend on gamma)."""
    modes = powerlaw(2.0, 3.0, 2000).modes()
    t = np.logspace(-1, 4, 12)
    gamma = 0.05  # 2 gamma t from 0.01 to 1000: both the plain and the shifted branch of the solver
    c0 = dmft.solve(modes, n_features=n, n_samples=p, weight_decay=0.0, times=t).init
    cg = dmft.solve(modes, n_features=n, n_samples=p, weight_decay=gamma, times=t).init
    np.testing.assert_allclose(cg, np.exp(-2 * gamma * t) * c0, rtol=1e-9)
    assert np.all(cg[t * gamma < 300] > 0)  # relative accuracy down to e^{-600}; beyond that the value underflows


@pytest.mark.parametrize("zero_from", [-3, 2, 9, 14])
def test_zero_rays_join(zero_from):
    """The gamma = 0 twins that join the march at window `zero_from` (started from their gamma twins) equal
    kappa and df of a separate gamma = 0 march from the start, wherever the join is put: early (a tiny step
    -gamma in w), late (|w| ~ gamma, where the join may fall back to marching the twins from the start)."""
    from scaling_dmft.dmft.kappa import KappaSolver, ModeSums

    sums = ModeSums(powerlaw(1.5, 1.5, 2000).modes(exact_modes=2000))
    solver = KappaSolver(sums, 1 / 256, 1 / 256)
    s = contour.talbot(20)[0][: contour.active(20)]
    gamma, n_lo, n_hi = 1e-2, -3, 16
    k, df, diag = solver.windows(s, n_lo, n_hi, gamma, zero_from)
    k0, df0, _ = solver.windows(s, n_lo, n_hi, 0.0)
    kg, dfg, _ = solver.windows(s, n_lo, n_hi, gamma)
    ke = s.size
    rows = np.arange(n_lo, n_hi + 1) >= zero_from
    np.testing.assert_allclose(k[:, :ke], kg, rtol=1e-12)
    np.testing.assert_allclose(df[:, :ke], dfg, rtol=1e-12)
    np.testing.assert_allclose(k[rows, ke:], k0[rows], rtol=1e-12)
    np.testing.assert_allclose(df[rows, ke:], df0[rows], rtol=1e-12)
    if "zero_rays_join" in diag:  # joined: the twins are not computed before the join
        assert np.all(np.isnan(k[~rows, ke:]))
    else:  # fell back to marching the twins from the start: every window computed
        np.testing.assert_allclose(k[:, ke:], k0, rtol=1e-12)
    if n_lo < zero_from <= 2:  # |s_j| / tau >= 8 / 4 = 200 gamma at the join: it must succeed
        assert diag["zero_rays_join"] == 2.0**zero_from
    if zero_from == 14:  # |s_0| / tau = 5e-4 << gamma: the step -gamma in w is too large, the fallback is taken
        assert "zero_rays_join" not in diag


def test_a_solve_leaves_no_state_in_reused_mode_sums():
    """evaluate.run_dmft_points prepares a spectrum's mode sums once and reuses them for every
    (N, P, gamma) of a chunk. That is only correct if no solve changes them: solving the points one
    after another with one prepared object must give, bit for bit, what a fresh object gives each
    point solved first, and the object's arrays must be unchanged afterwards."""
    modes = powerlaw(2.0, 3.0, 10**6).modes()
    prepared = dmft.prepare(modes)
    before = {
        name: np.array(value, copy=True) for name, value in vars(prepared).items() if isinstance(value, np.ndarray)
    }
    t = [0.5, 30.0, 2e4, INF]
    points = [(256, 256, 0.0), (INF, 128, 1e-3), (512, INF, 1e-2), (128, 512, 0.0)]
    reused = [dmft.solve(prepared, n_features=n, n_samples=p, weight_decay=g, times=t) for n, p, g in points]
    static_reused = dmft.kappa_static(prepared, n_features=256, n_samples=128, weight_decay=0.0)
    for (n, p, g), got in zip(points[::-1], reused[::-1], strict=True):  # fresh objects, in the other order
        fresh = dmft.solve(dmft.prepare(modes), n_features=n, n_samples=p, weight_decay=g, times=t)
        for name in ("signal", "noise", "init", "thermal"):
            np.testing.assert_array_equal(getattr(got, name), getattr(fresh, name), err_msg=f"{name} at {(n, p, g)}")
    assert static_reused == dmft.kappa_static(dmft.prepare(modes), n_features=256, n_samples=128, weight_decay=0.0)
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(prepared, name), value, err_msg=f"ModeSums.{name} changed by a solve")

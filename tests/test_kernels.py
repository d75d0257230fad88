"""Kernels of wide networks (scaling_dmft.kernels, docs/theory/kernels.md).

Checked against what they are the limit of, never against themselves:
* the Gaussian expectations (arc-cosine and arcsine closed forms) against numerical integration;
* depth 1 against the arc-cosine kernels of Cho & Saul written out here;
* every kernel, depths 1..3, with weight and bias variances other than 1 and 0, against Monte Carlo
  random networks of width W: the empirical NNGP (the output covariance given the hidden layers) and
  the empirical NTK (the inner product of the exact gradients over all weights and biases), averaged
  over S independent networks, within their standard error;
* the random feature map of the finite-N data route against the NNGP it tends to, and, at depth 1,
  against the ReLU features the data route drew before depth existed (the same numbers).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special, stats

from cli_runner import run_cli
from scaling_dmft import data, kernels
from scaling_dmft.errors import InputError

# ---------------------------------------------------------------- closed forms against quadrature


def _expect(g, h, a, b, c):
    """E[g(u) h(v)], (u, v) ~ N(0, [[a, c], [c, b]]), by adaptive quadrature over u of g(u) times the
    conditional expectation of h(v) given u (v | u ~ N(c u / a, b - c^2 / a)), given as h(m, s)."""
    m_of, s = c / a, math.sqrt(max(b - c * c / a, 0.0))

    def f(u):
        return stats.norm.pdf(u, scale=math.sqrt(a)) * g(u) * h(m_of * u, s)

    lim = 12 * math.sqrt(a)
    return (
        integrate.quad(f, 0.0, lim, epsabs=1e-13, epsrel=1e-12, limit=200)[0]
        + integrate.quad(f, -lim, 0.0, epsabs=1e-13, epsrel=1e-12, limit=200)[0]
    )


def _relu_given(m, s):  # E[relu(v)], v ~ N(m, s^2)
    return m * stats.norm.cdf(m / s) + s * stats.norm.pdf(m / s) if s > 0 else max(m, 0.0)


def _step_given(m, s):  # E[step(v)]
    return stats.norm.cdf(m / s) if s > 0 else float(m > 0)


def _erf_given(m, s):  # E[erf(v)] = erf(m / sqrt(1 + 2 s^2))
    return special.erf(m / math.sqrt(1 + 2 * s * s))


def _derf_given(m, s):  # E[erf'(v)] = 2/sqrt(pi) E[exp(-v^2)]
    q = 1 + 2 * s * s
    return 2 / math.sqrt(math.pi) * math.exp(-m * m / q) / math.sqrt(q)


PAIRS = [(1.0, 1.0, 0.3), (0.7, 2.3, -0.9), (2.0, 0.5, 0.99), (1.3, 0.4, -0.7), (0.2, 0.2, 0.0), (4.0, 9.0, 5.9)]


@pytest.mark.parametrize(("a", "b", "c"), PAIRS)
def test_the_gaussian_expectations_are_the_numerical_integrals(a, b, c):
    """relu: the arc-cosine kernels of order 1 and 0; erf: the arcsine formula and its derivative's,
    against adaptive quadrature (accuracy ~1e-12; tolerance 1e-9)."""
    relu = kernels.relu_moments(np.array(a), np.array(b), np.array(c))
    erf = kernels.erf_moments(np.array(a), np.array(b), np.array(c))
    step = lambda u: float(u > 0)  # noqa: E731
    derf = lambda u: 2 / math.sqrt(math.pi) * math.exp(-u * u)  # noqa: E731
    expected = [
        _expect(lambda u: max(u, 0.0), _relu_given, a, b, c),
        _expect(step, _step_given, a, b, c),
        _expect(special.erf, _erf_given, a, b, c),
        _expect(derf, _derf_given, a, b, c),
    ]
    got = [relu[0], relu[1], erf[0], erf[1]]
    assert np.allclose(got, expected, rtol=1e-9, atol=1e-11), (got, expected)


@pytest.mark.parametrize("a", [0.05, 1.0, 7.5])
def test_the_diagonal_expectations_are_the_numerical_integrals(a):
    """E[phi(u)^2], E[phi'(u)^2] for u ~ N(0, a), the diagonal of the recursion."""
    g = lambda f: integrate.quad(lambda u: stats.norm.pdf(u, scale=math.sqrt(a)) * f(u), -40, 40, epsabs=1e-13)[0]  # noqa: E731
    derf = lambda u: 2 / math.sqrt(math.pi) * math.exp(-u * u)  # noqa: E731
    expected = [g(lambda u: max(u, 0.0) ** 2), 0.5, g(lambda u: special.erf(u) ** 2), g(lambda u: derf(u) ** 2)]
    got = [*kernels.relu_diagonal_moments(np.array(a)), *kernels.erf_diagonal_moments(np.array(a))]
    assert np.allclose(got, expected, rtol=1e-9)


def test_depth_one_relu_kernels_are_the_arc_cosine_kernels_and_keep_the_original_relu_nngp():
    """Cho & Saul (2009): k_n(x, y) = 2 E_w[step(w.x) step(w.y) (w.x)^n (w.y)^n] = |x|^n |y|^n J_n(th) / pi,
    w ~ N(0, I), J_1 = sin th + (pi - th) cos th, J_0 = pi - th. With inputs x / sqrt(d) and
    sigma_w^2 = 1, sigma_b^2 = 0: NNGP = k_1 / 2, NTK = k_1 / 2 + (x.y / d) k_0 / 2."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((30, 6)) * rng.uniform(0.3, 3.0, (30, 1))
    u = x / math.sqrt(6)
    norms = np.linalg.norm(u, axis=1)
    cos = np.clip(u @ u.T / np.outer(norms, norms), -1, 1)
    th = np.arccos(cos)
    np.fill_diagonal(th, 0.0)  # x with itself; arccos of a cosine rounded to 1 - 1e-16 is 1.5e-8
    k1 = np.outer(norms, norms) * (np.sin(th) + (math.pi - th) * np.cos(th)) / math.pi
    k0 = (math.pi - th) / math.pi
    assert np.allclose(data.kernel_matrix(x, "relu_nngp"), k1 / 2, rtol=1e-12, atol=1e-14)
    assert np.allclose(data.kernel_matrix(x, "relu_nngp", depth=1), k1 / 2, rtol=1e-12, atol=1e-14)
    assert np.allclose(data.kernel_matrix(x, "relu_ntk"), k1 / 2 + (u @ u.T) * k0 / 2, rtol=1e-12, atol=1e-14)
    # the diagonal routine (used for the trace of the randomised spectrum) is the Gram's diagonal
    for kernel in kernels.NETWORK_KERNELS:
        for depth in (1, 3):
            gram = data.kernel_matrix(x, kernel, depth=depth)
            assert np.allclose(np.diag(gram), data.kernel_diagonal(x, kernel, depth=depth), rtol=1e-13)


def test_relu_kernels_without_bias_scale_as_sigma_w_to_the_depth_plus_one():
    """ReLU is homogeneous: with sigma_b = 0, sigma_w^2 -> s sigma_w^2 multiplies every Sigma^l by s^l
    and Sigma_dot by s, so NNGP and NTK of depth L both scale by s^(L+1) (docs/theory/kernels.md 4)."""
    x = np.random.default_rng(9).standard_normal((12, 4))
    for kernel in ("relu_nngp", "relu_ntk"):
        for depth in (1, 2, 4):
            one = kernels.network_kernel(x, kernel, depth)
            two = kernels.network_kernel(x, kernel, depth, weight_variance=2.0)
            assert np.allclose(two, 2.0 ** (depth + 1) * one, rtol=1e-12)


# ---------------------------------------------------------------- Monte Carlo wide networks


def _network(x, activation, depth, width, rng, sw, sb):
    """One random network of the docstring of scaling_dmft.kernels (NTK parameterisation, all weights
    and biases N(0, 1)), hidden widths `width`. Returns (empirical NNGP, empirical NTK) on the inputs:
    the output's covariance given the hidden layers, sw x^L x^L'/N + sb, and the gradient inner
    product over every parameter, sum_l (delta^l delta^l') * (sw x^{l-1} x^{l-1}'/N_{l-1} + sb), with
    delta^l = df/dh^l by backpropagation (delta^{L+1} = 1)."""
    phi = {"relu": lambda h: np.maximum(h, 0.0), "erf": special.erf}[activation]
    dphi = {
        "relu": lambda h: (h > 0).astype(float),
        "erf": lambda h: 2 / math.sqrt(math.pi) * np.exp(-h * h),
    }[activation]
    outs, pre, weights = [x], [], []
    for _ in range(depth):
        fan = outs[-1].shape[1]
        w = rng.standard_normal((fan, width))
        h = math.sqrt(sw / fan) * outs[-1] @ w + math.sqrt(sb) * rng.standard_normal(width)
        weights.append(w)
        pre.append(h)
        outs.append(phi(h))
    readout = rng.standard_normal(width)

    def inputs_term(layer):
        return sw * outs[layer] @ outs[layer].T / outs[layer].shape[1] + sb

    nngp = inputs_term(depth)
    ntk = nngp.copy()
    delta = math.sqrt(sw / width) * readout[None, :] * dphi(pre[-1])
    for layer in range(depth, 0, -1):
        ntk += (delta @ delta.T) * inputs_term(layer - 1)
        if layer > 1:
            delta = math.sqrt(sw / width) * (delta @ weights[layer - 1].T) * dphi(pre[layer - 2])
    return nngp, ntk


def _mc_inputs():
    """Four inputs in d = 5: different norms, and one pair anti-correlated (cos ~ -0.9)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5)) * np.array([[1.0], [0.6], [1.5], [1.0]])
    x[3] = -0.8 * x[0] + 0.3 * x[3]
    return x


# (sigma_w^2, sigma_b^2) away from the defaults 1, 0, so that every term of the recursion is exercised
VARIANCES = {"relu": (1.7, 0.2), "erf": (1.5, 0.1)}
WIDTH, NETWORKS = 1024, 200


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("activation", ["relu", "erf"])
def test_nngp_and_ntk_are_the_means_of_wide_random_networks(activation, depth):
    """Empirical NNGP and NTK of S = 200 random networks of width W = 1024, on 4 inputs (10 pairs):
    z = (mean - kernel) / s.e. over the networks, |z| < 4 for all 20 entries (Gaussian: a false alarm
    has probability < 20 * 6e-5 = 1.3e-3). The means are exact at depth 1 for every W; deeper, the
    finite-width bias is O(1/W): measured at W = 32 with 2e4 networks it is <= 8 s.e. of that run
    (erf NTK, depth 4), i.e. <= 8 sqrt((S/W) / (2e4/32)) = 0.14 s.e. here."""
    x = _mc_inputs()
    sw, sb = VARIANCES[activation]
    runs = np.array(
        [_network(x, activation, depth, WIDTH, np.random.default_rng([depth, s]), sw, sb) for s in range(NETWORKS)]
    )
    upper = np.triu_indices(4)
    for j, which in enumerate(("nngp", "ntk")):
        theory = kernels.network_kernel(x, f"{activation}_{which}", depth, weight_variance=sw, bias_variance=sb)
        samples = runs[:, j][:, upper[0], upper[1]]
        mean, sem = samples.mean(axis=0), samples.std(axis=0, ddof=1) / math.sqrt(NETWORKS)
        z = (mean - theory[upper]) / sem
        assert np.all(np.abs(z) < 4.0), (which, np.round(z, 2), np.round(sem / np.abs(theory[upper]), 4))


@pytest.mark.parametrize("kernel", kernels.FEATURE_KERNELS)
def test_random_network_features_have_the_nngp_as_their_mean_gram(kernel):
    """The finite-N feature map of the data route (the last hidden layer of a random network of width
    N, depth 2, with a bias column): the mean of Phi Phi^T over 200 networks of width 1024 is the
    NNGP kernel within |z| < 4 (bias O(1/N) as above)."""
    x = _mc_inputs()
    sw, sb = VARIANCES[kernel.split("_")[0]]

    def gram(seed):
        phi = kernels.random_features(
            x, kernel, 2, WIDTH, np.random.default_rng(seed), weight_variance=sw, bias_variance=sb
        )
        return phi @ phi.T

    grams = np.array([gram(s) for s in range(NETWORKS)])
    theory = kernels.network_kernel(x, kernel, 2, weight_variance=sw, bias_variance=sb)
    z = (grams.mean(axis=0) - theory) / (grams.std(axis=0, ddof=1) / math.sqrt(NETWORKS))
    assert np.all(np.abs(z) < 4.0), np.round(z, 2)


def test_depth_one_relu_features_are_the_features_the_data_route_drew_before():
    """At depth 1 with the default variances the feature draw is the original one, draw for draw:
    relu(x w) / sqrt(N), w = standard normal (d x N) / sqrt(d) from the subset's generator."""
    x = np.random.default_rng(1).standard_normal((40, 7))
    features = data.relu_features(x, 64, (x[:, 0] > 0).astype(int))(np.random.default_rng(3))
    phi, (kind, metric) = features.rows(np.arange(40)), features.metric
    w = np.random.default_rng(3).standard_normal((7, 64)) / math.sqrt(7)
    original = np.maximum(x @ w, 0.0) / math.sqrt(64)
    assert kind == "full" and np.array_equal(phi, original) and np.array_equal(metric, original.T @ original / 40)


# ---------------------------------------------------------------- interface: config, CLI, library


@pytest.mark.parametrize(
    ("kernel", "depth", "key", "allowed"),
    [
        ("relu_ntk", 0, "--depth", "1 <= depth <= 64"),
        ("erf_nngp", 65, "--depth", "1 <= depth <= 64"),
        ("erf_nngp", 2.0, "--depth", "an integer"),
        ("linear", 2, "--depth", "1 with kernel linear"),
        ("tanh_ntk", 1, "--kernel", "relu_nngp | relu_ntk | erf_nngp | erf_ntk | linear | rbf"),
    ],
)
def test_bad_kernel_or_depth_is_refused_with_the_allowed_range(kernel, depth, key, allowed):
    with pytest.raises(InputError) as err:
        kernels.check_kernel(kernel, depth)
    assert str(err.value).startswith(key + ":") and allowed in str(err.value)


def test_spectrum_command_takes_a_kernel_and_a_depth(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((120, 6))
    np.savez(tmp_path / "d.npz", X=x, y=(x[:, 0] > 0).astype(int))
    out = run_cli(
        ["spectrum", "--data", "d.npz", "--kernel", "erf_ntk", "--depth", "3", "--out", "s.parquet"], tmp_path
    )
    assert out.returncode == 0, out.stderr
    import pyarrow.parquet as pq

    from scaling_dmft import tables
    from scaling_dmft.spectra import read_spectrum_file

    meta = pq.read_schema(tmp_path / "s.parquet").metadata
    assert meta[(tables.META_PREFIX + "kernel").encode()] == b"erf_ntk"
    assert meta[(tables.META_PREFIX + "depth").encode()] == b"3"
    expected = data.empirical_spectrum(data.kernel_matrix(data.standardise(x), "erf_ntk", depth=3), x[:, 0] > 0)
    assert np.allclose(read_spectrum_file(tmp_path / "s.parquet").eigenvalues, expected.eigenvalues, rtol=1e-12)
    for args, key in (
        (["--kernel", "rbf", "--depth", "2"], "--depth"),
        (["--kernel", "relu_ntk", "--depth", "0"], "--depth"),
    ):
        refused = run_cli(["spectrum", "--data", "d.npz", *args, "--out", "r.csv"], tmp_path)
        lines = refused.stderr.strip().splitlines()
        assert refused.returncode == 2 and len(lines) == 1 and key in lines[0], refused.stderr
        assert not (tmp_path / "r.csv").exists()


def _data_config(tmp_path, **entry):
    from scaling_dmft.config import load_yaml, validate_config

    raw = load_yaml("config/test.yaml")
    raw["data"] = {"mine": {"dataset": "breast_cancer", "n_samples": [16], "regimes": ["gf_wd"], **entry}}
    return validate_config(raw, base_dir=tmp_path)


@pytest.mark.parametrize(
    ("entry", "key", "allowed"),
    [
        ({"kernel": "relu_ntk", "depth": 0}, "data.mine.depth", "1 <= depth <= 64"),
        ({"kernel": "rbf", "depth": 3}, "data.mine.depth", "1 with kernel rbf"),
        ({"kernel": "relu_ntk", "n_features": [64]}, "data.mine.n_features", "relu_nngp and erf_nngp"),
        ({"kernel": "erf_ntk", "depth": 2, "n_features": [64, 128]}, "data.mine.n_features", ".inf only"),
    ],
)
def test_config_refuses_a_bad_depth_and_finite_width_without_a_feature_map(tmp_path, entry, key, allowed):
    with pytest.raises(InputError) as err:
        _data_config(tmp_path, **entry)
    assert str(err.value).startswith(key + ":") and allowed in str(err.value)


def test_config_default_depth_is_one_and_deep_nngp_takes_finite_width(tmp_path):
    cfg = _data_config(tmp_path)
    assert cfg["data"]["mine"]["depth"] == 1 and cfg["data"]["mine"]["kernel"] == "relu_nngp"
    cfg = _data_config(tmp_path, kernel="erf_nngp", depth=3, n_features=[64, math.inf])
    assert cfg["data"]["mine"]["depth"] == 3


def test_the_data_workflow_uses_the_entry_s_kernel_and_depth(tmp_path):
    """A `data:` entry with erf_nngp at depth 2 and a finite width: its spectrum is that of the depth-2
    Gram (not depth 1's), the spectrum table records the depth, and the comparison runs for the kernel
    limit and for N = 32 random depth-2 erf features."""
    import pyarrow.parquet as pq

    from scaling_dmft import tables
    from scaling_dmft.rules import data_curves_job, empirical_spectrum_job
    from scaling_dmft.spectra import read_spectrum_file

    cfg = _data_config(
        tmp_path, kernel="erf_nngp", depth=2, n_samples=[16], n_features=[math.inf, 32], subsets=3, sim_seeds=3
    )
    entry = cfg["data"]["mine"]
    spectrum = str(tmp_path / "mine.parquet")
    empirical_spectrum_job("mine", entry, spectrum)
    x, y = data.entry_inputs(entry)
    expected = data.empirical_spectrum(data.kernel_matrix(x, "erf_nngp", depth=2), y).eigenvalues
    depth_one = data.empirical_spectrum(data.kernel_matrix(x, "erf_nngp", depth=1), y).eigenvalues
    got = read_spectrum_file(spectrum).eigenvalues
    assert np.allclose(got, expected, rtol=1e-12) and not np.allclose(got, depth_one, rtol=1e-3)
    meta = pq.read_schema(spectrum).metadata
    assert meta[(tables.META_PREFIX + "depth").encode()] == b"2"
    frame = data_curves_job("mine", entry, cfg["regimes"], 7, spectrum, str(tmp_path / "curves.parquet"))
    data_rows = frame[frame["method"] == "data"]
    assert set(data_rows["n_features"]) == {math.inf, 32.0} and np.all(np.isfinite(data_rows["eg"]))

"""Real data at scale (docs/theory/data.md sections 8-9): the feature route (N random ReLU features or
the Nystrom map, streamed over the points), training the readout of fixed features with gradient
flow and gradient descent, the bundled data sets, and the Gaussianity diagnostic of the
eigen-features.

Each check is against an independent computation: the dense eigendecomposition of the features' own
n x n Gram, explicit gradient-descent iterations in weight space, a direct error over all n points,
exact properties of Nystrom (m = n is the kernel; its eigenvalues never exceed the kernel's), and
diagnostic values known in closed form for synthetic eigen-features."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cli_runner import run_cli
from scaling_dmft import data, features
from scaling_dmft.errors import InputError
from scaling_dmft.spectra import read_spectrum_file


def _inputs(n=300, d=8, seed=0):
    rng = np.random.default_rng(seed)
    x = data.prepare_inputs(rng.standard_normal((n, d)) * np.linspace(0.3, 2.0, d))
    return x, rng.integers(0, 3, n)


@pytest.mark.parametrize("route, width", [("relu_features", 48), ("nystrom", 60)])
def test_feature_route_spectrum_is_the_spectrum_of_the_features_own_gram(route, width):
    """Streaming G = Phi^T Phi / n and h = Phi^T y / n (in blocks smaller than n) gives the
    eigenvalues and target powers of the dense route on K = Phi Phi^T, and the unlearnable power
    is what the n - D null modes of K carry (to 1e-10)."""
    x, y = _inputs()
    seed = np.random.SeedSequence(11)
    phi = features.feature_map(route, x, "relu_nngp", width, seed)
    sums = features.stream(x, data.targets(y), phi, block=64)  # five blocks, the last one partial
    lam, _, power, unlearnable = features.eigen(sums)
    full = phi(x)
    dense = data.empirical_spectrum(full @ full.T, y)
    r = lam.size
    assert r <= width
    assert np.allclose(lam, dense.eigenvalues[:r], rtol=1e-10, atol=0)
    assert np.allclose(power, dense.target_power[:r], rtol=1e-8, atol=1e-14)
    assert unlearnable == pytest.approx(dense.unlearnable + dense.target_power[r:].sum(), rel=1e-9, abs=1e-14)
    spec, _ = data.feature_spectrum(x, y, route=route, kernel="relu_nngp", width=width, seed=seed)
    assert np.allclose(spec.eigenvalues, lam, rtol=1e-10, atol=0)  # the default block: the same sums


def test_nystrom_with_every_point_a_landmark_is_the_kernel_and_fewer_landmarks_never_exceed_it():
    """m = n: k(x, L) k(L, L)^+ k(L, x') = k(x, x'), the exact spectrum (to 1e-10). m < n: K - K_nys is
    positive semi-definite, so by Weyl every Nystrom eigenvalue is at most the kernel's."""
    x, y = _inputs(n=250)
    exact = data.empirical_spectrum(data.gram_matrix(x, "rbf"), y)
    full, _ = data.feature_spectrum(x, y, route="nystrom", kernel="rbf", width=250, seed=np.random.SeedSequence(2))
    k = 60  # modes far above the range cutoff, where relative errors mean something
    assert np.allclose(full.eigenvalues[:k], exact.eigenvalues[:k], rtol=1e-9)
    assert np.allclose(full.target_power[:k], exact.target_power[:k], rtol=1e-6, atol=1e-12)
    for m in (20, 80):
        part, _ = data.feature_spectrum(x, y, route="nystrom", kernel="rbf", width=m, seed=np.random.SeedSequence(m))
        r = part.eigenvalues.size
        assert np.all(part.eigenvalues <= exact.eigenvalues[:r] * (1 + 1e-10))


def _explicit_training(full, ys, idx, gamma, steps, eta, mu):
    """Gradient descent on the readout, step by step: a_{k+1} = a_k - eta (K_a a_k - b + gamma a_k)
    + mu (a_k - a_{k-1}) from a = 0, K_a = X^T X / P, b = X^T y / P; whole-set error of each target
    averaged, at each requested step count."""
    xs = full[idx]
    p = idx.size
    k_a, b = xs.T @ xs / p, xs.T @ ys[idx] / p
    a = prev = np.zeros((full.shape[1], ys.shape[1]))
    out, k = [], 0
    for target in steps:
        while k < target:
            a, prev = a - eta * (k_a @ a - b + gamma * a) + mu * (a - prev), a
            k += 1
        out.append(np.mean((full @ a - ys) ** 2))
    return np.array(out)


@pytest.mark.parametrize("eta, mu", [(0.0, 0.0), (0.7, 0.0), (0.4, 0.6)], ids=["gradient_flow", "gd", "momentum"])
def test_training_fixed_features_matches_explicit_training_on_the_whole_set(eta, mu):
    """The feature route's training (rows computed when drawn, metric and cross vectors streamed)
    against explicit iterations (gradient descent, momentum) or the closed form (gradient flow),
    with the error taken directly over all n points (to 1e-9)."""
    from scaling_dmft.simulate import seed_generator

    x, y = _inputs(n=200)
    spec, draw = data.feature_spectrum(
        x, y, route="relu_features", kernel="relu_nngp", width=30, seed=np.random.SeedSequence(4)
    )
    full = draw(None).rows(np.arange(200))
    ys = data.targets(y)
    gamma, p = 1e-2, 25
    steps = np.array([1, 7, 40])
    scale = 1.0 / max(spec.eigenvalues[0], 1e-300)  # eta in units of the top curvature: stable
    rate = eta * scale
    ts = steps * rate if eta > 0 else np.array([0.3, 5.0, 80.0]) * scale
    seeds = [np.random.SeedSequence([9, i]) for i in range(2)]
    whole, _ = data.training_components(
        draw, y, n_samples=p, weight_decays=[gamma], times=ts, seeds=seeds, learning_rate=rate, momentum=mu
    )
    for s, seq in enumerate(seeds):
        idx = seed_generator(seq).choice(200, size=p, replace=False)
        if eta > 0:
            expected = _explicit_training(full, ys, idx, gamma, steps, rate, mu)
        else:
            xs = full[idx]
            w, u = np.linalg.eigh(xs.T @ xs / p + gamma * np.eye(xs.shape[1]))
            expected = []
            for t in ts:
                a = u @ ((-np.expm1(-w * t) / w)[:, None] * (u.T @ (xs.T @ ys[idx] / p)))
                expected.append(np.mean((full @ a - ys) ** 2))
        assert np.allclose(whole.signal[s, 0], expected, rtol=1e-9)


def test_gaussian_eigen_features_have_zero_diagnostics_and_a_per_point_scale_shows_as_its_variance():
    """Moments on synthetic eigen-features (n = 2e5 points, r = 4 modes): independent Gaussians give
    excess kurtosis 0 and scale dependence 0; z_k = s g_k with s^2 ~ Gamma(shape 4, scale 1/4)
    (E s^2 = 1, Var s^2 = 1/4) gives scale dependence Var(s^2) = 1/4 and excess kurtosis
    3 E s^4 - 3 = 3/4. Tolerances: 5 standard errors (measured over 10 seeds: 0.004 for the scale
    dependence, 0.009 for the kurtosis; sqrt(96 / (n r)) = 0.011 for a Gaussian's kurtosis)."""
    rng = np.random.default_rng(7)
    n, r = 200_000, 4
    g = rng.standard_normal((n, r))
    moments = features.Moments(r)
    for block in np.array_split(g, 7):
        moments.add(block)
    plain = moments.diagnostics(1.0, 0.0)
    assert abs(plain["excess_kurtosis"]) < 5 * math.sqrt(96 / n / r)
    assert abs(plain["scale_dependence"]) < 0.02
    s = np.sqrt(rng.gamma(4.0, 0.25, size=n))[:, None]
    scaled = features.Moments(r)
    scaled.add(s * g)
    mixed = scaled.diagnostics(1.0, 0.0)
    assert mixed["scale_dependence"] == pytest.approx(0.25, abs=0.02)
    assert mixed["excess_kurtosis"] == pytest.approx(0.75, abs=0.05)


def test_the_relu_kernel_on_gaussian_inputs_has_the_scale_dependence_of_its_norms():
    """relu_nngp is homogeneous: every eigen-feature of x carries the factor s(x) = |x| / sqrt(d),
    and for Gaussian inputs Var(s^2) / E(s^2)^2 = 2 / d. The measured scale dependence of the top
    modes is that (d = 10: 0.2) within 20 % (measured 0.21-0.23 at n = 1500 and 3000: the ReLU features
    of the directions add a little dependence of their own); on the sphere (|x| fixed) it is gone
    (below 0.05)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1500, 10))
    y = rng.integers(0, 2, 1500)
    raw = data.empirical_spectrum(data.gram_matrix(x, "relu_nngp"), y).diagnostics
    assert raw["scale_dependence"] == pytest.approx(0.2, rel=0.2)
    assert raw["norm_cv"] == pytest.approx(math.sqrt(2 / 10), rel=0.1)
    sphere = data.empirical_spectrum(data.gram_matrix(data.to_sphere(x), "relu_nngp"), y).diagnostics
    assert abs(sphere["scale_dependence"]) < 0.05 and sphere["norm_cv"] < 1e-12


def test_the_two_routes_give_the_same_diagnostic_when_the_features_are_the_kernel():
    """Nystrom with m = n is the kernel: its streamed diagnostic equals the dense one (to 1e-8)."""
    x, y = _inputs(n=220)
    dense = data.empirical_spectrum(data.gram_matrix(x, "relu_nngp"), y).diagnostics
    streamed, _ = data.feature_spectrum(
        x, y, route="nystrom", kernel="relu_nngp", width=220, seed=np.random.SeedSequence(1)
    )
    for key, value in dense.items():
        assert streamed.diagnostics[key] == pytest.approx(value, rel=1e-8, abs=1e-10), key


def test_mnist5k_and_image_patches_are_bundled_and_described():
    x, y = data.load_dataset("mnist5k")
    assert x.shape == (5000, 784) and set(np.unique(y)) == set(range(10)) and x.max() == 255
    x, y = data.load_dataset("patches")
    assert x.shape == (data.DATASETS["patches"].n, 64) and x.shape[0] >= 100_000
    assert y.dtype.kind == "f" and abs(y.mean()) < 1e-12 and y.std() == pytest.approx(1.0)


def test_spectrum_command_streams_relu_features_and_the_theory_reads_the_file(tmp_path):
    rng = np.random.default_rng(5)
    np.savez(tmp_path / "d.npz", X=rng.standard_normal((500, 6)), y=rng.standard_normal(500))
    out = run_cli(
        ["spectrum", "--data", "d.npz", "--route", "relu_features", "--width", "40", "--out", "s.parquet"], tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert read_spectrum_file(tmp_path / "s.parquet").n_modes <= 40
    assert "Gaussianity of the top" in out.stdout
    theory = run_cli(["dmft", "--spectrum-file", "s.parquet", "--samples", "16", "--out", "t.csv"], tmp_path)
    assert theory.returncode == 0, theory.stderr


@pytest.mark.parametrize(
    "flags, key",
    [
        (["--data", "d.npz", "--width", "10"], "--width"),
        (["--data", "d.npz", "--route", "nystrom"], "--route"),
        (["--data", "d.npz", "--route", "nystrom", "--width", "200"], "--width"),
        (["--data", "d.npz", "--route", "relu_features", "--width", "10", "--kernel", "rbf"], "--kernel"),
        (["--data", "d.npz", "--route", "relu_features", "--width", "10", "--modes", "20"], "--modes"),
        (["--data", "d.npz", "--route", "relu_features", "--width", "0"], "--width"),
        (["--data", "d.npz", "--route", "relu_features", "--width", "2.5"], "--width"),
        (["--gram", "K.npy", "--labels", "y.npy", "--route", "nystrom", "--width", "5"], "--route"),
        (["--dataset", "patches"], "--dataset"),  # dense: ~470 GB
        (["--dataset", "patches", "--route", "relu_features", "--width", "100000", "--max-memory-gb", "4"], "--width"),
    ],
    ids=[
        "width_without_route",
        "route_without_width",
        "more_landmarks_than_points",
        "relu_features_with_rbf",
        "route_with_modes",
        "width_0",
        "width_not_integer",
        "route_with_gram",
        "patches_dense",
        "patches_too_wide",
    ],
)
def test_spectrum_route_flags_are_checked(tmp_path, flags, key):
    rng = np.random.default_rng(5)
    np.savez(tmp_path / "d.npz", X=rng.standard_normal((100, 3)), y=rng.integers(0, 2, 100))
    np.save(tmp_path / "K.npy", np.eye(4))
    np.save(tmp_path / "y.npy", np.array([0, 1, 0, 1]))
    out = run_cli(["spectrum", *flags, "--out", "s.csv"], tmp_path)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"scaling-dmft: error: {key}"), out.stderr
    assert not (tmp_path / "s.csv").exists()


def _config(**entry):
    from scaling_dmft.config import load_yaml, validate_config

    raw = load_yaml("config/test.yaml")
    raw["data"] = {"d": {"n_samples": [16], "regimes": ["gf_wd"], **entry}}
    return validate_config(raw)


@pytest.mark.parametrize(
    "entry, key, allowed",
    [
        ({"dataset": "patches"}, "data.d.dataset", "route relu_features or nystrom"),
        ({"dataset": "digits", "route": "nystrom"}, "data.d.width", "with route nystrom"),
        ({"dataset": "digits", "width": 64}, "data.d.width", "absent with route dense"),
        ({"dataset": "digits", "route": "nystrom", "width": 2000}, "data.d.width", "at most n = 1797"),
        ({"dataset": "digits", "route": "relu_features", "width": 64, "kernel": "rbf"}, "data.d.kernel", "relu_nngp"),
        ({"dataset": "digits", "route": "nystrom", "width": 64, "n_features": [32]}, "data.d.n_features", "[.inf]"),
        ({"dataset": "patches", "route": "relu_features", "width": 100000}, "data.d.width", "memory budget"),
    ],
)
def test_bad_route_entries_are_refused(entry, key, allowed):
    with pytest.raises(InputError) as err:
        _config(**entry)
    assert str(err.value).startswith(key + ":") and allowed in str(err.value), str(err.value)


def test_patches_with_relu_features_and_a_gradient_descent_regime_are_accepted():
    cfg = _config(dataset="patches", route="relu_features", width=256, regimes=["gf_wd", "gd"])
    assert cfg["data"]["d"]["route"] == "relu_features"


def _curve_rows(sweep, p, t, theory, sim, sim_sem, data_value, data_sem):
    base = {"sweep": sweep, "regime": "ridge", "noise": 0.0, "n_features": math.inf, "n_samples": float(p), "t": t}
    return [
        {**base, "method": "dmft", "eg": theory, "eg_sem": math.nan, "n_seeds": 0, "flag": ""},
        {**base, "method": "sim", "eg": sim, "eg_sem": sim_sem, "n_seeds": 1000, "flag": ""},
        {**base, "method": "data", "eg": data_value, "eg_sem": data_sem, "n_seeds": 1000, "flag": ""},
        {**base, "method": "data_heldout", "eg": 9.0, "eg_sem": 1.0, "n_seeds": 1000, "flag": ""},
    ]


def test_trust_rows_state_each_deviation_with_its_z_score():
    """Hand-computed: theory 1.1 against data 1.0 +- 0.05 is +10 %, z = +2; the Gaussian simulation
    0.96 +- 0.03 against the data is -4 %, z = -0.04 / sqrt(0.03^2 + 0.05^2) = -0.686; theory against
    simulation +14.58 %, z = 0.14 / 0.03 = 4.667. A flagged row, and one whose data have no spread
    over subsets (z undefined), are left out."""
    import pandas as pd

    rows = _curve_rows("a", 8, math.inf, 1.1, 0.96, 0.03, 1.0, 0.05)
    rows += [{**r, "flag": "failed: x"} for r in _curve_rows("a", 16, math.inf, 2.0, 2.0, 0.1, 1.0, 0.1)]
    rows += _curve_rows("a", 32, math.inf, 1.0, 1.0, 0.1, 1.0, 0.0)  # no spread over subsets: no z
    curves = pd.DataFrame(rows)
    spectra = {
        "a": {
            "n_points": "500",
            "diag_modes": "32.0",
            "excess_kurtosis": "0.5",
            "scale_dependence": "0.25",
            "norm_cv": "0.1",
        }
    }
    trust = data.trust_rows(curves, spectra, {"a": {"route": "dense", "replacement": True}})
    assert len(trust) == 1
    row = trust.iloc[0]
    assert row["deviation"] == pytest.approx(0.10) and row["z"] == pytest.approx(2.0)
    assert row["gaussian_deviation"] == pytest.approx(-0.04) and row["gaussian_z"] == pytest.approx(
        -0.04 / math.hypot(0.03, 0.05)
    )
    assert row["theory_vs_sim"] == pytest.approx(0.14 / 0.96) and row["theory_vs_sim_z"] == pytest.approx(0.14 / 0.03)
    assert row["scale_dependence"] == 0.25 and row["n_points"] == 500 and bool(row["replacement"])
    assert np.isnan(row["width"]) and row["n_subsets"] == 1000
    from scaling_dmft import tables

    tables.to_table(trust, "data_trust")  # the schema and its no-silent-NaN checks hold


def test_trust_relation_recovers_a_planted_linear_relation():
    """Four data sets whose mean deviation is exactly -0.2 x the diagnostic: slope -0.2, r = -1."""
    import pandas as pd

    rows = []
    for name, diag in (("a", 0.0), ("b", 0.1), ("c", 0.3), ("d", 0.5)):
        for p in (8, 16):
            rows.append(
                {
                    "sweep": name,
                    "n_samples": p,
                    "scale_dependence": diag,
                    "deviation": -0.2 * diag,
                    "data": 1.0,
                    "data_sem": 0.01,
                }
            )
    rel = data.trust_relation(pd.DataFrame(rows))
    assert (
        rel["slope"] == pytest.approx(-0.2)
        and rel["pearson"] == pytest.approx(-1.0)
        and rel["spearman"] == pytest.approx(-1.0)
    )
    assert rel["sem"] == pytest.approx(np.full(4, math.sqrt(2 * 0.01**2) / 2))

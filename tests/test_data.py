"""Spectra from data (scaling_dmft.data, docs/theory/data.md) and kernel training on the data.

The convention is checked against what it must reproduce: a linear kernel on Gaussian inputs gives
the input covariance's spectrum; the target powers add up to the zero predictor's error; kernel
gradient flow on a subset agrees with a direct kernel-ridge solve and with an explicit matrix
exponential; on Gaussian data (where the theory's Gaussian model is exact) the DMFT with the data's
own spectrum predicts the subset-averaged training error."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg as sla

from cli_runner import run_cli
from scaling_dmft import data
from scaling_dmft.errors import InputError
from scaling_dmft.spectra import read_spectrum_file


def _gaussian(n: int, scales: np.ndarray, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, scales.size)) * np.sqrt(scales)


def test_linear_kernel_on_gaussian_data_recovers_the_covariance_spectrum():
    d, n = 6, 4000
    scales = np.arange(1, d + 1, dtype=float) ** -1.5  # population covariance diag(s)
    x = _gaussian(n, scales)
    spec = data.empirical_spectrum(data.kernel_matrix(x, "linear"), x[:, 0])
    # exactly: the nonzero eigenvalues of K/n = X X^T/(n d) are those of the sample covariance / d
    sample = np.sort(np.linalg.eigvalsh(x.T @ x / n))[::-1] / d
    assert spec.eigenvalues.size == d
    assert np.allclose(spec.eigenvalues, sample, rtol=1e-9)
    # and the sample covariance estimates diag(s): a separated eigenvalue has relative s.e. sqrt(2/n)
    # (2.2 % here); 4 s.e.
    assert np.allclose(spec.eigenvalues, scales / d, rtol=4 * math.sqrt(2 / n))


def test_target_powers_add_up_to_the_zero_predictor_error_and_average_the_classes():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((300, 5))
    labels = rng.integers(0, 3, size=300)
    gram = data.kernel_matrix(x, "relu_nngp")
    spec = data.empirical_spectrum(gram, labels)
    assert spec.n_targets == 3  # one-vs-rest +-1 targets, each with mean square 1
    assert spec.target_power.sum() + spec.unlearnable == pytest.approx(1.0, rel=1e-10)
    assert np.all(np.diff(spec.eigenvalues) <= 0) and spec.eigenvalues[-1] > 0
    # the eigen-features reproduce the Gram matrix and have covariance diag(lambda) over the data
    psi, lam = data.feature_matrix(gram)
    assert np.allclose(psi @ psi.T, gram, atol=1e-9 * np.abs(gram).max())
    assert np.allclose(psi.T @ psi / 300, np.diag(lam), atol=1e-10 * lam[0])


def test_relu_nngp_kernel_is_the_expectation_over_relu_features():
    """k(x, x') = E_w[relu(w.x) relu(w.x')], w ~ N(0, I/d): Monte Carlo with 4e5 features. The s.e.
    of an entry is ~ |x||x'|/(d sqrt(4e5)), ~0.2 % of the largest entry; tolerance 1 % of the entry
    plus 0.5 % of the largest."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3))
    w = rng.standard_normal((400_000, 3)) / math.sqrt(3)
    feats = np.maximum(x @ w.T, 0.0)
    mc = feats @ feats.T / w.shape[0]
    assert np.allclose(data.kernel_matrix(x, "relu_nngp"), mc, rtol=0.01, atol=0.005 * mc.max())


@pytest.mark.parametrize("gamma", [0.0, 1e-2])
def test_kernel_training_matches_a_direct_ridge_solve_and_the_matrix_exponential(gamma):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((200, 4))
    y = np.sin(x[:, 0]) + 0.1 * x[:, 1]
    gram = data.kernel_matrix(x, "rbf")
    p, t = 50, 7.0
    errors = data.train_kernel(
        gram, y, n_samples=p, weight_decay=gamma, times=[t, math.inf], rng=np.random.default_rng(9)
    )
    idx = np.random.default_rng(9).choice(200, size=p, replace=False)  # the same subset
    kpp = gram[np.ix_(idx, idx)]
    a = sla.expm(-(kpp / p + gamma * np.eye(p)) * t)
    coef_t = np.linalg.solve(kpp / p + gamma * np.eye(p), (np.eye(p) - a) @ y[idx]) / p
    coef_inf = np.linalg.lstsq(kpp + p * gamma * np.eye(p), y[idx], rcond=None)[0]
    for coef, value in ((coef_t, errors[0]), (coef_inf, errors[1])):
        assert value == pytest.approx(np.mean((gram[:, idx] @ coef - y) ** 2), rel=1e-6)


def test_on_gaussian_data_the_dmft_with_the_data_spectrum_predicts_training_on_the_data():
    """Inputs Gaussian with a power-law covariance (d = 400, s_j = j^-1.5), a linear kernel and a
    linear target: the data are the theory's Gaussian model with M = d modes, up to the finite
    population (n = 4000 points, subsets of P = 50 and 100 drawn without replacement, P <= n/40).
    `data.theory_vs_data` (the DMFT with the data's own spectrum against the mean over 60 subsets)
    must agree within the project's pass rule (2 % + 3 s.e.); measured: -0.7 % to +1.8 %, |z| <= 0.9."""
    from scaling_dmft.validation import within_tolerance

    d, n = 400, 4000
    scales = np.arange(1, d + 1, dtype=float) ** -1.5
    x = _gaussian(n, scales, seed=4)
    y = x @ (np.arange(1, d + 1, dtype=float) ** -0.5)  # c_j = s_j w_j^2 = j^-2.5
    gram = data.kernel_matrix(x, "linear")
    assert data.empirical_spectrum(gram, y).unlearnable < 1e-10
    # E falls from 0.93 to 0.006-0.012 over these times: the whole learning curve
    rows = data.theory_vs_data(gram, y, samples=[50, 100], weight_decay=1e-5, times=[1e2, 1e4, 1e6], subsets=60)
    assert len(rows) == 6
    for row in rows:
        assert within_tolerance(row["theory"], row["data"], row["data_sem"]), row


def test_digits_ship_with_the_data_extra_and_give_a_spectrum():
    x, y = data.load_dataset("digits")
    assert x.shape == (1797, 64) and np.unique(y).size == 10
    with pytest.raises(InputError, match="--dataset"):
        data.load_dataset("mnist")


def test_spectrum_command_writes_a_spectrum_file_the_theory_reads(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((200, 8))
    np.savez(tmp_path / "d.npz", X=x, y=(x[:, 0] > 0).astype(int))
    out = run_cli(["spectrum", "--data", "d.npz", "--kernel", "relu_nngp", "--out", "s.csv"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "alpha = " in out.stdout and "beta = " in out.stdout
    spectrum = read_spectrum_file(tmp_path / "s.csv")
    assert spectrum.n_modes == 200
    # the Gram route gives the same file
    gram = data.kernel_matrix(data.standardise(x), "relu_nngp")
    np.save(tmp_path / "K.npy", gram)
    np.save(tmp_path / "y.npy", (x[:, 0] > 0).astype(int))
    out = run_cli(["spectrum", "--gram", "K.npy", "--labels", "y.npy", "--out", "g.csv"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert np.allclose(read_spectrum_file(tmp_path / "g.csv").eigenvalues, spectrum.eigenvalues, rtol=1e-9)


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["--kernel", "linear"], "--data"),  # neither --data nor --gram
        (["--gram", "K.npy"], "--labels"),
        (["--data", "missing.npz"], "--data"),
        (["--gram", "bad.npy", "--labels", "y.npy"], "--gram"),
        (["--gram", "K.npy", "--labels", "short.npy"], "--labels"),
    ],
)
def test_spectrum_command_refuses_bad_input_with_one_line(tmp_path, args, key):
    np.save(tmp_path / "K.npy", np.eye(4))
    np.save(tmp_path / "bad.npy", np.arange(6.0).reshape(2, 3))
    np.save(tmp_path / "y.npy", np.array([0, 1, 0, 1]))
    np.save(tmp_path / "short.npy", np.array([0, 1]))
    out = run_cli(["spectrum", *args, "--out", "s.csv"], tmp_path)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and key in lines[0], out.stderr
    assert not (tmp_path / "s.csv").exists()


def test_bad_kernel_name_in_the_library_is_an_input_error():
    with pytest.raises(InputError, match="--kernel"):
        data.kernel_matrix(np.ones((3, 2)), "cosine")


def test_the_real_data_example_runs_and_prints_its_three_tables(capsys):
    """docs/examples/real_data.py produces the table of docs/theory/data.md, section 4."""
    import runpy
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "docs" / "examples" / "real_data.py"
    runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr().out
    assert "digits (n = 1797, standardised)" in out and "digits (n = 1797, on the sphere)" in out
    assert "breast_cancer (n = 569, standardised)" in out
    assert out.count("| 16 |") == 3 and out.count("| 449 |") == 2 and "| 142 |" in out


def test_training_n_relu_features_is_training_the_readout_in_weight_space():
    """`train_kernel` on the Gram of N random ReLU features equals gradient flow on the readout
    a (N weights) solved directly in weight space: a(t) = (Phi^T Phi/P + gamma)^-1 (1 - e^{-(...)t})
    Phi^T y/P, at t = 5 and t = inf (ridge). And that Gram tends to the ReLU NNGP kernel."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((120, 5))
    y = np.tanh(x[:, 0] - x[:, 2])
    n_feat, p, gamma = 40, 60, 1e-2
    gram = data.relu_feature_gram(x, n_feat, np.random.default_rng(7))
    errors = data.train_kernel(
        gram, y, n_samples=p, weight_decay=gamma, times=[5.0, math.inf], rng=np.random.default_rng(8)
    )
    w = np.random.default_rng(7).standard_normal((5, n_feat)) / math.sqrt(5)
    phi = np.maximum(x @ w, 0.0) / math.sqrt(n_feat)
    idx = np.random.default_rng(8).choice(120, size=p, replace=False)
    a_mat = phi[idx].T @ phi[idx] / p + gamma * np.eye(n_feat)
    rhs = phi[idx].T @ y[idx] / p
    a_t = np.linalg.solve(a_mat, (np.eye(n_feat) - sla.expm(-a_mat * 5.0)) @ rhs)
    a_inf = np.linalg.solve(a_mat, rhs)
    for a, value in ((a_t, errors[0]), (a_inf, errors[1])):
        assert value == pytest.approx(np.mean((phi @ a - y) ** 2), rel=1e-8)
    # N -> inf: the feature Gram converges to the kernel (s.e. ~ 1/sqrt(N) of the scale)
    wide = data.relu_feature_gram(x[:4], 200_000, np.random.default_rng(9))
    kernel = data.kernel_matrix(x[:4], "relu_nngp")
    assert np.allclose(wide, kernel, rtol=0.02, atol=0.01 * kernel.max())


# ---------------------------------------------------------------- training_components and the `data:` workflow


def _krr_errors(gram, ys, idx, gamma, t):
    """Direct kernel ridge / gradient flow on the subset idx: errors on the whole set and the rest."""
    p = idx.size
    a_mat = gram[np.ix_(idx, idx)] / p + gamma * np.eye(p)
    if math.isinf(t):
        a = np.linalg.solve(a_mat, ys[idx] / p)
    else:
        w, u = np.linalg.eigh(a_mat)
        a = u @ ((-np.expm1(-w * t) / w)[:, None] * (u.T @ ys[idx] / p))
    f = gram[:, idx] @ a
    rest = np.setdiff1d(np.arange(gram.shape[0]), idx)
    return np.mean((f - ys) ** 2), np.mean((f[rest] - ys[rest]) ** 2)


@pytest.mark.parametrize(
    "name, replace",
    [("breast_cancer", False), ("breast_cancer", True), ("wine", False)],
    ids=["without", "with", "3_classes"],
)
def test_training_components_on_the_data_match_direct_kernel_ridge_on_the_whole_set_and_the_rest(name, replace):
    """Drawn without replacement, and with it (P = 300 of 569: repeated points, whose held-out set is
    the points never drawn); three classes (wine): the errors averaged over the one-vs-rest targets.
    Training runs through rows of K (data._kernel_spectral), the direct solve through K_PP."""
    from scaling_dmft.simulate import seed_generator

    x, y = data.load_dataset(name)
    gram = data.kernel_matrix(data.standardise(x), "relu_nngp")
    ys = data.targets(y)
    seeds = [np.random.SeedSequence([3, i]) for i in range(3)]
    ts, gamma, p = np.array([1.0, 100.0, np.inf]), 1e-3, 300 if replace else 60
    whole, held = data.training_components(
        data.kernel_features(gram, y), y, n_samples=p, weight_decays=[gamma], times=ts, seeds=seeds, replace=replace
    )
    for s, seq in enumerate(seeds):
        idx = seed_generator(seq).choice(len(y), size=p, replace=replace)  # the subset the seed draws
        assert (np.unique(idx).size < p) == replace
        for ti, t in enumerate(ts):
            e_whole, e_rest = _krr_errors(gram, ys, idx, gamma, t)
            assert whole.signal[s, 0, ti] == pytest.approx(e_whole, rel=1e-9)
            assert held.signal[s, 0, ti] == pytest.approx(e_rest, rel=1e-9)


def test_langevin_on_relu_features_of_the_data_matches_the_explicit_weight_space_formulas():
    """Thermal and init parts of training N ReLU features of the data against the weight-space
    formulas on the drawn features: Theta(t) = tr[G (1 - e^{-2At}) A^{-1}], C(2t) = tr[G e^{-2At}],
    A = Phi_P^T Phi_P / P + gamma, G = Phi^T Phi / n; label noise Nz = tr[G B B^T] / P^2 with
    B = A^{-1} (1 - e^{-At}) Phi_P^T."""
    from scaling_dmft.simulate import seed_generator

    x, y = data.load_dataset("breast_cancer")
    inputs = data.standardise(x)
    draw = data.relu_features(inputs, 24, y)
    seeds = [np.random.SeedSequence([4, i]) for i in range(2)]
    ts, gamma, p = np.array([0.5, 30.0]), 1e-2, 40
    whole, held = data.training_components(draw, y, n_samples=p, weight_decays=[gamma], times=ts, seeds=seeds)
    for s, seq in enumerate(seeds):
        rng = seed_generator(seq)
        phi = draw(rng).rows(np.arange(len(y)))
        idx = rng.choice(len(y), size=p, replace=False)
        rest = np.setdiff1d(np.arange(len(y)), idx)
        g_rest = phi[rest].T @ phi[rest] / rest.size
        g_mat = phi.T @ phi / len(y)
        a_mat = phi[idx].T @ phi[idx] / p + gamma * np.eye(24)
        for ti, t in enumerate(ts):
            decay = sla.expm(-a_mat * t)
            theta = np.trace(g_mat @ (np.eye(24) - decay @ decay) @ np.linalg.inv(a_mat))
            b = np.linalg.solve(a_mat, (np.eye(24) - decay) @ phi[idx].T)
            assert whole.thermal[s, 0, ti] == pytest.approx(theta, rel=1e-8)
            theta_rest = np.trace(g_rest @ (np.eye(24) - decay @ decay) @ np.linalg.inv(a_mat))
            assert held.thermal[s, 0, ti] == pytest.approx(theta_rest, rel=1e-8)
            assert held.noise[s, 0, ti] == pytest.approx(np.trace(g_rest @ b @ b.T) / p**2, rel=1e-8)
            assert whole.init[s, 0, ti] == pytest.approx(np.trace(g_mat @ decay @ decay), rel=1e-8)
            assert whole.noise[s, 0, ti] == pytest.approx(np.trace(g_mat @ b @ b.T) / p**2, rel=1e-8)


def test_digits_on_the_sphere_agree_with_the_theory_and_standardised_digits_do_not():
    """The documented deviation and its cause (docs/theory/data.md): standardised digits have a few
    inputs with norms up to 6.6x the mean, and the ReLU kernel scales all of a point's eigen-features
    by its norm, a dependence the Gaussian theory lacks. At P = 128, t = inf, 40 subsets: on the
    sphere the theory is within the project's pass rule (2 % + 3 s.e.); standardised, it is more
    than 10 % below the trained error."""
    x, y = data.load_dataset("digits")
    z = data.standardise(x)
    gaps = {}
    for name, inputs in (("sphere", data.to_sphere(z)), ("standardised", z)):
        rows = data.theory_vs_data(
            data.kernel_matrix(inputs, "relu_nngp"),
            y,
            samples=[128],
            weight_decay=1e-3,
            times=[math.inf],
            subsets=40,
            seed=20261201,
        )
        (row,) = rows
        gaps[name] = (row["theory"] - row["data"], row["data"], row["data_sem"])
    diff, value, sem = gaps["sphere"]
    assert abs(diff) <= 0.02 * value + 3 * sem
    diff, value, sem = gaps["standardised"]
    assert diff < -0.10 * value


def _data_config(tmp_path, **entry):
    from scaling_dmft.config import load_yaml, validate_config

    raw = load_yaml("config/test.yaml")
    entry = {"dataset": "breast_cancer", "n_samples": [16], "regimes": ["gf_wd"], **entry}
    raw["data"] = {"mine": {k: v for k, v in entry.items() if v is not None}}  # None: leave the key out
    return validate_config(raw, base_dir=tmp_path)


@pytest.mark.parametrize(
    "entry, key, allowed",
    [
        ({"n_samples": [569]}, "data.mine.n_samples", "P < n = 569"),
        ({"n_features": [64], "kernel": "rbf"}, "data.mine.n_features", "relu_nngp"),
        ({"regimes": ["bayes"]}, "data.mine.regimes[0]", "not bayes"),
        ({"kernel": "poly"}, "data.mine.kernel", "relu_nngp | relu_ntk | erf_nngp | erf_ntk | linear | rbf"),
        ({"dataset": "mnist"}, "data.mine.dataset", "digits | breast_cancer"),
        ({"file": "x.npz"}, "data.mine.dataset", "exactly one of dataset and file"),
        ({"dataset": None, "file": "absent.npz"}, "data.mine.file", "a regular, readable .npz"),
    ],
)
def test_bad_data_entries_are_refused_with_the_key_and_the_allowed_range(tmp_path, entry, key, allowed):
    with pytest.raises(InputError) as err:
        _data_config(tmp_path, **entry)
    assert str(err.value).startswith(key + ":") and allowed in str(err.value)


def test_a_data_file_entry_is_read_relative_to_the_config_and_its_size_bounds_p(tmp_path):
    rng = np.random.default_rng(5)
    np.savez(tmp_path / "mine.npz", X=rng.standard_normal((50, 3)), y=rng.integers(0, 2, 50))
    cfg = _data_config(tmp_path, dataset=None, file="mine.npz", n_samples=[16])
    assert cfg["data"]["mine"]["file"] == str(tmp_path / "mine.npz")
    with pytest.raises(InputError, match=r"data\.mine\.n_samples: .*P < n = 50"):
        _data_config(tmp_path, dataset=None, file="mine.npz", n_samples=[50])


def test_the_bundled_data_set_sizes_are_those_scikit_learn_ships():
    for name, known in data.DATASETS.items():
        x, y = data.load_dataset(name)
        assert x.shape == (known.n, known.d)
        assert np.unique(y).size == known.classes or (known.classes == 0 and y.dtype.kind == "f")


def test_compare_gives_all_four_methods_and_a_valid_curve_table(tmp_path):
    from scaling_dmft import tables
    from scaling_dmft.rules import data_curves_job, draw_data_figure, empirical_spectrum_job

    cfg = _data_config(tmp_path, n_samples=[16, 64], n_features=[math.inf, 32], subsets=4, sim_seeds=4)
    entry = cfg["data"]["mine"]
    spectrum = str(tmp_path / "mine.parquet")
    empirical_spectrum_job("mine", entry, spectrum)
    assert read_spectrum_file(spectrum).n_modes == 569
    frame = data_curves_job("mine", entry, cfg["regimes"], 7, spectrum, str(tmp_path / "curves.parquet"))
    tables.check_curve_table(frame, "curves")
    assert sorted(frame["method"].unique()) == ["data", "data_heldout", "dmft", "sim"]
    assert set(frame["n_seeds"][frame["method"] != "dmft"]) == {4}
    # the held-out error of a trained subset is above its whole-set error (it is not trained on)
    wide = frame[np.isinf(frame["t"])].pivot_table(index=["n_features", "n_samples"], columns="method", values="eg")
    assert (wide["data_heldout"] > wide["data"]).all()
    draw_data_figure(str(tmp_path / "curves.parquet"), str(tmp_path / "d.pdf"), str(tmp_path / "d.png"))
    assert (tmp_path / "d.png").stat().st_size > 10_000


def test_randomised_top_modes_and_tail_reproduce_the_dense_spectrum_and_its_theory():
    """data.top_spectrum on digits (sphere, ReLU NNGP), top 300 of 1797 modes: the leading modes are
    the dense eigendecomposition's (the randomised error bound (lambda_341/lambda_k)^5 is below 1e-4
    for k <= 100; measured 1e-5), the trace and the target power are exact by construction, and the
    DMFT error it predicts at P = 32..449 is the dense spectrum's within 1e-3 (measured 4e-4; the
    tail beyond mode 300 carries 2 % of the trace)."""
    import pandas as pd

    from scaling_dmft import dmft
    from scaling_dmft.spectra import spectrum_from_arrays

    x, y = data.load_dataset("digits")
    x = data.to_sphere(data.standardise(x))
    dense = data.empirical_spectrum(data.kernel_matrix(x, "relu_nngp"), y)
    top, computed = data.top_spectrum(x, y, "relu_nngp", 300)
    assert computed == 300 and top.eigenvalues.size == 1797
    assert np.allclose(top.eigenvalues[:100], dense.eigenvalues[:100], rtol=1e-4)
    assert top.eigenvalues.sum() == pytest.approx(dense.eigenvalues.sum(), rel=1e-12)
    assert top.target_power.sum() == pytest.approx(dense.target_power.sum() + dense.unlearnable, rel=1e-12)
    assert np.all(np.diff(top.eigenvalues) <= 0)

    def errors(spec, p):
        frame = pd.DataFrame({"eigenvalue": spec.eigenvalues, "target_power": spec.target_power})
        sums = dmft.prepare(spectrum_from_arrays(frame).modes())
        ts = [10.0, 1e3, math.inf]
        return dmft.solve(sums, n_features=math.inf, n_samples=p, weight_decay=1e-3, times=ts).signal

    for p in (32, 128, 449):
        assert np.allclose(errors(top, p), errors(dense, p), rtol=1e-3)


def test_spectrum_command_with_modes_writes_top_modes_and_a_tail(tmp_path):
    out = tmp_path / "d.parquet"
    result = run_cli(["spectrum", "--dataset", "breast_cancer", "--modes", "100", "--out", str(out)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "top 100 modes computed" in result.stdout
    assert read_spectrum_file(out).n_modes == 569
    refused = run_cli(
        ["spectrum", "--gram", "K.npy", "--labels", "y.npy", "--modes", "10", "--out", str(out)], tmp_path
    )
    assert refused.returncode == 2 and refused.stderr.strip().endswith("(the Gram matrix is given whole))")


def test_the_data_target_runs_the_workflow_rules_end_to_end(tmp_path):
    """`snakemake data` with a `data:` section: the spectrum, curves, aggregates and figure rules
    (own config, so the shared tiny config, which the SLURM tests run, keeps its job count)."""
    import subprocess

    import yaml

    from conftest import TINY_CONFIG, TINY_ROOT, TINY_SNAKEMAKE, tiny_env
    from scaling_dmft import tables

    cfg = yaml.safe_load(TINY_CONFIG.read_text())
    cfg["data"] = {
        "breast_cancer": {
            "dataset": "breast_cancer",
            "n_samples": [16, 64],
            "n_features": [math.inf, 32],
            "regimes": ["gf_wd", "langevin"],
            "times": {"start": 1.0, "stop": 1.0e4, "count": 5, "include_inf": True},
            "subsets": 4,
            "sim_seeds": 4,
        }
    }
    config = tmp_path / "data.yaml"
    config.write_text(yaml.safe_dump(cfg))
    cmd = [TINY_SNAKEMAKE, "--snakefile", str(TINY_ROOT / "Snakefile"), "--cores", "2", "--configfile", str(config)]
    proc = subprocess.run(
        [*cmd, "--directory", str(tmp_path), "data"], cwd=tmp_path, env=tiny_env(), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    base = tmp_path / "results" / "test"
    curves = tables.read_table(base / "tables" / "data_curves.parquet", "curve")
    assert sorted(curves["method"].unique()) == ["data", "data_heldout", "dmft", "sim"]
    assert curves.attrs["config_hash"] and "base_seed" in curves.attrs["seeds"]
    spectra = tables.read_table(base / "tables" / "data_spectra.parquet", "spectrum")
    assert spectra["n_modes"].iloc[0] == 569 and (base / "figures" / "data.png").stat().st_size > 10_000
    assert read_spectrum_file(base / "data" / "spectra" / "breast_cancer.parquet").n_modes == 569

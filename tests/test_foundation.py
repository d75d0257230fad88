"""Spectra, mode quadrature, tables (schemas, provenance, atomic writes), grid expansion."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from scaling_dmft import grid, tables
from scaling_dmft.config import load_config
from scaling_dmft.errors import InputError
from scaling_dmft.spectra import powerlaw, read_spectrum_file
from table_rows import curve_frame


def test_powerlaw_spectrum_values():
    s = powerlaw(2.0, 3.0, 10)
    assert np.allclose(s.eigenvalues, np.arange(1, 11) ** -2.0)
    assert np.allclose(s.target_power, np.arange(1, 11) ** -3.0)
    # w*_k = k^((alpha-beta)/2) gives lambda_k w*_k^2 = k^-beta
    w = np.arange(1, 11) ** ((2.0 - 3.0) / 2)
    assert np.allclose(s.eigenvalues * w**2, s.target_power)


@pytest.mark.parametrize("alpha, beta", [(1.5, 1.5), (2.0, 3.0), (1.1, 4.0)])
def test_tail_quadrature_matches_exact_sums(alpha, beta):
    # the Euler-Maclaurin error of the midpoint rule at k0 = 1000 is O(1/k0^2) ~ 1e-7 relative
    spectrum = powerlaw(alpha, beta, 200_000)
    modes = spectrum.modes()
    assert len(modes.weights) < 2000
    lam, c = spectrum.eigenvalues, spectrum.target_power
    for kappa in (1e-7, 1e-4, 1e-1):
        for exact, approx in (
            (np.sum(lam / (lam + kappa)), modes.sum(modes.eigenvalues / (modes.eigenvalues + kappa))),
            (
                np.sum(c * kappa**2 / (lam + kappa) ** 2),
                modes.sum(modes.target_power * kappa**2 / (modes.eigenvalues + kappa) ** 2),
            ),
        ):
            assert approx == pytest.approx(exact, rel=2e-7)


def test_spectrum_file_roundtrip(tmp_path):
    lam = np.array([1.0, 0.5, 0.25, 0.25])
    c = np.array([1.0, 0.0, 0.1, 0.2])
    path = tmp_path / "spec.csv"
    pd.DataFrame({"eigenvalue": lam, "target_power": c}).to_csv(path, index=False)
    spec = read_spectrum_file(path)
    assert spec.n_modes == 4 and spec.teacher == "file"
    assert np.array_equal(spec.eigenvalues, lam) and np.array_equal(spec.target_power, c)
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"eigenvalue": lam[::-1], "target_power": c}).to_csv(bad, index=False)
    with pytest.raises(InputError, match=r"eigenvalue.*non-increasing"):
        read_spectrum_file(bad)


def _curve_frame(n: int = 3, flag: str = "") -> pd.DataFrame:
    return curve_frame([1.0, 10.0, math.inf][:n], 0.5, flag)


def test_table_roundtrip_schema_and_provenance(tmp_path):
    path = tmp_path / "c.parquet"
    tables.write_table(_curve_frame(), path, "curve", tables.provenance({"a": 1}, seeds="rule"))
    frame = tables.read_table(path, "curve")
    assert frame.attrs["config_hash"] == tables.config_hash({"a": 1})
    assert frame.attrs["seeds"] == "rule" and frame.attrs["table"] == "curve"
    assert frame.attrs["package_version"]
    assert math.isinf(frame["n_features"].iloc[0]) and math.isinf(frame["t"].iloc[-1])
    assert pq.read_schema(path).remove_metadata().equals(tables.CURVE_SCHEMA)


def test_table_rejects_nan_and_unflagged_inf(tmp_path):
    frame = _curve_frame()
    frame.loc[1, "eg"] = np.nan
    with pytest.raises(ValueError, match="NaN in column 'eg'"):
        tables.write_table(frame, tmp_path / "x.parquet", "curve")
    frame = _curve_frame()
    frame.loc[2, "eg"] = np.inf
    with pytest.raises(ValueError, match="infinite value in column 'eg'"):
        tables.write_table(frame, tmp_path / "x.parquet", "curve")
    frame.loc[2, "flag"] = "infinite"
    tables.write_table(frame, tmp_path / "x.parquet", "curve")
    assert not list(tmp_path.glob(".*tmp"))


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    path = tmp_path / "c.parquet"
    tables.write_table(_curve_frame(), path, "curve")
    before = path.read_bytes()
    bad = _curve_frame().drop(columns=["eg"])
    with pytest.raises(ValueError, match="missing columns"):
        tables.write_table(bad, path, "curve")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.parquet"]


def test_time_grid_includes_both_ends_and_inf():
    times = grid.time_grid({"start": 0.1, "stop": 1e6, "count": 30, "include_inf": True})
    assert times[0] == 0.1 and times[-2] == 1e6 and math.isinf(times[-1]) and len(times) == 31
    assert np.allclose(np.diff(np.log(times[:-1])), np.log(1e7) / 29)


def _grid_from_config(cfg, *keys):
    """Every combination of the config's own lists, per sweep (independent of grid.sweep_points)."""
    out = []
    for name, sweep in cfg["sweeps"].items():
        lists = [sweep[k] for k in keys]
        out += [(name, *combo) for combo in itertools.product(*lists)]
    return out


def test_default_config_chunks_cover_every_point_once():
    cfg = load_config("config/config.yaml")
    chunks = grid.dmft_chunks(cfg)
    points = [p for chunk in chunks.values() for p in chunk]
    keys = ("alpha", "beta", "n_features", "n_samples", "noise", "regimes")
    identities = [
        (
            p.sweep,
            p.model.spectrum.alpha,
            p.model.spectrum.beta,
            p.model.n_features,
            p.model.n_samples,
            p.regime.noise,
            p.regime.name,
        )
        for p in points
    ]
    expected = _grid_from_config(cfg, *keys)
    assert len(identities) == len(set(identities)), "a point is in two chunks (or twice in one)"
    assert set(identities) == set(expected), set(expected) ^ set(identities)
    # the simulated sweeps: every disorder point (spectrum, N, P) in exactly one simulation chunk
    disorder = [
        (
            name.rsplit("-", 1)[0],
            g.model.spectrum.alpha,
            g.model.spectrum.beta,
            g.model.n_features,
            g.model.n_samples,
        )
        for name, groups in grid.sim_chunks(cfg).items()
        for g in groups
    ]
    simulated = {"sweeps": {k: v for k, v in cfg["sweeps"].items() if v["simulate"]}}
    assert simulated["sweeps"], "the default config simulates at least one sweep"
    assert len(disorder) == len(set(disorder))
    assert set(disorder) == set(_grid_from_config(simulated, "alpha", "beta", "n_features", "n_samples"))
    assert all(len(c) <= cfg["chunks"]["dmft_points"] for c in chunks.values())
    bayes = [p for p in points if p.regime.kind == "bayes"]
    assert bayes and all(p.times == (math.inf,) for p in bayes)
    langevin = [p for p in points if p.regime.name == "langevin"]
    assert all(p.regime.init_std == pytest.approx(math.sqrt(1e-3 / 1e-2)) for p in langevin)

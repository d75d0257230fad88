"""The atlas's iso-compute curves (atlas.iso_compute_frame; drawn by the frontier figure, which
computes nothing): E_g(N, t = C/N) with the regime's own optimizer. A gradient-descent regime trains
for whole steps, t = eta floor(C / (N eta)), and is not drawn as gradient flow."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from scaling_dmft import atlas, dmft, tables
from scaling_dmft.spectra import powerlaw

INF = math.inf


def _frontier(eta: float, name: str = "gd", n_samples: float = INF, compute_model: str = "NT") -> pd.DataFrame:
    """A hand-made frontier table: budgets 1e2..1e5 with optimum N* = sqrt(C) (only N* and the point
    columns matter here)."""
    budgets = np.logspace(2, 5, 7)
    return pd.DataFrame(
        {
            "sweep": name,
            "spectrum": "powerlaw",
            "alpha": 2.0,
            "beta": 2.5,
            "teacher": "powerlaw",
            "n_modes": 2000,
            "n_features": np.sqrt(budgets),
            "n_samples": n_samples,
            "noise": 0.0,
            "regime": name,
            "weight_decay": 0.0,
            "temperature": 0.0,
            "init_std": 0.0,
            "optimizer": "gd" if eta > 0 else "gf",
            "learning_rate": eta,
            "momentum": 0.0,
            "batch_size": INF,
            "batch_sampling": "",
            "lr_schedule": "constant",
            "compute_model": compute_model,
            "tuned": "",
            "compute": budgets,
            "t": np.sqrt(budgets),
            "eg": 0.1,
            "eg_mean": 0.1,
            "flag": "",
        }
    )


def test_gradient_descent_curves_train_whole_steps_not_gradient_flow():
    eta = 0.9  # large steps: E_g after k steps of size eta differs from gradient flow at t = eta k
    iso = atlas.iso_compute_frame(_frontier(eta))
    tables.to_table(iso, "iso_compute")  # schema and the no-silent-NaN rule
    assert iso["compute"].nunique() == atlas.ISO_BUDGETS
    steps = np.floor(iso["compute"] / iso["n_features"] / eta * (1 + 1e-12))
    assert np.allclose(iso["t"], eta * steps, rtol=1e-12)  # whole steps, never more than the budget
    assert ((iso["flag"] == "no_step") == (steps == 0)).all()
    ok = iso[iso["flag"] == ""]
    assert len(ok) > 100
    sums = dmft.prepare(powerlaw(2.0, 2.5, 2000).modes())
    sample = ok.iloc[:: max(1, len(ok) // 12)]
    gd_gap = []
    for _, row in sample.iterrows():
        gd = dmft.solve(
            sums, n_features=row["n_features"], n_samples=INF, weight_decay=0.0, times=[row["t"]], learning_rate=eta
        ).errors(noise=0.0, init_var=0.0, temperature=0.0)[1][0]
        flow = dmft.solve(sums, n_features=row["n_features"], n_samples=INF, weight_decay=0.0, times=[row["t"]]).errors(
            noise=0.0, init_var=0.0, temperature=0.0
        )[1][0]
        assert row["eg"] == pytest.approx(gd, rel=1e-12)
        gd_gap.append(abs(gd / flow - 1))
    # at few steps the discrete dynamics is visibly not gradient flow (docs/theory/discrete.md)
    assert max(gd_gap) > 0.01, gd_gap


def test_gradient_flow_curves_use_c_over_n_and_the_frontier_is_chosen_by_name():
    frontier = pd.concat([_frontier(0.0, name="b"), _frontier(0.0, name="a"), _frontier(0.0, name="c", n_samples=64)])
    iso = atlas.iso_compute_frame(frontier)
    assert set(iso["sweep"]) == {"a"}  # the first by name at P = inf with a fixed gamma
    assert np.allclose(iso["t"], iso["compute"] / iso["n_features"], rtol=1e-12)
    assert (iso["flag"] == "").all()
    assert atlas.iso_frontier(_frontier(0.0, compute_model="NPT")) is None
    assert atlas.iso_compute_frame(_frontier(0.0, compute_model="NPT")).empty

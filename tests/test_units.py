"""Paper units (scaling_dmft.units): the paper sums the loss over the P samples, we average it.
t = P t_paper, T = 1/(P beta_paper), gamma = g/P; the prior variance T/gamma = 1/(g beta_paper)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from scaling_dmft import grid
from scaling_dmft.config import load_config, load_yaml, validate_config
from scaling_dmft.errors import InputError
from scaling_dmft.units import from_paper, to_paper

ROOT = Path(__file__).resolve().parents[1]


def test_the_papers_figure_setting_in_our_units():
    # beta = 10, g beta = 1e3, P = 100 (the paper's figure) -> T = 1e-3, gamma = 1
    ours = from_paper(n_samples=100, beta_inv=1 / 10, g=1e3 / 10, t_paper=np.array([1e-2, 1.0]))
    assert ours["temperature"] == pytest.approx(1e-3, rel=1e-15)
    assert ours["weight_decay"] == pytest.approx(1.0, rel=1e-15)
    np.testing.assert_allclose(ours["t"], [1.0, 100.0], rtol=1e-15)
    assert ours["temperature"] / ours["weight_decay"] == pytest.approx(1 / (1e3 / 10 * 10))  # prior variance 1/(g beta)
    back = to_paper(n_samples=100, t=ours["t"], temperature=ours["temperature"], weight_decay=ours["weight_decay"])
    assert back["beta_inv"] == pytest.approx(0.1) and back["g"] == pytest.approx(100.0)
    np.testing.assert_allclose(back["t_paper"], [1e-2, 1.0])


def test_paper_units_need_a_finite_p():
    with pytest.raises(InputError, match="n_samples"):
        from_paper(n_samples=math.inf, g=1.0)


def _config(**regime):
    cfg = load_yaml(ROOT / "config" / "test.yaml")
    cfg["regimes"].append(
        {"name": "paper", "kind": "langevin", "weight_decay": 100.0, "temperature": 0.1, "init_std": "prior", **regime}
    )
    cfg["sweeps"] = {
        "s": {
            "alpha": [1.5],
            "beta": [1.5],
            "n_features": [math.inf],
            "n_samples": [100, 200],
            "regimes": ["paper"],
            "times": {"start": 1e-3, "stop": 1.0, "count": 4},
            "time_units": "paper",
        }
    }
    cfg["figures"] = {}
    return cfg


def test_a_sweep_in_paper_units_is_converted_per_point():
    points = grid.sweep_points(validate_config(_config(units="paper"), base_dir=ROOT / "config"), "s")
    for point in points:
        p, regime = point.model.n_samples, point.regime
        assert regime.weight_decay == pytest.approx(100.0 / p) and regime.temperature == pytest.approx(0.1 / p)
        assert regime.init_std == pytest.approx(math.sqrt(1e-3))  # prior variance 1/(g beta) at every P
        np.testing.assert_allclose(point.times[:-1], p * np.geomspace(1e-3, 1.0, 4), rtol=1e-12)
        assert math.isinf(point.times[-1])


def test_paper_units_with_p_inf_are_refused():
    cfg = _config(units="paper")
    cfg["sweeps"]["s"]["n_samples"] = [100, math.inf]
    with pytest.raises(InputError, match=r"sweeps\.s\.n_samples\[1\]"):
        validate_config(cfg, base_dir=ROOT / "config")


def test_f2_left_is_the_papers_stated_setting():
    """config/paper.yaml, F2 left: lambda_k = k^-3/2, M = P = 100, N = inf, T = 1e-3, gamma = 1."""
    cfg = load_config(ROOT / "config" / "paper.yaml")
    left = cfg["figures"]["threshold"]["sweeps"][0]
    (point,) = grid.sweep_points(cfg, left)
    model = point.model
    assert (model.spectrum.alpha, model.spectrum.n_modes, model.n_samples, model.n_features) == (
        1.5,
        100,
        100.0,
        math.inf,
    )
    assert point.regime.temperature == pytest.approx(1e-3) and point.regime.weight_decay == pytest.approx(1.0)
    assert cfg["sweeps"][left]["simulate"] and cfg["sweeps"][left]["target_rel_sem"] <= 0.01  # the paper's <= 1 % s.e.

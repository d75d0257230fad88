"""Batch size and data reuse of multi-pass SGD (scaling_dmft.frontier.critical_batch, data_reuse;
docs/theory/frontier.md section 8): the laws derived there, checked on the theory's own optima."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scaling_dmft import dmft, frontier
from scaling_dmft.errors import InputError
from scaling_dmft.spectra import powerlaw

MODES = powerlaw(1.5, 2.0, 10**6).modes()
A = (2.0 - 1.0) / 1.5  # the time exponent (beta - 1) / alpha of gradient descent


def test_the_critical_batch_grows_with_compute_only_with_label_noise():
    """With label noise (sigma = 0.5, P = 1e7, eta = 0.5) B* grows with the budget as (C/N)^(a/(1+a)),
    a = (beta-1)/alpha (the SGD noise is an additive sigma^2 eta / B): the log-log slope of B* over
    C/N = 1e3..1e6 within 0.08 of 0.4 (the batch grid has 8 points per decade: +-0.05 in log10 B* at each
    end). Without label noise the excess is multiplicative and B* does not depend on C."""
    budgets = np.logspace(3, 6, 4)
    noisy = frontier.critical_batch(
        MODES, budgets, n_features=math.inf, n_samples=1e7, learning_rate=0.5, batch_range=(1, 300), noise=0.5
    )
    slope = np.polyfit(np.log(budgets), np.log(noisy["batch_size"]), 1)[0]
    assert abs(slope - A / (1 + A)) <= 0.08, noisy
    assert np.all(np.diff(noisy["batch_size"]) >= 0) and np.all(np.diff(noisy["eg"]) < 0)
    # every optimum is within its budget and is the SGD theory's error there
    assert np.all(noisy["batch_size"] * noisy["steps"] <= budgets * (1 + 1e-12))
    for row in noisy.itertuples():
        th = dmft.solve(
            MODES, n_features=math.inf, n_samples=1e7, weight_decay=0.0, times=[0.5 * row.steps],
            learning_rate=0.5, batch_size=row.batch_size,
        )  # fmt: skip
        assert th.errors(noise=0.5, init_var=0.0, temperature=0.0)[1][0] == pytest.approx(row.eg, rel=1e-9)
    clean = frontier.critical_batch(
        MODES, budgets, n_features=math.inf, n_samples=1e7, learning_rate=0.5, batch_range=(1, 300)
    )
    assert clean["batch_size"].nunique() == 1 and (clean["flag"] == "").all(), clean
    with pytest.raises(InputError, match="n_samples"):
        frontier.critical_batch(MODES, budgets, n_features=math.inf, n_samples=math.inf, learning_rate=0.5)


def test_repeated_data_helps_until_a_plateau_that_grows_as_p_to_alpha_minus_one():
    """The effective reuse rate R(K, P) (arXiv 2511.13421's E(K, N)): R ~ K at the first epochs while K is
    far below the plateau (P = 1000, plateau ~30: within 15 % at K = 1, 2), and the plateau grows like
    P^(alpha - 1) (no label noise): R(1024, 1000) / R(1024, 100) within 10 % of 10^0.5."""
    reuse = frontier.data_reuse(MODES, [100, 1000], [1, 2, 1024], n_features=math.inf, learning_rate=0.5, batch_size=4)
    r = reuse.set_index(["n_samples", "epochs"])["reuse_rate"]
    assert r[1000.0, 1.0] == pytest.approx(1.0, rel=0.15) and r[1000.0, 2.0] == pytest.approx(2.0, rel=0.15)
    assert r[1000.0, 1024.0] / r[100.0, 1024.0] == pytest.approx(10**0.5, rel=0.1)
    assert (reuse["flag"] == "").all()

"""Hand-made curve-table rows for the table and atomic-write tests (one parameter point)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

POINT = dict(
    sweep="s",
    spectrum="powerlaw",
    alpha=2.0,
    beta=3.0,
    teacher="powerlaw",
    n_modes=10,
    n_features=math.inf,
    n_samples=8.0,
    noise=0.0,
    regime="gf",
    weight_decay=0.0,
    temperature=0.0,
    init_std=0.0,
    optimizer="gf",
    learning_rate=0.0,
    momentum=0.0,
    batch_size=math.inf,
    batch_sampling="",
    lr_schedule="constant",
)
VALUE_COLUMNS = ("eg", "eg_mean", "eg_signal", "eg_noise", "eg_init", "eg_thermal", "eg_sem", "eg_mean_sem")


def curve_frame(times: list[float] | np.ndarray, value: float | np.ndarray, flag: str = "") -> pd.DataFrame:
    """Theory rows of POINT at `times`, every error column equal to `value`."""
    n = len(times)
    frame = pd.DataFrame({k: [v] * n for k, v in POINT.items()})
    frame["method"] = "dmft"
    frame["t"] = np.asarray(times, dtype=np.float64)
    frame["steps"] = np.nan  # gradient flow: no steps
    for col in VALUE_COLUMNS:
        frame[col] = value
    for col in ("train_error", "train_error_sem", "divergent_fraction"):
        frame[col] = np.nan  # not applicable to gradient flow
    frame["n_seeds"] = np.int32(0)
    frame["flag"] = flag
    return frame

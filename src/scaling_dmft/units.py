"""The paper's units and ours (docs/figures.md, "F2"; docs/theory conventions).

The paper (Kramp, Lindner & Helias, arXiv 2602.23039) sums the squared loss over the P training
samples; we average it. Gradient flow on the summed loss L_sum = P L_avg runs P times faster,
and a Langevin stationary density exp(-beta_paper (L_sum + g |w|^2 / 2)) equals ours,
exp(-(L_avg + gamma |w|^2 / 2) / T), when

    t = P t_paper,   T = 1 / (P beta_paper) = beta_inv / P,   gamma = g / P,

so the prior variance is T / gamma = 1 / (g beta_paper) in both. The conversion needs a finite P.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:
    import numpy as np


def _finite_p(n_samples: float) -> float:
    p = float(n_samples)
    if not (math.isfinite(p) and p > 0):
        raise InputError("n_samples", n_samples, "a finite P > 0 (paper units scale with P)")
    return p


def from_paper(
    *,
    n_samples: float,
    t_paper: float | np.ndarray | None = None,
    beta_inv: float | None = None,
    g: float | None = None,
) -> dict:
    """Our (t, temperature, weight_decay) from the paper's (t_paper, 1/beta_paper, g) at P samples.
    Only the quantities given are converted; t_paper may be an array."""
    p = _finite_p(n_samples)
    out = {}
    if t_paper is not None:
        out["t"] = t_paper * p
    if beta_inv is not None:
        out["temperature"] = beta_inv / p
    if g is not None:
        out["weight_decay"] = g / p
    return out


def to_paper(
    *,
    n_samples: float,
    t: float | np.ndarray | None = None,
    temperature: float | None = None,
    weight_decay: float | None = None,
) -> dict:
    """The inverse of `from_paper`: (t_paper, beta_inv, g) from ours."""
    p = _finite_p(n_samples)
    out = {}
    if t is not None:
        out["t_paper"] = t / p
    if temperature is not None:
        out["beta_inv"] = temperature * p
    if weight_decay is not None:
        out["g"] = weight_decay * p
    return out

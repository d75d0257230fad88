"""Theory vs seed-averaged simulation: the comparison behind `snakemake validate` and the tests.
Computes summaries only: the report pages are scaling_dmft.report, the figure figures.validation.

The one pass rule (`within_tolerance`), for every theory-vs-simulation comparison of the project:

    |theory - sim| <= rel_tol |sim| + z_tol s.e.     (defaults 2 % and 3 seed standard errors)

Two budgets add, because two independent errors add: the theory is the N, P -> inf limit, so at the
sizes simulated it has a deterministic finite-size deviation of O(1/size) (0.2-2 %, up to -1.6 % at
P = 128; docs/theory/verification.md), and the seed mean has Monte Carlo noise. With the max of the
two instead, a point 1.5 % off by finite size plus 1.5 s.e. of noise would fail, and whether a grid
passed would depend on the seeds drawn. Rows flagged by either method (e.g. infinite t = inf values
at the ridgeless threshold) are excluded and counted.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from .schema import config_schema
from .tables import POINT_COLUMNS

# the compared quantities and their seed s.e.; the training error exists for mini-batch SGD at finite P only
# (null elsewhere, so those rows are not compared)
QUANTITIES = (("eg", "eg_sem"), ("eg_mean", "eg_mean_sem"), ("train_error", "train_error_sem"))
_TOLERANCE = config_schema()["properties"]["validation"]["properties"]
REL_TOL = float(_TOLERANCE["rel_tol"]["default"])  # the finite-size budget, relative to the simulation
Z_TOL = float(_TOLERANCE["z_tol"]["default"])  # the Monte Carlo budget, in seed standard errors


def within_tolerance(
    theory: npt.ArrayLike, sim: npt.ArrayLike, sem: npt.ArrayLike, rel_tol: float = REL_TOL, z_tol: float = Z_TOL
) -> np.ndarray:
    """The pass rule (module docstring): |theory - sim| <= rel_tol |sim| + z_tol sem, elementwise.
    A NaN anywhere fails."""
    theory, sim, sem = (np.asarray(x, dtype=np.float64) for x in (theory, sim, sem))
    with np.errstate(invalid="ignore"):
        return np.abs(theory - sim) <= rel_tol * np.abs(sim) + z_tol * sem


def compare(curves: pd.DataFrame, rel_tol: float = REL_TOL, z_tol: float = Z_TOL) -> pd.DataFrame:
    """One row per (point, t, quantity) with theory, sim, s.e., rel, z and pass."""
    keys = POINT_COLUMNS + ["t"]
    theory = curves[curves["method"] == "dmft"]
    sim = curves[curves["method"] == "sim"]
    merged = theory.merge(sim, on=keys, suffixes=("_th", "_sim"))
    rows = []
    for q, sem in QUANTITIES:
        part = merged[keys].copy()
        part["quantity"] = q
        part["theory"] = merged[f"{q}_th"].to_numpy()
        part["sim"] = merged[f"{q}_sim"].to_numpy()
        part["sem"] = merged[f"{sem}_sim"].to_numpy()
        part["n_seeds"] = merged["n_seeds_sim"].to_numpy()
        part["flagged"] = (merged["flag_th"] != "") | (merged["flag_sim"] != "")
        rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    finite = np.isfinite(out["theory"]) & np.isfinite(out["sim"]) & ~out["flagged"]
    diff = (out["theory"] - out["sim"]).abs()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rel"] = np.where(finite, diff / out["sim"].abs(), np.nan)
        out["z"] = np.where(finite, diff / out["sem"], np.nan)
    # a zero s.e. (one seed, or an exactly zero quantity) cannot excuse a difference
    out.loc[finite & (out["sem"] == 0), "z"] = np.where(diff[finite & (out["sem"] == 0)] == 0, 0.0, np.inf)
    out["compared"] = finite
    out["passed"] = ~finite | within_tolerance(out["theory"], out["sim"], out["sem"], rel_tol, z_tol)
    return out


def summarize(curves: pd.DataFrame, rel_tol: float = REL_TOL, z_tol: float = Z_TOL) -> pd.DataFrame:
    """Worst relative error and worst z per (point, quantity)."""
    cmp = compare(curves, rel_tol, z_tol)
    rows = []
    for key, group in cmp.groupby(POINT_COLUMNS + ["quantity"], dropna=False, sort=True):
        used = group[group["compared"]]
        if used.empty:
            continue
        worst = used.loc[used["rel"].idxmax()]
        rows.append(
            {
                **dict(zip(POINT_COLUMNS + ["quantity"], key, strict=True)),
                "n_times": len(used),
                "n_excluded": int((~group["compared"]).sum()),
                "worst_rel": float(used["rel"].max()),
                "t_worst_rel": float(worst["t"]),
                "z_at_worst_rel": float(worst["z"]),
                "worst_z": float(used["z"].max()),
                "median_rel": float(used["rel"].median()),
                "n_failed": int((~used["passed"]).sum()),
                "passed": bool(used["passed"].all()),
            }
        )
    return pd.DataFrame(rows)

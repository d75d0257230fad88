"""Simulation to a stated precision: how many seeds a disorder point draws (issue 28).

A user asks for a relative standard error, not a seed count. The rule is a fixed pilot:

1. draw the first `pilot` seeds of the point's seed sequence and compute, for every curve of the
   disorder point and every time, the seed mean m and standard error s of E_g;
2. r0 = the largest relative standard error s / m over those rows (rows whose mean is not a finite
   positive number carry no relative precision and are left out);
3. the count is n = ceil(SAFETY * pilot * (r0 / target)^2), at least the pilot and at most `cap`
   (the standard error falls as 1/sqrt(n); SAFETY covers the pilot's own error of its variance
   estimate: for a Gaussian quantity its relative s.e. is sqrt(2 / (pilot - 1)) = 25 % at pilot 32);
4. seeds pilot .. n - 1 are drawn, and every row's mean and standard error are over the first n
   seeds: a prefix of the seed sequence, so the same config gives the same table, and a fixed-count
   run with n seeds gives the same numbers.

Why not stop sequentially (draw batches until s / m <= target)? For a right-skewed quantity such as
an error, a small sample variance goes with a small sample mean, so stopping on it biases the mean
low. The pilot sets n once; the pilot seeds stay in the mean, which leaves a bias of order the
pilot's weight pilot / n times its correlation with n. It is measured on a case with a known answer
in tests/test_precision.py (below 0.5 standard errors), and the rows that end above the target (the
cap reached, or a pilot that underestimated the spread) are flagged `imprecise`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from .tables import IMPRECISE  # the soft flag of a row above its target (its value is a valid seed mean)

T = TypeVar("T")

# the count from the pilot is multiplied by this (the pilot's variance estimate is itself uncertain)
SAFETY = 1.25


def relative_sem(per_seed: npt.ArrayLike) -> np.ndarray:
    """s / m over axis 0 (seeds) of per-seed values; NaN where the mean is not finite and positive
    or fewer than two seeds are given."""
    values = np.asarray(per_seed, dtype=np.float64)
    if values.shape[0] < 2:
        return np.full(values.shape[1:], np.nan)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        mean = values.mean(axis=0)
        sem = values.std(axis=0, ddof=1) / math.sqrt(values.shape[0])
        rel = sem / mean
    return np.where(np.isfinite(mean) & (mean > 0), rel, np.nan)


def planned_seeds(worst_relative_sem: float, target: float, pilot: int, cap: int) -> int:
    """The seed count the pilot asks for: ceil(SAFETY * pilot * (r0 / target)^2) within [pilot, cap];
    the pilot alone where no row has a relative precision (r0 NaN: every mean zero, or divergent
    draws, whose rows are flagged anyway: more seeds would not help)."""
    if math.isnan(worst_relative_sem):
        return pilot
    wanted = math.ceil(SAFETY * pilot * (worst_relative_sem / target) ** 2)
    return int(min(max(wanted, pilot), cap))


def imprecise_flag(relative: float, target: float, seeds: int, cap: int) -> str:
    """The flag of a row whose relative standard error `relative` ended above `target`."""
    why = "the cap max_seeds" if seeds >= cap else "the pilot's plan"
    return f"{IMPRECISE}: relative s.e. {relative:.3g} > target {target:g} with {seeds} seeds ({why})"


def draw_to_precision(
    draw: Callable[[int, int], tuple[T, np.ndarray]], *, target: float, pilot: int, cap: int
) -> tuple[list[T], int]:
    """The pilot rule of the module docstring around a sampler. `draw(start, stop)` simulates seeds
    start .. stop - 1 of the point's sequence and returns (its result, per-seed E_g of shape
    (stop - start, rows)). Returns the results of the draws made, in seed order, and the count n."""
    pilot = min(pilot, cap)
    first, values = draw(0, pilot)
    relative = relative_sem(values)
    finite = relative[np.isfinite(relative)]
    count = planned_seeds(float(finite.max()) if finite.size else math.nan, target, pilot, cap)
    if count == pilot:
        return [first], count
    rest, _ = draw(pilot, count)
    return [first, rest], count

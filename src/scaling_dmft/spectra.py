"""Kernel spectra and teachers (docs/theory/model.md).

A `Spectrum` holds the eigenvalues lambda_k (non-increasing, > 0) and the target powers
c_k = lambda_k w*_k^2 (>= 0; for the `prior` teacher the expectation E[c_k]). The theory
depends on the teacher only through c_k; the simulator draws w* for the `prior` teacher.

`Spectrum.modes()` returns the mode-sum representation used by the DMFT solver: exact modes
k <= k0 plus, for long power-law spectra, Gauss-Legendre quadrature in log k for the tail, so
the cost of a mode sum is independent of M.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError, real_number, whole_number
from .schema import enum, number_range

if TYPE_CHECKING:
    import pandas as pd

TEACHERS = enum("teacher")
ALPHA = number_range("alpha_list", "alpha")
BETA = number_range("beta_list", "beta")
N_MODES = number_range("n_modes", "n_modes")

# Exact modes kept before the tail is replaced by quadrature, and its resolution.
EXACT_MODES = 1000
PANELS_PER_DECADE = 8
NODES_PER_PANEL = 10


@dataclass(frozen=True, eq=False)
class Modes:
    """Mode-sum representation: sum_k f(lambda_k, c_k) ~= sum_j weights_j f(eigenvalues_j, target_power_j)."""

    eigenvalues: np.ndarray
    target_power: np.ndarray
    weights: np.ndarray

    def sum(self, values: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.tensordot(values, self.weights, axes=([axis], [0]))

    @property
    def trace(self) -> float:
        """tr(Lambda) = sum_k lambda_k."""
        return float(self.weights @ self.eigenvalues)


@dataclass(frozen=True, eq=False)
class Spectrum:
    """Eigenvalues lambda_k and target powers c_k, k = 1..M.

    `alpha`, `beta` are set for power-law spectra (None for a spectrum read from a file);
    `teacher` is 'powerlaw' (deterministic w*), 'prior' (w*_k ~ N(0, c_k / lambda_k)) or
    'file' (deterministic w*_k = sqrt(c_k / lambda_k)).
    Arrays are materialised lazily for power laws, so huge M (1e12) is fine for the theory.

    Example:
        >>> import scaling_dmft as sd
        >>> s = sd.spectrum(alpha=2.0, beta=3.0, n_modes=10**12)
        >>> s.n_modes, s.modes().eigenvalues.size < 2000
        (1000000000000, True)
    """

    n_modes: int
    teacher: str
    alpha: float | None = None
    beta: float | None = None
    _eigenvalues: np.ndarray | None = None
    _target_power: np.ndarray | None = None

    @property
    def is_powerlaw(self) -> bool:
        return self._eigenvalues is None

    @property
    def random_teacher(self) -> bool:
        return self.teacher == "prior"

    @property
    def eigenvalues(self) -> np.ndarray:
        if self._eigenvalues is not None:
            return self._eigenvalues
        return _k(self.n_modes) ** (-self.alpha)

    @property
    def target_power(self) -> np.ndarray:
        if self._target_power is not None:
            return self._target_power
        return _k(self.n_modes) ** (-self.beta)

    def modes(self, exact_modes: int = EXACT_MODES) -> Modes:
        """Mode-sum representation; exact for M <= exact_modes or for file spectra."""
        if not self.is_powerlaw or self.n_modes <= exact_modes:
            lam, c = self.eigenvalues, self.target_power
            return Modes(lam, c, np.ones_like(lam))
        k_exact = _k(exact_modes)
        k_tail, w_tail = _log_gauss_legendre(exact_modes + 0.5, self.n_modes + 0.5)
        k = np.concatenate([k_exact, k_tail])
        w = np.concatenate([np.ones(exact_modes), w_tail])
        return Modes(k ** (-self.alpha), k ** (-self.beta), w)


def _k(n_modes: int) -> np.ndarray:
    if n_modes > 50_000_000:
        raise InputError("n_modes", n_modes, "<= 5e7 for explicit mode arrays (use Spectrum.modes() for more)")
    return np.arange(1, n_modes + 1, dtype=np.float64)


def _log_gauss_legendre(lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights for int_lo^hi f(k) dk, Gauss-Legendre panels uniform in log k.

    The midpoint rule sum_{k=a}^{b} f(k) ~= int_{a-1/2}^{b+1/2} f(k) dk has relative error
    O(f''/f) ~ 1/k^2, about 1e-7 at k = 1000 (docs/theory/dmft.md, "Mode sums").
    """
    decades = np.log10(hi / lo)
    n_panels = max(1, int(np.ceil(decades * PANELS_PER_DECADE)))
    edges = np.linspace(np.log(lo), np.log(hi), n_panels + 1)
    x, w = np.polynomial.legendre.leggauss(NODES_PER_PANEL)
    half = 0.5 * np.diff(edges)
    mid = 0.5 * (edges[1:] + edges[:-1])
    u = (mid[:, None] + half[:, None] * x[None, :]).ravel()
    wu = (half[:, None] * w[None, :]).ravel()
    k = np.exp(u)
    return k, wu * k


def powerlaw(alpha: float, beta: float, n_modes: int, teacher: str = "powerlaw") -> Spectrum:
    """lambda_k = k^-alpha, c_k = k^-beta (docs/theory/model.md). Validates its arguments."""
    check_powerlaw(alpha, beta, n_modes, teacher)
    return Spectrum(n_modes=int(n_modes), teacher=teacher, alpha=float(alpha), beta=float(beta))


def check_powerlaw(alpha: float, beta: float, n_modes: int, teacher: str, prefix: str = "") -> None:
    """Raise InputError naming the offending key when a power-law spectrum is invalid."""
    _finite_number(alpha, prefix + "alpha")
    _finite_number(beta, prefix + "beta")
    if not ALPHA.contains(alpha):
        raise InputError(prefix + "alpha", alpha, ALPHA.text + " (the kernel trace diverges for alpha <= 1)")
    if not BETA.contains(beta):
        raise InputError(prefix + "beta", beta, BETA.text + " (the target variance diverges with M for beta <= 1)")
    if not N_MODES.contains(whole_number(n_modes, prefix + "n_modes", "an integer " + N_MODES.text)):
        raise InputError(prefix + "n_modes", n_modes, "an integer " + N_MODES.text)
    if teacher not in TEACHERS:
        raise InputError(prefix + "teacher", teacher, " | ".join(TEACHERS))


def _finite_number(value: object, key: str) -> None:
    if not np.isfinite(real_number(value, key, "a finite number")):
        raise InputError(key, value, "a finite number")


def read_spectrum_file(path: str | Path, teacher: str = "file", key: str = "spectrum_file") -> Spectrum:
    """Read eigenvalues and target powers from Parquet or CSV.

    Required columns: `eigenvalue` (lambda_k, finite, > 0, non-increasing) and `target_power`
    (c_k, finite, >= 0). Rows are modes k = 1..M in order.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InputError(key, str(path), "an existing .parquet or .csv file", "file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix == ".csv":
            frame = pd.read_csv(path)
        else:
            raise InputError(key, str(path), "a .parquet or .csv file", f"unsupported format {suffix!r}")
    except InputError:
        raise
    except Exception as exc:  # parser errors: report as a one-line input error
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            key, str(path), "a readable .parquet or .csv file", f"cannot read {path.name}: {first}"
        ) from None
    return spectrum_from_arrays(frame, teacher=teacher, key=key, name=path.name)


# Range of a spectrum file's values: far inside float64, so that the squares, products and mode
# sums the solvers form cannot overflow or underflow to zero.
MAX_FILE_VALUE = 1e100
MIN_FILE_EIGENVALUE = 1e-100


def spectrum_from_arrays(
    frame: pd.DataFrame, teacher: str = "file", key: str = "spectrum_file", name: str = "file"
) -> Spectrum:
    """Validate a table with columns eigenvalue / target_power and build a Spectrum."""
    for column in ("eigenvalue", "target_power"):
        if column not in frame.columns:
            raise InputError(
                f"{key}[{column}]", None, "columns 'eigenvalue' and 'target_power'", f"missing column {column!r}"
            )
    if len(frame) == 0:
        raise InputError(key, name, "at least one mode (row)", "the file has no rows")
    try:
        lam = np.asarray(frame["eigenvalue"], dtype=np.float64)
        c = np.asarray(frame["target_power"], dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(key, name, "numeric columns", "non-numeric values in eigenvalue/target_power") from None
    for column, values in (("eigenvalue", lam), ("target_power", c)):
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{key}[{column}]", values[row], "finite numbers", f"non-finite value {values[row]} in row {row}"
            )
    if (lam <= 0).any():
        row = int(np.flatnonzero(lam <= 0)[0])
        raise InputError(f"{key}[eigenvalue]", lam[row], "eigenvalue > 0", f"eigenvalue {lam[row]} <= 0 in row {row}")
    if (c < 0).any():
        row = int(np.flatnonzero(c < 0)[0])
        raise InputError(
            f"{key}[target_power]", c[row], "target_power >= 0", f"negative target power {c[row]} in row {row}"
        )
    if (np.diff(lam) > 0).any():
        row = int(np.flatnonzero(np.diff(lam) > 0)[0]) + 1
        raise InputError(
            f"{key}[eigenvalue]", lam[row], "non-increasing eigenvalues", f"eigenvalue increases at row {row}"
        )
    for column, values in (("eigenvalue", lam), ("target_power", c)):
        # squares and products of these must stay in float64 (the solvers form lambda^2, lambda c)
        big = values > MAX_FILE_VALUE
        if big.any():
            row = int(np.flatnonzero(big)[0])
            raise InputError(
                f"{key}[{column}]",
                values[row],
                f"values <= {MAX_FILE_VALUE:g} (rescale the spectrum; time and weight decay scale with it)",
                f"{column} {values[row]:g} in row {row} is too large",
            )
    if lam[-1] < MIN_FILE_EIGENVALUE:
        raise InputError(
            f"{key}[eigenvalue]",
            lam[-1],
            f"eigenvalues >= {MIN_FILE_EIGENVALUE:g}",
            f"eigenvalue {lam[-1]:g} in row {len(lam) - 1} is too small",
        )
    return Spectrum(n_modes=len(lam), teacher=teacher, _eigenvalues=lam, _target_power=c)

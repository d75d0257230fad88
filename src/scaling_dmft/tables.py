"""The one place where table columns are defined: pyarrow schemas, provenance, atomic I/O.

Tables (all tidy / long):
- spectrum: the mode-sum representation of each spectrum used (k, eigenvalue, target_power, weight)
- curve:    E_g(t), E_mean(t) and components, theory (`method = dmft`) and simulation (`sim`)
- fit:      fitted power-law exponents with windows, intervals and the expected exponent
- early_stopping: optimum time t* and error E* per curve

N = inf (kernel limit) and P = inf (population loss) are stored as +inf in the float64 columns
`n_features` / `n_samples`; t = inf marks the t -> infinity value (for `bayes`: the posterior).
Every table carries provenance in its schema metadata (config hash, package version, git
revision, seed derivation), see `provenance()`.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__

METHODS = ("dmft", "sim")  # theory, seed-averaged exact simulation

# Columns that identify one parameter point (a curve), shared by curve / fit / early-stopping tables.
POINT_FIELDS = [
    pa.field("sweep", pa.string()),  # the config's sweep name ('cli' for a command-line query): one curve = one sweep's grid
    pa.field("spectrum", pa.string()),  # 'powerlaw' or the spectrum file name
    pa.field("alpha", pa.float64()),  # null for a spectrum read from a file
    pa.field("beta", pa.float64()),
    pa.field("teacher", pa.string()),  # powerlaw | prior | file
    pa.field("n_modes", pa.int64()),  # M
    pa.field("n_features", pa.float64()),  # N, +inf = kernel limit
    pa.field("n_samples", pa.float64()),  # P, +inf = population loss
    pa.field("noise", pa.float64()),  # sigma, label-noise standard deviation
    pa.field("regime", pa.string()),  # regime name from the config (gf, gf_wd, langevin, bayes, ...)
    pa.field("weight_decay", pa.float64()),  # gamma
    pa.field("temperature", pa.float64()),  # T
    pa.field("init_std", pa.float64()),  # sigma0 (the 'prior' choice resolved to sqrt(T/gamma))
]
POINT_COLUMNS = [f.name for f in POINT_FIELDS]

SPECTRUM_SCHEMA = pa.schema(
    [
        pa.field("spectrum", pa.string()),
        pa.field("alpha", pa.float64()),
        pa.field("beta", pa.float64()),
        pa.field("teacher", pa.string()),
        pa.field("n_modes", pa.int64()),
        pa.field("k", pa.float64()),  # mode index (quadrature node for the compressed tail)
        pa.field("eigenvalue", pa.float64()),  # lambda_k
        pa.field("target_power", pa.float64()),  # c_k = lambda_k w*_k^2 (expected value for 'prior')
        pa.field("weight", pa.float64()),  # quadrature weight (1 for exact modes)
    ]
)

COMPONENT_COLUMNS = ["eg_signal", "eg_noise", "eg_init", "eg_thermal"]

CURVE_SCHEMA = pa.schema(
    POINT_FIELDS
    + [
        pa.field("method", pa.string()),  # dmft | sim
        pa.field("t", pa.float64()),  # training time (mean-loss units), +inf = t -> infinity
        pa.field("eg", pa.float64()),  # Gibbs error E_g (label noise not included)
        pa.field("eg_mean", pa.float64()),  # mean-predictor error E_mean
        pa.field("eg_signal", pa.float64()),  # signal (bias) part
        pa.field("eg_noise", pa.float64()),  # label-noise part sigma^2 E_n
        pa.field("eg_init", pa.float64()),  # initialisation part sigma0^2 C(2t)
        pa.field("eg_thermal", pa.float64()),  # thermal variance T Theta(t) = E_g - E_mean
        pa.field("eg_sem", pa.float64()),  # seed standard error of eg (0 for dmft)
        pa.field("eg_mean_sem", pa.float64()),
        pa.field("n_seeds", pa.int32()),  # 0 for dmft
        pa.field("flag", pa.string()),  # '' when fine, else why the row is special (e.g. 'infinite')
    ]
)

FIT_SCHEMA = pa.schema(
    [f for f in POINT_FIELDS]
    + [
        pa.field("method", pa.string()),
        pa.field("law", pa.string()),  # time | samples | features | t_star | e_star
        pa.field("quantity", pa.string()),  # eg | eg_mean | t_star | e_star
        pa.field("x_min", pa.float64()),  # fit window (stated, chosen away from crossovers)
        pa.field("x_max", pa.float64()),
        pa.field("n_points", pa.int32()),
        pa.field("exponent", pa.float64()),  # fitted slope of log E vs log x
        pa.field("exponent_lo", pa.float64()),  # 95 % interval (bootstrap over seeds for sim)
        pa.field("exponent_hi", pa.float64()),
        pa.field("prefactor", pa.float64()),  # E ~ prefactor * x^exponent
        pa.field("expected_exponent", pa.float64()),  # from CONVENTIONS.md (null where none is stated)
        pa.field("max_log_residual", pa.float64()),  # max |log E - fit| in the window
        pa.field("flag", pa.string()),  # '' ok | not_power_law | too_few_points | short_window | log_corrected
    ]
)

EARLY_STOPPING_SCHEMA = pa.schema(
    [f for f in POINT_FIELDS]
    + [
        pa.field("method", pa.string()),
        pa.field("t_star", pa.float64()),  # time of the minimum of E_g on the time grid (refined)
        pa.field("e_star", pa.float64()),  # minimum E_g
        pa.field("e_star_sem", pa.float64()),
        pa.field("e_final", pa.float64()),  # E_g at the last time (t = inf if present)
        pa.field("flag", pa.string()),  # '' | boundary (minimum at the grid edge: no early stopping)
    ]
)

SCHEMAS = {
    "spectrum": SPECTRUM_SCHEMA,
    "curve": CURVE_SCHEMA,
    "fit": FIT_SCHEMA,
    "early_stopping": EARLY_STOPPING_SCHEMA,
}

META_PREFIX = "scaling_dmft."


def config_hash(config) -> str:
    """Stable short hash of a (sub)config: JSON with sorted keys, SHA-256, 16 hex digits."""
    text = json.dumps(config, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def git_revision() -> str:
    """Git revision of the source tree ('<sha>[-dirty]'), or 'unknown' outside a checkout."""
    root = Path(__file__).resolve().parents[2]
    try:
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if sha.returncode != 0:
            return "unknown"
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return sha.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(config=None, seeds: str = "", **extra) -> dict[str, str]:
    """Schema metadata for a table. No timestamps: the same config gives the same file."""
    meta = {
        "config_hash": config_hash(config if config is not None else {}),
        "package_version": __version__,
        "git_revision": git_revision(),
        "seeds": seeds,
    }
    meta.update({k: str(v) for k, v in extra.items()})
    return meta


def to_table(frame: pd.DataFrame, kind: str, meta: dict[str, str] | None = None) -> pa.Table:
    """Cast a DataFrame to the fixed schema of `kind` (missing columns -> error, extra -> error)."""
    schema = SCHEMAS[kind]
    missing = [n for n in schema.names if n not in frame.columns]
    extra = [c for c in frame.columns if c not in schema.names]
    if missing or extra:
        raise ValueError(f"{kind} table: missing columns {missing}, unexpected columns {extra}")
    frame = frame[schema.names]
    check_finite(frame, kind)
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    metadata = {f"{META_PREFIX}{k}".encode(): str(v).encode() for k, v in (meta or {}).items()}
    metadata[f"{META_PREFIX}table".encode()] = kind.encode()
    return table.replace_schema_metadata(metadata)


def check_finite(frame: pd.DataFrame, kind: str) -> None:
    """No silent NaN: a NaN in a float column is a bug; +inf is allowed only in flagged rows
    (or in the size/time columns, where it means the limit)."""
    allowed_inf = {"n_features", "n_samples", "t", "x_min", "x_max"}
    flagged = frame["flag"].astype(str) != "" if "flag" in frame.columns else pd.Series(False, index=frame.index)
    nullable = {"alpha", "beta", "expected_exponent"}
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_float_dtype(values):
            continue
        arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
        nan = np.isnan(arr)
        if column not in nullable and (nan & ~flagged.to_numpy()).any():
            raise ValueError(f"{kind} table: NaN in column {column!r} of an unflagged row")
        if column not in allowed_inf and (np.isinf(arr) & ~flagged.to_numpy()).any():
            raise ValueError(f"{kind} table: infinite value in column {column!r} of an unflagged row")


def write_table(frame: pd.DataFrame, path: str | os.PathLike, kind: str, meta: dict[str, str] | None = None) -> None:
    """Validate against the schema and write atomically (temp file in the same folder + rename),
    so no partial Parquet file ever sits under an output name."""
    table = to_table(frame, kind, meta)
    write_arrow_atomic(table, path)


def write_arrow_atomic(table: pa.Table, path: str | os.PathLike) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; outputs should be readable like any file
    try:
        pq.write_table(table, tmp, write_page_checksum=True)  # CRC per page, verified on read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class CorruptTableError(ValueError):
    """A table file that cannot be trusted: unreadable, checksum mismatch, wrong schema, or values
    that break the table's invariants. The message names the file and the first problem."""


def read_table(path: str | os.PathLike, kind: str | None = None) -> pd.DataFrame:
    """Read a table, verifying the page checksums; checks the schema when `kind` is given.
    Metadata lands in DataFrame.attrs. Raises CorruptTableError for a damaged file."""
    try:
        table = pq.read_table(path, page_checksum_verification=True)
    except (OSError, pa.ArrowException) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise CorruptTableError(f"{path}: unreadable Parquet file ({str(exc).splitlines()[0][:200]})") from None
    if kind is not None:
        expected = SCHEMAS[kind]
        if not table.schema.remove_metadata().equals(expected):
            raise CorruptTableError(f"{path}: schema differs from the {kind} schema")
    frame = table.to_pandas()
    frame.attrs = {
        k.decode()[len(META_PREFIX) :]: v.decode()
        for k, v in (table.schema.metadata or {}).items()
        if k.decode().startswith(META_PREFIX)
    }
    return frame


# Relative round-off bound of an error value: theory (Talbot inversion, ~1e-11 of the curve
# scale, docs/theory) and simulation (float64 sums over modes) both resolve errors to far better
# than this fraction of the curve's largest value; below it a value is zero within round-off.
ROUNDOFF_REL = 1e-9


def check_curve_table(frame: pd.DataFrame, name: str) -> None:
    """Invariants of a curve table (one chunk or the aggregate), raising CorruptTableError:
    known methods and flags, finite values in unflagged rows, and per unflagged row
    eg >= eg_mean >= 0 and every component >= 0 within the round-off bound of its curve."""
    if frame.empty:
        return
    bad_method = ~frame["method"].isin(METHODS)
    if bad_method.any():
        raise CorruptTableError(f"{name}: unknown method {frame['method'][bad_method].iloc[0]!r}")
    ok = frame["flag"].astype(str) == ""
    values = frame.loc[ok, ["eg", "eg_mean", *COMPONENT_COLUMNS, "eg_sem", "eg_mean_sem"]].to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        raise CorruptTableError(f"{name}: a non-finite value in an unflagged row")
    part = frame.loc[ok]
    scale = part.groupby(POINT_COLUMNS + ["method"], dropna=False)["eg"].transform(lambda v: np.abs(v).max()).to_numpy()
    tol = ROUNDOFF_REL * scale
    eg, eg_mean = part["eg"].to_numpy(), part["eg_mean"].to_numpy()
    checks = {
        "eg >= eg_mean": eg >= eg_mean - tol,
        "eg_mean >= 0": eg_mean >= -tol,
        **{f"{c} >= 0": part[c].to_numpy() >= -tol for c in COMPONENT_COLUMNS},
        "eg_sem >= 0": part["eg_sem"].to_numpy() >= 0,
        "n_seeds >= 0": part["n_seeds"].to_numpy() >= 0,
    }
    for what, holds in checks.items():
        if not holds.all():
            row = part.iloc[int(np.argmin(holds))]
            raise CorruptTableError(f"{name}: {what} fails at t = {row['t']:g} (eg = {row['eg']:.6g}, eg_mean = {row['eg_mean']:.6g})")


# The columns that identify one row of each table (its sort order, and unique per row).
ROW_KEYS = {
    "curve": POINT_COLUMNS + ["method", "t"],
    "fit": POINT_COLUMNS + ["method", "law", "quantity"],
    "early_stopping": POINT_COLUMNS + ["method"],
    "spectrum": ["spectrum", "alpha", "beta", "teacher", "n_modes", "k"],
}


def sort_rows(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    return frame.sort_values(ROW_KEYS[kind], kind="mergesort", na_position="first").reset_index(drop=True)


def empty_frame(kind: str) -> pd.DataFrame:
    return SCHEMAS[kind].empty_table().to_pandas()

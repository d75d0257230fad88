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
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .about import REPOSITORY_ROOT, VERSION

# theory, seed-averaged exact simulation, and (data sets only, docs/theory/data.md) training on the
# data tested on the whole set and on the points not trained on
METHODS = ("dmft", "sim", "data", "data_heldout")


def _field(name: str, type_: pa.DataType, description: str, unit: str = "") -> pa.Field:
    """A column with its description and unit in the Parquet field metadata (the one definition:
    `markdown()` renders docs/tables.md from it)."""
    meta = {"description": description}
    if unit:
        meta["unit"] = unit
    return pa.field(name, type_, metadata=meta)


_F64, _STR = pa.float64(), pa.string()
ERROR_UNIT = "squared target units (the scale of sum_k c_k)"
TIME_UNIT = "mean-loss training time (t = P t_paper)"

# Columns that identify one parameter point (a curve), shared by curve / fit / early-stopping tables.
POINT_FIELDS = [
    _field(
        "sweep", _STR, "the config's sweep name ('cli' for a command-line query); one curve is one sweep's time grid"
    ),
    _field("spectrum", _STR, "'powerlaw', or the name of the spectrum file"),
    _field("alpha", _F64, "spectral exponent: lambda_k = k^-alpha (null for a spectrum file)"),
    _field("beta", _F64, "target exponent: c_k = lambda_k w*_k^2 = k^-beta (null for a spectrum file)"),
    _field("teacher", _STR, "powerlaw (deterministic w*) | prior (w* drawn per seed) | file"),
    _field("n_modes", pa.int64(), "M, the number of modes of the truncated spectrum"),
    _field("n_features", _F64, "N, random features; +inf = the kernel limit (or 'varied' in a features / fit row)"),
    _field(
        "n_samples",
        _F64,
        "P, training samples; +inf = population loss (or 'varied' in a samples / t_star / e_star fit row)",
    ),
    _field("noise", _F64, "sigma, label-noise standard deviation", "target units"),
    _field("regime", _STR, "regime name from the config (its kind: gf, gf_wd, langevin, bayes)"),
    _field("weight_decay", _F64, "gamma, weight decay (ours; the paper's g = P gamma)", "1 / time"),
    _field("temperature", _F64, "T, Langevin temperature (ours; the paper's 1/beta = P T)"),
    _field("init_std", _F64, "sigma0, initialisation standard deviation ('prior' resolved to sqrt(T/gamma))"),
    _field(
        "optimizer",
        _STR,
        "gf (gradient flow) | gd (full-batch gradient descent) | momentum (heavy ball) | sgd (mini-batch: online "
        "at P = inf, multi-pass over the P samples at finite P)",
    ),
    _field("learning_rate", _F64, "eta: 0 for gradient flow; t = eta k after k steps", "1 / time"),
    _field("momentum", _F64, "mu, heavy-ball momentum (0 without)"),
    _field("batch_size", _F64, "B, samples per step of SGD; +inf = full batch"),
    _field(
        "batch_sampling",
        _STR,
        "how SGD draws its B samples: '' full batch | online (fresh samples, P = inf) | replacement (B indices "
        "i.i.d. from the P samples every step) | epochs (a reshuffle of the P samples every epoch)",
    ),
    _field(
        "lr_schedule",
        _STR,
        "learning-rate schedule of online SGD (eta_k / eta at step k): constant | step F S (times F every S "
        "steps) | power P K0 ((1 + k/K0)^-P); t = eta k with the base rate eta",
    ),
]
POINT_COLUMNS = [f.name for f in POINT_FIELDS]

SPECTRUM_SCHEMA = pa.schema(
    [
        _field("spectrum", _STR, "'powerlaw', or the name of the spectrum file"),
        _field("alpha", _F64, "spectral exponent (null for a spectrum file)"),
        _field("beta", _F64, "target exponent (null for a spectrum file)"),
        _field("teacher", _STR, "powerlaw | prior | file"),
        _field("n_modes", pa.int64(), "M, the number of modes"),
        _field("k", _F64, "mode index (a quadrature node, non-integer, in the compressed tail)"),
        _field("eigenvalue", _F64, "lambda_k, kernel eigenvalue"),
        _field("target_power", _F64, "c_k = lambda_k w*_k^2 (its expectation for teacher 'prior')", ERROR_UNIT),
        _field("weight", _F64, "quadrature weight of the row in mode sums (1 for exact modes)"),
    ]
)

COMPONENT_COLUMNS = ["eg_signal", "eg_noise", "eg_init", "eg_thermal"]

CURVE_SCHEMA = pa.schema(
    POINT_FIELDS
    + [
        _field(
            "method",
            _STR,
            "dmft (theory) | sim (seed-averaged exact simulation) | data | data_heldout (training on a data "
            "set, subset-averaged, tested on the whole set | on the points not trained on)",
        ),
        _field("t", _F64, "training time; +inf = the t -> infinity limit (for bayes: the posterior)", TIME_UNIT),
        _field("steps", _F64, "k = t / eta, the steps of a discrete optimizer (null for gradient flow)"),
        _field(
            "eg",
            _F64,
            "Gibbs error E_g: excess test error of one network sampled at time t (label noise not included)",
            ERROR_UNIT,
        ),
        _field("eg_mean", _F64, "mean-predictor error E_mean (Brownian noise averaged out)", ERROR_UNIT),
        _field("eg_signal", _F64, "signal (bias) part of E_g", ERROR_UNIT),
        _field("eg_noise", _F64, "label-noise part sigma^2 E_n(t)", ERROR_UNIT),
        _field("eg_init", _F64, "initialisation part sigma0^2 C(2t)", ERROR_UNIT),
        _field("eg_thermal", _F64, "thermal variance T Theta(t) = E_g - E_mean", ERROR_UNIT),
        _field("eg_sem", _F64, "seed standard error of eg (null for theory: no sampling, not applicable)", ERROR_UNIT),
        _field("eg_mean_sem", _F64, "seed standard error of eg_mean (null for theory)", ERROR_UNIT),
        _field(
            "train_error",
            _F64,
            "training error (1/P) sum_mu (f(x_mu) - y_mu)^2 = 2 L on the noisy training labels (the loss that drives "
            "SGD's noise); mini-batch SGD at finite P only, null elsewhere",
            ERROR_UNIT,
        ),
        _field("train_error_sem", _F64, "seed standard error of train_error (null for theory)", ERROR_UNIT),
        _field(
            "divergent_fraction",
            _F64,
            "discrete optimizers: theory (dmft) = the leading-order probability that a draw's training Hessian has an "
            "eigenvalue past the stability edge, from the fluctuations of the isolated top modes; simulation (sim) = "
            "the fraction of seeds diverged by this step; null for gradient flow",
        ),
        _field("n_seeds", pa.int32(), "number of seeds averaged (data methods: subsets; 0 for theory)"),
        _field(
            "flag",
            _STR,
            "'' when fine, else why the row is special: infinite | negative | failed: <reason> | "
            "diverged: <reason> (discrete steps past the stability edge; values inf) | "
            "no_theory: <reason> (discrete steps out of the theory's reach; values null) | "
            "unstable_draws: <reason> (theory: divergent_fraction > 1e-3, values kept: the finite DMFT value is that "
            "of the stable draws) | divergent: <reason> (simulation: the seed mean is dominated by seeds that diverge)",
        ),
    ]
)

FIT_SCHEMA = pa.schema(
    [f for f in POINT_FIELDS]
    + [
        _field("method", _STR, "dmft | sim"),
        _field(
            "law",
            _STR,
            "time | samples | features | t_star | e_star; in the frontier_fit table frontier_error | "
            "frontier_features | frontier_samples | frontier_time (E*, N*, P*, t* against C)",
        ),
        _field(
            "quantity",
            _STR,
            "the fitted quantity: eg | eg_mean | t_star | e_star; frontier: eg | n_features | n_samples | t",
        ),
        _field(
            "varied",
            _STR,
            "the variable of the law: t | n_samples | n_features (that point column holds +inf) | compute (frontier laws: n_features holds +inf, and n_samples / weight_decay where chosen)",
        ),
        _field("x_min", _F64, "fit window, lower end (in the units of `varied`)"),
        _field("x_max", _F64, "fit window, upper end"),
        _field("n_points", pa.int32(), "points in the window"),
        _field("exponent", _F64, "fitted slope of log y against log x"),
        _field(
            "exponent_lo",
            _F64,
            "95 % interval, lower end (regression s.e. for theory, bootstrap over seeds for simulation)",
        ),
        _field("exponent_hi", _F64, "95 % interval, upper end"),
        _field("prefactor", _F64, "y ~ prefactor * x^exponent"),
        _field(
            "expected_exponent",
            _F64,
            "the exponent the theory states for this point (null where none; docs/theory/model.md)",
        ),
        _field("max_log_residual", _F64, "largest |ln y - fit| in the window"),
        _field(
            "flag",
            _STR,
            "'' | not_power_law | too_few_points | short_window (under a decade) | log_corrected (at a log-corrected edge) | "
            "saturated (frontier laws without a derived exponent: |exponent| < 0.05, a floor set by P, gamma or T, not a law; N*, P*, t* fits over such a floor too)",
        ),
    ]
)

EARLY_STOPPING_SCHEMA = pa.schema(
    [f for f in POINT_FIELDS]
    + [
        _field("method", _STR, "dmft | sim"),
        _field("t_star", _F64, "time of the minimum of E_g (refined between grid points)", TIME_UNIT),
        _field("e_star", _F64, "the minimum E_g", ERROR_UNIT),
        _field("e_star_sem", _F64, "seed standard error of E_g at the grid minimum (null for theory)", ERROR_UNIT),
        _field("e_final", _F64, "E_g at the last time (t = inf where present)", ERROR_UNIT),
        _field(
            "flag",
            _STR,
            "'' real optimum | boundary (minimum at the grid edge) | no_minimum (gain below the method's resolution)",
        ),
    ]
)

VALIDATION_SCHEMA = pa.schema(
    [f for f in POINT_FIELDS]
    + [
        _field("quantity", _STR, "the compared quantity: eg | eg_mean | train_error (mini-batch SGD at finite P)"),
        _field("n_times", pa.int64(), "(point, t) comparisons made (unflagged, finite in both methods)"),
        _field("n_excluded", pa.int64(), "times left out: flagged by either method or infinite"),
        _field("worst_rel", _F64, "largest |theory - sim| / |sim| over the times"),
        _field("t_worst_rel", _F64, "the time of worst_rel", TIME_UNIT),
        _field("z_at_worst_rel", _F64, "|theory - sim| / seed s.e. at that time (inf: an exact-zero s.e.)"),
        _field("worst_z", _F64, "largest |theory - sim| / seed s.e. over the times (inf: an exact-zero s.e.)"),
        _field("median_rel", _F64, "median relative difference over the times"),
        _field("n_failed", pa.int64(), "times outside the pass rule (validation.within_tolerance)"),
        _field("passed", pa.bool_(), "every time within the pass rule"),
    ]
)

# point columns a frontier row holds as the optimum's value
FRONTIER_CHOSEN = {
    "n_features": _field("n_features", _F64, "N*, the model size that minimises E_g at this budget"),
    "n_samples": _field("n_samples", _F64, "P: the fixed P (compute model NT; +inf = population loss), or P* (NPT)"),
    "weight_decay": _field(
        "weight_decay", _F64, "gamma: the regime's, or gamma* where tuned = weight_decay", "1 / time"
    ),
}
FRONTIER_SCHEMA = pa.schema(
    [FRONTIER_CHOSEN.get(f.name, f) for f in POINT_FIELDS]
    + [
        _field("compute_model", _STR, "NT: C = N t at the row's P (inf allowed) | NPT: C = N P t, P chosen too"),
        _field("tuned", _STR, "'' | weight_decay (gamma chosen per budget; the row holds gamma*)"),
        _field("compute", _F64, "the budget C = N t (NT) or N P t (NPT)", "N x " + TIME_UNIT),
        _field(
            "t",
            _F64,
            "t*, the training time at the optimum: C / N* (NT) or C / (N* P*) (NPT), or earlier where stopping early is better",
            TIME_UNIT,
        ),
        _field("eg", _F64, "E*, the Gibbs error E_g at (N*, t*)", ERROR_UNIT),
        _field("eg_mean", _F64, "the mean-predictor error E_mean at (N*, t*)", ERROR_UNIT),
        _field(
            "flag",
            _STR,
            "'' | stopped_early (t* < C / N*, or C / (N* P*) with NPT: E_g(t) has a minimum before the budget is "
            "spent) | edge (the minimum sits at an end of a searched range of N, P or gamma, or at the earliest "
            "stopping time searched: the optimum may lie outside it) | unresolved (E_g does not change over the "
            "searched N, P or gamma beyond round-off, 1e-9 of E*: a budget too small to train, whose N*, P*, "
            "gamma* and t* mean nothing; E* is E_g(0)) | failed",
        ),
    ]
)

FRONTIER_FIT_SCHEMA = pa.schema(
    [FRONTIER_SCHEMA.field("compute_model"), FRONTIER_SCHEMA.field("tuned")]
    + [f for f in FIT_SCHEMA if f.name not in ("compute_model", "tuned")]
)

# iso-compute curves of one frontier (scaling_dmft.atlas.iso_compute_frame): E_g at model size N
# and time C / N for a few budgets C, drawn by the frontier figure around its optimum points
ISO_COMPUTE_SCHEMA = pa.schema(
    [
        _field("n_features", _F64, "N, the model size of this point of the iso-compute curve")
        if f.name == "n_features"
        else f
        for f in POINT_FIELDS
    ]
    + [
        _field("compute_model", _STR, "NT: C = N t (the iso-compute curves are drawn for NT frontiers)"),
        _field("compute", _F64, "the budget C = N t", "N x " + TIME_UNIT),
        _field(
            "t",
            _F64,
            "C / N, rounded down to whole steps t = eta k for a discrete optimizer (docs/theory/discrete.md)",
            TIME_UNIT,
        ),
        _field("eg", _F64, "E_g(N, t) of the DMFT with the regime's own optimizer", ERROR_UNIT),
        _field("eg_mean", _F64, "E_mean(N, t)", ERROR_UNIT),
        _field(
            "flag",
            _STR,
            "'' | no_step (the budget affords no whole step at this N) | diverged (steps past the stability "
            "edge: inf) | no_theory (steps out of the discrete theory's reach: null) | failed: <reason>",
        ),
    ]
)

# the laws of the (alpha, beta) phase diagram (scaling_dmft.atlas), one row per point and law
PHASE_DIAGRAM_SCHEMA = pa.schema(
    [
        _field("alpha", _F64, "spectral exponent: lambda_k = k^-alpha"),
        _field("beta", _F64, "target exponent: c_k = k^-beta"),
        _field("n_modes", pa.int64(), "M, the number of modes of the truncated spectrum"),
        _field(
            "phase",
            _STR,
            "A (beta - 1 < alpha) | B (alpha < beta - 1 < 2 alpha) | C (beta - 1 > 2 alpha); "
            "boundaries beta = alpha + 1 and beta = 2 alpha + 1",
        ),
        _field(
            "law",
            _STR,
            "time (E vs t, N = P = inf) | samples (E vs P, N = inf, t = inf, gamma = 0) | "
            "features (E vs N, P = inf, t = inf, gamma = 0) | frontier_error (E* vs C = N t, P = inf, gradient flow)",
        ),
        _field("x_min", _F64, "fit window, lower end (t, P, N or C)"),
        _field("x_max", _F64, "fit window, upper end"),
        _field("n_points", pa.int32(), "points in the window"),
        _field("exponent", _F64, "fitted slope of log E against log x (scaling_dmft.fit.fit_power_law)"),
        _field("exponent_lo", _F64, "95 % interval (regression s.e.), lower end"),
        _field("exponent_hi", _F64, "95 % interval, upper end"),
        _field("expected_exponent", _F64, "the derived exponent (docs/theory/model.md, docs/theory/frontier.md)"),
        _field("ansatz_exponent", _F64, "frontier_error only: the additive ansatz -ab/(a+b); null otherwise"),
        _field("flag", _STR, "as in the fit table: '' | not_power_law | too_few_points | short_window | log_corrected"),
    ]
)

# When to trust the theory on a data set (scaling_dmft.data.trust_rows, docs/theory/data.md section 9):
# per data set and point, the Gaussianity diagnostic of its eigen-features beside the deviations of
# the theory and of the Gaussian simulation from training on the data
DATA_TRUST_SCHEMA = pa.schema(
    [
        _field("sweep", _STR, "the data set's name (its `data:` entry)"),
        _field("route", _STR, "dense (the n x n Gram) | relu_features | nystrom (a fixed feature map, streamed)"),
        _field("width", _F64, "N features or m landmarks of a feature route (null for dense)"),
        _field("n_points", pa.int64(), "n, the points of the data set (the population)"),
        _field(
            "replacement", pa.bool_(), "the P training points drawn with replacement (i.i.d., as the theory assumes)"
        ),
        _field("regime", _STR, "regime name from the config"),
        _field("noise", _F64, "sigma, label-noise standard deviation", "target units"),
        _field("n_features", _F64, "N of the comparison (+inf: the route's kernel or features, no further projection)"),
        _field("n_samples", _F64, "P, training points per subset"),
        _field("t", _F64, "training time; +inf = the t -> infinity limit", TIME_UNIT),
        _field("diag_modes", _F64, "r, the top eigen-features the diagnostics look at"),
        _field(
            "excess_kurtosis",
            _F64,
            "mean over the top r modes of E z^4 / (E z^2)^2 - 3 of the eigen-features z (0 for Gaussians)",
        ),
        _field(
            "scale_dependence",
            _F64,
            "mean over pairs of the top r modes of Cov(z_k^2, z_l^2) (0 for independent features; Var(s^2) for "
            "a common per-point scale s; null for a spectrum of one mode)",
        ),
        _field("norm_cv", _F64, "coefficient of variation of the kernel diagonal k(x, x) over the points"),
        _field("theory", _F64, "E of the DMFT on the data's spectrum (eg)", ERROR_UNIT),
        _field("sim", _F64, "E of the exact simulation of Gaussian features with that spectrum", ERROR_UNIT),
        _field("sim_sem", _F64, "its standard error over seeds", ERROR_UNIT),
        _field("data", _F64, "E of training on the data, tested on the whole set, mean over subsets", ERROR_UNIT),
        _field("data_sem", _F64, "its standard error over subsets", ERROR_UNIT),
        _field("n_subsets", pa.int32(), "subsets of training on the data (and seeds of the simulation)"),
        _field("deviation", _F64, "(theory - data) / data: the theory's deviation from training on the data"),
        _field("z", _F64, "(theory - data) / data_sem (the theory has no sampling error)"),
        _field(
            "gaussian_deviation",
            _F64,
            "(sim - data) / data: what the data's non-Gaussian eigen-features alone change (same spectrum)",
        ),
        _field("gaussian_z", _F64, "(sim - data) / sqrt(sim_sem^2 + data_sem^2)"),
        _field("theory_vs_sim", _F64, "(theory - sim) / sim: the DMFT's own error at this (P, t)"),
        _field("theory_vs_sim_z", _F64, "(theory - sim) / sim_sem"),
    ]
)

SCHEMAS = {
    "spectrum": SPECTRUM_SCHEMA,
    "curve": CURVE_SCHEMA,
    "fit": FIT_SCHEMA,
    "early_stopping": EARLY_STOPPING_SCHEMA,
    "validation": VALIDATION_SCHEMA,
    "frontier": FRONTIER_SCHEMA,
    "frontier_fit": FRONTIER_FIT_SCHEMA,
    "phase_diagram": PHASE_DIAGRAM_SCHEMA,
    "iso_compute": ISO_COMPUTE_SCHEMA,
    "data_trust": DATA_TRUST_SCHEMA,
}

META_PREFIX = "scaling_dmft."


def config_hash(config: dict | list) -> str:
    """Stable short hash of a (sub)config: JSON with sorted keys, SHA-256, 16 hex digits."""
    return content_digest(config)[:16]


def content_digest(content: object) -> str:
    """SHA-256 (64 hex digits) of `content`'s canonical JSON (sorted keys, no spaces, inf as
    Infinity): what a chunk was computed from (its points, groups, frontier or grid part)."""
    text = json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 (64 hex digits) of a file's bytes: an input file counted by its content, not its mtime."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def chunk_identity(chunk_id: str, content: object) -> dict[str, str]:
    """The metadata that names a chunk table: its id (the workflow wildcard: '<sweep>-0003', a frontier,
    'part2', a sweep's spectrum) and the digest of what it was computed from (`content_digest`)."""
    return {"chunk_id": chunk_id, "chunk_digest": content_digest(content)}


def check_identity(attrs: dict, path: str | os.PathLike, chunk_id: str, digest: str) -> None:
    """Raise CorruptTableError unless the table read from `path` (its `attrs`) is chunk `chunk_id`
    computed from the content with `digest`: a chunk copied onto another's name, swapped, or left
    from other points is refused, whatever its mtime."""
    got_id, got_digest = attrs.get("chunk_id"), attrs.get("chunk_digest")
    if got_id is None or got_digest is None:
        raise CorruptTableError(f"{path}: no chunk identity in its metadata (written by another version?)")
    if got_id != chunk_id:
        raise CorruptTableError(f"{path}: holds chunk {got_id!r}, not {chunk_id!r} (copied or swapped)")
    if got_digest != digest:
        raise CorruptTableError(
            f"{path}: computed from other points than chunk {chunk_id!r} now holds (digest "
            f"{got_digest[:12]} != {digest[:12]})"
        )


@lru_cache(maxsize=1)
def git_revision() -> str:
    """Git revision of the source tree ('<sha>[-dirty]'), or 'unknown' outside a checkout."""
    root = REPOSITORY_ROOT
    try:
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
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


def config_yaml(config: dict) -> str:
    """The resolved config as YAML (stored in the metadata of the run's tables)."""
    import yaml

    return yaml.safe_dump(json.loads(json.dumps(config, default=str)), sort_keys=True)


def inherited_provenance(attrs: dict) -> dict[str, str]:
    """Provenance of a table derived from another (fits from curves): the same config hash, config
    YAML and seed rule; this package version and git revision."""
    extra = {"config_yaml": attrs["config_yaml"]} if "config_yaml" in attrs else {}
    meta = provenance(None, seeds=attrs.get("seeds", ""), **extra)
    meta["config_hash"] = attrs.get("config_hash", "")
    return meta


def provenance(config: dict | list | None = None, seeds: str = "", **extra) -> dict[str, str]:
    """Schema metadata for a table. No timestamps: the same config gives the same file."""
    meta = {
        "config_hash": config_hash(config if config is not None else {}),
        "package_version": VERSION,
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
    # (validation: a z or a relative difference is infinite where the s.e. or the simulated value is 0)
    allowed_inf = {
        "n_features",
        "n_samples",
        "t",
        "steps",
        "batch_size",
        "x_min",
        "x_max",
        "t_worst_rel",
        "z_at_worst_rel",
        "worst_z",
    }
    allowed_inf |= {"worst_rel", "median_rel", "weight_decay"}  # weight_decay: "varied" in a tuned frontier fit
    flagged = frame["flag"].astype(str) != "" if "flag" in frame.columns else pd.Series(False, index=frame.index)
    # null = not applicable: alpha, beta of a spectrum file, a law without a stated exponent, the
    # standard errors of theory rows (no sampling)
    nullable = {"alpha", "beta", "expected_exponent", "ansatz_exponent", "eg_sem", "eg_mean_sem", "e_star_sem", "steps"}
    nullable |= {"width", "scale_dependence"}  # data_trust: a dense route has no width; one mode no pairs
    nullable |= {"train_error", "train_error_sem", "divergent_fraction"}  # not applicable (see their descriptions)
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
    with atomic_output(path) as tmp:
        pq.write_table(table, tmp, write_page_checksum=True)  # CRC per page, verified on read


def _temporary_sibling(path: Path, suffix: str) -> str:
    """A new empty hidden file beside `path` (`.name.<random><suffix>`), readable like any output
    (mkstemp creates 0600). Raises OSError where `path`'s folder is not writable."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())
    return tmp


@contextmanager
def atomic_output(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[str]:
    """Yield a temporary path in the output's folder; rename it onto `path` when the block
    succeeds, remove it when it fails: no partial file ever sits under an output name. `suffix`
    ends the temporary name (writers that infer the format from it, e.g. matplotlib, need it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_sibling(path, suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_writable(path: str | os.PathLike) -> None:
    """Create and remove the temporary file `atomic_output` would use (raises OSError if it cannot)."""
    os.unlink(_temporary_sibling(Path(path), ".tmp"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class CorruptTableError(ValueError):
    """A table file that cannot be trusted: unreadable, checksum mismatch, wrong schema, or values
    that break the table's invariants. The message names the file and the first problem."""


def read_table(path: str | os.PathLike, kind: str | None = None) -> pd.DataFrame:
    """Read a table, verifying the page checksums; checks the schema of `kind` (None: the kind the file
    names in its metadata, when it names one: a table this package wrote). Metadata lands in
    DataFrame.attrs. Raises CorruptTableError for a damaged file, InputError for an unknown kind."""
    if kind is not None and kind not in SCHEMAS:
        from .errors import InputError

        raise InputError("kind", kind, "one of " + ", ".join(SCHEMAS) + ", or None (the file's own)")
    try:
        table = pq.read_table(path, page_checksum_verification=True)
    except (OSError, pa.ArrowException) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise CorruptTableError(f"{path}: unreadable Parquet file ({str(exc).splitlines()[0][:200]})") from None
    named = (table.schema.metadata or {}).get(f"{META_PREFIX}table".encode(), b"").decode()
    kind = kind if kind is not None else (named if named in SCHEMAS else None)
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


# A soft flag: the row's value is valid and usable (fits, figures, invariants), only less precise than
# asked for (scaling_dmft.precision: a simulation that ended above its target relative s.e.).
IMPRECISE = "imprecise"


def usable(flags: pd.Series) -> np.ndarray:
    """Rows whose values mean what they say: no flag, or only the soft flag IMPRECISE."""
    text = flags.astype(str)
    return ((text == "") | text.str.startswith(IMPRECISE + ":")).to_numpy()


def check_curve_table(frame: pd.DataFrame, name: str) -> None:
    """Invariants of a curve table (one chunk or the aggregate), raising CorruptTableError:
    known methods and flags, finite values in unflagged rows, and per unflagged row
    eg >= eg_mean >= 0 and every component >= 0 within the round-off bound of its curve."""
    if frame.empty:
        return
    bad_method = ~frame["method"].isin(METHODS)
    if bad_method.any():
        raise CorruptTableError(f"{name}: unknown method {frame['method'][bad_method].iloc[0]!r}")
    ok = usable(frame["flag"])
    values = frame.loc[ok, ["eg", "eg_mean", *COMPONENT_COLUMNS]].to_numpy(dtype=np.float64)
    sem = frame.loc[ok, ["eg_sem", "eg_mean_sem"]].to_numpy(dtype=np.float64)
    theory = (frame.loc[ok, "method"] == "dmft").to_numpy()[:, None]
    if not np.isfinite(values).all() or not (np.isfinite(sem) | (theory & np.isnan(sem))).all():
        raise CorruptTableError(f"{name}: a non-finite value in an unflagged row")
    part = frame.loc[ok]
    scale = (
        part["eg"]
        .abs()
        .groupby([part[c] for c in POINT_COLUMNS + ["method"]], dropna=False)
        .transform("max")
        .to_numpy()
    )
    tol = ROUNDOFF_REL * scale
    eg, eg_mean = part["eg"].to_numpy(), part["eg_mean"].to_numpy()
    checks = {
        "eg >= eg_mean": eg >= eg_mean - tol,
        "eg_mean >= 0": eg_mean >= -tol,
        **{f"{c} >= 0": part[c].to_numpy() >= -tol for c in COMPONENT_COLUMNS},
        "eg_sem >= 0": ~(part["eg_sem"].to_numpy() < 0),  # null (theory) passes
        "n_seeds >= 0": part["n_seeds"].to_numpy() >= 0,
    }
    for what, holds in checks.items():
        if not holds.all():
            row = part.iloc[int(np.argmin(holds))]
            raise CorruptTableError(
                f"{name}: {what} fails at t = {row['t']:g} (eg = {row['eg']:.6g}, eg_mean = {row['eg_mean']:.6g})"
            )


# The columns that name a spectrum (a point's spectrum_file appears as spectrum = its file name).
SPECTRUM_COLUMNS = ["spectrum", "alpha", "beta", "teacher", "n_modes"]

# The columns that identify one row of each table (its sort order, and unique per row).
ROW_KEYS = {
    "curve": POINT_COLUMNS + ["method", "t"],
    "fit": POINT_COLUMNS + ["method", "law", "quantity"],
    "early_stopping": POINT_COLUMNS + ["method"],
    "spectrum": [*SPECTRUM_COLUMNS, "k"],
    "validation": POINT_COLUMNS + ["quantity"],
    "frontier": [c for c in POINT_COLUMNS if c not in ("n_features", "n_samples", "weight_decay")]
    + ["compute_model", "tuned", "compute"],
    "frontier_fit": POINT_COLUMNS + ["compute_model", "tuned", "law", "quantity"],
    "phase_diagram": ["alpha", "beta", "law"],
    "iso_compute": POINT_COLUMNS + ["compute"],
    "data_trust": ["sweep", "regime", "noise", "n_features", "n_samples", "t"],
}


def markdown() -> str:
    """docs/tables.md, rendered from the schemas (the one definition of every column)."""
    out = [
        "# Table columns",
        "",
        "Generated from `scaling_dmft.tables` by `python -m scaling_dmft.tables > docs/tables.md`;",
        "the same descriptions and units are in each Parquet file's field metadata.",
    ]
    for kind, schema in SCHEMAS.items():
        out += ["", f"## {kind}", "", "| column | type | description | unit |", "|---|---|---|---|"]
        for field in schema:
            meta = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
            out.append(f"| `{field.name}` | {field.type} | {meta.get('description', '')} | {meta.get('unit', '')} |")
    return "\n".join(out) + "\n"


def sort_rows(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    return frame.sort_values(ROW_KEYS[kind], kind="mergesort", na_position="first").reset_index(drop=True)


def empty_frame(kind: str) -> pd.DataFrame:
    return SCHEMAS[kind].empty_table().to_pandas()


if __name__ == "__main__":
    print(markdown(), end="")

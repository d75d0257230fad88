# Helpers shared by every rule: config validation, runs, grid chunks, resources.
# Kept cheap: the Snakefile is re-parsed in every cluster job, so chunks of the
# `paper` and `validate` runs are expanded only when a rule asks for them.
import copy
import sys
from functools import lru_cache
from pathlib import Path

from snakemake.utils import update_config

from scaling_dmft import grid
from scaling_dmft.config import (
    IDENTIFIER_PATTERN,
    RESERVED_RUN_NAMES,
    RUN_NAME_PATTERN,
    load_yaml,
    reserved_run_file,
    validate_config,
)
from scaling_dmft.errors import InputError
from scaling_dmft.figures import FIGURES
from scaling_dmft.tables import METHODS
from scaling_dmft.runlog import job_logging
from scaling_dmft.rules import ATLAS_FIGURES, HTML_VIEWS, verify_chunk
from scaling_dmft.atlas import phase_jobs

WORKFLOW_ROOT = Path(workflow.basedir)
RUN_FILES = {name: reserved_run_file(name) for name in RESERVED_RUN_NAMES}


def _config_error(err):
    # one clear line and exit status 2, before any job starts
    sys.stderr.write(f"scaling-dmft: config error: {err}\n")
    sys.exit(2)


def _active_config():
    """The config of this invocation, parsed by our own loader (the one `check-config` uses), not
    Snakemake's: a --configfile REPLACES config/config.yaml (Snakemake would deep-merge the sweeps of
    both), several --configfile are merged in order, then --config KEY=VALUE overrides apply.
    """
    cli_files = list(workflow.config_settings.configfiles)
    files = cli_files or [WORKFLOW_ROOT / "config" / "config.yaml"]
    try:
        raw = {}
        for path in files:
            update_config(raw, load_yaml(path))
        update_config(raw, copy.deepcopy(dict(workflow.config_settings.config)))
        return validate_config(raw, base_dir=Path(files[-1]).parent, files=files)
    except InputError as err:
        _config_error(err)


CFG = _active_config()
ACTIVE_RUN = CFG["run_name"]


@lru_cache(maxsize=None)
def run_config(run):
    if run == ACTIVE_RUN:
        return CFG
    if run not in RUN_FILES:
        raise ValueError(f"unknown run {run!r}")
    try:
        return validate_config(
            load_yaml(RUN_FILES[run]),
            base_dir=RUN_FILES[run].parent,
            files=[RUN_FILES[run]],
        )
    except InputError as err:
        _config_error(f"{RUN_FILES[run].name}: {err}")


@lru_cache(maxsize=None)
def dmft_chunks(run):
    return grid.dmft_chunks(run_config(run))


@lru_cache(maxsize=None)
def sim_chunks(run):
    return grid.sim_chunks(run_config(run))


def sweep_of(chunk):
    return chunk.rsplit("-", 1)[0]


# ---- inputs -----------------------------------------------------------------


def spectrum_files(wildcards):
    return [
        f"results/{wildcards.run}/spectra/{sweep}.parquet"
        for sweep in run_config(wildcards.run)["sweeps"]
    ]


def spectrum_inputs(wildcards):
    """A sweep's spectrum file, when it has one: editing the file reruns what depends on it."""
    sweep = run_config(wildcards.run)["sweeps"][wildcards.sweep]
    return [sweep["spectrum_file"]] if "spectrum_file" in sweep else []


def chunk_spectrum(wildcards):
    return f"results/{wildcards.run}/spectra/{sweep_of(wildcards.chunk)}.parquet"


def curve_chunk_files(wildcards):
    run = wildcards.run
    dmft = [f"results/{run}/chunks/dmft/{c}.parquet" for c in dmft_chunks(run)]
    sim = [f"results/{run}/chunks/sim/{c}.parquet" for c in sim_chunks(run)]
    return dmft + sim


def resolved_config(wildcards):
    """The run's validated config with every default filled in (stored in its tables)."""
    return run_config(wildcards.run)


def curve_chunk_markers(wildcards):
    return [
        f"{path[: -len('.parquet')]}.verified" for path in curve_chunk_files(wildcards)
    ]


def verify_chunk_logged(chunk, marker, log_path):
    with job_logging(log_path, f"verify {chunk}"):
        verify_chunk(chunk, marker)


def run_tables(run):
    return [
        f"results/{run}/tables/{name}.parquet"
        for name in ("spectra", "curves", "fits", "early_stopping")
    ]


def run_targets(run):
    base = f"results/{run}"
    tables = run_tables(run) + [f"{base}/report/{view}.html" for view in HTML_VIEWS]
    # the figures the config lists (in the fixed order of FIGURES)
    drawn = [fig for fig in FIGURES if fig in run_config(run)["figures"]]
    figures = [f"{base}/figures/{fig}.{ext}" for fig in drawn for ext in ("pdf", "png")]
    return tables + figures + atlas_targets(run) + data_targets(run)


def data_targets(run):
    """The data sets' tables and figure, where the run's config has a `data:` section."""
    if not run_config(run).get("data"):
        return []
    base = f"results/{run}"
    tables = [
        f"{base}/tables/data_spectra.parquet",
        f"{base}/tables/data_curves.parquet",
        f"{base}/tables/data_trust.parquet",
    ]
    return tables + [f"{base}/figures/data.{ext}" for ext in ("pdf", "png")]


def data_entry(wildcards):
    return run_config(wildcards.run)["data"][wildcards.dataset]


def data_entries(wildcards):
    return run_config(wildcards.run)["data"]


def data_regimes(wildcards):
    return run_config(wildcards.run)["regimes"]


def data_source_files(wildcards):
    """A data set's input files, when it has them: editing one reruns its spectrum and curves."""
    entry = data_entry(wildcards)
    return [entry[key] for key in ("file", "labels") if key in entry]


def data_spectrum_files(wildcards):
    names = run_config(wildcards.run).get("data", {})
    return [f"results/{wildcards.run}/data/spectra/{name}.parquet" for name in names]


def data_curve_files(wildcards):
    names = run_config(wildcards.run).get("data", {})
    return [f"results/{wildcards.run}/data/curves/{name}.parquet" for name in names]


def atlas_targets(run):
    """The atlas's tables and figures, where the run's config has an `atlas:` section."""
    atlas = run_config(run).get("atlas", {})
    base = f"results/{run}"
    out = []
    if atlas.get("frontiers"):
        out += [
            f"{base}/tables/frontier.parquet",
            f"{base}/tables/frontier_fits.parquet",
        ]
        out += [f"{base}/figures/frontier.{ext}" for ext in ("pdf", "png")]
    if "phase_diagram" in atlas:
        out += [f"{base}/tables/phase_diagram.parquet"]
        out += [f"{base}/figures/phase_diagram.{ext}" for ext in ("pdf", "png")]
    return out


@lru_cache(maxsize=None)
def atlas_parts(run):
    return phase_jobs(run_config(run))


def frontier_files(wildcards):
    names = run_config(wildcards.run).get("atlas", {}).get("frontiers", {})
    return [f"results/{wildcards.run}/atlas/frontiers/{name}.parquet" for name in names]


def phase_files(wildcards):
    return [
        f"results/{wildcards.run}/atlas/phase/{part}.parquet"
        for part in atlas_parts(wildcards.run)
    ]


def phase_points(wildcards):
    return [list(point) for point in atlas_parts(wildcards.run)[wildcards.part]]


def phase_modes(wildcards):
    return run_config(wildcards.run)["atlas"]["phase_diagram"]["n_modes"]


def atlas_figure_inputs(wildcards):
    base = f"results/{wildcards.run}/tables"
    if wildcards.atlas_figure == "frontier":
        return {
            "frontier": f"{base}/frontier.parquet",
            "fits": f"{base}/frontier_fits.parquet",
        }
    return {"phase": f"{base}/phase_diagram.parquet"}


def validation_targets():
    base = "results/validate/validation"
    return [
        f"{base}/summary.parquet",
        f"{base}/summary.html",
        f"{base}/validation.md",
        f"{base}/worst.png",
    ]


# ---- params: each rule gets only the subtree it needs -------------------------


def spectrum_params(wildcards):
    sweep = run_config(wildcards.run)["sweeps"][wildcards.sweep]
    keys = ("alpha", "beta", "spectrum_file", "n_modes", "teacher")
    return {k: sweep[k] for k in keys if k in sweep}


def dmft_points(wildcards):
    return dmft_chunks(wildcards.run)[wildcards.chunk]


def sim_groups(wildcards):
    return sim_chunks(wildcards.run)[wildcards.chunk]


def base_seed(wildcards):
    return run_config(wildcards.run)["simulation"]["base_seed"]


def figure_spec(wildcards):
    cfg = run_config(wildcards.run)
    spec = dict(cfg["figures"].get(wildcards.figure, {}))
    names = spec.get("sweeps", [spec["sweep"]] if "sweep" in spec else [])
    spec["sweeps"] = {name: {**cfg["sweeps"][name], "name": name} for name in names}
    spec["regimes_defined"] = {r["name"]: r for r in cfg["regimes"]}
    return spec


def validation_params(wildcards):
    return run_config("validate")["validation"]


# ---- resources (memory grows with the retry attempt) -------------------------


def mem_small(wildcards, attempt):
    return 1000 * attempt


def mem_dmft(wildcards, attempt):
    return 2000 * attempt


def mem_sim(wildcards, attempt):
    return 4000 * attempt


def mem_data_spectrum(wildcards, attempt):
    """A data job's estimated memory (data.entry_memory_mb, checked against
    simulation.max_memory_gb when the config is validated)."""
    from scaling_dmft.data import entry_memory_mb

    return entry_memory_mb(data_entry(wildcards), "spectrum") * attempt


def mem_data_curves(wildcards, attempt):
    from scaling_dmft.data import entry_memory_mb

    return entry_memory_mb(data_entry(wildcards), "curves") * attempt


def runtime_dmft(wildcards, attempt):
    return 30 * attempt


def runtime_sim(wildcards, attempt):
    return 60 * attempt


wildcard_constraints:
    run=RUN_NAME_PATTERN.pattern,
    sweep=IDENTIFIER_PATTERN.pattern,
    chunk=grid.CHUNK_ID_PATTERN,
    method="|".join(METHODS),
    frontier=IDENTIFIER_PATTERN.pattern,
    dataset=IDENTIFIER_PATTERN.pattern,
    part=r"part\d+",

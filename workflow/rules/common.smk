# Helpers shared by every rule: config validation, runs, grid chunks, resources.
# Kept cheap: the Snakefile is re-parsed in every cluster job, so chunks of the
# `paper` and `validate` runs are expanded only when a rule asks for them.
import copy
import sys
from functools import lru_cache
from pathlib import Path

from snakemake.logging import logger

# This checkout's package, as the job scripts use (scripts/*.py): an environment shared by two
# checkouts must not define one checkout's rules with the other's code (its default-config path,
# its chunking).
sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from scaling_dmft import grid
from scaling_dmft.config import (
    IDENTIFIER_PATTERN,
    JOB_MINUTES,
    RESERVED_RUN_NAMES,
    RUN_NAME_PATTERN,
    load_configs,
    reserved_run_file,
)
from scaling_dmft.errors import InputError
from scaling_dmft.figures import (
    ATLAS_CATEGORY,
    DATA_CATEGORY,
    FIGURES,
    RUN_CATEGORY,
    TABLES_CATEGORY,
    TITLES,
    VALIDATION_CATEGORY,
)
from scaling_dmft.figures.common import regime_words
from scaling_dmft.report import ATLAS_VIEWS, DATA_VIEWS, VIEWS
from scaling_dmft.tables import METHODS, config_hash, content_digest, file_digest
from scaling_dmft.runlog import job_logging
from scaling_dmft.rules import (
    ATLAS_FIGURES,
    HTML_VIEWS,
    dmft_content,
    figure_spec,
    frontier_content,
    phase_content,
    sim_content,
    verify_chunk,
)
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
    both), several --configfile are merged in order, then --config KEY=VALUE overrides apply. A
    relative file path in a config file means a path from that file's folder (config.load_configs).
    """
    cli_files = list(workflow.config_settings.configfiles)
    files = cli_files or [WORKFLOW_ROOT / "config" / "config.yaml"]
    try:
        return load_configs(files, copy.deepcopy(dict(workflow.config_settings.config)))
    except InputError as err:
        _config_error(err)


CFG = _active_config()
ACTIVE_RUN = CFG["run_name"]


def _announce_run():
    """Where this invocation writes (a --configfile without run_name runs under its file's stem:
    config.file_run_name), and the hash of the resolved config its tables record."""
    files = [str(f) for f in workflow.config_settings.configfiles] or [
        "config/config.yaml"
    ]
    logger.info(
        f"scaling-dmft: run {ACTIVE_RUN!r} (config {', '.join(files)}; config hash {config_hash(CFG)}): "
        f"results in results/{ACTIVE_RUN}/, logs in logs/{ACTIVE_RUN}/, benchmarks in benchmarks/{ACTIVE_RUN}/"
    )


onstart:
    _announce_run()


@lru_cache(maxsize=None)
def run_config(run):
    if run == ACTIVE_RUN:
        return CFG
    if run not in RUN_FILES:
        raise ValueError(f"unknown run {run!r}")
    try:
        return load_configs([RUN_FILES[run]])
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


@lru_cache(maxsize=None)
def _file_digest(path):
    return file_digest(path)


def source_digests(paths):
    """{path: SHA-256 of its bytes} of the input files of a job, passed among its params, so that a
    file counts by its content: an edit that keeps (or rewinds) the mtime (`cp -p`, `rsync -a`,
    `touch -d`) still reruns the job (Snakemake's params rerun trigger). A missing file gives ''
    (Snakemake names it as a missing input)."""
    return {p: (_file_digest(p) if Path(p).is_file() else "") for p in paths}


def spectrum_digests(wildcards):
    return source_digests(spectrum_inputs(wildcards))


def data_digests(wildcards):
    return source_digests(data_source_files(wildcards))


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


# ---- chunk identity: (chunk id, digest of what it is computed from) ---------------


@lru_cache(maxsize=None)
def chunk_identity(run, method, chunk):
    if method == "dmft":
        content = dmft_content([p.to_dict() for p in dmft_chunks(run)[chunk]])
    else:
        base = run_config(run)["simulation"]["base_seed"]
        content = sim_content([g.to_dict() for g in sim_chunks(run)[chunk]], base)
    return [chunk, content_digest(content)]


def verify_identity(wildcards):
    return chunk_identity(wildcards.run, wildcards.method, wildcards.chunk)


def curve_identities(wildcards):
    run = wildcards.run
    out = {}
    for method, chunks in (("dmft", dmft_chunks(run)), ("sim", sim_chunks(run))):
        for chunk in chunks:
            out[f"results/{run}/chunks/{method}/{chunk}.parquet"] = chunk_identity(
                run, method, chunk
            )
    return out


def spectrum_identities(wildcards):
    run = wildcards.run
    return {
        f"results/{run}/spectra/{sweep}.parquet": [
            sweep,
            content_digest(spectrum_params_of(run, sweep)),
        ]
        for sweep in run_config(run)["sweeps"]
    }


def frontier_identities(wildcards):
    cfg = run_config(wildcards.run)
    return {
        f"results/{wildcards.run}/atlas/frontiers/{name}.parquet": [
            name,
            content_digest(frontier_content(cfg, name)),
        ]
        for name in cfg.get("atlas", {}).get("frontiers", {})
    }


def phase_identities(wildcards):
    n_modes = (
        run_config(wildcards.run)
        .get("atlas", {})
        .get("phase_diagram", {})
        .get("n_modes")
    )
    return {
        f"results/{wildcards.run}/atlas/phase/{part}.parquet": [
            part,
            content_digest(phase_content(points, n_modes)),
        ]
        for part, points in atlas_parts(wildcards.run).items()
    }


def verify_chunk_logged(chunk, marker, identity, log_path):
    with job_logging(log_path, f"verify {chunk}"):
        verify_chunk(chunk, marker, tuple(identity))


def run_tables(run):
    return [
        f"results/{run}/tables/{name}.parquet"
        for name in ("spectra", "curves", "fits", "early_stopping")
    ]


def run_outputs(run):
    """Every target of a run but its runtime pages: tables, their report pages, figures, atlas, data."""
    base = f"results/{run}"
    tables = run_tables(run) + [f"{base}/report/{view}.html" for view in HTML_VIEWS]
    # the figures the config lists (in the fixed order of FIGURES)
    drawn = [fig for fig in FIGURES if fig in run_config(run)["figures"]]
    figures = [f"{base}/figures/{fig}.{ext}" for fig in drawn for ext in ("pdf", "png")]
    pages = [f"{base}/report/provenance.html"]
    return tables + figures + atlas_targets(run) + data_targets(run) + pages


def run_targets(run):
    """A run's targets: its outputs, then the runtime pages (which read every job's benchmark)."""
    base = f"results/{run}/report"
    return run_outputs(run) + [f"{base}/runtimes.html", f"{base}/runtimes.png"]


def runtime_inputs(wildcards):
    return run_outputs(wildcards.run)


def provenance_tables(wildcards):
    """Every Parquet table of the run (each records the config hash it was made with)."""
    run = wildcards.run
    names = run_tables(run) + atlas_targets(run) + data_targets(run)
    return [t for t in names if t.endswith(".parquet")]


# ---- the report: categories and labels of its entries --------------------------


def figure_category(wildcards):
    return TITLES[wildcards.figure]


def figure_labels(wildcards):
    """figure, sweeps and regimes (in words) of a paper figure, for the report's result table."""
    spec = figure_spec(run_config(wildcards.run), wildcards.figure)
    names = list(spec.get("regimes", [])) or sorted(
        {r for sw in spec["sweeps"].values() for r in sw["regimes"]}
    )
    defined = spec["regimes_defined"]
    return {
        "figure": TITLES[wildcards.figure],
        "sweeps": ", ".join(spec["sweeps"]),
        "regimes": "; ".join(
            regime_words(defined[r], defined[r]["kind"]) for r in names
        ),
    }


def table_labels(wildcards):
    return {"table": VIEWS[wildcards.view].title}


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
    pages = [f"{base}/report/{view}.html" for view in DATA_VIEWS]
    return tables + pages + [f"{base}/figures/data.{ext}" for ext in ("pdf", "png")]


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
            f"{base}/tables/iso_compute.parquet",
        ]
        out += [f"{base}/figures/frontier.{ext}" for ext in ("pdf", "png")]
        out += [f"{base}/report/{view}.html" for view in ATLAS_VIEWS["frontier"]]
    if "phase_diagram" in atlas:
        out += [f"{base}/tables/phase_diagram.parquet"]
        out += [f"{base}/figures/phase_diagram.{ext}" for ext in ("pdf", "png")]
        out += [f"{base}/report/{view}.html" for view in ATLAS_VIEWS["phase_diagram"]]
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
            "iso": f"{base}/iso_compute.parquet",
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


def spectrum_params_of(run, name):
    sweep = run_config(run)["sweeps"][name]
    keys = ("alpha", "beta", "spectrum_file", "n_modes", "teacher")
    return {k: sweep[k] for k in keys if k in sweep}


def spectrum_params(wildcards):
    return spectrum_params_of(wildcards.run, wildcards.sweep)


def dmft_points(wildcards):
    """The chunk's points in their plain form (points.Point.to_dict): JSON-able params."""
    return [point.to_dict() for point in dmft_chunks(wildcards.run)[wildcards.chunk]]


def sim_groups(wildcards):
    """The chunk's disorder groups in their plain form (grid.SimGroup.to_dict)."""
    return [group.to_dict() for group in sim_chunks(wildcards.run)[wildcards.chunk]]


def base_seed(wildcards):
    return run_config(wildcards.run)["simulation"]["base_seed"]


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
    # config.JOB_MINUTES: the atlas jobs' size check before any job uses the same minutes
    return JOB_MINUTES * attempt


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


TABLE_VIEWS = tuple(VIEWS)

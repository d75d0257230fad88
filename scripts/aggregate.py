"""Rules `aggregate_curves` / `aggregate_spectra`: concatenate chunk tables of a run."""

import sys
from pathlib import Path

# the library lives in src/; works with or without an installed package
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))

from scaling_dmft.runlog import job_logging, limit_threads

limit_threads(snakemake.threads)

from scaling_dmft.rules import aggregate  # noqa: E402

with job_logging(snakemake.log[0], f"aggregate {snakemake.output[0]}"):
    aggregate(
        list(snakemake.input.chunks),
        snakemake.output[0],
        snakemake.params.kind,
        dict(snakemake.params.config),
        # {path: (chunk id, digest)} where the rule gives them (chunk identity)
        dict(getattr(snakemake.params, "identities", None) or {}),
    )

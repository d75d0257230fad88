"""Rule `frontier`: one compute-optimal frontier of the config's atlas."""

import sys
from pathlib import Path

# the library lives in src/; works with or without an installed package
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))

from scaling_dmft.runlog import job_logging, limit_threads

limit_threads(snakemake.threads)

from scaling_dmft.rules import frontier_job  # noqa: E402

with job_logging(snakemake.log[0], f"frontier {snakemake.wildcards.frontier}"):
    frontier_job(dict(snakemake.params.config), snakemake.wildcards.frontier, snakemake.output[0])

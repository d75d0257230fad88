"""Rule `simulate`: seed-averaged exact simulation of one chunk of disorder points."""

import sys
from pathlib import Path

# the library lives in src/; works with or without an installed package
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))

from scaling_dmft.runlog import job_logging, limit_threads

limit_threads(snakemake.threads)

from scaling_dmft.rules import sim_chunk  # noqa: E402

with job_logging(snakemake.log[0], f"simulate {snakemake.wildcards.chunk}"):
    sim_chunk(snakemake.params.groups, snakemake.params.base_seed, snakemake.output[0], snakemake.wildcards.chunk)

"""Rule `dmft`: theory curves of one chunk of parameter points."""

import sys
from pathlib import Path

# the library lives in src/; works with or without an installed package
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))

from scaling_dmft.runlog import job_logging, limit_threads

limit_threads(snakemake.threads)

from scaling_dmft.rules import dmft_chunk  # noqa: E402

with job_logging(snakemake.log[0], f"dmft {snakemake.wildcards.chunk}"):
    dmft_chunk(snakemake.params.points, snakemake.output[0], snakemake.wildcards.chunk)

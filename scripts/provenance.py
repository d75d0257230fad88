"""Rule `provenance`: the run's config hash, versions and resolved config, shown once."""

import sys
from pathlib import Path

# the library lives in src/; works with or without an installed package
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))

from scaling_dmft.rules import provenance_job
from scaling_dmft.runlog import job_logging

with job_logging(snakemake.log[0], "provenance"):
    provenance_job(snakemake.wildcards.run, list(snakemake.input), snakemake.output[0])

"""Rule `iso_compute`: the iso-compute curves of the atlas's frontier figure."""

import sys
from pathlib import Path

# the library lives in src/; works with or without an installed package
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))

from scaling_dmft.runlog import job_logging, limit_threads

limit_threads(snakemake.threads)

from scaling_dmft.rules import iso_compute_job  # noqa: E402

with job_logging(snakemake.log[0], "iso_compute"):
    iso_compute_job(snakemake.input[0], snakemake.output[0])

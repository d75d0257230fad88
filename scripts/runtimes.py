"""Rule `runtimes`: every job's benchmark of the run as a table and a figure."""

import sys
from pathlib import Path

# the library lives in src/; works with or without an installed package
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))

from scaling_dmft.rules import runtimes_job
from scaling_dmft.runlog import job_logging

run = snakemake.wildcards.run
with job_logging(snakemake.log[0], "runtimes"):
    runtimes_job(run, f"benchmarks/{run}", snakemake.output.html, snakemake.output.png)

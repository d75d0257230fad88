"""Rule `frontier_fit`: E*, N*, P*, t* against C for every frontier."""

import sys
from pathlib import Path

# the library lives in src/; works with or without an installed package
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))

from scaling_dmft.rules import frontier_fit_table
from scaling_dmft.runlog import job_logging

with job_logging(snakemake.log[0], "frontier fits"):
    frontier_fit_table(snakemake.input[0], snakemake.output[0])

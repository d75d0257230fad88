"""Rule `fit`: exponent fits and the early-stopping table."""

import sys
from pathlib import Path

# the library lives in src/; works with or without an installed package
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))

from scaling_dmft.runlog import job_logging, limit_threads

limit_threads(snakemake.threads)

from scaling_dmft.rules import fit_tables  # noqa: E402

with job_logging(snakemake.log[0], "fit"):
    fit_tables(snakemake.input.curves, snakemake.output.fits, snakemake.output.early)

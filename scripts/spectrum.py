"""Rule `spectrum`: write the mode-sum representation of a sweep's spectra."""

import sys
from pathlib import Path

# the library lives in src/; works with or without an installed package
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))

from scaling_dmft.runlog import job_logging, limit_threads

limit_threads(snakemake.threads)

from scaling_dmft.rules import spectrum_table  # noqa: E402

with job_logging(snakemake.log[0], f"spectrum {snakemake.wildcards.sweep}"):
    spectrum_table(snakemake.params.sweep, snakemake.output[0], snakemake.wildcards.sweep)

"""Rule `validation_summary`: theory vs simulation on the validation grid."""

import sys
from pathlib import Path

# the library lives in src/; works with or without an installed package
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))

from scaling_dmft.rules import validation_summary
from scaling_dmft.runlog import job_logging

with job_logging(snakemake.log[0], "validation"):
    validation_summary(
        snakemake.input.curves,
        snakemake.params.tolerance,
        snakemake.output.summary,
        snakemake.output.html,
        snakemake.output.markdown,
        snakemake.output.figure,
    )

"""Rule `table_html`: an HTML view of a run table for `snakemake --report`."""

import sys
from pathlib import Path

# the library lives in src/; works with or without an installed package
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))

from scaling_dmft.runlog import job_logging, limit_threads

limit_threads(snakemake.threads)

from scaling_dmft.rules import table_html  # noqa: E402

with job_logging(snakemake.log[0], f"table_html {snakemake.wildcards.view}"):
    table_html(snakemake.input[0], snakemake.wildcards.view, snakemake.output[0])

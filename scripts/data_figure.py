"""Rule `data_figure`: the three-way comparison on the run's data sets."""

import sys
from pathlib import Path

# the library lives in src/; works with or without an installed package
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))

from scaling_dmft.runlog import job_logging, limit_threads

limit_threads(snakemake.threads)

from scaling_dmft.rules import draw_data_figure  # noqa: E402

with job_logging(snakemake.log[0], "data figure"):
    draw_data_figure(snakemake.input.curves, snakemake.output.pdf, snakemake.output.png, snakemake.input.trust)

"""Rule `figure`: draw one paper figure (PDF + PNG) from the aggregated tables."""

import sys
from pathlib import Path

# the library lives in src/; works with or without an installed package
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))

from scaling_dmft.rules import draw_figure
from scaling_dmft.runlog import job_logging

with job_logging(snakemake.log[0], f"figure {snakemake.wildcards.figure}"):
    draw_figure(
        snakemake.wildcards.figure,
        snakemake.input.curves,
        snakemake.input.fits,
        snakemake.input.early,
        snakemake.output.pdf,
        snakemake.output.png,
    )

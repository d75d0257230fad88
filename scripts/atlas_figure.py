"""Rule `atlas_figure`: the frontier or phase-diagram figure (PDF + PNG)."""

import sys
from pathlib import Path

# the library lives in src/; works with or without an installed package
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))

from scaling_dmft.rules import draw_atlas_figure
from scaling_dmft.runlog import job_logging

with job_logging(snakemake.log[0], f"figure {snakemake.wildcards.atlas_figure}"):
    draw_atlas_figure(
        snakemake.wildcards.atlas_figure,
        dict(snakemake.input.items()),
        snakemake.output.pdf,
        snakemake.output.png,
    )

"""Rule `phase_diagram_part`: fitted exponents at one part of the (alpha, beta) grid."""

import sys
from pathlib import Path

# the library lives in src/; works with or without an installed package
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))

from scaling_dmft.runlog import job_logging, limit_threads

limit_threads(snakemake.threads)

from scaling_dmft.rules import phase_job  # noqa: E402

with job_logging(snakemake.log[0], f"phase diagram {snakemake.wildcards.part}"):
    phase_job(list(snakemake.params.points), snakemake.params.n_modes, snakemake.output[0], snakemake.wildcards.part)

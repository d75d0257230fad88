"""Rule `data_curves`: theory, Gaussian simulation and training on one data set."""

import sys
from pathlib import Path

# the library lives in src/; works with or without an installed package
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))

from scaling_dmft.runlog import job_logging, limit_threads

limit_threads(snakemake.threads)

from scaling_dmft.rules import data_curves_job  # noqa: E402

with job_logging(snakemake.log[0], f"data curves of {snakemake.wildcards.dataset}"):
    data_curves_job(
        snakemake.wildcards.dataset,
        dict(snakemake.params.entry),
        [dict(r) for r in snakemake.params.regimes],
        int(snakemake.params.base_seed),
        snakemake.input.spectrum,
        snakemake.output[0],
    )

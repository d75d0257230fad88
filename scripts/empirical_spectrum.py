"""Rule `empirical_spectrum`: the spectrum of one configured data set."""

import sys
from pathlib import Path

# the library lives in src/; works with or without an installed package
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))

from scaling_dmft.runlog import job_logging, limit_threads

limit_threads(snakemake.threads)

from scaling_dmft.rules import empirical_spectrum_job  # noqa: E402

with job_logging(snakemake.log[0], f"spectrum of {snakemake.wildcards.dataset}"):
    empirical_spectrum_job(
        snakemake.wildcards.dataset,
        dict(snakemake.params.entry),
        snakemake.output[0],
        int(snakemake.params.base_seed),
    )

"""Rule `data_trust`: when to trust the theory on each data set (Gaussianity diagnostic, deviations)."""

import sys
from pathlib import Path

# the library lives in src/; works with or without an installed package
sys.path.insert(0, str(Path(snakemake.scriptdir).parent / "src"))

from scaling_dmft.runlog import job_logging, limit_threads

limit_threads(snakemake.threads)

from scaling_dmft.rules import data_trust_job  # noqa: E402

with job_logging(snakemake.log[0], "data trust"):
    data_trust_job(
        snakemake.input.curves,
        list(snakemake.input.spectra),
        {name: dict(entry) for name, entry in snakemake.params.entries.items()},
        dict(snakemake.params.config),
        snakemake.output[0],
    )

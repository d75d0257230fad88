# scaling-dmft: spectrum -> DMFT -> exact simulation -> exponent fits -> paper figures.
# Thin root: version, config, validation (in common.smk), rule files, target rules.
from snakemake.utils import min_version

min_version("9.0")


# The default config, relative to this file (so --directory elsewhere still finds it). A
# --configfile replaces it (common.smk), so it is not loaded then: Snakemake would deep-merge it.
if not workflow.config_settings.configfiles:

    configfile: f"{workflow.basedir}/config/config.yaml"


# the report's landing page (`snakemake --report report.html`)
report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/spectrum.smk"
include: "workflow/rules/dmft.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/validate.smk"
include: "workflow/rules/atlas.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        run_targets(ACTIVE_RUN),


rule tables:
    """The active run's four tables only (no figures, no report pages)."""
    input:
        run_tables(ACTIVE_RUN),


rule paper:
    input:
        run_targets("paper"),


rule atlas:
    """The active run's atlas only: frontier and phase-diagram tables and figures."""
    input:
        atlas_targets(ACTIVE_RUN),


rule data:
    """The active run's data sets only: spectra, three-way curves and their figure."""
    input:
        data_targets(ACTIVE_RUN),


rule validate:
    input:
        validation_targets(),

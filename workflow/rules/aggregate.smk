rule aggregate_curves:
    """One long curve table (theory and simulation) per run."""
    input:
        curve_chunk_files,
    output:
        report(
            "results/{run}/tables/curves.parquet",
            caption="../report/table_curves.rst",
            category="Tables",
        ),
    log:
        "logs/{run}/aggregate/curves.log",
    localrule: True
    conda:
        "../envs/scaling-dmft.yaml"
    params:
        run="{run}",
    script:
        "../../scripts/aggregate.py"


rule aggregate_spectra:
    """All spectra of a run in one table."""
    input:
        spectrum_files,
    output:
        report(
            "results/{run}/tables/spectra.parquet",
            caption="../report/table_spectra.rst",
            category="Tables",
        ),
    log:
        "logs/{run}/aggregate/spectra.log",
    localrule: True
    conda:
        "../envs/scaling-dmft.yaml"
    params:
        run="{run}",
    script:
        "../../scripts/aggregate.py"

rule fit:
    """Power-law exponents and the early-stopping optimum, theory and simulation."""
    input:
        curves="results/{run}/tables/curves.parquet",
    output:
        fits=report(
            "results/{run}/tables/fits.parquet",
            caption="../report/table_fits.rst",
            category="Tables",
        ),
        early=report(
            "results/{run}/tables/early_stopping.parquet",
            caption="../report/table_early_stopping.rst",
            category="Tables",
        ),
    log:
        "logs/{run}/fit/fit.log",
    benchmark:
        "benchmarks/{run}/fit/fit.tsv"
    conda:
        "../envs/scaling-dmft.yaml"
    threads: 1
    resources:
        mem_mb=mem_dmft,
    script:
        "../../scripts/fit.py"

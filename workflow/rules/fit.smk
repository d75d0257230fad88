rule fit:
    """Power-law exponents and the early-stopping optimum, theory and simulation."""
    input:
        curves="results/{run}/tables/curves.parquet",
    output:
        fits="results/{run}/tables/fits.parquet",
        early="results/{run}/tables/early_stopping.parquet",
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

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


rule table_html:
    """An HTML view of a run table for `snakemake --report` (Parquet has no report mimetype)."""
    input:
        "results/{run}/tables/{view}.parquet",
    output:
        report(
            "results/{run}/report/{view}.html",
            caption="../report/table.rst",
            category="Tables",
        ),
    log:
        "logs/{run}/table_html/{view}.log",
    benchmark:
        "benchmarks/{run}/table_html/{view}.tsv"
    wildcard_constraints:
        view="|".join(HTML_VIEWS),
    localrule: True
    conda:
        "../envs/scaling-dmft.yaml"
    threads: 1
    script:
        "../../scripts/table_html.py"

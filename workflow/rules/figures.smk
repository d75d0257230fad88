rule figure:
    """One paper figure (PDF and PNG) from the aggregated tables; its spec comes from the run config
    the curve table records (rules.figure_spec)."""
    input:
        curves="results/{run}/tables/curves.parquet",
        fits="results/{run}/tables/fits.parquet",
        early="results/{run}/tables/early_stopping.parquet",
    output:
        pdf="results/{run}/figures/{figure}.pdf",
        png=report(
            "results/{run}/figures/{figure}.png",
            caption="../report/figure.rst",
            category=figure_category,
            labels=figure_labels,
        ),
    log:
        "logs/{run}/figures/{figure}.log",
    benchmark:
        "benchmarks/{run}/figures/{figure}.tsv"
    wildcard_constraints:
        figure="|".join(FIGURES),
    # on a cluster the figures of a run go as one job (seven tiny jobs would each pay the queue and
    # start-up overhead); locally the group has no effect
    group:
        "figures"
    conda:
        "../envs/scaling-dmft.yaml"
    threads: 1
    resources:
        mem_mb=mem_small,
    script:
        "../../scripts/figure.py"

# The run's report pages (`snakemake --report report.html`): every table as an interactive page
# (scaling_dmft.report, offline: no network), the provenance of the run shown once, and the real
# job times from the benchmark files.


rule table_html:
    """The report page of one run table: sortable, filterable, paged (report.VIEWS)."""
    input:
        "results/{run}/tables/{view}.parquet",
    output:
        report(
            "results/{run}/report/{view}.html",
            caption="../report/table.rst",
            category=TABLES_CATEGORY,
            labels=table_labels,
        ),
    log:
        "logs/{run}/table_html/{view}.log",
    benchmark:
        "benchmarks/{run}/table_html/{view}.tsv"
    wildcard_constraints:
        view="|".join(TABLE_VIEWS),
    localrule: True
    conda:
        "../envs/scaling-dmft.yaml"
    threads: 1
    script:
        "../../scripts/table_html.py"


rule provenance:
    """The run's config hash, versions and resolved config, once; every table checked against it."""
    input:
        provenance_tables,
    output:
        report(
            "results/{run}/report/provenance.html",
            caption="../report/run.rst",
            category=RUN_CATEGORY,
            labels={"page": "provenance"},
        ),
    log:
        "logs/{run}/report/provenance.log",
    benchmark:
        "benchmarks/{run}/report/provenance.tsv"
    localrule: True
    conda:
        "../envs/scaling-dmft.yaml"
    script:
        "../../scripts/provenance.py"


rule runtimes:
    """Every job's benchmark (wall and CPU time, memory): a table and a figure. Runs after every
    other target of the run, so its own jobs are all there."""
    input:
        runtime_inputs,
    output:
        html=report(
            "results/{run}/report/runtimes.html",
            caption="../report/run.rst",
            category=RUN_CATEGORY,
            labels={"page": "runtimes (table)"},
        ),
        png=report(
            "results/{run}/report/runtimes.png",
            caption="../report/run.rst",
            category=RUN_CATEGORY,
            labels={"page": "runtimes (figure)"},
        ),
    log:
        "logs/{run}/report/runtimes.log",
    localrule: True
    conda:
        "../envs/scaling-dmft.yaml"
    script:
        "../../scripts/runtimes.py"

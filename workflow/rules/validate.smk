rule validation_summary:
    """Theory vs seed-averaged simulation on the validation grid (config/validate.yaml)."""
    input:
        curves="results/validate/tables/curves.parquet",
    output:
        summary="results/validate/validation/summary.parquet",
        html=report(
            "results/validate/validation/summary.html",
            caption="../report/table_validation.rst",
            category=VALIDATION_CATEGORY,
            labels={"table": "validation summary"},
        ),
        markdown="results/validate/validation/validation.md",
        figure=report(
            "results/validate/validation/worst.png",
            caption="../report/table_validation.rst",
            category=VALIDATION_CATEGORY,
            labels={"table": "relative error against t (figure)"},
        ),
    log:
        "logs/validate/validation.log",
    benchmark:
        "benchmarks/validate/validation.tsv"
    localrule: True
    conda:
        "../envs/scaling-dmft.yaml"
    params:
        tolerance=validation_params,
    script:
        "../../scripts/validation.py"

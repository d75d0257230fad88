rule dmft:
    """Theory curves of one chunk of parameter points (no random numbers)."""
    input:
        chunk_spectrum,
    output:
        "results/{run}/chunks/dmft/{chunk}.parquet",
    log:
        "logs/{run}/dmft/{chunk}.log",
    benchmark:
        "benchmarks/{run}/dmft/{chunk}.tsv"
    conda:
        "../envs/scaling-dmft.yaml"
    threads: 1
    resources:
        mem_mb=mem_dmft,
        runtime=runtime_dmft,
    params:
        points=dmft_points,
    script:
        "../../scripts/dmft.py"

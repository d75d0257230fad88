rule simulate:
    """Seed-averaged exact simulation of one chunk of disorder points."""
    input:
        chunk_spectrum,
    output:
        "results/{run}/chunks/sim/{chunk}.parquet",
    log:
        "logs/{run}/simulate/{chunk}.log",
    benchmark:
        "benchmarks/{run}/simulate/{chunk}.tsv"
    conda:
        "../envs/scaling-dmft.yaml"
    threads: 1
    resources:
        mem_mb=mem_sim,
        runtime=runtime_sim,
    params:
        groups=sim_groups,
        base_seed=base_seed,
    script:
        "../../scripts/simulate.py"

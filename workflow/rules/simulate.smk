rule simulate:
    """Seed-averaged exact simulation of one chunk of disorder points."""
    input:
        chunk_spectrum,
    output:
        "results/{run}/chunks/sim/{chunk}.parquet",
    params:
        groups=sim_groups,
        base_seed=base_seed,
    log:
        "logs/{run}/simulate/{chunk}.log",
    benchmark:
        "benchmarks/{run}/simulate/{chunk}.tsv"
    threads: 1
    resources:
        mem_mb=mem_sim,
        runtime=runtime_sim,
    script:
        "../../scripts/simulate.py"

rule verify_chunk:
    """Checksums, schema and invariants of one chunk before aggregation; a damaged chunk is
    removed (rebuilt by the next run) and the finished tables are left untouched."""
    input:
        "results/{run}/chunks/{method}/{chunk}.parquet",
    output:
        "results/{run}/chunks/{method}/{chunk}.verified",
    log:
        "logs/{run}/verify/{method}/{chunk}.log",
    benchmark:
        "benchmarks/{run}/verify/{method}/{chunk}.tsv"
    localrule: True
    params:
        # the chunk id and the digest of its points: a copied or swapped chunk is refused
        identity=verify_identity,
    run:
        verify_chunk_logged(input[0], output[0], params.identity, log[0])


rule aggregate_curves:
    """One long curve table (theory and simulation) per run."""
    input:
        chunks=curve_chunk_files,
        verified=curve_chunk_markers,
    output:
        "results/{run}/tables/curves.parquet",
    log:
        "logs/{run}/aggregate/curves.log",
    benchmark:
        "benchmarks/{run}/aggregate/curves.tsv"
    localrule: True
    conda:
        "../envs/scaling-dmft.yaml"
    params:
        kind="curve",
        config=resolved_config,
        identities=curve_identities,
    script:
        "../../scripts/aggregate.py"


rule aggregate_spectra:
    """All spectra of a run in one table."""
    input:
        chunks=spectrum_files,
    output:
        "results/{run}/tables/spectra.parquet",
    log:
        "logs/{run}/aggregate/spectra.log",
    benchmark:
        "benchmarks/{run}/aggregate/spectra.tsv"
    localrule: True
    conda:
        "../envs/scaling-dmft.yaml"
    params:
        kind="spectrum",
        config=resolved_config,
        identities=spectrum_identities,
    script:
        "../../scripts/aggregate.py"

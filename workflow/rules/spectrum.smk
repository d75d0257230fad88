rule spectrum:
    """The mode-sum representation of a sweep's spectra (exact modes + quadrature tail)."""
    input:
        spectrum_inputs,
    output:
        "results/{run}/spectra/{sweep}.parquet",
    log:
        "logs/{run}/spectrum/{sweep}.log",
    benchmark:
        "benchmarks/{run}/spectrum/{sweep}.tsv"
    localrule: True
    conda:
        "../envs/scaling-dmft.yaml"
    threads: 1
    resources:
        mem_mb=mem_small,
    params:
        sweep=spectrum_params,
        # the spectrum file's content digest: an edit reruns it whatever its mtime
        digests=spectrum_digests,
    script:
        "../../scripts/spectrum.py"

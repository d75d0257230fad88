rule spectrum:
    """The mode-sum representation of a sweep's spectra (exact modes + quadrature tail)."""
    output:
        "results/{run}/spectra/{sweep}.parquet",
    log:
        "logs/{run}/spectrum/{sweep}.log",
    localrule: True
    conda:
        "../envs/scaling-dmft.yaml"
    threads: 1
    resources:
        mem_mb=mem_small,
    params:
        sweep=spectrum_params,
    script:
        "../../scripts/spectrum.py"

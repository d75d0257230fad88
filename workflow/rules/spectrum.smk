rule spectrum:
    """The mode-sum representation of a sweep's spectra (exact modes + quadrature tail)."""
    output:
        "results/{run}/spectra/{sweep}.parquet",
    params:
        sweep=spectrum_params,
    log:
        "logs/{run}/spectrum/{sweep}.log",
    localrule: True
    threads: 1
    resources:
        mem_mb=mem_small,
    script:
        "../../scripts/spectrum.py"

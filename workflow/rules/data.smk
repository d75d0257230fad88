# Data sets (docs/theory/data.md): a data set's own spectrum, then theory, Gaussian simulation and
# training on the data compared on it. Built when the run's config has a `data:` section.
# Memory: each job's estimate (common.smk, mem_data_spectrum / mem_data_curves).


rule empirical_spectrum:
    """The spectrum of one configured data set: lambda_k of K/n and c_k = (v_k . y)^2 / n."""
    input:
        data_source_files,
    output:
        "results/{run}/data/spectra/{dataset}.parquet",
    log:
        "logs/{run}/data/spectrum/{dataset}.log",
    benchmark:
        "benchmarks/{run}/data/spectrum/{dataset}.tsv"
    conda:
        "../envs/scaling-dmft.yaml"
    threads: 1
    resources:
        mem_mb=mem_data_spectrum,
    params:
        entry=data_entry,
        digests=data_digests,  # the input files' content: an edit reruns it whatever its mtime
        base_seed=base_seed,
    script:
        "../../scripts/empirical_spectrum.py"


rule data_curves:
    """Theory, Gaussian simulation and training on the data, on the data set's spectrum."""
    input:
        data_source_files,
        spectrum="results/{run}/data/spectra/{dataset}.parquet",
    output:
        "results/{run}/data/curves/{dataset}.parquet",
    log:
        "logs/{run}/data/curves/{dataset}.log",
    benchmark:
        "benchmarks/{run}/data/curves/{dataset}.tsv"
    conda:
        "../envs/scaling-dmft.yaml"
    threads: 1
    resources:
        mem_mb=mem_data_curves,
        runtime=runtime_sim,
    params:
        entry=data_entry,
        regimes=data_regimes,
        base_seed=base_seed,
        digests=data_digests,  # the input files' content: an edit reruns it whatever its mtime
    script:
        "../../scripts/data_curves.py"


rule aggregate_data_spectra:
    """The spectra of all data sets of a run in one table."""
    input:
        chunks=data_spectrum_files,
    output:
        "results/{run}/tables/data_spectra.parquet",
    log:
        "logs/{run}/aggregate/data_spectra.log",
    benchmark:
        "benchmarks/{run}/aggregate/data_spectra.tsv"
    localrule: True
    conda:
        "../envs/scaling-dmft.yaml"
    params:
        kind="spectrum",
        config=resolved_config,
    script:
        "../../scripts/aggregate.py"


rule aggregate_data_curves:
    """The three-way curves of all data sets of a run in one table."""
    input:
        chunks=data_curve_files,
    output:
        "results/{run}/tables/data_curves.parquet",
    log:
        "logs/{run}/aggregate/data_curves.log",
    benchmark:
        "benchmarks/{run}/aggregate/data_curves.tsv"
    localrule: True
    conda:
        "../envs/scaling-dmft.yaml"
    params:
        kind="curve",
        config=resolved_config,
    script:
        "../../scripts/aggregate.py"


rule data_trust:
    """When to trust the theory: per data set, the Gaussianity diagnostic of its eigen-features and
    the deviations of theory and Gaussian simulation from training on the data, with z-scores.
    """
    input:
        curves="results/{run}/tables/data_curves.parquet",
        spectra=data_spectrum_files,
    output:
        "results/{run}/tables/data_trust.parquet",
    log:
        "logs/{run}/data/trust.log",
    benchmark:
        "benchmarks/{run}/data/trust.tsv"
    localrule: True
    conda:
        "../envs/scaling-dmft.yaml"
    params:
        entries=data_entries,
        config=resolved_config,
    script:
        "../../scripts/data_trust.py"


rule data_figure:
    """E vs t and E vs P of every data set: theory, Gaussian simulation, training on the data; and
    the theory's deviation against the Gaussianity diagnostic across the data sets."""
    input:
        curves="results/{run}/tables/data_curves.parquet",
        trust="results/{run}/tables/data_trust.parquet",
    output:
        pdf="results/{run}/figures/data.pdf",
        png=report(
            "results/{run}/figures/data.png",
            caption="../report/figure.rst",
            category=DATA_CATEGORY,
            labels={"figure": "data sets"},
        ),
    log:
        "logs/{run}/figures/data.log",
    benchmark:
        "benchmarks/{run}/figures/data.tsv"
    conda:
        "../envs/scaling-dmft.yaml"
    threads: 1
    resources:
        mem_mb=mem_small,
    script:
        "../../scripts/data_figure.py"

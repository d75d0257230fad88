# The scaling-law atlas (docs/theory/frontier.md): compute-optimal frontiers and the (alpha, beta)
# phase diagram, theory only. Built when the run's config has an `atlas:` section.


rule frontier:
    """One compute-optimal frontier E*(C) of the config's atlas."""
    output:
        "results/{run}/atlas/frontiers/{frontier}.parquet",
    log:
        "logs/{run}/atlas/frontier/{frontier}.log",
    benchmark:
        "benchmarks/{run}/atlas/frontier/{frontier}.tsv"
    conda:
        "../envs/scaling-dmft.yaml"
    threads: 1
    resources:
        mem_mb=mem_dmft,
        runtime=runtime_dmft,
    params:
        config=resolved_config,
    script:
        "../../scripts/frontier.py"


rule phase_diagram_part:
    """Fitted exponents at one part of the (alpha, beta) grid."""
    output:
        "results/{run}/atlas/phase/{part}.parquet",
    log:
        "logs/{run}/atlas/phase/{part}.log",
    benchmark:
        "benchmarks/{run}/atlas/phase/{part}.tsv"
    conda:
        "../envs/scaling-dmft.yaml"
    threads: 1
    resources:
        mem_mb=mem_dmft,
        runtime=runtime_dmft,
    params:
        points=phase_points,
        n_modes=phase_modes,
    script:
        "../../scripts/phase_diagram.py"


rule aggregate_frontier:
    """All frontiers of a run in one table."""
    input:
        chunks=frontier_files,
    output:
        "results/{run}/tables/frontier.parquet",
    log:
        "logs/{run}/aggregate/frontier.log",
    benchmark:
        "benchmarks/{run}/aggregate/frontier.tsv"
    localrule: True
    conda:
        "../envs/scaling-dmft.yaml"
    params:
        kind="frontier",
        config=resolved_config,
        identities=frontier_identities,
    script:
        "../../scripts/aggregate.py"


rule aggregate_phase_diagram:
    """The phase diagram of a run in one table."""
    input:
        chunks=phase_files,
    output:
        "results/{run}/tables/phase_diagram.parquet",
    log:
        "logs/{run}/aggregate/phase_diagram.log",
    benchmark:
        "benchmarks/{run}/aggregate/phase_diagram.tsv"
    localrule: True
    conda:
        "../envs/scaling-dmft.yaml"
    params:
        kind="phase_diagram",
        config=resolved_config,
        identities=phase_identities,
    script:
        "../../scripts/aggregate.py"


rule frontier_fit:
    """E*, N*, P*, t* against C for every frontier."""
    input:
        "results/{run}/tables/frontier.parquet",
    output:
        "results/{run}/tables/frontier_fits.parquet",
    log:
        "logs/{run}/fit/frontier_fit.log",
    benchmark:
        "benchmarks/{run}/fit/frontier_fit.tsv"
    localrule: True
    conda:
        "../envs/scaling-dmft.yaml"
    script:
        "../../scripts/frontier_fit.py"


rule iso_compute:
    """E_g(N, t = C/N) of one frontier for a few budgets, with the regime's own optimizer (drawn by the
    frontier figure)."""
    input:
        "results/{run}/tables/frontier.parquet",
    output:
        "results/{run}/tables/iso_compute.parquet",
    log:
        "logs/{run}/atlas/iso_compute.log",
    benchmark:
        "benchmarks/{run}/atlas/iso_compute.tsv"
    conda:
        "../envs/scaling-dmft.yaml"
    threads: 1
    resources:
        mem_mb=mem_dmft,
        runtime=runtime_dmft,
    script:
        "../../scripts/iso_compute.py"


rule atlas_figure:
    """The frontier figure or the phase-diagram figure (PDF and PNG)."""
    input:
        unpack(atlas_figure_inputs),
    output:
        pdf="results/{run}/figures/{atlas_figure}.pdf",
        png=report(
            "results/{run}/figures/{atlas_figure}.png",
            caption="../report/figure.rst",
            category=ATLAS_CATEGORY,
            labels=lambda wildcards: {
                "figure": wildcards.atlas_figure.replace("_", " ")
            },
        ),
    log:
        "logs/{run}/figures/{atlas_figure}.log",
    benchmark:
        "benchmarks/{run}/figures/{atlas_figure}.tsv"
    wildcard_constraints:
        atlas_figure="|".join(ATLAS_FIGURES),
    group:
        "figures"
    conda:
        "../envs/scaling-dmft.yaml"
    threads: 1
    resources:
        mem_mb=mem_small,
    script:
        "../../scripts/atlas_figure.py"

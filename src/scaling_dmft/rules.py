"""The library side of the workflow scripts: each function is one rule's work.

Scripts in scripts/ only unpack the `snakemake` object and call these, so everything here is
importable and testable without Snakemake.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import tables
from .grid import SEED_RULE, build_spectrum, spectrum_name, spectrum_specs

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger("scaling_dmft")


def spectrum_table(sweep: dict, out: str) -> pd.DataFrame:
    frames = []
    for spec in spectrum_specs(sweep):
        spectrum = build_spectrum(spec, sweep["n_modes"], sweep["teacher"])
        modes = spectrum.modes()
        k = modes.eigenvalues ** (-1.0 / spec["alpha"]) if spec["alpha"] else range(1, len(modes.weights) + 1)
        frames.append(
            pd.DataFrame(
                {
                    "spectrum": spectrum_name(spec),
                    "alpha": spec["alpha"],
                    "beta": spec["beta"],
                    "teacher": spectrum.teacher,
                    "n_modes": int(spectrum.n_modes),
                    "k": pd.Series(k, dtype="float64"),
                    "eigenvalue": modes.eigenvalues,
                    "target_power": modes.target_power,
                    "weight": modes.weights,
                }
            )
        )
    frame = tables.sort_rows(pd.concat(frames, ignore_index=True), "spectrum")
    tables.write_table(frame, out, "spectrum", tables.provenance(sweep))
    log.info("spectrum: %d rows", len(frame))
    return frame


def dmft_chunk(points: list[dict], out: str) -> pd.DataFrame:
    from .evaluate import run_dmft_points

    points = [dict(p) for p in points]
    frame = tables.sort_rows(run_dmft_points(points), "curve")
    tables.write_table(frame, out, "curve", tables.provenance(points))
    return frame


def sim_chunk(groups: list[dict], base_seed: int, out: str) -> pd.DataFrame:
    from .evaluate import run_sim_groups

    groups = [dict(g) for g in groups]
    frame = tables.sort_rows(run_sim_groups(groups, int(base_seed)), "curve")
    seeds = f"{SEED_RULE}; base_seed={int(base_seed)}"
    tables.write_table(frame, out, "curve", tables.provenance({"groups": groups, "base_seed": base_seed}, seeds=seeds))
    return frame


def verify_chunk(chunk: str, marker: str) -> None:
    """Rule `verify_chunk`: check one chunk table before it is aggregated (checksums, schema,
    invariants: tables.check_curve_table). A damaged chunk is removed, so the next run rebuilds
    it, and the job fails naming it; the finished tables of earlier runs are left untouched,
    because the aggregate job never starts."""
    try:
        frame = tables.read_table(chunk, "curve")
        tables.check_curve_table(frame, chunk)
    except tables.CorruptTableError as err:
        Path(chunk).unlink(missing_ok=True)
        raise tables.CorruptTableError(
            f"{err}; the chunk was removed: run the same command again to rebuild it"
        ) from None
    Path(marker).write_text(f"{len(frame)} rows verified\n")


def aggregate(paths: list[str], out: str, kind: str, config: dict | None = None) -> pd.DataFrame:
    """Concatenate chunk tables of one kind ('curve' or 'spectrum'), checking each again.
    Rows are never dropped: a repeated key (a bug upstream, e.g. overlapping chunks) is an error.
    `config`: the run's resolved config; its hash and YAML go into the table's metadata."""
    if not paths:
        raise ValueError(f"aggregate {out}: no input tables")
    frames = []
    for path in paths:
        frame = tables.read_table(path, kind)
        if kind == "curve":
            tables.check_curve_table(frame, path)
        frames.append(frame)
    hashes = sorted(f.attrs.get("config_hash", "") for f in frames)
    seeds = sorted({f.attrs.get("seeds", "") for f in frames} - {""})
    # identical rows (the same spectrum used by two sweeps) carry no extra information
    frame = pd.concat(frames, ignore_index=True).drop_duplicates(keep="first")
    keys = tables.ROW_KEYS[kind]
    repeated = frame.duplicated(subset=keys, keep=False)
    if repeated.any():
        first = frame.loc[repeated, keys].iloc[0].to_dict()
        raise ValueError(f"aggregate {out}: {int(repeated.sum())} rows share their key, e.g. {first}")
    frame = tables.sort_rows(frame, kind)
    if config is None:  # no config at hand (library use): the hash of the chunks' hashes
        meta = tables.provenance(hashes, seeds="; ".join(seeds))
    else:
        meta = tables.provenance(config, seeds="; ".join(seeds), config_yaml=tables.config_yaml(config))
    tables.write_table(frame, out, kind, meta)
    log.info("aggregate: %d tables -> %d rows", len(paths), len(frame))
    return frame


def fit_tables(curves_path: str, fits_out: str, early_out: str) -> None:
    from .fit import early_stopping, fit_table

    curves = tables.read_table(curves_path, "curve")
    meta = tables.inherited_provenance(curves.attrs)
    early = tables.sort_rows(early_stopping(curves), "early_stopping")
    tables.write_table(early, early_out, "early_stopping", meta)
    fits = tables.sort_rows(fit_table(curves, early), "fit")
    tables.write_table(fits, fits_out, "fit", meta)
    log.info("fit: %d fits, %d early-stopping rows", len(fits), len(early))


# What the HTML view of each table shows in `snakemake --report` (the Parquet file has everything).
HTML_VIEWS = ("fits", "early_stopping", "curves", "spectra")


def table_html(path: str, view: str, out: str) -> None:
    """An HTML table for the report: fits and early-stopping rows in full (flags included), curves
    and spectra as a summary per sweep (their full content is the Parquet file)."""
    kind = {"fits": "fit", "early_stopping": "early_stopping", "curves": "curve", "spectra": "spectrum"}[view]
    frame = tables.read_table(path, kind)
    if view == "fits":
        cols = [
            "sweep",
            "regime",
            "method",
            "law",
            "quantity",
            "varied",
            "alpha",
            "beta",
            "n_features",
            "n_samples",
            "noise",
            "x_min",
            "x_max",
            "exponent",
            "exponent_lo",
            "exponent_hi",
            "expected_exponent",
            "flag",
        ]
        shown = frame[cols]
    elif view == "early_stopping":
        shown = frame[
            [
                "sweep",
                "regime",
                "method",
                "alpha",
                "beta",
                "n_features",
                "n_samples",
                "noise",
                "t_star",
                "e_star",
                "e_star_sem",
                "e_final",
                "flag",
            ]
        ]
    elif view == "curves":
        shown = (
            frame.groupby(["sweep", "method", "regime"], sort=True)
            .agg(
                rows=("t", "size"),
                points=("n_samples", "nunique"),
                t_min=("t", "min"),
                eg_min=("eg", "min"),
                eg_max=("eg", "max"),
                seeds=("n_seeds", "max"),
                flagged=("flag", lambda f: int((f != "").sum())),
            )
            .reset_index()
        )
    else:
        shown = (
            frame.groupby(tables.SPECTRUM_COLUMNS, dropna=False, sort=True)
            .agg(
                rows=("k", "size"),
                eigenvalue_max=("eigenvalue", "max"),
                eigenvalue_min=("eigenvalue", "min"),
                target_power_sum=("target_power", "sum"),
            )
            .reset_index()
        )
    html = (
        f"<p>{len(frame)} rows in {Path(path).name}; config hash {frame.attrs.get('config_hash', '')}, "
        f"package {frame.attrs.get('package_version', '')}, git {frame.attrs.get('git_revision', '')}.</p>\n"
        + shown.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="", border=0)
    )
    _write_text_atomic(html, out)


def _write_text_atomic(text: str, path: str) -> None:
    with tables.atomic_output(path) as tmp:
        Path(tmp).write_text(text)


def draw_figure(name: str, spec: dict, curves_path: str, fits_path: str, early_path: str, pdf: str, png: str) -> None:
    import importlib

    import matplotlib

    matplotlib.use("Agg")
    module = importlib.import_module(f"scaling_dmft.figures.{name}")
    curves = tables.read_table(curves_path, "curve")
    fits = tables.read_table(fits_path, "fit")
    early = tables.read_table(early_path, "early_stopping")
    fig = module.draw(curves, fits, early, dict(spec))
    for path in (pdf, png):
        _save_atomic(fig, path)
    import matplotlib.pyplot as plt

    plt.close(fig)


def _save_atomic(fig: Figure, path: str) -> None:
    with tables.atomic_output(
        path, suffix=f".tmp{Path(path).suffix}"
    ) as tmp:  # matplotlib reads the format off the name
        fig.savefig(tmp, dpi=150, bbox_inches="tight")


def validation_summary(
    curves_path: str, tolerance: dict, summary_out: str, html_out: str, markdown_out: str, figure_out: str
) -> None:
    from .validation import draw_worst, summarize, write_markdown

    curves = tables.read_table(curves_path, "curve")
    summary = summarize(curves, rel_tol=tolerance["rel_tol"], z_tol=tolerance["z_tol"])
    tables.write_table(summary, summary_out, "validation", tables.inherited_provenance(curves.attrs))
    write_markdown(summary, curves, markdown_out, tolerance)
    _write_text_atomic(summary.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0), html_out)
    draw_worst(curves, summary, figure_out)


# ---------------------------------------------------------------- the scaling-law atlas


def frontier_job(config: dict, name: str, out: str) -> pd.DataFrame:
    """Rule `frontier`: one frontier of the config's atlas (scaling_dmft.atlas.frontier_frame)."""
    from .atlas import frontier_frame

    frame = tables.sort_rows(frontier_frame(config, name), "frontier")
    spec = config["atlas"]["frontiers"][name]
    tables.write_table(frame, out, "frontier", tables.provenance(spec, frontier=name))
    flagged = frame["flag"].isin(["edge", "failed"])
    log.info("frontier %s: %d budgets, %d flagged edge or failed", name, len(frame), int(flagged.sum()))
    return frame


def phase_job(points: list, n_modes: int, out: str) -> pd.DataFrame:
    """Rule `phase_diagram_part`: the fitted exponents at some (alpha, beta) points."""
    from .atlas import phase_diagram

    points = [(float(a), float(b)) for a, b in points]
    frame = tables.sort_rows(phase_diagram(points, int(n_modes)), "phase_diagram")
    tables.write_table(frame, out, "phase_diagram", tables.provenance({"points": points, "n_modes": int(n_modes)}))
    log.info("phase diagram: %d points, %d rows", len(points), len(frame))
    return frame


def frontier_fit_table(frontier_path: str, out: str) -> pd.DataFrame:
    """Rule `frontier_fit`: E*, N*, P*, t* against C for every frontier (frontier.frontier_fits)."""
    from .frontier import frontier_fits

    frame = tables.read_table(frontier_path, "frontier")
    fits = tables.sort_rows(frontier_fits(frame), "frontier_fit")
    tables.write_table(fits, out, "frontier_fit", tables.inherited_provenance(frame.attrs))
    log.info("frontier fits: %d rows", len(fits))
    return fits


ATLAS_FIGURES = ("frontier", "phase_diagram")


def draw_atlas_figure(name: str, inputs: dict[str, str], pdf: str, png: str) -> None:
    """Rule `atlas_figure`: the frontier figure (inputs frontier, fits) or the phase diagram (phase)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .figures import atlas

    if name == "frontier":
        fig = atlas.draw_frontier(
            tables.read_table(inputs["frontier"], "frontier"), tables.read_table(inputs["fits"], "frontier_fit")
        )
    else:
        fig = atlas.draw_phase_diagram(tables.read_table(inputs["phase"], "phase_diagram"))
    for path in (pdf, png):
        _save_atomic(fig, path)
    plt.close(fig)


# ---------------------------------------------------------------- data sets (config `data:`)


def empirical_spectrum_job(name: str, entry: dict, out: str, base_seed: int = 0) -> pd.DataFrame:
    """Rule `empirical_spectrum`: a data set's spectrum along its route (data.entry_spectrum) as a
    spectrum table that `read_spectrum_file` reads, with its source, fitted exponents and the
    Gaussianity diagnostic of its eigen-features in the metadata."""
    from .data import entry_spectrum, fitted_exponents, spectrum_meta, spectrum_rows

    spec = entry_spectrum(name, entry, base_seed)
    fits = fitted_exponents(spec)
    frame = spectrum_rows(spec, Path(out).name)
    source = entry.get("dataset") or Path(entry["file"]).name
    route = entry.get("route", "dense")
    meta = spectrum_meta(
        spec,
        fits,
        source=source,
        kernel=entry["kernel"],
        standardised=entry["standardise"],
        sphere=entry["sphere"],
        route=route,
        width=entry.get("width", ""),
    )
    tables.write_table(frame, out, "spectrum", tables.provenance(entry, **meta))
    log.info(
        "spectrum of %s (%s): %d modes, alpha %.3f (%s), beta %.3f (%s), unlearnable %.3g, diagnostic %s",
        name,
        route,
        len(frame),
        fits["alpha"]["value"],
        fits["alpha"]["flag"] or "no flag",
        fits["beta"]["value"],
        fits["beta"]["flag"] or "no flag",
        spec.unlearnable,
        ", ".join(f"{k} {v:.3g}" for k, v in spec.diagnostics.items()),
    )
    return frame


def data_curves_job(
    name: str, entry: dict, regimes: list[dict], base_seed: int, spectrum_path: str, out: str
) -> pd.DataFrame:
    """Rule `data_curves`: theory, Gaussian simulation and training on one data set (data.compare)."""
    from .data import compare
    from .grid import SEED_RULE

    frame = compare(name, entry, regimes, base_seed, spectrum_path)
    seeds = f"{SEED_RULE} + method; base_seed={int(base_seed)}"
    tables.write_table(frame, out, "curve", tables.provenance({"data": entry, "regimes": regimes}, seeds=seeds))
    log.info("data curves of %s: %d rows", name, len(frame))
    return frame


def data_trust_job(curves_path: str, spectrum_paths: list[str], entries: dict, config: dict, out: str) -> pd.DataFrame:
    """Rule `data_trust`: per data set, the Gaussianity diagnostic of its eigen-features (its spectrum
    file's metadata) beside the theory's and the Gaussian simulation's deviations from training on
    the data, with z-scores (data.trust_rows); the relation across the data sets is logged."""
    from .data import trust_relation, trust_rows

    spectra = {Path(path).stem: tables.read_table(path, "spectrum").attrs for path in spectrum_paths}
    frame = trust_rows(tables.read_table(curves_path, "curve"), spectra, entries)
    tables.write_table(frame, out, "data_trust", tables.provenance(config, config_yaml=tables.config_yaml(config)))
    for name, rows in frame[np.isinf(frame["t"])].groupby("sweep"):
        log.info(
            "%s: scale dependence %.3g, kurtosis %.3g; theory - data at t = inf: %s",
            name,
            rows["scale_dependence"].iloc[0],
            rows["excess_kurtosis"].iloc[0],
            ", ".join(
                f"P = {p:g}: {d:+.1%} (z {z:+.1f})"
                for p, d, z in zip(rows["n_samples"], rows["deviation"], rows["z"], strict=True)
            ),
        )
    at_inf = frame[np.isinf(frame["t"])]
    if at_inf["sweep"].nunique() > 2:
        rel = trust_relation(at_inf)
        log.info(
            "relation over %d data sets: slope %.3g, Pearson r %.2f, Spearman rho %.2f",
            len(rel["data_sets"]),
            rel["slope"],
            rel["pearson"],
            rel["spearman"],
        )
    return frame


def draw_data_figure(curves_path: str, pdf: str, png: str, trust_path: str | None = None) -> None:
    """Rule `data_figure`: figures.data_sets.draw on the run's data_curves and data_trust tables."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .figures import data_sets as data_figure

    trust = tables.read_table(trust_path, "data_trust") if trust_path else None
    fig = data_figure.draw(tables.read_table(curves_path, "curve"), trust)
    for path in (pdf, png):
        _save_atomic(fig, path)
    plt.close(fig)

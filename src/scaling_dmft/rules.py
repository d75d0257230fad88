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

from . import report, tables
from .about import VERSION
from .grid import SEED_RULE, SimGroup, spectrum_specs
from .points import Point

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger("scaling_dmft")


def spectrum_table(sweep: dict, out: str, chunk: str | None = None) -> pd.DataFrame:
    """Rule `spectrum`: a sweep's spectra. `chunk`: the sweep's name, recorded with the digest of
    `sweep` (tables.chunk_identity) so that `aggregate` refuses a spectrum table copied onto another's
    name. A spectrum file's absolute path and content digest go into the metadata (provenance)."""
    frames = []
    for spec in spectrum_specs(sweep):
        spectrum = spec.build()
        modes = spectrum.modes()
        k = modes.eigenvalues ** (-1.0 / spec.alpha) if spec.alpha else range(1, len(modes.weights) + 1)
        frames.append(
            pd.DataFrame(
                {
                    "spectrum": spec.name,
                    "alpha": spec.alpha,
                    "beta": spec.beta,
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
    extra = tables.chunk_identity(chunk, dict(sweep)) if chunk else {}
    if sweep.get("spectrum_file"):
        extra.update(
            spectrum_file=sweep["spectrum_file"], spectrum_file_sha256=tables.file_digest(sweep["spectrum_file"])
        )
    tables.write_table(frame, out, "spectrum", tables.provenance(sweep, **extra))
    log.info("spectrum: %d rows", len(frame))
    return frame


def dmft_content(points: list[dict]) -> list[dict]:
    """What a DMFT chunk is computed from (its identity's digest: tables.chunk_identity): its points
    in their plain form (points.Point.to_dict, as the workflow passes them)."""
    return [dict(p) for p in points]


def sim_content(groups: list[dict], base_seed: int) -> dict:
    """What a simulation chunk is computed from: its disorder groups (grid.SimGroup.to_dict) and the
    base seed."""
    return {"groups": [dict(g) for g in groups], "base_seed": int(base_seed)}


def dmft_chunk(points: list[dict], out: str, chunk: str | None = None) -> pd.DataFrame:
    """Rule `dmft`. `chunk`: the chunk id, recorded with the digest of the points (chunk identity)."""
    from .evaluate import run_dmft_points

    points = dmft_content(points)
    frame = tables.sort_rows(run_dmft_points([Point.from_dict(p) for p in points]), "curve")
    extra = tables.chunk_identity(chunk, points) if chunk else {}
    tables.write_table(frame, out, "curve", tables.provenance(points, **extra))
    return frame


def sim_chunk(groups: list[dict], base_seed: int, out: str, chunk: str | None = None) -> pd.DataFrame:
    """Rule `simulate`. `chunk`: the chunk id, recorded with the digest of groups and base seed."""
    from .evaluate import run_sim_groups

    content = sim_content(groups, base_seed)
    simulated = run_sim_groups([SimGroup.from_dict(g) for g in content["groups"]], content["base_seed"])
    frame = tables.sort_rows(simulated, "curve")
    seeds = f"{SEED_RULE}; base_seed={int(base_seed)}"
    extra = tables.chunk_identity(chunk, content) if chunk else {}
    tables.write_table(frame, out, "curve", tables.provenance(content, seeds=seeds, **extra))
    return frame


def verify_chunk(chunk: str, marker: str, identity: tuple[str, str] | None = None) -> None:
    """Rule `verify_chunk`: check one chunk table before it is aggregated (checksums, schema,
    invariants: tables.check_curve_table; with `identity` = (chunk id, digest of its points), that
    it is that chunk: tables.check_identity). A damaged, copied or swapped chunk is removed, so the
    next run rebuilds it, and the job fails naming it; the finished tables of earlier runs are left
    untouched, because the aggregate job never starts."""
    try:
        frame = tables.read_table(chunk, "curve")
        if identity is not None:
            tables.check_identity(frame.attrs, chunk, *identity)
        tables.check_curve_table(frame, chunk)
    except tables.CorruptTableError as err:
        Path(chunk).unlink(missing_ok=True)
        raise tables.CorruptTableError(
            f"{err}; the chunk was removed: run the same command again to rebuild it"
        ) from None
    Path(marker).write_text(f"{len(frame)} rows verified\n")


def aggregate(
    paths: list[str],
    out: str,
    kind: str,
    config: dict | None = None,
    identities: dict[str, tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """Concatenate chunk tables of one kind, checking each again. `identities`: {path: (chunk id,
    digest)}; a table that is not the chunk its name says (copied, swapped, stale) is removed, so the
    next run rebuilds it, and the job fails naming it. Rows are never dropped, except identical spectrum
    rows (the one spectrum of two sweeps: the spectrum table has no sweep column); any other repeated
    key (overlapping or duplicated chunks) is an error. `config`: the run's resolved config; its hash
    and YAML go into the table's metadata."""
    if not paths:
        raise ValueError(f"aggregate {out}: no input tables")
    frames = []
    for path in paths:
        frame = tables.read_table(path, kind)
        if identities and str(path) in identities:
            try:
                tables.check_identity(frame.attrs, path, *identities[str(path)])
            except tables.CorruptTableError as err:
                Path(path).unlink(missing_ok=True)
                raise tables.CorruptTableError(f"{err}; removed: run the same command again to rebuild it") from None
        if kind == "curve":
            tables.check_curve_table(frame, path)
        frames.append(frame)
    hashes = sorted(f.attrs.get("config_hash", "") for f in frames)
    seeds = sorted({f.attrs.get("seeds", "") for f in frames} - {""})
    frame = pd.concat(frames, ignore_index=True)
    if kind == "spectrum":  # the same spectrum in two sweeps: identical rows, one spectrum
        frame = frame.drop_duplicates(keep="first")
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


# The report's view of each table (scaling_dmft.report.VIEWS: interactive, offline).
HTML_VIEWS = report.RUN_VIEWS


def table_html(path: str, view: str, out: str) -> None:
    """Rule `table_html`: the report page of one run table (report.view_page): the fit, early-stopping
    and atlas tables in full, the long curve and spectrum tables as a summary (their rows are in Parquet)."""
    frame = tables.read_table(path, report.VIEWS[view].kind)
    _write_text_atomic(report.view_page(frame, view, path), out)


def figure_spec(config: dict, figure: str) -> dict:
    """What a figure's draw() gets: its entry of the config's `figures:` section, `sweeps` (sweep
    name -> that sweep's resolved config, with its name; the figure's `theory_sweep`, where it has
    one, last) and `regimes_defined` (regime name -> its config)."""
    spec = dict(config["figures"].get(figure, {}))
    names = list(spec.get("sweeps", [spec["sweep"]] if "sweep" in spec else []))
    names += [spec["theory_sweep"]] if "theory_sweep" in spec else []
    spec["sweeps"] = {name: {**config["sweeps"][name], "name": name} for name in names}
    spec["regimes_defined"] = {r["name"]: r for r in config["regimes"]}
    return spec


def table_config(frame: pd.DataFrame) -> dict:
    """The resolved run config a table records (metadata config_yaml, written by `aggregate`)."""
    import yaml

    text = frame.attrs.get("config_yaml")
    if not text:
        raise ValueError("the table records no config (metadata config_yaml): aggregate it with the run's config")
    return yaml.safe_load(text)


def _write_text_atomic(text: str, path: str) -> None:
    with tables.atomic_output(path) as tmp:
        Path(tmp).write_text(text)


def draw_figure(name: str, curves_path: str, fits_path: str, early_path: str, pdf: str, png: str) -> None:
    """Rule `figure`: one paper figure from the three tables; its spec (figure_spec) comes from the
    run config the curve table records, so a changed config reaches the figure with the table."""
    import importlib

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    module = importlib.import_module(f"scaling_dmft.figures.{name}")
    curves = tables.read_table(curves_path, "curve")
    fits = tables.read_table(fits_path, "fit")
    early = tables.read_table(early_path, "early_stopping")
    fig = module.draw(curves, fits, early, figure_spec(table_config(curves), name))
    _save_figure(fig, curves.attrs, pdf, png)
    plt.close(fig)


def _save_figure(fig: Figure, attrs: dict, pdf: str, png: str) -> None:
    """PDF and PNG of a figure; both record the config hash of the tables they were drawn from."""
    for path in (pdf, png):
        _save_atomic(fig, path, attrs.get("config_hash", ""))


def _save_atomic(fig: Figure, path: str, config_hash: str = "") -> None:
    text = f"scaling-dmft {VERSION}, config hash {config_hash}"
    key = "Subject" if path.endswith(".pdf") else "Description"  # PDF allows only its standard keys
    with tables.atomic_output(
        path, suffix=f".tmp{Path(path).suffix}"
    ) as tmp:  # matplotlib reads the format off the name
        fig.savefig(tmp, dpi=150, bbox_inches="tight", metadata={key: text})


def validation_summary(
    curves_path: str, tolerance: dict, summary_out: str, html_out: str, markdown_out: str, figure_out: str
) -> None:
    """Rule `validation_summary`: the comparison (validation.compare / summarize), its table, its
    Markdown and report pages (report) and the worst-case figure (figures.validation)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .figures.validation import draw_worst
    from .validation import compare, summarize

    curves = tables.read_table(curves_path, "curve")
    summary = summarize(curves, rel_tol=tolerance["rel_tol"], z_tol=tolerance["z_tol"])
    meta = tables.inherited_provenance(curves.attrs)
    tables.write_table(summary, summary_out, "validation", meta)
    summary.attrs.update(meta)
    _write_text_atomic(report.validation_markdown(summary, curves, tolerance), markdown_out)
    _write_text_atomic(report.validation_page(summary, tolerance), html_out)
    fig = draw_worst(compare(curves, rel_tol=tolerance["rel_tol"], z_tol=tolerance["z_tol"]), tolerance)
    _save_atomic(fig, figure_out, meta["config_hash"])
    plt.close(fig)


# ---------------------------------------------------------------- the run's report pages


def provenance_job(run: str, table_paths: list[str], out: str) -> None:
    """Rule `provenance`: the run's config hash, versions and resolved config, shown once
    (report.provenance_page), with a check that every table records the same config hash."""
    attrs = {}
    for path in table_paths:
        attrs[Path(path).name] = tables.read_table(path).attrs
    _write_text_atomic(report.provenance_page(run, attrs), out)


def runtimes_job(run: str, folder: str, html_out: str, png_out: str) -> None:
    """Rule `runtimes`: every benchmark file of the run as an interactive table and a figure
    (report.runtime_table; figures.runtimes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .figures.runtimes import draw as draw_runtimes

    frame = report.runtime_table(folder)
    if frame.empty:
        raise ValueError(f"runtimes: no benchmark file under {folder}")
    _write_text_atomic(report.runtime_page(run, frame), html_out)
    fig = draw_runtimes(frame, report.runtime_summary(frame), run)
    _save_atomic(fig, png_out)
    plt.close(fig)


# ---------------------------------------------------------------- the scaling-law atlas


def frontier_content(config: dict, name: str) -> dict:
    """What the frontier `name` is computed from: its spec and its regime (its identity's digest)."""
    spec = config["atlas"]["frontiers"][name]
    regime = next(r for r in config["regimes"] if r["name"] == spec["regime"])
    return {"frontier": dict(spec), "regime": dict(regime)}


def frontier_job(config: dict, name: str, out: str) -> pd.DataFrame:
    """Rule `frontier`: one frontier of the config's atlas (scaling_dmft.atlas.frontier_frame). A
    frontier whose every budget failed fails its job with the cause (as the CLI exits 3): no table."""
    from .atlas import frontier_frame
    from .errors import NumericalError

    frame = frontier_frame(config, name)
    failed = frame["flag"] == "failed"
    if failed.all():
        raise NumericalError(f"frontier {name}: the DMFT failed at every budget ({frame.attrs.get('failure', '')})")
    if failed.any():
        log.warning(
            "frontier %s: %d of %d budgets failed: %s",
            name,
            int(failed.sum()),
            len(frame),
            frame.attrs.get("failure", ""),
        )
    frame = tables.sort_rows(frame, "frontier")
    spec = config["atlas"]["frontiers"][name]
    meta = tables.provenance(spec, frontier=name, **tables.chunk_identity(name, frontier_content(config, name)))
    tables.write_table(frame, out, "frontier", meta)
    flagged = frame["flag"].isin(["edge", "unresolved", "failed"])
    log.info("frontier %s: %d budgets, %d flagged edge, unresolved or failed", name, len(frame), int(flagged.sum()))
    return frame


def phase_content(points: list, n_modes: int) -> dict:
    """What a phase-diagram part is computed from: its (alpha, beta) points and M."""
    return {"points": [[float(a), float(b)] for a, b in points], "n_modes": int(n_modes)}


def phase_job(points: list, n_modes: int, out: str, part: str | None = None) -> pd.DataFrame:
    """Rule `phase_diagram_part`: the fitted exponents at some (alpha, beta) points. `part`: the part's
    id, recorded with the digest of its points (chunk identity)."""
    from .atlas import phase_diagram

    content = phase_content(points, n_modes)
    points = [(a, b) for a, b in content["points"]]
    frame = tables.sort_rows(phase_diagram(points, content["n_modes"]), "phase_diagram")
    extra = tables.chunk_identity(part, content) if part else {}
    tables.write_table(
        frame, out, "phase_diagram", tables.provenance({"points": points, "n_modes": int(n_modes)}, **extra)
    )
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


def iso_compute_job(frontier_path: str, out: str) -> pd.DataFrame:
    """Rule `iso_compute`: the iso-compute curves of the atlas's frontier figure (atlas.iso_compute_frame)."""
    from .atlas import iso_compute_frame

    frontier = tables.read_table(frontier_path, "frontier")
    frame = tables.sort_rows(iso_compute_frame(frontier), "iso_compute")
    tables.write_table(frame, out, "iso_compute", tables.inherited_provenance(frontier.attrs))
    log.info("iso-compute: %d points, %d flagged", len(frame), int((frame["flag"] != "").sum()))
    return frame


ATLAS_FIGURES = ("frontier", "phase_diagram")


def draw_atlas_figure(name: str, inputs: dict[str, str], pdf: str, png: str) -> None:
    """Rule `atlas_figure`: the frontier figure (inputs frontier, fits) or the phase diagram (phase)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .figures import atlas

    if name == "frontier":
        fig = atlas.draw_frontier(
            tables.read_table(inputs["frontier"], "frontier"),
            tables.read_table(inputs["fits"], "frontier_fit"),
            tables.read_table(inputs["iso"], "iso_compute"),
        )
    else:
        fig = atlas.draw_phase_diagram(tables.read_table(inputs["phase"], "phase_diagram"))
    attrs = tables.read_table(next(iter(inputs.values()))).attrs
    _save_figure(fig, attrs, pdf, png)
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
        depth=entry["depth"],
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

    curves = tables.read_table(curves_path, "curve")
    trust = tables.read_table(trust_path, "data_trust") if trust_path else None
    fig = data_figure.draw(curves, trust)
    _save_figure(fig, curves.attrs, pdf, png)
    plt.close(fig)

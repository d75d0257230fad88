"""The pages of a run's `snakemake --report` (and the validation summary's Markdown): tables turned
into text. Nothing here computes science; the workflow's rules (scaling_dmft.rules) write these pages.

Every table is an interactive DataTables page (itables, offline mode: the library's JavaScript and
CSS are inlined, nothing is fetched from the network): sortable by any column, a search box over all
columns and one filter per column, paged. Column descriptions and units come from the table schemas
(scaling_dmft.tables, the one definition of every column).
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from . import tables

if TYPE_CHECKING:
    from collections.abc import Callable

# ---------------------------------------------------------------- interactive tables

PAGE_LENGTHS = [10, 25, 100, 1000]
PAGE_STYLE = (
    "body{font-family:system-ui,sans-serif;font-size:13px;margin:12px;color:#222}"
    "h2{font-size:16px;margin:0 0 6px}p{margin:4px 0 8px;max-width:110ch}"
    "details{margin-top:10px}details td{padding:1px 8px 1px 0;vertical-align:top}"
    "code{font-size:12px}pre{font-size:12px;background:#f6f6f6;padding:8px;overflow:auto}"
    # narrow column filters: the table's width follows its values, not the filter boxes
    "tfoot input{width:100%;min-width:3.5em;box-sizing:border-box;font-size:11px}"
    "table.dataTable th,table.dataTable td{white-space:nowrap;padding:2px 6px!important}"
)


def _itables_init() -> str:
    """The itables offline bundle (JavaScript + CSS, base64 inline): one per page."""
    from itables import options
    from itables.javascript import generate_init_offline_itables_html

    return generate_init_offline_itables_html(options.dt_bundle)


def column_descriptions(kind: str | None) -> dict[str, str]:
    """column -> 'description [unit]' from the table schema of `kind` (empty for a view's own columns)."""
    if kind not in tables.SCHEMAS:
        return {}
    out = {}
    for field in tables.SCHEMAS[kind]:
        meta = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
        unit = f" [{meta['unit']}]" if meta.get("unit") else ""
        out[field.name] = meta.get("description", "") + unit
    return out


def interactive_table(frame: pd.DataFrame, table_id: str) -> str:
    """`frame` as one DataTables table (sort, search, a filter per column, pages); floats shown
    with 4 significant digits and sorted by their value."""
    from itables import to_html_datatable

    with pd.option_context("display.float_format", "{:.4g}".format):
        return to_html_datatable(
            frame.reset_index(drop=True),
            table_id=table_id,
            connected=False,
            maxBytes=0,  # never downsample: every row is in the page
            column_filters="footer",
            scrollX=True,
            pageLength=PAGE_LENGTHS[0] if len(frame) <= 2 * PAGE_LENGTHS[0] else PAGE_LENGTHS[1],
            lengthMenu=PAGE_LENGTHS,
            # the page-length menu, search box, row count and pages also for a table that fits on one
            # page (itables drops them from its default layout then; a second top row keeps them)
            layout={
                "topStart": "pageLength",
                "topEnd": "search",
                "bottomStart": "info",
                "bottomEnd": "paging",
                "top2Start": None,
            },
            showIndex=False,
            classes="display compact cell-border",
            style="table-layout:auto;width:auto;margin:0;caption-side:bottom",
            text_in_header_can_be_selected=False,  # a click on a header sorts by that column
        )


def table_page(title: str, intro: str, frame: pd.DataFrame, descriptions: dict[str, str] | None = None) -> str:
    """A whole HTML page: title, an introduction (HTML), the interactive table and, folded, the
    description of each column shown."""
    descriptions = descriptions or {}
    rows = "".join(
        f"<tr><td><code>{html.escape(str(c))}</code></td><td>{html.escape(descriptions.get(str(c), ''))}</td></tr>"
        for c in frame.columns
    )
    table_id = "t_" + re.sub(r"[^A-Za-z0-9_]", "_", title)[:40]
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{PAGE_STYLE}</style></head><body>"
        f"<h2>{html.escape(title)}</h2><p>{intro}</p>"
        + _itables_init()
        + interactive_table(frame, table_id)
        + f"<details><summary>Columns</summary><table>{rows}</table></details></body></html>\n"
    )


# ---------------------------------------------------------------- the run's table views


def _summary_curves(frame: pd.DataFrame) -> pd.DataFrame:
    return (
        frame.groupby(["sweep", "method", "regime", "noise"], sort=True, dropna=False)
        .agg(
            rows=("t", "size"),
            n_samples=("n_samples", lambda v: ", ".join(_fmt(x) for x in sorted(set(v)))),
            n_features=("n_features", lambda v: ", ".join(_fmt(x) for x in sorted(set(v)))),
            eg_min=("eg", "min"),
            eg_max=("eg", "max"),
            seeds=("n_seeds", "max"),
            flagged=("flag", lambda f: int((f != "").sum())),
        )
        .reset_index()
    )


def _summary_spectra(frame: pd.DataFrame) -> pd.DataFrame:
    return (
        frame.groupby(tables.SPECTRUM_COLUMNS, dropna=False, sort=True)
        .agg(
            rows=("k", "size"),
            eigenvalue_max=("eigenvalue", "max"),
            eigenvalue_min=("eigenvalue", "min"),
            target_power_sum=("target_power", "sum"),
        )
        .reset_index()
    )


def _fmt(v: object) -> str:
    if isinstance(v, float):
        if math.isinf(v):
            return "inf"
        return f"{v:g}"
    return str(v)


SUMMARY_COLUMNS = {
    "rows": "rows of the full table in this group",
    "n_samples": "the P values of the group",
    "n_features": "the N values of the group (inf = kernel limit)",
    "eg_min": "smallest E_g in the group",
    "eg_max": "largest E_g in the group",
    "seeds": "seeds averaged (0 for theory)",
    "flagged": "rows with a flag (infinite, negative, failed, ...; never drawn)",
    "eigenvalue_max": "largest eigenvalue lambda_k",
    "eigenvalue_min": "smallest eigenvalue (or tail quadrature node)",
    "target_power_sum": "sum of weight-free target powers c_k (rows of the representation)",
}


@dataclass(frozen=True)
class View:
    """How the report shows one table: its schema kind, its leading columns (the rest follow in
    schema order), or a summary (for the long tables, whose rows live in the Parquet file)."""

    kind: str
    title: str
    what: str
    first: tuple[str, ...] = ()
    summary: Callable[[pd.DataFrame], pd.DataFrame] | None = None


_KEYS = ("sweep", "regime", "method")
VIEWS = {
    "fits": View(
        "fit",
        "Fitted exponents",
        "every fitted power law (theory and simulation) with its window, 95 % interval and the exponent "
        "the theory states; flagged rows are never drawn as laws",
        ("law", "quantity", "exponent", "exponent_lo", "exponent_hi", "expected_exponent", "flag", *_KEYS, "x_min", "x_max"),
    ),
    "early_stopping": View(
        "early_stopping",
        "Early-stopping optima",
        "the minimum E* of every learning curve and its time t*; flag boundary / no_minimum: no real optimum",
        (*_KEYS, "noise", "n_samples", "n_features", "t_star", "e_star", "e_star_sem", "e_final", "flag"),
    ),
    "curves": View(
        "curve",
        "Learning curves (summary)",
        "one row per sweep, method, regime and label-noise level; every (point, time) row is in tables/curves.parquet",
        summary=_summary_curves,
    ),
    "spectra": View(
        "spectrum",
        "Spectra (summary)",
        "one row per spectrum; every mode is in tables/spectra.parquet",
        summary=_summary_spectra,
    ),
    "frontier": View(
        "frontier",
        "Compute-optimal frontiers (atlas)",
        "per frontier and budget C: the optimal model size N* (column n_features), time t*, error E* (eg)",
        ("sweep", "regime", "compute_model", "tuned", "compute", "n_features", "n_samples", "weight_decay", "t", "eg", "flag"),
    ),
    "frontier_fits": View(
        "frontier_fit",
        "Frontier laws (atlas)",
        "E*, N*, P*, t* fitted against the compute C, with the derived exponent where the theory states one",
        ("law", "quantity", "exponent", "exponent_lo", "exponent_hi", "expected_exponent", "flag", "sweep", "regime", "compute_model", "tuned"),
    ),
    "iso_compute": View(
        "iso_compute",
        "Iso-compute curves (atlas)",
        "E_g at model size N and time C / N for a few budgets C of one frontier (the frontier figure's left panel)",
        ("sweep", "regime", "compute", "n_features", "t", "eg", "flag"),
    ),
    "phase_diagram": View(
        "phase_diagram",
        "Phase diagram (atlas)",
        "the fitted exponent of each law at every (alpha, beta), with the derived one and the additive ansatz",
        ("alpha", "beta", "phase", "law", "exponent", "expected_exponent", "ansatz_exponent", "flag"),
    ),
    "data_curves": View(
        "curve",
        "Data-set curves (summary)",
        "one row per data set, method, regime and noise level; every row is in tables/data_curves.parquet",
        summary=_summary_curves,
    ),
    "data_spectra": View(
        "spectrum",
        "Data-set spectra (summary)",
        "one row per data set; every mode is in tables/data_spectra.parquet",
        summary=_summary_spectra,
    ),
}  # fmt: skip
RUN_VIEWS = ("fits", "early_stopping", "curves", "spectra")
ATLAS_VIEWS = {"frontier": ("frontier", "frontier_fits", "iso_compute"), "phase_diagram": ("phase_diagram",)}
DATA_VIEWS = ("data_curves", "data_spectra")


def provenance_line(attrs: dict) -> str:
    return (
        f"config hash <code>{html.escape(attrs.get('config_hash', ''))}</code>, package "
        f"{html.escape(attrs.get('package_version', ''))}, git {html.escape(attrs.get('git_revision', ''))}"
    )


def view_frame(frame: pd.DataFrame, view: str) -> pd.DataFrame:
    """The rows and columns the report shows of a table (VIEWS)."""
    spec = VIEWS[view]
    if spec.summary is not None:
        return spec.summary(frame)
    first = [c for c in spec.first if c in frame.columns]
    return frame[first + [c for c in frame.columns if c not in first]]


def view_page(frame: pd.DataFrame, view: str, source: str) -> str:
    """The report page of one table (`frame` read from `source`)."""
    spec = VIEWS[view]
    shown = view_frame(frame, view)
    descriptions = (
        {**SUMMARY_COLUMNS, **column_descriptions(spec.kind)} if spec.summary else column_descriptions(spec.kind)
    )
    intro = (
        f"{html.escape(spec.what)}. {len(frame)} rows in <code>{html.escape(Path(source).name)}</code>; "
        + provenance_line(frame.attrs)
        + ". Click a header to sort, type in the search box or under a column to filter."
    )
    return table_page(spec.title, intro, shown, descriptions)


# ---------------------------------------------------------------- provenance and runtimes


def provenance_page(run: str, table_attrs: dict[str, dict]) -> str:
    """The run's provenance, shown once: the hash of its resolved config, the package version, git
    revision and seed rule, whether every table records that same hash, and the resolved config
    (every default filled in) as its tables store it."""
    if not table_attrs:
        raise ValueError("provenance: no tables")
    first = next(iter(table_attrs.values()))
    expected = first.get("config_hash", "")
    rows = []
    for name, attrs in table_attrs.items():
        same = attrs.get("config_hash", "") == expected
        rows.append(
            f"<tr><td><code>{html.escape(name)}</code></td><td><code>{html.escape(attrs.get('config_hash', ''))}</code></td>"
            f"<td>{'same config' if same else '<b>DIFFERENT CONFIG</b>'}</td>"
            f"<td>{html.escape(attrs.get('package_version', ''))}</td><td>{html.escape(attrs.get('git_revision', ''))}</td></tr>"
        )
    mismatch = sum(1 for a in table_attrs.values() if a.get("config_hash", "") != expected)
    verdict = (
        "Every table of this run records this config hash."
        if not mismatch
        else f"<b>{mismatch} table(s) record another config hash</b>: they were made by another config under this run name."
    )
    seeds = html.escape(first.get("seeds", "") or "theory only (no random numbers)")
    config = html.escape(first.get("config_yaml", "(not recorded)"))
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Provenance of run {html.escape(run)}</title>'
        f"<style>{PAGE_STYLE}table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #ddd;padding:2px 8px;text-align:left}}</style>"
        f"</head><body><h2>Run <code>{html.escape(run)}</code>: provenance</h2>"
        f"<p>Results in <code>results/{html.escape(run)}/</code>. Config hash <code>{html.escape(expected)}</code> "
        "(SHA-256 of the resolved config, 16 hex digits; <code>scaling_dmft.tables.config_hash</code>). "
        f"Package {html.escape(first.get('package_version', ''))}, git revision {html.escape(first.get('git_revision', ''))}. "
        f"Seeds: {seeds}.</p><p>{verdict}</p>"
        "<table><tr><th>table</th><th>config hash</th><th></th><th>package</th><th>git</th></tr>"
        + "".join(rows)
        + "</table><h2 style='margin-top:14px'>Resolved config (every default filled in)</h2>"
        f"<pre>{config}</pre></body></html>\n"
    )


BENCHMARK_COLUMNS = {
    "stage": "the benchmark folder: the workflow stage (dmft, simulate, aggregate, fit, figures, ...)",
    "job": "the job within the stage (its chunk, table or figure)",
    "wall_s": "wall-clock time of the job [s] (Snakemake benchmark column s)",
    "cpu_s": "CPU time of the job [s] (benchmark column cpu_time)",
    "max_rss_mb": "peak resident memory [MB] (benchmark column max_rss)",
    "mean_load": "mean CPU load [%] (benchmark column mean_load)",
    "finished": "when the benchmark file was written (an earlier invocation of the same run shows an older time)",
}


def runtime_table(folder: str | Path) -> pd.DataFrame:
    """One row per Snakemake benchmark file under `folder` (benchmarks/<run>/): stage, job, wall and
    CPU seconds, peak memory, mean load, and when it was written; longest first."""
    folder = Path(folder)
    rows = []
    for path in sorted(folder.rglob("*.tsv")):
        bench = pd.read_csv(path, sep="\t")
        if bench.empty:
            continue
        last = bench.iloc[-1]  # one line per repeat; the workflow runs each job once
        rel = path.relative_to(folder).with_suffix("")
        rows.append(
            {
                "stage": rel.parts[0],
                "job": "/".join(rel.parts[1:]) or rel.parts[0],
                "wall_s": float(last["s"]),
                "cpu_s": float(last.get("cpu_time", math.nan)),
                "max_rss_mb": pd.to_numeric(last.get("max_rss", math.nan), errors="coerce"),
                "mean_load": pd.to_numeric(last.get("mean_load", math.nan), errors="coerce"),
                "finished": pd.Timestamp(path.stat().st_mtime, unit="s").strftime("%Y-%m-%d %H:%M:%S"),
            }
        )
    frame = pd.DataFrame(rows, columns=list(BENCHMARK_COLUMNS))
    return frame.sort_values(["wall_s", "stage", "job"], ascending=[False, True, True], kind="mergesort").reset_index(
        drop=True
    )


def runtime_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per stage: jobs, total and largest wall time, total CPU time; stages by total wall time."""
    out = (
        frame.groupby("stage", sort=True)
        .agg(
            jobs=("job", "size"),
            wall_total_s=("wall_s", "sum"),
            wall_max_s=("wall_s", "max"),
            cpu_total_s=("cpu_s", "sum"),
        )
        .reset_index()
    )
    return out.sort_values(["wall_total_s", "stage"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def runtime_page(run: str, frame: pd.DataFrame) -> str:
    summary = runtime_summary(frame)
    total = float(frame["wall_s"].sum())
    intro = (
        f"Every job of run <code>{html.escape(run)}</code> with a benchmark file "
        f"(<code>benchmarks/{html.escape(run)}/</code>, written by Snakemake as the job ran): {len(frame)} jobs, "
        f"{total:.1f} s of job wall time in all ({float(frame['cpu_s'].sum()):.1f} s CPU). By stage: "
        + "; ".join(
            f"{html.escape(r.stage)} {r.jobs} job{'s' if r.jobs != 1 else ''}, {r.wall_total_s:.1f} s"
            for r in summary.itertuples()
        )
        + ". Jobs that ran at the same time overlap: the run's wall time is shorter than the sum."
    )
    return table_page(f"Job runtimes of run {run}", intro, frame, BENCHMARK_COLUMNS)


# ---------------------------------------------------------------- validation summary (config/validate.yaml)


def validation_markdown(summary: pd.DataFrame, curves: pd.DataFrame, tolerance: dict) -> str:
    """results/validate/validation/validation.md: the worst cases per disorder setting and per
    optimizer, then every configuration (`validation.summarize` computes the numbers)."""
    disorder = ["alpha", "beta", "n_features", "n_samples"]
    lines = [
        "# Validation: DMFT theory vs seed-averaged exact simulation",
        "",
        f"Tolerance per (point, time): |theory - sim| <= {tolerance['rel_tol']:.0%} of sim (finite-size budget) + "
        f"{tolerance['z_tol']:g} seed standard errors (Monte Carlo budget); `scaling_dmft.validation.within_tolerance`. "
        "Rows flagged by either method (infinite limits) are excluded.",
        "",
        f"Configurations (point x quantity): {len(summary)}; passed: {int(summary['passed'].sum())}; "
        f"(point, t) comparisons failing: {int(summary['n_failed'].sum())} of {int(summary['n_times'].sum())}.",
        f"Seeds per disorder point: {int(curves.loc[curves['method'] == 'sim', 'n_seeds'].max())}.",
        "",
        "## Worst case per disorder setting (over all regimes, noise levels and times)",
        "",
        "| alpha | beta | N | P | quantity | configs | worst rel | z there | worst z | median rel | failing points |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, group in summary.groupby(disorder + ["quantity"], sort=True):
        a, b, n, p, q = key
        lines.append(
            f"| {a:g} | {b:g} | {n:g} | {p:g} | {q} | {len(group)} | {group['worst_rel'].max():.2%} | "
            f"{group.loc[group['worst_rel'].idxmax(), 'z_at_worst_rel']:.1f} | {group['worst_z'].max():.1f} | "
            f"{group['median_rel'].median():.2%} | {int(group['n_failed'].sum())} |"
        )
    lines += [
        "",
        "## Worst case per optimizer (over all disorder settings, regimes, noise levels and times)",
        "",
        "| optimizer | learning rate | momentum | quantity | configs | worst rel | z there | worst z | failing points |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (opt, eta, mu, q), group in summary.groupby(["optimizer", "learning_rate", "momentum", "quantity"], sort=True):
        lines.append(
            f"| {opt} | {eta:g} | {mu:g} | {q} | {len(group)} | {group['worst_rel'].max():.2%} | "
            f"{group.loc[group['worst_rel'].idxmax(), 'z_at_worst_rel']:.1f} | {group['worst_z'].max():.1f} | "
            f"{int(group['n_failed'].sum())} |"
        )
    lines += [
        "",
        "## Every configuration",
        "",
        "| alpha | beta | N | P | regime | gamma | T | sigma0 | sigma | quantity | worst rel | t | z there | worst z | pass |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in summary.iterrows():
        lines.append(
            f"| {r.alpha:g} | {r.beta:g} | {r.n_features:g} | {r.n_samples:g} | {r.regime} | {r.weight_decay:g} | {r.temperature:g} | "
            f"{r.init_std:.3g} | {r.noise:g} | {r.quantity} | {r.worst_rel:.2%} | {r.t_worst_rel:.3g} | {r.z_at_worst_rel:.1f} | {r.worst_z:.1f} | {'yes' if r.passed else 'NO'} |"
        )
    return "\n".join(lines) + "\n"


def validation_page(summary: pd.DataFrame, tolerance: dict) -> str:
    intro = (
        f"Worst relative error and worst z-score per configuration of config/validate.yaml; a (point, time) "
        f"passes when |theory - sim| &lt;= {tolerance['rel_tol']:.0%} of the simulation + {tolerance['z_tol']:g} "
        f"seed standard errors. {int(summary['passed'].sum())} of {len(summary)} configurations pass. "
        + provenance_line(summary.attrs)
    )
    return table_page("Validation: theory vs simulation", intro, summary, column_descriptions("validation"))

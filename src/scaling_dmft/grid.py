"""From a validated config to parameter points, chunks of work, and deterministic seeds.

A *point* is one curve (points.Point: model, regime, optimizer, times). A *disorder point* is
what the random draws depend on: its model (the spectrum, N and P). The simulator draws (Psi, F, w*) once per disorder point and seed and
reuses one eigendecomposition for every regime, noise level and time of that disorder point.

Seeds (documented in docs/reliability.md): seed s of a disorder point uses
`numpy.random.SeedSequence([base_seed, *digest_words, s])`, where digest_words are the first
four 32-bit words of SHA-256 of the disorder point's canonical JSON. They depend on nothing
else: not on the sweep, the chunking, the order of points, the number of cores or threads.

Chunks are formed per sweep in a fixed order, so editing one sweep does not change the jobs
of another.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .points import Model, Point, SpectrumSpec, build_point, group_by
from .schema import config_schema


def time_grid(times: dict | list) -> np.ndarray:
    """The times of a config `times` entry: log-spaced from start to stop, both ends included,
    optionally followed by +inf; or an explicit list, sorted."""
    if isinstance(times, list):
        return np.sort(np.asarray(times, dtype=np.float64))
    if times["count"] == 1:
        grid = np.array([float(times["start"])])
    else:
        grid = np.logspace(math.log10(times["start"]), math.log10(times["stop"]), int(times["count"]))
        grid[0], grid[-1] = float(times["start"]), float(times["stop"])
    if times.get("include_inf", True):
        grid = np.append(grid, np.inf)
    return grid


def spectrum_specs(sweep: dict) -> list[SpectrumSpec]:
    """The spectra of a (validated) sweep: its spectrum file, or every (alpha, beta) of its grid."""
    if "spectrum_file" in sweep:
        return [SpectrumSpec.file(sweep["spectrum_file"])]
    return [
        SpectrumSpec(float(a), float(b), int(sweep["n_modes"]), sweep["teacher"])
        for a, b in itertools.product(sweep["alpha"], sweep["beta"])
    ]


def sweep_points(cfg: dict, sweep_name: str) -> list[Point]:
    """All points of one sweep, in a fixed order, in our units: a regime or a sweep given in the
    paper's units (`units: paper`, `time_units: paper`) is converted per point with its P
    (points.build_point)."""
    from .units import from_paper

    sweep = cfg["sweeps"][sweep_name]
    regimes = {r["name"]: r for r in cfg["regimes"]}
    times = time_grid(sweep["times"])
    points = []
    for spec, n_features, n_samples, noise, regime_name in itertools.product(
        spectrum_specs(sweep), sweep["n_features"], sweep["n_samples"], sweep["noise"], sweep["regimes"]
    ):
        point_times = (
            from_paper(n_samples=n_samples, t_paper=times)["t"] if sweep.get("time_units") == "paper" else times
        )
        model = Model(spec, float(n_features), float(n_samples))
        points.append(build_point(model, regimes[regime_name], noise=noise, times=point_times, sweep=sweep_name))
    return points


SEED_RULE = "numpy SeedSequence([base_seed, sha256(disorder point JSON) words 0..3, seed index])"


def seed_sequences(base_seed: int, model: Model, n_seeds: int, **salt: str) -> list[np.random.SeedSequence]:
    """Deterministic, independent seeds for one disorder point (see module docstring); `salt` adds
    keys to the canonical JSON (e.g. method='data': the data sets' subsets draw apart from the
    Gaussian simulation of the same model)."""
    canonical = json.dumps({**model.seed_fields(), **salt}, sort_keys=True, default=repr)
    digest = hashlib.sha256(canonical.encode()).digest()
    words = [int.from_bytes(digest[4 * i : 4 * i + 4], "little") for i in range(4)]
    return [np.random.SeedSequence([int(base_seed), *words, s]) for s in range(n_seeds)]


@dataclass(frozen=True)
class SimGroup:
    """One disorder point of a simulated sweep (its model) with the points that share its draws:
    `seeds` draws, or, with a `target_rel_sem`, as many as a pilot of `pilot` seeds asks for, up to
    `seeds` (precision.py)."""

    model: Model
    points: tuple[Point, ...]
    seeds: int
    target_rel_sem: float | None = None
    pilot: int = 0

    def to_dict(self) -> dict:
        plain = {"points": [p.to_dict() for p in self.points], "seeds": self.seeds}
        if self.target_rel_sem is not None:
            plain.update(target_rel_sem=self.target_rel_sem, pilot=self.pilot)
        return plain

    @classmethod
    def from_dict(cls, data: dict) -> SimGroup:
        points = tuple(Point.from_dict(p) for p in data["points"])
        return cls(points[0].model, points, int(data["seeds"]), data.get("target_rel_sem"), int(data.get("pilot", 0)))


def sim_groups(cfg: dict, sweep_name: str) -> list[SimGroup]:
    """Disorder groups of a simulated sweep: disorder point + the points that share it."""
    sweep = cfg["sweeps"][sweep_name]
    if not sweep["simulate"]:
        return []
    by_model = group_by(sweep_points(cfg, sweep_name), lambda p: p.model)
    return [SimGroup(model, tuple(members), **seed_settings(cfg, sweep_name)) for model, members in by_model.items()]


def seed_settings(cfg: dict, sweep_name: str) -> dict:
    """A simulated sweep's seed keywords of SimGroup: a fixed count, or its target precision with the
    cap (max_seeds) and the pilot (simulation.pilot_seeds)."""
    sweep = cfg["sweeps"][sweep_name]
    if sweep.get("target_rel_sem") is None:
        return {"seeds": int(sweep["seeds"])}
    return {
        "seeds": int(sweep["max_seeds"]),
        "target_rel_sem": float(sweep["target_rel_sem"]),
        "pilot": int(cfg["simulation"]["pilot_seeds"]),
    }


# A chunk id is '<sweep>-<index>', the index with 4 digits or more (the workflow's wildcard
# constraint; written out because Snakemake does not match a `{4,}` quantifier there).
CHUNK_ID_PATTERN = config_schema()["$defs"]["identifier"]["pattern"].strip("^$") + "-[0-9][0-9][0-9][0-9]+"


def _chunks(cfg: dict, items_of: Callable[[dict, str], list], size: int) -> dict[str, list]:
    """{'<sweep>-<index>': items}: fixed-size chunks formed per sweep, in a fixed order."""
    return {
        f"{name}-{i:04d}": items[start : start + size]
        for name in cfg["sweeps"]
        for items in [items_of(cfg, name)]
        for i, start in enumerate(range(0, len(items), size))
    }


def job_counts(cfg: dict) -> dict[str, int]:
    """The jobs of a validated config's run (target `all`, plus `validation_summary` for the run
    named validate), per workflow rule, by arithmetic (no points built). Mirrors
    workflow/rules/*.smk; tests/test_no_silent_loss.py checks it against `snakemake -n`."""
    from .figures import FIGURES
    from .report import ATLAS_VIEWS, DATA_VIEWS
    from .rules import HTML_VIEWS

    counts = dict.fromkeys(("spectrum", "dmft", "simulate"), 0)
    for sweep in cfg["sweeps"].values():
        n_spectra = 1 if "spectrum_file" in sweep else len(sweep["alpha"]) * len(sweep["beta"])
        n_disorder = n_spectra * len(sweep["n_features"]) * len(sweep["n_samples"])
        n_points = n_disorder * len(sweep["noise"]) * len(sweep["regimes"])
        counts["spectrum"] += 1
        counts["dmft"] += math.ceil(n_points / cfg["chunks"]["dmft_points"])
        if sweep["simulate"]:
            counts["simulate"] += math.ceil(n_disorder / cfg["chunks"]["sim_groups"])
    counts["verify_chunk"] = counts["dmft"] + counts["simulate"]
    counts.update(aggregate_curves=1, aggregate_spectra=1, fit=1, table_html=len(HTML_VIEWS))
    counts.update(provenance=1, runtimes=1)  # the report's provenance and runtime pages
    counts["figure"] = sum(fig in cfg["figures"] for fig in FIGURES)
    atlas = cfg.get("atlas", {})
    if atlas.get("frontiers"):
        counts.update(frontier=len(atlas["frontiers"]), aggregate_frontier=1, frontier_fit=1, iso_compute=1)
        counts["table_html"] += len(ATLAS_VIEWS["frontier"])
    if "phase_diagram" in atlas:
        spec = atlas["phase_diagram"]
        counts.update(phase_diagram_part=min(spec["jobs"], spec["alpha_count"]), aggregate_phase_diagram=1)
        counts["table_html"] += len(ATLAS_VIEWS["phase_diagram"])
    counts["atlas_figure"] = int(bool(atlas.get("frontiers"))) + int("phase_diagram" in atlas)  # one figure each
    if cfg.get("data"):
        counts.update(empirical_spectrum=len(cfg["data"]), data_curves=len(cfg["data"]))
        counts.update(aggregate_data_spectra=1, aggregate_data_curves=1, data_figure=1)
        counts["table_html"] += len(DATA_VIEWS)
    if cfg["run_name"] == "validate":  # the `validate` target's summary belongs to this run
        counts["validation_summary"] = 1
    return {rule: n for rule, n in counts.items() if n}


def count_jobs(cfg: dict) -> int:
    """Every job of a validated config's run (`job_counts`): chunks, their verification, spectra,
    aggregates, fits, report views, figures, the atlas and the data sets."""
    return sum(job_counts(cfg).values())


def dmft_chunks(cfg: dict) -> dict[str, list[Point]]:
    """{chunk id: points}; chunk ids are '<sweep>-<index>'."""
    return _chunks(cfg, sweep_points, cfg["chunks"]["dmft_points"])


def sim_chunks(cfg: dict) -> dict[str, list[SimGroup]]:
    """{chunk id: disorder groups}; chunk ids are '<sweep>-<index>'."""
    return _chunks(cfg, sim_groups, cfg["chunks"]["sim_groups"])

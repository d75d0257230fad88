"""From a validated config to parameter points, chunks of work, and deterministic seeds.

A *point* is one curve: (spectrum, n_modes, teacher, n_features, n_samples, noise, regime).
A *disorder point* is what the random draws depend on: (spectrum, n_modes, teacher,
n_features, n_samples). The simulator draws (Psi, F, w*) once per disorder point and seed and
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

import numpy as np

from .schema import config_schema
from .spectrum import Spectrum, powerlaw, read_spectrum_file


def time_grid(times: dict) -> np.ndarray:
    """Log-spaced times, both ends included, optionally followed by +inf."""
    if times["count"] == 1:
        grid = np.array([float(times["start"])])
    else:
        grid = np.logspace(math.log10(times["start"]), math.log10(times["stop"]), int(times["count"]))
        grid[0], grid[-1] = float(times["start"]), float(times["stop"])
    if times.get("include_inf", True):
        grid = np.append(grid, np.inf)
    return grid


def spectrum_specs(sweep: dict) -> list[dict]:
    """The spectra of a sweep as small JSON-able dicts."""
    if "spectrum_file" in sweep:
        return [{"spectrum": "file", "path": sweep["spectrum_file"], "alpha": None, "beta": None}]
    return [
        {"spectrum": "powerlaw", "alpha": float(a), "beta": float(b)}
        for a, b in itertools.product(sweep["alpha"], sweep["beta"])
    ]


def build_spectrum(spec: dict, n_modes: int, teacher: str) -> Spectrum:
    if spec["spectrum"] == "file":
        return read_spectrum_file(spec["path"], teacher="file")
    return powerlaw(spec["alpha"], spec["beta"], int(n_modes), teacher)


def spectrum_name(spec: dict) -> str:
    return spec["spectrum"] if spec["spectrum"] == "powerlaw" else spec["path"].rsplit("/", 1)[-1]


def regime_init_std(regime: dict) -> float:
    if regime.get("init_std", 0.0) == "prior":
        return math.sqrt(regime["temperature"] / regime["weight_decay"])
    return float(regime.get("init_std", 0.0))


# the optimizers: gradient flow, full-batch gradient descent, heavy ball, mini-batch SGD (online at P = inf,
# multi-pass at finite P)
OPTIMIZERS = ("gf", "gd", "momentum", "sgd")
# how SGD draws its batches (the point column batch_sampling): '' full batch, online (fresh samples, P = inf),
# or the config's batch_sampling at finite P (replacement, the default, or epochs)
ONLINE_SAMPLING = "online"
DEFAULT_SAMPLING = "replacement"


def batch_sampling(regime: dict, n_samples: float) -> str:
    """The batch_sampling column of a regime at sample size P (see DEFAULT_SAMPLING)."""
    if "batch_size" not in regime:
        return ""
    return ONLINE_SAMPLING if math.isinf(float(n_samples)) else regime.get("batch_sampling", DEFAULT_SAMPLING)


def optimizer_name(learning_rate: float, momentum: float, batch_size: float = math.inf) -> str:
    """gf (learning rate 0: gradient flow), gd, momentum (heavy ball) or sgd (a finite batch size)."""
    if math.isfinite(batch_size):
        return "sgd"
    return "gf" if learning_rate == 0 else ("momentum" if momentum > 0 else "gd")


def step_times(times: np.ndarray, learning_rate: float) -> np.ndarray:
    """A time grid for discrete steps: each t rounded to a whole number of steps k >= 1 (t = eta k),
    repeats dropped; t = inf kept."""
    finite = np.asarray(times, dtype=np.float64)
    steps = np.unique(np.maximum(np.round(finite[np.isfinite(finite)] / learning_rate), 1.0))
    out = learning_rate * steps
    return np.append(out, np.inf) if np.isinf(finite).any() else out


def regime_columns(regime: dict, n_samples: float, times: np.ndarray) -> dict:
    """The regime's part of a parameter point at sample size P, on the time grid `times`, in our
    units: a regime in the paper's units (`units: paper`) is converted with its P (units.from_paper);
    a discrete optimizer's times are whole steps (`step_times`), online SGD's finite ones; bayes is the
    t = inf posterior only."""
    from .units import from_paper

    gamma, temperature = float(regime["weight_decay"]), float(regime["temperature"])
    if regime.get("units") == "paper":  # weight_decay is g, temperature is 1/beta_paper
        ours = from_paper(n_samples=n_samples, g=gamma, beta_inv=temperature)
        gamma, temperature = ours["weight_decay"], ours["temperature"]
    eta, mu = float(regime.get("learning_rate", 0.0)), float(regime.get("momentum", 0.0))
    batch = float(regime.get("batch_size", math.inf))
    if eta > 0:
        times = step_times(times, eta)
    if math.isfinite(batch):  # online SGD: finite steps only
        times = times[np.isfinite(times)]
    return {
        "regime": regime["name"],
        "kind": regime["kind"],
        "weight_decay": gamma,
        "temperature": temperature,
        # sigma0^2 = T/gamma for 'prior': the same ratio in both unit systems
        "init_std": regime_init_std(regime),
        "optimizer": optimizer_name(eta, mu, batch),
        "learning_rate": eta,
        "momentum": mu,
        "batch_size": batch,
        "batch_sampling": batch_sampling(regime, n_samples),
        "times": [math.inf] if regime["kind"] == "bayes" else np.asarray(times).tolist(),
    }


def sweep_points(cfg: dict, sweep_name: str) -> list[dict]:
    """All points of one sweep, in a fixed order. Each point is a JSON-able dict in our units:
    a regime or a sweep given in the paper's units (`units: paper`, `time_units: paper`) is
    converted per point with its P (units.from_paper; `regime_columns`)."""
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
        points.append(
            {
                "sweep": sweep_name,
                **spec,
                "n_modes": int(sweep["n_modes"]),
                "teacher": sweep["teacher"],
                "n_features": float(n_features),
                "n_samples": float(n_samples),
                "noise": float(noise),
                **regime_columns(regimes[regime_name], n_samples, point_times),
            }
        )
    return points


SEED_RULE = "numpy SeedSequence([base_seed, sha256(disorder point JSON) words 0..3, seed index])"
# The keys of a parameter point that fix its spectrum; with (N, P) its random draw (one disorder
# point: seeds derive from these); with gamma one solve, which serves every (sigma, sigma0, T).
SPECTRUM_KEYS = ("spectrum", "alpha", "beta", "path", "n_modes", "teacher")
DISORDER_KEYS = (*SPECTRUM_KEYS, "n_features", "n_samples")
SOLVE_KEYS = (*DISORDER_KEYS, "weight_decay", "learning_rate", "momentum", "batch_size", "batch_sampling")


def disorder_key(point: dict) -> dict:
    return {k: point.get(k) for k in DISORDER_KEYS}


def seed_sequences(base_seed: int, disorder: dict, n_seeds: int) -> list[np.random.SeedSequence]:
    """Deterministic, independent seeds for one disorder point (see module docstring)."""
    canonical = json.dumps(disorder_for_seed(disorder), sort_keys=True, default=repr)
    digest = hashlib.sha256(canonical.encode()).digest()
    words = [int.from_bytes(digest[4 * i : 4 * i + 4], "little") for i in range(4)]
    return [np.random.SeedSequence([int(base_seed), *words, s]) for s in range(n_seeds)]


def disorder_for_seed(disorder: dict) -> dict:
    # a spectrum file is identified by its name, not its absolute location
    out = dict(disorder)
    if out.get("path"):
        out["path"] = out["path"].rsplit("/", 1)[-1]
    return out


def sim_groups(cfg: dict, sweep_name: str) -> list[dict]:
    """Disorder groups of a simulated sweep: disorder point + the points that share it."""
    sweep = cfg["sweeps"][sweep_name]
    if not sweep["simulate"]:
        return []
    groups: dict[str, dict] = {}
    for point in sweep_points(cfg, sweep_name):
        dis = disorder_key(point)
        key = json.dumps(dis, sort_keys=True)
        if key not in groups:
            groups[key] = {"disorder": dis, "points": [], "seeds": int(sweep["seeds"])}
        groups[key]["points"].append(point)
    return list(groups.values())


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


def count_jobs(cfg: dict) -> int:
    """Number of DMFT + simulation jobs of a validated config, by arithmetic (no points built)."""
    jobs = 0
    for sweep in cfg["sweeps"].values():
        n_spectra = 1 if "spectrum_file" in sweep else len(sweep["alpha"]) * len(sweep["beta"])
        n_disorder = n_spectra * len(sweep["n_features"]) * len(sweep["n_samples"])
        n_points = n_disorder * len(sweep["noise"]) * len(sweep["regimes"])
        jobs += math.ceil(n_points / cfg["chunks"]["dmft_points"])
        if sweep["simulate"]:
            jobs += math.ceil(n_disorder / cfg["chunks"]["sim_groups"])
    return jobs


def dmft_chunks(cfg: dict) -> dict[str, list[dict]]:
    """{chunk id: points}; chunk ids are '<sweep>-<index>'."""
    return _chunks(cfg, sweep_points, cfg["chunks"]["dmft_points"])


def sim_chunks(cfg: dict) -> dict[str, list[dict]]:
    """{chunk id: disorder groups}; chunk ids are '<sweep>-<index>'."""
    return _chunks(cfg, sim_groups, cfg["chunks"]["sim_groups"])

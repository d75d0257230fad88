"""Configuration: load, validate (JSON Schema draft 2020-12 + semantic checks), fill defaults.

`validate_config(raw)` returns a normalised copy where every sweep carries all of its keys
(top-level defaults filled in). Every problem raises `InputError` with a one-line message
that names the key path (e.g. `sweeps.learning_curves.n_samples[2]`), the value and the
allowed range -- before any job starts.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml
from jsonschema import Draft202012Validator

from .about import REPOSITORY_ROOT
from .errors import InputError
from .schema import config_schema
from .spectra import read_spectrum_file

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

SWEEP_DEFAULT_KEYS = ("n_modes", "teacher", "times")


# The workflow's reserved run names: results/<name>/ belongs to the `paper` / `validate` target and
# its config file config/<name>.yaml; no other config may take the name (it would overwrite them).
RESERVED_RUN_NAMES = ("paper", "validate")


# online SGD is simulated mode by mode: a bound on M keeps a seed's cost at B M per step
SGD_SIMULATION_MODES = 100000


def reserved_run_file(name: str) -> Path:
    """The one config file allowed to use the reserved run name `name`."""
    return REPOSITORY_ROOT / "config" / f"{name}.yaml"


# The shipped default config: it sets no run_name and runs as the schema's `default`.
DEFAULT_CONFIG_FILE = REPOSITORY_ROOT / "config" / "config.yaml"


def file_run_name(files: Iterable[str | Path]) -> str | None:
    """The run name of a config read from `files` that sets no `run_name`: the last file's stem
    (`--configfile my.yaml` runs as `my`, in results/my/), so that a copy of a config never writes
    into the results of another; None for the shipped config/config.yaml (the schema's `default`)
    and when there is no file (a command-line query). Raises InputError when the stem cannot be a
    run name."""
    files = [Path(f).resolve() for f in files]
    if not files or files[-1] == DEFAULT_CONFIG_FILE:
        return None
    stem = files[-1].stem
    if not RUN_NAME_PATTERN.fullmatch(stem) or (stem in RESERVED_RUN_NAMES and files != [reserved_run_file(stem)]):
        raise InputError(
            "run_name",
            stem,
            "set in the config (letters, digits, _ and -; not " + " or ".join(RESERVED_RUN_NAMES) + ")",
            f"the config sets no run_name and its file name {files[-1].name!r} cannot be one",
        )
    return stem


# Names that become file names, wildcards and table values: the whole string must match.
# (the schema's patterns without their anchors; the workflow's wildcard constraints use these too)
RUN_NAME_PATTERN = re.compile(config_schema()["properties"]["run_name"]["pattern"].strip("^$"))
IDENTIFIER_PATTERN = re.compile(config_schema()["$defs"]["identifier"]["pattern"].strip("^$"))
# A config is a few hundred values; more nodes than this (after YAML alias expansion) is a mistake
# or an alias bomb, refused before anything walks it.
MAX_CONFIG_NODES = 100_000
# Largest workflow DAG we accept: every job of one run (grid.count_jobs). Each chunk brings its
# verification job, so this keeps the earlier cap of 20 000 chunk jobs.
MAX_JOBS = 40_000
# The wall time a DMFT or atlas job is given at its first attempt (the workflow's `runtime` resource,
# workflow/rules/common.smk; retries get a multiple): atlas jobs estimated longer are refused.
JOB_MINUTES = 30
YAML_MERGE_TAG = "tag:yaml.org,2002:merge"


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML loader that rejects duplicate mapping keys (PyYAML silently keeps the last) and keys
    that YAML reads as something other than a string (`yes` -> True, `2024` -> 2024); merge keys
    (`<<: *anchor`) work as in any YAML loader."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False):
    seen = set()
    for key_node, _ in node.value:
        if key_node.tag == YAML_MERGE_TAG:
            continue  # `<<`: flattened below by the standard loader
        key = loader.construct_object(key_node, deep=deep)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise InputError(
                str(key_node.value),
                key,
                f"a string key (quote it: YAML reads this as {type(key).__name__} {key!r})",
                f"non-string key at line {line}",
            )
        if key in seen:
            raise InputError(str(key), key, "each key at most once per mapping", f"duplicate key {key!r} (line {line})")
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _json_pairs(pairs: list[tuple[str, Any]]):
    out = {}
    for key, value in pairs:
        if key in out:
            raise InputError(str(key), key, "each key at most once per mapping", f"duplicate key {key!r}")
        out[key] = value
    return out


def _count_nodes(value: object, limit: int) -> int:
    """Nodes of a loaded document, counting shared (aliased) subtrees every time; stops past `limit`."""
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        count += 1
        if count > limit:
            return count
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def parse_config_text(text: str, name: str = "configfile") -> dict:
    """Parse a config document the way the workflow does: JSON first, then YAML (Snakemake's order,
    so both accept the same files, e.g. JSON `Infinity`). Refuses YTE templates (they execute
    code), non-string keys, duplicate keys and documents over MAX_CONFIG_NODES nodes."""
    try:
        data = json.loads(text, object_pairs_hook=_json_pairs)
    except json.JSONDecodeError:
        try:
            data = yaml.load(text, Loader=_UniqueKeyLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            raise InputError("configfile", name, "valid YAML or JSON", f"YAML syntax error{where}") from None
        except RecursionError:
            raise InputError(
                "configfile", name, "a YAML document nested less than ~1000 levels", "nested too deeply"
            ) from None
    if not isinstance(data, dict):
        raise InputError("configfile", name, "a YAML mapping at top level", "not a mapping")
    if "__use_yte__" in data:
        raise InputError(
            "__use_yte__",
            data["__use_yte__"],
            "plain YAML or JSON (templating executes code; not accepted)",
            "a YTE template",
        )
    if _count_nodes(data, MAX_CONFIG_NODES) > MAX_CONFIG_NODES:
        raise InputError(
            "configfile",
            name,
            f"at most {MAX_CONFIG_NODES} values after YAML alias expansion",
            "document too large (alias bomb?)",
        )
    return data


def load_yaml(path: str | Path) -> dict:
    """Read and parse one config file (YAML or JSON; see parse_config_text)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("configfile", str(path), "an existing YAML file", "file not found")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            "configfile", str(path), "a UTF-8 text file (YAML or JSON)", f"not UTF-8 text (byte {exc.start})"
        ) from None
    return parse_config_text(text, str(path))


def load_config(path: str | Path) -> dict:
    return load_configs([path])


# The config keys that name files: (section, key) of the named entries of a section (sweeps, data).
PATH_KEYS = (("sweeps", "spectrum_file"), ("data", "file"), ("data", "labels"))


def resolve_paths(raw: dict, base: Path) -> dict:
    """`raw` (one config file's mapping, in place) with every relative file path (PATH_KEYS) made
    absolute against `base`, the folder of the file that sets it: a path means the same file whatever
    other config files are merged with it, or wherever Snakemake runs."""
    for section, key in PATH_KEYS:
        entries = raw.get(section)
        if not isinstance(entries, dict):
            continue
        for entry in entries.values():
            if isinstance(entry, dict) and isinstance(entry.get(key), str) and entry[key]:
                path = Path(entry[key])
                entry[key] = str(path if path.is_absolute() else (base / path).resolve())
    return raw


def merge_config(into: dict, update: dict) -> dict:
    """Deep merge as Snakemake's `update_config` does (mappings merged key by key, anything else
    replaced), `into` changed in place and returned."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge_config(into[key], value)
        else:
            into[key] = copy.deepcopy(value)
    return into


def load_configs(files: Iterable[str | Path], overrides: dict | None = None) -> dict:
    """The validated config of several files merged in order, then `overrides` (Snakemake's --config):
    the workflow's and `check-config`'s one way to read configs. Each file's relative paths are
    resolved against its own folder before merging; those of `overrides` against the working folder."""
    files = [Path(f) for f in files]
    raw: dict = {}
    for path in files:
        merge_config(raw, resolve_paths(load_yaml(path), path.resolve().parent))
    merge_config(raw, resolve_paths(copy.deepcopy(overrides or {}), Path.cwd()))
    return validate_config(raw, base_dir=Path.cwd(), files=files)


def _path(parts: Iterable[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<config>"


def _allowed(error: ValidationError) -> str:
    sch = error.schema if isinstance(error.schema, dict) else {}
    if "description" in sch:
        return sch["description"]
    kw = error.validator
    if kw in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        return f"{kw} {error.validator_value}"
    if kw == "enum":
        return " | ".join(map(str, error.validator_value))
    if kw == "type":
        return f"type {error.validator_value}"
    return f"{kw}: {error.validator_value}"


def _schema_error(error: ValidationError) -> InputError:
    """Turn the most specific jsonschema error into one line."""
    if error.context:  # anyOf/oneOf: report the best sub-error
        # an alternative of another type (a mapping where a list may stand) says nothing: the others do
        typed = [e for e in error.context if not (e.validator == "type" and not list(e.relative_path))]
        best = min(typed or error.context, key=lambda e: len(list(e.absolute_path)))
        if list(best.relative_path) or best.validator in ("additionalProperties", "required"):
            return _schema_error(best)  # inside the alternative the value has: that one's key and range
        parts = list(error.absolute_path) + list(best.relative_path)
        return InputError(_path(parts), best.instance, _allowed(error))
    parts = list(error.absolute_path)
    if error.validator == "additionalProperties":
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = sorted(set(error.instance) - set(known)) if isinstance(error.instance, dict) else []
        key = _path(parts + [extra[0]]) if extra else _path(parts)
        return InputError(key, None, "known keys: " + ", ".join(sorted(known)), "unknown key")
    if error.validator == "required":
        return InputError(
            _path(parts), None, "required keys: " + ", ".join(map(str, error.validator_value)), error.message
        )
    if error.validator == "uniqueItems":
        return InputError(_path(parts), error.instance, "a list without duplicates", "duplicate entries")
    if error.validator in ("minItems", "minProperties"):
        return InputError(_path(parts), error.instance, "a non-empty list/mapping", "empty")
    return InputError(_path(parts), error.instance, _allowed(error))


def _fill_defaults(instance: object, sch: dict, root: dict) -> None:
    """Fill every `default` of the schema into `instance`, in place: the schema is the one place
    where defaults are written (objects, their additionalProperties and array items alike)."""
    if not isinstance(sch, dict):
        return
    if "$ref" in sch:
        ref = sch["$ref"].split("/")[-1]
        sch = {**root["$defs"][ref], **{k: v for k, v in sch.items() if k != "$ref"}}
    if isinstance(instance, list) and isinstance(sch.get("items"), dict):
        for item in instance:
            _fill_defaults(item, sch["items"], root)
        return
    if not isinstance(instance, dict):
        return
    for key, sub in sch.get("properties", {}).items():
        if key not in instance and isinstance(sub, dict) and "default" in sub:
            instance[key] = copy.deepcopy(sub["default"])
        if key in instance:
            _fill_defaults(instance[key], sub, root)
    extra = sch.get("additionalProperties")
    if isinstance(extra, dict):
        for key, value in instance.items():
            if key not in sch.get("properties", {}):
                _fill_defaults(value, extra, root)


def _reject_nan(value: object, parts: tuple[str | int, ...] = ()) -> None:
    """JSON Schema bounds are comparisons, which NaN passes: reject it explicitly."""
    if isinstance(value, float) and math.isnan(value):
        raise InputError(_path(parts), value, "a number, not NaN")
    if isinstance(value, dict):
        for key, sub in value.items():
            _reject_nan(sub, (*parts, key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            _reject_nan(sub, (*parts, i))


def validate_config(raw: dict, base_dir: str | Path | None = None, files: Iterable[str | Path] = ()) -> dict:
    """Validate and normalise a raw config mapping. Raises InputError (one line).
    `files`: the config files it was read from (a reserved run name needs its own file)."""
    if not isinstance(raw, dict):
        raise InputError("<config>", raw, "a mapping")
    cfg = copy.deepcopy(raw)
    _reject_nan(cfg)
    sch = config_schema()
    validator = Draft202012Validator(sch)
    errors = sorted(validator.iter_errors(cfg), key=lambda e: (len(list(e.absolute_path)), str(list(e.absolute_path))))
    if errors:
        raise _schema_error(errors[0])
    if "run_name" not in cfg and (from_file := file_run_name(files)) is not None:
        cfg["run_name"] = from_file
    _fill_defaults(cfg, sch, sch)
    _check_names(cfg, [Path(f).resolve() for f in files])
    _check_regimes(cfg["regimes"])
    names = {r["name"] for r in cfg["regimes"]}
    base = Path(base_dir) if base_dir else Path.cwd()
    _check_times("times", cfg["times"])  # top level first: sweeps inherit it
    for name, sweep in cfg["sweeps"].items():
        # inherited, not constant, defaults (the schema's descriptions say so)
        for key in SWEEP_DEFAULT_KEYS:
            sweep.setdefault(key, copy.deepcopy(cfg[key]))
        _seed_keys(name, sweep, cfg["simulation"])
        _check_sweep(name, sweep, names, cfg, base)
    _check_grid_size(cfg)  # arithmetic on the validated sweeps: before the checks that build points
    _check_figures(cfg)
    _check_atlas(cfg)
    _check_data(cfg, base)
    return cfg


def _seed_keys(name: str, sweep: dict, simulation: dict) -> None:
    """A sweep's seed count, or its target precision and cap (docs: scaling_dmft.precision): a fixed
    `seeds` and a `target_rel_sem` exclude each other."""
    if "seeds" in sweep and "target_rel_sem" in sweep:
        raise InputError(f"sweeps.{name}.seeds", sweep["seeds"], "absent with target_rel_sem (the count is chosen)")
    if "target_rel_sem" not in sweep and "seeds" not in sweep and "target_rel_sem" in simulation:
        sweep["target_rel_sem"] = simulation["target_rel_sem"]
    if "target_rel_sem" in sweep:
        where = f"sweeps.{name}.max_seeds" if "max_seeds" in sweep else "simulation.max_seeds"  # the key set
        sweep.setdefault("max_seeds", simulation["max_seeds"])
        if sweep["max_seeds"] < simulation["pilot_seeds"]:
            raise InputError(where, sweep["max_seeds"], f">= simulation.pilot_seeds = {simulation['pilot_seeds']}")
    else:
        if "max_seeds" in sweep:  # a cap without a target would be ignored: the count is `seeds`
            raise InputError(
                f"sweeps.{name}.max_seeds",
                sweep["max_seeds"],
                "absent without target_rel_sem (it caps the seeds a target draws; a fixed count is seeds)",
            )
        sweep.setdefault("seeds", simulation["seeds"])


def _check_atlas(cfg: dict) -> None:
    """What the schema cannot say about the atlas's frontiers (docs/theory/frontier.md)."""
    regimes = {r["name"]: r for r in cfg["regimes"]}
    for name, front in cfg.get("atlas", {}).get("frontiers", {}).items():
        key = f"atlas.frontiers.{name}"
        if not IDENTIFIER_PATTERN.fullmatch(str(name)):
            raise InputError(key, name, "a frontier name: a letter, then letters, digits and _")
        regime = regimes.get(front["regime"])
        trained = sorted(n for n, r in regimes.items() if r["kind"] != "bayes")
        if regime is None or regime["kind"] == "bayes":
            raise InputError(f"{key}.regime", front["regime"], "one of " + ", ".join(trained) + " (not bayes)")
        if regime.get("units") == "paper":
            raise InputError(f"{key}.regime", front["regime"], "a regime in our units (units: paper needs a fixed P)")
        if "batch_size" in regime:
            raise InputError(
                f"{key}.regime",
                front["regime"],
                "a full-batch regime (no batch_size): a frontier chooses N at full batch (SGD has no frontier)",
            )
        c = front["compute"]
        _check_times(f"{key}.compute", c)
        for which in ("n_features_range", "n_samples_range"):
            low, high = front[which]
            if not low < high:
                raise InputError(f"{key}.{which}", front[which], "[min, max] with min < max")
        if front["tune_weight_decay"] and (regime["weight_decay"] != 0 or regime.get("init_std") == "prior"):
            raise InputError(
                f"{key}.tune_weight_decay",
                True,
                "a regime with weight_decay 0 and a numeric init_std (gamma is chosen per budget)",
            )
        if front["compute_model"] == "NPT" and "n_samples" in front and not math.isinf(front["n_samples"]):
            raise InputError(f"{key}.n_samples", front["n_samples"], "absent with compute_model NPT (P is chosen)")
        _check_frontier_size(key, front)
        if regime.get("learning_rate", 0.0) > 0:
            _check_frontier_feasible(key, front, regime)
    spec = cfg.get("atlas", {}).get("phase_diagram")
    if spec is not None:
        from .atlas import PHASE_POINT_SECONDS, largest_part

        def minutes(jobs: int) -> float:
            return largest_part(spec["alpha_count"], spec["beta_count"], jobs) * PHASE_POINT_SECONDS / 60

        if minutes(spec["jobs"]) > JOB_MINUTES:
            need = next(j for j in range(1, spec["alpha_count"] + 1) if minutes(j) <= JOB_MINUTES)
            raise InputError(
                "atlas.phase_diagram.jobs",
                spec["jobs"],
                f"jobs >= {need}: a job gets {JOB_MINUTES} min, and its largest part here would take "
                f"~{minutes(spec['jobs']):.0f} min ({largest_part(spec['alpha_count'], spec['beta_count'], spec['jobs'])} "
                f"(alpha, beta) points at ~{PHASE_POINT_SECONDS:g} s each)",
            )


def _check_frontier_size(key: str, front: dict) -> None:
    """A frontier is one job: its estimated DMFT solves (frontier.estimated_solves) must fit the
    job's JOB_MINUTES. Its memory is small (the widest ranges allowed peaked at ~190 MB, under the
    job's 2 GB), so only time is checked."""
    from .frontier import SOLVE_SECONDS, estimated_solves

    solves = estimated_solves(
        front["compute"]["count"],
        tuple(front["n_features_range"]),
        tuple(front["n_samples_range"]),
        front["compute_model"],
        front["tune_weight_decay"],
    )
    if solves * SOLVE_SECONDS > JOB_MINUTES * 60:
        raise InputError(
            f"{key}.compute.count",
            front["compute"]["count"],
            f"a frontier one job computes in {JOB_MINUTES} min: this one needs ~{solves} DMFT solves, "
            f"~{solves * SOLVE_SECONDS / 60:.0f} min at ~{SOLVE_SECONDS:g} s each; fewer budgets, narrower "
            "n_features_range / n_samples_range, or no tune_weight_decay",
        )


def _check_frontier_feasible(key: str, front: dict, regime: dict) -> None:
    """A frontier in discrete steps whose steps diverge at every N searched, or whose budgets buy no
    (stable) whole step, is refused now (frontier.check_feasible), not after its job ran."""
    from . import dmft
    from .frontier import OUTER_PER_DECADE, POINTS_PER_DECADE, check_feasible, n_grid
    from .grid import time_grid
    from .spectra import powerlaw

    sums = dmft.prepare(powerlaw(front["alpha"], front["beta"], front["n_modes"], front["teacher"]).modes())
    npt = front["compute_model"] == "NPT"
    try:
        check_feasible(
            sums,
            time_grid({**front["compute"], "include_inf": False}),
            n_values=n_grid(*front["n_features_range"], POINTS_PER_DECADE),
            p_values=n_grid(*front["n_samples_range"], OUTER_PER_DECADE) if npt else [front["n_samples"]],
            compute_model=front["compute_model"],
            weight_decay=0.0 if front["tune_weight_decay"] else float(regime["weight_decay"]),
            learning_rate=float(regime["learning_rate"]),
            momentum=float(regime.get("momentum", 0.0)),
        )
    except InputError as err:
        where = f"{key}.regime" if err.key == "learning_rate" else f"{key}.compute.stop"
        value = front["regime"] if err.key == "learning_rate" else front["compute"]["stop"]
        what = (
            f"learning_rate {regime['learning_rate']:g} of regime {front['regime']!r}"
            if err.key == "learning_rate"
            else None
        )
        raise InputError(where, value, err.allowed, what and f"{what} cannot train this frontier") from None


def _check_data(cfg: dict, base: Path) -> None:
    """The `data:` entries (docs/theory/data.md): a full-matched name, one source, known kernel and
    depth, the source's files and contents (data.load_data, data.prepare_inputs: the checks `spectrum`
    makes), both jobs' memory within simulation.max_memory_gb (data.entry_cost, from the file's header
    before it is loaded), P < n, finite N only for kernels with a random feature map (relu_nngp,
    erf_nngp), regimes that train (gf, gf_wd, langevin) in our units."""
    from . import data
    from .kernels import FEATURE_KERNELS, check_kernel

    regimes = {r["name"]: r for r in cfg["regimes"]}
    trained = sorted(
        n for n, r in regimes.items() if r["kind"] != "bayes" and r.get("units") != "paper" and "batch_size" not in r
    )
    budget = cfg["simulation"]["max_memory_gb"]
    for name, entry in cfg.get("data", {}).items():
        key = f"data.{name}"
        if not IDENTIFIER_PATTERN.fullmatch(str(name)):
            key = "data." + repr(str(name))[1:-1]  # one line, whatever the name holds
            raise InputError(key, name, "a data set name: a letter, then letters, digits and _")
        if ("dataset" in entry) == ("file" in entry):
            raise InputError(f"{key}.dataset", entry.get("dataset"), "exactly one of dataset and file")
        if "dataset" in entry:
            if entry["dataset"] not in data.DATASETS:
                raise InputError(f"{key}.dataset", entry["dataset"], " | ".join(data.DATASETS))
            try:
                import sklearn  # noqa: F401
            except ImportError:
                raise InputError(
                    f"{key}.dataset", entry["dataset"], "scikit-learn installed (pip install '.[data]'; make setup)"
                ) from None
            if "labels" in entry:
                raise InputError(f"{key}.labels", entry["labels"], "absent with dataset (it has its labels)")
        else:
            for which in ("file", "labels"):
                if which in entry and not Path(entry[which]).is_absolute():
                    entry[which] = str((base / entry[which]).resolve())
        check_kernel(entry["kernel"], entry["depth"], kernel_key=f"{key}.kernel", depth_key=f"{key}.depth")
        _check_data_route(entry, key)
        entry.setdefault("times", copy.deepcopy(cfg["times"]))
        _check_times(f"{key}.times", entry["times"])
        source = f"{key}.dataset" if "dataset" in entry else f"{key}.file"
        try:
            n, d = data.entry_shape(entry)
            _check_data_memory(entry, key, source, n, d, 1, budget)  # before loading: the file's header
            if "dataset" in entry:  # a bundled set: known good, not loaded on every workflow start
                classes = data.DATASETS[entry["dataset"]].classes
                n_targets = classes if classes > 2 else 1
            else:  # the file's contents: the checks the job would make, before it starts
                x, y = data.entry_inputs(entry)
                n, d, n_targets = x.shape[0], x.shape[1], data.n_targets(y)
                _check_data_memory(entry, key, source, n, d, n_targets, budget)
        except InputError as err:
            where = data.DATA_ENTRY_KEYS.get(err.key)
            if where is None:
                raise
            renamed = source if where == "file" else f"{key}.{where}"
            raise InputError(renamed, err.value, err.allowed, err.problem) from None
        too_big = [p for p in entry["n_samples"] if p >= n]
        if too_big:
            raise InputError(f"{key}.n_samples", too_big[0], f"P < n = {n} (the held-out set must not be empty)")
        if entry["route"] == "nystrom" and entry["width"] > n:
            raise InputError(f"{key}.width", entry["width"], f"at most n = {n} landmarks (drawn from the points)")
        widths = [w for w in entry["n_features"] if not math.isinf(w)]
        if widths and entry["kernel"] not in FEATURE_KERNELS:
            raise InputError(
                f"{key}.n_features",
                widths[0],
                ".inf only with kernel "
                + entry["kernel"]
                + ": finite N are the last layer of a random network of width N, for "
                + " and ".join(FEATURE_KERNELS)
                + " (an NTK's features are the gradients of all weights; linear and rbf have no network)",
            )
        for i, regime in enumerate(entry["regimes"]):
            if regime not in trained:
                raise InputError(
                    f"{key}.regimes[{i}]",
                    regime,
                    "one of " + ", ".join(trained) + " (trained in our units: not bayes, not SGD)",
                )


def _check_data_route(entry: dict, key: str) -> None:
    """A feature route (relu_features, nystrom) needs its width; its features are the model, so the
    theory's N is inf (n_features [.inf]); ReLU features approximate the relu_nngp kernel only."""
    if entry["route"] == "dense":
        if "width" in entry:
            raise InputError(f"{key}.width", entry["width"], "absent with route dense (the n x n Gram has no width)")
        return
    if "width" not in entry:
        raise InputError(f"{key}.width", None, f"an integer 1..1e5 with route {entry['route']}", "no width given")
    widths = [w for w in entry["n_features"] if not math.isinf(w)]
    if widths:
        raise InputError(
            f"{key}.n_features",
            widths[0],
            f"[.inf] with route {entry['route']} (its width features are the model: the theory gets their spectrum)",
        )
    if entry["route"] == "relu_features" and entry["kernel"] != "relu_nngp":
        raise InputError(f"{key}.kernel", entry["kernel"], "relu_nngp with route relu_features (the features' limit)")
    if entry["route"] == "relu_features" and entry["depth"] != 1:
        raise InputError(f"{key}.depth", entry["depth"], "1 with route relu_features (one layer of ReLU features)")


def _check_data_memory(entry: dict, key: str, source: str, n: int, d: int, n_targets: int, budget: float) -> None:
    """Both jobs of a `data:` entry within simulation.max_memory_gb (data.entry_cost): the
    spectrum's (set by n on the dense route: the source is named; by the width on a feature route)
    and the curves' (set by n, the width, or the largest N of n_features)."""
    from .data import check_memory, entry_cost

    costs = entry_cost(entry, n, d, n_targets)
    if entry["route"] == "dense":
        hint = "simulation.max_memory_gb; the dense spectrum holds two n x n arrays: route relu_features or nystrom streams the points"
        check_memory(costs["spectrum"], budget, source, n, f"the dense spectrum of n = {n} points", hint)
    else:
        what = f"the {entry['route']} spectrum of width {entry['width']} on n = {n} points"
        check_memory(costs["spectrum"], budget, f"{key}.width", entry["width"], what, "simulation.max_memory_gb")
    if costs["curves"].bytes <= budget * 1e9:
        return
    widths = [w for w in entry["n_features"] if not math.isinf(w)]
    if widths:  # is the widest N alone over the budget? then name it
        alone = entry_cost({**entry, "n_features": [math.inf]}, n, d, n_targets)["curves"]
        widest = entry_cost({**entry, "n_features": [max(widths)]}, n, d, n_targets)["curves"]
        if widest.bytes > alone.bytes:
            what = f"training {int(max(widths))} ReLU features of n = {n} points"
            check_memory(widest, budget, f"{key}.n_features", max(widths), what, "simulation.max_memory_gb")
    check_memory(
        costs["curves"],
        budget,
        f"{key}.n_samples",
        max(entry["n_samples"]),
        f"the comparison on n = {n} points",
        "simulation.max_memory_gb",
    )


def _check_names(cfg: dict, files: list[Path]) -> None:
    """Whole-string name checks (a JSON Schema `pattern` is a search, and `$` matches before a final
    newline) and the reserved run names."""
    run = cfg["run_name"]
    if not RUN_NAME_PATTERN.fullmatch(run):
        raise InputError("run_name", run, "letters, digits, _ and - only")
    if run in RESERVED_RUN_NAMES and files != [reserved_run_file(run)]:
        raise InputError(
            "run_name",
            run,
            "any name but " + " and ".join(RESERVED_RUN_NAMES) + " (reserved for their workflow targets)",
        )
    for name in cfg["sweeps"]:
        if not isinstance(name, str) or not IDENTIFIER_PATTERN.fullmatch(name):
            raise InputError(
                f"sweeps.{name}",
                name,
                "a sweep name: a letter, then letters, digits and _ (quote names YAML reads as booleans or numbers)",
            )
    for i, regime in enumerate(cfg["regimes"]):
        if not IDENTIFIER_PATTERN.fullmatch(regime["name"]):
            raise InputError(f"regimes[{i}].name", regime["name"], "a letter, then letters, digits and _")


def _check_regimes(regimes: list[dict]) -> None:
    seen = set()
    for i, r in enumerate(regimes):
        key = f"regimes[{i}]"
        if r["name"] in seen:
            raise InputError(f"{key}.name", r["name"], "unique regime names", f"duplicate regime name {r['name']!r}")
        seen.add(r["name"])
        g, T, kind = r["weight_decay"], r["temperature"], r["kind"]
        if kind == "gf" and (g != 0 or T != 0):
            raise InputError(
                f"{key}.kind", kind, "gf needs weight_decay = 0 and temperature = 0 (use gf_wd or langevin)"
            )
        if kind == "gf_wd" and not (g > 0 and T == 0):
            raise InputError(
                f"{key}.weight_decay" if not g > 0 else f"{key}.temperature",
                g if not g > 0 else T,
                "gf_wd needs weight_decay > 0 and temperature = 0",
            )
        if kind == "langevin" and not T > 0:
            raise InputError(f"{key}.temperature", T, "langevin needs temperature > 0")
        if kind == "bayes" and not (g > 0 and T > 0):
            bad = "weight_decay" if not g > 0 else "temperature"
            raise InputError(
                f"{key}.{bad}",
                r[bad],
                "bayes needs weight_decay > 0 and temperature > 0 (posterior with prior variance T/gamma)",
            )
        if r.get("init_std") == "prior" and not (g > 0 and T > 0):
            raise InputError(
                f"{key}.init_std", "prior", "'prior' needs weight_decay > 0 and temperature > 0 (sigma0^2 = T/gamma)"
            )
        if "batch_size" in r and (not r.get("learning_rate", 0.0) > 0 or r.get("momentum", 0.0) > 0):
            raise InputError(f"{key}.batch_size", r["batch_size"], "SGD needs learning_rate > 0 and momentum 0")
        _check_schedule(key, r)
        if "batch_sampling" in r and "batch_size" not in r:
            raise InputError(f"{key}.batch_sampling", r["batch_sampling"], "only with batch_size (mini-batch SGD)")
        if r.get("momentum", 0.0) > 0 and not r.get("learning_rate", 0.0) > 0:
            raise InputError(
                f"{key}.momentum", r["momentum"], "0 with gradient flow (momentum needs learning_rate > 0)"
            )
        if r.get("learning_rate", 0.0) > 0 and (kind == "bayes" or r.get("units") == "paper"):
            raise InputError(
                f"{key}.learning_rate",
                r["learning_rate"],
                "0 for a bayes regime (the t = inf posterior) or a regime in paper units",
            )
        if kind == "bayes" and r.get("init_std", 0.0) not in (0.0, 0, "prior"):
            raise InputError(
                f"{key}.init_std", r["init_std"], "bayes is the t = inf posterior; init_std is irrelevant, leave it out"
            )


# what each learning-rate schedule takes (schedules.SCHEDULE_PARAMETERS; docs/theory/discrete.md 5.3)
_SCHEDULE_TAKES = {
    "constant": "no parameters",
    "step": "a drop factor and the steps between drops",
    "power": "an exponent and a step scale",
}


def _check_schedule(key: str, regime: dict) -> None:
    """A schedule other than constant is online SGD's (batch_size) and takes exactly its own parameters."""
    from .schedules import SCHEDULE_PARAMETERS

    kind = regime.get("lr_schedule", "constant")
    if kind != "constant" and "batch_size" not in regime:
        raise InputError(f"{key}.lr_schedule", kind, "constant unless online SGD (a batch size): schedules are SGD's")
    for name in ("lr_decay_factor", "lr_decay_steps", "lr_decay_power"):
        if name in regime and name not in SCHEDULE_PARAMETERS[kind]:
            raise InputError(
                f"{key}.{name}", regime[name], f"absent with a {kind} schedule (it takes {_SCHEDULE_TAKES[kind]})"
            )
    for name in SCHEDULE_PARAMETERS[kind]:
        if name not in regime:
            raise InputError(
                f"{key}.{name}", None, f"a value with a {kind} schedule (it takes {_SCHEDULE_TAKES[kind]})"
            )


def _check_times(key: str, times: dict | list) -> None:
    if isinstance(times, list):  # an explicit list: the schema bounds each time; the grid sorts them
        return
    if times["stop"] < times["start"]:
        raise InputError(f"{key}.stop", times["stop"], f"stop >= start = {times['start']}")
    if times["stop"] == times["start"] and times["count"] != 1:
        raise InputError(f"{key}.count", times["count"], "1 when start == stop")
    if times["stop"] > times["start"] and times["count"] < 2:
        raise InputError(f"{key}.count", times["count"], "count >= 2 when stop > start")
    check_distinct_grid(f"{key}.count", times["start"], times["stop"], times["count"])


def check_distinct_grid(key: str, start: float, stop: float, count: int) -> None:
    """COUNT log-spaced values from START to STOP must be COUNT distinct float64 numbers: two equal
    times (or budgets) would be two rows with one key, which the tables refuse after the compute."""
    import numpy as np

    from .grid import time_grid

    grid = time_grid({"start": start, "stop": stop, "count": count, "include_inf": False})
    if grid.size > 1 and not np.all(np.diff(grid) > 0):
        raise InputError(
            key,
            count,
            f"{count} distinct log-spaced values from {start!r} to {stop!r}: in float64 these repeat; fewer, "
            "or a wider range",
        )


def _check_sweep(name: str, sweep: dict, regime_names: set, cfg: dict, base: Path) -> None:
    key = f"sweeps.{name}"
    has_powerlaw = "alpha" in sweep or "beta" in sweep
    if has_powerlaw and "spectrum_file" in sweep:
        raise InputError(f"{key}.spectrum_file", sweep["spectrum_file"], "either alpha/beta or spectrum_file, not both")
    if not has_powerlaw and "spectrum_file" not in sweep:
        raise InputError(f"{key}.alpha", None, "lists alpha and beta, or spectrum_file", "no spectrum given")
    if has_powerlaw and ("alpha" not in sweep or "beta" not in sweep):
        missing = "beta" if "alpha" in sweep else "alpha"
        raise InputError(f"{key}.{missing}", None, "both alpha and beta lists", f"missing {missing}")
    if "spectrum_file" in sweep:
        path = Path(sweep["spectrum_file"])
        if not path.is_absolute():
            path = (base / path).resolve()
        spec = read_spectrum_file(path, key=f"{key}.spectrum_file")
        sweep["spectrum_file"] = str(path)
        sweep["n_modes"] = spec.n_modes
        sweep["teacher"] = "file"
    for i, regime in enumerate(sweep["regimes"]):
        if regime not in regime_names:
            raise InputError(
                f"{key}.regimes[{i}]", regime, "one of " + ", ".join(sorted(regime_names)), f"unknown regime {regime!r}"
            )
        if "batch_size" in cfg_regime(cfg, regime):
            _check_sgd_times(key, regime, sweep)
        if "batch_size" in cfg_regime(cfg, regime) and not any(math.isinf(p) for p in sweep["n_samples"]):
            _check_multipass(key, regime, cfg_regime(cfg, regime), sweep, cfg)
        elif "batch_size" in cfg_regime(cfg, regime):
            if any(not math.isinf(v) for v in sweep["n_samples"]):
                raise InputError(
                    f"{key}.n_samples",
                    sweep["n_samples"],
                    f"[.inf] (online SGD) or finite sizes P >= batch_size only (multi-pass SGD) with the SGD regime "
                    f"{regime!r}",
                )
            if "batch_sampling" in cfg_regime(cfg, regime):  # it would be ignored: online draws fresh samples
                where = f"regimes[{cfg['regimes'].index(cfg_regime(cfg, regime))}].batch_sampling"
                raise InputError(
                    where,
                    cfg_regime(cfg, regime)["batch_sampling"],
                    f"absent in the online SGD sweep {key} (n_samples [.inf]: fresh samples every step); "
                    "replacement | epochs are multi-pass SGD's, at finite n_samples",
                )
            for i, n in enumerate(sweep["n_features"]):
                if not (math.isinf(n) or n < sweep["n_modes"]):
                    raise InputError(
                        f"{key}.n_features[{i}]",
                        n,
                        f".inf or N < n_modes = {sweep['n_modes']} with the online SGD regime {regime!r} (the theory's "
                        "deterministic equivalent of the feature covariance)",
                    )
            if sweep.get("simulate"):
                _check_online_simulation(key, sweep, cfg_regime(cfg, regime), cfg)
    _check_times(f"{key}.times", sweep["times"])
    _check_step_range(key, sweep, cfg)
    paper_regimes = [r for r in sweep["regimes"] if cfg_regime(cfg, r).get("units") == "paper"]
    if sweep.get("time_units") == "paper" or paper_regimes:
        what = (
            "time_units: paper" if sweep.get("time_units") == "paper" else f"regime {paper_regimes[0]!r} in paper units"
        )
        for i, p in enumerate(sweep["n_samples"]):
            if math.isinf(p):
                raise InputError(
                    f"{key}.n_samples[{i}]", p, f"finite n_samples with {what} (the conversion scales with P)"
                )
    # online SGD (a batch size at P = inf) draws fresh samples: P = inf is what it simulates, with checks of
    # its own (_check_online_simulation); multi-pass SGD (finite P) is checked as any finite-P simulation
    online = all("batch_size" in cfg_regime(cfg, r) for r in sweep["regimes"]) and all(
        math.isinf(p) for p in sweep["n_samples"]
    )
    if sweep["simulate"] and not online:
        for i, p in enumerate(sweep["n_samples"]):
            if math.isinf(p):
                raise InputError(
                    f"{key}.n_samples[{i}]",
                    p,
                    "finite n_samples when simulate: true (P = inf is theory only, except online SGD)",
                )
        max_modes = cfg["simulation"]["max_modes"]
        if sweep["n_modes"] > max_modes:
            raise InputError(
                f"{key}.n_modes", sweep["n_modes"], f"n_modes <= simulation.max_modes = {max_modes} when simulate: true"
            )
        for axis in ("n_features", "n_samples"):
            for i, v in enumerate(sweep[axis]):
                if not math.isinf(v) and v > 20000:
                    raise InputError(f"{key}.{axis}[{i}]", v, "<= 20000 when simulate: true (one eigh per seed)")
        from .grid import time_grid
        from .simulate import MAX_SPECTRAL_CONDITION, memory_estimate_bytes

        budget = cfg["simulation"]["max_memory_gb"]
        need = max(
            memory_estimate_bytes(
                sweep["n_modes"],
                n,
                p,
                sweep.get("max_seeds", sweep.get("seeds")),
                len(sweep["regimes"]),
                time_grid(sweep["times"]).size,
            )
            for n in sweep["n_features"]
            for p in sweep["n_samples"]
        )
        if need > budget * 1e9:
            raise InputError(
                f"{key}.n_features",
                max(sweep["n_features"]),
                f"sizes whose simulation fits in simulation.max_memory_gb = {budget:g} GB (the largest needs ~{need / 1e9:.3g} GB)",
            )
        if "alpha" in sweep:
            # largest min(M, N, P) of the sweep: where lambda_1 / lambda_r is largest
            r = min(sweep["n_modes"], max(sweep["n_samples"]), max(sweep["n_features"]))
            for i, alpha in enumerate(sweep["alpha"]):
                if r > 1 and alpha * math.log10(r) > math.log10(MAX_SPECTRAL_CONDITION):
                    limit = math.log10(MAX_SPECTRAL_CONDITION) / math.log10(r)
                    raise InputError(
                        f"{key}.alpha[{i}]",
                        alpha,
                        f"alpha <= {limit:.3g} when simulate: true with min(N, P, M) up to {r:g} "
                        f"(lambda_1/lambda_r <= {MAX_SPECTRAL_CONDITION:g} for float64)",
                    )


def _check_online_simulation(key: str, sweep: dict, regime: dict, cfg: dict) -> None:
    """Online SGD steps every mode of every seed: M bounded, the peak memory of a seed within
    simulation.max_memory_gb, and the whole run within the step budget of sgd.check_online_budget."""
    from .sgd import check_online_budget, online_memory_bytes

    if sweep["n_modes"] > SGD_SIMULATION_MODES:
        raise InputError(
            f"{key}.n_modes",
            sweep["n_modes"],
            f"<= {SGD_SIMULATION_MODES} to simulate online SGD (every mode is stepped)",
        )
    from .grid import time_grid

    grid = time_grid(sweep["times"])
    finite = grid[np.isfinite(grid)]
    batch, budget = int(regime["batch_size"]), cfg["simulation"]["max_memory_gb"]
    need = max(online_memory_bytes(sweep["n_modes"], n, batch, finite.size) for n in sweep["n_features"])
    if need > budget * 1e9:
        raise InputError(
            f"regimes[{cfg['regimes'].index(regime)}].batch_size",
            batch,
            f"a batch whose simulation fits in simulation.max_memory_gb = {budget:g} GB (B = {batch} needs "
            f"~{need / 1e9:.3g} GB with n_modes = {sweep['n_modes']})",
        )
    stop = float(finite.max()) if finite.size else 0.0
    dims = [sweep["n_modes"] if math.isinf(n) else min(n, sweep["n_modes"]) for n in sweep["n_features"]]
    seeds = sweep.get("seeds", sweep.get("max_seeds"))  # a fixed count, or a target's cap
    try:
        check_online_budget(seeds, math.floor(stop / regime["learning_rate"]), batch, max(dims))
    except InputError as err:
        where = f"{key}.times.stop" if isinstance(sweep["times"], dict) else f"{key}.times"
        raise InputError(where, stop, err.allowed) from None


def _check_step_range(key: str, sweep: dict, cfg: dict) -> None:
    """A discrete optimizer's rows are whole steps inside the sweep's time range (grid.step_times): the
    range must hold one for every discrete regime and every P (paper time units scale it by P)."""
    from .grid import time_grid
    from .points import step_range

    grid = time_grid(sweep["times"])
    finite = grid[np.isfinite(grid)]
    if not finite.size:
        return
    start, stop = float(finite.min()), float(finite.max())
    scales = sweep["n_samples"] if sweep.get("time_units") == "paper" else [1.0]
    for name in sweep["regimes"]:
        eta = cfg_regime(cfg, name).get("learning_rate", 0.0)
        for scale in scales:
            if (
                eta > 0
                and step_range(scale * start, scale * stop, eta)[0] > step_range(scale * start, scale * stop, eta)[1]
            ):
                raise InputError(
                    f"{key}.times.stop" if isinstance(sweep["times"], dict) else f"{key}.times",
                    stop,
                    f"a time range [start, stop] that holds a whole step t = eta k of regime {name!r} "
                    f"(eta = {eta:g}; here [{start:g}, {stop:g}]: stop >= {eta / scale:g})",
                )


def _check_sgd_times(key: str, name: str, sweep: dict) -> None:
    """An SGD regime's rows are its finite steps (no t = inf limit: the point drops it): a sweep whose
    times hold none would give the regime no rows at all."""
    from .grid import time_grid

    if not np.isfinite(time_grid(sweep["times"])).any():
        raise InputError(
            f"{key}.times",
            sweep["times"],
            f"at least one finite time with the SGD regime {name!r} (SGD reports finite steps only: no t = inf)",
        )


# multi-pass SGD is simulated step by step (B P per step and trajectory): a bound on the steps of a seed
SGD_SIMULATION_STEPS = 10**6


def _check_multipass(key: str, name: str, regime: dict, sweep: dict, cfg: dict) -> None:
    """A multi-pass SGD regime (batch_size at finite P, docs/theory/sgd.md): no Langevin noise, a
    constant learning rate, B <= P for every P; to simulate, at most SGD_SIMULATION_STEPS steps."""
    from .grid import time_grid

    where = f"regimes[{cfg['regimes'].index(regime)}]"
    if regime["temperature"] > 0:
        raise InputError(f"{where}.temperature", regime["temperature"], "0 for multi-pass SGD (no Langevin noise)")
    if regime.get("lr_schedule", "constant") != "constant":
        raise InputError(
            f"{where}.lr_schedule",
            regime["lr_schedule"],
            f"constant for multi-pass SGD (schedules are online SGD's, n_samples [.inf]; sweep {key})",
        )
    if regime["batch_size"] > min(sweep["n_samples"]):
        raise InputError(
            f"{key}.n_samples", sweep["n_samples"], f"every P >= batch_size = {regime['batch_size']} of regime {name!r}"
        )
    grid = time_grid(sweep["times"])
    finite = grid[np.isfinite(grid)]
    scale = max(sweep["n_samples"]) if sweep.get("time_units") == "paper" else 1.0
    stop = float(finite.max()) * scale if finite.size else 0.0
    if sweep.get("simulate") and stop / regime["learning_rate"] > SGD_SIMULATION_STEPS:
        raise InputError(
            f"{key}.times.stop" if isinstance(sweep["times"], dict) else f"{key}.times",
            stop,
            f"<= {SGD_SIMULATION_STEPS * regime['learning_rate'] / scale:g} (at most {SGD_SIMULATION_STEPS:g} steps "
            f"of the regime {name!r} to simulate multi-pass SGD)",
        )


def cfg_regime(cfg: dict, name: str) -> dict:
    return next(r for r in cfg["regimes"] if r["name"] == name)


def _check_figures(cfg: dict) -> None:
    """Every figure's spec refers to sweeps, regimes and noise levels that exist, so a figure job
    never fails after the compute for a reason visible now."""
    sweeps = cfg["sweeps"]
    kinds = {r["name"]: r["kind"] for r in cfg["regimes"]}
    for fig, spec in cfg["figures"].items():
        key = f"figures.{fig}"
        names = [spec["sweep"]] if "sweep" in spec else list(spec.get("sweeps", []))
        where = ".sweep" if "sweep" in spec else ".sweeps"
        for i, ref in enumerate(names):
            if ref not in sweeps:
                sub = where if where == ".sweep" else f"{where}[{i}]"
                raise InputError(
                    f"{key}{sub}", ref, "a sweep name: " + ", ".join(sorted(sweeps)), f"unknown sweep {ref!r}"
                )
        used = [sweeps[n] for n in names]
        for i, regime in enumerate(spec.get("regimes", [])):
            if not any(regime in sw["regimes"] for sw in used):
                allowed = sorted({r for sw in used for r in sw["regimes"]})
                raise InputError(f"{key}.regimes[{i}]", regime, "a regime of the figure's sweep: " + ", ".join(allowed))
        if fig == "multipass_sgd" and not any(
            "batch_size" in cfg_regime(cfg, r) and not any(math.isinf(p) for p in sw["n_samples"])
            for sw in used
            for r in sw["regimes"]
        ):
            raise InputError(f"{key}.sweep", names[0], "a sweep at finite P with a regime that has a batch_size")
        for role in ("langevin", "bayes"):
            if role in spec:
                regime = spec[role]
                if not any(regime in sw["regimes"] for sw in used) or kinds.get(regime) != role:
                    allowed = sorted({r for sw in used for r in sw["regimes"] if kinds[r] == role})
                    raise InputError(
                        f"{key}.{role}",
                        regime,
                        f"a regime of kind {role} in the figure's sweep: " + (", ".join(allowed) or "none defined"),
                    )
        if "theory_sweep" in spec:
            _check_theory_sweep(key, spec, names, sweeps)
        for noise_key in ("noise", "early_noise"):
            if noise_key in spec and not any(
                any(
                    math.isclose(spec[noise_key], v, rel_tol=1e-9, abs_tol=0.0) or spec[noise_key] == v
                    for v in sw["noise"]
                )
                for sw in used
            ):
                allowed = sorted({v for sw in used for v in sw["noise"]})
                raise InputError(
                    f"{key}.{noise_key}",
                    spec[noise_key],
                    "a noise level of the figure's sweep: " + ", ".join(map(str, allowed)),
                )


def _check_theory_sweep(key: str, spec: dict, names: list[str], sweeps: dict) -> None:
    """A figure's `theory_sweep` (figures.model_size): a sweep whose t = inf theory covers every
    point the figure draws from its sweep(s) (same spectrum, M, teacher; their alpha, beta, P, noise
    and regimes among its own), so that the figure draws theory lines it need not compute."""
    from .grid import time_grid

    name, where = spec["theory_sweep"], f"{key}.theory_sweep"
    if name not in sweeps:
        raise InputError(where, name, "a sweep name: " + ", ".join(sorted(sweeps)), f"unknown sweep {name!r}")
    theory = sweeps[name]
    if not any(math.isinf(t) for t in time_grid(theory["times"])):
        raise InputError(f"sweeps.{name}.times", theory["times"], "times with t = inf: the figure draws t = inf")
    for drawn in names:
        sw = sweeps[drawn]
        for col in ("n_modes", "teacher", "spectrum_file"):
            if sw.get(col) != theory.get(col):
                raise InputError(
                    where, name, f"a sweep with {col} {sw.get(col)!r}, as sweep {drawn!r} (it has {theory.get(col)!r})"
                )
        wanted = {
            "alpha": sw.get("alpha", []),
            "beta": sw.get("beta", []),
            "n_samples": sw["n_samples"],
            "noise": [spec["noise"]] if "noise" in spec else sw["noise"],
            "regimes": spec.get("regimes", sw["regimes"]),
        }
        for col, values in wanted.items():
            have = theory.get(col, [])
            missing = [
                v
                for v in values
                if not any(v == h or (not isinstance(v, str) and math.isclose(v, h, rel_tol=1e-9)) for h in have)
            ]
            if missing:
                shown = ", ".join(map(str, missing[:5])) + (
                    f", ... ({len(missing)} in all)" if len(missing) > 5 else ""
                )
                raise InputError(where, name, f"a sweep whose {col} include [{shown}] (drawn from sweep {drawn!r})")


def _check_grid_size(cfg: dict) -> None:
    """Refuse grids whose DAG would be too large to schedule, before any job is planned."""
    from .grid import job_counts

    counts = job_counts(cfg)
    jobs = sum(counts.values())
    most = max(counts.items(), key=lambda item: item[1])
    if jobs > MAX_JOBS:
        raise InputError(
            "chunks.dmft_points",
            cfg["chunks"]["dmft_points"],
            f"a run of at most {MAX_JOBS} jobs (this config needs {jobs}, {most[0]} {most[1]} of them; raise "
            "chunks.dmft_points / chunks.sim_groups or shrink the sweeps, the atlas or the data sets)",
        )

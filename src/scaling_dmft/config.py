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

import yaml
from jsonschema import Draft202012Validator

from .errors import InputError
from .schema import config_schema
from .spectrum import read_spectrum_file

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

SWEEP_DEFAULT_KEYS = ("n_modes", "teacher", "times")


# The workflow's reserved run names: results/<name>/ belongs to the `paper` / `validate` target and
# its config file config/<name>.yaml; no other config may take the name (it would overwrite them).
RESERVED_RUN_NAMES = ("paper", "validate")
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]


# online SGD is simulated mode by mode: a bound on M keeps a seed's cost at B M per step
SGD_SIMULATION_MODES = 100000


def reserved_run_file(name: str) -> Path:
    """The one config file allowed to use the reserved run name `name`."""
    return REPOSITORY_ROOT / "config" / f"{name}.yaml"


# Names that become file names, wildcards and table values: the whole string must match.
# (the schema's patterns without their anchors; the workflow's wildcard constraints use these too)
RUN_NAME_PATTERN = re.compile(config_schema()["properties"]["run_name"]["pattern"].strip("^$"))
IDENTIFIER_PATTERN = re.compile(config_schema()["$defs"]["identifier"]["pattern"].strip("^$"))
# A config is a few hundred values; more nodes than this (after YAML alias expansion) is a mistake
# or an alias bomb, refused before anything walks it.
MAX_CONFIG_NODES = 100_000
# Largest workflow DAG we accept: jobs (DMFT + simulation chunks) of one run.
MAX_JOBS = 20_000
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
    return validate_config(load_yaml(path), base_dir=Path(path).resolve().parent, files=[path])


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
    if error.context:  # anyOf/oneOf: report the best sub-error but keep the outer description
        best = min(error.context, key=lambda e: len(list(e.absolute_path)))
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
        sweep.setdefault("seeds", cfg["simulation"]["seeds"])
        _check_sweep(name, sweep, names, cfg, base)
    _check_figures(cfg)
    _check_atlas(cfg)
    _check_data(cfg, base)
    _check_grid_size(cfg)
    return cfg


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
                "a full-batch regime (no batch_size): online SGD is at P = N = inf, with no model size to choose",
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


def _check_data(cfg: dict, base: Path) -> None:
    """The `data:` entries (docs/theory/data.md): one source, known kernel, P < n, ReLU features only
    with the relu_nngp kernel, regimes that train (gf, gf_wd, langevin) in our units."""
    from .data import DATASETS, KERNELS, count_points

    regimes = {r["name"]: r for r in cfg["regimes"]}
    trained = sorted(
        n
        for n, r in regimes.items()
        if r["kind"] != "bayes" and r.get("units") != "paper" and not r.get("learning_rate", 0.0) > 0
    )
    for name, entry in cfg.get("data", {}).items():
        key = f"data.{name}"
        if ("dataset" in entry) == ("file" in entry):
            raise InputError(f"{key}.dataset", entry.get("dataset"), "exactly one of dataset and file")
        if "dataset" in entry:
            if entry["dataset"] not in DATASETS:
                raise InputError(f"{key}.dataset", entry["dataset"], " | ".join(DATASETS))
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
        if entry["kernel"] not in KERNELS:
            raise InputError(f"{key}.kernel", entry["kernel"], " | ".join(KERNELS))
        try:
            n = count_points(entry)
        except InputError as err:
            raise InputError(
                f"{key}.{'labels' if err.key == '--labels' else 'file'}", err.value, err.allowed, err.problem
            ) from None
        too_big = [p for p in entry["n_samples"] if p >= n]
        if too_big:
            raise InputError(f"{key}.n_samples", too_big[0], f"P < n = {n} (the held-out set must not be empty)")
        widths = [w for w in entry["n_features"] if not math.isinf(w)]
        if widths and entry["kernel"] != "relu_nngp":
            raise InputError(
                f"{key}.n_features", widths[0], ".inf only: finite N are random ReLU features (kernel relu_nngp)"
            )
        for i, regime in enumerate(entry["regimes"]):
            if regime not in trained:
                raise InputError(
                    f"{key}.regimes[{i}]",
                    regime,
                    "one of " + ", ".join(trained) + " (gradient flow, not bayes, our units)",
                )
        entry.setdefault("times", copy.deepcopy(cfg["times"]))
        _check_times(f"{key}.times", entry["times"])


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
            raise InputError(f"{key}.batch_size", r["batch_size"], "online SGD needs learning_rate > 0 and momentum 0")
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


def _check_times(key: str, times: dict) -> None:
    if times["stop"] < times["start"]:
        raise InputError(f"{key}.stop", times["stop"], f"stop >= start = {times['start']}")
    if times["stop"] == times["start"] and times["count"] != 1:
        raise InputError(f"{key}.count", times["count"], "1 when start == stop")
    if times["stop"] > times["start"] and times["count"] < 2:
        raise InputError(f"{key}.count", times["count"], "count >= 2 when stop > start")


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
        if "batch_size" in cfg_regime(cfg, regime) and not any(math.isinf(p) for p in sweep["n_samples"]):
            _check_multipass(key, regime, cfg_regime(cfg, regime), sweep)
        elif "batch_size" in cfg_regime(cfg, regime):
            for which in ("n_samples", "n_features"):
                if any(not math.isinf(v) for v in sweep[which]):
                    raise InputError(f"{key}.{which}", sweep[which], f"[.inf] with the online SGD regime {regime!r}")
            if sweep.get("simulate") and sweep["n_modes"] > SGD_SIMULATION_MODES:
                raise InputError(
                    f"{key}.n_modes",
                    sweep["n_modes"],
                    f"<= {SGD_SIMULATION_MODES} to simulate online SGD (every mode is stepped)",
                )
    _check_times(f"{key}.times", sweep["times"])
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
    online = all("batch_size" in cfg_regime(cfg, r) for r in sweep["regimes"])
    if sweep["simulate"] and not online:  # online SGD draws fresh samples: P = inf is what it simulates
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
        from .simulate import MAX_SPECTRAL_CONDITION, memory_estimate_bytes

        budget = cfg["simulation"]["max_memory_gb"]
        need = max(
            memory_estimate_bytes(
                sweep["n_modes"], n, p, sweep["seeds"], len(sweep["regimes"]), sweep["times"]["count"] + 1
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


# multi-pass SGD is simulated step by step (B P per step and trajectory): a bound on the steps of a seed
SGD_SIMULATION_STEPS = 10**6


def _check_multipass(key: str, name: str, regime: dict, sweep: dict) -> None:
    """A multi-pass SGD regime (batch_size at finite P, docs/theory/sgd.md): B <= P for every P; to
    simulate, at most SGD_SIMULATION_STEPS steps."""
    if regime["temperature"] > 0:
        raise InputError(
            f"regimes.{name}.temperature", regime["temperature"], "0 for multi-pass SGD (no Langevin noise)"
        )
    smallest = min(sweep["n_samples"])
    if regime["batch_size"] > smallest:
        raise InputError(
            f"{key}.n_samples", sweep["n_samples"], f"every P >= batch_size = {regime['batch_size']} of regime {name!r}"
        )
    steps = sweep["times"]["stop"] / regime["learning_rate"]
    if sweep.get("simulate") and steps > SGD_SIMULATION_STEPS:
        raise InputError(
            f"{key}.times.stop",
            sweep["times"]["stop"],
            f"<= {SGD_SIMULATION_STEPS * regime['learning_rate']:g} (at most {SGD_SIMULATION_STEPS:g} steps of the "
            f"regime {name!r} to simulate multi-pass SGD)",
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


def _check_grid_size(cfg: dict) -> None:
    """Refuse grids whose DAG would be too large to schedule, before any job is planned."""
    from .grid import count_jobs

    jobs = count_jobs(cfg)
    if jobs > MAX_JOBS:
        raise InputError(
            "chunks.dmft_points",
            cfg["chunks"]["dmft_points"],
            f"a grid of at most {MAX_JOBS} jobs (this config needs {jobs}; raise chunks.dmft_points / chunks.sim_groups or shrink the sweeps)",
        )

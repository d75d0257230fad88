"""Command line for single queries: `python -m scaling_dmft simulate|dmft|frontier|spectrum|check-config ...`.

`simulate` and `dmft` take the same flags and write the same curve table (method `sim` or
`dmft`), so theory and simulation tables concatenate. Invalid input prints one line naming
the flag, the value and the allowed range, exits with status 2 and writes no file.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import functools
import io
import math
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .about import VERSION
from .api import COMPUTE_MAX, size_range
from .errors import InputError, NumericalError, one_line
from .points import DEFAULT_N_FEATURES, DEFAULT_N_MODES, DEFAULT_N_SAMPLES, OPTIMIZERS, Optimizer, Point
from .schema import Range, config_schema, enum, number_range

if TYPE_CHECKING:
    import pandas as pd

EXIT_INPUT = 2
EXIT_NUMERICAL = 3
EXIT_OUTPUT = 4  # the result was computed but could not be written (disk full, broken pipe)


class OutputError(Exception):
    """The output could not be written after the compute: one line, exit status EXIT_OUTPUT."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.errno = code


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # no prefix matching: `frontier --features 512` is an unknown flag, not --features-range
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # one line, status 2, no usage dump
        sys.stderr.write(f"scaling-dmft: error: {message} (see --help)\n")
        sys.exit(EXIT_INPUT)


class _Once(argparse.Action):
    """Store a flag's value, refusing a second occurrence (argparse silently keeps the last), and
    remember the spelling used (messages name the flag as the user wrote it)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ):
        seen = getattr(namespace, "_given", set())
        if self.dest in seen:
            parser.error(f"{option_string} given twice")
        seen.add(self.dest)
        namespace._given = seen
        spelled = getattr(namespace, "_spelled", {})
        spelled[self.dest] = option_string
        namespace._spelled = spelled
        setattr(namespace, self.dest, values)


def _given(args: argparse.Namespace) -> set[str]:
    """The destinations of the `_Once` flags given on the command line (not their defaults)."""
    return getattr(args, "_given", set())


# The flags' ranges and names, read from the config schema (a query is a one-point config).
ALPHA = number_range("alpha_list", "alpha")
BETA = number_range("beta_list", "beta")
MODES = number_range("n_modes", "M")
SIZE = number_range("size", "N, P")
GAMMA = number_range("weight_decay", "gamma")
TEMPERATURE = number_range("temperature", "T")
NOISE = number_range("noise_level", "sigma")
INIT_STD = number_range("init_std", "sigma0")
LEARNING_RATE = number_range("learning_rate", "eta")
BATCH_SAMPLING = enum("batch_sampling")
MOMENTUM = number_range("momentum", "mu")
LR_FACTOR = number_range("lr_decay_factor", "F")
LR_STEPS = number_range("lr_decay_steps", "S")
LR_POWER = number_range("lr_decay_power", "P")
SCHEDULES = enum("lr_schedule")
SEEDS = number_range("seeds", "seeds")
TIME_STOP = number_range("time_range/properties/stop", "START")
TIME_COUNT = number_range("time_range/properties/count", "COUNT")
TEACHERS = enum("teacher")
REGIME_KINDS = enum("regime_kind")
BASE_SEED = number_range("base_seed", "base_seed")
_PROPERTIES = config_schema()["properties"]
_SIMULATION = _PROPERTIES["simulation"]["properties"]
MAX_MEMORY_GB = Range(
    "GB",
    float(_SIMULATION["max_memory_gb"]["exclusiveMinimum"]),
    True,
    float(_SIMULATION["max_memory_gb"]["maximum"]),
    False,
)
MAX_MODES = _SIMULATION["max_modes"]["default"]
# the workflow's defaults, as flag values (the one place they are written is the schema)
DEFAULT_SEEDS = str(_SIMULATION["seeds"]["default"])
DEFAULT_BASE_SEED = str(_SIMULATION["base_seed"]["default"])
DEFAULT_PILOT = _SIMULATION["pilot_seeds"]["default"]
DEFAULT_MAX_SEEDS = _SIMULATION["max_seeds"]["default"]
TARGET = number_range("target_rel_sem", "target")
DEFAULT_TIMES = "{start:g}:{stop:g}:{count}".format(**_PROPERTIES["times"]["default"]).replace("e+0", "e")
DEFAULT_MODES = str(DEFAULT_N_MODES)
DEFAULT_SAMPLES = f"{DEFAULT_N_SAMPLES:g}"
DEFAULT_FEATURES = f"{DEFAULT_N_FEATURES:g}"


# Plain decimal or scientific notation (no '1_5', hex, nan); 'inf' only where the flag allows it.
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _parse_number(flag: str, text: str, allowed: str, allow_inf: bool = False) -> float:
    word = text.strip()
    if allow_inf and word.lower() in ("inf", "infinity", "+inf"):
        return math.inf
    if not _NUMBER.fullmatch(word):
        raise InputError(flag, text, allowed)
    value = float(word) + 0.0  # + 0.0 turns -0.0 into 0.0
    if not math.isfinite(value):
        raise InputError(flag, text, allowed)
    return value


def _integer(flag: str, text: str, allowed: str, allow_inf: bool = False):
    value = _parse_number(flag, text, allowed, allow_inf)
    if math.isinf(value):
        return value
    if not value.is_integer():
        raise InputError(flag, text, allowed)
    return int(value)


def _times(text: str, include_inf: bool) -> dict:
    allowed = f"START:STOP:COUNT with {TIME_STOP.text}, START <= STOP and integer {TIME_COUNT.text} (COUNT >= 2 if STOP > START)"
    start, stop, count = _split_range("--times", text, allowed, with_count=True)  # bounds: validate_config
    return {"start": start, "stop": stop, "count": count, "include_inf": include_inf}


def _split_range(flag: str, text: str, allowed: str, with_count: bool) -> tuple:
    """The numbers of START:STOP[:COUNT] (COUNT an integer); no bounds checked here."""
    parts = text.split(":")
    if len(parts) != (3 if with_count else 2):
        raise InputError(flag, text, allowed)
    start, stop = (_parse_number(flag, part, allowed) for part in parts[:2])
    return (start, stop, _integer(flag, parts[2], allowed)) if with_count else (start, stop)


def _log_range(flag: str, text: str, low_open: float, high: float, with_count: bool) -> tuple:
    """START:STOP[:COUNT] with 0 < START <= STOP <= high (COUNT >= 1; >= 2 if STOP > START)."""
    bound = f"{high:.0e}".replace("e+", "e")  # 1e30, 1e15
    allowed = f"START:STOP{':COUNT' if with_count else ''} with {low_open:g} < START <= STOP <= {bound}" + (
        " and integer COUNT >= 1 (>= 2 if STOP > START)" if with_count else ""
    )
    values = _split_range(flag, text, allowed, with_count)
    start, stop = values[:2]
    if not (low_open < start <= stop <= high):
        raise InputError(flag, text, allowed)
    if not with_count:
        return values
    count = values[2]
    if count < 1 or (stop > start and count < 2) or (stop == start and count != 1) or count > TIME_COUNT.high:
        raise InputError(flag, text, allowed + f", COUNT <= {TIME_COUNT.high:g}")
    from .config import check_distinct_grid

    check_distinct_grid(flag, start, stop, count)
    return start, stop, count


EXAMPLES = {
    "dmft": "example:\n  scaling-dmft dmft --alpha 2 --beta 3 --n-samples 256 --n-features 512 --weight-decay 1e-3 \\\n"
    "      --noise 0.5 --times 0.1:1e6:30 --include-inf --out theory.parquet\n"
    "  scaling-dmft dmft --spectrum-file my_spectrum.csv --n-samples 1000",
    "frontier": "example:\n  scaling-dmft frontier --alpha 2 --beta 2.5 --n-modes 1e12 --n-samples inf \\\n"
    "      --compute 1e7:1e11:17 --out frontier.csv",
    "simulate": "example:\n  scaling-dmft simulate --alpha 2 --beta 3 --n-samples 256 --n-features 512 --weight-decay 1e-3 \\\n"
    "      --noise 0.5 --times 0.1:1e6:30 --include-inf --seeds 64 --out sim.csv",
}
OUT_HELP = (
    "output file: .parquet (the table with provenance metadata) or .csv, or - for CSV on standard output; "
    "checked writable before computing, written atomically (default: a readable summary on standard output)"
)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="scaling-dmft", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"scaling-dmft {VERSION}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, help_text in (
        ("simulate", "seed-averaged exact simulation (closed-form Ornstein-Uhlenbeck, one eigh per seed)"),
        ("dmft", "deterministic DMFT theory (no random numbers)"),
        (
            "frontier",
            "compute-optimal frontier from the DMFT: for each budget C = N t, the model size N* that "
            "minimises E_g(N, C/N), with t* = C/N* and E*",
        ),
    ):
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text + ". Flags are the workflow config's keys (config/README.md), with their "
            "ranges and defaults; the older spellings (--samples, --features, --modes, --seed) still work.",
            epilog=EXAMPLES[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add = functools.partial(p.add_argument, action=_Once)
        add(
            "--alpha",
            default=None,
            help=f"spectral exponent: lambda_k = k^-alpha; {ALPHA.text} (needed without --spectrum-file)",
        )
        add(
            "--beta",
            default=None,
            help=f"target exponent: c_k = lambda_k w*_k^2 = k^-beta; {BETA.text} (needed without --spectrum-file)",
        )
        add(
            "--n-modes",
            "--modes",
            dest="n_modes",
            default=DEFAULT_MODES,
            help=f"number of modes M (truncation); integer {MODES.text}, <= simulation.max_modes = {MAX_MODES:g} to simulate (default {DEFAULT_MODES})",
        )
        add(
            "--teacher",
            default=TEACHERS[0],
            help=" | ".join(TEACHERS) + f": deterministic w*, or w* drawn from the prior (default {TEACHERS[0]})",
        )
        add(
            "--spectrum-file",
            default=None,
            help="read lambda_k and c_k from a .parquet/.csv with columns eigenvalue, target_power (replaces --alpha/--beta/--n-modes)",
        )
        if name != "frontier":  # the frontier chooses N
            add(
                "--n-features",
                "--features",
                dest="n_features",
                default=DEFAULT_FEATURES,
                help=f"number of random features N: positive integer, or inf for the kernel limit (default {DEFAULT_FEATURES})",
            )
        samples_help = "number of training samples P: positive integer" + (
            ", or inf (population loss)" if name != "simulate" else ""
        )
        add(
            "--n-samples",
            "--samples",
            dest="n_samples",
            default=None,
            help=samples_help + f" (default {DEFAULT_SAMPLES})",
        )
        add("--weight-decay", default="0", help=f"weight decay {GAMMA.text} (default 0)")
        add("--temperature", default="0", help=f"Langevin temperature {TEMPERATURE.text} (default 0)")
        add("--noise", default="0", help=f"label-noise standard deviation {NOISE.text} (default 0)")
        add(
            "--learning-rate",
            default="0",
            help=f"eta {LEARNING_RATE.text}: 0 = gradient flow (default); eta > 0 = full-batch gradient descent, "
            "times rounded to whole steps, t = eta k (docs/theory/discrete.md)",
        )
        add(
            "--momentum",
            default="0",
            help=f"heavy-ball momentum {MOMENTUM.text} (needs --learning-rate; default 0)",
        )
        if name != "frontier":  # online SGD: the frontier chooses N at fixed B = full batch
            add(
                "--batch-size",
                default=None,
                help="B: mini-batch SGD with B samples per step (needs --learning-rate): online with fresh samples "
                "at --n-samples inf (--n-features inf or N < --n-modes; docs/theory/discrete.md section 5), "
                "multi-pass over the P samples at a finite --n-samples, B <= P (docs/theory/sgd.md)",
            )
            add(
                "--batch-sampling",
                default=None,
                choices=BATCH_SAMPLING,
                help="multi-pass SGD: " + " | ".join(BATCH_SAMPLING) + ": B indices i.i.d. every step (default; "
                "the theory's), or a reshuffle every epoch (simulation only; the theory flags no_theory)",
            )
            add(
                "--lr-schedule",
                default=None,
                choices=SCHEDULES,
                help="online SGD's learning-rate schedule: constant (default) | step (--lr-decay-factor F every "
                "--lr-decay-steps S steps) | power (eta (1 + k/S)^-P, --lr-decay-power P); t = eta k, eta the base rate",
            )
            add("--lr-decay-factor", default=None, help=f"step schedule: factor of each drop, {LR_FACTOR.text}")
            add(
                "--lr-decay-steps",
                default=None,
                help=f"step schedule: steps between drops; power: the scale K0; {LR_STEPS.text}",
            )
            add("--lr-decay-power", default=None, help=f"power schedule: the exponent, {LR_POWER.text}")
        add(
            "--optimizer",
            default=None,
            choices=OPTIMIZERS if name != "frontier" else [o for o in OPTIMIZERS if o != "sgd"],
            help="gf | gd | momentum"
            + (" | sgd" if name != "frontier" else "")
            + "; checked against the flags (default: from them)",
        )
        add(
            "--init-std",
            default="0",
            help=f"initialisation std {INIT_STD.text}, or 'prior' for sigma0^2 = T/gamma (needs gamma, T > 0) (default 0)",
        )
        add(
            "--regime",
            default=None,
            help=" | ".join(REGIME_KINDS)
            + " (default: from gamma and T; bayes = the t = inf posterior, needs gamma, T > 0)",
        )
        if name == "frontier":
            _add_frontier_flags(p, add)
        else:
            add(
                "--times",
                default=DEFAULT_TIMES,
                help=f"log-spaced times START:STOP:COUNT, both ends included; {TIME_STOP.text}, START <= STOP, {TIME_COUNT.text} (default {DEFAULT_TIMES})",
            )
            p.add_argument(
                "--include-inf",
                action="store_true",
                help="also report t = infinity (ridge / ridgeless / posterior limit)",
            )
        if name == "simulate":
            add(
                "--seeds",
                default=None,
                help=f"number of independent draws of data and features; integer {SEEDS.text} (default {DEFAULT_SEEDS}); "
                "not with --target-rel-sem",
            )
            add(
                "--target-rel-sem",
                default=None,
                help=f"draw as many seeds as a pilot of {DEFAULT_PILOT} says the point needs for this relative "
                f"standard error of E_g (its largest over the times), {TARGET.text}; rows that end above it are "
                "flagged imprecise (docs/reliability.md)",
            )
            add(
                "--max-seeds",
                default=None,
                help=f"with --target-rel-sem: the most seeds drawn, integer 2..1e6 (default {DEFAULT_MAX_SEEDS})",
            )
            add(
                "--base-seed",
                "--seed",
                dest="base_seed",
                default=DEFAULT_BASE_SEED,
                help=f"base seed, integer {BASE_SEED.text}; seeds derive from it and the parameter point (default {DEFAULT_BASE_SEED})",
            )
        add(
            "--threads",
            default="1",
            help="BLAS threads, 1..1024 (default 1); pinned whatever OMP_NUM_THREADS says. "
            "Results agree across thread counts to ~1e-11 relative, bitwise at a fixed count",
        )
        add("--out", default=None, help=OUT_HELP)
    _add_spectrum_parser(sub)
    check = sub.add_parser("check-config", help="validate a workflow config file and print a summary")
    check.add_argument("configfile")
    return parser


def _add_frontier_flags(p: argparse.ArgumentParser, add: Callable[..., Any]) -> None:
    from .frontier import (
        COMPUTE_MODELS,
        DEFAULT_GAMMA_RANGE,
        DEFAULT_N_RANGE,
        DEFAULT_P_RANGE,
        OUTER_PER_DECADE,
        POINTS_PER_DECADE,
    )

    add(
        "--compute",
        required=True,
        help=f"log-spaced budgets C = N t (N P t with NPT), START:STOP:COUNT, both ends included; 0 < START <= STOP <= {COMPUTE_MAX:g}",
    )
    n_range = ":".join(f"{v:g}" for v in DEFAULT_N_RANGE)
    p_range = ":".join(f"{v:g}" for v in DEFAULT_P_RANGE)
    g_range = ":".join(f"{v:g}" for v in DEFAULT_GAMMA_RANGE)
    add(
        "--n-features-range",
        "--features-range",
        dest="features_range",
        default=n_range,
        help=f"the model sizes searched, N_MIN:N_MAX (log grid, {POINTS_PER_DECADE} per decade, then "
        f"refined); an optimum at an end is flagged edge (default {n_range})",
    )
    add(
        "--compute-model",
        default=COMPUTE_MODELS[0],
        choices=COMPUTE_MODELS,
        help="NT: C = N t at the fixed P of --n-samples (inf allowed); NPT: C = N P t (full-batch), "
        "P chosen from --n-samples-range too (default NT)",
    )
    add(
        "--n-samples-range",
        "--samples-range",
        dest="samples_range",
        default=p_range,
        help=f"NPT only: the sample sizes searched, P_MIN:P_MAX (log grid, {OUTER_PER_DECADE} per decade, "
        f"then refined) (default {p_range})",
    )
    p.add_argument(
        "--tune-weight-decay",
        action="store_true",
        help=f"choose gamma per budget too, from 0 and {g_range} ({OUTER_PER_DECADE} per decade, then "
        "refined); needs --weight-decay 0",
    )
    # the one-point query a frontier stands for: N and t are the frontier's to choose
    p.set_defaults(n_features="inf", times="1:1:1", include_inf=False)


# Config key (the API's keyword) -> the flag that sets it, where the two are not the same word.
_FLAG_OF_KEY = {
    "regime": "--regime",
    "spectrum": "--spectrum-file",
    "times": "--times",
    "max_modes": "--n-modes",
    "compute": "--compute",  # the frontier's budgets (frontier.check_feasible)
}


def _flag_error(err: InputError, args: argparse.Namespace) -> InputError:
    """The same message with the keyword (api._leaf of a config key path) replaced by the flag that
    set it, as the user spelled it."""
    spelled = getattr(args, "_spelled", {})
    if err.key.startswith("--"):  # a flag already: the spelling the user gave, where it differs
        dest = err.key[2:].replace("-", "_")
        return InputError(spelled[dest], err.value, err.allowed, err.problem) if dest in spelled else err
    match = re.fullmatch(r"(\w+)(.*)", err.key)
    leaf, column = match.groups() if match else (err.key, "")
    flag = spelled.get(leaf) or _FLAG_OF_KEY.get(leaf) or "--" + leaf.replace("_", "-")
    if leaf not in vars(args) and leaf not in _FLAG_OF_KEY:
        return err
    return InputError(flag + column, err.value, err.allowed, err.problem)


def query_values(args: argparse.Namespace) -> dict:
    """The keywords of the query (scaling_dmft.api.query_config) that a `dmft` / `simulate` /
    `frontier` command line stands for: flags parsed as numbers, the rest checked by the one
    validation of configs and API calls."""
    values: dict[str, Any] = {
        "weight_decay": _parse_number("--weight-decay", args.weight_decay, "a number " + GAMMA.text),
        "temperature": _parse_number("--temperature", args.temperature, "a number " + TEMPERATURE.text),
        "noise": _parse_number("--noise", args.noise, "a number " + NOISE.text),
        "learning_rate": _parse_number("--learning-rate", args.learning_rate, "a number " + LEARNING_RATE.text),
        "momentum": _parse_number("--momentum", args.momentum, "a number " + MOMENTUM.text),
        "regime": args.regime,
    }
    init = args.init_std.strip().lower()
    values["init_std"] = (
        "prior"
        if init == "prior"
        else _parse_number("--init-std", args.init_std, f"a number {INIT_STD.text}, or prior")
    )
    if getattr(args, "batch_size", None) is not None:  # frontier has no --batch-size
        values["batch_size"] = _integer("--batch-size", args.batch_size, "an integer B >= 1")
        if args.include_inf:
            raise InputError("--include-inf", True, "absent with --batch-size (SGD reports finite steps only)")
    if getattr(args, "batch_sampling", None) is not None:
        values["batch_sampling"] = args.batch_sampling
    if getattr(args, "lr_schedule", None) is not None:
        values["lr_schedule"] = args.lr_schedule
    for flag, key, text in (
        ("--lr-decay-factor", "lr_decay_factor", LR_FACTOR.text),
        ("--lr-decay-steps", "lr_decay_steps", LR_STEPS.text),
        ("--lr-decay-power", "lr_decay_power", LR_POWER.text),
    ):
        if getattr(args, key, None) is not None:
            values[key] = _parse_number(flag, getattr(args, key), "a number " + text)
    implied = (
        Optimizer(values["learning_rate"], values["momentum"], values.get("batch_size", math.inf)).kind
        if values["learning_rate"] >= 0 and 0 <= values["momentum"] < 1
        else None
    )
    if args.optimizer is not None and implied is not None and args.optimizer != implied:
        needs = {
            "gf": "--learning-rate 0",
            "gd": "--learning-rate > 0 and no --momentum or --batch-size",
            "momentum": "--learning-rate > 0 and --momentum > 0",
            "sgd": "--learning-rate > 0 and --batch-size",
        }
        raise InputError("--optimizer", args.optimizer, needs[args.optimizer], f"the other flags make it {implied}")
    size = "a positive integer{} (" + SIZE.text + ")"
    values["n_features"] = _integer("--n-features", args.n_features, size.format(" or inf"), allow_inf=True)
    if args.n_samples is not None:
        values["n_samples"] = _integer(
            "--n-samples", args.n_samples, size.format(" or inf" if args.command != "simulate" else ""), allow_inf=True
        )
    if args.command == "frontier":
        from .api import frontier_query_times

        values["times"] = frontier_query_times(values.get("learning_rate"))
    else:
        values["times"] = _times(args.times, bool(args.include_inf))
    if args.spectrum_file:
        for dest in ("alpha", "beta", "n_modes", "teacher"):
            if dest in _given(args):
                raise InputError(
                    args._spelled[dest],
                    getattr(args, dest),
                    "absent with --spectrum-file (the file gives the spectrum)",
                )
        values["spectrum"] = str(Path(args.spectrum_file).resolve())
    else:
        for key, flag, number_range_ in (("alpha", "--alpha", ALPHA), ("beta", "--beta", BETA)):
            text = getattr(args, key)
            if text is None:
                raise InputError(flag, None, "a number " + number_range_.text + " (or --spectrum-file)", "required")
            values[key] = _parse_number(flag, text, "a number " + number_range_.text)
        values["n_modes"] = _integer("--n-modes", args.n_modes, "an integer " + MODES.text)
        values["teacher"] = args.teacher
    if args.command == "simulate":
        if args.seeds is not None:
            values["seeds"] = _integer("--seeds", args.seeds, "an integer " + SEEDS.text)
        if args.target_rel_sem is not None:
            values["target_rel_sem"] = _parse_number("--target-rel-sem", args.target_rel_sem, "a number " + TARGET.text)
        if args.max_seeds is not None:
            values["max_seeds"] = _integer("--max-seeds", args.max_seeds, "an integer 2..1e6")
        values["base_seed"] = _integer("--base-seed", args.base_seed, "an integer " + BASE_SEED.text)
    return values


def query_from_args(args: argparse.Namespace) -> tuple[dict, Point]:
    """(validated one-point config, its parameter point) of a `dmft` / `simulate` / `frontier` query:
    the same builder and validation as the Python API (api.query_point)."""
    from .api import query_point

    try:
        return query_point("cli", query_values(args), simulate=args.command == "simulate")
    except InputError as err:
        raise _flag_error(err, args) from None


def check_output(out: str | None, inputs: Mapping[str, str | os.PathLike[str] | None] | None = None) -> None:
    """Refuse an --out that cannot be written, or that is one of the inputs (flag -> path; the message
    names the flag), before any compute: the same temporary file the atomic writer uses is created
    and removed in its folder."""
    from .tables import check_writable

    if out is None or out == "-":
        return  # a summary or CSV on standard output
    path = Path(out)
    if path.suffix not in (".parquet", ".csv"):
        raise InputError("--out", out, "a path ending in .parquet or .csv, or - for CSV on standard output")
    for flag, source in (inputs or {}).items():
        if source and os.path.realpath(path) == os.path.realpath(source):  # realpath: a link loop is no error
            raise InputError("--out", out, f"a file other than the input {flag} (it would be overwritten)")
    if len(os.fsencode(path.name)) > 200:  # the atomic writer's temporary name adds ~20 bytes to it
        raise InputError("--out", out[:60] + "...", "a file name of at most 200 bytes")
    if path.is_dir():
        raise InputError("--out", out, "a file path, not a directory")
    parent = path.parent
    if not parent.is_dir():
        raise InputError("--out", out, "a path in an existing folder", f"{parent} is not an existing folder")
    try:
        check_writable(path)
    except OSError as exc:
        raise InputError("--out", out, "a writable path", f"cannot write in {parent}: {exc.strerror or exc}") from None


LABEL_SEMANTICS = (
    "float labels are real targets, used as given; integer, bool and string labels are classes "
    "(one +-1 target per class, one for two classes); complex labels are refused"
)


def _add_spectrum_parser(sub: argparse._SubParsersAction) -> None:
    from .data import DATASETS
    from .features import ROUTES
    from .kernels import DEPTH, KERNELS

    text = "the spectrum of a data set: lambda_k of K/n and c_k = (v_k . y)^2 / n (docs/theory/data.md)"
    p = sub.add_parser(
        "spectrum",
        help=text,
        description=text
        + "; writes a spectrum file for --spectrum-file and prints fitted alpha, beta. Labels: "
        + LABEL_SEMANTICS
        + ". The memory a run needs is estimated and checked before any file is loaded.",
        epilog="example:\n  python -m scaling_dmft spectrum --data digits.npz --kernel relu_nngp --out digits.parquet\n"
        "  python -m scaling_dmft spectrum --dataset digits --sphere --kernel relu_ntk --depth 3 --out ntk3.parquet\n"
        "  python -m scaling_dmft spectrum --gram K.npy --labels y.npy --out mine.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = functools.partial(p.add_argument, action=_Once)
    add("--data", default=None, help="inputs: .npz (X, y), .npy (X), or .parquet/.csv (label column y)")
    add("--gram", default=None, help="a precomputed n x n Gram matrix (.npy), instead of --data")
    add(
        "--dataset",
        default=None,
        choices=tuple(DATASETS),
        help="an example data set bundled with an installed package, instead of --data (it has its labels)",
    )
    add(
        "--labels",
        default=None,
        help="labels (.npy of n values), where the data file has none; needed with --gram. " + LABEL_SEMANTICS,
    )
    add("--kernel", default="relu_nngp", choices=KERNELS, help="kernel of --data (default relu_nngp)")
    add(
        "--depth",
        type=int,
        default=None,
        help=f"hidden layers L of a network kernel (relu_*, erf_*; docs/theory/kernels.md), {DEPTH.text} "
        "(default 1; relu_nngp at depth 1 is the original ReLU kernel)",
    )
    p.add_argument(
        "--no-standardise",
        action="store_true",
        help="keep the inputs as they are (default: zero mean, unit variance per feature)",
    )
    p.add_argument(
        "--sphere",
        action="store_true",
        help="then rescale every input to |x| = sqrt(d) (removes the per-point norm; docs/theory/data.md)",
    )
    add(
        "--modes",
        type=int,
        default=None,
        help="compute only the top MODES of K/n, by a randomised solver, plus a power-law tail "
        "(for n beyond ~1e4; default: all modes, one dense eigh)",
    )
    add(
        "--route",
        default="dense",
        choices=ROUTES,
        help="dense: eigendecompose the n x n Gram (n up to ~2e4); relu_features: --width N random ReLU features "
        "(kernel relu_nngp), nystrom: the kernel's Nystrom map with --width m landmarks; both streamed over "
        "the points, O(n width^2) time and O(width^2) memory (n up to 1e6) (default dense)",
    )
    add("--width", default=None, help="N features (relu_features) or m landmarks (nystrom), an integer 1..1e5")
    add(
        "--seed",
        default="0",
        help=f"seed of the one draw of the route's features (ReLU weights, landmarks); integer {BASE_SEED.text} (default 0)",
    )
    add(
        "--max-memory-gb",
        default=f"{_SIMULATION['max_memory_gb']['default']:g}",
        help=f"the memory this run may use, {MAX_MEMORY_GB.text} (default: the config's simulation.max_memory_gb "
        f"default, {_SIMULATION['max_memory_gb']['default']:g}); checked before any file is loaded",
    )
    add("--out", required=True, help="output spectrum file (.parquet or .csv)")


def _spectrum_size(args: argparse.Namespace, source: str, budget: float) -> None:
    """The run's memory against --max-memory-gb from the sizes alone (a file's header; nothing loaded)."""
    from .data import (
        DATASETS,
        check_memory,
        data_shape,
        dense_spectrum_cost,
        feature_spectrum_cost,
        gram_size,
        top_spectrum_cost,
    )

    if args.gram is not None:
        n, d = gram_size(args.gram), 0
    elif args.dataset is not None:
        n, d = DATASETS[args.dataset].n, DATASETS[args.dataset].d
    else:
        n, d = data_shape(args.data)
    if args.route == "nystrom" and args.width > n:
        raise InputError("--width", args.width, f"at most n = {n} landmarks (drawn from the points)")
    if args.route != "dense":
        cost = feature_spectrum_cost(n, d, 1, args.route, args.width)
        what, hint = (
            f"the {args.route} spectrum of width {args.width} on n = {n} points",
            "--max-memory-gb; a smaller --width",
        )
        source = "--width"
    elif args.modes is not None:
        cost, what = top_spectrum_cost(n, d, 1, args.modes), f"the top {args.modes} modes of n = {n} points"
        hint = "--max-memory-gb; fewer --modes"
    else:
        cost, what = dense_spectrum_cost(n, d, 1), f"the dense spectrum of n = {n} points"
        hint = "--max-memory-gb; the dense spectrum holds two n x n arrays" + (
            "" if args.gram is not None else "; --route relu_features or nystrom streams the points"
        )
    check_memory(cost, budget, source, args.width if source == "--width" else n, what, hint)


def _run_spectrum(args: argparse.Namespace) -> int:
    """`spectrum`: checks (sources, flags that would mean nothing, files, memory) before loading;
    every message names a flag that was given."""
    try:
        return _spectrum(args)
    except InputError as err:
        # the inputs of a bundled data set were not given as --data: name the flag that was
        if err.key == "--data" and args.dataset is not None:
            raise InputError("--dataset", args.dataset, err.allowed, err.problem) from None
        raise
    except MemoryError:
        raise InputError(
            "--max-memory-gb", args.max_memory_gb, "a budget this machine has", "ran out of memory"
        ) from None


def _spectrum(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from . import tables
    from .data import (
        INPUT_SUFFIXES,
        EmpiricalSpectrum,
        check_input_file,
        empirical_spectrum,
        feature_spectrum,
        fitted_exponents,
        gram_matrix,
        load_data,
        load_dataset,
        load_gram,
        load_labels,
        n_targets,
        prepare_inputs,
        top_spectrum,
    )
    from .kernels import check_kernel
    from .spectra import spectrum_from_arrays

    given = getattr(args, "_given", set()) | {f for f in ("no_standardise", "sphere") if getattr(args, f)}
    sources = [f for f in ("data", "gram", "dataset") if getattr(args, f) is not None]
    one_of = "exactly one of --data FILE, --gram K.npy and --dataset NAME"
    if not sources:
        raise InputError("spectrum", None, one_of, "no input given")
    if len(sources) > 1:
        raise InputError(
            f"--{sources[1]}", getattr(args, sources[1]), one_of, f"--{sources[0]} and --{sources[1]} both given"
        )
    source = f"--{sources[0]}"
    if args.dataset is not None and args.labels is not None:
        raise InputError("--labels", args.labels, "absent with --dataset (a bundled data set has its labels)")
    if args.gram is not None:
        if args.labels is None:
            raise InputError("--labels", None, "a .npy of n labels (needed with --gram)", "no labels given")
        for dest, flag, why in (
            ("kernel", "--kernel", "the Gram matrix is its kernel"),
            ("no_standardise", "--no-standardise", "there are no inputs to keep as they are"),
            ("sphere", "--sphere", "there are no inputs to rescale"),
            ("modes", "--modes", "the Gram matrix is given whole"),
            ("depth", "--depth", "the Gram matrix is given whole"),
        ):
            if dest in given:
                raise InputError(flag, getattr(args, dest), f"absent with --gram ({why})")
    depth = check_kernel(args.kernel, 1 if args.depth is None else args.depth)
    _check_route(args, given)
    budget = _parse_number("--max-memory-gb", args.max_memory_gb, "a number " + MAX_MEMORY_GB.text)
    if not MAX_MEMORY_GB.contains(budget):
        raise InputError("--max-memory-gb", args.max_memory_gb, MAX_MEMORY_GB.text)
    files = {"--data": args.data, "--gram": args.gram, "--labels": args.labels}
    for flag, path in files.items():  # regular, readable files of their kind, before anything opens them
        if path is not None:
            check_input_file(path, flag, INPUT_SUFFIXES[flag])
    if args.out == "-":
        raise InputError("--out", "-", "a .parquet or .csv path (spectrum writes a file, not standard output)")
    check_output(args.out, inputs=files)
    _spectrum_size(args, source, budget)  # before anything is loaded
    tolerance = None
    if args.gram is not None:
        gram, tolerance = load_gram(args.gram)
        y = load_labels(args.labels, gram.shape[0])
    else:
        x, y = load_dataset(args.dataset) if args.dataset else load_data(args.data, args.labels)
        x = prepare_inputs(x, standardise_inputs=not args.no_standardise, sphere=args.sphere)
    if n_targets(y) > 1:  # many classes: the targets (n x classes) may change the estimate
        _spectrum_size_targets(args, source, budget, y)
    if args.route != "dense":
        import numpy as np

        seed = np.random.SeedSequence(args.seed)
        spec, _ = feature_spectrum(x, y, route=args.route, kernel=args.kernel, width=args.width, seed=seed, depth=depth)
        computed = spec.eigenvalues.size
    elif args.modes is not None:
        spec, computed = top_spectrum(x, y, args.kernel, args.modes, depth=depth)
    elif args.gram is not None:
        spec = empirical_spectrum(gram, y, flag="--gram", psd_tolerance=tolerance, overwrite=True)
        computed = spec.eigenvalues.size
    else:
        spec = empirical_spectrum(gram_matrix(x, args.kernel, depth=depth), y, flag=source, overwrite=True)
        computed = spec.eigenvalues.size
    # the exponents are fitted on the computed modes only (the tail is itself a power law)
    fits = fitted_exponents(
        EmpiricalSpectrum(spec.eigenvalues[:computed], spec.target_power[:computed], 0.0, spec.n_points, 1)
    )
    frame = pd.DataFrame(
        {
            "k": np.arange(1, spec.eigenvalues.size + 1),
            "eigenvalue": spec.eigenvalues,
            "target_power": spec.target_power,
        }
    )
    # what is written must be a spectrum file the theory reads (spectrum.read_spectrum_file)
    try:
        spectrum_from_arrays(frame, key=source)
    except InputError as err:
        raise InputError(
            source,
            err.value,
            err.allowed,
            f"its spectrum would not be a valid spectrum file: {err.problem or err.value}",
        ) from None
    meta = {
        "source": str(args.gram or args.data or f"bundled {args.dataset}"),
        "kernel": "gram" if args.gram else args.kernel,
        "depth": "" if args.gram else str(depth),
        "standardised": str(not args.no_standardise and not args.gram),
        "sphere": str(args.sphere and not args.gram),
        "route": args.route,
        "width": str(args.width or ""),
        "seed": str(args.seed) if args.route != "dense" else "",
        "computed_modes": str(computed),
        "n_points": str(spec.n_points),
        "n_targets": str(spec.n_targets),
        "unlearnable": repr(spec.unlearnable),
        **{f"fitted_{name}": repr(v["value"]) for name, v in fits.items()},
        **{key: repr(value) for key, value in spec.diagnostics.items()},
    }
    with output_errors(args.out):
        if args.out.endswith(".csv"):
            with tables.atomic_output(args.out) as tmp:
                frame.to_csv(tmp, index=False)
        else:
            import pyarrow as pa

            table = pa.Table.from_pandas(frame, preserve_index=False)
            tables.write_arrow_atomic(
                table.replace_schema_metadata({tables.META_PREFIX + k: v for k, v in meta.items()}), args.out
            )
    print(
        f"wrote {len(frame)} modes to {args.out} (n = {spec.n_points}, {spec.n_targets} target(s); "
        f"target power outside the kernel's range: {spec.unlearnable:.3g})"
    )
    if computed < len(frame):
        print(f"the top {computed} modes computed (randomised solver); modes {computed + 1}.. are a power-law tail")
    if spec.diagnostics:
        g = spec.diagnostics
        scale = f"{g['scale_dependence']:.3g}" if math.isfinite(g["scale_dependence"]) else "not defined (one mode)"
        print(
            f"Gaussianity of the top {g['diag_modes']:.0f} eigen-features (0 for independent Gaussians): "
            f"excess kurtosis {g['excess_kurtosis']:.3g}, scale dependence {scale}; "
            f"spread of k(x, x): {g['norm_cv']:.3g} (docs/theory/data.md section 9)"
        )
    for name, v in fits.items():
        law = "lambda_k ~ k^-alpha" if name == "alpha" else "sum_{j>=k} c_j ~ k^-(beta-1)"
        if not math.isfinite(v["value"]):
            print(f"{name}: not fitted ({law}; {v['flag']})")
            continue
        flag = f", flag {v['flag']}" if v["flag"] else ""
        print(
            f"{name} = {v['value']:.3f} [{v['lo']:.3f}, {v['hi']:.3f}] ({law}, k = {v['k_min']:g}..{v['k_max']:g}{flag})"
        )
    return 0


def _check_route(args: argparse.Namespace, given: set[str]) -> None:
    """--width with a feature route only (an integer 1..1e5), --seed too; dense routes only with
    --gram and --modes; ReLU features approximate relu_nngp only. Parsed values replace the text."""
    from .features import FEATURE_ROUTES

    if args.route == "dense":
        for dest, flag in (("width", "--width"), ("seed", "--seed")):
            if dest in given:
                raise InputError(
                    flag,
                    getattr(args, dest),
                    f"absent with --route dense (only {' and '.join(FEATURE_ROUTES)} draw features)",
                )
        args.width = None
        return
    if args.gram is not None:
        raise InputError("--route", args.route, "dense with --gram (a Gram matrix has no inputs to draw features of)")
    if args.modes is not None:
        raise InputError("--modes", args.modes, f"absent with --route {args.route} (all width modes are computed)")
    if args.route == "relu_features" and args.kernel != "relu_nngp":
        raise InputError("--kernel", args.kernel, "relu_nngp with --route relu_features (the features' N -> inf limit)")
    if args.route == "relu_features" and args.depth not in (None, 1):
        raise InputError("--depth", args.depth, "1 with --route relu_features (one layer of ReLU features)")
    if args.width is None:
        raise InputError("--route", args.route, "--width N with a feature route", "no --width given")
    width = _integer("--width", args.width, "an integer 1..1e5")
    if not 1 <= width <= 100000:
        raise InputError("--width", args.width, "an integer 1..1e5")
    seed = _integer("--seed", args.seed, "an integer " + BASE_SEED.text)
    if not BASE_SEED.contains(seed):
        raise InputError("--seed", args.seed, "an integer " + BASE_SEED.text)
    args.width, args.seed = width, seed


def _spectrum_size_targets(args: argparse.Namespace, source: str, budget: float, y: Any) -> None:
    from .data import check_memory, dense_spectrum_cost, n_targets, top_spectrum_cost

    n = y.shape[0]
    d = 0
    cost = (
        top_spectrum_cost(n, d, n_targets(y), args.modes)
        if args.modes is not None
        else dense_spectrum_cost(n, d, n_targets(y))
    )
    check_memory(
        cost,
        budget,
        "--labels",
        f"{n_targets(y)} classes",
        f"the spectrum of n = {n} points with {n_targets(y)} one-vs-rest targets",
        "--max-memory-gb",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "spectrum":
            return _run_spectrum(args)
        if args.command == "check-config":
            from .config import load_config
            from .grid import dmft_chunks, job_counts

            cfg = load_config(args.configfile)
            n_dmft = sum(len(c) for c in dmft_chunks(cfg).values())
            counts = job_counts(cfg)
            print(
                one_line(
                    f"{args.configfile}: valid; {n_dmft} points, {counts.get('dmft', 0)} DMFT jobs, "
                    f"{counts.get('simulate', 0)} simulation jobs, {sum(counts.values())} jobs in all ("
                    + ", ".join(f"{rule} {n}" for rule, n in counts.items())
                    + ")"
                )
            )
            if cfg.get("data"):
                from .data import data_jobs_summary

                print(data_jobs_summary(cfg))
            return 0
        if args.command == "frontier":
            return _run_frontier(args)
        return _run_point(args)
    except InputError as err:
        sys.stderr.write(f"scaling-dmft: error: {err}\n")
        return EXIT_INPUT
    except (NumericalError, ArithmeticError) as err:  # ArithmeticError: a float overflow numpy raised
        sys.stderr.write(f"scaling-dmft: numerical failure: {one_line(str(err))}\n")
        return EXIT_NUMERICAL
    except OutputError as err:
        if err.errno == errno.EPIPE:
            _silence_stdout()
        sys.stderr.write(f"scaling-dmft: error: {one_line(str(err))}\n")
        return EXIT_OUTPUT


def _silence_stdout() -> None:
    """After a broken pipe: point standard output at /dev/null, so the interpreter's final flush
    does not raise a second BrokenPipeError (Python's documented recipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # standard output is not a file descriptor (a test's StringIO): nothing to flush later


def _run_point(args: argparse.Namespace) -> int:
    from .api import _provenance
    from .evaluate import run_dmft_points, run_sim_group
    from .grid import SEED_RULE, SimGroup, seed_settings

    _check_threads(args)
    check_output(args.out, inputs={"--spectrum-file": args.spectrum_file})
    cfg, point = query_from_args(args)
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "")
    if args.command == "dmft":
        frame = run_dmft_points([point])
        meta = _provenance(cfg, blas_threads=threads)
    else:
        group = SimGroup(point.model, (point,), **seed_settings(cfg, "cli"))
        base = int(cfg["simulation"]["base_seed"])
        frame = run_sim_group(group, base, progress=_progress_printer(group.seeds))
        meta = _provenance(cfg, seeds=f"{SEED_RULE}; base_seed={base}", blas_threads=threads)
    failed = frame["flag"].str.startswith("failed")
    if failed.all():
        raise NumericalError(f"every row failed ({frame['flag'].iloc[0]}); nothing written")
    _write(frame, "curve", meta, args.out)
    if failed.any():
        sys.stderr.write(f"scaling-dmft: warning: {int(failed.sum())} of {len(frame)} rows failed (flag column)\n")
    return 0


def _check_threads(args: argparse.Namespace) -> None:
    from .runlog import MAX_THREADS

    threads = _integer("--threads", args.threads, f"an integer 1..{MAX_THREADS}")
    if not 1 <= threads <= MAX_THREADS:
        raise InputError("--threads", args.threads, f"an integer 1..{MAX_THREADS}")


@contextlib.contextmanager
def output_errors(out: str | None) -> Iterator[None]:
    """Writing `out` after the compute: an OSError (a full disk, a pipe closed by its reader) becomes
    one line (OutputError, exit status EXIT_OUTPUT) instead of a traceback."""
    shown = "-" if out is None else out
    try:
        yield
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            message = f"--out {shown}: standard output was closed before the table was written in full (broken pipe)"
        else:
            why = exc.strerror or str(exc)
            message = f"--out {shown}: cannot write the table ({why}); nothing written (no partial file is left)"
        raise OutputError(message, exc.errno) from None


def _write(frame: pd.DataFrame, kind: str, meta: dict, out: str | None) -> None:
    """The table to `out` (.parquet, .csv or - for CSV on standard output), atomically, after the
    same schema and checks in every format; without `out`, a readable summary on standard output."""
    from . import tables

    frame = tables.sort_rows(frame, kind)
    table = tables.to_table(frame, kind, meta)  # the same schema and checks as a file
    with output_errors(out):
        if out is None:
            print(readable(frame, kind))
            sys.stdout.flush()
            return
        if out == "-":
            frame.to_csv(sys.stdout, index=False)
            sys.stdout.flush()
            return
        if out.endswith(".csv"):
            with tables.atomic_output(out) as tmp:
                frame.to_csv(tmp, index=False)
        else:
            tables.write_arrow_atomic(table, out)
    print(f"wrote {len(frame)} rows to {out}")


# the columns a reader looks at first, per table kind (the file has all of them)
READABLE_COLUMNS = {
    "curve": ["t", "steps", "eg", "eg_sem", "eg_mean", "eg_signal", "eg_noise", "eg_init", "eg_thermal", "flag"],
    "frontier": ["compute", "n_features", "n_samples", "weight_decay", "t", "eg", "flag"],
}


def readable(frame: pd.DataFrame, kind: str) -> str:
    """A table for a terminal: the point in one line, then the columns that carry information
    (4 significant digits). The file formats (--out) hold every column."""
    first = frame.iloc[0]
    spectrum = (
        f"alpha = {first['alpha']:g}, beta = {first['beta']:g}, M = {float(first['n_modes']):g}"
        if first["spectrum"] == "powerlaw"
        else f"spectrum {first['spectrum']} (M = {first['n_modes']})"
    )
    sizes = [] if kind == "frontier" else [f"N = {first['n_features']:g}", f"P = {first['n_samples']:g}"]
    parts = [spectrum, *sizes, f"regime {first['regime']}"]
    for key, symbol in (("weight_decay", "gamma"), ("temperature", "T"), ("noise", "sigma"), ("init_std", "sigma0")):
        if first[key] != 0 and not (kind == "frontier" and key == "weight_decay"):
            parts.append(f"{symbol} = {first[key]:g}")
    if first["optimizer"] != "gf":
        parts.append(f"{first['optimizer']}: eta = {first['learning_rate']:g}")
        parts += [f"mu = {first['momentum']:g}"] if first["momentum"] else []
        parts += [f"B = {first['batch_size']:g}"] if math.isfinite(first["batch_size"]) else []
    header = ("theory" if first.get("method") == "dmft" else "simulation" if "method" in frame else "frontier") + ": "
    columns = [c for c in READABLE_COLUMNS[kind] if c in frame and not frame[c].isna().all()]
    for column in ("eg_mean", "eg_signal", "eg_noise", "eg_init", "eg_thermal"):
        # a component equal to the total, or zero throughout, says nothing the other columns do not
        if column in columns and ((frame[column] == 0).all() or frame[column].equals(frame["eg"])):
            columns.remove(column)
    for column in ("n_samples", "weight_decay"):  # the frontier's: shown where chosen per budget
        if kind == "frontier" and frame[column].nunique() == 1:
            columns.remove(column)
            parts.append(f"{'P' if column == 'n_samples' else 'gamma'} = {first[column]:g}")
    if "flag" in columns and (frame["flag"] == "").all():
        columns.remove("flag")
    body = frame[columns].to_string(index=False, float_format=lambda v: f"{v:.4g}", na_rep="")
    return header + ", ".join(parts) + "\n" + body


def _run_frontier(args: argparse.Namespace) -> int:
    """`frontier`: the compute-optimal envelope of one spectrum and regime (scaling_dmft.frontier)."""
    import numpy as np

    from .api import _provenance, check_frontier_point
    from .frontier import FLAT_REL, frontier_fits, point_frontier

    _check_threads(args)
    check_output(args.out, inputs={"--spectrum-file": args.spectrum_file})
    start, stop, count = _log_range("--compute", args.compute, 0.0, COMPUTE_MAX, with_count=True)
    n_min, n_max = _size_range("features_range", args.features_range, args)
    p_min, p_max = _size_range("samples_range", args.samples_range, args)
    if args.compute_model == "NPT" and args.n_samples is not None:
        flag = args._spelled["n_samples"]
        raise InputError(flag, args.n_samples, "absent with --compute-model NPT (P is chosen in --n-samples-range)")
    if args.compute_model != "NPT" and "samples_range" in _given(args):
        raise InputError(
            args._spelled["samples_range"],
            args.samples_range,
            "absent with --compute-model NT (P is fixed by --n-samples)",
        )
    cfg, point = query_from_args(args)
    try:
        check_frontier_point(point, args.tune_weight_decay, args.init_std.strip().lower())
    except InputError as err:
        raise _flag_error(err, args) from None
    if args.compute_model == "NPT":
        point = replace(point, model=replace(point.model, n_samples=math.inf))
    budgets = np.logspace(math.log10(start), math.log10(stop), count)
    try:
        frame = point_frontier(
            point,
            budgets,
            compute_model=args.compute_model,
            tune_weight_decay=args.tune_weight_decay,
            n_range=(n_min, n_max),
            p_range=(p_min, p_max),
        )
    except InputError as err:  # frontier.check_feasible: the budgets or the learning rate
        raise _flag_error(err, args) from None
    failed = frame["flag"] == "failed"
    if failed.all():
        raise NumericalError(f"frontier: the DMFT failed at every budget ({frame.attrs['failure']}); nothing written")
    if (frame["flag"] == "unresolved").all():
        raise InputError(
            "--compute",
            args.compute,
            "budgets that train: E_g does not change with N beyond round-off at any budget "
            f"(relative {FLAT_REL:g}), so no N* means anything; raise the budgets",
        )
    meta = _provenance(
        cfg,
        features_range=f"{n_min:g}:{n_max:g}",
        compute_model=args.compute_model,
        samples_range=f"{p_min:g}:{p_max:g}" if args.compute_model == "NPT" else "",
        tuned="weight_decay" if args.tune_weight_decay else "",
        blas_threads=os.environ.get("OPENBLAS_NUM_THREADS", ""),
    )
    _write(frame, "frontier", meta, args.out)
    if args.out != "-":  # the fitted laws beside the derived ones (not into a CSV on standard output)
        with output_errors(args.out):
            print(frontier_laws(frontier_fits(tables_sorted(frame))))
    if failed.any():
        sys.stderr.write(
            f"scaling-dmft: warning: {int(failed.sum())} of {len(frame)} budgets failed (flag column; first: "
            f"{frame.attrs['failure']})\n"
        )
    unresolved = int((frame["flag"] == "unresolved").sum())
    if unresolved:
        sys.stderr.write(
            f"scaling-dmft: warning: {unresolved} of {len(frame)} budgets are flagged unresolved: E_g does not "
            f"change with N beyond round-off there (budget too small to train), so their N* means nothing\n"
        )
    edge = int((frame["flag"] == "edge").sum())
    if edge:
        sys.stderr.write(
            f"scaling-dmft: warning: {edge} of {len(frame)} budgets have their optimum at an end of "
            f"a searched range (flag edge): widen --n-features-range"
            + (", --n-samples-range" if args.compute_model == "NPT" else "")
            + " (or, with noise or a floor, more N no longer helps)\n"
        )
    return 0


def tables_sorted(frame: pd.DataFrame) -> pd.DataFrame:
    from . import tables

    return tables.sort_rows(frame, "frontier")


# the fitted frontier laws as a reader names them
LAW_NAMES = {"frontier_error": "E*", "frontier_features": "N*", "frontier_samples": "P*", "frontier_time": "t*"}


def frontier_laws(fits: pd.DataFrame) -> str:
    """One line per fitted law: the exponent of E*, N*, (P*,) t* against C with its 95 % interval,
    the derived exponent and the fit's window and flag."""
    if fits.empty:
        return "fitted laws: none (fewer than two budgets with a real optimum)"
    lines = ["fitted laws against the compute C (exponent [95 % interval], derived):"]
    for _, row in fits.iterrows():
        derived = row["expected_exponent"]
        derived_text = f"{derived:.3f}" if math.isfinite(derived) else "none"
        flag = f", flag {row['flag']}" if row["flag"] else ""
        lines.append(
            f"  {LAW_NAMES.get(row['law'], row['law'])} ~ C^{row['exponent']:.3f} "
            f"[{row['exponent_lo']:.3f}, {row['exponent_hi']:.3f}], derived {derived_text} "
            f"(C = {row['x_min']:.3g}..{row['x_max']:.3g}{flag})"
        )
    return "\n".join(lines)


def _size_range(dest: str, text: str, args: argparse.Namespace) -> tuple[float, float]:
    """MIN:MAX of searched sizes (api.size_range's bounds), named as the user spelled the flag."""
    flag = getattr(args, "_spelled", {}).get(dest) or "--n-" + dest.replace("_", "-")
    try:
        low, high = _split_range(flag, text, "MIN:MAX", False)
        return size_range(flag, (low, high))
    except InputError as err:
        raise InputError(flag, text, err.allowed.replace("[min, max]", "MIN:MAX")) from None


PROGRESS_EVERY = 5.0  # seconds between progress lines on stderr


def _progress_printer(total: int):
    """Progress of a simulation on stderr: seeds done, elapsed, estimate of the time left."""
    import time

    started = time.monotonic()
    last = [started]

    def progress(done: int, _total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY and done < total:
            left = (now - started) / done * (total - done)
            sys.stderr.write(
                f"scaling-dmft: simulate: {done}/{total} seeds, {now - started:.0f} s elapsed, ~{left:.0f} s left\n"
            )
            last[0] = now

    return progress


if __name__ == "__main__":
    sys.exit(main())

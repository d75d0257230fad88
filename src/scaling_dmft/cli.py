"""Command line for single queries: `python -m scaling_dmft simulate|dmft|frontier|spectrum|check-config ...`.

`simulate` and `dmft` take the same flags and write the same curve table (method `sim` or
`dmft`), so theory and simulation tables concatenate. Invalid input prints one line naming
the flag, the value and the allowed range, exits with status 2 and writes no file.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError, NumericalError
from .grid import OPTIMIZERS, optimizer_name
from .schema import config_schema, enum, number_range

if TYPE_CHECKING:
    import pandas as pd

EXIT_INPUT = 2
EXIT_NUMERICAL = 3


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # no prefix matching: `frontier --features 512` is an unknown flag, not --features-range
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # one line, status 2, no usage dump
        sys.stderr.write(f"scaling-dmft: error: {message} (see --help)\n")
        sys.exit(EXIT_INPUT)


class _Once(argparse.Action):
    """Store a flag's value, refusing a second occurrence (argparse silently keeps the last)."""

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
        setattr(namespace, self.dest, values)


# The flags' ranges and names, read from the config schema (a query is a one-point config).
ALPHA = number_range("alpha_list", "alpha")
BETA = number_range("beta_list", "beta")
MODES = number_range("n_modes", "M")
SIZE = number_range("size", "N, P")
FRONTIER_SIZE = number_range("frontier_size", "N, P")  # the sizes a frontier searches (theory only)
GAMMA = number_range("weight_decay", "gamma")
TEMPERATURE = number_range("temperature", "T")
NOISE = number_range("noise_level", "sigma")
INIT_STD = number_range("init_std", "sigma0")
LEARNING_RATE = number_range("learning_rate", "eta")
BATCH_SAMPLING = enum("batch_sampling")
MOMENTUM = number_range("momentum", "mu")
SEEDS = number_range("seeds", "seeds")
TIME_STOP = number_range("times/properties/stop", "START")
TIME_COUNT = number_range("times/properties/count", "COUNT")
TEACHERS = enum("teacher")
REGIME_KINDS = enum("regime_kind")
BASE_SEED = number_range("base_seed", "base_seed")
_SIMULATION = config_schema()["properties"]["simulation"]["properties"]
MAX_MODES = _SIMULATION["max_modes"]["default"]
# the workflow's defaults, as flag values
DEFAULT_SEEDS = str(_SIMULATION["seeds"]["default"])
DEFAULT_BASE_SEED = str(_SIMULATION["base_seed"]["default"])
DEFAULT_TIMES = "{start:g}:{stop:g}:{count}".format(**config_schema()["properties"]["times"]["default"]).replace(
    "e+0", "e"
)

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


# The largest budget `frontier --compute` accepts: a parse bound far beyond any N t a DMFT solve
# resolves, not a physical one.
COMPUTE_MAX = 1e30


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
    return start, stop, count


EXAMPLES = {
    "dmft": "example:\n  python -m scaling_dmft dmft --alpha 2 --beta 3 --samples 256 --features 512 --weight-decay 1e-3 \\\n"
    "      --noise 0.5 --times 0.1:1e6:30 --include-inf --out theory.parquet\n"
    "  python -m scaling_dmft dmft --spectrum-file my_spectrum.csv --samples 1000 --out - | head",
    "frontier": "example:\n  python -m scaling_dmft frontier --alpha 2 --beta 2.5 --modes 1e12 --samples inf \\\n"
    "      --compute 1e7:1e11:17 --out frontier.csv",
    "simulate": "example:\n  python -m scaling_dmft simulate --alpha 2 --beta 3 --samples 256 --features 512 --weight-decay 1e-3 \\\n"
    "      --noise 0.5 --times 0.1:1e6:30 --include-inf --seeds 64 --out sim.csv",
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m scaling_dmft", description=__doc__.splitlines()[0])
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
            description=help_text + ". Ranges are the workflow config's (config/README.md).",
            epilog=EXAMPLES[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add = functools.partial(p.add_argument, action=_Once)
        add("--alpha", default="2.0", help=f"spectral exponent: lambda_k = k^-alpha; {ALPHA.text} (default 2)")
        add("--beta", default="3.0", help=f"target exponent: c_k = lambda_k w*_k^2 = k^-beta; {BETA.text} (default 3)")
        add(
            "--modes",
            default="4000",
            help=f"number of modes M (truncation); integer {MODES.text}, <= simulation.max_modes = {MAX_MODES:g} to simulate (default 4000)",
        )
        add(
            "--teacher",
            default="powerlaw",
            help=" | ".join(TEACHERS) + ": deterministic w*, or w* drawn from the prior (default powerlaw)",
        )
        add(
            "--spectrum-file",
            default=None,
            help="read lambda_k and c_k from a .parquet/.csv with columns eigenvalue, target_power (replaces --alpha/--beta/--modes)",
        )
        if name != "frontier":  # the frontier chooses N
            add(
                "--features",
                default="inf",
                help="number of random features N: positive integer, or inf for the kernel limit (default inf)",
            )
        samples_help = "number of training samples P: positive integer" + (
            ", or inf (population loss)" if name != "simulate" else ""
        )
        add("--samples", default="256", help=samples_help + " (default 256)")
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
        if name != "frontier":  # online SGD is P = N = inf: no model size to choose
            add(
                "--batch-size",
                default=None,
                help="B: mini-batch SGD with B samples per step (needs --learning-rate): online with fresh samples "
                "at --samples inf (and --features inf; docs/theory/discrete.md section 5), multi-pass over the P "
                "samples at finite --samples, B <= P (docs/theory/sgd.md)",
            )
            add(
                "--batch-sampling",
                default=None,
                choices=BATCH_SAMPLING,
                help="multi-pass SGD: " + " | ".join(BATCH_SAMPLING) + ": B indices i.i.d. every step (default; "
                "the theory's), or a reshuffle every epoch (simulation only; the theory flags no_theory)",
            )
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
            add(
                "--compute",
                required=True,
                help=f"log-spaced budgets C = N t (N P t with NPT), START:STOP:COUNT, both ends included; 0 < START <= STOP <= {COMPUTE_MAX:g}",
            )
            from .frontier import (
                COMPUTE_MODELS,
                DEFAULT_GAMMA_RANGE,
                DEFAULT_N_RANGE,
                DEFAULT_P_RANGE,
                OUTER_PER_DECADE,
                POINTS_PER_DECADE,
            )

            n_range = ":".join(f"{v:g}" for v in DEFAULT_N_RANGE)
            p_range = ":".join(f"{v:g}" for v in DEFAULT_P_RANGE)
            g_range = ":".join(f"{v:g}" for v in DEFAULT_GAMMA_RANGE)
            add(
                "--features-range",
                default=n_range,
                help=f"the model sizes searched, N_MIN:N_MAX (log grid, {POINTS_PER_DECADE} per decade, then "
                f"refined); an optimum at an end is flagged edge (default {n_range})",
            )
            add(
                "--compute-model",
                default=COMPUTE_MODELS[0],
                choices=COMPUTE_MODELS,
                help="NT: C = N t at the fixed P of --samples (inf allowed); NPT: C = N P t (full-batch), "
                "P chosen from --samples-range too (default NT)",
            )
            add(
                "--samples-range",
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
            # the one-point config a query stands for needs these; the frontier sets N and t itself.
            # --samples: None = not given (NT then uses 256; NPT refuses an explicit P)
            p.set_defaults(features="inf", times="1:1:1", include_inf=False, samples=None)
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
                default=DEFAULT_SEEDS,
                help=f"number of independent draws of data and features; integer {SEEDS.text} (default {DEFAULT_SEEDS})",
            )
            add(
                "--seed",
                default=DEFAULT_BASE_SEED,
                help=f"base seed, integer {BASE_SEED.text}; seeds derive from it and the parameter point (default {DEFAULT_BASE_SEED})",
            )
        add(
            "--threads",
            default="1",
            help="BLAS threads, 1..1024 (default 1); pinned whatever OMP_NUM_THREADS says. "
            "Results agree across thread counts to ~1e-11 relative, bitwise at a fixed count",
        )
        add(
            "--out",
            required=True,
            help="output file: .parquet (curve table with provenance metadata) or .csv, or - for CSV on "
            "standard output; checked writable before computing, written atomically",
        )
    _add_spectrum_parser(sub)
    check = sub.add_parser("check-config", help="validate a workflow config file and print a summary")
    check.add_argument("configfile")
    return parser


# Config key of the one-point config -> the flag that set it (error messages name the flag).
_FLAG_OF_KEY = {
    "alpha": "--alpha",
    "beta": "--beta",
    "n_modes": "--modes",
    "teacher": "--teacher",
    "spectrum_file": "--spectrum-file",
    "n_features": "--features",
    "n_samples": "--samples",
    "noise": "--noise",
    "weight_decay": "--weight-decay",
    "temperature": "--temperature",
    "init_std": "--init-std",
    "learning_rate": "--learning-rate",
    "momentum": "--momentum",
    "batch_size": "--batch-size",
    "batch_sampling": "--batch-sampling",
    "kind": "--regime",
    "times": "--times",
    "start": "--times",
    "stop": "--times",
    "count": "--times",
    "seeds": "--seeds",
    "base_seed": "--seed",
    "max_modes": "--modes",
}


def _flag_error(err: InputError) -> InputError:
    """The same message with the config key path replaced by the flag that set it."""
    match = re.fullmatch(r"(?:.*\.)?(\w+?)((?:\[[^\]]*\])*)", err.key)
    leaf, index = match.groups() if match else (err.key, "")
    if leaf not in _FLAG_OF_KEY:
        return err
    column = "" if re.fullmatch(r"(\[\d+\])*", index) else index  # keep a file column, drop a list index
    return InputError(_FLAG_OF_KEY[leaf] + column, err.value, err.allowed, err.problem)


def config_from_args(args: argparse.Namespace) -> dict:
    """The one-point workflow config a CLI query stands for (validated by validate_config, the
    same limits and checks as a workflow run)."""
    gamma = _parse_number("--weight-decay", args.weight_decay, "a number " + GAMMA.text)
    temperature = _parse_number("--temperature", args.temperature, "a number " + TEMPERATURE.text)
    noise = _parse_number("--noise", args.noise, "a number " + NOISE.text)
    init = args.init_std.strip().lower()
    init_std = (
        "prior"
        if init == "prior"
        else _parse_number("--init-std", args.init_std, f"a number {INIT_STD.text}, or prior")
    )
    kind = args.regime or ("langevin" if temperature > 0 else ("gf_wd" if gamma > 0 else "gf"))
    regime = {"name": kind, "kind": kind, "weight_decay": gamma, "temperature": temperature}
    if getattr(args, "learning_rate", None) is not None:
        regime["learning_rate"] = _parse_number("--learning-rate", args.learning_rate, "a number " + LEARNING_RATE.text)
        regime["momentum"] = _parse_number("--momentum", args.momentum, "a number " + MOMENTUM.text)
        if getattr(args, "batch_size", None) is not None:  # frontier has no --batch-size
            regime["batch_size"] = _integer("--batch-size", args.batch_size, "an integer B >= 1")
        if getattr(args, "batch_sampling", None) is not None:
            regime["batch_sampling"] = args.batch_sampling
        implied = optimizer_name(regime["learning_rate"], regime["momentum"], regime.get("batch_size", math.inf))
        if args.optimizer is not None and args.optimizer != implied:
            needs = {
                "gf": "--learning-rate 0",
                "gd": "--learning-rate > 0 and no --momentum or --batch-size",
                "momentum": "--learning-rate > 0 and --momentum > 0",
                "sgd": "--learning-rate > 0 and --batch-size",
            }
            raise InputError("--optimizer", args.optimizer, needs[args.optimizer], f"the other flags make it {implied}")
    if kind != "bayes" or init_std != 0.0:
        regime["init_std"] = init_std
    size = "a positive integer{} (" + SIZE.text + ")"
    sweep = {
        "n_features": [_integer("--features", args.features, size.format(" or inf"), allow_inf=True)],
        "n_samples": [
            _integer(
                "--samples", args.samples, size.format(" or inf" if args.command != "simulate" else ""), allow_inf=True
            )
        ],
        "noise": [noise],
        "regimes": [kind],
        "times": _times(args.times, bool(args.include_inf)),
        "simulate": args.command == "simulate",
    }
    cfg = {"run_name": "cli", "regimes": [regime], "sweeps": {"cli": sweep}}
    if args.spectrum_file:
        sweep["spectrum_file"] = str(Path(args.spectrum_file).resolve())
    else:
        sweep["alpha"] = [_parse_number("--alpha", args.alpha, "a number " + ALPHA.text)]
        sweep["beta"] = [_parse_number("--beta", args.beta, "a number " + BETA.text)]
        sweep["n_modes"] = _integer("--modes", args.modes, "an integer " + MODES.text)
        sweep["teacher"] = args.teacher
    if args.command == "simulate":
        seeds = _integer("--seeds", args.seeds, "an integer " + SEEDS.text)
        base = _integer("--seed", args.seed, "an integer " + BASE_SEED.text)
        cfg["simulation"] = {"seeds": seeds, "base_seed": base}
    return cfg


def query_from_args(args: argparse.Namespace) -> tuple[dict, dict]:
    """(validated one-point config, its single parameter point) of a `dmft` / `simulate` query."""
    from .config import validate_config
    from .grid import sweep_points

    try:
        cfg = validate_config(config_from_args(args))
    except InputError as err:
        raise _flag_error(err) from None
    return cfg, sweep_points(cfg, "cli")[0]


def check_output(out: str, inputs: Iterable[str | os.PathLike[str] | None] = ()) -> None:
    """Refuse an --out that cannot be written, or that is one of the inputs, before any compute:
    the same temporary file the atomic writer uses is created and removed in its folder."""
    from .tables import check_writable

    if out == "-":
        return  # CSV on standard output
    path = Path(out)
    if path.suffix not in (".parquet", ".csv"):
        raise InputError("--out", out, "a path ending in .parquet or .csv, or - for CSV on standard output")
    for source in inputs:
        if source and path.resolve() == Path(source).resolve():
            raise InputError("--out", out, "a file other than the input --spectrum-file (it would be overwritten)")
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


def _add_spectrum_parser(sub: argparse._SubParsersAction) -> None:
    from .data import DATASETS, KERNELS

    text = "the spectrum of a data set: lambda_k of K/n and c_k = (v_k . y)^2 / n (docs/theory/data.md)"
    p = sub.add_parser(
        "spectrum",
        help=text,
        description=text + "; writes a spectrum file for --spectrum-file and prints fitted alpha, beta.",
        epilog="example:\n  python -m scaling_dmft spectrum --data digits.npz --kernel relu_nngp --out digits.parquet\n"
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
        help="an example data set bundled with scikit-learn, instead of --data",
    )
    add("--labels", default=None, help="labels (.npy of n values), where the data file has none; needed with --gram")
    add("--kernel", default="relu_nngp", choices=KERNELS, help="kernel of --data (default relu_nngp)")
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
    add("--out", required=True, help="output spectrum file (.parquet or .csv)")


def _run_spectrum(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from . import tables
    from .data import (
        EmpiricalSpectrum,
        empirical_spectrum,
        fitted_exponents,
        kernel_matrix,
        load_data,
        load_dataset,
        standardise,
        to_sphere,
        top_spectrum,
    )

    if sum(v is not None for v in (args.data, args.gram, args.dataset)) != 1:
        raise InputError("--data", args.data, "exactly one of --data FILE, --gram K.npy and --dataset NAME")
    if args.modes is not None and args.gram is not None:
        raise InputError("--modes", args.modes, "absent with --gram (the Gram matrix is given whole)")
    check_output(args.out, inputs=[args.data, args.gram, args.labels])
    if args.gram is not None:
        if args.labels is None:
            raise InputError("--labels", None, "a .npy of n labels (needed with --gram)")
        try:
            gram, y = np.load(args.gram, allow_pickle=False), np.load(args.labels, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise InputError(
                "--gram", args.gram, "readable .npy files for --gram and --labels", str(exc).splitlines()[0]
            ) from None
    else:
        x, y = load_dataset(args.dataset) if args.dataset else load_data(args.data, args.labels)
        x = x if args.no_standardise else standardise(x)
        x = to_sphere(x) if args.sphere else x
    if args.modes is not None:
        spec, computed = top_spectrum(x, y, args.kernel, args.modes)
    else:
        spec = empirical_spectrum(gram if args.gram is not None else kernel_matrix(x, args.kernel), y)
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
    meta = {
        "source": str(args.gram or args.data or f"scikit-learn {args.dataset}"),
        "kernel": "gram" if args.gram else args.kernel,
        "standardised": str(not args.no_standardise and not args.gram),
        "sphere": str(args.sphere and not args.gram),
        "computed_modes": str(computed),
        "n_points": str(spec.n_points),
        "n_targets": str(spec.n_targets),
        "unlearnable": repr(spec.unlearnable),
        **{f"fitted_{name}": repr(v["value"]) for name, v in fits.items()},
    }
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
    for name, v in fits.items():
        law = "lambda_k ~ k^-alpha" if name == "alpha" else "sum_{j>=k} c_j ~ k^-(beta-1)"
        flag = f", flag {v['flag']}" if v["flag"] else ""
        print(
            f"{name} = {v['value']:.3f} [{v['lo']:.3f}, {v['hi']:.3f}] ({law}, k = {v['k_min']:g}..{v['k_max']:g}{flag})"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "spectrum":
            return _run_spectrum(args)
        if args.command == "check-config":
            from .config import load_config
            from .grid import count_jobs, dmft_chunks, sim_chunks

            cfg = load_config(args.configfile)
            n_dmft = sum(len(c) for c in dmft_chunks(cfg).values())
            print(
                f"{args.configfile}: valid; {n_dmft} points, {len(dmft_chunks(cfg))} DMFT jobs, "
                f"{len(sim_chunks(cfg))} simulation jobs ({count_jobs(cfg)} in all)"
            )
            return 0
        if args.command == "frontier":
            return _run_frontier(args)
        return _run_point(args)
    except InputError as err:
        sys.stderr.write(f"scaling-dmft: error: {err}\n")
        return EXIT_INPUT
    except (NumericalError, ArithmeticError) as err:  # ArithmeticError: a float overflow numpy raised
        sys.stderr.write(f"scaling-dmft: numerical failure: {err}\n")
        return EXIT_NUMERICAL


def _run_point(args: argparse.Namespace) -> int:
    from . import tables
    from .evaluate import run_dmft_points, run_sim_group
    from .grid import SEED_RULE, sim_groups

    _check_threads(args)
    check_output(args.out, inputs=[args.spectrum_file])
    cfg, point = query_from_args(args)
    if args.command == "dmft":
        frame = run_dmft_points([point])
        meta = tables.provenance(point, blas_threads=os.environ.get("OPENBLAS_NUM_THREADS", ""))
    else:
        group = sim_groups(cfg, "cli")[0]
        base = cfg["simulation"]["base_seed"]
        frame = run_sim_group(group, base, progress=_progress_printer(group["seeds"]))
        meta = tables.provenance(
            {**point, "seeds": group["seeds"], "base_seed": base},
            seeds=f"{SEED_RULE}; base_seed={base}",
            blas_threads=os.environ.get("OPENBLAS_NUM_THREADS", ""),
        )
    failed = frame["flag"].str.startswith("failed")
    if failed.all():
        raise NumericalError(f"every row failed ({frame['flag'].iloc[0]}); nothing written")
    _write(frame, "curve", meta, args.out)
    if failed.any():
        sys.stderr.write(f"scaling-dmft: warning: {int(failed.sum())} of {len(frame)} rows failed (flag column)\n")
    return 0


def _check_threads(args: argparse.Namespace) -> None:
    threads = _integer("--threads", args.threads, "an integer 1..1024")
    if not 1 <= threads <= 1024:
        raise InputError("--threads", args.threads, "an integer 1..1024")


def _write(frame: pd.DataFrame, kind: str, meta: dict, out: str) -> None:
    """The table to `out` (.parquet, .csv or - for CSV on standard output), atomically, after the
    same schema and checks in every format."""
    from . import tables

    frame = tables.sort_rows(frame, kind)
    table = tables.to_table(frame, kind, meta)  # the same schema and checks as a file
    if out == "-":
        frame.to_csv(sys.stdout, index=False)
        return
    if out.endswith(".csv"):
        with tables.atomic_output(out) as tmp:
            frame.to_csv(tmp, index=False)
    else:
        tables.write_arrow_atomic(table, out)
    print(f"wrote {len(frame)} rows to {out}")


FRONTIER_DEFAULT_SAMPLES = "256"


def _size_range(flag: str, text: str) -> tuple[float, float]:
    """MIN:MAX of searched sizes: 1 <= MIN < MAX <= the frontier's size bound (one message)."""
    allowed = f"MIN:MAX with {FRONTIER_SIZE.low:g} <= MIN < MAX <= {FRONTIER_SIZE.high:.0e}".replace("e+", "e")
    low, high = _split_range(flag, text, allowed, False)
    if not (FRONTIER_SIZE.contains(low) and FRONTIER_SIZE.contains(high) and low < high):
        raise InputError(flag, text, allowed)
    return low, high


def _run_frontier(args: argparse.Namespace) -> int:
    """`frontier`: the compute-optimal envelope of one spectrum and regime (scaling_dmft.frontier)."""
    import numpy as np

    from . import tables
    from .frontier import point_frontier

    _check_threads(args)
    check_output(args.out, inputs=[args.spectrum_file])
    start, stop, count = _log_range("--compute", args.compute, 0.0, COMPUTE_MAX, with_count=True)
    n_min, n_max = _size_range("--features-range", args.features_range)
    p_min, p_max = _size_range("--samples-range", args.samples_range)
    if args.compute_model == "NPT" and args.samples is not None:
        raise InputError("--samples", args.samples, "absent with --compute-model NPT (P is chosen in --samples-range)")
    if args.samples is None:
        args.samples = FRONTIER_DEFAULT_SAMPLES
    if args.regime == "bayes":
        trained = " | ".join(k for k in REGIME_KINDS if k != "bayes")
        raise InputError("--regime", "bayes", f"{trained} (a frontier is over training time)")
    _, point = query_from_args(args)
    if args.tune_weight_decay and point["weight_decay"] != 0:
        raise InputError("--weight-decay", args.weight_decay, "0 with --tune-weight-decay (gamma is chosen per budget)")
    if args.tune_weight_decay and args.init_std == "prior":
        raise InputError("--init-std", "prior", "a number with --tune-weight-decay (the prior needs a fixed gamma)")
    budgets = np.logspace(math.log10(start), math.log10(stop), count)
    frame = point_frontier(
        point,
        budgets,
        compute_model=args.compute_model,
        tune_weight_decay=args.tune_weight_decay,
        n_range=(n_min, n_max),
        p_range=(p_min, p_max),
    )
    failed = frame["flag"] == "failed"
    if failed.all():
        raise NumericalError("frontier: the DMFT failed at every budget; nothing written")
    meta = tables.provenance(
        point,
        features_range=f"{n_min:g}:{n_max:g}",
        compute_model=args.compute_model,
        samples_range=f"{p_min:g}:{p_max:g}" if args.compute_model == "NPT" else "",
        tuned="weight_decay" if args.tune_weight_decay else "",
        blas_threads=os.environ.get("OPENBLAS_NUM_THREADS", ""),
    )
    _write(frame, "frontier", meta, args.out)
    if failed.any():
        sys.stderr.write(f"scaling-dmft: warning: {int(failed.sum())} of {len(frame)} budgets failed (flag column)\n")
    edge = int((frame["flag"] == "edge").sum())
    if edge:
        sys.stderr.write(
            f"scaling-dmft: warning: {edge} of {len(frame)} budgets have their optimum at an end of "
            f"a searched range (flag edge): widen --features-range"
            + (", --samples-range" if args.compute_model == "NPT" else "")
            + " (or, with noise or a floor, more N no longer helps)\n"
        )
    return 0


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

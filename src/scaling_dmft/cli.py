"""Command line for single queries: `python -m scaling_dmft simulate|dmft|check-config ...`.

`simulate` and `dmft` take the same flags and write the same curve table (method `sim` or
`dmft`), so theory and simulation tables concatenate. Invalid input prints one line naming
the flag, the value and the allowed range, exits with status 2 and writes no file.
"""

from __future__ import annotations

import argparse
import math
import sys

from .errors import InputError, NumericalError

EXIT_INPUT = 2
EXIT_NUMERICAL = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, status 2, no usage dump
        sys.stderr.write(f"scaling-dmft: error: {message} (see --help)\n")
        sys.exit(EXIT_INPUT)


def _positive_size(flag: str, text: str, allow_inf: bool) -> float:
    allowed = "a positive integer" + (" or inf" if allow_inf else "")
    if text.strip().lower() in ("inf", "infinity"):
        if allow_inf:
            return math.inf
        raise InputError(flag, text, allowed)
    try:
        value = float(text)
    except ValueError:
        raise InputError(flag, text, allowed) from None
    if not (value.is_integer() and 1 <= value <= 1e9):
        raise InputError(flag, text, allowed + " (<= 1e9)")
    return value


def _number(flag: str, text: str, lo: float, lo_open: bool, hi: float, allowed: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(flag, text, allowed) from None
    ok = math.isfinite(value) and (value > lo if lo_open else value >= lo) and value <= hi
    if not ok:
        raise InputError(flag, text, allowed)
    return value


def _times(text: str, include_inf: bool):
    import numpy as np

    allowed = "START:STOP:COUNT with 0 < START <= STOP <= 1e15 and integer COUNT >= 1 (COUNT >= 2 if STOP > START)"
    parts = text.split(":")
    if len(parts) != 3:
        raise InputError("--times", text, allowed)
    try:
        start, stop, count = float(parts[0]), float(parts[1]), float(parts[2])
    except ValueError:
        raise InputError("--times", text, allowed) from None
    if not (math.isfinite(start) and math.isfinite(stop) and 0 < start <= stop <= 1e15):
        raise InputError("--times", text, allowed)
    if not (count.is_integer() and 1 <= count <= 100000) or (stop > start and count < 2) or (stop == start and count != 1):
        raise InputError("--times", text, allowed)
    from .grid import time_grid

    grid = time_grid({"start": start, "stop": stop, "count": int(count), "include_inf": include_inf})
    return np.asarray(grid, dtype=float)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m scaling_dmft", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, help_text in (
        ("simulate", "seed-averaged exact simulation (closed-form Ornstein-Uhlenbeck, one eigh per seed)"),
        ("dmft", "deterministic DMFT theory (no random numbers)"),
    ):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--alpha", default="2.0", help="spectral exponent: lambda_k = k^-alpha; 1 < alpha <= 10 (default 2)")
        p.add_argument("--beta", default="3.0", help="target exponent: c_k = lambda_k w*_k^2 = k^-beta; 1 < beta <= 20 (default 3)")
        p.add_argument("--modes", default="4000", help="number of modes M (truncation); integer >= 1 (default 4000)")
        p.add_argument("--teacher", default="powerlaw", help="powerlaw (deterministic w*) | prior (w* drawn from the prior) (default powerlaw)")
        p.add_argument("--spectrum-file", default=None, help="read lambda_k and c_k from a .parquet/.csv with columns eigenvalue, target_power (replaces --alpha/--beta/--modes)")
        p.add_argument("--features", default="inf", help="number of random features N: positive integer, or inf for the kernel limit (default inf)")
        samples_help = "number of training samples P: positive integer" + (", or inf (population loss)" if name == "dmft" else "")
        p.add_argument("--samples", default="256", help=samples_help + " (default 256)")
        p.add_argument("--weight-decay", default="0", help="weight decay gamma >= 0 (default 0)")
        p.add_argument("--temperature", default="0", help="Langevin temperature T >= 0 (default 0)")
        p.add_argument("--noise", default="0", help="label-noise standard deviation sigma >= 0 (default 0)")
        p.add_argument("--init-std", default="0", help="initialisation std sigma0 >= 0, or 'prior' for sigma0^2 = T/gamma (needs gamma, T > 0) (default 0)")
        p.add_argument("--times", default="0.1:1e6:30", help="log-spaced times START:STOP:COUNT, both ends included; 0 < START <= STOP (default 0.1:1e6:30)")
        p.add_argument("--include-inf", action="store_true", help="also report t = infinity (ridge / ridgeless / posterior limit)")
        if name == "simulate":
            p.add_argument("--seeds", default="16", help="number of independent draws of data and features; integer 1..1e6 (default 16)")
            p.add_argument("--seed", default="0", help="base seed, integer 0..2^32-1; seeds derive from it and the parameter point (default 0)")
        p.add_argument("--out", required=True, help="output Parquet file (curve table); written atomically")
    check = sub.add_parser("check-config", help="validate a workflow config file and print a summary")
    check.add_argument("configfile")
    return parser


def point_from_args(args) -> dict:
    from .spectrum import check_powerlaw, read_spectrum_file

    include_inf = bool(args.include_inf)
    gamma = _number("--weight-decay", args.weight_decay, 0, False, 1e6, "a number 0 <= gamma <= 1e6")
    temperature = _number("--temperature", args.temperature, 0, False, 1e6, "a number 0 <= T <= 1e6")
    noise = _number("--noise", args.noise, 0, False, 1e6, "a number 0 <= sigma <= 1e6")
    if args.init_std.strip().lower() == "prior":
        if not (gamma > 0 and temperature > 0):
            raise InputError("--init-std", args.init_std, "'prior' only with --weight-decay > 0 and --temperature > 0")
        init_std = math.sqrt(temperature / gamma)
    else:
        init_std = _number("--init-std", args.init_std, 0, False, 1e6, "a number >= 0, or prior")
    point = {
        "n_features": _positive_size("--features", args.features, allow_inf=True),
        "n_samples": _positive_size("--samples", args.samples, allow_inf=args.command == "dmft"),
        "noise": noise,
        "weight_decay": gamma,
        "temperature": temperature,
        "init_std": init_std,
        "regime": "langevin" if temperature > 0 else ("gf_wd" if gamma > 0 else "gf"),
        "times": _times(args.times, include_inf).tolist(),
    }
    point["kind"] = point["regime"]
    if args.spectrum_file:
        spectrum = read_spectrum_file(args.spectrum_file, key="--spectrum-file")
        point.update(spectrum="file", path=str(args.spectrum_file), alpha=None, beta=None, n_modes=spectrum.n_modes, teacher="file")
    else:
        alpha = _number("--alpha", args.alpha, 1, True, 10, "a number 1 < alpha <= 10")
        beta = _number("--beta", args.beta, 1, True, 20, "a number 1 < beta <= 20")
        modes = _positive_size("--modes", args.modes, allow_inf=False)
        if args.command == "simulate" and modes > 1e6:
            raise InputError("--modes", args.modes, "an integer 1 <= M <= 1e6 for simulation")
        if args.teacher not in ("powerlaw", "prior"):
            raise InputError("--teacher", args.teacher, "powerlaw | prior")
        check_powerlaw(alpha, beta, int(modes), args.teacher, prefix="--")
        point.update(spectrum="powerlaw", alpha=alpha, beta=beta, n_modes=int(modes), teacher=args.teacher)
    if not args.out.endswith(".parquet"):
        raise InputError("--out", args.out, "a path ending in .parquet")
    return point


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "check-config":
            from .config import load_config
            from .grid import dmft_chunks, sim_chunks

            cfg = load_config(args.configfile)
            n_dmft = sum(len(c) for c in dmft_chunks(cfg).values())
            print(f"{args.configfile}: valid; {n_dmft} points, {len(dmft_chunks(cfg))} DMFT jobs, {len(sim_chunks(cfg))} simulation jobs")
            return 0
        return _run_point(args)
    except InputError as err:
        sys.stderr.write(f"scaling-dmft: error: {err}\n")
        return EXIT_INPUT
    except NumericalError as err:
        sys.stderr.write(f"scaling-dmft: numerical failure: {err}\n")
        return EXIT_NUMERICAL


def _run_point(args) -> int:
    from . import tables
    from .pipeline import run_dmft_points, run_sim_group

    point = point_from_args(args)
    if args.command == "dmft":
        frame = run_dmft_points([point])
        meta = tables.provenance(point)
    else:
        seeds = _positive_size("--seeds", args.seeds, allow_inf=False)
        if seeds > 1e6:
            raise InputError("--seeds", args.seeds, "an integer 1..1e6")
        base = _number("--seed", args.seed, 0, False, 2**32 - 1, "an integer 0..2^32-1")
        if not float(base).is_integer():
            raise InputError("--seed", args.seed, "an integer 0..2^32-1")
        from .grid import disorder_key
        from .workflow import SEED_RULE

        group = {"disorder": disorder_key(point), "points": [point], "seeds": int(seeds)}
        frame = run_sim_group(group, int(base))
        meta = tables.provenance({**point, "seeds": int(seeds), "base_seed": int(base)}, seeds=f"{SEED_RULE}; base_seed={int(base)}")
    tables.write_table(tables.sort_rows(frame, "curve"), args.out, "curve", meta)
    print(f"wrote {len(frame)} rows to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

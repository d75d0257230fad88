"""Run the command line in the test process: `cli.main(argv)` with its working folder, standard
output and standard error redirected, returned as a `subprocess.CompletedProcess`.

A subprocess costs ~1.6 s of interpreter and import start-up per call; the CLI tests call the CLI
about 90 times. What only a real process can show (the `python -m scaling_dmft` entry point, BLAS
threads pinned before numpy is imported) is tested with `run_cli_process`.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path


def run_cli(args: list[str], cwd: str | Path) -> subprocess.CompletedProcess:
    from scaling_dmft import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(list(args))
        except SystemExit as stop:  # argparse: --help (0) and usage errors (2)
            code = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def run_cli_process(args: list[str], cwd: str | Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m scaling_dmft ARGS` in a fresh interpreter."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "scaling_dmft", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )

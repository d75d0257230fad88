"""Logging for workflow jobs: everything goes to the rule's log file (and stderr)."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# the most BLAS threads a command (--threads) or an API call (`threads`) may ask for
MAX_THREADS = 1024


def limit_threads(threads: int) -> None:
    """Pin BLAS threads to `threads` before numpy is imported, overriding whatever the environment
    says: a job promises its scheduler `threads` cores (no oversubscription), and a table is
    bitwise reproducible only at a fixed thread count (docs/reliability.md, Reproducibility)."""
    for var in THREAD_VARIABLES:
        os.environ[var] = str(max(1, int(threads)))


@contextmanager
def blas_threads(threads: int | None) -> Iterator[None]:
    """BLAS threads limited to `threads` while the block runs (threadpoolctl: it works after numpy is
    imported, unlike the environment variables); None leaves them as they are."""
    if threads is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=max(1, int(threads)), user_api="blas"):
        yield


def threads_from_argv(argv: Sequence[str]) -> int:
    """The value of `--threads N` / `--threads=N` in a command line (1 when absent or not a
    positive integer: the CLI's parser then reports the bad value)."""
    for i, arg in enumerate(argv):
        text = (
            argv[i + 1]
            if arg == "--threads" and i + 1 < len(argv)
            else arg[len("--threads=") :]
            if arg.startswith("--threads=")
            else None
        )
        if text is not None:
            return int(text) if text.isdigit() and 1 <= int(text) <= MAX_THREADS else 1
    return 1


@contextmanager
def job_logging(log_path: str | None, name: str) -> Iterator[logging.Logger]:
    """Configure the 'scaling_dmft' logger to write to the job log; log failures with traceback
    to the file (the user sees a one-line summary from Snakemake)."""
    logger = logging.getLogger("scaling_dmft")
    logger.setLevel(logging.INFO)
    handlers = [logging.StreamHandler(sys.stderr)]
    if log_path:
        handlers.append(logging.FileHandler(log_path, mode="w"))
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S")
    for handler in handlers:
        handler.setFormatter(fmt)
        logger.addHandler(handler)
    started = time.monotonic()
    logger.info("%s: started", name)
    try:
        yield logger
    except Exception:
        logger.exception("%s: failed", name)
        raise
    else:
        logger.info("%s: done in %.1f s", name, time.monotonic() - started)
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
            handler.close()

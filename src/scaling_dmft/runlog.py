"""Logging for workflow jobs: everything goes to the rule's log file (and stderr)."""

from __future__ import annotations

import logging
import os
import sys
import time
from contextlib import contextmanager


def limit_threads(threads: int) -> None:
    """Pin BLAS threads to the job's `threads` before numpy is imported (results do not
    depend on it; cluster jobs must not oversubscribe their allocation)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(max(1, int(threads))))


@contextmanager
def job_logging(log_path: str | None, name: str):
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

"""Fault injection for the retry test (tests/test_slurm.py), reached only by putting this folder on
PYTHONPATH: Python then imports this module at the start of every process, the workflow's job
scripts included.

With SCALING_DMFT_FAIL_ONCE_DIR set, the first attempt of each simulation job fails (a marker file
in that folder remembers it) and the retry succeeds. The production code has no hook for this: the
job script's `scaling_dmft.rules.sim_chunk` is replaced here, before the script imports it.
Importing it loads numpy before the job pins its BLAS threads, so the test that uses this also sets
OMP_NUM_THREADS / OPENBLAS_NUM_THREADS = 1 in the environment (tests/test_slurm.py, `_env`).
"""

import os
from pathlib import Path

FOLDER = os.environ.get("SCALING_DMFT_FAIL_ONCE_DIR")

if FOLDER:
    from scaling_dmft import rules

    _sim_chunk = rules.sim_chunk

    def _fail_once_then_simulate(groups, base_seed, out, *rest, **options):
        # *rest/**options: whatever else the job script passes (the chunk id) goes through unchanged
        marker = Path(FOLDER) / (Path(out).name + ".failed-once")
        if not marker.exists():
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text("failed once on purpose\n")
            raise RuntimeError(f"injected failure (SCALING_DMFT_FAIL_ONCE_DIR={FOLDER}); a retry will succeed")
        return _sim_chunk(groups, base_seed, out, *rest, **options)

    rules.sim_chunk = _fail_once_then_simulate

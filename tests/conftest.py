# ---- tiny_* fixtures: the tiny sweep (config/test.yaml) run by Snakemake -------------------
# Owned by the reliability tests (test_interrupt.py, test_reproducibility.py); other workers
# append their own fixtures below, with their own prefix.
import os as _tiny_os
import subprocess as _tiny_subprocess
import sys as _tiny_sys
import time as _tiny_time
from pathlib import Path as _TinyPath

import pytest as _tiny_pytest

# Under pytest-xdist the workers are several processes sharing the machine's cores: one BLAS thread
# each (set before numpy is first imported, which happens after this file loads), instead of every
# worker starting as many threads as there are cores. Subprocesses inherit it; the tests of thread
# counts set their own.
if _tiny_os.environ.get("PYTEST_XDIST_WORKER"):
    for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        _tiny_os.environ[_variable] = "1"

TINY_ROOT = _TinyPath(__file__).resolve().parents[1]
TINY_CONFIG = TINY_ROOT / "config" / "test.yaml"
TINY_SNAKEMAKE = str(_TinyPath(_tiny_sys.executable).with_name("snakemake"))
TINY_TABLES = ("spectra", "curves", "fits", "early_stopping")
TINY_KINDS = {"spectra": "spectrum", "curves": "curve", "fits": "fit", "early_stopping": "early_stopping"}


def tiny_env(threads: int = 1) -> dict:
    """Environment of a tiny run (the jobs themselves pin one BLAS thread: runlog.limit_threads)."""
    n = str(threads)
    return {**_tiny_os.environ, "OMP_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n, "MKL_NUM_THREADS": n}


# The reruns of the reliability tests build only the tables (the `tables` target), which are
# what they compare; the reference run builds everything (`all`), for the workflow tests.
TINY_TABLES_TARGET = "tables"


def tiny_command(workdir, cores: int = 2, *extra) -> list[str]:
    return [
        TINY_SNAKEMAKE,
        "--snakefile",
        str(TINY_ROOT / "Snakefile"),
        "--cores",
        str(cores),
        "--configfile",
        str(TINY_CONFIG),
        "--directory",
        str(workdir),
        *extra,
    ]


def tiny_run(workdir, cores: int = 2, *extra, threads: int = 1, timeout: float = 1800) -> dict:
    """Run the tiny sweep to completion; returns {'workdir', 'tables', 'wall_s', 'proc'}."""
    workdir = _TinyPath(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    started = _tiny_time.monotonic()
    proc = _tiny_subprocess.run(
        tiny_command(workdir, cores, *extra),
        cwd=workdir,
        env=tiny_env(threads),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    wall = _tiny_time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-6000:]
    return {"workdir": workdir, "tables": workdir / "results" / "test" / "tables", "wall_s": wall, "proc": proc}


def tiny_read_tables(tables_dir) -> dict:
    """The four final tables, rows sorted by every column (order-free content comparison)."""

    from scaling_dmft import tables as _tables

    out = {}
    for name in TINY_TABLES:
        frame = _tables.read_table(_TinyPath(tables_dir) / f"{name}.parquet", TINY_KINDS[name])
        attrs = dict(frame.attrs)
        frame = frame.sort_values(list(frame.columns), kind="mergesort", na_position="first").reset_index(drop=True)
        frame.attrs = attrs
        out[name] = frame
    return out


def tiny_assert_same_tables(left: dict, right: dict, exact: bool = True) -> None:
    """Equal content (pandas.testing.assert_frame_equal, exact by default) and provenance."""
    import pandas.testing as pdt

    for name in TINY_TABLES:
        a, b = left[name], right[name]
        assert len(a) > 0, name
        pdt.assert_frame_equal(a, b, check_exact=exact, rtol=0 if exact else 1e-12, atol=0, obj=name)
        assert a.attrs == b.attrs, (name, a.attrs, b.attrs)


@_tiny_pytest.fixture(scope="session")
def tiny_reference_run(tmp_path_factory):
    """One uninterrupted run of config/test.yaml with --cores 2, target `all` (shared by the
    workflow, interruption, reproducibility and SLURM tests). Dict: workdir, tables (folder),
    wall_s, frames (sorted tables).

    Run once per test session, also when pytest-xdist spreads the tests over several worker
    processes: the first worker that needs it runs it in the session's shared temporary folder
    under an exclusive file lock; the others wait on the lock and read what it wrote."""
    import fcntl
    import json

    base = tmp_path_factory.getbasetemp()
    # under xdist each worker has its own folder below the session's; without xdist, the session's
    shared = base.parent if _tiny_os.environ.get("PYTEST_XDIST_WORKER") else base
    workdir = shared / "tiny_reference"
    done, failed = shared / "tiny_reference.json", shared / "tiny_reference.failed"
    with open(shared / "tiny_reference.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if failed.exists():  # one failure, reported once, not rerun in its half-written folder
            _tiny_pytest.fail("the shared tiny reference run failed in another worker:\n" + failed.read_text())
        if done.exists():
            ref = json.loads(done.read_text())
        else:
            try:
                run = tiny_run(workdir, 2)
            except BaseException as err:
                failed.write_text(str(err)[-4000:] or repr(err))
                raise
            ref = {"wall_s": run["wall_s"]}
            done.write_text(json.dumps(ref))
    ref.update(workdir=workdir, tables=workdir / "results" / "test" / "tables")
    ref["frames"] = tiny_read_tables(ref["tables"])
    return ref


@_tiny_pytest.fixture(scope="session")
def tiny_tools():
    """The helpers above as one namespace (tests do not import conftest)."""
    import types

    return types.SimpleNamespace(
        run=tiny_run,
        command=tiny_command,
        env=tiny_env,
        read_tables=tiny_read_tables,
        assert_same_tables=tiny_assert_same_tables,
        tables=TINY_TABLES,
        tables_target=TINY_TABLES_TARGET,
        kinds=TINY_KINDS,
        root=TINY_ROOT,
    )


# ---- order: the longest test files first -------------------------------------------------------
# Under pytest-xdist (`--dist loadfile`, pyproject.toml) a worker takes a whole file, in the order
# collected; starting the longest ones (mostly waiting on SLURM or on workflow jobs) first keeps
# the suite's wall time near that of its longest file (order from `pytest --durations`, 2026-12-01).
LONGEST_FIRST = (
    "test_workflow.py",  # first: its fixture starts the shared tiny reference run
    "test_slurm.py",
    "test_frontier.py",  # simulated frontier points of three regimes, about 3 min
    "test_dmft_vs_sim_edges.py",
    "test_interrupt.py",
    "test_interrupt_ctrl_c.py",
    "test_dmft_vs_sim.py",
    "test_integrity.py",
    "test_bad_input.py",
    "test_atlas.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONGEST_FIRST)))  # stable: file order kept


# ---- SIGINT reaches the processes the tests start ---------------------------------------------
# A shell without job control starts background commands with SIGINT ignored, and an ignored
# signal stays ignored across fork and exec: `make test &`, nohup or some CI runners would hand
# every Snakemake the tests start a SIGINT it cannot receive, and the Ctrl-C tests would see runs
# that finish instead of stopping. With a Python handler installed here, children start with the
# default action again (exec resets handled signals, not ignored ones).


def pytest_configure(config):
    import signal

    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)

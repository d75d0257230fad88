"""Interruption: no partial table under an output name, and a rerun finishes with the same
tables as an uninterrupted run (docs/reliability.md, "Interruption").

- unit level: `tables.write_table` writes a hidden temp file `.name.<random>.tmp` and renames it;
  a failure during the write leaves neither a partial output nor a temp file, and keeps an older
  output intact; a writer SIGKILLed mid-write leaves only complete Parquet files under output
  names (at most a hidden temp file);
- workflow level: config/test.yaml is started in its own session, SIGKILLed (whole process
  group) once at least one chunk table exists but the final curves table does not; every
  Parquet file under results/ then reads cleanly; `snakemake --unlock` (a SIGKILLed Snakemake
  cannot remove its lock) and a rerun with `--rerun-incomplete` finish the run; the four
  final tables equal, by content, those of the uninterrupted reference run.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from scaling_dmft import tables
from table_rows import curve_frame

TMP_NAME = re.compile(r"^\.(?P<name>.+\.parquet)\..+\.tmp$")


def _curve_frame(n: int) -> pd.DataFrame:
    return curve_frame(np.arange(1, n + 1, dtype=np.float64), np.linspace(0.1, 1.0, n))


def test_failed_write_leaves_no_partial_file_and_keeps_old_output(tmp_path, monkeypatch):
    path = tmp_path / "curves.parquet"
    tables.write_table(_curve_frame(5), path, "curve")
    before = path.read_bytes()

    def crash(table, where, *args, **kwargs):
        Path(where).write_bytes(b"PAR1 partial")  # half a file in the temp location, then die
        raise KeyboardInterrupt("interrupted mid-write")

    monkeypatch.setattr(tables.pq, "write_table", crash)
    with pytest.raises(KeyboardInterrupt):
        tables.write_table(_curve_frame(7), path, "curve")
    assert path.read_bytes() == before, "the old output was touched"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.parquet"], "temp file left behind"
    # and a fresh output name never appears when the first write fails
    with pytest.raises(KeyboardInterrupt):
        tables.write_table(_curve_frame(7), tmp_path / "new.parquet", "curve")
    assert not (tmp_path / "new.parquet").exists()


def test_invalid_table_is_rejected_before_anything_is_written(tmp_path):
    frame = _curve_frame(4)
    frame.loc[2, "eg"] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        tables.write_table(frame, tmp_path / "c.parquet", "curve")
    assert list(tmp_path.iterdir()) == []


_WRITER = """
import sys, numpy as np, pandas as pd
from scaling_dmft import tables
sys.path.insert(0, sys.argv[2])
from test_interrupt import _curve_frame
frame = _curve_frame(200_000)
print("ready", flush=True)
i = 0
while True:
    frame["eg"] = float(i)
    tables.write_table(frame, sys.argv[1], "curve")
    i += 1
"""


@pytest.mark.parametrize("delay", [0.35, 0.8, 1.3])
def test_sigkill_during_writes_leaves_only_complete_files(tmp_path, delay):
    path = tmp_path / "curves.parquet"
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path), str(Path(__file__).parent)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    names = sorted(p.name for p in tmp_path.iterdir())
    for name in names:
        if name == "curves.parquet":
            frame = tables.read_table(path, "curve")
            assert len(frame) == 200_000 and frame["eg"].nunique() == 1
        else:  # at most the hidden temp file of the write in progress
            assert TMP_NAME.match(name) and TMP_NAME.match(name)["name"] == "curves.parquet", names


# ---- the workflow -------------------------------------------------------------------------------


def _parquet_files(results: Path) -> tuple[list[Path], list[Path]]:
    outputs, temps = [], []
    for p in sorted(results.rglob("*")):
        if not p.is_file():
            continue
        if p.name.startswith("."):
            temps.append(p)
        elif p.suffix == ".parquet":
            outputs.append(p)
    return outputs, temps


def _kind(path: Path) -> str:
    if path.parent.name == "spectra" or path.name == "spectra.parquet":
        return "spectrum"
    return {"fits.parquet": "fit", "early_stopping.parquet": "early_stopping"}.get(path.name, "curve")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _start_and_interrupt(tiny_tools, workdir: Path, sig: int, log_path: Path) -> float:
    """Start the tiny run in its own session; send `sig` to its process group once a chunk
    table exists but the final curves table does not; wait for the whole group to end.

    An aggregation already running may still finish its (atomic) write of the curves table after
    the signal, under load; the fit job, which needs that table, cannot have started, so the run
    is checked to be incomplete by its exit status and the missing fits table."""
    results = workdir / "results" / "test"
    chunks, curves = results / "chunks", results / "tables" / "curves.parquet"
    log = log_path.open("w")
    started = time.monotonic()
    proc = subprocess.Popen(
        tiny_tools.command(workdir, 2, tiny_tools.tables_target),
        cwd=workdir,
        env=tiny_tools.env(1),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    sent_at = None
    try:
        while time.monotonic() - started < 900:
            done = list(chunks.glob("*/*.parquet")) if chunks.exists() else []
            if done and not curves.exists():
                os.killpg(proc.pid, sig)
                sent_at = time.monotonic() - started
                break
            if proc.poll() is not None:
                break
            time.sleep(0.02)
        proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
        log.close()
    assert sent_at is not None, "the run ended before it could be interrupted:\n" + log_path.read_text()[-3000:]
    deadline = time.monotonic() + 30
    while _group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _group_alive(proc.pid), "jobs survived the interruption of the process group"
    assert proc.returncode != 0, "the interrupted run reported success"
    assert not (results / "tables" / "fits.parquet").exists(), "the run finished despite the signal"
    return sent_at


def _assert_no_partial_outputs(results: Path) -> tuple[int, int]:
    """Every Parquet file under an output name reads cleanly; anything else is a hidden temp file."""
    outputs, temps = _parquet_files(results)
    for path in outputs:
        frame = tables.read_table(path, _kind(path))  # full read + schema check
        assert len(frame) > 0, path
        assert pq.ParquetFile(path).metadata.num_rows == len(frame)
    for path in temps:
        assert TMP_NAME.match(path.name), f"unexpected non-output file {path}"
    n_chunks = sum(p.parent.parent.name == "chunks" for p in outputs)
    assert n_chunks >= 1
    return n_chunks, len(temps)


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_incomplete_matches_reference(request, tiny_tools, tmp_path):
    workdir = tmp_path / "killed"
    workdir.mkdir()
    killed_at = _start_and_interrupt(tiny_tools, workdir, signal.SIGKILL, tmp_path / "first.log")
    n_chunks, n_temps = _assert_no_partial_outputs(workdir / "results")

    # a SIGKILLed Snakemake cannot remove its lock: the plain rerun is refused with a clear
    # message; `--unlock`, then the same command with --rerun-incomplete finishes the run
    plain = subprocess.run(
        tiny_tools.command(workdir, 2, "--rerun-incomplete", tiny_tools.tables_target),
        cwd=workdir,
        env=tiny_tools.env(1),
        capture_output=True,
        text=True,
        timeout=900,
    )
    locked = plain.returncode != 0
    if locked:
        assert "cannot be locked" in plain.stdout + plain.stderr, plain.stderr[-4000:]
        unlock = subprocess.run(
            tiny_tools.command(workdir, 1, "--unlock"),
            cwd=workdir,
            env=tiny_tools.env(1),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert unlock.returncode == 0, unlock.stderr[-3000:]
        rerun_wall = tiny_tools.run(workdir, 2, "--rerun-incomplete", tiny_tools.tables_target)["wall_s"]
    else:
        rerun_wall = float("nan")
    final = tiny_tools.read_tables(workdir / "results" / "test" / "tables")
    # the reference only now: its run (another worker's, under xdist) overlaps with the runs above
    tiny_reference_run = request.getfixturevalue("tiny_reference_run")
    tiny_tools.assert_same_tables(tiny_reference_run["frames"], final)
    print(
        f"\nSIGKILL after {killed_at:.1f} s ({n_chunks} chunk tables done, {n_temps} hidden temp files); "
        f"plain rerun {'refused: stale lock' if locked else 'succeeded'}; rerun after --unlock "
        f"{rerun_wall:.1f} s; reference {tiny_reference_run['wall_s']:.1f} s"
    )

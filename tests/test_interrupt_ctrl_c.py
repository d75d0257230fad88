"""Ctrl-C in the middle of a run, then a plain rerun with --cores 1 (docs/reliability.md).

A file of its own so that pytest-xdist (`--dist loadfile`) runs it beside tests/test_interrupt.py
(SIGKILL) instead of after it: each costs a partial and a full run of the tiny sweep.
"""

from __future__ import annotations

import signal

import pytest

from test_interrupt import _assert_no_partial_outputs, _start_and_interrupt


@pytest.mark.slow
def test_ctrl_c_mid_run_then_plain_rerun_with_cores_1_matches_reference(request, tiny_tools, tmp_path):
    """SIGINT (Ctrl-C) to the whole group: Snakemake stops its jobs and removes its lock, so the
    rerun needs no --unlock. A job that had already renamed its output may still be marked
    incomplete, so the rerun uses the default profile (rerun-incomplete: true, what `make run`
    uses). The rerun uses --cores 1 (the reference: --cores 2), so this also shows that the core
    count, i.e. the order of jobs, does not change the tables (docs/reliability.md, section 3)."""
    workdir = tmp_path / "interrupted"
    workdir.mkdir()
    sent_at = _start_and_interrupt(tiny_tools, workdir, signal.SIGINT, tmp_path / "first.log")
    n_chunks, n_temps = _assert_no_partial_outputs(workdir / "results")
    profile = str(tiny_tools.root / "workflow" / "profiles" / "default")
    rerun = tiny_tools.run(workdir, 1, "--profile", profile, tiny_tools.tables_target)  # no --unlock after Ctrl-C
    # the reference only now: its run (another worker's, under xdist) overlaps with the runs above
    tiny_reference_run = request.getfixturevalue("tiny_reference_run")
    tiny_tools.assert_same_tables(tiny_reference_run["frames"], tiny_tools.read_tables(rerun["tables"]))
    print(
        f"\nSIGINT after {sent_at:.1f} s ({n_chunks} chunk tables done, {n_temps} temp files); "
        f"rerun (--cores 1, default profile) {rerun['wall_s']:.1f} s; reference {tiny_reference_run['wall_s']:.1f} s"
    )

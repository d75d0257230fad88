"""The command line for people: CSV on standard output or in a file (the same rows and schema as
the Parquet table), progress on stderr, an example in every --help."""

from __future__ import annotations

import io
import sys

import numpy as np
import pandas as pd

from cli_runner import run_cli, run_cli_process
from scaling_dmft import tables

ARGS = ["--alpha", "2", "--beta", "3", "--samples", "64", "--modes", "500", "--times", "0.5:50:4", "--include-inf"]


def _cli(args, cwd):
    return run_cli(args, cwd)


def test_csv_on_stdout_and_in_a_file_match_the_parquet_table(tmp_path):
    parquet = _cli(["dmft", *ARGS, "--out", "t.parquet"], tmp_path)
    assert parquet.returncode == 0, parquet.stderr
    reference = tables.read_table(tmp_path / "t.parquet", "curve")
    stdout = _cli(["dmft", *ARGS, "--out", "-"], tmp_path)
    assert stdout.returncode == 0, stdout.stderr
    assert "wrote" not in stdout.stdout  # stdout holds the table only
    from_stdout = pd.read_csv(io.StringIO(stdout.stdout), keep_default_na=False, na_values=[""])
    to_file = _cli(["dmft", *ARGS, "--out", "t.csv"], tmp_path)
    assert to_file.returncode == 0, to_file.stderr
    from_file = pd.read_csv(tmp_path / "t.csv", keep_default_na=False, na_values=[""])
    for frame in (from_stdout, from_file):
        assert list(frame.columns) == tables.CURVE_SCHEMA.names
        np.testing.assert_array_equal(frame["t"].to_numpy(float), reference["t"].to_numpy())
        np.testing.assert_allclose(frame["eg"].to_numpy(float), reference["eg"].to_numpy(), rtol=1e-15)


def test_simulation_prints_progress_with_an_estimate(tmp_path, monkeypatch):
    from scaling_dmft import cli

    monkeypatch.setattr(cli, "PROGRESS_EVERY", 0.0)  # every seed, so a short run shows it
    progress = cli._progress_printer(4)
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    for done in (1, 2, 3, 4):
        progress(done, 4)
    lines = err.getvalue().splitlines()
    assert lines and all(line.startswith("scaling-dmft: simulate: ") and "s left" in line for line in lines)
    assert lines[0].startswith("scaling-dmft: simulate: 1/4 seeds")


def test_help_shows_an_example_per_command(tmp_path):
    for command in ("dmft", "simulate"):
        out = _cli([command, "--help"], tmp_path)
        assert out.returncode == 0 and f"scaling-dmft {command} " in out.stdout.split("example:")[1]


def test_the_module_entry_point_runs_a_query_and_refuses_bad_input(tmp_path):
    """`python -m scaling_dmft` in a real process: exit 0 and a table, or exit 2 and one line."""
    good = run_cli_process(["dmft", *ARGS, "--out", "t.parquet"], tmp_path)
    assert good.returncode == 0 and (tmp_path / "t.parquet").is_file(), good.stderr
    bad = run_cli_process(["dmft", "--alpha", "1", "--beta", "2", "--out", "u.parquet"], tmp_path)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--alpha" in bad.stderr, bad.stderr
    assert not (tmp_path / "u.parquet").exists()


def test_version_and_a_readable_table_without_out(tmp_path):
    """`scaling-dmft --version` prints the version; without --out a query prints a summary table
    (the point once, the columns that carry information) and writes no file."""
    from scaling_dmft import __version__

    version = run_cli(["--version"], tmp_path)
    assert version.returncode == 0 and version.stdout.strip() == f"scaling-dmft {__version__}"
    out = _cli(["dmft", *ARGS, "--noise", "0.5", "--weight-decay", "1e-3"], tmp_path)
    assert out.returncode == 0, out.stderr
    header, table = out.stdout.split("\n", 1)
    assert header.startswith("theory: alpha = 2, beta = 3, M = 500, N = inf, P = 64") and "sigma = 0.5" in header
    shown = pd.read_csv(io.StringIO(table), sep=r"\s+")
    assert list(shown.columns) == ["t", "eg", "eg_signal", "eg_noise"]
    assert len(shown) == 5 and shown["t"].iloc[-1] == np.inf
    assert list(tmp_path.iterdir()) == []


def test_flags_carry_the_config_names_and_the_old_spellings_still_work(tmp_path):
    new = _cli(["dmft", "--alpha", "2", "--beta", "3", "--n-samples", "64", "--n-modes", "500", "--out", "-"], tmp_path)
    old = _cli(["dmft", "--alpha", "2", "--beta", "3", "--samples", "64", "--modes", "500", "--out", "-"], tmp_path)
    assert new.returncode == old.returncode == 0 and new.stdout == old.stdout
    bad = _cli(["dmft", "--alpha", "2", "--beta", "3", "--samples", "0"], tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("scaling-dmft: error: --samples")  # as the user spelled it

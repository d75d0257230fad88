"""No silent loss (docs/reliability.md, "Integrity"): every defect of the adversarial pass that
lost or corrupted data without an error, now either refused or handled, each with the guarantee
it tests.

- D1  the same parameter point in two sweeps is kept per sweep (`sweep` column), never dropped;
- D3  a chunk damaged in place is caught by the page checksums / invariants, named, removed and
      rebuilt by the next run, while the finished tables stay untouched;
- D2  a spectrum file is an input of the workflow: editing it reruns what depends on it;
- D4  errors below zero only within round-off are set to 0, further below they are flagged;
      a converged curve gives no early-stopping optimum;
- a failed t = inf closed form flags that row only;
- reproducibility: BLAS threads pinned whatever the environment says; bitwise at a fixed
  thread count, within a stated bound across thread counts.
"""

from __future__ import annotations

import copy
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_runner import run_cli, run_cli_process
from scaling_dmft import grid, rules, tables
from scaling_dmft.config import load_yaml, validate_config
from scaling_dmft.evaluate import curve_rows
from scaling_dmft.points import Model, Point, Regime, SpectrumSpec

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}


def _cli(args, cwd):
    return run_cli(args, cwd)


# ---- D1: one point in two sweeps ------------------------------------------------------------


def _two_sweeps_config():
    cfg = load_yaml(ROOT / "config" / "test.yaml")
    base = cfg["sweeps"]["learning_curves"]
    shared = {
        "alpha": [2.0],
        "beta": [3.0],
        "n_features": [64],
        "n_samples": [32],
        "noise": [0.0],
        "regimes": ["gf_wd"],
        "simulate": True,
    }
    cfg["sweeps"] = {
        "few_seeds": {**shared, "seeds": 2},
        "many_seeds": {**shared, "seeds": 6, "times": {"start": 0.5, "stop": 50.0, "count": 5}},
    }
    cfg["figures"] = {}
    assert base  # the test config still has the sweep we copied from
    return validate_config(cfg, base_dir=ROOT / "config")


def test_same_point_in_two_sweeps_is_kept_per_sweep(tmp_path):
    cfg = _two_sweeps_config()
    paths = []
    for name, points in grid.dmft_chunks(cfg).items():
        paths.append(tmp_path / f"dmft-{name}.parquet")
        rules.dmft_chunk([p.to_dict() for p in points], paths[-1])
    for name, groups in grid.sim_chunks(cfg).items():
        paths.append(tmp_path / f"sim-{name}.parquet")
        rules.sim_chunk([g.to_dict() for g in groups], 0, paths[-1])
    curves = rules.aggregate([str(p) for p in paths], str(tmp_path / "curves.parquet"), "curve")
    sim = curves[curves["method"] == "sim"]
    seeds = sim.groupby("sweep")["n_seeds"].unique().to_dict()
    assert {k: list(v) for k, v in seeds.items()} == {"few_seeds": [2], "many_seeds": [6]}

    # the validation summary of these curves is a table of its own schema, with provenance
    out = {name: str(tmp_path / name) for name in ("s.parquet", "s.html", "v.md", "w.png")}
    rules.validation_summary(str(tmp_path / "curves.parquet"), {"rel_tol": 0.02, "z_tol": 3.0}, *out.values())
    summary = tables.read_table(out["s.parquet"], "validation")  # checksums and schema verified
    assert list(summary.columns) == tables.VALIDATION_SCHEMA.names
    assert set(summary["sweep"]) == {"few_seeds", "many_seeds"} and set(summary["quantity"]) == {"eg", "eg_mean"}
    assert summary.attrs["config_hash"] == tables.read_table(tmp_path / "curves.parquet", "curve").attrs["config_hash"]
    # each sweep keeps its own time grid: one curve is one sweep's grid
    finite = curves[np.isfinite(curves["t"])]
    assert finite.groupby(["sweep", "method"]).size().to_dict() == {
        ("few_seeds", "dmft"): 12,
        ("few_seeds", "sim"): 12,
        ("many_seeds", "dmft"): 5,
        ("many_seeds", "sim"): 5,
    }
    # the seeds depend on the disorder point only: the first two seeds of both sweeps agree, so
    # the 2-seed mean of one sweep is reproduced from the other's seeds (no hidden sweep dependence)
    t1 = sim[(sim["t"] == np.inf)].set_index("sweep")["eg"]
    assert t1["few_seeds"] != t1["many_seeds"]  # different seed counts, different means


def test_aggregate_refuses_rows_that_share_their_key(tmp_path):
    cfg = _two_sweeps_config()
    points = grid.dmft_chunks(cfg)["few_seeds-0000"]
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    rules.dmft_chunk([p.to_dict() for p in points], a)
    frame = tables.read_table(a, "curve")
    frame.loc[:, "eg_signal"] *= 1.5  # same keys, other values: which one is right is unknowable
    frame["eg"] = frame["eg_signal"] + frame["eg_noise"] + frame["eg_init"] + frame["eg_thermal"]
    frame["eg_mean"] = frame["eg"] - frame["eg_thermal"]
    tables.write_table(frame, b, "curve")
    with pytest.raises(ValueError, match="share their key"):
        rules.aggregate([str(a), str(b)], str(tmp_path / "out.parquet"), "curve")
    assert not (tmp_path / "out.parquet").exists()
    # identical curve rows are a chunk held twice (every curve row names its sweep): refused too
    # (issue 25, A3: they were merged, which hid a copied chunk and the rows it replaced)
    with pytest.raises(ValueError, match="share their key"):
        rules.aggregate([str(a), str(a)], str(tmp_path / "out.parquet"), "curve")
    assert not (tmp_path / "out.parquet").exists()


# ---- D3: damaged chunks -------------------------------------------------------------------


def _chunk(tmp_path) -> Path:
    cfg = _two_sweeps_config()
    path = tmp_path / "chunk.parquet"
    rules.dmft_chunk([p.to_dict() for p in grid.dmft_chunks(cfg)["few_seeds-0000"]], path)
    return path


def _data_region(path: Path) -> tuple[int, int]:
    """[start, end) of the column chunks: between the leading magic and the footer."""
    raw = path.read_bytes()
    footer = int.from_bytes(raw[-8:-4], "little")
    return 4, len(raw) - 8 - footer


def test_every_in_place_flip_in_the_data_is_caught(tmp_path):
    """4 bytes flipped at every third offset of the column data (same size, same name): the read
    fails (page checksum, or the file's structure), or returns exactly the original numbers (the
    flip hit page-header statistics the reader does not use); it never returns wrong numbers."""
    good = _chunk(tmp_path)
    raw = good.read_bytes()
    reference = tables.read_table(good, "curve")
    start, end = _data_region(good)
    caught = unread = 0
    for offset in range(start, end - 4, 3):
        bad = bytearray(raw)
        for i in range(offset, offset + 4):
            bad[i] ^= 0xFF
        path = tmp_path / "bad.parquet"
        path.write_bytes(bytes(bad))
        try:
            frame = tables.read_table(path, "curve")
        except tables.CorruptTableError:
            caught += 1
            continue
        assert frame.equals(reference), f"flip at byte {offset} returned different numbers"
        unread += 1
    assert caught > 5 * unread, (caught, unread)  # most of the region is checksummed data


def test_verify_chunk_removes_a_damaged_chunk_and_names_it(tmp_path):
    path = _chunk(tmp_path)
    raw = bytearray(path.read_bytes())
    start, end = _data_region(path)
    # 32 bytes from the middle: one byte there may be page-header statistics the reader does not use
    # (test_every_in_place_flip_in_the_data_is_caught), 32 reach column data whatever the layout
    for i in range((start + end) // 2, (start + end) // 2 + 32):
        raw[i] ^= 0xFF
    path.write_bytes(bytes(raw))
    marker = tmp_path / "chunk.verified"
    with pytest.raises(tables.CorruptTableError, match=re.escape(str(path))):
        rules.verify_chunk(str(path), str(marker))
    assert not path.exists(), "a damaged chunk must be removed so that the next run rebuilds it"
    assert not marker.exists()


def test_verify_chunk_checks_the_invariants(tmp_path):
    """A well-formed file whose numbers break the table's invariants (eg_mean > eg, as the
    1.6e308 corruption gave) is refused, naming the invariant."""
    path = _chunk(tmp_path)
    frame = tables.read_table(path, "curve")
    frame.loc[3, "eg_mean"] = 1.6e308
    tables.write_table(frame, path, "curve")
    with pytest.raises(tables.CorruptTableError, match="eg >= eg_mean"):
        rules.verify_chunk(str(path), str(tmp_path / "m"))
    good = _chunk(tmp_path)
    rules.verify_chunk(str(good), str(tmp_path / "m"))
    assert (tmp_path / "m").exists()


# ---- D2 + D3 through the workflow ---------------------------------------------------------

_WORKFLOW_CONFIG = """
run_name: integrity
n_modes: 200
times: {start: 0.1, stop: 100.0, count: 4, include_inf: true}
regimes:
  - {name: gf_wd, kind: gf_wd, weight_decay: 1.0e-2, temperature: 0.0}
sweeps:
  from_file:
    spectrum_file: spectrum.csv
    n_features: [.inf]
    n_samples: [16, 32]
    regimes: [gf_wd]
"""


def _spectrum_csv(path: Path, scale: float) -> None:
    k = np.arange(1, 101, dtype=np.float64)
    pd.DataFrame({"eigenvalue": k**-2.0, "target_power": scale * k**-3.0}).to_csv(path, index=False)


def _snakemake(workdir: Path):
    """The tables (`tables` target: what these checks read), as `make run` would build them."""
    cmd = [
        SNAKEMAKE,
        "tables",
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--cores",
        "1",
        "--configfile",
        str(workdir / "c.yaml"),
        "--directory",
        str(workdir),
        "--profile",
        str(ROOT / "workflow" / "profiles" / "default"),
    ]
    return subprocess.run(cmd, cwd=workdir, env=ENV, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_workflow_spectrum_file_edits_and_damaged_chunks(tmp_path):
    (tmp_path / "c.yaml").write_text(_WORKFLOW_CONFIG)
    _spectrum_csv(tmp_path / "spectrum.csv", 1.0)
    first = _snakemake(tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    curves_path = tmp_path / "results" / "integrity" / "tables" / "curves.parquet"
    before = tables.read_table(curves_path, "curve")

    # D2: edit the spectrum file -> the spectrum, chunks and tables are rebuilt from the new values
    _spectrum_csv(tmp_path / "spectrum.csv", 2.0)
    second = _snakemake(tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    after = tables.read_table(curves_path, "curve")
    ratio = after["eg_signal"].to_numpy() / before["eg_signal"].to_numpy()
    np.testing.assert_allclose(ratio, 2.0, rtol=1e-9)  # the signal is linear in the target powers

    # D3: flip bytes inside a chunk (same size) -> the run fails naming the chunk, removes it and
    # leaves the finished curves table as it was; the next run rebuilds it and finishes
    chunk = tmp_path / "results" / "integrity" / "chunks" / "dmft" / "from_file-0000.parquet"
    finished = curves_path.read_bytes()
    start, end = _data_region(chunk)
    raw = bytearray(chunk.read_bytes())
    for i in range((start + end) // 2, (start + end) // 2 + 4):
        raw[i] ^= 0xFF
    chunk.write_bytes(bytes(raw))
    third = _snakemake(tmp_path)
    assert third.returncode != 0
    assert "from_file-0000.parquet" in third.stdout + third.stderr
    assert not chunk.exists()
    assert curves_path.read_bytes() == finished, "the finished table must survive a damaged chunk"
    fourth = _snakemake(tmp_path)
    assert fourth.returncode == 0, fourth.stderr[-3000:]
    assert curves_path.read_bytes() == finished, "the rebuilt chunk gives the same table"


# ---- D4: round-off below zero, converged curves ---------------------------------------------

_POINT = Point(Model(SpectrumSpec(2.0, 3.0, 300), math.inf, math.inf), Regime("gf", noise=0.5), sweep="s")


def test_roundoff_below_zero_is_zero_and_real_negatives_are_flagged():
    t = np.array([1.0, 10.0, 100.0])
    scale = 1.2  # the curve's largest value
    signal = np.array([scale, 1e-3, -1e-3 * tables.ROUNDOFF_REL * scale])  # last: round-off of an exact 0
    zero = np.zeros(3)
    rows = curve_rows(_POINT, "dmft", t, signal, zero, zero, zero)
    assert (rows["eg"] >= 0).all() and rows["eg_signal"].iloc[-1] == 0.0 and (rows["flag"] == "").all()
    signal[-1] = -10 * tables.ROUNDOFF_REL * scale  # ten times the bound: not round-off
    rows = curve_rows(_POINT, "dmft", t, signal, zero, zero, zero)
    assert list(rows["flag"]) == ["", "", "negative"]


def test_p_above_m_gives_no_negative_error_and_no_optimum(tmp_path):
    """P > M (here P = inf, M = 300): E(t) -> 0; the values near 0 are round-off, not data."""
    from scaling_dmft.fit import early_stopping

    out = _cli(
        [
            "dmft",
            "--alpha",
            "2",
            "--beta",
            "3",
            "--modes",
            "300",
            "--samples",
            "inf",
            "--times",
            "0.1:1e15:30",
            "--include-inf",
            "--out",
            "o.parquet",
        ],
        tmp_path,
    )
    assert out.returncode == 0, out.stderr
    curve = tables.read_table(tmp_path / "o.parquet", "curve")
    assert (curve["eg"] >= 0).all() and (curve["eg_mean"] >= 0).all()
    assert (curve["flag"] == "").all()
    early = early_stopping(curve)
    assert early["flag"].iloc[0] in ("no_minimum", "boundary"), early[["t_star", "e_star", "flag"]]


def test_failed_closed_form_flags_only_its_row(tmp_path):
    """M = P with gamma = 0: the t = inf ridgeless limit is undefined (interpolation threshold of the
    truncated spectrum); the finite-time curve is still right and stays unflagged."""
    args = [
        "dmft",
        "--alpha",
        "1.5",
        "--beta",
        "1.5",
        "--modes",
        "100",
        "--samples",
        "100",
        "--temperature",
        "1e-3",
        "--times",
        "0.1:1e4:5",
    ]
    out = _cli([*args, "--include-inf", "--out", "with_inf.parquet"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "1 of 6 rows failed" in out.stderr
    with_inf = tables.read_table(tmp_path / "with_inf.parquet", "curve")
    assert with_inf["flag"].str.startswith("failed").tolist() == [False] * 5 + [True]
    assert _cli([*args, "--out", "finite.parquet"], tmp_path).returncode == 0
    finite = tables.read_table(tmp_path / "finite.parquet", "curve")
    np.testing.assert_array_equal(with_inf["eg"].to_numpy()[:5], finite["eg"].to_numpy())


def test_every_row_failed_exits_3_and_writes_nothing(tmp_path):
    out = _cli(["dmft", "--alpha", "2", "--beta", "3", "--times", "1e-300:1e3:5", "--out", "o.parquet"], tmp_path)
    assert out.returncode == 3, out.stderr
    assert "numerical failure" in out.stderr.splitlines()[-1]
    assert not (tmp_path / "o.parquet").exists()


def test_overflow_is_a_numerical_failure_not_a_traceback(tmp_path):
    out = _cli(
        [
            "simulate",
            "--alpha",
            "2",
            "--beta",
            "3",
            "--init-std",
            "prior",
            "--temperature",
            "1e6",
            "--weight-decay",
            "1e-300",
            "--modes",
            "300",
            "--samples",
            "32",
            "--seeds",
            "2",
            "--out",
            "o.parquet",
        ],
        tmp_path,
    )
    assert out.returncode == 3, out.stderr
    assert "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("scaling-dmft: numerical failure: ")
    assert not (tmp_path / "o.parquet").exists()


# ---- reproducibility: threads -------------------------------------------------------------


def test_limit_threads_overrides_the_environment(monkeypatch):
    from scaling_dmft.runlog import THREAD_VARIABLES, limit_threads

    for var in THREAD_VARIABLES:
        monkeypatch.setenv(var, "7")
    limit_threads(1)
    assert [os.environ[v] for v in THREAD_VARIABLES] == ["1"] * len(THREAD_VARIABLES)


@pytest.mark.parametrize("flag, expected", [([], "1"), (["--threads", "2"], "2")])
def test_cli_pins_its_thread_count_whatever_the_environment_says(flag, expected, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "7", "OPENBLAS_NUM_THREADS": "7", "MKL_NUM_THREADS": "7"}
    out = run_cli_process(
        ["dmft", "--alpha", "2", "--beta", "3", "--times", "1:10:2", *flag, "--out", "o.parquet"], tmp_path, env=env
    )
    assert out.returncode == 0, out.stderr
    assert tables.read_table(tmp_path / "o.parquet").attrs["blas_threads"] == expected


# ---- grid size: chunk ids -----------------------------------------------------------------


def test_chunk_ids_past_9999_match_the_workflow_wildcard():
    text = (ROOT / "workflow" / "rules" / "common.smk").read_text()
    assert "chunk=grid.CHUNK_ID_PATTERN," in text  # the workflow's wildcard constraint
    pattern = grid.CHUNK_ID_PATTERN
    cfg = load_yaml(ROOT / "config" / "test.yaml")
    cfg["sweeps"] = {
        "big": {
            "alpha": [2.0],
            "beta": [3.0],
            "n_features": [math.inf],
            "n_samples": list(range(1, 10003)),
            "regimes": ["gf"],
        }
    }
    cfg["chunks"] = {"dmft_points": 1}
    cfg["figures"] = {}
    chunks = grid.dmft_chunks(validate_config(copy.deepcopy(cfg), base_dir=ROOT / "config"))
    assert len(chunks) == 10002
    assert all(re.fullmatch(pattern, c) for c in chunks), [c for c in chunks if not re.fullmatch(pattern, c)][:3]


def test_negative_zero_is_stored_as_zero(tmp_path):
    """`--noise -0` is the value 0: stored as +0.0, so it groups with every other sigma = 0 row."""
    out = _cli(
        [
            "dmft",
            "--alpha",
            "2",
            "--beta",
            "3",
            "--noise",
            "-0",
            "--weight-decay",
            "-0.0",
            "--times",
            "1:10:2",
            "--out",
            "o.parquet",
        ],
        tmp_path,
    )
    assert out.returncode == 0, out.stderr
    frame = tables.read_table(tmp_path / "o.parquet", "curve")
    assert not np.signbit(frame["noise"].to_numpy()).any() and not np.signbit(frame["weight_decay"].to_numpy()).any()


# ---- self-describing tables ------------------------------------------------------------------


def test_run_tables_carry_the_resolved_config_and_its_true_hash(tmp_path):
    import yaml

    cfg = _two_sweeps_config()
    path = tmp_path / "chunk.parquet"
    rules.dmft_chunk([p.to_dict() for p in grid.dmft_chunks(cfg)["few_seeds-0000"]], path)
    rules.aggregate([str(path)], str(tmp_path / "curves.parquet"), "curve", cfg)
    attrs = tables.read_table(tmp_path / "curves.parquet", "curve").attrs
    assert attrs["config_hash"] == tables.config_hash(cfg)
    assert tables.config_hash(yaml.safe_load(attrs["config_yaml"])) == tables.config_hash(cfg)
    rules.fit_tables(str(tmp_path / "curves.parquet"), str(tmp_path / "fits.parquet"), str(tmp_path / "early.parquet"))
    for name in ("fits", "early"):
        derived = tables.read_table(tmp_path / f"{name}.parquet").attrs
        assert derived["config_hash"] == attrs["config_hash"] and derived["config_yaml"] == attrs["config_yaml"]


def test_every_column_is_described_and_docs_tables_md_is_rendered_from_the_schemas():
    for schema in tables.SCHEMAS.values():
        for field in schema:
            assert field.metadata and field.metadata.get(b"description"), field.name
    assert (ROOT / "docs" / "tables.md").read_text() == tables.markdown()


def test_not_applicable_is_null_not_zero(tmp_path):
    """A theory row has no sampling: its standard errors are null (NaN), never a misleading 0;
    a simulation row's are finite and positive."""
    for command, extra in (("dmft", []), ("simulate", ["--seeds", "4"])):
        out = _cli(
            [command, "--alpha", "2", "--beta", "3", "--times", "1:10:3", "--samples", "32", "--modes", "300", *extra]
            + ["--out", f"{command}.parquet"],
            tmp_path,
        )
        assert out.returncode == 0, out.stderr
        frame = tables.read_table(tmp_path / f"{command}.parquet", "curve")
        sems = frame[["eg_sem", "eg_mean_sem"]].to_numpy()
        assert np.isnan(sems).all() if command == "dmft" else (sems > 0).all()

"""Issue 25, the workflow, atlas, frontier and message defects: each a test that failed on the code
before the fix (checked by running it there) and passes now (docs/reliability.md, section 6).

- A2  a relative path in a config file is read from that file's folder, whatever files follow it;
- A3  a chunk copied onto another's name is refused by its identity (chunk id + digest of its
      points), removed and rebuilt; identical curve rows are never merged away;
- A4  a spectrum file counts by its content: an edit with an old mtime reruns;
- A8  a frontier whose steps diverge is refused before any job; a frontier job whose every budget
      failed fails with the cause, writing no table;
- A9  a budget at which E_g is flat in N to round-off is flagged `unresolved`;
- B8  every job of a run is counted (atlas and data included); atlas jobs are sized before any job;
- C4, C6, C8, C9, C10: one line, the cause named, the right exit status.

The adversarial cases of the same surfaces follow at the end (ADVERSARIAL_*).
"""

from __future__ import annotations

import copy
import dataclasses
import errno
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_runner import run_cli, run_cli_process
from scaling_dmft import cli, grid, rules, tables
from scaling_dmft.config import load_configs, load_yaml, resolve_paths, validate_config
from scaling_dmft.errors import InputError, NumericalError, one_line
from scaling_dmft.frontier import point_frontier
from scaling_dmft.spectra import powerlaw

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
PROFILE = str(ROOT / "workflow" / "profiles" / "default")
INF = math.inf


def _one_line(text: str) -> str:
    """The single line of a message (asserts there is exactly one)."""
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


# ---- a small theory-only run with a spectrum file (two DMFT chunks) -------------------------

CONFIG_A = """run_name: integrity
regimes:
  - {name: gf_wd, kind: gf_wd, weight_decay: 1.0e-2, temperature: 0.0, init_std: 0.0}
chunks: {dmft_points: 1, sim_groups: 1}
times: {start: 1.0, stop: 100.0, count: 3, include_inf: true}
figures: {}
sweeps:
  from_file:
    spectrum_file: spec.csv
    n_features: [.inf]
    n_samples: [16, 32]
    regimes: [gf_wd]
    simulate: false
"""


def _spectrum_csv(path: Path, scale: float) -> None:
    k = np.arange(1, 101, dtype=np.float64)
    pd.DataFrame({"eigenvalue": k**-2.0, "target_power": scale * k**-3.0}).to_csv(path, index=False)


def _two_folders(tmp_path: Path) -> tuple[Path, Path]:
    """d1/a.yaml (the sweep, spectrum_file: spec.csv) beside d1/spec.csv; d2/b.yaml (chunks only)
    beside a different d2/spec.csv (target powers 10 x)."""
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    d1.mkdir()
    d2.mkdir()
    (d1 / "a.yaml").write_text(CONFIG_A)
    (d2 / "b.yaml").write_text("chunks: {dmft_points: 1, sim_groups: 1}\n")
    _spectrum_csv(d1 / "spec.csv", 1.0)
    _spectrum_csv(d2 / "spec.csv", 10.0)
    return d1 / "a.yaml", d2 / "b.yaml"


def _snakemake(workdir: Path, configs: list[Path], *targets: str, profile: bool = True):
    """`snakemake TARGETS` in `workdir` as `make run` starts it (the default profile), one core."""
    cmd = [SNAKEMAKE, *targets, "--snakefile", str(ROOT / "Snakefile"), "--cores", "1", "--directory", str(workdir)]
    cmd += ["--profile", PROFILE] if profile else []
    cmd += ["--configfile", *map(str, configs)]  # last: --configfile takes every value after it
    return subprocess.run(cmd, cwd=workdir, env=ENV, capture_output=True, text=True, timeout=900)


# ---- A2: relative paths per config file ------------------------------------------------------


def test_a2_relative_path_is_read_from_its_own_config_files_folder(tmp_path):
    a, b = _two_folders(tmp_path)
    cfg = load_configs([a, b])
    assert cfg["sweeps"]["from_file"]["spectrum_file"] == str(a.parent / "spec.csv")


@pytest.mark.slow
def test_a2_workflow_reads_the_first_files_spectrum_and_records_its_path(tmp_path):
    """`snakemake --configfile d1/a.yaml d2/b.yaml`: the spectrum is d1's (target powers 1 x, not
    d2's 10 x), and the spectrum table's provenance holds its absolute path and content digest."""
    a, b = _two_folders(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    out = _snakemake(work, [a, b], "results/integrity/spectra/from_file.parquet")
    assert out.returncode == 0, out.stderr[-3000:]
    spec = tables.read_table(work / "results/integrity/spectra/from_file.parquet", "spectrum")
    k = np.arange(1, 101, dtype=np.float64)
    np.testing.assert_allclose(np.sort(spec["target_power"].to_numpy()), np.sort(k**-3.0), rtol=1e-12)
    assert spec.attrs["spectrum_file"] == str(a.parent / "spec.csv")
    assert spec.attrs["spectrum_file_sha256"] == tables.file_digest(a.parent / "spec.csv")


# ---- A3, A4: a full run, then a copied chunk, then an edit with an old mtime -----------------


@pytest.fixture
def small_run(tmp_path):
    a, b = _two_folders(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    out = _snakemake(work, [a, b], "tables")
    assert out.returncode == 0, out.stderr[-3000:]
    return {"work": work, "configs": [a, b], "curves": work / "results/integrity/tables/curves.parquet"}


@pytest.mark.slow
def test_a3_a_chunk_copied_onto_another_is_refused_and_rebuilt(small_run):
    work, configs, curves = small_run["work"], small_run["configs"], small_run["curves"]
    before = tables.read_table(curves, "curve")
    assert sorted(before["n_samples"].unique()) == [16.0, 32.0]
    chunks = work / "results/integrity/chunks/dmft"
    shutil.copyfile(chunks / "from_file-0000.parquet", chunks / "from_file-0001.parquet")
    second = _snakemake(work, configs, "tables")
    assert second.returncode != 0, "the copied chunk was accepted"
    assert "from_file-0001.parquet: holds chunk 'from_file-0000'" in second.stdout + second.stderr
    assert not (chunks / "from_file-0001.parquet").exists()
    assert tables.read_table(curves, "curve").equals(before), "the finished table must survive"
    third = _snakemake(work, configs, "tables")
    assert third.returncode == 0, third.stderr[-3000:]
    after = tables.read_table(curves, "curve")
    assert sorted(after["n_samples"].unique()) == [16.0, 32.0]  # the P = 32 rows are back
    pd.testing.assert_frame_equal(after, before, check_exact=True)


@pytest.mark.slow
def test_a4_a_spectrum_file_edited_with_an_old_mtime_reruns(small_run):
    work, configs, curves = small_run["work"], small_run["configs"], small_run["curves"]
    before = tables.read_table(curves, "curve")
    spec = configs[0].parent / "spec.csv"
    _spectrum_csv(spec, 2.0)  # doubled target powers ...
    os.utime(spec, (978307200, 978307200))  # ... and the mtime of `touch -d 2001-01-01` (cp -p, rsync -a)
    out = _snakemake(work, configs, "tables")
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Nothing to be done" not in out.stdout + out.stderr
    after = tables.read_table(curves, "curve")
    ratio = after["eg_signal"].to_numpy() / before["eg_signal"].to_numpy()
    np.testing.assert_allclose(ratio, 2.0, rtol=1e-9)  # the signal is linear in the target powers


# ---- A3 at the library level: chunk identity, no merging of identical curve rows -----------


def _chunk_config():
    cfg = load_yaml(ROOT / "config" / "test.yaml")
    cfg["sweeps"] = {
        "s": {"alpha": [2.0], "beta": [3.0], "n_features": [INF], "n_samples": [16, 32], "regimes": ["gf_wd"]}
    }
    cfg["chunks"] = {"dmft_points": 1, "sim_groups": 1}
    cfg["figures"] = {}
    return validate_config(cfg, base_dir=ROOT / "config")


def _expected(cfg, chunk):
    return chunk, tables.content_digest(rules.dmft_content([p.to_dict() for p in grid.dmft_chunks(cfg)[chunk]]))


def test_a3_verify_chunk_refuses_a_chunk_under_another_name_and_removes_it(tmp_path):
    cfg = _chunk_config()
    chunks = grid.dmft_chunks(cfg)
    good, copied = tmp_path / "s-0000.parquet", tmp_path / "s-0001.parquet"
    rules.dmft_chunk([p.to_dict() for p in chunks["s-0000"]], good, "s-0000")
    shutil.copyfile(good, copied)
    rules.verify_chunk(str(good), str(tmp_path / "good.verified"), _expected(cfg, "s-0000"))
    with pytest.raises(tables.CorruptTableError, match=r"s-0001\.parquet: holds chunk 's-0000'"):
        rules.verify_chunk(str(copied), str(tmp_path / "copied.verified"), _expected(cfg, "s-0001"))
    assert not copied.exists() and not (tmp_path / "copied.verified").exists()


def test_a3_aggregate_no_longer_merges_identical_curve_rows(tmp_path):
    """Two copies of one chunk: before, `drop_duplicates` merged them and the table silently lacked
    the chunk the copy replaced; now the repeated keys are an error."""
    cfg = _chunk_config()
    path = tmp_path / "s-0000.parquet"
    rules.dmft_chunk([p.to_dict() for p in grid.dmft_chunks(cfg)["s-0000"]], path, "s-0000")
    with pytest.raises(ValueError, match="share their key"):
        rules.aggregate([str(path), str(path)], str(tmp_path / "curves.parquet"), "curve")
    assert not (tmp_path / "curves.parquet").exists()


# ---- A8: a frontier that cannot train ----------------------------------------------------------

BASE = {
    "regimes": [
        {"name": "gf", "kind": "gf", "weight_decay": 0.0, "temperature": 0.0},
        {"name": "gd5", "kind": "gf", "weight_decay": 0.0, "temperature": 0.0, "learning_rate": 5.0},
        {"name": "gd15", "kind": "gf", "weight_decay": 0.0, "temperature": 0.0, "learning_rate": 1.5},
    ],
    "sweeps": {"s": {"alpha": [2.0], "beta": [2.5], "n_features": [64], "n_samples": [64], "regimes": ["gf"]}},
    "figures": {},
}
FRONT = {"alpha": 2.0, "beta": 2.5, "n_modes": 1000, "n_samples": 128, "compute": {"start": 1, "stop": 1e3, "count": 3}}


def test_a8_a_frontier_whose_steps_diverge_everywhere_is_refused_before_any_job():
    raw = {**BASE, "atlas": {"frontiers": {"f": {**FRONT, "regime": "gd5"}}}}
    with pytest.raises(InputError) as err:
        validate_config(copy.deepcopy(raw))
    line = _one_line(str(err.value))
    assert line.startswith("atlas.frontiers.f.regime: learning_rate 5 of regime 'gd5' cannot train"), line
    assert "diverge" in line


@pytest.mark.slow
def test_a8_snakemake_atlas_refuses_it_with_one_line_and_exit_2(tmp_path):
    import yaml

    raw = {**BASE, "run_name": "a8", "atlas": {"frontiers": {"f": {**FRONT, "regime": "gd5"}}}}
    config = tmp_path / "a8.yaml"
    config.write_text(yaml.safe_dump(raw))
    out = _snakemake(tmp_path, [config], "atlas", profile=False)  # the profile prints a line of its own
    assert out.returncode == 2, out.stdout[-2000:] + out.stderr[-2000:]
    assert _one_line(out.stderr).startswith("scaling-dmft: config error: atlas.frontiers.f.regime")
    assert not (tmp_path / "results").exists()


def test_a8_a_frontier_job_whose_every_budget_failed_fails_with_the_cause(tmp_path):
    """eta = 1.5 passes the checks before the job (stable at large N), but no budget has a usable
    optimum: budget 1 buys no step, the others' optima border the stability edge. The job used to
    write a table of `failed` rows and exit 0."""
    cfg = validate_config({**BASE, "atlas": {"frontiers": {"f": {**FRONT, "regime": "gd15"}}}})
    out = tmp_path / "f.parquet"
    with pytest.raises(NumericalError, match=r"frontier f: the DMFT failed at every budget \(.*diverged"):
        rules.frontier_job(cfg, "f", str(out))
    assert not out.exists()


# ---- A9, C6: budgets too small to train ---------------------------------------------------------


def _point(**over):
    cfg = validate_config(
        {
            "regimes": [{"name": "gf", "kind": "gf", "weight_decay": 0.0, "temperature": 0.0}],
            "sweeps": {
                "s": {
                    "alpha": [2.0],
                    "beta": [2.5],
                    "n_modes": 1000,
                    "n_features": [INF],
                    "n_samples": [128],
                    "regimes": ["gf"],
                }
            },
            "figures": {},
        }
    )
    point = grid.sweep_points(cfg, "s")[0]
    if over:  # the regime's values of a test (typed points are frozen: a new one)
        point = dataclasses.replace(point, regime=dataclasses.replace(point.regime, **over))
    return point


def test_a9_a_budget_where_e_is_flat_in_n_is_flagged_unresolved():
    """C = 1e-20: every N trains for t <= 1e-20, E_g = E_g(0) to round-off, and N* = 42 was the
    round-off's pick, unflagged. C = 1e4 trains: its optimum stays unflagged (a real optimum)."""
    frame = point_frontier(_point(), np.array([1e-20, 1e4]))
    flags = dict(zip(frame["compute"], frame["flag"], strict=True))
    assert flags[1e-20] == "unresolved"
    assert flags[1e4] == "", flags
    flat = frame[frame["compute"] == 1e-20].iloc[0]
    # E* there is the untrained error E_g(0) = sum_k c_k (sigma0 = 0), to the round-off bound
    modes = powerlaw(2.0, 2.5, 1000).modes()
    e0 = float(np.sum(modes.weights * modes.target_power))
    assert abs(flat["eg"] - e0) <= 1e-9 * e0


def test_a9_cli_warns_in_one_line_and_refuses_when_no_budget_trains(tmp_path):
    args = ["frontier", "--alpha", "2", "--beta", "2.5", "--modes", "1000", "--samples", "128"]
    mixed = run_cli([*args, "--compute", "1e-20:1e4:5", "--out", "m.csv"], tmp_path)
    assert mixed.returncode == 0, mixed.stderr
    assert "2 of 5 budgets are flagged unresolved" in mixed.stderr
    assert list(pd.read_csv(tmp_path / "m.csv")["flag"].fillna(""))[:2] == ["unresolved", "unresolved"]
    flat = run_cli([*args, "--compute", "1e-20:1e-10:2", "--out", "f.csv"], tmp_path)
    assert flat.returncode == 2 and _one_line(flat.stderr).startswith("scaling-dmft: error: --compute: ")
    assert not (tmp_path / "f.csv").exists()


def test_c6_tiny_budgets_give_one_line_and_no_warnings(tmp_path):
    """Budgets 1e-300..1e-290 (inside the allowed range) gave 27 RuntimeWarning lines and exit 3."""
    out = run_cli_process(
        ["frontier", "--alpha", "2", "--beta", "2.5", "--modes", "1000", "--samples", "128",
         "--compute", "1e-300:1e-290:2", "--out", "o.csv"],
        tmp_path,
        env={"PYTHONWARNINGS": "default"},
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    assert _one_line(out.stderr).startswith("scaling-dmft: error: --compute: ")


# ---- C4: the learning rate or the budget is the cause: name it, exit 2 ------------------------


@pytest.mark.parametrize(
    ("flags", "key"),
    [
        (["--learning-rate", "1000", "--compute", "1:10:2"], "--learning-rate"),
        (["--learning-rate", "2", "--compute", "1:10:2"], "--learning-rate"),  # the edge eta lambda_1 = 2 itself
        (["--learning-rate", "3", "--compute", "1:10:2"], "--learning-rate"),
        (["--learning-rate", "0.1", "--compute", "1e-3:1e-2:2"], "--compute"),  # no whole step affordable
        (["--learning-rate", "1.8", "--momentum", "0.5", "--compute", "1e-2:1e-1:2"], "--compute"),
        (["--learning-rate", "3.6", "--momentum", "0.8", "--compute", "1:1e4:3"], "--learning-rate"),
    ],
    ids=["eta_1000", "eta_2", "eta_3", "no_whole_step", "momentum_no_step", "momentum_edge"],
)
def test_c4_a_frontier_that_cannot_train_names_the_cause(flags, key, tmp_path):
    base = ["frontier", "--alpha", "2", "--beta", "2.5", "--modes", "1000", "--samples", "128"]
    out = run_cli([*base, *flags, "--out", "o.csv"], tmp_path)
    assert out.returncode == cli.EXIT_INPUT, out.stderr
    assert _one_line(out.stderr).startswith(f"scaling-dmft: error: {key}: "), out.stderr
    assert "(allowed: " in out.stderr
    assert not (tmp_path / "o.csv").exists()


# ---- B8: every job counted, atlas jobs sized before any job --------------------------------------


def test_b8_a_40000_point_phase_diagram_in_one_job_is_refused():
    raw = {**BASE, "atlas": {"phase_diagram": {"alpha_count": 200, "beta_count": 200, "jobs": 1}}}
    with pytest.raises(InputError) as err:
        validate_config(raw)
    assert _one_line(str(err.value)).startswith("atlas.phase_diagram.jobs: invalid value 1 (allowed: jobs >= ")
    enough = int(re.search(r"jobs >= (\d+)", str(err.value)).group(1))
    raw["atlas"]["phase_diagram"]["jobs"] = enough
    validate_config(raw)  # the suggested count is accepted


def test_b8_a_frontier_beyond_a_jobs_time_is_refused():
    front = {**FRONT, "regime": "gf", "compute_model": "NPT", "tune_weight_decay": True}
    front.pop("n_samples")
    front["compute"] = {"start": 1e4, "stop": 1e12, "count": 2000}
    with pytest.raises(InputError, match=r"^atlas\.frontiers\.f\.compute\.count: .*DMFT solves"):
        validate_config({**BASE, "atlas": {"frontiers": {"f": front}}})


ATLAS_YAML = """
atlas:
  phase_diagram: {alpha_count: 3, beta_count: 2, n_modes: 1000000, jobs: 2}
  frontiers:
    a: {alpha: 2.0, beta: 2.5, regime: gf, compute: {start: 1.0e+4, stop: 1.0e+8, count: 5}}
    b: {alpha: 2.0, beta: 2.5, regime: gf, n_samples: 256, compute: {start: 1.0e+3, stop: 1.0e+6, count: 4}}
"""


def test_b8_job_count_equals_snakemakes_plan_and_check_config_counts_them_all(tmp_path):
    """count_jobs counted DMFT and simulation chunks only ("1 in all" for an atlas of 40 000 points);
    now every job, rule by rule as `snakemake -n` plans them (its `all` target job aside)."""
    config = tmp_path / "c.yaml"
    config.write_text((ROOT / "config" / "test.yaml").read_text() + ATLAS_YAML)
    cfg = load_configs([config])
    counts = grid.job_counts(cfg)
    assert counts["frontier"] == 2 and counts["phase_diagram_part"] == 2 and counts["verify_chunk"] > 0
    out = subprocess.run(
        [SNAKEMAKE, "-n", "--snakefile", str(ROOT / "Snakefile"), "--cores", "1", "--configfile", str(config)],
        cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    table = out.stdout[out.stdout.index("Job stats:") :].split("\n\n")[0]
    planned = {m[0]: int(m[1]) for m in re.findall(r"^(\w+)\s+(\d+)$", table, re.M)}
    assert planned.pop("total") == sum(counts.values()) + 1
    assert planned.pop("all") == 1
    assert planned == counts
    check = run_cli(["check-config", str(config)], tmp_path)
    assert check.returncode == 0, check.stderr
    assert f"{sum(counts.values())} jobs in all" in _one_line(check.stdout)


# ---- C8: a full disk, a closed pipe ---------------------------------------------------------------


def test_c8_a_full_disk_is_one_line_and_leaves_no_file(tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tables, "write_arrow_atomic", full)
    out = run_cli(["dmft", "--alpha", "2", "--beta", "3", "--times", "1:10:3", "--out", "o.parquet"], tmp_path)
    assert out.returncode == cli.EXIT_OUTPUT
    line = _one_line(out.stderr)
    assert line.startswith("scaling-dmft: error: --out o.parquet: cannot write") and "No space left" in line
    assert list(tmp_path.iterdir()) == []


def test_c8_a_closed_standard_output_is_one_line(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "scaling_dmft", "dmft", "--alpha", "2", "--beta", "3", "--times", "1:10:3", "--out", "-"],
        cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    proc.stdout.close()  # the reader is gone before anything is written (`| head -0`)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == cli.EXIT_OUTPUT, err
    assert "broken pipe" in _one_line(err)


# ---- C9: control characters never split a message ----------------------------------------------


@pytest.mark.parametrize(
    "name", ["f\n", "f\r", "f\u2028g", "f\x1b[31m", "f\x00"], ids=["lf", "cr", "u2028", "esc", "nul"]
)
def test_c9_a_name_with_control_characters_gives_one_line(name):
    raw = {**BASE, "atlas": {"frontiers": {name: {**FRONT, "regime": "gf"}}}}
    with pytest.raises(InputError) as err:
        validate_config(raw)
    message = str(err.value)
    assert message == one_line(message) and len(message.splitlines()) == 1, repr(message)
    assert message.startswith("atlas.frontiers")


# ---- C10: flags that would be ignored are refused --------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "key"),
    [
        (
            ["frontier", "--alpha", "2", "--beta", "3", "--samples-range", "1:100", "--compute", "1:10:2"],
            "--samples-range",
        ),
        # short times: were the flag ignored, the query would run (not hang: issue 25, B1)
        (
            [
                "dmft",
                "--alpha",
                "2",
                "--beta",
                "3",
                "--samples",
                "inf",
                "--learning-rate",
                "0.1",
                "--batch-size",
                "8",
                "--times",
                "1:10:2",
                "--include-inf",
            ],
            "--include-inf",
        ),
        (
            [
                "simulate",
                "--alpha",
                "2",
                "--beta",
                "3",
                "--samples",
                "inf",
                "--learning-rate",
                "0.1",
                "--batch-size",
                "8",
                "--times",
                "1:10:2",
                "--include-inf",
                "--seeds",
                "2",
                "--modes",
                "100",
            ],
            "--include-inf",
        ),
    ],
    ids=["samples_range_with_NT", "dmft_batch_include_inf", "simulate_batch_include_inf"],
)
def test_c10_a_flag_without_effect_is_refused(argv, key, tmp_path):
    out = run_cli([*argv, "--out", "o.csv"], tmp_path)
    assert out.returncode == 2, out.stderr
    assert _one_line(out.stderr).startswith(f"scaling-dmft: error: {key}: ")
    assert not (tmp_path / "o.csv").exists()


# ==== adversarial pass (issue 25, this part): config loading, chunk / aggregate / verify, atlas,
# frontier, CLI messages. Each case says whether it found a defect (fixed) or held already.

# -- config loading ---------------------------------------------------------------------------------


def test_adv_the_file_that_sets_a_path_is_its_base(tmp_path):
    """b.yaml (d2) overrides the sweep's spectrum_file: d2's folder is its base (held: new rule)."""
    a, b = _two_folders(tmp_path)
    b.write_text("sweeps:\n  from_file:\n    spectrum_file: spec.csv\n")
    assert load_configs([a, b])["sweeps"]["from_file"]["spectrum_file"] == str(b.parent / "spec.csv")


def test_adv_a_path_given_on_the_command_line_is_read_from_the_working_folder(tmp_path, monkeypatch):
    """Changed: a `--config` path was read from the last config file's folder."""
    a, _ = _two_folders(tmp_path)
    monkeypatch.chdir(tmp_path / "d2")
    cfg = load_configs([a], {"sweeps": {"from_file": {"spectrum_file": "spec.csv"}}})
    assert cfg["sweeps"]["from_file"]["spectrum_file"] == str(tmp_path / "d2" / "spec.csv")


def test_adv_absolute_paths_and_data_paths_resolve_per_file(tmp_path):
    raw = {
        "sweeps": {"s": {"spectrum_file": str(tmp_path / "abs.csv")}, "t": {"alpha": [2.0]}},
        "data": {"x": {"file": "x.npz", "labels": "sub/y.npy"}},
    }
    out = resolve_paths(copy.deepcopy(raw), tmp_path / "cfg")
    assert out["sweeps"]["s"]["spectrum_file"] == str(tmp_path / "abs.csv")
    assert out["data"]["x"] == {"file": str(tmp_path / "cfg" / "x.npz"), "labels": str(tmp_path / "cfg/sub/y.npy")}
    assert out["sweeps"]["t"] == {"alpha": [2.0]}


def _with_sweep_file(path_text: str):
    cfg = load_yaml(ROOT / "config" / "test.yaml")
    cfg["sweeps"] = {"f": {"spectrum_file": path_text, "n_features": [INF], "n_samples": [16], "regimes": ["gf"]}}
    cfg["figures"] = {}
    return cfg


@pytest.mark.parametrize(
    "path_text", ["~/no_such_spectrum.csv", "", "spec\n.csv", "spec\x1b[2J.csv"], ids=["tilde", "empty", "lf", "ansi"]
)
def test_adv_bad_spectrum_paths_give_one_line_naming_the_key(path_text, tmp_path):
    """Held: the path is in the message as a repr (escaped); `~` is not expanded (a path like any other)."""
    with pytest.raises(InputError) as err:
        validate_config(_with_sweep_file(path_text), base_dir=tmp_path)
    assert _one_line(str(err.value)).startswith("sweeps.f.spectrum_file"), str(err.value)


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda c: c.update(times={"start": 1.0, "stop": 1.0000000000000002, "count": 3}), "times.count"),
        (
            lambda c: c["sweeps"]["learning_curves"].update(
                times={"start": 1e14, "stop": 1e14 * (1 + 8e-16), "count": 5}
            ),
            "sweeps.learning_curves.times.count",
        ),
        (lambda c: c.update(run_name="x\x1b[2J"), "run_name"),
        (lambda c: c["sweeps"].update({"a\u2028b": copy.deepcopy(c["sweeps"]["exponents"])}), "sweeps"),
    ],
    ids=["times_repeat_in_float64", "sweep_times_repeat_near_1e14", "run_name_ansi", "sweep_name_u2028"],
)
def test_adv_config_values_refused_in_one_line(mutate, key):
    """Times that repeat in float64 gave two rows with one key: merged silently by aggregate before
    (a defect: the user asked for 3 times and got 2), now refused before any job."""
    cfg = load_yaml(ROOT / "config" / "test.yaml")
    mutate(cfg)
    with pytest.raises(InputError) as err:
        validate_config(cfg, base_dir=ROOT / "config")
    assert _one_line(str(err.value)).startswith(key), str(err.value)


def test_adv_repeating_budgets_of_a_frontier_are_refused():
    front = {**FRONT, "regime": "gf", "compute": {"start": 1.0, "stop": 1.0000000000000002, "count": 3}}
    with pytest.raises(InputError, match=r"^atlas\.frontiers\.f\.compute\.count: "):
        validate_config({**BASE, "atlas": {"frontiers": {"f": front}}})


@pytest.mark.parametrize(
    ("argv", "key"),
    [
        (["dmft", "--alpha", "2", "--beta", "3", "--times", "1:1.0000000000000002:3"], "--times"),
        (["frontier", "--alpha", "2", "--beta", "3", "--compute", "1:1.0000000000000002:3"], "--compute"),
        (["dmft", "--spectrum-file", "s.csv", "--modes", "50"], "--modes"),
        (["dmft", "--spectrum-file", "s.csv", "--teacher", "prior"], "--teacher"),
        (["simulate", "--spectrum-file", "s.csv", "--beta", "2"], "--beta"),
        (
            [
                "frontier",
                "--alpha",
                "2",
                "--beta",
                "3",
                "--compute",
                "1:1e3:3",
                "--learning-rate",
                "3",
                "--tune-weight-decay",
            ],
            "--learning-rate",
        ),
        (
            [
                "frontier",
                "--alpha",
                "2",
                "--beta",
                "3",
                "--compute",
                "0.1:0.2:2",
                "--learning-rate",
                "0.5",
                "--compute-model",
                "NPT",
            ],
            "--compute",
        ),
    ],
    ids=[
        "times_repeat",
        "budgets_repeat",
        "spectrum_file_and_modes",
        "spectrum_file_and_teacher",
        "spectrum_file_and_beta",
        "tuned_gamma_steps_diverge",
        "npt_no_whole_step",
    ],
)
def test_adv_cli_inputs_refused_in_one_line(argv, key, tmp_path):
    """Found: repeated times / budgets (rows with one key), --modes / --teacher / --beta silently
    ignored beside --spectrum-file, and the discrete frontiers' exit 3 without a cause."""
    _spectrum_csv(tmp_path / "s.csv", 1.0)
    out = run_cli([*argv, "--out", "o.csv"], tmp_path)
    assert out.returncode == 2, out.stderr
    assert _one_line(out.stderr).startswith(f"scaling-dmft: error: {key}: "), out.stderr
    assert not (tmp_path / "o.csv").exists()


# -- chunk identity, aggregate ----------------------------------------------------------------------


def test_adv_a_chunk_without_identity_is_refused_and_removed(tmp_path):
    """A chunk from a version that wrote no identity (or hand-made) is rebuilt, not trusted."""
    cfg = _chunk_config()
    path = tmp_path / "s-0000.parquet"
    rules.dmft_chunk([p.to_dict() for p in grid.dmft_chunks(cfg)["s-0000"]], path)  # no chunk id: no identity recorded
    with pytest.raises(tables.CorruptTableError, match="no chunk identity"):
        rules.verify_chunk(str(path), str(tmp_path / "m"), _expected(cfg, "s-0000"))
    assert not path.exists()


def test_adv_a_chunk_of_the_same_name_from_other_points_is_refused(tmp_path):
    """Same chunk id, other points (the sweep changed, the old file stayed with a newer mtime)."""
    cfg = _chunk_config()
    path = tmp_path / "s-0000.parquet"
    rules.dmft_chunk(
        [p.to_dict() for p in grid.dmft_chunks(cfg)["s-0001"]], path, "s-0000"
    )  # s-0001's points under s-0000's id
    with pytest.raises(tables.CorruptTableError, match="computed from other points"):
        rules.verify_chunk(str(path), str(tmp_path / "m"), _expected(cfg, "s-0000"))


def test_adv_the_right_chunk_passes_and_is_marked(tmp_path):
    cfg = _chunk_config()
    path = tmp_path / "s-0001.parquet"
    rules.dmft_chunk([p.to_dict() for p in grid.dmft_chunks(cfg)["s-0001"]], path, "s-0001")
    rules.verify_chunk(str(path), str(tmp_path / "m"), _expected(cfg, "s-0001"))
    assert (tmp_path / "m").read_text().endswith("rows verified\n") and path.exists()


def test_adv_aggregate_refuses_a_swapped_curve_chunk_that_skipped_verification(tmp_path):
    """`cp -p` (old mtime) keeps verify_chunk from rerunning; aggregate checks identities again."""
    cfg = _chunk_config()
    chunks = grid.dmft_chunks(cfg)
    a, b = tmp_path / "s-0000.parquet", tmp_path / "s-0001.parquet"
    rules.dmft_chunk([p.to_dict() for p in chunks["s-0000"]], a, "s-0000")
    rules.dmft_chunk([p.to_dict() for p in chunks["s-0000"]], b, "s-0000")  # s-0001's file holds s-0000
    ids = {str(a): _expected(cfg, "s-0000"), str(b): _expected(cfg, "s-0001")}
    with pytest.raises(tables.CorruptTableError, match="holds chunk 's-0000', not 's-0001'"):
        rules.aggregate([str(a), str(b)], str(tmp_path / "curves.parquet"), "curve", identities=ids)
    assert not b.exists() and a.exists() and not (tmp_path / "curves.parquet").exists()


def _spectrum_tables(tmp_path):
    sweeps = {
        "one": {"alpha": [2.0], "beta": [3.0], "n_modes": 100, "teacher": "powerlaw"},
        "two": {"alpha": [1.5], "beta": [2.5], "n_modes": 100, "teacher": "powerlaw"},
    }
    paths = {}
    for name, sweep in sweeps.items():
        paths[name] = tmp_path / f"{name}.parquet"
        rules.spectrum_table(sweep, str(paths[name]), name)
    ids = {str(paths[n]): (n, tables.content_digest(s)) for n, s in sweeps.items()}
    return paths, ids


def test_adv_a_spectrum_table_copied_onto_another_sweeps_is_refused(tmp_path):
    """Found: the copy's rows equal the first sweep's, `drop_duplicates` merged them and the second
    sweep's spectrum was missing from spectra.parquet, exit 0."""
    paths, ids = _spectrum_tables(tmp_path)
    shutil.copyfile(paths["one"], paths["two"])
    with pytest.raises(tables.CorruptTableError, match="holds chunk 'one', not 'two'"):
        rules.aggregate([str(p) for p in paths.values()], str(tmp_path / "s.parquet"), "spectrum", identities=ids)
    assert not paths["two"].exists()


def test_adv_one_spectrum_in_two_sweeps_is_still_one_spectrum(tmp_path):
    """Held: identical spectrum rows (the same spectrum in two sweeps) are merged, by design."""
    sweep = {"alpha": [2.0], "beta": [3.0], "n_modes": 100, "teacher": "powerlaw"}
    for name in ("one", "two"):
        rules.spectrum_table(sweep, str(tmp_path / f"{name}.parquet"), name)
    frame = rules.aggregate(
        [str(tmp_path / "one.parquet"), str(tmp_path / "two.parquet")], str(tmp_path / "s.parquet"), "spectrum"
    )
    assert len(frame) == len(tables.read_table(tmp_path / "one.parquet"))


def test_adv_a_phase_diagram_part_copied_onto_another_is_refused(tmp_path):
    """Found: part0's rows twice were merged, part1's (alpha, beta) points silently missing, exit 0."""
    parts = {"part0": [[1.5, 2.0]], "part1": [[2.5, 3.0]]}
    paths = {}
    for part, points in parts.items():
        paths[part] = tmp_path / f"{part}.parquet"
        rules.phase_job(points, 10**6, str(paths[part]), part)
    shutil.copyfile(paths["part0"], paths["part1"])
    ids = {str(paths[p]): (p, tables.content_digest(rules.phase_content(pts, 10**6))) for p, pts in parts.items()}
    with pytest.raises(tables.CorruptTableError, match="holds chunk 'part0', not 'part1'"):
        rules.aggregate([str(p) for p in paths.values()], str(tmp_path / "ph.parquet"), "phase_diagram", identities=ids)


def test_adv_a_frontier_table_copied_onto_another_is_refused(tmp_path):
    """Found: frontier a's table under b's name was aggregated as two copies of a, merged, and b was
    missing from frontier.parquet, exit 0."""
    fronts = {n: {**FRONT, "regime": "gf", "compute": {"start": 1e3, "stop": 1e5, "count": 2}} for n in ("a", "b")}
    fronts["b"]["noise"] = 0.5
    cfg = validate_config({**BASE, "atlas": {"frontiers": fronts}})
    paths = {n: tmp_path / f"{n}.parquet" for n in fronts}
    for name, path in paths.items():
        rules.frontier_job(cfg, name, str(path))
    shutil.copyfile(paths["a"], paths["b"])
    ids = {str(paths[n]): (n, tables.content_digest(rules.frontier_content(cfg, n))) for n in fronts}
    with pytest.raises(tables.CorruptTableError, match="holds chunk 'a', not 'b'"):
        rules.aggregate([str(p) for p in paths.values()], str(tmp_path / "f.parquet"), "frontier", identities=ids)


# -- atlas and frontier --------------------------------------------------------------------------------


def test_adv_every_budget_failed_names_the_causes_on_the_command_line(tmp_path):
    """eta = 1.5: exit 3 said only 'the DMFT failed at every budget'; now it lists the causes."""
    out = run_cli(
        ["frontier", "--alpha", "2", "--beta", "2.5", "--modes", "1000", "--samples", "128",
         "--learning-rate", "1.5", "--compute", "1:1e3:3", "--out", "o.csv"],
        tmp_path,
    )  # fmt: skip
    assert out.returncode == cli.EXIT_NUMERICAL
    line = _one_line(out.stderr)
    assert "no whole step affordable" in line and "diverged" in line, line


def test_adv_unresolved_budgets_enter_no_frontier_fit():
    """Found: flat budgets (N* by round-off, some flagged '' or stopped_early) entered the fits, whose
    window started at C = 1e-20."""
    from scaling_dmft.frontier import frontier_fits

    frame = point_frontier(_point(), np.logspace(-20, 8, 15))
    unresolved = frame["flag"] == "unresolved"
    assert unresolved.sum() >= 2
    fits = frontier_fits(frame)
    error = fits[fits["law"] == "frontier_error"].iloc[0]
    assert error["x_min"] > frame.loc[unresolved, "compute"].max()  # the window starts past them


def test_adv_the_paper_atlas_passes_the_size_checks():
    """Held: the size estimates refuse nothing the paper config asks (its largest frontier: ~3400
    solves, ~3 min)."""
    path = ROOT / "config" / "paper.yaml"
    cfg = load_configs([path])
    assert len(cfg["atlas"]["frontiers"]) == 8 and grid.job_counts(cfg)["phase_diagram_part"] == 6


def test_adv_a_numerical_message_with_a_newline_is_one_line(tmp_path, monkeypatch):
    def fail(args):
        raise NumericalError("solver said\nsomething\r\nin three lines")

    monkeypatch.setattr(cli, "_run_point", fail)
    out = run_cli(["dmft", "--alpha", "2", "--beta", "3", "--out", "o.csv"], tmp_path)
    assert out.returncode == cli.EXIT_NUMERICAL
    assert _one_line(out.stderr) == "scaling-dmft: numerical failure: solver said\\nsomething\\r\\nin three lines"


def test_adv_the_frontier_on_a_closed_pipe_is_one_line(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "scaling_dmft", "frontier", "--alpha", "2", "--beta", "3", "--modes", "1000", "--compute", "1e3:1e4:2", "--out", "-"],
        cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == cli.EXIT_OUTPUT, err
    assert "broken pipe" in _one_line(err)

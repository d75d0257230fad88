"""Runs cannot overwrite each other by accident (issue 24): a config that sets no `run_name` runs
under its file's stem (config.file_run_name), the shipped config/config.yaml under `default`; the
log says where results go, and the run's tables record the hash of its own resolved config."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scaling_dmft import tables
from scaling_dmft.config import file_run_name, load_config, load_yaml, validate_config
from scaling_dmft.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


def test_shipped_config_runs_as_default_and_a_copy_as_its_stem(tmp_path):
    assert load_config(ROOT / "config" / "config.yaml")["run_name"] == "default"
    copy = tmp_path / "my.yaml"
    copy.write_text((ROOT / "config" / "config.yaml").read_text())
    assert load_config(copy)["run_name"] == "my"
    # a run_name written in the file wins over the file name
    named = tmp_path / "other.yaml"
    named.write_text((ROOT / "config" / "test.yaml").read_text())
    assert load_config(named)["run_name"] == "test"
    # several files: the last one names the run (it is the one merged last)
    assert file_run_name([ROOT / "config" / "config.yaml", copy]) == "my"
    assert file_run_name([]) is None  # a command-line query: the schema's default
    assert validate_config(load_yaml(copy))["run_name"] == "default"  # no file given


@pytest.mark.parametrize("name", ["my config.yaml", "paper.yaml", "validate.yaml", "x.y.yaml"])
def test_a_file_name_that_cannot_be_a_run_name_is_refused(name, tmp_path):
    path = tmp_path / name
    path.write_text((ROOT / "config" / "config.yaml").read_text())
    with pytest.raises(InputError, match=r"^run_name: the config sets no run_name and its file name") as err:
        load_config(path)
    assert "\n" not in str(err.value)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_edited_copy_leaves_results_default_byte_identical(tmp_path):
    """The issue's scenario: results/default exists; a user copies a config that sets no run_name
    (as config/config.yaml), changes alpha, beta and P, and runs it with --configfile. Nothing under
    results/default changes; the new run's tables carry the hash of its own resolved config."""
    default = tmp_path / "results" / "default"
    for rel, text in (("tables/curves.parquet", "a finished table"), ("figures/learning_curves.png", "a figure")):
        (default / rel).parent.mkdir(parents=True, exist_ok=True)
        (default / rel).write_text(text)
    before = _digest(default)

    # config/test.yaml is config.yaml's shape at a size a test can run; without its run_name line it
    # stands for config.yaml (which sets none); cut to one small sweep and edited as the issue says
    raw = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    del raw["run_name"]
    sweep = raw["sweeps"]["learning_curves"]
    sweep.update(alpha=[2.5], beta=[3.5], n_samples=[16, 32], n_features=[float("inf")], noise=[0.5])
    sweep.update(regimes=["gf", "gf_wd"], simulate=False)
    raw["sweeps"] = {"learning_curves": sweep}
    raw["figures"] = {"learning_curves": {"sweep": "learning_curves", "noise": 0.5, "regimes": ["gf", "gf_wd"]}}
    mine = tmp_path / "my.yaml"
    mine.write_text(yaml.safe_dump(raw))

    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    cmd = [SNAKEMAKE, "tables", "--snakefile", str(ROOT / "Snakefile"), "--cores", "2", "--configfile", str(mine)]
    out = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-4000:]

    assert _digest(default) == before
    assert re.search(r"scaling-dmft: run 'my' .*results in results/my/", out.stderr), out.stderr[-3000:]
    expected_hash = tables.config_hash(load_config(mine))
    assert expected_hash in out.stderr
    for name, kind in (("curves", "curve"), ("fits", "fit"), ("early_stopping", "early_stopping")):
        frame = tables.read_table(tmp_path / "results" / "my" / "tables" / f"{name}.parquet", kind)
        assert frame.attrs["config_hash"] == expected_hash, name
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["default", "my"]


def test_a_second_checkout_sharing_an_environment_defines_its_rules_with_its_own_package(tmp_path):
    """Two checkouts, one virtual environment (whose editable install points at this checkout): a dry
    run of the second checkout's default config writes the run `default` in the second checkout.
    Seen: the workflow imported the environment's package, whose default-config path is the first
    checkout's, so the second's config/config.yaml ran as `config`, beside the job scripts' own code."""
    import shutil

    other = tmp_path / "checkout"
    other.mkdir()
    for part in ("Snakefile", "workflow", "scripts", "src", "config"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, other / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, other / part)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": ""}
    out = subprocess.run(
        [SNAKEMAKE, "-n", "--cores", "1", "--snakefile", str(other / "Snakefile"), "--directory", str(other)],
        cwd=other,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    log = out.stdout + out.stderr
    # (a dry run lists its jobs' outputs; the run's announcement is an onstart message, not printed)
    assert "results/default/" in log, log[-2000:]
    assert "results/config/" not in log, log[-2000:]

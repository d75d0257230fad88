"""A last adversarial pass over the surfaces merged last (multi-pass SGD at finite P, the front-door API,
the precision mode, F9, the batch-size and data-reuse studies), as a user who tries to get a wrong number
with exit 0, a raw traceback, a silently lost result or a misleading message.

Every refusal must be ONE line that names the keyword / flag / config key and its allowed range, raised
before any compute; every accepted odd input must give the numbers it means. The cases marked FIXED were
defects of the tool before this pass (CHANGELOG, Unreleased); the others pin behaviour that was right.
"""

from __future__ import annotations

import copy
import math
import os
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

import scaling_dmft as sd
from cli_runner import run_cli
from scaling_dmft import frontier, tables
from scaling_dmft.config import load_yaml, validate_config
from scaling_dmft.errors import InputError
from scaling_dmft.spectra import powerlaw
from scaling_dmft.validation import within_tolerance

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
INF = math.inf
# a small multi-pass point: M = 200 modes, N = 64 features, P = 32 samples (theory ~0.1 s, a seed ~1 ms)
SMALL = dict(alpha=1.5, beta=2.0, n_modes=200, n_features=64, n_samples=32)
MP = dict(SMALL, learning_rate=0.5, batch_size=4)


def assert_one_line(message: str, key: str, allowed: str = "") -> None:
    """One line, that starts with the key (or flag) and states the allowed range."""
    line = message.strip()
    assert line and "\n" not in line, f"not one line: {message!r}"
    assert line.startswith(key + ":") or f" {key}:" in line, f"{key!r} does not lead {message!r}"
    assert "(allowed: " in line, f"no allowed range in {message!r}"
    assert allowed in line, f"{allowed!r} not in {message!r}"
    assert "Traceback" not in line


@pytest.fixture(scope="module")
def spectrum_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "s.csv"
    pd.DataFrame({"eigenvalue": [1.0, 0.5, 0.25], "target_power": [1.0, 0.1, 0.01]}).to_csv(path, index=False)
    return path


MEMORY = dict(eigenvalues=[1.0, 0.5], target_power=[1.0, 0.1])

# (id, call(spectrum_file), keyword that must lead the message, text of the allowed range)
API_REFUSALS = [
    # multi-pass SGD at finite P: B <= P, whole batches, the sampling schemes, the theory's limits
    ("mp_batch_above_P", lambda f: sd.learning_curve(**{**MP, "batch_size": 64}, times=[1.0]), "n_samples", "64"),
    ("mp_batch_fraction", lambda f: sd.learning_curve(**{**MP, "batch_size": 4.5}, times=[1.0]), "batch_size", "B"),
    ("mp_batch_bool", lambda f: sd.learning_curve(**{**MP, "batch_size": True}, times=[1.0]), "batch_size", "B"),
    ("mp_batch_nan", lambda f: sd.learning_curve(**{**MP, "batch_size": math.nan}, times=[1.0]), "batch_size", "NaN"),
    ("mp_batch_zero", lambda f: sd.learning_curve(**{**MP, "batch_size": 0}, times=[1.0]), "batch_size", "B"),
    (
        "mp_sampling_online_at_finite_P",
        lambda f: sd.learning_curve(**MP, batch_sampling="online", times=[1.0]),
        "batch_sampling",
        "replacement | epochs",
    ),
    (
        "mp_sampling_without_batch",
        lambda f: sd.learning_curve(**SMALL, learning_rate=0.5, batch_sampling="epochs", times=[1.0]),
        "batch_sampling",
        "only with batch_size",
    ),
    (
        "mp_sampling_capitalised",
        lambda f: sd.learning_curve(**MP, batch_sampling="Replacement", times=[1.0]),
        "batch_sampling",
        "replacement | epochs",
    ),
    (
        "mp_temperature",
        lambda f: sd.learning_curve(**MP, temperature=0.1, weight_decay=0.1, times=[1.0]),
        "temperature",
        "0 for multi-pass SGD",
    ),
    (
        "mp_schedule",
        lambda f: sd.learning_curve(**MP, lr_schedule="step", lr_decay_factor=0.5, lr_decay_steps=4, times=[1.0]),
        "lr_schedule",
        "constant for multi-pass SGD",
    ),
    ("mp_momentum", lambda f: sd.learning_curve(**MP, momentum=0.5, times=[1.0]), "batch_size", "momentum 0"),
    (
        "mp_no_learning_rate",
        lambda f: sd.learning_curve(**SMALL, batch_size=4, times=[1.0]),
        "batch_size",
        "learning_rate > 0",
    ),
    ("mp_times_below_a_step", lambda f: sd.learning_curve(**MP, times=[0.1]), "times", "whole step"),
    # FIXED: an explicit t = inf with SGD was dropped silently (times=[inf]: an empty table, exit normal)
    ("sgd_explicit_infinity", lambda f: sd.learning_curve(**MP, times=[1.0, INF]), "times", "finite times"),
    ("sgd_only_infinity", lambda f: sd.learning_curve(**MP, times=[INF]), "times", "finite times"),
    (
        "sgd_include_inf_mapping",
        lambda f: sd.learning_curve(**MP, times={"start": 1, "stop": 2, "count": 2, "include_inf": True}),
        "times",
        "finite times",
    ),
    (
        "simulate_sgd_only_infinity",
        lambda f: sd.simulate_curve(**MP, times=[INF], seeds=2),
        "times",
        "finite times",
    ),
    # FIXED: batch_sampling at P = inf was ignored (online SGD ran instead of the epochs asked for)
    (
        "online_with_batch_sampling",
        lambda f: sd.learning_curve(**{**MP, "n_samples": INF}, batch_sampling="epochs", times=[1.0]),
        "batch_sampling",
        "online SGD",
    ),
    # the precision mode: FIXED max_seeds without a target was ignored (16 seeds drawn for a cap of 10)
    (
        "max_seeds_without_target",
        lambda f: sd.simulate_curve(**SMALL, times=[1.0], max_seeds=10),
        "max_seeds",
        "without target_rel_sem",
    ),
    ("seeds_with_target", lambda f: sd.simulate_curve(**SMALL, times=[1.0], target_rel_sem=0.1, seeds=4), "seeds", ""),
    (
        "max_seeds_below_pilot",
        lambda f: sd.simulate_curve(**SMALL, times=[1.0], target_rel_sem=0.1, max_seeds=3),
        "max_seeds",
        "pilot_seeds",
    ),
    ("target_zero", lambda f: sd.simulate_curve(**SMALL, times=[1.0], target_rel_sem=0.0), "target_rel_sem", "0 <"),
    ("target_nan", lambda f: sd.simulate_curve(**SMALL, times=[1.0], target_rel_sem=math.nan), "target_rel_sem", "NaN"),
    # FIXED: the allowed range was the schema's 'default: simulation.max_seeds' (no range at all)
    (
        "max_seeds_fraction",
        lambda f: sd.simulate_curve(**SMALL, times=[1.0], target_rel_sem=0.1, max_seeds=40.5),
        "max_seeds",
        "2..1e6",
    ),
    # FIXED: n_modes / teacher beside a spectrum were ignored (the command line refuses them)
    (
        "n_modes_with_memory_spectrum",
        lambda f: sd.learning_curve(spectrum=sd.spectrum(**MEMORY), n_modes=500, n_samples=4, times=[1.0]),
        "n_modes",
        "absent with spectrum",
    ),
    (
        "teacher_with_powerlaw_object",
        lambda f: sd.learning_curve(spectrum=sd.spectrum(2, 3, n_modes=100), teacher="prior", n_samples=4, times=[1.0]),
        "teacher",
        "absent with spectrum",
    ),
    (
        "n_modes_with_spectrum_file",
        lambda f: sd.learning_curve(spectrum=f, n_modes=10, n_samples=4, times=[1.0]),
        "n_modes",
        "absent with spectrum",
    ),
    (
        "spectrum_and_alpha",
        lambda f: sd.learning_curve(2.0, spectrum=sd.spectrum(**MEMORY), n_samples=4, times=[1.0]),
        "spectrum",
        "not both",
    ),
    # wrong types where numbers go
    ("alpha_string", lambda f: sd.learning_curve("1.5", 2, n_samples=8, times=[1.0]), "alpha", "alpha"),
    ("alpha_list", lambda f: sd.learning_curve([1.5], 2, n_samples=8, times=[1.0]), "alpha", "alpha"),
    ("alpha_bool", lambda f: sd.learning_curve(True, 2, n_samples=8, times=[1.0]), "alpha", "alpha"),
    ("alpha_numpy_bool", lambda f: sd.learning_curve(np.bool_(True), 2, n_samples=8, times=[1.0]), "alpha", "alpha"),
    ("n_samples_fraction", lambda f: sd.learning_curve(1.5, 2, n_samples=8.5, times=[1.0]), "n_samples", "integer"),
    ("times_string", lambda f: sd.learning_curve(1.5, 2, n_samples=8, times="1:10:3"), "times", "list of times"),
    ("times_nested", lambda f: sd.learning_curve(1.5, 2, n_samples=8, times=[[1.0, 2.0]]), "times", "1-D"),
    # FIXED: threads was not checked (0, -1 and True ran on one thread, '2' as 2, 2.7 as 2)
    ("threads_zero", lambda f: sd.learning_curve(1.5, 2, n_samples=8, times=[1.0], threads=0), "threads", "1..1024"),
    ("threads_string", lambda f: sd.learning_curve(1.5, 2, n_samples=8, times=[1.0], threads="2"), "threads", "1.."),
    ("threads_bool", lambda f: sd.learning_curve(1.5, 2, n_samples=8, times=[1.0], threads=True), "threads", "1.."),
    ("threads_fraction", lambda f: sd.simulate_curve(**SMALL, times=[1.0], seeds=2, threads=2.7), "threads", "1.."),
    (
        "threads_frontier",
        lambda f: sd.compute_optimal(2, 2.5, n_samples=INF, compute=[1e4], threads=-1),
        "threads",
        "1..",
    ),
    # FIXED: a multi-pass-only simulation skipped the simulation checks (here: a NumericalError after the
    # draws, 'too ill-conditioned', instead of the alpha bound before any compute)
    (
        "mp_simulation_ill_conditioned",
        lambda f: sd.simulate_curve(
            alpha=6.0, beta=7.0, n_samples=1000, n_modes=2000, times=[0.5], learning_rate=0.5, batch_size=4, seeds=1
        ),
        "alpha",
        "alpha <=",
    ),
    (
        "simulate_population_loss",
        lambda f: sd.simulate_curve(**{**SMALL, "n_samples": INF}, times=[1.0]),
        "n_samples",
        "",
    ),
    # FIXED compute_optimal: tune_weight_decay="no" tuned; n_samples_range with NT and an empty
    # n_features_range were ignored; a repeated budget gave two rows of one key
    (
        "frontier_tune_string",
        lambda f: sd.compute_optimal(2, 2.5, n_samples=INF, compute=[1e4], tune_weight_decay="no"),
        "tune_weight_decay",
        "True or False",
    ),
    (
        "frontier_samples_range_with_NT",
        lambda f: sd.compute_optimal(2, 2.5, n_samples=INF, compute=[1e4], n_samples_range=[10, 100]),
        "n_samples_range",
        "absent with compute_model NT",
    ),
    (
        "frontier_empty_features_range",
        lambda f: sd.compute_optimal(2, 2.5, n_samples=INF, compute=[1e4], n_features_range=[]),
        "n_features_range",
        "[min, max]",
    ),
    (
        "frontier_repeated_budget",
        lambda f: sd.compute_optimal(2, 2.5, n_samples=INF, compute=[1e4, 1e4]),
        "compute",
        "each budget once",
    ),
    (
        "frontier_compute_model_lowercase",
        lambda f: sd.compute_optimal(2, 2.5, n_samples=INF, compute=[1e4], compute_model="nt"),
        "compute_model",
        "NT | NPT",
    ),
    # FIXED spectrum(): complex values lost their imaginary part with a warning; bools became 1.0
    (
        "spectrum_complex",
        lambda f: sd.spectrum(eigenvalues=[1.0 + 1.0j, 0.5], target_power=[1.0, 1.0]),
        "eigenvalues",
        "real numbers",
    ),
    (
        "spectrum_bool",
        lambda f: sd.spectrum(eigenvalues=[1.0, 0.5], target_power=[True, False]),
        "target_power",
        "real numbers",
    ),
    # FIXED: text was read as the numbers it spells (alpha="1.5" is refused; so must eigenvalues be)
    (
        "spectrum_text",
        lambda f: sd.spectrum(eigenvalues=["1", "0.5"], target_power=[1.0, 0.1]),
        "eigenvalues",
        "not complex, bool or text",
    ),
    (
        "spectrum_none_entry",
        lambda f: sd.spectrum(eigenvalues=[1.0, 0.5], target_power=[1.0, None]),
        "target_power",
        "real numbers",
    ),
    (
        "spectrum_increasing",
        lambda f: sd.spectrum(eigenvalues=[0.5, 1.0], target_power=[1, 1]),
        "eigenvalues[eigenvalue]",
        "non-increasing",
    ),
    # FIXED read_table: an unknown kind was a raw KeyError
    ("read_table_unknown_kind", lambda f: sd.read_table(f, kind="curves"), "kind", "curve"),
]


@pytest.mark.parametrize("call, key, allowed", [c[1:] for c in API_REFUSALS], ids=[c[0] for c in API_REFUSALS])
def test_api_refuses_with_one_line_naming_the_keyword(call, key, allowed, spectrum_file):
    with pytest.raises(InputError) as info:
        call(spectrum_file)
    assert_one_line(str(info.value), key, allowed)


# FIXED: numpy integers (np.int64(32): what np.arange and array indexing give) were refused with a
# message whose allowed range the value met ("n_samples: invalid value np.int64(32) (allowed: a positive
# integer ...)"); they mean the same query as the Python number
NUMPY_SPELLINGS = [
    ("n_samples", dict(n_samples=np.int64(32)), dict(n_samples=32)),
    ("n_modes", dict(n_modes=np.int64(150)), dict(n_modes=150)),
    ("n_features", dict(n_features=np.int32(48)), dict(n_features=48)),
    ("batch_size", dict(learning_rate=0.5, batch_size=np.int64(4)), dict(learning_rate=0.5, batch_size=4)),
    (
        "times_count",
        dict(times={"start": 1.0, "stop": 4.0, "count": np.int64(3)}),
        dict(times={"start": 1.0, "stop": 4.0, "count": 3}),
    ),
]


@pytest.mark.parametrize("numpy_kw, plain_kw", [c[1:] for c in NUMPY_SPELLINGS], ids=[c[0] for c in NUMPY_SPELLINGS])
def test_numpy_scalars_mean_the_python_numbers(numpy_kw, plain_kw):
    base = dict(SMALL, times=[1.0, 2.0])
    plain = sd.learning_curve(**{**base, **plain_kw})
    spelled = sd.learning_curve(**{**base, **numpy_kw})
    assert spelled["t"].tolist() == plain["t"].tolist()
    np.testing.assert_array_equal(spelled["eg"].to_numpy(), plain["eg"].to_numpy())
    assert spelled["n_samples"].tolist() == plain["n_samples"].tolist()


def test_numpy_seed_count_is_the_count():
    sim = sd.simulate_curve(**SMALL, times=[1.0], seeds=np.int64(3))
    assert sim["n_seeds"].tolist() == [3]


# ---- the command line: the same checks, named by the flag the user typed ---------------------------------

MP_FLAGS = ["--alpha", "1.5", "--beta", "2", "--n-modes", "200", "--n-features", "64", "--learning-rate", "0.5"]
CLI_REFUSALS = [
    # FIXED: ran online SGD, the epochs asked for silently dropped (exit 0)
    (
        "online_with_batch_sampling",
        ["simulate", *MP_FLAGS, "--n-samples", "inf", "--batch-size", "4"]
        + ["--batch-sampling", "epochs", "--seeds", "2"],
        "--batch-sampling",
        "online SGD",
    ),
    # FIXED: --max-seeds without --target-rel-sem was ignored (simulation.seeds drawn)
    (
        "max_seeds_without_target",
        ["simulate", *MP_FLAGS, "--n-samples", "32", "--batch-size", "4", "--times", "1:2:2", "--max-seeds", "40"],
        "--max-seeds",
        "without target_rel_sem",
    ),
    # FIXED: multi-pass SGD simulated past the float64 bound: 'numerical failure' after the draws (exit 3)
    (
        "mp_simulation_ill_conditioned",
        ["simulate", "--alpha", "6", "--beta", "7", "--n-modes", "2000", "--n-samples", "1000"]
        + ["--learning-rate", "0.5", "--batch-size", "4", "--times", "0.5:0.5:1", "--seeds", "1"],
        "--alpha",
        "alpha <=",
    ),
    (
        "mp_batch_above_P",
        ["dmft", *MP_FLAGS, "--n-samples", "32", "--batch-size", "64", "--times", "1:2:2"],
        "--n-samples",
        "batch_size = 64",
    ),
    (
        "mp_include_inf",
        ["dmft", *MP_FLAGS, "--n-samples", "32", "--batch-size", "4", "--times", "1:2:2", "--include-inf"],
        "--include-inf",
        "SGD reports finite steps only",
    ),
    (
        "mp_temperature",
        ["dmft", *MP_FLAGS, "--n-samples", "32", "--batch-size", "4", "--temperature", "0.1", "--weight-decay", "1"],
        "--temperature",
        "multi-pass",
    ),
    (
        "old_alias_spelled_back",
        ["dmft", *MP_FLAGS, "--samples", "32", "--batch-size", "64", "--times", "1:2:2"],
        "--samples",
        "batch_size = 64",
    ),
    (
        "modes_with_spectrum_file",
        ["dmft", "--spectrum-file", "SPECTRUM", "--modes", "10", "--n-samples", "4"],
        "--modes",
        "absent with --spectrum-file",
    ),
    ("threads_zero", ["dmft", *MP_FLAGS, "--n-samples", "32", "--threads", "0"], "--threads", "1..1024"),
]


@pytest.mark.parametrize("args, flag, allowed", [c[1:] for c in CLI_REFUSALS], ids=[c[0] for c in CLI_REFUSALS])
def test_cli_refuses_with_one_line_naming_the_flag(args, flag, allowed, spectrum_file, tmp_path):
    args = [str(spectrum_file) if a == "SPECTRUM" else a for a in args]
    out = run_cli(args, tmp_path)
    assert out.returncode == 2, out.stdout[-500:] + out.stderr[-1000:]
    line = out.stderr.strip()
    assert line.startswith("scaling-dmft: error: "), out.stderr
    assert_one_line(line.removeprefix("scaling-dmft: error: "), flag, allowed)
    if flag == "--include-inf":  # multi-pass SGD is not online SGD: the message must not call it that
        assert "online" not in line
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    "args, message",
    [
        (["--samples", "32", "--n-samples", "64"], "--n-samples given twice"),
        (["--n-samples", "32", "--batch-size", "4", "--batch-sampling", "online"], "invalid choice: 'online'"),
    ],
    ids=["alias_and_new_name_both", "online_is_not_a_choice"],
)
def test_cli_usage_errors_are_one_line(args, message, tmp_path):
    out = run_cli(["dmft", *MP_FLAGS, *args], tmp_path)
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr


# ---- configs: the workflow's validation --------------------------------------------------------------------


def _regime(cfg: dict, name: str) -> dict:
    return next(r for r in cfg["regimes"] if r["name"] == name)


def _mp_only(**entry):
    """A simulated sweep whose only regime is multi-pass SGD (sgd_B4 of config/test.yaml) at finite P."""
    base = {"alpha": [2.0], "beta": [3.0], "n_features": [INF], "n_samples": [64], "regimes": ["sgd_B4"]}
    return lambda c: c["sweeps"].update(mp_only={**base, "simulate": True, "times": [1.0, 2.0], **entry})


CONFIG_REFUSALS = [
    # FIXED: a multi-pass-only simulated sweep skipped every simulation check (it was taken for online SGD)
    ("mp_only_P_too_large", _mp_only(n_samples=[50000]), "sweeps.mp_only.n_samples[0]", "<= 20000"),
    ("mp_only_too_many_modes", _mp_only(n_modes=10**7), "sweeps.mp_only.n_modes", "max_modes"),
    ("mp_only_ill_conditioned", _mp_only(alpha=[10.0], n_samples=[2000], n_modes=5000), "sweeps.mp_only.alpha[0]", ""),
    ("mp_only_N_too_large", _mp_only(n_features=[30000]), "sweeps.mp_only.n_features[0]", "<= 20000"),
    # FIXED: an SGD regime in a sweep without a finite time had no rows at all (its simulation job failed
    # later with 'times: invalid value array([], dtype=float64)')
    ("sgd_without_finite_time", lambda c: c["sweeps"]["multipass"].update(times=[INF]), "sweeps.multipass.times", ""),
    # FIXED: an epochs regime in an online sweep ran online SGD
    (
        "epochs_regime_in_online_sweep",
        lambda c: (
            _regime(c, "sgd_B4").update(batch_sampling="epochs"),
            c["sweeps"].update(
                online={"alpha": [2.0], "beta": [3.0], "n_features": [INF], "n_samples": [INF], "regimes": ["sgd_B4"]}
            ),
        ),
        "regimes[5].batch_sampling",
        "online SGD",
    ),
    # FIXED: a sweep's max_seeds without a target was ignored
    (
        "sweep_max_seeds_without_target",
        lambda c: c["sweeps"]["multipass"].update(max_seeds=4),
        "sweeps.multipass.max_seeds",
        "without target_rel_sem",
    ),
    # FIXED: the inherited simulation.max_seeds below the pilot was named as a sweep key the user never set
    (
        "inherited_max_seeds_below_pilot",
        lambda c: c["simulation"].update(target_rel_sem=0.1, max_seeds=10),
        "simulation.max_seeds",
        "pilot_seeds",
    ),
    (
        "sweep_max_seeds_below_pilot",
        lambda c: c["sweeps"]["multipass"].update(target_rel_sem=0.1, max_seeds=10),
        "sweeps.multipass.max_seeds",
        "pilot_seeds",
    ),
    (
        "sgd_sweep_mixing_online_and_multipass",
        lambda c: c["sweeps"]["multipass"].update(n_samples=[32, INF]),
        "sweeps.multipass.n_samples",
        "online SGD",
    ),
    (
        "mp_batch_above_one_P",
        lambda c: c["sweeps"]["multipass"].update(n_samples=[8, 64]),
        "sweeps.multipass.n_samples",
        "batch_size = 16",
    ),
    (
        "mp_too_many_steps",
        lambda c: c["sweeps"]["multipass"].update(times={"start": 0.5, "stop": 1e7, "count": 8, "include_inf": False}),
        "sweeps.multipass.times.stop",
        "steps",
    ),
    (
        "mp_sampling_online",
        lambda c: _regime(c, "sgd_B4").update(batch_sampling="online"),
        "regimes[5].batch_sampling",
        "",
    ),
    (
        "F9_without_multipass",
        lambda c: c["figures"]["multipass_sgd"].update(sweep="optimizers"),
        "figures.multipass_sgd.sweep",
        "batch_size",
    ),
    (
        "F9_noise_not_swept",
        lambda c: c["figures"]["multipass_sgd"].update(noise=0.3),
        "figures.multipass_sgd.noise",
        "0.5",
    ),
]


@pytest.mark.parametrize("mutate, key, allowed", [c[1:] for c in CONFIG_REFUSALS], ids=[c[0] for c in CONFIG_REFUSALS])
def test_config_refuses_with_the_key_path(mutate, key, allowed):
    cfg = load_yaml(ROOT / "config" / "test.yaml")
    mutate(cfg)
    with pytest.raises(InputError) as info:
        validate_config(cfg)
    assert_one_line(str(info.value), key, allowed)


def test_a_shared_regime_keeps_its_meaning_in_the_shipped_configs():
    """The checks added here refuse nothing the shipped configs hold (config/*.yaml all validate)."""
    from scaling_dmft.config import load_config

    for path in sorted((ROOT / "config").glob("*.yaml")):
        load_config(path)


# ---- the workflow: snakemake stops before any job ----------------------------------------------------------

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}


def _dry_run(config: Path, workdir: Path) -> subprocess.CompletedProcess:
    cmd = [SNAKEMAKE, "-n", "--snakefile", str(ROOT / "Snakefile"), "--cores", "1"]
    cmd += ["--configfile", str(config), "--directory", str(workdir)]
    return subprocess.run(cmd, cwd=config.parent, env=ENV, capture_output=True, text=True, timeout=300)


def _copied_config(tmp_path: Path, name: str, edit=None) -> Path:
    raw = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    del raw["run_name"]  # a copy of a config that names its run by its file
    if edit:
        edit(raw)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(
    "name, edit, key",
    [
        # FIXED: the dry run planned the chunks; the SGD regime's rows would have been none
        ("mp_inf.yaml", lambda raw: raw["sweeps"]["multipass"].update(times=[INF]), "sweeps.multipass.times"),
        ("my copy.yaml", None, "run_name"),  # a file name that cannot be a run name
        ("validate.yaml", None, "run_name"),  # a reserved name from a copy elsewhere
    ],
    ids=["sgd_without_finite_time", "file_name_with_a_space", "reserved_name_copied"],
)
def test_workflow_dry_run_refuses_before_any_job(name, edit, key, tmp_path):
    workdir = tmp_path / "work"
    workdir.mkdir()
    out = _dry_run(_copied_config(tmp_path, name, edit), workdir)
    assert out.returncode == 2, out.stdout[-1000:] + out.stderr[-1000:]
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scaling-dmft: config error: "), out.stderr
    assert_one_line(lines[0].removeprefix("scaling-dmft: config error: "), key)
    assert not (workdir / "results").exists()


def test_a_copied_config_without_run_name_runs_under_its_file_name(tmp_path):
    workdir = tmp_path / "work"
    workdir.mkdir()
    out = _dry_run(_copied_config(tmp_path, "mine-2.yaml"), workdir)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "results/mine-2/" in out.stdout + out.stderr
    assert "results/test/" not in out.stdout and not (workdir / "results").exists()


# ---- the multi-pass SGD theory where gradient descent's own draws are unstable -----------------------------


def _sim_agrees(theory: pd.DataFrame, sim: pd.DataFrame, column: str, sem: str) -> np.ndarray:
    return within_tolerance(theory[column].to_numpy(), sim[column].to_numpy(), sim[sem].to_numpy())


@pytest.mark.parametrize(
    "point, times",
    [
        # eta = 1 at N = 64, P = 32: gradient descent's edge 2 / eta = 2 is passed by 0.6 % of the draws
        # (its unstable_draws flag); SGD at B = 16 is stable
        (dict(SMALL, learning_rate=1.0, batch_size=16, noise=0.3), [1.0, 2.0, 5.0, 10.0]),
        # eta gamma = 1: the decay factor 1 - eta gamma is 0 (a ZeroDivisionError before)
        (dict(SMALL, n_features=INF, n_samples=200, learning_rate=0.5, weight_decay=2.0, batch_size=4, noise=0.3), [0.5, 1.0, 2.5, 10.0]),
        # eta gamma = 1.5: the decay factor -0.5 flips sign every step; at the late (Talbot) step 200 the
        # gradient-descent part raised 'ValueError: math domain error' (log(1 - eta gamma)) before
        (dict(SMALL, n_features=INF, n_samples=200, learning_rate=0.25, weight_decay=6.0, batch_size=4, noise=0.3), [0.25, 0.5, 1.25, 5.0, 50.0]),
    ],
    ids=["gd_draws_unstable", "eta_gamma_one", "eta_gamma_above_one"],
)  # fmt: skip
def test_multipass_theory_keeps_its_values_where_gradient_descent_is_unstable(point, times):
    """FIXED: the multi-pass theory took gradient descent's flags: where gradient descent's divergent
    fraction passed 1e-3 every SGD row was NaN (or inf) under a flag that says its values are kept, and
    the flag's probability was gradient descent's while divergent_fraction held SGD's. Now the rows
    have values, the flag states SGD's own probability (the column's, to its 2 digits), and the values
    are the simulation's within the validation rule (2 % + 3 s.e., 300 seeds) in E_g and the training
    error."""
    theory = sd.learning_curve(**point, times=times)
    assert np.isfinite(theory["eg"]).all() and np.isfinite(theory["train_error"]).all(), theory["flag"].tolist()
    for flag, fraction in zip(theory["flag"], theory["divergent_fraction"], strict=True):
        if flag:
            assert flag.startswith("unstable_draws") and flag.endswith(f"= {fraction:.2g}"), (flag, fraction)
    sim = sd.simulate_curve(**point, times=times, seeds=300)
    assert (sim["flag"] == "").all() and (sim["divergent_fraction"] == 0).all()
    assert _sim_agrees(theory, sim, "eg", "eg_sem").all(), (theory["eg"].tolist(), sim["eg"].tolist())
    assert _sim_agrees(theory, sim, "train_error", "train_error_sem").all()


def test_multipass_theory_says_diverged_where_sgd_diverges():
    """FIXED: SGD past its own edge (B = 1 at eta = 1: p(e_max) > 1) was flagged unstable_draws (values
    kept) with inf values, since gradient descent's flag came first; it is flagged diverged."""
    theory = sd.learning_curve(**dict(SMALL, learning_rate=1.0, batch_size=1), times=[1.0, 10.0])
    assert np.isinf(theory["eg"]).all()
    assert theory["flag"].str.startswith("diverged: SGD's propagator").all(), theory["flag"].tolist()


def test_a_diverged_sgd_point_warns_nothing():
    """FIXED: the sgd_dominated check scaled an infinite excess by 100 (and divided a huge E by a tiny
    reference) outside its errstate: every diverged SGD row printed 'RuntimeWarning: overflow
    encountered in multiply' beside its honest flag."""
    import warnings

    from scaling_dmft.dmft.multipass import sgd_dominated

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sgd_dominated(np.array([INF, 1e300, 2.0]), np.array([1.0, 1e-10, 1.0])).tolist()[:2] == ["", ""]
        theory = sd.learning_curve(**dict(SMALL, learning_rate=1.0, batch_size=1), times=[1.0, 10.0])
    assert theory["flag"].str.startswith("diverged").all()


@pytest.mark.parametrize("weight_decay", [3.6, 4.0, 6.0], ids=["eta_gamma_0.9", "eta_gamma_1", "eta_gamma_1.5"])
def test_gradient_descent_with_eta_gamma_near_or_past_one(weight_decay):
    """FIXED: full-batch gradient descent, stable (eta (e_max + gamma) < 2) but with eta gamma >= 1, raised a
    raw 'ValueError: math domain error' from its init shift (log(1 - eta gamma)); at eta gamma = 0.9 the
    shifted problem (eta / (1 - eta gamma) = 2.5, past its own edge 2 / e_max) gave rows flagged 'failed'.
    The theory at such a point is the simulation's within the validation rule (2 % + 3 s.e., 300 seeds),
    with an init part (sigma0 = 0.5) and label noise, at early and late (Talbot) steps."""
    point = dict(SMALL, n_features=INF, n_samples=200, learning_rate=0.25, weight_decay=weight_decay)
    point.update(noise=0.3, init_std=0.5)
    times = [0.25, 0.5, 1.25, 5.0, 50.0]
    theory = sd.learning_curve(**point, times=times)
    assert (theory["flag"] == "").all(), theory["flag"].tolist()
    sim = sd.simulate_curve(**point, times=times, seeds=300)
    assert (sim["flag"] == "").all()
    assert _sim_agrees(theory, sim, "eg", "eg_sem").all(), (theory["eg"].tolist(), sim["eg"].tolist())


# ---- the batch-size and data-reuse studies (frontier.critical_batch, data_reuse) ---------------------------

MODES = powerlaw(1.5, 2.0, 2000).modes()


def _critical(**kw):
    args = dict(n_features=INF, n_samples=100, learning_rate=0.5, batch_range=(1, 64))
    return frontier.critical_batch(MODES, kw.pop("samples", [100.0, 1000.0]), **{**args, **kw})


def _reuse(**kw):
    args = dict(n_features=INF, learning_rate=0.5, batch_size=4)
    return frontier.data_reuse(MODES, kw.pop("ps", [100.0]), kw.pop("ks", [1.0, 2.0]), **{**args, **kw})


@pytest.mark.parametrize(
    "call, key, allowed",
    [
        (lambda: _critical(learning_rate=0.0), "learning_rate", "eta > 0"),  # FIXED: named 'times', an array dump
        (lambda: _critical(learning_rate=math.nan), "learning_rate", "eta > 0"),
        (lambda: _critical(batch_range=(200, 400)), "batch_range", "n_samples = 100"),  # FIXED: '(200, 100)'
        (lambda: _critical(n_samples=0.5), "n_samples", "P >= 1"),
        (lambda: _critical(samples="100"), "samples", "budgets"),
        (lambda: _reuse(batch_size=0), "batch_size", "B >= 1"),  # FIXED: an OverflowError traceback
        (lambda: _reuse(batch_size=4.5), "batch_size", "B >= 1"),  # FIXED: a fractional batch ran
        (lambda: _reuse(learning_rate=0.0), "learning_rate", "eta > 0"),  # FIXED: named 'times'
        (lambda: _reuse(ps=[2.0]), "n_samples", "batch_size = 4"),
        (lambda: _critical(n_samples="100"), "n_samples", "P >= 1"),  # FIXED: a raw TypeError
        (lambda: _critical(batch_range=(True, 64)), "batch_range", "[min, max]"),  # FIXED: True ran as B = 1
        (lambda: _critical(batch_range=(1,)), "batch_range", "[min, max]"),
        # FIXED: E_g takes sigma^2, sigma0^2: a negative std ran as its absolute value (the same rows as
        # noise = 1), and NaN flagged every budget no_optimum as if every batch size diverged
        (lambda: _critical(noise=-1.0), "noise", ">= 0"),
        (lambda: _critical(noise=math.nan), "noise", ">= 0"),
        (lambda: _critical(init_std=-0.5), "init_std", ">= 0"),
        (lambda: _reuse(noise=-1.0), "noise", ">= 0"),
        (lambda: _reuse(init_std=math.inf), "init_std", ">= 0"),
        (lambda: _reuse(ks="2"), "epochs", "K > 0"),
    ],
    ids=[
        "cb_eta_zero",
        "cb_eta_nan",
        "cb_range_past_P",
        "cb_P_below_one",
        "cb_budgets_string",
        "reuse_batch_zero",
        "reuse_batch_fraction",
        "reuse_eta_zero",
        "reuse_P_below_batch",
        "cb_P_string",
        "cb_range_bool",
        "cb_range_one_end",
        "cb_noise_negative",
        "cb_noise_nan",
        "cb_init_std_negative",
        "reuse_noise_negative",
        "reuse_init_std_inf",
        "reuse_epochs_string",
    ],
)
def test_sgd_studies_refuse_bad_input_by_name(call, key, allowed):
    with pytest.raises(InputError) as info:
        call()
    assert_one_line(str(info.value), key, allowed)


def test_sgd_studies_flag_budgets_without_an_optimum():
    """FIXED: where every batch size diverges (eta = 50) or a budget buys no step (C/N = 0.5 < B = 1),
    E* = inf was returned with the flag 'edge' (B* at an end of the grid), and data reuse said
    'below_fresh' (E below every fresh-data error) of an infinite E; both are flagged no_optimum."""
    diverged = _critical(learning_rate=50.0)
    assert np.isinf(diverged["eg"]).all() and (diverged["flag"] == frontier.NO_OPTIMUM).all()
    tiny = _critical(samples=[0.5, 1000.0])
    assert tiny["flag"].tolist()[0] == frontier.NO_OPTIMUM and tiny["flag"].tolist()[1] != frontier.NO_OPTIMUM
    reuse = _reuse(learning_rate=50.0)
    assert np.isinf(reuse["eg"]).all() and (reuse["flag"] == frontier.NO_OPTIMUM).all()
    assert reuse["reuse_rate"].isna().all()


def test_data_reuse_takes_a_whole_float_batch_size_as_the_integer():
    """batch_size 4.0 means B = 4 (errors.whole_number, as everywhere else), not a refusal."""
    four = _reuse(batch_size=4)
    pd.testing.assert_frame_equal(_reuse(batch_size=4.0), four)
    pd.testing.assert_frame_equal(_reuse(batch_size=np.int64(4)), four)


# ---- F9 on odd sweeps --------------------------------------------------------------------------------------

F9_POINT = dict(alpha=1.5, beta=2.0, n_features=INF, n_modes=200, noise=0.5)
F9_TIMES = [0.5, 1.0, 2.0, 4.0, 8.0]


def _f9_frames(regimes: dict, ps: list, **sim_kw) -> pd.DataFrame:
    out = []
    for p in ps:
        for name, kw in regimes.items():
            for frame in (
                sd.learning_curve(**F9_POINT, n_samples=p, times=F9_TIMES, **kw),
                sd.simulate_curve(**F9_POINT, n_samples=p, times=F9_TIMES, **kw, **sim_kw),
            ):
                frame["regime"], frame["sweep"] = name, "f9"
                out.append(frame)
    return pd.concat(out, ignore_index=True)


def _f9_spec(regimes: dict, ps: list) -> dict:
    sweep = {**F9_POINT, "alpha": [1.5], "beta": [2.0], "n_features": [INF], "n_samples": ps, "noise": [0.5]}
    sweep.update(teacher="powerlaw", regimes=list(regimes), name="f9")
    return {"sweep": "f9", "noise": 0.5, "sweeps": {"f9": sweep}}


def _f9(curves: pd.DataFrame, regimes: dict, ps: list):
    from scaling_dmft.figures import multipass_sgd

    return multipass_sgd.draw(curves, pd.DataFrame(), pd.DataFrame(), _f9_spec(regimes, ps))


def _errorbar_x(ax) -> list[float]:  # ax: a matplotlib Axes
    return sorted(float(x) for c in ax.containers for x in c.lines[0].get_xdata())


def test_f9_draws_simulation_rows_flagged_imprecise():
    """FIXED: rows flagged imprecise (a valid seed mean that ended above its target precision, the
    soft flag of tables.usable) were hidden, so a precision-mode run drew F9 without any simulation
    point. One SGD regime at one P (no gradient-descent regime), 32 seeds for a target of 0.1 %."""
    import matplotlib.pyplot as plt

    regimes = {"sgd4": dict(learning_rate=0.5, batch_size=4)}
    curves = _f9_frames(regimes, [32], target_rel_sem=0.001, max_seeds=32)
    sim = curves[curves["method"] == "sim"]
    assert sim["flag"].str.startswith("imprecise").all()
    fig = _f9(curves, regimes, [32])
    assert _errorbar_x(fig.axes[0]) == sorted(sim["t"].tolist())  # E_g against t: every simulated row
    assert _errorbar_x(fig.axes[1]) == sorted(sim["t"].tolist())  # the training error too
    plt.close(fig)


def test_f9_with_epochs_only_says_why_the_batch_panel_is_empty():
    import matplotlib.pyplot as plt

    regimes = {"ep4": dict(learning_rate=0.5, batch_size=4, batch_sampling="epochs")}
    curves = _f9_frames(regimes, [32], seeds=4)
    fig = _f9(curves, regimes, [32])
    notes = [t.get_text() for t in fig.axes[2].texts]
    assert any("replacement" in n for n in notes), notes
    # the epochs theory rows are no_theory (null): the simulation alone is drawn in panel 1
    assert _errorbar_x(fig.axes[0]) == sorted(curves.loc[curves["method"] == "sim", "t"].tolist())
    plt.close(fig)


def test_f9_refuses_a_table_without_sgd_rows():
    regimes = {"gd": dict(learning_rate=0.5)}
    curves = _f9_frames(regimes, [32], seeds=2)
    with pytest.raises(ValueError, match="an SGD regime"):
        _f9(curves, regimes, [32])


# ---- tables read back ------------------------------------------------------------------------------------


def test_read_table_checks_the_schema_the_file_names(tmp_path):
    """FIXED: read_table(path) (kind None) promises the kind read from the file, but checked nothing: a
    workflow curve table whose eg column was rewritten as strings was read as if valid."""
    curve = sd.learning_curve(2, 3, n_samples=8, times=[1.0])
    good = tmp_path / "good.parquet"
    tables.write_table(curve, good, "curve", curve.attrs)
    assert sd.read_table(good)["eg"].tolist() == curve["eg"].tolist()
    table = pq.read_table(good)
    i = table.schema.get_field_index("eg")
    bad_table = table.set_column(i, pa.field("eg", pa.string()), pa.array([str(v) for v in curve["eg"]]))
    pq.write_table(bad_table.replace_schema_metadata(table.schema.metadata), tmp_path / "bad.parquet")
    with pytest.raises(tables.CorruptTableError, match="curve schema"):
        sd.read_table(tmp_path / "bad.parquet")


def test_a_config_copy_keeps_regimes_apart():
    """A regime with batch_sampling stays usable in a multi-pass sweep (the online-sweep refusal does not
    reach it), and its rows say how batches were drawn."""
    cfg = load_yaml(ROOT / "config" / "test.yaml")
    _regime(cfg, "sgd_B4").update(batch_sampling="epochs")
    out = validate_config(copy.deepcopy(cfg))
    from scaling_dmft.grid import sweep_points

    points = [p for p in sweep_points(out, "multipass") if p.regime.name == "sgd_B4"]
    assert points and {p.optimizer.batch_sampling for p in points} == {"epochs"}

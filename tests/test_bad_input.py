"""Bad-input catalogue: every invalid config value, CLI flag and spectrum file is rejected with
ONE line naming the key / flag / column and the allowed range, exit status 2, no traceback,
and nothing started or written (docs/reliability.md, "Invalid input").

Layers:
- config values through `scaling_dmft.config.validate_config` (fast, most cases);
- config *files* through `scaling_dmft.config.load_config` (duplicate keys, YAML syntax);
- a handful of bad configs through the real `snakemake` CLI (dry run and real run) to prove the
  workflow path stops before any job: exit 2, the single stderr line
  'scaling-dmft: config error: ...', no results/ or logs/, empty .snakemake/log files;
- the command line `python -m scaling_dmft simulate|dmft|check-config` through subprocesses;
- spectrum files (missing columns, NaN, negative / increasing eigenvalues, garbage bytes, ...)
  through the CLI flag `--spectrum-file` and the config key `sweeps.<name>.spectrum_file`.
"""

from __future__ import annotations

import copy
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_runner import run_cli
from scaling_dmft.config import load_config, load_yaml, validate_config
from scaling_dmft.errors import InputError
from scaling_dmft.spectra import read_spectrum_file

ROOT = Path(__file__).resolve().parents[1]
TEST_CONFIG = ROOT / "config" / "test.yaml"
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
NAN, INF = math.nan, math.inf

# Snakemake parses a YAML syntax error itself, before the Snakefile runs (exit 1, its own
# WorkflowError); that one case is covered through `check-config` instead (see CHECK_CONFIG_CASES).


def _base() -> dict:
    return load_yaml(TEST_CONFIG)


def _sweep(c, name="learning_curves"):
    return c["sweeps"][name]


def _regime(c, name):
    return next(r for r in c["regimes"] if r["name"] == name)


def _set(path_fn, **kw):
    return lambda c: path_fn(c).update(**kw)


def _drop(path_fn, *keys):
    def mutate(c):
        for key in keys:
            path_fn(c).pop(key)

    return mutate


TOP = lambda c: c  # noqa: E731
LC = _sweep
EXP = lambda c: _sweep(c, "exponents")  # noqa: E731
GF = lambda c: _regime(c, "gf")  # noqa: E731
GFWD = lambda c: _regime(c, "gf_wd")  # noqa: E731
LANG = lambda c: _regime(c, "langevin")  # noqa: E731
BAYES = lambda c: _regime(c, "bayes")  # noqa: E731

# (id, mutation of config/test.yaml, text that must appear in the message: the key path)
CONFIG_CASES = [
    # unknown keys, wrong structure
    ("unknown_top_key", _set(TOP, foo=1), "foo"),
    ("unknown_sweep_key", _set(LC, alpha_list=[2.0]), "sweeps.learning_curves.alpha_list"),
    ("unknown_regime_key", _set(GF, lr=0.1), "regimes[0].lr"),
    ("unknown_simulation_key", _set(lambda c: c["simulation"], n_seeds=3), "simulation.n_seeds"),
    ("unknown_chunks_key", _set(lambda c: c["chunks"], points=3), "chunks.points"),
    ("unknown_times_key", _set(TOP, times={"start": 0.1, "stop": 1.0, "count": 3, "log": True}), "times.log"),
    ("unknown_figure", _set(lambda c: c["figures"], F8={"sweep": "learning_curves"}), "figures.F8"),
    ("missing_sweeps", _drop(TOP, "sweeps"), "sweeps"),
    ("missing_regimes", _drop(TOP, "regimes"), "regimes"),
    ("empty_sweeps", _set(TOP, sweeps={}), "sweeps"),
    ("regimes_not_a_list", _set(TOP, regimes={"gf": {}}), "regimes"),
    ("regime_missing_kind", _drop(GF, "kind"), "kind"),
    ("regime_unknown_kind", _set(GF, kind="sgd"), "regimes[0].kind"),
    ("sweep_regimes_not_list", _set(LC, regimes="gf"), "sweeps.learning_curves.regimes"),
    ("sweep_name_not_identifier", lambda c: c["sweeps"].update({"1bad": copy.deepcopy(EXP(c))}), "1bad"),
    ("figure_not_a_mapping", _set(lambda c: c["figures"], threshold="threshold"), "figures.threshold"),
    ("run_name_with_slash", _set(TOP, run_name="a/b"), "run_name"),
    ("run_name_empty", _set(TOP, run_name=""), "run_name"),
    # spectrum exponents
    ("alpha_equal_1", _set(LC, alpha=[1.0]), "sweeps.learning_curves.alpha[0]"),
    ("alpha_below_1", _set(LC, alpha=[0.5]), "sweeps.learning_curves.alpha[0]"),
    ("alpha_above_10", _set(LC, alpha=[11.0]), "sweeps.learning_curves.alpha[0]"),
    ("alpha_string", _set(LC, alpha=["two"]), "sweeps.learning_curves.alpha[0]"),
    ("alpha_scalar_not_list", _set(LC, alpha=2.0), "sweeps.learning_curves.alpha"),
    ("alpha_empty_list", _set(LC, alpha=[]), "sweeps.learning_curves.alpha"),
    ("beta_equal_1", _set(LC, beta=[1.0]), "sweeps.learning_curves.beta[0]"),
    ("beta_below_1", _set(LC, beta=[0.5]), "sweeps.learning_curves.beta[0]"),
    ("beta_above_20", _set(LC, beta=[21.0]), "sweeps.learning_curves.beta[0]"),
    ("alpha_without_beta", _drop(LC, "beta"), "sweeps.learning_curves.beta"),
    ("no_spectrum_at_all", _drop(LC, "alpha", "beta"), "sweeps.learning_curves.alpha"),
    ("spectrum_file_and_alpha", _set(EXP, spectrum_file="spec.csv"), "sweeps.exponents.spectrum_file"),
    (
        "spectrum_file_not_found",
        lambda c: (_drop(EXP, "alpha", "beta")(c), EXP(c).update(spectrum_file="nope.csv")),
        "sweeps.exponents.spectrum_file",
    ),
    # sizes
    ("n_samples_negative", _set(LC, n_samples=[32, -64]), "sweeps.learning_curves.n_samples[1]"),
    ("n_samples_zero", _set(LC, n_samples=[0]), "sweeps.learning_curves.n_samples[0]"),
    ("n_samples_not_integer", _set(LC, n_samples=[32.5]), "sweeps.learning_curves.n_samples[0]"),
    ("n_samples_string", _set(LC, n_samples=["many"]), "sweeps.learning_curves.n_samples[0]"),
    ("n_samples_minus_inf", _set(LC, n_samples=[-INF]), "sweeps.learning_curves.n_samples[0]"),
    ("n_samples_empty", _set(LC, n_samples=[]), "sweeps.learning_curves.n_samples"),
    ("n_samples_duplicate", _set(LC, n_samples=[32, 32]), "sweeps.learning_curves.n_samples"),
    ("n_features_zero", _set(LC, n_features=[0]), "sweeps.learning_curves.n_features[0]"),
    ("n_features_negative", _set(LC, n_features=[-8]), "sweeps.learning_curves.n_features[0]"),
    ("n_features_not_integer", _set(LC, n_features=[64.5]), "sweeps.learning_curves.n_features[0]"),
    ("n_features_too_large", _set(EXP, n_features=[2e9]), "sweeps.exponents.n_features[0]"),
    ("n_modes_zero", _set(TOP, n_modes=0), "n_modes"),
    ("n_modes_negative", _set(EXP, n_modes=-5), "sweeps.exponents.n_modes"),
    ("n_modes_not_integer", _set(TOP, n_modes=300.5), "n_modes"),
    ("n_modes_boolean", _set(TOP, n_modes=True), "n_modes"),
    ("n_modes_above_1e15", _set(EXP, n_modes=10**16), "sweeps.exponents.n_modes"),
    ("teacher_unknown", _set(TOP, teacher="gaussian"), "teacher"),
    # noise, regimes
    ("noise_negative", _set(LC, noise=[0.0, -0.1]), "sweeps.learning_curves.noise[1]"),
    ("noise_infinite", _set(LC, noise=[INF]), "sweeps.learning_curves.noise[0]"),
    ("noise_string", _set(LC, noise=["loud"]), "sweeps.learning_curves.noise[0]"),
    ("temperature_negative", _set(LANG, temperature=-1e-3), "regimes[2].temperature"),
    ("weight_decay_negative", _set(GFWD, weight_decay=-1e-2), "regimes[1].weight_decay"),
    ("weight_decay_infinite", _set(GFWD, weight_decay=INF), "regimes[1].weight_decay"),
    ("weight_decay_string", _set(GFWD, weight_decay="small"), "regimes[1].weight_decay"),
    ("init_std_negative", _set(GF, init_std=-1.0), "regimes[0].init_std"),
    ("init_std_unknown_string", _set(GF, init_std="big"), "regimes[0].init_std"),
    ("init_std_prior_gamma_0", _set(LANG, weight_decay=0.0), "regimes[2].init_std"),
    ("bayes_gamma_0", _set(BAYES, weight_decay=0.0), "regimes[3].weight_decay"),
    ("bayes_temperature_0", _set(BAYES, temperature=0.0), "regimes[3].temperature"),
    ("bayes_with_init_std", _set(BAYES, init_std=0.5), "regimes[3].init_std"),
    ("gf_with_weight_decay", _set(GF, weight_decay=0.1), "regimes[0].kind"),
    ("gf_wd_gamma_0", _set(GFWD, weight_decay=0.0), "regimes[1].weight_decay"),
    ("gf_wd_temperature", _set(GFWD, temperature=0.1), "regimes[1].temperature"),
    ("langevin_temperature_0", _set(LANG, temperature=0.0, init_std=0.0), "regimes[2].temperature"),
    ("duplicate_regime_name", lambda c: c["regimes"].append(dict(c["regimes"][0])), "regimes[7].name"),
    ("regime_name_not_identifier", _set(GF, name="g f"), "regimes[0].name"),
    ("sweep_unknown_regime", _set(LC, regimes=["gf", "sgd"]), "sweeps.learning_curves.regimes[1]"),
    ("sweep_duplicate_regime", _set(LC, regimes=["gf", "gf"]), "sweeps.learning_curves.regimes"),
    # time grids
    ("times_start_after_stop", _set(TOP, times={"start": 10.0, "stop": 1.0, "count": 5}), "times.stop"),
    ("times_count_0", _set(TOP, times={"start": 0.1, "stop": 1.0, "count": 0}), "times.count"),
    ("times_count_1_start_ne_stop", _set(TOP, times={"start": 0.1, "stop": 1.0, "count": 1}), "times.count"),
    ("times_count_5_start_eq_stop", _set(TOP, times={"start": 1.0, "stop": 1.0, "count": 5}), "times.count"),
    ("times_count_not_integer", _set(TOP, times={"start": 0.1, "stop": 1.0, "count": 5.5}), "times.count"),
    ("times_count_above_2000", _set(TOP, times={"start": 0.1, "stop": 1.0, "count": 2001}), "times.count"),
    ("times_start_0", _set(TOP, times={"start": 0.0, "stop": 1.0, "count": 5}), "times.start"),
    ("times_start_negative", _set(TOP, times={"start": -1.0, "stop": 1.0, "count": 5}), "times.start"),
    ("times_stop_negative", _set(TOP, times={"start": 0.1, "stop": -1.0, "count": 5}), "times.stop"),
    ("times_stop_above_1e15", _set(TOP, times={"start": 1.0, "stop": 1e16, "count": 5}), "times.stop"),
    ("times_stop_infinite", _set(TOP, times={"start": 1.0, "stop": INF, "count": 5}), "times.stop"),
    ("times_missing_count", _set(TOP, times={"start": 0.1, "stop": 1.0}), "count"),
    ("times_empty_mapping", _set(TOP, times={}), "start"),
    ("times_list_with_0", _set(TOP, times=[0.0, 1.0, 10.0]), "times[0]"),
    ("times_list_empty", _set(TOP, times=[]), "times"),
    ("times_list_repeated", _set(TOP, times=[1.0, 1.0]), "times"),
    (
        "times_include_inf_string",
        _set(TOP, times={"start": 0.1, "stop": 1.0, "count": 5, "include_inf": "yes"}),
        "times.include_inf",
    ),
    (
        "sweep_times_start_after_stop",
        _set(EXP, times={"start": 10.0, "stop": 1.0, "count": 5}),
        "sweeps.exponents.times.stop",
    ),
    ("sweep_times_count_0", _set(EXP, times={"start": 1.0, "stop": 10.0, "count": 0}), "sweeps.exponents.times.count"),
    # simulation, chunks, validation
    ("chunk_dmft_points_0", _set(lambda c: c["chunks"], dmft_points=0), "chunks.dmft_points"),
    ("chunk_sim_groups_0", _set(lambda c: c["chunks"], sim_groups=0), "chunks.sim_groups"),
    ("chunk_size_negative", _set(lambda c: c["chunks"], dmft_points=-4), "chunks.dmft_points"),
    ("seeds_0", _set(lambda c: c["simulation"], seeds=0), "simulation.seeds"),
    ("seeds_not_integer", _set(lambda c: c["simulation"], seeds=8.5), "simulation.seeds"),
    ("sweep_seeds_0", _set(LC, seeds=0), "sweeps.learning_curves.seeds"),
    ("base_seed_negative", _set(lambda c: c["simulation"], base_seed=-1), "simulation.base_seed"),
    ("base_seed_above_2_32", _set(lambda c: c["simulation"], base_seed=2**32), "simulation.base_seed"),
    ("max_modes_0", _set(lambda c: c["simulation"], max_modes=0), "simulation.max_modes"),
    ("simulate_not_bool", _set(LC, simulate="yes"), "sweeps.learning_curves.simulate"),
    ("simulate_with_inf_samples", _set(LC, n_samples=[32, INF]), "sweeps.learning_curves.n_samples[1]"),
    ("simulate_modes_above_max", _set(EXP, simulate=True), "sweeps.exponents.n_modes"),
    ("simulate_features_above_20000", _set(LC, n_features=[30000]), "sweeps.learning_curves.n_features[0]"),
    ("validation_rel_tol_0", _set(TOP, validation={"rel_tol": 0}), "validation.rel_tol"),
    ("validation_z_tol_negative", _set(TOP, validation={"z_tol": -1.0}), "validation.z_tol"),
    # figures
    ("simulate_ill_conditioned_alpha", _set(LC, alpha=[8.0]), "sweeps.learning_curves.alpha[0]"),
    (
        "figure_unknown_sweep",
        _set(lambda c: c["figures"]["learning_curves"], sweep="nope"),
        "figures.learning_curves.sweep",
    ),
    (
        "figure_unknown_sweeps_entry",
        _set(lambda c: c["figures"]["exponents"], sweeps=["exponents", "nope"]),
        "figures.exponents.sweeps[1]",
    ),
]

# NaN passes JSON Schema bounds (every comparison with NaN is False); validate_config rejects
# it explicitly before the schema (config._reject_nan).
NAN_CASES = [
    ("alpha_nan", _set(LC, alpha=[NAN]), "sweeps.learning_curves.alpha[0]"),
    ("beta_nan", _set(LC, beta=[NAN]), "sweeps.learning_curves.beta[0]"),
    ("noise_nan", _set(LC, noise=[NAN]), "sweeps.learning_curves.noise[0]"),
    ("init_std_nan", _set(GF, init_std=NAN), "regimes[0].init_std"),
    ("times_start_nan", _set(TOP, times={"start": NAN, "stop": 1.0, "count": 5}), "times.start"),
    ("times_stop_nan", _set(TOP, times={"start": 0.1, "stop": NAN, "count": 5}), "times.stop"),
    ("validation_rel_tol_nan", _set(TOP, validation={"rel_tol": NAN}), "validation.rel_tol"),
]


# issue 10 (adversarial pass): names, figure specs, grid size, memory -- before any job
def _many_chunks(c):
    c["sweeps"]["learning_curves"]["n_samples"] = list(range(1, 6001))
    c["chunks"] = {"dmft_points": 1, "sim_groups": 1}


CONFIG_CASES += [
    ("run_name_trailing_newline", _set(TOP, run_name="test\n"), "run_name"),
    ("run_name_reserved_paper", _set(TOP, run_name="paper"), "run_name"),
    ("run_name_reserved_validate", _set(TOP, run_name="validate"), "run_name"),
    ("sweep_name_boolean", lambda c: c["sweeps"].update({True: copy.deepcopy(EXP(c))}), "sweeps"),
    ("sweep_name_number", lambda c: c["sweeps"].update({2024: copy.deepcopy(EXP(c))}), "sweeps"),
    ("regime_name_trailing_newline", _set(GF, name="gf\n"), "regimes[0].name"),
    (
        "figure_langevin_unknown",
        _set(lambda c: c["figures"]["langevin_bayes"], langevin="nope"),
        "figures.langevin_bayes.langevin",
    ),
    (
        "figure_bayes_not_bayes_kind",
        _set(lambda c: c["figures"]["langevin_bayes"], bayes="gf"),
        "figures.langevin_bayes.bayes",
    ),
    ("figure_spec_empty", _set(lambda c: c["figures"], model_size={}), "figures.model_size"),
    ("figure_sweeps_empty", _set(lambda c: c["figures"]["exponents"], sweeps=[]), "figures.exponents.sweeps"),
    (
        "figure_regime_unknown",
        _set(lambda c: c["figures"]["learning_curves"], regimes=["gf", "nope"]),
        "figures.learning_curves.regimes[1]",
    ),
    ("figure_sweep_a_list", _set(lambda c: c["figures"], model_size={"sweep": ["x"]}), "figures.model_size.sweep"),
    (
        "figure_unknown_key",
        _set(lambda c: c["figures"]["early_stopping"], colour="red"),
        "figures.early_stopping.colour",
    ),
    (
        "figure_noise_not_in_sweep",
        _set(lambda c: c["figures"]["learning_curves"], noise=0.3),
        "figures.learning_curves.noise",
    ),
    (
        "figure_threshold_three_sweeps",
        _set(lambda c: c["figures"]["threshold"], sweeps=["threshold"] * 3),
        "figures.threshold.sweeps",
    ),
    ("grid_too_many_jobs", _many_chunks, "chunks.dmft_points"),
    (
        "simulation_over_memory_budget",
        _set(lambda c: c["simulation"], max_memory_gb=1e-4),
        "sweeps.learning_curves.n_features",
    ),
]


# multi-pass SGD (docs/theory/sgd.md): a regime with batch_size at finite P
def _multipass(batch, **extra):
    def mutate(c):
        _regime(c, "gf").update({"learning_rate": 0.5, "batch_size": batch, **extra})
        c["figures"] = {}

    return mutate


CONFIG_CASES += [
    ("batch_sampling_unknown", _multipass(4, batch_sampling="shuffle"), "regimes[0].batch_sampling"),
    ("batch_sampling_without_batch_size", _set(GF, batch_sampling="epochs"), "regimes[0].batch_sampling"),
    ("multipass_batch_above_P", _multipass(40), "sweeps.learning_curves.n_samples"),
    ("multipass_too_many_steps", _multipass(4, learning_rate=1e-6), "sweeps.learning_curves.times.stop"),
    (
        "figure_multipass_without_sgd",
        lambda c: c["figures"].update(multipass_sgd={"sweep": "learning_curves"}),
        "figures.multipass_sgd.sweep",
    ),
]


# NaN for a regime's weight_decay / temperature is caught by the semantic regime checks.
CONFIG_CASES += [
    ("weight_decay_nan", _set(GFWD, weight_decay=NAN), "regimes[1].weight_decay"),
    ("temperature_nan", _set(LANG, temperature=NAN), "regimes[2].temperature"),
    ("n_samples_nan", _set(LC, n_samples=[NAN]), "sweeps.learning_curves.n_samples[0]"),
]


def assert_one_line_error(message: str, key: str) -> None:
    assert message.strip(), "empty message"
    assert "\n" not in message.strip(), f"not one line: {message!r}"
    assert key in message, f"{key!r} not named in {message!r}"
    assert "allowed" in message, f"no allowed range in {message!r}"
    assert "Traceback" not in message


def _check_config_case(mutate, key, tmp_path):
    cfg = _base()
    mutate(cfg)
    # relative spectrum files resolve against base_dir: an empty folder, so 'nope.csv' is missing
    with pytest.raises(InputError) as info:
        validate_config(cfg, base_dir=tmp_path)
    assert_one_line_error(str(info.value), key)
    assert not any(tmp_path.iterdir()), "validation wrote a file"


@pytest.mark.parametrize("mutate, key", [c[1:] for c in CONFIG_CASES], ids=[c[0] for c in CONFIG_CASES])
def test_bad_config_value(mutate, key, tmp_path):
    _check_config_case(mutate, key, tmp_path)


@pytest.mark.parametrize("mutate, key", [c[1:] for c in NAN_CASES], ids=[c[0] for c in NAN_CASES])
def test_bad_config_value_nan(mutate, key, tmp_path):
    _check_config_case(mutate, key, tmp_path)


def test_config_catalogue_is_large_and_distinct():
    ids = [c[0] for c in CONFIG_CASES + NAN_CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 30


def test_the_test_config_itself_is_valid():
    validate_config(_base(), base_dir=ROOT / "config")


# ---- config files: YAML-level problems ----------------------------------------------------

_TEST_TEXT = TEST_CONFIG.read_text()
YAML_CASES = [
    ("duplicate_top_key", _TEST_TEXT + "\nn_modes: 500\n", "n_modes"),
    ("duplicate_sweep", _TEST_TEXT.replace("  threshold:\n", "  learning_curves:\n", 1), "learning_curves"),
    (
        "duplicate_key_in_sweep",
        _TEST_TEXT.replace("    alpha: [1.5]\n", "    alpha: [1.5]\n    alpha: [2.5]\n", 1),
        "alpha",
    ),
    (
        "duplicate_key_in_regime",
        _TEST_TEXT.replace("{name: gf, kind: gf,", "{name: gf, kind: gf, kind: gf_wd,", 1),
        "kind",
    ),
    ("yaml_syntax_error", "run_name: [test\n", "configfile"),
    ("top_level_list", "- a\n- b\n", "configfile"),
    ("empty_file", "", "configfile"),
    ("sweep_name_yes", _TEST_TEXT.replace("  threshold:\n", "  yes:\n", 1), "yes"),
    ("sweep_name_2024", _TEST_TEXT.replace("  threshold:\n", "  2024:\n", 1), "2024"),
    ("yte_template", "__use_yte__: true\n" + _TEST_TEXT, "__use_yte__"),
    (
        "alias_bomb",
        "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
        "configfile",
    ),
    ("json_duplicate_key", '{"run_name": "a", "run_name": "b"}', "run_name"),
]


@pytest.mark.parametrize("text, key", [c[1:] for c in YAML_CASES], ids=[c[0] for c in YAML_CASES])
def test_bad_config_file(text, key, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_config(path)
    assert_one_line_error(str(info.value), key)


def test_binary_config_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe" + bytes(range(256)))
    with pytest.raises(InputError) as info:
        load_config(path)
    assert_one_line_error(str(info.value), "configfile")


def test_yaml_merge_keys_are_accepted(tmp_path):
    """Standard YAML merge keys (`<<: *anchor`) work; an explicit key overrides the merged one."""
    # the new sweep goes under `sweeps:` (before `figures:`)
    head, tail = _TEST_TEXT.split("figures:", 1)
    head = head.replace("  exponents:\n", "  exponents: &exp\n", 1)
    text = head + "  exponents_b:\n    <<: *exp\n    n_samples: [50, 100]\nfigures:" + tail
    path = tmp_path / "merge.yaml"
    path.write_text(text)
    cfg = load_config(path)
    assert cfg["sweeps"]["exponents_b"]["n_samples"] == [50, 100]
    assert cfg["sweeps"]["exponents_b"]["n_modes"] == cfg["sweeps"]["exponents"]["n_modes"] == 1000000


def test_json_config_with_infinity_is_read_like_snakemake_reads_it(tmp_path):
    """A JSON config (Snakemake tries JSON first): `Infinity` is a size limit, as `.inf` in YAML."""
    import json

    cfg = _base()
    cfg["sweeps"]["exponents"]["n_features"] = [INF]
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cfg))
    assert "Infinity" in path.read_text()
    assert load_config(path)["sweeps"]["exponents"]["n_features"] == [INF]
    out = _cli(["check-config", str(path)], cwd=tmp_path)
    assert out.returncode == 0, out.stderr


def test_reserved_run_names_belong_to_their_files():
    for name in ("paper", "validate"):
        assert load_config(ROOT / "config" / f"{name}.yaml")["run_name"] == name


def test_cli_refuses_to_overwrite_its_input_spectrum(tmp_path):
    pd.DataFrame(_GOOD).to_parquet(tmp_path / "s.parquet")
    before = (tmp_path / "s.parquet").read_bytes()
    out = _cli(["dmft", "--spectrum-file", "s.parquet", "--out", "./s.parquet"], cwd=tmp_path)
    _assert_cli_failed(out, "--out", tmp_path)
    assert (tmp_path / "s.parquet").read_bytes() == before


def test_missing_config_file(tmp_path):
    with pytest.raises(InputError) as info:
        load_config(tmp_path / "nope.yaml")
    assert_one_line_error(str(info.value), "configfile")


# ---- the real workflow: snakemake stops before any job ------------------------------------


def _snakemake(args, cwd, timeout=300):
    cmd = [SNAKEMAKE, "--snakefile", str(ROOT / "Snakefile"), *args]
    return subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout)


def _assert_nothing_started(workdir: Path):
    assert not (workdir / "results").exists(), sorted(p.name for p in (workdir / "results").rglob("*"))
    assert not (workdir / "logs").exists()
    assert not (workdir / "benchmarks").exists()
    for log in (workdir / ".snakemake" / "log").glob("*"):
        assert log.stat().st_size == 0, f"{log} has job entries: {log.read_text()[:500]}"
    # no job metadata / incomplete markers either
    meta = workdir / ".snakemake" / "metadata"
    assert not meta.exists() or not any(meta.iterdir())


WORKFLOW_CASES = [
    ("alpha_equal_1", lambda t: t.replace("alpha: [2.0]", "alpha: [1.0]", 1), "sweeps.learning_curves.alpha[0]"),
    ("unknown_key", lambda t: t + "\nnumber_of_modes: 3\n", "number_of_modes"),
    ("duplicate_key", lambda t: t + "\nrun_name: other\n", "run_name"),
    (
        "bayes_gamma_0",
        lambda t: t.replace(
            "{name: bayes, kind: bayes, weight_decay: 1.0e-2", "{name: bayes, kind: bayes, weight_decay: 0.0"
        ),
        "regimes[3].weight_decay",
    ),
    (
        "unknown_regime_in_sweep",
        lambda t: t.replace("regimes: [gf]", "regimes: [gradient_flow]"),
        "sweeps.exponents.regimes[0]",
    ),
    (
        "figure_unknown_sweep",
        lambda t: t.replace("model_size: {sweep: learning_curves,", "model_size: {sweep: model_size,"),
        "figures.model_size.sweep",
    ),
    ("sweep_name_yes", lambda t: t.replace("  threshold:\n", "  yes:\n", 1), "yes"),
    ("run_name_reserved", lambda t: t.replace("run_name: test", "run_name: paper"), "run_name"),
]


# The same validation (common.smk, before the DAG) through the real `snakemake`, a real run (the
# one that would start jobs) per kind of check: a schema range, YAML loader refusals (unknown and
# duplicate key, `yes:`), semantic checks (bayes with gamma = 0, unknown regime, unknown figure
# sweep) and a reserved run name; a dry run (-n) for one. Every value itself, these included, is
# refused in-process by the catalogue above.
DRY_RUN_CASES = ("alpha_equal_1",)
WORKFLOW_RUNS = [(*case[1:], False) for case in WORKFLOW_CASES] + [
    (*case[1:], True) for case in WORKFLOW_CASES if case[0] in DRY_RUN_CASES
]
WORKFLOW_RUN_IDS = [f"{c[0]}-real_run" for c in WORKFLOW_CASES] + [
    f"{c[0]}-dry_run" for c in WORKFLOW_CASES if c[0] in DRY_RUN_CASES
]


@pytest.mark.parametrize("edit, key, dry", WORKFLOW_RUNS, ids=WORKFLOW_RUN_IDS)
def test_workflow_rejects_bad_config_before_any_job(edit, key, dry, tmp_path):
    text = edit(_TEST_TEXT)
    assert text != _TEST_TEXT
    workdir = tmp_path / "work"
    workdir.mkdir()
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    args = ["--cores", "1", "--configfile", str(config), "--directory", str(workdir)] + (["-n"] if dry else [])
    out = _snakemake(args, cwd=tmp_path)
    assert out.returncode == 2, out.stdout[-2000:] + out.stderr[-2000:]
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("scaling-dmft: config error: "), lines
    assert_one_line_error(lines[0], key)
    assert "Traceback" not in out.stdout + out.stderr
    assert "Job stats" not in out.stdout
    _assert_nothing_started(workdir)


# ---- the command line -----------------------------------------------------------------------


def _cli(args, cwd):
    return run_cli(args, cwd)


# (id, subcommand, extra flags, text that must be in the message). --out o.parquet is appended
# unless the case sets its own --out.
CLI_CASES = [
    ("alpha_equal_1", "dmft", ["--alpha", "1"], "--alpha"),
    ("alpha_not_number", "dmft", ["--alpha", "abc"], "--alpha"),
    ("alpha_nan", "dmft", ["--alpha", "nan"], "--alpha"),
    ("alpha_above_10", "simulate", ["--alpha", "12"], "--alpha"),
    ("beta_below_1", "dmft", ["--beta", "0.5"], "--beta"),
    ("beta_inf", "simulate", ["--beta", "inf"], "--beta"),
    ("modes_0", "dmft", ["--modes", "0"], "--modes"),
    ("modes_not_integer", "dmft", ["--modes", "10.5"], "--modes"),
    ("modes_inf", "dmft", ["--modes", "inf"], "--modes"),
    ("modes_too_many_for_sim", "simulate", ["--modes", "2000000"], "--modes"),
    ("teacher_unknown", "dmft", ["--teacher", "gaussian"], "--teacher"),
    ("features_negative", "dmft", ["--features", "-3"], "--features"),
    ("features_not_integer", "simulate", ["--features", "2.5"], "--features"),
    ("features_text", "dmft", ["--features", "lots"], "--features"),
    ("samples_0", "dmft", ["--samples", "0"], "--samples"),
    ("samples_inf_simulate", "simulate", ["--samples", "inf"], "--samples"),
    ("samples_not_integer", "simulate", ["--samples", "64.5"], "--samples"),
    ("weight_decay_negative", "dmft", ["--weight-decay", "-1"], "--weight-decay"),
    ("weight_decay_inf", "dmft", ["--weight-decay", "inf"], "--weight-decay"),
    ("temperature_negative", "simulate", ["--temperature", "-1"], "--temperature"),
    ("noise_negative", "dmft", ["--noise", "-0.5"], "--noise"),
    ("noise_nan", "simulate", ["--noise", "nan"], "--noise"),
    ("init_std_negative", "dmft", ["--init-std", "-1"], "--init-std"),
    ("init_std_prior_without_gamma", "dmft", ["--init-std", "prior", "--temperature", "1e-3"], "--init-std"),
    ("init_std_prior_without_T", "simulate", ["--init-std", "prior", "--weight-decay", "1e-2"], "--init-std"),
    ("times_start_after_stop", "dmft", ["--times", "10:1:5"], "--times"),
    ("times_start_0", "dmft", ["--times", "0:1:5"], "--times"),
    ("times_negative", "simulate", ["--times=-1:1:5"], "--times"),
    ("times_count_0", "dmft", ["--times", "0.1:1:0"], "--times"),
    ("times_count_1_start_ne_stop", "dmft", ["--times", "0.1:1:1"], "--times"),
    ("times_count_3_start_eq_stop", "dmft", ["--times", "1:1:3"], "--times"),
    ("times_count_not_integer", "dmft", ["--times", "0.1:1:2.5"], "--times"),
    ("times_not_numbers", "dmft", ["--times", "a:b:c"], "--times"),
    ("times_two_fields", "dmft", ["--times", "0.1:1"], "--times"),
    ("times_stop_above_1e15", "dmft", ["--times", "0.1:1e16:5"], "--times"),
    ("times_empty", "simulate", ["--times", ""], "--times"),
    ("seeds_0", "simulate", ["--seeds", "0"], "--seeds"),
    ("seeds_inf", "simulate", ["--seeds", "inf"], "--seeds"),
    ("seeds_not_integer", "simulate", ["--seeds", "2.5"], "--seeds"),
    ("seeds_above_1e6", "simulate", ["--seeds", "2000000"], "--seeds"),
    ("seed_negative", "simulate", ["--seed", "-1"], "--seed"),
    ("seed_not_integer", "simulate", ["--seed", "1.5"], "--seed"),
    ("seed_above_2_32", "simulate", ["--seed", "5e9"], "--seed"),
    ("spectrum_file_missing", "dmft", ["--spectrum-file", "nope.csv"], "--spectrum-file"),
    ("out_not_parquet_or_csv", "dmft", ["--out", "o.txt"], "--out"),
    ("out_no_extension", "simulate", ["--out", "table"], "--out"),
    # issue 10: one validation path with the workflow (D12, D18)
    ("beta_underscore", "dmft", ["--beta", "1_5"], "--beta"),
    ("alpha_hex", "dmft", ["--alpha", "0x2"], "--alpha"),
    ("features_1e9_simulate", "simulate", ["--features", "1e9"], "--features"),
    ("features_200000_modes_100", "simulate", ["--features", "200000", "--modes", "100"], "--features"),
    ("modes_above_config_limit", "dmft", ["--modes", "1e16"], "--modes"),
    ("regime_unknown", "dmft", ["--regime", "sgd"], "--regime"),
    ("regime_bayes_without_T", "dmft", ["--regime", "bayes", "--weight-decay", "1e-2"], "--temperature"),
    ("regime_gf_with_gamma", "simulate", ["--regime", "gf", "--weight-decay", "1e-2"], "--regime"),
    ("times_count_above_2000", "dmft", ["--times", "0.1:1:3000"], "--times"),
    ("threads_0", "dmft", ["--threads", "0"], "--threads"),
    ("out_is_a_directory", "dmft", ["--out", "."], "--out"),
    ("out_in_missing_folder", "dmft", ["--out", "nope/o.parquet"], "--out"),
    ("out_name_300_characters", "dmft", ["--out", "a" * 292 + ".parquet"], "--out"),
    ("out_under_a_regular_file", "dmft", ["--out", "/etc/passwd/o.parquet"], "--out"),
    ("out_read_only_place", "simulate", ["--out", "/proc/o.parquet"], "--out"),
]

CLI_CASES += [
    # the frontier command (issue 14): budgets, the N range, a regime without training time
    ("frontier_compute_count_0", "frontier", ["--compute", "1e7:1e11:0"], "--compute"),
    ("frontier_compute_start_0", "frontier", ["--compute", "0:1e11:5"], "--compute"),
    ("frontier_compute_stop_below_start", "frontier", ["--compute", "1e11:1e7:5"], "--compute"),
    ("frontier_compute_above_1e30", "frontier", ["--compute", "1e7:1e31:5"], "--compute"),
    ("frontier_compute_two_fields", "frontier", ["--compute", "1e7:1e11"], "--compute"),
    (
        "frontier_range_inverted",
        "frontier",
        ["--compute", "1e7:1e9:3", "--features-range", "1e4:10"],
        "--features-range",
    ),
    ("frontier_range_equal", "frontier", ["--compute", "1e7:1e9:3", "--features-range", "10:10"], "--features-range"),
    (
        "frontier_bayes",
        "frontier",
        ["--compute", "1e7:1e9:3", "--regime", "bayes", "--weight-decay", "1", "--temperature", "1"],
        "--regime",
    ),
    ("frontier_alpha_1", "frontier", ["--compute", "1e7:1e9:3", "--alpha", "1"], "--alpha"),
    (
        "frontier_samples_range_inverted",
        "frontier",
        ["--compute", "1e7:1e9:3", "--samples-range", "1e4:10"],
        "--samples-range",
    ),
    (
        "frontier_samples_range_below_1",
        "frontier",
        ["--compute", "1e7:1e9:3", "--samples-range", "0.5:10"],
        "--samples-range",
    ),
    (
        "frontier_features_range_above_1e12",
        "frontier",
        ["--compute", "1e7:1e9:3", "--features-range", "1:1e13"],
        "--features-range",
    ),
    (
        "frontier_npt_with_samples",
        "frontier",
        ["--compute", "1e7:1e9:3", "--compute-model", "NPT", "--samples", "100"],
        "--samples",
    ),
    (
        "frontier_tuned_with_weight_decay",
        "frontier",
        ["--compute", "1e7:1e9:3", "--tune-weight-decay", "--weight-decay", "1e-3"],
        "--weight-decay",
    ),
]

CLI_CASES += [
    (
        "multipass_batch_above_samples",
        "dmft",
        ["--samples", "64", "--learning-rate", "0.5", "--batch-size", "100", "--times", "1:10:3"],
        "--samples",
    ),
    (
        "batch_sampling_without_batch_size",
        "dmft",
        ["--learning-rate", "0.5", "--batch-sampling", "epochs", "--times", "1:10:3"],
        "--batch-sampling",
    ),
]

# argparse-level problems: one line, status 2, '(see --help)' instead of a range
CLI_USAGE_CASES = [
    ("unknown_flag", ["dmft", "--bogus", "1", "--out", "o.parquet"], "--bogus"),
    ("seeds_flag_on_dmft", ["dmft", "--seeds", "4", "--out", "o.parquet"], "--seeds"),
    ("out_without_value", ["dmft", "--alpha", "2", "--beta", "3", "--out"], "--out"),
    ("flag_without_value", ["simulate", "--out", "o.parquet", "--alpha"], "--alpha"),
    ("unknown_subcommand", ["train", "--out", "o.parquet"], "train"),
    ("frontier_without_compute", ["frontier", "--out", "o.parquet"], "--compute"),
    (
        "frontier_with_features",
        ["frontier", "--compute", "1e3:1e5:3", "--features", "512", "--out", "o.parquet"],
        "--features",
    ),
    ("no_subcommand", [], "command"),
    (
        "batch_sampling_unknown",
        ["dmft", "--learning-rate", "0.5", "--batch-size", "4", "--batch-sampling", "shuffle", "--out", "o.parquet"],
        "--batch-sampling",
    ),
    ("repeated_flag", ["dmft", "--alpha", "2", "--alpha", "3", "--out", "o.parquet"], "--alpha"),
    ("repeated_flag_by_its_two_spellings", ["dmft", "--n-samples", "2", "--samples", "3"], "--samples"),
]


@pytest.mark.parametrize("command", ["dmft", "simulate", "frontier"])
@pytest.mark.parametrize("given, missing", [(["--beta", "3"], "--alpha"), (["--alpha", "2"], "--beta")])
def test_cli_requires_the_exponents_or_a_spectrum_file(command, given, missing, tmp_path):
    """Every flag but the exponents has the config's default (issue 23): a missing one is named."""
    extra = ["--compute", "1e3:1e5:3"] if command == "frontier" else []
    out = _cli([command, *given, *extra, "--out", "o.parquet"], cwd=tmp_path)
    _assert_cli_failed(out, missing, tmp_path)
    assert "required" in out.stderr


def _assert_cli_failed(out, key, cwd, allowed=True):
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr + out.stdout
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("scaling-dmft: error: "), lines
    assert key in lines[0], (key, lines[0])
    if allowed:
        assert "allowed" in lines[0], lines[0]
    else:
        assert "see --help" in lines[0], lines[0]
    assert out.stdout == ""
    written = sorted(p.name for p in cwd.iterdir() if p.name not in _SPECTRUM_FILES)
    assert written == [], written


@pytest.mark.parametrize("command, flags, key", [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_cli_rejects_bad_flag(command, flags, key, tmp_path):
    if "--out" not in flags:
        flags = flags + ["--out", "o.parquet"]
    if "--spectrum-file" not in flags:  # the exponents are required: the case's own, else valid ones
        flags = [f for k, v in (("--alpha", "2"), ("--beta", "3")) if k not in flags for f in (k, v)] + flags
    out = _cli([command, *flags], cwd=tmp_path)
    _assert_cli_failed(out, key, tmp_path)


@pytest.mark.parametrize("argv, key", [c[1:] for c in CLI_USAGE_CASES], ids=[c[0] for c in CLI_USAGE_CASES])
def test_cli_usage_errors(argv, key, tmp_path):
    out = _cli(argv, cwd=tmp_path)
    _assert_cli_failed(out, key, tmp_path, allowed=False)


CHECK_CONFIG_CASES = [
    ("yte_template", "__use_yte__: true\nrun_name: ?f\"{__import__('os').getcwd()}\"\n", "__use_yte__"),
    (
        "too_many_jobs",
        _TEST_TEXT.replace(
            "n_samples: [100, 200, 400, 800]", "n_samples: [" + ", ".join(map(str, range(1, 20002))) + "]"
        ).replace("chunks: {dmft_points: 40, sim_groups: 2}", "chunks: {dmft_points: 1, sim_groups: 2}"),
        "chunks.dmft_points",
    ),
    ("yaml_syntax_error", "run_name: [test\n", "configfile"),
    ("duplicate_key", _TEST_TEXT + "\nteacher: prior\n", "teacher"),
    ("alpha_equal_1", _TEST_TEXT.replace("alpha: [2.0]", "alpha: [1.0]", 1), "sweeps.learning_curves.alpha[0]"),
]


@pytest.mark.parametrize("text, key", [c[1:] for c in CHECK_CONFIG_CASES], ids=[c[0] for c in CHECK_CONFIG_CASES])
def test_check_config_rejects(text, key, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    out = _cli(["check-config", str(path)], cwd=tmp_path)
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scaling-dmft: error: "), out.stderr
    assert_one_line_error(lines[0], key)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


# ---- spectrum files ---------------------------------------------------------------------------

_GOOD = {"eigenvalue": [1.0, 0.5, 0.25], "target_power": [1.0, 0.1, 0.01]}


def _csv(frame):
    return lambda p: pd.DataFrame(frame).to_csv(p, index=False)


def _parquet(frame):
    return lambda p: pd.DataFrame(frame).to_parquet(p)


def _bytes(data):
    return lambda p: p.write_bytes(data)


# (id, file name, writer, text that must be in the message: column or key)
SPECTRUM_CASES = [
    ("missing_target_power", "s.csv", _csv({"eigenvalue": [1.0, 0.5], "power": [1.0, 0.1]}), "target_power"),
    ("missing_eigenvalue", "s.parquet", _parquet({"lam": [1.0, 0.5], "target_power": [1.0, 0.1]}), "eigenvalue"),
    (
        "nan_eigenvalue",
        "s.csv",
        _csv({"eigenvalue": [1.0, np.nan, 0.25], "target_power": [1.0, 0.1, 0.01]}),
        "eigenvalue",
    ),
    (
        "nan_target_power",
        "s.parquet",
        _parquet({"eigenvalue": [1.0, 0.5, 0.25], "target_power": [1.0, np.nan, 0.01]}),
        "target_power",
    ),
    (
        "inf_eigenvalue",
        "s.parquet",
        _parquet({"eigenvalue": [np.inf, 0.5, 0.25], "target_power": [1.0, 0.1, 0.01]}),
        "eigenvalue",
    ),
    (
        "negative_eigenvalue",
        "s.csv",
        _csv({"eigenvalue": [1.0, -0.5, -0.75], "target_power": [1.0, 0.1, 0.01]}),
        "eigenvalue",
    ),
    ("zero_eigenvalue", "s.csv", _csv({"eigenvalue": [1.0, 0.5, 0.0], "target_power": [1.0, 0.1, 0.01]}), "eigenvalue"),
    (
        "increasing_eigenvalues",
        "s.csv",
        _csv({"eigenvalue": [0.25, 0.5, 1.0], "target_power": [1.0, 0.1, 0.01]}),
        "eigenvalue",
    ),
    (
        "negative_target_power",
        "s.parquet",
        _parquet({"eigenvalue": [1.0, 0.5, 0.25], "target_power": [1.0, -0.1, 0.01]}),
        "target_power",
    ),
    (
        "non_numeric_column",
        "s.csv",
        _csv({"eigenvalue": [1.0, 0.5, 0.25], "target_power": [1.0, "x", 0.01]}),
        "target_power",
    ),
    (
        "string_column_parquet",
        "s.parquet",
        _parquet({"eigenvalue": ["a", "b", "c"], "target_power": [1.0, 0.1, 0.01]}),
        "eigenvalue",
    ),
    ("header_only", "s.csv", _csv({"eigenvalue": [], "target_power": []}), "spectrum"),
    ("empty_csv", "s.csv", _bytes(b""), "spectrum"),
    ("empty_parquet", "s.parquet", _bytes(b""), "spectrum"),
    ("garbage_parquet", "s.parquet", _bytes(bytes(range(256)) * 8), "spectrum"),
    ("garbage_csv", "s.csv", _bytes(b"\x00\xff\xfe\x89PNG\r\n\x1a\n" + bytes(range(256))), "spectrum"),
    ("csv_under_parquet_name", "s.parquet", _bytes(b"eigenvalue,target_power\n1,1\n0.5,0.1\n"), "spectrum"),
    ("wrong_extension_txt", "s.txt", _csv(_GOOD), "spectrum"),
    ("wrong_extension_json", "s.json", _bytes(b'{"eigenvalue": [1.0]}'), "spectrum"),
    ("directory_not_file", "s.csv", lambda p: p.mkdir(), "spectrum"),
    ("eigenvalue_1e308", "s.csv", _csv({"eigenvalue": [1e308, 1.0], "target_power": [1.0, 0.5]}), "eigenvalue"),
    (
        "target_power_1e200",
        "s.parquet",
        _parquet({"eigenvalue": [1.0, 0.5], "target_power": [1e200, 0.5]}),
        "target_power",
    ),
    ("eigenvalue_1e-200", "s.csv", _csv({"eigenvalue": [1.0, 1e-200], "target_power": [1.0, 0.5]}), "eigenvalue"),
]
_SPECTRUM_FILES = {"s.csv", "s.parquet", "s.txt", "s.json"}


@pytest.mark.parametrize("name, write, key", [c[1:] for c in SPECTRUM_CASES], ids=[c[0] for c in SPECTRUM_CASES])
def test_bad_spectrum_file_library(name, write, key, tmp_path):
    path = tmp_path / name
    write(path)
    with pytest.raises(InputError) as info:
        read_spectrum_file(path, key="spectrum_file")
    assert_one_line_error(str(info.value), key)


@pytest.mark.parametrize("name, write, key", [c[1:] for c in SPECTRUM_CASES], ids=[c[0] for c in SPECTRUM_CASES])
def test_bad_spectrum_file_cli(name, write, key, tmp_path):
    write(tmp_path / name)
    out = _cli(["dmft", "--spectrum-file", name, "--out", "o.parquet"], cwd=tmp_path)
    _assert_cli_failed(out, "--spectrum-file", tmp_path)
    if key != "spectrum":
        assert key in out.stderr


@pytest.mark.parametrize("name, write, key", [c[1:] for c in SPECTRUM_CASES], ids=[c[0] for c in SPECTRUM_CASES])
def test_bad_spectrum_file_config(name, write, key, tmp_path):
    write(tmp_path / name)
    cfg = _base()
    sweep = cfg["sweeps"]["exponents"]
    sweep.pop("alpha"), sweep.pop("beta"), sweep.pop("n_modes")
    sweep["spectrum_file"] = name  # relative to the config file's folder
    with pytest.raises(InputError) as info:
        validate_config(cfg, base_dir=tmp_path)
    assert_one_line_error(str(info.value), "sweeps.exponents.spectrum_file")
    if key != "spectrum":
        assert key in str(info.value)


def test_good_spectrum_file_is_accepted(tmp_path):
    _csv(_GOOD)(tmp_path / "s.csv")
    cfg = _base()
    sweep = cfg["sweeps"]["exponents"]
    sweep.pop("alpha"), sweep.pop("beta"), sweep.pop("n_modes")
    sweep["spectrum_file"] = "s.csv"
    out = validate_config(cfg, base_dir=tmp_path)
    assert out["sweeps"]["exponents"]["n_modes"] == 3

"""Bad-input catalogue of the real-data surfaces: the `spectrum` command and the config's `data:`
entries (issue 25: A5-A7, B2-B6, C1-C3, C7, and an adversarial pass of the same surfaces, ids
`adv_*`).

Every refused input gives ONE line, status 2, no traceback, nothing written, and names only a flag
(or config key) that was given. Label semantics (docs/theory/data.md, "Labels"): float labels are
real targets used as given; integer, bool and string labels are classes; complex labels are refused.
Sizes are checked before anything is loaded: a file whose header promises more than the memory
budget is refused from the header alone (the files here are truncated after the header, so a loader
that read them would fail differently).
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_runner import run_cli
from scaling_dmft.config import load_yaml, validate_config
from scaling_dmft.errors import InputError
from scaling_dmft.spectra import read_spectrum_file

ROOT = Path(__file__).resolve().parents[1]
N = 60  # points of the small data sets


class Blocked(BaseException):
    """Raised by _deadline: a BaseException, so that no `except OSError` or `except Exception` of the
    code under test turns a hang into an ordinary error message."""


@contextlib.contextmanager
def _deadline(seconds: int):
    """Fail (not hang) when the body blocks, e.g. on opening a FIFO for reading."""

    def stop(*_):
        raise Blocked(f"blocked for {seconds} s")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _truncated_npy(path: Path, shape: tuple[int, ...]) -> None:
    """A .npy whose header promises `shape` float64 but holds 80 bytes of data: only a reader of the
    header alone gets past it."""
    header = {"descr": "<f8", "fortran_order": False, "shape": shape}
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(handle, header)
        handle.write(np.zeros(10).tobytes())


def _write_files(root: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, 5))
    y = rng.integers(0, 3, N)
    save = lambda name, a: np.save(root / name, a)  # noqa: E731
    save("X.npy", x)
    save("y.npy", y)
    save("ypois.npy", rng.poisson(3.0, N).astype(float))
    save("ycplx.npy", rng.standard_normal(N) + 1j * rng.standard_normal(N))
    save("Xconst.npy", np.ones((N, 5)))
    save("Xcplx.npy", x + 1j)
    save("Xstr.npy", np.full((N, 5), "a"))
    save("X1d.npy", x[:, 0])
    save("Xnan.npy", np.where(x > 2, np.nan, x))
    save("Xbig.npy", x * 1e200)
    save("Xtiny.npy", x * 1e-200)
    save("Xone.npy", x[:1])
    save("Xnocol.npy", np.zeros((N, 0)))
    save("Xdup.npy", np.tile(x[:1], (N, 1)))
    save("ystr.npy", np.array(["cat", "dog", "eel"])[y])
    save("ybool.npy", y > 0)
    save("yconst.npy", np.ones(N, dtype=int))
    save("yzero.npy", np.zeros(N))
    save("y2d.npy", y.reshape(N, 1))
    save("yshort.npy", y[:10])
    save("ynan.npy", np.where(y > 1, np.nan, 1.0))
    save("yids.npy", np.arange(N))
    save("ydate.npy", np.arange(N).astype("datetime64[D]"))
    save("ybig.npy", 1e200 * (y - 1.0))
    gram = x @ x.T / 5
    save("K.npy", gram)
    save("Kzero.npy", np.zeros((N, N)))
    save("Kbig.npy", gram * 1e300)
    save("Ktiny.npy", gram * 1e-310)
    save("Kcplx.npy", gram + 1j * np.eye(N))
    save("Knonsym.npy", gram + np.triu(np.ones((N, N))))
    save("Kneg.npy", gram - 3.0 * np.eye(N))
    save("Krect.npy", gram[:, :50])
    with open(root / "obj.npy", "wb") as handle:
        np.save(handle, np.array([{"a": 1}] * N, dtype=object), allow_pickle=True)
    (root / "garbage.npy").write_bytes(bytes(range(256)) * 4)
    (root / "empty.npy").write_bytes(b"")
    (root / "empty.npz").write_bytes(b"")
    (root / "empty.csv").write_bytes(b"")
    (root / "garbage.npz").write_bytes(b"PK\x03\x04" + bytes(range(256)))
    (root / "garbage.parquet").write_bytes(bytes(range(256)) * 8)
    (root / "latin1.csv").write_bytes("f0,y\n1.0,\xe9\n2.0,b\n".encode("latin-1"))
    np.savez(root / "d.npz", X=x, y=y)
    np.savez(root / "noX.npz", A=x, y=y)
    np.savez(root / "X3d.npz", X=x.reshape(N, 5, 1), y=y)
    np.savez(root / "objz.npz", X=np.array([{"a": 1}] * N, dtype=object), y=y)
    columns = {f"f{i}": x[:, i] for i in range(5)}
    pd.DataFrame({**columns, "y": y}).to_csv(root / "d.csv", index=False)
    pd.DataFrame({**columns, "y": y, "s": ["a"] * N}).to_csv(root / "strcol.csv", index=False)
    pd.DataFrame({**columns, "y": np.array(["a", "b", None] * (N // 3), dtype=object)}).to_csv(
        root / "ymiss.csv", index=False
    )
    pd.DataFrame({**columns, "y": pd.date_range("2026-01-01", periods=N)}).to_parquet(root / "ydate.parquet")
    pd.DataFrame({"y": y}).to_csv(root / "ylabels.csv", index=False)
    pd.DataFrame({**columns, "y": y}).to_csv(root / "index.csv")  # the row index saved: 'Unnamed: 0'
    pd.DataFrame({**columns, "y": pd.array([1, None] * (N // 2), dtype="Int64")}).to_parquet(root / "yna.parquet")
    pd.DataFrame({**columns, "y": pd.array(y, dtype="Int64")}).to_parquet(root / "yint64.parquet")
    save("Xzero_row.npy", np.vstack([np.zeros((1, 5)), x[1:]]))
    (root / "header.csv").write_text("a,b,y\n")
    (root / "semicolon.csv").write_text("a;b;y\n" + "".join(f"{i};{i};{i % 2}\n" for i in range(N)))
    os.mkfifo(root / "fifo.npy")
    os.symlink("/dev/zero", root / "zero.npy")
    os.symlink("nowhere.npy", root / "dangling.npy")
    os.symlink("loop.npy", root / "loop.npy")
    (root / "dir.npy").mkdir()
    (root / "x\nnewline.npy").write_bytes(b"not an array")
    _truncated_npy(root / "X30k.npy", (30000, 4))  # n = 30 000: a 6.7 GB Gram, 25 GB to decompose
    _truncated_npy(root / "Xwide.npy", (1000, 10**9))  # 8 TB of inputs
    _truncated_npy(root / "K30k.npy", (30000, 30000))
    save("y30k.npy", rng.integers(0, 2, 30000))


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bad_data")
    _write_files(root)
    return root


# ---- the `spectrum` command -------------------------------------------------------------------

# (id, flags; --out o.csv is appended, the flag the one line must start with)
SPECTRUM_CASES = [
    # A6: complex labels and a complex Gram are refused (no class per complex value, no lost imaginary part)
    ("A6_complex_labels", ["--data", "X.npy", "--labels", "ycplx.npy"], "--labels"),
    ("A6_complex_gram", ["--gram", "Kcplx.npy", "--labels", "y.npy"], "--gram"),
    # A7: --dataset has its labels, as in the config
    ("A7_dataset_with_labels", ["--dataset", "breast_cancer", "--labels", "y.npy"], "--labels"),
    # B2: a FIFO never blocks a read; nor does a device
    ("B2_labels_fifo", ["--data", "X.npy", "--labels", "fifo.npy"], "--labels"),
    ("B2_gram_fifo", ["--gram", "fifo.npy", "--labels", "y.npy"], "--gram"),
    ("B2_data_fifo", ["--data", "fifo.npy", "--labels", "y.npy"], "--data"),
    ("B2_labels_dev_zero", ["--data", "X.npy", "--labels", "zero.npy"], "--labels"),
    ("B2_gram_dev_zero", ["--gram", "zero.npy", "--labels", "y.npy"], "--gram"),
    # B3: sizes checked from the header, before loading
    ("B3_dense_n30000", ["--data", "X30k.npy", "--labels", "y30k.npy"], "--data"),
    ("B3_gram_n30000", ["--gram", "K30k.npy", "--labels", "y30k.npy"], "--gram"),
    ("B3_wide_inputs_with_modes", ["--data", "Xwide.npy", "--labels", "y.npy", "--modes", "10"], "--data"),
    # C1: inputs that gave tracebacks
    ("C1_object_npy", ["--data", "obj.npy", "--labels", "y.npy"], "--data"),
    ("C1_garbage_npy", ["--data", "garbage.npy", "--labels", "y.npy"], "--data"),
    ("C1_empty_npy", ["--data", "empty.npy", "--labels", "y.npy"], "--data"),
    ("C1_empty_npz", ["--data", "empty.npz"], "--data"),
    ("C1_garbage_npz", ["--data", "garbage.npz"], "--data"),
    ("C1_object_npz", ["--data", "objz.npz"], "--data"),
    ("C1_csv_string_column", ["--data", "strcol.csv"], "--data"),
    ("C1_empty_csv", ["--data", "empty.csv"], "--data"),
    ("C1_garbage_parquet", ["--data", "garbage.parquet"], "--data"),
    ("C1_labels_missing", ["--data", "X.npy", "--labels", "nope.npy"], "--labels"),
    ("C1_labels_csv", ["--data", "X.npy", "--labels", "ylabels.csv"], "--labels"),
    ("C1_labels_object", ["--data", "X.npy", "--labels", "obj.npy"], "--labels"),
    ("C1_string_labels_missing_value", ["--data", "ymiss.csv"], "--data"),
    ("C1_gram_npz", ["--gram", "d.npz", "--labels", "y.npy"], "--gram"),
    # C2: spectra without a scale or a fit
    ("C2_gram_zeros", ["--gram", "Kzero.npy", "--labels", "y.npy"], "--gram"),
    (
        "C2_tiny_inputs_not_standardised",
        ["--data", "Xtiny.npy", "--labels", "y.npy", "--no-standardise"],
        "--no-standardise",
    ),
    (
        "C2_constant_inputs_not_standardised",
        ["--data", "Xconst.npy", "--labels", "y.npy", "--no-standardise"],
        "--data",
    ),
    ("C2_identical_inputs", ["--data", "Xdup.npy", "--labels", "y.npy"], "--data"),
    # C3: eigenvalues outside a spectrum file's range are refused before they are written
    ("C3_gram_times_1e300", ["--gram", "Kbig.npy", "--labels", "y.npy"], "--gram"),
    ("C3_gram_times_1e-310", ["--gram", "Ktiny.npy", "--labels", "y.npy"], "--gram"),
    # C7: constant inputs name --data, not --gram
    ("C7_constant_inputs", ["--data", "Xconst.npy", "--labels", "y.npy"], "--data"),
    # adversarial pass
    ("adv_labels_dangling_link", ["--data", "X.npy", "--labels", "dangling.npy"], "--labels"),
    ("adv_labels_link_loop", ["--data", "X.npy", "--labels", "loop.npy"], "--labels"),
    ("adv_labels_directory", ["--data", "X.npy", "--labels", "dir.npy"], "--labels"),
    ("adv_data_directory", ["--data", "dir.npy", "--labels", "y.npy"], "--data"),
    ("adv_complex_inputs", ["--data", "Xcplx.npy", "--labels", "y.npy"], "--data"),
    ("adv_string_inputs", ["--data", "Xstr.npy", "--labels", "y.npy"], "--data"),
    ("adv_inputs_1d", ["--data", "X1d.npy", "--labels", "y.npy"], "--data"),
    ("adv_inputs_3d_npz", ["--data", "X3d.npz"], "--data"),
    ("adv_inputs_nan", ["--data", "Xnan.npy", "--labels", "y.npy"], "--data"),
    (
        "adv_inputs_1e200_not_standardised",
        ["--data", "Xbig.npy", "--labels", "y.npy", "--no-standardise"],
        "--no-standardise",
    ),
    ("adv_one_point", ["--data", "Xone.npy", "--labels", "y.npy"], "--data"),
    ("adv_no_columns", ["--data", "Xnocol.npy", "--labels", "y.npy"], "--data"),
    ("adv_npz_without_X", ["--data", "noX.npz"], "--data"),
    ("adv_csv_header_only", ["--data", "header.csv"], "--data"),
    ("adv_csv_semicolons", ["--data", "semicolon.csv"], "--data"),
    ("adv_csv_not_utf8", ["--data", "latin1.csv"], "--data"),
    ("adv_parquet_date_labels", ["--data", "ydate.parquet"], "--data"),
    ("adv_data_file_without_labels", ["--data", "X.npy"], "--data"),
    ("adv_labels_twice", ["--data", "d.npz", "--labels", "ypois.npy"], "--labels"),
    ("adv_labels_one_class", ["--data", "X.npy", "--labels", "yconst.npy"], "--labels"),
    ("adv_labels_all_zero", ["--data", "X.npy", "--labels", "yzero.npy"], "--labels"),
    ("adv_labels_2d", ["--data", "X.npy", "--labels", "y2d.npy"], "--labels"),
    ("adv_labels_short", ["--data", "X.npy", "--labels", "yshort.npy"], "--labels"),
    ("adv_labels_nan", ["--data", "X.npy", "--labels", "ynan.npy"], "--labels"),
    ("adv_labels_ids", ["--data", "X.npy", "--labels", "yids.npy"], "--labels"),
    ("adv_labels_dates", ["--data", "X.npy", "--labels", "ydate.npy"], "--labels"),
    ("adv_labels_1e200", ["--data", "X.npy", "--labels", "ybig.npy"], "--labels"),
    ("adv_gram_not_symmetric", ["--gram", "Knonsym.npy", "--labels", "y.npy"], "--gram"),
    ("adv_gram_not_psd", ["--gram", "Kneg.npy", "--labels", "y.npy"], "--gram"),
    ("adv_gram_not_square", ["--gram", "Krect.npy", "--labels", "y.npy"], "--gram"),
    ("adv_gram_garbage", ["--gram", "garbage.npy", "--labels", "y.npy"], "--gram"),
    ("adv_gram_with_kernel", ["--gram", "K.npy", "--labels", "y.npy", "--kernel", "rbf"], "--kernel"),
    ("adv_gram_with_sphere", ["--gram", "K.npy", "--labels", "y.npy", "--sphere"], "--sphere"),
    ("adv_gram_not_standardised", ["--gram", "K.npy", "--labels", "y.npy", "--no-standardise"], "--no-standardise"),
    ("adv_data_and_gram", ["--data", "X.npy", "--gram", "K.npy", "--labels", "y.npy"], "--gram"),
    ("adv_no_input", [], "spectrum"),
    ("adv_file_name_with_newline", ["--data", "x\nnewline.npy", "--labels", "y.npy"], "--data"),
    ("adv_out_standard_output", ["--data", "d.npz", "--out", "-"], "--out"),
    ("adv_csv_with_saved_row_index", ["--data", "index.csv"], "--data"),
    ("adv_parquet_labels_with_na", ["--data", "yna.parquet"], "--data"),
    (
        "adv_sphere_zero_input",
        ["--data", "Xzero_row.npy", "--labels", "y.npy", "--no-standardise", "--sphere"],
        "--sphere",
    ),
    ("adv_labels_are_the_inputs", ["--data", "X.npy", "--labels", "X.npy"], "--labels"),
    ("adv_data_tilde_not_expanded", ["--data", "~/nope.npy", "--labels", "y.npy"], "--data"),
    ("adv_modes_zero", ["--data", "X.npy", "--labels", "y.npy", "--modes", "0"], "--modes"),
    ("adv_dataset_modes_at_n", ["--dataset", "breast_cancer", "--modes", "569"], "--modes"),
    ("adv_max_memory_above_max", ["--data", "d.npz", "--max-memory-gb", "1e5"], "--max-memory-gb"),
    ("adv_max_memory_inf", ["--data", "d.npz", "--max-memory-gb", "inf"], "--max-memory-gb"),
    ("adv_max_memory_0", ["--data", "d.npz", "--max-memory-gb", "0"], "--max-memory-gb"),
    ("adv_max_memory_nan", ["--data", "d.npz", "--max-memory-gb", "nan"], "--max-memory-gb"),
    ("adv_max_memory_too_small", ["--data", "d.npz", "--max-memory-gb", "0.01"], "--data"),
    ("adv_dataset_too_big_for_budget", ["--dataset", "digits", "--max-memory-gb", "0.1"], "--dataset"),
]


def _refused(out, key: str, folder: Path, before: set[str]) -> None:
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr + out.stdout
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith(f"scaling-dmft: error: {key}"), lines[0]
    assert "allowed" in lines[0], lines[0]
    assert out.stdout == ""
    assert {p.name for p in folder.iterdir()} == before  # nothing written


def _given_flags(flags: list[str]) -> set[str]:
    return {f for f in flags if f.startswith("--")} | {"spectrum"}


@pytest.mark.parametrize("flags, key", [c[1:] for c in SPECTRUM_CASES], ids=[c[0] for c in SPECTRUM_CASES])
def test_spectrum_refuses_bad_data_input_with_one_line(files, flags, key, request):
    assert key in _given_flags(flags)  # the message names a flag the user gave
    if "--out" not in flags:
        flags = [*flags, "--out", "o.csv"]
    before = {p.name for p in files.iterdir()}
    with _deadline(60):
        out = run_cli(["spectrum", *flags], files)
    _refused(out, key, files, before)
    if request.node.callspec.id.startswith("B3"):  # refused for its size, from the header
        assert " GB " in out.stderr, out.stderr


@pytest.mark.parametrize(
    "flags, named",
    [
        (["--data", "d.csv", "--out", "d.csv"], "--data"),
        (["--gram", "K.npy", "--labels", "y.npy", "--out", "K.npy"], "--out"),
    ],
    ids=["out_is_the_data", "out_is_the_gram"],
)
def test_an_output_that_is_an_input_is_refused_naming_that_input(files, flags, named):
    """adversarial: the message named --spectrum-file, a flag `spectrum` does not have."""
    before = {p.name for p in files.iterdir()}
    out = run_cli(["spectrum", *flags], files)
    _refused(out, "--out", files, before)
    assert "--spectrum-file" not in out.stderr and named in out.stderr


def test_the_data_catalogue_is_large_and_distinct():
    ids = [c[0] for c in SPECTRUM_CASES] + [c[0] for c in CONFIG_CASES]
    assert len(ids) == len(set(ids))
    assert sum(i.startswith("adv_") for i in ids) >= 25


# ---- label semantics (A5, and what is accepted) ----------------------------------------------


def _spectrum_of(files: Path, tmp_path: Path, flags: list[str]) -> tuple[np.ndarray, dict]:
    out = run_cli(["spectrum", *flags, "--out", str(tmp_path / "s.parquet")], files)
    assert out.returncode == 0, out.stderr
    spectrum = read_spectrum_file(tmp_path / "s.parquet")
    import pyarrow.parquet as pq

    meta = {k.decode(): v.decode() for k, v in pq.read_schema(tmp_path / "s.parquet").metadata.items()}
    return spectrum.target_power, {k.split(".", 1)[-1]: v for k, v in meta.items()}


def test_float_labels_are_real_targets_used_as_given(files, tmp_path):
    """A5: Poisson counts stored as floats are one real target: the target powers add up to
    mean y^2 (the zero predictor's error), not to 1 (the mean square of +-1 class targets)."""
    y = np.load(files / "ypois.npy")
    power, meta = _spectrum_of(files, tmp_path, ["--data", "X.npy", "--labels", "ypois.npy"])
    assert meta["n_targets"] == "1"
    assert power.sum() + float(meta["unlearnable"]) == pytest.approx(np.mean(y**2), rel=1e-10)


@pytest.mark.parametrize(
    "labels, classes",
    [("y.npy", 3), ("ystr.npy", 3), ("ybool.npy", 2)],
    ids=["integer", "string", "bool"],
)
def test_integer_string_and_bool_labels_are_classes(files, tmp_path, labels, classes):
    """One +-1 target per class (one for two classes): each has mean square 1, so the target powers
    add up to 1."""
    power, meta = _spectrum_of(files, tmp_path, ["--data", "X.npy", "--labels", labels])
    assert meta["n_targets"] == str(classes if classes > 2 else 1)
    assert power.sum() + float(meta["unlearnable"]) == pytest.approx(1.0, rel=1e-10)


def test_nullable_integer_labels_of_a_table_are_classes(files, tmp_path):
    power, meta = _spectrum_of(files, tmp_path, ["--data", "yint64.parquet"])
    assert meta["n_targets"] == "3"
    assert power.sum() + float(meta["unlearnable"]) == pytest.approx(1.0, rel=1e-10)


def test_a_spectrum_from_a_gram_file_is_one_the_theory_reads(files, tmp_path):
    """C3's positive side: an accepted Gram gives a file that `dmft --spectrum-file` runs on."""
    _spectrum_of(files, tmp_path, ["--gram", "K.npy", "--labels", "y.npy"])
    out = run_cli(["dmft", "--spectrum-file", str(tmp_path / "s.parquet"), "--out", str(tmp_path / "t.csv")], files)
    assert out.returncode == 0, out.stderr


def test_a_float32_gram_is_accepted_despite_its_rounding(files, tmp_path):
    """float32 rounding alone gives eigenvalues near -1e-7 lambda_1: not a reason to refuse."""
    gram = np.load(files / "K.npy").astype(np.float32)
    np.save(tmp_path / "K32.npy", gram)
    out = run_cli(
        ["spectrum", "--gram", str(tmp_path / "K32.npy"), "--labels", "y.npy", "--out", str(tmp_path / "s.csv")], files
    )
    assert out.returncode == 0, out.stderr


def test_a_spectrum_with_one_mode_is_written_and_its_exponents_are_not_fitted(tmp_path):
    """One input feature, linear kernel: K has rank 1. The file is valid; the exponents are said
    to be not fitted instead of a fit error."""
    rng = np.random.default_rng(3)
    np.savez(tmp_path / "d.npz", X=rng.standard_normal((40, 1)), y=rng.standard_normal(40))
    out = run_cli(["spectrum", "--data", "d.npz", "--kernel", "linear", "--out", "s.csv"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "alpha: not fitted" in out.stdout and "beta: not fitted" in out.stdout
    assert read_spectrum_file(tmp_path / "s.csv").n_modes == 1


# ---- the config's `data:` entries (check-config, the workflow) -------------------------------


def _entry(**kw) -> dict:
    entry = {"n_samples": [16], "regimes": ["gf_wd"], **kw}
    return {k: v for k, v in entry.items() if v is not None}


# (id, the `data:` section, the key the message must start with)
CONFIG_CASES = [
    ("B2_labels_fifo_config", {"d": _entry(file="X.npy", labels="fifo.npy")}, "data.d.labels"),
    ("B2_file_fifo_config", {"d": _entry(file="fifo.npy", labels="y.npy")}, "data.d.file"),
    ("B3_dense_n30000_config", {"d": _entry(file="X30k.npy", labels="y30k.npy")}, "data.d.file"),
    ("B4_n_features_1e9", {"d": _entry(file="d.npz", n_features=[1000000000])}, "data.d.n_features"),
    ("B4_n_features_1e9_dataset", {"d": _entry(dataset="digits", n_features=[1000000000])}, "data.d.n_features"),
    ("B5_constant_columns", {"d": _entry(file="Xconst.npy", labels="y.npy")}, "data.d.file"),
    ("B6_name_with_newline", {"d\n": _entry(dataset="digits")}, "data.d\\n"),
    ("C1_labels_missing_config", {"d": _entry(file="X.npy", labels="nope.npy")}, "data.d.labels"),
    ("C1_labels_csv_config", {"d": _entry(file="X.npy", labels="ylabels.csv")}, "data.d.labels"),
    ("C1_labels_dev_zero_config", {"d": _entry(file="X.npy", labels="zero.npy")}, "data.d.labels"),
    ("C1_object_npy_config", {"d": _entry(file="obj.npy", labels="y.npy")}, "data.d.file"),
    ("C1_garbage_parquet_config", {"d": _entry(file="garbage.parquet")}, "data.d.file"),
    ("C1_csv_string_column_config", {"d": _entry(file="strcol.csv")}, "data.d.file"),
    ("C1_empty_csv_config", {"d": _entry(file="empty.csv")}, "data.d.file"),
    ("C1_string_labels_missing_value_config", {"d": _entry(file="ymiss.csv")}, "data.d.file"),
    ("A6_complex_labels_config", {"d": _entry(file="X.npy", labels="ycplx.npy")}, "data.d.labels"),
    ("adv_name_with_dash", {"d-x": _entry(dataset="digits")}, "data"),
    ("adv_labels_twice_config", {"d": _entry(file="d.npz", labels="y.npy")}, "data.d.labels"),
    (
        "adv_inputs_1e200_not_standardised_config",
        {"d": _entry(file="Xbig.npy", labels="y.npy", standardise=False)},
        "data.d.standardise",
    ),
    (
        "adv_identical_inputs_on_sphere_config",
        {"d": _entry(file="Xdup.npy", labels="y.npy", standardise=False, sphere=True)},
        "data.d.file",
    ),
    ("adv_file_directory_config", {"d": _entry(file="dir.npy", labels="y.npy")}, "data.d.file"),
    ("adv_wide_inputs_config", {"d": _entry(file="Xwide.npy", labels="y.npy")}, "data.d.file"),
    ("adv_labels_ids_config", {"d": _entry(file="X.npy", labels="yids.npy")}, "data.d.labels"),
    ("adv_digits_over_a_small_budget", {"d": _entry(dataset="digits")}, "data.d.dataset"),
]


def _config(data: dict, budget: float | None = None) -> dict:
    cfg = load_yaml(ROOT / "config" / "test.yaml")
    cfg["data"] = copy.deepcopy(data)
    if budget is not None:
        cfg["simulation"]["max_memory_gb"] = budget
    return cfg


@pytest.mark.parametrize("data, key", [c[1:] for c in CONFIG_CASES], ids=[c[0] for c in CONFIG_CASES])
def test_bad_data_entry_is_refused_by_the_config_check(files, data, key, request):
    budget = 0.2 if request.node.callspec.id == "adv_digits_over_a_small_budget" else None
    with _deadline(60), pytest.raises(InputError) as info:
        validate_config(_config(data, budget), base_dir=files)
    message = str(info.value)
    assert "\n" not in message and message.startswith(key + ":") and "allowed" in message, message
    if request.node.callspec.id.startswith(("B3", "B4")):  # refused for its size
        assert " GB " in message, message


def test_float_labels_in_a_config_entry_are_accepted(files):
    cfg = validate_config(_config({"d": _entry(file="X.npy", labels="ypois.npy")}), base_dir=files)
    assert cfg["data"]["d"]["labels"] == str(files / "ypois.npy")


def test_the_workflow_stops_on_a_missing_labels_file_with_one_line(files, tmp_path):
    """C1: `snakemake -n` printed Snakemake's multi-line FileNotFoundError; the config check names the
    key in one line (status 2) before any job is planned."""
    import yaml

    cfg = _config({"d": _entry(file=str(files / "X.npy"), labels=str(tmp_path / "nope.npy"))})
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    cmd = [snakemake, "--snakefile", str(ROOT / "Snakefile"), "-n", "--configfile", "c.yaml", "--cores", "1"]
    out = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 2, out.stderr[-2000:]
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scaling-dmft: config error: data.d.labels:"), out.stderr[-2000:]


def test_check_config_states_the_data_jobs_memory_and_time(tmp_path):
    import yaml

    cfg = _config({"d": _entry(dataset="breast_cancer", n_features=[math.inf, 64])})
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    out = run_cli(["check-config", "c.yaml"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "data: 1 data set(s), 2 jobs; largest ~" in out.stdout and " GB " in out.stdout

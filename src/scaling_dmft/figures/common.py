"""Row selection shared by the figures: which rows of a table belong to a sweep."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

import numpy as np
import pandas as pd

from ..fit import LAW_AXIS
from ..tables import POINT_COLUMNS, usable


def _isin(values: pd.Series, allowed: Iterable[float]) -> np.ndarray:
    v = values.to_numpy(dtype=np.float64)
    a = np.asarray([float(x) for x in allowed], dtype=np.float64)
    if a.size == 0:
        return np.zeros(len(v), dtype=bool)
    return np.isclose(v[:, None], a[None, :], rtol=1e-9, atol=0.0).any(axis=1) | np.isin(v, a)


def select(
    frame: pd.DataFrame, sweep_cfg: dict, regimes: Iterable[str] | None = None, *, skip: Collection[str] = ()
) -> pd.DataFrame:
    """Rows of a curve / fit / early-stopping table that belong to a sweep.

    A row is kept when its `sweep` is the sweep's `name` (the workflow adds it: one curve is one
    sweep's time grid, never merged with another sweep's), its alpha, beta, n_features, n_samples and noise are among the sweep's
    values (floats compared with rtol 1e-9, +inf matches +inf), its n_modes and teacher equal the
    sweep's, and its regime is in `regimes` (default: the sweep's `regimes`). A sweep with a
    `spectrum_file` matches on the file name instead of alpha / beta. Columns named in `skip`
    are not filtered (e.g. the varied axis of a fit row, which holds +inf).
    Flagged rows are kept (the figure decides); the result may be empty.
    """
    regimes = list(sweep_cfg.get("regimes", [])) if regimes is None else list(regimes)
    mask = frame["regime"].isin(regimes).to_numpy().copy()
    if "name" in sweep_cfg:
        mask &= (frame["sweep"] == sweep_cfg["name"]).to_numpy()
    if "spectrum_file" in sweep_cfg:
        mask &= (frame["spectrum"] == str(sweep_cfg["spectrum_file"]).rsplit("/", 1)[-1]).to_numpy()
    else:
        for col in ("alpha", "beta"):
            if col in sweep_cfg and col not in skip:
                mask &= _isin(frame[col], sweep_cfg[col])
    for col in ("n_features", "n_samples", "noise"):
        if col in sweep_cfg and col not in skip:
            mask &= _isin(frame[col], sweep_cfg[col])
    if "n_modes" in sweep_cfg and "n_modes" not in skip:
        mask &= frame["n_modes"].to_numpy() == int(sweep_cfg["n_modes"])
    if "teacher" in sweep_cfg and "teacher" not in skip:
        mask &= (frame["teacher"] == sweep_cfg["teacher"]).to_numpy()
    return frame[mask]


def select_fits(
    fits: pd.DataFrame, sweep_cfg: dict, law: str, regimes: Iterable[str] | None = None, quantity: str | None = "eg"
) -> pd.DataFrame:
    """Fit rows of one law for a sweep; the law's varied axis (+inf in the fit row) is not filtered."""
    part = fits[fits["law"] == law]
    if quantity is not None:
        part = part[part["quantity"] == quantity]
    skip = (LAW_AXIS[law],) if LAW_AXIS[law] != "t" else ()
    return select(part, sweep_cfg, regimes, skip=skip)


def valid(frame: pd.DataFrame, column: str = "eg") -> pd.DataFrame:
    """Usable rows (unflagged, or only `imprecise`: tables.usable) with a finite positive value in
    `column` (plottable on a log axis)."""
    v = frame[column].to_numpy(dtype=np.float64)
    return frame[usable(frame["flag"]) & np.isfinite(v) & (v > 0)]


def without_divergent(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` without its simulation rows where the theory of the same point and time is infinite
    (flag 'infinite': e.g. the ridgeless threshold N = P at t = inf): a seed mean of a divergent
    quantity is heavy-tailed and means nothing, so it is not drawn (the captions say so)."""
    theory = frame[(frame["method"] == "dmft") & (frame["flag"] == "infinite")]
    if theory.empty:
        return frame
    keys = [c for c in (*POINT_COLUMNS, "t") if c in frame.columns]
    infinite = pd.MultiIndex.from_frame(theory[keys].astype(str))
    at = pd.MultiIndex.from_frame(frame[keys].astype(str)).isin(infinite)
    return frame[~(at & (frame["method"] == "sim").to_numpy())]


def require(frame: pd.DataFrame, figure: str, what: str) -> pd.DataFrame:
    """Raise a clear ValueError when a figure's selection is empty."""
    if frame is None or len(frame) == 0:
        raise ValueError(f"figure {figure!r}: empty selection: {what}")
    return frame


def sweep(spec: dict, figure: str, index: int | None = None) -> tuple[str, dict]:
    """(name, config) of the figure's `sweep`, or of the index-th of its `sweeps`.

    spec['sweeps'] maps names to configs in the order the config lists them; a repeated name
    appears once, so an index past the end reuses the last sweep (e.g. `sweeps: [s, s]`).
    """
    sweeps = spec.get("sweeps") or {}
    if not isinstance(sweeps, dict) or not sweeps:
        raise ValueError(f"figure {figure!r}: spec['sweeps'] must map sweep names to their config, got {sweeps!r}")
    names = list(sweeps)
    if index is None:
        name = spec.get("sweep", names[0])
    else:
        name = names[min(index, len(names) - 1)]
    if name not in sweeps:
        raise ValueError(f"figure {figure!r}: sweep {name!r} is not in spec['sweeps'] ({sorted(sweeps)})")
    return name, sweeps[name]


VARYING_ORDER = (
    "regime",
    "n_samples",
    "n_features",
    "noise",
    "alpha",
    "beta",
    "weight_decay",
    "temperature",
    "teacher",
    "n_modes",
    "init_std",
    "spectrum",
)
REGIME_COLUMNS = ("weight_decay", "temperature", "init_std")
SHORT = {
    "n_samples": "P",
    "n_features": "N",
    "noise": "σ",
    "alpha": "α",
    "beta": "β",
    "weight_decay": "γ",
    "temperature": "T",
    "init_std": "σ0",
    "n_modes": "M",
}


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fmt_value(col: str, v: str | float) -> str:
    """A value as a figure writes it: '∞', '64', '0.001', '10⁶', '3.16·10⁵' (never '1e+06')."""
    if isinstance(v, str):
        return v
    v = float(v)
    if np.isinf(v):
        return "∞"
    if v == int(v) and abs(v) < 1e5:
        return str(int(v))
    text = f"{v:.3g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = "10" + str(int(exponent)).translate(SUPERSCRIPT)
    return {"1": power, "-1": f"-{power}"}.get(mantissa, f"{mantissa}·{power}")


def series_keys(frame: pd.DataFrame, exclude: Collection[str] = ()) -> list[str]:
    """Point columns that take more than one value in `frame` (they distinguish the series)."""
    cols = []
    for col in VARYING_ORDER:
        if col in exclude or col not in frame.columns:
            continue
        if frame[col].astype(str).nunique(dropna=False) > 1:
            cols.append(col)
    if "regime" in cols:  # a regime fixes gamma, T, sigma0: name them only if they vary within one
        for col in REGIME_COLUMNS:
            if col in cols and frame.groupby("regime")[col].nunique(dropna=False).max() <= 1:
                cols.remove(col)
    return cols


TITLE_ORDER = (
    "alpha",
    "beta",
    "n_modes",
    "n_features",
    "n_samples",
    "noise",
    "weight_decay",
    "temperature",
    "init_std",
)


def describe(frame: pd.DataFrame, skip: Collection[str] = (), width: int = 44) -> str:
    """The physical parameters that are constant in `frame`, e.g. 'α=2, β=3, M=4000, N=∞, σ=0.5'
    (for panel titles: a referee reads the setting off the figure), wrapped at `width` characters."""
    parts = []
    for col in TITLE_ORDER:
        if col in skip or col not in frame.columns or frame.empty:
            continue
        values = frame[col].dropna().unique()
        if len(values) == 1:
            parts.append(f"{SHORT.get(col, col)}={fmt_value(col, values[0])}")
            if col == "init_std" and _is_prior(frame):
                parts[-1] += " (prior: σ0²=T/γ)"
    lines, line = [], ""
    for part in parts:
        if line and len(line) + len(part) + 2 > width:
            lines.append(line + ",")
            line = part
        else:
            line = f"{line}, {part}" if line else part
    return "\n".join(lines + [line] if line else lines)


def _is_prior(frame: pd.DataFrame) -> bool:
    """sigma0^2 = T / gamma in every row (init_std: prior), so a title can say where sigma0 comes from."""
    s0, t, g = (frame[c].to_numpy(dtype=float) for c in ("init_std", "temperature", "weight_decay"))
    with np.errstate(divide="ignore", invalid="ignore"):
        return bool(len(s0) and (g > 0).all() and (t > 0).all() and np.allclose(s0**2, t / g, rtol=1e-9))


def label(key: dict, values: Mapping | None = None, kinds: Mapping | None = None) -> str:
    """A series' legend label: its regime in words (regime_words, from `values`, a row of the series,
    and `kinds`, regime name -> config kind) and the other varying parameters, e.g. 'P=64'."""
    parts = []
    for col, v in key.items():
        if col == "regime":
            parts.append(
                regime_words(values if values is not None else {}, (kinds or {}).get(v))
                if values is not None
                else str(v)
            )
        else:
            parts.append(f"{SHORT.get(col, col)}={fmt_value(col, v)}")
    return ", ".join(parts)


def regime_kinds(spec: Mapping) -> dict:
    """regime name -> config kind, from a figure spec's regimes_defined."""
    return {name: r.get("kind") for name, r in (spec.get("regimes_defined") or {}).items()}


def _positive(values: Mapping, key: str) -> float:
    v = values.get(key, 0.0)
    try:
        v = float(v)
    except (TypeError, ValueError):
        return 0.0
    return v if np.isfinite(v) and v > 0 else 0.0


def regime_words(values: Mapping, kind: str | None = None) -> str:
    """A training regime named in words, with the parameters that set it apart: 'gradient flow',
    'gradient flow + weight decay γ=0.01', 'Langevin γ=0.01, T=0.001', 'Bayes posterior γ=0.01,
    T=0.001', 'gradient descent η=0.5 + weight decay γ=0.01', 'momentum μ=0.5, η=0.1', 'online SGD
    B=8, η=0.2', 'multi-pass SGD B=4, η=0.5' (a row's batch_sampling; 'SGD' where it is not known). `values`: a regime's config or a table row (weight_decay, temperature,
    learning_rate, momentum, batch_size); `kind`: the config's kind where known (bayes is a kind, not
    a value)."""
    gamma, temp = _positive(values, "weight_decay"), _positive(values, "temperature")
    eta, mu = _positive(values, "learning_rate"), _positive(values, "momentum")
    batch = values.get("batch_size")
    batch = float(batch) if batch is not None and np.isfinite(float(batch)) else None
    if values.get("units") == "paper":  # a config regime in the paper's units: g and 1/beta
        return f"Langevin, paper units g={fmt_value('', gamma)}, inverse temperature {fmt_value('', 1 / temp)}"
    if kind == "bayes":
        return f"Bayes posterior γ={fmt_value('', gamma)}, T={fmt_value('', temp)}"
    if batch is not None:
        sampling = values.get("batch_sampling") or ""
        how = {"online": "online SGD", "replacement": "multi-pass SGD", "epochs": "multi-pass SGD"}.get(sampling, "SGD")
        base = f"{how} B={fmt_value('', batch)}, η={fmt_value('', eta)}" + (
            " (reshuffled epochs)" if sampling == "epochs" else ""
        )
    elif mu > 0:
        base = f"momentum μ={fmt_value('', mu)}, η={fmt_value('', eta)}"
    elif eta > 0:
        base = f"gradient descent η={fmt_value('', eta)}"
    else:
        base = ""
    if temp > 0:
        noise = f"Langevin γ={fmt_value('', gamma)}, T={fmt_value('', temp)}"
        return f"{base}, {noise}" if base else noise
    if gamma > 0:
        return f"{base or 'gradient flow'} + weight decay γ={fmt_value('', gamma)}"
    return base or "gradient flow"

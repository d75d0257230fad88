"""scaling-dmft: dynamical mean-field theory and exact simulation of learning curves of random-feature /
kernel regression with power-law spectra (Kramp, Lindner & Helias, arXiv 2602.23039).

The front door (each call returns the workflow's table as a pandas DataFrame; keywords are the config
keys and table columns, every one but the exponents with the config's default):

    import scaling_dmft as sd
    sd.learning_curve(alpha=1.5, beta=2, n_samples=100, n_features=200, times=[1, 10, 100])  # theory
    sd.simulate_curve(alpha=1.5, beta=2, n_samples=100, n_features=200, times=[1, 10], seeds=32)
    sd.compute_optimal(alpha=2, beta=2.5, n_samples=float("inf"), compute=(1e4, 1e8, 9))
    sd.spectrum(eigenvalues=..., target_power=...)   # a spectrum of your own, for spectrum=...
    sd.read_table("results/default/tables/curves.parquet")

The typed parameter point (`Point`: `Model`, `Regime`, `Optimizer`) is what every surface builds;
the solvers are `scaling_dmft.dmft` (theory) and `scaling_dmft.simulate` (exact simulation).
"""

from typing import TYPE_CHECKING

from .about import VERSION as __version__

# The names below are imported on first use (PEP 562): `import scaling_dmft` stays free of numpy, so
# the command line (`python -m scaling_dmft`, `scaling-dmft`) can pin BLAS threads before numpy loads.
_EXPORTS = {
    "compute_optimal": "api",
    "learning_curve": "api",
    "read_table": "api",
    "simulate_curve": "api",
    "spectrum": "api",
    "Model": "points",
    "Optimizer": "points",
    "Point": "points",
    "Regime": "points",
    "SpectrumSpec": "points",
    "Spectrum": "spectra",
}

__all__ = [
    "Model",
    "Optimizer",
    "Point",
    "Regime",
    "Spectrum",
    "SpectrumSpec",
    "__version__",
    "compute_optimal",
    "learning_curve",
    "read_table",
    "simulate_curve",
    "spectrum",
]

if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from .api import compute_optimal as compute_optimal
    from .api import learning_curve as learning_curve
    from .api import read_table as read_table
    from .api import simulate_curve as simulate_curve
    from .api import spectrum as spectrum
    from .points import Model as Model
    from .points import Optimizer as Optimizer
    from .points import Point as Point
    from .points import Regime as Regime
    from .points import SpectrumSpec as SpectrumSpec
    from .spectra import Spectrum as Spectrum


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        from importlib import import_module

        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])

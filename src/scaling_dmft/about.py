"""Facts about the installed package, each defined once: its version (from the package metadata,
which pyproject.toml sets) and the repository root (the checkout the source runs from)."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

DISTRIBUTION = "scaling-dmft"

try:
    VERSION = metadata.version(DISTRIBUTION)
except metadata.PackageNotFoundError:  # run from a source tree that was never installed
    VERSION = "0+unknown"

# src/scaling_dmft/about.py -> the repository root (config/, workflow/, the git checkout)
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]

"""The config schema, `schemas/config.schema.yaml`: the one definition of every config key, its
default and its allowed range.

The config loader validates against it and fills its defaults; the spectrum checks, the CLI's
flags and help, and the figure registry read their ranges and names from it, so a bound changed
in the schema changes everywhere.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml


@lru_cache(maxsize=1)
def _parsed() -> dict:
    text = resources.files("scaling_dmft").joinpath("schemas/config.schema.yaml").read_text()
    return yaml.safe_load(text)


def config_schema() -> dict:
    """The schema as a mapping (a fresh copy: callers may change it)."""
    return copy.deepcopy(_parsed())


@dataclass(frozen=True)
class Range:
    """A closed or half-open numeric interval, as a JSON Schema `minimum`/`exclusiveMinimum` and
    `maximum`/`exclusiveMaximum` write it."""

    name: str
    low: float
    low_open: bool
    high: float
    high_open: bool

    def contains(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return bool(above and below)

    @property
    def text(self) -> str:
        """'1 < alpha <= 10': the message a refused value gets."""
        low = f"{_number(self.low)} {'<' if self.low_open else '<='} "
        high = f" {'<' if self.high_open else '<='} {_number(self.high)}" if math.isfinite(self.high) else ""
        return f"{low}{self.name}{high}"


def _number(x: float) -> str:
    return re.sub(r"e\+0*", "e", f"{x:g}")  # 10, 1e6, 1e15


def number_range(definition: str, name: str) -> Range:
    """The range of `$defs/<definition>` (of its items, for a list definition); `definition` may
    be a path inside `$defs`, e.g. 'time_range/properties/stop'."""
    node = _parsed()["$defs"]
    for part in definition.split("/"):
        node = node[part]
    node = node.get("items", node)
    if "anyOf" in node:  # e.g. a size: an integer range or .inf
        node = node["anyOf"][0]
    low_open = "exclusiveMinimum" in node
    high_open = "exclusiveMaximum" in node
    return Range(
        name=name,
        low=float(node["exclusiveMinimum"] if low_open else node.get("minimum", -math.inf)),
        low_open=low_open,
        high=float(node["exclusiveMaximum"] if high_open else node.get("maximum", math.inf)),
        high_open=high_open,
    )


def enum(definition: str) -> tuple[str, ...]:
    """The allowed strings of `$defs/<definition>`."""
    return tuple(_parsed()["$defs"][definition]["enum"])


def figure_names() -> tuple[str, ...]:
    """The figures a config may list, in the order the workflow draws them."""
    return tuple(_parsed()["properties"]["figures"]["properties"])

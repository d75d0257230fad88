"""The two exception types: invalid user input and untrustworthy numerics.

`InputError` is raised for every invalid user input (config key, CLI flag, spectrum file).
Its message is one line naming the key, the value and the allowed range; the CLI and the
workflow print that line and exit with status 2, never a traceback.

`NumericalError` is raised by the solvers when a result cannot be trusted (non-convergence,
ill-conditioning, overflow); they never return NaN.
"""

from __future__ import annotations

import unicodedata


def one_line(text: str) -> str:
    """`text` with every character that could break a line or the terminal (control characters,
    line and paragraph separators: what str.splitlines splits on, and the rest of Unicode's C*
    categories) written as its Python escape, so a message is one line whatever a name or value
    in it holds (a sweep called "f\\n")."""
    if text.isprintable():
        return text
    return "".join(
        ch if ch == " " or not unicodedata.category(ch).startswith(("C", "Z")) else ascii(ch)[1:-1] for ch in text
    )


class InputError(ValueError):
    """Invalid user input. `str(err)` is one line: '<key>: <problem> (allowed: <range>)', whatever
    characters the key, value or texts hold (`one_line`)."""

    def __init__(self, key: str, value: object, allowed: str, problem: str | None = None):
        self.key = key
        self.value = value
        self.allowed = allowed
        self.problem = problem
        what = problem or f"invalid value {value!r}"
        super().__init__(one_line(f"{key}: {what} (allowed: {allowed})"))


class NumericalError(ArithmeticError):
    """A solver failed (no convergence, overflow, loss of accuracy); message says where."""


def real_number(value: object, key: str, allowed: str) -> float:
    """`value` as a float when it is a real number (int or float, numpy's included; not a bool, whose
    arithmetic would silently make True a 1); else InputError naming `key`. NaN passes: bounds are
    the caller's (every comparison with NaN is false, so a bound check refuses it)."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(key, value, allowed)
    return float(value)


def whole_number(value: object, key: str, allowed: str) -> int:
    """`value` as an int when it is an integer (int, numpy integer, or a float with no fractional
    part; not a bool); else InputError naming `key`."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(key, value, allowed)
    if isinstance(value, numbers.Integral):
        return int(value)
    if not (float(value) == float(value) and abs(float(value)) != float("inf") and float(value).is_integer()):
        raise InputError(key, value, allowed)
    return int(value)

"""The two exception types: invalid user input and untrustworthy numerics.

`InputError` is raised for every invalid user input (config key, CLI flag, spectrum file).
Its message is one line naming the key, the value and the allowed range; the CLI and the
workflow print that line and exit with status 2, never a traceback.

`NumericalError` is raised by the solvers when a result cannot be trusted (non-convergence,
ill-conditioning, overflow); they never return NaN.
"""

from __future__ import annotations


class InputError(ValueError):
    """Invalid user input. `str(err)` is one line: '<key>: <problem> (allowed: <range>)'."""

    def __init__(self, key: str, value: object, allowed: str, problem: str | None = None):
        self.key = key
        self.value = value
        self.allowed = allowed
        self.problem = problem
        what = problem or f"invalid value {value!r}"
        super().__init__(f"{key}: {what} (allowed: {allowed})")


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

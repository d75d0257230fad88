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

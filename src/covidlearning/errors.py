"""Errors that reach the user as one line, with exit code 2 and no traceback."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from the user: the message names the problem and the fix.

    The CLI prints ``error: <message>`` on one line and exits with code 2.
    """

    exit_code = 2

    def __init__(self, problem: str, fix: str | None = None) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem}. {fix}" if fix else problem)

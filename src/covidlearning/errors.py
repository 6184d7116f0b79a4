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


def quoted(names: object) -> str:
    """Names listed for a message, each in quotes: ``'a', 'b, c'`` (``none`` when empty).

    Column names may hold commas ("Listening, understanding & involving"), so a plain
    comma-separated list would be ambiguous.
    """
    items = [str(n) for n in names]  # type: ignore[attr-defined]
    return ", ".join(f"'{n}'" for n in items) if items else "none"


def did_you_mean(name: str, options: object, cutoff: float = 0.6) -> str:
    """`` (did you mean 'x'?)`` for the option nearest ``name``, or ``""`` when none is near.

    Case, spaces, underscores and punctuation are ignored first (``Staff Group`` finds
    ``staff_group``); otherwise the closest spelling (:func:`difflib.get_close_matches`).
    """
    import difflib
    import re

    known = [str(o) for o in options]  # type: ignore[attr-defined]

    def norm(s: str) -> str:
        return re.sub(r"[\W_]+", "", s.casefold())

    near = [o for o in known if norm(o) == norm(name) and o != name]
    if not near:
        folded = {o.casefold(): o for o in known}
        close = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=cutoff)
        near = [folded[c] for c in close if folded[c] != name]
    return f" (did you mean '{near[0]}'?)" if near else ""

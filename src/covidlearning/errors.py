"""Errors that reach the user as one line and no traceback: bad input (exit 2), a leak (exit 1)."""

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


#: How the guard names each kind of identifier in its message.
KIND_NAMES = {
    "nhs_number": "an NHS number", "phone": "a phone number", "reference": "a reference number",
    "date_of_birth": "a date of birth", "age": "an age over 89", "email": "an email address",
    "postcode": "a postcode", "address": "a street address", "url": "a web address",
    "name": "a personal name", "ward_bed": "a ward or bed identifier", "place": "a named place",
    "known": "a string redacted elsewhere in the run",
}  # fmt: skip


class IdentifierLeak(RuntimeError):
    """An output folder still holds a detectable personal identifier; nothing was published.

    The message is one line naming each file and the kind of identifier in it, never the
    identifier itself (nor its location, which for a JSON key would be the identifier).
    The CLI prints it as ``error: ...`` and exits with code 1.

    Args:
        findings: objects with ``path`` and ``kind`` (``privacy.redact.Finding``).
    """

    exit_code = 1

    def __init__(self, findings: object) -> None:
        from pathlib import Path

        self.findings = list(findings)  # type: ignore[call-overload]
        by_file: dict[str, list[str]] = {}
        for f in self.findings:
            kinds = by_file.setdefault(Path(f.path).name, [])
            if f.kind not in kinds:
                kinds.append(f.kind)
        shown = [
            f"{name} holds {' and '.join(KIND_NAMES.get(k, k) for k in kinds)}"
            for name, kinds in list(by_file.items())[:5]
        ]
        more = f" (and {len(by_file) - 5} more files)" if len(by_file) > 5 else ""
        super().__init__(
            f"identifier guard: {'; '.join(shown)}{more}; nothing was published. Check the "
            "redaction settings, or add a safe string to redaction.allow"
        )


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


class ClusterFailure(RuntimeError):
    """A Dask cluster lost work it cannot redo (a worker holding the fit died).

    The CLI prints it as one line, ``error: ...``, and exits with code 1; earlier outputs
    are left as they were.
    """

    exit_code = 1

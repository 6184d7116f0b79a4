"""Plain-English formatting of numbers and counts, shared by the report's sections."""

from __future__ import annotations

import html
from typing import Any


def esc(value: Any) -> str:
    """HTML-escape any value (NaN and None become an empty string)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return html.escape(str(value))


def pct(x: float, digits: int = 0) -> str:
    """Format a share in 0..1 as a percentage."""
    return f"{100 * float(x):.{digits}f}%"


def pcts(share: float, low: float, high: float) -> tuple[str, str, str]:
    """A share and its interval as percentages: whole ones unless the bounds would meet.

    ``2% (1% to 4%)``, but ``2.0% (1.6% to 2.4%)`` rather than ``2% (2% to 2%)`` (up
    to three decimals).
    """
    digits = 0
    while digits < 3 and pct(low, digits) == pct(high, digits) and float(low) != float(high):
        digits += 1
    return pct(share, digits), pct(low, digits), pct(high, digits)


def share_ci(share: float, low: float, high: float, to: str = " to ") -> str:
    """``12% (10% to 14%)``: a share and its interval, as :func:`pcts` writes them."""
    a, b, c = pcts(share, low, high)
    return f"{a} ({b}{to}{c})"


def pct_of(k: int, n: int) -> str:
    """``k`` of ``n`` as a percentage that never rounds to 100% (or 0%) unless it is.

    347 of 348 reads ``99.7%``, not ``100%``; 1 of 5,000 reads ``0.02%``, not ``0%``.
    """
    if n <= 0:
        return "0%"
    x = k / n
    for digits in (0, 1, 2):
        text = pct(x, digits)
        if (k == n or float(text[:-1]) < 100) and (k == 0 or float(text[:-1]) > 0):
            return text
    return "over 99.99%" if k < n else "under 0.01%"


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 theme``, ``2 themes``."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def is_are(n: int) -> str:
    """The verb agreeing with a count: "1 of 5 themes *is* found", "2 *are* not"."""
    return "is" if n == 1 else "are"

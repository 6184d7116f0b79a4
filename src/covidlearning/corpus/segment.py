"""Turn a cleaned document into analysable units: paragraphs, bullets and quotes.

Every unit keeps ``start`` and ``end``, character offsets into the decoded document
text, so ``text[start:end]`` is the unit's raw text (for HTML, PDF and DOCX the
"decoded text" is the text extracted from the file; see :mod:`covidlearning.corpus.load`).
A paragraph that a page break split in two is one unit whose span covers both
halves (and whatever furniture lay between them). Headings are not units: they
become the ``section`` path of the units below them, e.g.
``"10 leaps forward – innovation in the pandemic > 1. Valued Staff"``.

The unit's ``text`` is cleaned: markup and bullet markers dropped, lines joined,
end-of-line hyphenation repaired, mojibake fixed (ftfy), whitespace collapsed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from covidlearning.corpus.clean import Block, CleanResult, clean_document

__all__ = [
    "METADATA_COLUMNS",
    "SEGMENT_COLUMNS",
    "Unit",
    "document_title",
    "segment_document",
    "split_sentences",
]

#: Document metadata carried onto every unit.
METADATA_COLUMNS = ("title", "publisher", "date", "doc_type")
#: Columns of a segments table, in order.
SEGMENT_COLUMNS = (
    "segment_id",
    "doc_id",
    "source_file",
    "start",
    "end",
    "kind",
    "section",
    "text",
    *METADATA_COLUMNS,
    "status",
)
_WS = re.compile(r"[\s\u00a0\u200b\ufeff]+")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"\*\*|__")
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])[^*\n]+?(?<=[^\s*])\*(?![\w*])")
_OPEN_Q = '"“„«'
_CLOSE_Q = '"”»'
_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+")
_ABBREV = {
    "dr", "mr", "mrs", "ms", "prof", "st", "vs", "etc", "e.g", "i.e", "eg", "ie", "no", "nos",
    "fig", "figs", "vol", "approx", "dept", "inc", "ltd", "co", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "cf", "al", "rev", "gen", "sr", "jr",
}  # fmt: skip
_SENT_END = re.compile(r"([.!?…]+)([\"”’')\]]*)(\s+)(?=[\"“‘'(\[]?[A-Z0-9])")


@dataclass(frozen=True)
class Unit:
    """One analysable unit of a document (a row of the segments table)."""

    segment_id: str
    doc_id: str
    source_file: str
    start: int
    end: int
    kind: str
    section: str
    text: str
    title: str
    publisher: str
    date: str
    doc_type: str
    status: str


# --------------------------------------------------------------------------- text
class _Chars:
    """Characters of a unit's cleaned text, each with its offset in the raw text."""

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.offs: list[int] = []

    def add(self, ch: str, off: int) -> None:
        if ch.isspace() or ch in "\u00a0\u200b\ufeff":
            if not self.chars or self.chars[-1] == " ":
                return
            ch = " "
        self.chars.append(ch)
        self.offs.append(off)

    def strip(self) -> None:
        while self.chars and self.chars[-1] == " ":
            self.chars.pop()
            self.offs.pop()

    @property
    def text(self) -> str:
        return "".join(self.chars)


def _line_mask(line: str) -> list[bool]:
    """Which characters of a line survive markup removal."""
    keep = [True] * len(line)
    for m in _LINK.finditer(line):
        for k in range(m.start(), m.end()):
            keep[k] = False
        for k in range(m.start(1), m.end(1)):
            keep[k] = True
    for m in _EMPHASIS.finditer(line):
        for k in range(m.start(), m.end()):
            keep[k] = False
    for m in _ITALIC.finditer(line):
        keep[m.start()] = keep[m.end() - 1] = False
    for k, ch in enumerate(line):
        if ch == "\ufffd":
            keep[k] = False
    return keep


_Vocab = tuple[set[str], set[str], set[str]]


def _vocabulary(text: str) -> _Vocab:
    """Words, hyphenated compounds and compound second parts seen in the document.

    Fragments of words hyphenated at a line end are left out, so they cannot vouch
    for themselves.
    """
    body = re.sub(r"[A-Za-z]+-[ \t]*\n[\s\S]*?[A-Za-z]+", " ", text)
    words = {w.lower() for w in _WORD.findall(body)}
    compounds = {m.lower() for m in re.findall(r"[A-Za-z]+-[A-Za-z]+", body)}
    seconds = {c.split("-", 1)[1] for c in compounds}
    return words, compounds, seconds


def _dehyphenate(left: str, right: str, vocab: _Vocab) -> bool:
    """True when ``left-`` + ``right`` at a line break is one word split by hyphenation.

    The document itself is the dictionary: the joined word occurring elsewhere means
    join; the hyphenated compound (or another compound ending in ``-right``, such as
    ``short-term`` for ``long-term``) occurring elsewhere means keep the hyphen.
    """
    words, compounds, seconds = vocab
    a, z = left.lower(), right.lower()
    if a + z in words:
        return True
    if f"{a}-{z}" in compounds or z in seconds:
        return False
    return not (len(a) >= 3 and len(z) >= 3 and a in words and z in words)


def _build_chars(text: str, block: Block, vocab: _Vocab, dropped: set[int]) -> _Chars:
    """The block's cleaned characters; ``dropped`` offsets (logged removals) are left out."""
    out = _Chars()
    for n, span in enumerate(block.lines):
        line = text[span.start : span.end]
        keep = _line_mask(line)
        for k in range(len(line)):
            if span.start + k in dropped:
                keep[k] = False
        if n > 0 and out.chars:
            prev = out.text
            m_left = re.search(r"([A-Za-z]+)-$", prev)
            m_right = re.match(r"[a-z]+", line)
            if m_left and m_right and _dehyphenate(m_left.group(1), m_right.group(0), vocab):
                out.chars.pop()
                out.offs.pop()
            elif not (m_left and m_right):
                out.add(" ", span.start)
        tabs = 0
        for k, ch in enumerate(line):
            if not keep[k]:
                continue
            if (
                block.marker == "table"
                and ch == "|"
                and (k == 0 or k == len(line) - 1 or not line[k + 1 :].strip())
            ):
                continue  # the outer pipes of a Markdown table row
            if ch in "\t|" and block.marker == "table":
                out.strip()
                if not out.chars or out.chars[-1] in ":;":
                    continue  # a leading or repeated separator
                sep = ": " if tabs == 0 else "; "
                tabs += 1
                out.chars.extend(sep)
                out.offs.extend([span.start + k] * len(sep))
                continue
            out.add(ch, span.start + k)
    out.strip()
    while out.chars and out.chars[0] == " ":
        out.chars.pop(0)
        out.offs.pop(0)
    return out


def _dropped_inside_kept(cleaned: CleanResult) -> set[int]:
    """Offsets of short logged removals inside kept lines (broken characters, markers)."""
    import bisect

    spans = sorted((s.start, s.end) for b in cleaned.blocks for s in b.lines)
    starts = [a for a, _ in spans]
    out: set[int] = set()
    for r in cleaned.removals:
        k = bisect.bisect_right(starts, r.start) - 1
        if r.end - r.start <= 8 and k >= 0 and spans[k][0] <= r.start < spans[k][1]:
            out.update(range(r.start, r.end))
    return out


def _fix(text: str) -> str:
    import ftfy

    fixed = ftfy.fix_text(text, uncurl_quotes=False)  # keep the source's own quotes
    return _WS.sub(" ", fixed).strip()


_JOINERS = {
    "a", "an", "and", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to",
    "with", "our", "your", "their", "its", "&", "–", "-",
}  # fmt: skip


def _heading_text(text: str, block: Block) -> str:
    """A heading's lines joined; a new capitalised line after a complete one is a subtitle."""
    parts: list[str] = []
    for s in block.lines:
        line = text[s.start : s.end].strip()
        if not parts:
            parts.append(line)
            continue
        prev = parts[-1]
        last = prev.split()[-1].lower() if prev.split() else ""
        bare = _EMPHASIS.sub("", line).lstrip("\"“'‘(")
        if (
            bare[:1].isupper()
            and not prev.rstrip("*_ ").endswith(tuple(".,:;!?–-"))
            and (last.strip("*_") not in _JOINERS)
        ):
            parts.append(": " + line)
        else:
            parts.append(" " + line)
    return "".join(parts)


def _section_name(text: str) -> str:
    t = _WS.sub(" ", _EMPHASIS.sub("", _LINK.sub(r"\1", text)).replace("\ufffd", "")).strip()
    t = re.sub(r"^#+\s*", "", t)
    letters = [c for c in t if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        t = t[:1] + t[1:].lower()
    t = t.strip().rstrip(".:;").strip()
    import ftfy

    return ftfy.fix_text(t, uncurl_quotes=False)


# --------------------------------------------------------------------------- sentences
def split_sentences(text: str) -> list[tuple[int, int]]:
    """Split text into sentence spans ``(start, end)`` without trained models.

    A sentence ends at ``.``, ``!``, ``?`` or ``…`` (plus closing quotes/brackets)
    followed by whitespace and an upper-case letter, digit or opening quote, unless
    the word before is a common abbreviation (Dr, e.g., etc.) or a single initial.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENT_END.finditer(text):
        before = text[start : m.start()].split()
        last = before[-1].lower().rstrip(".") if before else ""
        if m.group(1) == "." and (last in _ABBREV or (len(last) == 1 and last.isalpha())):
            continue
        end = m.end(2)
        if text[start:end].strip():
            spans.append((start, end))
        start = m.end(3)
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


# --------------------------------------------------------------------------- units
def _split_trailing_quote(chars: _Chars) -> list[tuple[str, _Chars]] | None:
    """``Some words. "A quotation."`` -> a paragraph and a quote, else None."""
    t = chars.text
    m = re.match(r'^([^"“”]+?[.!?])\s+(["“][^"“”]+["”])$', t)
    if not m or len(m.group(1).split()) < 3:
        return None
    parts = []
    for kind, (a, z) in (("paragraph", m.span(1)), ("quote", m.span(2))):
        c = _Chars()
        c.chars, c.offs = list(t[a:z]), chars.offs[a:z]
        parts.append((kind, c))
    return parts


def _kind_of(block: Block, text: str) -> str:
    if block.role in ("bullet", "quote"):
        return block.role
    if text[:1] in _OPEN_Q and text.rstrip(".,;").endswith(tuple(_CLOSE_Q)):
        return "quote"
    return "paragraph"


def _title_index(text: str, blocks: list[Block], title: str = "") -> int | None:
    """Index of the title among the headings that open a document.

    The heading matching the known ``title`` (same words, or one containing the
    other), else the first heading of two or more words.
    """
    from covidlearning.corpus.clean import normalise_for_match

    lead: list[int] = []
    for i, b in enumerate(blocks):
        if b.role != "heading":
            break
        lead.append(i)
    if not lead:
        return None
    names = {i: normalise_for_match(_section_name(_heading_text(text, blocks[i]))) for i in lead}
    want = normalise_for_match(title)
    if want:
        for i in lead:
            if names[i] and (names[i] == want or names[i] in want or want in names[i]):
                return i
    return next((i for i in lead if len(names[i].split()) >= 2), lead[0])


def document_title(cleaned: CleanResult) -> str:
    """The document's first heading (its title when it has one), or ``""``."""
    for b in cleaned.blocks:
        if b.role == "heading":
            return _section_name(_heading_text(cleaned.text, b))
        if b.role != "heading":
            break
    return ""


def segment_document(
    text: str,
    doc_id: str,
    *,
    source_file: str = "",
    metadata: Mapping[str, str] | None = None,
    sentences: bool = False,
    min_unit_chars: int = 20,
    cleaned: CleanResult | None = None,
) -> list[Unit]:
    """Segment one document's text into units.

    Args:
        text: decoded document text; offsets refer to it.
        doc_id: the document's id; segment ids are ``f"{doc_id}-{n:04d}"``.
        source_file: file name recorded on every unit.
        metadata: ``title``, ``publisher``, ``date``, ``doc_type`` copied to every unit.
        sentences: split paragraphs, bullets and quotes further into sentences.
        min_unit_chars: paragraphs and quotes shorter than this get status
            ``"too short"`` (bullets are kept whatever their length).
        cleaned: a :func:`covidlearning.corpus.clean.clean_document` result for ``text``
            (computed when omitted).

    Returns:
        Units in document order.
    """
    cleaned = cleaned if cleaned is not None else clean_document(text)
    meta = {k: str((metadata or {}).get(k, "") or "") for k in METADATA_COLUMNS}
    vocab = _vocabulary(text)
    dropped = _dropped_inside_kept(cleaned)
    units: list[Unit] = []
    stack: dict[int, str] = {}
    last_heading_level: int | None = None
    seen_unit = False
    blocks = cleaned.blocks
    title_at = _title_index(text, blocks, meta["title"])
    for bi, block in enumerate(blocks):
        if block.role == "heading":
            name = _section_name(_heading_text(text, block))
            level = block.level or 2
            if title_at is not None and bi < title_at:
                continue  # labels above the title ("Blog", a site name)
            if stack.get(1) == name:
                continue  # the title repeated
            if not seen_unit and not stack:
                level = 1  # the title: the first heading kept before any text
            elif level == 1 and last_heading_level == 1 and 1 in stack and not seen_unit:
                continue  # a subtitle straight after the title
            elif level == 1 and seen_unit and 1 in stack:
                level = 2
            if name:
                stack = {k: v for k, v in stack.items() if k < level}
                stack[level] = name
            last_heading_level = level
            continue
        last_heading_level = None
        chars = _build_chars(text, block, vocab, dropped)
        if not chars.chars:
            continue
        pieces: list[tuple[str, _Chars]]
        split = _split_trailing_quote(chars) if block.role == "paragraph" else None
        pieces = split or [(_kind_of(block, chars.text), chars)]
        section = " > ".join(stack[k] for k in sorted(stack))
        for kind, c in pieces:
            spans = split_sentences(c.text) if sentences else [(0, len(c.chars))]
            for a, z in spans:
                while a < z and c.chars[a] == " ":
                    a += 1
                if a >= z:
                    continue
                body = _fix("".join(c.chars[a:z]))
                if not body:
                    continue
                status = "ok"
                if kind != "bullet" and len(body) < min_unit_chars:
                    status = "too short"
                units.append(
                    Unit(
                        segment_id=f"{doc_id}-{len(units) + 1:04d}",
                        doc_id=doc_id,
                        source_file=source_file,
                        start=c.offs[a],
                        end=c.offs[z - 1] + 1,
                        kind=kind,
                        section=section,
                        text=body,
                        status=status,
                        **meta,
                    )
                )
                seen_unit = True
    return units


def units_frame(units: list[Unit]) -> pd.DataFrame:
    """Units as a segments table with :data:`SEGMENT_COLUMNS`."""
    rows = [u.__dict__ for u in units]
    df = pd.DataFrame(rows, columns=list(SEGMENT_COLUMNS))
    return df.astype({"start": "int64", "end": "int64"})

"""Clean a document's text: find its structure and remove web furniture and PDF artefacts.

Cleaning works on the decoded text of one document and never rewrites it. It returns
the *blocks* worth keeping (headings, paragraphs, bullets, quotes), each as a list of
character spans into that text, and a *removal log* of every span it dropped with the
reason, so nothing disappears silently. :mod:`covidlearning.corpus.segment` turns the blocks
into units.

The rules are general heuristics, not rules for particular files:

* **line level**: bare URL lines (PDF link annotations), link-only lines, running
  headers/footers (short lines repeated on three or more pages), page numbers,
  breadcrumbs, and lines matching a lexicon of boilerplate (navigation, cookie
  notices, newsletter, feedback and comment forms, social links, vacancy adverts,
  logos, dates, bylines, figure captions);
* **block level**: mastheads (stacks of one-to-three-word lines before the text),
  menus (lists of short items outside the prose), tables of contents (entries that
  repeat later headings), footnotes, bylines with a social handle or an honorific,
  quote attributions, lead-ins to removed links, repeated pull-quotes (a block whose
  words recur inside a longer block) and repeated paragraphs;
* **runs**: everything after a teaser or form marker ("You might also like",
  "Latest news", "Further reading", "Leave a comment", "Get social", "Work with us")
  up to the end of the document or a long prose block, and publisher back matter
  ("About the ...", in the last 40% of a document) to the end;
* **structure**: paragraphs in hard-wrapped text without blank lines are split at
  short sentence-final lines; headings, bullets (marked, numbered, or short items
  after a lead-in ending in ``:``), quotes and repeated labels are told apart;
* **repairs**: paragraphs broken by a page break (the first half ends mid-sentence
  and the next block starts in lower case) are merged; hyphenated line ends are
  joined by :mod:`covidlearning.corpus.segment`; replacement characters and footnote markers
  are logged and left out of unit text.

Reader comments under a blog post are not the authors' text: by default they leave
the units and go to the removal log (reason ``reader comment``), from where an analyst
can recover them; ``reader_comments=True`` keeps them as units. The comment *form*
(log-in prompts, policies) is always removed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["Block", "CleanResult", "Removal", "Span", "clean_document", "normalise_for_match"]

_STRIP = " \t\f\v\r\u00a0\u200b\ufeff\u2028\u2029\u3000"


@dataclass(frozen=True)
class Span:
    """A half-open character span ``[start, end)`` into a document's text."""

    start: int
    end: int


@dataclass(frozen=True)
class Removal:
    """A span removed from a document, with the reason (one row of the removal log)."""

    start: int
    end: int
    text: str
    reason: str


@dataclass
class Block:
    """A run of kept lines that forms one heading, paragraph, bullet or quote.

    Attributes:
        lines: content spans of the block's lines (a bullet's marker is excluded).
        role: ``heading``, ``paragraph``, ``bullet`` or ``quote``.
        marker: how the block was introduced: ``bullet``, ``numbered``, ``markdown``
            (a ``#`` heading), ``blockquote``, ``table`` or ``""``.
        marker_text: the bullet/number marker, e.g. ``"1."``.
        level: heading level (1 = title, 2 = section, 3 = repeated label).
    """

    lines: list[Span]
    role: str = "paragraph"
    marker: str = ""
    marker_text: str = ""
    level: int = 0

    @property
    def start(self) -> int:
        """Offset of the block's first kept character."""
        return self.lines[0].start

    @property
    def end(self) -> int:
        """Offset just after the block's last kept character."""
        return self.lines[-1].end


@dataclass
class CleanResult:
    """What :func:`clean_document` keeps and removes.

    Attributes:
        text: the document text the offsets refer to (unchanged input).
        blocks: kept blocks in document order.
        removals: removed spans in document order, each with a reason.
    """

    text: str
    blocks: list[Block] = field(default_factory=list)
    removals: list[Removal] = field(default_factory=list)

    @property
    def kept(self) -> list[Span]:
        """The kept line spans of every block, in order."""
        return [s for b in self.blocks for s in b.lines]

    def block_text(self, block: Block) -> str:
        """A block's lines joined with single spaces (markup left in)."""
        return " ".join(self.text[s.start : s.end] for s in block.lines)


# --------------------------------------------------------------------------- lexicon
def _rx(*alternatives: str) -> re.Pattern[str]:
    """One case-insensitive pattern that matches a whole line equal to any alternative."""
    return re.compile(r"^(?:" + "|".join(alternatives) + r")$", re.IGNORECASE)


#: Whole-line patterns of web furniture, by reason. Lines longer than
#: ``_LEXICON_MAX_CHARS`` are never matched, so real paragraphs survive.
_LEXICON: list[tuple[str, re.Pattern[str]]] = [
    (
        "navigation",
        _rx(
            r"skip to (?:the )?(?:main )?(?:content|navigation|main|search)",
            r"(?:main |site )?menu|navigation|search(?: this site)?|home(?: page)?|back to top",
            r"top of (?:the )?page|you are here:?.*|breadcrumbs?",
            r"(?:previous|next)|(?:previous|next) (?:post|article|page|story)(?::.{0,120})?",
            r"(?:view|read|see|load|show) (?:more|all)"
            r"(?: (?:news|articles|posts|stories|events|resources|results|blogs?|insights))?[.…]*",
            r"read more(?: about (?:this|us|our work))?[.…]*|read the (?:full )?(?:story|article)",
            r"(?:to )?find out more(?: about us| here)?[.!]?",
            r"print(?: this page)?|share(?: this)?(?: page| article| post| story)?:?",
            r"tags?:.*|categor(?:y|ies):.*|filed under:?.*",
            r"close|open menu|toggle navigation|hide this message|contents|on this page",
            r"table of contents|back to (?:top|contents)|print this page|download(?: as)? pdf",
            r"(?:privacy|cookie|accessibility|modern slavery|complaints)"
            r" (?:policy|statement|notice)",
            r"terms (?:and|&) conditions|terms of (?:use|service)|site ?map|contact(?: us)?",
            r"accessibility|help|faqs?|disclaimer|legal|press|media centre|about us|our work",
            r"(?:page )?\d{1,3}(?: of \d{1,3})?|\d{1,3} ?/ ?\d{1,3}",
        ),
    ),
    (
        "byline",
        _rx(
            r"(?:by|written by|posted by|author:?)\s+[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3}"
            r"(?:,? (?:and|&) [A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3})?",
            r"(?:reading time:? )?\d{1,2} min(?:ute)?s?(?: read)?",
            r"(?:posted|filed) in:? .{0,80}|tagged:? .{0,80}",
            r"[A-Z][\w .'’-]{1,40} (?:says|wrote|commented):",
        ),
    ),
    (
        "feedback form",
        _rx(
            r"(?:is|was) this (?:page|article|information) (?:useful|helpful)\??",
            r"(?:yes|no),? this page is (?:not )?useful|maybe",
            r"report a problem(?: with this page)?|help us improve.{0,60}",
            r"thank you for your feedback.{0,60}",
            r"don['’]t include personal or financial information.{0,200}",
            r"this field is for robots only.{0,60}|what were you doing\?|what went wrong\?|cancel",
        ),
    ),
    (
        "cookie notice",
        _rx(
            r".{0,160}\b(?:we|this (?:site|website)|our (?:site|website)) uses? (?:\w+ ){0,3}"
            r"cookies\b.{0,240}",
            r".{0,60}\b(?:set|accepted|rejected|use) (?:\w+ ){0,3}cookies\b.{0,240}",
            r"cookies on .{1,40}",
            r"(?:view|change|manage) (?:your )?cookies?(?: settings| preferences)?",
            r".{0,120}\bcookies? (?:policy|settings|preferences|notice|consent)\b.{0,120}",
            r".{0,80}\baccept (?:all )?cookies\b.{0,80}",
            r"accept(?: all)?(?: cookies)?|reject(?: all)?|decline|i agree|ok,? i agree|got it",
            r"manage (?:cookies|preferences|consent)|privacy (?:policy|notice|settings)",
        ),
    ),
    (
        "newsletter form",
        _rx(
            r"subscribe(?: to)?(?: our| the)?(?: \w+)?(?: newsletter| mailing list| updates)?[.!]?",
            r"sign up(?: (?:to|for) .{0,60})?",
            r"(?:our |the )?(?:e-?)?newsletters?(?: sign ?up)?",
            r"(?:get|receive|join) our (?:\w+ )?"
            r"(?:newsletter|bulletin|mailing list|updates).{0,80}",
            r"stay (?:up to date|in touch|informed)(?: with (?:us|our|the latest)\b.{0,60})?[.!]?",
            r"keep up to date with (?:us|our|the latest)\b.{0,60}",
            r"by (?:submitting|signing up|subscribing).{0,300}",
            r".{0,200}\bunsubscribe\b.{0,200}",
            r"enter your (?:e-?mail|details).{0,60}|(?:your )?e-?mail(?: address)?\*?:?",
            r"(?:first|last|full|your) name\*?:?|organi[sz]ation\*?:?|job title\*?:?",
            r"i'?m interested in.{0,40}|submit|send|sign me up",
        ),
    ),
    (
        "comment form",
        _rx(
            r"(?:leave|post|add|write|submit) (?:a |an |new |your )?(?:comment|reply|response)s?",
            r".{0,80}\bcomments? policy\b.{0,80}",
            r"if you have an? .{0,40}account.{0,80}",
            r"(?:please )?(?:log|sign) ?in(?: (?:to|or register)\b.{0,60})?",
            r"register|reply|cancel reply|post comment|submit comment",
            r"(?:this|your e-?mail(?: address)?) will not be (?:publicly visible|published).{0,80}",
            r"required fields are marked.{0,20}|name\s?\*|website|comment\s?\*?",
            r"\d+ (?:comments?|replies)",
        ),
    ),
    (
        "social links",
        _rx(
            r"get social|follow us(?: on .{0,40})?[.!]?|connect with us|join the conversation[.!]?",
            r"share (?:on|via|this on) .{0,40}",
            r"(?:tweet|facebook|twitter|linkedin|instagram|youtube|whatsapp|email|rss)",
            r".{0,80}\bfollow us on (?:twitter|x|facebook|linkedin|instagram)\b.{0,60}",
            r"(?:to )?find out more,? (?:visit|at|go to) .{0,80}",
        ),
    ),
    (
        "vacancy advert",
        _rx(
            r"work (?:with|for) us|careers?(?: with us)?|join (?:our|the) team",
            r"(?:view |see )?(?:our )?(?:current |latest )?"
            r"(?:vacancies|job (?:openings|vacancies)|jobs)",
            r"we(?:'re|’re| are) hiring.{0,60}",
        ),
    ),
    (
        "logo",
        _rx(
            r".{0,40}\blogo\b.{0,20}",
            r".{0,40}artboard.{0,30}",
            r"(?:est\.?|established|founded|since) \d{4}",
            r"in partnership(?: with)?:?|in association with:?",
            r"supported by:?|funded by:?|powered by:?",
            r"©.{0,120}|copyright\b.{0,120}|all rights reserved.{0,60}",
            r"registered (?:charity|company|office|in england)\b.{0,120}",
            r"(?:charity|company) (?:number|no\.?|registration)\b.{0,80}",
            r"all content is available under .{0,160}",
        ),
    ),
    (
        "date line",
        _rx(
            r"(?:(?:posted|published|updated|date)(?: on)?:?\s*)?"
            r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{1,2}(?:st|nd|rd|th)? [a-z]{3,9},? \d{4}"
            r"|[a-z]{3,9} \d{1,2}(?:st|nd|rd|th)?,? \d{4})"
            r"(?:,? (?:at )?\d{1,2}[:.]\d{2}\s?(?:am|pm)?)?(?: in\b.{0,60})?",
            r"(?:last )?(?:updated|published|posted)(?: on)?:? .{0,40}\d{4}",
        ),
    ),
    (
        "figure caption",
        _rx(
            r"(?:figure|fig\.|chart|diagram|image|photo|source|table|credit|photo credit)"
            r"\s*\d*[:.].{0,160}"
        ),
    ),
]
_LEXICON_MAX_CHARS = 320

#: Lines that open a run of furniture that lasts to the end of the document.
_TAIL_MARKERS = [
    (
        "teaser",
        _rx(
            r"you (?:may|might) also (?:like|enjoy|be interested in)(?: reading)?[.…:]*",
            r"related(?: articles?| posts?| stories| content| reading| resources)?:?",
            r"related (?:news|links|items):?",
            r"further reading:?|read next:?|recommended(?: reading| for you| articles)?:?",
            r"more (?:from|on) (?:this|the|our) (?:blog|site|author|series|topic)",
            r"more like this|more (?:stories|news|articles|blogs?)",
            r"latest (?:news|posts|articles|insights|stories|blogs?)(?: (?:&|and) \w+)?[.:]?",
            r"(?:most )?popular(?: posts| articles| stories)?:?|trending(?: now)?:?",
            r"newsletter feature|(?:also )?in this section:?|see also:?|most read:?",
            r"top stories:?|editor['’]s picks:?|other (?:news|articles|stories):?",
        ),
    ),
    (
        "comment form",
        _rx(r"(?:leave|post|add|write|submit) (?:a |an |new |your )?(?:comment|reply|response)"),
    ),
    ("social links", _rx(r"get social|follow us|connect with us|share this(?: article| page)?:?")),
    ("vacancy advert", _rx(r"work (?:with|for) us|join (?:our|the) team")),
    ("newsletter form", _rx(r"subscribe to (?:our|the) (?:\w+ )?newsletter[.!]?")),
]
#: Headings that open the reader comments under a blog post.
_COMMENTS = _rx(
    r"(?:\d+ |reader |readers['’] )?comments?(?: \(\d+\))?|\d+ (?:responses?|replies)",
    r"\d+ thoughts? on .{0,120}|(?:join the )?discussion",
)
#: "About the publisher" back matter, only counted in the last part of a document.
_ABOUT = re.compile(
    r"^(?i:about) (?:(?i:us|the authors?)$|(?:the )?"
    r"(?!(?i:survey|report|study|data|respondents|methods?|methodology|evaluation|project"
    r"|programme|program|research|findings|this|these)\b)[A-Z].{0,60}$)"
)
_BACK_MATTER_FROM = 0.6

#: Words after which a wrapped line continues (so the next line is not a new element).
_JOINERS = {
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the",
    "to", "with", "our", "your", "their", "its", "this", "that", "is", "are", "was", "were",
}  # fmt: skip

_URL_TOKEN = re.compile(
    r"^(?:<?(?:https?://|ftp://|www\.)\S+>?|\S+@\S+\.\w+|@\w{2,}|[\w-]+(?:\.[\w-]+)+/\S*)$",
    re.IGNORECASE,
)
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)]*)\)")
_BULLET = re.compile(r"^(?:[-–—•●▪◦‣·*+■□➢➤►✓✔\uf0b7\uf0a7])(?=\s)\s*")
_NUMBERED = re.compile(r"^\(?(?:\d{1,2}|[a-h])[.)](?=\s)\s*")
_MD_HEADING = re.compile(r"^(#{1,6})\s+")
_BLOCKQUOTE = re.compile(r"^>\s?")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?$")
_HONORIFIC = re.compile(
    r"^(?:prof(?:essor)?|dr|sir|dame|mr|mrs|ms|miss|cllr|rev)\.? [A-Z][\w'’-]+", re.I
)
_HANDLE = re.compile(r"(?<![\w.@])@\w{2,}")
_FOOTNOTE = re.compile(r"^(\d{1,2})\s+\S")
_TERMINAL = tuple('.!?:;"”’)]…')
_OPEN_QUOTES = '"“„«'
_CLOSE_QUOTES = '"”»'
_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['’][A-Za-z]+)?")


def normalise_for_match(text: str) -> str:
    """Lower-case words only, for comparing blocks (pull-quotes, repeats)."""
    text = text.replace("’", "'").replace("‘", "'")
    return " ".join(w.lower() for w in _WORD.findall(text))


def _strip_markup(text: str) -> str:
    """Drop markdown emphasis, heading and quote markers and link targets."""
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_HEADING.sub("", text)
    text = re.sub(r"(\*\*|__)", "", text)
    return text.strip(_STRIP)


# --------------------------------------------------------------------------- lines
@dataclass
class _Line:
    """One line of the document: its content offsets, text, indentation, and if blank."""

    start: int  # content start (after leading whitespace)
    end: int  # content end (before trailing whitespace)
    text: str
    indent: int
    blank: bool


def _split_lines(text: str) -> list[_Line]:
    """The document's lines, each stripped, with the offsets of its content."""
    out: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        lead = len(raw) - len(raw.lstrip(_STRIP))
        core = raw.strip(_STRIP)
        s = pos + lead
        out.append(_Line(s, s + len(core), core, lead, not core))
        pos += len(raw) + 1
    return out


def _is_url_line(text: str) -> bool:
    """A line made only of URLs, e-mail addresses or handles (e.g. a PDF link annotation)."""
    tokens = text.split()
    return bool(tokens) and all(_URL_TOKEN.match(t.strip("()[]<>,;")) for t in tokens)


def _is_link_line(text: str) -> bool:
    """A line made only of markdown links (and separators)."""
    if not _MD_LINK.search(text):
        return False
    rest = _MD_LINK.sub("", text)
    return not re.sub(r"[\s|•·,>/-]+", "", rest)


def _is_breadcrumb(text: str) -> bool:
    """``Home > News > Blog`` or ``About | Contact | Jobs``: three or more short parts."""
    parts = [p.strip() for p in re.split(r"\s[>»›/|]\s|\s?[»›|]\s?|\s>\s?", text)]
    if len(parts) < 3:
        return False
    return all(
        0 < len(p.split()) <= 4 and re.search(r"[A-Za-z]", p) and not _ends_sentence(p)
        for p in parts
    )


def _lexicon_reason(text: str) -> str | None:
    """The furniture reason of a line matching the lexicon (or a breadcrumb), else None."""
    t = _strip_markup(text).strip(_STRIP)
    if not t or len(t) > _LEXICON_MAX_CHARS:
        return None
    if len(t) <= 160 and _is_breadcrumb(t):
        return "navigation"
    for reason, rx in _LEXICON:
        if rx.match(t):
            return reason
    return None


def _tail_reason(text: str) -> str | None:
    """The reason of a short line that opens a run of furniture to the end, else None."""
    t = _strip_markup(text).strip(_STRIP + ":.")
    if not t or len(t) > 60:
        return None
    for reason, rx in _TAIL_MARKERS:
        if rx.match(t):
            return reason
    return None


def _words(text: str) -> list[str]:
    """The text's whitespace-separated words."""
    return text.split()


def _ends_sentence(text: str) -> bool:
    """Whether the text ends in ``.!?:;``, a closing quote or bracket, or an ellipsis."""
    return text.rstrip(_STRIP).endswith(_TERMINAL)


def _is_long_prose(text: str) -> bool:
    """Article prose, which ends a run of teasers: not a truncated or linked blurb."""
    t = text.strip(_STRIP)
    if len(t) < 200 or t.endswith(("...", "…")) or re.search(r"https?://|www\.", t):
        return False
    if not _ends_sentence(t):
        return False
    return len(re.findall(r"[.!?][\"”’)]?\s", t + " ")) >= (1 if len(t) >= 300 else 2)


# --------------------------------------------------------------------------- the document
class _Document:
    """One document being cleaned: its text and lines, and the log of what was removed.

    Every step reads the document through this and records each span it drops with
    :meth:`remove` or :meth:`remove_block`, so the removal log is complete.

    Attributes:
        text: the document text; all offsets point into it.
        lines: its lines, with content offsets.
        removals: removed spans in the order they were found.
        footnotes: numbers of the footnotes removed, whose markers are logged in kept text.
    """

    def __init__(self, text: str) -> None:
        """Split ``text`` into lines; nothing is removed yet."""
        self.text = text
        self.lines = _split_lines(text)
        self.removals: list[Removal] = []
        self.footnotes: set[str] = set()

    def remove(self, start: int, end: int, reason: str) -> None:
        """Log ``text[start:end]`` as removed for ``reason`` (an empty span is not logged)."""
        if end > start:
            self.removals.append(Removal(start, end, self.text[start:end], reason))

    def remove_block(self, block: Block, reason: str) -> None:
        """Log a whole block as removed, from its bullet or number marker if it has one."""
        start = block.start
        if block.marker_text:
            start = min(start, self.marker_start(block))
        self.remove(start, block.end, reason)

    def remove_blocks(self, blocks: list[Block], drop: set[int], reason: str) -> list[Block]:
        """Log the blocks at positions ``drop`` as removed; return the others, in order."""
        kept = []
        for k, b in enumerate(blocks):
            if k in drop:
                self.remove_block(b, reason)
            else:
                kept.append(b)
        return kept

    def marker_start(self, block: Block) -> int:
        """Offset of the first non-space character of the block's first line (its marker)."""
        line_start = self.text.rfind("\n", 0, block.start) + 1
        seg = self.text[line_start : block.start]
        return line_start + len(seg) - len(seg.lstrip(_STRIP))

    def indent(self, block: Block) -> int:
        """Whitespace before an unmarked block's first line (0 for a marked block)."""
        line_start = self.text.rfind("\n", 0, block.start) + 1
        seg = self.text[line_start : block.start]
        return len(seg) - len(seg.lstrip(_STRIP)) if not block.marker else 0

    def joined(self, block: Block) -> str:
        """The block's lines joined with single spaces, outer whitespace stripped."""
        return " ".join(self.text[s.start : s.end] for s in block.lines).strip(_STRIP)


class _Step:
    """A part of cleaning that works on one :class:`_Document` and logs to its removals."""

    def __init__(self, doc: _Document) -> None:
        """Work on ``doc`` (its text is also ``self.text``)."""
        self.doc = doc
        self.text = doc.text


# --------------------------------------------------------------------------- step 1: lines
class _BlockReader(_Step):
    """Step 1: group the document's lines into blocks, leaving out line-level furniture.

    Bare URLs, link-only lines, running headers and footers, page numbers and table
    rules are logged and left out. Blocks of hard-wrapped lines are then split at
    paragraph ends and lone headings (:meth:`split_wrapped`).
    """

    #: Line furniture that also ends the block it interrupts (a running header does not).
    _BREAKS_BLOCK = frozenset({"bare URL", "link"})

    def read(self) -> list[Block]:
        """The document's blocks, hard-wrapped paragraphs split."""
        return self.split_wrapped(self.blocks())

    def _running_lines(self) -> set[str]:
        """Short lines repeated on three or more pages: running headers and footers."""
        counts = Counter(ln.text for ln in self.doc.lines if not ln.blank)
        paged = self.text.count("\f") >= 2
        return {
            t
            for t, c in counts.items()
            if c >= 3
            and (paged or len(t.split()) >= 4)  # short repeats may be chapter headings
            and len(t.split()) <= 12
            and not t.endswith(":")
            and not _BULLET.match(t)
            and t[:1] not in _OPEN_QUOTES
        }

    def _page_number_lines(self) -> set[int]:
        """Indexes of lone page numbers: three or more numeric lines counting upwards."""
        rx = re.compile(r"^(?:page )?(\d{1,3})(?: of \d{1,3})?$|^(\d{1,3}) ?/ ?\d{1,3}$", re.I)
        found = []
        for i, ln in enumerate(self.doc.lines):
            m = rx.match(ln.text)
            if m:
                found.append((i, int(m.group(1) or m.group(2))))
        if len(found) < 3:
            return set()
        values = [v for _, v in found]
        rising = sum(b > a for a, b in zip(values, values[1:], strict=False))
        return {i for i, _ in found} if rising >= 0.8 * (len(values) - 1) else set()

    @staticmethod
    def _line_furniture(
        idx: int, text: str, running: set[str], page_numbers: set[int]
    ) -> str | None:
        """Why a line is left out before blocks are formed, or None to keep it."""
        if _is_url_line(text):
            return "bare URL"
        if text in running or idx in page_numbers:
            return "page number" if idx in page_numbers else "running header"
        if _is_link_line(text):
            return "link"
        return None

    def blocks(self) -> list[Block]:
        """Group non-blank lines into blocks by blank lines, markers and indentation.

        Markdown headings, bullets, numbered items, block quotes and table rows open
        blocks of their own; other lines continue the current paragraph unless a blank
        line, or an indented line after a finished sentence, comes between.
        """
        blocks: list[Block] = []
        cur: Block | None = None
        prev_text = ""  # text of the previous non-blank kept line
        prev_blank = True
        prev_indent = 0
        running = self._running_lines()
        page_numbers = self._page_number_lines()
        for idx, ln in enumerate(self.doc.lines):
            if ln.blank:
                cur, prev_blank = None, True
                continue
            t = ln.text
            reason = self._line_furniture(idx, t, running, page_numbers)
            if reason is not None:
                self.doc.remove(ln.start, ln.end, reason)
                if reason in self._BREAKS_BLOCK:
                    cur, prev_blank = None, True
                continue
            can_open = prev_blank or cur is None or _ends_sentence(prev_text) or cur.marker
            m_head = _MD_HEADING.match(t)
            m_bul = _BULLET.match(t) if not t.startswith("**") else None
            m_num = _NUMBERED.match(t)
            m_quote = _BLOCKQUOTE.match(t)
            if m_head:
                cur = Block(
                    [Span(ln.start, ln.end)], "heading", "markdown", level=len(m_head.group(1))
                )
                blocks.append(cur)
                cur = None
            elif (m_bul or m_num) and (can_open or (m_bul and t[0] not in "-–—*+")):
                m = m_bul or m_num
                assert m is not None
                kind = "bullet" if m_bul else "numbered"
                cur = Block([Span(ln.start + m.end(), ln.end)], "bullet", kind, m.group(0).strip())
                blocks.append(cur)
            elif m_quote:
                span = Span(ln.start + m_quote.end(), ln.end)
                if cur is not None and cur.marker == "blockquote" and not prev_blank:
                    cur.lines.append(span)
                else:
                    cur = Block([span], "quote", "blockquote")
                    blocks.append(cur)
            elif _TABLE_RULE.match(t):
                self.doc.remove(ln.start, ln.end, "table rule")
                continue
            elif "\t" in t.strip() or (t.startswith("|") and t.count("|") >= 2):
                cur = Block([Span(ln.start, ln.end)], "paragraph", "table")
                blocks.append(cur)
                cur = None
            elif (
                cur is not None
                and not prev_blank
                and not (ln.indent > prev_indent and _ends_sentence(prev_text))
            ):
                # A line indented more than the one before, after a finished sentence,
                # starts a new paragraph (PDF text often marks page starts this way).
                cur.lines.append(Span(ln.start, ln.end))
            else:
                cur = Block([Span(ln.start, ln.end)], "paragraph")
                blocks.append(cur)
            prev_text, prev_blank, prev_indent = t, False, ln.indent
        return blocks

    def split_wrapped(self, blocks: list[Block]) -> list[Block]:
        """Split blocks of hard-wrapped lines at paragraph ends and at lone headings.

        PDF text often has no blank line between paragraphs. A line that ends a
        sentence well short of the block's line width, followed by a capitalised
        line, ends a paragraph; a short unpunctuated first line followed by a full
        line is a heading.
        """
        lengths = sorted(ln.end - ln.start for ln in self.doc.lines if not ln.blank)
        doc_width = lengths[int(0.8 * (len(lengths) - 1))] if lengths else 0
        out: list[Block] = []
        for b in blocks:
            if not b.marker and self._line_structured(b):
                out.extend(Block([s], b.role) for s in b.lines)
                continue
            if b.marker in ("markdown", "table", "blockquote") or len(b.lines) < 2:
                out.append(b)
                continue
            if len(b.lines) >= 3:
                lens = sorted(s.end - s.start for s in b.lines)
                width = lens[int(0.8 * (len(lens) - 1))]
            else:
                width = doc_width
            if width < 50:
                out.append(b)
                continue
            cur: list[Span] = []
            first = True
            for i, s in enumerate(b.lines):
                cur.append(s)
                if i + 1 == len(b.lines):
                    break
                line = self.text[s.start : s.end]
                nxt = self.text[b.lines[i + 1].start : b.lines[i + 1].end]
                if self._ends_element(line, nxt, width):
                    out.append(self._segment_of(b, cur, first))
                    cur, first = [], False
            if cur:
                out.append(self._segment_of(b, cur, first))
        return out

    @staticmethod
    def _ends_element(line: str, nxt: str, width: int) -> bool:
        """Whether a wrapped ``line`` ends its paragraph or heading before ``nxt``.

        It does when it ends a sentence well short of the ``width`` and ``nxt``
        starts anew; when it is a short unpunctuated heading-like line before a new
        start; or when a footnote (``12 Text``) follows a finished sentence.
        """
        starts_new = nxt[:1].isupper() or nxt[:1] in _OPEN_QUOTES or nxt[:1].isdigit()
        short = len(line) < 0.7 * width
        para_end = short and _ends_sentence(line) and starts_new
        words = line.split()
        lone_heading = (
            short
            and not _ends_sentence(line)
            and not line.endswith((",", "-", "–", "—", "&"))
            and words[-1].lower() not in _JOINERS
            and len(words) <= 12
            and (line[:1].isupper() or line[:1].isdigit())
            and starts_new
        )
        footnote_next = _ends_sentence(line) and bool(re.match(r"\d{1,2}\s+[A-Z]", nxt))
        return bool(para_end or lone_heading or footnote_next)

    @staticmethod
    def _segment_of(b: Block, lines: list[Span], first: bool) -> Block:
        """A piece of a split block: the first keeps the block's role and marker."""
        if first:
            return Block(lines, b.role, b.marker, b.marker_text, b.level)
        return Block(lines, "paragraph")

    def _line_structured(self, b: Block) -> bool:
        """Separate short lines (a title, a byline, a date), not wrapped prose.

        Every line is short, none but the last ends a sentence or ends mid-phrase
        (comma, dash, joining word), and every next line starts a new element.
        """
        if len(b.lines) < 2:
            return False
        lines = [self.text[s.start : s.end] for s in b.lines]
        if all(len(t.split()) <= 3 for t in lines):
            return False  # a masthead or logo stack: judged as a whole later
        for k, t in enumerate(lines):
            words = t.split()
            if len(words) > 14 or len(t) > 100:
                return False
            if k + 1 < len(lines):
                nxt = _strip_markup(lines[k + 1])
                if _ends_sentence(t) or t.endswith((",", "-", "–", "—", "&")):
                    return False
                if words[-1].lower().strip("*_") in _JOINERS:
                    return False
                if not (nxt[:1].isupper() or nxt[:1].isdigit() or nxt[:1] in _OPEN_QUOTES):
                    return False
        return True


# --------------------------------------------------------------------------- steps 2-5: furniture
class _FurnitureFilter(_Step):
    """Remove furniture blocks, each logged with its reason.

    Menus, boilerplate blocks and lines (the lexicon), mastheads, footnotes, bylines,
    tables of contents, quote attributions, lead-ins to removed links, and repeated
    paragraphs and pull-quotes.
    """

    def nav_lists(self, blocks: list[Block]) -> list[Block]:
        """Remove menus: lists of furniture, or short items outside the prose.

        A menu is a run of three or more bullets, each of at most five words, before
        the first or after the last prose block, or a list mostly of furniture lines.
        """
        prose = [i for i, b in enumerate(blocks) if self._prose(b)]
        first, last = (prose[0], prose[-1]) if prose else (-1, len(blocks))
        drop: set[int] = set()
        i = 0
        while i < len(blocks):
            if blocks[i].marker not in ("bullet", "numbered"):
                i += 1
                continue
            j = i
            while j < len(blocks) and blocks[j].marker in ("bullet", "numbered"):
                j += 1
            run = range(i, j)
            texts = [_strip_markup(self.doc.joined(blocks[k])) for k in run]
            menu = all(len(t.split()) <= 5 and not _ends_sentence(t) for t in texts)
            outside = j - 1 < first or i > last
            lexical = sum(bool(_lexicon_reason(t)) for t in texts) >= max(2, len(texts) / 2)
            if len(texts) >= 3 and ((menu and outside) or lexical):
                drop.update(run)
            i = j
        return self.doc.remove_blocks(blocks, drop, "navigation")

    def _prose(self, b: Block) -> bool:
        """A block of running prose: at least 100 characters with a full stop."""
        t = self.doc.joined(b)
        return len(t) >= 100 and bool(re.search(r"[.!?][\"”’)]?(?:\s|$)", t))

    def contents_lists(self, blocks: list[Block]) -> list[Block]:
        """Remove a table of contents: list items that repeat later headings."""
        heads: dict[str, int] = {}
        for i, b in enumerate(blocks):
            if b.role == "heading":
                key = normalise_for_match(
                    re.sub(r"^\d+[.)]?\s*", "", _strip_markup(self.doc.joined(b)))
                )
                heads[key] = i  # the last occurrence: the heading in the body
        hits = []
        for i, b in enumerate(blocks):
            raw = _strip_markup(self.doc.joined(b))
            paged = re.search(r"(?:\s*\.{3,}\s*|\s+)\d{1,3}$", raw)
            if (b.role in ("bullet", "paragraph") or paged) and len(raw.split()) <= 14:
                t = re.sub(r"(?:\s*\.{3,}\s*|\s+)\d{1,3}$", "", raw)
                key = normalise_for_match(re.sub(r"^\d+[.)]?\s*", "", t))
                if key and heads.get(key, -1) > i:
                    hits.append(i)
        if len(hits) < 3:
            return blocks
        return self.doc.remove_blocks(blocks, set(hits), "table of contents")

    def furniture_blocks(self, blocks: list[Block]) -> list[Block]:
        """Remove boilerplate blocks and lines, mastheads, footnotes and handle bylines.

        A block (or each of its lines) matching the lexicon goes with the lexicon's
        reason; a block of several lines loses its furniture lines; a stack of very short
        lines before the first prose is a logo; a short block opening with a number that
        the text cites (``...care.12``) is a footnote, and its number is remembered.
        """
        text = self.text
        kept: list[Block] = []
        first_prose = next(
            (i for i, b in enumerate(blocks) if len(self.doc.joined(b)) >= 100), len(blocks)
        )
        footnote_refs = set(
            re.findall(r"(?:[a-z)]|[a-z][.,”\"’])(\d{1,2})(?=[\s,.;:]|$)", text, re.M)
        )
        for i, b in enumerate(blocks):
            joined = self.doc.joined(b)
            if b.marker == "numbered" and b.marker_text:
                joined_full = f"{b.marker_text} {joined}"
            else:
                joined_full = joined
            reason = _lexicon_reason(joined) or _lexicon_reason(joined_full)
            if reason:
                self.doc.remove_block(b, reason)
                continue
            line_reasons = [_lexicon_reason(text[s.start : s.end]) for s in b.lines]
            if len(b.lines) > 1 and all(line_reasons):
                for s, r in zip(b.lines, line_reasons, strict=True):
                    assert r is not None
                    self.doc.remove(s.start, s.end, r)
                continue
            if len(b.lines) > 1:
                keep = self._drop_furniture_lines(b)
                if not keep:
                    continue
                b.lines = keep
                joined = self.doc.joined(b)
            if i < first_prose and self._is_masthead(b):
                self.doc.remove_block(b, "logo")
                continue
            m = _FOOTNOTE.match(joined)
            if (
                m
                and b.marker == ""
                and len(b.lines) <= 2
                and len(joined) < 200
                and m.group(1) in footnote_refs
            ):
                self.doc.remove_block(b, "footnote")
                self.doc.footnotes.add(m.group(1))
                continue
            if self._is_byline(joined):
                self.doc.remove_block(b, "byline")
                continue
            kept.append(b)
        return kept

    def _drop_furniture_lines(self, b: Block) -> list[Span]:
        """Remove furniture lines (alone or as a pair) from a block of short lines."""
        keep: list[Span] = []
        lines, i = b.lines, 0
        while i < len(lines):
            s = lines[i]
            if i + 1 < len(lines):
                pair = self.text[s.start : lines[i + 1].end].replace("\n", " ")
                reason = _lexicon_reason(pair)
                if reason:
                    self.doc.remove(s.start, lines[i + 1].end, reason)
                    i += 2
                    continue
            line = self.text[s.start : s.end]
            reason = _lexicon_reason(line) if len(line.split()) <= 12 else None
            if reason:
                self.doc.remove(s.start, s.end, reason)
            else:
                keep.append(s)
            i += 1
        return keep

    def _is_masthead(self, b: Block) -> bool:
        """Two or more unmarked lines of at most three words, none a sentence (a logo)."""
        if len(b.lines) < 2 or b.marker:
            return False
        for s in b.lines:
            t = _strip_markup(self.text[s.start : s.end])
            if len(t.split()) > 3 or len(t) > 25 or _ends_sentence(t):
                return False
        return True

    @staticmethod
    def _is_byline(joined: str) -> bool:
        """A short unquoted block with a social handle (``@name``) and at most one sentence."""
        t = _strip_markup(joined)
        if not _HANDLE.search(t) or len(t) > 220 or t[:1] in _OPEN_QUOTES:
            return False
        return len(re.findall(r"[.!?](?:\s|$)", t)) <= 1

    def credits(self, blocks: list[Block]) -> list[Block]:
        """Remove quote attributions and name-and-affiliation bylines (logged).

        An attribution is a short unpunctuated line with a comma or a leading dash
        straight after a quote ("Senior Leadership, Acute Trust"); a byline starts
        with an honorific ("Prof Jane Doe, John Roe,") and may run on over the next
        short affiliation lines.
        """
        kept: list[Block] = []
        prev_role, in_byline = "", False
        for b in blocks:
            t = _strip_markup(self.doc.joined(b))
            quoted = t.rstrip(_STRIP).endswith(tuple(_CLOSE_QUOTES))
            words = t.split()
            short = 0 < len(words) <= 10 and not _ends_sentence(t.rstrip(","))
            if b.role == "paragraph" and not b.marker and short:
                if _HONORIFIC.match(t) or (in_byline and ("," in t or t.istitle())):
                    self.doc.remove_block(b, "byline")
                    in_byline, prev_role = True, "byline"
                    continue
                if prev_role == "quote" and ("," in t or t[:1] in "-–—"):
                    self.doc.remove_block(b, "attribution")
                    prev_role = "attribution"
                    continue
            in_byline = False
            prev_role = "quote" if quoted else b.role
            kept.append(b)
        return kept

    def leadins_to_links(self, blocks: list[Block]) -> list[Block]:
        """Remove a short lead-in ("The report is here:") whose link was removed."""
        kept: list[Block] = []
        starts = {r.start: r.reason for r in self.doc.removals}
        for i, b in enumerate(blocks):
            t = self.doc.joined(b)
            if b.role == "paragraph" and t.endswith(":") and len(t.split()) <= 12:
                nxt = blocks[i + 1].start if i + 1 < len(blocks) else len(self.text)
                gap = self.text[b.end : nxt]
                pos = b.end + len(gap) - len(gap.lstrip())
                if starts.get(pos) in ("link", "bare URL"):
                    self.doc.remove_block(b, "link")
                    continue
            kept.append(b)
        return kept

    def repeats(self, blocks: list[Block]) -> list[Block]:
        """Remove repeated paragraphs and pull-quotes (text repeated inside a longer block).

        Linear in the document size: each candidate is counted in one string holding
        every non-heading block, so long documents stay fast.
        """
        norm = [normalise_for_match(_strip_markup(self.doc.joined(b))) for b in blocks]
        body = [n for n, b in zip(norm, blocks, strict=True) if b.role != "heading"]
        exact = Counter(body)
        big = "\n".join(body)
        seen: set[str] = set()
        kept: list[Block] = []
        for b, key in zip(blocks, norm, strict=True):
            if len(key.split()) >= 6 and b.role in ("heading", "paragraph", "quote"):
                if b.role != "heading" and key in seen:
                    self.doc.remove_block(b, "repeated text")
                    continue
                own = exact[key] if b.role != "heading" else 0
                if big.count(key) > own:  # also inside a longer block
                    self.doc.remove_block(b, "repeated pull-quote")
                    continue
                seen.add(key)
            kept.append(b)
        return kept


class _RunFilter(_Step):
    """Remove runs of furniture: reader comments, and everything after a tail marker."""

    def reader_comments(self, blocks: list[Block]) -> list[Block]:
        """Remove reader comments above a comment form (logged as ``reader comment``).

        Comments are not the authors' text. Only when a comment form follows them:
        the blocks from a "Comments"/"N responses" heading, or else the list items and
        indented paragraphs just above the form.
        """
        forms = [
            i
            for i, b in enumerate(blocks)
            if len(b.lines) <= 2 and _tail_reason(self.doc.joined(b)) == "comment form"
        ]
        if not forms:
            return blocks
        f = forms[0]
        start = next(
            (
                i
                for i in range(f - 1, -1, -1)
                if len(blocks[i].lines) <= 2
                and _COMMENTS.match(_strip_markup(self.doc.joined(blocks[i])).strip(_STRIP + ":"))
            ),
            None,
        )
        if start is None:
            start = f
            while start > 0 and (
                blocks[start - 1].marker in ("bullet", "numbered")
                or self.doc.indent(blocks[start - 1]) >= 2
            ):
                start -= 1
        for b in blocks[start:f]:
            self.doc.remove_block(b, "reader comment")
        return blocks[:start] + blocks[f:]

    def tail_runs(self, blocks: list[Block]) -> list[Block]:
        """Remove each run from a tail marker or publisher back matter (logged).

        A run opened by a marker ("Related articles", "Leave a comment") lasts until a
        long prose block; publisher back matter ("About the ...", in the last 40% of
        the document) lasts to the end.
        """
        n = len(self.text) or 1
        kept: list[Block] = []
        run: str | None = None
        for b in blocks:
            joined = self.doc.joined(b)
            if run is not None:
                if run != "publisher boilerplate" and _is_long_prose(joined):
                    run = None
                else:
                    self.doc.remove_block(b, run)
                    continue
            marker = _tail_reason(joined) if len(b.lines) <= 2 and b.marker != "bullet" else None
            if marker is None and b.start / n >= _BACK_MATTER_FROM and not b.marker:
                t = _strip_markup(joined)
                if _ABOUT.match(t) and len(t.split()) <= 7 and not _ends_sentence(t):
                    marker = "publisher boilerplate"
            if marker is not None:
                run = marker
                self.doc.remove_block(b, marker)
                continue
            kept.append(b)
        return kept


# --------------------------------------------------------------------------- step 4: roles
class _RoleTagger(_Step):
    """Tell headings, paragraphs, bullets and quotes apart (sets each block's ``role``)."""

    def assign(self, blocks: list[Block]) -> None:
        """Set every block's role (and heading level) from its marker, shape and neighbours.

        A numbered line on its own that reads like a heading is a section heading. A
        line ending in ``:`` is a repeated label (a level-3 heading) when it is short and
        recurs, else a lead-in, after which short unmarked items are bullets. All-caps
        lines are titles, other heading-like lines section headings, quoted blocks
        quotes, and the rest paragraphs.
        """
        counts = Counter(normalise_for_match(_strip_markup(self.doc.joined(b))) for b in blocks)
        list_mode = False
        for i, b in enumerate(blocks):
            t = _strip_markup(self.doc.joined(b))
            if b.marker == "markdown":
                list_mode = False
                continue
            isolated = b.marker == "numbered" and not self._numbered_neighbour(blocks, i)
            if b.marker == "numbered" and isolated and self._heading_like(t, numbered=True):
                b.role, b.level = "heading", 2
                b.lines[0] = Span(self.doc.marker_start(b), b.lines[0].end)
                list_mode = False
                continue
            if b.marker in ("bullet", "numbered"):
                b.role = "bullet"
                continue
            if b.marker == "blockquote":
                continue
            if b.marker == "table":
                b.role = "paragraph"
                continue
            key = normalise_for_match(t)
            if t.endswith(":") and counts[key] > 1 and len(t.split()) <= 6:
                b.role, b.level = "heading", 3
                list_mode = False
                continue
            if t.endswith(":"):
                b.role = "paragraph"
                list_mode = True
                continue
            if list_mode and self._list_item_like(t) and self._list_continues(blocks, i):
                b.role = "bullet"
                continue
            list_mode = False
            if self._all_caps(t) and len(t.split()) <= 20:
                b.role, b.level = "heading", 1
            elif self._heading_like(t):
                b.role, b.level = "heading", 2
            elif t[:1] in _OPEN_QUOTES and t.rstrip(".,;").endswith(tuple(_CLOSE_QUOTES)):
                b.role = "quote"
            else:
                b.role = "paragraph"

    def _numbered_neighbour(self, blocks: list[Block], i: int) -> bool:
        """True when a numbered block sits in a list (an adjacent numbered line, no gap)."""
        for j in (i - 1, i + 1):
            if 0 <= j < len(blocks) and blocks[j].marker == "numbered":
                a, z = sorted((blocks[i], blocks[j]), key=lambda x: x.start)
                gap = self.text[a.end : self.doc.marker_start(z)]
                if gap.count("\n") <= 1:
                    return True
        return False

    def _list_continues(self, blocks: list[Block], i: int) -> bool:
        """An unmarked list item is followed by another item, a lead-in or a heading."""
        if i + 1 >= len(blocks):
            return True
        nxt = blocks[i + 1]
        t = _strip_markup(self.doc.joined(nxt))
        return bool(nxt.marker) or self._list_item_like(t) or t.endswith(":")

    @staticmethod
    def _all_caps(t: str) -> bool:
        """At least four letters, all upper case."""
        letters = [c for c in t if c.isalpha()]
        return len(letters) >= 4 and all(c.isupper() for c in letters)

    @staticmethod
    def _heading_like(t: str, numbered: bool = False) -> bool:
        """Short, not opening in lower case or with a quote, no comma, no finished sentence.

        A single question counts as a heading; a trailing ellipsis does not.
        """
        words = t.split()
        if not words or len(words) > 14 or len(t) > 110:
            return False
        if t[:1] in _OPEN_QUOTES or t[:1].islower():
            return False
        if "," in t or t.endswith(("...", "…")):
            return False
        if t.endswith("?"):
            return len(re.findall(r"[.!?](?:\s|$)", t)) == 1
        return not _ends_sentence(t)

    @staticmethod
    def _list_item_like(t: str) -> bool:
        """Short enough for a list item (at most 14 words, 120 characters), not a quote."""
        return 0 < len(t.split()) <= 14 and len(t) <= 120 and t[:1] not in _OPEN_QUOTES


# --------------------------------------------------------------------------- step 5: repairs
class _Repairs(_Step):
    """Mend PDF artefacts: paragraphs broken by a page break, and broken characters."""

    def merge_breaks(self, blocks: list[Block]) -> list[Block]:
        """Merge each block into the one before when it continues it (:meth:`_continues`)."""
        out: list[Block] = []
        for b in blocks:
            if out and self._continues(out[-1], b):
                out[-1].lines.extend(b.lines)
                continue
            out.append(b)
        return out

    def _continues(self, prev: Block, nxt: Block) -> bool:
        """Whether ``nxt`` carries on ``prev``'s unfinished sentence across a page break.

        ``prev`` does not end a sentence, and ``nxt`` is an unmarked paragraph that
        starts in lower case (or completes a hyphenated word).
        """
        if prev.role not in ("paragraph", "bullet", "quote") or nxt.role != "paragraph":
            return False
        if nxt.marker or prev.marker == "table":
            return False
        a = self.doc.joined(prev)
        z = self.doc.joined(nxt)
        if not a or not z or _ends_sentence(a):
            return False
        return z[0].islower() or (a.endswith("-") and z[0].isalpha())

    def broken_chars(self, blocks: list[Block]) -> None:
        """Log replacement characters and markers of removed footnotes inside kept text."""
        marker = (
            re.compile(
                r"(?:(?<=[a-z)])|(?<=[a-z][.,”\"’]))(?:"
                + "|".join(sorted(self.doc.footnotes, key=len, reverse=True))
                + r")(?=[\s,.;:]|$)"
            )
            if self.doc.footnotes
            else None
        )
        for b in blocks:
            for s in b.lines:
                line = self.text[s.start : s.end]
                for m in re.finditer("\ufffd+", line):
                    self.doc.remove(s.start + m.start(), s.start + m.end(), "broken character")
                for m in marker.finditer(line) if marker else ():
                    self.doc.remove(s.start + m.start(), s.start + m.end(), "footnote marker")


def clean_document(text: str, *, reader_comments: bool = False) -> CleanResult:
    r"""Split a document into kept blocks and a log of removed furniture.

    Args:
        text: the decoded document text (line endings ``\n``). Offsets in the result
            are offsets into exactly this string.
        reader_comments: keep reader comments under a blog post as units. By default
            they are removed (they are not the authors' text) and logged with reason
            ``reader comment``, so they can be recovered from the removal log.

    Returns:
        A :class:`CleanResult` with the kept blocks (headings, paragraphs, bullets,
        quotes) and every removed span with its reason.
    """
    doc = _Document(text)
    furniture, runs, repairs = _FurnitureFilter(doc), _RunFilter(doc), _Repairs(doc)
    blocks = _BlockReader(doc).read()
    blocks = furniture.nav_lists(blocks)
    if not reader_comments:
        blocks = runs.reader_comments(blocks)
    blocks = furniture.furniture_blocks(blocks)
    blocks = runs.tail_runs(blocks)
    _RoleTagger(doc).assign(blocks)
    blocks = furniture.contents_lists(blocks)
    blocks = furniture.credits(blocks)
    blocks = furniture.leadins_to_links(blocks)
    blocks = repairs.merge_breaks(blocks)
    blocks = furniture.repeats(blocks)
    repairs.broken_chars(blocks)
    removals = sorted(doc.removals, key=lambda r: (r.start, r.end))
    return CleanResult(text=text, blocks=blocks, removals=removals)

"""Remove personal identifiers from free text before it reaches ``reports/``, offline.

A rule-based recogniser (regular expressions, check digits and shipped name lists;
no network, no language model) finds:

==============  =============  ===================================================
placeholder     kind           what
==============  =============  ===================================================
[NHS NUMBER]    ``nhs_number``  10 digits (``9434765919``, ``943 476 5919``) that
                               pass the NHS modulus-11 check; others are kept
[PHONE]         ``phone``       UK landlines and mobiles: ``01632 960123``,
                               ``(0131) 496 0337``, ``+44 (0)20 7946 0958``
[EMAIL]         ``email``       ``name@example.nhs.uk``
[POSTCODE]      ``postcode``    full UK postcodes with a real postcode area
[URL]           ``url``         ``https://...``, ``www...``, ``example.nhs.uk/x``
[NAME]          ``name``        a title (Dr, Nurse, Sister, Mr, Mrs, Prof...) and
                               the name after it; a given name and a surname; a
                               given name alone (``lone_given_names``)
[WARD/BED]      ``ward_bed``    ``Ward 7``, ``ward B2``, ``Bay 3 Bed 4``,
                               ``bed 12``, ``Side room 2``, ``Rowan Ward``
==============  =============  ===================================================

Titles are kept (``Dr [NAME]``), so the role stays readable. Every replacement is
logged (original span, replacement, reason, source) for the evaluator's audit; the
log goes to :attr:`RedactionConfig.log_dir`, outside ``reports/``.

:func:`scan_dir` is the final guard: it reads every file written under a report
folder (CSV, XLSX, JSON, executed notebooks, HTML text, Markdown, SVG text) and
:func:`check_dir` raises :class:`IdentifierLeak` if a detectable identifier is left.
"""

from __future__ import annotations

import functools
import html.parser
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from covidlearning.config import RedactionConfig

PLACEHOLDERS: dict[str, str] = {
    "nhs_number": "[NHS NUMBER]",
    "phone": "[PHONE]",
    "email": "[EMAIL]",
    "postcode": "[POSTCODE]",
    "url": "[URL]",
    "name": "[NAME]",
    "ward_bed": "[WARD/BED]",
}
#: Public figures and organisations named after people, common in COVID-19 comments
#: ("Marie Curie nurses", "Captain Tom"): not respondents' personal data, kept as written.
PUBLIC_NAMES = frozenset(
    s.lower()
    for s in (
        "Marie Curie", "Marie Currie", "Mary Seacole", "Florence Nightingale", "Captain Tom",
        "Tom Moore", "Captain Tom Moore", "Boris Johnson", "Matt Hancock", "Chris Whitty",
        "Jonathan Van-Tam", "Patrick Vallance", "Simon Stevens", "Amanda Pritchard",
        "Rishi Sunak", "Nicola Sturgeon", "Mark Drakeford", "Keir Starmer", "Sajid Javid",
        "Dido Harding", "Kate Bingham", "Queen Elizabeth", "Prince Charles", "King Charles",
        "Aneurin Bevan", "Nye Bevan",
    )
)  # fmt: skip
_PUBLIC_RE = re.compile(
    r"(?i)(?<![\w-])(?:"
    + "|".join(re.escape(n) for n in sorted(PUBLIC_NAMES, key=len, reverse=True))
    + r")(?![\w-])"
)
#: Matches any placeholder, e.g. to drop them from text before topic modelling.
PLACEHOLDER_RE = re.compile(
    r"\[(?:" + "|".join(re.escape(p[1:-1]) for p in PLACEHOLDERS.values()) + r")\]"
)
PLACEHOLDER_WORDS = frozenset({"Nhs", "Number", "Phone", "Email", "Postcode", "Url", "Name"})
#: Which rule wins when two matches overlap (lower number wins, then the longer span).
_PRIORITY = {"email": 0, "url": 1, "nhs_number": 2, "phone": 3, "postcode": 4, "ward_bed": 5}
_PRIORITY["name"] = 6


# --------------------------------------------------------------------------- check digits
def nhs_check_digit(first_nine: str) -> int | None:
    """Return the NHS-number check digit for nine digits, or None if none is valid.

    Modulus 11: weights 10..2, ``11 - (sum % 11)``; 11 becomes 0, 10 means the
    nine digits can never start a valid NHS number.
    """
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def is_valid_nhs_number(value: str) -> bool:
    """True if ``value`` (spaces and hyphens ignored) is 10 digits with a valid check digit."""
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"\d{10}", digits) or len(set(digits)) == 1:
        return False
    return nhs_check_digit(digits[:9]) == int(digits[9])


# --------------------------------------------------------------------------- patterns
_NOT_NUM_BEFORE = r"(?<![\w.,/:+-])(?<!\d[.,])"
_NOT_NUM_AFTER = r"(?![\w/@]|[.,:-]\d)"
_NHS_RE = re.compile(_NOT_NUM_BEFORE + r"(\d{3}[ -]?\d{3}[ -]?\d{4})" + _NOT_NUM_AFTER)
_PHONE_RE = re.compile(
    r"(?<![\w.,/:+-])(?<!\d[.,])"
    r"((?:\+|00)\s?44\s?(?:\(0\)\s?)?\(?\d[\d\s\-()]{7,13}\d"
    r"|\(0\d{2,5}\)\s?\d[\d\s-]{4,9}\d"
    r"|0\d[\d\s-]{7,13}\d)" + _NOT_NUM_AFTER
)
#: Bare 10-digit numbers read as phones (others may be ordinary reference numbers).
_BARE_10 = ("01", "02", "0800", "0500")
_EMAIL_RE = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+'-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![\w-])"
)
_TLDS = (
    "uk|com|org|net|gov|nhs|edu|ac|io|info|co|scot|wales|ie|eu|me|ly|tv|app|online|site|"
    "biz|us|de|fr|nl|au|ca|in|health"
)
_URL_RE = re.compile(
    r"(?i)(?<![\w@.-])(?:(?:https?|ftp)://|www\.)[^\s<>\"'\]\[(){}]+"
    r"|(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:" + _TLDS + r")\b"
    r"(?:/[^\s<>\"'\]\[(){}]*)?(?![\w@-])"
)
_POSTCODE_AREAS = (
    "AB AL B BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL "
    "DN DT DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY "
    "L LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA "
    "SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV "
    "YO ZE"
).split()
_AREA = "|".join(sorted(_POSTCODE_AREAS, key=len, reverse=True))
_POSTCODE_RE = re.compile(
    r"(?<![\w-])((?:" + _AREA + r")\d[A-Z\d]?) ?(\d[A-Z]{2})(?![\w-])"
    r"|(?<![\w-])((?:" + _AREA.lower() + r")\d[a-z\d]?) (\d[a-z]{2})(?![\w-])"
)
_WARD_ID = r"(?:\d{1,3}[A-Za-z]?|[A-Z]{1,2}\d{0,2}[A-Z]?)"
_WARD_RE = re.compile(
    r"(?<![\w-])(?:(?i:ward|bay|bed|room|cubicle|side[ -]room|theatre|pod|bedspace|bed space)"
    r"[ \t\u00a0]{0,2}(?:no\.?|number|#)?[ \t\u00a0]{0,2}" + _WARD_ID + r"(?![\w-])"
    r"(?:[ \t,/&-]{1,3}(?i:ward|bay|bed|room|cubicle|side[ -]room|pod)[ \t\u00a0]{0,2}"
    + _WARD_ID
    + r"(?![\w-]))*)"
)
_NAMED_WARD_RE = re.compile(r"(?<![\w-])((?:[A-Z][a-z'-]+ ){1,2})(Ward|Unit|Wing)(?![\w-])")
_GENERIC_WARD_WORDS = {
    "Covid", "COVID", "General", "Maternity", "Surgical", "Medical", "Children's", "Childrens",
    "Red", "Green", "Amber", "Blue", "Hot", "Cold", "Virtual", "Intensive", "Critical", "Care",
    "Acute", "Assessment", "Admissions", "Day", "Respiratory", "Stroke", "Elderly", "Mental",
    "Health", "Isolation", "Private", "Same", "Emergency", "Short", "Stay", "Dialysis", "Renal",
    "Cardiac", "Coronary", "Neonatal", "Labour", "Birth", "Birthing", "Orthopaedic", "The",
    "Our", "My", "Every", "Each", "This", "That", "A", "An", "Other", "New", "Old", "Main",
    "High", "Dependency", "Medicine", "Surgery", "Oncology", "Haematology", "Paediatric",
    "Discharge", "Lounge", "Infectious", "Diseases", "Observation", "Rehabilitation", "Rehab",
    "Community", "Palliative", "Hospice", "Trust", "Hospital", "NHS", "Treatment", "Imaging",
    "Research", "Training", "Education", "Recovery", "Theatre", "Theatres", "Endoscopy",
    "Outpatient", "Outpatients", "Inpatient", "Ambulatory", "Urgent", "Minor", "Injuries",
    "Older", "People's", "Adult", "Adults", "Women's", "Young", "Learning", "Disability",
    "Liaison", "Crisis", "Home", "Team", "Teams", "Great", "Good", "Best", "Whole", "Entire",
}  # fmt: skip

_STRONG_TITLES = r"Dr|Doctor|Prof|Professor|Mr|Mrs|Ms|Miss|Mx|Mister|Missus|Rev|Revd|Fr|Sr"
_WEAK_TITLES = (
    r"Nurse|Sister|Matron|Staff Nurse|Charge Nurse|Student Nurse|Midwife|Father|Sir|Dame|Lord"
    r"|Lady|Consultant|Surgeon|Physio|Physiotherapist|Porter|Paramedic|Pastor|Imam|Rabbi|Chaplain"
)
_UP, _LO = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿ"
_PART = rf"(?:Mc|Mac|O'|O’|D'|D’|De|Di|Da|Van|Von|Le|La)?[{_UP}][{_LO}'’]+"
_NAME_TOKEN = rf"{_PART}(?:-{_PART})*"
_INITIALS = r"(?:[A-Z]\.?\s?){1,3}"
_TITLE_RE = re.compile(
    r"(?<![\w-])(?:(?P<strong>(?i:"
    + _STRONG_TITLES
    + r"))\.?|(?P<weak>(?i:"
    + _WEAK_TITLES
    + r")))"
    r"\s+(?P<name>(?:" + _INITIALS + r"\s*)?" + _NAME_TOKEN + r"(?:\s+" + _NAME_TOKEN + r")?"
    r"|[a-z][a-z'’-]{2,}(?![\w-])|[A-Z]{2,}(?:-[A-Z]{2,})?(?![\w-])|" + _INITIALS + r"(?![\w-]))"
)
_CAPS_PAIR_RE = re.compile(r"(?<![\w-])([A-Z]{2,}) ([A-Z]{2,}(?:-[A-Z]{2,})?)(?![\w-])")
_SAINT_RE = re.compile(r"(?:\bSt\.?|\bSaint) $")
_PLACE_AFTER_RE = re.compile(
    r"(?:'s|’s)?(?:\s+[A-Z][a-z]+)?\s+(?:Hospital|Hospitals|HospItal|Infirmary|Hospice|House|"
    r"Centre|Center|Building|Wing|Unit|UnIt|Trust|Foundation|Institute|Clinic|Surgery|Practice|"
    r"Medical|Health|Court|Lodge|Street|Road|Lane|Avenue|Way|Drive|Close|Park|Square|Place|"
    r"School|College|University|Award|Awards|Fund|Charity|Cancer|Nurses|Fellowship|Fellow|"
    r"Scholarship|Ward)\b"
)
#: Capitalised words that start or end place and organisation names, never a person's.
_NOT_PERSON = frozenset(
    """St Saint North South East West Northern Southern Eastern Western Central County City
    Royal Great New Old Upper Lower Greater England Scotland Wales Ireland Britain Kingdom
    Council Borough District Region Regional National International United General Valley
    Hill Hills Bridge Green Park Street Road Lane Avenue Way Square Gate Cross Mills Mill
    Healthwatch Health Care Trust Partnership Alliance Network Group Team Board Service
    Services Hospital Clinic Centre Unit Ward Foundation Institute College University""".split()
)
#: Organisation words that end a name: "Sarah Green" is a name, "Sarah Hospital" is not.
_ORG_WORDS = frozenset(
    """Council Borough District Region Regional National International United General
    Healthwatch Health Care Trust Partnership Alliance Network Group Team Teams Board
    Service Services Hospital Clinic Centre Unit Ward Foundation Institute College
    University England Scotland Wales Ireland Britain Kingdom NHS""".split()
)
_CAP_TOKEN_RE = re.compile(r"(?<![\w'’-])" + _NAME_TOKEN + r"(?![\w-])")
#: Surname particles: "Cal Ó Corra", "Anna van der Berg", "Omar bin Said".
_PARTICLE_RE = re.compile(
    r" (?:Ó|Ní|Nic|Ua|Mac|[Vv]an(?: [Dd]e[rn])?|[Vv]on|[Dd]e(?: [Ll]a)?|[Dd]a|[Dd]i|[Dd]u|"
    r"[Ll]e|[Ll]a|bin|binti|[Aa]l|[Ee]l|ter|ten) (" + _NAME_TOKEN + r")(?![\w-])"
)


@functools.lru_cache(maxsize=1)
def _lists() -> dict[str, frozenset[str]]:
    folder = resources.files("covidlearning") / "resources" / "names"
    out = {}
    for key in (
        "given_names",
        "ambiguous_given_names",
        "surnames",
        "common_words",
        "english_words",
    ):
        text = (folder / f"{key}.txt").read_text(encoding="utf-8")
        out[key] = frozenset(line.strip() for line in text.splitlines() if line.strip())
    return out


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Span:
    """One identifier found in a text."""

    start: int
    end: int
    kind: str
    reason: str

    @property
    def placeholder(self) -> str:
        """The bracketed placeholder that replaces this span."""
        return PLACEHOLDERS[self.kind]


@dataclass(frozen=True)
class Redaction:
    """One logged replacement: what was removed, by which rule, from which text."""

    source: str
    start: int
    end: int
    original: str
    replacement: str
    kind: str
    reason: str


@dataclass(frozen=True)
class Finding:
    """An identifier that the final guard found in a written file."""

    path: str
    location: str
    kind: str
    text: str
    reason: str

    @property
    def masked(self) -> str:
        """The identifier with its middle hidden, safe to print in an error message."""
        t = self.text
        return t[:2] + "*" * max(1, len(t) - 4) + t[-2:] if len(t) > 4 else "*" * len(t)


class IdentifierLeak(RuntimeError):
    """A report folder still holds a detectable personal identifier."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = list(findings)
        first = "; ".join(
            f"{Path(f.path).name} {f.location}: {f.kind} {f.masked}" for f in self.findings[:5]
        )
        more = f" (and {len(self.findings) - 5} more)" if len(self.findings) > 5 else ""
        super().__init__(
            f"{len(self.findings)} personal identifier(s) left in the report: {first}{more}. "
            "Outputs were not published; check redaction settings or add a safe string to "
            "redaction.allow"
        )


# --------------------------------------------------------------------------- recogniser
def _matches(pattern: re.Pattern[str], text: str, kind: str, reason: str) -> list[Span]:
    """A span for every match of ``pattern`` in ``text``."""
    return [Span(m.start(), m.end(), kind, reason) for m in pattern.finditer(text)]


class Redactor:
    """Find and replace personal identifiers; keep an audit log of every replacement.

    Args:
        config: which rules to apply; default ``RedactionConfig()`` (all on).

    Example:
        >>> r = Redactor()
        >>> r.redact("Ring Sister Jones on 07700 900123 about bed 12")
        'Ring Sister [NAME] on [PHONE] about [WARD/BED]'
    """

    def __init__(self, config: RedactionConfig | None = None) -> None:
        self.config = config or RedactionConfig()
        self.log: list[Redaction] = []
        lists = _lists()
        self._given = lists["given_names"]
        self._ambiguous = lists["ambiguous_given_names"]
        self._surnames = lists["surnames"]
        self._common = lists["common_words"]
        self._english = lists["english_words"]
        extra = list(self.config.extra_names)
        if self.config.extra_names_file is not None:
            path = Path(self.config.extra_names_file)
            if not path.is_file():
                from covidlearning.errors import InputError

                raise InputError(
                    f"redaction.extra_names_file not found: {path}",
                    "Point it at a text file of names, one a line, or remove the setting",
                )
            extra += [s.strip() for s in path.read_text(encoding="utf-8").splitlines()]
        extra = sorted({s for s in extra if s and not s.startswith("#")}, key=len, reverse=True)
        self._extra_re = (
            re.compile(r"(?i)(?<![\w-])(?:" + "|".join(map(re.escape, extra)) + r")(?![\w-])")
            if extra
            else None
        )
        self._allow = {a.lower() for a in self.config.allow}

    # ---- detection
    def find(self, text: str) -> list[Span]:
        """Return non-overlapping identifier spans in ``text``, in order."""
        if not text:
            return []
        spans: list[Span] = []
        spans += self._emails(text)
        spans += self._urls(text)
        spans += self._numbers(text)
        spans += self._postcodes(text)
        spans += self._wards(text)
        if self.config.names:
            spans += self._names(text)
        public = [(m.start(), m.end()) for m in _PUBLIC_RE.finditer(text)]
        spans = [
            s
            for s in spans
            if text[s.start : s.end].strip().lower() not in self._allow
            and not (
                s.kind == "name"
                and s.reason != "listed name"
                and any(a <= s.start and s.end <= b for a, b in public)
            )
        ]
        return _resolve(spans)

    def _emails(self, text: str) -> list[Span]:
        return _matches(_EMAIL_RE, text, "email", "email address")

    def _urls(self, text: str) -> list[Span]:
        out = []
        for m in _URL_RE.finditer(text):
            s, e = m.start(), m.end()
            while e > s and text[e - 1] in ".,;:!?'\"":
                e -= 1
            if e - s >= 4:
                out.append(Span(s, e, "url", "web address"))
        return out

    def _numbers(self, text: str) -> list[Span]:
        out = []
        nhs_starts = set()
        for m in _NHS_RE.finditer(text):
            if is_valid_nhs_number(m.group(1)):
                out.append(
                    Span(m.start(1), m.end(1), "nhs_number", "NHS number (modulus 11 valid)")
                )
                nhs_starts.add(m.start(1))
        for m in _PHONE_RE.finditer(text):
            raw = m.group(1).rstrip(" -")
            end = m.start(1) + len(raw)
            if raw.count("(") != raw.count(")") and not raw.startswith("("):
                continue
            digits = re.sub(r"\D", "", raw)
            if raw.startswith(("+", "00")):
                digits = re.sub(r"^(00)?44", "", digits)
                if digits.startswith("0"):
                    digits = digits[1:]
                ok = len(digits) in (9, 10) and digits[0] in "1235789"
            else:
                bare = not re.search(r"[\s()-]", raw)
                ok = (
                    digits[:1] == "0"
                    and digits[1:2] in "1235789"
                    and (
                        len(digits) == 11
                        or (len(digits) == 10 and (not bare or digits.startswith(_BARE_10)))
                    )
                )
            if ok and m.start(1) not in nhs_starts:
                out.append(Span(m.start(1), end, "phone", "UK telephone number"))
        return out

    def _postcodes(self, text: str) -> list[Span]:
        return _matches(_POSTCODE_RE, text, "postcode", "UK postcode")

    def _wards(self, text: str) -> list[Span]:
        out = []
        for m in _WARD_RE.finditer(text):
            if m.group(0).split()[-1] == "I":  # "in bed I slept": a pronoun, not a bed
                continue
            out.append(Span(m.start(), m.end(), "ward_bed", "ward, bay, bed or room identifier"))
        for m in _NAMED_WARD_RE.finditer(text):
            last = m.group(1).split()[-1]
            if last in _GENERIC_WARD_WORDS or self._is_common(last):
                continue
            start = m.end(1) - len(last) - 1
            out.append(Span(start, m.end(), "ward_bed", "named ward"))
        return out

    def _is_common(self, token: str) -> bool:
        return _strip_possessive(token).lower() in self._common

    def _double_barrelled(self, token: str) -> bool:
        """``Webb-Morris``: hyphenated capitals, a listed surname or no English part."""
        parts = token.split("-")
        if len(parts) < 2 or not all(p[:1].isupper() for p in parts):
            return False
        return any(p in self._surnames for p in parts) or not any(
            self._is_english(p) for p in parts
        )

    def _is_english(self, token: str) -> bool:
        return _strip_possessive(token).lower() in self._english

    def _is_surname(self, token: str) -> bool:
        """A capitalised token that can follow a given name as its surname."""
        word = _strip_possessive(token)
        return word in self._surnames or not self._is_common(word)

    def _titled(self, text: str) -> tuple[list[Span], set[int]]:
        out: list[Span] = []
        covered: set[int] = set()
        for m in _TITLE_RE.finditer(text):
            name = m.group("name")
            s = m.start("name")
            tokens = name.split()
            first = _strip_possessive(tokens[0].strip("."))
            weak = m.group("weak") is not None
            shouting = (
                first.isupper() and len(first) > 1 and not re.fullmatch(_INITIALS, name.strip())
            )
            if shouting or first.islower():
                # "DR SMITH" (shouting capitals) or "dr patel": only after a strong title,
                # and only a known name
                cap = first.title()
                if (
                    weak
                    or self._is_common(first)
                    or not (cap in self._surnames or cap in self._given)
                ):
                    continue
            elif len(first) == 1 or re.fullmatch(_INITIALS, name.strip()):
                # initials alone: "Dr K" yes, "the lady I spoke to" no
                if weak or name.strip(" .") in {"I", "A"}:
                    continue
            else:
                known = first in self._given or first in self._surnames or first in self._ambiguous
                if not known and self._is_english(first):
                    continue
                if (
                    len(tokens) > 1
                    and self._is_common(tokens[-1])
                    and tokens[-1] not in self._surnames
                ):
                    name = name[: len(name) - len(tokens[-1])].rstrip()
            name = _strip_possessive(name)
            e = s + len(name)
            who = m.group("strong") or m.group("weak")
            out.append(Span(s, e, "name", f"title + name ({who})"))
            covered.update(range(m.start(), e))
        return out, covered

    def _names(self, text: str) -> list[Span]:
        out, covered = self._titled(text)
        for m in _CAPS_PAIR_RE.finditer(text):
            # "SARAH SMITH" in a shouted answer: listed given name + listed surname
            first, last = m.group(1).title(), m.group(2).title()
            if (first in self._given or first in self._ambiguous) and (
                last in self._surnames or self._double_barrelled(last)
            ):
                out.append(Span(m.start(), m.end(), "name", "given name + surname (capitals)"))
        if self._extra_re is not None:
            for m in self._extra_re.finditer(text):
                out.append(Span(m.start(), m.end(), "name", "listed name"))
        tokens = [t for t in _CAP_TOKEN_RE.finditer(text) if t.start() not in covered]
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            word = _strip_possessive(tok.group(0))
            given, ambiguous = word in self._given, word in self._ambiguous
            if _SAINT_RE.search(text[max(0, tok.start() - 8) : tok.start()]):
                i += 1
                continue
            if not (given or ambiguous):
                # an unlisted first name before a listed surname: "Thandiwe Moyo"
                nxt = tokens[i + 1] if i + 1 < len(tokens) else None
                if (
                    nxt is not None
                    and word == tok.group(0)
                    and text[tok.end() : nxt.start()] == " "
                    and not self._is_english(word)
                    and word not in _NOT_PERSON
                    and _strip_possessive(nxt.group(0)) not in _NOT_PERSON
                    and _strip_possessive(nxt.group(0)) not in self._given
                    and _strip_possessive(nxt.group(0)) in self._surnames
                    and not self._is_common(nxt.group(0))
                    and not _PLACE_AFTER_RE.match(text, nxt.end())
                ):
                    end = nxt.start() + len(_strip_possessive(nxt.group(0)))
                    out.append(Span(tok.start(), end, "name", "name + listed surname"))
                    i += 2
                    continue
                i += 1
                continue
            # "Ring Maurice Hill": an ambiguous word before a clear given name is not
            # part of the name; start at the given name instead
            if ambiguous and i + 1 < len(tokens):
                nxt_word = _strip_possessive(tokens[i + 1].group(0))
                if nxt_word in self._given and text[tok.end() : tokens[i + 1].start()] == " ":
                    i += 1
                    continue
            # extend over following surname-like tokens separated by one space
            end, j = tok.start() + len(word), i + 1
            initial = _sentence_initial(text, tok.start())
            while j < len(tokens) and j - i <= 3:
                nxt = tokens[j]
                if text[tokens[j - 1].end() : nxt.start()] != " " or tokens[j - 1].group(0) != (
                    _strip_possessive(tokens[j - 1].group(0))
                ):
                    break
                nxt_word = _strip_possessive(nxt.group(0))
                if nxt_word in _ORG_WORDS:
                    break
                if ambiguous and j == i + 1:
                    # "Will Smith" yes, "Will Care" no; "Mark Little" only mid-sentence
                    listed = nxt_word in self._surnames or self._double_barrelled(nxt_word)
                    ok = (
                        listed
                        and nxt_word not in _NOT_PERSON  # "London South", "Kent County"
                        and (not initial or not self._is_common(nxt_word))
                    )
                elif j == i + 1:
                    ok = self._is_surname(nxt_word)
                else:
                    # a third or fourth part: listed surnames and unlisted words only
                    ok = nxt_word in self._surnames or not self._is_english(nxt_word)
                if not ok:
                    break
                end, j = nxt.start() + len(nxt_word), j + 1
            if (m := _PARTICLE_RE.match(text, end)) is not None and (
                j > i + 1 or not self._is_common(m.group(1))
            ):
                end = m.end()
                j = max(j, i + 2)
                while j < len(tokens) and tokens[j].start() < end:
                    j += 1
            if _PLACE_AFTER_RE.match(text, end):
                i = j  # "Queen Elizabeth Hospital", "John Radcliffe Building": a place
                continue
            if j > i + 1:
                out.append(Span(tok.start(), end, "name", "given name + surname"))
                i = j
                continue
            if given and self.config.lone_given_names:
                out.append(Span(tok.start(), end, "name", "given name"))
            i += 1
        return out

    # ---- replacement
    def redact(self, text: str, source: str = "") -> str:
        """Return ``text`` with each identifier replaced by its placeholder; log each one.

        Args:
            text: any string (non-strings are returned unchanged).
            source: where the text came from (row id, file), recorded in the log.
        """
        if not self.config.enabled or not isinstance(text, str) or not text:
            return text
        spans = self.find(text)
        if not spans:
            return text
        parts, pos = [], 0
        for sp in spans:
            parts.append(text[pos : sp.start])
            parts.append(sp.placeholder)
            self.log.append(
                Redaction(
                    source,
                    sp.start,
                    sp.end,
                    text[sp.start : sp.end],
                    sp.placeholder,
                    sp.kind,
                    sp.reason,
                )
            )
            pos = sp.end
        parts.append(text[pos:])
        return "".join(parts)

    __call__ = redact

    def log_frame(self) -> pd.DataFrame:
        """The anonymisation log: source, start, end, original, replacement, kind, reason."""
        cols = ["source", "start", "end", "original", "replacement", "kind", "reason"]
        return pd.DataFrame([asdict(r) for r in self.log], columns=cols)

    def originals(self) -> list[str]:
        """Every distinct original span removed so far (for :func:`scan_dir`'s ``known``)."""
        return sorted({r.original for r in self.log})

    def write_log(self, name: str, log_dir: str | Path | None = None) -> Path:
        """Write the log as ``<log_dir>/<name>.csv`` (outside ``reports/``) and return its path.

        Raises:
            ValueError: the log folder is inside a ``reports`` folder.
        """
        from covidlearning._io import write_csv

        folder = Path(log_dir if log_dir is not None else self.config.log_dir)
        if "reports" in folder.resolve().parts:
            raise ValueError(f"the anonymisation log must not go under reports/: {folder}")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.csv"
        write_csv(path, self.log_frame())
        return path


def _sentence_initial(text: str, start: int) -> bool:
    """True if ``start`` begins a sentence (start of text, or after . ! ? : ; or a newline)."""
    before = text[max(0, start - 40) : start].rstrip(" \t\"'“‘(")
    return not before or before[-1] in ".!?:;\n"


def _strip_possessive(token: str) -> str:
    return token[:-2] if token.endswith(("'s", "’s")) else token


def _resolve(spans: list[Span]) -> list[Span]:
    """Drop overlaps: higher-priority kinds, then longer spans, win; merge touching ward ids."""
    spans = sorted(spans, key=lambda s: (_PRIORITY[s.kind], -(s.end - s.start), s.start))
    taken: list[Span] = []
    for sp in spans:
        if all(sp.end <= t.start or sp.start >= t.end for t in taken):
            taken.append(sp)
    return sorted(taken, key=lambda s: s.start)


def is_name_like(term: str) -> bool:
    """True if a keyword (any case, possibly a phrase) holds a listed name.

    A listed given name or surname that is not also an English word: ``"jane"``,
    ``"dr okafor"``; not ``"care"`` or ``"coffee"``. For filtering topic keywords,
    which are lower case and so escape the rules for capitalised names.
    """
    lists = _lists()
    for word in re.findall(r"[^\W\d_][^\W\d_'’-]*(?:[-'’][^\W\d_]+)*", term):
        cap = word[:1].upper() + word[1:].lower()
        if word.lower() in lists["english_words"] or cap in PLACEHOLDER_WORDS:
            continue
        if cap in lists["given_names"] or cap in lists["surnames"]:
            return True
    return False


def strip_placeholders(text: str) -> str:
    """Remove placeholders (``[NAME]``...) so they do not become topic keywords."""
    return " ".join(PLACEHOLDER_RE.sub(" ", text).split())


def redact_text(text: str) -> str:
    """Redact one string with the default settings (no log kept)."""
    return Redactor(RedactionConfig()).redact(text)


def redact_frame(
    df: pd.DataFrame,
    columns: Iterable[str],
    redactor: Redactor | None = None,
    id_column: str | None = "id",
) -> pd.DataFrame:
    """Return a copy of ``df`` with each of ``columns`` redacted; the log names row and column.

    Args:
        df: any table.
        columns: the text columns to redact.
        redactor: keeps the log; default a fresh :class:`Redactor`.
        id_column: column whose value names the row in the log (row number if absent).
    """
    redactor = redactor or Redactor()
    out = df.copy()
    ids = df[id_column].astype(str) if id_column and id_column in df.columns else None
    for col in columns:
        if col not in df.columns:
            raise KeyError(
                f"column {col!r} not in table; columns: {', '.join(map(str, df.columns))}"
            )
        values = []
        for k, value in enumerate(df[col].tolist()):
            row = ids.iloc[k] if ids is not None else str(k)
            values.append(
                redactor.redact(value, source=f"{row}:{col}") if isinstance(value, str) else value
            )
        out[col] = values
    return out


# --------------------------------------------------------------------------- final guard
_TEXT_SUFFIXES = {
    ".csv",
    ".tsv",
    ".txt",
    ".md",
    ".markdown",
    ".rst",
    ".tex",
    ".yaml",
    ".yml",
    ".log",
}
_BINARY_SKIP = {".png", ".jpg", ".jpeg", ".gif", ".pdf", ".webp", ".ico", ".safetensors", ".npy"}


#: Not read by people: code, styles, and SVG metadata (matplotlib's own URL and version).
_SKIP_TAGS = {"script", "style", "metadata"}


class _TextExtractor(html.parser.HTMLParser):
    """Collect human-readable text from HTML or SVG: text nodes, comments, alt/title attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        for key, value in attrs:
            if key in {"alt", "title", "aria-label", "placeholder", "value"} and value:
                self.chunks.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.chunks.append(data)

    def handle_comment(self, data: str) -> None:
        if data.strip():
            self.chunks.append(data)


def html_text(markup: str) -> list[str]:
    """Return the readable text chunks of an HTML or SVG document (no scripts or styles)."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return parser.chunks


def _json_strings(obj: object, path: str = "$") -> Iterable[tuple[str, str]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _json_strings(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _json_strings(v, f"{path}[{i}]")
    elif isinstance(obj, str):
        yield path, obj
    elif isinstance(obj, int) and not isinstance(obj, bool):
        yield path, str(obj)


def _notebook_chunks(nb: dict) -> Iterable[tuple[str, str]]:
    for i, cell in enumerate(nb.get("cells", [])):
        src = cell.get("source", "")
        yield f"cell {i} source", "".join(src) if isinstance(src, list) else src
        for j, output in enumerate(cell.get("outputs", [])):
            where = f"cell {i} output {j}"
            if "text" in output:
                t = output["text"]
                yield where, "".join(t) if isinstance(t, list) else t
            data = output.get("data") or {}
            for mime, value in data.items():
                text = "".join(value) if isinstance(value, list) else value
                if not isinstance(text, str):
                    text = json.dumps(text)
                if mime in {"text/html", "image/svg+xml"}:
                    for chunk in html_text(text):
                        yield where, chunk
                elif mime == "text/plain" and "text/html" in data:
                    continue  # the same table as the HTML, but with cells run together
                elif mime.startswith("text/") or mime.endswith("json"):
                    yield where, text
            if output.get("output_type") == "error":
                yield where, "\n".join(output.get("traceback", []))
        for key, value in _json_strings(cell.get("metadata", {}), "metadata"):
            yield f"cell {i} {key}", value


def file_chunks(path: Path) -> Iterable[tuple[str, str]]:
    """Yield (location, text) pairs for every readable text in one output file."""
    suffix = path.suffix.lower()
    if suffix in _BINARY_SKIP:
        return
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            for ws in wb.worksheets:
                for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
                    for c, value in enumerate(row, start=1):
                        if value is not None:
                            yield f"sheet {ws.title} R{r}C{c}", str(value)
        finally:
            wb.close()
        return
    if suffix == ".parquet":
        df = pd.read_parquet(path)
        for col in df.columns:
            yield f"column {col}", "\n".join(df[col].astype(str).tolist())
        return
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        return
    text = raw.decode("utf-8", errors="replace")
    if suffix == ".ipynb":
        try:
            yield from _notebook_chunks(json.loads(text))
            return
        except (json.JSONDecodeError, AttributeError):
            pass
    if suffix == ".json":
        try:
            yield from _json_strings(json.loads(text))
            return
        except json.JSONDecodeError:
            pass
    if suffix in {".html", ".htm", ".svg", ".xml"}:
        for chunk in html_text(text):  # one text node at a time: no match across cells
            yield "text", chunk
        return
    yield "text", text


#: What the final guard looks for by default. Web addresses are left out: a report may
#: cite one (a method, a source); a URL that came from the data was redacted and is
#: caught through ``known`` if it reappears anywhere.
GUARD_KINDS = ("nhs_number", "phone", "email", "postcode", "name", "ward_bed")


def scan_text(
    text: str,
    redactor: Redactor | None = None,
    known: Iterable[str] | re.Pattern[str] = (),
    kinds: Iterable[str] | None = None,
) -> list[tuple[str, str, str]]:
    """Return (kind, matched text, reason) for identifiers detectable in ``text``.

    Placeholders such as ``[NAME]`` are not identifiers. ``known`` adds exact strings
    (for instance a run's redacted originals) that must not appear as whole words,
    in any letter case; pass a list or a pattern from :func:`known_pattern`.
    """
    redactor = redactor or _guard_redactor()
    wanted = set(PLACEHOLDERS if kinds is None else kinds)
    out = [
        (s.kind, text[s.start : s.end], s.reason) for s in redactor.find(text) if s.kind in wanted
    ]
    pattern = known if isinstance(known, re.Pattern) else known_pattern(known)
    if pattern is not None:
        for m in pattern.finditer(text):
            out.append(("known", m.group(0), "an original that redaction removed elsewhere"))
    return out


def known_pattern(known: Iterable[str], min_chars: int = 4) -> re.Pattern[str] | None:
    """One case-insensitive whole-word pattern for strings that must not appear.

    Strings shorter than ``min_chars`` are left out (too many chance matches).
    """
    items = sorted({k.strip() for k in known if len(k.strip()) >= min_chars}, key=len, reverse=True)
    if not items:
        return None
    alternation = "|".join(re.escape(k) for k in items)
    return re.compile(r"(?i)(?<![\w@.-])(?:" + alternation + r")(?![\w@-])")


@functools.lru_cache(maxsize=1)
def _guard_redactor() -> Redactor:
    return Redactor(RedactionConfig(lone_given_names=False))


def scan_dir(
    path: str | Path,
    known: Iterable[str] = (),
    allow: Iterable[str] = (),
    config: RedactionConfig | None = None,
    kinds: Iterable[str] | None = None,
) -> list[Finding]:
    """Scan every file under ``path`` and return each detectable identifier left in it.

    Reads CSV/TSV/TXT/MD, XLSX cells, JSON strings, executed ``.ipynb`` sources and
    outputs (HTML outputs as text), HTML and SVG text (text nodes, comments, alt and
    title attributes; not scripts or styles) and Parquet columns. Images are skipped.

    Args:
        path: a report folder such as ``reports/<name>/``.
        known: strings that redaction removed in this run; any occurrence is a finding.
        allow: strings that may appear (e.g. a publisher's URL quoted in the methods).
        config: recogniser settings (default: all rules, lone given names off).
        kinds: identifier kinds to look for (default :data:`GUARD_KINDS`: all but URLs).
    """
    root = Path(path)
    kinds = GUARD_KINDS if kinds is None else tuple(kinds)
    if config is not None:
        guard_config = config.model_copy(update={"lone_given_names": False})
        redactor = Redactor(guard_config)
    else:
        redactor = _guard_redactor()
    allowed = {a.lower() for a in allow} | {a.lower() for a in redactor.config.allow}
    pattern = known_pattern(k for k in known if k.lower() not in allowed)
    findings: list[Finding] = []
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for file in files:
        for location, text in file_chunks(file):
            for kind, found, reason in scan_text(text, redactor, pattern or (), kinds):
                if found.lower() in allowed:
                    continue
                findings.append(Finding(str(file), location, kind, found, reason))
    return findings


def check_dir(
    path: str | Path,
    known: Iterable[str] = (),
    allow: Iterable[str] = (),
    config: RedactionConfig | None = None,
    kinds: Iterable[str] | None = None,
) -> None:
    """Raise :class:`IdentifierLeak` if :func:`scan_dir` finds anything under ``path``."""
    findings = scan_dir(path, known=known, allow=allow, config=config, kinds=kinds)
    if findings:
        raise IdentifierLeak(findings)

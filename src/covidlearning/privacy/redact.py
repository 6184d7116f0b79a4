"""Remove personal identifiers from free text before anything leaves a run, offline.

Rule-based recognisers (regular expressions, check digits, Google's libphonenumber and
shipped name lists; no network, no language model) find:

=================  ================  ================================================
placeholder        kind              what (recogniser module)
=================  ================  ================================================
[NHS NUMBER]       ``nhs_number``    any 10 digits (``943 476 5919``), valid check digit
                                     or not (:mod:`.numbers`)
[PHONE]            ``phone``         UK phones in every format, ``+``-international
                                     numbers (:mod:`.numbers`, via ``phonenumbers``)
[REF]              ``reference``     incident, crew, complaint, case, MRN... numbers
                                     (``Incident no 12345678``, ``crew no1234``)
[DATE OF BIRTH]    ``date_of_birth`` a date after ``born``/``DOB``..., in figures or words
[AGE]              ``age``           ages of 90 and over (``aged 93``)
[EMAIL]            ``email``         ``name@example.nhs.uk``, ``jane dot smith at nhs dot
                                     net`` (:mod:`.contact`)
[URL]              ``url``           ``https://...``, ``www...``, ``example.nhs.uk/x``
[POSTCODE]         ``postcode``      UK postcodes, any case or spacing
[ADDRESS]          ``address``       ``12 Acacia Avenue``, ``Flat 3``, ``lives at Rose
                                     Cottage``
[WARD/BED]         ``ward_bed``      ``Ward 7``, ``Bay 3 Bed 4``, ``Rowan Ward``, ``Blue
                                     Ward`` (:mod:`.places`)
[PLACE]            ``place``         named hospitals and buildings (``St Thomas'
                                     Hospital``, ``Bevan House``): ``redaction.places``
                                     ``redact`` (default) or ``keep``; never [NAME]
[NAME]             ``name``          a title and the name after it (``Dr van der Berg``,
                                     ``dr okafor``); given name + surname in any case
                                     (``anne-marie smith-jones``); staff named with
                                     their role (``a nurse called jo``, ``Dave the
                                     porter``); a given name alone (``lone_given_names``)
=================  ================  ================================================

Titles and roles are kept (``Dr [NAME]``), so the role stays readable. A capitalised
word after ``in``/``near`` (``lives in Shirley``) is a town, not a person. Every
replacement is logged (original span, replacement, reason, source) for the evaluator's
audit; the log goes to :attr:`RedactionConfig.log_dir`, outside ``reports/``.

:func:`scan_dir` is the final guard: it reads every file written under an output folder
(CSV, XLSX, JSON keys and values, executed notebooks, HTML text, Markdown, SVG text,
model vocabularies) and :func:`check_dir` raises :class:`IdentifierLeak`, naming the file
and the kind of identifier but never the identifier, if one is left.

Presidio (``presidio-analyzer``) was checked as the maintained alternative: its pattern
recognisers do run offline, called directly or through a blank spaCy pipeline, but its
UK NHS recogniser only finds numbers whose check digit is valid (a mistyped NHS number
must be caught too), its e-mail and URL recognisers call ``tldextract``, which fetches
the public-suffix list over the network, and it brings spaCy and 18 other packages
(importing it took 27 s on the shared machine). Phones use ``phonenumbers``, the library
Presidio's own phone recogniser is built on.
"""

from __future__ import annotations

import contextlib
import functools
import html.parser
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pandas as pd

from covidlearning.config import RedactionConfig
from covidlearning.errors import IdentifierLeak
from covidlearning.nlp.names import PLACEHOLDER_WORDS, is_name_like, is_name_word, name_lists
from covidlearning.privacy import contact, numbers, places
from covidlearning.privacy.numbers import is_valid_nhs_number, nhs_check_digit

__all__ = [
    "GUARD_KINDS",
    "PLACEHOLDERS",
    "PLACEHOLDER_RE",
    "PLACEHOLDER_WORDS",
    "Finding",
    "IdentifierLeak",
    "Redaction",
    "Redactor",
    "Span",
    "check_dir",
    "file_chunks",
    "guarded_dir",
    "html_text",
    "is_name_like",
    "is_valid_nhs_number",
    "known_pattern",
    "nhs_check_digit",
    "redact_frame",
    "redact_input",
    "redact_text",
    "scan_dir",
    "scan_text",
    "strip_placeholders",
]

logger = logging.getLogger(__name__)

PLACEHOLDERS: dict[str, str] = {
    "nhs_number": "[NHS NUMBER]",
    "phone": "[PHONE]",
    "reference": "[REF]",
    "date_of_birth": "[DATE OF BIRTH]",
    "age": "[AGE]",
    "email": "[EMAIL]",
    "postcode": "[POSTCODE]",
    "address": "[ADDRESS]",
    "url": "[URL]",
    "name": "[NAME]",
    "ward_bed": "[WARD/BED]",
    "place": "[PLACE]",
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
#: Which rule wins when two matches overlap (lower number wins, then the longer span).
_PRIORITY = {
    "email": 0, "url": 1, "nhs_number": 2, "phone": 2, "reference": 3, "date_of_birth": 3,
    "postcode": 4, "address": 4, "age": 5, "ward_bed": 5, "place": 6, "name": 7,
}  # fmt: skip

# --------------------------------------------------------------------------- name patterns
_STRONG_TITLES = r"Dr|Doctor|Prof|Professor|Mr|Mrs|Ms|Miss|Mx|Mister|Missus|Rev|Revd|Fr|Sr"
_WEAK_TITLES = (
    r"Nurse|Sister|Matron|Staff Nurse|Charge Nurse|Student Nurse|Midwife|Father|Sir|Dame|Lord"
    r"|Lady|Consultant|Surgeon|Physio|Physiotherapist|Porter|Paramedic|Pastor|Imam|Rabbi|Chaplain"
)
#: A title or role that names a person ("Mr Ward", "Dr Sarah Ward", "Nurse Priya").
_ANY_TITLE_RE = re.compile(rf"(?<![\w-])(?:{_STRONG_TITLES}|{_WEAK_TITLES})\.?(?![\w-])")


def has_title(text: str) -> bool:
    """Whether ``text`` holds a title or role that names a person ("Mr", "Dr", "Nurse")."""
    return _ANY_TITLE_RE.search(text) is not None


def allowed_pattern(strings: Iterable[str]) -> re.Pattern[str] | None:
    """One whole-word, any-case pattern of allowed strings, longest first (None: none)."""
    items = sorted({s.strip() for s in strings if s and s.strip()}, key=len, reverse=True)
    if not items:
        return None
    return re.compile(r"(?i)(?<![\w-])(?:" + "|".join(re.escape(s) for s in items) + r")(?![\w-])")


def allowed_regions(text: str, pattern: re.Pattern[str] | None) -> list[tuple[int, int]]:
    """Where allowed strings occur in ``text`` (any case), as ``(start, end)`` pairs."""
    return [] if pattern is None else [(m.start(), m.end()) for m in pattern.finditer(text)]


def _inside(start: int, end: int, regions: list[tuple[int, int]]) -> bool:
    """Whether ``start..end`` lies wholly inside one of ``regions``."""
    return any(a <= start and end <= b for a, b in regions)


#: Roles that name a member of staff: "the nurse, Sarah", "Dave the porter".
_ROLES = (
    r"nurse|nurses|doctor|doctors|dr|consultant|registrar|sho|gp|sister|matron|midwife|"
    r"porter|paramedic|technician|tech|hca|healthcare assistant|health care assistant|"
    r"care assistant|carer|receptionist|physio|physiotherapist|surgeon|anaesthetist|"
    r"radiographer|pharmacist|dietitian|dietician|cleaner|housekeeper|manager|ward manager|"
    r"student|student nurse|volunteer|chaplain|therapist|ot|salt|social worker|"
    r"support worker|assistant|practitioner|sonographer|phlebotomist|optometrist|dentist|"
    r"midwives|staff member|member of staff|lady|man|gentleman|guy|chap|girl|boy"
)
_UP, _LO = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿ"
_PART = rf"(?:Mc|Mac|O'|O’|D'|D’|De|Di|Da|Van|Von|Le|La)?[{_UP}][{_LO}'’]+"
_NAME_TOKEN = rf"{_PART}(?:-{_PART})*"
_INITIALS = r"(?:[A-Z]\.?\s?){1,3}"
#: Lower-case surname particles: "van der Berg", "de la Cruz", "bin Said".
_PARTICLES = (
    r"(?:(?:van|von|de|der|den|del|della|di|da|du|dos|das|le|la|al|el|bin|binti|ibn|ter|ten|"
    r"mac|ó|ní|nic|ua|St\.?)\s+){1,3}"
)
_TITLE_RE = re.compile(
    r"(?<![\w-])(?:(?P<strong>(?i:"
    + _STRONG_TITLES
    + r"))\.?|(?P<weak>(?i:"
    + _WEAK_TITLES
    + r")))"
    r"\s+(?P<name>(?:"
    + _INITIALS
    + r"\s*)?(?i:"
    + _PARTICLES
    + r")?"
    + _NAME_TOKEN
    + r"(?:\s+(?i:"
    + _PARTICLES
    + r")?"
    + _NAME_TOKEN
    + r"){0,5}"
    r"|(?i:" + _PARTICLES + r")?[a-z][a-z'’-]{2,}(?![\w-])"
    r"|[A-Z]{2,}(?:-[A-Z]{2,})?(?![\w-])|" + _INITIALS + r"(?![\w-]))"
)
#: Two words in capitals; a lookahead, so every adjacent pair is tried ("THANKS TO CHLOE
#: OSEI" holds "TO CHLOE" and "CHLOE OSEI").
_CAPS_PAIR_RE = re.compile(r"(?<![\w-])(?=([A-Z]{2,}) ([A-Z]{2,}(?:-[A-Z]{2,})?)(?![\w-]))")
#: A name already masked in the data ("XXXX", "xxx", "XXXX XXXX"): nothing left to redact.
_MASK_RE = re.compile(r"[Xx]{2,}(?:[ '’-]+[Xx]{2,})*(?:['’]s)?")
_NAME_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’]*")
_SAINT_RE = re.compile(r"(?:\bSt\.?|\bSaint) $")
_PLACE_AFTER_RE = re.compile(
    r"(?:'s|’s)?(?:\s+[A-Z][a-z]+)?\s+(?:Hospital|Hospitals|HospItal|Infirmary|Hospice|House|"
    r"Centre|Center|Building|Wing|Unit|UnIt|Trust|Foundation|Institute|Clinic|Surgery|Practice|"
    r"Medical|Health|Court|Lodge|Street|Road|Lane|Avenue|Way|Drive|Close|Park|Square|Place|"
    r"School|College|University|Award|Awards|Fund|Charity|Cancer|Nurses|Fellowship|Fellow|"
    r"Scholarship|Ward|Pavilion|Block|Cottage|Farm)\b"
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
_LOWER_TOKEN_RE = re.compile(r"(?<![\w'’-])[a-zß-öø-ÿ][a-zß-öø-ÿ'’]*(?:-[a-zß-öø-ÿ'’]+)*(?![\w-])")
_LOWER_PARTICLES = frozenset(
    "van von de der den del della di da du dos das le la al el bin binti ibn ter ten".split()
)
#: "a nurse called Jo", "the porter named dave", "our HCA, Priya".
_ROLE_NAMED_RE = re.compile(
    r"(?i)(?<![\w-])(?:" + _ROLES + r")(?:\s*,)?\s+(?:(?:was\s+|is\s+)?(?:called|named|"
    r"by the name of|known as|whose name (?:is|was))\s+)(?P<name>[\w'’-]+(?:\s+[\w'’-]+)?)"
)
_NAME_ROLE_RE = re.compile(
    r"(?<![\w'’-])(?P<name>[\w'’-]+)(?:\s*,)?\s+(?:\(|,\s*)?(?i:the|our|a|my|his|her|their)\s+"
    r"(?i:" + _ROLES + r")\b"
)
_NAME_PAREN_ROLE_RE = re.compile(
    r"(?<![\w'’-])(?P<name>[\w'’-]+(?:\s+[\w'’-]+)?)\s*\((?i:" + _ROLES + r")\)"
)
#: "thank you sarah", "thanks to priya and jo": a lower-case name after thanks.
_THANKS_RE = re.compile(
    r"(?i)(?<![\w-])(?:thank\s*you|thanks|thankyou|cheers|big thanks|shout[- ]?out)"
    r"(?:\s+(?:so much|very much|again))?(?:\s*(?:to|,))?\s+"
    r"(?P<names>[a-z][a-z'’-]+(?:(?:\s*,\s*|\s+and\s+|\s*&\s*)[a-z][a-z'’-]+){0,3})"
)
#: Lower-case words after "thanks" that are listed given names but mostly mean something else.
_NOT_THANKED = frozenset(
    "and van sat sun mon tue wed thu fri jan feb mar apr jun jul aug sep sept oct nov dec "
    "doc docs".split()
)
_OUR_ROLE_NAME_RE = re.compile(
    r"(?i)(?<![\w-])(?:our|my|the|his|her|their|lovely|amazing|wonderful)\s+(?:"
    + _ROLES
    + r")(?:\s*,)?\s+(?P<name>[\w'’-]+)(?:\s*,)?"
)


def _lists() -> dict[str, frozenset[str]]:
    """The shipped name lists (:func:`covidlearning.nlp.names.name_lists`)."""
    return name_lists()


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


# --------------------------------------------------------------------------- recogniser
def _spans(hits: Iterable[tuple[int, int, str, str]]) -> list[Span]:
    return [Span(s, e, kind, reason) for s, e, kind, reason in hits]


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
        self._allow_re = allowed_pattern(self.config.allow)

    def allow(self, strings: Iterable[str]) -> None:
        """Never redact these strings, nor anything wholly inside them, from now on.

        Beside ``config.allow``; matched as whole words in any letter case. The report
        allows the names of the groups it publishes this way
        (:func:`covidlearning.privacy.disclosure.published_group_strings`).
        """
        strings = [s for s in strings if s]
        self._allow |= {s.lower() for s in strings}
        self._allow_re = allowed_pattern(self._allow)

    def allowed_regions(self, text: str) -> list[tuple[int, int]]:
        """Where the allowed strings occur in ``text`` (any letter case)."""
        return allowed_regions(text, self._allow_re)

    def is_listed_name(self, text: str) -> bool:
        """Whether ``text`` is one word found in the name lists ("Patel", "Sarah")."""
        words = text.split()
        if len(words) != 1:
            return False
        word = _strip_possessive(words[0])
        return word in self._given or word in self._surnames or word in self._ambiguous

    # ---- detection
    def find(self, text: str) -> list[Span]:
        """Return non-overlapping identifier spans in ``text``, in order.

        A span lying wholly inside an allowed string (``config.allow``, :meth:`allow`) is
        dropped ("Rowan" in an allowed "Rowan Ward", in any letter case); one reaching
        beyond it is kept ("jane@oakham.nhs.uk" with "oakham.nhs.uk" allowed).
        """
        if not text:
            return []
        spans: list[Span] = []
        spans += _spans(contact.emails(text))
        spans += _spans(contact.urls(text))
        spans += _spans(numbers.nhs_numbers(text))
        spans += _spans(numbers.phones(text))
        spans += _spans(numbers.references(text))
        spans += _spans(numbers.dates_of_birth(text))
        spans += _spans(numbers.ages(text))
        spans += _spans(contact.postcodes(text))
        spans += _spans(contact.addresses(text))
        spans += _spans(places.wards(text))
        placed = _spans(places.place_spans(text))
        if self.config.places == "redact":
            spans += placed
        if self.config.names:
            names = self._names(text)
            # a place named after a person is a place: never [NAME] ("St Thomas' Hospital")
            names = [
                s for s in names if not any(p.start <= s.start and s.end <= p.end for p in placed)
            ]
            # a name already masked in the data ("Dr XXXX", "nurse xxx") is no identifier
            spans += [s for s in names if not _MASK_RE.fullmatch(text[s.start : s.end])]
        public = [(m.start(), m.end()) for m in _PUBLIC_RE.finditer(text)]
        shields = self.allowed_regions(text)
        spans = [
            s
            for s in spans
            if text[s.start : s.end].strip().lower() not in self._allow
            and not _inside(s.start, s.end, shields)
            and not (
                s.kind == "name" and s.reason != "listed name" and _inside(s.start, s.end, public)
            )
        ]
        return _resolve(spans, text)

    def _is_common(self, token: str) -> bool:
        return _strip_possessive(token).lower() in self._common

    def _is_given(self, word: str) -> bool:
        """A listed given name; a hyphenated one when every part is (``Anne-Marie``)."""
        if word in self._given:
            return True
        parts = word.split("-")
        return len(parts) > 1 and all(p in self._given or p in self._ambiguous for p in parts)

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
            # initials written together before a name ("Dr J.R. Smith", "Dr JR Smith")
            n_lead = 0
            while n_lead < len(tokens) - 1 and _JOINED_INITIALS.fullmatch(tokens[n_lead]):
                n_lead += 1
            n_particles = 0
            while n_lead + n_particles < len(tokens) - 1 and _is_particle(
                tokens[n_lead + n_particles]
            ):
                n_particles += 1
            first = _strip_possessive(tokens[n_lead + n_particles].strip("."))
            weak = m.group("weak") is not None
            shouting = (
                first.isupper() and len(first) > 1 and not re.fullmatch(_INITIALS, name.strip())
            )
            if n_particles and not weak:
                pass  # "Dr van der Berg", "dr de souza": a particle makes it a surname
            elif shouting or first.islower():
                # "DR SMITH" (shouting capitals), "dr patel", "nurse jones": a known name,
                # or after a strong title any word that is not English ("dr okonkwo")
                cap = first.title()
                listed = cap in self._surnames or self._is_given(cap)
                if self._is_common(first) or (self._is_english(first) and not listed):
                    continue
                parts = first.split("-")  # "Prof joined-up thinking": English words
                if len(parts) > 1 and all(self._is_english(p) for p in parts if p):
                    continue
                if weak and not listed:
                    continue
                if not weak and not listed and (shouting or self._is_english(first)):
                    continue
                name += self._more_names(text, s + len(name), shouting)
            elif len(first) == 1 or re.fullmatch(_INITIALS, name.strip()):
                # initials alone: "Dr K" yes, "the lady I spoke to" no
                if weak or name.strip(" .") in {"I", "A"}:
                    continue
            else:
                known = self._is_given(first) or first in self._surnames or first in self._ambiguous
                if not known and self._is_english(first):
                    continue
                # given, middle and surnames ("Sister Mary Ann Smith"), up to the first
                # common word after the first ("Dr Smith Great care", "Nurse Jo Thank you");
                # a later word only when it is a listed surname or no English word, and not
                # a common word once a surname has come ("Dr Sarah Ward Monday", "Dr Sam
                # Jones Long waits", but "Dr Anna Marie Long"); particles go with the name
                starts = [t.start() for t in re.finditer(r"\S+", name)]
                head = n_lead + n_particles
                after_surname = False
                for k in range(head + 1, len(tokens)):
                    word = _strip_possessive(tokens[k])
                    if _is_particle(word):
                        continue
                    common = self._is_common(word)
                    later = k > head + 1
                    if (
                        (common and word not in self._surnames)
                        or (later and common and after_surname)
                        or (later and word not in self._surnames and self._is_english(word))
                    ):
                        name = name[: starts[k]].rstrip()
                        break
                    after_surname = word in self._surnames and not self._is_given(word)
            name = _strip_possessive(name)
            e = s + len(name)
            who = m.group("strong") or m.group("weak")
            out.append(Span(s, e, "name", f"title + name ({who})"))
            covered.update(range(m.start(), e))
        return out, covered

    def _more_names(self, text: str, at: int, upper: bool) -> str:
        """Further name words in one case after a titled name in capitals or lower case.

        "DR ANNA SMITH JONES", "dr anna marie": up to five more words, each a listed given
        name or surname and no common word.

        Returns:
            The text to add to the name (from ``at``), or "".
        """
        word = _UPPER_WORD if upper else _LOWER_WORD
        end = at
        for _ in range(5):
            m = word.match(text, end)
            if m is None:
                break
            token = m.group(1)
            cap = token.title()
            listed = cap in self._surnames or self._is_given(cap)
            if not listed or self._is_common(token):
                break
            end = m.end()
        return text[at:end]

    def _role_named(self, text: str) -> list[Span]:
        """Staff named with their role: "a nurse called jo", "Dave the porter", "our HCA Priya"."""
        out = []
        for m in _ROLE_NAMED_RE.finditer(text):
            words = m.group("name").split()
            first = words[0]
            if self._is_common(first) and not is_name_word(first):
                continue
            end = m.start("name") + len(_strip_possessive(first))
            if len(words) > 1 and (is_name_word(words[1]) or words[1] in self._surnames):
                end = m.start("name") + len(_strip_possessive(" ".join(words)))
            out.append(Span(m.start("name"), end, "name", "staff member named with role"))
        for m in _THANKS_RE.finditer(text):
            # lower-case given names only (capitalised ones are found by the other rules)
            for w in re.finditer(r"[a-z][a-z'’-]+", m.group("names")):
                word = w.group(0)
                if word in _NOT_THANKED or not is_name_word(word):
                    continue
                if not self._is_given(word.title()) or word in self._ambiguous:
                    continue
                start = m.start("names") + w.start()
                out.append(Span(start, start + len(word), "name", "given name after thanks"))
        for rx in (_NAME_ROLE_RE, _NAME_PAREN_ROLE_RE, _OUR_ROLE_NAME_RE):
            for m in rx.finditer(text):
                words = m.group("name").split()
                names = [w for w in words if self._person_word(_strip_possessive(w))]
                if not names or len(names) != len(words):
                    continue
                end = m.start("name") + len(_strip_possessive(m.group("name")))
                out.append(Span(m.start("name"), end, "name", "staff member named with role"))
        return out

    def _person_word(self, word: str) -> bool:
        """A word that names a person on its own: a listed name that is not English."""
        if not word or word.lower() in self._common:
            return False
        if word[:1].isupper() and (self._is_given(word) or word in self._surnames):
            return not self._is_english(word) or word in self._given
        return is_name_word(word)

    def _lower_names(self, text: str) -> list[Span]:
        """Full names in lower case: ``sarah smith``, ``anne-marie smith-jones``."""
        tokens = list(_LOWER_TOKEN_RE.finditer(text))
        out = []
        i = 0
        while i < len(tokens) - 1:
            word = tokens[i].group(0)
            cap = "-".join(p.title() for p in word.split("-"))
            given = (
                self._is_given(cap)
                and not self._is_english(word)
                and not self._is_common(word)
                and word not in _LOWER_PARTICLES
                and word not in _NOT_THANKED
            )
            if not given:
                i += 1
                continue
            j, end = i + 1, None
            while j < len(tokens) and text[tokens[j - 1].end() : tokens[j].start()] == " ":
                w = _strip_possessive(tokens[j].group(0))
                if w in _LOWER_PARTICLES:
                    j += 1
                    continue
                wcap = "-".join(p.title() for p in w.replace("’", "'").split("-"))
                wcap = re.sub(r"'(\w)", lambda x: "'" + x.group(1).upper(), wcap)
                surname = (
                    wcap in self._surnames
                    or all(p in self._surnames for p in wcap.split("-"))
                    or (is_name_word(w) and not self._is_given(wcap))
                )
                if not surname or self._is_common(w):
                    break
                end = tokens[j].start() + len(w)
                j += 1
                if j - i > 3:
                    break
            if end is not None:
                out.append(
                    Span(tokens[i].start(), end, "name", "given name + surname (lower case)")
                )
                i = j
            else:
                i += 1
        return out

    def _names(self, text: str) -> list[Span]:
        out, covered = self._titled(text)
        out += self._role_named(text)
        out += self._lower_names(text)
        for m in _CAPS_PAIR_RE.finditer(text):
            # "SARAH SMITH" in a shouted answer: listed given name + listed surname; an
            # ambiguous first word that is also common English ("US WERE", "WILL CARE")
            # needs a surname that is not a common word as well
            first, last = m.group(1).title(), m.group(2).title()
            ambiguous = not self._is_given(first) and first in self._ambiguous
            if (self._is_given(first) or ambiguous) and (
                last in self._surnames or self._double_barrelled(last)
            ):
                if ambiguous and self._is_common(first) and self._is_common(last):
                    continue
                end = m.start(2) + len(m.group(2))
                out.append(Span(m.start(1), end, "name", "given name + surname (capitals)"))
        if self._extra_re is not None:
            for m in self._extra_re.finditer(text):
                out.append(Span(m.start(), m.end(), "name", "listed name"))
        tokens = [t for t in _CAP_TOKEN_RE.finditer(text) if t.start() not in covered]
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            word = _strip_possessive(tok.group(0))
            given, ambiguous = self._is_given(word), word in self._ambiguous
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
                    and not places.locative_place(text, tok.start())
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
                if self._is_given(nxt_word) and text[tok.end() : tokens[i + 1].start()] == " ":
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
            if places.locative_place(text, tok.start()) and word == tok.group(0):
                i = j  # "we live in Shirley", "near Beverley": a town
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
        return self._replace(text, spans, source)

    __call__ = redact

    def carried_names(self) -> list[str]:
        """Names removed so far that are no English word: redacted wherever they recur.

        A name caught in one text ("Prof Malby") may be written elsewhere without what
        gave it away ("Malby's blog"); the final guard would then refuse the run. Names
        written with a capital whose words are not English words are carried to every
        text (:func:`redact_frame`); "Rose" or "Will" are not, as they are also words.
        """
        out = set()
        for r in self.log:
            words = _NAME_WORD_RE.findall(r.original)
            if (
                r.kind == "name"
                and r.original[:1].isupper()
                and words
                and not any(self._is_english(w) or self._is_common(w) for w in words)
            ):
                out.add(r.original)
        return sorted(out)

    def carried_capitalised(self) -> list[str]:
        """Listed names that are also rare English words, caught after a title or role.

        "Prof Rooney" gives away "Rooney", which the English list also holds, so
        :meth:`carried_names` leaves it; it is carried only where it recurs written with
        its capital ("Rooney said"), never as a lower-case word ("brown bread" after
        "Dr Brown"). Names made of a common word ("Sister Hope") are not carried.
        """
        out = set()
        for r in self.log:
            words = _NAME_WORD_RE.findall(r.original)
            if (
                r.kind == "name"
                and r.reason.startswith(("title + name", "staff member named with role"))
                and words
                and all(w[:1].isupper() for w in words)
                and not any(self._is_common(w) for w in words)
                and all(
                    not self._is_english(w)
                    or _strip_possessive(w) in self._surnames
                    or self._is_given(_strip_possessive(w))
                    for w in words
                )
                and any(self._is_english(w) for w in words)
            ):
                out.add(r.original)
        return sorted(out)

    def redact_recurring(self, text: str, pattern: re.Pattern[str], source: str = "") -> str:
        """Redact the names of :meth:`carried_names` (as ``pattern``) where they recur."""
        if not self.config.enabled or not isinstance(text, str) or not text:
            return text
        spans = [
            Span(m.start(), m.end(), "name", "a name redacted elsewhere in the run")
            for m in pattern.finditer(text)
        ]
        return self._replace(text, spans, source) if spans else text

    def _replace(self, text: str, spans: list[Span], source: str) -> str:
        """``text`` with each span replaced by its placeholder, each logged."""
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

    def log_frame(self) -> pd.DataFrame:
        """The anonymisation log: source, start, end, original, replacement, kind, reason."""
        cols = ["source", "start", "end", "original", "replacement", "kind", "reason"]
        return pd.DataFrame([asdict(r) for r in self.log], columns=cols)

    def originals(self) -> list[str]:
        """Every distinct original span removed so far (for :func:`scan_dir`'s ``known``).

        Named places are left out: a site may be published on purpose as a value of a
        grouping column (see :data:`GUARD_KINDS`).
        """
        return sorted({r.original for r in self.log if r.kind != "place"})

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


#: The next word in capitals, or in lower case, after a name (:meth:`Redactor._more_names`).
_UPPER_WORD = re.compile(r"[ \t]+([A-Z]{2,}(?:-[A-Z]{2,})?)(?![\w-])")
_LOWER_WORD = re.compile(r"[ \t]+([a-z][a-z'’]{2,}(?:-[a-z'’]+)?)(?![\w-])")
#: Initials written together: "J.R.", "JR", "A.B".
_JOINED_INITIALS = re.compile(r"(?:[A-Z]\.){1,3}|[A-Z]{2,3}|(?:[A-Z]\.){1,2}[A-Z]")
_NAME_PARTICLES = _LOWER_PARTICLES | {"st", "mac", "ó", "ní", "nic", "ua"}


def _is_particle(token: str) -> bool:
    """A surname particle ("van", "de", "bin", "St.")."""
    return token.lower().rstrip(".") in _NAME_PARTICLES


def _strip_possessive(token: str) -> str:
    return token[:-2] if token.endswith(("'s", "’s")) else token


def _resolve(spans: list[Span], text: str) -> list[Span]:
    """Drop overlaps: higher-priority kinds, then longer spans, win; merge touching ward ids."""
    spans = sorted(spans, key=lambda s: (_PRIORITY[s.kind], -(s.end - s.start), s.start))
    taken: list[Span] = []
    for sp in spans:
        if all(sp.end <= t.start or sp.start >= t.end for t in taken):
            taken.append(sp)
        elif sp.kind == "name":
            # a name reaching past a ward or place keeps its rest: "Nurse [WARD/BED] [NAME]"
            # for "Nurse Rowan Ward Jones", not "... Jones"
            taken += _uncovered(sp, taken, text)
    return sorted(taken, key=lambda s: s.start)


def _uncovered(span: Span, taken: list[Span], text: str) -> list[Span]:
    """The parts of ``span`` that no taken span overlaps and that hold a word."""
    cuts = sorted((t.start, t.end) for t in taken if t.start < span.end and t.end > span.start)
    out, at = [], span.start
    for a, b in [*cuts, (span.end, span.end)]:
        piece = text[at:a]
        if a > at and any(c.isalpha() for c in piece):
            lead = len(piece) - len(piece.lstrip())
            out.append(replace(span, start=at + lead, end=at + len(piece.rstrip())))
        at = max(at, b)
    return out


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
    # a name caught in one text is redacted where it recurs: in any case when it is no
    # English word, with its capital when it is also one ("Rooney", not "brown")
    patterns = [
        known_pattern(redactor.carried_names()),
        known_pattern(redactor.carried_capitalised(), case_sensitive=True),
    ]
    for carried in (p for p in patterns if p is not None):
        for col in columns:
            out[col] = [
                redactor.redact_recurring(v, carried, f"{row}:{col}") if isinstance(v, str) else v
                for row, v in zip(
                    ids if ids is not None else map(str, range(len(out))), out[col], strict=True
                )
            ]
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
        for i, (k, v) in enumerate(obj.items()):
            yield f"{path} key {i}", str(k)  # keys too: a vocabulary's terms are its keys
            yield from _json_strings(v, f"{path}[{i}]")
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
            # each distinct value once; a full stop between values, so the end of one
            # ("Chief nurse") and the start of the next ("Shorter waits") never read as
            # a title and a name
            values = dict.fromkeys(str(v) for v in df[col].tolist() if not pd.isna(v))
            yield f"column {col}", "\n.\n".join(values)
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


#: What the final guard looks for by default: every kind but web addresses and named
#: places. A report may cite a web address (a method, a source), and its breakdowns name
#: the trust's own sites ("Riverside General Hospital" as a value of a grouping column);
#: a web address that came from a text was redacted and is caught through ``known`` if
#: it reappears anywhere.
GUARD_KINDS = (
    "nhs_number", "phone", "reference", "date_of_birth", "age", "email", "postcode",
    "address", "name", "ward_bed",
)  # fmt: skip


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
        # a removed "Rowan" inside the redactor's allowed "Rowan Ward" is no finding
        shields = redactor.allowed_regions(text)
        for m in pattern.finditer(text):
            if not _inside(m.start(), m.end(), shields):
                out.append(("known", m.group(0), "an original that redaction removed elsewhere"))
    return out


def known_pattern(
    known: Iterable[str], min_chars: int = 4, case_sensitive: bool = False
) -> re.Pattern[str] | None:
    """One whole-word pattern for strings that must not appear, in any letter case.

    With ``case_sensitive``, only as written ("Rooney", not "rooney").

    Strings shorter than ``min_chars`` are left out (too many chance matches).
    """
    items = sorted({k.strip() for k in known if len(k.strip()) >= min_chars}, key=len, reverse=True)
    if not items:
        return None
    alternation = "|".join(re.escape(k) for k in items)
    flags = "" if case_sensitive else "(?i)"
    return re.compile(flags + r"(?<![\w@.-])(?:" + alternation + r")(?![\w@-])")


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
        kinds: identifier kinds to look for (default :data:`GUARD_KINDS`: all but URLs and
            named places).
    """
    root = Path(path)
    kinds = GUARD_KINDS if kinds is None else tuple(kinds)
    if config is not None:
        guard_config = config.model_copy(update={"lone_given_names": False})
        redactor = Redactor(guard_config)
    else:
        redactor = _guard_redactor()
    allowed = {a.lower() for a in allow} | {a.lower() for a in redactor.config.allow}
    redactor.allow(allowed)  # nothing wholly inside an allowed string is a finding
    pattern = known_pattern(k for k in known if k.lower() not in allowed)
    findings: list[Finding] = []
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for file in files:
        model_file = _is_model_file(file)
        for location, text in file_chunks(file):
            for kind, found, reason in scan_text(text, redactor, pattern or (), kinds):
                if found.lower() in allowed:
                    continue
                findings.append(Finding(str(file), location, kind, found, reason))
            if model_file and "name" in kinds and _name_like_term(text, allowed):
                reason = "name-like term in a saved model"
                findings.append(Finding(str(file), location, "name", text, reason))
    return findings


#: A saved theme model's files whose words are its vocabulary, keywords and labels
#: (BERTopic's c-TF-IDF config and topics, covidlearning's metadata). A trained coder's
#: character n-grams are not words, so only the recognisers read them.
_VOCABULARY_FILES = frozenset({"ctfidf_config.json", "topics.json", "covidlearning.json"})


def _is_model_file(path: Path) -> bool:
    """A saved theme model's vocabulary, keywords or labels."""
    return path.name in _VOCABULARY_FILES


def _name_like_term(text: str, allowed: set[str]) -> bool:
    """A short vocabulary entry (one to three words) that looks like a personal name."""
    words = text.split()
    return 0 < len(words) <= 3 and text.lower() not in allowed and is_name_like(text)


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


# --------------------------------------------------------------------------- stage commands
def redact_input(frame: pd.DataFrame, redactor: Redactor) -> pd.DataFrame:
    """Redact a loaded table's texts before any modelling (``discover``, ``assign``, ``code``).

    Redacts ``text`` and, when present, ``original_text`` (a short answer read with its
    question) of a :func:`covidlearning.corpus.load.load_table` frame; the log names the
    row id. Rows whose status is not ``ok`` are redacted too (their text is not modelled,
    but nothing should hold an identifier).
    """
    columns = [c for c in ("text", "original_text") if c in frame.columns]
    out = redact_frame(frame, columns, redactor, id_column="id")
    n = len({r.source.split(":")[0] for r in redactor.log})
    if n:
        logger.info("redacted identifiers in %d of %d texts before modelling", n, len(frame))
    return out


@contextlib.contextmanager
def guarded_dir(
    out: str | Path, config: RedactionConfig, known: Iterable[str] = ()
) -> Iterator[Path]:
    """Like :func:`covidlearning._io.atomic_dir`, but the final guard checks the files first.

    Yields a temporary folder; when the block ends, :func:`check_dir` scans it (with the
    strings redaction removed as ``known``) and only a clean folder replaces ``out``.
    With redaction or the guard off in ``config``, the folder is published unchecked.

    Raises:
        IdentifierLeak: an identifier is left; ``out`` is left as it was.
    """
    from covidlearning._io import atomic_dir

    with atomic_dir(out) as tmp:
        yield tmp
        if config.enabled and config.guard:
            check_dir(tmp, known=known, allow=config.allow, config=config)

"""Recognisers for identifying numbers: NHS numbers, phones, references, birth dates, ages.

Each function takes a text and returns ``(start, end, kind, reason)`` tuples; the
:class:`covidlearning.privacy.redact.Redactor` resolves overlaps between them and the
other recognisers.

- **NHS-number-like strings** (``nhs_number``): any 10 digits, together or grouped with
  single spaces, hyphens or dots (``943 476 5919``), whether or not the modulus-11 check
  digit is valid: a patient's mistyped NHS number is still theirs. A number that
  ``phonenumbers`` reads as a UK phone (leading ``0``) is a phone instead.
- **Phones** (``phone``): Google's libphonenumber (the ``phonenumbers`` package) finds
  every UK format (``07700 900123``, ``+44 (0)20 7946 0958``, ``(0131) 496 0337``,
  ``0044 ...``, dots, hyphens, ``ext 22``) and international numbers written with ``+``.
- **Reference numbers** (``reference``): incident, crew, complaint, case, Datix, hospital
  (MRN) and other reference numbers after their keyword (``Incident no 12345678``,
  ``crew no1234``, ``complaint ref CMP-2231``).
- **Dates of birth** (``date_of_birth``): a date after birth context (``born``, ``DOB``,
  ``date of birth``, ``birthday``), in figures or in words (``born on the third of March
  nineteen fifty``). Dates without birth context (dates of service) are kept.
- **Ages over 89** (``age``): ``aged 92``, ``93 years old``, ``a 94-year-old``, ``ninety
  five years old``; ages up to 89 are kept.
"""

from __future__ import annotations

import re

Hit = tuple[int, int, str, str]


# --------------------------------------------------------------------------- NHS numbers
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


_TEN_DIGITS_RE = re.compile(r"(?<![\w.,/:+£$€-])(?<!\d[ .-])(\d(?:[ .-]?\d){9})(?![ .-]?\d|\w)")


def nhs_numbers(text: str) -> list[Hit]:
    """Every 10-digit string that is not a UK phone number (valid check digit or not)."""
    out = []
    for m in _TEN_DIGITS_RE.finditer(text):
        raw = m.group(1)
        if re.search(r"[ .-]{2}", raw) or raw.startswith("0"):
            continue  # a leading 0 is a phone number's trunk prefix, left to phones()
        reason = (
            "NHS number (modulus 11 valid)"
            if is_valid_nhs_number(raw.replace(".", ""))
            else "NHS-number-like 10 digits"
        )
        out.append((m.start(1), m.end(1), "nhs_number", reason))
    return out


# --------------------------------------------------------------------------- phones
def phones(text: str) -> list[Hit]:
    """UK phone numbers in any format, and international numbers written with ``+``/``00``."""
    if not re.search(r"\d{3}", re.sub(r"[\s().-]", "", text)):
        return []
    import phonenumbers

    out = []
    matcher = phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE)
    for match in matcher:
        raw = match.raw_string
        before = text[max(0, match.start - 2) : match.start]
        if before[-1:].isalnum() or re.fullmatch(r"\d[.,]", before):
            continue  # "score 0.0123456789": a decimal, not a phone
        digits = re.sub(r"\D", "", raw.split("ext")[0].split("x")[0])
        national = raw.lstrip("( ").startswith("0") and not raw.startswith("00")
        international = raw.startswith(("+", "00"))
        if not (national or international) or len(digits) < 10:
            continue
        if not phonenumbers.is_possible_number(match.number):
            continue
        out.append((match.start, match.end, "phone", "telephone number"))
    return out


# --------------------------------------------------------------------------- references
_REF_KEYWORDS = (
    r"incident|crew|complaint|complaints|case|datix|ref|reference|referral|job|call|log|"
    r"ticket|claim|hospital|patient|mrn|rtx|cad|collar|badge|staff|employee|payroll|"
    r"vehicle|unit|callsign|call sign|pals|enquiry|query|order|account|record|file|"
    r"report|appointment|booking|nhs"
)
#: Keywords whose bare number (no "no"/"number"/"#") is still a reference.
_STRONG_REF = {"incident", "datix", "complaint", "complaints", "crew", "ref", "reference", "mrn",
               "rtx", "cad", "collar", "badge", "callsign", "call sign", "pals"}  # fmt: skip
_REF_RE = re.compile(
    r"(?i)(?<![\w-])(?P<key>" + _REF_KEYWORDS + r")(?:'s)?"
    r"(?P<marker>\s*(?:no\b\.?|nos\b\.?|num\b\.?|number|#|ref\b\.?|reference|id\b|code)"
    r"(?:\s*(?:no\b\.?|number))?|(?=no\d))?\s*(?:no(?=\d))?[:#=]?\s*"
    r"(?P<id>(?:[A-Z]{1,5}[-/ ]?)?\d[\dA-Z/-]*\d[A-Z]?|\d{3,}[A-Z]?)(?![\w])"
)


def references(text: str) -> list[Hit]:
    """Reference numbers after their keyword: incident, crew, complaint, case, MRN..."""
    out = []
    for m in _REF_RE.finditer(text):
        ident = m.group("id")
        n_digits = sum(c.isdigit() for c in ident)
        key = m.group("key").lower()
        marked = bool(m.group("marker")) or re.search(r"(?i)no\d", m.group(0)) is not None
        if n_digits < 3 or (not marked and (key not in _STRONG_REF or n_digits < 4)):
            continue
        if re.fullmatch(r"(19|20)\d\d", ident) and not marked:
            continue  # "complaint 2021": a year
        out.append((m.start("id"), m.end("id"), "reference", f"{key} reference number"))
    return out


# --------------------------------------------------------------------------- dates of birth
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_UNITS = r"one|two|three|four|five|six|seven|eight|nine"
_TEENS = r"ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
_TENS = r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_ORD = (
    r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
    r"thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|"
    r"thirtieth|thirty[- ]first"
)
_WORD_DAY = rf"(?:(?:twenty|thirty)[- ])?(?:{_ORD})|(?:{_TENS})[- ](?:{_UNITS})|{_TEENS}|{_UNITS}"
_WORD_NUM = rf"(?:(?:{_TENS})(?:[- ](?:{_UNITS}))?|{_TEENS}|{_UNITS}|hundred|thousand|oh|and)"
_WORD_YEAR = rf"(?:{_WORD_NUM})(?:[- ,]+(?:{_WORD_NUM}))*"
_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_WORD_DAY})"
_YEAR = rf"(?:(?:19|20)?\d\d|'\d\d|{_WORD_YEAR})"
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"  # 12/03/1950, 1.3.50
    rf"|(?:the\s+)?{_DAY}\s+(?:of\s+)?(?:{_MONTHS})\.?(?:,?\s+{_YEAR})?"  # 3rd March 1950
    rf"|(?:{_MONTHS})\.?\s+(?:the\s+)?{_DAY}(?:,?\s+{_YEAR})?"  # March 3rd, 1950
    rf"|(?:{_MONTHS})\.?\s+(?:19|20)\d\d"  # March 1950
    r"|(?:19|20)\d\d)"  # 1950
)
_BIRTH = (
    r"born|birth\s*date|date\s+of\s+birth|d\.?\s?o\.?\s?b\.?|birthday|b\.?day|"
    r"year\s+of\s+birth|yob"
)
_DOB_RE = re.compile(
    rf"(?i)(?<![\w])(?:{_BIRTH})(?:\s+(?:is|was|on|in|:|-|=|of)){{0,3}}\s*[:\-=]?\s*"
    rf"(?P<date>{_DATE})(?![\w/])"
)


def dates_of_birth(text: str) -> list[Hit]:
    """Dates (in figures or in words) after birth context; dates of service are kept."""
    return [
        (m.start("date"), m.end("date"), "date_of_birth", "date of birth")
        for m in _DOB_RE.finditer(text)
        if m.group("date").strip()
    ]


# --------------------------------------------------------------------------- ages
_WORD_AGE = r"(?:ninety|one hundred|a hundred|hundred)(?:[- ](?:and[- ])?(?:" + _UNITS + r"))?"
_AGE_NUM = r"(?:\d{2,3}|" + _WORD_AGE + r")"
_AGE_RE = re.compile(
    r"(?i)(?<![\w])(?:"
    rf"(?:aged|age|ages|age of|turned|turning|turns)\s*:?\s*(?P<a>{_AGE_NUM})(?![\w])"
    rf"|(?P<b>{_AGE_NUM})(?:\s*|-)(?:years?|yrs?|yr)(?:\s*|-)(?:old|of age)"
    rf"|(?P<c>{_AGE_NUM})\s*(?:y/?o|yo)(?![\w])"
    rf"|(?P<d>{_AGE_NUM})(?:th|st|nd|rd)\s+birthday"
    rf"|(?:he|she|they|mum|mom|dad|father|mother|nan|nana|gran|granny|grandad|grandpa|"
    rf"grandma|grandmother|grandfather|husband|wife|patient|who|and)(?:'s|’s|\s+is|\s+was|"
    rf"\s+being|\s+now|\s+turned|\s+nearly|\s+almost)\s+(?P<e>{_AGE_NUM})"
    rf"(?!\s*(?:%|percent|per|out|of|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|"
    rf"years?\s+(?!old)|mg|ml|kg|miles?|times|patients|people|beds|\.\d|[:/]\d))"
    r")"
)
_WORD_VALUES = {"ninety": 90, "hundred": 100, "one hundred": 100, "a hundred": 100}


def _age_value(raw: str) -> int:
    raw = raw.lower()
    if raw.isdigit():
        return int(raw)
    return max(v for k, v in _WORD_VALUES.items() if raw.startswith(k))


def ages(text: str) -> list[Hit]:
    """Ages of 90 and over, in age context (``aged 92``, ``93 years old``, ``94yo``)."""
    out = []
    for m in _AGE_RE.finditer(text):
        group = next(g for g in "abcde" if m.group(g))
        if _age_value(m.group(group)) >= 90 and _age_value(m.group(group)) < 130:
            out.append((m.start(group), m.end(group), "age", "age over 89"))
    return out

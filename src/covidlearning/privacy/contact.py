"""Recognisers for contact details: emails, web addresses, postcodes and street addresses.

Each function takes a text and returns ``(start, end, kind, reason)`` tuples; the
:class:`covidlearning.privacy.redact.Redactor` resolves overlaps.

- **Emails** (``email``): ``name@example.nhs.uk``, and spelled out in words
  (``jane dot smith at nhs dot net``, ``jsmith (at) nhs.net``, ``j [dot] smith [at]
  provider [dot] co [dot] uk``).
- **Web addresses** (``url``).
- **Postcodes** (``postcode``): full UK postcodes with a real postcode area, in any case
  and with any spacing (``SW1A 1AA``, ``sw1a1aa``, ``Sw1A  1aA``); the inward code's
  letters exclude C, I, K, M, O and V, as Royal Mail's do (so ``B12 5mg`` is not one).
- **Street addresses** (``address``): a house number and a street (``12 Acacia Avenue``,
  ``14b high street``), flat and apartment numbers (``Flat 3``), the street someone
  lives on (``lives on Acacia Avenue``), and a named house where it is a residence
  (``lives at Rose Cottage``).
"""

from __future__ import annotations

import re

Hit = tuple[int, int, str, str]

# --------------------------------------------------------------------------- emails, URLs
_EMAIL_RE = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+'-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![\w-])"
)
_TLDS = (
    "uk|com|org|net|gov|nhs|edu|ac|io|info|co|scot|wales|ie|eu|me|ly|tv|app|online|site|"
    "biz|us|de|fr|nl|au|ca|in|health"
)
_DOT = r"\s*(?:\.|\(dot\)|\[dot\]|\{dot\}|<dot>|\bdot\b)\s*"
_AT = r"\s*(?:@|\(at\)|\[at\]|\{at\}|<at>|\bat\b)\s*"
_LOCAL_WORD = r"[A-Za-z0-9][A-Za-z0-9_'%+-]*"
_SPELLED_EMAIL_RE = re.compile(
    rf"(?i)(?<![\w.@-])(?P<local>{_LOCAL_WORD}(?:(?:{_DOT}|\s*(?:_|\bunderscore\b)\s*)"
    rf"{_LOCAL_WORD}){{0,3}})"
    rf"(?P<at>{_AT})"
    rf"(?P<domain>[A-Za-z0-9][A-Za-z0-9-]*(?:{_DOT}[A-Za-z0-9][A-Za-z0-9-]*)*{_DOT}"
    rf"(?:{_TLDS}))(?![\w-])"
)
_URL_RE = re.compile(
    r"(?i)(?<![\w@.-])(?:(?:https?|ftp)://|www\.)[^\s<>\"'\]\[(){}]+"
    r"|(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:" + _TLDS + r")\b"
    r"(?:/[^\s<>\"'\]\[(){}]*)?(?![\w@-])"
)
#: Words before "at" that make "<word> at <domain>" a sentence, not an email address.
_NOT_LOCAL = frozenset(
    "work works worked working am is are was were be been look looking looked find found "
    "us me him her them it this that available online information info details more "
    "visit visited see seen contact contacted us".split()
)


def emails(text: str) -> list[Hit]:
    """Email addresses, written normally or spelled out with 'at' and 'dot'."""
    out = [(m.start(), m.end(), "email", "email address") for m in _EMAIL_RE.finditer(text)]
    for m in _SPELLED_EMAIL_RE.finditer(text):
        spelled = "@" not in m.group("at") or re.search(r"(?i)dot\b", m.group(0))
        if not spelled or m.group("local").lower() in _NOT_LOCAL:
            continue
        out.append((m.start(), m.end(), "email", "email address written in words"))
    return out


def urls(text: str) -> list[Hit]:
    """Web addresses (``https://...``, ``www...``, ``example.nhs.uk/x``)."""
    out = []
    for m in _URL_RE.finditer(text):
        s, e = m.start(), m.end()
        while e > s and text[e - 1] in ".,;:!?'\"":
            e -= 1
        if e - s >= 4:
            out.append((s, e, "url", "web address"))
    return out


# --------------------------------------------------------------------------- postcodes
_POSTCODE_AREAS = (
    "AB AL B BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL "
    "DN DT DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY "
    "L LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA "
    "SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV "
    "YO ZE"
).split()
_AREA = "|".join(sorted(_POSTCODE_AREAS, key=len, reverse=True))
_POSTCODE_RE = re.compile(
    r"(?i)(?<![\w-])(?P<out>(?:" + _AREA + r")\d[A-Z\d]?)[ \t\u00a0]{0,3}"
    r"(?P<in>\d[ABD-HJLNP-UW-Z]{2})(?![\w-])"
)
_ORDINAL_RE = re.compile(r"(?i)\d(?:st|nd|rd|th)")


def postcodes(text: str) -> list[Hit]:
    """Full UK postcodes in any case and spacing (not ``E1 2nd`` in lower case)."""
    out = []
    for m in _POSTCODE_RE.finditer(text):
        whole = m.group(0)
        if not whole.isupper() and _ORDINAL_RE.fullmatch(m.group("in")):
            continue  # "ward e1 2nd floor": an ordinal, not an inward code
        out.append((m.start(), m.end(), "postcode", "UK postcode"))
    return out


# --------------------------------------------------------------------------- addresses
#: Words that end a street's name. Those also common as ordinary words (close, way, view,
#: park...) count only when capitalised.
_STREET_PLAIN = (
    "street|road|lane|avenue|crescent|terrace|mews|gardens|grove|boulevard|drive|"
    "st|rd|ln|ave|cres|terr|gdns|dr"
)
_STREET_CAPITAL = (
    "Close|Way|Place|Court|Square|Row|Walk|Hill|Park|Rise|View|Green|Parade|Vale|Croft|"
    "Meadow|Meadows|Wynd|Gate|Chase|Fields|Park|End|Hollow|Brow|Bank|Side|Yard|Wharf|Quay|"
    "Approach|Circus|Mount|Heights|Ridge|Dale|Glen|Path|Passage|Wood|Grange|Estate"
)
_STREET_NAME = r"(?:[A-Za-z][A-Za-z'’-]*\.?[ \t]+){1,3}"
_HOUSE_NO = r"\d{1,4}[A-Za-z]?(?:[-–/]\d{1,4}[A-Za-z]?)?,?"
_ADDRESS_RE = re.compile(
    rf"(?<![\w£$.,/:-])(?P<no>{_HOUSE_NO})[ \t]+(?P<name>{_STREET_NAME})"
    rf"(?P<street>(?i:{_STREET_PLAIN})\b\.?|(?:{_STREET_CAPITAL})\b)"
)
#: Words between a number and a street word that make it a measure, not an address
#: ("a 2 hour drive", "3 long roads").
_MEASURE_WORDS = frozenset(
    """hour hours minute minutes min mins day days week weeks month months year years
    mile miles km metre metres meter meters yard yards lane lanes mg ml times time car cars
    bus buses different separate other more long short main busy quiet very of the a an and
    or to from in on at by for with ambulance ambulances police taxi taxis""".split()
)
_FLAT_RE = re.compile(
    r"(?i)(?<![\w-])(?:flat|apartment|apt|maisonette|unit)\.?[ \t]*(?:no\.?|number)?[ \t]*"
    r"\d{1,4}[A-Za-z]?(?![\w])"
)
_HOMES = (
    "Cottage|Farm|Barn|Lodge|House|Villa|Bungalow|Manor|Hall|Mill|Farmhouse|Rectory|"
    "Vicarage|Grange|Cottages|Mansions"
)
_LIVES_ON_RE = re.compile(
    r"(?<![\w-])(?i:live|lives|living|lived|stay|stays|staying|address is|"
    r"home is|home on|house on|home at)[ \t]+(?i:on|in|at|to|into)?[ \t]*(?i:the[ \t]+)?"
    r"(?P<addr>(?:[A-Z][A-Za-z'’-]+[ \t]+){1,3}"
    rf"(?:(?i:{_STREET_PLAIN})|{_STREET_CAPITAL})\b"
    rf"|(?:[A-Z][A-Za-z'’-]+[ \t]+){{1,2}}(?:{_HOMES})\b)"
)
_RESIDENCE_RE = re.compile(
    r"(?<![\w-])(?:[A-Z][a-z'’-]+[ \t]+){1,2}(?:Cottage|Farmhouse|Bungalow|Rectory|Vicarage|"
    r"Cottages|Mansions)\b"
)


def addresses(text: str) -> list[Hit]:
    """House number + street, flat numbers, the street someone lives on, named homes."""
    out = []
    for m in _ADDRESS_RE.finditer(text):
        words = [w.strip(".,").lower() for w in m.group("name").split()]
        if any(w in _MEASURE_WORDS for w in words) or any(w.isdigit() for w in words):
            continue
        street = m.group("street")
        plain = street[:1].islower()
        if plain and not any(w[:1].isupper() for w in m.group("name").split()):
            # all lower case ("12 acacia avenue"): only the unambiguous street words
            if street.lower().rstrip(".") in {"st", "dr", "ln", "rd"}:
                continue
        out.append((m.start(), m.end(), "address", "house number and street"))
    out += [(m.start(), m.end(), "address", "flat number") for m in _FLAT_RE.finditer(text)]
    for m in _LIVES_ON_RE.finditer(text):
        out.append((m.start("addr"), m.end("addr"), "address", "street or home lived at"))
    for m in _RESIDENCE_RE.finditer(text):
        out.append((m.start(), m.end(), "address", "named residence"))
    return out

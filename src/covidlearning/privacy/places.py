"""Recognisers for places in a hospital or a town: wards, bays, beds, named hospitals.

Each function takes a text and returns ``(start, end, kind, reason)`` tuples; the
:class:`covidlearning.privacy.redact.Redactor` resolves overlaps.

- **Ward, bay and bed identifiers** (``ward_bed``): ``Ward 7``, ``ward B2``, ``Bay 3 Bed
  4``, ``bed 12``, ``Side room 2``, and wards by name: ``Rowan Ward``, ``Blue Ward``, a
  ward named after a person (``Florence Nightingale Ward``), also written ``rowan ward``.
  Generic wards (``the Covid ward``, ``Acute Medical Unit``, ``red ward`` as a zone) are kept.
- **Named places** (``place``): hospitals, hospices, surgeries and buildings with a proper
  name (``St Thomas' Hospital``, ``Whiston Hospital``, ``Bevan House``), including those
  named after people. They are places, never ``[NAME]``: kept as written or replaced by
  ``[PLACE]`` as ``redaction.places`` says. Generic ones (``the General Hospital``,
  ``the Children's Hospital``) are kept.
- :func:`place_spans` also gives the spans of such names, so the name rules can leave
  them alone, and :func:`locative_place` says whether a capitalised word after ``in``,
  ``near``... (``lives in Shirley``) is a town rather than a person.
"""

from __future__ import annotations

import functools
import re

from covidlearning.nlp.names import is_name_word, name_lists

Hit = tuple[int, int, str, str]

#: "Ward 7", "ward B2", "bay C", "Bay4"; never a lone "I" ("in bed I slept"), and a
#: letter only after a space or mark, so the plural of an upper-case word ("WARDS",
#: "BEDS") is not a ward called S.
_WARD_ID = r"(?:\d{1,3}[A-Za-z]?|(?<![A-Za-z])(?!I(?![\w-]))[A-Z]{1,2}\d{0,2}[A-Z]?)"
#: "ward seven", "Bay Three": numbers in words, after ward or bay only.
_WORD_WARD_RE = re.compile(
    r"(?i)(?<![\w-])(?:ward|bay)[ \t]+(?:one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|"
    r"thirty|forty)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?(?![\w-])"
)
_WARD_WORDS = r"ward|bay|bed|room|cubicle|side[ -]room|theatre|pod|bedspace|bed space|cot|cubicle"
_WARD_RE = re.compile(
    r"(?<![\w-])(?:(?i:" + _WARD_WORDS + r")"
    r"[ \t\u00a0]{0,2}(?i:no\.?|number|#)?[ \t\u00a0]{0,2}" + _WARD_ID + r"(?![\w-])"
    r"(?:[ \t,/&-]{1,3}(?i:ward|bay|bed|room|cubicle|side[ -]room|pod)[ \t\u00a0]{0,2}"
    + _WARD_ID
    + r"(?![\w-]))*)"
)
_NAMED_WARD_RE = re.compile(
    r"(?<![\w-])(?P<name>(?:[A-Z][a-z'’-]+[ \t]){1,3})(?P<ward>Ward|Unit|Wing|ward)(?![\w-])"
)
_LOWER_WARD_RE = re.compile(
    r"(?<![\w-])(?:(?P<prep>on|to|from|in|onto|into|at|off|left|discharged from)[ \t]+)?"
    r"(?P<name>[a-z][a-z'’-]+) (?P<ward>ward)(?![\w-])"
)
#: Words that, without an article, still name a kind of ward ("on labour ward").
_NOT_WARD_NAME = frozenset(
    "one two three another any every each same other different next this that which what "
    "whole entire busy quiet".split()
)
#: Words naming a kind of ward, not a particular one.
GENERIC_WARD_WORDS = frozenset(
    """Covid COVID General Maternity Surgical Medical Children's Childrens Hot Cold Virtual
    Intensive Critical Care Acute Assessment Admissions Day Respiratory Stroke Elderly Mental
    Health Isolation Private Same Emergency Short Stay Dialysis Renal Cardiac Coronary
    Neonatal Labour Birth Birthing Orthopaedic The Our My Every Each This That A An Other New
    Old Main High Dependency Medicine Surgery Oncology Haematology Paediatric Discharge Lounge
    Infectious Diseases Observation Rehabilitation Rehab Community Palliative Hospice Trust
    Hospital NHS Treatment Imaging Research Training Education Recovery Theatre Theatres
    Endoscopy Outpatient Outpatients Inpatient Ambulatory Urgent Minor Injuries Older People's
    Adult Adults Women's Young Learning Disability Liaison Crisis Home Team Teams Great Good
    Best Whole Entire Clean Dirty Positive Negative Surge Escalation Elective Postnatal
    Antenatal Gynaecology Trauma Burns Plastics Spinal Neuro Neurology Cardiology Gastro
    Urology Medicine's Frailty Geriatric Geriatrics Acute Medical Unit Ward Wing Side
    Female Male Mixed Ladies Men's Gents Single Side""".split()
)
#: Colours name zones in COVID-19 hospitals ("the red ward"); capitalised with
#: ``Ward`` they name a particular ward ("Blue Ward").
COLOURS = frozenset("Red Green Amber Blue Yellow".split())

_PLACE_WORDS = (
    r"Hospital|Hospitals|Infirmary|Hospice|House|Centre|Center|Building|Clinic|Surgery|"
    r"Practice|Medical Centre|Health Centre|Court|Lodge|Pavilion|Block|Wing|Annexe|Annex|"
    r"Home|Care Home|Nursing Home"
)
_PLACE_RE = re.compile(
    r"(?<![\w-])(?P<name>(?:(?:St\.?|Saint)[ \t]+)?(?:[A-Z][A-Za-z'’-]*[ \t]+){1,4})"
    r"(?P<kind>" + _PLACE_WORDS + r")(?![\w-])"
)
_GENERIC_PLACE = frozenset("Royal University District County City Cottage Care Nursing".split())
#: Place words after which any capitalised name is a particular building ("Nightingale
#: House", "Royal Free Hospital"); others ("Leg Clinic") need a proper name in it.
_BUILDINGS = frozenset(
    "Hospital Hospitals Infirmary Hospice House Building Court Lodge Pavilion Block Annexe "
    "Annex".split()
)
_LOCATIVE_RE = re.compile(
    r"(?i)\b(?:in|near|outside|around|across|nr|towards|(?:drive|drove|driving|driven|"
    r"travel|travelled|travelling|move|moved|moving|go|goes|went|going|trip|journey|bus|"
    r"train|transferred|sent|miles|way|all the way)\s+(?:to|from))\s+$"
)


@functools.cache
def _function_words() -> frozenset[str]:
    """English function words (scikit-learn's stop words): never the name of a ward."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def wards(text: str) -> list[Hit]:
    """Ward, bay, bed and room identifiers, and wards by name."""
    lists = name_lists()
    common = lists["common_words"]
    out = []
    for m in _WARD_RE.finditer(text):
        out.append((m.start(), m.end(), "ward_bed", "ward, bay, bed or room identifier"))
    for m in _WORD_WARD_RE.finditer(text):
        out.append((m.start(), m.end(), "ward_bed", "ward or bay number in words"))
    for m in _NAMED_WARD_RE.finditer(text):
        words = m.group("name").split()
        # keep the words nearest "Ward" that are not generic: "the Rowan Ward" -> Rowan
        keep: list[str] = []
        for w in reversed(words):
            bare = w.removesuffix("'s").removesuffix("’s")
            if w in GENERIC_WARD_WORDS or bare in GENERIC_WARD_WORDS:
                break
            if bare in COLOURS and m.group("ward") == "ward":
                break  # "Red ward": a zone
            if bare.lower() in common and bare not in COLOURS and not is_name_word(bare):
                if not keep or not (bare in lists["given_names"] or bare in lists["surnames"]):
                    break
            keep.insert(0, w)
        if not keep:
            continue
        start = m.end("name") - len(" ".join(keep)) - 1
        out.append((start, m.end(), "ward_bed", "named ward"))
    for m in _LOWER_WARD_RE.finditer(text):
        # "rowan ward" (a listed name) anywhere; "on beech ward" (a preposition and no
        # article) for any word that does not name a kind of ward
        word = m.group("name")
        generic = (
            word.title() in GENERIC_WARD_WORDS
            or word in _NOT_WARD_NAME
            or word in _function_words()  # "to his ward", "need to per ward"
        )
        if word.title() in COLOURS:
            continue  # "the red ward": a zone
        if not generic and (is_name_word(word) or m.group("prep")):
            out.append((m.start("name"), m.end(), "ward_bed", "named ward"))
    return out


def place_spans(text: str) -> list[Hit]:
    """Hospitals, hospices, surgeries and buildings with a proper name (not generic ones)."""
    out = []
    for m in _PLACE_RE.finditer(text):
        words = m.group("name").split()
        # drop leading words that are not part of the name ("Thanks to the Royal ...")
        while words and (words[0].lower() in {"the", "a", "an", "our", "my", "at", "to", "in"}):
            words = words[1:]
        while words and words[0] in {"Thanks", "Thank", "At", "In", "To", "From", "And", "But"}:
            words = words[1:]
        if not words:
            continue
        bare = [w.rstrip("'’").removesuffix("'s").removesuffix("’s") for w in words]
        if all(
            w in GENERIC_WARD_WORDS or b in GENERIC_WARD_WORDS or b in _GENERIC_PLACE
            for w, b in zip(words, bare, strict=True)
        ):
            continue
        lists = name_lists()
        proper = [
            w
            for w in bare
            if w not in {"St", "St.", "Saint"}
            and (
                w.lower() not in lists["english_words"]
                or w in lists["given_names"]
                or w in lists["surnames"]
            )
        ]
        building = m.group("kind") in _BUILDINGS
        if not proper and not building and bare[0] not in {"St", "St.", "Saint"}:
            continue  # "the Leg Clinic", "Royal Free Hospital": no proper name in it
        start = m.end("name") - len(" ".join(words)) - 1
        kind = m.group("kind")
        if kind == "Home" and words[-1] not in {"Care", "Nursing"}:
            if not any(is_name_word(w) for w in bare):
                continue  # "Feel at Home", "the Home": not a named care home
        out.append((start, m.end(), "place", f"named {kind.lower()}"))
    return out


def locative_place(text: str, start: int) -> bool:
    """True if the word at ``start`` follows ``in``, ``near``... : a town, not a person."""
    return _LOCATIVE_RE.search(text[max(0, start - 30) : start]) is not None

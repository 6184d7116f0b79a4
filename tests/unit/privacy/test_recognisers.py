"""One test per recogniser (issue 20): what each finds, and the decoys it must leave alone."""

from __future__ import annotations

import json

import pytest

from covidlearning.config import RedactionConfig
from covidlearning.errors import IdentifierLeak
from covidlearning.nlp.names import is_name_like, is_name_word
from covidlearning.privacy import contact, numbers, places
from covidlearning.privacy.redact import Redactor, check_dir, scan_dir


@pytest.fixture(scope="module")
def r() -> Redactor:
    return Redactor(RedactionConfig())


def _kinds(r: Redactor, text: str) -> dict[str, str]:
    return {text[s.start : s.end]: s.kind for s in r.find(text)}


# ---------------------------------------------------------------- names
@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("sarah okafor looked after my dad", "sarah okafor"),
        ("Anne-Marie Smith-Jones explained everything", "Anne-Marie Smith-Jones"),
        ("anne-marie smith-jones explained everything", "anne-marie smith-jones"),
        ("Dr van der Berg took time to listen", "van der Berg"),
        ("dr de souza took time to listen", "de souza"),
        ("Sister O'Neill sorted the pain relief", "O'Neill"),
        ("Mrs o'connor was lovely", "o'connor"),
        ("DR KHAN NEVER CAME BACK", "KHAN"),
        ("dr okonkwo was great", "okonkwo"),
        ("nurse jones was kind", "jones"),
    ],
)
def test_names_in_any_case_with_hyphens_particles_apostrophes(r, text, name):
    found = _kinds(r, text)
    assert found.get(name) == "name", found
    assert name not in r.redact(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("The nurse called jo made all the difference.", "jo"),
        ("Dave the porter stayed late.", "Dave"),
        ("Our HCA, Priya, could not have been kinder.", "Priya"),
        ("a paramedic named Kwame Mensah", "Kwame Mensah"),
    ],
)
def test_staff_named_with_their_role(r, text, name):
    out = r.redact(text)
    assert name not in out and "[NAME]" in out, out


def test_titles_and_roles_stay_readable(r):
    assert r.redact("Dr van der Berg and Sister O'Neill") == "Dr [NAME] and Sister [NAME]"


# ---------------------------------------------------------------- places are not people
@pytest.mark.parametrize(
    "place", ["St Thomas' Hospital", "Bevan House", "Whiston Hospital", "Nightingale House"]
)
def test_places_named_after_people_are_places_not_names(place):
    text = f"I was moved to {place} last week."
    redact = Redactor(RedactionConfig(places="redact"))
    keep = Redactor(RedactionConfig(places="keep"))
    assert redact.redact(text) == "I was moved to [PLACE] last week."
    assert keep.redact(text) == text


def test_generic_places_and_towns_are_kept(r):
    for text in (
        "The General Hospital and the Children's Hospital were fine.",
        "We live in Shirley and drive to Beverley for appointments.",
        "The leg clinic was quick.",
    ):
        assert r.redact(text) == text


# ---------------------------------------------------------------- addresses and postcodes
@pytest.mark.parametrize(
    "addr",
    ["12 Acacia Avenue", "14b high street", "Flat 3", "221B Baker Street", "7 Mill Lane"],
)
def test_street_addresses(addr):
    hits = contact.addresses(f"Transport never came to {addr} so I missed it.")
    assert [(h[2]) for h in hits] == ["address"]


def test_named_residence_and_street_lived_on():
    for text, what in (
        ("My mum lives at Rose Cottage on her own.", "Rose Cottage"),
        ("We live on Station Road near the park.", "Station Road"),
    ):
        found = [text[s:e] for s, e, *_ in contact.addresses(text)]
        assert what in found, found


@pytest.mark.parametrize(
    "text", ["a 2 hour drive", "3 different roads", "took 2 long walks", "ward 4 was busy"]
)
def test_measures_are_not_addresses(text):
    assert contact.addresses(text) == []


@pytest.mark.parametrize("pc", ["SW1A 1AA", "sw1a1aa", "Ls1  4ab", "m14 5rx", "B15 2TT"])
def test_postcodes_any_case_or_spacing(pc):
    assert [h[2] for h in contact.postcodes(f"we are at {pc} now")] == ["postcode"]


@pytest.mark.parametrize("text", ["ward e1 2nd floor", "gave B12 5mg", "the M1 was closed"])
def test_postcode_decoys(text):
    assert contact.postcodes(text) == []


# ---------------------------------------------------------------- phones, emails
@pytest.mark.parametrize(
    "phone",
    ["07700 900123", "07700900123", "+44 7700 900123", "(0161) 496 0123", "020-7946-0123",
     "0044 113 496 0123", "07700.900.123", "+44(0)1632 960123"],
)  # fmt: skip
def test_phones_every_uk_format(phone):
    hits = numbers.phones(f"Nobody answered {phone} for days.")
    assert len(hits) == 1 and hits[0][2] == "phone"


@pytest.mark.parametrize(
    "text", ["999 and 111", "at 14:30 on 12/03/2021", "score 0.0123456789", "1000 patients"]
)
def test_phone_decoys(text):
    assert numbers.phones(text) == []


@pytest.mark.parametrize(
    "email",
    ["jane.smith@nhs.net", "jane dot smith at nhs dot net", "jsmith (at) example dot co dot uk",
     "jane.smith at gmail.com", "j_smith[at]example[dot]org"],
)  # fmt: skip
def test_emails_including_spelled_out(r, email):
    text = f"I emailed {email} twice."
    assert r.redact(text) == "I emailed [EMAIL] twice."


def test_sentences_with_at_are_not_emails(r):
    assert contact.emails("I work at the hospital dot com-style place") == []
    assert contact.emails("We met at home. Dot was there") == []


# ---------------------------------------------------------------- numbers
@pytest.mark.parametrize("num", ["9434765919", "943 476 5919", "943-476-5918", "4982597919"])
def test_nhs_number_like_valid_or_not(num):
    hits = numbers.nhs_numbers(f"the letter had {num} on it")
    assert [h[2] for h in hits] == ["nhs_number"]


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("Incident no 12345678 was closed", "12345678"),
        ("crew no1234 attended", "1234"),
        ("complaint reference CMP-22314 ignored", "CMP-22314"),
        ("case number 445566 still open", "445566"),
        ("Datix 98765 raised", "98765"),
        ("hospital number K123456 on the band", "K123456"),
    ],
)
def test_reference_numbers(text, ref):
    found = [text[s:e] for s, e, *_ in numbers.references(text)]
    assert found == [ref]


@pytest.mark.parametrize(
    "text", ["In case 300 people turn up", "complaint 2021 was slow", "call 5 times"]
)
def test_reference_decoys(text):
    assert numbers.references(text) == []


@pytest.mark.parametrize(
    "dob",
    ["12/03/1950", "3rd March 1950", "the twelfth of May nineteen fifty", "March 3, 1950",
     "1932"],
)  # fmt: skip
def test_dates_of_birth_with_birth_context(dob):
    for ctx in ("born on", "DOB:", "date of birth"):
        hits = numbers.dates_of_birth(f"My father, {ctx} {dob}, waited.")
        assert [h[2] for h in hits] == ["date_of_birth"], ctx


def test_dates_of_service_are_kept(r):
    for text in ("I was seen on 12 March 2021.", "My appointment on 3/4/2021 was cancelled."):
        assert r.redact(text) == text


@pytest.mark.parametrize(
    "text", ["aged 92", "93 years old", "a 94-year-old lady", "ninety-four years old", "97yo"]
)
def test_ages_over_89(text):
    assert [h[2] for h in numbers.ages(text)] == ["age"]


def test_ages_up_to_89_and_durations_are_kept():
    for text in ("aged 89", "85 years old", "waited 95 minutes", "90 days"):
        assert numbers.ages(text) == []


# ---------------------------------------------------------------- wards
@pytest.mark.parametrize(
    "ward",
    ["Ward 7", "Rowan Ward", "Blue Ward", "Florence Nightingale Ward", "Bay 3 Bed 4",
     "rowan ward"],
)  # fmt: skip
def test_wards_bays_beds(ward):
    text = f"The staff on {ward} were great."
    found = [text[s:e] for s, e, *_ in places.wards(text)]
    assert found == [ward], found


def test_generic_wards_are_kept(r):
    for text in ("The covid ward was busy.", "the red ward and the Acute Medical Unit",
                 "in bed I slept badly"):  # fmt: skip
        assert r.redact(text) == text


def test_a_function_word_before_ward_is_not_its_name(r):
    for text in ("we need to per ward or two wards", "went back to his ward", "sent to her ward"):
        assert places.wards(text) == [], text
    assert r.redact("moved to beech ward") == "moved to [WARD/BED]"


def test_upper_case_plurals_are_not_wards(r):
    text = "THE WIFI ON THE WARDS NEEDS SORTING; MORE BEDS AND BAYS PLEASE."
    assert r.redact(text) == text
    for ward in ("WARD B", "Bay4", "bed 12", "ward no. C2"):
        assert r.redact(f"I was on {ward} overnight") != f"I was on {ward} overnight", ward


# ---------------------------------------------------------------- decoys end to end
def test_decoys_survive(r):
    for text in (
        "They gave me 500mg of morphine at 14:30.",
        "There were 120 people in the waiting room for 10 hours.",
        "Around 1 in 3 staff were off; I rang 999.",
        "Ward round at 9am, 2 paracetamol every 4 hours.",
    ):
        assert r.redact(text) == text


# ---------------------------------------------------------------- names as vocabulary
def test_name_like_terms():
    assert is_name_like("jane") and is_name_like("dr okafor") and is_name_like("anne-marie")
    assert not is_name_like("care") and not is_name_like("grace") and not is_name_like("ward")
    assert is_name_word("O'NEILL") is is_name_word("o'neill")


# ---------------------------------------------------------------- the guard
def test_guard_message_names_file_and_kind_never_the_identifier(tmp_path):
    rep = tmp_path / "rep"
    (rep / "model").mkdir(parents=True)
    (rep / "quotes.csv").write_text("quote\nborn on 3 March 1950 and lives at 12 Acacia Avenue\n")
    (rep / "model" / "ctfidf_config.json").write_text(
        json.dumps({"vectorizer_model": {"vocab": {"discharge": 0, "okafor": 1}}})
    )
    kinds = {(f.path.split("/")[-1], f.kind) for f in scan_dir(rep)}
    assert ("quotes.csv", "date_of_birth") in kinds and ("quotes.csv", "address") in kinds
    assert ("ctfidf_config.json", "name") in kinds
    with pytest.raises(IdentifierLeak) as exc:
        check_dir(rep)
    msg = str(exc.value)
    assert "\n" not in msg and "quotes.csv" in msg and "ctfidf_config.json" in msg
    assert "date of birth" in msg and "street address" in msg and "personal name" in msg
    for secret in ("1950", "Acacia", "okafor", "March"):
        assert secret.lower() not in msg.lower()


def test_lower_case_names_after_thanks(r):
    assert r.redact("thank you sarah and jo for everything") == (
        "thank you [NAME] and [NAME] for everything"
    )
    for text in ("thanks van driver", "thank you nurses", "Thanks again everyone"):
        assert r.redact(text) == text


def test_ward_numbers_in_words():
    text = "on ward seven and bay three"
    assert [text[s:e] for s, e, *_ in places.wards(text)] == ["ward seven", "bay three"]


def test_ages_after_a_person_without_years_old():
    for text in ("he is ninety six and they left him", "my mum is 96 and was left", "she's 91"):
        assert [h[2] for h in numbers.ages(text)] == ["age"], text
    for text in ("the wait is 95 minutes", "the patient was 90 percent", "he is 95.5 kg"):
        assert numbers.ages(text) == [], text

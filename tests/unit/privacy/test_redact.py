"""Redaction of personal identifiers, and the final guard over report folders."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pandas as pd
import pytest

from covidlearning.config import RedactionConfig
from covidlearning.privacy.redact import (
    IdentifierLeak,
    Redactor,
    check_dir,
    is_name_like,
    is_valid_nhs_number,
    redact_frame,
    scan_dir,
    strip_placeholders,
)


# ---------------------------------------------------------------- independent modulus 11
def mod11_ok(number: str) -> bool:
    """NHS check digit, written independently of the package (NHS Data Dictionary)."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) != 10:
        return False
    remainder = sum((10 - i) * d for i, d in enumerate(digits[:9])) % 11
    check = (11 - remainder) % 11
    return check != 10 and check == digits[9]


def make_numbers(seed: int, n: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    good, bad = [], []
    while len(good) < n or len(bad) < n:
        s = str(rng.randrange(1, 10)) + "".join(str(rng.randrange(10)) for _ in range(9))
        if len(set(s)) == 1:
            continue
        (good if mod11_ok(s) else bad).append(s)
    return good[:n], bad[:n]


@pytest.fixture(scope="module")
def r() -> Redactor:
    return Redactor(RedactionConfig())


def test_independent_mod11_agrees_with_known_examples():
    assert mod11_ok("9434765919")  # the NHS's own published example
    assert mod11_ok("4010232137")
    assert not mod11_ok("9434765918")
    assert not mod11_ok("9434765910")


def test_nhs_check_matches_independent_implementation():
    good, bad = make_numbers(1, 300)
    assert all(is_valid_nhs_number(g) for g in good)
    assert not any(is_valid_nhs_number(b) for b in bad)


@pytest.mark.parametrize("fmt", ["{a}{b}{c}", "{a} {b} {c}", "{a}-{b}-{c}"])
def test_valid_nhs_numbers_redacted_in_every_layout(r, fmt):
    good, _ = make_numbers(2, 60)
    for g in good:
        num = fmt.format(a=g[:3], b=g[3:6], c=g[6:])
        for text in (f"My NHS number is {num}.", f"{num} was on the letter", f"(NHS no: {num})"):
            out = r.redact(text)
            assert num not in out and "[NHS NUMBER]" in out, (text, out)


def test_ten_digit_numbers_failing_the_check_are_still_redacted(r):
    """A mistyped NHS number is still the patient's: the check digit does not decide."""
    _, bad = make_numbers(3, 200)
    for b in bad:
        for text in (
            f"My NHS number is {b}.",
            f"nhs no {b[:3]} {b[3:6]} {b[6:]}",
            f"number {b[:3]}-{b[3:6]}-{b[6:]} on the letter",
        ):
            out = r.redact(text)
            assert not re.search(r"\d{3}", out) and "[NHS NUMBER]" in out, (text, out)


def test_digits_inside_longer_tokens_are_not_nhs_numbers(r):
    good, _ = make_numbers(4, 5)
    g = good[0]
    for text in (f"1{g}", f"{g}1", f"0.{g}", f"abc{g}def", f"sha:{g}ff0", f"{g}.25"):
        assert "[NHS NUMBER]" not in r.redact(text), text


@pytest.mark.parametrize(
    "phone",
    [
        "07700 900123",
        "07700900123",
        "07700 900 123",
        "+44 7700 900123",
        "+447700900123",
        "+44 (0)20 7946 0958",
        "+44(0)1632 960662",
        "020 7946 0958",
        "0113 496 0000",
        "(0131) 496 0337",
        "(01632) 960123",
        "01632 960123",
        "0117-496-0123",
        "0800 123 4567",
        "0800 1234567",
        "+44289018124",
        "0044 20 7946 0958",
        "0289018966",
        "0909 879 0027",
        "(07700)900123",
        "+44(0)1134960000",
    ],
)
def test_uk_phone_numbers_redacted(r, phone):
    for text in (f"Ring me on {phone}.", f"{phone} any time", f"phone: {phone}, thanks"):
        out = r.redact(text)
        assert "[PHONE]" in out and phone.strip("()") not in out, (text, out)


@pytest.mark.parametrize(
    "text",
    [
        "Seen on 15/03/2020 at 14:30",
        "Started 2020-03-15 and ended 2021-12-31",
        "0.5 of staff said so",
        "1,234,567 appointments",
        "version 2.13.0",
        "a 12345 number",
        "year 2020 and 2021",
        "score 0.0123456789",
        "ratio 01234567",
    ],
)
def test_numbers_that_are_not_phones(r, text):
    assert r.redact(text) == text


@pytest.mark.parametrize(
    "email",
    ["jane.doe@nhs.net", "j_smith99@example.nhs.uk", "First.Last+tag@Example.COM", "a.b@x.org"],
)
def test_emails_redacted(r, email):
    out = r.redact(f"Email {email}, or not.")
    assert out == "Email [EMAIL], or not."


@pytest.mark.parametrize("text", ["Say hi @team on Twitter", "a@b", "x @ y.com", "price @ 5"])
def test_not_emails(r, text):
    assert "[EMAIL]" not in r.redact(text)


@pytest.mark.parametrize(
    "pc",
    [
        "SW1A 1AA",
        "M1 1AE",
        "B33 8TH",
        "CR2 6XH",
        "DN55 1PT",
        "EC1A 1BB",
        "W1A 0AX",
        "LS1 4AP",
        "ls1 4ap",
        "SW1A1AA",
        "E41 7UR",
    ],
)
def test_postcodes_redacted(r, pc):
    out = r.redact(f"I live at {pc}, near the hospital")
    assert out == "I live at [POSTCODE], near the hospital"


@pytest.mark.parametrize(
    "text",
    [
        "COVID 19 changed everything",
        "NHS 111 was busy",
        "Q1 2021 was hard",
        "wave 2 in 2021",
        "PPE 2NA",
        "Band 5 and Band 6 nurses",
        "ZZ1 1AA is not a real area",
    ],
)
def test_not_postcodes(r, text):
    assert "[POSTCODE]" not in r.redact(text)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.example-trust.nhs.uk/covid/lessons",
        "http://example.org/page?id=3&x=y",
        "www.staff-voice.example.com",
        "example.nhs.uk/keep",
        "https://t.co/eNmrxT2NUE",
    ],
)
def test_urls_redacted(r, url):
    out = r.redact(f"See {url}. More soon")
    assert out == "See [URL]. More soon"


@pytest.mark.parametrize("text", ["e.g. this", "i.e. that", "3.5 hours", "Mr. Jones"[0:3]])
def test_not_urls(r, text):
    assert "[URL]" not in r.redact(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr Smith was great", "Dr [NAME] was great"),
        ("Dr. Smith was great", "Dr. [NAME] was great"),
        ("Thanks Sister Jones.", "Thanks Sister [NAME]."),
        ("nurse Patel helped", "nurse [NAME] helped"),
        ("Mrs O'Brien-Jones said", "Mrs [NAME] said"),
        ("Prof Dixon-Woods spoke", "Prof [NAME] spoke"),
        ("dr patel was kind", "dr [NAME] was kind"),
        ("Dr J. Smith and Dr K", "Dr [NAME] and Dr [NAME]"),
        ("Matron Kaur walked the wards", "Matron [NAME] walked the wards"),
        ("Mr McDonald's team", "Mr [NAME]'s team"),
        ("Sarah Thompson organised it", "[NAME] organised it"),
        ("Huge thanks to Mohammed Ali.", "Huge thanks to [NAME]."),
        ("Will Smith and Mark Baker", "[NAME] and [NAME]"),
        ("Sarah's idea was best", "[NAME]'s idea was best"),
        ("Priya was amazing", "[NAME] was amazing"),
        ("Amira Hughes ran the hub", "[NAME] ran the hub"),
        ("Mary Anne Fitzgerald led it", "[NAME] led it"),
        ("Ring Maurice Hill, any time", "Ring [NAME], any time"),
        ("Victor Webb-Morris helped", "[NAME] helped"),
        ("Thanks Leon McCrudden-McGrory!", "Thanks [NAME]!"),
        ("the nurse, Cal Ó Corra, said", "the nurse, [NAME], said"),
        ("Anna van der Berg rang", "[NAME] rang"),
        ("Please contact Barbara Green.", "Please contact [NAME]."),
        ("Jeremy Lane was kind", "[NAME] was kind"),
        ("DR SMITH WAS GREAT", "DR [NAME] WAS GREAT"),
        ("THANKS TO SARAH THOMPSON", "THANKS TO [NAME]"),
        # every adjacent pair of capitals is tried, not only every other one
        ("HUGE THANKS TO CHLOE OSEI IN OUR TEAM", "HUGE THANKS TO [NAME] IN OUR TEAM"),
        ("Charge Nurse Okafor and Staff Nurse Jones", "Charge Nurse [NAME] and Staff Nurse [NAME]"),
        # a title takes given, middle and surnames, and stops at a common word
        ("Sister Mary Ann Smith helped", "Sister [NAME] helped"),
        ("Staff Nurse Emily Rose Clarke was kind", "Staff Nurse [NAME] was kind"),
        ("Dr Ahmed Khan Patel and Nurse Jones Excellent", "Dr [NAME] and Nurse [NAME] Excellent"),
        ("Dr Smith Great care", "Dr [NAME] Great care"),
        # a third word only when it is a surname or no English word
        ("Dr Sarah Ward Monday morning", "[WARD/BED] Monday morning"),
        # a name reaching past a ward keeps its rest: the surname is not left behind
        ("Nurse Rowan Ward Jones was lovely", "Nurse [WARD/BED] [NAME] was lovely"),
        # a cut word starting like an earlier name word cuts at its own place
        ("Dr Ali Greatrex Great doctor.", "Dr [NAME] Great doctor."),
        ("Dr Anne Carefoot Care was great.", "Dr [NAME] Care was great."),
        # five or six name words: none is left behind
        ("Dr Ahmed Ali Khan Hussain Rahman treated me.", "Dr [NAME] treated me."),
        ("Dr Nkem Okafor Nwosu Obi Eze said", "Dr [NAME] said"),
        # a common word after two names is no third name, even when a surname too
        ("Dr Sam Jones Long waits", "Dr [NAME] Long waits"),
        ("Dr Sarah Jones Best care ever", "Dr [NAME] Best care ever"),
        ("Nurse Ann Lee Hope you are well", "Nurse [NAME] Hope you are well"),
        # a common word that is also a surname, before any surname came: a surname
        ("Dr Anna Marie Long was kind.", "Dr [NAME] was kind."),
        ("Sister Mary Jane Hope helped.", "Sister [NAME] helped."),
        # initials written together, and particles, go with the name
        ("Dr J.R. Smith was kind.", "Dr [NAME] was kind."),
        ("Dr JR Smith helped.", "Dr [NAME] helped."),
        ("Dr Maria de Souza Santos came", "Dr [NAME] came"),
        ("Dr Anna van der Berg Smith came", "Dr [NAME] came"),
        # in capitals or lower case, the further name words too
        ("DR ANNA SMITH JONES WAS KIND", "DR [NAME] WAS KIND"),
        ("dr patel khan came", "dr [NAME] came"),
        ("dr okonkwo adeyemi said", "dr [NAME] said"),
    ],
)
def test_names_redacted(r, text, expected):
    assert r.redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Great Teams working together",
        "Microsoft Teams meetings were good",
        "Will we keep this? Hope so.",
        "Grace period for parking",
        "Nurse Practitioner roles grew",
        "The Ward Sister was supportive",
        "Staff Nurse posts",
        "the lady I spoke to",
        "Queen Elizabeth Hospital",
        "North West and Northern Ireland",
        "St Luke's Hospice",
        "Dr requested a scan",
        "NHS England guidance",
        "Royal Infirmary staff",
        "Virtual Wards worked",
        "May was a hard month",
        "Video Consultations and Remote Working",
        "Flexible Working Policy",
        "Healthwatch England said",
        "Sarah Hospital Trust",
        "Long-Term Plan",
        "We Will Care",
        "THE NHS WAS GREAT",
        "PPE AND COVID WARDS",
        "DR SAID NO",
        "SOME OF US WERE REDEPLOYED",
        "THEY WILL CARE FOR YOU",
        "MAY BE BETTER",
        "Marie Curie nurses were amazing",
        "Captain Tom raised money",
        "Matt Hancock said",
        "published by London South Bank University",
        "at George Eliot Hospital",
        "the John Radcliffe Hospital",
        "Kent County Council",
    ],
)
def test_not_names(r, text):
    assert "[NAME]" not in r.redact(text), r.redact(text)


def test_lone_given_names_can_be_switched_off():
    r = Redactor(RedactionConfig(lone_given_names=False))
    assert r.redact("Priya was amazing") == "Priya was amazing"
    assert r.redact("Priya Sharma was amazing") == "[NAME] was amazing"


def test_names_off_keeps_names_but_not_numbers():
    r = Redactor(RedactionConfig(names=False))
    assert r.redact("Dr Smith on 07700 900123") == "Dr Smith on [PHONE]"


def test_extra_names_and_allow():
    r = Redactor(RedactionConfig(extra_names=["Zebedee", "Xanthe Quill"], allow=["Priya"]))
    out = r.redact("zebedee and Xanthe Quill and Priya")
    assert out == "[NAME] and [NAME] and Priya"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ward 7 were brilliant", "[WARD/BED] were brilliant"),
        ("on ward B2 at night", "on [WARD/BED] at night"),
        ("the patient in Bay 3 Bed 4 was", "the patient in [WARD/BED] was"),
        ("Bay 3, Bed 4", "[WARD/BED]"),
        ("bed 12 again", "[WARD/BED] again"),
        ("Side room 2 was used", "[WARD/BED] was used"),
        ("Rowan Ward staff", "[WARD/BED] staff"),
        ("Ward 7B and ward 12", "[WARD/BED] and [WARD/BED]"),
        ("bed no. 5", "[WARD/BED]"),
    ],
)
def test_wards_and_beds(r, text, expected):
    assert r.redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "the ward manager",
        "on the ward",
        "bed capacity",
        "12-hour shifts",
        "room for improvement",
        "in bed I slept",
        "Covid Ward closed",
        "the Intensive Care Unit",
        "the Great Ward",
    ],
)
def test_not_wards(r, text):
    assert "[WARD/BED]" not in r.redact(text)


def test_disabled_redactor_returns_text_unchanged():
    r = Redactor(RedactionConfig(enabled=False))
    assert r.redact("Dr Smith 07700 900123") == "Dr Smith 07700 900123"


def test_log_records_original_replacement_reason_source():
    r = Redactor()
    out = r.redact("Call Sister Jones on 07700 900123", source="R1")
    assert out == "Call Sister [NAME] on [PHONE]"
    log = r.log_frame()
    assert list(log.columns) == [
        "source",
        "start",
        "end",
        "original",
        "replacement",
        "kind",
        "reason",
    ]
    assert log["original"].tolist() == ["Jones", "07700 900123"]
    assert log["replacement"].tolist() == ["[NAME]", "[PHONE]"]
    assert set(log["source"]) == {"R1"}
    text = "Call Sister Jones on 07700 900123"
    for row in log.itertuples():
        assert text[row.start : row.end] == row.original


def test_write_log_outside_reports(tmp_path):
    r = Redactor(RedactionConfig(log_dir=tmp_path / "anon"))
    r.redact("Dr Smith", source="a")
    path = r.write_log("run")
    assert path == tmp_path / "anon" / "run.csv"
    assert "Smith" in path.read_text()
    with pytest.raises(ValueError, match="reports"):
        r.write_log("run", tmp_path / "reports" / "x")


def test_redact_frame_copies_and_logs():
    df = pd.DataFrame({"id": ["a", "b"], "text": ["Dr Smith", "fine"], "n": [1, 2]})
    r = Redactor()
    out = redact_frame(df, ["text"], r)
    assert out["text"].tolist() == ["Dr [NAME]", "fine"]
    assert df["text"].tolist() == ["Dr Smith", "fine"]
    assert r.log[0].source == "a:text"
    with pytest.raises(KeyError, match="columns"):
        redact_frame(df, ["nope"])


def test_redaction_is_idempotent():
    r = Redactor()
    text = "Ring Sister Jones on 07700 900123 about Bay 3 Bed 4 (NHS 943 476 5919)."
    once = r.redact(text)
    assert r.redact(once) == once


def test_synthetic_ground_truth_never_leaks_and_decoys_survive():
    from covidlearning.testing.synthetic import generate

    data = generate(n=1500, seed=7)
    r = Redactor()
    red = "\n".join(
        r.redact(t, source=i)
        for i, t in zip(data.frame.response_id, data.frame.answer, strict=True)
    )
    assert data.planted and data.decoys
    assert [p for p in data.planted if p.secret in red] == []
    assert all(d in red for d in data.decoys)


# ---------------------------------------------------------------- final guard
def _write_report(folder: Path, ident: str) -> dict[str, Path]:
    folder.mkdir(parents=True)
    files = {}
    files["csv"] = folder / "tables" / "quotes.csv"
    files["csv"].parent.mkdir()
    files["csv"].write_text(f"id,quote\n1,fine\n2,ring {ident} please\n")
    files["xlsx"] = folder / "tables" / "quotes.xlsx"
    pd.DataFrame({"quote": ["ok", f"see {ident}"]}).to_excel(files["xlsx"], index=False)
    files["json"] = folder / "manifest.json"
    files["json"].write_text(json.dumps({"notes": [f"x {ident}"], "sha": "ab" * 32}))
    files["ipynb"] = folder / "04-report.ipynb"
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "source": ["x = 1\n"],
                "metadata": {},
                "outputs": [
                    {
                        "output_type": "display_data",
                        "data": {"text/html": [f"<table><td>{ident}</td></table>"]},
                        "metadata": {},
                    }
                ],
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    files["ipynb"].write_text(json.dumps(nb))
    files["html"] = folder / "report.html"
    files["html"].write_text(f"<html><body><p>Quote: <b>{ident}</b></p></body></html>")
    files["md"] = folder / "README.md"
    files["md"].write_text(f"# Notes\n\n{ident}\n")
    files["svg"] = folder / "figures" / "themes.svg"
    files["svg"].parent.mkdir()
    files["svg"].write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg"><!-- {ident} --><path d="M 0 0"/></svg>'
    )
    return files


@pytest.mark.parametrize(
    "ident", ["943 476 5919", "07700 900123", "jane.doe@nhs.net", "SW1A 1AA", "Sister Jones"]
)
def test_scan_dir_finds_identifier_in_every_file_type(tmp_path, ident):
    files = _write_report(tmp_path / "rep", ident)
    found = {Path(f.path) for f in scan_dir(tmp_path / "rep")}
    missing = [k for k, p in files.items() if p not in found]
    assert missing == []
    with pytest.raises(IdentifierLeak) as exc:
        check_dir(tmp_path / "rep")
    if ident != "Sister Jones":
        assert ident not in str(exc.value)  # the error message masks what it found


def test_scan_dir_clean_report_passes(tmp_path):
    rep = tmp_path / "rep"
    rep.mkdir()
    (rep / "t.csv").write_text(
        "theme,count,share,when\nGreat Teams,123456,0.1234567891,2020-03-15\n"
        "Dr [NAME] and [PHONE],*,*,2021-12\n"
    )
    (rep / "m.json").write_text(
        json.dumps({"sha256": "9434765919" + "ab" * 27, "seconds": 1732456789.123, "v": "2.13.0"})
    )
    (rep / "r.html").write_text(
        '<html><script src="https://cdn.example.com/require.js"></script>'
        "<style>.a{color:#0072B2}</style><p>Working Together, 943 476</p>"
        '<img src="data:image/png;base64,iVBORw0KGgo9434765919AAA"></html>'
    )
    (rep / "f.png").write_bytes(b"\x89PNG\r\n\x1a\n9434765919")
    (rep / "f.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><metadata><dc:title>Matplotlib v3.9, '
        "https://matplotlib.org/</dc:title></metadata><!-- Great Teams --></svg>"
    )
    assert scan_dir(rep) == []
    check_dir(rep)


def test_guard_does_not_join_table_cells(tmp_path):
    rep = tmp_path / "rep"
    rep.mkdir()
    cells = "<table><tr><td>Bay Bed</td><td>17</td><td>Dr</td><td>Smith</td></tr></table>"
    (rep / "r.html").write_text(f"<html><body>{cells}</body></html>")
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "source": "",
                "metadata": {},
                "outputs": [
                    {
                        "output_type": "display_data",
                        "metadata": {},
                        "data": {"text/html": cells, "text/plain": "   Bay Bed  17  Dr  Smith"},
                    }
                ],
            }
        ]
    }
    (rep / "n.ipynb").write_text(json.dumps(nb))
    assert scan_dir(rep) == []
    assert Redactor().redact("Bay Bed\n17") == "Bay Bed\n17"


def test_known_originals_match_whole_words_only(tmp_path):
    rep = tmp_path / "rep"
    rep.mkdir()
    (rep / "k.csv").write_text("text\nwe came across it\nROSS was here\n")
    found = scan_dir(rep, known=["Ross", "Eve"])
    assert [f.text for f in found] == ["ROSS"]


def test_scan_dir_known_originals_and_allow(tmp_path):
    rep = tmp_path / "rep"
    rep.mkdir()
    (rep / "k.csv").write_text("keyword\nzebedee\nhttps://www.health.org.uk/\n")
    # a cited URL is not personal data; one that redaction removed from the data is
    assert {f.kind for f in scan_dir(rep, known=["Zebedee"])} == {"known"}
    found = scan_dir(rep, known=["Zebedee", "https://www.health.org.uk/"])
    assert {f.text for f in found} == {"zebedee", "https://www.health.org.uk/"}
    kinds = {f.kind for f in scan_dir(rep, known=["Zebedee"], kinds=["url"])}
    assert kinds == {"known", "url"}
    assert scan_dir(rep, known=["Zebedee"], allow=["zebedee", "https://www.health.org.uk/"]) == []


def test_strip_placeholders():
    r = Redactor()
    text = r.redact("Thanks Dr Smith on Ward 7, call 07700 900123.")
    assert strip_placeholders(text) == "Thanks Dr on , call ."
    assert strip_placeholders("[NAMES] stay") == "[NAMES] stay"


def test_extra_names_file(tmp_path):
    from covidlearning.errors import InputError

    f = tmp_path / "staff.txt"
    f.write_text("# staff list\nZebedee Quill\nXanthe\n")
    r = Redactor(RedactionConfig(extra_names_file=f))
    assert r.redact("ask zebedee quill or Xanthe") == "ask [NAME] or [NAME]"
    with pytest.raises(InputError, match="extra_names_file"):
        Redactor(RedactionConfig(extra_names_file=tmp_path / "missing.txt"))


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("jane", True),
        ("okafor", True),
        ("dr nwosu", True),
        ("coffee", False),
        ("bell", False),
        ("care", False),
        ("team", False),
        ("video consultations", False),
        ("will", False),
        ("hope", False),
        ("name", False),
    ],
)
def test_is_name_like(term, expected):
    assert is_name_like(term) is expected


def test_the_guard_reads_parquet_with_missing_values(tmp_path):
    """A partitioned output (Dask runs) holds NA in string columns; the guard still reads it."""
    folder = tmp_path / "out" / "assignments.parquet"
    folder.mkdir(parents=True)
    labels = pd.array(["Chief nurse", "Shorter waits", pd.NA], "string")  # not "nurse Shorter"
    frame = pd.DataFrame({"id": ["1", "2", "3"], "label": labels})
    frame.to_parquet(folder / "part-00000.parquet")
    assert scan_dir(tmp_path / "out") == []
    leak = frame.assign(label=pd.array(["Chief nurse", "Call 07700 900123", pd.NA], "string"))
    leak.to_parquet(folder / "part-00000.parquet")
    assert [f.kind for f in scan_dir(tmp_path / "out")] == ["phone"]


def test_a_name_caught_in_one_text_is_redacted_where_it_recurs():
    import pandas as pd

    from covidlearning.privacy.redact import redact_frame

    r = Redactor()
    texts = ["Prof Malby wrote it", "Malby's blog is good", "the rose garden"]
    df = pd.DataFrame({"id": ["a", "b", "c"], "text": texts})
    out = redact_frame(df, ["text"], r)["text"].tolist()
    assert out == ["Prof [NAME] wrote it", "[NAME]'s blog is good", "the rose garden"]
    assert r.carried_names() == ["Malby"]
    assert [x.reason for x in r.log if x.source == "b:text"] == [
        "a name redacted elsewhere in the run"
    ]


def test_a_listed_name_that_is_also_a_word_recurs_redacted_only_with_its_capital():
    import pandas as pd

    from covidlearning.privacy.redact import redact_frame

    r = Redactor()
    texts = ["Prof Rooney wrote it", "Rooney's blog", "Dr Brown helped", "brown bread. Brown said"]
    df = pd.DataFrame({"id": list("abcd"), "text": texts})
    out = redact_frame(df, ["text"], r)["text"].tolist()
    assert out == [
        "Prof [NAME] wrote it",
        "[NAME]'s blog",
        "Dr [NAME] helped",
        "brown bread. [NAME] said",
    ]
    assert r.carried_capitalised() == ["Brown", "Rooney"]
    assert r.carried_names() == []  # both are words of the English list


def test_a_common_word_name_is_not_carried():
    import pandas as pd

    from covidlearning.privacy.redact import redact_frame

    r = Redactor()
    df = pd.DataFrame({"id": ["a", "b"], "text": ["Sister Hope was kind", "Hope you are well"]})
    out = redact_frame(df, ["text"], r)["text"].tolist()
    assert out[1] == "Hope you are well"
    assert r.carried_capitalised() == []


def test_an_english_hyphenated_word_after_a_title_is_not_a_name(r):
    assert r.redact("Prof joined-up local health") == "Prof joined-up local health"
    assert r.redact("dr okonkwo-smith said") == "dr [NAME] said"


def test_a_name_masked_in_the_data_is_left_as_it_is():
    # "Dr xxxx" is already anonymised: redacting it again would make "xxxx" a string the
    # guard then refuses wherever the data's own masks appear
    r = Redactor()
    for text in ("Dr xxxx was great", "Dr XXXX and nurse xxx helped", "Thanks to XXXX XXXX"):
        assert r.redact(text) == text
    assert r.originals() == []
    assert r.redact("Dr Xavier was kind") == "Dr [NAME] was kind"


def test_nothing_inside_an_allowed_string_is_redacted_or_found_by_the_guard(tmp_path):
    from covidlearning.privacy.redact import Redactor, scan_dir

    r = Redactor()
    r.allow(["Rowan Ward"])
    # "Rowan" is a given name: inside the allowed ward it is no name, in any letter case
    for text in ("Thanks to rowan ward", "Rowan ward were lovely", "On Rowan Ward, bed 4."):
        assert "[NAME]" not in r.redact(text), text
    assert r.redact("Rowan was lovely") == "[NAME] was lovely"  # a nurse called Rowan
    # what reaches beyond an allowed string is still found
    assert r.redact("Dr Rowan Ward was kind") != "Dr Rowan Ward was kind"
    assert r.redact("Nurse Rowan Ward Jones was kind") == "Nurse [NAME] was kind"
    r.allow(["oakham.nhs.uk"])
    assert r.redact("Mail jane.smith@oakham.nhs.uk or see oakham.nhs.uk") == (
        "Mail [EMAIL] or see oakham.nhs.uk"
    )
    (tmp_path / "by_ward.csv").write_text("group,n\nRowan Ward,12\n")
    assert scan_dir(tmp_path, known=["Rowan"], allow=["Rowan Ward"]) == []
    (tmp_path / "quotes.csv").write_text("quote\nRowan was kind\n")
    found = scan_dir(tmp_path, known=["Rowan"], allow=["Rowan Ward"])
    assert [f.path.endswith("quotes.csv") for f in found] == [True]

"""Codebooks: YAML and table formats, validation and one-line errors."""

import re
from pathlib import Path

import pytest

from covidlearning.coding.codebook import UNASSIGNED, Codebook, load_codebook, parse_codebook
from covidlearning.errors import InputError

ROOT = Path(__file__).resolve().parents[3]
BOOKS = ROOT / "configs" / "codebooks"

MINIMAL = """
name: Test framework
themes:
  - id: a
    name: Alpha
    definition: First theme.
  - id: b
    name: Beta
    definition: Second theme.
    examples: ["a quote"]
    keywords: beta
"""


def _write(tmp_path, text, name="cb.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _norm(s: str) -> str:
    for a, b in (
        ("\u2019", "'"),
        ("\u2018", "'"),
        ("\u2013", "-"),
        ("\u201c", '"'),
        ("\u201d", '"'),
    ):
        s = s.replace(a, b)
    return re.sub(r"\s+", " ", s)


def test_minimal_codebook_loads(tmp_path):
    cb = load_codebook(_write(tmp_path, MINIMAL))
    assert cb.name == "Test framework"
    assert cb.ids == ["a", "b"]
    assert cb.themes[1].keywords == ["beta"]  # a single string becomes a list
    assert cb.has_examples
    assert cb.resolve("BETA") == "b" and cb.resolve("a") == "a" and cb.resolve("zzz") is None
    assert cb.theme("A").name == "Alpha"


def test_numeric_ids_become_text(tmp_path):
    cb = load_codebook(_write(tmp_path, "name: n\nthemes:\n  - {id: 1, name: One}\n"))
    assert cb.ids == ["1"]


def test_round_trip_yaml(tmp_path):
    cb = load_codebook(_write(tmp_path, MINIMAL))
    again = load_codebook(_write(tmp_path, cb.to_yaml(), "again.yaml"))
    assert again == cb


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "is empty"),
        ("name: x\nthemes: []\n", "no themes"),
        ("name: x\n", "themes: missing field"),
        ("themes:\n  - {id: a, name: A}\n", "name: missing field"),
        ("name: x\nthemes:\n  - {id: a, name: A}\n  - {id: A, name: B}\n", "duplicate theme id"),
        ("name: x\nthemes:\n  - {id: a}\n", "themes[1] (id 'a').name: missing field"),
        ("name: x\nthemes:\n  - {id: a, name: A, colour: red}\n", "colour: unknown key"),
        ("name: x\nthemes:\n  - {id: a, name: A}\nauthor: me\n", "author: unknown key"),
        ("name: x\nthemes:\n  - {id: 'a;b', name: A}\n", "must not contain ';'"),
        ("name: x\nthemes:\n  - {id: unassigned, name: A}\n", "reserved"),
        ("name: x\nthemes:\n  - just a string\n", "must be a mapping"),
        ("- a\n- b\n", "must be a mapping"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_codebooks_fail_in_one_line(tmp_path, text, needle):
    with pytest.raises(InputError) as err:
        load_codebook(_write(tmp_path, text))
    msg = str(err.value)
    assert needle in msg
    assert "\n" not in msg


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_codebook(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="folder"):
        load_codebook(tmp_path)


def test_parse_none_is_error():
    with pytest.raises(InputError, match="empty"):
        parse_codebook(None)


def test_from_labels():
    cb = Codebook.from_labels(["x", "y"])
    assert cb.ids == ["x", "y"]
    assert UNASSIGNED not in cb.ids


@pytest.mark.parametrize(
    ("book", "seed", "n_themes"),
    [
        ("lsbu-10-leaps.yaml", "004_e359736b1d51331a.txt", 11),
        ("q-top-5.yaml", "000_eeecd7b31482c3f7.txt", 5),
    ],
)
def test_shipped_codebooks_quote_their_source(book, seed, n_themes):
    cb = load_codebook(BOOKS / book)
    assert len(cb.themes) == n_themes
    raw = ROOT / "data" / "raw" / seed
    if not raw.exists():
        pytest.skip("seed document not in data/raw")
    doc = _norm(raw.read_text(encoding="utf-8"))
    for theme in cb.themes:
        assert theme.definition
        assert len(theme.examples) >= 3, theme.id
        for quote in theme.examples:
            assert _norm(quote) in doc, (theme.id, quote[:50])


def test_lsbu_definitions_are_the_reports_own():
    cb = load_codebook(BOOKS / "lsbu-10-leaps.yaml")
    raw = ROOT / "data" / "raw" / "004_e359736b1d51331a.txt"
    if not raw.exists():
        pytest.skip("seed document not in data/raw")
    doc = _norm(raw.read_text(encoding="utf-8"))
    assert all(_norm(t.definition) in doc for t in cb.themes)
    assert cb.themes[-1].name == "We mustn't forget"


def test_one_theme_cannot_be_compared():
    one = Codebook(name="x", themes=[{"id": "staff", "name": "Staff"}])
    with pytest.raises(InputError, match=r"has 1 theme \('staff'\).*at least 2.*--train"):
        one.check_can_compare()
    two = Codebook(name="x", themes=[{"id": "a", "name": "A"}, {"id": "b", "name": "B"}])
    two.check_can_compare()  # no error
    # a one-theme codebook stays a valid codebook (e.g. to set beside discovered topics)
    assert one.ids == ["staff"]

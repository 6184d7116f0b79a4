"""Segmentation: units, offsets, sections, kinds, sentences."""

from __future__ import annotations

import json
from pathlib import Path

from covidlearning.corpus.segment import segment_document, split_sentences, units_frame

ROOT = Path(__file__).resolve().parents[3]

DOC = """\
10 LEAPS FORWARD – INNOVATION IN THE PANDEMIC.

SUBTITLE IN CAPITALS

1. Valued Staff

Being valued as staff and having the energy to focus on the job.

"It feels extraordinary to be valued for just doing my job."

What this means:

- Staff appreciate the moves to make it easier to get to work
- e-rostering

Communities working with the NHS to look after the vulnerable. "We have had 200\
 visors made by our community!"

2. Great Teams

We are working day-to-day as a real team.

What this means:

Short one.
"""


def test_units_offsets_point_at_their_raw_text() -> None:
    units = segment_document(DOC, "lsbu", source_file="x.txt")
    assert units, "no units"
    for u in units:
        raw = DOC[u.start : u.end]
        assert raw.startswith(u.text[:10]), (raw, u.text)
        assert raw.endswith(u.text[-5:]), (raw, u.text)


def test_kinds_sections_and_ids() -> None:
    units = segment_document(DOC, "lsbu", source_file="x.txt", metadata={"title": "T"})
    by_text = {u.text: u for u in units}
    assert [u.segment_id for u in units[:2]] == ["lsbu-0001", "lsbu-0002"]
    first = by_text["Being valued as staff and having the energy to focus on the job."]
    assert first.kind == "paragraph"
    assert first.section == "10 leaps forward – innovation in the pandemic > 1. Valued Staff"
    quote = by_text['"It feels extraordinary to be valued for just doing my job."']
    assert quote.kind == "quote"
    bullet = by_text["e-rostering"]
    assert bullet.kind == "bullet" and bullet.status == "ok"  # short bullets are kept
    assert bullet.section.endswith("1. Valued Staff > What this means")
    assert DOC[bullet.start : bullet.end] == "e-rostering"  # marker excluded
    assert all(u.title == "T" for u in units)
    # headings never become units
    assert not any(u.text.startswith(("1. Valued", "What this means", "SUBTITLE")) for u in units)
    team = by_text["We are working day-to-day as a real team."]
    assert team.section == "10 leaps forward – innovation in the pandemic > 2. Great Teams"


def test_paragraph_with_trailing_quotation_is_split() -> None:
    units = segment_document(DOC, "d")
    texts = [(u.kind, u.text) for u in units]
    assert ("paragraph", "Communities working with the NHS to look after the vulnerable.") in texts
    assert ("quote", '"We have had 200 visors made by our community!"') in texts


def test_short_paragraph_is_flagged_not_dropped() -> None:
    units = segment_document(DOC, "d", min_unit_chars=20)
    short = [u for u in units if u.text == "Short one."]
    assert len(short) == 1 and short[0].status == "too short"


def test_pdf_hyphenation_and_page_break_merge() -> None:
    text = (
        "Teams worked across organisational bound-\naries and kept the long-\nterm view in "
        "mind while they\n\nhttps://example.org/x\n planned the next steps together.\n\n"
        "Short-term fixes were not enough.\n"
    )
    units = segment_document(text, "d")
    assert len(units) == 2
    u = units[0]
    assert "organisational boundaries" in u.text
    assert "long-term view" in u.text
    assert "while they planned the next steps" in u.text
    assert "https" not in u.text
    assert text[u.start : u.end].startswith("Teams") and text[u.start : u.end].endswith("together.")


def test_mojibake_and_markup_are_fixed_in_text_only() -> None:
    text = (
        "Staff said the **huddles** werenâ€™t optional. See [our guide](https://x.org) for more.\n"
    )
    (u,) = segment_document(text, "d")
    assert "weren't" in u.text or "weren’t" in u.text
    assert "**" not in u.text and "https" not in u.text and "our guide" in u.text
    assert text[u.start : u.end].startswith("Staff said")


def test_sentences_option_splits_units_with_offsets() -> None:
    text = (
        "Dr. Patel led the huddle. It worked well, e.g. for night staff! Would we keep it? Yes.\n"
    )
    units = segment_document(text, "d", sentences=True, min_unit_chars=1)
    assert [u.text for u in units] == [
        "Dr. Patel led the huddle.",
        "It worked well, e.g. for night staff!",
        "Would we keep it?",
        "Yes.",
    ]
    for u in units:
        assert text[u.start : u.end] == u.text


def test_split_sentences_keeps_abbreviations() -> None:
    s = "Prof. Malby wrote it. Staff agreed."
    assert [s[a:b] for a, b in split_sentences(s)] == ["Prof. Malby wrote it.", "Staff agreed."]


def test_units_frame_columns() -> None:
    df = units_frame(segment_document(DOC, "d"))
    assert list(df.columns) == [
        "segment_id", "doc_id", "source_file", "start", "end", "kind", "section", "text",
        "title", "publisher", "date", "doc_type", "status",
    ]  # fmt: skip
    assert df["segment_id"].is_unique


def test_lsbu_units_match_the_gold_units(root, shared_eval) -> None:
    from covidlearning.corpus.load import read_text_file

    name = "004_e359736b1d51331a.txt"
    text = read_text_file(root / "data" / "raw" / name)
    units = segment_document(text, "lsbu")
    gold = [
        json.loads(x) for x in (shared_eval / "lsbu_10_leaps_gold.jsonl").read_text().splitlines()
    ]
    spans = {(u.start, u.end): u.kind for u in units}
    exact = sum((g["start"], g["end"]) in spans for g in gold)
    same_kind = sum(spans.get((g["start"], g["end"])) == g["kind"] for g in gold)
    assert exact / len(gold) >= 0.95
    assert same_kind / len(gold) >= 0.95


def test_markdown_tables_and_italics() -> None:
    text = (
        "# Survey results\n\n"
        "We asked *all* staff what they would **keep** after the first wave.\n\n"
        "| Site | Responses |\n|---|---|\n| North | 120 |\n"
    )
    units = segment_document(text, "d", min_unit_chars=1)
    assert [u.text for u in units] == [
        "We asked all staff what they would keep after the first wave.",
        "Site: Responses",
        "North: 120",
    ]
    assert all(u.section == "Survey results" for u in units)
    assert text[units[2].start : units[2].end] == "North | 120"


def test_footnote_markers_and_broken_characters_leave_the_text() -> None:
    text = (
        "Leaders said in their blog on lessons1 that trust mattered more than rules.\n\n"
        "What we have learned\ufffd so far is set out below for every reader.\n\n"
        "1 AHSN hosted blog: lessons from the first wave\n"
    )
    units = segment_document(text, "d")
    assert [u.text for u in units] == [
        "Leaders said in their blog on lessons that trust mattered more than rules.",
        "What we have learned so far is set out below for every reader.",
    ]
    assert text[units[0].start : units[0].end].endswith("rules.")


def gold_match_figures(eval_dir: Path) -> dict[str, float]:
    """Share of the LSBU gold units that our units match exactly / mostly (Jaccard >= 0.8)."""
    from covidlearning.corpus.load import read_text_file

    text = read_text_file(ROOT / "data" / "raw" / "004_e359736b1d51331a.txt")
    units = segment_document(text, "lsbu")
    gold = [json.loads(x) for x in (eval_dir / "lsbu_10_leaps_gold.jsonl").read_text().splitlines()]
    exact = mostly = kind = 0
    for g in gold:
        best = max(units, key=lambda u: min(u.end, g["end"]) - max(u.start, g["start"]))
        inter = max(0, min(best.end, g["end"]) - max(best.start, g["start"]))
        union = max(best.end, g["end"]) - min(best.start, g["start"])
        exact += (best.start, best.end) == (g["start"], g["end"])
        mostly += inter / union >= 0.8
        kind += best.kind == g["kind"]
    n = len(gold)
    return {"gold_units": n, "exact": exact / n, "mostly": mostly / n, "same_kind": kind / n}


if __name__ == "__main__":  # pragma: no cover
    print(gold_match_figures(ROOT.parent / "shared" / "eval"))

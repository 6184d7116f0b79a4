"""Building the corpus: outputs, provenance, determinism, manifest, and cleaning quality.

``python tests/test_corpus.py`` prints the furniture/content figures against the hand
labels in tests/data/corpus/seed_labels.json.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from covidlearning.config import CorpusConfig
from covidlearning.corpus.build import build_corpus, load_segments, verify_manifest
from covidlearning.corpus.clean import normalise_for_match
from covidlearning.corpus.load import read_text_file
from covidlearning.corpus.segment import SEGMENT_COLUMNS, segment_document
from covidlearning.errors import InputError

ROOT = Path(__file__).resolve().parents[3]
RAW = ROOT / "data" / "raw"
LABELS = Path(__file__).resolve().parents[2] / "data" / "corpus" / "seed_labels.json"
_MARKUP = re.compile(r"^\s*(?:[-•*]|\d{1,2}\.)\s+|\*\*")


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture()
def raw_copy(tmp_path: Path) -> Path:
    d = tmp_path / "raw"
    shutil.copytree(RAW, d)
    for p in d.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)  # the bundled files are read-only
    return d


# --------------------------------------------------------------------------- seed corpus
def test_build_seed_corpus(tmp_path: Path) -> None:
    before = {p.name: _sha(p) for p in RAW.iterdir() if p.is_file()}
    out = tmp_path / "proc"
    res = build_corpus(CorpusConfig(raw_dir=RAW, processed_dir=out))
    assert {p.name: _sha(p) for p in RAW.iterdir() if p.is_file()} == before  # never written
    seg = res.segments
    assert list(seg.columns) == list(SEGMENT_COLUMNS)
    assert set(seg["doc_id"]) == {
        "q-leaders-top5", "q-country-partners", "psc-roundtable",
        "nhsconfed-learned-so-far", "lsbu-10-leaps",
    }  # fmt: skip
    assert seg["segment_id"].is_unique
    assert set(seg["kind"]) == {"paragraph", "bullet", "quote"}
    assert (seg["status"] == "ok").mean() > 0.95
    for r in seg.itertuples():
        raw = read_text_file(RAW / r.source_file)[r.start : r.end]
        words = set(normalise_for_match(raw).split())
        assert set(normalise_for_match(r.text).split()) <= words, r.segment_id
    lsbu = seg[seg["doc_id"] == "lsbu-10-leaps"].iloc[0]
    assert lsbu["title"] == "10 leaps forward: innovation in the pandemic"
    assert lsbu["publisher"].startswith("London South Bank University")
    for name in ("segments.parquet", "segments.csv", "removals.csv", "corpus_summary.json"):
        assert (out / name).is_file()
    summary = json.loads((out / "corpus_summary.json").read_text())
    assert summary["units"] == len(seg) and summary["documents"] == 5
    assert "bare URL" in summary["removed_chars_by_reason"]
    removals = pd.read_csv(out / "removals.csv")
    assert list(removals.columns) == ["doc_id", "source_file", "start", "end", "reason", "text"]
    pd.testing.assert_frame_equal(
        load_segments(out).reset_index(drop=True), seg.reset_index(drop=True)
    )


def test_rebuild_is_byte_identical(tmp_path: Path) -> None:
    for k in (1, 2):
        build_corpus(CorpusConfig(raw_dir=RAW, processed_dir=tmp_path / f"p{k}"))
    for name in ("segments.csv", "segments.parquet", "removals.csv", "corpus_summary.json"):
        assert (tmp_path / "p1" / name).read_bytes() == (tmp_path / "p2" / name).read_bytes()


def test_without_manifest_doc_ids_come_from_file_names(raw_copy: Path, tmp_path: Path) -> None:
    (raw_copy / "manifest.csv").unlink()
    res = build_corpus(CorpusConfig(raw_dir=raw_copy, processed_dir=tmp_path / "o"), write=False)
    assert set(res.segments["doc_id"]) == {p.stem for p in raw_copy.glob("*.txt")}
    titles = dict(zip(res.documents["doc_id"], res.documents["title"], strict=True))
    assert titles["004_e359736b1d51331a"].startswith("10 leaps forward")


def _line_spans(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def _in(n: int, ranges: list[list[int]]) -> bool:
    return any(a <= n <= b for a, b in ranges)


def seed_label_figures() -> dict[str, float]:
    """Furniture absent from / content kept in the units, against the hand labels.

    ``furniture_absent``: share of furniture characters that are not part of any unit
    (a character counts as present when it lies in a unit's span and its line's text
    appears in that unit's text). ``furniture_outside_spans`` is stricter: characters
    outside every unit span (URL lines inside a paragraph that a page break split count
    as present there). ``content_kept``: share of content characters inside unit spans.
    """
    labels = json.loads(LABELS.read_text())
    t = dict.fromkeys(("furn", "furn_text", "furn_span", "bp", "bp_text", "cont", "cont_in"), 0)
    for name, lab in labels.items():
        if name.startswith("_"):
            continue
        text = read_text_file(RAW / name)
        units = segment_document(text, "d")
        covered = bytearray(len(text))
        owner: dict[int, str] = {}
        for u in units:
            covered[u.start : u.end] = b"\x01" * (u.end - u.start)
            for i in range(u.start, u.end):
                owner[i] = u.text
        for n, (a, b) in enumerate(_line_spans(text), start=1):
            line = text[a:b]
            if _in(n, lab["furniture"]):
                k = sum(not c.isspace() for c in line)
                inside = sum(1 for i in range(a, b) if covered[i] and not text[i].isspace())
                key = normalise_for_match(line)
                in_text = bool(
                    inside and key and key in normalise_for_match(owner.get(a, "") or "")
                )
                t["furn"] += k
                t["furn_span"] += inside
                t["furn_text"] += k if in_text else 0
                if _in(n, lab["boilerplate"]):
                    t["bp"] += k
                    t["bp_text"] += k if in_text else 0
            elif not _in(n, lab["neutral"]):
                body = _MARKUP.sub("", line)
                offset = len(line) - len(line.lstrip()) if body == line else 0
                chars = [i for i in range(a, b) if not text[i].isspace() and text[i] not in "*"]
                if body != line:  # do not count list markers and emphasis as content
                    m = _MARKUP.match(line)
                    skip = m.end() if m else 0
                    chars = [i for i in chars if i - a >= skip]
                del offset
                t["cont"] += len(chars)
                t["cont_in"] += sum(covered[i] for i in chars)
    return {
        "furniture_absent": 1 - t["furn_text"] / t["furn"],
        "furniture_outside_spans": 1 - t["furn_span"] / t["furn"],
        "furniture_absent_without_back_matter": 1
        - (t["furn_text"] - t["bp_text"]) / (t["furn"] - t["bp"]),
        "content_kept": t["cont_in"] / t["cont"],
        "furniture_chars": t["furn"],
        "content_chars": t["cont"],
    }


def test_seed_cleaning_quality_against_hand_labels() -> None:
    f = seed_label_figures()
    assert f["furniture_absent"] >= 0.95
    assert f["content_kept"] >= 0.98


# --------------------------------------------------------------------------- other formats
def test_mixed_folder_of_formats_and_a_table(tmp_path: Path) -> None:
    import docx

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "notes.txt").write_bytes(
        "Staff said the café huddles – every morning – made them feel heard and safe.\n".encode(
            "cp1252"
        )
    )
    (raw / "blog.md").write_text(
        "# Lessons\n\nWe learned to trust teams to make decisions quickly and safely.\n\n"
        "- Daily huddles\n- Remote clinics for follow-up\n",
        encoding="utf-8",
    )
    d = docx.Document()
    d.add_heading("Survey findings", level=1)
    d.add_paragraph("Working from home helped many admin staff to balance caring duties.")
    d.save(str(raw / "survey.docx"))
    (raw / "responses.csv").write_text(
        "id,comment,site\n1,The huddles helped our team talk every morning,North\n"
        "2,N/A,South\n3,,South\n4,Video calls with families were a lifeline,North\n",
        encoding="utf-8",
    )
    res = build_corpus(CorpusConfig(raw_dir=raw, processed_dir=tmp_path / "out"))
    seg = res.segments
    assert set(seg["doc_id"]) == {"notes", "blog", "survey", "responses"}
    notes = seg[seg["doc_id"] == "notes"].iloc[0]
    assert "café huddles – every morning" in notes["text"]
    blog = seg[seg["doc_id"] == "blog"]
    assert list(blog["kind"]) == ["paragraph", "bullet", "bullet"]
    assert set(blog["section"]) == {"Lessons"}
    table = seg[seg["doc_id"] == "responses"]
    assert list(table["kind"]) == ["response"] * 4
    assert list(table["status"]) == ["ok", "missing", "empty", "ok"]  # N/A: a listed non-answer
    assert list(table["site"]) == ["North", "South", "South", "North"]  # metadata carried
    assert list(table["segment_id"]) == ["responses-1", "responses-2", "responses-3", "responses-4"]
    assert seg.loc[seg["doc_id"] != "responses", "site"].eq("").all()
    assert res.summary_dict()["by_status"] == {"empty": 1, "missing": 1, "ok": len(seg) - 2}
    survey = seg[seg["doc_id"] == "survey"].iloc[0]
    assert survey["section"] == "Survey findings"
    extracted = (tmp_path / "out" / "extracted" / "survey.txt").read_text(encoding="utf-8")
    assert extracted[survey["start"] : survey["end"]] == survey["text"]
    docs = pd.read_csv(tmp_path / "out" / "documents.csv", keep_default_na=False)
    assert dict(zip(docs["doc_id"], docs["text_file"], strict=True))["survey"] == (
        "extracted/survey.txt"
    )


def test_sentences_option(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("First sentence here. Second sentence here!\n", encoding="utf-8")
    res = build_corpus(
        CorpusConfig(raw_dir=raw, processed_dir=tmp_path / "o", sentences=True), write=False
    )
    assert list(res.segments["text"]) == ["First sentence here.", "Second sentence here!"]


def test_failed_build_leaves_previous_outputs(raw_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "proc"
    build_corpus(CorpusConfig(raw_dir=raw_copy, processed_dir=out))
    before = (out / "segments.csv").read_bytes()
    (raw_copy / "broken.txt").write_bytes("hello".encode("utf-16-le"))
    with pytest.raises(InputError):
        build_corpus(CorpusConfig(raw_dir=raw_copy, processed_dir=out))
    assert (out / "segments.csv").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".proc")]


# --------------------------------------------------------------------------- manifest
def test_verify_manifest_of_the_bundled_corpus() -> None:
    assert verify_manifest(RAW) == []
    m = pd.read_csv(RAW / "manifest.csv", dtype=str)
    assert list(m.columns) == ["doc_id", "file", "title", "publisher", "date", "doc_type", "sha256"]
    assert sorted(m["file"]) == sorted(p.name for p in RAW.glob("*.txt"))


def test_verify_manifest_reports_problems(raw_copy: Path) -> None:
    target = raw_copy / "000_eeecd7b31482c3f7.txt"
    target.write_bytes(target.read_bytes() + b"x")
    (raw_copy / "001_48a6165421551b8a.txt").unlink()
    (raw_copy / "extra.txt").write_text("An extra document that is not listed.", encoding="utf-8")
    problems = verify_manifest(raw_copy)
    assert any(p.startswith("checksum mismatch: 000_") for p in problems)
    assert any(p.startswith("missing: 001_") for p in problems)
    assert "not in manifest: extra.txt" in problems


def test_verify_without_manifest_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no manifest.csv"):
        verify_manifest(tmp_path)


if __name__ == "__main__":  # pragma: no cover
    for k, v in seed_label_figures().items():
        print(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}")

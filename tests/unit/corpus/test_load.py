"""Loading documents and tables: formats, encodings, clear errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from covidlearning.corpus.load import detect_encoding, load_table, read_document, read_text_file
from covidlearning.errors import InputError

TEXT = "Staff said: “we’ll keep the café huddles” – naïve? No. £5 a week.\n"


# --------------------------------------------------------------------------- encodings
@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252")],
)
def test_text_encodings_decode_without_mojibake(
    tmp_path: Path, encoding: str, expected: str
) -> None:
    p = tmp_path / "doc.txt"
    p.write_bytes(TEXT.encode(encoding))
    assert detect_encoding(p.read_bytes()) == expected
    assert read_text_file(p) == TEXT
    doc = read_document(p)
    assert doc.text == TEXT and doc.encoding == expected


def test_latin1_bytes_that_are_not_cp1252(tmp_path: Path) -> None:
    p = tmp_path / "doc.txt"
    text = "Caf\u00e9 staff \u00e0 la carte \u00a3 5\n"
    p.write_bytes(text.encode("latin-1"))
    assert read_text_file(p) == text


def test_crlf_becomes_lf_and_bom_is_dropped(tmp_path: Path) -> None:
    p = tmp_path / "doc.md"
    p.write_bytes(b"\xef\xbb\xbf# Title\r\n\r\nBody text.\r\n")
    assert read_document(p).text == "# Title\n\nBody text.\n"


def test_binary_and_utf16_without_bom_are_refused(tmp_path: Path) -> None:
    p = tmp_path / "doc.txt"
    p.write_bytes("hello".encode("utf-16-le"))
    with pytest.raises(InputError, match="not readable text"):
        read_document(p)


# --------------------------------------------------------------------------- documents
def test_html_main_text_is_extracted(tmp_path: Path) -> None:
    p = tmp_path / "page.html"
    p.write_text(
        "<html><head><title>Lessons page</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article>"
        "<h1>Lessons from the pandemic</h1>"
        "<p>Staff told us that working together across teams was the biggest change they saw "
        "during the first wave of COVID-19 in our trust, and they want to keep it.</p>"
        "<h2>What worked</h2><ul><li>Daily huddles with the whole team kept everyone informed.</li>"
        "<li>Remote consultations for routine follow-up appointments.</li></ul>"
        "<p>We will keep these changes where they help patients and staff alike.</p>"
        "</article><footer><p>Copyright 2021 Example Trust</p></footer></body></html>",
        encoding="utf-8",
    )
    doc = read_document(p)
    assert doc.format == "html" and doc.title
    assert "working together across teams" in doc.text
    assert "Daily huddles" in doc.text
    assert "Copyright" not in doc.text and "News" not in doc.text


def test_docx_headings_lists_and_tables(tmp_path: Path) -> None:
    import docx

    d = docx.Document()
    d.core_properties.title = "Staff survey"
    d.add_heading("What we learned", level=1)
    d.add_paragraph("Working from home helped many of our admin staff balance care duties.")
    d.add_paragraph("Virtual ward rounds", style="List Bullet")
    t = d.add_table(rows=1, cols=2)
    t.rows[0].cells[0].text = "Site"
    t.rows[0].cells[1].text = "North"
    p = tmp_path / "survey.docx"
    d.save(str(p))
    doc = read_document(p)
    assert doc.title == "Staff survey"
    assert doc.text.splitlines()[0] == "# What we learned"
    assert "- Virtual ward rounds" in doc.text
    assert "Site\tNorth" in doc.text


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF with one text line per entry (Helvetica), built by hand."""
    objs: list[bytes] = []
    n_pages = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n_pages))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, lines in enumerate(pages):
        ops = ["BT", "/F1 11 Tf", "14 TL", "72 720 Td"]
        for line in lines:
            esc = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({esc}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objs.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources "
            f"<< /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for k, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def test_pdf_pages_are_read_in_order(tmp_path: Path) -> None:
    p = tmp_path / "report.pdf"
    p.write_bytes(
        make_pdf(
            [
                ["Key findings", "Staff valued the daily huddles because they", "made them"],
                ["feel heard and safe at work during the pandemic."],
            ]
        )
    )
    doc = read_document(p)
    assert doc.format == "pdf"
    assert "\f" in doc.text
    assert doc.text.index("Key findings") < doc.text.index("feel heard")


def test_corrupt_pdf_and_docx_give_input_errors(tmp_path: Path) -> None:
    for name in ("bad.pdf", "bad.docx"):
        p = tmp_path / name
        p.write_bytes(b"this is not really a " + name.encode())
        with pytest.raises(InputError, match="cannot read"):
            read_document(p)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.txt", None, "file not found"),
        ("empty.txt", b"", "is empty"),
        ("blank.txt", b"  \n\n ", "has no text"),
        ("notes.xyz", b"hello", "unknown format"),
    ],
)
def test_document_errors(tmp_path: Path, name: str, content: bytes | None, message: str) -> None:
    p = tmp_path / name
    if content is not None:
        p.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_document(p)


# --------------------------------------------------------------------------- tables
def test_load_table_carries_metadata_and_flags_filler(tmp_path: Path) -> None:
    p = tmp_path / "responses.csv"
    p.write_text(
        "rid,comment,site,date\n"
        "a1,The huddles helped our team talk every morning,007,2021-03-01\n"
        "a2,N/A,012,2021-03-02\n"
        "a3,,012,2021-03-02\n"
        "a4,12345,007,2021-03-03\n"
        "a5,no comment,007,2021-03-03\n",
        encoding="utf-8",
    )
    df = load_table(p, "comment", "rid")
    assert list(df["id"]) == ["a1", "a2", "a3", "a4", "a5"]
    assert list(df["status"]) == ["ok", "missing", "empty", "digits only", "missing"]
    # without the list of non-answers (input.missing_values), they are filler as before
    bare = load_table(p, "comment", "rid", missing_values=())
    assert list(bare["status"]) == ["ok", "filler", "empty", "digits only", "filler"]
    assert list(df["site"]) == ["007", "012", "012", "007", "007"]  # strings, zeros kept
    assert "date" in df.columns


@pytest.mark.parametrize("suffix", [".xlsx", ".jsonl", ".parquet"])
def test_load_table_other_formats(tmp_path: Path, suffix: str) -> None:
    frame = pd.DataFrame(
        {"text": ["Remote clinics worked well for us", "nothing"], "role": ["GP", "RN"]}
    )
    p = tmp_path / f"t{suffix}"
    if suffix == ".xlsx":
        frame.to_excel(p, index=False)
    elif suffix == ".jsonl":
        frame.to_json(p, orient="records", lines=True)
    else:
        frame.to_parquet(p, index=False)
    df = load_table(p, "text")
    assert list(df["status"]) == ["ok", "filler"]
    assert list(df["role"]) == ["GP", "RN"]


def test_load_table_cp1252_csv_and_mojibake(tmp_path: Path) -> None:
    p = tmp_path / "r.csv"
    p.write_bytes("text\n“We’ll keep it” said the café team\n".encode("cp1252"))
    assert load_table(p, "text")["text"].iloc[0].startswith(('"We\'ll keep it"', "“We’ll"))
    q = tmp_path / "m.csv"
    q.write_text("text\nStaff werenâ€™t told\n", encoding="utf-8")
    assert load_table(q, "text")["text"].iloc[0] in ("Staff weren't told", "Staff weren’t told")


@pytest.mark.parametrize(
    ("content", "kwargs", "message"),
    [
        (None, {}, "file not found"),
        ("", {}, "is empty"),
        ("id,text\n", {}, "header but no rows"),
        ("id,body\n1,hello there\n", {}, r"column 'text' not found .*columns found: 'id', 'body'"),
        ("id,text\n1,a\n1,b\n", {"id_column": "id"}, r"1 duplicate id in .*\(e\.g\. '1'\)"),
        ("id,text\n,a\n,b\n", {"id_column": "id"}, r"1 duplicate id in .*\(blank ids\)"),
        ("id,text\n1,a\n1,b\n,c\n,d\n", {"id_column": "id"}, r"\(e\.g\. '1'; 1 blank\)"),
        ("id,text\n1,a\n1,b\n", {"id_column": "id"}, r"input\.id_column in a config"),
    ],
)
def test_table_errors(tmp_path: Path, content: str | None, kwargs: dict, message: str) -> None:
    p = tmp_path / "t.csv"
    if content is not None:
        p.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_table(p, "text", **kwargs)


def test_csv_delimiters(tmp_path: Path) -> None:
    for sep in (",", ";", "\t", "|"):
        p = tmp_path / "t.csv"
        p.write_text(f"id{sep}text{sep}site\n1{sep}Huddles helped, a lot{sep}A\n", encoding="utf-8")
        if sep == ",":
            p.write_text('id,text,site\n1,"Huddles helped, a lot",A\n', encoding="utf-8")
        df = load_table(p, "text")
        assert df["text"].iloc[0] == "Huddles helped, a lot" and df["site"].iloc[0] == "A"


def test_table_unknown_format(tmp_path: Path) -> None:
    p = tmp_path / "t.xyz"
    p.write_text("?", encoding="utf-8")
    with pytest.raises(InputError, match="unknown format"):
        load_table(p, "text")


def test_utf8_with_stray_cp1252_bytes_is_repaired(tmp_path: Path) -> None:
    p = tmp_path / "mixed.txt"
    p.write_bytes("Café staff – ".encode() + b"we\x92ll keep it\n")
    assert read_text_file(p) == "Café staff – we’ll keep it\n"
    assert read_document(p).encoding == "utf-8+cp1252"


def test_a_corpus_segments_table_keeps_the_builds_exclusions(tmp_path) -> None:
    seg = pd.DataFrame(
        {
            "segment_id": ["s0", "s1", "s2"],
            "text": ["We have sorted:", "Video clinics saved hours of travel.", "-"],
            "status": ["too short", "ok", "ok"],
        }
    )
    seg.to_parquet(tmp_path / "segments.parquet", index=False)
    got = load_table(tmp_path / "segments.parquet", "text", "segment_id")
    assert got["status"].tolist()[:2] == ["too short", "ok"]
    assert got["status"].iloc[2] != "ok"  # the loader's own filler check still applies
    assert got["status_"].tolist() == ["too short", "ok", "ok"]  # the input column, unchanged


def test_a_users_own_status_column_is_only_metadata(tmp_path) -> None:
    path = tmp_path / "complaints.csv"
    path.write_text("ref,text,status\n1,Rude receptionist at the front desk,closed\n")
    got = load_table(path, "text", "ref")
    assert got["status"].tolist() == ["ok"]
    assert got["status_"].tolist() == ["closed"]


def test_sheet_mistakes_name_the_sheets_found(tmp_path) -> None:
    path = tmp_path / "survey.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        pd.DataFrame({"x": ["Trust survey 2021"]}).to_excel(xw, sheet_name="Cover", index=False)
        pd.DataFrame({"comment": ["Kind staff"]}).to_excel(xw, sheet_name="Responses", index=False)
    with pytest.raises(InputError, match="no sheet 'Nope'.*sheets found: Cover, Responses"):
        load_table(path, "comment", sheet="Nope")
    with pytest.raises(InputError, match="sheet 'Cover'.*--sheet with another sheet: Responses"):
        load_table(path, "comment")
    assert load_table(path, "comment", sheet="Responses")["text"].tolist() == ["Kind staff"]
    csv = tmp_path / "survey.csv"
    csv.write_text("comment\nKind staff\n")
    with pytest.raises(InputError, match="--sheet applies to XLSX"):
        load_table(csv, "comment", sheet="Responses")


def test_a_header_below_a_title_is_found_and_the_fix_says_so(tmp_path) -> None:
    from openpyxl import Workbook

    path = tmp_path / "fft.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["Friends and Family Test - comments, April 2024"])
    ws.append(["Exported 3 May 2024"])
    ws.append(["Response ID", "Comment"])
    ws.append(["R1", "Kind staff"])
    wb.save(path)
    with pytest.raises(InputError) as info:
        load_table(path, "Comment")
    msg = str(info.value)
    assert "'Comment' is a cell of row 3, so the header seems to be on row 3" in msg
    assert "Delete the 2 rows above the header" in msg
    with pytest.raises(InputError) as info:  # a column named nowhere: the usual fix
        load_table(path, "Comments")
    assert "row 3" not in str(info.value) and "Pass --text-column" in str(info.value)


@pytest.mark.parametrize(("suffix", "hint"), [(".xls", ".xlsx"), (".json", ".jsonl")])
def test_near_miss_formats_say_what_to_save_as(tmp_path, suffix, hint) -> None:
    path = tmp_path / f"survey{suffix}"
    path.write_bytes(b"not empty")
    with pytest.raises(InputError, match=f"Save it as \\{hint}"):
        load_table(path, "comment")

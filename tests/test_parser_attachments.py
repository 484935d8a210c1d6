"""Reports published as attachments: PDF, DOCX, XLSX and XLS read to the same numbers as the
seeds they were built from; DOC, WPS, OFD, images, scans and damaged files refused with a
one-line reason that names the format.

The fixtures in tests/data/attachments/ are written by make_fixtures.py there, from the seeds'
hand-written expected.json: the numbers compared here never went through the parser.
"""

from __future__ import annotations

import base64
import io
import json
import sys
import tracemalloc
import zipfile
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import get_test_file
from archive.reparse import parse_stored_snapshot
from archive.schema import open_database
from archive.snapshots import store_snapshot
from parsers import ParseError, UnreadableFormat, parse_report
from parsers import pdf_document, spreadsheet, word_document
from parsers.document_kind import document_kind
from parsers.pdf_document import is_page_marker

sys.path.insert(0, str(get_test_file("attachments")))
from make_fixtures import docx_report, ole_file  # noqa: E402
from report_tables import APPLICANTS, GROUPS, applications  # noqa: E402

TABLES = ("active_disclosure", "applications", "reviews_litigation")
REPORTS = {  # fixture: (seed whose numbers it prints, text_form, title, agency, year)
    "report_2024.pdf": ("000_a7e6a703afb669e1", "pdf", "城中区人民政府2024年政府信息公开工作年度报告", "城中区人民政府", 2024),
    "report_2021.docx": ("004_cbaa75f9e60907ca", "docx", "2021年江夏区政府信息公开工作年度报告", "江夏区", 2021),
    "report_2023.xlsx": ("003_1cf59b4176a625ae", "xlsx", "合作市2023年政府信息公开工作年度报告", "合作市", 2023),
    "report_2024.xls": ("002_47717d3cd7e0ea5b", "xls", "湛河区轻工路街道办事处2024年政府信息公开工作年度报告",
                        "湛河区轻工路街道办事处", 2024),
}
_parsed: dict[str, object] = {}


def parsed(name: str):
    """Each fixture parsed once for the whole module (a PDF takes a few tenths of a second)."""
    if name not in _parsed:
        _parsed[name] = parse_report(get_test_file("attachments", name).read_bytes(), url=f"https://example.gov.cn/{name}")
    return _parsed[name]


def seed_expected(seed: str) -> dict:
    return json.loads(get_test_file("seeds", f"{seed}.expected.json").read_text(encoding="utf-8"))


def cell(report, table: str, row: str, column: str) -> dict:
    return next(c for c in report.cells if (c["table"], c["row"], c["column"]) == (table, row, column))


@pytest.mark.parametrize("name", REPORTS)
def test_every_number_as_in_the_seed(name):
    seed, text_form, *_ = REPORTS[name]
    report, expected = parsed(name), seed_expected(seed)
    compared = 0
    for table in TABLES:
        actual = getattr(report, table)
        assert set(actual) == set(expected[table]), (table, set(actual) ^ set(expected[table]))
        for row, columns in expected[table].items():
            assert set(actual[row]) == set(columns), (table, row)
            for column, value in columns.items():
                assert actual[row][column] == pytest.approx(value), (table, row, column)
                compared += 1
    assert compared >= 186
    assert report.failing_rules == expected["failing_rules"]
    assert report.text_form == text_form
    assert [p for p in report.problems if p["kind"] != "tables_missing"] == []


@pytest.mark.parametrize("name", REPORTS)
def test_metadata(name):
    _, _, title, agency, year = REPORTS[name]
    report = parsed(name)
    assert (report.title, report.agency, report.year, report.layout) == (title, agency, year, "2021")
    assert (report.encoding, report.encoding_source) == ("unicode", "document")
    json.dumps(report.to_dict(include_cells=True), ensure_ascii=False)


def test_numbers_written_here():
    """A few numbers spelled out, independent of the JSON files."""
    pdf, docx, xlsx, xls = (parsed(n) for n in REPORTS)
    assert pdf.applications["new_received"]["total"] == 47
    assert pdf.applications["partially_granted"]["legal_service_org"] == 24
    assert pdf.active_disclosure["licensing"]["decisions"] == 26367
    assert pdf.reviews_litigation["review"] == {"upheld": 0, "corrected": 5, "other": 0, "pending": 0, "total": 5}
    assert docx.active_disclosure["fees"]["amount_10k_yuan"] == pytest.approx(668.57)
    assert docx.applications["new_received"]["total"] == 160
    assert docx.applications["other"]["total"] == 0 and "other_other" not in docx.applications
    assert xlsx.active_disclosure["penalty"]["decisions"] == 73605
    assert xlsx.reviews_litigation["litigation_direct"]["total"] == 8
    assert xlsx.failing_rules == ["R1", "R3"]  # the source's own （七）总计 row is all zeros
    assert xls.applications["unable_not_held"]["natural_person"] == 6


def test_cells_say_where_they_are():
    pdf, docx, xlsx, xls = (parsed(n) for n in REPORTS)
    # Table 三 breaks after its 9th row: the rest is table 1 of page 2, numbered there.
    assert cell(pdf, "applications", "new_received", "total")["where"] == "pdf page 1, table 2, row 4, col 10"
    assert cell(pdf, "applications", "withheld_internal_affairs", "total")["where"] == "pdf page 2, table 1, row 3, col 10"
    assert cell(pdf, "reviews_litigation", "review", "corrected")["where"] == "pdf page 2, table 2, row 4, col 2"
    assert cell(docx, "active_disclosure", "fees", "amount_10k_yuan")["where"] == "docx table 1, row 14, col 2"
    assert cell(docx, "applications", "other", "natural_person")["where"] == "docx table 2, row 24, col 4"
    assert cell(xlsx, "applications", "withheld_internal_affairs", "total")["where"] == "sheet 表三, row 13, col J"
    assert cell(xlsx, "reviews_litigation", "litigation_after_review", "total")["where"] == "sheet 表四, row 5, col O"
    assert cell(xls, "applications", "carried_forward", "total")["where"] == "sheet 湛河区年报, row 48, col J"


def test_pdf_table_continued_on_the_next_page_is_one_table():
    report = parsed("report_2024.pdf")
    rows = list(report.applications)
    assert rows[:3] == ["new_received", "carried_over", "granted"] and rows[-2:] == ["total", "carried_forward"]
    assert len(rows) == 25  # 2021 layout: （六） in three rows, so "3.其他" needed the group from page 1's rows
    assert {c["kind"] for c in report.cells} <= {"number", "zero"}


def test_pdf_page_markers_are_not_text_or_cells():
    report = parsed("report_2024.pdf")
    assert "- 1 -" not in report.text and "- 2 -" not in report.text
    assert not any(is_page_marker(c["text"]) for c in report.cells)


@pytest.mark.parametrize("line,top,expected", [
    ("- 4 -", None, True), ("－ 12 －", None, True), ("—3—", None, True), ("第 4 页", None, True),
    ("第4页 共10页", None, True), ("4 / 10", None, True), ("Page 3 of 9", None, True),
    ("7", 800.0, True), ("7", 400.0, False), ("7", None, False), ("行政许可 4", None, False),
    ("第二十条第（一）项", None, False),
])
def test_page_marker(line, top, expected):
    assert is_page_marker(line, top, 842.0) is expected


def test_unruled_pdf_falls_back_to_text_lines():
    """A table drawn without rules is text: the text-table reader takes it, and the cells say
    which PDF page and line they came from. It may miss cells, never invent them."""
    report = parse_report(get_test_file("attachments", "report_2024_unruled.pdf").read_bytes())
    expected = seed_expected("000_a7e6a703afb669e1")
    assert report.active_disclosure == expected["active_disclosure"]
    assert report.reviews_litigation == expected["reviews_litigation"]
    for row, columns in report.applications.items():
        for column, value in columns.items():
            assert value is None or value == expected["applications"][row][column], (row, column)
    assert report.applications["new_received"] == expected["applications"]["new_received"]
    assert cell(report, "active_disclosure", "licensing", "decisions")["where"] == "pdf page 1, line 19"
    assert all(c["where"].startswith("pdf page ") for c in report.cells)


@pytest.mark.parametrize("name,words", [
    ("truncated.pdf", "unreadable PDF: truncated"),
    ("encrypted.pdf", "unreadable PDF: encrypted"),
    ("scanned.pdf", "unreadable attachment format: scanned PDF (images, no text layer)"),
    ("corrupt.docx", "unreadable DOCX: "),
    ("truncated.docx", "unreadable DOCX: "),
    ("legacy.doc", "unreadable attachment format: DOC (legacy Word)"),
    ("kingsoft.wps", "unreadable attachment format: WPS (Kingsoft Writer)"),
    ("report.ofd", "unreadable attachment format: OFD (Chinese fixed-layout document)"),
    ("scan.png", "unreadable attachment format: PNG image"),
])
def test_refused_with_the_format_named(name, words):
    with pytest.raises(ParseError) as info:
        parse_report(get_test_file("attachments", name).read_bytes())
    message = str(info.value)
    assert message.startswith(words) and "\n" not in message
    assert isinstance(info.value, UnreadableFormat) == words.startswith("unreadable attachment format")


def test_the_archive_that_kept_an_unreadable_attachment_says_so(tmp_path):
    """The parser names the format; the crawl or reparse, which stored the body, adds that
    the file is kept (`nianbao parse FILE` keeps nothing, so does not say it)."""
    db = open_database(tmp_path / "nianbao.db")
    snapshot_id = store_snapshot(db, url="http://127.0.0.1:9/a/report.doc", method="GET", request_headers=[],
                                 status=200, response_headers=[["Content-Type", "application/msword"]],
                                 body=get_test_file("attachments", "legacy.doc").read_bytes(), kind="attachment")
    outcome = parse_stored_snapshot(db, snapshot_id)
    assert outcome.message == "unreadable attachment format: DOC (legacy Word); file kept"
    assert db.execute("select message from errors").fetchall() == [(outcome.message,)]


@pytest.mark.parametrize("data,words", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4, "damaged OLE container"),
    (b"PK\x03\x04\x14\x00" + b"word/document.xml" + bytes(64), "unreadable DOCX"),
    (b"PK\x03\x04\x14\x00" + b"\x00" * 300, "damaged ZIP container"),
    (b"{\\rtf1\\ansi\\ansicpg936 \\'b3\\'c7}", "RTF"),
    (b"II*\x00" + bytes(200), "TIFF image"),
    (b"BM" + bytes(60), "BMP image"),
    (b"\xff\xd8\xff\xe0" + bytes(100), "JPEG image"),
    (b"Rar!\x1a\x07\x00" + bytes(50), "compressed archive"),
    (b"abc\x00\x01\x02def" * 20, "binary input (NUL bytes)"),
])
def test_other_binaries_refused_by_name(data, words):
    with pytest.raises(ParseError) as info:
        parse_report(data)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_document_kinds():
    word = ole_file({"WordDocument": b"\xec\xa5" + bytes(100)})
    assert document_kind(word).name == "DOC"
    assert document_kind(word, "https://x.gov.cn/a/报告.wps").name == "WPS"  # WPS saves Word binaries
    assert document_kind(ole_file({"Workbook": bytes(100)})).name == "XLS"
    assert document_kind(ole_file({"EncryptedPackage": bytes(100)})).name == "ENCRYPTED"
    assert document_kind(get_test_file("attachments", "report_2023.xlsx").read_bytes()).name == "XLSX"
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("附件1.pdf", b"%PDF-1.4")
    assert document_kind(plain_zip.getvalue()).description == "ZIP archive (not unpacked)"
    assert document_kind(b"<html>") is None


@pytest.mark.parametrize("name", ["report_2024.pdf", "report_2021.docx", "report_2023.xlsx", "report_2024.xls"])
def test_damaged_copies_give_a_report_or_a_parse_error(name):
    """Truncations and flipped bytes: whatever pdfminer, python-docx, openpyxl or xlrd raise
    becomes a one-line ParseError."""
    data = get_test_file("attachments", name).read_bytes()
    tail = data[-1024:]
    damaged = [data[:n] for n in (len(data) // 7, len(data) // 3, len(data) - 300)]
    damaged += [data[:n] + bytes(b ^ 0x5A for b in data[n:n + 400]) + data[n + 400:] for n in (200, len(data) // 2)]
    damaged.append(data[: len(data) // 2] + tail)  # a hole in the middle, the end intact
    if name.endswith(".pdf"):
        damaged = damaged[3:]  # parsing a PDF takes time; the truncations all stop at the %%EOF check
    for body in damaged:
        try:
            parse_report(body)
        except ParseError as exc:
            assert str(exc) and "\n" not in str(exc)


def test_size_guards(monkeypatch):
    """Limits that keep a hostile file from taking minutes or gigabytes, each a ParseError."""
    pdf = get_test_file("attachments", "report_2024.pdf").read_bytes()
    monkeypatch.setattr(pdf_document, "MAX_CONTENT_BYTES", 10_000)
    with pytest.raises(ParseError, match="unreadable PDF: page 1 holds 16 KB of drawing instructions"):
        parse_report(pdf)
    monkeypatch.setattr(pdf_document, "MAX_CONTENT_BYTES", 30_000)  # page 1 fits, page 2 does not
    report = parse_report(pdf)
    assert report.applications["granted"]["total"] == 3 and "total" not in report.applications
    assert report.reviews_litigation is None
    # Cut short, and saying so: the missing table is not the source's.
    assert {"kind": "document_limit", "table": None,
            "detail": "read pages 1-1 only: page 2 would pass 30,000 bytes of drawing instructions"} in report.problems
    monkeypatch.setattr(word_document, "MAX_UNPACKED_BYTES", 50_000)
    with pytest.raises(ParseError, match=r"unreadable DOCX: unpacks to 0\.[0-9] MB"):
        parse_report(get_test_file("attachments", "report_2021.docx").read_bytes())
    monkeypatch.setattr(spreadsheet, "MAX_SHEET_XML_BYTES", 1_000)
    with pytest.raises(ParseError, match="unreadable XLSX: worksheets of"):
        parse_report(get_test_file("attachments", "report_2023.xlsx").read_bytes())


def _xlsx_with_sheet1(change) -> bytes:
    """report_2023.xlsx with its first worksheet's XML passed through ``change``."""
    source = zipfile.ZipFile(get_test_file("attachments", "report_2023.xlsx"))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            archive.writestr(info.filename, change(data) if info.filename == "xl/worksheets/sheet1.xml" else data)
    return out.getvalue()


@pytest.mark.parametrize("xml, message", [
    # found by fuzzing: 3 million unclosed tags (9 MB, 19 KB zipped) took expat under openpyxl past 500 MB
    (b"<a>" * 3_000_000, "nests elements more than 256 deep"),
    # openpyxl builds a cell object for each cell of a merged range: this one took 10 s and 435 MB
    (b'<mergeCells count="1"><mergeCell ref="A1:A1048576"/></mergeCells>', "merged ranges cover 1,048,[0-9]{3} cells"),
    (b'<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>', "merged ranges cover 17,179,869,[0-9]{3} cells"),
])
def test_an_xlsx_whose_sheet_openpyxl_would_build_without_bound_is_refused_quickly(xml, message):
    body = _xlsx_with_sheet1(lambda sheet: sheet.replace(b"</sheetData>", b"</sheetData>" + xml, 1))
    with pytest.raises(ParseError, match="unreadable XLSX: .*" + message):
        parse_report(body)


def test_an_xlsx_with_merged_ranges_of_a_report_still_reads():
    """The check counts only what the ranges cover: the fixture's own merged cells pass."""
    merged = b'<mergeCells count="1"><mergeCell ref="A40:C41"/></mergeCells>'
    body = _xlsx_with_sheet1(lambda sheet: sheet.replace(b"</sheetData>", b"</sheetData>" + merged, 1)
                             if b"<mergeCells" not in sheet else sheet)
    assert parse_report(body).applications == parse_report(get_test_file("attachments", "report_2023.xlsx")
                                                           .read_bytes()).applications


def test_a_pdf_denser_than_a_report_is_read_only_so_far_and_says_where_it_stopped(monkeypatch):
    """Reading a PDF costs time in its characters and in the crossings of its ruling lines;
    past what a report holds, reading stops (deterministically: not by the clock), and each
    limit reached is a problem of the report."""
    pdf = get_test_file("attachments", "report_2024.pdf").read_bytes()
    assert not [p for p in parse_report(pdf).problems if p["kind"] == "document_limit"]

    monkeypatch.setattr(pdf_document, "MAX_CHARS", 500)  # page 1 holds more: page 2 is not read
    report = parse_report(pdf)
    assert [p["detail"] for p in report.problems if p["kind"] == "document_limit"] == [
        "read pages 1-1 only: they hold 767 characters, more than a report"]  # of its 1,406
    assert report.applications is not None and report.reviews_litigation is None  # table 四 is on page 2
    monkeypatch.undo()

    monkeypatch.setattr(pdf_document, "MAX_PAGE_CROSSINGS", 100)  # each page's tables cross more
    report = parse_report(pdf)
    limits = [p["detail"] for p in report.problems if p["kind"] == "document_limit"]
    assert [limit.split(",")[0] for limit in limits] == [
        "page 1: ruled tables not looked for", "page 2: ruled tables not looked for"]


def test_a_docx_longer_than_a_report_is_read_only_so_far_and_says_where_it_stopped(monkeypatch):
    """python-docx costs time per paragraph and cell: a 230 KB file of a million empty cells
    took 30 s. Reading stops after MAX_ITEMS of them, and the report says so."""
    docx_file = get_test_file("attachments", "report_2021.docx").read_bytes()  # 11 paragraphs, 3 tables
    monkeypatch.setattr(word_document, "MAX_ITEMS", 5)
    report = parse_report(docx_file)
    assert [p["detail"] for p in report.problems if p["kind"] == "document_limit"] == [
        "read 5 paragraphs and 0 tables only: they hold 5 paragraphs and cells, more than a report"]
    assert (report.active_disclosure, report.applications, report.reviews_litigation) == (None, None, None)
    monkeypatch.setattr(word_document, "MAX_ITEMS", 1)  # the title only: not recognisable, and said why
    with pytest.raises(ParseError, match=r"not a report: .* in what was read \(read 1 paragraphs and 0 tables only"):
        parse_report(docx_file)


def test_a_dense_ruled_grid_is_not_searched_for_cells():
    """200 x 150 ruling lines cross 30,000 times: pdfplumber's cell search, quadratic in them,
    would take ~15 s on this one page."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(_ruled_pdf(horizontal=200, vertical=150))) as pdf:
        finder = pdf_document._BoundedTableFinder(pdf.pages[0])
    assert finder.crossings_over_limit and len(finder.intersections) == 30_000 and finder.tables == []


def test_the_bounded_table_finder_finds_what_pdfplumber_finds():
    """Its steps are pdfplumber's TableFinder's: on a report's tables, the same tables."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(get_test_file("attachments", "report_2024.pdf").read_bytes())) as pdf:
        for page in pdf.pages:
            ours = pdf_document._BoundedTableFinder(page)
            assert not ours.crossings_over_limit
            assert [(t.bbox, t.extract()) for t in ours.tables] == [(t.bbox, t.extract()) for t in page.find_tables()]
            assert ours.tables


def _ruled_pdf(horizontal: int, vertical: int) -> bytes:
    """A one-page PDF of evenly spaced ruling lines and one line of text, written by hand."""
    lines = [f"20 {20 + i * 800 / horizontal:.2f} m 580 {20 + i * 800 / horizontal:.2f} l S" for i in range(horizontal)]
    lines += [f"{20 + i * 560 / vertical:.2f} 20 m {20 + i * 560 / vertical:.2f} 820 l S" for i in range(vertical)]
    lines.append("BT /F1 12 Tf 30 830 Td (2024 report) Tj ET")
    stream = "\n".join(lines).encode()
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of these objects (1 0 obj, 2 0 obj, …; the first the catalog), xref and trailer."""
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# ---- hostile attachments: compression bombs and XML entities ----

def _stream(data: bytes, filters: str) -> bytes:
    return b"<< /Length %d /Filter %s >>\nstream\n" % (len(data), filters.encode()) + data + b"\nendstream"


def _deflated_spaces(size: int) -> bytes:
    packer, megabyte = zlib.compressobj(9), b" " * (1 << 20)
    return b"".join(packer.compress(megabyte) for _ in range(size >> 20)) + packer.flush()


def _pdf_drawing_form(form: bytes) -> bytes:
    """One page whose small content stream draws a form XObject: ``form``, a stream object."""
    page = b"q /Fm1 Do Q"
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /XObject << /Fm1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(page) + page + b"\nendstream",
        form.replace(b"<< ", b"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] ", 1),
    ])


def _peak_memory(call) -> tuple[int, BaseException | None]:
    """The most memory ``call()`` held at once (bytes, as tracemalloc counts), and what it raised."""
    tracemalloc.start()
    try:
        call()
        raised = None
    except Exception as exc:  # noqa: BLE001 - returned for the test to judge
        raised = exc
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, raised


@pytest.mark.parametrize("where", ["page content", "form XObject"])
def test_a_pdf_flate_bomb_is_refused_before_it_unpacks(where):
    """A 1 MB PDF whose stream inflates to 1 GB: pdfminer would hold the whole GB (a 256 MB one
    took 571 MB) wherever the stream sits. Refused once 200 MB would be passed, counted a chunk
    at a time: the reading holds a few MB, and the archive records the ParseError."""
    bomb = _deflated_spaces(1 << 30)
    if where == "page content":
        pdf = _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
                    _stream(bomb, "/FlateDecode")])
    else:
        pdf = _pdf_drawing_form(_stream(bomb, "/FlateDecode"))
    assert len(pdf) < 1_100_000
    peak, raised = _peak_memory(lambda: parse_report(pdf, url="http://x/a.pdf"))
    assert isinstance(raised, ParseError)
    assert str(raised) == ("unreadable PDF: its compressed streams unpack to more than 200 MB (a Flate stream), "
                           "more than a report holds")
    assert peak < 20_000_000


def test_a_pdf_that_chains_filters_or_uses_runlength_or_lzw_is_bounded_too(monkeypatch):
    """Each decoder pdfminer uses counts against one budget per document: a Flate stream inside
    a Flate stream, a RunLength one (128 bytes from 2), an LZW one (the PDF Reference's example,
    \"-----A---B\", 10 bytes from 9)."""
    twice = zlib.compress(_deflated_spaces(300 << 20), 9)  # 1 KB → 300 KB → 300 MB
    peak, raised = _peak_memory(lambda: parse_report(
        _pdf_drawing_form(_stream(twice, "[/FlateDecode /FlateDecode]")), url="http://x/a.pdf"))
    assert "(a Flate stream)" in str(raised) and peak < 20_000_000
    runs = b"\x81 " * (2 << 20)  # 2 Mi runs of 128 spaces: 256 MB
    with pytest.raises(ParseError, match=r"more than 200 MB \(a RunLength stream\)"):
        parse_report(_pdf_drawing_form(_stream(runs, "/RunLengthDecode")), url="http://x/a.pdf")
    lzw = bytes.fromhex("800B6050220C0C8501")
    monkeypatch.setattr(pdf_document, "MAX_INFLATED_BYTES", 9)
    with pytest.raises(ParseError, match=r"more than 0 MB \(an LZW stream\)"):
        parse_report(_pdf_drawing_form(_stream(lzw, "/LZWDecode")), url="http://x/a.pdf")


def test_a_ccitt_fax_stream_is_refused_and_ascii85_and_runlength_count_what_they_make(monkeypatch):
    """A CCITT fax stream is a scanned image, which no text needs; pdfminer decodes it pixel by
    pixel in Python (735 bytes took 9.7 s): refused at once. ASCII85 (5 bytes out of 4, after
    another decoder) counts against the budget like the rest, and RunLength holds what it
    makes as bytes (pdfminer's list of ints held 8.5 bytes a byte)."""
    fax = _stream(b"\xff" * 600, "/CCITTFaxDecode /DecodeParms << /K -1 /Columns 8000 >>")
    with pytest.raises(ParseError, match="a CCITT fax stream"):  # the old code decoded it, 6 s
        parse_report(_pdf_drawing_form(fax), url="http://x/a.pdf")
    monkeypatch.setattr(pdf_document, "MAX_INFLATED_BYTES", 3_000_000)
    text = base64.a85encode(b" " * (3 << 20)) + b"~>"  # 3.1 MB out, over a 3 MB budget
    with pytest.raises(ParseError, match=r"\(an ASCII85 stream\)"):
        parse_report(_pdf_drawing_form(_stream(text, "/ASCII85Decode")), url="http://x/a.pdf")
    monkeypatch.setattr(pdf_document, "MAX_INFLATED_BYTES", 200_000_000)
    runs = b"\x81 " * (160 << 10)  # 20 MB of spaces
    peak, raised = _peak_memory(lambda: parse_report(
        _pdf_drawing_form(_stream(runs, "/RunLengthDecode")), url="http://x/a.pdf"))
    assert peak < 60_000_000, peak  # 175 MB before
    assert str(raised) == "unreadable PDF: no text on any page"  # decoded whole (spaces), not refused early


def test_outside_nianbao_reading_pdfminer_decodes_as_before():
    """The bound applies inside read_pdf only: pdfminer's decoders elsewhere are unchanged."""
    from pdfminer.pdftypes import PDFStream
    from pdfminer.psparser import LIT

    assert PDFStream({"Filter": LIT("LZWDecode")}, bytes.fromhex("800B6050220C0C8501")).get_data() == b"-----A---B"
    assert PDFStream({"Filter": LIT("FlateDecode")}, _deflated_spaces(3 << 20)).get_data() == b" " * (3 << 20)


def _decoded_in_budget(data: bytes, decoder: str, limit: int = 200_000_000) -> tuple[bytes | str, int, list[str]]:
    """A stream decoded by pdfminer inside the budget: its data (or the error's name), what it
    was charged, and the zlib inflating calls made (seen by a profiler: none replaced)."""
    from pdfminer.pdftypes import PDFStream
    from pdfminer.psparser import LIT
    from parsers import pdf_streams

    calls = []
    inflater_type = type(zlib.decompressobj())

    def profile(frame, event, arg):
        if event == "c_call" and (arg is zlib.decompress or isinstance(getattr(arg, "__self__", None), inflater_type)):
            calls.append(arg.__qualname__)

    with pdf_streams.inflate_budget(limit):
        sys.setprofile(profile)
        try:
            data = PDFStream({"Filter": LIT(decoder)}, data).get_data()
        except Exception as exc:  # noqa: BLE001 - compared by the tests
            data = type(exc).__name__
        finally:
            sys.setprofile(None)
        return data, limit - pdf_streams._budget.get().remaining, calls


def test_a_flate_stream_is_inflated_once_and_charged_once():
    """Inside the budget a Flate stream is inflated once, a chunk at a time, and charged what
    it makes (it was inflated to be counted, then again by zlib.decompress). A stream past
    the part kept before counting (4 MiB) has only its rest counted first."""
    from parsers import pdf_streams

    text = "".join(f"{n}. 本机关认真贯彻落实条例 " for n in range(100_000)).encode("utf-16-be")  # 3.8 MB
    data, charged, calls = _decoded_in_budget(zlib.compress(text), "FlateDecode")
    assert data == text and charged == len(text)
    assert "decompress" not in calls and len(calls) <= len(text) // pdf_streams._CHUNK + 1, calls
    big = 12 << 20
    data, charged, calls = _decoded_in_budget(_deflated_spaces(big), "FlateDecode")
    kept = pdf_streams._KEPT_UNCOUNTED // pdf_streams._CHUNK
    assert data == b" " * big and charged == big
    assert "decompress" not in calls and len(calls) <= kept + 2 * (big // pdf_streams._CHUNK - kept) + 2, calls


@pytest.mark.parametrize("damage", ["cut short", "checksum", "middle", "trailing bytes", "not zlib"])
def test_a_damaged_flate_stream_reads_inside_the_budget_as_pdfminer_reads_it(damage):
    """pdfminer reads a damaged stream byte by byte up to the damage: what it gets (or the
    error it raises) is the same inside the budget as outside, and charged once."""
    from pdfminer.pdftypes import PDFStream
    from pdfminer.psparser import LIT

    packed = zlib.compress(b"".join(b"%d 0 0 %d re f\n" % (n, n) for n in range(5000)))
    damaged = {"cut short": packed[:-7], "checksum": packed[:-1] + bytes([packed[-1] ^ 1]),
               "middle": packed[:len(packed) // 2] + b"\xff\xff" + packed[len(packed) // 2 + 2:],
               "trailing bytes": packed + b"\nendstream junk", "not zlib": b"q 1 0 0 1 0 0 cm Q"}[damage]
    try:
        outside = PDFStream({"Filter": LIT("FlateDecode")}, damaged).get_data()
    except Exception as exc:  # noqa: BLE001 - compared
        outside = type(exc).__name__
    data, charged, _ = _decoded_in_budget(damaged, "FlateDecode")
    assert data == outside
    assert charged == len(data)


def test_damaged_flate_streams_are_charged_what_pdfminer_recovers_of_them(monkeypatch):
    """A stream with a broken checksum read in one zlib call was charged nothing, and pdfminer
    recovered it whole byte by byte: 400 such forms of 1 MiB in a 486 KB PDF held 421 MB
    past a 200 MB budget. Each is now charged what is recovered; here 12 pass a 10 MB budget."""
    packed = zlib.compress(b" " * ((1 << 20) - 1), 9)
    damaged = _stream(packed[:-1] + bytes([packed[-1] ^ 1]), "/FlateDecode")
    names = [b"/Fm%d" % n for n in range(12)]
    page = b" ".join(b"q %s Do Q" % name for name in names)
    pdf = _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /XObject << "
                + b" ".join(b"%s %d 0 R" % (name, 5 + n) for n, name in enumerate(names)) + b" >> >> >>",
                b"<< /Length %d >>\nstream\n" % len(page) + page + b"\nendstream"]
               + [damaged.replace(b"<< ", b"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] ", 1)] * len(names))
    monkeypatch.setattr(pdf_document, "MAX_INFLATED_BYTES", 10_000_000)
    with pytest.raises(ParseError, match=r"more than 10 MB \(a Flate stream\)"):
        parse_report(pdf, url="http://x/a.pdf")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.binary(min_size=1, max_size=128),
                          st.tuples(st.integers(0, 255), st.integers(2, 128))), max_size=40),
       st.sampled_from([b"", b"\x80", b"\x80junk after the end"]))
def test_runlength_inside_the_budget_decodes_as_pdfminer_and_is_charged_what_it_makes(runs, end):
    """One reading of the run headers serves the count and the decoding: both must agree
    with pdfminer's rldecode, run by run."""
    from pdfminer.runlength import rldecode

    encoded = b"".join(bytes([len(run) - 1]) + run if isinstance(run, bytes) else bytes([257 - run[1], run[0]])
                       for run in runs) + end
    data, charged, _ = _decoded_in_budget(encoded, "RunLengthDecode")
    assert data == rldecode(encoded)
    assert charged == len(data)


def _docx_with(member: str, data: bytes, *, replacing: bool = True) -> bytes:
    """The DOCX fixture with ``member`` replaced (or added)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(get_test_file("attachments", "report_2021.docx").read_bytes())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in source.infolist():
            if not (replacing and info.filename == member):
                copy.writestr(info.filename, source.read(info.filename))
        copy.writestr(member, data)
    return out.getvalue()


def test_a_zip_bomb_docx_is_refused_by_its_unpacked_size_even_when_it_lies():
    """A 200 KB DOCX whose document.xml is followed by 200 MB of spaces is refused from the zip
    directory before anything unpacks; one whose headers say the member is 1 KB (zipfile would
    inflate all 200 MB, then cut them to 1 KB: 459 MB held) is counted as it unpacks, and
    refused at 100 MB holding a few MB."""
    with zipfile.ZipFile(get_test_file("attachments", "report_2021.docx")) as docx_zip:
        document = docx_zip.read("word/document.xml")
    honest = _docx_with("word/document.xml", document + b" " * (200 << 20))
    assert len(honest) < 300_000
    peak, raised = _peak_memory(lambda: parse_report(honest, url="http://x/a.docx"))
    assert str(raised) == "unreadable DOCX: unpacks to 210.6 MB, more than a report holds" and peak < 5_000_000
    lying = bytearray(honest)
    member = zipfile.ZipFile(io.BytesIO(honest)).getinfo("word/document.xml")
    central = lying.index(b"PK\x01\x02", lying.index(b"PK\x05\x06") - 4096)
    while lying[central + 46:central + 46 + len(b"word/document.xml")] != b"word/document.xml":
        central = lying.index(b"PK\x01\x02", central + 4)
    for offset in (member.header_offset + 22, central + 24):  # uncompressed size, local and central
        lying[offset:offset + 4] = (1024).to_bytes(4, "little")
    peak, raised = _peak_memory(lambda: parse_report(bytes(lying), url="http://x/a.docx"))
    assert str(raised) == ("unreadable DOCX: unpacks to more than 100 MB, more than a report holds "
                           "(its zip directory says less)")
    assert peak < 5_000_000


LAUGHS = ('<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa">'
          + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)) + "]>")
XXE = '<!DOCTYPE w:document [<!ENTITY secret SYSTEM "file://{path}">]>'


def _with_doctype(xml: bytes, doctype: str, reference: str, after: str) -> bytes:
    text = xml.decode("utf-8")
    declaration_end = text.index("?>") + 2 if text.startswith("<?xml") else 0
    assert after in text
    return (text[:declaration_end] + doctype + text[declaration_end:]).replace(after, after + reference, 1).encode()


def test_xml_entities_in_docx_and_xlsx_neither_expand_nor_read_files(tmp_path):
    """Billion laughs (10^10 bytes from 10 levels of entities) and an external entity naming a
    local file: python-docx parses with entities unresolved and libxml2 caps amplification;
    openpyxl parses through defusedxml, which refuses entity declarations. Either the entity is
    left out of the text or the file is refused: never expanded, never the file's content."""
    secret = tmp_path / "secret.txt"
    secret.write_text("LOCAL-SECRET", encoding="utf-8")
    with zipfile.ZipFile(get_test_file("attachments", "report_2021.docx")) as docx_zip:
        document = docx_zip.read("word/document.xml")
    with zipfile.ZipFile(get_test_file("attachments", "report_2023.xlsx")) as xlsx_zip:
        sheet = xlsx_zip.read("xl/worksheets/sheet1.xml")
    title = "2021年江夏区政府信息公开工作年度报告"
    laughs = _docx_with("word/document.xml", _with_doctype(document, LAUGHS, "&j;", title))
    with pytest.raises(ParseError, match="amplification"):
        parse_report(laughs, url="http://x/a.docx")
    external = parse_report(_docx_with("word/document.xml", _with_doctype(
        document, XXE.format(path=secret), "&secret;", title)), url="http://x/a.docx")
    assert external.title == title and "LOCAL-SECRET" not in json.dumps(external.to_dict(), ensure_ascii=False)
    for doctype in (LAUGHS, XXE.format(path=secret)):
        xlsx = io.BytesIO()
        with zipfile.ZipFile(get_test_file("attachments", "report_2023.xlsx")) as source, \
                zipfile.ZipFile(xlsx, "w", zipfile.ZIP_DEFLATED) as copy:
            for info in source.infolist():
                data = source.read(info.filename)
                copy.writestr(info.filename, _with_doctype(data, doctype, "", "<worksheet")
                              if info.filename == "xl/worksheets/sheet1.xml" else data)
        with pytest.raises(ParseError, match="unreadable XLSX"):
            parse_report(xlsx.getvalue(), url="http://x/a.xlsx")


# ---- property: any table 三 written into a DOCX comes back exactly ----

NOT_APPLICABLE = ("/", "—", "无")
_printed = st.one_of(st.integers(0, 10**6), st.none(), st.sampled_from(NOT_APPLICABLE))
_ROWS = (["new_received", "carried_over", "granted", "partially_granted"]
         + [key for _, items in GROUPS for _, key in items] + ["total", "carried_forward"])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(_printed, min_size=7, max_size=7), min_size=len(_ROWS), max_size=len(_ROWS)))
def test_random_table_three_in_docx_comes_back_exactly(printed_rows):
    values = {row: dict(zip(APPLICANTS, cells)) for row, cells in zip(_ROWS, printed_rows)}
    data = docx_report(["城中区2024年政府信息公开工作年度报告"], {"applications": applications(values)}, stable=False)
    report = parse_report(data)
    for row, columns in values.items():
        for column, printed in columns.items():
            got = report.applications[row][column]
            kind = cell(report, "applications", row, column)["kind"]
            if isinstance(printed, int):
                assert (got, kind) == (printed, "zero" if printed == 0 else "number"), (row, column)
            else:
                assert (got, kind) == (None, "empty" if printed is None else "not_applicable"), (row, column)


def test_text_drawn_again_in_place_is_read_once():
    """Found by fuzzing (a PDF's drawing instructions repeated): pdfplumber gives each glyph
    drawn, so text drawn two or three times in place, as WPS and others make bold, read
    '24' as '222444', a number the page never printed. Overprinted characters are read once."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.setFont("STSong-Light", 12)
    page.drawString(100, 700, "一、本年新收政府信息公开申请数量")
    for nudge in (0, 0.2, 0.4):  # fake bold
        page.drawString(330 + nudge, 700, "24")
    page.drawString(100, 680, "二、上年结转政府信息公开申请数量")
    page.drawString(330, 680, "22")  # the same digit twice, side by side: both are read
    page.save()
    assert pdf_document.read_pdf(out.getvalue()).lines == [
        "一、本年新收政府信息公开申请数量 24", "二、上年结转政府信息公开申请数量 22"]

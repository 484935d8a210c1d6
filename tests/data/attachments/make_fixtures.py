"""Write the attachment fixtures next to this file: reports as PDF, DOCX, XLSX and XLS, and the
formats or damaged files the parser must refuse with a reason naming them.

The numbers come from the seeds' expected.json files (tests/data/seeds), which were written from the
sources by hand, so the parser is tested against values it never produced. Run it again after
changing it; the outputs are committed:

    .venv/bin/python tests/data/attachments/make_fixtures.py
"""

from __future__ import annotations

import datetime
import io
import json
import re
import struct
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
SEEDS = HERE.parent / "seeds"
sys.path.insert(0, str(HERE))

from report_tables import HEADINGS, TABLE_BUILDERS, SpanTable  # noqa: E402

# Each fixture: which seed's numbers, and the report's own title and prose around the tables.
REPORTS = {
    "pdf": ("000_a7e6a703afb669e1", ["城中区人民政府2024年政府信息公开工作", "年度报告"]),
    "docx": ("004_cbaa75f9e60907ca", ["2021年江夏区政府信息公开工作年度报告"]),
    "xlsx": ("003_1cf59b4176a625ae", ["合作市2023年政府信息公开工作年度报告"]),
    "xls": ("002_47717d3cd7e0ea5b", ["湛河区轻工路街道办事处2024年政府信息公开工作年度报告"]),
}
OVERVIEW = ("根据《中华人民共和国政府信息公开条例》和国务院办公厅政府信息与政务公开办公室印发的年度报告格式要求，"
            "编制本报告。本报告所列数据的统计期限自1月1日起至12月31日止。")
PROBLEMS = "五、存在的主要问题及改进情况"
OTHER = "六、其他需要报告的事项"


def seed_values(seed: str) -> dict:
    return json.loads((SEEDS / f"{seed}.expected.json").read_text(encoding="utf-8"))


def report_parts(kind: str) -> tuple[list[str], dict[str, SpanTable]]:
    seed, title = REPORTS[kind]
    values = seed_values(seed)
    return title, {name: build(values[name]) for name, build in TABLE_BUILDERS.items()}


def fixed_zip(data: bytes) -> bytes:
    """The same archive with fixed timestamps, so a rerun writes the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the time of saving
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-30T00:00:00Z", data)
            target.writestr(zipfile.ZipInfo(info.filename, (2022, 1, 1, 0, 0, 0)), data,
                            compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


# ---- PDF (reportlab, STSong-Light CID font: pdfplumber extracts its text) ----

def pdf_report(title: list[str], tables: dict[str, SpanTable], *, ruled: bool = True,
               split_applications_at: int | None = 9) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=10.5, leading=16, wordWrap="CJK",
                          firstLineIndent=21)
    heading = ParagraphStyle("heading", parent=body, firstLineIndent=0)
    big = ParagraphStyle("title", parent=body, fontSize=16, leading=24, alignment=1, firstLineIndent=0)
    cell = ParagraphStyle("cell", fontName="STSong-Light", fontSize=7, leading=9, wordWrap="CJK", alignment=1)

    story = [Paragraph(line, big) for line in title] + [Spacer(1, 8), Paragraph(OVERVIEW, body)]
    story += [Paragraph("一、总体情况", heading)] + [Paragraph(OVERVIEW, body) for _ in range(3)]
    widths = {"active_disclosure": [150] + [115] * 3, "applications": [62, 62, 132] + [34] * 7,
              "reviews_litigation": [33] * 15}
    for name, table in tables.items():
        story.append(Paragraph(HEADINGS[name], heading))
        if name == "applications" and split_applications_at:
            first, rest = table.split(split_applications_at)
            story += [_pdf_table(first, widths[name], cell, ruled), PageBreak(), _pdf_table(rest, widths[name], cell, ruled)]
        else:
            story.append(_pdf_table(table, widths[name], cell, ruled))
        story.append(Spacer(1, 6))
    story += [Paragraph(PROBLEMS, heading), Paragraph(OVERVIEW, body), Paragraph(OTHER, heading),
              Paragraph("无。", body)]

    def page_marker(canvas, doc):
        canvas.setFont("STSong-Light", 9)
        canvas.drawCentredString(A4[0] / 2, 30, f"- {doc.page} -")

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=50, rightMargin=50, topMargin=50, bottomMargin=50,
                            invariant=1, title="", author="")
    doc.build(story, onFirstPage=page_marker, onLaterPages=page_marker)
    return out.getvalue()


def _pdf_table(table: SpanTable, widths, style, ruled: bool):
    from reportlab.platypus import Paragraph, Table, TableStyle

    data = [[Paragraph(text, style) if text else "" for text in row] for row in table.texts()]
    commands = [("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
    if ruled:
        commands.append(("GRID", (0, 0), (-1, -1), 0.5, "black"))
    for s in table.spans:
        if s.rowspan > 1 or s.colspan > 1:
            commands.append(("SPAN", (s.col, s.row), (s.col + s.colspan - 1, s.row + s.rowspan - 1)))
    return Table(data, colWidths=widths, style=TableStyle(commands))


def scanned_pdf() -> bytes:
    """A page that is only a picture, as a scanner makes it."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("L", (300, 420), 255)
    draw = ImageDraw.Draw(image)
    for y in range(40, 400, 14):
        draw.line((30, y, 270, y), fill=60, width=3)
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=1)
    page.drawImage(ImageReader(image), 40, 60, width=A4[0] - 80, height=A4[1] - 120)
    page.showPage()
    page.save()
    return out.getvalue()


# ---- DOCX (python-docx, merged cells) ----

def docx_report(title: list[str], tables: dict[str, SpanTable], stable: bool = True) -> bytes:
    """``stable``: the same bytes on every run (fixed zip timestamps), for committed files."""
    import docx

    document = docx.Document()
    for line in title:
        document.add_paragraph(line)
    document.add_paragraph(OVERVIEW)
    document.add_paragraph("一、总体情况")
    document.add_paragraph(OVERVIEW)
    for name, table in tables.items():
        document.add_paragraph(HEADINGS[name])
        _docx_table(document, table)
    for text in (PROBLEMS, OVERVIEW, OTHER, "无。"):
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return fixed_zip(out.getvalue()) if stable else out.getvalue()


def _docx_table(document, table: SpanTable):
    grid = document.add_table(rows=table.rows, cols=table.columns)
    grid.style = "Table Grid"
    # Cells looked up once, before merging: grid.cell() walks the whole table on every call.
    # Spans never overlap, so no merge touches another span's corners.
    cells = [list(row.cells) for row in grid.rows]
    for s in table.spans:
        cell = cells[s.row][s.col]
        if s.rowspan > 1 or s.colspan > 1:
            cell = cell.merge(cells[s.row + s.rowspan - 1][s.col + s.colspan - 1])
        cell.text = s.text
    return grid


# ---- XLSX (openpyxl): a sheet for the prose, one per table ----

def xlsx_report(title: list[str], tables: dict[str, SpanTable]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.properties.created = book.properties.modified = datetime.datetime(2024, 1, 30)
    sheet = book.active
    sheet.title = "报告"
    for r, text in enumerate(title + [OVERVIEW, "一、总体情况", OVERVIEW, PROBLEMS, OVERVIEW, OTHER, "无。"], 1):
        sheet.cell(r, 1, text)
    for (name, table), sheet_name in zip(tables.items(), ["表二", "表三", "表四"]):
        sheet = book.create_sheet(sheet_name)
        sheet.cell(1, 1, HEADINGS[name])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=table.columns)
        _xlsx_table(sheet, table, first_row=2)
    out = io.BytesIO()
    book.save(out)
    return fixed_zip(out.getvalue())


def _xlsx_table(sheet, table: SpanTable, first_row: int):
    for s in table.spans:
        row, col = first_row + s.row, 1 + s.col
        sheet.cell(row, col, s.value if isinstance(s.value, (int, float)) else s.text)
        if s.rowspan > 1 or s.colspan > 1:
            sheet.merge_cells(start_row=row, start_column=col, end_row=row + s.rowspan - 1,
                              end_column=col + s.colspan - 1)


# ---- XLS: BIFF8 records in an OLE compound file, written by hand (no XLS writer is installed) ----

def xls_report(title: list[str], tables: dict[str, SpanTable]) -> bytes:
    """One sheet with the whole report, each table under its section heading, as many offices do."""
    cells: list[tuple[int, int, object]] = []
    merges: list[tuple[int, int, int, int]] = []
    row = 0
    for text in title + [OVERVIEW, "一、总体情况", OVERVIEW]:
        cells.append((row, 0, text))
        row += 1
    for name, table in tables.items():
        cells.append((row, 0, HEADINGS[name]))
        merges.append((row, row, 0, table.columns - 1))
        row += 1
        for s in table.spans:
            value = s.value if isinstance(s.value, (int, float)) else s.text
            if value != "":
                cells.append((row + s.row, s.col, value))
            if s.rowspan > 1 or s.colspan > 1:
                merges.append((row + s.row, row + s.row + s.rowspan - 1, s.col, s.col + s.colspan - 1))
        row += table.rows
    for text in (PROBLEMS, OVERVIEW, OTHER, "无。"):
        cells.append((row, 0, text))
        row += 1
    return ole_file({"Workbook": biff8_workbook("湛河区年报", cells, merges)})


def _record(kind: int, data: bytes) -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _unicode(text: str, length_bytes: int) -> bytes:
    return struct.pack("<H" if length_bytes == 2 else "<B", len(text)) + b"\x01" + text.encode("utf-16-le")


def biff8_workbook(sheet_name: str, cells, merges) -> bytes:
    bof = lambda kind: _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 0x06))  # noqa: E731
    font = _record(0x0031, struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0x86, 0) + _unicode("宋体", 1))
    xf_style = _record(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, 0xFFF5, 0x20, 0, 0, 0, 0, 0, 0x20C0))
    xf_cell = _record(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, 0x0001, 0x20, 0, 0, 0, 0, 0, 0x20C0))
    style = _record(0x0293, struct.pack("<HBB", 0x8000, 0, 0xFF))
    sheet_record = lambda offset: _record(0x0085, struct.pack("<IBB", offset, 0, 0) + _unicode(sheet_name, 1))  # noqa: E731
    head = bof(0x0005) + _record(0x0042, struct.pack("<H", 1200)) + font * 5 + xf_style * 15 + xf_cell + style
    globals_size = len(head) + len(sheet_record(0)) + len(_record(0x000A, b""))
    workbook = head + sheet_record(globals_size) + _record(0x000A, b"")

    rows = max(r for r, _, _ in cells) + 1
    columns = max(c for _, c, _ in cells) + 1
    sheet = bof(0x0010) + _record(0x0200, struct.pack("<IIHHH", 0, rows, 0, columns, 0))
    for r, c, value in sorted(cells, key=lambda cell: cell[:2]):
        if isinstance(value, (int, float)):
            sheet += _record(0x0203, struct.pack("<HHHd", r, c, 15, float(value)))
        else:
            sheet += _record(0x0204, struct.pack("<HHH", r, c, 15) + _unicode(value, 2))
    ranges = b"".join(struct.pack("<HHHH", *m) for m in merges)
    sheet += _record(0x00E5, struct.pack("<H", len(merges)) + ranges) + _record(0x000A, b"")
    return workbook + sheet


def ole_file(streams: dict[str, bytes]) -> bytes:
    """A version-3 compound file: streams padded to 4096 bytes (no mini stream), one FAT sector."""
    end, free, fat_mark, none = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    data, starts, sizes = b"", [], []
    for content in streams.values():
        content = content + b"\x00" * max(0, 4096 - len(content))
        content += b"\x00" * (-len(content) % 512)
        starts.append(len(data) // 512)
        sizes.append(len(content))
        data += content
    data_sectors = len(data) // 512
    directory_sector, fat_sector = data_sectors, data_sectors + 1
    assert fat_sector < 128, "one FAT sector maps 128 sectors"
    fat = []
    for start, size in zip(starts, sizes):
        count = size // 512
        fat += [start + i + 1 for i in range(count - 1)] + [end]
    fat += [end, fat_mark]
    fat += [free] * (128 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        encoded = (name.encode("utf-16-le") + b"\x00\x00") if name else b""
        return (encoded.ljust(64, b"\x00") + struct.pack("<HBB", len(encoded), kind, 1)
                + struct.pack("<III", none, right, child) + b"\x00" * 16 + b"\x00" * 4 + b"\x00" * 16
                + struct.pack("<III", start, size, 0))

    names = list(streams)  # stored in name order (shorter first), each the right sibling of the one before
    entries = entry("Root Entry", 5, 1, none, end, 0)
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else none
        entries += entry(name, 2, none, right, starts[i], sizes[i])
    while len(entries) < 512:
        entries += entry("", 0, none, none, 0, 0)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
              + struct.pack("<IIIIIIIII", 0, 1, directory_sector, 0, 4096, end, 0, end, 0)
              + struct.pack("<I", fat_sector) + struct.pack("<I", free) * 108)
    return header + data + entries + struct.pack("<128I", *fat)


# ---- files the parser must refuse, each with a reason naming the format ----

def refused_files(pdf: bytes, docx_bytes: bytes) -> dict[str, bytes]:
    word_binary = b"\xec\xa5\xc1\x00" + "城中区2024年政府信息公开工作年度报告".encode("utf-16-le")
    ofd = io.BytesIO()
    with zipfile.ZipFile(ofd, "w") as archive:
        archive.writestr(zipfile.ZipInfo("OFD.xml", (2022, 1, 1, 0, 0, 0)),
                         '<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" '
                         'Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>'
                         '</ofd:DocBody></ofd:OFD>')
        archive.writestr(zipfile.ZipInfo("Doc_0/Document.xml", (2022, 1, 1, 0, 0, 0)), "<ofd:Document/>")
    corrupt = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as source, zipfile.ZipFile(corrupt, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = b"\x00garbage<w:p" * 40 if info.filename == "word/document.xml" else source.read(info.filename)
            target.writestr(zipfile.ZipInfo(info.filename, (2022, 1, 1, 0, 0, 0)), data,
                            compress_type=zipfile.ZIP_DEFLATED)
    return {
        "truncated.pdf": pdf[: len(pdf) * 3 // 5],
        "corrupt.docx": corrupt.getvalue(),
        "truncated.docx": docx_bytes[: len(docx_bytes) // 2],
        "legacy.doc": ole_file({"1Table": b"\x00" * 64, "WordDocument": word_binary}),
        "kingsoft.wps": ole_file({"1Table": b"\x00" * 64, "WordDocument": word_binary, "WpsCustomData": b"\x00" * 16}),
        "report.ofd": ofd.getvalue(),
        "scan.png": png_image(),
        "scanned.pdf": scanned_pdf(),
        "encrypted.pdf": encrypted_pdf(),
    }


def encrypted_pdf() -> bytes:
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, encrypt=StandardEncryption("secret", ownerPassword="owner"), invariant=1)
    page.drawString(100, 700, "annual report")
    page.showPage()
    page.save()
    return out.getvalue()


def png_image() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (40, 30), 200).save(out, format="PNG")
    return out.getvalue()


def main() -> None:
    outputs = {
        "report_2024.pdf": pdf_report(*report_parts("pdf")),
        "report_2024_unruled.pdf": pdf_report(*report_parts("pdf"), ruled=False, split_applications_at=None),
        "report_2021.docx": docx_report(*report_parts("docx")),
        "report_2023.xlsx": xlsx_report(*report_parts("xlsx")),
        "report_2024.xls": xls_report(*report_parts("xls")),
    }
    outputs.update(refused_files(outputs["report_2024.pdf"], outputs["report_2021.docx"]))
    for name, data in outputs.items():
        assert len(data) < 200_000, (name, len(data))
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()

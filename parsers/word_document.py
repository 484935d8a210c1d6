"""Read a DOCX report with python-docx: paragraphs as lines, tables as grids.

A merged cell covers several grid positions (a horizontal span once per
column, a vertical merge once per row); each position gets the id of the one
``<w:tc>`` element that holds the text, so the cell is read once per row and
is not confused with neighbours that merely print the same text.
"""

from __future__ import annotations

import io
import zipfile

import docx
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from .document_content import CellGrid, DocumentContent, flatten
from .errors import ParseError

MAX_UNPACKED_BYTES = 100_000_000  # a zip bomb is refused before python-docx inflates it
MAX_TABLE_ROWS = 2_000
MAX_TABLE_COLUMNS = 200  # a hostile gridSpan="9999999" would repeat one cell that many times
# Paragraphs and table cells read, at most: each costs python-docx ~30 µs, and a 230 KB file of
# a million empty cells took 30 s. A report has a few thousand; past this, reading stops.
MAX_ITEMS = 100_000

_P, _TBL, _SDT, _SDT_CONTENT = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:sdtContent")


def read_docx(body: bytes) -> DocumentContent:
    unpacked_sizes(body, "DOCX")
    document = docx.Document(io.BytesIO(body))
    content = DocumentContent("docx")
    paragraphs = tables = items = 0
    for element in _blocks(document.element.body):
        if items >= MAX_ITEMS:
            content.limits.append(f"read {paragraphs} paragraphs and {tables} tables only: they hold "
                                  f"{items:,} paragraphs and cells, more than a report")
            break
        if element.tag == _P:
            paragraphs += 1
            items += 1
            content.add_line(Paragraph(element, document).text, f"docx paragraph {paragraphs}")
        else:
            tables += 1
            items += _add_table(content, Table(element, document), tables, MAX_ITEMS - items)
    return content


def unpacked_sizes(body: bytes, name: str) -> dict[str, int]:
    """Each member's size as it really unpacks, counted a chunk at a time; a ParseError once
    they pass MAX_UNPACKED_BYTES. The zip directory's sizes are checked first (cheap) but not
    trusted: zipfile inflates a member whole and only then cuts it to its stated size, so a
    200 KB DOCX that says 1 KB for 200 MB of spaces took 459 MB to read."""
    archive = zipfile.ZipFile(io.BytesIO(body))
    stated = sum(info.file_size for info in archive.infolist())
    if stated > MAX_UNPACKED_BYTES:
        raise ParseError(f"unreadable {name}: unpacks to {stated / 1e6:.1f} MB, more than a report holds")
    sizes, total = {}, 0
    for info in archive.infolist():
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # bzip2 and LZMA inflate a read's worth of input whole; Office files use neither.
            raise ParseError(f"unreadable {name}: {info.filename} is compressed with method "
                             f"{info.compress_type}, not as Office files are")
        info.file_size = MAX_UNPACKED_BYTES + 1  # read to the data's own end, not the stated size
        size = 0
        with archive.open(info) as member:
            while chunk := member.read(1 << 20):
                size += len(chunk)
                if total + size > MAX_UNPACKED_BYTES:
                    raise ParseError(f"unreadable {name}: unpacks to more than {MAX_UNPACKED_BYTES / 1e6:.0f} MB, "
                                     "more than a report holds (its zip directory says less)")
        sizes[info.filename] = size
        total += size
    return sizes


def _blocks(parent):
    """Paragraphs and tables in document order, including those inside content controls."""
    for child in parent.iterchildren():
        if child.tag in (_P, _TBL):
            yield child
        elif child.tag == _SDT:
            inner = child.find(_SDT_CONTENT)
            if inner is not None:
                yield from _blocks(inner)


def _add_table(content: DocumentContent, table: Table, number: int, budget: int) -> int:
    """Add the table, reading at most about ``budget`` cells; return the cells read."""
    rows, read = _grid(table, content, budget)

    def where_row(r: int) -> str:
        return f"docx table {number}, row {r}"

    content.add_table(CellGrid(rows, lambda r, c: f"{where_row(r)}, col {c}"), where_row)
    return read


def _grid(table: Table, content: DocumentContent, budget: int) -> tuple[list[list[tuple[int, str]]], int]:
    """One ``(cell id, text)`` per grid position. A ``<w:tc>`` spans ``gridSpan`` columns; one
    marked ``vMerge="continue"`` is the cell above carried down (what python-docx's ``row.cells``
    repeats, read here in one pass and with the spans bounded). Rows stop once ``budget``
    cells were read; returns the rows and the cells read."""
    rows: list[list[tuple[int, str]]] = []
    above: list[tuple[int, str]] = []
    read = 0
    for tr in table._tbl.tr_lst[:MAX_TABLE_ROWS]:
        if read >= budget:
            break
        line = [(next(content.cell_ids), "") for _ in range(min(tr.grid_before, MAX_TABLE_COLUMNS))]
        for tc in tr.tc_lst:
            column = len(line)
            if tc.vMerge == "continue" and column < len(above):
                cell = above[column]
            else:
                cell = (next(content.cell_ids), flatten("\n".join(Paragraph(p, table).text for p in tc.p_lst)))
                read += 1
            line += [cell] * min(tc.grid_span, MAX_TABLE_COLUMNS - column)
            if len(line) >= MAX_TABLE_COLUMNS:
                break
        line += [(next(content.cell_ids), "") for _ in range(min(tr.grid_after, MAX_TABLE_COLUMNS - len(line)))]
        rows.append(line)
        above = line
    return rows, read

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

_P, _TBL, _SDT, _SDT_CONTENT = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:sdtContent")


def read_docx(body: bytes) -> DocumentContent:
    check_unpacked_size(body, "DOCX")
    document = docx.Document(io.BytesIO(body))
    content = DocumentContent("docx")
    paragraphs = tables = 0
    for element in _blocks(document.element.body):
        if element.tag == _P:
            paragraphs += 1
            content.add_line(Paragraph(element, document).text, f"docx paragraph {paragraphs}")
        else:
            tables += 1
            _add_table(content, Table(element, document), tables)
    return content


def check_unpacked_size(body: bytes, name: str) -> None:
    unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(body)).infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        raise ParseError(f"unreadable {name}: unpacks to {unpacked / 1e6:.1f} MB, more than a report holds")


def _blocks(parent):
    """Paragraphs and tables in document order, including those inside content controls."""
    for child in parent.iterchildren():
        if child.tag in (_P, _TBL):
            yield child
        elif child.tag == _SDT:
            inner = child.find(_SDT_CONTENT)
            if inner is not None:
                yield from _blocks(inner)


def _add_table(content: DocumentContent, table: Table, number: int) -> None:
    rows = _grid(table, content)

    def where_row(r: int) -> str:
        return f"docx table {number}, row {r}"

    content.add_table(CellGrid(rows, lambda r, c: f"{where_row(r)}, col {c}"), where_row)


def _grid(table: Table, content: DocumentContent) -> list[list[tuple[int, str]]]:
    """One ``(cell id, text)`` per grid position. A ``<w:tc>`` spans ``gridSpan`` columns; one
    marked ``vMerge="continue"`` is the cell above carried down (what python-docx's ``row.cells``
    repeats, read here in one pass and with the spans bounded)."""
    rows: list[list[tuple[int, str]]] = []
    above: list[tuple[int, str]] = []
    for tr in table._tbl.tr_lst[:MAX_TABLE_ROWS]:
        line = [(next(content.cell_ids), "") for _ in range(min(tr.grid_before, MAX_TABLE_COLUMNS))]
        for tc in tr.tc_lst:
            column = len(line)
            if tc.vMerge == "continue" and column < len(above):
                cell = above[column]
            else:
                cell = (next(content.cell_ids), flatten("\n".join(Paragraph(p, table).text for p in tc.p_lst)))
            line += [cell] * min(tc.grid_span, MAX_TABLE_COLUMNS - column)
            if len(line) >= MAX_TABLE_COLUMNS:
                break
        line += [(next(content.cell_ids), "") for _ in range(min(tr.grid_after, MAX_TABLE_COLUMNS - len(line)))]
        rows.append(line)
        above = line
    return rows

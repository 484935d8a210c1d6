"""Read a report whose tables are a spreadsheet: XLSX with openpyxl, XLS with xlrd.

Each sheet's rows become a grid, merged ranges one cell. One sheet often
holds all three tables one under the other, each under its section heading:
the sheet is cut at those headings so each table is classified on its own.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import xlrd
from lxml import etree
from openpyxl.utils import get_column_letter, range_boundaries

from .document_content import CellGrid, DocumentContent, flatten, row_texts
from .errors import ParseError
from .sections import heading_of
from .word_document import unpacked_sizes

MAX_SHEETS = 20
MAX_ROWS = 2_000
MAX_COLUMNS = 100
MAX_SHEET_XML_BYTES = 10_000_000  # openpyxl builds every cell: refuse huge sheets first
MAX_XLS_BYTES = 20_000_000
# openpyxl makes an object for each cell a merged range covers (A1:A1048576 took 10 s and 435 MB);
# a report's tables merge a few hundred cells.
MAX_MERGED_CELLS = 20_000
_MERGED_RANGE = re.compile(rb"""<(?:[\w.-]+:)?mergeCell\b[^>]*?\bref\s*=\s*["']([^"']*)""")


class _NoEvents:
    """A parser target that takes nothing: libxml2 checks the XML without building a tree."""

    def close(self) -> None:
        return None


_STRUCTURE_CHECK = etree.XMLParser(target=_NoEvents(), resolve_entities=False, no_network=True)


def read_xlsx(body: bytes) -> DocumentContent:
    sizes = unpacked_sizes(body, "XLSX")  # as the members really unpack, not as the zip says
    sheets = [member for member in sizes if member.startswith("xl/worksheets/")]
    size = sum(sizes[member] for member in sheets)
    if size > MAX_SHEET_XML_BYTES:
        raise ParseError(f"unreadable XLSX: worksheets of {size / 1e6:.1f} MB, more than a report holds")
    _check_parts(zipfile.ZipFile(io.BytesIO(body)), sheets)
    # Not read_only: a read-only worksheet does not report its merged ranges.
    book = openpyxl.load_workbook(io.BytesIO(body), data_only=True)
    content = DocumentContent("xlsx")
    for sheet in book.worksheets[:MAX_SHEETS]:
        rows = min(sheet.max_row, MAX_ROWS)
        columns = min(sheet.max_column, MAX_COLUMNS)
        values = [[_text(v) for v in row] for row in
                  sheet.iter_rows(min_row=1, max_row=rows, max_col=columns, values_only=True)]
        merged = [(m.min_row - 1, m.max_row, m.min_col - 1, m.max_col) for m in sheet.merged_cells.ranges]
        _add_sheet(content, sheet.title, values, merged)
    book.close()
    return content


def _check_parts(archive: zipfile.ZipFile, sheets: list[str]) -> None:
    """Refuse what openpyxl would build without bound: elements nested past the 256 levels
    libxml2 reads (expat, under openpyxl, keeps each open level: 3 million nested tags in a
    19 KB file passed 500 MB), and merged ranges past MAX_MERGED_CELLS. Other malformed XML
    is left to openpyxl, which refuses it as before."""
    names = {"xl/sharedStrings.xml"} & set(archive.namelist())
    merged = 0
    for member in [*sheets, *names]:
        xml = archive.read(member)
        try:
            etree.fromstring(xml, _STRUCTURE_CHECK)
        except etree.XMLSyntaxError as exc:
            if "Excessive depth" in str(exc):
                raise ParseError(f"unreadable XLSX: {member} nests elements more than 256 deep") from None
        merged += sum(_range_size(ref) for ref in _MERGED_RANGE.findall(xml))
    if merged > MAX_MERGED_CELLS:
        raise ParseError(f"unreadable XLSX: merged ranges cover {merged:,} cells, more than a report holds")


def _range_size(ref: bytes) -> int:
    """Cells a merged range covers; 0 for a reference openpyxl will refuse itself."""
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref.decode("ascii").strip())
    except (ValueError, TypeError, UnicodeDecodeError):
        return 0
    if None in (min_col, min_row, max_col, max_row):
        return 0
    return max(0, max_col - min_col + 1) * max(0, max_row - min_row + 1)


def read_xls(body: bytes) -> DocumentContent:
    if len(body) > MAX_XLS_BYTES:
        raise ParseError(f"unreadable XLS: {len(body) / 1e6:.1f} MB, more than a report holds")
    log = io.StringIO()
    try:  # merged ranges are only read with the formatting records
        book = xlrd.open_workbook(file_contents=body, formatting_info=True, logfile=log)
    except Exception:  # noqa: BLE001 - damaged formatting records: the values may still read
        book = xlrd.open_workbook(file_contents=body, formatting_info=False, logfile=log)
    content = DocumentContent("xls")
    for index in range(min(book.nsheets, MAX_SHEETS)):
        sheet = book.sheet_by_index(index)
        values = [[_xls_text(sheet.cell(r, c), book.datemode) for c in range(min(sheet.ncols, MAX_COLUMNS))]
                  for r in range(min(sheet.nrows, MAX_ROWS))]
        _add_sheet(content, sheet.name, values, sheet.merged_cells)
    return content


def _add_sheet(content: DocumentContent, title: str, values: list[list[str]], merged) -> None:
    """``merged``: (first row, row after, first col, col after), 0-based as xlrd gives them."""
    width = max((len(row) for row in values), default=0)
    ids = [[next(content.cell_ids) for _ in range(width)] for _ in values]
    for r0, r1, c0, c1 in merged:
        for r in range(r0, min(r1, len(values))):
            for c in range(c0, min(c1, width)):
                ids[r][c] = ids[r0][c0]
    grid = [[(ids[r][c], row[c] if c < len(row) else "") for c in range(width)] for r, row in enumerate(values)]

    start = 0
    for r in range(len(grid) + 1):
        if r == len(grid) or _is_heading(grid[r]):
            _add_block(content, title, grid[start:r], start)
            if r < len(grid):
                content.add_line(" ".join(t for t in row_texts(grid[r]) if t), _where_row(title, r + 1))
            start = r + 1


def _add_block(content: DocumentContent, title: str, rows: list, offset: int) -> None:
    """Rows between two headings; empty rows dropped, positions kept as the sheet numbers them."""
    kept = [(offset + i + 1, row) for i, row in enumerate(rows) if any(text for _, text in row)]
    if not kept:
        return
    # A sheet is as wide as its widest table: a narrower table's rows end in empty columns,
    # which would read as EMPTY cells after its header labels.
    width = max(c for _, row in kept for c, (_, text) in enumerate(row, start=1) if text)
    kept = [(number, row[:width]) for number, row in kept]
    numbers = [number for number, _ in kept]

    def where(r: int, c: int) -> str:
        return f"{_where_row(title, numbers[r - 1])}, col {get_column_letter(c)}"

    content.add_table(CellGrid([row for _, row in kept], where), lambda r: _where_row(title, numbers[r - 1]))


def _is_heading(row: list[tuple[int, str]]) -> bool:
    texts = [t for t in row_texts(row) if t]
    return len(texts) == 1 and heading_of(texts[0]) is not None


def _where_row(title: str, row: int) -> str:
    return f"sheet {title}, row {row}"


def _text(value) -> str:
    """A cell value as it would be printed: 6 not 6.0, 668.57 not 668.5699999999999."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".12g")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    return flatten(str(value))


def _xls_text(cell, datemode: int) -> str:
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return _text(xlrd.xldate.xldate_as_datetime(cell.value, datemode))
        except (ValueError, OverflowError):
            return _text(cell.value)
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return ""
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return _text(bool(cell.value))
    return _text(cell.value)

"""Read a PDF report with pdfplumber: ruled tables as grids, the rest as text lines.

Tables printed from Word break across pages without repeating their header:
a table that ends a page and one that opens the next page with the same
width and columns are one table. Page markers (``- 4 -``, ``第 4 页``) are
dropped. A PDF whose pages are images without text is a scan: not readable
here, and said so.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfpage import PDFPage
from pdfminer.pdftypes import PDFStream, resolve1
from pdfplumber.page import Page as PdfPage
from pdfplumber.table import (
    Table, TableFinder, TableSettings, cells_to_tables, edges_to_intersections, intersections_to_cells,
)
from pdfplumber.utils.exceptions import PdfminerException

from .document_content import CellGrid, DocumentContent, flatten
from .errors import ParseError, UnreadableFormat
from .normalize import to_simplified
from .pdf_streams import inflate_budget

MAX_PAGES = 100           # reports have 3-30 pages
# pdfminer interprets page content at about 10 µs a byte (a page of ruled tables is 20-30 KB):
# past this budget a hostile or huge file would take minutes, so reading stops there.
MAX_CONTENT_BYTES = 3_000_000
# Reading a page costs pdfplumber 70-180 µs a character (layout and table finding): a file
# dense with text within the byte budget took 90 s. The corpus's reports hold 3,000-6,200
# characters (not counting spaces); past this, reading stops (~15 s at most).
MAX_CHARS = 200_000
# What all the streams pdfminer unpacks may add up to (pdf_streams.py): a report's fonts, maps
# and pages come to a few MB, a whole embedded CJK font to ~20 MB.
MAX_INFLATED_BYTES = 200_000_000
_MAX_PAGE_CHARS = 40_000  # more than ten pages' worth of prose on one page: not a report page
_MAX_PAGE_EDGES = 4_000   # merging ruling lines: a page of more is not searched for tables
# pdfplumber finds cells in time quadratic in the crossings of ruling lines: 30,000 (a
# 200 x 150 grid, 350 lines) take 14 s a page. A page of report tables has a few hundred.
MAX_PAGE_CROSSINGS = 2_000
_TOLERANCE = 3.0          # points: same column edge, same table width
_MARGIN = 0.1             # top and bottom tenth of a page: where bare page numbers sit

_PAGE_MARKER = re.compile(
    r"^(?:[-－—–]\s*\d{1,4}\s*[-－—–]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|(?:page|Page|PAGE)\s*\d{1,4}(?:\s*of\s*\d{1,4})?)$"
)
_MAX_MARKER = 40  # characters: a longer line is not simplified to find out whether it is a marker
_BARE_NUMBER = re.compile(r"^\d{1,4}$")
# A line of numbers only: a table row whose label sits on another line. The gaps are cell
# boundaries; tabs keep them (a space-separated "12 0 36" would read as one number 12036).
_NUMBERS_ONLY = re.compile(r"^[-+]?[\d.,]+(?:\s+(?:[-+]?[\d.,]+|[/—-]))+$")


@dataclass
class _Fragment:
    """A ruled table as found on one page; a table broken over pages has several."""

    page: int
    number: int  # 1-based among the tables of its page
    bbox: tuple[float, float, float, float]
    xs: list[float]  # column edges, the right edge included
    boxes: list[list[tuple | None]]  # per row, cell boxes (None: no cell starts there)
    texts: list[list[str | None]]    # the same positions' text

    @classmethod
    def of(cls, table, page: int, number: int) -> _Fragment:
        xs = sorted({cell[0] for cell in table.cells} | {table.bbox[2]})
        return cls(page, number, table.bbox, xs, [row.cells for row in table.rows], table.extract())


@dataclass
class _PageItems:
    number: int
    lines: list[tuple[float, str]] = field(default_factory=list)  # (top, text), markers dropped
    fragments: list[_Fragment] = field(default_factory=list)
    images: int = 0
    chars: int = 0      # characters with a glyph
    cid_chars: int = 0  # characters extracted as "(cid:123)": a font without a Unicode map


def read_pdf(body: bytes) -> DocumentContent:
    if b"%%EOF" not in body[-8192:]:
        raise ParseError("unreadable PDF: truncated (no %%EOF at the end)")
    content = DocumentContent("pdf")
    try:
        with inflate_budget(MAX_INFLATED_BYTES), pdfplumber.open(io.BytesIO(body)) as pdf:
            pages = _read_pages(pdf, content)
    except PdfminerException as exc:  # pdfplumber's wrapper: say what pdfminer said
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
        if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
            raise ParseError("unreadable PDF: encrypted (needs a password)") from None
        raise cause from None
    _check_text_layer(pages)
    tables = _join_across_pages(pages)
    for page in pages:
        _emit_page(content, page, tables)
    return content


def is_page_marker(text: str, top: float | None = None, height: float | None = None) -> bool:
    """``- 4 -``, ``第 4 页 共 9 页`` (``第 4 頁``), ``4/9``; a bare number only in the top or
    bottom margin."""
    text = text.strip()
    if _PAGE_MARKER.match(text) or _may_read_as_marker(text) and _PAGE_MARKER.match(to_simplified(text)):
        return True
    if _BARE_NUMBER.match(text) and top is not None and height:
        return top < height * _MARGIN or top > height * (1 - _MARGIN)
    return False


def _may_read_as_marker(text: str) -> bool:
    """Can ``to_simplified(text)`` be a marker that ``text`` is not? Only as 第 4 页 from
    第 4 頁 or with pinyin (第(dì) 4 页): 頁 is the one character t2s turns into a character
    of the markers, and nothing becomes 第. A test before OpenCC, asked of every line."""
    return text.startswith("第") and len(text) <= _MAX_MARKER


def _read_pages(pdf, content: DocumentContent) -> list[_PageItems]:
    """The first pages, within MAX_PAGES, MAX_CONTENT_BYTES and MAX_CHARS, without walking
    the rest of a huge page tree. Where a limit stops the reading, ``content.limits`` says so."""
    pages: list[_PageItems] = []
    doctop, budget, chars = 0.0, MAX_CONTENT_BYTES, 0
    for index, pdfpage in enumerate(PDFPage.create_pages(pdf.doc)):
        if index == MAX_PAGES:
            content.limits.append(f"read pages 1-{index} only: a report has fewer than {MAX_PAGES} pages")
            break
        if chars > MAX_CHARS:
            content.limits.append(f"read pages 1-{index} only: they hold {chars:,} characters, more than a report")
            break
        streams = [resolve1(stream) for stream in pdfpage.contents]
        size = sum(len(stream.get_data()) for stream in streams if isinstance(stream, PDFStream))
        if size > budget:
            if index == 0:
                raise ParseError(f"unreadable PDF: page 1 holds {size // 1000} KB of drawing instructions")
            content.limits.append(f"read pages 1-{index} only: page {index + 1} would pass "
                                  f"{MAX_CONTENT_BYTES:,} bytes of drawing instructions")
            break
        budget -= size
        page = PdfPage(pdf, pdfpage, page_number=index + 1, initial_doctop=doctop)
        doctop += page.height
        pages.append(_read_page(page, content))
        chars += pages[-1].chars
    return pages


def _read_page(page, content: DocumentContent) -> _PageItems:
    chars = page.chars
    if len(chars) > _MAX_PAGE_CHARS:
        raise ParseError(f"unreadable PDF: page {page.page_number} holds {len(chars)} characters")
    items = _PageItems(page.page_number, images=len(page.images),
                       chars=sum(1 for c in chars if not c["text"].isspace()),
                       cid_chars=sum(1 for c in chars if c["text"].startswith("(cid:")))
    # Text drawn again in place (how WPS and others make bold) is read once: '24' drawn
    # three times read '222444'. dedupe_chars costs a sixth of reading a page: only if needed.
    read = page.dedupe_chars() if _drawn_twice(chars) else page
    if len(page.edges) <= _MAX_PAGE_EDGES:
        finder = _BoundedTableFinder(read)
        if finder.crossings_over_limit:
            content.limits.append(f"page {page.page_number}: ruled tables not looked for, its lines cross "
                                  f"{len(finder.intersections):,} times (a report page: under {MAX_PAGE_CROSSINGS:,})")
        tables = [t for t in finder.tables if len(t.rows) >= 2 and len(t.rows[0].cells) >= 2]
        tables.sort(key=lambda t: (t.bbox[1], t.bbox[0]))
        items.fragments = [_Fragment.of(t, page.page_number, n) for n, t in enumerate(tables, start=1)]
    for line in read.extract_text_lines(return_chars=False):
        text, top = line["text"].strip(), line["top"]
        if not text or is_page_marker(text, top, page.height) or _inside_table(line, items.fragments):
            continue
        items.lines.append((top, "\t".join(text.split()) if _NUMBERS_ONLY.match(text) else text))
    page.close()
    return items


def _drawn_twice(chars: list[dict]) -> bool:
    """Is some character drawn again within a point of itself? (What ``dedupe_chars`` removes,
    with its tolerance of 1; it also asks for the same font and size.)"""
    # Bucketed by whole points of top and x0: a copy within a point of a character lies in
    # one of the 3 x 3 buckets around it, so each character is compared with a few others
    # (by row alone, a line of one repeated character was quadratic: 20,000 took 12.5 s).
    drawn: dict[tuple[str, int, int], list[tuple[float, float]]] = {}
    for char in chars:
        text, top, x0 = char["text"], char["top"], char["x0"]
        row, column = int(top), int(x0)
        for near_row in (row - 1, row, row + 1):
            for near_column in (column - 1, column, column + 1):
                for other_top, other_x0 in drawn.get((text, near_row, near_column), ()):
                    if abs(other_top - top) <= 1 and abs(other_x0 - x0) <= 1:
                        return True
        drawn.setdefault((text, row, column), []).append((top, x0))
    return False


class _BoundedTableFinder(TableFinder):
    """``page.find_tables()``, with pdfplumber's default settings, except on a page whose
    ruling lines cross more than MAX_PAGE_CROSSINGS times: there no cells are searched
    (``crossings_over_limit``) and the page is read as text lines only. The steps are
    TableFinder's own (pdfplumber 0.11); tests compare the two on real tables."""

    def __init__(self, page):
        self.page = page
        self.settings = TableSettings.resolve(None)
        self.edges = self.get_edges()
        self.intersections = edges_to_intersections(
            self.edges, self.settings.intersection_x_tolerance, self.settings.intersection_y_tolerance)
        self.crossings_over_limit = len(self.intersections) > MAX_PAGE_CROSSINGS
        self.cells = [] if self.crossings_over_limit else intersections_to_cells(self.intersections)
        self.tables = [Table(self.page, group) for group in cells_to_tables(self.cells)]


def _inside_table(line: dict, fragments: list[_Fragment]) -> bool:
    middle = (line["top"] + line["bottom"]) / 2
    return any(f.bbox[1] <= middle <= f.bbox[3] and line["x0"] < f.bbox[2] and line["x1"] > f.bbox[0]
               for f in fragments)


def _check_text_layer(pages: list[_PageItems]) -> None:
    chars = sum(p.chars for p in pages)
    cids = sum(p.cid_chars for p in pages)
    if chars - cids >= 20 and cids <= chars // 2:
        return
    if cids:
        raise ParseError("unreadable PDF: fonts without a Unicode map (text extracts as cid codes)")
    if any(p.images for p in pages):
        raise UnreadableFormat("unreadable attachment format: scanned PDF (images, no text layer)")
    raise ParseError("unreadable PDF: no text on any page")


def _join_across_pages(pages: list[_PageItems]) -> dict[int, list[_Fragment]]:
    """Tables by the id of their first fragment; a continued table lists all its fragments."""
    tables: dict[int, list[_Fragment]] = {}
    previous: list[_Fragment] | None = None
    for index, page in enumerate(pages):
        for position, fragment in enumerate(page.fragments):
            if position == 0 and previous and _continues(pages[index - 1], previous[-1], page, fragment):
                previous.append(fragment)
                continue
            previous = tables.setdefault(id(fragment), [fragment])
        if not page.fragments or _text_below(page, page.fragments[-1]):
            previous = None
    return tables


def _continues(before: _PageItems, last: _Fragment, page: _PageItems, first: _Fragment) -> bool:
    """The table ends its page, the next page opens with a table of the same width and columns."""
    if _text_below(before, last):
        return False
    if any(top < first.bbox[1] for top, _ in page.lines):
        return False
    same_width = abs(last.bbox[0] - first.bbox[0]) <= _TOLERANCE and abs(last.bbox[2] - first.bbox[2]) <= _TOLERANCE
    return same_width and all(any(abs(x - y) <= _TOLERANCE for y in last.xs) for x in first.xs)


def _text_below(page: _PageItems, fragment: _Fragment) -> bool:
    return any(top > fragment.bbox[3] for top, _ in page.lines)


def _emit_page(content: DocumentContent, page: _PageItems, tables: dict[int, list[_Fragment]]) -> None:
    """Lines and tables of one page in reading order; a table at its first fragment."""
    items = [(top, index, text) for index, (top, text) in enumerate(page.lines)]
    items += [(f.bbox[1], -1, f) for f in page.fragments]
    line_number = 0
    for _, _, item in sorted(items, key=lambda i: (i[0], i[1])):
        if isinstance(item, str):
            line_number += 1
            content.add_line(item, f"pdf page {page.number}, line {line_number}")
        elif id(item) in tables:
            _emit_table(content, tables[id(item)])


def _emit_table(content: DocumentContent, fragments: list[_Fragment]) -> None:
    xs = _merged_edges([x for f in fragments for x in f.xs])
    rows: list[list[tuple[int, str]]] = []
    origins: list[tuple[_Fragment, int]] = []  # per grid row: its fragment and row there
    for fragment in fragments:
        fragment_rows = _grid_rows(fragment, xs, content)
        rows += fragment_rows
        origins += [(fragment, r) for r in range(1, len(fragment_rows) + 1)]

    def where_row(r: int) -> str:
        fragment, row = origins[r - 1]
        return f"pdf page {fragment.page}, table {fragment.number}, row {row}"

    content.add_table(CellGrid(rows, lambda r, c: f"{where_row(r)}, col {c}"), where_row)


def _grid_rows(fragment: _Fragment, xs: list[float], content: DocumentContent) -> list[list[tuple[int, str]]]:
    """The fragment's cells placed on the columns ``xs``; a merged cell covers every
    position its box spans, so it carries one id there."""
    tops = [min(box[1] for box in row if box) for row in fragment.boxes]
    grid: list[list[tuple[int, str] | None]] = [[None] * (len(xs) - 1) for _ in tops]
    for i, row in enumerate(fragment.boxes):
        for j, box in enumerate(row):
            if box is None:
                continue
            cell = (next(content.cell_ids), flatten(fragment.texts[i][j] or ""))
            x0, _, x1, bottom = box
            for r in range(i, len(tops)):
                if tops[r] >= bottom - _TOLERANCE:
                    break
                for c in range(len(xs) - 1):
                    if x0 - _TOLERANCE <= xs[c] < x1 - _TOLERANCE and grid[r][c] is None:
                        grid[r][c] = cell
    return [[cell or (next(content.cell_ids), "") for cell in row] for row in grid]


def _merged_edges(xs: list[float]) -> list[float]:
    """Column edges of all fragments, edges closer than the tolerance taken as one."""
    merged: list[float] = []
    for x in sorted(xs):
        if not merged or x - merged[-1] > _TOLERANCE:
            merged.append(x)
    return merged

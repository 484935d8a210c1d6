"""Read a report published as an attachment (PDF, DOCX, XLSX, XLS) into a ``Page``.

The same ``Page`` the HTML and text readers return, so metadata, mapping and
checks run unchanged. Each format's reader gives text lines and cell grids;
grids become raw tables through ``TableGrid`` exactly as HTML tables do, and
the text lines are the fallback when a table was not ruled (a PDF table
drawn without lines is just text). Formats that cannot be read (DOC, WPS,
OFD, images, scanned PDFs) fail with a ``ParseError`` that names the format.
"""

from __future__ import annotations

from dataclasses import replace

from .document_content import DocumentContent
from .document_kind import DOCX, PDF, XLS, XLSX, document_kind
from .encoding import EncodingGuess
from .errors import ParseError, UnreadableFormat
from .html_tables import TableGrid
from .normalize import clean_line, simplify_lines
from .page import Page
from .pdf_document import read_pdf
from .recognize import classify_listing_title
from .rows import RawTable
from .spreadsheet import read_xls, read_xlsx
from .table_mapping import classify_rows
from .text_tables import text_tables
from .word_document import read_docx

# A document carries its own text layer: no charset was detected or declared.
DOCUMENT_TEXT = EncodingGuess("unicode", "document")
_READERS = {PDF.name: read_pdf, DOCX.name: read_docx, XLSX.name: read_xlsx, XLS.name: read_xls}
_TITLE_SEARCH_LINES = 12


def read_document(body: bytes, url: str | None = None) -> tuple[Page, str] | None:
    """``(page, text_form)`` for a readable document; None when ``body`` is no document format.

    Raises ``ParseError`` naming the format when it is one that cannot be read,
    or when the file is damaged. Nothing else escapes: the format libraries
    meet hostile bytes here and raise whatever they raise.
    """
    kind = document_kind(body, url)
    if kind is None:
        return None
    reader = _READERS.get(kind.name)
    if reader is None:
        raise (ParseError if kind.damaged else UnreadableFormat)(kind.unreadable_reason())
    try:
        content = reader(body)
        return page_from_content(content), content.text_form
    except ParseError:
        raise
    except Exception as exc:  # noqa: BLE001 - pdfminer, python-docx, openpyxl, xlrd raise anything
        raise ParseError(f"unreadable {kind.name}: {_describe(exc)}") from None


def page_from_content(content: DocumentContent) -> Page:
    raw_tables: dict[str, list[RawTable]] = {}
    for number, grid in enumerate(content.tables, start=1):
        table = TableGrid.from_texts(grid.rows, number, grid.where)
        kind = classify_rows(table.labelled_rows())
        if kind:
            raw_tables.setdefault(kind, []).append(table.to_raw_table())
    lines = _join_split_title(content.lines)
    simplified = simplify_lines(lines)  # once for the document: text tables, metadata, the report's text
    if len(raw_tables) < 3:  # tables drawn without rules are only text lines
        for kind, table in text_tables(lines, simplified=simplified).items():
            raw_tables.setdefault(kind, [_relocated(table, content.line_where)])
    problems = [{"kind": "document_limit", "table": None, "detail": limit} for limit in content.limits]
    return Page(meta={}, page_lines=lines, body_lines=lines, raw_tables=raw_tables, problems=problems,
                simplified_body_lines=simplified)


def _relocated(table: RawTable, line_where: list[str]) -> RawTable:
    """``line 12`` (an index into the joined lines) → ``pdf page 2, line 5``."""
    def where(text: str) -> str:
        if text.startswith("line ") and text[5:].isdigit() and 0 < int(text[5:]) <= len(line_where):
            return line_where[int(text[5:]) - 1]
        return text

    rows = [replace(row, cells=[replace(c, where=where(c.where)) for c in row.cells], where=where(row.where))
            for row in table.rows]
    return replace(table, rows=rows)


def _join_split_title(lines: list[str]) -> list[str]:
    """A title broken over two lines by the page width ("…政府信息公开工作" / "年度报告")
    is one line again, so metadata finds it. The second line is left blank, keeping
    line numbers."""
    filled = [i for i, line in enumerate(lines[:_TITLE_SEARCH_LINES * 2]) if line.strip()][:_TITLE_SEARCH_LINES]
    for first, second in zip(filled, filled[1:]):
        head, tail = lines[first].strip(), lines[second].strip()
        if _is_title(head):
            return lines
        if "\t" in head + tail or len(head) + len(tail) > 80:
            continue
        if _is_title(head + tail):
            joined = list(lines)
            joined[first], joined[second] = head + tail, ""
            return joined
    return lines


def _is_title(text: str) -> bool:
    return classify_listing_title(clean_line(text)).is_report


def _describe(exc: Exception) -> str:
    text = " ".join(str(exc).split())[:160]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


__all__ = ["DOCUMENT_TEXT", "read_document"]

"""Read a plain-text report (crawler text, the seed files)."""

from __future__ import annotations

from .chrome import blank_chrome_lines, drop_lines_before
from .normalize import clean_line
from .page import Page
from .recognize import classify_listing_title
from .text_tables import text_tables

_TITLE_SEARCH_LINES = 40


def read_text_page(text: str) -> Page:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    body = blank_chrome_lines(drop_lines_before(lines, _title_index(lines)))
    tables = {kind: [table] for kind, table in text_tables(body).items()}
    return Page(meta={}, page_lines=lines, body_lines=body, raw_tables=tables)


def _title_index(lines: list[str]) -> int | None:
    """Index of the report title when the text opens with site navigation above it."""
    for index, line in enumerate(lines[:_TITLE_SEARCH_LINES]):
        if line.strip() and len(line) <= 80 and classify_listing_title(clean_line(line)).is_report:
            return index
    return None

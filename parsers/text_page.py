"""Read a plain-text report (crawler text, the seed files)."""

from __future__ import annotations

from .chrome import blank_chrome, drop_lines_before
from .normalize import simplify_lines, tidy_lines
from .page import Page
from .recognize import classify_listing_title
from .text_tables import text_tables

_TITLE_SEARCH_LINES = 40


def read_text_page(text: str) -> Page:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    simplified = simplify_lines(lines)  # once for the page: chrome, title, tables, the report's text
    title = _title_index(lines, simplified)
    body, body_simplified = blank_chrome(drop_lines_before(lines, title), drop_lines_before(simplified, title))
    tables = {kind: [table] for kind, table in text_tables(body, simplified=body_simplified).items()}
    return Page(meta={}, page_lines=lines, body_lines=body, raw_tables=tables, simplified_body_lines=body_simplified)


def _title_index(lines: list[str], simplified: list[str]) -> int | None:
    """Index of the report title when the text opens with site navigation above it."""
    head = lines[:_TITLE_SEARCH_LINES]
    for index, (line, cleaned) in enumerate(zip(head, tidy_lines(simplified[:len(head)]))):
        if line.strip() and len(line) <= 80 and classify_listing_title(cleaned).is_report:
            return index
    return None

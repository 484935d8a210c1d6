"""Read an HTML report page: meta tags, body container, tables, attachments."""

from __future__ import annotations

import re

from lxml import etree

from .attachments import find_attachments
from .chrome import blank_chrome_lines, find_body, render_text, render_texts, text_lines
from .errors import ParseError
from .html_tables import TableGrid, leaf_tables
from .page import Page
from .table_mapping import classify_rows
from .text_tables import text_tables

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_META_NAMES = ("ArticleTitle", "PubDate", "ContentSource", "SiteName", "ColumnName")
# Plain lxml elements, not lxml.html's HtmlElement: the same libxml2 tree, but
# without the per-node class lookup that made every tree walk several times slower.
_HTML_PARSER = etree.HTMLParser()


def read_html_page(text: str, url: str | None) -> Page:
    doc = _parse(text)
    grids = {}
    for table in leaf_tables(doc):
        grid = TableGrid(table, 0)
        kind = classify_rows(grid.labelled_rows())
        if kind:
            grids[table] = (grid, kind)
    body = find_body(doc, list(grids))

    raw_tables: dict[str, list] = {}
    for number, table in enumerate(leaf_tables(body), start=1):
        if table in grids:
            grid, kind = grids[table]
            grid.number = number
            raw_tables.setdefault(kind, []).append(grid.to_raw_table())

    page_text, body_text = _render(doc, body)
    body_lines = blank_chrome_lines(text_lines(body_text))
    if len(raw_tables) < 3:  # some tables may be typed as paragraphs, not <table>
        for kind, table in text_tables(body_lines).items():
            raw_tables.setdefault(kind, [table])

    return Page(
        meta=_meta_tags(doc), page_lines=text_lines(page_text), body_lines=body_lines, raw_tables=raw_tables,
        html_title=doc.findtext(".//title"), attachments=find_attachments(body, url),
    )


def _render(doc, body) -> tuple[str, str]:
    """Text of the whole page (chrome included) and of the report body, in one walk when possible."""
    page_root = doc.find("body")
    page_text, body_text = render_texts(page_root if page_root is not None else doc, body)
    return page_text, body_text if body_text is not None else render_text(body)


def _parse(text: str):
    try:
        doc = etree.fromstring(_XML_DECLARATION.sub("", text, count=1), _HTML_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"unreadable HTML: {exc}") from None
    if doc is None:  # what lxml.html.document_fromstring reports as "Document is empty"
        raise ParseError("unreadable HTML: Document is empty")
    return doc


def _meta_tags(doc) -> dict[str, str]:
    found = {}
    wanted = {name.lower(): name for name in _META_NAMES}
    for meta in doc.iter("meta"):
        name = wanted.get((meta.get("name") or "").strip().lower())
        content = (meta.get("content") or "").strip()
        if name and content and name not in found:
            found[name] = content
    return found

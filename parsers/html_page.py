"""Read an HTML report page: meta tags, body container, tables, attachments."""

from __future__ import annotations

import re

from lxml import etree

from .attachments import find_attachments
from .chrome import blank_chrome_lines, find_body, render_texts, text_lines
from .errors import ParseError
from .html_tables import TableGrid, leaf_tables, read_leaf_tables
from .page import Page
from .table_mapping import classify_rows, continues_table
from .text_tables import text_tables

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_META_NAMES = ("ArticleTitle", "PubDate", "ContentSource", "SiteName", "ColumnName")
# Plain lxml elements, not lxml.html's HtmlElement: the same libxml2 tree, but
# without the per-node class lookup that made every tree walk several times slower.
# No id table: nothing looks elements up by id.
_HTML_PARSER = etree.HTMLParser(collect_ids=False)
# Bytes already known to be UTF-8: libxml2 reads them directly (no <meta> charset
# switching: the encoding is given), faster than from a Python str.
_UTF8_PARSER = etree.HTMLParser(collect_ids=False, encoding="utf-8")


def read_html_page(text: str, url: str | None, utf8: bytes | None = None) -> Page:
    """``utf8``: ``text`` as UTF-8 bytes when the caller has them (the body as received)."""
    doc = _parse(text, utf8)
    grids, unknown = {}, {}
    for table, rows in zip(leaf_tables(doc), read_leaf_tables(doc)):
        grid = TableGrid.from_rows(rows, 0)
        kind = classify_rows(grid.label_rows())
        if kind:
            grids[table] = (grid, kind)
        else:
            unknown[table] = grid
    body = find_body(doc, list(grids), source=text)

    raw_tables: dict[str, list] = {}
    previous = None  # the kind of the table just before: Word splits long tables at page breaks
    for number, table in enumerate(leaf_tables(body), start=1):
        if table in grids:
            grid, previous = grids[table]
        elif table in unknown and continues_table(previous, unknown[table].label_rows()):
            grid = unknown[table]
        else:
            previous = None
            continue
        grid.number = number
        raw_tables.setdefault(previous, []).append(grid.to_raw_table())

    page_text, body_text = _render(doc, body)
    body_lines = blank_chrome_lines(text_lines(body_text))
    if len(raw_tables) < 3:  # some tables may be typed as paragraphs, not <table>
        for kind, table in text_tables(body_lines).items():
            raw_tables.setdefault(kind, [table])

    return Page(
        meta=_meta_tags(doc), page_lines=text_lines(page_text), body_lines=body_lines, raw_tables=raw_tables,
        html_title=doc.findtext(".//title"), attachments=find_attachments(body, url), body_element=body,
    )


def _render(doc, body) -> tuple[str, str]:
    """Text of the whole page (chrome included) and of the report body."""
    page_root = doc.find("body")
    return render_texts(page_root if page_root is not None else doc, body)


def _parse(text: str, utf8: bytes | None = None):
    try:
        if utf8 is not None and not _XML_DECLARATION.match(text):
            doc = etree.fromstring(utf8, _UTF8_PARSER)
        else:
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

"""Read an HTML report page: meta tags, body container, tables, attachments.

The tree is walked once (``page_walk``): text, tables, body candidates and links
come out of one libxslt pass. A rarer page goes by the elements instead: one
whose body no container names (the body is then the smallest element holding
the report's tables and headings).
"""

from __future__ import annotations

import re
from functools import cached_property

from lxml import etree

from .attachments import attachments_from_links, find_attachments
from .chrome import blank_chrome, body_from_anchors, choose_body
from .errors import ParseError
from .html_tables import RawRow, TableGrid, element_rows, leaf_tables
from .html_text import SKIPPED_TAGS, render_text, text_lines
from .metadata import PAGE_FIELD_CHARS
from .normalize import lines_matching, simplify_lines
from .page import Page
from .page_walk import candidate_test, unmarked, walk_page
from .table_mapping import classify_rows, continues_table, may_be_report_table
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


class PageTable:
    """A leaf ``<table>`` of the page: its rows, and (computed when asked) its grid and kind."""

    def __init__(self, rows: list[RawRow]):
        self.rows = rows

    @cached_property
    def grid(self) -> TableGrid:
        return TableGrid.from_rows(self.rows, 0)

    @cached_property
    def kind(self) -> str | None:
        """Which report table it is, if any. Most tables of a page are layout and chrome:
        a table whose words cannot name any report table is not built into a grid."""
        if not may_be_report_table(self.rows):
            return None
        return classify_rows(self.grid.label_rows())

    def continues(self, kind: str | None) -> bool:
        return kind is not None and may_be_report_table(self.rows) and continues_table(kind, self.grid.label_rows())


def read_html_page(text: str, url: str | None, utf8: bytes | None = None) -> Page:
    """``utf8``: ``text`` as UTF-8 bytes when the caller has them (the body as received)."""
    doc, limits = parse_tree(text, utf8)
    page = _read_page(doc, url)
    page.problems += [{"kind": "document_limit", "table": None, "detail": limit} for limit in limits]
    return page


def parse_tree(text: str, utf8: bytes | None = None) -> tuple[object, list[str]]:
    """The page's tree as the walk reads it (any character the walk uses as a mark replaced:
    ``unmarked``), and where libxml2 stopped reading it short (``_parse_page``). ``utf8``:
    ``text`` as UTF-8 bytes, used only when unmarking left the text as it was."""
    page_text = unmarked(text)
    return _parse_page(page_text, utf8 if page_text is text else None)


def _read_page(doc, url: str | None) -> Page:
    walk = walk_page(doc)
    tables = [PageTable(table.rows) for table in walk.tables]
    body = choose_body(walk.candidates, [t.start for t, table in zip(walk.tables, tables) if table.kind])
    if body is None:
        return _read_by_elements(doc, url, walk.text, tables)
    in_body = [table for t, table in zip(walk.tables, tables) if body.holds(t.start)]
    links = [link for link in walk.links if body.holds(link.at)]
    body_text = walk.text_of(body)
    return _page(doc, walk.text_around(body, body_text), body_text, in_body, attachments_from_links(links, url),
                 lambda: _candidate_element(doc, walk.candidates.index(body)))


def _read_by_elements(doc, url: str | None, page_text: str, tables: list[PageTable]) -> Page:
    """No container names the body: it is found by its elements (``body_from_anchors``).
    ``tables``: the page's leaf tables as the walk read them, used when they are exactly
    those of ``leaf_tables(doc)`` (the walk skips tables inside <noscript>, <template> and
    the like)."""
    elements = leaf_tables(doc)
    if len(tables) != len(elements):
        tables = [PageTable(element_rows(element)) for element in elements]
    report_tables = [element for element, table in zip(elements, tables) if table.kind]
    body = body_from_anchors(doc, report_tables)
    by_element = dict(zip(elements, tables))
    # The body may lie in a second root element beside the first (broken <html> tags),
    # whose tables the walk and leaf_tables(doc) never saw: read those from their elements.
    in_body = [by_element.get(element) or PageTable(element_rows(element)) for element in leaf_tables(body)]
    return _page(doc, page_text, render_text(body), in_body, find_attachments(body, url), lambda: body)


def _page(doc, page_text: str, body_text: str, tables: list[PageTable], attachments: list[dict],
          find_body_element) -> Page:
    """``tables``: the body's leaf tables, in page order; ``find_body_element``: see ``Page``."""
    raw_tables: dict[str, list] = {}
    previous = None  # the kind of the table just before: Word splits long tables at page breaks
    for number, table in enumerate(tables, start=1):
        if table.kind:
            previous = table.kind
        elif not table.continues(previous):
            previous = None
            continue
        table.grid.number = number
        raw_tables.setdefault(previous, []).append(table.grid.to_raw_table())

    lines = text_lines(body_text)
    body_lines, simplified = blank_chrome(lines, simplify_lines(lines))  # simplified once for the page
    if len(raw_tables) < 3:  # some tables may be typed as paragraphs, not <table>
        for kind, table in text_tables(body_lines, simplified=simplified).items():
            raw_tables.setdefault(kind, [table])

    # Of the whole page, metadata reads only the lines that may hold a date or a source (发布时间, 来源).
    page_lines = text_lines("\n".join(lines_matching(PAGE_FIELD_CHARS, page_text)))
    return Page(
        meta=_meta_tags(doc), page_lines=page_lines, body_lines=body_lines, raw_tables=raw_tables,
        html_title=doc.findtext(".//title"), attachments=attachments, find_body_element=find_body_element,
        simplified_body_lines=simplified,
    )


def _candidate_element(doc, index: int):
    """The element of the walk's ``index``-th body candidate (looked up only when needed)."""
    found = _CANDIDATES(doc)
    return found[index] if index < len(found) else doc


def _parse_page(text: str, utf8: bytes | None = None) -> tuple[object, list[str]]:
    """The page's tree, and where libxml2 stopped reading it short, if it did: past one of
    its resource limits (elements nested more than 256 deep: a <div> per line never closed)
    it drops the rest of the page, tables included, and says so only in its error log."""
    try:
        if utf8 is not None and not _XML_DECLARATION.match(text):
            parser = _UTF8_PARSER
            doc = etree.fromstring(utf8, parser)
        else:
            parser = _HTML_PARSER
            doc = etree.fromstring(_XML_DECLARATION.sub("", text, count=1), parser)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"unreadable HTML: {exc}") from None
    if doc is None:  # what lxml.html.document_fromstring reports as "Document is empty"
        raise ParseError("unreadable HTML: Document is empty")
    limits = [f"read the page up to line {error.line}, column {error.column} only: "
              f"{error.message.split(', use XML_PARSE_HUGE')[0]}"
              for error in parser.error_log.filter_from_fatals()
              if error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT]
    return doc, limits


def _meta_tags(doc) -> dict[str, str]:
    found = {}
    wanted = {name.lower(): name for name in _META_NAMES}
    for meta in doc.iter("meta"):
        name = wanted.get((meta.get("name") or "").strip().lower())
        content = (meta.get("content") or "").strip()
        if name and content and name not in found:
            found[name] = content
    return found


def _candidates_query() -> etree.XPath:
    skipped = " or ".join(f"self::{tag}" for tag in sorted(SKIPPED_TAGS))
    # The walk looks for candidates on <div>s only, renders the first root element and skips
    # these tags' subtrees: so does this (the n-th found is the walk's n-th candidate).
    return etree.XPath(f"/*[1]/descendant-or-self::div[{candidate_test()}][not(ancestor::*[{skipped}])]")


_CANDIDATES = _candidates_query()

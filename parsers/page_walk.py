"""Everything ``html_page`` reads off the HTML tree, in one libxslt walk.

A walk over a libxml2 tree costs a large share of the parse itself (the nodes
are cold in memory), and a page used to be walked six times: its leaf tables,
one query per body selector, its text, its links. One stylesheet now renders
the page's text and, in the same pass, marks in it what the rest of the parser
needs: each body-container candidate (``chrome.BODY_SELECTORS``), each table
and the rows and cells inside tables (with the cell's text as ``normalize-space(.)``
and its spans), and each link that may be an attachment. ``walk_page`` cuts the marks out
again: what remains is exactly ``html_text.render_text`` of the page.

The marks are private-use characters next to U+F8FF, which no report uses (those
of Chinese fonts sit lower, from U+E000); a page that holds one anyway, as a
character or as a character reference (``&#xF8F5;``, which libxml2 decodes), has
them replaced first (``unmarked``), so they only ever mean what the walk meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from .attachments import ATTACHMENT_HINTS, URL_CONTROLS
from .chrome import BODY_SELECTORS
from .html_tables import RawRow
from .html_text import BLOCK_TAGS, SKIPPED_TAGS

# The marks. CANDIDATE opens a body candidate: class, id and text length follow,
# separated by FIELD and closed by CLOSE; CANDIDATE_END closes it.
CANDIDATE, CANDIDATE_END = "\uf8f0", "\uf8f1"
TABLE, TABLE_END, ROW = "\uf8f2", "\uf8f3", "\uf8f4"
CELL, CELL_END = "\uf8f5", "\uf8f6"  # CELL [spans] text CELL_END, then the rendered cell
LINK, LINK_END = "\uf8f7", "\uf8f8"  # LINK href FIELD title FIELD text LINK_END
FIELD, CLOSE = "\uf8f9", "\uf8fa"
MARKS = (CANDIDATE, CANDIDATE_END, TABLE, TABLE_END, ROW, CELL, CELL_END, LINK, LINK_END, FIELD, CLOSE)
SPAN = "\r"  # inside a cell's record: SPAN rowspan SPAN colspan SPAN (attributes lose \r\t\n);
# written &#13; in the stylesheet, where a raw carriage return would be read as a line feed
_SPACE_NOT_SEPARATOR = re.compile(r"[ \f\v]+")
_MARKS = re.compile("[" + "".join(MARKS) + "]")
# A mark written as a character reference, in the forms libxml2 decodes: hex or decimal,
# leading zeros, the semicolon optional (the number then ends at the first non-digit).
_MARK_REFERENCES = re.compile(
    "&#(?:x0*(?:" + "|".join(f"{ord(mark):x}" for mark in MARKS) + ")(?![0-9a-f])"
    "|0*(?:" + "|".join(str(ord(mark)) for mark in MARKS) + ")(?![0-9]));?",
    re.IGNORECASE,
)

# Attachment links are kept when ``attachments.may_name_document`` lets them through (asked in
# XPath: the href lowered, tab, CR and LF dropped, then "%" or a hint); is_attachment decides.


def candidate_test() -> str:
    tests = []
    for attribute, value in BODY_SELECTORS:
        if attribute == "id":
            tests.append(f"@id = '{value}'")
        else:
            tests.append(f"contains(concat(' ', normalize-space(@class), ' '), ' {value} ')")
    return " or ".join(tests)


def _walk_stylesheet() -> etree.XSLT:
    """An XPath test costs libxslt about as much as rendering an element (it sets up and
    frees a context each time), so tests are few, and asked once a table where that tells
    as much as asking each cell. Modes say where a node lies: inside a body candidate or
    not (attachment links are recorded inside one only: "body"), and in which table:

    - none: outside tables. Rows and cells there are never read: no marks.
    - "leaf": inside a table with no table under it, most tables of a page. Its cells
      hold no table, so each records its text without asking.
    - "checked": inside a table with a table under it. A cell holding a table records no
      text: the text of nested cells was once recorded once per level (50 tables nested
      around 1 MB of text: 50 MB of records, 513 MB of memory). Such a table is a leaf
      table still when each table under it lies inside <noscript> or the like, which the
      walk skips: ``walk_page`` tells leaf tables by the marks.

    Candidates are looked for on <div>s with a class or id only, links inside candidates
    only."""
    templates = [_templates(in_body, table) for in_body in (False, True) for table in ("", "leaf", "checked")]
    return etree.XSLT(etree.XML(f"""\
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text" encoding="UTF-8"/>
  <!-- The first root element only: a root <html> may have a second <html> beside it. -->
  <xsl:template match="/"><xsl:apply-templates select="*[1]"/></xsl:template>
  {''.join(templates)}
</xsl:stylesheet>"""))


def _mode(in_body: bool, table: str) -> str:
    """A mode's name: "" (XSLT's default mode), "body", "leaf", "body-leaf", and so on."""
    return "-".join(part for part in ("body" if in_body else "", table) if part)


def _apply(in_body: bool, table: str) -> str:
    mode = _mode(in_body, table)
    return f'<xsl:apply-templates mode="{mode}"/>' if mode else "<xsl:apply-templates/>"


def _templates(in_body: bool, table: str) -> str:
    """The templates of one mode (``in_body`` and ``table``, as ``_walk_stylesheet`` says)."""
    mode = _mode(in_body, table)
    in_mode = f' mode="{mode}"' if mode else ""
    rest = _apply(in_body, table)
    if table:
        spans = """<xsl:if test="@rowspan or @colspan">
      <xsl:text>&#13;</xsl:text><xsl:value-of select="translate(@rowspan, '&#9;&#10;&#13;', '   ')"/>
      <xsl:text>&#13;</xsl:text><xsl:value-of select="translate(@colspan, '&#9;&#10;&#13;', '   ')"/>
      <xsl:text>&#13;</xsl:text>
    </xsl:if>"""
        text = '<xsl:value-of select="normalize-space(.)"/>'
        if table == "checked":
            text = f'<xsl:choose><xsl:when test=".//table"/><xsl:otherwise>{text}</xsl:otherwise></xsl:choose>'
        row = f"<xsl:text>{ROW}&#10;</xsl:text>{rest}<xsl:text>&#10;</xsl:text>"
        cell = f"<xsl:text>{CELL}</xsl:text>{spans}{text}<xsl:text>{CELL_END}</xsl:text>{rest}<xsl:text>&#9;</xsl:text>"
    else:
        row = f"<xsl:text>&#10;</xsl:text>{rest}<xsl:text>&#10;</xsl:text>"
        cell = f"{rest}<xsl:text>&#9;</xsl:text>"
    templates = f"""
  <xsl:template match="{'|'.join(sorted(SKIPPED_TAGS))}"{in_mode}/>
  <xsl:template match="table"{in_mode}>
    <xsl:text>{TABLE}&#10;</xsl:text>
    <xsl:choose>
      <xsl:when test=".//table">{_apply(in_body, 'checked')}</xsl:when>
      <xsl:otherwise>{_apply(in_body, 'leaf')}</xsl:otherwise>
    </xsl:choose>
    <xsl:text>&#10;{TABLE_END}</xsl:text>
  </xsl:template>
  <xsl:template match="tr"{in_mode}>{row}</xsl:template>
  <xsl:template match="td|th"{in_mode}>{cell}</xsl:template>
  <xsl:template match="{'|'.join(sorted(BLOCK_TAGS - SKIPPED_TAGS - {'table', 'tr'}))}"{in_mode}>
    <xsl:text>&#10;</xsl:text>{rest}<xsl:text>&#10;</xsl:text>
  </xsl:template>
  <xsl:template match="div[@class or @id]"{in_mode} priority="2">
    <xsl:choose>
      <xsl:when test="{candidate_test()}">
        <xsl:text>{CANDIDATE}</xsl:text><xsl:value-of select="@class"/><xsl:text>{FIELD}</xsl:text>
        <xsl:value-of select="@id"/><xsl:text>{FIELD}</xsl:text>
        <xsl:value-of select="string-length(normalize-space(.))"/><xsl:text>{CLOSE}</xsl:text>
        <xsl:text>&#10;</xsl:text>{_apply(True, table)}<xsl:text>&#10;</xsl:text>
        <xsl:text>{CANDIDATE_END}</xsl:text>
      </xsl:when>
      <xsl:otherwise><xsl:text>&#10;</xsl:text>{rest}<xsl:text>&#10;</xsl:text></xsl:otherwise>
    </xsl:choose>
  </xsl:template>"""
    if in_body:
        controls = "".join(f"&#{ord(char)};" for char in URL_CONTROLS)  # dropped: no counterpart
        as_read = f"translate(@href, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ{controls}', 'abcdefghijklmnopqrstuvwxyz')"
        may_name_document = " or ".join(f"contains($href, '{hint}')" for hint in ("%",) + ATTACHMENT_HINTS)
        templates += f"""
  <xsl:template match="a[@href]"{in_mode}>
    <xsl:variable name="href" select="{as_read}"/>
    <xsl:if test="{may_name_document}">
      <xsl:text>{LINK}</xsl:text><xsl:value-of select="@href"/><xsl:text>{FIELD}</xsl:text>
      <xsl:value-of select="@title"/><xsl:text>{FIELD}</xsl:text>
      <xsl:value-of select="."/><xsl:text>{LINK_END}</xsl:text>
    </xsl:if>
    {rest}
  </xsl:template>"""
    # Elements of no other kind are inline: their text (XSLT's built-in rule keeps the mode).
    return templates


_WALK = _walk_stylesheet()



@dataclass
class WalkedTable:
    start: int  # offsets of its marks in the walk's output, to tell which candidate holds it
    end: int
    rows: list[RawRow]


@dataclass
class Candidate:
    """An element a body selector may name: its class and id, and its text's length."""
    css_class: str
    id: str
    length: int
    start: int
    end: int = -1

    def holds(self, start: int) -> bool:
        return self.start < start < self.end


@dataclass
class Link:
    href: str
    title: str
    text: str
    at: int


@dataclass
class PageWalk:
    marked: str  # the stylesheet's output, marks included
    tables: list[WalkedTable] = field(default_factory=list)  # leaf tables only, in page order
    candidates: list[Candidate] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)

    @property
    def text(self) -> str:
        """``render_text`` of the page."""
        return strip_marks(self.marked)

    def text_of(self, candidate: Candidate) -> str:
        """``render_text`` of a candidate element (as rendered in place)."""
        start = self.marked.index(CLOSE, candidate.start) + 1
        return strip_marks(self.marked[start:candidate.end])

    def text_around(self, candidate: Candidate, candidate_text: str) -> str:
        """``text``, given ``text_of(candidate)``: only the rest is stripped of its marks.
        Exact: a candidate's marks open and close records of their own, so no record
        crosses them."""
        return strip_marks(self.marked[:candidate.start]) + candidate_text + strip_marks(self.marked[candidate.end:])


# It starts with a character class: the regex engine then skips to the next mark in C.
_RECORDS = re.compile(
    f"[{CELL}{LINK}{CANDIDATE}{CANDIDATE_END}{TABLE}{TABLE_END}{ROW}]"
    f"(?:(?<={CELL})[^{CELL_END}]*{CELL_END}|(?<={LINK})[^{LINK_END}]*{LINK_END}|(?<={CANDIDATE})[^{CLOSE}]*{CLOSE})?"
)
_CELL_RECORD = re.compile(f"{CELL}([^{CELL_END}]*){CELL_END}")
_LINK_RECORD = re.compile(f"{LINK}([^{FIELD}]*){FIELD}([^{FIELD}]*){FIELD}([^{LINK_END}]*){LINK_END}")


def strip_marks(marked: str) -> str:
    return _RECORDS.sub("", marked)


def unmarked(text: str) -> str:
    """The page with any character the walk uses as a mark, or a reference to one, replaced
    (U+FFFD). The page itself when it holds none (the caller tells by identity)."""
    if any(mark in text for mark in MARKS):  # a str.find per mark: far faster than a regex scan
        text = _MARKS.sub("\ufffd", text)
    if _has_reference(text):  # re.sub hands back the same string when nothing matches
        text = _MARK_REFERENCES.sub("\ufffd", text)
    return text


def _has_reference(text: str) -> bool:
    """``"&#" in text``, looked for at the text's first '&'s (each found by memchr): a search
    for two characters scans a page six times slower than that, and pages hold few '&'s."""
    at = text.find("&")
    for _ in range(64):
        if at == -1:
            return False
        if text.startswith("#", at + 1):
            return True
        at = text.find("&", at + 1)
    return "&#" in text[at:]


def walk_page(doc) -> PageWalk:
    """The page walked once.

    libxslt refuses a tree deeper than its template depth (3,000 levels), and the walk takes
    at most two levels an element (a body candidate's); the HTML parser builds no tree deeper
    than 256 (past that it stops reading, and the page says so: ``html_page._parse_page``).
    So no page is too deep to walk, and none is read another way for it
    (tests/test_page_walk.py walks the deepest tree the parser builds)."""
    marked = str(_WALK(doc))
    walk = PageWalk(marked)
    open_candidates: list[Candidate] = []
    open_tables: list[list] = []  # [start, holds a table]
    for at, mark in _structure(marked):
        if mark == CANDIDATE:
            css_class, id_, length = marked[at + 1:marked.index(CLOSE, at)].split(FIELD)
            candidate = Candidate(css_class, id_, int(length or 0), at)
            walk.candidates.append(candidate)
            open_candidates.append(candidate)
        elif mark == CANDIDATE_END:
            open_candidates.pop().end = at
        elif mark == TABLE:
            if open_tables:
                open_tables[-1][1] = True
            open_tables.append([at, False])
        else:  # TABLE_END
            start, has_table = open_tables.pop()
            if not has_table:
                walk.tables.append(WalkedTable(start, at, _rows(marked[start:at])))
    walk.tables.sort(key=lambda table: table.start)
    if LINK in marked:
        walk.links = [Link(*m.groups(), m.start()) for m in _LINK_RECORD.finditer(marked)]
    return walk


def _structure(marked: str) -> list[tuple[int, str]]:
    """Where candidates and tables open and close, in order. Each of the four marks is
    looked for by ``str.find``, several times faster than one regex scan for all four."""
    found = []
    for mark in (CANDIDATE, CANDIDATE_END, TABLE, TABLE_END):
        at = marked.find(mark)
        while at != -1:
            found.append((at, mark))
            at = marked.find(mark, at + 1)
    found.sort()
    return found


def _rows(table: str) -> list[RawRow]:
    exact = "\f" not in table and "\v" not in table  # normalize-space() leaves these two
    rows = []
    for row in table.split(ROW)[1:]:
        texts = _CELL_RECORD.findall(row)
        spans = _spans(texts) if SPAN in row else {}
        if not exact:
            texts = [_SPACE_NOT_SEPARATOR.sub(" ", text).strip(" ") for text in texts]
        rows.append((texts, spans))
    return rows


def _spans(cells: list[str]) -> dict[int, tuple[str, str]]:
    """Take the "\r<rowspan>\r<colspan>\r" off the cells that have it (in place)."""
    spans = {}
    for index, cell in enumerate(cells):
        if cell.startswith(SPAN):
            _, rowspan, colspan, cells[index] = cell.split(SPAN, 3)
            if not ((rowspan == "" or rowspan == "1") and (colspan == "" or colspan == "1")):
                spans[index] = (rowspan, colspan)
    return spans

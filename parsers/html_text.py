"""The text of an HTML element as a reader sees it: block elements on lines of their
own, table cells tab-separated, scripts, styles and form controls left out.

``render_text`` is what the body's lines (and the page's) are made of; the walk of a
page (``page_walk``) renders the same text in its one pass, with the same tags.
"""

from __future__ import annotations

import re

from lxml import etree

SKIPPED_TAGS = {"script", "style", "noscript", "template", "iframe", "select", "button",
                 "textarea", "head", "title", "object", "svg", "input", "option"}
BLOCK_TAGS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
               "section", "article", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "hr",
               "center", "form", "header", "footer", "nav", "caption", "tbody", "thead", "body"}

_SPACE_RUN = re.compile(r"[ \r\f\v]+")


def text_content(element) -> str:
    """All text under an element, as XPath ``string()`` and lxml.html's ``text_content()``
    give it (the same libxml2 call, without an XPath evaluation per element)."""
    return etree.tostring(element, method="text", encoding=str, with_tail=False)


def short_text_content(element, limit: int) -> str | None:
    """``text_content(element).strip()``, or None when that is longer than ``limit``: read
    text node by text node, stopping early, so that asking it of an element holding the
    whole page costs no more than of a heading (a page of thousands of headings in a
    long <body> made ``text_content`` quadratic: 3.5 s for 4 MB)."""
    parts, visible = [], 0
    for text in element.itertext():  # the same text as text_content (libxml2's text output)
        parts.append(text)
        visible += sum(map(len, text.split()))  # characters other than spaces, which the
        if visible > limit:  # stripped text holds all of: it is longer than the limit too
            return None
    content = "".join(parts).strip()
    return content if len(content) <= limit else None


def _text_stylesheet() -> etree.XSLT:
    """``render_text`` as XSLT: libxslt walks the tree in C, many times faster than a
    Python walk. Text nodes are copied (comment text is not, the text after it is)."""
    skipped = "|".join(sorted(SKIPPED_TAGS))
    blocks = "|".join(sorted(BLOCK_TAGS - SKIPPED_TAGS))
    return etree.XSLT(etree.XML(f"""\
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text" encoding="UTF-8"/>
  <!-- The element rendered only: a root <html> may have a second <html> beside it. -->
  <xsl:template match="/"><xsl:apply-templates select="*[1]"/></xsl:template>
  <xsl:template match="{skipped}"/>
  <xsl:template match="{blocks}">
    <xsl:text>&#10;</xsl:text><xsl:apply-templates/><xsl:text>&#10;</xsl:text>
  </xsl:template>
  <xsl:template match="td|th"><xsl:apply-templates/><xsl:text>&#9;</xsl:text></xsl:template>
</xsl:stylesheet>"""))


_RENDER = _text_stylesheet()


def render_text(element) -> str:
    """Text of an element with block elements on their own lines and table cells tab-separated.
    (No tree the HTML parser builds is too deep for libxslt: see ``page_walk.walk_page``.)"""
    return str(_RENDER(element))


def text_lines(text: str) -> list[str]:
    """Lines with runs of spaces collapsed (tabs kept: they separate cells)."""
    # C calls over the whole text, not a strip per line: runs become one space, then
    # the single spaces left beside line breaks go.
    text = _SPACE_RUN.sub(" ", text).replace(" \n", "\n").replace("\n ", "\n")
    return text.strip(" ").split("\n")

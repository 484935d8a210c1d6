"""What the flavour adapters share: start-URL fragments, listing requests, page names, attachment links.

How many listing pages a column may have is the spider's to say (``NIANBAO_MAX_LISTING_PAGES``):
an adapter is handed the bound (``max_pages``).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import scrapy
from lxml import html as lxml_html

from parsers.attachments import is_attachment, source_may_name_document

from ..listing import LinkAsWritten, ListingItem, anchor_title, is_url, link_url

# Meta of a start request: the fragments the start URLs gave for the page, "" for a URL with
# none, each with the name of the site that gave it (``crawler.listing.start_pages``); gkmlpt
# reads its categories there.
START_FRAGMENTS = "nianbao_fragments"
# Meta of a request an adapter made for one of those fragments (a gkmlpt category's first API
# page): the spider makes it for the site that gave the fragment.
FOR_FRAGMENT = "nianbao_for_fragment"


def start_fragments(response) -> list[str]:
    """The fragments given for the page ``response`` answers: its start URLs', or else its
    request URL's own (a request the spider did not make from start URLs)."""
    request = response.request
    if request is not None and START_FRAGMENTS in request.meta:
        return list(request.meta[START_FRAGMENTS])
    return [urlsplit(request.url if request is not None else response.url).fragment]


def listing_request(url: str, request_class=scrapy.Request, **kwargs) -> scrapy.Request | LinkAsWritten:
    """A request for another page of the column; the spider adds callbacks and site meta.
    A link no request can be made for comes back as written, for the spider to record."""
    if not is_url(url):
        return LinkAsWritten(url)
    meta = {"nianbao_kind": "listing", **kwargs.pop("meta", {})}
    return request_class(url, meta=meta, **kwargs)


def page_names(prefix: str, ext: str, first: int, count: int) -> list[str]:
    """The names of a column's ``count`` pages as TRS names them, page ``first`` being the
    column page itself: ``index.html``, ``index_1.html``, … (``first`` 0, the classic pager) or
    ``index.html``, ``index_2.html``, … (``first`` 1). The generic flavour's ``countPage``
    columns are named so too."""
    return [f"{prefix}.{ext}" if n == first else f"{prefix}_{n}.{ext}" for n in range(first, first + count)]


def page_tree(text: str):
    return lxml_html.fromstring(text) if text.strip() else None


def between(text: str, opening: re.Pattern, closing: re.Pattern):
    """What lies between each ``opening`` and the first ``closing`` after it: what
    ``re.findall(OPENING + "(.*?)" + CLOSING, re.S)`` gives, found in one pass. (findall
    scans to the end of the text for every opening that no closing follows: a page of
    8,000 unclosed ``<script>`` tags took 2.2 s on the crawl's one thread, and the time
    grows with the square of the page.)"""
    position = 0
    while (start := opening.search(text, position)) is not None:
        end = closing.search(text, start.end())
        if end is None:  # nor after any later opening
            return
        yield text[start.end():end.start()]
        position = end.end()


def may_link_documents(text: str) -> bool:
    """False when no link of the page can be an attachment: its source names no extension,
    in any spelling a browser reads as one (``source_may_name_document``: ``a%2Epdf``,
    ``a.p<LF>df``), and has no character reference that could spell one (``file&#46;pdf``;
    named references are case-sensitive). Most report pages link none, and parsing the page
    only to look was a third of the spider's time. (Lowering a 100 KB page and searching it
    once per extension took three times as long as one regex.)"""
    return "&#" in text or "&period" in text or source_may_name_document(text)


def linked_documents(base_url: str, text: str) -> list[ListingItem]:
    """Every attachment (PDF, DOC(X), WPS, XLS(X), OFD, …) an HTML page links to, each once
    (``parsers.attachments.is_attachment``, as the parser finds a report's). A link urllib
    cannot read (``http://[endif]/附件.pdf``, which the parser passes over) is kept as written
    (``link_url``): the spider records it in ``skipped`` as no URL (``unfollowed``)."""
    if not may_link_documents(text):
        return []
    tree = page_tree(text)
    if tree is None:
        return []
    found: dict[str, ListingItem] = {}
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")) or not is_attachment(href):
            continue
        url = link_url(base_url, href)
        found.setdefault(url, ListingItem(url=url, title=anchor_title(anchor), date=None))
    return list(found.values())


_SCRIPT_HREF = re.compile(r"""href\s*=\s*\\?["']([^"'\\]+)\\?["']""")
_SCRIPT_OPEN, _SCRIPT_CLOSE = re.compile(r"<script\b[^>]*>", re.I), re.compile(r"</script>", re.I)


def script_documents(base_url: str, text: str) -> list[ListingItem]:
    """Attachment links written by inline scripts (``document.write('<a href="./P0….pdf">')``),
    kept as ``linked_documents`` keeps them."""
    found = {}
    # Cut after the last ">": the opening's [^>]* must not scan to the end from each "<script".
    for script in between(text[:text.rfind(">") + 1], _SCRIPT_OPEN, _SCRIPT_CLOSE):
        for href in _SCRIPT_HREF.findall(script):
            if is_attachment(href):
                url = link_url(base_url, href)
                found.setdefault(url, ListingItem(url=url, title=href.rsplit("/", 1)[-1], date=None))
    return list(found.values())

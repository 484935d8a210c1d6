"""Read the items of a column listing page: link, full title, date.

Listing items look like ``<li><a href="./202403/t20240308_87885.htm" title="full
title">truncated...</a><span>2024-03-08</span></li>`` or table rows with the date in
the next cell. The ``title`` attribute is preferred: anchor text is often cut short.

An anchor is an item when its link has a document's shape (TRS ``t…_id.html``, Hanweb
``art_…html``, gkmlpt ``post_….html``, an attachment as ``parsers.attachments.is_attachment``
says, for the parser and the crawler alike) or when a date sits beside it in
its ``<li>``/``<tr>``: that is how any CMS's list looks, and navigation links carry no date.

Also the URL helpers the crawler shares: a link made absolute or kept as written
(``link_url``, ``LinkAsWritten``), whether a request can be made for it (``is_url``), a
column's directory (``directory_url``), and each start page with its fragments (``start_pages``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import html as lxml_html

from parsers.attachments import is_attachment
from parsers.normalize import label_key

# A CMS's document page; an attachment listed as an item is ``is_attachment``'s to say.
_DOCUMENT_PAGE = re.compile(
    r"(?:^|/)t\d{8}_\d+\.s?html?$"          # TRS WCM
    r"|(?:^|/)art_\d+_\d+\.html?$"          # Hanweb jcms
    r"|(?:^|/)post_\d+\.html?$",            # gkmlpt
    re.I,
)
_DATE = re.compile(r"(?:19|20)\d{2}[-./年]\d{1,2}[-./月]\d{1,2}")
ITEM_CHARS = 2_000  # a listing item's <li>/<tr> holds a title, a date, a few more columns
# Pager anchors carry no date either, but a date-bearing pager row must not become an item.
# Matched against an anchor title's label_key (下一頁 and 下 一 页 are 下一页).
PAGER_WORDS = frozenset({"首页", "上一页", "下一页", "尾页", "末页", "下页", "上页", "最后一页", "第一页"})


def absolute_url(base: str, href) -> str | None:
    """``href`` as an absolute URL against ``base``; None when it cannot be one. A page
    chooses its links: urllib raises ValueError on a bracketed host that is no IP address
    (``http://[endif]/a.pdf``, Word's conditional comments pasted into an href), and a JSON
    list may give a number. One such link must not cost the page its other links."""
    if not isinstance(href, str):
        return None
    try:
        return urljoin(base, href)
    except ValueError:
        return None


def link_url(base: str, href) -> str:
    """``href`` as an absolute URL against ``base``, or as the page wrote it when it cannot
    be one: a link the crawler does not follow is still recorded, saying why
    (``crawler.spiders.reports.unfollowed``), never dropped unseen."""
    return absolute_url(base, href) or str(href)


def is_url(url: str) -> bool:
    """Whether a request can be made for ``url``: urllib reads it, it names a host, with no
    space or control character in it, and its port is a port (Scrapy refuses ``:99999``, and
    ``:abc``, when the request is made: in a callback, that cost the page its other links)."""
    try:
        parts = urlsplit(url)
        parts.port  # reading it checks it
    except (ValueError, TypeError):
        return False
    host = parts.hostname
    return bool(host) and not any(c.isspace() or ord(c) < 32 or c == "\x7f" for c in host)


def url_path(url: str) -> str:
    """The path of ``url``; of a link urllib cannot read, what precedes its query, as
    written (``http://[endif]/2021n/`` reads as a year column all the same)."""
    try:
        return urlsplit(url).path
    except ValueError:
        return url.split("#", 1)[0].split("?", 1)[0]


@dataclass(frozen=True)
class LinkAsWritten:
    """A link to another page of a column that no request can be made for (``is_url``), kept
    as the page wrote it: a flavour returns it among its requests, and the spider records it
    in ``skipped``, saying why, as it does with links it will not follow."""

    url: str


# A directory's default document: index.html, index.htm, index.shtml, default.htm, index.jsp …
_DEFAULT_DOCUMENT = re.compile(r"/(?:index|default)\.(?:s?html?|jsp|php|aspx?)$", re.I)


def directory_url(url: str) -> str:
    """``url`` without its fragment, and without a trailing default document when it has no
    query: ``col/`` and ``col/index.html`` are one page."""
    url = url.split("#", 1)[0]
    return url if "?" in url else _DEFAULT_DOCUMENT.sub("/", url)


def column_page(url: str) -> str:
    """The page a start URL fetches: ``col/`` and ``col/index.html``, and host names in any
    case, are one page (the crawl's duplicate filter fetches it once). The fragment is no
    part of it: the server never sees it."""
    parts = urlsplit(directory_url(url))
    return parts._replace(netloc=parts.netloc.lower()).geturl()


def start_pages(sites) -> list[tuple[str, dict[str, str]]]:
    """The pages the sites' start URLs fetch, each once, in order: the first URL given for
    the page, less its fragment, and each fragment given for it ("" for a URL with none)
    with the name of the site that gave it first. A fragment names a part of a page the
    server sends whole: gkmlpt's category (``/gkmlpt/index#2580`` and ``#2581`` are one shell
    page, two categories, which may be two sites': the registry allows no other sharing)."""
    pages: dict[str, tuple[str, dict[str, str]]] = {}
    for site in sites:
        for url in site["start_urls"]:
            page, _, fragment = url.partition("#")
            _, fragments = pages.setdefault(column_page(page), (page, {}))
            fragments.setdefault(fragment, site["name"])
    return list(pages.values())


@dataclass(frozen=True)
class ListingItem:
    url: str
    title: str
    date: str | None


def _item_date(anchor, texts: dict) -> str | None:
    """The date beside the anchor: in its ``<li>``/``<tr>`` (within three levels; its first
    ``ITEM_CHARS`` characters), else in a short parent. Never further out: a page's chrome
    holds dates of its own. ``texts``: the containers' texts read so far (anchors share them)."""
    container = anchor.getparent()
    for _ in range(3):
        if container is None:
            break
        if container.tag in ("li", "tr"):
            m = _DATE.search(_text_up_to(container, ITEM_CHARS, texts))
            return m.group(0) if m else None
        container = container.getparent()
    parent = anchor.getparent()
    text = _text_up_to(parent, 200, texts) if parent is not None else ""
    m = _DATE.search(text) if len(text) <= 200 else None
    return m.group(0) if m else None


def _text_up_to(element, limit: int, texts: dict) -> str:
    """``element.text_content()``, cut after ``limit + 1`` characters, read text node by
    text node and once per element: every anchor reads its container's text, and when that
    was the whole page (anchors right under <body>), reading all of it for each anchor made
    a page quadratic (1.3 MB: 34 s)."""
    key = (element, limit)
    if key in texts:
        return texts[key]
    parts, size = [], 0
    for text in element.itertext():
        parts.append(text)
        size += len(text)
        if size > limit:
            break
    texts[key] = text = "".join(parts)[:limit + 1]
    return text


def anchor_title(anchor) -> str:
    """The anchor's full title: its ``title`` attribute, else its text, spaces collapsed."""
    title = (anchor.get("title") or "").strip() or anchor.text_content()
    return " ".join(title.split())


def extract_listing_items(url: str, html: str) -> list[ListingItem]:
    """The document links of a listing page (or fragment), in page order, each once."""
    if not html.strip():
        return []
    tree = lxml_html.fromstring(html)
    items, seen, texts = [], set(), {}
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        title = anchor_title(anchor)
        if label_key(title) in PAGER_WORDS:
            continue
        date = _item_date(anchor, texts)
        if date is None and not (_DOCUMENT_PAGE.search(href.split("?")[0]) or is_attachment(href)):
            continue
        absolute = link_url(url, href)
        if absolute in seen:
            continue
        seen.add(absolute)
        items.append(ListingItem(url=absolute, title=title, date=date))
    return items

"""Any other CMS: pages reached through 下一页/尾页/末页 anchors, ``?page=N`` links, or JS variables.

- ``list.asp?page=N``, ``?pageIndex=N``, ``?pageNo=N`` (sometimes 0-based): the pager's links
  give the URL form; the highest number among them (尾页) or a ``countPage``/``totalPage``
  variable gives the last page, and every page in between is asked for at once.
- ``countPage = 5`` beside an ``index.html`` column: pages ``index_1.html`` … as TRS names them.
- Otherwise the 下一页 link is followed, page by page (the dupe filter ends loops).

A next or page-number link that is no URL (``http://[::1``, a port of 99999) is returned as
written, for the spider to record in ``skipped``; it is never a template for the others.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from parsers.normalize import label_key

from ..listing import anchor_title, extract_listing_items, is_url, link_url
from .common import linked_documents, listing_request, page_names, page_tree

NAME = "generic"

# Matched against an anchor title's label_key (下一頁 is 下一页).
NEXT_WORDS = frozenset({"下一页", "下页", "尾页", "末页", "最后一页", "后一页"})
_PAGE_PARAM = re.compile(r"^(page|pageindex|pageno|pagenum|curpage|currentpage|p)$", re.I)
_PAGE_COUNT = re.compile(r"\b(?:countPage|totalPage|pageCount|totalPages|page_count)\s*[=:]\s*['\"]?(\d+)", re.I)
_INDEX_NAME = re.compile(r"^(?P<prefix>[\w-]*?)(?:_\d+)?\.(?P<ext>s?html?)$")


def detect(url: str, text: str) -> bool:
    return True  # the fallback: every page has some pager, or none


def listing_items(response, text: str):
    return extract_listing_items(response.url, text)


def _page_param(url: str) -> tuple[str, int] | None:
    query = url.split("#", 1)[0].partition("?")[2]  # also of a link urllib cannot read
    for key, value in parse_qsl(query, keep_blank_values=True):
        if _PAGE_PARAM.match(key) and value.isdigit():
            return key, int(value)
    return None


def _with_param(url: str, key: str, number: int) -> str:
    parts = urlsplit(url)
    query = [(k, str(number) if k == key else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def page_count(text: str) -> int | None:
    m = _PAGE_COUNT.search(text)
    return int(m.group(1)) if m else None


def listing_page_urls(url: str, text: str, max_pages: int, tree=None) -> list[str]:
    """The column's listing pages. ``tree``: the page already parsed (``page_tree(text)``), for a
    caller that reads the page's links for more than this; parsed here when not given."""
    if tree is None:
        tree = page_tree(text)
    if tree is None:
        return []
    pager_links, next_links, unusable = [], [], []
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        absolute = link_url(url, href)
        is_next = label_key(anchor_title(anchor)) in NEXT_WORDS
        if not is_url(absolute):
            if is_next or _page_param(absolute):
                unusable.append(absolute)  # no page to ask for: the spider records it as written
            continue
        if is_next:
            next_links.append(absolute)
        if _page_param(absolute) and urlsplit(absolute).path == urlsplit(url).path:
            pager_links.append(absolute)
    return list(dict.fromkeys(unusable))[:max_pages] + _pages(url, text, pager_links, next_links, max_pages)


def _pages(url: str, text: str, pager_links: list[str], next_links: list[str], max_pages: int) -> list[str]:
    """The column's pages, from its page-number links, else its page count, else its next links."""
    count = page_count(text)
    numbered = [(link, *_page_param(link)) for link in pager_links]
    if numbered:
        template, key, _ = numbered[0]
        numbers = [n for _, _, n in numbered]
        own = _page_param(url)
        if own:
            numbers.append(own[1])
        first = 0 if min(numbers) == 0 else 1
        last = max(numbers + ([count - 1 + first] if count else []))
        return [_with_param(template, key, n) for n in range(first, min(last, first + max_pages - 1) + 1)]
    name = urlsplit(url).path.rsplit("/", 1)[-1] or "index.html"
    m = _INDEX_NAME.match(name)
    if count and m:
        prefix, ext = m.group("prefix") or "index", m.group("ext")
        return [urljoin(url, name) for name in page_names(prefix, ext, 0, min(count, max_pages))]
    return next_links[:max_pages]


def listing_requests(response, text: str, max_pages: int):
    return [listing_request(u) for u in listing_page_urls(response.url, text, max_pages)]


def attachments(response, text: str):
    return linked_documents(response.url, text)

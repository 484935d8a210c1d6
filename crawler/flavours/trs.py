"""TRS WCM: columns paged by an inline ``createPageHTML`` call, reports at ``t…_id.html``.

TRS pages carry no links to their sibling pages: an inline script call builds the
pager in the browser. Only the call is stable across sites (the function body
differs), so we read its arguments:

    createPageHTML(120, 0, "index", "html")                 count, 0-based page, prefix, ext
    createPageHTML('page_div', 22, 1, 'common_list', 'shtml', 325)
                                                             div, count, 1-based page, prefix, ext, total
Page 0 (or 1 in the newer form) is ``prefix.ext``; page N is ``prefix_N.ext``. A column
with no call (a TRS site whose template now pages with plain 下一页 links) is paged as
``generic`` pages it.

Report columns are often split into year sub-columns (``zfxxgknb/2021n/index.html``)
linked from the column page; each is a column of its own, paged the same way.
Attachments: ``<a appendix="true" href="./P0….pdf">``, ``W0….xls``, or links written by
an inline ``document.write``.
"""

from __future__ import annotations

import re

from ..listing import extract_listing_items, link_url, url_path
from . import generic
from .common import linked_documents, listing_request, page_names, page_tree, script_documents

NAME = "trs"

_CALL = re.compile(r"createPageHTML\s*\(([^()]*)\)")
_ARG = re.compile(r"""\s*(?:"([^"]*)"|'([^']*)'|(-?\d+))\s*""")
# A year sub-column: .../2021n/ or .../2021n/index.html
_YEAR_COLUMN = re.compile(r"(?:^|/)(?:19|20)\d{2}n/(?:index(?:_\d+)?\.s?html?)?$")
_FINGERPRINTS = re.compile(r"createPageHTML|TRS_Editor|TRS_UEDITOR|CurrChnlCls|appendix=\"true\"|/t\d{8}_\d+\.s?html?")


def detect(url: str, text: str) -> bool:
    return bool(_FINGERPRINTS.search(text))


def _arguments(argument_text: str) -> list | None:
    args = []
    for part in argument_text.split(","):
        m = _ARG.fullmatch(part)
        if not m:
            return None  # a call with expressions, e.g. the function's own definition
        text = m.group(1) if m.group(1) is not None else m.group(2)
        args.append(text if text is not None else int(m.group(3)))
    return args


def trs_page_names(html: str, max_pages: int | None = None) -> list[str] | None:
    """Relative names of the pages of a TRS column, from its createPageHTML call: every one,
    or the first ``max_pages`` (a trap pager claims 10^9: their names are never made)."""
    for m in _CALL.finditer(html):
        args = _arguments(m.group(1))
        if not args:
            continue
        if len(args) >= 4 and isinstance(args[0], int):
            count, prefix, ext, first = args[0], args[2], args[3], 0
        elif len(args) >= 5 and isinstance(args[1], int):
            count, prefix, ext, first = args[1], args[3], args[4], 1
        else:
            continue
        if not isinstance(prefix, str) or not isinstance(ext, str):
            continue
        return page_names(prefix, ext, first, count if max_pages is None else min(count, max_pages))
    return None


def listing_page_urls(url: str, html: str, max_pages: int) -> list[str]:
    """Absolute URLs of the column's listing pages (including ``url`` itself), bounded."""
    names = trs_page_names(html, max_pages)
    if not names:
        return []
    urls = [link_url(url, name) for name in names]  # the call's prefix is the page's to choose
    if url.endswith("/"):  # the column fetched as its directory: that is its first page, not another
        urls[0] = url
    return urls


def year_column_urls(url: str, html: str, tree=None) -> list[str]:
    """Year sub-columns (``2021n/``) linked from a column page, each once, in page order.
    ``tree``: the page already parsed (``page_tree(html)``); parsed here when not given."""
    if tree is None:
        tree = page_tree(html)
    if tree is None:
        return []
    found = []
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        absolute = link_url(url, href) if href else None  # one that is no URL: the spider records it
        if absolute and _YEAR_COLUMN.search(url_path(absolute)):
            if absolute not in found and absolute != url:
                found.append(absolute)
    return found


def listing_items(response, text: str):
    return extract_listing_items(response.url, text)


def listing_requests(response, text: str, max_pages: int):
    # A TRS site whose new template pages with plain 下一页/尾页 links has no createPageHTML
    # call left: its pages are found as the generic flavour finds them. Both that and the
    # year sub-columns read the page's links: the page is parsed once for the two.
    tree = page_tree(text)
    pages = listing_page_urls(response.url, text, max_pages) or generic.listing_page_urls(
        response.url, text, max_pages, tree=tree)
    # The dupe filter drops pages already seen, including this one.
    urls = pages + year_column_urls(response.url, text, tree=tree)[:max_pages]
    return [listing_request(u) for u in urls]


def attachments(response, text: str):
    found = {i.url: i for i in script_documents(response.url, text)}
    found.update({i.url: i for i in linked_documents(response.url, text)})
    return list(found.values())

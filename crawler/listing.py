"""Read the items of a column listing page: link, full title, date.

Listing items look like ``<li><a href="./202403/t20240308_87885.htm" title="full
title">truncated...</a><span>2024-03-08</span></li>`` or table rows with the date in
the next cell. The ``title`` attribute is preferred: anchor text is often cut short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import html as lxml_html

# A TRS document (./202403/t20240308_87885.html) or an attachment in a listing.
_DOCUMENT_HREF = re.compile(r"(?:^|/)t\d{8}_\d+\.s?html?$|\.(?:pdf|docx?|wps|xlsx?|ofd)$", re.I)
_DATE = re.compile(r"(?:19|20)\d{2}[-./年]\d{1,2}[-./月]\d{1,2}")


@dataclass(frozen=True)
class ListingItem:
    url: str
    title: str
    date: str | None


def _item_date(anchor) -> str | None:
    # The date sits beside the anchor: in the same <li>, or in the row's next cell.
    container = anchor.getparent()
    for _ in range(3):
        if container is None:
            break
        m = _DATE.search(container.text_content())
        if m:
            return m.group(0)
        if container.tag in ("li", "tr"):
            break
        container = container.getparent()
    return None


def extract_listing_items(url: str, html: str) -> list[ListingItem]:
    """The document links of a listing page, in page order, each once."""
    if not html.strip():
        return []
    tree = lxml_html.fromstring(html)
    items, seen = [], set()
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        if not _DOCUMENT_HREF.search(href.split("?")[0]):
            continue
        absolute = urljoin(url, href)
        if absolute in seen:
            continue
        seen.add(absolute)
        title = (anchor.get("title") or anchor.text_content() or "").strip()
        items.append(ListingItem(url=absolute, title=" ".join(title.split()), date=_item_date(anchor)))
    return items

"""The TRS pager under the names it had before the flavours (``crawler.flavours``), each of
which reads its own pager. Only tests/test_listing_and_pagers.py imports this module; the
crawl uses crawler/flavours/trs.py and the bound in crawler/flavours/common.py."""

from __future__ import annotations

from .flavours.common import DEFAULT_MAX_PAGES
from .flavours.trs import trs_page_names
from .flavours.trs import listing_page_urls as _trs_listing_page_urls


def listing_page_urls(url: str, html: str, max_pages: int = DEFAULT_MAX_PAGES) -> list[str]:
    """The TRS column's listing page URLs (including ``url``), bounded."""
    return _trs_listing_page_urls(url, html, max_pages)


__all__ = ["DEFAULT_MAX_PAGES", "listing_page_urls", "trs_page_names"]

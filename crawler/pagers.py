"""Bounded pagers. Each flavour reads its own pager (``crawler.flavours``); this module
keeps the shared bound and the TRS names older callers import."""

from __future__ import annotations

from .flavours.common import DEFAULT_MAX_PAGES
from .flavours.trs import trs_page_names
from .flavours.trs import listing_page_urls as _trs_listing_page_urls


def listing_page_urls(url: str, html: str, max_pages: int = DEFAULT_MAX_PAGES) -> list[str]:
    """The TRS column's listing page URLs (including ``url``), bounded."""
    return _trs_listing_page_urls(url, html, max_pages)


__all__ = ["DEFAULT_MAX_PAGES", "listing_page_urls", "trs_page_names"]

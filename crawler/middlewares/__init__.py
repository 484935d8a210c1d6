"""Downloader middlewares (one per file), and what several of them read off a response."""

from __future__ import annotations

from ..listing import absolute_url

REDIRECTS = (301, 302, 303, 307, 308)


def redirect_target(response) -> str | None:
    """The absolute URL a 3xx answer sends the client to; None for other answers, and for a
    Location that cannot be a URL (Scrapy's redirect middleware then fails the request)."""
    location = response.headers.get("Location") if response.status in REDIRECTS else None
    return absolute_url(response.url, location.decode("latin-1").strip()) if location else None

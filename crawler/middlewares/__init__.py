"""Downloader middlewares, one per file (their priorities: ``DOWNLOADER_MIDDLEWARES`` in
crawler/settings.py), their common base (``CrawlerMiddleware``), and what several of them read
off a response (``redirect_target``).

Request path (low to high), then response path (high to low):

    mirrors.py            60  繁體 mirrors (big5 gateways) never asked: dropped, recorded
    robots.py            100  Scrapy's robots.txt middleware, each disallowed URL recorded
    private_addresses.py 555  no address of the crawling machine's own networks (policy:
                              crawler/private_addresses.py); a refused lookup, not retried
    oversize.py          560  a download cancelled past DOWNLOAD_MAXSIZE: an errors row, its
                              validators kept (archive/oversize.py)
    retry_after.py       570  a host that sent Retry-After waits; too long: blocked
    challenges.py        585  script challenges and repeated 403/429 block the host for the run
    redirect_loops.py    605  a 3xx back into its own chain: an errors row
    withdrawn.py         610  a report that redirects to its column, or gone (404, 410): withdrawn, not parsed
    conditional.py       800  If-None-Match / If-Modified-Since from the archive; a 304 becomes
                              the archived 200 (and pages not asked again within a recheck interval)
    snapshots.py         900  every exchange stored in the archive, body as received

A middleware that drops a request records why through crawler/drops.py; one that blocks a
host, through crawler/blocking.py (judged on ``response_downloaded``, before the host's slot
sends its next request).
"""

from __future__ import annotations

from ..listing import absolute_url

REDIRECTS = (301, 302, 303, 307, 308)
PERMANENT_REDIRECTS = (301, 308)


class CrawlerMiddleware:
    """A downloader middleware built with the crawler it serves (its stats, its archive): what
    Scrapy's ``BaseSpiderMiddleware`` is to spider middlewares (it has none for downloader ones)."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)


def without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def redirect_target(response) -> str | None:
    """The absolute URL a 3xx answer sends the client to; None for other answers, and for a
    Location that cannot be a URL (Scrapy's redirect middleware then fails the request)."""
    location = response.headers.get("Location") if response.status in REDIRECTS else None
    return absolute_url(response.url, location.decode("latin-1").strip()) if location else None

"""Requests nianbao decides not to send, or not to pass on: one reason each, recorded once.

A middleware that drops a request records why (a ``skipped`` row, with the listing title
and the page it was found on) and raises a ``RequestDropped`` subclass. Scrapy then calls
the request's errback like for any failure; the spider's errback passes over a
``RequestDropped``, so the drop is not also counted as an error.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

from archive.records import record_skipped

from .crawl_archive import crawl_archive


class RequestDropped(IgnoreRequest):
    """Not sent (or not passed on) on purpose; the reason is already in the archive."""


class HostBlocked(RequestDropped):
    """The host is blocked for this run (script challenge, repeated refusals)."""


class MirrorNotCrawled(RequestDropped):
    """A ``/gate/big5/`` path or a ``big5.`` host: a 繁體 copy of pages crawled elsewhere."""


class WithdrawnDocument(RequestDropped):
    """The document redirects to its column, or an archived report answers 404/410: taken down."""


class DisallowedByRobots(RequestDropped):
    """robots.txt disallows the URL for our user agent."""


class PrivateAddressRefused(RequestDropped):
    """The URL's host is, or resolves to, a loopback, private, link-local … address
    (``NIANBAO_REFUSE_PRIVATE_ADDRESSES``: crawler/private_addresses.py)."""


def host_of(request) -> str:
    return (urlsplit(request.url).hostname or "").lower()


def record_dropped(crawler, request, reason: str, url: str | None = None, detail: str | None = None) -> None:
    """A ``skipped`` row for a request the spider made (robots.txt fetches are not recorded);
    ``url`` when the row belongs to another URL than the request's (a redirect's origin);
    ``detail``: what varies per URL, kept out of the reason (archive/skip_reasons.py)."""
    crawler.stats.inc_value("nianbao/dropped")
    if request.meta.get("nianbao_kind") in (None, "robots"):
        return
    cb_kwargs = request.cb_kwargs or {}
    referer = request.headers.get("Referer")
    found_on = cb_kwargs.get("found_on") or (referer.decode("latin-1") if referer else None)
    archive = crawl_archive(crawler)
    record_skipped(
        archive.db, url=url or request.url, title=cb_kwargs.get("listing_title"), reason=reason,
        detail=detail, found_on=found_on, run_id=archive.run_id,
    )


def drop(crawler, request, error: type[RequestDropped], reason: str, url: str | None = None,
         detail: str | None = None):
    """Record ``reason`` (and ``detail``) for ``request`` and raise ``error``: call from
    ``process_request`` or ``process_response``."""
    record_dropped(crawler, request, reason, url, detail)
    crawler.stats.inc_value(f"nianbao/dropped/{error.__name__}")
    raise error(said(reason, detail))


def said(reason: str, detail: str | None) -> str:
    """A drop in one line, for the log and the exception."""
    return f"{reason}: {detail}" if detail else reason

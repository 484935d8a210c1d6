"""Downloads over ``DOWNLOAD_MAXSIZE`` end as an ``errors`` row that says so.

Scrapy cancels a download whose ``Content-Length``, or whose body as it streams in,
passes the limit, and raises ``DownloadCancelledError`` (with a message when the length
was announced, often none when it was not). This middleware turns that into
``DownloadTooLarge`` naming the limit, which the spider's errback records like any fetch
failure: error ``DownloadTooLarge``, the URL, the size and the limit. A large attachment
is thus recorded, never silently missing. (A compressed body that only grows past the
limit when decoded is refused by ``HttpCompressionMiddleware``, also with a message.)

The validators the cancelled answer announced (ETag, Last-Modified, caught from the
``headers_received`` signal, which Scrapy sends before it checks the size) are kept in
``oversize_files`` (archive/oversize.py), so the next night asks for the file conditionally
instead of downloading it up to the limit again.
"""

from __future__ import annotations

import re

from scrapy import signals
from scrapy.exceptions import DownloadCancelledError

from archive.oversize import remember_oversize

from ..crawl_archive import crawl_archive
from . import CrawlerMiddleware

_SIZE = re.compile(r"(?:Expected to receive|Received) (\d+) bytes")


class DownloadTooLarge(DownloadCancelledError):
    """The body is larger than the download size limit."""


class OversizeMiddleware(CrawlerMiddleware):
    def __init__(self, crawler, maxsize: int):
        super().__init__(crawler)
        self.maxsize = maxsize

    @classmethod
    def from_crawler(cls, crawler):
        middleware = cls(crawler, crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        crawler.signals.connect(middleware.headers_received, signal=signals.headers_received)
        return middleware

    def headers_received(self, headers, body_length, request, spider=None):
        """Keep what a cancelled download's record needs: its validators and announced length.
        Only for an answer that may be cancelled: one announcing no length, or one over the limit."""
        length = body_length if isinstance(body_length, int) and body_length >= 0 else None
        if length is not None and length <= request.meta.get("download_maxsize", self.maxsize):
            return  # most answers: Scrapy never cancels a body no longer than it announced
        request.meta["nianbao_announced"] = {
            "etag": _header(headers, b"ETag"), "last_modified": _header(headers, b"Last-Modified"),
            "content_length": length,
        }

    def process_exception(self, request, exception):
        if not isinstance(exception, DownloadCancelledError) or isinstance(exception, DownloadTooLarge):
            return None
        limit = request.meta.get("download_maxsize", self.maxsize)
        text = str(exception)
        if "max size" not in text and text:
            return None  # cancelled for another reason
        size = _SIZE.search(text)
        if size:
            told = "announced" if text.startswith("Expected") else "received"
            message = f"over the size limit: {told} {int(size.group(1)):,} bytes, DOWNLOAD_MAXSIZE is {limit:,}"
        else:
            message = f"download cancelled while receiving the body, over the size limit (DOWNLOAD_MAXSIZE is {limit:,})"
        self.crawler.stats.inc_value("nianbao/oversize")
        announced = request.meta.get("nianbao_announced") or {}
        remember_oversize(crawl_archive(self.crawler).db, request.url, etag=announced.get("etag"),
                          last_modified=announced.get("last_modified"),
                          content_length=announced.get("content_length"), size_limit=limit)
        raise DownloadTooLarge(message) from exception


def _header(headers, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value else None

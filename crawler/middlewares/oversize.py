"""Downloads over ``DOWNLOAD_MAXSIZE`` end as an ``errors`` row that says so.

Scrapy cancels a download whose ``Content-Length``, or whose body as it streams in,
passes the limit, and raises ``DownloadCancelledError`` (with a message when the length
was announced, often none when it was not). This middleware turns that into
``DownloadTooLarge`` naming the limit, which the spider's errback records like any fetch
failure: error ``DownloadTooLarge``, the URL, the size and the limit. A large attachment
is thus recorded, never silently missing. (A compressed body that only grows past the
limit when decoded is refused by ``HttpCompressionMiddleware``, also with a message.)
"""

from __future__ import annotations

import re

from scrapy.exceptions import DownloadCancelledError

_SIZE = re.compile(r"(?:Expected to receive|Received) (\d+) bytes")


class DownloadTooLarge(DownloadCancelledError):
    """The body is larger than the download size limit."""


class OversizeMiddleware:
    def __init__(self, crawler, maxsize: int):
        self.crawler = crawler
        self.maxsize = maxsize

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.getint("DOWNLOAD_MAXSIZE"))

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
        raise DownloadTooLarge(message) from exception

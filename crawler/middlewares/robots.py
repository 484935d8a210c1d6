"""Scrapy's robots.txt middleware, with each disallowed URL recorded in ``skipped``.

Also remembers which registry site a host is crawled for before robots.txt is fetched,
so a robots.txt answered with a script challenge blocks the host under the right site.
Crawl-delay is applied by ``crawler.politeness.SlotDelays`` (the ``robots_parsed`` signal).

A robots.txt that cannot be downloaded (connection refused, timeout, DNS) is one warning
line, not the traceback Scrapy logs with it: the host is then crawled as if it allowed
everything (Scrapy's rule), and its pages' own failures are recorded in ``errors``.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.downloadermiddlewares.robotstxt import logger as scrapy_robots_logger
from scrapy.exceptions import (
    CannotResolveHostError, DownloadConnectionRefusedError, DownloadFailedError, DownloadTimeoutError,
    IgnoreRequest, ResponseDataLossError,
)
from twisted.internet.error import ConnectError, DNSLookupError

from ..blocking import host_blocks
from ..drops import DisallowedByRobots, drop

DISALLOWED = "disallowed by robots.txt"
DOWNLOAD_ERRORS = (CannotResolveHostError, DownloadConnectionRefusedError, DownloadFailedError, DownloadTimeoutError,
                   ResponseDataLossError, ConnectError, DNSLookupError, TimeoutError)


class RecordedRobotsTxtMiddleware(RobotsTxtMiddleware):
    def __init__(self, crawler):
        super().__init__(crawler)
        if not any(isinstance(f, OneLineDownloadErrors) for f in scrapy_robots_logger.filters):
            scrapy_robots_logger.addFilter(OneLineDownloadErrors())

    async def process_request(self, request):
        host_blocks(self.crawler).note_site(request)
        return await super().process_request(request)

    def process_request_2(self, rp, request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:
            drop(self.crawler, request, DisallowedByRobots, DISALLOWED)


class OneLineDownloadErrors(logging.Filter):
    """Scrapy's "Error downloading <the page>: …" with a traceback, for a robots.txt that could
    not be downloaded, becomes a warning naming robots.txt, in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, DOWNLOAD_ERRORS) and isinstance(record.args, dict) and "request" in record.args:
            url = urlsplit(record.args["request"].url)
            record.msg = "Could not fetch %(robots)s (%(error)s): the host is crawled as if it allowed everything"
            record.args = {"robots": f"{url.scheme}://{url.netloc}/robots.txt", "error": error}
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True

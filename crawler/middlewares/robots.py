"""Scrapy's robots.txt middleware, with each disallowed URL recorded in ``skipped``.

Also remembers which registry site a host is crawled for before robots.txt is fetched,
so a robots.txt answered with a script challenge blocks the host under the right site.
Crawl-delay is applied by ``crawler.politeness.CrawlDelay`` (the ``robots_parsed`` signal).
"""

from __future__ import annotations

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest

from ..blocking import host_blocks
from ..drops import DisallowedByRobots, drop

DISALLOWED = "disallowed by robots.txt"


class RecordedRobotsTxtMiddleware(RobotsTxtMiddleware):
    async def process_request(self, request):
        host_blocks(self.crawler).note_site(request)
        return await super().process_request(request)

    def process_request_2(self, rp, request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:
            drop(self.crawler, request, DisallowedByRobots, DISALLOWED)

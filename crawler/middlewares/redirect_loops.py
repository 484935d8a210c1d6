"""A redirect that leads back to a URL of its own chain is a loop: an ``errors`` row.

Followed, the loop's repeat would vanish in the duplicate filter without a trace (the
first URL was scheduled already), so the report would be neither stored nor recorded.
This middleware sits at 605, before ``RedirectMiddleware`` (600) in the response path:
when a 3xx's ``Location`` is the request itself or an earlier URL of its chain, the
request fails with ``RedirectLoop`` naming the chain, which the spider's errback records
against the URL first asked for. (A chain that never repeats ends at ``REDIRECT_MAX_TIMES``.)
"""

from __future__ import annotations

from urllib.parse import urljoin

from scrapy.exceptions import IgnoreRequest

REDIRECTS = (301, 302, 303, 307, 308)


class RedirectLoop(IgnoreRequest):
    """The redirects lead back to a URL already on the chain."""


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


class RedirectLoopMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response):
        location = response.headers.get("Location") if response.status in REDIRECTS else None
        if not location or request.meta.get("dont_redirect"):
            return response
        target = _without_fragment(urljoin(response.url, location.decode("latin-1").strip()))
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in map(_without_fragment, chain):
            self.crawler.stats.inc_value("nianbao/redirect_loops")
            raise RedirectLoop("redirect loop: " + " -> ".join([*chain, target]))
        return response

"""A redirect that leads back to a URL of its own chain is a loop: an ``errors`` row.

Followed, the loop's repeat would vanish in the duplicate filter without a trace (the
first URL was scheduled already), so the report would be neither stored nor recorded.
This middleware sits at 605, before ``RedirectMiddleware`` (600) in the response path:
when a 3xx's ``Location`` is the request itself or an earlier URL of its chain, the
request fails with ``RedirectLoop`` naming the chain, which the spider's errback records
against the URL first asked for. (A chain that never repeats ends at ``REDIRECT_MAX_TIMES``.)
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest

from . import redirect_target


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
        target = redirect_target(response)
        if not target or request.meta.get("dont_redirect"):
            return response
        target = _without_fragment(target)
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in map(_without_fragment, chain):
            self.crawler.stats.inc_value("nianbao/redirect_loops")
            raise RedirectLoop("redirect loop: " + " -> ".join([*chain, target]))
        return response
